"""Redis down: the room admits at a low fixed rate per process and says
nothing it cannot know; residents already in the flow go on."""

import pytest
from django.urls import reverse

from tests.security.redis_outage import closed_port, point_cache_at
from tests.waitingroom.conftest import admitted, arrive, queued, refresh

pytestmark = pytest.mark.django_db


def test_it_admits_at_the_fixed_rate_and_shows_no_position(settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)  # a bucket that never refills
    inside = arrive()  # let in while Redis worked
    assert admitted(inside.arrival)
    settings.WAITINGROOM_FALLBACK_PER_SECOND = 1
    point_cache_at(settings, closed_port())
    first, second = arrive(), arrive()
    assert admitted(first.arrival)  # the process's one token
    assert queued(second.arrival)
    page = refresh(second)
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Refresh"]
    assert "Wir können Ihren Platz in der Warteschlange im Moment nicht anzeigen." in text
    assert "Personen vor Ihnen" not in text
    assert "Voraussichtliche Wartezeit" not in text
    assert admitted(inside.get(reverse("sms:phone")))  # the resident in the flow goes on
    assert admitted(first.get(reverse("sms:phone")))


def test_a_fallback_rate_of_zero_admits_nobody_while_redis_is_down(settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    settings.WAITINGROOM_FALLBACK_PER_SECOND = 0
    point_cache_at(settings, closed_port())
    arrivals = [arrive() for _ in range(3)]
    assert all(queued(arrival.arrival) for arrival in arrivals)
    assert refresh(arrivals[0]).status_code == 200


def test_the_operator_sees_that_the_figures_are_unknown(settings, admin_client):
    point_cache_at(settings, closed_port())
    page = admin_client.get(reverse("admin:waitingroom_opening_changelist"))
    assert page.status_code == 200
    assert "Redis ist nicht erreichbar" in page.content.decode()


def test_without_redis_configured_the_quick_start_queues_nobody(settings, time_machine):
    """``make run``: one process, the local-memory cache; the room admits at its full rate."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    settings.WAITINGROOM_RATE_MAX = 20
    assert all(admitted(arrive().arrival) for _ in range(20))
    assert queued(arrive().arrival)  # the 21st in the same second: the rate holds
