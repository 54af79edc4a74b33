"""Codes sent vs. codes verified per hour: the operators' SMS-pumping alarm.

Real residents enter most codes they get. When many codes go out and few are
entered, someone is making us send codes to numbers they are paid for (SMS
pumping) or the SMS do not arrive; either way an operator must look.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from sms.models import Message, PhoneVerification

# An hour is suspicious from this many codes sent, when fewer than this share
# of them was entered.
ALARM_MIN_SENT = 20
ALARM_MIN_VERIFIED_SHARE = 0.5


@dataclass(frozen=True)
class CodeHour:
    hour: datetime
    requested: int
    sent: int
    failed: int
    verified: int

    @property
    def verified_share(self) -> float | None:
        return self.verified / self.sent if self.sent else None

    @property
    def alarm(self) -> bool:
        if self.sent < ALARM_MIN_SENT:
            return False
        return self.verified / self.sent < ALARM_MIN_VERIFIED_SHARE


def _per_hour(queryset, field: str) -> dict[datetime, int]:
    rows = (
        queryset.annotate(hour=TruncHour(field))
        .values("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
    )
    return dict(rows)


def code_traffic(*, hours: int = 24, now: datetime | None = None) -> list[CodeHour]:
    """One row per hour of the last ``hours`` hours (local time), newest first."""
    now = now or timezone.now()
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    since = current - timedelta(hours=hours - 1)
    codes = Message.objects.filter(priority=Message.Priority.CODE)
    requested = _per_hour(PhoneVerification.objects.filter(created_at__gte=since), "created_at")
    verified = _per_hour(PhoneVerification.objects.filter(used_at__gte=since), "used_at")
    sent = _per_hour(codes.filter(sent_at__gte=since), "sent_at")
    failed = _per_hour(
        codes.filter(created_at__gte=since, status__in=[Message.Status.FAILED])
        | codes.filter(created_at__gte=since, delivery_status=Message.DeliveryStatus.FAILED),
        "created_at",
    )
    rows = []
    for offset in range(hours):
        hour = current - timedelta(hours=offset)
        rows.append(
            CodeHour(
                hour=hour,
                requested=requested.get(hour, 0),
                sent=sent.get(hour, 0),
                failed=failed.get(hour, 0),
                verified=verified.get(hour, 0),
            )
        )
    return rows
