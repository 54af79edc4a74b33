"""The "I cannot come" link: signed, single use, valid until the appointment.

The token names the appointment and the reminder's kind, signed with the
project's secret (``django.core.signing``), so it cannot be guessed or altered;
single use and expiry are checked against the reminder's row.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "reminders.cannot-come"


def signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(*, appointment_id: int, kind: str, using: signing.Signer | None = None) -> str:
    return (using or signer()).sign(f"{appointment_id}-{kind}")


def read_token(token: str) -> tuple[int, str] | None:
    """(appointment id, kind) of a genuine token; None for anything else."""
    try:
        value = signer().unsign(token)
    except signing.BadSignature:
        return None
    appointment_id, _dash, kind = value.partition("-")
    if not appointment_id.isdigit():
        return None
    return int(appointment_id), kind


def link_for(token: str) -> str:
    return settings.PORTAL_URL + reverse("reminders:cannot_come", args=[token])
