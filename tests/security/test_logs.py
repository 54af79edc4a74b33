"""Logs (ASVS 5.0 V16): one JSON object per line, and never a code, a phone
number, a name or a date of birth, through a whole booking and cancelling."""

import io
import json
import logging

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from booking.models import Series
from impfportal.logs import JsonFormatter, MaskNumbers, mask_numbers
from tests.journeys import book_via_page, latest_code, person_data, sent_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the configured handler (settings.LOGGING) writes, at every level."""
    root = logging.getLogger()
    [handler] = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    buffer = io.StringIO()
    old_stream, old_level = handler.setStream(buffer), root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        handler.setStream(old_stream)
        root.setLevel(old_level)


def test_a_whole_booking_leaves_no_personal_data_in_the_logs(
    log_output, settings, slots, open_for_80
):
    limits = settings.RATE_LIMITS
    settings.RATE_LIMITS = {**limits, "code_check": {"number": "2/d"}}
    typed = "0151 / 2345 6789"
    client = Client()
    client.post(reverse("sms:phone"), {"phone": typed})
    code = latest_code("+4915123456789")
    wrong = "000000" if code != "000000" else "111111"
    client.post(reverse("sms:code"), {"code": wrong})
    client.post(reverse("sms:code"), {"code": wrong})
    assert client.post(reverse("sms:code"), {"code": code}).status_code == 429  # logged
    settings.RATE_LIMITS = limits
    assert client.post(reverse("sms:code"), {"code": code}).status_code == 302
    client.post(
        reverse("booking:people"),
        person_data(first_name="Wilhelmine", last_name="Kowalczyk", birth_day="3", birth_month="9"),
    )
    person = client.get(reverse("booking:people")).context["members"][0][0]
    book_via_page(client, person, slots[0])
    series = Series.objects.get()
    client.get(reverse("booking:confirmation", args=[series.booking_code]))
    client.get(reverse("booking:confirmation", args=["XXXX-XXXX"]))  # a 404 is logged
    client.post(reverse("booking:cancel", args=[series.booking_code]), {"reason": "illness"})
    sent_messages()  # the dispatcher logs each message

    lines = log_output.getvalue().splitlines()
    assert len(lines) >= 5
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert {r["logger"] for r in records} >= {
        "sms.outbox",
        "django.request",
        "impfportal.ratelimits",
    }

    text = log_output.getvalue()
    for secret in (code, "4915123456789", "015123456789", "23456789", "2345 6789"):
        assert secret not in text
    for personal in ("Wilhelmine", "Kowalczyk", "1938-09-03", "03.09.1938", "3.9.1938"):
        assert personal not in text


def test_the_filter_masks_numbers_wherever_they_hide(log_output):
    logger = logging.getLogger("tests.security")
    logger.warning("code %s for %s", "123456", "+49 151 23456789")
    logger.warning("dict %(phone)s", {"phone": "0151-23456789"})
    logger.warning("extra", extra={"phone": "015123456789"})
    try:
        raise IntegrityError("Key (phone)=(+4915123456789) already exists.")
    except IntegrityError:
        logger.exception("database said no")
    text = log_output.getvalue()
    for leaked in ("123456", "23456789", "15123456789"):
        assert leaked not in text
    assert text.count("…789") >= 4


def test_dates_times_and_small_numbers_stay_readable():
    line = "slots 2021-03-04 10:00 to 2021-03-05, 40 seats, 30159 Hannover, message 12345"
    assert mask_numbers(line) == line


def test_a_line_break_cannot_forge_a_second_record(log_output):
    logging.getLogger("tests.security").warning("name %s", 'x\n{"level": "CRITICAL"}')
    [line] = log_output.getvalue().splitlines()
    assert json.loads(line)["level"] == "WARNING"


def test_masking_is_idempotent():
    record = logging.LogRecord("x", logging.INFO, "", 0, "to %s", ("+4915123456789",), None)
    MaskNumbers().filter(record)
    MaskNumbers().filter(record)
    assert record.getMessage() == "to …789"
