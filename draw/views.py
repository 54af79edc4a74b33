"""The draw's public page (the opening's), its protocol, and "my draw result"."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from booking.services import household_for
from draw import selectors
from draw.models import Draw
from impfportal.csv_download import csv_stream
from sms.session import verification_required


def _draw_of(opening_id: int) -> Draw:
    return get_object_or_404(
        Draw.objects.select_related("opening").prefetch_related("districts", "centers"),
        opening_id=opening_id,
    )


def opening(request, opening_id: int):
    """Window, same chance for everyone, when the result comes; the commitment
    before the draw, the key, figures and protocol after it."""
    draw = _draw_of(opening_id)
    return render(
        request,
        "draw/opening.html",
        {
            "draw": draw,
            "opening": draw.opening,
            "key": draw.revealed_key(),
            "figures": selectors.figures(draw) if draw.ranked_at else None,
        },
    )


def protocol(request, opening_id: int):
    """The pseudonymous protocol as CSV: id, group, place, outcome; after the draw."""
    draw = _draw_of(opening_id)
    if draw.revealed_key() is None:
        raise Http404
    return csv_stream(
        filename=f"draw-{opening_id}-protocol.csv",
        header=["entry", "group", "place", "outcome"],
        rows=selectors.protocol_rows(draw),
    )


@never_cache
@verification_required("draw:mine")
def mine(request) -> HttpResponse:
    """Each draw entry of the household: when the result comes, then its result."""
    household = household_for(request.phone)
    return render(
        request,
        "draw/mine.html",
        {"entries": selectors.household_entries(household), "outcomes": selectors.OUTCOMES},
    )
