"""Issue 15, "Seats that know their dose": a hypothesis state machine on PostgreSQL.

One center, two vaccines (second dose after 2 and 3 days, so that one release's
second-dose times meet the next release's first-dose times), a clock moved by hand
(``tests/invariants/clock.py``), and every public service a resident or staff member
uses: releases (some with a share held for the hotline, issue 19), bookings by
residents and by hotline agents, the end of the hotline's hold, the waiting list's
offers (accepted, declined, expired, undeliverable), cancellations, check-in,
no-shows, closing and cancelling days, delivery corrections, and a forged post of a
second-dose seat as a first dose. After every step the five invariants of
``tests/invariants/checks.py`` must hold.

Each example runs in a savepoint of the test's transaction that is rolled back at its
end; services that lock (FOR UPDATE, SKIP LOCKED) see one connection, which is all a
sequential machine needs. The concurrency of the same services is tested elsewhere
(tests/waitlist/test_exchange_concurrency.py, tests/booking/test_booking_concurrency.py).

Negative control (b): the same machine adapted to the code before the change (c79d61b:
no ``dose``/``second_dose_slot``; invariant 1 only, for the days released as first-dose
days of a vaccine), run in a scratch worktree, finds the Nordhorn case (40 examples):

    state.release(hour=8, lanes=1, offset=1, times=1, vaccine=0)  # Kurz 04.03. 08:00
    state.release(hour=8, lanes=1, offset=3, times=1, vaccine=0)  # Kurz 06.03. 08:00
    AssertionError: 2031-03-06 (Kurz): shown 2 free, booking 2 (slot 926 at 08:00)
      refused: SecondDoseUnavailable: ... 2 Tage später keinen freien Termin ...

06.03. 08:00 was one slot holding 04.03.'s reserved second dose and 06.03.'s own first
dose: both shown free; the first booking took 04.03.'s second dose, leaving 04.03.
listed but unbookable. Without the restriction to released days it fails even sooner:
one release lists its second-dose day as free first doses.
"""

import os
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from booking import selectors as booking_selectors
from booking.errors import BookingError, SlotTaken
from booking.models import Appointment, Person, Series
from booking.selectors import free_days, free_slots_on, posted_free_time
from booking.services import book_series, cancel_series
from booking.staff import cancel_day, check_in, close_day, mark_no_show
from centers.errors import CenterError
from centers.hotline_hold import end_due_hotline_holds
from centers.models import Center, Delivery, Slot, SlotQuerySet, Vaccine
from centers.release import ReleaseRequest, plan_release, release_slots
from centers.stock import check_delivery_reduction, stock_for
from sms.models import Message
from sms.outbox import dispatch_due
from stats.models import DailyCounter
from tests import factories
from tests.invariants import checks
from tests.invariants.clock import FakeClock, fake_clock
from tests.waitlist.helpers import link_of
from waitlist import offers
from waitlist.errors import WaitlistError
from waitlist.models import Entry, Offer
from waitlist.services import join_waitlist

pytestmark = pytest.mark.django_db

# A Monday morning, fixed: the same weekdays, days and hours on every run.
START = datetime(2031, 3, 3, 7, 30, tzinfo=ZoneInfo("Europe/Berlin"))
DOSES = 24  # per vaccine: a handful of releases, then the stock runs out
Status = Appointment.Status


def new_person() -> Person:
    """Someone of the opened group (80 and older), in a household of their own."""
    return factories.make_person()


def tell(what: str, kind: str) -> None:
    """Say what a step did (printed with a falsifying example; counted as an event)."""
    if currently_in_test_context():
        note(what)
        event(kind)


def nth(items: list, index: int):
    return items[index % len(items)]


class Clocked:
    """The clock of the running test (set by the test, read by the machine)."""

    clock: FakeClock


class DoseSeats(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        Clocked.clock.reset()
        self._example = transaction.atomic()
        self._example.__enter__()
        district = factories.make_district(postal_codes=[("30159", "Hannover")])
        self.center = factories.make_center(district=district)
        self.vaccines = [
            factories.make_vaccine("Kurz", interval_days=2),
            factories.make_vaccine("Lang", interval_days=3),
        ]
        factories.open_group(vaccines=self.vaccines)
        for vaccine in self.vaccines:
            factories.make_delivery(self.center, vaccine, doses=DOSES)
        self.staff = get_user_model().objects.create_user(
            "impfzentrum", password="x", is_staff=True
        )

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------

    @property
    def today(self):
        return timezone.localdate()

    def _person(self, who: int, *, waiting_too: bool = True) -> Person:
        """An existing person free to book (or join), or a new one."""
        free = Person.objects.exclude(series__status=Series.Status.ACTIVE)
        if not waiting_too:
            free = free.exclude(waitlist_entries__status__in=Entry.ACTIVE)
        candidates = list(free.order_by("pk").distinct())
        if who < len(candidates):
            return candidates[who]
        return new_person()

    def _open_offers(self) -> list[Offer]:
        return list(
            Offer.objects.filter(status=Offer.Status.OPEN)
            .select_related("first_slot", "second_slot")
            .order_by("pk")
        )

    def _day(self, slot: Slot) -> str:
        return f"{timezone.localtime(slot.starts_at):%d.%m. %H:%M} ({slot.vaccine.name})"

    # --- staff: releases and deliveries --------------------------------------

    @rule(
        vaccine=st.integers(0, 1),
        offset=st.integers(1, 5),
        hour=st.sampled_from([8, 9, 14]),
        times=st.integers(1, 2),
        lanes=st.integers(1, 2),
        hotline=st.sampled_from([0, 0, 50, 100]),
    )
    def release(
        self, vaccine: int, offset: int, hour: int, times: int, lanes: int, hotline: int = 0
    ) -> None:
        """A small release a few days ahead (hourly times from ``hour``), with
        ``hotline`` percent held for the hotline for 3 hours."""
        day = self.today + timedelta(days=offset)
        request = ReleaseRequest(
            center=self.center,
            vaccine=self.vaccines[vaccine],
            first_day=day,
            last_day=day,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(hour),
            closes_at=time(hour + times),
            interval_minutes=60,
            lanes=lanes,
            hotline_share=hotline,
            hotline_hours=3 if hotline else 0,
        )
        try:
            plan = plan_release(request)
            release_slots(request=request, fingerprint=plan.fingerprint, by=self.staff)
        except CenterError as error:
            tell(f"release {day} {hour}:00 refused: {error}", "release refused")
        else:
            tell(
                f"released {self.vaccines[vaccine]} {day} {hour}:00 x{times}, {lanes} lanes, "
                f"{hotline} % for the hotline",
                "released" if not hotline else "released with a hotline share",
            )

    @initialize(
        offset=st.integers(1, 3),
        hour=st.sampled_from([8, 14]),
        lanes=st.integers(1, 2),
        bookings=st.integers(0, 2),
        hotline=st.sampled_from([0, 50, 100]),
    )
    def first_releases(
        self, offset: int, hour: int, lanes: int, bookings: int, hotline: int
    ) -> None:
        """Every example starts with appointments of both vaccines, some booked
        (the first release may hold a share for the hotline)."""
        self.release(vaccine=0, offset=offset, hour=hour, times=2, lanes=lanes, hotline=hotline)
        self.release(vaccine=1, offset=4 - offset, hour=9, times=1, lanes=lanes)
        for who in range(bookings):
            self.book(day=who, slot=who, who=99)

    @rule(vaccine=st.integers(0, 1), too_far=st.booleans())
    def correct_delivery(self, vaccine: int, too_far: bool) -> None:
        """Reduce a delivery as far as ``check_delivery_reduction`` allows (as the admin's
        form does); one dose further must be refused."""
        delivery = (
            Delivery.objects.filter(center=self.center, vaccine=self.vaccines[vaccine])
            .order_by("-doses", "pk")
            .first()
        )
        if delivery is None:
            return
        available = stock_for(center_id=self.center.pk, vaccine_id=delivery.vaccine_id).available
        least = max(1, delivery.doses - max(available, 0))
        if too_far and least > 1:
            with pytest.raises(CenterError), transaction.atomic():
                check_delivery_reduction(delivery=delivery, doses=least - 1)
        if least < delivery.doses:
            with transaction.atomic():
                check_delivery_reduction(delivery=delivery, doses=least)
                delivery.doses = least
                delivery.save()
            tell(f"delivery {delivery.pk} reduced to {least}", "delivery reduced")

    @rule(vaccine=st.integers(0, 1), doses=st.sampled_from([4, 12]))
    def deliver(self, vaccine: int, doses: int) -> None:
        factories.make_delivery(self.center, self.vaccines[vaccine], doses=doses)

    # --- residents -----------------------------------------------------------

    @rule(day=st.integers(0, 7), slot=st.integers(0, 3), who=st.integers(0, 3))
    def book(self, day: int, slot: int, who: int) -> None:
        """An eligible person books a time the portal shows as free: must succeed."""
        days = free_days(self.center, self.vaccines)
        if not days:
            tell("nothing free to book", "book: nothing free")
            return
        chosen_day, _free = nth(days, day)
        shown = free_slots_on(self.center, self.vaccines, chosen_day)
        assert shown, f"{chosen_day} is shown as free but lists no time"
        chosen = nth(shown, slot)
        person = self._person(who)
        series = book_series(person=person, slot=chosen, request_token=uuid.uuid4())
        tell(f"person {person.pk} booked {self._day(chosen)} ({series.booking_code})", "booked")

    @rule(slot=st.integers(0, 3), who=st.integers(0, 3))
    def agent_books(self, slot: int, who: int) -> None:
        """A hotline agent books a time the console offers (held or free): must succeed,
        and takes a held seat where the time has one."""
        offered = list(
            Slot.objects.bookable_by_hotline()
            .filter(center=self.center)
            .select_related("vaccine", "center", "second_dose_slot")
            .order_by("starts_at", "pk")
        )
        if not offered:
            tell("nothing for the hotline to book", "agent: nothing to book")
            return
        chosen = nth(offered, slot)
        held_before = chosen.hotline_held
        person = self._person(who)
        series = book_series(person=person, slot=chosen, request_token=uuid.uuid4(), hotline=True)
        chosen.refresh_from_db()
        assert chosen.hotline_held == max(held_before - 1, 0), "a held seat was left for later"
        tell(
            f"agent booked {self._day(chosen)} for person {person.pk} ({series.booking_code})",
            "agent booked a held seat" if held_before else "agent booked a free seat",
        )

    @rule()
    def hotline_holds_end(self) -> None:
        """The task at the end of a hold (again, or the sweep): what is due goes back."""
        if given := end_due_hotline_holds():
            tell(f"{given} seats held for the hotline given back", "hotline hold ended")

    @rule(which=st.integers(0, 3))
    def cancel(self, which: int) -> None:
        active = list(
            Series.objects.filter(status=Series.Status.ACTIVE)
            .select_related("person__household")
            .order_by("pk")
        )
        if not active:
            return
        series = nth(active, which)
        cancel_series(household=series.person.household, booking_code=series.booking_code)
        tell(f"series {series.booking_code} cancelled", "cancelled")

    @rule(who=st.integers(0, 3))
    def join(self, who: int) -> None:
        """Join the center's waiting list (free seats are offered at once)."""
        person = self._person(who, waiting_too=False)
        join_waitlist(person=person, center=self.center)
        tell(f"person {person.pk} joined the waiting list", "joined")

    @rule(which=st.integers(0, 3))
    def accept(self, which: int) -> None:
        """Book through an offer (refused when it is overdue or its time has begun)."""
        open_offers = self._open_offers()
        if not open_offers:
            return
        offer = nth(open_offers, which)
        _path, token = link_of(offer)
        try:
            offers.accept_offer(offer_id=offer.pk, token=token)
        except WaitlistError as error:
            tell(f"offer {offer.pk} not accepted: {error}", "accept refused")
        else:
            tell(f"offer {offer.pk} of {self._day(offer.first_slot)} accepted", "accepted")

    @rule(which=st.integers(0, 3))
    def decline(self, which: int) -> None:
        open_offers = self._open_offers()
        if not open_offers:
            return
        offer = nth(open_offers, which)
        _path, token = link_of(offer)
        offers.decline_offer(offer_id=offer.pk, token=token)
        tell(f"offer {offer.pk} declined", "declined")

    @rule()
    def send_messages(self) -> None:
        """The SMS dispatcher runs: offers' deadlines start (or a late one is dropped)."""
        if sent := dispatch_due(limit=100):
            tell(f"{sent} text messages sent", "messages sent")

    @rule()
    def sweep(self) -> None:
        """The waiting list's sweep: overdue offers expire, undelivered ones pass on."""
        counts = offers.sweep()
        if counts["expired"] or counts["undelivered"]:
            tell(f"sweep: {counts}", "offers expired or undelivered")

    @rule(
        step=st.sampled_from(
            [timedelta(minutes=45), timedelta(hours=3), timedelta(hours=10), timedelta(days=1)]
        )
    )
    def time_passes(self, step: timedelta) -> None:
        Clocked.clock.advance(step)
        tell(f"now {timezone.localtime():%d.%m. %H:%M}", "time passed")
        # The worker runs the task that fell due: the end of the hotline's holds.
        self.hotline_holds_end()

    # --- staff: the day list -------------------------------------------------

    def _appointments(self, **filters) -> list[Appointment]:
        return list(
            Appointment.objects.filter(**filters)
            .select_related("slot__vaccine")
            .order_by("slot__starts_at", "pk")
        )

    @rule(which=st.integers(0, 3))
    def check_in(self, which: int) -> None:
        """Check in someone booked (or marked as not come) from their day on."""
        _start, end = _day_bounds(self.today)
        due = self._appointments(
            status__in=[Status.BOOKED, Status.NO_SHOW], slot__starts_at__lt=end
        )
        if not due:
            return
        appointment = nth(due, which)
        try:
            check_in(appointment_ids=[appointment.pk], by=self.staff)
        except BookingError as error:  # a no-show's seat given away, or rebooked since
            tell(f"check-in of {appointment.pk} refused: {error}", "check-in refused")
        else:
            tell(
                f"dose {appointment.dose} of {self._day(appointment.slot)} checked in", "checked in"
            )

    @rule(which=st.integers(0, 3))
    def no_show(self, which: int) -> None:
        begun = self._appointments(status=Status.BOOKED, slot__starts_at__lte=timezone.now())
        if not begun:
            return
        appointment = nth(begun, which)
        mark_no_show(appointment_ids=[appointment.pk], by=self.staff)
        tell(f"dose {appointment.dose} of {self._day(appointment.slot)} not come", "no-show")

    @rule(back=st.integers(0, 2))
    def close_day(self, back: int) -> None:
        day = self.today - timedelta(days=back)
        try:
            closed = close_day(center=self.center, day=day, by=self.staff)
        except BookingError as error:  # the day is not over yet
            tell(f"closing {day} refused: {error}", "close refused")
        else:
            tell(f"{day} closed: {closed} not come", "day closed")

    @rule(ahead=st.integers(0, 6), vaccine=st.sampled_from([None, 0, 1]))
    def cancel_day(self, ahead: int, vaccine: int | None) -> None:
        day = self.today + timedelta(days=ahead)
        only = None if vaccine is None else self.vaccines[vaccine]
        start, end = _day_bounds(day)
        held = Slot.objects.filter(
            Q(starts_at__gte=start, starts_at__lt=end)
            | Q(second_dose_slot__starts_at__gte=start, second_dose_slot__starts_at__lt=end),
            center=self.center,
            hotline_held__gt=0,
        ).exists()
        cancelled = cancel_day(center=self.center, day=day, vaccine=only, by=self.staff)
        tell(
            f"{day} ({only or 'all vaccines'}) cancelled: {cancelled.people} people",
            "day with seats held for the hotline cancelled" if held else "day cancelled",
        )

    # --- a forged post -------------------------------------------------------

    @rule(which=st.integers(0, 3))
    def forge_second_dose_as_first(self, which: int) -> None:
        """The id of a reserved second-dose seat posted as a first-dose time: refused by
        the time page's lookup and by the booking itself, and nothing changes."""
        seconds = list(
            Slot.objects.second_doses()
            .upcoming()
            .filter(center=self.center)
            .select_related("vaccine", "center")
            .order_by("starts_at", "pk")
        )
        if not seconds:
            return
        second = nth(seconds, which)
        person = new_person()
        before = snapshot()
        found = posted_free_time(
            self.center, self.vaccines, timezone.localdate(second.starts_at), str(second.pk)
        )
        assert found is None, f"the booking's check accepts second-dose slot {second.pk}"
        with pytest.raises(SlotTaken):
            book_series(person=person, slot=second, request_token=uuid.uuid4())
        assert snapshot() == before
        tell(f"forged first dose in second-dose slot {self._day(second)} refused", "forged refused")

    @rule(which=st.integers(0, 3))
    def forge_held_time(self, which: int) -> None:
        """A resident posts a time whose only seats are held for the hotline: refused
        as a taken time, and nothing changes."""
        held = list(
            Slot.objects.first_doses()
            .upcoming()
            .filter(center=self.center, hotline_held__gt=0, booked=F("capacity"))
            .select_related("vaccine", "center", "second_dose_slot")
            .order_by("starts_at", "pk")
        )
        if not held:
            return
        slot = nth(held, which)
        before = snapshot()
        with pytest.raises(SlotTaken):
            book_series(person=new_person(), slot=slot, request_token=uuid.uuid4())
        assert snapshot() == before
        tell(f"resident's post of held time {self._day(slot)} refused", "held time refused")

    # --- after every step ----------------------------------------------------

    @invariant()
    def the_invariants_hold(self) -> None:
        problems = checks.all_problems(self.center, self.vaccines, new_person)
        assert not problems, "\n".join(
            f"invariant {name}: {problem}" for name, found in problems.items() for problem in found
        )


def _day_bounds(day):
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def snapshot() -> tuple:
    """Everything a booking would change."""
    return (
        list(
            Slot.objects.order_by("pk").values_list(
                "pk", "booked", "capacity", "withdrawn", "hotline_held"
            )
        ),
        Appointment.objects.count(),
        Series.objects.count(),
        list(Offer.objects.order_by("pk").values_list("pk", "status")),
        Message.objects.count(),
        DailyCounter.objects.aggregate(total=Sum("value"))["total"],
    )


MACHINE_SETTINGS = settings(
    # More for a longer hunt: INVARIANT_EXAMPLES=500 pytest tests/invariants
    max_examples=int(os.environ.get("INVARIANT_EXAMPLES", "20")),
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_seat_invariants_hold_through_every_service():
    with fake_clock(START) as clock:
        Clocked.clock = clock
        run_state_machine_as_test(DoseSeats, settings=MACHINE_SETTINGS)


# --- negative control (a): the checks catch a broken state -------------------


@pytest.fixture
def booked_center():
    """Erna booked into a first-dose seat of 04.03., with her second dose on 06.03."""
    with fake_clock(START):
        district = factories.make_district(postal_codes=[("30159", "Hannover")])
        center = factories.make_center(district=district)
        vaccine = factories.make_vaccine("Kurz", interval_days=2)
        factories.open_group(vaccines=[vaccine])
        factories.make_delivery(center, vaccine, doses=10)
        day = START.date() + timedelta(days=1)
        request = ReleaseRequest(
            center=center,
            vaccine=vaccine,
            first_day=day,
            last_day=day,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(8),
            closes_at=time(9),
            interval_minutes=60,
            lanes=2,
        )
        staff = get_user_model().objects.create_user("impfzentrum", password="x")
        release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=staff)
        first = Slot.objects.select_related("vaccine", "center", "second_dose_slot").get(
            dose=Slot.Dose.FIRST
        )
        series = book_series(person=new_person(), slot=first, request_token=uuid.uuid4())
        yield center, vaccine, first, series


def _problems(center: Center, vaccine: Vaccine) -> dict[str, list[str]]:
    return checks.all_problems(center, [vaccine], new_person)


def test_negative_control_the_checks_pass_on_a_sound_state(booked_center):
    center, vaccine, _first, _series = booked_center
    with fake_clock(START):
        assert _problems(center, vaccine) == {}


def test_negative_control_a_first_dose_in_a_second_dose_seat_is_caught(booked_center):
    center, vaccine, first, series = booked_center
    assert first.second_dose_slot is not None
    Appointment.objects.filter(series=series, dose=1).update(slot=first.second_dose_slot)
    with fake_clock(START):
        problems = _problems(center, vaccine)
    assert any("(dose 1) in slot" in p for p in problems["2 dose of seats"]), problems
    assert "3 seat counters" in problems


def test_negative_control_a_bumped_counter_is_caught(booked_center):
    center, vaccine, first, _series = booked_center
    Slot.objects.filter(pk=first.pk).update(booked=F("booked") + 1)
    with fake_clock(START):
        problems = _problems(center, vaccine)
    assert list(problems) == ["3 seat counters"], problems


def test_negative_control_a_day_shown_free_that_cannot_be_booked_is_caught(
    booked_center, monkeypatch
):
    """The Nordhorn case: the second-dose seat reserved for a free first-dose seat is
    taken (here: by hand). With "free" defined as before the change (a first-dose
    seat of its own), the day is still shown, and booking it is refused."""
    center, vaccine, first, _series = booked_center
    assert first.second_dose_slot is not None
    Slot.objects.filter(pk=first.second_dose_slot_id).update(capacity=F("booked"))
    with fake_clock(START):
        assert checks.bookable_day_problems(center, [vaccine], new_person) == []
        monkeypatch.setattr(
            SlotQuerySet,
            "with_free_series",
            lambda self: self.first_doses().filter(booked__lt=F("capacity")),
        )
        monkeypatch.setattr(
            SlotQuerySet,
            "with_free_appointments",
            lambda self: self.annotate(free_appointments=F("capacity") - F("booked")),
        )
        # The time list's query is compiled once per process (CompiledQuery): the
        # weakened definition needs a new one (the kept ones come back afterwards).
        monkeypatch.setattr(booking_selectors, "_FREE_ON_DAY", {})
        problems = checks.bookable_day_problems(center, [vaccine], new_person)
    assert any("refused: SlotTaken" in p for p in problems), problems


def test_negative_control_a_posted_time_accepted_without_its_second_dose_is_caught(
    booked_center, monkeypatch
):
    """The booking POST's own SQL for the posted time, weakened to forget the
    reserved second dose: a first-dose time whose second dose is full would be
    accepted, and the invariant check says so."""
    center, vaccine, first, _series = booked_center
    Slot.objects.filter(pk=first.second_dose_slot_id).update(capacity=F("booked"))
    with fake_clock(START):
        assert checks.posted_time_problems(center, [vaccine]) == []
        monkeypatch.setattr(
            booking_selectors,
            "_POSTED_FREE_TIME",
            booking_selectors._POSTED_FREE_TIME.replace(
                "AND reserved.booked < reserved.capacity", ""
            ),
        )
        problems = checks.posted_time_problems(center, [vaccine])
    assert problems == [f"posted slot {first.pk} (dose 1): accepted True, bookable False"]


def test_negative_control_an_active_series_without_its_second_dose_is_caught(booked_center):
    center, vaccine, _first, series = booked_center
    Appointment.objects.filter(series=series, dose=2).update(status=Status.CANCELLED)
    with fake_clock(START):
        problems = _problems(center, vaccine)
    assert any("not awaiting" in p for p in problems["4 series"]), problems


def test_negative_control_a_lost_counter_is_caught(booked_center):
    center, vaccine, _first, _series = booked_center
    DailyCounter.objects.filter(metric="booked").delete()
    with fake_clock(START):
        problems = _problems(center, vaccine)
    assert list(problems) == ["5 statistics"], problems


# --- issue 19: seats held for the hotline ----------------------------------------


@pytest.fixture
def held_center():
    """A release of 04.03. 08:00 (two lanes) held wholly for the hotline for 10 hours."""
    with fake_clock(START):
        district = factories.make_district(postal_codes=[("30159", "Hannover")])
        center = factories.make_center(district=district)
        vaccine = factories.make_vaccine("Kurz", interval_days=2)
        factories.open_group(vaccines=[vaccine])
        factories.make_delivery(center, vaccine, doses=10)
        day = START.date() + timedelta(days=1)
        request = ReleaseRequest(
            center=center,
            vaccine=vaccine,
            first_day=day,
            last_day=day,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(8),
            closes_at=time(9),
            interval_minutes=60,
            lanes=2,
            hotline_share=100,
            hotline_hours=10,
        )
        staff = get_user_model().objects.create_user("impfzentrum", password="x")
        release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=staff)
        yield center, vaccine


def test_negative_control_the_checks_pass_with_seats_held_for_the_hotline(held_center):
    center, vaccine = held_center
    with fake_clock(START):
        assert _problems(center, vaccine) == {}


def test_negative_control_a_held_seat_without_its_second_dose_is_caught(booked_center):
    """A first-dose seat held for the hotline whose second dose was not held with it."""
    center, vaccine, first, _series = booked_center
    Slot.objects.filter(pk=first.pk).update(
        booked=F("booked") + 1, hotline_held=1, hotline_held_until=START + timedelta(hours=10)
    )
    with fake_clock(START):
        problems = _problems(center, vaccine)
    assert list(problems) == ["3 seat counters"], problems
    assert any(
        "holds 0 for the hotline, its first-dose slots 1" in p for p in problems["3 seat counters"]
    )


def test_negative_control_held_seats_shown_as_free_are_caught(held_center, monkeypatch):
    """With "free" counting seats held for the hotline, the day is shown to residents,
    and their booking is refused."""
    center, vaccine = held_center
    monkeypatch.setattr(
        SlotQuerySet,
        "with_free_series",
        lambda self: self.first_doses().filter(
            booked__lt=F("capacity") + F("hotline_held"),
            second_dose_slot__booked__lt=F("second_dose_slot__capacity")
            + F("second_dose_slot__hotline_held"),
        ),
    )
    monkeypatch.setattr(
        SlotQuerySet,
        "with_free_appointments",
        lambda self: self.annotate(
            free_appointments=F("capacity") - F("booked") + F("hotline_held")
        ),
    )
    monkeypatch.setattr(booking_selectors, "_FREE_ON_DAY", {})  # compiled anew, as above
    with fake_clock(START):
        problems = checks.bookable_day_problems(center, [vaccine], new_person)
    assert any("refused: SlotTaken" in p for p in problems), problems
