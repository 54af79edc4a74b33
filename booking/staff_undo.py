"""Taking back a check-in or a no-show pressed by mistake at the door.

Only within ``UNDO_WINDOW`` of the press, only by someone who may check people
in (the caller checks the right and the center), and only while the
appointment is still as that press left it. The appointment is booked again:
a check-in's figures are taken back; a no-show's seat is taken again (refused
when it has been given away meanwhile, e.g. to the standby list) and its
series resumes as for a late arrival. Audited like the press itself.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import staff
from booking.errors import BookingError
from booking.models import Appointment, Series
from booking.signals import appointment_attended, appointment_no_show
from centers import audit
from centers.models import AuditEntry
from centers.services import take_seat

UNDO_WINDOW = timedelta(minutes=10)
Status = Appointment.Status
Action = AuditEntry.Action
_UNDOABLE = {Status.ATTENDED: Action.CHECKED_IN, Status.NO_SHOW: Action.NO_SHOW}


def last_press(appointment: Appointment) -> AuditEntry | None:
    """The latest check-in or no-show recorded for the appointment."""
    return (
        AuditEntry.objects.filter(
            object_type=Appointment._meta.label_lower,
            object_id=str(appointment.pk),
            action__in=list(_UNDOABLE.values()),
        )
        .order_by("-at", "-pk")
        .first()
    )


def can_undo(appointment: Appointment, press: AuditEntry | None, *, now=None) -> bool:
    now = now or timezone.now()
    return (
        press is not None
        and appointment.status in _UNDOABLE
        and press.action == _UNDOABLE[Status(appointment.status)]
        and press.at > now - UNDO_WINDOW
    )


def undo(*, appointment_id: int, by) -> Appointment:
    """Book the appointment again after a mistaken check-in or no-show.

    Raises BookingError when there is nothing to undo, the ten minutes are
    over, or a no-show's seat has been given away.
    """
    with transaction.atomic():
        [appointment] = staff._locked_appointments([appointment_id])
        press = last_press(appointment)
        if not can_undo(appointment, press):
            raise BookingError(
                _("This can no longer be undone: only the last press, within %(minutes)d minutes.")
                % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)}
            )
        day = timezone.localdate(appointment.slot.starts_at)
        if appointment.status == Status.ATTENDED:
            if appointment.dose == 2:
                Series.objects.filter(
                    pk=appointment.series_id, status=Series.Status.COMPLETED
                ).update(status=Series.Status.ACTIVE)
            Appointment.objects.filter(pk=appointment.pk).update(status=Status.BOOKED)
            appointment_attended.send(
                sender=Appointment, center_id=appointment.slot.center_id, on=day, amount=-1
            )
            undone = Action.CHECKED_IN
        else:
            if not take_seat(appointment.slot_id):
                raise BookingError(
                    _("This cannot be undone: the seat has been given to someone else.")
                )
            if appointment.dose == 1:
                staff._resume_series(appointment)
            Appointment.objects.filter(pk=appointment.pk).update(status=Status.BOOKED)
            appointment_no_show.send(
                sender=Appointment, center_id=appointment.slot.center_id, on=day, amount=-1
            )
            undone = Action.NO_SHOW
        audit.record(
            user=by,
            center_id=appointment.slot.center_id,
            action=Action.CHANGED,
            obj=appointment,
            details={"undone": str(undone), "day": day.isoformat()},
        )
        appointment.status = Status.BOOKED
    return appointment
