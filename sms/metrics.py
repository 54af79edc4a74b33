"""The outbox's state for Prometheus, read from the database at every scrape
(so it is right whichever process or node is scraped; see impfportal.metrics)."""

from collections.abc import Iterable

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from sms.models import Message

_WAITING = (Message.Status.QUEUED, Message.Status.SENDING)


class OutboxCollector:
    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "impfportal_sms_outbox_messages",
            "Messages waiting in the outbox (queued, or claimed by a dispatcher), by priority.",
            labels=["priority", "status"],
        )
        counts = {
            (row["priority"], row["status"]): row["n"]
            for row in Message.objects.filter(status__in=_WAITING)
            .values("priority", "status")
            .annotate(n=Count("id"))
        }
        # Every priority and status appears, with 0 when empty, so that an
        # alert on a missing series is not needed.
        for priority in Message.Priority:
            for status in _WAITING:
                name = Message.Priority(priority).name.lower()
                depth.add_metric([name, status.value], counts.get((priority.value, status), 0))
        yield depth

        oldest = Message.objects.filter(
            status=Message.Status.QUEUED, priority=Message.Priority.CODE
        ).aggregate(oldest=Min("created_at"))["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "impfportal_sms_oldest_queued_code_age_seconds",
            "How long the oldest verification code still in the queue has waited (0: none queued).",
            value=max(age, 0.0),
        )
