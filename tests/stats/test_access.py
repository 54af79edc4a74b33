"""Only the ministry group (and operators) see the statistics; residents and staff do not."""

import pytest
from django.urls import reverse

from tests import factories
from tests.stats.conftest import make_user

pytestmark = pytest.mark.django_db

PAGES = [
    "stats:overview",
    "stats:overview_csv",
    "stats:breakdown",
    "stats:breakdown_csv",
    "stats:draws",
    "stats:draws_csv",
]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response.url.startswith(reverse("stats:login"))


@pytest.mark.parametrize("page", PAGES)
def test_a_resident_with_a_verified_phone_is_sent_to_the_login(verified_client, page):
    response = verified_client.get(reverse(page))
    assert response.status_code == 302
    assert response.url.startswith(reverse("stats:login"))


@pytest.mark.parametrize("page", PAGES)
def test_center_staff_outside_the_ministry_group_are_refused(client, center, page):
    staff = make_user("staff-hannover", groups=["Zentrum"], is_staff=True)
    center.staff.add(staff)
    client.force_login(staff)
    response = client.get(reverse(page))
    assert response.status_code == 403
    assert "stats/forbidden.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("page", PAGES)
def test_the_ministry_group_sees_every_page(ministry_client, page):
    assert ministry_client.get(reverse(page)).status_code == 200


def test_staff_who_are_also_in_the_ministry_group_see_the_statistics(client, center):
    staff = make_user("staff-and-ministry", groups=["Zentrum", "ministry"], is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("stats:overview")).status_code == 200


def test_operators_see_the_statistics(client):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    assert client.get(reverse("stats:overview")).status_code == 200


def test_an_inactive_ministry_account_gets_nothing(client):
    user = make_user("former", groups=["ministry"])
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get(reverse("stats:overview")).status_code == 302


def test_a_ministry_account_without_staff_rights_logs_in_on_the_statistics_login(client):
    make_user("ministerium", groups=["ministry"])
    response = client.post(
        reverse("stats:login"),
        {"username": "ministerium", "password": "x", "next": reverse("stats:breakdown")},
    )
    assert response.status_code == 302
    assert response.url == reverse("stats:breakdown")
    assert client.get(reverse("stats:overview")).status_code == 200


def test_a_wrong_password_is_refused_on_the_same_page(client):
    make_user("ministerium", groups=["ministry"])
    response = client.post(reverse("stats:login"), {"username": "ministerium", "password": "y"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("stats:overview")).status_code == 302


def test_guessing_passwords_is_slowed_down(client):
    make_user("ministerium", groups=["ministry"])
    for _ in range(10):
        client.post(reverse("stats:login"), {"username": "ministerium", "password": "guess"})
    response = client.post(reverse("stats:login"), {"username": "ministerium", "password": "x"})
    assert response.status_code == 429
    assert client.get(reverse("stats:overview")).status_code == 302  # not logged in


def test_logging_out_ends_the_session(ministry_client):
    response = ministry_client.post(reverse("stats:logout"))
    assert response.status_code == 302
    assert ministry_client.get(reverse("stats:overview")).status_code == 302


def test_the_public_availability_needs_no_login(client, center):
    factories.make_delivery(center, factories.make_vaccine())
    assert client.get(reverse("stats:center_availability", args=[center.slug])).status_code == 200
