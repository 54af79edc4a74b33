"""CSV downloads of the statistics (through ``impfportal.csv_download``).

Dates are ISO (2021-02-03), whole numbers have no thousands separator and the
one decimal figure (the 80+ share) has a decimal comma, so Excel reads each as a
number.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from draw.selectors import DrawRow, Overview
from impfportal.csv_download import csv_download, text_cell
from stats.figures import Figures
from stats.tables import Section, cell_value


def _number(value: int | float | None, *, is_share: bool) -> str:
    if value is None:
        return ""
    if is_share:
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def csv_response(
    *,
    filename: str,
    labels: Sequence[str | Promise],
    rows: Iterable[tuple[Sequence[str], Figures]],
    sections: Sequence[Section],
) -> HttpResponse:
    """A download with a header row and one row per ``(leading texts, figures)``."""
    columns = [column for section in sections for column in section.columns]
    return csv_download(
        filename=filename,
        header=[*labels, *(c.label for c in columns)],
        rows=(
            [text_cell(text) for text in texts]
            + [_number(cell_value(figures, c.key), is_share=c.is_share) for c in columns]
            for texts, figures in rows
        ),
    )


def _moment(value: datetime) -> str:
    """Local time as ``2021-02-03 08:00``: Excel reads it as a date and time."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _draw_cells(row: DrawRow, url: Callable[[str], str]) -> list[str]:
    draw, numbers = row.draw, row.figures
    opening = draw.opening
    key = draw.revealed_key()
    protocol = reverse("draw:protocol", args=[draw.opening_id])
    return [
        text_cell(opening.name),
        text_cell(opening.vaccine or ""),
        _moment(opening.opens_at),
        _moment(draw.closes_at),
        text_cell(row.phase.label),
        opening.commitment,
        key or "",
        *(str(count) for count in row.entrants),
        *(str(n) for n in (numbers.total, numbers.seats, numbers.offers)),
        *(str(n) for n in (numbers.accepted, numbers.passed_on)),
        url(reverse("draw:opening", args=[draw.opening_id])),
        url(protocol) if key else "",
    ]


def draws_response(*, overview: Overview, url: Callable[[str], str]) -> HttpResponse:
    """The ministry's draws as a download: a row per draw, a column per group.

    Figures only: no person's name or number; the key only once it is public.
    ``url`` makes a path absolute (``request.build_absolute_uri``)."""
    return csv_download(
        filename="impfstatistik_auslosungen.csv",
        header=[
            _("Opening"),
            _("Vaccine"),
            _("Registration opens"),
            _("Registration closes"),
            _("State"),
            _("Fingerprint of the key (SHA-256)"),
            _("Key"),
            *(_("Registrations: %(group)s") % {"group": group.name} for group in overview.groups),
            _("Registrations"),
            _("Appointments in the draw"),
            _("Offers sent"),
            _("Offers accepted"),
            _("Offers passed on"),
            _("Public page"),
            _("Protocol (CSV)"),
        ],
        rows=(_draw_cells(row, url) for row in overview.rows),
    )
