"""Real third-party files (../shared/real): import with the shipped mapping, review, check figures.

Each file is imported with its example mapping from ``salesnb/mappings/examples/``, checked,
and reviewed through the command line: every notebook ends ok or skipped. Headline figures
are compared with an independent computation straight from the source file (pandas on the
raw CSV, not the kit's readers), and a non-demo review must not mention a demo id or name.
Skipped, with the reason shown, when ``../shared/real`` is not there.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, WHOLE_REVIEWS

REAL = ROOT.parent / "shared" / "real"
MAPPINGS = ROOT / "salesnb" / "mappings" / "examples"
SALESNB = str(Path(sys.executable).with_name("salesnb"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is not there (the shared real files)"),
    # reviewed asks for the session's Maven review at run time (conftest's grouping cannot see
    # it): on the worker that has it, so it runs once (make test's xdist workers)
    pytest.mark.xdist_group(WHOLE_REVIEWS),
]

SETS = {
    "maven": (
        ["maven-crm/accounts.csv", "maven-crm/products.csv", "maven-crm/sales_pipeline.csv"],
        "maven_crm.yml",
        "2017Q3",
    ),
    "retail": (["online-retail-sample-20k.csv"], "online_retail.yml", "2011Q3"),
    "superstore": (["superstore-eu-semicolon.csv"], "superstore_eu.yml", "2017Q3"),
}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SALESNB, *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, request) -> dict[str, Path]:
    """Each real set imported, checked and reviewed once (Maven's review is the session's)."""
    root = tmp_path_factory.mktemp("real")
    out: dict[str, Path] = {}
    for name, (files, mapping, quarter) in SETS.items():
        if name == "maven":
            review = request.getfixturevalue("maven_review")
            checked = _run("check", str(review.parent.parent / "maven"))
            assert checked.returncode == 0, checked.stdout + checked.stderr
            out[name] = review
            continue
        data = root / name
        done = _run(
            "import",
            *[str(REAL / f) for f in files],
            "--mapping",
            str(MAPPINGS / mapping),
            "--out",
            str(data),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        checked = _run("check", str(data))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        review = root / f"{name}-review"
        done = _run("review", "--data", str(data), "--quarter", quarter, "--out", str(review))
        assert done.returncode == 0, done.stdout + done.stderr
        out[name] = review
    return out


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(SETS))
def test_real_set_reviews_without_a_failed_notebook(reviewed, name):
    summary = _summary(reviewed[name])
    statuses = {k: v["status"] for k, v in summary["notebooks"].items()}
    assert set(statuses.values()) <= {"ok", "skipped"}, statuses
    assert statuses["03_pipeline_health" if name == "maven" else "01_pareto"] == "ok"
    for entry in summary["notebooks"].values():
        assert entry["status"] == "ok" or entry["reason"]


def test_maven_win_rate_matches_the_source_file(reviewed):
    raw = pd.read_csv(REAL / "maven-crm" / "sales_pipeline.csv", parse_dates=["close_date"])
    q3 = raw[raw["close_date"].between("2017-07-01", "2017-09-30")]
    won = int((q3["deal_stage"] == "Won").sum())
    lost = int((q3["deal_stage"] == "Lost").sum())
    m = _summary(reviewed["maven"])["notebooks"]["03_pipeline_health"]["metrics"]
    assert (m["won"], m["lost"]) == (won, lost)
    assert m["win_rate"] == pytest.approx(won / (won + lost))
    assert m["no_decision_share"] is None  # Maven records no "no decision" outcome
    # open at the quarter's end: engaged by then, not closed by then (500 lack an engage date)
    open_now = raw[
        ((raw["deal_stage"].isin(["Engaging", "Prospecting"])) | (raw["close_date"] > "2017-09-30"))
        & ~(pd.to_datetime(raw["engage_date"]) > "2017-09-30")
    ]
    assert m["open_deals"] == len(open_now)
    assert m["open_deals_without_amount"] == int(open_now["close_value"].isna().sum())


def _top_share(revenue: pd.Series, p: float) -> float:
    positive = revenue[revenue > 0].sort_values(ascending=False)
    k = max(1, math.ceil(round(p * len(positive), 9)))
    return float(positive.iloc[:k].sum() / positive.sum())


def test_retail_concentration_matches_the_source_file(reviewed):
    raw = pd.read_csv(REAL / "online-retail-sample-20k.csv", dtype={"CustomerID": "str"})
    raw["date"] = pd.to_datetime(raw["InvoiceDate"]).dt.normalize()
    codes = re.compile(r"POST|DOT|M|C2|D|S|B|CRUK|PADS|BANK CHARGES|AMAZONFEE|gift_0001_\d+")
    lines = raw[
        raw["date"].between("2011-07-01", "2011-09-30")
        & raw["CustomerID"].notna()
        & ~raw["StockCode"].astype(str).map(lambda c: bool(codes.fullmatch(c)))
    ]
    amount = (
        (lines["Quantity"] * lines["UnitPrice"])
        .abs()
        .where(
            ~lines["InvoiceNo"].astype(str).str.startswith("C"),
            -(lines["Quantity"] * lines["UnitPrice"]).abs(),
        )
    )
    revenue = amount.groupby(lines["CustomerID"]).sum().round(2)
    m = _summary(reviewed["retail"])["notebooks"]["01_pareto"]["metrics"]
    assert m["n_accounts"] == int((revenue > 0).sum())
    assert m["share_top_20pct"] == pytest.approx(_top_share(revenue, 0.2), abs=1e-9)


def test_superstore_concentration_matches_the_source_file(reviewed):
    raw = pd.read_csv(
        REAL / "superstore-eu-semicolon.csv",
        sep=";",
        decimal=",",
        encoding="cp1252",
        parse_dates=["Ship Date"],
    )
    q3 = raw[raw["Ship Date"].between("2017-07-01", "2017-09-30")]
    revenue = q3.groupby("Customer Name")["Sales"].sum().round(2)
    m = _summary(reviewed["superstore"])["notebooks"]["01_pareto"]["metrics"]
    assert m["n_accounts"] == int((revenue > 0).sum())
    # the kit rounds amounts to the cent line by line: sums may differ by a few cents
    assert m["revenue_total"] == pytest.approx(float(revenue[revenue > 0].sum()), abs=0.05)
    assert m["share_top_20pct"] == pytest.approx(_top_share(revenue, 0.2), abs=1e-6)


def test_a_non_demo_review_mentions_no_demo_id_or_name(reviewed):
    demo = pd.read_csv(ROOT / "data" / "demo" / "accounts.csv", dtype="str")
    reps = set(demo["owner"].dropna())
    names = set(demo["account_name"].dropna()) | reps
    pattern = re.compile(r"\b(A\d{5}|OP\d{6}|C\d{6}|E\d{2})\b")
    for name, folder in reviewed.items():
        for path in folder.rglob("*"):
            if path.suffix not in (".html", ".csv", ".json", ".ipynb"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":  # outputs only: the code cells name no data
                nb = json.loads(text)
                text = json.dumps([c.get("outputs", []) for c in nb["cells"]])
            found = pattern.findall(text)
            assert not found, f"{name}: {path.name} mentions demo ids {sorted(set(found))[:5]}"
            leaked = [n for n in names if n in text]
            assert not leaked, f"{name}: {path.name} mentions demo names {leaked[:5]}"
