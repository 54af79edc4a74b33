"""The page behind the reminder's "I cannot come" link: GET shows, POST cancels."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from reminders import services
from reminders.services import LinkError


@never_cache
@require_http_methods(["GET", "POST"])
def cannot_come(request, token: str):
    """GET changes nothing (link previews and virus scanners open links); the
    resident confirms with the button, which cancels both appointments."""
    if request.method == "POST":
        try:
            series = services.cancel_by_link(token=token)
        except LinkError as error:
            return render(request, "reminders/link_closed.html", {"message": str(error)})
        return render(request, "reminders/cancelled.html", {"series": series})
    try:
        target = services.target_of(token)
    except LinkError as error:
        return render(request, "reminders/link_closed.html", {"message": str(error)})
    appointment = target.appointment
    return render(
        request,
        "reminders/cannot_come.html",
        {
            "appointment": appointment,
            "series": appointment.series,
            "person": appointment.series.person,
            "center": appointment.slot.center,
            "token": token,
        },
    )
