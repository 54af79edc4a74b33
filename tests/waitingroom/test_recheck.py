"""A resident the room let in a moment ago goes on without the room's script being
asked on every click (waitingroom/gate.py, WAITINGROOM_RECHECK_SECONDS); the place
in the flow stays theirs, and giving it up makes the next click ask again."""

from unittest import mock

import pytest
from django.urls import reverse

from tests.waitingroom.conftest import active_tickets, admitted, arrive, queued, ticket_of
from waitingroom import room

pytestmark = pytest.mark.django_db


def active_since(ticket: str) -> float:
    score = room._redis().zscore(room._key("active"), ticket)
    assert score is not None, "the ticket is not in the flow"
    return score


def clicks(client, times: int) -> int:
    """How often the room's script ran for ``times`` clicks on a guarded page."""
    with mock.patch.object(room, "enter", wraps=room.enter) as enter:
        for _ in range(times):
            assert admitted(client.get(reverse("sms:phone")))
    return enter.call_count


def test_clicks_soon_after_being_let_in_do_not_ask_the_room(settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    resident = arrive()
    let_in_at = active_since(ticket_of(resident))
    time_machine.shift(settings.WAITINGROOM_RECHECK_SECONDS - 1)
    assert clicks(resident, 3) == 0
    assert active_since(ticket_of(resident)) == let_in_at
    time_machine.shift(1)
    assert clicks(resident, 3) == 1  # the first renews the place, the next two go on
    assert active_since(ticket_of(resident)) == let_in_at + settings.WAITINGROOM_RECHECK_SECONDS


def test_the_room_is_asked_again_within_a_quarter_of_the_idle_time(settings, time_machine):
    settings.WAITINGROOM_ACTIVE_IDLE_SECONDS = 20
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    resident = arrive()
    time_machine.shift(5)
    assert clicks(resident, 1) == 1


def test_a_resident_clicking_on_keeps_the_place_for_as_long_as_they_click(settings, time_machine):
    settings.WAITINGROOM_CAPACITY = 1
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    resident = arrive()
    for _ in range(3 * settings.WAITINGROOM_ACTIVE_IDLE_SECONDS // 14):
        time_machine.shift(14)
        assert admitted(resident.get(reverse("sms:phone")))
        assert active_tickets() == {ticket_of(resident)}
        assert queued(arrive().arrival)  # the room is full all along
