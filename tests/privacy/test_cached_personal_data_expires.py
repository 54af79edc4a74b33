"""Personal data outside the database lives only in Redis and only with an expiry:
the voice line's answers (date of birth, postal code) while a call lasts."""

import pytest
from django.core.cache import cache

from hotline.voice.calls import ANSWERS, STATE_SECONDS, _key
from tests.hotline.voice import Caller, switch_on_voice_line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def voice_line(settings):
    switch_on_voice_line(settings)


def test_a_callers_answers_expire_with_the_call(center, vaccine, open_for_80):
    call = Caller("+495111234567")
    call.dial_in()
    call.press("2")
    call.press("17051938")  # the date of birth, kept until the caller confirms it
    key = _key(call.params["CallSid"], "dob")
    assert "1938" in str(cache.get(key))  # what must not stay
    seconds_left = cache.ttl(key)  # type: ignore[attr-defined]  # django-redis
    assert 0 < seconds_left <= STATE_SECONDS
    assert STATE_SECONDS <= 60 * 60  # a call's answers never outlive an hour
    for answer in ANSWERS:  # every answer kept is kept with the same expiry
        ttl = cache.ttl(_key(call.params["CallSid"], answer))  # type: ignore[attr-defined]
        assert ttl == 0 or (ttl is not None and 0 < ttl <= STATE_SECONDS)  # 0: not kept
