"""What staff are told about the waiting list of their center.

The waiting list lives in an app above this one (``waitlist``), so the centers
app asks, and the waiting-list app answers (it connects its receivers at
start-up, see ``waitlist.apps``): two questions that change nothing.

- ``waiting_list_asked`` with ``center_ids``: each receiver returns
  ``{center_id: WaitingListFigures}``.
- ``release_offers_asked`` with ``slots`` (the first-dose slots of a release,
  a queryset) and ``since`` (when it was released): each receiver returns a
  ``ReleaseOffers``.

Without a receiver (the waiting list not installed) the answers are empty.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.dispatch import Signal

from centers.models import Slot, SlotRelease

waiting_list_asked = Signal()
release_offers_asked = Signal()


@dataclass(frozen=True)
class WaitingListFigures:
    """Who waits for seats of one center right now."""

    own_list: int = 0  # waiting on the center's own list
    district_list: int = 0  # waiting on the list of the whole district, which the center serves
    paused: int = 0  # paused places of both lists (still on the list, not offered anything)
    offers_open: int = 0  # offers holding seats of this center until the person answers

    @property
    def waiting(self) -> int:
        return self.own_list + self.district_list


@dataclass(frozen=True)
class ReleaseOffers:
    """Offers made from a release's appointments since it was released."""

    made: int = 0
    open: int = 0  # of those, still waiting for an answer


def waiting_list_figures(center_ids: Iterable[int]) -> dict[int, WaitingListFigures]:
    """The waiting-list figures of each center, for the staff's pages."""
    ids = sorted(set(center_ids))
    figures: dict[int, WaitingListFigures] = {}
    for _receiver, answer in waiting_list_asked.send(sender=None, center_ids=ids):
        if isinstance(answer, dict):  # Signal.send's answers are typed as strings
            figures.update(answer)
    return figures


def release_first_dose_slots(release: SlotRelease) -> QuerySet[Slot]:
    """The first-dose slots a release opened: its center and vaccine, its days,
    weekdays and hours (local time). Releases never overlap, so no other release
    shares them."""
    return Slot.objects.filter(
        center_id=release.center_id,
        vaccine_id=release.vaccine_id,
        dose=Slot.Dose.FIRST,
        starts_at__date__range=(release.first_day, release.last_day),
        starts_at__iso_week_day__in=[int(day) for day in release.weekdays],
        starts_at__time__gte=release.opens_at,
        starts_at__time__lt=release.closes_at,
    )


def offers_for_release(release: SlotRelease) -> ReleaseOffers | None:
    """The waiting-list offers made from the release's appointments so far; None
    when no app answers."""
    answers = release_offers_asked.send(
        sender=None, slots=release_first_dose_slots(release), since=release.released_at
    )
    found: list[ReleaseOffers] = []
    for _receiver, answer in answers:
        if isinstance(answer, ReleaseOffers):  # Signal.send's answers are typed as strings
            found.append(answer)
    if not found:
        return None
    return ReleaseOffers(
        made=sum(answer.made for answer in found), open=sum(answer.open for answer in found)
    )
