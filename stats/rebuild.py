"""Recomputing the daily counters from the source tables.

For repairs (a counter missed an event, e.g. a process died between the SMS
dispatcher's save and its counter) and for checking (``--check``: do counters
and tables agree?). Each metric's source below must count exactly what its
receiver in ``stats.receivers`` counts.

No lock is needed while events keep coming: the sources and the counters are
read in one snapshot (REPEATABLE READ on PostgreSQL), and only the difference
is added to the counters. An event committed after the snapshot is in neither
and counts itself.

Only a date range is rebuilt, and only metrics with a source here. Personal
data is deleted on a schedule, after which the tables hold less than the
counters did: days up to ``last_final_day()`` (told by the purge through
``final_day_hooks``) are final and left out of every check and rebuild; the
purge rebuilds them once just before they lose rows.

Every metric has a source: the waiting list's in ``Entry`` and ``Offer``
(their timestamps and statuses), attendance and no-shows in the appointments'
statuses (on the slot's day), released and withdrawn first-dose seats in the slots.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from booking.models import Appointment, Series
from centers.models import Delivery, Slot
from reminders.models import Reminder
from sms.models import Message
from standby.models import Offer as StandbyOffer
from standby.models import Seat
from stats.counters import Key, add
from stats.models import NOWHERE, DailyCounter, Metric
from stats.receivers import is_old
from waitlist.models import Entry, Offer

type Source = Callable[[date, date], Iterable[tuple[date, int, int, int]]]


def _counted_per_center(queryset, moment: str, center: str):
    """Rows of ``queryset`` per local day of ``moment`` and ``center`` (paths)."""
    return lambda start, end: _per_center(
        queryset.filter(**_within(moment, start, end))
        .annotate(day=TruncDate(moment))
        .values_list("day", center)
        .annotate(n=Count("pk"))
        .order_by()
    )


# The center's day (issue 20): reminders and the standby list.
CENTER_DAY_SOURCES: dict[Metric, Source] = {
    Metric.REMINDER_SENT: _counted_per_center(
        Reminder.objects.filter(message__status=Message.Status.SENT),
        "message__sent_at",
        "appointment__slot__center_id",
    ),
    Metric.REMINDER_CANCEL: _counted_per_center(
        Reminder.objects.all(), "link_used_at", "appointment__slot__center_id"
    ),
    Metric.STANDBY_OFFER: _counted_per_center(
        StandbyOffer.objects.all(), "created_at", "round__center_id"
    ),
    Metric.STANDBY_CLAIM: _counted_per_center(
        StandbyOffer.objects.all(), "pressed_at", "round__center_id"
    ),
    Metric.DOSE_SAVED: _counted_per_center(
        Seat.objects.filter(series__isnull=False), "claimed_at", "round__center_id"
    ),
}


def _within(field: str, start: date, end: date) -> dict[str, datetime]:
    """Lookups for the local days ``start`` to ``end`` as moments (half-open, index-friendly)."""
    begin = timezone.make_aware(datetime.combine(start, time.min))
    after = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return {f"{field}__gte": begin, f"{field}__lt": after}


def _per_center(rows) -> Iterator[tuple[date, int, int, int]]:
    for day, center_id, value in rows:
        yield day, center_id, NOWHERE, value


def _state_wide(rows) -> Iterator[tuple[date, int, int, int]]:
    for day, value in rows:
        yield day, NOWHERE, NOWHERE, value


def booked(start: date, end: date):
    """Appointments of the series booked that day (what ``series_booked`` counts)."""
    return _per_center(
        Appointment.objects.filter(**_within("series__created_at", start, end))
        .annotate(day=TruncDate("series__created_at"))
        .values_list("day", "series__center_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def cancelled(start: date, end: date):
    return _per_center(
        Appointment.objects.filter(
            status=Appointment.Status.CANCELLED,
            **_within("series__cancelled_at", start, end),
        )
        .annotate(day=TruncDate("series__cancelled_at"))
        .values_list("day", "series__center_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def people_booked(start: date, end: date):
    return _per_center(
        Series.objects.filter(**_within("created_at", start, end))
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "center_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def people_booked_80(start: date, end: date):
    """Age on the day of booking, as the receiver decides it (in Python, for SQLite too)."""
    counts: dict[tuple[date, int], int] = defaultdict(int)
    rows = Series.objects.filter(**_within("created_at", start, end)).values_list(
        "created_at", "center_id", "person__date_of_birth"
    )
    for created_at, center_id, born in rows.iterator(chunk_size=5000):
        day = timezone.localdate(created_at)
        if is_old(born, on=day):
            counts[(day, center_id)] += 1
    return ((day, center_id, NOWHERE, n) for (day, center_id), n in counts.items())


def _appointments_on_slot_day(status: str):
    def source(start: date, end: date):
        return _per_center(
            Appointment.objects.filter(status=status, **_within("slot__starts_at", start, end))
            .annotate(day=TruncDate("slot__starts_at"))
            .values_list("day", "slot__center_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    return source


def _first_dose_seats(total):
    def source(start: date, end: date):
        return _per_center(
            Slot.objects.filter(dose=Slot.Dose.FIRST, **_within("starts_at", start, end))
            .annotate(day=TruncDate("starts_at"))
            .values_list("day", "center_id")
            .annotate(n=total)
            .filter(n__gt=0)
            .order_by()
        )

    return source


# Released: what the slots offer now plus what a cancelled day took away.
released = _first_dose_seats(Sum(F("capacity") + F("withdrawn")))
withdrawn = _first_dose_seats(Sum("withdrawn"))


def delivered(start: date, end: date):
    return _per_center(
        Delivery.objects.filter(delivered_on__range=(start, end))
        .values_list("delivered_on", "center_id")
        .annotate(n=Sum("doses"))
        .order_by()
    )


def sms_sent(start: date, end: date):
    return _state_wide(
        Message.objects.filter(status=Message.Status.SENT, **_within("sent_at", start, end))
        .annotate(day=TruncDate("sent_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )


def sms_failed(start: date, end: date):
    """Messages given up: failed, or dropped because their time had passed (both
    are in ``messages_failed``, which the live counter counts)."""
    return _state_wide(
        Message.objects.filter(
            status__in=[Message.Status.FAILED, Message.Status.DROPPED],
            **_within("created_at", start, end),
        )
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _per_list(rows) -> Iterator[tuple[date, int, int, int]]:
    """A waiting place counts for its center, or for its district's list without one."""
    for day, center_id, district_id, value in rows:
        if center_id:
            yield day, center_id, NOWHERE, value
        else:
            yield day, NOWHERE, district_id, value


def _entries_by(field: str, start: date, end: date, **conditions):
    return _per_list(
        Entry.objects.filter(**conditions, **_within(field, start, end))
        .annotate(day=TruncDate(field))
        .values_list("day", "center_id", "district_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def waitlist_joined(start: date, end: date):
    return _entries_by("joined_at", start, end)


def waitlist_left(start: date, end: date):
    """Served on ``served_at``; given up or closed on ``left_at`` (``waitlist.signals``)."""
    yield from _entries_by("served_at", start, end, status=Entry.Status.SERVED)
    yield from _entries_by(
        "left_at", start, end, status__in=[Entry.Status.LEFT, Entry.Status.CLOSED]
    )


def offers_made(start: date, end: date):
    return _per_center(
        Offer.objects.filter(**_within("created_at", start, end))
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "first_slot__center_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _offers_ended(status: str) -> Source:
    def source(start: date, end: date):
        return _per_center(
            Offer.objects.filter(status=status, **_within("ended_at", start, end))
            .annotate(day=TruncDate("ended_at"))
            .values_list("day", "first_slot__center_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    return source


SOURCES: dict[Metric, Source] = {
    Metric.BOOKED: booked,
    Metric.CANCELLED: cancelled,
    Metric.PEOPLE_BOOKED: people_booked,
    Metric.PEOPLE_BOOKED_80: people_booked_80,
    Metric.ATTENDED: _appointments_on_slot_day(Appointment.Status.ATTENDED),
    Metric.NO_SHOW: _appointments_on_slot_day(Appointment.Status.NO_SHOW),
    Metric.RELEASED: released,
    Metric.WITHDRAWN: withdrawn,
    Metric.DELIVERED: delivered,
    Metric.SMS_SENT: sms_sent,
    Metric.SMS_FAILED: sms_failed,
    Metric.WAITLIST_JOINED: waitlist_joined,
    Metric.WAITLIST_LEFT: waitlist_left,
    Metric.OFFER_MADE: offers_made,
    Metric.OFFER_ACCEPTED: _offers_ended(Offer.Status.ACCEPTED),
    Metric.OFFER_DECLINED: _offers_ended(Offer.Status.DECLINED),
    Metric.OFFER_EXPIRED: _offers_ended(Offer.Status.EXPIRED),
    **CENTER_DAY_SOURCES,
}


def _recounted(start: date, end: date, metrics: Iterable[Metric]) -> dict[Key, int]:
    totals: dict[Key, int] = defaultdict(int)
    for metric in metrics:
        for day, center_id, district_id, value in SOURCES[metric](start, end):
            totals[(day, str(metric), center_id, district_id)] += value
    return totals


def _counted(start: date, end: date, metrics: Iterable[Metric]) -> dict[Key, int]:
    rows = (
        DailyCounter.objects.filter(day__range=(start, end), metric__in=[str(m) for m in metrics])
        .values_list("day", "metric", "center_id", "district_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    return {(day, metric, center, district): total for day, metric, center, district, total in rows}


# Functions that name the last day whose source rows may have been deleted
# (``privacy`` registers one at start-up; the statistics cannot import it).
final_day_hooks: list[Callable[[], date | None]] = []


def last_final_day() -> date | None:
    """The last day whose figures are final: its rows may be gone, never rebuild it."""
    return max((day for hook in final_day_hooks if (day := hook()) is not None), default=None)


def first_rebuildable_day(start: date) -> date:
    """``start``, or the day after the last final day if that is later."""
    final = last_final_day()
    return max(start, final + timedelta(days=1)) if final else start


def differences(
    *, start: date, end: date, metrics: Iterable[Metric] | None = None
) -> dict[Key, int]:
    """What the counters lack (positive) or have too much (negative), per figure.

    Final days (``last_final_day``) are left out: their rows may have been deleted.
    """
    chosen = list(metrics or SOURCES)
    start = first_rebuildable_day(start)
    if start > end:
        return {}
    # Inside a caller's transaction (a test) that transaction is the snapshot.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for both reads; must be the transaction's first statement.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        recounted = _recounted(start, end, chosen)
        counted = _counted(start, end, chosen)
    keys = recounted.keys() | counted.keys()
    changes = {key: recounted.get(key, 0) - counted.get(key, 0) for key in keys}
    return {key: change for key, change in changes.items() if change}


def rebuild(*, start: date, end: date, metrics: Iterable[Metric] | None = None) -> dict[Key, int]:
    """Make the counters of ``start`` to ``end`` agree with the tables; return the changes."""
    changes = differences(start=start, end=end, metrics=metrics)
    with transaction.atomic():
        add(
            (
                (metric, day, center, district, change)
                for (day, metric, center, district), change in changes.items()
            ),
            shard=0,
        )
    return changes
