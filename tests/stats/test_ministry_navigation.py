"""The statistics pages show the ministry's own menu, not the residents' one."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["stats:overview", "stats:breakdown", "stats:draws"])
def test_the_ministry_sees_its_own_menu_and_not_the_residents(ministry_client, name):
    content = ministry_client.get(reverse(name)).content.decode()
    assert f'href="{reverse("stats:overview")}"' in content
    assert f'href="{reverse("stats:breakdown")}"' in content
    assert f'href="{reverse("stats:draws")}"' in content
    assert f'action="{reverse("stats:logout")}"' in content
    assert f'href="{reverse("booking:start")}"' not in content
    assert f'href="{reverse("booking:cancel_start")}"' not in content


def test_the_area_select_and_the_logout_are_kern_controls(ministry_client):
    content = ministry_client.get(reverse("stats:overview")).content.decode()
    assert 'class="kern-form-input__select"' in content
    assert 'class="kern-btn kern-btn--tertiary"' in content


def test_the_login_page_shows_no_residents_menu(client):
    content = client.get(reverse("stats:login")).content.decode()
    assert f'href="{reverse("booking:start")}"' not in content
