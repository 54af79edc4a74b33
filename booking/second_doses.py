"""Second doses whose seat was lost, and second doses a first-dose no-show frees.

A cancelled day that held second doses moves each of them to the nearest free
second-dose seat of the same center and vaccine. Where none is free, the
series stays booked without a second-dose appointment and is marked
``awaiting_second_dose_since``: staff see it, the person is told, and the next
second-dose seat freed or released at that center goes to them before anyone
else (``serve_awaiting_second_doses``, registered on ``seats_freed`` ahead of
the waiting list).

A first dose marked as not come ends the series: its second-dose seat goes
back (to the waiting list, through ``release_seats``) and the person is told.
A second dose marked as not come keeps the series and puts it first in line
for the next second-dose seat, as a cancelled day does.
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone, translation

from booking.cancellation import end_series
from booking.models import Appointment, Series
from booking.services import take_nearest_second_dose_seat
from booking.signals import appointment_no_show
from centers.models import Slot
from sms.models import Message
from sms.outbox import queue_message, render_message


def _tell(series: Series, template: str, context: dict, key: str) -> None:
    # In the portal's language, not in that of the staff member who caused it.
    with translation.override(settings.LANGUAGE_CODE):
        body = render_message(template, {"series": series, **context})
    queue_message(
        recipient=series.person.household.phone,
        body=body,
        priority=Message.Priority.CONFIRMATION,
        idempotency_key=key,
    )


def move_second_dose(appointment: Appointment) -> Slot | None:
    """Move a booked second dose out of its slot, which the center is closing.

    Takes the nearest free second-dose seat of the same center and vaccine
    (``take_nearest_second_dose_seat``) and tells the person the new time; where
    none is free, cancels the appointment, marks the series as awaiting a
    second dose and tells them so. The old seat is the caller's to give back.
    Needs the appointment's series (with person and household) and slot, with
    the series locked. Returns the new slot or None. Call inside a transaction.
    """
    series = appointment.series
    old = appointment.slot
    new = take_nearest_second_dose_seat(
        center_id=old.center_id, vaccine_id=old.vaccine_id, wanted_at=old.starts_at
    )
    if new is not None:
        Appointment.objects.filter(pk=appointment.pk).update(slot=new)
        _tell(
            series,
            "second_dose_moved.txt",
            {"old": old, "new": new},
            f"second-dose-moved:{appointment.pk}:{new.pk}",
        )
        return new
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    Series.objects.filter(pk=series.pk).update(awaiting_second_dose_since=timezone.now())
    _tell(
        series,
        "second_dose_awaiting.txt",
        {"old": old},
        f"second-dose-awaiting:{appointment.pk}:{old.pk}",
    )
    return None


def serve_awaiting_second_doses(*, slot_ids: Iterable[int]) -> int:
    """Give free second-dose seats among (or reserved for) ``slot_ids`` to the
    series awaiting one at those centers and vaccines, longest waiting first.

    Called through ``seats_freed`` inside the transaction that freed the seats,
    before the waiting list sees them. Returns how many were served.
    """
    slots = Slot.objects.filter(pk__in=list(slot_ids)).values_list("center_id", "vaccine_id")
    places = set(slots)
    if not places:
        return 0
    served = 0
    for center_id, vaccine_id in sorted(places):
        waiting = (
            Series.objects.select_for_update(skip_locked=True, of=("self",))
            .awaiting_second_dose()
            .filter(center_id=center_id, vaccine_id=vaccine_id)
            .select_related("person__household")
            .order_by("awaiting_second_dose_since", "pk")
        )
        for series in waiting:
            second = series.appointments.select_related("slot").get(dose=2)
            new = take_nearest_second_dose_seat(
                center_id=center_id, vaccine_id=vaccine_id, wanted_at=second.slot.starts_at
            )
            if new is None:
                break
            Appointment.objects.filter(pk=second.pk).update(
                slot=new, status=Appointment.Status.BOOKED
            )
            Series.objects.filter(pk=series.pk).update(awaiting_second_dose_since=None)
            if second.status == Appointment.Status.NO_SHOW:
                # The missed appointment becomes the new one: it no longer counts
                # as not come (as for someone checked in late).
                appointment_no_show.send(
                    sender=Appointment,
                    center_id=center_id,
                    on=timezone.localdate(second.slot.starts_at),
                    amount=-1,
                )
            _tell(
                series,
                "second_dose_moved.txt",
                {"old": None, "new": new},
                f"second-dose-moved:{second.pk}:{new.pk}",
            )
            served += 1
    return served


def await_second_dose_after_no_show(appointments: Iterable[Appointment]) -> None:
    """Second doses marked as not come: the series stays booked and waits first in
    line for the next free second-dose seat at its center, as after a cancelled
    day, starting with the nearest one free now. The person is told either way.
    Needs the appointments' series locked. Call inside the transaction that
    marks them.
    """
    seconds = [a for a in appointments if a.dose == 2]
    if not seconds:
        return
    waiting = list(
        Series.objects.active()
        .filter(pk__in=[a.series_id for a in seconds])
        .select_related("person__household", "center")
    )
    if not waiting:
        return
    Series.objects.filter(pk__in=[series.pk for series in waiting]).update(
        awaiting_second_dose_since=timezone.now()
    )
    for a in seconds:
        series = next((series for series in waiting if series.pk == a.series_id), None)
        if series is not None:
            _tell(series, "second_dose_missed.txt", {"old": a.slot}, f"second-dose-missed:{a.pk}")
    serve_awaiting_second_doses(slot_ids=[a.slot_id for a in seconds])


def end_series_after_first_dose_no_show(appointments: Iterable[Appointment]) -> None:
    """First doses marked as not come: end their series and free their second doses.

    The second-dose seat goes back with ``release_seats`` (and so to the
    waiting list), the series is cancelled (the person may book again), and
    the person is told by SMS. A series still awaiting a second-dose seat just
    ends. Needs the appointments' series locked. Call inside the transaction
    that marks them.
    """
    series_ids = [a.series_id for a in appointments if a.dose == 1]
    if not series_ids:
        return
    seconds = list(
        Appointment.objects.filter(
            series_id__in=series_ids, dose=2, status=Appointment.Status.BOOKED
        ).select_related("slot")
    )
    ending = list(
        Series.objects.active()
        .filter(pk__in=series_ids)
        .select_related("person__household", "center")
    )
    # The second dose, booked or awaiting a seat, is cancelled with the series.
    end_series(series=ending, cancel=seconds, reason=Series.CancelReason.NO_SHOW)
    second_of = {a.series_id: a for a in seconds}
    for series in ending:
        second = second_of.get(series.pk)
        if second is not None:
            _tell(
                series,
                "second_dose_released.txt",
                {"second": second.slot},
                f"second-dose-released:{second.pk}",
            )
