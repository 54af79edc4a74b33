"""Background work of the centers app (django.tasks, run by ``manage.py db_worker``).

Enqueued inside the transaction of the change that needs it; running a task
twice does no harm (it reads the rows again under their locks).
"""

from django.tasks import task

from centers.hotline_hold import end_due_hotline_holds


@task()
def end_hotline_holds() -> int:
    """Scheduled for the end of a release's hotline hold: gives back every held
    seat whose hold has ended (this release's, and any a lost task left)."""
    return end_due_hotline_holds()
