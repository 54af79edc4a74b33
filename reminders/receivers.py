"""What the reminders app does when the sms app asks or tells it something (see apps.py)."""

from django.utils import timezone

from reminders import services
from reminders.models import Reminder
from reminders.signals import reminder_sent


def screen_claimed(sender, messages, **kwargs) -> dict:
    """``sms.signals.messages_claimed``: drop or hold reminders that must not go out now."""
    return services.screen(messages)


def count_sent(sender, message_id: int, sent_at, **kwargs) -> None:
    """``sms.signals.message_sent``: a reminder reached the provider."""
    center_id = services.center_of_sent_reminder(message_id)
    if center_id is not None:
        reminder_sent.send(sender=Reminder, center_id=center_id, on=timezone.localdate(sent_at))
