import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from impfportal.shutdown import stop_on_signals
from standby.services import sweep


class Command(BaseCommand):
    help = (
        "Close standby rounds whose 30 minutes of claims are over (unclaimed doses go "
        "back) and let the entries of past days lapse, every --interval seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then stop.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between passes.")

    def handle(self, *args, once: bool, interval: float, **options):
        stop = threading.Event()
        with stop_on_signals(stop.set):
            while not stop.is_set():
                close_old_connections()
                done = sweep()
                if any(done.values()):
                    self.stdout.write(
                        f"standby: {done['closed']} rounds closed, {done['lapsed']} entries lapsed"
                    )
                if once:
                    break
                stop.wait(interval)
