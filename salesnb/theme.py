"""One visual theme for the kit: seaborn style, palette, money and percent axes.

Plot functions call :func:`get_ax` (a new figure only when no Axes is given) and the
formatters; notebooks call :func:`apply` once in their setup cell.
"""

from __future__ import annotations

import warnings
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from . import fonts

__all__ = [
    "PALETTE",
    "HIGHLIGHT",
    "MUTED",
    "apply",
    "fit_ticks",
    "format_money",
    "get_ax",
    "integer_axis",
    "money_axis",
    "percent_axis",
    "series_styles",
]

PALETTE = ["#1f4e79", "#c0504d", "#4f9d69", "#e69f00", "#7f6a93", "#56b4e9", "#8c8c8c"]
HIGHLIGHT = PALETTE[1]  # the finding a chart is about
MUTED = "#b8c4d0"  # everything else


def apply() -> None:
    """Set the kit's theme (call once per notebook).

    Names in other scripts draw with the kit's fallback fonts (:mod:`salesnb.fonts`). A
    character none of them has still draws as a box, and the report lists those names;
    matplotlib's warning about it is for developers and must not print into a report.
    """
    warnings.filterwarnings(
        "ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning
    )
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    pd.set_option("display.max_colwidth", 400)  # reasons and playbook text are read in full
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 4.2),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.autolayout": True,
            "text.parse_math": False,  # names from the data ("Quote $10k-$50k") are text, not TeX
        }
    )
    fonts.register_matplotlib()  # after set_theme, which resets the font families


def get_ax(ax: Axes | None = None, *, figsize: tuple[float, float] | None = None) -> Axes:
    """The Axes to draw on: the given one, or a new figure's.

    Text drawn by the kit comes from the data, so mathtext stays off even without :func:`apply`.
    """
    mpl.rcParams["text.parse_math"] = False
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize)
    return new


def format_money(value: float, currency: str = "") -> str:
    """Compact money for axes and labels: 1.2M, 350k, 900 (with the currency code if given)."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        text = f"{v / 1e9:.1f}B"
    elif v >= 1e6:
        text = f"{v / 1e6:.1f}M"
    elif v >= 1e4:
        text = f"{v / 1e3:.0f}k"
    elif v >= 1e3:
        text = f"{v / 1e3:.1f}k".replace(".0k", "k")  # 1.5k, not a second "2k"
    else:
        text = f"{v:.0f}"
    return f"{sign}{text}" + (f" {currency}" if currency else "")


def money_axis(ax: Axes, which: str = "y", currency: str = "") -> None:
    """Format an axis as money."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v, currency)))


def percent_axis(ax: Axes, which: str = "y") -> None:
    """Format an axis holding fractions (0-1) as percentages."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


# --------------------------------------------------------------------------- chart helpers
# Series told apart without colour (greyscale prints, colour-blind readers): each series has
# its own line style and marker as well as its colour.
LINE_STYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")


def paired_share_bars(
    ax: Axes,
    labels: list[str],
    solid: Any,
    hatched: Any,
    *,
    solid_style: tuple[str, str],
    hatched_style: tuple[str, str],
) -> None:
    """Two shares side by side per label, the second hatched, each bar labelled "12%".

    ``solid_style`` and ``hatched_style`` are (colour, legend label).
    """
    import numpy as np

    x = np.arange(len(labels))
    first = ax.bar(x - 0.2, solid, width=0.4, color=solid_style[0], label=solid_style[1])
    second = ax.bar(
        x + 0.2,
        hatched,
        width=0.4,
        color=hatched_style[0],
        hatch="//",
        edgecolor="white",
        label=hatched_style[1],
    )
    for bars in (first, second):
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in bars.datavalues], padding=2, fontsize=8)
    ax.set_xticks(x, labels)
    percent_axis(ax)


def series_styles(n: int) -> list[dict[str, Any]]:
    """``n`` distinct styles (colour, line style, marker) for ``plot(**style)``, greyscale-safe."""
    return [
        {
            "color": PALETTE[i % len(PALETTE)],
            "linestyle": LINE_STYLES[i % len(LINE_STYLES)],
            "marker": MARKERS[i % len(MARKERS)],
        }
        for i in range(n)
    ]


def integer_axis(ax: Axes, which: str = "y") -> None:
    """Ticks at whole numbers only (counts: no 2.5 accounts)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_locator(MaxNLocator(integer=True))


def _overlap(axis: Any, renderer: Any) -> bool:
    """Whether two tick labels inside the axis' view run into each other."""
    lo, hi = sorted(axis.get_view_interval())
    labels = [
        t
        for t, x in zip(axis.get_ticklabels(), axis.get_majorticklocs(), strict=False)
        if lo - 1e-9 * abs(hi - lo) <= x <= hi + 1e-9 * abs(hi - lo)
    ]
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
    boxes.sort(key=lambda b: b.x0)
    return any(
        a.x1 + 2 > b.x0 and a.y1 > b.y0 and b.y1 > a.y0
        for a, b in zip(boxes, boxes[1:], strict=False)
    )


def fit_ticks(ax: Axes, which: str = "x") -> None:
    """Tick labels that never run together: fewer ticks on a number axis, else rotated.

    Call it after the axis is formatted (money, percent) and its limits are set.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    renderer = ax.figure.canvas.get_renderer()
    numeric = not axis.get_major_formatter().__class__.__name__.startswith("StrCategory")
    nbins = 8
    while numeric and nbins > 2 and _overlap(axis, renderer):
        nbins -= 1
        axis.set_major_locator(MaxNLocator(nbins=nbins, integer=False, steps=[1, 2, 2.5, 5, 10]))
    if which == "x" and _overlap(axis, renderer):
        for label in axis.get_ticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
