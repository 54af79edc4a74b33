"""Limits on guessing staff and ministry passwords (ASVS V6.3.1).

Failed logins are counted in three windows of ``STAFF_LOGIN_WINDOW_MINUTES``
(``limits.store``: Redis, PostgreSQL while Redis is down):

- per account *and* client address (default 5): the one that stops a guesser,
- per client address, any account (default 20): one address trying many accounts,
- per account, any address (default 50): a guesser spread over many addresses.

While any of them is reached, the login form refuses before it looks at the
password (so a locked guesser learns nothing, not even a right password) and
says so in plain words; the lock ends with the window.

The trade-off: the first two never touch the real owner at another address.
The third does, on purpose: without it a botnet could guess without limit.
A stranger must fail 50 times within each window, from many addresses, to keep
the owner out, and even then the owner is out for at most one window per 50
failures, never for good; the guesser gets at most 50 tries per window
(4,800 a day) against passwords that Django's validators already keep away
from the common ones, and accounts that see personal data need a second
factor as well.
"""

import logging

from django.conf import settings
from django.http import HttpRequest

from limits import store

logger = logging.getLogger(__name__)


def _account(username: str) -> str:
    # "Admin" and "admin " count as the same account: a guesser cannot get a
    # fresh budget by changing the case or adding spaces.
    return username.strip().casefold()


def _limits(request: HttpRequest, username: str) -> list[tuple[str, str, int]]:
    account, address = _account(username), store.network_of(request)
    return [
        (
            "account and address",
            f"login:pair:{account}:{address}",
            settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS,
        ),
        ("address", f"login:address:{address}", settings.STAFF_LOGIN_FAILURES_PER_ADDRESS),
        ("account", f"login:account:{account}", settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT),
    ]


def _seconds() -> int:
    return settings.STAFF_LOGIN_WINDOW_MINUTES * 60


def is_locked(request: HttpRequest, username: str) -> bool:
    """Whether a login for ``username`` from this request's address must be refused now."""
    for scope, name, limit in _limits(request, username):
        if store.peek(name, seconds=_seconds()) >= limit:
            logger.warning("staff login refused: too many failures per %s", scope)
            return True
    return False


def count_failed_login(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    """Receiver of ``user_login_failed``: every wrong password, on any login page."""
    username = credentials.get("username")
    if request is None or not username:
        return
    for _scope, name, _limit in _limits(request, str(username)):
        store.hit(name, seconds=_seconds())
