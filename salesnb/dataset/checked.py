"""Check once: a checked, typed copy of a data set that kernels load without checking again.

``salesnb review`` and ``salesnb run`` read and check the data set once, in the parent
process, and write what they found here: each small table as Parquet (typed, with its
vocabulary applied), the raw-line tables' typed DuckDB views (the files stay where they
are), the settings and every problem. The engine's kernels get the copy's folder in
:data:`ENV` and load it in a fraction of the time; a notebook opened by hand has no such
variable and reads and checks its data set as before.

The copy is only used for the data folder it was made from, by the kit version that made
it, and only while that folder holds the same files with the size and modification time
they had when it was made (a table added or removed, an edited dataset.yml: checked again).
Otherwise the data is read and checked as usual: a copy of other data is never trusted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..schema import Problem
from .core import DataSet, RawTable, Settings

__all__ = ["CACHE_DIR", "ENV", "for_kernels", "load_checked", "write_checked"]

ENV = "SALESNB_CHECKED_DATA"  # the engine tells its kernels where the checked copy is
CACHE_DIR = ".salesnb-cache"  # inside the output folder
FORMAT = 1
_MANIFEST = "manifest.json"


def _signature(source: Path) -> dict[str, list[int]]:
    """Size and modification time of every file of the data set (the folder's files, or the
    one table file): a cheap "has anything changed?" that also sees a table file added or
    removed and an edited dataset.yml."""
    source = Path(source)
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else [source]
    out = {}
    for path in files:
        st = path.stat()
        out[path.name] = [st.st_size, st.st_mtime_ns]
    return out


def _version() -> str:
    from .. import __version__  # the kit's version: a newer kit may check differently

    return __version__


def write_checked(ds: DataSet, folder: Path) -> Path:
    """Write ``ds`` (read and checked, without errors) as a checked copy into ``folder``.

    The folder is replaced as a whole (written beside it, then renamed), so a kernel never
    sees half a copy. Returns ``folder``.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, df in ds.tables.items():
        df.to_parquet(tmp / f"{name}.parquet", index=False)
    manifest = {
        "format": FORMAT,
        "version": _version(),
        "source": str(Path(ds.path).resolve()),
        "settings": asdict(ds.settings),
        "tables": sorted(ds.tables),
        "raw": {
            n: {"path": str(r.path), "rows": r.rows, "select": r.select} for n, r in ds.raw.items()
        },
        "rows": ds.rows,
        "files": {n: str(p) for n, p in ds.files.items()},
        "signature": _signature(Path(ds.path)),
        "problems": [asdict(p) for p in ds.problems],
    }
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    old = folder.with_name(f".{folder.name}.old{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def load_checked(folder: Path, source: Path) -> DataSet | None:
    """The checked copy in ``folder`` of the data set at ``source``, or None when it is not one.

    None when the folder holds no copy, a copy of another data set, a copy of another
    format, or when a table file has changed since the copy was made.
    """
    try:
        manifest = json.loads((Path(folder) / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        manifest.get("format") != FORMAT
        or manifest.get("version") != _version()
        or manifest.get("source") != str(Path(source).resolve())
    ):
        return None
    files = {n: Path(p) for n, p in manifest["files"].items()}
    try:
        if _signature(Path(source)) != manifest["signature"]:
            return None
        tables = {n: pd.read_parquet(Path(folder) / f"{n}.parquet") for n in manifest["tables"]}
    except (OSError, ValueError):
        return None
    return DataSet(
        path=Path(source),
        settings=Settings(**manifest["settings"]),
        tables=tables,
        raw={
            n: RawTable(n, Path(r["path"]), int(r["rows"]), r["select"])
            for n, r in manifest["raw"].items()
        },
        problems=[Problem(**p) for p in manifest["problems"]],
        rows={n: int(v) for n, v in manifest["rows"].items()},
        files=files,
    )


def from_environment(source: Path) -> DataSet | None:
    """The checked copy the engine named in :data:`ENV` for ``source``, if there is one."""
    folder = os.environ.get(ENV)
    return load_checked(Path(folder), source) if folder else None


@contextlib.contextmanager
def for_kernels(folder: Path | None) -> Iterator[None]:
    """Kernels started inside this block load the checked copy in ``folder`` (None: none)."""
    before = os.environ.get(ENV)
    if folder is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
