"""Notebook hygiene (STYLE.md): one parameters cell of typed literals, thin code, no machine paths."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from salesnb import report

BOOKS = report.list_notebooks()


def test_there_are_notebooks():
    assert BOOKS


@pytest.mark.parametrize("path", BOOKS, ids=[p.stem for p in BOOKS])
def test_notebook_hygiene(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged parameters"
    tree = ast.parse(params[0].source)
    for node in tree.body:  # literals only, each with a type hint and a trailing comment
        assert isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant), ast.dump(
            node
        )
    for line in params[0].source.splitlines():
        assert "#" in line, f"parameter without a comment: {line}"
    assert set(report.STANDARD) <= set(report.notebook_parameters(path))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "requires" in nb.metadata.get("salesnb", {})
    for cell in code:
        tree = ast.parse(cell.source)
        assert not [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
    text = path.read_text()
    assert not re.search(r"(/work/|/root/|/home/\w|/tmp/|[A-Z]:\\\\)", text), (
        "machine path stored in the notebook"
    )
    assert '"output_type": "error"' not in text


# --------------------------------------------------------------------------- the analyses (issue 11)
import salesnb as sn  # noqa: E402

MODULES = {
    "01_pareto": sn.pareto,
    "02_account_tiering": sn.tiering,
    "03_pipeline_health": sn.pipeline,
    "04_compensation": sn.comp,
    "05_war_room": sn.warroom,
    "06_abm_readiness": sn.abm,
    "07_sales_habits": sn.habits,
}


# Parameters a notebook declares that its analysis does not take (issue 14: the training mode).
NOTEBOOK_ONLY = {"mode"}


def test_every_notebook_has_its_analysis():
    assert set(MODULES) == {p.stem for p in BOOKS}


@pytest.mark.parametrize("stem", list(MODULES))
def test_parameters_cell_and_params_dataclass_are_in_step(stem):
    path = next(p for p in BOOKS if p.stem == stem)
    declared = report.notebook_parameters(path)
    module = MODULES[stem]
    assert set(declared) - NOTEBOOK_ONLY == set(report.STANDARD) | set(module.Params.names())
    for name in module.Params.names():  # the same defaults in the cell and in the dataclass
        default = module.Params.default(name)
        if name != "quarter":
            assert ast.literal_eval(declared[name]["default"]) == default, name


@pytest.mark.parametrize("stem", list(MODULES))
def test_no_parameter_defaults_to_a_demo_or_example_file(stem):
    path = next(p for p in BOOKS if p.stem == stem)
    for name, p in report.notebook_parameters(path).items():
        if (
            name == "data_dir"
        ):  # run and review always set it; the default serves a hand-opened notebook
            continue
        assert "data/demo" not in str(p["default"]) and "data/examples" not in str(p["default"]), (
            name
        )


@pytest.mark.parametrize("stem", list(MODULES))
def test_notebook_requires_exactly_the_core_tables(stem):
    path = next(p for p in BOOKS if p.stem == stem)
    meta = nbformat.read(str(path), as_version=4).metadata["salesnb"]
    assert meta["requires"] == [list(MODULES[stem].CORE)]


@pytest.mark.parametrize("stem", list(MODULES))
def test_metrics_are_published_before_any_chart(stem):
    path = next(p for p in BOOKS if p.stem == stem)
    code = [c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]
    publish = next(i for i, s in enumerate(code) if "sn.notebook.publish(a)" in s)
    first_plot = next((i for i, s in enumerate(code) if "plot(" in s), len(code))
    assert publish < first_plot
