"""Answering and ending offers: accept, decline, expiry, withdrawal, undelivered SMS.

Lock order everywhere: the entry row, then the offer row, then slots (through
``centers.services``). Ending an offer gives its two seats back with
``release_seats``, whose ``seats_freed`` signal brings the exchange back in the
same transaction; the entry is set back to waiting only afterwards, so the
seats pass on to the *next* person, not back to the one who let them go.
"""

import logging
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from booking.errors import AlreadyBooked
from booking.models import Person, Series
from booking.services import book_held_series
from centers.services import give_back_withdrawn_seats, release_seats
from sms.models import Message
from sms.outbox import queue_message, render_message
from waitlist.errors import OfferNotOpen, WaitlistError
from waitlist.exchange import hash_token, offer_free_seat_to, pass_on_freed_seats
from waitlist.models import Entry, Offer
from waitlist.signals import (
    entry_left,
    offer_accepted,
    offer_declined,
    offer_expired,
    scope_of,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def offer_for_link(offer_id: int, token: str) -> Offer | None:
    """The offer behind a link, or None for an unknown, foreign or tampered one."""
    offer = (
        Offer.objects.select_related(
            "entry__person", "first_slot__center", "first_slot__vaccine", "second_slot"
        )
        .filter(pk=offer_id)
        .first()
    )
    if offer is None or not constant_time_compare(offer.token_hash, hash_token(token)):
        return None
    return offer


def invalid_link_message() -> str:
    return _("This link is not valid. Please check that you opened the whole link from the text.")


def status_message(offer: Offer) -> str:
    """Why an offer can no longer be answered, in plain words."""
    if offer.status == Offer.Status.ACCEPTED:
        return _("You have already accepted this offer. The appointments are booked.")
    if offer.status == Offer.Status.DECLINED:
        return _("You have declined this offer. The appointment was offered to the next person.")
    if offer.status == Offer.Status.EXPIRED or (offer.is_open and offer.is_overdue()):
        return _(
            "The time to answer this offer has passed. The appointment was offered to the "
            "next person."
        )
    return _("This offer is no longer valid.")


def _lock(offer_id: int) -> tuple[Entry, Offer] | None:
    entry_id = Offer.objects.filter(pk=offer_id).values_list("entry_id", flat=True).first()
    if entry_id is None:
        return None
    entry = Entry.objects.select_for_update().get(pk=entry_id)
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("first_slot__center", "first_slot__vaccine", "second_slot")
        .get(pk=offer_id)
    )
    return entry, offer


def _locked_for_answer(
    offer_id: int, token: str, household_id: int | None = None
) -> tuple[Entry, Offer]:
    """Lock the offer to answer it. The link's token proves the right to, or
    (``household_id``) a check the caller has passed elsewhere: the hotline's
    identity check, or a call the portal placed to the household's number."""
    if household_id is not None:
        if not Offer.objects.filter(pk=offer_id, entry__person__household_id=household_id).exists():
            raise WaitlistError(_("We could not find this offer."))
    elif offer_for_link(offer_id, token) is None:
        raise WaitlistError(invalid_link_message())
    locked = _lock(offer_id)
    if locked is None:
        raise WaitlistError(invalid_link_message())
    entry, offer = locked
    if not offer.is_open:
        raise OfferNotOpen(status_message(offer))
    return entry, offer


def _end(offer: Offer, status: Offer.Status, now: datetime) -> None:
    """Close the offer and give both seats back (the exchange passes them on)."""
    offer.status = status
    offer.ended_at = now
    offer.save(update_fields=["status", "ended_at"])
    release_seats([offer.first_slot, offer.second_slot])


def _count_missed(entry: Entry, offer: Offer, status: Offer.Status, now: datetime) -> None:
    """The offer passed unanswered (expired or undeliverable): back in line, or paused."""
    _end(offer, status, now)
    if status == Offer.Status.EXPIRED:
        _announce(offer_expired, offer, now)
    entry.missed_offers += 1
    if entry.missed_offers >= settings.WAITLIST_PAUSE_AFTER_MISSED:
        entry.status = Entry.Status.PAUSED
        entry.paused_at = now
        _tell_paused(entry)
    else:
        entry.status = Entry.Status.WAITING
    entry.save(update_fields=["missed_offers", "status", "paused_at"])


def _tell_paused(entry: Entry) -> None:
    person = Person.objects.select_related("household").get(pk=entry.person_id)
    with translation.override(settings.LANGUAGE_CODE):
        body = render_message(
            "waitlist_paused.txt",
            {
                "person": person,
                "missed": entry.missed_offers,
                "link": settings.PORTAL_URL + reverse("waitlist:my_places"),
            },
        )
    queue_message(
        recipient=person.household.phone,
        body=body,
        priority=Message.Priority.CONFIRMATION,
        idempotency_key=f"waitlist-paused:{entry.pk}:{entry.missed_offers}",
    )


def _announce(signal, offer: Offer, on: datetime) -> None:
    """Tell the statistics about an offer's answer, at the offered appointment's center."""
    signal.send(sender=Offer, center_id=offer.first_slot.center_id, on=timezone.localdate(on))


def _stopped_waiting(entry: Entry, on: datetime) -> None:
    entry_left.send(sender=Entry, on=timezone.localdate(on), **scope_of(entry))


def accept_offer(*, offer_id: int, token: str = "", household_id: int | None = None) -> Offer:
    """Book both held seats for the entry's person, in one transaction.

    ``token`` is the link's; ``household_id`` instead names the household whose
    identity the caller (the hotline, the offer call) has checked.

    Raises WaitlistError for a bad link, OfferNotOpen when the offer was
    answered, withdrawn or its time has passed (an overdue offer is expired on
    the spot, so its seats pass on at once), WaitlistError when the person has
    booked an appointment in the meantime (the seats pass on).
    """
    refusal: WaitlistError | None = None
    with transaction.atomic():
        entry, offer = _locked_for_answer(offer_id, token, household_id)
        now = timezone.now()
        if offer.is_overdue(now) or offer.first_slot.starts_at <= now:
            _count_missed(entry, offer, Offer.Status.EXPIRED, now)
            refusal = OfferNotOpen(status_message(offer))
        else:
            person = Person.objects.select_related("household").get(pk=entry.person_id)
            try:
                series = book_held_series(
                    person=person, first_slot=offer.first_slot, second_slot=offer.second_slot
                )
            except AlreadyBooked:
                _end(offer, Offer.Status.WITHDRAWN, now)
                entry.status = Entry.Status.CLOSED
                entry.left_at = now
                entry.save(update_fields=["status", "left_at"])
                _stopped_waiting(entry, now)
                refusal = WaitlistError(
                    _(
                        "%(name)s already has an appointment, so this offer was passed on "
                        "to the next person."
                    )
                    % {"name": person}
                )
            else:
                offer.status = Offer.Status.ACCEPTED
                offer.series = series
                offer.ended_at = now
                offer.save(update_fields=["status", "series", "ended_at"])
                entry.status = Entry.Status.SERVED
                entry.served_at = now
                entry.save(update_fields=["status", "served_at"])
                _announce(offer_accepted, offer, now)
                _stopped_waiting(entry, now)
    if refusal is not None:
        raise refusal
    return offer


def decline_offer(*, offer_id: int, token: str = "", household_id: int | None = None) -> Offer:
    """Pass the offer on at once; the entry keeps its place in the queue.

    A decline that arrives after the deadline, before the expiry ran, still
    counts as an answer. Raises WaitlistError / OfferNotOpen as accept does.
    """
    with transaction.atomic():
        entry, offer = _locked_for_answer(offer_id, token, household_id)
        now = timezone.now()
        _end(offer, Offer.Status.DECLINED, now)
        entry.status = Entry.Status.WAITING
        entry.save(update_fields=["status"])
        _announce(offer_declined, offer, now)
    return offer


def expire_offer(*, offer_id: int) -> bool:
    """End an open offer whose deadline has passed; False if there is nothing to do.

    Idempotent: the deadline task and the sweep may both call it.
    """
    with transaction.atomic():
        locked = _lock(offer_id)
        if locked is None:
            return False
        entry, offer = locked
        now = timezone.now()
        if not offer.is_open or not offer.is_overdue(now):
            return False
        _count_missed(entry, offer, Offer.Status.EXPIRED, now)
    logger.info("waitlist offer %s expired", offer_id)
    return True


def withdraw_open_offer(entry: Entry, now: datetime) -> Offer | None:
    """End the locked entry's open offer, if any (the resident left the list)."""
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("first_slot", "second_slot")
        .filter(entry=entry, status=Offer.Status.OPEN)
        .first()
    )
    if offer is not None:
        _end(offer, Offer.Status.WITHDRAWN, now)
    return offer


def withdraw_offers_for_cancelled_slots(*, slot_ids: list[int]) -> int:
    """A center cancelled these slots (e.g. a whole day): end the open offers that
    hold a seat in them. Called through ``centers.signals.slots_withdrawn``, in
    the transaction of the cancellation, after the slots were closed.

    The entries go back in line without a missed offer and each person is told
    by SMS; the seats in the cancelled slots are given back and go with the
    slots' capacity (no free seat is left in them, so nothing there is offered
    again). The other seat of each offer is given back without being passed
    on yet: once the slots are closed for good (``serve_again_after_withdrawal``)
    the people lose their turn to nobody. Returns how many offers were withdrawn.
    """
    cancelled = set(slot_ids)
    withdrawn = 0
    held = Offer.objects.filter(status=Offer.Status.OPEN).filter(
        Q(first_slot_id__in=cancelled) | Q(second_slot_id__in=cancelled)
    )
    for offer_id in held.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            locked = _lock(offer_id)
            if locked is None or not locked[1].is_open:
                continue
            entry, offer = locked
            offer.status = Offer.Status.WITHDRAWN
            offer.ended_at = timezone.now()
            offer.save(update_fields=["status", "ended_at"])
            slots = [offer.first_slot, offer.second_slot]
            give_back_withdrawn_seats([s for s in slots if s.pk in cancelled])
            release_seats([s for s in slots if s.pk not in cancelled], offer_to_waitlist=False)
            entry.status = Entry.Status.WAITING
            entry.save(update_fields=["status"])
            _tell_withdrawn(entry, offer)
            withdrawn += 1
    return withdrawn


def _tell_withdrawn(entry: Entry, offer: Offer) -> None:
    """The SMS that the offer is void; queued before any new offer, at the offers'
    priority, so that it does not arrive after the new offer."""
    person = Person.objects.select_related("household").get(pk=entry.person_id)
    with translation.override(settings.LANGUAGE_CODE):
        body = render_message(
            "waitlist_offer_withdrawn.txt",
            {"person": person, "center": offer.first_slot.center, "first": offer.first_slot},
        )
    queue_message(
        recipient=person.household.phone,
        body=body,
        priority=Message.Priority.OFFER,
        idempotency_key=f"offer-withdrawn:{offer.pk}",
    )


def serve_again_after_withdrawal(*, slot_ids: list[int]) -> int:
    """The center closed these slots for good (``centers.signals.slots_closed``):
    the people whose offers in them were withdrawn and who still wait are served
    first, each from the seats that remain and suit them, before the other seats
    of their offers pass on to the queue. Returns how many new offers were made.

    Runs in the transaction of the cancellation; a lock conflict is not worth
    failing the cancellation for: the people stay waiting, the exchange reaches
    them in turn.
    """
    withdrawn = list(
        Offer.objects.filter(status=Offer.Status.WITHDRAWN, entry__status=Entry.Status.WAITING)
        .filter(Q(first_slot_id__in=slot_ids) | Q(second_slot_id__in=slot_ids))
        .order_by("entry__priority_rank", "entry__joined_at", "entry_id")
        .values_list("entry_id", "first_slot_id", "second_slot_id")
    )
    served = 0
    others: set[int] = set()
    for entry_id, *held in withdrawn:
        others.update(pk for pk in held if pk not in slot_ids)
        try:
            with transaction.atomic():
                entry = Entry.objects.select_for_update().get(pk=entry_id)
                if entry.status == Entry.Status.WAITING:
                    served += offer_free_seat_to(entry) is not None
        except DatabaseError:
            logger.warning("Serving entry %s again failed.", entry_id, exc_info=True)
    if others:
        pass_on_freed_seats(slot_ids=sorted(others))
    return served


def count_open_offers_in(*, slot_ids: list[int]) -> int:
    """How many open offers hold a seat in these slots (a day-cancel preview)."""
    return (
        Offer.objects.filter(status=Offer.Status.OPEN)
        .filter(Q(first_slot_id__in=slot_ids) | Q(second_slot_id__in=slot_ids))
        .count()
    )


def start_deadline(*, message_id: int, sent_at: datetime) -> Offer | None:
    """The offer's SMS reached the provider: its time to answer starts now.

    Schedules the expiry task for the deadline. The deadline never falls after
    the first appointment's start.
    """
    from waitlist import tasks  # tasks import this module

    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("first_slot")
            .filter(message_id=message_id, status=Offer.Status.OPEN, deadline__isnull=True)
            .first()
        )
        if offer is None:
            return None
        offer.sent_at = sent_at
        offer.deadline = min(sent_at + offer.hold, offer.first_slot.starts_at)
        offer.save(update_fields=["sent_at", "deadline"])
        tasks.expire_offer.using(run_after=offer.deadline).enqueue(offer_id=offer.pk)
    return offer


def end_undelivered_offer(*, message_id: int) -> bool:
    """The offer's SMS was given up or dropped: nobody knows of the offer, so its
    seats pass on; the entry counts a missed offer (an unreachable number must
    not take every seat in turn)."""
    offer_id = (
        Offer.objects.filter(message_id=message_id, status=Offer.Status.OPEN, sent_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if offer_id is None:
        return False
    with transaction.atomic():
        locked = _lock(offer_id)
        if locked is None:
            return False
        entry, offer = locked
        if not offer.is_open or offer.sent_at is not None:
            return False
        _count_missed(entry, offer, Offer.Status.UNDELIVERED, timezone.now())
    return True


def sweep(*, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """The safety net behind the signals and tasks; safe to run any time, anywhere.

    Starts deadlines whose SMS went out but whose signal was lost, ends offers
    whose SMS failed or was dropped, expires overdue offers (a crashed worker's
    tasks), and closes waiting places of people who booked directly.
    """
    now = timezone.now()
    unstarted = Offer.objects.filter(status=Offer.Status.OPEN, deadline__isnull=True)
    counts = {"deadlines": 0, "undelivered": 0, "expired": 0, "closed": 0}
    for message_id, sent_at in unstarted.filter(message__status=Message.Status.SENT).values_list(
        "message_id", "message__sent_at"
    )[:limit]:
        if sent_at is None:  # the outbox sets sent_at with the status
            raise RuntimeError(f"SMS {message_id} is marked sent but has no sent_at")
        counts["deadlines"] += start_deadline(message_id=message_id, sent_at=sent_at) is not None
    for message_id in unstarted.filter(
        message__status__in=[Message.Status.FAILED, Message.Status.DROPPED]
    ).values_list("message_id", flat=True)[:limit]:
        counts["undelivered"] += end_undelivered_offer(message_id=message_id)
    for offer_id in (
        Offer.objects.filter(status=Offer.Status.OPEN, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    ):
        counts["expired"] += expire_offer(offer_id=offer_id)
    counts["closed"] = close_entries_of_booked_people(now=now)
    return counts


def close_entries_of_booked_people(*, now: datetime) -> int:
    """Close the waiting (or paused) places of people who booked directly.

    One UPDATE per list (a center's or a district's), which checks the
    conditions again under the rows' locks (a place may have been offered or
    given up meanwhile), so the places it counts as left are exactly those it
    closed.
    """
    booked = Series.objects.active().filter(person_id=OuterRef("person_id"))
    closable = Entry.objects.filter(status__in=[Entry.Status.WAITING, Entry.Status.PAUSED]).filter(
        Exists(booked)
    )
    lists: dict[tuple[str, int], list[int]] = defaultdict(list)
    for pk, center_id, district_id in closable.values_list("pk", "center_id", "district_id"):
        lists[("center_id", center_id) if center_id else ("district_id", district_id)].append(pk)
    closed = 0
    for (scope, place_id), ids in sorted(lists.items()):
        with transaction.atomic():
            count = closable.filter(pk__in=ids).update(status=Entry.Status.CLOSED, left_at=now)
            if count:
                entry_left.send(
                    sender=Entry, on=timezone.localdate(now), amount=count, **{scope: place_id}
                )
        closed += count
    return closed
