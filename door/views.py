"""The day screen: one page for the door, plus one POST per press.

Only staff who may check people in (``booking.check_in``), only for their own
centers (``centers.admin_scoping``): another center's appointment is "not
found". Every press goes through ``booking.staff`` / ``booking.staff_undo`` /
``standby.services`` and is audited there or here; then back to the screen
(post/redirect/get), keeping the center and the search.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from booking import staff, staff_undo
from booking.errors import BookingError
from booking.models import Appointment
from centers import audit
from centers.admin_scoping import staff_centers
from centers.models import AuditEntry, Center
from door import selectors
from door.forms import OfferLeftoversForm
from standby import services as standby
from standby.models import Round


def _staff_only(view):
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not user.has_perm("booking.check_in"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _center(request, value) -> Center:
    centers = staff_centers(request)
    if value:
        try:
            return get_object_or_404(centers, pk=int(value))
        except ValueError:
            raise Http404 from None
    center = centers.order_by("name").first()
    if center is None:
        raise PermissionDenied
    return center


def _back(request, center: Center):
    query = {"center": center.pk}
    if request.POST.get("q"):
        query["q"] = request.POST["q"]
    return redirect(f"{reverse('door:day')}?{urlencode(query)}")


@_staff_only
@require_GET
def day(request):
    center = _center(request, request.GET.get("center"))
    now = timezone.now()
    today = timezone.localdate(now)
    query = request.GET.get("q", "")[:100]
    appointments = selectors.day_appointments(center_id=center.pk, day=today, query=query)
    counts = selectors.counts(center_id=center.pk, day=today, now=now)
    return render(
        request,
        "door/day.html",
        {
            "center": center,
            "centers": list(staff_centers(request).order_by("name")),
            "today": today,
            "query": query,
            "rows": selectors.rows(appointments, now=now),
            "counts": counts,
            "rounds": selectors.open_rounds(center_id=center.pk, day=today),
            "offer_form": OfferLeftoversForm(initial={"doses": max(1, counts.doses_left)}),
        },
    )


def _appointment(request, pk: int) -> Appointment:
    scoped = Appointment.objects.select_related("slot__center", "series__person")
    center_ids = [c.pk for c in staff_centers(request)]
    return get_object_or_404(scoped, pk=pk, slot__center_id__in=center_ids)


def _press(request, pk: int, service, done: str):
    appointment = _appointment(request, pk)
    try:
        service(appointment)
    except BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"name": appointment.series.person})
    return _back(request, appointment.slot.center)


@_staff_only
@require_POST
def check_in(request, pk: int):
    return _press(
        request,
        pk,
        lambda a: staff.check_in(appointment_ids=[a.pk], by=request.user),
        _("%(name)s checked in."),
    )


@_staff_only
@require_POST
def no_show(request, pk: int):
    return _press(
        request,
        pk,
        lambda a: staff.mark_no_show(appointment_ids=[a.pk], by=request.user),
        _("%(name)s recorded as not come."),
    )


@_staff_only
@require_POST
def undo(request, pk: int):
    return _press(
        request,
        pk,
        lambda a: staff_undo.undo(appointment_id=a.pk, by=request.user),
        _("Undone: %(name)s is booked again."),
    )


@_staff_only
@require_POST
def offer_leftovers(request):
    center = _center(request, request.POST.get("center"))
    form = OfferLeftoversForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("doses", []):
            messages.error(request, str(error))
        return _back(request, center)
    doses = form.cleaned_data["doses"]
    left = standby.count_leftover(center_id=center.pk)
    if doses > left:
        messages.error(
            request,
            ngettext(
                "Only %(count)d dose is left that is not offered yet.",
                "Only %(count)d doses are left that are not offered yet.",
                left,
            )
            % {"count": left},
        )
        return _back(request, center)
    rounds = standby.offer_leftover_doses(
        center=center, reason=Round.Reason.STAFF, doses=doses, by=request.user
    )
    offered = sum(r.offers.count() for r in rounds)
    if not offered:
        messages.warning(request, _("Nobody on today's standby list can take these doses."))
        return _back(request, center)
    for round_ in rounds:
        audit.record(
            user=request.user,
            center_id=center.pk,
            action=AuditEntry.Action.CHANGED,
            obj=round_,
            details={"standby_doses": round_.doses, "day": round_.day.isoformat()},
        )
    messages.success(
        request,
        _("Leftover doses offered: %(doses)d, by text message to %(people)d people.")
        % {"doses": sum(r.doses for r in rounds), "people": offered},
    )
    return _back(request, center)
