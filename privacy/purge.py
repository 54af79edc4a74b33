"""The purge: count the days that are about to lose rows into the statistics,
run every registry step, and record what went (counts only).

``purge`` runs in one transaction. A dry run does exactly the same and rolls
back, so its counts are those a real run would have had at that moment
(including the people left without a series by the series step).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from booking.models import Series
from privacy.models import PurgeRecord
from privacy.retention import REGISTRY, Action, Counts
from sms.models import Message
from stats.management.commands.rebuild_stats import LOCK_KEY as REBUILD_LOCK_KEY
from stats.rebuild import rebuild
from waitlist.models import Entry

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: two purges (two schedulers, an operator) take turns.
ADVISORY_LOCK = 0x50524745  # "PRGE"
# The steps that delete rows the statistics were counted from.
STATS_SOURCES = ("booking.Series", "waitlist.Entry", "sms.Message")


class PurgeBusy(Exception):
    """Another purge or a ``rebuild_stats`` is running."""


class _DryRun(Exception):
    pass


@dataclass
class PurgeResult:
    counts: Counts = field(default_factory=dict)
    stats_final_through: date | None = None
    stats_rebuilt: dict = field(default_factory=dict)
    committed: bool = False


def last_final_day() -> date | None:
    """The last day whose statistics are final (registered in ``stats.rebuild``)."""
    return PurgeRecord.objects.aggregate(day=Max("stats_final_through"))["day"]


def final_day_after(now: datetime) -> date:
    """Every row that a purge at ``now`` deletes had its counted events before
    the latest cutoff of the steps that delete counted rows; later days keep
    all their rows."""
    cutoffs = [
        now - entry.duration
        for entry in REGISTRY
        if entry.model in STATS_SOURCES and entry.action == Action.DELETE
    ]
    return timezone.localdate(max(cutoffs))


def _first_counted_day() -> date | None:
    firsts = [
        Series.objects.aggregate(d=Min("created_at"))["d"],
        Entry.objects.aggregate(d=Min("joined_at"))["d"],
        Message.objects.aggregate(d=Min("created_at"))["d"],
    ]
    known = [timezone.localdate(moment) for moment in firsts if moment is not None]
    return min(known, default=None)


def _count_into_statistics(final: date) -> dict:
    """Make the counters of the days that become final agree with the tables,
    while the tables still hold every row of those days."""
    previous = last_final_day()
    start = previous + timedelta(days=1) if previous else _first_counted_day()
    if start is None or start > final:
        return {}
    return rebuild(start=start, end=final)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            (locked,) = cursor.fetchone()
        if not locked:
            raise PurgeBusy("Another purge_personal_data is running.")


def purge(*, commit: bool, now: datetime | None = None) -> PurgeResult:
    """Delete what the registry says is due at ``now``; with ``commit=False`` roll back.

    Raises PurgeBusy when another purge or a statistics rebuild is running.
    """
    now = now or timezone.now()
    result = PurgeResult()
    # rebuild_stats adds differences: two at once would add them twice.
    if not cache.add(REBUILD_LOCK_KEY, 1, timeout=3600):
        raise PurgeBusy("rebuild_stats is running.")
    try:
        with transaction.atomic():
            _lock()
            final = max(final_day_after(now), last_final_day() or date.min)
            result.stats_rebuilt = _count_into_statistics(final)
            for entry in REGISTRY:
                if entry.step is None:
                    continue
                for label, n in entry.step(now - entry.duration).items():
                    result.counts[label] = result.counts.get(label, 0) + n
            result.stats_final_through = final
            if not commit:
                raise _DryRun
            PurgeRecord.objects.create(ran_at=now, counts=result.counts, stats_final_through=final)
            result.committed = True
    except _DryRun:
        pass
    finally:
        cache.delete(REBUILD_LOCK_KEY)
    if result.committed:
        logger.info("personal data purged: %s", result.counts)
    return result


def purged_today(now: datetime | None = None) -> bool:
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return PurgeRecord.objects.filter(ran_at__gte=start).exists()
