"""The same-day standby list: order, 2 x N offers, first claim wins, claims close
after 30 minutes, entries lapse at day end, no dose offered twice."""

from datetime import date, timedelta

import pytest
import time_machine

from booking.models import Appointment, Series
from centers.models import Slot
from standby import services
from standby.models import Entry, Offer, Round, Seat
from standby.services import StandbyError
from tests.standby.conftest import DAY, at, link_of, make_leftovers, on_list

pytestmark = pytest.mark.django_db
OLD = date(1940, 1, 1)  # 87 on DAY: group rank 1
YOUNGER = date(1960, 1, 1)  # 67: group rank 2


def test_offers_go_to_twice_as_many_people_by_group_then_draw(clock, center, vaccine, groups):
    make_leftovers(center, vaccine, 2)
    younger = [on_list(center, born=YOUNGER, name=f"Jung{n}") for n in range(4)]
    older = [on_list(center, born=OLD, name=f"Alt{n}") for n in range(3)]
    # The no-shows above freed seats before anyone waited: nothing was offered yet.
    assert Round.objects.count() == 0

    [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
    assert round_.doses == 2
    offered = list(Offer.objects.filter(round=round_).values_list("entry_id", flat=True))
    assert len(offered) == 4
    expected = [e.pk for e in sorted(older, key=lambda e: e.draw)] + [
        sorted(younger, key=lambda e: e.draw)[0].pk
    ]
    assert sorted(offered) == sorted(expected)
    # The draw is the day's and the center's, the same on every re-check.
    assert all(
        e.draw == services.draw_number(center_id=center.pk, day=DAY, person_id=e.person_id)
        for e in older + younger
    )


def test_staff_can_offer_fewer_doses_than_are_left(clock, center, vaccine, groups):
    make_leftovers(center, vaccine, 3)
    for n in range(6):
        on_list(center, born=OLD, name=f"Alt{n}")
    assert services.count_leftover(center_id=center.pk) == 3
    [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF, doses=1)
    assert round_.doses == 1
    assert round_.offers.count() == 2
    assert services.count_leftover(center_id=center.pk) == 2


def test_the_first_claim_wins_with_both_doses_and_the_others_stay_on_the_list(
    clock, client, center, vaccine, groups
):
    slot = make_leftovers(center, vaccine, 1)
    first, second = (on_list(center, born=OLD, name=n) for n in ("Anna", "Berta"))
    [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
    offers = list(round_.offers.order_by("pk"))
    winner_id, winner_token = link_of(offers[0])
    loser_id, loser_token = link_of(offers[1])

    page = client.get(f"/standby/offer/{winner_id}/{winner_token}/")
    assert page.status_code == 200
    assert Offer.objects.get(pk=winner_id).status == Offer.Status.OPEN  # GET changes nothing

    won = client.post(f"/standby/offer/{winner_id}/{winner_token}/")
    assert "Buchungscode" in won.content.decode()
    lost = client.post(f"/standby/offer/{loser_id}/{loser_token}/")
    assert "bereits" in lost.content.decode()

    winner = Offer.objects.get(pk=winner_id)
    series = Series.objects.get(person=winner.entry.person)
    assert series.status == Series.Status.ACTIVE
    assert sorted(series.appointments.values_list("dose", "slot_id")) == [
        (1, slot.pk),
        (2, slot.second_dose_slot_id),
    ]
    assert Entry.objects.get(pk=winner.entry_id).status == Entry.Status.SERVED
    assert Offer.objects.get(pk=loser_id).status == Offer.Status.TAKEN
    assert Entry.objects.get(pk=offers[1].entry_id).status == Entry.Status.WAITING
    # The seat counters: the no-show's seat is taken again, by the winner.
    assert Slot.objects.get(pk=slot.pk).booked == 1
    assert Slot.objects.get(first_dose_slots=slot).booked == 1
    assert {first.pk, second.pk} == {o.entry_id for o in offers}


def test_claims_close_after_30_minutes_and_the_seats_go_back(center, vaccine, groups):
    with time_machine.travel(at(10, 15), tick=False):
        slot = make_leftovers(center, vaccine, 1)
        on_list(center, born=OLD)
        [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
        offer_id, token = link_of(round_.offers.get())
        assert Slot.objects.get(pk=slot.pk).booked == 1  # held by the round
    with time_machine.travel(at(10, 45), tick=False):
        with pytest.raises(StandbyError, match="beendet"):
            services.claim(offer_id=offer_id, token=token)
        assert services.close_rounds() == 1
    assert Slot.objects.get(pk=slot.pk).booked == 0
    assert Seat.objects.get().released_at is not None
    assert Series.objects.filter(status=Series.Status.ACTIVE).count() == 0


def test_claims_just_before_the_end_still_win(center, vaccine, groups):
    with time_machine.travel(at(10, 15), tick=False):
        make_leftovers(center, vaccine, 1)
        on_list(center, born=OLD)
        [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
        offer_id, token = link_of(round_.offers.get())
    with time_machine.travel(at(10, 45) - timedelta(seconds=1), tick=False):
        assert services.claim(offer_id=offer_id, token=token).won


def test_entries_lapse_at_the_end_of_their_day(center, vaccine, groups):
    with time_machine.travel(at(18), tick=False):
        today = on_list(center, born=OLD, name="Heute")
        tomorrow = on_list(center, born=OLD, name="Morgen", day=DAY + timedelta(days=1))
    with time_machine.travel(at(23, 59), tick=False):
        assert services.lapse_entries() == 0
    with time_machine.travel(at(0, 1, day=DAY + timedelta(days=1)), tick=False):
        assert services.lapse_entries() == 1
    assert Entry.objects.get(pk=today.pk).status == Entry.Status.LAPSED
    assert Entry.objects.get(pk=tomorrow.pk).status == Entry.Status.WAITING


def test_a_lapsed_entry_is_not_offered_the_next_day(center, vaccine, groups):
    with time_machine.travel(at(18, day=DAY - timedelta(days=1)), tick=False):
        on_list(center, born=OLD, day=DAY - timedelta(days=1))
    with time_machine.travel(at(10, 15), tick=False):
        make_leftovers(center, vaccine, 1)
        assert services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF) == []


def test_no_dose_is_offered_twice(clock, center, vaccine, groups):
    make_leftovers(center, vaccine, 2)
    for n in range(8):
        on_list(center, born=OLD, name=f"Alt{n}")
    first = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF, doses=1)
    second = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
    third = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
    assert [r.doses for r in first + second] == [1, 1]
    assert third == []  # nothing left: both doses are held by a round
    seats = list(Seat.objects.values_list("first_slot_id", flat=True))
    assert len(seats) == 2
    # Nobody got two offers.
    entries = list(Offer.objects.values_list("entry_id", flat=True))
    assert len(entries) == len(set(entries)) == 4


def test_a_same_day_cancellation_is_offered_to_the_standby_list(clock, center, vaccine, groups):
    import uuid

    from booking.services import book_series, cancel_series
    from tests import factories

    slot = factories.make_slot(center, vaccine, at(11), capacity=1)
    slot = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=slot.pk)
    factories.make_delivery(center, vaccine)
    series = book_series(person=factories.make_person(), slot=slot, request_token=uuid.uuid4())
    on_list(center, born=OLD)
    cancel_series(household=series.person.household, booking_code=series.booking_code)
    [round_] = Round.objects.all()
    assert round_.reason == Round.Reason.CANCELLATION
    assert round_.offers.count() == 1
    assert Seat.objects.get().first_slot_id == slot.pk


def test_joining_refuses_bad_days_booked_people_and_a_third_person(clock, center, groups):
    from tests import factories

    person = factories.make_person(born=OLD)
    with pytest.raises(StandbyError, match="vorbei"):
        services.join(person=person, center=center, day=DAY - timedelta(days=1))
    services.join(person=person, center=center, day=DAY)
    with pytest.raises(StandbyError, match="bereits"):
        services.join(person=person, center=center, day=DAY)
    household = person.household
    services.join(
        person=factories.make_person(household, first_name="Zwei", born=OLD), center=center, day=DAY
    )
    with pytest.raises(StandbyError, match="höchstens 2"):
        services.join(
            person=factories.make_person(household, first_name="Drei", born=OLD),
            center=center,
            day=DAY,
        )
    young = factories.make_person(first_name="Kind", born=date(2000, 1, 1))
    with pytest.raises(StandbyError, match="noch nicht"):
        services.join(person=young, center=center, day=DAY)
    assert Appointment.objects.count() == 0
