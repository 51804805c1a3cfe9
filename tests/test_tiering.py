"""salesnb.tiering: hand-worked scorecards, tiers, time plan, churn, names, alignment, rules files."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb import tiering
from salesnb.schema import DataError
from salesnb.tiering import Rules

RULES = Rules(deal_size=10_000)  # pricing box: their average sale >= 100
PERFECT = {
    "website_score": 80,
    "employees": 200,
    "year_founded": 2000,
    "avg_customer_price": 500,
    "prior_spend": 1000,
    "priorities_fit": True,
    "is_global": False,
}


def accounts(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [{"account_id": f"A{i}", "account_name": f"Acc {i}", **r} for i, r in enumerate(rows)]
    )


def test_hand_worked_scorecards():
    acc = accounts(
        PERFECT,  # all six boxes: Tier 1
        {**PERFECT, "website_score": 30, "prior_spend": 0},  # 4 of 6: Tier 2
        {
            **PERFECT,
            "website_score": 30,
            "prior_spend": 0,
            "priorities_fit": False,
        },  # 3 of 6: Tier 3
        {
            **PERFECT,
            "website_score": 30,
            "prior_spend": 0,
            "priorities_fit": False,
            "employees": 2,
        },  # 2: Tier 4
        {
            **PERFECT,
            "employees": 150_000,
            "is_global": True,
            "website_score": 10,
        },  # Fortune 500: Global
        {
            "website_score": 80,
            "employees": 200,
            "year_founded": None,
            "avg_customer_price": None,
            "prior_spend": None,
            "priorities_fit": None,
            "is_global": False,
        },  # 2 known: unscored
    )
    cards = tiering.scorecard(acc, RULES, as_of_year=2026)
    assert cards["tier"].tolist() == ["T1", "T2", "T3", "T4", "Global", "unscored"]
    assert cards["boxes_checked"].tolist() == [6, 4, 3, 2, 4, 2]
    assert cards["boxes_known"].tolist() == [6, 6, 6, 6, 6, 2]
    assert "fails: website clean and modern, has bought from us" in cards["reason"][1]
    assert cards["reason"][5].startswith("unscored: only 2 of 6 boxes known")
    assert cards["reason"][4].startswith("Global")


def test_unknown_is_neither_pass_nor_fail():
    acc = accounts({**PERFECT, "website_score": None, "priorities_fit": None})
    card = tiering.scorecard(acc, RULES, as_of_year=2026).iloc[0]
    assert pd.isna(card["box_website"]) and pd.isna(card["box_priorities"])
    assert (card["boxes_known"], card["boxes_checked"], card["tier"]) == (
        4,
        4,
        "T1",
    )  # 4 of 4 known
    assert "unknown: website, priorities" in card["reason"]


def test_boundaries_of_each_box():
    acc = accounts(
        {
            **PERFECT,
            "website_score": 60,
            "employees": 20,
            "year_founded": 2021,
            "avg_customer_price": 100,
        }
    )
    card = tiering.scorecard(acc, RULES, as_of_year=2026).iloc[0]
    assert card[["box_website", "box_size", "box_tenure", "box_pricing_fit"]].tolist() == [
        True,
        True,
        True,
        True,
    ]
    young = tiering.scorecard(
        accounts({**PERFECT, "year_founded": 2022}), RULES, as_of_year=2026
    ).iloc[0]
    assert young["box_tenure"] == False  # noqa: E712 - pandas boolean


def test_without_deal_size_pricing_is_unknown():
    card = tiering.scorecard(accounts(PERFECT), Rules(), as_of_year=2026).iloc[0]
    assert pd.isna(card["box_pricing_fit"])
    opps = pd.DataFrame({"outcome": ["won", "won", "lost"], "amount": [10.0, 30.0, 99.0]})
    assert Rules().with_deal_size(opps).deal_size == 20.0


def test_allocation_hand_worked():
    cards = pd.DataFrame({"account_id": list("abcde"), "tier": ["T1", "T1", "T2", "T4", "Global"]})
    plan = tiering.allocation(cards, hours_per_week=100)
    # midpoints T1 .65, T2 .15, Global .225 -> total 1.025; T4 gets nothing
    hours = dict(zip(plan["account_id"], plan["hours_per_week"], strict=True))
    assert hours["a"] == pytest.approx(100 * 0.65 / 1.025 / 2)
    assert hours["c"] == pytest.approx(100 * 0.15 / 1.025)
    assert hours["d"] == 0.0
    assert plan["hours_per_week"].sum() == pytest.approx(100)


def test_time_by_tier_and_serving():
    plan = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "tier": ["T1", "T2", "T4"],
            "hours_per_week": [8.0, 2.0, 0.0],
        }
    )
    activity = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "minutes": [60.0 * 2 * 13, 60.0 * 4 * 13, 60.0 * 13]}
    )
    tiers, per = tiering.time_by_tier(plan, activity, weeks=13)
    assert per["actual_hours_per_week"].tolist() == [2.0, 4.0, 1.0]
    assert per["served"].tolist() == ["under-served", "over-served", "unplanned time"]
    assert tiers.set_index("tier")["actual_share"].to_dict() == pytest.approx(
        {"T1": 2 / 7, "T2": 4 / 7, "T4": 1 / 7}
    )


def test_churn_flags():
    history = pd.DataFrame(
        {
            "account_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4 + ["d"] * 4,
            "quarter": ["2025Q4", "2026Q1", "2026Q2", "2026Q3"] * 4,
            "tier": [
                "T1",
                "T1",
                "T2",
                "T2",
                "T2",
                "T2",
                "T2",
                "T2",
                "T3",
                "T3",
                "T4",
                "T4",
                "T3",
                "T3",
                "T3",
                "T3",
            ],
        }
    )
    flagged, turnover = tiering.churn(history)
    assert flagged["account_id"].tolist() == ["a"]
    q2 = turnover.set_index("quarter").loc["2026Q2"]
    assert (q2["t3_before"], q2["left_t3"], q2["turnover_share"], q2["too_high"]) == (
        2,
        1,
        0.5,
        True,
    )


def test_name_development():
    acc = pd.DataFrame({"account_id": ["a", "b", "c"]})
    contacts = pd.DataFrame(
        {
            "account_id": ["a"] * 5 + ["b"],
            "department": ["it", "it", "finance", "hr", "it", "it"],
            "role": ["decision_maker", "user", "user", "user", "user", "user"],
            "linkedin_connected": [True, False, False, False, True, True],
        }
    )
    names = tiering.name_development(acc, contacts).set_index("account_id")
    assert names["contacts"].tolist() == [5, 1, 0]
    assert names["departments"].tolist() == [3, 1, 0]
    assert names["single_threaded"].tolist() == [False, True, False]
    assert names["has_decision_maker"].tolist() == [True, False, False]
    assert names["below_minimum"].tolist() == [False, True, True]
    assert names.loc["a", "linkedin_share"] == pytest.approx(0.4)
    matrix = tiering.coverage_matrix(contacts, ["a", "c"])
    assert matrix.loc["a", "it"] == 3 and matrix.loc["c"].sum() == 0


def test_alignment_from_data_and_checklist(tmp_path):
    targets = pd.DataFrame({"account_id": ["a", "b"]})
    contacts = pd.DataFrame(
        {
            "account_id": ["a", "a"],
            "linkedin_connected": [True, False],
            "newsletter": [False, False],
            "last_engaged": pd.to_datetime(["2026-09-01", "2025-01-01"]),
        }
    )
    (tmp_path / "check.csv").write_text(
        "account_id,content_mentions,exec_outreach\na,yes,no\nb,no,\n"
    )
    checklist = tiering.load_checklist(tmp_path / "check.csv")
    out = tiering.alignment(
        targets, contacts, as_of=pd.Timestamp("2026-09-30"), checklist=checklist
    ).set_index("account_id")
    assert out.loc["a", ["social_connected", "email_newsletter", "email_engaged_90d"]].tolist() == [
        True,
        False,
        True,
    ]
    assert out.loc["a", "readiness"] == pytest.approx(3 / 5)  # 5 known items, 3 hold
    assert out.loc["b", "items_known"] == 4 and out.loc["b", "readiness"] == 0.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("website_mni: 50\n", "unknown rule(s) website_mni"),
        ("website_min: high\n", "rule website_min must be a number"),
        ("t2: 0.4\nt3: 0.6\n", "t1 >= t2 >= t3"),
        ("weights: {colour: 2}\n", "weights must map boxes"),
        ("- a\n- b\n", "expected 'name: value' lines"),
    ],
)
def test_bad_rules_files(tmp_path, text, message):
    (tmp_path / "rules.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        tiering.load_rules(tmp_path / "rules.yml")


def test_rules_file_overrides_parameters(tmp_path):
    (tmp_path / "rules.yml").write_text("website_min: 75\nweights: {prior_spend: 3}\n")
    rules = tiering.make_rules(str(tmp_path / "rules.yml"), website_min=50, employees_min=10)
    assert (rules.website_min, rules.employees_min, rules.weights["prior_spend"]) == (75, 10, 3.0)


def test_malformed_checklist(tmp_path):
    (tmp_path / "c.csv").write_text("account_id,content_mentions\na,perhaps\n")
    with pytest.raises(
        DataError, match="c.csv line 2, column 'content_mentions': 'perhaps' is not yes/no"
    ):
        tiering.load_checklist(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("account_id,colour\na,red\n")
    with pytest.raises(DataError, match="unknown column"):
        tiering.load_checklist(tmp_path / "d.csv")


def test_sensitivity_counts_moves():
    acc = accounts(PERFECT, {**PERFECT, "website_score": 58})  # T1 and T2 (5 of 6)
    changes, moved = tiering.sensitivity(acc, RULES, as_of_year=2026, step=0.1)
    row = changes.set_index("change").loc["website_min 60 → 54"]
    assert row["accounts_changed"] == 1 and row["moves"] == "T2→T1: 1"
    assert moved[moved["change"] == "website_min 60 → 54"]["account_id"].tolist() == ["A1"]


box = st.one_of(st.none(), st.floats(0, 100))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            box,
            st.one_of(st.none(), st.integers(1, 300_000)),
            st.one_of(st.none(), st.booleans()),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    st.floats(1, 500),
)
def test_tiers_partition_accounts_and_hours_sum_to_capacity(rows, hours):
    acc = accounts(
        *[
            {
                "website_score": w,
                "employees": e,
                "priorities_fit": p,
                "is_global": g,
                "year_founded": 2000,
                "prior_spend": 10,
            }
            for w, e, p, g in rows
        ]
    )
    cards = tiering.scorecard(acc, RULES, as_of_year=2026)
    assert set(cards["tier"]) <= set(tiering.TIERS) and len(cards) == len(acc)
    assert cards["account_id"].is_unique
    plan = tiering.allocation(cards, hours_per_week=hours)
    if cards["tier"].isin(["T1", "T2", "T3", "Global"]).any():
        assert plan["hours_per_week"].sum() == pytest.approx(hours)
    else:
        assert plan["hours_per_week"].sum() == 0


def test_tier_history_file(tmp_path):
    (tmp_path / "h.csv").write_text(
        "account_id,quarter,tier\na,2026Q1,T1\na,2026Q2,T3\nb,2026Q1,T3\nb,2026Q2,T3\n"
    )
    history = tiering.load_history(tmp_path / "h.csv")
    flagged, _ = tiering.churn(history)
    assert flagged["account_id"].tolist() == ["a"]
    (tmp_path / "bad.csv").write_text("account_id,quarter,tier\na,2026Q1,Tier one\n")
    with pytest.raises(DataError, match="bad.csv line 2, column 'tier'"):
        tiering.load_history(tmp_path / "bad.csv")
    (tmp_path / "badq.csv").write_text("account_id,quarter,tier\na,Q1-2026,T1\n")
    with pytest.raises(DataError, match="'Q1-2026' is not a quarter"):
        tiering.load_history(tmp_path / "badq.csv")
