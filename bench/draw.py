"""A draw at an opening: the registration load in its window, then the draw itself.

1. Registration. Production-like gunicorn (the harness's workers, Redis,
   PostgreSQL, DEBUG off) with a draw whose window is open. ``--sessions``
   households are verified beforehand through the real services (as in
   ``bench/booking.py``: code requested, read from the outbox, checked) and
   have one person each (born 1938). Each aiohttp client then runs the
   registration's requests: the waiting-list page, the choice of scope, the
   preferences form, its POST (the join, held for the draw), and the
   waiting-list page again: 5 requests, the last 4 after the code. Runs
   ``--connections`` clients at once until every session has registered.
   The baseline is the cached start page at the same concurrency, in the same
   run, before and after. The waiting room is switched off for this part
   (``WAITINGROOM_ENABLED=false``): it measures the application's cost of a
   registration, not the room's admission rate.
   ``ratio`` = registration requests/s ÷ start page requests/s.
2. The draw. ``--entrants`` waiting places registered for a second draw
   (written in bulk, in ``--groups`` priority groups) and ``--seats``
   first-dose seats (with their second doses) in its district. Then, as the
   task does at the window's close: ``draw_s`` is ``rank_entries`` (the order
   fixed and written); ``first_offers_s`` the time from the close to the
   1,000th offer's SMS committed to the outbox (or the last, if fewer seats),
   ``offers_s`` until all seats are offered. Afterwards the order is
   re-checked from the published protocol and the seats' counters checked.

    .venv/bin/python bench/draw.py                                   # a few minutes
    .venv/bin/python bench/draw.py --entrants 200000 --seats 15000   # the issue's size
    .venv/bin/python bench/draw.py --profile /tmp/draw.txt           # py-spy of the workers
    .venv/bin/python bench/draw.py --in-process 100                  # each step's CPU in process

Last line: ``RESULT draw register_per_s=… baseline_rps=… ratio=… draw_s=… first_offers_s=…``
(targets: ratio ≥ 0.3, draw of 200,000 ≤ 30 s, the first 1,000 offers ≤ 60 s).
"""

import argparse
import asyncio
import re
import signal
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench import profile as bench_profile
from bench.harness import Bench, cpu_seconds, cpu_used, median, stop_process

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POSTAL_CODE = "30159"
BATCH = 5000


def setup_scene():
    """A district, a center, a vaccine open to the waiting list of two groups."""
    from tests import factories

    district = factories.make_district(postal_codes=[(POSTAL_CODE, "Hannover")])
    center = factories.make_center(district=district)
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    factories.open_group("70 bis 79", min_age=70, rank=2, vaccines=[vaccine])
    return district, center, vaccine


def open_draw(name: str, *, district, vaccine, opens_at, closes_at, seats: int):
    from draw.models import Draw
    from waitingroom.models import Opening

    opening = Opening.objects.create(
        name=name,
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=opens_at,
        prequeue_starts_at=opens_at,
    )
    draw = Draw.objects.create(opening=opening, closes_at=closes_at, seats=seats)
    draw.districts.add(district)
    return draw


def verified_households(count: int) -> list[tuple[str, int]]:
    """(session key, person id) of ``count`` verified numbers with one person each."""
    from django.db import transaction

    from bench.booking import verified_session
    from booking.services import add_person, household_for

    made = []
    for number in range(count):
        with transaction.atomic():
            key, phone = verified_session(number)
            person = add_person(
                household=household_for(phone),
                first_name="Erna",
                last_name=f"Anmeldung{number}",
                date_of_birth=date(1938, 1 + number % 12, 1 + number % 28),
                postal_code=POSTAL_CODE,
            )
        made.append((key, person.pk))
    return made


async def start_page_rate(base: str, *, connections: int, seconds: float) -> tuple[float, int]:
    """Requests/s of the cached start page with ``connections`` clients, and how many."""
    done = 0
    stop_at = time.perf_counter() + seconds
    timeout = aiohttp.ClientTimeout(total=30)

    async def loop(session):
        nonlocal done
        while time.perf_counter() < stop_at:
            async with session.get(base + "/") as response:
                await response.read()
                assert response.status == 200, response.status
                done += 1

    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(loop(session) for _ in range(connections)))
        return done / (time.perf_counter() - started), done


async def registrations(
    base: str, households, *, connections: int
) -> tuple[float, float, int, int]:
    """Every household registers its person; returns (registrations/s, requests/s,
    errors, requests)."""
    from django.conf import settings

    queue: asyncio.Queue = asyncio.Queue()
    for item in households:
        queue.put_nowait(item)
    counts = {"requests": 0, "registered": 0, "errors": 0}
    timeout = aiohttp.ClientTimeout(total=60)
    steps: dict[str, list[float]] = {}

    async def get(session, path):
        started = time.perf_counter()
        async with session.get(base + path, allow_redirects=False) as response:
            body = await response.text()
        counts["requests"] += 1
        step = re.sub(r"\d+", "N", path)
        steps.setdefault(step, []).append(1000 * (time.perf_counter() - started))
        return response.status, body

    async def one(key: str, person_id: int) -> None:
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
        jar.update_cookies({settings.SESSION_COOKIE_NAME: key})
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
            await get(session, "/waiting-list/")
            await get(session, f"/waiting-list/{person_id}/join/")
            status, body = await get(session, f"/waiting-list/{person_id}/join/district/")
            csrf = CSRF.search(body)
            if status != 200 or csrf is None:
                counts["errors"] += 1
                return
            started = time.perf_counter()
            async with session.post(
                base + f"/waiting-list/{person_id}/join/district/",
                data={"csrfmiddlewaretoken": csrf.group(1), "time_of_day": "any"},
                allow_redirects=False,
            ) as response:
                await response.read()
            counts["requests"] += 1
            steps.setdefault("POST join", []).append(1000 * (time.perf_counter() - started))
            if response.status != 302:
                counts["errors"] += 1
                return
            await get(session, "/waiting-list/")
            counts["registered"] += 1

    async def worker():
        while not queue.empty():
            key, person_id = queue.get_nowait()
            await one(key, person_id)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    for step, times in steps.items():
        print(f"  {step}: median {median(times):.0f} ms over {len(times)} requests")
    registered, requests = counts["registered"], counts["requests"]
    return registered / elapsed, requests / elapsed, counts["errors"], requests


STEPS = ("my places", "scope", "preferences", "join", "my places again", "start page")


def in_process_costs(households) -> dict[str, tuple[float, float]]:
    """Queries and CPU milliseconds (medians) of each registration step in this
    process, through Django's test client with the middleware and the settings of
    the server (the waiting room off, as for the load); the first five
    registrations warm up. Steadier than the figures under load: other work on
    the machine slows this process but hardly changes its CPU time.
    """
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    warm_up = 5
    samples: dict[str, list[tuple[int, float]]] = {step: [] for step in STEPS}
    client = Client()  # one for all: a new one would load the middleware again

    def measured(step: str, number: int, request, *args):
        with CaptureQueriesContext(connection) as queries:
            cpu = time.process_time()
            response = request(*args)
            cpu = time.process_time() - cpu
        if number >= warm_up:
            samples[step].append((len(queries), cpu))
        return response

    with override_settings(WAITINGROOM_ENABLED=False):
        for number, (key, person_id) in enumerate(households):
            client.cookies.clear()
            client.cookies[settings.SESSION_COOKIE_NAME] = key
            join = f"/waiting-list/{person_id}/join/district/"
            measured("my places", number, client.get, "/waiting-list/")
            measured("scope", number, client.get, f"/waiting-list/{person_id}/join/")
            page = measured("preferences", number, client.get, join)
            csrf = CSRF.search(page.content.decode())
            assert csrf is not None, page.status_code
            form = {"csrfmiddlewaretoken": csrf.group(1), "time_of_day": "any"}
            joined = measured("join", number, client.post, join, form)
            assert joined.status_code == 302, joined.status_code
            measured("my places again", number, client.get, "/waiting-list/")
        client.cookies.clear()
        for number in range(len(households)):
            measured("start page", number, client.get, "/")
    return {
        step: (
            statistics.median(queries for queries, _cpu in rows),
            1000 * statistics.median(cpu for _queries, cpu in rows),
        )
        for step, rows in samples.items()
        if rows
    }


def load_entrants(draw, district, vaccine, *, entrants: int, groups: int) -> None:
    """``entrants`` people (two per household) waiting for the draw, written in bulk."""
    from booking.models import Household, Person
    from draw.models import DrawEntry
    from draw.registration import person_key
    from waitlist.models import Entry

    window = draw.closes_at - draw.opening.opens_at
    for start in range(0, entrants, BATCH):
        size = min(BATCH, entrants - start)
        households = Household.objects.bulk_create(
            [Household(phone=f"+49160{start + i:08d}") for i in range(0, size, 2)]
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    household=households[i // 2],
                    first_name=f"Vorname{start + i}",
                    last_name="Auslosung",
                    date_of_birth=date(1935 + (start + i) % groups * 15, 1, 1),
                    postal_code=POSTAL_CODE,
                )
                for i in range(size)
            ]
        )
        moments = [draw.opening.opens_at + window * (start + i) / entrants for i in range(size)]
        rows = Entry.objects.bulk_create(
            [
                Entry(
                    person=person,
                    district=district,
                    priority_rank=1 + (start + i) % groups,
                    status=Entry.Status.DRAW,
                    joined_at=moments[i],
                )
                for i, person in enumerate(people)
            ]
        )
        Entry.vaccines.through.objects.bulk_create(
            [Entry.vaccines.through(entry_id=row.pk, vaccine_id=vaccine.pk) for row in rows]
        )
        DrawEntry.objects.bulk_create(
            [
                DrawEntry(
                    draw=draw,
                    entry=row,
                    person_key=person_key(person),
                    priority_rank=row.priority_rank,
                    registered_at=row.joined_at,
                )
                for row, person in zip(rows, people, strict=True)
            ]
        )


def release_seats(center, vaccine, *, seats: int, per_slot: int = 50) -> None:
    """``seats`` first-dose seats (and their second doses) 3 to 9 days ahead."""
    from tests import factories

    made = 0
    hour, day = 8, 3
    while made < seats:
        capacity = min(per_slot, seats - made)
        factories.make_slot(
            center,
            vaccine,
            factories.local_datetime(factories.days_ahead(day), hour),
            capacity=capacity,
            second_capacity=capacity,
        )
        made += capacity
        hour += 1
        if hour == 18:
            hour, day = 8, day + 1


def run_the_draw(draw, *, seats: int) -> dict:
    from django.utils import timezone

    from draw import order, selectors, services
    from sms.models import Message
    from tests.waitlist.helpers import seat_problems
    from waitlist.models import Offer

    closed = timezone.now()
    started = time.perf_counter()
    placed = services.rank_entries(draw_id=draw.pk, now=closed)
    draw_s = time.perf_counter() - started
    offered = services.offer_seats(draw_id=draw.pk)
    offers_s = time.perf_counter() - started
    nth = min(1000, offered)
    message_ids = Offer.objects.order_by("pk").values_list("message_id", flat=True)
    queued = list(
        Message.objects.filter(pk__in=list(message_ids[:nth]))
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    first_offers_s = (queued[-1] - closed).total_seconds() if queued else float("nan")
    draw.refresh_from_db()
    protocol = [(row[0], row[1], row[2]) for row in selectors.protocol_rows(draw)]
    problems = order.recheck(
        key=draw.opening.key, commitment_hex=draw.opening.commitment, protocol=protocol
    )
    return {
        "placed": placed,
        "offered": offered,
        "draw_s": draw_s,
        "offers_s": offers_s,
        "first_offers_s": first_offers_s,
        "recheck_problems": len(problems),
        "seat_problems": len(seat_problems()),
        "seats": seats,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=400, help="households registering")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--baseline-seconds", type=float, default=8)
    parser.add_argument("--entrants", type=int, default=20000)
    parser.add_argument("--seats", type=int, default=1500)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument(
        "--profile", type=Path, help="py-spy samples of the workers during the registrations"
    )
    parser.add_argument(
        "--in-process",
        type=int,
        default=0,
        help="this many more registrations through the test client in this process, "
        "with each step's queries and CPU (0: none)",
    )
    args = parser.parse_args()

    with Bench("draw") as bench:
        from django.utils import timezone

        district, center, vaccine = setup_scene()
        now = timezone.now()
        open_draw(
            "Anmeldung läuft",
            district=district,
            vaccine=vaccine,
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=4),
            seats=0,
        )
        print(f"verifying {args.sessions} numbers …", flush=True)
        households = verified_households(args.sessions + args.in_process)
        households, in_process = households[: args.sessions], households[args.sessions :]
        bench.analyze()
        bench.env["WAITINGROOM_ENABLED"] = "false"
        server = bench.start_gunicorn()
        base = server.url("").rstrip("/")
        cpu: dict[str, tuple[float, float, float]] = {}

        def measured(phase: str, run):
            """``run()``'s result; the CPU seconds of the workers, their database
            backends and this process (the clients) meanwhile, kept under ``phase``."""
            pids = {"app": server.worker_pids(), "db": bench.backend_pids()}
            start = {kind: cpu_seconds(found) for kind, found in pids.items()}
            own = time.process_time()
            result = run()
            own = time.process_time() - own
            end = {kind: cpu_seconds(found) for kind, found in pids.items()}
            app, db = (cpu_used(start[kind], end[kind]) for kind in ("app", "db"))
            cpu[phase] = (app, db, own)
            return result

        try:
            asyncio.run(start_page_rate(base, connections=args.connections, seconds=2))  # warm
            before, start_requests = measured(
                "start page",
                lambda: asyncio.run(
                    start_page_rate(
                        base, connections=args.connections, seconds=args.baseline_seconds
                    )
                ),
            )
            sampler = None
            if args.profile:
                sampler = bench_profile.start(server.process.pid, args.profile, 600)
                bench.processes.append(sampler)
            per_s, requests_per_s, errors, requests = measured(
                "registration",
                lambda: asyncio.run(registrations(base, households, connections=args.connections)),
            )
            if sampler:
                stop_process(sampler, sig=signal.SIGINT, grace=30)  # py-spy writes on SIGINT
                bench.processes.remove(sampler)
                print(bench_profile.summarize(args.profile, top=40), flush=True)
            after, _after_requests = asyncio.run(
                start_page_rate(base, connections=args.connections, seconds=args.baseline_seconds)
            )
        finally:
            bench.stop(server)
        from draw.models import DrawEntry

        held = DrawEntry.objects.count()
        if in_process:
            costs = in_process_costs(in_process)
            steps = [step for step in STEPS if step != "start page"]
            print(
                "in process (median queries, CPU): "
                + ", ".join(
                    f"{step} {costs[step][0]:.0f} q {costs[step][1]:.2f} ms" for step in STEPS
                )
                + f"; a registration {sum(costs[step][1] for step in steps):.1f} ms, "
                f"{sum(costs[step][0] for step in steps):.0f} queries",
                flush=True,
            )
        baseline = median([before, after])
        print(
            f"registration: {per_s:.1f} registrations/s = {requests_per_s:.0f} requests/s "
            f"({errors} errors, {held} of {args.sessions} held for the draw); start page "
            f"{before:.0f} / {after:.0f} requests/s",
            flush=True,
        )
        for phase, count in (("registration", requests), ("start page", start_requests)):
            app, db, own = (1000 * seconds / max(count, 1) for seconds in cpu[phase])
            print(
                f"  {phase}: CPU per request {app:.2f} ms workers + {db:.2f} ms database "
                f"+ {own:.2f} ms clients",
                flush=True,
            )

        print(f"loading {args.entrants} entrants and {args.seats} seats …", flush=True)
        closes = timezone.now() - timedelta(seconds=1)
        big = open_draw(
            "Auslosung",
            district=district,
            vaccine=vaccine,
            opens_at=closes - timedelta(hours=4),
            closes_at=closes,
            seats=args.seats,
        )
        # The first draw's registrations wait for it; only the big one runs here.
        from waitlist.models import Entry

        Entry.objects.filter(status=Entry.Status.DRAW).delete()
        load_entrants(big, district, vaccine, entrants=args.entrants, groups=args.groups)
        release_seats(center, vaccine, seats=args.seats)
        bench.analyze()
        figures = run_the_draw(big, seats=args.seats)
        print(
            f"draw: {figures['placed']} placed in {figures['draw_s']:.2f} s; "
            f"{figures['offered']} offers in {figures['offers_s']:.1f} s; "
            f"the first {min(1000, figures['offered'])} SMS queued "
            f"{figures['first_offers_s']:.1f} s after the close; "
            f"re-check problems {figures['recheck_problems']}, "
            f"seat problems {figures['seat_problems']}",
            flush=True,
        )
        ok = (
            errors == 0
            and figures["recheck_problems"] == 0
            and figures["seat_problems"] == 0
            and figures["offered"] == args.seats
        )
        print(
            f"RESULT draw register_per_s={per_s:.1f} baseline_rps={baseline:.0f} "
            f"ratio={requests_per_s / baseline:.2f} draw_s={figures['draw_s']:.2f} "
            f"first_offers_s={figures['first_offers_s']:.1f}"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
