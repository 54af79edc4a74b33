"""What the waiting list does when a lower app tells it something (see apps.py)."""

import logging

from sms.models import Message
from waitlist import exchange, households, offers, staff_figures

logger = logging.getLogger(__name__)


def pass_on_freed_seats(sender, slot_ids, **kwargs) -> None:
    """``centers.signals.seats_freed``: offer whatever is free in those slots now."""
    exchange.pass_on_freed_seats(slot_ids=slot_ids)


def withdraw_offers_in_closed_slots(sender, slot_ids, **kwargs) -> int:
    """``centers.signals.slots_withdrawn``: the center closed these slots (a cancelled
    day); open offers holding a seat in them end, and their people wait again.
    Returns how many offers were withdrawn."""
    return offers.withdraw_offers_for_cancelled_slots(slot_ids=slot_ids)


def serve_again_after_withdrawal(sender, slot_ids, **kwargs) -> int:
    """``centers.signals.slots_closed``: offer the people whose offers were withdrawn
    the seats that remain, ahead of others. Returns how many new offers were made."""
    return offers.serve_again_after_withdrawal(slot_ids=slot_ids)


def count_open_offers(sender, slot_ids, **kwargs) -> int:
    """``centers.signals.seats_held_in``: open offers holding a seat in these slots."""
    return offers.count_open_offers_in(slot_ids=slot_ids)


def start_offer_deadlines(sender, messages, **kwargs) -> None:
    """``sms.signals.messages_sent``: the offers' time to answer starts now."""
    for message in _offers_among(messages):
        _on_its_own(offers.start_deadline, message_id=message.pk, sent_at=message.sent_at)


def end_undelivered_offers(sender, messages, **kwargs) -> None:
    """``sms.signals.messages_failed``: nobody will see these offers; pass them on."""
    for message in _offers_among(messages):
        _on_its_own(offers.end_undelivered_offer, message_id=message.pk)


def _offers_among(messages: list[Message]) -> list[Message]:
    # Offers are queued at offer priority (waitlist.exchange): the notices and
    # codes of a dispatcher's batch cost no query here.
    return [m for m in messages if m.priority == Message.Priority.OFFER]


def _on_its_own(step, **kwargs) -> None:
    """Each offer in its own transaction, as when each message had its own signal:
    one that fails is logged and left to the sweep, the others go on."""
    try:
        step(**kwargs)
    except Exception:
        logger.exception("waitlist: %s(%s) failed; the sweep will retry", step.__name__, kwargs)


def refuse_change_while_offered(sender, person, for_update, **kwargs) -> str | None:
    """``booking.signals.person_is_busy``: an open offer holds seats for the person."""
    return households.open_offer_reason(person, for_update=for_update)


def give_up_places_of_removed_person(sender, person, **kwargs) -> None:
    """``booking.signals.person_removing``: a removed person waits no longer."""
    households.give_up_places(person)


def follow_corrected_person(sender, person, **kwargs) -> None:
    """``booking.signals.person_corrected``: re-rank the person's waiting places."""
    households.follow_correction(person)


def waiting_list_figures(sender, center_ids, **kwargs):
    """``centers.waiting_list.waiting_list_asked``: who waits for these centers."""
    return staff_figures.figures_for_centers(center_ids)


def offers_from_release(sender, slots, since, **kwargs):
    """``centers.waiting_list.release_offers_asked``: offers made from a release."""
    return staff_figures.offers_from(slots=slots, since=since)
