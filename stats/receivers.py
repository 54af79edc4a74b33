"""What each event adds to the daily counters.

The lower apps announce events through signals they define; ``connect_all``
(called from ``StatsConfig.ready``) registers the receivers below. Signals are
synchronous, so a counter commits or rolls back with its event.

Days are local days (Europe/Berlin). An event is counted on the day it
happened, except where the source tables keep a better day (see each receiver
and ``stats.rebuild``, which must agree with them).

Simple events (waiting list, check-in) follow one contract, so that wiring
one is one signal in the lower app plus one line in ``WIRING``: the signal is
sent with ``center_id`` (or ``district_id`` for a district-wide waiting list),
optionally ``on`` (the local day; default today) and ``amount`` (default 1).
"""

import importlib
from collections import Counter
from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone

from stats.counters import add, count
from stats.models import NOWHERE, Metric

# --- booking ---------------------------------------------------------------


def is_old(date_of_birth: date, *, on: date) -> bool:
    """Whether someone belongs to the oldest group the ministry reports on (80+)."""
    age = (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )
    return age >= settings.STATS_OLD_AGE


def series_booked(sender, *, series, slots, **kwargs) -> None:
    """Appointments and people booked, on the day of booking."""
    day = timezone.localdate(series.created_at)
    old = is_old(series.person.date_of_birth, on=day)
    center = series.center_id
    add(
        [
            (Metric.BOOKED, day, center, NOWHERE, len(slots)),
            (Metric.PEOPLE_BOOKED, day, center, NOWHERE, 1),
            (Metric.PEOPLE_BOOKED_80, day, center, NOWHERE, 1 if old else 0),
        ]
    )


def series_cancelled(sender, *, series, appointments: int, **kwargs) -> None:
    """Appointments cancelled, on the day of cancelling."""
    count(
        Metric.CANCELLED,
        day=timezone.localdate(series.cancelled_at),
        center_id=series.center_id,
        amount=appointments,
    )


# --- centers ---------------------------------------------------------------


def delivery_saving(sender, *, instance, raw=False, **kwargs) -> None:
    """Remember what a delivery said before it is corrected, to count the difference."""
    instance._stats_before = (
        sender.objects.filter(pk=instance.pk).values("center_id", "doses", "delivered_on").first()
        if instance.pk and not raw
        else None
    )


def delivery_saved(sender, *, instance, raw=False, **kwargs) -> None:
    """Doses delivered, on the delivery's date; a corrected delivery moves its doses."""
    if raw:
        return
    before = getattr(instance, "_stats_before", None)
    changes = [
        (Metric.DELIVERED, instance.delivered_on, instance.center_id, NOWHERE, instance.doses)
    ]
    if before:
        changes.append(
            (
                Metric.DELIVERED,
                before["delivered_on"],
                before["center_id"],
                NOWHERE,
                -before["doses"],
            )
        )
    add(changes)


def delivery_deleted(sender, *, instance, **kwargs) -> None:
    count(
        Metric.DELIVERED,
        day=instance.delivered_on,
        center_id=instance.center_id,
        amount=-instance.doses,
    )


def slots_released(sender, *, slots, seats, **kwargs) -> None:
    """Appointments released: the first-dose seats each slot gained, on the slot's
    own day (the day of releasing is not kept by the source table, and the
    slot's day is what "released vs. delivered vs. given" compares). A
    second-dose seat is part of its first dose's appointment, not one more."""
    _count_first_dose_seats(Metric.RELEASED, slots, seats)


def seats_withdrawn(sender, *, slots, seats, **kwargs) -> None:
    """Appointments withdrawn with a cancelled day: the first-dose seats it took away."""
    _count_first_dose_seats(Metric.WITHDRAWN, slots, seats)


def _count_first_dose_seats(metric: Metric, slots, seats: dict[int, int]) -> None:
    add(
        (metric, timezone.localdate(slot.starts_at), slot.center_id, NOWHERE, seats.get(slot.pk, 0))
        for slot in slots
        if slot.dose == 1
    )


# --- sms -------------------------------------------------------------------


def messages_sent(sender, *, messages, **kwargs) -> None:
    """Text messages sent, on the day each was sent: one upsert per dispatcher batch."""
    _count_messages(Metric.SMS_SENT, [m.sent_at for m in messages])


def messages_failed(sender, *, messages, **kwargs) -> None:
    """Counted on the day the message was queued: the outbox keeps no time of failure."""
    _count_messages(Metric.SMS_FAILED, [m.created_at for m in messages])


def _count_messages(metric: Metric, moments: list) -> None:
    days = Counter(timezone.localdate(moment) for moment in moments)
    add((metric, day, NOWHERE, NOWHERE, amount) for day, amount in days.items())


# --- simple events -----------------------------------------------------------


def counting(metric: Metric):
    """A receiver for the simple contract: ``center_id`` or ``district_id``, ``on``, ``amount``."""

    def receiver(sender, *, center_id=None, district_id=None, on=None, amount=1, **kwargs):
        add(
            [
                (
                    metric,
                    on or timezone.localdate(),
                    center_id or NOWHERE,
                    NOWHERE if center_id else (district_id or NOWHERE),
                    amount,
                )
            ]
        )

    receiver.__name__ = f"count_{metric}"
    return receiver


# (module, signal name, receiver). Every one must exist: a signal renamed or
# removed in a lower app would otherwise leave its figure at zero without a word,
# so ``connect_all`` refuses to start instead (ImproperlyConfigured).
WIRING = [
    ("booking.signals", "series_booked", series_booked),
    ("booking.signals", "series_cancelled", series_cancelled),
    ("sms.signals", "messages_sent", messages_sent),
    ("sms.signals", "messages_failed", messages_failed),
    ("centers.signals", "slots_released", slots_released),
    ("centers.signals", "seats_withdrawn", seats_withdrawn),
    ("booking.signals", "appointment_attended", counting(Metric.ATTENDED)),
    ("booking.signals", "appointment_no_show", counting(Metric.NO_SHOW)),
    ("waitlist.signals", "entry_joined", counting(Metric.WAITLIST_JOINED)),
    ("waitlist.signals", "entry_left", counting(Metric.WAITLIST_LEFT)),
    ("waitlist.signals", "offer_made", counting(Metric.OFFER_MADE)),
    ("waitlist.signals", "offer_accepted", counting(Metric.OFFER_ACCEPTED)),
    ("waitlist.signals", "offer_declined", counting(Metric.OFFER_DECLINED)),
    ("waitlist.signals", "offer_expired", counting(Metric.OFFER_EXPIRED)),
    ("reminders.signals", "reminder_sent", counting(Metric.REMINDER_SENT)),
    ("reminders.signals", "cancelled_by_reminder", counting(Metric.REMINDER_CANCEL)),
    ("standby.signals", "offers_sent", counting(Metric.STANDBY_OFFER)),
    ("standby.signals", "claim_made", counting(Metric.STANDBY_CLAIM)),
    ("standby.signals", "dose_saved", counting(Metric.DOSE_SAVED)),
]


def connect_all() -> list[str]:
    """Register every receiver; return the ones connected.

    Raises ImproperlyConfigured, and so stops the start-up, when a wired module or
    signal does not exist.
    """
    from centers.models import Delivery

    missing = []
    signals = []
    for module_name, signal_name, receiver in WIRING:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise  # the module exists but is broken: say so
            missing.append(f"{module_name} (no such module)")
            continue
        signal = getattr(module, signal_name, None)
        if not isinstance(signal, Signal):
            missing.append(f"{module_name}.{signal_name}")
            continue
        signals.append((module_name, signal_name, signal, receiver))
    if missing:
        raise ImproperlyConfigured(
            "stats.receivers.WIRING names signals that do not exist: " + ", ".join(missing)
        )
    pre_save.connect(delivery_saving, sender=Delivery, dispatch_uid="stats.delivery_saving")
    post_save.connect(delivery_saved, sender=Delivery, dispatch_uid="stats.delivery_saved")
    post_delete.connect(delivery_deleted, sender=Delivery, dispatch_uid="stats.delivery_deleted")
    connected = ["centers.Delivery"]
    for module_name, signal_name, signal, receiver in signals:
        signal.connect(receiver, dispatch_uid=f"stats.{module_name}.{signal_name}")
        connected.append(f"{module_name}.{signal_name}")
    return connected
