from django.db import models


class Counter(models.Model):
    """One fixed window of one limit, used only while Redis cannot be reached.

    ``key`` is a keyed hash of the limit's name and subject (a phone number, an
    address, an account), so the table holds no personal data. Rows are useless
    after ``expires_at`` and deleted by ``limits.store.delete_expired``.
    """

    key = models.CharField(max_length=64)
    window_start = models.BigIntegerField(help_text="Unix time the window began")
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="limits_counter_window")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… @{self.window_start}: {self.count}"
