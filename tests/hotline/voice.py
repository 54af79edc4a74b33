"""Posting signed webhooks as Twilio does, and reading the TwiML answers."""

import itertools
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from tests.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

BASE = "https://impfportal.example"
AGENTS = "+495115550199"
_sids = itertools.count(1)


def switch_on_voice_line(settings) -> None:
    """The settings of a voice line answered at ``BASE`` with agents at ``AGENTS``."""
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.HOTLINE_VOICE_BASE_URL = BASE
    settings.HOTLINE_AGENT_NUMBER = AGENTS


def signed_post(client: Client, path: str, params: dict, *, token: str = AUTH_TOKEN):
    """POST ``params`` to ``path`` with the signature Twilio would compute."""
    signature = RequestValidator(token).compute_signature(BASE + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


class Caller:
    """One phone call through the voice line, key by key."""

    def __init__(self, caller: str, *, called: str = "+495115550100", sid: str | None = None):
        self.client = Client()
        self.params = {"CallSid": sid or f"CA{next(_sids):032x}", "From": caller, "To": called}
        self.twiml = ""
        self.last_path = ""
        self.responses: list = []

    def _post(self, path: str, extra: dict | None = None) -> str:
        response = signed_post(self.client, path, {**self.params, **(extra or {})})
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"].startswith("text/xml")
        self.last_path = path
        self.responses.append(response)
        self.twiml = response.content.decode()
        return self.twiml

    def dial_in(self) -> str:
        return self._post(reverse("hotline:voice_incoming"))

    def answer_offer_call(self, message_id: int) -> str:
        return self._post(reverse("hotline:voice_offer", args=[message_id]))

    @property
    def root(self) -> ET.Element:
        return ET.fromstring(self.twiml)  # noqa: S314 (our own answer in a test)

    @property
    def said(self) -> str:
        return " ".join("".join(say.itertext()) for say in self.root.iter("Say"))

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    @property
    def gather_path(self) -> str:
        gather = self.root.find("Gather")
        assert gather is not None, self.twiml
        return self._path(gather.attrib["action"])

    def press(self, digits: str) -> str:
        return self._post(self.gather_path, {"Digits": digits})

    def stay_silent(self) -> str:
        """The Gather timed out: Twilio follows the Redirect without digits."""
        redirect = self.root.find("Redirect")
        assert redirect is not None, self.twiml
        return self._post(self._path(redirect.text or ""))

    def replay(self, digits: str, path: str) -> str:
        return self._post(path, {"Digits": digits})

    @property
    def hung_up(self) -> bool:
        return self.root.find("Hangup") is not None

    @property
    def dialled(self) -> str | None:
        dial = self.root.find("Dial")
        return (dial.text or "").strip() if dial is not None else None
