"""What center staff do with appointments: check in, no-show, close a day, cancel a day.

The admin calls these with appointments it has already limited to the user's
centers. Each function takes the locks of the series concerned, in primary-key
order, before it changes an appointment: ``booking.services.cancel_series``
holds the same lock while it cancels, so a resident cancelling and staff
checking in at the same moment never both succeed. Slots are locked after
series, in time order, as everywhere else. Every change writes its audit
entries (``centers.audit``) in the same transaction.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from booking.cancellation import end_series
from booking.errors import BookingBusy, BookingError
from booking.models import Appointment, Series
from booking.second_doses import (
    await_second_dose_after_no_show,
    end_series_after_first_dose_no_show,
    move_second_dose,
)
from booking.signals import appointment_attended, appointment_no_show, series_cancelled
from centers import audit
from centers.models import AuditEntry, Center, Slot, Vaccine
from centers.services import release_seats, take_seat, withdraw_free_seats
from centers.signals import count_holders
from sms.models import Message
from sms.outbox import queue_message, render_message

Status = Appointment.Status
Action = AuditEntry.Action
# Each booking that commits between reading the day and locking its slots costs
# one attempt (it is included in the next); a day's slots fill up long before
# this many arrive within the few milliseconds of one attempt.
CANCEL_DAY_ATTEMPTS = 10


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _label(appointment: Appointment) -> str:
    return _("%(code)s (dose %(dose)d)") % {
        "code": appointment.series.booking_code,
        "dose": appointment.dose,
    }


def _lock_series(series_ids) -> set[int]:
    return set(
        Series.objects.select_for_update()
        .filter(pk__in=sorted(set(series_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _locked_appointments(appointment_ids: Sequence[int]) -> list[Appointment]:
    """The appointments, read after their series are locked, in time order."""
    ids = set(appointment_ids)
    _lock_series(Appointment.objects.filter(pk__in=ids).values_list("series_id", flat=True))
    appointments = list(
        Appointment.objects.filter(pk__in=ids)
        .select_related("slot", "series")
        .order_by("slot__starts_at", "pk")
    )
    if len(appointments) != len(ids):
        raise BookingError(_("We could not find this appointment."))
    return appointments


def _refuse(problems: list[str]) -> None:
    if problems:
        raise BookingError(
            _("Nothing was changed. %(problems)s") % {"problems": " ".join(problems)}
        )


def _entries(appointments, details_for) -> list[tuple[int, Appointment, dict]]:
    return [(a.slot.center_id, a, details_for(a)) for a in appointments]


def _day_of(appointment: Appointment) -> dict:
    return {"day": timezone.localdate(appointment.slot.starts_at).isoformat()}


def _announce(signal, appointments: list[Appointment], *, sign: int = 1) -> None:
    """Tell the statistics how many appointments of each center and day changed."""
    per_place = Counter(
        (a.slot.center_id, timezone.localdate(a.slot.starts_at)) for a in appointments
    )
    for (center_id, day), amount in sorted(per_place.items()):
        signal.send(sender=Appointment, center_id=center_id, on=day, amount=sign * amount)


def check_in(*, appointment_ids: Sequence[int], by) -> int:
    """Record that the people were vaccinated. All or nothing.

    An appointment can be checked in from its day on, when it is booked or was
    marked as not come (someone arriving late). The second dose completes the
    series. Raises BookingError naming the appointments that cannot be.
    """
    with transaction.atomic():
        appointments = _locked_appointments(appointment_ids)
        today = timezone.localdate()
        problems = []
        for a in appointments:
            if a.status == Status.ATTENDED:
                problems.append(
                    _("%(appointment)s is already checked in.") % {"appointment": _label(a)}
                )
            elif a.status == Status.CANCELLED:
                problems.append(
                    _("%(appointment)s has been cancelled and cannot be checked in.")
                    % {"appointment": _label(a)}
                )
            elif timezone.localdate(a.slot.starts_at) > today:
                problems.append(
                    _("%(appointment)s is not due until %(day)s.")
                    % {
                        "appointment": _label(a),
                        "day": formats.date_format(
                            timezone.localdate(a.slot.starts_at), "SHORT_DATE_FORMAT"
                        ),
                    }
                )
        _refuse(problems)
        for a in appointments:
            # A no-show gave its seat back; the late arrival takes it again.
            if a.status == Status.NO_SHOW and not take_seat(a.slot_id):
                raise BookingError(
                    _("Nothing was changed. The seat of %(appointment)s has been given away.")
                    % {"appointment": _label(a)}
                )
            if a.status == Status.NO_SHOW and a.dose == 1:
                _resume_series(a)
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(
            status=Status.ATTENDED
        )
        Series.objects.active().filter(
            pk__in=[a.series_id for a in appointments if a.dose == 2]
        ).update(status=Series.Status.COMPLETED, awaiting_second_dose_since=None)
        audit.record_many(
            user=by, action=Action.CHECKED_IN, entries=_entries(appointments, _day_of)
        )
        _announce(appointment_attended, appointments)
        # A late arrival was counted as not come; it is no longer one.
        late = [a for a in appointments if a.status == Status.NO_SHOW]
        _announce(appointment_no_show, late, sign=-1)
    return len(appointments)


def _resume_series(first: Appointment) -> None:
    """A first dose marked as not come is checked in after all: its series, which the
    no-show ended, is booked again, with its second dose back in its old seat, or
    the nearest free one, or awaiting one (``booking.second_doses``)."""
    series = first.series
    if series.status != Series.Status.CANCELLED or series.cancel_reason != (
        Series.CancelReason.NO_SHOW
    ):
        return
    if Series.objects.active().filter(person_id=series.person_id).exists():
        raise BookingError(
            _("Nothing was changed. %(code)s: this person has booked new appointments since.")
            % {"code": series.booking_code}
        )
    cancelled_at = series.cancelled_at
    Series.objects.filter(pk=series.pk).update(
        status=Series.Status.ACTIVE, cancelled_at=None, cancel_reason=""
    )
    second = (
        series.appointments.select_related("slot", "series__person__household", "series__center")
        .filter(dose=2, status=Status.CANCELLED)
        .first()
    )
    if second is None:
        return
    if second.slot.starts_at > timezone.now() and take_seat(second.slot_id):
        Appointment.objects.filter(pk=second.pk).update(status=Status.BOOKED)
    else:
        second.series.status = Series.Status.ACTIVE
        move_second_dose(second)
    # The no-show counted this second dose as cancelled on that day; it is not.
    series.cancelled_at = cancelled_at
    series_cancelled.send(sender=Series, series=series, appointments=-1)


def mark_no_show(*, appointment_ids: Sequence[int], by) -> int:
    """Record that the people did not come. All or nothing.

    Only booked appointments whose time has come; their seats are given back
    (not to the waiting list: the time has passed), so the doses return to the
    stock. Raises BookingError naming the appointments that cannot be.
    """
    with transaction.atomic():
        appointments = _locked_appointments(appointment_ids)
        now = timezone.now()
        problems = []
        for a in appointments:
            if a.status != Status.BOOKED:
                problems.append(
                    _("%(appointment)s cannot be marked as not come: it is %(status)s.")
                    % {"appointment": _label(a), "status": a.get_status_display()}
                )
            elif a.slot.starts_at > now:
                problems.append(
                    _("%(appointment)s has not begun yet.") % {"appointment": _label(a)}
                )
        _refuse(problems)
        _mark_no_shows(appointments)
        audit.record_many(user=by, action=Action.NO_SHOW, entries=_entries(appointments, _day_of))
    return len(appointments)


def _mark_no_shows(appointments: list[Appointment]) -> None:
    """A first dose not come ends its series and frees its second dose (with an SMS)."""
    Appointment.objects.filter(pk__in=[a.pk for a in appointments], status=Status.BOOKED).update(
        status=Status.NO_SHOW
    )
    release_seats([a.slot for a in appointments], offer_to_waitlist=False)
    _announce(appointment_no_show, appointments)
    end_series_after_first_dose_no_show(appointments)
    await_second_dose_after_no_show(appointments)


def _booked_on(*, center: Center, day: date, vaccine: Vaccine | None = None):
    start, end = day_bounds(day)
    appointments = Appointment.objects.filter(
        slot__center=center,
        slot__starts_at__gte=start,
        slot__starts_at__lt=end,
        status=Status.BOOKED,
    )
    if vaccine is not None:
        appointments = appointments.filter(slot__vaccine=vaccine)
    return appointments


def _check_closable(*, day: date, appointments: list[Appointment]) -> None:
    if day > timezone.localdate():
        raise BookingError(_("This day has not come yet."))
    now = timezone.now()
    still_to_come = [a for a in appointments if a.slot.starts_at > now]
    if still_to_come:
        raise BookingError(
            _("The day is not over yet: %(count)d appointments are still to come.")
            % {"count": len(still_to_come)}
        )


def preview_close_day(*, center: Center, day: date) -> list[Appointment]:
    """The appointments closing the day would mark as not come; changes nothing.

    Raises BookingError when the day cannot be closed yet.
    """
    appointments = list(
        _booked_on(center=center, day=day)
        .select_related("slot", "series__person")
        .order_by("slot__starts_at", "pk")
    )
    _check_closable(day=day, appointments=appointments)
    return appointments


def close_day(*, center: Center, day: date, by) -> int:
    """Mark every appointment of the day still unmarked as not come; return how many.

    Only once the day is over, or at least its last booked appointment has
    begun. Raises BookingError otherwise.
    """
    with transaction.atomic():
        ids = list(_booked_on(center=center, day=day).values_list("pk", flat=True))
        appointments = [a for a in _locked_appointments(ids) if a.status == Status.BOOKED]
        _check_closable(day=day, appointments=appointments)
        _mark_no_shows(appointments)
        audit.record_many(
            user=by, action=Action.DAY_CLOSED, entries=_entries(appointments, _day_of)
        )
    return len(appointments)


@dataclass(frozen=True)
class DayCancellation:
    """The first doses of a day with the second doses cancelled with them, and the
    day's second doses: moved to another day, or awaiting one."""

    appointments: list[Appointment]
    second_doses: list[Appointment]
    moved: list[Appointment] = field(default_factory=list)
    awaiting: list[Appointment] = field(default_factory=list)
    # Open waiting-list offers holding a seat in the day: counted by the preview,
    # withdrawn by the cancellation.
    offers: int = 0
    # Of the withdrawn offers' people, how many were offered a remaining seat at once.
    offers_renewed: int = 0

    @property
    def people(self) -> int:
        return len(self.appointments) + len(self.moved) + len(self.awaiting)


def _second_doses(appointments: list[Appointment]) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            series_id__in=[a.series_id for a in appointments if a.dose == 1],
            dose=2,
            status=Status.BOOKED,
        )
        .select_related("slot", "series")
        .order_by("slot__starts_at", "pk")
    )


def preview_cancel_day(
    *, center: Center, day: date, vaccine: Vaccine | None = None
) -> DayCancellation:
    """Who a day cancellation would affect (the confirmation step); changes nothing."""
    _check_cancellable(day)
    booked = list(
        _booked_on(center=center, day=day, vaccine=vaccine)
        .select_related("slot", "series__person")
        .order_by("slot__starts_at", "pk")
    )
    firsts = [a for a in booked if a.dose == 1]
    # The day's second doses will move (or await a seat); ``moved`` holds them all here.
    return DayCancellation(
        appointments=firsts,
        second_doses=_second_doses(firsts),
        moved=[a for a in booked if a.dose == 2],
        offers=count_holders(list(_day_slots(center, day, vaccine).values_list("pk", flat=True))),
    )


def _day_slots(center: Center, day: date, vaccine: Vaccine | None):
    start, end = day_bounds(day)
    in_day = Slot.objects.filter(center=center, starts_at__gte=start, starts_at__lt=end)
    if vaccine is not None:
        in_day = in_day.filter(vaccine=vaccine)
    return in_day


def _check_cancellable(day: date) -> None:
    if day < timezone.localdate():
        raise BookingError(_("This day has passed. Close it instead of cancelling it."))


class _NewBookings(Exception):
    """Someone booked into the day between reading it and locking its slots."""


def cancel_day(*, center: Center, day: date, vaccine: Vaccine | None = None, by) -> DayCancellation:
    """Cancel every booked appointment of the day at the center (of one vaccine, if given).

    Each person is told by SMS; a cancelled first dose cancels its second dose
    and the series. The day's slots are closed for good and no seat is offered
    to the waiting list. Raises BookingError for a day that has passed.
    """
    _check_cancellable(day)
    for _attempt in range(CANCEL_DAY_ATTEMPTS):
        try:
            return _cancel_day_once(center=center, day=day, vaccine=vaccine, by=by)
        except _NewBookings:
            continue
    raise BookingBusy(_("Bookings are coming in for this day right now. Please try again."))


def _cancel_day_once(*, center: Center, day: date, vaccine: Vaccine | None, by):
    with transaction.atomic():
        booked = _booked_on(center=center, day=day, vaccine=vaccine)
        locked = _lock_series(booked.values_list("series_id", flat=True))
        in_day = _day_slots(center, day, vaccine)
        # Locked after the series (the order cancel_series uses): from here on
        # nobody can book into the day until this transaction ends.
        day_slots = list(in_day.select_for_update().order_by("starts_at", "pk"))
        appointments = list(
            booked.select_related("slot", "series__person__household", "series__center").order_by(
                "slot__starts_at", "pk"
            )
        )
        if not {a.series_id for a in appointments} <= locked:
            raise _NewBookings
        # Second doses of the day move to another day (or await one); the
        # first doses of the day end their series, second doses included.
        moving = [a for a in appointments if a.dose == 2]
        appointments = [a for a in appointments if a.dose == 1]
        second_doses = _second_doses(appointments)
        # The series of the day's first doses end (a second dose of the day whose
        # first dose was given keeps its series active: it moves, below).
        end_series(
            series=[a.series for a in appointments],
            cancel=appointments + second_doses,
            reason=Series.CancelReason.CENTER,
            offer_to_waitlist=False,
            also_release=[a.slot for a in moving],
        )
        closed = withdraw_free_seats(day_slots)
        # After the day is closed, so that no second dose moves into it.
        moved = {a.pk: move_second_dose(a) for a in moving}
        for a in appointments:
            # In the portal's language, not in that of the staff member's admin.
            with translation.override(settings.LANGUAGE_CODE):
                body = render_message(
                    "day_cancelled.txt",
                    {
                        "center": a.series.center,
                        "starts_at": a.slot.starts_at,
                        "booking_code": a.series.booking_code,
                        "dose": a.dose,
                    },
                )
            queue_message(
                recipient=a.series.person.household.phone,
                body=body,
                # Before bulk notices: people must not travel to a closed center.
                priority=Message.Priority.CONFIRMATION,
                idempotency_key=f"day-cancelled:{a.pk}",
            )
        audit.record_many(
            user=by,
            action=Action.DAY_CANCELLED,
            entries=_entries(appointments, _day_of)
            + _entries(second_doses, lambda _a: {"second_dose_of": day.isoformat()})
            + _entries(moving, lambda a: _moved_to(day, moved[a.pk])),
        )
    return DayCancellation(
        appointments=appointments,
        second_doses=second_doses,
        moved=[a for a in moving if moved[a.pk] is not None],
        awaiting=[a for a in moving if moved[a.pk] is None],
        offers=closed.holders_given_back,
        offers_renewed=closed.holders_served_again,
    )


def _moved_to(day: date, slot: Slot | None) -> dict:
    if slot is None:
        return {"day": day.isoformat(), "awaiting_second_dose": True}
    return {"day": day.isoformat(), "moved_to": timezone.localtime(slot.starts_at).isoformat()}
