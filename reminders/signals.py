"""Hooks the reminders app offers to the statistics (the simple contract:
``center_id``, ``on``, ``amount``).

``reminder_sent``: a reminder was handed to the provider.
``cancelled_by_reminder``: a series was cancelled through a reminder's link.
"""

from django.dispatch import Signal

reminder_sent = Signal()
cancelled_by_reminder = Signal()
