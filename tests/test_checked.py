"""Check once: the checked copy the engine hands its kernels (salesnb.dataset.checked)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from salesnb import notebook
from salesnb.dataset import checked, load_dataset
from salesnb.schema import DataError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", folder, ignore=shutil.ignore_patterns("snapshots"))
    return folder


def test_the_copy_holds_the_same_data_set(data, tmp_path):
    ds = load_dataset(data)
    copy = checked.write_checked(ds, tmp_path / "copy")
    again = checked.load_checked(copy, data)
    assert again is not None
    assert sorted(again.tables) == sorted(ds.tables)
    for name, frame in ds.tables.items():  # typed as checked: dtypes, categories, missing values
        pd.testing.assert_frame_equal(again.tables[name], frame)
    assert again.settings == ds.settings
    assert again.problems == ds.problems and again.rows == ds.rows
    assert {n: r.select for n, r in again.raw.items()} == {n: r.select for n, r in ds.raw.items()}
    query = "SELECT account_id, sum(amount) AS s FROM orders GROUP BY 1 ORDER BY 1"
    pd.testing.assert_frame_equal(again.sql(query), ds.sql(query))


def _copy_of(data: Path, tmp_path: Path) -> Path:
    return checked.write_checked(load_dataset(data), tmp_path / "copy")


def test_a_changed_file_makes_the_copy_unusable(data, tmp_path):
    copy = _copy_of(data, tmp_path)
    path = data / "opportunities.csv"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert checked.load_checked(copy, data) is None


def test_an_added_table_or_edited_settings_make_the_copy_unusable(data, tmp_path):
    copy = _copy_of(data, tmp_path)
    (data / "quotas.csv").unlink()
    assert checked.load_checked(copy, data) is None
    copy = _copy_of(data, tmp_path)
    settings = data / "dataset.yml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert checked.load_checked(copy, data) is None


def test_a_copy_of_other_data_another_version_or_a_broken_manifest_is_not_used(data, tmp_path):
    copy = _copy_of(data, tmp_path)
    other = tmp_path / "other"
    shutil.copytree(data, other)
    assert checked.load_checked(copy, other) is None
    manifest = copy / "manifest.json"
    facts = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**facts, "version": "0.0.0"}), encoding="utf-8")
    assert checked.load_checked(copy, data) is None
    manifest.write_text("{not json", encoding="utf-8")
    assert checked.load_checked(copy, data) is None
    assert checked.load_checked(tmp_path / "nowhere", data) is None


def test_a_kernel_of_the_engine_loads_the_copy_without_checking(data, tmp_path, monkeypatch):
    copy = _copy_of(data, tmp_path)

    def no_check(path):
        raise AssertionError(f"checked again: {path}")

    monkeypatch.setattr(notebook, "load_dataset", no_check)
    with checked.for_kernels(copy):
        ctx = notebook.setup(str(data), quarter="2026Q3", output_dir=str(tmp_path / "out"))
    assert ctx.data.has("orders") and len(ctx.data.tables["accounts"]) == 500
    assert checked.ENV not in os.environ  # restored after the block


def test_a_notebook_opened_by_hand_checks_its_data(data, tmp_path, monkeypatch):
    copy = _copy_of(data, tmp_path)
    (data / "accounts.csv").write_text("account_id,account_name\nA1,x\nA1,y\n", encoding="utf-8")
    monkeypatch.setenv(checked.ENV, str(copy))  # a stale copy is named: the data is checked
    with pytest.raises(DataError, match="account_id"):
        notebook.setup(str(data), quarter="2026Q3", output_dir=str(tmp_path / "out"))
    monkeypatch.delenv(checked.ENV)
    with pytest.raises(DataError):
        notebook.setup(str(data), quarter="2026Q3", output_dir=str(tmp_path / "out"))


def test_the_engine_checks_once_and_its_kernels_load_the_copy(data, tmp_path):
    from conftest import make_notebook

    from salesnb import report

    body = (
        "import os\nimport salesnb as sn\n"
        "ctx = sn.notebook.setup(data_dir, quarter=quarter, output_dir=output_dir)\n"
        "print('copy:', os.environ.get('SALESNB_CHECKED_DATA'), len(ctx.data.tables['accounts']))"
    )
    nb = make_notebook(tmp_path / "nb" / "01_probe.ipynb", body)
    out = tmp_path / "out"
    summary = report.review(data, "2026Q3", out, jobs=1, notebooks=[nb])
    assert summary["notebooks"]["01_probe"]["status"] == "ok"
    copy = out / checked.CACHE_DIR / "checked"
    text = (out / "01_probe" / "01_probe.ipynb").read_text(encoding="utf-8")
    assert f"copy: {copy} 500" in text
    made = (copy / "manifest.json").stat().st_mtime_ns
    report.review(data, "2026Q3", out, jobs=1, notebooks=[nb])  # unchanged data: copy reused
    assert (copy / "manifest.json").stat().st_mtime_ns == made
    assert not [p for p in out.rglob("*") if ".tmp" in p.name or ".old" in p.name]
