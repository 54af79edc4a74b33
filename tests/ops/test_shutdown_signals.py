"""A storm of SIGTERMs ends a long-running command cleanly (impfportal/shutdown.py).

CI once saw the dispatcher exit with -15 instead of 0: the first SIGTERM had
stopped its loop, the command put the default handler back, and one of the
next signals killed it. Each child below stops on the first signal, then
spends a moment on its clean-up while the parent keeps signalling until it
has exited.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from impfportal.shutdown import stop_on_signals

ROOT = Path(__file__).resolve().parents[2]

WITH_THE_HELPER = """
    import threading, time
    from impfportal.shutdown import stop_on_signals
    stop = threading.Event()
    with stop_on_signals(stop.set):
        print("ready", flush=True)
        stop.wait(30)
    time.sleep(0.05)  # the clean-up after the loop
"""

# What the commands did before: restore the previous handlers as the loop returns.
RESTORING_AT_ONCE = """
    import signal, threading, time
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda _signum, _frame: stop.set())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        print("ready", flush=True)
        stop.wait(30)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    time.sleep(0.05)  # the clean-up after the loop
"""


def exit_code_under_a_storm_of_sigterms(source: str) -> int:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(source)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        signals = 0
        while process.poll() is None and signals < 20_000:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                break
            signals += 1
            time.sleep(0.0005)
        assert signals > 1, "the storm must go on past the first signal"
        return process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_storm_of_sigterms_ends_the_command_with_exit_code_0():
    assert exit_code_under_a_storm_of_sigterms(WITH_THE_HELPER) == 0


def test_negative_control_restoring_the_default_handler_lets_the_storm_kill_it():
    assert exit_code_under_a_storm_of_sigterms(RESTORING_AT_ONCE) == -signal.SIGTERM


@pytest.fixture
def default_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_first_signal_calls_stop_once_and_the_later_ones_are_ignored(default_handlers):
    calls = []
    with stop_on_signals(lambda: calls.append("stop")):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert calls == ["stop"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_without_a_signal_the_previous_handlers_come_back(default_handlers):
    def mine(_signum, _frame):
        pass

    signal.signal(signal.SIGTERM, mine)
    sigint_before = signal.getsignal(signal.SIGINT)
    with stop_on_signals(lambda: None):
        assert signal.getsignal(signal.SIGTERM) is not mine
    assert signal.getsignal(signal.SIGTERM) is mine
    assert signal.getsignal(signal.SIGINT) is sigint_before
