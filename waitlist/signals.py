"""Hooks the waiting list offers to the apps above it (the statistics).

Each is sent inside the transaction of the change, so whatever a receiver
writes commits or rolls back with it, with the keyword arguments of the
statistics' simple contract (``stats.receivers``):

- ``entry_joined`` / ``entry_left``: a waiting place was taken / stopped
  waiting for good (served through an offer, given up, or closed because the
  person booked directly), exactly once each. ``center_id`` for a center's
  list, else ``district_id`` for a district-wide one; ``on`` the local day of
  ``joined_at`` / of ``served_at`` or ``left_at``; ``amount`` if more than one.
- ``offer_made``, ``offer_accepted``, ``offer_declined``, ``offer_expired``:
  ``center_id`` of the offered appointment, ``on`` the local day of the
  offer's ``created_at`` / ``ended_at``.

``entry_registered`` is sent by ``services.join_waitlist`` right after the
entry is written, before any seat is offered, with ``entry``: a receiver may
refuse it (raise WaitlistError: the join rolls back), make it wait for a
draw (set its status to ``Entry.Status.DRAW``), or return True: then no free
seat is offered to it on joining (the seats wait for a draw that has yet to run).

A paused place is still on the list: pausing and re-activating send nothing.
"""

from django.dispatch import Signal

entry_registered = Signal()
entry_joined = Signal()
entry_left = Signal()
offer_made = Signal()
offer_accepted = Signal()
offer_declined = Signal()
offer_expired = Signal()


def scope_of(entry) -> dict[str, int]:
    """Where an entry's moves are counted: its center, or its district's list."""
    if entry.center_id:
        return {"center_id": entry.center_id}
    return {"district_id": entry.district_id}
