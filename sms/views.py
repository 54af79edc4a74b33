import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from impfportal.durations import describe_seconds
from limits.ratelimits import limit_posts
from sms import services
from sms.delivery import code_delivery, is_signed_by_twilio, record_delivery_report
from sms.errors import VerificationError
from sms.forms import CodeForm, PhoneForm
from sms.limits import CodeLimitReached, count_code_request
from sms.phone import mask, parse_phone_number
from sms.session import NEXT_STEP, NEXT_STEPS, PENDING_PHONE, mark_verified

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def phone(request):
    """Step 1 of verification: which number should get the code."""
    form = PhoneForm(request.POST if request.method == "POST" else None)
    offer_call = False
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["phone"]
        by_voice = form.cleaned_data["by_voice"]
        try:
            count_code_request(request, phone=number, by_voice=by_voice)
            services.request_code(number, by_voice=by_voice)
        except VerificationError as error:
            form.add_error("phone", str(error))
            offer_call = isinstance(error, CodeLimitReached) and error.offer_call
        else:
            request.session[PENDING_PHONE] = number.e164
            return redirect("sms:code")
    return render(
        request,
        "sms/phone.html",
        {"form": form, "offer_call": offer_call, "typed_phone": form.data.get("phone", "")},
    )


def _pending_phone(request) -> str | None:
    return request.session.get(PENDING_PHONE)


@require_http_methods(["GET", "POST"])
@limit_posts("code_check", number=_pending_phone)
def code(request):
    """Step 2: the code that was sent, and how far it got. Success rotates the session."""
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
    new_code_needed = services.why_a_new_code_is_needed(pending)
    delivery = code_delivery(pending)
    is_mobile = parse_phone_number(pending).is_mobile
    return render(
        request,
        "sms/code.html",
        {
            "form": form,
            # Used up, expired or never sent: only a new code helps now.
            "new_code_needed": [new_code_needed] if new_code_needed else [],
            "masked_phone": mask(pending),
            "is_mobile": is_mobile,
            "by_voice": not is_mobile or (delivery is not None and delivery.channel == "voice"),
            "delivery": delivery,
            "code_valid": describe_seconds(settings.VERIFICATION_CODE_TTL_SECONDS),
        },
    )


def _send_new_code(request, *, by_voice: bool, success: str):
    pending = request.session.get(PENDING_PHONE)
    if not pending:
        return redirect("sms:phone")
    number = parse_phone_number(pending)
    try:
        count_code_request(request, phone=number, by_voice=by_voice)
        services.request_code(number, by_voice=by_voice)
    except VerificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("sms:code")


@require_POST
def resend(request):
    return _send_new_code(
        request,
        by_voice=False,
        success=_("We have sent you a new code. The old code is no longer valid."),
    )


@require_POST
def call_instead(request):
    """The SMS did not arrive: read a new code out by a call to the same number."""
    return _send_new_code(
        request,
        by_voice=True,
        success=_("We will call you now and read out a new code. The old code is no longer valid."),
    )


@require_POST
def logout(request):
    request.session.flush()
    messages.success(request, _("You have been logged out."))
    return redirect("centers:start")


@csrf_exempt  # Twilio cannot send our CSRF token; its signature is checked instead.
@require_POST
def status_callback(request):
    """Twilio reports how far an SMS or call got. Unsigned or forged requests get 403."""
    query = request.META.get("QUERY_STRING", "")
    url = settings.TWILIO_STATUS_CALLBACK_URL + (f"?{query}" if query else "")
    signed = is_signed_by_twilio(
        url=url,
        params=request.POST,
        signature=request.headers.get("X-Twilio-Signature", ""),
        settings_header=request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""),
    )
    if not settings.TWILIO_STATUS_CALLBACK_URL or not signed:
        logger.warning("status callback with a missing or wrong signature refused")
        return HttpResponseForbidden()
    sid = request.POST.get("MessageSid") or request.POST.get("CallSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    try:
        message_id = int(request.GET.get("m", ""))
    except ValueError:
        return HttpResponse(status=400)
    record_delivery_report(
        message_id=message_id,
        sid=sid,
        provider_status=status,
        error_code=request.POST.get("ErrorCode", ""),
    )
    # Twilio retries anything but 2xx; a report we do not apply is still received.
    return HttpResponse(status=204)
