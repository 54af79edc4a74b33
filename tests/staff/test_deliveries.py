"""Recording deliveries, and the stock they give."""

from datetime import time, timedelta
from time import sleep

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from centers.errors import CenterError
from centers.models import AuditEntry, Delivery, Slot, SlotRelease
from centers.release import ReleaseRequest, plan_release, release_slots
from centers.stock import check_delivery_reduction, stock_for
from tests import factories
from tests.journeys import german
from tests.staff.conftest import make_staff
from tests.staff.helpers import book, earlier_today, first_dose, run_together, second_dose

pytestmark = pytest.mark.django_db

ADD = reverse("admin:centers_delivery_add")


def delivery_data(center, vaccine, **overrides) -> dict:
    data = {
        "center": center.pk,
        "vaccine": vaccine.pk,
        "doses": "600",
        "delivered_on": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def test_staff_record_a_delivery_and_it_is_logged(client_a, staff_a, center_a, vaccine):
    response = client_a.post(ADD, delivery_data(center_a, vaccine))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.center, delivery.vaccine, delivery.doses) == (center_a, vaccine, 600)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.user, entry.center, entry.object_id) == (
        "added",
        staff_a,
        center_a,
        str(delivery.pk),
    )
    assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available == 600


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"doses": "-5"}, "doses", "Enter the number of doses delivered: at least 1."),
        ({"doses": "0"}, "doses", "Enter the number of doses delivered: at least 1."),
        (
            {"delivered_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
            "delivered_on",
            "Record a delivery when it has arrived: the date cannot be in the future.",
        ),
    ],
)
def test_a_bad_delivery_gets_a_plain_message_and_is_not_saved(
    client_a, center_a, vaccine, overrides, field, message
):
    response = client_a.post(ADD, delivery_data(center_a, vaccine, **overrides))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [german(message)]
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_delivery_cannot_be_corrected_below_what_is_bound(
    client_a, center_a, vaccine, open_for_80
):
    delivery = factories.make_delivery(center_a, vaccine, doses=100)
    # One booked series binds its two seats; the slot pair holds two more free seats.
    book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(3), 10))
    bound = stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).bound
    assert bound == 2
    url = reverse("admin:centers_delivery_change", args=[delivery.pk])
    data = {"doses": "1", "delivered_on": delivery.delivered_on.isoformat()}
    response = client_a.post(url, data)
    assert response.status_code == 200
    message = german(
        "The released appointments already bind these doses. The delivery can be reduced "
        "to no fewer than %(least)d doses.",
        least=2,
    )
    assert message in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.doses == 100

    response = client_a.post(url, {**data, "doses": "2"})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.doses == 2
    change = AuditEntry.objects.get(action="changed")
    assert change.details["message"] == [{"changed": {"fields": ["doses"]}}]


def test_the_stock_counts_given_doses_and_returns_no_shows(
    client_a, staff_a, center_a, vaccine, open_for_80
):
    from booking.staff import check_in, mark_no_show

    factories.make_delivery(center_a, vaccine, doses=10)
    erna, karl = book(center_a, vaccine, at=earlier_today(), names=["Erna Meyer", "Karl Meyer"])
    # Two first doses in a slot that has begun, two second doses to come.
    assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available == 6
    check_in(appointment_ids=[first_dose(erna).pk], by=staff_a)
    mark_no_show(appointment_ids=[first_dose(karl).pk], by=staff_a)
    # Karl's no-show ends his series and gives his second-dose seat back; the
    # seat itself stays (a second dose moved from a cancelled day may take it),
    # so its dose stays bound. His first dose returns to the stock.
    karl.refresh_from_db()
    assert (karl.status, karl.cancel_reason) == ("cancelled", "no_show")
    second_slot = second_dose(erna).slot
    assert (second_slot.capacity, second_slot.booked) == (2, 1)
    stock = stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk)
    assert (stock.used, stock.reserved, stock.available) == (1, 2, 7)
    page = client_a.get(reverse("admin:centers_delivery_changelist"))
    [shown] = page.context["stocks"]
    assert shown.available == 7


@pytest.mark.django_db(transaction=True)
def test_a_correction_and_a_release_at_the_same_moment_never_overdraw_the_stock(center_a, vaccine):
    user = make_staff("staff-race", center_a)
    for _round in range(3):
        SlotRelease.objects.all().delete()
        # First-dose slots protect the second-dose slots reserved for them.
        Slot.objects.first_doses().delete()
        Slot.objects.all().delete()
        Delivery.objects.all().delete()
        delivery = factories.make_delivery(center_a, vaccine, doses=24)
        tomorrow = factories.days_ahead(1)
        request = ReleaseRequest(
            center=center_a,
            vaccine=vaccine,
            first_day=tomorrow,
            last_day=tomorrow,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(8),
            closes_at=time(9),
            interval_minutes=10,
            lanes=2,
        )
        fingerprint = plan_release(request).fingerprint

        def correct(delivery=delivery):
            with transaction.atomic():  # as the admin's change view
                check_delivery_reduction(delivery=delivery, doses=1)
                sleep(0.05)  # the time a form takes to save, widened
                Delivery.objects.filter(pk=delivery.pk).update(doses=1)

        refusals = run_together(
            correct,
            lambda r=request, f=fingerprint: release_slots(request=r, fingerprint=f, by=user),
            refusals=(CenterError,),
        )
        assert len(refusals) == 1
        assert stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk).available >= 0
