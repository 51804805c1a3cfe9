"""Quarters and analysis windows, calendar or fiscal.

A quarter is written ``2026Q3``. With a fiscal year starting in month ``m`` (1 = the
calendar), fiscal year ``Y`` is named by the calendar year in which it *ends*:
with ``m = 7``, FY2026 runs from 2025-07-01 to 2026-06-30 and 2026Q1 is July-September
2025. Windows are closed date ranges ``[start, end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .schema import UsageError

__all__ = [
    "Window",
    "last_quarters",
    "quarter_of",
    "quarter_window",
    "previous_quarter",
    "span",
    "window",
]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Window:
    """A labelled date range, both ends included."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def weeks(self) -> float:
        """Length in weeks (both ends included)."""
        return ((self.end - self.start).days + 1) / 7

    @property
    def bounds(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start, end)."""
        return self.start, self.end

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask of ``dates`` inside the window."""
        return (dates >= self.start) & (dates <= self.end)


def _parse(quarter: str) -> tuple[int, int]:
    m = _QUARTER.match(str(quarter).strip().upper())
    if not m:
        raise UsageError(f"quarter {quarter!r} is not of the form YYYYQn, e.g. 2026Q3")
    return int(m.group(1)), int(m.group(2))


def quarter_window(quarter: str, *, fiscal_start: int = 1) -> Window:
    """The dates of ``quarter`` (calendar, or fiscal with a year starting in ``fiscal_start``).

    Example
    -------
    >>> quarter_window("2026Q1", fiscal_start=7).start
    Timestamp('2025-07-01 00:00:00')
    """
    if not 1 <= fiscal_start <= 12:
        raise UsageError(f"fiscal_start must be a month 1-12, got {fiscal_start}")
    year, q = _parse(quarter)
    first_year = year if fiscal_start == 1 else year - 1
    start = pd.Timestamp(first_year, fiscal_start, 1) + pd.DateOffset(months=3 * (q - 1))
    end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    return Window(f"{year}Q{q}", pd.Timestamp(start), pd.Timestamp(end))


def previous_quarter(quarter: str) -> str:
    """The quarter before: 2026Q1 -> 2025Q4."""
    year, q = _parse(quarter)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def window(quarter: str, kind: str = "quarter", *, fiscal_start: int = 1) -> Window:
    """The analysis window ending with ``quarter``: the quarter itself, or ``ttm`` (four quarters)."""
    end = quarter_window(quarter, fiscal_start=fiscal_start)
    if kind == "quarter":
        return end
    if kind == "ttm":
        first = quarter
        for _ in range(3):
            first = previous_quarter(first)
        start = quarter_window(first, fiscal_start=fiscal_start).start
        return Window(f"TTM to {end.label}", start, end.end)
    raise UsageError(f"window must be 'quarter' or 'ttm', got {kind!r}")


def quarter_of(dates: pd.Series, *, fiscal_start: int = 1) -> pd.Series:
    """The fiscal quarter label (``2026Q3``) of each date."""
    shifted = (
        dates + pd.DateOffset(months=(12 - fiscal_start + 1) % 12) if fiscal_start != 1 else dates
    )
    year = shifted.dt.year
    q = (shifted.dt.month - 1) // 3 + 1
    return (year.astype("Int64").astype("str") + "Q" + q.astype("Int64").astype("str")).where(
        dates.notna()
    )


def last_quarters(
    quarter: str, n: int = 4, *, fiscal_start: int = 1
) -> list[tuple[str, pd.Timestamp]]:
    """The ``n`` quarters ending with ``quarter``, oldest first, as (label, end date)."""
    labels = [quarter]
    for _ in range(n - 1):
        labels.insert(0, previous_quarter(labels[0]))
    return [(q, quarter_window(q, fiscal_start=fiscal_start).end) for q in labels]


def span(quarter: str, n: int, *, fiscal_start: int = 1) -> Window:
    """The ``n`` quarters ending with ``quarter`` as one window."""
    first = last_quarters(quarter, n, fiscal_start=fiscal_start)[0][0]
    start = quarter_window(first, fiscal_start=fiscal_start).start
    end = quarter_window(quarter, fiscal_start=fiscal_start).end
    return Window(f"{first} to {quarter}", start, end)


def next_quarter(quarter: str) -> str:
    """The quarter after: 2026Q4 -> 2027Q1."""
    year, q = _parse(quarter)
    return f"{year + 1}Q1" if q == 4 else f"{year}Q{q + 1}"
