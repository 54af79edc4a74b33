"""Pages rendered once per shape and filled in on every load.

The busiest pages of an opening morning (the queue page every waiting resident
reloads, the time page everyone opens) are nearly the same for everyone who sees
them in the same state: the layout, the translated sentences, the list of times.
Rendering their templates was half of such a request's cost. So a template is
rendered once per *shape* (the language, whether the session is verified, and
what the caller says the page shows besides its live values) with holes where
each load differs, and the process keeps that frame; a load fills the holes with
its values, escaped as the template would escape them.

The frame is the template's own output, so the template stays the one place that
says what the page shows; each page's tests compare frame and full render byte for
byte. A load with messages to show (they are shown once) is rendered in full.

A live value must appear in its template as a plain ``{{ name }}`` (or as a
``blocktranslate`` argument): a filter, a tag or an ``{% if %}`` that reads it
would see the hole, not the value. The CSRF token and the path the language
switch returns to are always live.
"""

import re
from collections.abc import Hashable, Iterable

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

# Private-use characters: never in a template's own text or a translation.
_HOLE = "\ue000{}\ue001"
_HOLES = re.compile("\ue000([a-z_]+)\ue001")


class _LayoutRequest:
    """What the layout reads of the request, with the path left as a hole."""

    def __init__(self, *, verified: bool):
        self.session = {VERIFIED_PHONE: verified}

    def get_full_path(self) -> str:
        return _HOLE.format("path")


class FramedPage:
    """One template served from frames; ``render`` answers as
    ``django.shortcuts.render`` would, with the names in ``live`` filled in per load."""

    def __init__(self, template: str, *, live: Iterable[str], most: int):
        self.template = template
        self.live = frozenset(live)
        # Frames kept per process; the bound only keeps a flood of odd shapes out.
        self.most = most
        self._frames: dict[Hashable, list[str]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def render(self, request, context: dict, *, shape: Hashable) -> HttpResponse:
        """The page for ``context``; ``shape`` must tell apart every page that
        differs in more than the live values (the language and whether the
        session is verified are added here)."""
        if len(messages.get_messages(request)):
            return render(request, self.template, context)
        verified = bool(request.session.get(VERIFIED_PHONE))
        key = (get_language(), verified, shape)
        parts = self._frames.get(key)
        if parts is None:
            parts = self._frame(request, context, verified=verified)
            if len(self._frames) >= self.most:
                self._frames.clear()
            self._frames[key] = parts
        values = {
            name: str(render_value_in_context(context[name], Context())) for name in self.live
        }
        values["path"] = escape(request.get_full_path())
        values["csrf_token"] = get_token(request)
        # split() leaves the text at even indices and the holes' names at odd ones.
        return HttpResponse(
            "".join(values[part] if i % 2 else part for i, part in enumerate(parts))
        )

    def _frame(self, request, context: dict, *, verified: bool) -> list[str]:
        holes = {name: _HOLE.format(name) for name in (*self.live, "csrf_token")}
        layout = {"request": _LayoutRequest(verified=verified), "messages": ()}
        html = render_to_string(self.template, {**context, **holes, **layout}, request=request)
        return _HOLES.split(html)

    def forget(self) -> None:
        """Drop every frame (tests that change templates or translations)."""
        self._frames.clear()
