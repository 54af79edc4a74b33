from django.core.management.base import BaseCommand
from django.utils import timezone

from sms.stats import code_traffic


class Command(BaseCommand):
    help = (
        "Codes requested, sent, failed and verified per hour: few verified out of "
        "many sent means SMS pumping or a delivery problem (marked ALARM)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="How many hours back.")

    def handle(self, *args, hours: int, **options):
        self.stdout.write(
            f"{'hour':<17} {'requested':>9} {'sent':>7} {'failed':>7} {'verified':>8}"
        )
        for row in code_traffic(hours=hours):
            share = row.verified_share
            self.stdout.write(
                f"{timezone.localtime(row.hour):%Y-%m-%d %H:00} {row.requested:>9} {row.sent:>7} "
                f"{row.failed:>7} {row.verified:>8}"
                + (f"  {share:.0%} verified" if share is not None else "")
                + ("  ALARM" if row.alarm else "")
            )
