"""One visual theme for the kit: seaborn style, palette, money and percent axes.

Plot functions call :func:`get_ax` (a new figure only when no Axes is given) and the
formatters; notebooks call :func:`apply` once in their setup cell.
"""

from __future__ import annotations

import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from . import fonts

__all__ = [
    "PALETTE",
    "HIGHLIGHT",
    "MUTED",
    "apply",
    "format_money",
    "get_ax",
    "money_axis",
    "percent_axis",
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
