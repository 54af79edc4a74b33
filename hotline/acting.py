"""What an agent does for a caller, through the services residents use.

Each function checks that the agent has a running grant for the household
(``identity``), calls the residents' service with the household, and audits
the action in the same transaction. A service that says no (BookingError,
WaitlistError) writes nothing but a "refused" audit entry, and its message
goes to the agent as it would to the resident. The caller gets the same SMS
or voice confirmation as online, because the service queues it.
"""

import contextlib
import uuid
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from booking import households
from booking import services as booking_services
from booking.errors import BookingError
from booking.models import Household, Person, Series
from centers.models import Slot
from hotline import audit
from hotline.errors import HotlineError
from hotline.identity import require_grant
from hotline.models import AuditEntry
from waitlist import offers as waitlist_offers
from waitlist import services as waitlist_services
from waitlist.errors import WaitlistError
from waitlist.models import Entry, Offer

Action = AuditEntry.Action


def _act[T](
    *,
    agent,
    household: Household,
    action: str,
    do: Callable[[], T],
    ref: str | None = None,
    atomic: bool = True,
) -> T:
    """Run ``do`` for the household under the agent's grant, audited either way.

    With ``atomic`` the entry commits with the change. The offer answers run
    without it: a late answer expires the offer and then refuses, and that
    expiry must commit although the answer raised.
    """
    require_grant(agent=agent, household=household)
    try:
        with transaction.atomic() if atomic else contextlib.nullcontext():
            result = do()
            audit.record(
                agent=agent,
                action=action,
                household_id=household.pk,
                obj=result if ref is None else None,
                ref=ref,
            )
    except (BookingError, WaitlistError) as error:
        audit.record(agent=agent, action=action, household_id=household.pk, refused=True)
        raise HotlineError(str(error)) from None
    return result


def _person(household: Household, person_id: int) -> Person:
    person = (
        Person.objects.select_related("household").filter(pk=person_id, household=household).first()
    )
    if person is None:
        raise HotlineError(_("We could not find this person."))
    return person


def add_person(
    *,
    agent,
    household: Household,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    postal_code: str,
) -> Person:
    return _act(
        agent=agent,
        household=household,
        action=Action.PERSON_ADDED,
        do=lambda: households.add_person(
            household=household,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            postal_code=postal_code,
        ),
    )


def correct_person(
    *,
    agent,
    household: Household,
    person_id: int,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    postal_code: str,
) -> Person:
    return _act(
        agent=agent,
        household=household,
        action=Action.PERSON_CORRECTED,
        do=lambda: households.correct_person(
            household=household,
            person_id=person_id,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            postal_code=postal_code,
        ),
    )


def remove_person(*, agent, household: Household, person_id: int) -> Person:
    return _act(
        agent=agent,
        household=household,
        action=Action.PERSON_REMOVED,
        # The removed row has no id any more; the entry keeps the one it had.
        ref=f"person:{person_id}",
        do=lambda: households.remove_person(household=household, person_id=person_id),
    )


def book(
    *, agent, household: Household, person_id: int, slot_id: int, request_token: uuid.UUID
) -> Series:
    """Both doses, from a first-dose time the console offered: a seat the
    release held for the hotline if there is one, a free seat otherwise."""

    def do() -> Series:
        person = _person(household, person_id)
        slot = Slot.objects.select_related("vaccine", "center").filter(pk=slot_id).first()
        if slot is None:
            raise BookingError(_("This time is no longer available. Please choose another one."))
        return booking_services.book_series(
            person=person, slot=slot, request_token=request_token, hotline=True
        )

    return _act(agent=agent, household=household, action=Action.BOOKED, do=do)


def cancel(*, agent, household: Household, series_id: int, reason: str = "") -> Series:
    def do() -> Series:
        series = Series.objects.filter(pk=series_id, person__household=household).first()
        if series is None:
            raise BookingError(_("We could not find this appointment."))
        return booking_services.cancel_series(
            household=household, booking_code=series.booking_code, reason=reason
        )

    return _act(agent=agent, household=household, action=Action.CANCELLED, do=do)


def join_waitlist(*, agent, household: Household, person_id: int) -> Entry:
    """A waiting place in the district of the person's postal code."""
    return _act(
        agent=agent,
        household=household,
        action=Action.JOINED,
        do=lambda: waitlist_services.join_waitlist(person=_person(household, person_id)),
    )


def leave_waitlist(*, agent, household: Household, entry_id: int) -> Entry:
    return _act(
        agent=agent,
        household=household,
        action=Action.LEFT,
        do=lambda: waitlist_services.leave_waitlist(household=household, entry_id=entry_id),
    )


def accept_offer(*, agent, household: Household, offer_id: int) -> Offer:
    return _act(
        agent=agent,
        household=household,
        action=Action.OFFER_ACCEPTED,
        do=lambda: waitlist_offers.accept_offer(offer_id=offer_id, household_id=household.pk),
        atomic=False,
    )


def decline_offer(*, agent, household: Household, offer_id: int) -> Offer:
    return _act(
        agent=agent,
        household=household,
        action=Action.OFFER_DECLINED,
        do=lambda: waitlist_offers.decline_offer(offer_id=offer_id, household_id=household.pk),
        atomic=False,
    )
