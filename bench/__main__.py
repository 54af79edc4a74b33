"""``python -m bench`` (``make bench``): every benchmark in turn, then a summary table.

Each benchmark runs in its own process (its own database and gunicorn) and
prints a last line ``RESULT <name> key=value …``; the table gathers those.
Arguments after ``--`` go to every benchmark, e.g. ``python -m bench -- --workers 3``.
"""

import subprocess
import sys
from pathlib import Path

from bench.harness import print_table

BENCHMARKS = ["start_page.py", "booking.py"]
TARGETS = {
    "start_page": "ratio >= 0.5, p99_ms <= 100",
    "booking": "floor_share >= 0.6, cpu_ratio <= 2.5, p99_ms <= 1000, oversold = half_series = 0",
}


def run(script: str, args: list[str]) -> tuple[int, str | None]:
    path = Path(__file__).resolve().parent / script
    print(f"=== {script}", flush=True)
    proc = subprocess.Popen(
        [sys.executable, str(path), *args], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    result = None
    assert proc.stdout is not None  # stdout=PIPE
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith("RESULT "):
            result = line.strip()
    return proc.wait(), result


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    rows, failed = [], False
    for script in BENCHMARKS:
        code, result = run(script, args)
        failed |= code != 0
        if result is None:
            rows.append([script, f"failed (exit {code})", ""])
            continue
        _, name, *figures = result.split()
        rows.append([name, " ".join(figures), TARGETS.get(name, "")])
    print()
    print_table(["benchmark", "result", "target"], rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
