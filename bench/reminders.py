"""Benchmark: queueing the reminders of 100,000 appointments tomorrow while
residents keep booking.

The database gets ``--appointments`` booked first doses tomorrow (bulk-loaded
with SQL, booked three days ago, so that every 48-hour reminder is due), plus
free seats the day after tomorrow and verified households to book them. Then,
in the same run:

1. baseline: ``--processes`` booking processes call the real booking service
   (``booking.services.book_series``: both seats, series, appointments, the
   confirmation SMS, the statistics) for ``--baseline-seconds``;
2. the same booking processes again, while one more process runs one pass of
   the scheduler (``manage.py send_reminders --once``, niced as it runs in
   production) that queues every due reminder into the outbox;
3. the baseline again, as long as the first.

``enqueue_s`` is the pass's time; ``booking_ratio`` is bookings per second
during the pass against the mean of the two baselines (so that other work
starting or stopping on the shared machine moves both sides). Targets: enqueue_s <= 60,
booking_ratio >= 0.8. The booking path is measured at the service, not over
HTTP: what the enqueue could take from it is the database (locks, I/O) and the
CPU, both of which the processes share with it here. Last line:

    RESULT reminders enqueue_s=… booking_ratio=… queued=… enqueue_cpu_s=… booking_per_s=… …

Run: ``.venv/bin/python bench/reminders.py [--appointments 100000]``.
"""

import argparse
import multiprocessing
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.harness import CORES, REPO, Bench

CENTERS = 20
TIMES = [(hour, minute) for hour in range(8, 20) for minute in range(0, 60, 5)]  # 144 a day
BOOKING_CENTERS = 4


def load(appointments: int, bookers: int) -> tuple[list[int], list[int]]:
    """The appointments tomorrow, free seats the day after, and people to book them.

    Returns the free first-dose slot ids and the ids of the people who book.
    """
    from django.db import connection
    from django.utils import timezone

    from booking.models import PriorityGroup, VaccineOpening
    from centers.models import Center, Delivery, District, Vaccine

    vaccine = Vaccine.objects.create(name="BioNTech", slug="biontech", second_dose_interval_days=21)
    group = PriorityGroup.objects.create(name="80 und älter", rank=1, min_age=80)
    VaccineOpening.objects.create(group=group, vaccine=vaccine, scope="booking")
    district = District.objects.create(name="Region Hannover", slug="region-hannover")
    centers = [
        Center.objects.create(
            district=district,
            name=f"Impfzentrum {n}",
            slug=f"impfzentrum-{n}",
            street="Messegelände 1",
            postal_code="30521",
            town="Hannover",
        )
        for n in range(CENTERS)
    ]
    for center in centers:
        Delivery.objects.create(
            center=center, vaccine=vaccine, doses=10**7, delivered_on=timezone.localdate()
        )
    tomorrow = timezone.localdate() + timedelta(days=1)
    lanes = -(-appointments // (CENTERS * len(TIMES)))
    booked_at = timezone.now() - timedelta(days=3)
    center_ids = [c.pk for c in centers]

    def slots(day: date, capacity: int, booked: int, ids: list[int]) -> None:
        """First-dose slots on ``day`` and their second doses 21 days later."""
        rows_second, rows_first = [], []
        for center_id in ids:
            for hour, minute in TIMES:
                at = timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))
                rows_second.append((center_id, at + timedelta(days=21)))
                rows_first.append((center_id, at))
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO centers_slot (center_id, vaccine_id, starts_at, capacity, booked, "
                "withdrawn, dose) VALUES (%s, %s, %s, %s, %s, 0, 2)",
                [(c, vaccine.pk, at, capacity, booked) for c, at in rows_second],
            )
            cursor.executemany(
                "INSERT INTO centers_slot (center_id, vaccine_id, starts_at, capacity, booked, "
                "withdrawn, dose, second_dose_slot_id) SELECT %s, %s, %s, %s, %s, 0, 1, s.id "
                "FROM centers_slot s WHERE s.center_id = %s AND s.starts_at = %s AND s.dose = 2",
                [
                    (c, vaccine.pk, at, capacity, booked, c, at + timedelta(days=21))
                    for c, at in rows_first
                ],
            )

    slots(tomorrow, lanes, 0, center_ids)
    day_after = tomorrow + timedelta(days=1)
    slots(day_after, 1000, 0, center_ids[:BOOKING_CENTERS])
    with connection.cursor() as cursor:
        # People booked three days ago, one household each, every seat of tomorrow
        # taken in slot order until ``appointments`` are booked.
        cursor.execute(
            "INSERT INTO booking_household (phone, created_at) "
            "SELECT '+4915' || lpad(g::text, 9, '0'), %s FROM generate_series(1, %s) g",
            [booked_at, appointments + bookers],
        )
        cursor.execute(
            "INSERT INTO booking_person (household_id, first_name, last_name, date_of_birth, "
            "postal_code, created_at) SELECT h.id, 'Erna', 'Meyer' || h.id, '1935-05-17', "
            "'30159', %s FROM booking_household h ORDER BY h.id",
            [booked_at],
        )
        cursor.execute(
            """
            WITH seats AS (
                SELECT s.id AS first_id, s.second_dose_slot_id AS second_id, s.center_id,
                       row_number() OVER (ORDER BY s.starts_at, s.center_id, lane) AS n
                FROM centers_slot s CROSS JOIN generate_series(1, s.capacity) lane
                WHERE s.dose = 1 AND s.starts_at::date = %s
            ), people AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n FROM booking_person
            )
            INSERT INTO booking_series (person_id, center_id, vaccine_id, booking_code, status,
                created_at, cancel_reason)
            SELECT p.id, seats.center_id, %s,
                   substr(lpad(p.id::text, 8, '0'), 1, 4) || '-'
                   || substr(lpad(p.id::text, 8, '0'), 5, 4),
                   'active', %s, ''
            FROM seats JOIN people p ON p.n = seats.n
            WHERE seats.n <= %s
            """,
            [tomorrow, vaccine.pk, booked_at, appointments],
        )
        cursor.execute(
            """
            WITH seats AS (
                SELECT s.id AS first_id, s.second_dose_slot_id AS second_id,
                       row_number() OVER (ORDER BY s.starts_at, s.center_id, lane) AS n
                FROM centers_slot s CROSS JOIN generate_series(1, s.capacity) lane
                WHERE s.dose = 1 AND s.starts_at::date = %s
            ), series AS (
                SELECT id, row_number() OVER (ORDER BY person_id) AS n FROM booking_series
            )
            INSERT INTO booking_appointment (series_id, dose, slot_id, status)
            SELECT series.id, d.dose,
                   CASE d.dose WHEN 1 THEN seats.first_id ELSE seats.second_id END, 'booked'
            FROM series JOIN seats ON seats.n = series.n CROSS JOIN (VALUES (1), (2)) d(dose)
            """,
            [tomorrow],
        )
        cursor.execute(
            "UPDATE centers_slot s SET booked = t.n FROM (SELECT slot_id, count(*) AS n "
            "FROM booking_appointment GROUP BY slot_id) t WHERE t.slot_id = s.id"
        )
        cursor.execute("SELECT count(*) FROM booking_appointment WHERE dose = 1")
        (loaded,) = cursor.fetchone()
        assert loaded == appointments, (loaded, appointments)
        cursor.execute(
            "SELECT id FROM centers_slot WHERE dose = 1 AND starts_at::date = %s", [day_after]
        )
        free = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT p.id FROM booking_person p WHERE NOT EXISTS "
            "(SELECT 1 FROM booking_series s WHERE s.person_id = p.id) ORDER BY p.id"
        )
        people = [row[0] for row in cursor.fetchall()]
        cursor.execute("ANALYZE")
    return free, people


def book_until(stop, started, slot_ids: list[int], people: list[int], out) -> None:
    """One booking process: book people into random free seats until ``stop``."""
    from django.db import connections

    from booking.errors import BookingError
    from booking.models import Person
    from booking.services import book_series
    from centers.models import Slot

    connections.close_all()
    slots = list(Slot.objects.filter(pk__in=slot_ids).select_related("center", "vaccine"))
    rng = random.Random(os.getpid())
    moments = []
    started.wait()
    for person_id in people:
        if stop.is_set():
            break
        person = Person.objects.select_related("household").get(pk=person_id)
        try:
            book_series(person=person, slot=rng.choice(slots), request_token=uuid.uuid4())
        except BookingError:
            continue
        moments.append(time.time())
    connections.close_all()
    out.put(moments)


def run_bookings(slot_ids, people, processes: int, *, seconds: float | None, during=None):
    """Book with ``processes`` processes for ``seconds`` or while ``during()`` runs.

    Returns (bookings per second, seconds measured, what ``during`` returned).
    """
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    stop, started, out = context.Event(), context.Event(), context.Queue()
    shares = [people[n::processes] for n in range(processes)]
    workers = [
        context.Process(target=book_until, args=(stop, started, slot_ids, share, out))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    time.sleep(2)  # let them connect and load their slots
    begin = time.time()
    started.set()
    result = None
    if during is not None:
        result = during()
    else:
        time.sleep(seconds or 0)
    end = time.time()
    stop.set()
    moments = [moment for _ in workers for moment in out.get()]
    for worker in workers:
        worker.join()
    counted = [m for m in moments if begin <= m <= end]
    return len(counted) / (end - begin), end - begin, result


def enqueue_pass(env: dict) -> tuple[float, float, str]:
    """One scheduler pass as production runs it (its own, niced process): its wall
    time, its own CPU time (steadier on a shared machine) and what it said."""
    import resource

    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.monotonic()
    out = subprocess.run(
        [sys.executable, "manage.py", "send_reminders", "--once"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"send_reminders failed:\n{out.stderr[-3000:]}")
    took = time.monotonic() - begin
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    return took, cpu_s, out.stdout.strip()


def unreminded_tomorrow() -> int:
    """Booked first doses tomorrow without a 48-hour reminder row (must be 0)."""
    from django.db import connection
    from django.utils import timezone

    start = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM booking_appointment a JOIN centers_slot s ON s.id = a.slot_id "
            "WHERE a.dose = 1 AND a.status = 'booked' AND s.starts_at >= %s "
            "AND s.starts_at < %s AND NOT EXISTS (SELECT 1 FROM reminders_reminder r "
            "WHERE r.appointment_id = a.id AND r.kind = '48h')",
            [start, start + timedelta(days=1)],
        )
        return cursor.fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=CORES, help="booking processes")
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--bookers", type=int, default=60_000, help="people free to book")
    args = parser.parse_args()

    with Bench("reminders") as bench:
        print(f"load average before: {os.getloadavg()[0]:.1f} ({CORES} cores, shared)")
        started = time.monotonic()
        free, people = load(args.appointments, args.bookers)
        print(
            f"loaded {args.appointments} appointments tomorrow at {CENTERS} centers, "
            f"{len(free)} free first-dose times, {len(people)} people to book "
            f"in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        third = len(people) // 3
        before, took, _ = run_bookings(
            free, people[:third], args.processes, seconds=args.baseline_seconds
        )
        print(f"baseline before: {before:.1f} bookings/s over {took:.1f} s", flush=True)
        during, took, (enqueue_s, enqueue_cpu_s, said) = run_bookings(
            free,
            people[third : 2 * third],
            args.processes,
            seconds=None,
            during=lambda: enqueue_pass(bench.env),
        )
        print(f"during the enqueue: {during:.1f} bookings/s over {took:.1f} s ({said})", flush=True)
        after, took, _ = run_bookings(
            free, people[2 * third :], args.processes, seconds=args.baseline_seconds
        )
        print(f"baseline after: {after:.1f} bookings/s over {took:.1f} s", flush=True)
        baseline = (before + after) / 2
        queued = int(
            bench.psql("SELECT count(*) FROM sms_message WHERE idempotency_key LIKE 'reminder:%'")
        )
        reminders = int(bench.psql("SELECT count(*) FROM reminders_reminder"))
        due = unreminded_tomorrow()
        print(f"{queued} reminders queued ({reminders} rows); appointments left unreminded: {due}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        ratio = during / baseline if baseline else 0.0
        print(
            f"RESULT reminders enqueue_s={enqueue_s:.1f} booking_ratio={ratio:.2f} "
            f"queued={queued} enqueue_cpu_s={enqueue_cpu_s:.1f} booking_per_s={during:.1f} "
            f"baseline_per_s={baseline:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
