"""Where the gunicorn workers spend their time under load, from py-spy samples.

The benchmarks take ``--profile FILE``: py-spy samples every worker while the
load runs and writes collapsed stacks (one line per stack: frames separated by
``;``, then the sample count) to FILE, and a summary is printed. To read a saved
profile again::

    .venv/bin/python bench/profile.py FILE [--top 30] [--match booking/]
"""

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# "function (path/to/file.py:123)" -> "function (path/to/file.py)"
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")
SITE = re.compile(r".*/(site-packages|lib/python3\.\d+)/")
# Frames every request passes through: they say nothing about where time goes.
PLUMBING = re.compile(
    r"gunicorn|django/utils/deprecation\.py|django/core/handlers/|"
    r"django/views/decorators/http\.py|whitenoise/middleware\.py|^<module>"
)


def start(pid: int, output: Path, seconds: float) -> subprocess.Popen:
    """Sample ``pid`` and its child processes (the workers) for ``seconds``."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise RuntimeError("py-spy is missing: pip install -e '.[dev]'")
    command = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    command += ["--rate", "200", "--format", "raw", "--output", str(output)]
    command += ["--duration", str(max(1, round(seconds)))]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _frame_key(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = SITE.sub("", match["file"])
    return f"{match['function']} ({file})"


def summarize(path: Path, *, top: int = 25, match: str = "") -> str:
    """Share of samples inside each function (inclusive, once per stack) and at the
    top of the stack (self), leaving out the plumbing every request goes through."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_frame_key(frame) for frame in stack.split(";")[1:]]  # [0]: the process
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    if not total:
        return "no samples"

    def rows(counter: Counter) -> list[str]:
        return [
            f"  {100 * samples / total:5.1f} %  {frame}"
            for frame, samples in counter.most_common()
            if match in frame and not PLUMBING.search(frame)
        ][:top]

    header = f"{total} samples of busy workers. Inside each function:"
    return "\n".join([header, *rows(inclusive), "At the top of the stack (self):", *rows(own)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only functions whose name or file has this")
    args = parser.parse_args()
    print(summarize(args.file, top=args.top, match=args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())
