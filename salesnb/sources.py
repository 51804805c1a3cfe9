"""Readers: canonical data-set folders (CSV, Parquet, Excel) into validated tables.

Small tables (accounts, opportunities, ...) are read into pandas, parsed and checked
by :mod:`salesnb.schema`. Raw-line tables (orders, activities) can be far larger than
memory: they are checked and aggregated by DuckDB straight from the file, and only
aggregates reach pandas (:meth:`DataSet.sql`).

Input files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import math
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import ftfy
import ftfy.badness
import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from . import config
from .schema import (
    MAX_MAGNITUDE,
    NUMERIC_KINDS,
    RAW_TABLES,
    TABLES,
    DataError,
    Problem,
    Table,
    UsageError,
    cell_problem,
    check_currency,
    check_table,
    currency_problem,
    missing_tokens,
    number_trouble,
    parse_table,
    table_for_file,
)

__all__ = [
    "DataSet",
    "RawTable",
    "Repair",
    "Settings",
    "SUFFIXES",
    "check_runaway_quote",
    "connect",
    "load_dataset",
    "read_dataset",
    "read_cells",
    "repair_mojibake",
    "revenue_by",
    "row_lines",
    "activity_by_account",
    "last_activity",
    "spend_to_date",
]

SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xlsm")
_SETTINGS_FILE = "dataset.yml"
_EXAMPLES = 5
# what a bad file makes DuckDB raise; anything else is a bug and keeps its traceback
_DUCK_USER_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
# what a damaged workbook makes openpyxl raise
_EXCEL_ERRORS = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    EOFError,
    zlib.error,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    InvalidFileException,
)


@dataclass(frozen=True)
class Settings:
    """Data-set settings from the optional ``dataset.yml`` beside the tables."""

    name: str
    currency: str = "USD"
    fiscal_year_start_month: int = 1
    encoding: str | None = None  # force a text encoding for every CSV of the set

    @classmethod
    def read(cls, folder: Path) -> Settings:
        path = folder / _SETTINGS_FILE
        if not os.path.lexists(path):
            return cls(name=folder.name)
        unusable = _not_a_file(path)
        if unusable:
            raise DataError(unusable.describe(), [unusable])
        return cls(**{"name": folder.name, **config.read_dataset_settings(path)})


@dataclass(frozen=True)
class RawTable:
    """A raw-line table left on disk; DuckDB reads it through :meth:`DataSet.sql`."""

    table: str
    path: Path
    rows: int
    select: str  # a DuckDB SELECT producing the typed, canonical columns


@dataclass
class DataSet:
    """A checked canonical data set.

    Attributes
    ----------
    tables
        Small tables as typed DataFrames (RangeIndex), values outside controlled
        vocabularies set to missing.
    raw
        Raw-line tables left on disk, queried with :meth:`sql`.
    problems
        Every problem found, errors and findings.
    """

    path: Path
    settings: Settings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    raw: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def findings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "finding"]

    def has(self, name: str) -> bool:
        """Whether the data set holds table ``name``."""
        return name in self.tables or name in self.raw

    def table(self, name: str) -> pd.DataFrame:
        """A small table as a DataFrame (raw tables: an error pointing to :meth:`sql`)."""
        if name in self.tables:
            return self.tables[name]
        if name in self.raw:
            raise DataError(f"'{name}' is a raw-line table: aggregate it with DataSet.sql(...)")
        raise DataError(
            f"the data set {self.path} has no '{name}' table; add {name}.csv "
            f"(columns: {', '.join(TABLES[name].required)})"
        )

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run DuckDB SQL over the data set; every table is a view of its canonical name."""
        con = self._connection()
        return con.execute(query, params or []).df()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = connect()
            for name, df in self.tables.items():
                con.register(name, df)
            for name, raw in self.raw.items():
                con.execute(f"CREATE OR REPLACE VIEW {name} AS {raw.select}")
            self._con = con
        return self._con


def _fail(file: str, problem: str, fix: str = "", *, line: int | None = None) -> NoReturn:
    """Raise a DataError carrying one located Problem."""
    p = Problem("error", file, problem, fix, line=line)
    raise DataError(p.describe(), [p])


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that never downloads extensions.

    Memory is capped (``SALESNB_DUCKDB_MEMORY``, default 512MB); larger work spills
    to a temporary folder, so checking a 100-million-line file stays within bounds.
    """
    spill = Path(tempfile.gettempdir()) / "salesnb-duckdb"
    spill.mkdir(exist_ok=True)
    return duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": os.environ.get("SALESNB_DUCKDB_MEMORY", "512MB"),
            "temp_directory": str(spill),
        }
    )


# --------------------------------------------------------------------------- cells
def _sniff_bytes(path: Path, head: bytes) -> str | None:
    """The encoding of a text file's first bytes, or raise DataError for non-text."""
    name = path.name
    if not head:
        _fail(name, "the file is empty (0 bytes)", "export the table again or remove the file")
    if head.startswith(b"PK\x03\x04"):
        _fail(
            name,
            "this is an Excel workbook or ZIP archive, not a CSV file",
            "save it with the .xlsx extension, or export it as CSV",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head[:4096]:
        even, odd = head[0:4096:2], head[1:4096:2]
        if odd.count(0) > len(odd) * 0.4 or even.count(0) > len(even) * 0.4:
            _fail(
                name,
                "the text looks like UTF-16 without a byte-order mark",
                "save the file as 'CSV UTF-8' and try again",
            )
        _fail(
            name,
            "this is a binary file, not CSV text",
            "export the table as CSV (UTF-8), Excel (.xlsx) or Parquet",
        )
    return None


def _decode(path: Path, data: bytes, forced: str | None) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without BOM), else Windows-1252 / Latin-1."""
    if forced:
        try:
            return data.decode(forced), forced
        except (UnicodeDecodeError, LookupError) as exc:
            _fail(path.name, f"cannot be read as {forced} ({exc})", "fix 'encoding' in dataset.yml")
    bom = _sniff_bytes(path, data[:65536])
    if bom:
        return data.decode(bom), bom
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


_FIELDS_ERR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_ERR = re.compile(r"EOF inside string starting at row (\d+)")


@contextlib.contextmanager
def _any_field_size() -> Iterator[None]:
    """Let the csv module read fields of any length (its default stops at 128 KiB)."""
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _records(lines: Iterable[str], delim: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where it starts, fields) of each CSV record, header included.

    Physical lines are what an editor numbers: a quoted value holding line breaks makes
    its record span several. A blank line is a record without fields (DuckDB counts it
    as a record too). ``lines`` must keep their line ends (``newline=""``). Stops quietly
    where the csv module cannot go on (an unclosed quote at the end).
    """
    with _any_field_size():
        reader = csv.reader(lines, delimiter=delim)
        done = 0
        try:
            for fields in reader:
                yield done + 1, fields
                done = reader.line_num
        except csv.Error:
            return


def _pandas_skips(fields: list[str]) -> bool:
    """Whether pandas (``skip_blank_lines``) skips the record: empty or only spaces / tabs."""
    return not fields or (len(fields) == 1 and fields[0] != "" and not fields[0].strip(" \t"))


def _line_of_record(text: str, sep: str, record: int) -> int:
    """The physical line of record number ``record`` (0-based, blank lines counted)."""
    for i, (line, _) in enumerate(_records(io.StringIO(text, newline=""), sep)):
        if i == record:
            return line
    return record + 1


def _read_csv_text(path: Path, text: str) -> pd.DataFrame:
    sep = _delimiter(text)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        _fail(
            path.name,
            "the file has no header line and no rows",
            "export the table again with its column names",
        )
    except pd.errors.ParserError as exc:
        msg = str(exc)
        # pandas numbers records (blank lines included): turned into the lines an editor shows
        if m := _FIELDS_ERR.search(msg):
            want, line, saw = m.groups()
            _fail(
                path.name,
                f"{saw} fields where the header has {want}",
                "a value probably contains the delimiter without quotes: quote that value "
                "or export the file again",
                line=_line_of_record(text, sep, int(line) - 1),
            )
        if m := _EOF_ERR.search(msg):
            _fail(
                path.name,
                "a quote opened here is never closed",
                "close the quote or remove the stray quote character",
                line=_line_of_record(text, sep, int(m.group(1))),
            )
        _fail(path.name, f"cannot be parsed as CSV ({msg.strip()})", "export the file again")
    df.index = row_lines(text, sep, len(df))
    check_runaway_quote(df, sep, path.name)
    return df


def row_lines(text: str, sep: str, rows: int) -> pd.Index:
    """The physical line where each data row of ``text`` starts (header = line 1).

    Lines as an editor numbers them: a quoted value holding line breaks makes its row
    span several, and blank lines (which pandas skips) still count. Use it as the index
    of a frame read with ``pd.read_csv(..., skip_blank_lines=True)`` so that problems
    name the line a user sees.

    Parameters
    ----------
    text
        The decoded CSV text, header first.
    sep
        Its delimiter.
    rows
        How many data rows pandas read from it.

    Returns
    -------
    pd.Index
        ``rows`` line numbers. Should the csv module split the text into a different
        number of rows than pandas did, record numbers (2, 3, ...) instead.

    Examples
    --------
    >>> row_lines('id,name\\nA1,"two\\nlines"\\nA2,x\\n', ",", 2).tolist()
    [2, 4]
    """
    if '"' not in text and not re.search(r"(^|\r\n|\n|\r)[ \t]*(\r\n|\n|\r)", text):
        return pd.RangeIndex(2, rows + 2)
    starts = [
        line
        for line, fields in _records(io.StringIO(text, newline=""), sep)
        if not _pandas_skips(fields)
    ]
    if len(starts) == rows + 1:
        return pd.Index(starts[1:], dtype="int64")
    return pd.RangeIndex(2, rows + 2)  # the csv module split differently: records, not lines


def check_runaway_quote(df: pd.DataFrame, sep: str, file: str) -> None:
    """Fail when a stray quote made the parser swallow following lines into one value.

    A value holding a line break *and* a quote-delimiter-quote sequence is not a
    legitimate multi-line text: it is several records run together. A value holding the
    delimiter next to a stray quote is two fields glued together.
    """
    marker = f'"{sep}"'
    for col in df.columns:
        s = df[col].astype("str")
        runaway = s.str.contains("\n", regex=False) & s.str.contains(marker, regex=False)
        # '"Globex new,"Prospecting"' parses as one value with the delimiter and a stray quote
        # ... and the row comes up a field short at the end (inch marks like 8.5" do not)
        short = df[df.columns[-1]].isna() | (df[df.columns[-1]].astype("str").str.strip() == "")
        glued = (
            s.str.contains(sep, regex=False)
            & s.str.endswith('"')
            & (s.str.count('"') % 2 == 1)
            & short
        )
        hit = runaway | glued
        if hit.fillna(False).any():
            line = int(hit[hit.fillna(False)].index[0])
            _fail(
                file,
                f"a quote in column '{col}' is not closed where it should be, so the following "
                "lines ran into one value",
                "close the quote or remove the stray quote character",
                line=line,
            )


def _excel_cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return pd.NA
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _excel_damaged(path: Path, exc: BaseException) -> NoReturn:
    _fail(
        path.name,
        f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
        "the file may be truncated or damaged: save it again from Excel or export CSV",
    )


def _excel_sheet(path: Path, table: Table) -> str | int:
    """The sheet holding ``table``: the first whose header row has the table's required
    columns, else the one named like the table, else the only sheet.

    Workbooks often open with a README or a cover sheet; a table on another sheet is
    found by its header, and a workbook without it is an error naming its sheets.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _EXCEL_ERRORS as exc:
        _excel_damaged(path, exc)
    try:
        headers = {}
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers[sheet.title] = {_norm(v) for v in first if v is not None}
    except _EXCEL_ERRORS as exc:
        _excel_damaged(path, exc)
    finally:
        book.close()
    names = list(headers)
    needed = set(table.required)
    for name in names:
        if needed <= headers[name]:
            return name
    for name in names:
        found = table_for_file(name)
        if found is not None and found.name == table.name:
            return name
    if len(names) == 1:
        return names[0]  # its missing columns are reported as for any file
    _fail(
        path.name,
        f"no sheet holds the {table.name} table (sheets: {', '.join(map(repr, names))}); "
        f"expected a first row with the columns {', '.join(table.required)}",
        f"put the table on a sheet named '{table.name}', or give its first row those column names",
    )


def _read_excel(path: Path, table: Table | None = None) -> pd.DataFrame:
    sheet = 0 if table is None else _excel_sheet(path, table)
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except _EXCEL_ERRORS as exc:
        _excel_damaged(path, exc)
    df = df.map(_excel_cell).astype("str").where(df.notna())
    df.columns = [str(c) for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2)
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        _fail(path.name, f"not a readable Parquet file ({exc})", "write the file again")
    out = pd.DataFrame(
        {
            str(c): df[c].astype("str").where(df[c].notna())  # vectorised: ISO dates, plain numbers
            for c in df.columns
        }
    )
    out.index = pd.RangeIndex(1, len(df) + 1)  # row numbers, set after building: no alignment
    return out


def read_cells(
    path: Path, *, encoding: str | None = None, table: Table | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """A table file as strings, index = line numbers (Parquet: row numbers).

    ``table``: the canonical table the file holds; a workbook is then read from the
    sheet holding it (not necessarily the first).

    Raises
    ------
    DataError
        The file is empty, binary, damaged, or not parseable as a table.
    """
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    if suffix in (".xlsx", ".xlsm"):
        df = _read_excel(path, table)
    elif suffix == ".parquet":
        df = _read_parquet(path)
    else:
        data = path.read_bytes()
        text, used = _decode(path, data, encoding)
        if used in ("cp1252", "latin-1"):
            problems.append(
                Problem(
                    "finding",
                    path.name,
                    f"not UTF-8: read as {used} text",
                    "save the file as 'CSV UTF-8' so accents and symbols are certain; "
                    "or set 'encoding' in dataset.yml",
                )
            )
        df = _read_csv_text(path, text)
    if df.empty:
        _fail(
            path.name,
            f"the file has a header ({', '.join(map(str, df.columns[:8]))}) but no rows",
            "export the table again, or remove the file if the table is not used",
        )
    return df, problems


# --------------------------------------------------------------------------- mojibake
# Characters that start the Windows-1252 / Latin-1 reading of a UTF-8 multi-byte sequence
# ("é" -> "Ã©", "’" -> "â€™", "İ" -> "Ä°", "М" -> "Ðœ"): a cheap filter before ftfy looks.
_MOJIBAKE_MARKERS = "[ÂÃÄÅÆÇÐÑâãäåæçèé]"


@dataclass(frozen=True)
class Repair:
    """What :func:`repair_mojibake` changed in one column."""

    cells: int  # cells repaired
    before: str = ""  # an example as read ...
    after: str = ""  # ... and as repaired
    line: int | None = None  # where the example is (the Series' index)

    def describe(self) -> str:
        """``3 cell(s) ... e.g. 'MartÃ\xadn' -> 'Martín'``."""
        return (
            f"{self.cells:,} cell(s) repaired from mojibake (UTF-8 text that was read as "
            f"Windows-1252 / Latin-1), e.g. {self.before!r} -> {self.after!r}"
        )


def repair_mojibake(s: pd.Series) -> tuple[pd.Series, Repair]:
    """Text garbled by a wrong decoding ("MartÃ\xadn" for "Martín"), repaired with ftfy.

    Only cells holding a marker character (Ã, Â, â ...) are looked at, each distinct
    value once, and only those ftfy's badness measure calls mojibake are changed (with
    ``ftfy.fix_encoding``: no other normalisation), so correct accents are left alone
    and large columns stay cheap.

    Parameters
    ----------
    s
        A text column (strings or NA).

    Returns
    -------
    (repaired, repair)
        A new Series (the input is not changed) and what was repaired.

    Examples
    --------
    >>> fixed, r = repair_mojibake(pd.Series(["MartÃ\xadn", "Müller", None]))
    >>> fixed.tolist()[:2], r.cells
    (['Martín', 'Müller'], 1)
    """
    present = s.notna()
    txt = s.astype("str").where(present)
    marked = txt.str.contains(_MOJIBAKE_MARKERS, regex=True).fillna(False).astype(bool)
    if not marked.any():
        return s, Repair(0)
    fixes = {}
    for value in txt[marked].unique():
        if ftfy.badness.is_bad(value):
            fixed = ftfy.fix_encoding(value)
            if fixed != value:
                fixes[value] = fixed
    hit = marked & txt.isin(list(fixes))
    if not hit.any():
        return s, Repair(0)
    out = s.copy()
    out[hit] = txt[hit].map(fixes)
    first = str(txt[hit].iloc[0])
    at = txt[hit].index[0]
    line = int(at) if isinstance(at, int | np.integer) else None
    return out, Repair(int(hit.sum()), first, fixes[first], line)


def _repair_text_columns(
    cells: pd.DataFrame, table: Table, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Mojibake repaired in memory in the table's free-text columns, one finding per column."""
    kinds = {c.name: c.kind for c in table.columns}
    problems = []
    out = cells
    for col in cells.columns:
        if kinds.get(_norm(col), "text") != "text":
            continue
        fixed, repair = repair_mojibake(cells[col])
        if repair.cells:
            out = out.assign(**{col: fixed})
            problems.append(
                Problem(
                    "finding",
                    file,
                    repair.describe(),
                    "the file is unchanged and the text was repaired for this analysis; "
                    "export it again as UTF-8, or correct the names in the source system",
                    table.name,
                    _norm(col),
                    repair.line,
                )
            )
    return out, problems


# --------------------------------------------------------------------------- data sets
def _not_a_file(path: Path) -> Problem | None:
    """The error for a path that cannot be read as a file, else None; never opens it.

    A named pipe (FIFO), device or socket would block a reader forever, a folder cannot
    be read, and a symbolic link may loop or point nowhere: all are refused up front.
    """
    try:
        mode = path.stat().st_mode  # follows links: what a reader would open
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            what = "a symbolic link that loops (it points, directly or not, at itself)"
            fix = "replace the link with the file it should point at"
        elif path.is_symlink():
            what = f"a symbolic link to {os.readlink(path)!s}, which does not exist"
            fix = "replace the link with the file it should point at"
        else:
            what = f"cannot be opened ({exc.strerror or exc})"
            fix = "check the file's permissions"
        return Problem("error", path.name, what, fix)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        what = "a folder, not a file"
        fix = "put the file itself here, or rename the folder"
    else:
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        what = f"{kind}, not a regular file; it is not read"
        fix = "replace it with the exported file"
    return Problem("error", path.name, what, fix)


def _table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == _SETTINGS_FILE:
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
        unusable = _not_a_file(path)
        if unusable:
            problems.append(replace(unusable, table=table.name))
            continue
        if table.name in files:
            _fail(
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
        unusable = _not_a_file(path)
        if unusable:
            ds.problems.append(replace(unusable, table=table.name))
            return ds
        files = {table.name: path}
    ds.files = files
    # accounts and products first: other tables' foreign keys point at them
    order = sorted(files, key=lambda t: (t not in ("accounts", "products"), t in RAW_TABLES, t))
    for name in order:
        if progress:
            progress(name)
        if name in RAW_TABLES and files[name].suffix.lower() in (
            ".csv",
            ".tsv",
            ".txt",
            ".parquet",
        ):
            _read_raw(ds, TABLES[name], files[name])
        else:
            _read_small(ds, TABLES[name], files[name])
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


def _refs(ds: DataSet) -> dict[str, pd.Index]:
    """Ids of the tables others refer to; a table without its key column has none to offer
    (its missing column is already an error), so references to it are not checked."""
    return {
        name: pd.Index(ds.tables[name][TABLES[name].key[0]].dropna().unique())
        for name in ("accounts", "products")
        if name in ds.tables and TABLES[name].key[0] in ds.tables[name].columns
    }


def _read_small(ds: DataSet, table: Table, path: Path) -> None:
    try:
        cells, problems = read_cells(path, encoding=ds.settings.encoding, table=table)
    except DataError as exc:
        ds.problems += exc.problems
        return
    cells, repaired = _repair_text_columns(cells, table, path.name)
    problems += repaired
    typed, parse_problems, unparsed = parse_table(cells, table, file=path.name)
    problems += parse_problems
    if all(c in typed.columns for c in table.required):
        # rows with unparseable cells already have an error: do not report them twice
        checked = typed.drop(index=unparsed)
        problems += check_table(checked, table, file=path.name, refs=_refs(ds))
        problems += check_currency(checked, table, file=path.name, currency=ds.settings.currency)
    ds.problems += problems
    ds.rows[table.name] = len(typed)
    ds.tables[table.name] = _clean(typed, table)


def _clean(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Values outside a controlled vocabulary become missing; index becomes 0..n-1."""
    from .schema import CATEGORIES

    out = df.copy()
    for col, allowed in CATEGORIES.items():
        if col in out.columns and col in table.names:
            out[col] = out[col].where(out[col].isin(allowed))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- raw tables
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _norm(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_")


# the encodings DuckDB's CSV reader knows, by Python's name for them
_DUCK_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16",
    "iso8859-1": "latin-1",
}


def _duck_encoding(path: Path, forced: str) -> str:
    """DuckDB's name for the ``encoding:`` of dataset.yml, or a DataError if it has none."""
    found = _DUCK_ENCODINGS.get(codecs.lookup(forced).name)
    if found is None:
        _fail(
            path.name,
            f"large tables are read as utf-8, utf-16 or latin-1 only, but dataset.yml sets "
            f"encoding: {forced}",
            f"save {path.name} as 'CSV UTF-8' (and delete the encoding line), or set "
            "encoding: latin-1 if that reads it right",
        )
    return found


def _csv_layout(path: Path, forced: str | None) -> tuple[str, str, list[str]]:
    """Encoding (DuckDB name), delimiter and header of a large CSV, from its first bytes."""
    size = 1 << 20
    with path.open("rb") as fh:
        head = fh.read(size)
    whole = len(head) < size
    bom = _sniff_bytes(path, head)
    if forced:
        encoding = _duck_encoding(path, forced)
    elif bom:
        encoding = "utf-16"
    else:
        try:  # a cut multi-byte character at the end of a partial read is not an error
            (head if whole else head[:-4]).decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = head.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
    text = text.lstrip("\ufeff")
    delim = _delimiter(text)
    header = next(_records(io.StringIO(text, newline=""), delim), (1, []))[1]
    if not any(h.strip() for h in header) and text.strip():
        _fail(
            path.name,
            "the first line is blank, but it must hold the column names",
            "remove the blank lines before the header",
            line=1,
        )
    if not header:
        _fail(
            path.name, "the file has no header line", "export the table again with its column names"
        )
    return encoding, delim, header


def _read_raw(ds: DataSet, table: Table, path: Path, *, encoding_retry: str | None = None) -> None:
    """Check a raw-line table with DuckDB, streaming it from disk (never whole in pandas).

    One pass reads every cell as text, turns the missing-value tokens of each column's
    kind into NULL (:func:`salesnb.schema.missing_tokens`) and counts everything:
    keys, gaps, orphans, currencies and cells that are not values of their kind
    (numbers must be finite and below :data:`~salesnb.schema.MAX_MAGNITUDE`). Only
    when some cells are bad does a second pass locate them by line.
    """
    name = path.name
    is_csv = path.suffix.lower() != ".parquet"
    first_problem = len(ds.problems)
    try:
        if is_csv:
            encoding, delim, header = _csv_layout(path, encoding_retry or ds.settings.encoding)
            source_types = dict.fromkeys(header, "VARCHAR")
        else:
            source_types = _parquet_types(connect(), path)
            header = list(source_types)
    except DataError as exc:
        ds.problems += exc.problems
        return
    except duckdb.Error as exc:
        if not _users_fault(exc, is_csv):
            raise
        ds.problems.append(_duck_error(name, table, exc, path))
        return
    norm = [_norm(h) for h in header]
    dupes = sorted({n for n in norm if norm.count(n) > 1})
    missing = [c for c in table.required if c not in norm]
    for col in dupes:
        ds.problems.append(
            Problem(
                "error",
                name,
                f"the column '{col}' appears more than once",
                "keep one column of that name",
                table.name,
                col,
                1,
            )
        )
    for col in missing:
        ds.problems.append(
            Problem(
                "error",
                name,
                f"required column '{col}' is missing (columns found: {', '.join(norm[:12])})",
                f"add a '{col}' column or rename the one that holds it",
                table.name,
                col,
                1,
            )
        )
    if missing or dupes:
        return
    known = {c.name: c.kind for c in table.columns}
    kinds = {n: known.get(n, "text") for n in norm}
    if is_csv:
        if encoding == "latin-1" and not ds.settings.encoding:
            ds.problems.append(
                Problem(
                    "finding",
                    name,
                    "not UTF-8: read as latin-1 text",
                    "save the file as 'CSV UTF-8'",
                    table.name,
                )
            )
        base = _csv_source(path, delim, encoding, dict.fromkeys(norm, "VARCHAR"))
        rej = f"rej_{table.name}"
        checked = (
            f"{base}, store_rejects=true, rejects_table={_lit(rej)}, "
            f"rejects_scan={_lit(rej + '_scan')}, rejects_limit=1000)"
        )
        plain = f"{base}, ignore_errors=true)"
        cells = {n: _q(n) for n in norm}
    else:
        checked = plain = f"read_parquet({_lit(str(path))})"
        cells = {n: _q(h) for h, n in zip(header, norm, strict=True)}
    present = {
        n: _present_sql(cells[n], kinds[n], source_types[h])
        for h, n in zip(header, norm, strict=True)
    }
    cells_checked = "SELECT " + ", ".join(f"{present[n]} AS {_q(n)}" for n in norm)
    inner = f"{cells_checked} FROM {checked}"
    typed = "SELECT " + ", ".join(
        f"{_view_sql(cells[n], present[n], kinds[n], source_types[h])} AS {_q(n)}"
        for h, n in zip(header, norm, strict=True)
    )
    typed += f" FROM {plain}"
    con = connect()
    try:
        n_rows, bad = _raw_stats(con, ds, table, inner, norm, kinds)
        if is_csv:
            bad_encoding = _raw_rejects(con, ds, table, path, rej, encoding=encoding, delim=delim)
            if bad_encoding and encoding == "utf-8" and not ds.settings.encoding:
                # UTF-8 at the start, something else further down: read it all as Latin-1
                del ds.problems[first_problem:]
                _read_raw(ds, table, path, encoding_retry="latin-1")  # reports the encoding finding
                return
        if bad:
            if is_csv:
                located = _locate_csv(con, path, delim, encoding, norm, kinds)
            else:
                located = _locate_parquet(con, path, header, norm, kinds, present)
            ds.problems += _bad_cell_problems(bad, located, kinds, name, table.name)
    except duckdb.Error as exc:
        if not _users_fault(exc, is_csv):
            raise
        ds.problems.append(_duck_error(name, table, exc, path))
        return
    ds.rows[table.name] = n_rows
    if n_rows == 0 and not any(p.file == name and p.severity == "error" for p in ds.problems):
        ds.problems.append(
            Problem(
                "error",
                name,
                "the file has a header but no rows",
                "export the table again, or remove the file",
                table.name,
            )
        )
        return
    ds.raw[table.name] = RawTable(table.name, path, n_rows, typed)


def _csv_source(path: Path, delim: str, encoding: str, columns: dict[str, str]) -> str:
    """The start of a DuckDB ``read_csv(...`` call (no closing parenthesis) with these column types."""
    types = "{" + ", ".join(f"{_lit(c)}: {_lit(t)}" for c, t in columns.items()) + "}"
    return (
        f"read_csv({_lit(str(path))}, header=true, auto_detect=false, delim={_lit(delim)}, "
        f"quote='\"', escape='\"', encoding={_lit(encoding)}, columns={types}"
    )


def _physical_lines(
    path: Path, encoding: str, delim: str, records: Iterable[int]
) -> dict[int, int]:
    """Record numbers as DuckDB gives them (header = 1, blank lines counted) -> physical lines.

    DuckDB numbers records, so a quoted value holding line breaks shifts every later
    record from the line an editor shows. A file without any quote character has one
    record per line; otherwise the file is read up to the last record asked for.
    """
    want = sorted(set(records))
    if not want:
        return {}
    quoted = False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if b'"' in chunk:
                quoted = True
                break
    if not quoted:
        return {r: r for r in want}
    found: dict[int, int] = {}
    text_encoding = (
        "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    )
    with path.open(encoding=text_encoding, errors="replace", newline="") as fh:
        for number, (line, _) in enumerate(_records(fh, delim), start=1):
            if number in want:
                found[number] = line
            if number >= want[-1]:
                break
    return {r: found.get(r, r) for r in want}


def _parquet_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a Parquet file (from its footer only)."""
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _present_sql(cell: str, kind: str, source_type: str) -> str:
    """SQL for a cell, or NULL where it means "no value" in a ``kind`` column.

    The tokens come from :func:`salesnb.schema.missing_tokens`, the rule pandas parsing
    uses too; a NaN stored in a Parquet float column is the token "nan" as a number.
    """
    if source_type == "VARCHAR":
        tokens = missing_tokens(kind)
        # the length test first, so ids and names are never matched; a regular expression,
        # because DuckDB turns a long IN list into a join that reads every column
        longest = max(len(t.encode()) for t in tokens)
        pattern = "(?i)(" + "|".join(re.escape(t) for t in sorted(tokens)) + ")"
        is_token = f"strlen({cell}) <= {longest} AND regexp_full_match({cell}, {_lit(pattern)})"
        return f"CASE WHEN {is_token} THEN NULL ELSE {cell} END"
    if source_type in ("FLOAT", "DOUBLE"):
        return f"CASE WHEN isnan({cell}) THEN NULL ELSE {cell} END"
    return cell


def _number_sql(cell: str) -> str:
    return f"TRY_CAST({cell} AS DOUBLE)"


def _typed_sql(cell: str, kind: str) -> str:
    """SQL for a cell (missing tokens already NULL) as its kind's type; NULL when it is not one.

    Numbers must be finite and below MAX_MAGNITUDE (``abs(NaN) < x`` is false in DuckDB).
    """
    if kind == "date":
        return f"CAST(TRY_CAST({cell} AS TIMESTAMP) AS DATE)"
    if kind == "bool":
        return f"TRY_CAST({cell} AS BOOLEAN)"
    if kind in NUMERIC_KINDS:
        x = _number_sql(cell)
        usable = f"abs({x}) < {MAX_MAGNITUDE!r}"
        if kind == "int":
            return f"CAST(CASE WHEN {usable} AND {x} = round({x}) THEN {x} END AS BIGINT)"
        return f"CASE WHEN {usable} THEN {x} END"
    return cell


def _view_sql(cell: str, present: str, kind: str, source_type: str) -> str:
    """SQL for a column of the analysis view: canonical type, unusable values NULL.

    Parquet columns already of the right type skip the text steps (a NaN float fails
    ``abs(x) < MAX_MAGNITUDE`` like infinity does).
    """
    if kind in NUMERIC_KINDS and kind != "int" and source_type in _DUCK_NUMBERS:
        return f"CASE WHEN abs({cell}) < {MAX_MAGNITUDE!r} THEN CAST({cell} AS DOUBLE) END"
    if kind == "date" and source_type in ("DATE", "TIMESTAMP"):
        return f"CAST({cell} AS DATE)"
    return _typed_sql(present, kind)


_DUCK_NUMBERS = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT")


def _bad_conditions(cell: str, kind: str) -> dict[str, str]:
    """SQL conditions, per reason, for a cell that is present but not a value of its kind."""
    if kind in NUMERIC_KINDS:
        x = _number_sql(cell)
        whole = f" OR {x} <> round({x})" if kind == "int" else ""
        return {
            "not_a_number": f"{cell} IS NOT NULL AND ({x} IS NULL{whole})",
            "not_finite": f"NOT isfinite({x})",
            "too_large": f"isfinite({x}) AND abs({x}) >= {MAX_MAGNITUDE!r}",
        }
    if kind in ("date", "bool"):
        return {"not_a_number": f"{cell} IS NOT NULL AND {_typed_sql(cell, kind)} IS NULL"}
    return {}


def _users_fault(exc: duckdb.Error, is_csv: bool) -> bool:
    """Whether DuckDB failed on the file (a user's problem) rather than on our SQL (a bug).

    A damaged Parquet file makes DuckDB's Thrift reader raise the base ``duckdb.Error``.
    """
    return isinstance(exc, _DUCK_USER_ERRORS) or (not is_csv and type(exc) is duckdb.Error)


def _duck_error(name: str, table: Table, exc: Exception, path: Path | None = None) -> Problem:
    text = str(exc).strip()
    line = re.search(r"[Ll]ine:? (\d+)", text)
    first = text.splitlines()[0] if text else type(exc).__name__
    mixed = _mixed_line_endings(path) if path is not None and "state machine" in text else None
    if mixed:
        crlf, lf = mixed
        return Problem(
            "error",
            name,
            "mixes Windows (CRLF) and Unix (LF) line endings "
            f"(line {crlf} ends with CRLF, line {lf} with LF), so its rows cannot be told apart",
            "save the file again with one kind of line ending (re-export it, set the "
            "editor's line endings, or run dos2unix on a copy)",
            table.name,
            None,
            max(crlf, lf),
        )
    return Problem(
        "error",
        name,
        f"cannot be read as a table ({first})",
        "export the file again as CSV (UTF-8, comma-separated) or Parquet",
        table.name,
        None,
        int(line.group(1)) if line else None,
    )


def _mixed_line_endings(path: Path, limit: int = 1 << 26) -> tuple[int, int] | None:
    """(a line ending CRLF, a line ending LF) when the file's first ``limit`` bytes hold both."""
    try:
        with path.open("rb") as fh:
            head = fh.read(limit)
    except OSError:
        return None
    crlf = head.find(b"\r\n")
    lf = re.search(rb"(?<!\r)\n", head)
    if crlf < 0 or lf is None:
        return None
    return head.count(b"\n", 0, crlf) + 1, head.count(b"\n", 0, lf.start()) + 1


def _raw_stats(
    con: duckdb.DuckDBPyConnection,
    ds: DataSet,
    table: Table,
    cells: str,
    cols: list[str],
    kinds: dict[str, str],
) -> tuple[int, dict[tuple[str, str], int]]:
    """One pass over the file for every count; short ones only for examples.

    ``cells`` is a SELECT of the columns as read, missing-value tokens already NULL.
    Returns the number of rows and the count of bad cells per (column, reason).
    """
    key = table.key[0]
    name = ds.files[table.name].name
    needed = [c.name for c in table.columns if c.needed and c.name in cols and c.name != key]
    ids = _refs(ds)
    refs = {c: t for c, t in table.references.items() if c in cols and t in ids}
    parts = [
        "count(*) AS n",
        f"count(*) - count(t.{_q(key)}) AS null_key",
        f"count(t.{_q(key)}) - count(DISTINCT hash(t.{_q(key)})) AS dup_key",  # 8-byte hashes: far less memory
    ]
    parts += [f"count(t.{_q(c)}) AS {_q('n_' + c)}" for c in cols]
    checks = {
        (c, reason): cond
        for c in cols
        for reason, cond in _bad_conditions(f"t.{_q(c)}", kinds[c]).items()
    }
    parts += [
        f"count(*) FILTER (WHERE {cond}) AS {_q(f'bad:{c}:{reason}')}"
        for (c, reason), cond in checks.items()
    ]
    joins = []
    for i, (col, target) in enumerate(refs.items()):
        tkey = TABLES[target].key[0]
        con.register(f"ref_{target}", pd.DataFrame({tkey: ids[target]}))
        joins.append(f"LEFT JOIN ref_{target} r{i} ON t.{_q(col)} = r{i}.{_q(tkey)}")
        parts.append(
            f"count(t.{_q(col)}) FILTER (WHERE r{i}.{_q(tkey)} IS NULL) AS {_q('orphan_' + col)}"
        )
    if "currency" in cols:
        parts.append(
            "list(DISTINCT upper(t.currency)) FILTER (WHERE t.currency IS NOT NULL) AS currencies"
        )
    # fetch the whole result: DuckDB fills the rejects table only once the query is finished
    result = con.execute(f"SELECT {', '.join(parts)} FROM ({cells}) t {' '.join(joins)}")
    names = [d[0] for d in result.description]
    stats = dict(zip(names, result.fetchall()[0], strict=True))
    n = int(stats["n"])
    bad = {cr: int(stats[f"bad:{cr[0]}:{cr[1]}"]) for cr in checks}

    def examples(where: str, select: str) -> str:
        got = con.execute(
            f"SELECT {select} FROM ({cells}) t {' '.join(joins)} WHERE {where} LIMIT {_EXAMPLES}"
        ).fetchall()
        return ", ".join(str(g[0]) for g in got)

    if stats["null_key"]:
        ds.problems.append(
            Problem(
                "error",
                name,
                "lines without an id",
                f"give every line its {key}",
                table.name,
                key,
                None,
                stats["null_key"],
            )
        )
    if stats["dup_key"]:  # hashes may collide: count exactly before reporting
        stats["dup_key"] = con.execute(
            f"SELECT count(*) - count(DISTINCT {_q(key)}) FROM ({cells}) WHERE {_q(key)} IS NOT NULL"
        ).fetchall()[0][0]
    if stats["dup_key"]:
        dup = con.execute(
            f"SELECT {_q(key)} FROM ({cells}) GROUP BY 1 HAVING count(*) > 1 LIMIT {_EXAMPLES}"
        ).fetchall()
        ds.problems.append(
            Problem(
                "error",
                name,
                "ids that appear more than once",
                "keep one line per id, or give each line its own id "
                "(salesnb import can generate line ids)",
                table.name,
                key,
                None,
                stats["dup_key"],
                f"{key} " + ", ".join(str(d[0]) for d in dup),
            )
        )
    for col in needed:
        missing = n - int(stats[f"n_{col}"])
        if missing:
            what = (
                "left out of per-account figures"
                if col == "account_id"
                else "left out where it is needed"
            )
            ds.problems.append(
                Problem(
                    "finding",
                    name,
                    f"no value; these lines are {what}",
                    "fill it in the source system and export again",
                    table.name,
                    col,
                    None,
                    missing,
                    f"{key} " + examples(f"t.{_q(col)} IS NULL", f"t.{_q(key)}"),
                )
            )
    for i, (col, target) in enumerate(refs.items()):
        orphans = stats[f"orphan_{col}"]
        if orphans:
            tkey = TABLES[target].key[0]
            ds.problems.append(
                Problem(
                    "finding",
                    name,
                    f"refers to an id not in {target}",
                    f"add the missing rows to {target}, or correct the id",
                    table.name,
                    col,
                    None,
                    orphans,
                    f"{col} "
                    + examples(
                        f"t.{_q(col)} IS NOT NULL AND r{i}.{_q(tkey)} IS NULL", f"t.{_q(col)}"
                    ),
                )
            )
    if stats.get("currencies"):
        counts = dict(
            con.execute(
                f"SELECT upper(currency), count(*) FROM ({cells}) WHERE currency IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
        found = currency_problem(counts, currency=ds.settings.currency, file=name, table=table.name)
        if found:
            ds.problems.append(found)
    return n, {k: v for k, v in bad.items() if v}


def _raw_rejects(
    con: duckdb.DuckDBPyConnection,
    ds: DataSet,
    table: Table,
    path: Path,
    rej: str,
    *,
    encoding: str,
    delim: str,
) -> bool:
    """Report the lines DuckDB could not split; True when some were rejected for their encoding."""
    try:
        rows = con.execute(f"SELECT line, error_type FROM {rej} ORDER BY line").fetchall()
    except duckdb.CatalogException:  # DuckDB creates the table only when a line was rejected
        return False
    by_kind: dict[str, list[tuple[Any, ...]]] = {}
    lines = _physical_lines(path, encoding, delim, (int(r[0]) for r in rows))
    for r in rows:
        by_kind.setdefault(str(r[1]), []).append((lines[int(r[0])], r[1]))
    more = " (only the first 1,000 bad lines are listed)" if len(rows) >= 1000 else ""
    for etype, items in by_kind.items():
        shown = ", ".join(str(i[0]) for i in items[1 : _EXAMPLES + 1])
        ds.problems.append(
            Problem(
                "error",
                path.name,
                f"the line does not split into the header's columns ({etype.lower()}){more}",
                "quote values that contain the delimiter, close every quote, or export again",
                table.name,
                None,
                int(items[0][0]),
                len(items),
                f"lines {shown}" if shown else "",
            )
        )
    return any(r[1] == "INVALID ENCODING" for r in rows)


# Reading numbers as decimals with log10(MAX_MAGNITUDE) = 15 integer digits makes DuckDB
# reject, with their line, the cells that are infinite, not-a-number or MAX_MAGNITUDE and more.
_DECIMAL = f"DECIMAL(38,{38 - round(math.log10(MAX_MAGNITUDE))})"
_LOCATE_TYPES = {
    "money": _DECIMAL,
    "number": _DECIMAL,
    "fraction": _DECIMAL,
    "int": "BIGINT",
    "date": "TIMESTAMP",
    "bool": "BOOLEAN",
}


def _case_variants(tokens: frozenset[str]) -> list[str]:
    """Every upper / lower case spelling of the tokens (DuckDB's ``nullstr`` compares exactly)."""
    out: set[str] = set()
    for token in tokens:
        spellings = [""]
        for ch in token:
            spellings = [s + c for s in spellings for c in {ch.lower(), ch.upper()}]
        out.update(spellings)
    return sorted(out)


Located = dict[tuple[str, str], list[tuple[int, str]]]


def _locate_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    delim: str,
    encoding: str,
    cols: list[str],
    kinds: dict[str, str],
) -> Located:
    """Lines and values of the bad cells: a second pass in which DuckDB casts and rejects.

    Text columns stay text, so the tokens of the typed kinds can be DuckDB's null strings.
    """
    typed = {c: _LOCATE_TYPES.get(kinds[c], "VARCHAR") for c in cols}
    nulls = frozenset().union(*(missing_tokens(kinds[c]) for c in cols if typed[c] != "VARCHAR"))
    source = _csv_source(path, delim, encoding, typed)
    nullstr = "[" + ", ".join(_lit(t) for t in _case_variants(nulls)) + "]"
    rej = "rej_locate"
    counts = ", ".join(f"count({_q(c)})" for c in cols if typed[c] != "VARCHAR")  # cast them all
    con.execute(
        f"SELECT {counts} FROM {source}, nullstr={nullstr}, store_rejects=true, "
        f"rejects_table={_lit(rej)}, rejects_scan={_lit(rej + '_scan')}, rejects_limit=1000)"
    ).fetchall()
    try:
        rows = con.execute(
            f"SELECT line, column_name, error_message, csv_line FROM {rej} "
            "WHERE error_type = 'CAST' ORDER BY line"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    located: Located = {}
    lines = _physical_lines(path, encoding, delim, (int(r[0]) for r in rows))
    for record, col, message, csv_line in rows:
        line = lines[int(record)]
        col = str(col)
        found = re.search(r'string "(.*?)"', str(message))
        value = found.group(1) if found else str(csv_line)[:40]
        kind = kinds.get(col, "text")
        reason = number_trouble(value) if kind in NUMERIC_KINDS else "not_a_number"
        located.setdefault((col, reason), []).append((int(line), value))
    return located


def _locate_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    cols: list[str],
    kinds: dict[str, str],
    present: dict[str, str],
) -> Located:
    """Row numbers and values of the bad cells of a Parquet file."""
    source = f"read_parquet({_lit(str(path))}, file_row_number=true)"
    select = ", ".join(f"{present[c]} AS {_q(c)}" for c in cols)
    located: Located = {}
    for col in cols:
        for reason, cond in _bad_conditions(_q(col), kinds[col]).items():
            got = con.execute(
                f"SELECT file_row_number + 1 AS row, CAST({_q(col)} AS VARCHAR) "
                f"FROM (SELECT file_row_number, {select} FROM {source}) "
                f"WHERE {cond} ORDER BY 1 LIMIT {_EXAMPLES}"
            ).fetchall()
            if got:
                located[(col, reason)] = [(int(r), str(v)) for r, v in got]
    return located


def _bad_cell_problems(
    bad: dict[tuple[str, str], int],
    located: Located,
    kinds: dict[str, str],
    name: str,
    table: str,
) -> list[Problem]:
    """One error per column and reason, with the first line, value and the fix."""
    problems = []
    for (col, reason), count in bad.items():
        where = located.get((col, reason), [])
        problem, fix = cell_problem(where[0][1] if where else "", kinds[col])
        if not where:  # not among the first 1,000 rejected lines
            problem = f"values that cannot be used ({reason.replace('_', ' ')})"
        unit = "rows" if name.lower().endswith(".parquet") else "lines"
        rest = where[1:_EXAMPLES]
        examples = (
            f"{unit} "
            + ", ".join(str(r[0]) for r in rest)
            + "; values "
            + ", ".join(repr(r[1])[:40] for r in rest)
            if rest
            else ""
        )
        problems.append(
            Problem(
                "error",
                name,
                problem,
                fix,
                table,
                col,
                where[0][0] if where else None,
                count,
                examples,
            )
        )
    return problems


# --------------------------------------------------------------------------- aggregates
def revenue_by(
    ds: DataSet,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    by: tuple[str, ...] = ("account_id",),
    fiscal_start: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Net revenue per ``by`` in ``[start, end]``, aggregated where the data lives.

    Revenue comes from order lines when the data set has them (net: credits and
    cancellations count negative), else from won opportunities at their close date.
    Lines without an account are left out and counted in the returned info.

    ``by`` may include ``quarter`` (the fiscal quarter label of each line's date).

    Returns
    -------
    (table, info)
        ``table`` has the ``by`` columns and ``revenue``, one row per group with a
        non-zero sum; ``info`` says the source and what was left out.
    """
    if ds.has("orders"):
        source, date, value, where = "orders", "order_date", "amount", ""
    elif ds.has("opportunities"):
        source, date, value, where = "opportunities", "close_date", "amount", "AND outcome = 'won'"
        if "outcome" not in ds.table("opportunities").columns:
            raise DataError(
                "opportunities have no 'outcome' column: cannot tell won deals; add outcome"
            )
    else:
        raise DataError(f"{ds.path}: revenue needs an orders table or an opportunities table")
    shift = (12 - fiscal_start + 1) % 12  # fiscal year named by the calendar year it ends in
    moved = f"({_q(date)} + INTERVAL {shift} MONTH)"
    period = (
        f"CAST(year({moved}) AS VARCHAR) || 'Q' || CAST(quarter({moved}) AS VARCHAR) AS quarter"
    )
    cols = ", ".join(period if c == "quarter" else _q(c) for c in by)
    table = ds.sql(
        # rounded to the cent: parallel sums differ in the last bits, and ties must rank the same every run
        f"SELECT {cols}, round(sum({_q(value)}), 2) AS revenue, count(*) AS lines FROM {source} "
        f"WHERE {_q(date)} BETWEEN ? AND ? {where} GROUP BY ALL",
        [start.date(), end.date()],
    )
    orphan = (
        table["account_id"].isna() if "account_id" in by else pd.Series(False, index=table.index)
    )
    info = {
        "source": source,
        "lines": int(table["lines"].sum()),
        "unassigned_lines": int(table.loc[orphan, "lines"].sum()),
        "unassigned_revenue": float(table.loc[orphan, "revenue"].sum()),
    }
    out = table.loc[~orphan].drop(columns="lines")
    out = (
        out[out["revenue"].fillna(0) != 0]
        .sort_values(list(by), kind="stable")
        .reset_index(drop=True)
    )
    return out, info


def activity_by_account(ds: DataSet, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Logged activity per account in ``[start, end]``: count and minutes (DuckDB aggregate).

    Activities without ``duration_minutes`` count 30 minutes each (a typical call or
    meeting); lines without an account are left out. No activities table: an empty frame.
    """
    if not ds.has("activities"):
        return pd.DataFrame(
            {
                "account_id": pd.Series(dtype="str"),
                "activities": pd.Series(dtype="int64"),
                "minutes": pd.Series(dtype="float64"),
            }
        )
    has_minutes = "duration_minutes" in ds.sql("SELECT * FROM activities LIMIT 0").columns
    minutes = "coalesce(duration_minutes, 30)" if has_minutes else "30"
    return ds.sql(
        f"SELECT account_id, count(*) AS activities, sum({minutes}) AS minutes FROM activities "
        "WHERE activity_date BETWEEN ? AND ? AND account_id IS NOT NULL GROUP BY 1 ORDER BY 1",
        [start.date(), end.date()],
    )


def spend_to_date(ds: DataSet, dates: list[pd.Timestamp]) -> pd.DataFrame:
    """Revenue per account up to each date (orders, else won opportunities): as_of, account_id, spend."""
    if ds.has("orders"):
        source, date, where = "orders", "order_date", ""
    elif ds.has("opportunities") and "outcome" in ds.table("opportunities"):
        source, date, where = "opportunities", "close_date", "AND outcome = 'won'"
    else:
        return pd.DataFrame(columns=["as_of", "account_id", "spend"])
    parts = [
        f"SELECT DATE '{d.date()}' AS as_of, account_id, round(sum(amount), 2) AS spend FROM {source} "
        f"WHERE {date} <= DATE '{d.date()}' AND account_id IS NOT NULL {where} GROUP BY account_id"
        for d in dates
    ]
    out = ds.sql(" UNION ALL ".join(parts) + " ORDER BY as_of, account_id")
    out["as_of"] = pd.to_datetime(out["as_of"])
    return out


def last_activity(ds: DataSet) -> pd.Series | None:
    """Date of the last logged activity per account (None without an activities table)."""
    if not ds.has("activities"):
        return None
    t = ds.sql(
        "SELECT account_id, max(activity_date) AS last FROM activities WHERE account_id IS NOT NULL GROUP BY 1"
    )
    return pd.to_datetime(t.set_index("account_id")["last"])
