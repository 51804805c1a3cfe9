"""Aggregates over deals (the opportunities), one SQL definition each, run where the deals are.

The habits notebook's figures (comebacks after a loss, month-end bunching, cycle times,
late failures, win rate by source) are aggregates over opportunities. Each is written
once, as SQL in DuckDB's dialect over named relations, and run two ways:

- over the data set on its engine (:meth:`DataSet.sql`): DuckDB, or Spark with the query
  transpiled by sqlglot (:mod:`.engines`); the relations are :func:`deals` filtered by
  :func:`where`, so only the aggregates come back to pandas;
- over DataFrames the caller already holds (:func:`on_frames`: an in-memory DuckDB), which
  is how :mod:`salesnb.habits`' pure functions and their hand-worked tests run.

The SQL keeps to what both engines accept (see :mod:`.aggregates`): ``FILTER (WHERE ...)``,
``median``, ``datediff('day', ...)``, ``last_day``, window functions, dates inlined as
``DATE '...'`` literals of typed values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .core import connect
from .core import quote_ident as _q

__all__ = [
    "LOSSES",
    "STAGE_OUTCOMES",
    "by_source",
    "closed_between",
    "cycle_by_quarter",
    "deals",
    "early_failure",
    "month_end",
    "on_frames",
    "planned_by",
    "quarter_label",
    "where",
    "winbacks",
]

Run = Callable[[str], pd.DataFrame]

LOSSES = ("lost", "no_decision")
MONTH_DAYS = (28, 29, 30, 31)
# an outcome read from a stage name (stages are stored lower case, words joined by "_"); the
# first pattern that matches wins. Python's re and DuckDB's RE2 (and Spark's Java regex) read
# these patterns alike.
STAGE_OUTCOMES: tuple[tuple[str, str], ...] = (
    (r"(?:^|_)no_?decision(?:$|_)", "no_decision"),
    (r"(?:^|_)(?:closed_?)?won(?:$|_)", "won"),
    (r"(?:^|_)(?:closed_?)?lost(?:$|_)", "lost"),
)
_LOSS = "outcome IN ('lost', 'no_decision')"
# a deal's cycle in days: NULL when a date is missing or the close is before the creation
_DAYS = (
    "CASE WHEN datediff('day', created_date, close_date) >= 0 "
    "THEN datediff('day', created_date, close_date) END"
)


def _date(d: Any) -> str:
    return f"DATE '{pd.Timestamp(d).date()}'"


def on_frames(**frames: pd.DataFrame) -> Run:
    """Run queries over ``frames``, each a relation of its keyword's name (in-memory DuckDB)."""
    con = connect()
    for name, df in frames.items():
        con.register(name, df)

    def run(query: str) -> pd.DataFrame:
        return con.execute(query).df()

    return run


def deals(columns: Sequence[str]) -> str:
    """The opportunities as a relation with an outcome on every row (as
    :func:`salesnb.analysis.with_outcomes`: the outcome column where given, else the outcome
    the stage name tells). ``columns``: the opportunities' columns."""
    cases = " ".join(
        f"WHEN regexp_matches(CAST(stage AS VARCHAR), '{pattern}') THEN '{outcome}'"
        for pattern, outcome in STAGE_OUTCOMES
    )
    inferred = f"CASE WHEN stage IS NULL THEN 'open' {cases} ELSE 'open' END"
    outcome = (
        f"coalesce(CAST(outcome AS VARCHAR), {inferred})" if "outcome" in columns else inferred
    )
    keep = [_q(c) for c in columns if c != "outcome"]
    return f"(SELECT {', '.join(keep)}, {outcome} AS outcome FROM opportunities)"


def where(relation: str, condition: str) -> str:
    """``relation`` filtered by ``condition`` (SQL over its columns)."""
    return f"(SELECT * FROM {relation} AS d WHERE {condition})"


def closed_between(start: pd.Timestamp, end: pd.Timestamp, outcomes: Sequence[str]) -> str:
    """The condition: an outcome of ``outcomes`` and a close date in ``[start, end]``."""
    listed = ", ".join(f"'{o}'" for o in outcomes)
    return f"outcome IN ({listed}) AND close_date BETWEEN {_date(start)} AND {_date(end)}"


def planned_by(end: pd.Timestamp) -> str:
    """The condition: open, and not created after ``end`` (an unknown creation date counts)."""
    return f"outcome = 'open' AND NOT coalesce(created_date > {_date(end)}, FALSE)"


# --------------------------------------------------------------------------- losses taken gracefully
def winbacks(run: Run, relation: str, *, end: pd.Timestamp, owner: bool) -> pd.DataFrame:
    """One row per account with a loss closed by ``end``: did it come back (win a later deal)?

    Columns: account_id, losses (lost or no decision by ``end``), first_lost, came_back,
    lost_on (the last loss before the comeback win), won_on, won_amount, won_by (the winning
    deal's owner; ``owner``: whether the deals have one), days_to_comeback. A comeback is the
    first deal won after the account's first loss (ties: the smaller opportunity id), closed
    by ``end``; a win the same day is not later.
    """
    won_by = "CAST(w.owner AS VARCHAR)" if owner else "CAST(NULL AS VARCHAR)"
    table = run(
        f"WITH d AS (SELECT * FROM {relation} AS r WHERE account_id IS NOT NULL "
        f"AND close_date IS NOT NULL AND close_date <= {_date(end)}), "
        f"losses AS (SELECT account_id, close_date FROM d WHERE {_LOSS}), "
        "firsts AS (SELECT account_id, count(*) AS losses, min(close_date) AS first_lost "
        "FROM losses GROUP BY 1), "
        "later AS (SELECT w.account_id, w.close_date AS won_on, "
        f"CAST(w.amount AS DOUBLE) AS won_amount, {won_by} AS won_by, row_number() OVER "
        "(PARTITION BY w.account_id ORDER BY w.close_date, CAST(w.opportunity_id AS VARCHAR)) AS k "
        "FROM d AS w JOIN firsts AS f ON w.account_id = f.account_id "
        "WHERE w.outcome = 'won' AND w.close_date > f.first_lost), "
        "first_win AS (SELECT account_id, won_on, won_amount, won_by FROM later WHERE k = 1), "
        "back AS (SELECT l.account_id, max(l.close_date) AS lost_on FROM losses AS l "
        "JOIN first_win AS w ON l.account_id = w.account_id WHERE l.close_date < w.won_on "
        "GROUP BY 1) "
        "SELECT f.account_id, f.losses, f.first_lost, w.won_on IS NOT NULL AS came_back, "
        "b.lost_on, w.won_on, w.won_amount, w.won_by, "
        "datediff('day', b.lost_on, w.won_on) AS days_to_comeback "
        "FROM firsts AS f LEFT JOIN first_win AS w ON f.account_id = w.account_id "
        "LEFT JOIN back AS b ON f.account_id = b.account_id"
    )
    table = table.astype(
        {"losses": "int64", "came_back": "bool", "won_amount": "float64", "won_by": "object"}
    )
    table["days_to_comeback"] = table["days_to_comeback"].astype("float64")
    for col in ("first_lost", "lost_on", "won_on"):
        table[col] = pd.to_datetime(table[col])
    table["won_by"] = table["won_by"].where(table["won_by"].notna(), np.nan)
    return table.sort_values("account_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- month end
def month_end(run: Run, won: str, planned: str, *, days: int = 3) -> pd.DataFrame:
    """Month-end bunching of won deals' close dates and open deals' planned close dates.

    One row each ("won deals", "open deals, planned"): deals with a close date, month_end
    (in the last ``days`` days of their month), share, expected_share (the share if the dates
    were spread evenly over the days of their months: the mean of days / days in the month),
    ratio (share / expected) and amount_share (the share of the amount closing at month end).
    """
    days = int(days)
    at_end = f"day(close_date) > day(last_day(close_date)) - {days}"

    def select(label: str, order: int, relation: str) -> str:
        return (
            f"SELECT {order} AS k, '{label}' AS deals, count(close_date) AS n, "
            f"count(*) FILTER (WHERE {at_end}) AS month_end, "
            + "".join(  # per month length: the expected share is summed in Python, in one order
                f"count(*) FILTER (WHERE day(last_day(close_date)) = {n}) AS d{n}, "
                for n in MONTH_DAYS
            )
            # sums rounded to the cent: parallel sums differ in the last bits
            + "round(sum(CAST(amount AS DOUBLE)) FILTER (WHERE close_date IS NOT NULL), 2) AS total, "
            f"round(sum(CAST(amount AS DOUBLE)) FILTER (WHERE {at_end}), 2) AS at_end "
            f"FROM {relation} AS r"
        )

    got = run(
        f"{select('won deals', 0, won)} UNION ALL {select('open deals, planned', 1, planned)} "
        "ORDER BY k"
    )
    rows = []
    for r in got.itertuples():
        n = int(r.n)
        share = int(r.month_end) / n if n else np.nan
        expected = sum(getattr(r, f"d{m}") * days / m for m in MONTH_DAYS) / n if n else np.nan
        total = 0.0 if pd.isna(r.total) else float(r.total)
        at_end_amount = 0.0 if pd.isna(r.at_end) else float(r.at_end)
        rows.append(
            {
                "deals": r.deals,
                "count": n,
                "month_end": int(r.month_end),
                "share": share,
                "expected_share": expected,
                "ratio": share / expected if n and expected else np.nan,
                "amount_share": at_end_amount / total if total > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- early failure
def early_failure(run: Run, closed: str, *, owner: bool) -> tuple[pd.DataFrame, float | None]:
    """Cycle days of wins and losses (lost and no decision), the team first, then each owner.

    A late failure is a loss whose cycle is longer than the team's median winning cycle.
    Columns: owner ("team" first), won, median_days_to_win, losses, median_days_to_loss,
    late_failures, late_failure_share. Deals without a valid cycle are left out; deals
    without an owner are "(no owner)". Returns the table and the team's median winning cycle
    (None without a won deal with a cycle).
    """
    who = "coalesce(CAST(owner AS VARCHAR), '(no owner)')" if owner else "'team'"
    figures = (
        "count(*) FILTER (WHERE outcome = 'won') AS won, "
        "median(days) FILTER (WHERE outcome = 'won') AS median_days_to_win, "
        f"count(*) FILTER (WHERE {_LOSS}) AS losses, "
        f"median(days) FILTER (WHERE {_LOSS}) AS median_days_to_loss, "
        f"count(*) FILTER (WHERE {_LOSS} AND days > m.median_win) AS late_failures"
    )
    got = run(
        f"WITH d AS (SELECT {who} AS who, outcome, {_DAYS} AS days FROM {closed} AS r), "
        "c AS (SELECT * FROM d WHERE days IS NOT NULL), "
        "m AS (SELECT median(days) FILTER (WHERE outcome = 'won') AS median_win FROM c) "
        f"SELECT 0 AS k, 'team' AS owner, {figures}, max(m.median_win) AS median_win "
        "FROM c CROSS JOIN m "
        "UNION ALL "
        f"SELECT 1 AS k, who AS owner, {figures}, max(m.median_win) AS median_win "
        f"FROM c CROSS JOIN m WHERE {'TRUE' if owner else 'FALSE'} GROUP BY who"
    )
    got = got.sort_values(["k", "owner"], kind="stable").reset_index(drop=True)
    median_win = got["median_win"].iloc[0] if len(got) else None
    median_win = None if median_win is None or pd.isna(median_win) else float(median_win)
    out = pd.DataFrame(
        {
            "owner": got["owner"].astype("str"),
            "won": got["won"].astype("int64"),
            "median_days_to_win": got["median_days_to_win"].astype("float64"),
            "losses": got["losses"].astype("int64"),
            "median_days_to_loss": got["median_days_to_loss"].astype("float64"),
            "late_failures": got["late_failures"].astype("float64"),
        }
    )
    if median_win is None:
        out["late_failures"] = np.nan
    losses = out["losses"].astype("float64")
    out["late_failure_share"] = (out["late_failures"] / losses).where(losses > 0)
    owners = out.iloc[1:].sort_values(
        ["late_failure_share", "owner"], ascending=[False, True], na_position="last", kind="stable"
    )
    return pd.concat([out.iloc[:1], owners], ignore_index=True), median_win


# --------------------------------------------------------------------------- cycle trend
def quarter_label(column: str, fiscal_start: int = 1) -> str:
    """SQL of the fiscal quarter label (``2026Q3``) of a date column (as
    :func:`salesnb.periods.quarter_of`: the fiscal year named by the calendar year it ends in)."""
    shift = (12 - fiscal_start + 1) % 12
    moved = f"({_q(column)} + INTERVAL {shift} MONTH)"
    return f"CAST(year({moved}) AS VARCHAR) || 'Q' || CAST(quarter({moved}) AS VARCHAR)"


def cycle_by_quarter(
    run: Run, won: str, quarters: Sequence[str], *, fiscal_start: int = 1
) -> pd.DataFrame:
    """Won deals with a valid cycle and their median cycle days per quarter (every quarter of
    ``quarters``, in that order; none won: 0 deals and no median)."""
    got = run(
        f"SELECT {quarter_label('close_date', fiscal_start)} AS quarter, count(*) AS won_deals, "
        f"median(days) AS median_cycle_days FROM (SELECT close_date, {_DAYS} AS days "
        f"FROM {won} AS r) AS d WHERE days IS NOT NULL GROUP BY 1"
    )
    out = got.set_index("quarter")[["won_deals", "median_cycle_days"]].reindex(list(quarters))
    out["won_deals"] = out["won_deals"].fillna(0).astype("int64")
    out["median_cycle_days"] = out["median_cycle_days"].astype("float64")
    return out.rename_axis("quarter").reset_index()


# --------------------------------------------------------------------------- the network
def by_source(run: Run, closed: str, *, source: bool = True) -> pd.DataFrame:
    """Win rate, median winning cycle and deal size per opportunity source (closed deals).

    Deals without a source count as "not recorded". Columns: source, closed, won, win_rate,
    median_cycle_days_won, avg_deal_size_won, won_amount; highest win rate first.
    """
    name = (
        "replace(coalesce(CAST(source AS VARCHAR), 'not recorded'), '_', ' ')"
        if source
        else "'not recorded'"
    )
    got = run(
        f"SELECT {name} AS source, count(*) AS closed, "
        "count(*) FILTER (WHERE outcome = 'won') AS won, "
        f"median({_DAYS}) FILTER (WHERE outcome = 'won') AS median_cycle_days_won, "
        "count(amount) FILTER (WHERE outcome = 'won') AS amounts, "
        # rounded to the cent: parallel sums differ in the last bits
        "round(sum(CAST(amount AS DOUBLE)) FILTER (WHERE outcome = 'won'), 2) AS won_amount "
        f"FROM {closed} AS r GROUP BY 1"
    )
    if got.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "source": got["source"].astype("str"),
            "closed": got["closed"].astype("int64"),
            "won": got["won"].astype("int64"),
        }
    )
    out["win_rate"] = out["won"] / out["closed"]
    out["median_cycle_days_won"] = got["median_cycle_days_won"].astype("float64")
    amounts = got["amounts"].astype("float64")
    out["avg_deal_size_won"] = (got["won_amount"].astype("float64") / amounts).where(amounts > 0)
    out["won_amount"] = got["won_amount"].astype("float64").fillna(0.0)
    return out.sort_values(["win_rate", "source"], ascending=[False, True]).reset_index(drop=True)
