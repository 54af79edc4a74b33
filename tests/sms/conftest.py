import pytest

from tests.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

CALLBACK_URL = "https://impfportal.example/sms/status/"


@pytest.fixture
def fake_twilio():
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def twilio(fake_twilio, settings):
    """The Twilio backend, talking through the real SDK to the fake server."""
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_SMS_FROM = "Impfportal"
    settings.TWILIO_VOICE_FROM = "+495115550100"
    settings.TWILIO_API_BASE_URL = fake_twilio.base_url
    settings.TWILIO_STATUS_CALLBACK_URL = CALLBACK_URL
    settings.TWILIO_TIMEOUT_SECONDS = 1
    return fake_twilio
