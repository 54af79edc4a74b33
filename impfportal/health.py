"""/healthz, /readyz and /metrics: for the proxy, the container and Prometheus.

They are answered by a middleware near the top of the stack, before
SecurityMiddleware, sessions, the locale, CSRF and the rate limits: a probe
from inside the container (``http://127.0.0.1:8000/healthz``, Host
``127.0.0.1``) must not be redirected to HTTPS or refused by ALLOWED_HOSTS,
and must create no session. The answers do not depend on the Host header.
Caddy does not pass these paths on from the internet (deploy/Caddyfile).

- ``/healthz``: the process runs and answers. No database, no Redis: a
  database outage must not make every container "unhealthy" at once. The
  Docker HEALTHCHECK and Caddy's active health check use it.
- ``/readyz``: the database and Redis answer, and the SMS outbox moves (no
  message due for longer than READY_OUTBOX_MAX_AGE_SECONDS). 503 with a short
  JSON reason otherwise. These are shared dependencies: every node fails
  together, so it is for monitoring and for orchestrators that should hold a
  new node back, not for a proxy that would then take every node out while
  the pages could still serve (they keep serving with Redis down, see
  docs/security.md).
- ``/metrics``: Prometheus text format, with ``Authorization: Bearer
  <METRICS_TOKEN>``; 404 while METRICS_TOKEN is unset.
"""

import hmac
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone

from impfportal import metrics


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return "database unreachable"
    return None


def check_redis() -> str | None:
    """Only where Redis is the cache (django-redis); the quick start has none."""
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return None
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except Exception:
        return "redis unreachable"
    return None


def check_outbox() -> str | None:
    """The oldest queued message that is due: older than the limit means no
    dispatcher is sending (or the provider's rate cannot keep up with the
    backlog the limit allows for)."""
    from sms.models import Message

    oldest = Message.objects.filter(
        status=Message.Status.QUEUED, next_attempt_at__lte=timezone.now()
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    if oldest is None:
        return None
    waiting = timezone.now() - oldest
    if waiting > timedelta(seconds=settings.READY_OUTBOX_MAX_AGE_SECONDS):
        return f"outbox stuck: oldest due message waits {int(waiting.total_seconds())} s"
    return None


def readiness_problems() -> list[str]:
    problems = [problem for problem in (check_database(), check_redis()) if problem]
    if not any(problem.startswith("database") for problem in problems):
        try:
            if problem := check_outbox():
                problems.append(problem)
        except Exception:
            problems.append("outbox unreadable")
    return problems


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    problems = readiness_problems()
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})


def metrics_endpoint(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(status=404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics_endpoint,
}


class OpsEndpointsMiddleware:
    """Answers the three paths above itself; every other request goes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _no_store(HttpResponseNotAllowed(["GET", "HEAD"]))
        return _no_store(endpoint(request))
