from django.conf import settings
from django.core.checks import Error, register


@register()
def check_twilio_settings(app_configs, **kwargs):
    """A dispatcher with half a Twilio configuration must not start and fail each message."""
    if not settings.SMS_BACKEND.endswith("twilio.TwilioBackend"):
        return []
    from sms.backends.twilio import REQUIRED_SETTINGS

    errors = [
        Error(f"{name} must be set for the Twilio backend.", id="sms.E001")
        for name in REQUIRED_SETTINGS
        if not getattr(settings, name)
    ]
    if not 0 < settings.TWILIO_TIMEOUT_SECONDS < 30:
        errors.append(
            Error("TWILIO_TIMEOUT_SECONDS must be between 1 and 29 seconds.", id="sms.E002")
        )
    return errors
