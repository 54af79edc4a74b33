"""A scheduled opening opens eligibility on its second, not before: the room and
the booking pages open together, whatever the processes have cached."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from booking.eligibility import eligibility_for
from booking.households import open_groups_sentence
from booking.models import VaccineOpening
from tests import factories
from waitingroom import openings
from waitingroom.models import Opening

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
EIGHT = datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)


@pytest.fixture
def group_80():
    return factories.open_group("80 und älter", min_age=80, rank=1)


@pytest.fixture
def biontech():
    return factories.make_vaccine("BioNTech", 21)


def _add_opening_in_admin(admin_client, *, group, vaccine, mode=Opening.Mode.QUEUE):
    return admin_client.post(
        reverse("admin:waitingroom_opening_add"),
        {
            "name": "80 und älter, BioNTech",
            "group": group.pk,
            "vaccine": vaccine.pk,
            "mode": mode,
            "opens_at_0": "2026-12-07",
            "opens_at_1": "08:00:00",
            "prequeue_starts_at_0": "",
            "prequeue_starts_at_1": "",
        },
        follow=True,
    )


def test_an_opening_saved_in_the_admin_lets_its_group_book_from_its_second(
    admin_client, time_machine, group_80, biontech
):
    time_machine.move_to(EIGHT - timedelta(days=1), tick=False)
    answer = _add_opening_in_admin(admin_client, group=group_80, vaccine=biontech)
    assert answer.status_code == 200
    assert Opening.objects.count() == 1
    scheduled = VaccineOpening.objects.get(group=group_80, vaccine=biontech)
    assert scheduled.scope == VaccineOpening.Scope.BOOKING
    assert scheduled.opened_at == EIGHT
    assert "07.12.2026 08:00" in answer.content.decode()  # the operator is told when

    erna = factories.make_person(born=date(1940, 1, 1))
    time_machine.move_to(EIGHT - timedelta(seconds=1), tick=False)
    assert eligibility_for(erna).bookable == []
    time_machine.move_to(EIGHT, tick=False)
    assert eligibility_for(erna).bookable == [biontech]


def test_residents_are_told_when_the_scheduled_opening_comes(time_machine, group_80, biontech):
    time_machine.move_to(EIGHT - timedelta(hours=12), tick=False)
    openings.schedule_eligibility(
        Opening.objects.create(name="80+", group=group_80, vaccine=biontech, opens_at=EIGHT)
    )
    assert open_groups_sentence() == (
        "Zurzeit kann noch keine Altersgruppe einen Termin buchen. Ab Montag, 7. Dezember "
        "2026, 08:00 Uhr können Personen ab 80 Jahren einen Termin buchen."
    )
    with translation.override("en"):
        assert "From Monday, 7 December 2026" in open_groups_sentence()
    time_machine.move_to(EIGHT + timedelta(minutes=1), tick=False)
    assert open_groups_sentence() == "Zurzeit können Personen ab 80 Jahren einen Termin buchen."


def test_a_younger_groups_scheduled_opening_is_announced_beside_the_open_one(
    time_machine, group_80, biontech
):
    time_machine.move_to(EIGHT - timedelta(hours=12), tick=False)
    VaccineOpening.objects.create(group=group_80, vaccine=biontech, scope="booking")
    group_70 = factories.open_group("70 und älter", min_age=70, rank=2)
    openings.schedule_eligibility(
        Opening.objects.create(name="70+", group=group_70, vaccine=biontech, opens_at=EIGHT)
    )
    assert open_groups_sentence() == (
        "Zurzeit können Personen ab 80 Jahren einen Termin buchen. Ab Montag, 7. Dezember "
        "2026, 08:00 Uhr können auch Personen ab 70 Jahren einen Termin buchen."
    )


def test_a_draw_lets_its_group_register_on_the_waiting_list_not_book(
    admin_client, time_machine, group_80, biontech
):
    time_machine.move_to(EIGHT - timedelta(days=1), tick=False)
    _add_opening_in_admin(admin_client, group=group_80, vaccine=biontech, mode=Opening.Mode.DRAW)
    scheduled = VaccineOpening.objects.get(group=group_80, vaccine=biontech)
    assert scheduled.scope == VaccineOpening.Scope.WAITLIST
    time_machine.move_to(EIGHT, tick=False)
    eligibility = eligibility_for(factories.make_person(born=date(1940, 1, 1)))
    assert eligibility.bookable == []
    assert eligibility.waitlist_only == [biontech]


def test_an_opening_never_postpones_what_is_open_already(time_machine, group_80, biontech):
    time_machine.move_to(EIGHT - timedelta(days=1), tick=False)
    in_force = VaccineOpening.objects.create(
        group=group_80, vaccine=biontech, scope=VaccineOpening.Scope.BOOKING
    )
    opening = Opening.objects.create(name="80+", group=group_80, vaccine=biontech, opens_at=EIGHT)
    assert openings.schedule_eligibility(opening) == in_force
    in_force.refresh_from_db()
    assert in_force.opened_at == EIGHT - timedelta(days=1)
    # Deleting the opening does not close it either.
    assert openings.unschedule_eligibility(opening) == 0
    assert VaccineOpening.objects.filter(pk=in_force.pk).exists()


def test_a_moved_opening_moves_its_scheduled_eligibility_and_a_deleted_one_takes_it_back(
    admin_client, time_machine, group_80, biontech
):
    time_machine.move_to(EIGHT - timedelta(days=1), tick=False)
    _add_opening_in_admin(admin_client, group=group_80, vaccine=biontech)
    opening = Opening.objects.get()
    opening.opens_at = EIGHT + timedelta(hours=2)
    opening.save()
    openings.schedule_eligibility(opening)
    assert VaccineOpening.objects.get().opened_at == EIGHT + timedelta(hours=2)

    answer = admin_client.post(
        reverse("admin:waitingroom_opening_delete", args=[opening.pk]), {"post": "yes"}
    )
    assert answer.status_code == 302
    assert not Opening.objects.exists()
    assert not VaccineOpening.objects.exists()


def test_an_opening_without_group_or_vaccine_changes_no_eligibility(biontech):
    opening = Opening.objects.create(name="Alle", vaccine=biontech, opens_at=EIGHT)
    assert openings.schedule_eligibility(opening) is None
    assert not VaccineOpening.objects.exists()
