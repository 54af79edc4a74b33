import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from centers.hotline_hold import end_due_hotline_holds
from impfportal.task_leases import requeue_stalled_tasks
from waitlist.offers import sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "The waiting list's safety net: expire overdue offers, start deadlines whose "
        "signal was lost, pass on offers whose SMS failed, give back seats held for "
        "the hotline whose hours are over. Runs every few seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Sweep once, then stop.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.WAITLIST_SWEEP_SECONDS,
            help="Seconds between sweeps (default: WAITLIST_SWEEP_SECONDS).",
        )

    def handle(self, *args, once: bool, interval: float, **options):
        while True:
            close_old_connections()
            counts = {
                **sweep(),
                "tasks_requeued": requeue_stalled_tasks(),
                # Behind the release's own task (``centers.tasks.end_hotline_holds``).
                "hotline_holds_ended": end_due_hotline_holds(),
            }
            if any(counts.values()):
                logger.info("waitlist sweep: %s", counts)
            if once:
                self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
                return
            time.sleep(interval)
