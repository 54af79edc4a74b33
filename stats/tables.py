"""Which figures are shown together, and their cells: shared by the pages and the CSV."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from stats.figures import Figures
from stats.models import STATE_ONLY_METRICS, Metric

SHARE_80 = "share_80"
NO_SHOW_RATE = "no_show_rate"
WAITLIST_LENGTH = "waitlist_length"
DERIVED_LABELS = {
    SHARE_80: _("Share aged 80 or older (%)"),
    NO_SHOW_RATE: _("No-show rate (%)"),
    WAITLIST_LENGTH: _("On the waiting list at the end of the day"),
}
SHARES = frozenset({SHARE_80, NO_SHOW_RATE})


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise

    @property
    def is_share(self) -> bool:
        return self.key in SHARES


@dataclass(frozen=True)
class Section:
    slug: str
    title: str | Promise
    columns: tuple[Column, ...]
    state_only: bool = False


def _columns(*keys: str) -> tuple[Column, ...]:
    return tuple(Column(key, DERIVED_LABELS.get(key) or Metric(key).label) for key in keys)


SECTIONS = (
    Section(
        "appointments",
        _("Appointments and doses"),
        _columns(
            Metric.DELIVERED,
            Metric.RELEASED,
            Metric.WITHDRAWN,
            Metric.BOOKED,
            Metric.CANCELLED,
            Metric.ATTENDED,
            Metric.NO_SHOW,
        ),
    ),
    Section(
        "people",
        _("People booked"),
        _columns(Metric.PEOPLE_BOOKED, Metric.PEOPLE_BOOKED_80, SHARE_80),
    ),
    Section(
        "waitlist",
        _("Waiting list"),
        _columns(
            Metric.WAITLIST_JOINED,
            Metric.OFFER_MADE,
            Metric.OFFER_ACCEPTED,
            Metric.OFFER_DECLINED,
            Metric.OFFER_EXPIRED,
            WAITLIST_LENGTH,
        ),
    ),
    Section(
        "center_day",
        _("No-shows, reminders and leftover doses"),
        _columns(
            NO_SHOW_RATE,
            Metric.REMINDER_SENT,
            Metric.REMINDER_CANCEL,
            Metric.STANDBY_OFFER,
            Metric.STANDBY_CLAIM,
            Metric.DOSE_SAVED,
        ),
    ),
    Section(
        "sms",
        _("Text messages"),
        _columns(Metric.SMS_SENT, Metric.SMS_FAILED),
        state_only=True,
    ),
)


def cell_value(figures: Figures, key: str) -> int | float | None:
    """One figure; None where it is not counted (text messages of a center)."""
    if key == SHARE_80:
        return figures.share_80
    if key == NO_SHOW_RATE:
        return figures.no_show_rate
    if key == WAITLIST_LENGTH:
        return figures.waitlist_length
    if key in STATE_ONLY_METRICS and not figures.has_state_only:
        return None
    return figures[key]


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    is_share: bool


@dataclass(frozen=True)
class Row:
    """A table row: a day, or a place (center or district)."""

    cells: tuple[Cell, ...]
    day: date | None = None
    place: Any = None


@dataclass(frozen=True)
class Table:
    section: Section
    rows: tuple[Row, ...]
    total: tuple[Cell, ...]


def _cells(figures: Figures, section: Section) -> tuple[Cell, ...]:
    return tuple(Cell(cell_value(figures, c.key), c.is_share) for c in section.columns)


def sections_for(*, state_wide: bool) -> tuple[Section, ...]:
    """Text messages are counted for the state only: no table of them for a place."""
    return tuple(s for s in SECTIONS if state_wide or not s.state_only)


def build_tables(
    rows: Sequence[tuple[Any, Figures]], total: Figures, *, by_day: bool, state_wide: bool
) -> list[Table]:
    tables = []
    for section in sections_for(state_wide=state_wide):
        table_rows = tuple(
            Row(
                cells=_cells(figures, section),
                day=label if by_day else None,
                place=None if by_day else label,
            )
            for label, figures in rows
        )
        tables.append(Table(section, table_rows, _cells(total, section)))
    return tables
