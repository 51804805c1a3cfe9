"""Learner workspaces: a copy of the notebooks and the data for a training session.

``salesnb lab`` prepares a workspace (default ``~/salesnb-workspace``)::

    <workspace>/
        .salesnb-workspace        the marker (JSON): mode, learner, data, the copies' hashes
        notebooks/NN_*.ipynb      copies of the kit's notebooks (the learner edits these)
        data/demo/ (or data/<name>/ of --data), data/examples/
        reports/                  what the notebooks export (resolved inside the workspace)
        .salesnb/progress.jsonl   the answers checked (written by :mod:`salesnb.training`)

then starts JupyterLab there. The kit's own notebooks and data are only read. Running it
again keeps the learner's work: a copy the learner changed is kept, a copy left as written
is brought up to the kit's current version, a missing one is copied again. :func:`reset`
removes what a workspace holds (only a folder holding the marker). Inside a workspace,
:func:`salesnb.notebook.resolve` takes relative paths from the workspace, so a notebook
reads and writes inside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .files import atomic_path
from .schema import SalesnbError, UsageError

__all__ = [
    "DEFAULT",
    "MARKER",
    "Prepared",
    "changed_notebooks",
    "class_progress",
    "find_root",
    "lab_command",
    "prepare",
    "progress_lines",
    "read_marker",
    "reset",
    "start",
]

MARKER = ".salesnb-workspace"
DEFAULT = "~/salesnb-workspace"
_KIT = Path(__file__).resolve().parent.parent  # the kit's own notebooks/ and data/: only read
_OWNED = ("notebooks", "data", "reports", ".salesnb", ".ipynb_checkpoints", MARKER)
_MODES = ("learner", "trainer")


# --------------------------------------------------------------------------- finding
def find_root(start: Path | None = None) -> Path | None:
    """The workspace ``start`` (default: the working folder) is in, or None.

    The nearest folder upwards holding ``.salesnb-workspace``, else ``$SALESNB_WORKSPACE``:
    :func:`salesnb.training.workspace_root`.
    """
    from .training import workspace_root

    return workspace_root(start)


def read_marker(root: Path) -> dict[str, Any]:
    """The workspace's marker as a dict (empty when absent or unreadable)."""
    try:
        data = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_marker(root: Path, marker: Mapping[str, Any]) -> None:
    with atomic_path(root / MARKER) as tmp:
        tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- copying
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_PARAM_LINE = r"^(\s*{name}\s*:\s*str\s*=\s*)([\"'])(.*?)\2"


def _set_default(source: str, name: str, value: str) -> str:
    """The parameters cell's source with ``name``'s default set to ``value`` (a str literal)."""
    pattern = re.compile(_PARAM_LINE.format(name=re.escape(name)), re.M)
    return pattern.sub(lambda m: f"{m.group(1)}{json.dumps(value)}", source, count=1)


def _adapted(text: str, defaults: Mapping[str, str]) -> str:
    """A notebook's JSON text with its parameter defaults set (the text itself when unchanged).

    Only the cell tagged ``parameters`` changes; a notebook without a given parameter
    (no ``mode`` line yet) keeps its cell as it is.
    """
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    changed = False
    for cell in nb.cells:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.source
        for name, value in defaults.items():
            source = _set_default(source, name, value)
        if source != cell.source:
            cell.source, changed = source, True
    return nbformat.writes(nb) + "\n" if changed else text


@dataclass
class Prepared:
    """What :func:`prepare` did to a workspace."""

    root: Path
    mode: str
    learner: str
    data: str
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    new: bool = False

    def lines(self) -> list[str]:
        """What a person reads after ``salesnb lab``: where, which mode, what was kept."""
        head = "Prepared" if self.new else "Workspace"
        who = f", learner {self.learner}" if self.learner else ""
        out = [f"{head} {self.root} ({self.mode} mode{who}, data {self.data})"]
        if self.copied:
            out.append(f"  copied:  {', '.join(self.copied)}")
        if self.updated:
            out.append(f"  updated (unchanged since copied): {', '.join(self.updated)}")
        if self.kept:
            out.append(f"  kept (your work): {', '.join(self.kept)}")
        return out


def _kit_notebooks() -> list[Path]:
    folder = _KIT / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []


def _check_folder(root: Path) -> bool:
    """True when ``root`` is a workspace already; a usage error when it cannot become one."""
    if (root / MARKER).is_file():
        return True
    if root.exists() and not root.is_dir():
        raise UsageError(f"--workspace {root} is a file: choose a folder for the workspace")
    if root.exists() and _KIT.is_relative_to(root.resolve()):
        raise UsageError(
            f"--workspace {root} holds the kit itself: choose a folder of its own "
            f"(default {DEFAULT})"
        )
    if root.is_dir() and any(root.iterdir()):
        raise UsageError(
            f"{root} is not empty and not a salesnb workspace: choose a new or empty folder "
            "(or a workspace salesnb lab made)"
        )
    return False


def _copy_data(source: Path, target: Path) -> None:
    """``source`` copied to ``target`` (replacing it) through a temporary sibling."""
    tmp = target.with_name(f".{target.name}.tmp-copy")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(source, tmp, symlinks=False)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)


# name columns a redacted copy replaces: table -> {column: the pseudonym's kind}; one
# constant with what 'salesnb run --redact' replaces (salesnb.notebook.REDACTED_COLUMNS)
from .notebook import REDACTED_COLUMNS  # noqa: E402


def redacted_copy(source: Path, target: Path) -> list[str]:
    """A copy of data set ``source`` at ``target`` with every name replaced by its keyed
    pseudonym (:func:`salesnb.notebook.pseudonymise`, the key of ``--redact``): account,
    rep, contact and expert names (job titles and ids stay). The tables are
    written as CSV (the kit's canonical form); ``dataset.yml`` is kept; last quarter's
    snapshots are left out (they hold names too). Returns the tables written.

    The same name gets the same pseudonym as in ``salesnb run --redact``, so a trainer's
    answer key made on the original data with ``--redact`` matches the class's copy.
    """
    from .dataset import load_dataset
    from .notebook import pseudonymise, redaction_key

    ds = load_dataset(source)
    key = redaction_key()
    tmp = target.with_name(f".{target.name}.tmp-copy")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    written = []
    frames = dict(ds.tables)
    for table, raw in ds.raw.items():  # the large tables DuckDB reads in place
        if REDACTED_COLUMNS.get(table):
            frames[table] = ds.sql(f'SELECT * FROM "{table}"')
        else:  # no name in it (orders): the file as it is
            shutil.copyfile(raw.path, tmp / Path(raw.path).name)
            written.append(table)
    for table, df in frames.items():
        out = df.copy()
        for col, kind in REDACTED_COLUMNS.get(table, {}).items():
            if col in out:
                out[col] = pseudonymise(out[col].astype("object"), kind, key=key)
        for col in out.columns:
            if hasattr(out[col], "dt") and str(out[col].dtype).startswith("datetime"):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_csv(tmp / f"{table}.csv", index=False, lineterminator="\r\n")
        written.append(table)
    settings = source / "dataset.yml"
    if settings.is_file():
        shutil.copyfile(settings, tmp / "dataset.yml")
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return sorted(written)


def _data_source(data: Path | None) -> tuple[Path, str]:
    """The data set to copy and its folder name in the workspace."""
    if data is None:
        demo = _KIT / "data" / "demo"
        if not demo.is_dir():
            raise UsageError(f"the kit's demo data is not at {demo}: give --data DIR")
        return demo, "demo"
    data = data.expanduser().absolute()
    if not data.is_dir():
        raise UsageError(f"--data {data}: no such data-set folder")
    from .notebook import safe_name

    return data, safe_name(data.name) if data.name else "data"


def prepare(
    root: Path,
    *,
    data: Path | None = None,
    trainer: bool = False,
    learner: str | None = None,
    redact: bool = False,
) -> Prepared:
    """Make ``root`` a workspace (or bring one up to date) without touching the learner's work.

    Parameters
    ----------
    root
        The workspace folder: new, empty, or one this function made before.
    data
        A data set to copy in as ``data/<its folder name>`` (replacing an earlier copy of
        that name); the notebooks' ``data_dir`` and ``quarter`` defaults then point at it
        (its last quarter). None: the demo data, copied once.
    trainer
        Make (or turn) the workspace a trainer's: the copies' ``mode`` default is
        ``"trainer"``. Without it an existing workspace keeps its mode.
    learner
        The learner's name recorded with each checked answer (None: keep the recorded one).
    redact
        Copy ``data`` with every name replaced by its keyed pseudonym
        (:func:`redacted_copy`): a class works on its own CRM data without its names.

    Returns
    -------
    Prepared
        Which notebooks were copied, updated (left unchanged since copied) and kept.
    """
    root = Path(root).expanduser().absolute()
    existing = _check_folder(root)
    marker = read_marker(root) if existing else {}
    source, name = _data_source(data)
    if data is not None and root.is_relative_to(source):
        raise UsageError(f"--data {source} holds the workspace {root}: choose another folder")
    mode = "trainer" if trainer else str(marker.get("mode") or "learner")
    mode = mode if mode in _MODES else "learner"
    who = learner if learner is not None else str(marker.get("learner") or "")
    data_rel = f"data/{name}" if data is not None else str(marker.get("data") or "data/demo")
    defaults = {"mode": mode, "data_dir": data_rel}
    quarter = str(marker.get("quarter") or "")
    if data is not None:
        from .report import latest_quarter

        quarter = latest_quarter(source)
    if quarter:
        defaults["quarter"] = quarter
    try:
        root.mkdir(parents=True, exist_ok=True)
        target = root / data_rel
        moved = data is not None and source.resolve() != target.resolve()
        if redact and data is not None:
            redacted_copy(source, target)
        elif moved or not target.exists():
            _copy_data(source, target)
        examples = _KIT / "data" / "examples"
        if examples.is_dir() and not (root / "data" / "examples").exists():
            _copy_data(examples, root / "data" / "examples")
        (root / "reports").mkdir(exist_ok=True)
        done = Prepared(root, mode, who, data_rel, new=not existing)
        hashes = dict(marker.get("notebooks") or {})
        for nb in _kit_notebooks():
            dest = root / "notebooks" / nb.name
            want = _adapted(nb.read_text(encoding="utf-8"), defaults)
            if not dest.exists():
                done.copied.append(nb.stem)
            else:
                have = dest.read_bytes()
                if _sha(have) != hashes.get(nb.name):  # the learner's work: only its defaults move
                    mine = _adapted(have.decode("utf-8"), defaults)
                    if mine != have.decode("utf-8"):
                        _write_text(dest, mine)
                    done.kept.append(nb.stem)
                    hashes[nb.name] = hashes.get(nb.name, "")
                    continue
                if have.decode("utf-8") == want:
                    continue
                done.updated.append(nb.stem)
            _write_text(dest, want)
            hashes[nb.name] = _sha(want.encode("utf-8"))
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        _write_marker(
            root,
            {
                "salesnb_workspace": 1,
                "mode": mode,
                "learner": who,
                "data": data_rel,
                "quarter": quarter,
                "created": marker.get("created") or now,
                "updated": now,
                "salesnb": __version__,
                "notebooks": hashes,
            },
        )
    except OSError as exc:
        raise SalesnbError(
            f"cannot write the workspace {root}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if getattr(exc, "filename", None) else "")
        ) from None
    return done


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def changed_notebooks(root: Path) -> list[str]:
    """The workspace's notebooks the learner changed (or added) since they were copied."""
    hashes = read_marker(root).get("notebooks") or {}
    folder = root / "notebooks"
    books = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    return [p.stem for p in books if _sha(p.read_bytes()) != hashes.get(p.name)]


def reset(root: Path) -> list[str]:
    """Remove what a workspace holds (notebooks, data, exports, progress, marker); names removed.

    Only a folder holding the marker is touched, and only those entries: anything else
    the learner put there stays.
    """
    root = Path(root).expanduser().absolute()
    if not (root / MARKER).is_file():
        raise UsageError(f"{root} is not a salesnb workspace (no {MARKER}): nothing to reset")
    removed = []
    for name in _OWNED:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


# --------------------------------------------------------------------------- JupyterLab
def lab_command(root: Path, *, port: int | None = None, browser: bool = True) -> list[str]:
    """The command that serves ``root`` in JupyterLab (this Python's Jupyter)."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}"]
    if port is not None:
        cmd.append(f"--port={port}")
    if not browser:
        cmd.append("--no-browser")
    return cmd


def start(root: Path, *, port: int | None = None, browser: bool = True) -> int:
    """Serve ``root`` in JupyterLab until it stops; its exit code.

    Live controls are on (``SALESNB_LIVE=1``). On POSIX the process becomes JupyterLab,
    so Ctrl-C and a termination signal reach it as they would from ``jupyter lab``.
    """
    import importlib.util

    if importlib.util.find_spec("jupyterlab") is None:
        raise SalesnbError(
            "JupyterLab is not installed in this environment: pip install jupyterlab "
            "(or use environment.yml), then run salesnb lab again"
        )
    cmd = lab_command(root, port=port, browser=browser)
    env = {**os.environ, "SALESNB_LIVE": "1"}
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(root)
    if os.name == "posix":
        os.execve(cmd[0], cmd, env)  # pragma: no cover - replaces this process
    proc = subprocess.Popen(cmd, cwd=root, env=env)  # pragma: no cover - Windows
    while True:  # pragma: no cover
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue  # JupyterLab answers Ctrl-C itself (it asks, or stops on the second)


# --------------------------------------------------------------------------- progress
def _workspaces(folder: Path) -> list[Path]:
    """``folder`` itself when it is a workspace, else its workspace subfolders (a class)."""
    folder = Path(folder).expanduser().absolute()
    if (folder / MARKER).is_file():
        return [folder]
    if not folder.is_dir():
        raise UsageError(f"no workspace at {folder}: give --workspace a workspace or class folder")
    found = sorted(p for p in folder.iterdir() if p.is_dir() and (p / MARKER).is_file())
    if not found:
        raise UsageError(
            f"{folder} is neither a salesnb workspace nor a folder of workspaces "
            f"(none of its folders holds {MARKER})"
        )
    return found


def class_progress(folder: Path) -> dict[str, Any]:
    """Which exercises each learner passed: ``{"folder", "workspaces": [progress, ...]}``.

    ``folder`` is one workspace or a class folder whose subfolders are workspaces; each
    entry is :func:`salesnb.training.progress` of one workspace, its ``learner`` the
    recorded name or else the folder's name.
    """
    from .training import progress

    entries = []
    for ws in _workspaces(folder):
        p = dict(progress(ws))
        p["learner"] = p.get("learner") or ws.name
        p["workspace"] = str(ws)
        entries.append(p)
    return {"folder": str(Path(folder).expanduser().absolute()), "workspaces": entries}


def _ex_key(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (10**6, name)


def progress_lines(report: Mapping[str, Any]) -> list[str]:
    """:func:`class_progress` as text: per learner and notebook, passed / tried / not tried;
    for a class, how many learners passed each exercise."""
    out: list[str] = []
    tally: dict[tuple[str, str], int] = {}
    entries = report["workspaces"]
    for p in entries:
        books = p.get("notebooks") or {}
        total = sum(len(ex) for ex in books.values())
        passed = sum(bool(e.get("passed")) for ex in books.values() for e in ex.values())
        out.append(f"{p['learner']} ({p['workspace']}): {passed} of {total} exercise(s) passed")
        for nb, exercises in sorted(books.items()):
            names = sorted(exercises, key=_ex_key)
            ok = [n for n in names if exercises[n].get("passed")]
            tried = [
                f"{n} ({exercises[n].get('attempts', 0)} tries)"
                for n in names
                if not exercises[n].get("passed") and exercises[n].get("attempts")
            ]
            fresh = [
                n
                for n in names
                if not exercises[n].get("passed") and not exercises[n].get("attempts")
            ]
            parts = [f"passed {', '.join(ok)}" if ok else "none passed"]
            if tried:
                parts.append(f"not yet {', '.join(tried)}")
            if fresh:
                parts.append(f"not tried {', '.join(fresh)}")
            out.append(f"  {nb:<22} {len(ok)} of {len(names)}  " + "; ".join(parts))
            for n in names:
                tally[(nb, n)] = tally.get((nb, n), 0) + bool(exercises[n].get("passed"))
    if len(entries) > 1:
        out.append(f"Class of {len(entries)} learners, passed per exercise:")
        for (nb, n), count in sorted(tally.items(), key=lambda kv: (kv[0][0], _ex_key(kv[0][1]))):
            out.append(f"  {nb} exercise {n}: {count} of {len(entries)}")
    return out
