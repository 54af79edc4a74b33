from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from booking.models import Person, Series
from centers.models import Center, Slot, Vaccine
from sms.models import Message


class Entry(models.Model):
    """A person on a center's standby list for one day.

    ``rank`` is the person's priority group's rank when they joined (lower goes
    first); ``draw`` a number from the day's seeded draw, which orders people
    within a group (``standby.services.draw_number``).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SERVED = "served", _("got a dose")
        LEFT = "left", _("left the list")
        LAPSED = "lapsed", _("lapsed at the end of the day")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="standby_entries", verbose_name=_("person")
    )
    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="standby_entries",
        verbose_name=_("vaccination center"),
    )
    day = models.DateField(_("day"))
    rank = models.PositiveSmallIntegerField(_("priority group rank"))
    draw = models.BigIntegerField(pgettext_lazy("standby order", "draw"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.WAITING)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("standby entry")
        verbose_name_plural = _("standby list")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "day"],
                condition=Q(status="waiting"),
                name="standby_once_per_person_and_day",
            )
        ]
        indexes = [
            models.Index(
                fields=["center", "day", "rank", "draw"],
                condition=Q(status="waiting"),
                name="standby_queue",
            )
        ]

    def __str__(self) -> str:
        return f"standby {self.pk}"


class Round(models.Model):
    """Leftover doses of one vaccine at a center, offered at once to twice as many
    people; claims close after ``STANDBY_CLAIM_MINUTES``. The round holds its
    seats (``Seat``) from the start, so no dose is in two rounds or booked by
    anyone else meanwhile."""

    class Reason(models.TextChoices):
        NO_SHOW = "no_show", _("no-shows")
        CANCELLATION = "cancellation", _("same-day cancellation")
        STAFF = "staff", _("offered by staff")

    center = models.ForeignKey(
        Center, on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccination center")
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccine")
    )
    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason)
    doses = models.PositiveSmallIntegerField(_("doses"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closes_at = models.DateTimeField(_("claims close at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered by"),
    )

    class Meta:
        verbose_name = _("leftover-dose round")
        verbose_name_plural = _("leftover-dose rounds")

    def __str__(self) -> str:
        return f"round {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and self.closes_at > timezone.now()


class Seat(models.Model):
    """One leftover dose: a first-dose seat (and its second dose, where one was
    free) held by the round until claimed or given back."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="seats")
    first_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    second_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    series = models.OneToOneField(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="standby_seat"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("leftover dose")
        verbose_name_plural = _("leftover doses")

    def __str__(self) -> str:
        return f"seat {self.pk}"


class Offer(models.Model):
    """A round's SMS to one standby entry, with the link's token (hashed)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        TAKEN = "taken", _("already taken by someone else")
        EXPIRED = "expired", _("expired")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="offers")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When the person pressed "I am coming" (won or too late): the claims figure.
    pressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("standby offer")
        verbose_name_plural = _("standby offers")
        constraints = [
            # No round reaches the same person twice; a person holds one open offer.
            models.UniqueConstraint(fields=["round", "entry"], name="standby_offer_once_per_round"),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="open"), name="standby_one_open_offer"
            ),
        ]

    def __str__(self) -> str:
        return f"standby offer {self.pk}"
