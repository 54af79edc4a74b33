import os
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from impfportal.shutdown import stop_on_signals
from reminders.services import enqueue_due_reminders

NICENESS = 10
# Rest this many times as long as each batch took: a pass of 100,000 reminders then
# takes about three times as long, and the database's share of the two cores that
# the bookings need drops to a third (the niceness does not reach PostgreSQL).
PACE = 2.0


class Command(BaseCommand):
    help = (
        "Queue the reminders due in the next 24 hours into the outbox, every --interval "
        "seconds (the sms dispatcher sends them at their moment). Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then stop.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between passes.")
        parser.add_argument(
            "--nice", type=int, default=NICENESS, help="Lower the CPU priority by this much."
        )
        parser.add_argument(
            "--pace",
            type=float,
            default=PACE,
            help="Rest this many times as long as each batch took (0: no rest).",
        )

    def handle(self, *args, once: bool, interval: float, nice: int, pace: float, **options):
        # A pass queues up to hundreds of thousands of texts: it gives way to the
        # web processes on the same machine (bench/reminders.py measures it).
        if nice:
            os.nice(nice)
        stop = threading.Event()
        with stop_on_signals(stop.set):
            while not stop.is_set():
                close_old_connections()
                done = enqueue_due_reminders(pace=pace, stop=stop)
                if done["queued"] or done["skipped"]:
                    self.stdout.write(
                        f"reminders: {done['queued']} queued, {done['skipped']} not needed"
                    )
                if once:
                    break
                stop.wait(interval)
