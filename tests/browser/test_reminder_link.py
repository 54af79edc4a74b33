"""The reminder's "I cannot come" page and the standby offer page in Chromium, on a
phone (320 px) and a laptop: axe-core passes, nothing scrolls sideways, GET shows and
the button cancels (or claims)."""

import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking.models import Series
from booking.services import book_series
from centers.models import Slot
from reminders.services import enqueue_due_reminders
from sms.models import Message
from standby import services as standby
from standby.models import Round
from tests import factories
from tests.browser.browsing import Browsing, Mode
from tests.staff.helpers import book, earlier_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODES = [
    Mode("reminder-link-320", width=320, height=640, axe=True),
    Mode("reminder-link-1280", width=1280, height=800, axe=True),
]


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.name)
def test_the_cannot_come_page_confirms_before_it_cancels(server, open_page, mode):
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center()
    factories.make_delivery(center, vaccine)
    day = timezone.localdate() + timedelta(days=2)
    first = factories.make_slot(
        center, vaccine, timezone.make_aware(datetime.combine(day, time(10)))
    )
    slot = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=first.pk)
    series = book_series(person=factories.make_person(), slot=slot, request_token=uuid.uuid4())
    Series.objects.filter(pk=series.pk).update(created_at=timezone.now() - timedelta(days=7))
    enqueue_due_reminders()
    body = Message.objects.get(idempotency_key__startswith="reminder:48h:").body
    path = re.search(r"/cannot-come/[^/\s]+/", body)
    assert path, body

    page = open_page(mode)
    browsing = Browsing(page, mode)
    page.goto(server.url + path.group(0))
    browsing.step("cannot come")
    assert series.booking_code in page.content()
    assert Series.objects.get(pk=series.pk).status == Series.Status.ACTIVE
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, meine Termine absagen").click()
    browsing.step("cancelled")
    assert Series.objects.get(pk=series.pk).status == Series.Status.CANCELLED
    page.goto(server.url + path.group(0))
    assert "bereits verwendet" in page.content()
    browsing.step("used link")


def test_the_standby_offer_page_claims_a_dose(server, open_page):
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center()
    factories.make_delivery(center, vaccine)
    [left] = book(center, vaccine, at=earlier_today(), names=["Lena Leer"])
    entry = standby.join(
        person=factories.make_person(first_name="Stefan", born=date(1940, 1, 1)),
        center=center,
        day=timezone.localdate(),
    )
    from booking.services import cancel_series

    cancel_series(household=left.person.household, booking_code=left.booking_code)
    [round_] = Round.objects.all()
    offer = round_.offers.get(entry=entry)
    body = Message.objects.get(pk=offer.message_id or 0).body
    path = re.search(r"/standby/offer/\d+/[^/\s]+/", body)
    assert path, body

    mode = Mode("standby-offer-320", width=320, height=640, axe=True)
    page = open_page(mode)
    browsing = Browsing(page, mode)
    page.goto(server.url + path.group(0))
    browsing.step("offer")
    with page.expect_navigation():
        page.get_by_role("button", name="Ich komme").click()
    browsing.step("claimed")
    assert Series.objects.filter(person=entry.person, status=Series.Status.ACTIVE).count() == 1


def test_the_standby_join_page_fits_a_phone(server, open_page):
    from django.urls import reverse

    from booking.services import household_for
    from standby.models import Entry
    from tests.browser.test_accessibility import verify_in_browser

    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    factories.make_center()
    phone = factories.unique_mobile()
    factories.make_person(household_for(phone), first_name="Grete", born=date(1938, 1, 1))
    mode = Mode("standby-join-320", width=320, height=640, axe=True)
    page = open_page(mode)
    verify_in_browser(page, server, phone)
    browsing = Browsing(page, mode)
    page.goto(server.url + reverse("standby:join"))
    browsing.step("join")
    with page.expect_navigation():
        page.get_by_role("button", name="Auf die Restdosen-Liste setzen").click()
    assert page.locator(".error-summary").count() == 1  # nobody chosen, nothing confirmed
    browsing.step("join with errors")
    page.get_by_label("Grete Meyer").check()
    page.get_by_label("Ich kann nach einer SMS").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Auf die Restdosen-Liste setzen").click()
    browsing.step("on the list")
    assert Entry.objects.filter(person__first_name="Grete").count() == 1
