"""Dates and times in the locale's own form: "Samstag, 5. Dezember 2026, 09:00 Uhr"
in German, "Saturday, 5 December 2026, 09:00" in English."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import formats, translation

from booking.models import Series
from tests import factories
from tests.booking.conftest import in_english
from tests.journeys import add_person_via_page, book_via_page, sent_messages, time_page

pytestmark = pytest.mark.django_db

SATURDAY = factories.local_datetime(date(2026, 12, 5), 9)


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("de", "WEEKDAY_DATETIME_FORMAT", "Samstag, 5. Dezember 2026, 09:00 Uhr"),
        ("en", "WEEKDAY_DATETIME_FORMAT", "Saturday, 5 December 2026, 09:00"),
        ("de", "WEEKDAY_DATE_FORMAT", "Samstag, 5. Dezember 2026"),
        ("en", "WEEKDAY_DATE_FORMAT", "Saturday, 5 December 2026"),
        ("de", "DATE_FORMAT", "5. Dezember 2026"),
        ("en", "DATE_FORMAT", "5 December 2026"),
        ("de", "TIME_OF_DAY_FORMAT", "09:00 Uhr"),
        ("en", "TIME_OF_DAY_FORMAT", "09:00"),
        ("de", "SMS_DATETIME_FORMAT", "Sa 05.12.2026 09:00"),
        ("en", "SMS_DATETIME_FORMAT", "Sat 5 Dec 2026 09:00"),
        ("de", "SHORT_WEEKDAY_DATE_FORMAT", "Sa 05.12.2026"),
        ("en", "SHORT_WEEKDAY_DATE_FORMAT", "Sat 05/12/2026"),
        ("de", "SHORT_DATE_FORMAT", "05.12.2026"),
        ("en", "SHORT_DATE_FORMAT", "05/12/2026"),
    ],
)
def test_each_named_format_reads_naturally(language, name, expected):
    from django.utils.timezone import localtime

    with translation.override(language):
        assert formats.date_format(localtime(SATURDAY), name) == expected


@pytest.fixture
def booked_in_english(verified_client, open_for_80, center, vaccine):
    in_english(verified_client)
    add_person_via_page(verified_client, birth_day="1", birth_month="1", birth_year="1942")
    person = verified_client.get(reverse("booking:people")).context["members"][0][0]
    first, _second = factories.make_bookable_pair(center, vaccine)
    book_via_page(verified_client, person, first)
    return Series.objects.get(), person, first


# "Saturday, 5. December" and "09:00 o'clock" are German forms in English words.
GERMAN_IN_ENGLISH = re.compile(
    r"\d\. (January|February|March|April|May|June|July|August|"
    r"September|October|November|December)|o&#x27;clock|o'clock"
)


def test_my_appointments_in_english_use_english_dates(verified_client, booked_in_english):
    content = verified_client.get(reverse("booking:my_appointments")).content.decode()
    assert re.search(r"day, \d{1,2} [A-Z][a-z]+ \d{4}, 10:00</td>", content)
    assert not GERMAN_IN_ENGLISH.search(content)


def test_my_appointments_in_german_say_uhr(client, phone, open_for_80, center, vaccine):
    from tests.journeys import verify

    verify(client, phone)
    add_person_via_page(client)
    person = client.get(reverse("booking:people")).context["members"][0][0]
    first, _ = factories.make_bookable_pair(center, vaccine)
    book_via_page(client, person, first)
    content = client.get(reverse("booking:my_appointments")).content.decode()
    # Any weekday: "Mittwoch" does not end in "tag" (the test failed three days before a Wednesday).
    weekday = "(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"
    assert re.search(weekday + r", \d{1,2}\. [A-ZÄ][a-zä]+ \d{4}, 10:00 Uhr</td>", content)


def test_the_birthday_in_english_reads_born_on_1_january_1942(verified_client, booked_in_english):
    content = verified_client.get(reverse("booking:people")).content.decode()
    assert "Born on 1 January 1942" in content


def test_the_birthday_in_german_reads_geboren_am(verified_client, open_for_80):
    add_person_via_page(verified_client, birth_day="1", birth_month="1", birth_year="1942")
    content = verified_client.get(reverse("booking:people")).content.decode()
    assert "Geboren am 1. Januar 1942" in content


def test_the_time_choice_in_english_has_no_oclock(verified_client, open_for_80, center, vaccine):
    in_english(verified_client)
    add_person_via_page(verified_client)
    person = verified_client.get(reverse("booking:people")).context["members"][0][0]
    first, _ = factories.make_bookable_pair(center, vaccine)
    content = verified_client.get(time_page(person, first)).content.decode()
    assert "10:00 \N{EN DASH}" in content
    assert not GERMAN_IN_ENGLISH.search(content)


def test_the_english_text_message_uses_english_dates(verified_client, booked_in_english):
    bodies = [m.body for m in sent_messages(verified_client.phone)]
    [confirmation] = [body for body in bodies if "booked" in body]
    assert re.search(r"1st dose: [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} 10:00", confirmation)


MACHINE_PATTERNS = {"Y-m-d", "c"}


def spelled_out_patterns(template_text):
    """The ``|date:`` arguments that are a pattern, not a format's name."""
    return [
        pattern
        for pattern in re.findall(r"""\|date:["']([^"']*)["']""", template_text)
        if pattern not in MACHINE_PATTERNS and not re.fullmatch(r"[A-Z_]+", pattern)
    ]


def test_no_template_spells_out_a_languages_date_pattern():
    """Templates name a format (``|date:"DATE_FORMAT"``); a pattern such as
    ``"d.m.Y"`` would show German dates on the English pages."""
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "templates"
    spelled_out = {
        str(path.relative_to(templates)): patterns
        for path in templates.rglob("*.html")
        if (patterns := spelled_out_patterns(path.read_text()))
    }
    assert spelled_out == {}


def test_the_template_check_finds_a_spelled_out_pattern():
    text = """{{ a|date:"d.m.Y" }} {{ b|date:'Y-m-d' }} {{ c|date:"DATE_FORMAT" }}"""
    assert spelled_out_patterns(text) == ["d.m.Y"]
