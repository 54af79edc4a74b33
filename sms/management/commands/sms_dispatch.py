import signal

from django.core.management.base import BaseCommand
from django.db import connection

from sms.dispatcher import Dispatcher


class Command(BaseCommand):
    help = (
        "Send queued text messages and voice calls from the outbox. Run as many "
        "processes as needed; SIGTERM or Ctrl+C finishes the messages in hand and stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due, then stop.")
        parser.add_argument(
            "--interval", type=float, help="Seconds between polls of an empty queue."
        )
        parser.add_argument("--batch", type=int, help="Most messages claimed at once.")
        parser.add_argument("--pool", type=int, help="Messages handed to the provider at once.")

    def handle(self, *args, once: bool, interval, batch, pool, **options):
        if connection.vendor == "postgresql":
            # The dispatcher commits claims and outcomes many times a second;
            # waiting for the disk on each made the disk its bottleneck. If
            # PostgreSQL itself crashes, the last moment's claims and outcomes
            # may be lost: those rows are sent again (the same text), never lost.
            # The messages themselves are queued with normal, durable commits.
            connection.close()
            db_options = connection.settings_dict.setdefault("OPTIONS", {})
            db_options["options"] = f"{db_options.get('options', '')} -c synchronous_commit=off"
        dispatcher = Dispatcher(pool_size=pool, batch_size=batch, idle_interval=interval)

        def stop(_signum, _frame):
            dispatcher.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sent = dispatcher.run(until_idle=once)
        self.stdout.write(f"{sent} sent")
