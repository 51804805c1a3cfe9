"""salesnb.abm: hand-worked audit, readiness and its coverage, each risk flag, files, analyze on thin data."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from salesnb import abm
from salesnb.abm import Plan
from salesnb.analysis import NotAnalysable
from salesnb.notebook import _jsonable, show
from salesnb.schema import DataError
from salesnb.sources import load_dataset

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_abm_readiness.ipynb"

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A", "B"],
        "account_name": ["Alpha", "Beta"],
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
W = 27  # 6 required x 3 + 3 recommended x 2 + 3 best practice x 1


@pytest.fixture
def table():
    return abm.readiness(abm.audit(ACCOUNTS, BCS, CONTACTS, OPPS))


# --------------------------------------------------------------------------- audit and readiness
def test_audit_hand_worked(table):
    t = table.set_index(["account_id", "buying_center"])
    it, fin = t.loc[("A", "it")], t.loc[("A", "finance")]
    assert [bool(it[c]) for c in abm.ITEMS] == [True] * 10 + [False, True]  # no competitor for it
    assert (
        not fin["wallet_share"]
        and not fin["relationship_status"]
        and fin["competitive_environment"]
    )
    b = table[table["account_id"] == "B"].iloc[0]
    # B has no buying center although the table exists: missing, not unknown
    assert (
        b[["industry", "buying_centers", "wallet_share", "opportunity_status", "contacts"]].tolist()
        == [False] * 5
    )
    # it: everything but competition (weight 1 of 27): 26/27, all 12 items known
    assert it["readiness"] == pytest.approx(26 / W)
    assert it["readiness_coverage"] == 1.0 and it["items_known"] == 12


def test_by_account_means_over_buying_centers(table):
    acc = abm.by_account(table).set_index("account_id")
    # finance misses wallet share (3), relationship status (2), growth trend (1): 21/27
    assert acc.loc["A", "readiness"] == pytest.approx((26 / W + 21 / W) / 2)
    assert acc.loc["A", "wallet_share"] == 0.5 and acc.loc["A", "buying_center_count"] == 2
    # B: every item is known (the tables and columns exist) and none is present
    assert acc.loc["B", "readiness"] == 0.0 and acc.loc["B", "readiness_coverage"] == 1.0


def test_no_buying_centers_table_means_unknown_not_missing():
    """Regression (Maven): without buying_centers, its items are unknown and coverage says so."""
    accounts = ACCOUNTS.drop(columns="employees")
    opps = pd.DataFrame({"account_id": ["A"]})
    t = abm.readiness(abm.audit(accounts, None, None, opps))
    for item in ("buying_centers", "wallet_share", "sales_goals", "contacts", "key_initiatives"):
        assert t[item].isna().all(), item
    a, b = t.set_index("account_id").loc["A"], t.set_index("account_id").loc["B"]
    # known: industry (3) and opportunity status (3); A has both, B neither
    assert a["readiness"] == 1.0 and b["readiness"] == 0.0
    assert a["readiness_coverage"] == pytest.approx(6 / W) and a["items_known"] == 2


def test_unknown_when_the_data_set_has_no_column():
    t = abm.audit(ACCOUNTS.drop(columns="industry"), BCS.drop(columns=["sales_goal"]), None, None)
    assert t["industry"].isna().all() and t["sales_goals"].isna().all()
    assert t["contacts"].isna().all() and t["opportunity_status"].isna().all()
    r = abm.readiness(t)
    assert (r["items_known"] < len(abm.ITEMS)).all()


def test_contacts_without_buying_center_column():
    """Rows with a buying center cannot tell; a row without one counts contacts at the account."""
    people = CONTACTS.drop(columns="buying_center")
    t = abm.audit(ACCOUNTS, BCS, people, None)
    assert t.loc[t["account_id"] == "A", "contacts"].isna().all()
    assert t.loc[t["account_id"] == "B", "contacts"].tolist() == [False]


def test_readiness_undefined_when_nothing_is_known():
    t = abm.readiness(abm.audit(ACCOUNTS[["account_id", "account_name"]], None, None, None))
    assert t["readiness"].isna().all() and (t["readiness_coverage"] == 0).all()


def test_gap_list_says_who_finds_what(table):
    gaps = abm.gap_list(table)
    b = gaps[(gaps["account_id"] == "B") & (gaps["item"] == "industry")]
    assert len(b) == 1 and b["who"].iloc[0] == "Bob" and b["level"].iloc[0] == "required"
    assert b["account_name"].iloc[0] == "Beta"
    assert gaps["level"].tolist() == sorted(
        gaps["level"], key=["required", "recommended", "best practice"].index
    )
    a_fin = gaps[(gaps["account_id"] == "A") & (gaps["buying_center"] == "finance")]
    # engaged contacts cover engagement
    assert a_fin["item"].tolist() == ["wallet_share", "relationship_status", "growth_trend"]


def test_gap_list_leaves_unknown_items_out():
    t = abm.audit(ACCOUNTS, None, None, None)
    assert abm.gap_list(t)["item"].tolist() == ["industry"]  # B's industry; the rest unknown


def test_to_measure_names_files_and_columns():
    have = {"accounts": {"account_id", "account_name"}, "buying_centers": None}
    have |= {"contacts": None, "opportunities": {"account_id", "stage"}}
    text = abm.to_measure(["industry", "buying_centers", "sales_goals", "relationship_map"], have)
    assert text == (
        "buying_centers.csv (account_id, buying_center, sales_goal), "
        "contacts.csv (contact_id, account_id, role) and industry to accounts.csv"
    )
    # a column is easier than a file: competitor goes to the opportunities the data set has
    assert abm.to_measure(["competitive_environment"], have) == "competitor to opportunities.csv"


# --------------------------------------------------------------------------- risk flags
def readiness_of(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": list(values), "readiness": list(values.values()), "readiness_coverage": 1.0}
    )


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


def status(plan, ready=None, audit=AUDIT, accounts=ACCOUNTS):
    flags = abm.risk_flags(
        plan, ready if ready is not None else readiness_of({"A": 0.9, "B": 0.8}), audit, accounts
    )
    return dict(zip(flags["flag"], flags["status"], strict=True))


def test_a_good_plan_raises_nothing():
    assert set(status(GOOD).values()) == {"clear"}


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
    flags = status(change.get("plan", GOOD), change.get("ready"), change.get("audit", AUDIT))
    assert flags[flag] == "raised"
    assert [f for f, s in flags.items() if s != "clear"] == [flag]


def test_expectations_depend_on_account_size():
    large = ACCOUNTS.assign(employees=[20000, 20000])
    plan = Plan(**{**GOOD.__dict__, "marketing_sourced_share": 0.2})
    assert status(plan, accounts=large)["unreasonable expectations"] == "raised"
    small = ACCOUNTS.assign(employees=[200, 300])
    assert status(plan, accounts=small)["unreasonable expectations"] == "clear"


@pytest.mark.parametrize("share, expected", [(0.05, "clear"), (0.2, "unknown"), (0.4, "raised")])
def test_expectations_without_sizes(share, expected):
    """No employees column: at most 10% is fine for any account, above 30% for none, between unknown."""
    plan = Plan(**{**GOOD.__dict__, "marketing_sourced_share": share})
    accounts = ACCOUNTS.drop(columns="employees")
    assert status(plan, accounts=accounts)["unreasonable expectations"] == expected


def test_without_plan_flags_are_unknown():
    flags = abm.risk_flags(None, readiness_of({"A": 0.9}), AUDIT, ACCOUNTS)
    assert (flags["status"] == "unknown").all() and flags["raised"].isna().all()
    assert flags["evidence"].str.contains("plan_file").all()


def test_sales_goals_unknown_without_the_column():
    """Regression (Maven): no buying_centers table must not raise 'targets have no sales goal'."""
    audit = abm.audit(ACCOUNTS, None, None, None)
    flags = status(GOOD, audit=audit)
    assert flags["no alignment to sales goals"] == "unknown"


def test_targets_not_in_the_data_are_named_and_left_out():
    plan = Plan(**{**GOOD.__dict__, "targets": ["A", "B", "A00003", "A00005"], "capacity": 2})
    flags = abm.risk_flags(plan, readiness_of({"A": 0.9, "B": 0.8}), AUDIT, ACCOUNTS)
    broad = flags.set_index("flag").loc["overly broad deployment"]
    assert broad["status"] == "clear" and broad["evidence"].startswith("2 target accounts")
    alone = Plan(**{**GOOD.__dict__, "targets": ["A00003", "A00005"]})
    flags = abm.risk_flags(alone, readiness_of({"A": 0.9}), AUDIT, ACCOUNTS)
    assert (flags["status"] == "unknown").all()
    assert flags["evidence"].str.contains("none of the plan's 2 targets").all()


# --------------------------------------------------------------------------- files
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
    scored = abm.score_questionnaire(answers)
    assert scored["score"].isna().sum() == len(abm.QUESTIONS) - 3
    assert (scored["answer"] == "not answered").sum() == len(abm.QUESTIONS) - 3


def test_example_files_load():
    plan = abm.load_plan(ROOT / abm.EXAMPLE_PLAN)
    assert set(abm.PLAN_KEYS) >= {"targets", "capacity"} and len(plan.targets) == 12
    assert len(abm.load_questionnaire(ROOT / abm.EXAMPLE_QUESTIONNAIRE)) == len(abm.QUESTIONS)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "joint_objectives: sometimes\n",
            "joint_objectives must be yes, partly or no, got the text",
        ),
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
        ("capacity: 3\n", "needs 'targets', the list of target account ids"),
        ("targets: A\n", "targets must be a list of the target account ids, got the text 'A'"),
        ("targets: [A]\ncapacity: lots\n", "line 2: capacity must be a whole number"),
        ("targets: [A]\nmarketing_sourced_share: 30\n", "between 0 and 1"),
        ("targets: [A]\ncolour: red\n", "unknown key(s) colour"),
        (
            "targets: [A]\naccounts:\n  A: {owner: x}\n",
            "line 3: accounts.A: unknown key(s) owner; known keys: marketing_owner, campaign",
        ),
    ],
)
def test_malformed_plan(tmp_path, text, message):
    (tmp_path / "p.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        abm.load_plan(tmp_path / "p.yml")


# --------------------------------------------------------------------------- candidates, white space
def test_candidates_and_white_space():
    ready = readiness_of({"A": 0.9, "B": 0.4})
    tiers = pd.DataFrame({"account_id": ["A", "B"], "tier": ["T1", "T3"]})
    picks = abm.candidates(ready, BCS, tiers, capacity=1)
    assert picks["account_id"].tolist() == ["A", "B"]
    assert picks["selected"].tolist() == [True, False]
    # A: wallet 300, ours 10 -> share 1/30; relationship rated in 1 buying center, strong: 1.0
    a = picks.iloc[0]
    assert a["wallet_share"] == pytest.approx(10 / 300) and a["relationship_share"] == 1.0
    # 0.3 x T1 + 0.3 x 0.9 + 0.2 x (1 - 1/30) + 0.2 x 1 = 0.9633
    assert a["score"] == pytest.approx(0.9633)
    # B has no buying center: wallet share and relationships unknown, adding nothing: 0.3 x 0.4
    b = picks.iloc[1]
    assert b["score"] == pytest.approx(0.12) and "wallet share unknown" in b["reason"]
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
    assert grid.loc["it", "wallet_to_win"] == 90.0


def test_white_space_without_families_or_buying_centers():
    opps = pd.DataFrame({"account_id": ["A"], "outcome": ["won"], "amount": [7.0]})
    grid = abm.white_space(opps, None, None, ["A"])
    assert grid.loc["unknown", "all products"] == 7.0


# --------------------------------------------------------------------------- analyze on data sets
def write(folder: Path, **tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


ACC_CSV = "account_id,account_name\nA1,Quote $10k-$50k & <Co>\nA2,שלום 🚀\n"
OPP_CSV = (
    "opportunity_id,account_id,stage,amount,created_date,close_date\n"
    "O1,A1,Won,100,2026-07-01,2026-08-01\n"
    "O2,A9,Won,50,2026-07-01,2026-08-01\n"
    "O3,A2,Open,80,2026-10-15,2026-12-01\n"
)


def analyze(folder: Path, **params):
    return abm.analyze(load_dataset(folder), abm.Params(quarter="2026Q3", **params))


def test_needs_accounts(tmp_path):
    folder = write(
        tmp_path / "d",
        opportunities=OPP_CSV.replace("A9", "A1"),
    )
    with pytest.raises(NotAnalysable):
        analyze(folder)


def test_accounts_only(tmp_path):
    a = analyze(write(tmp_path / "d", accounts=ACC_CSV))
    assert a.metrics == {
        "readiness_mean": None,
        "readiness_coverage": 0.0,
        "accounts_ready": None,
        "risk_flags": None,
        "candidates": None,
    }
    for name in ("readiness", "audit", "gaps", "risk_flags", "success_factors", "candidates"):
        assert name in a.absent, name
    assert "add buying_centers.csv" in a.absent["readiness"]
    assert a.absent["white_space"].startswith("No opportunities table")
    assert a.reason("readiness") and a.chart("readiness_map") is None
    assert 3 <= len(a.findings) <= 5
    json.dumps(_jsonable(a.metrics), allow_nan=False)
    json.dumps(_jsonable(a.summary()), allow_nan=False)
    assert a.table("figures")["value"].tolist()[:2] == ["2", "0 of 12"]


def test_accounts_and_opportunities(tmp_path):
    """O2 has no known account, O3 is created after the quarter: only O1 counts."""
    a = analyze(write(tmp_path / "d", accounts=ACC_CSV, opportunities=OPP_CSV))
    rows = a.coverage.rows.set_index("table")
    assert rows.loc["opportunities", "used"] == 1
    assert rows.loc["opportunities", "why"] == "no known account: 1; created after 2026-09-30: 1"
    # only opportunity status is known (weight 3 of 27); A1 has a deal, A2 none
    assert a.metrics["readiness_coverage"] == pytest.approx(3 / W)
    # one item known of the six required: readiness 0.5, but no account can be called ready
    assert a.metrics["readiness_mean"] == 0.5 and a.metrics["accounts_ready"] is None
    assert "measured on 1 of 12 items (11% of the weighted list)" in a.findings[0]
    assert "add buying_centers.csv" in a.findings[0] and "industry to accounts.csv" in a.findings[0]
    # no outcome column: won deals cannot be told
    assert "no outcome column" in a.absent["white_space"]
    # two accounts, capacity 10: both selected, ranked on readiness alone
    assert a.metrics["candidates"] == 2 and "tier (no account" in a.note("candidates")
    for name in a.charts:
        ax = a.chart(name)
        if ax is not None:
            ax.figure.canvas.draw()  # "$" in an account name must draw as text
            plt.close(ax.figure)
    for name in a.tables:
        assert show(a, name).to_html()


def test_deals_without_created_date_still_count(tmp_path):
    """O1 has no created date and closed in the quarter; O2 neither date: both show a deal."""
    opps = (
        "opportunity_id,account_id,stage,amount,created_date,close_date\n"
        "O1,A1,Won,100,,2026-08-01\nO2,A2,Open,80,,\nO3,A2,Open,80,,2026-12-01\n"
    )
    a = analyze(write(tmp_path / "d", accounts=ACC_CSV, opportunities=opps))
    assert a.metrics["readiness_mean"] == 1.0
    why = a.coverage.rows.set_index("table").loc["opportunities", "why"]
    assert why == "no created date, closed after 2026-09-30: 1"


def test_demo_plan_does_not_leak(tmp_path):
    """Regression: the defaults name no example file, so the demo's targets never reach a review."""
    assert abm.Params.default("plan_file") == "" and abm.Params.default("questionnaire_file") == ""
    a = analyze(write(tmp_path / "d", accounts=ACC_CSV, opportunities=OPP_CSV))
    assert a.metrics["risk_flags"] is None
    assert (a.tables["risks"]["status"] == "unknown").all()
    why = a.absent["risk_flags"]
    assert abm.EXAMPLE_PLAN in why and all(k in why for k in abm.PLAN_KEYS)
    assert abm.EXAMPLE_QUESTIONNAIRE in a.absent["success_factors"]
    assert "A00003" not in json.dumps(_jsonable(a.summary()))
    cell = next(
        c
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )
    defaults = {n.target.id: n.value.value for n in ast.parse(cell.source).body}
    assert not [k for k, v in defaults.items() if isinstance(v, str) and "examples" in v]


def test_notebook_parameters_match_params():
    cell = next(
        c
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )
    names = [n.target.id for n in ast.parse(cell.source).body]
    assert set(names) - {"data_dir", "output_dir", "redact", "mode"} == set(abm.Params.names())
    source = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert "describe(" not in source  # no statistics of the readiness column as headline figures
    assert nbformat.read(NOTEBOOK, as_version=4).metadata["salesnb"]["requires"] == [["accounts"]]


def test_plan_with_targets_outside_the_data(tmp_path):
    folder = write(tmp_path / "d", accounts=ACC_CSV, opportunities=OPP_CSV)
    (tmp_path / "plan.yml").write_text(
        "targets: [A1, A00003, A00005]\ncapacity: 5\n"
        "accounts:\n  A1: {marketing_owner: Mia, campaign: x}\n"
    )
    a = analyze(folder, plan_file=str(tmp_path / "plan.yml"))
    rows = a.coverage.rows.set_index("table")
    assert rows.loc["plan targets", "used"] == 1 and rows.loc["plan targets", "left_out"] == 2
    assert "2 of the plan's 3 targets are not in the data set and are left out: A00003, A00005" in (
        a.note("risks")
    )
    flags = a.tables["risks"].set_index("flag")["status"]
    # one target: 1 <= capacity 5, an owner, a single target cannot be undifferentiated
    assert flags["overly broad deployment"] == "clear" and flags["lack of resources"] == "clear"
    # no sales goals in the data set, no marketing share in the plan
    assert flags["no alignment to sales goals"] == "unknown"
    assert flags["unreasonable expectations"] == "unknown"
    assert a.metrics["risk_flags"] == []
    (tmp_path / "far.yml").write_text("targets: [A00003]\n")
    far = analyze(folder, plan_file=str(tmp_path / "far.yml"))
    assert far.metrics["risk_flags"] is None and "None of the plan's 1 target is" in far.note(
        "risks"
    )


def test_questionnaire_section(tmp_path):
    folder = write(tmp_path / "d", accounts=ACC_CSV)
    (tmp_path / "q.yml").write_text("joint_objectives: no\naccount_plans_exist: partly\n")
    a = analyze(folder, questionnaire_file=str(tmp_path / "q.yml"))
    assert "success_factors" not in a.absent
    assert a.note("success_factors") == (
        "The leads' answers score 0.5 of 7 (2 of 7 questions answered); answered no: joint objectives."
    )


def test_full_data_set_with_buying_centers_and_contacts(tmp_path):
    folder = write(
        tmp_path / "d",
        accounts="account_id,account_name,industry\nA1,One,retail\nA2,Two,\n",
        buying_centers=(
            "account_id,buying_center,wallet_size,our_revenue,sales_goal\n"
            "A1,it,100,10,50\nA1,hr,200,,\nA9,it,1,1,1\n"
        ),
        contacts="contact_id,account_id,buying_center\nC1,A1,it\nC2,A2,\nC3,A9,it\n",
        opportunities=OPP_CSV,
    )
    a = analyze(folder)
    rows = a.coverage.rows.set_index("table")
    assert rows.loc["buying_centers", "used"] == 2 and rows.loc["contacts", "used"] == 2
    assert rows.loc["contacts", "why"] == "no known account: 1"
    # known: industry 3, buying centers 3, wallet share 3, sales goals 3, status 3, contacts 3 = 18
    assert a.metrics["readiness_coverage"] == pytest.approx(18 / W)
    acc = a.tables["readiness"].set_index("account_id")
    # A1 it: all 6 present -> 1; A1 hr: industry, bc, status -> 9/18; mean 0.75
    # A2 (no buying center): contact at the account only -> 3/18
    assert acc.loc["A1", "readiness"] == pytest.approx(0.75)
    assert acc.loc["A2", "readiness"] == pytest.approx(3 / 18)
    assert a.metrics["readiness_mean"] == pytest.approx((0.75 + 3 / 18) / 2)
    assert a.metrics["accounts_ready"] == 1
    assert "key_initiatives" in a.findings[0]  # what to add to buying_centers.csv


def test_capacity_zero_selects_none(tmp_path):
    a = analyze(write(tmp_path / "d", accounts=ACC_CSV, opportunities=OPP_CSV), capacity=0)
    assert a.metrics["candidates"] == 0 and "capacity parameter is 0" in a.absent["candidates"]


def test_every_account_alike_has_no_candidates(tmp_path):
    """12 accounts, each with an industry and a won deal: all score 0.3 x 1, none stands out."""
    accounts = "account_id,account_name,industry\n" + "".join(
        f"A{i},N{i},retail\n" for i in range(12)
    )
    opps = "opportunity_id,account_id,stage,amount,created_date,close_date,outcome\n" + "".join(
        f"O{i},A{i},won,10,2026-07-01,2026-08-01,won\n" for i in range(12)
    )
    a = analyze(write(tmp_path / "d", accounts=accounts, opportunities=opps))
    assert a.metrics["candidates"] is None and "scores the same" in a.absent["candidates"]
    assert "No account was selected" in a.absent["white_space"]
    assert a.metrics["readiness_mean"] == 1.0
    assert a.metrics["readiness_coverage"] == pytest.approx(6 / W)


# --------------------------------------------------------------------------- plots
def test_plots_draw_names_with_dollars():
    table = abm.by_account(
        abm.readiness(abm.audit(ACCOUNTS.assign(account_name=["$ A", "B $"]), BCS, None, None))
    )
    ax = abm.plot_readiness(table)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$ A", "B $"]
    plt.close(ax.figure)
    grid = pd.DataFrame({"$x": [5.0, 0.0]}, index=["it $", "hr"])
    ax = abm.plot_white_space(grid)
    ax.figure.canvas.draw()
    assert "1 buying-center" in ax.get_title()
    plt.close(ax.figure)
    flags = abm.risk_flags(GOOD, readiness_of({"A": 0.2, "B": 0.3}), AUDIT, ACCOUNTS)
    ax = abm.plot_risks(flags)
    assert ax.get_title().startswith("1 of 6 failure risks raised")
    plt.close(ax.figure)


# --------------------------------------------------------------------------- issue 13: headline and actions
def test_headline_and_actions(tmp_path):
    folder = write(
        tmp_path / "d",
        accounts="account_id,account_name,industry\nA1,One,retail\nA2,Two,\n",
        buying_centers=(
            "account_id,buying_center,wallet_size,our_revenue,sales_goal\n"
            "A1,it,100,10,50\nA1,hr,200,,\n"
        ),
        contacts="contact_id,account_id,buying_center\nC1,A1,it\nC2,A2,\n",
        opportunities=OPP_CSV,
    )
    a = analyze(folder)
    kpi = {k.label: k for k in a.headline}
    assert [k.label for k in a.headline] == [
        "Accounts audited",
        "Readiness coverage",
        "Mean readiness",
        "Accounts ready",
        "Failure risks raised",
        "ABM candidates",
    ]
    assert kpi["Accounts audited"].value == 2 and kpi["Accounts audited"].note == (
        "6 of 12 items measurable"
    )
    assert kpi["Readiness coverage"].value == pytest.approx(18 / W)
    assert kpi["Accounts ready"].value == 1
    # no plan: no figure, and the note says what to give
    assert kpi["Failure risks raised"].value is None
    assert kpi["Failure risks raised"].note == "no programme plan: pass plan_file"
    # A1 hr lacks wallet share, sales goal and contacts; A2 (no buying center) lacks industry,
    # buying centers, wallet share, sales goals and opportunity status: wallet share and sales
    # goals are missing at both accounts, and wallet share comes first in the ABM list
    assert a.actions == (
        "Agree an ABM programme plan (targets, capacity, marketing-sourced share, a marketing "
        "owner and campaign per target) and add it to the next review (plan_file), so the six "
        "ABM failure risks can be judged.",
        "Find the wallet share by buying center (wallet size and our revenue) at 2 accounts: a "
        "required item, the one most often missing; start with the least ready: Two, One.",
        "Add key_initiatives, relationship_status, growth_trend, competitor and engagement_score "
        "to buying_centers.csv and role to contacts.csv to measure the whole ABM list (the data "
        "covers 67% of it).",
        "Start ABM with One and Two.",
    )


def test_an_empty_gap_list_is_a_sentence(tmp_path):
    accounts = "account_id,account_name,industry\nA1,N1,retail\n"
    a = analyze(write(tmp_path / "d", accounts=accounts))
    assert "gaps" not in a.tables
    assert a.absent["gaps"].startswith("Nothing to find")


def test_readiness_heatmap_has_a_colour_bar_and_leaves_unknown_items_out():
    table = abm.by_account(abm.readiness(abm.audit(ACCOUNTS, BCS, None, None)))
    ax = abm.plot_readiness(table)
    bars = [x for x in ax.figure.axes if x is not ax]
    assert len(bars) == 1 and "share of the account's buying centers" in bars[0].get_ylabel()
    drawn = [t.get_text() for t in ax.get_xticklabels()]
    assert "contacts" not in drawn and "industry" in drawn  # no contacts table: unknown
    assert ax.get_xlabel().endswith("items are unknown for every account: not drawn")
    plt.close(ax.figure)
