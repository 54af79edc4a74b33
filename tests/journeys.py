"""Steps of the resident's journey through the real pages, shared by the tests."""

import re
import uuid

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from sms.backends import memory
from sms.outbox import dispatch_due
from sms.phone import parse_phone_number


def german(msgid: str, plural: str | None = None, **params) -> str:
    """A UI text as a German page shows it (translated and HTML-escaped).

    Tests compare with this instead of copying German text, so that they keep
    passing when the wording of a translation changes. For a text with plural
    forms pass ``plural`` and the number as ``count``.
    """
    with translation.override("de"):
        text = gettext(msgid) if plural is None else ngettext(msgid, plural, params["count"])
    return escape(text % params if params else text)


def sent_messages(recipient: str | None = None) -> list:
    """Run the dispatcher once and return what the in-memory provider received."""
    dispatch_due(limit=1000)
    return [m for m in memory.outbox if recipient is None or m.recipient == recipient]


def latest_code(recipient: str) -> str:
    for message in reversed(sent_messages(recipient)):
        match = re.search(r"\b(\d{6})\b|((?:\d ){5}\d)", message.body)
        if match:
            return (match.group(1) or match.group(2)).replace(" ", "")
    raise AssertionError(f"no code was sent to {recipient}")


def verify(client, phone: str):
    """Request a code for ``phone`` and enter it; return the code page's response."""
    response = client.post(reverse("sms:phone"), {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    e164 = parse_phone_number(phone).e164
    return client.post(reverse("sms:code"), {"code": latest_code(e164)})


def person_data(**overrides) -> dict:
    data = {
        "first_name": "Erna",
        "last_name": "Meyer",
        "birth_day": "17",
        "birth_month": "5",
        "birth_year": "1938",
        "postal_code": "30159",
    }
    data.update(overrides)
    return data


def add_person_via_page(client, **overrides):
    """Add a person and return the people page (following the redirect)."""
    return client.post(reverse("booking:people"), person_data(**overrides), follow=True)


def time_page(person, slot) -> str:
    local_day = timezone.localdate(slot.starts_at)
    return reverse("booking:choose_time", args=[person.pk, slot.center.slug, local_day.isoformat()])


def form_token(page) -> str:
    """The time page's form token, as a browser reads it (the page may come from a
    frame, which has no template context)."""
    match = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert match, "the page has no form token"
    return match[1]


def shown_times(page) -> list[int]:
    """The slot ids the time page offers, in the page's order."""
    return [int(pk) for pk in re.findall(r'name="slot" value="(\d+)"', page.content.decode())]


def book_via_page(client, person, slot, *, token: str | None = None):
    """Open the time page, then post the chosen slot with the page's own token."""
    url = time_page(person, slot)
    page = client.get(url)
    assert page.status_code == 200
    if token is None:
        # A page that offers no time has no form: post as a stale or forged form would.
        offered = b'name="token"' in page.content
        token = form_token(page) if offered else str(uuid.uuid4())
    return client.post(url, {"slot": slot.pk, "token": token})
