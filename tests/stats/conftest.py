"""Accounts of every kind that may knock on the statistics' door, and counter helpers."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Sum

from stats.models import DailyCounter


def make_user(username: str, *, groups=(), **flags):
    user = get_user_model().objects.create_user(username=username, password="x", **flags)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def figure(metric, **place) -> int:
    """The sum of a counter over its shards (and days), for one place or all."""
    return (
        DailyCounter.objects.filter(metric=metric, **place).aggregate(total=Sum("value"))["total"]
        or 0
    )


@pytest.fixture
def ministry_user(db):
    return make_user("ministerium", groups=["ministry"])


@pytest.fixture
def ministry_client(client, ministry_user):
    client.force_login(ministry_user)
    return client
