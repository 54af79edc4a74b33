"""The room's invariants, checked after every step of random traffic, and under
real threads: never more residents in the flow than the capacity, nobody both
queued and inside, and the queue in order of arrival."""

import random
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.waitingroom.conftest import active_tickets, arrive, queue_order, refresh, ticket_of
from waitingroom import room, tickets


def violations(*, capacity: int, arrival_order: list[str]) -> list[str]:
    """What is wrong with the room's state now (empty: nothing). ``arrival_order``:
    the tickets in the order the queue must hold them."""
    problems = []
    inside, queued = active_tickets(), queue_order()
    if len(inside) > capacity:
        problems.append(f"{len(inside)} in the flow, capacity {capacity}")
    if inside & set(queued):
        problems.append(f"both inside and queued: {inside & set(queued)}")
    if len(queued) != len(set(queued)):
        problems.append("a ticket holds two places")
    seen = [t for t in arrival_order if t in set(queued)]
    if queued != seen:
        problems.append("the queue is not in the order of arrival")
    return problems


@pytest.mark.django_db
def test_random_traffic_keeps_the_invariants_after_every_step(settings, time_machine):
    settings.WAITINGROOM_CAPACITY = capacity = 4
    time_machine.move_to("2026-03-01 09:00:00+01:00", tick=False)
    rng = random.Random(16)
    clients: list = []
    # The model: each time a ticket (re)joins the queue it goes to the end, unless it
    # was let in before (then to the front; such tickets among themselves by id).
    inside_since: dict[str, float] = {}
    inside_before: set[str] = set()
    client_of: dict[str, Client] = {}
    joined: dict[str, tuple[int, int | str]] = {}
    before: set[str] = set()
    last_seen: dict[str, float] = {}
    now = 0.0
    arrivals = 0
    for step in range(160):
        action = rng.choice(["arrive", "arrive", "refresh", "refresh", "leave", "wait"])
        if action == "arrive" or not clients:
            clients.append(arrive())
            last_seen[ticket_of(clients[-1])] = now
            client_of[ticket_of(clients[-1])] = clients[-1]
            arrivals += 1
        elif action == "refresh":
            client = rng.choice(clients)
            ticket = ticket_of(client)
            if ticket in before and now - last_seen[ticket] > settings.WAITINGROOM_GRACE_SECONDS:
                before.discard(ticket)  # its place expired: this refresh joins anew
            refresh(client)
            last_seen[ticket] = now
        elif action == "leave":
            client = rng.choice(clients)
            client.post(reverse("sms:logout"))
            clients.remove(client)
        else:
            seconds = rng.choice([5, 30, 120])
            time_machine.shift(seconds)
            now += seconds
        queued = queue_order()
        for ticket in queued:
            if ticket not in before:
                returning = tickets.ADMITTED in client_of[ticket].session or (
                    ticket in inside_since
                    and now - inside_since[ticket] <= settings.WAITINGROOM_GRACE_SECONDS
                )
                joined[ticket] = (0, ticket) if returning else (1, step)
        before = set(queued)
        expected = sorted(queued, key=lambda t: joined[t])
        problems = violations(capacity=capacity, arrival_order=expected)
        scores = room._redis().zrange(room._key("queue"), 0, -1, withscores=True)
        assert problems == [], f"step {step} ({action}): {problems} {scores}"
        assert queued == expected, f"step {step} ({action}): the queue is out of order"
        inside = active_tickets()
        for ticket in inside - inside_before:
            inside_since[ticket] = now  # let in (again) now
        inside_before = inside
    assert arrivals > 40  # the traffic was real


@pytest.mark.django_db
def test_the_check_finds_a_broken_room(settings):
    """Negative control: the same check reports over-admission and a second place."""
    settings.WAITINGROOM_CAPACITY = 1
    inside, late = arrive(), arrive()
    order = [ticket_of(inside), ticket_of(late)]
    assert violations(capacity=1, arrival_order=order) == []
    redis = room._redis()
    redis.zadd(room._key("active"), {"intruder": 1e12})
    redis.zadd(room._key("active"), {ticket_of(late): 1e12})
    problems = violations(capacity=1, arrival_order=order)
    assert any("capacity" in p for p in problems)
    assert any("both inside and queued" in p for p in problems)


@pytest.mark.django_db(transaction=True)
def test_forty_arrivals_at_once_never_overfill_the_flow(settings):
    settings.WAITINGROOM_CAPACITY = 10
    clients = [Client() for _ in range(40)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def run(client: Client) -> None:
        try:
            start.wait()
            statuses.append(client.get(reverse("sms:phone")).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 10 + [302] * 30
    assert len(active_tickets()) == 10
    assert len(queue_order()) == len(set(queue_order())) == 30


@pytest.mark.django_db
def test_a_confirmed_booking_frees_the_place_at_once(settings, verified_client):
    from tests import factories
    from tests.journeys import add_person_via_page, book_via_page

    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )
    first, _second = factories.make_bookable_pair(center, vaccine)
    settings.WAITINGROOM_CAPACITY = 1
    add_person_via_page(verified_client)
    ticket = ticket_of(verified_client)
    assert active_tickets() == {ticket}
    waiting = arrive()
    assert waiting.arrival.status_code == 302
    from booking.models import Person

    person = Person.objects.get(household__phone__endswith=verified_client.phone[-8:])
    booked = book_via_page(verified_client, person, first)
    assert booked.status_code == 302
    verified_client.get(booked["Location"])  # the confirmation
    assert ticket not in active_tickets()
    assert refresh(waiting).status_code == 302  # the next one goes on
    # Out of the flow, the resident's next click asks the room again, whose one
    # place is taken now: to the front of the queue, though let in a moment ago.
    again = verified_client.get(reverse("booking:people"))
    assert again.status_code == 302
    assert again["Location"] == reverse("waitingroom:queue")
    assert queue_order() == [ticket]


@pytest.mark.django_db
def test_joining_a_waiting_list_frees_the_place_at_once(settings, verified_client):
    """No seat left: the resident joins the district's list and lands on their
    waiting places; they are done for now, as after a booking."""
    from booking.models import Person
    from tests import factories
    from tests.journeys import add_person_via_page

    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    factories.make_center(district=factories.make_district(postal_codes=[("30159", "Hannover")]))
    settings.WAITINGROOM_CAPACITY = 1
    add_person_via_page(verified_client)
    ticket = ticket_of(verified_client)
    waiting = arrive()
    assert waiting.arrival.status_code == 302
    person = Person.objects.get(household__phone__endswith=verified_client.phone[-8:])
    joined = verified_client.post(
        reverse("waitlist:join_district", args=[person.pk]), {"time_of_day": "any"}
    )
    assert joined.status_code == 302
    assert ticket in active_tickets()  # the answer to the post: still inside
    verified_client.get(joined["Location"])  # the waiting places
    assert ticket not in active_tickets()
    assert refresh(waiting).status_code == 302  # the next one goes on
