"""Today at one demo center, so that the day screen shows a day (``make run``).

Called by ``load_demo_data``: a few people booked through ``booking.services``
into today's times (the morning's have passed, the afternoon's are to come)
and three people on today's standby list. Idempotent: a center that has
appointments today gets none added.
"""

import uuid
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from booking.models import Appointment, Household, Person
from booking.services import add_person, book_series
from booking.staff import day_bounds
from centers.models import Center, Slot, Vaccine
from centers.release import add_series_seats
from sms.models import Message
from sms.outbox import render_message
from standby import services as standby
from standby.services import StandbyError

# (phone, first name, last name, born, time of the appointment)
TODAY = (
    ("+4915112340001", "Ingrid", "Sommer", date(1936, 3, 2), time(8, 30)),
    ("+4915112340002", "Walter", "Brinkmann", date(1938, 11, 19), time(9, 0)),
    ("+4915112340003", "Ursula", "Janßen", date(1934, 6, 7), time(9, 30)),
    ("+4915112340004", "Helmut", "Peters", date(1939, 1, 23), time(10, 0)),
    ("+4915112340005", "Gisela", "Schröder", date(1937, 9, 14), time(11, 30)),
    ("+4915112340006", "Horst", "Meier", date(1935, 4, 30), time(14, 0)),
    ("+4915112340007", "Renate", "Koch", date(1940, 2, 11), time(15, 30)),
    ("+4915112340008", "Dieter", "Hoffmann", date(1933, 12, 1), time(17, 0)),
)
STANDBY = (
    ("+4915112340011", "Brigitte", "Lorenz", date(1939, 8, 8)),
    ("+4915112340012", "Manfred", "Otten", date(1936, 10, 3)),
    ("+4915112340013", "Christa", "Harms", date(1941, 5, 25)),
)


def _person(phone: str, first_name: str, last_name: str, born: date, postal_code: str) -> Person:
    household, _created = Household.objects.get_or_create(phone=phone)
    return household.people.filter(
        first_name=first_name, last_name=last_name, date_of_birth=born
    ).first() or add_person(
        household=household,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=born,
        postal_code=postal_code,
    )


def load_today(*, center: Center, vaccine: Vaccine) -> int:
    """Book TODAY's people at ``center`` and put STANDBY on its list; return how many
    were booked. Call inside the demo's transaction."""
    today = timezone.localdate()
    start, end = day_bounds(today)
    if Appointment.objects.filter(
        slot__center=center, slot__starts_at__gte=start, slot__starts_at__lt=end
    ).exists():
        return 0
    postal_code = center.postal_code
    soon = timezone.now() + timedelta(hours=1)
    booked = 0
    for number, (phone, first_name, last_name, born, at) in enumerate(TODAY):
        # Booked while the time was still to come (a booking refuses a past time):
        # a seat a little ahead, then the slots moved to its time today and its
        # second dose's day.
        moment = (soon + timedelta(minutes=number)).replace(second=0, microsecond=0)
        [first] = [
            s
            for s in add_series_seats(
                center=center, vaccine=vaccine, first_dose_times=[moment], lanes=1
            )
            if s.is_first_dose
        ]
        slot = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=first.pk)
        person = _person(phone, first_name, last_name, born, postal_code)
        series = book_series(person=person, slot=slot, request_token=uuid.uuid4())
        wanted = timezone.make_aware(datetime.combine(today, at))
        # The second dose at the same time of day, the vaccine's interval later.
        later = today + timedelta(days=vaccine.second_dose_interval_days)
        wanted_second = timezone.make_aware(datetime.combine(later, at))
        second = slot.second_dose_slot
        if second is None:  # add_series_seats always makes one
            raise RuntimeError(f"slot {slot.pk} has no second dose")
        if not Slot.objects.filter(
            Q(starts_at=wanted, dose=Slot.Dose.FIRST)
            | Q(starts_at=wanted_second, dose=Slot.Dose.SECOND),
            center=center,
            vaccine=vaccine,
        ).exists():
            Slot.objects.filter(pk=slot.pk).update(starts_at=wanted)
            Slot.objects.filter(pk=second.pk).update(starts_at=wanted_second)
            slot.starts_at, second.starts_at = wanted, wanted_second
            # The confirmation was written before the move: it names the time the
            # day screen shows (make run prints it on the console).
            Message.objects.filter(idempotency_key=f"booked:{series.pk}").update(
                body=render_message(
                    "booking_confirmed.txt",
                    {"series": series, "first": slot, "second": second},
                )
            )
        booked += 1
    for phone, first_name, last_name, born in STANDBY:
        try:
            standby.join(
                person=_person(phone, first_name, last_name, born, postal_code),
                center=center,
                day=today,
            )
        except StandbyError:
            continue  # already on the list (a second run)
    return booked
