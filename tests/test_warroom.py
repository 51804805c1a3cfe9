"""salesnb.warroom: selection order, scheduling with hand-made availability, agenda times, playbook."""

from __future__ import annotations

import pandas as pd
import pytest

from salesnb import warroom
from salesnb.schema import DataError

AS_OF = pd.Timestamp("2026-09-30")  # a Wednesday; +30 days = Friday 2026-10-30


def experts(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["expert_id", "area", "unavailable_dates"])


def cases(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"opportunity_id": list(ids)})


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
    assert (
        "legal (blocked by L1)" in row["why_no_date"]
        or "security (blocked by nobody has this area)" in row["why_no_date"]
    )
    assert "security" in warroom.schedule_note(plan) or "legal" in warroom.schedule_note(plan)


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
    with pytest.raises(DataError, match="7 positive durations"):
        warroom.agenda(minutes=[30, 30])


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


def test_selection_order_and_reasons():
    tiers = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "tier": ["T1", "T3", "T2"]})
    ranked = warroom.candidates(OPEN, tiers=tiers, stages=["qualify", "propose", "negotiate"])
    # O1: largest, Tier 1, competitor, mid-funnel; O2: as large but T3, no competitor, first stage
    assert ranked["opportunity_id"].tolist() == ["O1", "O2", "O3"]  # O4 has no amount
    assert ranked["score"].iloc[0] == pytest.approx(0.4 + 0.2 + 0.1 + 0.1)
    assert ranked["reason"].iloc[0] == "100,000 deal, T1 account, competing with Rival, in propose"
    assert warroom.select(ranked, capacity=2)["opportunity_id"].tolist() == ["O1", "O2"]
    assert warroom.select(ranked, opportunity_id="O3")["opportunity_id"].tolist() == ["O3"]
    with pytest.raises(DataError, match="not an open deal"):
        warroom.select(ranked, opportunity_id="O9")


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
    assert lens["no_decision_risk"] == 0.25
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


def test_rep_leaves_at_step_three():
    assert warroom.rep_leaves_at(warroom.agenda(rep="Ann", experts=["legal"])) == 3
