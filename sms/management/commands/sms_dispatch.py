import signal

from django.core.management.base import BaseCommand

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
        dispatcher = Dispatcher(pool_size=pool, batch_size=batch, idle_interval=interval)

        def stop(_signum, _frame):
            dispatcher.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sent = dispatcher.run(until_idle=once)
        self.stdout.write(f"{sent} sent")
