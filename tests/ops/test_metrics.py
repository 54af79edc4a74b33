"""/metrics: Prometheus text with the figures the operators watch, behind a token."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from impfportal import metrics
from sms.models import Message
from tests import factories
from tests.journeys import add_person_via_page
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in an exposition text (fails if it is absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$" if wanted else None
    for line in text.splitlines():
        if wanted and pattern and re.match(pattern, line):
            return float(line.rsplit(" ", 1)[1])
        if not wanted and line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{labels} not in /metrics")


def test_without_a_token_setting_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 401
    assert b"impfportal" not in wrong.content


def test_requests_are_counted_by_view_and_status(client, scrape):
    before = scrape()
    client.get(reverse("centers:start"))
    client.get(reverse("centers:start"))
    client.get("/no-such-page/")
    after = scrape()
    start = {"view": "centers:start", "method": "GET", "status": "200"}
    assert sample(after, "impfportal_requests_total", **start) == 2 + _or_zero(
        before, "impfportal_requests_total", **start
    )
    unresolved = {"view": "unresolved", "method": "GET", "status": "404"}
    assert sample(after, "impfportal_requests_total", **unresolved) >= 1
    assert sample(after, "impfportal_request_duration_seconds_count", view="centers:start") >= 2
    assert 'view="healthz"' not in after  # the probes are not counted


def _or_zero(text: str, name: str, **labels: str) -> float:
    try:
        return sample(text, name, **labels)
    except AssertionError:
        return 0.0


def test_a_made_up_method_does_not_make_a_new_series(client, scrape):
    client.generic("BREW", reverse("centers:start"))
    text = scrape()
    assert "BREW" not in text
    assert 'method="other"' in text


def test_the_outbox_depth_by_priority_and_the_oldest_queued_code(client, scrape):
    now = timezone.now()
    for number, priority in enumerate([Message.Priority.CODE] * 2 + [Message.Priority.BULK] * 3):
        Message.objects.create(
            recipient="+4915100000000",
            body="…",
            priority=priority,
            idempotency_key=f"m{number}",
            created_at=now - timedelta(seconds=40 if number == 0 else 5),
        )
    Message.objects.create(
        recipient="+4915100000000",
        body="…",
        priority=Message.Priority.OFFER,
        idempotency_key="sent",
        status=Message.Status.SENT,
        created_at=now - timedelta(hours=1),
    )
    text = scrape()
    depth = "impfportal_sms_outbox_messages"
    assert sample(text, depth, priority="code", status="queued") == 2
    assert sample(text, depth, priority="bulk", status="queued") == 3
    assert sample(text, depth, priority="offer", status="queued") == 0  # sent is not waiting
    assert sample(text, depth, priority="confirmation", status="sending") == 0
    assert 40 <= sample(text, "impfportal_sms_oldest_queued_code_age_seconds") < 60


def test_no_queued_code_shows_age_zero(scrape):
    assert sample(scrape(), "impfportal_sms_oldest_queued_code_age_seconds") == 0


def test_open_offers_and_the_waiting_list(scrape, center, vaccine, open_for_80):
    first, second = factories.make_bookable_pair(center=center, vaccine=vaccine)
    entries = []
    for number in range(3):
        person = factories.make_person(last_name=f"W{number}")
        entry = Entry.objects.create(
            person=person, district=center.district, center=center, priority_rank=1
        )
        entry.vaccines.set([vaccine])
        entries.append(entry)
    Entry.objects.filter(pk=entries[0].pk).update(status=Entry.Status.OFFERED)
    Offer.objects.create(
        entry=entries[0],
        first_slot=first,
        second_slot=second,
        token_hash="x" * 64,
        hold=timedelta(hours=1),
    )
    text = scrape()
    assert sample(text, "impfportal_waitlist_open_offers") == 1
    assert sample(text, "impfportal_waitlist_entries", status="waiting") == 2
    assert sample(text, "impfportal_waitlist_entries", status="offered") == 1
    assert sample(text, "impfportal_waitlist_entries", status="paused") == 0


def test_booking_errors_are_counted_by_kind_where_the_pages_catch_them(
    verified_client, open_for_80
):
    def errors() -> float:
        return sum(
            sample.value
            for family in REGISTRY.collect()
            if family.name == "impfportal_booking_errors"
            for sample in family.samples
            if sample.name.endswith("_total")
        )

    before = errors()
    add_person_via_page(verified_client)
    assert errors() == before  # the control: a person who may be added
    add_person_via_page(verified_client, first_name="Kind", birth_year="2020")
    assert errors() == before + 1


def test_a_failing_collector_does_not_hide_the_rest(scrape):
    class Broken:
        def collect(self):
            raise RuntimeError("database down")

    broken = Broken()
    metrics.register_scrape_collector(broken)
    try:
        text = scrape()
    finally:
        metrics.unregister_scrape_collector(broken)
    assert sample(text, "impfportal_scrape_collector_errors") == 1
    assert "impfportal_sms_outbox_messages" in text
    assert sample(scrape(), "impfportal_scrape_collector_errors") == 0


def test_the_waiting_room_has_a_hook_and_no_made_up_figure(scrape):
    text = scrape()
    assert "waiting_room" not in text  # it does not exist yet: no metric, not a fake 0
    queue = [1, 2, 3]
    collector = metrics.register_gauge(
        "impfportal_waiting_room_queue_length",
        "People in the waiting room.",
        read=lambda: len(queue),
    )
    try:
        assert sample(scrape(), "impfportal_waiting_room_queue_length") == 3
        queue.append(4)
        assert sample(scrape(), "impfportal_waiting_room_queue_length") == 4  # read at scrape time
    finally:
        metrics.unregister_scrape_collector(collector)
    assert "waiting_room" not in scrape()
