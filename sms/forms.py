from django import forms
from django.utils.translation import gettext_lazy as _

from sms.errors import PhoneError, VerificationError
from sms.phone import PhoneNumber, parse_phone_number
from sms.services import clean_code


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Your phone number"),
        help_text=_(
            "A mobile number gets the code by text message, a landline by an automated call."
        ),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("Please enter your phone number.")},
    )

    # Set by the "call me instead" button shown when a number got too many texts.
    by_voice = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_phone(self) -> PhoneNumber:
        try:
            return parse_phone_number(self.cleaned_data["phone"])
        except PhoneError as error:
            raise forms.ValidationError(str(error)) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": "8"}
        ),
        error_messages={"required": _("Please enter the code.")},
    )

    def clean_code(self) -> str:
        try:
            return clean_code(self.cleaned_data["code"])
        except VerificationError as error:
            raise forms.ValidationError(str(error)) from None
