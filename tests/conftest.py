"""Shared fixtures: a demo data set written once per session, and a CLI runner."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# CI replays the same generated examples every run (no flaky reds); locally they vary
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``salesnb ARGS`` in-process; return exit code, stdout and stderr."""
    from salesnb.cli import main

    def run(*args: str) -> CliResult:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:  # click and main() always exit
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The default demo data set, written once for the session."""
    from salesnb.datasets import write_demo

    out = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(out)
    return out


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``: proves inputs were not modified."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def reviews_root(tmp_path_factory) -> Path:
    """Two consecutive quarterly reviews of the bundled demo through the real command line.

    2026Q2 then 2026Q3, each into ``<root>/<quarter>/``, both recorded in the default history
    store ``<root>/salesnb-history.duckdb``: the 2026Q3 summary compares with 2026Q2. Shared
    by the report, PDF and history tests (one pair of reviews per session).
    """
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("review")
    salesnb = Path(sys.executable).with_name("salesnb")
    for quarter in ("2026Q2", "2026Q3"):
        done = subprocess.run(
            [
                str(salesnb),
                "review",
                "--data",
                str(ROOT / "data" / "demo"),
                "--quarter",
                quarter,
                "--out",
                str(root / quarter),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture(scope="session")
def review_dir(reviews_root) -> Path:
    """The demo's 2026Q3 review (its history holds 2026Q2 before it)."""
    return reviews_root / "2026Q3"


def make_notebook(path: Path, body: str, *, requires: list | None = None) -> Path:
    """A minimal methodology notebook with the standard parameters and ``body`` as its code."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    params = new_code_cell(
        'data_dir: str = "data/demo"  # data\nquarter: str = "2026Q3"  # quarter\n'
        'output_dir: str = ""  # out\nredact: bool = False  # redact'
    )
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {path.stem}"), params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["salesnb"] = {"requires": requires or []}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


REAL = ROOT.parent / "shared" / "real"
MAVEN_FILES = ["maven-crm/accounts.csv", "maven-crm/products.csv", "maven-crm/sales_pipeline.csv"]


@pytest.fixture(scope="session")
def maven_review(tmp_path_factory) -> Path:
    """Maven CRM (../shared/real) imported with its example mapping and reviewed for 2017Q3,
    once per session (test_real.py and test_pdfs.py share it); the data set is ``<root>/maven``."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is not there (the shared real files)")
    salesnb = str(Path(sys.executable).with_name("salesnb"))
    root = tmp_path_factory.mktemp("maven")
    data = root / "maven"
    mapping = ROOT / "salesnb" / "mappings" / "examples" / "maven_crm.yml"
    run = [salesnb, "import", *[str(REAL / f) for f in MAVEN_FILES], "--mapping", str(mapping)]
    done = subprocess.run([*run, "--out", str(data)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = root / "reviews" / "2017Q3"
    done = subprocess.run(
        [salesnb, "review", "--data", str(data), "--quarter", "2017Q3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out
