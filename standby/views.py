"""The resident's standby pages: join or leave today's (or a day's) list, and the
page behind an offer's link (GET shows, POST claims)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from booking.services import household_for
from sms.session import verification_required
from standby import services
from standby.forms import JoinForm
from standby.models import Entry, Offer
from standby.services import StandbyError


@verification_required("standby:join")
@require_http_methods(["GET", "POST"])
def join(request):
    household = household_for(request.phone)
    people = [person for person in household.people.all() if not person.series.active().exists()]
    form = JoinForm(request.POST if request.method == "POST" else None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.join(person=data["person"], center=data["center"], day=data["day"])
        except StandbyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is on the standby list. We will send a text message if a dose is left.")
                % {"name": data["person"]},
            )
            return redirect("standby:join")
    entries = (
        Entry.objects.filter(person__household=household, status=Entry.Status.WAITING)
        .select_related("person", "center")
        .order_by("day", "pk")
    )
    return render(
        request,
        "standby/join.html",
        {
            "form": form,
            "people": people,
            "entries": entries,
            "travel_minutes": services.TRAVEL_MINUTES,
        },
    )


@verification_required("standby:join")
@require_POST
def leave(request, entry_id: int):
    household = household_for(request.phone)
    entry = get_object_or_404(Entry, pk=entry_id, person__household=household)
    services.leave(entry=entry)
    messages.success(request, _("%(name)s has left the standby list.") % {"name": entry.person})
    return redirect("standby:join")


@never_cache
@require_http_methods(["GET", "POST"])
def offer(request, offer_id: int, token: str):
    """GET shows the offer (and changes nothing); POST claims it."""
    found = services.offer_for_link(offer_id, token)
    if found is None:
        return _closed(request, services.invalid_link_message(), status=404)
    if request.method == "POST":
        try:
            claimed = services.claim(offer_id=offer_id, token=token)
        except StandbyError as error:
            return _closed(request, str(error))
        if not claimed.won:
            return _closed(request, services.status_message(claimed.offer))
        return render(request, "standby/claimed.html", {"series": claimed.series})
    if found.status != Offer.Status.OPEN or not found.round.is_open:
        return _closed(request, services.status_message(found))
    return render(
        request,
        "standby/offer.html",
        {
            "offer": found,
            "token": token,
            "center": found.round.center,
            "person": found.entry.person,
            "travel_minutes": services.TRAVEL_MINUTES,
        },
    )


def _closed(request, message: str, *, status: int = 200):
    return render(request, "standby/offer_closed.html", {"message": message}, status=status)
