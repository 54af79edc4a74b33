"""Staff and ministry logins are throttled per account and address
(staff_auth/throttle.py): a plain German message on the login page, the lock
ends with its window, a stranger's failures elsewhere do not lock the owner
out below the account's ceiling, and the counts hold while Redis is down."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from limits import store
from tests.journeys import german
from tests.security.redis_outage import closed_port, point_cache_at

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-2021"
LOCKED = (
    "Too many failed logins. To protect the account, logging in is paused for up "
    "to %(minutes)d minute. Please try again later.",
    "Too many failed logins. To protect the account, logging in is paused for up "
    "to %(minutes)d minutes. Please try again later.",
)
LOGINS = {
    "admin": ("admin:login", "admin:index"),
    "statistics": ("stats:login", "stats:overview"),
}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Counting windows are fixed: start each test at the beginning of one."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(store, "clock", lambda: now[0])
    store.reset_breaker()
    yield now
    store.reset_breaker()


@pytest.fixture
def account(db):
    user = get_user_model().objects.create_user(
        "leitung", password=PASSWORD, is_staff=True, is_superuser=True
    )
    return user


def log_in(page: str, password: str, address: str, username: str = "leitung"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse(LOGINS[page][0]), {"username": username, "password": password})
    return client, response


def locked_message(settings) -> str:
    minutes = settings.STAFF_LOGIN_WINDOW_MINUTES
    return german(*LOCKED, minutes=minutes, count=minutes)


@pytest.mark.parametrize("page", LOGINS)
def test_guessing_a_password_is_stopped_with_a_plain_message(page, account, settings):
    for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        _client, response = log_in(page, "wrong", "203.0.113.1")
        assert response.status_code == 200
        assert locked_message(settings) not in response.text
    # Now even the right password is refused, with a message, not an error page.
    client, response = log_in(page, PASSWORD, "203.0.113.1")
    assert response.status_code in (200, 429)
    assert locked_message(settings) in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", LOGINS)
def test_the_lock_ends_after_its_window(page, account, settings, clock):
    for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        log_in(page, "wrong", "203.0.113.1")
    clock[0] += settings.STAFF_LOGIN_WINDOW_MINUTES * 60
    client, response = log_in(page, PASSWORD, "203.0.113.1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)


def test_the_statistics_login_answers_a_lock_with_429(account, settings):
    for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        log_in("statistics", "wrong", "203.0.113.1")
    _client, response = log_in("statistics", PASSWORD, "203.0.113.1")
    assert response.status_code == 429


def test_the_owner_at_another_address_is_not_locked_out_by_a_stranger(account, settings):
    # A stranger fails again and again from one address, then from a few more.
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS + 3):
            log_in("admin", "wrong", address)
    client, response = log_in("admin", PASSWORD, "198.51.100.50")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)


def test_a_stranger_from_many_addresses_meets_the_account_s_ceiling(account, settings):
    """The trade-off (docs/security.md): past the ceiling the owner waits too."""
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 12
    for address in range(1, 7):
        for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
            log_in("admin", "wrong", f"203.0.113.{address}")
    _client, response = log_in("admin", PASSWORD, "198.51.100.50")
    assert locked_message(settings) in response.text


def test_one_address_trying_many_accounts_is_stopped(account, settings):
    for number in range(settings.STAFF_LOGIN_FAILURES_PER_ADDRESS):
        log_in("admin", "wrong", "203.0.113.1", username=f"guess{number}")
    _client, response = log_in("admin", PASSWORD, "203.0.113.1")
    assert locked_message(settings) in response.text
    _client, response = log_in("admin", PASSWORD, "203.0.113.2")
    assert response.status_code == 302


def test_changing_the_case_of_the_name_gives_no_fresh_tries(account, settings):
    for name in ("leitung", "Leitung", "LEITUNG ", "leiTung", " leitung"):
        log_in("admin", "wrong", "203.0.113.1", username=name)
    _client, response = log_in("admin", PASSWORD, "203.0.113.1")
    assert locked_message(settings) in response.text


def test_the_throttle_holds_while_redis_is_down(account, settings):
    point_cache_at(settings, closed_port())
    for _ in range(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        _client, response = log_in("statistics", "wrong", "203.0.113.1")
        assert response.status_code == 200
    _client, response = log_in("statistics", PASSWORD, "203.0.113.1")
    assert locked_message(settings) in response.text
    # ...and a login from elsewhere still works.
    _client, response = log_in("statistics", PASSWORD, "198.51.100.50")
    assert response.status_code == 302
