"""Raw-line aggregates (salesnb.dataset.aggregates) and the engines' result cache, on
hand-made lines whose answers are worked out below."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from salesnb.dataset import aggregates as agg
from salesnb.dataset.engines import DuckDBEngine, ResultCache

START, END = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30")


def _lines() -> pd.DataFrame:
    """Eight order lines, window 2026Q3:

    A1: 100 and a credit of -30 in the window (net 70, ranked), one line without an amount;
    A2: 50 (no product) and -80 in the window (net -30: not positive);
    no account: 20 in the window; A3: one line in May (outside), one without a date.
    """
    return pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A2", None, "A3", "A3", "A1"],
            "order_date": pd.to_datetime(
                [
                    "2026-07-05",
                    "2026-08-01",
                    "2026-07-10",
                    "2026-09-30",
                    "2026-07-15",
                    "2026-05-01",
                    None,
                    "2026-07-20",
                ]
            ),
            "amount": [100.0, -30.0, 50.0, -80.0, 20.0, 500.0, 10.0, None],
            "product_id": ["P1", "P1", None, "P2", "P1", "P1", "P1", "P1"],
        }
    )


def _counts(df: pd.DataFrame, table: str, *, won_only: bool) -> dict[str, float]:
    con = duckdb.connect()
    con.register(table, df)
    date = "close_date" if won_only else "order_date"
    return agg.revenue_line_counts(
        lambda q: con.execute(q).df(),
        table=table,
        date=date,
        columns=tuple(df.columns),
        won_only=won_only,
        start=START,
        end=END,
    )


EXPECTED = {
    "total": 8,
    "not_won": 0,
    "no_date": 1,
    "outside": 1,
    "no_amount": 1,
    "no_account": 1,
    "no_account_value": 20,
    "accounts": 2,
    "ranked": 1,
    "used": 2,
    "nonpositive": 1,
    "nonpositive_lines": 2,
    "nonpositive_value": -30,
    "credits": 2,
    "credits_netted": 1,
    "credit_value": -110,
    "no_product": 1,
}


def test_line_counts_say_what_is_used_and_why_the_rest_is_not():
    got = _counts(_lines(), "orders", won_only=False)
    assert list(got) == list(EXPECTED)  # the documented order of the keys
    assert got == pytest.approx({k: float(v) for k, v in EXPECTED.items()})


def test_line_counts_of_won_deals_count_the_others_as_not_won():
    deals = _lines().rename(columns={"order_date": "close_date"})
    deals["outcome"] = ["won"] * 7 + ["lost"]  # the line without an amount was lost
    deals.loc[len(deals)] = ["A1", pd.Timestamp("2026-07-02"), 999.0, "P1", None]  # no outcome
    got = _counts(deals, "opportunities", won_only=True)
    assert got["total"] == 9 and got["not_won"] == 2 and got["no_amount"] == 0
    assert got["used"] == 2 and got["credit_value"] == -110


def test_line_counts_of_a_window_without_lines():
    con = duckdb.connect()
    con.register("orders", _lines())
    got = agg.revenue_line_counts(
        lambda q: con.execute(q).df(),
        table="orders",
        date="order_date",
        columns=("account_id", "order_date", "amount"),  # no product_id: every line has none
        won_only=False,
        start=pd.Timestamp("2030-01-01"),
        end=pd.Timestamp("2030-03-31"),
    )
    assert got["total"] == 8 and got["outside"] == 7 and got["no_date"] == 1
    assert all(got[k] == 0 for k in ("accounts", "ranked", "used", "credits", "no_product"))


class _Counting:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, query: str, params: list | None) -> pd.DataFrame:
        self.runs += 1
        return pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})


def test_a_query_asked_again_is_not_run_again_and_callers_cannot_spoil_it():
    cache, run = ResultCache(), _Counting()
    first = cache.get("SELECT 1", None, run)
    first.loc[0, "x"] = 99.0  # a caller changing its frame
    first["s"] = "changed"
    again = cache.get("SELECT 1", None, run)
    assert run.runs == 1
    pd.testing.assert_frame_equal(again, pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]}))
    cache.get("SELECT 1", [pd.Timestamp("2026-01-01").date()], run)  # other parameters
    assert run.runs == 2


def test_statements_and_unhashable_parameters_always_run():
    cache, run = ResultCache(), _Counting()
    for _ in range(2):
        cache.get("CREATE VIEW v AS SELECT 1", None, run)
        cache.get("SELECT ?", [[1, 2]], run)
    assert run.runs == 4 and cache.bytes == 0


def test_the_cache_keeps_the_most_recent_results_within_its_budget():
    one = int(_Counting()("", None).memory_usage(index=True, deep=True).sum())
    cache, run = ResultCache(max_bytes=2 * one), _Counting()
    for q in ("SELECT 1", "SELECT 2", "SELECT 1", "SELECT 3"):  # 2 is the least recent
        cache.get(q, None, run)
    assert run.runs == 3 and cache.bytes == 2 * one
    cache.get("SELECT 1", None, run)
    assert run.runs == 3
    cache.get("SELECT 2", None, run)
    assert run.runs == 4
    small = ResultCache(max_bytes=one - 1)
    small.get("SELECT 1", None, run)
    small.get("SELECT 1", None, run)
    assert run.runs == 6 and small.bytes == 0  # larger than the whole budget: not kept


def test_the_duckdb_engine_answers_from_its_cache():
    con = duckdb.connect()
    con.register("orders", _lines())
    engine = DuckDBEngine(con)
    first = engine.sql("SELECT account_id, sum(amount) AS s FROM orders GROUP BY 1 ORDER BY 1")
    con.unregister("orders")  # a second run would fail: the answer must come from the cache
    pd.testing.assert_frame_equal(
        engine.sql("SELECT account_id, sum(amount) AS s FROM orders GROUP BY 1 ORDER BY 1"), first
    )
