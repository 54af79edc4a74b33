"""Structured logs: one JSON object per line, with number-shaped text masked.

Logs leave the application for the operator's collector, so they must carry no
personal data. The code logs no codes, phone numbers, names or dates of birth
in the first place (sms.masking.mask shows a number as "+49 … 678");
``MaskNumbers`` is the safety net for what slips through anyway, e.g. a
database error that quotes a phone number, or a code in a library's message.
"""

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sms.masking import mask_numbers

_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


def _masked(value):
    return mask_numbers(value) if isinstance(value, str) else value


class MaskNumbers(logging.Filter):
    """Masks phone numbers and codes in a record's message, arguments, extras
    and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_numbers(record.msg if isinstance(record.msg, str) else str(record.msg))
        if isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_masked(value) for value in record.args)
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, mask_numbers(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_numbers(record.stack_info)
        return True


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    # Django adds the request object to its records; its repr is method and path.
    return mask_numbers(repr(value))[:300]


class JsonFormatter(logging.Formatter):
    """One line per record: time (UTC), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in entry:
                entry[name] = _plain(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


# A path segment that is a booking code ("K7QX-3M9A": letters and digits) or a
# token (an offer link's): it names or opens a person's appointments.
_SECRET_SEGMENT = re.compile(r"(?=[^/]*\d)(?=[^/]*[A-Za-z])[^/]+|[^/]{16,}")


def redact_path(path: str) -> str:
    """A request path fit for a log or an error report: no query string, no
    booking codes or tokens, no phone numbers. Numeric ids stay (they are
    pseudonymous, and the routes stay recognisable)."""
    path = path.split("?", 1)[0]
    return mask_numbers(_SECRET_SEGMENT.sub("…", path))
