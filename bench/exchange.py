"""Benchmark of the waiting-list exchange ("Börse") on PostgreSQL.

    python bench/exchange.py                       # default size, a few minutes
    python bench/exchange.py --entries 100000 --cancellations 1000   # the issue's size

Creates its own database (``impfportal_bench_exchange``, dropped at the end),
loads districts, centers, slots, ``--cancellations`` booked series and
``--entries`` waiting places, runs ANALYZE, then measures two things:

1. Offers. ``--clients`` processes cancel the booked series through
   ``booking.services.cancel_series``. The exchange runs inside each
   cancellation's transaction, so the offer SMS is queued in the very commit
   of the cancellation: "commit to queued" is 0 by construction (measured and
   printed below anyway). The figure reported as ``offer_p99_ms`` is the
   stricter one: from the start of the cancellation request until the offer
   SMS is committed in the outbox (the cancellation including all the
   exchange's work).
2. Passing on. ``--expiries`` of those offers get a short hold; their SMS are
   marked as handed to the provider at ``--rate`` per second (the dispatcher's
   ``messages_sent`` signal, which starts the deadline and schedules the expiry
   task). ``--workers`` real ``db_worker`` processes and one ``waitlist_sweep``
   run as in production. ``passon_p99_ms`` is the time from an offer's deadline
   to the next offer of its first-dose seat being created.

The last line is ``RESULT exchange offer_p99_ms=… passon_p99_ms=…``.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "impfportal_bench_exchange" + os.environ.get("BENCH_DATABASE_SUFFIX", "")
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DISTRICTS = 45
CENTERS = 50
FIRST_DAYS = range(2, 9)  # first doses 2 to 8 days ahead
HOURS = range(8, 18)
BATCH = 5000


def configure() -> None:
    """Production settings against the benchmark database (DEBUG off, no Redis)."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "impfportal.settings",
            "DATABASE_URL": f"{SERVER}/{DB_NAME}",
            "DEBUG": "false",
            "SECRET_KEY": "bench-exchange-" + "x" * 50,
            "SMS_BACKEND": "sms.backends.memory.MemoryBackend",
            "REDIS_URL": "",
            "PORTAL_URL": "https://impfportal.bench.example",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()


def admin_sql(statement: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name}: n={len(values)} p50={percentile(values, 0.5):.1f} ms "
        f"p99={percentile(values, 0.99):.1f} ms max={max(values, default=float('nan')):.1f} ms"
    )


# --- Loading ---------------------------------------------------------------------


def load(entries: int, cancellations: int, seed: int) -> list[tuple[int, str]]:
    """Districts, centers, slots, booked series and waiting places; returns the
    (household id, booking code) of each series to cancel."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from booking.models import Appointment, Household, Person, PriorityGroup, Series
    from booking.models import VaccineOpening as Opening
    from centers.models import Center, District, Slot, Vaccine
    from waitlist.models import ALL_WEEKDAYS, Entry

    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    vaccine = Vaccine.objects.create(name="BioNTech", slug="biontech", second_dose_interval_days=21)
    for rank, age in ((1, 80), (2, 70), (3, 60)):
        group = PriorityGroup.objects.create(name=f"{age} und älter", rank=rank, min_age=age)
        Opening.objects.create(group=group, vaccine=vaccine, scope=Opening.Scope.BOOKING)
    districts = District.objects.bulk_create(
        District(name=f"Landkreis {n}", slug=f"landkreis-{n}") for n in range(DISTRICTS)
    )
    centers = Center.objects.bulk_create(
        Center(
            district=districts[n % DISTRICTS],
            name=f"Impfzentrum {n}",
            slug=f"impfzentrum-{n}",
            street="Hauptstraße 1",
            postal_code="30159",
            town=f"Stadt {n}",
        )
        for n in range(CENTERS)
    )
    today = timezone.localdate()

    def at(day_offset: int, hour: int) -> datetime:
        day = today + timedelta(days=day_offset)
        return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))

    # Each first-dose seat with the second-dose seat reserved for it, 21 days later.
    seconds = Slot.objects.bulk_create(
        Slot(center=c, vaccine=vaccine, starts_at=at(d + 21, h), capacity=1, dose=Slot.Dose.SECOND)
        for c in centers
        for d in FIRST_DAYS
        for h in HOURS
    )
    second_of = {(s.center_id, s.starts_at - timedelta(days=21)): s for s in seconds}
    firsts = Slot.objects.bulk_create(
        Slot(
            center=c,
            vaccine=vaccine,
            starts_at=at(d, h),
            capacity=1,
            second_dose_slot=second_of[(c.pk, at(d, h))],
        )
        for c in centers
        for d in FIRST_DAYS
        for h in HOURS
    )

    booked_slots = rng.sample(firsts, cancellations)
    households = Household.objects.bulk_create(
        (Household(phone=f"+4915{n:09d}") for n in range(cancellations + entries)),
        batch_size=BATCH,
    )
    people = Person.objects.bulk_create(
        (
            Person(
                household=household,
                first_name=f"Vorname{n}",
                last_name="Muster",
                date_of_birth=datetime(1935 + n % 25, 1 + n % 12, 1 + n % 28).date(),
                postal_code="30159",
            )
            for n, household in enumerate(households)
        ),
        batch_size=BATCH,
    )
    series = Series.objects.bulk_create(
        Series(
            person=people[n],
            center_id=slot.center_id,
            vaccine=vaccine,
            booking_code=f"B{n:07d}",
            request_token=uuid.uuid4(),
        )
        for n, slot in enumerate(booked_slots)
    )
    appointments, second_counts = [], Counter[int]()
    for one, slot in zip(series, booked_slots, strict=True):
        second = second_of[(slot.center_id, slot.starts_at)]
        second_counts[second.pk] += 1
        appointments += [
            Appointment(series=one, dose=1, slot=slot),
            Appointment(series=one, dose=2, slot=second),
        ]
    Appointment.objects.bulk_create(appointments, batch_size=BATCH)
    Slot.objects.filter(pk__in=[s.pk for s in booked_slots]).update(booked=1)
    for second in seconds:
        second.booked = second_counts[second.pk]
    Slot.objects.bulk_update(seconds, ["booked"], batch_size=BATCH)

    centers_of = {d.pk: [c for c in centers if c.district_id == d.pk] for d in districts}
    now = timezone.now()
    waiting = []
    for person in people[cancellations:]:
        district = rng.choice(districts)
        waiting.append(
            Entry(
                person=person,
                district=district,
                center=rng.choice(centers_of[district.pk]) if rng.random() < 0.6 else None,
                priority_rank=rng.choice((1, 1, 2, 3)),
                joined_at=now - timedelta(seconds=rng.randrange(30 * 24 * 3600)),
                weekdays=ALL_WEEKDAYS if rng.random() < 0.7 else rng.randrange(1, ALL_WEEKDAYS),
                time_of_day=rng.choice(["any", "any", "any", "morning", "afternoon"]),
            )
        )
    waiting = Entry.objects.bulk_create(waiting, batch_size=BATCH)
    Through = Entry.vaccines.through
    Through.objects.bulk_create(
        (Through(entry_id=entry.pk, vaccine_id=vaccine.pk) for entry in waiting), batch_size=BATCH
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # autovacuum is off on this machine
    return [(one.person.household_id, one.booking_code) for one in series]


# --- Phase 1: cancellations from several clients ---------------------------------


def cancel_chunk(chunk: list[tuple[int, str]]) -> list[tuple[str, float, float]]:
    """One client: cancel each series; (code, start, commit) wall-clock times."""
    from django.db import connections

    from booking.models import Household
    from booking.services import cancel_series

    connections.close_all()
    timings = []
    for household_id, code in chunk:
        household = Household.objects.get(pk=household_id)
        started = time.time()
        cancel_series(household=household, booking_code=code)
        timings.append((code, started, time.time()))
    connections.close_all()
    return timings


def run_cancellations(targets, clients: int) -> tuple[list, float]:
    from django.db import connections

    chunks = [targets[n::clients] for n in range(clients)]
    connections.close_all()  # the children must not share the parent's socket
    context = multiprocessing.get_context("fork")
    started = time.time()
    with context.Pool(clients) as pool:
        results = pool.map(cancel_chunk, chunks)
    return [row for rows in results for row in rows], time.time() - started


def offer_figures(timings) -> dict:
    from booking.models import Appointment
    from sms.models import Message
    from waitlist.models import Offer

    first_slot_of = dict(
        Appointment.objects.filter(dose=1).values_list("series__booking_code", "slot_id")
    )
    offers = {
        offer.first_slot_id: offer
        for offer in Offer.objects.select_related("message").order_by("created_at")
    }
    offer_ms, commit_to_queued_ms, cancel_ms, unmatched = [], [], [], 0
    for code, started, committed in timings:
        cancel_ms.append((committed - started) * 1000)
        offer = offers.get(first_slot_of[code])
        if offer is None:
            unmatched += 1
            continue
        assert offer.message is not None  # every offer is sent as an SMS
        queued = offer.message.created_at.timestamp()
        # Queued inside the cancellation's transaction: committed with it, or later
        # by a background task.
        visible = max(queued, committed)
        commit_to_queued_ms.append((visible - committed) * 1000)
        offer_ms.append((visible - started) * 1000)
    return {
        "offer_ms": offer_ms,
        "commit_to_queued_ms": commit_to_queued_ms,
        "cancel_ms": cancel_ms,
        "unmatched": unmatched,
        "offers": Offer.objects.count(),
        "offer_sms": Message.objects.filter(priority=Message.Priority.OFFER).count(),
    }


# --- Phase 2: expiries passed on by the workers ----------------------------------


def run_db_worker(number: int, interval: float) -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    call_command(
        "db_worker",
        "--interval",
        str(interval),
        "--no-startup-delay",
        "--no-reload",
        "--worker-id",
        f"bench-{number}",
        verbosity=0,
    )


def run_sweep() -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    call_command("waitlist_sweep", verbosity=0)


def run_expiries(count: int, rate: float, hold_s: float, workers: int, interval: float) -> dict:
    from django.db import connections
    from django.utils import timezone

    from sms.models import Message
    from sms.signals import messages_sent
    from waitlist.models import Offer

    chosen = list(Offer.objects.filter(status=Offer.Status.OPEN).order_by("created_at")[:count])
    Offer.objects.filter(pk__in=[o.pk for o in chosen]).update(hold=timedelta(seconds=hold_s))
    connections.close_all()
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=run_db_worker, args=(n, interval), daemon=True)
        for n in range(workers)
    ]
    processes.append(context.Process(target=run_sweep, daemon=True))
    for process in processes:
        process.start()
    try:
        begin = time.time()
        for n, offer in enumerate(chosen):
            time.sleep(max(0.0, begin + n / rate - time.time()))
            sent_at = timezone.now()
            assert offer.message_id is not None  # every offer is sent as an SMS
            # What the SMS dispatcher does once the provider took the message.
            Message.objects.filter(pk=offer.message_id).update(
                status=Message.Status.SENT, sent_at=sent_at
            )
            message = Message.objects.get(pk=offer.message_id)
            messages_sent.send(sender=Message, messages=[message])
        give_up = time.time() + hold_s + 120
        ids = [o.pk for o in chosen]
        while Offer.objects.filter(pk__in=ids, status=Offer.Status.OPEN).exists():
            if time.time() > give_up:
                break
            time.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)

    passon_ms, not_passed = [], 0
    for offer in Offer.objects.filter(pk__in=[o.pk for o in chosen]):
        assert offer.deadline is not None  # each one's SMS was marked sent above
        following = (
            Offer.objects.filter(first_slot_id=offer.first_slot_id, created_at__gte=offer.deadline)
            .order_by("created_at")
            .first()
        )
        if offer.status != Offer.Status.EXPIRED or following is None:
            not_passed += 1
            continue
        passon_ms.append((following.created_at - offer.deadline).total_seconds() * 1000)
    return {"passon_ms": passon_ms, "not_passed": not_passed, "chosen": len(chosen)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20_000, help="waiting places")
    parser.add_argument("--cancellations", type=int, default=200, help="series cancelled")
    parser.add_argument("--clients", type=int, default=4, help="cancelling processes")
    parser.add_argument("--expiries", type=int, default=200, help="offers left to expire")
    parser.add_argument("--rate", type=float, default=5.0, help="offer SMS sent per second")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds each of those is held")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--worker-interval", type=float, default=0.2, help="db_worker polling")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.cancellations > CENTERS * len(FIRST_DAYS) * len(HOURS):
        parser.error("more cancellations than first-dose slots")

    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    try:
        configure()
        from django.db import connection, connections

        print(f"load average before: {load_average()}")
        started = time.time()
        targets = load(args.entries, args.cancellations, args.seed)
        print(
            f"loaded {args.entries} waiting places, {args.cancellations} booked series, "
            f"{CENTERS} centers in {DISTRICTS} districts in {time.time() - started:.1f} s"
        )

        timings, took = run_cancellations(targets, args.clients)
        figures = offer_figures(timings)
        print(
            f"phase 1: {len(timings)} cancellations by {args.clients} clients in {took:.1f} s "
            f"({len(timings) / took:.0f}/s); {figures['offers']} offers, "
            f"{figures['offer_sms']} offer SMS queued; {figures['unmatched']} freed first-dose "
            "seats found nobody matching"
        )
        print("  " + describe("cancellation request incl. exchange", figures["cancel_ms"]))
        queued = figures["commit_to_queued_ms"]
        print("  " + describe("cancellation commit -> offer SMS queued", queued))
        print("  " + describe("cancellation start -> offer SMS committed", figures["offer_ms"]))

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connections.close_all()
        expiries = run_expiries(
            args.expiries, args.rate, args.hold, args.workers, args.worker_interval
        )
        print(
            f"phase 2: {expiries['chosen']} offers held {args.hold:g} s, sent at {args.rate:g}/s, "
            f"{args.workers} db_worker (interval {args.worker_interval:g} s) + waitlist_sweep; "
            f"{expiries['not_passed']} not passed on (nobody matching left)"
        )
        print("  " + describe("deadline -> next offer", expiries["passon_ms"]))
        print(f"load average after: {load_average()} ({os.cpu_count()} cores, shared)")
        offer_p99 = percentile(figures["offer_ms"], 0.99)
        passon_p99 = percentile(expiries["passon_ms"], 0.99)
        connections.close_all()
    finally:
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    print(f"RESULT exchange offer_p99_ms={offer_p99:.1f} passon_p99_ms={passon_p99:.1f}")


if __name__ == "__main__":
    main()
