from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PhoneVerification(models.Model):
    """One code sent to one number. Only the code's keyed hash is stored."""

    phone = models.CharField(_("phone number"), max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    # Set once, when the code is entered correctly or replaced by a newer code.
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        indexes = [models.Index(fields=["phone", "-created_at"])]
        constraints = [
            # At most one code per number is open at a time: a new code voids the old.
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(used_at__isnull=True, superseded_at__isnull=True),
                name="one_open_code_per_phone",
            )
        ]

    def __str__(self) -> str:
        return f"verification {self.pk}"


class Message(models.Model):
    """The outbox: one row per text message or voice call, written in the
    transaction of the change that causes it and sent by the dispatcher."""

    class Priority(models.IntegerChoices):
        # Lower goes first: a code must not wait behind 70,000 notifications.
        CODE = 0, _("verification code")
        OFFER = 10, _("waiting-list offer")
        CONFIRMATION = 20, _("confirmation")
        BULK = 30, _("notice")

    class Channel(models.TextChoices):
        SMS = "sms", _("text message")
        VOICE = "voice", _("voice call")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DROPPED = "dropped", _("dropped (too late)")

    class DeliveryStatus(models.TextChoices):
        # What the provider's status callback last said about the handset.
        UNKNOWN = "", _("not reported yet")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("not delivered")

    recipient = models.CharField(_("recipient"), max_length=20)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.SMS)
    body = models.TextField(_("text"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # A verification code that cannot reach the provider before it expires is
    # dropped instead of arriving uselessly late.
    send_before = models.DateTimeField(_("send before"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider ID"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # Filled by the provider's signed status callback (sms.delivery).
    delivery_status = models.CharField(
        _("delivery status"),
        max_length=10,
        choices=DeliveryStatus,
        default=DeliveryStatus.UNKNOWN,
        blank=True,
    )
    provider_status = models.CharField(_("provider status"), max_length=20, blank=True)
    delivery_error_code = models.CharField(_("error code"), max_length=10, blank=True)
    delivery_reported_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The dispatcher's claim query: queued rows of one channel (one
            # sender, one provider rate) by priority and due time.
            models.Index(
                fields=["channel", "priority", "next_attempt_at", "id"],
                condition=Q(status="queued"),
                name="sms_message_due",
            ),
            # Finding the rows of a dispatcher that died with them claimed.
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="sending"),
                name="sms_message_leased",
            ),
        ]

    def __str__(self) -> str:
        return _("message %(id)d (%(status)s)") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def is_code(self) -> bool:
        return self.priority == self.Priority.CODE
