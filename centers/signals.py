"""Hooks the centers app offers to the apps above it.

``seats_freed`` is sent inside the transaction that may have left free seats
(a cancellation, newly released slots, an offer that ended), with ``slot_ids``
in time order. Receivers offer whatever is free in those slots now; the
waiting-list app registers for it, so its offers commit or roll back with the
change. Seats of a day the center cancelled are not announced.
"""

from django.dispatch import Signal

seats_freed = Signal()
