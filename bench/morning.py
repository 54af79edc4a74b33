"""The opening morning: a crowd at a scheduled opening, through the waiting room.

Production-like gunicorn (the harness's worker count, Redis, PostgreSQL), the
SMS dispatcher with the real Twilio SDK against the fake Twilio server
(``tests/sms/fake_twilio.py``) at ``--sms-rate`` messages/s (the dispatcher's
provider cap), and an ``Opening`` ``--pre-seconds`` after the residents start
arriving. Each resident is an aiohttp session (its own cookies) that follows
the real flow: arrive at the code page, wait on the queue page as its
``Refresh`` header says, request a code, read it when the provider got it,
enter it, add a person, book a first-dose time (or give up after three full
tries). ``--residents`` of them, a fifth in the ``--pre-seconds`` before the
opening, the rest over ``--post-seconds`` after it. One in five also refreshes
twice in a row and opens a second tab on every cycle.

The client plays the proxy, as ``make cluster``'s HAProxy and the compose file's
Caddy do: it stamps ``X-Request-Start`` and sends the queue page (and its
refreshes) to a pool of its own, ``--queue-workers`` workers of
``--queue-threads`` threads (gunicorn's gthread, keep-alive; the cluster's and
the compose file's queue pool) on a second port, so that residents who only wait
never queue behind the costly booking posts in the booking pool's backlog.
``--queue-threads 1`` makes them sync workers, which wait for this Python client
to close each connection before they take the next. ``--proxy``
puts HAProxy in front instead, as ``make cluster`` runs it: it queues for each
pool itself and stamps the requests, so the room's booking times include that
queue. ``--queue-workers 0`` serves the queue page from the booking pool, as
before that pool existed.

Measured: queue page req/s and p99 (and the start page's afterwards, same
server, same concurrency), 5xx and timeouts, code delivery p99 (queued →
handed to the provider, from the outbox), booking post p99, admissions per
5 s next to the allowed rate, Kendall's tau between arrival order and the
server's admission order (the order tickets left the queue, sampled from
Redis) for the pre-queue and for later arrivals, and lost places (a queued
resident whose place number went up, or whose ticket was gone).

    .venv/bin/python bench/morning.py --residents 5000 --pre-seconds 300 --post-seconds 60

Last line: ``RESULT morning queue_p99_ms=… errors=… code_p99_ms=… booking_p99_ms=…
tau_pre=… tau_post=… lost_places=…``.
"""

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench.harness import Bench, cpu_seconds, cpu_used, free_port, require_tool
from tests.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

REPO = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PERSON = re.compile(r'href="/book/(\d+)/"')
SLOT = re.compile(r'name="slot" value="(\d+)"')
TOKEN = re.compile(r'name="token" value="([0-9a-f-]+)"')
CODE = re.compile(r"\b(\d{6})\b")
VACCINE = re.compile(r'name="vaccines" value="(\d+)"')
PLACE = re.compile(r"Ihr Platz in der Warteschlange</dt><dd>(\d+)</dd>")


ERROR_TEXT = re.compile(r'class="[^"]*(?:error|kern-alert)[^"]*"[^>]*>\s*([^<]{5,200})')


def why(response, body: str) -> str:
    texts = re.findall(
        r"(?:error-message|kern-title|kern-error)[^>]*>\s*(?:<[^>]+>\s*)*([^<]{5,200})", body
    )
    return f"{response.status} {response.url} {response.headers.get('Location', '')} {texts[:3]}"


def first(pattern: re.Pattern, body: str) -> str:
    found = pattern.search(body)
    assert found is not None, f"{pattern.pattern} not on the page"
    return found.group(1)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def kendall_tau(ranks: list[int]) -> float:
    """Tau between 0..n-1 and ``ranks`` (no ties), by counting inversions (merge sort)."""
    n = len(ranks)
    if n < 2:
        return float("nan")

    def count(seq: list[int]) -> tuple[list[int], int]:
        if len(seq) <= 1:
            return seq, 0
        mid = len(seq) // 2
        left, a = count(seq[:mid])
        right, b = count(seq[mid:])
        merged, inversions, i, j = [], a + b, 0, 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                inversions += len(left) - i
                j += 1
        merged += left[i:] + right[j:]
        return merged, inversions

    _sorted, inversions = count(ranks)
    return 1 - 4 * inversions / (n * (n - 1))


class Stats:
    def __init__(self) -> None:
        self.queue_ms: list[float] = []
        self.queue_at: list[float] = []  # when each queue page was answered
        self.booking_ms: list[float] = []
        self.booking_at: list[float] = []  # when each booking post was answered
        self.errors = 0
        self.timeouts = 0
        self.lost = 0
        self.setbacks: list[int] = []  # by how many places a place number went up
        self.booked = 0
        self.joined = 0  # of those with no seat: joined the waiting list
        self.no_seat = 0
        self.unfinished = 0
        self.arrived_at: dict[str, float] = {}  # ticket -> first request
        self.pre: set[str] = set()


QUEUE_PAGE = "/waiting-room/"


class Resident:
    def __init__(
        self,
        *,
        index: int,
        base: str,
        queue_base: str,
        fake: str,
        stats: Stats,
        targets,
        opens_at: float,
        args,
    ):
        self.index = index
        self.fake = fake
        self.base = base
        self.queue_base = queue_base
        self.stats = stats
        self.targets = targets
        self.opens_at = opens_at
        self.args = args
        self.phone = f"+49152{30000000 + index}"
        self.stormy = index % 5 == 0

    async def request(self, session, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            stamp = {"X-Request-Start": f"t={int(time.time() * 1000)}"}
            # The proxy's routing: the queue page to its own pool (by path, not query).
            base = self.queue_base if path.split("?", 1)[0] == QUEUE_PAGE else self.base
            async with session.request(
                method, base + path, allow_redirects=False, headers=stamp, **kwargs
            ) as response:
                body = await response.text()
        except TimeoutError:
            self.stats.timeouts += 1
            raise
        if response.status >= 500:
            self.stats.errors += 1
        return response, body, (time.perf_counter() - started) * 1000

    async def run(self, arrive_at: float) -> None:
        await asyncio.sleep(max(0.0, arrive_at - time.time()))
        timeout = aiohttp.ClientTimeout(total=30)
        # The production cookies are Secure ("__Host-"): loopback counts as secure here,
        # on both pools' ports (behind a proxy both are the one site).
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[self.base, self.queue_base])
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
            try:
                await self.flow(session, jar, arrive_at)
            except (TimeoutError, aiohttp.ClientError, AssertionError, AttributeError) as error:
                self.stats.unfinished += 1
                if self.stats.unfinished <= 3:
                    print(f"resident {self.index} stopped: {error!r}", flush=True)

    def ticket(self, jar) -> str:
        from django.utils.crypto import salted_hmac

        for cookie in jar:
            if cookie.key.endswith("sessionid"):
                return salted_hmac(
                    "waitingroom.ticket", cookie.value, algorithm="sha256"
                ).hexdigest()[:32]
        return ""

    async def flow(self, session, jar, arrive_at: float) -> None:
        response, body, _ms = await self.request(session, "GET", "/verify/")
        ticket = self.ticket(jar)
        self.stats.arrived_at[ticket] = arrive_at
        if arrive_at < self.opens_at:
            self.stats.pre.add(ticket)
        place = None
        while response.status == 302 and response.headers["Location"] == QUEUE_PAGE:
            response, body, ms = await self.request(session, "GET", QUEUE_PAGE)
            self.stats.queue_ms.append(ms)
            self.stats.queue_at.append(time.time())
            if response.status == 302:
                if response.headers["Location"].startswith("/book/") and not response.headers[
                    "Location"
                ].startswith("/book/people"):
                    self.stats.lost += 1  # the ticket was gone
                    return
                break
            found = PLACE.search(body)
            if found:
                if place is not None and int(found.group(1)) > place:
                    self.stats.lost += 1
                    self.stats.setbacks.append(int(found.group(1)) - place)
                place = int(found.group(1))
            if self.stormy:  # refresh again at once, and a second tab
                _r, _b, ms = await self.request(session, "GET", QUEUE_PAGE)
                self.stats.queue_ms.append(ms)
                self.stats.queue_at.append(time.time())
                await self.request(session, "GET", "/verify/")
            wait = float(response.headers.get("Refresh", "20"))
            await asyncio.sleep(wait * self.args.refresh_scale)
            response = type("R", (), {"status": 302, "headers": {"Location": QUEUE_PAGE}})
        # Let in: the phone page.
        response, body, _ms = await self.request(session, "GET", "/verify/")
        assert response.status == 200, why(response, body)
        csrf = first(CSRF, body)
        response, body, _ms = await self.request(
            session, "POST", "/verify/", data={"csrfmiddlewaretoken": csrf, "phone": self.phone}
        )
        assert response.status == 302, why(response, body)
        code = await self.code(session)
        response, body, _ms = await self.request(session, "GET", "/verify/code/")
        csrf = first(CSRF, body)
        response, body, _ms = await self.request(
            session, "POST", "/verify/code/", data={"csrfmiddlewaretoken": csrf, "code": code}
        )
        assert response.status == 302, why(response, body)
        response, body, _ms = await self.request(session, "GET", "/book/people/")
        csrf = first(CSRF, body)
        response, body, _ms = await self.request(
            session,
            "POST",
            "/book/people/",
            data={
                "csrfmiddlewaretoken": csrf,
                "first_name": "Erna",
                "last_name": "Bench" + "".join(chr(97 + int(d)) for d in str(self.index)),
                "birth_day": "17",
                "birth_month": "5",
                "birth_year": "1938",
                "postal_code": "30159",
            },
        )
        assert response.status == 302, why(response, body)
        response, body, _ms = await self.request(session, "GET", "/book/people/")
        person = first(PERSON, body)
        for attempt in range(len(self.targets)):
            slug, day = self.targets[(self.index + attempt) % len(self.targets)]
            path = f"/book/{person}/{slug}/{day}/"
            for _try in range(3):
                response, body, _ms = await self.request(session, "GET", path)
                slots, token, form_csrf = SLOT.findall(body), TOKEN.search(body), CSRF.search(body)
                if not (slots and token and form_csrf):
                    break
                response, body, ms = await self.request(
                    session,
                    "POST",
                    path,
                    data={
                        "csrfmiddlewaretoken": form_csrf.group(1),
                        "token": token.group(1),
                        "slot": random.choice(slots),
                    },
                )
                self.stats.booking_ms.append(ms)
                self.stats.booking_at.append(time.time())
                if response.status == 302 and "/booking/" in response.headers["Location"]:
                    self.stats.booked += 1
                    await self.request(session, "GET", response.headers["Location"])
                    return
        # No seat left for them: they join their district's waiting list, as the
        # page offers (and their place in the flow is freed at "my waiting places").
        self.stats.no_seat += 1
        path = f"/waiting-list/{person}/join/district/"
        response, body, _ms = await self.request(session, "GET", path)
        assert response.status == 200, why(response, body)
        response, body, _ms = await self.request(
            session,
            "POST",
            path,
            data={
                "csrfmiddlewaretoken": first(CSRF, body),
                "time_of_day": "any",
                "vaccines": VACCINE.findall(body),  # asked when more than one may be had
            },
        )
        assert response.status == 302, why(response, body)
        response, body, _ms = await self.request(session, "GET", response.headers["Location"])
        assert response.status == 200, why(response, body)
        self.stats.joined += 1

    async def code(self, session) -> str:
        """The code, once the provider has it (as the phone would get it): the fake
        Twilio server keeps what it received."""
        query = f"{self.fake}/_fake/received?prefix={self.phone.replace('+', '%2B')}"
        for _ in range(600):
            async with session.get(query) as response:
                records = [r for r in await response.json() if r["to"] == self.phone]
            if records:
                found = CODE.search(records[-1]["body"])
                assert found, f"no code in {records[-1]}"
                return found.group(1)
            await asyncio.sleep(0.3)
        raise AssertionError(f"no code for {self.phone}")


class QueueWatch:
    """Samples the queue in Redis: the order in which tickets leave it is the
    server's admission order; also the admissions per 5 s and the allowed rate."""

    def __init__(self) -> None:
        from waitingroom import room

        self.room = room
        self.redis = room._redis()
        self.order: list[str] = []
        self.left: set[str] = set()
        # t, admitted, rate, queued, the adapted number in the flow, residents in the flow
        self.timeline: list[tuple[float, int, float, int, int, int]] = []

    async def run(self, stop: asyncio.Event) -> None:
        previous: list[str] = []
        while not stop.is_set():
            members = [m.decode() for m in self.redis.zrange(self.room._key("queue"), 0, -1)]
            now_set = set(members)
            gone = [t for t in previous if t not in now_set and t not in self.left]
            self.order += gone
            self.left.update(gone)
            rate = float(self.redis.get(self.room._key("rate")) or 0)
            capacity = int(self.redis.get(self.room._key("capacity")) or 0)
            inside = self.redis.zcard(self.room._key("active"))
            self.timeline.append((time.time(), len(gone), rate, len(members), capacity, inside))
            previous = members
            await asyncio.sleep(0.2)


class LoopLag:
    """How late this client's own event loop wakes up: every latency it reports
    includes this wait, so a window whose pages were slow only here is the
    client's, not the server's."""

    PERIOD = 0.05

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []  # (time, ms late)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(self.PERIOD)
            late = (time.perf_counter() - started - self.PERIOD) * 1000
            self.samples.append((time.time(), max(0.0, late)))


def start_haproxy(bench: Bench, server, queue_server) -> int:
    """HAProxy in front of both pools, as ``make cluster`` runs it: it queues requests
    itself (``maxconn`` per pool: one per sync worker, one per thread of a gthread
    worker), stamps ``X-Request-Start``, sends the queue page to its pool, and closes
    each connection to a sync worker as soon as the answer is in (the worker waits for
    that before taking the next one). Returns its port."""
    haproxy = require_tool("haproxy", "haproxy")
    port = free_port()
    queue = queue_server or server
    config = bench.tmp / "haproxy.cfg"
    config.write_text(
        "global\n"
        "    maxconn 8000\n"
        "defaults\n"
        "    mode http\n"
        "    timeout connect 2s\n"
        "    timeout client 60s\n"
        "    timeout server 60s\n"
        "    timeout queue 30s\n"
        "    timeout http-keep-alive 30s\n"
        "frontend portal\n"
        f"    bind 127.0.0.1:{port}\n"
        "    http-request set-header X-Request-Start t=%Ts%ms\n"
        f"    use_backend queue if {{ path {QUEUE_PAGE} }}\n"
        "    default_backend web\n"
        "backend web\n"
        f"    server web 127.0.0.1:{server.port} maxconn {server.workers}\n"
        "backend queue\n"
        f"    server queue 127.0.0.1:{queue.port} maxconn {queue.workers * queue.threads}\n"
    )
    subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)
    process = subprocess.Popen(
        [haproxy, "-db", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    bench.processes.append(process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("HAProxy did not answer")


def _pgrep(name: str) -> list[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


class CpuMeter:
    """Who used the machine's cores while the crowd ran: the servers, and the
    benchmark's own parts (the client, the fake provider), which a real morning
    would not run on the portal's cores."""

    def __init__(self, groups: dict) -> None:
        self.groups = groups  # name -> () -> pids
        self.started: dict[str, dict[int, float]] = {}
        self.began = 0.0

    def start(self) -> None:
        self.began = time.monotonic()
        self.started = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}

    def report(self) -> str:
        seconds = time.monotonic() - self.began
        used = {
            name: cpu_used(self.started[name], cpu_seconds(pids()))
            for name, pids in self.groups.items()
        }
        capacity = seconds * (os.cpu_count() or 1)
        parts = ", ".join(f"{name} {100 * cpu / capacity:.0f} %" for name, cpu in used.items())
        return (
            f"CPU while the crowd ran ({seconds:.0f} s x {os.cpu_count()} cores): {parts}; "
            f"in all {100 * sum(used.values()) / capacity:.0f} %"
        )


def worker_ms(access_log, path: str) -> list[float]:
    """The worker's time for each request to ``path`` so far (the harness's access
    log: microseconds, path): no client and no wait for a free worker in it."""
    if access_log is None or not access_log.exists():
        return []
    times = []
    for line in access_log.read_text().splitlines():
        micros, _space, logged = line.partition(" ")
        if logged == path and micros.isdigit():
            times.append(int(micros) / 1000)
    return times


async def page_costs(
    base: str, queue_base: str, *, connections: int, seconds: float, capacity: int
):
    """The queue page against the cached start page, same concurrency, each from
    the pool that serves it: the room is filled with placeholder residents,
    ``connections`` sessions queue, then each page is loaded by all of them for
    ``seconds``."""
    from waitingroom import room

    redis = room._redis()
    now = time.time()
    redis.zadd(room._key("active"), {f"placeholder-{i}": now for i in range(capacity)})
    timeout = aiohttp.ClientTimeout(total=30)
    sessions = []
    for _ in range(connections):
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base, queue_base])
        session = aiohttp.ClientSession(cookie_jar=jar, timeout=timeout)
        async with session.get(base + "/verify/", allow_redirects=False) as response:
            await response.read()
        sessions.append(session)

    async def load(path: str) -> tuple[float, float, int]:
        times: list[float] = []
        errors = 0
        deadline = time.time() + seconds

        async def loop(session):
            nonlocal errors
            while time.time() < deadline:
                started = time.perf_counter()
                url = (queue_base if path == QUEUE_PAGE else base) + path
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()
                    if response.status >= 500 or (path != "/" and response.status != 200):
                        errors += 1
                times.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(loop(session) for session in sessions))
        return len(times) / seconds, percentile(times, 0.99), errors

    results: dict[str, tuple[float, float, int]] = {}
    for path in ("/", QUEUE_PAGE, "/", QUEUE_PAGE):  # alternating rounds
        rps, p99, errors = await load(path)
        best = results.get(path)
        results[path] = (
            (rps, p99, errors)
            if best is None
            else (
                (best[0] + rps) / 2,
                max(best[1], p99),
                best[2] + errors,
            )
        )
    for session in sessions:
        await session.close()
    redis.zrem(room._key("active"), *[f"placeholder-{i}" for i in range(capacity)])
    return results


async def morning(
    server, queue_server, fake: str, args, opens_at: float, targets, meter: CpuMeter, proxy
) -> dict:
    stats = Stats()
    if proxy is not None:  # HAProxy routes the queue page to its pool
        base = queue_base = f"http://127.0.0.1:{proxy}"
    else:
        base = f"http://127.0.0.1:{server.port}"
        queue_base = f"http://127.0.0.1:{queue_server.port}" if queue_server else base
    start = opens_at - args.pre_seconds
    pre_count = args.residents // 5
    arrivals = sorted(
        [random.uniform(start, opens_at) for _ in range(pre_count)]
        + [
            random.uniform(opens_at, opens_at + args.post_seconds)
            for _ in range(args.residents - pre_count)
        ]
    )
    residents = [
        Resident(
            index=i,
            base=base,
            queue_base=queue_base,
            fake=fake,
            stats=stats,
            targets=targets,
            opens_at=opens_at,
            args=args,
        )
        for i in range(len(arrivals))
    ]
    watch = QueueWatch()
    lag = LoopLag()
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch.run(stop))
    lag_watcher = asyncio.create_task(lag.run(stop))
    began = time.time()
    meter.start()
    await asyncio.gather(*(r.run(at) for r, at in zip(residents, arrivals, strict=True)))
    duration = time.time() - began
    cpu = meter.report()
    await asyncio.sleep(0.5)
    stop.set()
    await watcher
    await lag_watcher
    queue_worker_ms = worker_ms((queue_server or server).access_log, QUEUE_PAGE)
    queue_rps = len(stats.queue_ms) / duration
    costs = await page_costs(
        base,
        queue_base,
        connections=args.baseline_connections,
        seconds=5,
        capacity=args.capacity,
    )
    return {
        "stats": stats,
        "watch": watch,
        "lag": lag,
        "cpu": cpu,
        "queue_worker_ms": queue_worker_ms,
        "queue_rps": queue_rps,
        "costs": costs,
        "duration": duration,
    }


def code_delivery_ms() -> list[float]:
    from sms.models import Message

    rows = Message.objects.filter(
        priority=Message.Priority.CODE, sent_at__isnull=False
    ).values_list("created_at", "sent_at")
    return [(sent - created).total_seconds() * 1000 for created, sent in rows if sent]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--pre-seconds", type=float, default=300)
    parser.add_argument("--post-seconds", type=float, default=60)
    parser.add_argument("--capacity", type=int, default=200, help="WAITINGROOM_CAPACITY")
    parser.add_argument("--sms-rate", type=int, default=200)
    parser.add_argument("--dispatchers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--queue-workers",
        type=int,
        default=4,
        help="workers of the queue page's own pool (0: served by the booking pool)",
    )
    parser.add_argument(
        "--queue-threads",
        type=int,
        default=4,
        help="threads per worker of the queue page's pool: above 1 its workers are "
        "gunicorn's gthread workers, which keep connections alive and never hold a "
        "worker while a client is slow to close",
    )
    parser.add_argument(
        "--booking-nice",
        type=int,
        default=0,
        help="niceness of the booking pool (the queue page's pool and the rest stay at 0)",
    )
    parser.add_argument(
        "--proxy",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="HAProxy in front of both pools, as make cluster runs it (default: the "
        "client sends each request to its pool itself)",
    )
    parser.add_argument("--lanes", type=int, default=6)
    parser.add_argument("--baseline-connections", type=int, default=64)
    parser.add_argument(
        "--refresh-scale", type=float, default=1.0, help="wait this share of each Refresh header"
    )
    args = parser.parse_args()

    with Bench("morning") as bench:
        from django.core.management import call_command
        from django.utils import timezone

        from bench.booking import choose_center_days
        from waitingroom.models import Opening

        call_command("load_demo_data", verbosity=0)
        seats_needed = max(4, args.residents // (20 * args.lanes) + 1)
        chosen, _first_ids = choose_center_days(seats_needed, args.lanes)
        targets = [(center.slug, day.isoformat()) for center, day in chosen]
        bench.analyze()
        fake_port = free_port()
        fake = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sms.fake_twilio",
                "--port",
                str(fake_port),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # the harness stops process groups
        )
        bench.processes.append(fake)
        assert fake.stdout is not None
        fake.stdout.readline()
        bench.env.update(
            {
                "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
                "TWILIO_API_BASE_URL": f"http://127.0.0.1:{fake_port}",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_SMS_FROM": "Impfportal",
                "TWILIO_VOICE_FROM": "+495115550100",
                "SMS_RATE_PER_SECOND": str(args.sms_rate),
                "SMS_DISPATCHER_PROCESSES": str(args.dispatchers),
                "WAITINGROOM_CAPACITY": str(args.capacity),
                # The client plays the proxy: it stamps each request as it sends it,
                # so that the room sees the wait for a free worker.
                "WAITINGROOM_REQUEST_START_HEADER": "X-Request-Start",
                # Thousands of residents behind one test address.
                "SMS_CODES_PER_ADDRESS_PER_HOUR": "1000000",
                "SMS_CODES_PER_HOUR": "1000000",
            }
        )
        os.environ.update(bench.env)
        dispatchers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "sms_dispatch"],
                cwd=REPO,
                env=bench.env,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(args.dispatchers)
        ]
        bench.processes += dispatchers
        workers = {"workers": args.workers} if args.workers else {}
        server = bench.start_gunicorn(**workers, nice=args.booking_nice)
        queue_server = (
            bench.start_gunicorn(
                workers=args.queue_workers,
                threads=args.queue_threads,  # above 1 gunicorn runs gthread workers
                access_log=True,
            )
            if args.queue_workers
            else None
        )
        proxy = start_haproxy(bench, server, queue_server) if args.proxy else None
        opens = timezone.now() + timedelta(seconds=args.pre_seconds + 3)
        Opening.objects.create(
            name="Bench opening",
            opens_at=opens,
            prequeue_starts_at=opens - timedelta(seconds=args.pre_seconds + 3),
        )
        print(
            f"{args.residents} residents, {args.residents // 5} in the "
            f"{args.pre_seconds:.0f} s before "
            f"the opening, the rest over {args.post_seconds:.0f} s; capacity {args.capacity}, "
            f"SMS {args.sms_rate}/s, {server.workers} workers"
            + (
                f" (+ {queue_server.workers} x {queue_server.threads} threads for the queue page)"
                if queue_server
                else " (the queue page's too)"
            )
            + f"; {len(targets)} center-days x 20 times x {args.lanes} seats",
            flush=True,
        )

        def pool(gunicorn):
            return lambda: [gunicorn.process.pid, *gunicorn.worker_pids()] if gunicorn else []

        meter = CpuMeter(
            {
                "booking pool": pool(server),
                "queue pool": pool(queue_server),
                "PostgreSQL": lambda: _pgrep("postgres"),
                "Redis": lambda: _pgrep("redis-server"),
                "dispatcher": lambda: [process.pid for process in dispatchers],
                "client": lambda: [os.getpid()],
                "fake provider": lambda: [fake.pid],
                "HAProxy": lambda: [p.pid for p in bench.processes if "haproxy" in str(p.args)],
            }
        )
        result = asyncio.run(
            morning(
                server,
                queue_server,
                f"http://127.0.0.1:{fake_port}",
                args,
                opens.timestamp(),
                targets,
                meter,
                proxy,
            )
        )
        for process in dispatchers:
            process.terminate()
            process.wait(30)
        bench.stop(server)
        if queue_server:
            bench.stop(queue_server)
        stats, watch = result["stats"], result["watch"]

        rank = {ticket: i for i, ticket in enumerate(watch.order)}
        pre = sorted((t for t in stats.pre if t in rank), key=lambda t: stats.arrived_at[t])
        post = sorted(
            (t for t in stats.arrived_at if t not in stats.pre and t in rank),
            key=lambda t: stats.arrived_at[t],
        )

        def tau(tickets: list[str]) -> float:
            order = sorted(range(len(tickets)), key=lambda i: rank[tickets[i]])
            positions = [0] * len(tickets)
            for position, i in enumerate(order):
                positions[i] = position
            return kendall_tau(positions)

        tau_pre, tau_post = tau(pre), tau(post)
        codes = code_delivery_ms()
        costs = result["costs"]
        base_errors = costs["/"][2] + costs[QUEUE_PAGE][2]
        errors = stats.errors + stats.timeouts + base_errors
        print(f"\nran {result['duration']:.0f} s")
        print(
            f"queue page: {len(stats.queue_ms)} requests, {result['queue_rps']:.0f} req/s, "
            f"p50 {percentile(stats.queue_ms, 0.5):.0f} ms, "
            f"p99 {percentile(stats.queue_ms, 0.99):.0f} ms"
        )
        served = result["queue_worker_ms"]
        if served:
            print(
                f"  of which in a queue-page worker (its access log, {len(served)} requests): "
                f"p50 {percentile(served, 0.5):.1f} ms, p99 {percentile(served, 0.99):.1f} ms"
            )
        print(f"  {result['cpu']}")
        late = [ms for _at, ms in result["lag"].samples]
        print(
            f"  the client's own event loop woke late by p50 {percentile(late, 0.5):.0f} ms, "
            f"p99 {percentile(late, 0.99):.0f} ms, max {max(late, default=0):.0f} ms"
        )
        for path, label in ((QUEUE_PAGE, "queue page"), ("/", "start page (cached)")):
            rps, p99, errs = costs[path]
            print(
                f"{label}, {args.baseline_connections} sessions at once, 2 x 5 s: "
                f"{rps:.0f} req/s, p99 {p99:.0f} ms, errors {errs}"
            )
        print(f"queue page / start page req/s: {costs[QUEUE_PAGE][0] / costs['/'][0]:.2f}")
        print(
            f"5xx {stats.errors + base_errors}, timeouts {stats.timeouts}, "
            f"unfinished {stats.unfinished}"
        )
        print(
            f"booked {stats.booked}, no seat {stats.no_seat} (joined the waiting list "
            f"{stats.joined}); code delivery p99 "
            f"{percentile(codes, 0.99):.0f} ms ({len(codes)} codes); booking post p99 "
            f"{percentile(stats.booking_ms, 0.99):.0f} ms ({len(stats.booking_ms)} posts)"
        )
        if stats.setbacks:
            print(
                f"place numbers that went up: {len(stats.setbacks)}, by at most "
                f"{max(stats.setbacks)} (median {percentile(stats.setbacks, 0.5):.0f})"
            )
        print(f"left the queue in order: pre-queue {len(pre)}, after the opening {len(post)}")
        print(
            "admissions from the queue per 5 s (at the end of the window: allowed rate/s, "
            "allowed in the flow, in the flow, queued; booking posts answered in the window "
            "and their p95; queue pages answered and their p99; the client's loop lag p99):"
        )
        posts: dict[int, list[float]] = defaultdict(list)
        for at, ms in zip(stats.booking_at, stats.booking_ms, strict=True):
            posts[int((at - opens.timestamp()) // 5) * 5].append(ms)
        pages: dict[int, list[float]] = defaultdict(list)
        for at, ms in zip(stats.queue_at, stats.queue_ms, strict=True):
            pages[int((at - opens.timestamp()) // 5) * 5].append(ms)
        lags: dict[int, list[float]] = defaultdict(list)
        for at, ms in result["lag"].samples:
            lags[int((at - opens.timestamp()) // 5) * 5].append(ms)
        buckets: dict[int, list] = defaultdict(lambda: [0, 0.0, 0, 0, 0])
        for at, admitted, rate, queued, capacity, inside in watch.timeline:
            bucket = int((at - opens.timestamp()) // 5) * 5
            buckets[bucket][0] += admitted
            buckets[bucket][1:] = [rate, queued, capacity, inside]
        for bucket in sorted(buckets):
            admitted, rate, queued, capacity, inside = buckets[bucket]
            if admitted or queued or inside:
                print(
                    f"  t={bucket:+5d} s  {admitted:5d}  (rate {rate:.0f}/s, "
                    f"capacity {capacity}, inside {inside}, queued {queued}; "
                    f"{len(posts[bucket])} posts, p95 {percentile(posts[bucket], 0.95):.0f} ms; "
                    f"{len(pages[bucket])} queue pages, p99 "
                    f"{percentile(pages[bucket], 0.99):.0f} ms; "
                    f"lag {percentile(lags[bucket], 0.99):.0f} ms)"
                )
        print(
            f"RESULT morning queue_p99_ms={percentile(stats.queue_ms, 0.99):.0f} errors={errors} "
            f"code_p99_ms={percentile(codes, 0.99):.0f} "
            f"booking_p99_ms={percentile(stats.booking_ms, 0.99):.0f} "
            f"tau_pre={tau_pre:.3f} tau_post={tau_post:.3f} lost_places={stats.lost}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
