from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from centers.models import Center, Slot, Vaccine


class PriorityGroup(models.Model):
    """An age group the ministry invites, e.g. "80 and older" (rank 1 goes first)."""

    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"))

    class Meta:
        verbose_name = _("priority group")
        verbose_name_plural = _("priority groups")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class VaccineOpening(models.Model):
    """The ministry opened a vaccine to a group, for booking or only for the waiting list.

    ``opened_at`` may lie ahead: the opening takes effect at that moment (the
    morning of a scheduled opening). A group may wait for a vaccine now and
    book it from a later moment: one row per scope.
    """

    class Scope(models.TextChoices):
        BOOKING = "booking", _("booking")
        WAITLIST = "waitlist", _("waiting list only")

    group = models.ForeignKey(
        PriorityGroup,
        on_delete=models.CASCADE,
        related_name="openings",
        verbose_name=_("priority group"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.CASCADE, related_name="openings", verbose_name=_("vaccine")
    )
    scope = models.CharField(_("opened for"), max_length=10, choices=Scope)
    opened_at = models.DateTimeField(
        _("opened at"),
        default=timezone.now,
        help_text=_("May lie in the future: the opening takes effect at that moment."),
    )

    class Meta:
        verbose_name = _("vaccine opening")
        verbose_name_plural = _("vaccine openings")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "vaccine", "scope"], name="one_opening_per_group_vaccine_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vaccine} → {self.group} ({self.get_scope_display()})"


class Household(models.Model):
    """The people booked under one verified phone number (e.g. a couple)."""

    phone = models.CharField(_("phone number"), max_length=20, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return _("household %(id)d") % {"id": self.pk}


class Person(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="people", verbose_name=_("household")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    postal_code = models.CharField(_("postal code"), max_length=5)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "first_name", "last_name", "date_of_birth"],
                name="person_once_per_household",
            )
        ]

    # A person put on the list by telephone has no name the keypad could give;
    # the center (or an agent) corrects it when they come.
    PHONE_FIRST_NAME = "Anrufende Person"
    PHONE_LAST_NAME = "(Sprachtelefon)"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def name_unknown(self) -> bool:
        """Put on the list by the voice line, with no name yet."""
        return (self.first_name, self.last_name) == (self.PHONE_FIRST_NAME, self.PHONE_LAST_NAME)

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class SeriesQuerySet(models.QuerySet["Series"]):
    def active(self) -> "SeriesQuerySet":
        """Series still booked (neither cancelled nor completed): a person holds at
        most one (``one_active_series_per_person``). ``person.series.active()`` too."""
        return self.filter(status=Series.Status.ACTIVE)

    def awaiting_second_dose(self) -> "SeriesQuerySet":
        """Active series whose second dose lost its seat and waits for a new one."""
        return self.active().filter(awaiting_second_dose_since__isnull=False)


class Series(models.Model):
    """A first and a second dose, booked together and cancelled together."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        COMPLETED = "completed", _("completed")

    class CancelReason(models.TextChoices):
        VACCINATED_ELSEWHERE = "elsewhere", _("Already vaccinated elsewhere (e.g. family doctor)")
        DATE_UNSUITABLE = "date", _("The date does not suit me")
        ILLNESS = "illness", _("Illness")
        OTHER = "other", _("Other reason")
        CENTER = "center", _("Cancelled by the vaccination center")
        NO_SHOW = "no_show", _("Did not come to the first dose")
        NONE = "", _("No reason given")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="series", verbose_name=_("person")
    )
    center = models.ForeignKey(
        Center,
        on_delete=models.PROTECT,
        related_name="series",
        verbose_name=_("vaccination center"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="series", verbose_name=_("vaccine")
    )
    booking_code = models.CharField(_("booking code"), max_length=9, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    # The token of the form that booked it: a resubmitted form finds this series
    # instead of booking again.
    request_token = models.UUIDField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(
        _("reason"), max_length=10, choices=CancelReason, blank=True, default=""
    )
    # The center cancelled the day of the second dose and no other second-dose
    # seat was free: the person is first in line for the next one (oldest first).
    awaiting_second_dose_since = models.DateTimeField(
        _("waiting for a second-dose appointment since"), null=True, blank=True
    )

    objects = SeriesQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment series")
        # English says "series" for one and for many; German does not.
        verbose_name_plural = pgettext_lazy("plural", "appointment series")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="one_active_series_per_person",
            ),
        ]
        indexes = [
            models.Index(
                fields=["center", "vaccine", "awaiting_second_dose_since"],
                condition=Q(awaiting_second_dose_since__isnull=False),
                name="series_awaiting_second_dose",
            )
        ]

    def __str__(self) -> str:
        return self.booking_code

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def of_active_series(self) -> "AppointmentQuerySet":
        """Appointments whose series is active (``SeriesQuerySet.active``), as a join:
        ``series__in=Series.objects.active()`` would read every active series."""
        return self.filter(series__status=Series.Status.ACTIVE)


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        ATTENDED = "attended", _("vaccinated")
        NO_SHOW = "no_show", _("did not come")

    series = models.ForeignKey(
        Series,
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("appointment series"),
    )
    dose = models.PositiveSmallIntegerField(_("dose"), choices=[(1, _("first")), (2, _("second"))])
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("slot")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.BOOKED)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["dose"]
        # Appointments change only through booking.staff, under these two rights.
        permissions = [
            ("check_in", _("Can check people in and mark no-shows")),
            ("cancel_day", _("Can cancel every appointment of a day")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "dose"], name="one_appointment_per_dose"),
        ]

    def __str__(self) -> str:
        return _("%(code)s dose %(dose)d") % {"code": self.series, "dose": self.dose}
