"""How many doses a center has left to promise, per vaccine.

Every dose given goes through a seat of a slot, and a booking takes its
second-dose seat together with its first. So the doses a center has bound are
its seats:

- in slots still to come, every seat (booked, held or free): each may still
  become a vaccination;
- in slots that have begun, the seats still taken (vaccinated, or expected and
  not yet marked), but not those still held for the hotline (nobody can book
  them any more). A no-show gives its seat back (``booking.staff``), so its
  dose returns to the stock.

``available = delivered - bound``. A release adds two seats per first-dose
appointment (the first dose and its second dose), so it needs two doses each.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from centers.errors import CenterError
from centers.models import Center, Delivery, Slot


@dataclass(frozen=True)
class Stock:
    center_id: int
    vaccine_id: int
    center_name: str = ""
    vaccine_name: str = ""
    delivered: int = 0
    used: int = 0  # seats taken in slots that have begun
    reserved: int = 0  # all seats of slots still to come

    @property
    def bound(self) -> int:
        return self.used + self.reserved

    @property
    def available(self) -> int:
        return self.delivered - self.bound


def stock_table(center_ids: Iterable[int], *, now: datetime | None = None) -> list[Stock]:
    """The stock of every vaccine the centers have received or scheduled; two queries."""
    now = now or timezone.now()
    center_ids = list(center_ids)
    rows: dict[tuple[int, int], dict] = {}

    def row(values: dict) -> dict:
        key = (values["center_id"], values["vaccine_id"])
        return rows.setdefault(
            key,
            {
                "center_id": key[0],
                "vaccine_id": key[1],
                "center_name": values["center__name"],
                "vaccine_name": values["vaccine__name"],
            },
        )

    group = ("center_id", "center__name", "vaccine_id", "vaccine__name")
    for values in (
        Delivery.objects.filter(center_id__in=center_ids)
        .values(*group)
        .annotate(doses=Sum("doses"))
        .order_by()
    ):
        row(values)["delivered"] = values["doses"]
    for values in (
        Slot.objects.filter(center_id__in=center_ids)
        .values(*group)
        .annotate(
            reserved=Sum("capacity", filter=Q(starts_at__gt=now), default=0),
            # A seat still held for the hotline when its time came binds no dose.
            used=Sum(F("booked") - F("hotline_held"), filter=Q(starts_at__lte=now), default=0),
        )
        .order_by()
    ):
        row(values).update(reserved=values["reserved"], used=values["used"])
    stocks = [Stock(**values) for values in rows.values()]
    return sorted(stocks, key=lambda stock: (stock.center_name, stock.vaccine_name))


def stock_for(*, center_id: int, vaccine_id: int, now: datetime | None = None) -> Stock:
    for stock in stock_table([center_id], now=now):
        if stock.vaccine_id == vaccine_id:
            return stock
    return Stock(center_id=center_id, vaccine_id=vaccine_id)


def check_delivery_reduction(*, delivery: Delivery, doses: int) -> None:
    """Refuse to correct a delivery down below the doses already bound.

    Must run inside the transaction that saves the correction (the admin's
    change view is one): it locks the center's row, as releases do, so no
    release can spend the same doses before the correction commits.
    Raises CenterError.
    """
    Center.objects.select_for_update().get(pk=delivery.center_id)
    stock = stock_for(center_id=delivery.center_id, vaccine_id=delivery.vaccine_id)
    missing = (delivery.doses - doses) - stock.available
    if missing > 0:
        raise CenterError(
            _(
                "The released appointments already bind these doses. The delivery can be "
                "reduced to no fewer than %(least)d doses."
            )
            % {"least": doses + missing}
        )
