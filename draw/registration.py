"""Registering for a draw: the waiting list's join, inside a draw's window.

``hold_for_draw`` receives ``waitlist.signals.entry_registered`` inside the
join's transaction. When a draw's window is open for the new waiting place,
the place waits for the draw (status "draw") instead of being offered seats at
once, and a ``DrawEntry`` records it under a random pseudonym. Outside every
window the place is a plain waiting place; between a window's close and its
draw it is not offered the (draw's) free seats on joining.
"""

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from booking.models import Person
from centers.selectors import german_sort_key
from draw.models import Draw, DrawEntry
from impfportal.compiled import CompiledQuery
from waitlist.errors import WaitlistError
from waitlist.models import Entry


def person_key(person: Person) -> str:
    """A keyed hash of the normalised name and date of birth: the same person
    whichever number registers them ("Müller " and "müller" alike), and no
    name in the table.

    A caller the voice line put on the list has no name yet: two of them born on
    the same day (dozens per day among 200,000 entrants) are not the same person.
    Their number (the household, which holds one person per date of birth)
    stands in for the name.
    """
    if person.name_unknown:
        parts = [f"household {person.household_id}"]
    else:
        names = (person.first_name, person.last_name)
        parts = [" ".join(german_sort_key(part).split()) for part in names]
    text = "|".join([*parts, person.date_of_birth.isoformat()])
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def _pending_covering(values, *, center: bool) -> QuerySet[Draw]:
    """The draws not run yet that cover a waiting place (of a center's list if
    ``center``, else district-wide) and whose window is open or closed at
    ``values.moment``; the latest close first."""
    moment = values.moment
    started = Q(opening__opens_at__lte=moment, closes_at__gt=moment)
    covering = Draw.objects.covering(
        district_id=values.district_id, center_id=values.center_id if center else None
    )
    return covering.filter(started | Q(closes_at__lte=moment), ranked_at__isnull=True).order_by(
        "-closes_at", "pk"
    )


# Asked on every join: building this query (two EXISTS, a join) cost the ORM
# 2.6 ms of CPU a time, a third of the join request (bench/README.md, draw).
_PENDING_FOR_DISTRICT_PLACE = CompiledQuery(
    lambda values: _pending_covering(values, center=False), district_id=int, moment=datetime
)
_PENDING_FOR_CENTER_PLACE = CompiledQuery(
    lambda values: _pending_covering(values, center=True),
    district_id=int,
    center_id=int,
    moment=datetime,
)


def draws_for(entry: Entry) -> tuple[Draw | None, bool]:
    """The draw whose registration window is open for this waiting place, if any,
    and whether a draw covering it has closed its window but not run yet.

    Asked on every join, in one query compiled once per process: the covering
    draws not run yet whose window is open or closed at the moment of joining, a
    handful at most; the open one with the latest close is the place's draw.
    """
    moment = entry.joined_at
    if entry.center_id is None:
        found = _PENDING_FOR_DISTRICT_PLACE.run(district_id=entry.district_id, moment=moment)
    else:
        found = _PENDING_FOR_CENTER_PLACE.run(
            district_id=entry.district_id, center_id=entry.center_id, moment=moment
        )
    draws = list(found)
    window = next((draw for draw in draws if draw.closes_at > moment), None)
    return window, any(draw.closes_at <= moment for draw in draws)


def duplicate_message(person: Person) -> str:
    return _(
        "%(name)s is already registered for this draw, perhaps with another phone number. "
        "Everyone can take part only once. If this is a mistake, please call our hotline "
        "%(hotline)s."
    ) % {"name": person, "hotline": settings.HOTLINE_PHONE}


def hold_for_draw(sender, entry: Entry, **kwargs) -> bool:
    """``waitlist.signals.entry_registered``: make the place a draw entry if a
    window is open for it; refuse a person already registered from elsewhere.

    Returns True (offer nothing on joining) for a draw entry, and for a plain
    place that joins after a window closed and before its draw ran: the free
    seats are the draw's, and the place waits behind its entrants.
    """
    draw, awaiting = draws_for(entry)
    if draw is None:
        return awaiting
    person = entry.person
    key = person_key(person)
    # No look-up first: the constraint ``draw_entry_once_per_person`` refuses a
    # second entry of the person (from this number or another), at once or later.
    # No savepoint: the WaitlistError rolls the whole join back (``entry_registered``).
    try:
        DrawEntry.objects.create(
            draw=draw,
            entry=entry,
            person_key=key,
            priority_rank=entry.priority_rank,
            registered_at=entry.joined_at,
        )
    except IntegrityError:
        # The person is registered already, perhaps from another number a moment ago.
        raise WaitlistError(duplicate_message(person)) from None
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.DRAW)
    entry.status = Entry.Status.DRAW
    return True
