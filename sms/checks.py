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


@register()
def check_no_console_backend_in_production(app_configs, **kwargs):
    """The console backend prints every text, codes included, to the log and
    sends nothing: with DEBUG off nobody would get a code."""
    if settings.DEBUG or not settings.SMS_BACKEND.endswith("console.ConsoleBackend"):
        return []
    return [
        Error(
            "SMS_BACKEND is the console backend, which sends nothing and prints codes "
            "into the log.",
            hint="Set SMS_BACKEND=sms.backends.twilio.TwilioBackend and the TWILIO_* "
            "settings (or DEBUG=true for development).",
            id="sms.E003",
        )
    ]
