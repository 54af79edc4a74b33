from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Reminders 48 and 3 hours before each appointment, with an "I cannot come" link.

    Sits above booking (it cancels through ``booking.services``) and listens to
    the sms app's hooks: the outbox asks it at send time whether a reminder is
    still wanted, and tells it when one was handed to the provider.
    """

    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from reminders import receivers
        from sms.signals import messages_claimed, messages_sent

        messages_claimed.connect(receivers.screen_claimed, dispatch_uid="reminders.screen")
        messages_sent.connect(receivers.count_sent, dispatch_uid="reminders.sent")
