"""A review and its history store: two consecutive quarters, the summary's change, interruptions.

The two demo reviews (2026Q2 then 2026Q3 into one store) come from conftest's
``reviews_root``; the expected deltas are read from the two summary.json files, which the
notebooks wrote, not from the store under test. Interruptions and refusals run with a
stand-in for the notebooks (no kernel), so they cost seconds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, make_notebook
from pypdf import PdfReader

from salesnb import history, report
from salesnb.analysis import format_value
from salesnb.report.summary import NotebookResult
from salesnb.schema import UsageError

DEMO = ROOT / "data" / "demo"


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(reviews_root) -> Path:
    return reviews_root / history.FILENAME


@pytest.fixture(scope="module")
def key(reviews_root) -> str:
    return summary_of(reviews_root / "2026Q3")["history"]["dataset_key"]


# --------------------------------------------------------------------------- two quarters
def test_both_quarters_are_recorded_under_the_data_sets_key(reviews_root, store, key):
    q3 = summary_of(reviews_root / "2026Q3")
    assert key == history.dataset_key(q3["data"]["name"])
    assert q3["history"]["recorded"] is True and q3["history"]["error"] is None
    assert history.quarters(store, key) == ["2026Q2", "2026Q3"]
    stored = {r["quarter"]: r for r in history.listing(store)["reviews"]}
    for quarter in ("2026Q2", "2026Q3"):
        books = summary_of(reviews_root / quarter)["notebooks"]
        assert stored[quarter]["notebooks"] == {k: v["status"] for k, v in books.items()}
        assert stored[quarter]["fingerprint"] == q3["data"]["fingerprint"]


def test_the_store_holds_the_expected_deltas(reviews_root, store, key):
    q2 = summary_of(reviews_root / "2026Q2")["notebooks"]
    q3 = summary_of(reviews_root / "2026Q3")["notebooks"]
    delta = history.delta(store, key, "2026Q3").set_index(["notebook", "metric"])
    assert (delta["previous_quarter"] == "2026Q2").all()
    checked = 0
    for notebook, metric in [
        ("01_pareto", "share_top_20pct"),
        ("01_pareto", "revenue_total"),
        ("03_pipeline_health", "win_rate"),
        ("03_pipeline_health", "no_decision_share"),
        ("03_pipeline_health", "velocity_per_day"),
        ("03_pipeline_health", "open_pipeline"),
    ]:
        before = q2.get(notebook, {}).get("metrics", {}).get(metric)
        now = q3.get(notebook, {}).get("metrics", {}).get(metric)
        if before is None or now is None:  # a notebook that failed publishes nothing later
            continue
        row = delta.loc[(notebook, metric)]
        assert row["previous"] == pytest.approx(before) and row["current"] == pytest.approx(now)
        assert row["change"] == pytest.approx(now - before)
        assert row["direction"] == ("up" if now > before else "down" if now < before else "same")
        checked += 1
    assert checked >= 4, "too few headline metrics published by both quarters to compare"
    tiers = history.delta(store, key, "2026Q3").query("metric.str.startswith('tier_counts.')")
    for r in tiers.itertuples():
        tier = r.metric.split(".", 1)[1]
        assert r.previous == q2["02_account_tiering"]["metrics"]["tier_counts"][tier]
        assert r.current == q3["02_account_tiering"]["metrics"]["tier_counts"][tier]


def test_snapshots_hold_ids_and_figures_not_names(reviews_root, store, key):
    opened = history.snapshot(store, key, "2026Q3", history.OPEN_OPPORTUNITIES)
    tiers = history.snapshot(store, key, "2026Q3", history.TIERS)
    ranking = history.snapshot(store, key, "2026Q3", history.RANKING)
    assert opened is not None and tiers is not None and ranking is not None
    assert "owner" not in opened.columns  # the lead's decision: names stay out of the store
    for table in (opened, tiers, ranking):
        assert not [c for c in table.columns if "name" in c]
    m = summary_of(reviews_root / "2026Q3")["notebooks"]["03_pipeline_health"]["metrics"]
    assert len(opened) == m["open_deals"]
    cards = summary_of(reviews_root / "2026Q3")["notebooks"]["02_account_tiering"]["metrics"]
    counts = {k: v for k, v in cards["tier_counts"].items() if v}
    assert tiers["tier"].value_counts().to_dict() == counts
    assert list(ranking["rank"]) == list(range(1, len(ranking) + 1))
    # last quarter, as slip analysis and top-group movement read it
    assert history.previous(store, key, "2026Q3", history.RANKING) is not None


def test_the_summary_shows_the_change_with_arrows(reviews_root):
    q2 = summary_of(reviews_root / "2026Q2")["notebooks"]["03_pipeline_health"]["metrics"]
    q3 = summary_of(reviews_root / "2026Q3")["notebooks"]["03_pipeline_health"]["metrics"]
    text = pdf_text(reviews_root / "2026Q3" / "00_summary.pdf")
    assert "2026Q3 against 2026Q2" in text
    change = (q3["win_rate"] - q2["win_rate"]) * 100
    arrow = "▲" if change > 0 else "▼"
    shown = (
        f"Win rate {format_value(q2['win_rate'], 'percent')} "
        f"{format_value(q3['win_rate'], 'percent')} {arrow} {change:+.1f} pts"
    )
    assert shown in text
    money = q3["open_pipeline"] - q2["open_pipeline"]
    assert f"{format_value(abs(money), 'money', 'USD')}" in text
    assert "Trends over the 2 stored quarters up to 2026Q3" in text
    first = pdf_text(reviews_root / "2026Q2" / "00_summary.pdf")
    assert "No earlier review of this data set is stored" in first
    assert "Trends over" not in first


# --------------------------------------------------------------------------- interruptions
@pytest.fixture
def copied(reviews_root, tmp_path) -> tuple[Path, Path]:
    """A copy of the 2026Q3 review folder and its store, to interrupt."""
    root = tmp_path / "reports"
    shutil.copytree(reviews_root / "2026Q3", root / "2026Q3")
    shutil.copy2(reviews_root / history.FILENAME, root / history.FILENAME)
    return root / "2026Q3", root / history.FILENAME


def _fingerprints(out: Path, store: Path) -> dict[str, str]:
    files = [store, out / "00_summary.pdf", out / "review.pdf", *out.glob("*/*.pdf")]
    return {str(p.relative_to(out.parent)): digest(p) for p in files}


def test_ctrl_c_mid_review_leaves_the_store_and_the_previous_reports(copied, monkeypatch):
    out, store = copied
    before = _fingerprints(out, store)
    stored = history.listing(store)
    calls = []

    def stand_in(path, **kwargs):
        calls.append(path.stem)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return NotebookResult(path.stem, "ok", metrics={"n": 1})

    monkeypatch.setattr(report.run, "run_notebook", stand_in)
    with pytest.raises(KeyboardInterrupt):
        report.review(DEMO, "2026Q3", out, jobs=1)
    assert _fingerprints(out, store) == before
    assert history.listing(store) == stored
    statuses = {k: v["status"] for k, v in summary_of(out)["notebooks"].items()}
    assert statuses[calls[0]] == "ok" and list(statuses.values()).count("interrupted") == (
        len(report.list_notebooks()) - 1
    )
    assert not list(out.parent.rglob(".*.tmp*")) and not (out / ".salesnb.lock").exists()


def test_ctrl_c_while_recording_leaves_the_store_and_the_previous_summary(copied, monkeypatch):
    out, store = copied
    before = _fingerprints(out, store)
    monkeypatch.setattr(
        report.run, "run_notebook", lambda path, **k: NotebookResult(path.stem, "ok")
    )

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report.history, "snapshots", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.review(DEMO, "2026Q3", out, jobs=1)
    assert _fingerprints(out, store) == before
    assert history.quarters(store, summary_of(out)["history"]["dataset_key"]) == [
        "2026Q2",
        "2026Q3",
    ]


def test_a_foreign_history_file_costs_no_review(tmp_path, run_cli, monkeypatch):
    foreign = tmp_path / "notes.duckdb"
    foreign.write_text("name,amount\nx,1\n")
    monkeypatch.setattr(report.run, "run_notebook", lambda *a, **k: pytest.fail("kernel started"))
    res = run_cli(
        "review",
        "--data",
        DEMO,
        "--quarter",
        "2026Q3",
        "--out",
        tmp_path / "o",
        "--history",
        foreign,
    )
    assert res.code == 2 and "is not a salesnb history store" in res.err
    assert foreign.read_text() == "name,amount\nx,1\n"
    assert not (tmp_path / "o" / "summary.json").exists()


def test_a_failed_notebook_is_listed_and_left_out_of_review_pdf(copied):
    out, store = copied
    summary = summary_of(out)
    entry = summary["notebooks"]["04_compensation"]
    entry.update(status="failed", error="ValueError: deliberately broken")
    entry["outputs"] = [o for o in entry["outputs"] if o.endswith(".ipynb")]
    report.executive.write(out, summary, store=store, key=summary["history"]["dataset_key"])
    text = pdf_text(out / "00_summary.pdf")
    assert "This report failed: ValueError: deliberately broken" in text
    done = sum(e["status"] == "ok" for e in summary["notebooks"].values())
    total = len(summary["notebooks"])
    assert f"{done} of {total} reports finished (" in text and "Compensation plans failed" in text
    reader = PdfReader(str(out / "review.pdf"))
    top = [i.title for i in reader.outline if not isinstance(i, list)]
    assert "Executive summary" in top and len(top) == 1 + sum(
        e["status"] == "ok" for e in summary["notebooks"].values()
    )
    assert entry["title"] not in top


# --------------------------------------------------------------------------- notebook parameters
def test_history_parameters_reach_only_notebooks_that_declare_them(tmp_path):
    books = tmp_path / "books"
    with_history = make_notebook(
        books / "01_with.ipynb",
        "import salesnb as sn\nsn.notebook.publish({'file': history_file, 'key': history_key})",
    )
    # a parameters cell with the two history parameters
    nb = json.loads(with_history.read_text())
    nb["cells"][1]["source"] += '\nhistory_file: str = ""  # store\nhistory_key: str = ""  # key'
    with_history.write_text(json.dumps(nb))
    without = make_notebook(
        books / "02_without.ipynb", "import salesnb as sn\nsn.notebook.publish({'n': 1})"
    )
    store = tmp_path / "h" / "store.duckdb"
    summary = report.review(
        DEMO, "2026Q3", tmp_path / "out", jobs=1, notebooks=[with_history, without], history=store
    )
    assert summary["notebooks"]["01_with"]["metrics"] == {
        "file": str(store),
        "key": "demo-company-seed-42-500-accounts",
    }
    assert summary["notebooks"]["02_without"]["status"] == "ok"
    assert not store.exists()  # a run of some notebooks reads the store, never records


def test_inject_keeps_a_value_the_user_gave(tmp_path):
    nb = tmp_path / "01_x.ipynb"
    declared = {nb: {"history_file": {}, "history_key": {}}}
    planned = [(nb, {"history_key": "mine"})]
    (got,) = report.history.inject(planned, declared, store=tmp_path / "s.duckdb", key="demo")
    assert got[1] == {"history_file": str(tmp_path / "s.duckdb"), "history_key": "mine"}
    (plain,) = report.history.inject(
        [(nb, {})], {nb: {"history_file": {}}}, store=tmp_path, key="k"
    )
    assert plain[1] == {}  # history_file alone (tiering's CSV of past tiers) is not ours


def test_review_default_store_is_beside_the_out_folder(reviews_root):
    q3 = summary_of(reviews_root / "2026Q3")
    assert Path(q3["history"]["path"]) == reviews_root / history.FILENAME


def test_usage_error_for_a_store_of_another_currency(tmp_path, monkeypatch):
    store = tmp_path / "h.duckdb"
    history.record(
        store,
        quarter="2026Q2",
        dataset={"name": "Demo company (seed 42, 500 accounts)"},
        currency="EUR",
        metrics={},
        snapshots={},
    )
    monkeypatch.setattr(report.run, "run_notebook", lambda *a, **k: pytest.fail("kernel started"))
    with pytest.raises(UsageError, match="in EUR"):
        report.review(DEMO, "2026Q3", tmp_path / "o", history=store)
    assert pd.Series(history.quarters(store, "demo-company-seed-42-500-accounts")).tolist() == [
        "2026Q2"
    ]


def test_a_run_after_the_review_marks_the_executive_summary_stale(copied, monkeypatch):
    out, store = copied
    recorded = summary_of(out)["history"]
    monkeypatch.setattr(
        report.run, "run_notebook", lambda path, **k: NotebookResult(path.stem, "ok")
    )
    report.review(DEMO, "2026Q3", out, jobs=1, notebooks=[report.find_notebook("pareto")])
    after = summary_of(out)
    assert after["history"] == recorded and after["executive"]["status"] == "stale"
    assert "01_pareto ran again after the review" in after["executive"]["error"]
    assert len(after["notebooks"]) == len(report.list_notebooks())  # the others' entries kept


def test_a_summary_shows_no_quarter_after_its_own(reviews_root, store, key):
    """Re-rendering 2026Q2's summary with 2026Q3 stored: no change from, or trend into, its future."""
    page = report.executive.summary_html(summary_of(reviews_root / "2026Q2"), store=store, key=key)
    assert "Trends over" not in page and "No earlier review of this data set" in page
