"""Aggregates over raw lines, computed where the data lives (DuckDB): only sums reach pandas."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..schema import DataError
from .core import DataSet
from .core import quote_ident as _q

__all__ = ["activity_by_account", "last_activity", "revenue_by", "spend_to_date"]


def revenue_by(
    ds: DataSet,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    by: tuple[str, ...] = ("account_id",),
    fiscal_start: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Net revenue per ``by`` in ``[start, end]``, aggregated where the data lives.

    Revenue comes from order lines when the data set has them (net: credits and
    cancellations count negative), else from won opportunities at their close date.
    Lines without an account are left out and counted in the returned info.

    ``by`` may include ``quarter`` (the fiscal quarter label of each line's date).

    Returns
    -------
    (table, info)
        ``table`` has the ``by`` columns and ``revenue``, one row per group with a
        non-zero sum; ``info`` says the source and what was left out.
    """
    if ds.has("orders"):
        source, date, value, where = "orders", "order_date", "amount", ""
    elif ds.has("opportunities"):
        source, date, value, where = "opportunities", "close_date", "amount", "AND outcome = 'won'"
        if "outcome" not in ds.table("opportunities").columns:
            raise DataError(
                "opportunities have no 'outcome' column: cannot tell won deals; add outcome"
            )
    else:
        raise DataError(f"{ds.path}: revenue needs an orders table or an opportunities table")
    shift = (12 - fiscal_start + 1) % 12  # fiscal year named by the calendar year it ends in
    moved = f"({_q(date)} + INTERVAL {shift} MONTH)"
    period = (
        f"CAST(year({moved}) AS VARCHAR) || 'Q' || CAST(quarter({moved}) AS VARCHAR) AS quarter"
    )
    cols = ", ".join(period if c == "quarter" else _q(c) for c in by)
    table = ds.sql(
        # rounded to the cent: parallel sums differ in the last bits, and ties must rank the same every run
        f"SELECT {cols}, round(sum({_q(value)}), 2) AS revenue, count(*) AS lines FROM {source} "
        f"WHERE {_q(date)} BETWEEN ? AND ? {where} GROUP BY ALL",
        [start.date(), end.date()],
    )
    orphan = (
        table["account_id"].isna() if "account_id" in by else pd.Series(False, index=table.index)
    )
    info = {
        "source": source,
        "lines": int(table["lines"].sum()),
        "unassigned_lines": int(table.loc[orphan, "lines"].sum()),
        "unassigned_revenue": float(table.loc[orphan, "revenue"].sum()),
    }
    out = table.loc[~orphan].drop(columns="lines")
    out = (
        out[out["revenue"].fillna(0) != 0]
        .sort_values(list(by), kind="stable")
        .reset_index(drop=True)
    )
    return out, info


def activity_by_account(ds: DataSet, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Logged activity per account in ``[start, end]``: count and minutes (DuckDB aggregate).

    Activities without ``duration_minutes`` count 30 minutes each (a typical call or
    meeting); lines without an account are left out. No activities table: an empty frame.
    """
    if not ds.has("activities"):
        return pd.DataFrame(
            {
                "account_id": pd.Series(dtype="str"),
                "activities": pd.Series(dtype="int64"),
                "minutes": pd.Series(dtype="float64"),
            }
        )
    has_minutes = "duration_minutes" in ds.sql("SELECT * FROM activities LIMIT 0").columns
    minutes = "coalesce(duration_minutes, 30)" if has_minutes else "30"
    return ds.sql(
        f"SELECT account_id, count(*) AS activities, sum({minutes}) AS minutes FROM activities "
        "WHERE activity_date BETWEEN ? AND ? AND account_id IS NOT NULL GROUP BY 1 ORDER BY 1",
        [start.date(), end.date()],
    )


def spend_to_date(ds: DataSet, dates: list[pd.Timestamp]) -> pd.DataFrame:
    """Revenue per account up to each date (orders, else won opportunities): as_of, account_id, spend."""
    if ds.has("orders"):
        source, date, where = "orders", "order_date", ""
    elif ds.has("opportunities") and "outcome" in ds.table("opportunities"):
        source, date, where = "opportunities", "close_date", "AND outcome = 'won'"
    else:
        return pd.DataFrame(columns=["as_of", "account_id", "spend"])
    parts = [
        f"SELECT DATE '{d.date()}' AS as_of, account_id, round(sum(amount), 2) AS spend FROM {source} "
        f"WHERE {date} <= DATE '{d.date()}' AND account_id IS NOT NULL {where} GROUP BY account_id"
        for d in dates
    ]
    out = ds.sql(" UNION ALL ".join(parts) + " ORDER BY as_of, account_id")
    out["as_of"] = pd.to_datetime(out["as_of"])
    return out


def last_activity(ds: DataSet) -> pd.Series | None:
    """Date of the last logged activity per account (None without an activities table)."""
    if not ds.has("activities"):
        return None
    t = ds.sql(
        "SELECT account_id, max(activity_date) AS last FROM activities WHERE account_id IS NOT NULL GROUP BY 1"
    )
    return pd.to_datetime(t.set_index("account_id")["last"])
