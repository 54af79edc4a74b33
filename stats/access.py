"""Who may see the ministry's statistics: members of the ministry group.

Center staff do not see them unless they are in the group too; residents
(a verified phone number, no account) never do. Superusers (operators) may.
"""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def can_view_statistics(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=settings.STATS_GROUP).exists()


def ministry_required(view):
    """Log in first (on the statistics' own login page); without the group: 403."""

    @login_required(login_url="stats:login")
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_view_statistics(request.user):
            return render(request, "stats/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
