"""The queue page's HTML: rendered once per shape, filled in on every load.

Every waiting resident reloads this page every 20 s, so it must cost about as
much as the cached start page (issue 16). Rendering the template was half of
its cost, and nearly all of that output is the same for everyone who waits
in the same state: the layout and the translated sentences. So the template
is rendered once per *shape* (the language, the status, the refresh and its
period, the estimate, the opening, whether the session is verified) with
holes where each load differs (the place, the number ahead, the queue's
length, the time of the update, the CSRF token and the path the language
switch returns to), and the process keeps that frame; a load fills the holes.

The frame is the template's own output, so the template stays the one place
that says what the page shows: ``tests/waitingroom/test_queue_page_frame.py``
compares frame and full render byte for byte for every shape. A load with
messages to show (they are shown once) is rendered in full.
"""

import re

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.base import render_value_in_context
from django.template.context import Context
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language

from sms.session import VERIFIED_PHONE

TEMPLATE = "waitingroom/queue.html"
# What differs on every load of the same shape; the template shows each as it is.
LIVE = frozenset({"position", "ahead", "length", "updated"})
# Private-use characters: never in a template's own text or a translation.
_HOLE = "\ue000{}\ue001"
_HOLES = re.compile("\ue000([a-z_]+)\ue001")
# A shape per language, status, refresh period and estimate in minutes: a few
# hundred at most on a real morning; the bound only keeps a flood of odd ones out.
_MOST_FRAMES = 2000
_frames: dict[tuple, list[str]] = {}


class _LayoutRequest:
    """What the layout reads of the request, with the path left as a hole."""

    def __init__(self, *, verified: bool):
        self.session = {VERIFIED_PHONE: verified}

    def get_full_path(self) -> str:
        return _HOLE.format("path")


def render_queue_page(request, context: dict) -> HttpResponse:
    """The queue page for ``context`` (the template's variables)."""
    if len(messages.get_messages(request)):
        return render(request, TEMPLATE, context)
    verified = bool(request.session.get(VERIFIED_PHONE))
    shape = (
        get_language(),
        verified,
        *sorted((name, value) for name, value in context.items() if name not in LIVE),
    )
    parts = _frames.get(shape)
    if parts is None:
        parts = _frame(request, context, verified=verified)
        if len(_frames) >= _MOST_FRAMES:
            _frames.clear()
        _frames[shape] = parts
    values = {name: str(render_value_in_context(context[name], Context())) for name in LIVE}
    values["path"] = escape(request.get_full_path())
    values["csrf_token"] = get_token(request)
    # split() leaves the text at even indices and the holes' names at odd ones.
    html = "".join(values[part] if i % 2 else part for i, part in enumerate(parts))
    return HttpResponse(html)


def _frame(request, context: dict, *, verified: bool) -> list[str]:
    holes = {name: _HOLE.format(name) for name in (*LIVE, "csrf_token")}
    layout = {"request": _LayoutRequest(verified=verified), "messages": ()}
    html = render_to_string(TEMPLATE, {**context, **holes, **layout}, request=request)
    return _HOLES.split(html)


def forget_frames() -> None:
    """For tests that change templates or translations."""
    _frames.clear()
