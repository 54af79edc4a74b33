"""The Docker image and deploy/compose.yaml, checked without Docker (it does not run
on these machines): the compose file against the Compose Specification's JSON
schema (check-jsonschema ships it), and the roles, commands and wiring we rely on."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "deploy" / "compose.yaml"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_compose_file_follows_the_compose_specification(tmp_path):
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restart: [1]", 1))
    assert validate(broken).returncode != 0  # the check can fail


def test_compose_runs_every_role_from_the_one_image(compose):
    services = compose["services"]
    app = {name for name, spec in services.items() if spec.get("image") == "impfportal:latest"}
    assert app >= {"migrate", "web1", "web2", "sms", "tasks", "waitlist", "purge"}
    assert "command" not in services["web1"]  # the image's default: gunicorn
    assert "command" not in services["web2"]
    commands = {
        name: services[name]["command"][2] for name in ("migrate", "sms", "tasks", "waitlist")
    }
    assert commands == {
        "migrate": "migrate",
        "sms": "sms_dispatch",
        "tasks": "db_worker",
        "waitlist": "waitlist_sweep",
    }
    assert set(commands.values()) <= set(get_commands())
    assert services["migrate"]["restart"] == "no"
    for name in ("web1", "web2", "sms", "tasks", "waitlist"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["db"]["condition"] == "service_healthy"
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_the_proxy_balances_the_web_containers_and_is_the_only_trusted_one(compose):
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert "443:443" in proxy["ports"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"reverse_proxy\s+web1:8000\s+web2:8000\s+web3:8000", caddyfile)
    assert re.search(r"encode \{[^}]*gzip \d", caddyfile)  # HTML leaves compressed
    address = proxy["networks"]["backend"]["ipv4_address"]
    environment = services["web1"]["environment"]
    assert environment["TRUSTED_PROXIES"] == address
    assert environment["BEHIND_TLS_PROXY"] == "true"
    assert environment["REDIS_URL"].startswith("redis://redis:")
    # The app through PgBouncer, its migrations directly on the primary.
    assert "@pgbouncer:5432/" in environment["DATABASE_URL"]
    assert environment["DB_TRANSACTION_POOLING"] == "true"
    assert "@db-replica:5432/" in environment["REPLICA_DATABASE_URL"]
    assert "@db:5432/" in services["migrate"]["environment"]["DATABASE_URL"]


def test_the_dockerfile_builds_in_stages_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert len(stages) >= 2
    assert stages[-1] == "python:3.13-slim"
    assert (ROOT / ".python-version").read_text().strip().startswith("3.13")
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER (?!root)\w+", runtime, flags=re.MULTILINE)
    assert "collectstatic" in dockerfile.split("AS runtime", 1)[0]
    assert "COPY --from=build /opt/venv" in runtime
    assert re.search(r'^CMD \["gunicorn"', runtime, flags=re.MULTILINE)
    # JSON access log and Prometheus' multiprocess mode come from the config module.
    assert '"--config", "python:impfportal.gunicorn_conf"' in runtime
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", runtime, flags=re.MULTILINE)


def test_the_queue_page_has_a_container_of_its_own(compose):
    from django.urls import reverse

    from scripts.cluster import QUEUE_PAGE

    assert reverse("waitingroom:queue") == QUEUE_PAGE
    queue = compose["services"]["queue"]
    assert queue["image"] == "impfportal:latest"
    assert queue["command"][:2] == ["gunicorn", "impfportal.wsgi:application"]
    assert "queue" in compose["services"]["proxy"]["depends_on"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    # Its own container first, the web containers only while it is down.
    assert re.search(
        rf"reverse_proxy\s+{QUEUE_PAGE}\s+queue:8000\s+web1:8000\s+web2:8000\s+web3:8000\s+"
        r"\{\s*lb_policy first\b",
        caddyfile,
    )
