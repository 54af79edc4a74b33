"""The voice line's TwiML is written as text: it must be what the twilio SDK's
VoiceResponse writes, byte for byte, also for text that needs escaping."""

import pytest
from twilio.twiml.voice_response import VoiceResponse

from hotline.voice import twiml

TRICKY = [
    "Willkommen beim Impfportal.",
    'Sie sagten "30159" & <Hannover>, Müßiggang.',
    "Zeile eins\nZeile zwei\tmit Tab\r",
    "It's ]]> and &amp; already",
]


def sdk_say(parent, text: str, *, voice: str, twice: bool = True) -> None:
    say = parent.say(language="de-DE", voice=voice, loop=2 if twice else 1)
    say.prosody(text, rate="slow")


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("voice", ["Polly.Vicki", 'Polly."Marlene" & <Hans>\n'])
def test_a_question_is_the_sdks_answer(settings, text, voice):
    settings.HOTLINE_VOICE_NAME = voice
    action = 'https://impfportal.example/voice/step/menu/?t=1&x="<y>"\t'
    expected = VoiceResponse()
    gather = expected.gather(
        input="dtmf", num_digits=5, action=action, method="POST", timeout=8, finish_on_key="#"
    )
    sdk_say(gather, text, voice=voice)
    expected.redirect(action, method="POST")
    assert twiml.ask(text=text, action=action, digits=5) == str(expected)


@pytest.mark.parametrize("text", TRICKY)
def test_a_goodbye_is_the_sdks_answer(settings, text):
    expected = VoiceResponse()
    sdk_say(expected, text, voice=settings.HOTLINE_VOICE_NAME)
    expected.hangup()
    assert twiml.say_and_hang_up(text) == str(expected)


@pytest.mark.parametrize("text", TRICKY)
def test_putting_through_is_the_sdks_answer(settings, text):
    expected = VoiceResponse()
    sdk_say(expected, text, voice=settings.HOTLINE_VOICE_NAME, twice=False)
    expected.dial("+49 511 <5550199> & more")
    assert twiml.put_through(text=text, number="+49 511 <5550199> & more") == str(expected)
