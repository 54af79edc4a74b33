"""Hooks the booking app offers to the apps above it.

Both are sent inside the booking's or cancellation's transaction, so whatever a
receiver writes (the statistics' daily counters) commits or rolls back with it.

``series_booked``: ``series`` (with ``person`` and ``center`` loaded) and
``slots``, the first- and second-dose slots whose seats were taken.
``series_cancelled``: ``series`` (``cancelled_at`` set) and ``appointments``,
how many booked appointments the cancellation ended.
"""

from django.dispatch import Signal

series_booked = Signal()
series_cancelled = Signal()
