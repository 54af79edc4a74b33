"""The "Hotline" group, kept up to date by ``migrate`` (as the center staff's group).

An agent is a user in this group. The group has the hotline's own permission
only: no admin, no center's day list; an agent reaches a household through the
console's search and acts for it after the caller's identity is checked.
"""

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

HOTLINE_GROUP = "Hotline"
ACT_FOR_CALLER = "hotline.act_for_caller"


def is_agent(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(ACT_FOR_CALLER))


def ensure_hotline_group(*, using: str = "default") -> Group:
    create_permissions(global_apps.get_app_config("hotline"), verbosity=0, using=using)
    permission = Permission.objects.using(using).get(
        content_type__app_label="hotline", codename="act_for_caller"
    )
    group, _created = Group.objects.using(using).get_or_create(name=HOTLINE_GROUP)
    group.permissions.set([permission])
    return group


def ensure_hotline_group_after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_hotline_group(using=using)
