"""Which scheduled opening the room is in, read by every guarded request.

Openings are a handful of rows that change a few times a year, so each
process keeps the relevant one for ``WAITINGROOM_OPENING_CACHE_SECONDS``
(saving or deleting one in this process forgets it at once).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from booking.models import VaccineOpening
from waitingroom import fairness
from waitingroom.models import Opening, PrequeueEntry


@dataclass(frozen=True)
class Phase:
    """The opening that governs the room now, if any, and whether it is pre-queueing."""

    opening_id: int
    key: str
    prequeue_starts_at: datetime
    opens_at: datetime

    def prequeueing(self, now: datetime) -> bool:
        return self.prequeue_starts_at <= now < self.opens_at


_cache: tuple[float, Phase | None] | None = None


def forget_openings(**_signal_kwargs) -> None:
    global _cache
    _cache = None


def current_phase(*, now: datetime | None = None) -> Phase | None:
    """The opening whose pre-queue has begun and that opened less than a day ago
    (the latest such), or the next one if its pre-queue is about to begin."""
    global _cache
    tick = monotonic()
    if _cache is not None and tick - _cache[0] < settings.WAITINGROOM_OPENING_CACHE_SECONDS:
        return _cache[1]
    now = now or timezone.now()
    opening = (
        Opening.objects.filter(
            mode=Opening.Mode.QUEUE,
            prequeue_starts_at__lte=now + timedelta(seconds=60),
            opens_at__gt=now - timedelta(days=1),
        )
        .order_by("-opens_at")
        .first()
    )
    phase = (
        Phase(
            opening_id=opening.pk,
            key=opening.key,
            prequeue_starts_at=opening.prequeue_starts_at,
            opens_at=opening.opens_at,
        )
        if opening
        else None
    )
    _cache = (tick, phase)
    return phase


def write_log(opening: Opening, arrivals: dict[str, int]) -> int:
    """Store the pre-queue's log (ticket → arrival number) with each ticket's
    position after the shuffle; idempotent. Returns the number of entries."""
    order = fairness.shuffled(opening.key, arrivals)
    with transaction.atomic():
        if PrequeueEntry.objects.filter(opening=opening).exists():
            return PrequeueEntry.objects.filter(opening=opening).count()
        PrequeueEntry.objects.bulk_create(
            [
                PrequeueEntry(opening=opening, ticket=ticket, arrival=arrivals[ticket], position=i)
                for i, ticket in enumerate(order)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
    return len(order)


def _scope_of(opening: Opening) -> str:
    # A draw's window lets the group register on the waiting list; a queue
    # opening lets it book.
    if opening.mode == Opening.Mode.DRAW:
        return VaccineOpening.Scope.WAITLIST
    return VaccineOpening.Scope.BOOKING


def schedule_eligibility(opening: Opening, *, now: datetime | None = None) -> VaccineOpening | None:
    """Let the opening's group book (or, for a draw, register for) its vaccine
    from ``opens_at`` on, so that the room and eligibility open on the same second.

    An eligibility already in force stays as it is (an opening never closes
    what is open); one still scheduled moves with the opening. Nothing happens
    for an opening without a group or a vaccine.
    """
    if opening.group_id is None or opening.vaccine_id is None:
        return None
    now = now or timezone.now()
    eligibility, created = VaccineOpening.objects.get_or_create(
        group_id=opening.group_id,
        vaccine_id=opening.vaccine_id,
        scope=_scope_of(opening),
        defaults={"opened_at": opening.opens_at},
    )
    if not created and eligibility.opened_at > now and eligibility.opened_at != opening.opens_at:
        eligibility.opened_at = opening.opens_at
        eligibility.save(update_fields=["opened_at"])
    return eligibility


def unschedule_eligibility(opening: Opening, *, now: datetime | None = None) -> int:
    """A deleted opening takes back the eligibility it scheduled, unless it is in force."""
    if opening.group_id is None or opening.vaccine_id is None:
        return 0
    deleted, _ = VaccineOpening.objects.filter(
        group_id=opening.group_id,
        vaccine_id=opening.vaccine_id,
        scope=_scope_of(opening),
        opened_at=opening.opens_at,
        opened_at__gt=now or timezone.now(),
    ).delete()
    return deleted
