"""The exchange: every freed seat goes to the next matching waiting place.

How one seat is offered (``offer_next_seat``), all in one savepoint:

1. take a first-dose seat of the slot and the second-dose seat reserved for it
   (the conditional UPDATEs of ``centers.services.take_series_seats``);
2. claim the next matching entry with ``SELECT … FOR UPDATE SKIP LOCKED``,
   ordered by priority-group rank, then time of joining;
3. create the offer and queue its SMS.

Seats come first so that whoever locks an entry always makes it an offer: an
entry skipped because another worker holds its lock is being served at that
moment, and nobody is passed over. Without a free entry (or second dose) the
savepoint rolls back and the seats stay free. Entries are locked only with
SKIP LOCKED, so the exchange never waits for an entry; slots are locked in
time order, as everywhere else.
"""

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from booking.models import Series
from centers.models import Slot
from centers.services import take_series_seats
from impfportal.compiled import CompiledQuery
from impfportal.durations import describe_duration
from sms.models import Message
from sms.outbox import queue_message, render_message
from waitlist import signals
from waitlist.models import NOON, Entry, Offer

logger = logging.getLogger(__name__)

TOKEN_BYTES = 16  # 128 bits: as unguessable as a session key, 22 characters in the link
TASK_CHUNK = 200  # slots per background task when many seats were freed at once
SLOTS_OFFERED_ON_JOIN = 10


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hold_for(lead: timedelta) -> timedelta:
    """How long an offer is held when its appointment is ``lead`` away."""
    for ahead, hold in settings.WAITLIST_HOLD_WINDOWS:
        if lead >= ahead:
            return max(hold, settings.WAITLIST_MIN_HOLD)
    return settings.WAITLIST_MIN_HOLD


def offer_link(offer: Offer, token: str) -> str:
    return settings.PORTAL_URL + reverse("waitlist:offer", args=[offer.pk, token])


def offerable_slots(slot_ids: Iterable[int]) -> QuerySet[Slot]:
    """First-dose slots that ``slot_ids`` freed, with a seat that can be booked
    (its second dose free too) early enough to be offered.

    A freed second-dose seat frees the first-dose slots it is reserved for, so
    those are found through their pair; a second-dose slot itself is never
    offered.
    """
    ids = list(slot_ids)
    earliest = timezone.now() + settings.WAITLIST_MIN_NOTICE
    return (
        Slot.objects.with_free_series()
        .filter(Q(pk__in=ids) | Q(second_dose_slot_id__in=ids), starts_at__gte=earliest)
        .with_free_appointments()
        .select_related("center", "vaccine", "second_dose_slot")
        .order_by("starts_at", "pk")
    )


def waiting_queue(slot: Slot) -> QuerySet[Entry]:
    """Waiting entries that could take a seat of ``slot``, first in line first.

    Read in order from the ``waitlist_entry_queue`` index; the conditions are
    checked row by row until the first unlocked match.
    """
    local = timezone.localtime(slot.starts_at)
    part_of_day = Entry.TimeOfDay.MORNING if local.hour < NOON else Entry.TimeOfDay.AFTERNOON
    wants_vaccine = Entry.vaccines.through.objects.filter(
        entry_id=OuterRef("pk"), vaccine_id=slot.vaccine_id
    )
    offered_before = Offer.objects.filter(entry_id=OuterRef("pk"), first_slot_id=slot.pk)
    booked_already = Series.objects.active().filter(person_id=OuterRef("person_id"))
    return (
        Entry.objects.filter(status=Entry.Status.WAITING, district_id=slot.center.district_id)
        .filter(Q(center__isnull=True) | Q(center_id=slot.center_id))
        .filter(time_of_day__in=[Entry.TimeOfDay.ANY, part_of_day])
        .alias(on_weekday=F("weekdays").bitand(1 << local.weekday()))
        .filter(on_weekday__gt=0)
        .filter(Exists(wants_vaccine))
        .exclude(Exists(offered_before))
        .exclude(Exists(booked_already))
        .order_by("priority_rank", "joined_at", "pk")
    )


def _anyone_waiting(slot: Slot) -> bool:
    """A cheap, lock-free first look (most freed seats in quiet times meet an empty
    list); the full match is left to the claim."""
    return (
        Entry.objects.filter(status=Entry.Status.WAITING, district_id=slot.center.district_id)
        .filter(Q(center__isnull=True) | Q(center_id=slot.center_id))
        .exists()
    )


def claim_next_entry(queue: QuerySet[Entry]) -> Entry | None:
    """Lock the first entry of ``queue`` that no other transaction holds (only the
    entry's row: the person and household come along unlocked, for the SMS)."""
    return (
        queue.select_related("person__household")
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )


def offer_next_seat(*, slot: Slot) -> Offer | None:
    """Offer one seat of ``slot`` (and a second dose) to the next matching entry.

    ``slot`` needs ``center`` and ``vaccine`` loaded. Returns None, changing
    nothing, when the slot or its reserved second dose is full, or no entry
    matches. Runs in its own savepoint (or transaction).
    """
    if not _anyone_waiting(slot):
        return None
    queue = waiting_queue(slot)
    with transaction.atomic():
        second = take_series_seats(slot)
        if second is None:
            return None
        entry = claim_next_entry(queue)
        if entry is None:
            transaction.set_rollback(True)  # give both seats back
            return None
        return _make_offer(entry=entry, first=slot, second=second)


def _make_offer(*, entry: Entry, first: Slot, second: Slot) -> Offer:
    now = timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    offer = Offer.objects.create(
        entry=entry,
        first_slot=first,
        second_slot=second,
        token_hash=hash_token(token),
        hold=hold_for(first.starts_at - now),
        created_at=now,
    )
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.OFFERED)
    entry.status = Entry.Status.OFFERED
    person = entry.person
    # Offers go out in German whoever's click freed the seat (a cancellation in
    # English must not send the next person an English text).
    with translation.override(settings.LANGUAGE_CODE):
        body = render_message(
            "waitlist_offer.txt",
            {
                "person": person,
                "first": first,
                "second": second,
                "hold": describe_duration(offer.hold),
                "link": offer_link(offer, token),
            },
        )
    offer.message = queue_message(
        recipient=person.household.phone,
        body=body,
        priority=Message.Priority.OFFER,
        idempotency_key=f"offer:{offer.pk}",
        # Too late to answer and travel: the dispatcher drops it and the sweep
        # passes the seats on.
        send_before=first.starts_at - settings.WAITLIST_MIN_HOLD,
    )
    offer.save(update_fields=["message"])
    # In the offer's own savepoint (or, from a task, its own transaction).
    signals.offer_made.send(sender=Offer, center_id=first.center_id, on=timezone.localdate(now))
    return offer


def offer_free_seats(*, slot_ids: Iterable[int]) -> list[Offer]:
    """Offer every free seat of these slots, in time order, to the next entries."""
    offers = []
    for slot in offerable_slots(slot_ids):
        for _seat in range(slot.free_appointments):  # as read; the UPDATEs have the final word
            offer = offer_next_seat(slot=slot)
            if offer is None:
                break
            offers.append(offer)
    return offers


def pass_on_freed_seats(*, slot_ids: Iterable[int]) -> None:
    """What the exchange does when ``centers.signals.seats_freed`` arrives.

    A few slots (a cancellation, an ended offer) are offered at once, inside
    the transaction that freed them, so the offer commits with the change. The
    exchange's work sits in a savepoint: if it fails (a deadlock, a lock
    timeout) the change still commits and a background task tries again. Many
    slots (a bulk release) go to background tasks straight away.
    """
    from waitlist import tasks  # tasks import this module

    slot_ids = list(slot_ids)
    if len(slot_ids) > settings.WAITLIST_INLINE_SLOTS:
        for start in range(0, len(slot_ids), TASK_CHUNK):
            tasks.offer_free_seats.enqueue(slot_ids=slot_ids[start : start + TASK_CHUNK])
        return
    try:
        with transaction.atomic():
            offer_free_seats(slot_ids=slot_ids)
    except DatabaseError:
        logger.warning("Offering freed seats failed; a task will retry.", exc_info=True)
        tasks.offer_free_seats.enqueue(slot_ids=slot_ids)


def offer_free_seats_for(entry: Entry, *, vaccine_ids: list[int] | None = None) -> list[Offer]:
    """After joining or re-activating: offer seats that are free right now in the
    entry's scope and suit its preferences (to whoever is next in line).

    ``vaccine_ids``: the entry's vaccines when the caller has them at hand (the
    join that just added them), so that the question needs no subquery for them.
    """
    slot_ids = _suitable_free_slots(entry, vaccine_ids=vaccine_ids)[:SLOTS_OFFERED_ON_JOIN]
    # Mostly none are free (that is why people wait): then building the offerable
    # slots' query (it finds that it is empty only when compiled) costs a join
    # more CPU than the question itself.
    return offer_free_seats(slot_ids=slot_ids) if slot_ids else []


def offer_free_seat_to(entry: Entry) -> Offer | None:
    """Serve this entry ahead of the queue: offer it the earliest free seat that
    suits it, or None (changing nothing) when none is free.

    For a person whose offer the center withdrew (a cancelled day): they were
    promised a seat, so they do not wait behind people who were not. The entry
    must be waiting and locked by the caller; each try runs in its own
    savepoint, as ``offer_next_seat`` does.
    """
    for slot in offerable_slots(_suitable_free_slots(entry)):
        # The queue's own conditions (vaccine, scope, preferences, not booked,
        # not offered this slot before), checked for this entry only.
        if not waiting_queue(slot).filter(pk=entry.pk).exists():
            continue
        with transaction.atomic():
            second = take_series_seats(slot)
            if second is None:
                continue
            return _make_offer(entry=entry, first=slot, second=second)
    return None


def _suitable_free_slots(entry: Entry, *, vaccine_ids: list[int] | None = None) -> list[int]:
    """Ids of first-dose slots free now in the entry's scope that suit it, earliest first."""
    if vaccine_ids is None:
        vaccine_ids = list(entry.vaccines.values_list("pk", flat=True))
    if not vaccine_ids:
        return []
    values: dict[str, Any] = {
        "district": entry.district_id,
        "earliest": timezone.now() + settings.WAITLIST_MIN_NOTICE,
        **{f"vaccine{number}": pk for number, pk in enumerate(vaccine_ids)},
    }
    if entry.center_id:
        values["center"] = entry.center_id
    query = _free_slots_query(vaccines=len(vaccine_ids), in_center=bool(entry.center_id))
    found = query.run(**values)
    return [slot.pk for slot in found if entry.suits(slot.starts_at)]


# Asked by every joining (the voice line's too): building this query over two
# joins cost the ORM about as much CPU as the rest of the join's statements.
# One compiled query per shape: how many vaccines, district or center.
_FREE_SLOTS: dict[tuple[int, bool], CompiledQuery[Slot]] = {}


def _free_slots_query(*, vaccines: int, in_center: bool) -> CompiledQuery[Slot]:
    if (vaccines, in_center) not in _FREE_SLOTS:
        names = [f"vaccine{number}" for number in range(vaccines)]

        def build(values) -> QuerySet[Slot]:
            free = Slot.objects.with_free_series().filter(
                center__district_id=values.district,
                vaccine_id__in=[getattr(values, name) for name in names],
                starts_at__gte=values.earliest,
            )
            if in_center:
                free = free.filter(center_id=values.center)
            return free.order_by("starts_at").only("pk", "starts_at")[:200]

        kinds: dict[str, type] = {"district": int, "earliest": datetime}
        if in_center:
            kinds["center"] = int
        _FREE_SLOTS[vaccines, in_center] = CompiledQuery(
            build, **kinds, **dict.fromkeys(names, int)
        )
    return _FREE_SLOTS[vaccines, in_center]
