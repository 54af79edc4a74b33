"""Benchmark: the booking load through HAProxy against 1 and then 3 web nodes.

The cluster of ``make cluster`` (scripts/cluster.py: HAProxy, PgBouncer in
transaction mode, a streaming replica, Redis, 2 SMS dispatchers, 2 task
workers) runs the same booking load as bench/booking.py (wrk, ``lua/booking.lua``)
twice, each time on fresh center-days with fresh residents:

1. one web node with all the gunicorn workers (the other two nodes stopped and
   set to maintenance in HAProxy);
2. three web nodes sharing the same number of workers.

On 2 cores three nodes cannot be faster; what matters is that the CPU per
booking stays flat (target: 3 nodes within 1.2 x of 1 node) and that the
primary's share is small. CPU time is read from /proc for each web node, HAProxy,
PgBouncer, the background roles and the primary's backends of this database (and
its WAL sender to the replica). Afterwards the database is checked: nothing
oversold, no booking a client was told about missing. Last line:

    RESULT cluster nodes1_per_s=… nodes3_per_s=… cpu_per_booking_ms=…
           primary_cpu_per_booking_ms=… lost=0 oversold=0   (one line)

``cpu_per_booking_ms`` and ``primary_cpu_per_booking_ms`` are the 3-node run's.
Run: ``make bench-cluster`` or ``.venv/bin/python bench/cluster.py [--clients 64]``.
"""

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.harness import REDIS_URL, Bench, cpu_seconds, print_table
from scripts.cluster import Cluster, children

CONTENDED_SHARE = 0.9


@dataclass
class HaproxyTarget:
    """What Bench.wrk needs of a server: HAProxy's address, the nodes' workers."""

    cluster: Cluster

    def url(self, path: str) -> str:
        return self.cluster.url(path)

    def worker_pids(self) -> list[int]:
        return [pid for node in self.cluster.web for pid in node.worker_pids()]


def write_data_file(path: Path, data: dict, clients: int) -> None:
    from bench.booking import page_texts

    lines = [f"day {day}" for day in data["days"]]
    lines += [f"cookie session {data['session_cookie']}", f"cookie csrf {data['csrf_cookie']}"]
    lines += [f"msg {kind} {text}" for kind, text in page_texts().items()]
    for number, resident in enumerate(data["residents"]):
        people = " ".join(map(str, resident["people"]))
        lines.append(f"session {number % clients + 1} {resident['session']} {people}")
    path.write_text("\n".join(lines) + "\n")


def process_groups(bench: Bench, cluster: Cluster) -> dict[str, list[int]]:
    """The processes whose CPU time is counted, by role."""
    groups = {node.name: [node.process.pid, *node.worker_pids()] for node in cluster.web}
    groups["haproxy"] = [pid for pid in [cluster.haproxy_pid()] if pid]
    groups["pgbouncer"] = [pid for pid in [cluster.pgbouncer_pid()] if pid]
    groups["background"] = [
        pid for proc in cluster.background.values() for pid in [proc.pid, *children(proc.pid)]
    ]
    groups["primary"] = [
        int(pid)
        for pid in bench.psql(
            "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() "
            "AND pid <> pg_backend_pid()) OR backend_type = 'walsender'"
        ).split()
    ]
    return groups


@dataclass
class Run:
    nodes: int
    bookings: int
    told: int
    per_s: float
    cpu_ms: dict[str, float]  # CPU ms per booking, by role
    requests: int
    p99_ms: float
    errors: dict


def run_load(bench: Bench, cluster: Cluster, *, nodes: int, args, skip_days: int) -> Run:
    from bench.booking import Progress, booking_times
    from bench.cluster_load import seed

    data = seed(
        households=args.households,
        lanes=args.lanes,
        center_days=args.center_days,
        skip_days=skip_days,
        first_number=100_000 * (skip_days + 1),
    )
    bench.analyze()
    path = bench.tmp / f"residents-{skip_days}.txt"
    write_data_file(path, data, args.clients)
    done_dir = bench.tmp / f"done-{skip_days}"
    done_dir.mkdir()
    before_groups = process_groups(bench, cluster)
    before = {role: cpu_seconds(pids) for role, pids in before_groups.items()}
    progress = Progress(bench, done_dir, args.clients, data["first_slot_ids"])
    result = bench.wrk(
        HaproxyTarget(cluster),  # type: ignore[arg-type]
        "/",
        script="booking.lua",
        connections=args.clients,
        threads=args.clients,
        duration_s=args.max_seconds,
        script_args=(str(path), str(done_dir)),
        stop_when=progress,
    )
    after_groups = process_groups(bench, cluster)
    cpu = {}
    for role, pids in after_groups.items():
        now = cpu_seconds(pids)
        cpu[role] = sum(seconds - before[role].get(pid, 0.0) for pid, seconds in now.items())
    times = booking_times(data["first_slot_ids"])
    per_s = rate(times[: math.ceil(CONTENDED_SHARE * len(times))])
    booked = max(1, len(times))
    return Run(
        nodes=nodes,
        bookings=len(times),
        told=result.extra["outcomes"]["booked"],
        per_s=per_s,
        cpu_ms={role: 1000 * seconds / booked for role, seconds in cpu.items()},
        requests=result.requests,
        p99_ms=result.p99_ms,
        errors={
            k: v
            for k, v in result.extra["outcomes"].items()
            if k in ("http_5xx", "unexpected") and v
        },
    )


def rate(times: list[float]) -> float:
    if len(times) < 2 or times[-1] == times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def one_node(cluster: Cluster, *, workers: int, env: dict[str, str]) -> None:
    """Only web1, with ``workers`` workers and ``env`` on top of the cluster's."""
    for node in list(cluster.web):
        cluster.stop_node(node.name)
    for name in ("web2", "web3"):
        for backend in ("web", "web_alive"):
            cluster.haproxy_command(f"set server {backend}/{name} state maint")
    cluster.extra_env.update(env)
    cluster.workers_per_node = workers
    cluster.start_node(0)
    for backend in ("web", "web_alive"):
        cluster.haproxy_command(f"set maxconn server {backend}/web1 {workers}")
        cluster.haproxy_command(f"set server {backend}/web1 state ready")
    time.sleep(3)  # HAProxy's health checks see the node up


def server_connections(bench: Bench) -> int:
    """Connections of this database's clients that the primary holds now."""
    return int(
        bench.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    )


POOLING = {
    "PgBouncer, transaction mode": {},
    "direct, CONN_MAX_AGE=600": {"DB_TRANSACTION_POOLING": "false"},
    "direct, Django's pool (2 per process)": {
        "DB_TRANSACTION_POOLING": "false",
        "DB_POOL_MAX_SIZE": "2",
    },
}


def compare_pooling(bench: Bench, cluster: Cluster, *, args, workers: int) -> list[list]:
    """One node, the same load, three ways to the primary: PgBouncer, Django's
    persistent connections, Django's own pool (psycopg_pool)."""
    rows = []
    direct = cluster.database_url(via="primary")
    for number, (name, env) in enumerate(POOLING.items()):
        url = {"DATABASE_URL": direct} if env else {"DATABASE_URL": cluster.database_url()}
        one_node(cluster, workers=workers, env={"DB_POOL_MAX_SIZE": "0", **url, **env})
        print(f"\n--- pooling: {name}", flush=True)
        run = run_load(
            bench, cluster, nodes=1, args=args, skip_days=(2 + number) * args.center_days
        )
        held = server_connections(bench)
        rows.append(
            [
                name,
                run.bookings,
                f"{run.per_s:.1f}",
                f"{web_ms(run):.1f}",
                f"{run.cpu_ms['primary']:.1f}",
                f"{run.cpu_ms['pgbouncer']:.1f}",
                held,
            ]
        )
    return rows


def web_ms(run: Run) -> float:
    return sum(ms for role, ms in run.cpu_ms.items() if role.startswith("web"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients", type=int, default=64, help="wrk connections (residents at once)"
    )
    parser.add_argument("--workers", type=int, default=6, help="gunicorn workers in total")
    parser.add_argument("--households", type=int, default=200, help="per run (2 people each)")
    parser.add_argument("--lanes", type=int, default=4, help="seats per time")
    parser.add_argument("--center-days", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument(
        "--port-base", type=int, default=int(os.environ.get("CLUSTER_PORT_BASE", "18400")) + 200
    )
    parser.add_argument(
        "--compare-pooling",
        action="store_true",
        help="then 1 node through PgBouncer, direct, and with Django's pool (needs psycopg_pool)",
    )
    args = parser.parse_args()
    if args.compare_pooling:
        try:
            import psycopg_pool  # noqa: F401
        except ImportError:
            parser.error("--compare-pooling needs psycopg_pool importable (see docs/scaling.md)")
    per_node = max(1, args.workers // 3)

    with Bench("cluster") as bench:
        cluster = Cluster(
            database=bench.database,
            port_base=args.port_base,
            workers_per_node=per_node,
            settings_module="bench.settings",
            redis_url=REDIS_URL,
            demo_data=True,
            drop_database=False,  # the Bench drops it
            extra_env={
                "SECRET_KEY": bench.env["SECRET_KEY"],
                "CACHE_KEY_PREFIX": bench.key_prefix,
                "DB_CONN_MAX_AGE": "600",
            },
            log=lambda message: print(message, flush=True),
        )
        with cluster:
            print(cluster.summary(), flush=True)
            # 1 node with every worker: the others stopped and out of HAProxy.
            one_node(cluster, workers=per_node * 3, env={})
            print(f"\n--- 1 node, {per_node * 3} workers", flush=True)
            one = run_load(bench, cluster, nodes=1, args=args, skip_days=0)

            cluster.stop_node("web1")
            cluster.workers_per_node = per_node
            for number in range(3):
                cluster.start_node(number)
            for name in ("web1", "web2", "web3"):
                for backend in ("web", "web_alive"):
                    cluster.haproxy_command(f"set maxconn server {backend}/{name} {per_node}")
                    cluster.haproxy_command(f"set server {backend}/{name} state ready")
            time.sleep(3)  # HAProxy's health checks see the nodes up
            print(f"\n--- 3 nodes, {per_node} workers each", flush=True)
            three = run_load(bench, cluster, nodes=3, args=args, skip_days=args.center_days)
            pooling = (
                compare_pooling(bench, cluster, args=args, workers=per_node * 3)
                if args.compare_pooling
                else []
            )

        from bench.booking import check_invariants

        invariants = check_invariants()

    roles = ["web1", "web2", "web3", "haproxy", "pgbouncer", "background", "primary"]
    print()
    print_table(
        [
            "nodes",
            "bookings",
            "told",
            "per s",
            "p99 ms",
            *[f"{r} ms" for r in roles],
            "web ms",
            "db share",
        ],
        [
            [
                run.nodes,
                run.bookings,
                run.told,
                f"{run.per_s:.1f}",
                f"{run.p99_ms:.0f}",
                *[f"{run.cpu_ms.get(role, 0.0):.1f}" for role in roles],
                f"{web_ms(run):.1f}",
                f"{run.cpu_ms['primary'] / max(0.001, sum(run.cpu_ms.values())):.2f}",
            ]
            for run in (one, three)
        ],
    )
    if pooling:
        print("\n1 node, the same load, three ways to the primary:")
        print_table(
            ["connections", "bookings", "per s", "web ms", "primary ms", "pgbouncer ms", "held"],
            pooling,
        )
    ratio = web_ms(three) / web_ms(one) if web_ms(one) else 0.0
    print(
        f"\nCPU per booking (web nodes): 1 node {web_ms(one):.1f} ms, "
        f"3 nodes {web_ms(three):.1f} ms ({ratio:.2f} x; target <= 1.2); "
        f"primary {one.cpu_ms['primary']:.1f} / {three.cpu_ms['primary']:.1f} ms; "
        f"errors {one.errors or 'none'} / {three.errors or 'none'}"
    )
    lost = max(0, one.told - one.bookings) + max(0, three.told - three.bookings)
    oversold = invariants["oversold"] + invariants["wrong_counter"]
    print(
        f"database: {invariants['oversold']} oversold slots, {invariants['wrong_counter']} wrong "
        f"counters, {invariants['half_series']} half series; {lost} told but missing"
    )
    print(
        f"RESULT cluster nodes1_per_s={one.per_s:.1f} nodes3_per_s={three.per_s:.1f} "
        f"cpu_per_booking_ms={web_ms(three):.1f} "
        f"primary_cpu_per_booking_ms={three.cpu_ms['primary']:.1f} lost={lost} oversold={oversold}"
    )
    return 1 if lost or oversold or invariants["half_series"] else 0


if __name__ == "__main__":
    sys.exit(main())
