"""The draw through its pages: registering in the window, the public page before and
after, the protocol, the result page, a duplicate refused, and the admin."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from booking.models import Person
from draw import services
from draw.models import Draw, DrawEntry
from tests.draw.conftest import after_close, register_many
from tests.journeys import add_person_via_page, german, verify
from tests.staff.conftest import logged_in
from waitlist.models import Entry

pytestmark = pytest.mark.django_db

SAME_CHANCE = "There is no race: whoever registers within this time has exactly the same chance."


@pytest.fixture
def seats(center, vaccine):
    from tests import factories

    return factories.make_bookable_pair(center, vaccine, capacity=2, second_capacity=2)[0]


def resident(client: Client, phone: str, **person) -> Person:
    verify(client, phone)
    add_person_via_page(client, **person)
    return Person.objects.latest("pk")


def join(client: Client, someone: Person):
    return client.post(
        reverse("waitlist:join_district", args=[someone.pk]), {"time_of_day": "any"}, follow=True
    )


def test_the_public_page_says_everyone_has_the_same_chance_and_when_the_result_comes(
    client, the_draw
):
    page = client.get(reverse("draw:opening", args=[the_draw.opening_id])).content.decode()
    assert german(SAME_CHANCE) in page
    assert "08:00" in page
    assert "12:00" in page
    assert the_draw.opening.commitment in page
    assert the_draw.opening.key not in page
    assert german("published after the draw") in page
    # The waiting room's page of the opening leads here; no protocol before the draw.
    response = client.get(reverse("waitingroom:opening", args=[the_draw.opening_id]))
    assert response["Location"] == reverse("draw:opening", args=[the_draw.opening_id])
    assert client.get(reverse("draw:protocol", args=[the_draw.opening_id])).status_code == 404


def test_registering_in_the_window_through_the_pages(client, the_draw, time_machine, phone):
    time_machine.move_to(the_draw.opens_at + timedelta(hours=3, minutes=59), tick=False)
    erna = resident(client, phone, first_name="Erna")

    response = join(client, erna)

    assert response.status_code == 200
    entry = Entry.objects.get(person=erna)
    assert entry.status == Entry.Status.DRAW
    assert german("This waiting place takes part in a draw.") in response.content.decode()
    mine = client.get(reverse("draw:mine")).content.decode()
    assert german("Registered for the draw.") in mine
    assert "12:00" in mine
    assert DrawEntry.objects.get(entry=entry).public_id in mine


def test_the_same_person_from_another_number_is_refused_on_the_page(
    client, the_draw, time_machine, settings, phone
):
    settings.HOTLINE_PHONE = "0800 7654321"
    time_machine.move_to(the_draw.opens_at + timedelta(minutes=5), tick=False)
    join(client, resident(client, phone, first_name="Erna"))
    other = Client()
    second = resident(other, "0151 2345 6789", first_name="ERNA")

    response = join(other, second)

    page = response.content.decode()
    assert response.status_code == 200
    assert "0800 7654321" in page
    assert (
        german(
            "%(name)s is already registered for this draw, perhaps with another phone number. "
            "Everyone can take part only once. If this is a mistake, please call our hotline "
            "%(hotline)s.",
            name=second,
            hotline="0800 7654321",
        )
        in page
    )
    assert not Entry.objects.filter(person=second).exists()


def test_after_the_draw_the_key_figures_protocol_and_each_result(
    client, the_draw, time_machine, seats, phone
):
    time_machine.move_to(the_draw.opens_at + timedelta(minutes=1), tick=False)
    erna = resident(client, phone, first_name="Erna")
    join(client, erna)
    register_many(time_machine, the_draw, 5)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)
    the_draw.refresh_from_db()

    page = client.get(reverse("draw:opening", args=[the_draw.opening_id])).content.decode()
    assert the_draw.opening.key in page
    assert german("Download the draw protocol (CSV)") in page

    response = client.get(reverse("draw:protocol", args=[the_draw.opening_id]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["entry", "group", "place", "outcome"]
    assert [int(row[2]) for row in rows[1:]] == list(range(1, 7))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        DrawEntry.objects.values_list("public_id", flat=True)
    )
    assert [row[3] for row in rows[1:]].count("offered") == 2
    assert not any("Erna" in cell or "Test" in cell for row in rows for cell in row)

    mine_entry = DrawEntry.objects.get(entry__person=erna)
    verify(client, phone)  # the clock moved on; a fresh code
    mine = client.get(reverse("draw:mine")).content.decode()
    assert mine_entry.rank is not None
    if mine_entry.rank <= 2:
        assert german("Drawn: offer sent.") in mine
    else:
        assert german("Your place after the draw: %(place)s", place=mine_entry.rank) in mine


def test_an_operator_sets_up_a_draw_its_commitment_is_logged_and_it_is_scheduled(
    the_draw, django_user_model, center
):
    operator = django_user_model.objects.create_superuser("operator", password="x")
    opening = the_draw.opening
    the_draw.delete()
    client = logged_in(operator)
    closes = the_draw.closes_at
    response = client.post(
        reverse("admin:draw_draw_add"),
        {
            "opening": opening.pk,
            "closes_at_0": closes.astimezone().strftime("%d.%m.%Y"),
            "closes_at_1": closes.astimezone().strftime("%H:%M:%S"),
            "districts": [center.district_id],
            "seats": 15000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Draw.objects.get(opening=opening)
    assert made.seats == 15000
    log = LogEntry.objects.filter(object_id=str(opening.pk)).order_by("-pk").first()
    assert log is not None
    assert opening.commitment in log.change_message
    task = DBTaskResult.objects.get(task_path="draw.tasks.run_draw")
    assert task.run_after == made.closes_at
    assert task.args_kwargs["kwargs"] == {"draw_id": made.pk}


def test_those_not_drawn_see_their_place_and_their_position_in_line(
    client, the_draw, time_machine, phone
):
    time_machine.move_to(the_draw.opens_at + timedelta(minutes=1), tick=False)
    erna = resident(client, phone, first_name="Erna")
    join(client, erna)
    register_many(time_machine, the_draw, 4)
    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)  # no seats free: nobody is offered one yet

    rank = DrawEntry.objects.get(entry__person=erna).rank
    verify(client, phone)
    mine = client.get(reverse("draw:mine")).content.decode()

    assert german("Your place after the draw: %(place)s", place=rank) in mine
    assert (
        german(
            "Now place %(position)s in line on the waiting list. You keep this place for the "
            "next free appointments, ahead of everyone who joins later.",
            position=rank,
        )
        in mine
    )


def test_the_admin_refuses_a_window_that_closes_before_it_opens(the_draw, django_user_model):
    opening = the_draw.opening
    the_draw.delete()
    client = logged_in(django_user_model.objects.create_superuser("operator", password="x"))
    closes = opening.opens_at - timedelta(hours=1)
    response = client.post(
        reverse("admin:draw_draw_add"),
        {
            "opening": opening.pk,
            "closes_at_0": closes.astimezone().strftime("%d.%m.%Y"),
            "closes_at_1": closes.astimezone().strftime("%H:%M:%S"),
            "seats": 10,
        },
    )
    assert response.status_code == 200
    assert german("Registration must close after the opening's time.") in response.content.decode()
    assert not Draw.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_the_draws_list_in_the_admin_shows_each_commitment_and_whether_the_key_is_public(
    the_draw, django_user_model, time_machine
):
    register_many(time_machine, the_draw, 2)
    operator = django_user_model.objects.create_superuser("operator", password="x")
    prefix = the_draw.opening.commitment[:12]

    def listed() -> str:
        return logged_in(operator).get(reverse("admin:draw_draw_changelist")).content.decode()

    before = listed()
    assert f"<code>{prefix}</code>… ({german('key secret')})" in before
    assert the_draw.opening.commitment not in before
    assert the_draw.opening.key not in before

    after_close(time_machine, the_draw)
    services.run_draw(draw_id=the_draw.pk)

    after = listed()
    assert f"<code>{prefix}</code>… ({german('key published')})" in after
    assert german("key secret") not in after
    # The draw's own page names the priority group of its registrations.
    change = logged_in(operator).get(reverse("admin:draw_draw_change", args=[the_draw.pk]))
    group = german("Registrations: %(group)s", group="80 und älter")
    assert f"<div>{group}: 2</div>" in change.content.decode()
