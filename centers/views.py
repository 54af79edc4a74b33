from typing import Any

from django.conf import settings
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from centers.forms import CenterSearchForm
from centers.selectors import group_by_district, responsible_district, search_centers


@require_GET
def start(request):
    """Every center of the state, grouped by district, with its state. None is hidden.

    Without a search the page's content (the search box and the full list) is
    the same for every visitor: the template keeps its HTML in the process's
    "pages" cache for START_PAGE_CACHE_SECONDS, and ``districts`` is lazy, so
    the query runs only when that copy has expired. Searches are answered
    fresh.
    """
    form = CenterSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if query:
        centers = search_centers(query)
        districts: Any = group_by_district(centers)
        is_postal_code = len(query) == 5 and query.isdigit()
        district = responsible_district(query) if is_postal_code else None
        # A full postal code without a row is not one of the state's.
        outside_state = is_postal_code and district is None
    else:
        centers = []
        districts = SimpleLazyObject(lambda: group_by_district(search_centers()))
        district = None
        outside_state = False
    return render(
        request,
        "centers/start.html",
        {
            "form": form,
            "query": query,
            "districts": districts,
            "center_count": len(centers),
            "responsible_district": district,
            "district_center_count": sum(1 for c in centers if c.district == district),
            "outside_state": outside_state,
            # Only a page without any search text is the same for everyone (a
            # text that cleans to nothing would still be shown in the box).
            "cache_seconds": 0 if request.GET.get("q") else settings.START_PAGE_CACHE_SECONDS,
        },
    )
