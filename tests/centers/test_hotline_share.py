"""Issue 19: a share of each release held for the hotline for some hours.

Through the admin's release form and the services, on PostgreSQL: off by default,
held seats on both doses that the web never shows, the hold's end (seats to the
waiting list first, harmless twice), a cancelled day, and bad form input.
"""

import html
from dataclasses import replace
from datetime import time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from booking.selectors import free_days, free_slots_on
from booking.staff import cancel_day
from centers.errors import CenterError
from centers.hotline_hold import end_due_hotline_holds, spread_hotline_seats, still_held
from centers.models import Center, Slot, SlotRelease
from centers.release import ReleaseRequest, plan_release
from centers.stock import stock_for
from tests import factories
from tests.journeys import german
from tests.staff.conftest import logged_in, make_staff
from tests.staff.helpers import release_data
from waitlist.management.commands import waitlist_sweep
from waitlist.models import Offer
from waitlist.services import join_waitlist

pytestmark = pytest.mark.django_db

RELEASE = reverse("admin:centers_slot_release")
END_TASK = "centers.tasks.end_hotline_holds"


@pytest.fixture
def stocked(center, vaccine, open_for_80):
    factories.make_delivery(center, vaccine, doses=1000)
    return center


@pytest.fixture
def staff(center):
    return make_staff("impfzentrum", center)


@pytest.fixture
def desk(staff):
    return logged_in(staff)


@pytest.fixture
def run_worker(monkeypatch):
    """Every due background task with the project's real worker (see
    tests/waitlist/test_offer_deadline.py: the worker must not close this test's
    connection)."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0
    )


def release(desk, center, vaccine, **overrides) -> SlotRelease:
    """Preview and confirm a release through the admin page (tomorrow 08:00-09:00,
    every 10 minutes, 2 lanes: six times, twelve appointments)."""
    data = release_data(center, vaccine, **overrides)
    preview = desk.post(RELEASE, data)
    assert preview.context["stage"] == "preview", preview.context["form"].errors
    confirmed = desk.post(
        RELEASE, {**data, "confirm": "1", "fingerprint": preview.context["plan"].fingerprint}
    )
    assert confirmed.status_code == 302
    return SlotRelease.objects.get()


def firsts(center) -> list[Slot]:
    return list(Slot.objects.first_doses().filter(center=center).order_by("starts_at"))


def seconds(center) -> list[Slot]:
    return list(Slot.objects.second_doses().filter(center=center).order_by("starts_at"))


def counters(center) -> list[tuple]:
    return list(
        Slot.objects.filter(center=center)
        .order_by("starts_at", "dose")
        .values_list("pk", "capacity", "booked", "hotline_held", "withdrawn")
    )


# --- off by default ------------------------------------------------------------


def test_a_release_without_a_share_holds_nothing(desk, stocked, vaccine):
    created = release(desk, stocked, vaccine)
    assert (created.hotline_share, created.hotline_appointments) == (0, 0)
    assert created.hotline_until is None
    assert all(slot.hotline_held == 0 and slot.booked == 0 for slot in Slot.objects.all())
    assert free_days(stocked, [vaccine]) == [(factories.days_ahead(1), 12)]
    assert not DBTaskResult.objects.filter(task_path=END_TASK).exists()


def test_the_form_starts_with_no_share(desk, stocked):
    form = desk.get(RELEASE).context["form"]
    assert form["hotline_share"].value() == 0
    assert not form["hotline_hours"].value()


# --- held seats ------------------------------------------------------------------


def test_a_share_holds_series_seats_on_both_doses_and_the_web_does_not_show_them(
    desk, stocked, vaccine
):
    before = timezone.now()
    created = release(desk, stocked, vaccine, hotline_share="50", hotline_hours="4")

    assert (created.hotline_share, created.hotline_hours) == (50, 4)
    assert created.hotline_appointments == 6
    assert created.hotline_until is not None
    assert (
        before + timedelta(hours=4) <= created.hotline_until <= timezone.now() + timedelta(hours=4)
    )
    for slot in firsts(stocked):
        assert (slot.capacity, slot.booked, slot.hotline_held) == (2, 1, 1)
        assert slot.hotline_held_until == created.hotline_until
    for slot in seconds(stocked):
        assert (slot.capacity, slot.booked, slot.hotline_held) == (2, 1, 1)
    # The web counts the other half only: the day list, each time and the start page.
    tomorrow = factories.days_ahead(1)
    assert free_days(stocked, [vaccine]) == [(tomorrow, 6)]
    shown = Slot.objects.filter(pk__in=[s.pk for s in free_slots_on(stocked, [vaccine], tomorrow)])
    assert [s.free_appointments for s in shown.with_free_appointments()] == [1] * 6
    # The stock binds held seats like any other seat of a slot to come.
    assert stock_for(center_id=stocked.pk, vaccine_id=vaccine.pk).available == 1000 - 24
    task = DBTaskResult.objects.get(task_path=END_TASK)
    assert task.run_after == created.hotline_until


def test_a_full_share_leaves_nothing_free_on_the_web_and_offers_nothing(desk, stocked, vaccine):
    waiting = factories.make_person(postal_code="30159")
    join_waitlist(person=waiting, center=stocked)

    release(desk, stocked, vaccine, hotline_share="100", hotline_hours="2")

    assert free_days(stocked, [vaccine]) == []
    assert Center.objects.with_availability().get(pk=stocked.pk).next_free_at is None
    assert not Offer.objects.exists()
    assert all(s.booked == s.capacity == s.hotline_held == 2 for s in Slot.objects.all())


def test_the_share_is_spread_over_the_times_and_rounded_down_over_the_release(
    desk, stocked, vaccine
):
    data = release_data(stocked, vaccine, hotline_share="25", hotline_hours="3")
    preview = desk.post(RELEASE, data)
    plan = preview.context["plan"]
    # 25 % of two lanes is half a seat a time: every second time holds one.
    assert list(plan.hotline_seats_by_time().values()) == [0, 1, 0, 1, 0, 1]
    assert plan.hotline_appointments == 3
    assert (
        german(
            "%(held)s of them (%(share)s %%) is held for the hotline for %(hours)s hours "
            "after the release; then, if the hotline has not booked it, it is free for "
            "everyone and the waiting list gets it first.",
            "%(held)s of them (%(share)s %%) are held for the hotline for %(hours)s hours "
            "after the release; then those the hotline has not booked are free for "
            "everyone and the waiting list gets them first.",
            count=3,
            held=3,
            share=25,
            hours=3,
        )
        in preview.content.decode()
    )
    assert not Slot.objects.exists()  # a preview changes nothing

    release(desk, stocked, vaccine, hotline_share="25", hotline_hours="3")
    assert [s.hotline_held for s in firsts(stocked)] == [0, 1, 0, 1, 0, 1]
    assert [s.hotline_held for s in seconds(stocked)] == [0, 1, 0, 1, 0, 1]


@pytest.mark.parametrize(
    ("times", "lanes", "share", "expected"),
    [
        (4, 2, 0, [0, 0, 0, 0]),
        (4, 2, 100, [2, 2, 2, 2]),
        (3, 3, 50, [1, 2, 1]),
        (5, 1, 10, [0, 0, 0, 0, 0]),
        (10, 1, 10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ],
)
def test_each_time_holds_its_share_rounded_down_or_up(times, lanes, share, expected):
    spread = spread_hotline_seats(times=times, lanes=lanes, share=share)
    assert spread == expected
    assert sum(spread) == times * lanes * share // 100
    assert all(0 <= seats <= lanes for seats in spread)


def test_the_release_page_says_how_many_are_held_and_until_when(desk, stocked, vaccine):
    created = release(desk, stocked, vaccine, hotline_share="50", hotline_hours="4")
    page = desk.get(reverse("admin:centers_slotrelease_change", args=[created.pk]))
    text = page.content.decode()
    assert (
        german("%(count)d of them is still held.", "%(count)d of them are still held.", count=6)
        in text
    )
    assert still_held(created) == 6
    listing = desk.get(reverse("admin:centers_slotrelease_changelist")).content.decode()
    assert "column-hotline" in listing
    assert 'class="field-hotline">6</td>' in listing


def test_a_share_changed_after_the_preview_is_not_released(desk, stocked, vaccine):
    """The share is part of what staff confirm: a different one needs a new preview."""
    data = release_data(stocked, vaccine, hotline_share="10", hotline_hours="4")
    fingerprint = desk.post(RELEASE, data).context["plan"].fingerprint
    response = desk.post(
        RELEASE,
        {**data, "hotline_share": "100", "confirm": "1", "fingerprint": fingerprint},
        follow=True,
    )
    assert response.context["stage"] == "preview"
    assert (
        german("The appointments have changed since the preview. Please check them again.")
        in response.content.decode()
    )
    assert not Slot.objects.exists()
    assert not SlotRelease.objects.exists()


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "hours", "field", "message"),
    [
        ("150", "4", "hotline_share", "Enter a share between 0 and 100 percent."),
        ("-5", "4", "hotline_share", "Enter a share between 0 and 100 percent."),
        ("viel", "4", "hotline_share", "Enter the share as a whole number between 0 and 100."),
        (
            "10",
            "",
            "hotline_hours",
            "Enter for how many hours the hotline's share is held (at least 1).",
        ),
        ("10", "0", "hotline_hours", "Enter at least 1 hour."),
        ("10", "500", "hotline_hours", "Hold the appointments for at most %(limit_value)s hours."),
    ],
)
def test_bad_share_input_shows_a_plain_german_error_and_releases_nothing(
    desk, stocked, vaccine, share, hours, field, message
):
    data = release_data(stocked, vaccine, hotline_share=share, hotline_hours=hours)
    expected = german(message, limit_value=168) if "%(" in message else german(message)
    for step in ({}, {"confirm": "1", "fingerprint": "x"}):
        response = desk.post(RELEASE, {**data, **step})
        assert response.status_code == 200
        assert response.context["stage"] == "form"
        assert response.context["form"].errors[field] == [html.unescape(expected)]
        assert expected in response.content.decode()
    assert not Slot.objects.exists()
    assert not SlotRelease.objects.exists()


def test_the_service_refuses_a_share_without_hours_too(stocked, vaccine):
    day = factories.days_ahead(1)
    request = ReleaseRequest(
        center=stocked,
        vaccine=vaccine,
        first_day=day,
        last_day=day,
        weekdays=frozenset(range(1, 8)),
        opens_at=time(8),
        closes_at=time(9),
        interval_minutes=10,
        lanes=2,
        hotline_share=20,
    )
    with pytest.raises(CenterError):
        plan_release(request)
    with pytest.raises(CenterError):
        plan_release(replace(request, hotline_share=101, hotline_hours=2))
    with pytest.raises(CenterError):
        plan_release(replace(request, hotline_hours=169))
    assert plan_release(replace(request, hotline_hours=168)).hotline_appointments == 2


# --- the end of the hold ---------------------------------------------------------


def test_after_the_hours_the_seats_are_given_back_and_offered_to_the_waiting_list_first(
    desk, stocked, vaccine, run_worker
):
    waiting = factories.make_person(postal_code="30159")
    join_waitlist(person=waiting, center=stocked)
    created = release(desk, stocked, vaccine, hotline_share="100", hotline_hours="2")
    assert not Offer.objects.exists()
    assert created.hotline_until is not None

    with time_machine.travel(created.hotline_until - timedelta(minutes=1), tick=False):
        run_worker()
        assert end_due_hotline_holds() == 0
    assert all(s.hotline_held == 2 for s in Slot.objects.all())  # not yet

    with time_machine.travel(created.hotline_until + timedelta(minutes=1), tick=False):
        run_worker()
    assert DBTaskResult.objects.get(task_path=END_TASK).status == TaskResultStatus.SUCCESSFUL
    assert all(s.hotline_held == 0 for s in Slot.objects.all())
    # The waiting person was offered the first time (its two seats held by the offer),
    # everything else is free for everyone.
    offer = Offer.objects.get()
    assert offer.entry.person == waiting
    assert offer.first_slot == firsts(stocked)[0]
    booked = {s.pk: s.booked for s in Slot.objects.all()}
    assert booked.pop(offer.first_slot_id) == 1
    assert booked.pop(offer.second_slot_id) == 1
    assert set(booked.values()) == {0}
    assert free_days(stocked, [vaccine]) == [(factories.days_ahead(1), 11)]
    assert still_held(created) == 0


def test_ending_the_hold_twice_changes_nothing(desk, stocked, vaccine):
    created = release(desk, stocked, vaccine, hotline_share="50", hotline_hours="1")
    assert created.hotline_until is not None
    with time_machine.travel(created.hotline_until, tick=False):
        assert end_due_hotline_holds() == 6
        after_first = counters(stocked)
        assert end_due_hotline_holds() == 0
        assert counters(stocked) == after_first
    assert all(booked == 0 and held == 0 for _pk, _cap, booked, held, _w in after_first)


def test_the_waiting_list_sweep_ends_a_hold_whose_task_was_lost(
    desk, stocked, vaccine, monkeypatch
):
    created = release(desk, stocked, vaccine, hotline_share="50", hotline_hours="1")
    DBTaskResult.objects.filter(task_path=END_TASK).delete()  # a lost task
    monkeypatch.setattr(waitlist_sweep, "close_old_connections", lambda: None)
    out = StringIO()
    with time_machine.travel(created.hotline_until, tick=False):
        call_command("waitlist_sweep", "--once", stdout=out)
    assert "hotline_holds_ended=6" in out.getvalue()
    assert all(s.booked == s.hotline_held == 0 for s in Slot.objects.all())


def test_a_hold_ends_in_batches_each_offering_its_own_seats(desk, stocked, vaccine):
    created = release(desk, stocked, vaccine, hotline_share="100", hotline_hours="1")
    with time_machine.travel(created.hotline_until, tick=False):
        assert end_due_hotline_holds(batch=4) == 12
    assert all(s.booked == s.hotline_held == 0 for s in Slot.objects.all())


# --- a cancelled day -------------------------------------------------------------


def test_cancelling_a_day_with_held_seats_withdraws_them_with_the_free_ones(
    desk, staff, stocked, vaccine
):
    created = release(desk, stocked, vaccine, hotline_share="50", hotline_hours="4")
    cancel_day(center=stocked, day=factories.days_ahead(1), by=staff)

    for slot in Slot.objects.all():
        # Nothing held, nothing free, no seat lost: every seat is withdrawn.
        assert (slot.capacity, slot.booked, slot.hotline_held, slot.withdrawn) == (0, 0, 0, 2)
    assert stock_for(center_id=stocked.pk, vaccine_id=vaccine.pk).available == 1000
    assert created.hotline_until is not None
    with time_machine.travel(created.hotline_until, tick=False):
        assert end_due_hotline_holds() == 0
    assert all(slot.booked == 0 for slot in Slot.objects.all())


def test_cancelling_the_second_dose_day_frees_the_held_first_doses_too(
    desk, staff, stocked, vaccine
):
    release(desk, stocked, vaccine, hotline_share="50", hotline_hours="4")
    second_day = factories.days_ahead(1 + vaccine.second_dose_interval_days)
    cancel_day(center=stocked, day=second_day, by=staff)

    for slot in Slot.objects.all():
        # The first doses lost their second doses: none can be booked or held any more.
        assert (slot.capacity, slot.booked, slot.hotline_held) == (0, 0, 0)
    assert free_days(stocked, [vaccine]) == []
    assert stock_for(center_id=stocked.pk, vaccine_id=vaccine.pk).available == 1000
