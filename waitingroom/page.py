"""The queue page's HTML: rendered once per shape, filled in on every load.

Every waiting resident reloads this page every 20 s, so it must cost about as
much as the cached start page (issue 16). Rendering the template was half of
its cost, and nearly all of that output is the same for everyone who waits
in the same state: the layout and the translated sentences. So the template
is rendered once per *shape* (the language, the status, the refresh and its
period, the estimate, the opening, whether the session is verified) with
holes where each load differs (the place, the number ahead, the queue's
length, the time of the update, the CSRF token and the path the language
switch returns to), and the process keeps that frame (``impfportal.frames``);
a load fills the holes.

``tests/waitingroom/test_queue_page_frame.py`` compares frame and full render
byte for byte for every shape.
"""

from django.http import HttpResponse

from impfportal.frames import FramedPage

TEMPLATE = "waitingroom/queue.html"
# What differs on every load of the same shape; the template shows each as it is.
LIVE = frozenset({"position", "ahead", "length", "updated"})
# A shape per language, status, refresh period and estimate in minutes: a few
# hundred at most on a real morning.
queue_page = FramedPage(TEMPLATE, live=LIVE, most=2000)


def render_queue_page(request, context: dict) -> HttpResponse:
    """The queue page for ``context`` (the template's variables)."""
    shape = tuple(sorted((name, value) for name, value in context.items() if name not in LIVE))
    return queue_page.render(request, context, shape=shape)


def forget_frames() -> None:
    """For tests that change templates or translations."""
    queue_page.forget()
