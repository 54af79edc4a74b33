"""The booking rules: households, people, booking both doses, cancelling.

Views call these functions and show ``str(error)`` of a BookingError to the
resident; nothing here knows about requests.
"""

import secrets
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.eligibility import eligibility_for
from booking.errors import (
    AlreadyBooked,
    BookingBusy,
    BookingError,
    SecondDoseUnavailable,
    SlotTaken,
)
from booking.models import Appointment, Household, Person, Series
from booking.signals import series_booked, series_cancelled
from centers.models import Slot
from centers.services import release_seats, take_seat
from sms.models import Message
from sms.outbox import queue_message, render_message

# No 0/O, 1/I, 2/Z, 5/S, 8/B: a code read out over the phone must not be misheard.
BOOKING_CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
LOCK_NOT_AVAILABLE = "55P03"


def household_for(phone: str) -> Household:
    household, _created = Household.objects.get_or_create(phone=phone)
    return household


def add_person(
    *, household: Household, first_name: str, last_name: str, date_of_birth, postal_code: str
) -> Person:
    """Add someone to be vaccinated; at most HOUSEHOLD_LIMIT people per number.

    Raises BookingError when the household is full or the person is already in it.
    """
    with transaction.atomic():
        # The household row serialises two browser tabs adding people at once.
        Household.objects.select_for_update().get(pk=household.pk)
        if household.people.count() >= settings.HOUSEHOLD_LIMIT:
            raise BookingError(
                _("One phone number can book for at most %(limit)d people.")
                % {"limit": settings.HOUSEHOLD_LIMIT}
            )
        if household.people.filter(
            first_name__iexact=first_name,
            last_name__iexact=last_name,
            date_of_birth=date_of_birth,
        ).exists():
            raise BookingError(_("This person has already been added."))
        return Person.objects.create(
            household=household,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            postal_code=postal_code,
        )


def _new_booking_code() -> str:
    while True:
        raw = "".join(secrets.choice(BOOKING_CODE_ALPHABET) for _i in range(8))
        code = f"{raw[:4]}-{raw[4:]}"
        if not Series.objects.filter(booking_code=code).exists():
            return code


def _limit_lock_wait() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(settings.BOOKING_LOCK_TIMEOUT_MS)}")


def _second_dose_window(first: Slot) -> tuple[datetime, datetime]:
    first_day = timezone.localdate(first.starts_at)
    earliest = first_day + timedelta(days=first.vaccine.second_dose_interval_days)
    latest = earliest + timedelta(days=settings.SECOND_DOSE_TOLERANCE_DAYS)
    start = timezone.make_aware(datetime.combine(earliest, time.min))
    end = timezone.make_aware(datetime.combine(latest + timedelta(days=1), time.min))
    return start, end


def take_second_dose_seat(first: Slot) -> Slot | None:
    """Take the free second-dose seat nearest to the interval, at the same time of day
    if possible. Returns None when the window has no free seat. Call inside a
    transaction (the waiting list uses it to hold an offer's second dose)."""
    start, end = _second_dose_window(first)
    candidates = list(
        Slot.objects.with_free_seats()
        .filter(center_id=first.center_id, vaccine_id=first.vaccine_id)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .only("pk", "starts_at")
    )
    first_minute = _minute_of_day(first.starts_at)
    candidates.sort(
        key=lambda slot: (
            timezone.localdate(slot.starts_at),
            abs(_minute_of_day(slot.starts_at) - first_minute),
        )
    )
    for slot in candidates:
        if take_seat(slot.pk):
            return slot
    return None


def _minute_of_day(moment: datetime) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


def book_series(*, person: Person, slot_id: int, request_token: uuid.UUID) -> Series:
    """Book the first dose in ``slot_id`` and the second at the same center after
    the vaccine's interval, in one transaction: both or neither.

    The same ``request_token`` (one per rendered form) books at most once; a
    repeated submission returns the series it booked. Raises SlotTaken,
    SecondDoseUnavailable, AlreadyBooked, BookingBusy or BookingError.
    """
    earlier = Series.objects.filter(request_token=request_token).first()
    if earlier is not None:
        if earlier.person_id != person.pk:
            raise BookingError(_("This form has already been used. Please start again."))
        return earlier
    if person.series.filter(status=Series.Status.ACTIVE).exists():
        raise AlreadyBooked(_("%(name)s already has an appointment.") % {"name": person})

    first = Slot.objects.select_related("vaccine", "center").filter(pk=slot_id).first()
    if first is None or first.starts_at <= timezone.now():
        raise SlotTaken(_("This time is no longer available. Please choose another one."))
    if first.vaccine not in eligibility_for(person).bookable:
        raise BookingError(
            _("%(name)s cannot book %(vaccine)s yet.") % {"name": person, "vaccine": first.vaccine}
        )

    try:
        with transaction.atomic():
            _limit_lock_wait()
            if not take_seat(first.pk):
                raise SlotTaken(
                    _("Someone else has just booked this time. Please choose another one.")
                )
            second = take_second_dose_seat(first)
            if second is None:
                raise SecondDoseUnavailable(
                    _(
                        "There is no free time for the second dose %(days)d days later at "
                        "this center. Nothing was booked. Please choose another day."
                    )
                    % {"days": first.vaccine.second_dose_interval_days}
                )
            series = Series.objects.create(
                person=person,
                center=first.center,
                vaccine=first.vaccine,
                booking_code=_new_booking_code(),
                request_token=request_token,
            )
            Appointment.objects.bulk_create(
                [
                    Appointment(series=series, dose=1, slot=first),
                    Appointment(series=series, dose=2, slot_id=second.pk),
                ]
            )
            queue_message(
                recipient=person.household.phone,
                body=render_message(
                    "booking_confirmed.txt", {"series": series, "first": first, "second": second}
                ),
                priority=Message.Priority.CONFIRMATION,
                idempotency_key=f"booked:{series.pk}",
            )
            series_booked.send(sender=Series, series=series, slots=[first, second])
    except IntegrityError:
        # A second submission of the same form, or a second tab booking the same
        # person, lost the race on a unique constraint after the winner committed.
        earlier = Series.objects.filter(request_token=request_token, person=person).first()
        if earlier is not None:
            return earlier
        if person.series.filter(status=Series.Status.ACTIVE).exists():
            raise AlreadyBooked(
                _("%(name)s already has an appointment.") % {"name": person}
            ) from None
        raise
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise BookingBusy(
                _("Many people are booking right now. Please press the button again.")
            ) from None
        raise
    return series


def book_held_series(*, person: Person, first_slot: Slot, second_slot: Slot) -> Series:
    """Book a series into two seats the caller already holds (an accepted
    waiting-list offer): no seat is taken here. Call inside a transaction.

    Raises AlreadyBooked when the person holds an active series; the held seats
    stay with the caller. Sends ``series_booked`` as ``book_series`` does.
    """
    if person.series.filter(status=Series.Status.ACTIVE).exists():
        raise AlreadyBooked(_("%(name)s already has an appointment.") % {"name": person})
    try:
        with transaction.atomic():
            series = Series.objects.create(
                person=person,
                center=first_slot.center,
                vaccine=first_slot.vaccine,
                booking_code=_new_booking_code(),
            )
    except IntegrityError:
        # A booking of the same person committed a moment ago.
        if person.series.filter(status=Series.Status.ACTIVE).exists():
            raise AlreadyBooked(
                _("%(name)s already has an appointment.") % {"name": person}
            ) from None
        raise
    Appointment.objects.bulk_create(
        [
            Appointment(series=series, dose=1, slot=first_slot),
            Appointment(series=series, dose=2, slot=second_slot),
        ]
    )
    queue_message(
        recipient=person.household.phone,
        body=render_message(
            "booking_confirmed.txt", {"series": series, "first": first_slot, "second": second_slot}
        ),
        priority=Message.Priority.CONFIRMATION,
        idempotency_key=f"booked:{series.pk}",
    )
    series_booked.send(sender=Series, series=series, slots=[first_slot, second_slot])
    return series


def cancel_series(*, household: Household, booking_code: str, reason: str = "") -> Series:
    """Cancel a series of the household: every booked appointment still to come.

    The freed seats go back through ``centers.services.release_seats`` (and so to
    the waiting list). Raises BookingError if it is not the household's or no
    longer active.
    """
    with transaction.atomic():
        # Lock only the series row: select_related would otherwise lock the
        # center row too and make every cancellation at a center queue.
        series = (
            Series.objects.select_for_update(of=("self",))
            .select_related("person", "center")
            .filter(booking_code=booking_code, person__household=household)
            .first()
        )
        if series is None:
            raise BookingError(_("We could not find this appointment."))
        if not series.is_active:
            raise BookingError(_("This appointment has already been cancelled."))
        now = timezone.now()
        open_appointments = list(
            series.appointments.select_related("slot").filter(status=Appointment.Status.BOOKED)
        )
        Appointment.objects.filter(pk__in=[a.pk for a in open_appointments]).update(
            status=Appointment.Status.CANCELLED
        )
        series.status = Series.Status.CANCELLED
        series.cancelled_at = now
        series.cancel_reason = reason
        series.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        release_seats([a.slot for a in open_appointments if a.slot.starts_at > now])
        queue_message(
            recipient=household.phone,
            body=render_message("booking_cancelled.txt", {"series": series}),
            priority=Message.Priority.CONFIRMATION,
            idempotency_key=f"cancelled:{series.pk}",
        )
        series_cancelled.send(sender=Series, series=series, appointments=len(open_appointments))
    return series


def next_free_slots(*, center_id: int, vaccines, after: datetime, limit: int = 5) -> list[Slot]:
    """Free first-dose times at a center from ``after`` on, for "choose another time"."""
    return list(
        Slot.objects.bookable()
        .filter(center_id=center_id, vaccine__in=vaccines, starts_at__gte=after)
        .select_related("vaccine")
        .order_by("starts_at")[:limit]
    )
