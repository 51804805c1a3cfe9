"""Reading any table file as text cells, and writing files atomically.

What every reader of the kit shares (the data set in :mod:`salesnb.dataset` and the
CRM importer in :mod:`salesnb.crm`): text encodings (byte-order marks, UTF-8, then
Windows-1252 / Latin-1) and telling text from binary files; CSV delimiters; records and
the physical lines an editor shows (:func:`row_lines`); runaway quotes; Excel workbooks,
their cells and the sheet holding a table; Parquet; mojibake repair; paths that are no
readable file. Every problem is a :class:`~salesnb.schema.DataError` that names the file,
the line and the fix.

Input files are only ever opened for reading; output is written by :func:`atomic_path`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import ftfy
import ftfy.badness
import numpy as np
import pandas as pd

from .schema import DataError, Problem, Table, table_for_file

__all__ = [
    "SUFFIXES",
    "TYPED_KINDS",
    "Repair",
    "as_text",
    "atomic_path",
    "check_runaway_quote",
    "csv_layout",
    "excel_cell",
    "fail",
    "mixed_line_endings",
    "norm_header",
    "not_a_file",
    "physical_lines",
    "read_cells",
    "repair_mojibake",
    "repair_text_columns",
    "row_lines",
    "sniff_bytes",
    "sniff_delimiter",
]


SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xlsm")


def _excel_errors() -> tuple[type[BaseException], ...]:
    """What a damaged workbook makes openpyxl raise (openpyxl is imported only for workbooks)."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        EOFError,
        zlib.error,
        SyntaxError,  # xml.etree.ElementTree.ParseError
        InvalidFileException,
    )


def fail(file: str, problem: str, fix: str = "", *, line: int | None = None) -> NoReturn:
    """Raise a DataError carrying one located Problem."""
    p = Problem("error", file, problem, fix, line=line)
    raise DataError(p.describe(), [p])


# ----------------------------------------------------- encodings and CSV text


def sniff_bytes(path: Path, head: bytes) -> str | None:
    """The encoding of a text file's first bytes, or raise DataError for non-text."""
    name = path.name
    if not head:
        fail(name, "the file is empty (0 bytes)", "export the table again or remove the file")
    if head.startswith(b"PK\x03\x04"):
        fail(
            name,
            "this is an Excel workbook or ZIP archive, not a CSV file",
            "save it with the .xlsx extension, or export it as CSV",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head[:4096]:
        even, odd = head[0:4096:2], head[1:4096:2]
        if odd.count(0) > len(odd) * 0.4 or even.count(0) > len(even) * 0.4:
            fail(
                name,
                "the text looks like UTF-16 without a byte-order mark",
                "save the file as 'CSV UTF-8' and try again",
            )
        fail(
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
            fail(path.name, f"cannot be read as {forced} ({exc})", "fix 'encoding' in dataset.yml")
    bom = sniff_bytes(path, data[:65536])
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


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV ``text`` (comma, semicolon, tab or bar), from its first 50 lines."""
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
    sep = sniff_delimiter(text)
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
        fail(
            path.name,
            "the file has no header line and no rows",
            "export the table again with its column names",
        )
    except pd.errors.ParserError as exc:
        msg = str(exc)
        # pandas numbers records (blank lines included): turned into the lines an editor shows
        if m := _FIELDS_ERR.search(msg):
            want, line, saw = m.groups()
            fail(
                path.name,
                f"{saw} fields where the header has {want}",
                "a value probably contains the delimiter without quotes: quote that value "
                "or export the file again",
                line=_line_of_record(text, sep, int(line) - 1),
            )
        if m := _EOF_ERR.search(msg):
            fail(
                path.name,
                "a quote opened here is never closed",
                "close the quote or remove the stray quote character",
                line=_line_of_record(text, sep, int(m.group(1))),
            )
        fail(path.name, f"cannot be parsed as CSV ({msg.strip()})", "export the file again")
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
            fail(
                file,
                f"a quote in column '{col}' is not closed where it should be, so the following "
                "lines ran into one value",
                "close the quote or remove the stray quote character",
                line=line,
            )


# ------------------------------------------------------------ large CSV files


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
        fail(
            path.name,
            f"large tables are read as utf-8, utf-16 or latin-1 only, but dataset.yml sets "
            f"encoding: {forced}",
            f"save {path.name} as 'CSV UTF-8' (and delete the encoding line), or set "
            "encoding: latin-1 if that reads it right",
        )
    return found


def csv_layout(path: Path, forced: str | None) -> tuple[str, str, list[str]]:
    """Encoding (DuckDB name), delimiter and header of a large CSV, from its first bytes."""
    size = 1 << 20
    with path.open("rb") as fh:
        head = fh.read(size)
    whole = len(head) < size
    bom = sniff_bytes(path, head)
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
    delim = sniff_delimiter(text)
    header = next(_records(io.StringIO(text, newline=""), delim), (1, []))[1]
    if not any(h.strip() for h in header) and text.strip():
        fail(
            path.name,
            "the first line is blank, but it must hold the column names",
            "remove the blank lines before the header",
            line=1,
        )
    if not header:
        fail(
            path.name, "the file has no header line", "export the table again with its column names"
        )
    return encoding, delim, header


def physical_lines(path: Path, encoding: str, delim: str, records: Iterable[int]) -> dict[int, int]:
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


def mixed_line_endings(path: Path, limit: int = 1 << 26) -> tuple[int, int] | None:
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


# ---------------------------------------------------------- Excel and Parquet


def excel_cell(v: Any) -> Any:
    """A workbook cell as text: dates ISO, whole floats without '.0', empty as NA."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return pd.NA
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _excel_damaged(path: Path, exc: BaseException) -> NoReturn:
    fail(
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
    except _excel_errors() as exc:
        _excel_damaged(path, exc)
    try:
        headers = {}
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            headers[sheet.title] = {norm_header(v) for v in first if v is not None}
    except _excel_errors() as exc:
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
    fail(
        path.name,
        f"no sheet holds the {table.name} table (sheets: {', '.join(map(repr, names))}); "
        f"expected a first row with the columns {', '.join(table.required)}",
        f"put the table on a sheet named '{table.name}', or give its first row those column names",
    )


def _read_excel(path: Path, table: Table | None = None) -> pd.DataFrame:
    sheet = 0 if table is None else _excel_sheet(path, table)
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except _excel_errors() as exc:
        _excel_damaged(path, exc)
    df = df.map(excel_cell).astype("str").where(df.notna())
    df.columns = [str(c) for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2)
    return df


def _read_parquet(path: Path, table: Table | None = None) -> pd.DataFrame:
    """A Parquet file's cells as text, or typed where ``table`` takes them typed.

    With ``table``: a column stored as a date, number or boolean, whose kind in ``table``
    is one of those (:data:`TYPED_KINDS`), stays as Arrow values (a pandas Arrow column);
    the parser converts it without going through text (:func:`as_text` gives the text).
    """
    import pyarrow.parquet as pq

    try:
        table_file = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        fail(path.name, f"not a readable Parquet file ({exc})", "write the file again")
    cols: dict[str, pd.Series] = {}
    for name, column in zip(table_file.column_names, table_file.columns, strict=True):
        kind = table.kind_of(norm_header(str(name))) if table is not None else "text"
        if kind in TYPED_KINDS and _typed_arrow(column.type):
            cols[str(name)] = pd.Series(pd.arrays.ArrowExtensionArray(column), copy=False)
        else:
            cols[str(name)] = _arrow_cells(column)
    out = pd.DataFrame(cols)
    out.index = pd.RangeIndex(
        1, table_file.num_rows + 1
    )  # row numbers, set after building: no alignment
    return out


# kinds whose Parquet columns may stay typed (the parser checks their values in Arrow)
TYPED_KINDS = ("date", "bool", "money", "number", "fraction", "int")


def _typed_arrow(kind: Any) -> bool:
    """An Arrow type a typed column may hold: whole numbers, doubles, dates, booleans.

    Not a float32: its text is the shortest decimal that reads back as it (0.1), which as
    a double is another number than the float32 itself (0.10000000149...).
    """
    import pyarrow as pa

    t = pa.types
    return bool(
        t.is_integer(kind)
        or t.is_float64(kind)
        or t.is_date(kind)
        or t.is_timestamp(kind)
        or t.is_boolean(kind)
    )


def _arrow_cells(column: Any) -> pd.Series:
    """An Arrow column's cells as text: ISO dates, plain numbers, true/false (Arrow's cast)."""
    import pyarrow as pa

    try:  # Arrow's cast, in C++
        return column.cast(pa.string()).to_pandas()
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # lists, structs: as pandas writes them
        values = column.to_pandas()
        return values.astype("str").where(values.notna())


def as_text(cells: pd.Series) -> pd.Series:
    """A column of :func:`read_cells` as text: a typed Parquet column as its text would read."""
    if isinstance(cells.dtype, pd.ArrowDtype) and cells.dtype.kind not in "OSU":
        return _arrow_cells(cells.array._pa_array).set_axis(cells.index)
    return cells


def read_cells(
    path: Path, *, encoding: str | None = None, table: Table | None = None, typed: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """A table file as strings, index = line numbers (Parquet: row numbers).

    ``table``: the canonical table the file holds; a workbook is then read from the
    sheet holding it (not necessarily the first). ``typed`` (with ``table``): a Parquet
    file's date, number and boolean columns stay typed where ``table`` wants those
    (see :func:`_read_parquet`; :func:`as_text` gives their text).

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
        df = _read_parquet(path, table if typed else None)
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
        fail(
            path.name,
            f"the file has a header ({', '.join(map(str, df.columns[:8]))}) but no rows",
            "export the table again, or remove the file if the table is not used",
        )
    return df, problems


# ------------------------------------------------------------------- mojibake


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
    if _all_ascii(s):  # every marker is a non-ASCII character
        return s, Repair(0)
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


def _all_ascii(s: pd.Series) -> bool:
    """True when every cell of an Arrow-backed text column is ASCII (False: not known)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return False
    return arr.null_count == len(arr) or bool(pc.all(pc.string_is_ascii(arr)).as_py())


def repair_text_columns(
    cells: pd.DataFrame, table: Table, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Mojibake repaired in memory in the table's free-text columns, one finding per column."""
    kinds = {c.name: c.kind for c in table.columns}
    problems = []
    out = cells
    for col in cells.columns:
        if kinds.get(norm_header(col), "text") != "text":
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
                    norm_header(col),
                    repair.line,
                )
            )
    return out, problems


# ---------------------------------------------------------------------- paths


def not_a_file(path: Path) -> Problem | None:
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


def norm_header(name: str) -> str:
    """A header as a canonical column name: trimmed, lower case, spaces as underscores."""
    return str(name).strip().lower().replace(" ", "_")


# -------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename.

    A crash or exception leaves ``target`` as it was and removes the temporary file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
