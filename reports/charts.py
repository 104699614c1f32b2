"""Charts as PNG bytes in memory, drawn with matplotlib's Agg canvas (no pyplot, no global state,
so web requests and the worker can draw at the same time)."""
from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .numbers import decimal, integer

COLOR = "#1d4ed8"
WIDTH_INCHES = 6.4
DPI = 130


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#6b7280")
    ax.set_xticks([])
    ax.set_yticks([])


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, *, decimals: int = 0,
              language: str = "nl", empty: str = "Geen gegevens in deze periode") -> bytes:
    """A horizontal bar chart as PNG, biggest on top, each bar labelled with its value."""
    return _png(bar_figure(labels, values, title, decimals=decimals, language=language, empty=empty))


def bar_figure(labels: Sequence[str], values: Sequence[float], title: str, *, decimals: int = 0,
               language: str = "nl", empty: str = "Geen gegevens in deze periode") -> Figure:
    """The figure of `bar_chart`."""
    height = 1.2 + 0.38 * max(len(labels), 2)
    figure = Figure(figsize=(WIDTH_INCHES, height))
    ax = figure.subplots()
    ax.set_title(title, fontsize=11, loc="left")
    if not labels:
        _empty(ax, empty)
        return figure
    names = ["\n".join(textwrap.wrap(label, 32)) or "–" for label in labels]
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color=COLOR)
    ax.set_yticks(positions, names, fontsize=8)
    text = [integer(v, language) if decimals == 0 else decimal(v, decimals, language) for v in values]
    ax.bar_label(bars, labels=text, padding=3, fontsize=8)
    top = max(max(values), 1) * 1.18
    # Whole numbers on the axis, except for small decimal values (0,5 days), where they would repeat.
    tick_decimals = 1 if decimals and top < 5 else 0
    ax.xaxis.set_major_locator(MaxNLocator(integer=tick_decimals == 0, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: decimal(v, tick_decimals, language)))
    ax.set_xlim(0, top)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def line_chart(labels: Sequence[str], values: Sequence[int], title: str, *, language: str = "nl",
               empty: str = "Geen gegevens in deze periode") -> bytes:
    """A line with markers over ordered labels (e.g. ISO weeks)."""
    figure = Figure(figsize=(WIDTH_INCHES, 3.0))
    ax = figure.subplots()
    ax.set_title(title, fontsize=11, loc="left")
    if not labels:
        _empty(ax, empty)
        return _png(figure)
    ax.plot(range(len(labels)), values, marker="o", color=COLOR, linewidth=2, markersize=4)
    step = max(1, len(labels) // 14)
    ax.set_xticks(range(0, len(labels), step), labels[::step], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: integer(round(v), language)))
    ax.set_ylim(bottom=0, top=max(max(values), 1) * 1.15)
    ax.grid(axis="y", color="#e5e7eb")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(figure)
