"""Reads that tolerate seconds of lag go to the streaming replica; all else to the primary.

Only views marked with :func:`read_from_replica` read from the ``replica``
database (the ministry's statistics, the public availability and the areas
page). Everything that books, holds, verifies or shows a resident their own
booking is never marked and reads the primary, as do sessions, users and
rate-limit counters even inside a marked view, and every write.

A replica that does not answer, or lags more than ``REPLICA_MAX_LAG_SECONDS``
behind, is left out: the marked views then read the primary. Each process asks
the replica for its lag at most once per ``REPLICA_CHECK_SECONDS`` (one cheap
query, no round trip to the primary) and keeps the answer meanwhile. A replica
that fails in the middle of a view is marked unusable and the view is run again
on the primary (the marked views only read, so running them twice is harmless).

Without ``REPLICA_DATABASE_URL`` there is no ``replica`` database and this
router sends everything to ``default``, as before.
"""

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Apps whose rows decide who someone is or what they may do: always the primary.
PRIMARY_ONLY_APPS = {
    "sessions",
    "auth",
    "contenttypes",
    "otp_totp",
    "otp_static",
    "staff_auth",
    "limits",
}

_replica_wanted: ContextVar[bool] = ContextVar("replica_wanted", default=False)
# (monotonic time of the last check, whether the replica was usable then)
_last_check: dict[str, tuple[float, bool]] = {}

LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def measure_lag() -> float | None:
    """Seconds the replica is behind (0 when it replayed all it received);
    None when it does not answer or is not a replica."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close()
        return None
    if row is None or not row[0]:
        return None
    return float(row[1])


def replica_usable() -> bool:
    """Whether the marked views may read the replica now (cached per process)."""
    if not replica_configured():
        return False
    now = time.monotonic()
    checked = _last_check.get(REPLICA)
    if checked and now - checked[0] < settings.REPLICA_CHECK_SECONDS:
        return checked[1]
    lag = measure_lag()
    usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
    if not usable:
        logger.warning(
            "replica not used: %s", "unreachable" if lag is None else f"{lag:.1f} s behind"
        )
    _last_check[REPLICA] = (now, usable)
    return usable


def mark_replica_unusable() -> None:
    _last_check[REPLICA] = (time.monotonic(), False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica while it is usable."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def read_from_replica[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    """Mark a read-only view whose page may show the state of a few seconds ago.

    Put it below the access checks (``@ministry_required``), so that the login
    is checked against the primary.
    """

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not replica_usable():
            return view(*args, **kwargs)
        try:
            with replica_reads():
                return view(*args, **kwargs)
        except DatabaseError:
            # The replica went away after the check: once more, on the primary.
            logger.warning("replica failed during a read; reading the primary")
            mark_replica_unusable()
            connections[REPLICA].close()
            return view(*args, **kwargs)

    # Kept by the decorators above it (functools.wraps copies __dict__): tests
    # find the marked views through the URLs.
    wrapper.reads_replica = True  # type: ignore[attr-defined]
    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS``: the replica for reads of marked views, else the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if (
            _replica_wanted.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and replica_usable()
        ):
            return REPLICA
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA
