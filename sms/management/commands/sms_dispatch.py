import time

from django.core.management.base import BaseCommand

from sms.outbox import dispatch_due


class Command(BaseCommand):
    help = "Send queued text messages and voice calls from the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due, then stop.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--batch", type=int, default=100, help="Messages per claim.")

    def handle(self, *args, once: bool, interval: float, batch: int, **options):
        while True:
            sent = dispatch_due(limit=batch)
            if once:
                self.stdout.write(f"{sent} sent")
                return
            if sent < batch:
                time.sleep(interval)
