"""Sessions (ASVS 5.0 V7, V3.3): cookies, rotation, idle and absolute limits, logout.

Rotation on verification is tested in tests/sms/test_verification.py
(test_the_right_code_verifies_the_number_and_rotates_the_session).
"""

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from impfportal.middleware import LAST_SEEN, STAFF_SINCE
from sms.session import VERIFIED_AT
from tests.journeys import german, verify

pytestmark = pytest.mark.django_db

TIMED_OUT = (
    "You have been logged out because the page was not used for a long time. "
    "This protects your data. Please start again."
)


def change_session(client, **values):
    session = client.session
    session.update(values)
    session.save()


def session_exists(key: str) -> bool:
    cached = cache.get(f"django.contrib.sessions.cached_db{key}")
    return cached is not None or Session.objects.filter(session_key=key).exists()


def test_every_cookie_is_host_only_secure_httponly_and_lax(resident_a):
    """All cookies a resident gets on the way: session, CSRF, language, and
    none for messages (they live in the session)."""
    client = resident_a
    cookies = {}

    def collect(response):
        cookies.update({name: response.cookies[name] for name in response.cookies})
        return response

    collect(Client().post(reverse("sms:phone"), {"phone": client.phone}))
    collect(client.get(reverse("booking:people")))
    series = client.series
    collect(client.post(reverse("booking:cancel", args=[series.booking_code]), {}))
    collect(client.post(reverse("set_language"), {"language": "en", "next": "/"}))
    collect(client.post(reverse("sms:logout")))

    assert set(cookies) == {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    }
    for name, cookie in cookies.items():
        # What a browser demands of a __Host- cookie: Secure, Path=/, no Domain.
        assert name.startswith("__Host-"), name
        assert cookie["secure"] is True, name
        assert cookie["path"] == "/", name
        assert not cookie["domain"], name
        assert cookie["samesite"] == "Lax", name
        assert cookie["httponly"] is True, name


def test_staff_login_rotates_the_session(client, django_user_model):
    django_user_model.objects.create_superuser("operator", password="pw-for-tests-only")
    change_session(client, before_login=True)
    before = client.session.session_key
    client.post(reverse("admin:login"), {"username": "operator", "password": "pw-for-tests-only"})
    assert "_auth_user_id" in client.session
    assert client.session.session_key != before
    assert not session_exists(before)


def test_a_resident_session_survives_29_idle_minutes(verified_client):
    change_session(verified_client, **{LAST_SEEN: int(time.time()) - 29 * 60})
    response = verified_client.get(reverse("booking:people"))
    assert response.status_code == 200
    # The visit counts as activity.
    assert verified_client.session[LAST_SEEN] >= int(time.time()) - 5


def test_a_resident_session_ends_after_30_idle_minutes(verified_client):
    old_key = verified_client.session.session_key
    change_session(verified_client, **{LAST_SEEN: int(time.time()) - 31 * 60})
    response = verified_client.get(reverse("booking:people"), follow=True)
    assert response.redirect_chain[0][0] == reverse("sms:phone")
    assert german(TIMED_OUT) in response.content.decode()
    assert not session_exists(old_key)


def test_a_resident_session_ends_12_hours_after_verification_however_busy(verified_client):
    now = int(time.time())
    change_session(verified_client, **{LAST_SEEN: now, VERIFIED_AT: now - 12 * 60 * 60 - 1})
    response = verified_client.get(reverse("booking:people"))
    assert response["Location"] == reverse("sms:phone")


def test_a_waiting_code_session_also_ends_when_idle(client, phone):
    client.post(reverse("sms:phone"), {"phone": phone})
    change_session(client, **{LAST_SEEN: int(time.time()) - 31 * 60})
    response = client.get(reverse("sms:code"))
    assert response["Location"] == reverse("sms:phone")


def test_staff_sessions_end_sooner_than_residents(staff_client, verified_client):
    sixteen_minutes_ago = int(time.time()) - 16 * 60
    change_session(verified_client, **{LAST_SEEN: sixteen_minutes_ago})
    change_session(staff_client, **{LAST_SEEN: sixteen_minutes_ago})
    old_key = staff_client.session.session_key

    assert verified_client.get(reverse("booking:people")).status_code == 200
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not session_exists(old_key)


def test_a_staff_session_ends_after_a_working_day(staff_client):
    now = int(time.time())
    change_session(staff_client, **{LAST_SEEN: now, STAFF_SINCE: now - 8 * 60 * 60 - 1})
    response = staff_client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))


def test_logout_ends_the_session_on_the_server(verified_client):
    old_key = verified_client.session.session_key
    verified_client.post(reverse("sms:logout"))
    assert not session_exists(old_key)
    # Someone who copied the cookie before the logout gets nowhere with it.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = thief.get(reverse("booking:people"))
    assert response["Location"] == reverse("sms:phone")


def test_staff_logout_ends_the_session_on_the_server(staff_client):
    old_key = staff_client.session.session_key
    staff_client.post(reverse("admin:logout"))
    assert not session_exists(old_key)
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = old_key
    assert thief.get(reverse("admin:index")).status_code == 302


def test_verifying_again_for_another_number_gives_a_new_session(verified_client):
    first_key = verified_client.session.session_key
    other = "0151 99999999"
    verify(verified_client, other)
    assert verified_client.session.session_key != first_key
    assert verified_client.session["verified_phone"] == "+4915199999999"
