"""The statistics pages' filters: a date range and what the figures are for.

Every field may be left out (the default is the last 14 days, state-wide), so
a bare link to the page shows figures; bad input gets a message on the page.
"""

from datetime import date, timedelta
from typing import cast

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from centers.models import Center
from stats.figures import STATE, Scope

DEFAULT_DAYS = 14
MAX_DAYS = 366
FIRST_DAY = date(2020, 12, 1)  # before the first vaccination there is nothing to count


class IsoDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        # A date input needs ISO values; typed dates (old browsers) may be German too.
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=IsoDateInput())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        today = timezone.localdate()
        last = today + timedelta(days=MAX_DAYS)
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= last:
                self.add_error(
                    name,
                    _("Please choose a date between %(first)s and %(last)s.")
                    % {
                        "first": formats.date_format(FIRST_DAY, "SHORT_DATE_FORMAT"),
                        "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
                    },
                )
        if self.errors:
            return data
        end = data.get("end") or today
        start = data.get("start") or max(FIRST_DAY, end - timedelta(days=DEFAULT_DAYS - 1))
        if start > end:
            self.add_error("end", _("The end date must not be before the start date."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", _("Please choose at most %(days)d days.") % {"days": MAX_DAYS})
        data["start"], data["end"] = start, end
        return data

    def effective(self) -> dict:
        """The values in force, to show in the form again (the defaults filled in)."""
        return {"start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}


class OverviewForm(PeriodForm):
    scope = forms.ChoiceField(label=_("Area"), required=False)

    def __init__(self, *args, centers: list[Center], **kwargs):
        super().__init__(*args, **kwargs)
        self._centers = {f"center:{c.slug}": c for c in centers}
        self._districts = {f"district:{c.district.slug}": c.district for c in centers}
        cast(forms.ChoiceField, self.fields["scope"]).choices = [
            ("", _("Lower Saxony (whole state)")),
            (
                _("Districts"),
                sorted(((key, d.name) for key, d in self._districts.items()), key=lambda c: c[1]),
            ),
            (_("Centers"), [(key, c.name) for key, c in self._centers.items()]),
        ]

    def clean_scope(self) -> Scope:
        key = self.cleaned_data["scope"]
        if key in self._centers:
            return Scope("center", center=self._centers[key])
        if key in self._districts:
            return Scope("district", district=self._districts[key])
        return STATE

    def effective(self) -> dict:
        scope = self.cleaned_data["scope"]
        key = ""
        if scope.center is not None:
            key = f"center:{scope.center.slug}"
        elif scope.district is not None:
            key = f"district:{scope.district.slug}"
        return {**super().effective(), "scope": key}


class BreakdownForm(PeriodForm):
    BY_CHOICES = [("district", _("per district")), ("center", _("per center"))]
    by = forms.ChoiceField(label=_("Figures"), required=False, choices=BY_CHOICES)

    def clean_by(self) -> str:
        return self.cleaned_data["by"] or "district"

    def effective(self) -> dict:
        return {**super().effective(), "by": self.cleaned_data["by"]}
