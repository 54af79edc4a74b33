"""What the standby list does when a lower app tells it something (see apps.py)."""

from django.utils import timezone

from standby import services
from standby.models import Round


def offer_freed_seats_today(sender, slot_ids, **kwargs) -> None:
    """``centers.signals.seats_freed``: seats of today that the waiting list cannot
    offer any more (a same-day cancellation; a no-show's second dose freeing
    its first-dose seat for a series) go to the standby list."""
    now = timezone.now()
    for center in services.centers_of(slot_ids):
        services.offer_leftover_doses(center=center, reason=Round.Reason.CANCELLATION, now=now)
