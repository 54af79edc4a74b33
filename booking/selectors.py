"""Read-only questions of the booking pages."""

from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from booking.models import Household, Person, Series
from centers.models import Center, Slot

BOOKING_HORIZON_DAYS = 60


def person_for_household(household: Household, person_id: int) -> Person:
    """The household's person, or 404: nobody reaches another number's people."""
    return get_object_or_404(Person, pk=person_id, household=household)


def person_for_phone(phone: str, person_id: int) -> Person:
    """The person, if they belong to the household of this verified number; else 404.

    One query, with the household joined: the booking's SMS goes to its number.
    """
    return get_object_or_404(
        Person.objects.select_related("household"), pk=person_id, household__phone=phone
    )


def series_for_household(household: Household, booking_code: str) -> Series:
    return get_object_or_404(
        Series.objects.select_related("person", "center", "vaccine"),
        booking_code=booking_code,
        person__household=household,
    )


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


def free_slots_on(center: Center, vaccines, day: date) -> list[Slot]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return list(
        Slot.objects.bookable()
        .filter(center=center, vaccine__in=vaccines)
        .filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        .select_related("vaccine", "second_dose_slot")
        .order_by("starts_at", "vaccine__name")
    )


def center_with_free_slots(
    center_slug: str, vaccines, day: date, *, only: str | None = None
) -> tuple[Center, list[Slot]]:
    """The center and its free first-dose times on ``day``; 404 for an unknown center.

    One query while the day has free times (the center comes with them), a
    second one only when it is full: the time page is the busiest page of the
    morning. ``only`` is the time a booking form names (as posted): the booking
    needs that one alone, if it is still free.
    """
    start = timezone.make_aware(datetime.combine(day, time.min))
    free = (
        Slot.objects.bookable()
        .filter(center__slug=center_slug, vaccine__in=vaccines)
        .filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
    )
    if only is not None:
        try:
            free = free.filter(pk=int(only))
        except ValueError:  # not a number, or one of thousands of digits
            free = free.none()
    slots = list(
        free.select_related("vaccine", "center", "second_dose_slot").order_by(
            "starts_at", "vaccine__name"
        )
    )
    center = slots[0].center if slots else get_object_or_404(Center, slug=center_slug)
    return center, slots
