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

from django.core import signing
from django.utils.crypto import salted_hmac

TICKET = "waitingroom_ticket"
# Set when the room first let this session in: it is not sent back while in the flow.
ADMITTED = "waitingroom_admitted"
# The guarded page the resident asked for, to go on to when let in.
NEXT = "waitingroom_next"
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
