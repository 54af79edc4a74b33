"""How fast the SMS outbox drains, and how long a code waits behind the backlog.

The 2021 morning: 25,000 SMS sent, more than 70,000 stuck, codes arriving after
they were useless. This benchmark queues 70,000 notifications (``--messages``),
starts the dispatcher processes (``manage.py sms_dispatch``) against the fake
Twilio server (``tests/sms/fake_twilio.py``, its own process) through the real
Twilio SDK, and requests a verification code every 50 ms during the drain
(``sms.services.request_code``, as the code page does).

Three runs:

0. baseline: the same Twilio backend (SDK, HTTP client) sending as many messages
   from the same number of processes and threads against the same fake server, in
   a bare loop: no outbox, no claims, no database. The drain's rate is compared
   with it (``ratio``), so that a busy machine lowers both.

1. uncapped: no provider rate; until every notification has reached the
   provider. Reports the drain rate and time, and the codes' latency from
   request to the provider receiving them (p50/p99).
2. capped at ``--cap`` messages/s per sender (default 200): codes and the
   backlog share the rate. The full backlog would take minutes, so this run
   measures for ``--capped-seconds`` (default 30) and reports the rate the
   provider saw (its busiest second must stay within the cap plus the burst)
   and the codes' latency.

It creates and drops its own database (``impfportal_bench_sms``) and Redis
key space, starts and stops every process itself. Last line::

    RESULT sms_drain rate_per_s=… baseline_per_s=… ratio=… code_p99_ms=… capped_code_p99_ms=…

(targets: ratio >= 0.8; codes p99 <= 2,000 ms, capped and uncapped).

``--in-process N`` first drains N messages inside the benchmark's own process
through the memory backend (no provider, no network) and prints the
dispatcher's CPU and statements per message; ``--cprofile FILE`` profiles that
drain as well.

Run: ``make bench-sms`` or ``.venv/bin/python bench/sms_drain.py [--messages 5000]``.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(ROOT / "bench"):
    # Run as a script: bench/profile.py must not stand in for the standard
    # library's profile module (which cProfile imports).
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

from tests.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

BULK_PREFIX = "+49151"
BASELINE_PREFIX = "+49152"
CODE_PREFIX = "+49170"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=70_000, help="notifications queued")
    parser.add_argument("--dispatchers", type=int, default=2, help="dispatcher processes")
    parser.add_argument("--pool", type=int, default=16, help="sending threads per dispatcher")
    parser.add_argument("--cap", type=int, default=200, help="messages/s in the capped run")
    parser.add_argument("--capped-seconds", type=float, default=30.0)
    parser.add_argument(
        "--baseline-messages", type=int, default=20_000, help="sent by the bare loop"
    )
    parser.add_argument("--code-every", type=float, default=0.05, help="seconds between codes")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/impfportal_bench_sms",
        help="the benchmark's own database: dropped and created again",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--in-process",
        type=int,
        default=0,
        metavar="N",
        help="first drain N messages in this process through the memory backend: the "
        "dispatcher's own CPU and statements per message",
    )
    parser.add_argument(
        "--cprofile", metavar="FILE", help="profile that in-process drain too (pstats file)"
    )
    parser.add_argument(
        "--in-process-only", action="store_true", help="stop after the in-process drain"
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, all its threads (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


class Bench:
    def __init__(self, options):
        self.options = options
        self.processes: list[subprocess.Popen] = []
        self.fake: subprocess.Popen | None = None
        self.fake_url = ""
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "impfportal.settings",
            "DEBUG": "false",
            "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": options.database_url,
            "REDIS_URL": options.redis_url,
            "CACHE_KEY_PREFIX": f"bench-sms-{os.getpid()}",
            "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
            # Not localhost: with DEBUG off the system checks refuse that.
            "PORTAL_URL": "https://impfportal.bench.example",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": "Impfportal",
            "TWILIO_VOICE_FROM": "+495115550100",
            "SMS_POOL_SIZE": str(options.pool),
            "SMS_DISPATCHER_PROCESSES": str(options.dispatchers),
            "LOG_LEVEL": "WARNING",
        }

    # --- processes -----------------------------------------------------------
    def start_fake_twilio(self) -> None:
        port = free_port()
        self.fake = subprocess.Popen(
            [sys.executable, "-m", "tests.sms.fake_twilio", "--port", str(port), "--no-bodies"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.fake.stdout is not None  # stdout=PIPE
        self.fake.stdout.readline()  # "listening on …"
        self.fake_url = f"http://127.0.0.1:{port}"
        self.env["TWILIO_API_BASE_URL"] = self.fake_url

    def stop_fake_twilio(self) -> None:
        if self.fake and self.fake.poll() is None:
            self.fake.terminate()
            self.fake.wait(10)
        self.fake = None

    def start_dispatchers(self, *, rate: int) -> None:
        env = {**self.env, "SMS_RATE_PER_SECOND": str(rate)}
        for _ in range(self.options.dispatchers):
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "sms_dispatch"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
            )

    def stop_dispatchers(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []

    def received(self, prefix: str, *, summary: bool = False):
        url = f"{self.fake_url}/_fake/received?prefix={prefix.replace('+', '%2B')}"
        if summary:
            url += "&summary=1"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return json.load(response)

    # --- data ----------------------------------------------------------------
    def clear_outbox(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            # Other apps' rows point to messages (offers, reminders; none exist in
            # this database): CASCADE empties them too, whichever apps add such rows.
            cursor.execute("TRUNCATE sms_message, sms_phoneverification CASCADE")

    def wait_for_dispatchers(self) -> None:
        """Until every dispatcher has connected to the database (it claims at once)."""
        from django.db import connection

        deadline = time.time() + 60
        while time.time() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] >= self.options.dispatchers:
                    return
            time.sleep(0.1)
        raise RuntimeError("the dispatchers did not start")

    def dispatcher_cpu(self) -> tuple[float, float, float, float, float]:
        """CPU seconds so far: the dispatcher processes, their database backends,
        the fake provider, this process (the code requests, the polls) and its
        own database backend (the codes' rows, VACUUM). The last three are the
        rest of the machine's work per message, which the bare loop does not
        have (except the provider's)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, pid = pg_backend_pid() FROM pg_stat_activity "
                "WHERE datname = current_database()"
            )
            backends = cursor.fetchall()
        return (
            sum(cpu_seconds(process.pid) for process in self.processes),
            sum(cpu_seconds(pid) for pid, own in backends if not own),
            cpu_seconds(self.fake.pid) if self.fake else 0.0,
            time.process_time(),
            sum(cpu_seconds(pid) for pid, own in backends if own),
        )

    def queue_backlog(self) -> None:
        """All notifications in one transaction, as a bulk job would queue them."""
        from django.db import connection, transaction

        from sms.models import Message

        with transaction.atomic():
            Message.objects.bulk_create(
                (
                    Message(
                        recipient=f"{BULK_PREFIX}{number:08d}",
                        body=f"Erinnerung: Ihr Impftermin ist morgen. Nummer {number}.",
                        priority=Message.Priority.BULK,
                        idempotency_key=f"bench:{number}",
                    )
                    for number in range(self.options.messages)
                ),
                batch_size=5000,
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sms_message")

    def vacuum(self) -> None:
        # This machine's PostgreSQL runs without autovacuum; production has it.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) sms_message")

    def run(self, *, rate: int, until_drained: bool, seconds: float) -> dict:
        """Start the dispatchers, queue the backlog, request codes until done."""
        from sms.phone import parse_phone_number
        from sms.services import request_code

        self.clear_outbox()
        self.start_fake_twilio()
        requested: dict[str, float] = {}
        self.start_dispatchers(rate=rate)
        try:
            self.wait_for_dispatchers()
            cpu_before = self.dispatcher_cpu()
            self.queue_backlog()
            # The rest of the machine counted from here: queuing the backlog is
            # the bench's own work, not the drain's.
            cpu_before = (*cpu_before[:2], *self.dispatcher_cpu()[2:])
            started = time.time()
            next_code = started
            next_poll = started + 0.5
            next_vacuum = started + 15
            while True:
                now = time.time()
                if now >= next_code:
                    phone = parse_phone_number(f"{CODE_PREFIX}{1_000_000 + len(requested):07d}")
                    requested[phone.e164] = time.time()
                    request_code(phone)
                    next_code += self.options.code_every
                if now >= next_poll:
                    next_poll = now + 0.5
                    count = self.received(BULK_PREFIX, summary=True)["count"]
                    if until_drained and count >= self.options.messages:
                        break
                    if not until_drained and now - started >= seconds:
                        break
                if now >= next_vacuum:
                    next_vacuum = now + 15
                    self.vacuum()
                time.sleep(max(0.0, min(next_code, next_poll) - time.time()))
            # The last codes get a moment to arrive.
            deadline = time.time() + 5
            while time.time() < deadline:
                if self.received(CODE_PREFIX, summary=True)["count"] >= len(requested):
                    break
                time.sleep(0.1)
            cpu_after = self.dispatcher_cpu()
        finally:
            self.stop_dispatchers()
        bulk = self.received(BULK_PREFIX)
        codes = {r["to"]: r["at"] for r in self.received(CODE_PREFIX)}
        self.stop_fake_twilio()

        latencies = sorted(
            (codes[phone] - at) * 1000 for phone, at in requested.items() if phone in codes
        )
        times = sorted(r["at"] for r in bulk)
        per_second: dict[int, int] = {}
        for at in [*times, *codes.values()]:
            per_second[int(at)] = per_second.get(int(at), 0) + 1
        first, last = (times[0], times[-1]) if times else (started, started)
        full_seconds = [n for second, n in sorted(per_second.items())][1:-1]
        handed_over = len(bulk) + len(codes)
        cpu = [
            per_message(after - before, handed_over)
            for before, after in zip(cpu_before, cpu_after, strict=True)
        ]
        return {
            "dispatcher_cpu_ms": cpu[0],
            "postgres_cpu_ms": cpu[1],
            "fake_cpu_ms": cpu[2],
            "bench_cpu_ms": cpu[3],
            "bench_postgres_cpu_ms": cpu[4],
            "bulk_sent": len(bulk),
            "last_at": last - started,
            "rate_per_s": len(bulk) / (last - first) if last > first else 0.0,
            "busiest_second": max(full_seconds, default=0),
            "codes_requested": len(requested),
            "codes_received": len(latencies),
            "code_p50_ms": percentile(latencies, 50),
            "code_p99_ms": percentile(latencies, 99),
            "code_max_ms": latencies[-1] if latencies else float("nan"),
        }

    def bare_loop(self) -> dict:
        """The floor: the backend's own sending rate without the outbox around it."""
        import multiprocessing

        from django.db import connections

        self.start_fake_twilio()
        try:
            count, processes = self.options.baseline_messages, self.options.dispatchers
            bounds = [count * n // processes for n in range(processes + 1)]
            jobs = [
                (bounds[n], bounds[n + 1] - bounds[n], self.options.pool, self.fake_url)
                for n in range(processes)
            ]
            connections.close_all()  # forked children must not share a connection
            assert self.fake is not None  # just started
            fake_before = cpu_seconds(self.fake.pid)
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                cpu = sum(pool.starmap(_send_bare, jobs))
            fake_cpu = cpu_seconds(self.fake.pid) - fake_before
            times = sorted(r["at"] for r in self.received(BASELINE_PREFIX))
        finally:
            self.stop_fake_twilio()
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return {
            "sent": len(times),
            "rate_per_s": (len(times) - 1) / span if span else 0.0,
            "cpu_ms": per_message(cpu, len(times)),
            "fake_cpu_ms": per_message(fake_cpu, len(times)),
        }

    def close(self) -> None:
        self.stop_dispatchers()
        self.stop_fake_twilio()


def _send_bare(first: int, count: int, threads: int, base_url: str) -> float:
    """One process of the bare loop: ``threads`` threads send through TwilioBackend.
    Returns the CPU seconds the process spent on it."""
    from django.conf import settings

    from sms.backends.twilio import TwilioBackend

    settings.TWILIO_API_BASE_URL = base_url
    backend = TwilioBackend()

    def send(number: int) -> None:
        backend.send(
            SimpleNamespace(
                pk=number,
                channel="sms",
                recipient=f"{BASELINE_PREFIX}{number:08d}",
                body=f"Erinnerung: Ihr Impftermin ist morgen. Nummer {number}.",
                send_before=None,
            )
        )

    started = time.process_time()
    with ThreadPoolExecutor(threads) as executor:
        list(executor.map(send, range(first, first + count)))
    return time.process_time() - started


def per_message(seconds: float, messages: int) -> float:
    return seconds * 1000 / messages if messages else float("nan")


def drain_in_process(bench: Bench, *, messages: int, cprofile: str | None) -> dict:
    """Drain ``messages`` in this process through the memory backend.

    No provider and no network: what remains is the dispatcher's own work per
    message (claims, outcome writes, receivers, logging). With ``cprofile`` the
    main thread (the only one that touches the database) is profiled by wall
    time (a CPU-time timer costs a system call per event and swamps what it
    measures), the statistics written to that file and the top printed; the
    CPU figures are then inflated by the profiler.
    """
    import cProfile
    import io
    import pstats

    from django.conf import settings
    from django.db import connection

    from sms.backends import memory
    from sms.dispatcher import Dispatcher

    bench.clear_outbox()
    saved = bench.options.messages
    bench.options.messages = messages
    bench.queue_backlog()
    bench.options.messages = saved
    settings.SMS_RATE_PER_SECOND = 0  # as the uncapped run
    dispatcher = Dispatcher(backend=memory.MemoryBackend(), pool_size=bench.options.pool)
    statements = [0]

    def counting(execute, sql, params, many, context):
        statements[0] += len(params) if many else 1
        return execute(sql, params, many, context)

    profiler = cProfile.Profile() if cprofile else None
    started, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    with connection.execute_wrapper(counting):
        if profiler:
            profiler.enable()
        sent = dispatcher.run(until_idle=True)
        if profiler:
            profiler.disable()
    elapsed = time.perf_counter() - started
    cpu, main_cpu = time.process_time() - cpu, time.thread_time() - main_cpu
    memory.outbox.clear()
    bench.clear_outbox()
    report = io.StringIO()
    if profiler and cprofile:
        profiler.dump_stats(cprofile)
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(30)
    return {
        "sent": sent,
        "per_s": sent / elapsed if elapsed else 0.0,
        "cpu_ms": per_message(cpu, sent),
        "main_cpu_ms": per_message(main_cpu, sent),
        "statements": statements[0] / sent if sent else float("nan"),
        "report": report.getvalue(),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def main() -> None:
    options = parse_args()
    bench = Bench(options)
    recreate_database(options.database_url)
    try:
        migrate(bench.env)
        os.environ.update(bench.env)
        import django

        django.setup()
        print(
            f"sms_drain: {options.messages} notifications, {options.dispatchers} dispatchers "
            f"x {options.pool} threads, a code every {options.code_every * 1000:.0f} ms; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if options.in_process:
            alone = drain_in_process(bench, messages=options.in_process, cprofile=options.cprofile)
            print(alone["report"], end="", flush=True)
            print(
                f"in-process (memory backend{', cProfile' if options.cprofile else ''}): "
                f"{alone['sent']} messages at {alone['per_s']:.0f}/s, dispatcher CPU "
                f"{alone['cpu_ms']:.3f} ms per message (main thread {alone['main_cpu_ms']:.3f} "
                f"ms), {alone['statements']:.2f} statements per message",
                flush=True,
            )
            if options.in_process_only:
                return
        bare = bench.bare_loop()
        print(
            f"baseline: the bare loop sent {bare['sent']} messages at "
            f"{bare['rate_per_s']:.0f}/s (same backend, processes and threads; no outbox), "
            f"{bare['cpu_ms']:.2f} ms CPU per message, the fake provider "
            f"{bare['fake_cpu_ms']:.2f} ms",
            flush=True,
        )
        free = bench.run(rate=0, until_drained=True, seconds=0)
        print(
            f"uncapped: {free['bulk_sent']} notifications drained in {free['last_at']:.1f} s "
            f"after they were queued, {free['rate_per_s']:.0f} messages/s at the provider; "
            f"codes {free['codes_received']}/{free['codes_requested']} "
            f"p50 {free['code_p50_ms']:.0f} ms, p99 {free['code_p99_ms']:.0f} ms, "
            f"max {free['code_max_ms']:.0f} ms; dispatchers {free['dispatcher_cpu_ms']:.2f} ms "
            f"CPU per message, their database backends {free['postgres_cpu_ms']:.2f} ms; "
            f"the fake provider {free['fake_cpu_ms']:.2f} ms, this process (codes, polls) "
            f"{free['bench_cpu_ms']:.2f} ms and its database backend "
            f"{free['bench_postgres_cpu_ms']:.2f} ms",
            flush=True,
        )
        capped = bench.run(rate=options.cap, until_drained=False, seconds=options.capped_seconds)
        print(
            f"capped at {options.cap}/s: {capped['bulk_sent']} notices in "
            f"{options.capped_seconds:.0f} s, busiest second {capped['busiest_second']} "
            f"messages; codes {capped['codes_received']}/{capped['codes_requested']} "
            f"p50 {capped['code_p50_ms']:.0f} ms, p99 {capped['code_p99_ms']:.0f} ms, "
            f"max {capped['code_max_ms']:.0f} ms",
            flush=True,
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)
        # The machine's CPU per message on each side. Where both sides are
        # CPU-bound on the same cores (a quiet machine), the rates compare as
        # these do; a busy machine's other work moves the measured ratio far more.
        bare_cpu = bare["cpu_ms"] + bare["fake_cpu_ms"]
        drain_cpu = sum(
            free[key]
            for key in (
                "dispatcher_cpu_ms",
                "postgres_cpu_ms",
                "fake_cpu_ms",
                "bench_cpu_ms",
                "bench_postgres_cpu_ms",
            )
        )
        print(
            f"CPU per message, all processes: bare loop {bare_cpu:.2f} ms, drain "
            f"{drain_cpu:.2f} ms (ratio by CPU {bare_cpu / drain_cpu:.2f})",
            flush=True,
        )
        ratio = free["rate_per_s"] / bare["rate_per_s"] if bare["rate_per_s"] else 0.0
        print(
            f"RESULT sms_drain rate_per_s={free['rate_per_s']:.0f} "
            f"baseline_per_s={bare['rate_per_s']:.0f} ratio={ratio:.2f} "
            f"code_p99_ms={free['code_p99_ms']:.0f} capped_code_p99_ms={capped['code_p99_ms']:.0f}"
        )
    finally:
        bench.close()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        recreate_database(options.database_url, drop_only=True)


if __name__ == "__main__":
    main()
