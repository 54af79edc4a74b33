"""Checking a caller's identity, and the 15 minutes an agent may act after it.

Three ways, as a caller can offer them:

- a booking that exists: its booking code read out plus a date of birth of
  the household (the person the code belongs to);
- any household: a code sent to the household's number (SMS to a mobile, a
  call to a landline, or a call on request) and read back to the agent;
- a new household calling from a landline: the same with the number the
  caller gives (``sms.services`` codes; the household is created when the
  code is read back correctly).

Every attempt is audited (passed or failed, never what was said). Codes are
the residents' own verification codes (hashed, 10 minutes, 5 wrong tries);
a booking code is tried at most HOTLINE_IDENTITY_TRIES times per agent and
household in the grant window, after which only a code to the number helps.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import services as booking_services
from booking.models import Household, Series
from hotline import audit
from hotline.codes import normalise_booking_code
from hotline.errors import HotlineError, NotAuthorised
from hotline.models import AuditEntry, Grant
from sms import services as sms_services
from sms.errors import VerificationError
from sms.phone import PhoneNumber, parse_phone_number

Action = AuditEntry.Action


def window() -> timedelta:
    return timedelta(minutes=settings.HOTLINE_GRANT_MINUTES)


def active_grant(*, agent, household_id: int, now: datetime | None = None) -> Grant | None:
    """The agent's grant for the household that is still running, or None."""
    now = now or timezone.now()
    return (
        Grant.objects.filter(agent=agent, household_id=household_id, expires_at__gt=now)
        .order_by("-expires_at")
        .first()
    )


def require_grant(*, agent, household: Household) -> Grant:
    grant = active_grant(agent=agent, household_id=household.pk)
    if grant is None:
        raise NotAuthorised(
            _(
                "Please check the caller's identity first. You can act for a household "
                "for %(minutes)d minutes after the check."
            )
            % {"minutes": settings.HOTLINE_GRANT_MINUTES}
        )
    return grant


def _grant(*, agent, household: Household, method: str) -> Grant:
    now = timezone.now()
    with transaction.atomic():
        grant = Grant.objects.create(
            agent=agent,
            household=household,
            method=method,
            granted_at=now,
            expires_at=now + window(),
        )
        audit.record(
            agent=agent, action=Action.IDENTITY_PASSED, household_id=household.pk, obj=grant
        )
    return grant


def _failed(*, agent, household_id: int | None, message: str) -> HotlineError:
    audit.record(
        agent=agent, action=Action.IDENTITY_FAILED, household_id=household_id, refused=True
    )
    return HotlineError(message)


def end_grant(*, agent, household: Household) -> int:
    """The call is over: the agent can no longer act for the household."""
    now = timezone.now()
    ended = Grant.objects.filter(agent=agent, household=household, expires_at__gt=now).update(
        expires_at=now
    )
    audit.record(agent=agent, action=Action.ENDED, household_id=household.pk)
    return ended


def _failed_tries(*, agent, household: Household) -> int:
    return AuditEntry.objects.filter(
        agent=agent,
        household_ref=household.pk,
        action=Action.IDENTITY_FAILED,
        at__gt=timezone.now() - window(),
    ).count()


def check_booking_code(*, agent, household: Household, raw_code: str, date_of_birth) -> Grant:
    """Booking code read out plus the date of birth of the person it belongs to."""
    if _failed_tries(agent=agent, household=household) >= settings.HOTLINE_IDENTITY_TRIES:
        raise HotlineError(
            _(
                "Too many failed checks for this household. Please send a code to the "
                "household's number instead."
            )
        )
    code = normalise_booking_code(raw_code)
    matches = code is not None and (
        Series.objects.filter(
            booking_code=code,
            person__household=household,
            person__date_of_birth=date_of_birth,
        ).exists()
    )
    if not matches:
        raise _failed(
            agent=agent,
            household_id=household.pk,
            message=_(
                "Booking code and date of birth do not belong together in this household. "
                "The caller's identity is not confirmed."
            ),
        )
    return _grant(agent=agent, household=household, method=Grant.Method.BOOKING_CODE)


def _number(phone: str) -> PhoneNumber:
    return parse_phone_number(phone)


def send_code(*, agent, household: Household | None, phone: str, by_voice: bool) -> str:
    """Send a code to the household's number (or, for a new household, to
    ``phone``). Returns the channel used ("sms" or "voice"). Raises
    HotlineError (a code was sent a moment ago) or PhoneError."""
    number = _number(household.phone if household is not None else phone)
    try:
        sms_services.request_code(number, by_voice=by_voice or not number.is_mobile)
    except VerificationError as error:
        raise HotlineError(str(error)) from None
    audit.record(
        agent=agent,
        action=Action.CODE_SENT,
        household_id=household.pk if household is not None else None,
    )
    return "sms" if number.is_mobile and not by_voice else "voice"


def check_read_back_code(*, agent, household: Household | None, phone: str, code: str) -> Grant:
    """The caller read back the code sent to the number. For a new household
    (``household`` None) the household of ``phone`` is created now."""
    number = _number(household.phone if household is not None else phone)
    try:
        sms_services.check_code(number.e164, code)
    except VerificationError as error:
        raise _failed(
            agent=agent,
            household_id=household.pk if household is not None else None,
            message=str(error),
        ) from None
    if household is None:
        household = booking_services.household_for(number.e164)
    method = Grant.Method.SMS_CODE if number.is_mobile else Grant.Method.VOICE_CODE
    return _grant(agent=agent, household=household, method=method)
