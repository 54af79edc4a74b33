"""What the voice line's join (the last "1") costs the database, pinned: a
statement added to it fails here first (bench/README.md, the voice line's
join at the floor). Savepoints count (the test runs inside a transaction,
so the join's own transaction shows as one); the eligibility rules and the
postal codes come from their in-process caches, as in production.

The same call is also checked for what the statements are for: the new
caller's place, their statistics, a replay that adds nothing, and a draw
entry while a draw's window is open.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from draw.models import Draw, DrawEntry
from stats.models import NOWHERE, DailyCounter
from tests import factories
from tests.hotline.voice import Caller, switch_on_voice_line
from waitingroom.models import Opening
from waitlist.models import Entry

pytestmark = pytest.mark.django_db

# Statements of the join webhook (bench/README.md): 21 before the cuts, 13 after
# for a new caller; a replayed confirmation finds the place.
BUDGET = {"join": 13, "replay": 5}


@pytest.fixture(autouse=True)
def voice_line(settings):
    switch_on_voice_line(settings)
    settings.ELIGIBILITY_CACHE_SECONDS = 5
    settings.DISTRICT_CACHE_SECONDS = 30


def call_until_confirmation(number: str, born: str = "17051938") -> Caller:
    call = Caller(number)
    call.dial_in()
    call.press("2")
    call.press(born)
    call.press("1")
    call.press("30159")
    return call


def statements_of(press) -> int:
    with CaptureQueriesContext(connection) as queries:
        press()
    return len(queries)


def test_the_join_webhook_stays_within_its_statements(center, vaccine, open_for_80):
    call_until_confirmation("+495111000001").press("1")  # warms the in-process caches
    call = call_until_confirmation("+495111000002")
    confirm_path = call.gather_path

    joined = statements_of(lambda: call.press("1"))
    replayed = statements_of(lambda: call.replay("1", confirm_path))

    used = {"join": joined, "replay": replayed}
    assert all(used[step] <= BUDGET[step] for step in BUDGET), f"more than {BUDGET}: {used}"
    assert Entry.objects.filter(person__household__phone="+495111000002").count() == 1
    joins = DailyCounter.objects.filter(
        metric="waitlist_joined", district_id=center.district_id, center_id=NOWHERE
    )
    assert sum(row.value for row in joins) == 2


def test_a_join_in_an_open_draw_window_is_a_draw_entry(center, vaccine, open_for_80):
    now = timezone.now()
    opening = Opening.objects.create(
        name="Auslosung 80+",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=now - timedelta(hours=1),
        prequeue_starts_at=now - timedelta(hours=1),
    )
    the_draw = Draw.objects.create(opening=opening, closes_at=now + timedelta(hours=3), seats=3)
    the_draw.districts.add(center.district)
    factories.make_bookable_pair(center, vaccine)  # the draw's seats: not offered on joining

    call_until_confirmation("+495111000003").press("1")

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.DRAW
    assert entry.person.date_of_birth == date(1938, 5, 17)
    assert DrawEntry.objects.get().entry == entry
    assert not entry.offers.exists()


def test_a_join_after_a_window_closed_waits_for_its_draw(center, vaccine, open_for_80):
    now = timezone.now()
    opening = Opening.objects.create(
        name="Auslosung 80+",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=now - timedelta(hours=4),
        prequeue_starts_at=now - timedelta(hours=4),
    )
    the_draw = Draw.objects.create(opening=opening, closes_at=now - timedelta(hours=1), seats=3)
    the_draw.districts.add(center.district)
    factories.make_bookable_pair(center, vaccine)

    call_until_confirmation("+495111000004").press("1")

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.WAITING
    assert not DrawEntry.objects.exists()
    assert not entry.offers.exists()  # the free seats are the draw's
