"""pyproject.toml is the source of truth; environment.yml must mirror its runtime deps."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT

# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"duckdb": "python-duckdb"}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    """Each runtime dependency once: from conda-forge, or (not packaged there) in the pip: list."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pip_deps = dict(_split(r) for r in project["dependencies"])
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",))
    conda.pop("python", None)
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    from_pypi = dict(_split(r) for block in pip_lists for r in block)
    assert not pip_lists or "pip" in env["dependencies"], "a pip: list needs pip itself"
    assert not set(from_pypi) & set(conda), "a package both from conda-forge and from pip"
    expected = {CONDA_NAMES.get(k, k): v for k, v in pip_deps.items() if k not in from_pypi}
    assert conda == expected, "environment.yml drifted from pyproject.toml"
    assert from_pypi == {k: v for k, v in pip_deps.items() if k in from_pypi}


def test_required_lower_bounds_are_declared():
    deps = dict(
        _split(r)
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    assert deps["pandas"] == ">=3.0"
    assert deps["duckdb"] == ">=2.0"
    assert deps["papermill"] == ">=2.7"
    assert "ipykernel" in deps and "pyarrow" in deps


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make review" in readme
    assert re.search(r"^make test$", ci, re.M)
