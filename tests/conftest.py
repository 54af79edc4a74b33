import fcntl
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from sms.backends import memory
from tests import factories
from tests.journeys import verify
from waitingroom import controller

_SESSION_START = pytest.StashKey[float]()


@pytest.fixture(autouse=True)
def _german_by_default():
    """A request in English leaves English active in the thread; start each test in German."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_outbox_and_cache():
    memory.outbox.clear()
    # Only this process's keys (see KEY_PREFIX in tests/settings.py); django-redis only.
    cache.delete_pattern("*")  # type: ignore[attr-defined]
    # Booking posts' times of an earlier test, not yet written to the room's Redis.
    controller.forget_unwritten()
    yield
    memory.outbox.clear()
    # A request leaves its language active in the thread (LocaleMiddleware);
    # the next test must start from the default again.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_public_holidays_unless_asked(request, monkeypatch):
    """Tests release "tomorrow" and three weeks on, whatever day the suite runs; a
    real holiday in that span must not change them. Tests of the holiday rule are
    marked ``public_holidays`` and get the real calendar."""
    if request.node.get_closest_marker("public_holidays") is None:
        monkeypatch.setattr("centers.release.public_holidays", lambda first, last: {})


# PostgreSQL here allows 100 connections. A test marked ``many_connections`` (the
# 50-thread races) holds half of them; two at once, in two xdist workers or two
# checkouts on the same machine, would run out. One lock file per machine makes
# them take turns, whatever runs them (``pytest -n 2``, several sessions).
MANY_CONNECTIONS_LOCK = Path(tempfile.gettempdir()) / "impfportal-many-connections.lock"


@pytest.fixture(autouse=True)
def _one_many_connections_test_at_a_time(request):
    if request.node.get_closest_marker("many_connections") is None:
        yield
        return
    with MANY_CONNECTIONS_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another such test runs
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def vaccine(db):
    return factories.make_vaccine()


@pytest.fixture
def center(db):
    return factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )


@pytest.fixture
def open_for_80(vaccine):
    return factories.open_group(vaccines=[vaccine])


@pytest.fixture
def phone():
    return factories.unique_mobile()


@pytest.fixture
def verified_client(client, phone, db):
    verify(client, phone)
    client.phone = phone
    return client


# --- Browser test artifacts (tests/browser) ----------------------------------
# The browser tests save screenshots and the page-weight figures under
# test-artifacts/ (kept out of git). The summary names them in the log, also
# when the tests ran in xdist workers, whose own output pytest does not show.
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_sessionstart(session):
    session.config.stash[_SESSION_START] = time.time()


def pytest_terminal_summary(terminalreporter, config):
    started = config.stash.get(_SESSION_START, 0)
    shots = [p for p in ARTIFACTS.glob("screenshots/*/*.png") if p.stat().st_mtime >= started]
    if shots:
        folders = sorted({p.parent.name for p in shots})
        terminalreporter.write_sep("-", "browser test artifacts")
        terminalreporter.write_line(
            f"{len(shots)} screenshots in {ARTIFACTS / 'screenshots'}: {', '.join(folders)}"
        )
    weight = ARTIFACTS / "page-weight.txt"
    if weight.exists() and weight.stat().st_mtime >= started:
        terminalreporter.write_line(weight.read_text().rstrip())
