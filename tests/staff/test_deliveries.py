"""Recording deliveries, and the stock they give."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from centers.models import AuditEntry, Delivery
from centers.stock import stock_for
from tests import factories
from tests.journeys import german
from tests.staff.helpers import book, earlier_today, first_dose

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
    stock = stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk)
    assert (stock.used, stock.reserved, stock.available) == (1, 2, 7)
    page = client_a.get(reverse("admin:centers_delivery_changelist"))
    [shown] = page.context["stocks"]
    assert shown.available == 7
