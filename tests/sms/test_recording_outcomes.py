"""A dispatcher's batch of outcomes: every kind written right in one statement, a
code's text blanked once it is settled, and the apps above told once per batch,
after the rows are written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sms import outbox
from sms.models import Message
from sms.outbox import Outcome, Result, claim_due, queue_message, record_outcomes
from sms.signals import messages_failed, messages_sent

pytestmark = pytest.mark.django_db


def queue(key, *, priority=Message.Priority.BULK, recipient="+4915112345678"):
    return queue_message(
        recipient=recipient, body=f"text {key}", priority=priority, idempotency_key=key
    )


def claimed_by_key() -> dict[str, Message]:
    return {m.idempotency_key: m for m in claim_due(limit=100, channel=None)}


def one_of_each(rows: dict[str, Message], **keys: str) -> list[Outcome]:
    return [
        Outcome(rows[keys["sent"]], Result.SENT, provider_id="SM123"),
        Outcome(rows[keys["retry"]], Result.RETRY, error="503 from the provider"),
        Outcome(rows[keys["failed"]], Result.FAILED, error="21211 invalid number"),
        Outcome(rows[keys["dropped"]], Result.DROPPED, error="not sent before its deadline"),
    ]


@pytest.fixture(params=["one statement", "a statement per kind"])
def recorder(request, monkeypatch):
    """PostgreSQL's one statement, and the per-kind statements other databases use."""
    if request.param == "a statement per kind":
        monkeypatch.setattr(outbox, "_record_in_one_statement", outbox._record_by_kind)
    return request.param


def test_every_kind_of_outcome_is_written_to_its_own_row(recorder):
    for key in ("sent", "retry", "failed", "dropped"):
        queue(key)
    before = timezone.now()
    rows = claimed_by_key()
    record_outcomes(
        one_of_each(rows, sent="sent", retry="retry", failed="failed", dropped="dropped")
    )

    stored = {m.idempotency_key: m for m in Message.objects.all()}
    assert {key: m.status for key, m in stored.items()} == {
        "sent": Message.Status.SENT,
        "retry": Message.Status.QUEUED,
        "failed": Message.Status.FAILED,
        "dropped": Message.Status.DROPPED,
    }
    assert stored["sent"].provider_id == "SM123"
    sent_at = stored["sent"].sent_at
    assert sent_at is not None
    assert sent_at == rows["sent"].sent_at
    assert sent_at >= before
    assert stored["sent"].last_error == ""
    assert stored["retry"].next_attempt_at == rows["retry"].next_attempt_at > before
    assert stored["retry"].last_error == "503 from the provider"
    assert stored["failed"].last_error == "21211 invalid number"
    assert stored["dropped"].last_error == "not sent before its deadline"
    for key in ("retry", "failed", "dropped"):
        assert stored[key].provider_id == ""
        assert stored[key].sent_at is None
    assert all(m.lease_expires_at is None and m.attempts == 1 for m in stored.values())
    # The rows in hand say what the database says.
    assert all(rows[key].status == stored[key].status for key in stored)


def test_a_batch_is_written_in_one_statement_on_postgresql():
    for number in range(20):
        queue(f"notice-{number}")
    rows = claimed_by_key()
    outcomes = [Outcome(m, Result.SENT, provider_id=f"SM{m.pk}") for m in rows.values()]
    outcomes[3] = Outcome(outcomes[3].message, Result.RETRY, error="429")
    with CaptureQueriesContext(connection) as queries:
        record_outcomes(outcomes)
    writes = [q["sql"] for q in queries.captured_queries if "sms_message" in q["sql"]]
    assert len(writes) == 1
    assert Message.objects.filter(status=Message.Status.SENT).count() == 19
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 1


def test_a_code_text_is_blanked_once_settled_but_kept_for_a_retry_and_for_other_messages(
    recorder,
):
    for key in ("sent", "retry", "failed", "dropped"):
        queue(f"code-{key}", priority=Message.Priority.CODE)
    queue("notice", priority=Message.Priority.BULK)
    queue("call", priority=Message.Priority.CODE, recipient="+495111234567")  # a landline
    rows = claimed_by_key()
    outcomes = one_of_each(
        rows, sent="code-sent", retry="code-retry", failed="code-failed", dropped="code-dropped"
    )
    outcomes += [Outcome(rows["notice"], Result.SENT), Outcome(rows["call"], Result.SENT)]
    record_outcomes(outcomes)

    bodies = dict(Message.objects.values_list("idempotency_key", "body"))
    assert bodies == {
        "code-sent": "",
        "code-failed": "",
        "code-dropped": "",
        "code-retry": "text code-retry",  # it is sent again
        "notice": "text notice",
        "call": "text call",  # voice calls are left alone (see sms/outbox.py)
    }


def test_the_apps_above_hear_once_per_batch_after_the_rows_are_written():
    for key in ("sent-1", "sent-2", "retry", "failed", "dropped"):
        queue(key)
    heard: list[tuple[str, list[str], list[str]]] = []

    def listener(kind):
        def receiver(sender, messages, **kwargs):
            keys = [m.idempotency_key for m in messages]
            stored = Message.objects.filter(pk__in=[m.pk for m in messages])
            heard.append((kind, sorted(keys), sorted(stored.values_list("status", flat=True))))

        return receiver

    on_sent, on_failed = listener("sent"), listener("failed")
    messages_sent.connect(on_sent)
    messages_failed.connect(on_failed)
    try:
        rows = claimed_by_key()
        outcomes = one_of_each(
            rows, sent="sent-1", retry="retry", failed="failed", dropped="dropped"
        )
        outcomes.append(Outcome(rows["sent-2"], Result.SENT))
        record_outcomes(outcomes)
        record_outcomes([])  # an empty batch tells nobody
    finally:
        messages_sent.disconnect(on_sent)
        messages_failed.disconnect(on_failed)
    assert heard == [
        ("sent", ["sent-1", "sent-2"], ["sent", "sent"]),
        ("failed", ["dropped", "failed"], ["dropped", "failed"]),
    ]


def test_a_batch_with_only_retries_tells_nobody():
    queue("retry")
    heard = []

    def receiver(sender, messages, **kwargs):
        heard.append(messages)

    messages_sent.connect(receiver)
    messages_failed.connect(receiver)
    try:
        [row] = claimed_by_key().values()
        before = timezone.now()
        record_outcomes([Outcome(row, Result.RETRY, error="timeout")])
    finally:
        messages_sent.disconnect(receiver)
        messages_failed.disconnect(receiver)
    assert heard == []
    row.refresh_from_db()
    assert row.status == Message.Status.QUEUED
    assert row.next_attempt_at > before
