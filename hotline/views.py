"""The agent console: thin views over ``hotline.search``, ``identity`` and ``acting``.

Searches are POSTs, so that numbers, names and codes never stand in a URL (and
so in no access log). A household page opens only for households the agent
found by a search in this session; acting needs a running grant.
"""

import functools
import math
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from booking.eligibility import eligibility_for
from booking.forms import CancelForm, PersonForm
from booking.models import Household, Series
from centers.models import Slot
from centers.selectors import responsible_district
from hotline import acting, audit, identity, search
from hotline.errors import HotlineError
from hotline.forms import (
    BookForm,
    BookingCodeCheckForm,
    CodeSearchForm,
    NameSearchForm,
    NewCallerForm,
    PhoneSearchForm,
    ReadBackForm,
)
from hotline.group import is_agent
from hotline.models import AuditEntry
from limits.ratelimits import exceeded
from sms.errors import PhoneError
from staff_auth.views import ThrottledLoginView

FOUND = "hotline_found"  # household ids this session's searches found
NEW_CALLER = "hotline_new_caller"  # the number a new caller gave, while its code is out
FOUND_KEPT = 20
FREE_TIMES_SHOWN = 12


def agent_required(view):
    """Log in on the console's own page; without the hotline's permission: 403."""

    @login_required(login_url="hotline:login")
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_agent(request.user):
            return render(request, "hotline/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _over_limit(request, action: str):
    """The per-agent limit of ``action`` (settings.RATE_LIMITS); a 429 page or None.

    When the counters cannot be reached the console keeps working: every
    search and check is in the audit anyway, and callers wait on the line.
    """
    verdict = exceeded(request, action, number=f"agent-{request.user.pk}", fail_open=True)
    if verdict:
        return render(
            request,
            "too_many_requests.html",
            {"everyone": verdict.scope == "global", "back": request.path},
            status=429,
        )
    return None


def _remember(request, households: list[Household]) -> None:
    found = [h.pk for h in households] + [
        pk for pk in request.session.get(FOUND, []) if pk not in {h.pk for h in households}
    ]
    request.session[FOUND] = found[:FOUND_KEPT]


def _found_household(request, household_id: int) -> Household:
    """A household this session's searches found; 404 for any other id, so that
    no agent walks through households by number."""
    if household_id not in request.session.get(FOUND, []):
        raise Http404
    return get_object_or_404(Household, pk=household_id)


class LoginView(ThrottledLoginView):
    template_name = "hotline/login.html"
    next_page = "hotline:search"


class LogoutView(auth_views.LogoutView):
    next_page = "hotline:login"


@agent_required
@require_http_methods(["GET", "POST"])
def search_page(request):
    """Find a caller by phone number, booking code, or name and date of birth."""
    kind = request.POST.get("kind", "") if request.method == "POST" else ""
    forms = {
        "phone": PhoneSearchForm(request.POST if kind == "phone" else None, prefix="phone"),
        "code": CodeSearchForm(request.POST if kind == "code" else None, prefix="code"),
        "name": NameSearchForm(request.POST if kind == "name" else None, prefix="name"),
    }
    results = None
    if kind in forms:
        if limited := _over_limit(request, "hotline_search"):
            return limited
        form = forms[kind]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if kind == "phone":
                    found = search.by_phone(data["phone"])
                elif kind == "code":
                    found = search.by_booking_code(data["booking_code"])
                elif "date_of_birth" in data:
                    found = search.by_name(
                        last_name=data["last_name"],
                        first_name=data["first_name"],
                        date_of_birth=data["date_of_birth"],
                    )
                else:
                    found = None
            except PhoneError as error:
                form.add_error("phone", str(error))
                found = None
            if found is not None:
                results = [
                    search.household_view(h)
                    for h in search.audited(agent=request.user, found=found)
                ]
                _remember(request, found)
    return render(
        request, "hotline/search.html", {"forms": forms, "kind": kind, "results": results}
    )


def _household_page(request, household: Household, **extra):
    grant = identity.active_grant(agent=request.user, household_id=household.pk)
    view = search.household_view(household)
    context = {
        "view": view,
        "household": household,
        "grant": grant,
        # Started minutes count: "1 more minute" until the very end.
        "minutes_left": (
            max(1, math.ceil((grant.expires_at - timezone.now()).total_seconds() / 60))
            if grant
            else None
        ),
        "people": [
            (person, eligibility_for(person), view.active_series_of(person), view.place_of(person))
            for person in view.people
        ],
        "code_form": extra.pop("code_form", None) or BookingCodeCheckForm(prefix="check"),
        "read_back_form": extra.pop("read_back_form", None) or ReadBackForm(prefix="read"),
        "person_form": extra.pop("person_form", None) or PersonForm(prefix="add"),
        "cancel_form": CancelForm(),
        "household_full": len(view.people) >= settings.HOUSEHOLD_LIMIT,
        "grant_minutes": settings.HOTLINE_GRANT_MINUTES,
        **extra,
    }
    return render(request, "hotline/household.html", context)


@agent_required
def household_page(request, household_id: int):
    household = _found_household(request, household_id)
    audit.record(agent=request.user, action=AuditEntry.Action.VIEWED, household_id=household.pk)
    return _household_page(request, household)


@agent_required
@require_POST
def check_booking_code(request, household_id: int):
    household = _found_household(request, household_id)
    if limited := _over_limit(request, "hotline_identity"):
        return limited
    form = BookingCodeCheckForm(request.POST, prefix="check")
    if form.is_valid() and "date_of_birth" in form.cleaned_data:
        try:
            identity.check_booking_code(
                agent=request.user,
                household=household,
                raw_code=form.cleaned_data["booking_code"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        except HotlineError as error:
            form.add_error(None, str(error))
        else:
            return redirect("hotline:household", household_id=household.pk)
    return _household_page(request, household, code_form=form)


@agent_required
@require_POST
def send_code(request, household_id: int):
    household = _found_household(request, household_id)
    if limited := _over_limit(request, "hotline_identity"):
        return limited
    try:
        channel = identity.send_code(
            agent=request.user, household=household, phone="", by_voice="by_voice" in request.POST
        )
    except (HotlineError, PhoneError) as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _code_sent_message(channel))
    return redirect("hotline:household", household_id=household.pk)


def _code_sent_message(channel: str) -> str:
    if channel == "sms":
        return _("A code is on its way by text message. Ask the caller to read it out to you.")
    return _("The caller's phone will ring and a voice reads out a code. Ask them to read it back.")


@agent_required
@require_POST
def read_back(request, household_id: int):
    household = _found_household(request, household_id)
    if limited := _over_limit(request, "hotline_identity"):
        return limited
    form = ReadBackForm(request.POST, prefix="read")
    if form.is_valid():
        try:
            identity.check_read_back_code(
                agent=request.user, household=household, phone="", code=form.cleaned_data["code"]
            )
        except HotlineError as error:
            form.add_error("code", str(error))
        else:
            return redirect("hotline:household", household_id=household.pk)
    return _household_page(request, household, read_back_form=form)


@agent_required
@require_http_methods(["GET", "POST"])
def new_caller(request):
    """A caller without a household yet: a code to the number they give, read back."""
    phone_form = NewCallerForm(request.POST if request.POST.get("step") == "send" else None)
    read_form = ReadBackForm(request.POST if request.POST.get("step") == "check" else None)
    pending = request.session.get(NEW_CALLER, "")
    if request.method == "POST":
        if limited := _over_limit(request, "hotline_identity"):
            return limited
        if request.POST.get("step") == "send" and phone_form.is_valid():
            try:
                channel = identity.send_code(
                    agent=request.user,
                    household=None,
                    phone=phone_form.cleaned_data["phone"],
                    by_voice="by_voice" in request.POST,
                )
            except PhoneError as error:
                phone_form.add_error("phone", str(error))
            except HotlineError as error:
                phone_form.add_error(None, str(error))
            else:
                request.session[NEW_CALLER] = phone_form.cleaned_data["phone"]
                messages.info(request, _code_sent_message(channel))
                return redirect("hotline:new_caller")
        elif request.POST.get("step") == "check" and pending and read_form.is_valid():
            try:
                grant = identity.check_read_back_code(
                    agent=request.user,
                    household=None,
                    phone=pending,
                    code=read_form.cleaned_data["code"],
                )
            except (HotlineError, PhoneError) as error:
                read_form.add_error("code", str(error))
            else:
                request.session.pop(NEW_CALLER, None)
                _remember(request, [grant.household])
                return redirect("hotline:household", household_id=grant.household_id)
    return render(
        request,
        "hotline/new_caller.html",
        {"phone_form": phone_form, "read_form": read_form, "pending": bool(pending)},
    )


@agent_required
@require_POST
def end_call(request, household_id: int):
    household = _found_household(request, household_id)
    identity.end_grant(agent=request.user, household=household)
    messages.success(request, _("You no longer act for this household."))
    return redirect("hotline:search")


def _acted(request, household: Household, do, success: str):
    """Run one action; its refusal or success as a message on the household page."""
    if limited := _over_limit(request, "hotline_action"):
        return limited
    try:
        do()
    except HotlineError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("hotline:household", household_id=household.pk)


@agent_required
@require_POST
def add_person(request, household_id: int):
    household = _found_household(request, household_id)
    form = PersonForm(request.POST, prefix="add")
    if not (form.is_valid() and "date_of_birth" in form.cleaned_data):
        return _household_page(request, household, person_form=form)
    data = form.cleaned_data
    return _acted(
        request,
        household,
        lambda: acting.add_person(
            agent=request.user,
            household=household,
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            postal_code=data["postal_code"],
        ),
        _("%(name)s has been added.") % {"name": f"{data['first_name']} {data['last_name']}"},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def correct_person(request, household_id: int, person_id: int):
    household = _found_household(request, household_id)
    person = get_object_or_404(household.people, pk=person_id)
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid() and "date_of_birth" in form.cleaned_data:
            data = form.cleaned_data
            return _acted(
                request,
                household,
                lambda: acting.correct_person(
                    agent=request.user,
                    household=household,
                    person_id=person.pk,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    date_of_birth=data["date_of_birth"],
                    postal_code=data["postal_code"],
                ),
                _("The details of %(name)s have been corrected.")
                % {"name": f"{data['first_name']} {data['last_name']}"},
            )
    else:
        born = person.date_of_birth
        form = PersonForm(
            initial={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "birth_day": born.day,
                "birth_month": born.month,
                "birth_year": born.year,
                "postal_code": person.postal_code,
            }
        )
    return render(
        request,
        "hotline/correct_person.html",
        {"household": household, "person": person, "form": form},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def remove_person(request, household_id: int, person_id: int):
    """Asks first; removes on the POST."""
    household = _found_household(request, household_id)
    person = get_object_or_404(household.people, pk=person_id)
    if request.method == "GET":
        return render(
            request, "hotline/remove_person.html", {"household": household, "person": person}
        )
    return _acted(
        request,
        household,
        lambda: acting.remove_person(agent=request.user, household=household, person_id=person.pk),
        _("%(name)s has been removed.") % {"name": person},
    )


def _free_times(person) -> list[Slot]:
    """The next first-dose times the person may book, their own district first:
    free ones and those held for the hotline."""
    vaccines = eligibility_for(person).bookable
    if not vaccines:
        return []
    free = (
        Slot.objects.bookable_by_hotline()
        .filter(vaccine__in=vaccines, starts_at__gt=timezone.now())
        .filter(starts_at__lt=timezone.now() + timedelta(days=60))
        .select_related("center__district", "vaccine", "second_dose_slot")
        .order_by("starts_at")
    )
    district = responsible_district(person.postal_code)
    near = list(free.filter(center__district=district)[:FREE_TIMES_SHOWN]) if district else []
    if len(near) < FREE_TIMES_SHOWN:
        near += list(free.exclude(pk__in=[s.pk for s in near])[: FREE_TIMES_SHOWN - len(near)])
    return near


@agent_required
@require_http_methods(["GET", "POST"])
def book(request, household_id: int, person_id: int):
    """Both doses for one person: the next free times, the caller chooses one."""
    household = _found_household(request, household_id)
    person = get_object_or_404(household.people, pk=person_id)
    form = BookForm(request.POST or None, initial={"token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return _acted(
            request,
            household,
            lambda: acting.book(
                agent=request.user,
                household=household,
                person_id=person.pk,
                slot_id=data["slot"],
                request_token=data["token"],
            ),
            _("Both appointments for %(name)s are booked. The caller gets the confirmation.")
            % {"name": person},
        )
    return render(
        request,
        "hotline/book.html",
        {
            "household": household,
            "person": person,
            "form": form,
            "token": uuid.uuid4(),
            "slots": _free_times(person),
        },
    )


@agent_required
@require_http_methods(["GET", "POST"])
def cancel(request, household_id: int, series_id: int):
    """Asks first (with the resident's reasons), cancels on the POST."""
    household = _found_household(request, household_id)
    series = get_object_or_404(
        Series.objects.select_related("person", "center"), pk=series_id, person__household=household
    )
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        return render(
            request,
            "hotline/cancel.html",
            {
                "household": household,
                "series": series,
                "form": form,
                "appointments": series.appointments.select_related("slot"),
            },
        )
    reason = form.cleaned_data["reason"]
    return _acted(
        request,
        household,
        lambda: acting.cancel(
            agent=request.user, household=household, series_id=series_id, reason=reason
        ),
        _("The appointments have been cancelled. The caller gets a confirmation."),
    )


@agent_required
@require_POST
def join_waitlist(request, household_id: int, person_id: int):
    household = _found_household(request, household_id)
    return _acted(
        request,
        household,
        lambda: acting.join_waitlist(agent=request.user, household=household, person_id=person_id),
        _("The person is on the waiting list of their district now."),
    )


@agent_required
@require_POST
def leave_waitlist(request, household_id: int, entry_id: int):
    household = _found_household(request, household_id)
    return _acted(
        request,
        household,
        lambda: acting.leave_waitlist(agent=request.user, household=household, entry_id=entry_id),
        _("The waiting place has been given up."),
    )


@agent_required
@require_POST
def answer_offer(request, household_id: int, offer_id: int):
    household = _found_household(request, household_id)
    if request.POST.get("answer") == "accept":
        return _acted(
            request,
            household,
            lambda: acting.accept_offer(agent=request.user, household=household, offer_id=offer_id),
            _("The offer is accepted and both appointments are booked."),
        )
    return _acted(
        request,
        household,
        lambda: acting.decline_offer(agent=request.user, household=household, offer_id=offer_id),
        _("The offer is declined and passed on to the next person."),
    )
