"""A webhook is answered while a caller listens to silence: it does no work its
answer does not need. No session is read or written (Twilio keeps no session of
ours), the call's answers are read from the cache only by the questions that
use them, and an answer is kept without reading what is kept already."""

from datetime import date

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache

from hotline.voice import calls
from tests.hotline.voice import Caller, switch_on_voice_line
from waitlist.models import Entry

pytestmark = pytest.mark.django_db
LANDLINE = "+495111234567"


@pytest.fixture(autouse=True)
def voice_line(settings):
    switch_on_voice_line(settings)


class CountingCache:
    """The real cache, counting the round trips the voice line asks of it."""

    def __init__(self):
        self.gets = 0
        self.sets = 0

    def get(self, *args, **kwargs):
        self.gets += 1
        return cache.get(*args, **kwargs)

    def get_many(self, *args, **kwargs):
        self.gets += 1
        return cache.get_many(*args, **kwargs)

    def set(self, *args, **kwargs):
        self.sets += 1
        return cache.set(*args, **kwargs)

    def set_many(self, *args, **kwargs):
        self.sets += 1
        return cache.set_many(*args, **kwargs)


def join(call: Caller, counting: CountingCache) -> list[tuple[int, int]]:
    """Walk menu item 2; the cache reads and writes of each webhook."""
    trips = []
    for press in (
        call.dial_in,
        lambda: call.press("2"),
        lambda: call.press("17051938"),
        lambda: call.press("1"),
        lambda: call.press("30159"),
        lambda: call.press("1"),
    ):
        before = (counting.gets, counting.sets)
        press()
        trips.append((counting.gets - before[0], counting.sets - before[1]))
    return trips


def test_a_call_writes_no_session_and_sets_no_cookie(center, vaccine, open_for_80):
    call = Caller(LANDLINE)
    join(call, CountingCache())
    assert Entry.objects.get().person.date_of_birth == date(1938, 5, 17)
    assert len(call.responses) == 6
    assert all(not response.cookies for response in call.responses)
    assert all("Set-Cookie" not in response for response in call.responses)
    assert not Session.objects.exists()


def test_only_the_questions_that_use_the_answers_read_them(
    center, vaccine, open_for_80, monkeypatch
):
    counting = CountingCache()
    monkeypatch.setattr(calls, "cache", counting)
    trips = join(Caller(LANDLINE), counting)
    assert trips == [
        (0, 0),  # the greeting
        (0, 0),  # "2": the question for the date of birth needs nothing
        (0, 1),  # the date of birth is kept
        (0, 0),  # "1" to the date read back: the postal code question needs nothing
        (0, 1),  # the postal code (and its district) are kept
        (1, 0),  # "1": the join reads both
    ]
