import re
from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking.models import Series
from centers.models import Slot

POSTAL_CODE = re.compile(r"^\d{5}$")
OLDEST_AGE = 120


def _printable(text: str) -> str:
    return " ".join("".join(ch for ch in text if ch.isprintable()).split())


def _text_field(label, *, max_length: int, autocomplete: str, required_message, numeric=False):
    attrs = {"autocomplete": autocomplete}
    if numeric:
        attrs |= {"inputmode": "numeric", "size": str(max_length)}
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": required_message},
    )


class PersonForm(forms.Form):
    """Who is to be vaccinated. The date of birth is asked as day, month and year,
    three small boxes, which older people fill in more reliably than one date field."""

    first_name = _text_field(
        _("First name"),
        max_length=100,
        autocomplete="given-name",
        required_message=_("Please enter the first name."),
    )
    last_name = _text_field(
        _("Last name"),
        max_length=100,
        autocomplete="family-name",
        required_message=_("Please enter the last name."),
    )
    birth_day = _text_field(
        _("Day"),
        max_length=2,
        autocomplete="bday-day",
        required_message=_("Please enter the day of birth."),
        numeric=True,
    )
    birth_month = _text_field(
        _("Month"),
        max_length=2,
        autocomplete="bday-month",
        required_message=_("Please enter the month of birth."),
        numeric=True,
    )
    birth_year = _text_field(
        _("Year"),
        max_length=4,
        autocomplete="bday-year",
        required_message=_("Please enter the year of birth."),
        numeric=True,
    )
    postal_code = _text_field(
        _("Postal code"),
        max_length=5,
        autocomplete="postal-code",
        required_message=_("Please enter the postal code."),
        numeric=True,
    )

    def clean_first_name(self) -> str:
        return self._clean_name("first_name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")

    def _clean_name(self, field: str) -> str:
        name = _printable(self.cleaned_data[field])
        if not name:
            raise forms.ValidationError(self.fields[field].error_messages["required"])
        if any(ch.isdigit() for ch in name):
            raise forms.ValidationError(_("A name cannot contain digits."))
        return name

    def clean_postal_code(self) -> str:
        code = self.cleaned_data["postal_code"].strip()
        if not POSTAL_CODE.match(code):
            raise forms.ValidationError(_("A postal code has 5 digits, e.g. 30159."))
        return code

    def clean(self):
        cleaned = self.cleaned_data
        parts = [
            cleaned.get(name, "").strip() for name in ("birth_day", "birth_month", "birth_year")
        ]
        if not all(parts) or self.has_error("birth_day") or self.has_error("birth_year"):
            return cleaned
        if not all(part.isascii() and part.isdigit() for part in parts):
            self.add_error(
                "birth_day", _("Please enter the date of birth in digits, e.g. 24 3 1941.")
            )
            return cleaned
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            self.add_error("birth_year", _("Please enter the year with 4 digits, e.g. 1941."))
            return cleaned
        try:
            born = date(year, month, day)
        except ValueError:
            self.add_error("birth_day", _("This date does not exist. Please check day and month."))
            return cleaned
        today = timezone.localdate()
        if born > today:
            self.add_error("birth_day", _("The date of birth cannot be in the future."))
        elif today.year - born.year > OLDEST_AGE:
            self.add_error("birth_year", _("Please check the year of birth."))
        else:
            cleaned["date_of_birth"] = born
        return cleaned


class SlotChoiceForm(forms.Form):
    """The first-dose time, plus a token that makes a resubmission book only once."""

    slot = forms.TypedChoiceField(
        label=_("Time of the first dose"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a time."),
            "invalid_choice": _("This time is no longer available. Please choose another one."),
        },
    )
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This page was out of date. Please choose the time again."),
            "invalid": _("This page was out of date. Please choose the time again."),
        },
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = {slot.pk: slot for slot in slots}
        self.times = {
            pk: formats.time_format(timezone.localtime(slot.starts_at), "TIME_OF_DAY_FORMAT")
            for pk, slot in self.slots.items()
        }
        slot_field: forms.TypedChoiceField = self.fields["slot"]  # type: ignore[assignment]
        slot_field.choices = list(self.times.items())

    def time_options(self) -> list[tuple[Slot, str, str]]:
        """(slot, time of day, second-dose hint) for each free time: the hint names
        the day and time of the second-dose seat reserved for it, which the
        booking takes (``second_dose_at``, which ``selectors``' free times bring).

        The labels are made here once per day and time rather than by template
        tags per radio button: the time page is the busiest page of the morning.
        """
        days: dict[date, str] = {}
        options = []
        for pk, slot in self.slots.items():
            second_at = timezone.localtime(slot.second_dose_at)
            day = days.get(second_at.date())
            if day is None:
                day = days[second_at.date()] = formats.date_format(
                    second_at.date(), "WEEKDAY_DATE_FORMAT"
                )
            at = formats.time_format(second_at, "TIME_OF_DAY_FORMAT")
            hint = gettext("second dose on %(day)s at %(time)s") % {"day": day, "time": at}
            options.append((slot, self.times[pk], hint))
        return options

    def clean_slot(self) -> Slot:
        """The chosen one of the free times the form was made with."""
        return self.slots[self.cleaned_data["slot"]]


# The reasons a resident may give. "Cancelled by the vaccination center" and
# "did not come" are recorded by staff and the system, never chosen by residents.
RESIDENT_CANCEL_REASONS = [
    Series.CancelReason.VACCINATED_ELSEWHERE,
    Series.CancelReason.DATE_UNSUITABLE,
    Series.CancelReason.ILLNESS,
    Series.CancelReason.OTHER,
    Series.CancelReason.NONE,
]


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you cancelling? (optional)"),
        choices=[(reason.value, reason.label) for reason in RESIDENT_CANCEL_REASONS],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Please choose one of the reasons shown.")},
    )
