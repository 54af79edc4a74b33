import socket

import pytest


@pytest.fixture
def closed_port() -> int:
    """A local TCP port on which nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def metrics_token(settings) -> str:
    settings.METRICS_TOKEN = "scrape-token-for-the-tests"
    return settings.METRICS_TOKEN


@pytest.fixture
def scrape(client, metrics_token):
    """GET /metrics as Prometheus does; returns the exposition text."""

    def scrape() -> str:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return scrape
