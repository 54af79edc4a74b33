"""The benchmark server's settings: the production settings (from the same
environment variables) plus the baseline view's URL and a throw-away static root."""

import os
from pathlib import Path

from impfportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# collectstatic writes into the benchmark's temporary folder, not the checkout.
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])

# All of the benchmark's residents come from 127.0.0.1, where in production each
# has an address of their own: the per-address and portal-wide ceilings would
# measure the limiter, not the booking. They stay on with ceilings out of reach,
# so that their counting (a Redis round trip per scope) is still in the path.
UNREACHABLE = "1000000/m"
RATE_LIMITS = {
    action: {
        scope: UNREACHABLE if scope in ("address", "global") else rate
        for scope, rate in rates.items()
    }
    for action, rates in RATE_LIMITS.items()  # noqa: F405
}
