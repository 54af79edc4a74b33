"""The ministry's statistics pages (read-only) and the public availability summary."""

from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from draw import selectors as draw_selectors
from impfportal.db_router import read_from_replica
from staff_auth.views import ThrottledLoginView
from stats import availability
from stats.access import ministry_required
from stats.chart import bar_chart
from stats.export import csv_response, draws_response
from stats.figures import all_centers, daily_figures, place_figures
from stats.forms import BreakdownForm, OverviewForm, PeriodForm
from stats.tables import build_tables, sections_for
from waitingroom.models import QueueDay

STATE_NAME = gettext_lazy("Lower Saxony")


def _effective(form: PeriodForm) -> dict[str, str]:
    """The filters in force as query values (the defaults filled in)."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in form.effective().items()
    }


def _overview_form(request, centers):
    form = OverviewForm(request.GET, centers=centers)
    if form.is_valid():
        return form, OverviewForm(_effective(form), centers=centers)
    return form, form


def _breakdown_form(request):
    form = BreakdownForm(request.GET)
    if form.is_valid():
        return form, BreakdownForm(_effective(form))
    return form, form


@require_GET
@ministry_required
@read_from_replica
def overview(request):
    """Figures per day for the state, a district or a center: chart, tables, CSV link."""
    centers = all_centers()
    form, shown = _overview_form(request, centers)
    context = {"form": shown}
    if form.is_valid():
        start, end, scope = (form.cleaned_data[k] for k in ("start", "end", "scope"))
        rows, total = daily_figures(start=start, end=end, scope=scope, centers=centers)
        context.update(
            start=start,
            end=end,
            scope=scope,
            total=total,
            chart=bar_chart(rows),
            tables=build_tables(rows, total, by_day=True, state_wide=scope.is_state),
            csv_url=f"{reverse('stats:overview_csv')}?{urlencode(_effective(form))}",
            # The waiting room's days (state-wide only): waitingroom.models.QueueDay.
            queue_days=QueueDay.objects.filter(day__range=(start, end)).order_by("day")
            if scope.is_state
            else None,
        )
    return render(request, "stats/overview.html", context)


@require_GET
@ministry_required
@read_from_replica
def overview_csv(request):
    centers = all_centers()
    form, _shown = _overview_form(request, centers)
    if not form.is_valid():
        # The page shows what is wrong with the filters.
        return redirect(f"{reverse('stats:overview')}?{request.GET.urlencode()}")
    start, end, scope = (form.cleaned_data[k] for k in ("start", "end", "scope"))
    rows, _total = daily_figures(start=start, end=end, scope=scope, centers=centers)
    area = scope.name or str(STATE_NAME)
    slug = scope.center.slug if scope.center else scope.district.slug if scope.district else "land"
    return csv_response(
        filename=f"impfstatistik_{slug}_{start.isoformat()}_{end.isoformat()}.csv",
        labels=[_("Date"), _("Area")],
        rows=(((day.isoformat(), area), figures) for day, figures in rows),
        sections=sections_for(state_wide=scope.is_state),
    )


@require_GET
@ministry_required
@read_from_replica
def breakdown(request):
    """Totals of the period per district or per center, with the state-wide total."""
    form, shown = _breakdown_form(request)
    context = {"form": shown}
    if form.is_valid():
        start, end, by = (form.cleaned_data[k] for k in ("start", "end", "by"))
        rows, total = place_figures(start=start, end=end, by=by, centers=all_centers())
        context.update(
            start=start,
            end=end,
            by=by,
            total=total,
            tables=build_tables(rows, total, by_day=False, state_wide=False),
            csv_url=f"{reverse('stats:breakdown_csv')}?{urlencode(_effective(form))}",
        )
    return render(request, "stats/breakdown.html", context)


@require_GET
@ministry_required
@read_from_replica
def breakdown_csv(request):
    form, _shown = _breakdown_form(request)
    if not form.is_valid():
        return redirect(f"{reverse('stats:breakdown')}?{request.GET.urlencode()}")
    start, end, by = (form.cleaned_data[k] for k in ("start", "end", "by"))
    rows, _total = place_figures(start=start, end=end, by=by, centers=all_centers())
    labels = [_("District"), _("Center")] if by == "center" else [_("District")]
    return csv_response(
        filename=f"impfstatistik_{by}_{start.isoformat()}_{end.isoformat()}.csv",
        labels=labels,
        rows=(
            ((place.district.name, place.name) if by == "center" else (place.name,), figures)
            for place, figures in rows
        ),
        sections=sections_for(state_wide=False),
    )


@require_GET
@ministry_required
@read_from_replica
def draws(request):
    """Every draw: window, state, commitment, entrants per group, seats and offers."""
    return render(request, "stats/draws.html", {"overview": draw_selectors.overview()})


@require_GET
@ministry_required
@read_from_replica
def draws_csv(request):
    return draws_response(overview=draw_selectors.overview(), url=request.build_absolute_uri)


class LoginView(ThrottledLoginView):
    """Login for the statistics: the admin's login admits staff accounts only."""

    template_name = "stats/login.html"
    next_page = "stats:overview"


class LogoutView(auth_views.LogoutView):
    next_page = "stats:login"


@require_GET
@read_from_replica
def center_availability(request, slug: str):
    """Public: a center's state, next free day and waiting list, from the cache."""
    summary = availability.summary_for(slug)
    if summary is None:
        raise Http404
    return render(request, "stats/availability.html", {"summary": summary})


@require_GET
@read_from_replica
def center_availability_json(request, slug: str):
    summary = availability.summary_for(slug)
    if summary is None:
        raise Http404
    response = JsonResponse(availability.as_json(summary))
    patch_cache_control(response, public=True, max_age=availability.max_age())
    return response


@require_GET
@read_from_replica
def availability_json(request):
    """Public: every center's summary, for the press and other portals."""
    summaries = availability.all_summaries()
    response = JsonResponse({"centers": [availability.as_json(s) for s in summaries]})
    patch_cache_control(response, public=True, max_age=availability.max_age())
    return response
