"""/healthz: the process answers, without the database, a session, a redirect
or the host check (the container's own probe comes as http://127.0.0.1:8000)."""

import pytest
from django.test import Client


def test_it_answers_without_touching_the_database(client):
    # No django_db mark: any query would fail the test ("Database access not allowed").
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies  # no session, no CSRF or language cookie


def test_it_answers_over_plain_http_for_any_host(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["impfportal.example"]
    probe = Client(HTTP_HOST="127.0.0.1:8000")
    assert probe.get("/healthz").status_code == 200
    # The control: any other page is redirected to HTTPS, and an unknown host refused.
    assert probe.get("/", HTTP_HOST="impfportal.example").status_code == 301
    assert probe.get("/").status_code == 400


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_takes_only_get_and_head(client, method):
    assert getattr(client, method)("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
