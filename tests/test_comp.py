"""salesnb.comp: payout curves, simulation figures, attainment over the review window, analyze."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest

from salesnb import comp, notebook
from salesnb.comp import Plan
from salesnb.schema import DataError, UsageError
from salesnb.sources import load_dataset

PLANS = {p.name: p for p in comp.DEFAULT_PLANS}
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- plans and payouts
@pytest.mark.parametrize(
    "name, points",
    [
        ("all_or_nothing", {0.5: 0, 0.99: 0, 1.0: 1.0, 1.3: 1.0}),
        ("proportional", {0.0: 0, 0.5: 0.5, 0.9: 0.9, 1.2: 1.2}),
        ("linear_from_50", {0.4: 0, 0.5: 0, 0.75: 0.5, 1.0: 1.0, 1.5: 1.5}),
        ("capped_125", {1.0: 1.0, 1.25: 1.25, 1.6: 1.25}),
        ("accelerator", {0.5: 0, 1.0: 1.0, 1.25: 1.5, 1.5: 2.0, 1.75: 2.5}),
        ("decelerator", {1.0: 1.0, 1.5: 1.25, 2.0: 1.5}),
    ],
)
def test_payout_curves_at_known_points(name, points):
    got = comp.payout(PLANS[name], np.array(list(points)))
    assert got == pytest.approx(list(points.values()))


def test_marginal_incentive_hand_worked():
    m = comp.marginal(PLANS["capped_125"], np.array([0.5, 1.3]))
    assert m["marginal_payout"].tolist() == pytest.approx([0.01, 0.0])  # nothing more above the cap
    step = comp.marginal(PLANS["all_or_nothing"], np.array([0.5, 0.99, 1.1]))
    assert step["marginal_payout"].tolist() == pytest.approx([0.0, 1.0, 0.0])


def test_simulation_hand_worked():
    att = pd.DataFrame({"attainment": [0.5, 0.95, 1.0, 1.4]})
    res = comp.simulate(
        [PLANS["all_or_nothing"], PLANS["proportional"], PLANS["capped_125"]],
        att,
        target_incentive=1000,
    ).set_index("plan")
    assert res.loc["all_or_nothing", "cost"] == pytest.approx(2000)  # two reps reach quota
    assert res.loc["all_or_nothing", "share_zero_payout"] == 0.5
    assert res.loc["all_or_nothing", "share_near_miss"] == 0.25  # 0.95 is within 10 points
    assert res.loc["proportional", "cost"] == pytest.approx(3850)
    assert res.loc["proportional", "cost_per_point"] == pytest.approx(3850 / 385)
    assert res.loc["capped_125", "cost"] == pytest.approx(3700)
    assert res.loc["capped_125", "reps_above_cap"] == 1
    effect = comp.cap_effect(PLANS["capped_125"], att)
    assert effect["reps_above_cap"] == 1 and effect["attainment_points_lost"] == pytest.approx(15)


def test_no_attainment_delivered_has_no_cost_per_point():
    res = comp.simulate(
        [PLANS["proportional"]], pd.DataFrame({"attainment": [0.0, 0.0]}), target_incentive=10
    )
    assert res["cost"].iloc[0] == 0 and np.isnan(res["cost_per_point"].iloc[0])


def test_linear_floor_is_a_threshold():
    assert PLANS["linear_from_50"].thresholds == [0.5]
    assert PLANS["all_or_nothing"].thresholds == [1.0]
    assert PLANS["proportional"].thresholds == [0.0]


def test_plans_file(tmp_path):
    (tmp_path / "p.yml").write_text(
        "plans:\n  - {name: floor_70, points: [[0.7, 0], [1, 1]], cap: 1.5, note: x}\n"
        "  - {name: gate, points: [[0, 1], [1, 1]], step: 0.9}\n"
    )
    plans = comp.load_plans(tmp_path / "p.yml")
    assert [p.name for p in plans] == ["floor_70", "gate"]
    assert comp.payout(plans[1], np.array([0.85, 0.9])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("plans: []\n", "plans must be a list of plan designs, got an empty list"),
        ("colour: red\n", "unknown key(s) colour; known keys: plans"),
        ("plans:\n", "needs 'plans:' with a list of plan designs"),
        ("plans:\n  - {points: [[0, 0], [1, 1]]}\n", "plan 1 needs a name"),
        ("plans:\n  - {name: a, points: [[1, 0], [0, 1]]}\n", "increasing attainment"),
        (
            "plans:\n  - {name: a, points: [[0, x], [1, 1]]}\n",
            "line 2: plan 1.points item 1 must be an [attainment, payout] number pair",
        ),
        ("plans:\n  - {name: a, colour: red}\n", "unknown key(s) colour"),
        ("plans:\n  - {name: a}\n  - {name: a}\n", "line 3: two plans are named a"),
    ],
)
def test_bad_plans_files(tmp_path, text, message):
    (tmp_path / "p.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        comp.load_plans(tmp_path / "p.yml")


def test_plan_needs_two_increasing_points():
    with pytest.raises(DataError):
        Plan("bad", ((0.0, 0.0),))


def test_flat_ranges_name_where_the_next_point_earns_nothing():
    got = comp._flat_ranges(comp.marginal_table(comp.DEFAULT_PLANS))
    assert got["all_or_nothing"] == ["0% to 98%", "100% and up"]
    assert got["capped_125"] == ["125% and up"]
    assert got["linear_from_50"] == ["0% to 49%"]
    assert "proportional" not in got


# --------------------------------------------------------------------------- attainment
QUOTAS = pd.DataFrame(
    {
        "owner": ["Ann", "Ann", "Ann", "Bob", "Bob"],
        "period": ["2026Q1", "2026Q2", "2026Q3", "2026Q1", "2026Q2"],
        "quota": [100.0, 100.0, 100.0, 50.0, 0.0],
    }
)


def test_attainment_counts_only_the_window_quarters():
    revenue = pd.DataFrame(
        {
            "owner": ["Ann", "Ann", "Ann", None],
            "quarter": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"],
            "revenue": [60.0, 30.0, 50.0, 999.0],
        }
    )
    # a 2026Q2 review over two quarters: Ann 2026Q1 90/100, Ann 2026Q2 50/100, Bob 2026Q1 0/50;
    # Ann's 2026Q3 quota is after the review quarter and Bob's 2026Q2 quota is zero: left out
    att = comp.attainment(revenue, QUOTAS, quarters=["2026Q1", "2026Q2"])
    assert att.set_index(["owner", "period"])["attainment"].to_dict() == {
        ("Ann", "2026Q1"): 0.9,
        ("Bob", "2026Q1"): 0.0,
        ("Ann", "2026Q2"): 0.5,
    }


def test_attainment_names_missing_columns():
    with pytest.raises(DataError, match="revenue column"):
        comp.attainment(pd.DataFrame({"owner": []}), QUOTAS, quarters=["2026Q1"])


def test_credit_joins_the_owner_and_leaves_unowned_rows_without_one():
    revenue = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "quarter": ["2026Q1"] * 3, "revenue": [1.0, 2.0, 3.0]}
    )
    owners = pd.DataFrame({"account_id": ["a", "b"], "owner": ["Ann", None]})
    got = comp.credit(revenue, owners)
    assert got["owner"].tolist()[0] == "Ann" and got["owner"].isna().tolist() == [False, True, True]


def test_quota_status_says_why_each_row_is_left_out():
    status = comp.quota_status(
        QUOTAS,
        quarters=["2026Q1", "2026Q2"],
        data_from=pd.Timestamp("2026-02-15"),
        data_through=pd.Timestamp("2026-06-27"),
    )
    assert status.tolist() == [
        "quarter the data covers only in part (data starts 2026-02-15)",  # Q1 starts 01-01
        "used",  # data ends 3 days before 2026Q2 does: inside its last week
        "quarter outside the window (2026Q1 to 2026Q2)",
        "quarter the data covers only in part (data starts 2026-02-15)",
        "no quota (zero, negative or missing)",
    ]
    later = comp.quota_status(
        QUOTAS,
        quarters=["2026Q2", "2026Q3"],
        data_from=pd.Timestamp("2026-01-01"),
        data_through=pd.Timestamp("2026-06-30"),
    )
    assert later.iloc[2] == "quarter the data does not reach (data ends 2026-06-30)"
    none = comp.quota_status(QUOTAS, quarters=["2026Q1"], data_from=None, data_through=None)
    assert none.iloc[0] == "no revenue data to measure it against"


# --------------------------------------------------------------------------- data sets
def _write(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


QUARTER_MIDS = {
    "2025Q2": "2025-05-15",
    "2025Q3": "2025-08-15",
    "2025Q4": "2025-11-15",
    "2026Q1": "2026-02-15",
    "2026Q2": "2026-05-15",
}


def _team(folder: Path) -> Path:
    """Two reps over five quarters (2025Q2-2026Q2), hand-worked.

    Ann owns A1, sells 100 a quarter against a quota of 100 (attainment 1.0); Bob owns A2,
    sells 50 against 100 (0.5). A3 has no owner (30 + 20); one line has no account (7);
    one line falls in 2026Q3 (Ann, 80). Quotas also exist for 2025Q1 and 2026Q3 (both reps).
    The data runs from 2025-04-01 to 2026-07-15.
    """
    _write(
        folder,
        "accounts",
        [
            {"account_id": "A1", "account_name": "One", "owner": "Ann"},
            {"account_id": "A2", "account_name": "Two", "owner": "Bob"},
            {"account_id": "A3", "account_name": "Three", "owner": ""},
        ],
    )
    lines = []
    for day in QUARTER_MIDS.values():
        lines.append(("A1", day, 100.0))
        lines.append(("A2", day, 50.0))
    lines += [("A3", "2025-04-01", 30.0), ("A3", "2026-06-30", 20.0), ("", "2025-06-01", 7.0)]
    lines.append(("A1", "2026-07-15", 80.0))
    _write(
        folder,
        "orders",
        [
            {"order_id": f"L{i}", "account_id": a, "order_date": d, "amount": v}
            for i, (a, d, v) in enumerate(lines, 1)
        ],
    )
    quotas = [
        {"owner": o, "period": q, "quota": 100}
        for o in ("Ann", "Bob")
        for q in ["2025Q1", *QUARTER_MIDS, "2026Q3"]
    ]
    _write(folder, "quotas", quotas)
    return folder


def _thin(folder: Path, *, owner: bool = False) -> Path:
    """accounts + opportunities with the required columns only (plus outcome, owner if asked)."""
    extra = {"outcome": "won", "owner": "Ann"} if owner else {}
    _write(folder, "accounts", [{"account_id": "A1", "account_name": "One"}])
    _write(
        folder,
        "opportunities",
        [
            {
                "opportunity_id": "O1",
                "account_id": "A1",
                "stage": "Won",
                "amount": 500,
                "created_date": "2026-04-01",
                "close_date": "2026-05-10",
                **extra,
            }
        ],
    )
    return folder


def test_team_hand_worked(tmp_path):
    ds = load_dataset(_team(tmp_path / "team"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2", quarters_back=5, target_incentive=1000.0))
    m = a.metrics
    assert m["attainment_source"] == "quotas" and m["attainment_source_reason"] is None
    assert m["revenue_attribution"] == "account owner (accounts.owner)"
    assert (m["rep_quarters"], m["measured_reps"], m["measured_quarters"]) == (10, 2, 5)
    assert m["share_below_quota"] == 0.5 and m["mean_attainment"] == pytest.approx(0.75)
    # proportional: 5 x 1000 + 5 x 500; all or nothing: Ann's five quarters only
    assert m["cost"]["proportional"] == pytest.approx(7500)
    assert m["cost"]["all_or_nothing"] == pytest.approx(5000)
    assert m["share_zero_payout"]["all_or_nothing"] == 0.5
    assert m["share_zero_payout"]["proportional"] == 0.0
    assert m["share_near_miss"]["all_or_nothing"] == 0.0  # 0.5 is far from 1.0
    assert m["cheapest_plan"] == "all_or_nothing"  # ties linear_from_50 (5000); first listed
    # quotas: 10 used, 2025Q1 and 2026Q3 outside the window
    assert (m["quota_rows_used"], m["quota_rows_outside_window"], m["quota_rows_not_covered"]) == (
        10,
        4,
        0,
    )
    assert m["revenue_without_owner"] == pytest.approx(57)  # A3's 50 and the 7 without account
    rows = a.coverage.rows.set_index("table")
    assert rows.loc["orders", ["rows", "used", "left_out"]].tolist() == [14, 10, 4]
    assert "account has no owner: 2" in rows.loc["orders", "why"]
    assert "no account: 1" in rows.loc["orders", "why"]
    assert rows.loc["quotas", ["rows", "used", "left_out"]].tolist() == [14, 10, 4]
    reps = a.tables["reps"].set_index("owner")
    assert reps.loc["Bob", "quarters_below_quota"] == 5 and reps.loc["Ann", "attainment"] == 1.0
    assert not a.note("banner") and "simulated" not in " ".join(a.findings)
    assert a.findings[0].startswith("Actual attainment of 2 reps over 5 quarters")
    json.dumps(notebook._jsonable(a.metrics), allow_nan=False)


def test_regression_next_quarters_quotas_are_not_unpaid_rep_quarters(tmp_path):
    """A 2026Q2 review counted 2026Q3's quotas as rep-quarters with no revenue."""
    ds = load_dataset(_team(tmp_path / "team"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2", quarters_back=5))
    assert "2026Q3" not in set(a.tables["attainment"]["period"])
    # with the 2026Q3 quotas counted, proportional would pay nothing to 2 of 12
    assert a.metrics["share_zero_payout"]["proportional"] == 0.0


def test_quarters_the_data_does_not_cover_are_left_out_and_counted(tmp_path):
    ds = load_dataset(_team(tmp_path / "team"))
    # 2025Q3-2026Q3: the data ends 2026-07-15, inside 2026Q3: its two quotas are left out,
    # which leaves 8 rep-quarters, fewer than MIN_REP_QUARTERS: the plans run simulated
    a = comp.analyze(ds, comp.Params(quarter="2026Q3", quarters_back=5))
    m = a.metrics
    assert m["quota_rows_not_covered"] == 2 and m["quota_rows_used"] == 8
    assert m["measured_rep_quarters"] == 8
    assert m["attainment_source"] == "simulated"
    assert m["attainment_source_reason"].startswith("too few rep-quarters: 8 of 2 reps")
    assert (
        "quarter the data covers only in part (data ends 2026-07-15): 2"
        in (a.coverage.rows.set_index("table").loc["quotas", "why"])
    )
    assert "attainment" in a.tables  # the data-based table still shows what was measured


def test_thin_data_runs_simulated_and_says_so(tmp_path):
    ds = load_dataset(_thin(tmp_path / "thin"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2"))
    why = (
        "No quotas table, so attainment cannot be measured: add quotas.csv (owner, period, quota)."
    )
    assert a.absent == {"attainment": why, "reps": why}
    assert notebook.reason(a, "reps").data == notebook.escape_markdown(why)  # shown as text
    m = a.metrics
    assert m["attainment_source"] == "simulated"
    assert m["attainment_source_reason"] == "no quotas table"
    for name in (
        "measured_rep_quarters",
        "measured_reps",
        "measured_quarters",
        "measured_mean_attainment",
        "measured_share_below_quota",
        "quota_rows_used",
        "quota_rows_outside_window",
        "quota_rows_not_covered",
        "revenue_without_owner",
        "revenue_attribution",
    ):
        assert m[name] is None, name
    assert m["rep_quarters"] == 200 and set(m["cost"]) == set(PLANS)
    # the plan comparison still runs, and every share it states says simulated
    assert "plan_comparison" in a.tables
    banner = a.note("banner")
    assert "Simulated attainment, not measured (no quotas table)" in banner
    assert "20,000" in banner and "add quotas.csv" in banner
    assert notebook.note(banner).data.startswith("**Simulated")
    for f in a.findings:
        if "%" in f:
            assert "simulated" in f, f
    for name in ("distribution", "plan_comparison", "caps"):
        assert "simulated" in a.note(name).lower(), name
    titles = a.extras["titles"]
    assert titles["distribution"].startswith("Simulated:")
    assert titles["costs"].startswith("Simulated:") and "simulated" in titles["costs_axis"]
    shown = {x.name: x.value for x in a.assumptions}
    assert shown["target_incentive"] == "20,000 USD"
    assert shown["mean_attainment"] == "95%" and shown["sd_attainment"] == "25%"
    assert shown["simulated_reps"] == "200" and shown["seed"] == "7"
    assert shown["quarters_back"].startswith("8 (")
    assert shown["plans_file"].startswith("built in: All or nothing, Proportional")
    assert shown["revenue_attribution"] == "nobody: no owner column in the data"
    cover = a.coverage.rows.set_index("table")
    assert cover.loc["opportunities", "used"] == 0


def test_summary_json_says_simulated_metrics_of_a_measured_run_do_not(tmp_path):
    ds = load_dataset(_team(tmp_path / "team"))
    measured = comp.analyze(ds, comp.Params(quarter="2026Q2", quarters_back=5))
    normal = comp.analyze(
        ds, comp.Params(quarter="2026Q2", quarters_back=5, attainment_source="normal")
    )
    assert measured.metrics["attainment_source"] == "quotas"
    assert normal.metrics["attainment_source"] == "simulated"
    assert normal.metrics["attainment_source_reason"] == 'parameter attainment_source "normal"'
    assert "attainment" in normal.tables  # measured data still shown, for reference
    assert normal.metrics["measured_rep_quarters"] == 10 and normal.metrics["rep_quarters"] == 200


def test_quotas_but_no_owner_anywhere(tmp_path):
    folder = _thin(tmp_path / "noowner")
    _write(folder, "quotas", [{"owner": "Ann", "period": "2026Q2", "quota": 100}])
    # the thin set has no outcome column: won revenue cannot be told
    a = comp.analyze(load_dataset(folder), comp.Params(quarter="2026Q2"))
    assert a.metrics["attainment_source"] == "simulated"
    assert a.metrics["attainment_source_reason"] == "no won revenue to measure"
    assert "no outcome column" in a.absent["attainment"]
    folder2 = tmp_path / "noowner2"
    _thin(folder2, owner=True)
    opps = (folder2 / "opportunities.csv").read_text().replace(",Ann", ",")
    (folder2 / "opportunities.csv").write_text(opps)
    _write(folder2, "quotas", [{"owner": "Ann", "period": "2026Q2", "quota": 100}])
    b = comp.analyze(load_dataset(folder2), comp.Params(quarter="2026Q2"))
    assert b.metrics["attainment_source_reason"] == "no owner on revenue"
    assert b.absent["attainment"] == (
        "Neither the opportunities nor the accounts name an owner, so revenue cannot be "
        "credited to reps and attainment cannot be measured: add owner to opportunities.csv "
        "(the deal owner) or to accounts.csv."
    )
    assert a.note("banner") and b.note("banner")


def test_orders_without_account_owner_say_what_to_add(tmp_path):
    folder = tmp_path / "orders"
    _write(folder, "accounts", [{"account_id": "A1", "account_name": "One"}])
    _write(
        folder,
        "orders",
        [{"order_id": "L1", "account_id": "A1", "order_date": "2026-05-01", "amount": 10}],
    )
    _write(folder, "quotas", [{"owner": "Ann", "period": "2026Q2", "quota": 100}])
    a = comp.analyze(load_dataset(folder), comp.Params(quarter="2026Q2"))
    assert a.absent["attainment"].startswith(
        "Revenue comes from order lines, credited to the account's owner, and no account has an owner"
    )
    assert a.coverage.rows.set_index("table").loc["orders", "why"] == "no owner to credit it to: 1"


def test_one_rep_one_quarter_runs_simulated(tmp_path):
    folder = _thin(tmp_path / "one", owner=True)
    deal = (folder / "opportunities.csv").read_text().splitlines()[1]
    (folder / "opportunities.csv").write_text(  # two lost deals: the data spans the quarter
        (folder / "opportunities.csv").read_text()
        + deal.replace("O1", "O2").replace("2026-05-10", "2026-04-01").replace("won", "lost")
        + "\n"
        + deal.replace("O1", "O3").replace("2026-05-10", "2026-06-30").replace("won", "lost")
        + "\n"
    )
    _write(folder, "quotas", [{"owner": "Ann", "period": "2026Q2", "quota": 1000}])
    a = comp.analyze(load_dataset(folder), comp.Params(quarter="2026Q2", quarters_back=1))
    # Ann: one won deal of 500 against a quota of 1000 -> 0.5, credited to the deal owner
    assert a.tables["attainment"]["attainment"].tolist() == [0.5]
    assert a.metrics["revenue_attribution"] == "deal owner (opportunities.owner)"
    assert a.metrics["attainment_source"] == "simulated"
    assert a.metrics["attainment_source_reason"].startswith("too few rep-quarters: 1 of 1 rep,")
    assert a.metrics["measured_share_below_quota"] == 1.0


def test_deals_without_owner_are_counted(tmp_path):
    folder = tmp_path / "deals"
    _write(folder, "accounts", [{"account_id": "A1", "account_name": "One"}])
    deals = [
        # (id, owner, outcome, close): won in window with and without owner, lost, won earlier
        ("O1", "Ann", "won", "2026-05-10"),
        ("O2", "", "won", "2026-05-11"),
        ("O3", "Ann", "lost", "2026-05-12"),
        ("O4", "Ann", "won", "2024-01-10"),
    ]
    _write(
        folder,
        "opportunities",
        [
            {
                "opportunity_id": i,
                "account_id": "A1",
                "stage": o,
                "amount": 100,
                "created_date": "2024-01-01",
                "close_date": c,
                "outcome": o,
                "owner": w,
            }
            for i, w, o, c in deals
        ],
    )
    _write(folder, "quotas", [{"owner": "Ann", "period": "2026Q2", "quota": 100}])
    a = comp.analyze(load_dataset(folder), comp.Params(quarter="2026Q2", quarters_back=1))
    row = a.coverage.rows.set_index("table").loc["opportunities"]
    assert (row["rows"], row["used"], row["left_out"]) == (4, 1, 3)
    assert "not won: 1" in row["why"] and "deal has no owner: 1" in row["why"]
    assert a.metrics["revenue_without_owner"] == pytest.approx(100)


def test_bad_parameters_raise_usage_errors(tmp_path):
    ds = load_dataset(_thin(tmp_path / "thin"))
    with pytest.raises(UsageError, match="'data' or 'normal'"):
        comp.analyze(ds, comp.Params(quarter="2026Q2", attainment_source="poisson"))
    with pytest.raises(UsageError, match="simulated_reps"):
        comp.analyze(ds, comp.Params(quarter="2026Q2", simulated_reps=0))


def test_plans_file_parameter(tmp_path):
    ds = load_dataset(_thin(tmp_path / "thin"))
    (tmp_path / "p.yml").write_text("plans:\n  - {name: flat}\n")
    a = comp.analyze(ds, comp.Params(quarter="2026Q2", plans_file=str(tmp_path / "p.yml")))
    assert set(a.metrics["cost"]) == {"flat"}
    assert a.absent["caps"].startswith("No plan caps its payout")
    assert a.metrics["rep_quarters_above_cap"] == {}
    assert {x.name: x.value for x in a.assumptions}["plans_file"] == "from p.yml: flat"


def test_params_match_the_notebook():
    nb = nbformat.read(str(ROOT / "notebooks" / "04_compensation.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = re.findall(r"^(\w+)\s*:", cell.source, re.M)
    assert set(names) - {"data_dir", "output_dir", "redact", "mode"} == set(comp.Params.names())
    for name in comp.Params.names():
        if name != "quarter":
            value = re.search(rf"^{name}\s*:\s*\w+\s*=\s*(.+?)\s+#", cell.source, re.M).group(1)
            assert eval(value) == comp.Params.default(name), name  # noqa: S307 - literals only
    assert nb.metadata["salesnb"]["requires"] == [list(comp.CORE)]


# --------------------------------------------------------------------------- charts
def test_histogram_counts_are_whole_rep_quarters():
    att = pd.DataFrame({"attainment": [0.8, 0.9, 1.1]})
    ax = comp.plot_attainment(att, title="three")
    ax.figure.canvas.draw()
    ticks = ax.get_yticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)
    assert ax.get_title() == "three"
    plt.close(ax.figure)


def test_plots_draw_names_with_dollar_signs_as_text(tmp_path):
    plans = [Plan("Quote $10k-$50k", cap=1.2), Plan("100% <b> & co_x")]
    att = comp.parametric_attainment(30, seed=1)
    res = comp.simulate(plans, att, target_incentive=100)
    for ax in (
        comp.plot_payout_curves(plans),
        comp.plot_costs(res, currency="USD", title="Cost of $ plans"),
        comp.plot_marginal(comp.marginal_table(plans)),
    ):
        ax.figure.canvas.draw()  # mathtext would fail on "$10k-$"
        plt.close(ax.figure)
    labels = [t.get_text() for t in comp.plot_costs(res).get_yticklabels()]
    assert "Quote $10k-$50k" in labels
    plt.close("all")


def test_every_chart_of_an_analysis_draws(tmp_path):
    ds = load_dataset(_team(tmp_path / "team"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2", quarters_back=5))
    for name in a.charts:
        ax = a.chart(name)
        assert ax is not None, name
        ax.figure.canvas.draw()
        plt.close(ax.figure)
    ax = a.chart("attainment_distribution")
    assert ax.get_title() == "50% of 10 rep-quarters fell short of quota"
    plt.close(ax.figure)


# --------------------------------------------------------------------------- headline, actions, specs (issue 13)
def test_headline_and_actions_hand_worked(tmp_path):
    ds = load_dataset(_team(tmp_path / "team"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2", quarters_back=5, target_incentive=1000.0))
    cards = {k.label: k for k in a.headline}
    # Ann attains 100% in each of five quarters, Bob 50%
    assert cards["Rep-quarters below quota"].value == 0.5
    assert cards["Rep-quarters below quota"].note == "10 rep-quarters of 2 reps, 2025Q2 to 2026Q2"
    assert cards["Mean attainment"].value == pytest.approx(0.75)
    assert cards["All or nothing pays nothing to"].value == 0.5
    assert cards["Cheapest plan"].value == "All or nothing"
    assert cards["Cheapest plan"].note == "5k USD; dearest: Proportional 7.5k USD"
    assert cards["Rep-quarters past a cap"].value == 0
    # Bob's 50% is far from quota: no near misses; proportional pays everyone for 7,500
    assert a.actions == (
        "Avoid All or nothing: it pays nothing to 50% of the rep-quarters; Proportional pays "
        "100% of them for 7.5k USD.",
    )
    costs = a.tables["plan_comparison"]
    assert costs["cost"].is_monotonic_increasing and costs["design"].iloc[0] == "All or nothing"
    for name, table in a.tables.items():
        spec = a.spec(name)
        assert spec is not None and set(spec.columns) >= set(table.columns), name


def test_simulated_attainment_is_not_a_headline_fact(tmp_path):
    ds = load_dataset(_thin(tmp_path / "thin"))
    a = comp.analyze(ds, comp.Params(quarter="2026Q2"))
    cards = {k.label: k for k in a.headline}
    for label in ("Rep-quarters below quota", "Mean attainment"):
        assert cards[label].value is None and cards[label].note.startswith("Not measured (")
    assert a.actions[0].startswith("Measure attainment before choosing a plan: every share")
    assert a.actions[0].endswith("add quotas.csv (owner, period, quota).")
    # the other cards are simulated figures: their labels say so (the summary shows no notes)
    shown = [k for k in a.headline if k.value is not None]
    assert shown and all(k.label.endswith("(simulated)") for k in shown), [k.label for k in shown]


def test_plans_have_names_for_people(tmp_path):
    assert [p.label for p in comp.DEFAULT_PLANS][:2] == ["All or nothing", "Proportional"]
    assert comp.Plan("my_plan").label == "my plan"
    (tmp_path / "p.yml").write_text("plans:\n  - {name: flat, title: Flat bonus}\n")
    assert comp.load_plans(tmp_path / "p.yml")[0].label == "Flat bonus"
