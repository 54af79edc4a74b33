"""The waiting list's state for Prometheus, read from the database at every
scrape (see impfportal.metrics)."""

from collections.abc import Iterable

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from waitlist.models import Entry, Offer


class WaitlistCollector:
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "impfportal_waitlist_open_offers",
            "Offers holding seats until the person answers or time runs out.",
            value=Offer.objects.filter(status=Offer.Status.OPEN).count(),
        )
        entries = GaugeMetricFamily(
            "impfportal_waitlist_entries",
            "Active waiting places by status (waiting: the waiting-list length).",
            labels=["status"],
        )
        counts = dict(
            Entry.objects.filter(status__in=Entry.ACTIVE)
            .values("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in Entry.ACTIVE:
            entries.add_metric([status.value], counts.get(status, 0))
        yield entries
