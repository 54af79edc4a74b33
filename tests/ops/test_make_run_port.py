"""`make run PORT=…` serves the demo on that port (Makefile and Procfile.dev)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dry_run(*args: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {key: value for key, value in os.environ.items() if key != "PORT"}
    result = subprocess.run(
        [make, "-n", "-C", str(ROOT), "run", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def test_the_web_server_listens_on_the_port_honcho_hands_it():
    procfile = (ROOT / "Procfile.dev").read_text()
    assert "web: python manage.py runserver 127.0.0.1:$PORT\n" in procfile
    # honcho gives the first process the start port (the next ones +100 each).
    assert procfile.startswith("web:")


def test_make_run_takes_a_port():
    commands = dry_run("PORT=8123")
    assert "honcho -f Procfile.dev start --port 8123" in commands
    # Links in the printed text messages point at the same port.
    assert "PORTAL_URL=http://127.0.0.1:8123" in commands


def test_make_run_defaults_to_port_8000():
    commands = dry_run()
    assert "start --port 8000" in commands
    assert "PORTAL_URL=http://127.0.0.1:8000" in commands
