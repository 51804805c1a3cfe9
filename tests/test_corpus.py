"""The bad-input corpus: each case's exit code, message, and untouched input bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import tree_digest

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.yml").exists())


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Path, run_cli, tmp_path):
    expect = yaml.safe_load((case / "expect.yml").read_text())
    before = tree_digest(case)
    args = expect.get("args", [])
    if args and args[0] == "import":  # an import case: files of the case, output to a new folder
        out = tmp_path / "out"
        args = [
            str(out) if a == "{out}" else str(case / a) if (case / a).exists() else a for a in args
        ]
        result = run_cli(*args)
    else:
        result = run_cli("check", *args, case)
    text = result.out + result.err
    assert result.code == expect["exit"], text
    for fragment in expect["contains"]:
        assert fragment in text, f"{fragment!r} not in output:\n{text}"
    assert "Traceback" not in text
    assert tree_digest(case) == before, "the check modified its input"
