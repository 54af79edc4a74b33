"""A verification code's text is kept only until the provider has it.

Codes are stored as keyed hashes (sms.services); the outbox row that carries
the code to the provider would otherwise keep it readable in the database for
as long as the row lives. Once a text message is sent or given up, its body
is blanked. Voice calls are left alone until it is settled that no provider
callback reads the body after the call was placed.
"""

from django.dispatch import receiver

from sms.models import Message
from sms.signals import message_failed, message_sent


@receiver(message_sent)
@receiver(message_failed)
def forget_code_text(sender, message_id: int, **kwargs) -> None:
    Message.objects.filter(
        pk=message_id, priority=Message.Priority.CODE, channel=Message.Channel.SMS
    ).update(body="")
