"""How long do the statistics' queries take over a year of counters?

Fills the counters of 50 centers for a year (every metric, every day, one
row each as after ``compact_stats``, plus 32 shards for today), runs ANALYZE
(autovacuum is off on the test machines), then times the figures per day
(14 days and a year, state-wide and for a district) and per center.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/impfportal_bench \\
        .venv/bin/python bench/stats_reading.py
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from centers.models import Center, District  # noqa: E402
from stats.figures import Scope, all_centers, daily_figures, place_figures  # noqa: E402
from stats.models import DailyCounter, Metric  # noqa: E402

SHARDS_TODAY = 32


def fill(*, centers_count: int, days: int) -> None:
    DailyCounter.objects.all().delete()
    Center.objects.filter(slug__startswith="bench-").delete()
    district, _ = District.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    centers = [
        Center.objects.create(
            district=district,
            name=f"Bench {n}",
            slug=f"bench-{n}",
            street="-",
            postal_code="-",
            town="-",
        )
        for n in range(centers_count)
    ]
    today = timezone.localdate()
    rows = [
        DailyCounter(day=today - timedelta(days=d), metric=m, center_id=c.pk, value=d + 1)
        for c in centers
        for d in range(1, days)
        for m in Metric
    ] + [
        DailyCounter(day=today, metric=m, center_id=c.pk, shard=s, value=1)
        for c in centers
        for m in Metric
        for s in range(SHARDS_TODAY)
    ]
    DailyCounter.objects.bulk_create(rows, batch_size=10000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE stats_dailycounter")
    print(f"{len(rows):,} counter rows")


def timed(label: str, work, repeat: int = 5) -> float:
    best = min(_once(work) for _ in range(repeat))
    print(f"{label:<45} {best * 1000:7.1f} ms")
    return best * 1000


def _once(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--centers", type=int, default=50)
    parser.add_argument("--days", type=int, default=365, help="of counters, back from today")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL).")
    call_command("migrate", verbosity=0)
    fill(centers_count=args.centers, days=args.days)
    centers = all_centers()
    district = centers[0].district
    today = timezone.localdate()
    two_weeks, year = today - timedelta(days=13), today - timedelta(days=args.days - 1)
    state, local = Scope("state"), Scope("district", district=district)
    timed(
        "per day, state, 14 days",
        lambda: daily_figures(start=two_weeks, end=today, scope=state, centers=centers),
    )
    state_year = timed(
        f"per day, state, {args.days} days",
        lambda: daily_figures(start=year, end=today, scope=state, centers=centers),
    )
    timed(
        f"per day, district of {args.centers} centers, {args.days} days",
        lambda: daily_figures(start=year, end=today, scope=local, centers=centers),
    )
    timed(
        "per center, 14 days",
        lambda: place_figures(start=two_weeks, end=today, by="center", centers=centers),
    )
    center_year = timed(
        f"per center, {args.days} days",
        lambda: place_figures(start=year, end=today, by="center", centers=centers),
    )
    DailyCounter.objects.all().delete()
    Center.objects.filter(slug__startswith="bench-").delete()
    print(f"RESULT stats_reading state_year_ms={state_year:.1f} center_year_ms={center_year:.1f}")


if __name__ == "__main__":
    main()
