"""The time page's free times, shared for a moment by everyone opening the same day.

On the morning a whole age group is invited, hundreds of residents a second open
the time page of the same few center-days. Each process keeps what that page
shows of a center-day (the center, its free first-dose times and the rendered
list of them) for ``TIME_PAGE_CACHE_SECONDS`` (default 1; 0 switches it off), so
that the page costs one query (the person) instead of two and no list rendering.

A time shown from the copy may have been taken meanwhile, as one shown fresh may
be taken before the resident presses the button: the booking never trusts the
page. Its POST reads the posted time fresh and takes the seats with a conditional
UPDATE, and a page after a failed booking reads the free times fresh too (and
keeps them as the copy; their rendered list is used again while the same times
are free, which under contention is most of the time: a time leaves the list
only when its last seat goes).

The page itself is served from a frame (``impfportal.frames``): rendered once
per center, day, error and whether the day has free times, with holes for the
person, the back link, the form's token and the list of times, or on a day
without any, the person's links to the center's next free times (kept per
process as the list is). ``tests/booking/test_time_page_frame.py`` compares it
with the full render.
"""

from datetime import date
from time import monotonic
from typing import NamedTuple

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from booking import selectors, services
from booking.forms import SlotChoiceForm
from centers.models import Center, Slot
from impfportal.frames import FramedPage

TEMPLATE = "booking/choose_time.html"

# Entries beyond this many are dropped (the expired first) before adding one.
MAX_ENTRIES = 512


class _Copy(NamedTuple):
    read_at: float  # when the free times were read
    center: Center
    slots: list[Slot]
    options: SafeString
    rendered_at: float  # when their list was rendered (the same times since)


_copies: dict[tuple, _Copy] = {}
_centers: dict[str, tuple[float, Center]] = {}
# A frame per center-day, error message and whether the day has free times; the
# list of times (rendered once per list, above) is filled in like the person, as it
# changes whenever a time's last seat goes.
_page = FramedPage(
    TEMPLATE,
    live=("person", "back_url", "token", "options_html", "other_times_html"),
    most=MAX_ENTRIES,
)
# The links to a center's next free times (for a day without any), per center,
# vaccines and language, with this for the person's id (ids are far smaller).
_other_times: dict[tuple, tuple[float, SafeString]] = {}
_PERSON_STAND_IN = 8_760_000_000_000_000_001


def free_times(
    center_slug: str, vaccines, day: date, *, fresh: bool = False
) -> tuple[Center, list[Slot], SafeString | None]:
    """The center, its free first-dose times on ``day`` and their rendered radio
    buttons, from this process's copy while it is young enough; 404 for an unknown
    center. The rendered list is None when it is not kept (the page renders it).

    ``fresh``: read the times now whatever the copy's age (the page after a lost
    race), and keep what was read as the copy. The copy's rendered list is used
    again when the same times are still free and it was rendered within
    ``TIME_PAGE_CACHE_SECONDS``: it shows nothing else (a time's id, moment,
    vaccine and second-dose hint). Whether they are is asked by the times' ids
    first; only a changed list is read in full.
    """
    seconds = settings.TIME_PAGE_CACHE_SECONDS
    if seconds <= 0:
        center, slots = selectors.center_with_free_slots(center_slug, vaccines, day)
        return center, slots, None
    key = (
        center_slug,
        day,
        tuple(sorted(vaccine.pk for vaccine in vaccines)),
        translation.get_language(),
    )
    now = monotonic()
    copy = _copies.get(key)
    if copy is not None and now - copy.read_at < seconds and not fresh:
        return copy.center, copy.slots, copy.options
    # The copy's list may be shown again if the same times are free: asked by
    # their ids alone, without making the instances (under contention a time
    # leaves the list only when its last seat goes).
    if (
        copy is not None
        and now - copy.rendered_at < seconds
        and selectors.free_slot_ids(center_slug, vaccines, day) == [s.pk for s in copy.slots]
    ):
        _copies[key] = copy._replace(read_at=now)
        return copy.center, copy.slots, copy.options
    center, slots = selectors.center_with_free_slots(center_slug, vaccines, day)
    options = render_to_string(
        "booking/_time_options.html", {"options": SlotChoiceForm(slots=slots).time_options()}
    )
    if len(_copies) >= MAX_ENTRIES:
        for old in [k for k, v in _copies.items() if now - v.read_at >= seconds] or list(_copies):
            del _copies[old]
    _copies[key] = _Copy(now, center, slots, options, rendered_at=now)
    return center, slots, options


def center(center_slug: str) -> Center:
    """The center, from this process's copy while it is young enough; 404 for an
    unknown one. The booking POST needs it (the page, the SMS) with the posted time."""
    seconds = settings.TIME_PAGE_CACHE_SECONDS
    now = monotonic()
    copy = _centers.get(center_slug)
    if copy is not None and now - copy[0] < seconds:
        return copy[1]
    found = get_object_or_404(Center, slug=center_slug)
    if seconds > 0:
        if len(_centers) >= MAX_ENTRIES:
            _centers.clear()
        _centers[center_slug] = (now, found)
    return found


def other_times_html(person, center: Center, vaccines) -> SafeString:
    """The person's links to the center's next free first-dose times from now on,
    for the page of a day without any (a quarter of the time pages as the days
    fill up). The times and their links are kept per process while young enough,
    rendered once per center, vaccines and language with a stand-in for the
    person's id (formatting the times was half of such a page's CPU)."""
    seconds = settings.TIME_PAGE_CACHE_SECONDS
    if seconds <= 0:
        return _render_other_times(person.pk, center, vaccines)
    now = monotonic()
    key = (center.pk, tuple(sorted(vaccine.pk for vaccine in vaccines)), translation.get_language())
    copy = _other_times.get(key)
    if copy is None or now - copy[0] >= seconds:
        copy = (now, _render_other_times(_PERSON_STAND_IN, center, vaccines))
        if len(_other_times) >= MAX_ENTRIES:
            _other_times.clear()
        _other_times[key] = copy
    return SafeString(copy[1].replace(str(_PERSON_STAND_IN), str(person.pk)))


def _render_other_times(person_id: int, center: Center, vaccines) -> SafeString:
    alternatives = services.next_free_slots(
        center_id=center.pk, vaccines=vaccines, after=timezone.now()
    )
    return render_to_string(
        "booking/_other_times.html",
        {"person_id": person_id, "center": center, "alternatives": alternatives},
    )


def render_page(request, context: dict) -> HttpResponse:
    """The time page: from its frame while the list of times is kept."""
    if context["options_html"] is None:
        return render(request, TEMPLATE, context)
    center = context["center"]
    shape = (
        center.slug,
        center.name,
        context["day"],
        tuple(context["errors"]),
        bool(context["slots"]),  # the list, or the way to other times
    )
    return _page.render(request, context, shape=shape)


def forget() -> None:
    """Drop every copy and frame (tests)."""
    _copies.clear()
    _centers.clear()
    _other_times.clear()
    _page.forget()
