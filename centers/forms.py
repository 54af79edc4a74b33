from django import forms
from django.utils.translation import gettext_lazy as _


class CenterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Town or postal code"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "postal-code"}),
    )

    def clean_q(self) -> str:
        # Control characters never belong in a town name or postal code.
        text = "".join(ch for ch in self.cleaned_data["q"] if ch.isprintable())
        return " ".join(text.split())
