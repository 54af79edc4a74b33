"""Hooks the centers app offers to the apps above it.

``seats_freed`` is sent inside the transaction that may have left free seats
(a cancellation, newly released slots, an offer that ended), with ``slot_ids``
in time order. Receivers offer whatever is free in those slots now; the
waiting-list app registers for it, so its offers commit or roll back with the
change. Seats of a day the center cancelled are not announced.
"""

from django.dispatch import Signal

seats_freed = Signal()

# ``slots_withdrawn`` is sent inside the transaction that closed slots for good
# (a day the center cancelled), with ``slot_ids`` in time order, after their
# capacity shrank to the seats still taken: from then on no seat of them is
# free. A receiver gives back whatever it still holds in them (e.g. open
# waiting-list offers) through ``centers.services.give_back_withdrawn_seats``,
# which takes the seat away with it, so the slots stay without a free seat.
slots_withdrawn = Signal()

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
