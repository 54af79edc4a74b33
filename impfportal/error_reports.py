"""Error reports through sentry-sdk, without personal data.

Sentry gets what a developer needs to fix an error (the exception, its stack
without local variables, the view, the request id that finds the log lines)
and nothing of the resident: no default PII (no cookies, user or client
address; sentry-sdk 2.76 deprecates ``send_default_pii`` in favour of
``data_collection``, and leaving both unset means "off" and keeps the SDK's
own denylist scrubber), no request bodies, no local variables (a frame's ``person``
would carry a name and a date of birth), and ``scrub_event`` as a last filter
for what still quotes personal data: phone numbers and codes are masked as in
the logs (impfportal.logs), booking codes and tokens leave the URL, and the
values that PostgreSQL quotes in an error's DETAIL ("Key (last_name)=(…)") are
removed. A name in free text cannot be recognised; it is kept out by sending
no request data, locals or query parameters in the first place.
"""

import re
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from impfportal.logs import mask_numbers, redact_path
from impfportal.request_id import current_request_id

# PostgreSQL's DETAIL: Key (phone)=(+4915112345678) already exists.
_QUOTED_VALUES = re.compile(r"\)=\(.*?\)(?= |$|\n|\.)", flags=re.DOTALL)
_REQUEST_KEEP = ("method", "url")


def scrub_text(text: str) -> str:
    return mask_numbers(_QUOTED_VALUES.sub(")=(…)", text))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items() if key != "vars"}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_event(event: Event, hint: Hint | None = None) -> Event:
    """Sentry's before_send: the event without personal data."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        kept = {key: request[key] for key in _REQUEST_KEEP if key in request}
        if "url" in kept:
            url = urlsplit(str(kept["url"]))
            kept["url"] = urlunsplit((url.scheme, url.netloc, redact_path(url.path), "", ""))
        event["request"] = kept
    scrubbed = cast(Event, _scrub(event))
    request_id = current_request_id()
    if request_id:
        scrubbed.setdefault("tags", {})["request_id"] = request_id
    return scrubbed


def scrub_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint | None = None) -> Breadcrumb:
    """Breadcrumbs are log lines and SQL queries: mask them, and drop query parameters."""
    data = crumb.get("data")
    if isinstance(data, dict):
        crumb["data"] = {key: item for key, item in data.items() if "param" not in key}
    return cast(Breadcrumb, _scrub(crumb))


def init_error_reports(*, dsn: str, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # Errors only: performance tracing would send every request's URL.
        traces_sample_rate=0.0,
    )
