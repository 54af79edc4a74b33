"""Pages of the project itself rather than of one app."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """A form without a valid CSRF token: usually one left open for a long time
    or sent again from the browser's history. Nothing was done; say so plainly."""
    return render(request, "csrf_failure.html", status=403)
