"""The figures are the same after the purge; rebuild_stats agrees on the days kept."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from booking.models import Series
from privacy.purge import purge
from stats.models import DailyCounter, Metric
from tests import factories
from tests.invariants.clock import fake_clock
from tests.journeys import verify
from tests.privacy.helpers import booked_and_cancelled, morning
from tests.staff.helpers import book

pytestmark = pytest.mark.django_db


def figures() -> dict:
    return {
        (day, metric, center, district): total
        for day, metric, center, district, total in DailyCounter.objects.values_list(
            "day", "metric", "center_id", "district_id"
        )
        .annotate(total=Sum("value"))
        .order_by()
        if total
    }


def _journey(center, vaccine, client, phone):
    booked_and_cancelled(center, vaccine, "Erna Meyer")
    book(
        center,
        vaccine,
        at=factories.local_datetime(factories.days_ahead(2), 11),
        names=("Otto Kurz",),
    )
    verify(client, phone)  # a text message sent
    # The factories write slots without the release signal: count them once.
    call_command("rebuild_stats")


def test_the_figures_are_unchanged_after_the_purge(center, vaccine, open_for_80, client, phone):
    with fake_clock(morning()) as clock:
        _journey(center, vaccine, client, phone)
        before = figures()
        clock.advance(timedelta(days=60))
        result = purge(commit=True)
        assert not Series.objects.exists()
        assert result.stats_rebuilt == {}
        assert figures() == before
        call_command("rebuild_stats", "--check")
        # Asking for the purged days explicitly leaves them out too.
        call_command("rebuild_stats", "--check", "--since", "2000-01-01")


def test_the_purge_first_counts_what_the_counters_missed(
    center, vaccine, open_for_80, client, phone
):
    with fake_clock(morning()) as clock:
        _journey(center, vaccine, client, phone)
        before = figures()
        # A process died between its change and its counter: the counter lacks one.
        DailyCounter.objects.filter(metric=Metric.BOOKED).delete()
        assert figures() != before
        clock.advance(timedelta(days=60))
        result = purge(commit=True)
        assert result.stats_rebuilt
        assert figures() == before


def test_negative_control_without_the_final_days_rebuild_stats_would_disagree(
    center, vaccine, open_for_80, client, phone
):
    from stats.rebuild import final_day_hooks

    with fake_clock(morning()) as clock:
        _journey(center, vaccine, client, phone)
        clock.advance(timedelta(days=60))
        purge(commit=True)
        hooks = list(final_day_hooks)
        final_day_hooks.clear()
        try:
            with pytest.raises(Exception, match="figures differ"):
                call_command("rebuild_stats", "--check", "--since", "2000-01-01")
        finally:
            final_day_hooks.extend(hooks)
