"""Waiting-list pages: "my waiting place", joining, leaving, and the offer link.

The household pages need a verified number (leaving, like cancelling, a fresh
code). The offer pages need only the link from the SMS: its token is the key.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from booking.eligibility import eligibility_for
from booking.services import household_for
from centers.models import Center
from centers.selectors import centers_with_states, responsible_district
from impfportal.durations import describe_duration
from sms.session import verification_required
from waitlist import offers, selectors, services
from waitlist.errors import WaitlistError
from waitlist.forms import PreferencesForm
from waitlist.models import Offer

FRESH_CODE = settings.CANCEL_VERIFICATION_MAX_AGE_SECONDS
ANSWERED_OFFERS = "answered_offers"


@never_cache
@verification_required("waitlist:my_places")
def my_places(request):
    """Each waiting place of the household with its position; who may still join."""
    places = selectors.household_places(request.phone)
    joinable = [
        joiner.person
        for joiner in selectors.household_joiners(request.phone)
        if not joiner.waiting and not joiner.booked and services.eligible_vaccines(joiner.person)
    ]
    return render(request, "waitlist/my_places.html", {"places": places, "joinable": joinable})


def _joinable_person(request, person_id: int):
    """The household's person and the vaccines they may wait for; 404 for others.

    Returns a redirect instead when the person cannot join (already waiting,
    already booked, not eligible).
    """
    joiner = selectors.joiner_for_phone(phone=request.phone, person_id=person_id)
    person = joiner.person
    if joiner.waiting:
        messages.info(request, _("%(name)s is already on a waiting list.") % {"name": person})
        return person, None, redirect("waitlist:my_places")
    if joiner.booked:
        messages.info(request, _("%(name)s already has an appointment.") % {"name": person})
        return person, None, redirect("booking:people")
    vaccines = services.eligible_vaccines(person)
    if not vaccines:
        messages.info(
            request,
            _("%(name)s cannot join a waiting list yet: their group has not been opened.")
            % {"name": person},
        )
        return person, None, redirect("booking:people")
    return person, vaccines, None


@verification_required("waitlist:my_places")
def choose_scope(request, person_id: int):
    """Step 1 of joining: the whole district, or one center."""
    person, vaccines, refusal = _joinable_person(request, person_id)
    if refusal:
        return refusal
    district = responsible_district(person.postal_code)
    centers = centers_with_states(vaccines)
    return render(
        request,
        "waitlist/choose_scope.html",
        {
            "person": person,
            "district": district,
            "in_district": [c for c in centers if district and c.district_id == district.pk],
            "others": [c for c in centers if not district or c.district_id != district.pk],
            "can_book": bool(eligibility_for(person).bookable),
        },
    )


@verification_required("waitlist:my_places")
@require_http_methods(["GET", "POST"])
def join(request, person_id: int, center_slug: str | None = None):
    """Step 2 of joining: preferences, then onto the list."""
    person, vaccines, refusal = _joinable_person(request, person_id)
    if refusal:
        return refusal
    center = get_object_or_404(Center, slug=center_slug) if center_slug else None
    district = center.district if center else responsible_district(person.postal_code)
    if district is None:
        raise Http404
    # An empty POST (nothing ticked) is still a submission.
    form = PreferencesForm(request.POST if request.method == "POST" else None, vaccines=vaccines)
    if request.method == "POST" and form.is_valid():
        try:
            services.join_waitlist(
                person=person,
                center=center,
                vaccines=form.cleaned_data["vaccine_list"],
                weekdays=form.cleaned_data["weekday_mask"],
                time_of_day=form.cleaned_data["time_of_day"],
            )
        except WaitlistError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s is now on the waiting list.") % {"name": person})
            return redirect("waitlist:my_places")
    return render(
        request,
        "waitlist/join.html",
        {"person": person, "center": center, "district": district, "form": form},
    )


@verification_required("waitlist:my_places", max_age=FRESH_CODE)
@require_http_methods(["GET", "POST"])
def leave(request, entry_id: int):
    """Give up a waiting place (with a fresh code, like cancelling an appointment)."""
    household = household_for(request.phone)
    entry = selectors.entry_for_household(household, entry_id)
    if request.method == "POST":
        try:
            services.leave_waitlist(household=household, entry_id=entry.pk)
        except WaitlistError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The waiting place of %(name)s has been given up.") % {"name": entry.person},
            )
        return redirect("waitlist:my_places")
    return render(request, "waitlist/leave.html", {"entry": entry})


@verification_required("waitlist:my_places")
@require_POST
def reactivate(request, entry_id: int):
    household = household_for(request.phone)
    entry = selectors.entry_for_household(household, entry_id)
    try:
        services.reactivate_entry(household=household, entry_id=entry.pk)
    except WaitlistError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The waiting place of %(name)s is active again.") % {"name": entry.person},
        )
    return redirect("waitlist:my_places")


def _closed(request, offer: Offer | None, message: str, *, status: int = 200):
    return render(
        request, "waitlist/offer_closed.html", {"offer": offer, "message": message}, status=status
    )


@never_cache
def offer(request, offer_id: int, token: str):
    """The page behind the SMS link: both appointments, accept or decline."""
    found = offers.offer_for_link(offer_id, token)
    if found is None:
        return _closed(request, None, offers.invalid_link_message(), status=404)
    if not found.is_open or found.is_overdue():
        return _closed(request, found, offers.status_message(found))
    return render(
        request,
        "waitlist/offer.html",
        {
            "offer": found,
            "token": token,
            "person": found.entry.person,
            "hold": describe_duration(found.hold),
        },
    )


def _answer(request, offer_id: int, token: str, answer):
    if offers.offer_for_link(offer_id, token) is None:
        return _closed(request, None, offers.invalid_link_message(), status=404)
    try:
        answered = answer(offer_id=offer_id, token=token)
    except WaitlistError as error:
        # Rendered, not redirected: the page says why, and nothing changed that a
        # reload could repeat.
        return _closed(request, offers.offer_for_link(offer_id, token), str(error), status=409)
    request.session[ANSWERED_OFFERS] = [*request.session.get(ANSWERED_OFFERS, []), answered.pk]
    return redirect("waitlist:answered", offer_id=answered.pk)


@require_POST
def accept(request, offer_id: int, token: str):
    return _answer(request, offer_id, token, offers.accept_offer)


@require_POST
def decline(request, offer_id: int, token: str):
    return _answer(request, offer_id, token, offers.decline_offer)


@never_cache
def answered(request, offer_id: int):
    """What the answer did; only for the browser that gave it."""
    if offer_id not in request.session.get(ANSWERED_OFFERS, []):
        raise Http404
    answered_offer = get_object_or_404(
        Offer.objects.select_related(
            "entry__person",
            "first_slot__center",
            "series__person",
            "series__center",
            "series__vaccine",
        ),
        pk=offer_id,
    )
    series = answered_offer.series
    return render(
        request,
        "waitlist/answered.html",
        {
            "offer": answered_offer,
            "series": series,
            "appointments": series.appointments.select_related("slot") if series else [],
        },
    )
