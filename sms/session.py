"""Which phone number this browser session has proven it holds, and since when."""

import functools
import time

from django.shortcuts import redirect

PENDING_PHONE = "pending_phone"
VERIFIED_PHONE = "verified_phone"
VERIFIED_AT = "verified_at"
NEXT_STEP = "after_verification"

# Where verification may lead: names of URL patterns, never a URL from the request.
NEXT_STEPS = {
    "booking:people",
    "booking:my_appointments",
    "waitlist:my_places",
    "standby:join",
    "draw:mine",
}


def mark_verified(request, phone: str) -> None:
    """Rotate the session key (no fixation) and remember the verified number."""
    next_step = request.session.get(NEXT_STEP)
    request.session.cycle_key()
    request.session.pop(PENDING_PHONE, None)
    request.session[VERIFIED_PHONE] = phone
    request.session[VERIFIED_AT] = int(time.time())
    if next_step:
        request.session[NEXT_STEP] = next_step


def verified_phone(request, *, max_age: int | None = None) -> str | None:
    phone = request.session.get(VERIFIED_PHONE)
    verified_at = request.session.get(VERIFIED_AT, 0)
    if phone and max_age is not None and time.time() - verified_at > max_age:
        return None
    return phone


def verification_required(next_step: str, *, max_age: int | None = None):
    """Send the visitor through phone verification first, then on to ``next_step``.

    ``max_age`` (seconds) asks for a fresh code, as cancelling does.
    """
    if next_step not in NEXT_STEPS:
        raise ValueError(f"{next_step} is not a step that verification may lead to")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            phone = verified_phone(request, max_age=max_age)
            if phone is None:
                request.session[NEXT_STEP] = next_step
                request.session.pop(VERIFIED_PHONE, None)
                return redirect("sms:phone")
            request.phone = phone
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
