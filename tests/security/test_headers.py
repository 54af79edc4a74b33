"""Response headers of the production settings (ASVS 5.0 V3.4, V14.3): HSTS, a
strict nonce-based Content Security Policy that our pages and the admin keep
to, nosniff, referrer policy, framing, and no-store on every personal page."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from booking.models import Series
from centers.models import Center
from tests.journeys import time_page

pytestmark = pytest.mark.django_db


def csp_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class _InlineCode(HTMLParser):
    """Collects what a strict CSP (no 'unsafe-inline') would block in a page."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
            local = (value or "/").startswith(("/", "?", "#"))
            inline_image = tag == "img" and (value or "").startswith("data:")
            if name in ("src", "action") and not local and not inline_image:
                self.problems.append(f"<{tag} {name}={value}> from another origin")
        if tag == "script" and "src" not in attributes:
            executable = attributes.get("type") not in ("application/json",)
            if executable and (self.nonce is None or attributes.get("nonce") != self.nonce):
                self.problems.append("inline <script> without the response's nonce")
        if tag == "style":
            self.problems.append("inline <style>")
        href = attributes.get("href") or ""
        if tag == "link" and attributes.get("rel") == "stylesheet" and not href.startswith("/"):
            self.problems.append(f"stylesheet from {href}")


def csp_problems(response) -> list[str]:
    nonce = None
    for source in csp_of(response).get("script-src", []):
        if source.startswith("'nonce-"):
            nonce = source[len("'nonce-") : -1]
    parser = _InlineCode(nonce)
    parser.feed(response.content.decode())
    return parser.problems


def test_the_policy_is_strict():
    from django.test import Client

    response = Client().get(reverse("centers:start"))
    csp = csp_of(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "'self'" in csp["script-src"]
    policy = response["Content-Security-Policy"]
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"):
        assert loose not in policy.split()


def test_security_headers_are_set(client):
    response = client.get(reverse("centers:start"), secure=True)
    hsts = dict(
        item.strip().partition("=")[::2]
        for item in response["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= 365 * 24 * 60 * 60
    assert "includeSubDomains" in hsts
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def resident_pages(resident_a, resident_b):
    """Every page a verified resident sees along the way, with its response."""
    client, series = resident_a, resident_a.series
    slot = series.appointments.get(dose=1).slot
    person, center = resident_b.person, slot.center
    return {
        "people": client.get(reverse("booking:people")),
        "people with an error": client.post(reverse("booking:people"), {"first_name": "x"}),
        "center": resident_b.get(reverse("booking:choose_center", args=[person.pk])),
        "day": resident_b.get(reverse("booking:choose_day", args=[person.pk, center.slug])),
        "time": resident_b.get(time_page(person, slot)),
        "confirmation": client.get(reverse("booking:confirmation", args=[series.booking_code])),
        "my appointments": client.get(reverse("booking:my_appointments")),
        "cancel": client.get(reverse("booking:cancel", args=[series.booking_code])),
        "not found": client.get(reverse("booking:cancel", args=["XXXX-XXXX"])),
    }


def test_every_page_with_personal_data_is_not_stored(client, resident_a, resident_b, phone):
    pages = resident_pages(resident_a, resident_b)
    pages["phone with an error"] = client.post(reverse("sms:phone"), {"phone": phone + "9999"})
    client.post(reverse("sms:phone"), {"phone": phone})
    pages["code"] = client.get(reverse("sms:code"))
    pages["code with an error"] = client.post(reverse("sms:code"), {"code": "12"})
    for name, response in pages.items():
        assert "no-store" in response.get("Cache-Control", ""), name


def test_the_public_pages_and_the_resident_pages_keep_to_the_policy(
    client, resident_a, resident_b, phone
):
    pages = resident_pages(resident_a, resident_b)
    pages["start"] = client.get(reverse("centers:start"))
    pages["booking start"] = client.get(reverse("booking:start"))
    pages["cancel start"] = client.get(reverse("booking:cancel_start"))
    pages["phone"] = client.get(reverse("sms:phone"))
    client.post(reverse("sms:phone"), {"phone": phone})
    pages["code"] = client.get(reverse("sms:code"))
    for name, response in pages.items():
        assert response.status_code in (200, 404), name
        assert csp_problems(response) == [], name


def test_the_admin_works_under_the_policy(staff_client, resident_a):
    series = resident_a.series
    center = Center.objects.get()
    urls = [
        reverse("admin:index"),
        reverse("admin:booking_series_changelist"),
        reverse("admin:booking_series_change", args=[series.pk]),
        reverse("admin:centers_center_change", args=[center.pk]),
        reverse("admin:centers_slot_release"),
        reverse("admin:auth_user_add"),
    ]
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert csp_problems(response) == [], url
    assert Series.objects.count() == 1


def test_the_admin_login_page_keeps_to_the_policy(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert csp_problems(response) == []
