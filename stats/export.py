"""CSV downloads of the statistics (through ``impfportal.csv_download``).

Dates are ISO (2021-02-03), whole numbers have no thousands separator and the
one decimal figure (the 80+ share) has a decimal comma, so Excel reads each as a
number.
"""

from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.functional import Promise

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
