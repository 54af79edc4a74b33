"""axe-core (WCAG 2.1 A and AA rules) on the public pages in the states the journey
does not pass through, in German and in English, and on the admin's login page.

The journey tests (test_resident_journey.py) run axe-core on every page they visit.
The staff pages in the admin and the ministry's statistics are checked by
``test_staff_and_ministry_pages_pass_axe``, logged in as each.
"""

import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from booking import services
from draw.models import Draw
from impfportal.staff_group import STAFF_GROUP
from tests import factories
from tests.browser.browsing import OVERFLOW_SCRIPT, Mode, axe_report
from tests.browser.conftest import SCREENSHOTS
from tests.journeys import latest_code
from waitingroom.models import Opening

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [Mode("axe-de", locale="de-DE"), Mode("axe-en", locale="en-GB")]


def legal_pages() -> list[tuple[str, str]]:
    """The imprint, the privacy notice, the accessibility statement and the Easy
    Language page, each with its sign."""
    return [
        (reverse("imprint"), "main address"),
        (reverse("privacy:notice"), "main address + p a[href^='mailto:']"),
        (reverse("accessibility"), "main a[href^='mailto:']"),
        (reverse("easy_language"), "main ol.kern-list--number"),
    ]


def make_draw(center, vaccine) -> None:
    """A draw for the center's district, so that the ministry's draws page has a row."""
    opens = timezone.now() + timedelta(days=1)
    opening = Opening.objects.create(
        name="Auslosung 80+",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=opens,
        prequeue_starts_at=opens,
    )
    made = Draw.objects.create(opening=opening, closes_at=opens + timedelta(hours=4), seats=10)
    made.districts.add(center.district)


@pytest.fixture
def household():
    """A number with a cancelled booking and a person who may not book yet,
    next to centers in all three states."""
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    hannover = factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )
    factories.make_delivery(hannover, vaccine)
    first, _ = factories.make_bookable_pair(hannover, vaccine)
    full = factories.make_center(
        "Impfzentrum Celle", district=factories.make_district("Landkreis Celle"), town="Celle"
    )
    factories.make_delivery(full, vaccine)
    taken = factories.local_datetime(factories.days_ahead(2), 9)
    factories.make_slot(full, vaccine, taken, booked=2)
    factories.make_center(
        "Impfzentrum Goslar", district=factories.make_district("Landkreis Goslar"), town="Goslar"
    )
    phone = factories.unique_mobile()
    home = services.household_for(phone)
    erna = factories.make_person(home)
    factories.make_person(home, first_name="Karl", born=date(1981, 2, 3))  # not eligible yet
    series = services.book_series(person=erna, slot=first, request_token=uuid.uuid4())
    services.cancel_series(household=home, booking_code=series.booking_code)
    no_free_day = factories.days_ahead(5).isoformat()
    free_day = reverse("booking:choose_time", args=[erna.pk, hannover.slug, first.starts_at.date()])
    return {
        "phone": phone,
        "erna": erna,
        "hannover": hannover,
        # Each page with something that shows it is in the state meant.
        "pages": [
            (reverse("centers:start"), ".center-available + .center-no_vaccine, .center-waitlist"),
            (reverse("centers:start") + "?q=Atlantis", "main [role=status]"),
            (reverse("booking:people"), ".kern-alert--info"),
            (reverse("booking:correct_person", args=[erna.pk]), "main form #id_birth_year"),
            (reverse("booking:confirm_removal", args=[erna.pk]), "main form .button-warning"),
            (
                reverse("booking:choose_time", args=[erna.pk, hannover.slug, no_free_day]),
                f"main a[href='{free_day}']",
            ),
            (reverse("booking:confirmation", args=[series.booking_code]), "main table"),
            (reverse("booking:my_appointments"), "main .kern-card"),
            (reverse("booking:cancel", args=[series.booking_code]), "main table"),
            (reverse("waitlist:my_places"), "main h1"),
            (reverse("waitlist:choose_scope", args=[erna.pk]), "main .kern-card"),
            (
                reverse("waitlist:join_center", args=[erna.pk, hannover.slug]),
                "main .kern-form-check__checkbox",
            ),
            (reverse("stats:center_availability", args=[hannover.slug]), "main .kern-badge"),
            *legal_pages(),
        ],
    }


def test_the_waiting_list_and_availability_pages_fit_a_320px_screen(server, open_page, household):
    """The preferences page (also with an error), the choice of list, my waiting
    places and the public availability: no sideways scrolling at 320 px, KERN's
    checkboxes big enough to see, axe-core passes."""
    page = open_page(Mode("waitlist-320px", width=320, height=640))
    verify_in_browser(page, server, household["phone"])
    erna, hannover = household["erna"], household["hannover"]
    join = reverse("waitlist:join_center", args=[erna.pk, hannover.slug])
    failures = []

    def check(what: str) -> None:
        problems = page.evaluate(OVERFLOW_SCRIPT)
        report = axe_report(page)
        if problems or report:
            failures.append(f"{what}:\n" + "\n".join(problems) + report)

    for path in [
        reverse("waitlist:choose_scope", args=[erna.pk]),
        join,
        reverse("waitlist:my_places"),
        reverse("stats:center_availability", args=[hannover.slug]),
    ]:
        assert page.goto(server.url + path).status == 200, path
        check(path)
    page.goto(server.url + join)
    box = page.locator("input[name=weekdays]").first.bounding_box()
    assert box is not None
    assert box["width"] >= 24, box  # not the tiny native checkbox (13 px)
    page.evaluate("document.querySelector('input[name=time_of_day]').value = 'sometimes'")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".kern-fieldset--error")).to_have_count(1)
    check(join + " with an error")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", [320, 360])
def test_the_legal_pages_fit_a_small_screen_and_pass_axe(server, open_page, width):
    """Long German words and e-mail addresses wrap instead of scrolling sideways."""
    page = open_page(Mode(f"legal-{width}px", width=width, height=640))
    failures = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, sign in legal_pages():
        assert page.goto(server.url + path).status == 200, path
        assert page.locator(sign).count() >= 1, f"{path} lacks {sign}"
        shot = SCREENSHOTS / f"legal-{width}px-{path.strip('/').replace('/', '-')}.png"
        page.screenshot(path=shot, full_page=True)
        problems = page.evaluate(OVERFLOW_SCRIPT)
        report = axe_report(page)
        if problems or report:
            failures.append(f"{path}:\n" + "\n".join(problems) + report)
    assert not failures, "\n".join(failures)


def verify_in_browser(page, server, phone):
    page.goto(server.url + reverse("sms:phone"))
    page.locator("#id_phone").fill(phone)
    page.locator("main form button[type=submit]").click()
    page.locator("#id_code").fill("000000")  # wrong first: the code page with an error
    page.locator("main form:has(#id_code) button[type=submit]").click()
    # The answer page, not the page the click left: expect() waits, count() does not.
    expect(page.locator(".error-summary")).to_have_count(1)
    report = axe_report(page)
    assert not report, f"axe-core on the code page with an error:\n{report}"
    page.locator("#id_code").fill(latest_code(phone))
    page.locator("main form:has(#id_code) button[type=submit]").click()


@pytest.mark.parametrize("mode", LANGUAGES, ids=lambda mode: mode.name)
def test_public_pages_in_every_state_pass_axe(server, open_page, household, mode):
    page = open_page(mode)
    verify_in_browser(page, server, household["phone"])
    failures = []
    for path, sign in household["pages"]:
        response = page.goto(server.url + path)
        assert response.status == 200, path
        assert page.locator(sign).count() >= 1, f"{path} lacks {sign}"
        assert page.locator("html").get_attribute("lang") == mode.locale[:2]
        report = axe_report(page)
        if report:
            failures.append(f"{path}:\n{report}")
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("mode", LANGUAGES, ids=lambda mode: mode.name)
def test_the_admin_login_page_passes_axe(server, open_page, mode):
    page = open_page(mode)
    page.goto(server.url + reverse("admin:login"))
    assert page.locator("html").get_attribute("lang") == mode.locale[:2]
    report = axe_report(page)
    assert not report, f"axe-core on the admin login page:\n{report}"
    # A wrong password shows the error state of the same page.
    get_user_model().objects.create_user("staff-hannover", password="impfen-demo-2021")
    page.locator("#id_username").fill("staff-hannover")
    page.locator("#id_password").fill("wrong")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator(".errornote")).to_have_count(1)
    report = axe_report(page)
    assert not report, f"axe-core on the admin login page with an error:\n{report}"


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("impfen-demo-2021")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("mode", LANGUAGES, ids=lambda mode: mode.name)
def test_staff_and_ministry_pages_pass_axe(server, open_page, mode):
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center()
    factories.make_delivery(center, vaccine, doses=5000)
    first, _ = factories.make_bookable_pair(center, vaccine)
    services.book_series(person=factories.make_person(), slot=first, request_token=uuid.uuid4())
    users = get_user_model().objects
    staff = users.create_user("staff-hannover", password="impfen-demo-2021", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    center.staff.add(staff)
    ministry = users.create_user("ministerium", password="impfen-demo-2021")
    ministry.groups.add(Group.objects.get_or_create(name=settings.STATS_GROUP)[0])
    day = first.starts_at.date().isoformat()
    staff_pages = [
        reverse("admin:index"),
        reverse("admin:booking_appointment_changelist") + f"?day={day}",
        reverse("admin:centers_slot_release"),
        reverse("admin:centers_delivery_changelist"),
        reverse("admin:booking_appointment_cancel_day"),
        reverse("admin:centers_center_change", args=[center.pk]),  # with its waiting list
    ]
    make_draw(center, vaccine)
    ministry_pages = [
        reverse("stats:overview"),
        reverse("stats:overview") + f"?scope=center:{center.slug}",
        reverse("stats:breakdown"),
        reverse("stats:draws"),
    ]

    failures = []
    for login, username, pages in [
        (reverse("admin:login"), "staff-hannover", staff_pages),
        (reverse("stats:login"), "ministerium", ministry_pages),
    ]:
        page = open_page(mode)
        log_in(page, server.url + login, username)
        for path in pages:
            response = page.goto(server.url + path)
            assert response.status == 200, path
            report = axe_report(page)
            if report:
                failures.append(f"{path}:\n{report}")
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)


def test_the_ministry_pages_fit_a_320px_screen_and_pass_axe(server, open_page):
    """The login, the figures and the breakdown: no sideways scrolling, nothing cut off
    (wide tables and the chart scroll in their own box), and axe-core passes."""
    vaccine = factories.make_vaccine()
    center = factories.make_center()
    factories.make_delivery(center, vaccine, doses=5000)
    make_draw(center, vaccine)
    ministry = get_user_model().objects.create_user("ministerium", password="impfen-demo-2021")
    ministry.groups.add(Group.objects.get_or_create(name=settings.STATS_GROUP)[0])
    page = open_page(Mode("ministry-320px", width=320, height=640))
    failures = []

    def check(path: str) -> None:
        problems = page.evaluate(OVERFLOW_SCRIPT)
        report = axe_report(page)
        if problems or report:
            failures.append(f"{path}:\n" + "\n".join(problems) + report)

    page.goto(server.url + reverse("stats:login"))
    check(reverse("stats:login"))
    log_in(page, server.url + reverse("stats:login"), "ministerium")
    for path in [
        reverse("stats:overview"),
        reverse("stats:overview") + f"?scope=center:{center.slug}",
        reverse("stats:breakdown"),
        reverse("stats:draws"),
    ]:
        assert page.goto(server.url + path).status == 200, path
        check(path)
    assert not failures, "\n".join(failures)
