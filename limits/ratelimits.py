"""Limits on how often a number, an address and everyone together may post.

Counting is django-ratelimit's (fixed windows in the shared Redis cache); this
module adds what the pages need on top: several keys per action (the phone
number, the client address, a global ceiling), a friendly page instead of a
bare 403, and a deliberate choice of what happens when Redis is unreachable.

When the counter store fails, ``exceeded`` answers with the caller's
``fail_open``:

- The resident's pages (code checks, booking, cancelling) **keep serving**:
  the guards that matter stay in PostgreSQL (5 wrong tries per code, one
  booking per form token, seats by conditional UPDATE), so an outage of the
  counters must not lock every resident out on the busiest morning.
- Sending codes costs money and can be abused for SMS pumping, so it should
  **refuse** (``fail_open=False``) when it cannot count.

Rates are set per action in ``settings.RATE_LIMITS``, in django-ratelimit's
notation ("10/10m" is 10 per ten minutes); ``None`` switches a key off.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django_ratelimit.core import get_usage

from limits.redis import FAILED_USAGE, usage_failed

# The name it had in the project package: operators' alerts and docs/security.md
# look for it.
logger = logging.getLogger("impfportal.ratelimits")

SCOPES = ("number", "address", "global")


@dataclass(frozen=True)
class Verdict:
    """Which scope was over its limit (None: within all limits)."""

    scope: str | None

    def __bool__(self) -> bool:
        return self.scope is not None


def _key_for(scope: str, number: str | None):
    if scope == "address":
        # Reads settings.RATELIMIT_IP_META_KEY, i.e. limits.client_address:
        # the forwarded address only from a trusted proxy.
        return "ip"
    if scope == "global":
        return lambda group, request: "everyone"
    return lambda group, request: number


def exceeded(request: HttpRequest, action: str, *, number: str | None, fail_open: bool) -> Verdict:
    """Count one attempt of ``action`` for every scope and say which one is over.

    ``number`` is the phone number the attempt is for (None skips that scope).
    When the counter store cannot be reached, the answer is "within limits"
    if ``fail_open`` and "over the global limit" otherwise; the outage is
    logged once per call.
    """
    rates = settings.RATE_LIMITS.get(action, {})
    for scope in SCOPES:
        rate = rates.get(scope)
        if rate is None or (scope == "number" and not number):
            continue
        try:
            usage = get_usage(
                request,
                group=f"{action}:{scope}",
                key=_key_for(scope, number),
                rate=rate,
                increment=True,
            )
        except Exception:
            usage = FAILED_USAGE
        if usage is None:  # RATELIMIT_ENABLE is off
            return Verdict(None)
        if usage_failed(usage):
            # django-ratelimit could not read or write the counter (Redis down,
            # or django-redis ignored the error). Nothing else to count with.
            logger.warning(
                "rate limit store unavailable; %s %s",
                action,
                "served" if fail_open else "refused",
                extra={"action": action, "fail_open": fail_open},
            )
            return Verdict(None if fail_open else "global")
        if usage["should_limit"]:
            logger.warning(
                "rate limit reached for %s per %s",
                action,
                scope,
                extra={"action": action, "scope": scope},
            )
            return Verdict(scope)
    return Verdict(None)


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
