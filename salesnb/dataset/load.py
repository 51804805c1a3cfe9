"""Reading a data set folder (or one table file) and checking every table.

Table files are found by name; small tables are read into pandas, parsed and checked
by :mod:`salesnb.schema`; raw-line tables in CSV or Parquet are checked by DuckDB
straight from the file (:mod:`salesnb.dataset.raw`). Data problems are collected in
:attr:`DataSet.problems`, never raised by :func:`read_dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..files import SUFFIXES, fail, not_a_file, read_cells, repair_text_columns
from ..schema import (
    CATEGORIES,
    RAW_TABLES,
    TABLES,
    DataError,
    Problem,
    Table,
    UsageError,
    check_currency,
    check_table,
    parse_table,
    table_for_file,
)
from .core import SETTINGS_FILE, DataSet, Settings, reference_ids
from .engines import add_spark_tables
from .raw import read_raw, sorted_key

__all__ = ["load_dataset", "read_dataset"]

RAW_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")  # raw lines DuckDB reads from the file


def _table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == SETTINGS_FILE:
            continue
        table = table_for_file(path.stem)
        if path.suffix.lower() not in SUFFIXES or table is None:
            if path.suffix.lower() in SUFFIXES and os.path.isfile(path):
                problems.append(
                    Problem(
                        "finding",
                        path.name,
                        "not a canonical table name; the file is ignored",
                        f"name table files after their table ({', '.join(TABLES)})",
                    )
                )
            continue
        unusable = not_a_file(path)
        if unusable:
            problems.append(replace(unusable, table=table.name))
            continue
        if table.name in files:
            fail(
                str(folder),
                f"two files hold the '{table.name}' table ({files[table.name].name} "
                f"and {path.name})",
                "keep one of them",
            )
        files[table.name] = path
    return files, problems


def read_dataset(path: str | Path, *, progress: Callable[[str], None] | None = None) -> DataSet:
    """Read and check a data set folder (or one table file), collecting every problem.

    Data problems never raise here: they are in ``DataSet.problems``. Only a path
    that does not exist raises :class:`UsageError`.

    Parameters
    ----------
    path
        A folder with one file per canonical table, or a single table file.
    progress
        Called with each table's name as it is read (for progress displays).
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise UsageError(f"no such file or folder: {path}")
    folder = path if path.is_dir() else path.parent
    try:
        settings = Settings.read(folder)
    except DataError as exc:
        ds = DataSet(path=path, settings=Settings(name=folder.name))
        ds.problems += exc.problems
        return ds
    ds = DataSet(path=path, settings=settings)
    if path.is_dir():
        try:
            files, ds.problems = _table_files(path)
        except DataError as exc:
            ds.problems += exc.problems
            return ds
        if not files and not ds.errors:
            ds.problems.append(
                Problem(
                    "error",
                    str(path),
                    "no canonical table files found",
                    f"put files named {', '.join(t + '.csv' for t in TABLES)} in the folder "
                    "(or .parquet / .xlsx), or convert a CRM export with 'salesnb import'",
                )
            )
            return ds
    else:
        table = table_for_file(path.stem)
        if table is None or path.suffix.lower() not in SUFFIXES:
            raise UsageError(
                f"{path.name}: not a canonical table file (name it after its table: "
                f"{', '.join(TABLES)}; formats {', '.join(SUFFIXES)})"
            )
        unusable = not_a_file(path)
        if unusable:
            ds.problems.append(replace(unusable, table=table.name))
            return ds
        files = {table.name: path}
    ds.files = files

    def raw(name: str) -> bool:
        return name in RAW_TABLES and files[name].suffix.lower() in RAW_SUFFIXES

    # accounts and products first: other tables' foreign keys point at them; then the other
    # small tables, two at a time (Arrow, DuckDB and pandas' Arrow strings work outside the
    # GIL), their problems kept in table order; then the raw lines, each by DuckDB's threads.
    # Not the raw lines beside the small tables: 0.4 s less at 10M lines, but more DuckDB
    # connections scanning pandas frames from Python threads at once, a known source of
    # GIL deadlocks (duckdb-python 456, 462), and a suite run hung once after that change
    referenced = [t for t in ("accounts", "products") if t in files and not raw(t)]
    others = sorted(t for t in files if t not in referenced and not raw(t))
    lines = sorted(t for t in files if raw(t))
    # the raw lines' key pass (Arrow only: no DuckDB, no pandas) runs beside the small tables
    with ThreadPoolExecutor(max_workers=1) as keys:
        sorted_keys = {n: keys.submit(sorted_key, files[n], TABLES[n]) for n in lines}
        for name in referenced:
            if progress:
                progress(name)
            _add_small(ds, TABLES[name], _read_small(ds, TABLES[name], files[name]))
        refs = reference_ids(ds)
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            reads = {n: pool.submit(_read_small, ds, TABLES[n], files[n], refs) for n in others}
            for name in others:
                if progress:
                    progress(name)
                _add_small(ds, TABLES[name], reads[name].result())
        for name in lines:
            if progress:
                progress(name)
            read_raw(ds, TABLES[name], files[name], unique_key=sorted_keys[name].result())
    if settings.tables and not ds.errors:  # engine: spark, raw lines in the cluster
        add_spark_tables(ds)
    return ds


def load_dataset(path: str | Path) -> DataSet:
    """Read a data set and raise :class:`DataError` listing every error, if any."""
    ds = read_dataset(path)
    if ds.errors:
        lines = "\n".join("  " + p.describe() for p in ds.errors)
        raise DataError(
            f"{ds.path}: {len(ds.errors)} error(s) stop the analysis:\n{lines}", ds.errors
        )
    return ds


class _Small(NamedTuple):
    problems: list[Problem]
    rows: int | None  # None: the file could not be read
    frame: pd.DataFrame | None


def _read_small(
    ds: DataSet, table: Table, path: Path, refs: dict[str, pd.Index] | None = None
) -> _Small:
    """Read, parse and check one small table; ``ds`` is only read (settings, references)."""
    try:
        cells, problems = read_cells(path, encoding=ds.settings.encoding, table=table, typed=True)
    except DataError as exc:
        return _Small(list(exc.problems), None, None)
    cells, repaired = repair_text_columns(cells, table, path.name)
    problems += repaired
    typed, parse_problems, unparsed = parse_table(cells, table, file=path.name)
    problems += parse_problems
    if all(c in typed.columns for c in table.required):
        # rows with unparseable cells already have an error: do not report them twice
        checked = typed.drop(index=unparsed) if len(unparsed) else typed  # a drop copies
        refs = reference_ids(ds) if refs is None else refs
        problems += check_table(checked, table, file=path.name, refs=refs)
        problems += check_currency(checked, table, file=path.name, currency=ds.settings.currency)
    return _Small(problems, len(typed), _clean(typed, table))


def _add_small(ds: DataSet, table: Table, read: _Small) -> None:
    ds.problems += read.problems
    if read.frame is not None:
        ds.rows[table.name] = read.rows or 0
        ds.tables[table.name] = read.frame


def _clean(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Values outside a controlled vocabulary become missing; index becomes 0..n-1."""
    out = df.copy()
    for col, allowed in CATEGORIES.items():
        if col in out.columns and col in table.names:
            out[col] = out[col].where(out[col].isin(allowed))
    return out.reset_index(drop=True)
