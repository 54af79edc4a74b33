"""The queue page is what every waiting resident reloads, served by a small pool of
its own (deploy/, scripts/cluster.py): a reload reads the session from the cache
and asks the room in Redis, and makes no database query while the opening is
cached."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.waitingroom.conftest import arrive, queued, refresh
from waitingroom import openings
from waitingroom.models import Opening

pytestmark = pytest.mark.django_db

OPENS = datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def _openings_cached(settings):
    settings.WAITINGROOM_OPENING_CACHE_SECONDS = 60
    openings.forget_openings()
    yield
    openings.forget_openings()


def reload_queries(client) -> list[str]:
    refresh(client)  # the first reload may read the opening into the process's cache
    with CaptureQueriesContext(connection) as queries:
        page = refresh(client)
    assert page.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_queued_residents_reload_makes_no_query(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    waiting = arrive()
    assert queued(waiting.arrival)
    assert reload_queries(waiting) == []


def test_a_reload_in_the_pre_queue_makes_no_query(time_machine):
    Opening.objects.create(name="80 und älter", opens_at=OPENS)
    time_machine.move_to(OPENS - timedelta(minutes=10), tick=False)
    waiting = arrive()
    assert queued(waiting.arrival)
    assert reload_queries(waiting) == []
