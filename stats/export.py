"""CSV downloads that open cleanly in a German Excel.

Written with the standard library's ``csv`` module rather than a spreadsheet
library: Excel in a German locale reads a semicolon-separated file in UTF-8
when it starts with a byte-order mark, and needs nothing more. Dates are ISO
(2021-02-03), whole numbers have no thousands separator and the one decimal
figure (the 80+ share) has a decimal comma, so Excel reads each as a number.
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.functional import Promise

from stats.figures import Figures
from stats.tables import Section, cell_value

BOM = "\ufeff"
# A cell starting with one of these would be run as a formula by Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    columns = [column for section in sections for column in section.columns]
    writer.writerow([str(label) for label in labels] + [str(c.label) for c in columns])
    for texts, figures in rows:
        writer.writerow(
            [_text(str(text)) for text in texts]
            + [_number(cell_value(figures, c.key), is_share=c.is_share) for c in columns]
        )
    return response
