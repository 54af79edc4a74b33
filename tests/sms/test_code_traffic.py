"""The operators' figure: codes sent vs. codes verified per hour (SMS-pumping alarm),
and the outbox in the admin without readable numbers or texts."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sms.models import Message, PhoneVerification
from sms.stats import code_traffic

pytestmark = pytest.mark.django_db


def codes(count, *, at, verified=0, first=0):
    """``count`` codes sent at ``at``, of which ``verified`` were entered."""
    for number in range(count):
        phone = f"+49151{first + number:08d}"
        verification = PhoneVerification.objects.create(
            phone=phone,
            code_hash="x" * 64,
            created_at=at,
            expires_at=at + timedelta(minutes=10),
            used_at=at if number < verified else None,
            superseded_at=None if number < verified else at,
        )
        Message.objects.create(
            recipient=phone,
            body="Ihr Code: 123456",
            priority=Message.Priority.CODE,
            idempotency_key=f"code:{verification.pk}",
            status=Message.Status.SENT,
            created_at=at,
            sent_at=at,
        )


@pytest.fixture
def traffic():
    now = timezone.now()
    codes(25, at=now, verified=5)
    codes(4, at=now - timedelta(hours=2), verified=4, first=100)
    return now


def test_an_hour_with_many_codes_and_few_entered_raises_the_alarm(traffic):
    rows = code_traffic(hours=3, now=traffic)
    assert [(r.sent, r.verified, r.alarm) for r in rows] == [
        (25, 5, True),
        (0, 0, False),
        (4, 4, False),
    ]
    assert rows[0].requested == 25
    assert rows[0].verified_share == pytest.approx(0.2)


def test_the_command_prints_the_hours_and_marks_the_alarm(traffic):
    out = StringIO()
    call_command("sms_code_stats", "--hours", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # header and three hours
    assert " 25 " in lines[1]
    assert "ALARM" in lines[1]
    assert "ALARM" not in lines[3]
    assert "100% verified" in lines[3]


def test_operators_see_the_figure_in_the_admin(client, traffic):
    client.force_login(User.objects.create_superuser("operator", password="x"))
    response = client.get(reverse("admin:sms_code_traffic"))
    assert response.status_code == 200
    assert response.context["rows"][0].alarm
    assert (
        reverse("admin:sms_code_traffic")
        in client.get(reverse("admin:sms_message_changelist")).text
    )


def test_staff_without_access_to_messages_do_not(client, traffic):
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    assert client.get(reverse("admin:sms_code_traffic")).status_code == 403


def test_the_admin_masks_numbers_and_hides_texts_but_finds_an_exact_number(client):
    Message.objects.create(
        recipient="+4915112345678",
        body="Ihr Code: 482913",
        priority=Message.Priority.CODE,
        idempotency_key="code:1",
    )
    client.force_login(User.objects.create_superuser("operator", password="x"))
    changelist = reverse("admin:sms_message_changelist")
    for page in (
        client.get(changelist),
        client.get(changelist, {"q": "+4915112345678"}),
        client.get(reverse("admin:sms_message_change", args=[Message.objects.get().pk])),
    ):
        assert page.status_code == 200
        assert "+49 … 678" in page.text
        assert "+4915112345678" not in page.text.replace('value="+4915112345678"', "")
        assert "482913" not in page.text
    assert client.get(changelist, {"q": "+4915112345678"}).context["cl"].result_count == 1
    assert client.get(changelist, {"q": "+4915100000000"}).context["cl"].result_count == 0
