"""The hotline's own rows: which agent may act for which household until when,
and the audit of what agents did. Neither holds a name or a number: the audit
names households, people, series, waiting places and offers by their ids."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import Household


class Grant(models.Model):
    """An agent passed the caller's identity check and may act for the
    household until ``expires_at`` (HOTLINE_GRANT_MINUTES after the check)."""

    class Method(models.TextChoices):
        BOOKING_CODE = "booking_code", _("booking code and date of birth")
        SMS_CODE = "sms_code", _("code by text message, read back")
        VOICE_CODE = "voice_code", _("code by voice call, read back")

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )
    method = models.CharField(_("identity checked by"), max_length=20, choices=Method)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))

    class Meta:
        verbose_name = _("hotline authorisation")
        verbose_name_plural = _("hotline authorisations")
        permissions = [("act_for_caller", _("Can find callers and act for them (hotline)"))]
        indexes = [models.Index(fields=["agent", "household", "-expires_at"])]

    def __str__(self) -> str:
        return _("authorisation %(id)d") % {"id": self.pk}


class AuditEntry(models.Model):
    """One thing an agent did or tried. Pseudonymous: ids only, never a name,
    a number, a date of birth or a booking code."""

    class Action(models.TextChoices):
        SEARCHED = "searched", _("searched for a caller")
        VIEWED = "viewed", _("opened a household")
        CODE_SENT = "code_sent", _("sent a code to the household's number")
        IDENTITY_PASSED = "identity_passed", _("identity check passed")
        IDENTITY_FAILED = "identity_failed", _("identity check failed")
        ENDED = "ended", _("ended acting for the household")
        PERSON_ADDED = "person_added", _("added a person")
        PERSON_CORRECTED = "person_corrected", _("corrected a person")
        PERSON_REMOVED = "person_removed", _("removed a person")
        BOOKED = "booked", _("booked both doses")
        CANCELLED = "cancelled", _("cancelled appointments")
        JOINED = "joined", _("put a person on the waiting list")
        LEFT = "left", _("gave up a waiting place")
        OFFER_ACCEPTED = "offer_accepted", _("accepted an offer")
        OFFER_DECLINED = "offer_declined", _("declined an offer")

    class Outcome(models.TextChoices):
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")

    at = models.DateTimeField(_("at"), default=timezone.now)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, default=Outcome.DONE)
    # Plain ids, no foreign keys: the entry outlives the household's deletion.
    household_ref = models.PositiveIntegerField(_("household id"), null=True, blank=True)
    object_ref = models.CharField(_("object"), max_length=40, blank=True)
    results = models.PositiveIntegerField(_("households found"), null=True, blank=True)

    class Meta:
        verbose_name = _("hotline audit entry")
        verbose_name_plural = _("hotline audit entries")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["agent", "household_ref", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
