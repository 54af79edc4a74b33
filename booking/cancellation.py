"""Ending a series: the one core of every cancellation.

A resident cancelling (``booking.services.cancel_series``), a center cancelling a
day (``booking.staff.cancel_day``) and a first dose not come
(``booking.second_doses.end_series_after_first_dose_no_show``) differ in who is
told what and whether the seats go to the waiting list; what happens to the
series, its appointments, its seats and the statistics is the same, and is here.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from booking.models import Appointment, Series
from booking.signals import series_cancelled
from centers.models import Slot
from centers.services import release_seats


def end_series(
    *,
    series: Sequence[Series],
    cancel: Sequence[Appointment],
    reason: str,
    offer_to_waitlist: bool = True,
    also_release: Sequence[Slot] = (),
) -> datetime:
    """End ``series`` (active, locked by the caller): cancel their booked
    appointments ``cancel`` and give back their seats (and those of
    ``also_release``, in the same time-ordered pass), mark each series cancelled
    for ``reason`` and no longer awaiting a second dose, and send
    ``series_cancelled`` with every cancelled appointment of each series (a second
    dose that awaited a new seat was cancelled before and ends with it now).

    The series objects are updated in place. Returns the time of cancelling.
    Call inside a transaction.
    """
    now = timezone.now()
    ids = [s.pk for s in series]
    Appointment.objects.filter(pk__in=[a.pk for a in cancel]).update(
        status=Appointment.Status.CANCELLED
    )
    Series.objects.filter(pk__in=ids).update(
        status=Series.Status.CANCELLED,
        cancelled_at=now,
        cancel_reason=reason,
        awaiting_second_dose_since=None,
    )
    # The series are cancelled before their seats are offered on: the exchange
    # does not offer a seat to someone who still seems to hold an appointment.
    release_seats(
        [a.slot for a in cancel] + list(also_release), offer_to_waitlist=offer_to_waitlist
    )
    ended = Counter(
        Appointment.objects.filter(
            series_id__in=ids, status=Appointment.Status.CANCELLED
        ).values_list("series_id", flat=True)
    )
    for one in series:
        one.status = Series.Status.CANCELLED
        one.cancelled_at = now
        one.cancel_reason = reason
        one.awaiting_second_dose_since = None
        series_cancelled.send(sender=Series, series=one, appointments=ended[one.pk])
    return now
