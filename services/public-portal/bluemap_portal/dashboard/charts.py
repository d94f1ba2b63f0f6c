"""Bar charts drawn on the server as SVG geometry: readable without JavaScript, the numbers in a table beside."""

from collections.abc import Sequence
from dataclasses import dataclass

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 220
PLOT_WIDTH = 360
VALUE_WIDTH = 70


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length in pixels and the value written at its end."""

    label: str
    y: int
    width: int
    text: str


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart with its accessible title and description."""

    id: str
    title: str
    description: str
    bars: Sequence[Bar]

    @property
    def width(self) -> int:
        return LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT


def bar_chart(
    id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, float | None, str]],
    *,
    maximum: float | None = None,
) -> BarChart:
    """A chart of (label, value, text) items; a missing value draws no bar but keeps its label and text."""
    top = maximum if maximum is not None else max((v for _, v, _ in items if v is not None), default=0)
    bars = [
        Bar(
            label=label,
            y=BAR_GAP + index * (BAR_HEIGHT + BAR_GAP),
            width=round(PLOT_WIDTH * value / top) if value is not None and top > 0 else 0,
            text=text,
        )
        for index, (label, value, text) in enumerate(items)
    ]
    return BarChart(id=id, title=title, description=description, bars=bars)
