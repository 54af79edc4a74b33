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

from booking.models import Household, Person
from draw import registration
from draw.models import Draw, DrawEntry
from stats.models import NOWHERE, DailyCounter
from tests import factories
from tests.hotline.voice import Caller, switch_on_voice_line
from waitingroom.models import Opening
from waitlist.errors import WaitlistError
from waitlist.models import Entry

pytestmark = pytest.mark.django_db

# Statements of the join webhook (bench/README.md): 21 before the cuts, 11, then 10 (no
# "booked?" read for a person the join just added) for a new caller; a replayed
# confirmation finds the place.
BUDGET = {"join": 10, "replay": 5}


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


def draw_for_district(center, vaccine, *, opened_hours_ago: int, closes_in_hours: int) -> Draw:
    """A draw covering the center's district, its window opened a while ago."""
    now = timezone.now()
    opening = Opening.objects.create(
        name="Auslosung 80+",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=now - timedelta(hours=opened_hours_ago),
        prequeue_starts_at=now - timedelta(hours=opened_hours_ago),
    )
    made = Draw.objects.create(
        opening=opening, closes_at=now + timedelta(hours=closes_in_hours), seats=3
    )
    made.districts.add(center.district)
    return made


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
    draw_for_district(center, vaccine, opened_hours_ago=1, closes_in_hours=3)
    factories.make_bookable_pair(center, vaccine)  # the draw's seats: not offered on joining

    call_until_confirmation("+495111000003").press("1")

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.DRAW
    assert entry.person.date_of_birth == date(1938, 5, 17)
    assert DrawEntry.objects.get().entry == entry
    assert not entry.offers.exists()


def test_a_join_after_a_window_closed_waits_for_its_draw(center, vaccine, open_for_80):
    draw_for_district(center, vaccine, opened_hours_ago=4, closes_in_hours=-1)
    factories.make_bookable_pair(center, vaccine)

    call_until_confirmation("+495111000004").press("1")

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.WAITING
    assert not DrawEntry.objects.exists()
    assert not entry.offers.exists()  # the free seats are the draw's


@pytest.mark.django_db(transaction=True)
def test_a_join_refused_inside_the_join_leaves_nothing_behind(
    center, vaccine, open_for_80, monkeypatch
):
    """The join's refusals roll back the caller's household and person with it
    (no savepoint of the join's own; here the call's transaction is the outermost,
    as under gunicorn): the draw's registration refuses a new caller."""
    draw_for_district(center, vaccine, opened_hours_ago=1, closes_in_hours=3)
    refused = WaitlistError("Diese Anmeldung ist nicht möglich.")

    def refuse(**_kwargs):
        raise refused

    monkeypatch.setattr(registration, "person_key", lambda person: refuse())
    call = call_until_confirmation("+495111000006")
    call.press("1")

    assert call.hung_up
    assert "Diese Anmeldung ist nicht möglich." in call.said
    assert not Entry.objects.exists()
    assert not DrawEntry.objects.exists()
    assert not Household.objects.filter(phone="+495111000006").exists()
    assert not Person.objects.exists()


def test_two_callers_born_on_the_same_day_both_take_part_in_a_draw(center, vaccine, open_for_80):
    """The voice line knows no names: two callers from two numbers born on the same
    day are two people (not one person registering twice), and both take part."""
    draw_for_district(center, vaccine, opened_hours_ago=1, closes_in_hours=3)
    for number in ("+495111000007", "+495111000008"):
        call_until_confirmation(number).press("1")
    assert DrawEntry.objects.count() == 2
    assert set(Entry.objects.values_list("status", flat=True)) == {Entry.Status.DRAW}
