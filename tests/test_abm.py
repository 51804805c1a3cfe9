"""salesnb.abm: completeness of hand-made accounts, each risk flag raised and not raised, files."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from salesnb import abm
from salesnb.abm import Plan
from salesnb.schema import DataError

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A", "B"],
        "industry": ["retail", None],
        "owner": ["Ann", "Bob"],
        "employees": [200, 20000],
    }
)
BCS = pd.DataFrame(
    {
        "account_id": ["A", "A"],
        "buying_center": ["it", "finance"],
        "wallet_size": [100.0, 200.0],
        "our_revenue": [10.0, None],
        "sales_goal": [50.0, 60.0],
        "relationship_status": ["strong", None],
        "key_initiatives": ["cloud", "cost"],
        "competitor": [None, "Rival"],
        "growth_trend": ["growing", None],
        "engagement_score": [50.0, None],
    }
)
CONTACTS = pd.DataFrame(
    {
        "account_id": ["A"] * 3,
        "buying_center": ["it", "it", "finance"],
        "role": ["decision_maker", "user", "champion"],
        "last_engaged": pd.to_datetime(["2026-09-01", None, None]),
    }
)
OPPS = pd.DataFrame({"account_id": ["A"], "competitor": [None], "outcome": ["open"]})


@pytest.fixture
def table():
    return abm.readiness(abm.audit(ACCOUNTS, BCS, CONTACTS, OPPS))


def test_audit_hand_worked(table):
    t = table.set_index(["account_id", "buying_center"])
    it, fin = t.loc[("A", "it")], t.loc[("A", "finance")]
    assert [
        bool(it[c])
        for c in [
            "industry",
            "buying_centers",
            "wallet_share",
            "sales_goals",
            "opportunity_status",
            "contacts",
            "relationship_map",
            "key_initiatives",
            "relationship_status",
            "growth_trend",
            "competitive_environment",
            "engagement_history",
        ]
    ] == [True, True, True, True, True, True, True, True, True, True, False, True]
    assert (
        not fin["wallet_share"]
        and not fin["relationship_status"]
        and fin["competitive_environment"]
    )
    b = table[table["account_id"] == "B"].iloc[0]
    assert not b["industry"] and not b["buying_centers"] and not b["opportunity_status"]
    # it: everything but competition (weight 1 of 3*6 + 2*3 + 1*3 = 27): 26/27
    assert it["readiness"] == pytest.approx(26 / 27)


def test_unknown_when_the_data_set_has_no_column():
    t = abm.audit(ACCOUNTS.drop(columns="industry"), BCS.drop(columns=["sales_goal"]), None, None)
    assert (
        t["industry"].isna().all() and t["sales_goals"].isna().all() and t["contacts"].isna().all()
    )
    r = abm.readiness(t)
    assert (r["items_known"] < len(abm.ITEMS)).all()


def test_gap_list_says_who_finds_what(table):
    gaps = abm.gap_list(table)
    b = gaps[(gaps["account_id"] == "B") & (gaps["item"] == "industry")]
    assert len(b) == 1 and b["who"].iloc[0] == "Bob" and b["level"].iloc[0] == "required"
    assert gaps["level"].tolist() == sorted(
        gaps["level"], key=["required", "recommended", "best practice"].index
    )
    a_fin = gaps[(gaps["account_id"] == "A") & (gaps["buying_center"] == "finance")][
        "item"
    ].tolist()
    assert a_fin == [
        "wallet_share",
        "relationship_status",
        "growth_trend",
    ]  # engaged contacts cover engagement


def readiness_of(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"account_id": list(values), "readiness": list(values.values())})


AUDIT = pd.DataFrame(
    {
        "account_id": ["A", "B"],
        "buying_center": ["it", "it"],
        "sales_goals": pd.array([True, True], dtype="boolean"),
    }
)
GOOD = Plan(
    targets=["A", "B"],
    capacity=2,
    marketing_sourced_share=0.05,
    owners={"A": "Mia", "B": "Tom"},
    campaigns={"A": "one", "B": "two"},
)


def raised(plan, ready=None, audit=AUDIT, accounts=ACCOUNTS):
    flags = abm.risk_flags(
        plan, ready if ready is not None else readiness_of({"A": 0.9, "B": 0.8}), audit, accounts
    )
    return dict(zip(flags["flag"], flags["raised"], strict=True))


def test_a_good_plan_raises_nothing():
    assert not any(raised(GOOD).values())


@pytest.mark.parametrize(
    "flag, change",
    [
        ("lack of insight", {"ready": readiness_of({"A": 0.2, "B": 0.3})}),
        (
            "no alignment to sales goals",
            {"audit": AUDIT.assign(sales_goals=pd.array([True, False], dtype="boolean"))},
        ),
        ("overly broad deployment", {"plan": Plan(**{**GOOD.__dict__, "capacity": 1})}),
        (
            "unreasonable expectations",
            {"plan": Plan(**{**GOOD.__dict__, "marketing_sourced_share": 0.4})},
        ),
        ("lack of resources", {"plan": Plan(**{**GOOD.__dict__, "owners": {"A": "Mia"}})}),
        (
            "undifferentiated tactics",
            {"plan": Plan(**{**GOOD.__dict__, "campaigns": {"A": "same", "B": "same"}})},
        ),
    ],
)
def test_each_flag_raised_by_a_minimal_case(flag, change):
    plan = change.get("plan", GOOD)
    flags = raised(plan, change.get("ready"), change.get("audit", AUDIT))
    assert flags[flag] is True or flags[flag] == True  # noqa: E712
    assert sum(bool(v) for v in flags.values()) == 1, flags


def test_expectations_depend_on_account_size():
    large = ACCOUNTS.assign(employees=[20000, 20000])
    plan = Plan(**{**GOOD.__dict__, "marketing_sourced_share": 0.2})
    assert raised(plan, accounts=large)["unreasonable expectations"]
    assert not raised(plan, accounts=ACCOUNTS.assign(employees=[200, 300]))[
        "unreasonable expectations"
    ]


def test_without_plan_flags_are_unknown():
    flags = abm.risk_flags(None, readiness_of({"A": 0.9}), AUDIT, ACCOUNTS)
    assert flags["raised"].isna().all() and flags["evidence"].str.contains("plan_file").all()


def test_plan_and_questionnaire_files(tmp_path):
    (tmp_path / "plan.yml").write_text(
        "targets: [A, B]\ncapacity: 1\nmarketing_sourced_share: 0.1\n"
        "accounts:\n  A: {marketing_owner: Mia, campaign: x}\n"
    )
    plan = abm.load_plan(tmp_path / "plan.yml")
    assert plan.targets == ["A", "B"] and plan.capacity == 1 and plan.owners == {"A": "Mia"}
    (tmp_path / "q.yml").write_text(
        "joint_objectives: partly\naccount_plans_exist: yes\nsales_open_to_new_help: no\n"
    )
    answers = abm.load_questionnaire(tmp_path / "q.yml")
    assert answers == {
        "joint_objectives": 0.5,
        "account_plans_exist": 1.0,
        "sales_open_to_new_help": 0.0,
    }
    assert abm.score_questionnaire(answers)["score"].isna().sum() == len(abm.QUESTIONS) - 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("joint_objectives: sometimes\n", "answer yes, partly or no"),
        ("free_lunch: yes\n", "unknown question(s) free_lunch"),
        ("- a list\n", "expected 'question"),
        ("joint_objectives: [yes\n", "cannot read the questionnaire"),
    ],
)
def test_malformed_questionnaire(tmp_path, text, message):
    (tmp_path / "q.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        abm.load_questionnaire(tmp_path / "q.yml")


@pytest.mark.parametrize(
    "text, message",
    [
        ("capacity: 3\n", "'targets' must list"),
        ("targets: [A]\nmarketing_sourced_share: 30\n", "between 0 and 1"),
        ("targets: [A]\ncolour: red\n", "unknown key(s) colour"),
        (
            "targets: [A]\naccounts:\n  A: {owner: x}\n",
            "accounts.A takes marketing_owner and campaign",
        ),
    ],
)
def test_malformed_plan(tmp_path, text, message):
    (tmp_path / "p.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        abm.load_plan(tmp_path / "p.yml")


def test_candidates_and_white_space():
    ready = readiness_of({"A": 0.9, "B": 0.4})
    tiers = pd.DataFrame({"account_id": ["A", "B"], "tier": ["T1", "T3"]})
    picks = abm.candidates(ready, BCS, tiers, capacity=1)
    assert picks["account_id"].tolist() == ["A", "B"] and picks["selected"].tolist() == [
        True,
        False,
    ]
    # A: wallet 300, ours 10 -> share 1/30; relationship good in 1 of 2 buying centers
    assert (
        picks["wallet_share"].iloc[0] == pytest.approx(10 / 300)
        and picks["relationship"].iloc[0] == 0.5
    )
    opps = pd.DataFrame(
        {
            "account_id": ["A", "A"],
            "outcome": ["won", "lost"],
            "amount": [5.0, 9.0],
            "product_id": ["P1", "P1"],
            "buying_center": ["it", "finance"],
        }
    )
    grid = abm.white_space(
        opps, pd.DataFrame({"product_id": ["P1"], "family": ["platform"]}), BCS, ["A"]
    )
    assert grid.loc["it", "platform"] == 5.0 and grid.loc["finance", "platform"] == 0.0
    assert grid.loc["it", "money_at_stake"] == 90.0


def test_metrics(table):
    flags = abm.risk_flags(GOOD, readiness_of({"A": 0.9, "B": 0.2}), AUDIT, ACCOUNTS)
    m = abm.metrics(
        abm.by_account(table), flags, pd.DataFrame({"selected": [True, False]}), ready_min=0.7
    )
    assert m["accounts_ready"] == 1 and m["candidates"] == 1 and m["risk_flags"] == []
