"""The queue page in Chromium: German and English, 320 px and 1280 px, axe-core,
the automatic refresh that can be stopped, and the way on when it is one's turn."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.browsing import OVERFLOW_SCRIPT, Mode, axe_report
from tests.browser.conftest import SCREENSHOTS
from waitingroom import room
from waitingroom.models import Opening

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACEHOLDER = "someone-in-the-flow"


@pytest.fixture
def full_room(settings):
    """Capacity 1, taken by someone else: the next arrival queues."""
    settings.WAITINGROOM_CAPACITY = 1
    room.reset_breaker()
    room._redis().zadd(room._key("active"), {PLACEHOLDER: time.time()})
    yield
    room._redis().zrem(room._key("active"), PLACEHOLDER)


def shoot(page, name: str) -> None:
    folder = SCREENSHOTS / "waiting-room"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)


@pytest.mark.parametrize(
    "mode",
    [
        Mode("queue-de-320", width=320, height=640),
        Mode("queue-en-1280", locale="en-GB"),
        Mode("queue-de-1280"),
    ],
    ids=lambda mode: mode.name,
)
def test_the_queue_page_reads_well_passes_axe_and_lets_the_resident_on(
    server, open_page, full_room, mode
):
    page = open_page(mode)
    response = page.goto(server.url + reverse("sms:phone"))
    assert page.url.endswith(reverse("waitingroom:queue"))
    assert response.headers["refresh"] == "5"  # first in line: sooner
    heading = "You are in the queue" if mode.locale.startswith("en") else "Sie sind in der"
    assert heading in page.locator("h1").inner_text()
    assert page.locator(".queue-figures dd").first.inner_text() == "1"
    assert page.evaluate(OVERFLOW_SCRIPT) == []
    report = axe_report(page)
    assert not report, f"axe-core on the queue page:\n{report}"
    shoot(page, mode.name)

    page.locator("main a[href$='?refresh=off']").click()
    expect(page.locator("main [role=status]")).to_have_count(1)
    assert page.evaluate(OVERFLOW_SCRIPT) == []
    assert not axe_report(page)
    shoot(page, f"{mode.name}-refresh-off")

    room._redis().zrem(room._key("active"), PLACEHOLDER)  # the one in the flow is done
    page.locator("main form button[type=submit]").click()  # "Update now"
    assert page.url.endswith(reverse("sms:phone"))
    assert page.locator("#id_phone").count() == 1


def test_the_pre_queue_page_before_an_opening(server, open_page, settings):
    Opening.objects.create(name="80 und älter", opens_at=timezone.now() + timedelta(minutes=30))
    page = open_page(Mode("prequeue-de-320", width=320, height=640))
    page.goto(server.url + reverse("sms:phone"))
    assert page.url.endswith(reverse("waitingroom:queue"))
    assert "Die Buchung beginnt um" in page.locator("h1").inner_text()
    assert page.evaluate(OVERFLOW_SCRIPT) == []
    assert not axe_report(page)
    shoot(page, "prequeue-de-320")
    page.locator("main a[href*='/openings/']").click()
    # The next page's document, not the one being left (evaluate during the navigation fails).
    page.wait_for_url("**/openings/*/")
    assert page.evaluate(OVERFLOW_SCRIPT) == []
    assert not axe_report(page)
    shoot(page, "opening-de-320")
