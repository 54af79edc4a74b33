from django import forms
from django.utils.translation import gettext_lazy as _


class OfferLeftoversForm(forms.Form):
    doses = forms.IntegerField(
        label=_("Leftover doses to offer"),
        min_value=1,
        max_value=50,
        error_messages={
            "required": _("Please enter how many doses are left."),
            "invalid": _("Please enter a whole number."),
            "min_value": _("Please enter at least 1."),
            "max_value": _("Please enter at most %(limit_value)s."),
        },
    )
