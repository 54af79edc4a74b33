"""Admission: invisible while there is room, a queue beyond the capacity, first
come first served, and residents in the flow are never sent back."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.waitingroom.conftest import (
    active_tickets,
    admitted,
    arrive,
    queue_order,
    queued,
    refresh,
    ticket_of,
)
from waitingroom import room

pytestmark = pytest.mark.django_db


def test_it_is_invisible_while_there_is_room():
    client = arrive()
    assert admitted(client.arrival)  # the phone page itself: no extra page, no redirect
    assert queue_order() == []
    assert active_tickets() == {ticket_of(client)}


def test_it_queues_arrivals_beyond_the_capacity(settings):
    settings.WAITINGROOM_CAPACITY = 2
    first, second, third = arrive(), arrive(), arrive()
    assert admitted(first.arrival)
    assert admitted(second.arrival)
    assert queued(third.arrival)
    page = refresh(third)
    assert page.status_code == 200
    assert page["Refresh"] == "5"  # near the front: sooner
    assert "Sie sind in der Warteschlange" in page.content.decode()
    assert queue_order() == [ticket_of(third)]


def test_the_start_page_availability_and_queue_page_are_never_behind_the_room(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    late = arrive()
    assert queued(late.arrival)
    assert late.get(reverse("centers:start")).status_code == 200
    assert late.get(reverse("booking:start")).status_code == 200
    assert late.get(reverse("stats:availability_json")).status_code == 200
    assert refresh(late).status_code == 200
    assert len(queue_order()) == 1  # none of them took a second place


def test_the_queue_is_served_first_come_first_served(settings):
    settings.WAITINGROOM_CAPACITY = 1
    inside = arrive()
    waiting = [arrive() for _ in range(4)]
    assert all(queued(client.arrival) for client in waiting)
    order_of_arrival = [ticket_of(client) for client in waiting]
    ticket = {id(client): ticket_of(client) for client in waiting}  # logging out forgets it
    assert queue_order() == order_of_arrival
    let_in = []
    leaving = inside
    for _ in waiting:
        leaving.post(reverse("sms:logout"))  # frees the one place
        # The last in line refreshes first: the head is let in all the same.
        for client in reversed(waiting):
            if client not in let_in and refresh(client).status_code == 302:
                let_in.append(client)
                leaving = client
                break
    assert [ticket[id(client)] for client in let_in] == order_of_arrival


def test_a_resident_let_in_goes_on_to_the_page_they_asked_for(settings):
    settings.WAITINGROOM_CAPACITY = 1
    inside = arrive()
    late = arrive()
    inside.post(reverse("sms:logout"))
    response = refresh(late)
    assert response.status_code == 302
    assert response["Location"] == reverse("sms:phone")
    assert refresh(late)["Location"] == reverse("sms:phone")  # a second tab: the same
    assert admitted(late.get(response["Location"]))


def test_residents_in_the_flow_are_not_sent_back(settings):
    settings.WAITINGROOM_CAPACITY = 1
    inside = arrive()
    late = arrive()
    for _ in range(5):
        assert admitted(inside.get(reverse("sms:phone")))
        assert queued(late.get(reverse("sms:phone")))
    assert active_tickets() == {ticket_of(inside)}
    assert queue_order() == [ticket_of(late)]


def test_a_resident_who_went_idle_rejoins_at_the_front_not_the_end(settings, time_machine):
    settings.WAITINGROOM_CAPACITY = 1
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    early = arrive()
    time_machine.shift(settings.WAITINGROOM_ACTIVE_IDLE_SECONDS + 1)
    inside = arrive()  # the idle one's place was freed
    assert admitted(inside.arrival)
    stranger = arrive()
    assert queued(stranger.arrival)
    back = early.get(reverse("sms:phone"))
    assert queued(back)
    assert queue_order() == [ticket_of(early), ticket_of(stranger)]


def test_a_closed_tab_keeps_its_place_for_the_grace_period_then_loses_it(settings, time_machine):
    settings.WAITINGROOM_CAPACITY = 1
    time_machine.move_to("2026-03-01 09:00:00+01:00", tick=False)
    inside = arrive()
    closed_tab, patient = arrive(), arrive()
    assert queue_order() == [ticket_of(closed_tab), ticket_of(patient)]
    time_machine.shift(settings.WAITINGROOM_GRACE_SECONDS - 10)
    refresh(patient)
    refresh(inside)  # inside is on the queue page? no: it keeps using the flow
    inside.get(reverse("sms:phone"))
    assert queue_order() == [ticket_of(closed_tab), ticket_of(patient)]  # still kept
    time_machine.shift(20)  # the closed tab's grace period is over
    refresh(patient)
    assert queue_order() == [ticket_of(patient)]
    # Coming back later gives a new place at the end, not the old one.
    assert queued(closed_tab.get(reverse("sms:phone")))
    assert queue_order() == [ticket_of(patient), ticket_of(closed_tab)]


def test_a_stranger_on_the_queue_page_without_a_ticket_is_sent_to_the_start():
    response = Client().get(reverse("waitingroom:queue"))
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:start")
    assert queue_order() == []


def test_the_page_comes_back_when_the_turn_is_due(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    waiting = [arrive() for _ in range(40)]
    redis = room._redis()
    redis.set(room._key("measured"), "1.0")  # admissions per second over the last minute
    assert refresh(waiting[-1])["Refresh"] == "20"  # 39 ahead: due in 40 s
    redis.set(room._key("measured"), "2.5")
    assert refresh(waiting[-1])["Refresh"] == "16"  # 39 ahead: due in 16 s
    assert refresh(waiting[20])["Refresh"] == "9"  # 20 ahead: due in 8.4 s
    assert refresh(waiting[12])["Refresh"] == "6"
    assert refresh(waiting[10])["Refresh"] == "5"  # never sooner than every 5 s


def test_far_from_the_front_the_page_refreshes_every_20_seconds(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    waiting = [arrive() for _ in range(12)]
    assert refresh(waiting[-1])["Refresh"] == "20"
    assert refresh(waiting[0])["Refresh"] == "5"
    page = waiting[-1].get(reverse("waitingroom:queue") + "?refresh=off")
    assert "Refresh" not in page  # WCAG 2.2.1: the resident can stop it
    assert "Automatische Aktualisierung wieder einschalten" in page.content.decode()
