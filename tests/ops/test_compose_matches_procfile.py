"""deploy/compose.yaml runs every process that Procfile.dev (make run) runs."""

import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The development web server's production counterpart is the image's default
# command (gunicorn), which the compose file's web containers run.
WEB = "runserver"


def procfile_commands(text: str) -> dict[str, str]:
    """Each Procfile role's manage.py command, e.g. {"sms": "sms_dispatch"}."""
    commands = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        role, command = line.split(":", 1)
        words = shlex.split(command)
        commands[role.strip()] = words[words.index("manage.py") + 1]
    return commands


def compose_commands(compose: dict) -> set[str]:
    """The manage.py commands the compose file runs; WEB where a service runs the
    image's default command."""
    found = set()
    for service in compose["services"].values():
        if service.get("image") != "impfportal:latest":
            continue
        command = service.get("command")
        if command is None:
            found.add(WEB)
        elif "manage.py" in command:
            found.add(command[command.index("manage.py") + 1])
    return found


def missing_from_compose(procfile: str, compose: dict) -> set[str]:
    return set(procfile_commands(procfile).values()) - compose_commands(compose)


def test_compose_runs_every_process_of_the_procfile():
    procfile = (ROOT / "Procfile.dev").read_text()
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert procfile_commands(procfile)  # the file was read
    assert missing_from_compose(procfile, compose) == set()


def test_a_process_missing_from_compose_is_noticed():
    procfile = (ROOT / "Procfile.dev").read_text() + "purge: python manage.py purge_everything\n"
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert missing_from_compose(procfile, compose) == {"purge_everything"}
    without_sweep = {
        "services": {
            name: spec
            for name, spec in compose["services"].items()
            if "waitlist_sweep" not in spec.get("command", [])
        }
    }
    assert missing_from_compose((ROOT / "Procfile.dev").read_text(), without_sweep) == {
        "waitlist_sweep"
    }
