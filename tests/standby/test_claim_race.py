"""Concurrent claims on PostgreSQL with real threads: no dose is given twice.

Six people claim three leftover doses at the same moment: a barrier holds every
claim after it read the round's free seats, so all of them go for the same
seat first. Afterwards exactly three have a series, each seat has one, and
every slot's counter equals its appointments plus the seats still held.

The negative control switches off the seat's guard (the conditional UPDATE's
"not claimed yet") and shows that the check catches the double booking.
"""

import threading

import pytest
import time_machine
from django.db import connection

from booking.models import Appointment, Series
from centers.models import Slot
from standby import services
from standby.models import Offer, Round, Seat
from tests.standby.conftest import at, link_of, make_leftovers, on_list

pytestmark = pytest.mark.django_db(transaction=True)
DOSES = 3
PEOPLE = 2 * DOSES


def build_round(center, vaccine) -> Round:
    from datetime import date

    from tests import factories

    factories.open_group(vaccines=[vaccine])
    make_leftovers(center, vaccine, DOSES)
    for n in range(PEOPLE):
        on_list(center, born=date(1940, 1, 1), name=f"Person{n}")
    [round_] = services.offer_leftover_doses(center=center, reason=Round.Reason.STAFF)
    assert round_.offers.count() == PEOPLE
    return round_


def claim_all_at_once(round_: Round, monkeypatch) -> list:
    links = [link_of(offer) for offer in round_.offers.order_by("pk")]
    barrier = threading.Barrier(len(links), timeout=120)  # a loaded machine starts threads late
    local = threading.local()
    read_seats = services._seat_candidates

    def read_then_wait(r):
        seats = read_seats(r)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # everyone has read the same free seats
        return seats

    monkeypatch.setattr(services, "_seat_candidates", read_then_wait)
    results: list = []

    def claim(offer_id, token):
        try:
            results.append(services.claim(offer_id=offer_id, token=token))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=link) for link in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def dose_problems(round_: Round) -> list[str]:
    """What is wrong with the round's doses (empty when all is well)."""
    problems = []
    offered_people = list(round_.offers.values_list("entry__person_id", flat=True))
    booked = Series.objects.filter(person_id__in=offered_people, status=Series.Status.ACTIVE)
    seats = Seat.objects.filter(round=round_)
    if booked.count() > round_.doses:
        problems.append(f"{booked.count()} people booked {round_.doses} doses")
    if booked.count() != seats.exclude(series=None).count():
        problems.append("a booked series without its own seat")
    held = seats.filter(claimed_at=None, released_at=None)
    for slot in Slot.objects.filter(pk__in=seats.values("first_slot_id")):
        taken = (
            Appointment.objects.filter(
                slot=slot, status__in=[Appointment.Status.BOOKED, Appointment.Status.ATTENDED]
            ).count()
            + held.filter(first_slot=slot).count()
        )
        if slot.booked != taken:
            problems.append(f"slot {slot.pk}: counter {slot.booked}, taken {taken}")
    return problems


def test_concurrent_claims_never_get_the_same_dose(center, vaccine, monkeypatch):
    with time_machine.travel(at(10, 15), tick=False):
        round_ = build_round(center, vaccine)
        results = claim_all_at_once(round_, monkeypatch)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r.won for r in results) == [False] * DOSES + [True] * DOSES
    assert dose_problems(round_) == []
    assert Offer.objects.filter(round=round_, status=Offer.Status.CLAIMED).count() == DOSES
    assert Offer.objects.filter(round=round_, status=Offer.Status.TAKEN).count() == DOSES


def test_negative_control_without_the_guard_a_dose_is_given_twice(center, vaccine, monkeypatch):
    monkeypatch.setattr(services, "GUARD_SEATS", False)
    with time_machine.travel(at(10, 15), tick=False):
        round_ = build_round(center, vaccine)
        results = claim_all_at_once(round_, monkeypatch)
    # Every claim ran (a broken barrier would make them run one after another).
    assert [r for r in results if isinstance(r, Exception)] == []
    assert dose_problems(round_) != [], results
