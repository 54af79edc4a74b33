"""Read-only questions of the booking pages."""

from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from booking.models import Appointment, Household, Person, Series
from centers.models import Center, Slot
from impfportal.compiled import CompiledQuery

BOOKING_HORIZON_DAYS = 60


def person_for_household(household: Household, person_id: int) -> Person:
    """The household's person, or 404: nobody reaches another number's people."""
    return get_object_or_404(Person, pk=person_id, household=household)


# Asked by every booking step (the time page and its POST twice a booking):
# compiled once, as building it cost more CPU than the database's answer.
_PERSON_OF_PHONE = CompiledQuery(
    lambda values: Person.objects.select_related("household").filter(
        pk=values.person_id, household__phone=values.phone
    ),
    person_id=int,
    phone=str,
)


def person_for_phone(phone: str, person_id: int) -> Person:
    """The person, if they belong to the household of this verified number; else 404.

    One query, with the household joined: the booking's SMS goes to its number.
    """
    if not -(2**63) <= person_id < 2**63:  # from the URL: any number of digits
        raise Http404
    person = next(_PERSON_OF_PHONE.run(person_id=person_id, phone=phone), None)
    if person is None:
        raise Http404
    return person


def series_for_household(household: Household, booking_code: str) -> Series:
    return get_object_or_404(
        Series.objects.select_related("person", "center", "vaccine"),
        booking_code=booking_code,
        person__household=household,
    )


# The confirmation page, once after every booking: the series by its code and the
# verified number (no household read first), and its appointments, each compiled once.
_SERIES_OF_PHONE = CompiledQuery(
    lambda values: Series.objects.select_related("person", "center", "vaccine").filter(
        booking_code=values.code, person__household__phone=values.phone
    ),
    code=str,
    phone=str,
)
_APPOINTMENTS_OF_SERIES = CompiledQuery(
    lambda values: Appointment.objects.filter(series_id=values.series).select_related("slot"),
    series=int,
)


def series_for_phone(phone: str, booking_code: str) -> Series:
    """The series of a person of this verified number's household; else 404."""
    series = next(_SERIES_OF_PHONE.run(code=booking_code, phone=phone), None)
    if series is None:
        raise Http404
    return series


def appointments_of(series: Series) -> list[Appointment]:
    """The series' appointments (first dose first), each with its slot."""
    return list(_APPOINTMENTS_OF_SERIES.run(series=series.pk))


def household_series(household: Household) -> list[Series]:
    return list(
        Series.objects.filter(person__household=household)
        .select_related("person", "center", "vaccine")
        .prefetch_related("appointments__slot")
        .order_by("-created_at")
    )


def free_days(center: Center, vaccines) -> list[tuple[date, int]]:
    """Days with free first-dose seats at the center, with how many are free."""
    now = timezone.now()
    rows = (
        Slot.objects.bookable()
        .filter(center=center, vaccine__in=vaccines)
        .filter(starts_at__lt=now + timedelta(days=BOOKING_HORIZON_DAYS))
        .with_free_appointments()
        .annotate(day=TruncDate("starts_at"))
        .values("day")
        .annotate(free=Sum("free_appointments"))
        .order_by("day")
    )
    return [(row["day"], row["free"]) for row in rows]


# The free first-dose times of a center-day, one compiled query per number of
# vaccines (and one of their ids only): the time page (when its kept copy is old)
# and every page after a lost race ask it, and the ORM spent more CPU building it
# than PostgreSQL answering.
_FREE_ON_DAY: dict[tuple[int, bool], CompiledQuery] = {}


def _free_on_day(vaccines: int, *, ids_only: bool = False) -> CompiledQuery:
    query = _FREE_ON_DAY.get((vaccines, ids_only))
    if query is None:
        names = [f"vaccine{number}" for number in range(vaccines)]

        def build(values):
            free = (
                Slot.objects.bookable(now=values.now)
                .filter(
                    center__slug=values.center,
                    vaccine_id__in=[getattr(values, name) for name in names],
                    starts_at__gte=values.start,
                    starts_at__lt=values.end,
                )
                .order_by("starts_at", "vaccine__name")
            )
            if ids_only:
                return free.values_list("pk", flat=True)
            # The center for the page (from the first row); the vaccines come
            # from the caller's list: fewer instances to make (0.3 ms of 0.9).
            # The reserved second dose's moment comes from the join ``bookable``
            # makes anyway: the page names it under each time.
            return free.select_related("center").annotate(
                second_dose_at=F("second_dose_slot__starts_at")
            )

        query = _FREE_ON_DAY[vaccines, ids_only] = CompiledQuery(
            build,
            now=datetime,
            center=str,
            start=datetime,
            end=datetime,
            **dict.fromkeys(names, int),
        )
    return query


def _run_free_on_day(center_slug: str, by_id: dict, day: date, *, ids_only: bool = False):
    start = timezone.make_aware(datetime.combine(day, time.min))
    return _free_on_day(len(by_id), ids_only=ids_only).run(
        now=timezone.now(),
        center=center_slug,
        start=start,
        end=start + timedelta(days=1),
        **{f"vaccine{number}": pk for number, pk in enumerate(sorted(by_id))},
    )


def _free_slots(center_slug: str, vaccines, day: date) -> list[Slot]:
    by_id = {vaccine.pk: vaccine for vaccine in vaccines}
    if not by_id:
        return []
    slots = list(_run_free_on_day(center_slug, by_id, day))
    for slot in slots:
        slot.vaccine = by_id[slot.vaccine_id]
    return slots


def free_slot_ids(center_slug: str, vaccines, day: date) -> list[int]:
    """The ids of ``center_with_free_slots``'s times, in the same order: whether a
    kept list still shows what is free, without making 40 instances (half the
    CPU of reading them)."""
    by_id = {vaccine.pk: vaccine for vaccine in vaccines}
    if not by_id:
        return []
    return list(_run_free_on_day(center_slug, by_id, day, ids_only=True))


def free_slots_on(center: Center, vaccines, day: date) -> list[Slot]:
    """The center's free first-dose times on ``day`` (``bookable()``) for one of
    ``vaccines``, in time order, each with its vaccine and center."""
    return _free_slots(center.slug, vaccines, day)


def center_with_free_slots(center_slug: str, vaccines, day: date) -> tuple[Center, list[Slot]]:
    """The center and its free first-dose times on ``day``; 404 for an unknown center.

    One query while the day has free times (the center comes with them), a
    second one only when it is full: the time page is the busiest page of the
    morning. A booking form's posted time is checked by ``posted_free_time``.
    """
    slots = _free_slots(center_slug, vaccines, day)
    center = slots[0].center if slots else get_object_or_404(Center, slug=center_slug)
    return center, slots


# The posted time and its reserved second dose, both rows in one round trip, if
# the pair is free by the rule of ``SlotQuerySet.bookable`` (upcoming, a first
# dose, a free seat in both). Written out because it runs on every booking POST:
# the ORM spends 1.6 ms of CPU building and compiling it, this 0.3 ms. The
# invariant checks of tests/invariants compare it with ``bookable()`` after
# every step.
_POSTED_FREE_TIME = """
SELECT slot.* FROM centers_slot posted
JOIN centers_slot reserved ON reserved.id = posted.second_dose_slot_id
JOIN centers_slot slot ON slot.id IN (posted.id, reserved.id)
WHERE posted.id = %(id)s AND posted.center_id = %(center)s AND posted.vaccine_id IN ({vaccines})
  AND posted.dose = %(first_dose)s
  AND posted.starts_at > %(now)s AND posted.starts_at >= %(start)s AND posted.starts_at < %(end)s
  AND posted.booked < posted.capacity AND reserved.booked < reserved.capacity
ORDER BY slot.dose
"""


_SLOT_FIELDS = [field.attname for field in Slot._meta.concrete_fields]
_SLOT_COLUMNS = ", ".join(f"slot.{field.column}" for field in Slot._meta.concrete_fields)


def posted_free_time(center: Center, vaccines, day: date, slot_id: str) -> Slot | None:
    """The first-dose time ``slot_id`` (as posted) if it is still free at ``center``
    on ``day`` for one of ``vaccines``, with its vaccine, center and second-dose
    slot in hand (what ``book_series`` needs); None otherwise."""
    by_id = {vaccine.pk: vaccine for vaccine in vaccines}
    try:
        posted_id = int(slot_id)
    except ValueError:  # not a number, or one of thousands of digits
        return None
    if not by_id or not -(2**63) <= posted_id < 2**63:
        return None
    start = timezone.make_aware(datetime.combine(day, time.min))
    adapt = connection.ops.adapt_datetimefield_value
    names = {f"vaccine{n}": pk for n, pk in enumerate(by_id)}
    query = _POSTED_FREE_TIME.format(vaccines=", ".join(f"%({name})s" for name in names))
    params = {
        "id": posted_id,
        "center": center.pk,
        "first_dose": Slot.Dose.FIRST.value,
        "now": adapt(timezone.now()),
        "start": adapt(start),
        "end": adapt(start + timedelta(days=1)),
        **names,
    }
    if connection.vendor == "postgresql":
        # The rows as the driver gives them (psycopg returns every column of a
        # slot as its Python value): half the CPU of ``raw()``, which maps the
        # columns and looks up converters on every call (0.18 against 0.32 ms).
        with connection.cursor() as cursor:
            cursor.execute(query.replace("slot.*", _SLOT_COLUMNS, 1), params)
            rows = [Slot.from_db(connection.alias, _SLOT_FIELDS, row) for row in cursor.fetchall()]
    else:
        rows = list(Slot.objects.raw(query, params))
    if len(rows) != 2:
        return None
    first, second = rows
    for slot in rows:
        if slot.center_id == center.pk:
            slot.center = center
        if slot.vaccine_id in by_id:
            slot.vaccine = by_id[slot.vaccine_id]
    first.second_dose_slot = second
    return first
