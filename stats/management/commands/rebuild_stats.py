"""``manage.py rebuild_stats``: recompute the daily counters from the source tables."""

from datetime import date, timedelta

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stats.rebuild import SOURCES, differences, first_rebuildable_day, rebuild

DEFAULT_DAYS_BACK = 30
# Released slots lie in the future: look this far ahead by default.
DEFAULT_DAYS_AHEAD = 366
LOCK_KEY = "stats:rebuild:running"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2021-02-03.") from None


class Command(BaseCommand):
    help = (
        "Recompute the statistics' daily counters from the bookings, slots, deliveries, "
        "waiting list and text messages, and add what they lack. Safe while the portal runs. "
        "Do not rebuild days whose personal data has already been deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_day, help="First day (default: 30 days ago).")
        parser.add_argument("--until", type=_day, help="Last day (default: a year ahead).")
        parser.add_argument(
            "--metric",
            action="append",
            choices=[str(metric) for metric in SOURCES],
            help="Only this figure (may be given several times).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; list the differences and fail if there are any.",
        )

    def handle(self, *args, since, until, metric, check, **options):
        today = timezone.localdate()
        start = since or today - timedelta(days=DEFAULT_DAYS_BACK)
        end = until or today + timedelta(days=DEFAULT_DAYS_AHEAD)
        if start > end:
            raise CommandError("--since must not be after --until.")
        metrics = [m for m in SOURCES if metric is None or str(m) in metric]
        if first_rebuildable_day(start) > start:
            start = first_rebuildable_day(start)
            self.stdout.write(
                f"Days before {start} are final (their personal data was deleted): left out."
            )
        if check:
            changes = differences(start=start, end=end, metrics=metrics)
        else:
            # Two rebuilds at once would each add the same difference.
            if not cache.add(LOCK_KEY, 1, timeout=3600):
                raise CommandError("Another rebuild_stats is running.")
            try:
                changes = rebuild(start=start, end=end, metrics=metrics)
            finally:
                cache.delete(LOCK_KEY)
        for (day, name, center_id, district_id), change in sorted(changes.items()):
            self.stdout.write(
                f"{day} {name} center={center_id} district={district_id}: {change:+d}"
            )
        summary = f"{len(changes)} figures differ from {start} to {end}."
        if check and changes:
            raise CommandError(summary)
        self.stdout.write(summary if check else f"{len(changes)} figures corrected.")
