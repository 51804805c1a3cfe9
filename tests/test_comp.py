"""salesnb.comp: payout curves at known points, simulation figures, attainment, plans files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from salesnb import comp
from salesnb.comp import Plan
from salesnb.schema import DataError

PLANS = {p.name: p for p in comp.DEFAULT_PLANS}


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
    m = comp.metrics(res.reset_index())
    assert (
        m["cost"]["proportional"] == pytest.approx(3850) and m["cheapest_plan"] == "all_or_nothing"
    )


def test_linear_floor_is_a_threshold():
    assert PLANS["linear_from_50"].thresholds == [0.5]
    assert PLANS["all_or_nothing"].thresholds == [1.0]
    assert PLANS["proportional"].thresholds == [0.0]


def test_attainment_from_data():
    revenue = pd.DataFrame(
        {
            "account_id": ["a", "b", "a", "c"],
            "quarter": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"],
            "revenue": [60.0, 30.0, 50.0, 999.0],
        }
    )
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "owner": ["Ann", "Ann", None]})
    quotas = pd.DataFrame(
        {
            "owner": ["Ann", "Ann", "Bob"],
            "period": ["2026Q1", "2026Q2", "2026Q1"],
            "quota": [100.0, 100.0, 50.0],
        }
    )
    att = comp.attainment(revenue, accounts, quotas).set_index(["owner", "period"])
    assert att["attainment"].to_dict() == {
        ("Ann", "2026Q1"): 0.9,
        ("Ann", "2026Q2"): 0.5,
        ("Bob", "2026Q1"): 0.0,
    }


def test_choose_attainment_falls_back_and_says_why():
    att, note = comp.choose_attainment(None, None, None, source="data", n=50, seed=1)
    assert len(att) == 50 and "no quotas" in note
    again, _ = comp.choose_attainment(None, None, None, source="normal", n=50, seed=1)
    pd.testing.assert_frame_equal(att, again)  # seeded
    with pytest.raises(DataError, match="'data' or 'normal'"):
        comp.choose_attainment(None, None, None, source="poisson")


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
        ("plans: []\n", "expected 'plans:'"),
        ("plans:\n  - {points: [[0, 0], [1, 1]]}\n", "plan 1 needs a name"),
        ("plans:\n  - {name: a, points: [[1, 0], [0, 1]]}\n", "increasing attainment"),
        ("plans:\n  - {name: a, points: [[0, x], [1, 1]]}\n", "number pairs"),
        ("plans:\n  - {name: a, colour: red}\n", "unknown key(s) colour"),
    ],
)
def test_bad_plans_files(tmp_path, text, message):
    (tmp_path / "p.yml").write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        comp.load_plans(tmp_path / "p.yml")


def test_plan_needs_two_increasing_points():
    with pytest.raises(DataError):
        Plan("bad", ((0.0, 0.0),))
