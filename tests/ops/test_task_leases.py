"""A task whose worker died (RUNNING, never finished) returns to the queue after
TASK_LEASE_SECONDS; one still within its lease stays with its worker."""

from datetime import timedelta

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from impfportal.task_leases import requeue_stalled_tasks
from waitlist.tasks import offer_free_seats


def test_a_dead_workers_task_comes_back_and_a_live_ones_does_not(db, settings):
    settings.TASK_LEASE_SECONDS = 60
    stalled, running, waiting = (offer_free_seats.enqueue(slot_ids=[]) for _ in range(3))
    now = timezone.now()
    DBTaskResult.objects.filter(pk=stalled.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(seconds=61)
    )
    DBTaskResult.objects.filter(pk=running.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(seconds=30)
    )

    assert requeue_stalled_tasks() == 1
    statuses = {str(pk): status for pk, status in DBTaskResult.objects.values_list("pk", "status")}
    assert statuses[stalled.id] == TaskResultStatus.READY
    assert statuses[running.id] == TaskResultStatus.RUNNING
    assert statuses[waiting.id] == TaskResultStatus.READY
    assert DBTaskResult.objects.ready().filter(pk=stalled.id).exists()
