"""A second factor for accounts that see a center's personal data
(staff_auth/): with STAFF_REQUIRE_2FA on, a password login of center staff or
an operator leads to setting up a TOTP app once, then to entering its code;
no admin page answers before. Codes are computed with django_otp's own TOTP."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from impfportal.staff_group import STAFF_GROUP
from staff_auth.policy import ROLES_NEEDING_A_SECOND_FACTOR, needs_second_factor
from tests.journeys import german

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-staff-password-2021"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.STAFF_REQUIRE_2FA = True


def make_account(username: str, *, groups=(), **flags):
    user = get_user_model().objects.create_user(username, password=PASSWORD, **flags)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def center_staff(db):
    return make_account("staff-hannover", groups=[STAFF_GROUP], is_staff=True)


def password_login(username: str, page: str = "admin:login") -> Client:
    client = Client()
    response = client.post(
        reverse(page), {"username": username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_center_staff_set_up_an_app_at_their_first_login(center_staff):
    client = password_login("staff-hannover")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff_auth:enrol"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    # The QR code is drawn here (an SVG in a data: address), the key is shown as text.
    assert 'src="data:image/svg+xml' in text
    found = re.search(r"<code>(otpauth://[^<]+)</code>", text)
    assert found is not None
    uri = unquote(found.group(1))
    assert urlsplit(uri).path == "/Impfportal:staff-hannover"
    secret = parse_qs(urlsplit(uri.replace("&amp;", "&")).query)["secret"][0]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in text
    # Nothing of the admin answers yet.
    assert client.get(reverse("admin:booking_appointment_changelist")).status_code == 302
    device = TOTPDevice.objects.get(user=center_staff)
    assert not device.confirmed
    done = client.post(response["Location"], {"token": current_code(device)})
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:index")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:index")).status_code == 200


def test_later_logins_ask_for_the_app_s_code_before_any_admin_page(center_staff):
    device = TOTPDevice.objects.create(user=center_staff, name="app", confirmed=True)
    client = password_login("staff-hannover")
    for url in (reverse("admin:index"), reverse("admin:booking_appointment_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff_auth:verify"))
    key_before = client.session.session_key
    response = client.post(
        f"{reverse('staff_auth:verify')}?next=/admin/", {"token": current_code(device)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session.session_key != key_before  # a new session for the higher privilege
    assert client.get(reverse("admin:booking_appointment_changelist")).status_code == 200


def test_a_code_cannot_be_used_twice(center_staff):
    device = TOTPDevice.objects.create(user=center_staff, name="app", confirmed=True)
    first = password_login("staff-hannover")
    code = current_code(device)
    assert first.post(reverse("staff_auth:verify"), {"token": code}).status_code == 302
    # Someone who saw the code and knows the password cannot log in with it.
    second = password_login("staff-hannover")
    response = second.post(reverse("staff_auth:verify"), {"token": code})
    assert response.status_code == 200
    assert second.get(reverse("admin:index")).status_code == 302


def test_wrong_codes_slow_down_further_tries(center_staff):
    device = TOTPDevice.objects.create(user=center_staff, name="app", confirmed=True)
    client = password_login("staff-hannover")
    right = current_code(device)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(reverse("staff_auth:verify"), {"token": wrong})
    assert german("The code is not correct. Please enter the current code.") in response.text
    # django-otp lets the next try wait (1 s, then 2 s, 4 s, ...): the right code is refused now.
    response = client.post(reverse("staff_auth:verify"), {"token": right})
    assert german("Too many wrong codes. Please wait a minute and enter the current code.") in (
        response.text
    )
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_account_with_an_app_cannot_set_up_another_one_itself(center_staff):
    TOTPDevice.objects.create(user=center_staff, name="app", confirmed=True)
    client = password_login("staff-hannover")
    response = client.get(reverse("staff_auth:enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff_auth:verify"))
    assert TOTPDevice.objects.filter(user=center_staff).count() == 1


def test_operators_need_it_too_and_ministry_statistics_do_not(db):
    operator = make_account("operator", is_staff=True, is_superuser=True)
    ministry = make_account("ministerium", groups=["ministry"])
    assert needs_second_factor(operator)
    assert not needs_second_factor(ministry)
    client = Client()
    client.post(reverse("stats:login"), {"username": "ministerium", "password": PASSWORD})
    assert client.get(reverse("stats:overview")).status_code == 200


def test_any_account_given_the_right_to_see_people_needs_it(db):
    from django.contrib.auth.models import Permission

    user = make_account("custom", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_person"))
    assert needs_second_factor(get_user_model().objects.get(pk=user.pk))


def test_a_new_role_adds_its_predicate(db, monkeypatch):
    # The hotline's agents have their predicate (hotline/apps.py; tests/hotline); a role
    # that does not exist yet stands in here.
    agent = make_account("vaccination-bus", groups=["Impfbus"], is_staff=True)
    assert not needs_second_factor(agent)
    monkeypatch.setattr(
        "staff_auth.policy.ROLES_NEEDING_A_SECOND_FACTOR",
        [*ROLES_NEEDING_A_SECOND_FACTOR, lambda u: u.groups.filter(name="Impfbus").exists()],
    )
    assert needs_second_factor(agent)


def test_hotline_agents_need_it(db):
    from hotline.group import HOTLINE_GROUP

    agent = make_account("agent", groups=[HOTLINE_GROUP])
    assert needs_second_factor(get_user_model().objects.get(pk=agent.pk))


def test_switched_off_the_password_is_enough(center_staff, settings):
    settings.STAFF_REQUIRE_2FA = False
    client = password_login("staff-hannover")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(("debug", "expected"), [("false", "True"), ("true", "False")])
def test_the_production_default_is_on(debug, expected):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"STAFF_REQUIRE_2FA", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DEBUG=debug, SECRET_KEY="x" * 60, SMS_BACKEND="sms.backends.memory.MemoryBackend")
    result = subprocess.run(
        [sys.executable, "-c", "import impfportal.settings as s; print(s.STAFF_REQUIRE_2FA)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == expected
