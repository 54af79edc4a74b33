"""How fast can many transactions count into one center's figure of one day?

At the morning peak hundreds of bookings a second count into the same
(center, day, "booked") figure. Each booking's upsert holds the counter row's
lock until its transaction commits, so with one row per figure the bookings of
a center queue behind each other; with shards they spread over several rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/impfportal_bench \\
        .venv/bin/python bench/stats_counters.py [--threads 16] [--events 100]

Each simulated booking does its own work first (``--work`` ms, no counter
lock held), then counts, then holds the lock for ``hold`` ms before the
commit: 0 where the signal is the transaction's last step (book_series,
cancel_series), more where a receiver runs mid-transaction. Prints events per
second and the 95th-percentile transaction time for 1, 8 and 32 shards, and
a baseline (0) in which every thread counts into a row of its own.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from stats.counters import count  # noqa: E402
from stats.models import DailyCounter, Metric  # noqa: E402


def run(*, shards: int, threads: int, events: int, work: float, hold: float) -> tuple[float, float]:
    settings.STATS_COUNTER_SHARDS = shards or 1
    DailyCounter.objects.all().delete()
    durations: list[float] = []
    barrier = threading.Barrier(threads + 1)

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for _ in range(events):
                began = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(%s)", [work])
                    # Baseline (0): each thread its own row, so nobody waits for a lock.
                    center_id = 1 if shards else 1000 + number
                    count(Metric.BOOKED, day=date(2021, 2, 1), center_id=center_id)
                    if hold:
                        cursor.execute("SELECT pg_sleep(%s)", [hold])
                durations.append(time.perf_counter() - began)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    total = sum(DailyCounter.objects.values_list("value", flat=True))
    assert total == threads * events, (total, threads * events)
    p95 = statistics.quantiles(durations, n=20)[-1]
    return threads * events / elapsed, p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--work", type=float, default=2.0, help="ms of other work per booking")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL).")
    call_command("migrate", verbosity=0)
    print(f"{args.threads} threads x {args.events} bookings, {args.work} ms other work each")
    print("shards  lock held after count  bookings/s  p95 ms")
    rates = {}
    for hold in (0.0, 2.0):
        for shards in (0, 1, 8, 32):
            rate, p95 = run(
                shards=shards,
                threads=args.threads,
                events=args.events,
                work=args.work / 1000,
                hold=hold / 1000,
            )
            rates[shards, hold] = rate
            print(f"{shards:>6}  {hold:>17.1f} ms  {rate:>10.0f}  {p95 * 1000:>6.1f}")
    DailyCounter.objects.all().delete()
    # The default's figure (STATS_COUNTER_SHARDS, 32) against rows of their own (0).
    sharded, own = rates[32, 0.0], rates[0, 0.0]
    print(
        f"RESULT stats_counters per_s={sharded:.0f} baseline_per_s={own:.0f} "
        f"ratio={sharded / own if own else 0.0:.2f}"
    )


if __name__ == "__main__":
    main()
