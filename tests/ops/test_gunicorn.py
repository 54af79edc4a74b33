"""The image's web server (gunicorn with impfportal/gunicorn_conf.py), for real:
its access log is JSON with the request id, and /metrics adds up the counters
of all its worker processes."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"Connection": "close", **headers})
        response = conn.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        conn.close()


@pytest.fixture
def gunicorn(tmp_path, db):
    """Two workers against the test database; yields (base URL, log file)."""
    port = free_port()
    database = connection.settings_dict
    log = tmp_path / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS")},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "METRICS_TOKEN": TOKEN,
        "WEB_CONCURRENCY": "2",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "impfportal.wsgi:application",
                "--config",
                "python:impfportal.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # Until it answers or dies; a gunicorn that hangs is ended by pytest-timeout.
        while True:
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_access_log_is_json_with_the_request_id_and_no_secrets(gunicorn):
    base, log = gunicorn
    status, headers, _body = get(f"{base}/booking/K7QX-3M9A/?phone=015123456789")
    request_id = headers["X-Request-ID"]
    # The access line is written after the answer: wait for it, not for a guessed time.
    while request_id not in log.read_text():
        time.sleep(0.05)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    [access] = [
        r for r in records if r.get("request_id") == request_id and r["logger"] == "gunicorn.access"
    ]
    assert access["method"] == "GET"
    assert access["path"] == "/booking/…/"
    assert access["status_code"] == status == 302  # to the phone page: not verified
    assert isinstance(access["duration_ms"], float)
    assert "K7QX" not in log.read_text()
    assert "23456789" not in log.read_text()
    # gunicorn's own lines ("Booting worker …") are JSON too.
    assert any(r["logger"] == "gunicorn.error" for r in records)
    assert not [line for line in log.read_text().splitlines() if line and not line.startswith("{")]


def test_metrics_add_up_every_worker(gunicorn):
    base, _log = gunicorn
    requests = 12
    for _number in range(requests):
        status, _headers, _body = get(f"{base}/no-such-page/")
        assert status == 404
    # Every request went to one of two processes; the scrape (in either) sees them all.
    for _scrape in range(3):
        status, _headers, body = get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        text = body.decode()
        match = re.search(
            r'^impfportal_requests_total\{method="GET",status="404",view="unresolved"\} (\S+)$',
            text,
            flags=re.MULTILINE,
        )
        assert match, text
        assert float(match.group(1)) == requests
    assert "impfportal_sms_outbox_messages" in text  # the database's state, too
