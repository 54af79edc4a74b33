"""Hooks the sms app offers to the apps above it.

``messages_sent`` is sent by the dispatcher once per recorded batch, after
the outcome rows are written, with the ``messages`` the provider accepted
(``Message`` rows with ``sent_at`` set); the waiting list starts an offer's
deadline only then, so a provider outage cannot eat a resident's hold time.
``messages_failed`` is sent the same way with the ``messages`` given up
(status ``failed`` or ``dropped``).

One signal per batch rather than per message: a receiver does one set-based
statement for the batch (the statistics' one upsert) or picks out the few
messages that are its own in Python (offers by priority, reminders by
idempotency key) and touches the database only for those. Per message, the
receivers' statements cost the dispatcher more than sending (bench/README.md,
sms_drain). The rows are the dispatcher's: read them, do not change them.
"""

from django.dispatch import Signal

messages_sent = Signal()
messages_failed = Signal()

# ``messages_claimed`` is a question the outbox asks right after a dispatcher
# claimed rows (``messages``), before any is handed to the provider: is each
# still wanted now? A receiver answers ``{message_id: None}`` for a message
# that must not be sent any more (a reminder of a cancelled appointment) and
# ``{message_id: moment}`` for one that must wait until then (quiet hours);
# messages it does not name go out. Only the apps that queue such messages
# answer, so codes and offers are never held up by a query of theirs.
messages_claimed = Signal()
