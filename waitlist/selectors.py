"""Read-only questions of the waiting-list pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from booking.models import Household, Person, Series
from centers.models import Vaccine
from impfportal.compiled import CompiledQuery
from waitlist.models import Entry, Offer

SERVED_WINDOW = timedelta(days=7)


@dataclass
class Place:
    """A waiting place as "my waiting place" shows it."""

    entry: Entry
    # Counted for a place in line only (None otherwise): the page shows them for
    # nothing else, and for a place waiting for a draw they would count through
    # a district's whole list on each view.
    position: int | None
    served_ahead: int | None  # people ahead who got an appointment in the last 7 days
    open_offer: Offer | None
    vaccines: list[Vaccine]  # the vaccines the place waits for, by name


@dataclass(frozen=True)
class Joiner:
    """A person about to join, and what would stop them."""

    person: Person
    waiting: bool  # holds an active waiting place
    booked: bool  # holds an active appointment series


def _with_answers(people):
    """People with the two questions a joining asks: waiting? booked?"""
    return people.annotate(
        waiting=Exists(Entry.objects.filter(person_id=OuterRef("pk"), status__in=Entry.ACTIVE)),
        booked=Exists(Series.objects.active().filter(person_id=OuterRef("pk"))),
    )


# Asked three times by each joining (scope, preferences, the join itself) and by
# "my waiting place": the ORM spends 3 ms of CPU building this query each time.
_JOINER = CompiledQuery(
    lambda values: _with_answers(Person.objects).filter(
        pk=values.person_id, household__phone=values.phone
    ),
    person_id=int,
    phone=str,
)
_HOUSEHOLD_JOINERS = CompiledQuery(
    lambda values: _with_answers(Person.objects).filter(household__phone=values.phone),
    phone=str,
)


def household_joiners(phone: str) -> list[Joiner]:
    """The people of this verified number's household, each with both answers (one query)."""
    return [
        Joiner(person=person, waiting=bool(person.waiting), booked=bool(person.booked))
        for person in _HOUSEHOLD_JOINERS.run(phone=phone)
    ]


def joiner_for_phone(*, phone: str, person_id: int) -> Joiner:
    """The person of this verified number's household, or 404; one query for the
    person and both questions, as each step of joining asks them."""
    person = next(_JOINER.run(person_id=person_id, phone=phone), None)
    if person is None:
        raise Http404("No such person in this household.")
    return Joiner(person=person, waiting=bool(person.waiting), booked=bool(person.booked))


def entry_for_household(household: Household, entry_id: int) -> Entry:
    """The household's waiting place, or 404: nobody reaches another number's places."""
    return get_object_or_404(
        Entry.objects.select_related("person", "center", "district"),
        pk=entry_id,
        person__household=household,
    )


def _same_list(entry: Entry) -> Q:
    """Entries that compete with ``entry`` for seats: a center's list includes the
    district-wide places of its district; a district's list is every place in it."""
    if entry.center_id is None:
        return Q(district_id=entry.district_id)
    same_center = Q(center__isnull=True) | Q(center_id=entry.center_id)
    return Q(district_id=entry.district_id) & same_center


def _ahead_of(entry: Entry) -> Q:
    """Queue order: priority-group rank, then time of joining (then id, for ties)."""
    rank, joined = entry.priority_rank, entry.joined_at
    return (
        Q(priority_rank__lt=rank)
        | Q(priority_rank=rank, joined_at__lt=joined)
        | Q(priority_rank=rank, joined_at=joined, pk__lt=entry.pk)
    )


def position_of(entry: Entry) -> int:
    """1 for the first in line; counts the places waiting or holding an offer."""
    ahead = (
        Entry.objects.filter(_same_list(entry), _ahead_of(entry))
        .filter(status__in=[Entry.Status.WAITING, Entry.Status.OFFERED])
        .count()
    )
    return ahead + 1


def served_ahead_of(entry: Entry) -> int:
    """How many people ahead in the same list got an appointment in the last 7 days:
    how fast the line moves."""
    return (
        Entry.objects.filter(_same_list(entry), _ahead_of(entry))
        .filter(status=Entry.Status.SERVED, served_at__gte=timezone.now() - SERVED_WINDOW)
        .count()
    )


# "My waiting place" is shown after each step of joining: the ORM spent about
# 1.3 ms of CPU building the places' query and 0.9 ms prefetching their
# vaccines each time (bench/README.md, draw).
_HOUSEHOLD_PLACES = CompiledQuery(
    lambda values: (
        Entry.objects.filter(person__household__phone=values.phone, status__in=Entry.ACTIVE)
        .select_related("person", "center", "district")
        .order_by("joined_at")
    ),
    phone=str,
)
# The vaccines of every place of the household, active or not (a handful of rows):
# the places just read pick theirs, whatever changed in between.
_HOUSEHOLD_VACCINES = CompiledQuery(
    lambda values: (
        Entry.vaccines.through.objects.filter(entry__person__household__phone=values.phone)
        .select_related("vaccine")
        .order_by("vaccine__name", "vaccine_id")
    ),
    phone=str,
)


def household_places(phone: str) -> list[Place]:
    """The active waiting places of the household of ``phone``, first joined first."""
    entries = list(_HOUSEHOLD_PLACES.run(phone=phone))
    if not entries:
        return []
    vaccines: dict[int, list[Vaccine]] = {}
    for row in _HOUSEHOLD_VACCINES.run(phone=phone):
        vaccines.setdefault(row.entry_id, []).append(row.vaccine)
    places = []
    for entry in entries:
        open_offer = None
        if entry.status == Entry.Status.OFFERED:
            open_offer = (
                entry.offers.filter(status=Offer.Status.OPEN)
                .select_related("first_slot__center", "second_slot")
                .first()
            )
        in_line = entry.status == Entry.Status.WAITING
        places.append(
            Place(
                entry=entry,
                position=position_of(entry) if in_line else None,
                served_ahead=served_ahead_of(entry) if in_line else None,
                open_offer=open_offer,
                vaccines=vaccines.get(entry.pk, []),
            )
        )
    return places
