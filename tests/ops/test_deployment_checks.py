"""With DEBUG off, the system checks (run by migrate, which every container of
deploy/compose.yaml waits for) refuse the console SMS backend and a PORTAL_URL
on this machine; in development (make run) and in the tests they stay quiet."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from impfportal.checks import check_portal_url

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "impfportal.settings",
    "SECRET_KEY": "a-production-secret-key-with-enough-length-and-variety-0123456789-XYZ",
    "ALLOWED_HOSTS": "impfportal.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/impfportal",
    "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_SMS_FROM": "Impfportal",
    "TWILIO_VOICE_FROM": "+495115550100",
    "PORTAL_URL": "https://impfportal.example",
}


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_correct_production_configuration_passes():
    result = check(PRODUCTION, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_console_backend_is_refused_with_debug_off():
    result = check({**PRODUCTION, "SMS_BACKEND": "sms.backends.console.ConsoleBackend"})
    assert result.returncode != 0
    assert "sms.E003" in result.stderr
    assert "SMS_BACKEND is the console backend" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "https://LOCALHOST",
        "https://impfportal.localhost",
        "http://[::1]:8000",
        "http://0.0.0.0",
        "http://127.0.1.1",
        "not a url",
    ],
)
def test_a_portal_url_on_this_machine_is_refused_with_debug_off(settings, url):
    settings.PORTAL_URL = url
    [error] = check_portal_url(None)
    assert error.id == "impfportal.E001"
    assert error.is_serious()
    settings.DEBUG = True
    assert check_portal_url(None) == []


@pytest.mark.parametrize("url", ["https://impfportal.niedersachsen.de", "https://10.1.2.3"])
def test_public_or_private_network_addresses_pass(settings, url):
    settings.PORTAL_URL = url
    assert check_portal_url(None) == []


def test_the_default_portal_url_is_refused_with_debug_off():
    env = {name: value for name, value in PRODUCTION.items() if name != "PORTAL_URL"}
    result = check(env)
    assert result.returncode != 0
    assert "impfportal.E001" in result.stderr
    assert "PORTAL_URL (http://127.0.0.1:8000) points at this machine" in result.stderr


def test_make_run_still_starts():
    """The quick start's environment (Makefile: DEV_ENV) with the defaults."""
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "true",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "db.sqlite3"),
        "SMS_BACKEND": "sms.backends.console.ConsoleBackend",
    }
    result = check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_settings_still_start():
    result = check({**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_benchmark_settings_still_start():
    from bench.harness import Bench

    bench = Bench("checks")  # its environment; no database is made before __enter__
    shutil.rmtree(bench.tmp)
    result = check(bench.env)
    assert result.returncode == 0, result.stdout + result.stderr
