"""One local cluster (scripts/cluster.py) for every test of this folder.

The tests here are marked ``cluster``. They run when HAProxy, PgBouncer and
PostgreSQL's server binaries are on the machine (``make test`` installs them
first, through ``make cluster-tools``) and are skipped, with the reason in
pytest's summary, where they are not. The cluster is started once per test
process (see the fixture), with its own database next to the test database,
and stopped and removed at the end.
"""

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from scripts.cluster import Cluster, missing_tools

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked ``cluster`` (each module's ``pytestmark``) where the
    tools are missing, saying which."""
    missing = missing_tools()
    if not missing:
        return
    reason = f"cluster tools missing: {', '.join(missing)} (make cluster-tools installs them)"
    for item in items:
        if item.get_closest_marker("cluster"):
            item.add_marker(pytest.mark.skip(reason=reason))


# Every module here starts with ``pytestmark = CLUSTER_MARKS``.
CLUSTER_MARKS = [pytest.mark.cluster]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The cluster, started once per test process.

    Its ports are fixed (``CLUSTER_TEST_PORT_BASE``, default 18500), so a lock
    file lets one process at a time run it: with xdist (``make test``) a second
    worker that gets cluster tests waits until the first one's session ended,
    as does a second checkout on the same machine.
    """
    base = int(os.environ.get("CLUSTER_TEST_PORT_BASE", "18500"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    test_database = settings.DATABASES["default"]["NAME"].removeprefix("test_")
    with open(f"/tmp/impfportal-cluster-{base}.lock", "w") as lock:  # noqa: S108
        fcntl.flock(lock, fcntl.LOCK_EX)
        with Cluster(
            database=f"{test_database}_cluster_{worker}",
            port_base=base,
            settings_module="bench.settings",
            redis_url=settings.REDIS_URL,
            drop_database=True,
            log=lambda message: None,
            extra_env={
                # Short leases and sweeps, so that a killed process's rows come back soon.
                "SMS_LEASE_SECONDS": "3",
                "TASK_LEASE_SECONDS": "3",
                "WAITLIST_SWEEP_SECONDS": "1",
                "SMS_RATE_PER_SECOND": "50",
                # Every availability request reads the database (the replica or the primary).
                "STATS_AVAILABILITY_CACHE_SECONDS": "0",
                # The lag is counted from the last replayed commit, so the time
                # between the lag test's two renames counts too: wide enough for
                # a busy CI machine, short enough for the test to see it pass.
                "REPLICA_MAX_LAG_SECONDS": "30",
                "REPLICA_CHECK_SECONDS": "1",
            },
        ) as running:
            yield running


def run_module(cluster: Cluster, *args: str):
    """``python -m bench.cluster_load …`` with the cluster's settings, on the primary."""
    env = {
        **cluster.env,
        "DATABASE_URL": cluster.database_url(via="primary"),
        "DB_TRANSACTION_POOLING": "false",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.cluster_load", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    line = next(line for line in reversed(out.stdout.splitlines()) if line.startswith("JSON "))
    return json.loads(line.removeprefix("JSON "))


_seedings = iter(range(100))


@pytest.fixture
def seed(cluster) -> Callable[..., dict]:
    """Fresh center-days and residents for one test (each call takes new ones)."""

    def make(*, households: int, lanes: int, center_days: int = 2) -> dict:
        number = next(_seedings)
        return run_module(
            cluster,
            "seed",
            f"--households={households}",
            f"--lanes={lanes}",
            f"--center-days={center_days}",
            f"--skip-days={4 * number}",
            f"--first-number={10_000 * number}",
        )

    return make


def primary_url(cluster: Cluster) -> str:
    return cluster.database_url(via="primary").replace("postgres://", "postgresql://")


def poll(what: str, condition: Callable[[], bool], *, timeout: float = 90) -> None:
    """Wait until ``condition`` holds; generous and bounded (the machine is shared)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not reached within the bound of {timeout:.0f} s")


def people_of(data: dict) -> list[int]:
    return [person for resident in data["residents"] for person in resident["people"]]
