"""The privacy notice: what the portal keeps of a resident, why and how long."""

from django.conf import settings
from django.shortcuts import render

from impfportal.durations import describe_seconds
from impfportal.legal import portal_operator
from privacy.notice import retention_sentences


def notice(request):
    """Art. 13 GDPR's information; the retention periods are today's settings."""
    return render(
        request,
        "privacy/notice.html",
        {
            "operator": portal_operator(),
            "privacy_email": settings.PRIVACY_OFFICER_EMAIL,
            "kept_for": retention_sentences(),
            "idle_logout": describe_seconds(settings.RESIDENT_SESSION_IDLE_SECONDS),
        },
    )
