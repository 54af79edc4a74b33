"""Background work of the draws (django.tasks, run by ``manage.py db_worker``)."""

from django.tasks import task


@task()
def run_draw(draw_id: int) -> int:
    """Scheduled for the window's close; does nothing before it or a second time."""
    from draw.services import run_draw as run

    result = run(draw_id=draw_id)
    return result.ranked + result.offered
