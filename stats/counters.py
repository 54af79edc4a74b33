"""Adding to the daily counters, inside the transaction of the event counted.

One ``INSERT … ON CONFLICT DO UPDATE SET value = value + n`` per event: the
row is created by the first event of the day and incremented by the rest, on
PostgreSQL and SQLite alike, with no read before the write.

Hot rows. An upsert holds the counter row's lock until the event's
transaction commits, so every booking of a center on one day would queue on
one row. Each call therefore picks one of ``STATS_COUNTER_SHARDS`` rows at
random (32 by default, summed when read). ``bench/stats_counters.py``, 16
threads on a busy 2-core machine: one row 100-570 bookings/s (p95 120-500 ms),
8 shards 430-1190/s, 32 shards 630-1220/s, about what 16 rows of their own
give. The signals are sent at the end of the event's transaction, so the lock
is held for little more than the commit. ``compact_counters`` folds the shards
of past days into one row, so reading long periods stays cheap.

Other ways considered: an append-only event table rolled up by a job (no
contention, but the pages would lag or read two tables) and counting after
the commit (``on_commit``: no lock, but a crash loses the figure).

Lock order. All rows of one call are written by one statement in a fixed
order (day, metric, place) into one shard, so one call never deadlocks with
another. A transaction that counts twice (a cancellation whose freed seat is
offered on) could meet another that counts the same two figures in the
opposite order, in the same two shards; PostgreSQL then aborts one of them
as for any deadlock. Random shards make that rare; the rows' locks last only
to the commit.
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import connection, transaction

from stats.models import NOWHERE, DailyCounter, Metric

type Key = tuple[date, str, int, int]

_COLUMNS = "day, metric, center_id, district_id, shard, value"
_CONFLICT = "day, metric, center_id, district_id, shard"


def _table() -> str:
    return connection.ops.quote_name(DailyCounter._meta.db_table)


def _upsert(amounts: dict[Key, int], *, shard: int) -> None:
    rows = sorted((key, amount) for key, amount in amounts.items() if amount)
    if not rows:
        return
    table = _table()
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list = []
    for (day, metric, center_id, district_id), amount in rows:
        params += [day, str(metric), center_id, district_id, shard, amount]
    sql = (
        f"INSERT INTO {table} ({_COLUMNS}) VALUES {placeholders} "  # noqa: S608 -- names only
        f"ON CONFLICT ({_CONFLICT}) DO UPDATE SET value = {table}.value + EXCLUDED.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _random_shard() -> int:
    return random.randrange(max(1, settings.STATS_COUNTER_SHARDS))  # noqa: S311 -- not a secret


def add(
    increments: Iterable[tuple[Metric | str, date, int, int, int]], *, shard: int | None = None
) -> None:
    """Add ``(metric, day, center_id, district_id, amount)`` increments in one statement.

    Call it inside the transaction of the event, so the figures commit or roll
    back with it. Increments of the same figure are merged; zeros are skipped.
    """
    merged: dict[Key, int] = defaultdict(int)
    for metric, day, center_id, district_id, amount in increments:
        merged[(day, str(metric), center_id or NOWHERE, district_id or NOWHERE)] += amount
    _upsert(merged, shard=_random_shard() if shard is None else shard)


def count(
    metric: Metric | str,
    *,
    day: date,
    center_id: int | None = None,
    district_id: int | None = None,
    amount: int = 1,
) -> None:
    """Add ``amount`` to one figure of ``day`` at a center, a district or (neither) the state."""
    if center_id:
        district_id = None  # a center's district is looked up when reading
    add([(metric, day, center_id or NOWHERE, district_id or NOWHERE, amount)])


def compact_counters(*, before: date) -> int:
    """Fold the shards of every day before ``before`` into shard 0; return rows removed.

    Safe while events are counted: the shard rows are deleted and their sum
    added in one transaction, and an event that counts into a deleted shard
    afterwards simply creates it again.
    """
    table = _table()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE day < %s AND shard > 0 "  # noqa: S608 -- names only
            "RETURNING day, metric, center_id, district_id, value",
            [before],
        )
        removed = cursor.fetchall()
        merged: dict[Key, int] = defaultdict(int)
        for day, metric, center_id, district_id, value in removed:
            merged[(day, metric, center_id, district_id)] += value
        _upsert(merged, shard=0)
    return len(removed)
