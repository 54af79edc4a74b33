"""The queue page is served from a frame rendered once per shape (waitingroom/page.py):
what a resident gets must be exactly what the template renders for them."""

import itertools
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from sms.session import VERIFIED_PHONE
from tests.waitingroom.conftest import arrive, queued, refresh
from waitingroom import page

pytestmark = pytest.mark.django_db

OPENS = datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')

QUEUED = {"status": "queued", "opens_at": None, "opening_id": None}
SHAPES: list[dict[str, Any]] = [
    {**QUEUED, "wait_minutes": None, "auto": True, "refresh": 20},
    {**QUEUED, "wait_minutes": 1, "auto": True, "refresh": 5},
    {**QUEUED, "wait_minutes": 7, "auto": False, "refresh": 20},
    {**QUEUED, "wait_minutes": 7, "auto": True, "refresh": 20, "opening_id": 3},
    {"status": "prequeued", "opens_at": OPENS, "opening_id": 3, "wait_minutes": None}
    | {"auto": True, "refresh": 2},
    {"status": "prequeued", "opens_at": OPENS, "opening_id": 3, "wait_minutes": None}
    | {"auto": True, "refresh": 27, "after_opening": True},
    {"status": "waiting_uncounted", "opens_at": None, "opening_id": None}
    | {"wait_minutes": None, "auto": True, "refresh": 20},
]
# The first fills the frame, the second is compared: nothing of the first may remain.
LIVE: list[dict[str, Any]] = [
    {"position": 1235, "ahead": 1234, "length": 5000, "updated": "07:59:58"},
    {"position": 1, "ahead": 0, "length": 12, "updated": "08:00:01"},
]


def _no_response(request) -> HttpResponse:
    return HttpResponse()


def a_request(path: str, *, verified: bool):
    request = RequestFactory().get(path)
    SessionMiddleware(_no_response).process_request(request)
    MessageMiddleware(_no_response).process_request(request)
    if verified:
        request.session[VERIFIED_PHONE] = "+4915112345678"
    return request


def without_tokens(html: str) -> str:
    """Each render masks the CSRF token anew; the masks are not the page."""
    return TOKEN.sub(r'\1…"', html)


@pytest.fixture(autouse=True)
def _no_frames():
    page.forget_frames()
    yield
    page.forget_frames()


@pytest.mark.parametrize(
    ("shape", "language", "verified"),
    list(itertools.product(SHAPES, ["de", "en"], [False, True])),
)
def test_the_frame_renders_what_the_template_renders(shape, language, verified):
    path = '/waiting-room/?refresh=off&x=<b>"'
    with translation.override(language):
        page.render_queue_page(a_request("/waiting-room/", verified=verified), shape | LIVE[0])
        request = a_request(path, verified=verified)
        framed = page.render_queue_page(request, shape | LIVE[1]).content.decode()
        full = render_to_string(
            page.TEMPLATE, shape | LIVE[1], request=a_request(path, verified=verified)
        )
    assert len(page.queue_page) == 1  # the second load was served from the frame
    assert without_tokens(framed) == without_tokens(full)
    assert "\ue000" not in framed


def test_a_message_is_shown_once_on_the_queue_page():
    request = a_request("/waiting-room/", verified=False)
    messages.info(request, "Ihre Sitzung war abgelaufen.")
    response = page.render_queue_page(request, SHAPES[0] | LIVE[0])
    assert "Ihre Sitzung war abgelaufen." in response.content.decode()
    assert len(page.queue_page) == 0  # rendered in full: a frame has no messages
    MessageMiddleware(_no_response).process_response(request, response)
    reload = a_request("/waiting-room/", verified=False)
    reload.session = request.session
    MessageMiddleware(_no_response).process_request(reload)
    again = page.render_queue_page(reload, SHAPES[0] | LIVE[0]).content.decode()
    assert "Ihre Sitzung war abgelaufen." not in again
    assert len(page.queue_page) == 1


def test_the_framed_pages_language_switch_carries_a_token_that_is_accepted(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    waiting = arrive(Client(enforce_csrf_checks=True))
    assert queued(waiting.arrival)
    refresh(waiting)  # makes the frame
    html = refresh(waiting).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    token = match[1]
    assert 'name="next" value="/waiting-room/"' in html
    switched = waiting.post(
        reverse("set_language"),
        {"language": "en", "next": "/waiting-room/", "csrfmiddlewaretoken": token},
    )
    assert switched.status_code == 302
    assert "You are in the queue" in refresh(waiting).content.decode()
