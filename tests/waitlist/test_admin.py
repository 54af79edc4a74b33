"""The waiting list in the admin: for operators only, never for center staff."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests import factories
from tests.staff.conftest import logged_in, make_staff
from tests.waitlist.helpers import make_entry

pytestmark = pytest.mark.django_db

PAGES = ("waitlist_entry", "waitlist_offer")


@pytest.fixture
def entry(center, vaccine, open_for_80):
    return make_entry(factories.make_person(first_name="Ilse", last_name="Iwanow"), center=center)


def test_center_staff_cannot_see_the_waiting_list_even_with_its_permissions(center, entry):
    user = make_staff("staff-hannover", center)
    # Granted by an operator's own group: still not for a non-superuser.
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="waitlist", codename__in=["view_entry", "view_offer"]
        )
    )
    client = logged_in(user)
    for name in PAGES:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
    page = client.get(reverse("admin:waitlist_entry_change", args=[entry.pk]))
    assert page.status_code == 403
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "waitlist" not in {app["app_label"] for app in index.context["app_list"]}
    assert "Iwanow" not in index.content.decode()


def test_an_operator_sees_the_waiting_list_read_only(entry, django_user_model):
    operator = django_user_model.objects.create_superuser("operator", password="x")
    client = logged_in(operator)
    for name in PAGES:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    page = client.get(reverse("admin:waitlist_entry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
