"""What became of a message after the provider took it.

Twilio calls our status callback (signed with the account's auth token) as an
SMS or call moves on; we keep the last reported status and whether the
message reached the handset. The resident's code page reads it, so that a
failed SMS can be followed by a voice call.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from twilio.request_validator import RequestValidator, get_signature_algorithm

from sms.models import Message, PhoneVerification

# Twilio's message and call statuses that are final.
_DELIVERED = {"delivered", "read", "completed"}
_FAILED = {"failed", "undelivered", "canceled", "busy", "no-answer"}


def is_signed_by_twilio(*, url: str, params, signature: str, settings_header: str = "") -> bool:
    """Whether a callback request really comes from Twilio (X-Twilio-Signature).

    ``url`` is the public URL Twilio called, exactly as we gave it to Twilio.
    Without a configured auth token nothing is trusted.
    """
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(url, params, signature, get_signature_algorithm(settings_header))


def record_delivery_report(
    *, message_id: int, sid: str, provider_status: str, error_code: str = ""
) -> bool:
    """Store what the provider reported for one message; return whether it applied.

    A final status (delivered or failed) is kept: a late or repeated report
    (Twilio retries callbacks) changes nothing. A report for another provider
    id than the stored one (a copy sent again after a crash) is ignored.
    """
    provider_status = provider_status.strip().lower()[:20]
    if provider_status in _DELIVERED:
        delivery = Message.DeliveryStatus.DELIVERED
    elif provider_status in _FAILED:
        delivery = Message.DeliveryStatus.FAILED
    else:
        delivery = Message.DeliveryStatus.UNKNOWN
    updated = (
        Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.UNKNOWN)
        .filter(Q(provider_id=sid) | Q(provider_id=""))
        .update(
            provider_id=sid[:64],
            provider_status=provider_status,
            delivery_status=delivery,
            delivery_error_code=error_code[:10],
            delivery_reported_at=timezone.now(),
        )
    )
    return bool(updated)


@dataclass(frozen=True)
class CodeDelivery:
    """How far the newest code for a number got, for the resident's page."""

    state: str  # "sending", "sent", "delivered" or "failed"
    channel: str

    @property
    def failed(self) -> bool:
        return self.state == "failed"


def code_delivery(phone: str) -> CodeDelivery | None:
    verification = (
        PhoneVerification.objects.filter(phone=phone, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if verification is None:
        return None
    message = Message.objects.filter(idempotency_key=f"code:{verification.pk}").first()
    if message is None:
        return None
    return CodeDelivery(state=delivery_state(message), channel=message.channel)


def delivery_state(message: Message) -> str:
    if message.status in (Message.Status.FAILED, Message.Status.DROPPED):
        return "failed"
    if message.delivery_status == Message.DeliveryStatus.FAILED:
        return "failed"
    if message.delivery_status == Message.DeliveryStatus.DELIVERED:
        return "delivered"
    if message.status == Message.Status.SENT:
        return "sent"
    return "sending"


def last_code_failed(phone: str) -> bool:
    """Whether the newest code for ``phone`` is known not to arrive."""
    delivery = code_delivery(phone)
    return delivery is not None and delivery.failed
