"""Queueing reminders, checking them at send time, and cancelling through their link.

``enqueue_due_reminders`` is what the scheduler (``manage.py send_reminders``)
runs every minute: it queues the reminders due within ``LOOKAHEAD`` into the
outbox at bulk priority, with ``next_attempt_at`` at their moment and
``send_before`` at the appointment, in batches of short transactions, so the
booking path never waits on it. Running it twice, or in two processes at once,
queues nothing twice: a reminder is one row per appointment and kind (unique),
and its message has an idempotency key.
"""

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from booking.errors import BookingError
from booking.models import Appointment, Series
from booking.services import cancel_series
from centers.models import Center
from reminders import schedule
from reminders.links import link_for, make_token, read_token, signer
from reminders.models import Reminder
from reminders.signals import cancelled_by_reminder
from sms.models import Message
from sms.outbox import render_message
from sms.phone import is_mobile_number

logger = logging.getLogger(__name__)

BATCH = 1000
KEY_PREFIX = "reminder:"
# Stand-ins rendered into a text shared by everyone at the same time and center.
_CODE, _TOKEN = "\x00code\x00", "TOKEN-OF-THE-LINK"


def message_key(*, appointment_id: int, kind: str) -> str:
    return f"{KEY_PREFIX}{kind}:{appointment_id}"


# What a batch reads of each appointment: no model instances (a pass may cover
# hundreds of thousands of appointments; building rows cost more than the SQL).
_FIELDS = (
    "pk",
    "dose",
    "slot__starts_at",
    "slot__center_id",
    "series__booking_code",
    "series__created_at",
    "series__person__household__phone",
)


@dataclass(frozen=True, slots=True)
class _Due:
    pk: int
    dose: int
    starts_at: datetime
    center_id: int
    booking_code: str
    booked_at: datetime
    phone: str


def _due(kind: str, now: datetime, *, after: int, batch: int, lookahead: timedelta) -> list[_Due]:
    """The next booked appointments (by id, after ``after``) whose reminder of this
    kind is due within the lookahead and has not been written yet."""
    offset = schedule.OFFSETS[kind]
    rows = (
        Appointment.objects.of_active_series()
        .filter(
            pk__gt=after,
            status=Appointment.Status.BOOKED,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + offset + lookahead,
        )
        .exclude(Exists(Reminder.objects.filter(appointment=OuterRef("pk"), kind=kind)))
        .order_by("pk")
        .values_list(*_FIELDS)[:batch]
    )
    return [_Due(*row) for row in rows]


class _Texts:
    """Renders each (template, center, time, dose) once and fills in code and link;
    decides SMS or call once per kind of number."""

    def __init__(self) -> None:
        self._cache: dict[tuple, str] = {}
        self._centers: dict[int, Center] = {}
        self._mobile: dict[tuple[str, int], bool] = {}
        self._signer = signer()
        self._link = link_for(_TOKEN)

    def is_mobile(self, phone: str) -> bool:
        """Mobile or landline is a matter of the number's prefix and length (for a
        German number: 015x, 016x, 017x); parsing each number took most of a pass."""
        key = (phone[:6], len(phone))
        if key not in self._mobile:
            self._mobile[key] = is_mobile_number(phone)
        return self._mobile[key]

    def body(self, due: _Due, *, kind: str, mobile: bool) -> str:
        template = "reminder.txt" if mobile else "reminder_call.txt"
        key = (template, due.center_id, due.starts_at, due.dose)
        text = self._cache.get(key)
        if text is None:
            if due.center_id not in self._centers:
                self._centers[due.center_id] = Center.objects.get(pk=due.center_id)
            with translation.override(settings.LANGUAGE_CODE):
                text = render_message(
                    template,
                    {
                        "center": self._centers[due.center_id],
                        "starts_at": due.starts_at,
                        "dose": due.dose,
                        "booking_code": _CODE,
                        "link": self._link,
                    },
                )
            self._cache[key] = text
        token = make_token(appointment_id=due.pk, kind=kind, using=self._signer)
        return text.replace(_CODE, due.booking_code).replace(_TOKEN, token)


def enqueue_due_reminders(
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    lookahead: timedelta = schedule.LOOKAHEAD,
    pace: float = 0.0,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Queue every reminder due within ``lookahead``; return how many per outcome.

    ``pace`` > 0 rests that many times as long as each batch took, so that a
    large pass shares the database with the booking path instead of taking it
    (``stop``, when set, cuts the rest short). Each batch commits on its own,
    so a pass cut short is simply continued by the next one.
    """
    now = now or timezone.now()
    stop = stop or threading.Event()
    done = {"queued": 0, "skipped": 0}
    texts = _Texts()
    for kind in schedule.OFFSETS:
        last = 0  # keyset pagination: each batch starts after the last one's ids
        while due := _due(kind, now, after=last, batch=batch, lookahead=lookahead):
            started = time.monotonic()
            last = due[-1].pk
            queued, skipped = _enqueue_batch(due, kind=kind, now=now, texts=texts)
            done["queued"] += queued
            done["skipped"] += skipped
            if pace > 0 and stop.wait((time.monotonic() - started) * pace):
                return done
    return done


def _enqueue_batch(due: list[_Due], *, kind: str, now: datetime, texts: _Texts) -> tuple[int, int]:
    reminders: list[tuple] = []  # (appointment, status, starts_at, send_at)
    messages: list[tuple] = []  # (key, recipient, body, channel, next_attempt_at, send_before)
    for a in due:
        moment = schedule.send_moment(
            kind=kind, starts_at=a.starts_at, booked_at=a.booked_at, now=now
        )
        if moment is None:
            reminders.append((a.pk, Reminder.Status.SKIPPED, a.starts_at, a.starts_at))
            continue
        mobile = texts.is_mobile(a.phone)
        channel = Message.Channel.SMS if mobile else Message.Channel.VOICE
        key = message_key(appointment_id=a.pk, kind=kind)
        body = texts.body(a, kind=kind, mobile=mobile)
        messages.append((key, a.phone, body, channel, moment, a.starts_at))
        reminders.append((a.pk, Reminder.Status.QUEUED, a.starts_at, moment))
    with transaction.atomic():
        # Both inserts skip rows another scheduler wrote first (ON CONFLICT DO
        # NOTHING): one reminder per appointment and kind, one message per key.
        _insert_messages(messages, now=now)
        _insert_reminders(reminders, kind=kind, now=now)
        _link_messages([a.pk for a in due], kind=kind)
    return len(messages), len(reminders) - len(messages)


_MESSAGES_SQL = """
    INSERT INTO sms_message (idempotency_key, recipient, body, channel, next_attempt_at,
        send_before, priority, status, created_at, attempts, provider_id, last_error,
        delivery_status, provider_status, delivery_error_code)
    SELECT k, r, b, c, n, sb, %s, 'queued', %s, 0, '', '', '', '', ''
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[],
        %s::timestamptz[]) AS t(k, r, b, c, n, sb)
    ON CONFLICT (idempotency_key) DO NOTHING
"""
_REMINDERS_SQL = """
    INSERT INTO reminders_reminder (appointment_id, kind, status, starts_at, send_at, created_at)
    SELECT a, %s, st, sa, se, %s
    FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[])
        AS t(a, st, sa, se)
    ON CONFLICT (appointment_id, kind) DO NOTHING
"""


def _columns(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else []


def _insert_messages(rows: list[tuple], *, now: datetime) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_MESSAGES_SQL, [Message.Priority.BULK, now, *_columns(rows)])
        return
    Message.objects.bulk_create(
        [
            Message(
                idempotency_key=key,
                recipient=recipient,
                body=body,
                channel=channel,
                next_attempt_at=moment,
                send_before=before,
                priority=Message.Priority.BULK,
                created_at=now,
            )
            for key, recipient, body, channel, moment, before in rows
        ],
        ignore_conflicts=True,
    )


def _insert_reminders(rows: list[tuple], *, kind: str, now: datetime) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REMINDERS_SQL, [kind, now, *_columns(rows)])
        return
    Reminder.objects.bulk_create(
        [
            Reminder(
                appointment_id=pk,
                kind=kind,
                status=status,
                starts_at=starts_at,
                send_at=send_at,
                created_at=now,
            )
            for pk, status, starts_at, send_at in rows
        ],
        ignore_conflicts=True,
    )


_LINK_SQL = """
    UPDATE reminders_reminder r SET message_id = m.id
    FROM sms_message m
    WHERE r.appointment_id = ANY(%s) AND r.kind = %s AND r.message_id IS NULL
      AND r.status = 'queued' AND m.idempotency_key = %s || r.kind || ':' || r.appointment_id
"""


def _link_messages(appointment_ids: list[int], *, kind: str) -> None:
    """Point each queued reminder of the batch at its message (found by its key)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LINK_SQL, [appointment_ids, kind, KEY_PREFIX])
        return
    unlinked = Reminder.objects.filter(
        appointment_id__in=appointment_ids,
        kind=kind,
        status=Reminder.Status.QUEUED,
        message__isnull=True,
    )
    keys = {
        message_key(appointment_id=a, kind=kind): pk
        for pk, a in unlinked.values_list("pk", "appointment_id")
    }
    ids = dict(
        Message.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", "pk")
    )
    Reminder.objects.bulk_update(
        [Reminder(pk=pk, message_id=ids[key]) for key, pk in keys.items() if key in ids],
        ["message"],
    )


# --- at send time ---------------------------------------------------------------


def screen(messages: list[Message], *, now: datetime | None = None) -> dict[int, datetime | None]:
    """The outbox's question at send time, for the reminders among ``messages``:
    None for one that must not go out (its appointment was cancelled, moved or
    has begun), a later moment for one claimed in quiet hours."""
    ours = [m.pk for m in messages if m.idempotency_key.startswith(KEY_PREFIX)]
    if not ours:
        return {}
    now = now or timezone.now()
    verdicts: dict[int, datetime | None] = dict.fromkeys(ours)  # no reminder row: drop
    dropped = []
    for reminder in Reminder.objects.filter(message_id__in=ours).select_related(
        "appointment__slot", "appointment__series"
    ):
        a = reminder.appointment
        message_id = int(reminder.message_id or 0)
        still_valid = (
            a.status == Appointment.Status.BOOKED
            and a.series.is_active
            and a.slot.starts_at == reminder.starts_at
        )
        later = schedule.outside_quiet_hours(now, starts_at=reminder.starts_at)
        if not still_valid or later < now or later > reminder.starts_at - schedule.MIN_LEAD:
            dropped.append(reminder.pk)
        elif later > now:
            verdicts[message_id] = later  # quiet hours: held until they end
        else:
            del verdicts[message_id]  # goes out now
    Reminder.objects.filter(pk__in=dropped).update(status=Reminder.Status.DROPPED)
    return verdicts


def sent_per_center_and_day(messages: list[Message]) -> Counter[tuple[int, date]]:
    """How many of ``messages`` (a dispatcher's batch, sent) are reminders, per
    center and local day of sending. One query, and only when the batch holds
    a reminder."""
    sent_on = {
        m.pk: timezone.localdate(m.sent_at)
        for m in messages
        if m.idempotency_key.startswith(KEY_PREFIX) and m.sent_at is not None
    }
    if not sent_on:
        return Counter()
    return Counter(
        (center_id, sent_on[message_id])
        for message_id, center_id in Reminder.objects.filter(message_id__in=sent_on).values_list(
            "message_id", "appointment__slot__center_id"
        )
    )


# --- the link -------------------------------------------------------------------


class LinkError(Exception):
    """The link cannot be used; the message says why, in the resident's words."""


@dataclass(frozen=True)
class LinkTarget:
    reminder: Reminder
    appointment: Appointment
    token: str


def _find(token: str, *, for_update: bool = False) -> Reminder:
    found = read_token(token)
    if found is None:
        raise LinkError(_("This link is not valid. Please check that it was copied completely."))
    appointment_id, kind = found
    reminders = Reminder.objects.select_related(
        "appointment__slot__center", "appointment__series__person__household"
    )
    if for_update:
        reminders = reminders.select_for_update(of=("self",))
    reminder = reminders.filter(appointment_id=appointment_id, kind=kind).first()
    if reminder is None:
        raise LinkError(_("This link is not valid. Please check that it was copied completely."))
    return reminder


def _check_usable(reminder: Reminder, now: datetime) -> None:
    a = reminder.appointment
    if reminder.link_used_at is not None:
        raise LinkError(_("This link has already been used. Your appointments are cancelled."))
    if not a.series.is_active or a.status != Appointment.Status.BOOKED:
        raise LinkError(_("This appointment is no longer booked. There is nothing to cancel."))
    if a.slot.starts_at <= now:
        raise LinkError(
            _(
                "This link has expired: the appointment has begun. If you cannot come, "
                "please call the vaccination center."
            )
        )


def target_of(token: str, *, now: datetime | None = None) -> LinkTarget:
    """What the link would cancel; changes nothing. Raises LinkError."""
    reminder = _find(token)
    _check_usable(reminder, now or timezone.now())
    return LinkTarget(reminder=reminder, appointment=reminder.appointment, token=token)


def cancel_by_link(*, token: str, now: datetime | None = None) -> Series:
    """Cancel the appointment's series through the normal cancellation (seats go
    back and are passed on); the link is used up. Raises LinkError."""
    with transaction.atomic():
        reminder = _find(token, for_update=True)
        now = now or timezone.now()
        _check_usable(reminder, now)
        series = reminder.appointment.series
        try:
            cancelled = cancel_series(
                household=series.person.household, booking_code=series.booking_code
            )
        except BookingError as error:
            raise LinkError(str(error)) from None
        Reminder.objects.filter(pk=reminder.pk).update(link_used_at=now)
        cancelled_by_reminder.send(
            sender=Reminder, center_id=series.center_id, on=timezone.localdate(now)
        )
    return cancelled
