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
# (a day the center cancelled), with ``slot_ids`` in time order. Their free seats
# are gone and must not be offered; a receiver withdraws whatever it still holds
# in them (e.g. open waiting-list offers).
slots_withdrawn = Signal()
