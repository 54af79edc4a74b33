"""/readyz: 200 while the database and Redis answer and the outbox moves; 503
with a short JSON reason otherwise."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from impfportal import health
from sms.models import Message

pytestmark = pytest.mark.django_db


def queue_message(*, due_ago: timedelta, key: str = "ops-test") -> Message:
    due = timezone.now() - due_ago
    return Message.objects.create(
        recipient="+4915100000000",
        body="Ihr Termin …",
        priority=Message.Priority.BULK,
        idempotency_key=key,
        created_at=due,
        next_attempt_at=due,
    )


def test_it_is_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_not_ready_when_the_database_is_down(client, monkeypatch, closed_port):
    down = connection.__class__({**connection.settings_dict, "PORT": closed_port}, alias="down")
    monkeypatch.setattr(health, "connection", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "problems": ["database unreachable"]}


def test_it_is_not_ready_when_redis_is_down(client, settings, closed_port):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["redis unreachable"]


def test_it_is_not_ready_when_the_outbox_is_stuck(client, settings):
    settings.READY_OUTBOX_MAX_AGE_SECONDS = 600
    queue_message(due_ago=timedelta(seconds=30))
    assert client.get("/readyz").status_code == 200  # a short wait is normal
    queue_message(due_ago=timedelta(minutes=20), key="stuck")
    response = client.get("/readyz")
    assert response.status_code == 503
    [problem] = response.json()["problems"]
    assert problem.startswith("outbox stuck: oldest due message waits 12")


def test_messages_that_are_not_due_or_already_sent_do_not_count(client, settings):
    settings.READY_OUTBOX_MAX_AGE_SECONDS = 600
    retry_later = queue_message(due_ago=-timedelta(minutes=5), key="retry")
    Message.objects.filter(pk=retry_later.pk).update(created_at=timezone.now() - timedelta(hours=2))
    sent = queue_message(due_ago=timedelta(hours=2), key="sent")
    Message.objects.filter(pk=sent.pk).update(status=Message.Status.SENT)
    assert client.get("/readyz").status_code == 200


def test_the_answer_leaves_no_session_and_no_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert not response.cookies
