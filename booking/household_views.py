"""Correcting and removing a person of the household (``booking.households``).

Only the people of the verified number's household are reached; any other id
is not found. A person who cannot be changed (an appointment, an open offer,
vaccinated here) is sent back to the people page with the reason.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking import households, selectors, services
from booking.errors import BookingError
from booking.forms import PersonForm
from booking.models import Household, Person
from impfportal.metrics import count_booking_error
from limits.ratelimits import limit_posts
from sms.session import verification_required, verified_phone


def _changeable_person(request, person_id: int) -> tuple[Household, Person, str | None]:
    """The household, its person (404 for anyone else's) and why they cannot be changed."""
    household = services.household_for(request.phone)
    person = selectors.person_for_household(household, person_id)
    return household, person, households.why_unchangeable(person)


def _initial(person: Person) -> dict[str, str]:
    born = person.date_of_birth
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_day": str(born.day),
        "birth_month": str(born.month),
        "birth_year": str(born.year),
        "postal_code": person.postal_code,
    }


@verification_required("booking:people")
@require_http_methods(["GET", "POST"])
@limit_posts("booking", number=verified_phone)
def correct_person(request, person_id: int):
    """The person's details in the form they were added with, to be corrected."""
    household, person, reason = _changeable_person(request, person_id)
    if reason:
        messages.info(request, reason)
        return redirect("booking:people")
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = households.correct_person(
                    household=household,
                    person_id=person.pk,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    date_of_birth=data["date_of_birth"],
                    postal_code=data["postal_code"],
                )
            except BookingError as error:
                count_booking_error(error)
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("The details of %(name)s have been corrected.") % {"name": person}
                )
                return redirect("booking:people")
    else:
        form = PersonForm(initial=_initial(person))
    return render(request, "booking/correct_person.html", {"form": form, "person": person})


@verification_required("booking:people")
@require_safe
def confirm_removal(request, person_id: int):
    """Ask before removing; this page changes nothing."""
    _household, person, reason = _changeable_person(request, person_id)
    if reason:
        messages.info(request, reason)
        return redirect("booking:people")
    return render(request, "booking/remove_person.html", {"person": person})


@verification_required("booking:people")
@require_POST
@limit_posts("booking", number=verified_phone)
def remove_person(request, person_id: int):
    household = services.household_for(request.phone)
    person = selectors.person_for_household(household, person_id)
    try:
        households.remove_person(household=household, person_id=person.pk)
    except BookingError as error:
        count_booking_error(error)
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s has been removed.") % {"name": person})
    return redirect("booking:people")
