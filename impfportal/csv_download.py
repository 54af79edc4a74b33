"""CSV downloads, the one helper for them: ``csv_download`` for people, opening
cleanly in a German Excel (the admin's exports in ``centers.admin_scoping``, the
ministry's in ``stats.export``); ``csv_stream`` for programs (the public logs anyone
may re-check a waiting room's shuffle or a draw with).

Written with the standard library's ``csv`` module rather than a spreadsheet
library: Excel in a German locale reads a semicolon-separated file in UTF-8
when it starts with a byte-order mark, and needs nothing more.
"""

import csv
import itertools
from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
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


class _Line:
    """A file for ``csv.writer`` that hands back each line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_stream(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A download of ``header`` and ``rows`` in the csv module's default dialect
    (commas, no byte-order mark), as a program reading it expects, streamed row
    by row: a draw's protocol has a row for every entry."""
    writer = csv.writer(_Line())
    lines = (writer.writerow(row) for row in itertools.chain([header], rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
