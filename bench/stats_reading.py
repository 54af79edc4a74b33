"""How long do the statistics' queries take over a year of counters?

Fills the counters of 50 centers for a year (every metric, every day, one
row each as after ``compact_stats``, plus 32 shards for today), runs ANALYZE
(autovacuum is off on the test machines), then times the figures per day
(14 days and a year, state-wide and for a district) and per center.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/impfportal_bench \\
        .venv/bin/python bench/stats_reading.py
"""

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

CENTERS, DAYS, SHARDS_TODAY = 50, 365, 32


def fill() -> None:
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
        for n in range(CENTERS)
    ]
    today = timezone.localdate()
    rows = [
        DailyCounter(day=today - timedelta(days=d), metric=m, center_id=c.pk, value=d + 1)
        for c in centers
        for d in range(1, DAYS)
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


def timed(label: str, work, repeat: int = 5) -> None:
    best = min(_once(work) for _ in range(repeat))
    print(f"{label:<45} {best * 1000:7.1f} ms")


def _once(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL).")
    call_command("migrate", verbosity=0)
    fill()
    centers = all_centers()
    district = centers[0].district
    today = timezone.localdate()
    two_weeks, year = today - timedelta(days=13), today - timedelta(days=DAYS - 1)
    state, local = Scope("state"), Scope("district", district=district)
    timed(
        "per day, state, 14 days",
        lambda: daily_figures(start=two_weeks, end=today, scope=state, centers=centers),
    )
    timed(
        "per day, state, 365 days",
        lambda: daily_figures(start=year, end=today, scope=state, centers=centers),
    )
    timed(
        "per day, district of 50 centers, 365 days",
        lambda: daily_figures(start=year, end=today, scope=local, centers=centers),
    )
    timed(
        "per center, 14 days",
        lambda: place_figures(start=two_weeks, end=today, by="center", centers=centers),
    )
    timed(
        "per center, 365 days",
        lambda: place_figures(start=year, end=today, by="center", centers=centers),
    )
    DailyCounter.objects.all().delete()
    Center.objects.filter(slug__startswith="bench-").delete()


if __name__ == "__main__":
    main()
