"""How long a session lives, and that no cache keeps a page with personal data.

A resident's session (a number waiting for its code, or verified) ends after
RESIDENT_SESSION_IDLE_SECONDS without a request and RESIDENT_SESSION_MAX_SECONDS
after verification, whichever comes first; a staff login after the shorter
STAFF_SESSION_* limits. Ending means flushing it on the server (its row and its
cache entry are deleted), not just forgetting the cookie.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from sms.session import PENDING_PHONE, VERIFIED_AT, VERIFIED_PHONE

LAST_SEEN = "last_seen"
STAFF_SINCE = "staff_since"
# Writing the session on every request would cost a database write each time;
# to the minute is precise enough for limits of 15 and 30 minutes.
TOUCH_EVERY_SECONDS = 60
_RESIDENT_KEYS = (VERIFIED_PHONE, PENDING_PHONE)


class SessionTimeoutMiddleware:
    """Ends idle and too old sessions; must come after the message middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        now = int(time.time())
        if SESSION_KEY in session:
            started = session.setdefault(STAFF_SINCE, now)
            if self._expired(session, now, started, staff=True):
                logout(request)  # flushes the session and forgets the user
                self._tell(request)
        elif any(key in session for key in _RESIDENT_KEYS):
            started = session.get(VERIFIED_AT, now)
            if self._expired(session, now, started, staff=False):
                session.flush()
                self._tell(request)
        identified = any(key in session for key in (SESSION_KEY, *_RESIDENT_KEYS))
        if identified and now - session.get(LAST_SEEN, 0) >= TOUCH_EVERY_SECONDS:
            session[LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _expired(session, now: int, started: int, *, staff: bool) -> bool:
        if staff:
            idle, longest = settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
        else:
            idle = settings.RESIDENT_SESSION_IDLE_SECONDS
            longest = settings.RESIDENT_SESSION_MAX_SECONDS
        last_seen = session.get(LAST_SEEN, now)
        return now - last_seen > idle or now - started > longest

    @staticmethod
    def _tell(request) -> None:
        messages.info(
            request,
            _(
                "You have been logged out because the page was not used for a long time. "
                "This protects your data. Please start again."
            ),
        )


class NoStoreMiddleware:
    """Responses to a resident's or staff member's session show personal data
    (names, dates of birth, appointments, a masked number), and a form posted
    back with an error shows what was typed: no browser or proxy cache may keep
    them, e.g. for the next user of a shared PC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if request.method == "POST" or any(
            key in session for key in (SESSION_KEY, *_RESIDENT_KEYS)
        ):
            add_never_cache_headers(response)
        return response
