"""The contract, over many data-set shapes: every analysis ends ok or skipped, never failed.

For every shape of ``tests/shapes.py`` and every methodology: the data set passes
``salesnb check``; ``analyze`` returns (or raises ``NotAnalysable`` exactly when the core
table is absent); every chart draws or says why not; every table shows; every absent
section has a sentence; metrics are JSON numbers or null, and the metrics a shape decides
are null exactly when their inputs are absent. A sample of shapes also goes through
``salesnb review``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from pypdf import PdfReader
from shapes import NOT_NONE, SHAPES, base_demo, build

import salesnb as sn
from salesnb.analysis import NotAnalysable
from salesnb.notebook import _jsonable, show
from salesnb.sources import load_dataset

MODULES = {
    "pareto": sn.pareto,
    "tiering": sn.tiering,
    "pipeline": sn.pipeline,
    "comp": sn.comp,
    "warroom": sn.warroom,
    "abm": sn.abm,
    "habits": sn.habits,
}
PINNED = {"start_date": "2026-10-01"}  # war-room dates must not depend on the day the test runs


@pytest.fixture(scope="session")
def shape_root(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shapes")
    return base_demo(root / "_base"), root


_loaded: dict[str, object] = {}


def _dataset(name: str, shape_root: tuple[Path, Path]):
    if name not in _loaded:
        base, root = shape_root
        ds = load_dataset(build(name, base, root))  # raises DataError if the shape fails check
        assert not ds.errors
        _loaded[name] = ds
    return _loaded[name]


def _params(module, quarter: str):
    names = module.Params.names()
    return module.Params(quarter=quarter, **{k: v for k, v in PINNED.items() if k in names})


_drawn: set[tuple] = set()  # what was already drawn or shown, by content (see _first_time)


def _fingerprint(frame: pd.DataFrame) -> tuple:
    hashed = pd.util.hash_pandas_object(frame.astype("object"), index=True)
    return (tuple(map(str, frame.columns)), len(frame), int(hashed.sum()) if len(frame) else 0)


def _first_time(a, kind: str, name: str, tables: tuple[str, ...]) -> bool:
    """Whether this chart or table, with these very inputs, has not been drawn yet.

    Drawing is deterministic, and most shapes leave most of an analysis as it was on another
    shape (dropping the experts table changes nothing the Pareto tables hold): inputs seen
    once need not be drawn again. Inputs: the tables it draws, the parameters, the currency,
    the metrics and the notes.
    """
    key = (
        a.methodology,
        kind,
        name,
        tuple(_fingerprint(a.tables[t]) for t in tables if t in a.tables),
        repr(a.params),
        a.currency,
        json.dumps(_jsonable(a.metrics), sort_keys=True),
        json.dumps(dict(a.notes), sort_keys=True),
    )
    if key in _drawn:
        return False
    _drawn.add(key)
    return True


def _json_ok(value) -> None:
    text = json.dumps(_jsonable(value), allow_nan=False)  # NaN / inf would fail here
    assert text


@pytest.mark.parametrize("module_name", list(MODULES))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_analysis_keeps_the_contract(shape, module_name, shape_root):
    module = MODULES[module_name]
    ds = _dataset(shape, shape_root)
    spec = SHAPES[shape]
    params = _params(module, spec.quarter)
    if not any(ds.has(t) for t in module.CORE):
        with pytest.raises(NotAnalysable):
            module.analyze(ds, params)
        return
    a = module.analyze(ds, params)
    _json_ok(a.metrics)
    _json_ok(a.summary())
    assert all(isinstance(f, str) and f for f in a.findings)
    assert a.coverage.note()
    for name, why in a.absent.items():
        assert isinstance(why, str) and len(why) > 15, (name, why)
    for name in a.charts:
        if a.reason(name) is None and not _first_time(a, "chart", name, a.charts[name].needs):
            continue
        ax = a.chart(name)
        if ax is None:
            assert a.reason(name), name
        else:
            ax.figure.canvas.draw()  # tick labels are made at draw time: "$" must not break it
            plt.close(ax.figure)
    for name in a.tables:  # formats are per column: 12 rows show what 3,000 would, far faster
        if not _first_time(a, "table", name, (name,)):
            continue
        shown = show(a, name, rows=12)
        assert shown.to_html() if hasattr(shown, "to_html") else shown
    for (mod, metric), expected in spec.expect.items():
        if mod != module_name:
            continue
        got = a.metrics.get(metric, "missing")
        assert got != "missing", f"{metric} is not among the metrics"
        if expected is None:
            assert got is None, f"{metric} should be null on {shape}, got {got!r}"
        elif expected is NOT_NONE:
            assert got is not None, f"{metric} should have a value on {shape}"
        elif isinstance(expected, float):
            assert got is not None and math.isclose(got, expected), (metric, got, expected)
        else:
            assert got == expected, (metric, got, expected)


REVIEWED = [name for name, s in SHAPES.items() if s.review]


@pytest.mark.slow
@pytest.mark.parametrize("shape", REVIEWED)
def test_review_of_a_shape_has_no_failed_notebook(shape, shape_root, tmp_path):
    folder = build(shape, *shape_root)
    out = tmp_path / "review"
    salesnb = Path(sys.executable).with_name("salesnb")
    how = SHAPES[shape].review
    command = ["review"] if how is True else ["run", str(how)]
    done = subprocess.run(
        [
            str(salesnb),
            *command,
            "--data",
            str(folder),
            "--quarter",
            SHAPES[shape].quarter,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = json.loads((out / "summary.json").read_text())
    statuses = {k: v["status"] for k, v in summary["notebooks"].items()}
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(statuses.values()) <= {"ok", "skipped"}, statuses
    for name, entry in summary["notebooks"].items():
        if entry["status"] == "skipped":
            assert entry["reason"], name
            continue
        pdf = out / name / f"{name}.pdf"
        assert pdf.is_file()
        if summary["quarter_complete"] is False:  # the cover says the figures are partial
            # a page with right-to-left text comes out of pypdf with NULs between letters and
            # the "fi" ligature garbled: look for words without it
            first = " ".join(
                PdfReader(str(pdf)).pages[0].extract_text().replace("\x00", "").split()
            )
            assert "Partial" in first and "the data ends on" in first, name
