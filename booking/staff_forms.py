"""Forms of the staff pages for a whole day (close it, cancel it)."""

from datetime import date
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from centers.admin_forms import DATE_INPUT
from centers.models import Center, Vaccine


class DayForm(forms.Form):
    center: "forms.ModelChoiceField[Center]" = forms.ModelChoiceField(
        label=_("Vaccination center"), queryset=None
    )
    day = forms.DateField(label=_("Day"), widget=DATE_INPUT)

    def __init__(self, *args, centers, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields is typed as plain Field; this one is the declared model choice field.
        cast(forms.ModelChoiceField, self.fields["center"]).queryset = centers

    @classmethod
    def initial_for(cls, centers, day: date) -> dict:
        initial = {"day": day}
        if len(centers) == 1:
            initial["center"] = centers[0]
        return initial


class CancelDayForm(DayForm):
    vaccine = forms.ModelChoiceField(
        label=_("Vaccine"),
        queryset=Vaccine.objects.all(),
        required=False,
        empty_label=_("All vaccines"),
        help_text=_("For example, when the delivery of one vaccine did not arrive."),
    )
