"""Benchmark: the start page (all 50 centers and their states) at 64 connections.

In the same run and on the same gunicorn, a Django view that makes one query is
the baseline; rounds alternate between the two, so that noise from other work
on the machine hits both alike. The last line is

    RESULT start_page rps=… p99_ms=… baseline_rps=… ratio=…

Run: ``.venv/bin/python bench/start_page.py [--seconds 8] [--rounds 3]``.
"""

import argparse
import io
import sys
from pathlib import Path

if sys.path[0] == str(Path(__file__).resolve().parent):
    # Run as a script: import the project, not this folder's booking.py.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.harness import BASELINE, DEFAULT_WORKERS, Bench, median, print_table

START = "/"


def queries_per_request(paths: list[str]) -> dict[str, int]:
    """How many queries each page makes, counted in-process on the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for path in paths:
        client.get(path)  # warm caches, as the server's are
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(captured)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of measurements")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument(
        "--profile", type=Path, help="sample the workers with py-spy during the last round"
    )
    args = parser.parse_args()

    with Bench("start") as bench:
        from django.core.management import call_command

        print(f"Database {bench.database}: loading the demo data (50 centers) …", flush=True)
        call_command("load_demo_data", stdout=io.StringIO())
        bench.analyze()
        queries = queries_per_request([START, BASELINE])
        server = bench.start_gunicorn(workers=args.workers)
        print(
            f"gunicorn: {server.workers} sync workers on 127.0.0.1:{server.port}; "
            f"wrk: {args.connections} connections, {args.rounds} rounds of "
            f"{args.seconds:g} s per page",
            flush=True,
        )
        for path in (BASELINE, START):  # warm up: imports, template cache, connections
            bench.wrk(server, path, connections=args.connections, duration_s=2)

        rows, start_runs, base_runs = [], [], []
        for number in range(1, args.rounds + 1):
            last = number == args.rounds
            base = bench.wrk(
                server, BASELINE, connections=args.connections, duration_s=args.seconds
            )
            start = bench.wrk(
                server,
                START,
                connections=args.connections,
                duration_s=args.seconds,
                profile_to=args.profile if last else None,
            )
            base_runs.append(base)
            start_runs.append(start)
            for label, run in (("baseline", base), ("start page", start)):
                app_ms, db_ms = run.cpu_ms_per_request()
                figures = [f"{run.rps:.0f}", f"{run.p50_ms:.1f}", f"{run.p99_ms:.1f}"]
                cpu = [f"{app_ms:.2f}", f"{db_ms:.2f}"]
                rows.append([number, label, *figures, *cpu, sum(run.errors.values())])
        print()
        headers = ["round", "page", "req/s", "p50 ms", "p99 ms", "app CPU ms", "db CPU ms"]
        print_table([*headers, "errors"], rows)

    rps = median([run.rps for run in start_runs])
    p50 = median([run.p50_ms for run in start_runs])
    p99 = median([run.p99_ms for run in start_runs])
    base_rps = median([run.rps for run in base_runs])
    ratio = median([s.rps / b.rps for s, b in zip(start_runs, base_runs, strict=True) if b.rps])
    errors = sum(sum(run.errors.values()) for run in start_runs + base_runs)
    start_cpu = median([sum(run.cpu_ms_per_request()) for run in start_runs])
    base_cpu = median([sum(run.cpu_ms_per_request()) for run in base_runs])
    print()
    print(f"queries per request: start page {queries[START]}, baseline {queries[BASELINE]}")
    print(
        f"CPU per request (workers + database backends): start page {start_cpu:.2f} ms, "
        f"baseline {base_cpu:.2f} ms"
    )
    print(
        f"start page: {rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
        f"baseline {base_rps:.0f} req/s; ratio {ratio:.2f} (target >= 0.5, p99 <= 100 ms); "
        f"errors {errors}"
    )
    print(
        f"RESULT start_page rps={rps:.0f} p99_ms={p99:.1f} baseline_rps={base_rps:.0f} "
        f"ratio={ratio:.2f}"
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
