"""kill -9 one web node while residents book through HAProxy."""

import time

from bench.cluster_load import BookingLoad, invariants
from tests.cluster.conftest import CLUSTER_MARKS, people_of, poll, primary_url

pytestmark = CLUSTER_MARKS


def test_bookings_survive_a_killed_web_node(cluster, seed):
    data = seed(households=30, lanes=2)
    before = {**data, "residents": data["residents"][:15]}
    after = {**data, "residents": data["residents"][15:]}
    first = BookingLoad(cluster.proxy_port, before, clients=6)
    first.start()
    poll("first bookings", lambda: len(first.told_booked) >= 5)

    cluster.kill_node("web2")
    poll("HAProxy marks web2 down", lambda: cluster.server_states()["web2"] == "DOWN")
    marked_down = time.monotonic()
    # Residents who arrive after the node is gone book through the two others.
    second = BookingLoad(cluster.proxy_port, after, clients=6)
    second.start()
    first.join()
    second.join()
    cluster.start_node(1)
    poll("web2 back", lambda: cluster.server_states()["web2"] == "UP")

    state = invariants(primary_url(cluster), people=people_of(data))
    told = first.told_booked | second.told_booked
    assert told, "nobody booked"
    assert told <= state["booked_people"]  # every "booked" answer is in the database
    assert state["oversold"] == 0
    assert state["wrong_counter"] == 0
    assert state["half_series"] == 0
    assert state["people_booked_twice"] == set()
    assert second.told_booked, "the load did not go on through the other nodes"
    assert first.server_errors(started_after=marked_down) == []
    assert second.server_errors() == []


def test_the_check_counts_a_booking_the_database_does_not_have(cluster):
    """Negative control: a person told "booked" who holds nothing is noticed."""
    state = invariants(primary_url(cluster), people=[-1])
    assert not ({-1} <= state["booked_people"])
