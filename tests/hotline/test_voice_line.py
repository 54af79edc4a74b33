"""The voice line through signed webhooks, as Twilio posts them: a journey per
menu item, silence, wrong keys, hanging up, a replayed webhook, unsigned ones."""

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from booking import services as booking_services
from booking.models import Household, Person, Series
from centers.models import Slot
from hotline.codes import keypad_digits
from hotline.voice.calls import spoken_date, spoken_moment
from sms.models import Message
from sms.outbox import dispatch_due
from tests import factories
from tests.hotline.voice import AGENTS, BASE, Caller, signed_post, switch_on_voice_line
from waitlist import exchange
from waitlist import services as waitlist_services
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db
LANDLINE = "+495111234567"


@pytest.fixture(autouse=True)
def voice_line(settings):
    switch_on_voice_line(settings)


def de(text: str, **params) -> str:
    with translation.override("de"):
        message = translation.gettext(text)
    return message % params if params else message


def test_unsigned_forged_and_get_requests_are_refused(db):
    path = reverse("hotline:voice_incoming")
    params = {"CallSid": "CA1", "From": LANDLINE, "To": "+495115550100"}
    assert Client().post(path, params).status_code == 403
    assert signed_post(Client(), path, params, token="another-token").status_code == 403
    forged = signed_post(Client(), path, params)
    assert forged.status_code == 200
    signature = forged.request["HTTP_X_TWILIO_SIGNATURE"]
    tampered = Client().post(
        path, {**params, "From": "+4915100000999"}, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert tampered.status_code == 403
    assert Client().get(path).status_code == 405


def test_the_menu_is_said_slowly_twice_in_german(db):
    call = Caller(LANDLINE)
    call.dial_in()
    say = call.root.find("Gather/Say")
    assert say is not None
    assert say.attrib["language"] == "de-DE"
    assert say.attrib["loop"] == "2"
    prosody = say.find("prosody")
    gather = call.root.find("Gather")
    assert prosody is not None
    assert gather is not None
    assert prosody.attrib["rate"] == "slow"
    assert gather.attrib["numDigits"] == "1"
    assert "drücken Sie die 1" in call.said


def test_1_tells_whether_the_district_has_free_appointments(center, vaccine, open_for_80):
    factories.make_bookable_pair(center, vaccine)
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("1")
    call.press("30159")
    assert (
        de("In %(district)s there are free appointments.", district="Region Hannover") in call.said
    )
    assert call.root.find("Gather") is not None  # back in the menu


def test_2_puts_the_caller_on_the_district_waiting_list(center, vaccine, open_for_80):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("2")
    call.press("17051938")
    with translation.override("de"):
        assert spoken_date(date(1938, 5, 17)) in call.said  # "17. Mai 1938", read back
    call.press("1")
    call.press("30159")
    call.press("1")
    assert call.hung_up
    assert (
        de("You are now on the waiting list of %(district)s.", district="Region Hannover")
        in call.said
    )
    household = Household.objects.get()
    assert household.phone == LANDLINE
    entry = Entry.objects.get()
    assert entry.person.date_of_birth == date(1938, 5, 17)
    assert entry.person.postal_code == "30159"
    assert entry.district == center.district


def test_a_wrong_date_read_back_is_entered_again(center, vaccine, open_for_80):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("2")
    call.press("17051939")
    call.press("2")  # not right: again
    call.press("17051938")
    call.press("1")
    call.press("30159")
    call.press("1")
    assert Person.objects.get().date_of_birth == date(1938, 5, 17)


def test_a_replayed_confirmation_joins_once_and_says_the_same(center, vaccine, open_for_80):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("2")
    call.press("17051938")
    call.press("1")
    call.press("30159")
    confirm_path = call.gather_path
    call.press("1")
    assert (
        de("You are now on the waiting list of %(district)s.", district="Region Hannover")
        in call.said
    )
    call.replay("1", confirm_path)
    assert Entry.objects.count() == 1
    assert Person.objects.count() == 1
    assert de("You are on the waiting list already.") in call.said


def test_hanging_up_halfway_saves_nothing(center, vaccine, open_for_80):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("2")
    call.press("17051938")
    call.press("1")
    call.press("30159")
    # The caller hangs up instead of confirming: Twilio posts nothing more.
    assert not Household.objects.exists()
    assert not Person.objects.exists()
    assert not Entry.objects.exists()


def test_a_withheld_number_is_told_to_call_from_one_that_can_be_called_back(center, open_for_80):
    call = Caller("anonymous")
    call.dial_in()
    call.press("2")
    assert call.hung_up
    assert not Household.objects.exists()


def test_silence_three_times_puts_the_caller_through(db):
    call = Caller(LANDLINE)
    call.dial_in()
    call.stay_silent()
    assert de("We did not hear an entry.") in call.said
    call.stay_silent()
    assert call.dialled is None
    call.stay_silent()
    assert call.dialled == AGENTS


def test_wrong_keys_three_times_end_with_a_goodbye_without_an_agent_number(db, settings):
    settings.HOTLINE_AGENT_NUMBER = ""
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("7")
    assert de("This key is not in the menu.") in call.said
    call.press("8")
    call.press("9")
    assert call.hung_up
    assert call.dialled is None
    assert " ".join(settings.HOTLINE_PHONE) in call.said  # the number, digit by digit


def test_an_impossible_date_counts_as_a_wrong_entry(center, open_for_80):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("2")
    call.press("31021938")
    assert "?t=1" in call.gather_path
    assert not Person.objects.exists()


def test_0_puts_the_caller_through_to_an_agent(db):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("0")
    assert call.dialled == AGENTS


@pytest.fixture
def booked(center, vaccine, open_for_80):
    first, _second = factories.make_bookable_pair(center, vaccine)
    person = factories.make_person(Household.objects.create(phone=LANDLINE))
    return booking_services.book_series(person=person, slot=first, request_token=uuid.uuid4())


def test_3_reads_the_appointments_by_keypad_code_and_date_of_birth(booked):
    call = Caller("+4915100000999")  # from any phone
    call.dial_in()
    call.press("3")
    call.press(keypad_digits(booked.booking_code))
    call.press("17051938")
    assert booked.center.name in call.said
    assert Series.objects.get().is_active


def test_3_with_a_wrong_date_of_birth_reads_nothing(booked):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("3")
    call.press(keypad_digits(booked.booking_code))
    call.press("18051938")
    assert booked.center.name not in call.said
    assert de("We found no booked appointment for this code and date of birth.") in call.said


def test_4_cancels_with_code_and_date_of_birth_once_even_when_replayed(booked):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("4")
    call.press(keypad_digits(booked.booking_code))
    call.press("17051938")
    confirm_path = call.gather_path
    call.press("1")
    done = call.said
    booked.refresh_from_db()
    assert booked.status == Series.Status.CANCELLED
    call.replay("1", confirm_path)
    assert call.said == done
    assert Message.objects.filter(idempotency_key__startswith="cancelled:").count() == 1


def test_4_keeps_the_appointments_with_2(booked):
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("4")
    call.press(keypad_digits(booked.booking_code))
    call.press("17051938")
    call.press("2")
    booked.refresh_from_db()
    assert booked.is_active


# --- offer calls ----------------------------------------------------------------


@pytest.fixture
def offer_call(twilio, center, vaccine, open_for_80):
    """A landline household waits; a seat frees; the outbox calls it through Twilio."""
    person = factories.make_person(Household.objects.create(phone=LANDLINE))
    waitlist_services.join_waitlist(person=person)
    first, _second = factories.make_bookable_pair(center, vaccine)
    exchange.offer_free_seats(slot_ids=[first.pk])
    offer = Offer.objects.get()
    dispatch_due(limit=10)
    offer.refresh_from_db()
    return offer


def test_an_offer_call_fetches_its_questions_from_the_voice_line(offer_call, twilio):
    [received] = [r for r in twilio.received if r.kind == "voice"]
    assert received.to == LANDLINE
    assert received.url == BASE + reverse("hotline:voice_offer", args=[offer_call.message_id])
    assert received.twiml == ""


def test_an_offer_call_reads_the_deadline_and_accepts_with_1_once(offer_call):
    assert offer_call.deadline is not None  # started when the call went out
    call = Caller("+495115550100", called=LANDLINE)
    call.answer_offer_call(offer_call.message_id)
    with translation.override("de"):
        assert spoken_moment(offer_call.deadline) in call.said
    answer_path = call.gather_path
    call.press("1")
    offer_call.refresh_from_db()
    assert offer_call.status == Offer.Status.ACCEPTED
    said = call.said
    call.replay("1", answer_path)
    assert call.said == said
    assert Series.objects.count() == 1
    assert Message.objects.filter(idempotency_key=f"booked:{offer_call.series_id}").count() == 1


def test_an_offer_call_declines_with_2(offer_call):
    call = Caller("+495115550100", called=LANDLINE)
    call.answer_offer_call(offer_call.message_id)
    call.press("2")
    offer_call.refresh_from_db()
    assert offer_call.status == Offer.Status.DECLINED
    assert not Series.objects.exists()


def test_an_offer_call_to_another_number_offers_nothing(offer_call):
    call = Caller("+495115550100", called="+4915100000999")
    call.answer_offer_call(offer_call.message_id)
    assert call.hung_up
    assert call.root.find("Gather") is None


def test_an_offer_call_with_other_keys_asks_again(offer_call):
    call = Caller("+495115550100", called=LANDLINE)
    call.answer_offer_call(offer_call.message_id)
    call.press("5")
    assert "?t=1" in call.gather_path
    offer_call.refresh_from_db()
    assert offer_call.is_open


def test_1_names_the_hotline_when_only_its_held_seats_are_free(center, vaccine, open_for_80):
    """A release holds seats for the hotline: taken for the web, but an agent can
    book them for this caller, who hears so instead of "all taken"."""
    first, second = factories.make_bookable_pair(center, vaccine, capacity=1, second_capacity=1)
    Slot.objects.filter(pk=first.pk).update(
        booked=1, hotline_held=1, hotline_held_until=timezone.now() + timedelta(hours=4)
    )
    Slot.objects.filter(pk=second.pk).update(booked=1)  # held with its first dose
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("1")
    call.press("30159")
    assert "aber unsere Hotline kann noch einen Termin für Sie buchen" in call.said
    call.press("0")
    assert call.dialled == AGENTS


def test_1_says_all_taken_when_no_seat_is_held_for_the_hotline(center, vaccine, open_for_80):
    factories.make_delivery(center, vaccine)
    first, second = factories.make_bookable_pair(center, vaccine, capacity=1, second_capacity=1)
    Slot.objects.filter(pk__in=[first.pk, second.pk]).update(booked=1)
    call = Caller(LANDLINE)
    call.dial_in()
    call.press("1")
    call.press("30159")
    assert "Hotline" not in call.said
    assert "alle Termine vergeben" in call.said
