"""A bar chart per day, laid out here and drawn by ``templates/stats/_chart.html`` as SVG.

No JavaScript: the server computes every rectangle. Colours are presentation
attributes (not ``style``), which the strict CSP allows; they differ in
lightness as well as hue, and the table under the chart has every figure.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise

from stats.figures import Figures
from stats.models import Metric

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 16, 40
MAX_X_LABELS = 10

SERIES = (
    # Blue, orange, green: told apart with red-green blindness too, each at
    # least 3:1 against white (WCAG 1.4.11).
    (Metric.BOOKED, "#0b4f9c"),
    (Metric.CANCELLED, "#b35900"),
    (Metric.ATTENDED, "#0b6b2e"),
)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    day: date
    value: int
    label: str | Promise


@dataclass(frozen=True)
class Tick:
    position: float
    value: int


@dataclass(frozen=True)
class DayLabel:
    x: float
    day: date


@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str | Promise


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    day_labels: tuple[DayLabel, ...]
    legend: tuple[LegendEntry, ...]
    peak: int


def nice_step(peak: int, *, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) that covers ``peak`` in about ``ticks``."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover -- the loop always returns


def bar_chart(rows: list[tuple[date, Figures]]) -> Chart:
    """Grouped bars (booked, cancelled, doses given) for each day of ``rows``."""
    peak = max((figures[metric] for _day, figures in rows for metric, _c in SERIES), default=0)
    step = nice_step(peak)
    top_value = max(step, math.ceil(peak / step) * step)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    group = plot_width / max(1, len(rows))
    bar_width = group * 0.8 / len(SERIES)
    bars = []
    for index, (day, figures) in enumerate(rows):
        for position, (metric, color) in enumerate(SERIES):
            value = figures[metric]
            height = plot_height * value / top_value
            bars.append(
                Bar(
                    x=round(LEFT + index * group + group * 0.1 + position * bar_width, 2),
                    y=round(baseline - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    color=color,
                    day=day,
                    value=value,
                    label=Metric(metric).label,
                )
            )
    ticks = tuple(
        Tick(position=round(baseline - plot_height * value / top_value, 2), value=value)
        for value in range(0, top_value + 1, step)
    )
    every = math.ceil(len(rows) / MAX_X_LABELS) or 1
    day_labels = tuple(
        DayLabel(x=round(LEFT + index * group + group / 2, 2), day=day)
        for index, (day, _figures) in enumerate(rows)
        if index % every == 0
    )
    legend = tuple(LegendEntry(color=color, label=Metric(metric).label) for metric, color in SERIES)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        bars=tuple(bars),
        ticks=ticks,
        day_labels=day_labels,
        legend=legend,
        peak=peak,
    )
