"""kill -9 one SMS dispatcher and one task worker: their work is not lost."""

import psycopg

from tests.cluster.conftest import CLUSTER_MARKS, poll, primary_url, run_module

pytestmark = CLUSTER_MARKS


def count(cluster, sql: str, params=()) -> int:
    with psycopg.connect(primary_url(cluster), autocommit=True) as connection:
        row = connection.execute(sql, params).fetchone()
        assert row is not None
        return int(row[0])


def test_a_killed_dispatchers_messages_are_sent_by_the_other(cluster):
    ids = run_module(cluster, "outbox", "--count=300", "--prefix=kill-dispatcher")
    statuses = "SELECT count(*) FROM sms_message WHERE id = ANY(%s) AND status = %s"
    poll("some sent", lambda: count(cluster, statuses, [ids, "sent"]) >= 30)
    cluster.kill_background("sms1")
    try:
        poll("all sent", lambda: count(cluster, statuses, [ids, "sent"]) == len(ids))
    finally:
        cluster.start_background("sms1", "sms_dispatch", "--interval", "0.5")
    assert count(cluster, statuses, [ids, "failed"]) == 0


def test_a_killed_workers_tasks_are_run_by_the_other(cluster):
    ids = run_module(cluster, "tasks", "--count=100")
    done = (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE id::text = ANY(%s) AND status = 'SUCCESSFUL'"
    )
    # A worker that died between claiming a task and finishing it, as kill -9 leaves it.
    with psycopg.connect(primary_url(cluster), autocommit=True) as connection:
        connection.execute(
            "UPDATE django_tasks_database_dbtaskresult SET status = 'RUNNING', "
            "started_at = now(), worker_ids = '[\"dead-worker\"]' WHERE id::text = %s",
            [ids[0]],
        )
    poll("some done", lambda: count(cluster, done, [ids]) >= 10)
    cluster.kill_background("tasks1")
    try:
        poll("all done", lambda: count(cluster, done, [ids]) == len(ids))
    finally:
        cluster.start_background(
            "tasks1", "db_worker", "--interval", "0.5", "--worker-id", "cluster-tasks1"
        )
