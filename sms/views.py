from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from impfportal.ratelimits import limit_posts
from sms import services
from sms.errors import VerificationError
from sms.forms import CodeForm, PhoneForm
from sms.phone import mask, parse_phone_number
from sms.session import NEXT_STEP, NEXT_STEPS, PENDING_PHONE, mark_verified


@require_http_methods(["GET", "POST"])
def phone(request):
    """Step 1 of verification: which number should get the code."""
    form = PhoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["phone"]
        try:
            services.request_code(number)
        except VerificationError as error:
            form.add_error("phone", str(error))
        else:
            request.session[PENDING_PHONE] = number.e164
            return redirect("sms:code")
    return render(request, "sms/phone.html", {"form": form})


def _pending_phone(request) -> str | None:
    return request.session.get(PENDING_PHONE)


@require_http_methods(["GET", "POST"])
@limit_posts("code_check", number=_pending_phone)
def code(request):
    """Step 2: the code that was sent. Success rotates the session."""
    pending = request.session.get(PENDING_PHONE)
    if not pending:
        return redirect("sms:phone")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_code(pending, form.cleaned_data["code"])
        except VerificationError as error:
            form.add_error("code", str(error))
        else:
            mark_verified(request, pending)
            next_step = request.session.pop(NEXT_STEP, None)
            return redirect(next_step if next_step in NEXT_STEPS else "booking:people")
    is_mobile = parse_phone_number(pending).is_mobile
    return render(
        request,
        "sms/code.html",
        {"form": form, "masked_phone": mask(pending), "is_mobile": is_mobile},
    )


@require_POST
def resend(request):
    pending = request.session.get(PENDING_PHONE)
    if not pending:
        return redirect("sms:phone")
    try:
        services.request_code(parse_phone_number(pending))
    except VerificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("We have sent you a new code. The old code is no longer valid.")
        )
    return redirect("sms:code")


@require_POST
def logout(request):
    request.session.flush()
    messages.success(request, _("You have been logged out."))
    return redirect("centers:start")
