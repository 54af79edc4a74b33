"""Who must confirm a password login with a second factor.

Required only when ``STAFF_REQUIRE_2FA`` is on (the production default). A
role that needs it is a predicate in ``ROLES_NEEDING_A_SECOND_FACTOR``; the
hotline's agents, who act for callers, add theirs there when their role
exists (e.g. ``lambda user: user.has_perm("hotline.act_for_caller")``).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings

from impfportal.staff_group import STAFF_GROUP

# Permissions that open a center's personal data (names, dates of birth, phone numbers).
PERSONAL_DATA_PERMISSIONS = (
    "booking.view_person",
    "booking.view_appointment",
    "booking.view_series",
)


def sees_center_personal_data(user: Any) -> bool:
    """Center staff (the group), operators, and any account given their view rights."""
    if user.is_superuser or user.groups.filter(name=STAFF_GROUP).exists():
        return True
    return any(user.has_perm(permission) for permission in PERSONAL_DATA_PERMISSIONS)


ROLES_NEEDING_A_SECOND_FACTOR: list[Callable[[Any], bool]] = [sees_center_personal_data]


def needs_second_factor(user: Any) -> bool:
    if not settings.STAFF_REQUIRE_2FA or not user.is_authenticated or not user.is_active:
        return False
    return any(role(user) for role in ROLES_NEEDING_A_SECOND_FACTOR)
