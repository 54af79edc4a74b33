"""A seat held for the hotline is given back while the waiting list can still
offer it: a hold never outlasts the waiting list's notice before its time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from centers.hotline_hold import end_due_hotline_holds, hold_for_hotline
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_hold_ends_the_notice_before_a_time_that_comes_before_the_hours_end(
    settings, center, vaccine
):
    settings.WAITLIST_MIN_NOTICE = timedelta(minutes=90)
    now = timezone.now()
    soon = factories.make_slot(center, vaccine, now + timedelta(hours=3))
    later = factories.make_slot(center, vaccine, now + timedelta(days=2))
    hold_for_hotline(seats={soon: 1, later: 1}, until=now + timedelta(hours=4))

    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.hotline_held == 1
    assert soon.hotline_held_until == soon.starts_at - timedelta(minutes=90)
    assert later.hotline_held_until == now + timedelta(hours=4)

    # When that moment comes, the seat is given back, in time to be offered.
    end_due_hotline_holds(now=soon.hotline_held_until)
    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.hotline_held, soon.booked) == (0, 0)
    assert later.hotline_held == 1


def test_a_time_within_the_notice_is_not_held(settings, center, vaccine):
    settings.WAITLIST_MIN_NOTICE = timedelta(minutes=90)
    now = timezone.now()
    close = factories.make_slot(center, vaccine, now + timedelta(minutes=60))
    hold_for_hotline(seats={close: 1}, until=now + timedelta(hours=4))
    close.refresh_from_db()
    assert (close.hotline_held, close.booked) == (0, 0)
    second = close.second_dose_slot
    assert second is not None
    second.refresh_from_db()
    assert (second.hotline_held, second.booked) == (0, 0)


def test_it_returns_the_seats_it_held(settings, center, vaccine):
    """What a release records as held for the hotline is what was held."""
    settings.WAITLIST_MIN_NOTICE = timedelta(minutes=90)
    now = timezone.now()
    close = factories.make_slot(center, vaccine, now + timedelta(minutes=60), capacity=3)
    later = factories.make_slot(center, vaccine, now + timedelta(days=2), capacity=3)
    assert hold_for_hotline(seats={close: 2, later: 2}, until=now + timedelta(hours=4)) == 2
