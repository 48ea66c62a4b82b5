"""Bar charts as inline SVG, drawn on the server: no JavaScript, no inline styles (the CSP forbids
them), readable by screen readers.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(both referenced with ``aria-labelledby``); every bar carries a ``<title>`` with its category,
series and value, shown as a tooltip. The numbers themselves belong in a table next to the chart:
a picture is never the only way to read them.

Colours are the Okabe–Ito palette (told apart with the common colour-vision deficiencies); a
legend names each series. Pure: the same input gives the same SVG, every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#4D4D4D")
INK = "#1b1b1b"
GRID = "#c9d1d9"
FONT_SIZE = 12
CHAR_WIDTH = 6.6  # a rough average at FONT_SIZE, to lay out legends and labels
LEGEND_ROW = 20


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per category; None draws no bar ("no data")
    colour: str


Format = Callable[[float], str]


def _number(value: float) -> str:
    return f"{value:g}"


def nice_ceiling(value: float, ticks: int = 5, *, whole: bool = True) -> tuple[float, float]:
    """An axis maximum at or above ``value`` and its tick step: 1, 2 or 5 times a power of ten,
    at least 1 when the values are ``whole`` numbers (counts)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1.0)
    return step * math.ceil(round(value / step, 9)), step


def _f(number: float) -> str:
    """Coordinates with at most one decimal, so the SVG stays small and stable."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{FONT_SIZE}" fill="{INK}" '
        f'text-anchor="{anchor}"{extra}>{escape(content)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tooltip: str) -> str:
    return (
        f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" fill="{fill}">'
        f"<title>{escape(tooltip)}</title></rect>"
    )


def _legend(series: Sequence[Series], width: float, left: float) -> tuple[list[str], float]:
    """The series names with their colours, in rows across the top; returns (parts, height)."""
    parts: list[str] = []
    x, row = left, 0
    for item in series:
        needed = 18 + len(item.label) * CHAR_WIDTH + 16
        if x + needed > width and x > left:
            x, row = left, row + 1
        y = 6 + row * LEGEND_ROW
        parts.append(f'<rect x="{_f(x)}" y="{_f(y)}" width="12" height="12" fill="{item.colour}"/>')
        parts.append(_text(x + 18, y + 11, item.label))
        x += needed
    return parts, (row + 1) * LEGEND_ROW + 10


def _open(chart_id: str, title: str, description: str, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id={quoteattr(chart_id)} '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    value_text: Format = _number,
    axis_text: Format | None = None,
    max_value: float | None = None,
    show_zero: bool = False,
    width: float = 720,
    height: float = 300,
) -> Markup:
    """Vertical bars, one slot per category: side by side per series, or ``stacked``.

    ``max_value`` fixes the top of the axis (1.0 for shares); otherwise it is the largest bar
    rounded up to a readable number. ``value_text`` writes a value in the bars' tooltips,
    ``axis_text`` (default: the same) the axis labels. With ``show_zero`` a value of 0 (a share
    of nothing on time, say) is drawn as a thin bar, so that it differs from no value (None).
    """
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(f"series {item.label!r}: {len(item.values)} values")
    axis_text = axis_text or value_text
    left, right, bottom = 56.0, 12.0, 28.0
    legend, top = _legend(series, width - right, left)
    plot_w, plot_h = width - left - right, height - top - bottom
    if stacked:
        highest = max(
            (sum(s.values[i] or 0 for s in series) for i in range(len(categories))), default=0
        )
    else:
        highest = max((v for s in series for v in s.values if v is not None), default=0)
    if max_value is not None:
        top_value, step = max_value, max_value / 4
    else:
        top_value, step = nice_ceiling(highest)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = [_open(chart_id, title, description, width, height), *legend]
    for k in range(round(top_value / step) + 1):
        tick = k * step
        y = y_of(tick)
        parts.append(
            f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(width - right)}" y2="{_f(y)}" '
            f'stroke="{INK if tick == 0 else GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, axis_text(tick), anchor="end"))
    slot = plot_w / max(len(categories), 1)
    every = max(1, math.ceil(len(categories) * 64 / plot_w))  # room for about 64 px per label
    for i, category in enumerate(categories):
        x0 = left + i * slot
        if stacked:
            bar_w, base = slot * 0.7, 0.0
            for item in series:
                value = item.values[i]
                if not value:
                    continue
                parts.append(
                    _rect(
                        x0 + (slot - bar_w) / 2, y_of(base + value), bar_w,
                        y_of(base) - y_of(base + value), item.colour,
                        f"{category}, {item.label}: {value_text(value)}",
                    )
                )  # fmt: skip
                base += value
        else:
            bar_w = slot * 0.8 / max(len(series), 1)
            for j, item in enumerate(series):
                value = item.values[i]
                if value is None or (value <= 0 and not show_zero):
                    continue
                bar_h = max(y_of(0) - y_of(value), 2.0)
                parts.append(
                    _rect(
                        x0 + slot * 0.1 + j * bar_w, y_of(0) - bar_h, bar_w, bar_h, item.colour,
                        f"{category}, {item.label}: {value_text(value)}",
                    )
                )  # fmt: skip
        if i % every == 0:
            parts.append(_text(x0 + slot / 2, height - bottom + 17, category, anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_text: Format = _number,
    width: float = 720,
    row_height: float = 34,
) -> Markup:
    """Horizontal bars, one row per category with the series side by side; the value is written
    at the end of each bar (for long category names, such as request types)."""
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(f"series {item.label!r}: {len(item.values)} values")
    left = 16 + max((len(c) for c in categories), default=0) * CHAR_WIDTH
    right = 64.0
    legend, top = _legend(series, width - right, left)
    height = top + row_height * len(categories) + 8
    highest = max((v for s in series for v in s.values if v is not None), default=0)
    top_value, _step = nice_ceiling(highest)
    plot_w = width - left - right
    bar_h = (row_height - 8) / max(len(series), 1)
    parts = [_open(chart_id, title, description, width, height), *legend]
    parts.append(
        f'<line x1="{_f(left)}" y1="{_f(top)}" x2="{_f(left)}" '
        f'y2="{_f(top + row_height * len(categories))}" stroke="{INK}" stroke-width="1"/>'
    )
    for i, category in enumerate(categories):
        y0 = top + i * row_height
        parts.append(_text(left - 8, y0 + row_height / 2 + 4, category, anchor="end"))
        for j, item in enumerate(series):
            value = item.values[i]
            y = y0 + 4 + j * bar_h
            if value is None:
                parts.append(_text(left + 4, y + bar_h - 3, "–"))
                continue
            length = plot_w * value / top_value
            if length > 0:
                parts.append(
                    _rect(left, y, length, bar_h - 1, item.colour,
                          f"{category}, {item.label}: {value_text(value)}")
                )  # fmt: skip
            parts.append(_text(left + length + 4, y + bar_h - 3, value_text(value)))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
