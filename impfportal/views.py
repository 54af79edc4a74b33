"""Pages of the project itself rather than of one app."""

from django.conf import settings
from django.shortcuts import render

from impfportal.legal import portal_operator


def csrf_failure(request, reason: str = ""):
    """A form without a valid CSRF token: usually one left open for a long time
    or sent again from the browser's history. Nothing was done; say so plainly."""
    return render(request, "csrf_failure.html", status=403)


def imprint(request):
    """Who publishes the portal (§ 5 DDG, § 18 MStV): every public site must say it."""
    return render(request, "imprint.html", {"operator": portal_operator()})


def accessibility(request):
    """The accessibility statement BITV 2.0 § 7 asks for, with the ways to report a barrier."""
    return render(
        request,
        "accessibility.html",
        {
            "operator": portal_operator(),
            "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
            "portal_url": settings.PORTAL_URL,
        },
    )


def easy_language(request):
    """What the portal is and how to book, in Easy Language (BITV 2.0 § 4)."""
    return render(
        request,
        "easy_language.html",
        {"contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )
