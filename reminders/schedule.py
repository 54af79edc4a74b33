"""When a reminder goes out: 48 and 3 hours before, never in quiet hours.

Quiet hours (21:00 to 08:00, local time) hold reminders, not codes or offers.
A reminder whose moment falls into them goes out at 08:00 if that is still at
least ``MIN_LEAD`` before the appointment, else the evening before at 20:30
(a 3-hour reminder of a 09:00 appointment). Pure functions of their inputs,
so the tests pass the times in.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from reminders.models import Reminder

Kind = Reminder.Kind

OFFSETS: dict[str, timedelta] = {
    Kind.DAYS_BEFORE: timedelta(hours=48),
    Kind.HOURS_BEFORE: timedelta(hours=3),
}
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
# The evening before: early enough that a queue of notices still drains before 21:00.
EVENING_SEND = time(20, 30)
# A reminder later than this before the appointment helps nobody to cancel or come.
MIN_LEAD = timedelta(hours=1)
# How far ahead the scheduler queues reminders (the outbox holds them until due):
# far enough to catch a 3-hour reminder moved to the evening before (up to 9.5
# hours earlier), short enough that one pass does not queue a day's 3-hour
# reminders along with the 48-hour ones.
LOOKAHEAD = timedelta(hours=12)


def is_quiet(moment: datetime) -> bool:
    local = timezone.localtime(moment).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def _at(moment: datetime, clock: time, *, days: int = 0) -> datetime:
    day = timezone.localtime(moment).date() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, clock))


def end_of_quiet(moment: datetime) -> datetime:
    """The 08:00 that ends the quiet hours ``moment`` lies in."""
    local = timezone.localtime(moment)
    return _at(moment, QUIET_UNTIL, days=1 if local.time() >= QUIET_FROM else 0)


def evening_before(moment: datetime) -> datetime:
    """20:30 before the quiet hours ``moment`` lies in."""
    local = timezone.localtime(moment)
    return _at(moment, EVENING_SEND, days=0 if local.time() >= QUIET_FROM else -1)


def outside_quiet_hours(moment: datetime, *, starts_at: datetime) -> datetime:
    """``moment``, or the nearest moment outside quiet hours that still helps."""
    if not is_quiet(moment):
        return moment
    later = end_of_quiet(moment)
    if later <= starts_at - MIN_LEAD:
        return later
    return evening_before(moment)


def send_moment(*, kind: str, starts_at: datetime, booked_at: datetime, now: datetime):
    """When the reminder of this kind goes out, or None when it is not sent.

    Not sent: for a series booked after its moment (the booking's own SMS just
    said it all), a 48-hour reminder once the 3-hour one is due, or when no
    moment outside quiet hours is left at least ``MIN_LEAD`` before the
    appointment (a scheduler that was down catches up only while that holds).
    """
    nominal = starts_at - OFFSETS[kind]
    if booked_at >= nominal:
        return None
    if kind == Kind.DAYS_BEFORE and starts_at - OFFSETS[Kind.HOURS_BEFORE] <= now:
        return None
    moment = outside_quiet_hours(max(nominal, now), starts_at=starts_at)
    if moment < now:
        # The evening before has passed and the morning is too late.
        return None
    if moment > starts_at - MIN_LEAD:
        return None
    return moment
