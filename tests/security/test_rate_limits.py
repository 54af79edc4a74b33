"""Rate limits on code checks, booking and cancelling (ASVS 5.0 V2.4, V6.3):
per number, per client address, globally; and the pages keep serving when
the counters in Redis cannot be reached (limits/ratelimits.py)."""

import copy
import logging
import socket

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from booking.models import Person, Series
from limits.ratelimits import exceeded
from sms.models import PhoneVerification
from tests import factories
from tests.journeys import book_via_page, german, latest_code, person_data

pytestmark = pytest.mark.django_db

TRIED_TOO_OFTEN = (
    "This was tried very often in a short time. To protect your data, "
    "please wait a few minutes and then try again."
)
EVERYONE = (
    "Very many people are using the portal right now. Please wait a minute and then try again."
)


@pytest.fixture
def limits(settings):
    """Small limits, so that a test reaches them in a few posts. Counting
    windows are fixed (not sliding), so the tests count per day: a window
    that ended in the middle of a test would make it flaky."""

    def set_limits(action, **rates):
        settings.RATE_LIMITS = {**django_settings.RATE_LIMITS, action: rates}

    return set_limits


def waiting_for_code(phone: str, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    assert client.post(reverse("sms:phone"), {"phone": phone}).status_code == 302
    return client


def wrong_code(phone: str) -> str:
    return "111111" if latest_code(phone) != "111111" else "222222"


def test_code_checks_are_limited_per_number_across_browsers(limits, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    limits("code_check", number="3/d")
    phone = factories.unique_mobile()
    first = waiting_for_code(phone, "198.51.100.1")
    for _ in range(2):
        assert first.post(reverse("sms:code"), {"code": "12"}).status_code == 200
    # A second browser (another address) asking a new code for the same number
    # shares the number's count.
    second = waiting_for_code(phone, "198.51.100.2")
    assert second.post(reverse("sms:code"), {"code": "12"}).status_code == 200
    response = second.post(reverse("sms:code"), {"code": latest_code(phone)})
    assert response.status_code == 429
    assert german(TRIED_TOO_OFTEN) in response.content.decode()
    assert "verified_phone" not in second.session
    # The refused post did not use up the code.
    open_code = PhoneVerification.objects.get(
        phone=phone, used_at__isnull=True, superseded_at__isnull=True
    )
    assert open_code.wrong_tries == 0


def test_code_checks_are_limited_per_address(limits):
    limits("code_check", address="2/d")
    clients = [waiting_for_code(factories.unique_mobile(), "203.0.113.5") for _ in range(3)]
    assert clients[0].post(reverse("sms:code"), {"code": "12"}).status_code == 200
    assert clients[1].post(reverse("sms:code"), {"code": "12"}).status_code == 200
    assert clients[2].post(reverse("sms:code"), {"code": "12"}).status_code == 429
    elsewhere = waiting_for_code(factories.unique_mobile(), "203.0.113.6")
    assert elsewhere.post(reverse("sms:code"), {"code": "12"}).status_code == 200


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(limits, settings):
    limits("code_check", address="1/d")
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    url = reverse("sms:code")

    def post_through(proxy: str, forwarded: str) -> int:
        client = waiting_for_code(factories.unique_mobile(), proxy)
        return client.post(url, {"code": "12"}, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # Two people behind our proxy are counted apart...
    assert post_through("10.0.0.2", "198.51.100.1") == 200
    assert post_through("10.0.0.2", "198.51.100.2") == 200
    # ...while a client that is not our proxy cannot dodge its limit by naming
    # another address.
    assert post_through("203.0.113.9", "198.51.100.3") == 200
    assert post_through("203.0.113.9", "198.51.100.4") == 429


def test_code_checks_have_a_global_ceiling(limits):
    limits("code_check", **{"global": "2/d"})
    clients = [waiting_for_code(factories.unique_mobile(), f"198.51.100.{n}") for n in range(1, 4)]
    assert [c.post(reverse("sms:code"), {"code": "12"}).status_code for c in clients] == [
        200,
        200,
        429,
    ]
    response = clients[0].post(reverse("sms:code"), {"code": "12"})
    assert german(EVERYONE) in response.content.decode()


def test_reading_a_page_is_never_counted(limits, verified_client):
    limits("booking", number="1/d")
    for _ in range(3):
        assert verified_client.get(reverse("booking:people")).status_code == 200


def test_adding_people_is_limited_per_number(limits, verified_client, settings):
    settings.HOUSEHOLD_LIMIT = 10
    limits("booking", number="2/d")
    url = reverse("booking:people")
    verified_client.post(url, person_data(first_name="Anna"))
    verified_client.post(url, person_data(first_name="Berta"))
    response = verified_client.post(url, person_data(first_name="Clara"))
    assert response.status_code == 429
    assert list(Person.objects.values_list("first_name", flat=True).order_by("pk")) == [
        "Anna",
        "Berta",
    ]


def test_booking_posts_are_limited_per_number(limits, resident_b, slots):
    limits("booking", number="1/d")
    url = reverse("booking:people")
    assert resident_b.post(url, {}).status_code == 200  # a mistake, counted
    response = book_via_page(resident_b, resident_b.person, slots[0])
    assert response.status_code == 429
    assert not Series.objects.filter(person=resident_b.person).exists()


def test_booking_posts_are_limited_per_address(limits, resident_a, resident_b, slots):
    limits("booking", address="1/d")
    # Two numbers from one address: the first post counts for the second.
    assert resident_a.post(reverse("booking:people"), {}).status_code == 200
    response = book_via_page(resident_b, resident_b.person, slots[0])
    assert response.status_code == 429
    assert not Series.objects.filter(person=resident_b.person).exists()


def test_cancelling_is_limited_per_number(limits, resident_a):
    limits("cancel", number="1/d")
    url = reverse("booking:cancel", args=[resident_a.series.booking_code])
    assert resident_a.post(url, {"reason": "nonsense"}).status_code == 200  # refused reason
    response = resident_a.post(url, {"reason": "illness"})
    assert response.status_code == 429
    resident_a.series.refresh_from_db()
    assert resident_a.series.status == Series.Status.ACTIVE


# --- Redis unreachable ---------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hung_redis():
    """A port that accepts connections and never answers, like a stuck Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", server


@pytest.fixture
def redis_out(settings):
    def take_out(location: str) -> None:
        caches = copy.deepcopy(settings.CACHES)
        caches["default"]["LOCATION"] = location
        caches["default"]["OPTIONS"].update(SOCKET_CONNECT_TIMEOUT=0.1, SOCKET_TIMEOUT=0.1)
        settings.CACHES = caches  # Django resets its cache connections

    return take_out


def _journey_while_redis_is_out(take_out, location, slots, caplog):
    """Code check, adding a person, booking and cancelling, with Redis gone
    after the code was sent."""
    phone = factories.unique_mobile()
    client = waiting_for_code(phone)
    code = latest_code(phone)
    take_out(location)
    with caplog.at_level(logging.WARNING, logger="impfportal.ratelimits"):
        response = client.post(reverse("sms:code"), {"code": code})
        assert response.status_code == 302
        assert client.get(reverse("booking:people")).status_code == 200
        assert client.post(reverse("booking:people"), person_data()).status_code == 302
        person = Person.objects.get(household__phone=phone)
        response = book_via_page(client, person, slots[0])
        assert response.status_code == 302
        series = Series.objects.get(person=person)
        cancel = reverse("booking:cancel", args=[series.booking_code])
        assert client.post(cancel, {"reason": "illness"}).status_code == 302
    series.refresh_from_db()
    assert series.status == Series.Status.CANCELLED
    outages = [r for r in caplog.records if "store unavailable" in r.getMessage()]
    assert len(outages) == 4  # code check, person, booking, cancel


def test_with_redis_stopped_the_pages_keep_serving(redis_out, slots, caplog):
    _journey_while_redis_is_out(redis_out, f"redis://127.0.0.1:{_closed_port()}/0", slots, caplog)


def test_with_redis_hanging_the_pages_keep_serving_after_a_short_wait(
    redis_out, hung_redis, slots, caplog, settings
):
    location, server = hung_redis
    _journey_while_redis_is_out(redis_out, location, slots, caplog)
    # The pages really asked the stuck Redis (and so waited at most the socket
    # timeout each time) rather than never trying it: counted, not timed.
    assert settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"] == 0.1
    server.setblocking(False)
    tried = 0
    while True:
        try:
            connection, _address = server.accept()
        except BlockingIOError:
            break
        connection.close()
        tried += 1
    assert tried >= 1


def test_sending_codes_can_choose_to_refuse_while_redis_is_out(redis_out):
    redis_out(f"redis://127.0.0.1:{_closed_port()}/0")
    request = RequestFactory().post("/verify/")
    assert exceeded(request, "code_check", number="+4915100000001", fail_open=True).scope is None
    assert exceeded(request, "code_check", number="+4915100000001", fail_open=False)


def test_without_django_redis_ignoring_errors_the_outage_is_still_caught(redis_out, settings):
    redis_out(f"redis://127.0.0.1:{_closed_port()}/0")
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] = False
    settings.CACHES = caches
    request = RequestFactory().post("/verify/")
    assert not exceeded(request, "booking", number="+4915100000001", fail_open=True)
    assert exceeded(request, "booking", number="+4915100000001", fail_open=False)


def test_every_redis_call_is_bounded_in_the_production_settings(settings):
    # The tests above shorten the timeouts to keep fast; these are what production waits.
    options = settings.CACHES["default"]["OPTIONS"]
    assert options["IGNORE_EXCEPTIONS"] is True
    assert 0 < options["SOCKET_CONNECT_TIMEOUT"] <= 1
    assert 0 < options["SOCKET_TIMEOUT"] <= 1
