"""Hooks the centers app offers to the apps above it.

``seats_freed`` is sent inside the transaction that gave seats back (a
cancellation, for example), with ``slot_ids`` in time order. The waiting-list
app registers for it, so its offers commit or roll back with the change.
"""

from django.dispatch import Signal

seats_freed = Signal()
