"""/privacy/ tells residents who is responsible, what is processed and why, who
receives it, and how long it is kept: the durations are the retention
registry's, so a changed ``RETENTION_*`` setting changes the page."""

import pytest
from django.urls import reverse

from impfportal.durations import describe_period
from privacy.notice import SENTENCES
from privacy.retention import REGISTRY
from tests.journeys import german
from tests.legal_pages import text_of

pytestmark = pytest.mark.django_db


def test_the_notice_answers_in_german_and_in_english(client):
    german_page = client.get(reverse("privacy:notice"))
    assert german_page.status_code == 200
    assert '<html lang="de">' in german_page.content.decode()
    assert "<title>Datenschutzerklärung \u2013" in text_of(german_page)
    # A soft hyphen lets the heading break on a 320 px screen.
    assert ">Datenschutz\u00aderklärung</h1>" in text_of(german_page)
    english_page = client.get(reverse("privacy:notice"), headers={"accept-language": "en"})
    assert english_page.status_code == 200
    assert '<html lang="en">' in english_page.content.decode()
    assert "How long we keep your data" in text_of(english_page)


def test_it_names_each_residents_retention_with_the_registrys_duration(client):
    text = text_of(client.get(reverse("privacy:notice")))
    durations = {(entry.model, entry.action): entry.duration for entry in REGISTRY}
    for key, sentence in SENTENCES.items():
        assert german(str(sentence), duration=describe_period(durations[key])) in text, key
    assert "28 Tage nach dem letzten Termin" in text  # booking.Series, RETENTION_DAYS
    assert "1 Tag, nachdem sie an den Anbieter" in text  # RETENTION_MESSAGE_TEXT_HOURS = 24


def test_a_changed_retention_setting_changes_the_notice(client, settings):
    settings.RETENTION_DAYS = 90
    settings.RETENTION_MESSAGE_TEXT_HOURS = 6
    text = text_of(client.get(reverse("privacy:notice")))
    assert "90 Tage nach dem letzten Termin" in text
    assert "6 Stunden, nachdem sie an den Anbieter" in text
    assert "28 Tage" not in text
    assert "1 Tag, nachdem sie an den Anbieter" not in text


def test_a_single_day_is_said_in_the_singular(client, settings):
    settings.RETENTION_DAYS = 1
    assert "1 Tag nach dem letzten Termin" in text_of(client.get(reverse("privacy:notice")))


def test_the_controller_and_the_privacy_officer_come_from_the_settings(client, settings):
    settings.PORTAL_OPERATOR_NAME = "Landesamt für Impfungen"
    settings.PORTAL_OPERATOR_ADDRESS = "Musterweg 1, 12345 Musterstadt"
    settings.PRIVACY_OFFICER_EMAIL = "dsb@impfen.example"
    text = text_of(client.get(reverse("privacy:notice")))
    assert "Landesamt für Impfungen" in text
    assert "Musterweg 1, 12345 Musterstadt" in text
    assert 'href="mailto:dsb@impfen.example"' in text
    assert "Die Landesbeauftragte für den Datenschutz Niedersachsen" in text
