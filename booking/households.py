"""A household's people: adding only people a priority group includes,
correcting their details, removing them.

What may change, and why:

- Someone with an active series is neither corrected nor removed: the center
  expects them under these details on these days. Cancel first.
- Someone vaccinated here (an attended appointment, also in a series cancelled
  later, or a completed series) stays as they are: those rows are the center's
  record of a vaccination, kept until the retention schedule deletes them. The
  center corrects a name at the door. Such a person keeps their household place;
  the limit is about who is booked for, and a vaccinated person was.
- A series that was only booked and cancelled goes with the person when they are
  removed (``Series.person`` cascades): it says no more than that a time was
  once booked and given back, the daily totals have counted that already, and
  personal data of someone the household took off its list serves no purpose.
- The waiting list answers through the hooks in ``booking.signals`` (booking
  must not import it). An open offer blocks both changes: it holds two seats for
  this person, who answers it first. A waiting place without an offer does not
  block: removing the person gives it up through the waiting list's own service
  (an elderly resident should not have to go to another page and back for
  something that cannot be meant otherwise), correcting them re-ranks it.

Views show ``str(error)`` of the BookingError these raise.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from booking import services
from booking.eligibility import (
    Eligibility,
    eligibility_for,
    may_ever_be_eligible,
    next_booking_opening,
    open_ages,
)
from booking.errors import BookingError
from booking.models import Appointment, Household, Person, Series
from booking.signals import person_corrected, person_is_busy, person_removing
from impfportal.compiled import CompiledQuery

# The voice line's join asks it for every caller (bench/voice.py).
_PEOPLE_OF_HOUSEHOLD = CompiledQuery(
    lambda values: Person.objects.filter(household_id=values.household), household=int
)


def open_groups_sentence() -> str:
    """Who may book, and who may wait, right now, in one or two plain sentences,
    and the next scheduled opening for younger people, if there is one."""
    ages = open_ages()
    sentences = []
    if ages.booking is None and ages.waitlist is None:
        sentences.append(_("At present no age group can book an appointment yet."))
    if ages.booking is not None:
        sentences.append(
            _("At present people aged %(age)d and over can book an appointment.")
            % {"age": ages.booking}
        )
    if ages.waitlist is not None:
        sentences.append(
            _("People aged %(age)d and over can join a waiting list.") % {"age": ages.waitlist}
        )
    if upcoming := next_booking_opening():
        when = formats.date_format(
            timezone.localtime(upcoming.opened_at), "WEEKDAY_DATETIME_FORMAT"
        )
        if ages.booking is None:
            text = _("From %(when)s people aged %(age)d and over can book an appointment.")
        else:
            text = _("From %(when)s people aged %(age)d and over can book as well.")
        sentences.append(text % {"when": when, "age": upcoming.group.min_age})
    return " ".join(sentences)


def cannot_book_yet_message(person: Person, eligibility: Eligibility) -> str:
    """What a person who may not book yet can do, said when they are added."""
    if eligibility.waitlist_only:
        first = _("%(name)s cannot book an appointment yet, but can join a waiting list now.") % {
            "name": person
        }
    else:
        first = _(
            "%(name)s cannot book an appointment yet: their age group has not been opened."
        ) % {"name": person}
    return f"{first} {open_groups_sentence()}"


def _refuse_never_eligible(*, first_name: str, last_name: str, date_of_birth: date) -> None:
    if not may_ever_be_eligible(date_of_birth):
        raise BookingError(
            _(
                "%(name)s cannot be added: no age group includes people of this age, so "
                "%(name)s could neither book nor wait. Please check the date of birth."
            )
            % {"name": f"{first_name} {last_name}"}
            + " "
            + open_groups_sentence()
        )


def add_person(
    *, household: Household, first_name: str, last_name: str, date_of_birth: date, postal_code: str
) -> Person:
    """``services.add_person`` for the resident's page, refusing someone no priority
    group includes: they would fill one of the household's few places for good.

    Someone in a group that has no opening yet is added (they are invited when
    it opens). Raises BookingError; nothing is saved then.
    """
    _refuse_never_eligible(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth)
    return services.add_person(
        household=household,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        postal_code=postal_code,
    )


def person_born_on(
    *, household: Household, date_of_birth: date, first_name: str, last_name: str, postal_code: str
) -> tuple[Person, bool]:
    """The household's first person born on ``date_of_birth``, or (True) one added
    with these details: for a keypad, which gives a date of birth but no name.

    Precondition: the caller's transaction holds the household's row lock (it
    inserted or updated the row), so no second tab adds anyone meanwhile, and
    one read of the household's few people answers what ``add_person`` asks
    after taking the lock. Adding refuses what ``add_person`` refuses (a full
    household, an age no group includes) with a BookingError.
    """
    people = list(_PEOPLE_OF_HOUSEHOLD.run(household=household.pk))
    for person in people:
        if person.date_of_birth == date_of_birth:
            return person, False
    _refuse_never_eligible(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth)
    services.refuse_full_household(len(people))
    person = Person.objects.create(
        household=household,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        postal_code=postal_code,
    )
    return person, True


def why_unchangeable(person: Person, *, for_update: bool = False) -> str | None:
    """Why the person cannot be corrected or removed now, or None when they can.

    ``for_update`` (inside the change's transaction) lets the waiting list lock
    the person's places first. It runs before the series query on purpose: an
    offer being accepted right now holds its place's lock until its series
    commits, so the query below then sees that series.
    """
    for _receiver, reason in person_is_busy.send(
        sender=Person, person=person, for_update=for_update
    ):
        if reason:
            return str(reason)
    if for_update:
        _hold_person(person)
    if person.series.active().exists():
        return _("%(name)s has an appointment. Please cancel it first.") % {"name": person}
    if (
        person.series.filter(status=Series.Status.COMPLETED).exists()
        or Appointment.objects.filter(
            series__person=person, status=Appointment.Status.ATTENDED
        ).exists()
    ):
        return _(
            "%(name)s has been vaccinated here. The details stay as the vaccination center "
            "recorded them."
        ) % {"name": person}
    return None


def _hold_person(person: Person) -> None:
    """Lock the person's row until the commit.

    A booking in another tab inserts its series without locking the person (the
    foreign key is checked at its commit). Holding the row makes that commit
    wait for ours and then fail, instead of a removal cascading over a series
    that committed after the query saw none (test_remove_person_race.py).
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()


def _person_of(household: Household, person_id: int) -> Person:
    """The household's person, with the household row locked (as ``add_person``
    does: two tabs changing the list queue behind each other)."""
    Household.objects.select_for_update().get(pk=household.pk)
    person = household.people.filter(pk=person_id).first()
    if person is None:
        raise BookingError(_("We could not find this person."))
    return person


def remove_person(*, household: Household, person_id: int) -> Person:
    """Take a person off the household's list; their place is free again.

    Their waiting place, if any, is given up first (``person_removing``); a
    series that was cancelled goes with them. Raises BookingError when the
    person is not the household's or cannot be removed (``why_unchangeable``).
    Returns the removed person (no longer saved).
    """
    with transaction.atomic():
        person = _person_of(household, person_id)
        reason = why_unchangeable(person, for_update=True)
        if reason:
            raise BookingError(reason)
        person_removing.send(sender=Person, person=person)
        person.delete()
    return person


def correct_person(
    *,
    household: Household,
    person_id: int,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    postal_code: str,
) -> Person:
    """Correct a person's name, date of birth and postal code.

    The same rules as adding hold: nobody twice in one household, nobody no
    age group includes. A waiting place follows the new date of birth
    (``person_corrected``). Raises BookingError, and nothing changes, when the
    person is not the household's, cannot be changed (``why_unchangeable``), or
    the new details break a rule.
    """
    duplicate = BookingError(_("This person has already been added."))
    with transaction.atomic():
        person = _person_of(household, person_id)
        reason = why_unchangeable(person, for_update=True)
        if reason:
            raise BookingError(reason)
        _refuse_never_eligible(
            first_name=first_name, last_name=last_name, date_of_birth=date_of_birth
        )
        if (
            household.people.exclude(pk=person.pk)
            .filter(
                first_name__iexact=first_name,
                last_name__iexact=last_name,
                date_of_birth=date_of_birth,
            )
            .exists()
        ):
            raise duplicate
        person.first_name = first_name
        person.last_name = last_name
        person.date_of_birth = date_of_birth
        person.postal_code = postal_code
        try:
            with transaction.atomic():
                person.save(
                    update_fields=["first_name", "last_name", "date_of_birth", "postal_code"]
                )
        except IntegrityError:
            # person_once_per_household; the check above already asks case-blind,
            # so this is only the database's word on the same thing.
            raise duplicate from None
        person_corrected.send(sender=Person, person=person)
    return person


def eligibility_after_adding(person: Person) -> tuple[Eligibility, str | None]:
    """The person's eligibility and, when they cannot book yet, what to tell the resident."""
    eligibility = eligibility_for(person)
    if eligibility.can_book:
        return eligibility, None
    return eligibility, cannot_book_yet_message(person, eligibility)
