"""Generated input against every public form (hypothesis): long, empty,
Unicode, control characters, SQL and HTML fragments, huge numbers, several
values for one field, files, JSON bodies. Whatever arrives, the answer is
never a server error; a rejected input changes nothing in the database and
the page says in German what was wrong.

Over 10,000 inputs in all. Each test reuses one browser (one verified session)
for all its examples; rate limits are switched off so that they do not answer
in place of the forms (they have their own tests).
"""

import json
import os
import re
import uuid
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from booking import services
from booking.models import Person, Series
from booking.selectors import BOOKING_HORIZON_DAYS
from sms.errors import VerificationError
from sms.models import PhoneVerification
from sms.services import clean_code
from tests import factories
from tests.journeys import latest_code, time_page, verify
from tests.security.pages import DatabaseWatch, LeanClient, assert_german_error_page

pytestmark = pytest.mark.django_db


# FUZZ_SCALE=10 for a longer hunt; 0.1 for a quick look while developing.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(examples: int):
    return hypothesis_settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FRAGMENTS = [
    "' OR '1'='1",
    "'; DROP TABLE booking_person; --",
    "1; SELECT pg_sleep(5)",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "%(limit)s %s %d",
    "../../etc/passwd",
    "\x00",
    "\r\nSet-Cookie: x=y",
    "\u202e\u200b\ufeff",
    "ᴬᴮᶜ١٢٣٤٥٦",
    "\uff19" * 5,
    "NaN",
    "-1",
    "0",
    "1e309",
    "9" * 40,
    "-" + "9" * 30,
    "null",
    "[]",
    "{}",
]

texts = st.one_of(
    st.text(max_size=40),
    # Long input, built by repetition: drawing thousands of single characters
    # would cost more than the request.
    st.builds(
        lambda part, times: part * times, st.text(min_size=1, max_size=8), st.integers(30, 600)
    ),
    st.sampled_from(FRAGMENTS),
    st.integers().map(str),
    st.floats().map(str),
    st.text(alphabet="0123456789 +-/().", max_size=40),
)


def values(specific=None):
    """One field's value as a browser or an attacker might send it: text,
    several values, or (None) nothing at all."""
    single = texts if specific is None else st.one_of(texts, specific)
    return st.one_of(single, single, st.lists(single, min_size=2, max_size=3), st.none())


def form(fields: dict) -> st.SearchStrategy:
    """A submission: the form's fields plus perhaps unknown ones, sent as a
    form, a file upload or a JSON body."""
    data = st.fixed_dictionaries(fields).map(
        lambda d: {key: value for key, value in d.items() if value is not None}
    )
    extra = st.dictionaries(st.sampled_from(["id", "household", "phone", "csrf", "x"]), texts)
    return st.tuples(data, extra, st.sampled_from(["form", "form", "form", "file", "json"]))


def post(client, url, submission):
    data, extra, kind = submission
    if kind == "json":
        return client.post(url, json.dumps({**data, **extra}), content_type="application/json")
    body = {**extra, **data}
    if kind == "file":
        name = next(iter(data), "x")
        body[name] = SimpleUploadedFile("x.txt", b"\x00\xff" * 100)
    return client.post(url, body)


def sent_value(submission, field: str):
    """What the form sees for ``field``: the last value, unless the field was
    replaced by a file or the body was JSON."""
    data, _extra, kind = submission
    if kind == "json" or (kind == "file" and next(iter(data), "x") == field):
        return None
    value = data.get(field)
    return value[-1] if isinstance(value, list) else value


def assert_rejected_without_change(response, before, after) -> None:
    assert response.status_code < 500
    assert after == before
    assert_german_error_page(response)


@pytest.fixture
def no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def watch(db):
    return DatabaseWatch()


@pytest.fixture
def browser():
    """One client for all examples (building a client's middleware chain costs
    more than a request); ``fresh()`` forgets its cookies between examples."""
    client = LeanClient()

    def fresh() -> LeanClient:
        client.cookies.clear()
        return client

    return fresh


@pytest.fixture
def waiting_for_code(no_rate_limits, monkeypatch):
    monkeypatch.setattr("secrets.choice", lambda digits: "7")
    client = LeanClient()
    client.post(reverse("sms:phone"), {"phone": factories.unique_mobile()})
    assert latest_code(client.session["pending_phone"]) == "777777"
    return client


@pytest.fixture
def resident(no_rate_limits, slots):
    client: Any = LeanClient()  # carries phone and person for the tests
    client.phone = factories.unique_mobile()
    verify(client, client.phone)
    client.person = factories.make_person(services.household_for(client.phone))
    return client


@given(submission=form({"phone": values(st.sampled_from(["0151 12345678", "030 1234567"]))}))
@fuzz(3000)
def test_the_phone_form(no_rate_limits, watch, browser, submission):
    before = watch.last
    response = post(browser(), reverse("sms:phone"), submission)
    after = watch.take()
    if response.status_code == 302:  # a code went out
        assert response["Location"] == reverse("sms:code")
        assert after[0] == before[0] + 1
    else:
        assert_rejected_without_change(response, before, after)


@given(submission=form({"code": values(st.sampled_from(["123456", "123 456", "12-34-56"]))}))
@fuzz(3000)
def test_the_code_form(waiting_for_code, watch, submission):
    typed = sent_value(submission, "code")
    try:
        well_formed = clean_code(typed)
    except VerificationError:
        well_formed = None
    assume(well_formed != "777777")
    before = watch.last
    response = post(waiting_for_code, reverse("sms:code"), submission)
    after = watch.take()
    assert response.status_code < 500
    assert_german_error_page(response)
    if well_formed is None:
        assert after == before
    else:  # a wrong code costs one try, and nothing else changes
        assert after[1] - before[1] in (0, 1)
        assert after[:1] + after[2:] == before[:1] + before[2:]
        PhoneVerification.objects.update(wrong_tries=0)
        watch.take()


PERSON_FIELDS = {
    "first_name": values(st.sampled_from(["Erna", "Åse-Marie", "O'Neill"])),
    "last_name": values(st.sampled_from(["Meyer", "von der Heide"])),
    "birth_day": values(st.integers(0, 32).map(str)),
    "birth_month": values(st.integers(0, 13).map(str)),
    "birth_year": values(st.integers(1890, 2030).map(str)),
    "postal_code": values(st.sampled_from(["30159", "3015", "301599"])),
}


@pytest.fixture
def adding_people(resident):
    resident.person.delete()
    return resident


@given(submission=form(PERSON_FIELDS))
@fuzz(800)
def test_the_person_form(adding_people, watch, submission):
    before = watch.last
    response = post(adding_people, reverse("booking:people"), submission)
    after = watch.take()
    if response.status_code == 302:
        added = Person.objects.get()
        assert added.first_name.isprintable()
        assert added.last_name.isprintable()
        assert not any(ch.isdigit() for ch in added.first_name + added.last_name)
        assert len(added.postal_code) == 5
        added.delete()  # keep room in the household for the next example
        watch.take()
    else:
        assert_rejected_without_change(response, before, after)


@pytest.fixture
def choosing_time(resident, slots, center, vaccine):
    other_center = factories.make_center("Impfzentrum Celle", town="Celle")
    elsewhere = factories.make_bookable_pair(other_center, vaccine)[0]
    past = factories.make_slot(
        center, vaccine, factories.local_datetime(factories.days_ahead(-1), 9)
    )
    resident.url = time_page(resident.person, slots[0])
    resident.slot_ids = [str(slots[0].pk), str(elsewhere.pk), str(past.pk), str(slots[1].pk)]
    return resident


def _slot_choice(slot_ids):
    return form(
        {
            "slot": values(st.sampled_from(slot_ids)),
            "token": values(st.one_of(st.uuids().map(str), st.just(""))),
        }
    )


@given(data=st.data())
@fuzz(500)
def test_the_time_form(choosing_time, watch, data):
    submission = data.draw(_slot_choice(choosing_time.slot_ids))
    before = watch.last
    response = post(choosing_time, choosing_time.url, submission)
    after = watch.take()
    if response.status_code == 302:
        series = Series.objects.get(
            person=choosing_time.person, booking_code=response["Location"].split("/")[-2]
        )
        if not series.is_active:
            # A token drawn again replays a form that booked earlier: it shows that
            # (since cancelled) booking and changes nothing.
            assert after == before
            return
        assert after[-1] == before[-1] + 2  # two seats, first and second dose
        services.cancel_series(
            household=choosing_time.person.household, booking_code=series.booking_code
        )
        watch.take()
    else:
        assert_rejected_without_change(response, before, after)


@pytest.fixture
def cancelling(resident, slots):
    series = services.book_series(person=resident.person, slot=slots[0], request_token=uuid.uuid4())
    resident.url = reverse("booking:cancel", args=[series.booking_code])
    return resident


@given(submission=form({"reason": values(st.sampled_from(Series.CancelReason.values))}))
@fuzz(400)
def test_the_cancel_form(cancelling, slots, watch, submission):
    before = watch.last
    response = post(cancelling, cancelling.url, submission)
    after = watch.take()
    if response.status_code == 302:
        assert response["Location"] == reverse("booking:my_appointments")
        series = Series.objects.get(person=cancelling.person)
        assert series.status == Series.Status.CANCELLED
        assert series.cancel_reason in Series.CancelReason.values
        # Book again, under the same booking code, for the next example.
        Series.objects.filter(pk=series.pk).delete()
        booked = services.book_series(
            person=cancelling.person, slot=slots[0], request_token=uuid.uuid4()
        )
        Series.objects.filter(pk=booked.pk).update(booking_code=series.booking_code)
        watch.take()
    else:
        assert_rejected_without_change(response, before, after)


@given(query=values(st.sampled_from(["Hannover", "30159", "301", "Region"])))
@fuzz(1500)
def test_the_center_search(center, watch, browser, query):
    before = watch.last
    response = browser().get(reverse("centers:start"), {} if query is None else {"q": query})
    assert response.status_code == 200
    assert watch.take() == before
    shown = query[-1] if isinstance(query, list) else query
    if shown and (len(shown.strip()) > 60 or "\x00" in shown):  # the form strips first
        assert_german_error_page(response)


def _host_a_browser_would_go_to(location: str) -> str:
    """The other host (or scheme) a browser would follow ``location`` to, read
    the way browsers read it: tabs and line breaks dropped, control characters
    and spaces trimmed, a backslash taken for a slash, any number of slashes
    before a host. Empty: it stays on this site (or goes nowhere, like "//")."""
    url = "".join(ch for ch in location if ch not in "\t\n\r")
    url = url.strip("".join(map(chr, range(33)))).replace("\\", "/")
    if urlsplit(url).scheme:
        return f"{urlsplit(url).scheme}:"
    if url.startswith("//"):
        return re.split(r"[/?#]", url.lstrip("/"), maxsplit=1)[0]
    return ""


def test_the_redirect_check_knows_the_browsers_tricks():
    for off_site in ["//evil.example/", "///evil.example", "/\\evil.example", "https://x", "\t//x"]:
        assert _host_a_browser_would_go_to(off_site), off_site
    for on_site in ["/", "/book/", "//", "%2F%2Fevil.example", "?next=//x"]:
        assert _host_a_browser_would_go_to(on_site) == "", on_site


@given(
    language=values(st.sampled_from(["de", "en", "fr"])),
    next_url=values(
        st.sampled_from(["/", "/book/", "//evil.example/", "https://evil.example/", "/\\evil"])
    ),
)
@fuzz(800)
def test_the_language_switch(watch, browser, language, next_url):
    data = {key: value for key, value in {"language": language, "next": next_url}.items() if value}
    before = watch.last
    response = browser().post(reverse("set_language"), data)
    # 400: Django refuses to redirect to an address longer than browsers take.
    assert response.status_code in (302, 204, 400)
    if response.status_code == 400:
        assert_german_error_page(response)
    if response.status_code == 302:
        assert _host_a_browser_would_go_to(response["Location"]) == ""
    assert watch.take() == before


@given(
    person_id=st.one_of(st.integers(min_value=0), st.integers(min_value=2**63)),
    day=st.one_of(st.dates().map(str), texts),
    code=texts,
)
@fuzz(200)
def test_changed_addresses(resident, center, watch, person_id, day, code):
    before = watch.last
    urls = [
        f"/book/{person_id}/",
        f"/book/{resident.person.pk}/{center.slug}/{quote(day, safe='')}/",
        f"/booking/{quote(code, safe='')}/",
    ]
    for url in urls:
        response = resident.get(url)
        assert response.status_code in (200, 302, 404), url
        if response.status_code == 404:
            assert_german_error_page(response)
    assert watch.take() == before


def test_days_beyond_the_booking_horizon_lead_back_to_the_days(resident, center):
    days_page = reverse("booking:choose_day", args=[resident.person.pk, center.slug])
    for day in [factories.days_ahead(BOOKING_HORIZON_DAYS + 1), date.max]:
        response = resident.get(time_page_for(resident.person, center, day))
        assert response.status_code == 302
        assert response["Location"] == days_page


def test_a_day_long_past_shows_the_times_still_free(resident, center):
    assert resident.get(time_page_for(resident.person, center, date.min)).status_code == 200


def time_page_for(person, center, day: date) -> str:
    return reverse("booking:choose_time", args=[person.pk, center.slug, day.isoformat()])
