"""Hooks the booking app offers to the apps above it.

All are sent inside the transaction of the change, so whatever a receiver
writes (the statistics' daily counters) commits or rolls back with it.

``series_booked``: ``series`` (with ``person`` and ``center`` loaded) and
``slots``, the first- and second-dose slots whose seats were taken.
``series_cancelled``: ``series`` (``cancelled_at`` set) and ``appointments``,
how many booked appointments the cancellation ended.
``appointment_attended`` / ``appointment_no_show``: staff recorded people as
vaccinated / as not come; ``center_id``, ``on`` (the appointment's local day)
and ``amount`` (how many; -1 takes back a no-show when someone arrives late).
"""

from django.dispatch import Signal

series_booked = Signal()
series_cancelled = Signal()
appointment_attended = Signal()
appointment_no_show = Signal()
