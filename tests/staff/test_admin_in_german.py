"""Every admin page, as center staff and as the operator, is German: no English left over.

The check looks for Django's English defaults and for strings that once slipped
through (a field without verbose_name, a ``__str__`` not in the catalogue, a date
in ISO form). The last test shows that the check does catch such a leftover.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.services import cancel_series
from privacy.models import PurgeRecord
from sms.models import Message
from tests import factories
from tests.staff.helpers import book, earlier_today
from tests.waitlist.helpers import book as book_waitlist_seat
from tests.waitlist.helpers import make_entry, open_offer_of

pytestmark = pytest.mark.django_db

# Django's English defaults and leftovers seen in the German admin (case matters:
# "Center" is English, "Impfzentrum" is not).
ENGLISH = [
    "Select an option",
    "Run",
    "Go",
    "Filter by",
    "By ",
    "Created at",
    "created at",
    " dose ",
    "Vaccine",
    "vaccine",
    "Center",
    "center",
    "District",
    "district",
    "Save and",
    "Save",
    "Add ",
    "Change ",
    "Delete",
    "History",
    "Home",
    "Search",
    "Action",
    "selected",
    "Today",
    "Yesterday",
    "Any date",
    "Past 7 days",
    "This month",
    "This year",
    "All",
    "Yes",
    "No ",
    "Unknown",
    "None",
    "Log out",
    "View site",
    "Welcome",
    "Show counts",
    "Clear all filters",
    "results",
    "total",
    "Date:",
    "Time:",
    "Now",
    "Choose",
    "Remove",
    "Close",
    "Back",
    "Continue",
    "Cancel",
    "Confirm",
    "Release",
    "appointments",
    "Appointment",
]
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# What Django itself keeps in English, whatever the catalogue says: permission
# names are stored in the database in English ("Impfzentren | Kreis | Can view
# district"), an automatic many-to-many table has no verbose name of its own
# ("Center_staff object (2)" on a user's delete page), and django-otp's search
# hint and its device's "created at" are plain strings. Only the operator's
# user, group and device pages show them.
NOT_OURS = re.compile(
    r"^[^|]+ \| [^|]+ \| |Center_staff object|Center-user-Beziehung|^Search by user's "
)
NOT_OURS_ON_OTP_PAGES = re.compile(r"^(Nach )?[Cc]reated at:?$")
# German words in the wrong form: the plural of "Terminpaar" is "Terminpaare".
WRONG_GERMAN = re.compile(r"\d Terminpaar\b(?!e)")


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes and labelling attributes."""

    SKIP = {"script", "style", "template"}
    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        values = dict(attrs)
        self.parts.extend(v for k, v in values.items() if k in self.ATTRIBUTES and v)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def english_in(html: str, *, ignore: re.Pattern | None = None) -> list[str]:
    """The pieces of text that hold an English leftover or an ISO date."""
    found = []
    for part in visible_text(html):
        if NOT_OURS.search(part) or (ignore and ignore.search(part)):
            continue
        if WRONG_GERMAN.search(part):
            found.append(f"wrong German in {part!r}")
        padded = f" {part} "
        for word in ENGLISH:
            # Whole words only: "Run" must not match "Rundung", nor "All" "Alle".
            pattern = r"(?<![\w-])" + re.escape(word.strip()) + r"(?![\w])"
            if word != word.strip():
                pattern = re.escape(word)
            if re.search(pattern, padded):
                found.append(f"{word!r} in {part!r}")
        if ISO_DATE.search(part):
            found.append(f"ISO date in {part!r}")
    return found


@pytest.fixture
def world(center_a, staff_a, vaccine, open_for_80):
    """A row of every model the admin shows, so that no list or change page is empty."""
    delivery = factories.make_delivery(center_a, vaccine, doses=120)
    book(center_a, vaccine, at=earlier_today(), names=["Anna Albers"])
    first, _second = factories.make_bookable_pair(center_a, vaccine, capacity=1, second_capacity=5)
    held = book_waitlist_seat(factories.make_person(first_name="Gerd"), first)
    entry = make_entry(factories.make_person(first_name="Ilse"), center=center_a)
    cancel_series(household=held.person.household, booking_code=held.booking_code)
    assert open_offer_of(entry) is not None
    client = Client()
    client.force_login(staff_a)
    client.post(
        reverse("admin:centers_delivery_change", args=[delivery.pk]),
        {"doses": "121", "delivered_on": delivery.delivered_on.isoformat()},
    )
    Message.objects.create(
        recipient="+4915112345678", body="x", priority=Message.Priority.CODE, idempotency_key="k"
    )
    PurgeRecord.objects.create(ran_at=timezone.now(), counts={"booking.Person": 1})


def admin_pages(client: Client) -> list[str]:
    """Every page of the admin the client's user may open, with one object each."""
    urls = [
        reverse("admin:index"),
        reverse("admin:password_change"),
        reverse("admin:centers_slot_release"),
        reverse("admin:booking_appointment_cancel_day"),
        reverse("admin:booking_appointment_close_day"),
    ]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model._meta.model_name == "appointment":
            urls.append(reverse(f"{name}_changelist") + "?day=all")
        urls.append(reverse(f"{name}_add"))
        obj = model_admin.model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{name}_change", args=[obj.pk]))
            urls.append(reverse(f"{name}_history", args=[obj.pk]))
            urls.append(reverse(f"{name}_delete", args=[obj.pk]))
    return urls


def walk(user) -> dict[str, list[str]]:
    client = Client(headers={"accept-language": "de"})
    client.force_login(user)
    opened, leftovers = 0, {}
    for url in admin_pages(client):
        response = client.get(url, follow=True)
        if response.status_code in (403, 404):  # not this user's page
            continue
        assert response.status_code == 200, url
        opened += 1
        ignore = NOT_OURS_ON_OTP_PAGES if url.startswith("/admin/otp_totp/") else None
        found = english_in(response.content.decode(), ignore=ignore)
        if found:
            leftovers[url] = found
    assert opened > 20
    return leftovers


def test_the_admin_is_german_for_center_staff(world, staff_a):
    assert walk(staff_a) == {}


def test_the_admin_is_german_for_the_operator(world, operator):
    assert walk(operator) == {}


def test_the_check_finds_an_english_leftover():
    page = (
        '<p>Gebucht</p><select><option value="">- Select an option -</option></select>'
        "<button>Run</button><td>KTDX-YVTQ dose 1</td><td>1938-01-01</td>"
        "<p>5 Terminpaar</p><script>var Center = 1;</script>"
    )
    found = english_in(page)
    assert len(found) == 5, found
    assert english_in("<p>Alle Runden: Impfzentrum, Impfstoff</p>") == []
