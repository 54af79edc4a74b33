from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from booking.models import Appointment, Series
from centers.models import Center, District, Slot
from sms.models import Message
from waitlist.models import Entry

pytestmark = pytest.mark.django_db


def test_the_demo_data_shows_every_state_and_loads_twice_without_change(settings, client):
    call_command("load_demo_data", stdout=StringIO())
    counts = (Center.objects.count(), Slot.objects.count(), Series.objects.count())
    call_command("load_demo_data", stdout=StringIO())
    assert (Center.objects.count(), Slot.objects.count(), Series.objects.count()) == counts
    assert District.objects.count() == 45
    assert Center.objects.count() == 50
    states = {center.state for center in Center.objects.with_availability()}
    assert states == set(Center.State)
    assert Series.objects.filter(status=Series.Status.ACTIVE).count() >= 5
    assert all(series.appointments.count() == 2 for series in Series.objects.all())
    assert Appointment.objects.count() == sum(Slot.objects.values_list("booked", flat=True))
    assert Entry.objects.filter(status=Entry.Status.WAITING).count() == 3
    # Each confirmation names the first dose's time as the pages show it (the day
    # screen's people were booked a little ahead and moved to today's times).
    for series in Series.objects.all():
        first, second = (series.appointments.get(dose=dose).slot for dose in (1, 2))
        body = Message.objects.get(idempotency_key=f"booked:{series.pk}").body
        for slot in (first, second):
            shown = date_format(timezone.localtime(slot.starts_at), "SMS_DATETIME_FORMAT")
            assert shown in body, (shown, body)
        # ...and the second dose is at the first's time of day.
        assert (
            timezone.localtime(second.starts_at).time()
            == timezone.localtime(first.starts_at).time()
        )

    # A center's demo login works its own day list in the admin.
    staff = get_user_model().objects.get(username="staff-hannover-messe")
    client.force_login(staff)
    response = client.get(reverse("admin:booking_appointment_changelist"), {"day": "all"})
    assert response.status_code == 200
    assert {a.slot.center.slug for a in response.context["cl"].queryset} <= {"hannover-messe"}


def test_the_demo_data_refuses_a_real_sms_provider(settings):
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    with pytest.raises(CommandError, match="console or in-memory"):
        call_command("load_demo_data")
    assert not Center.objects.exists()
