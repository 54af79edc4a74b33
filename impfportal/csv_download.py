"""CSV downloads that open cleanly in a German Excel: the one helper for the
admin's exports (``centers.admin_scoping``) and the ministry's (``stats.export``).

Written with the standard library's ``csv`` module rather than a spreadsheet
library: Excel in a German locale reads a semicolon-separated file in UTF-8
when it starts with a byte-order mark, and needs nothing more.
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.functional import Promise

BOM = "\ufeff"
# A cell starting with one of these would be run as a formula by Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value) -> str:
    """A text cell a spreadsheet will not run as a formula (names come from residents)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_download(
    *, filename: str, header: Sequence[str | Promise], rows: Iterable[Sequence[str]]
) -> HttpResponse:
    """A download of ``header`` and ``rows``, whose cells the caller has made
    (``text_cell`` for texts, numbers as the spreadsheet should read them)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(label) for label in header])
    writer.writerows(rows)
    return response
