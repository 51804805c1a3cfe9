"""The salesnb command end to end: real subprocesses for the contract, in-process for detail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tree_digest

SALESNB = Path(sys.executable).with_name("salesnb")


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SALESNB), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_console_script_demo_then_check(tmp_path):
    out = tmp_path / "demo"
    made = sh("demo", "--out", out, "--accounts", "40", "--order-lines", "500")
    assert made.returncode == 0, made.stderr
    assert "orders" in made.stdout and "500" in made.stdout
    checked = sh("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 error(s)" in checked.stdout


def test_console_script_usage_errors_exit_2(tmp_path):
    missing = sh("check", tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr and "Traceback" not in missing.stderr
    bad_option = sh("demo", "--out", tmp_path / "x", "--accounts", "abc")
    assert bad_option.returncode == 2 and "Traceback" not in bad_option.stderr
    assert sh("frobnicate").returncode == 2


def test_help_everywhere():
    for args in ([], ["demo"], ["check"], ["notebooks"]):
        result = sh(*args, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_check_demo_lists_findings_and_strict_fails(run_cli, demo_dir):
    result = run_cli("check", demo_dir)
    assert result.code == 0
    assert "open deal without an amount" in result.out
    assert "orders                25,000 rows" in result.out
    strict = run_cli("check", "--strict", demo_dir)
    assert strict.code == 1


def test_check_json(run_cli, demo_dir):
    result = run_cli("check", "--json", demo_dir)
    payload = json.loads(result.out)
    assert payload["errors"] == 0 and payload["rows"]["accounts"] == 500
    assert {p["severity"] for p in payload["problems"]} == {"finding"}
    assert all(p["file"] and p["fix"] for p in payload["problems"])


def test_demo_refuses_non_empty_folder(run_cli, tmp_path):
    (tmp_path / "keep.csv").write_text("a\n1\n")
    before = tree_digest(tmp_path)
    result = run_cli("demo", "--out", tmp_path)
    assert result.code == 2 and "--force" in result.err
    assert tree_digest(tmp_path) == before


def test_debug_shows_the_traceback(run_cli, tmp_path):
    with pytest.raises(Exception, match="no such file"):
        run_cli("--debug", "check", tmp_path / "nope")


def test_notebooks_lists_or_says_none(run_cli, tmp_path):
    result = run_cli("notebooks", "--folder", tmp_path)
    assert result.code == 0 and "No methodology notebooks" in result.out


def test_version(run_cli):
    result = run_cli("--version")
    assert result.code == 0 and result.out.startswith("salesnb ")


def test_only_the_commands_own_process_skips_the_exit_collection():
    """The console script freezes its objects as it ends (Python's exit would walk them all);
    a caller of main(argv) keeps its garbage collector as it was."""
    code = (
        "import gc, sys\n"
        "from salesnb.cli import main\n"
        "sys.argv = ['salesnb', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(gc.get_freeze_count())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(done.stdout.split()[-1]) > 0
    import gc

    from salesnb.cli import main

    before = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["--help"])
    assert gc.get_freeze_count() == before
