"""Twilio Voice webhooks. Only requests signed with our Twilio auth token are
answered (X-Twilio-Signature over the public URL and the posted form); any
other gets 403. Answers are TwiML in German (``hotline.voice.calls``)."""

import functools
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hotline.voice import calls
from sms.delivery import is_signed_by_twilio

logger = logging.getLogger(__name__)


def twilio_webhook(view):
    """POST only, CSRF-exempt (Twilio cannot send our token; it signs instead),
    signature checked, German active, the call's state loaded and saved."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        url = settings.HOTLINE_VOICE_BASE_URL + request.get_full_path()
        signed = settings.HOTLINE_VOICE_BASE_URL and is_signed_by_twilio(
            url=url,
            params=request.POST,
            signature=request.headers.get("X-Twilio-Signature", ""),
            settings_header=request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""),
        )
        if not signed:
            logger.warning("voice webhook with a missing or wrong signature refused")
            return HttpResponseForbidden()
        sid = request.POST.get("CallSid", "")
        if not sid:
            return HttpResponseBadRequest()
        call = calls.Call.load(
            sid=sid, caller=request.POST.get("From", ""), called=request.POST.get("To", "")
        )
        with translation.override("de"):
            body = view(request, call, *args, **kwargs)
        call.save()
        return HttpResponse(body, content_type="text/xml; charset=utf-8")

    return wrapper


def _tries(request) -> int:
    try:
        return max(0, int(request.GET.get("t", "0")))
    except ValueError:
        return 0


@twilio_webhook
def incoming(request, call: calls.Call) -> str:
    """A call to the voice line: the main menu."""
    return calls.ask("menu", call, before=calls.greeting())


@twilio_webhook
def step(request, call: calls.Call, name: str) -> str:
    if name not in calls.STEPS:
        return calls.give_up()
    digits = request.POST.get("Digits", "").strip()
    return calls.answer(name, call, digits=digits, tries=_tries(request))


@twilio_webhook
def offer_call(request, call: calls.Call, message_id: int) -> str:
    """An offer call placed by the outbox was answered."""
    return calls.start_offer_call(call, message_id)
