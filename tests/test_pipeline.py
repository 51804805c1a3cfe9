"""salesnb.pipeline: win / loss, velocity, PVF, balance, integrity and slips on hand-made deals."""

from __future__ import annotations

import pandas as pd
import pytest

from salesnb import pipeline

D = pd.Timestamp


def deals(rows: list[tuple]) -> pd.DataFrame:
    cols = [
        "opportunity_id",
        "owner",
        "stage",
        "outcome",
        "amount",
        "created_date",
        "close_date",
        "probability",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["created_date"] = pd.to_datetime(df["created_date"])
    df["close_date"] = pd.to_datetime(df["close_date"])
    return df.assign(account_id=df["opportunity_id"].str.replace("O", "A"))


NOW = deals(
    [
        ("O1", "Ann", "closed won", "won", 100.0, "2026-05-01", "2026-07-31", 1.0),  # 91 days
        ("O2", "Ann", "closed won", "won", 300.0, "2026-06-01", "2026-08-10", 1.0),  # 70 days
        ("O3", "Bob", "closed lost", "lost", 50.0, "2026-06-01", "2026-08-15", 0.0),
        ("O4", "Bob", "closed lost", "no_decision", 80.0, "2026-04-01", "2026-09-01", 0.0),
        ("O5", "Bob", "propose", "open", 1000.0, "2026-08-01", "2026-12-15", 0.4),
        ("O6", "Ann", "qualify", "open", 200.0, "2026-09-01", "2026-10-20", 0.1),
        (
            "O7",
            "Ann",
            "qualify",
            "open",
            None,
            "2026-09-10",
            "2026-09-01",
            0.9,
        ),  # past due, no amount, odd probability
        (
            "O8",
            "Bob",
            "closed won",
            "won",
            999.0,
            "2026-01-01",
            "2026-03-01",
            1.0,
        ),  # closed before the window
    ]
)
Q3 = (D("2026-07-01"), D("2026-09-30"))


def test_win_loss_hand_worked():
    closed = pipeline.closed_in(NOW, *Q3)
    stats = pipeline.win_loss(closed)
    assert (stats["won"], stats["lost"], stats["no_decision"]) == (2, 1, 1)
    assert stats["win_rate"] == 0.5 and stats["no_decision_share"] == 0.25
    assert stats["avg_deal_size_won"] == 200.0 and stats["avg_cycle_days_won"] == pytest.approx(
        (91 + 70) / 2
    )


def test_velocity_hand_worked():
    closed = pipeline.closed_in(NOW, *Q3)
    stats = pipeline.win_loss(closed)
    open_now = pipeline.open_at(NOW, Q3[1])
    assert sorted(open_now["opportunity_id"]) == ["O5", "O6", "O7"]
    v = pipeline.velocity(open_now, stats, by="owner", closed=closed).set_index("group")
    # 3 open x 0.5 x 200 / 80.5 days
    assert v.loc["team", "velocity_per_day"] == pytest.approx(3 * 0.5 * 200 / 80.5)
    # Ann: 2 open, won 2 of 2, average 200, 80.5 days; Bob: won none -> velocity 0... but no won deal -> NaN
    assert v.loc["Ann", "velocity_per_day"] == pytest.approx(2 * 1.0 * 200 / 80.5)
    assert pd.isna(v.loc["Bob", "velocity_per_day"])


def test_loss_reasons_split_and_grouped():
    closed = pd.DataFrame(
        {
            "outcome": ["lost", "lost", "no_decision"],
            "loss_reason": ["Price; Competitor", "bad fit", None],
        }
    )
    t = pipeline.loss_reasons(closed)
    assert dict(zip(t["reason"], t["group"], strict=True)) == {
        "not recorded": "no decision",
        "competitor": "outsold",
        "price": "outsold",
        "bad fit": "should not have been there",
    }


PREVIOUS = deals(
    [
        ("O1", "Ann", "negotiate", "open", 100.0, "2026-05-01", "2026-07-15", 0.7),  # -> won
        ("O2", "Ann", "qualify", "open", 250.0, "2026-06-01", "2026-07-20", 0.1),  # -> won
        ("O3", "Bob", "qualify", "open", 50.0, "2026-06-01", "2026-08-15", 0.1),  # -> lost
        (
            "O5",
            "Bob",
            "qualify",
            "open",
            1000.0,
            "2026-06-20",
            "2026-09-30",
            0.1,
        ),  # -> still open, pushed, moved
        ("O9", "Cy", "qualify", "open", 70.0, "2026-06-02", "2026-09-01", 0.1),  # vanished: lost
    ]
)


def test_stage_conversion_and_pvf_hand_worked():
    conv = pipeline.stage_conversion(PREVIOUS, NOW).set_index("stage")
    assert conv.loc[
        "qualify", ["deals_then", "won", "lost", "still_open", "moved_on"]
    ].tolist() == [4, 1, 1, 1, 1]
    assert conv.loc["qualify", "won_share"] == 0.25 and conv.loc["negotiate", "won_share"] == 1.0
    open_now = pipeline.open_at(NOW, Q3[1])
    table = pipeline.pvf(conv.reset_index(), open_now, target=100.0).set_index("stage")
    # qualify converts a quarter of its deals: it must hold 4 x the target; it holds 200 (O7 has no amount)
    assert table.loc["qualify", ["pvf", "needed", "in_stage", "gap"]].tolist() == [
        4.0,
        400.0,
        200.0,
        200.0,
    ]
    assert table.loc["negotiate", "pvf"] == 1.0 and table.loc["negotiate", "gap"] == 100.0


def test_slip_and_waterfall_hand_worked():
    # O4 closed in the quarter but was created before the last snapshot without being in it: not new
    moves = pipeline.slip(PREVIOUS, NOW, period_end=Q3[1]).set_index("opportunity_id")
    assert moves["status"].to_dict() == {
        "O1": "won",
        "O2": "won",
        "O3": "lost",
        "O5": "pushed",
        "O6": "new",
        "O7": "new",
        "O9": "lost",
    }
    steps = pipeline.waterfall(moves.reset_index()).set_index("step")["amount"]
    # 1470 open before; won 100 + 250, lost 50 + 70; new open: 200 (O6; O7 has no amount); O5 unchanged
    assert steps.to_dict() == {
        "last snapshot": 1470.0,
        "won": -350.0,
        "lost": -120.0,
        "new": 200.0,
        "amount changes": 0.0,
        "today": 1200.0,
    }
    assert steps["today"] == pipeline.open_at(NOW, Q3[1])["amount"].sum()
    assert pipeline.push_counts(moves.reset_index()).sum() == 1


def test_balance_and_decisive_deal():
    open_now = pipeline.open_at(NOW, Q3[1])
    bands, note = pipeline.balance(
        open_now, rocks=500, stones=100, target=2000, decisive_share=0.25
    )
    b = bands.set_index("band")
    assert b["deals"].tolist() == [1, 1, 0] and b.loc["rocks", "value_share"] == pytest.approx(
        1000 / 1200
    )
    assert note.startswith("Warning") and "50% of the target" in note


def test_integrity_flags_and_scores():
    open_now = pipeline.open_at(NOW, Q3[1])
    last = pd.Series(pd.to_datetime(["2026-09-20", "2026-01-01"]), index=["A5", "A6"])
    deals_, owners = pipeline.integrity(
        open_now, as_of=Q3[1], last_activity=last, stale_days=60, pushes=pd.Series({"O5": 1})
    )
    f = deals_.set_index("opportunity_id")
    assert f.loc["O7", ["past_due", "no_amount", "stale"]].tolist() == [True, True, True]
    assert f.loc["O6", "stale"] and f.loc["O5", "pushed"] and not f.loc["O5", "stale"]
    assert owners.set_index("owner")["integrity_score"].to_dict() == {"Ann": 0.0, "Bob": 0.0}


def test_forecasts_and_coverage():
    open_now = pipeline.open_at(NOW, Q3[1]).assign(
        forecast_category=["commit", "pipeline", "best_case"]
    )
    q4 = (D("2026-10-01"), D("2026-12-31"))
    conv = pd.DataFrame({"stage": ["propose", "qualify"], "won_share": [0.5, 0.25]})
    f = pipeline.forecasts(open_now, conv, start=q4[0], end=q4[1]).set_index("forecast")["amount"]
    # due in Q4: O5 (1000 @ 0.4, propose) and O6 (200 @ 0.1, qualify)
    assert f.to_dict() == pytest.approx(
        {
            "all open deals due": 1200,
            "probability-weighted": 420,
            "commit": 1000,
            "best case": 1000,
            "historical conversion": 550,
        }
    )
    assert pipeline.coverage(open_now, start=q4[0], end=q4[1], target=600) == 2.0
    assert pipeline.coverage(open_now, start=q4[0], end=q4[1], target=0) is None


# --------------------------------------------------------------------------- regressions (issue 11)
def test_outcomes_are_read_from_stage_names_when_missing():
    opps = pd.DataFrame(
        {
            "stage": ["closed_won", "closed_lost", "no_decision", "negotiation", "won", "lost_x"],
            "outcome": [None, None, None, None, "open", None],
        }
    )
    got, inferred = pipeline.with_outcomes(opps)
    # the outcome column wins where it has a value (row 4: open although the stage says won)
    assert got["outcome"].tolist() == ["won", "lost", "no_decision", "open", "open", "lost"]
    assert inferred == 5
    thin, n = pipeline.with_outcomes(opps.drop(columns="outcome"))
    assert thin["outcome"].tolist()[:4] == ["won", "lost", "no_decision", "open"] and n == 6


def test_open_deals_without_created_date_stay_open():
    d = NOW.copy()
    d.loc[d["opportunity_id"] == "O5", "created_date"] = pd.NaT
    assert "O5" in set(pipeline.open_at(d, Q3[1])["opportunity_id"])
    _, owners = pipeline.integrity(pipeline.open_at(d, Q3[1]), as_of=Q3[1])
    flags, _ = pipeline.integrity(pipeline.open_at(d, Q3[1]), as_of=Q3[1])
    assert flags.set_index("opportunity_id").loc["O5", "no_created_date"]


def test_deals_closed_before_created_leave_the_cycle_and_are_counted():
    d = NOW.copy()
    d.loc[d["opportunity_id"] == "O1", "created_date"] = D("2026-09-30")  # closes 2026-07-31
    stats = pipeline.win_loss(pipeline.closed_in(d, *Q3))
    # only O2 (70 days) is left: not (70 - 61) / 2 = 4.5
    assert stats["avg_cycle_days_won"] == 70.0 and stats["cycle_excluded"] == 1


def test_rates_are_null_without_closed_deals_and_no_decision_without_the_outcome():
    none_closed = pipeline.win_loss(NOW.iloc[0:0])
    assert none_closed["win_rate"] is None and none_closed["no_decision_share"] is None
    assert none_closed["avg_deal_size_won"] is None and none_closed["avg_cycle_days_won"] is None
    stats = pipeline.win_loss(pipeline.closed_in(NOW, *Q3), records_no_decision=False)
    assert stats["win_rate"] == pytest.approx(2 / 4) and stats["no_decision_share"] is None


def test_open_pipeline_and_coverage_are_null_when_no_open_deal_has_an_amount():
    open_now = pipeline.open_at(NOW, Q3[1]).assign(amount=float("nan"))
    crm = pipeline.crm_metrics(open_now, pipeline.win_loss(NOW.iloc[0:0]), as_of=Q3[1])
    assert crm["open_pipeline"] is None and crm["open_deals_without_amount"] == 3
    q4 = (D("2026-10-01"), D("2026-12-31"))
    assert pipeline.coverage(open_now, start=q4[0], end=q4[1], target=600) is None


def test_unusable_probabilities_give_no_weighted_forecast():
    open_now = pipeline.open_at(NOW, Q3[1]).assign(probability=float("nan"))
    q4 = (D("2026-10-01"), D("2026-12-31"))
    f = pipeline.forecasts(open_now, None, start=q4[0], end=q4[1])
    assert list(f["forecast"]) == ["all open deals due"]


def _folder(tmp_path, deals, *, accounts=("A1", "A2"), snapshot=None):
    import csv

    def write(path, rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerows(rows)

    write(
        tmp_path / "accounts.csv",
        [["account_id", "account_name"], *[[a, f"Co {a}"] for a in accounts]],
    )
    head = [
        "opportunity_id",
        "account_id",
        "stage",
        "amount",
        "created_date",
        "close_date",
        "owner",
    ]
    write(tmp_path / "opportunities.csv", [head, *deals])
    if snapshot is not None:
        write(tmp_path / "snapshots" / snapshot[0] / "opportunities.csv", [head, *snapshot[1]])
    return sn_sources.load_dataset(tmp_path)


import salesnb.sources as sn_sources  # noqa: E402


def test_analyze_on_a_thin_export_worked_by_hand(tmp_path):
    # no outcome column: outcomes come from the stage names
    ds = _folder(
        tmp_path,
        [
            ["O1", "A1", "Closed Won", 1000, "2026-05-01", "2026-07-31", "Ann"],  # 91 days
            ["O2", "A2", "Closed Won", 3000, "2026-06-01", "2026-08-10", "Bob"],  # 70 days
            ["O3", "A1", "Closed Lost", 500, "2026-06-01", "2026-08-15", "Ann"],
            ["O4", "A2", "Proposal", 2000, "2026-08-01", "2026-11-15", "Bob"],
            ["O5", "A1", "Qualify", "", "2026-09-01", "2026-12-01", "Ann"],  # no amount
            ["O6", "A2", "Closed Won", 600, "2026-01-01", "2026-03-01", "Ann"],  # Q1
        ],
    )
    a = pipeline.analyze(ds, pipeline.Params(quarter="2026Q3"))
    m = a.metrics
    assert (m["won"], m["lost"], m["no_decision"]) == (2, 1, 0)
    assert m["win_rate"] == pytest.approx(2 / 3)
    assert m["no_decision_share"] is None  # the data records no no-decision outcome at all
    assert m["avg_deal_size_won"] == 2000.0 and m["avg_cycle_days_won"] == 80.5
    # velocity: 2 open deals x 2/3 x 2000 / 80.5 days
    assert m["velocity_per_day"] == pytest.approx(2 * (2 / 3) * 2000 / 80.5)
    assert m["open_pipeline"] == 2000.0 and m["open_deals_without_amount"] == 1
    # target: won in the TTM 2025Q4..2026Q3 = 4600; the data (2026-01-01 to 2026-08-15)
    # touches 3 of those quarters (Q1, Q2, Q3)
    assert m["target_next_quarter"] == pytest.approx(4600 / 3)
    assert m["coverage_next_quarter"] == pytest.approx(2000 / (4600 / 3))
    assert a.coverage.complete is False and "partial" in a.coverage.note()
    assert m["pvf_by_stage"] is None and m["outcomes_from_stage"] == 6
    assert set(a.absent) >= {"pvf", "slip", "waterfall", "loss_reasons"}
    assert "snapshots/2026Q2/opportunities.csv" in a.absent["pvf"]


def test_snapshot_is_the_data_sets_own_previous_quarter(tmp_path):
    deals = [
        ["O1", "A1", "Closed Won", 1000, "2026-05-01", "2026-07-31", "Ann"],
        ["O2", "A2", "Proposal", 2000, "2026-05-01", "2026-11-15", "Bob"],
    ]
    then = [
        ["O1", "A1", "Proposal", 1000, "2026-05-01", "2026-07-15", "Ann"],
        ["O2", "A2", "Proposal", 2000, "2026-05-01", "2026-09-15", "Bob"],
    ]
    ds = _folder(tmp_path, deals, snapshot=("2026Q2", then))
    a = pipeline.analyze(ds, pipeline.Params(quarter="2026Q3"))
    # one of the two deals open in 'proposal' at the snapshot was won: PVF = 1 / 0.5 = 2
    assert a.metrics["pvf_by_stage"] == {"proposal": 2.0}
    assert a.tables["slip"].set_index("opportunity_id")["status"].to_dict() == {
        "O1": "won",
        "O2": "pushed",
    }
    # reviewed a quarter later, the same snapshot is not last quarter's: no PVF
    later = pipeline.analyze(ds, pipeline.Params(quarter="2026Q4"))
    assert later.metrics["pvf_by_stage"] is None and "snapshots/2026Q3" in later.absent["pvf"]


def test_funnel_chart_draws_a_dollar_stage_name():
    import matplotlib.pyplot as plt

    t = pd.DataFrame(
        {"stage": ["Quote $10k-$50k", "50% <sure>"], "deals": [2, 1], "value": [10.0, 5.0]}
    )
    ax = pipeline.plot_funnel(t)
    ax.figure.canvas.draw()
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Quote $10k-$50k", "50% <sure>"]
    plt.close(ax.figure)


# --------------------------------------------------------------------------- issue 13: headline, actions, text
def test_thin_export_headline_and_actions(tmp_path):
    ds = _folder(
        tmp_path,
        [
            ["O1", "A1", "Closed Won", 1000, "2026-05-01", "2026-07-31", "Ann"],
            ["O2", "A2", "Closed Won", 3000, "2026-06-01", "2026-08-10", "Bob"],
            ["O3", "A1", "Closed Lost", 500, "2026-06-01", "2026-08-15", "Ann"],
            ["O4", "A2", "Proposal", 2000, "2026-08-01", "2026-11-15", "Bob"],
            ["O5", "A1", "Qualify", "", "2026-09-01", "2026-12-01", "Ann"],
        ],
    )
    a = pipeline.analyze(ds, pipeline.Params(quarter="2026Q3"))
    kpi = {k.label: k for k in a.headline}
    assert 3 <= len(a.headline) <= 6
    assert kpi["Win rate"].value == pytest.approx(2 / 3) and kpi["Win rate"].kind == "percent"
    assert kpi["Win rate"].note == "2 won of 3 deals closed in 2026Q3"
    # no outcome records "no decision": no figure, a reason, and no zero row in the table
    assert kpi["No-decision share"].value is None
    assert kpi["No-decision share"].note == "the data records no no-decision outcome"
    assert a.tables["outcomes"]["outcome"].tolist() == ["won", "lost"]
    assert kpi["Open pipeline"].value == 2000.0
    assert kpi["Coverage of 2026Q4 (× target)"].value == a.metrics["coverage_next_quarter"]
    assert kpi["Open deals with a data flag"].value == 1  # O5: no amount
    # the flagged deal is named by owner; no snapshot: the last action says how to get one
    assert (
        a.actions[0]
        == "Clean the data of 1 of 2 open deals (no amount: 1); start with Ann (1 of 1 flagged)."
    )
    assert a.actions[-1].startswith("Save this quarter's opportunities export as snapshots/2026Q3/")
    assert "1 lost." in a.findings[0] and "no decision" not in a.findings[0].split(".")[0]


def test_slip_note_says_why_its_counts_differ_from_the_quarters(tmp_path):
    deals = [
        ["O1", "A1", "Closed Won", 1000, "2026-05-01", "2026-07-31", "Ann"],  # open at snapshot
        ["O3", "A1", "Closed Won", 500, "2026-07-05", "2026-08-31", "Ann"],  # created since
        ["O2", "A2", "Proposal", 2000, "2026-05-01", "2026-11-15", "Bob"],
    ]
    then = [
        ["O1", "A1", "Proposal", 1000, "2026-05-01", "2026-07-15", "Ann"],
        ["O2", "A2", "Proposal", 2000, "2026-05-01", "2026-09-15", "Bob"],
    ]
    ds = _folder(tmp_path, deals, snapshot=("2026Q2", then))
    a = pipeline.analyze(ds, pipeline.Params(quarter="2026Q3", target=5000.0))
    note = a.notes["slip"]
    assert note.startswith("Since the last snapshot (to 2026-08-31): 1 won,")
    assert "1 of the 2 deals won in 2026Q3 were open at the snapshot, the other 1 came in" in note
    assert "differ from the counts of deals closed in 2026Q3" in a.findings[-1]
    # PVF of proposal: 1 of 2 won -> 2 x 5,000 needed, 2,000 held: 8,000 short
    pvf_action = next(x for x in a.actions if x.startswith("Fill the pipeline gaps"))
    assert "proposal short by 8,000" in pvf_action and "(PVF 2.0)" in pvf_action
    assert "largest owner gaps: Bob" in pvf_action


def test_charts_state_what_they_draw():
    import matplotlib.pyplot as plt

    bands = pd.DataFrame(
        {
            "band": ["rocks", "stones", "pebbles"],
            "deals": [0, 1, 9],
            "value": [0.0, 20_000.0, 80_000.0],
            "count_share": [0.0, 0.1, 0.9],
            "value_share": [0.0, 0.2, 0.8],
        }
    )
    ax = pipeline.plot_balance(bands)
    assert ax.get_title() == "Pebbles are 90% of open deals and 80% of their value"
    plt.close(ax.figure)
    steps = pipeline.waterfall(
        pd.DataFrame(
            {
                "opportunity_id": ["a", "b", "c"],
                "status": ["won", "new", "unchanged"],
                "amount_before": [300.0, None, 100.0],
                "amount_now": [None, 50.0, 100.0],
            }
        )
    )
    ax = pipeline.plot_waterfall(steps, currency="EUR")
    assert ax.get_title() == "Open pipeline shrank by 250 EUR since the last snapshot"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "open pipeline",
        "added",
        "removed",
    ]
    plt.close(ax.figure)
    f = pd.DataFrame(
        {"forecast": ["all open deals due", "probability-weighted"], "amount": [3e6, 1e6]}
    )
    ax = pipeline.plot_forecasts(f, currency="USD")
    assert ax.get_title() == "Same open deals, forecasts from 1.0M USD to 3.0M USD"
    assert ax.get_xlabel() == "due next quarter (USD)"
    plt.close(ax.figure)
    t = pd.DataFrame({"stage": ["a", "b"], "deals": [2, 5], "value": [None, 5.0]})
    ax = pipeline.plot_funnel(t)
    assert ax.get_title() == "Stage b holds the most open deals: 5 of 7"
    assert all(float(v).is_integer() for v in ax.get_xticks())
    plt.close(ax.figure)


def test_last_quarter_from_the_history_store_when_no_snapshot_folder(tmp_path, monkeypatch):
    deals = [
        ["O1", "A1", "Closed Won", 1000, "2026-05-01", "2026-07-31", "Ann"],
        ["O2", "A2", "Proposal", 2000, "2026-05-01", "2026-11-15", "Bob"],
    ]
    ds = _folder(tmp_path / "d", deals)
    store = tmp_path / "history.duckdb"
    store.write_bytes(b"")  # the file exists; what it holds is read through history.snapshot
    # the store kept the deals open at the end of 2026Q2, without owners; O3 had closed
    # (lost) by the time that review ran: it was open then, its stage unknown
    stored = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "account_id": ["A1", "A2", "A1"],
            "stage": ["proposal", "proposal", "closed_lost"],
            "outcome": ["open", "open", "lost"],
            "amount": [1000.0, 2000.0, 300.0],
            "created_date": pd.to_datetime(["2026-05-01"] * 3),
            "close_date": pd.to_datetime(["2026-07-15", "2026-09-15", "2026-07-01"]),
        }
    )
    asked = []

    def snapshot(path, key, quarter, table):
        asked.append((path, key, quarter, table))
        return stored

    monkeypatch.setattr(pipeline.history, "snapshot", snapshot)
    params = pipeline.Params(quarter="2026Q3", history_file=str(store), history_key="demo")
    a = pipeline.analyze(ds, params)
    assert asked == [(store, "demo", "2026Q2", "open_opportunities")]
    # proposal: 1 of 2 won -> PVF 2; O3 (stage then unknown) is no stage of today's funnel
    assert a.metrics["pvf_by_stage"] == {"proposal": 2.0}
    slip = a.tables["slip"].set_index("opportunity_id")["status"].to_dict()
    assert slip == {"O1": "won", "O2": "pushed", "O3": "lost"}
    row = a.assumptions_table().set_index("assumption").loc["Last quarter's snapshot"]
    assert row["source"] == "the history store (2026Q2 review)"
    # no store given: the reason says how to get last quarter's deals
    plain = pipeline.analyze(ds, pipeline.Params(quarter="2026Q3"))
    assert "review that quarter with salesnb review" in plain.absent["slip"]


def test_pvf_note_when_the_snapshot_lost_the_stages_of_the_deals_won():
    table = pd.DataFrame(
        {"stage": ["engaging"], "won_share": [0.0], "pvf": [float("nan")], "gap": [float("nan")]}
    )
    note = pipeline.pvf_note(table, 1000.0, "2017Q4", "USD", unstaged_won=609)
    assert note.startswith("Target for 2017Q4: 1,000 USD. 609 deals open at the last snapshot")
    assert "the stage they were won from is unknown" in note
    assert "No deal open at the last snapshot was won" in pipeline.pvf_note(table, 1000.0, "Q")


def test_forecast_note_says_what_is_missing():
    only = pd.DataFrame({"forecast": ["all open deals due"], "amount": [10.0]})
    assert "the only forecast is the sum of the open deals due" in pipeline.forecast_note(only)
    two = pd.DataFrame({"forecast": ["all open deals due", "commit"], "amount": [10.0, 5.0]})
    assert pipeline.forecast_note(two).startswith("The data has no deal probabilities, so")
    weighted = pd.DataFrame(
        {"forecast": ["all open deals due", "probability-weighted"], "amount": [10.0, 5.0]}
    )
    assert pipeline.forecast_note(weighted, "EUR").startswith("The weighted forecast says 5 EUR")
