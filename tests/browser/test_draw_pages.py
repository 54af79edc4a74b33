"""The draw's pages in Chromium: the public page with its promise of the same
chance, registering through the waiting list, and the result after the draw;
at 320 px and 1280 px, without sideways scrolling, passing axe-core."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Person
from draw import services
from draw.models import Draw, DrawEntry
from tests import factories
from tests.browser.browsing import OVERFLOW_SCRIPT, Mode, axe_report
from tests.browser.conftest import SCREENSHOTS
from tests.journeys import latest_code
from waitingroom.models import Opening

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name: str) -> None:
    folder = SCREENSHOTS / "draw"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def looks_right(page, name: str) -> None:
    assert page.evaluate(OVERFLOW_SCRIPT) == []
    report = axe_report(page)
    assert not report, f"axe-core on {name}:\n{report}"
    shoot(page, name)


@pytest.fixture
def open_draw(db):
    vaccine = factories.make_vaccine()
    center = factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )
    factories.open_group(vaccines=[vaccine])
    factories.make_bookable_pair(center, vaccine, capacity=1, second_capacity=1)
    now = timezone.now()
    opening = Opening.objects.create(
        name="Auslosung 80 und älter",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=now - timedelta(minutes=1),
        prequeue_starts_at=now - timedelta(minutes=1),
    )
    draw = Draw.objects.create(opening=opening, closes_at=now + timedelta(hours=4), seats=1)
    draw.districts.add(center.district)
    return draw


@pytest.mark.parametrize(
    "mode", [Mode("draw-de-320", width=320, height=640), Mode("draw-de-1280")], ids=str
)
def test_register_for_the_draw_and_see_the_result(server, open_page, open_draw, mode, phone):
    page = open_page(mode)
    page.goto(server.url + reverse("draw:opening", args=[open_draw.opening_id]))
    assert "Es gibt kein Wettrennen" in page.locator("main").inner_text()
    looks_right(page, f"{mode.name}-public")

    page.locator("main a", has_text="Zur Auslosung anmelden").click()
    assert page.url.endswith(reverse("sms:phone"))
    page.locator("#id_phone").fill(phone)
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.locator("#id_code").fill(latest_code(phone))
    page.locator("main form:has(#id_code) button[type=submit]").click()
    assert page.url.endswith(reverse("waitlist:my_places"))  # back where the link led
    page.goto(server.url + reverse("booking:people"))
    page.locator("#id_first_name").fill("Erna")
    page.locator("#id_last_name").fill("Meyer")
    page.locator("#id_birth_day").fill("17")
    page.locator("#id_birth_month").fill("5")
    page.locator("#id_birth_year").fill("1938")
    page.locator("#id_postal_code").fill("30159")
    page.locator("form.person-form button[type=submit]").click()
    person = Person.objects.get()

    page.goto(server.url + reverse("waitlist:join_district", args=[person.pk]))
    looks_right(page, f"{mode.name}-preferences")
    page.locator("main form[method=post] button[type=submit]").last.click()
    assert page.url.endswith(reverse("waitlist:my_places"))
    assert "nimmt an einer Auslosung teil" in page.locator("main").inner_text()
    looks_right(page, f"{mode.name}-my-places")

    page.locator("main a", has_text="Wann das Ergebnis kommt").click()
    assert "Zur Auslosung angemeldet." in page.locator("main").inner_text()
    looks_right(page, f"{mode.name}-registered")

    # The window closes and the draw runs (the task's work); one seat, one entrant.
    Draw.objects.filter(pk=open_draw.pk).update(closes_at=timezone.now())
    services.run_draw(draw_id=open_draw.pk)
    page.reload()
    assert "Gezogen: Angebot gesendet." in page.locator("main").inner_text()
    assert DrawEntry.objects.get().rank == 1
    looks_right(page, f"{mode.name}-result")

    page.goto(server.url + reverse("draw:opening", args=[open_draw.opening_id]))
    assert open_draw.opening.key in page.locator("main").inner_text()
    assert "die Anmeldung ist geschlossen" in page.locator("main").inner_text()
    assert page.locator("main a", has_text="Zur Auslosung anmelden").count() == 0
    looks_right(page, f"{mode.name}-public-after")
