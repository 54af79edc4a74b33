from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.backends.signals import connection_created

from impfportal.shutdown import stop_on_signals
from sms.dispatcher import Dispatcher


def commit_without_waiting_for_disk(sender=None, connection=connection, **kwargs):
    """The dispatcher commits claims and outcomes many times a second; waiting
    for the disk on each made the disk its bottleneck. If PostgreSQL itself
    crashes, the last moment's claims and outcomes may be lost: those rows are
    sent again (the same text), never lost. The messages themselves are queued
    by the web processes with normal, durable commits."""
    if connection.vendor == "postgresql" and not settings.DB_TRANSACTION_POOLING:
        # Behind PgBouncer's transaction mode a SET would stay on a server
        # connection that other clients get next: durable commits there.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


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
        # For this process's connection now and after any reconnect.
        connection_created.connect(commit_without_waiting_for_disk)
        if connection.connection is not None:
            commit_without_waiting_for_disk(connection=connection)
        dispatcher = Dispatcher(pool_size=pool, batch_size=batch, idle_interval=interval)
        try:
            with stop_on_signals(dispatcher.stop):
                sent = dispatcher.run(until_idle=once)
        finally:
            connection_created.disconnect(commit_without_waiting_for_disk)
        self.stdout.write(f"{sent} sent")
