"""Limits on *sending* codes, against SMS pumping, without letting strangers lock a number out.

Each code costs money and a provider slot, and a fraudster paid per SMS
(SMS pumping) asks for as many as possible. But a limit per number alone is a
lever for strangers: anyone who knows a number could use up its codes for the
day, and its owner could neither book nor cancel. So the limits are counted
in two layers (``limits.store``: Redis, PostgreSQL while Redis is down):

- per number **and** client address (``VERIFICATION_CODES_PER_HOUR``,
  ``SMS_CODES_PER_NUMBER_PER_DAY``): the owner's own share, which requests
  from anywhere else cannot use up;
- per number across all addresses, a higher ceiling: text messages
  (``SMS_CODES_PER_NUMBER_CEILING_PER_DAY``) and, separately, calls that read
  the code out (``SMS_CODE_CALLS_PER_NUMBER_PER_DAY``). Only requests within
  their address's share reach the ceiling, so a stranger must use several
  addresses to reach it, and can never pump more than it;
- per client address, any number (``SMS_CODES_PER_ADDRESS_PER_HOUR``), and for
  the whole portal (``SMS_CODES_PER_HOUR``, a circuit breaker).

When the text messages' ceiling is reached, the page offers a call instead;
every refusal names the hotline (``HOTLINE_PHONE``), where agents verify
callers another way. A request is counted broadest first (portal, address),
then against the number's share at its address, then against the number's
ceiling, and stops counting at the first limit it exceeds: requests beyond
their address's share never reach the ceiling.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from limits import store
from sms.errors import VerificationError
from sms.phone import PhoneNumber

logger = logging.getLogger(__name__)

HOUR = 60 * 60
DAY = 24 * HOUR


class CodeLimitReached(VerificationError):
    """A limit on sending codes was reached; ``offer_call``: a call may still work."""

    def __init__(self, message: str, *, offer_call: bool = False):
        super().__init__(message)
        self.offer_call = offer_call


@dataclass(frozen=True)
class _Limit(store.Limit):
    message: str
    offer_call: bool = False


def _hotline() -> dict[str, str]:
    return {"hotline": settings.HOTLINE_PHONE}


def _limits(request, phone: PhoneNumber, *, by_voice: bool) -> list[_Limit]:
    address = store.network_of(request)
    number = phone.e164
    limits = [
        _Limit(
            "sms-codes-everyone",
            settings.SMS_CODES_PER_HOUR,
            HOUR,
            _(
                "So many codes are being requested right now that we have paused sending "
                "them. Please try again in a few minutes or call the hotline: %(hotline)s."
            )
            % _hotline(),
        ),
        _Limit(
            f"sms-codes-per-address:{address}",
            settings.SMS_CODES_PER_ADDRESS_PER_HOUR,
            HOUR,
            _(
                "Too many codes were requested from your internet connection. "
                "Please try again in an hour or call the hotline: %(hotline)s."
            )
            % _hotline(),
        ),
        _Limit(
            f"sms-codes-per-number-hour:{number}:{address}",
            settings.VERIFICATION_CODES_PER_HOUR,
            HOUR,
            _(
                "Too many codes were requested for this number. "
                "Please try again in an hour or call the hotline: %(hotline)s."
            )
            % _hotline(),
        ),
        _Limit(
            f"sms-codes-per-number:{number}:{address}",
            settings.SMS_CODES_PER_NUMBER_PER_DAY,
            DAY,
            _(
                "Too many codes were requested for this number today. "
                "Please try again tomorrow or call the hotline: %(hotline)s."
            )
            % _hotline(),
        ),
    ]
    if phone.is_mobile and by_voice:
        limits.append(
            _Limit(
                f"sms-code-calls-per-number:{number}",
                settings.SMS_CODE_CALLS_PER_NUMBER_PER_DAY,
                DAY,
                _(
                    "We have already called this number several times today. "
                    "Please call the hotline: %(hotline)s. "
                    "The staff there can book or cancel for you."
                )
                % _hotline(),
            )
        )
    elif not phone.is_mobile:  # a landline: every code is a call
        limits.append(
            _Limit(
                f"sms-codes-per-number-ceiling:{number}",
                settings.SMS_CODES_PER_NUMBER_CEILING_PER_DAY,
                DAY,
                _(
                    "Very many codes were sent to this number today, so we send no more "
                    "of them. Please call the hotline: %(hotline)s. "
                    "The staff there can book or cancel for you."
                )
                % _hotline(),
            )
        )
    else:
        limits.append(
            _Limit(
                f"sms-codes-per-number-ceiling:{number}",
                settings.SMS_CODES_PER_NUMBER_CEILING_PER_DAY,
                DAY,
                _(
                    "Very many text messages with codes were sent to this number today, "
                    "so we send no more of them. We can call you instead and read out the "
                    "code, or you can call the hotline: %(hotline)s."
                )
                % _hotline(),
                offer_call=True,
            )
        )
    return limits


def count_code_request(request, *, phone: PhoneNumber, by_voice: bool = False) -> None:
    """Count one code request for ``phone``; raise CodeLimitReached if over a limit.

    Call it before ``request_code``. A request counts against each limit up to
    the first one it exceeds, so requests beyond an address's share for a
    number do not use up the number's ceiling (the owner's way in). Hammering
    the button does not help: refused requests count where they got to.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    limits = _limits(request, phone, by_voice=by_voice)
    over = store.first_over(limits)
    if over is not None:
        limit = limits[over]
        logger.info("code request refused by limit %s", limit.name.split(":")[0])
        raise CodeLimitReached(limit.message, offer_call=limit.offer_call)
