"""``manage.py compact_stats``: fold the counter shards of past days into one row each."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from stats.counters import compact_counters


class Command(BaseCommand):
    help = (
        "Fold the shards of each daily counter before yesterday into one row, so that "
        "reading long periods stays fast. Run it once a day (e.g. at night); safe while "
        "the portal runs."
    )

    def handle(self, *args, **options):
        # Yesterday may still get late events (a dispatcher's retry): leave it be.
        before = timezone.localdate() - timedelta(days=1)
        removed = compact_counters(before=before)
        self.stdout.write(f"{removed} counter rows folded (days before {before}).")
