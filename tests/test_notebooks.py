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
