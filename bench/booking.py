"""Benchmark: 200 residents at once book first + second dose on the same few
center-days until the seats are gone.

Every resident has a browser session verified through the real services
(``sms.services.request_code`` + ``check_code``, then the session engine), and
the people to vaccinate are added with ``booking.services.add_person``. The
load (wrk, one thread per client, ``lua/booking.lua``) opens the time page,
posts the booking form with the page's CSRF token and form token, and picks
again from the error page when someone else was faster. The load ends when the
contended first-dose seats are gone.

Afterwards the database is checked: no slot holds more booked appointments
than its capacity, every ``booked`` counter equals its booked appointments,
every series has exactly two appointments. In the same run, pgbench runs a
comparable write transaction (a conditional UPDATE of a counter + two
INSERTs) on the same PostgreSQL: the database's own ceiling. Last line:

    RESULT booking per_s=… p99_ms=… oversold=0 half_series=0 floor_share=… cpu_ratio=… \
        pgbench_tps=… ratio=…

``floor_share`` is bookings/s against the floor's (the one-query view's req/s over
the requests per booking), ``cpu_ratio`` the workers' CPU per booking against as
many requests of the floor; both from the same run (targets: >= 0.6, <= 2.5).

Run: ``.venv/bin/python bench/booking.py [--clients 200] [--lanes 6]``.
"""

import argparse
import io
import math
import multiprocessing
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

if sys.path[0] == str(Path(__file__).resolve().parent):
    # Run as a script: import the project's booking app, not this file.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.harness import (
    BASELINE,
    CORES,
    DEFAULT_WORKERS,
    PG_HOST,
    PG_PORT,
    PG_USER,
    Bench,
    print_table,
    require_tool,
)

FORM_ENCODED = "application/x-www-form-urlencoded"

# The page's messages by kind; booking.lua counts errors by finding these texts.
MESSAGES = {
    "slot_taken": "Someone else has just booked this time. Please choose another one.",
    "slot_gone": "This time is no longer available. Please choose another one.",
    "busy": "Many people are booking right now. Please press the button again.",
    "second_dose": "There is no free time for the second dose %(days)d days later at "
    "this center. Nothing was booked. Please choose another day.",
    "already_booked": "%(name)s already has an appointment.",
    "stale_form": "This page was out of date. Please choose the time again.",
}


def page_texts() -> dict[str, str]:
    """Each message as the German page shows it: its longest fixed part, HTML-escaped."""
    from django.utils import translation
    from django.utils.html import escape
    from django.utils.translation import gettext

    texts = {}
    with translation.override("de"):
        for kind, msgid in MESSAGES.items():
            parts = re.split(r"%\(\w+\)[sd]", gettext(msgid))
            texts[kind] = str(escape(max(parts, key=len).strip()))
    return texts


def choose_center_days(count: int, lanes: int):
    """``count`` center-days of two BioNTech centers from the day after tomorrow on,
    each with ``lanes`` seats per time; their second-dose days get as many.

    Returns [(center, day)] and the first-dose slot ids.
    """
    from django.utils import timezone

    from centers.models import Center

    centers = list(
        Center.objects.filter(slots__vaccine__slug="biontech").distinct().order_by("slug")[:2]
    )
    day = timezone.localdate() + timedelta(days=2)
    days: list = []
    while len(days) < (count + len(centers) - 1) // len(centers):
        if day.weekday() < 6:  # the demo centers open Monday to Saturday
            days.append(day)
        day += timedelta(days=1)
    chosen = [(center, day) for day in days for center in centers][:count]
    first_ids: list[int] = []
    for center, day in chosen:
        first_ids += release_seats(center, day, lanes)
    return chosen, first_ids


def release_seats(center, day, lanes: int) -> list[int]:
    """Give the center's first-dose slots on ``day`` and the second-dose slots
    reserved for them ``lanes`` seats per time (as staff would in the admin);
    returns the ids of the day's first-dose slots."""
    from django.db.models import Q

    from centers.models import Slot

    firsts = list(
        Slot.objects.first_doses()
        .filter(starts_at__date=day, center=center)
        .values_list("pk", "second_dose_slot_id")
    )
    ids = [pk for pk, _second in firsts] + [second for _pk, second in firsts]
    Slot.objects.filter(Q(pk__in=ids)).update(capacity=lanes)
    return [pk for pk, _second in firsts]


def verified_session(number: int) -> tuple[str, str]:
    """A browser session verified for a new mobile number, through the real services."""
    from importlib import import_module

    from django.conf import settings

    from impfportal.middleware import LAST_SEEN
    from sms.models import Message
    from sms.phone import parse_phone_number
    from sms.services import check_code, request_code
    from sms.session import VERIFIED_AT, VERIFIED_PHONE
    from waitingroom import tickets

    phone = parse_phone_number(f"+49151{90000000 + number}")
    verification = request_code(phone)
    text = Message.objects.get(idempotency_key=f"code:{verification.pk}").body
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None, "the verification SMS has no code"
    check_code(phone.e164, code.group(1))
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[VERIFIED_PHONE] = phone.e164
    session[VERIFIED_AT] = session[LAST_SEEN] = int(time.time())
    session.create()
    # A resident who verified came through the phone page, where the waiting
    # room gave the session its ticket and let it in. Without them the first
    # time page would write the session and set the CSRF cookie in one answer,
    # and wrk keeps only one Set-Cookie header of an answer (the CSRF one lost,
    # the booking's POST refused with a 403).
    visit = SimpleNamespace(session=session)
    tickets.ticket_for(visit, create=True)
    tickets.mark_admitted(visit)
    session.save()
    return session.session_key, phone.e164


def make_residents(
    households: int, *, postal_code: str, first_number: int = 0
) -> list[tuple[str, list[int]]]:
    """``households`` verified sessions, each with HOUSEHOLD_LIMIT people (born 1935).

    Made by one process per core (forked, each with its own connections).
    """
    from django.db import connections

    processes = min(CORES, max(1, households // 50))
    if processes == 1:
        return _make_residents(first_number, households, postal_code)
    connections.close_all()  # a forked child must not share the parent's connection
    bounds = [first_number + households * n // processes for n in range(processes + 1)]
    jobs = [(bounds[n], bounds[n + 1] - bounds[n], postal_code) for n in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(_make_residents, jobs)
    return [resident for part in parts for resident in part]


def _make_residents(first_number: int, households: int, postal_code: str):
    from datetime import date

    from django.conf import settings
    from django.db import connections, transaction

    from booking.services import add_person, household_for

    residents = []
    for number in range(first_number, first_number + households):
        with transaction.atomic():
            key, phone = verified_session(number)
            household = household_for(phone)
            people = [
                add_person(
                    household=household,
                    first_name=f"Person{member}",
                    last_name=f"Haushalt{number}",
                    date_of_birth=date(1935, 1 + member, 1 + number % 28),
                    postal_code=postal_code,
                ).pk
                for member in range(settings.HOUSEHOLD_LIMIT)
            ]
        residents.append((key, people))
    connections.close_all()
    return residents


def write_data_file(path: Path, chosen, residents, clients: int) -> None:
    from django.conf import settings

    lines = [f"day /{center.slug}/{day.isoformat()}/" for center, day in chosen]
    lines += [
        f"cookie session {settings.SESSION_COOKIE_NAME}",
        f"cookie csrf {settings.CSRF_COOKIE_NAME}",
    ]
    lines += [f"msg {kind} {text}" for kind, text in page_texts().items()]
    for number, (key, people) in enumerate(residents):
        client = number % clients + 1
        lines.append(f"session {client} {key} {' '.join(map(str, people))}")
    path.write_text("\n".join(lines) + "\n")


def in_process_costs(
    chosen, postal_code: str, *, bookings: int, cprofile: Path | None, first_number: int = 10**6
):
    """Queries and CPU time of the time page and of a booking, in this process.

    Measured with Django's test client on another, uncontended day of the same
    center (each resident opens the page and books a free time), so that the
    figures do not move with the machine's load as the ones under wrk do: the
    medians of ``bookings`` bookings after a warm-up. With ``cprofile`` as many
    more bookings are profiled with cProfile (by CPU time), the statistics
    written to that file.
    """
    import cProfile
    import statistics

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from centers.models import Slot

    warm_up = 5
    center, day = chosen[0]
    later = day + timedelta(days=7)
    while not Slot.objects.bookable().filter(center=center, starts_at__date=later).exists():
        later += timedelta(days=1)
    # Enough seats on every time that the page always offers all of them.
    release_seats(center, later, lanes=2 * bookings + warm_up)
    # One time of the day full: posting it is a lost race ("no longer available"),
    # answered with the day's free times read and rendered fresh, as a third of the
    # posts under load are.
    full = Slot.objects.first_doses().filter(center=center, starts_at__date=later).last()
    assert full is not None
    Slot.objects.filter(pk=full.pk).update(capacity=F("booked"))
    # A whole day full: its page offers other times instead (a quarter of the time
    # pages under load, as the days fill up).
    full_day = later + timedelta(days=1)
    Slot.objects.filter(center=center, starts_at__date=full_day).update(capacity=F("booked"))
    # After a load the waiting room's controller has shrunk the flow and the load's
    # clients still hold their places: the residents measured here would queue.
    # They start with an empty room, as the first residents of a morning do.
    cache.delete_pattern("wr:*")  # type: ignore[attr-defined]  # django-redis
    households = -(-(2 * bookings + warm_up) // settings.HOUSEHOLD_LIMIT)
    residents = make_residents(households, postal_code=postal_code, first_number=first_number)
    people = [(key, person) for key, members in residents for person in members]
    profiler = cProfile.Profile(time.process_time) if cprofile else None
    costs: dict[str, list[tuple[int, float]]] = {
        "time page": [],
        "lost race": [],
        "booking": [],
        "no free times": [],
        "floor": [],
    }

    def measured(kind: str, sample: str, request, *args):
        with CaptureQueriesContext(connection) as queries:
            if profiler and sample == "profile":
                profiler.enable()
            cpu = time.process_time()
            response = request(*args)
            cpu = time.process_time() - cpu
            if profiler and sample == "profile":
                profiler.disable()
        if sample == "measure":
            costs[kind].append((len(queries), cpu))
        return response

    client = Client()  # one for all: a new one would load the middleware again

    def post_form(url: str, form: dict):
        # As a browser posts the page's form (and wrk under load): URL-encoded.
        # The test client's default, multipart, costs the view 0.5-1 ms to parse.
        return client.post(url, urlencode(form), content_type=FORM_ENCODED)

    # With a profiler, every other booking is profiled and the others measured
    # (the profiler's own overhead would double the CPU figures).
    rounds = 2 if profiler else 1
    for number, (key, person) in enumerate(people[: rounds * bookings + warm_up]):
        sample = "warm up" if number < warm_up else ("measure", "profile")[number % rounds]
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        url = f"/book/{person}/{center.slug}/{later.isoformat()}/"
        no_free = measured(
            "no free times", sample, client.get, f"/book/{person}/{center.slug}/{full_day}/"
        )
        assert b'name="slot"' not in no_free.content, "the full day offers a time"
        response = measured("time page", sample, client.get, url)
        page = response.content.decode()
        slot_match = re.search(r'name="slot" value="(\d+)"', page)
        token_match = re.search(r'name="token" value="([\w-]+)"', page)
        assert slot_match, f"the time page has no free slot: {response.status_code} {page[:2000]}"
        assert token_match, "the time page has no form token"
        form = {"slot": str(full.pk), "token": token_match.group(1)}
        lost = measured("lost race", sample, post_form, url, form)
        assert lost.status_code == 200, lost.status_code
        assert b'name="slot"' in lost.content, "the page after a lost race offers no time"
        token_match = re.search(r'name="token" value="([\w-]+)"', lost.content.decode())
        assert token_match, "the page after a lost race has no form token"
        form = {"slot": slot_match.group(1), "token": token_match.group(1)}
        booked = measured("booking", sample, post_form, url, form)
        assert booked.status_code == 302, booked.status_code
    # The floor in the same process and run: the one-query view through the same
    # client, session and middleware.
    for number in range(warm_up + bookings):
        sample = "warm up" if number < warm_up else "measure"
        measured("floor", sample, client.get, BASELINE)
    if profiler and cprofile:
        profiler.dump_stats(cprofile)
    return {
        kind: (
            statistics.median(queries for queries, _ in samples),
            1000 * statistics.median(cpu for _, cpu in samples),
        )
        for kind, samples in costs.items()
    }


def check_invariants() -> dict[str, int]:
    """Count what must be zero: oversold slots, wrong counters, half series."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE taken > s.capacity),
                   count(*) FILTER (WHERE taken <> s.booked)
            FROM centers_slot s
            CROSS JOIN LATERAL (
                SELECT count(*) AS taken FROM booking_appointment a
                WHERE a.slot_id = s.id AND a.status = 'booked'
            ) t
            """
        )
        oversold, wrong_counter = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*) FROM booking_series s
            WHERE (SELECT count(*) FROM booking_appointment a WHERE a.series_id = s.id) <> 2
            """
        )
        (half_series,) = cursor.fetchone()
    return {"oversold": oversold, "wrong_counter": wrong_counter, "half_series": half_series}


CONTENDED_SHARE = 0.9


def booking_times(first_slot_ids: list[int]) -> list[float]:
    """When each booking on the contended center-days was made (seconds, sorted)."""
    from booking.models import Series

    moments = Series.objects.filter(
        appointments__dose=1, appointments__slot__in=first_slot_ids
    ).values_list("created_at", flat=True)
    return sorted(moment.timestamp() for moment in moments)


def rate(times: list[float]) -> tuple[float, float]:
    """(bookings per second, seconds) from the first to the last of ``times``."""
    if len(times) < 2 or times[-1] == times[0]:
        return 0.0, 0.0
    span = times[-1] - times[0]
    return (len(times) - 1) / span, span


class Progress:
    """Polled by the harness while wrk runs: prints how far the booking is every ten
    seconds, and says "stop" when the contended first-dose seats are gone (or every
    client has run out of people).

    Clients go on until then: gunicorn's sync workers wait up to 2 s after each
    answer for the client to close (gunicorn.util.close_graceful), and a wrk thread
    that stops early never closes its last connection, so each early stop would
    hold a worker for 2 s.
    """

    def __init__(self, bench: Bench, done_dir: Path, clients: int, first_ids: list[int]):
        self.bench, self.done_dir, self.clients = bench, done_dir, clients
        ids = ",".join(str(int(pk)) for pk in first_ids)
        self.free_sql = (
            f"SELECT coalesce(sum(capacity - booked), 0) FROM centers_slot WHERE id IN ({ids})"  # noqa: S608
        )
        self.started = self.shown = time.monotonic()
        self.seats_gone = False

    def __call__(self) -> bool:
        finished = len(list(self.done_dir.iterdir()))
        free = int(self.bench.psql(self.free_sql))
        now = time.monotonic()
        if now - self.shown >= 10:
            self.shown = now
            print(f"  {now - self.started:4.0f} s: {free} seats left, {finished} clients done")
        self.seats_gone = free == 0
        return self.seats_gone or finished >= self.clients


PGBENCH_SETUP = """
CREATE TABLE ceiling_slot (
    id int PRIMARY KEY, capacity int NOT NULL, booked int NOT NULL DEFAULT 0,
    CHECK (booked <= capacity));
CREATE TABLE ceiling_series (
    id bigserial PRIMARY KEY, slot_id int NOT NULL REFERENCES ceiling_slot,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE ceiling_appointment (
    id bigserial PRIMARY KEY, series_id bigint NOT NULL REFERENCES ceiling_series,
    slot_id int NOT NULL REFERENCES ceiling_slot, dose int NOT NULL);
INSERT INTO ceiling_slot (id, capacity) SELECT g, 1000000000 FROM generate_series(1, {slots}) g;
ANALYZE;
"""

# Take a seat with a conditional UPDATE, then write the series and its two
# appointments: the booking's writes without the application around them.
PGBENCH_SCRIPT = """
\\set slot random(1, {slots})
BEGIN;
UPDATE ceiling_slot SET booked = booked + 1 WHERE id = :slot AND booked < capacity;
INSERT INTO ceiling_series (slot_id) VALUES (:slot);
INSERT INTO ceiling_appointment (series_id, slot_id, dose)
    VALUES (currval('ceiling_series_id_seq'), :slot, 1),
           (currval('ceiling_series_id_seq'), :slot, 2);
END;
"""


def pgbench_ceiling(bench: Bench, *, slots: int, clients: int, seconds: int) -> float:
    pgbench = require_tool("pgbench", "postgresql-contrib")
    bench.psql(PGBENCH_SETUP.format(slots=slots))
    script = bench.tmp / "ceiling.sql"
    script.write_text(PGBENCH_SCRIPT.format(slots=slots))
    command = [pgbench, "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-n"]
    command += [f"-c{clients}", "-j2", f"-T{seconds}", "-f", str(script), bench.database]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
    return float(match.group(1))


def describe_in_process(costs: dict, n: int) -> str:
    page, lost, booking = costs["time page"], costs["lost race"], costs["booking"]
    no_free, floor = costs["no free times"], costs["floor"]
    return (
        f"in-process, median of {n}: time page {page[0]:.0f} queries, {page[1]:.2f} ms CPU; "
        f"lost race (a full time posted) {lost[0]:.0f} queries, {lost[1]:.2f} ms CPU; "
        f"booking {booking[0]:.0f} queries, {booking[1]:.2f} ms CPU; a day without free "
        f"times {no_free[0]:.0f} queries, {no_free[1]:.2f} ms CPU; the one-query view "
        f"(floor, same run) {floor[1]:.2f} ms CPU: time page {page[1] / floor[1]:.1f}x, "
        f"lost race {lost[1] / floor[1]:.1f}x, booking {booking[1] / floor[1]:.1f}x, "
        f"no free times {no_free[1] / floor[1]:.1f}x the floor"
    )


def in_process_only(args) -> int:
    """The in-process figures alone, twice: to compare a code change by quickly."""
    with Bench("booking") as bench:
        from django.core.management import call_command

        call_command("load_demo_data", stdout=io.StringIO())
        chosen, _first_ids = choose_center_days(1, args.lanes)
        bench.analyze()
        postal_code = chosen[0][0].postal_code
        for number in range(1, 3):
            costs = in_process_costs(
                chosen,
                postal_code,
                bookings=args.in_process,
                cprofile=args.cprofile,
                first_number=number * 10**6,
            )
            chosen = [(center, day + timedelta(days=1)) for center, day in chosen]
            print(describe_in_process(costs, args.in_process), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent residents")
    parser.add_argument("--center-days", type=int, default=4, help="days the residents fight for")
    parser.add_argument("--lanes", type=int, default=6, help="seats per time on those days")
    parser.add_argument(
        "--oversubscribe", type=float, default=1.25, help="people per first-dose seat (at least)"
    )
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--max-seconds", type=float, default=120, help="upper bound of the load")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--floor-seconds", type=int, default=5, help="of the one-query view")
    parser.add_argument("--profile", type=Path, help="sample the workers with py-spy")
    parser.add_argument(
        "--in-process", type=int, default=40, help="bookings measured in-process (queries, CPU)"
    )
    parser.add_argument(
        "--cprofile", type=Path, help="write cProfile statistics of the in-process bookings"
    )
    parser.add_argument(
        "--only-in-process",
        action="store_true",
        help="measure (and profile) in-process only: no gunicorn, wrk or pgbench",
    )
    args = parser.parse_args()
    if args.only_in_process:
        return in_process_only(args)

    with Bench("booking") as bench:
        from django.conf import settings
        from django.core.management import call_command

        print(f"Database {bench.database}: demo data, center-days, residents …", flush=True)
        call_command("load_demo_data", stdout=io.StringIO())
        chosen, first_ids = choose_center_days(args.center_days, args.lanes)
        seats = len(first_ids) * args.lanes
        # Enough people that hardly a client runs out before the seats are gone.
        people = round(seats * args.oversubscribe)
        households = max(-(-people // settings.HOUSEHOLD_LIMIT), 2 * args.clients)
        postal_code = chosen[0][0].postal_code
        started = time.monotonic()
        residents = make_residents(households, postal_code=postal_code)
        made_in = time.monotonic() - started
        bench.analyze()
        print(
            f"{len(chosen)} center-days ({', '.join(f'{c.slug} {d}' for c, d in chosen)}): "
            f"{seats} first-dose seats; {households} verified sessions with "
            f"{households * settings.HOUSEHOLD_LIMIT} people (made in {made_in:.0f} s)",
            flush=True,
        )
        data = bench.tmp / "residents.txt"
        write_data_file(data, chosen, residents, args.clients)
        done_dir = bench.tmp / "done"
        done_dir.mkdir()

        # The waiting room's script runs on every guarded request as in production
        # (its cost is in the figures), but its controller does not shrink the flow:
        # on a busy machine it sent the clients to the queue page (269 redirects of
        # 1,421 requests, p99 45 s), and the figures measured the controller instead
        # of the booking. bench/morning.py measures the room.
        bench.env["WAITINGROOM_ADAPTIVE"] = "false"
        # Nor does it queue anyone: its rate (the SMS provider's, 100/s, as every resident
        # let in needs a code; these are verified already) would queue half of the 200
        # who arrive at once, and a client sent to the queue gives that person up. With
        # the script asked only on a session's first request of 15 s (WAITINGROOM_RECHECK_SECONDS),
        # few requests were left to drive the queue: clients gave up whole sessions,
        # ran out of people and, finishing, held a sync worker 2 s each in gunicorn's
        # close_graceful (a stopped wrk thread never closes its last connection).
        bench.env["WAITINGROOM_RATE_MAX"] = str(10 * args.clients)
        server = bench.start_gunicorn(workers=args.workers)
        print(
            f"gunicorn: {server.workers} sync workers on 127.0.0.1:{server.port}; "
            f"wrk: {args.clients} clients (one thread and connection each)",
            flush=True,
        )
        run = bench.wrk(
            server,
            "/",
            script="booking.lua",
            connections=args.clients,
            threads=args.clients,
            duration_s=args.max_seconds,
            script_args=(str(data), str(done_dir)),
            stop_when=(progress := Progress(bench, done_dir, args.clients, first_ids)),
            profile_to=args.profile,
        )
        # The application's floor on the same server: the one-query view at as
        # many connections. No booking can cost less than its requests would.
        # A short first run settles the connections the booking's clients left.
        bench.wrk(server, BASELINE, connections=args.clients, duration_s=2)
        floor = bench.wrk(server, BASELINE, connections=args.clients, duration_s=args.floor_seconds)
        bench.stop(server)
        finished = len(list(done_dir.iterdir()))
        print(f"load ended after {run.duration_s:.1f} s", flush=True)
        if not progress.seats_gone and finished < args.clients:
            print(f"(stopped by the time bound of {args.max_seconds:g} s)")
        times = booking_times(first_ids)
        booked = len(times)
        invariants = check_invariants()
        costs = in_process_costs(
            chosen, postal_code, bookings=args.in_process, cprofile=args.cprofile
        )
        pgbench_clients = server.workers * server.threads
        tps = pgbench_ceiling(
            bench, slots=len(first_ids), clients=pgbench_clients, seconds=args.pgbench_seconds
        )

    outcomes = run.extra["outcomes"]
    # The contended phase: from the first booking until CONTENDED_SHARE of them are
    # made. After that few seats are left, and the rate says more about how long
    # residents search for the last seats than about how fast the server books.
    per_s, span = rate(times[: math.ceil(CONTENDED_SHARE * booked)])
    all_per_s, all_span = rate(times)
    ratio = per_s / tps if tps else 0.0
    print()
    print_table(
        ["what", "count"],
        [[kind.replace("_", " "), count] for kind, count in outcomes.items()]
        + [[f"wrk {kind} errors", count] for kind, count in run.errors.items() if count],
    )
    print()
    print(
        f"bookings: the first {CONTENDED_SHARE:.0%} in {span:.1f} s = {per_s:.1f}/s (contended "
        f"phase); all {booked} in {all_span:.1f} s = {all_per_s:.1f}/s; "
        f"requests: {run.requests} in {run.duration_s:.1f} s = {run.rps:.0f}/s, "
        f"p50 {run.p50_ms:.0f} ms, p90 {run.p90_ms:.0f} ms, p99 {run.p99_ms:.0f} ms"
    )
    print(describe_in_process(costs, args.in_process))
    floor_share = cpu_ratio = 0.0
    if booked:
        print(
            f"CPU per booking: workers {1000 * run.app_cpu_s / booked:.1f} ms, "
            f"database backends {1000 * run.db_cpu_s / booked:.1f} ms "
            f"({run.requests / booked:.2f} requests per booking)"
        )
        # Bookings/s if every request of a booking cost no more than the
        # one-query view: what Django on this machine could do at best.
        per_booking = run.requests / booked
        floor_per_s = floor.rps / per_booking
        if not floor.requests:
            # wrk got no answer in time (an overloaded machine): no floor this run.
            print(f"application floor: no answers (wrk errors {floor.errors})")
        floor_share = per_s / floor_per_s if floor_per_s else 0.0
        print(
            f"application floor: the one-query view at {args.clients} connections "
            f"{floor.rps:.0f} req/s ({sum(floor.cpu_ms_per_request()):.2f} ms CPU per request), "
            f"i.e. {floor_per_s:.0f} bookings/s at {per_booking:.2f} requests per booking "
            f"if each cost one query; {floor_share:.2f} of it reached"
        )
        # Both against the floor measured in this run, on this machine's load.
        floor_app_ms = floor.cpu_ms_per_request()[0]
        worker_ms = 1000 * run.app_cpu_s / booked
        at_floor_ms = per_booking * floor_app_ms
        cpu_ratio = worker_ms / at_floor_ms if at_floor_ms else 0.0
        # Why a request costs the workers more CPU under load than in process:
        # each wait for the database or Redis is a switch, and with more runnable
        # processes than cores each preemption is one too (cold caches after it).
        booking_switches, floor_switches = run.switches_per_request(), floor.switches_per_request()
        print(
            "worker context switches per request (voluntary, involuntary): booking "
            f"{booking_switches[0]:.1f}, {booking_switches[1]:.1f}; floor "
            f"{floor_switches[0]:.1f}, {floor_switches[1]:.1f}"
        )
        print(
            f"floor share {floor_share:.2f} (target >= 0.6); worker CPU per booking "
            f"{worker_ms:.1f} ms against {per_booking:.2f} x {floor_app_ms:.2f} ms = "
            f"{at_floor_ms:.1f} ms at the floor: cpu_ratio {cpu_ratio:.2f} (target <= 2.5)"
        )
    print(
        f"database: {invariants['oversold']} oversold slots, "
        f"{invariants['wrong_counter']} wrong counters, {invariants['half_series']} half series"
    )
    print(f"pgbench ceiling ({pgbench_clients} clients): {tps:.0f} tps; ratio {ratio:.3f}")
    oversold = invariants["oversold"] + invariants["wrong_counter"]
    print(
        f"RESULT booking per_s={per_s:.1f} p99_ms={run.p99_ms:.0f} oversold={oversold} "
        f"half_series={invariants['half_series']} floor_share={floor_share:.2f} "
        f"cpu_ratio={cpu_ratio:.2f} pgbench_tps={tps:.0f} ratio={ratio:.3f}"
    )
    # A booking whose answer was still on its way when wrk stopped is in the
    # database but not in the clients' count; the other way round is an error.
    lost = outcomes["booked"] > booked
    if lost:
        print(f"the clients saw {outcomes['booked']} bookings, the database has {booked}")
    broken = oversold or invariants["half_series"] or lost
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
