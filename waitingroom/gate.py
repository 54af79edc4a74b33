"""The waiting room's door: which pages it stands in front of, and the middleware.

Only the pages that cost something are guarded: requesting and checking a
code (each costs an SMS or a voice call), the booking steps and joining the
waiting list. The start page, the public availability, the booking
information page, confirmations, offers from SMS, cancelling once verified,
the statistics, the admin and the queue page itself never are.

While there is room the middleware only runs the room's script (one Redis
round trip) and the request goes on: no extra page, no redirect. A resident the
script let in within WAITINGROOM_RECHECK_SECONDS goes on without it: for a
place in the flow it would only renew the place, which stays theirs far longer.
"""

import logging
import time

from django.conf import settings
from django.shortcuts import redirect

from waitingroom import controller, openings, room, tickets
from waitingroom.room import Status, Verdict

logger = logging.getLogger(__name__)

GUARDED = frozenset(
    {
        "sms:phone",
        "sms:code",
        "sms:resend",
        "sms:call_instead",
        "booking:people",
        "booking:correct_person",
        "booking:confirm_removal",
        "booking:remove_person",
        "booking:choose_center",
        "booking:choose_day",
        "booking:choose_time",
        "waitlist:choose_scope",
        "waitlist:join_district",
        "waitlist:join_center",
    }
)
# The booking post whose time tells the controller how the booking core copes.
BOOKING_POST = "booking:choose_time"
# After these the resident is done for now: their place in the flow is freed at once
# (a booking confirmed; the waiting places, where joining a list ends).
FINISHED = frozenset({"booking:confirmation", "waitlist:my_places"})
LOGOUT = "sms:logout"


# A proxy's clock may run a little ahead of ours; a stamp older than this is no
# measurement but a mistake (or a forgery that got through) and is not used.
_OLDEST_START_SECONDS = 120


def received_at(request) -> float | None:
    """When the proxy received the request (Unix seconds), from
    ``WAITINGROOM_REQUEST_START_HEADER``; None when not configured or unreadable.

    Accepts ``t=<seconds>[.<fraction>]``, ``t=<milliseconds>`` and
    ``t=<microseconds>`` (HAProxy's ``t=%Ts%ms``, nginx's ``t=${msec}``).
    """
    name = settings.WAITINGROOM_REQUEST_START_HEADER
    if not name:
        return None
    raw = request.headers.get(name, "").strip().removeprefix("t=")
    try:
        value = float(raw)
    except ValueError:
        return None
    if "." not in raw:
        digits = len(raw)
        value /= 1_000_000 if digits >= 16 else 1000 if digits >= 13 else 1
    now = time.time()
    if not now - _OLDEST_START_SECONDS <= value <= now + 1:
        return None
    return min(value, now)


def check(request, *, create: bool = True) -> Verdict | None:
    """Ask the room about this session's ticket (made if ``create``); None: no ticket."""
    ticket = tickets.ticket_for(request, create=create)
    if ticket is None:
        return None
    verdict = None
    if room.redis_usable():
        controller.maybe_step()
        now = room.clock()
        # In the flow a moment ago: the script would only renew the place (a
        # resident in the flow stays in it, whatever the capacity), so it is not
        # asked on every click: each request of a booking paid a Redis script.
        if tickets.checked_recently(request, now):
            return Verdict(status=Status.ADMITTED)
        try:
            verdict = room.enter(
                ticket=ticket,
                returning=tickets.was_admitted(request),
                phase=openings.current_phase(),
            )
        except Exception as error:
            room.trip(error)
        else:
            if verdict.admitted:
                tickets.mark_checked(request, now)
    if verdict is None:
        verdict = _without_redis(request)
    if verdict.admitted:
        tickets.mark_admitted(request)
    return verdict


def _without_redis(request) -> Verdict:
    if tickets.was_admitted(request) or room.local_bucket.take():
        return Verdict(status=Status.ADMITTED)
    return Verdict(status=Status.WAITING_UNCOUNTED)


class WaitingRoomMiddleware:
    """Sends residents who are not let in yet to the queue page.

    Must come after the session middleware (and after the session timeout,
    which may end the session first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or not settings.WAITINGROOM_ENABLED:
            return response
        if match.view_name == BOOKING_POST and request.method == "POST":
            # From the proxy's clock when it tells us, so that the wait for a free
            # worker (which this process cannot see) counts as the resident feels it.
            proxy_start = received_at(request)
            if proxy_start is not None:
                ms = (time.time() - proxy_start) * 1000
            else:
                ms = (time.perf_counter() - started) * 1000
            controller.record_booking_ms(ms)
        elif match.view_name in FINISHED and response.status_code == 200:
            ticket = tickets.ticket_for(request, create=False)
            if ticket:
                room.leave(ticket)
                tickets.forget_checked(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.WAITINGROOM_ENABLED:
            return None
        name = request.resolver_match.view_name
        if name == LOGOUT:
            ticket = tickets.ticket_for(request, create=False)
            if ticket:
                room.leave(ticket)
            return None
        if name not in GUARDED:
            return None
        verdict = check(request)
        if verdict is None or verdict.admitted:
            return None
        wanted = request.get_full_path() if request.method == "GET" else request.path
        if request.session.get(tickets.NEXT) != wanted:
            request.session[tickets.NEXT] = wanted
        return redirect("waitingroom:queue")
