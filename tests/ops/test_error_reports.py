"""What leaves for Sentry: the error, without the resident's data."""

import json

import pytest

from impfportal import error_reports, request_id


def event_with_personal_data() -> dict:
    return {
        "message": "Booking failed for +49 151 23456789",
        "user": {"ip_address": "203.0.113.9", "id": "7"},
        "request": {
            "method": "POST",
            "url": "https://impfportal.example/cancel/K7QX-3M9A/?phone=015123456789",
            "data": {"first_name": "Wilhelmine", "code": "471108"},
            "cookies": {"__Host-sessionid": "abc"},
            "headers": {"Cookie": "__Host-sessionid=abc", "X-Forwarded-For": "203.0.113.9"},
            "query_string": "phone=015123456789",
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": 'duplicate key value violates unique constraint "x"\n'
                    "DETAIL:  Key (last_name, first_name)=(Kowalczyk, Wilhelmine) already exists.",
                    "stacktrace": {
                        "frames": [{"function": "book", "vars": {"person": "Wilhelmine K."}}]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [{"category": "query", "message": "SELECT … WHERE phone = '+4915123456789'"}]
        },
    }


def test_an_event_leaves_without_personal_data():
    scrubbed = error_reports.scrub_event(event_with_personal_data(), {})  # type: ignore[arg-type]
    text = json.dumps(scrubbed)
    for personal in (
        "23456789",
        "Wilhelmine",
        "Kowalczyk",
        "471108",
        "203.0.113.9",
        "K7QX-3M9A",
        "sessionid",
    ):
        assert personal not in text, personal
    # What a developer needs is still there.
    assert scrubbed["request"] == {"method": "POST", "url": "https://impfportal.example/cancel/…/"}
    assert "duplicate key value violates unique constraint" in text
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"] == [{"function": "book"}]


def test_the_request_id_goes_along(monkeypatch):
    monkeypatch.setattr(request_id, "_current", request_id.ContextVar("t", default="abc123def456"))
    scrubbed = error_reports.scrub_event({"message": "x"}, {})
    assert scrubbed["tags"] == {"request_id": "abc123def456"}


def test_breadcrumbs_lose_query_parameters_and_numbers():
    crumb = error_reports.scrub_breadcrumb(
        {
            "category": "query",
            "message": "UPDATE … SET phone = %s",
            "data": {"db.params": ["+4915123456789"], "db.executemany": False},
        },
        {},
    )
    assert crumb == {
        "category": "query",
        "message": "UPDATE … SET phone = %s",
        "data": {"db.executemany": False},
    }
    assert "23456789" not in json.dumps(
        error_reports.scrub_breadcrumb({"message": "for 0151 23456789"})
    )


@pytest.fixture
def sentry_client():
    sentry_sdk = pytest.importorskip("sentry_sdk")
    yield sentry_sdk
    sentry_sdk.init()  # no DSN: off again


def test_the_sdk_is_set_up_to_send_no_personal_data(sentry_client):
    error_reports.init_error_reports(dsn="https://key@sentry.invalid/1", environment="test")
    options = sentry_client.get_client().options
    assert not sentry_client.scope.should_send_default_pii()
    assert options["event_scrubber"] is not None  # the SDK's denylist too
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["before_send"] is error_reports.scrub_event
    assert options["before_breadcrumb"] is error_reports.scrub_breadcrumb
