from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from waitingroom import room


@pytest.fixture(autouse=True)
def _fresh_room(settings):
    """Each test starts with a closed breaker and a full local bucket."""
    room.reset_breaker()
    room.local_bucket.reset()
    settings.WAITINGROOM_RATE_MAX = 100
    yield
    room.reset_breaker()


PHONE_PAGE = "sms:phone"


def arrive(client: Any = None) -> Any:
    """A resident (a browser session) opens the first costly page."""
    client = client or Client()
    client.arrival = client.get(reverse(PHONE_PAGE))
    return client


def admitted(response) -> bool:
    return response.status_code == 200 and b'name="phone"' in response.content


def queued(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("waitingroom:queue")


def refresh(client: Client):
    """The queue page, as its Refresh header loads it again."""
    return client.get(reverse("waitingroom:queue"))


def ticket_of(client: Client) -> str:
    from waitingroom import tickets

    session = client.session
    return tickets.signing.loads(session[tickets.TICKET], salt=tickets._SALT)


def queue_order() -> list[str]:
    redis = room._redis()
    return [member.decode() for member in redis.zrange(room._key("queue"), 0, -1)]


def active_tickets() -> set[str]:
    redis = room._redis()
    return {member.decode() for member in redis.zrange(room._key("active"), 0, -1)}
