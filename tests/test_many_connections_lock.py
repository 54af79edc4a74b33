"""Tests marked ``many_connections`` take turns (tests/conftest.py): while one runs,
another process cannot take the lock, so a second such test would wait."""

import subprocess
import sys

import pytest

from tests.conftest import MANY_CONNECTIONS_LOCK

TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "a") as lock:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("held")
    else:
        print("free")
"""


def lock_state() -> str:
    done = subprocess.run(
        [sys.executable, "-c", TRY_LOCK, str(MANY_CONNECTIONS_LOCK)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.mark.many_connections
def test_while_a_many_connections_test_runs_another_process_cannot_take_the_lock():
    assert lock_state() == "held"


def test_the_two_fifty_thread_races_are_marked():
    from tests.booking import test_booking_concurrency as races

    for test in (
        races.test_without_the_guard_the_race_oversells,
        races.test_the_conditional_update_books_exactly_the_capacity_every_round,
    ):
        assert any(mark.name == "many_connections" for mark in test.pytestmark)
