"""Calls that the callee answers by keypad.

A voice message normally carries its TwiML inline (the text read out). A
higher app can instead have some messages' calls fetch their TwiML from its
webhook when the call is answered, e.g. the hotline's offer call that asks
"press 1 to accept, 2 to decline". It registers a function from the message
(its id and idempotency key) to that URL here at start-up; ``sms`` does not
know what the call is about.
"""

from collections.abc import Callable

from sms.models import Message

type UrlFor = Callable[[Message], str | None]

_handlers: dict[str, UrlFor] = {}


def register(key_prefix: str, url_for: UrlFor) -> None:
    """Calls for messages whose idempotency key starts with ``key_prefix``
    fetch their TwiML from ``url_for(message)`` (None: read the text inline)."""
    _handlers[key_prefix] = url_for


def call_url(message: Message) -> str | None:
    for prefix, url_for in _handlers.items():
        if message.idempotency_key.startswith(prefix):
            return url_for(message)
    return None
