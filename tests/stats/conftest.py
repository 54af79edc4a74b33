"""Accounts of every kind that may knock on the statistics' door, and counter helpers."""

from datetime import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Sum

from centers.models import Slot
from centers.release import ReleaseRequest, plan_release, release_slots
from centers.signals import slots_released
from stats.models import DailyCounter
from tests.staff.helpers import book
from tests.waitlist.helpers import open_offer_of
from waitlist.models import Offer


def make_user(username: str, *, groups=(), **flags):
    user = get_user_model().objects.create_user(username=username, password="x", **flags)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def figure(metric, **place) -> int:
    """The sum of a counter over its shards (and days), for one place or all."""
    return (
        DailyCounter.objects.filter(metric=metric, **place).aggregate(total=Sum("value"))["total"]
        or 0
    )


@pytest.fixture
def ministry_user(db):
    return make_user("ministerium", groups=["ministry"])


@pytest.fixture
def ministry_client(client, ministry_user):
    client.force_login(ministry_user)
    # The first request of a session notes when it was last used (one session
    # write); later requests within the minute do not. Query counts compare
    # later requests.
    client.get("/statistics/")
    return client


def release(center, vaccine, *, day, lanes: int = 1, opens=time(8), closes=time(9), by=None):
    """Release one day's appointments every 30 minutes through the staff's bulk release."""
    request = ReleaseRequest(
        center=center,
        vaccine=vaccine,
        first_day=day,
        last_day=day,
        weekdays=frozenset(range(1, 8)),
        opens_at=opens,
        closes_at=closes,
        interval_minutes=30,
        lanes=lanes,
    )
    return release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=by)


def book_in_the_past(center, vaccine, *, at, names):
    """People booked into a time that has come (see ``tests.staff.helpers.book``).

    A release cannot lie in the past, so the slots are made directly (each
    first-dose slot with its second-dose slot); they are counted as released the
    way their release would have counted them: every seat each slot has, of
    which the statistics count the first doses.
    """
    series = book(center, vaccine, at=at, names=names)
    slots = list(
        Slot.objects.filter(appointments__series__in=series)
        .distinct()
        .order_by("starts_at", "dose", "pk")
    )
    slots_released.send(sender=Slot, slots=slots, seats={slot.pk: slot.capacity for slot in slots})
    return series


def offer_of(entry) -> Offer:
    """The entry's open offer, which the test expects it to have."""
    offer = open_offer_of(entry)
    assert offer is not None, f"{entry} has no open offer"
    return offer
