"""Forms of the staff admin pages of the centers app."""

from datetime import time, timedelta
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers import release as releases
from centers.errors import CenterError
from centers.models import Center, Delivery, Vaccine
from centers.stock import check_delivery_reduction

# The browsers' own date and time pickers: no JavaScript needed, ISO values posted.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

WEEKDAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class DeliveryForm(forms.ModelForm):
    """A delivery as it arrived: a positive number of doses, on a day that has come."""

    doses = forms.IntegerField(
        label=_("doses"),
        min_value=1,
        max_value=1_000_000,
        error_messages={
            "min_value": _("Enter the number of doses delivered: at least 1."),
            "max_value": _("That is more doses than one delivery can hold. Please check."),
        },
    )

    class Meta:
        model = Delivery
        fields = ["center", "vaccine", "doses", "delivered_on"]

    def clean_delivered_on(self):
        day = self.cleaned_data["delivered_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("Record a delivery when it has arrived: the date cannot be in the future.")
            )
        return day

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        doses = cleaned.get("doses")
        if self.instance.pk and doses is not None and doses < self.instance.doses:
            try:
                check_delivery_reduction(delivery=self.instance, doses=doses)
            except CenterError as error:
                self.add_error("doses", str(error))
        return cleaned


class ReleaseForm(forms.Form):
    """The bulk release: which days, which hours, how often, how many lanes."""

    center: "forms.ModelChoiceField[Center]" = forms.ModelChoiceField(
        label=_("Vaccination center"), queryset=None
    )
    vaccine = forms.ModelChoiceField(label=_("Vaccine"), queryset=Vaccine.objects.all())
    first_day = forms.DateField(label=_("First day"), widget=DATE_INPUT)
    last_day = forms.DateField(label=_("Last day"), widget=DATE_INPUT)
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one weekday.")},
    )
    opens_at = forms.TimeField(label=_("First appointment at"), widget=TIME_INPUT)
    closes_at = forms.TimeField(
        label=_("Closing time"),
        help_text=_("The last appointment ends by then."),
        widget=TIME_INPUT,
    )
    interval_minutes = forms.IntegerField(
        label=_("Minutes between appointments"),
        min_value=releases.MIN_INTERVAL_MINUTES,
        max_value=releases.MAX_INTERVAL_MINUTES,
    )
    lanes = forms.IntegerField(
        label=_("Parallel lanes"),
        help_text=_("How many people can be vaccinated at the same time."),
        min_value=1,
        max_value=releases.MAX_LANES,
        error_messages={"min_value": _("At least one lane is needed.")},
    )
    include_holidays = forms.BooleanField(
        label=_("Also on public holidays"),
        help_text=_(
            "Without this, days that are public holidays, or whose second dose falls on "
            "one, are left out."
        ),
        required=False,
    )
    hotline_share = forms.IntegerField(
        label=_("Share for the hotline (percent)"),
        help_text=_(
            "This share of the first-dose appointments can at first be booked only by "
            "the hotline's agents for callers. 0 means none (the default)."
        ),
        required=False,
        min_value=0,
        max_value=100,
        error_messages={
            "min_value": _("Enter a share between 0 and 100 percent."),
            "max_value": _("Enter a share between 0 and 100 percent."),
            "invalid": _("Enter the share as a whole number between 0 and 100."),
        },
    )
    hotline_hours = forms.IntegerField(
        label=_("Hours held for the hotline"),
        help_text=_(
            "After these hours the appointments the hotline has not booked are free for "
            "everyone; the waiting list gets them first."
        ),
        required=False,
        min_value=1,
        max_value=releases.MAX_HOTLINE_HOURS,
        error_messages={
            "min_value": _("Enter at least 1 hour."),
            "max_value": _("Hold the appointments for at most %(limit_value)s hours."),
            "invalid": _("Enter the hours as a whole number."),
        },
    )

    def __init__(self, *args, centers, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields is typed as plain Field; this one is the declared model choice field.
        cast(forms.ModelChoiceField, self.fields["center"]).queryset = centers
        self.plan: releases.ReleasePlan | None = None

    @classmethod
    def initial_for(cls, centers) -> dict:
        tomorrow = timezone.localdate() + timedelta(days=1)
        initial = {
            "first_day": tomorrow,
            "last_day": tomorrow + timedelta(days=6),
            "weekdays": ["1", "2", "3", "4", "5", "6"],
            "opens_at": time(8),
            "closes_at": time(18),
            "interval_minutes": 10,
            "lanes": 2,
            "hotline_share": 0,
        }
        if len(centers) == 1:
            initial["center"] = centers[0]
        return initial

    def release_request(self) -> releases.ReleaseRequest:
        data = self.cleaned_data
        return releases.ReleaseRequest(
            center=data["center"],
            vaccine=data["vaccine"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            weekdays=frozenset(int(day) for day in data["weekdays"]),
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            interval_minutes=data["interval_minutes"],
            lanes=data["lanes"],
            include_holidays=data.get("include_holidays", False),
            hotline_share=data.get("hotline_share") or 0,
            hotline_hours=(data.get("hotline_hours") or 0) if data.get("hotline_share") else 0,
        )

    def clean(self):
        cleaned = super().clean() or {}
        share, hours = cleaned.get("hotline_share"), cleaned.get("hotline_hours")
        if share and not hours and "hotline_hours" not in self.errors:
            self.add_error(
                "hotline_hours",
                _("Enter for how many hours the hotline's share is held (at least 1)."),
            )
        if not self.errors:
            try:
                self.plan = releases.plan_release(self.release_request())
            except CenterError as error:
                raise forms.ValidationError(str(error)) from None
        return cleaned
