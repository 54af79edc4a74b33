"""Reading the daily counters for the ministry's pages and downloads.

Every function here reads only ``DailyCounter`` (and the list of centers), in
a fixed number of queries however many centers or days are asked for: the
figures are summed by the database, grouped by day or by place.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django.db.models import Q, Sum

from centers.models import Center, District
from stats.models import NOWHERE, STATE_ONLY_METRICS, DailyCounter, Metric

WAITLIST_MOVES = (Metric.WAITLIST_JOINED, Metric.WAITLIST_LEFT)


@dataclass
class Figures:
    """The figures of one day or one place: counter sums plus the derived ones."""

    values: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # People on the waiting list at the end of the day (or period).
    waitlist_length: int = 0
    # False for a center or district: text messages are counted state-wide only.
    has_state_only: bool = True

    def __getitem__(self, metric: str) -> int:
        return self.values.get(metric, 0)

    @property
    def share_80(self) -> float | None:
        """Percentage of the people booked who were 80 or older; None without bookings."""
        people = self[Metric.PEOPLE_BOOKED]
        return 100 * self[Metric.PEOPLE_BOOKED_80] / people if people else None

    @property
    def no_show_rate(self) -> float | None:
        """Percentage of the appointments recorded (vaccinated or not come) that
        were no-shows; None before any is recorded."""
        recorded = self[Metric.ATTENDED] + self[Metric.NO_SHOW]
        return 100 * self[Metric.NO_SHOW] / recorded if recorded else None

    def add(self, other: "Figures") -> None:
        for metric, value in other.values.items():
            self.values[metric] += value


@dataclass(frozen=True)
class Scope:
    """Where the figures are for: the state, one district or one center."""

    kind: Literal["state", "district", "center"]
    district: District | None = None
    center: Center | None = None

    @property
    def is_state(self) -> bool:
        return self.kind == "state"

    @property
    def name(self) -> str:
        return str(self.center or self.district or "")

    def counter_filter(self, centers: list[Center]) -> Q:
        if self.center is not None:
            return Q(center_id=self.center.pk)
        if self.district is not None:
            members = [c.pk for c in centers if c.district_id == self.district.pk]
            return Q(center_id__in=members) | Q(center_id=NOWHERE, district_id=self.district.pk)
        return Q()


STATE = Scope("state")


def all_centers() -> list[Center]:
    """Every center with its district, in one query: labels and scope choices come from it."""
    return list(Center.objects.select_related("district").order_by("district__name", "name"))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def daily_figures(
    *, start: date, end: date, scope: Scope, centers: list[Center]
) -> tuple[list[tuple[date, Figures]], Figures]:
    """Figures per day from ``start`` to ``end`` (inclusive) and their total. Two queries."""
    place = DailyCounter.objects.filter(scope.counter_filter(centers))
    sums = (
        place.filter(day__range=(start, end))
        .values_list("day", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    by_day: dict[date, Figures] = defaultdict(lambda: Figures(has_state_only=scope.is_state))
    for day, metric, total in sums:
        by_day[day].values[metric] = total
    earlier = dict(
        place.filter(day__lt=start, metric__in=WAITLIST_MOVES)
        .values_list("metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    length = earlier.get(Metric.WAITLIST_JOINED, 0) - earlier.get(Metric.WAITLIST_LEFT, 0)
    rows = []
    total = Figures(has_state_only=scope.is_state)
    for day in days_between(start, end):
        figures = by_day[day]
        length += figures[Metric.WAITLIST_JOINED] - figures[Metric.WAITLIST_LEFT]
        figures.waitlist_length = length
        total.add(figures)
        rows.append((day, figures))
    total.waitlist_length = length
    return rows, total


def place_figures(
    *, start: date, end: date, by: Literal["center", "district"], centers: list[Center]
) -> tuple[list[tuple[Any, Figures]], Figures]:
    """Totals from ``start`` to ``end`` per center or district, and state-wide. Two queries.

    Rows counted for a district (its waiting list) count for the district and
    the state; rows counted for the state only (text messages) for the state.
    """
    district_of = {center.pk: center.district for center in centers}
    districts = {center.district.pk: center.district for center in centers}
    places = centers if by == "center" else sorted(districts.values(), key=lambda d: d.name)
    figures = {place.pk: Figures(has_state_only=False) for place in places}
    total = Figures()

    def place_of(center_id: int, district_id: int) -> int | None:
        if by == "center":
            return center_id or None
        if center_id:
            district = district_of.get(center_id)
            return district.pk if district else None
        return district_id or None

    sums = (
        DailyCounter.objects.filter(day__range=(start, end))
        .values_list("center_id", "district_id", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for center_id, district_id, metric, value in sums:
        total.values[metric] += value
        key = place_of(center_id, district_id)
        if key in figures and metric not in STATE_ONLY_METRICS:
            figures[key].values[metric] += value

    history = (
        DailyCounter.objects.filter(day__lte=end, metric__in=WAITLIST_MOVES)
        .values_list("center_id", "district_id", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for center_id, district_id, metric, value in history:
        change = value if metric == Metric.WAITLIST_JOINED else -value
        total.waitlist_length += change
        key = place_of(center_id, district_id)
        if key in figures:
            figures[key].waitlist_length += change
    return [(place, figures[place.pk]) for place in places], total


def waitlist_lengths() -> tuple[dict[int, int], dict[int, int]]:
    """People on the waiting list now, per center and per district-wide list. One query."""
    per_center: dict[int, int] = defaultdict(int)
    per_district: dict[int, int] = defaultdict(int)
    moves = (
        DailyCounter.objects.filter(metric__in=WAITLIST_MOVES)
        .values_list("center_id", "district_id", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for center_id, district_id, metric, value in moves:
        change = value if metric == Metric.WAITLIST_JOINED else -value
        if center_id:
            per_center[center_id] += change
        elif district_id:
            per_district[district_id] += change
    return per_center, per_district
