"""Removing a person of the household: after a confirmation, only one who holds
no appointment and no open offer, only the verified number's own people."""

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Appointment, Person, Series
from booking.services import cancel_series
from centers.models import Slot
from tests import factories
from tests.booking.conftest import in_english
from tests.journeys import add_person_via_page, german
from waitlist.models import Entry, Offer
from waitlist.signals import entry_left

pytestmark = pytest.mark.django_db


def confirm_url(person) -> str:
    return reverse("booking:confirm_removal", args=[person.pk])


def remove_url(person) -> str:
    return reverse("booking:remove_person", args=[person.pk])


def test_a_resident_removes_a_person_after_confirming(verified_client, erna):
    page = verified_client.get(confirm_url(erna))
    assert page.status_code == 200
    assert german("Remove %(person)s?", person="Erna Meyer") in page.content.decode()
    assert f'action="{remove_url(erna)}"' in page.content.decode()

    response = verified_client.post(remove_url(erna), follow=True)
    assert response.redirect_chain == [(reverse("booking:people"), 302)]
    assert not Person.objects.filter(pk=erna.pk).exists()
    assert german("%(name)s has been removed.", name="Erna Meyer") in response.content.decode()


def test_the_confirmation_page_changes_nothing(verified_client, erna):
    verified_client.get(confirm_url(erna))
    verified_client.head(confirm_url(erna))
    assert Person.objects.filter(pk=erna.pk).exists()


def test_a_get_on_the_remove_action_is_refused_and_changes_nothing(verified_client, erna):
    response = verified_client.get(remove_url(erna))
    assert response.status_code == 405
    assert Person.objects.filter(pk=erna.pk).exists()


def test_a_post_without_the_csrf_token_is_refused(verified_client, erna):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = verified_client.cookies
    response = strict.post(remove_url(erna))
    assert response.status_code == 403
    assert Person.objects.filter(pk=erna.pk).exists()


def test_removing_frees_a_place_in_the_household(verified_client, erna, home):
    factories.make_person(home, first_name="Heinz")
    assert add_person_via_page(verified_client, first_name="Gisela").context["household_full"]
    verified_client.post(remove_url(erna))
    add_person_via_page(verified_client, first_name="Gisela")
    assert sorted(home.people.values_list("first_name", flat=True)) == ["Gisela", "Heinz"]


def test_another_households_person_is_not_found(verified_client, strangers_person):
    assert verified_client.get(confirm_url(strangers_person)).status_code == 404
    assert verified_client.post(remove_url(strangers_person)).status_code == 404
    assert Person.objects.filter(pk=strangers_person.pk).exists()


def test_an_unknown_person_is_not_found(verified_client, erna):
    assert verified_client.post(reverse("booking:remove_person", args=[99999999])).status_code == (
        404
    )


def test_without_a_verified_number_the_pages_lead_to_verification(erna):
    client = Client()  # not the verified one
    for response in (client.get(confirm_url(erna)), client.post(remove_url(erna))):
        assert response.status_code == 302
        assert response["Location"] == reverse("sms:phone")
    assert Person.objects.filter(pk=erna.pk).exists()


def test_a_person_with_an_appointment_is_not_removed(verified_client, booked_erna):
    erna = booked_erna.person
    booked_seats = sorted(Slot.objects.values_list("booked", flat=True))
    reason = german("%(name)s has an appointment. Please cancel it first.", name="Erna Meyer")

    page = verified_client.get(confirm_url(erna), follow=True)
    assert page.redirect_chain == [(reverse("booking:people"), 302)]
    assert reason in page.content.decode()

    response = verified_client.post(remove_url(erna), follow=True)
    assert reason in response.content.decode()
    booked_erna.refresh_from_db()
    assert booked_erna.status == Series.Status.ACTIVE
    assert sorted(Slot.objects.values_list("booked", flat=True)) == booked_seats


def test_a_person_with_an_open_offer_is_not_removed(verified_client, offered_erna):
    erna = offered_erna.entry.person
    response = verified_client.post(remove_url(erna), follow=True)
    assert (
        german(
            "%(name)s has been offered an appointment. Please accept or decline the offer first.",
            name="Erna Meyer",
        )
        in response.content.decode()
    )
    assert Person.objects.filter(pk=erna.pk).exists()
    offered_erna.refresh_from_db()
    assert offered_erna.status == Offer.Status.OPEN


def test_a_waiting_person_gives_up_the_waiting_place_when_removed(verified_client, waiting_erna):
    left = []

    def count(sender, **kwargs):
        left.append(kwargs)

    entry_left.connect(count)
    try:
        verified_client.post(remove_url(waiting_erna.person))
    finally:
        entry_left.disconnect(count)
    assert not Entry.objects.exists()
    assert left == [
        {"signal": entry_left, "on": factories.days_ahead(0), "center_id": (waiting_erna.center_id)}
    ]


def test_a_cancelled_booking_goes_with_the_person(verified_client, booked_erna, home):
    cancel_series(household=home, booking_code=booked_erna.booking_code)
    seats = sorted(Slot.objects.values_list("booked", flat=True))
    verified_client.post(remove_url(booked_erna.person))
    assert not Person.objects.exists()
    assert not Series.objects.exists()
    assert sorted(Slot.objects.values_list("booked", flat=True)) == seats


def test_a_person_vaccinated_here_is_kept(verified_client, booked_erna, home):
    booked_erna.appointments.filter(dose=1).update(status=Appointment.Status.ATTENDED)
    cancel_series(household=home, booking_code=booked_erna.booking_code)
    response = verified_client.post(remove_url(booked_erna.person), follow=True)
    assert (
        german(
            "%(name)s has been vaccinated here. The details stay as the vaccination center "
            "recorded them.",
            name="Erna Meyer",
        )
        in response.content.decode()
    )
    assert Series.objects.filter(person=booked_erna.person).exists()


def test_the_people_page_offers_removal_only_where_it_is_allowed(
    verified_client, booked_erna, home
):
    heinz = factories.make_person(home, first_name="Heinz")
    content = verified_client.get(reverse("booking:people")).content.decode()
    assert confirm_url(heinz) in content
    assert reverse("booking:correct_person", args=[heinz.pk]) in content
    assert confirm_url(booked_erna.person) not in content
    assert (
        german("%(name)s has an appointment. Please cancel it first.", name="Erna Meyer") in content
    )


def test_removal_works_in_english(verified_client, erna):
    in_english(verified_client)
    page = verified_client.get(confirm_url(erna)).content.decode()
    assert "Remove Erna Meyer?" in page
    response = verified_client.post(remove_url(erna), follow=True)
    assert "Erna Meyer has been removed." in response.content.decode()
