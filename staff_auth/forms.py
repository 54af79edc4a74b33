from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff_auth import throttle


class ThrottledLoginMixin:
    """Refuses a login while its account or address is locked (staff_auth.throttle)."""

    def clean(self):
        request = getattr(self, "request", None)
        username = self.cleaned_data.get("username")  # type: ignore[attr-defined]
        if username and request is not None and throttle.is_locked(request, username):
            minutes = settings.STAFF_LOGIN_WINDOW_MINUTES
            raise forms.ValidationError(
                ngettext(
                    "Too many failed logins. To protect the account, logging in is paused "
                    "for up to %(minutes)d minute. Please try again later.",
                    "Too many failed logins. To protect the account, logging in is paused "
                    "for up to %(minutes)d minutes. Please try again later.",
                    minutes,
                )
                % {"minutes": minutes},
                code="locked",
            )
        return super().clean()  # type: ignore[misc]


class StaffLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login."""


class ThrottledLoginForm(ThrottledLoginMixin, AuthenticationForm):
    """A login outside the admin: the statistics' and the hotline's."""


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("The 6-digit code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": "8"}
        ),
        error_messages={"required": _("Please enter the code.")},
    )

    def clean_token(self) -> str:
        token = "".join(ch for ch in self.cleaned_data["token"] if ch not in " -")
        if len(token) != 6 or not token.isascii() or not token.isdigit():
            raise forms.ValidationError(_("The code has 6 digits. Please check your entry."))
        return token
