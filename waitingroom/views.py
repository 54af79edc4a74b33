"""The queue page, and the public record of an opening's shuffle.

The queue page is what residents refresh while they wait, so it is cheap:
the session (from the cache), one run of the room's script, and the page's
frame filled in (``waitingroom.page``); no database query while the opening
is cached. It reloads itself
with the HTTP ``Refresh`` header (no JavaScript), every
``WAITINGROOM_REFRESH_SECONDS`` and sooner near the front; ``?refresh=off``
stops that (WCAG 2.2.1) and the "update now" button reloads by hand.
"""

import math
import random

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils import formats, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from impfportal.csv_download import csv_stream
from waitingroom import gate, openings, page, tickets
from waitingroom.models import Opening
from waitingroom.room import Status

NEAR_FRONT_PLACES = 10
SOON_REFRESH_SECONDS = 5


def _next_page(request) -> str:
    """Where the resident wanted to go: a guarded page of ours, nothing else. Kept
    in the session (not popped), so that a second tab let in a moment later goes
    to the same page instead of the start."""
    path = request.session.get(tickets.NEXT, "")
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        try:
            if resolve(path.split("?", 1)[0]).view_name in gate.GUARDED:
                return path
        except Resolver404:
            pass
    return "booking:start"


@never_cache  # each load must reach the room: a cached page would show a stale place
@require_GET
def queue(request):
    verdict = gate.check(request, create=False)
    if verdict is None:
        # No ticket: nothing to wait for. The booking's first page explains the way in.
        return redirect("booking:start")
    if verdict.admitted:
        return redirect(_next_page(request))
    now = timezone.now()
    phase = openings.current_phase()
    auto = request.GET.get("refresh") != "off"
    refresh = settings.WAITINGROOM_REFRESH_SECONDS
    wait_minutes = None
    after_opening = False  # the page comes back after the opening, not every period
    if verdict.status == Status.QUEUED:
        if verdict.measured_rate > 0:
            seconds = (verdict.ahead + 1) / verdict.measured_rate
            wait_minutes = math.ceil(seconds / 60)
            # Back when the turn is due, not every few seconds from half a minute
            # before: at 5,000 waiting, those near the front made most of the reloads.
            refresh = min(refresh, max(SOON_REFRESH_SECONDS, math.ceil(seconds)))
        if verdict.ahead < NEAR_FRONT_PLACES:
            refresh = SOON_REFRESH_SECONDS
    elif verdict.status == Status.PREQUEUED and phase is not None:
        # In the last period before the opening, everyone waiting for it is told to
        # come back after it, spread evenly over one whole refresh period: the lot
        # has placed them already and a place is kept far longer, so coming back a
        # little later costs nobody anything. Spread over less, the pre-queue would
        # come back as one wave and, reloading every period, stay one: a thousand
        # reloads in the same few seconds every 20 s made the queue page's slowest
        # windows at 5,000 residents (bench/README.md, fifth session).
        until = math.ceil((phase.opens_at - now).total_seconds()) + 1
        if until <= refresh:
            refresh = max(2, until + random.randrange(refresh))  # noqa: S311 -- spreading load
            after_opening = True
    response = page.render_queue_page(
        request,
        {
            "status": verdict.status.name.lower(),
            "position": verdict.ahead + 1,
            "ahead": verdict.ahead,
            "length": verdict.length,
            "wait_minutes": wait_minutes,
            "updated": formats.time_format(timezone.localtime(now), "H:i:s"),
            "opens_at": phase.opens_at if phase is not None else None,
            "opening_id": phase.opening_id if phase is not None else None,
            "auto": auto,
            "refresh": refresh,
            "after_opening": after_opening,
        },
    )
    if auto:
        response["Refresh"] = str(refresh)
    return response


def opening(request, opening_id: int):
    """Commitment before, key and log after: enough for anyone to re-check the shuffle."""
    item = get_object_or_404(Opening, pk=opening_id)
    if item.mode == Opening.Mode.DRAW:
        return redirect("draw:opening", opening_id=item.pk)
    return render(
        request,
        "waitingroom/opening.html",
        {
            "opening": item,
            "key": item.revealed_key(),
            "entries": item.prequeue.count(),
        },
    )


def opening_log(request, opening_id: int):
    """The pre-queue's log as CSV: ticket, arrival number, position after the shuffle."""
    item = get_object_or_404(Opening, pk=opening_id)
    if item.revealed_key() is None:
        raise Http404
    return csv_stream(
        filename=f"opening-{item.pk}-prequeue.csv",
        header=["ticket", "arrival", "position"],
        rows=item.prequeue.values_list("ticket", "arrival", "position"),
    )
