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
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from booking.errors import BookingError
from booking.models import Appointment, Series
from booking.services import cancel_series
from reminders import schedule
from reminders.links import link_for, make_token, read_token
from reminders.models import Reminder
from reminders.signals import cancelled_by_reminder
from sms.models import Message
from sms.outbox import render_message
from sms.phone import is_mobile_number

logger = logging.getLogger(__name__)

BATCH = 1000
KEY_PREFIX = "reminder:"
# Stand-ins rendered into a text shared by everyone at the same time and center.
_CODE, _LINK = "\x00code\x00", "\x00link\x00"


def message_key(*, appointment_id: int, kind: str) -> str:
    return f"{KEY_PREFIX}{kind}:{appointment_id}"


def _due(kind: str, now: datetime):
    """Booked appointments whose reminder of this kind is due within the lookahead
    and has not been written yet."""
    offset = schedule.OFFSETS[kind]
    return (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            series__status=Series.Status.ACTIVE,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + offset + schedule.LOOKAHEAD,
        )
        .exclude(Exists(Reminder.objects.filter(appointment=OuterRef("pk"), kind=kind)))
        .select_related("slot__center", "series__person__household")
        .order_by("pk")
    )


class _Texts:
    """Renders each (template, center, time, dose) once and fills in code and link."""

    def __init__(self) -> None:
        self._cache: dict[tuple, str] = {}

    def body(self, appointment: Appointment, *, kind: str, mobile: bool) -> str:
        slot = appointment.slot
        template = "reminder.txt" if mobile else "reminder_call.txt"
        key = (template, slot.center_id, slot.starts_at, appointment.dose)
        text = self._cache.get(key)
        if text is None:
            with translation.override(settings.LANGUAGE_CODE):
                text = render_message(
                    template,
                    {
                        "center": slot.center,
                        "starts_at": slot.starts_at,
                        "dose": appointment.dose,
                        "booking_code": _CODE,
                        "link": _LINK,
                    },
                )
            self._cache[key] = text
        token = make_token(appointment_id=appointment.pk, kind=kind)
        return text.replace(_CODE, appointment.series.booking_code).replace(_LINK, link_for(token))


def enqueue_due_reminders(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Queue every reminder due within the lookahead; return how many per outcome."""
    now = now or timezone.now()
    done = {"queued": 0, "skipped": 0}
    texts = _Texts()
    for kind in schedule.OFFSETS:
        while True:
            appointments = list(_due(kind, now)[:batch])
            if not appointments:
                break
            queued, skipped = _enqueue_batch(appointments, kind=kind, now=now, texts=texts)
            done["queued"] += queued
            done["skipped"] += skipped
    return done


def _enqueue_batch(
    appointments: list[Appointment], *, kind: str, now: datetime, texts: _Texts
) -> tuple[int, int]:
    reminders, messages = [], []
    for a in appointments:
        moment = schedule.send_moment(
            kind=kind, starts_at=a.slot.starts_at, booked_at=a.series.created_at, now=now
        )
        if moment is None:
            reminders.append(
                Reminder(
                    appointment=a,
                    kind=kind,
                    status=Reminder.Status.SKIPPED,
                    starts_at=a.slot.starts_at,
                    send_at=a.slot.starts_at,
                    created_at=now,
                )
            )
            continue
        phone = a.series.person.household.phone
        mobile = is_mobile_number(phone)
        messages.append(
            Message(
                idempotency_key=message_key(appointment_id=a.pk, kind=kind),
                recipient=phone,
                body=texts.body(a, kind=kind, mobile=mobile),
                priority=Message.Priority.BULK,
                channel=Message.Channel.SMS if mobile else Message.Channel.VOICE,
                next_attempt_at=moment,
                send_before=a.slot.starts_at,
                created_at=now,
            )
        )
        reminders.append(
            Reminder(
                appointment=a, kind=kind, starts_at=a.slot.starts_at, send_at=moment, created_at=now
            )
        )
    with transaction.atomic():
        # Both inserts skip rows another scheduler wrote first (ON CONFLICT DO
        # NOTHING): one reminder per appointment and kind, one message per key.
        Message.objects.bulk_create(messages, ignore_conflicts=True)
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
        keys = {m.idempotency_key: m for m in messages}
        ids = dict(
            Message.objects.filter(idempotency_key__in=list(keys)).values_list(
                "idempotency_key", "pk"
            )
        )
        links = [
            Reminder(pk=pk, message_id=ids[message_key(appointment_id=appointment_id, kind=kind)])
            for pk, appointment_id in Reminder.objects.filter(
                appointment_id__in=[a.pk for a in appointments],
                kind=kind,
                status=Reminder.Status.QUEUED,
                message__isnull=True,
            ).values_list("pk", "appointment_id")
            if message_key(appointment_id=appointment_id, kind=kind) in ids
        ]
        Reminder.objects.bulk_update(links, ["message"])
    skipped = len(reminders) - len(messages)
    return len(messages), skipped


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
            and a.series.status == Series.Status.ACTIVE
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


def center_of_sent_reminder(message_id: int) -> int | None:
    return (
        Reminder.objects.filter(message_id=message_id)
        .values_list("appointment__slot__center_id", flat=True)
        .first()
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
    if a.series.status != Series.Status.ACTIVE or a.status != Appointment.Status.BOOKED:
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
