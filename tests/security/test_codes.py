"""Verification codes (ASVS 5.0 V6.6, NIST SP 800-63B 5.1.3): random, hashed,
short-lived, single use, few tries, and silent about which numbers are known.

Single use, the five tries, expiry and "a new code voids the old one" are
tested through the pages in tests/sms/test_verification.py.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sms.models import Message, PhoneVerification
from sms.services import _hash_code
from tests import factories
from tests.journeys import latest_code, sent_messages

pytestmark = pytest.mark.django_db


def test_the_code_comes_from_the_secrets_module(client, monkeypatch):
    # If the code came from `random` (predictable from earlier outputs), this
    # stand-in for secrets.choice would not be used.
    monkeypatch.setattr("secrets.choice", lambda digits: "7")
    client.post(reverse("sms:phone"), {"phone": "0151 12345678"})
    assert latest_code("+4915112345678") == "777777"


def test_a_code_lives_ten_minutes_at_most_even_in_the_queue(client):
    client.post(reverse("sms:phone"), {"phone": "0151 12345678"})
    verification = PhoneVerification.objects.get()
    assert verification.expires_at - verification.created_at <= timedelta(minutes=10)
    assert Message.objects.get().send_before == verification.expires_at


def test_the_stored_hash_needs_the_secret_key(client, settings):
    client.post(reverse("sms:phone"), {"phone": "0151 12345678"})
    code = latest_code("+4915112345678")
    stored = PhoneVerification.objects.get().code_hash
    # Without the key, trying all million codes against a stolen table finds nothing.
    plain = hashlib.sha256(f"+4915112345678:{code}".encode()).hexdigest()
    assert stored != plain
    assert stored == _hash_code("+4915112345678", code)
    settings.SECRET_KEY = "another-secret-key-of-the-same-length-0123456789-abcdefghijkl"
    assert stored != _hash_code("+4915112345678", code)


def test_the_text_of_a_sent_code_is_not_kept_in_the_outbox(client):
    client.post(reverse("sms:phone"), {"phone": "0151 12345678"})
    code = latest_code("+4915112345678")  # runs the dispatcher
    message = Message.objects.get()
    assert message.status == Message.Status.SENT
    assert code not in message.body
    assert not PhoneVerification.objects.filter(code_hash__contains=code).exists()


def _shape(queries) -> list[str]:
    """The statements without their values: what a timing difference would come from."""
    shapes = []
    for query in queries:
        sql = re.sub(r"'[^']*'", "?", query["sql"])
        sql = re.sub(r'"s\d+_x\d+"', "?", sql)  # savepoint names
        shapes.append(re.sub(r"\b\d+(\.\d+)?\b", "?", sql))
    return shapes


def _request_code(phone: str):
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("sms:phone"), {"phone": phone})
    return client, response, _shape(queries.captured_queries)


def test_a_known_and_an_unknown_number_get_the_same_answer_and_the_same_work(
    open_for_80, center, vaccine
):
    known = factories.make_person().household.phone
    unknown = factories.unique_mobile()

    known_client, known_response, known_queries = _request_code(known)
    unknown_client, unknown_response, unknown_queries = _request_code(unknown)

    assert known_response.status_code == unknown_response.status_code == 302
    assert known_response["Location"] == unknown_response["Location"]
    assert known_queries == unknown_queries
    # The code page and a wrong code look the same for both.
    known_page = known_client.get(reverse("sms:code")).content.decode()
    unknown_page = unknown_client.get(reverse("sms:code")).content.decode()
    assert _without_varying_parts(known_page, known) == _without_varying_parts(
        unknown_page, unknown
    )
    sent_messages()
    wrong = {}
    for name, client, phone in [
        ("known", known_client, known),
        ("unknown", unknown_client, unknown),
    ]:
        code = latest_code(phone)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("sms:code"), {"code": "000000" if code != "000000" else "111111"}
            )
        wrong[name] = (response.status_code, _shape(queries.captured_queries))
    assert wrong["known"] == wrong["unknown"]


def _without_varying_parts(page: str, phone: str) -> str:
    page = page.replace(phone[-3:], "…")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
