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
        ("website_mni: 50\n", "line 1: unknown rule(s) website_mni; known rules: website_min,"),
        ("website_min: high\n", "line 1: website_min must be a number from 0 to 100, got the text"),
        ("t2: 1.5\n", "t2 must be a number from 0 to 1, got the number 1.5"),
        ("employees_min: 2.5\n", "employees_min must be a whole number of at least 0"),
        ("t2: 0.4\nt3: 0.6\n", "t1 >= t2 >= t3"),
        ("weights: {colour: 2}\n", "weights: unknown box(es) colour; known boxes: website,"),
        ("weights: [1, 2]\n", "weights must be a mapping of boxes (website,"),
        ("weights: {size: high}\n", "weights.size must be a number of at least 0"),
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


# --------------------------------------------------------------------------- analyze
# Tiny data-set folders written by hand, loaded as a user's data set would be.
import ast  # noqa: E402
import csv  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

from salesnb import notebook as sn_notebook  # noqa: E402
from salesnb.schema import UsageError  # noqa: E402
from salesnb.sources import load_dataset  # noqa: E402

NO_CONTACTS = (
    "No contacts table, so named contacts per account cannot be counted: add contacts.csv "
    "(contact_id, account_id, full_name, department)."
)
NO_ACTIVITIES = (
    "No activities table, so the time reps logged cannot be set against the plan: add "
    "activities.csv (activity_id, account_id, activity_date, duration_minutes)."
)
# Five boxes known (no avg_customer_price column: pricing unknown), tenure at 2026:
#   A1: website 80, 200 staff, 2000, spent 1000, priorities yes -> 5 of 5 -> T1
#   A2: as A1 but never bought                                  -> 4 of 5 = 0.8 -> T2
#   A3: website 30, 2 staff, founded 2024, no spend, no         -> 0 of 5 -> T4
FULL = [
    [
        "account_id",
        "account_name",
        "website_score",
        "employees",
        "year_founded",
        "prior_spend",
        "priorities_fit",
    ],
    ["A1", "Acme $10k_<b>&% Ltd", 80, 200, 2000, 1000, "yes"],
    ["A2", "שלום 😀", 80, 200, 2000, 0, "yes"],
    ["A3", "Tiny", 30, 2, 2024, 0, "no"],
]


def _write(folder: Path, name: str, rows: list[list]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _dataset(folder: Path, **tables: list[list]):
    for name, rows in tables.items():
        _write(folder, name, rows)
    ds = load_dataset(folder)
    assert not ds.errors, ds.errors
    return ds


def _params(**values) -> tiering.Params:
    return tiering.Params(quarter="2026Q3", **values)


def test_analyze_thin_accounts_only(tmp_path):
    ds = _dataset(tmp_path, accounts=[["account_id", "account_name"], ["A1", "One"], ["A2", "Two"]])
    a = tiering.analyze(ds, _params())
    assert set(a.absent) == {
        "sensitivity",
        "time_plan",
        "time_by_tier",
        "served",
        "tier_churn",
        "churn_flagged",
        "tier_moves",
        "nurture_list",
        "names",
        "coverage_matrix",
        "alignment",
    }
    assert all(len(why) > 30 and why.endswith(".") for why in a.absent.values())
    assert a.absent["names"] == NO_CONTACTS
    m = a.metrics
    assert (m["unscored"], m["accounts_scored"], m["boxes_known_share"]) == (2, 0, 0.0)
    for key in (
        "share_time_on_tier1_actual",
        "share_time_on_tier1_planned",
        "accounts_below_5_contacts",
        "deal_size",
        "prior_spend_source",
        "tier12_changed",
        "alignment_readiness_mean",
    ):
        assert m[key] is None, key
    assert "add website_score (0-100), employees, year_founded" in a.note("scorecard")
    assert a.findings[0].startswith("None of the 2 accounts can be scored")
    assert a.coverage.rows.set_index("table").loc["accounts", "why"] == (
        "unscored: fewer than 4 known boxes: 2"
    )
    for name in ("sensitivity", "time", "coverage"):  # each says why instead of failing
        assert a.chart(name) is None and a.reason(name)
    ax = a.chart("tier_mix")
    assert ax.get_title() == "None of 2 accounts can be scored yet"
    plt.close(ax.figure)


def test_no_contacts_means_no_heatmap_and_a_reason(tmp_path):
    # regression: the coverage heat map was drawn from an empty matrix and failed
    ds = _dataset(tmp_path, accounts=FULL)
    a = tiering.analyze(ds, _params())
    assert a.absent["names"] == a.absent["coverage_matrix"] == NO_CONTACTS
    assert a.chart("coverage") is None and a.reason("coverage") == NO_CONTACTS
    assert a.metrics["accounts_below_5_contacts"] is None
    with pytest.raises(DataError, match="coverage matrix is empty"):
        tiering.plot_coverage(pd.DataFrame(index=pd.Index(["A1"], name="account_id")))


def test_no_tier1_or_global_means_no_heatmap(tmp_path):
    ds = _dataset(
        tmp_path,
        accounts=[FULL[0], FULL[2], FULL[3]],  # a T2 and a T4
        contacts=[["contact_id", "account_id", "department"], ["C1", "A2", "it"]],
    )
    a = tiering.analyze(ds, _params())
    assert a.metrics["T1"] == a.metrics["Global"] == 0
    assert a.absent["coverage_matrix"].startswith("No account is Tier 1 or Global")
    assert a.chart("coverage") is None
    assert "names" in a.tables and a.metrics["accounts_below_5_contacts"] == 2


def test_time_share_is_none_without_activities_and_the_plan_still_shows(tmp_path):
    # regression: share_time_on_tier1_actual was 0.0 without an activities table
    ds = _dataset(tmp_path, accounts=FULL)
    a = tiering.analyze(ds, _params())
    assert a.metrics["share_time_on_tier1_actual"] is None
    assert a.metrics["actual_share_by_tier"] is None
    assert a.absent["time_by_tier"] == NO_ACTIVITIES and a.chart("time") is None
    # plan: T1 .65 and T2 .15 rescaled over the tiers present (T4 gets 0): .8125 / .1875
    plan = a.tables["time_plan"].set_index("tier")
    assert plan["planned_share"].to_dict() == pytest.approx({"T1": 0.8125, "T2": 0.1875, "T4": 0})
    assert plan.loc["T1", "hours_per_week"] == pytest.approx(300 * 0.8125)
    assert a.metrics["share_time_on_tier1_planned"] == pytest.approx(0.8125)
    # strongest finding without activities: the tier mix
    assert a.findings[0].startswith(
        "Of 3 accounts, 1 are Tier 1 (33%), 1 Tier 2, 0 Tier 3 and 1 Tier 4"
    )


def test_logged_time_against_plan_worked_by_hand(tmp_path):
    acts = [
        ["activity_id", "account_id", "activity_date", "duration_minutes"],
        ["X1", "A1", "2026-07-02", 60],
        ["X2", "A2", "2026-08-01", 90],
        ["X3", "A2", "2026-09-30", 90],
        ["X4", "A3", "2026-07-15", ""],  # no duration: counts 30 minutes
        ["X5", "ZZ", "2026-07-15", 45],  # account not in the accounts table
        ["X6", "A1", "2026-06-30", 500],  # before the quarter
    ]
    ds = _dataset(tmp_path, accounts=FULL, activities=acts)
    a = tiering.analyze(ds, _params())
    # logged on known accounts: A1 60, A2 180, A3 30 = 270 minutes
    m = a.metrics
    assert m["share_time_on_tier1_actual"] == pytest.approx(60 / 270)
    assert m["actual_share_by_tier"] == pytest.approx(
        {"T1": 60 / 270, "T2": 180 / 270, "T4": 30 / 270}
    )
    assert m["tier_with_most_logged_time"] == "T2"
    # strongest finding first: Tier 1's planned vs logged time
    assert a.findings[0] == (
        "Tier 1 got 22% of the time logged in 2026Q3 against a plan of 81%; Tier 4, "
        "planned at 0%, took 11%."
    )
    row = a.coverage.rows.set_index("table").loc["activities"]
    assert (row["rows"], row["used"], row["left_out"]) == (6, 4, 2)
    assert row["why"] == "outside the window: 1; account not in the accounts table: 1"
    minutes = next(x for x in a.assumptions if x.name == "activity_minutes")
    assert (minutes.value, minutes.source) == ("30", "built in")
    assert minutes.note.startswith("1 of the 4 activities used have no duration")
    # 92 days = 13.14 weeks; A1 logged 1 h against 243.75 h a week: under-served
    served = a.tables["served"].set_index("account_id")
    assert served.loc["A1", "actual_hours_per_week"] == pytest.approx(1 / (92 / 7))
    assert served.loc["A1", "served"] == "under-served"
    assert served.loc["A3", "served"] == "unplanned time"
    ax = a.chart("time")
    ax.figure.canvas.draw()
    plt.close(ax.figure)


THIN_ACCOUNTS = [  # Maven's shape: employees and year founded, nothing else of the boxes
    ["account_id", "account_name", "employees", "year_founded"],
    ["A1", "Old buyer", 200, 2000],  # won 100 before the quarter
    ["A2", "New buyer", 200, 2000],  # won 300 only inside the quarter
    ["A3", "Never", 3, 2000],  # lost
]
THIN_DEALS = [
    ["opportunity_id", "account_id", "stage", "outcome", "amount", "created_date", "close_date"],
    ["O1", "A1", "Won", "won", 100, "2026-01-05", "2026-03-01"],
    ["O2", "A2", "Won", "won", 300, "2026-06-01", "2026-08-01"],
    ["O3", "A3", "Lost", "lost", 0, "2026-02-01", "2026-04-01"],
]


def test_thin_accounts_are_unscored_and_say_which_columns_to_add(tmp_path):
    ds = _dataset(tmp_path, accounts=THIN_ACCOUNTS, opportunities=THIN_DEALS)
    a = tiering.analyze(ds, _params())
    m = a.metrics
    # size, tenure and prior spend (derived from won deals before 2026-07-01) known: 3 of 6
    assert m["boxes_known_share"] == pytest.approx(0.5)
    assert (m["unscored"], m["prior_spend_source"], m["deal_size"]) == (3, "opportunities", 200.0)
    assert a.note("scorecard") == (
        "None of the 3 accounts can be scored: a tier needs at least 4 of the 6 boxes known, "
        "and this data set has data for only 3 (size, tenure and prior spend). To score them, "
        "add website_score (0-100), avg_customer_price (their average sale) and priorities_fit "
        "(yes/no) to accounts.csv (or lower min_known in a rules file, and the tiers rest on "
        "fewer facts)."
    )
    boxes = a.tables["box_data"].set_index("box")
    sources = boxes["data_from"]  # where each box is read from: in the box table, not repeated
    assert sources["prior_spend"] == "derived: the data set's won deals before 2026-07-01"
    assert sources["website"] == "no data: add website_score (0-100)"
    assert sources["size"] == "accounts.employees"
    assert not [x for x in a.assumptions if x.name.startswith("box_")]
    # A1 bought before the quarter; A2's only win is inside it; A3 never won
    assert boxes.loc["prior_spend", ["accounts_known", "accounts_checked"]].tolist() == [3, 1]
    assert "What the data can tell: 2 of 3 accounts are mid-size" in " ".join(a.findings)
    row = a.coverage.rows.set_index("table").loc["opportunities"]
    assert (row["used"], row["why"]) == (
        1,
        "not won: 1; in or after the review window (prior spend counts earlier revenue): 1",
    )


def test_rules_file_is_read_from_the_resolved_parameter(tmp_path):
    ds = _dataset(tmp_path / "data", accounts=THIN_ACCOUNTS, opportunities=THIN_DEALS)
    rules = tmp_path / "rules.yml"
    rules.write_text("min_known: 3\n")
    a = tiering.analyze(ds, _params(rules_file=str(rules)))
    # 3 known boxes now score: A1 3 of 3 -> T1; A2 2 of 3 = .67 -> T2; A3 1 of 3 (old) -> T4
    tiers = a.tables["scorecard"].set_index("account_id")["tier"].to_dict()
    assert tiers == {"A1": "T1", "A2": "T2", "A3": "T4"}
    assert a.extras["rules"].min_known == 3
    known = next(x for x in a.assumptions if x.name == "min_known")
    assert (known.value, known.source) == ("3", "rules file")
    assert a.tables["nurture_list"]["account_id"].tolist() == ["A3"]


def test_a_methodology_never_imports_the_report_engine():
    # regression: make_rules imported salesnb.report.resolve
    tree = ast.parse(Path(tiering.__file__).read_text(encoding="utf-8"))
    imported = [
        (n.module or "") + ":" + ",".join(a.name for a in n.names)
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
    ]
    assert not [i for i in imported if i.startswith("report") or ":report" in i], imported


def test_time_shares_are_parameters_shown_in_the_assumptions(tmp_path):
    ds = _dataset(tmp_path, accounts=FULL)
    a = tiering.analyze(
        ds, _params(time_share_t1=0.5, time_share_t2=0.5, team_selling_hours_per_week=100.0)
    )
    plan = a.tables["time_plan"].set_index("tier")
    assert plan["hours_per_week"].to_dict() == pytest.approx({"T1": 50, "T2": 50, "T4": 0})
    shown = {x.name: (x.value, x.source) for x in a.assumptions}
    assert shown["time_share_t1"] == ("50.0%", "set for this run")
    assert shown["time_share_global"] == ("22.5%", "default")
    assert shown["team_selling_hours_per_week"] == ("100", "set for this run")
    assert shown["time_share_t4"] == ("0%", "built in")
    assert {"website_min", "t2", "t3", "min_known", "t1"} <= set(shown)
    assert tiering.Params.default("time_share_t3") == 0.075
    with pytest.raises(UsageError, match="time_share_t1"):
        tiering.analyze(ds, _params(time_share_t1=1.5))


def test_churn_rules_are_presented_as_common_practice_and_global_as_hardest(tmp_path):
    accounts = [
        [*FULL[0], "is_global"],
        *[[*r, "no"] for r in FULL[1:]],
        ["G1", "Big", 10, 300000, 1900, 0, "no", "yes"],
    ]
    a = tiering.analyze(_dataset(tmp_path, accounts=accounts), _params())
    notes = {x.name: x.note for x in a.assumptions}
    assert (
        "common account-based practice, not the source material's teaching"
        in notes["t3_turnover_max"]
    )
    assert "not the source material's teaching" in notes["tier12_stable"]
    assert "hit every attribute but are the hardest to crack" in a.note("scorecard")
    import nbformat

    nb = nbformat.read(Path(__file__).parents[1] / "notebooks" / "02_account_tiering.ipynb", 4)
    narrative = " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    assert "not the source material's teaching" in narrative
    assert "hardest to crack" in narrative


def test_becoming_scored_is_not_churn():
    history = pd.DataFrame(
        {
            "account_id": ["a"] * 3 + ["b"] * 3,
            "quarter": ["2026Q1", "2026Q2", "2026Q3"] * 2,
            "tier": ["unscored", "T1", "T1", "T3", "unscored", "T4"],
        }
    )
    flagged, turnover = tiering.churn(history)
    assert flagged.empty  # a was unknown, then T1: no move
    t = turnover.set_index("quarter")
    # 2026Q2: b's tier is unknown, so it neither stays nor leaves Tier 3
    assert t.loc["2026Q2", "t3_before"] == 0 and pd.isna(t.loc["2026Q2", "turnover_share"])


def test_contacts_without_department_or_role_are_unknown_not_zero(tmp_path):
    contacts = [["contact_id", "account_id"], ["C1", "A1"], ["C2", "A1"]]
    ds = _dataset(tmp_path, accounts=FULL, contacts=contacts)
    a = tiering.analyze(ds, _params())
    names = a.tables["names"].set_index("account_id")
    assert names.loc["A1", "contacts"] == 2 and pd.isna(names.loc["A1", "departments"])
    assert pd.isna(names.loc["A1", "has_decision_maker"])
    assert a.metrics["accounts_without_decision_maker"] is None
    assert a.absent["coverage_matrix"].startswith("Contacts have no department column")
    assert a.absent["alignment"].startswith("Nothing is known about the weekly")


def test_coverage_plot_draws_names_with_dollars(tmp_path):
    contacts = [
        ["contact_id", "account_id", "department"],
        ["C1", "A1", "$fin$ance"],
        ["C2", "A1", "it_<ops>"],
    ]
    ds = _dataset(tmp_path, accounts=FULL, contacts=contacts)
    a = tiering.analyze(ds, _params())
    matrix = a.tables["coverage_matrix"]
    assert matrix.index.tolist() == ["Acme $10k_<b>&% Ltd"]  # names, not ids
    ax = a.chart("coverage")
    ax.figure.canvas.draw()
    assert "Acme $10k_<b>&% Ltd" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    for name in a.tables:
        assert sn_notebook.show(a, name) is not None


def test_exported_checklist_reads_back(tmp_path):
    (tmp_path / "c.csv").write_text(
        "account_id,account_name,social_connected,exec_outreach,items_known,readiness\n"
        "A1,Acme,yes,no,2,0.5\n"
    )
    checklist = tiering.load_checklist(tmp_path / "c.csv")
    assert list(checklist.columns) == ["account_id", "social_connected", "exec_outreach"]
    ds = _dataset(tmp_path / "data", accounts=FULL)
    a = tiering.analyze(ds, _params(checklist_file=str(tmp_path / "c.csv")))
    row = a.tables["alignment"].set_index("account_id").loc["A1"]
    assert (row["items_known"], row["readiness"]) == (2, 0.5)
    assert a.metrics["alignment_readiness_mean"] == 0.5


def test_no_tier4_gives_an_empty_nurture_list_with_a_sentence(tmp_path):
    a = tiering.analyze(_dataset(tmp_path, accounts=FULL[:3]), _params())
    assert a.tables["nurture_list"].empty and a.metrics["nurture_accounts"] == 0
    assert a.note("nurture_list").startswith("No account is Tier 4")


def test_params_match_the_notebook():
    import nbformat

    path = Path(__file__).parents[1] / "notebooks" / "02_account_tiering.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    tree = ast.parse(cell.source)
    declared = {n.target.id: n.value.value for n in tree.body}
    assert set(declared) - {"data_dir", "output_dir", "redact", "mode"} == set(
        tiering.Params.names()
    )
    for name in tiering.Params.names():
        if name != "quarter":
            assert declared[name] == tiering.Params.default(name), name
    assert nb.metadata["salesnb"]["requires"] == [list(tiering.CORE)]
    assert nb.metadata["salesnb"]["methodology"] == tiering.TieringAnalysis.methodology


def test_global_only_is_not_called_unscorable(tmp_path):
    accounts = [
        ["account_id", "account_name", "is_global"],
        ["G1", "Big", "yes"],
        ["G2", "Bigger", "yes"],
    ]
    a = tiering.analyze(_dataset(tmp_path, accounts=accounts), _params())
    assert a.metrics["Global"] == 2 and a.metrics["unscored"] == 0
    assert a.absent["sensitivity"] == (
        "No account is tiered by its boxes (2 Global by their flag), so no threshold can move a tier."
    )
    # all planned time goes to Global (the only tier with a share)
    assert a.tables["time_plan"].set_index("tier")["planned_share"].to_dict() == {"Global": 1.0}
    assert a.metrics["share_time_on_tier1_planned"] == 0.0


def test_default_scorecard_can_share_the_derived_prior_spend(tmp_path):
    # accounts without prior_spend: analyze derives it from won deals before the quarter
    accounts = [[c for c in FULL[0] if c != "prior_spend"]] + [r[:5] + r[6:] for r in FULL[1:]]
    deals = [
        THIN_DEALS[0],
        ["O1", "A1", "Won", "won", 100, "2026-01-05", "2026-03-01"],  # A1 bought before 2026Q3
        ["O2", "A2", "Won", "won", 300, "2026-06-01", "2026-08-01"],  # A2 only inside it
    ]
    ds = _dataset(tmp_path, accounts=accounts, opportunities=deals)
    a = tiering.analyze(ds, _params())
    spend = tiering.spend_before(ds, pd.Timestamp("2026-07-01"))
    assert spend.to_dict() == {"A1": 100.0}
    shared = tiering.default_scorecard(
        ds.table("accounts"), ds.table("opportunities"), year=2026, prior_spend=spend
    )
    mine = a.tables["scorecard"].set_index("account_id")["tier"]
    assert shared.set_index("account_id")["tier"].to_dict() == mine.to_dict()
    # A1 5 of 5 (pricing unknown) -> T1; A2 4 of 5 -> T2; A3 0 of 5 -> T4
    assert mine.to_dict() == {"A1": "T1", "A2": "T2", "A3": "T4"}


# --------------------------------------------------------------------------- tier moves, headline, actions (issue 13)
def test_tier_moves_hand_worked():
    history = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"],
            "quarter": ["2026Q2", "2026Q3"] * 5,
            "tier": ["T2", "T1", "T3", "T4", "T3", "unscored", "Global", "T1", "T1", "T1"],
        }
    )
    before, moves = tiering.tier_moves(history, "2026Q3")
    assert before == "2026Q2"
    # a up, b down; c became unknown and d lost its Global flag: not tier moves; e stayed
    assert moves.to_dict("records") == [
        {"account_id": "a", "tier_before": "T2", "tier_now": "T1", "move": "up"},
        {"account_id": "b", "tier_before": "T3", "tier_now": "T4", "move": "down"},
    ]
    assert tiering.tier_moves(history, "2026Q2")[0] is None  # no quarter before the first


def test_tier_moves_become_an_action(tmp_path):
    (tmp_path / "h.csv").write_text(
        "account_id,quarter,tier\nA1,2026Q2,T2\nA2,2026Q2,T2\nA3,2026Q2,T3\n"
        "A1,2026Q3,T1\nA2,2026Q3,T2\nA3,2026Q3,T4\n"
    )
    a = tiering.analyze(
        _dataset(tmp_path / "d", accounts=FULL), _params(history_file=str(tmp_path / "h.csv"))
    )
    assert a.table("tier_moves")["account_name"].tolist() == ["Acme $10k_<b>&% Ltd", "Tiny"]
    assert (a.metrics["tier_moves_up"], a.metrics["tier_moves_down"]) == (1, 1)
    assert (
        "Move accounts to their new tier since 2026Q2: 1 up (Acme $10k_<b>&% Ltd T2 → T1) and "
        "1 down (Tiny T3 → T4)" in a.actions[0]
    )
    assert a.actions[1] == "Hand the 1 Tier 4 account to marketing's nurture campaign: Tiny."


def test_headline_says_why_a_figure_is_missing(tmp_path):
    a = tiering.analyze(_dataset(tmp_path, accounts=FULL), _params())
    cards = {k.label: k for k in a.headline}
    assert 3 <= len(a.headline) <= 6
    assert cards["Tier 1 accounts"].value == 1 and cards["Tier 1 accounts"].note == "of 3 accounts"
    assert cards["Tier 4, for marketing to nurture"].value == 1
    t1 = cards["Tier 1 share of logged time"]
    assert t1.value is None and t1.note == "No activities table: add activities.csv."
    assert cards["Key targets with under 5 contacts"].value is None
    assert cards["Key targets with under 5 contacts"].note == "No contacts table: add contacts.csv."
    # pricing unknown for all three: 15 of 18 boxes
    assert cards["Scorecard boxes known"].value == pytest.approx(15 / 18)


def test_unscorable_accounts_get_no_score_and_an_action_to_score_them(tmp_path):
    ds = _dataset(tmp_path, accounts=[["account_id", "account_name"], ["A1", "One"], ["A2", "Two"]])
    a = tiering.analyze(ds, _params())
    assert a.tables["scorecard"]["score"].isna().all()  # 0 known boxes is not a score of 0%
    assert a.actions[0].startswith("Score the accounts before planning time by tier: add ")
    cards = {k.label: k for k in a.headline}
    assert cards["Tier 1 accounts"].value is None
    assert cards["Tier 1 accounts"].note.startswith("No account can be tiered by its boxes yet")


def test_every_table_has_a_spec(tmp_path):
    contacts = [
        ["contact_id", "account_id", "department", "role", "linkedin_connected"],
        ["C1", "A1", "it", "decision_maker", "yes"],
    ]
    a = tiering.analyze(_dataset(tmp_path, accounts=FULL, contacts=contacts), _params())
    for name, table in a.tables.items():
        spec = a.spec(name)
        assert spec is not None and spec.title, name
        if name not in ("coverage_matrix", "churn_flagged"):  # columns named by the data
            assert set(spec.columns) >= set(table.columns), (
                name,
                set(table.columns) - set(spec.columns),
            )


def test_tier_moves_read_last_quarter_from_the_history_store(tmp_path):
    from salesnb import history

    store = tmp_path / "store.duckdb"
    history.record(
        store,
        quarter="2026Q2",
        dataset={"name": "Tiny set"},
        currency="USD",
        metrics={},
        snapshots={
            history.TIERS: pd.DataFrame(
                {"account_id": ["A1", "A2", "A3"], "tier": ["T2", "T2", "T3"]}
            )
        },
    )
    ds = _dataset(tmp_path / "d", accounts=FULL)
    key = history.dataset_key("Tiny set")
    a = tiering.analyze(ds, _params(history_file=str(store), history_key=key))
    assert "2026Q2 as recorded in the history store, the other quarters recomputed" in (
        a.note("tier_churn")
    )
    moves = a.table("tier_moves").set_index("account_id")
    assert moves["move"].to_dict() == {"A1": "up", "A3": "down"}  # now T1, T2, T4
    # a store without an earlier review of this data set: the history is recomputed
    b = tiering.analyze(ds, _params(history_file=str(store), history_key="another-set"))
    assert "recomputed" in b.note("tier_churn")
