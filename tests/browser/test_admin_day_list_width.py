"""The admin's day list (/admin/booking/appointment/) at a laptop's 1280 and 1366 px:
the whole table fits its box, status, booking code and the buttons included."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from impfportal.staff_group import STAFF_GROUP
from tests import factories
from tests.browser.browsing import Mode
from tests.browser.conftest import SCREENSHOTS
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


FIT_SCRIPT = """
() => {
  const table = document.querySelector("#result_list");
  const box = table.closest(".results") || table.parentElement;
  const limit = document.documentElement.clientWidth;
  const out = [];
  if (box.scrollWidth > box.clientWidth + 1) {
    out.push(`table ${box.scrollWidth} px in a ${box.clientWidth} px box`);
  }
  for (const el of table.querySelectorAll("th, td, button")) {
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (r.width > 0 && (r.right > b.right + 1 || r.right > limit)) {
      const text = el.innerText.trim().slice(0, 30);
      out.push(`${el.tagName} "${text}" ends at ${Math.round(r.right)}`);
    }
  }
  return out;
}
"""


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_day_list_fits_a_laptop(midday, server, open_page, width):
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center()
    factories.make_delivery(center, vaccine, doses=5000)
    book(
        center,
        vaccine,
        at=earlier_today(),
        names=["Erna Meyer-Lüdenscheidt", "Karl-Heinz Abendroth-Oberhausen"],
    )
    book(center, vaccine, at=timezone.now() + timedelta(minutes=30), names=["Grete Zander"])
    staff = get_user_model().objects.create_user(
        "staff-hannover", password="impfen-demo-2021", is_staff=True
    )
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    center.staff.add(staff)
    page = open_page(Mode(f"admin-day-list-{width}", width=width))
    log_in(page, server.url + reverse("admin:login"), "staff-hannover")
    page.goto(server.url + reverse("admin:booking_appointment_changelist"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"admin-day-list-{width}.png", full_page=True)
    assert page.locator("#result_list tbody tr").count() == 3
    assert page.evaluate(FIT_SCRIPT) == []
