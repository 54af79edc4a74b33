"""Every public page links to the imprint, the privacy notice and the
accessibility statement in its footer, and names the hotline's number."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db

LEGAL_PAGES = ["imprint", "privacy:notice", "accessibility", "easy_language"]


@pytest.mark.parametrize(
    "page",
    ["centers:start", "booking:start", "booking:cancel_start", "sms:phone", *LEGAL_PAGES],
)
def test_the_footer_links_the_legal_pages(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 200
    footer = response.content.decode().split('<footer class="site-footer">', 1)[1]
    for legal in LEGAL_PAGES:
        assert f'href="{reverse(legal)}"' in footer, legal


def test_a_page_not_found_links_them_too(client):
    footer = client.get("/no-such-page/").content.decode().split("<footer", 1)[1]
    assert f'href="{reverse("privacy:notice")}"' in footer


def test_the_footer_and_the_error_page_name_the_hotline_of_the_setting(client, settings):
    settings.HOTLINE_PHONE = "0511 4455667"
    footer = client.get(reverse("centers:start")).content.decode().split("<footer", 1)[1]
    assert "Beratung am Telefon: 0511 4455667 (kostenlos" in footer
    # The 500 page is rendered without a request context.
    error_page = server_error(RequestFactory().get("/")).content.decode()
    assert "hilft Ihnen unsere Beratung am Telefon: 0511 4455667." in error_page
    assert "9988665" not in footer + error_page
