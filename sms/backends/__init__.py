"""Provider backends. Each sends one outbox message and returns the provider's id."""

from django.conf import settings
from django.utils.module_loading import import_string

from sms.backends.base import PermanentSendError, SmsBackend, TransientSendError

__all__ = ["PermanentSendError", "SmsBackend", "TransientSendError", "get_backend"]


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
