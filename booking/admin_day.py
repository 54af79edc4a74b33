"""The admin pages for a whole day: close it (no-shows), cancel it (SMS to everyone).

Each is a form, then a confirmation that shows who is affected, then the change
through ``booking.staff`` and a redirect to that day's list.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking import staff
from booking.errors import BookingError
from booking.staff_forms import CancelDayForm, DayForm
from centers.admin_scoping import staff_centers


def _day_list(center, day):
    query = urlencode({"day": day.isoformat(), "slot__center__id__exact": center.pk})
    return redirect(f"{reverse('admin:booking_appointment_changelist')}?{query}")


def _page(model_admin, request, context):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        **context,
    }
    return TemplateResponse(request, "admin/booking/appointment/day_action.html", context)


def _form(form_class, request):
    centers = staff_centers(request)
    if request.method == "GET":
        initial = form_class.initial_for(list(centers[:2]), timezone.localdate())
        return form_class(initial=initial, centers=centers)
    return form_class(request.POST, centers=centers)


def close_day_page(model_admin, request):
    form = _form(DayForm, request)
    rows = None
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        center, day = form.cleaned_data["center"], form.cleaned_data["day"]
        try:
            if "confirm" in request.POST:
                count = staff.close_day(center=center, day=day, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "Day closed: %(count)d appointment recorded as not come.",
                        "Day closed: %(count)d appointments recorded as not come.",
                        count,
                    )
                    % {"count": count},
                )
                return _day_list(center, day)
            rows = staff.preview_close_day(center=center, day=day)
        except BookingError as error:
            form.add_error(None, str(error))
    summary = []
    if rows is not None:
        summary.append(
            ngettext(
                "%(count)d appointment of this day has not been recorded. It will be "
                "recorded as not come.",
                "%(count)d appointments of this day have not been recorded. They will be "
                "recorded as not come.",
                len(rows),
            )
            % {"count": len(rows)}
        )
    return _page(
        model_admin,
        request,
        {
            "title": _("Close a day"),
            "intro": _(
                "After the day, every appointment nobody has recorded is recorded as not come."
            ),
            "form": form,
            "stage": "form" if rows is None else "preview",
            "rows": rows,
            "summary": summary,
            "confirm_label": _("Close the day"),
            "danger": False,
        },
    )


def _withdrawn_offers(count: int, renewed: int) -> str:
    """The result's sentence on the waiting-list offers the cancellation withdrew."""
    text = ngettext(
        "%(count)d waiting-list offer for this day has been withdrawn; the person has been "
        "told by SMS.",
        "%(count)d waiting-list offers for this day have been withdrawn; each person has been "
        "told by SMS.",
        count,
    ) % {"count": count}
    renewal = ngettext(
        "%(renewed)d of them was offered another free appointment straight away; the others "
        "wait first in line.",
        "%(renewed)d of them were offered another free appointment straight away; the others "
        "wait first in line.",
        renewed,
    ) % {"renewed": renewed}
    if renewed == count:
        renewal = ngettext(
            "The person was offered another free appointment straight away.",
            "Each was offered another free appointment straight away.",
            count,
        )
    elif renewed == 0:
        renewal = ngettext(
            "No other suitable appointment is free; the person waits first in line.",
            "No other suitable appointments are free; they wait first in line.",
            count,
        )
    return f"{text} {renewal}"


def cancel_day_page(model_admin, request):
    form = _form(CancelDayForm, request)
    preview = None
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        center, day = form.cleaned_data["center"], form.cleaned_data["day"]
        vaccine = form.cleaned_data["vaccine"]
        try:
            if "confirm" in request.POST:
                done = staff.cancel_day(center=center, day=day, vaccine=vaccine, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "Day cancelled: %(count)d person has been told by SMS.",
                        "Day cancelled: %(count)d people have been told by SMS.",
                        done.people,
                    )
                    % {"count": done.people},
                )
                if done.offers:
                    messages.info(request, _withdrawn_offers(done.offers, done.offers_renewed))
                if done.awaiting:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)d person found no free second-dose appointment and waits "
                            'first in line for the next one (series list, filter "second '
                            'dose").',
                            "%(count)d people found no free second-dose appointment and wait "
                            'first in line for the next one (series list, filter "second '
                            'dose").',
                            len(done.awaiting),
                        )
                        % {"count": len(done.awaiting)},
                    )
                return _day_list(center, day)
            preview = staff.preview_cancel_day(center=center, day=day, vaccine=vaccine)
        except BookingError as error:
            form.add_error(None, str(error))
    summary = []
    if preview is not None:
        summary = [
            ngettext(
                "%(count)d person has an appointment this day and will be told by SMS.",
                "%(count)d people have appointments this day and will each be told by SMS.",
                preview.people,
            )
            % {"count": preview.people},
            ngettext(
                "%(count)d second-dose appointment on a later day will be cancelled too.",
                "%(count)d second-dose appointments on later days will be cancelled too.",
                len(preview.second_doses),
            )
            % {"count": len(preview.second_doses)},
            _(
                "The day's times are closed: nobody can book them, and they are not offered "
                "to the waiting list."
            ),
        ]
        if preview.offers:
            summary.insert(
                -1,
                ngettext(
                    "%(count)d waiting-list offer holds a seat this day. It will be withdrawn; "
                    "the person is told by SMS and is offered a remaining free appointment "
                    "first.",
                    "%(count)d waiting-list offers hold seats this day. They will be withdrawn; "
                    "each person is told by SMS and is offered a remaining free appointment "
                    "first.",
                    preview.offers,
                )
                % {"count": preview.offers},
            )
        if preview.moved:
            summary.insert(
                2,
                ngettext(
                    "%(count)d second dose of this day will be moved to the nearest free "
                    "second-dose appointment; where none is free, the person waits first in line.",
                    "%(count)d second doses of this day will be moved to the nearest free "
                    "second-dose appointments; where none is free, the person waits first in line.",
                    len(preview.moved),
                )
                % {"count": len(preview.moved)},
            )
    return _page(
        model_admin,
        request,
        {
            "title": _("Cancel a day"),
            "intro": _(
                "For example when a delivery did not arrive: every appointment of the day is "
                "cancelled and each person gets an SMS."
            ),
            "form": form,
            "stage": "form" if preview is None else "preview",
            "rows": preview.appointments if preview else None,
            "summary": summary,
            "confirm_label": _("Cancel every appointment of this day"),
            "danger": True,
        },
    )
