"""The same-day standby list: joining, offering leftover doses, claiming them.

Leftover doses are the day's first-dose seats (with their reserved second
dose) that the waiting list can no longer offer: free seats in slots of today
that have begun or begin within ``WAITLIST_MIN_NOTICE``, freed by a no-show or
a same-day cancellation. ``offer_leftover_doses`` holds N of them in a
``Round`` (so no dose is in two rounds, nor booked by anyone else meanwhile)
and sends an offer to 2 x N people on the list, by priority group and then
the day's seeded draw. The first to claim gets the dose: a conditional UPDATE
on the seat decides, so two claims at the same moment never get the same
dose; the later ones hear "already taken, you stay on the list". Claims close
after ``CLAIM_WINDOW``; the sweep gives unclaimed seats back and lets the
day's entries lapse at its end.
"""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from booking.eligibility import eligibility_for
from booking.errors import AlreadyBooked
from booking.models import Person, Series
from booking.services import book_held_series
from booking.staff import day_bounds
from centers.models import Center, Slot
from centers.services import release_seats, take_series_seats
from sms.models import Message
from sms.outbox import queue_message, render_message
from standby import signals
from standby.models import Entry, Offer, Round, Seat

logger = logging.getLogger(__name__)

PEOPLE_PER_HOUSEHOLD = 2
OFFERS_PER_DOSE = 2
CLAIM_WINDOW = timedelta(minutes=30)
TRAVEL_MINUTES = 45
DAYS_AHEAD = 7
TOKEN_BYTES = 16


class StandbyError(Exception):
    """A standby action that cannot be done; the message says why, for the page."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def draw_number(*, center_id: int, day: date, person_id: int) -> int:
    """The person's place in the day's draw at the center: a keyed hash, so the
    order is random, fixed once joined, and the same on every re-check."""
    seed = hmac.new(
        settings.SECRET_KEY.encode(), f"standby:{center_id}:{day}".encode(), hashlib.sha256
    ).digest()
    digest = hmac.new(seed, str(person_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:7], "big")


# --- the list -----------------------------------------------------------------


def join(*, person: Person, center: Center, day: date, now: datetime | None = None) -> Entry:
    """Put a person of a verified household on the center's list for ``day``.

    Raises StandbyError: a day past or too far ahead, a person already booked,
    not yet eligible, already on a list that day, or a household with
    ``PEOPLE_PER_HOUSEHOLD`` people on lists that day.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if day < today:
        raise StandbyError(_("This day has passed. Please choose today or a later day."))
    if day > today + timedelta(days=DAYS_AHEAD):
        raise StandbyError(
            _("You can join the standby list for at most %(days)d days ahead.")
            % {"days": DAYS_AHEAD}
        )
    group = eligibility_for(person, on=day).group
    if group is None or not eligibility_for(person, on=day).bookable:
        raise StandbyError(_("%(name)s cannot be vaccinated yet.") % {"name": person})
    with transaction.atomic():
        # The household row serialises two tabs adding people at once.
        type(person.household).objects.select_for_update().get(pk=person.household_id)
        if person.series.active().exists():
            raise StandbyError(_("%(name)s already has an appointment.") % {"name": person})
        waiting = Entry.objects.filter(
            person__household_id=person.household_id, day=day, status=Entry.Status.WAITING
        )
        if waiting.filter(person=person).exists():
            raise StandbyError(
                _("%(name)s is already on a standby list for this day.") % {"name": person}
            )
        if waiting.count() >= PEOPLE_PER_HOUSEHOLD:
            raise StandbyError(
                _("One phone number can put at most %(count)d people on standby lists a day.")
                % {"count": PEOPLE_PER_HOUSEHOLD}
            )
        return Entry.objects.create(
            person=person,
            center=center,
            day=day,
            rank=group.rank,
            draw=draw_number(center_id=center.pk, day=day, person_id=person.pk),
            joined_at=now,
        )


def leave(*, entry: Entry, now: datetime | None = None) -> None:
    with transaction.atomic():
        Entry.objects.filter(pk=entry.pk, status=Entry.Status.WAITING).update(
            status=Entry.Status.LEFT, ended_at=now or timezone.now()
        )
        Offer.objects.filter(entry=entry, status=Offer.Status.OPEN).update(
            status=Offer.Status.EXPIRED, answered_at=now or timezone.now()
        )


def queue(*, center_id: int, day: date) -> QuerySet[Entry]:
    """The day's waiting people at the center, in the order they are offered doses."""
    return Entry.objects.filter(center_id=center_id, day=day, status=Entry.Status.WAITING).order_by(
        "rank", "draw", "pk"
    )


# --- leftover doses -------------------------------------------------------------


def leftover_slots(*, center_id: int, now: datetime) -> QuerySet[Slot]:
    """Today's first-dose slots at the center with a seat free (and its second
    dose) that is too close for the waiting list: begun, or beginning soon."""
    start, end = day_bounds(timezone.localdate(now))
    return (
        Slot.objects.with_free_series()
        .filter(
            center_id=center_id,
            starts_at__gte=start,
            starts_at__lt=min(end, now + settings.WAITLIST_MIN_NOTICE),
        )
        .select_related("center", "vaccine", "second_dose_slot")
        .with_free_appointments()
    )


def count_leftover(*, center_id: int, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(slot.free_appointments for slot in leftover_slots(center_id=center_id, now=now))


def offer_leftover_doses(
    *,
    center: Center,
    reason: str,
    doses: int | None = None,
    by=None,
    now: datetime | None = None,
) -> list[Round]:
    """Hold up to ``doses`` leftover doses (all, when None) and offer them to
    twice as many people on today's list. Returns the rounds made (one per
    vaccine); none when nothing is left or nobody is waiting. Call inside or
    outside a transaction (it makes its own savepoint)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not queue(center_id=center.pk, day=today).exists():
        return []
    rounds = []
    with transaction.atomic():
        held: dict[int, list[tuple[Slot, Slot]]] = {}
        wanted = doses if doses is not None else 10_000
        # The nearest times first: those people are there soonest.
        for slot in leftover_slots(center_id=center.pk, now=now).order_by("-starts_at", "pk"):
            while wanted > 0:
                second = take_series_seats(slot)
                if second is None:
                    break
                held.setdefault(slot.vaccine_id, []).append((slot, second))
                wanted -= 1
        for seats in held.values():
            rounds.append(_open_round(center=center, seats=seats, reason=reason, by=by, now=now))
    return rounds


def _open_round(*, center: Center, seats, reason: str, by, now: datetime) -> Round:
    vaccine = seats[0][0].vaccine
    round_ = Round.objects.create(
        center=center,
        vaccine=vaccine,
        day=timezone.localdate(now),
        reason=reason,
        doses=len(seats),
        created_at=now,
        closes_at=now + CLAIM_WINDOW,
        created_by=by if by is not None and by.pk else None,
    )
    Seat.objects.bulk_create(
        Seat(round=round_, first_slot=first, second_slot=second) for first, second in seats
    )
    entries = _next_entries(round_, count=OFFERS_PER_DOSE * len(seats))
    for entry in entries:
        _make_offer(round_, entry)
    if entries:
        signals.offers_sent.send(
            sender=Round,
            center_id=center.pk,
            on=timezone.localdate(now),
            amount=len(entries),
        )
    else:
        # Nobody who may have this vaccine is waiting: the seats go back at once.
        _give_back(round_, now=now)
    return round_


def _next_entries(round_: Round, *, count: int) -> list[Entry]:
    """The next ``count`` waiting people who may have the round's vaccine and hold
    no open offer, locked (SKIP LOCKED: a person another round is offering to
    right now is left to it)."""
    open_offer = Offer.objects.filter(entry=OuterRef("pk"), status=Offer.Status.OPEN)
    candidates = (
        queue(center_id=round_.center_id, day=round_.day)
        .exclude(Exists(open_offer))
        .select_related("person")
        .select_for_update(skip_locked=True, of=("self",))
    )
    chosen: list[Entry] = []
    for entry in candidates.iterator(chunk_size=50):
        if round_.vaccine in eligibility_for(entry.person, on=round_.day).bookable:
            chosen.append(entry)
            if len(chosen) == count:
                break
    return chosen


def offer_link(offer: Offer, token: str) -> str:
    return settings.PORTAL_URL + reverse("standby:offer", args=[offer.pk, token])


def _make_offer(round_: Round, entry: Entry) -> Offer:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    offer = Offer.objects.create(
        round=round_, entry=entry, token_hash=hash_token(token), created_at=round_.created_at
    )
    with translation.override(settings.LANGUAGE_CODE):
        body = render_message(
            "standby_offer.txt",
            {
                "person": entry.person,
                "center": round_.center,
                "until": round_.closes_at,
                "minutes": TRAVEL_MINUTES,
                "link": offer_link(offer, token),
            },
        )
    message = queue_message(
        recipient=entry.person.household.phone,
        body=body,
        priority=Message.Priority.OFFER,
        idempotency_key=f"standby-offer:{offer.pk}",
        send_before=round_.closes_at,
    )
    Offer.objects.filter(pk=offer.pk).update(message=message)
    return offer


# --- claims ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    offer: Offer
    series: Series | None  # None: the doses were already taken

    @property
    def won(self) -> bool:
        return self.series is not None


def offer_for_link(offer_id: int, token: str) -> Offer | None:
    return (
        Offer.objects.select_related("round__center", "round__vaccine", "entry__person")
        .filter(pk=offer_id, token_hash=hash_token(token))
        .first()
    )


def _seat_candidates(round_: Round) -> list[int]:
    return list(
        Seat.objects.filter(round=round_, claimed_at__isnull=True, released_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# Tests switch the guard off to show that the race it prevents is real.
GUARD_SEATS = True


def _take_seat(round_: Round, now: datetime) -> Seat | None:
    """Take one of the round's free seats: the conditional UPDATE lets exactly one
    of two concurrent claims have a seat; the other waits for the row, sees it
    taken and tries the next."""
    for pk in _seat_candidates(round_):
        seats = Seat.objects.filter(pk=pk)
        if GUARD_SEATS:
            seats = seats.filter(claimed_at__isnull=True, released_at__isnull=True)
        if seats.update(claimed_at=now) == 1:
            return Seat.objects.select_related("first_slot__center", "first_slot__vaccine").get(
                pk=pk
            )
    return None


def claim(*, offer_id: int, token: str, now: datetime | None = None) -> Claim:
    """The person comes: book the held leftover dose (and its second dose) for
    them, or say it was already taken. Raises StandbyError for a link that is
    not (or no longer) open."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("round__center", "round__vaccine", "entry__person__household")
            .filter(pk=offer_id, token_hash=hash_token(token))
            .first()
        )
        if offer is None:
            raise StandbyError(invalid_link_message())
        if offer.status != Offer.Status.OPEN:
            raise StandbyError(status_message(offer))
        round_ = offer.round
        if round_.closed_at is not None or round_.closes_at <= now:
            Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.EXPIRED, answered_at=now)
            offer.status = Offer.Status.EXPIRED
            raise StandbyError(status_message(offer))
        Offer.objects.filter(pk=offer.pk).update(pressed_at=now)
        # The figures are counted last: a counter's row stays locked until the commit.
        today = timezone.localdate(now)
        seat = _take_seat(round_, now)
        if seat is None:
            _mark(offer, Offer.Status.TAKEN, now)
            signals.claim_made.send(sender=Offer, center_id=round_.center_id, on=today)
            return Claim(offer=offer, series=None)
        person = offer.entry.person
        if round_.vaccine not in eligibility_for(person, on=round_.day).bookable:
            raise StandbyError(
                _("%(name)s cannot be vaccinated with %(vaccine)s yet.")
                % {"name": person, "vaccine": round_.vaccine}
            )
        try:
            series = book_held_series(
                person=person, first_slot=seat.first_slot, second_slot=seat.second_slot
            )
        except AlreadyBooked as error:
            raise StandbyError(str(error)) from None
        Seat.objects.filter(pk=seat.pk).update(series=series)
        _mark(offer, Offer.Status.CLAIMED, now)
        Entry.objects.filter(pk=offer.entry_id).update(status=Entry.Status.SERVED, ended_at=now)
        if not _seat_candidates(round_):
            _tell_taken(round_, now)
        signals.claim_made.send(sender=Offer, center_id=round_.center_id, on=today)
        signals.dose_saved.send(sender=Offer, center_id=round_.center_id, on=today)
    return Claim(offer=offer, series=series)


def _mark(offer: Offer, status: str, now: datetime) -> None:
    Offer.objects.filter(pk=offer.pk).update(status=status, answered_at=now)
    offer.status = status
    offer.answered_at = now


def _tell_taken(round_: Round, now: datetime) -> None:
    """Every dose of the round is claimed: the others' offers end, and they are
    told that they stay on the list. Offers locked right now are being claimed
    (SKIP LOCKED: waiting for them would deadlock with their wait for a seat);
    their page says the same."""
    others = list(
        Offer.objects.filter(round=round_, status=Offer.Status.OPEN)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("entry__person__household")
    )
    Offer.objects.filter(pk__in=[o.pk for o in others]).update(
        status=Offer.Status.TAKEN, answered_at=now
    )
    for offer in others:
        with translation.override(settings.LANGUAGE_CODE):
            body = render_message(
                "standby_taken.txt", {"person": offer.entry.person, "center": round_.center}
            )
        queue_message(
            recipient=offer.entry.person.household.phone,
            body=body,
            priority=Message.Priority.OFFER,
            idempotency_key=f"standby-taken:{offer.pk}",
            send_before=round_.closes_at,
        )


def invalid_link_message() -> str:
    return _("This link is not valid. Please check that it was copied completely.")


def status_message(offer: Offer) -> str:
    if offer.status == Offer.Status.CLAIMED:
        return _("You have claimed this dose. Your appointments are booked.")
    if offer.status == Offer.Status.TAKEN:
        return _("The dose has already been taken by someone else. You stay on the standby list.")
    return _("This offer has ended. You stay on the standby list for the day.")


# --- the sweep ------------------------------------------------------------------


def _give_back(round_: Round, *, now: datetime) -> int:
    seats = list(
        Seat.objects.select_for_update()
        .filter(round=round_, claimed_at__isnull=True, released_at__isnull=True)
        .select_related("first_slot", "second_slot")
    )
    Seat.objects.filter(pk__in=[s.pk for s in seats]).update(released_at=now)
    # Not to the waiting list or a new round at once: staff decide on another round.
    release_seats(
        [s.first_slot for s in seats] + [s.second_slot for s in seats], offer_to_waitlist=False
    )
    Round.objects.filter(pk=round_.pk).update(closed_at=now)
    return len(seats)


def close_rounds(*, now: datetime | None = None) -> int:
    """Close rounds whose claims ended: unclaimed seats go back, open offers end."""
    now = now or timezone.now()
    closed = 0
    for round_ in Round.objects.filter(closed_at__isnull=True, closes_at__lte=now):
        with transaction.atomic():
            locked = Round.objects.select_for_update().filter(pk=round_.pk, closed_at=None).first()
            if locked is None:
                continue
            Offer.objects.filter(round=locked, status=Offer.Status.OPEN).update(
                status=Offer.Status.EXPIRED, answered_at=now
            )
            _give_back(locked, now=now)
            closed += 1
    return closed


def lapse_entries(*, now: datetime | None = None) -> int:
    """Entries of days that have ended lapse."""
    now = now or timezone.now()
    return Entry.objects.filter(
        status=Entry.Status.WAITING, day__lt=timezone.localdate(now)
    ).update(status=Entry.Status.LAPSED, ended_at=now)


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    return {"closed": close_rounds(now=now), "lapsed": lapse_entries(now=now)}


def centers_of(slot_ids: Iterable[int]) -> list[Center]:
    return list(Center.objects.filter(slots__pk__in=list(slot_ids)).distinct())
