"""An agent's call in the hotline console, in Chromium: log in, find the caller,
check the identity with booking code and date of birth, add a second person
and book both doses for them. Every page at desktop width and at 320 px:
axe-core's WCAG 2.1 A/AA rules, nothing cut off, a screenshot."""

import uuid
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from booking import services
from booking.models import Household, Series
from hotline.group import HOTLINE_GROUP
from tests import factories
from tests.browser.browsing import OVERFLOW_SCRIPT, Mode, axe_report
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MODES = [Mode("hotline-desktop"), Mode("hotline-320px", width=320, height=640)]


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.name)
def test_an_agent_books_for_a_caller(server, open_page, mode):
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=4, second_capacity=4)
    erna = factories.make_person(Household.objects.create(phone="+4915100000101"))
    series = services.book_series(person=erna, slot=first, request_token=uuid.uuid4())
    agent = get_user_model().objects.create_user("hotline", password="impfen-demo-2021")
    agent.groups.add(Group.objects.get(name=HOTLINE_GROUP))

    page = open_page(mode)
    folder = SCREENSHOTS / mode.name
    folder.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []

    def check(step: str) -> None:
        page.screenshot(path=str(folder / f"{step}.png"), full_page=True)
        problems = page.evaluate(OVERFLOW_SCRIPT)
        report = axe_report(page)
        if problems or report:
            failures.append(f"{step}:\n" + "\n".join(problems) + report)

    page.goto(server.url + reverse("hotline:search"))
    check("01-login")
    page.locator("#id_username").fill("hotline")
    page.locator("#id_password").fill("impfen-demo-2021")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    check("02-search")

    # The caller reads the booking code out: the agent types it as heard.
    page.locator("#id_code-booking_code").fill(series.booking_code.lower().replace("-", " "))
    page.locator("#id_code-booking_code").press("Enter")
    page.wait_for_load_state()
    check("03-found")
    page.get_by_role("link", name="Diesen Haushalt öffnen").click()
    page.wait_for_load_state()
    check("04-household-unchecked")

    page.locator("#id_check-booking_code").fill(series.booking_code)
    page.locator("#id_check-birth_day").fill("17")
    page.locator("#id_check-birth_month").fill("5")
    page.locator("#id_check-birth_year").fill("1938")
    page.get_by_role("button", name="Prüfen").click()
    page.wait_for_load_state()
    check("05-household-checked")
    assert page.get_by_text("Identität bestätigt").first.is_visible()

    page.locator("#id_add-first_name").fill("Karl")
    page.locator("#id_add-last_name").fill("Meyer")
    page.locator("#id_add-birth_day").fill("3")
    page.locator("#id_add-birth_month").fill("2")
    page.locator("#id_add-birth_year").fill("1936")
    page.locator("#id_add-postal_code").fill("30159")
    page.get_by_role("button", name="Hinzufügen").click()
    page.wait_for_load_state()
    check("06-person-added")

    page.get_by_role("link", name="Beide Impfungen buchen").click()
    page.wait_for_load_state()
    check("07-free-times")
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_load_state()
    check("08-booked")

    karl = erna.household.people.get(first_name="Karl")
    assert Series.objects.filter(person=karl, status=Series.Status.ACTIVE).count() == 1
    assert karl.date_of_birth == date(1936, 2, 3)
    assert not failures, "\n".join(failures)
