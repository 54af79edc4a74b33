"""The ministry's draws page: a row per draw with its figures, its CSV, the
protocol it links to (pseudonymous), both languages, and a constant number of
queries however many draws there are."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from booking.models import Person
from draw import services
from draw.models import Draw
from tests import factories
from tests.booking.conftest import in_english
from tests.draw.conftest import (  # noqa: F401 -- the_draw, groups, window_start: fixtures
    YOUNGER,
    after_close,
    groups,
    person,
    ranked,
    register,
    register_many,
    the_draw,
    window_start,
)
from tests.journeys import german
from tests.stats.test_csv_export import parse
from tests.waitlist.helpers import link_of, open_offer_of
from waitingroom.models import Opening
from waitlist import offers as waitlist_offers
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ministry(client, ministry_user):
    """Log the ministry in now: a staff session ends after 15 idle minutes, and the
    tests move the clock. The first request notes the session's use (one write)."""

    def login():
        client.logout()  # a fresh session: the last one's times lie before the jump
        client.force_login(ministry_user)
        client.get(reverse("stats:overview"))
        return client

    return login


def offer_to(entry_id: int) -> Offer:
    offer = open_offer_of(Entry.objects.get(pk=entry_id))
    assert offer is not None, "no open offer"
    return offer


@pytest.fixture
def drawn(time_machine, the_draw, center, vaccine):  # noqa: F811
    """Four of the oldest group and two of the next registered; three seats. Place 1
    accepts, place 2 declines (the seat goes to place 4), place 3 lets the offer run
    out (the seat goes to place 5): 5 offers, 1 accepted, 2 passed on."""
    factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    register_many(time_machine, the_draw, 4)
    register_many(time_machine, the_draw, 2, born=YOUNGER)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    first = offer_to(places[0])
    waitlist_offers.accept_offer(offer_id=first.pk, token=link_of(first)[1])
    second = offer_to(places[1])
    waitlist_offers.decline_offer(offer_id=second.pk, token=link_of(second)[1])
    third = offer_to(places[2])
    Offer.objects.filter(pk=third.pk).update(deadline=third.created_at)
    assert waitlist_offers.expire_offer(offer_id=third.pk)
    assert Offer.objects.count() == 5
    the_draw.refresh_from_db()
    return the_draw


def another_draw(time_machine, vaccine, *, number: int, opens, entrants: int, run: bool) -> Draw:
    """A draw for a district of its own; ``entrants`` register in its window."""
    opening = Opening.objects.create(
        name=f"Auslosung {number}",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=opens,
        prequeue_starts_at=opens,
    )
    made = Draw.objects.create(opening=opening, closes_at=opens + timedelta(hours=2), seats=5)
    district = factories.make_district(f"Kreis {number}")
    made.districts.add(district)
    center = factories.make_center(f"Impfzentrum {number}", district=district)
    now = timezone.now()
    for i in range(entrants):
        register(
            time_machine, opens + timedelta(minutes=i), person(f"D{number}-{i}"), center=center
        )
    if run:
        after_close(time_machine, made)
        services.run_draw(draw_id=made.pk)
    time_machine.move_to(now, tick=False)
    return made


def row_of(response, draw: Draw):
    return next(row for row in response.context["overview"].rows if row.draw.pk == draw.pk)


# --- the page --------------------------------------------------------------------


def test_the_ministry_sees_each_draws_figures(ministry, drawn):
    client = ministry()
    response = client.get(reverse("stats:draws"))

    assert response.status_code == 200
    overview = response.context["overview"]
    assert [(group.rank, group.name) for group in overview.groups] == [
        (1, "80 und älter"),
        (2, "70 bis 79"),
    ]
    row = row_of(response, drawn)
    assert row.phase == Draw.Phase.DRAWN
    assert row.entrants == (4, 2)
    numbers = row.figures
    assert (numbers.total, numbers.seats, numbers.offers) == (6, 3, 5)
    assert (numbers.accepted, numbers.passed_on) == (1, 2)

    page = response.content.decode()
    assert drawn.opening.commitment[:12] in page
    # A prefix in the table; the whole one is on the public page.
    assert drawn.opening.commitment not in page
    assert f"<td>{german('published')}</td>" in page
    assert f'href="{reverse("draw:opening", args=[drawn.opening_id])}"' in page
    assert f'href="{reverse("draw:protocol", args=[drawn.opening_id])}"' in page
    assert f'href="{reverse("stats:draws_csv")}"' in page
    assert german("Registrations: %(group)s", group="80 und älter") in page
    assert f"<td>{german('drawn')}</td>" in page


def test_a_draw_is_upcoming_open_or_closed_before_it_is_drawn(
    ministry,
    the_draw,  # noqa: F811
    time_machine,
):
    expected = [
        (the_draw.opens_at - timedelta(minutes=1), Draw.Phase.UPCOMING),
        (the_draw.opens_at, Draw.Phase.OPEN),
        (the_draw.closes_at - timedelta(seconds=1), Draw.Phase.OPEN),
        (the_draw.closes_at, Draw.Phase.CLOSED),
    ]
    for moment, phase in expected:
        time_machine.move_to(moment, tick=False)
        response = ministry().get(reverse("stats:draws"))
        assert row_of(response, the_draw).phase == phase, moment
        page = response.content.decode()
        with translation.override("de"):
            assert f"<td>{phase.label}</td>" in page
        # Before the draw: the key is secret, and there is no protocol to link to.
        assert f"<td>{german('secret until the draw')}</td>" in page
        assert reverse("draw:protocol", args=[the_draw.opening_id]) not in page
        assert the_draw.opening.key not in page


def test_the_page_in_english(ministry, drawn):
    client = ministry()
    in_english(client)
    page = client.get(reverse("stats:draws")).content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Draws</h1>" in page
    assert "Registrations: 80 und älter" in page
    assert "Offers passed on" in page
    assert "<td>published</td>" in page


def test_the_page_in_german_names_it_in_the_menu(ministry, drawn):
    client = ministry()
    page = client.get(reverse("stats:draws")).content.decode()
    assert '<html lang="de">' in page
    assert f"<h1>{german('Draws')}</h1>" in page
    assert german("Draws") != "Draws"
    assert f'href="{reverse("stats:draws")}" aria-current="page">{german("Draws")}</a>' in page
    assert german("Offers passed on") in page


def test_without_draws_the_page_says_so(ministry):
    response = ministry().get(reverse("stats:draws"))
    assert response.status_code == 200
    assert german("No draw has been set up yet.") in response.content.decode()


# --- the downloads ---------------------------------------------------------------


def test_the_figures_download_has_a_row_per_draw_and_a_column_per_group(ministry, drawn):
    client = ministry()
    response = client.get(reverse("stats:draws_csv"))

    assert response["Content-Disposition"] == (
        'attachment; filename="impfstatistik_auslosungen.csv"'
    )
    header, *rows = parse(response)
    assert header == [
        german("Opening"),
        german("Vaccine"),
        german("Registration opens"),
        german("Registration closes"),
        german("State"),
        german("Fingerprint of the key (SHA-256)"),
        german("Key"),
        german("Registrations: %(group)s", group="80 und älter"),
        german("Registrations: %(group)s", group="70 bis 79"),
        german("Registrations"),
        german("Appointments in the draw"),
        german("Offers sent"),
        german("Offers accepted"),
        german("Offers passed on"),
        german("Public page"),
        german("Protocol (CSV)"),
    ]
    [row] = rows
    opening = drawn.opening
    window = [
        f"{timezone.localtime(drawn.opens_at):%Y-%m-%d %H:%M}",
        f"{timezone.localtime(drawn.closes_at):%Y-%m-%d %H:%M}",
    ]
    assert row[:7] == [
        "Auslosung 80+",
        str(opening.vaccine),
        *window,
        german("drawn"),
        opening.commitment,
        opening.key,
    ]
    assert row[7:14] == ["4", "2", "6", "3", "5", "1", "2"]
    assert row[14] == f"http://testserver{reverse('draw:opening', args=[opening.pk])}"
    assert row[15] == f"http://testserver{reverse('draw:protocol', args=[opening.pk])}"


def test_the_download_keeps_the_key_of_an_undrawn_draw_secret(
    ministry,
    the_draw,  # noqa: F811
):
    response = ministry().get(reverse("stats:draws_csv"))
    header, row = parse(response)
    assert row[header.index(german("Key"))] == ""
    assert row[header.index(german("Protocol (CSV)"))] == ""
    assert the_draw.opening.key not in response.content.decode()


def test_the_download_in_english(ministry, drawn):
    client = ministry()
    in_english(client)
    header, row = parse(client.get(reverse("stats:draws_csv")))
    assert header[:2] == ["Opening", "Vaccine"]
    assert "Registrations: 70 bis 79" in header
    assert row[4] == "drawn"


def test_neither_download_names_a_person_or_a_phone_number(ministry, drawn):
    client = ministry()
    figures_csv = client.get(reverse("stats:draws_csv")).content.decode()
    protocol_response = client.get(reverse("draw:protocol", args=[drawn.opening_id]))
    protocol_csv = b"".join(protocol_response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(protocol_csv)))
    assert rows[0] == ["entry", "group", "place", "outcome"]
    assert [row[3] for row in rows[1:]] == [
        "accepted",
        "passed_on",
        "passed_on",
        "offered",
        "offered",
        "waiting",
    ]

    people = Person.objects.select_related("household")
    assert people.count() == 6
    for someone in people:
        phone = someone.household.phone
        for text in (figures_csv, protocol_csv):
            assert someone.first_name not in text
            assert phone not in text
            assert phone.removeprefix("+49") not in text
            assert someone.date_of_birth.isoformat() not in text
    assert "Test" not in figures_csv + protocol_csv  # every last name


# --- queries ---------------------------------------------------------------------


def queries_for(client, name: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["stats:draws", "stats:draws_csv"])
def test_the_queries_do_not_grow_with_the_number_of_draws(
    ministry, drawn, time_machine, vaccine, name
):
    one = queries_for(ministry(), name)
    start = drawn.closes_at + timedelta(days=1)
    for number in range(3):
        another_draw(
            time_machine,
            vaccine,
            number=number,
            opens=start + timedelta(days=number),
            entrants=number + 1,
            run=number == 0,
        )
    assert len(ministry().get(reverse("stats:draws")).context["overview"].rows) == 4

    assert queries_for(ministry(), name) == one
