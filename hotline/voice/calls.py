"""The voice line's menu: one question per webhook, answered by keypad.

A call's answers so far (date of birth, postal code, booking-code keys) are
kept in the cache under the call's id, one key each, for half an hour and
never written to the database until the caller confirms the last question: a
caller who hangs up halfway leaves nothing behind. Every question allows HOTLINE_VOICE_TRIES
silent or wrong answers, then puts the caller through to an agent (or says
goodbye). The confirming steps are idempotent: Twilio may post a webhook
again, and joining, cancelling or answering an offer twice does it once and
says the same.

Each step is a function ``(call, digits) -> TwiML``; it raises ``Wrong`` with
what to tell the caller before the question is asked again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Func, Value
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from booking import households
from booking import services as booking_services
from booking.errors import BookingError
from booking.forms import OLDEST_AGE
from booking.models import Household, Person, Series
from centers.models import Center, Slot
from centers.selectors import responsible_district
from hotline.codes import keypad_translation
from hotline.voice import twiml
from sms.errors import PhoneError
from sms.phone import parse_phone_number
from waitlist import offers as waitlist_offers
from waitlist import services as waitlist_services
from waitlist.errors import WaitlistError
from waitlist.exchange import describe_duration
from waitlist.models import Entry, Offer

STATE_SECONDS = 30 * 60


class Wrong(Exception):
    """The answer does not fit; ``str`` is said before asking again."""

    def __init__(self, text: str, *, step: str | None = None):
        super().__init__(text)
        self.step = step  # ask this step again instead of the current one


# What a call may remember between its webhooks, each under its own key.
ANSWERS = ("purpose", "dob", "plz", "district", "keys", "series", "cancelled", "message")


@dataclass
class Call:
    sid: str
    caller: str  # the calling number as Twilio gives it ("anonymous" when withheld)
    called: str
    _stored: dict | None = field(default=None, repr=False)
    _new: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, *, sid: str, caller: str, called: str) -> "Call":
        """The call; its answers so far are read from the cache when first asked for."""
        return cls(sid=sid, caller=caller, called=called)

    def get(self, name: str, default=None):
        """An answer of this call. The stored ones are read on first use, in one
        round trip: most webhooks (the greeting, the menu key, a "1" that only
        leads on, a question that only writes) never read them, and a cache
        round trip is a good part of such a webhook's cost."""
        if name in self._new:
            return self._new[name]
        if self._stored is None:
            found = cache.get_many([_key(self.sid, answer) for answer in ANSWERS])
            self._stored = {answer: found.get(_key(self.sid, answer)) for answer in ANSWERS}
        value = self._stored.get(name)
        return default if value is None else value

    def remember(self, **answers) -> None:
        """Keep answers for the call's next webhooks (written by ``save``, without
        reading what is stored: each answer has its own key)."""
        unknown = set(answers) - set(ANSWERS)
        if unknown:
            raise ValueError(f"not an answer of a call: {sorted(unknown)}")
        self._new.update(answers)

    def save(self) -> None:
        """Write this webhook's new answers, all in one round trip."""
        if self._new:
            cache.set_many(
                {_key(self.sid, name): value for name, value in self._new.items()}, STATE_SECONDS
            )


def _key(sid: str, answer: str) -> str:
    return f"hotline-voice:{sid}:{answer}"


def action_url(step: str, tries: int = 0) -> str:
    return (
        f"{settings.HOTLINE_VOICE_BASE_URL}{reverse('hotline:voice_step', args=[step])}?t={tries}"
    )


# --- asking --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    digits: int
    prompt: Callable[[Call], str]
    handle: Callable[[Call, str], str]


STEPS: dict[str, Step] = {}


def step(name: str, *, digits: int, prompt: Callable[[Call], str]):
    def register(handle: Callable[[Call, str], str]):
        STEPS[name] = Step(digits=digits, prompt=prompt, handle=handle)
        return handle

    return register


def ask(name: str, call: Call, *, tries: int = 0, before: str = "") -> str:
    text = f"{before} {STEPS[name].prompt(call)}".strip()
    return twiml.ask(text=text, action=action_url(name, tries), digits=STEPS[name].digits)


def answer(name: str, call: Call, *, digits: str, tries: int) -> str:
    """The caller's keys (or none) for step ``name``, asked for the ``tries``-th time."""
    try:
        if not digits:
            raise Wrong(_("We did not hear an entry."))
        return STEPS[name].handle(call, digits)
    except Wrong as wrong:
        if tries + 1 >= settings.HOTLINE_VOICE_TRIES:
            return give_up()
        return ask(wrong.step or name, call, tries=tries + 1, before=str(wrong))


def give_up() -> str:
    if settings.HOTLINE_AGENT_NUMBER:
        return twiml.put_through(
            text=_(
                "We will put you through to our hotline. All lines may be busy; please "
                "stay on the line."
            ),
            number=settings.HOTLINE_AGENT_NUMBER,
        )
    return twiml.say_and_hang_up(
        _(
            "Please call our hotline on %(hotline)s, Monday to Saturday from 8 a.m. to "
            "8 p.m. Goodbye."
        )
        % {"hotline": " ".join(settings.HOTLINE_PHONE)}  # read out digit by digit
    )


def with_goodbye(text: str) -> str:
    return _("%(text)s Goodbye.") % {"text": text}


def greeting() -> str:
    return _("Welcome to the vaccination portal of Lower Saxony.")


# --- what is said ----------------------------------------------------------------


def spoken_date(day: date) -> str:
    return formats.date_format(day, "j. F Y")


def spoken_moment(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "WEEKDAY_DATETIME_FORMAT")


def spoken_digits(digits: str) -> str:
    return " ".join(digits)


def _date_of_birth(digits: str) -> date:
    wrong = Wrong(
        _(
            "Please enter the date of birth with 8 digits: day, month and year, for "
            "example 2 4 0 3 1 9 4 1."
        )
    )
    if len(digits) != 8 or not digits.isdigit():
        raise wrong
    try:
        born = date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        raise wrong from None
    today = timezone.localdate()
    if born > today or today.year - born.year > OLDEST_AGE:
        raise wrong
    return born


def _district_of(digits: str):
    district = responsible_district(digits) if len(digits) == 5 and digits.isdigit() else None
    if district is None:
        raise Wrong(_("We do not know this postal code. Please enter the 5 digits again."))
    return district


# --- the main menu ---------------------------------------------------------------


def _menu_prompt(call: Call) -> str:
    return _(
        "To hear whether your district has free appointments, press 1. To join the "
        "waiting list of your district, press 2. To hear your appointments, press 3. To "
        "cancel your appointments, press 4. To speak to someone, press 0."
    )


@step("menu", digits=1, prompt=_menu_prompt)
def menu(call: Call, digits: str) -> str:
    if digits == "1":
        return ask("district", call)
    if digits == "2":
        try:
            parse_phone_number(call.caller)
        except PhoneError:
            return twiml.say_and_hang_up(
                _(
                    "Your number is withheld. We call you back when an appointment is free, "
                    "so please call again from a number we can call back. Goodbye."
                )
            )
        return ask("join_dob", call)
    if digits in ("3", "4"):
        call.remember(purpose="hear" if digits == "3" else "cancel")
        return ask("code", call)
    if digits == "0":
        return give_up()
    raise Wrong(_("This key is not in the menu."))


# --- 1: free appointments in the district ------------------------------------------


@step("district", digits=5, prompt=lambda call: _("Please enter the 5 digits of your postal code."))
def district(call: Call, digits: str) -> str:
    found = _district_of(digits)
    states = {c.state for c in Center.objects.filter(district=found).with_availability()}
    if Center.State.AVAILABLE in states:
        text = _("In %(district)s there are free appointments.") % {"district": found.name}
    elif Slot.objects.bookable_by_hotline().filter(center__district=found).exists():
        # Seats a release holds for the hotline: taken for the web, but an agent
        # books them for this caller.
        text = _(
            "In %(district)s all appointments online are taken, but our hotline can still "
            "book one for you. To speak to someone, press 0."
        ) % {"district": found.name}
    elif Center.State.WAITLIST_ONLY in states:
        text = _(
            "In %(district)s all appointments are taken. You can join the waiting list with key 2."
        ) % {"district": found.name}
    else:
        text = _("In %(district)s there is no vaccine yet. You can join the waiting list.") % {
            "district": found.name
        }
    return ask("menu", call, before=text)


# --- 2: joining the district's waiting list ----------------------------------------


@step(
    "join_dob",
    digits=8,
    prompt=lambda call: _(
        "Please enter your date of birth with 8 digits: day, month and year, for example "
        "2 4 0 3 1 9 4 1."
    ),
)
def join_dob(call: Call, digits: str) -> str:
    call.remember(dob=_date_of_birth(digits).isoformat())
    return ask("join_dob_ok", call)


def _confirm(text: str) -> str:
    return _("%(text)s If this is right, press 1. To enter it again, press 2.") % {"text": text}


@step(
    "join_dob_ok",
    digits=1,
    prompt=lambda call: _confirm(
        _("You entered %(date)s.") % {"date": spoken_date(date.fromisoformat(call.get("dob")))}
    ),
)
def join_dob_ok(call: Call, digits: str) -> str:
    if digits == "1":
        return ask("join_plz", call)
    if digits == "2":
        return ask("join_dob", call)
    raise Wrong(_("Please press 1 or 2."))


@step("join_plz", digits=5, prompt=lambda call: _("Please enter the 5 digits of your postal code."))
def join_plz(call: Call, digits: str) -> str:
    call.remember(district=_district_of(digits).name, plz=digits)
    return ask("join_plz_ok", call)


def _plz_prompt(call: Call) -> str:
    return _confirm(
        _("You entered %(code)s, %(district)s.")
        % {"code": spoken_digits(call.get("plz")), "district": call.get("district", "")}
    )


@step("join_plz_ok", digits=1, prompt=_plz_prompt)
def join_plz_ok(call: Call, digits: str) -> str:
    if digits == "2":
        return ask("join_plz", call)
    born, postal_code = call.get("dob"), call.get("plz")
    if digits != "1" or born is None or postal_code is None:
        raise Wrong(_("Please press 1 or 2."))
    return twiml.say_and_hang_up(
        join_by_phone(
            phone=call.caller,
            date_of_birth=date.fromisoformat(born),
            postal_code=postal_code,
        )
    )


def join_by_phone(*, phone: str, date_of_birth: date, postal_code: str) -> str:
    """Put the caller on their district's waiting list; what to tell them.

    The calling number becomes the household's number. All or nothing: a
    person added for the place goes again when the place is refused. Calling
    again (or a repeated webhook) finds the person and their place.
    """
    number = parse_phone_number(phone)
    goodbye = _("We will call you on this number when an appointment is free. Goodbye.")
    try:
        with transaction.atomic():
            # One statement for a new number and a known one: the household is
            # inserted, or the known row locked by the no-op update (get_or_create
            # and a lock took four). The same answer posted twice at once (a
            # retried webhook): the second waits here and then finds the first
            # one's person.
            [household] = Household.objects.bulk_create(
                [Household(phone=number.e164)],
                update_conflicts=True,
                unique_fields=["phone"],
                update_fields=["phone"],
            )
            # The upsert holds the household's row: one read finds the person or
            # makes room for them, without add_person's lock and savepoint.
            person, added = households.person_born_on(
                household=household,
                date_of_birth=date_of_birth,
                first_name=Person.PHONE_FIRST_NAME,
                last_name=Person.PHONE_LAST_NAME,
                postal_code=postal_code,
            )
            if not added and person.waitlist_entries.filter(status__in=Entry.ACTIVE).exists():
                already = _("You are on the waiting list already.")
                return f"{already} {goodbye}"
            # All or nothing already: the join needs no savepoint of its own.
            entry = waitlist_services.join_waitlist(
                person=person, savepoint=False, person_is_new=added
            )
    except (BookingError, WaitlistError) as error:
        return with_goodbye(str(error))
    return (
        _("You are now on the waiting list of %(district)s.") % {"district": entry.district.name}
        + " "
        + goodbye
    )


# --- 3 and 4: appointments by booking code ---------------------------------------


@step(
    "code",
    digits=8,
    prompt=lambda call: _(
        "Please type the 8 characters of your booking code on the keypad: for each letter "
        "the key it is printed on."
    ),
)
def code(call: Call, digits: str) -> str:
    if len(digits) != 8 or not digits.isdigit():
        raise Wrong(_("A booking code has 8 characters."))
    call.remember(keys=digits)
    return ask("code_dob", call)


def keypad_series(keys: str, date_of_birth: date):
    """Series whose booking code is typed with ``keys`` and whose person was born
    on ``date_of_birth`` (SQL translate(); PostgreSQL has an expression index for it,
    SQLite gets the function from ``hotline.codes.add_translate_to_sqlite``)."""
    letters, numbers = keypad_translation()
    typed = Func(F("booking_code"), Value(letters), Value(numbers), function="translate")
    return (
        Series.objects.annotate(keys=typed)
        .filter(keys=keys, person__date_of_birth=date_of_birth)
        .select_related("person__household", "center")
    )


@step(
    "code_dob", digits=8, prompt=lambda call: _("Now please enter the date of birth with 8 digits.")
)
def code_dob(call: Call, digits: str) -> str:
    born = _date_of_birth(digits)
    found = list(keypad_series(call.get("keys", ""), born).active())
    if not found and call.get("cancelled"):
        # The same call confirmed the cancellation already (a repeated webhook).
        found = list(keypad_series(call.get("keys"), born).filter(pk=call.get("cancelled")))
    if not found:
        raise Wrong(
            _("We found no booked appointment for this code and date of birth."), step="code"
        )
    series = found[0]
    text = _appointments_text(series)
    if call.get("purpose") == "cancel":
        call.remember(series=series.pk)
        return ask("cancel_ok", call, before=text)
    return ask("menu", call, before=text)


def _appointments_text(series: Series) -> str:
    parts = [
        _("Dose %(dose)d: %(moment)s.")
        % {"dose": a.dose, "moment": spoken_moment(a.slot.starts_at)}
        for a in series.appointments.select_related("slot").filter(status="booked")
    ]
    return " ".join(
        [_("Your appointments at %(center)s:") % {"center": series.center.name}, *parts]
    )


@step(
    "cancel_ok",
    digits=1,
    prompt=lambda call: _("To cancel these appointments, press 1. To keep them, press 2."),
)
def cancel_ok(call: Call, digits: str) -> str:
    if digits == "2":
        return ask("menu", call, before=_("Your appointments stay booked."))
    if digits != "1" or call.get("series") is None:
        raise Wrong(_("Please press 1 or 2."))
    series = Series.objects.select_related("person__household").get(pk=call.get("series"))
    done = _("Your appointments are cancelled. You will get a confirmation. Goodbye.")
    if series.status == Series.Status.CANCELLED:
        return twiml.say_and_hang_up(done)  # a repeated webhook: cancelled once
    try:
        booking_services.cancel_series(
            household=series.person.household, booking_code=series.booking_code
        )
    except BookingError as error:
        return twiml.say_and_hang_up(str(error))
    call.remember(cancelled=series.pk)
    return twiml.say_and_hang_up(done)


# --- offer calls ------------------------------------------------------------------


def offer_of_call(message_id: int) -> Offer | None:
    return (
        Offer.objects.select_related(
            "entry__person__household", "first_slot__center", "second_slot"
        )
        .filter(message_id=message_id)
        .first()
    )


def _offer_prompt(call: Call) -> str:
    offer = offer_of_call(call.get("message"))
    if offer is None:
        return ""
    deadline = offer.deadline or (timezone.now() + offer.hold)
    return _(
        "A vaccination appointment has become free for %(name)s: first dose %(first)s, "
        "second dose %(second)s, at %(center)s in %(town)s. Please answer by %(deadline)s, "
        "that is within %(hold)s. To accept, press 1. To decline, press 2."
    ) % {
        "name": offer.entry.person.first_name,
        "first": spoken_moment(offer.first_slot.starts_at),
        "second": spoken_moment(offer.second_slot.starts_at),
        "center": offer.first_slot.center.name,
        "town": offer.first_slot.center.town,
        "deadline": spoken_moment(deadline),
        "hold": describe_duration(max(deadline - timezone.now(), timedelta(0))),
    }


@step("offer", digits=1, prompt=_offer_prompt)
def offer(call: Call, digits: str) -> str:
    found = offer_of_call(call.get("message", 0))
    if found is None:
        return twiml.say_and_hang_up(_("This offer is no longer valid. Goodbye."))
    if digits not in ("1", "2"):
        raise Wrong(_("Please press 1 or 2."))
    accepted = _("The appointments are booked. You will get a confirmation. Goodbye.")
    declined = _("You have declined. The appointment goes to the next person. Goodbye.")
    # Answered already (a repeated webhook, or a second key): say what happened.
    if found.status == Offer.Status.ACCEPTED:
        return twiml.say_and_hang_up(accepted)
    if found.status == Offer.Status.DECLINED:
        return twiml.say_and_hang_up(declined)
    household_id = found.entry.person.household_id
    try:
        if digits == "1":
            waitlist_offers.accept_offer(offer_id=found.pk, household_id=household_id)
            return twiml.say_and_hang_up(accepted)
        waitlist_offers.decline_offer(offer_id=found.pk, household_id=household_id)
        return twiml.say_and_hang_up(declined)
    except WaitlistError as error:
        return twiml.say_and_hang_up(with_goodbye(str(error)))


def start_offer_call(call: Call, message_id: int) -> str:
    """The offer call was answered: read the offer and ask for 1 or 2."""
    found = offer_of_call(message_id)
    if found is None or found.entry.person.household.phone != call.called:
        return twiml.say_and_hang_up(_("This offer is no longer valid. Goodbye."))
    if not found.is_open:
        return twiml.say_and_hang_up(str(waitlist_offers.status_message(found)))
    call.remember(message=message_id)
    return ask("offer", call, before=_("This is the vaccination portal of Lower Saxony."))
