"""Joining, leaving and re-activating a waiting place.

Views call these and show ``str(error)`` of a WaitlistError to the resident.
Offers are made by ``waitlist.exchange`` and answered in ``waitlist.offers``.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.eligibility import eligibility_for
from booking.models import Household, Person, Series
from centers.models import Center, Vaccine
from centers.selectors import responsible_district
from impfportal.compiled import CompiledQuery
from waitlist import exchange, offers, signals
from waitlist.errors import WaitlistError
from waitlist.models import ALL_WEEKDAYS, Entry

# Asked inside every join (the web's and the voice line's): building the EXISTS
# cost the ORM 0.5 ms of CPU each time (bench/README.md, draw).
_ACTIVE_SERIES = CompiledQuery(
    lambda values: Series.objects.active().filter(person_id=values.person_id).only("pk")[:1],
    person_id=int,
)


def eligible_vaccines(person: Person) -> list[Vaccine]:
    """Vaccines the person may wait for: bookable ones and those opened only
    for the waiting list of the person's group."""
    eligibility = eligibility_for(person)
    return eligibility.bookable + eligibility.waitlist_only


def join_waitlist(
    *,
    person: Person,
    center: Center | None = None,
    vaccines: list[Vaccine] | None = None,
    weekdays: int = ALL_WEEKDAYS,
    time_of_day: str = Entry.TimeOfDay.ANY,
    savepoint: bool = True,
    person_is_new: bool = False,
) -> Entry:
    """Put the person on the waiting list of ``center``, or of the district their
    postal code belongs to when ``center`` is None.

    ``vaccines`` narrows the vaccines they would accept (default: all they are
    eligible for). Seats that are free right now in that scope are offered at
    once. Raises WaitlistError when the person is not eligible, already booked,
    already waiting, or their district is unknown.

    ``savepoint=False`` for a caller whose own transaction rolls back as a whole
    when the join fails (the voice line's): two statements fewer, and a refusal
    then marks that transaction for rollback instead of undoing only the join.
    ``person_is_new`` when the caller's transaction has just added the person: no
    other transaction can have booked for them, so the "booked?" read is skipped.
    """
    eligibility = eligibility_for(person)
    allowed = eligibility.bookable + eligibility.waitlist_only
    if not allowed or eligibility.group is None:
        raise WaitlistError(
            _("%(name)s cannot join a waiting list yet: their group has not been opened.")
            % {"name": person}
        )
    chosen = allowed if not vaccines else [vaccine for vaccine in allowed if vaccine in vaccines]
    if vaccines and len(chosen) != len(set(vaccines)):
        raise WaitlistError(
            _("Please choose only vaccines that %(name)s may get.") % {"name": person}
        )
    if not 1 <= weekdays <= ALL_WEEKDAYS or time_of_day not in Entry.TimeOfDay.values:
        raise WaitlistError(_("Please check the days and times."))
    if center is not None:
        district = center.district
    else:
        responsible = responsible_district(person.postal_code)
        if responsible is None:
            raise WaitlistError(
                _("We do not know the district of postal code %(code)s. Please choose a center.")
                % {"code": person.postal_code}
            )
        district = responsible
    already = WaitlistError(_("%(name)s is already on a waiting list.") % {"name": person})
    with transaction.atomic(savepoint=savepoint):
        if not person_is_new and next(_ACTIVE_SERIES.run(person_id=person.pk), None) is not None:
            raise WaitlistError(_("%(name)s already has an appointment.") % {"name": person})
        # No look-up first: ``one_active_waiting_place_per_person`` refuses a second place
        # (this person's earlier one, or a second tab's a moment ago). No savepoint
        # of its own either: the error leaves this block, which rolls it back.
        try:
            entry = Entry.objects.create(
                person=person,
                district=district,
                center=center,
                priority_rank=eligibility.group.rank,
                weekdays=weekdays,
                time_of_day=time_of_day,
            )
        except IntegrityError:
            raise already from None
        # A new entry has no vaccines yet: add (one INSERT) rather than set (a read first).
        entry.vaccines.add(*chosen)
        # A draw covering this place holds the entry back (``draw.registration``).
        answers = signals.entry_registered.send(sender=Entry, entry=entry)
        held = any(answer is True for _receiver, answer in answers)
        signals.entry_joined.send(
            sender=Entry, on=timezone.localdate(entry.joined_at), **signals.scope_of(entry)
        )
        if entry.status == Entry.Status.WAITING and not held:
            exchange.offer_free_seats_for(entry, vaccine_ids=[vaccine.pk for vaccine in chosen])
    return entry


def _locked_entry(household: Household, entry_id: int) -> Entry:
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .filter(pk=entry_id, person__household=household)
        .first()
    )
    if entry is None:
        raise WaitlistError(_("We could not find this waiting place."))
    return entry


def leave_waitlist(*, household: Household, entry_id: int) -> Entry:
    """Give up a waiting place of the household; an open offer passes on at once.

    Raises WaitlistError if it is not the household's or no longer active.
    """
    with transaction.atomic():
        entry = _locked_entry(household, entry_id)
        if not entry.is_active:
            raise WaitlistError(_("This waiting place has already been given up."))
        now = timezone.now()
        # While the entry is still "offered", the exchange hands the seats to the next person.
        offers.withdraw_open_offer(entry, now)
        entry.status = Entry.Status.LEFT
        entry.left_at = now
        entry.save(update_fields=["status", "left_at"])
        signals.entry_left.send(sender=Entry, on=timezone.localdate(now), **signals.scope_of(entry))
    return entry


def reactivate_entry(*, household: Household, entry_id: int) -> Entry:
    """Put a paused waiting place back in line, at its old position.

    Raises WaitlistError if it is not the household's, not paused, or the
    person has booked an appointment meanwhile.
    """
    with transaction.atomic():
        entry = _locked_entry(household, entry_id)
        if entry.status != Entry.Status.PAUSED:
            raise WaitlistError(_("This waiting place is not paused."))
        if Series.objects.active().filter(person_id=entry.person_id).exists():
            raise WaitlistError(_("This person already has an appointment."))
        entry.status = Entry.Status.WAITING
        entry.missed_offers = 0
        entry.paused_at = None
        entry.save(update_fields=["status", "missed_offers", "paused_at"])
        exchange.offer_free_seats_for(entry)
    return entry
