"""Every benchmark still runs: each ``bench/*.py`` once at a tiny size, ending with its
``RESULT`` line. The figures of such a run mean nothing; that the script gets to the
end does (a benchmark that no longer runs is found here, not on the morning it is
needed). Each run uses databases of its own (``BENCH_DATABASE_SUFFIX``) and drops them."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

from scripts.cluster import missing_tools

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench"

# The tiny options of each benchmark; a new script must be added here.
TINY: dict[str, list[str]] = {
    "booking.py": [
        *("--clients", "2", "--center-days", "1", "--lanes", "1", "--workers", "1"),
        *("--max-seconds", "30", "--pgbench-seconds", "1", "--floor-seconds", "1"),
        *("--in-process", "2"),
    ],
    "start_page.py": ["--seconds", "1", "--rounds", "1", "--connections", "2", "--workers", "1"],
    "sms_drain.py": [
        *("--messages", "200", "--baseline-messages", "100", "--dispatchers", "1"),
        *("--pool", "2", "--cap", "100", "--capped-seconds", "1"),
    ],
    "exchange.py": [
        *("--entries", "300", "--cancellations", "5", "--clients", "1", "--expiries", "3"),
        *("--workers", "1", "--hold", "0.5", "--rate", "20"),
    ],
    "stats_counters.py": ["--threads", "2", "--events", "3", "--work", "0"],
    "stats_reading.py": ["--centers", "2", "--days", "20"],
    "reminders.py": [
        *("--appointments", "200", "--processes", "1", "--baseline-seconds", "1"),
        *("--bookers", "50"),
    ],
    "cluster.py": [
        *("--clients", "2", "--workers", "3", "--households", "4", "--lanes", "1"),
        *("--center-days", "1", "--max-seconds", "20"),
    ],
    "morning.py": [
        *("--residents", "12", "--pre-seconds", "2", "--post-seconds", "2", "--capacity", "4"),
        *("--workers", "1", "--baseline-connections", "2", "--refresh-scale", "0.1"),
        *("--queue-workers", "1"),
    ],
    "draw.py": [
        *("--sessions", "4", "--connections", "2", "--baseline-seconds", "1"),
        *("--entrants", "200", "--seats", "20"),
    ],
    "voice.py": [
        *("--calls", "5", "--think-ms", "10", "--ramp-s", "1", "--capacity-calls", "10"),
        *("--callers", "2", "--floor-seconds", "1", "--workers", "1", "--in-process", "2"),
    ],
}
# Modules of the package that are not benchmarks.
NOT_BENCHMARKS = {
    "__init__.py",
    "__main__.py",
    "harness.py",
    "cluster_load.py",
    "profile.py",
    "settings.py",
    "urls.py",
}


def test_every_benchmark_has_a_tiny_run():
    scripts = {path.name for path in BENCH.glob("*.py")} - NOT_BENCHMARKS
    assert scripts == set(TINY)


@pytest.fixture
def bench_env():
    """Databases of this run only; PostgreSQL and Redis as the tests use them."""
    suffix = f"_smoke_{uuid.uuid4().hex[:8]}"
    database = settings.DATABASES["default"]
    server = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
    scratch = f"impfportal_bench_scratch{suffix}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    env = {
        **os.environ,
        "BENCH_DATABASE_SUFFIX": suffix,
        "BENCH_PG_HOST": database["HOST"],
        "BENCH_PG_PORT": str(database["PORT"]),
        "BENCH_PG_USER": database["USER"],
        "BENCH_POSTGRES": server,
        "BENCH_REDIS_URL": redis.geturl(),
        # stats_counters.py and stats_reading.py run against DATABASE_URL.
        "DATABASE_URL": f"{server}/{scratch}",
        "SMS_DRAIN_DATABASE_URL": f"{server}/impfportal_bench_sms{suffix}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        yield env
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for name in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"%{suffix}"]
            ).fetchall():
                admin.execute(f'DROP DATABASE IF EXISTS "{name[0]}" WITH (FORCE)')


@pytest.mark.parametrize("script", sorted(TINY))
def test_the_benchmark_runs_to_its_result_line(script, bench_env):
    name = script.removesuffix(".py")
    args = list(TINY[script])
    if script == "cluster.py" and (missing := missing_tools()):
        pytest.skip(f"cluster tools missing: {', '.join(missing)} (make cluster-tools)")
    if script == "sms_drain.py":
        args += ["--database-url", bench_env["SMS_DRAIN_DATABASE_URL"]]
        args += ["--redis-url", bench_env["BENCH_REDIS_URL"]]
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        env=bench_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, output[-4000:]
    assert lines[-1].startswith(f"RESULT {name} "), output[-4000:]
    figures = dict(pair.split("=", 1) for pair in lines[-1].split()[2:])
    assert figures, lines[-1]


def test_the_profile_reader_summarises_collapsed_stacks(tmp_path):
    stacks = tmp_path / "stacks.txt"
    stacks.write_text(
        "<module> (gunicorn/app.py:1);book (booking/views.py:10);take (centers/services.py:5) 7\n"
        "<module> (gunicorn/app.py:1);page (booking/views.py:20) 3\n"
    )
    done = subprocess.run(
        [sys.executable, str(BENCH / "profile.py"), str(stacks), "--match", "booking/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "booking/views.py" in done.stdout
