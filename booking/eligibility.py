"""Who may book which vaccine, following the groups the ministry has opened.

A person belongs to every group whose minimum age they have reached (an
85-year-old is in "80 and older" and in "60 and older"), so a vaccine opened
for "60 and older" is open to them too. Their own group, the one shown to
them, is the highest-priority one.
"""

from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

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


def eligibility_for(person: Person, *, on: date | None = None) -> Eligibility:
    age = person.age_on(on or timezone.localdate())
    group = PriorityGroup.objects.filter(min_age__lte=age).order_by("rank").first()
    openings = VaccineOpening.objects.filter(group__min_age__lte=age).select_related("vaccine")
    bookable = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.BOOKING}
    waitlist = {o.vaccine for o in openings if o.scope == VaccineOpening.Scope.WAITLIST}
    return Eligibility(
        group=group,
        bookable=sorted(bookable, key=attrgetter("name")),
        waitlist_only=sorted(waitlist - bookable, key=attrgetter("name")),
    )
