"""Raw-line tables (orders, activities) checked and typed by DuckDB, never whole in pandas.

One pass over the file counts keys, gaps, orphans, currencies and cells that are not
values of their kind; a second pass, only when some cells are bad, locates them by the
physical line an editor shows. The table then becomes a view with the canonical,
typed columns (:class:`~salesnb.dataset.core.RawTable`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import duckdb

from ..files import csv_layout, mixed_line_endings, norm_header, physical_lines
from ..schema import (
    MAX_MAGNITUDE,
    NUMERIC_KINDS,
    DataError,
    Problem,
    Table,
    cell_problem,
    currency_problem,
    missing_tokens,
    number_trouble,
)
from .core import DataSet, RawTable, connect, reference_ids
from .core import quote_ident as _q
from .core import quote_literal as _lit
from .rules import run_checks

__all__ = ["read_raw", "sorted_key"]


_EXAMPLES = 5


# what a bad file makes DuckDB raise; anything else is a bug and keeps its traceback
_DUCK_USER_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)


def read_raw(
    ds: DataSet,
    table: Table,
    path: Path,
    *,
    encoding_retry: str | None = None,
    unique_key: bool | None = None,
) -> None:
    """Check a raw-line table with DuckDB, streaming it from disk (never whole in pandas).

    One pass reads every cell as text, turns the missing-value tokens of each column's
    kind into NULL (:func:`salesnb.schema.missing_tokens`) and counts everything:
    keys, gaps, orphans, currencies and cells that are not values of their kind
    (numbers must be finite and below :data:`~salesnb.schema.MAX_MAGNITUDE`). Only
    when some cells are bad does a second pass locate them by line.

    ``unique_key``: what :func:`sorted_key` said of the file, if it was asked already.
    """
    name = path.name
    is_csv = path.suffix.lower() != ".parquet"
    first_problem = len(ds.problems)
    try:
        if is_csv:
            encoding, delim, header = csv_layout(path, encoding_retry or ds.settings.encoding)
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
    norm = [norm_header(h) for h in header]
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
        types = {n: source_types[h] for h, n in zip(header, norm, strict=True)}
        unique = sorted_key(path, table) if unique_key is None else unique_key
        n_rows, bad = _raw_stats(con, ds, table, inner, norm, kinds, types, unique_key=unique)
        if is_csv:
            bad_encoding = _raw_rejects(con, ds, table, path, rej, encoding=encoding, delim=delim)
            if bad_encoding and encoding == "utf-8" and not ds.settings.encoding:
                # UTF-8 at the start, something else further down: read it all as Latin-1
                del ds.problems[first_problem:]
                read_raw(ds, table, path, encoding_retry="latin-1")  # reports the encoding finding
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


def sorted_key(path: Path, table: Table) -> bool:
    """True when the key of ``table`` in the Parquet file ``path`` rises strictly row by row.

    Such cells are all different, so the key has no repeats and the hash count of distinct
    keys (the costliest part of the check: 2 s of CPU per 10M lines) is not needed. Order
    lines exported by an ERP or a CRM usually come sorted by their id. One streaming pass
    over the key column alone, in Arrow (0.4 s per 10M lines), that touches neither DuckDB
    nor pandas: :func:`~salesnb.dataset.load.read_dataset` runs it on a thread while the
    small tables are read. False at the first step down, for a CSV file, for a key of any
    type but text and signed whole numbers, and for a file Arrow cannot read (the SQL pass
    reports it): the caller then counts distinct keys.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() != ".parquet":
        return False
    try:
        names = pq.read_schema(path).names
    except (OSError, pa.ArrowException):
        return False
    norm = [norm_header(n) for n in names]
    key = table.key[0]
    if norm.count(key) != 1:  # missing or repeated: read_raw reports it
        return False
    return _increasing(path, names[norm.index(key)])


def _ordered(kind: Any) -> bool:
    """An Arrow type whose values compare as the key's do in SQL: text or signed integers."""
    import pyarrow as pa

    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_signed_integer(kind)
    )


def _increasing(path: Path, column: str) -> bool:
    """True when a Parquet column's non-missing cells rise strictly from row to row."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    last = None
    try:
        with pq.ParquetFile(path) as f:
            if not _ordered(f.schema_arrow.field(column).type):
                return False
            for batch in f.iter_batches(columns=[column], batch_size=1 << 20):
                cells = batch.column(0).drop_null()
                if not len(cells):
                    continue
                if last is not None and not pc.less(last, cells[0]).as_py():
                    return False
                if len(cells) > 1 and not pc.all(pc.less(cells[:-1], cells[1:])).as_py():
                    return False
                last = cells[-1]
    except (OSError, KeyError, pa.ArrowException):  # the SQL pass reports a damaged file
        return False
    return True


def _parquet_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a Parquet file (from its footer only)."""
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


# ------------------------------------------------------------------ typed SQL


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
    if kind == "category":  # as pandas parsing does: "Phone Call" -> "phone_call"
        return f"regexp_replace(lower(trim({cell})), '[\\s\\-/]+', '_', 'g')"
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
    if kind in ("id", "text", "category") and source_type != "VARCHAR":
        present = f"CAST({present} AS VARCHAR)"  # an integer id joins the small tables' text ids
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
    mixed = mixed_line_endings(path) if path is not None and "state machine" in text else None
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


# -------------------------------------------- counting and locating bad cells


def _raw_stats(
    con: duckdb.DuckDBPyConnection,
    ds: DataSet,
    table: Table,
    cells: str,
    cols: list[str],
    kinds: dict[str, str],
    source_types: dict[str, str],
    *,
    unique_key: bool = False,
) -> tuple[int, dict[tuple[str, str], int]]:
    """One pass over the file for every count and rule; short ones only for examples.

    ``cells`` is a SELECT of the columns as read, missing-value tokens already NULL.
    The rules are the catalogue's (:mod:`salesnb.dataset.rules`), over the typed
    values: a cell that is not a value of its kind has its own error and is NULL for
    them, and a value is needed only where nothing is written.
    ``unique_key``: the key is known to hold no repeats (:func:`sorted_key`).
    Returns the number of rows and the count of bad cells per (column, reason).
    """
    name = ds.files[table.name].name
    checks = {
        (c, reason): cond
        for c in cols
        for reason, cond in _bad_conditions(f"t.{_q('cell:' + c)}", kinds[c]).items()
    }
    typed = ", ".join(
        f"{_view_sql(_q(c), _q(c), kinds[c], source_types[c])} AS {_q(c)}, {_q(c)} AS {_q('cell:' + c)}"
        for c in cols
    )
    relation = f"(SELECT {typed} FROM ({cells}))"
    extra = {
        f"bad:{c}:{reason}": f"count(*) FILTER (WHERE {cond})"
        for (c, reason), cond in checks.items()
    }
    if "currency" in cols:
        extra["currencies"] = (
            'list(DISTINCT upper(t."cell:currency")) FILTER (WHERE t."cell:currency" IS NOT NULL)'
        )
    problems, stats = run_checks(
        con,
        relation,
        table,
        file=name,
        present=cols,
        refs=reference_ids(ds),
        line=None,
        extra=extra,
        written=lambda c: f"t.{_q('cell:' + c)}",
        unique_key=unique_key,
    )
    n = int(stats["n"])
    bad = {cr: int(stats[f"bad:{cr[0]}:{cr[1]}"]) for cr in checks}
    ds.problems += problems
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
    lines = physical_lines(path, encoding, delim, (int(r[0]) for r in rows))
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
    lines = physical_lines(path, encoding, delim, (int(r[0]) for r in rows))
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
