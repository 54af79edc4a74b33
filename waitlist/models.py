"""Waiting places and the offers the exchange makes to them.

An entry waits for a seat at one center or anywhere in its district; the order
is the priority group's rank, then the time of joining. An offer holds one
first-dose seat and one second-dose seat (both counted in ``Slot.booked``)
until it is accepted, declined, expires or is withdrawn.
"""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from booking.models import Person, Series
from centers.models import Center, District, Slot, Vaccine
from sms.models import Message

ALL_WEEKDAYS = 0b1111111  # bit 0 is Monday, as in date.weekday()
NOON = 12


class Entry(models.Model):
    """One person's place on the waiting list of a center or a whole district."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("appointment offered")
        PAUSED = "paused", _("paused")
        SERVED = "served", _("appointment booked")
        LEFT = "left", _("left the waiting list")
        CLOSED = "closed", _("closed (appointment booked directly)")
        # Registered in a draw's window: offered nothing until the draw has placed it.
        DRAW = "draw", _("waiting for the draw")

    class TimeOfDay(models.TextChoices):
        ANY = "any", _("any time")
        MORNING = "morning", _("mornings (before 12 o'clock)")
        AFTERNOON = "afternoon", _("afternoons (from 12 o'clock)")

    ACTIVE = (Status.WAITING, Status.OFFERED, Status.PAUSED, Status.DRAW)

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="waitlist_entries", verbose_name=_("person")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    # Empty: any center of the district.
    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vaccination center"),
    )
    vaccines = models.ManyToManyField(Vaccine, related_name="+", verbose_name=_("vaccines"))
    # Copied from the person's priority group when joining, so that the queue
    # can be read in order from one index.
    priority_rank = models.PositiveSmallIntegerField(_("priority group rank"))
    weekdays = models.PositiveSmallIntegerField(_("weekdays"), default=ALL_WEEKDAYS)
    time_of_day = models.CharField(
        _("time of day"), max_length=10, choices=TimeOfDay, default=TimeOfDay.ANY
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.WAITING)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    missed_offers = models.PositiveSmallIntegerField(_("offers left unanswered"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting place")
        verbose_name_plural = _("waiting places")
        indexes = [
            # The exchange's claim query reads a district's queue in order.
            models.Index(
                fields=["district", "priority_rank", "joined_at", "id"],
                condition=Q(status="waiting"),
                name="waitlist_entry_queue",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["waiting", "offered", "paused", "draw"]),
                name="one_active_waiting_place_per_person",
            ),
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=ALL_WEEKDAYS),
                name="waiting_place_has_weekdays",
            ),
        ]

    def __str__(self) -> str:
        return _("waiting place %(id)d") % {"id": self.pk}

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def weekday_numbers(self) -> list[int]:
        return [day for day in range(7) if self.weekdays & (1 << day)]

    @property
    def weekday_labels(self) -> list[str]:
        return [str(WEEKDAYS[day]) for day in self.weekday_numbers]

    @property
    def has_restrictions(self) -> bool:
        return self.weekdays != ALL_WEEKDAYS or self.time_of_day != self.TimeOfDay.ANY

    def suits(self, starts_at: datetime) -> bool:
        """Whether an appointment at ``starts_at`` matches the preferences."""
        local = timezone.localtime(starts_at)
        if not self.weekdays & (1 << local.weekday()):
            return False
        if self.time_of_day == self.TimeOfDay.MORNING:
            return local.hour < NOON
        if self.time_of_day == self.TimeOfDay.AFTERNOON:
            return local.hour >= NOON
        return True


class Offer(models.Model):
    """A first and a second dose held for one entry until it answers or time runs out.

    The deadline starts only when the SMS was handed to the provider
    (``sent_at``); until then ``deadline`` is empty and the seats stay held.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")
        UNDELIVERED = "undelivered", _("text message could not be delivered")

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="offers", verbose_name=_("waiting place")
    )
    first_slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="+", verbose_name=_("first dose")
    )
    second_slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="+", verbose_name=_("second dose")
    )
    # SHA-256 of the link's token; the token itself exists only in the SMS.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.OPEN)
    hold = models.DurationField(_("time to answer"))
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    deadline = models.DateTimeField(_("answer by"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    series = models.ForeignKey(
        Series,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appointment series"),
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [
            # The sweep's query: open offers whose deadline has passed.
            models.Index(
                fields=["deadline"], condition=Q(status="open"), name="waitlist_offer_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="open"), name="one_open_offer_per_entry"
            ),
            # Nobody is offered the same slot twice (also the claim query's index).
            models.UniqueConstraint(
                fields=["entry", "first_slot"], name="one_offer_per_entry_and_slot"
            ),
        ]

    def __str__(self) -> str:
        return _("offer %(id)d") % {"id": self.pk}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.deadline is not None and self.deadline <= (now or timezone.now())
