"""Benchmark: simulated phone calls walk the voice line's waiting-list menu
(item 2: date of birth, read back, postal code, read back, confirm) through
signed Twilio webhooks against production-like gunicorn.

A call is 6 webhooks: the incoming call, "2" in the menu, the date of birth,
"1" to confirm it, the postal code, "1" to confirm and join. Each webhook is
signed as Twilio signs it (``RequestValidator.compute_signature`` over the
public URL and the form), and the next one goes to the ``<Gather>`` action the
answer named, so the client follows the TwiML as Twilio would.

Two phases, in the same run, on the same server:

1. **Capacity**: ``--capacity-calls`` callers at once without pauses, each
   walking calls back to back; webhook req/s against the one-query view
   (``bench/urls.py``) fetched by the same client at the same concurrency:
   ``floor_share`` = webhooks/s ÷ one-query req/s.
2. **A crowd**: ``--calls`` calls at once (default 1,000), each pausing
   ``--think-ms`` (±50 %) between webhooks as a caller listens and presses
   keys; p99 of the webhook answer times (a webhook answered late is a
   caller in silence).

Afterwards the database is checked: one waiting place per call, no call
without one. Last line::

    RESULT voice calls_per_s=… webhook_p99_ms=… floor_share=…

Run: ``.venv/bin/python bench/voice.py [--calls 1000] [--think-ms 12000]``.
"""

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import contextlib

from bench.harness import BASELINE, DEFAULT_WORKERS, Bench, cpu_seconds, cpu_used, print_table

BASE = "https://impfportal.bench.example"
TOKEN = "bench-voice-auth-token"  # noqa: S105 (a throw-away test token)
POSTAL_CODE = "30159"
_ACTION = re.compile(r'<Gather[^>]* action="([^"]+)"')
INCOMING = "/voice/incoming/"
# The webhooks of one call, in order (the menu's step names after the first).
STEPS = ("incoming", "menu", "join_dob", "join_dob_ok", "join_plz", "join_plz_ok")


def call_params(number: int) -> dict[str, str]:
    """What Twilio posts with every webhook of call ``number``."""
    return {
        "CallSid": f"CA{number:032x}",
        "From": f"+49511{2000000 + number}",
        "To": "+495115550100",
    }


def keys_of(number: int) -> tuple[str, ...]:
    """The keys call ``number`` presses after the greeting: join, born, yes, postal code, yes."""
    born = f"{1 + number % 28:02d}{1 + number % 12:02d}{1925 + number % 15}"
    return ("2", born, "1", POSTAL_CODE, "1")


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)  # seconds per webhook
    sent_at: list[float] = field(default_factory=list)  # monotonic time each was sent
    errors: int = 0
    calls: int = 0

    def by_window(self, seconds: float) -> list[tuple[int, int, float]]:
        """(window start s, webhooks sent in it, their p99 ms) over the run."""
        if not self.sent_at:
            return []
        start = min(self.sent_at)
        windows: dict[int, list[float]] = {}
        for sent, latency in zip(self.sent_at, self.latencies, strict=True):
            windows.setdefault(int((sent - start) // seconds), []).append(latency)
        rows = []
        for number, latencies in sorted(windows.items()):
            ordered = sorted(latencies)
            p99 = 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
            rows.append((int(number * seconds), len(latencies), p99))
        return rows

    def p(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _http(
    port: int, method: str, path: str, body: bytes = b"", headers=()
) -> tuple[int, str]:
    """One request on its own connection (gunicorn's sync workers close after each)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if method == "POST":
        head += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
        ]
    head += [f"{name}: {value}" for name, value in headers]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status_line, _, rest = data.partition(b"\r\n")
    status = int(status_line.split()[1]) if status_line else 0
    return status, rest.partition(b"\r\n\r\n")[2].decode(errors="replace")


def next_path(answer: str) -> str | None:
    """The path (and query) of the ``<Gather>`` action the TwiML answer names."""
    match = _ACTION.search(answer)
    if match is None:
        return None
    action = urlsplit(match.group(1).replace("&amp;", "&"))
    return f"{action.path}?{action.query}"


class Client:
    def __init__(self, port: int, figures: Figures):
        from twilio.request_validator import RequestValidator

        self.port = port
        self.figures = figures
        self.validator = RequestValidator(TOKEN)

    async def webhook(self, path: str, params: dict) -> str:
        signature = self.validator.compute_signature(BASE + path, params)
        started = time.monotonic()
        try:
            status, body = await _http(
                self.port,
                "POST",
                path,
                urlencode(params).encode(),
                [("X-Twilio-Signature", signature)],
            )
        except OSError:
            status, body = 0, ""
        self.figures.latencies.append(time.monotonic() - started)
        self.figures.sent_at.append(started)
        if status != 200:
            self.figures.errors += 1
            raise RuntimeError(f"{path}: {status}")
        return body

    async def call(self, number: int, *, think_s: float) -> None:
        """One caller joins the waiting list: 6 webhooks, following the TwiML."""
        params = call_params(number)
        answer = await self.webhook(INCOMING, params)
        for digits in keys_of(number):
            if think_s:
                await asyncio.sleep(random.uniform(0.5 * think_s, 1.5 * think_s))
            path = next_path(answer)
            if path is None:
                self.figures.errors += 1
                raise RuntimeError(f"no question in the answer: {answer[:200]}")
            answer = await self.webhook(path, {**params, "Digits": digits})
        if "<Hangup" not in answer:
            self.figures.errors += 1
            raise RuntimeError("the call did not end")
        self.figures.calls += 1


def in_process_costs(
    *, calls: int, first: int, cprofile: Path | None = None
) -> tuple[dict[str, tuple[float, float]], int]:
    """Queries and CPU milliseconds (medians of ``calls`` calls, after a warm-up)
    of each of a call's webhooks and of the one-query view (fetched after each
    webhook), measured in this process through Django's test client and the
    full middleware stack: steadier than the figures under gunicorn.
    The webhooks are posted form-encoded and signed as Twilio posts them; the
    client keeps a call's cookies for that call only, as Twilio does. Also
    returns how many answers set a cookie. With ``cprofile`` as many more calls
    are profiled (by CPU time), the statistics written to that file.
    """
    import cProfile
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    client = DjangoClient()  # one for all: a new one would load the middleware again
    profiler = cProfile.Profile(time.process_time) if cprofile else None
    costs: dict[str, list[tuple[int, float]]] = {name: [] for name in (*STEPS, "one-query")}
    cookies_set = 0
    warm_up = 3

    def measured(name: str, sample: str, send, *args):
        nonlocal cookies_set
        with CaptureQueriesContext(connection) as queries:
            if profiler and sample == "profile":
                profiler.enable()
            cpu = time.process_time()
            response = send(*args)
            cpu = time.process_time() - cpu
            if profiler and sample == "profile":
                profiler.disable()
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code}")
        cookies_set += bool(response.cookies)
        if sample == "measure":
            costs[name].append((len(queries), cpu))
        return response

    def post(path: str, form: dict):
        signature = validator.compute_signature(BASE + path, form)
        return client.post(
            path,
            urlencode(form),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

    def webhook(name: str, sample: str, path: str, form: dict) -> str:
        """The webhook, then the one-query view: each step's figures and the floor's
        come from the same moments of a shared machine."""
        answer = measured(name, sample, post, path, form).content.decode()
        measured("one-query", sample, client.get, BASELINE)
        return answer

    # With a profiler, every other call is profiled and the others measured
    # (the profiler's own overhead would double the CPU figures).
    rounds = 2 if profiler else 1
    with override_settings(TWILIO_AUTH_TOKEN=TOKEN, HOTLINE_VOICE_BASE_URL=BASE):
        for index in range(warm_up + rounds * calls):
            sample = "warm up" if index < warm_up else ("measure", "profile")[index % rounds]
            number = first + index
            params = call_params(number)
            client.cookies.clear()
            answer = webhook("incoming", sample, INCOMING, params)
            for name, digits in zip(STEPS[1:], keys_of(number), strict=True):
                path = next_path(answer)
                if path is None:
                    raise RuntimeError(f"{name}: no question in {answer[:200]}")
                answer = webhook(name, sample, path, {**params, "Digits": digits})
            if "<Hangup" not in answer:
                raise RuntimeError(f"the call did not end: {answer[:200]}")
    if profiler and cprofile:
        profiler.dump_stats(cprofile)
    medians = {
        name: (
            statistics.median(queries for queries, _ in samples),
            1000 * statistics.median(cpu for _, cpu in samples),
        )
        for name, samples in costs.items()
    }
    return medians, cookies_set


def describe_in_process(costs: dict[str, tuple[float, float]], *, calls: int, cookies: int) -> str:
    floor_ms = costs["one-query"][1]
    lines = [f"in-process, median of {calls} calls (CPU ms, and as a multiple of the floor):"]
    for name in (*STEPS, "one-query"):
        queries, cpu = costs[name]
        lines.append(f"  {name:>12}: {queries:3.0f} queries, {cpu:6.2f} ms, {cpu / floor_ms:5.1f}x")
    webhook_ms = statistics.mean(costs[name][1] for name in STEPS)
    lines.append(
        f"  per webhook {webhook_ms:.2f} ms = {webhook_ms / floor_ms:.1f}x the floor "
        f"(in-process share by CPU {floor_ms / webhook_ms:.2f}); answers that set a cookie: "
        f"{cookies}"
    )
    return "\n".join(lines)


async def _guarded(coroutine) -> None:
    with contextlib.suppress(RuntimeError):
        await coroutine


async def capacity(port: int, *, callers: int, calls: int, first: int) -> tuple[Figures, float]:
    figures = Figures()
    client = Client(port, figures)
    numbers = iter(range(first, first + calls))

    async def caller() -> None:
        for number in numbers:
            await _guarded(client.call(number, think_s=0))

    started = time.monotonic()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return figures, time.monotonic() - started


async def floor(port: int, *, connections: int, seconds: float) -> tuple[int, float]:
    """The one-query view, fetched by the same client at the same concurrency."""
    done = 0
    stop_at = time.monotonic() + seconds

    async def fetch() -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            status, _body = await _http(port, "GET", BASELINE)
            done += status == 200

    started = time.monotonic()
    await asyncio.gather(*(fetch() for _ in range(connections)))
    return done, time.monotonic() - started


async def crowd(port: int, *, calls: int, first: int, think_s: float, ramp_s: float):
    figures = Figures()
    client = Client(port, figures)

    async def later(number: int) -> None:
        await asyncio.sleep(random.uniform(0, ramp_s))
        await _guarded(client.call(number, think_s=think_s))

    started = time.monotonic()
    await asyncio.gather(*(later(first + i) for i in range(calls)))
    return figures, time.monotonic() - started


def load_district() -> None:
    """A district whose center has vaccine but no free appointment: waiting list only."""
    from django.utils import timezone

    from booking.models import PriorityGroup, VaccineOpening
    from centers.models import Center, Delivery, District, PostalCode, Vaccine

    district = District.objects.create(name="Region Hannover", slug="region-hannover")
    PostalCode.objects.create(code=POSTAL_CODE, town="Hannover", district=district)
    center = Center.objects.create(
        district=district,
        name="Impfzentrum Hannover",
        slug="hannover",
        street="Messegelände 1",
        postal_code="30521",
        town="Hannover",
    )
    vaccine = Vaccine.objects.create(name="BioNTech", slug="biontech", second_dose_interval_days=21)
    Delivery.objects.create(
        center=center, vaccine=vaccine, doses=1000, delivered_on=timezone.localdate()
    )
    for rank, age in enumerate((80, 70, 60), start=1):
        group = PriorityGroup.objects.create(name=f"{age}+", rank=rank, min_age=age)
        VaccineOpening.objects.create(
            group=group, vaccine=vaccine, scope=VaccineOpening.Scope.WAITLIST
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls at once in the crowd")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=12000,
        help="pause between keys (±50 %%): the question said twice, slowly",
    )
    parser.add_argument("--ramp-s", type=float, default=30, help="the crowd's calls start within")
    parser.add_argument(
        "--capacity-calls", type=int, default=400, help="calls of the capacity phase"
    )
    parser.add_argument("--callers", type=int, default=32, help="callers at once, capacity phase")
    parser.add_argument("--floor-seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument(
        "--in-process", type=int, default=30, help="calls measured in-process (queries, CPU)"
    )
    parser.add_argument(
        "--cprofile", type=Path, help="write cProfile statistics of the in-process calls"
    )
    parser.add_argument(
        "--only-in-process",
        action="store_true",
        help="measure (and profile) in-process only, twice: no gunicorn",
    )
    args = parser.parse_args()

    with Bench("voice") as bench:
        bench.env |= {"TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_VOICE_BASE_URL": BASE}
        load_district()
        bench.analyze()
        from waitlist.models import Entry

        # Numbers far above those of the load below, so that no call is repeated.
        for run in range(1, 3 if args.only_in_process else 2):
            costs, cookies = in_process_costs(
                calls=args.in_process, first=run * 10**6, cprofile=args.cprofile
            )
            print(describe_in_process(costs, calls=args.in_process, cookies=cookies), flush=True)
        if args.only_in_process:
            return 0
        joined_in_process = Entry.objects.count()
        bench.analyze()
        server = bench.start_gunicorn(workers=args.workers)
        print(
            f"gunicorn: {server.workers} sync workers; capacity: {args.callers} callers without "
            f"pauses, {args.capacity_calls} calls; crowd: {args.calls} calls at once, "
            f"{args.think_ms:.0f} ms between keys",
            flush=True,
        )
        asyncio.run(floor(server.port, connections=args.callers, seconds=1))  # warm up

        def cpu_now() -> tuple[dict, dict]:
            return cpu_seconds(server.worker_pids()), cpu_seconds(bench.backend_pids())

        def cpu_since(before: tuple[dict, dict]) -> tuple[float, float]:
            after = cpu_now()
            return cpu_used(before[0], after[0]), cpu_used(before[1], after[1])

        before = cpu_now()
        floor_done, floor_s = asyncio.run(
            floor(server.port, connections=args.callers, seconds=args.floor_seconds)
        )
        floor_cpu = cpu_since(before)
        before = cpu_now()
        cap, cap_s = asyncio.run(
            capacity(server.port, callers=args.callers, calls=args.capacity_calls, first=0)
        )
        cap_cpu = cpu_since(before)
        bench.analyze()
        mob, mob_s = asyncio.run(
            crowd(
                server.port,
                calls=args.calls,
                first=args.capacity_calls,
                think_s=args.think_ms / 1000,
                ramp_s=args.ramp_s,
            )
        )
        bench.stop(server)

        entries = Entry.objects.count() - joined_in_process
        calls_done = cap.calls + mob.calls
        floor_rps = floor_done / floor_s
        cap_rps = len(cap.latencies) / cap_s
        share = cap_rps / floor_rps if floor_rps else 0.0
        print_table(
            ["phase", "calls", "webhooks", "errors", "req/s", "p50 ms", "p99 ms", "max ms"],
            [
                ["one-query floor", "-", floor_done, 0, f"{floor_rps:.0f}", "-", "-", "-"],
                [
                    "capacity",
                    cap.calls,
                    len(cap.latencies),
                    cap.errors,
                    f"{cap_rps:.0f}",
                    f"{cap.p(0.5):.0f}",
                    f"{cap.p(0.99):.0f}",
                    f"{cap.p(1):.0f}",
                ],
                [
                    "crowd",
                    mob.calls,
                    len(mob.latencies),
                    mob.errors,
                    f"{len(mob.latencies) / mob_s:.0f}",
                    f"{mob.p(0.5):.0f}",
                    f"{mob.p(0.99):.0f}",
                    f"{mob.p(1):.0f}",
                ],
            ],
        )
        print("the crowd by 15-second windows (when sent): webhooks, p99 ms")
        print(
            "  "
            + ", ".join(f"{start}s: {count} / {p99:.0f}" for start, count, p99 in mob.by_window(15))
        )
        floor_ms = [1000 * seconds / max(floor_done, 1) for seconds in floor_cpu]
        hook_ms = [1000 * seconds / max(len(cap.latencies), 1) for seconds in cap_cpu]
        print(
            f"CPU per request (gunicorn workers + PostgreSQL backends, steadier than req/s on "
            f"a shared machine): one-query {floor_ms[0]:.2f} + {floor_ms[1]:.2f} ms, webhook "
            f"{hook_ms[0]:.2f} + {hook_ms[1]:.2f} ms (share by CPU "
            f"{sum(floor_ms) / sum(hook_ms) if sum(hook_ms) else 0:.2f})",
            flush=True,
        )
        print(
            f"waiting places: {entries} for {calls_done} completed calls "
            f"({'ok' if entries == calls_done else 'MISMATCH'}); "
            f"capacity {cap.calls / cap_s:.1f} calls/s, "
            f"{statistics.mean(cap.latencies) * 1000 if cap.latencies else 0:.1f} ms mean webhook",
            flush=True,
        )
    print(
        f"RESULT voice calls_per_s={cap.calls / cap_s:.1f} webhook_p99_ms={mob.p(0.99):.0f} "
        f"floor_share={share:.2f}"
    )
    return 0 if entries == calls_done and not (cap.errors or mob.errors) else 1


if __name__ == "__main__":
    sys.exit(main())
