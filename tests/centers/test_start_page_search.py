"""The start page search: umlauts either way, German order, honest postal-code hints."""

import pytest
from django.urls import reverse

from centers.selectors import spellings
from tests import factories

pytestmark = pytest.mark.django_db


def found(response) -> list[str]:
    return [c.name for _d, centers in response.context["districts"] for c in centers]


@pytest.fixture
def lower_saxony(vaccine):
    goettingen = factories.make_district(
        "Landkreis Göttingen", postal_codes=[("37073", "Göttingen")]
    )
    bentheim = factories.make_district(
        "Landkreis Grafschaft Bentheim", postal_codes=[("48529", "Nordhorn")]
    )
    hannover = factories.make_district(
        "Region Hannover", postal_codes=[("30159", "Hannover"), ("30175", "Hannover")]
    )
    factories.make_center(
        "Impfzentrum Göttingen", district=goettingen, town="Göttingen", postal_code="37075"
    )
    factories.make_center(
        "Impfzentrum Nordhorn", district=bentheim, town="Nordhorn", postal_code="48529"
    )
    factories.make_center("Impfzentrum Hannover Messe", district=hannover, postal_code="30521")
    factories.make_center("Impfzentrum Hannover Mitte", district=hannover, postal_code="30159")


@pytest.mark.parametrize("query", ["goettingen", "Goettingen", "GÖTTINGEN", "göttingen"])
def test_umlauts_match_either_way(client, lower_saxony, query):
    response = client.get(reverse("centers:start"), {"q": query})
    assert found(response) == ["Impfzentrum Göttingen"]


def test_spellings_swap_each_spot_both_ways():
    assert spellings("goettingen") == {"goettingen", "göttingen"}
    assert spellings("Straße") == {"Straße", "Strasse"}
    assert spellings("Münster") == {"Münster", "Muenster"}
    assert spellings("Hannover") == {"Hannover"}


def test_districts_are_in_german_order(client, lower_saxony):
    response = client.get(reverse("centers:start"))
    assert [district.name for district, _ in response.context["districts"]] == [
        "Landkreis Göttingen",
        "Landkreis Grafschaft Bentheim",
        "Region Hannover",
    ]


def test_the_postal_code_hint_agrees_with_the_count(client, lower_saxony):
    content = client.get(reverse("centers:start"), {"q": "30159"}).content.decode()
    assert "Region Hannover zuständig. Die 2 Impfzentren dort sehen Sie unten." in content
    assert "2 Impfzentren für „30159“ gefunden." in content
    assert "Das Impfzentrum dort" not in content


def test_the_postal_code_hint_agrees_with_the_count_in_english(client, lower_saxony):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("centers:start"), {"q": "30159"}).content.decode()
    assert "Region Hannover is responsible. Its 2 centers are shown below." in content
    assert "2 centers found for “30159”." in content


def test_a_single_center_is_named_in_the_singular(client, lower_saxony):
    content = client.get(reverse("centers:start"), {"q": "37073"}).content.decode()
    assert "Landkreis Göttingen zuständig. Das Impfzentrum dort sehen Sie unten." in content


def test_a_postal_code_outside_the_state_says_so(client, lower_saxony):
    content = client.get(reverse("centers:start"), {"q": "10115"}).content.decode()
    assert "Die Postleitzahl 10115 liegt nicht in Niedersachsen." in content
    assert "Bitte versuchen Sie" not in content


def test_a_postal_code_outside_the_state_says_so_in_english(client, lower_saxony):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("centers:start"), {"q": "10115"}).content.decode()
    assert "The postal code 10115 is not in Lower Saxony." in content
