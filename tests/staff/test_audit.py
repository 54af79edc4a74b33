"""The audit log: every staff change, readable per center, never edited or deleted."""

import pytest
from django.urls import reverse

from centers import audit
from centers.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

LOG = reverse("admin:centers_auditentry_changelist")


@pytest.fixture
def entries(center_a, center_b, staff_a, staff_b, vaccine):
    own = audit.record(
        user=staff_a,
        center_id=center_a.pk,
        action="added",
        obj=factories.make_delivery(center_a, vaccine),
    )
    other = audit.record(
        user=staff_b,
        center_id=center_b.pk,
        action="added",
        obj=factories.make_delivery(center_b, vaccine),
    )
    return own, other


def test_staff_read_the_log_of_their_own_center_only(client_a, entries):
    own, other = entries
    response = client_a.get(LOG)
    assert [entry.pk for entry in response.context["cl"].queryset] == [own.pk]
    assert (
        client_a.get(reverse("admin:centers_auditentry_change", args=[own.pk])).status_code == 200
    )
    other_url = reverse("admin:centers_auditentry_change", args=[other.pk])
    assert client_a.get(other_url).status_code == 404


def test_nobody_edits_or_deletes_the_log_not_even_a_superuser(client_a, client_operator, entries):
    own, _other = entries
    for client in (client_a, client_operator):
        assert client.get(reverse("admin:centers_auditentry_add")).status_code == 403
        change = reverse("admin:centers_auditentry_change", args=[own.pk])
        assert client.post(change, {"username": "someone else"}).status_code == 403
        delete = reverse("admin:centers_auditentry_delete", args=[own.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        client.post(LOG, {"action": "delete_selected", "_selected_action": [own.pk], "post": "yes"})
        page = client.get(LOG)
        assert page.context["action_form"] is None  # no action at all, so no bulk delete
    own.refresh_from_db()
    assert own.username == "staff-a"


def test_the_log_says_who_did_what_in_words(client_a, entries):
    content = client_a.get(LOG).content.decode()
    own, _other = entries
    assert "staff-a" in content
    assert own.object_repr in content


def test_exports_are_logged(client_a, staff_a, center_a, vaccine):
    factories.make_delivery(center_a, vaccine)
    response = client_a.post(
        reverse("admin:centers_delivery_changelist"),
        {"action": "export_csv", "select_across": "1", "_selected_action": ["0"]},
    )
    assert response["Content-Type"].startswith("text/csv")
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.user, entry.center, entry.details) == (staff_a, center_a, {"rows": 1})
    assert audit.describe(entry)


def test_the_export_does_not_let_a_spreadsheet_run_a_name(client_a, center_a, vaccine, open_for_80):
    from tests.staff.helpers import book, earlier_today

    book(center_a, vaccine, at=earlier_today(), names=["=HYPERLINK(1) Meyer"])
    response = client_a.post(
        reverse("admin:booking_appointment_changelist") + "?day=all",
        {"action": "export_csv", "select_across": "1", "_selected_action": ["0"]},
    )
    assert ";'=HYPERLINK(1);" in response.content.decode()
