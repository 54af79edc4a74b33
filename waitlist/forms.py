from typing import cast

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from waitlist.models import ALL_WEEKDAYS, Entry


class PreferencesForm(forms.Form):
    """When the person could come, and which vaccines they would take.

    No day ticked means every day suits. The vaccine question is asked only
    when the person may get more than one vaccine.
    """

    vaccines = forms.TypedMultipleChoiceField(
        label=_("Which vaccines would you accept?"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Please choose at least one vaccine."),
            "invalid_choice": _("Please choose only from the vaccines shown."),
        },
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On which days could you come?"),
        help_text=_("Tick nothing if every day suits you."),
        choices=[(str(number), name) for number, name in WEEKDAYS.items()],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Please choose only from the days shown.")},
    )
    time_of_day = forms.ChoiceField(
        label=_("At what time of day?"),
        choices=Entry.TimeOfDay.choices,
        initial=Entry.TimeOfDay.ANY,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a time of day."),
            "invalid_choice": _("Please choose a time of day."),
        },
    )

    def __init__(self, *args, vaccines, **kwargs):
        super().__init__(*args, **kwargs)
        self.vaccine_objects = {vaccine.pk: vaccine for vaccine in vaccines}
        if len(vaccines) > 1:
            # self.fields is typed as plain Field; this one is the declared choice field.
            cast(forms.TypedMultipleChoiceField, self.fields["vaccines"]).choices = [
                (str(v.pk), v.name) for v in vaccines
            ]
            self.fields["vaccines"].initial = [str(v.pk) for v in vaccines]
        else:
            del self.fields["vaccines"]

    @property
    def asks_vaccines(self) -> bool:
        return "vaccines" in self.fields

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        chosen = cleaned.get("vaccines") if self.asks_vaccines else list(self.vaccine_objects)
        cleaned["vaccine_list"] = [self.vaccine_objects[pk] for pk in chosen or []]
        days = cleaned.get("weekdays") or []
        cleaned["weekday_mask"] = sum(1 << day for day in set(days)) or ALL_WEEKDAYS
        return cleaned
