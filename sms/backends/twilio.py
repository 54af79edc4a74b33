"""Twilio: an SMS to a mobile number, a voice call that reads the text to a landline.

Uses the official SDK with an explicit timeout (it has none by default: one
hanging request would hold a pool thread forever). Failures are sorted into
"retry later" (429, 5xx, 401, timeouts, refused connections) and "never"
(any other 4xx: invalid, unreachable or blocked number).
"""

import math
import os
import re
import threading
import urllib.request

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from sms.backends.base import PermanentSendError, SmsBackend, TransientSendError
from sms.interactive import call_url
from sms.phone import redact

VOICE_LANGUAGE = "de-DE"
# Twilio keeps an undelivered SMS for at most this long (its maximum).
MAX_VALIDITY_SECONDS = 36000
# HTTP statuses worth another try; every other 4xx means the request itself
# (the number) is wrong and will be wrong next time too.
_TRANSIENT_STATUSES = {401, 408, 409, 429}
# A spoken code: single digits separated by spaces ("4 7 1 1 0 8").
_SPOKEN_DIGITS = re.compile(r"\d(?: \d)+")

_PROXIES = {
    scheme: url
    for scheme, url in urllib.request.getproxies().items()
    if scheme in ("http", "https")
}
_VERIFY = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True

REQUIRED_SETTINGS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_FROM",
    "TWILIO_VOICE_FROM",
)


class _HttpClient(TwilioHttpClient):
    """The SDK's client without its request log: it runs for every message
    (tens of thousands a minute) and would only repeat what we log ourselves."""

    def log_request(self, kwargs) -> None:
        pass

    def log_response(self, status_code, response) -> None:
        pass


def voice_twiml(text: str) -> str:
    """TwiML that reads ``text`` in German, each digit of a code on its own
    with a pause after it, so that it can be written down."""
    response = VoiceResponse()
    response.pause(length=1)  # the resident picks up and says hello
    position = 0
    for match in _SPOKEN_DIGITS.finditer(text):
        if before := text[position : match.start()].strip(" ,."):
            response.say(before, language=VOICE_LANGUAGE)
        for digit in match.group().split():
            response.say(digit, language=VOICE_LANGUAGE)
            response.pause(length=1)
        position = match.end()
    if rest := text[position:].strip(" ,."):
        response.say(rest, language=VOICE_LANGUAGE)
    return str(response)


class TwilioBackend(SmsBackend):
    def __init__(self):
        missing = [name for name in REQUIRED_SETTINGS if not getattr(settings, name)]
        if missing:
            raise ImproperlyConfigured(f"The Twilio backend needs {', '.join(missing)}.")
        self._local = threading.local()

    def _client(self) -> Client:
        # One client (one HTTP session) per pool thread: requests' sessions are
        # not documented as thread-safe, and one keep-alive connection per
        # thread is what the pool can use anyway.
        client = getattr(self._local, "client", None)
        if client is None:
            http_client = _HttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS, proxy=_PROXIES)
            # requests would read the environment (proxies, netrc, CA bundle)
            # again for every request; read it once instead (_PROXIES, _VERIFY).
            http_client.session.trust_env = False
            http_client.session.verify = _VERIFY
            client = Client(
                settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
            )
            if settings.TWILIO_API_BASE_URL:
                client.api.base_url = settings.TWILIO_API_BASE_URL
            self._local.client = client
        return client

    def sender_key(self, channel: str) -> str:
        sender = settings.TWILIO_VOICE_FROM if channel == "voice" else settings.TWILIO_SMS_FROM
        return f"twilio:{channel}:{sender}"

    def send(self, message) -> str:
        callback = {}
        if settings.TWILIO_STATUS_CALLBACK_URL:
            callback["status_callback"] = f"{settings.TWILIO_STATUS_CALLBACK_URL}?m={message.pk}"
        try:
            if message.channel == "voice":
                # An answerable call (sms.interactive) fetches its TwiML when answered.
                url = call_url(message)
                content = {"url": url} if url else {"twiml": voice_twiml(message.body)}
                resource = self._client().calls.create(
                    to=message.recipient,
                    from_=settings.TWILIO_VOICE_FROM,
                    **content,
                    **callback,
                )
            else:
                resource = self._client().messages.create(
                    to=message.recipient,
                    body=message.body,
                    **self._sms_sender(),
                    **self._validity(message),
                    **callback,
                )
        except TwilioRestException as error:
            text = redact(f"Twilio {error.status} ({error.code}): {error.msg}")
            if error.status in _TRANSIENT_STATUSES or error.status >= 500:
                raise TransientSendError(text) from None
            raise PermanentSendError(text) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            # Refused, reset or timed out (ReadTimeout, ConnectTimeout): the
            # provider may or may not have taken it; try again later.
            raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from None
        except requests.exceptions.RequestException as error:
            raise TransientSendError(f"Twilio request failed: {type(error).__name__}") from None
        return resource.sid

    def _sms_sender(self) -> dict:
        sender = settings.TWILIO_SMS_FROM
        if sender.startswith("MG"):
            return {"messaging_service_sid": sender}
        return {"from_": sender}

    def _validity(self, message) -> dict:
        """Tell Twilio to drop a code it could not deliver before it expires."""
        if message.send_before is None:
            return {}
        seconds = math.ceil((message.send_before - timezone.now()).total_seconds())
        return {"validity_period": max(1, min(MAX_VALIDITY_SECONDS, seconds))}
