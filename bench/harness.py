"""Shared plumbing of the benchmarks: a throw-away PostgreSQL database, gunicorn
with production-like settings, wrk, and a clean-up that also runs on Ctrl+C.

Each benchmark script does::

    with Bench("start") as bench:      # creates impfportal_bench_start, migrates
        ...load data through the project's own commands and services...
        bench.analyze()                # autovacuum is off on the bench machines
        server = bench.start_gunicorn()
        result = bench.wrk(server, "/", connections=64, duration_s=8)

and leaves nothing behind: on leaving the ``with`` block (normally, by an error,
by Ctrl+C or SIGTERM) it stops every process it started, drops the database,
deletes its Redis keys and removes its temporary files.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import profile as bench_profile

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = Path(__file__).resolve().parent / "lua"

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Appended to each benchmark's database name, so that a run inside the tests
# (tests/test_bench_scripts.py) never drops the database of a ``make bench``.
DATABASE_SUFFIX = os.environ.get("BENCH_DATABASE_SUFFIX", "")

# The baseline of both benchmarks: a Django view that makes one query (bench/urls.py).
BASELINE = "/bench/one-query/"

CORES = os.cpu_count() or 1
# Sync workers: each handles one request at a time, so a worker blocked on a
# row lock does not hold the GIL of others. 2 x cores + 1 is gunicorn's advice.
DEFAULT_WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * CORES + 1))


class BenchError(RuntimeError):
    """Something the benchmark needs is missing; the message says what to do."""


def _terminate_on_sigterm() -> None:
    """SIGTERM and SIGHUP clean up like Ctrl+C does (SystemExit unwinds ``with``)."""

    owner = os.getpid()

    def handler(signum, _frame):
        if os.getpid() != owner:
            # A forked helper (a multiprocessing pool's worker) that its pool
            # terminates: nothing of its own to clean up, and no traceback.
            os._exit(128 + signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    # A shell starts background jobs with SIGINT ignored; take it back, so that
    # Ctrl+C (or kill -INT) cleans up wherever the benchmark was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _psql_command(database: str) -> list[str]:
    return [
        *("psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", database),
        *("-qAt", "-v", "ON_ERROR_STOP=1", "-c"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_tool(name: str, debian_package: str) -> str:
    """Path of ``name``; installs the Debian package when we are root, else explains."""
    path = shutil.which(name)
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"{name} is missing: installing the Debian package {debian_package} …", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", debian_package],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        path = shutil.which(name)
    if not path:
        raise BenchError(
            f"{name} is not installed. Install it with: apt-get install -y {debian_package}"
        )
    return path


def stop_process(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, grace: float = 10) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it forked."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    workers: int
    threads: int
    log_path: Path
    access_log: Path | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict
    extra: dict = field(default_factory=dict)
    app_cpu_s: float = 0.0  # CPU time of the gunicorn workers during the run
    db_cpu_s: float = 0.0  # CPU time of the database's backends during the run
    # The workers' context switches during the run: voluntary (waiting for the
    # database, Redis, the client) and involuntary (preempted: more runnable
    # processes than cores).
    app_switches: tuple[float, float] = (0.0, 0.0)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def switches_per_request(self) -> tuple[float, float]:
        """The workers' (voluntary, involuntary) context switches per request."""
        if not self.requests:
            return 0.0, 0.0
        return self.app_switches[0] / self.requests, self.app_switches[1] / self.requests

    def cpu_ms_per_request(self) -> tuple[float, float]:
        """(app, database) CPU milliseconds per request: steadier than req/s when
        other work shares the machine."""
        if not self.requests:
            return 0.0, 0.0
        return 1000 * self.app_cpu_s / self.requests, 1000 * self.db_cpu_s / self.requests


class Bench:
    """One benchmark's database, environment, servers and clean-up."""

    def __init__(self, name: str):
        self.name = name
        self.database = f"impfportal_bench_{name}{DATABASE_SUFFIX}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"impfportal-bench-{name}-"))
        self.key_prefix = f"impfportal-bench-{name}-{os.getpid()}"
        self.processes: list[subprocess.Popen] = []
        self.django_ready = False
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.database}",
            "DB_CONN_MAX_AGE": "600",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": self.key_prefix,
            "SMS_BACKEND": "sms.backends.memory.MemoryBackend",
            # Not localhost: with DEBUG off the system checks refuse that.
            "PORTAL_URL": "https://impfportal.bench.example",
            "LOG_LEVEL": "WARNING",
            "BENCH_STATIC_ROOT": str(self.tmp / "static"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    # --- lifecycle ----------------------------------------------------------
    def __enter__(self) -> "Bench":
        _terminate_on_sigterm()
        try:
            self._psql_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._psql_admin(f'CREATE DATABASE "{self.database}"')
            self._setup_django()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        # Ignore a second Ctrl+C while cleaning up, so that the clean-up finishes.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for proc in reversed(self.processes):
                stop_process(proc)
            if self.django_ready:
                from django.core.cache import cache
                from django.db import connections

                try:
                    cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis
                except Exception as error:  # Redis down: nothing of ours is left there either
                    print(f"(could not clean Redis: {error})", file=sys.stderr)
                connections.close_all()
            self._psql_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)

    def _psql_admin(self, sql: str) -> None:
        subprocess.run(
            [*_psql_command("postgres"), sql],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
        )

    def _setup_django(self) -> None:
        os.environ.update(self.env)
        os.chdir(REPO)
        import django
        from django.core.management import call_command

        django.setup()
        self.django_ready = True
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)

    def psql(self, sql: str) -> str:
        out = subprocess.run(
            [*_psql_command(self.database), sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def analyze(self) -> None:
        """Fresh planner statistics after bulk loading: autovacuum is off here."""
        self.psql("ANALYZE")

    # --- gunicorn -----------------------------------------------------------
    def start_gunicorn(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        threads: int = 1,
        worker_class: str = "sync",
        nice: int = 0,
        access_log: bool = False,
    ) -> Server:
        """``nice``: a lower CPU priority for this pool than for the rest (the
        kernel's niceness, 0 to 19), as CPU shares would set it for its containers.
        ``access_log``: each request's path and the worker's time for it
        (microseconds, from reading the request to the response written) in
        ``Server.access_log``, to tell the server's time from the client's."""
        port = free_port()
        log_path = self.tmp / f"gunicorn-{port}.log"
        access_path = self.tmp / f"gunicorn-{port}-access.log" if access_log else None
        command = [
            *(["nice", "-n", str(nice)] if nice else []),
            str(BIN / "gunicorn"),
            "impfportal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            f"--threads={threads}",
            "--backlog=2048",
            "--timeout=60",
            "--graceful-timeout=5",
            "--no-control-socket",
            f"--error-logfile={log_path}",
            *(
                [f"--access-logfile={access_path}", "--access-logformat=%(D)s %(U)s"]
                if access_path
                else []
            ),
        ]
        log = open(log_path, "ab")  # noqa: SIM115 -- closed with the process
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(proc)
        server = Server(proc, port, workers, threads, log_path, access_path)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError(f"gunicorn exited; see its log:\n{log_path.read_text()[-3000:]}")
            try:
                probe = server.url("/bench/one-query/")
                with urllib.request.urlopen(probe, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(server.worker_pids()) >= workers:
                        wait_until_idle(server.worker_pids(), deadline=deadline)
                        return server
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 30 s; log:\n{log_path.read_text()}")

    def stop(self, server: Server) -> None:
        """Stop gunicorn; show what went wrong in it (worker timeouts, errors), if anything."""
        stop_process(server.process)
        self.processes.remove(server.process)
        problems = [
            line
            for line in server.log_path.read_text(errors="replace").splitlines()
            if re.search(r"\[(WARNING|ERROR|CRITICAL)\]|Traceback", line)
            and "Handling signal" not in line
        ]
        if problems:
            print(f"gunicorn logged {len(problems)} problems, e.g.:", *problems[:5], sep="\n  ")

    # --- wrk ----------------------------------------------------------------
    def wrk(
        self,
        server: Server,
        path: str,
        *,
        script: str = "report.lua",
        connections: int = 64,
        threads: int = 2,
        duration_s: float = 10,
        script_args: tuple[str, ...] = (),
        stop_when=None,
        profile_to: Path | None = None,
    ) -> WrkResult:
        """Load ``server`` (on 127.0.0.1) with wrk and return its figures, plus the
        CPU time the workers and their database backends spent meanwhile.

        ``stop_when`` (a callable) is polled twice a second; when it returns true
        the run is ended early with SIGINT, which makes wrk print its figures.
        ``profile_to``: sample the workers with py-spy into this file meanwhile.
        """
        wrk_path = require_tool("wrk", "wrk")
        command = [
            wrk_path,
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(duration_s))}s",
            "--timeout=60s",  # slower answers would be left out of the latency figures
            f"--script={LUA / script}",
            server.url(path),
        ]
        if script_args:
            command += ["--", *script_args]
        app_cpu = cpu_seconds(server.worker_pids())
        app_switches = context_switches(server.worker_pids())
        db_cpu = cpu_seconds(self.backend_pids())
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.processes.append(proc)
        sampler = None
        if profile_to:
            sampler = bench_profile.start(server.process.pid, profile_to, duration_s)
            self.processes.append(sampler)
        try:
            deadline = time.monotonic() + duration_s + 30
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise BenchError("wrk did not end in time")
                if stop_when is not None and stop_when():
                    os.killpg(proc.pid, signal.SIGINT)
                    stop_when = None
                time.sleep(0.5)
            output = proc.stdout.read() if proc.stdout else ""
        finally:
            stop_process(proc, sig=signal.SIGINT)
            self.processes.remove(proc)
            if sampler:
                stop_process(sampler, sig=signal.SIGINT, grace=30)  # py-spy writes on SIGINT
                self.processes.remove(sampler)
        result = parse_wrk(output)
        result.app_cpu_s = cpu_used(app_cpu, cpu_seconds(server.worker_pids()))
        after = context_switches(server.worker_pids())
        result.app_switches = (
            cpu_used(app_switches[0], after[0]),  # counts, summed as the CPU seconds are
            cpu_used(app_switches[1], after[1]),
        )
        result.db_cpu_s = cpu_used(db_cpu, cpu_seconds(self.backend_pids()))
        if profile_to:
            print(bench_profile.summarize(profile_to), flush=True)
        return result

    def backend_pids(self) -> list[int]:
        """PostgreSQL's server processes for this benchmark's database (not psql's own)."""
        out = self.psql(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(pid) for pid in out.split()]


def wait_until_idle(pids: list[int], *, deadline: float) -> None:
    """Until the processes use no CPU: a worker that answers is not the last one
    to be ready, and the others' start (imports, templates, catalogues: about
    0.5 s of CPU each, impfportal/warmup.py) must not count as the load's."""
    before = sum(cpu_seconds(pids).values())
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = sum(cpu_seconds(pids).values())
        if now - before < 0.02:
            return
        before = now


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) that each process has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def context_switches(pids: list[int]) -> tuple[dict[int, float], dict[int, float]]:
    """Voluntary and involuntary context switches of each process so far."""
    voluntary, involuntary = {}, {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        voluntary[pid] = float(fields["voluntary_ctxt_switches"])
        involuntary[pid] = float(fields["nonvoluntary_ctxt_switches"])
    return voluntary, involuntary


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; processes started meanwhile count fully."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def parse_wrk(output: str) -> WrkResult:
    """The JSON line that ``lua/report.lua`` prints in wrk's ``done()``."""
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line.removeprefix("WRKJSON "))
            return WrkResult(
                requests=data.pop("requests"),
                duration_s=data.pop("duration_us") / 1e6,
                p50_ms=data.pop("p50_us") / 1000,
                p90_ms=data.pop("p90_us") / 1000,
                p99_ms=data.pop("p99_us") / 1000,
                max_ms=data.pop("max_us") / 1000,
                errors=data.pop("errors"),
                extra=data,
            )
    raise BenchError(f"wrk printed no figures:\n{output[-3000:]}")


def median(values) -> float:
    return statistics.median(values) if values else 0.0


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
