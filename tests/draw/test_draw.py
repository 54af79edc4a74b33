"""The draw through its services: the window, the order, groups, duplicates,
running twice or after a crash, and offers that follow the order."""

from datetime import timedelta

import pytest
from django.db import DatabaseError

from booking.errors import BookingError
from booking.models import Person
from booking.services import add_person
from draw import order, registration, selectors, services
from draw.models import DrawEntry
from tests import factories
from tests.draw.conftest import (
    YOUNGER,
    after_close,
    person,
    ranked,
    register,
    register_many,
)
from tests.waitlist.helpers import link_of, offer_problems, open_offer_of, seat_problems
from waitlist import offers as waitlist_offers
from waitlist.errors import WaitlistError
from waitlist.models import Entry, Offer
from waitlist.selectors import position_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(center, vaccine):
    """One appointment time three days ahead with room for the draw's three series."""
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    return first


def offer_of(entry_id: int) -> Offer:
    offer = open_offer_of(Entry.objects.get(pk=entry_id))
    assert offer is not None, "no open offer"
    return offer


def offered_entries() -> list[int]:
    return list(Offer.objects.order_by("pk").values_list("entry_id", flat=True))


def check(the_draw) -> None:
    """The invariants of seats and offers after each step."""
    assert seat_problems() == []
    assert offer_problems() == []


# --- the window ------------------------------------------------------------------


def test_the_window_opens_and_closes_on_time(time_machine, the_draw, seats):
    before = register(time_machine, the_draw.opens_at - timedelta(seconds=1), person("Vorher"))
    first = register(time_machine, the_draw.opens_at, person("Erste"))
    last = register(time_machine, the_draw.closes_at - timedelta(seconds=1), person("Letzte"))
    late = register(time_machine, the_draw.closes_at, person("Danach"))

    assert [entry.status for entry in (first, last)] == [Entry.Status.DRAW] * 2
    assert set(DrawEntry.objects.values_list("entry_id", flat=True)) == {first.pk, last.pk}
    # Before the window a plain waiting place, served at once from the free seats.
    assert Entry.objects.get(pk=before.pk).status == Entry.Status.OFFERED
    # Inside it nobody is offered anything before the draw, although seats are free;
    # after it a plain place, which does not take the draw's seats before the draw.
    assert Entry.objects.get(pk=late.pk).status == Entry.Status.WAITING
    assert offered_entries() == [before.pk]
    check(the_draw)

    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    # The one who came first before the window, then the two drawn; the late one waits.
    assert offered_entries()[0] == before.pk
    assert sorted(offered_entries()[1:]) == sorted([first.pk, last.pk])
    assert Entry.objects.get(pk=late.pk).status == Entry.Status.WAITING
    check(the_draw)


def test_a_place_the_draw_does_not_cover_is_a_plain_waiting_place(time_machine, the_draw):
    elsewhere = factories.make_center(
        "Impfzentrum Celle", district=factories.make_district("Landkreis Celle")
    )
    entry = register(time_machine, the_draw.opens_at, person("Celle"), center=elsewhere)
    assert entry.status == Entry.Status.WAITING
    assert not DrawEntry.objects.exists()


def test_a_center_of_the_draw_covers_the_district_wide_places_of_its_district(
    time_machine, the_draw, center
):
    the_draw.districts.clear()
    the_draw.centers.add(center)
    district_wide = register(time_machine, the_draw.opens_at, person("Bezirk"))
    at_center = register(time_machine, the_draw.opens_at, person("Zentrum"), center=center)
    assert [district_wide.status, at_center.status] == [Entry.Status.DRAW] * 2


# --- the order ---------------------------------------------------------------------


def test_the_order_is_reproducible_from_the_revealed_key_and_the_published_ids(
    time_machine, the_draw, seats
):
    register_many(time_machine, the_draw, 12)
    assert the_draw.revealed_key() is None  # secret during the window
    after_close(time_machine, the_draw)

    services.run_draw(draw_id=the_draw.pk)

    the_draw.refresh_from_db()
    key = the_draw.revealed_key()
    assert key is not None
    protocol = [(row[0], row[1], row[2]) for row in selectors.protocol_rows(the_draw)]
    assert [place for _id, _group, place in protocol] == list(range(1, 13))
    assert (
        order.recheck(key=key, commitment_hex=the_draw.opening.commitment, protocol=protocol) == []
    )
    # Negative controls: two places swapped, or another key, are found out.
    swapped = [(*protocol[1][:2], 1), (*protocol[0][:2], 2), *protocol[2:]]
    assert order.recheck(key=key, commitment_hex=the_draw.opening.commitment, protocol=swapped)
    other = "00" * 32
    assert order.recheck(key=other, commitment_hex=the_draw.opening.commitment, protocol=protocol)


def test_registration_time_does_not_decide_the_order(time_machine, the_draw, seats):
    register_many(time_machine, the_draw, 30)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    by_registration = list(
        DrawEntry.objects.order_by("registered_at").values_list("entry_id", flat=True)
    )
    assert ranked(the_draw) != by_registration
    assert sorted(ranked(the_draw)) == sorted(by_registration)


def test_older_priority_groups_come_first(time_machine, the_draw, seats):
    younger = register_many(time_machine, the_draw, 5, born=YOUNGER)  # registered first
    older = register_many(time_machine, the_draw, 5)
    assert {entry.priority_rank for entry in younger} == {2}
    after_close(time_machine, the_draw)

    services.run_draw(draw_id=the_draw.pk)

    order_of_ids = ranked(the_draw)
    assert set(order_of_ids[:5]) == {entry.pk for entry in older}
    assert set(order_of_ids[5:]) == {entry.pk for entry in younger}
    # The three seats go to the older group.
    assert set(offered_entries()) <= {entry.pk for entry in older}
    assert len(offered_entries()) == 3


# --- duplicates and volume -------------------------------------------------------


def test_the_same_person_from_another_number_is_refused_naming_the_hotline(
    time_machine, the_draw, settings
):
    settings.HOTLINE_PHONE = "0800 1234567"
    register(time_machine, the_draw.opens_at, person("Erna"))
    again = factories.make_person(first_name=" erna ", last_name="TEST")  # another household

    with pytest.raises(WaitlistError) as refused:
        register(time_machine, the_draw.opens_at + timedelta(hours=1), again)

    assert "0800 1234567" in str(refused.value)
    assert DrawEntry.objects.count() == 1
    assert not Entry.objects.filter(person=again).exists()  # the join rolled back


def test_the_same_name_with_another_birthday_is_someone_else(time_machine, the_draw):
    register(time_machine, the_draw.opens_at, person("Erna"))
    register(time_machine, the_draw.opens_at, person("Erna", born=YOUNGER))
    assert DrawEntry.objects.count() == 2


def test_the_person_key_is_normalised():
    one = person("Jürgen Karl")
    two = factories.make_person(first_name="  JÜRGEN   karl", last_name="test ")
    assert registration.person_key(one) == registration.person_key(two)
    three = factories.make_person(first_name="Jurgen Karla", last_name="Test")
    assert registration.person_key(one) != registration.person_key(three)


def test_a_person_without_a_name_is_told_apart_by_their_number():
    """The voice line's placeholder name says nothing: the number stands in for it."""
    callers = [
        factories.make_person(first_name=Person.PHONE_FIRST_NAME, last_name=Person.PHONE_LAST_NAME)
        for _ in range(2)
    ]
    assert callers[0].date_of_birth == callers[1].date_of_birth
    assert registration.person_key(callers[0]) != registration.person_key(callers[1])
    named = [factories.make_person(first_name="Erna") for _ in range(2)]
    assert registration.person_key(named[0]) == registration.person_key(named[1])


def test_one_number_registers_at_most_two_people(the_draw, settings):
    household = person("Eins").household
    add_person(
        household=household,
        first_name="Zwei",
        last_name="Test",
        date_of_birth=the_draw.opens_at.date().replace(year=1937),
        postal_code="30159",
    )
    with pytest.raises(BookingError):
        add_person(
            household=household,
            first_name="Drei",
            last_name="Test",
            date_of_birth=the_draw.opens_at.date().replace(year=1936),
            postal_code="30159",
        )
    assert settings.HOUSEHOLD_LIMIT == 2


# --- running it ------------------------------------------------------------------


def test_the_draw_does_nothing_before_the_window_closes(time_machine, the_draw, seats):
    register_many(time_machine, the_draw, 3)
    assert services.run_draw(draw_id=the_draw.pk) == services.DrawRun(ranked=0, offered=0)
    assert not DrawEntry.objects.filter(rank__isnull=False).exists()


def test_running_the_draw_twice_changes_nothing(time_machine, the_draw, seats):
    register_many(time_machine, the_draw, 6)
    after_close(time_machine, the_draw)

    first = services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    offers = offered_entries()
    second = services.run_draw(draw_id=the_draw.pk)

    assert first == services.DrawRun(ranked=6, offered=3)
    assert second == services.DrawRun(ranked=0, offered=0)
    assert ranked(the_draw) == places
    assert offered_entries() == offers
    check(the_draw)


def test_a_crash_while_ranking_leaves_no_order_and_the_rerun_gives_the_one_order(
    time_machine, the_draw, seats, monkeypatch
):
    register_many(time_machine, the_draw, 8)
    after_close(time_machine, the_draw)
    real_place = services._place

    def place_then_crash(*args, **kwargs):
        real_place(*args, **kwargs)
        raise DatabaseError("the worker died")

    monkeypatch.setattr(services, "_place", place_then_crash)
    with pytest.raises(DatabaseError):
        services.run_draw(draw_id=the_draw.pk)
    assert not DrawEntry.objects.filter(rank__isnull=False).exists()
    assert not Entry.objects.exclude(status=Entry.Status.DRAW).exists()

    monkeypatch.setattr(services, "_place", real_place)
    services.run_draw(draw_id=the_draw.pk)

    expected = order.draw_order(
        the_draw.opening.key, DrawEntry.objects.values_list("public_id", "priority_rank")
    )
    assert list(DrawEntry.objects.order_by("rank").values_list("public_id", flat=True)) == expected


def test_a_crash_while_offering_resumes_with_the_remaining_seats(
    time_machine, the_draw, seats, monkeypatch, center, vaccine
):
    the_draw.seats = 5
    the_draw.save()
    factories.make_bookable_pair(center, vaccine, hour=14, capacity=2, second_capacity=2)
    register_many(time_machine, the_draw, 8)
    after_close(time_machine, the_draw)
    real_offer = services.exchange.offer_next_seat
    calls = []

    def crash_on_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise DatabaseError("the worker died")
        return real_offer(**kwargs)

    monkeypatch.setattr(services.exchange, "offer_next_seat", crash_on_third)
    with pytest.raises(DatabaseError):
        services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    assert offered_entries() == places[:2]
    check(the_draw)

    monkeypatch.setattr(services.exchange, "offer_next_seat", real_offer)
    resumed = services.run_draw(draw_id=the_draw.pk)

    assert resumed == services.DrawRun(ranked=0, offered=3)
    assert ranked(the_draw) == places
    assert offered_entries() == places[:5]
    the_draw.refresh_from_db()
    assert the_draw.seats_offered == 5
    check(the_draw)


# --- offers in the order, and passing on ---------------------------------------


def test_offers_follow_the_draw_order_and_declines_pass_on_in_order(time_machine, the_draw, seats):
    register_many(time_machine, the_draw, 7)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    assert offered_entries() == places[:3]
    check(the_draw)

    # The first declines: the seat goes to place 4.
    first = offer_of(places[0])
    _path, token = link_of(first)
    waitlist_offers.decline_offer(offer_id=first.pk, token=token)
    assert offered_entries() == [*places[:3], places[3]]
    check(the_draw)

    # The second lets the offer run out: the seat goes to place 5.
    second = offer_of(places[1])
    Offer.objects.filter(pk=second.pk).update(deadline=second.created_at)
    assert waitlist_offers.expire_offer(offer_id=second.pk)
    assert offered_entries()[-1] == places[4]
    check(the_draw)


def test_those_not_reached_stay_ahead_of_later_joiners_of_their_group(
    time_machine, the_draw, seats
):
    register_many(time_machine, the_draw, 5)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    later = register(time_machine, the_draw.closes_at + timedelta(minutes=5), person("Spaeter"))
    assert later.status == Entry.Status.WAITING

    waiting = [Entry.objects.get(pk=pk) for pk in [*places[3:], later.pk]]
    assert [position_of(entry) for entry in waiting] == [4, 5, 6]
    # A freed seat goes to place 4, not to anyone who joined after the draw.
    first = offer_of(places[0])
    _path, token = link_of(first)
    waitlist_offers.decline_offer(offer_id=first.pk, token=token)
    assert offered_entries()[-1] == places[3]
    check(the_draw)


def test_the_figures_count_entrants_per_group_offers_accepted_and_passed_on(
    time_machine, the_draw, seats
):
    register_many(time_machine, the_draw, 4)
    register_many(time_machine, the_draw, 2, born=YOUNGER)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    places = ranked(the_draw)
    first = offer_of(places[0])
    waitlist_offers.accept_offer(offer_id=first.pk, token=link_of(first)[1])
    second = offer_of(places[1])
    waitlist_offers.decline_offer(offer_id=second.pk, token=link_of(second)[1])

    figures = selectors.figures(the_draw)

    assert figures.entrants == [(1, 4), (2, 2)]
    assert (figures.seats, figures.offers, figures.accepted, figures.passed_on) == (3, 4, 1, 1)
    outcomes = {row[0]: row[3] for row in selectors.protocol_rows(the_draw)}
    by_entry = dict(DrawEntry.objects.values_list("entry_id", "public_id"))
    assert [outcomes[by_entry[pk]] for pk in places] == [
        "accepted",
        "passed_on",
        "offered",
        "offered",
        "waiting",
        "waiting",
    ]


# --- the background task -------------------------------------------------------


def test_the_scheduled_task_runs_the_draw_at_the_close_and_only_once(
    time_machine, the_draw, seats, monkeypatch
):
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run_worker() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    register_many(time_machine, the_draw, 5)
    services.schedule(the_draw)
    services.schedule(the_draw)  # saved twice in the admin: two tasks, one draw
    run_worker()  # before the close: nothing is due
    assert not DrawEntry.objects.filter(rank__isnull=False).exists()
    assert DBTaskResult.objects.filter(status="READY").count() == 2

    after_close(time_machine, the_draw)
    run_worker()

    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    places = ranked(the_draw)
    assert len(places) == 5
    assert offered_entries() == places[:3]
    check(the_draw)
