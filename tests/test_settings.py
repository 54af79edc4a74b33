import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from impfportal.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "impfportal.settings",
    "SECRET_KEY": "a-production-secret-key-with-enough-length-and-variety-0123456789-XYZ",
    "ALLOWED_HOSTS": "impfportal.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/impfportal",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    # With DEBUG off the console backend and a localhost PORTAL_URL are refused
    # (tests/ops/test_deployment_checks.py).
    "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_SMS_FROM": "Impfportal",
    "TWILIO_VOICE_FROM": "+495115550100",
    "PORTAL_URL": "https://impfportal.example",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_an_sms_backend():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SMS_BACKEND"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SMS_BACKEND must be set" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("off", False), ("", False)]
)
def test_booleans_are_read_strictly(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", default=not expected) is expected


def test_a_misspelled_boolean_stops_the_start(monkeypatch):
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG", default=False)


def test_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("NUMBER", "x")
    with pytest.raises(ImproperlyConfigured):
        env_int("NUMBER", 1)
    monkeypatch.setenv("HOSTS", "a.example, b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
