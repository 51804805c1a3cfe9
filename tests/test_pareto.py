"""salesnb.pareto on small frames and tiny data sets whose answers were worked out by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb import pareto, report
from salesnb.analysis import NotAnalysable
from salesnb.notebook import _jsonable
from salesnb.sources import load_dataset

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_pareto.ipynb"

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


# --------------------------------------------------------------------------- compute functions
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
    assert levels["accounts"].tolist() == [2, 1, 1]  # ceil(0.2*10), ceil(0.04*10), ceil(0.008*10)
    assert levels["actual_share"].tolist() == pytest.approx([0.7, 0.5, 0.5])
    assert levels["theoretical_share"].tolist() == pytest.approx([0.8, 0.64, 0.512])
    assert levels["share_gap"].tolist() == pytest.approx([-0.1, -0.14, -0.012])


def test_fractal_levels_say_when_a_level_is_one_account_or_repeats():
    # 85 accounts (Maven's count): k = ceil(17) = 17, ceil(3.4) = 4, ceil(0.68) = 1
    t = pareto.concentration(
        pd.DataFrame({"account_id": [f"a{i:02d}" for i in range(85)], "revenue": range(85, 0, -1)})
    )
    levels = pareto.fractal_levels(t)
    assert levels["accounts"].tolist() == [17, 4, 1]
    assert levels["note"].tolist() == ["", "", "single account"]
    # 10 accounts: 2, 1, 1 -> the 0.8% level is the 4% level again
    levels = pareto.fractal_levels(pareto.concentration(REVENUE))
    assert levels["note"].tolist() == [
        "",
        "single account",
        "single account; same accounts as the level above",
    ]


def test_measures_hand_worked(table):
    # ascending values 1,1,1,3,4,5,5,10,20,50: sum(i*x) = 863, G = 2*863/(10*100) - 11/10
    assert pareto.gini(table["revenue"]) == pytest.approx(0.626)
    assert pareto.herfindahl(table["revenue"]) == pytest.approx(0.3078)
    assert pareto.share_for(table, 0.8) == pytest.approx(0.3)
    assert pareto.share_for(table, 0.5) == pytest.approx(0.1)
    assert pareto.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert pareto.gini([357913941.4865464] * 2) == 0.0  # found by hypothesis: rounding gave -2e-16


def test_non_finite_values_never_reach_a_measure():
    df = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "revenue": [np.inf, 3.0, np.nan, 1.0]})
    t = pareto.concentration(df)
    assert t["account_id"].tolist() == ["b", "c", "d"][::2]  # inf and NaN are not ranked
    assert t["share"].tolist() == [0.75, 0.25]
    assert pareto.gini([np.inf, 1.0, 1.0]) == 0.0 and pareto.herfindahl([np.nan, 2.0]) == 1.0
    m = pareto.measures(pareto.concentration(df.iloc[:1]))  # inf only: nothing ranked
    assert m == {"n": 0, "total": 0.0, "gini": None, "herfindahl": None, "share_for_cutoff": None}


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
    vital = pareto.vital_list(cust, pd.Series({"A": "Aco", "C": "Cco"}), plan)
    assert vital["account_name"].tolist() == ["Cco", "Aco"]
    assert pareto.vital_list(cust, None, plan)["account_name"].tolist() == ["C", "A"]


def test_products_without_rate_earn_nothing():
    prod = pareto.commission_table(LINES, PRODUCTS.drop(columns="commission_rate"))
    assert prod.empty  # no positive commission at all


def test_without_commission_rates_products_rank_by_revenue():
    chain = pareto.chained(LINES, PRODUCTS.drop(columns="commission_rate"), cutoff=0.7)
    assert chain["basis"] == "revenue"
    assert chain["products"]["product_id"].tolist() == ["P2", "P3", "P1"]  # 1000, 220, 150
    assert chain["products"]["commission_rate"].isna().all()


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


def test_verdict_has_four_bands_read_from_the_data():
    """Regression: 69% and 37% in the top fifth both read "far flatter than 80/20"."""
    assert len(pareto.VERDICT_BANDS) >= 4
    edges = [edge for edge, _, _ in pareto.VERDICT_BANDS]
    assert edges == sorted(edges, reverse=True) and edges[0] == 0.8 and edges[-1] == 0.0
    keys = [pareto.band(s)[0] for s in (0.85, 0.80, 0.75, 0.69, 0.37)]  # type: ignore[index]
    assert keys == ["steeper", "steeper", "close", "flatter", "far_flatter"]
    assert pareto.band(None) is None and pareto.band(float("nan")) is None

    def said(first: list[float]) -> str:
        rest = [1.0] * 16  # 20 accounts: the top 20% is 4 of them
        t = pareto.concentration(
            pd.DataFrame({"account_id": [f"a{i:02d}" for i in range(20)], "revenue": first + rest})
        )
        return pareto.verdict(pareto.fractal_levels(t))

    # top 4 hold x / (x + 16): 4 x 16 = 64 -> 80%; 4 x 9 = 36 -> 69%; 4 x 2.35 -> 37%
    assert "as steep as the 80/20 rule or steeper" in said([16.0] * 4)
    assert "flatter than 80/20 (theory 80%)" in said([9.0] * 4)
    assert "far flatter" not in said([9.0] * 4)
    assert "far flatter than 80/20" in said([2.35] * 4)
    assert "close to 80/20" in said([13.0] * 4)  # 52 / 68 = 76%


def test_verdict_on_one_account_and_on_nothing():
    one = pareto.concentration(pd.DataFrame({"account_id": ["a"], "revenue": [5.0]}))
    assert "Only one account" in pareto.verdict(pareto.fractal_levels(one))
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


# --------------------------------------------------------------------------- plots
def _line_reaching(ax, cutoff: float):
    """The cumulative line of a Pareto chart (on the twin axes) and its points."""
    twin = next(other for other in ax.figure.axes if other is not ax)
    line = max(twin.get_lines(), key=lambda ln: len(ln.get_xdata()))
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


@pytest.mark.parametrize("n", [25, 347])
def test_pareto_chart_title_agrees_with_what_is_drawn(n):
    """Regression: "70 of 347 make 80%" over 60 bars whose line never reached 80%."""
    revenue = 1.0 / np.arange(1, n + 1) ** 0.6
    t = pareto.concentration(
        pd.DataFrame({"account_id": [f"a{i:04d}" for i in range(n)], "revenue": revenue})
    )
    ax = pareto.plot_pareto(t, cutoff=0.8, max_bars=60)
    k = int((t["cum_share"] - t["share"] < 0.8).sum())  # accounts needed to reach 80%
    assert ax.get_title() == f"{k:,} of {n:,} accounts ({k / n:.0%}) make 80% of revenue"
    x, y = _line_reaching(ax, 0.8)
    assert len(x) == n and y.max() >= 0.8  # the line covers every account and reaches the mark
    assert x[np.argmax(y >= 0.8 - 1e-12)] == k  # ... exactly at the k of the title
    assert ax.get_xlim()[1] >= n  # every account is on the axis
    if n <= 60:
        assert len(ax.patches) == n  # one bar per account
    plt.close("all")


def test_plots_draw_names_with_dollars_as_text():
    t = pareto.concentration(
        pd.DataFrame({"account_id": ["$a$", "b_$x", "c%"], "revenue": [3.0, 2.0, 1.0]})
    )
    for ax in (pareto.plot_pareto(t, currency="$"), pareto.plot_lorenz(t)):
        ax.figure.canvas.draw()
    levels = pareto.fractal_levels(t)
    pareto.plot_fractal(levels).figure.canvas.draw()
    cases = pd.DataFrame({"account_id": ["$a$", "$a$", "c%"]})
    comp = pareto.complaints_table(cases, t[["account_id", "revenue"]])
    ax = pareto.plot_complaints(comp, currency="$")
    ax.figure.canvas.draw()
    assert ax.get_title() == "1 account is both top revenue and top complainer"
    empty = pareto.concentration(pd.DataFrame({"account_id": [], "revenue": []}))
    assert pareto.plot_pareto(empty).get_title() == "no positive values"
    plt.close("all")


# --------------------------------------------------------------------------- analyze on tiny data sets
def write_set(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text.strip() + "\n", encoding="utf-8")
    return folder


ACCOUNTS = """
account_id,account_name
A1,Alpha $ Co
A2,Beta & Sons
A3,Gamma
A4,Delta
A5,Epsilon
"""
# 2026Q3 is 2026-07-01 .. 2026-09-30. In the window, by account:
#   A1 500 - 100 (credit) = 400, A2 300, A3 200, A4 100, A5 -50 (net negative: not ranked),
#   one line without an account (70); two lines in 2026Q2 (A1 1000, A2 1200)
ORDERS = """
order_id,account_id,order_date,amount,product_id
L1,A1,2026-07-05,500,P1
L2,A1,2026-08-01,-100,P1
L3,A2,2026-07-10,300,P2
L4,A3,2026-08-20,200,P2
L5,A4,2026-09-01,100,P1
L6,A5,2026-09-02,-50,P2
L7,,2026-07-15,70,P1
L8,A1,2026-04-10,1000,P1
L9,A2,2026-05-10,1200,P2
"""
PRODUCTS_CSV = """
product_id,product_name,commission_rate
P1,Platform,0.1
P2,Service,0.02
"""
CASES = """
case_id,account_id,opened_date
C1,A2,2026-07-02
C2,A2,2026-07-03
C3,A5,2026-08-01
C4,A1,2026-03-01
C5,,2026-08-05
"""


def analyze(folder: Path, quarter: str = "2026Q3", **params) -> pareto.ParetoAnalysis:
    ds = load_dataset(folder)
    assert not ds.errors, [p.describe() for p in ds.errors]  # `salesnb check` accepts it
    return pareto.analyze(ds, pareto.Params(quarter=quarter, **params))


def contract(a: pareto.ParetoAnalysis) -> None:
    """JSON metrics (no NaN / inf), a reason per absent section, every chart drawn or explained."""
    json.dumps(_jsonable(a.metrics), allow_nan=False)
    assert all(isinstance(v, str) and len(v) > 15 for v in a.absent.values())
    for name in a.charts:
        ax = a.chart(name)
        assert ax is not None or a.reason(name)
    plt.close("all")


@pytest.fixture
def small(tmp_path) -> Path:
    return write_set(
        tmp_path / "small",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ORDERS,
            "products.csv": PRODUCTS_CSV,
            "cases.csv": CASES,
        },
    )


def test_analyze_hand_worked(small):
    a = analyze(small)
    contract(a)
    m = a.metrics
    # ranked: A1 400, A2 300, A3 200, A4 100 (total 1000); the window's net adds A5's -50
    assert m["n_accounts"] == 4 and m["revenue_source"] == "orders"
    assert m["revenue_total"] == pytest.approx(1000) and m["revenue_ranked"] == pytest.approx(1000)
    assert m["revenue_net"] == pytest.approx(950)
    # top 20% of 4 = 1 account (A1, 40%); 80% needs A1, A2, A3 (before: 0, .4, .7) -> 3 of 4
    assert m["share_top_20pct"] == pytest.approx(0.4) and m["share_top_0_8pct"] == pytest.approx(
        0.4
    )
    assert m["accounts_share_for_80pct"] == pytest.approx(0.75) and m["vital_few_accounts"] == 3
    # Gini of 100,200,300,400: 2 * (100 + 400 + 900 + 1600) / (4 * 1000) - 5/4 = 0.25
    assert m["gini"] == pytest.approx(0.25) and m["herfindahl"] == pytest.approx(0.30)
    assert m["pareto_band"] == "far_flatter"
    assert a.tables["ranking"]["account_name"].tolist() == [
        "Alpha $ Co",
        "Beta & Sons",
        "Gamma",
        "Delta",
    ]
    # 2026Q2: A2 1200, A1 1000 -> top 1 was A2, now A1
    assert m["top_group_entered"] == 1 and m["top_group_left"] == 1
    moves = a.tables["movement"].set_index("account_id")
    assert moves.loc["A1", "status"] == "entered" and moves.loc["A2", "status"] == "left"
    assert moves.loc["A2", "revenue_before"] == 1200
    # commission: P1 (400 + 100) x 0.1 = 50, P2 (300 + 200 - 50) x 0.02 = 9 -> P1 alone is vital
    assert m["commission_basis"] == "commission" and m["vital_products"] == 1
    # customers of P1: A1 400, A4 100 -> A1 vital (80%), A4 starts at 80%: not vital
    assert m["vital_customers"] == 1
    plan = a.tables["time_plan"].set_index("account_id")["hours_per_week"]
    assert plan.to_dict() == pytest.approx({"A1": 24.0, "A4": 6.0})  # 30 h: 80% / 20%
    assert a.tables["vital_few"]["account_name"].tolist() == ["Alpha $ Co"]
    # cases in the window with an account: A2 twice, A5 once; C4 outside, C5 without account
    assert m["cases_in_window"] == 4 and m["top_complaint_account"] == "A2"
    assert m["complaints_share_top_20pct"] == pytest.approx(2 / 3)
    assert len(a.findings) == 5 and a.findings[0] == a.note("ranking")


def test_coverage_counts_lines_credits_and_accounts(small):
    rows = analyze(small).coverage.rows.set_index("table")
    orders = rows.loc["orders"]
    # 9 lines: 5 used (A1-A4, the credit L2 included), 2 outside, 1 without account, 1 of A5
    assert (orders["rows"], orders["used"], orders["left_out"]) == (9, 5, 4)
    assert orders["why"] == (
        "outside the window: 2; order line without an account: 1; "
        "in accounts with zero or negative net revenue: 1"
    )
    credits = rows.loc["credit lines (netted into their account's revenue)"]
    assert (credits["rows"], credits["used"], credits["left_out"]) == (2, 1, 1)  # L2 netted, L6 not
    accounts = rows.loc["accounts with revenue lines in the window"]
    assert (accounts["rows"], accounts["used"]) == (5, 4)
    assert accounts["why"] == "net revenue zero or negative (not ranked): 1"
    cases = rows.loc["cases"]
    assert (cases["rows"], cases["used"], cases["left_out"]) == (5, 3, 2)
    note = analyze(small).note("revenue")
    assert note == (
        "Revenue from 6 order lines in 2026Q3 that name an account; 2 credit lines (negative, "
        "-150 USD) are netted into their accounts' revenue, not ranked on their own. Left out of "
        "the ranking: 1 order line without an account (70 USD) and 1 account whose net revenue "
        "is zero or negative (-50 USD)."
    )


def test_assumptions_name_every_default(small):
    a = analyze(small, cutoff=0.7)
    table = a.assumptions_table().set_index("assumption")
    names = {x.name for x in a.assumptions}
    assert {
        "cutoff",
        "weekly_selling_hours",
        "focus_share",
        "window_kind",
        "theory",
        "verdict_bands",
        "commission_rate",
    } <= names
    assert table.loc["Cumulative share that makes the vital few", "source"] == "set for this run"
    assert table.loc["Selling hours per week", "source"] == "default"
    assert table.loc["80/20 theory at each level", "value"] == "80% / 64% / 51.2%"
    assert table.loc["Verdict bands (top 20%'s share)", "value"] == "80% / 70% / 50%"
    assert table.loc["Commission rates", "value"] == "from products.csv (2 of 2 products)"


def test_quarter_without_data(small):
    """Regression: 01_pareto failed on a quarter without revenue rows."""
    a = analyze(small, quarter="2024Q1")
    contract(a)
    m = a.metrics
    assert m["n_accounts"] == 0 and m["revenue_total"] == 0.0 and m["revenue_net"] == 0.0
    for name in pareto._CONCENTRATION_METRICS:
        assert m[name] is None, name
    assert {"ranking", "fractal", "movement", "chain_products", "vital_few"} <= set(a.absent)
    assert a.absent["ranking"].startswith("No order line with an account falls in 2024Q1")
    assert m["complaints_share_top_20pct"] is None and m["cases_in_window"] == 0
    assert (
        a.absent["complaints"]
        == "No case was opened in 2024Q1, so there are no complaints to rank."
    )
    assert "no concentration figures" in pareto.headline(a)


def test_one_account(tmp_path):
    """Regression: 01_pareto failed on a data set with one account."""
    folder = write_set(
        tmp_path / "one",
        {
            "accounts.csv": "account_id,account_name\nA1,Solo",
            "orders.csv": "order_id,account_id,order_date,amount\nL1,A1,2026-07-05,400\nL2,A1,2026-08-05,600",
        },
    )
    a = analyze(folder)
    contract(a)
    m = a.metrics
    assert m["n_accounts"] == 1 and m["share_top_20pct"] == 1.0 and m["gini"] == 0.0
    assert m["herfindahl"] == 1.0 and m["revenue_total"] == 1000
    assert a.findings[0].startswith("Only one account has positive revenue")
    assert a.tables["fractal"]["accounts"].tolist() == [1, 1, 1]
    assert "With 1 account the top 20% and 4% and 0.8% are each a single account" in a.note(
        "fractal"
    )
    assert a.absent["movement"].startswith("No account has positive revenue in 2026Q2")
    assert m["top_group_entered"] is None


def test_all_revenue_negative(tmp_path):
    """Regression: 01_pareto failed when every line is a credit."""
    folder = write_set(
        tmp_path / "credits",
        {
            "accounts.csv": "account_id,account_name\nA1,One\nA2,Two",
            "orders.csv": (
                "order_id,account_id,order_date,amount\n"
                "L1,A1,2026-07-05,-100\nL2,A2,2026-08-05,-500\nL3,A2,2026-08-06,0"
            ),
        },
    )
    a = analyze(folder)
    contract(a)
    m = a.metrics
    # no positive revenue: concentration metrics None, n 0, revenue_total = net = -600
    assert m["n_accounts"] == 0 and m["revenue_total"] == -600 and m["revenue_net"] == -600
    assert m["share_top_20pct"] is None and m["gini"] is None and m["herfindahl"] is None
    assert a.absent["ranking"] == (
        "No account has positive net revenue in 2026Q3 (net -600 USD over 2 accounts: credits "
        "outweigh sales), so there is nothing to rank: choose another quarter or check the credits."
    )
    assert a.findings == (a.absent["ranking"],)


def test_without_products_table_the_chain_is_absent(small):
    """Regression: without products the notebook failed instead of marking the chain absent."""
    (small / "products.csv").unlink()
    a = analyze(small)
    contract(a)
    reason = (
        "No products table, so commission cannot be ranked: add products.csv "
        "(product_id, product_name, commission_rate)."
    )
    assert a.absent["chain_products"] == reason and a.absent["vital_few"] == reason
    assert a.metrics["vital_products"] is None and a.metrics["commission_basis"] is None
    assert "commission_rate" not in {x.name for x in a.assumptions}


def test_without_commission_rates_products_rank_by_revenue_and_say_so(small):
    (small / "products.csv").write_text("product_id,product_name\nP1,Platform\nP2,Service\n")
    a = analyze(small)
    # by revenue: P1 500, P2 450 -> P1 (before 0) and P2 (before 0.53) are both vital
    assert a.metrics["commission_basis"] == "revenue" and a.metrics["vital_products"] == 2
    assert a.note("chain_products").startswith(
        "No product carries a commission rate, so products are ranked by revenue instead"
    )
    assert "commission" not in a.tables["chain_products"]  # it would only repeat revenue
    rates = next(x for x in a.assumptions if x.name == "commission_rate")
    assert rates.value == "none in the data: products ranked by revenue"


def test_complaints_absent_without_cases_table_or_cases_in_window(small):
    (small / "cases.csv").unlink()
    a = analyze(small)
    assert a.absent["complaints"] == (
        "No cases table, so complaints cannot be ranked: add cases.csv "
        "(case_id, account_id, opened_date)."
    )
    assert a.metrics["complaints_share_top_20pct"] is None and a.metrics["cases_in_window"] is None
    (small / "cases.csv").write_text("case_id,account_id,opened_date\nC1,A1,2025-01-01\n")
    a = analyze(small)
    assert a.metrics["complaints_share_top_20pct"] is None  # None, not 0
    assert a.metrics["cases_in_window"] == 0
    assert a.absent["complaints"].startswith("No case was opened in 2026Q3")


def test_movement_absent_when_the_previous_window_has_no_revenue(small):
    text = (small / "orders.csv").read_text()
    (small / "orders.csv").write_text("\n".join(text.splitlines()[:-2]) + "\n")  # drop 2026Q2
    a = analyze(small)
    assert a.absent["movement"] == (
        "No account has positive revenue in 2026Q2 (the window before), so there is no earlier "
        "top group to compare with: the data must reach back one more quarter."
    )
    assert a.metrics["top_group_entered"] is None and a.metrics["top_group_left"] is None


def test_fractal_note_flags_a_level_of_one_account(tmp_path):
    """Regression: with 85 accounts the 0.8% level is one account and nothing said so."""
    lines = "\n".join(f"L{i},A{i:02d},2026-08-01,{100 + i}" for i in range(85))
    folder = write_set(
        tmp_path / "85", {"orders.csv": "order_id,account_id,order_date,amount\n" + lines}
    )
    a = analyze(folder)
    levels = a.tables["fractal"]
    assert levels["accounts"].tolist() == [17, 4, 1]
    assert levels["note"].iloc[2] == "single account"
    assert "With 85 accounts the top 0.8% is a single account" in a.note("fractal")
    # no accounts table: names are the ids
    assert a.tables["ranking"]["account_name"].iloc[0] == a.tables["ranking"]["account_id"].iloc[0]


def test_thin_export_reads_outcomes_from_stage_names(tmp_path):
    """accounts + opportunities with required columns only: won deals from 'Closed Won'."""
    folder = write_set(
        tmp_path / "thin",
        {
            "accounts.csv": "account_id,account_name\nA1,One\nA2,Two\nA3,Three",
            "opportunities.csv": (
                "opportunity_id,account_id,stage,amount,created_date,close_date\n"
                "O1,A1,Closed Won,3000,2026-05-01,2026-07-10\n"
                "O2,A2,Closed Won,1000,2026-05-01,2026-08-10\n"
                "O3,A3,Closed Lost,9000,2026-05-01,2026-08-10\n"
                "O4,A3,Proposal,5000,2026-06-01,2026-11-10"
            ),
        },
    )
    a = analyze(folder)
    contract(a)
    m = a.metrics
    # won in 2026Q3: A1 3000, A2 1000 -> top 20% of 2 = A1 = 75%
    assert m["revenue_source"] == "opportunities" and m["n_accounts"] == 2
    assert m["share_top_20pct"] == pytest.approx(0.75)
    assert set(a.absent) == {"chain_products", "vital_few", "time_plan", "complaints", "movement"}
    for name in ("vital_products", "complaints_share_top_20pct", "top_group_entered"):
        assert m[name] is None
    outcome = next(x for x in a.assumptions if x.name == "outcome")
    assert outcome.value == "4 opportunities"
    opps = a.coverage.rows.set_index("table").loc["opportunities"]
    assert (opps["rows"], opps["used"]) == (4, 2)
    assert opps["why"] == "not won (open, lost or no decision): 2"


def test_without_orders_or_opportunities_it_is_not_analysable(tmp_path):
    folder = write_set(tmp_path / "acc", {"accounts.csv": "account_id,account_name\nA1,One"})
    with pytest.raises(NotAnalysable, match="orders or opportunities"):
        analyze(folder)


def test_bad_parameters_are_usage_errors(small):
    with pytest.raises(Exception, match="focus_share"):
        analyze(small, focus_share=0.0)


# --------------------------------------------------------------------------- the notebook, without a kernel
def test_notebook_requires_only_a_revenue_table():
    """Regression: metadata required accounts too, though names fall back to ids."""
    meta = json.loads(NOTEBOOK.read_text())["metadata"]["salesnb"]
    assert meta["requires"] == [list(pareto.CORE)] == [["orders", "opportunities"]]
    assert meta["methodology"] == pareto.ParetoAnalysis.methodology


def test_params_match_the_parameters_cell():
    cell = set(report.notebook_parameters(NOTEBOOK)) - {"data_dir", "output_dir", "redact", "mode"}
    assert cell == set(pareto.Params.names())
    defaults = {k: v["default"] for k, v in report.notebook_parameters(NOTEBOOK).items()}
    for name in pareto.Params.names():
        if name != "quarter":
            assert re.sub(r"^['\"]|['\"]$", "", str(defaults[name])) == str(
                pareto.Params.default(name)
            ), name


# --------------------------------------------------------------------------- headline, actions, specs (issue 13)
def test_headline_and_actions_hand_worked(small):
    a = analyze(small)
    cards = {k.label: k for k in a.headline}
    assert 3 <= len(a.headline) <= 6
    assert cards["Revenue ranked"].value == pytest.approx(1000)
    assert cards["Top 20% of accounts bring"].value == pytest.approx(0.4)  # A1 alone
    assert cards["Vital few (80% of revenue)"].value == 3
    assert cards["Entered the top 20%"].value == 1 and "1 left" in cards["Entered the top 20%"].note
    assert cards["Cases from the worst 4%"].value == pytest.approx(2 / 3)  # A2's two of three
    # the vital few by name, largest first; A2 left the top 20% (1,200 in 2026Q2, 300 now)
    assert a.actions[0] == (
        "Protect the 3 vital-few accounts that bring 80% of 2026Q3 revenue, largest first: "
        "Alpha $ Co (40%), Beta & Sons (30%) and Gamma (20%)."
    )
    assert a.actions[1] == "Call Beta & Sons (1,200 to 300 USD): it left the top 20% since 2026Q2."
    assert len(a.actions) == 2  # A2 complains most but is not top revenue: no service plan
    assert "the largest, Alpha $ Co, alone brings 40%" in a.findings[1]


def test_a_headline_figure_the_data_cannot_give_is_none_with_the_reason(small):
    a = analyze(small, quarter="2027Q3")  # no revenue in the window
    cards = {k.label: k for k in a.headline}
    assert cards["Top 20% of accounts bring"].value is None
    assert "no revenue to rank" in cards["Top 20% of accounts bring"].note
    assert cards["Cases from the worst 4%"].value is None and cards["Cases from the worst 4%"].note
    assert a.actions == ()


def test_every_table_has_a_spec_naming_its_columns(small):
    a = analyze(small)
    for name, table in a.tables.items():
        spec = a.spec(name)
        assert spec is not None and spec.title, name
        assert set(spec.columns) >= set(table.columns), (
            name,
            set(table.columns) - set(spec.columns),
        )
    assert (
        str(a.tables["complaints"]["revenue_rank"].dtype) == "Int64"
    )  # no rank is missing, not NaN


def test_movement_reads_last_quarter_from_the_history_store(tmp_path):
    from salesnb import history

    orders = "\n".join(line for line in ORDERS.splitlines() if not line.startswith(("L8", "L9")))
    folder = write_set(tmp_path / "d", {"accounts.csv": ACCOUNTS, "orders.csv": orders})
    assert "movement" in analyze(folder).absent  # the data no longer reaches 2026Q2
    store = tmp_path / "store.duckdb"
    ranking = pd.DataFrame(
        {"account_id": ["A2", "A1"], "revenue": [1200.0, 1000.0], "rank": [1, 2]}
    )
    history.record(
        store,
        quarter="2026Q2",
        dataset={"name": "Small"},
        currency="USD",
        metrics={},
        snapshots={history.RANKING: ranking},
    )
    a = analyze(folder, history_file=str(store), history_key=history.dataset_key("Small"))
    moves = a.tables["movement"].set_index("account_id")
    assert moves.loc["A1", "status"] == "entered" and moves.loc["A2", "status"] == "left"
    assert moves.loc["A2", "revenue_before"] == 1200
    assert "2026Q2's ranking comes from the history store" in a.note("movement")
