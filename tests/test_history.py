"""The history store: hand-worked deltas, identity, atomic replacement, refusals, the command."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesnb import history
from salesnb.schema import DataError, UsageError

NAME = "Acme Corp"
KEY = "acme-corp"

Q2_METRICS = {
    "01_pareto": {"share_top_20pct": 0.75, "n_accounts": 300, "pareto_band": "steeper"},
    "02_account_tiering": {"tier_counts": {"T1": 10, "T2": 30}},
    "03_pipeline_health": {
        "win_rate": 0.25,
        "lost": 10,
        "no_decision_share": None,
        "pvf_by_stage": {"qualify": 4.0},
    },
}
Q3_METRICS = {
    "01_pareto": {"share_top_20pct": 0.875, "n_accounts": 300, "pareto_band": "flatter"},
    "02_account_tiering": {"tier_counts": {"T1": 12, "T2": 28}},
    "03_pipeline_health": {
        "win_rate": 0.3125,
        "lost": 8,
        "no_decision_share": 0.5,
        "pvf_by_stage": {"qualify": 3.5},
        "risk_flags": ["late", "no owner"],
    },
}


def tiers(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"account_id": list(ids), "tier": ["T1"] * len(ids)})


def opportunities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "007"],
            "account_id": ["A1", "A2", "A3"],
            "stage": ["qualify", "propose", "negotiate"],
            "amount": [1000.0, np.nan, 250.5],
            "created_date": pd.to_datetime(["2026-01-05", "2026-02-01", None]),
            "close_date": pd.to_datetime(["2026-10-01", None, "2026-12-31"]),
            "probability": pd.array([10, None, 60], dtype="Int64"),
            "forecast_category": pd.Categorical(["pipeline", "commit", "pipeline"]),
            "is_new": [True, False, True],
        }
    )


def put(path: Path, quarter: str, metrics=None, *, name=NAME, currency="USD", snaps=None, **kw):
    history.record(
        path,
        quarter=quarter,
        dataset={"name": name, "fingerprint": f"sha256:{quarter}", "path": "/data/acme"},
        currency=currency,
        metrics=Q3_METRICS if metrics is None else metrics,
        snapshots={"tiers": tiers("A1", "A2", "A3")} if snaps is None else snaps,
        generated=f"{quarter}-generated",
        kit_version="0.1.0",
        statuses={nb: "ok" for nb in (Q3_METRICS if metrics is None else metrics)},
        **kw,
    )


@pytest.fixture(scope="module")
def acme(tmp_path_factory) -> bytes:
    """Acme's 2026Q2 and 2026Q3 in one store, recorded once."""
    path = tmp_path_factory.mktemp("acme") / history.FILENAME
    put(path, "2026Q2", Q2_METRICS, snaps={"tiers": tiers("A1", "A2"), "open": opportunities()})
    put(path, "2026Q3", Q3_METRICS)
    return path.read_bytes()


@pytest.fixture
def store(tmp_path, acme) -> Path:
    """A fresh copy of Acme's store for each test."""
    path = tmp_path / "reports" / history.FILENAME
    path.parent.mkdir()
    path.write_bytes(acme)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    return (
        history.metric_values(path),
        history.reviews(path).drop(columns="recorded"),
        history.snapshot(path, KEY, "2026Q2", "open"),
    )


def assert_same_state(a, b) -> None:
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    pd.testing.assert_frame_equal(a[2], b[2])


# --------------------------------------------------------------------------- names
def test_dataset_key_is_the_normalised_name():
    assert history.dataset_key("Demo company (seed 42, 500 accounts)") == (
        "demo-company-seed-42-500-accounts"
    )
    assert history.dataset_key("  ACME   corp.") == history.dataset_key("Acme Corp") == KEY
    assert history.dataset_key("Société Générale") == "société-générale"
    assert history.dataset_key("Acme") != history.dataset_key("Acme 2")
    assert history.dataset_key("***").startswith("name-")


def test_default_path_is_beside_the_outputs_parent(tmp_path, monkeypatch):
    assert history.default_path(tmp_path / "reports" / "2026Q3") == (
        tmp_path / "reports" / "salesnb-history.duckdb"
    )
    monkeypatch.chdir(tmp_path)
    assert history.default_path() == tmp_path / "reports" / "salesnb-history.duckdb"


# --------------------------------------------------------------------------- deltas and trends
def test_two_quarters_give_the_hand_worked_deltas(store):
    got = history.delta(store, KEY, "2026Q3")
    nan = float("nan")
    expected = pd.DataFrame(
        {
            "notebook": ["01_pareto"] * 2 + ["02_account_tiering"] * 2 + ["03_pipeline_health"] * 4,
            "metric": [
                "n_accounts",
                "share_top_20pct",
                "tier_counts.T1",
                "tier_counts.T2",
                "lost",
                "no_decision_share",
                "pvf_by_stage.qualify",
                "win_rate",
            ],
            "previous_quarter": ["2026Q2"] * 8,
            "previous": [300.0, 0.75, 10.0, 30.0, 10.0, nan, 4.0, 0.25],
            "current": [300.0, 0.875, 12.0, 28.0, 8.0, 0.5, 3.5, 0.3125],
            "change": [0.0, 0.125, 2.0, -2.0, -2.0, nan, -0.5, 0.0625],
            "direction": ["same", "up", "up", "down", "down", None, "down", "up"],
        }
    )
    pd.testing.assert_frame_equal(got, expected)
    # the first quarter has nothing to compare with; an unknown quarter neither
    assert history.delta(store, KEY, "2026Q2").empty
    assert history.delta(store, KEY, "2026Q4").empty
    assert list(history.delta(store, KEY, "2026Q2").columns) == list(expected.columns)


def test_metrics_and_trends_per_quarter(store):
    wide = history.metrics(store, KEY)
    assert list(wide.index) == ["2026Q2", "2026Q3"]
    assert list(wide["03_pipeline_health"]["win_rate"]) == [0.25, 0.3125]
    assert wide["03_pipeline_health"]["no_decision_share"].isna().tolist() == [True, False]
    assert ("01_pareto", "pareto_band") not in wide.columns  # text is not a trend
    t = history.trends(store, KEY)
    assert list(t["concentration"]) == [0.75, 0.875]
    assert list(t["win_rate"]) == [0.25, 0.3125]
    assert list(t["tier_mix.T1"]) == [10 / 40, 12 / 40]
    assert list(t["tier_mix.T2"]) == [30 / 40, 28 / 40]
    assert t["velocity_per_day"].isna().all()  # not stored: NaN, not an error
    head = history.headline_table(store, KEY)
    assert list(head.columns) == ["metric", "kind", "2026Q2", "2026Q3"]
    assert head.set_index("metric").loc["Win rate", "2026Q3"] == 0.3125


def test_values_come_back_as_summary_json_had_them(store):
    (q2, q3) = history.listing(store)["reviews"]
    assert q3["metrics"]["03_pipeline_health"]["risk_flags"] == ["late", "no owner"]
    assert q3["metrics"]["03_pipeline_health"]["lost"] == 8 and isinstance(
        q3["metrics"]["03_pipeline_health"]["lost"], int
    )
    assert q2["metrics"]["03_pipeline_health"]["no_decision_share"] is None
    assert q3["metrics"]["01_pareto"]["pareto_band"] == "flatter"
    assert q2["snapshots"] == {"open": 3, "tiers": 2}
    assert q3["notebooks"] == {nb: "ok" for nb in Q3_METRICS}
    assert q3["data"] == {"path": "/data/acme", "from": None, "through": None}
    json.dumps(history.listing(store))  # JSON as it stands


# --------------------------------------------------------------------------- identity
def test_another_data_set_never_mixes(store):
    other = {"01_pareto": {"share_top_20pct": 0.1}}
    put(store, "2026Q3", other, name="Globex", snaps={"tiers": tiers("G1")})
    put(store, "2026Q4", other, name="Globex", snaps={"tiers": tiers("G1")})
    assert history.quarters(store, KEY) == ["2026Q2", "2026Q3"]
    assert history.quarters(store, "globex") == ["2026Q3", "2026Q4"]
    assert history.delta(store, KEY, "2026Q3")["current"].tolist()[1] == 0.875
    assert history.delta(store, "globex", "2026Q4")["direction"].tolist() == ["same"]
    assert history.previous(store, "globex", "2026Q3", "tiers") is None
    assert list(history.reviews(store, KEY)["dataset"]) == [NAME, NAME]
    assert len(history.reviews(store)) == 4


def test_same_name_but_another_data_set_is_refused(store):
    before = state(store)
    with pytest.raises(UsageError, match="shares 0% of its account ids"):
        put(store, "2026Q4", snaps={"tiers": tiers("Z1", "Z2")})
    with pytest.raises(UsageError, match="in USD .* this one in EUR"):
        put(store, "2026Q4", currency="EUR")
    with pytest.raises(UsageError, match="fiscal year starting in month 1"):
        history.check(store, dataset={"name": NAME, "fiscal_year_start_month": 4})
    assert_same_state(before, state(store))
    put(store, "2026Q4", snaps={"tiers": tiers("A2", "A3", "A4", "A5")})  # grows: same data set
    assert history.quarters(store, KEY) == ["2026Q2", "2026Q3", "2026Q4"]


# --------------------------------------------------------------------------- replacing
def test_recording_a_quarter_again_replaces_it(store):
    put(
        store,
        "2026Q3",
        {"03_pipeline_health": {"win_rate": 0.5}},
        snaps={"tiers": tiers("A1", "A9")},
    )
    rows = history.reviews(store, KEY)
    assert list(rows["quarter"]) == ["2026Q2", "2026Q3"]
    assert rows.set_index("quarter").loc["2026Q3", "metrics"] == 1
    values = history.metric_values(store, KEY)
    assert values[values["quarter"] == "2026Q3"]["metric"].tolist() == ["win_rate"]
    assert history.snapshot(store, KEY, "2026Q3", "tiers")["account_id"].tolist() == ["A1", "A9"]
    assert history.previous(store, KEY, "2026Q3", "open") is not None  # Q2 untouched


def test_failure_after_the_delete_leaves_the_previous_state(store, monkeypatch):
    before = state(store)

    def broken(con, *args):
        left = con.execute("SELECT count(*) FROM metrics WHERE quarter = '2026Q2'").fetchone()
        assert left == (0,)  # the delete happened inside the transaction
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(history, "_insert", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        put(store, "2026Q2", {"01_pareto": {"share_top_20pct": 0.0}})
    assert_same_state(before, state(store))
    assert history.previous_quarter(store, KEY, "2026Q3") == "2026Q2"


def test_a_process_killed_mid_write_leaves_the_previous_state(store):
    before = state(store)
    # a bare package: the child needs the store module, not the whole kit (2 s of imports)
    script = textwrap.dedent(
        f"""
        import os, sys, types
        sys.modules["salesnb"] = types.ModuleType("salesnb")
        sys.modules["salesnb"].__path__ = [{str(Path(history.__file__).parent)!r}]
        from salesnb import history

        def dies(con, review_row, *rest):
            con.execute("INSERT INTO reviews VALUES (" + ", ".join("?" * len(review_row)) + ")",
                        review_row)
            os._exit(3)  # no commit, no rollback, no close

        history._insert = dies
        history.record({str(store)!r}, quarter="2026Q2", dataset={{"name": {NAME!r}}},
                       currency="USD", metrics={{}}, snapshots={{}})
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert_same_state(before, state(store))


def test_bad_snapshot_is_refused_before_the_store_is_touched(store):
    before = digest(store)
    with pytest.raises(ValueError, match="'tiers' lacks column"):
        put(store, "2026Q2", snaps={"tiers": pd.DataFrame({"account_id": ["A1"]})})
    with pytest.raises(ValueError, match="'open_opportunities' lacks column"):
        put(store, "2026Q2", snaps={"open_opportunities": tiers("A1")})
    assert digest(store) == before


def test_an_interrupted_review_is_never_recorded(tmp_path):
    summary = {
        "quarter": "2026Q3",
        "data": {"name": NAME},
        "notebooks": {"01_pareto": {"status": "ok"}, "02_tiering": {"status": "interrupted"}},
    }
    path = tmp_path / "h.duckdb"
    with pytest.raises(ValueError, match="interrupted"):
        history.record_summary(path, summary, snapshots={})
    assert not path.exists()


def test_record_summary_takes_summary_json(tmp_path):
    summary = {
        "kit_version": "0.1.0",
        "generated": "2026-10-02T08:00:00+00:00",
        "quarter": "2026Q3",
        "data": {
            "path": "/data/acme",
            "name": NAME,
            "fingerprint": "sha256:abc",
            "from": "2024-06-03",
            "through": "2026-09-30",
        },
        "currency": "EUR",
        "notebooks": {
            "01_pareto": {"status": "ok", "metrics": {"gini": 0.5}},
            "05_war_room": {"status": "failed", "metrics": {}},
        },
    }
    path = tmp_path / "h.duckdb"
    history.record_summary(path, summary, snapshots={}, fiscal_year_start_month=4)
    row = history.reviews(path).iloc[0]
    assert (row["dataset"], row["dataset_key"], row["currency"]) == (NAME, KEY, "EUR")
    assert (row["fiscal_year_start_month"], row["notebooks"], row["failed"]) == (4, 2, 1)
    assert row["data_through"] == pd.Timestamp("2026-09-30")
    assert history.listing(path)["reviews"][0]["data"]["from"] == "2024-06-03"


# --------------------------------------------------------------------------- snapshots
def test_snapshots_round_trip_with_their_dtypes(store):
    back = history.previous(store, KEY, "2026Q3", "open")
    pd.testing.assert_frame_equal(back, opportunities())
    assert back["opportunity_id"].tolist() == ["O1", "O2", "007"]  # ids stay text
    assert history.previous(store, KEY, "2026Q2", "tiers") is None  # nothing before Q2
    assert history.previous(store, KEY, "2026Q3", "nothing") is None
    assert history.previous_quarter(store, KEY, "2027Q1") == "2026Q3"  # most recent before
    stacked = history.snapshot_history(store, KEY, "tiers")
    assert list(stacked.columns) == ["quarter", "account_id", "tier"]
    assert stacked["quarter"].tolist() == ["2026Q2"] * 2 + ["2026Q3"] * 3
    assert list(history.snapshot_history(store, KEY, "nothing").columns) == ["quarter"]


# --------------------------------------------------------------------------- refusals
def test_a_missing_store_reads_as_empty_and_is_not_created(tmp_path):
    path = tmp_path / "none" / "h.duckdb"
    assert history.reviews(path).empty and list(history.reviews(path).columns)
    assert history.quarters(path, KEY) == []
    assert history.previous(path, KEY, "2026Q3", "tiers") is None
    assert history.delta(path, KEY, "2026Q3").empty
    assert history.metrics(path, KEY).empty
    assert history.listing(path) == {"history": str(path), "exists": False, "reviews": []}
    history.check(path)
    assert not path.parent.exists()


# seeded bytes and plain ids: every pytest-xdist worker must collect the same test ids
@pytest.mark.parametrize(
    "content",
    [random.Random(357).randbytes(4096), b"", b"name,amount\nx,1\n"],
    ids=["random-bytes", "empty", "csv"],
)
def test_a_file_that_is_not_a_store_is_refused_and_left_as_it_is(tmp_path, content):
    path = tmp_path / "h.duckdb"
    path.write_bytes(content)
    for attempt in (lambda: put(path, "2026Q3"), lambda: history.reviews(path)):
        with pytest.raises(UsageError, match=f"{path} is not a salesnb history store"):
            attempt()
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.duckdb"]


def test_a_foreign_duckdb_file_is_refused_and_left_as_it_is(tmp_path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales AS SELECT 1 AS x")
    con.close()
    before = digest(path)
    with pytest.raises(UsageError, match="a DuckDB database but not a salesnb history store"):
        put(path, "2026Q3")
    with pytest.raises(UsageError, match=r"holds sales\)"):
        history.delta(path, KEY, "2026Q3")
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_a_newer_or_damaged_store_is_refused(store, tmp_path):
    import duckdb

    con = duckdb.connect(str(store))
    con.execute("UPDATE salesnb_history SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(UsageError, match="newer salesnb .*schema version 99"):
        put(store, "2026Q4")
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(store.read_bytes()[:6000])
    before = digest(cut)
    with pytest.raises(DataError, match=f"history store {cut} cannot be read"):
        history.reviews(cut)
    assert digest(cut) == before


def test_a_store_in_use_names_the_other_process(store):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(store)!r}); print('held', flush=True);"
            " time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UsageError, match=rf"in use by another process \(PID {holder.pid}\)"):
            put(store, "2026Q4", wait=0.3)
    finally:
        holder.kill()
        holder.wait()
    put(store, "2026Q4")  # free again: recorded
    assert history.quarters(store, KEY)[-1] == "2026Q4"


# --------------------------------------------------------------------------- the command
def test_cli_history_without_a_store(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("history")
    assert result.code == 0
    assert "No history store at" in result.out and "reports/salesnb-history.duckdb" in result.out
    as_json = run_cli("history", "--json")
    assert as_json.code == 0 and json.loads(as_json.out)["reviews"] == []
    missing = run_cli("history", "--history", tmp_path / "typo.duckdb")
    assert missing.code == 2 and "no history store at" in missing.err
    assert not (tmp_path / "reports").exists() and not (tmp_path / "typo.duckdb").exists()


def test_cli_history_of_an_empty_store(run_cli, tmp_path):
    path = tmp_path / "h.duckdb"
    history._create(path)
    result = run_cli("history", "--history", path)
    assert result.code == 0 and "No reviews stored in" in result.out


def test_cli_history_lists_reviews_and_metrics(run_cli, store, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("history", "--history", store)
    assert result.code == 0, result.err
    assert "2 review(s) of 1 data set(s)" in result.out
    assert "Acme Corp: headline metrics" in result.out
    win = next(line for line in result.out.splitlines() if "Win rate" in line)
    assert "25.0%" in win and "31.2%" in win
    as_json = run_cli("history", "--history", store, "--json")
    payload = json.loads(as_json.out)
    assert [r["quarter"] for r in payload["reviews"]] == ["2026Q2", "2026Q3"]
    assert payload["reviews"][1]["metrics"]["03_pipeline_health"]["win_rate"] == 0.3125


def test_cli_history_of_a_corrupt_file_is_one_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    path = tmp_path / "h.duckdb"
    path.write_bytes(b"\x00garbage" * 100)
    for args in ([], ["--json"]):
        result = run_cli("history", "--history", path, *args)
        assert result.code == 2 and result.out == ""
        assert result.err.strip().splitlines() == [
            f"salesnb: error: {path} is not a salesnb history store (not a DuckDB database); "
            "salesnb leaves it as it is: choose another --history, or move the file away to "
            "start a new store there"
        ]
    assert path.read_bytes() == b"\x00garbage" * 100
