"""Hooks the standby list offers to the statistics (the simple contract:
``center_id``, ``on``, ``amount``).

``offers_sent``: a round's offers went out (``amount`` people).
``claim_made``: someone pressed "I am coming" on an open offer (won or too late).
``dose_saved``: a claim won a leftover dose, which is booked.
"""

from django.dispatch import Signal

offers_sent = Signal()
claim_made = Signal()
dose_saved = Signal()
