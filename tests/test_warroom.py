"""salesnb.warroom: selection, scheduling, agenda, playbook, and ``analyze`` on hand-made data sets."""

from __future__ import annotations

import ast
import datetime
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from salesnb import warroom
from salesnb.notebook import export_table
from salesnb.schema import DataError, UsageError
from salesnb.sources import load_dataset

ROOT = Path(__file__).resolve().parent.parent
AS_OF = pd.Timestamp("2026-09-30")  # a Wednesday; +30 days = Friday 2026-10-30


def experts(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["expert_id", "area", "unavailable_dates"])


def cases(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"opportunity_id": list(ids)})


# --------------------------------------------------------------------------- scheduling
def test_schedule_hand_worked():
    ex = experts(
        [
            ("P1", "product", "2026-10-30"),
            ("P2", "product", ""),
            ("L1", "legal", "2026-10-30;2026-11-02"),
        ]
    )
    areas = {"A": ["product", "legal"], "B": ["product"], "C": ["product"]}
    plan = warroom.schedule(
        cases("A", "B", "C"), ex, areas=areas, as_of=AS_OF, lead_days=30, window_days=5
    )
    got = plan.set_index("opportunity_id")
    # A: legal is away on Fri 30 Oct and Mon 2 Nov -> Tue 3 Nov with P1 (first free product expert)
    assert (
        got.loc["A", "date"] == "2026-11-03" and got.loc["A", "experts"] == "product: P1; legal: L1"
    )
    # B: Fri 30 Oct, P1 away, P2 free
    assert got.loc["B", "date"] == "2026-10-30" and got.loc["B", "experts"] == "product: P2"
    # C: Fri 30 Oct, P2 already booked and P1 away -> Mon 2 Nov with P1
    assert got.loc["C", "date"] == "2026-11-02" and got.loc["C", "experts"] == "product: P1"
    assert got.loc["A", "expert_ids"] == "P1; L1"


def test_schedule_names_experts_by_full_name():
    ex = experts([("P1", "product", "")]).assign(full_name=["Pia $ Ng"])
    plan = warroom.schedule(
        cases("A"), ex, areas={"A": ["product"]}, as_of=AS_OF, lead_days=30, window_days=5
    )
    assert plan["experts"].iloc[0] == "product: Pia $ Ng" and plan["expert_ids"].iloc[0] == "P1"


def test_unsolvable_conflict_is_reported_not_papered_over():
    ex = experts(
        [("P1", "product", ""), ("L1", "legal", "2026-10-30;2026-11-02;2026-11-03;2026-11-04")]
    )
    plan = warroom.schedule(
        cases("A"),
        ex,
        areas={"A": ["product", "legal", "security"]},
        as_of=AS_OF,
        lead_days=30,
        window_days=5,
    )
    row = plan.iloc[0]
    assert pd.isna(row["date"]) and row["experts"] == ""
    # 30 Oct and 2-4 Nov: legal is away (blocked by L1), and nobody has security on any day
    assert "legal (blocked by L1)" in row["why_no_date"]
    assert "security (blocked by nobody has this area)" in row["why_no_date"]
    assert "2026-10-30 .. 2026-11-04" in row["why_no_date"]
    assert "security" in warroom.schedule_note(plan)


def test_no_expert_is_double_booked():
    ex = experts([("P1", "product", "")])
    plan = warroom.schedule(
        cases("A", "B"),
        ex,
        areas={"A": ["product"], "B": ["product"]},
        as_of=AS_OF,
        lead_days=30,
        window_days=5,
    )
    assert plan["date"].tolist() == ["2026-10-30", "2026-11-02"]  # Friday, then the next weekday


def test_roster_statuses():
    ex = experts(
        [
            ("P1", "product", ""),
            ("L1", "legal", "2026-10-30;2026-11-02"),
            ("H1", "hr", ""),
        ]
    )
    areas = {"A": ["product"], "B": ["product", "legal"]}
    plan = warroom.schedule(
        cases("A", "B"), ex, areas=areas, as_of=AS_OF, lead_days=30, window_days=5
    )
    # A: Fri 30 Oct with P1; B: legal away 30 Oct and 2 Nov -> Tue 3 Nov with P1 and L1
    assert plan["date"].tolist() == ["2026-10-30", "2026-11-03"]
    days = warroom.search_days(AS_OF, lead_days=30, window_days=5)
    r = warroom.roster(ex, plan, areas=areas, days=days).set_index("expert_id")
    assert r.loc["P1", "booked_on"] == "2026-10-30, 2026-11-03"
    assert (
        r.loc["L1", "status"] == "booked" and r.loc["L1", "away_on_proposed_dates"] == "2026-10-30"
    )
    assert r.loc["H1", "status"] == "area not needed"


def test_start_from():
    end = pd.Timestamp("2026-09-30")
    assert warroom.start_from(end, "", datetime.date(2026, 11, 25)) == (
        pd.Timestamp("2026-11-25"),
        "run date",
    )
    assert warroom.start_from(end, "", datetime.date(2026, 8, 1)) == (end, "quarter end")
    assert warroom.start_from(end, "2026-10-05", datetime.date(2026, 11, 25)) == (
        pd.Timestamp("2026-10-05"),
        "parameter",
    )
    with pytest.raises(UsageError, match="start_date '05/10/2026' is not an ISO date"):
        warroom.start_from(end, "05/10/2026")


# --------------------------------------------------------------------------- agenda
def test_agenda_times_and_attendance():
    a = warroom.agenda(
        start="08:30", minutes=[30, 60, 90, 30, 30, 30, 30], rep="Ann", experts=["legal", "pricing"]
    )
    assert a["from"].tolist() == ["08:30", "09:00", "10:00", "11:30", "12:00", "12:30", "13:00"]
    assert a["to"].iloc[-1] == "13:30"
    assert (
        "Ann" not in a.loc[a["step"] == 3, "who"].iloc[0]
        and "Ann" in a.loc[a["step"] == 4, "who"].iloc[0]
    )
    assert a["rep_in_room"].tolist() == [True, True, False, True, True, True, True]
    with pytest.raises(DataError, match="7 positive durations"):
        warroom.agenda(minutes=[30, 30])
    with pytest.raises(UsageError, match="start_time '9h' is not a time of day"):
        warroom.agenda(start="9h")


def test_rep_leaves_at_step_three_even_with_a_comma_in_the_name():
    assert warroom.rep_leaves_at(warroom.agenda(rep="Kim, Hana", experts=["legal"])) == 3


# --------------------------------------------------------------------------- selection
OPEN = pd.DataFrame(
    {
        "opportunity_id": ["O1", "O2", "O3", "O4"],
        "account_id": ["A1", "A2", "A3", "A1"],
        "amount": [100_000.0, 100_000.0, 5_000.0, None],
        "stage": ["propose", "qualify", "propose", "propose"],
        "competitor": ["Rival", None, None, None],
        "owner": ["Ann"] * 4,
        "product_id": ["P1", "P2", "P1", "P1"],
    }
)
NO_COMPLEXITY = "complexity (no contacts or buying_centers table)"


def test_selection_order_and_reasons():
    tiers = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "tier": ["T1", "T3", "T2"]})
    ranked = warroom.candidates(OPEN, tiers=tiers, stages=["qualify", "propose", "negotiate"])
    # O1: largest, Tier 1, competitor, mid-funnel; O2: as large but T3, no competitor, first stage
    assert ranked["opportunity_id"].tolist() == ["O1", "O2", "O3"]  # O4 has no amount
    assert ranked["score"].iloc[0] == pytest.approx(0.4 + 0.2 + 0.1 + 0.1)
    parts = ranked[[f"score_{n}" for n in warroom.WEIGHTS]].sum(axis=1)
    assert parts.round(4).tolist() == ranked["score"].tolist()
    assert ranked["reason"].iloc[0] == (
        f"100,000 deal, T1 account, competing with Rival, in propose; unknown: {NO_COMPLEXITY}"
    )
    assert warroom.select(ranked, capacity=2)["opportunity_id"].tolist() == ["O1", "O2"]
    assert warroom.select(ranked, opportunity_id="O3")["opportunity_id"].tolist() == ["O3"]
    with pytest.raises(DataError, match="not an open deal"):
        warroom.select(ranked, opportunity_id="O9")


def test_thin_candidates_say_which_criteria_were_unknown():
    thin = OPEN.drop(columns=["competitor", "owner", "product_id"]).iloc[:3]
    ranked = warroom.candidates(thin, stages=["qualify", "propose"])
    # size only: O1 and O2 are the largest (0.4 each, tie broken by id), O3 the smallest (0)
    assert ranked["opportunity_id"].tolist() == ["O1", "O2", "O3"]
    assert ranked["score"].tolist() == [0.4, 0.4, 0.0]
    assert ranked["reason"].iloc[0] == (
        "100,000 deal, in propose; unknown: tier (no accounts table), "
        f"{NO_COMPLEXITY}, competitor (no competitor column), stage position (only 2 open stages)"
    )
    unscored = pd.DataFrame({"account_id": ["A1"], "tier": ["unscored"]})
    ranked = warroom.candidates(thin, tiers=unscored, stages=["qualify", "propose"])
    reasons = ranked.set_index("opportunity_id")["reason"]
    assert "tier (account unscored: too few facts)" in reasons["O1"]
    assert "tier (account not in the accounts table)" in reasons["O2"]


def test_needed_areas_rules():
    deal = OPEN.iloc[0]
    assert warroom.needed_areas(deal, family="services") == [
        "product",
        "pricing",
        "legal",
        "finance",
        "industry",
        "delivery",
    ]
    small = OPEN.iloc[2]
    assert warroom.needed_areas(small) == ["product", "pricing"]
    assert warroom.needed_areas(deal, rules={"large_deal": 1e9}) == [
        "product",
        "pricing",
        "industry",
    ]


def test_area_gaps_say_which_rules_need_what():
    products = pd.DataFrame(
        {"product_id": ["P1"], "product_name": ["Core"], "family": ["platform"]}
    )
    assert warroom.area_gaps(OPEN.iloc[0], products) == ""
    assert warroom.area_gaps(OPEN.iloc[1], products) == (
        "delivery, security: product family unknown (product P2 is not in the products table)"
    )
    assert warroom.area_gaps(OPEN.iloc[0], None).endswith("(no products table)")
    thin = OPEN.drop(columns=["competitor", "product_id"]).iloc[0]
    assert warroom.area_gaps(thin, products) == (
        "industry: competitor unknown (no competitor column); "
        "delivery, security: product family unknown (no product_id column)"
    )


# --------------------------------------------------------------------------- brief, lens, playbook
def test_brief_lens_and_playbook():
    data = {
        "accounts": pd.DataFrame(
            {
                "account_id": ["A1", "A9"],
                "account_name": ["Alpha", "Other"],
                "industry": ["retail", "retail"],
            }
        ),
        "contacts": pd.DataFrame(
            {
                "account_id": ["A1", "A1"],
                "full_name": ["Dee", "Ed"],
                "role": ["decision_maker", "user"],
            }
        ),
        "opportunities": OPEN,
    }
    facts = warroom.brief(OPEN.iloc[0], data)
    assert facts["relationship_gaps"]["missing role"].tolist() == ["influencer", "champion"]
    closed = pd.DataFrame(
        {
            "account_id": ["A9", "A9", "A9", "A1"],
            "outcome": ["won", "lost", "no_decision", "lost"],
            "loss_reason": [None, "competitor", None, "bad fit"],
        }
    )
    lens = warroom.loss_lens(OPEN.iloc[0], closed, data["accounts"])
    assert (
        lens["closed_deals"],
        lens["won"],
        lens["outsold"],
        lens["should_not_have_been_there"],
    ) == (4, 1, 1, 1)
    assert lens["no_decision_share"] == 0.25 and lens["compared_with"] == "same industry (retail)"
    book = warroom.playbook(OPEN.iloc[0], facts, lens, areas=["product"], product="Platform Core")
    assert book["section"].tolist() == [
        "What to sell",
        "How to sell it",
        "What to communicate to whom",
        "How to beat the competition",
        "What to negotiate, and what not",
    ]
    assert "Decision makers: Dee" in book["content"].iloc[2] and "Rival" in book["content"].iloc[3]
    assert book["content"].str.contains("to settle in the room").all()


def test_lens_without_loss_reasons_or_no_decision_says_unknown():
    closed = pd.DataFrame({"account_id": ["A1", "A2"], "outcome": ["won", "lost"]})
    lens = warroom.loss_lens(OPEN.iloc[0], closed, None)
    # no loss_reason column: outsold / bad fit cannot be told; no no_decision recorded at all
    assert lens["outsold"] is None and lens["should_not_have_been_there"] is None
    assert pd.isna(lens["no_decision_share"]) and lens["compared_with"] == "all closed deals"


def test_brief_without_roles_finds_no_false_gaps():
    contacts = pd.DataFrame({"contact_id": ["C1"], "account_id": ["A1"]})
    facts = warroom.brief(OPEN.iloc[0], {"contacts": contacts})
    assert "relationship_gaps" not in facts and facts["contacts"].columns.tolist() == ["contact_id"]


# --------------------------------------------------------------------------- safe file names
def test_playbook_name_is_a_safe_file_name(tmp_path):
    assert warroom.playbook_name("OP001862") == "playbook_OP001862"
    evil = "OP/../../../../other/accounts"
    name = warroom.playbook_name(evil)
    assert re.fullmatch(r"playbook_[A-Za-z0-9_-]+", name) and ".." not in name
    assert name.startswith("playbook_OP_other_accounts_")
    # ids that clean to the same text keep distinct names (a hash of the original is added)
    assert warroom.playbook_name("A/B") != warroom.playbook_name("A:B")
    assert warroom.playbook_name("A.1") != warroom.playbook_name("A_1")
    assert len(warroom.playbook_name("X" * 500)) <= 9 + 60 + 9
    assert re.fullmatch(r"playbook_[0-9a-f]{8}", warroom.playbook_name("🚀/..\\"))
    # the export lands inside the output folder, whatever the id
    out = tmp_path / "out"
    written = export_table(pd.DataFrame({"a": [1]}), out / warroom.playbook_name(evil))
    assert all(p.parent == out for p in written)
    assert {p.suffix for p in written} == {".xlsx", ".csv"}


# --------------------------------------------------------------------------- analyze
def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text(text.strip() + "\n", encoding="utf-8")


def _rich(folder: Path, *, with_experts: bool = True) -> Path:
    """Nine deals, two of them war-room candidates at the end of 2026Q3 (worked out below)."""
    _write(folder, "accounts", "account_id,account_name\nA1,Alpha\nA2,Beta $ & <Co>\nA3,Gamma")
    _write(
        folder,
        "opportunities",
        """
opportunity_id,account_id,stage,amount,created_date,close_date,outcome,owner,competitor,product_id,loss_reason
O1,A1,propose,120000,2026-05-01,2026-11-15,open,Ann,Rival,P1,
O2,A2,qualify,20000,2026-06-01,2026-12-01,open,Bob,,P2,
O3,A3,negotiate,,2026-06-01,2026-10-20,open,Ann,,,
O4,,propose,5000,2026-06-01,2026-10-01,open,Ann,,,
O5,A1,Closed Won,30000,2026-01-10,2026-03-15,won,Ann,,P1,
O6,A2,Closed Lost,10000,2026-02-01,2026-08-01,lost,Bob,,P2,competitor
O7,A3,No Decision,8000,2025-11-01,2026-07-01,no_decision,Ann,,,
O8,A1,Closed Lost,9000,2025-01-01,2025-03-01,lost,Ann,,,bad fit
O9,A1,propose,40000,2026-10-05,2026-12-20,open,Ann,,P1,
""",
    )
    _write(
        folder,
        "products",
        "product_id,product_name,family\nP1,Core,platform\nP2,Setup,services",
    )
    if with_experts:
        _write(
            folder,
            "experts",
            """
expert_id,area,full_name,unavailable_dates
E1,product,Pia,
E2,pricing,Pete,
E3,legal,Lea,2026-11-02
E4,finance,Fin,
E5,industry,Ivy,
E6,security,Sec,
E7,delivery,Del,
E8,hr,Hal,
E9,legal,Lou,2026-11-02;2026-11-03
""",
        )
    return folder


def _load(folder: Path):
    ds = load_dataset(folder)
    assert not ds.errors, [p.describe() for p in ds.errors]
    return ds


PINNED = dict(quarter="2026Q3", start_date="2026-10-01", window_days=5)


def test_analyze_hand_worked(tmp_path):
    a = warroom.analyze(_load(_rich(tmp_path / "d")), warroom.Params(**PINNED))
    # open at 2026-09-30: O1, O2 (O3 no amount, O4 no account, O5-O8 closed, O9 created later)
    # O1: 120,000 -> size 1 (0.4) + Rival (0.1) = 0.5; O2: the smallest -> 0
    assert a.tables["candidates"]["opportunity_id"].tolist() == ["O1", "O2"]
    assert a.tables["candidates"]["score"].tolist() == [0.5, 0.0]
    # areas: O1 product, pricing, legal, finance (>= 50,000), industry (Rival), security (platform)
    #        O2 product, pricing, delivery (services) -> 6 + 3 = 9 expert-days
    # days from 2026-10-01 + 30 = Sat 31 Oct, for 5 days: Mon 2 .. Thu 5 Nov
    # O1 on Mon 2 Nov: legal E3 and E9 away -> Tue 3 Nov with E3; O2 on Mon 2 Nov
    assert a.metrics == {
        "cases_selected": 2,
        "cases_scheduled": 2,
        "experts_needed": 9,
        "start_date": "2026-10-01",
    }
    plan = a.tables["schedule"].set_index("opportunity_id")
    assert plan["date"].to_dict() == {"O1": "2026-11-03", "O2": "2026-11-02"}
    assert plan.loc["O1", "account_name"] == "Alpha"
    # every expert has a name: the report shows names, not ids; blank columns are left out
    assert "expert_ids" not in a.tables["schedule"] and "why_no_date" not in a.tables["schedule"]
    assert "expert_id" not in a.tables["roster"]
    roster = a.tables["roster"].set_index("expert")["status"]
    assert roster["Lou"] == "away on every proposed date" and roster["Hal"] == "area not needed"
    # the agenda says who attends in a few words (the experts are named in the schedule)
    assert a.tables["agenda"]["who"].tolist()[1:4] == [
        "Ann and the experts",
        "the experts, without the rep",
        "Ann and the experts",
    ]
    # loss lens for O1: closed in 2025-10-01 .. 2026-09-30 are O5 won, O6 lost (competitor),
    # O7 no decision; no industry -> all of them: 3 deals, 1 won, 1 outsold, 0 bad fit, 1/3 nd
    lens = a.tables["loss_lens"].iloc[0]
    assert (lens["closed_deals"], lens["won"], lens["outsold"]) == (3, 1, 1)
    assert lens["should_not_have_been_there"] == 0
    assert lens["no_decision_share"] == pytest.approx(1 / 3)
    # the account's history: O1 and O9 open (160,000), O5 won, O8 lost
    history = a.tables["brief_history"].set_index("outcome")
    assert history["deals"].to_dict() == {"lost": 1, "open": 2, "won": 1}
    assert history.loc["open", "amount"] == 160_000
    assert a.extras["playbook_file"] == "playbook_O1" and a.extras["rep_leaves_at"] == 3
    assert "Core" in a.tables["playbook"]["content"].iloc[0]
    rows = a.coverage.rows.set_index("table")
    assert rows.loc["opportunities (open deals)", ["rows", "used", "left_out"]].tolist() == [
        9,
        2,
        7,
    ]
    assert rows.loc["opportunities (open deals)", "why"] == (
        "closed by the quarter's end: 4; no amount: 1; no account: 1; "
        "created after the quarter's end: 1"
    )
    assert rows.loc["opportunities (closed, loss lens)", ["rows", "used"]].tolist() == [4, 3]
    assert rows.loc["experts", ["rows", "used", "left_out"]].tolist() == [9, 7, 2]
    assert rows.loc["experts", "why"] == (
        "away on every proposed date: 1; area not needed by any case: 1"
    )
    assert set(a.absent) == {"brief_contacts", "brief_gaps", "brief_buying_centers"}
    assert 3 <= len(a.findings) <= 5
    json.dumps(a.metrics, allow_nan=False)


def test_dates_start_from_the_run_date_after_the_quarter(tmp_path, monkeypatch):
    """Regression: a review run in late November proposed war rooms in October."""
    ds = _load(_rich(tmp_path / "d"))
    monkeypatch.setattr(warroom, "_today", lambda: datetime.date(2026, 11, 25))
    a = warroom.analyze(ds, warroom.Params(quarter="2026Q3"))
    dates = a.tables["schedule"]["date"].dropna()
    assert len(dates) and (dates >= "2026-12-25").all()  # 30 days after the run date
    assert a.metrics["start_date"] == "2026-11-25" and a.extras["run_date"] == "2026-11-25"
    row = a.assumptions_table().set_index("assumption").loc["Dates are proposed from"]
    assert (row["value"], row["source"]) == ("2026-11-25", "from the run date")
    assumed = a.assumptions_table().set_index("assumption")["value"]
    assert assumed["Days from the start date to the earliest war room"] == "30"
    assert assumed["Days in which a date may be found"] == "30"
    # run before the quarter ends: the quarter's end
    monkeypatch.setattr(warroom, "_today", lambda: datetime.date(2026, 8, 1))
    a = warroom.analyze(ds, warroom.Params(quarter="2026Q3"))
    row = a.assumptions_table().set_index("assumption").loc["Dates are proposed from"]
    assert (row["value"], row["source"]) == ("2026-09-30", "from the quarter end")


def test_a_pinned_start_date_never_reads_the_clock(tmp_path, monkeypatch):
    ds = _load(_rich(tmp_path / "d"))

    def clock() -> datetime.date:
        raise AssertionError("the run date was read although start_date is set")

    monkeypatch.setattr(warroom, "_today", clock)
    first = warroom.analyze(ds, warroom.Params(**PINNED))
    again = warroom.analyze(ds, warroom.Params(**PINNED))
    assert first.metrics == again.metrics and first.extras["run_date"] is None
    pd.testing.assert_frame_equal(first.tables["schedule"], again.tables["schedule"])
    row = first.assumptions_table().set_index("assumption").loc["Dates are proposed from"]
    assert (row["value"], row["source"]) == ("2026-10-01", "set for this run")


def test_single_deal_mode_and_unknown_ids(tmp_path):
    ds = _load(_rich(tmp_path / "d"))
    a = warroom.analyze(ds, warroom.Params(**PINNED, opportunity_id="O2"))
    assert a.tables["cases"]["opportunity_id"].tolist() == ["O2"]
    assert a.metrics["cases_selected"] == 1 and a.extras["playbook_file"] == "playbook_O2"
    assert a.notes["cases"].startswith("Single-deal mode: O2 ranks 2 of 2")
    with pytest.raises(DataError) as err:
        warroom.analyze(ds, warroom.Params(**PINNED, opportunity_id="O6"))
    text = str(err.value)
    assert "'O6' is not an open deal" in text and "(closed by the quarter's end)" in text
    assert "Leave opportunity_id empty" in text and "O1, O2 (2 in all)" in text
    with pytest.raises(DataError, match=re.escape("opportunity 'NOPE' is not in the data set")):
        warroom.analyze(ds, warroom.Params(**PINNED, opportunity_id="NOPE"))
    with pytest.raises(DataError, match=re.escape("(no amount)")):
        warroom.analyze(ds, warroom.Params(**PINNED, opportunity_id="O3"))


def test_no_open_deals_leaves_only_the_narrative(tmp_path):
    ds = _load(_rich(tmp_path / "d"))
    # at the end of 2025Q1 every deal was either closed (O8) or not yet created
    a = warroom.analyze(ds, warroom.Params(quarter="2025Q1", start_date="2025-04-01"))
    assert a.metrics == {
        "cases_selected": 0,
        "cases_scheduled": None,
        "experts_needed": 0,
        "start_date": "2025-04-01",
    }
    assert not a.tables and not a.notes
    why = "No deal is open at 2025-03-31 (the end of 2025Q1), so there is no case for a war room"
    assert set(a.absent) >= {"candidates", "scores", "cases", "schedule", "agenda", "playbook"}
    assert all(v.startswith(why) for v in a.absent.values())
    assert a.findings == (why + ".",)
    assert a.chart("scores") is None and a.reason("scores").startswith(why)


def test_thin_export_runs_without_experts(tmp_path):
    folder = tmp_path / "thin"
    _write(
        folder,
        "opportunities",
        """
opportunity_id,account_id,stage,amount,created_date,close_date
T1,A1,Proposal,1000,2026-05-01,2026-11-01
T2,A2,Closed Won,500,2026-03-01,2026-08-01
T3,A2,Qualify,3000,2026-06-01,2026-12-01
""",
    )
    a = warroom.analyze(_load(folder), warroom.Params(**PINNED))
    # outcomes from the stage names: T2 won, T1 and T3 open; T3 is the larger (size 1 -> 0.4)
    assert a.tables["candidates"]["opportunity_id"].tolist() == ["T3", "T1"]
    # the criteria no deal can be scored on are said once, in the note, not on every row
    assert a.tables["candidates"]["reason"].iloc[0] == "3,000 deal, in qualify"
    assert a.notes["candidates"].endswith(
        "The data cannot tell tier (no accounts table), "
        f"{NO_COMPLEXITY}, competitor (no competitor column), stage position (only 2 open "
        "stages): those criteria add nothing to any score."
    )
    assert a.tables["cases"]["areas_not_checked"].iloc[0] == (
        "industry: competitor unknown (no competitor column); "
        "delivery, security: product family unknown (no product_id column)"
    )
    assert a.metrics == {
        "cases_selected": 2,
        "cases_scheduled": None,
        "experts_needed": 4,
        "start_date": "2026-10-01",
    }
    for name in ("schedule", "roster", "agenda"):
        assert a.absent[name] == (
            "No experts table, so the day cannot be scheduled: add experts.csv "
            "(expert_id, area, full_name, unavailable_dates)."
        )
    assert a.absent["brief_contacts"].startswith("No contacts table")
    assert a.absent["brief_gaps"].startswith("No contacts table")
    assert a.absent["brief_buying_centers"].startswith("No buying_centers table")
    # the playbook, the brief and the loss lens still stand
    assert {"candidates", "cases", "brief_facts", "playbook", "loss_lens"} <= set(a.tables)
    lens = a.tables["loss_lens"].iloc[0]
    assert (lens["closed_deals"], lens["won"]) == (1, 1) and lens["outsold"] is None
    assert "Competitor not recorded" in a.tables["playbook"]["content"].iloc[3]
    assert "agenda" not in a.tables and a.extras["rep_leaves_at"] is None
    names = {x.name for x in a.assumptions}
    assert {"start_date", "lead_days", "window_days", "outcome"} <= names
    assert any("The ranking could not use tier" in f for f in a.findings)


def test_bad_parameters_are_usage_errors(tmp_path):
    ds = _load(_rich(tmp_path / "d"))
    for bad, match in (
        ({"start_date": "2026-13-01"}, "not an ISO date"),
        ({"capacity": 0}, "capacity must be at least 1"),
        ({"start_time": "25:00"}, "not a time of day"),
    ):
        with pytest.raises(UsageError, match=match):
            warroom.analyze(ds, warroom.Params(**{**PINNED, **bad}))


# --------------------------------------------------------------------------- chart, notebook
def test_plot_scores_with_dollar_names(tmp_path):
    a = warroom.analyze(_load(_rich(tmp_path / "d")), warroom.Params(**PINNED))
    table = a.tables["candidates"].assign(label=["O1 · Quote $10k-$50k", "O2 · 100% <b>"])
    ax = warroom.plot_scores(table)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["O2 · 100% <b>", "O1 · Quote $10k-$50k"]
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(table["score"].sum())
    plt.close(ax.figure)
    ax = a.chart("scores")
    assert ax is not None
    plt.close(ax.figure)


def test_notebook_parameters_match_params_and_requires():
    nb = json.loads((ROOT / "notebooks" / "05_war_room.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["salesnb"]["requires"] == [list(warroom.CORE)]
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    declared = [n.target.id for n in ast.parse("".join(cell["source"])).body]
    engine = {"data_dir", "output_dir", "redact", "mode"}
    assert set(declared) - engine == set(warroom.Params.names())
    defaults = {n.target.id: n.value.value for n in ast.parse("".join(cell["source"])).body}
    for name in warroom.Params.names():
        if name != "quarter":
            assert defaults[name] == warroom.Params.default(name), name


# --------------------------------------------------------------------------- issue 13: headline and actions
def test_headline_and_actions_name_the_deals(tmp_path):
    a = warroom.analyze(_load(_rich(tmp_path / "d")), warroom.Params(**PINNED))
    kpi = {k.label: k for k in a.headline}
    assert 3 <= len(a.headline) <= 6
    assert (kpi["Open deals considered"].value, kpi["War-room cases"].value) == (2, 2)
    assert (
        kpi["Value of the cases"].value == 140_000.0 and kpi["Value of the cases"].kind == "money"
    )
    assert (kpi["Cases with a day"].value, kpi["Expert-days needed"].value) == (2, 9)
    # O2 gets Mon 2 Nov, O1 Tue 3 Nov: the first war room is O2's
    assert kpi["First war room"].value == pd.Timestamp("2026-11-02")
    assert kpi["First war room"].note == "Beta $ & <Co> (O2)"
    cur = a.currency
    assert a.actions == (
        f"Take the 120,000 {cur} deal with Alpha (O1, Ann) to the war room on 2026-11-03: "
        "invite the product, pricing, legal, finance, industry and security experts.",
        f"Take the 20,000 {cur} deal with Beta $ & <Co> (O2, Bob) to the war room on "
        "2026-11-02: invite the product, pricing and delivery experts.",
    )


def test_without_experts_the_actions_say_what_to_add(tmp_path):
    a = warroom.analyze(_load(_rich(tmp_path / "d", with_experts=False)), warroom.Params(**PINNED))
    kpi = {k.label: k for k in a.headline}
    assert kpi["Cases with a day"].value is None
    assert kpi["Cases with a day"].note == "no experts table: add experts.csv"
    assert kpi["First war room"].value is None
    assert a.actions[0].endswith(
        "it needs product, pricing, legal, finance, industry and security experts; add "
        "experts.csv to find a day."
    )


def test_a_deal_is_labelled_by_its_own_name_else_its_account_then_the_id():
    deals = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "account_name": ["Alpha", "Alpha", "O3"],  # O3: no account name known (the id)
            "opportunity_name": ["Alpha - renewal", None, None],
        }
    )
    assert warroom._deal_labels(deals).tolist() == ["Alpha - renewal (O1)", "Alpha (O2)", "O3"]
    plain = deals.drop(columns="opportunity_name")
    assert warroom._deal_labels(plain).tolist() == ["Alpha (O1)", "Alpha (O2)", "O3"]
