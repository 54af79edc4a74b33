"""Bulk release through the admin page: form, preview, release; never beyond the stock."""

import threading
from collections import Counter
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from centers.errors import CenterError
from centers.models import AuditEntry, Slot, SlotRelease
from centers.release import ReleaseRequest, plan_release, release_slots
from centers.signals import seats_freed
from centers.stock import stock_for
from tests import factories
from tests.journeys import german
from tests.staff.conftest import make_staff
from tests.staff.helpers import release_data

pytestmark = pytest.mark.django_db

RELEASE = reverse("admin:centers_slot_release")


def preview(client, data):
    response = client.post(RELEASE, data)
    assert response.status_code == 200
    return response


def confirm(client, data, fingerprint):
    return client.post(RELEASE, {**data, "confirm": "1", "fingerprint": fingerprint})


@pytest.fixture
def stocked(center_a, vaccine):
    factories.make_delivery(center_a, vaccine, doses=1000)
    return center_a


def test_the_preview_shows_appointments_days_and_doses_and_changes_nothing(
    client_a, stocked, vaccine
):
    response = preview(client_a, release_data(stocked, vaccine))
    plan = response.context["plan"]
    assert response.context["stage"] == "preview"
    # 08:00 to 09:00 every 10 minutes: six times, two lanes.
    assert plan.appointments == 12
    assert plan.doses == 24
    tomorrow = factories.days_ahead(1)
    [day] = plan.days()
    assert (day.day, day.appointments) == (tomorrow, 12)
    assert day.second_dose_day == tomorrow + timedelta(days=21)
    assert response.context["stock"].available == 1000
    assert not Slot.objects.exists()
    assert not SlotRelease.objects.exists()


def test_the_release_creates_exactly_what_the_preview_showed(client_a, stocked, vaccine):
    data = release_data(
        stocked,
        vaccine,
        last_day=factories.days_ahead(28).isoformat(),
        weekdays=["1", "3", "5"],
        lanes="3",
    )
    plan = preview(client_a, data).context["plan"]
    response = confirm(client_a, data, plan.fingerprint)
    assert response.status_code == 302

    release = SlotRelease.objects.get()
    assert (release.appointments, release.doses) == (plan.appointments, plan.doses)
    slots = list(Slot.objects.filter(center=stocked, vaccine=vaccine))
    assert sum(slot.capacity for slot in slots) == plan.doses
    seats = {(slot.starts_at, slot.dose): slot.capacity for slot in slots}
    assert seats == plan.seats_by_time()
    by_time = {(slot.starts_at, slot.dose): slot for slot in slots}
    assert len(by_time) == len(slots)
    # Each first-dose time has its lanes, and the second-dose slot reserved for it
    # the same time 21 days later, with as many seats.
    first_seats: Counter[date] = Counter()
    for first, second in zip(plan.first_dose_times, plan.second_dose_times, strict=True):
        first_seats[timezone.localdate(first)] += 3
        assert timezone.localdate(second) == timezone.localdate(first) + timedelta(days=21)
        assert timezone.localtime(second).time() == timezone.localtime(first).time()
        first_slot = by_time[(first, Slot.Dose.FIRST)]
        second_slot = by_time[(second, Slot.Dose.SECOND)]
        assert first_slot.second_dose_slot_id == second_slot.pk
        assert (first_slot.capacity, second_slot.capacity) == (3, 3)
        assert second_slot.second_dose_slot_id is None
    assert sum(1 for slot in slots if slot.dose == Slot.Dose.FIRST) == len(plan.first_dose_times)
    assert sum(1 for slot in slots if slot.dose == Slot.Dose.SECOND) == len(plan.first_dose_times)
    assert dict(first_seats) == {day.day: day.appointments for day in plan.days()}
    assert {d.isoweekday() for d in first_seats} <= {1, 3, 5}
    assert stock_for(center_id=stocked.pk, vaccine_id=vaccine.pk).available == 1000 - plan.doses


def test_the_stock_covers_first_and_second_doses_or_nothing_is_released(
    client_a, center_a, vaccine
):
    factories.make_delivery(center_a, vaccine, doses=24)
    # 6 times x 2 lanes = 12 appointments = 24 doses with the second doses: exactly enough.
    # With 3 lanes it would be 18 appointments, 36 doses.
    refused = preview(client_a, release_data(center_a, vaccine, lanes="3"))
    assert refused.context["stage"] == "form"
    message = german(
        "Not enough vaccine: %(appointments)d appointments need %(doses)d doses (first and "
        "second doses), but only %(available)d doses of %(vaccine)s are free. At most "
        "%(most)d appointments can be released. Nothing was released.",
        appointments=18,
        doses=36,
        available=24,
        vaccine="BioNTech",
        most=12,
    )
    assert message in refused.content.decode()
    assert not Slot.objects.exists()

    data = release_data(center_a, vaccine)
    plan = preview(client_a, data).context["plan"]
    assert confirm(client_a, data, plan.fingerprint).status_code == 302
    assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available == 0

    # The seats just released bind the stock even though nobody has booked them.
    later = release_data(center_a, vaccine, opens_at="14:00", closes_at="14:10", lanes="1")
    response = preview(client_a, later)
    assert response.context["stage"] == "form"
    assert Slot.objects.count() == 12


def test_a_confirmation_that_exceeds_the_stock_is_refused_too(client_a, center_a, vaccine):
    factories.make_delivery(center_a, vaccine, doses=24)
    data = release_data(center_a, vaccine)
    plan = preview(client_a, data).context["plan"]
    # Meanwhile a first-dose slot and its second-dose slot (2 + 2 seats) bind 4 of the 24 doses.
    factories.make_slot(center_a, vaccine, factories.local_datetime(factories.days_ahead(5), 12))
    assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available == 20
    response = confirm(client_a, data, plan.fingerprint)
    assert response.status_code == 200
    message = german(
        "Not enough vaccine: %(appointments)d appointments need %(doses)d doses (first and "
        "second doses), but only %(available)d doses of %(vaccine)s are free. At most "
        "%(most)d appointments can be released. Nothing was released.",
        appointments=12,
        doses=24,
        available=20,
        vaccine="BioNTech",
        most=10,
    )
    assert message in response.content.decode()
    assert not SlotRelease.objects.exists()
    assert Slot.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"first_day": "2021-01-18", "last_day": "2021-01-22"},
            "The first day has already passed. Choose today or a later day.",
        ),
        ({"lanes": "0"}, "At least one lane is needed."),
        (
            {"opens_at": "12:00", "closes_at": "08:00"},
            "The closing time must be after the opening time.",
        ),
        ({"weekdays": []}, "Choose at least one weekday."),
        (
            {"opens_at": "08:00", "closes_at": "08:05"},
            "No appointment falls into these days and hours.",
        ),
    ],
)
def test_bad_entries_get_a_plain_message_and_release_nothing(
    client_a, stocked, vaccine, overrides, message
):
    response = preview(client_a, release_data(stocked, vaccine, **overrides))
    assert response.context["stage"] == "form"
    assert german(message) in response.content.decode()
    assert not Slot.objects.exists()


def test_a_release_overlapping_an_earlier_one_is_refused(client_a, stocked, vaccine):
    data = release_data(stocked, vaccine)
    plan = preview(client_a, data).context["plan"]
    confirm(client_a, data, plan.fingerprint)
    seats = sum(Slot.objects.values_list("capacity", flat=True))

    overlapping = release_data(stocked, vaccine, opens_at="08:30", closes_at="10:00")
    response = preview(client_a, overlapping)
    assert response.context["stage"] == "form"
    assert response.context["form"].non_field_errors()
    assert SlotRelease.objects.count() == 1
    assert sum(Slot.objects.values_list("capacity", flat=True)) == seats

    # The same hours on other weekdays do not overlap.
    next_day = factories.days_ahead(2).isoformat()
    response = preview(
        client_a, release_data(stocked, vaccine, first_day=next_day, last_day=next_day)
    )
    assert response.context["stage"] == "preview"


def test_a_release_whose_times_meet_earlier_second_doses_gets_first_dose_slots_of_its_own(
    client_a, stocked, vaccine
):
    data = release_data(stocked, vaccine)
    confirm(client_a, data, preview(client_a, data).context["plan"].fingerprint)
    eight = factories.local_datetime(factories.days_ahead(22), 8)
    earlier_second = Slot.objects.get(center=stocked, starts_at=eight)
    assert (earlier_second.dose, earlier_second.capacity) == (Slot.Dose.SECOND, 2)
    before = sorted(
        Slot.objects.filter(dose=Slot.Dose.SECOND).values_list("pk", "capacity", "booked")
    )

    second_day = factories.days_ahead(22).isoformat()
    later = release_data(stocked, vaccine, first_day=second_day, last_day=second_day)
    plan = preview(client_a, later).context["plan"]
    assert confirm(client_a, later, plan.fingerprint).status_code == 302

    # At 08:00 of that day: the first release's two reserved second doses, unchanged,
    # and a slot of two first doses of the new release, paired 21 days later.
    at_eight = {slot.dose: slot for slot in Slot.objects.filter(center=stocked, starts_at=eight)}
    assert set(at_eight) == {Slot.Dose.FIRST, Slot.Dose.SECOND}
    second = at_eight[Slot.Dose.SECOND]
    assert (second.pk, second.capacity, second.booked) == (earlier_second.pk, 2, 0)
    assert second.second_dose_slot_id is None
    first = at_eight[Slot.Dose.FIRST]
    assert (first.capacity, first.booked) == (2, 0)
    assert first.second_dose_slot is not None
    assert first.second_dose_slot.pk != earlier_second.pk
    assert first.second_dose_slot.starts_at == factories.local_datetime(factories.days_ahead(43), 8)
    assert first.second_dose_slot.capacity == 2
    # Every earlier second-dose slot is as it was; the new release made six of each purpose.
    earlier_pks = {pk for pk, _capacity, _booked in before}
    assert (
        sorted(Slot.objects.filter(pk__in=earlier_pks).values_list("pk", "capacity", "booked"))
        == before
    )
    assert Slot.objects.first_doses().count() == 12
    assert Slot.objects.second_doses().count() == 12
    # The free appointments of that day are the new release's first doses only.
    assert (
        sum(
            slot.free_appointments
            for slot in Slot.objects.bookable()
            .filter(starts_at__date=factories.days_ahead(22))
            .with_free_appointments()
        )
        == 12
    )


def test_a_plan_that_changed_since_the_preview_is_shown_again(client_a, stocked, vaccine):
    data = release_data(stocked, vaccine)
    response = confirm(client_a, data, "not-the-fingerprint-of-the-preview")
    assert response.status_code == 200
    assert response.context["stage"] == "preview"
    assert not Slot.objects.exists()


def test_the_new_seats_are_offered_to_the_waiting_list(client_a, stocked, vaccine):
    received = []

    def receiver(sender, slot_ids, **kwargs):
        received.append(slot_ids)

    seats_freed.connect(receiver)
    try:
        data = release_data(stocked, vaccine)
        confirm(client_a, data, preview(client_a, data).context["plan"].fingerprint)
    finally:
        seats_freed.disconnect(receiver)
    slots = Slot.objects.order_by("starts_at", "pk")
    assert received == [[slot.pk for slot in slots]]


def test_the_release_is_in_the_audit_log(client_a, staff_a, stocked, vaccine):
    data = release_data(stocked, vaccine)
    confirm(client_a, data, preview(client_a, data).context["plan"].fingerprint)
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.center, entry.action) == (staff_a, stocked, "released")
    assert entry.object_id == str(SlotRelease.objects.get().pk)
    assert entry.details["doses"] == 24


def test_slots_are_added_only_through_the_release_page(client_a):
    response = client_a.get(reverse("admin:centers_slot_add"))
    assert response.status_code == 302
    assert response["Location"] == RELEASE


@pytest.mark.django_db(transaction=True)
def test_two_releases_at_the_same_moment_cannot_spend_the_same_doses(center_a, vaccine):
    """Each release alone fits the stock; both together would not."""
    factories.make_delivery(center_a, vaccine, doses=24)
    user = make_staff("staff-race", center_a)
    requests = []
    for hour in (8, 14):
        tomorrow = factories.days_ahead(1)
        request = ReleaseRequest(
            center=center_a,
            vaccine=vaccine,
            first_day=tomorrow,
            last_day=tomorrow,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(hour),
            closes_at=time(hour + 1),
            interval_minutes=10,
            lanes=2,
        )
        requests.append((request, plan_release(request).fingerprint))
    barrier = threading.Barrier(2)
    outcomes = []

    def release(request, fingerprint):
        try:
            barrier.wait()
            release_slots(request=request, fingerprint=fingerprint, by=user)
            outcomes.append("released")
        except CenterError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=release, args=pair) for pair in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "released"]
    assert SlotRelease.objects.count() == 1
    assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available == 0
