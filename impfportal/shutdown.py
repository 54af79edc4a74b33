"""SIGTERM and Ctrl+C for the long-running commands (dispatcher, reminders, standby).

A supervisor (gunicorn's arbiter, honcho, systemd, the cluster script) may send
SIGTERM more than once. The first asks the command's loop to finish what it has
in hand, and from then on both signals are ignored until the process ends:
putting the previous handler (usually the default, which kills) back as the
loop returns, or Python's own reset to the defaults while the interpreter
shuts down, would let a second signal kill the process half-way through its
clean exit (CI once saw exactly that, exit -15). SIGKILL still ends it at
once. When no signal arrived (an in-process caller, a ``--once`` run), the
previous handlers are restored as they were.
"""

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop()`` on the first SIGTERM or SIGINT; ignore the ones after it."""
    arrived = False

    def handler(_signum, _frame) -> None:
        nonlocal arrived
        arrived = True
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        if not arrived:
            for sig, old in previous.items():
                signal.signal(sig, old)
