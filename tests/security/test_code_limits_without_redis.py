"""Redis down, verification still possible: the limits on sending codes are
counted in PostgreSQL while Redis is refused or hangs (limits/store.py)."""

import logging
import time

import pytest
from django.urls import reverse

from limits import store
from limits.models import Counter
from sms.models import PhoneVerification
from tests import factories
from tests.journeys import german, latest_code
from tests.security.redis_outage import closed_port, hanging_redis, point_cache_at

pytestmark = pytest.mark.django_db

TOO_MANY_FROM_ADDRESS = (
    "Too many codes were requested from your internet connection. "
    "Please try again in an hour or call the hotline: %(hotline)s."
)


@pytest.fixture(autouse=True)
def _breaker_closed_again():
    store.reset_breaker()
    yield
    store.reset_breaker()


def ask(client, phone: str, address: str):
    return client.post(reverse("sms:phone"), {"phone": phone}, REMOTE_ADDR=address)


def _a_resident_verifies_and_the_limits_hold(client, settings) -> None:
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 2
    phone = factories.unique_mobile()
    assert ask(client, phone, "203.0.113.20").status_code == 302
    # The whole verification works: the code arrives and is accepted.
    response = client.post(reverse("sms:code"), {"code": latest_code(phone)})
    assert response.status_code == 302
    assert client.session["verified_phone"]
    # And the limits are still counted: the third code from this address is refused.
    assert ask(client, factories.unique_mobile(), "203.0.113.20").status_code == 302
    refused = ask(client, factories.unique_mobile(), "203.0.113.20")
    assert refused.status_code == 200
    assert german(TOO_MANY_FROM_ADDRESS, hotline=settings.HOTLINE_PHONE) in refused.text
    assert PhoneVerification.objects.count() == 2
    # ...counted in PostgreSQL, under hashed keys only.
    assert Counter.objects.exists()
    assert not Counter.objects.filter(key__contains="203.0.113").exists()


def test_with_redis_stopped_residents_still_verify_and_the_limits_hold(client, settings, caplog):
    point_cache_at(settings, closed_port())
    with caplog.at_level(logging.WARNING, logger="limits.store"):
        _a_resident_verifies_and_the_limits_hold(client, settings)
    assert [r for r in caplog.records if "counting in the database" in r.getMessage()]


def _count_trips(monkeypatch) -> list[Exception]:
    """Record each time Redis failed and the breaker sent counting to PostgreSQL."""
    tripped: list[Exception] = []
    trip = store._trip

    def counting_trip(error: Exception) -> None:
        tripped.append(error)
        trip(error)

    monkeypatch.setattr(store, "_trip", counting_trip)
    return tripped


def test_with_redis_hanging_residents_still_verify_quickly(client, settings, monkeypatch):
    tripped = _count_trips(monkeypatch)
    with hanging_redis() as location:
        point_cache_at(settings, location)
        _a_resident_verifies_and_the_limits_hold(client, settings)
    # One timeout trips the breaker; the other hits go straight to PostgreSQL
    # instead of waiting for Redis again (counted, not timed: CI machines are busy).
    assert len(tripped) == 1


def test_a_hanging_redis_costs_one_timeout_per_interval_not_one_per_hit(settings, monkeypatch):
    tripped = _count_trips(monkeypatch)
    with hanging_redis() as location:
        point_cache_at(settings, location, timeout=0.3)
        counts = [store.hit("a-limit", seconds=3600) for _ in range(20)]
    assert counts == list(range(1, 21))
    assert len(tripped) == 1  # one timeout, then PostgreSQL for the other nineteen


def test_the_database_counts_parallel_hits_exactly(settings):
    point_cache_at(settings, closed_port())
    for _ in range(5):
        store.hit("shared", seconds=60)
    assert store.peek("shared", seconds=60) == 5
    assert Counter.objects.get().count == 5


def test_a_new_window_starts_from_zero(settings, monkeypatch):
    point_cache_at(settings, closed_port())
    monkeypatch.setattr(store, "clock", lambda: 1_000_000.0)
    store.hit("windowed", seconds=60)
    store.hit("windowed", seconds=60)
    monkeypatch.setattr(store, "clock", lambda: 1_000_060.0)
    assert store.peek("windowed", seconds=60) == 0
    assert store.hit("windowed", seconds=60) == 1


def test_redis_is_tried_again_after_the_interval(settings, monkeypatch):
    point_cache_at(settings, closed_port())
    now = [1_000_000.0]
    monkeypatch.setattr(store, "clock", lambda: now[0])
    store.hit("back", seconds=3600)  # trips the breaker
    tripped_until = store._redis_breaker.down_until
    # Redis is back, but this process does not look before the interval has passed.
    point_cache_at(settings, f"redis://127.0.0.1:{_real_redis_port()}/14")
    store._redis_breaker.down_until = tripped_until
    store.hit("back", seconds=3600)
    assert Counter.objects.get().count == 2  # still the database during the interval
    now[0] += settings.LIMITS_REDIS_RETRY_SECONDS
    assert store.hit("back", seconds=3600) == 1  # Redis again (its own count)
    assert Counter.objects.get().count == 2


def _real_redis_port() -> int:
    import os
    from urllib.parse import urlsplit

    return urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")).port or 6379


def test_expired_windows_are_deleted(settings, monkeypatch):
    point_cache_at(settings, closed_port())
    monkeypatch.setattr(store, "clock", lambda: time.time() - 7200)
    store.hit("old", seconds=60)
    monkeypatch.setattr(store, "clock", time.time)
    store.hit("new", seconds=60)
    assert store.delete_expired() == 1
    assert Counter.objects.count() == 1
