"""The rule catalogue: every check on a table's values, written once as SQL, run by DuckDB.

A rule is a message, a fix and a severity (:data:`RULES`). :func:`compile_checks` turns
the catalogue into the checks one table needs (its key, required values by the row's
meaning, vocabularies, ranges, dates, references, self references, text hazards), each a
SQL condition that is true on a row breaking it. :func:`run_checks` runs them over any
relation DuckDB can scan:

- a small table: the typed pandas frame (index = source line) registered in DuckDB, so
  messages name the first line, the count and example lines and values;
- a raw-line table (orders, activities): the typed view over the file itself, never
  loaded into pandas; examples name the lines' ids.

One pass counts every rule (``count(*) FILTER (WHERE ...)``); only a rule that fails
costs a second, short query for its examples. Keys are checked for repeats with 8-byte
hashes first (``count(DISTINCT hash(key))``); only when that sees a repeat are the
repeated rows counted exactly.

Currencies (one per data set, :func:`salesnb.schema.currency_problem`) and cells that
are not values of their kind (parsing) are checked before, on the same pass for raw
lines (``extra`` aggregates).

Why SQL and not pandera: measured in ``bench/bench_rules.py`` (pandera's pandas backend,
its Ibis backend on DuckDB, and these rules): see the README's "Checking at scale".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from ..schema import CATEGORIES, NUMERIC_KINDS, Problem, Severity, Table
from .core import connect
from .core import quote_ident as _q
from .core import quote_literal as _lit

__all__ = [
    "LINE",
    "RULES",
    "Check",
    "Rule",
    "check_frame",
    "compile_checks",
    "run_checks",
    "text_masks",
]

LINE = "__salesnb_line__"  # the source line column of a registered small table
_EXAMPLES = 5


@dataclass(frozen=True)
class Rule:
    """What a broken rule says: severity, message and fix (``{target}``-style fields)."""

    severity: Severity
    message: str
    fix: str
    show_values: bool = False  # examples quote the offending values


RULES: dict[str, Rule] = {
    "not_nullable": Rule("error", "the key has no value", "give every row its id"),
    "field_uniqueness": Rule(
        "error",
        "the id appears more than once",
        "keep one row per id, or give each row its own id{line_ids}",
        show_values=True,
    ),
    "multiple_fields_uniqueness": Rule(
        "error", "the key columns repeat an earlier row", "keep one row per key"
    ),
    "needed": Rule(
        "finding",
        "no value; the row is left out where this column is needed",
        "fill it in the source system (CRM or ERP) and export again",
    ),
    "open_needs_amount": Rule(
        "finding",
        "open deal without an amount; left out of pipeline value",
        "ask the owner to estimate the amount",
    ),
    "open_needs_close_date": Rule(
        "finding",
        "open deal without an expected close date",
        "ask the owner for an expected close date",
    ),
    "allowed": Rule(
        "finding",
        "value outside the allowed list {allowed}; treated as unknown",
        "use one of the allowed values, or map it with an import mapping file",
        show_values=True,
    ),
    "fraction": Rule(
        "finding",
        "not between 0 and 1",
        "write fractions (0.25, not 25%); percentages can be divided by 100",
        show_values=True,
    ),
    "not_negative": Rule(
        "finding",
        "negative value",
        "check the sign; only order lines may be negative",
        show_values=True,
    ),
    "reference": Rule(
        "finding",
        "refers to an id not in {target}",
        "add the missing rows to {target}, or correct the id",
        show_values=True,
    ),
    "date_range": Rule("finding", "date outside 1900-2100", "check the year", show_values=True),
    "won_needs_amount": Rule(
        "finding", "won deal without an amount", "enter the deal's amount in the CRM"
    ),
    "closed_needs_close_date": Rule(
        "finding", "closed deal without a close date", "enter the date the deal was closed"
    ),
    "close_before_created": Rule(
        "finding", "close date before the created date", "correct one of the two dates"
    ),
    "end_before_start": Rule(
        "error",
        "end date before the start date",
        "correct one of the two dates (a trial ends on or after the day it starts)",
    ),
    "self_reference": Rule(
        "error",
        "the row refers to itself (its own {key})",
        "leave the cell empty, or write the {key} of the other row it means "
        "(for referred_by: the customer whose recommendation brought this account)",
        show_values=True,
    ),
    "range": Rule(
        "finding",
        "value {range}",
        "correct the value: it must be {ok} (check the unit: a share of 35% is 35 on a 0-100 scale)",
        show_values=True,
    ),
    "formula": Rule(
        "finding",
        "text starts with = + - or @ (spreadsheet formula injection)",
        "harmless here: the kit writes it as text in Excel exports; clean it in the CRM",
        show_values=True,
    ),
    "markup": Rule(
        "finding",
        "text contains HTML markup; it is shown as plain text",
        "remove the markup in the CRM",
        show_values=True,
    ),
    "long_text": Rule(
        "finding",
        "text longer than 1,000 characters",
        "check the export: a quote may be missing so columns ran together",
    ),
}

# RE2 (DuckDB) patterns; the same text rules the importer and exports rely on
_FORMULA_START = "=+-@\t\r"  # what a spreadsheet reads as the start of a formula
_NUMBER_START = r"^-\s*[\d.]"  # a leading minus before a digit is a number, not a formula
_PHONE = r"\+?[\d\s().\-/]+"  # nor is a phone number ("+44 20 7946 0958")
_MARKUP = r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>"
_LONG = 1000
_CLOSED = ("won", "lost", "no_decision")


def _text_conditions(x: str) -> dict[str, str]:
    """SQL conditions, per text rule, on the text expression ``x``.

    The regular expressions run only on the cells a cheap test selects (CASE evaluates
    its THEN for those rows alone): a first character that starts a formula, a ``<``.
    """
    starts = ", ".join(str(ord(c)) for c in _FORMULA_START)
    return {
        "formula": (
            f"CASE WHEN ascii({x}) IN ({starts}) THEN NOT regexp_matches({x}, "
            f"{_lit(_NUMBER_START)}) AND NOT regexp_full_match({x}, {_lit(_PHONE)}) END"
        ),
        "markup": f"CASE WHEN contains({x}, '<') THEN regexp_matches({x}, {_lit(_MARKUP)}) END",
        "long_text": f"length({x}) > {_LONG}",
    }


@dataclass(frozen=True)
class Check:
    """One catalogue rule applied to one table.

    ``where`` is true on a row that breaks it (SQL over the relation ``t`` and the
    reference aliases); ``value`` is the SQL of the value its examples quote.
    """

    rule: str
    column: str | None
    where: str
    value: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # message / fix fields

    @property
    def name(self) -> str:
        """A unique name of the check within its table."""
        return f"{self.rule}:{self.column or ''}:{dict(self.fields).get('target', '')}"


@dataclass(frozen=True)
class Reference:
    """A foreign key checked by a left join on the target's ids."""

    column: str
    target: str
    alias: str


def _col(name: str) -> str:
    return f"t.{_q(name)}"


def compile_checks(
    table: Table,
    present: Collection[str],
    refs: Collection[str],
    *,
    written: Callable[[str], str] | None = None,
) -> tuple[list[Check], list[Reference]]:
    """The checks ``table`` needs, given its present columns and the tables with known ids.

    ``written(column)`` is the SQL of a cell as written, when the relation has it beside
    the typed value (raw lines): a value is *needed* where nothing is written; a cell
    that is written but unreadable has its own error, and is NULL for the other rules.
    Key checks (missing, repeated) are not among them: :func:`run_checks` does them.
    """
    checks: list[Check] = []
    references: list[Reference] = []
    single_key = table.key[0] if len(table.key) == 1 else None
    for col in table.columns:
        if col.name not in present:
            continue
        x = _col(col.name)
        if col.needed and col.name != single_key:  # a part of a composite key is needed too
            cell = written(col.name) if written else x
            checks.append(Check("needed", col.name, f"{cell} IS NULL"))
        if col.kind == "category" and col.name in CATEGORIES:
            allowed = CATEGORIES[col.name]
            checks.append(
                Check(
                    "allowed",
                    col.name,
                    f"{x} NOT IN ({', '.join(_lit(a) for a in allowed)})",
                    x,
                    (("allowed", ", ".join(allowed)),),
                )
            )
        if col.kind == "fraction":
            checks.append(Check("fraction", col.name, f"NOT ({x} BETWEEN 0 AND 1)", x))
        if (col.kind == "money" and not table.raw) or col.name == "employees":
            checks.append(Check("not_negative", col.name, f"{x} < 0", x))
        if col.bounds is not None and col.kind in NUMERIC_KINDS:
            lo, hi = col.bounds
            where = f"{x} < {lo!r}" + (f" OR {x} > {hi!r}" if hi is not None else "")
            low, high = f"{lo:g}", "" if hi is None else f"{hi:g}"
            checks.append(
                Check(
                    "range",
                    col.name,
                    where,
                    x,
                    (
                        ("target", f"{low}:{high}"),
                        ("range", f"outside {low} to {high}" if high else f"below {low}"),
                        ("ok", f"from {low} to {high}" if high else f"at least {low}"),
                    ),
                )
            )
        if col.kind == "date":
            checks.append(Check("date_range", col.name, f"year({x}) NOT BETWEEN 1900 AND 2100", x))
        if col.kind == "text":
            text = f"CAST({x} AS VARCHAR)"
            for rule, where in _text_conditions(text).items():
                checks.append(Check(rule, col.name, where, x))
        target = table.references.get(col.name)
        if target and target in refs:
            ref = Reference(col.name, target, f"r{len(references)}")
            references.append(ref)
            checks.append(
                Check(
                    "reference",
                    col.name,
                    f"{x} IS NOT NULL AND {ref.alias}.id IS NULL",
                    x,
                    (("target", target),),
                )
            )
    if table.name == "opportunities" and "outcome" in present:
        outcome = _col("outcome")
        for rule, col, outcomes in (
            ("won_needs_amount", "amount", ("won",)),
            ("open_needs_amount", "amount", ("open",)),
            ("closed_needs_close_date", "close_date", _CLOSED),
            ("open_needs_close_date", "close_date", ("open",)),
        ):
            if col in present:
                listed = ", ".join(_lit(o) for o in outcomes)
                checks.append(Check(rule, None, f"{outcome} IN ({listed}) AND {_col(col)} IS NULL"))
    for earlier, later, rule in table.date_order:
        if {earlier, later} <= set(present):
            # close_before_created names no column (it may be either date), as it always has
            column = None if rule == "close_before_created" else later
            checks.append(Check(rule, column, f"{_col(later)} < {_col(earlier)}"))
    for col, target in table.references.items():
        if target == table.name and col in present and single_key in present:
            x = _col(col)
            checks.append(
                Check(
                    "self_reference",
                    col,
                    f"{x} = {_col(single_key)}",
                    x,
                    (("key", single_key or ""),),
                )
            )
    return checks, references


def _examples_text(lines: Sequence[Any], values: Sequence[Any] | None, more: bool) -> str:
    text = "lines " + ", ".join(str(v) for v in lines[:_EXAMPLES]) + (" ..." if more else "")
    if values is not None:
        text += "; values " + ", ".join(repr(str(v))[:40] for v in values[:3])
    return text


def _problem(
    table: Table,
    file: str,
    check: Check,
    count: int,
    rows: list[tuple[Any, Any]],
    *,
    raw: bool,
    fix_fields: Mapping[str, str] | None = None,
) -> Problem:
    """A located problem: first line, count and examples (raw lines: their ids)."""
    rule = RULES[check.rule]
    fields = {
        "target": "",
        "key": table.key[0],
        "allowed": "",
        "range": "",
        "ok": "",
        "line_ids": "",
        **dict(check.fields),
        **(fix_fields or {}),
    }
    values = [r[1] for r in rows] if rule.show_values else None
    if raw:  # a raw line is named by its id: a file of millions has no useful line numbers
        key = table.key[0]
        ids = [str(r[0]) for r in rows[:_EXAMPLES] if r[0] is not None]
        examples = f"{key} " + ", ".join(ids) if ids else ""
        if values is not None and check.column != key:
            examples += "; values " + ", ".join(repr(str(v))[:40] for v in values[:3])
        line = None
    else:
        line = int(rows[0][0]) if rows else None
        if count > 1:
            examples = _examples_text(
                [r[0] for r in rows[1:]], values[1:] if values is not None else None, count > 6
            )
        else:
            examples = f"value {str(values[0])[:60]!r}" if values else ""
    return Problem(
        rule.severity,
        file,
        rule.message.format(**fields),
        rule.fix.format(**fields),
        table.name,
        check.column,
        line,
        count,
        examples,
    )


def run_checks(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: Table,
    *,
    file: str,
    present: Collection[str],
    refs: Mapping[str, pd.Index] | None = None,
    line: str | None = LINE,
    extra: Mapping[str, str] | None = None,
    written: Callable[[str], str] | None = None,
    unique_key: bool = False,
) -> tuple[list[Problem], dict[str, Any]]:
    """Run the catalogue over ``source`` (a SQL relation with the table's typed columns).

    Parameters
    ----------
    con
        The DuckDB connection that can see ``source``.
    source
        A table name or ``(SELECT ...)`` with the canonical columns, typed.
    present
        The canonical columns ``source`` has.
    refs
        Ids of other tables (``{"accounts": Index([...])}``) for foreign keys.
    line
        The column holding each row's source line; None for raw lines, whose
        examples name their ids instead.
    extra
        More aggregates to compute in the same pass (``{name: "count(*) FILTER ..."}``);
        their values are returned, with ``n``, the number of rows.
    written
        SQL of a cell as written (see :func:`compile_checks`), for raw lines.
    unique_key
        The caller has proved that the key holds no repeats, so they are not counted.

    Returns
    -------
    (problems, extra values)
        Problems in catalogue order: key, then each column's rules, then row rules.
    """
    refs = dict(refs or {})
    present = [c for c in table.names if c in present]
    checks, references = compile_checks(table, present, refs, written=written)
    raw = line is None
    keys = [k for k in table.key if k in present]
    single = keys[0] if len(table.key) == 1 and keys else None
    composite = keys if len(table.key) > 1 and len(keys) == len(table.key) else None
    joins: dict[str, str] = {}  # alias -> its LEFT JOIN
    for ref in references:
        name = f"salesnb_ref_{ref.alias}"
        con.register(name, pd.DataFrame({"id": pd.Index(refs[ref.target]).unique()}))
        joins[ref.alias] = f"LEFT JOIN {name} {ref.alias} ON {_col(ref.column)} = {ref.alias}.id"
    relation = f"{source} t {' '.join(joins.values())}"
    parts = ["count(*) AS n"]
    if single:
        parts.append(f"count(*) - count({_col(single)}) AS key_null")
        if not unique_key:
            distinct = f"count(DISTINCT hash({_col(single)}))"
            parts.append(f"count({_col(single)}) - {distinct} AS key_dup")
    elif composite and not unique_key:
        cols = ", ".join(_col(k) for k in composite)
        parts.append(f"count(*) - count(DISTINCT hash({cols})) AS key_dup")
    parts += [f"count(*) FILTER (WHERE {c.where}) AS {_q(c.name)}" for c in checks]
    parts += [f"{sql} AS {_q('extra:' + name)}" for name, sql in (extra or {}).items()]
    result = con.execute(f"SELECT {', '.join(parts)} FROM {relation}")
    names = [d[0] for d in result.description]
    stats = dict(zip(names, result.fetchall()[0], strict=True))
    extras = {k.removeprefix("extra:"): v for k, v in stats.items() if k.startswith("extra:")}
    extras["n"] = stats["n"]

    locator = _q(line) if line else _col(table.key[0]) if single else "NULL"

    def rows(where: str, value: str | None, limit: int = _EXAMPLES + 1) -> list[tuple[Any, Any]]:
        # only the join the rule reads; examples are the first ones, the same on every run
        own = " ".join(j for alias, j in joins.items() if f"{alias}.id" in where)
        return con.execute(
            f"SELECT {locator}, {value or 'NULL'} FROM {source} t {own} "
            f"WHERE {where} ORDER BY {locator} LIMIT {limit}"
        ).fetchall()

    problems: list[Problem] = []
    line_ids = " (salesnb import can generate line ids)" if raw else ""
    if single and stats["key_null"]:
        key_null = Check("not_nullable", single, f"{_col(single)} IS NULL")
        problems.append(
            _problem(
                table, file, key_null, int(stats["key_null"]), rows(key_null.where, None), raw=raw
            )
        )
    if stats.get("key_dup"):
        problems += _repeats(con, source, table, file, keys, single, line, line_ids=line_ids)
    for check in checks:
        count = int(stats[check.name])
        if count:
            problems.append(
                _problem(table, file, check, count, rows(check.where, check.value), raw=raw)
            )
    return problems, extras


def _repeats(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: Table,
    file: str,
    keys: list[str],
    single: str | None,
    line: str | None,
    *,
    line_ids: str,
) -> list[Problem]:
    """Every row whose key repeats another's, counted exactly (hashes only flagged them).

    One GROUP BY finds the repeated keys and their counts; examples are the rows of the
    earliest repeated keys (raw lines: those keys, as often as they appear).
    """
    cols = ", ".join(_q(k) for k in keys)
    nonnull = f"WHERE {_q(single)} IS NOT NULL" if single else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE salesnb_repeats AS SELECT {cols}, count(*) AS n "
        f"FROM {source} {nonnull} GROUP BY ALL HAVING count(*) > 1"
    )
    count = con.execute("SELECT coalesce(sum(n), 0) FROM salesnb_repeats").fetchall()[0][0]
    if not count:  # the hashes collided
        return []
    value = _q(single) if single else "NULL"
    if line is None:  # raw lines: the first repeated ids, each as often as it appears
        first = con.execute(
            f"SELECT {value}, n FROM salesnb_repeats ORDER BY {cols} LIMIT {_EXAMPLES + 1}"
        ).fetchall()
        got = [(key, key) for key, n in first for _ in range(int(n))][: _EXAMPLES + 1]
    else:
        on = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM d.{_q(k)}" for k in keys)
        got = con.execute(
            f"SELECT t.{_q(line)}, {f't.{value}' if single else 'NULL'} FROM {source} t "
            f"SEMI JOIN salesnb_repeats d ON {on} ORDER BY 1 LIMIT {_EXAMPLES + 1}"
        ).fetchall()
    if single:
        check = Check("field_uniqueness", single, "", value)
    else:
        check = Check("multiple_fields_uniqueness", "+".join(table.key), "")
    return [
        _problem(
            table, file, check, int(count), got, raw=line is None, fix_fields={"line_ids": line_ids}
        )
    ]


def check_frame(
    df: pd.DataFrame, table: Table, *, file: str, refs: Mapping[str, pd.Index] | None = None
) -> list[Problem]:
    """Run the catalogue on a parsed small table (index = source line numbers).

    Parameters
    ----------
    df
        Output of :func:`salesnb.schema.parse_table`.
    table
        The canonical table.
    file
        File name for messages.
    refs
        Ids of other tables (``{"accounts": Index([...])}``) for foreign keys.

    Returns
    -------
    list of Problem
        One per rule and column, with the first line, a count and example lines.
    """
    present = [c for c in table.names if c in df.columns]
    refs = dict(refs or {})
    key = table.key[0]
    if table.name in table.references.values() and key in df.columns:
        # a reference into the table itself (accounts.referred_by) checks against its own ids
        refs[table.name] = pd.Index(df[key].dropna().unique())
    frame = df[present].reset_index(names=LINE) if len(df.columns) else pd.DataFrame({LINE: []})
    con = connect()
    try:
        con.register("salesnb_rows", frame)
        problems, _ = run_checks(con, "salesnb_rows", table, file=file, present=present, refs=refs)
    finally:
        con.close()
    return problems


def text_masks(s: pd.Series) -> dict[str, pd.Series]:
    """Masks of risky text cells (formula injection, HTML markup, overlong values), by DuckDB."""
    frame = pd.DataFrame(
        {"r": range(len(s)), "x": s.astype("str").where(s.notna()).to_numpy(dtype=object)}
    )
    conditions = _text_conditions("x")
    con = connect()
    try:
        con.register("cells", frame)
        cols = ", ".join(f"coalesce({w}, false) AS {_q(r)}" for r, w in conditions.items())
        got = con.execute(f"SELECT {cols} FROM cells ORDER BY r").df()  # r: the cells' order
    finally:
        con.close()
    return {r: pd.Series(got[r].to_numpy(dtype=bool), index=s.index) for r in conditions}
