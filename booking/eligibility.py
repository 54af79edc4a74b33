"""Who may book which vaccine, following the groups the ministry has opened.

A person belongs to every group whose minimum age they have reached (an
85-year-old is in "80 and older" and in "60 and older"), so a vaccine opened
for "60 and older" is open to them too. Their own group, the one shown to
them, is the highest-priority one.
"""

from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from time import monotonic

from django.conf import settings
from django.utils import timezone

from booking.models import Person, PriorityGroup, VaccineOpening
from centers.models import Vaccine


@dataclass
class Eligibility:
    group: PriorityGroup | None
    bookable: list[Vaccine] = field(default_factory=list)
    waitlist_only: list[Vaccine] = field(default_factory=list)

    @property
    def can_book(self) -> bool:
        return bool(self.bookable)


@dataclass(frozen=True)
class _Rules:
    groups: list[PriorityGroup]  # by rank
    openings: list[VaccineOpening]  # each with its group and vaccine
    read_at: float


_rules: _Rules | None = None


def _current_rules() -> _Rules:
    """The groups and the openings, a handful of rows that change a few times a year.

    Every booking page asks for them, so each process keeps them for
    ELIGIBILITY_CACHE_SECONDS; saving or deleting one in this process forgets
    them at once (``forget_rules``), other processes see it within that time.
    """
    global _rules
    now = monotonic()
    if _rules is None or now - _rules.read_at >= settings.ELIGIBILITY_CACHE_SECONDS:
        _rules = _Rules(
            groups=list(PriorityGroup.objects.order_by("rank")),
            openings=list(VaccineOpening.objects.select_related("group", "vaccine")),
            read_at=now,
        )
    return _rules


def forget_rules(**_signal_kwargs) -> None:
    """Read the groups and openings afresh on the next request (a signal receiver)."""
    global _rules
    _rules = None


def eligibility_for(person: Person, *, on: date | None = None) -> Eligibility:
    age = person.age_on(on or timezone.localdate())
    rules = _current_rules()
    group = next((group for group in rules.groups if group.min_age <= age), None)
    openings = [opening for opening in rules.openings if opening.group.min_age <= age]
    bookable = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.BOOKING}
    waitlist = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.WAITLIST}
    return Eligibility(
        group=group,
        bookable=sorted(bookable, key=attrgetter("name")),
        waitlist_only=sorted(waitlist - bookable, key=attrgetter("name")),
    )
