"""A lease for background tasks: a task whose worker died comes back.

django-tasks-db marks a claimed task RUNNING and nothing ever looks at it
again: a worker killed with SIGKILL (or a lost machine) leaves it RUNNING for
good. Our tasks load their rows again and check their state, so running one
twice does no harm (waitlist/tasks.py); a task RUNNING for longer than
``TASK_LEASE_SECONDS`` is therefore handed back to the queue, as the SMS
outbox does with its own leases. The waiting list's sweep calls this.
"""

from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def requeue_stalled_tasks() -> int:
    """Put tasks RUNNING longer than the lease back to READY; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)
