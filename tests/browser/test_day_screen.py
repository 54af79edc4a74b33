"""The day screen at the door in Chromium, at 1280 px (a laptop) and 768 px (a
tablet): every column and button visible, no sideways scrolling, axe-core
passes, and a person is checked in with the keyboard alone."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment
from impfportal.staff_group import STAFF_GROUP
from tests import factories
from tests.browser.browsing import Browsing, Mode
from tests.browser.test_accessibility import log_in
from tests.staff.helpers import book, earlier_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def midday():
    """A Wednesday at noon (the clock runs on): the day has a morning that has passed
    and an afternoon to come, whenever the suite runs."""
    import time_machine

    moment = timezone.make_aware(datetime(2027, 3, 10, 12, 0))
    with time_machine.travel(moment, tick=True):
        yield


MODES = [
    Mode("day-screen-1280", keyboard=True, width=1280, height=900, axe=True),
    Mode("day-screen-768", keyboard=True, width=768, height=1024, axe=True),
]

VISIBLE_SCRIPT = """
(selector) => [...document.querySelectorAll(selector)].map((el) => {
  const box = el.getBoundingClientRect();
  return {text: el.innerText.trim(), left: box.left, right: box.right, width: box.width,
          height: box.height, limit: document.documentElement.clientWidth};
})
"""


def the_day(center, vaccine):
    factories.open_group(vaccines=[vaccine])
    factories.make_delivery(center, vaccine, doses=5000)
    earlier = book(
        center,
        vaccine,
        at=earlier_today(),
        names=["Erna Meyer-Lüdenscheidt", "Karl Abel"],
    )
    later = book(
        center,
        vaccine,
        at=timezone.now() + timedelta(minutes=30),
        names=["Grete Zander"],
    )
    return earlier + later


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.name)
def test_the_day_screen_fits_and_checks_in_by_keyboard(midday, server, open_page, mode):
    vaccine = factories.make_vaccine()
    center = factories.make_center()
    series = the_day(center, vaccine)
    staff = get_user_model().objects.create_user(
        "staff-hannover", password="impfen-demo-2021", is_staff=True
    )
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    center.staff.add(staff)

    page = open_page(mode)
    log_in(page, server.url + reverse("admin:login"), "staff-hannover")
    browsing = Browsing(page, mode)
    response = page.goto(server.url + reverse("door:day"))
    assert response is not None
    assert response.status == 200, page.url
    browsing.step("day screen")  # no sideways scrolling, nothing cut off, axe

    headers = page.evaluate(VISIBLE_SCRIPT, ".door-table td[data-label], .door-table th")
    assert headers, "no cells"
    for cell in headers:
        assert cell["width"] > 0, cell
        assert cell["left"] >= 0, cell
        assert cell["right"] <= cell["limit"] + 1, cell
    buttons = page.evaluate(VISIBLE_SCRIPT, ".door button, .door a")
    # Two people whose time has come (checked in / no-show each), one to come (checked in).
    assert sum(1 for b in buttons if b["text"] == "Eingecheckt") == 3
    assert sum(1 for b in buttons if b["text"] == "Nicht erschienen") == 2
    for button in buttons:
        assert button["right"] <= button["limit"] + 1, button
        # Large targets at the door (WCAG 2.5.5's 44 px).
        if button["text"] in ("Eingecheckt", "Nicht erschienen"):
            assert button["height"] >= 44, button
            assert button["width"] >= 44, button

    target = page.get_by_role("button", name="Abel, Karl: eingecheckt").or_(
        page.get_by_role("button", name="Karl Abel: eingecheckt")
    )
    browsing.tab_to(target)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    abel = next(s for s in series if s.person.last_name == "Abel")
    assert abel.appointments.get(dose=1).status == Appointment.Status.ATTENDED
    assert page.get_by_role("button", name="Karl Abel: rückgängig machen").count() == 1
    browsing.step("checked in")

    # The search finds a booking code typed in small letters with a space.
    code = series[0].booking_code.replace("-", " ").lower()
    page.locator("#id_q").fill(code)
    with page.expect_navigation():
        page.locator("#id_q").press("Enter")
    assert page.locator(".door-table tbody tr").count() == 1
    browsing.step("search")
