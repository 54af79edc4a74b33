"""The replica router (impfportal/db_router.py): which reads go to the replica,
and when the replica is left out. The real replica is tested in tests/cluster/."""

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.urls import resolve

from centers.models import Center
from impfportal import db_router
from impfportal.db_router import ReplicaRouter, read_from_replica, replica_reads

READS_REPLICA = [
    "/statistics/",
    "/statistics/days.csv",
    "/statistics/areas/",
    "/statistics/areas.csv",
    "/centers/availability.json",
    "/centers/hannover/availability.json",
    "/centers/hannover/availability/",
]
READS_PRIMARY = ["/", "/book/", "/book/1/hannover/", "/book/1/hannover/2026-12-07/", "/cancel/"]


@pytest.fixture
def replica(monkeypatch, settings):
    """A configured replica whose lag each test sets; the clock moves by hand."""
    state = {"lag": 0.0, "asked": 0, "now": 1000.0}

    def measure_lag():
        state["asked"] += 1
        return state["lag"]

    settings.REPLICA_MAX_LAG_SECONDS = 10
    settings.REPLICA_CHECK_SECONDS = 2
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "measure_lag", measure_lag)
    monkeypatch.setattr(db_router.time, "monotonic", lambda: state["now"])
    monkeypatch.setattr(db_router, "_last_check", {})
    return state


@pytest.mark.parametrize("path", READS_REPLICA)
def test_statistics_and_availability_are_marked_for_the_replica(path):
    assert getattr(resolve(path).func, "reads_replica", False)


@pytest.mark.parametrize("path", READS_PRIMARY)
def test_booking_and_the_residents_pages_read_the_primary(path):
    assert not getattr(resolve(path).func, "reads_replica", False)


def test_marked_reads_go_to_a_usable_replica_everything_else_to_the_primary(replica):
    router = ReplicaRouter()
    assert router.db_for_read(Center) is None  # not inside a marked view
    with replica_reads():
        assert router.db_for_read(Center) == "replica"
        assert router.db_for_read(Session) is None  # who someone is: the primary
        assert router.db_for_write(Center) is None
    assert router.allow_migrate("replica", "centers") is False
    assert router.allow_migrate("default", "centers") is True


def test_a_lagging_or_silent_replica_is_left_out(replica):
    router = ReplicaRouter()
    with replica_reads():
        replica["lag"] = 10.5
        assert router.db_for_read(Center) is None
        replica["now"] += 2
        replica["lag"] = None
        assert router.db_for_read(Center) is None
        replica["now"] += 2
        replica["lag"] = 3.0
        assert router.db_for_read(Center) == "replica"


def test_the_lag_is_asked_once_per_check_interval(replica):
    for _ in range(5):
        assert db_router.replica_usable()
    assert replica["asked"] == 1
    replica["now"] += 2
    assert db_router.replica_usable()
    assert replica["asked"] == 2


def test_without_a_replica_everything_reads_the_primary(settings):
    assert "replica" not in settings.DATABASES
    assert not db_router.replica_configured()
    with replica_reads():
        assert ReplicaRouter().db_for_read(Center) is None


def test_a_replica_failing_during_a_view_runs_it_again_on_the_primary(replica, monkeypatch):
    monkeypatch.setattr(db_router.connections["default"], "close", lambda: None)
    monkeypatch.setattr(db_router, "connections", {"replica": db_router.connections["default"]})
    calls = []

    @read_from_replica
    def view():
        calls.append(db_router._replica_wanted.get())
        if len(calls) == 1:
            raise OperationalError("the replica went away")
        return "page"

    assert view() == "page"
    assert calls == [True, False]  # first on the replica, then on the primary
    assert not db_router.replica_usable()  # left out until the next check
