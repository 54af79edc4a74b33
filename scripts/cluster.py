"""``make cluster``: the production roles, for real, on one machine.

- 3 gunicorn web nodes, each on its own port;
- the queue page's own small pool (``--queue-workers`` gthread workers of
  ``QUEUE_THREADS`` threads): the waiting room's ``/waiting-room/`` is what
  thousands of residents reload while they wait, and it is cheap; served by the
  web nodes it would wait in their backlog behind the booking posts
  (bench/README.md, "The queue page's own pool"); threads, so that a worker
  never sits idle on a Redis round trip or a client's close (bench/README.md,
  "fifth session");
- HAProxy in front: least connections, health checks on ``/readyz`` (a node
  whose database is unreachable is taken out; when *every* node reports a
  shared problem, Redis or the outbox, a second backend checked on
  ``/healthz`` keeps serving, so a shared outage does not empty the pool);
  ``/waiting-room/`` goes to the queue pool, and to the web nodes only while
  that pool is down;
- PgBouncer in transaction mode in front of the primary (the machine's
  PostgreSQL at 127.0.0.1:5432);
- a PostgreSQL streaming replica on another port, made with ``pg_basebackup``
  (the statistics and the public availability read from it,
  ``impfportal/db_router.py``);
- Redis (the machine's, started if it is not running);
- 2 SMS dispatchers, 2 task workers, the waiting list's sweep, the reminder scheduler and the
  standby list's sweep.

HAProxy and PgBouncer come from Debian's packages, installed when missing
(``apt-get update`` once first), as ``scripts/ensure-browser.sh`` does for
Chromium; PostgreSQL's own binaries are used from ``/usr/lib/postgresql/*/bin``.
Ctrl+C (or SIGTERM) stops everything this script started and removes the
replica's data directory. The same class starts the cluster of the fault tests
(``tests/cluster/``) and of ``bench/cluster.py``.

Ports: ``CLUSTER_PORT_BASE`` (default 18400) + 0 HAProxy, + 1 HAProxy's
statistics page, + 10 the queue pool, + 11… the web nodes, + 20 PgBouncer,
+ 30 the replica.

Run: ``make cluster`` (or ``.venv/bin/python scripts/cluster.py --help``).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
BIN = PYTHON.parent

PRIMARY_HOST = os.environ.get("CLUSTER_PRIMARY_HOST", "127.0.0.1")
PRIMARY_PORT = int(os.environ.get("CLUSTER_PRIMARY_PORT", "5432"))
PG_USER = "postgres"
DEFAULT_PORT_BASE = int(os.environ.get("CLUSTER_PORT_BASE", "18400"))

# What runs, and how many of each: deploy/compose.yaml describes the same roles
# (tests/cluster/test_roles.py compares them).
ROLES = {
    "proxy": 1,
    "web": 3,
    "queue": 1,
    "pooler": 1,
    "db": 1,
    "replica": 1,
    "redis": 1,
    "sms": 2,
    "tasks": 2,
    "waitlist": 1,
    "reminders": 1,
    "standby": 1,
}
# The path the proxy sends to the queue pool (waitingroom/urls.py; by path, so its
# ?refresh=off goes there too).
QUEUE_PAGE = "/waiting-room/"
# Threads per queue-pool worker (gunicorn's gthread): 4 x 4 took the queue page's
# p99 at 5,000 residents from ~2 s (2-8 sync workers) to ~0.1 s (bench/README.md).
QUEUE_THREADS = 4
# Debian packages of the tools that are not part of PostgreSQL.
PACKAGES = {"haproxy": "haproxy", "pgbouncer": "pgbouncer"}
PG_TOOLS = ("pg_basebackup", "pg_ctl", "postgres")
HBA_MARK = "# impfportal: make cluster (streaming replica)"


class ClusterError(RuntimeError):
    """Something the cluster needs is missing or did not start; the message says what."""


def pg_bindir() -> Path | None:
    """The newest PostgreSQL's binaries that have everything a replica needs."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if all((folder / tool).exists() for tool in PG_TOOLS):
            return folder
    return None


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_tools() -> list[str]:
    """Names of the tools this machine lacks (empty: the cluster can run)."""
    missing = [name for name in PACKAGES if not _tool(name)]
    if pg_bindir() is None:
        missing.append("PostgreSQL server binaries (" + ", ".join(PG_TOOLS) + ")")
    return missing


def ensure_tools(log: Callable[[str], None] = print) -> None:
    """Install HAProxy and PgBouncer from Debian when missing (root only)."""
    packages = [package for name, package in PACKAGES.items() if not _tool(name)]
    if packages:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise ClusterError(
                f"Missing {', '.join(packages)}: apt-get install -y {' '.join(packages)}"
            )
        log(f"Installing {', '.join(packages)} from Debian …")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *packages],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
    if missing := missing_tools():
        raise ClusterError("Still missing: " + ", ".join(missing))


def psql(sql: str, *, database: str = "postgres", port: int = PRIMARY_PORT) -> str:
    out = subprocess.run(
        [
            *("psql", "-h", PRIMARY_HOST, "-p", str(port), "-U", PG_USER, "-d", database),
            *("-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql),
        ],
        check=True,
        capture_output=True,
        text=True,
        # PgBouncer refuses the "options" start-up parameter that PGOPTIONS sends.
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
        if port == PRIMARY_PORT
        else {k: v for k, v in os.environ.items() if k != "PGOPTIONS"},
    )
    return out.stdout.strip()


def allow_replication() -> None:
    """Let the replica stream from the primary over 127.0.0.1 without a password.

    ``host all all …`` does not cover replication connections, and Debian's
    default asks for a password there. One line at the top of the primary's
    pg_hba.conf (the first matching line wins) and a reload (no restart).
    """
    first = psql(
        "SELECT auth_method FROM pg_hba_file_rules WHERE type IN ('host', 'hostnossl') "
        "AND 'replication' = ANY(database) AND (address = '127.0.0.1' OR address = 'all') "
        "ORDER BY line_number LIMIT 1"
    )
    if first == "trust":
        return
    hba = Path(psql("SHOW hba_file"))
    line = f"host replication {PG_USER} 127.0.0.1/32 trust"
    hba.write_text(f"{HBA_MARK}\n{line}\n{hba.read_text()}")
    psql("SELECT pg_reload_conf()")


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(child) for child in out.stdout.split()]


def stop_group(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, grace: float = 10) -> None:
    """Stop a process started in its own session, and everything it forked."""
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


def run(command: list[str]) -> None:
    """Run a set-up command; on failure say what it printed."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        output = (done.stdout + done.stderr)[-2000:]
        raise ClusterError(f"{' '.join(command)} failed ({done.returncode}):\n{output}")


def wait_for(what: str, ready: Callable[[], bool], *, timeout: float = 60) -> None:
    """Poll ``ready`` until it is true; a bounded wait with a clear error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except Exception:  # noqa: S110 -- not up yet
            pass
        time.sleep(0.2)
    raise ClusterError(f"{what} did not come up within {timeout:.0f} s")


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


@dataclass
class Cluster:
    """One local cluster: start it with ``with Cluster(...) as cluster:``."""

    database: str = "impfportal_cluster"
    port_base: int = DEFAULT_PORT_BASE
    nodes: int = ROLES["web"]
    workers_per_node: int = 2
    # The queue page costs a few ms and no database query: four workers of
    # QUEUE_THREADS threads serve hundreds a second, and one thread may be busy
    # with the room's control step.
    queue_workers: int = 4
    dispatchers: int = ROLES["sms"]
    task_workers: int = ROLES["tasks"]
    sweep: bool = True
    settings_module: str = "impfportal.settings"
    redis_url: str = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/0")
    pool_size: int = 20
    demo_data: bool = True
    drop_database: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = print
    run_dir: Path = field(init=False)
    web: list[Node] = field(init=False, default_factory=list)
    queue: Node | None = field(init=False, default=None)
    background: dict[str, subprocess.Popen] = field(init=False, default_factory=dict)
    _haproxy: subprocess.Popen | None = field(init=False, default=None)
    _pgbouncer: subprocess.Popen | None = field(init=False, default=None)
    _replica_up: bool = field(init=False, default=False)
    _secret: str = field(init=False, default="")

    # --- ports and addresses ----------------------------------------------
    @property
    def proxy_port(self) -> int:
        return self.port_base

    @property
    def stats_port(self) -> int:
        return self.port_base + 1

    def node_port(self, number: int) -> int:
        return self.port_base + 11 + number

    @property
    def queue_port(self) -> int:
        return self.port_base + 10

    @property
    def pgbouncer_port(self) -> int:
        return self.port_base + 20

    @property
    def replica_port(self) -> int:
        return self.port_base + 30

    @property
    def replica_dir(self) -> Path:
        return self.run_dir / "replica"

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.proxy_port}{path}"

    def database_url(self, *, via: str = "pgbouncer") -> str:
        port = {"pgbouncer": self.pgbouncer_port, "primary": PRIMARY_PORT}[via]
        return f"postgres://{PG_USER}@{PRIMARY_HOST}:{port}/{self.database}"

    @property
    def replica_url(self) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.replica_port}/{self.database}"

    @property
    def env(self) -> dict[str, str]:
        """What every process of ours runs with: production settings, PgBouncer."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DEBUG": "false",
            "SECRET_KEY": self._secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.database_url(),
            "DB_TRANSACTION_POOLING": "true",
            "REPLICA_DATABASE_URL": self.replica_url,
            "REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": f"impfportal-cluster-{self.port_base}",
            # Nothing leaves the machine: the dispatchers "send" into memory.
            "SMS_BACKEND": "sms.backends.memory.MemoryBackend",
            "SMS_DISPATCHER_PROCESSES": str(max(1, self.dispatchers)),
            "SMS_POOL_SIZE": "4",
            # With DEBUG off the checks refuse a localhost address in SMS links.
            "PORTAL_URL": "https://impfportal.cluster.example",
            # HAProxy is the one proxy whose X-Forwarded-For we believe.
            "TRUSTED_PROXIES": "127.0.0.1",
            # ... and whose request stamp (set-header above) the waiting room reads.
            "WAITINGROOM_REQUEST_START_HEADER": "X-Request-Start",
            "LOG_LEVEL": "WARNING",
            "BENCH_STATIC_ROOT": str(self.run_dir / "static"),
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.extra_env,
        }

    # --- lifecycle ----------------------------------------------------------
    def __post_init__(self) -> None:
        self._secret = secrets.token_urlsafe(50)
        self.run_dir = Path(tempfile.gettempdir()) / f"impfportal-cluster-{self.port_base}"

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        ensure_tools(self.log)
        subprocess.run(
            ["bash", str(REPO / "scripts" / "ensure-services.sh")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.run_dir.mkdir(parents=True)
        self._prepare_database()
        self.start_replica()
        self.start_pgbouncer()
        for number in range(self.nodes):
            self.start_node(number)
        self.start_queue_pool()
        self.start_haproxy()
        for number in range(self.dispatchers):
            self.start_background(f"sms{number + 1}", "sms_dispatch", "--interval", "0.5")
        for number in range(self.task_workers):
            self.start_background(
                f"tasks{number + 1}",
                *("db_worker", "--interval", "0.5", "--worker-id", f"cluster-tasks{number + 1}"),
            )
        if self.sweep:
            self.start_background("waitlist", "waitlist_sweep")
            self.start_background("reminders", "send_reminders", "--interval", "60")
            self.start_background("standby", "standby_sweep", "--interval", "30")
        wait_for("HAProxy with every web node", lambda: len(self.nodes_up()) == self.nodes)

    def stop(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish the clean-up
        try:
            for proc in self.background.values():
                stop_group(proc)
            self.background.clear()
            if self._haproxy:
                stop_group(self._haproxy)
            for node in self.web:
                stop_group(node.process)
            self.web.clear()
            self.stop_queue_pool()
            if self._pgbouncer:
                stop_group(self._pgbouncer, sig=signal.SIGINT)
            self.stop_replica(mode="fast")
            if self.drop_database:
                psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                self._delete_cache_keys()
            shutil.rmtree(self.run_dir, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)

    def _delete_cache_keys(self) -> None:
        """The cluster's keys in Redis (its own prefix), when it leaves nothing behind."""
        import redis

        prefix = self.env["CACHE_KEY_PREFIX"]
        try:
            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(f"{prefix}:*", count=1000):
                client.delete(key)
        except redis.RedisError as error:
            self.log(f"(could not clean Redis: {error})")

    # --- the primary's database ---------------------------------------------
    def manage(self, *args: str, via: str = "primary", check: bool = True, **kwargs):
        """``manage.py`` with the cluster's environment (directly on the primary)."""
        env = {**self.env, "DATABASE_URL": self.database_url(via=via)}
        if via == "primary":
            env["DB_TRANSACTION_POOLING"] = "false"
        return subprocess.run(
            [str(PYTHON), "manage.py", *args], cwd=REPO, env=env, check=check, **kwargs
        )

    def _prepare_database(self) -> None:
        # The name is ours (an argument of this script), not a visitor's.
        exists = psql(f"SELECT count(*) FROM pg_database WHERE datname = '{self.database}'")  # noqa: S608
        if self.drop_database and int(exists):
            psql(f'DROP DATABASE "{self.database}" WITH (FORCE)')
            exists = "0"
        if not int(exists):
            psql(f'CREATE DATABASE "{self.database}"')
        self.log(f"Database {self.database}: migrate" + (", demo data" if self.demo_data else ""))
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        if self.demo_data:
            self.manage("load_demo_data", stdout=subprocess.DEVNULL)
        # autovacuum is off on these machines: fresh planner statistics.
        psql("ANALYZE", database=self.database)

    # --- the replica -----------------------------------------------------------
    @staticmethod
    def _bindir() -> Path:
        bindir = pg_bindir()
        if bindir is None:
            raise ClusterError("PostgreSQL's server binaries are missing: make cluster-tools")
        return bindir

    def _as_postgres(self, command: list[str]) -> list[str]:
        """PostgreSQL refuses to run as root: run its programs as ``postgres``."""
        if os.geteuid() == 0:
            return ["runuser", "-u", PG_USER, "--", *command]
        return command

    def start_replica(self) -> None:
        """A fresh copy of the primary with pg_basebackup, streaming from it."""
        bindir = self._bindir()
        allow_replication()
        if os.geteuid() == 0:
            shutil.chown(self.run_dir, PG_USER)
        self.log(f"Replica: pg_basebackup into {self.replica_dir}, port {self.replica_port}")
        backup = self._as_postgres(
            [
                str(bindir / "pg_basebackup"),
                *("-h", PRIMARY_HOST, "-p", str(PRIMARY_PORT), "-U", PG_USER),
                *("-D", str(self.replica_dir), "-X", "stream", "-c", "fast", "-R"),
            ]
        )
        # PostgreSQL 15 may end the backup's temporary replication slot at a
        # checkpoint that another session's CREATE DATABASE forces ("terminating
        # process … to release replication slot"); a second try gets through.
        for attempt in range(1, 4):
            try:
                run(backup)
                break
            except ClusterError:
                shutil.rmtree(self.replica_dir, ignore_errors=True)
                if attempt == 3:
                    raise
                time.sleep(2 * attempt)
        # Debian keeps the configuration outside the data directory: the copy has none.
        (self.replica_dir / "postgresql.conf").write_text(
            f"port = {self.replica_port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.replica_dir}'\n"
            "hot_standby = on\n"
            # Hot standby needs at least the primary's values.
            f"max_connections = {psql('SHOW max_connections')}\n"
            f"max_wal_senders = {psql('SHOW max_wal_senders')}\n"
            f"max_worker_processes = {psql('SHOW max_worker_processes')}\n"
            f"max_locks_per_transaction = {psql('SHOW max_locks_per_transaction')}\n"
            "shared_buffers = 32MB\n"
            "wal_receiver_status_interval = 1s\n"
            "hot_standby_feedback = on\n"
            "logging_collector = off\n"
        )
        (self.replica_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf"):
                shutil.chown(self.replica_dir / name, PG_USER)
        self.start_replica_server()

    def start_replica_server(self) -> None:
        bindir = self._bindir()
        run(
            self._as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    *("-D", str(self.replica_dir), "-l", str(self.run_dir / "replica.log")),
                    *("-w", "-t", "60", "start"),
                ]
            )
        )
        self._replica_up = True
        wait_for("the replica", lambda: self.replica_lag_bytes() is not None)

    def stop_replica(self, *, mode: str = "fast") -> None:
        bindir = pg_bindir()
        if not self._replica_up or bindir is None:
            return
        subprocess.run(
            self._as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(self.replica_dir), "-m", mode, "-w", "stop"]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        self._replica_up = False

    def replica_lag_bytes(self) -> int | None:
        """WAL the replica has not replayed yet (None: it does not answer)."""
        try:
            sent = psql("SELECT pg_current_wal_lsn()")
            replayed = psql("SELECT pg_last_wal_replay_lsn()", port=self.replica_port)
            return int(psql(f"SELECT pg_wal_lsn_diff('{sent}', '{replayed}')::bigint"))
        except subprocess.CalledProcessError:
            return None

    # --- PgBouncer --------------------------------------------------------
    def start_pgbouncer(self) -> None:
        folder = self.run_dir / "pgbouncer"
        folder.mkdir(exist_ok=True)
        (folder / "userlist.txt").write_text(f'"{PG_USER}" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={PRIMARY_HOST} port={PRIMARY_PORT}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.pgbouncer_port}\n"
            f"unix_socket_dir = {folder}\n"
            "auth_type = trust\n"
            f"auth_file = {folder / 'userlist.txt'}\n"
            # A server connection belongs to a client for one transaction only.
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            f"max_db_connections = {self.pool_size}\n"
            "max_client_conn = 1000\n"
            # Clients that came while every server connection was busy wait this long.
            "query_wait_timeout = 30\n"
            "server_reset_query = DISCARD ALL\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"admin_users = {PG_USER}\n"
            f"logfile = {folder / 'pgbouncer.log'}\n"
            f"pidfile = {folder / 'pgbouncer.pid'}\n"
        )
        if os.geteuid() == 0:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, PG_USER)
        log = open(self.run_dir / "pgbouncer.out", "ab")  # noqa: SIM115
        self._pgbouncer = subprocess.Popen(
            self._as_postgres([str(_tool("pgbouncer")), str(ini)]),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(
            "PgBouncer",
            lambda: psql("SELECT 1", database=self.database, port=self.pgbouncer_port) == "1",
        )

    def restart_pgbouncer(self) -> None:
        """Stop PgBouncer at once (clients' connections break), then start it again."""
        if self._pgbouncer:
            stop_group(self._pgbouncer, sig=signal.SIGTERM)
        self.start_pgbouncer()

    def pgbouncer_pid(self) -> int | None:
        if not self._pgbouncer:
            return None
        # runuser forks pgbouncer; as an ordinary user it is the process itself.
        return (children(self._pgbouncer.pid) or [self._pgbouncer.pid])[0]

    # --- web nodes and HAProxy ----------------------------------------------
    def start_node(self, number: int) -> Node:
        node = self._start_gunicorn(
            f"web{number + 1}", self.node_port(number), self.workers_per_node
        )
        self.web = [n for n in self.web if n.name != node.name] + [node]
        self.web.sort(key=lambda n: n.name)
        return node

    def start_queue_pool(self) -> Node:
        """The queue page's own gunicorn (HAProxy's backend ``queue``)."""
        self.queue = self._start_gunicorn(
            "queue", self.queue_port, self.queue_workers, threads=QUEUE_THREADS
        )
        return self.queue

    def stop_queue_pool(self) -> None:
        if self.queue:
            stop_group(self.queue.process)
            self.queue = None

    def _start_gunicorn(self, name: str, port: int, workers: int, *, threads: int = 1) -> Node:
        """Sync workers, or gthread workers (keep-alive) when ``threads`` > 1."""
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "impfportal.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                *(["--worker-class=gthread", f"--threads={threads}"] if threads > 1 else []),
                "--backlog=2048",
                "--timeout=30",
                "--graceful-timeout=5",
                "--no-control-socket",
            ],
            cwd=REPO,
            env={**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.run_dir / f"prom-{name}")},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (self.run_dir / f"prom-{name}").mkdir(exist_ok=True)
        log.close()

        def answers() -> bool:
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited; see {self.run_dir / (name + '.log')}")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200

        wait_for(name, answers)
        return Node(name, port, proc)

    def stop_node(self, name: str) -> None:
        node = next(n for n in self.web if n.name == name)
        stop_group(node.process)
        self.web.remove(node)

    def kill_node(self, name: str) -> Node:
        """kill -9 a node's master and its workers: the machine is gone."""
        node = next(n for n in self.web if n.name == name)
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait()
        return node

    def start_haproxy(self) -> None:
        servers = "".join(f"    server {n.name} 127.0.0.1:{n.port}\n" for n in self.web)
        # The web nodes stand in for the queue pool only while it is down ("backup").
        queue_servers = "".join(
            f"    server {n.name} 127.0.0.1:{n.port} backup maxconn {self.workers_per_node}\n"
            for n in self.web
        )
        if self.queue is None:
            raise ClusterError("start the queue pool before HAProxy")
        config = self.run_dir / "haproxy.cfg"
        # Sync workers serve one request each (the queue pool's gthread workers one
        # per thread): HAProxy queues the rest itself (maxconn per server) and hands
        # each to the node with fewest in hand.
        config.write_text(
            "global\n"
            "    maxconn 4000\n"
            f"    pidfile {self.run_dir / 'haproxy.pid'}\n"
            # The runtime API: take a node out or in, change its maxconn (bench/cluster.py).
            f"    stats socket {self.run_dir / 'haproxy.sock'} mode 600 level admin\n"
            "defaults\n"
            "    mode http\n"
            "    option httplog\n"
            "    timeout connect 2s\n"
            "    timeout client 60s\n"
            "    timeout server 60s\n"
            "    timeout queue 30s\n"
            "    timeout http-keep-alive 2s\n"
            # A refused connection (a dead node) is tried again on another one.
            "    retries 3\n"
            "    option redispatch 1\n"
            "    option forwardfor\n"
            "frontend portal\n"
            f"    bind 127.0.0.1:{self.proxy_port}\n"
            "    http-request deny if { path /metrics }\n"
            # When the proxy received the request (overwrites a client's): the waiting
            # room counts the wait for a free worker (WAITINGROOM_REQUEST_START_HEADER).
            "    http-request set-header X-Request-Start t=%Ts%ms\n"
            # Waiting residents reload the queue page: not behind the booking posts.
            f"    use_backend queue if {{ path {QUEUE_PAGE} }}\n"
            # Every node reports a shared problem (Redis, the outbox): serve anyway.
            "    use_backend web_alive if { nbsrv(web) eq 0 }\n"
            "    default_backend web\n"
            "backend web\n"
            "    balance leastconn\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1\n"
            "    http-check expect status 200\n"
            f"    default-server check inter 1s fall 2 rise 2 maxconn {self.workers_per_node}\n"
            f"{servers}"
            "backend web_alive\n"
            "    balance leastconn\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1\n"
            f"    default-server check inter 1s fall 2 rise 2 maxconn {self.workers_per_node}\n"
            f"{servers}"
            # The queue page needs no database: checked on /healthz, like web_alive.
            "backend queue\n"
            "    balance leastconn\n"
            "    option allbackups\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1\n"
            "    default-server check inter 1s fall 2 rise 2\n"
            f"    server queue 127.0.0.1:{self.queue.port} "
            f"maxconn {self.queue_workers * QUEUE_THREADS}\n"
            f"{queue_servers}"
            "listen stats\n"
            f"    bind 127.0.0.1:{self.stats_port}\n"
            "    stats enable\n"
            "    stats uri /\n"
        )
        subprocess.run([str(_tool("haproxy")), "-c", "-q", "-f", str(config)], check=True)
        log = open(self.run_dir / "haproxy.log", "ab")  # noqa: SIM115
        self._haproxy = subprocess.Popen(
            [str(_tool("haproxy")), "-db", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def server_states(self, backend: str = "web") -> dict[str, str]:
        """HAProxy's view of each web node (``UP``, ``DOWN``, …), from its CSV."""
        url = f"http://127.0.0.1:{self.stats_port}/;csv"
        with urllib.request.urlopen(url, timeout=2) as answer:
            rows = csv.reader(io.StringIO(answer.read().decode().lstrip("# ")))
            header = next(rows)
            states = {}
            for row in rows:
                record = dict(zip(header, row, strict=False))
                if record.get("pxname") == backend and record["svname"] not in (
                    "FRONTEND",
                    "BACKEND",
                ):
                    states[record["svname"]] = record["status"].split()[0]
            return states

    def haproxy_command(self, command: str) -> str:
        """One command on HAProxy's runtime API, e.g. ``set server web/web2 state maint``."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.run_dir / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        return answer.decode().strip()

    def served(self, backend: str) -> dict[str, int]:
        """Requests each server of ``backend`` has been sent so far (HAProxy's ``stot``)."""
        url = f"http://127.0.0.1:{self.stats_port}/;csv"
        with urllib.request.urlopen(url, timeout=2) as answer:
            rows = csv.DictReader(io.StringIO(answer.read().decode().lstrip("# ")))
            return {
                row["svname"]: int(row["stot"] or 0)
                for row in rows
                if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
            }

    def nodes_up(self) -> list[str]:
        return [name for name, state in self.server_states().items() if state == "UP"]

    def haproxy_pid(self) -> int | None:
        return self._haproxy.pid if self._haproxy else None

    # --- background roles ------------------------------------------------------
    def start_background(self, name: str, *command: str) -> subprocess.Popen:
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(PYTHON), "manage.py", *command],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.background[name] = proc
        return proc

    def kill_background(self, name: str) -> None:
        proc = self.background.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def summary(self) -> str:
        nodes = ", ".join(f"{n.name} :{n.port}" for n in self.web)
        return (
            f"Portal (HAProxy, leastconn, /readyz): {self.url()}\n"
            f"HAProxy's statistics: http://127.0.0.1:{self.stats_port}/\n"
            f"Web nodes ({self.workers_per_node} gunicorn workers each): {nodes}\n"
            f"Queue page {QUEUE_PAGE} ({self.queue_workers} workers x {QUEUE_THREADS} "
            f"threads): :{self.queue_port}\n"
            f"PgBouncer (transaction mode, pool {self.pool_size}): 127.0.0.1:"
            f"{self.pgbouncer_port} -> primary {PRIMARY_HOST}:{PRIMARY_PORT}/{self.database}\n"
            f"Replica (streaming, pg_basebackup): 127.0.0.1:{self.replica_port}\n"
            f"Redis: {self.redis_url}\n"
            f"Background: {', '.join(self.background)}\n"
            f"Logs: {self.run_dir}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default=os.environ.get("CLUSTER_DATABASE", "impfportal_cluster")
    )
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument(
        "--queue-workers", type=int, default=4, help="gunicorn workers of the queue page's pool"
    )
    parser.add_argument("--no-demo-data", action="store_true")
    args = parser.parse_args()

    def stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    # A shell starts background jobs with SIGINT ignored: take it back, so that
    # Ctrl+C (or kill -INT) stops the cluster wherever it was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cluster = Cluster(
        database=args.database,
        port_base=args.port_base,
        workers_per_node=args.workers,
        queue_workers=args.queue_workers,
        demo_data=not args.no_demo_data,
    )
    try:
        with cluster:
            print(cluster.summary(), "\nCtrl+C stops everything.", sep="\n", flush=True)
            while True:
                time.sleep(1)
                for name, proc in cluster.background.items():
                    if proc.poll() is not None:
                        print(f"{name} exited ({proc.returncode}); see its log", flush=True)
                        raise KeyboardInterrupt
    except KeyboardInterrupt:
        print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
