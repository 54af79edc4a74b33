"""Hooks the centers app offers to the apps above it.

``seats_freed`` is sent inside the transaction that may have left free seats
(a cancellation, newly released slots, an offer that ended), with ``slot_ids``
in time order. Receivers offer whatever is free in those slots now; the
waiting-list app registers for it, so its offers commit or roll back with the
change. Seats of a day the center cancelled are not announced.
"""

from collections.abc import Sequence
from typing import Any

from django.dispatch import Signal

seats_freed = Signal()

# ``slots_withdrawn`` is sent inside the transaction that closed slots for good
# (a day the center cancelled), with ``slot_ids`` in time order, after their
# capacity shrank to the seats still taken: from then on no seat of them is
# free. A receiver gives back whatever it still holds in them (e.g. open
# waiting-list offers) through ``centers.services.give_back_withdrawn_seats``,
# which takes the seat away with it, so the slots stay without a free seat.
# It returns how many holders gave their seats back (the staff are told).
slots_withdrawn = Signal()

# ``slots_closed`` is sent at the end of ``withdraw_free_seats``, in the same
# transaction, with the same ``slot_ids``, once the seats orphaned by the
# closure went too: what is free elsewhere now is what remains. A receiver
# may now serve again the people whose held seats it gave back (the waiting
# list offers them the remaining seats first), and returns how many it served.
slots_closed = Signal()

# ``seats_held_in`` is a question, not news: how many holders (open
# waiting-list offers) keep a seat in ``slot_ids``? Each receiver returns a
# number; a preview (the day-cancel confirmation) adds them up, changing nothing.
seats_held_in = Signal()


def count_holders(slot_ids: list[int]) -> int:
    """What the receivers of ``seats_held_in`` answer for these slots, added up."""
    return answers_added_up(seats_held_in.send(sender=None, slot_ids=slot_ids))


def answers_added_up(answers: Sequence[tuple[Any, Any]]) -> int:
    """The numbers receivers returned (``Signal.send``'s answers), added up; a
    receiver that returns nothing counts 0."""
    return sum(int(answer or 0) for _receiver, answer in answers)


# ``slots_released`` is sent inside the transaction of a bulk release that
# added seats: ``slots`` (in time order, ``center_id``, ``dose`` and
# ``starts_at`` set) and ``seats``, the seats added per slot id. The statistics
# count the first-dose seats as appointments released on each slot's day.
slots_released = Signal()

# ``seats_withdrawn`` is sent inside the transaction of a cancelled day, after
# ``withdraw_free_seats`` closed its slots: ``slots`` as above and ``seats``,
# the seats each slot lost (positive). Counted as a figure of its own, never
# as a negative release.
seats_withdrawn = Signal()
