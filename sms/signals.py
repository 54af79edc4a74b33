"""Hooks the sms app offers to the apps above it.

``message_sent`` is sent by the dispatcher after the provider accepted a
message (``message_id``, ``sent_at``); the waiting list starts an offer's
deadline only then, so a provider outage cannot eat a resident's hold time.
``message_failed`` is sent when a message is given up (``message_id``).
"""

from django.dispatch import Signal

message_sent = Signal()
message_failed = Signal()

# ``messages_claimed`` is a question the outbox asks right after a dispatcher
# claimed rows (``messages``), before any is handed to the provider: is each
# still wanted now? A receiver answers ``{message_id: None}`` for a message
# that must not be sent any more (a reminder of a cancelled appointment) and
# ``{message_id: moment}`` for one that must wait until then (quiet hours);
# messages it does not name go out. Only the apps that queue such messages
# answer, so codes and offers are never held up by a query of theirs.
messages_claimed = Signal()
