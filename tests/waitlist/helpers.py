"""Builders and checks shared by the waiting-list tests."""

import re
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from booking.models import Appointment, Person, Series
from booking.services import book_series
from centers.models import Center, Slot, Vaccine
from sms.models import Message
from waitlist.models import ALL_WEEKDAYS, Entry, Offer

LINK = re.compile(r"/offer/(\d+)/([\w-]+)/")


def make_entry(
    person: Person,
    *,
    center: Center | None = None,
    district=None,
    vaccines: Sequence[Vaccine] = (),
    rank: int = 1,
    joined_at: datetime | None = None,
    weekdays: int = ALL_WEEKDAYS,
    time_of_day: str = Entry.TimeOfDay.ANY,
) -> Entry:
    """A waiting entry written directly (joining through the pages is tested on its own)."""
    if district is None:
        assert center is not None, "make_entry needs a center or a district"
        district = center.district
    entry = Entry.objects.create(
        person=person,
        center=center,
        district=district,
        priority_rank=rank,
        joined_at=joined_at or timezone.now(),
        weekdays=weekdays,
        time_of_day=time_of_day,
    )
    entry.vaccines.set(vaccines or Vaccine.objects.all())
    return entry


def book(person: Person, slot: Slot) -> Series:
    return book_series(person=person, slot=slot, request_token=uuid.uuid4())


def link_of(offer: Offer) -> tuple[str, str]:
    """The path and token of the link in the offer's SMS (the token exists nowhere else)."""
    assert offer.message_id is not None, "the offer has no SMS"
    match = LINK.search(Message.objects.get(pk=offer.message_id).body)
    assert match, "the offer SMS has no link"
    assert int(match.group(1)) == offer.pk
    return match.group(0), match.group(2)


def open_offer_of(entry: Entry) -> Offer | None:
    return entry.offers.filter(status=Offer.Status.OPEN).first()


def seat_problems() -> list[str]:
    """Every slot's counter must equal its booked appointments plus the open offers
    holding it; returns what is wrong (empty when all is well)."""
    held: Counter[int] = Counter()
    for offer in Offer.objects.filter(status=Offer.Status.OPEN):
        held[offer.first_slot_id] += 1
        held[offer.second_slot_id] += 1
    booked = Counter(
        Appointment.objects.filter(status=Appointment.Status.BOOKED).values_list(
            "slot_id", flat=True
        )
    )
    problems = []
    for slot in Slot.objects.all():
        expected = booked[slot.pk] + held[slot.pk]
        if slot.booked != expected or slot.booked > slot.capacity:
            problems.append(
                f"slot {slot.pk}: booked={slot.booked} capacity={slot.capacity} "
                f"appointments={booked[slot.pk]} held={held[slot.pk]}"
            )
    return problems


def offer_problems() -> list[str]:
    """No entry with two open offers or two accepted ones, no slot offered twice to one
    entry, offered entries and open offers in step, no person with two series."""
    problems = []
    for row in (
        Offer.objects.values("entry_id")
        .annotate(
            open=Count("pk", filter=Q(status=Offer.Status.OPEN)),
            accepted=Count("pk", filter=Q(status=Offer.Status.ACCEPTED)),
        )
        .filter(Q(open__gt=1) | Q(accepted__gt=1))
    ):
        problems.append(f"entry {row['entry_id']} served twice: {row}")
    for repeat in (
        Offer.objects.values("entry_id", "first_slot_id").annotate(n=Count("pk")).filter(n__gt=1)
    ):
        problems.append(f"entry {repeat['entry_id']} offered slot {repeat['first_slot_id']} twice")
    offered = set(Entry.objects.filter(status=Entry.Status.OFFERED).values_list("pk", flat=True))
    holding = set(Offer.objects.filter(status=Offer.Status.OPEN).values_list("entry_id", flat=True))
    if offered != holding:
        problems.append(f"offered entries {offered} != entries holding an offer {holding}")
    twice = (
        Series.objects.filter(status=Series.Status.ACTIVE)
        .values("person_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    problems.extend(f"person {row['person_id']} booked twice" for row in twice)
    return problems
