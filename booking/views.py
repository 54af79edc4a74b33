"""The resident's booking pages. Each view checks the earlier steps (a verified
number, a person of that household), calls one service and redirects."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from booking import households, selectors, services, time_page
from booking.eligibility import eligibility_for
from booking.errors import BookingError
from booking.forms import CancelForm, PersonForm, SlotChoiceForm
from centers.models import Center
from centers.selectors import responsible_district
from impfportal.durations import describe_seconds
from impfportal.metrics import count_booking_error
from limits.ratelimits import limit_posts
from sms.session import verification_required, verified_phone

FRESH_CODE = settings.CANCEL_VERIFICATION_MAX_AGE_SECONDS


def start(request):
    """What booking involves, before we ask for anything, and what runs out when
    (from the settings that decide it)."""
    return render(
        request,
        "booking/start.html",
        {
            "code_valid": describe_seconds(settings.VERIFICATION_CODE_TTL_SECONDS),
            "idle_logout": describe_seconds(settings.RESIDENT_SESSION_IDLE_SECONDS),
        },
    )


@verification_required("booking:people")
@require_http_methods(["GET", "POST"])
@limit_posts("booking", number=verified_phone)
def people(request):
    """The household: who is to be vaccinated, and each person's next step."""
    household = services.household_for(request.phone)
    form = PersonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = households.add_person(
                household=household,
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                postal_code=data["postal_code"],
            )
        except BookingError as error:
            count_booking_error(error)
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": person})
            _eligibility, not_yet = households.eligibility_after_adding(person)
            if not_yet:
                messages.warning(request, not_yet)
            return redirect("booking:people")
    # (person, eligibility, active series, why they cannot be corrected or removed)
    members = [
        (
            person,
            eligibility_for(person),
            person.series.active().first(),
            households.why_unchangeable(person),
        )
        for person in household.people.all()
    ]
    return render(
        request,
        "booking/people.html",
        {
            "form": form,
            "members": members,
            "household_full": len(members) >= settings.HOUSEHOLD_LIMIT,
            "household_limit": settings.HOUSEHOLD_LIMIT,
            "open_groups": households.open_groups_sentence(),
        },
    )


def _bookable_person(request, person_id: int):
    """The person of this household, with the vaccines they may book; 404 otherwise."""
    person = selectors.person_for_phone(request.phone, person_id)
    vaccines = eligibility_for(person).bookable
    return person, vaccines


@verification_required("booking:people")
def choose_center(request, person_id: int):
    person, vaccines = _bookable_person(request, person_id)
    if not vaccines:
        return redirect("booking:people")
    if person.series.active().exists():
        messages.info(request, _("%(name)s already has an appointment.") % {"name": person})
        return redirect("booking:people")
    centers = list(
        Center.objects.select_related("district")
        .with_availability(vaccines)
        .order_by("district__name", "name")
    )
    district = responsible_district(person.postal_code)
    suggested = [c for c in centers if district and c.district_id == district.pk]
    return render(
        request,
        "booking/choose_center.html",
        {
            "person": person,
            "suggested": suggested,
            "available": [c for c in centers if c.next_free_at and c not in suggested],
        },
    )


@verification_required("booking:people")
def choose_day(request, person_id: int, center_slug: str):
    person, vaccines = _bookable_person(request, person_id)
    center = get_object_or_404(Center, slug=center_slug)
    return render(
        request,
        "booking/choose_day.html",
        {"person": person, "center": center, "days": selectors.free_days(center, vaccines)},
    )


@verification_required("booking:people")
@require_http_methods(["GET", "POST"])
@limit_posts("booking", number=verified_phone)
def choose_time(request, person_id: int, center_slug: str, day: str):
    """Pick the first-dose time and book both doses with one button.

    After a failed attempt the page shows what is free now, with a fresh form.
    """
    person, vaccines = _bookable_person(request, person_id)
    try:
        chosen_day = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    if chosen_day > timezone.localdate() + timedelta(days=selectors.BOOKING_HORIZON_DAYS):
        # Nothing can be booked that far ahead, and a made-up day (the year
        # 9999) would overflow the day's end: back to the days that can be.
        return redirect("booking:choose_day", person_id=person.pk, center_slug=center_slug)
    options_html = None
    if request.method == "POST":
        # The posted time alone, read fresh: the booking never trusts the page.
        center = time_page.center(center_slug)
        still_free = selectors.posted_free_time(
            center, vaccines, chosen_day, request.POST.get("slot", "")
        )
        slots = [still_free] if still_free else []
    else:
        center, slots, options_html = time_page.free_times(center_slug, vaccines, chosen_day)
    errors: list[str] = []
    if request.method == "POST":
        posted = SlotChoiceForm(request.POST, slots=slots)
        if posted.is_valid():
            try:
                series = services.book_series(
                    person=person,
                    slot=posted.cleaned_data["slot"],
                    request_token=posted.cleaned_data["token"],
                    bookable=vaccines,
                )
            except BookingError as error:
                count_booking_error(error)
                errors.append(str(error))
            else:
                return redirect("booking:confirmation", booking_code=series.booking_code)
        else:
            errors.extend(str(message) for field in posted.errors.values() for message in field)
        # What is free now, read fresh (someone was faster); its list rendered
        # again only when other times are free than on the process's copy.
        center, slots, options_html = time_page.free_times(
            center_slug, vaccines, chosen_day, fresh=True
        )
    other_times_html = "" if slots else time_page.other_times_html(person, center, vaccines)
    return time_page.render_page(
        request,
        {
            "person": person,
            "back_url": reverse("booking:choose_day", args=(person.pk, center.slug)),
            "center": center,
            "day": chosen_day,
            # The list's radio buttons, unless already rendered.
            "form": None if options_html else SlotChoiceForm(slots=slots),
            "token": uuid.uuid4(),
            "errors": errors,
            "slots": slots,
            "options_html": options_html,
            "other_times_html": other_times_html,
        },
    )


@verification_required("booking:people")
def confirmation(request, booking_code: str):
    series = selectors.series_for_phone(request.phone, booking_code)
    return render(
        request,
        "booking/confirmation.html",
        {"series": series, "appointments": selectors.appointments_of(series)},
    )


def cancel_start(request):
    """Cancelling needs the phone number and a fresh code; explain that first."""
    return render(request, "booking/cancel_start.html")


@verification_required("booking:my_appointments", max_age=FRESH_CODE)
def my_appointments(request):
    household = services.household_for(request.phone)
    return render(
        request,
        "booking/my_appointments.html",
        {"series_list": selectors.household_series(household)},
    )


@verification_required("booking:my_appointments", max_age=FRESH_CODE)
@require_http_methods(["GET", "POST"])
@limit_posts("cancel", number=verified_phone)
def cancel(request, booking_code: str):
    household = services.household_for(request.phone)
    series = selectors.series_for_household(household, booking_code)
    # An empty POST (no reason chosen) is still a submission.
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_series(
                household=household,
                booking_code=series.booking_code,
                reason=form.cleaned_data["reason"],
            )
        except BookingError as error:
            count_booking_error(error)
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The appointments with booking code %(code)s have been cancelled.")
                % {"code": series.booking_code},
            )
        return redirect("booking:my_appointments")
    return render(
        request,
        "booking/cancel.html",
        {
            "series": series,
            "form": form,
            "appointments": series.appointments.select_related("slot"),
        },
    )
