"""System checks of the deployment that are not one app's. Every ``manage.py``
command runs them: migrate (which the compose file's web containers wait for),
the dispatcher, the worker and the sweep."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register


def _is_local(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register()
def check_portal_url(app_configs, **kwargs):
    """PORTAL_URL goes into every offer's text message: a localhost default in
    production would send residents links that lead nowhere."""
    if settings.DEBUG:
        return []
    if _is_local(urlsplit(settings.PORTAL_URL).hostname or ""):
        return [
            Error(
                f"PORTAL_URL ({settings.PORTAL_URL}) points at this machine or at no host "
                "at all; text messages would send residents links that do not work.",
                hint="Set PORTAL_URL to the portal's public address, e.g. "
                "https://impfportal.example (or DEBUG=true for development).",
                id="impfportal.E001",
            )
        ]
    return []
