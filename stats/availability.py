"""The public availability summary of every center, served from the cache.

At the morning's peak thousands of people a second ask "is there anything at
my center?". The answer (state, next free day, waiting-list length) is
computed for all centers at once, in two queries, and kept in the shared cache
(Redis). After ``STATS_AVAILABILITY_CACHE_SECONDS`` it is stale: one request
takes a short lock and recomputes while every other request keeps getting the
stale copy, so an expiry never sends a crowd to the database at once.
"""

import time
from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from centers.models import Center
from stats.figures import waitlist_lengths

CACHE_KEY = "stats:availability:v1"
LOCK_KEY = "stats:availability:v1:refresh"
# How long a stale copy may still be served if recomputing keeps failing.
KEEP_FACTOR = 20


@dataclass(frozen=True)
class Summary:
    slug: str
    name: str
    district: str
    town: str
    state: str
    next_free_day: date | None
    waitlist_length: int
    as_of: datetime

    @property
    def state_label(self) -> str:
        return str(Center.State(self.state).label)


def max_age() -> int:
    return settings.STATS_AVAILABILITY_CACHE_SECONDS


def compute_summaries() -> list[Summary]:
    """Every center's summary from the database: two queries."""
    now = timezone.now()
    per_center, per_district = waitlist_lengths()
    centers = Center.objects.select_related("district").with_availability()
    return [
        Summary(
            slug=center.slug,
            name=center.name,
            district=center.district.name,
            town=center.town,
            state=str(center.state),
            next_free_day=timezone.localdate(center.next_free_at) if center.next_free_at else None,
            # A district-wide waiting list waits for each of the district's centers.
            waitlist_length=max(
                0, per_center.get(center.pk, 0) + per_district.get(center.district_id, 0)
            ),
            as_of=now,
        )
        for center in centers.order_by("district__name", "name")
    ]


def _refresh() -> dict:
    entry = {"computed": time.time(), "summaries": compute_summaries()}
    cache.set(CACHE_KEY, entry, timeout=max_age() * KEEP_FACTOR)
    return entry


def all_summaries() -> list[Summary]:
    entry = cache.get(CACHE_KEY)
    if entry is None:
        return _refresh()["summaries"]  # nothing to serve meanwhile
    if time.time() - entry["computed"] >= max_age() and cache.add(LOCK_KEY, 1, timeout=30):
        try:
            entry = _refresh()
        finally:
            cache.delete(LOCK_KEY)
    return entry["summaries"]


def summary_for(slug: str) -> Summary | None:
    return next((s for s in all_summaries() if s.slug == slug), None)


def as_json(summary: Summary) -> dict:
    data = asdict(summary)
    data["next_free_day"] = summary.next_free_day.isoformat() if summary.next_free_day else None
    data["as_of"] = summary.as_of.isoformat()
    data["waiting_list_length"] = data.pop("waitlist_length")
    return data
