"""The hotline's share of a release: seats held for hotline agents for some hours.

A release with a hotline share (``SlotRelease.hotline_share``, percent of its
first-dose appointments; 0 is off) holds that many series seats at once: the
first-dose slot and its second-dose slot each count them in ``booked`` and in
``hotline_held``. Held seats are taken seats, like those of a held offer, so
the start page, the day and time pages, the availability and the waiting
list's offers never show them, and ``SlotQuerySet.with_free_series`` stays the
one definition of free for residents. Agents book them
(``centers.services.take_held_series_seats``); the agent's console lists them
through ``SlotQuerySet.bookable_by_hotline``.

A hold ends when the hours are over, or earlier for a time that comes sooner:
the waiting list's notice (``WAITLIST_MIN_NOTICE``) before it, so that a seat
no agent booked can still be offered. Then ``end_due_hotline_holds`` (the task
``centers.tasks.end_hotline_holds``, scheduled by the release for the hours'
end, and the waiting list's sweep every few seconds for the earlier ends)
gives back what no agent booked:
``booked -= hotline_held`` in both slots of each series, and ``seats_freed``,
so the waiting list gets them first, as any freed seat. A cancelled day frees
its held seats first (``end_holds_touching``, from
``centers.services.withdraw_free_seats``), so they are withdrawn with the free
seats and none is left held in a closed slot.

Each held series is one seat of a first-dose slot and one of its second-dose
slot; the first-dose slot carries the hold's end (``hotline_held_until``), and
the second-dose slot holds the sum of its first-dose slots' held seats. Every
change here moves both sides by the same number, in time order.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from centers.models import Slot, SlotRelease
from centers.signals import seats_freed

# First-dose slots whose hold ends in one transaction (one ``seats_freed``).
END_BATCH = 200


def spread_hotline_seats(*, times: int, lanes: int, share: int) -> list[int]:
    """Seats to hold at each of ``times`` first-dose times of ``lanes`` seats each.

    ``share`` percent of all the release's seats, rounded down, spread evenly
    over its times (each holds the share of its lanes rounded down or up). Not
    rounded down per time: with two lanes and 25 %, every second time holds a
    seat, where rounding each time down would hold nothing at all.
    """
    if share <= 0:
        return [0] * times
    return [((i + 1) * lanes * share) // 100 - (i * lanes * share) // 100 for i in range(times)]


def hold_for_hotline(*, seats: Mapping[Slot, int], until: datetime) -> int:
    """Hold ``seats[first]`` series seats of each first-dose slot (and as many of
    its second-dose slot) for the hotline until ``until``, but no longer than
    the waiting list's notice before the slot's time: a hold that outlasted it
    would give the seat back when nobody could be offered it any more, and it
    would stay empty. A time already that close is not held at all.

    For a release, in its transaction, right after its seats were added (the
    slots are locked or new), before ``seats_freed`` announces the rest.
    Returns the series seats held (what the release records).
    """
    now = timezone.now()
    firsts: defaultdict[tuple[int, datetime], list[int]] = defaultdict(list)
    seconds: Counter[int] = Counter()
    for first, k in seats.items():
        ends = min(until, first.starts_at - settings.WAITLIST_MIN_NOTICE)
        if k > 0 and first.second_dose_slot_id is not None and ends > now:
            firsts[k, ends].append(first.pk)
            seconds[first.second_dose_slot_id] += k
    for (k, ends), ids in sorted(firsts.items()):
        Slot.objects.filter(pk__in=ids).update(
            booked=F("booked") + k, hotline_held=F("hotline_held") + k, hotline_held_until=ends
        )
    for k, ids in _grouped(seconds).items():
        Slot.objects.filter(pk__in=ids).update(
            booked=F("booked") + k, hotline_held=F("hotline_held") + k
        )
    return sum(seconds.values())


def _grouped(amounts: Counter[int]) -> dict[int, list[int]]:
    """Slot ids grouped by amount: one UPDATE per distinct amount."""
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for pk, amount in sorted(amounts.items()):
        if amount:
            groups[amount].append(pk)
    return dict(sorted(groups.items()))


def _give_back(first_ids: Iterable[int], *, due_by: datetime | None) -> tuple[int, list[int]]:
    """Give back the held seats of these first-dose slots and their second doses
    (only holds that ended by ``due_by``, if given; checked again under the
    rows' locks). Returns the series seats given back and the ids of the slots
    that gained free seats, in time order. Call inside a transaction.
    """
    pairs = dict(
        Slot.objects.filter(
            pk__in=list(first_ids), dose=Slot.Dose.FIRST, hotline_held__gt=0
        ).values_list("pk", "second_dose_slot_id")
    )
    if not pairs:
        return 0, []
    locked = list(
        Slot.objects.select_for_update()
        .filter(pk__in=[*pairs, *pairs.values()])
        .order_by("starts_at", "pk")
        .only("pk", "starts_at", "dose", "hotline_held", "hotline_held_until")
    )
    firsts: Counter[int] = Counter()
    seconds: Counter[int] = Counter()
    for slot in locked:
        if slot.pk not in pairs or slot.hotline_held <= 0:
            continue
        if due_by is not None and (
            slot.hotline_held_until is None or slot.hotline_held_until > due_by
        ):
            continue
        firsts[slot.pk] = slot.hotline_held
        seconds[pairs[slot.pk]] += slot.hotline_held
    for amounts in (firsts, seconds):
        for k, ids in _grouped(amounts).items():
            Slot.objects.filter(pk__in=ids).update(
                booked=F("booked") - k, hotline_held=F("hotline_held") - k
            )
    touched = [slot.pk for slot in locked if slot.pk in firsts or slot.pk in seconds]
    return sum(firsts.values()), touched


def end_due_hotline_holds(*, now: datetime | None = None, batch: int = END_BATCH) -> int:
    """Give back every held seat whose hold has ended, and offer it on.

    Each batch in its own transaction, with one ``seats_freed`` for its slots
    (so the waiting list's exchange gets them first). Running it again, or two
    at once, gives nothing back twice: the holds are read again under the rows'
    locks. Returns the series seats given back.
    """
    now = now or timezone.now()
    given = 0
    while True:
        with transaction.atomic():
            due = list(
                Slot.objects.filter(
                    dose=Slot.Dose.FIRST, hotline_held__gt=0, hotline_held_until__lte=now
                )
                .order_by("hotline_held_until", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not due:
                return given
            seats, touched = _give_back(due, due_by=now)
            if touched:
                seats_freed.send(sender=Slot, slot_ids=touched)
            given += seats


def end_holds_touching(slot_ids: Iterable[int]) -> int:
    """Give back, without offering them, the held seats in these slots and in their
    pairs: for slots the center is closing (``withdraw_free_seats``), which takes
    the freed seats away with the free ones. Returns the series seats given back.
    Call inside the transaction of the closure.
    """
    ids = list(slot_ids)
    firsts = Slot.objects.filter(
        Q(pk__in=ids) | Q(second_dose_slot_id__in=ids), dose=Slot.Dose.FIRST, hotline_held__gt=0
    ).values_list("pk", flat=True)
    seats, _touched = _give_back(list(firsts), due_by=None)
    return seats


def still_held(release: SlotRelease) -> int:
    """Series seats of the release that are still held for the hotline.

    The slots carry no link to their release; the hold's end, written in the
    release's transaction, marks its first-dose slots.
    """
    if release.hotline_until is None:
        return 0
    return Slot.objects.filter(
        center_id=release.center_id,
        vaccine_id=release.vaccine_id,
        dose=Slot.Dose.FIRST,
        hotline_held__gt=0,
        hotline_held_until=release.hotline_until,
    ).aggregate(held=Sum("hotline_held", default=0))["held"]
