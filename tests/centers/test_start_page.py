"""The start page shows every center, grouped by district, with its state."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_centers(vaccine):
    hannover = factories.make_district("Region Hannover", postal_codes=[("30159", "Hannover")])
    hildesheim = factories.make_district(
        "Landkreis Hildesheim", postal_codes=[("31134", "Hildesheim"), ("31061", "Alfeld")]
    )
    available = factories.make_center("Impfzentrum Hannover", district=hannover)
    factories.make_delivery(available, vaccine)
    factories.make_bookable_pair(available, vaccine)
    waiting = factories.make_center(
        "Impfzentrum Hildesheim", district=hildesheim, town="Hildesheim", postal_code="31137"
    )
    factories.make_delivery(waiting, vaccine)
    factories.make_slot(
        waiting, vaccine, factories.local_datetime(factories.days_ahead(2), 9), capacity=2, booked=2
    )
    empty = factories.make_center(
        "Impfzentrum Alfeld", district=hildesheim, town="Alfeld", postal_code="31061"
    )
    return available, waiting, empty


def test_every_center_is_listed_with_its_state(client, three_centers):
    response = client.get(reverse("centers:start"))
    content = response.content.decode()
    assert response.status_code == 200
    states = {
        center.name: center.state
        for _district, centers in response.context["districts"]
        for center in centers
    }
    assert states == {
        "Impfzentrum Hannover": "available",
        "Impfzentrum Hildesheim": "waitlist",
        "Impfzentrum Alfeld": "no_vaccine",
    }
    assert "noch keinen Impfstoff bekommen" in content
    assert "alle Termine sind vergeben" in content


def test_centers_are_grouped_by_district(client, three_centers):
    response = client.get(reverse("centers:start"))
    grouping = [
        (district.name, [c.name for c in centers])
        for district, centers in response.context["districts"]
    ]
    assert grouping == [
        ("Landkreis Hildesheim", ["Impfzentrum Alfeld", "Impfzentrum Hildesheim"]),
        ("Region Hannover", ["Impfzentrum Hannover"]),
    ]


def test_the_next_free_day_is_shown(client, three_centers):
    available, *_ = three_centers
    first = available.slots.order_by("starts_at").first()
    response = client.get(reverse("centers:start"))
    center = response.context["districts"][1][1][0]
    assert center.next_free_at == first.starts_at


def test_a_full_slot_in_the_past_or_present_does_not_count_as_free(client, vaccine):
    center = factories.make_center()
    factories.make_delivery(center, vaccine)
    factories.make_slot(center, vaccine, factories.local_datetime(factories.days_ahead(-1), 9))
    response = client.get(reverse("centers:start"))
    assert response.context["districts"][0][1][0].state == "waitlist"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hannover", ["Impfzentrum Hannover"]),
        # A town served by a district lists all centers responsible for it.
        ("Alfeld", ["Impfzentrum Alfeld", "Impfzentrum Hildesheim"]),
        ("hildesheim", ["Impfzentrum Alfeld", "Impfzentrum Hildesheim"]),
        ("31134", ["Impfzentrum Alfeld", "Impfzentrum Hildesheim"]),
        ("3113", ["Impfzentrum Alfeld", "Impfzentrum Hildesheim"]),
        ("30159", ["Impfzentrum Hannover"]),
    ],
)
def test_search_by_town_district_or_postal_code(client, three_centers, query, expected):
    response = client.get(reverse("centers:start"), {"q": query})
    found = [c.name for _d, centers in response.context["districts"] for c in centers]
    assert found == expected


def test_a_postal_code_names_the_responsible_district(client, three_centers):
    response = client.get(reverse("centers:start"), {"q": "31134"})
    assert response.context["responsible_district"].name == "Landkreis Hildesheim"
    assert (
        "Für die Postleitzahl 31134 ist Landkreis Hildesheim zuständig" in response.content.decode()
    )


@pytest.mark.parametrize("query", ["Atlantis", "'; DROP TABLE centers_center; --", "x" * 60])
def test_a_search_without_match_says_so_plainly(client, three_centers, query):
    response = client.get(reverse("centers:start"), {"q": query})
    assert response.status_code == 200
    assert "kein Impfzentrum gefunden" in response.content.decode()


def test_control_characters_are_ignored_in_a_search(client, three_centers):
    response = client.get(reverse("centers:start"), {"q": "Alf\x01eld\x1f"})
    assert response.status_code == 200
    assert response.context["query"] == "Alfeld"


def test_the_start_page_needs_no_more_queries_with_more_centers(
    client, vaccine, django_assert_max_num_queries
):
    for number in range(30):
        center = factories.make_center(f"Impfzentrum {number}")
        factories.make_delivery(center, vaccine)
        factories.make_bookable_pair(center, vaccine)
    with django_assert_max_num_queries(3):
        client.get(reverse("centers:start"))
