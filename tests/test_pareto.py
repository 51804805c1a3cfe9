"""salesnb.pareto on small frames whose answers were worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb import pareto

# 10 accounts, total 100: top-2 = 70, top-1 = 50, 80% reached by the top 3
REVENUE = pd.DataFrame(
    {
        "account_id": [f"a{i:02d}" for i in range(10)] + ["zero", "minus"],
        "revenue": [50, 20, 10, 5, 5, 4, 3, 1, 1, 1, 0, -5],
    }
)


@pytest.fixture
def table():
    return pareto.concentration(REVENUE)


def test_concentration_hand_worked(table):
    assert len(table) == 10  # zero and negative revenue are not ranked
    assert table["account_id"].tolist()[:3] == ["a00", "a01", "a02"]
    assert table["share"].tolist()[:3] == [0.5, 0.2, 0.1]
    assert table["cum_share"].round(2).tolist() == [
        0.5,
        0.7,
        0.8,
        0.85,
        0.9,
        0.94,
        0.97,
        0.98,
        0.99,
        1.0,
    ]
    assert table["abc"].tolist() == ["A", "A", "A", "B", "B", "B", "B", "C", "C", "C"]
    assert table["rank"].tolist() == list(range(1, 11))


def test_ties_are_broken_by_id():
    df = pd.DataFrame({"account_id": ["b", "a", "c"], "revenue": [5.0, 5.0, 1.0]})
    assert pareto.concentration(df)["account_id"].tolist() == ["a", "b", "c"]


def test_lines_are_summed_per_account():
    df = pd.DataFrame({"account_id": ["a", "b", "a"], "revenue": [1.0, 3.0, 4.0]})
    out = pareto.concentration(df)
    assert out["revenue"].tolist() == [5.0, 3.0]


def test_fractal_levels_hand_worked(table):
    levels = pareto.fractal_levels(table)
    assert levels["k"].tolist() == [2, 1, 1]  # ceil(0.2*10), ceil(0.04*10), ceil(0.008*10)
    assert levels["actual_share"].tolist() == pytest.approx([0.7, 0.5, 0.5])
    assert levels["theoretical_share"].tolist() == pytest.approx([0.8, 0.64, 0.512])
    assert levels["gap"].tolist() == pytest.approx([-0.1, -0.14, -0.012])


def test_measures_hand_worked(table):
    # ascending values 1,1,1,3,4,5,5,10,20,50: sum(i*x) = 863, G = 2*863/(10*100) - 11/10
    assert pareto.gini(table["revenue"]) == pytest.approx(0.626)
    assert pareto.herfindahl(table["revenue"]) == pytest.approx(0.3078)
    assert pareto.share_for(table, 0.8) == pytest.approx(0.3)
    assert pareto.share_for(table, 0.5) == pytest.approx(0.1)
    assert pareto.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert pareto.gini([357913941.4865464] * 2) == 0.0  # found by hypothesis: rounding gave -2e-16


def test_top_k():
    assert [pareto.top_k(10, p) for p in (0.2, 0.04, 0.008)] == [2, 1, 1]
    assert (
        pareto.top_k(100, 0.2) == 20 and pareto.top_k(101, 0.2) == 21 and pareto.top_k(0, 0.2) == 0
    )


def test_movement():
    now = pareto.concentration(
        pd.DataFrame({"account_id": list("abcdefghij"), "revenue": range(10, 0, -1)})
    )
    before = pareto.concentration(
        pd.DataFrame({"account_id": list("cbadefghij"), "revenue": range(10, 0, -1)})
    )
    moves = pareto.movement(now, before, share=0.2)  # top 2: {a, b} now, {c, b} before
    assert dict(zip(moves["account_id"], moves["status"], strict=True)) == {
        "a": "entered",
        "c": "left",
        "b": "stayed",
    }
    assert moves.set_index("account_id").loc["c", "rank_now"] == 3


LINES = pd.DataFrame(
    {
        "account_id": ["A", "B", "A", "C", "B"],
        "product_id": ["P1", "P1", "P2", "P3", "P3"],
        "revenue": [100.0, 50.0, 1000.0, 200.0, 20.0],
    }
)
PRODUCTS = pd.DataFrame(
    {
        "product_id": ["P1", "P2", "P3"],
        "product_name": ["One", "Two", "Three"],
        "commission_rate": [0.1, 0.01, 0.05],
    }
)


def test_chained_hand_worked():
    # commission: P1 150*0.1 = 15, P3 220*0.05 = 11, P2 1000*0.01 = 10 (P2 has the most revenue!)
    chain = pareto.chained(LINES, PRODUCTS, cutoff=0.7)
    prod = chain["products"]
    assert prod["product_id"].tolist() == ["P1", "P3", "P2"]
    assert prod["commission"].tolist() == pytest.approx([15.0, 11.0, 10.0])
    assert prod["vital"].tolist() == [True, True, False]
    cust = chain["customers"]  # revenue on P1 and P3: C 200, A 100, B 70
    assert cust["account_id"].tolist() == ["C", "A", "B"]
    assert cust["revenue"].tolist() == [200.0, 100.0, 70.0]
    assert cust["vital"].tolist() == [True, True, False]
    plan = pareto.time_plan(cust, weekly_hours=40, focus_share=0.8)
    # 32 h for the vital few in proportion 200:100, 8 h for the rest
    assert plan["hours_per_week"].tolist() == pytest.approx([64 / 3, 32 / 3, 8.0])
    vital = pareto.vital_list(
        cust, pd.DataFrame({"account_id": ["A", "C"], "account_name": ["Aco", "Cco"]}), plan
    )
    assert vital["account_name"].tolist() == ["Cco", "Aco"]


def test_products_without_rate_earn_nothing():
    prod = pareto.commission_table(LINES, PRODUCTS.drop(columns="commission_rate"))
    assert prod.empty  # no positive commission at all


def test_complaints_hand_worked():
    cases = pd.DataFrame({"account_id": ["A"] * 5 + ["B"] * 3 + ["C", "D"]})
    revenue = pd.DataFrame({"account_id": ["A", "C", "E"], "revenue": [10.0, 100.0, 50.0]})
    table = pareto.complaints_table(
        cases, revenue, top=0.25
    )  # top 1 of 4 by cases, top 1 of 3 by revenue
    assert table["account_id"].tolist() == ["A", "B", "C", "D"]
    assert table["case_share"].tolist() == pytest.approx([0.5, 0.3, 0.1, 0.1])
    assert table.set_index("account_id")["quadrant"].to_dict() == {
        "A": "demanding only",
        "B": "neither",
        "C": "valuable & easy",
        "D": "neither",
    }
    text = pareto.complaints_summary(table)
    assert "4 accounts opened 10 cases" in text
    assert "no cases table" in pareto.complaints_summary(None)


def test_metrics_names_and_precision(table):
    levels = pareto.fractal_levels(table)
    m = pareto.metrics(table, levels, None, source="orders")
    assert m["n_accounts"] == 10 and m["revenue_total"] == 100
    assert m["share_top_20pct"] == pytest.approx(0.7) and m["share_top_0_8pct"] == pytest.approx(
        0.5
    )
    assert m["accounts_share_for_80pct"] == pytest.approx(0.3)
    assert m["complaints_share_top_20pct"] is None


def test_verdict_reads_sensibly_when_not_80_20(table):
    assert "flatter than 80/20" in pareto.verdict(pareto.fractal_levels(table))
    steep = pareto.concentration(
        pd.DataFrame({"account_id": list("abcdefghij"), "revenue": [91] + [1] * 9})
    )
    assert "more concentrated" in pareto.verdict(pareto.fractal_levels(steep))


def test_empty_window():
    empty = pareto.concentration(pd.DataFrame({"account_id": [], "revenue": []}))
    assert empty.empty and "nothing to rank" in pareto.verdict(pareto.fractal_levels(empty))


def test_missing_column_is_a_clear_error():
    with pytest.raises(Exception, match="needs column"):
        pareto.concentration(pd.DataFrame({"account": ["a"], "revenue": [1.0]}))


def test_inputs_are_not_modified():
    before = LINES.copy()
    pareto.chained(LINES, PRODUCTS)
    pd.testing.assert_frame_equal(LINES, before)


values = st.lists(
    st.floats(min_value=0.01, max_value=1e9, allow_nan=False), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(values)
def test_shares_sum_to_one_and_cumulate_monotonically(xs):
    df = pd.DataFrame({"account_id": [f"a{i}" for i in range(len(xs))], "revenue": xs})
    t = pareto.concentration(df)
    assert t["share"].sum() == pytest.approx(1.0)
    assert (np.diff(t["cum_share"]) >= -1e-12).all() and t["cum_share"].iloc[-1] == pytest.approx(
        1.0
    )
    assert (np.diff(t["revenue"]) <= 0).all()
    assert 0 <= pareto.gini(xs) < 1
    levels = pareto.fractal_levels(t)
    assert (
        levels["actual_share"] >= levels["entity_share"] - 1e-9
    ).all()  # the top can't hold less than its share


@settings(max_examples=40, deadline=None)
@given(values, st.floats(min_value=1, max_value=80), st.floats(min_value=0.05, max_value=1.0))
def test_time_plan_sums_to_the_week(xs, hours, focus):
    df = pd.DataFrame({"account_id": [f"a{i}" for i in range(len(xs))], "revenue": xs})
    t = pareto.concentration(df)
    t["vital"] = (t["cum_share"] - t["share"]) < 0.8
    plan = pareto.time_plan(t, weekly_hours=hours, focus_share=focus)
    assert plan["hours_per_week"].sum() == pytest.approx(hours)


def test_without_commission_rates_products_rank_by_revenue():
    chain = pareto.chained(LINES, PRODUCTS.drop(columns="commission_rate"), cutoff=0.7)
    assert chain["basis"] == "revenue"
    assert chain["products"]["product_id"].tolist() == ["P2", "P3", "P1"]  # 1000, 220, 150
    assert chain["products"]["commission_rate"].isna().all()
    assert "ranked by revenue" in pareto.chain_note(chain, 0.7)


def test_coverage_note_names_the_source():
    info = {
        "source": "opportunities",
        "lines": 1196,
        "unassigned_lines": 3,
        "unassigned_revenue": 1500.0,
    }
    assert pareto.coverage_note(info, "USD") == (
        "Revenue from 1,196 won opportunities in the window; without an account (left out): 3 worth 2k USD."
    )
