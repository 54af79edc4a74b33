"""The staff group that migrate sets up and keeps to its list."""

import pytest
from django.contrib.auth.models import Group, Permission

from impfportal.staff_group import STAFF_GROUP, STAFF_PERMISSIONS, ensure_staff_group

pytestmark = pytest.mark.django_db


def _names(group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_migrate_gives_the_staff_group_exactly_its_permissions():
    group = Group.objects.get(name=STAFF_GROUP)
    assert _names(group) == set(STAFF_PERMISSIONS)


def test_the_group_is_put_back_to_its_list(db):
    group = Group.objects.get(name=STAFF_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_center"))
    group.permissions.remove(Permission.objects.get(codename="check_in"))
    ensure_staff_group()
    assert _names(group) == set(STAFF_PERMISSIONS)
