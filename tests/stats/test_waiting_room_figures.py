"""The ministry sees the waiting room's days on the state-wide overview."""

from datetime import date

import pytest
from django.urls import reverse

from waitingroom.models import QueueDay

pytestmark = pytest.mark.django_db


def test_the_overview_shows_the_days_queue_figures(ministry_client):
    QueueDay.objects.create(day=date(2026, 3, 1), joined=70000, admitted=25000, peak=41234)
    QueueDay.objects.create(day=date(2026, 2, 1), joined=1, admitted=1, peak=1)  # outside
    page = ministry_client.get(
        reverse("stats:overview"), {"start": "2026-02-27", "end": "2026-03-03"}
    ).content.decode()
    assert 'id="caption-waiting-room"' in page
    assert "70000" in page
    assert "25000" in page
    assert "41234" in page
    assert page.count('<td class="num">1</td>') == 0  # the day outside the period


def test_a_center_scope_has_no_waiting_room_table(ministry_client):
    QueueDay.objects.create(day=date(2026, 3, 1), joined=5, admitted=5, peak=5)
    from tests import factories

    center = factories.make_center()
    page = ministry_client.get(
        reverse("stats:overview"),
        {"start": "2026-02-27", "end": "2026-03-03", "scope": f"center:{center.slug}"},
    ).content.decode()
    assert 'id="caption-waiting-room"' not in page
