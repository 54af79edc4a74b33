"""The console's forms. Dates of birth are asked as the residents' forms ask
them (day, month, year), with the same checks (``booking.forms.PersonForm``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import PersonForm
from hotline.codes import normalise_booking_code

BOOKING_CODE_HELP = _("As the caller reads it out, e.g. ACDE-FGHJ; spaces and case do not matter.")


def _booking_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Booking code"),
        max_length=30,
        help_text=BOOKING_CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": "12"}),
        error_messages={"required": _("Please enter the booking code.")},
    )


def _clean_booking_code(raw: str) -> str:
    code = normalise_booking_code(raw)
    if code is None:
        raise forms.ValidationError(
            _(
                "A booking code has 8 letters and digits, e.g. ACDE-FGHJ. Please check "
                "the entry with the caller."
            )
        )
    return code


class _DateOfBirthForm(PersonForm):
    """PersonForm's date of birth only."""

    first_name = None
    last_name = None
    postal_code = None


class PhoneSearchForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        error_messages={"required": _("Please enter the phone number.")},
    )


class CodeSearchForm(forms.Form):
    booking_code = _booking_code_field()

    def clean_booking_code(self) -> str:
        return _clean_booking_code(self.cleaned_data["booking_code"])


class NameSearchForm(PersonForm):
    """Last name and date of birth; the first name narrows it down."""

    first_name = forms.CharField(label=_("First name (optional)"), max_length=100, required=False)
    postal_code = None

    def clean_first_name(self) -> str:
        value = self.cleaned_data.get("first_name", "")
        return " ".join(value.split())


class BookingCodeCheckForm(_DateOfBirthForm):
    booking_code = _booking_code_field()

    field_order = ["booking_code", "birth_day", "birth_month", "birth_year"]

    def clean_booking_code(self) -> str:
        return _clean_booking_code(self.cleaned_data["booking_code"])


class ReadBackForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code the caller reads back"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "size": "8"}),
        error_messages={"required": _("Please enter the code.")},
    )


class NewCallerForm(forms.Form):
    phone = forms.CharField(
        label=_("The number the caller gives"),
        help_text=_("A landline gets a call that reads the code out; a mobile gets a text."),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        error_messages={"required": _("Please enter the phone number.")},
    )


class BookForm(forms.Form):
    slot = forms.IntegerField(
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a time."),
            "invalid": _("Please choose a time."),
        },
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This page was out of date. Please choose the time again."),
            "invalid": _("This page was out of date. Please choose the time again."),
        },
    )
