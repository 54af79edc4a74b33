"""The replica serves the statistics and the availability; when it stops or
lags, they answer from the primary."""

import json
import urllib.request

import psycopg

from tests.cluster.conftest import CLUSTER_MARKS, poll, primary_url

pytestmark = CLUSTER_MARKS

CENTER = "westerstede"


def availability(cluster) -> tuple[int, dict]:
    url = cluster.url("/centers/availability.json")
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 -- http://127.0.0.1
        centers = json.loads(answer.read())["centers"]
        return answer.status, {center["slug"]: center for center in centers}


def rename(cluster, name: str) -> None:
    with psycopg.connect(primary_url(cluster), autocommit=True) as connection:
        connection.execute("UPDATE centers_center SET name = %s WHERE slug = %s", [name, CENTER])


def test_statistics_answer_from_the_primary_while_the_replica_is_stopped(cluster):
    rename(cluster, "Impfzentrum Westerstede (vor dem Halt)")
    poll("the replica caught up", lambda: cluster.replica_lag_bytes() == 0)
    cluster.stop_replica(mode="immediate")
    try:
        rename(cluster, "Impfzentrum Westerstede (Replikat gestoppt)")
        answers = [availability(cluster) for _ in range(12)]
    finally:
        cluster.start_replica_server()
    assert {status for status, _centers in answers} == {200}
    # Only the primary has the new name: every answer came from there.
    names = {centers[CENTER]["name"] for _status, centers in answers}
    assert names == {"Impfzentrum Westerstede (Replikat gestoppt)"}
    assert all(len(centers) == 50 for _status, centers in answers)


# Answers from the primary in a row that show the lagging replica is left out by
# every web worker, not only by one whose earlier check is still cached.
PRIMARY_ANSWERS_IN_A_ROW = 15


def test_a_replica_that_lags_too_far_is_left_out(cluster):
    rename(cluster, "Impfzentrum Westerstede (A)")
    poll("the replica caught up", lambda: cluster.replica_lag_bytes() == 0)
    replica = f"postgresql://postgres@127.0.0.1:{cluster.replica_port}/{cluster.database}"
    with psycopg.connect(replica, autocommit=True) as connection:
        connection.execute("SELECT pg_wal_replay_pause()")
        try:
            rename(cluster, "Impfzentrum Westerstede (B)")
            # While the replica is within REPLICA_MAX_LAG_SECONDS it is read (it
            # still shows A); once it is further behind, the primary is (B). A
            # web worker that checked the replica during the previous test may
            # still answer from the primary for a moment (its check is cached for
            # REPLICA_CHECK_SECONDS), so the order is what counts: an A after the
            # rename, and then only B, answer after answer, from every worker.
            seen: list[str] = []

            def read_the_replica_then_the_primary() -> bool:
                seen.append(availability(cluster)[1][CENTER]["name"])
                if not any(name.endswith("(A)") for name in seen):
                    return False
                last = seen[-PRIMARY_ANSWERS_IN_A_ROW:]
                return len(last) == PRIMARY_ANSWERS_IN_A_ROW and all(
                    name.endswith("(B)") for name in last
                )

            poll(
                "an answer from the lagging replica, then from the primary",
                read_the_replica_then_the_primary,
            )
        finally:
            connection.execute("SELECT pg_wal_replay_resume()")
    first_replica_answer = next(i for i, name in enumerate(seen) if name.endswith("(A)"))
    assert first_replica_answer < len(seen) - PRIMARY_ANSWERS_IN_A_ROW
