"""Scheduled openings and the log of their pre-queue shuffle.

An ``Opening`` is the moment the ministry opens booking for a group (08:00 on
the morning of "80 and older"). From ``prequeue_starts_at`` until
``opens_at`` everyone who reaches a guarded page waits in the pre-queue; at
``opens_at`` they are let in in a random order fixed by a secret key, then
everyone else first come, first served (``waitingroom.room``).

The key is made when the opening is created and only its SHA-256
(``commitment``) is shown until the opening; afterwards the key itself is
public, and with the log (``PrequeueEntry``) anyone can recompute the order:
sort the ticket ids by ``HMAC-SHA256(key, ticket id)`` (``waitingroom.fairness``).

``mode`` says what kind of opening it is: the waiting room's (first come,
after the shuffled pre-queue), or a draw (``draw.models.Draw``): a
registration window from ``opens_at`` in which everyone has the same chance,
ordered with the same kind of committed key after the window, and revealed
only then (``draw.models.Draw.revealed_key``).
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_key() -> str:
    return secrets.token_hex(32)


class Opening(models.Model):
    class Mode(models.TextChoices):
        QUEUE = "queue", _("Waiting room: random order for the pre-queue, then first come")
        DRAW = "draw", _("Draw: a registration window, then a random order")

    name = models.CharField(_("name"), max_length=200)
    group = models.ForeignKey(
        "booking.PriorityGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priority group"),
    )
    vaccine = models.ForeignKey(
        "centers.Vaccine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vaccine"),
    )
    mode = models.CharField(_("kind"), max_length=10, choices=Mode, default=Mode.QUEUE)
    opens_at = models.DateTimeField(_("opens at"))
    prequeue_starts_at = models.DateTimeField(
        _("pre-queue starts at"),
        blank=True,
        help_text=_("Empty: WAITINGROOM_PREQUEUE_MINUTES before the opening."),
    )
    # The shuffle's secret until ``opens_at``; never shown or logged before.
    key = models.CharField(max_length=64, default=new_key, editable=False)
    commitment = models.CharField(_("SHA-256 of the key"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("scheduled opening")
        verbose_name_plural = _("scheduled openings")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(prequeue_starts_at__lte=models.F("opens_at")),
                name="prequeue_before_opening",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self._default_prequeue()
        self.commitment = hashlib.sha256(bytes.fromhex(self.key)).hexdigest()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self._default_prequeue()

    def _default_prequeue(self) -> None:
        if self.prequeue_starts_at is None and self.opens_at is not None:
            minutes = settings.WAITINGROOM_PREQUEUE_MINUTES
            self.prequeue_starts_at = self.opens_at - timedelta(minutes=minutes)

    def is_open(self, *, now=None) -> bool:
        return (now or timezone.now()) >= self.opens_at

    def revealed_key(self, *, now=None) -> str | None:
        """The key, once the opening has begun (before that: None, it is secret).

        A draw's key stays secret until its draw has run (``draw.models``)."""
        if self.mode == self.Mode.DRAW:
            return None
        return self.key if self.is_open(now=now) else None


class PrequeueEntry(models.Model):
    """One ticket that joined an opening's pre-queue, for the public re-check.

    The ticket id is random and names no person; ``arrival`` is its place in
    the order of arrival, ``position`` its place after the shuffle (0 first).
    """

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="prequeue")
    ticket = models.CharField(max_length=64)
    arrival = models.PositiveIntegerField()
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["opening", "position"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "ticket"], name="prequeue_ticket_once"),
            models.UniqueConstraint(fields=["opening", "position"], name="prequeue_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.opening_id}: {self.ticket[:8]}… #{self.position}"


class QueueDay(models.Model):
    """The room's figures of one local day, for the ministry's statistics.

    Counted in Redis by the room's script (no database write per resident) and
    copied here by the controller every few seconds, so they stay when Redis
    restarts. ``peak`` is the longest the queue was that day.
    """

    day = models.DateField(_("day"), unique=True)
    joined = models.PositiveIntegerField(_("joined the queue"), default=0)
    admitted = models.PositiveIntegerField(_("let in from the queue"), default=0)
    peak = models.PositiveIntegerField(_("longest queue"), default=0)

    class Meta:
        verbose_name = _("waiting room day")
        verbose_name_plural = _("waiting room days")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
