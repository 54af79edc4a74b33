"""A scheduled opening: everyone before it in a keyed random order, then first
come first served; the log lets anyone re-check the order."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.waitingroom.conftest import arrive, queue_order, queued, refresh, ticket_of
from waitingroom import controller, fairness, room
from waitingroom.models import Opening, PrequeueEntry

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
OPENS = datetime(2026, 3, 1, 8, 0, tzinfo=BERLIN)


@pytest.fixture
def opening(db):
    return Opening.objects.create(name="80 und älter", opens_at=OPENS)


def test_everyone_before_the_opening_waits_even_with_room(opening, time_machine):
    time_machine.move_to(OPENS - timedelta(minutes=30), tick=False)
    client = arrive()
    assert queued(client.arrival)
    page = refresh(client)
    assert "Die Buchung beginnt um 08:00 Uhr" in page.content.decode()
    assert "Ihr Platz in der Warteschlange" not in page.content.decode()  # no rank before
    time_machine.shift(timedelta(minutes=29, seconds=50))
    # Back after the opening, spread over a whole refresh period (20 s), so that the
    # pre-queue does not come back, and then keep reloading, as one wave.
    spread = {int(refresh(client)["Refresh"]) for _ in range(40)}
    assert min(spread) >= 11
    assert max(spread) <= 10 + settings.WAITINGROOM_REFRESH_SECONDS
    assert max(spread) > settings.WAITINGROOM_REFRESH_SECONDS  # beyond the usual period
    assert len(spread) > 5
    # The page says so, rather than "every 38 seconds".
    text = refresh(client).content.decode()
    assert "Diese Seite aktualisiert sich kurz nach der Öffnung von selbst." in text
    assert "Sekunden selbst" not in text


def test_before_the_pre_queue_begins_the_room_stays_invisible(opening, time_machine):
    time_machine.move_to(OPENS - timedelta(minutes=90), tick=False)
    assert not queued(arrive().arrival)


def test_the_pre_queue_is_shuffled_by_the_key_and_later_arrivals_follow_in_order(
    opening, settings, time_machine
):
    time_machine.move_to(OPENS - timedelta(minutes=1), tick=False)
    early = []
    for _ in range(30):
        early.append(arrive())
        time_machine.shift(1)
    early_tickets = [ticket_of(client) for client in early]
    time_machine.move_to(OPENS + timedelta(seconds=1), tick=False)
    settings.WAITINGROOM_CAPACITY = 1  # one is let in at once, the rest waits
    late = [arrive() for _ in range(5)]
    late_tickets = [ticket_of(client) for client in late]
    shuffled = fairness.shuffled(opening.key, early_tickets)
    assert shuffled != early_tickets  # 1 in 30! to be the arrival order by chance
    let_in_first = shuffled[0]
    assert queue_order() == shuffled[1:] + late_tickets
    assert room._redis().zscore(room._key("active"), let_in_first) is not None


def test_a_returning_tab_cannot_re_roll_its_pre_queue_place(opening, time_machine):
    time_machine.move_to(OPENS - timedelta(minutes=20), tick=False)
    clients = [arrive() for _ in range(10)]
    before = queue_order()
    time_machine.shift(400)  # every place expired (nobody refreshed for 5 minutes)
    for client in reversed(clients):
        client.get(reverse("sms:phone"))  # they come back, in another order
    assert queue_order() == before


def test_the_log_lets_anyone_recheck_the_shuffle(opening, time_machine):
    time_machine.move_to(OPENS - timedelta(minutes=20), tick=False)
    tickets = []
    for _ in range(25):
        tickets.append(ticket_of(arrive()))
        time_machine.shift(3)
    assert Client().get(reverse("waitingroom:opening_log", args=[opening.pk])).status_code == 404
    page = Client().get(reverse("waitingroom:opening", args=[opening.pk])).content.decode()
    assert opening.commitment in page
    assert opening.key not in page
    time_machine.move_to(OPENS + timedelta(seconds=10), tick=False)
    controller.step(room._redis())
    assert PrequeueEntry.objects.filter(opening=opening).count() == 25
    page = Client().get(reverse("waitingroom:opening", args=[opening.pk])).content.decode()
    assert opening.key in page  # revealed
    response = Client().get(reverse("waitingroom:opening_log", args=[opening.pk]))
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert sorted(int(row["arrival"]) for row in rows) == list(range(1, 26))
    log = [(row["ticket"], int(row["position"])) for row in rows]
    assert {ticket for ticket, _position in log} == set(tickets)
    assert fairness.recheck(key=opening.key, commitment_hex=opening.commitment, log=log) == []


def test_the_recheck_finds_a_tampered_log_or_a_wrong_key(opening):
    tickets = [f"{i:032x}" for i in range(20)]
    order = fairness.shuffled(opening.key, tickets)
    log = [(ticket, position) for position, ticket in enumerate(order)]
    assert fairness.recheck(key=opening.key, commitment_hex=opening.commitment, log=log) == []
    swapped = [(order[1], 0), (order[0], 1), *log[2:]]
    assert fairness.recheck(key=opening.key, commitment_hex=opening.commitment, log=swapped)
    other_key = "ab" * 32
    assert fairness.recheck(key=other_key, commitment_hex=opening.commitment, log=log)


def test_the_commitment_is_the_sha256_of_the_key(opening):
    import hashlib

    assert opening.commitment == hashlib.sha256(bytes.fromhex(opening.key)).hexdigest()
    assert len(opening.key) == 64
    assert (
        opening.key
        != Opening.objects.create(name="60 und älter", opens_at=OPENS + timedelta(days=30)).key
    )


def test_the_pre_queue_is_let_in_by_slow_start_not_all_at_once(opening, settings, time_machine):
    # A ceiling whose step per control step (5 % per 10 s window: 5) is above the
    # two posts below, so that the growth shown is the evidence's, not the step's.
    settings.WAITINGROOM_CAPACITY = 500
    settings.WAITINGROOM_CAPACITY_MIN = 2
    settings.WAITINGROOM_RATE_MAX = 100
    time_machine.move_to(OPENS - timedelta(minutes=5), tick=False)
    early = [arrive() for _ in range(5)]
    controller.step(room._redis())  # during the pre-queue: held at the minimum
    assert int(room._redis().get(room._key("capacity"))) == 2
    time_machine.move_to(OPENS + timedelta(seconds=1), tick=False)
    let_in = [r for r in (refresh(c) for c in early) if r.status_code == 302]
    assert len(let_in) == 2  # the setting alone would have let all five in
    controller.step(room._redis())  # after the opening, no booking answered yet: held
    assert int(room._redis().get(room._key("capacity"))) == 2
    for _booked in let_in:  # both let in booked quickly: it grows by what it has seen
        controller.record_booking_ms(120)
    controller.step(room._redis())
    assert int(room._redis().get(room._key("capacity"))) == 2 + 2
