"""Every public page links to the imprint, the privacy notice and the
accessibility statement in its footer."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LEGAL_PAGES = ["imprint", "privacy:notice", "accessibility"]


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
