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


# --------------------------------------------------------------------------- parallel runs
# make test runs the suite on two pytest-xdist workers with --dist loadgroup (pyproject.toml):
# the tests of one xdist_group go to one worker, in collection order; any other test goes to
# whichever worker is free. Grouped, so that nothing costly is built twice and nbval keeps
# one kernel per notebook:
# - every test of the whole-review session fixtures (reviews_root: the demo's 2026Q2 and
#   2026Q3 reviews; maven_review): one group, so each review runs once;
# - a notebook's nbval cells: one group per notebook, run in order in one kernel;
# - a file's tests that use a module- or session-scoped fixture of the suite (test_shapes'
#   shape_root and data-set cache, test_spark's Spark session, ...): one group per file, so
#   the fixture is built once, as in a one-process run.
# A test file may also name its group itself (pytestmark = pytest.mark.xdist_group(...)).
WHOLE_REVIEWS = "whole-reviews"


def _xdist_group(item: pytest.Item) -> str | None:
    file = item.nodeid.split("::", 1)[0]
    if item.path.suffix == ".ipynb":
        return file
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    if {"reviews_root", "maven_review"} & set(info.names_closure):
        return WHOLE_REVIEWS
    for defs in info.name2fixturedefs.values():
        # defs[-1]: the definition this test gets; baseid "": a plugin's (tmp_path_factory)
        if defs and defs[-1].scope != "function" and defs[-1].baseid:
            return file
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks into groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None and (group := _xdist_group(item)):
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_configure(config: pytest.Config) -> None:
    """Refuse -n N with --dist loadgroup where pytest-xdist cannot group (pytest 9.2 with
    pytest-xdist up to 3.8: issue 1386): a notebook's cells would run in two kernels and fail
    with NameErrors that say nothing of the cause."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if config.getvalue("dist") != "loadgroup":
        return
    import xdist
    from packaging.version import Version

    if Version(pytest.__version__) >= Version("9.2") and Version(xdist.__version__) <= Version(
        "3.8.0"
    ):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} and pytest-xdist {xdist.__version__} do not group tests "
            "(--dist loadgroup; pytest-xdist issue 1386). Fix: pip install -e '.[test]' (it "
            "installs pytest < 9.2), or run the suite in one process with -n 0."
        )
