"""deploy/compose.yaml and `make cluster` (scripts/cluster.py) run the same roles,
as many of each."""

from collections import Counter
from pathlib import Path

import yaml

from scripts.cluster import ROLES

ROOT = Path(__file__).resolve().parents[2]
# What each compose service is, by its image or its manage.py command.
COMMAND_ROLES = {
    "sms_dispatch": "sms",
    "db_worker": "tasks",
    "waitlist_sweep": "waitlist",
    "send_reminders": "reminders",
    "standby_sweep": "standby",
}
# The migration runs once; the daily purge is left out of `make cluster` (a demo
# cluster lives for minutes, not days).
NOT_IN_CLUSTER = {"migrate", "purge_personal_data"}


def compose_roles(compose: dict) -> Counter:
    roles: Counter = Counter()
    for name, service in compose["services"].items():
        image = service.get("image", "")
        command = service.get("command") or []
        if image.startswith("caddy:"):
            roles["proxy"] += 1
        elif image.startswith("redis:"):
            roles["redis"] += 1
        elif "pgbouncer" in image:
            roles["pooler"] += 1
        elif image.startswith("postgres:"):
            roles["replica" if "pg_basebackup" in " ".join(command) else "db"] += 1
        elif "manage.py" in command:
            managed = command[command.index("manage.py") + 1]
            if managed not in NOT_IN_CLUSTER:
                roles[COMMAND_ROLES[managed]] += 1
        elif not command:
            roles["web"] += 1
        elif command[0] == "gunicorn":  # a web server of its own: the queue page's
            roles["queue"] += 1
        else:
            raise AssertionError(f"unknown role of {name}")
    return roles


def test_compose_and_make_cluster_describe_the_same_roles():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert compose_roles(compose) == Counter(ROLES)


def test_a_role_missing_from_compose_is_noticed():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    del compose["services"]["tasks2"]
    assert compose_roles(compose) != Counter(ROLES)
