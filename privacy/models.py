from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class PurgeRecord(models.Model):
    """One committed run of ``purge_personal_data``: when, and how many rows of
    each model it deleted or blanked. Holds no personal data, only counts."""

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    # {"booking.person": 12, "sms.message (texts blanked)": 40, ...}
    counts = models.JSONField(_("rows per model"), default=dict)
    # Days up to this one may have lost source rows: their statistics are
    # final and ``rebuild_stats`` leaves them alone.
    stats_final_through = models.DateField(_("statistics final up to"), null=True)

    class Meta:
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        ran_at = formats.date_format(timezone.localtime(self.ran_at), "SHORT_DATETIME_FORMAT")
        return _("deletion of %(time)s") % {"time": ran_at}

    @property
    def total(self) -> int:
        return sum(self.counts.values())
