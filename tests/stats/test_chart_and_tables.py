"""The chart's scale and the tables' completeness."""

from datetime import date

import pytest

from stats.chart import bar_chart, nice_step
from stats.figures import Figures
from stats.models import Metric
from stats.tables import SECTIONS


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (3, 1), (7, 2), (10, 5), (95, 50), (120, 50), (4001, 2000)]
)
def test_the_axis_has_round_steps(peak, step):
    assert nice_step(peak) == step


def test_bars_are_as_tall_as_their_share_of_the_axis():
    figures = Figures()
    figures.values[Metric.BOOKED] = 80
    figures.values[Metric.CANCELLED] = 20
    chart = bar_chart([(date(2021, 2, 1), figures), (date(2021, 2, 2), Figures())])
    booked, cancelled, given, *empty_day = chart.bars
    assert booked.height == pytest.approx(4 * cancelled.height)
    assert given.height == 0
    assert all(bar.height == 0 for bar in empty_day)
    assert chart.ticks[-1].value >= 80
    assert booked.y + booked.height == pytest.approx(chart.baseline)


def test_a_chart_of_a_year_labels_at_most_ten_days():
    rows = [(date.fromordinal(date(2021, 1, 1).toordinal() + n), Figures()) for n in range(366)]
    assert len(bar_chart(rows).day_labels) <= 10


def test_every_counted_figure_has_a_column():
    shown = {column.key for section in SECTIONS for column in section.columns}
    # Leaving the list is shown as the list's length.
    assert set(Metric) - shown == {Metric.WAITLIST_LEFT}
