"""Background work of the exchange (django.tasks, run by ``manage.py db_worker``).

Tasks take IDs only and load the rows again, so running one twice does no harm.
They are enqueued inside the transaction of the change that needs them (the
database backend commits or rolls back the task row with it).
"""

from django.tasks import task


@task()
def expire_offer(offer_id: int) -> bool:
    """Scheduled for the offer's deadline; passes the seats on if still unanswered."""
    from waitlist.offers import expire_offer as expire

    return expire(offer_id=offer_id)


@task()
def offer_free_seats(slot_ids: list[int]) -> int:
    """Offer the free seats of these slots (a bulk release, or a retry)."""
    from waitlist.exchange import offer_free_seats as offer

    return len(offer(slot_ids=slot_ids))
