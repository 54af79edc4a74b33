"""Every log line of a request carries its id, and the response sends it back
(X-Request-ID). A trusted proxy's id is kept; anyone else's is replaced."""

import io
import json
import logging
import re

import pytest
from django.urls import reverse

from impfportal.logs import JsonFormatter
from impfportal.request_id import current_request_id

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    """What the configured handler (settings.LOGGING) writes, as parsed records."""
    root = logging.getLogger()
    [handler] = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(old_stream)


def test_each_response_gets_a_new_id(client):
    first = client.get(reverse("centers:start"))["X-Request-ID"]
    second = client.get(reverse("centers:start"))["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second
    assert current_request_id() is None  # nothing is left behind after the request


def test_the_log_lines_of_a_request_carry_its_id(client, log_lines):
    response = client.get("/no-such-page/")  # django.request logs "Not Found"
    logging.getLogger("after").warning("outside any request")
    records = log_lines()
    inside = [r for r in records if r["logger"] != "after"]
    assert inside, records
    assert {r["request_id"] for r in inside} == {response["X-Request-ID"]}
    [outside] = [r for r in records if r["logger"] == "after"]
    assert "request_id" not in outside


def test_a_trusted_proxy_s_id_is_kept(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    given = "4f1c2a9e-0b7d-4c1e-9a55-3f0e2d7c8b61"
    response = client.get(reverse("centers:start"), headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    ["short", 'x" injected="1', "line\nbreak-0123456789", "a" * 200, "../../etc/passwd"],
)
def test_an_insane_id_is_replaced_even_from_the_proxy(client, settings, given):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get(reverse("centers:start"), headers={"X-Request-ID": given})
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_a_client_cannot_choose_its_id(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]  # the request comes from 127.0.0.1, not the proxy
    given = "4f1c2a9e-0b7d-4c1e-9a55-3f0e2d7c8b61"
    response = client.get(reverse("centers:start"), headers={"X-Request-ID": given})
    assert response["X-Request-ID"] != given
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_the_health_endpoints_send_an_id_too(client):
    assert GENERATED.fullmatch(client.get("/healthz")["X-Request-ID"])


def test_lines_logged_inside_the_view_carry_the_id(client, log_lines, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code_check": {"number": "1/d"}}
    client.post(reverse("sms:phone"), {"phone": "0151 23456789"})
    client.post(reverse("sms:code"), {"code": "000001"})
    response = client.post(reverse("sms:code"), {"code": "000002"})
    assert response.status_code == 429
    [limited] = [r for r in log_lines() if r["logger"] == "impfportal.ratelimits"]
    assert limited["request_id"] == response["X-Request-ID"]
