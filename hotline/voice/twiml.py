"""TwiML for the voice line: German, slow, everything said twice."""

from django.conf import settings
from twilio.twiml.voice_response import Gather, VoiceResponse

LANGUAGE = "de-DE"
GATHER_TIMEOUT_SECONDS = 8  # older callers look for the keys


def _say(parent: VoiceResponse | Gather, text: str, *, twice: bool = True) -> None:
    say = parent.say(language=LANGUAGE, voice=settings.HOTLINE_VOICE_NAME, loop=2 if twice else 1)
    say.prosody(text, rate="slow")


def ask(*, text: str, action: str, digits: int) -> str:
    """Say ``text`` twice and wait for ``digits`` keys (or # to end early).

    No entry at all falls through to the redirect, which posts to the same
    action without digits: the view counts that as silence.
    """
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=digits,
        action=action,
        method="POST",
        timeout=GATHER_TIMEOUT_SECONDS,
        finish_on_key="#",
    )
    _say(gather, text)
    response.redirect(action, method="POST")
    return str(response)


def say_and_hang_up(text: str) -> str:
    response = VoiceResponse()
    _say(response, text)
    response.hangup()
    return str(response)


def put_through(*, text: str, number: str) -> str:
    """The queue message, then the agents' number."""
    response = VoiceResponse()
    _say(response, text, twice=False)
    response.dial(number)
    return str(response)
