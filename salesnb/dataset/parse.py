"""Cells as text to typed values, by DuckDB: the parsing stage of a small table.

:func:`typed_columns` takes the cells a reader produced (strings, index = source lines)
and the kind of each column, and returns the typed frame and, per column, which cells
are present but not a value of their kind. One SQL statement does every column:

- a cell is *missing* when it is empty or one of its kind's tokens
  (:func:`salesnb.schema.missing_tokens`), after trimming what Python's ``str.strip``
  trims and ignoring case;
- ``id`` and ``text`` keep the trimmed text; ``category`` is lower case with runs of
  spaces, dashes and slashes as ``_`` ("Closed Won" -> ``closed_won``);
- numbers are plain decimal or scientific notation (no thousands separators, no
  underscores), finite and below :data:`~salesnb.schema.MAX_MAGNITUDE`; whole numbers
  are within ``numpy.isclose`` of an integer;
- dates are ISO (``2026-03-31``, with an optional time and offset, converted to UTC
  before the day is taken); yes/no from the kit's true and false words; quarters like
  ``2026Q3``.

The ``dates`` kind (lists of dates, one small table) is parsed by pandas.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ..files import as_text
from ..schema import MAX_MAGNITUDE, NUMERIC_KINDS, missing_tokens
from .core import connect
from .core import quote_literal as _lit

__all__ = ["typed_columns"]

# what str.strip() removes: every character Python calls whitespace
_SPACE = (  # "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Python's \s (Unicode whitespace) plus dash and slash, in RE2
_SEPARATORS = r"[\t\n\x{0b}\f\r\x{1c}-\x{1f}\x{85}\pZ\-/]+"
_ISO = r"\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?"
_HOUR_ONLY = r"^(\d{4}-\d{2}-\d{2}[T ]\d{2})((Z|[+-]\d{2}:?\d{2})?)$"
_TRUE = ("true", "yes", "y", "1", "t", "x", "1.0")
_FALSE = ("false", "no", "n", "0", "f", "0.0")


def _strip(x: str) -> str:
    """SQL of ``x.strip()``: the slow character-set trim only when an end is whitespace."""
    chars = _lit(_SPACE)
    return (
        f"CASE WHEN contains({chars}, left({x}, 1)) OR contains({chars}, right({x}, 1)) "
        f"THEN trim({x}, {chars}) ELSE {x} END"
    )


def _typed_sql(s: str, kind: str) -> str:
    """SQL of the typed value of the trimmed cell ``s`` (not missing); NULL when it is none."""
    if kind in ("id", "text"):
        return s
    if kind == "category":
        return f"regexp_replace(lower({s}), {_lit(_SEPARATORS)}, '_', 'g')"
    if kind in NUMERIC_KINDS:
        x = f"TRY_CAST(CASE WHEN NOT contains({s}, '_') THEN {s} END AS DOUBLE)"
        usable = f"CASE WHEN isfinite({x}) AND abs({x}) < {MAX_MAGNITUDE!r} THEN {x} END"
        if kind != "int":
            return usable
        whole = f"round_even({usable}, 0)"
        return (
            f"CASE WHEN abs({usable} - {whole}) <= 1e-8 + 1e-5 * abs({whole}) "
            f"THEN CAST({whole} AS BIGINT) END"
        )
    if kind == "date":
        padded = f"regexp_replace({s}, {_lit(_HOUR_ONLY)}, '\\1:00\\2')"
        return (
            f"CASE WHEN regexp_full_match({s}, {_lit(_ISO)}) THEN "
            f"CAST(timezone('UTC', TRY_CAST({padded} AS TIMESTAMPTZ)) AS DATE) END"
        )
    if kind == "bool":
        low = f"lower({s})"
        return (
            f"CASE WHEN {low} IN ({', '.join(map(_lit, _TRUE))}) THEN true "
            f"WHEN {low} IN ({', '.join(map(_lit, _FALSE))}) THEN false END"
        )
    if kind == "period":
        up = f"upper({s})"
        return f"CASE WHEN regexp_full_match({up}, '\\d{{4}}Q[1-4]') THEN {up} END"
    raise ValueError(f"unknown column kind {kind!r}")


def _to_kind(values: pd.Series, kind: str, index: pd.Index) -> pd.Series:
    """The pandas dtype a kind has in the kit's frames."""
    values = values.set_axis(index)
    if kind in NUMERIC_KINDS and kind != "int":
        return values.astype("float64")
    if kind == "int":
        return values.astype("Int64")
    if kind == "date":
        return pd.to_datetime(values).astype("datetime64[us]")
    if kind == "bool":
        return values.astype("boolean")
    return values.astype("str")


def _pandas(values: pa.ChunkedArray | pa.Array) -> pd.Series:
    """Arrow values as pandas: days as datetime64 (not one ``datetime.date`` object each)."""
    if pa.types.is_date(values.type):
        values = values.cast(pa.timestamp("us"))
    return values.to_pandas()


def _arrow_text(s: pd.Series) -> pa.ChunkedArray | pa.Array:
    """A column of cells as Arrow strings (nulls where missing), or its typed Arrow values."""
    arr = s.array
    if hasattr(arr, "_pa_array"):  # pandas' Arrow-backed columns: no copy
        return arr._pa_array
    return pa.array(
        s.astype("str").to_numpy(dtype=object), type=pa.large_string(), from_pandas=True
    )


_END_SPACE = (
    "^["
    + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACE)
    + "]|["
    + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACE)
    + "]$"
)  # RE2: a cell that starts or ends with what str.strip() trims
_SPACE_FIRST_BYTES = sorted({c.encode()[:1] for c in _SPACE})  # UTF-8: its lead byte
_SPACE_LAST_BYTES = sorted({c.encode()[-1:] for c in _SPACE})
_CANONICAL_CATEGORY = r"^[a-z0-9_]+$"
_TOKEN_MAX = 5  # cells this short (in characters) may be missing-value tokens once lower-cased


def unchanged_by_parsing(column: pa.ChunkedArray | pa.Array, kind: str) -> bool:
    """True when parsing leaves every cell of an id, text or category column as it is.

    That is: no cell starts or ends with whitespace, none is a missing-value token
    (whatever its case), and a category cell is already lower case ASCII with ``_``
    between words. Parsing such a column is the identity (missing cells stay missing, and
    none is "present but not a value"), so :func:`typed_columns` skips it; machine-written
    tables (a Parquet export, the demo) are mostly such columns. Conservative: a short
    non-ASCII cell (it might lower-case to a token) sends the column to the parser.

    Cheap: only the cells whose first byte is the first byte of a space, or whose last
    byte is the last byte of one, are matched with a regular expression; only the cells
    of at most five characters (tokens have four at most, and lower-casing keeps the
    number of characters) are lower-cased and compared with the tokens.
    """
    import pyarrow.compute as pc

    if kind not in ("id", "text", "category"):
        return False
    if not _is_text(column.type):
        return False
    if column.null_count == len(column):
        return True
    octets = column.cast(
        pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary()
    )
    first, last = pc.binary_slice(octets, 0, 1), pc.binary_slice(octets, -1)
    maybe = pc.or_(
        pc.is_in(first, value_set=pa.array(_SPACE_FIRST_BYTES, first.type)),
        pc.is_in(last, value_set=pa.array(_SPACE_LAST_BYTES, last.type)),
    )
    candidates = pc.filter(column, maybe)
    if len(candidates) and pc.any(pc.match_substring_regex(candidates, _END_SPACE)).as_py():
        return False
    if (
        kind == "category"
        and not pc.all(pc.match_substring_regex(column, _CANONICAL_CATEGORY)).as_py()
    ):
        return False  # a canonical category may still be a token ("nan", "null"): below
    short = pc.filter(column, pc.less_equal(pc.utf8_length(column), _TOKEN_MAX))
    if not len(short):
        return True
    if not pc.all(pc.string_is_ascii(short)).as_py():
        return False
    tokens = pa.array(sorted(missing_tokens(kind)), column.type)
    return not pc.any(pc.is_in(pc.utf8_lower(short), value_set=tokens)).as_py()


_CANONICAL = {  # cells that the parser reads as the same value Arrow's cast does
    "date": r"^[1-9]\d{3}-\d{2}-\d{2}$",
    "int": r"^-?\d{1,15}$",  # 15 digits: below MAX_MAGNITUDE, exact as a double
    "number": r"^-?\d{1,15}(\.\d+)?$",
}


def parsed_as_is(
    column: pa.ChunkedArray | pa.Array, kind: str
) -> pa.ChunkedArray | pa.Array | None:
    """The parsed values of a column written as its kind's canonical text, or None.

    Canonical: id, text and category cells that :func:`unchanged_by_parsing` leaves as
    they are; ISO dates (``2026-03-31``); plain decimals of at most 15 integer digits
    (whole ones for ``int``); ``true`` / ``false``; missing cells as nulls. That is what
    Arrow's cast writes for a typed Parquet column, and what a machine export writes.
    Such a column is converted by Arrow; any other cell (a space, a token, a thousands
    separator, an exponent, a date with a time) sends the whole column to the parser.
    """
    import pyarrow.compute as pc

    if not _is_text(column.type):
        return _typed_as_is(column, kind)
    if kind in ("id", "text", "category"):
        return column if unchanged_by_parsing(column, kind) else None
    if column.null_count == len(column):
        return None  # the parser gives the typed nulls
    if kind == "bool":
        words = pa.array(["true", "false"], column.type)
        if not pc.all(pc.is_in(column.drop_null(), value_set=words)).as_py():
            return None
        return pc.equal(column, "true")
    pattern = _CANONICAL.get("number" if kind in NUMERIC_KINDS and kind != "int" else kind)
    if pattern is None or not pc.all(pc.match_substring_regex(column, pattern)).as_py():
        return None
    target = {"date": pa.date32(), "int": pa.int64()}.get(kind, pa.float64())
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # 2026-02-30: the parser says so
        return None


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _typed_as_is(
    column: pa.ChunkedArray | pa.Array, kind: str
) -> pa.ChunkedArray | pa.Array | None:
    """The values of a typed column (a Parquet date, number or boolean) as its kind's, or None.

    The values the parser would give the column's text (:func:`salesnb.files.as_text`):
    a date or a timestamp is its day (a zoned one its day in UTC), a float NaN is
    missing, a boolean is itself. None (the column then goes to the parser as text, which
    names each bad cell) when a value is not one of the kind: an infinite number, one of
    :data:`~salesnb.schema.MAX_MAGNITUDE` or more, a fraction in a whole-number column, a
    number in a yes/no column, a day outside what the kit's dates hold.
    """
    import pyarrow.compute as pc

    t = pa.types
    try:
        if kind == "date":
            if t.is_timestamp(column.type):
                column = column.cast(pa.timestamp(column.type.unit))  # a zoned time: UTC
            return (
                column.cast(pa.date32())
                if t.is_timestamp(column.type) or t.is_date(column.type)
                else None
            )
        if kind == "bool":
            return column if t.is_boolean(column.type) else None
        numeric = t.is_integer(column.type) or t.is_floating(column.type)
        if kind not in NUMERIC_KINDS or not numeric:
            return None
        if kind == "int" and not t.is_integer(column.type):
            return None
        values = column.cast(pa.float64())
        if t.is_floating(column.type):
            values = pc.if_else(pc.is_nan(values), pa.scalar(None, pa.float64()), values)
        low, high = pc.min_max(values).values()
        if low.is_valid and not (low.as_py() > -MAX_MAGNITUDE and high.as_py() < MAX_MAGNITUDE):
            return None  # infinite or too large: the parser names the cells
        return column.cast(pa.int64()) if kind == "int" else values
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # out of range for the kit's types
        return None


def typed_columns(
    cells: pd.DataFrame, kinds: Mapping[str, str], *, shortcut: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed values and "present but not a value" masks of every column but ``dates`` ones.

    Parameters
    ----------
    cells
        Strings or missing, unique column names, index = source lines; or a typed
        Parquet column (pandas Arrow dtype) where :func:`salesnb.files.read_cells` kept
        one typed, converted in Arrow (:func:`_typed_as_is`) or, if a value does not fit
        its kind, parsed from its text.
    kinds
        Column kind of each column of ``cells`` to parse here.
    shortcut
        Convert the text columns written as their kind's canonical text with Arrow
        (:func:`parsed_as_is`; the default); ``False`` parses every text column, for tests
        that compare the two.

    Returns
    -------
    (typed, bad)
        Frames with the columns of ``kinds`` and the index of ``cells``.
    """
    texts = {name: _arrow_text(cells[name]) for name in kinds}
    as_is = {}
    for name in kinds:
        # a typed column (Parquet) always goes through Arrow first; as text only if that fails
        typed = not _is_text(texts[name].type)
        values = parsed_as_is(texts[name], kinds[name]) if shortcut or typed else None
        if values is not None:
            as_is[name] = values
        elif typed:
            texts[name] = _arrow_text(as_text(cells[name]))
    parsed_typed, parsed_bad = _parse(
        cells.index, {n: texts[n] for n in kinds if n not in as_is}, kinds
    )
    typed = pd.DataFrame(
        {
            name: parsed_typed[name]
            if name not in as_is
            else _to_kind(_pandas(as_is[name]), kinds[name], cells.index)
            for name in kinds
        },
        index=cells.index,
    )
    bad = pd.DataFrame(
        {
            name: parsed_bad[name] if name not in as_is else np.zeros(len(cells), dtype=bool)
            for name in kinds
        },
        index=cells.index,
    )
    return typed, bad


def _parse(
    index: pd.Index, texts: Mapping[str, pa.ChunkedArray | pa.Array], kinds: Mapping[str, str]
) -> tuple[dict[str, pd.Series], dict[str, np.ndarray]]:
    """The SQL parse of the columns ``texts`` (Arrow strings, in the rows' order)."""
    names = list(texts)
    if not names:
        return {}, {}
    # Arrow strings: DuckDB scans them without touching a Python object per cell
    frame = pa.table(
        {"r": pa.array(range(len(index)), pa.int64())}
        | {f"c{i}": texts[name] for i, name in enumerate(names)}
    )
    strip, missing, typed, flags = [], [], [], []
    for i, name in enumerate(names):
        kind = kinds[name]
        tokens = ", ".join(_lit(t) for t in sorted(missing_tokens(kind)))
        # each stage is materialised once: a value is computed once, not per use
        strip.append(f"{_strip(f'c{i}')} AS s{i}")
        missing.append(f"s{i}, (s{i} IS NULL OR lower(s{i}) IN ({tokens})) AS m{i}")
        typed.append(f"CASE WHEN NOT m{i} THEN {_typed_sql(f's{i}', kind)} END AS v{i}, m{i}")
        if kind in ("id", "text", "category"):
            flags.append(f"v{i}, false AS b{i}")
        else:
            flags.append(f"v{i}, (NOT m{i} AND v{i} IS NULL) AS b{i}")
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # cells without an offset are UTC, as pandas reads them
        con.register("cells", frame)
        # parallel stages do not keep the rows' order: r (the position) restores it
        got = con.sql(
            f"WITH s AS MATERIALIZED (SELECT r, {', '.join(strip)} FROM cells), "
            f"m AS MATERIALIZED (SELECT r, {', '.join(missing)} FROM s), "
            f"v AS MATERIALIZED (SELECT r, {', '.join(typed)} FROM m) "
            f"SELECT {', '.join(flags)} FROM v ORDER BY r"
        ).to_arrow_table()
    finally:
        con.close()
    if got.num_rows != len(index):  # pragma: no cover - DuckDB keeps a scan's row order and count
        raise RuntimeError("parsing lost rows")
    typed = {
        name: _to_kind(_pandas(got.column(f"v{i}")), kinds[name], index)
        for i, name in enumerate(names)
    }
    bad = {
        name: got.column(f"b{i}").to_numpy(zero_copy_only=False).astype(bool)
        for i, name in enumerate(names)
    }
    return typed, bad
