"""The ministry's tables at a laptop's 1280 and 1366 px: each table fits its box, its
last column included, so nobody has to scroll a table sideways to read a figure
(at 320 px they scroll in their own box: test_accessibility.py)."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from tests import factories
from tests.browser.browsing import Mode
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every scrolling table box whose table is wider than the box, and every column
# header that ends beyond its box's right edge.
CUT_OFF_SCRIPT = """
() => {
  const out = [];
  for (const box of document.querySelectorAll(".table-scroll")) {
    const caption = box.querySelector("caption")?.innerText.trim() ?? "?";
    if (box.scrollWidth > box.clientWidth + 1) {
      out.push(`"${caption}": ${box.scrollWidth} px in a ${box.clientWidth} px box`);
    }
    const right = box.getBoundingClientRect().right;
    for (const th of box.querySelectorAll("thead th")) {
      if (th.getBoundingClientRect().right > right + 1) {
        out.push(`"${caption}": column "${th.innerText.trim()}" cut off`);
      }
    }
  }
  return out;
}
"""


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_ministry_tables_fit_a_laptop(server, open_page, width):
    vaccine = factories.make_vaccine()
    center = factories.make_center()
    factories.make_delivery(center, vaccine, doses=5000)
    ministry = get_user_model().objects.create_user("ministerium", password="impfen-demo-2021")
    ministry.groups.add(Group.objects.get_or_create(name=settings.STATS_GROUP)[0])
    page = open_page(Mode(f"ministry-{width}", width=width))
    log_in(page, server.url + reverse("stats:login"), "ministerium")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in [
        ("overview", reverse("stats:overview")),
        ("breakdown", reverse("stats:breakdown")),
    ]:
        assert page.goto(server.url + path).status == 200, path
        page.screenshot(path=SCREENSHOTS / f"ministry-{name}-{width}.png", full_page=True)
        assert page.locator(".table-scroll").count() >= 2, path
        assert page.evaluate(CUT_OFF_SCRIPT) == [], path
