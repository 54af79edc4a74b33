"""The invariants of issue 15 ("Seats that know their dose"), as checks that list
what is wrong (an empty list when all is well). Used after every step of the
state machine in ``test_dose_seats_machine.py`` and by its negative controls."""

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from booking.errors import BookingError
from booking.models import Appointment, Person, Series
from booking.selectors import free_days, free_slots_on, posted_free_time
from booking.services import book_series
from centers.models import Center, Slot, Vaccine
from stats.availability import compute_summaries
from stats.models import DailyCounter
from waitlist.models import Offer

Status = Appointment.Status
# Appointments that hold their seat (booking.staff: a no-show or a cancellation gives it back).
HOLDING = (Status.BOOKED, Status.ATTENDED)


def bookable_day_problems(
    center: Center, vaccines: Sequence[Vaccine], new_person: Callable[[], Person]
) -> list[str]:
    """Invariant 1: every day the portal shows as bookable can be booked.

    The day list (``free_days``), the start page (``next_free_at``) and the public
    availability agree on the first free day; for each day shown with n free, the
    time list's free appointments add up to n, and n eligible people can book,
    one after another, a time the list shows (in a savepoint rolled back), after
    which the day is no longer shown.
    """
    problems = posted_time_problems(center, vaccines)
    days = free_days(center, vaccines)
    first_shown = days[0][0] if days else None
    annotated = Center.objects.with_availability().get(pk=center.pk)
    start_page = timezone.localdate(annotated.next_free_at) if annotated.next_free_at else None
    if start_page != first_shown:
        problems.append(f"start page next free day {start_page} != day list {first_shown}")
    summary = next(s for s in compute_summaries() if s.slug == center.slug)
    if summary.next_free_day != start_page:
        problems.append(f"availability next free day {summary.next_free_day} != {start_page}")
    for day, shown in days:
        if shown <= 0:
            problems.append(f"{day}: listed with {shown} free")
            continue
        slots = free_slots_on(center, vaccines, day)
        listed = (
            Slot.objects.filter(pk__in=[slot.pk for slot in slots])
            .with_free_appointments()
            .aggregate(total=Sum("free_appointments"))["total"]
            or 0
        )
        if listed != shown:
            problems.append(f"{day}: day list shows {shown} free, time list {listed}")
        with transaction.atomic():
            for booked in range(shown):
                offered = free_slots_on(center, vaccines, day)
                if not offered:
                    problems.append(f"{day}: shown {shown} free, no time left after {booked}")
                    break
                slot = offered[0]
                try:
                    book_series(person=new_person(), slot=slot, request_token=uuid.uuid4())
                except BookingError as error:
                    problems.append(
                        f"{day}: shown {shown} free, booking {booked + 1} "
                        f"(slot {slot.pk} at {timezone.localtime(slot.starts_at):%H:%M}) "
                        f"refused: {type(error).__name__}: {error}"
                    )
                    break
            else:
                still = dict(free_days(center, vaccines)).get(day)
                if still:
                    problems.append(f"{day}: {still} still shown free after {shown} bookings")
            transaction.set_rollback(True)
    return problems


def posted_time_problems(center: Center, vaccines: Sequence[Vaccine]) -> list[str]:
    """Invariant 1 too: the booking POST's check of a posted time
    (``posted_free_time``, its own SQL) accepts exactly the times ``bookable()`` lists, first
    and second doses alike, and hands the booking the right second dose."""
    problems = []
    bookable = set(
        Slot.objects.bookable()
        .filter(center=center, vaccine__in=vaccines)
        .values_list("pk", flat=True)
    )
    for slot in Slot.objects.upcoming().filter(center=center):
        day = timezone.localdate(slot.starts_at)
        found = posted_free_time(center, vaccines, day, str(slot.pk))
        if (found is not None) != (slot.pk in bookable):
            problems.append(
                f"posted slot {slot.pk} (dose {slot.dose}): accepted {found is not None}, "
                f"bookable {slot.pk in bookable}"
            )
        elif found and found.second_dose_slot_id != slot.second_dose_slot_id:
            problems.append(f"posted slot {slot.pk}: wrong second dose {found.second_dose_slot}")
        elif found and getattr(found.second_dose_slot, "pk", None) != slot.second_dose_slot_id:
            problems.append(f"posted slot {slot.pk}: the second dose in hand is another slot")
    return problems


def dose_problems() -> list[str]:
    """Invariant 2: a first dose only in a first-dose seat, a second dose only in a
    second-dose seat; an offer holds a first-dose seat and its reserved second dose."""
    problems = [
        f"appointment {a['pk']} (dose {a['dose']}) in slot {a['slot_id']} of dose {a['slot__dose']}"
        for a in Appointment.objects.exclude(slot__dose=F("dose")).values(
            "pk", "dose", "slot_id", "slot__dose"
        )
    ]
    wrong_offers = Offer.objects.filter(
        ~Q(first_slot__dose=Slot.Dose.FIRST)
        | ~Q(second_slot__dose=Slot.Dose.SECOND)
        | ~Q(second_slot_id=F("first_slot__second_dose_slot_id"))
    )
    problems.extend(
        f"offer {o['pk']}: first slot {o['first_slot_id']} (dose {o['first_slot__dose']}), "
        f"second slot {o['second_slot_id']} (dose {o['second_slot__dose']}), "
        f"reserved {o['first_slot__second_dose_slot_id']}"
        for o in wrong_offers.values(
            "pk",
            "first_slot_id",
            "first_slot__dose",
            "second_slot_id",
            "second_slot__dose",
            "first_slot__second_dose_slot_id",
        )
    )
    return problems


def seat_problems() -> list[str]:
    """Invariant 3: every slot's counter is its booked and attended appointments
    plus the open offers holding a seat in it plus its seats held for the hotline,
    with 0 <= hotline_held <= booked <= capacity; and each held series is a pair:
    a second-dose slot holds exactly what its first-dose slots hold (issue 19)."""
    held: Counter[int] = Counter()
    for first, second in Offer.objects.filter(status=Offer.Status.OPEN).values_list(
        "first_slot_id", "second_slot_id"
    ):
        held[first] += 1
        held[second] += 1
    taken = Counter(
        Appointment.objects.filter(status__in=HOLDING).values_list("slot_id", flat=True)
    )
    held_by_firsts: Counter[int] = Counter()
    for second_id, hotline_held in Slot.objects.first_doses().values_list(
        "second_dose_slot_id", "hotline_held"
    ):
        held_by_firsts[second_id] += hotline_held
    problems = []
    for slot in Slot.objects.order_by("starts_at", "dose"):
        expected = taken[slot.pk] + held[slot.pk] + slot.hotline_held
        if (
            slot.booked != expected
            or slot.booked > slot.capacity
            or not 0 <= slot.hotline_held <= slot.booked
        ):
            problems.append(
                f"slot {slot.pk} (dose {slot.dose}, "
                f"{timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}): booked={slot.booked} "
                f"capacity={slot.capacity}, appointments={taken[slot.pk]} held={held[slot.pk]} "
                f"hotline={slot.hotline_held}"
            )
        if not slot.is_first_dose and slot.hotline_held != held_by_firsts[slot.pk]:
            problems.append(
                f"second-dose slot {slot.pk} holds {slot.hotline_held} for the hotline, "
                f"its first-dose slots {held_by_firsts[slot.pk]}"
            )
    return problems


def series_problems() -> list[str]:
    """Invariant 4: an active series has its first dose (booked or given) and its
    second dose booked or given, or awaits a second-dose seat with its second
    dose cancelled; a series that ended holds no booked appointment."""
    problems = []
    for series in Series.objects.prefetch_related("appointments").order_by("pk"):
        by_dose = {a.dose: a.status for a in series.appointments.all()}
        if series.status == Series.Status.ACTIVE:
            first, second = by_dose.get(1), by_dose.get(2)
            awaiting = series.awaiting_second_dose_since is not None
            if first not in HOLDING:
                problems.append(f"active series {series.pk}: first dose {first}")
            # Awaiting a seat: its day was cancelled, or the person did not come.
            if awaiting and second not in (Status.CANCELLED, Status.NO_SHOW):
                problems.append(f"series {series.pk} awaits a second dose but has one: {second}")
            if not awaiting and second not in HOLDING:
                problems.append(f"active series {series.pk}: second dose {second}, not awaiting")
        elif series.status == Series.Status.CANCELLED and Status.BOOKED in by_dose.values():
            problems.append(f"cancelled series {series.pk} still has booked appointments")
    return problems


def stats_problems() -> list[str]:
    """Invariant 5: ``rebuild_stats --check`` finds no difference, and no daily
    figure (summed over its shards) is negative."""
    problems = []
    out = StringIO()
    try:
        call_command("rebuild_stats", "--check", stdout=out)
    except CommandError as error:
        problems.append(f"rebuild_stats --check: {error}\n{out.getvalue()}")
    negative = (
        DailyCounter.objects.values("day", "metric", "center_id", "district_id")
        .annotate(total=Sum("value"))
        .filter(total__lt=0)
        .order_by("day", "metric")
    )
    problems.extend(f"negative figure: {row}" for row in negative)
    return problems


def all_problems(
    center: Center, vaccines: Sequence[Vaccine], new_person: Callable[[], Person]
) -> dict[str, list[str]]:
    found = {
        "1 bookable days": bookable_day_problems(center, vaccines, new_person),
        "2 dose of seats": dose_problems(),
        "3 seat counters": seat_problems(),
        "4 series": series_problems(),
        "5 statistics": stats_problems(),
    }
    return {name: problems for name, problems in found.items() if problems}
