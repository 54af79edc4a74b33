"""Two residents (ASVS 5.0 V8.2): B changes ids, booking codes and tokens in
addresses and forms and still cannot see or change anything of A's.

Waiting places and offers join this file when the waiting list lands.
"""

import pytest
from django.urls import reverse

from booking.models import Appointment, Person, Series
from centers.models import Slot
from tests.journeys import form_token, person_data, time_page

pytestmark = pytest.mark.django_db


def state() -> tuple:
    """Everything a successful attack would change."""
    return (
        list(Series.objects.values_list("pk", "person_id", "status").order_by("pk")),
        list(Appointment.objects.values_list("pk", "status").order_by("pk")),
        list(Slot.objects.values_list("pk", "booked").order_by("pk")),
        list(Person.objects.values_list("pk", "household_id").order_by("pk")),
    )


def test_b_cannot_open_a_s_pages(resident_a, resident_b):
    a_person, a_code = resident_a.person, resident_a.series.booking_code
    slot = resident_a.series.appointments.get(dose=1).slot
    urls = [
        reverse("booking:confirmation", args=[a_code]),
        reverse("booking:cancel", args=[a_code]),
        reverse("booking:choose_center", args=[a_person.pk]),
        reverse("booking:choose_day", args=[a_person.pk, slot.center.slug]),
        time_page(a_person, slot),
    ]
    for url in urls:
        response = resident_b.get(url)
        assert response.status_code == 404, url
        # (The address itself is echoed in the language switch; nothing else is.)
        assert a_person.first_name not in response.content.decode()


def test_b_s_overviews_show_nothing_of_a(resident_a, resident_b):
    for url in (reverse("booking:people"), reverse("booking:my_appointments")):
        page = resident_b.get(url).content.decode()
        assert resident_a.series.booking_code not in page
        assert resident_a.person.first_name not in page
        assert resident_b.person.first_name in page or "my-appointments" in url


def test_b_cannot_cancel_a_s_appointments(resident_a, resident_b):
    before = state()
    url = reverse("booking:cancel", args=[resident_a.series.booking_code])
    assert resident_b.post(url, {"reason": "illness"}).status_code == 404
    assert state() == before


def test_b_cannot_book_for_a_s_person(resident_a, resident_b, slots, center, vaccine):
    from tests import factories

    Series.objects.filter(pk=resident_a.series.pk).update(status=Series.Status.CANCELLED)
    free = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(5))[0]
    before = state()
    page = resident_b.get(time_page(resident_b.person, free))
    token = form_token(page)
    response = resident_b.post(
        time_page(resident_a.person, free), {"slot": free.pk, "token": token}
    )
    assert response.status_code == 404
    assert state() == before


def test_b_cannot_reuse_a_s_form_token(resident_a, resident_b, slots):
    before = state()
    response = resident_b.post(
        time_page(resident_b.person, slots[0]),
        {"slot": slots[0].pk, "token": str(resident_a.series.request_token)},
    )
    assert response.status_code == 200
    assert state() == before
    assert not Series.objects.filter(person=resident_b.person).exists()


def test_extra_fields_cannot_put_a_person_into_another_household(resident_a, resident_b):
    data = person_data(
        first_name="Clara",
        household=resident_a.person.household_id,
        household_id=resident_a.person.household_id,
        phone=resident_a.phone,
    )
    resident_b.post(reverse("booking:people"), data)
    clara = Person.objects.get(first_name="Clara")
    assert clara.household_id == resident_b.person.household_id


def test_a_verified_number_does_not_carry_over_to_a_number_waiting_for_its_code(
    resident_a, resident_b
):
    # B asks for a code for A's number but cannot enter it: B stays B.
    resident_b.post(reverse("sms:phone"), {"phone": resident_a.phone})
    assert resident_b.session["verified_phone"] == resident_b.phone
    response = resident_b.get(
        reverse("booking:confirmation", args=[resident_a.series.booking_code])
    )
    assert response.status_code == 404
