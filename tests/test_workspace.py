"""salesnb lab: learner workspaces (copies, reset, paths inside), progress, JupyterLab."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import ROOT, tree_digest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from salesnb import workspace as ws
from salesnb.notebook import project_root, resolve, setup

KIT_FOLDERS = ("notebooks", "data")


def _originals() -> dict[str, dict[str, str]]:
    return {name: tree_digest(ROOT / name) for name in KIT_FOLDERS}


@pytest.fixture(scope="module")
def originals() -> dict[str, dict[str, str]]:
    return _originals()


def _kit_book(path: Path, *, mode: bool = True) -> Path:
    """A small kit notebook: the standard parameters (and a mode line), one exercise cell."""
    lines = [
        'data_dir: str = "data/demo"  # data',
        'quarter: str = "2026Q3"  # quarter',
        'output_dir: str = "reports/notebooks/99_x"  # out',
        "redact: bool = False  # redact",
    ]
    if mode:
        lines.append('mode: str = "learner"  # "learner" or "trainer"')
    params = new_code_cell("\n".join(lines))
    params.metadata["tags"] = ["parameters"]
    ex = new_code_cell('answer_1 = None\nsn.training.check("1", answer_1)')
    ex.metadata.update(tags=["exercise"], salesnb={"exercise": "1", "kind": "read", "title": "t"})
    nb = new_notebook(cells=[new_markdown_cell(f"# {path.stem}"), params, ex])
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _params_cell(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))


# --------------------------------------------------------------------------- copies
def test_lab_copies_and_never_touches_the_originals(tmp_path, run_cli, originals):
    home = tmp_path / "ws"
    res = run_cli("lab", "--workspace", home, "--no-start", "--learner", "Ana")
    assert res.code == 0, res.err
    assert "Prepared" in res.out and "learner mode" in res.out and "learner Ana" in res.out
    marker = json.loads((home / ws.MARKER).read_text())
    assert marker["mode"] == "learner" and marker["learner"] == "Ana"
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):  # learner copies: same bytes
        assert (home / "notebooks" / nb.name).read_bytes() == nb.read_bytes()
    demo = {k: v for k, v in originals["data"].items() if k.startswith("demo/")}
    assert {f"demo/{k}": v for k, v in tree_digest(home / "data" / "demo").items()} == demo
    assert (home / "data" / "examples").is_dir() and (home / "reports").is_dir()

    # a learner edits one notebook, deletes another, leaves the rest: run again
    books = sorted((home / "notebooks").glob("*.ipynb"))
    edited, gone = books[0], books[1]
    edited.write_text(edited.read_text().replace("Pareto", "Pareto (my notes)"))
    mine = edited.read_bytes()
    gone.unlink()
    again = run_cli("lab", "--workspace", home, "--no-start")
    assert again.code == 0, again.err
    assert edited.read_bytes() == mine and gone.exists()
    assert f"kept (your work): {edited.stem}" in again.out and f"copied:  {gone.stem}" in again.out
    assert json.loads((home / ws.MARKER).read_text())["learner"] == "Ana"  # kept too
    assert ws.changed_notebooks(home) == [edited.stem]

    # --reset --yes: back to the kit's copies
    reset = run_cli("lab", "--workspace", home, "--reset", "--yes", "--no-start")
    assert reset.code == 0, reset.err
    assert "removed notebooks, data, reports" in reset.out
    assert edited.read_bytes() == (ROOT / "notebooks" / edited.name).read_bytes()
    assert _originals() == originals


def test_a_folder_that_is_not_a_workspace_is_refused(tmp_path, run_cli):
    (tmp_path / "notes.txt").write_text("mine")
    res = run_cli("lab", "--workspace", tmp_path, "--no-start")
    assert res.code == 2 and "not empty and not a salesnb workspace" in res.err
    assert "Traceback" not in res.err and list(tmp_path.iterdir()) == [tmp_path / "notes.txt"]
    res = run_cli("lab", "--workspace", ROOT, "--reset", "--yes", "--no-start")
    assert res.code == 2 and "kit itself" in res.err
    assert (ROOT / "notebooks").is_dir()
    res = run_cli("lab", "--workspace", tmp_path / "w", "--yes", "--no-start")
    assert res.code == 2 and "--yes confirms --reset" in res.err
    res = run_cli("lab", "--workspace", tmp_path / "w", "--json", "--no-start")
    assert res.code == 2 and "--json goes with --progress" in res.err
    res = run_cli("lab", "--workspace", tmp_path / "w", "--data", tmp_path / "no", "--no-start")
    assert res.code == 2 and "no such data-set folder" in res.err


def test_reset_asks_first(tmp_path, run_cli, monkeypatch):
    kit = tmp_path / "kit"
    _kit_book(kit / "notebooks" / "99_x.ipynb")
    (kit / "data" / "demo").mkdir(parents=True)
    (kit / "data" / "demo" / "dataset.yml").write_text("name: x\n")
    monkeypatch.setattr(ws, "_KIT", kit)
    home = tmp_path / "ws"
    assert run_cli("lab", "--workspace", home, "--no-start").code == 0
    book = home / "notebooks" / "99_x.ipynb"
    book.write_text(book.read_text().replace("99_x", "99_x mine"))
    mine = book.read_bytes()

    res = run_cli("lab", "--workspace", home, "--reset", "--no-start")  # no terminal: no question
    assert res.code == 2 and "add --yes to confirm" in res.err and book.read_bytes() == mine

    import salesnb.cli as cli

    monkeypatch.setattr(cli, "_interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    res = run_cli("lab", "--workspace", home, "--reset", "--no-start")
    assert res.code == 1 and "Nothing reset." in res.out and book.read_bytes() == mine
    assert "1 notebook(s) changed: 99_x" in res.out  # the question says what would be lost

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    res = run_cli("lab", "--workspace", home, "--reset", "--no-start")
    assert res.code == 0, res.err
    assert book.read_bytes() == (kit / "notebooks" / "99_x.ipynb").read_bytes()


def test_trainer_workspace_and_class_data(tmp_path, run_cli, monkeypatch):
    kit = tmp_path / "kit"
    _kit_book(kit / "notebooks" / "98_mode.ipynb")
    _kit_book(kit / "notebooks" / "99_old.ipynb", mode=False)  # no mode line yet: still works
    (kit / "data" / "demo").mkdir(parents=True)
    monkeypatch.setattr(ws, "_KIT", kit)
    before = tree_digest(kit)
    home = tmp_path / "trainer"
    res = run_cli(
        "lab", "--workspace", home, "--trainer", "--data", ROOT / "data" / "demo", "--no-start"
    )
    assert res.code == 0, res.err
    assert "trainer mode" in res.out
    cell = _params_cell(home / "notebooks" / "98_mode.ipynb")
    assert 'mode: str = "trainer"  # "learner" or "trainer"' in cell
    assert 'data_dir: str = "data/demo"' in cell and 'quarter: str = "2026Q3"' in cell
    assert "mode" not in _params_cell(home / "notebooks" / "99_old.ipynb")
    assert tree_digest(kit) == before
    # without --trainer a trainer's workspace stays one
    assert run_cli("lab", "--workspace", home, "--no-start").code == 0
    assert 'mode: str = "trainer"' in _params_cell(home / "notebooks" / "98_mode.ipynb")
    # a learner workspace turned into a trainer's: only the default moves, the work stays
    learner = tmp_path / "learner"
    assert run_cli("lab", "--workspace", learner, "--no-start").code == 0
    book = learner / "notebooks" / "98_mode.ipynb"
    nb = nbformat.read(str(book), as_version=4)
    nb.cells[2].source = 'answer_1 = 42\nsn.training.check("1", answer_1)'
    nbformat.write(nb, str(book))
    assert run_cli("lab", "--workspace", learner, "--trainer", "--no-start").code == 0
    nb = nbformat.read(str(book), as_version=4)
    assert "answer_1 = 42" in nb.cells[2].source and 'mode: str = "trainer"' in nb.cells[1].source


# --------------------------------------------------------------------------- paths inside
def test_a_notebook_in_a_workspace_reads_and_writes_inside_it(tmp_path, run_cli, monkeypatch):
    monkeypatch.delenv("SALESNB_WORKSPACE", raising=False)
    home = tmp_path / "ws"
    assert run_cli("lab", "--workspace", home, "--no-start").code == 0
    # an export name of this test's own: nbval's run of 01_pareto (maybe at this moment, on
    # another xdist worker) writes the project's vital_few.csv; nothing else writes this one
    name = f"vital_few_{uuid.uuid4().hex[:12]}"
    project_file = ROOT / "reports" / "notebooks" / "01_pareto" / f"{name}.csv"
    assert not project_file.exists()
    monkeypatch.chdir(home / "notebooks")  # where JupyterLab starts a notebook's kernel
    assert project_root() == home
    assert resolve("data/demo") == (home / "data" / "demo").resolve()
    # the setup cell of 01_pareto with its default parameters, in process
    ctx = setup("data/demo", quarter="2026Q3", output_dir="reports/notebooks/01_pareto")
    assert ctx.output_dir == (home / "reports" / "notebooks" / "01_pareto").resolve()
    written = ctx.export(pd.DataFrame({"account": ["A"], "revenue": [1.0]}), name)
    assert written and all(p.is_relative_to(home) and p.exists() for p in written)
    assert not project_file.exists() and not project_file.with_suffix(".xlsx").exists()
    monkeypatch.chdir(tmp_path)  # outside a workspace: the project, as before
    assert project_root() == ROOT and resolve("data/demo") == ROOT / "data" / "demo"


# --------------------------------------------------------------------------- progress
def _learner(folder: Path, name: str, lines: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / ws.MARKER).write_text(json.dumps({"mode": "learner", "learner": name}))
    _kit_book(folder / "notebooks" / "01_pareto.ipynb")
    nb = nbformat.read(str(folder / "notebooks" / "01_pareto.ipynb"), as_version=4)
    for n in ("2", "3"):
        cell = new_code_cell(f'answer_{n} = None\nsn.training.check("{n}", answer_{n})')
        cell.metadata.update(tags=["exercise"], salesnb={"exercise": n, "kind": "read"})
        nb.cells.append(cell)
    nbformat.write(nb, str(folder / "notebooks" / "01_pareto.ipynb"))
    (folder / ".salesnb").mkdir()
    (folder / ".salesnb" / "progress.jsonl").write_text(
        "".join(json.dumps({"notebook": "01_pareto", "learner": name, **d}) + "\n" for d in lines)
    )
    return folder


def test_progress_of_a_learner_and_of_a_class(tmp_path, run_cli):
    room = tmp_path / "class"
    _learner(
        room / "ana",
        "Ana",
        [
            {"exercise": "1", "correct": False},
            {"exercise": "1", "correct": True},
            {"exercise": "2", "correct": False},
        ],
    )
    _learner(room / "ben", "", [{"exercise": "1", "correct": True}])
    one = run_cli("lab", "--progress", "--workspace", room / "ana")
    assert one.code == 0, one.err
    assert "Ana (" in one.out and "1 of 3 exercise(s) passed" in one.out
    assert "passed 1; not yet 2 (1 tries); not tried 3" in one.out
    both = run_cli("lab", "--progress", "--workspace", room)
    assert both.code == 0, both.err
    assert "ben (" in both.out  # no recorded name: the folder's
    assert "Class of 2 learners" in both.out and "01_pareto exercise 1: 2 of 2" in both.out
    assert "01_pareto exercise 2: 0 of 2" in both.out
    data = json.loads(run_cli("lab", "--progress", "--workspace", room, "--json").out)
    (ana,) = [w for w in data["workspaces"] if w["learner"] == "Ana"]
    ex = ana["notebooks"]["01_pareto"]
    assert ex["1"]["passed"] and ex["1"]["attempts"] == 2
    assert not ex["2"]["passed"] and ex["2"]["attempts"] == 1 and ex["3"]["attempts"] == 0
    bad = run_cli("lab", "--progress", "--workspace", tmp_path / "nothing")
    assert bad.code == 2 and "no workspace at" in bad.err
    bad = run_cli("lab", "--progress", "--reset", "--workspace", room)
    assert bad.code == 2 and "--progress only reads" in bad.err


# --------------------------------------------------------------------------- JupyterLab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, log: list[str]):  # noqa: ANN202 - an HTTP response
    for _ in range(40):
        try:
            return urllib.request.urlopen(url, timeout=20)
        except urllib.error.URLError as exc:
            error = exc
            time.sleep(0.5)
    raise AssertionError(f"{url}: {error}\n{''.join(log)}")


def test_jupyterlab_starts_in_the_workspace_and_serves_lab(tmp_path):
    home, port = tmp_path / "ws", _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jdata"),
    }
    config = tmp_path / "config"  # this user's own Jupyter settings stay out of it
    config.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        server = {"ServerApp": {"allow_root": True}}
        (config / "jupyter_server_config.json").write_text(json.dumps(server))
    salesnb = str(Path(sys.executable).with_name("salesnb"))
    cmd = [salesnb, "lab", "--workspace", str(home), "--no-browser", "--port", str(port)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if re.search(rf"http://(127\.0\.0\.1|localhost):{port}/lab\?token=\w+", line):
                found.set()
        found.set()  # it stopped: the assertion below shows why

    threading.Thread(target=read, daemon=True).start()
    try:
        found.wait(60)
        shown = re.search(rf"http://[\w.]+:{port}/lab\?token=\w+", "".join(seen))
        assert shown, "".join(seen)
        token = shown.group(0).split("token=")[1]
        url = f"http://127.0.0.1:{port}/lab?token={token}"  # localhost may mean ::1 first
        with _get(url, seen) as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
        api = f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}"
        with _get(api, seen) as listing:  # it serves the workspace
            names = {c["name"] for c in json.load(listing)["content"]}
        assert names >= {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
        assert (home / ws.MARKER).is_file()
    finally:
        proc.terminate()  # the salesnb process became JupyterLab: it shuts down on SIGTERM
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    assert proc.returncode is not None


# --------------------------------------------------------------------------- a class's own data
def test_redact_copies_the_class_data_without_its_names(tmp_path, run_cli, monkeypatch):
    """`lab --data DIR --redact`: every name in the copy is its keyed pseudonym (the same as
    `salesnb run --redact` gives), the rows and the other values are kept, the original is
    untouched, and the copy loads as a data set."""
    from salesnb.notebook import pseudonym
    from salesnb.sources import load_dataset

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # a key of this test's own
    monkeypatch.delenv("SALESNB_REDACT_KEY_FILE", raising=False)
    source = ROOT / "data" / "demo"
    before = tree_digest(source)
    home = tmp_path / "class" / "alice"
    res = run_cli("lab", "--workspace", home, "--data", source, "--redact", "--no-start")
    assert res.code == 0, res.err
    assert tree_digest(source) == before
    copy = home / "data" / "demo"
    raw = pd.read_csv(source / "accounts.csv", dtype=str)
    red = pd.read_csv(copy / "accounts.csv", dtype=str)
    assert len(red) == len(raw) and red["account_id"].tolist() == raw["account_id"].tolist()
    assert not set(raw["account_name"]) & set(red["account_name"])
    assert red["account_name"].iloc[0] == pseudonym(raw["account_name"].iloc[0], "Account")
    text = "".join(p.read_text(encoding="utf-8") for p in copy.glob("*.csv"))
    assert {p.name for p in copy.glob("*.csv")} == {p.name for p in source.glob("*.csv")}
    people = pd.read_csv(source / "contacts.csv", dtype=str)["full_name"]
    reps = pd.read_csv(source / "opportunities.csv", dtype=str)["owner"].dropna()
    for name in [*raw["account_name"].head(20), *people.head(20), *reps.unique()]:
        assert name not in text, name
    assert load_dataset(copy).tables["opportunities"].shape[0] == len(
        pd.read_csv(source / "opportunities.csv")
    )
    logged = pd.read_csv(copy / "activities.csv", dtype=str)  # a raw table, redacted too
    assert len(logged) == len(pd.read_csv(source / "activities.csv", dtype=str))
    assert logged["owner"].dropna().str.startswith("Rep ").all()
    # --redact needs a class data set: the demo holds no real names
    assert run_cli("lab", "--workspace", tmp_path / "b", "--redact", "--no-start").code == 2
