"""The booking rules: households, people, booking both doses, cancelling.

Views call these functions and show ``str(error)`` of a BookingError to the
resident; nothing here knows about requests.
"""

import secrets
import uuid
from collections.abc import Collection
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Abs, ExtractHour, ExtractMinute, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.cancellation import end_series
from booking.eligibility import eligibility_for
from booking.errors import (
    AlreadyBooked,
    BookingBusy,
    BookingError,
    SlotTaken,
)
from booking.models import Appointment, Household, Person, Series
from booking.signals import series_booked
from centers.models import Slot, Vaccine
from centers.services import take_held_series_seats, take_seat, take_series_seats
from impfportal.compiled import CompiledQuery
from sms.models import Message
from sms.outbox import queue_message, render_message

# No 0/O, 1/I, 2/Z, 5/S, 8/B: a code read out over the phone must not be misheard.
BOOKING_CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
LOCK_NOT_AVAILABLE = "55P03"
BOOKING_CODE_ATTEMPTS = 3  # a third collision in a row means something else is wrong


# Asked by nearly every page of a verified resident.
_HOUSEHOLD = CompiledQuery(lambda values: Household.objects.filter(phone=values.phone), phone=str)


def household_for(phone: str) -> Household:
    """The household of a verified number, made on its first visit."""
    household = next(_HOUSEHOLD.run(phone=phone), None)
    if household is None:
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
        # Both questions in one round trip: how many, and whether this person is one.
        people = household.people.aggregate(
            total=Count("pk"),
            same=Count(
                "pk",
                filter=Q(
                    first_name__iexact=first_name,
                    last_name__iexact=last_name,
                    date_of_birth=date_of_birth,
                ),
            ),
        )
        refuse_full_household(people["total"])
        if people["same"]:
            raise BookingError(_("This person has already been added."))
        return Person.objects.create(
            household=household,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            postal_code=postal_code,
        )


def refuse_full_household(people: int) -> None:
    """Raise BookingError when a household of ``people`` has no room for one more."""
    if people >= settings.HOUSEHOLD_LIMIT:
        raise BookingError(
            _("One phone number can book for at most %(limit)d people.")
            % {"limit": settings.HOUSEHOLD_LIMIT}
        )


def _new_booking_code() -> str:
    """Eight letters of 26: a collision is one in 2·10¹¹. It is not looked up
    first (a query on every booking); the unique constraint refuses a collision
    and ``book_series`` tries again with a new code."""
    raw = "".join(secrets.choice(BOOKING_CODE_ALPHABET) for _i in range(8))
    return f"{raw[:4]}-{raw[4:]}"


# Candidates fetched at a time; more are fetched only when all of them filled up
# between the query and the UPDATE (others taking the same seats right now).
SECOND_DOSE_CANDIDATES = 8


def take_nearest_second_dose_seat(
    *, center_id: int, vaccine_id: int, wanted_at: datetime
) -> Slot | None:
    """Take the free second-dose seat nearest to ``wanted_at`` at the center: the
    earliest day from that day on (within SECOND_DOSE_TOLERANCE_DAYS), then the
    time of day nearest to it. For a second dose whose seat was lost (a
    cancelled day), not for booking: a new series takes the seat its first dose
    reserved (``take_series_seats``). Returns None when none is free. Call
    inside a transaction.

    Taking a reserved seat leaves its first-dose seat without a second dose;
    ``Slot.objects.with_free_series`` then no longer counts it as free.
    """
    local = timezone.localtime(wanted_at)
    earliest = max(local.date(), timezone.localdate())
    latest = local.date() + timedelta(days=settings.SECOND_DOSE_TOLERANCE_DAYS)
    start = max(timezone.make_aware(datetime.combine(earliest, time.min)), timezone.now())
    end = timezone.make_aware(datetime.combine(latest + timedelta(days=1), time.min))
    wanted_minute = local.hour * 60 + local.minute
    window = (
        Slot.objects.second_doses()
        .with_free_seats()
        .filter(center_id=center_id, vaccine_id=vaccine_id)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .annotate(
            day=TruncDate("starts_at"),
            minutes_off=Abs(
                ExtractHour("starts_at") * 60 + ExtractMinute("starts_at") - wanted_minute
            ),
        )
        .order_by("day", "minutes_off", "starts_at")
    )
    tried: list[int] = []
    while candidates := list(window.exclude(pk__in=tried)[:SECOND_DOSE_CANDIDATES]):
        for slot in candidates:
            if take_seat(slot.pk):
                return slot
            tried.append(slot.pk)
    return None


def book_series(
    *,
    person: Person,
    slot: Slot,
    request_token: uuid.UUID,
    bookable: Collection[Vaccine] | None = None,
    hotline: bool = False,
) -> Series:
    """Book the first dose in ``slot`` and the second at the same center after
    the vaccine's interval, in one transaction: both or neither.

    ``slot`` comes with its vaccine and center (``select_related``), e.g. from
    the free times the page offered; only its seat counter is trusted to the
    database. ``bookable`` are the vaccines the person may book, when the
    caller has just asked ``eligibility_for``; otherwise they are looked up.

    The same ``request_token`` (one per rendered form) books at most once; a
    repeated submission returns the series it booked. Raises SlotTaken,
    AlreadyBooked, BookingBusy or BookingError. A time that is no first-dose
    time (a second-dose seat's id posted as one) is SlotTaken, as a taken one.

    ``hotline`` is for hotline agents booking for a caller: a seat a release
    holds for the hotline is taken first (``take_held_series_seats``), a free
    one otherwise. Without it held seats are taken seats, as for everyone.
    """
    refused: BookingError | None = None
    if slot.starts_at <= timezone.now() or not slot.is_first_dose:
        refused = SlotTaken(_("This time is no longer available. Please choose another one."))
    else:
        if bookable is None:
            bookable = eligibility_for(person).bookable
        if slot.vaccine not in bookable:
            refused = BookingError(
                _("%(name)s cannot book %(vaccine)s yet.")
                % {"name": person, "vaccine": slot.vaccine}
            )
    if refused is None:
        try:
            return _book_with_a_new_code(
                person=person, slot=slot, request_token=request_token, hotline=hotline
            )
        except (SlotTaken, BookingBusy) as error:
            refused = error
    # Only when it failed is it asked why (no query on the way to a booking): a
    # repeated form returns what it booked, a booked person hears that first.
    winner = _earlier_booking(person=person, request_token=request_token)
    if winner is not None:
        return winner
    raise refused


def _earlier_booking(*, person: Person, request_token: uuid.UUID) -> Series | None:
    """The series this form booked already, if any; AlreadyBooked when the person
    holds another; BookingError when the form was used for someone else. One query
    for all three."""
    earlier = list(
        Series.objects.filter(request_token=request_token)
        | Series.objects.active().filter(person=person)
    )
    same_form = next((series for series in earlier if series.request_token == request_token), None)
    if same_form is not None:
        if same_form.person_id != person.pk:
            raise BookingError(_("This form has already been used. Please start again."))
        return same_form
    if earlier:
        raise _already_booked(person)
    return None


def _book_with_a_new_code(
    *, person: Person, slot: Slot, request_token: uuid.UUID, hotline: bool = False
) -> Series:
    """The booking's transaction, again with a new booking code if that one was taken.

    The unique constraints guard "one active series per person" and "one series
    per form": a violation rolls the seats back too, and is explained by
    ``_earlier_booking``.
    """
    for attempt in range(1, BOOKING_CODE_ATTEMPTS + 1):
        try:
            return _book_both_seats(
                person=person, first=slot, request_token=request_token, hotline=hotline
            )
        except IntegrityError:
            # The same form submitted twice, a second tab booking the same person,
            # or (once in 10¹¹) the booking code was taken.
            winner = _earlier_booking(person=person, request_token=request_token)
            if winner is not None:
                return winner
            if attempt == BOOKING_CODE_ATTEMPTS:
                raise
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise BookingBusy(
                    _("Many people are booking right now. Please press the button again.")
                ) from None
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _book_both_seats(
    *, person: Person, first: Slot, request_token: uuid.UUID, hotline: bool = False
) -> Series:
    """The booking's transaction: both seats (for the hotline a held pair first),
    then the series' rows. The series and its confirmation are made before it, so
    that the seats' rows stay locked for the writes only."""
    second = first.second_dose_slot
    if second is None:  # no second-dose seat reserved: nothing to take (as a full one)
        raise _someone_was_faster()
    series = _new_series(person=person, first=first, request_token=request_token)
    confirmation = _confirmation(series, first=first, second=second)
    timeout = settings.BOOKING_LOCK_TIMEOUT_MS
    with transaction.atomic():
        held = take_held_series_seats(first, lock_timeout_ms=timeout) if hotline else None
        if held is None and take_series_seats(first, lock_timeout_ms=timeout) is None:
            raise _someone_was_faster()
        return _write_series(series, first=first, second=second, confirmation=confirmation)


def _someone_was_faster() -> SlotTaken:
    return SlotTaken(_("Someone else has just booked this time. Please choose another one."))


def _new_series(*, person: Person, first: Slot, request_token: uuid.UUID | None = None) -> Series:
    """The series of a booking into ``first`` (with a new booking code), not saved yet."""
    return Series(
        person=person,
        center=first.center,
        vaccine=first.vaccine,
        booking_code=_new_booking_code(),
        request_token=request_token,
    )


def _confirmation(series: Series, *, first: Slot, second: Slot) -> str:
    """The confirmation SMS of ``series``: its code, both times and the center."""
    return render_message(
        "booking_confirmed.txt", {"series": series, "first": first, "second": second}
    )


def _write_series(series: Series, *, first: Slot, second: Slot, confirmation: str) -> Series:
    """The rows of a series whose two seats are taken: the series, its two
    appointments, the confirmation SMS, and ``series_booked``. The one place both
    ways of booking (``book_series``, ``book_held_series``) write them. Call inside
    a transaction; a unique constraint (the person's active series, the form's
    token, the booking code) raises IntegrityError."""
    _insert_series(series, first=first, second=second)
    queue_message(
        recipient=series.person.household.phone,
        body=confirmation,
        priority=Message.Priority.CONFIRMATION,
        idempotency_key=f"booked:{series.pk}",
    )
    series_booked.send(sender=Series, series=series, slots=[first, second])
    return series


# The series and its two appointments in one round trip (PostgreSQL). Every
# column of both tables is named: a new column needs its value here too (the
# tests fail on a NOT NULL column left out).
_INSERT_SERIES = """
WITH series AS (
    INSERT INTO booking_series (
        person_id, center_id, vaccine_id, booking_code, status, request_token,
        created_at, cancelled_at, cancel_reason, awaiting_second_dose_since
    )
    VALUES (
        %(person)s, %(center)s, %(vaccine)s, %(code)s, %(status)s, %(token)s,
        %(created_at)s, NULL, '', NULL
    )
    RETURNING id
)
INSERT INTO booking_appointment (series_id, dose, slot_id, status)
SELECT series.id, doses.dose, doses.slot_id, %(booked)s
FROM series, (VALUES (1, %(first)s::bigint), (2, %(second)s::bigint)) AS doses (dose, slot_id)
RETURNING series_id
"""


def _insert_series(series: Series, *, first: Slot, second: Slot) -> None:
    """Save the new ``series`` with its two appointments (first and second dose)."""
    if connection.vendor != "postgresql":
        series.save(force_insert=True)
        Appointment.objects.bulk_create(
            [
                Appointment(series=series, dose=1, slot=first),
                Appointment(series=series, dose=2, slot=second),
            ]
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SERIES,
            {
                "person": series.person_id,
                "center": series.center_id,
                "vaccine": series.vaccine_id,
                "code": series.booking_code,
                "status": series.status,
                "token": series.request_token,
                "created_at": series.created_at,
                "booked": Appointment.Status.BOOKED.value,
                "first": first.pk,
                "second": second.pk,
            },
        )
        series.pk = cursor.fetchone()[0]
    series._state.adding = False
    series._state.db = connection.alias


def _already_booked(person: Person) -> AlreadyBooked:
    return AlreadyBooked(_("%(name)s already has an appointment.") % {"name": person})


def book_held_series(*, person: Person, first_slot: Slot, second_slot: Slot) -> Series:
    """Book a series into two seats the caller already holds (an accepted
    waiting-list offer): no seat is taken here. Call inside a transaction.

    Raises AlreadyBooked when the person holds an active series; the held seats
    stay with the caller. Sends ``series_booked`` as ``book_series`` does.
    """
    if person.series.active().exists():
        raise _already_booked(person)
    for attempt in range(1, BOOKING_CODE_ATTEMPTS + 1):
        series = _new_series(person=person, first=first_slot)
        confirmation = _confirmation(series, first=first_slot, second=second_slot)
        try:
            with transaction.atomic():
                return _write_series(
                    series, first=first_slot, second=second_slot, confirmation=confirmation
                )
        except IntegrityError:
            # A booking of the same person committed a moment ago, or (once in
            # 10¹¹) the booking code was taken.
            if person.series.active().exists():
                raise _already_booked(person) from None
            if attempt == BOOKING_CODE_ATTEMPTS:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


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
        open_appointments = list(
            series.appointments.select_related("slot").filter(status=Appointment.Status.BOOKED)
        )
        # Every seat goes back, one in a slot that has begun too: it binds no dose
        # any more (``centers.stock``); the exchange offers only seats to come.
        end_series(series=[series], cancel=open_appointments, reason=reason)
        queue_message(
            recipient=household.phone,
            body=render_message("booking_cancelled.txt", {"series": series}),
            priority=Message.Priority.CONFIRMATION,
            idempotency_key=f"cancelled:{series.pk}",
        )
    return series


def next_free_slots(*, center_id: int, vaccines, after: datetime, limit: int = 5) -> list[Slot]:
    """Free first-dose times at a center from ``after`` on, for "choose another time"."""
    return list(
        Slot.objects.bookable()
        .filter(center_id=center_id, vaccine__in=vaccines, starts_at__gte=after)
        .select_related("vaccine", "second_dose_slot")
        .order_by("starts_at")[:limit]
    )
