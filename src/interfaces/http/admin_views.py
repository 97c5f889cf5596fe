"""What the admin page's templates show, computed here so the templates only lay it out: the
inline SVG bar charts' geometry, progress per category, and the formats of numbers and times."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.job import JobResults
from domain.payout_preview import PayoutPreview

DASH = "\u2013"  # an en dash: "no value"

# The chart's own coordinate space; the SVG scales to its box (phone or laptop) by its viewBox.
CHART_WIDTH = 400
LABEL_WIDTH = 96
VALUE_ROOM = 64  # right of the longest bar, for its total
ROW_HEIGHT = 30
BAR_HEIGHT = 18
LEGEND_HEIGHT = 26


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # which category: picks the fill colour in the stylesheet
    title: str


@dataclass(frozen=True, slots=True)
class ChartRow:
    label: str
    label_y: float
    total: str
    total_x: float


@dataclass(frozen=True, slots=True)
class LegendItem:
    name: str
    series: int
    x: float


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    rows: tuple[ChartRow, ...]
    legend: tuple[LegendItem, ...]
    empty: bool

    @property
    def label_x(self) -> int:
        """Where the tier names end (right-aligned), just left of the bars."""
        return LABEL_WIDTH - 6


def bar_chart(
    title: str,
    tiers: Sequence[str],
    categories: Sequence[str],
    values: Mapping[tuple[str, str], int],
    unit: str,
) -> Chart:
    """One horizontal bar per tier, stacked by category, with the tier's total at its end."""
    totals = {t: sum(values.get((t, c), 0) for c in categories) for t in tiers}
    scale = (CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM) / max([1, *totals.values()])
    bars, rows = [], []
    for row, tier in enumerate(tiers):
        y = LEGEND_HEIGHT + row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        x = float(LABEL_WIDTH)
        for series, category in enumerate(categories):
            value = values.get((tier, category), 0)
            if value:
                width = max(value * scale, 1.5)  # a tiny value still shows
                tooltip = f"{category}, {tier}: {number(value)} {unit}"
                bars.append(Bar(x, y, width, BAR_HEIGHT, series, tooltip))
                x += width
        rows.append(ChartRow(tier, y + BAR_HEIGHT / 2, number(totals[tier]), x + 6))
    legend = tuple(
        LegendItem(name, series, LABEL_WIDTH + series * 110)
        for series, name in enumerate(categories)
    )
    height = LEGEND_HEIGHT + ROW_HEIGHT * len(tiers) + 4
    empty = not any(totals.values())
    return Chart(title, CHART_WIDTH, height, tuple(bars), tuple(rows), legend, empty)


def results_charts(results: JobResults, tiers: Sequence[str]) -> tuple[Chart, Chart]:
    """Rewards and coins by tier of a job's results (so far, while it runs)."""
    categories = list(results.categories)
    counts, coins = {}, {}
    for category, result in results.categories.items():
        for tier, tally in result.tiers.items():
            counts[(tier, category)] = tally.count
            coins[(tier, category)] = tally.coins
    return (
        bar_chart("Rewards by tier", tiers, categories, counts, "rewards"),
        bar_chart("Coins by tier", tiers, categories, coins, "coins"),
    )


def preview_charts(preview: PayoutPreview, tiers: Sequence[str]) -> tuple[Chart, Chart]:
    categories = [c.category for c in preview.categories]
    counts, coins = {}, {}
    for payout in preview.categories:
        for tier in payout.tiers:
            counts[(tier.tier, payout.category)] = tier.users
            coins[(tier.tier, payout.category)] = tier.coins
    return (
        bar_chart("Rewards a run would pay", tiers, categories, counts, "rewards"),
        bar_chart("Coins a run would pay", tiers, categories, coins, "coins"),
    )


def number(value: float | None) -> str:
    if value is None:
        return DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def moment(value: datetime | None) -> str:
    if value is None:
        return DASH
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def minute(value: datetime | None) -> str:
    """A shorter moment, for tables: minutes, in UTC (the column header says so)."""
    if value is None:
        return DASH
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def seconds(value: float | None) -> str:
    if value is None:
        return DASH
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def relative(value: datetime | None, now: datetime) -> str:
    """Like "in 42 s" or "3 min ago", for leases and heartbeats."""
    if value is None:
        return DASH
    delta = (value - now).total_seconds()
    text = seconds(abs(delta))
    return f"in {text}" if delta > 0 else f"{text} ago"


FILTERS: dict[str, Callable[..., str]] = {
    "number": number,
    "moment": moment,
    "minute": minute,
    "seconds": seconds,
}
