"""The benchmark server's settings: the production settings (from the same
environment variables) plus the baseline view's URL and a throw-away static root."""

import os
from pathlib import Path

from impfportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# collectstatic writes into the benchmark's temporary folder, not the checkout.
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
