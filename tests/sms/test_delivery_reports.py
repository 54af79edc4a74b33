"""Twilio's signed status callbacks, and what the resident's code page makes of them."""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from sms.models import Message
from sms.outbox import dispatch_due
from tests.journeys import german
from tests.sms.conftest import CALLBACK_URL
from tests.sms.fake_twilio import AUTH_TOKEN

pytestmark = pytest.mark.django_db

MOBILE = "+4915112345678"


def report(client, message, status, *, token=AUTH_TOKEN, sid=None, signed_url=None, **extra):
    """POST a status callback the way Twilio does, signed with ``token``."""
    params = {"MessageSid": sid or message.provider_id, "MessageStatus": status, **extra}
    url = f"{CALLBACK_URL}?m={message.pk}"
    signature = RequestValidator(token).compute_signature(signed_url or url, params)
    return client.post(
        f"{reverse('sms:status_callback')}?m={message.pk}",
        params,
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


@pytest.fixture
def code_message(client, twilio):
    """A resident asked for a code on the page, and the dispatcher sent it."""
    client.post(reverse("sms:phone"), {"phone": MOBILE})
    dispatch_due()
    return Message.objects.get(recipient=MOBILE)


def test_a_signed_delivery_report_is_recorded(client, code_message):
    response = report(client, code_message, "delivered")
    assert response.status_code == 204
    code_message.refresh_from_db()
    assert code_message.delivery_status == Message.DeliveryStatus.DELIVERED
    assert code_message.provider_status == "delivered"
    assert code_message.delivery_reported_at is not None


def test_an_unsigned_report_is_refused_and_changes_nothing(client, code_message):
    response = client.post(
        f"{reverse('sms:status_callback')}?m={code_message.pk}",
        {"MessageSid": code_message.provider_id, "MessageStatus": "failed"},
    )
    assert response.status_code == 403
    code_message.refresh_from_db()
    assert code_message.delivery_status == Message.DeliveryStatus.UNKNOWN


@pytest.mark.parametrize(
    "forgery",
    [
        {"token": "someone-elses-token"},
        {"signed_url": "https://evil.example/sms/status/?m=1"},
    ],
)
def test_a_forged_report_is_refused(client, code_message, forgery):
    assert report(client, code_message, "failed", **forgery).status_code == 403
    code_message.refresh_from_db()
    assert code_message.delivery_status == Message.DeliveryStatus.UNKNOWN


def test_without_a_configured_callback_url_every_report_is_refused(client, code_message, settings):
    settings.TWILIO_STATUS_CALLBACK_URL = ""
    assert report(client, code_message, "delivered").status_code == 403


def test_a_late_or_repeated_report_does_not_undo_a_final_status(client, code_message):
    report(client, code_message, "delivered")
    assert report(client, code_message, "sent").status_code == 204
    assert report(client, code_message, "failed").status_code == 204
    code_message.refresh_from_db()
    assert code_message.delivery_status == Message.DeliveryStatus.DELIVERED


def test_a_report_for_another_provider_id_is_ignored(client, code_message):
    report(client, code_message, "failed", sid="SM" + "f" * 32)
    code_message.refresh_from_db()
    assert code_message.delivery_status == Message.DeliveryStatus.UNKNOWN


def test_an_unanswered_call_counts_as_not_delivered(client, twilio):
    client.post(reverse("sms:phone"), {"phone": "0511 1234567"})
    dispatch_due()
    call = Message.objects.get(channel=Message.Channel.VOICE)
    params = {"CallSid": call.provider_id, "CallStatus": "no-answer"}
    url = f"{CALLBACK_URL}?m={call.pk}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    client.post(
        f"{reverse('sms:status_callback')}?m={call.pk}", params, HTTP_X_TWILIO_SIGNATURE=signature
    )
    call.refresh_from_db()
    assert call.delivery_status == Message.DeliveryStatus.FAILED


def test_the_code_page_says_sending_sent_and_delivered(client, twilio):
    client.post(reverse("sms:phone"), {"phone": MOBILE})
    assert german("Status: your code is being sent.") in client.get(reverse("sms:code")).text
    dispatch_due()
    assert german("Status: code sent.") in client.get(reverse("sms:code")).text
    report(client, Message.objects.get(), "delivered")
    page = client.get(reverse("sms:code"))
    assert page.context["delivery"].state == "delivered"
    assert german("Status: code delivered to your phone.") in page.text


def test_a_failed_sms_offers_a_voice_call_that_reads_a_new_code(client, code_message, twilio):
    report(client, code_message, "undelivered", ErrorCode="30003")
    code_message.refresh_from_db()
    assert code_message.delivery_error_code == "30003"
    page = client.get(reverse("sms:code"))
    assert page.context["delivery"].failed
    assert german("The code could not be delivered.") in page.text
    assert reverse("sms:call_instead") in page.text

    # At once: the resend pause does not apply to a code that never arrived.
    response = client.post(reverse("sms:call_instead"))
    assert response.status_code == 302
    call = Message.objects.exclude(pk=code_message.pk).get()
    assert (call.channel, call.recipient) == (Message.Channel.VOICE, MOBILE)
    dispatch_due()
    assert twilio.received[-1].kind == "voice"
    page = client.get(reverse("sms:code"))
    assert page.context["by_voice"]
    assert german("Status: code sent.") in page.text


def test_asking_for_a_call_right_after_a_working_sms_must_wait(client, code_message):
    response = client.post(reverse("sms:call_instead"), follow=True)
    assert any(
        german(
            "A code was just sent. Please wait %(seconds)d more second before asking for a "
            "new one.",
            "A code was just sent. Please wait %(seconds)d more seconds before asking for a "
            "new one.",
            count=seconds,
            seconds=seconds,
        )
        in response.text
        for seconds in range(1, 31)
    )
    assert Message.objects.count() == 1
