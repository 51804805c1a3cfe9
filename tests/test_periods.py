"""salesnb.periods: calendar and fiscal quarters, windows."""

from __future__ import annotations

import pandas as pd
import pytest

from salesnb.periods import previous_quarter, quarter_of, quarter_window, window
from salesnb.schema import UsageError


def test_calendar_quarter():
    w = quarter_window("2026Q3")
    assert (w.start, w.end) == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))


def test_fiscal_quarter_named_by_the_year_it_ends():
    w = quarter_window("2026Q1", fiscal_start=4)  # FY2026 = April 2025 .. March 2026
    assert (w.start, w.end) == (pd.Timestamp("2025-04-01"), pd.Timestamp("2025-06-30"))
    assert quarter_window("2026Q4", fiscal_start=4).end == pd.Timestamp("2026-03-31")


def test_ttm_and_previous():
    w = window("2026Q3", "ttm")
    assert (w.start, w.end) == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-09-30"))
    assert previous_quarter("2026Q1") == "2025Q4" and previous_quarter("2026Q3") == "2026Q2"


def test_quarter_of_round_trips():
    dates = pd.Series(pd.to_datetime(["2025-04-01", "2025-06-30", "2026-03-31", "2026-01-15"]))
    assert quarter_of(dates, fiscal_start=4).tolist() == ["2026Q1", "2026Q1", "2026Q4", "2026Q4"]
    assert quarter_of(dates).tolist() == ["2025Q2", "2025Q2", "2026Q1", "2026Q1"]
    for label in ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]:
        for start in (1, 4, 7, 10):
            w = quarter_window(label, fiscal_start=start)
            assert quarter_of(pd.Series([w.start, w.end]), fiscal_start=start).tolist() == [
                label,
                label,
            ]


@pytest.mark.parametrize("bad", ["2026-Q3", "Q3 2026", "2026Q5", ""])
def test_bad_quarters(bad):
    with pytest.raises(UsageError, match="YYYYQn"):
        quarter_window(bad)
