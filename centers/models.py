from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """A district (Landkreis) or district-free city; centers are listed by it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostalCode(models.Model):
    """Which district is responsible for the people living under a postal code."""

    code = models.CharField(_("postal code"), max_length=5, primary_key=True)
    town = models.CharField(_("town"), max_length=100)
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        related_name="postal_codes",
        verbose_name=_("district"),
    )

    class Meta:
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")

    def __str__(self) -> str:
        return f"{self.code} {self.town}"


class CenterQuerySet(models.QuerySet):
    def with_availability(self, vaccines=None):
        """Annotate ``next_free_at`` (first bookable slot) and ``has_vaccine``.

        Two correlated subqueries instead of joins, so the start page stays
        one query however many slots and deliveries there are.
        """
        free = Slot.objects.bookable().filter(center=models.OuterRef("pk"))
        if vaccines is not None:
            free = free.filter(vaccine__in=vaccines)
        return self.annotate(
            next_free_at=models.Subquery(free.order_by("starts_at").values("starts_at")[:1]),
            has_vaccine=models.Exists(Delivery.objects.filter(center=models.OuterRef("pk"))),
        )


class Center(models.Model):
    class State(models.TextChoices):
        AVAILABLE = "available", _("Appointments available")
        WAITLIST_ONLY = "waitlist", _("Waiting list only")
        NO_VACCINE = "no_vaccine", _("No vaccine yet")

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="centers", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(unique=True)
    street = models.CharField(_("street"), max_length=150)
    postal_code = models.CharField(_("postal code"), max_length=5)
    town = models.CharField(_("town"), max_length=100)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="centers",
        verbose_name=_("staff"),
        help_text=_("Staff accounts that manage this center in the admin."),
    )

    objects = CenterQuerySet.as_manager()
    # Set by ``Center.objects.with_availability()``, not columns.
    next_free_at: "datetime | None"
    has_vaccine: bool

    class Meta:
        verbose_name = _("vaccination center")
        verbose_name_plural = _("vaccination centers")
        ordering = ["district__name", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state(self) -> "Center.State":
        """Needs the annotations of ``Center.objects.with_availability()``."""
        if self.next_free_at is not None:
            return self.State.AVAILABLE
        if self.has_vaccine:
            return self.State.WAITLIST_ONLY
        return self.State.NO_VACCINE


class Vaccine(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(unique=True)
    second_dose_interval_days = models.PositiveSmallIntegerField(
        _("days between first and second dose")
    )

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("vaccination center"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("vaccine")
    )
    doses = models.PositiveIntegerField(_("doses"))
    delivered_on = models.DateField(_("delivered on"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_on"]
        constraints = [models.CheckConstraint(condition=Q(doses__gt=0), name="delivery_has_doses")]

    def __str__(self) -> str:
        return _("%(doses)d x %(vaccine)s (%(day)s)") % {
            "doses": self.doses,
            "vaccine": self.vaccine,
            "day": formats.date_format(self.delivered_on, "SHORT_DATE_FORMAT"),
        }


class SlotQuerySet(models.QuerySet):
    def upcoming(self, *, now: datetime | None = None):
        """Slots that have not begun (``now``: the moment to ask at; by default now,
        given when a query is compiled once and run again, ``CompiledQuery``)."""
        return self.filter(starts_at__gt=timezone.now() if now is None else now)

    def with_free_seats(self):
        """Slots with a seat of their own free, whatever the seat's purpose."""
        return self.filter(booked__lt=F("capacity"))

    def first_doses(self):
        return self.filter(dose=Slot.Dose.FIRST)

    def second_doses(self):
        return self.filter(dose=Slot.Dose.SECOND)

    def with_free_series(self):
        """First-dose slots with a free seat whose reserved second dose is free too.

        This is the one definition of "free" that every page, the statistics and
        the waiting list use: exactly what an eligible person can book.
        """
        return self.first_doses().filter(
            booked__lt=F("capacity"),
            second_dose_slot__booked__lt=F("second_dose_slot__capacity"),
        )

    def bookable(self, *, now: datetime | None = None):
        return self.upcoming(now=now).with_free_series()

    def bookable_by_hotline(self):
        """What a hotline agent can book for a caller: the bookable times, and the
        times with series seats held for the hotline (``hotline_held``; each held
        first-dose seat holds its second dose with it, so it is a whole series).

        Only the agent's console uses this; everywhere else held seats count as
        taken, so what residents see free stays exactly what they can book.
        """
        return (
            self.upcoming()
            .first_doses()
            .filter(
                Q(hotline_held__gt=0)
                | Q(
                    booked__lt=F("capacity"),
                    second_dose_slot__booked__lt=F("second_dose_slot__capacity"),
                )
            )
        )

    def with_free_appointments(self):
        """Annotate ``free_appointments``: first doses that can be booked with
        their second dose (the fewer free seats of the pair)."""
        return self.annotate(
            free_appointments=Least(
                F("capacity") - F("booked"),
                F("second_dose_slot__capacity") - F("second_dose_slot__booked"),
            )
        )


class Slot(models.Model):
    """A time at a center with ``capacity`` seats (parallel lanes) for one vaccine
    and one purpose: first doses, or the reserved second doses of first doses.

    A first-dose slot points to the second-dose slot that a release made for it
    (the same time of day, the vaccine's interval later); a series takes one
    seat of each, together (``centers.services.take_series_seats``). A
    second-dose seat is never shown, offered or booked as a first dose, so a
    first-dose seat is free only while its second dose is free too
    (``SlotQuerySet.with_free_series``). The same time can have a slot of each
    purpose (one release's second doses, the next release's first doses).

    ``booked`` counts seats taken by appointments, held offers and seats held
    for the hotline. ``hotline_held`` is the part of ``booked`` a release keeps
    for hotline agents until ``hotline_held_until`` (``centers.hotline_hold``):
    in a first-dose slot, whole series (each with a held seat in its second-dose
    slot); in a second-dose slot, the held seats of its first-dose slots.
    The CHECK constraint makes overselling impossible even if code goes wrong;
    seats are taken by a conditional UPDATE (see centers.services.take_seat).
    A cancelled day shrinks ``capacity`` and counts the seats it took away in
    ``withdrawn``, so the statistics show releases and withdrawals as figures
    of their own, never a negative release.
    """

    class Dose(models.IntegerChoices):
        FIRST = 1, _("first dose")
        SECOND = 2, _("second dose")

    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("vaccination center"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="slots", verbose_name=_("vaccine")
    )
    starts_at = models.DateTimeField(_("starts at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    withdrawn = models.PositiveSmallIntegerField(_("withdrawn"), default=0)
    # db_default too: bulk loads that write the table with SQL need not know it.
    hotline_held = models.PositiveSmallIntegerField(
        _("held for the hotline"), default=0, db_default=0
    )
    # Set on first-dose slots only: the second dose's held seats end with their first's.
    hotline_held_until = models.DateTimeField(
        _("held for the hotline until"), null=True, blank=True
    )
    dose = models.PositiveSmallIntegerField(_("purpose"), choices=Dose, default=Dose.FIRST)
    second_dose_slot = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="first_dose_slots",
        verbose_name=_("second-dose slot"),
    )

    objects = SlotQuerySet.as_manager()
    # Set by ``Slot.objects.with_free_appointments()``, not a column.
    free_appointments: int

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")),
                name="slot_booked_within_capacity",
            ),
            # Seats held for the hotline are taken seats: never more than booked.
            models.CheckConstraint(
                condition=Q(hotline_held__gte=0) & Q(hotline_held__lte=F("booked")),
                name="slot_hotline_held_within_booked",
            ),
            models.CheckConstraint(
                condition=Q(hotline_held=0) | Q(dose=2) | Q(hotline_held_until__isnull=False),
                name="slot_hotline_hold_has_an_end",
            ),
            models.UniqueConstraint(
                fields=["center", "vaccine", "starts_at", "dose"],
                name="one_slot_per_center_vaccine_time_dose",
            ),
            # A first-dose slot always has its second doses; a second-dose slot
            # is never a first dose's (and so never paired itself).
            models.CheckConstraint(
                condition=(Q(dose=1) & Q(second_dose_slot__isnull=False))
                | (Q(dose=2) & Q(second_dose_slot__isnull=True)),
                name="slot_first_dose_has_second_dose",
            ),
        ]
        indexes = [
            models.Index(fields=["center", "dose", "starts_at"], name="slot_center_dose_time"),
            # The holds that end next (``end_due_hotline_holds``), without reading every slot.
            models.Index(
                fields=["hotline_held_until"],
                condition=Q(hotline_held__gt=0, dose=1),
                name="slot_hotline_hold_ends",
            ),
        ]

    def __str__(self) -> str:
        local = formats.date_format(timezone.localtime(self.starts_at), "SHORT_DATETIME_FORMAT")
        return f"{self.center} {local} ({self.vaccine})"

    @property
    def free_seats(self) -> int:
        return self.capacity - self.booked

    @property
    def is_first_dose(self) -> bool:
        return self.dose == self.Dose.FIRST


class SlotRelease(models.Model):
    """One bulk release of first-dose appointments and their second-dose seats.

    Kept so that a second release over the same days and hours of the same
    vaccine can be refused, and so that staff and the ministry can see what was
    released, when and by whom. The slots themselves carry no link back: seats
    of two releases may share a slot (a second-dose time of one release can be
    a first-dose time of the next).
    """

    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="releases",
        verbose_name=_("vaccination center"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="releases", verbose_name=_("vaccine")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    # ISO weekdays as digits, Monday = "1" ... Sunday = "7", e.g. "123456".
    weekdays = models.CharField(_("weekdays"), max_length=7)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    interval_minutes = models.PositiveSmallIntegerField(_("minutes between appointments"))
    lanes = models.PositiveSmallIntegerField(_("parallel lanes"))
    second_dose_days = models.PositiveSmallIntegerField(_("days until the second dose"))
    appointments = models.PositiveIntegerField(_("first-dose appointments"))
    doses = models.PositiveIntegerField(_("doses bound"))
    # The hotline's share (issue 19; 0 = off): that many percent of the first-dose
    # appointments are held for hotline agents for ``hotline_hours`` after the release.
    hotline_share = models.PositiveSmallIntegerField(_("hotline share in percent"), default=0)
    hotline_hours = models.PositiveSmallIntegerField(_("hours held for the hotline"), default=0)
    hotline_appointments = models.PositiveIntegerField(
        _("appointments held for the hotline"), default=0
    )
    hotline_until = models.DateTimeField(_("held for the hotline until"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), default=timezone.now)

    class Meta:
        verbose_name = _("slot release")
        verbose_name_plural = _("slot releases")
        ordering = ["-released_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="release_days_in_order"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="release_hours_in_order"
            ),
            models.CheckConstraint(
                condition=Q(lanes__gt=0) & Q(interval_minutes__gt=0),
                name="release_has_lanes_and_interval",
            ),
            models.CheckConstraint(
                condition=Q(hotline_share=0, hotline_appointments=0, hotline_until__isnull=True)
                | Q(
                    hotline_share__gt=0,
                    hotline_share__lte=100,
                    hotline_hours__gt=0,
                    hotline_until__isnull=False,
                ),
                name="release_hotline_share_has_hours",
            ),
        ]

    def __str__(self) -> str:
        first = formats.date_format(self.first_day, "SHORT_DATE_FORMAT")
        if self.last_day == self.first_day:
            return f"{self.vaccine} {first}"
        last = formats.date_format(self.last_day, "SHORT_DATE_FORMAT")
        return f"{self.vaccine} {first} \N{EN DASH} {last}"


class AuditEntry(models.Model):
    """Who changed what at a center, and when; written in the transaction of the change.

    Django's own LogEntry has no center and so cannot be shown to a center's
    staff for their center only; it is still written for admin edits.
    ``details`` holds plain facts (counts, days, changed fields) that
    ``centers.audit.describe`` turns into a sentence in the reader's language.
    """

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")
        EXPORTED = "exported", _("exported")
        RELEASED = "released", _("slots released")
        CHECKED_IN = "checked_in", _("checked in")
        NO_SHOW = "no_show", _("marked as not come")
        DAY_CLOSED = "day_closed", _("closed with the day")
        DAY_CANCELLED = "day_cancelled", _("cancelled with the day")

    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("vaccination center"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as text too, so the entry still says who when the account is deleted.
    username = models.CharField(_("user name"), max_length=150)
    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Action)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["center", "-at"], name="audit_by_center_time")]

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display()} {self.object_repr}"
