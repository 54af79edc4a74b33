"""Finding a caller's household, and what the console shows of it.

A search names its kind and its terms; the audit records that the agent
searched and how many households were found, never the terms.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from booking.models import Household, Person, Series
from hotline import audit
from hotline.models import AuditEntry
from sms.phone import parse_phone_number
from waitlist.models import Entry, Offer
from waitlist.selectors import Place, household_places

MAX_RESULTS = 10


def by_phone(raw: str) -> list[Household]:
    """Raises PhoneError for something that is no number we serve."""
    number = parse_phone_number(raw)
    return list(Household.objects.filter(phone=number.e164))


def by_booking_code(code: str) -> list[Household]:
    """``code`` as normalised by ``normalise_booking_code``."""
    return list(Household.objects.filter(people__series__booking_code=code).distinct())


def by_name(*, last_name: str, date_of_birth: date, first_name: str = "") -> list[Household]:
    people = Person.objects.filter(last_name__iexact=last_name, date_of_birth=date_of_birth)
    if first_name:
        people = people.filter(first_name__iexact=first_name)
    return list(
        Household.objects.filter(Q(pk__in=people.values("household_id"))).order_by("pk")[
            :MAX_RESULTS
        ]
    )


def audited(*, agent, found: list[Household]) -> list[Household]:
    audit.record(agent=agent, action=AuditEntry.Action.SEARCHED, results=len(found))
    return found


@dataclass
class HouseholdView:
    """Everything the agent sees of a household."""

    household: Household
    people: list[Person]
    series: list[Series]
    places: list[Place]

    @property
    def open_offers(self) -> list[Offer]:
        return [place.open_offer for place in self.places if place.open_offer is not None]

    def active_series_of(self, person: Person) -> Series | None:
        return next((s for s in self.series if s.person_id == person.pk and s.is_active), None)

    def place_of(self, person: Person) -> Entry | None:
        return next((p.entry for p in self.places if p.entry.person_id == person.pk), None)


def household_view(household: Household) -> HouseholdView:
    return HouseholdView(
        household=household,
        people=list(household.people.all()),
        series=list(
            Series.objects.filter(person__household=household)
            .select_related("person", "center", "vaccine")
            .prefetch_related("appointments__slot")
            .order_by("-created_at")
        ),
        places=household_places(household.phone),
    )
