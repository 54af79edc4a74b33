"""What the draw's pages, protocol and figures read."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.models import Household, PriorityGroup
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

    def entrants_of(self, rank: int) -> int:
        return next((count for group, count in self.entrants if group == rank), 0)


def figures(draw: Draw) -> Figures:
    """Entrants per group, seats, and the offers made to the draw's entrants since it ran."""
    return figures_of([draw])[draw.pk]


def figures_of(draws: Sequence[Draw]) -> dict[int, Figures]:
    """``figures`` of each draw by its id, in two queries however many draws there are."""
    ids = [draw.pk for draw in draws]
    if not ids:
        return {}
    entrants: dict[int, list[tuple[int, int]]] = defaultdict(list)
    groups = (
        DrawEntry.objects.filter(draw_id__in=ids)
        .values("draw_id", "priority_rank")
        .annotate(n=Count("pk"))
        .order_by("draw_id", "priority_rank")  # also drops Meta.ordering from the GROUP BY
    )
    for group in groups:
        entrants[group["draw_id"]].append((group["priority_rank"], group["n"]))
    rows = (
        Offer.objects.filter(entry__draw_entry__draw_id__in=ids)
        .values(of_draw=F("entry__draw_entry__draw_id"))
        .annotate(
            offers=Count("pk"),
            accepted=Count("pk", filter=Q(status=Offer.Status.ACCEPTED)),
            passed_on=Count("pk", filter=Q(status__in=PASSED_ON)),
        )
        .order_by()
        .values_list("of_draw", "offers", "accepted", "passed_on")
    )
    offers = {
        draw_id: {"offers": made, "accepted": accepted, "passed_on": passed_on}
        for draw_id, made, accepted, passed_on in rows
    }
    none = {"offers": 0, "accepted": 0, "passed_on": 0}
    return {
        draw.pk: Figures(entrants=entrants[draw.pk], seats=draw.seats, **offers.get(draw.pk, none))
        for draw in draws
    }


@dataclass(frozen=True)
class Group:
    rank: int
    name: str


@dataclass(frozen=True)
class DrawRow:
    """One draw as the ministry's list shows it."""

    draw: Draw
    phase: Draw.Phase
    figures: Figures
    entrants: tuple[int, ...]  # per group of the ``Overview``, in its order


@dataclass(frozen=True)
class Overview:
    groups: tuple[Group, ...]  # every group with entrants in some draw, older first
    rows: tuple[DrawRow, ...]  # newest draw first


def groups_of(ranks: Iterable[int]) -> tuple[Group, ...]:
    """The priority groups of these ranks with their names, older first (one query)."""
    ranks = sorted(ranks)
    names = dict(PriorityGroup.objects.filter(rank__in=ranks).values_list("rank", "name"))
    return tuple(
        Group(rank=rank, name=names.get(rank) or gettext("Group %(rank)d") % {"rank": rank})
        for rank in ranks
    )


def overview(*, now: datetime | None = None) -> Overview:
    """Every draw with its figures, for the ministry: four queries however many
    draws there are (the draws, entrants, offers, the groups' names)."""
    draws = list(Draw.objects.select_related("opening__vaccine").order_by("-closes_at", "-pk"))
    by_draw = figures_of(draws)
    groups = groups_of({rank for numbers in by_draw.values() for rank, _count in numbers.entrants})
    now = now or timezone.now()
    rows = tuple(
        DrawRow(
            draw=draw,
            phase=draw.phase(now=now),
            figures=by_draw[draw.pk],
            entrants=tuple(by_draw[draw.pk].entrants_of(group.rank) for group in groups),
        )
        for draw in draws
    )
    return Overview(groups=groups, rows=rows)


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
