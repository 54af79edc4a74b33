"""The permission group of center staff, kept up to date by ``migrate``.

A staff account needs three things: ``is_staff`` (to log in to the admin),
membership of this group (what it may do) and an entry in its centers' staff
(where it may do it; see ``centers.admin_scoping``). ``migrate`` sets the
group's permissions to exactly the list below every time it runs, so a new
deployment has it and a changed list reaches existing ones. Operators who want
other rights make a group of their own.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STAFF_GROUP = "Zentrum"

STAFF_PERMISSIONS = (
    "centers.view_center",
    "centers.view_delivery",
    "centers.add_delivery",
    "centers.change_delivery",
    "centers.view_slot",
    "centers.add_slot",  # through the bulk release page only
    "centers.view_slotrelease",
    "centers.view_auditentry",
    "booking.view_appointment",
    "booking.check_in",
    "booking.cancel_day",
    "booking.view_series",
    "booking.view_person",
)


def ensure_staff_group(*, using: str = "default") -> Group:
    """Create the group if needed and give it exactly STAFF_PERMISSIONS."""
    for label in {name.split(".")[0] for name in STAFF_PERMISSIONS}:
        # Permissions are normally created after all migrations; make sure ours exist.
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    match = Q()
    for name in STAFF_PERMISSIONS:
        app_label, codename = name.split(".")
        match |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.using(using).filter(match))
    if len(permissions) != len(STAFF_PERMISSIONS):
        found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        raise LookupError(f"missing permissions: {set(STAFF_PERMISSIONS) - found}")
    group, _created = Group.objects.using(using).get_or_create(name=STAFF_GROUP)
    group.permissions.set(permissions)
    return group


def ensure_staff_group_after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_staff_group(using=using)
