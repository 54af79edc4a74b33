"""The purge runs once a day as its own process, in development and in production."""

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from privacy.management.commands import purge_personal_data
from privacy.models import PurgeRecord

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python manage.py purge_personal_data --commit --daily"


class _Stop(Exception):
    pass


def test_procfile_and_compose_run_the_daily_purge():
    assert f"purge: {COMMAND}" in (ROOT / "Procfile.dev").read_text().splitlines()
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert " ".join(compose["services"]["purge"]["command"]) == COMMAND


def test_daily_without_commit_is_refused():
    with pytest.raises(CommandError, match="--commit"):
        call_command("purge_personal_data", "--daily")


@pytest.mark.django_db
def test_the_scheduler_purges_once_a_day_however_often_it_wakes(monkeypatch, settings):
    settings.PURGE_HOUR = 0
    wakes = iter(range(3))

    def sleep(seconds):
        if next(wakes) == 2:
            raise _Stop

    monkeypatch.setattr(purge_personal_data.time, "sleep", sleep)
    # Closing the connection would end the test's transaction.
    monkeypatch.setattr(purge_personal_data, "close_old_connections", lambda: None)
    with pytest.raises(_Stop):
        call_command("purge_personal_data", "--commit", "--daily")
    assert PurgeRecord.objects.count() == 1
