"""Aggregates over raw lines, computed where the data lives: only sums reach pandas.

Each aggregate is defined once, as SQL in DuckDB's dialect, and runs on the data set's
engine (:attr:`DataSet.engine <salesnb.dataset.core.DataSet.engine>`): as written on
DuckDB (local CSV / Parquet), transpiled by sqlglot on Spark (a cluster). The SQL keeps
to what both accept once transpiled: dates inlined as ``DATE '...'`` literals (typed
values, never user text), ``GROUP BY`` ordinals, ``FILTER (WHERE ...)``, joins instead of
correlated subqueries. Measured on the 2M-line Parquet demo, this form costs nothing on
DuckDB (bench/bench_pareto.py; the notes in bench/bench_spark.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ..schema import DataError
from .core import DataSet
from .core import quote_ident as _q
from .core import quote_literal as _lit

__all__ = [
    "activity_by_account",
    "activity_coverage",
    "cases_by_account",
    "cases_opened",
    "event_span",
    "last_activity",
    "lines_by_account",
    "prior_spend_coverage",
    "revenue_by",
    "revenue_line_counts",
    "spend_to_date",
]


def _date(d: Any) -> str:
    """A date literal both DuckDB and (transpiled) Spark read."""
    return f"DATE '{pd.Timestamp(d).date()}'"


def revenue_by(
    ds: DataSet,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    by: tuple[str, ...] = ("account_id",),
    fiscal_start: int = 1,
    products: Sequence[str] | None = None,
    with_account: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Net revenue per ``by`` in ``[start, end]``, aggregated where the data lives.

    Revenue comes from order lines when the data set has them (net: credits and
    cancellations count negative), else from won opportunities at their close date.
    Lines without an account are left out and counted in the returned info.

    ``by`` may include ``quarter`` (the fiscal quarter label of each line's date).
    ``products``: only the lines of these products. ``with_account``: only lines with an
    account also when ``by`` has no account_id (revenue per product that the accounts
    bought, as a per-account table summed up would give).

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
    if with_account and "account_id" not in by:
        where += " AND account_id IS NOT NULL"
    if products is not None:  # ids are data: quoted as literals, never pasted in
        ids = ", ".join(_lit(str(p)) for p in products)
        where += f" AND product_id IN ({ids})" if ids else " AND FALSE"
    shift = (12 - fiscal_start + 1) % 12  # fiscal year named by the calendar year it ends in
    moved = f"({_q(date)} + INTERVAL {shift} MONTH)"
    period = (
        f"CAST(year({moved}) AS VARCHAR) || 'Q' || CAST(quarter({moved}) AS VARCHAR) AS quarter"
    )
    cols = ", ".join(period if c == "quarter" else _q(c) for c in by)
    table = ds.sql(
        # rounded to the cent: parallel sums differ in the last bits, and ties must rank the same every run
        f"SELECT {cols}, round(sum({_q(value)}), 2) AS revenue, count(*) AS lines FROM {source} "
        f"WHERE {_q(date)} BETWEEN {_date(start)} AND {_date(end)} {where} "
        f"GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}"
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
    has_minutes = "duration_minutes" in ds.columns("activities")
    minutes = "coalesce(duration_minutes, 30)" if has_minutes else "30"
    return ds.sql(
        f"SELECT account_id, count(*) AS activities, sum({minutes}) AS minutes FROM activities "
        f"WHERE activity_date BETWEEN {_date(start)} AND {_date(end)} AND account_id IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
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
        f"SELECT {_date(d)} AS as_of, account_id, round(sum(amount), 2) AS spend FROM {source} "
        f"WHERE {date} <= {_date(d)} AND account_id IS NOT NULL {where} GROUP BY account_id"
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


def event_span(ds: DataSet, table: str, column: str) -> tuple[Any, Any]:
    """First and last value of ``column`` in raw-line table ``table`` (None, None when empty)."""
    got = ds.sql(f"SELECT min({_q(column)}) AS lo, max({_q(column)}) AS hi FROM {table}")
    return got["lo"].iloc[0], got["hi"].iloc[0]


def lines_by_account(ds: DataSet, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Order lines per account dated in ``[start, end]`` (lines without an account left out)."""
    return ds.sql(
        "SELECT account_id, count(*) AS lines FROM orders "
        f"WHERE order_date BETWEEN {_date(start)} AND {_date(end)} "
        "AND account_id IS NOT NULL GROUP BY 1"
    )


def revenue_line_counts(
    run: Callable[[str], pd.DataFrame],
    *,
    table: str,
    date: str,
    columns: tuple[str, ...],
    won_only: bool,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, float]:
    """One pass over the revenue lines of ``table``: what is used, what is left out and why.

    ``run`` runs the query: :meth:`DataSet.sql` for order lines, or a connection over the
    opportunities (with outcomes read from their stages). Keys: total, not_won, no_date,
    outside, no_amount, no_account (+ _value), accounts, ranked, used, nonpositive
    (+ _lines, _value), credits, credits_netted, credit_value, no_product.
    """
    won = "coalesce(outcome = 'won', FALSE)" if won_only else "TRUE"
    no_product = "product_id IS NULL" if "product_id" in columns else "TRUE"
    inside = f"coalesce(d BETWEEN {_date(start)} AND {_date(end)}, FALSE)"
    # abs(v) < 1e308: a finite number (NaN and infinity compare above every number in both engines)
    usable = "v IS NOT NULL AND abs(v) < 1e308"
    lines = (
        f"SELECT account_id AS a, {date} AS d, CAST(amount AS DOUBLE) AS v, {won} AS won, "
        f"{no_product} AS no_product FROM {table}"
    )
    # Two parts, one query: counts over every line without grouping (cheap: no hash table),
    # and the per-account sums over the lines used only (a quarter is an eighth of two years'
    # lines). Grouping every line by account with all the filters cost twice as long. The
    # lines are read twice rather than shared through one CTE: DuckDB materialises a CTE
    # used twice, which costs more than a second scan (bench/bench_pareto.py).
    query = f"""
    WITH everything AS (
        SELECT
            count(*) AS total,
            count(*) FILTER (WHERE NOT won) AS not_won,
            count(*) FILTER (WHERE won AND d IS NULL) AS no_date,
            count(*) FILTER (WHERE won AND d IS NOT NULL AND NOT {inside}) AS outside,
            count(*) FILTER (WHERE won AND {inside} AND NOT ({usable})) AS no_amount
        FROM ({lines}) s),
    acc AS (
        SELECT a,
            count(*) AS lines,
            round(sum(v), 2) AS net,
            count(*) FILTER (WHERE v < 0) AS credits,
            coalesce(sum(v) FILTER (WHERE v < 0), 0) AS credit_value,
            count(*) FILTER (WHERE no_product) AS no_product
        FROM ({lines}) s WHERE won AND {inside} AND {usable} GROUP BY a),
    used AS (
        SELECT
            coalesce(sum(lines) FILTER (WHERE a IS NULL), 0) AS no_account,
            coalesce(sum(net) FILTER (WHERE a IS NULL), 0) AS no_account_value,
            count(*) FILTER (WHERE a IS NOT NULL) AS accounts,
            count(*) FILTER (WHERE a IS NOT NULL AND net > 0) AS ranked,
            coalesce(sum(lines) FILTER (WHERE a IS NOT NULL AND net > 0), 0) AS used,
            count(*) FILTER (WHERE a IS NOT NULL AND net <= 0) AS nonpositive,
            coalesce(sum(lines) FILTER (WHERE a IS NOT NULL AND net <= 0), 0) AS nonpositive_lines,
            coalesce(sum(net) FILTER (WHERE a IS NOT NULL AND net <= 0), 0) AS nonpositive_value,
            coalesce(sum(credits) FILTER (WHERE a IS NOT NULL), 0) AS credits,
            coalesce(sum(credits) FILTER (WHERE a IS NOT NULL AND net > 0), 0) AS credits_netted,
            coalesce(sum(credit_value) FILTER (WHERE a IS NOT NULL), 0) AS credit_value,
            coalesce(sum(no_product) FILTER (WHERE a IS NOT NULL), 0) AS no_product
        FROM acc)
    SELECT * FROM everything CROSS JOIN used
    """
    row = run(query).iloc[0]
    return {k: float(v) for k, v in row.items()}


def prior_spend_coverage(ds: DataSet, table: str, start: pd.Timestamp) -> dict[str, int]:
    """Rows of the revenue table (orders, or opportunities: won ones) before ``start``:
    total, used (with an account), not_won, later (in or after ``start``, or undated),
    no_account."""
    date, won = (
        ("order_date", "TRUE")
        if table == "orders"
        else ("close_date", "coalesce(outcome = 'won', FALSE)")
    )
    d = _date(start)
    got = ds.sql(
        f"SELECT count(*) AS total, "
        f"count(*) FILTER (WHERE {won} AND {date} < {d} AND account_id IS NOT NULL) AS used, "
        f"count(*) FILTER (WHERE NOT ({won})) AS not_won, "
        f"count(*) FILTER (WHERE {won} AND ({date} >= {d} OR {date} IS NULL)) AS later, "
        f"count(*) FILTER (WHERE {won} AND {date} < {d} AND account_id IS NULL) AS no_account "
        f"FROM {table}"
    ).iloc[0]
    return {k: int(v) for k, v in got.items()}


def activity_coverage(ds: DataSet, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, int]:
    """Activities: total, in_window (``[start, end]``), and of those no_account, unknown
    (an account the accounts table lacks) and no_minutes (known account, no duration)."""
    has_minutes = "duration_minutes" in ds.columns("activities")
    no_minutes = "x.duration_minutes IS NULL" if has_minutes else "TRUE"
    inside = f"x.activity_date BETWEEN {_date(start)} AND {_date(end)}"
    known = "k.known_id IS NOT NULL"
    got = ds.sql(
        f"SELECT count(*) AS total, "
        f"count(*) FILTER (WHERE {inside}) AS in_window, "
        f"count(*) FILTER (WHERE {inside} AND x.account_id IS NULL) AS no_account, "
        f"count(*) FILTER (WHERE {inside} AND x.account_id IS NOT NULL AND NOT {known}) AS unknown, "
        f"count(*) FILTER (WHERE {inside} AND {known} AND {no_minutes}) AS no_minutes "
        "FROM activities x LEFT JOIN (SELECT DISTINCT account_id AS known_id FROM accounts) k "
        "ON k.known_id = x.account_id"
    ).iloc[0]
    return {k: int(v) for k, v in got.items()}


def cases_opened(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The cases opened in ``[start, end]``, as a relation on the data set's engine."""
    return f"(SELECT * FROM cases WHERE opened_date BETWEEN {_date(start)} AND {_date(end)})"


def cases_by_account(run: Callable[[str], pd.DataFrame], relation: str) -> pd.DataFrame:
    """Cases per account in ``relation`` (e.g. :func:`cases_opened`), cases without an account
    left out: account_id, cases; by account id. ``run``: ``DataSet.sql``, or
    :func:`salesnb.dataset.deals.on_frames` over a cases frame."""
    got = run(
        f"SELECT account_id, count(*) AS cases FROM {relation} AS c "
        "WHERE account_id IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    return got.astype({"cases": "int64"})
