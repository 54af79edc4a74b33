from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import Appointment
from sms.models import Message


class Reminder(models.Model):
    """One reminder of one appointment: written once per appointment and kind
    (the unique constraint makes the scheduler idempotent), with the outbox
    message it queued and whether its "I cannot come" link was used.

    ``starts_at`` is the appointment's time when the reminder was queued: if
    the appointment moved since (a second dose moved by a cancelled day), the
    reminder names a wrong time and is not sent.
    """

    class Kind(models.TextChoices):
        DAYS_BEFORE = "48h", _("48 hours before")
        HOURS_BEFORE = "3h", _("3 hours before")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SKIPPED = "skipped", _("not needed")
        DROPPED = "dropped", _("not sent (cancelled, moved or too late)")

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("appointment"),
    )
    kind = models.CharField(_("kind"), max_length=3, choices=Kind)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    starts_at = models.DateTimeField(_("appointment at"))
    send_at = models.DateTimeField(_("send at"))
    message = models.OneToOneField(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder",
        verbose_name=_("message"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    link_used_at = models.DateTimeField(_("link used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], name="one_reminder_per_appointment_and_kind"
            ),
            models.CheckConstraint(
                condition=Q(send_at__lte=models.F("starts_at")),
                name="reminder_sent_before_the_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.pk} ({self.kind})"
