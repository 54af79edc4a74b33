"""The second factor: set up an authenticator app once, then enter its code after each login."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff_auth.forms import ThrottledLoginForm, TokenForm


class ThrottledLoginView(auth_views.LoginView):
    """A login outside the admin (the statistics', the hotline's): failed logins
    are counted per account and address, and a locked login is refused with a
    plain message (``staff_auth.throttle``), answered with 429."""

    form_class = ThrottledLoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="locked"):
            response.status_code = 429
        return response


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index") if request.user.is_staff else reverse("stats:overview")


def _complete(request, device: TOTPDevice):
    otp_login(request, device)
    # A new session id for the higher privilege (as Django's login does).
    request.session.cycle_key()
    return redirect(_next(request))


def _refused(device: TOTPDevice) -> str | None:
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return _("Too many wrong codes. Please wait a minute and enter the current code.")
    return None


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Step 2 of a staff login: the current code of the app set up before."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse('staff_auth:enrol')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        refused = _refused(device)
        if refused:
            form.add_error("token", refused)
        elif device.verify_token(form.cleaned_data["token"]):
            return _complete(request, device)
        else:
            form.add_error("token", _("The code is not correct. Please enter the current code."))
    return render(request, "staff_auth/verify.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code.

    Only an account without a confirmed app may do this itself; to replace a
    lost phone an operator deletes the old device in the admin.
    """
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('staff_auth:verify')}?{request.GET.urlencode()}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name=_("Authenticator app"), confirmed=False
        )
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        refused = _refused(device)
        if refused:
            form.add_error("token", refused)
        elif device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            messages.success(request, _("Your authenticator app is set up."))
            return _complete(request, device)
        else:
            form.add_error("token", _("The code is not correct. Please enter the current code."))
    uri = device.config_url
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "staff_auth/enrol.html",
        {
            "form": form,
            "next": _next(request),
            "otpauth_uri": uri,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            # An image in a data: URI (allowed by the CSP), drawn here: no external service.
            "qr_code": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        },
    )
