"""Steps through the agent console, shared by the hotline's tests."""

from django.urls import reverse

from tests.journeys import latest_code


def search_phone(desk, phone: str):
    return desk.post(reverse("hotline:search"), {"kind": "phone", "phone-phone": phone})


def search_code(desk, code: str):
    return desk.post(reverse("hotline:search"), {"kind": "code", "code-booking_code": code})


def search_name(desk, *, last_name: str, born, first_name: str = ""):
    return desk.post(
        reverse("hotline:search"),
        {
            "kind": "name",
            "name-last_name": last_name,
            "name-first_name": first_name,
            "name-birth_day": str(born.day),
            "name-birth_month": str(born.month),
            "name-birth_year": str(born.year),
        },
    )


def check_code(desk, household, code: str, born):
    return desk.post(
        reverse("hotline:check_booking_code", args=[household.pk]),
        {
            "check-booking_code": code,
            "check-birth_day": str(born.day),
            "check-birth_month": str(born.month),
            "check-birth_year": str(born.year),
        },
    )


def check_by_sms(desk, household):
    """Send a code to the household's number and read the latest one back."""
    sent = desk.post(reverse("hotline:send_code", args=[household.pk]))
    assert sent.status_code == 302
    return desk.post(
        reverse("hotline:read_back", args=[household.pk]),
        {"read-code": latest_code(household.phone)},
    )


def household_url(household) -> str:
    return reverse("hotline:household", args=[household.pk])
