"""Small builders for test data; each returns saved rows with sensible defaults."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from booking.models import Household, Person, PriorityGroup, VaccineOpening
from centers.models import Center, Delivery, District, PostalCode, Slot, Vaccine

_numbers = itertools.count(1)
# Openings made by ``open_group`` are in force from then: tests that move the clock
# back (time_machine) must still find the group open.
LONG_AGO = datetime(2020, 12, 27, tzinfo=UTC)


def unique_mobile() -> str:
    return f"+49151{next(_numbers):08d}"


def make_district(name: str = "Region Hannover", *, postal_codes=()) -> District:
    district, _ = District.objects.get_or_create(
        slug=name.lower().replace(" ", "-"), defaults={"name": name}
    )
    for code, town in postal_codes:
        PostalCode.objects.get_or_create(code=code, defaults={"town": town, "district": district})
    return district


def make_center(
    name: str = "Impfzentrum Hannover",
    *,
    district: District | None = None,
    town: str = "Hannover",
    postal_code: str = "30521",
) -> Center:
    return Center.objects.create(
        district=district or make_district(),
        name=name,
        slug=name.lower().replace(" ", "-"),
        street="Messegelände 1",
        postal_code=postal_code,
        town=town,
    )


def make_vaccine(name: str = "BioNTech", interval_days: int = 21) -> Vaccine:
    vaccine, _ = Vaccine.objects.get_or_create(
        slug=name.lower(), defaults={"name": name, "second_dose_interval_days": interval_days}
    )
    return vaccine


def make_delivery(center: Center, vaccine: Vaccine, doses: int = 1000) -> Delivery:
    return Delivery.objects.create(
        center=center, vaccine=vaccine, doses=doses, delivered_on=timezone.localdate()
    )


def local_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def days_ahead(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def make_slot(
    center: Center,
    vaccine: Vaccine,
    starts_at: datetime,
    *,
    capacity: int = 2,
    booked: int = 0,
    second_capacity: int | None = None,
    second_booked: int = 0,
    dose: int = Slot.Dose.FIRST,
) -> Slot:
    """A first-dose slot with the second-dose slot reserved for it (the vaccine's
    interval later, the same time; ``second_capacity`` seats, by default as many),
    or with ``dose=2`` a second-dose slot alone. An existing second-dose slot at
    that time grows by the seats, as a release would."""
    if dose == Slot.Dose.SECOND:
        return Slot.objects.create(
            center=center,
            vaccine=vaccine,
            starts_at=starts_at,
            capacity=capacity,
            booked=booked,
            dose=Slot.Dose.SECOND,
        )
    local = timezone.localtime(starts_at)
    second_at = timezone.make_aware(
        datetime.combine(
            local.date() + timedelta(days=vaccine.second_dose_interval_days), local.time()
        )
    )
    seats = capacity if second_capacity is None else second_capacity
    second, created = Slot.objects.get_or_create(
        center=center,
        vaccine=vaccine,
        starts_at=second_at,
        dose=Slot.Dose.SECOND,
        defaults={"capacity": seats, "booked": second_booked},
    )
    if not created:
        second.capacity += seats
        second.booked += second_booked
        second.save(update_fields=["capacity", "booked"])
    return Slot.objects.create(
        center=center,
        vaccine=vaccine,
        starts_at=starts_at,
        capacity=capacity,
        booked=booked,
        second_dose_slot=second,
    )


def make_bookable_pair(
    center: Center,
    vaccine: Vaccine,
    *,
    day: date | None = None,
    hour=10,
    capacity: int = 2,
    second_capacity: int = 2,
) -> tuple[Slot, Slot]:
    """A first-dose slot and the second-dose slot reserved for it after the vaccine's interval."""
    day = day or days_ahead(3)
    first = make_slot(
        center,
        vaccine,
        local_datetime(day, hour),
        capacity=capacity,
        second_capacity=second_capacity,
    )
    assert first.second_dose_slot is not None
    return first, first.second_dose_slot


def open_group(
    name: str = "80 und älter",
    *,
    min_age: int = 80,
    rank: int = 1,
    vaccines=(),
    scope: str = VaccineOpening.Scope.BOOKING,
) -> PriorityGroup:
    group, _ = PriorityGroup.objects.get_or_create(
        rank=rank, defaults={"name": name, "min_age": min_age}
    )
    for vaccine in vaccines:
        VaccineOpening.objects.get_or_create(
            group=group, vaccine=vaccine, scope=scope, defaults={"opened_at": LONG_AGO}
        )
    return group


def make_person(
    household: Household | None = None,
    *,
    first_name: str = "Erna",
    last_name: str = "Meyer",
    born: date = date(1938, 5, 17),
    postal_code: str = "30159",
) -> Person:
    household = household or Household.objects.create(phone=unique_mobile())
    return Person.objects.create(
        household=household,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=born,
        postal_code=postal_code,
    )
