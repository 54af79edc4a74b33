import os
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from reminders.services import enqueue_due_reminders

NICENESS = 10


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

    def handle(self, *args, once: bool, interval: float, nice: int, **options):
        # A pass queues up to hundreds of thousands of texts: it gives way to the
        # web processes on the same machine (bench/reminders.py measures it).
        if nice:
            os.nice(nice)
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda _signum, _frame: stop.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not stop.is_set():
                close_old_connections()
                done = enqueue_due_reminders()
                if done["queued"] or done["skipped"]:
                    self.stdout.write(
                        f"reminders: {done['queued']} queued, {done['skipped']} not needed"
                    )
                if once:
                    break
                stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
