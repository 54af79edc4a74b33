"""PgBouncer stops at once and starts again while residents book."""

import time

from bench.cluster_load import BookingLoad, invariants
from tests.cluster.conftest import CLUSTER_MARKS, people_of, poll, primary_url

pytestmark = CLUSTER_MARKS


def test_bookings_resume_after_pgbouncer_restarts_none_lost_or_doubled(cluster, seed):
    data = seed(households=30, lanes=2)
    before = BookingLoad(cluster.proxy_port, {**data, "residents": data["residents"][:15]}, 6)
    before.start()
    poll("first bookings", lambda: len(before.told_booked) >= 5)

    cluster.restart_pgbouncer()
    restarted = time.monotonic()
    # Residents who come now meet web workers whose connections PgBouncer just cut.
    after = BookingLoad(cluster.proxy_port, {**data, "residents": data["residents"][15:]}, 6)
    after.start()
    before.join()
    after.join()

    state = invariants(primary_url(cluster), people=people_of(data))
    told = before.told_booked | after.told_booked
    assert len(after.told_booked) >= 5  # bookings resumed
    assert before.booked_after(restarted) + len(after.told_booked) >= 5
    assert told <= state["booked_people"]  # none lost
    assert state["people_booked_twice"] == set()  # none doubled
    assert state["oversold"] == 0
    assert state["wrong_counter"] == 0
    assert state["half_series"] == 0
