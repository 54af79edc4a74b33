"""Seats of slots: the only code that moves ``Slot.booked`` (with
``centers.hotline_hold``, which holds seats for the hotline and gives them back).

Seats are taken with a conditional UPDATE (``booked < capacity``), which is
correct on PostgreSQL and SQLite without an application lock: concurrent
updates of the same row queue on its row lock, and the loser re-reads the
condition. Callers that touch several slots must do so in time order, so that
two transactions never wait on each other's rows in opposite order.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from centers.hotline_hold import end_holds_touching
from centers.models import Slot
from centers.signals import (
    answers_added_up,
    seats_freed,
    seats_withdrawn,
    slots_closed,
    slots_withdrawn,
)


def take_seat(slot_id: int) -> bool:
    """Take one seat of the slot; False when it is full. Call inside a transaction."""
    return (
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
        == 1
    )


def take_series_seats(first: Slot, *, lock_timeout_ms: int | None = None) -> Slot | None:
    """Take a first-dose seat of ``first`` and the second-dose seat reserved for it.

    Returns the second-dose slot, or None when either is full; then nothing is
    taken (a first-dose seat taken before its second dose turned out full is
    given back at once, without a savepoint: this runs on every booking).
    ``first`` must be a first-dose slot; a second-dose slot is refused like a
    full one. Call inside a transaction. Seats are taken in time order (the
    first dose comes first), as everywhere else. On PostgreSQL both in one
    statement; ``lock_timeout_ms`` sets the transaction's ``lock_timeout`` just
    before it (elsewhere it is ignored).
    """
    if not first.is_first_dose or first.second_dose_slot_id is None:
        return None
    if connection.vendor == "postgresql":
        taken = _take_both_seats(first, lock_timeout_ms=lock_timeout_ms)
        return first.second_dose_slot if taken else None
    if not take_seat(first.pk):
        return None
    if not take_seat(first.second_dose_slot_id):
        Slot.objects.filter(pk=first.pk).update(booked=F("booked") - 1)
        return None
    return first.second_dose_slot


# Both seats in one statement, all or nothing: lock the pair's rows that still
# have a free seat (in time order, as everywhere else; a row another booking holds
# is waited for and its condition checked again once it is free), and add a seat
# to each only when both are there. The CHECK (booked <= capacity) stays the guard.
# ``lock_timeout`` (a caller's SET LOCAL just before) bounds the wait.
_TAKE_BOTH_SEATS = """
WITH free AS (
    SELECT id FROM centers_slot
    WHERE id IN (%(first)s, %(second)s) AND booked < capacity
    ORDER BY starts_at, id
    FOR UPDATE
)
UPDATE centers_slot SET booked = booked + 1
WHERE id IN (SELECT id FROM free) AND (SELECT count(*) FROM free) = 2
"""


def _take_both_seats(
    first: Slot, *, lock_timeout_ms: int | None = None, sql: str = _TAKE_BOTH_SEATS
) -> bool:
    with connection.cursor() as cursor:
        if lock_timeout_ms is not None:
            # A statement of its own: values bound on the server (settings.py,
            # bind_on_server) allow one statement per query, and a SET takes none.
            cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
        cursor.execute(sql, {"first": first.pk, "second": first.second_dose_slot_id})
        return cursor.rowcount == 2


def take_held_series_seats(first: Slot, *, lock_timeout_ms: int | None = None) -> Slot | None:
    """Take a series seat that a release held for the hotline: one of the
    first-dose slot's held seats and the held second-dose seat that belongs to
    it. ``booked`` stays as it is (held seats are counted as taken already);
    ``hotline_held`` drops by one in both slots, only while the first-dose slot
    still holds one (a conditional UPDATE, as ``take_series_seats``).

    Returns the second-dose slot, or None when nothing is held (then nothing
    changes). For hotline agents only (``booking.services.book_series`` with
    ``hotline=True``). Call inside a transaction.
    """
    if not first.is_first_dose or first.second_dose_slot_id is None:
        return None
    if connection.vendor == "postgresql":
        taken = _take_both_seats(first, lock_timeout_ms=lock_timeout_ms, sql=_TAKE_HELD_SERIES)
        return first.second_dose_slot if taken else None
    if not Slot.objects.filter(pk=first.pk, hotline_held__gt=0).update(
        hotline_held=F("hotline_held") - 1
    ):
        return None
    # Its second dose holds a seat for each held first dose (CHECK hotline_held >= 0).
    Slot.objects.filter(pk=first.second_dose_slot_id).update(hotline_held=F("hotline_held") - 1)
    return first.second_dose_slot


# The held pair in one round trip: lock both rows in time order, and take a held
# seat of each only while the first-dose slot (read under its lock) still holds
# one; its second-dose slot holds at least as many (``centers.hotline_hold``).
_TAKE_HELD_SERIES = """
WITH pair AS (
    SELECT id, hotline_held FROM centers_slot
    WHERE id IN (%(first)s, %(second)s)
    ORDER BY starts_at, id
    FOR UPDATE
)
UPDATE centers_slot SET hotline_held = centers_slot.hotline_held - 1
WHERE id IN (SELECT id FROM pair)
  AND (SELECT hotline_held FROM pair WHERE id = %(first)s) > 0
"""


def release_seats(slots: Sequence[Slot], *, offer_to_waitlist: bool = True) -> None:
    """Give one seat of each slot back and tell the waiting list about it.

    ``offer_to_waitlist=False`` is for seats that must not be handed on
    (a whole day cancelled by the center).
    """
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.pk))
    with transaction.atomic():
        for slot in ordered:
            # A seat held for the hotline is no appointment's to give back.
            Slot.objects.filter(pk=slot.pk, booked__gt=F("hotline_held")).update(
                booked=F("booked") - 1
            )
        if offer_to_waitlist and ordered:
            seats_freed.send(sender=Slot, slot_ids=[slot.pk for slot in ordered])


@dataclass(frozen=True)
class ClosedSlots:
    """What closing slots did to the seats others held in them (open waiting-list
    offers), as the receivers of ``slots_withdrawn`` and ``slots_closed`` answer."""

    holders_given_back: int = 0  # holders whose seats were taken back (offers withdrawn)
    holders_served_again: int = 0  # of those, served again at once from the remaining seats


def withdraw_free_seats(slots: Sequence[Slot]) -> ClosedSlots:
    """Close the slots for good: capacity shrinks to the seats still taken.

    For a day the center cancelled: nobody may book the seats its cancellations
    freed, and the doses they bound go back to the stock. Call inside the
    transaction of the cancellation, after ``release_seats``.

    Order matters. Seats held for the hotline are given back first (see below).
    Then the capacity shrinks, so that from here on no seat of
    these slots is free, not even for the exchange passing on the other seat of
    an offer it withdraws (as a second dose, it could land in the closed day).
    Then ``slots_withdrawn`` lets the holders of seats in them (open offers)
    give them back through ``give_back_withdrawn_seats``, which shrinks the
    capacity along. Last, ``slots_closed`` lets them serve those people again
    from the seats that remain. Each slot counts what it lost in ``withdrawn``; the
    statistics hear of it through ``slots_withdrawn_counted``.

    Returns how many holders gave their seats back and how many of them were
    served again, for the staff's result message.
    """
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.pk))
    if not ordered:
        return ClosedSlots()
    ids = [slot.pk for slot in ordered]
    with transaction.atomic():
        # Seats held for the hotline in these slots (or whose pair is in them)
        # are nobody's: they are freed first, so that they go with the free seats
        # below (a held pair split by the closure would be a seat without its partner).
        end_holds_touching(ids)
        before = dict(
            Slot.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("starts_at", "pk")
            .values_list("pk", "capacity")
        )
        Slot.objects.filter(pk__in=ids).update(
            capacity=F("booked"), withdrawn=F("withdrawn") + F("capacity") - F("booked")
        )
        given_back = answers_added_up(slots_withdrawn.send(sender=Slot, slot_ids=ids))
        closed = list(Slot.objects.filter(pk__in=ids).order_by("starts_at", "pk"))
        seats = {slot.pk: before[slot.pk] - slot.capacity for slot in closed}
        orphaned = _withdraw_orphaned_seats(closed, seats)
        if any(seats.values()) or orphaned:
            seats_withdrawn.send(sender=Slot, slots=closed + orphaned, seats=seats)
        served_again = answers_added_up(slots_closed.send(sender=Slot, slot_ids=ids))
    return ClosedSlots(holders_given_back=given_back, holders_served_again=served_again)


def _withdraw_orphaned_seats(closed: list[Slot], seats: dict[int, int]) -> list[Slot]:
    """Seats whose partner was just withdrawn go too, as far as they are free.

    The second-dose seats reserved for withdrawn first-dose seats, and the free
    first-dose seats whose second-dose slot was closed: nobody can book either
    with its partner any more, and the doses they bound return to the stock.
    Adds the seats each such slot lost to ``seats``; returns those slots.
    """
    lost: Counter[int] = Counter()
    closed_second_doses = []
    for slot in closed:
        if slot.is_first_dose and slot.second_dose_slot_id and seats[slot.pk] > 0:
            lost[slot.second_dose_slot_id] += seats[slot.pk]
        elif not slot.is_first_dose:
            closed_second_doses.append(slot.pk)
    partners = (
        Slot.objects.select_for_update()
        .filter(Q(pk__in=list(lost)) | Q(second_dose_slot_id__in=closed_second_doses))
        .exclude(pk__in=[slot.pk for slot in closed])
        .filter(starts_at__gt=timezone.now())
        .order_by("starts_at", "pk")
    )
    orphaned = []
    for partner in partners:
        free = partner.free_seats
        gone = min(lost[partner.pk], free) if partner.pk in lost else free
        if gone <= 0:
            continue
        Slot.objects.filter(pk=partner.pk).update(
            capacity=F("capacity") - gone, withdrawn=F("withdrawn") + gone
        )
        seats[partner.pk] = gone
        orphaned.append(partner)
    return orphaned


def give_back_withdrawn_seats(slots: Sequence[Slot]) -> None:
    """Give back one seat held in each of these slots, which ``withdraw_free_seats``
    closed: the seat goes with it (capacity shrinks too), so it is not free for
    anyone and nobody is told. Call inside the transaction of the withdrawal."""
    for slot in sorted(slots, key=lambda slot: (slot.starts_at, slot.pk)):
        Slot.objects.filter(pk=slot.pk, booked__gt=F("hotline_held")).update(
            booked=F("booked") - 1, capacity=F("capacity") - 1, withdrawn=F("withdrawn") + 1
        )
