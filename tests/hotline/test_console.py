"""The agent console, through its pages: two agents, two households."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from booking import services as booking_services
from booking.models import Household, Series
from hotline.models import AuditEntry, Grant
from sms.models import Message
from tests.hotline.conftest import client_for
from tests.hotline.helpers import (
    check_by_sms,
    check_code,
    household_url,
    search_code,
    search_name,
    search_phone,
)
from tests.journeys import german, latest_code
from tests.staff.conftest import make_staff
from waitlist.models import Entry

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


def booked(person, slot) -> Series:
    return booking_services.book_series(person=person, slot=slot, request_token=uuid.uuid4())


def test_only_agents_reach_the_console(client, desk_a, center):
    assert client.get(reverse("hotline:search")).status_code == 302  # to the login
    assert desk_a.get(reverse("hotline:search")).status_code == 200
    staff_desk = client_for(make_staff("staff-x", center))
    assert staff_desk.get(reverse("hotline:search")).status_code == 403


def test_an_agent_sees_no_center_day_list(desk_a, center):
    """Agents are no staff: the admin (where the day lists are) sends them to its login."""
    response = desk_a.get(reverse("admin:booking_appointment_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_three_ways_to_find_a_caller_each_audited_without_the_terms(
    desk_a, agent_a, erna, bookable
):
    series = booked(erna, bookable)
    typed = series.booking_code.lower().replace("-", " ")
    for response in (
        search_phone(desk_a, "0151 00000101"),
        search_code(desk_a, typed),
        search_name(desk_a, last_name="meyer", born=erna.date_of_birth),
    ):
        assert response.status_code == 200
        assert [v.household for v in response.context["results"]] == [erna.household]
    searches = AuditEntry.objects.filter(agent=agent_a, action=Action.SEARCHED)
    assert [entry.results for entry in searches] == [1, 1, 1]


def test_a_household_opens_only_after_this_agents_search(desk_a, desk_b, erna):
    search_phone(desk_a, erna.household.phone)
    assert desk_a.get(household_url(erna.household)).status_code == 200
    assert desk_b.get(household_url(erna.household)).status_code == 404


def test_the_agent_sees_only_the_last_three_digits_of_the_number(desk_a, erna):
    phone = erna.household.phone
    found = search_phone(desk_a, phone)
    found = desk_a.get(found["Location"]) if found.status_code == 302 else found
    opened = desk_a.get(household_url(erna.household))
    for page in (found, opened):
        assert f"Haushalt mit der Nummer auf {phone[-3:]}" in page.content.decode()
    # The search form shows back what the agent typed; the household's page does not.
    assert phone[-6:] not in opened.content.decode()


def test_nothing_can_be_done_before_the_identity_check(desk_a, erna, bookable):
    search_phone(desk_a, erna.household.phone)
    response = desk_a.post(
        reverse("hotline:book", args=[erna.household.pk, erna.pk]),
        {"slot": bookable.pk, "token": str(uuid.uuid4())},
        follow=True,
    )
    assert not Series.objects.exists()
    refusal = german(
        "Please check the caller's identity first. You can act for a household for "
        "%(minutes)d minutes after the check.",
        minutes=15,
    )
    assert refusal in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.BOOKED).count() == 0


def test_booking_code_and_date_of_birth_pass_the_check_for_this_agent_only(
    desk_a, desk_b, agent_a, agent_b, erna, bookable
):
    series = booked(erna, bookable)
    for desk in (desk_a, desk_b):
        search_phone(desk, erna.household.phone)
    wrong = check_code(
        desk_a, erna.household, series.booking_code, erna.date_of_birth.replace(day=18)
    )
    assert wrong.status_code == 200
    assert not Grant.objects.exists()
    right = check_code(desk_a, erna.household, series.booking_code.lower(), erna.date_of_birth)
    assert right.status_code == 302
    assert list(Grant.objects.values_list("agent", "household")) == [
        (agent_a.pk, erna.household.pk)
    ]
    outcomes = list(
        AuditEntry.objects.filter(action__startswith="identity")
        .order_by("pk")
        .values_list("action", "agent")
    )
    assert outcomes == [(Action.IDENTITY_FAILED, agent_a.pk), (Action.IDENTITY_PASSED, agent_a.pk)]
    # Agent B has not checked: cancelling is refused for B, done for A.
    desk_b.post(reverse("hotline:cancel", args=[erna.household.pk, series.pk]), {"reason": ""})
    series.refresh_from_db()
    assert series.is_active
    desk_a.post(reverse("hotline:cancel", args=[erna.household.pk, series.pk]), {"reason": ""})
    series.refresh_from_db()
    assert not series.is_active
    assert Message.objects.filter(idempotency_key=f"cancelled:{series.pk}").count() == 1


def test_a_code_of_another_household_does_not_pass(desk_a, erna, otto, bookable):
    others = booked(otto, bookable)
    search_phone(desk_a, erna.household.phone)
    check_code(desk_a, erna.household, others.booking_code, otto.date_of_birth)
    assert not Grant.objects.exists()


def test_after_three_failed_checks_only_a_code_to_the_number_helps(desk_a, erna, bookable):
    series = booked(erna, bookable)
    search_phone(desk_a, erna.household.phone)
    wrong_day = erna.date_of_birth.replace(day=1)
    for _try in range(3):
        check_code(desk_a, erna.household, series.booking_code, wrong_day)
    response = check_code(desk_a, erna.household, series.booking_code, erna.date_of_birth)
    assert response.status_code == 200
    assert not Grant.objects.exists()
    assert check_by_sms(desk_a, erna.household).status_code == 302
    assert Grant.objects.get().method == Grant.Method.SMS_CODE


def test_a_wrong_code_read_back_does_not_pass(desk_a, erna):
    search_phone(desk_a, erna.household.phone)
    desk_a.post(reverse("hotline:send_code", args=[erna.household.pk]))
    code = latest_code(erna.household.phone)
    wrong = "".join(str((int(d) + 1) % 10) for d in code)
    response = desk_a.post(
        reverse("hotline:read_back", args=[erna.household.pk]), {"read-code": wrong}
    )
    assert response.status_code == 200
    assert not Grant.objects.exists()
    assert AuditEntry.objects.filter(action=Action.IDENTITY_FAILED).count() == 1


def test_the_agent_acts_for_fifteen_minutes_then_no_longer(desk_a, erna, bookable):
    search_phone(desk_a, erna.household.phone)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert check_by_sms(desk_a, erna.household).status_code == 302
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        page = desk_a.get(household_url(erna.household))
        assert page.context["grant"] is not None
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        page = desk_a.get(household_url(erna.household))
        assert page.context["grant"] is None
        desk_a.post(
            reverse("hotline:book", args=[erna.household.pk, erna.pk]),
            {"slot": bookable.pk, "token": str(uuid.uuid4())},
        )
    assert not Series.objects.exists()


def test_booking_through_the_console_sends_the_same_confirmation(desk_a, agent_a, erna, bookable):
    search_phone(desk_a, erna.household.phone)
    check_by_sms(desk_a, erna.household)
    page = desk_a.get(reverse("hotline:book", args=[erna.household.pk, erna.pk]))
    assert bookable in page.context["slots"]
    token = str(uuid.uuid4())
    for _repeat in range(2):  # a double click books once
        desk_a.post(
            reverse("hotline:book", args=[erna.household.pk, erna.pk]),
            {"slot": bookable.pk, "token": token},
        )
    series = Series.objects.get()
    assert series.person == erna
    assert series.appointments.count() == 2
    confirmation = Message.objects.get(idempotency_key=f"booked:{series.pk}")
    assert confirmation.recipient == erna.household.phone
    booked_entries = AuditEntry.objects.filter(action=Action.BOOKED, agent=agent_a)
    assert [e.object_ref for e in booked_entries] == [f"series:{series.pk}", f"series:{series.pk}"]


def test_a_new_landline_caller_gets_a_voice_code_and_then_a_household(desk_a, agent_a):
    landline = "0511 7654321"
    response = desk_a.post(reverse("hotline:new_caller"), {"step": "send", "phone": landline})
    assert response.status_code == 302
    assert not Household.objects.exists()
    code_message = Message.objects.get()
    assert code_message.channel == Message.Channel.VOICE
    response = desk_a.post(
        reverse("hotline:new_caller"), {"step": "check", "code": latest_code("+495117654321")}
    )
    household = Household.objects.get()
    assert response["Location"] == household_url(household)
    assert Grant.objects.get().method == Grant.Method.VOICE_CODE
    # The agent adds the caller and puts them on the waiting list.
    add = desk_a.post(
        reverse("hotline:add_person", args=[household.pk]),
        {
            "add-first_name": "Karl",
            "add-last_name": "Otte",
            "add-birth_day": "1",
            "add-birth_month": "2",
            "add-birth_year": "1935",
            "add-postal_code": "30159",
        },
    )
    assert add.status_code == 302
    assert household.people.count() == 1


def test_waiting_list_and_offer_through_the_console(desk_a, erna, center, vaccine, open_for_80):
    from tests import factories

    search_phone(desk_a, erna.household.phone)
    check_by_sms(desk_a, erna.household)
    desk_a.post(reverse("hotline:join_waitlist", args=[erna.household.pk, erna.pk]))
    entry = Entry.objects.get(person=erna)
    assert entry.status == Entry.Status.WAITING
    # A seat becomes free: the exchange offers it; the agent accepts for the caller.
    from waitlist import exchange

    first, _second = factories.make_bookable_pair(center, vaccine)
    exchange.offer_free_seats(slot_ids=[first.pk])
    entry.refresh_from_db()
    assert entry.status == Entry.Status.OFFERED
    offer = entry.offers.get()
    desk_a.post(
        reverse("hotline:answer_offer", args=[erna.household.pk, offer.pk]), {"answer": "accept"}
    )
    offer.refresh_from_db()
    assert offer.status == offer.Status.ACCEPTED
    assert Message.objects.filter(idempotency_key=f"booked:{offer.series_id}").exists()


def test_removing_a_person_asks_first_and_is_audited_by_id(desk_a, agent_a, erna):
    search_phone(desk_a, erna.household.phone)
    check_by_sms(desk_a, erna.household)
    url = reverse("hotline:remove_person", args=[erna.household.pk, erna.pk])
    assert desk_a.get(url).status_code == 200
    assert erna.household.people.count() == 1
    desk_a.post(url)
    assert erna.household.people.count() == 0
    entry = AuditEntry.objects.get(action=Action.PERSON_REMOVED)
    assert (entry.agent, entry.object_ref) == (agent_a, f"person:{erna.pk}")


def test_leaving_the_waiting_list_through_the_console(desk_a, erna, open_for_80, center):
    search_phone(desk_a, erna.household.phone)
    check_by_sms(desk_a, erna.household)
    desk_a.post(reverse("hotline:join_waitlist", args=[erna.household.pk, erna.pk]))
    entry = Entry.objects.get(person=erna)
    desk_a.post(reverse("hotline:leave_waitlist", args=[erna.household.pk, entry.pk]))
    entry.refresh_from_db()
    assert entry.status == Entry.Status.LEFT


def test_a_refusal_of_the_service_is_shown_and_audited(desk_a, erna, bookable):
    booked(erna, bookable)
    search_phone(desk_a, erna.household.phone)
    check_by_sms(desk_a, erna.household)
    response = desk_a.post(
        reverse("hotline:join_waitlist", args=[erna.household.pk, erna.pk]), follow=True
    )
    assert (
        german("%(name)s already has an appointment.", name="Erna Meyer")
        in response.content.decode()
    )
    assert AuditEntry.objects.filter(action=Action.JOINED, outcome="refused").count() == 1


def test_the_household_page_hides_date_of_birth_and_code_until_the_check(desk_a, erna, bookable):
    series = booked(erna, bookable)
    search_phone(desk_a, erna.household.phone)
    before = desk_a.get(household_url(erna.household)).content.decode()
    assert series.booking_code not in before
    assert "17.05.1938" not in before
    check_code(desk_a, erna.household, series.booking_code, erna.date_of_birth)
    after = desk_a.get(household_url(erna.household)).content.decode()
    assert series.booking_code in after
    assert "17.05.1938" in after


def test_cancelling_asks_first(desk_a, erna, bookable):
    series = booked(erna, bookable)
    search_phone(desk_a, erna.household.phone)
    check_code(desk_a, erna.household, series.booking_code, erna.date_of_birth)
    page = desk_a.get(reverse("hotline:cancel", args=[erna.household.pk, series.pk]))
    assert page.status_code == 200
    series.refresh_from_db()
    assert series.is_active
    desk_a.post(
        reverse("hotline:cancel", args=[erna.household.pk, series.pk]), {"reason": "illness"}
    )
    series.refresh_from_db()
    assert series.cancel_reason == Series.CancelReason.ILLNESS


def test_the_audit_holds_no_names_numbers_dates_or_codes(desk_a, erna, bookable):
    series = booked(erna, bookable)
    search_name(desk_a, last_name="Meyer", first_name="Erna", born=erna.date_of_birth)
    check_code(desk_a, erna.household, series.booking_code, erna.date_of_birth)
    desk_a.post(reverse("hotline:cancel", args=[erna.household.pk, series.pk]), {"reason": ""})
    entries = list(AuditEntry.objects.order_by("pk").values())
    assert [e["action"] for e in entries] == [
        Action.SEARCHED,
        Action.IDENTITY_PASSED,
        Action.CANCELLED,
    ]
    text = " ".join(str(value) for entry in entries for value in entry.values())
    secrets = [
        "Erna",
        "Meyer",
        erna.household.phone,
        erna.household.phone[-7:],
        series.booking_code,
        series.booking_code.replace("-", ""),
        erna.date_of_birth.isoformat(),
        "1938",
    ]
    assert [secret for secret in secrets if secret in text] == []
    # Negative control: the same scan finds a name where there is one.
    assert "Erna" in f"{text} {erna}"


def test_searches_are_limited_per_agent(desk_a, desk_b, erna, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "hotline_search": {"number": "3/10m"}}
    codes = [search_phone(desk_a, erna.household.phone).status_code for _i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert search_phone(desk_b, erna.household.phone).status_code == 200
    # The refused search was not run, so not audited.
    assert AuditEntry.objects.filter(action=Action.SEARCHED).count() == 4


def test_the_demo_data_has_the_readme_s_hotline_agent():
    from io import StringIO
    from pathlib import Path

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from hotline.group import is_agent

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| hotline agent | `hotline` |" in readme
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert is_agent(get_user_model().objects.get(username="hotline"))
    assert "Hotline agent: hotline /" in out.getvalue()
