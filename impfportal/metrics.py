"""Prometheus metrics: what the operators watch on the morning of an opening.

Two kinds of figures, kept apart on purpose:

- **Events counted in the web process** (requests by view and status, their
  duration, booking errors by kind): prometheus_client counters. Under
  gunicorn each worker is its own process, and a scrape reaches only one of
  them, so ``impfportal.gunicorn_conf`` switches prometheus_client to its
  multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``: every worker writes its
  counters to a file there, the scrape adds them up, a dead worker's files
  stay counted). Without that variable (``runserver``, tests) the counters
  live in the process, which is then the only one.
- **State read from the database at scrape time** (outbox depth, the oldest
  queued code, open offers, the waiting list): collectors registered with
  ``register_scrape_collector``. They are right however many processes and
  nodes run, because they count rows, not events. Each app registers its own
  in its ``AppConfig.ready`` (``sms.metrics``, ``waitlist.metrics``), so this
  module imports no app. The waiting room, when it exists, adds its queue
  length the same way (``register_gauge``); until then there is no such
  metric rather than a made-up zero.

``/metrics`` is served by ``impfportal.health.OpsEndpointsMiddleware`` and
needs ``Authorization: Bearer <METRICS_TOKEN>``.
"""

import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Methods a browser or the proxy sends; anything else is counted as "other",
# so that a client cannot create label values (series) at will.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Answered before URL resolution (a redirect to HTTPS, an unknown address).
UNRESOLVED = "unresolved"

REQUESTS = Counter(
    "impfportal_requests",
    "HTTP responses by view (URL name), method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "impfportal_request_duration_seconds",
    "Time from the first middleware to the response, by view (URL name).",
    ["view"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BOOKING_ERRORS = Counter(
    "impfportal_booking_errors",
    "Booking rules that said no on the resident's pages, by kind (booking.errors class).",
    ["kind"],
)


def count_booking_error(error: Exception) -> None:
    """Called where a view catches a BookingError: the label is its class name."""
    BOOKING_ERRORS.labels(kind=type(error).__name__).inc()


class ScrapeCollector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_collectors: list[ScrapeCollector] = []


def register_scrape_collector(collector: ScrapeCollector) -> None:
    """Adds a collector whose ``collect()`` runs at every scrape (read state
    from the database there, not from the process). Registering the same
    object twice has no effect."""
    if collector not in _collectors:
        _collectors.append(collector)


def unregister_scrape_collector(collector: ScrapeCollector) -> None:
    if collector in _collectors:
        _collectors.remove(collector)


class _Gauge:
    def __init__(self, name: str, documentation: str, read: Callable[[], float]):
        self.name, self.documentation, self.read = name, documentation, read

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(self.name, self.documentation, value=self.read())


def register_gauge(name: str, documentation: str, read: Callable[[], float]) -> ScrapeCollector:
    """One number read at scrape time, e.g. the waiting room's queue length:
    ``register_gauge("impfportal_waiting_room_queue_length", "…", read=queue_length)``.
    Returns the collector (for ``unregister_scrape_collector``)."""
    collector = _Gauge(name, documentation, read)
    register_scrape_collector(collector)
    return collector


class _Families:
    """What generate_latest needs: something with a collect()."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def _scraped_state() -> list[Metric]:
    families: list[Metric] = []
    failed = 0
    for collector in list(_collectors):
        try:
            families.extend(collector.collect())
        except Exception:
            # The database being down must not hide the process's counters:
            # the scrape still answers, and says which part it could not read.
            failed += 1
            logger.warning(
                "metrics collector failed", extra={"collector": repr(collector)}, exc_info=True
            )
    families.append(
        GaugeMetricFamily(
            "impfportal_scrape_collector_errors",
            "Collectors that could not read their state in this scrape (database down?).",
            value=failed,
        )
    )
    return families


def render() -> bytes:
    """The text exposition of every metric: this node's counters (all gunicorn
    workers together in multiprocess mode) and the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    return counted + generate_latest(_Families(_scraped_state()))


class RequestMetricsMiddleware:
    """Counts every response by the view that answered it; after the health
    endpoints (they are not counted) and before everything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else UNRESOLVED
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
        REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)
        return response
