"""The waiting list as a center's staff see it: who waits for the center's seats,
and the offers out. Answers the questions of ``centers.waiting_list``."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from centers.models import Center, Slot
from centers.waiting_list import ReleaseOffers, WaitingListFigures
from waitlist.models import Entry, Offer


def figures_for_centers(center_ids: Iterable[int]) -> dict[int, WaitingListFigures]:
    """Per center: places waiting on its own list and on its district's list (which
    every center of the district serves, so they count at each), paused places of
    both, and the open offers holding its seats. Four queries, however many centers."""
    ids = list(center_ids)
    if not ids:
        return {}
    districts = dict(Center.objects.filter(pk__in=ids).values_list("pk", "district_id"))
    statuses = [Entry.Status.WAITING, Entry.Status.PAUSED]
    own: Counter[tuple[int, str]] = Counter()
    for center_id, status, n in (
        Entry.objects.filter(center_id__in=ids, status__in=statuses)
        .values_list("center_id", "status")
        .annotate(n=Count("pk"))
    ):
        own[(center_id, status)] = n
    shared: Counter[tuple[int, str]] = Counter()
    for district_id, status, n in (
        Entry.objects.filter(
            center__isnull=True, district_id__in=set(districts.values()), status__in=statuses
        )
        .values_list("district_id", "status")
        .annotate(n=Count("pk"))
    ):
        shared[(district_id, status)] = n
    offers = dict(
        Offer.objects.filter(status=Offer.Status.OPEN, first_slot__center_id__in=ids)
        .values_list("first_slot__center_id")
        .annotate(n=Count("pk"))
        .values_list("first_slot__center_id", "n")
    )
    waiting, paused = Entry.Status.WAITING, Entry.Status.PAUSED
    return {
        center_id: WaitingListFigures(
            own_list=own[(center_id, waiting)],
            district_list=shared[(district_id, waiting)],
            paused=own[(center_id, paused)] + shared[(district_id, paused)],
            offers_open=offers.get(center_id, 0),
        )
        for center_id, district_id in districts.items()
    }


def offers_from(*, slots: QuerySet[Slot], since: datetime) -> ReleaseOffers:
    """Offers of seats in ``slots`` made since ``since`` (a release and its moment)."""
    counts = Offer.objects.filter(first_slot__in=slots, created_at__gte=since).aggregate(
        made=Count("pk"), open=Count("pk", filter=Q(status=Offer.Status.OPEN))
    )
    return ReleaseOffers(made=counts["made"], open=counts["open"])
