"""Limits on how often a number, an address and everyone together may post.

Each action has up to three fixed-window counters (the phone number, the
client address, a global ceiling), counted in order in the shared Redis by
``limits.store.first_over``: one round trip for all three, and a post over the
number's limit does not use up the address's or everyone's. On top of that this
module adds a friendly page instead of a bare 403, and a deliberate choice of
what happens when Redis is unreachable.

When the counter store fails, ``exceeded`` answers with the caller's
``fail_open``:

- The resident's pages (code checks, booking, cancelling) **keep serving**:
  the guards that matter stay in PostgreSQL (5 wrong tries per code, one
  booking per form token, seats by conditional UPDATE), so an outage of the
  counters must not lock every resident out on the busiest morning.
- Sending codes costs money and can be abused for SMS pumping, so it should
  **refuse** (``fail_open=False``) when it cannot count.

Rates are set per action in ``settings.RATE_LIMITS`` as "count/period"
("10/10m" is 10 per ten minutes; s, m, h, d); ``None`` switches a key off.
``RATELIMIT_ENABLE = False`` switches every limit off.
"""

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from limits import store

# The name it had in the project package: operators' alerts and docs/security.md
# look for it.
logger = logging.getLogger("impfportal.ratelimits")

SCOPES = ("number", "address", "global")
_RATE = re.compile(r"^(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


@dataclass(frozen=True)
class Verdict:
    """Which scope was over its limit (None: within all limits)."""

    scope: str | None

    def __bool__(self) -> bool:
        return self.scope is not None


def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/10m"`` -> (300, 600): the count and the window in seconds."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"not a rate like '10/10m': {rate!r}")
    seconds = int(match["multiple"] or 1) * _UNIT_SECONDS[match["unit"]]
    return int(match["count"]), seconds


def _value_for(scope: str, request: HttpRequest, number: str | None) -> str:
    if scope == "address":
        # The forwarded address only from a trusted proxy; IPv6 per /64.
        return store.network_of(request)
    if scope == "global":
        return "everyone"
    return number or ""


def exceeded(request: HttpRequest, action: str, *, number: str | None, fail_open: bool) -> Verdict:
    """Count one attempt of ``action`` for every scope and say which one is over.

    ``number`` is the phone number the attempt is for (None skips that scope).
    When the counter store cannot be reached, the answer is "within limits"
    if ``fail_open`` and "over the global limit" otherwise; the outage is
    logged once per call.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return Verdict(None)
    rates = settings.RATE_LIMITS.get(action, {})
    scopes = [
        scope for scope in SCOPES if rates.get(scope) is not None and (scope != "number" or number)
    ]
    limits = []
    for scope in scopes:
        count, seconds = parse_rate(rates[scope])
        value = _value_for(scope, request, number)
        limits.append(store.Limit(f"posts:{action}:{scope}:{value}", count, seconds))
    try:
        over = store.first_over(limits, database_fallback=False)
    except Exception:
        # Redis refused, reset or timed out. Nothing else to count with.
        logger.warning(
            "rate limit store unavailable; %s %s",
            action,
            "served" if fail_open else "refused",
            extra={"action": action, "fail_open": fail_open},
        )
        return Verdict(None if fail_open else "global")
    if over is None:
        return Verdict(None)
    scope = scopes[over]
    logger.warning(
        "rate limit reached for %s per %s",
        action,
        scope,
        extra={"action": action, "scope": scope},
    )
    return Verdict(scope)


def limit_posts(
    action: str, *, number: Callable[[HttpRequest], str | None], fail_open: bool = True
):
    """Refuse POSTs to the view beyond ``action``'s limits with a plain 429 page.

    ``number(request)`` names the phone number the post is for (e.g. the one
    the session is verified for). GETs are never counted: reading a page again
    costs nothing and must stay possible.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                verdict = exceeded(request, action, number=number(request), fail_open=fail_open)
                if verdict:
                    return render(
                        request,
                        "too_many_requests.html",
                        {"everyone": verdict.scope == "global", "back": request.path},
                        status=429,
                    )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
