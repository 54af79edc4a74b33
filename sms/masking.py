"""Phone numbers (and codes) as we may show or log them: the one masking helper.

Free of Django and of the rest of ``sms``, so that the logging configuration
(``impfportal.logs``) can use it before the apps are loaded.
"""

import re

# Six or more digits, possibly split by spaces, slashes, dashes or brackets:
# phone numbers the way people write them, and verification codes.
_NUMBER = re.compile(r"(?<![\w+.-])\+?\(?\d(?:[ /()-]{0,2}\d){5,}")
# ISO dates (and the hour after them) keep their shape: lines about days and
# slots must stay readable.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\d-])")


# Digits and spaces only: a number quoted in a provider's message. Narrower than
# ``_NUMBER``, so that "400 (21211)" keeps the error code an operator needs.
_PLAIN_NUMBER = re.compile(r"\+?\d[\d ]{5,}\d")


def last_digits(e164: str) -> str:
    """What of a number a page may show beside its country code: the last three
    digits ("the household with the number ending in 351" for a hotline agent)."""
    return e164[-3:]


def mask(e164: str) -> str:
    """A known number for a page or the admin: country code and the last three digits."""
    return f"{e164[:3]} … {last_digits(e164)}"


def redact(text: str) -> str:
    """``text`` with every run of digits (and spaces) that may be a phone number
    masked as ``mask`` shows it, for stored errors (a provider's error message may
    quote the number); error codes in brackets stay readable."""
    return _PLAIN_NUMBER.sub(lambda match: mask(match.group().replace(" ", "")), text)


def _mask_match(match: re.Match) -> str:
    text = match.group()
    if _ISO_DATE.match(text):
        return text
    digits = re.sub(r"\D", "", text)
    # Keep the last three digits of a phone number (as ``mask`` does); a code
    # (six digits) disappears entirely.
    return f"…{digits[-3:]}" if len(digits) > 6 else "…"


def mask_numbers(text: str) -> str:
    """``text`` with every number-shaped run (phone numbers however written, codes)
    masked, for logs, which must carry nothing of a person."""
    return _NUMBER.sub(_mask_match, text)
