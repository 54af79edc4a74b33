"""Running a draw: fix the order once, then hand the seats to the exchange in it.

``run_draw`` is what the background task does at the window's close; it is
idempotent and resumable:

1. ``rank_entries``: in one transaction, under the draw's row lock, every
   entry gets its place (``draw.order``) and its waiting place joins the list
   at that place. Either all of it commits or nothing does, and the order is a
   function of the committed key and the ids, so a crash here and a second
   run give the same order; once ``ranked_at`` is set this step does nothing.
2. ``offer_seats``: free seats of the covered centers go to the exchange, one
   offer per savepoint with the draw's counter (``seats_offered``) in the same
   transaction, until ``seats`` have been offered or nothing is left. A crash
   resumes with the remaining seats; a second run finds none.

Declines and expiry then pass each seat on through the exchange as always,
in the list's order, which for the drawn entries is the draw order.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from centers.models import Slot
from draw import order
from draw.models import Draw, DrawEntry
from waitlist import exchange
from waitlist.models import Entry

logger = logging.getLogger(__name__)

# A drawn entry's ``joined_at`` is the window's start plus its place in these.
PLACE_STEP = timedelta(microseconds=1)


@dataclass(frozen=True)
class DrawRun:
    ranked: int  # entries placed by this run (0 when the order was fixed before)
    offered: int  # offers made by this run


def schedule(draw: Draw, *, user=None) -> None:
    """After a draw is saved: publish its commitment in the audit log (the
    admin's history of the opening) and schedule it for the window's close."""
    from draw import tasks  # tasks import this module

    if user is not None:
        LogEntry.objects.create(
            user=user,
            content_type=ContentType.objects.get_for_model(draw.opening),
            object_id=str(draw.opening.pk),
            object_repr=str(draw.opening)[:200],
            action_flag=CHANGE,
            change_message=(
                f"Draw: registration {draw.opening.opens_at.isoformat()} to "
                f"{draw.closes_at.isoformat()}, {draw.seats} seats; "
                f"SHA-256 of the key: {draw.opening.commitment}"
            ),
        )
    tasks.run_draw.using(run_after=draw.closes_at).enqueue(draw_id=draw.pk)


def rank_entries(*, draw_id: int, now: datetime | None = None) -> int:
    """Fix the draw's order once (see the module); returns the entries placed now."""
    now = now or timezone.now()
    with transaction.atomic():
        draw = Draw.objects.select_for_update().select_related("opening").get(pk=draw_id)
        if draw.ranked_at is not None or now < draw.closes_at:
            return 0
        rows = dict(draw.entries.values_list("public_id", "priority_rank"))
        ids = dict(draw.entries.values_list("public_id", "pk"))
        places = order.draw_order(draw.opening.key, rows.items())
        draw_entry_ids = [ids[public_id] for public_id in places]
        ranks = list(range(1, len(places) + 1))
        _place(draw_entry_ids, ranks, start=draw.opening.opens_at)
        draw.ranked_at = now
        draw.save(update_fields=["ranked_at"])
    return len(places)


def _place(draw_entry_ids: list[int], ranks: list[int], *, start: datetime) -> None:
    """Two UPDATEs over arrays (200,000 rows in seconds, not one query per row):
    the ranks, and the waiting places that still wait for the draw join the list
    at ``start`` plus their rank."""
    draw_table = DrawEntry._meta.db_table
    entry_table = Entry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {draw_table} AS d SET rank = v.rank "  # noqa: S608 -- names only
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, rank) WHERE d.id = v.id",
            [draw_entry_ids, ranks],
        )
        cursor.execute(
            f"UPDATE {entry_table} AS e SET status = %s, "  # noqa: S608 -- names only
            "joined_at = %s + v.rank * interval '1 microsecond' "
            f"FROM {draw_table} AS d, unnest(%s::bigint[], %s::integer[]) AS v(id, rank) "
            "WHERE d.id = v.id AND e.id = d.entry_id AND e.status = %s",
            [Entry.Status.WAITING, start, draw_entry_ids, ranks, Entry.Status.DRAW],
        )


def covered_slot_ids(draw: Draw) -> list[int]:
    """First-dose slots of the covered centers (and the opening's vaccine) that
    can still be offered, earliest first."""
    earliest = timezone.now() + settings.WAITLIST_MIN_NOTICE
    scope = Q(center__district__in=draw.districts.all()) | Q(center__in=draw.centers.all())
    slots = Slot.objects.with_free_series().filter(scope, starts_at__gte=earliest)
    if draw.opening.vaccine_id:
        slots = slots.filter(vaccine_id=draw.opening.vaccine_id)
    return list(slots.order_by("starts_at", "pk").values_list("pk", flat=True).distinct())


def offer_seats(*, draw_id: int, now: datetime | None = None) -> int:
    """Offer up to the draw's seats, in draw order (see the module); returns how many now."""
    draw = Draw.objects.select_related("opening").get(pk=draw_id)
    if draw.ranked_at is None or draw.offered_at is not None:
        return 0
    made = 0
    for slot in exchange.offerable_slots(covered_slot_ids(draw)):
        while draw.seats_offered < draw.seats:
            with transaction.atomic():
                offer = exchange.offer_next_seat(slot=slot)
                if offer is None:
                    break
                Draw.objects.filter(pk=draw.pk).update(seats_offered=F("seats_offered") + 1)
            draw.seats_offered += 1
            made += 1
        if draw.seats_offered >= draw.seats:
            break
    Draw.objects.filter(pk=draw.pk, offered_at__isnull=True).update(
        offered_at=now or timezone.now()
    )
    return made


def run_draw(*, draw_id: int, now: datetime | None = None) -> DrawRun:
    """The draw at the window's close: order once, then the first offers."""
    ranked = rank_entries(draw_id=draw_id, now=now)
    offered = offer_seats(draw_id=draw_id, now=now)
    if ranked or offered:
        logger.info("Draw %s: %s entries placed, %s offers made", draw_id, ranked, offered)
    return DrawRun(ranked=ranked, offered=offered)
