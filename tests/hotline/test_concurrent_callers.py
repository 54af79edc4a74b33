"""Repeated webhooks arrive at once (Twilio retries while the first is still
running; a caller presses 1 on two phones of one household), and two agents
book for the same household at once: the services' guards leave one waiting
place, one person, one series. Real threads against PostgreSQL."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from booking.models import Household, Person, Series
from hotline import acting, identity
from hotline.errors import HotlineError
from hotline.voice.calls import join_by_phone
from tests import factories
from tests.hotline.conftest import make_agent
from tests.staff.helpers import run_together
from waitlist.models import Entry

pytestmark = pytest.mark.django_db(transaction=True)
LANDLINE = "+495111234567"


def test_the_same_join_at_once_leaves_one_person_and_one_place(center, vaccine, open_for_80):
    from datetime import date

    answers: list[str] = []

    def join() -> None:
        answers.append(
            join_by_phone(phone=LANDLINE, date_of_birth=date(1938, 5, 17), postal_code="30159")
        )

    run_together(*[join for _ in range(6)])
    assert Household.objects.count() == 1
    assert Person.objects.count() == 1
    assert Entry.objects.filter(status__in=Entry.ACTIVE).count() == 1
    with translation.override("de"):
        joined = gettext("You are now on the waiting list of %(district)s.") % {
            "district": "Region Hannover"
        }
        already = gettext("You are on the waiting list already.")
    assert sorted(answer.split(".")[0] + "." for answer in answers) == sorted(
        [joined] + [already] * 5
    )


def test_two_agents_booking_the_same_person_at_once_book_once(center, vaccine, open_for_80):
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=4, second_capacity=4)
    person = factories.make_person(Household.objects.create(phone="+4915100000101"))
    agents = [make_agent("agent-a"), make_agent("agent-b")]
    for agent in agents:
        # As if each had passed the check (the check itself is tested through the pages).
        identity._grant(agent=agent, household=person.household, method="sms_code")

    def book(agent):
        return lambda: acting.book(
            agent=agent,
            household=person.household,
            person_id=person.pk,
            slot_id=first.pk,
            request_token=uuid.uuid4(),
        )

    refusals = run_together(*[book(agent) for agent in agents], refusals=(HotlineError,))
    assert Series.objects.filter(person=person, status=Series.Status.ACTIVE).count() == 1
    assert len(refusals) == 1
    first.refresh_from_db()
    assert first.booked == 1


def test_an_agent_needs_the_second_factor_when_it_is_required(settings, db):
    settings.STAFF_REQUIRE_2FA = True
    desk = Client()
    desk.force_login(make_agent("agent-2fa"))
    response = desk.get(reverse("hotline:search"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff_auth:enrol"))
