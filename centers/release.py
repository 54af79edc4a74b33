"""Releasing appointments in bulk, never beyond the doses in stock.

A release opens first-dose appointments on the chosen days and hours, ``lanes``
at each time, and adds the same number of seats at the same time of day the
vaccine's interval later, so that every first dose booked has its second dose.
Each appointment therefore binds two doses (see ``centers.stock``).

``plan_release`` works out what a release would create (the preview);
``release_slots`` creates exactly that, or refuses when the plan differs from
the one the user confirmed, overlaps an earlier release, or needs more doses
than the stock has. Releases of a center are serialised on the center's row,
so two staff members cannot both spend the same doses.

A release may keep a share of its appointments for the hotline for some hours
(``hotline_share``, ``hotline_hours``; off by default): see ``centers.hotline_hold``.
"""

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

import holidays
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from centers import audit, tasks
from centers.errors import CenterError, PlanChanged
from centers.hotline_hold import hold_for_hotline, spread_hotline_seats
from centers.models import AuditEntry, Center, Slot, SlotRelease, Vaccine
from centers.signals import seats_freed, slots_released
from centers.stock import Stock, stock_for

MAX_DAYS = 92
MAX_LANES = 50
MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 240
MAX_HOTLINE_HOURS = 168  # a week: longer, and the held seats would miss the waiting list


@dataclass(frozen=True)
class ReleaseRequest:
    """What staff asked for, as typed values."""

    center: Center
    vaccine: Vaccine
    first_day: date
    last_day: date
    weekdays: frozenset[int]  # ISO: Monday = 1 ... Sunday = 7
    opens_at: time
    closes_at: time
    interval_minutes: int
    lanes: int
    # Public holidays (of the day or of its second dose) are left out unless confirmed.
    include_holidays: bool = False
    # Percent of the first-dose appointments held for the hotline (0: off), and for
    # how many hours after the release.
    hotline_share: int = 0
    hotline_hours: int = 0


@dataclass(frozen=True)
class HolidayDay:
    """A day of the release touched by a public holiday: its own, or its second dose's."""

    day: date
    holiday: date
    name: str

    @property
    def is_second_dose_day(self) -> bool:
        return self.holiday != self.day


@dataclass(frozen=True)
class DayPlan:
    day: date
    appointments: int
    second_dose_day: date


@dataclass(frozen=True)
class ReleasePlan:
    request: ReleaseRequest
    first_dose_times: tuple[datetime, ...]
    # Days touched by a public holiday: left out, or kept because staff confirmed.
    holidays: tuple[HolidayDay, ...] = ()

    @property
    def second_dose_days(self) -> int:
        return self.request.vaccine.second_dose_interval_days

    @property
    def appointments(self) -> int:
        return len(self.first_dose_times) * self.request.lanes

    @property
    def doses(self) -> int:
        """Doses bound: each first-dose appointment and the second dose it will need."""
        return 2 * self.appointments

    def hotline_seats_by_time(self) -> dict[datetime, int]:
        """Series seats held for the hotline at each first-dose time (none when off)."""
        spread = spread_hotline_seats(
            times=len(self.first_dose_times),
            lanes=self.request.lanes,
            share=self.request.hotline_share,
        )
        return dict(zip(self.first_dose_times, spread, strict=True))

    @property
    def hotline_appointments(self) -> int:
        """Appointments held for the hotline: the share of all, rounded down."""
        return self.appointments * self.request.hotline_share // 100

    @property
    def second_dose_times(self) -> tuple[datetime, ...]:
        return tuple(_later(moment, self.second_dose_days) for moment in self.first_dose_times)

    def days(self) -> list[DayPlan]:
        by_day = Counter(timezone.localdate(moment) for moment in self.first_dose_times)
        offset = timedelta(days=self.second_dose_days)
        return [
            DayPlan(day=day, appointments=count * self.request.lanes, second_dose_day=day + offset)
            for day, count in sorted(by_day.items())
        ]

    def seats_by_time(self) -> dict[tuple[datetime, int], int]:
        """Seats to add at each time, per purpose (1: first dose, 2: its second dose)."""
        seats: Counter[tuple[datetime, int]] = Counter()
        for moment in self.first_dose_times:
            seats[(moment, 1)] += self.request.lanes
        for moment in self.second_dose_times:
            seats[(moment, 2)] += self.request.lanes
        return dict(sorted(seats.items()))

    @property
    def fingerprint(self) -> str:
        """Identifies exactly what would be created; the confirmation must match it."""
        text = repr(
            (
                self.request.center.pk,
                self.request.vaccine.pk,
                self.second_dose_days,
                (self.request.hotline_share, self.request.hotline_hours),
                sorted(
                    (moment.isoformat(), dose, n)
                    for (moment, dose), n in self.seats_by_time().items()
                ),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _later(moment: datetime, days: int) -> datetime:
    """The same wall-clock time ``days`` later (across a change to or from summer time)."""
    local = timezone.localtime(moment)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=days), local.time()))


def _validate(request: ReleaseRequest, today: date) -> None:
    if request.first_day < today:
        raise CenterError(_("The first day has already passed. Choose today or a later day."))
    if request.last_day < request.first_day:
        raise CenterError(_("The last day is before the first day."))
    if (request.last_day - request.first_day).days >= MAX_DAYS:
        raise CenterError(_("Release at most %(days)d days at once.") % {"days": MAX_DAYS})
    if request.closes_at <= request.opens_at:
        raise CenterError(_("The closing time must be after the opening time."))
    if not request.weekdays:
        raise CenterError(_("Choose at least one weekday."))
    if not 1 <= request.lanes <= MAX_LANES:
        raise CenterError(
            _("The number of lanes must be between 1 and %(max)d.") % {"max": MAX_LANES}
        )
    if not MIN_INTERVAL_MINUTES <= request.interval_minutes <= MAX_INTERVAL_MINUTES:
        raise CenterError(
            _("The time between appointments must be between %(min)d and %(max)d minutes.")
            % {"min": MIN_INTERVAL_MINUTES, "max": MAX_INTERVAL_MINUTES}
        )
    if not 0 <= request.hotline_share <= 100:
        raise CenterError(_("The hotline's share must be between 0 and 100 percent."))
    if request.hotline_share and not 1 <= request.hotline_hours <= MAX_HOTLINE_HOURS:
        raise CenterError(
            _(
                "With a share for the hotline, enter for how many hours it is held: "
                "between 1 and %(max)d."
            )
            % {"max": MAX_HOTLINE_HOURS}
        )


def _start_times(request: ReleaseRequest) -> list[time]:
    """Appointment times of one day: every interval from opening, each ending by closing."""
    times = []
    minute = request.opens_at.hour * 60 + request.opens_at.minute
    closing = request.closes_at.hour * 60 + request.closes_at.minute
    while minute + request.interval_minutes <= closing:
        times.append(time(minute // 60, minute % 60))
        minute += request.interval_minutes
    return times


def public_holidays(first: date, last: date) -> dict[date, str]:
    """The state's public holidays between two days (PUBLIC_HOLIDAYS_SUBDIVISION, e.g. NI)."""
    calendar = holidays.country_holidays(
        "DE",
        subdiv=settings.PUBLIC_HOLIDAYS_SUBDIVISION,
        years=range(first.year, last.year + 1),
        language="en_US" if translation.get_language() == "en" else "de",
    )
    return {day: name for day, name in calendar.items() if first <= day <= last}


def _holiday_of(day: date, interval: int, calendar: dict[date, str]) -> HolidayDay | None:
    for touched in (day, day + timedelta(days=interval)):
        if touched in calendar:
            return HolidayDay(day=day, holiday=touched, name=calendar[touched])
    return None


def plan_release(request: ReleaseRequest, *, now: datetime | None = None) -> ReleasePlan:
    """What the release would create. Times of today that have passed are left out,
    and so are days whose own or second-dose day is a public holiday, unless the
    request includes holidays (the plan lists them either way).

    Raises CenterError for a request that breaks a rule or yields no appointment.
    """
    now = now or timezone.now()
    _validate(request, timezone.localdate(now))
    interval = request.vaccine.second_dose_interval_days
    calendar = public_holidays(request.first_day, request.last_day + timedelta(days=interval))
    times = _start_times(request)
    moments = []
    touched = []
    day = request.first_day
    while day <= request.last_day:
        if day.isoweekday() in request.weekdays:
            holiday = _holiday_of(day, interval, calendar)
            if holiday is not None:
                touched.append(holiday)
            if holiday is None or request.include_holidays:
                for at in times:
                    moment = timezone.make_aware(datetime.combine(day, at))
                    if moment > now:
                        moments.append(moment)
        day += timedelta(days=1)
    if not moments and touched:
        raise CenterError(
            _(
                "Every chosen day, or the day of its second dose %(days)d days later, is a "
                "public holiday, so no appointment would have its second dose on an opening "
                'day. Choose other days, or tick "Also on public holidays". Nothing was '
                "released."
            )
            % {"days": interval}
        )
    if not moments:
        raise CenterError(_("No appointment falls into these days and hours."))
    return ReleasePlan(request=request, first_dose_times=tuple(moments), holidays=tuple(touched))


def _overlapping_release(request: ReleaseRequest) -> SlotRelease | None:
    candidates = SlotRelease.objects.filter(
        center=request.center,
        vaccine=request.vaccine,
        first_day__lte=request.last_day,
        last_day__gte=request.first_day,
        opens_at__lt=request.closes_at,
        closes_at__gt=request.opens_at,
    ).order_by("first_day", "pk")
    for release in candidates:
        shared = request.weekdays & {int(digit) for digit in release.weekdays}
        start = max(release.first_day, request.first_day)
        end = min(release.last_day, request.last_day)
        if any(
            (start + timedelta(days=n)).isoweekday() in shared
            for n in range(min((end - start).days + 1, 7))
        ):
            return release
    return None


def check_release(plan: ReleasePlan, *, now: datetime | None = None) -> Stock:
    """Refuse a plan that overlaps an earlier release or needs more doses than are free.

    Returns the stock before the release. Raises CenterError.
    """
    request = plan.request
    earlier = _overlapping_release(request)
    if earlier is not None:
        raise CenterError(
            _(
                "These days and hours overlap the release of %(first)s to %(last)s, "
                "%(opens)s to %(closes)s. Nothing was released."
            )
            % {
                "first": formats.date_format(earlier.first_day, "SHORT_DATE_FORMAT"),
                "last": formats.date_format(earlier.last_day, "SHORT_DATE_FORMAT"),
                "opens": formats.time_format(earlier.opens_at, "TIME_FORMAT"),
                "closes": formats.time_format(earlier.closes_at, "TIME_FORMAT"),
            }
        )
    stock = stock_for(center_id=request.center.pk, vaccine_id=request.vaccine.pk, now=now)
    if plan.doses > stock.available:
        raise CenterError(
            _(
                "Not enough vaccine: %(appointments)d appointments need %(doses)d doses "
                "(first and second doses), but only %(available)d doses of %(vaccine)s are "
                "free. At most %(most)d appointments can be released. Nothing was released."
            )
            % {
                "appointments": plan.appointments,
                "doses": plan.doses,
                "available": max(stock.available, 0),
                "vaccine": request.vaccine,
                "most": max(stock.available, 0) // 2,
            }
        )
    return stock


def release_slots(*, request: ReleaseRequest, fingerprint: str, by) -> SlotRelease:
    """Create the confirmed plan in one transaction and offer the new seats.

    ``fingerprint`` is that of the plan the user saw; if the plan is different
    now (a time has passed), PlanChanged is raised and nothing is created.
    Raises CenterError when the release overlaps an earlier one or exceeds the
    stock. Sends ``slots_released`` (the seats each slot gained, for the
    statistics) and ``seats_freed`` with every slot that gained seats.
    """
    with transaction.atomic():
        # The center's row serialises releases and delivery corrections: the
        # stock read below stays true until this transaction commits.
        Center.objects.select_for_update().get(pk=request.center.pk)
        now = timezone.now()
        plan = plan_release(request, now=now)
        if plan.fingerprint != fingerprint:
            raise PlanChanged(
                _("The appointments have changed since the preview. Please check them again.")
            )
        check_release(plan, now=now)
        slots = add_series_seats(
            center=request.center,
            vaccine=request.vaccine,
            first_dose_times=plan.first_dose_times,
            lanes=request.lanes,
        )
        hotline_until = None
        hotline_appointments = 0
        if request.hotline_share:
            hotline_until = now + timedelta(hours=request.hotline_hours)
            held = plan.hotline_seats_by_time()
            # Held before the new seats are announced: the exchange offers only the rest.
            # What was held: a time within the waiting list's notice holds nothing.
            hotline_appointments = hold_for_hotline(
                seats={slot: held[slot.starts_at] for slot in slots if slot.is_first_dose},
                until=hotline_until,
            )
            tasks.end_hotline_holds.using(run_after=hotline_until).enqueue()
        release = SlotRelease.objects.create(
            center=request.center,
            vaccine=request.vaccine,
            first_day=request.first_day,
            last_day=request.last_day,
            weekdays="".join(str(day) for day in sorted(request.weekdays)),
            opens_at=request.opens_at,
            closes_at=request.closes_at,
            interval_minutes=request.interval_minutes,
            lanes=request.lanes,
            second_dose_days=plan.second_dose_days,
            appointments=plan.appointments,
            doses=plan.doses,
            hotline_share=request.hotline_share,
            hotline_hours=request.hotline_hours if request.hotline_share else 0,
            hotline_appointments=hotline_appointments,
            hotline_until=hotline_until,
            released_by=by,
            released_at=now,
        )
        audit.record(
            user=by,
            center_id=request.center.pk,
            action=AuditEntry.Action.RELEASED,
            obj=release,
            details={
                "appointments": plan.appointments,
                "doses": plan.doses,
                "first_day": request.first_day.isoformat(),
                "last_day": request.last_day.isoformat(),
                "hotline_appointments": hotline_appointments,
            },
        )
        seats_freed.send(sender=Slot, slot_ids=[slot.pk for slot in slots])
    return release


def add_series_seats(
    *, center: Center, vaccine: Vaccine, first_dose_times: Sequence[datetime], lanes: int
) -> list[Slot]:
    """Add ``lanes`` first-dose seats at each time and as many second-dose seats
    reserved for them the vaccine's interval later, at the same time of day.

    Slots that exist are grown, the others created; each first-dose slot points
    to its second-dose slot. Sends ``slots_released`` with the seats each slot
    gained; returns every slot touched, in time order. No check of the stock:
    callers check first (``check_release``) under the center's lock. Call
    inside a transaction.
    """
    interval = vaccine.second_dose_interval_days
    pairs = {moment: _later(moment, interval) for moment in first_dose_times}
    wanted: Counter[tuple[datetime, int]] = Counter()
    for first, second in pairs.items():
        wanted[(first, Slot.Dose.FIRST)] += lanes
        wanted[(second, Slot.Dose.SECOND)] += lanes
    slots = _grow_or_create(center=center, vaccine=vaccine, wanted=wanted, dose=Slot.Dose.SECOND)
    slots |= _grow_or_create(
        center=center,
        vaccine=vaccine,
        wanted=wanted,
        dose=Slot.Dose.FIRST,
        second_dose_slots={
            first: slots[(second, Slot.Dose.SECOND)] for first, second in pairs.items()
        },
    )
    ordered = sorted(slots.values(), key=lambda slot: (slot.starts_at, slot.dose, slot.pk))
    slots_released.send(
        sender=Slot,
        slots=ordered,
        seats={slot.pk: wanted[(slot.starts_at, slot.dose)] for slot in ordered},
    )
    return ordered


def _grow_or_create(
    *,
    center: Center,
    vaccine: Vaccine,
    wanted: Counter[tuple[datetime, int]],
    dose: int,
    second_dose_slots: dict[datetime, Slot] | None = None,
) -> dict[tuple[datetime, int], Slot]:
    """The slots of one purpose at the wanted times, each grown by its seats."""
    seats = {moment: n for (moment, of_dose), n in wanted.items() if of_dose == dose}
    existing = list(
        Slot.objects.select_for_update()
        .filter(center=center, vaccine=vaccine, dose=dose, starts_at__in=list(seats))
        .order_by("starts_at", "pk")
    )
    for slot in existing:
        pair = (second_dose_slots or {}).get(slot.starts_at)
        if pair is not None and slot.second_dose_slot_id != pair.pk:
            # Only when the vaccine's interval changed between two releases.
            raise CenterError(
                _(
                    "Appointments at %(time)s already have their second dose on another day. "
                    "Nothing was released."
                )
                % {
                    "time": formats.date_format(
                        timezone.localtime(slot.starts_at), "SHORT_DATETIME_FORMAT"
                    )
                }
            )
    grow = sorted((seats[slot.starts_at], slot.pk) for slot in existing)
    for added, group in groupby(grow, key=lambda pair: pair[0]):
        Slot.objects.filter(pk__in=[pk for _added, pk in group]).update(
            capacity=F("capacity") + added
        )
    taken = {slot.starts_at for slot in existing}
    created = Slot.objects.bulk_create(
        Slot(
            center=center,
            vaccine=vaccine,
            starts_at=moment,
            capacity=n,
            dose=dose,
            second_dose_slot=(second_dose_slots or {}).get(moment),
        )
        for moment, n in seats.items()
        if moment not in taken
    )
    return {(slot.starts_at, dose): slot for slot in existing + created}
