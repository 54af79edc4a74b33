"""The waiting-list pages use KERN's controls and links, like every other resident page:
no bare native checkboxes or radios, no unstyled (default-blue) links, none of the
class names of the first look."""

import pytest
from django.urls import reverse

from booking.models import Person
from booking.services import cancel_series
from tests import factories
from tests.journeys import add_person_via_page
from tests.kern import kern_problems, main_tags
from tests.waitlist.helpers import link_of, make_entry, open_offer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_client, open_for_80, center):
    factories.open_group(vaccines=[factories.make_vaccine("Moderna", 28)])  # two to choose from
    add_person_via_page(verified_client)
    return Person.objects.get(household__phone=verified_client.phone)


def test_the_check_finds_bare_controls_and_plain_links():
    page = (
        '<main><fieldset><input type="checkbox" name="weekdays">'
        '<a href="/">Back</a><div class="notice"></div></fieldset></main>'
        '<a href="/outside">the menu is not checked here</a>'
    )
    assert len(kern_problems(page)) == 4


def test_the_preferences_page_has_kern_checkboxes_radios_and_links(verified_client, person, center):
    response = verified_client.get(reverse("waitlist:join_center", args=[person.pk, center.slug]))
    html = response.content.decode()
    assert kern_problems(html) == []
    inputs = [attrs for tag, attrs in main_tags(html) if tag == "input"]
    kinds = [attrs["type"] for attrs in inputs if attrs["type"] != "hidden"]
    # Two vaccines, seven days, three times of day.
    assert kinds == ["checkbox"] * 9 + ["radio"] * 3
    checked = [attrs["name"] for attrs in inputs if "checked" in attrs]
    assert checked == ["vaccines", "vaccines", "time_of_day"]  # the defaults


def test_a_bad_choice_marks_its_group_in_kern_style(verified_client, person, center):
    response = verified_client.post(
        reverse("waitlist:join_center", args=[person.pk, center.slug]),
        {"time_of_day": "any", "weekdays": ["9"]},
    )
    html = response.content.decode()
    assert kern_problems(html) == []
    fieldsets = {attrs["id"]: attrs for tag, attrs in main_tags(html) if tag == "fieldset"}
    assert "kern-fieldset--error" in fieldsets["id_weekdays"]["class"]
    assert "id_weekdays_error" in fieldsets["id_weekdays"]["aria-describedby"]
    assert "kern-fieldset--error" not in fieldsets["id_time_of_day"]["class"]
    assert 'id="id_weekdays_error"' in html
    # What was ticked stays ticked.
    assert [
        a["value"] for t, a in main_tags(html) if a.get("name") == "time_of_day" and "checked" in a
    ] == ["any"]


def test_the_other_waiting_list_pages_use_kern(verified_client, person, center):
    entry = make_entry(person, center=center)
    for url in (
        reverse("waitlist:my_places"),
        reverse("waitlist:leave", args=[entry.pk]),
        reverse("booking:my_appointments"),
    ):
        assert kern_problems(verified_client.get(url).content.decode()) == [], url
    entry.delete()
    page = verified_client.get(reverse("waitlist:choose_scope", args=[person.pk]))
    assert kern_problems(page.content.decode()) == []


def test_the_offer_page_and_a_closed_offer_use_kern(client, booked, waiting):
    cancel_series(household=booked.person.household, booking_code=booked.booking_code)
    offer = open_offer_of(waiting)
    assert offer is not None
    path, token = link_of(offer)
    assert kern_problems(client.get(path).content.decode()) == []
    client.post(reverse("waitlist:decline", args=[offer.pk, token]))
    closed = client.get(path)
    assert closed.templates[0].name == "waitlist/offer_closed.html"
    assert kern_problems(closed.content.decode()) == []
