"""salesnb.habits: winbacks, month end, early failure, cycles, network, trials, prospecting and
the cold-call scorecard on hand-made frames; the analysis over the shape matrix; the exercises."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from salesnb import habits, training
from salesnb.analysis import NotAnalysable
from salesnb.notebook import _jsonable, show
from salesnb.schema import DataError
from salesnb.sources import load_dataset

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07_sales_habits.ipynb"
D = pd.Timestamp


def deals(rows: list[tuple]) -> pd.DataFrame:
    """(id, account, outcome, amount, created, closed[, owner, source, buying_center])."""
    cols = ["opportunity_id", "account_id", "outcome", "amount", "created_date", "close_date"]
    extra = ["owner", "source", "buying_center"]
    width = max(len(r) for r in rows)
    df = pd.DataFrame(
        [r + (None,) * (width - len(r)) for r in rows], columns=cols + extra[: width - 6]
    )
    df["created_date"] = pd.to_datetime(df["created_date"])
    df["close_date"] = pd.to_datetime(df["close_date"])
    df["amount"] = df["amount"].astype("float64")
    return df.assign(stage=df["outcome"])


# --------------------------------------------------------------------------- deals in SQL
STAGES = pd.DataFrame(
    {
        "opportunity_id": [f"O{i}" for i in range(8)],
        "stage": ["closed_won", "closed_lost", "no_decision", "negotiation", None, "won", "lost",
                  "closed_won"],
        "outcome": [None, None, None, None, None, None, "open", "lost"],
    }
)  # fmt: skip


@pytest.mark.parametrize("with_column", [True, False])
def test_deals_relation_reads_outcomes_as_with_outcomes_does(with_column: bool) -> None:
    """The SQL relation fills an empty outcome from the stage name, as the pandas helper."""
    from salesnb.analysis import with_outcomes
    from salesnb.dataset import deals as sql_deals

    opps = STAGES if with_column else STAGES.drop(columns="outcome")
    run = sql_deals.on_frames(opportunities=opps)
    got = run(f"SELECT * FROM {sql_deals.deals(list(opps.columns))} AS d ORDER BY opportunity_id")
    expected = with_outcomes(opps)[0]["outcome"].tolist()
    assert got["outcome"].tolist() == expected
    # by hand: won, lost, no decision, open (a stage that tells nothing, or none), the given
    # outcome where there is one
    head = ["won", "lost", "no_decision", "open", "open", "won"]
    assert expected == head + (["open", "lost"] if with_column else ["lost", "won"])


# --------------------------------------------------------------------------- losses taken gracefully
LOSSES = deals(
    [
        ("O1", "A1", "lost", 500, "2026-01-05", "2026-03-10"),  # lost in March ...
        ("O2", "A1", "won", 900, "2026-04-01", "2026-06-15"),  # ... won in June: a comeback
        ("O3", "A2", "no_decision", 300, "2026-02-01", "2026-05-20"),  # never came back
        ("O4", "A3", "won", 100, "2026-01-01", "2026-02-01"),  # never lost
        ("O5", "A4", "lost", 200, "2026-01-01", "2026-04-01"),
        ("O6", "A4", "won", 250, "2026-01-01", "2026-04-01"),  # the same day is not later
        ("O7", "A5", "lost", 50, "2025-10-01", "2025-11-01"),
        ("O8", "A5", "lost", 70, "2026-01-01", "2026-02-01"),
        ("O9", "A5", "won", 400, "2026-03-01", "2026-08-03"),  # back 183 days after the last loss
        ("O10", "A6", "lost", 80, "2026-07-01", "2026-10-20"),  # after the window's end
    ]
)


def test_a_loss_in_march_and_a_win_in_june_is_a_comeback():
    t = habits.winbacks(LOSSES, end=D("2026-09-30")).set_index("account_id")
    assert list(t.index) == ["A1", "A2", "A4", "A5"]  # A3 never lost, A6 lost after the end
    assert t.loc["A1", "came_back"] and t.loc["A1", "days_to_comeback"] == 97  # Mar 10 -> Jun 15
    assert not t.loc["A2", "came_back"] and not t.loc["A4", "came_back"]
    assert t.loc["A5", "losses"] == 2 and t.loc["A5", "lost_on"] == D("2026-02-01")
    assert t.loc["A5", "days_to_comeback"] == 183
    assert t["came_back"].mean() == 0.5


def test_recent_losses_leave_out_accounts_that_won_since():
    t = habits.recent_losses(LOSSES, start=D("2026-04-01"), end=D("2026-09-30"))
    # A2 lost in May and has not won; A4 lost and won the same day (not "since"); A1 won after
    assert t["account_id"].tolist() == ["A2", "A4"]
    assert t.iloc[0]["outcome"] == "no decision" and t.iloc[0]["open_deals"] == 0


# --------------------------------------------------------------------------- month end
def test_close_dates_on_the_29th_to_31st_are_month_end():
    dates = pd.Series(
        pd.to_datetime(
            ["2026-01-28", "2026-01-29", "2026-01-30", "2026-01-31", "2026-02-26", "2026-04-28"]
        )
    )
    assert habits.is_month_end(dates).tolist() == [False, True, True, True, True, True]
    assert habits.is_month_end(dates, days=1).tolist() == [False, False, False, True, False, False]
    won = pd.DataFrame({"close_date": dates, "amount": [10.0, 20, 30, 40, 0, 0]})
    planned = pd.DataFrame(
        {"close_date": pd.to_datetime(["2026-10-31", "2026-11-15"]), "amount": [1.0, 1]}
    )
    t = habits.month_end(won, planned).set_index("deals")
    w = t.loc["won deals"]
    assert (w["count"], w["month_end"]) == (6, 5) and w["share"] == pytest.approx(5 / 6)
    # even spread: 3 of 31 days (four January dates), 3 of 28 (February), 3 of 30 (April)
    assert w["expected_share"] == pytest.approx((4 * 3 / 31 + 3 / 28 + 3 / 30) / 6)
    assert w["amount_share"] == pytest.approx(90 / 100)
    assert t.loc["open deals, planned", "share"] == 0.5


# --------------------------------------------------------------------------- early failure
def test_late_failures_are_losses_slower_than_the_median_win():
    closed = deals(
        [
            ("W1", "A1", "won", 1, "2026-01-01", "2026-01-31", "Ann"),  # 30 days
            ("W2", "A2", "won", 1, "2026-01-01", "2026-03-02", "Bob"),  # 60
            ("W3", "A3", "won", 1, "2026-01-01", "2026-04-01", "Bob"),  # 90: median win 60
            ("L1", "A4", "lost", 1, "2026-01-01", "2026-01-21", "Ann"),  # 20: early
            ("L2", "A5", "lost", 1, "2026-01-01", "2026-04-11", "Ann"),  # 100: late
            ("L3", "A6", "no_decision", 1, "2026-01-01", "2026-05-01", "Bob"),  # 120: late
            ("L4", "A7", "lost", 1, "2026-05-01", "2026-04-01", "Bob"),  # closed before created
        ]
    )
    t, median_win = habits.early_failure(closed)
    assert median_win == 60
    team = t.iloc[0]
    assert team["owner"] == "team" and (team["won"], team["losses"]) == (3, 3)
    assert team["median_days_to_loss"] == 100 and team["late_failure_share"] == pytest.approx(2 / 3)
    by = t.set_index("owner")
    assert by.loc["Ann", "late_failure_share"] == 0.5 and by.loc["Bob", "late_failure_share"] == 1.0
    assert t["owner"].tolist()[1:] == ["Bob", "Ann"]  # most late failures first
    timing = habits.failure_timing(closed)
    assert timing["won"].sum() == 3 and timing["losses"].sum() == 3


# --------------------------------------------------------------------------- cycle trend
def test_cycle_by_quarter_trend_and_split():
    rows = []
    for q, (month, cycle) in enumerate([(2, 100), (5, 90), (8, 80), (11, 70)]):
        for k in range(3):
            close = D(2026 if month < 12 else 2027, month, 10)
            created = close - pd.Timedelta(days=cycle + k - 1)  # cycles c-1, c, c+1: median c
            rows.append(
                (
                    f"O{q}{k}",
                    "A1",
                    "won",
                    1,
                    created,
                    close,
                    "Ann",
                    "sales" if q < 2 else "referral",
                )
            )
    won = deals(rows)
    quarters = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    t = habits.cycle_by_quarter(won, quarters)
    assert (
        t["median_cycle_days"].tolist() == [100, 90, 80, 70] and t["won_deals"].tolist() == [3] * 4
    )
    assert habits.cycle_trend(t) == pytest.approx(-10)
    assert habits.cycle_trend(t.assign(won_deals=2)) is None  # too few deals a quarter
    split = habits.cycle_split(won, quarters, {"source": won["source"]})
    assert split.set_index("group")["won_deals"].to_dict() == {"referral": 6, "sales": 6}
    assert split["change_days"].isna().all()  # each source sits in one half only


# --------------------------------------------------------------------------- the network
def test_win_rate_by_source_and_existing_customers():
    opps = deals(
        [
            ("O1", "A1", "won", 100, "2025-01-01", "2025-03-01", "Ann", "sales", "it"),
            (
                "O2",
                "A1",
                "won",
                300,
                "2026-01-01",
                "2026-02-01",
                "Ann",
                "referral",
                "hr",
            ),  # new center
            ("O3", "A1", "won", 50, "2026-01-01", "2026-03-01", "Ann", "sales", "it"),
            ("O4", "A2", "won", 200, "2026-01-01", "2026-02-01", "Bob", "referral", "it"),  # new
            ("O5", "A3", "lost", 80, "2026-01-01", "2026-02-15", "Bob", "sales", "it"),
            ("O6", "A4", "lost", 80, "2026-01-01", "2026-02-15", "Bob", None, "it"),
        ]
    )
    src = habits.by_source(opps[opps["close_date"] >= D("2025-10-01")]).set_index("source")
    assert src.loc["referral", "win_rate"] == 1.0 and src.loc["sales", "win_rate"] == 0.5
    assert src.loc["not recorded", "closed"] == 1
    customers, expansion = habits.customer_revenue(opps, start=D("2025-10-01"), end=D("2026-09-30"))
    c = customers.set_index("customers")
    assert (
        c.loc["existing customers", "won_amount"] == 350
        and c.loc["new customers", "won_amount"] == 200
    )
    assert c.loc["existing customers", "share"] == pytest.approx(350 / 550)
    assert expansion[["account_id", "buying_center", "amount"]].values.tolist() == [
        ["A1", "hr", 300.0]
    ]
    assert expansion["earlier_centers"].iloc[0] == "it"
    _, none = habits.customer_revenue(
        opps.drop(columns="buying_center"), start=D("2025-10-01"), end=D("2026-09-30")
    )
    assert none is None


def test_a_referral_chain_of_two_accounts():
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "X", "Y"],
            "referred_by": [None, "A", "B", "Y", "X"],  # A -> B -> C; X and Y refer each other
        }
    )
    won = pd.DataFrame(
        {"account_id": ["A", "B", "C", "X", "Y"], "amount": [100.0, 200, 50, 10, 20]}
    )
    t = habits.network_value(accounts, won).set_index("account_id")
    assert t.loc["A"].tolist() == [100.0, 1, 200.0, 250.0]  # B directly, C through B
    assert t.loc["B"].tolist() == [200.0, 1, 50.0, 50.0]
    assert "C" not in t.index
    assert t.loc["X", "network_value"] == 20 and t.loc["Y", "network_value"] == 10  # a loop once
    assert t.index[0] == "A"


# --------------------------------------------------------------------------- free trials
def test_trial_conversion_and_a_repeat_signup():
    trials = pd.DataFrame(
        {
            "trial_id": ["T1", "T2", "T3", "T4", "T5"],
            "email": ["ann@x.example", " ANN@x.example", "bob@y.example", "cy@z.example", None],
            "start_date": pd.to_datetime(
                ["2026-01-01", "2026-03-01", "2026-02-01", "2026-02-01", "2026-02-01"]
            ),
            "length_days": [7, 30, 7, 30, 7],
            "qualified": [True, False, True, False, None],
            "usage_score": [80, 10, 60, 30, None],
            "converted": [True, False, True, False, False],
        }
    )
    t = habits.trial_conversion(trials).set_index(["dimension", "group"])["conversion"]
    assert t[("length", "7-day")] == pytest.approx(2 / 3) and t[("length", "30-day")] == 0
    assert t[("qualification", "qualified")] == 1.0 and t[("qualification", "not qualified")] == 0
    assert t[("usage", "usage 75-100%")] == 1.0 and t[("usage", "usage 0-24%")] == 0
    rep = habits.repeat_signups(trials)
    assert rep["email"].tolist() == ["ann@x.example"] and rep["trials"].tolist() == [2]
    assert bool(rep["converted"].iloc[0])
    check = habits.trial_checklist(habits.trial_conversion(trials), rep)
    assert len(check) == 10 and (check["kind"] == "stopgap").sum() == 5
    assert (
        "1 e-mail address signed up"
        in check.set_index("practice").loc["repeat offenders", "the_data_shows"]
    )


# --------------------------------------------------------------------------- executive prospecting
def test_prospects_have_a_success_story_and_an_executive_and_a_dated_plan():
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "account_name": ["Won Co", "Target Co", "Lone Co", "Big Won"],
            "industry": ["retail", "retail", "energy", "retail"],
            "annual_revenue": [1.0, 5.0, 9.0, 2.0],
        }
    )
    won = pd.DataFrame({"account_id": ["A1", "A4"], "amount": [100.0, 900.0]})
    contacts = pd.DataFrame(
        {
            "contact_id": ["C1", "C2", "C3"],
            "account_id": ["A2", "A2", "A3"],
            "full_name": ["Vi Pres", "Chief Ex", "Head Only"],
            "title": ["VP Sales", "Chief Executive Officer", "Head of IT"],
            "email": ["v@t.example", "c@t.example", None],
            "phone": ["1", None, "3"],
        }
    )
    t = habits.prospects(accounts, won, contacts, n=5)
    assert t["account_id"].tolist() == ["A2", "A3"]  # a success story first, then size
    first = t.iloc[0]
    assert first["success_story"] == "Big Won"  # the largest won customer of the industry
    assert first["executive"] == "Vi Pres" and first["ready"]  # phone and e-mail beat seniority
    lone = t.iloc[1]
    assert not lone["ready"] and "success story" in lone["to_find"] and "e-mail" in lone["to_find"]
    named = habits.prospects(accounts, won, contacts, targets=["A3", "nope"])
    assert named["account_id"].tolist() == ["A3"]
    start = habits.plan_start(D("2026-09-30"))
    assert start == D("2026-10-05")  # the first Monday after the quarter
    assert habits.plan_start(D("2026-09-30"), "2026-10-01") == D("2026-10-01")
    with pytest.raises(Exception, match="ISO date"):
        habits.plan_start(D("2026-09-30"), "next week")
    plan = habits.prospecting_plan(t, accounts.set_index("account_id")["account_name"], start=start)
    assert len(plan) == 8 and plan["step"].tolist() == [1, 2, 3, 4] * 2
    a2 = plan[plan["account_id"] == "A2"]
    assert a2["date"].tolist() == [
        D("2026-10-05"),
        D("2026-10-06"),
        D("2026-10-06"),
        D("2026-10-20"),
    ]
    assert '"Big Won: an idea for Target Co"' in a2["detail"].iloc[0]
    assert plan[plan["account_id"] == "A3"]["date"].iloc[0] == D("2026-10-06")  # one a day
    names = accounts.set_index("account_id")["account_name"]
    saturday = habits.prospecting_plan(t, names, start=D("2026-10-03"))
    firsts = saturday[saturday["step"] == 1]["date"].tolist()
    assert firsts == [D("2026-10-05"), D("2026-10-06")]  # Monday, then the next working day


# --------------------------------------------------------------------------- find five faults
def test_call_reviews_from_csv_and_yaml(tmp_path):
    reviews = habits.load_call_reviews(ROOT / habits.EXAMPLE_CALL_REVIEWS)
    learners, faults = habits.call_scorecard(reviews)
    by = learners.set_index("learner")
    assert by.loc["Ana", "calls"] == 2 and by.loc["Ana", "faults"] == 4
    assert learners["learner"].iloc[0] == "Dev"  # most faults a call
    f = faults.set_index("fault")
    assert f.loc["no real pain", "scored"] == 6  # one call left it empty
    assert f.loc["asked before giving", "faults"] == 4
    assert f.loc["no real pain", "share"] == pytest.approx(4 / 6)
    assert faults["fault"].iloc[0] == "no real pain"  # the highest share of scored calls first
    assert by.loc["Ana", "most_common"] == "asked before giving"
    yml = tmp_path / "calls.yml"
    yml.write_text("calls:\n  - learner: Eve\n    quiet_room: yes\n    used_name: no\n")
    one = habits.load_call_reviews(yml)
    assert one["used_name"].tolist() == [False] and one["did_homework"].isna().all()
    bad = tmp_path / "bad.csv"
    bad.write_text("learner,quiet_room\nEve,maybe\n")
    with pytest.raises(DataError, match=r"bad.csv line 2, column 'quiet_room'"):
        habits.load_call_reviews(bad)
    bad.write_text("learner,loud_room\nEve,yes\n")
    with pytest.raises(DataError, match="unknown column"):
        habits.load_call_reviews(bad)


# --------------------------------------------------------------------------- the analysis
ACC = "account_id,account_name,industry\nA1,Alpha,retail\nA2,Beta,retail\nA3,Gamma,energy\n"
OPP = (
    "opportunity_id,account_id,stage,amount,created_date,close_date\n"
    "O1,A1,Closed Lost,500,2026-01-05,2026-03-10\n"
    "O2,A1,Closed Won,900,2026-04-01,2026-06-15\n"
    "O3,A2,Closed Lost,300,2026-02-01,2026-07-31\n"
    "O4,A3,Proposal,700,2026-08-01,2026-10-30\n"
)


def _write(folder: Path, **tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def test_analyze_a_thin_export(tmp_path):
    ds = load_dataset(_write(tmp_path / "d", accounts=ACC, opportunities=OPP))
    a = habits.analyze(ds, habits.Params(quarter="2026Q3"))
    m = a.metrics
    assert m["winback_share"] == 0.5 and m["median_days_to_comeback"] == 97
    assert m["month_end_close_share"] == 0.0 and m["month_end_planned_share"] == 1.0  # Oct 30
    assert m["outcomes_from_stage"] == 4 and m["win_rate_by_source"] is None
    assert "add source" in a.absent["sources"] and "referred_by" in a.absent["network"]
    assert "trials.csv" in a.absent["trials"] and "call_review_file" in a.absent["call_learners"]
    assert a.table("recent_losses")["account_name"].tolist() == ["Beta"]
    assert a.table("prospects")["account_name"].tolist() == ["Beta", "Gamma"]  # no win yet
    assert "a top executive" in a.table("prospects")["to_find"].iloc[0]  # no contacts table
    json.dumps(_jsonable(m), allow_nan=False)
    json.dumps(_jsonable(a.summary()), allow_nan=False)
    assert len(a.headline) == 6 and a.findings
    for name in a.charts:
        ax = a.chart(name)
        if ax is None:
            assert a.reason(name)
        else:
            ax.figure.canvas.draw()
            plt.close(ax.figure)
    for name in a.tables:
        assert show(a, name).to_html()


def test_needs_opportunities(tmp_path):
    ds = load_dataset(_write(tmp_path / "d", accounts=ACC))
    with pytest.raises(NotAnalysable):
        habits.analyze(ds, habits.Params(quarter="2026Q3"))


# the shape matrix (every shape of tests/shapes.py) runs habits in tests/test_shapes.py


# --------------------------------------------------------------------------- notebook and exercises
def test_notebook_parameters_match_params():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    declared = {n.target.id: n.value.value for n in ast.parse(cell.source).body}
    assert set(declared) - {"data_dir", "output_dir", "redact", "mode"} == set(
        habits.Params.names()
    )
    for name in habits.Params.names():
        if name != "quarter":
            assert declared[name] == habits.Params.default(name), name
    assert nb.metadata["salesnb"]["requires"] == [list(habits.CORE)]
    assert not [v for v in declared.values() if isinstance(v, str) and "examples" in v]
    kinds = [c.metadata["salesnb"]["kind"] for c in nb.cells if "salesnb" in c.metadata]
    assert kinds == ["predict", "parameter", "judgement", "scenario"]


@pytest.fixture(scope="module")
def demo():
    return load_dataset(ROOT / "data" / "demo")


@pytest.fixture
def _no_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(training.WORKSPACE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def test_demo_shows_every_section_and_supports_every_exercise(demo, _no_workspace):
    params = habits.Params(
        quarter="2026Q3", call_review_file=str(ROOT / habits.EXAMPLE_CALL_REVIEWS)
    )
    a = habits.analyze(demo, params)
    assert not a.absent, a.absent
    assert all(v is not None for v in a.metrics.values()), a.metrics
    key = habits.exercises(demo, params, a)
    assert list(key) == ["1", "2", "3", "4"] and not [n for n, k in key.items() if k.missing]
    training.start("learner", "07_sales_habits", key)
    assert training.predict("1", 0.5).correct and not training.predict("1", "no idea").correct
    n = int(key["2"].value)
    assert training.check("2", n).correct and not training.check("2", n + 1).correct
    wider = habits.analyze(demo, habits.Params(quarter="2026Q3", month_end_days=5))
    assert n == int(wider.table("month_end")["month_end"].iloc[0])
    owners = list(key["3"].value)
    assert training.check("3", owners).correct and not training.check("3", owners[:1]).correct
    table = a.table("early_failure").iloc[1:]
    assert set(owners) <= set(table.nlargest(2, "late_failure_share", keep="all")["owner"])
    assert training.check("4", key["4"].value).correct
    assert not training.check("4", "Nobody At All").correct
    industry = a.table("prospects")["industry"].iloc[0]
    assert industry in habits.scenario(a)


def test_thin_data_leaves_out_what_it_cannot_support(tmp_path, _no_workspace):
    ds = load_dataset(_write(tmp_path / "d", accounts=ACC, opportunities=OPP))
    params = habits.Params(quarter="2026Q3")
    key = habits.exercises(ds, params)
    assert not key["1"].missing and key["3"].missing  # no owners to judge
    training.start("learner", "07_sales_habits", key)
    assert "cannot answer" in training.check("3", ["Ann", "Bob"]).message
