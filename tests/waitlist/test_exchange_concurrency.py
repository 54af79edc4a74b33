"""The exchange under fire, for real: threads on PostgreSQL.

A storm of cancellations (each running the exchange inside its transaction),
accepts and declines through the pages, expiries and sweeps by "workers", all
at once. Afterwards: no seat held twice, no entry served twice, every slot's
counter equal to its bookings plus open offers, and nobody passed over.

The negative control shows that the checks catch a double offer: with the
claim's ``FOR UPDATE SKIP LOCKED`` replaced by a plain read (and the database's
"one open offer per entry" constraint, the second line of defence, dropped for
that test), concurrent cancellations offer the same person several seats.
"""

import random
import threading
import time
from collections import Counter
from datetime import timedelta
from queue import Empty, Queue

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.services import cancel_series
from sms.models import Message
from tests import factories
from tests.waitlist.helpers import book, link_of, make_entry, offer_problems, seat_problems
from waitlist import exchange, offers
from waitlist.errors import WaitlistError
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db(transaction=True)

SLOTS = 6
WAITING = 18
WORKERS = 6
# Eight accepts: on a busy machine about half of them find their offer ended by
# another thread first (refused, as they must be); with four, all four were once
# refused in CI and the check that the storm mixed every kind of answer failed.
ANSWERS = {"accept": 8, "decline": 10, "expire": 10, "sweep": 4}


def build_scene():
    """SLOTS full one-seat slots, each at its own center of one district (cancelling
    locks the series' center row, so cancellations at one center queue up), roomy
    second doses, and WAITING district-wide entries."""
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    district = factories.make_district()
    day = factories.days_ahead(3)
    firsts = []
    for number in range(SLOTS):
        center = factories.make_center(f"Impfzentrum {number}", district=district)
        at = factories.local_datetime(day, 8 + number)
        firsts.append(factories.make_slot(center, vaccine, at, capacity=1))
        factories.make_slot(center, vaccine, at + timedelta(days=21), capacity=WAITING + SLOTS)
    series = [
        book(factories.make_person(first_name=f"Booked{n}"), slot) for n, slot in enumerate(firsts)
    ]
    now = timezone.now()
    entries = [
        make_entry(
            factories.make_person(first_name=f"Waiting{n}"),
            district=district,
            rank=2 if n % 3 == 0 else 1,
            joined_at=now - timedelta(minutes=WAITING - n),
        )
        for n in range(WAITING)
    ]
    return series, entries


def cancel_all_at_once(series_list) -> list[BaseException]:
    """Each series cancelled by its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(series_list))
    errors: list[BaseException] = []

    def cancel(series):
        try:
            barrier.wait()
            cancel_series(household=series.person.household, booking_code=series.booking_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(s,)) for s in series_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def answer_storm(seed: int) -> tuple[Counter, list[BaseException]]:
    """WORKERS threads take actions from one queue: accepts and declines through the
    pages, expiries and sweeps as a worker would run them, all against each other and
    against the exchange that every ended offer triggers."""
    actions: Queue = Queue()
    kinds = [kind for kind, count in ANSWERS.items() for _ in range(count)]
    random.Random(seed).shuffle(kinds)
    for kind in kinds:
        actions.put(kind)
    outcomes: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def act(kind: str, rng: random.Random) -> str:
        if kind == "sweep":
            offers.sweep()
            return "swept"
        # Wait up to 5 s for an open offer: on a loaded machine the pass-on of
        # other threads' answers can take a while to commit.
        for _attempt in range(250):
            candidates = list(Offer.objects.filter(status=Offer.Status.OPEN))
            if candidates:
                break
            time.sleep(0.02)
        else:
            return "no open offer"
        offer = rng.choice(candidates)
        if kind == "expire":
            Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN).update(
                deadline=timezone.now() - timedelta(seconds=1)
            )
            return "expired" if offers.expire_offer(offer_id=offer.pk) else "expire lost"
        _path, token = link_of(offer)
        response = Client().post(reverse(f"waitlist:{kind}", args=[offer.pk, token]))
        done = {"accept": "accepted", "decline": "declined"}[kind]
        return done if response.status_code == 302 else f"{kind} refused"

    def worker(number: int):
        rng = random.Random(seed * 100 + number)
        try:
            while True:
                try:
                    kind = actions.get_nowait()
                except Empty:
                    return
                try:
                    outcome = act(kind, rng)
                except WaitlistError:
                    outcome = f"{kind} refused"
                with lock:
                    outcomes[outcome] += 1
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, errors


def passed_over() -> list[int]:
    """Entries never offered anything although someone behind them was: the entries
    ever offered must be a prefix of the queue (all entries here match every seat)."""
    ever_offered = set(Offer.objects.values_list("entry_id", flat=True))
    queue = Entry.objects.order_by("priority_rank", "joined_at", "pk").values_list("pk", flat=True)
    skipped, seen_gap = [], []
    for pk in queue:
        if pk not in ever_offered:
            seen_gap.append(pk)
        elif seen_gap:
            skipped.extend(seen_gap)
            seen_gap = []
    return skipped


def test_a_storm_of_cancellations_answers_and_expiries_keeps_every_invariant():
    series, _entries = build_scene()

    errors = cancel_all_at_once(series)
    assert errors == []
    # Each cancelled seat went to a different person, the first SLOTS in line.
    first_round = list(Offer.objects.values_list("entry_id", flat=True))
    assert len(first_round) == len(set(first_round)) == SLOTS
    assert passed_over() == []

    outcomes, errors = answer_storm(seed=2021)
    assert errors == []
    offers.sweep()

    assert seat_problems() == []
    assert offer_problems() == []
    assert passed_over() == []
    offer_keys = {f"offer:{pk}" for pk in Offer.objects.values_list("pk", flat=True)}
    assert offer_keys <= set(Message.objects.values_list("idempotency_key", flat=True))
    # The stream really mixed every kind of answer.
    assert outcomes["accepted"] > 0, outcomes
    assert outcomes["declined"] > 0, outcomes
    assert outcomes["expired"] > 0, outcomes
    statuses = Counter(Offer.objects.values_list("status", flat=True))
    assert statuses[Offer.Status.ACCEPTED] == outcomes["accepted"]
    assert statuses[Offer.Status.ACCEPTED] + statuses[Offer.Status.OPEN] <= SLOTS


def naive_claim(queue):
    """The claim without SKIP LOCKED (nor any lock): read the first in line, think, use it."""
    entry = queue.first()
    time.sleep(0.2)
    return entry


def test_negative_control_without_skip_locked_one_person_gets_several_seats(monkeypatch):
    series, _entries = build_scene()
    monkeypatch.setattr(exchange, "claim_next_entry", naive_claim)
    constraint = next(c for c in Offer._meta.constraints if c.name == "one_open_offer_per_entry")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Offer, constraint)
    try:
        errors = cancel_all_at_once(series)
        problems = offer_problems()
        people_offered = Offer.objects.values("entry_id").distinct().count()
    finally:
        Offer.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Offer, constraint)
    assert errors == []
    assert any("served twice" in problem for problem in problems), problems
    assert people_offered < SLOTS  # seats went to one person instead of the next in line


def test_many_clicks_on_accept_book_once():
    series, _entries = build_scene()
    cancel_series(household=series[0].person.household, booking_code=series[0].booking_code)
    offer = Offer.objects.get()
    _path, token = link_of(offer)
    url = reverse("waitlist:accept", args=[offer.pk, token])
    barrier = threading.Barrier(8)
    codes: Counter = Counter()
    lock = threading.Lock()

    def click():
        try:
            barrier.wait()
            status = Client().post(url).status_code
            with lock:
                codes[status] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == {302: 1, 409: 7}
    assert offer.entry.person.series.count() == 1
    assert seat_problems() == []


def race_accept_against_expiry(offer: Offer, accept_delay: float) -> dict:
    """One thread accepts ``accept_delay`` seconds after the start, one expires the
    offer as soon as its deadline (0.1 s after the start) has passed."""
    _path, token = link_of(offer)
    deadline = timezone.now() + timedelta(milliseconds=100)
    Offer.objects.filter(pk=offer.pk).update(deadline=deadline)
    barrier = threading.Barrier(2)
    results: dict[str, str | bool] = {}

    def accept():
        try:
            barrier.wait()
            time.sleep(accept_delay)
            offers.accept_offer(offer_id=offer.pk, token=token)
            results["accept"] = "accepted"
        except WaitlistError as error:
            results["accept"] = type(error).__name__
        finally:
            connection.close()

    def expire():
        try:
            barrier.wait()
            while timezone.now() < deadline:
                time.sleep(0.002)
            results["expire"] = offers.expire_offer(offer_id=offer.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_an_accept_racing_the_expiry_ends_the_offer_exactly_once():
    series, _entries = build_scene()
    for booked, accept_delay in zip(series, (0.06, 0.09, 0.1, 0.11, 0.14), strict=False):
        cancel_series(household=booked.person.household, booking_code=booked.booking_code)
        first_slot = booked.appointments.get(dose=1).slot
        offer = Offer.objects.get(status=Offer.Status.OPEN, first_slot=first_slot)

        results = race_accept_against_expiry(offer, accept_delay)

        offer.refresh_from_db()
        assert offer.status in (Offer.Status.ACCEPTED, Offer.Status.EXPIRED)
        accepted = offer.status == Offer.Status.ACCEPTED
        if accepted:
            assert (results["accept"], results["expire"]) == ("accepted", False)
        else:  # whoever came second found it ended (accept expires an overdue offer itself)
            assert results["accept"] == "OfferNotOpen"
        assert offer.entry.person.series.exists() == accepted
        assert seat_problems() == []
        assert offer_problems() == []
