"""What the reminders app does when the sms app asks or tells it something (see apps.py)."""

from reminders import services
from reminders.models import Reminder
from reminders.signals import reminder_sent


def screen_claimed(sender, messages, **kwargs) -> dict:
    """``sms.signals.messages_claimed``: drop or hold reminders that must not go out now."""
    return services.screen(messages)


def count_sent(sender, messages, **kwargs) -> None:
    """``sms.signals.messages_sent``: reminders of the batch reached the provider."""
    for (center_id, day), amount in services.sent_per_center_and_day(messages).items():
        reminder_sent.send(sender=Reminder, center_id=center_id, on=day, amount=amount)
