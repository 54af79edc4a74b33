from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sms.models import Message


class TransientSendError(Exception):
    """The provider could not take the message now (overloaded, down, timed out); retry later."""


class PermanentSendError(Exception):
    """The provider will never deliver this message (invalid or blocked number)."""


class SmsBackend:
    """Hands one outbox message to a provider.

    ``send`` is called from the dispatcher's worker threads at the same time for
    different messages, so a backend keeps no per-message state on itself.
    Error texts must not contain the message body (it may hold a code).
    """

    def send(self, message: "Message") -> str:
        """Hand one message (SMS or voice call) to the provider; return its id."""
        raise NotImplementedError

    def sender_key(self, channel: str) -> str:
        """Who sends on ``channel``: the provider's rate limit applies per sender."""
        return f"{type(self).__name__}:{channel}"
