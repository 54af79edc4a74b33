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
from centers.signals import seats_freed, slots_withdrawn


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
    """
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.pk))
    if not ordered:
        return
    with transaction.atomic():
        Slot.objects.filter(pk__in=[slot.pk for slot in ordered]).update(capacity=F("booked"))
        slots_withdrawn.send(sender=Slot, slot_ids=[slot.pk for slot in ordered])
