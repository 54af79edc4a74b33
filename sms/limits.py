"""Limits on *sending* codes, against SMS pumping and plain abuse.

Each code costs money and a provider slot, and a fraudster paid per SMS
(SMS pumping) asks for as many as possible. Besides the rules per number in
``sms.services.request_code`` (a pause between codes, a few per hour, kept in
the database), these limits are counted in the shared cache (Redis) with
django-ratelimit, so that they hold across all web processes:

- per client address per hour (``SMS_CODES_PER_ADDRESS_PER_HOUR``),
- per number per day (``SMS_CODES_PER_NUMBER_PER_DAY``),
- for the whole portal per hour (``SMS_CODES_PER_HOUR``): a circuit breaker.

When the counters cannot be read (Redis down), no code is sent (fail closed):
an attacker must not be able to lift the limits by overloading Redis, and the
resident gets a plain message pointing to the hotline.
"""

import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from sms.errors import VerificationError
from sms.phone import PhoneNumber

logger = logging.getLogger(__name__)


def _limits(phone: PhoneNumber):
    yield (
        "sms-codes-per-address",
        "ip",
        f"{settings.SMS_CODES_PER_ADDRESS_PER_HOUR}/h",
        _(
            "Too many codes were requested from your internet connection. "
            "Please try again in an hour or call the hotline."
        ),
    )
    yield (
        "sms-codes-per-number",
        lambda _group, _request: phone.e164,
        f"{settings.SMS_CODES_PER_NUMBER_PER_DAY}/d",
        _(
            "Too many codes were requested for this number today. "
            "Please try again tomorrow or call the hotline."
        ),
    )
    yield (
        "sms-codes-everyone",
        lambda _group, _request: "all",
        f"{settings.SMS_CODES_PER_HOUR}/h",
        _(
            "So many codes are being requested right now that we have paused sending them. "
            "Please try again in a few minutes or call the hotline."
        ),
    )


def count_code_request(request, *, phone: PhoneNumber) -> None:
    """Count one code request for ``phone``; raise VerificationError if over a limit.

    Call it before ``request_code``. Every request counts, also one the
    rules per number then refuse, so that hammering the button does not help.
    """
    for group, key, rate, message in _limits(phone):
        try:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        except Exception as error:  # django-redis raises ConnectionInterrupted & co.
            logger.warning("code limits unavailable (%s): refusing to send", type(error).__name__)
            raise VerificationError(_unavailable()) from None
        if usage is None:  # RATELIMIT_ENABLE = False
            continue
        if usage["limit"] == 0 and usage["count"] == 0:
            # django-ratelimit's own signal that the cache gave no answer.
            logger.warning("code limits unavailable: refusing to send")
            raise VerificationError(_unavailable())
        if usage["should_limit"]:
            logger.info("code request refused by limit %s", group)
            raise VerificationError(message)


def _unavailable() -> str:
    return _(
        "We cannot send codes at the moment. Please try again in a few minutes or call the hotline."
    )
