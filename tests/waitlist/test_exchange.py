"""The exchange hands freed seats to the next matching waiting place."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from booking.services import cancel_series
from centers.models import Slot
from centers.services import release_seats
from centers.signals import seats_freed
from sms.models import Message
from tests import factories
from tests.waitlist.helpers import book, link_of, make_entry, open_offer_of, seat_problems
from waitlist import exchange
from waitlist.models import Entry, Offer
from waitlist.offers import decline_offer

pytestmark = pytest.mark.django_db


def cancel(series):
    return cancel_series(household=series.person.household, booking_code=series.booking_code)


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def test_a_cancelled_seat_goes_to_the_first_in_line_with_both_doses_held(booked, pair, center):
    first, second = pair
    later = make_entry(factories.make_person(first_name="Later"), center=center)
    earlier = make_entry(
        factories.make_person(first_name="Earlier"), center=center, joined_at=days_ago(1)
    )

    cancel(booked)

    offer = open_offer_of(earlier)
    assert offer is not None
    assert open_offer_of(later) is None
    assert (offer.first_slot, offer.second_slot) == (first, second)
    earlier.refresh_from_db()
    assert earlier.status == Entry.Status.OFFERED
    first.refresh_from_db()
    second.refresh_from_db()
    # The cancelled seats are back and held again by the offer.
    assert (first.booked, second.booked) == (1, 1)
    assert seat_problems() == []


def test_the_offer_sms_is_queued_with_the_link_and_the_time_to_answer(booked, waiting):
    cancel(booked)
    offer = open_offer_of(waiting)
    assert offer is not None
    assert offer.message_id is not None
    message = Message.objects.get(pk=offer.message_id)
    assert message.priority == Message.Priority.OFFER
    assert message.recipient == waiting.person.household.phone
    assert message.idempotency_key == f"offer:{offer.pk}"
    assert f"/offer/{offer.pk}/" in message.body
    assert exchange.describe_duration(offer.hold).split()[0] in message.body
    # The link's token is stored only as a hash.
    token = message.body.rsplit("/", 2)[-2]
    assert offer.token_hash == exchange.hash_token(token)
    assert token not in offer.token_hash


def test_the_priority_group_goes_before_the_time_of_joining_and_nobody_gets_a_slot_twice(
    booked, pair, center
):
    first, _ = pair
    group_two = make_entry(
        factories.make_person(first_name="Zwei"), center=center, rank=2, joined_at=days_ago(3)
    )
    one_late = make_entry(
        factories.make_person(first_name="Spaet"), center=center, joined_at=days_ago(1)
    )
    one_early = make_entry(
        factories.make_person(first_name="Frueh"), center=center, joined_at=days_ago(2)
    )
    cancel(booked)

    served = []
    for _round in range(3):
        offer = Offer.objects.get(status=Offer.Status.OPEN, first_slot=first)
        served.append(offer.entry_id)
        exchange_decline(offer)
    assert served == [one_early.pk, one_late.pk, group_two.pk]
    # All three declined this slot: it is not offered to any of them again.
    assert not Offer.objects.filter(status=Offer.Status.OPEN).exists()
    first.refresh_from_db()
    assert first.booked == 0
    assert seat_problems() == []


def exchange_decline(offer):
    _path, token = link_of(offer)
    decline_offer(offer_id=offer.pk, token=token)


@pytest.mark.parametrize(
    "preference",
    ["other weekday", "afternoons", "other vaccine", "other center", "other district"],
)
def test_an_entry_whose_wishes_do_not_match_is_passed_over(
    preference, booked, pair, center, vaccine
):
    first, _ = pair
    weekday = timezone.localtime(first.starts_at).weekday()
    wishes: dict[str, dict[str, Any]] = {
        "other weekday": {"weekdays": 0b1111111 ^ (1 << weekday)},
        "afternoons": {"time_of_day": Entry.TimeOfDay.AFTERNOON},  # the slot is at 10:00
        "other vaccine": {"vaccines": [factories.make_vaccine("Moderna", 28)]},
        "other center": {
            "center": factories.make_center("Impfzentrum Laatzen", district=center.district)
        },
        "other district": {
            "center": factories.make_center(
                "Impfzentrum Celle", district=factories.make_district("Landkreis Celle")
            )
        },
    }
    options = wishes[preference]
    choosy = make_entry(
        factories.make_person(first_name="Choosy"),
        **{"center": center, **options},
        joined_at=days_ago(5),
    )
    flexible = make_entry(factories.make_person(first_name="Flexible"), center=center)

    cancel(booked)

    assert open_offer_of(choosy) is None
    assert open_offer_of(flexible) is not None


def test_a_district_wide_entry_gets_seats_of_any_center_in_the_district(booked, center):
    anywhere = make_entry(
        factories.make_person(), center=None, district=center.district, joined_at=days_ago(1)
    )
    make_entry(factories.make_person(first_name="Here"), center=center)
    cancel(booked)
    assert open_offer_of(anywhere) is not None


def test_without_a_second_dose_seat_nothing_is_offered_or_held(pair, waiting, vaccine):
    first, second = pair
    Slot.objects.filter(pk=second.pk).update(capacity=0)

    release_seats([Slot.objects.get(pk=first.pk)])  # nothing booked: frees nothing, offers

    assert not Offer.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.WAITING
    assert Slot.objects.get(pk=first.pk).booked == 0


def test_a_slot_starting_too_soon_is_not_offered(center, vaccine, open_for_80, waiting):
    soon = timezone.now() + timedelta(minutes=45)
    first = factories.make_slot(center, vaccine, soon, capacity=1)
    factories.make_slot(center, vaccine, soon + timedelta(days=21), capacity=1)
    seats_freed.send(sender=Slot, slot_ids=[first.pk])
    assert not Offer.objects.exists()


def test_someone_who_booked_directly_is_not_offered_a_seat(booked, pair, center, vaccine):
    already = make_entry(factories.make_person(first_name="Booked"), center=center)
    first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(5))
    book(already.person, first)
    nxt = make_entry(factories.make_person(first_name="Next"), center=center)

    cancel(booked)

    assert open_offer_of(already) is None
    assert open_offer_of(nxt) is not None


def test_a_rolled_back_cancellation_offers_nothing(booked, waiting):
    offered_inside = []

    def cancel_then_fail():
        with transaction.atomic():
            cancel(booked)
            offered_inside.append(open_offer_of(waiting))
            raise RuntimeError("the request failed after cancelling")

    with pytest.raises(RuntimeError):
        cancel_then_fail()
    assert offered_inside[0] is not None
    assert not Offer.objects.exists()
    assert not Message.objects.filter(priority=Message.Priority.OFFER).exists()


def test_a_failing_exchange_does_not_break_the_cancellation(booked, waiting, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(exchange, "offer_free_seats", broken)
    cancel(booked)

    booked.refresh_from_db()
    assert not booked.is_active
    task = DBTaskResult.objects.get(task_path="waitlist.tasks.offer_free_seats")
    monkeypatch.undo()
    assert not Offer.objects.exists()

    task.task.call(*task.task_result.args, **task.task_result.kwargs)
    assert open_offer_of(waiting) is not None


def test_many_new_slots_are_offered_by_a_background_task(center, vaccine, waiting, settings):
    settings.WAITLIST_INLINE_SLOTS = 2
    day = factories.days_ahead(4)
    slots = [
        factories.make_bookable_pair(center, vaccine, day=day, hour=hour)[0] for hour in (9, 10, 11)
    ]
    seats_freed.send(sender=Slot, slot_ids=[slot.pk for slot in slots])
    assert not Offer.objects.exists()

    task = DBTaskResult.objects.get(task_path="waitlist.tasks.offer_free_seats")
    assert task.task.call(*task.task_result.args, **task.task_result.kwargs) == 1
    offer = open_offer_of(waiting)
    assert offer is not None
    assert offer.first_slot == slots[0]


def test_an_ended_offer_passes_its_seats_on_in_the_same_transaction(booked, pair, center):
    first, _ = pair
    make_entry(factories.make_person(first_name="One"), center=center, joined_at=days_ago(2))
    two = make_entry(factories.make_person(first_name="Two"), center=center, joined_at=days_ago(1))
    cancel(booked)
    exchange_decline(Offer.objects.get(status=Offer.Status.OPEN))
    offer = open_offer_of(two)
    assert offer is not None
    assert offer.first_slot == first
    assert seat_problems() == []
