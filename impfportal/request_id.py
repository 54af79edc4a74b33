"""A request id on every log line of a request, and on its response.

The id comes from our reverse proxy (Caddy sets ``X-Request-ID``, so the
proxy's access log, gunicorn's and ours share it) when the request comes from
a proxy listed in TRUSTED_PROXIES and the value looks like an id; otherwise a
new one is made. A client cannot choose the id the logs file it under, and a
value with line breaks or quotes never reaches a log.

The id lives in a context variable for the duration of the request, so code
that logs needs to know nothing about it: ``RequestIdFilter`` (in LOGGING)
puts it on every record as ``request_id``.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# UUIDs, Caddy's {http.request.uuid}, hex ids of other proxies: short and plain.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def request_id_for(request: HttpRequest) -> str:
    """The proxy's id if a trusted proxy sent a sane one, else a new one."""
    incoming = request.META.get(_META_KEY, "")
    from_proxy = request.META.get("REMOTE_ADDR", "") in settings.TRUSTED_PROXIES
    if from_proxy and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every later line of the request carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records logged while a request is served.

    Django logs a 4xx/5xx response ("Not Found", a 429) after the middleware
    chain has returned, when the context variable is reset again; those
    records carry the request itself (``extra={"request": …}``), and its id.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request_id"):
            return True
        request_id = _current.get() or getattr(getattr(record, "request", None), "request_id", None)
        if request_id is not None:
            record.request_id = request_id
        return True
