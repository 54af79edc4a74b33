"""``manage.py purge_personal_data``: delete personal data whose purpose has ended.

Dry run by default (counts what would go, changes nothing); ``--commit`` deletes.
``--commit --daily`` is the scheduler process (Procfile.dev, deploy/compose.yaml):
it purges once a day after ``PURGE_HOUR`` (local time). It checks every few
minutes whether today's purge has run, so a restart, a missed hour or a second
scheduler neither skips a day nor purges twice (the purge takes an advisory
lock, and a day with a deletion record is done).
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from privacy.purge import PurgeBusy, PurgeResult, purge, purged_today

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 300


class Command(BaseCommand):
    help = (
        "Delete personal data whose retention (privacy/retention.py) has passed, after "
        "counting its days into the statistics. Dry run unless --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commit", action="store_true", help="Delete (default: dry run).")
        parser.add_argument(
            "--daily",
            action="store_true",
            help="Keep running and purge once a day after PURGE_HOUR (needs --commit).",
        )

    def handle(self, *args, commit: bool, daily: bool, **options):
        if daily and not commit:
            raise CommandError("--daily deletes: give --commit as well.")
        if not daily:
            try:
                self._report(purge(commit=commit))
            except PurgeBusy as busy:
                raise CommandError(str(busy)) from None
            return
        while True:
            close_old_connections()
            now = timezone.localtime()
            if now.hour >= settings.PURGE_HOUR and not purged_today(now):
                try:
                    self._report(purge(commit=True))
                except PurgeBusy as busy:
                    logger.info("purge postponed: %s", busy)
                except Exception:
                    # The next check tries again; the scheduler must not die of one failure.
                    logger.exception("purge failed")
            time.sleep(CHECK_EVERY_SECONDS)

    def _report(self, result: PurgeResult) -> None:
        for label, n in sorted(result.counts.items()):
            self.stdout.write(f"{label}: {n}")
        total = sum(result.counts.values())
        self.stdout.write(
            f"{len(result.stats_rebuilt)} statistics figures corrected; "
            f"statistics final up to {result.stats_final_through}."
        )
        if result.committed:
            self.stdout.write(f"{total} rows deleted or blanked.")
        else:
            self.stdout.write(f"Dry run: {total} rows would be deleted or blanked (--commit).")
