"""Writing messages into the outbox, claiming them and recording what became of them.

``queue_message`` is called inside the transaction of the change that causes
the message, so a rolled-back change sends nothing and a committed one always
has its message. The dispatcher (``sms.dispatcher``, run by ``manage.py
sms_dispatch``) claims due rows with ``claim_due``, sends each with
``send_one`` and writes the outcomes with ``record_outcomes``; ``dispatch_due``
does the same in one synchronous pass for tests.

Delivery is at least once: a dispatcher killed after the provider took a
message but before the outcome was written sends it again after the lease.
The text is the stored row's, so the repeat is the same message (the same
code), never a different one.
"""

import enum
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from impfportal.compiled import CompiledInsert
from sms.backends import PermanentSendError, SmsBackend, TransientSendError, get_backend
from sms.models import Message
from sms.phone import is_mobile_number, mask, redact
from sms.signals import messages_claimed, messages_failed, messages_sent

logger = logging.getLogger(__name__)


_INSERT_MESSAGE = CompiledInsert(
    Message,
    fields=[field for field in Message._meta.concrete_fields if not field.primary_key],
    ignore_conflicts=True,
)


def render_message(template_name: str, context: dict) -> str:
    """Render an SMS text from ``templates/sms/``; whitespace is collapsed."""
    text = render_to_string(f"sms/{template_name}", context)
    return " ".join(text.split())


def queue_message(
    *,
    recipient: str,
    body: str,
    priority: Message.Priority,
    idempotency_key: str,
    channel: Message.Channel = Message.Channel.SMS,
    send_before: datetime | None = None,
) -> Message:
    """Add a message to the outbox; the same idempotency key never queues twice.

    A landline cannot receive an SMS: its messages are queued as voice calls
    that read the text out.
    """
    if channel == Message.Channel.SMS and not is_mobile_number(recipient):
        channel = Message.Channel.VOICE
    message = Message(
        idempotency_key=idempotency_key,
        recipient=recipient,
        body=body,
        priority=priority,
        channel=channel,
        send_before=send_before,
    )
    # INSERT … ON CONFLICT DO NOTHING RETURNING id: one statement when the key is
    # new (every booking), no savepoint (get_or_create takes four inside the
    # booking's transaction), compiled once. A key queued before returns no row:
    # then the row it names, the first one queued under it, is read.
    pk = _INSERT_MESSAGE.insert(message)
    if pk is None:
        return Message.objects.get(idempotency_key=idempotency_key)
    message.pk = pk
    message._state.adding = False
    message._state.db = router.db_for_write(Message, instance=message)
    return message


def lease() -> timedelta:
    """How long a claimed row belongs to its dispatcher. It must outlast the
    longest wait of a claimed row in the pool (a few provider timeouts)."""
    return timedelta(seconds=settings.SMS_LEASE_SECONDS)


def reclaim_expired_leases() -> int:
    """Put rows of a dispatcher that died with them claimed back in the queue."""
    return Message.objects.filter(
        status=Message.Status.SENDING, lease_expires_at__lt=timezone.now()
    ).update(status=Message.Status.QUEUED, lease_expires_at=None)


def claim_due(*, limit: int, channel: str | None = None) -> list[Message]:
    """Claim up to ``limit`` due rows, most urgent first, for this dispatcher.

    ``FOR UPDATE SKIP LOCKED`` lets N dispatchers claim at the same time
    without waiting for or taking each other's rows; the lease brings the rows
    back if this dispatcher dies. Each claim counts as an attempt, so a row
    that keeps killing its dispatcher is given up after SMS_MAX_ATTEMPTS.
    """
    if limit <= 0:
        return []
    now = timezone.now()
    if connection.vendor == "postgresql":
        rows = _claim_in_one_statement(limit=limit, channel=channel, now=now)
    else:
        rows = _claim_with_the_orm(limit=limit, channel=channel, now=now)
    rows.sort(key=lambda row: (row.priority, row.next_attempt_at, row.pk))
    return screen_claimed(rows)


def screen_claimed(rows: list[Message]) -> list[Message]:
    """Ask the apps above (``messages_claimed``) whether the claimed rows are still
    wanted; drop or put back the ones they name, return the rest in order.

    The check at send time: a reminder queued a day ahead must not go out for
    an appointment cancelled since, nor during quiet hours. A row no longer
    wanted is withdrawn (deleted): it was never the provider's, so it is not a
    failed or dropped text in the figures, and tells nobody. A row put back
    keeps its attempts.
    """
    if not rows or not messages_claimed.has_listeners(Message):
        return rows
    verdicts: dict[int, datetime | None] = {}
    for _receiver, answer in messages_claimed.send(sender=Message, messages=rows):
        if isinstance(answer, dict):
            verdicts.update(answer)
    if not verdicts:
        return rows
    dropped = [pk for pk, later in verdicts.items() if later is None]
    if dropped:
        Message.objects.filter(pk__in=dropped, status=Message.Status.SENDING).delete()
    for pk, later in verdicts.items():
        if later is not None:
            Message.objects.filter(pk=pk, status=Message.Status.SENDING).update(
                status=Message.Status.QUEUED,
                next_attempt_at=later,
                lease_expires_at=None,
                attempts=F("attempts") - 1,
            )
    return [row for row in rows if row.pk not in verdicts]


def _claim_with_the_orm(*, limit: int, channel: str | None, now: datetime) -> list[Message]:
    due = Message.objects.filter(status=Message.Status.QUEUED, next_attempt_at__lte=now)
    if channel is not None:
        due = due.filter(channel=channel)
    with transaction.atomic():
        rows = list(
            due.select_for_update(skip_locked=True).order_by("priority", "next_attempt_at", "pk")[
                :limit
            ]
        )
        if rows:
            lease_expires_at = now + lease()
            Message.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Message.Status.SENDING,
                lease_expires_at=lease_expires_at,
                attempts=F("attempts") + 1,
            )
            for row in rows:
                row.status = Message.Status.SENDING
                row.lease_expires_at = lease_expires_at
                row.attempts += 1
    return rows


_CLAIMED_FIELDS = [
    "id",
    "recipient",
    "channel",
    "body",
    "priority",
    "status",
    "idempotency_key",
    "created_at",
    "send_before",
    "next_attempt_at",
    "lease_expires_at",
    "attempts",
]
_CLAIM_SQL = """
    UPDATE sms_message
    SET status = 'sending', lease_expires_at = %s, attempts = attempts + 1
    WHERE id = ANY(ARRAY(
        SELECT id FROM sms_message
        WHERE status = 'queued' AND next_attempt_at <= %s {channel}
        ORDER BY priority, next_attempt_at, id
        LIMIT %s
        FOR UPDATE SKIP LOCKED
    ))
    RETURNING {fields}
"""


def _claim_in_one_statement(*, limit: int, channel: str | None, now: datetime) -> list[Message]:
    """The same claim as one statement in its own transaction: one round trip
    instead of four, which is what limits a busy dispatcher. ``= ANY(ARRAY(…))``
    makes PostgreSQL run the locking subquery exactly once."""
    sql = _CLAIM_SQL.format(
        channel="AND channel = %s" if channel is not None else "",
        fields=", ".join(_CLAIMED_FIELDS),
    )
    params: list[datetime | str | int] = [
        now + lease(),
        now,
        *([channel] if channel is not None else []),
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Message.from_db("default", _CLAIMED_FIELDS, row) for row in cursor.fetchall()]


def release(messages: list[Message]) -> None:
    """Give claimed rows back unsent (a dispatcher stopping); the claim does not count."""
    Message.objects.filter(pk__in=[m.pk for m in messages], status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, lease_expires_at=None, attempts=F("attempts") - 1
    )


class Result(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    DROPPED = "dropped"


@dataclass(slots=True)
class Outcome:
    message: Message
    result: Result
    provider_id: str = ""
    error: str = ""
    # Looked up at each call, not bound once: a clock moved in tests (and any
    # patched ``timezone.now``) must date the outcome like everything else.
    at: datetime = field(default_factory=lambda: timezone.now())


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about base * 2^(attempts-1), capped.

    The jitter (a random point in the upper half of the interval) spreads the
    retries of a burst that failed together, so that a recovering provider is
    not hit by all of them in the same second.
    """
    ceiling = min(
        settings.SMS_RETRY_MAX_SECONDS,
        settings.SMS_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1),
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (not security)


def send_one(message: Message, backend: SmsBackend) -> Outcome:
    """Hand one claimed message to the provider and classify what happened.

    Runs on the dispatcher's worker threads: no database access here.
    """
    if message.send_before is not None and message.send_before <= timezone.now():
        # A code the resident can no longer use: not sent at all.
        return Outcome(message, Result.DROPPED, error="not sent before its deadline")
    if message.attempts > settings.SMS_MAX_ATTEMPTS:
        return Outcome(message, Result.FAILED, error="given up after too many attempts")
    try:
        provider_id = backend.send(message)
    except PermanentSendError as error:
        return Outcome(message, Result.FAILED, error=redact(str(error)))
    except TransientSendError as error:
        result = Result.FAILED if message.attempts >= settings.SMS_MAX_ATTEMPTS else Result.RETRY
        return Outcome(message, result, error=redact(str(error)))
    except Exception as error:
        # A bug or an unexpected library error must not lose the message or
        # stop the pool: log it (without the text) and try again later.
        logger.exception("sms %s: unexpected error from the backend", message.pk)
        return Outcome(message, Result.RETRY, error=redact(f"{type(error).__name__}: {error}"))
    return Outcome(message, Result.SENT, provider_id=provider_id or "")


# A verification code's text is kept only until the provider has it: codes
# are stored as keyed hashes (sms.services), and the outbox row would otherwise
# keep the code readable for as long as the row lives. So the statement that
# records a text message as sent, failed or dropped blanks its body. Voice calls
# are left alone until it is settled that no provider callback reads the body
# after the call was placed; a retried code keeps its text to be sent again.
# The rows in hand keep their text (the memory backend of the tests holds them).
# (Priority.CODE is 0, Channel.SMS is 'sms': tests/sms/test_recording_outcomes.py.)

# PostgreSQL: the whole batch in one statement (one round trip, one commit),
# the rows' new values passed as arrays. A column that a kind of outcome does
# not change is passed as NULL and kept.
_RECORD_SQL = """
    UPDATE sms_message SET
        status = v.status,
        provider_id = COALESCE(v.provider_id, sms_message.provider_id),
        sent_at = COALESCE(v.sent_at, sms_message.sent_at),
        next_attempt_at = COALESCE(v.next_attempt_at, sms_message.next_attempt_at),
        last_error = v.last_error,
        lease_expires_at = NULL,
        body = CASE
            WHEN v.status <> 'queued' AND sms_message.priority = 0
                AND sms_message.channel = 'sms' THEN ''
            ELSE sms_message.body END
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[],
        %s::text[]) AS v(id, status, provider_id, sent_at, next_attempt_at, last_error)
    WHERE sms_message.id = v.id
"""

# Other databases (SQLite in the quick start): one statement per kind of
# outcome, run for many rows at once. The ORM's bulk_update builds a CASE per
# row and field, which cost more than sending the messages.
_SQL = {
    Result.SENT: "UPDATE sms_message SET status = %s, provider_id = %s, sent_at = %s, "
    "last_error = '', lease_expires_at = NULL, "
    "body = CASE WHEN priority = 0 AND channel = 'sms' THEN '' ELSE body END WHERE id = %s",
    Result.RETRY: "UPDATE sms_message SET status = %s, next_attempt_at = %s, last_error = %s, "
    "lease_expires_at = NULL WHERE id = %s",
    Result.FAILED: "UPDATE sms_message SET status = %s, last_error = %s, "
    "lease_expires_at = NULL, "
    "body = CASE WHEN priority = 0 AND channel = 'sms' THEN '' ELSE body END WHERE id = %s",
}
_SQL[Result.DROPPED] = _SQL[Result.FAILED]


def record_outcomes(outcomes: list[Outcome]) -> None:
    """Write a batch of outcomes, then tell the apps above in one signal per kind.

    ``messages_sent`` (the sent rows; e.g. starts an offer's deadline) and
    ``messages_failed`` (the rows given up: nobody will read them) run only
    after the batch's rows are written, each receiver on its own: a failing
    one is logged and neither loses an outcome nor stops the dispatcher.
    """
    if not outcomes:
        return
    for outcome in outcomes:
        message = outcome.message
        message.lease_expires_at = None
        message.last_error = outcome.error[:300]
        if outcome.result is Result.SENT:
            message.status = Message.Status.SENT
            message.provider_id = outcome.provider_id[:64]
            message.sent_at = outcome.at
        elif outcome.result is Result.RETRY:
            message.status = Message.Status.QUEUED
            message.next_attempt_at = outcome.at + retry_delay(message.attempts)
        else:
            message.status = (
                Message.Status.FAILED if outcome.result is Result.FAILED else Message.Status.DROPPED
            )
    if connection.vendor == "postgresql":
        _record_in_one_statement(outcomes)
    else:
        _record_by_kind(outcomes)

    sent, failed = [], []
    for outcome in outcomes:
        message = outcome.message
        if outcome.result is Result.SENT:
            sent.append(message)
        elif outcome.result is Result.RETRY:
            logger.info(
                "sms %s to %s: retry at %s (%s)",
                message.pk,
                mask(message.recipient),
                message.next_attempt_at.isoformat(timespec="seconds"),
                message.last_error,
            )
        else:
            logger.warning(
                "sms %s to %s: %s (%s)",
                message.pk,
                mask(message.recipient),
                message.status,
                message.last_error,
            )
            failed.append(message)
    if sent:
        # One line per batch: at thousands of messages a second, a line (and a
        # masked number) per message is work the dispatcher cannot spare.
        logger.debug("sms: %d sent (%s … %s)", len(sent), sent[0].pk, sent[-1].pk)
        _notify(messages_sent, sent)
    if failed:
        _notify(messages_failed, failed)


def _record_in_one_statement(outcomes: list[Outcome]) -> None:
    columns: tuple[list, ...] = ([], [], [], [], [], [])
    ids, statuses, provider_ids, sent_ats, next_attempts, errors = columns
    for outcome in outcomes:
        message = outcome.message
        sent = outcome.result is Result.SENT
        ids.append(message.pk)
        statuses.append(message.status)
        provider_ids.append(message.provider_id if sent else None)
        sent_ats.append(message.sent_at if sent else None)
        next_attempts.append(message.next_attempt_at if outcome.result is Result.RETRY else None)
        errors.append(message.last_error)
    # Autocommit: the batch commits as one; a failure leaves it to the leases.
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL, columns)


def _record_by_kind(outcomes: list[Outcome]) -> None:
    rows: dict[Result, list[tuple]] = {result: [] for result in Result}
    moment = connection.ops.adapt_datetimefield_value  # the backend's own form
    for outcome in outcomes:
        message = outcome.message
        row: tuple
        if outcome.result is Result.SENT:
            row = (message.status, message.provider_id, moment(message.sent_at), message.pk)
        elif outcome.result is Result.RETRY:
            row = (message.status, moment(message.next_attempt_at), message.last_error, message.pk)
        else:
            row = (message.status, message.last_error, message.pk)
        rows[outcome.result].append(row)
    # Each row's update stands alone (autocommit): a failure half-way leaves
    # the rest of the batch to its lease.
    with connection.cursor() as cursor:
        for result, params in rows.items():
            if params:
                cursor.executemany(_SQL[result], params)


def _notify(signal, messages: list[Message]) -> None:
    # One failing receiver must not stop the dispatcher or the other receivers.
    for receiver, response in signal.send_robust(sender=Message, messages=messages):
        if isinstance(response, Exception):
            logger.error(
                "sms: receiver %r failed for %d messages (%s … %s)",
                receiver,
                len(messages),
                messages[0].pk,
                messages[-1].pk,
                exc_info=response,
            )


def dispatch_due(limit: int = 100) -> int:
    """Send up to ``limit`` due messages, most urgent first, one after the other.

    One synchronous pass without the pool or the provider rate, for tests;
    returns how many were sent. ``manage.py sms_dispatch`` runs ``sms.dispatcher.Dispatcher``.
    """
    backend = get_backend()
    reclaim_expired_leases()
    outcomes = [send_one(message, backend) for message in claim_due(limit=limit)]
    record_outcomes(outcomes)
    return sum(1 for outcome in outcomes if outcome.result is Result.SENT)
