"""The resident's ticket: which place in the room belongs to this browser session.

The id is a keyed hash of the session's random key at the moment the ticket
is made, stored in the session (signed with ``django.core.signing``) and
never put in a URL. Making it from the session key means that two tabs or two
clicks that reach the room at the same moment, in the same session, make the
same ticket, so one session can never hold two places; storing it means it
survives the rotation of the session key at verification. A ticket whose
signature does not hold is treated as none (a fresh one is made).
"""

import time

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

TICKET = "waitingroom_ticket"
# Set when the room first let this session in: it is not sent back while in the flow.
ADMITTED = "waitingroom_admitted"
# The guarded page the resident asked for, to go on to when let in.
NEXT = "waitingroom_next"
# When the room's script last answered "in the flow" for this session (the room's
# clock): within WAITINGROOM_RECHECK_SECONDS the next guarded request goes on
# without asking it (waitingroom/gate.py). Kept in Redis only (impfportal/sessions.py).
CHECKED = "waitingroom_checked"
_SALT = "waitingroom.ticket"


def ticket_for(request, *, create: bool) -> str | None:
    signed = request.session.get(TICKET)
    if signed:
        try:
            return signing.loads(signed, salt=_SALT)
        except signing.BadSignature:
            pass
    if not create:
        return None
    if request.session.session_key is None:
        request.session.save()  # the key is the ticket's source: make it now
    key = request.session.session_key
    ticket = salted_hmac(_SALT, key, algorithm="sha256").hexdigest()[:32]
    request.session[TICKET] = signing.dumps(ticket, salt=_SALT)
    return ticket


def mark_admitted(request) -> None:
    if ADMITTED not in request.session:
        request.session[ADMITTED] = int(time.time())


def was_admitted(request) -> bool:
    return ADMITTED in request.session


def checked_recently(request, now: float) -> bool:
    """Whether the room let this session in so lately that asking again would only
    renew its place in the flow, which stays its own for far longer."""
    seconds = min(
        settings.WAITINGROOM_RECHECK_SECONDS, settings.WAITINGROOM_ACTIVE_IDLE_SECONDS / 4
    )
    return 0 <= now - request.session.get(CHECKED, -seconds) < seconds


def mark_checked(request, now: float) -> None:
    request.session[CHECKED] = now


def forget_checked(request) -> None:
    """The next guarded request asks the room again (the place was given up)."""
    request.session.pop(CHECKED, None)
