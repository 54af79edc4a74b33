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

# --- A household's people (booking.households) ------------------------------
# ``person_is_busy``: may this person be corrected or removed now? ``person``;
# ``for_update`` is True inside the change's transaction, where a receiver locks
# the rows it reads, so that its answer holds until the commit. A receiver
# returns a sentence for the resident saying why not, or None.
# ``person_removing``: the person is about to be deleted (after every receiver
# of ``person_is_busy`` said None); receivers end through their own services
# what they keep for the person, before their rows go with it.
# ``person_corrected``: the person's details were corrected (``person`` saved);
# receivers bring what they copied from them (a waiting place's rank) up to date.
person_is_busy = Signal()
person_removing = Signal()
person_corrected = Signal()
