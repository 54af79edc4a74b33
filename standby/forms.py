from datetime import date, timedelta

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from centers.models import Center
from standby.services import DAYS_AHEAD, TRAVEL_MINUTES


class JoinForm(forms.Form):
    """Who, where and which day; and the promise to be there within 45 minutes."""

    person = forms.TypedChoiceField(
        label=_("Who can come at short notice?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose who can come."),
            "invalid_choice": _("Please choose one of the people shown."),
        },
    )
    center = forms.ModelChoiceField(
        label=_("Vaccination center"),
        queryset=Center.objects.order_by("district__name", "name"),
        empty_label=None,
        error_messages={"invalid_choice": _("Please choose one of the centers shown.")},
    )
    day = forms.ChoiceField(
        label=_("Day"),
        error_messages={"invalid_choice": _("Please choose one of the days shown.")},
    )
    within_reach = forms.BooleanField(
        label=_("I can be at the center within %(minutes)d minutes of a text message.")
        % {"minutes": TRAVEL_MINUTES},
        error_messages={
            "required": _(
                "Please confirm that you can be at the center within %(minutes)d minutes."
            )
            % {"minutes": TRAVEL_MINUTES}
        },
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people}
        self.fields["person"].choices = [(p.pk, str(p)) for p in people]  # type: ignore[attr-defined]
        today = timezone.localdate()
        days = [today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)]
        self.fields["day"].choices = [  # type: ignore[attr-defined]
            (
                day.isoformat(),
                _("Today") if day == today else formats.date_format(day, "l, j. F"),
            )
            for day in days
        ]
        self.fields["day"].initial = today.isoformat()

    def clean_day(self):
        return date.fromisoformat(self.cleaned_data["day"])

    def clean_person(self):
        return self.people[self.cleaned_data["person"]]
