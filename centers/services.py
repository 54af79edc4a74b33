"""Seats of slots: the only code that moves ``Slot.booked``.

Seats are taken with a conditional UPDATE (``booked < capacity``), which is
correct on PostgreSQL and SQLite without an application lock: concurrent
updates of the same row queue on its row lock, and the loser re-reads the
condition. Callers that touch several slots must do so in time order, so that
two transactions never wait on each other's rows in opposite order.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from centers.models import Slot
from centers.signals import seats_freed, slots_released, slots_withdrawn


def take_seat(slot_id: int) -> bool:
    """Take one seat of the slot; False when it is full. Call inside a transaction."""
    return (
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
        == 1
    )


def release_seats(slots: Sequence[Slot], *, offer_to_waitlist: bool = True) -> None:
    """Give one seat of each slot back and tell the waiting list about it.

    ``offer_to_waitlist=False`` is for seats that must not be handed on
    (a whole day cancelled by the center).
    """
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.pk))
    with transaction.atomic():
        for slot in ordered:
            Slot.objects.filter(pk=slot.pk, booked__gt=0).update(booked=F("booked") - 1)
        if offer_to_waitlist and ordered:
            seats_freed.send(sender=Slot, slot_ids=[slot.pk for slot in ordered])


def withdraw_free_seats(slots: Sequence[Slot]) -> None:
    """Close the slots for good: capacity shrinks to the seats still taken.

    For a day the center cancelled: nobody may book the seats its cancellations
    freed, and the doses they bound go back to the stock. Call inside the
    transaction of the cancellation, after ``release_seats``.

    Order matters. The capacity shrinks first, so that from here on no seat of
    these slots is free, not even for the exchange passing on the other seat of
    an offer it withdraws (as a second dose, it could land in the closed day).
    Then ``slots_withdrawn`` lets the holders of seats in them (open offers)
    give them back through ``give_back_withdrawn_seats``, which shrinks the
    capacity along. Finally the seats withdrawn are counted (``slots_released``
    with negative ``seats``), so the released figure stays what the slots offer.
    """
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.pk))
    if not ordered:
        return
    ids = [slot.pk for slot in ordered]
    with transaction.atomic():
        before = dict(
            Slot.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("starts_at", "pk")
            .values_list("pk", "capacity")
        )
        Slot.objects.filter(pk__in=ids).update(capacity=F("booked"))
        slots_withdrawn.send(sender=Slot, slot_ids=ids)
        closed = list(Slot.objects.filter(pk__in=ids).order_by("starts_at", "pk"))
        seats = {slot.pk: slot.capacity - before[slot.pk] for slot in closed}
        if any(seats.values()):
            slots_released.send(sender=Slot, slots=closed, seats=seats)


def give_back_withdrawn_seats(slots: Sequence[Slot]) -> None:
    """Give back one seat held in each of these slots, which ``withdraw_free_seats``
    closed: the seat goes with it (capacity shrinks too), so it is not free for
    anyone and nobody is told. Call inside the transaction of the withdrawal."""
    for slot in sorted(slots, key=lambda slot: (slot.starts_at, slot.pk)):
        Slot.objects.filter(pk=slot.pk, booked__gt=0).update(
            booked=F("booked") - 1, capacity=F("capacity") - 1
        )
