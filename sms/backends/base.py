from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sms.models import Message


class TransientSendError(Exception):
    """The provider could not take the message now; retry later."""


class PermanentSendError(Exception):
    """The provider will never deliver this message (invalid or blocked number)."""


class SmsBackend:
    def send(self, message: "Message") -> str:
        """Hand one message (SMS or voice call) to the provider; return its id."""
        raise NotImplementedError
