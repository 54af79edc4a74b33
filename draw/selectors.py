"""What the draw's pages, protocol and figures read."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from booking.models import Household
from draw.models import Draw, DrawEntry
from waitlist import selectors as waitlist_selectors
from waitlist.models import Entry, Offer

PASSED_ON = [Offer.Status.DECLINED, Offer.Status.EXPIRED, Offer.Status.UNDELIVERED]

OUTCOMES = {
    "registered": _("registered, not drawn yet"),
    "accepted": _("accepted an offer"),
    "offered": _("drawn: offer sent"),
    "passed_on": _("offer passed on"),
    "waiting": _("waiting at their place"),
    "left": _("left the waiting list"),
}


def _with_offers(entries):
    return entries.annotate(
        offers_open=Count("entry__offers", filter=Q(entry__offers__status=Offer.Status.OPEN)),
        offers_accepted=Count(
            "entry__offers", filter=Q(entry__offers__status=Offer.Status.ACCEPTED)
        ),
        offers_passed=Count("entry__offers", filter=Q(entry__offers__status__in=PASSED_ON)),
    )


def outcome_of(row: DrawEntry) -> str:
    """One of ``OUTCOMES``; ``row`` comes from ``_with_offers`` with ``entry``."""
    if row.rank is None:
        return "registered"
    if row.offers_accepted:  # type: ignore[attr-defined]
        return "accepted"
    if row.offers_open:  # type: ignore[attr-defined]
        return "offered"
    if row.entry.status in (Entry.Status.LEFT, Entry.Status.CLOSED):
        return "left"
    if row.offers_passed:  # type: ignore[attr-defined]
        return "passed_on"
    return "waiting"


def protocol_rows(draw: Draw) -> Iterator[tuple[str, int, int, str]]:
    """The pseudonymous protocol: (public id, group rank, place, outcome), in place order."""
    rows = _with_offers(draw.entries.filter(rank__isnull=False)).select_related("entry")
    for row in rows.order_by("rank").iterator(chunk_size=5000):
        yield row.public_id, row.priority_rank, row.rank, outcome_of(row)


@dataclass(frozen=True)
class Figures:
    entrants: list[tuple[int, int]]  # (group rank, entrants), older groups first
    seats: int
    offers: int
    accepted: int
    passed_on: int

    @property
    def total(self) -> int:
        return sum(count for _group, count in self.entrants)


def figures(draw: Draw) -> Figures:
    """Entrants per group, seats, and the offers made to the draw's entrants since it ran."""
    entrants = list(
        draw.entries.values_list("priority_rank")
        .annotate(n=Count("pk"))
        .order_by("priority_rank")
        .values_list("priority_rank", "n")
    )
    offers = Offer.objects.filter(entry__draw_entry__draw=draw)
    counts = offers.aggregate(
        offers=Count("pk"),
        accepted=Count("pk", filter=Q(status=Offer.Status.ACCEPTED)),
        passed_on=Count("pk", filter=Q(status__in=PASSED_ON)),
    )
    return Figures(entrants=entrants, seats=draw.seats, **counts)


@dataclass(frozen=True)
class MyEntry:
    """A household's draw entry as the result page shows it."""

    row: DrawEntry
    outcome: str
    position: int | None  # the place in the waiting list now, once drawn and waiting


def household_entries(household: Household) -> list[MyEntry]:
    rows = (
        _with_offers(DrawEntry.objects.filter(entry__person__household=household))
        .select_related("entry__person", "draw__opening")
        .order_by("-draw__closes_at", "entry__person__created_at")
    )
    result = []
    for row in rows:
        outcome = outcome_of(row)
        waiting = outcome in ("waiting", "passed_on") and row.entry.status == Entry.Status.WAITING
        position = waitlist_selectors.position_of(row.entry) if waiting else None
        result.append(MyEntry(row=row, outcome=outcome, position=position))
    return result
