"""What the day screen shows: today's appointments at a center, found by booking
code (however typed) or surname, and the day's counts. Reads only."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from booking.models import Appointment
from booking.staff import day_bounds
from booking.staff_undo import can_undo, last_press
from centers.selectors import spellings
from standby import services as standby
from standby.models import Round, Seat

Status = Appointment.Status
CODE_CHARACTERS = re.compile(r"[^A-Za-z0-9]")


def booking_code(query: str) -> str | None:
    """ "abcd efgh", "ABCD-EFGH", "abcdefgh" → "ABCD-EFGH"; None for anything else."""
    letters = CODE_CHARACTERS.sub("", query).upper()
    if len(letters) == 8:
        return f"{letters[:4]}-{letters[4:]}"
    return None


def day_appointments(*, center_id: int, day: date, query: str = "") -> QuerySet[Appointment]:
    start, end = day_bounds(day)
    appointments = (
        Appointment.objects.filter(
            slot__center_id=center_id, slot__starts_at__gte=start, slot__starts_at__lt=end
        )
        .exclude(status=Status.CANCELLED)
        .select_related("slot__vaccine", "series__person")
        .order_by("slot__starts_at", "series__person__last_name", "pk")
    )
    query = query.strip()
    if not query:
        return appointments
    code = booking_code(query)
    by_name = Q()
    for spelling in spellings(query):
        by_name |= Q(series__person__last_name__istartswith=spelling)
    if code is not None:
        by_name |= Q(series__booking_code=code)
    return appointments.filter(by_name)


@dataclass(frozen=True)
class Row:
    appointment: Appointment
    can_check_in: bool
    can_mark_no_show: bool
    can_undo: bool


def rows(appointments, *, now: datetime) -> list[Row]:
    result = []
    for a in appointments:
        begun = a.slot.starts_at <= now
        press = last_press(a) if a.status in (Status.ATTENDED, Status.NO_SHOW) else None
        result.append(
            Row(
                appointment=a,
                can_check_in=a.status in (Status.BOOKED, Status.NO_SHOW),
                can_mark_no_show=a.status == Status.BOOKED and begun,
                can_undo=can_undo(a, press, now=now),
            )
        )
    return result


@dataclass(frozen=True)
class Counts:
    expected: int
    checked_in: int
    no_shows: int
    doses_left: int
    held: int
    waiting: int


def counts(*, center_id: int, day: date, now: datetime) -> Counts:
    by_status = dict(
        day_appointments(center_id=center_id, day=day)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    held = Seat.objects.filter(
        round__center_id=center_id,
        round__day=day,
        round__closed_at=None,
        claimed_at=None,
        released_at=None,
    ).count()
    return Counts(
        expected=sum(by_status.values()),
        checked_in=by_status.get(Status.ATTENDED, 0),
        no_shows=by_status.get(Status.NO_SHOW, 0),
        doses_left=standby.count_leftover(center_id=center_id, now=now)
        if day == timezone.localdate(now)
        else 0,
        held=held,
        waiting=standby.queue(center_id=center_id, day=day).count(),
    )


def open_rounds(*, center_id: int, day: date) -> QuerySet[Round]:
    return (
        Round.objects.filter(center_id=center_id, day=day, closed_at=None)
        .annotate(
            claimed=Count("seats", filter=Q(seats__series__isnull=False), distinct=True),
            offers_sent=Count("offers", distinct=True),
        )
        .order_by("created_at")
    )
