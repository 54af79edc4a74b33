"""The resident's whole journey in Chromium: start page, search, verify, household,
book both doses, confirmation, cancel — with the mouse, with the keyboard only, on a
320 px wide screen, at 200 % zoom and with JavaScript off."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from booking.models import Person, Series
from centers.models import Slot
from tests import factories
from tests.browser.browsing import Browsing, Mode
from tests.journeys import latest_code, time_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODES = [
    # German with the mouse, axe-core on every page.
    Mode("mouse", axe=True),
    # Switches to English with the keyboard first: axe-core on every page in English.
    Mode("keyboard", keyboard=True, axe=True),
    Mode("mouse-320px", width=320, height=640),
    Mode("keyboard-zoom-200", keyboard=True, zoom=2),
    Mode("no-javascript", javascript=False),
]


@pytest.fixture
def clinic(db):
    vaccine = factories.make_vaccine()
    district = factories.make_district(postal_codes=[("30159", "Hannover")])
    center = factories.make_center(district=district)
    factories.make_delivery(center, vaccine)
    factories.open_group(vaccines=[vaccine])
    first, second = factories.make_bookable_pair(center, vaccine)
    factories.make_center(  # no vaccine yet: shown, not hidden
        "Impfzentrum Goslar",
        district=factories.make_district("Landkreis Goslar"),
        town="Goslar",
        postal_code="38640",
    )
    return SimpleNamespace(center=center, first=first, second=second)


def link(page, name: str, *args):
    """The link in the main content to the page ``name`` (a URL name)."""
    return page.locator(f"main a[href='{reverse(name, args=args)}']")


def url_path(page) -> str:
    """The page's path, without the #main a skip link may have added."""
    return "/" + page.url.split("/", 3)[3].split("#")[0]


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.name)
def test_a_resident_books_both_doses_and_cancels(server, open_page, clinic, mode):
    page = open_page(mode)
    browse = Browsing(page, mode)
    phone = factories.unique_mobile()
    center, first = clinic.center, clinic.first

    page.goto(server.url + reverse("centers:start"))
    if mode.keyboard:
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('skip-link')")
        assert page.locator(".skip-link").bounding_box()["x"] >= 0  # shown when focused
        page.keyboard.press("Shift+Tab")
        browse.activate(page.locator("form.language-switch button"))
        assert page.locator("html").get_attribute("lang") == "en"
    else:
        assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator(".center").count() == 2
    browse.step("start page")

    browse.type_into(page.locator("#id_q"), "30159")
    browse.activate(page.locator("form[role=search] button"))
    assert page.locator(".center").count() == 1
    browse.step("search by postal code")

    browse.activate(link(page, "booking:start"))
    browse.step("what booking involves")
    browse.activate(link(page, "booking:people"))
    assert url_path(page) == reverse("sms:phone")

    submit = page.locator("main form[method=post] button[type=submit]").first
    browse.activate(submit)  # nothing entered
    assert page.locator(".error-summary a[href='#id_phone']").count() == 1
    assert page.locator("#id_phone").get_attribute("aria-invalid") == "true"
    if mode.javascript:  # the summary takes the focus; its link puts the cursor in the field
        page.wait_for_function("document.activeElement.classList.contains('error-summary')")
        if not mode.keyboard:
            page.locator(".error-summary a").click()
            assert page.evaluate("document.activeElement.id") == "id_phone"
    browse.step("phone number missing")
    browse.type_into(page.locator("#id_phone"), phone)
    browse.activate(submit)
    assert url_path(page) == reverse("sms:code")
    browse.step("enter the code")

    browse.type_into(page.locator("#id_code"), latest_code(phone))
    browse.activate(page.locator("main form:has(#id_code) button[type=submit]"))
    assert url_path(page) == reverse("booking:people")
    browse.step("who is to be vaccinated")

    browse.type_into(page.locator("#id_first_name"), "Erna")
    browse.type_into(page.locator("#id_last_name"), "Meyer")
    browse.type_into(page.locator("#id_birth_day"), "17")
    browse.type_into(page.locator("#id_birth_month"), "5")
    browse.type_into(page.locator("#id_birth_year"), "2938")  # in the future
    browse.type_into(page.locator("#id_postal_code"), "30159")
    browse.activate(page.locator("form.person-form button[type=submit]"))
    assert page.locator(".error-summary a[href='#id_birth_day']").count() == 1
    assert not Person.objects.exists()
    browse.step("date of birth in the future")
    browse.type_into(page.locator("#id_birth_year"), "1938")
    browse.activate(page.locator("form.person-form button[type=submit]"))
    person = Person.objects.get()
    assert (person.first_name, person.date_of_birth.year) == ("Erna", 1938)
    browse.step("person added")

    browse.activate(link(page, "booking:choose_center", person.pk))
    browse.step("choose a center")
    browse.activate(link(page, "booking:choose_day", person.pk, center.slug))
    browse.step("choose a day")
    browse.activate(page.locator(f"main a[href='{time_page(person, first)}']"))
    browse.step("choose a time")
    browse.activate(page.locator("main form[method=post] button[type=submit]"))  # no time chosen
    assert page.locator(".error-summary").count() == 1
    assert not Series.objects.exists()
    browse.step("no time chosen")
    browse.choose(page.locator(f"#slot-{first.pk}"))
    browse.activate(page.locator("main form[method=post] button[type=submit]"))

    series = Series.objects.get(person=person)
    assert series.status == Series.Status.ACTIVE
    assert series.appointments.count() == 2
    assert url_path(page) == reverse("booking:confirmation", args=[series.booking_code])
    assert page.locator(".booking-code").inner_text() == series.booking_code
    browse.step("booked")

    browse.activate(link(page, "booking:cancel", series.booking_code))
    browse.step("cancel")
    browse.choose(page.locator("#id_reason_0"))
    browse.activate(page.locator("main form[method=post] button[type=submit]"))
    series.refresh_from_db()
    assert series.status == Series.Status.CANCELLED
    assert series.cancel_reason == Series.CancelReason.VACCINATED_ELSEWHERE
    assert list(Slot.objects.values_list("booked", flat=True)) == [0, 0]
    assert url_path(page) == reverse("booking:my_appointments")
    browse.step("cancelled")

    browse.activate(page.locator(f"header a[href='{reverse('booking:cancel_start')}']"))
    browse.step("how cancelling works")
    if mode.axe:
        assert len(browse.checked) == browse.steps
