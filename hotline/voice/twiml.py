"""TwiML for the voice line: German, slow, everything said twice.

Written as text rather than through the twilio SDK's ``VoiceResponse``: the
answers are a handful of fixed shapes, and building and serialising the SDK's
element tree cost a webhook more CPU than the rest of its view
(bench/README.md, the voice line). Every value goes through ``_text`` or
``_attribute``; the output is the SDK's, byte for byte
(tests/hotline/test_voice_twiml.py).
"""

from xml.sax.saxutils import escape

from django.conf import settings

LANGUAGE = "de-DE"
GATHER_TIMEOUT_SECONDS = 8  # older callers look for the keys
_HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
_TAIL = "</Response>"


def _text(value: str) -> str:
    return escape(value)


_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attribute(value: str) -> str:
    return escape(value, _ATTRIBUTE_ENTITIES)


def _say(text: str, *, twice: bool = True) -> str:
    return (
        f'<Say language="{LANGUAGE}" loop="{2 if twice else 1}" '
        f'voice="{_attribute(settings.HOTLINE_VOICE_NAME)}">'
        f'<prosody rate="slow">{_text(text)}</prosody></Say>'
    )


def ask(*, text: str, action: str, digits: int) -> str:
    """Say ``text`` twice and wait for ``digits`` keys (or # to end early).

    No entry at all falls through to the redirect, which posts to the same
    action without digits: the view counts that as silence.
    """
    return (
        f'{_HEAD}<Gather action="{_attribute(action)}" finishOnKey="#" input="dtmf" '
        f'method="POST" numDigits="{int(digits)}" timeout="{GATHER_TIMEOUT_SECONDS}">'
        f'{_say(text)}</Gather><Redirect method="POST">{_text(action)}</Redirect>{_TAIL}'
    )


def say_and_hang_up(text: str) -> str:
    return f"{_HEAD}{_say(text)}<Hangup />{_TAIL}"


def put_through(*, text: str, number: str) -> str:
    """The queue message, then the agents' number."""
    return f"{_HEAD}{_say(text, twice=False)}<Dial>{_text(number)}</Dial>{_TAIL}"
