"""Hooks the sms app offers to the apps above it.

``message_sent`` is sent by the dispatcher after the provider accepted a
message (``message_id``, ``sent_at``); the waiting list starts an offer's
deadline only then, so a provider outage cannot eat a resident's hold time.
``message_failed`` is sent when a message is given up (``message_id``).
"""

from django.dispatch import Signal

message_sent = Signal()
message_failed = Signal()
