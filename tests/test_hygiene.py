"""Code hygiene the house style asks for: lint clean, no prints, __all__ everywhere."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

MODULES = sorted((ROOT / "salesnb").glob("*.py"))


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run(
        [ruff, "check", "salesnb", "tests", "bench"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_public_modules_declare_all(path):
    tree = ast.parse(path.read_text())
    names = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert "__all__" in names, f"{path.name} has no __all__"


def test_no_grab_bag_modules():
    assert not {"utils.py", "helpers.py"} & {p.name for p in MODULES}
