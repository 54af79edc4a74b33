"""Phone verification: sending a code and checking it.

Rules (architecture.md): 6 digits from ``secrets``, stored as a keyed hash,
valid for 10 minutes, single use, at most 5 wrong tries, and a new code voids
the old one. A number may ask for a new code only every few seconds and a few
times an hour (counted in ``sms.limits``).
"""

import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from impfportal.durations import describe_seconds
from sms.delivery import last_code_failed
from sms.errors import VerificationError
from sms.models import Message, PhoneVerification
from sms.outbox import queue_message, render_message
from sms.phone import PhoneNumber

CODE_LENGTH = 6


def _hash_code(phone: str, code: str) -> str:
    return salted_hmac("sms.verification", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _open_codes(phone: str):
    return PhoneVerification.objects.filter(
        phone=phone, used_at__isnull=True, superseded_at__isnull=True
    )


def request_code(phone: PhoneNumber, *, by_voice: bool = False) -> PhoneVerification:
    """Void the number's open code, create a new one and queue it (SMS or voice call).

    A landline always gets a call; ``by_voice`` calls a mobile number too (when
    its SMS did not arrive). Raises VerificationError when the number asked too
    recently or too often; "too recently" does not apply when the previous
    code is known to have failed.
    """
    now = timezone.now()
    recent = PhoneVerification.objects.filter(
        phone=phone.e164, created_at__gt=now - timedelta(hours=1)
    )
    latest = recent.order_by("-created_at").first()
    resend_at = latest and latest.created_at + timedelta(
        seconds=settings.VERIFICATION_RESEND_SECONDS
    )
    if resend_at and resend_at > now and not last_code_failed(phone.e164):
        raise _too_soon(math.ceil((resend_at - now).total_seconds()))
    # How many codes a number gets per hour and day is counted per number and
    # client address (sms.limits), so that strangers cannot use them up.

    code = "".join(secrets.choice("0123456789") for _i in range(CODE_LENGTH))
    expires_at = now + timedelta(seconds=settings.VERIFICATION_CODE_TTL_SECONDS)
    try:
        with transaction.atomic():
            _open_codes(phone.e164).update(superseded_at=now)
            verification = PhoneVerification.objects.create(
                phone=phone.e164,
                code_hash=_hash_code(phone.e164, code),
                created_at=now,
                expires_at=expires_at,
            )
            context = {
                "code": code,
                "spoken_code": " ".join(code),
                "valid": describe_seconds(settings.VERIFICATION_CODE_TTL_SECONDS),
            }
            if phone.is_mobile and not by_voice:
                channel = Message.Channel.SMS
                body = render_message("verification_code.txt", context)
            else:
                # The call's voice speaks German, so the text it reads is German.
                channel = Message.Channel.VOICE
                with override("de"):
                    body = render_message("verification_call.txt", context)
            queue_message(
                recipient=phone.e164,
                body=body,
                priority=Message.Priority.CODE,
                channel=channel,
                idempotency_key=f"code:{verification.pk}",
                send_before=expires_at,
            )
    except IntegrityError:
        # Another request for the same number created its code at the same moment.
        raise _too_soon(settings.VERIFICATION_RESEND_SECONDS) from None
    return verification


def _too_soon(seconds: int) -> VerificationError:
    """The error for a new code asked for too early; it says how long to wait."""
    seconds = max(seconds, 1)
    return VerificationError(
        ngettext(
            "A code was just sent. Please wait %(seconds)d more second before asking for a "
            "new one.",
            "A code was just sent. Please wait %(seconds)d more seconds before asking for a "
            "new one.",
            seconds,
        )
        % {"seconds": seconds}
    )


def clean_code(raw: str) -> str:
    """Accept "123 456" or "123-456"; raise VerificationError for anything but 6 digits."""
    code = "".join(ch for ch in (raw or "") if ch not in " -")
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        raise VerificationError(_("The code has 6 digits. Please check your entry."))
    return code


def check_code(phone: str, raw_code: str) -> None:
    """Use up the number's open code if ``raw_code`` matches it.

    Raises VerificationError with the reason (wrong, expired, too many tries,
    no code requested). A code can succeed only once.
    """
    code = clean_code(raw_code)
    verification = _open_codes(phone).order_by("-created_at").first()
    unusable = _why_unusable(verification)
    if unusable or verification is None:
        raise VerificationError(unusable)
    max_tries = settings.VERIFICATION_MAX_WRONG_TRIES

    if not constant_time_compare(verification.code_hash, _hash_code(phone, code)):
        # Counted in the database, so parallel guesses cannot exceed the limit.
        counted = PhoneVerification.objects.filter(
            pk=verification.pk, wrong_tries__lt=max_tries
        ).update(wrong_tries=F("wrong_tries") + 1)
        left = max_tries - verification.wrong_tries - 1
        if not counted or left <= 0:
            raise VerificationError(_("Too many wrong entries. Please request a new code."))
        raise VerificationError(
            ngettext(
                "The code is not correct. You have %(left)d more try.",
                "The code is not correct. You have %(left)d more tries.",
                left,
            )
            % {"left": left}
        )

    used = PhoneVerification.objects.filter(
        pk=verification.pk,
        used_at__isnull=True,
        superseded_at__isnull=True,
        wrong_tries__lt=max_tries,
    ).update(used_at=timezone.now())
    if not used:
        raise VerificationError(_("This code has already been used. Please request a new one."))


def _why_unusable(verification: PhoneVerification | None) -> str:
    """Why no code can verify the number any more ("" while the open code can)."""
    if verification is None:
        return _("There is no valid code for this number. Please request one.")
    if verification.expires_at <= timezone.now():
        return _("This code has expired. Please request a new one.")
    if verification.wrong_tries >= settings.VERIFICATION_MAX_WRONG_TRIES:
        return _("Too many wrong entries. Please request a new code.")
    return ""


def why_a_new_code_is_needed(phone: str) -> str:
    """Why the number needs a new code before it can be verified; "" if it does not.

    The code page then makes "Send a new code" its main action.
    """
    return _why_unusable(_open_codes(phone).order_by("-created_at").first())
