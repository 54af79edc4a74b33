"""What the waiting list does when a household corrects or removes a person
(``booking.households``, through the hooks in ``booking.signals``).

Everything runs inside the booking change's transaction: a refused or failed
change leaves the waiting places as they were.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from booking.eligibility import eligibility_for
from booking.models import Person
from waitlist import services
from waitlist.models import Entry, Offer


def _active_places(person: Person, *, for_update: bool) -> QuerySet[Entry]:
    places = Entry.objects.filter(person=person, status__in=Entry.ACTIVE).order_by("pk")
    if for_update:
        # The exchange claims entries with SKIP LOCKED: while these are held,
        # it makes no new offer to this person; an offer it is making right
        # now is waited for, and then seen below.
        places = places.select_for_update(of=("self",))
    return places


def open_offer_reason(person: Person, *, for_update: bool) -> str | None:
    """Why the person cannot be changed: an open offer holds two seats for them."""
    places = list(_active_places(person, for_update=for_update))
    if Offer.objects.filter(entry__in=places, status=Offer.Status.OPEN).exists():
        return _(
            "%(name)s has been offered an appointment. Please accept or decline the offer first."
        ) % {"name": person}
    return None


def give_up_places(person: Person) -> int:
    """The person is being removed: give up their waiting places (counted as
    left, like the resident leaving). Returns how many."""
    places = list(_active_places(person, for_update=True))
    for entry in places:
        services.leave_waitlist(household=person.household, entry_id=entry.pk)
    return len(places)


def follow_correction(person: Person) -> None:
    """The person's date of birth may have changed: their waiting places take the
    rank of their group now, and keep only vaccines the person may still get.

    A place nothing is left of is given up. The place's district stays as
    chosen: a new postal code does not move someone to another district's line.
    """
    eligibility = eligibility_for(person)
    allowed = set(eligibility.bookable + eligibility.waitlist_only)
    for entry in list(_active_places(person, for_update=True)):
        vaccines = set(entry.vaccines.all())
        kept = vaccines & allowed
        if eligibility.group is None or not kept:
            services.leave_waitlist(household=person.household, entry_id=entry.pk)
            continue
        if kept != vaccines:
            entry.vaccines.remove(*(vaccines - kept))
        if entry.priority_rank != eligibility.group.rank:
            entry.priority_rank = eligibility.group.rank
            entry.save(update_fields=["priority_rank"])
