from django.shortcuts import render
from django.views.decorators.http import require_GET

from centers.forms import CenterSearchForm
from centers.selectors import group_by_district, responsible_district, search_centers


@require_GET
def start(request):
    """Every center of the state, grouped by district, with its state. None is hidden."""
    form = CenterSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    centers = list(search_centers(query))
    district = responsible_district(query) if len(query) == 5 and query.isdigit() else None
    return render(
        request,
        "centers/start.html",
        {
            "form": form,
            "query": query,
            "districts": group_by_district(centers),
            "center_count": len(centers),
            "responsible_district": district,
        },
    )
