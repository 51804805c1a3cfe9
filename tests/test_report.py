"""The report engine: review output, PDFs, summary.json, parameters, failure isolation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, make_notebook
from pypdf import PdfReader

import salesnb as sn
from salesnb import report
from salesnb.report import kernels
from salesnb.schema import UsageError

PARETO = ROOT / "notebooks" / "01_pareto.ipynb"
METRIC_NAMES = {
    "n_accounts",
    "revenue_total",
    "share_top_20pct",
    "share_top_4pct",
    "share_top_0_8pct",
    "accounts_share_for_80pct",
    "gini",
    "complaints_share_top_20pct",
}


@pytest.fixture(scope="module")
def summary(review_dir):
    return json.loads((review_dir / "summary.json").read_text())


def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # table cells wrap: compare words, not lines


def test_summary_records_status_metrics_version_and_fingerprint(summary):
    assert summary["kit_version"] == sn.__version__
    assert summary["quarter"] == "2026Q3" and summary["currency"] == "USD"
    assert summary["data"]["fingerprint"] == report.fingerprint(ROOT / "data" / "demo")
    entry = summary["notebooks"]["01_pareto"]
    assert entry["status"] == "ok" and entry["error"] is None and entry["seconds"] > 0
    assert set(entry["metrics"]) >= METRIC_NAMES


def test_metrics_match_a_direct_computation(summary):
    ds = sn.sources.load_dataset(ROOT / "data" / "demo")
    w = sn.periods.window("2026Q3")
    revenue, _ = sn.sources.revenue_by(ds, w.start, w.end)
    table = sn.pareto.concentration(revenue)
    m = summary["notebooks"]["01_pareto"]["metrics"]
    assert m["n_accounts"] == len(table)
    assert m["revenue_total"] == pytest.approx(table["revenue"].sum())
    assert m["share_top_20pct"] == pytest.approx(
        table["share"].iloc[: sn.pareto.top_k(len(table), 0.2)].sum()
    )
    assert m["gini"] == pytest.approx(sn.pareto.gini(table["revenue"]))
    assert 0 <= m["complaints_share_top_20pct"] <= 1


def test_outputs_are_listed_relative_and_exist(summary, review_dir):
    outputs = summary["notebooks"]["01_pareto"]["outputs"]
    names = {Path(o).name for o in outputs}
    assert {
        "01_pareto.ipynb",
        "01_pareto.html",
        "01_pareto.pdf",
        "vital_few.xlsx",
        "vital_few.csv",
        "time_plan.xlsx",
        "time_plan.csv",
    } <= names
    for o in outputs:
        assert not Path(o).is_absolute() and (review_dir / o).is_file()
    assert not list(review_dir.rglob(".*.tmp*"))  # no temporary files left behind


def test_pdf_has_pages_and_the_headline_figure(summary, review_dir):
    pages, text = pdf_text(review_dir / "01_pareto" / "01_pareto.pdf")
    share = summary["notebooks"]["01_pareto"]["metrics"]["share_top_20pct"]
    assert pages > 1
    assert f"{share:.1%}" in text  # e.g. "80.2%" as printed in the headline block
    assert "Quarter 2026Q3" in text and "page 1 of" in text


def test_report_hides_code_and_exercises(review_dir):
    page = (review_dir / "01_pareto" / "01_pareto.html").read_text()
    _, text = pdf_text(review_dir / "01_pareto" / "01_pareto.pdf")
    for hidden in ("import salesnb", "sn.pareto.", "answer_1", "Exercise 1"):
        assert hidden not in page and hidden not in text
    assert "Takeaways" in text


def test_exports_are_formatted_and_safe(review_dir):
    book = openpyxl.load_workbook(review_dir / "01_pareto" / "vital_few.xlsx")
    sheet = book.active
    assert (
        sheet.freeze_panes == "A2" and sheet["A1"].value == "account_id" and sheet["A1"].font.bold
    )
    csv = pd.read_csv(review_dir / "01_pareto" / "vital_few.csv")
    assert len(csv) == sheet.max_row - 1 and csv["hours_per_week"].gt(0).all()


def test_export_neutralises_formulas(tmp_path):
    table = pd.DataFrame(
        {"account_name": ['=HYPERLINK("http://x","y")', "@cmd", "Plain"], "n": [1, -2, 3]}
    )
    sn.notebook.export_table(table, tmp_path / "t")
    assert pd.read_csv(tmp_path / "t.csv")["account_name"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'@cmd",
        "Plain",
    ]
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx").active["A2"]
    assert cell.data_type == "s" and cell.value.startswith(
        "=HYPERLINK"
    )  # stored as text, not a formula


def test_parameters_are_typed_by_the_parameters_cell():
    typed = report.convert_parameters(
        PARETO, {"quarter": "2026Q2", "cutoff": "0.7", "redact": "yes", "data_dir": "007"}
    )
    assert typed == {"quarter": "2026Q2", "cutoff": 0.7, "redact": True, "data_dir": "007"}
    with pytest.raises(UsageError, match="has no parameter nope"):
        report.convert_parameters(PARETO, {"nope": "1"})
    with pytest.raises(UsageError, match="expects float"):
        report.convert_parameters(PARETO, {"cutoff": "high"})


def test_non_default_parameters_and_redaction(tmp_path):
    params = report.convert_parameters(
        PARETO, {"window_kind": "ttm", "cutoff": "0.7", "weekly_selling_hours": "20"}
    )
    res = report.run_notebook(
        PARETO,
        data=ROOT / "data" / "demo",
        quarter="2026Q2",
        out=tmp_path,
        parameters=params,
        redact=True,
    )
    assert res.status == "ok", res.error
    vital = pd.read_csv(tmp_path / "01_pareto" / "vital_few.csv")
    assert vital["account_name"].str.match(r"^Account [0-9A-F]{10,}$").all()
    assert pd.read_csv(tmp_path / "01_pareto" / "time_plan.csv")[
        "hours_per_week"
    ].sum() == pytest.approx(20)
    real_names = set(
        sn.sources.load_dataset(ROOT / "data" / "demo").table("accounts")["account_name"]
    )
    _, text = pdf_text(tmp_path / "01_pareto" / "01_pareto.pdf")
    assert not any(name in text for name in real_names)
    assert "TTM to 2026Q2" in text


def test_failure_is_isolated(tmp_path, run_cli):
    books = tmp_path / "books"
    ok = make_notebook(
        books / "01_ok.ipynb", "import salesnb as sn\nsn.notebook.publish({'answer': 42})"
    )
    bad = make_notebook(
        books / "02_broken.ipynb",
        "import salesnb as sn\nsn.notebook.publish({'kept': 7})\nraise ValueError('deliberately broken')",
    )
    out = tmp_path / "out"
    summary = report.review(ROOT / "data" / "demo", "2026Q3", out, jobs=2, notebooks=[ok, bad])
    assert summary["notebooks"]["01_ok"]["status"] == "ok"
    assert summary["notebooks"]["01_ok"]["metrics"] == {"answer": 42}
    assert (out / "01_ok" / "01_ok.pdf").stat().st_size > 1000
    broken = summary["notebooks"]["02_broken"]
    assert broken["status"] == "failed" and broken["error"] == "ValueError: deliberately broken"
    assert broken["metrics"] == {"kept": 7}  # published before the failure: not lost
    assert summary["data_through"] == "2026-09-30" and summary["quarter_complete"] is True
    executed = json.loads((out / "02_broken" / "02_broken.ipynb").read_text())
    assert any(
        o.get("output_type") == "error" for c in executed["cells"] for o in c.get("outputs", [])
    )
    assert not (out / "02_broken" / "02_broken.pdf").exists()
    result = run_cli(
        "run",
        str(bad),
        "--data",
        ROOT / "data" / "demo",
        "--quarter",
        "2026Q3",
        "--out",
        tmp_path / "o2",
    )
    assert result.code == 1 and "deliberately broken" in result.out


def test_review_workers_come_from_a_fork_server_with_this_process_environment(
    tmp_path, monkeypatch
):
    """Workers are not forked from the reviewing process, whose threads and asyncio loop they
    would copy mid-flight (a review after a notebook ran in the same process could hang), yet
    they see its environment as it is when the review starts."""
    kernels.prepare_workers()  # the fork server keeps the environment it started with
    monkeypatch.setenv("SALESNB_TEST_MARK", "set after the fork server started")
    body = (
        "import os\nimport psutil\nimport salesnb as sn\n"
        "worker = psutil.Process(os.getppid())  # the kernel's parent\n"
        "sn.notebook.publish({'mark': os.environ.get('SALESNB_TEST_MARK'),"
        " 'worker_parent': worker.ppid()})"
    )
    books = [make_notebook(tmp_path / "books" / f"0{i}_env.ipynb", body) for i in (1, 2)]
    summary = report.review(
        ROOT / "data" / "demo", "2026Q3", tmp_path / "out", jobs=2, notebooks=books
    )
    for name in ("01_env", "02_env"):
        metrics = summary["notebooks"][name]["metrics"]
        assert metrics["mark"] == "set after the fork server started"
        assert metrics["worker_parent"] not in (os.getpid(), 1)


def test_core_table_missing_means_skipped(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "accounts.csv").write_text("account_id,account_name\nA1,Alpha\n")
    summary = report.review(tmp_path / "d", "2026Q3", tmp_path / "out", notebooks=[PARETO])
    entry = summary["notebooks"]["01_pareto"]
    assert entry["status"] == "skipped" and "no orders or opportunities table" in entry["reason"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["review", "--data", "nowhere", "--quarter", "2026Q3"], "no such data folder"),
        (["review", "--data", "data/demo", "--quarter", "2026-Q3"], "YYYYQn"),
        (["run", "pareto", "--data", "data/demo", "-p", "nope", "1"], "has no parameter nope"),
        (["run", "pareto", "--data", "data/demo", "-p", "cutoff", "high"], "expects float"),
        (["run", "nosuch", "--data", "data/demo"], "no notebook 'nosuch'"),
        (["run", "pareto", "--data", "data/demo", "-p", "cutoff"], "-p NAME VALUE"),
        (["run", "pareto", "--data", "data/demo", "--colour", "red"], "-p NAME VALUE"),
    ],
)
def test_usage_errors_exit_2_before_any_kernel(run_cli, args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(
        report.run, "run_notebook", lambda *a, **k: pytest.fail("a kernel was started")
    )
    result = run_cli(*args)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_data_errors_exit_1_before_any_kernel(run_cli, tmp_path, monkeypatch):
    (tmp_path / "accounts.csv").write_text("account_id,account_name\nA1,x\nA1,y\n")
    monkeypatch.setattr(
        report.run, "run_notebook", lambda *a, **k: pytest.fail("a kernel was started")
    )
    result = run_cli("review", "--data", tmp_path, "--quarter", "2026Q3", "--out", tmp_path / "out")
    assert result.code == 1 and "accounts.csv line 2" in result.err


def test_config_file(tmp_path):
    cfg = tmp_path / "review.yml"
    cfg.write_text("currency: EUR\nnotebooks:\n  pareto: {cutoff: 0.7, window_kind: ttm}\n")
    planned = dict(
        report.plan(
            ROOT / "data" / "demo", "2026Q3", notebooks=[PARETO], config=report.read_config(cfg)
        )
    )
    assert planned[PARETO] == {"currency": "EUR", "cutoff": 0.7, "window_kind": "ttm"}
    cfg.write_text("colour: blue\n")
    with pytest.raises(UsageError, match="unknown key"):
        report.read_config(cfg)


def test_pdf_rendering_never_fetches_remote_resources(tmp_path, caplog):
    page = (
        "<html><body><h1>x</h1><img src='http://127.0.0.1:9/track.png'>"
        f"<img src='file:///etc/hostname'><p>{'text ' * 50}</p></body></html>"
    )
    report.render_pdf(page, tmp_path / "x.pdf", root=tmp_path)
    assert (tmp_path / "x.pdf").stat().st_size > 500
    assert "not fetching http://127.0.0.1:9/track.png" in caplog.text
    assert "not fetching file:///etc/hostname" in caplog.text


def test_find_notebook_by_stem_or_methodology():
    assert report.find_notebook("01_pareto") == report.find_notebook("pareto") == PARETO


TIERING = ROOT / "notebooks" / "02_account_tiering.ipynb"


def test_tiering_summary_pdf_and_exports(summary, review_dir):
    entry = summary["notebooks"]["02_account_tiering"]
    assert entry["status"] == "ok", entry["error"]
    m = entry["metrics"]
    assert {
        "T1",
        "T2",
        "T3",
        "T4",
        "Global",
        "unscored",
        "tier_counts",
        "share_time_on_tier1_actual",
        "accounts_below_5_contacts",
        "nurture_accounts",
    } <= set(m)
    ds = sn.sources.load_dataset(ROOT / "data" / "demo")
    rules = sn.tiering.Rules().with_deal_size(ds.table("opportunities"))
    cards = sn.tiering.scorecard(ds.table("accounts"), rules, as_of_year=2026)
    assert (
        m["tier_counts"]
        == cards["tier"].value_counts().reindex(list(sn.tiering.TIERS), fill_value=0).to_dict()
    )
    assert sum(m["tier_counts"].values()) == 500 and m["nurture_accounts"] == m["T4"]
    assert 0 <= m["share_time_on_tier1_actual"] <= 1
    names = {Path(o).name for o in entry["outputs"]}
    assert {
        "account_priorities.xlsx",
        "account_priorities.csv",
        "nurture_list.xlsx",
        "nurture_list.csv",
    } <= names
    pages, text = pdf_text(review_dir / "02_account_tiering" / "02_account_tiering.pdf")
    assert pages > 1 and f"{m['T1']} are Tier 1" in text


def test_tiering_with_non_default_thresholds_and_rules_file(tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text("website_min: 75\n")
    params = report.convert_parameters(
        TIERING, {"t2": "0.8", "employees_max": "1000", "rules_file": str(rules)}
    )
    res = report.run_notebook(
        TIERING, data=ROOT / "data" / "demo", quarter="2026Q3", out=tmp_path, parameters=params
    )
    assert res.status == "ok", res.error
    ds = sn.sources.load_dataset(ROOT / "data" / "demo")
    expected = (
        sn.tiering.scorecard(
            ds.table("accounts"),
            sn.tiering.Rules(t2=0.8, employees_max=1000, website_min=75).with_deal_size(
                ds.table("opportunities")
            ),
            as_of_year=2026,
        )["tier"]
        .value_counts()
        .to_dict()
    )
    assert {k: v for k, v in res.metrics["tier_counts"].items() if v} == expected


def test_tiering_bad_rules_file_fails_clearly(tmp_path):
    bad = tmp_path / "rules.yml"
    bad.write_text("website_mni: 70\n")
    res = report.run_notebook(
        TIERING,
        data=ROOT / "data" / "demo",
        quarter="2026Q3",
        out=tmp_path,
        parameters={"rules_file": str(bad)},
    )
    assert res.status == "failed" and "unknown rule(s) website_mni" in res.error


COMP = ROOT / "notebooks" / "04_compensation.ipynb"


def test_compensation_summary_and_pdf(summary, review_dir):
    entry = summary["notebooks"]["04_compensation"]
    assert entry["status"] == "ok", entry["error"]
    m = entry["metrics"]
    plans = {p.name for p in sn.comp.DEFAULT_PLANS}
    for key in ("cost", "share_zero_payout", "share_near_miss"):
        assert set(m[key]) == plans
    assert m["cost"]["all_or_nothing"] < m["cost"]["proportional"]
    assert {"plan_comparison.xlsx", "plan_comparison.csv"} <= {
        Path(o).name for o in entry["outputs"]
    }
    pages, text = pdf_text(review_dir / "04_compensation" / "04_compensation.pdf")
    assert pages > 1 and "Actual attainment of 10 reps over 8 quarters" in text


def test_compensation_parametric_and_plans_file(tmp_path):
    plans = tmp_path / "plans.yml"
    plans.write_text(
        "plans:\n  - {name: gate_90, points: [[0, 1], [1, 1]], step: 0.9}\n  - {name: linear}\n"
    )
    params = report.convert_parameters(
        COMP,
        {
            "attainment_source": "normal",
            "simulated_reps": "500",
            "seed": "3",
            "plans_file": str(plans),
            "target_incentive": "1000",
        },
    )
    res = report.run_notebook(
        COMP, data=ROOT / "data" / "demo", quarter="2026Q3", out=tmp_path, parameters=params
    )
    assert res.status == "ok", res.error
    att = sn.comp.parametric_attainment(500, seed=3)
    expected = sn.comp.simulate(sn.comp.load_plans(plans), att, target_incentive=1000).set_index(
        "plan"
    )["cost"]
    assert res.metrics["cost"] == pytest.approx(expected.to_dict())


PIPELINE = ROOT / "notebooks" / "03_pipeline_health.ipynb"


def test_pipeline_summary_and_pdf(summary, review_dir):
    entry = summary["notebooks"]["03_pipeline_health"]
    assert entry["status"] == "ok", entry["error"]
    m = entry["metrics"]
    ds = sn.sources.load_dataset(ROOT / "data" / "demo")
    stats = sn.pipeline.win_loss(
        sn.pipeline.closed_in(ds.table("opportunities"), *sn.periods.window("2026Q3").bounds)
    )
    assert m["win_rate"] == pytest.approx(stats["win_rate"]) and m[
        "no_decision_share"
    ] == pytest.approx(stats["no_decision_share"])
    assert set(m["pvf_by_stage"]) == {"qualify", "discover", "propose", "negotiate"}
    assert all(v >= 1 for v in m["pvf_by_stage"].values()) and m["coverage_next_quarter"] > 0
    assert {"integrity_flags.csv", "pvf_gaps_by_owner.xlsx"} <= {
        Path(o).name for o in entry["outputs"]
    }
    pages, text = pdf_text(review_dir / "03_pipeline_health" / "03_pipeline_health.pdf")
    assert pages > 1 and f"Win rate {stats['win_rate']:.0%}" in text


def test_pipeline_without_snapshot_says_why(tmp_path):
    # 2026Q2: the demo ships snapshots/2026Q2 (taken at 2026Q2's end), not snapshots/2026Q1
    params = report.convert_parameters(PIPELINE, {"target": "1000000"})
    res = report.run_notebook(
        PIPELINE, data=ROOT / "data" / "demo", quarter="2026Q2", out=tmp_path, parameters=params
    )
    assert res.status == "ok", res.error
    assert res.metrics["pvf_by_stage"] is None and "pvf" in res.absent
    _, text = pdf_text(tmp_path / "03_pipeline_health" / "03_pipeline_health.pdf")
    assert "No snapshot of last quarter's pipeline was found" in " ".join(text.split())
    assert "snapshots/2026Q1/opportunities.csv" in text


def test_path_parameters_are_resolved_from_the_callers_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "data")
    planned = report.plan(
        ROOT / "data" / "demo",
        "2026Q3",
        notebooks=[PIPELINE],
        overrides={"previous_data_dir": "demo/snapshots/2026Q2"},
    )
    assert planned[0][1]["previous_data_dir"] == str(
        ROOT / "data" / "demo" / "snapshots" / "2026Q2"
    )
    with pytest.raises(UsageError, match="previous_data_dir: no such file or folder"):
        report.plan(
            ROOT / "data" / "demo",
            "2026Q3",
            notebooks=[PIPELINE],
            overrides={"previous_data_dir": "nowhere/2026Q2"},
        )


WAR_ROOM = ROOT / "notebooks" / "05_war_room.ipynb"


def test_war_room_summary_and_pdf(summary, review_dir):
    entry = summary["notebooks"]["05_war_room"]
    assert entry["status"] == "ok", entry["error"]
    m = entry["metrics"]
    assert m["cases_selected"] == 3 and 0 <= m["cases_scheduled"] <= 3 and m["experts_needed"] >= 6
    assert {"war_room_cases.xlsx", "war_room_cases.csv"} <= {Path(o).name for o in entry["outputs"]}
    pages, text = pdf_text(review_dir / "05_war_room" / "05_war_room.pdf")
    assert pages > 1 and "WITHOUT the rep" in text and "What to negotiate, and what not" in text


def test_war_room_single_deal_mode(tmp_path):
    params = report.convert_parameters(
        WAR_ROOM, {"opportunity_id": "OP001862", "start_time": "08:00"}
    )
    res = report.run_notebook(
        WAR_ROOM, data=ROOT / "data" / "demo", quarter="2026Q3", out=tmp_path, parameters=params
    )
    assert res.status == "ok", res.error
    assert res.metrics["cases_selected"] == 1
    assert (tmp_path / "05_war_room" / "playbook_OP001862.xlsx").exists()
    _, text = pdf_text(tmp_path / "05_war_room" / "05_war_room.pdf")
    assert "08:00" in text and "OP001862" in text


ABM = ROOT / "notebooks" / "06_abm_readiness.ipynb"


def test_abm_summary_and_pdf(summary, review_dir):
    entry = summary["notebooks"]["06_abm_readiness"]
    assert entry["status"] == "ok", entry["error"]
    m = entry["metrics"]
    assert 0 <= m["readiness_mean"] <= 1 and m["candidates"] == 10
    assert m["risk_flags"] is None  # no plan by default: the demo's example plan never leaks in
    assert {"gap_work_list.xlsx", "abm_candidates.csv"} <= {Path(o).name for o in entry["outputs"]}
    pages, text = pdf_text(review_dir / "06_abm_readiness" / "06_abm_readiness.pdf")
    assert pages > 1 and "No programme plan was given" in text


def test_abm_with_the_example_plan(tmp_path):
    res = report.run_notebook(
        ABM,
        data=ROOT / "data" / "demo",
        quarter="2026Q3",
        out=tmp_path,
        parameters={"plan_file": str(ROOT / "data" / "examples" / "abm_plan.yml")},
    )
    assert res.status == "ok", res.error
    assert set(res.metrics["risk_flags"]) == {
        "no alignment to sales goals",
        "overly broad deployment",
        "lack of resources",
    }
    _, text = pdf_text(tmp_path / "06_abm_readiness" / "06_abm_readiness.pdf")
    assert "12 target accounts for a capacity of 10" in text


def test_abm_without_plan_and_bad_questionnaire(tmp_path):
    res = report.run_notebook(
        ABM,
        data=ROOT / "data" / "demo",
        quarter="2026Q3",
        out=tmp_path / "a",
        parameters={"plan_file": "", "questionnaire_file": ""},
    )
    assert res.status == "ok", res.error
    assert res.metrics["risk_flags"] is None
    bad = tmp_path / "q.yml"
    bad.write_text("joint_objectives: sometimes\n")
    res = report.run_notebook(
        ABM,
        data=ROOT / "data" / "demo",
        quarter="2026Q3",
        out=tmp_path / "b",
        parameters={"questionnaire_file": str(bad)},
    )
    assert res.status == "failed" and "yes, partly or no" in res.error


# --------------------------------------------------------------------------- rendering
def _book(*cells):
    """An executed-looking notebook from (kind, source, tags) triples."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    made = []
    for kind, source, tags in cells:
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.metadata["tags"] = list(tags)
        made.append(cell)
    return new_notebook(cells=made)


TRAINING = _book(
    ("md", "# Title: what it is about\n\nFor analysts.", ()),
    ("md", "For sales trainers (a 45-minute session). Runs in about 15 seconds.", ("trainer",)),
    ("md", "## 1. Why", ()),
    ("md", "## 2. Exercises\n\nAnswer_one.", ("exercise",)),
    ("md", "## How to read it\n\nText.", ()),
    ("md", "## Takeaways", ()),
)


def test_trainer_cells_only_in_trainer_mode():
    page = report.notebook_html(TRAINING, title="T", subtitle=["Quarter 2026Q3"])
    assert "For sales trainers" not in page and "Answer_one" not in page
    trained = report.notebook_html(TRAINING, title="T", subtitle=["q"], trainer=True)
    assert "For sales trainers" in trained and "Answer_one" not in trained  # exercises never


def test_sections_shown_are_numbered_without_gaps(tmp_path):
    page = report.notebook_html(TRAINING, title="Title: what it is about", subtitle=["q"])
    report.render_pdf(page, tmp_path / "x.pdf", root=tmp_path)
    reader = PdfReader(str(tmp_path / "x.pdf"))
    text = " ".join(reader.pages[0].extract_text().split())
    # the typed "1." is dropped, the hidden exercise section leaves no gap
    assert "1. Why" in text and "2. How to read it" in text and "3. Takeaways" in text
    assert "1. 1." not in text and "4." not in text
    labels = [i.title for i in reader.outline[1]] if len(reader.outline) > 1 else []
    assert labels == ["1. Why", "2. How to read it", "3. Takeaways"]


def test_running_title_is_short():
    assert report.running_title("The Sales War Room: one day, the best experts") == (
        "The Sales War Room"
    )
    long = report.running_title("A very long report title without any colon " * 3)
    assert len(long) <= 60 and long.endswith("…") and not long.endswith(" …")


def test_a_long_title_keeps_the_footer_on_one_line(tmp_path):
    import weasyprint

    title = "Readiness of account-based marketing across every buying centre we know " * 2
    page = report.page_html(title, ["Quarter 2026Q3"], "<p>text</p>")
    box = weasyprint.HTML(string=page).render().pages[0]._page_box
    footers = [m for m in box.children[1:] if m.at_keyword.startswith("@bottom")]
    assert len(footers) == 2
    for margin in footers:
        assert sum(type(d).__name__ == "LineBox" for d in margin.descendants()) == 1
    report.render_pdf(page, tmp_path / "x.pdf", root=tmp_path)
    text = PdfReader(str(tmp_path / "x.pdf")).pages[0].extract_text()
    assert report.running_title(title) in text and "page 1 of 1" in text


def test_handing_notebooks_over_keeps_a_submission_error_for_the_reviewer():
    """review() submits the notebooks on a thread (the fork server may still be importing);
    a pool that refuses them must fail the review, not leave it waiting on no notebooks."""
    from salesnb.report.run import _hand_over

    class Refusing:
        def __init__(self) -> None:
            self.calls = 0

        def submit(self, fn, item):
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("the pool is broken")
            return (fn.__name__, item)

    futures: list = []
    failed: list = []
    _hand_over(Refusing(), [("first",), ("second",), ("third",)], futures, failed)
    assert futures == [("_run_one", ("first",))]
    assert [str(e) for e in failed] == ["the pool is broken"]
