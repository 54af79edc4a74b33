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


def _in_force(openings: list[VaccineOpening]) -> list[VaccineOpening]:
    """The openings whose moment has come. An opening may be scheduled ahead (the
    ministry's 08:00, ``waitingroom.openings.schedule_eligibility``); it is checked
    at each call, not when the rules were read, so it starts on the second."""
    now = timezone.now()
    return [opening for opening in openings if opening.opened_at <= now]


def eligibility_for(person: Person, *, on: date | None = None) -> Eligibility:
    """What ``person`` may book or wait for now; ``on`` is the day their age is
    counted on (today by default)."""
    age = person.age_on(on or timezone.localdate())
    rules = _current_rules()
    group = next((group for group in rules.groups if group.min_age <= age), None)
    openings = [opening for opening in _in_force(rules.openings) if opening.group.min_age <= age]
    bookable = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.BOOKING}
    waitlist = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.WAITLIST}
    return Eligibility(
        group=group,
        bookable=sorted(bookable, key=attrgetter("name")),
        waitlist_only=sorted(waitlist - bookable, key=attrgetter("name")),
    )


@dataclass(frozen=True)
class OpenAges:
    """From which age people may book now, and from which age they may wait.

    Eligibility is cumulative (an older person is in every younger group), so
    "the groups that are open" come down to the lowest minimum age of each kind
    of opening. ``waitlist`` is only set where it reaches younger people than
    ``booking`` does: everyone who may book may also wait.
    """

    booking: int | None
    waitlist: int | None


def open_ages() -> OpenAges:
    rules = _current_rules()
    by_scope: dict[str, list[int]] = {scope: [] for scope in VaccineOpening.Scope.values}
    for opening in _in_force(rules.openings):
        by_scope[opening.scope].append(opening.group.min_age)
    booking = min(by_scope[VaccineOpening.Scope.BOOKING], default=None)
    waitlist = min(by_scope[VaccineOpening.Scope.WAITLIST], default=None)
    if waitlist is not None and booking is not None and waitlist >= booking:
        waitlist = None
    return OpenAges(booking=booking, waitlist=waitlist)


def next_booking_opening() -> VaccineOpening | None:
    """The earliest scheduled opening that lets a younger group book than now can."""
    ages = open_ages()
    now = timezone.now()
    ahead = [
        opening
        for opening in _current_rules().openings
        if opening.opened_at > now
        and opening.scope == VaccineOpening.Scope.BOOKING
        and (ages.booking is None or opening.group.min_age < ages.booking)
    ]
    return min(ahead, key=attrgetter("opened_at"), default=None)


def may_ever_be_eligible(date_of_birth: date, *, on: date | None = None) -> bool:
    """Whether someone born on ``date_of_birth`` belongs to a priority group today.

    Someone younger than every group is never let in by any opening the
    ministry makes for the groups there are. While no group is configured at
    all (a fresh installation) nobody can be judged, so everyone passes.
    """
    groups = _current_rules().groups
    if not groups:
        return True
    age = Person(date_of_birth=date_of_birth).age_on(on or timezone.localdate())
    return any(group.min_age <= age for group in groups)
