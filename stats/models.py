"""Daily counters: the ministry's figures, one small row per day, metric and place.

The rows are written by signal receivers in the transaction of the event they
count (see ``stats.counters`` and ``stats.receivers``), so the statistics pages
never read the booking tables, and the figures stay when personal data is
deleted. ``center_id`` and ``district_id`` are plain ids, not foreign keys, for
the same reason: a figure must outlive the rows it was counted from.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# No center / no district: a figure counted for the whole state only (text
# messages), or for a district's waiting list rather than one center's.
NOWHERE = 0


class Metric(models.TextChoices):
    """What is counted. Wiring a new event is one signal and one line in
    ``stats.receivers.WIRING`` naming one of these."""

    DELIVERED = "delivered", _("Doses delivered")
    RELEASED = "released", _("Appointments released")
    WITHDRAWN = "withdrawn", _("Appointments withdrawn (day cancelled)")
    BOOKED = "booked", _("Appointments booked")
    CANCELLED = "cancelled", _("Appointments cancelled")
    ATTENDED = "attended", _("Doses given")
    NO_SHOW = "no_show", _("No-shows")
    PEOPLE_BOOKED = "people_booked", _("People booked")
    PEOPLE_BOOKED_80 = "people_booked_80", _("People booked aged 80 or older")
    WAITLIST_JOINED = "waitlist_joined", _("Joined the waiting list")
    WAITLIST_LEFT = "waitlist_left", _("Left the waiting list")
    OFFER_MADE = "offer_made", _("Offers made")
    OFFER_ACCEPTED = "offer_accepted", _("Offers accepted")
    OFFER_DECLINED = "offer_declined", _("Offers declined")
    OFFER_EXPIRED = "offer_expired", _("Offers expired")
    REMINDER_SENT = "reminder_sent", _("Reminders sent")
    REMINDER_CANCEL = "reminder_cancel", _("Cancelled through a reminder's link")
    STANDBY_OFFER = "standby_offer", _("Leftover doses: offers sent")
    STANDBY_CLAIM = "standby_claim", _("Leftover doses: claims")
    DOSE_SAVED = "dose_saved", _("Leftover doses saved")
    SMS_SENT = "sms_sent", _("Text messages sent")
    SMS_FAILED = "sms_failed", _("Text messages failed")


# Text messages are not tied to a center: they are counted for the state only.
STATE_ONLY_METRICS = frozenset({Metric.SMS_SENT, Metric.SMS_FAILED})


class DailyCounter(models.Model):
    """One part (``shard``) of one figure for one day and one place.

    A figure is the sum of its shards. At the morning peak hundreds of bookings
    a second count into the same center and day; spreading them over a few
    rows keeps them from queueing on one row lock (see ``stats.counters``).
    """

    day = models.DateField(_("day"))
    metric = models.CharField(_("figure"), max_length=20, choices=Metric)
    center_id = models.PositiveIntegerField(_("center"), default=NOWHERE)
    district_id = models.PositiveIntegerField(_("district"), default=NOWHERE)
    shard = models.PositiveSmallIntegerField(default=0)
    # May be negative in one shard (a delivery corrected downwards); the sum is not.
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily counter")
        verbose_name_plural = _("daily counters")
        indexes = [
            # The waiting list's length is the sum of all joins and leaves so
            # far: found through this index, not by reading the whole table.
            # No index may contain ``value``: increments stay HOT updates.
            models.Index(fields=["metric", "day"], name="counter_metric_day"),
        ]
        constraints = [
            # The target of the counters' INSERT … ON CONFLICT; its leading
            # ``day`` also serves the pages' date-range queries.
            models.UniqueConstraint(
                fields=["day", "metric", "center_id", "district_id", "shard"],
                name="one_counter_per_day_metric_place_shard",
            ),
            # A center's figure is found through the center; a district's own
            # rows (a district-wide waiting list) have no center.
            models.CheckConstraint(
                condition=Q(center_id=NOWHERE) | Q(district_id=NOWHERE),
                name="counter_has_center_or_district_not_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} center={self.center_id} shard={self.shard}"
