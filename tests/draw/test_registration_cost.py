"""What a registration costs the database: the requests of bench/draw.py (the
waiting-list page, the scope, the preferences, the join, the page again), each
within its number of queries, however many have registered before.

The numbers are this code's (bench/README.md, draw): a step that needs more
queries than before fails here first. Savepoints count as queries here (the
test runs inside a transaction); the eligibility rules come from their
in-process cache as in production, and so do the centers' states on the scope page.
"""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings as conf
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking.services import household_for
from centers.selectors import forget_states
from draw.models import DrawEntry
from impfportal.middleware import LAST_SEEN
from sms.session import VERIFIED_AT, VERIFIED_PHONE
from tests import factories
from waitlist.models import Entry

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Queries per step (bench/README.md, draw): 51 per registration before the cuts, 36 after;
# 32 since the join lost two savepoints (with their releases) and the "already waiting"
# read, and asks first whether any draw is pending (bench/README.md, the voice line);
# 31 with the household's people and their answers in one query on "my waiting place";
# 30 with the draw's two questions in one compiled query, without "any draw pending?" first;
# 28 with "my waiting place" reading the places by the number (no household first) and
# their vaccines in a query of its own instead of the prefetch (one less when nobody waits);
# 27 with the scope page's centers and their states from the process's copy; 21 since the
# session store (impfportal/sessions.py) writes an existing session as one UPDATE (no
# savepoint and release here) and keeps a change of the messages alone in Redis only.
BUDGET = {"my_places": 2, "scope": 2, "preferences": 2, "join": 12, "my_places_after": 3}


def verified_client(number: int, now: int) -> tuple[Client, int]:
    """A browser whose session was verified a moment ago, with one person (born 1938)."""
    phone = f"+4915120{number:06d}"
    session = import_module(conf.SESSION_ENGINE).SessionStore()
    session[VERIFIED_PHONE] = phone
    session[VERIFIED_AT] = session[LAST_SEEN] = now
    session.create()
    client = Client()
    client.cookies[conf.SESSION_COOKIE_NAME] = session.session_key
    person = factories.make_person(household_for(phone), first_name=f"Erna{number}")
    return client, person.pk


def register(client: Client, person_id: int) -> dict[str, int]:
    """The five requests; the number of queries of each."""
    used = {}

    def step(name, call):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        used[name] = len(queries)
        return response

    step("my_places", lambda: client.get("/waiting-list/"))
    step("scope", lambda: client.get(f"/waiting-list/{person_id}/join/"))
    page = step("preferences", lambda: client.get(f"/waiting-list/{person_id}/join/district/"))
    token = CSRF.search(page.content.decode())
    assert token is not None
    joined = step(
        "join",
        lambda: client.post(
            f"/waiting-list/{person_id}/join/district/",
            {"csrfmiddlewaretoken": token.group(1), "time_of_day": "any"},
        ),
    )
    assert joined.status_code == 302
    step("my_places_after", lambda: client.get("/waiting-list/"))
    return used


@pytest.fixture
def centers_kept(settings):
    """The centers' states kept by the process, as in production (and forgotten after)."""
    settings.START_PAGE_CACHE_SECONDS = 10
    forget_states()
    yield
    forget_states()


def test_each_step_of_a_registration_stays_within_its_queries(
    the_draw, time_machine, settings, centers_kept
):
    settings.ELIGIBILITY_CACHE_SECONDS = 5
    settings.WAITINGROOM_ENABLED = False  # as in bench/draw.py: the flow's own cost
    time_machine.move_to(the_draw.opens_at + timedelta(minutes=1), tick=False)
    now = int(the_draw.opens_at.timestamp()) + 60
    clients = [verified_client(number, now) for number in range(3)]

    costs = [register(client, person_id) for client, person_id in clients]

    assert DrawEntry.objects.count() == 3
    assert set(Entry.objects.values_list("status", flat=True)) == {Entry.Status.DRAW}
    for used in costs[1:]:  # the first warms the eligibility cache
        over = {step: n for step, n in used.items() if n > BUDGET[step]}
        assert over == {}, f"more queries than {BUDGET}: {used}"
