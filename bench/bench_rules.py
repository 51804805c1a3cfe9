"""Benchmark: validation rules in the engine -- pandera's Ibis backend against rules compiled to DuckDB SQL.

Usage:
    /work/ibis-venv/bin/python bench/bench_rules.py [--repeat 3] [--tables orders,opportunities]
                                                    [--scenarios demo,dirty] [--modes sql,ibis,...]
    .venv/bin/python bench/bench_rules.py          # the project venv: SQL and pandas modes only

pandera's Ibis backend (``pandera.ibis``) needs ``ibis-framework[duckdb]``, which the kit
does not depend on. It lives in a separate virtual environment, so that nothing is
installed into the project's .venv::

    python3 -m venv /work/ibis-venv
    /work/ibis-venv/bin/pip install -e /work/main 'pandera[ibis]' 'ibis-framework[duckdb]'

Run with an interpreter without ibis (the project's .venv), the script says so and runs
the SQL and pandas modes only (results in bench_rules_sql_only.json).

One rule set, derived from the kit's catalogue (``salesnb.schema``: TABLES, CATEGORIES,
with the logic of the pandera schema ``_schema`` the kit had up to commit 7f37abf), is
compiled each way and run on the same Parquet files:

  sql           one pass of ``count(*) FILTER (WHERE <violation>)`` for every rule
                (references as LEFT JOINs on the target's distinct ids), one GROUP BY per
                key for repeats, then per failing rule one short ``SELECT file_row_number+1,
                value ... WHERE <violation> ORDER BY 1 LIMIT 5`` for the first rows
  sql-onepass   the same pass also collects the five first failing rows of every rule
                (``min_by(struct, file_row_number, 5) FILTER (WHERE ...)``): no example queries
  kit           the kit's own compiled SQL (``salesnb.dataset.rules.run_checks``, when the
                checkout has it) over the same Parquet file, with its memory-capped
                connection; rows are file_row_number + 1
  ibis          pandera.ibis, the schema written like the kit's pandas schema was: one
                pa.Column per column with its checks, row rules as DataFrameSchema checks,
                the key's uniqueness as DataFrameSchema(unique=[key]) (pa.Column(unique=True)
                is not checked by pandera's Ibis backend); n_failure_cases left at None, so
                counts are the failure cases pandera hands back, located by their position
                in a query result. Counts pandera leaves as unexecuted Ibis tables (a missing
                key, repeats) take more queries.
  ibis-located  pandera.ibis with every rule as a DataFrameSchema check (so a failure case
                is the whole row, file_row_number included) and n_failure_cases=5; the
                count of each failing rule takes one more query on its check output
  pandas        reference: pandera's pandas backend with the schema the kit had up to
                commit 7f37abf (pa.Column per column, unique key, row checks) on the table
                read with pandas.read_parquet (not run on orders: the kit never loads
                orders into pandas)

Tables: orders (10M lines) and opportunities (374k, references accounts and products) are
timed; accounts (self reference, text), buying_centers (composite key) and trials (numeric
ranges, end before start) run too, so that every rule of the catalogue is exercised.

Scenarios: ``demo`` is bench/out/demo-10000000-parquet as written (write it with
``.venv/bin/python bench/bench_demo_check.py --format parquet --keep
bench/out/demo-10000000-parquet``); ``dirty`` is a copy with violations of every rule
injected at fixed row numbers (bench/out/rules/dirty, written once).

Every run is its own process, and the modes take turns (sql, sql-onepass, kit, ibis, ...,
then again). Wall seconds are the best of --repeat, after imports (import costs are
measured separately), from connecting to having every located finding in hand; peak
memory is the process's VmHWM. The findings (rule, column, count, first rows) of
every mode are compared with the SQL ones. A short probe records what pandera's Ibis
backend reports and where it misplaces or misses (mode ``quirks``). Writes
bench/out/rules/bench_rules.json. Figures from a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE / "out" / "demo-10000000-parquet"
OUT = HERE / "out" / "rules"
DIRTY = OUT / "dirty"
TABLE_NAMES = ("orders", "opportunities", "accounts", "buying_centers", "trials")
MODES = ("sql", "sql-onepass", "kit", "ibis", "ibis-located", "pandas")
EXAMPLES = 5


def duck():  # noqa: ANN201
    """A DuckDB connection as every mode uses it: default settings, no progress bar."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false").fetchall()
    return con


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM), MiB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------ the rule set
@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue applied to one table, engine-neutral.

    ``name`` is the catalogue's rule (``needed``, ``reference``, ``range`` ...) and
    ``column`` the column its message names (None: the row as a whole); ``op`` is the
    violation's form, ``cols`` the columns it reads, ``args`` its parameters, ``row``
    whether it needs more than one column (a DataFrame-level check in pandera) and
    ``fields`` the message's ``{target}``-style fields.
    """

    name: str
    column: str | None
    op: str  # missing unique notin outside date_range formula markup long ref when_missing before equal
    cols: tuple[str, ...]
    args: tuple = ()
    row: bool = False
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.name, self.column)

    @property
    def check_name(self) -> str:
        return f"{self.name}|{self.column or ''}"


# the kit's text rules (Python ``re`` in the pandas schema; DuckDB's RE2 here)
FORMULA = r"^[=+\-@\t\r]"
NUMBER_START = r"^-\s*[\d.]"  # a leading minus before a digit is a number, not a formula
PHONE = r"^\+?[\d\s().\-/]+$"  # nor is a phone number ("+44 20 7946 0958")
MARKUP = r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>"
CLOSED = ("won", "lost", "no_decision")


def rules_for(tname: str, present: dict[str, str], refs: set[str]) -> list[Rule]:
    """The table's rules: the catalogue as the kit's pandera schema declared it (up to 7f37abf).

    Key present and unique; values needed; vocabularies; fractions; not negative
    (money outside raw tables, employees); numeric ranges; dates within 1900-2100; text
    hazards; references; opportunities' outcome rules; date order; self references;
    composite keys.
    """
    from salesnb.schema import CATEGORIES, NUMERIC_KINDS, TABLES

    table = TABLES[tname]
    key = table.key[0] if len(table.key) == 1 else None
    out: list[Rule] = []
    for col in table.columns:
        n = col.name
        if n not in present:
            continue
        if n == key:
            out.append(Rule("not_nullable", n, "missing", (n,)))
            out.append(Rule("field_uniqueness", n, "unique", (n,)))
        if col.needed and n not in table.key:
            out.append(Rule("needed", n, "missing", (n,)))
        if col.kind == "category" and n in CATEGORIES:
            allowed = tuple(CATEGORIES[n])
            out.append(
                Rule(
                    "allowed", n, "notin", (n,), allowed, fields=(("allowed", ", ".join(allowed)),)
                )
            )
        if col.kind == "fraction":
            out.append(Rule("fraction", n, "outside", (n,), (0, 1)))
        if (col.kind == "money" and not table.raw) or n == "employees":
            out.append(Rule("not_negative", n, "outside", (n,), (0, None)))
        if col.bounds is not None and col.kind in NUMERIC_KINDS:
            lo, hi = col.bounds
            low, high = f"{lo:g}", "" if hi is None else f"{hi:g}"
            fields = (
                ("target", f"{low}:{high}"),
                ("range", f"outside {low} to {high}" if high else f"below {low}"),
                ("ok", f"from {low} to {high}" if high else f"at least {low}"),
            )
            out.append(Rule("range", n, "outside", (n,), (lo, hi), fields=fields))
        if col.kind == "date":
            out.append(Rule("date_range", n, "date_range", (n,)))
        if col.kind == "text":
            out.append(Rule("formula", n, "formula", (n,)))
            out.append(Rule("markup", n, "markup", (n,)))
            out.append(Rule("long_text", n, "long", (n,)))
        target = table.references.get(n)
        if target and target in refs:
            out.append(
                Rule(
                    "reference",
                    n,
                    "ref",
                    (n,),
                    (target, TABLES[target].key[0]),
                    fields=(("target", target),),
                )
            )
    if tname == "opportunities" and "outcome" in present:
        for name, col, outcomes in (
            ("won_needs_amount", "amount", ("won",)),
            ("open_needs_amount", "amount", ("open",)),
            ("closed_needs_close_date", "close_date", CLOSED),
            ("open_needs_close_date", "close_date", ("open",)),
        ):
            if col in present:
                out.append(Rule(name, None, "when_missing", ("outcome", col), outcomes, row=True))
    for earlier, later, rule in table.date_order:
        if {earlier, later} <= set(present):
            column = None if rule == "close_before_created" else later
            out.append(Rule(rule, column, "before", (earlier, later), row=True))
    for col, target in table.references.items():
        if target == tname and col in present and key in present:
            out.append(
                Rule("self_reference", col, "equal", (col, key), row=True, fields=(("key", key),))
            )
    if len(table.key) > 1 and set(table.key) <= set(present):
        out.append(
            Rule("multiple_fields_uniqueness", "+".join(table.key), "unique", table.key, row=True)
        )
    return out


def source_files(scenario: str) -> Path:
    return DEMO if scenario == "demo" else DIRTY


def table_setup(
    tname: str, scenario: str
) -> tuple[Path, dict[str, str], list[Rule], dict[str, Path]]:
    """Path, column types, rules and reference files of a table."""
    from salesnb.schema import TABLES

    folder = source_files(scenario)
    path = folder / f"{tname}.parquet"
    con = duck()
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(path))})").fetchall()
    con.close()
    types = {str(r[0]): str(r[1]) for r in rows}
    targets = set(TABLES[tname].references.values())
    refs = {t: folder / f"{t}.parquet" for t in targets if (folder / f"{t}.parquet").exists()}
    return path, types, rules_for(tname, types, set(refs)), refs


# ------------------------------------------------------------------ SQL
def _is_float(types: dict[str, str], col: str) -> bool:
    return types.get(col) in ("DOUBLE", "FLOAT")


def sql_missing(c: str, types: dict[str, str], col: str) -> str:
    return f"({c} IS NULL OR isnan({c}))" if _is_float(types, col) else f"{c} IS NULL"


def sql_violation(rule: Rule, types: dict[str, str], ref_alias: str | None = None) -> str:
    """SQL that is TRUE on a row breaking the rule (NULL or FALSE otherwise)."""
    cols = [f"t.{q(c)}" for c in rule.cols]
    c = cols[0]
    op = rule.op
    if op == "missing":
        return sql_missing(c, types, rule.cols[0])
    if op == "notin":
        return f"{c} NOT IN ({', '.join(lit(v) for v in rule.args)})"
    if op == "outside":
        lo, hi = rule.args
        cond = f"{c} < {lo}" + (f" OR {c} > {hi}" if hi is not None else "")
        return f"(NOT isnan({c}) AND ({cond}))" if _is_float(types, rule.cols[0]) else f"({cond})"
    if op == "date_range":
        return f"({c} < DATE '1900-01-01' OR {c} >= DATE '2101-01-01')"
    if op == "formula":
        return (
            f"(regexp_matches({c}, {lit(FORMULA)}) AND NOT regexp_matches({c}, {lit(NUMBER_START)})"
            f" AND NOT regexp_matches({c}, {lit(PHONE)}))"
        )
    if op == "markup":
        return f"regexp_matches({c}, {lit(MARKUP)})"
    if op == "long":
        return f"length({c}) > 1000"
    if op == "ref":
        return f"({c} IS NOT NULL AND {ref_alias}.k IS NULL)"
    if op == "when_missing":
        outcomes = ", ".join(lit(v) for v in rule.args)
        return f"({c} IN ({outcomes}) AND {sql_missing(cols[1], types, rule.cols[1])})"
    if op == "before":
        return f"{cols[1]} < {cols[0]}"
    if op == "equal":
        return f"{cols[0]} = {cols[1]}"
    raise ValueError(op)


def sql_repeats(con, src: str, rule: Rule) -> dict | None:  # noqa: ANN001
    """Rows whose key repeats another's: one GROUP BY (count, earliest repeated keys), then
    the first five such rows (they belong to the five keys that repeat earliest)."""
    cols = [q(c) for c in rule.cols]
    nonnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    total, keys = con.execute(
        f"SELECT sum(c)::BIGINT, list(struct_pack({', '.join(f'k{i} := {c}' for i, c in enumerate(cols))}) "
        f"ORDER BY first)[1:{EXAMPLES}] FROM (SELECT {', '.join(cols)}, count(*) AS c, "
        f"min(file_row_number) AS first FROM {src} WHERE {nonnull} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0]
    if not total:
        return None
    match = " OR ".join(
        "(" + " AND ".join(f"{c} = {lit(k[f'k{i}'])}" for i, c in enumerate(cols)) + ")"
        for k in keys
    )
    got = con.execute(
        f"SELECT file_row_number + 1, concat_ws('+', {', '.join(cols)}) FROM {src} "
        f"WHERE {match} ORDER BY 1 LIMIT {EXAMPLES}"
    ).fetchall()
    return finding(rule, int(total), [g[0] for g in got], [g[1] for g in got], "file_row_number")


def run_sql(tname: str, scenario: str, onepass: bool) -> dict:
    """The compiled-SQL mode: counts in one pass, then examples of the failing rules."""
    from salesnb.schema import TABLES

    path, types, rules, refs = table_setup(tname, scenario)
    key = TABLES[tname].key[0]
    con = duck()
    src = f"read_parquet({lit(str(path))}, file_row_number=true)"
    aliases: dict = {}
    joins: dict = {}
    for i, rule in enumerate(r for r in rules if r.op == "ref"):
        target, tkey = rule.args
        alias = f"r{i}"
        aliases[rule.key] = alias
        joins[rule.key] = (
            f"LEFT JOIN (SELECT DISTINCT {q(tkey)} AS k FROM read_parquet({lit(str(refs[target]))}))"
            f" {alias} ON t.{q(rule.cols[0])} = {alias}.k"
        )
    parts = ["count(*) AS n"]
    for j, rule in enumerate(rules):
        if rule.op == "unique":
            continue  # a GROUP BY of its own, below
        cond = sql_violation(rule, types, aliases.get(rule.key))
        parts.append(f"count(*) FILTER (WHERE {cond}) AS c{j}")
        if onepass:
            value = f"t.{q(rule.column)}" if rule.column else f"t.{q(key)}"
            parts.append(
                f"min_by(struct_pack(r := file_row_number + 1, v := CAST({value} AS VARCHAR)), "
                f"file_row_number, {EXAMPLES}) FILTER (WHERE {cond}) AS e{j}"
            )
    query = f"SELECT {', '.join(parts)} FROM {src} t {' '.join(joins.values())}"
    cur = con.execute(query)
    names = [d[0] for d in cur.description]
    stats = dict(zip(names, cur.fetchall()[0], strict=True))
    findings = []
    extra_queries = 0
    for j, rule in enumerate(rules):
        if rule.op == "unique":
            found = sql_repeats(con, src, rule)
            extra_queries += 2 if found else 1
            if found:
                findings.append(found)
            continue
        count = int(stats[f"c{j}"] or 0)
        if not count:
            continue
        if onepass:
            ex = stats[f"e{j}"] or []
            rows = [int(e["r"]) for e in ex]
            values = [e["v"] for e in ex]
        else:
            cond = sql_violation(rule, types, aliases.get(rule.key))
            value = f"t.{q(rule.column)}" if rule.column else f"t.{q(key)}"
            # ORDER BY: the first rows of the file (a join does not keep the file's order)
            got = con.execute(
                f"SELECT file_row_number + 1, CAST({value} AS VARCHAR) FROM {src} t "
                f"{joins.get(rule.key, '')} WHERE {cond} ORDER BY 1 LIMIT {EXAMPLES}"
            ).fetchall()
            extra_queries += 1
            rows = [int(g[0]) for g in got]
            values = [g[1] for g in got]
        findings.append(finding(rule, count, rows, values, "file_row_number"))
    con.close()
    return {
        "rows": int(stats["n"]),
        "rules": len(rules),
        "queries": 1 + extra_queries,
        "findings": findings,
        "sql_chars": len(query),
    }


# ------------------------------------------------------------------ the kit's own SQL rules
def run_kit(tname: str, scenario: str) -> dict:
    """salesnb.dataset.rules.run_checks (the kit's compiled SQL, if this checkout has it)."""
    import pandas as pd

    from salesnb.dataset.core import connect
    from salesnb.dataset.rules import run_checks
    from salesnb.schema import TABLES

    path, types, rules, ref_paths = table_setup(tname, scenario)
    table = TABLES[tname]
    con = connect()  # the kit's connection: memory capped (SALESNB_DUCKDB_MEMORY, 512MB)
    refs = {}
    for target, p in ref_paths.items():
        tkey = TABLES[target].key[0]
        ids = con.execute(
            f"SELECT DISTINCT {q(tkey)} FROM read_parquet({lit(str(p))}) WHERE {q(tkey)} IS NOT NULL"
        ).fetchall()
        refs[target] = pd.Index([i[0] for i in ids])
    source = (
        f"(SELECT *, file_row_number + 1 AS __row FROM read_parquet({lit(str(path))}, "
        "file_row_number=true))"
    )
    problems, _ = run_checks(
        con, source, table, file=path.name, present=list(types), refs=refs, line="__row"
    )
    con.close()
    lookup = {(rule_message(r), r.column): r for r in rules}
    findings = []
    for p in problems:
        rule = lookup.get((p.problem, p.column)) or Rule(p.problem, p.column, "?", ())
        rows = [p.line] if p.line is not None else []
        if p.examples.startswith("lines "):
            head = p.examples[6:].split(";")[0].replace(" ...", "")
            rows += [int(x) for x in head.split(", ") if x.strip().isdigit()]
        findings.append(finding(rule, p.count, rows, [], "file_row_number"))
    return {"findings": findings, "kit_messages": [p.describe() for p in problems][:40]}


# ------------------------------------------------------------------ findings and messages
def finding(rule: Rule, count: int, rows: list, values: list, located: str | None) -> dict:
    return {
        "rule": rule.name,
        "column": rule.column,
        "count": int(count),
        "rows": [int(r) for r in rows][:EXAMPLES],
        "values": [None if v is None else str(v)[:40] for v in values][:EXAMPLES],
        "located": located,
    }


def catalogue() -> dict:
    """The rules' messages and fixes: salesnb.dataset.rules.RULES, or schema._RULES before it."""
    try:
        from salesnb.dataset.rules import RULES
    except ImportError:
        from salesnb.schema import _RULES as RULES  # the kit up to 7f37abf
    return RULES


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return ""


def rule_message(rule: Rule) -> str:
    r = catalogue().get(rule.name)
    return r.message.format_map(_Fields(rule.fields)) if r else rule.name


def message(tname: str, file: str, f: dict, rules: list[Rule]) -> str:
    """The kit's one-line message (``Problem.describe``) for a finding."""
    from salesnb.schema import TABLES, Problem

    rule = next((r for r in rules if r.key == (f["rule"], f["column"])), None)
    fields = _Fields(rule.fields if rule else ())
    fields.setdefault("key", TABLES[tname].key[0])
    entry = catalogue().get(f["rule"])
    rows, values = f["rows"], f["values"]
    if f["count"] > 1 and len(rows) > 1:
        examples = (
            "rows "
            + ", ".join(str(r) for r in rows[1:])
            + (" ..." if f["count"] > len(rows) else "")
        )
        if any(v is not None for v in values[1:]):
            examples += "; values " + ", ".join(repr(v)[:40] for v in values[1:4])
    elif values and values[0] is not None:
        examples = f"value {values[0]!r}"
    else:
        examples = ""
    return Problem(
        entry.severity if entry else "error",
        file,
        entry.message.format_map(fields) if entry else f["rule"],
        entry.fix.format_map(fields) if entry else "",
        tname,
        f["column"],
        rows[0] if rows else None,
        f["count"],
        examples,
    ).describe()


# ------------------------------------------------------------------ pandera.ibis
def ibis_violation(rule: Rule, t, refs: dict):  # noqa: ANN001, ANN201
    """Ibis boolean expression, never NULL, TRUE on a row breaking the rule."""
    import datetime as dt

    c = t[rule.cols[0]]

    def missing(col):  # noqa: ANN001, ANN202
        out = col.isnull()  # noqa: PD003  (Ibis)
        return out | col.isnan().fill_null(False) if col.type().is_floating() else out

    op = rule.op
    if op == "missing":
        v = missing(c)
    elif op == "notin":
        v = c.notin(list(rule.args))
    elif op == "outside":
        lo, hi = rule.args
        v = c < lo
        if hi is not None:
            v = v | (c > hi)
        if c.type().is_floating():
            v = ~c.isnan() & v
    elif op == "date_range":
        v = (c < dt.date(1900, 1, 1)) | (c >= dt.date(2101, 1, 1))
    elif op == "formula":
        v = c.re_search(FORMULA) & ~c.re_search(NUMBER_START) & ~c.re_search(PHONE)
    elif op == "markup":
        v = c.re_search(MARKUP)
    elif op == "long":
        v = c.length() > 1000
    elif op == "ref":
        target, tkey = rule.args
        v = c.notnull() & ~c.isin(  # noqa: PD004  (Ibis)
            refs[target][tkey]
        )
    elif op == "when_missing":
        v = c.isin(list(rule.args)) & missing(t[rule.cols[1]])
    elif op == "before":
        v = t[rule.cols[1]] < c
    elif op == "equal":
        v = c == t[rule.cols[1]]
    else:
        raise ValueError(op)
    return v.fill_null(False)


def ibis_schema(tname: str, rules: list[Rule], refs: dict, located: bool):  # noqa: ANN201
    """The rules as a pandera.ibis schema (``located``: every rule a DataFrame-level check)."""
    import pandera.ibis as pa

    from salesnb.schema import TABLES

    key = TABLES[tname].key[0]
    unique = None
    columns: dict = {}
    checks = []
    for rule in rules:
        if rule.op == "unique":
            unique = list(rule.cols)  # pa.Column(unique=True) is not checked by the Ibis backend
            continue
        check = pa.Check(
            lambda d, r=rule: ~ibis_violation(r, d.table, refs),
            name=rule.check_name,
            ignore_na=False,
            n_failure_cases=EXAMPLES if located else None,
        )
        if located or rule.row:
            checks.append(check)
        elif rule.name != "not_nullable":  # that one is the column's nullable=False
            columns.setdefault(rule.column, []).append(check)
    schema_columns = {}
    if not located:
        for col in {r.column for r in rules if not r.row}:
            schema_columns[col] = pa.Column(
                None, checks=columns.get(col, []), nullable=col != key, required=False
            )
    return pa.DataFrameSchema(schema_columns, checks=checks, unique=unique, strict=False)


def run_ibis(tname: str, scenario: str, located: bool) -> dict:
    import ibis
    import pandas as pd
    import pandera.ibis as pa

    path, types, rules, ref_paths = table_setup(tname, scenario)
    con = ibis.duckdb.connect()
    con.con.execute("SET enable_progress_bar = false").fetchall()
    t = con.read_parquet(str(path), file_row_number=True)
    refs = {name: con.read_parquet(str(p)) for name, p in ref_paths.items()}
    schema = ibis_schema(tname, rules, refs, located)
    by_check = {r.check_name: r for r in rules}
    extra_queries = 0
    findings = []
    native = ""
    t_validate = time.perf_counter()
    try:
        schema.validate(t, lazy=True)
        validate_s = time.perf_counter() - t_validate
    except pa.errors.SchemaErrors as err:
        validate_s = time.perf_counter() - t_validate
        native = err.failure_cases.head(12).to_string(max_colwidth=60)
        for se in err.schema_errors:
            check = se.check if isinstance(se.check, str) else se.check.name
            col = se.schema.name if type(se.schema).__name__ == "Column" else None
            fc = se.failure_cases
            if check == "multiple_fields_uniqueness":
                rule = next(r for r in rules if r.op == "unique")
            elif check == "not_nullable":
                rule = by_check[f"not_nullable|{col}"]
            else:
                rule = by_check[check]
            value = rule.column if rule.column and "+" not in rule.column else rule.cols[0]
            if isinstance(fc, ibis.Table):
                # pandera leaves these unexecuted: the count and the rows take more queries
                count = int(fc.count().execute())
                extra_queries += 1
                if "file_row_number" in fc.columns:
                    ex = (
                        fc.order_by("file_row_number")
                        .select("file_row_number", value)
                        .limit(EXAMPLES)
                        .execute()
                    )
                    extra_queries += 1
                    rows = (ex["file_row_number"] + 1).tolist()
                    findings.append(
                        finding(rule, count, rows, ex[value].tolist(), "file_row_number")
                    )
                else:  # a one-column table of nulls: nothing to locate them by
                    findings.append(finding(rule, count, [], [], None))
                continue
            cases = (
                fc
                if isinstance(fc, pd.DataFrame)
                else pd.DataFrame({"failure_case": [], "index": []})
            )
            if located:
                records = [r for r in cases["failure_case"].tolist() if isinstance(r, dict)]
                by_row = {int(r["file_row_number"]) + 1: r.get(value) for r in records}
                rows = sorted(by_row)
                # n_failure_cases=5: the count is one more query on the check's output
                count = int(t.filter(~se.check_output).count().execute())
                extra_queries += 1
                findings.append(
                    finding(rule, count, rows, [by_row[r] for r in rows], "file_row_number")
                )
            else:
                # every failure case is in pandas; the index is the row's position in the
                # query's result (0-based), not a row number carried from the file
                idx = sorted(int(i) for i in cases["index"].dropna().unique())
                vals = cases.drop_duplicates("index").set_index("index")["failure_case"]
                values = []
                for i in idx[:EXAMPLES]:
                    v = vals.get(i)
                    values.append(v.get(value) if isinstance(v, dict) else v)
                findings.append(
                    finding(rule, len(idx), [i + 1 for i in idx[:EXAMPLES]], values, "position")
                )
    return {
        "rules": len(rules),
        "validate_seconds": round(validate_s, 3),
        "queries_after_validate": extra_queries,
        "findings": findings,
        "native_failure_cases_head": native,
    }


# ------------------------------------------------------------------ pandera pandas
def pandas_violation(rule: Rule, refs: dict):  # noqa: ANN201
    """A function of a Series (column rules) or DataFrame (row rules): True where broken."""
    import re

    op = rule.op
    if op == "missing":
        return lambda s: s.isna()
    if op == "notin":
        allowed = set(rule.args)
        return lambda s: s.notna() & ~s.isin(allowed)
    if op == "outside":
        lo, hi = rule.args
        return lambda s: (
            ((s < lo) | ((s > hi) if hi is not None else False)).fillna(False).astype(bool)
        )
    if op == "date_range":
        return lambda s: s.notna() & ~s.dt.year.between(1900, 2100)
    if op == "formula":
        formula, number, phone = (
            re.compile(FORMULA),
            re.compile(NUMBER_START),
            re.compile(PHONE[1:-1]),
        )

        def f(s):  # noqa: ANN001, ANN202
            txt = s.astype("str").where(s.notna())
            starts = txt.str.match(formula).fillna(False)
            starts &= ~txt.str.match(number).fillna(False)
            starts &= ~txt.str.fullmatch(phone).fillna(False)
            return starts.astype(bool)

        return f
    if op == "markup":
        markup = re.compile(MARKUP)
        return lambda s: (
            s.astype("str").where(s.notna()).str.contains(markup).fillna(False).astype(bool)
        )
    if op == "long":
        return lambda s: (
            (s.astype("str").where(s.notna()).str.len() > 1000).fillna(False).astype(bool)
        )
    if op == "ref":
        ids = refs[rule.args[0]]
        return lambda s: s.notna() & ~s.isin(ids)
    if op == "when_missing":
        a, b = rule.cols
        return lambda d: (d[a].isin(rule.args) & d[b].isna()).fillna(False).astype(bool)
    if op == "before":
        a, b = rule.cols
        return lambda d: (d[b] < d[a]).fillna(False).astype(bool)
    if op == "equal":
        a, b = rule.cols
        return lambda d: (d[a] == d[b]).fillna(False).astype(bool)
    raise ValueError(op)


def run_pandas(tname: str, scenario: str) -> dict:
    """pandera's pandas backend with the schema the kit had (pa.Column per column, unique key)."""
    import pandas as pd
    import pandera.pandas as pa

    from salesnb.schema import TABLES

    path, types, rules, ref_paths = table_setup(tname, scenario)
    table = TABLES[tname]
    key = table.key[0] if len(table.key) == 1 else None
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    df.index = pd.RangeIndex(1, len(df) + 1)  # row numbers, as the kit's Parquet messages count
    for col, typ in types.items():
        if (
            typ == "DATE"
        ):  # pandas reads Parquet dates as objects; the kit's parsing gives datetime64
            df[col] = pd.to_datetime(df[col])
    refs = {}
    for target, p in ref_paths.items():
        tkey = TABLES[target].key[0]
        refs[target] = pd.Index(pd.read_parquet(p, columns=[tkey])[tkey].dropna().unique())
    read_s = time.perf_counter() - t0
    columns: dict = {}
    row_checks = []
    composite = None
    for rule in rules:
        if rule.op == "unique":
            composite = list(rule.cols) if len(rule.cols) > 1 else None
            continue
        if rule.name == "not_nullable":
            continue
        fn = pandas_violation(rule, refs)
        check = pa.Check(lambda x, f=fn: ~f(x), name=rule.check_name, ignore_na=False)
        (row_checks if rule.row else columns.setdefault(rule.column, [])).append(check)
    cols = {
        c: pa.Column(
            None, checks=columns.get(c, []), nullable=c != key, unique=c == key, required=False
        )
        for c in {r.column for r in rules if not r.row}
    }
    schema = pa.DataFrameSchema(cols, checks=row_checks, unique=composite, strict=False)
    by_check = {r.check_name: r for r in rules}
    findings = []
    t1 = time.perf_counter()
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"]).copy()
        # a DataFrame-level check reports each column of a failing row: group by check
        builtin = cases["check"].isin(["not_nullable", "field_uniqueness"])
        cases["group"] = cases["column"].where(builtin, "")
        for (check, column), grp in cases.groupby(["check", "group"], dropna=False, sort=False):
            check = str(check)
            if check in ("not_nullable", "field_uniqueness"):
                rule = by_check[f"{check}|{column}"]
            elif check == "multiple_fields_uniqueness":
                rule = next(r for r in rules if r.op == "unique")
            else:
                rule = by_check[check]
            idx = sorted(int(i) for i in grp["index"].unique())
            shown = rule.column if rule.column in set(grp["column"]) else key
            sub = grp[grp["column"] == shown] if shown in set(grp["column"]) else grp
            vals = sub.drop_duplicates("index").set_index("index")["failure_case"]
            findings.append(
                finding(
                    rule, len(idx), idx[:EXAMPLES], [vals.get(i) for i in idx[:EXAMPLES]], "index"
                )
            )
    return {
        "read_seconds": round(read_s, 3),
        "validate_seconds": round(time.perf_counter() - t1, 3),
        "findings": findings,
    }


# ------------------------------------------------------------------ quirks of pandera.ibis
def run_quirks() -> dict:
    """Small, checkable facts about pandera's Ibis backend on this stack."""
    import tempfile

    import duckdb
    import ibis
    import pandas as pd
    import pandera
    import pandera.ibis as pa

    out: dict = {
        "versions": {
            "duckdb": duckdb.__version__,
            "ibis": ibis.__version__,
            "pandera": pandera.__version__,
            "pandas": pd.__version__,
        }
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-rules-"))
    df = pd.DataFrame(
        {"id": ["a", "b", "b", None, "e", "f"], "ref": ["x", "x", "x", None, "zz", "yy"]}
    )
    df.to_parquet(tmp / "t.parquet")
    con = ibis.duckdb.connect()
    t = con.read_parquet(str(tmp / "t.parquet"), file_row_number=True)
    # 1. pa.Column(unique=True) on a column with a repeated value ("b" on rows 1 and 2)
    try:
        pa.DataFrameSchema({"id": pa.Column(str, nullable=True, unique=True)}).validate(
            t, lazy=True
        )
        out["column_unique_true_reports_the_repeat"] = False
    except pa.errors.SchemaErrors:
        out["column_unique_true_reports_the_repeat"] = True
    # 2. a check whose output is NULL on a row (ignore_na=False): where do the failures land?
    check = pa.Check(lambda d: d.table["ref"].isin(["x"]), name="ref_in_x", ignore_na=False)
    try:
        pa.DataFrameSchema({"ref": pa.Column(str, nullable=True, checks=[check])}).validate(
            t, lazy=True
        )
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        out["null_output_check"] = {
            "failing_rows_0based": {"None": 3, "zz": 4, "yy": 5},
            "pandera_failure_case_to_index": {
                str(r["failure_case"]): r["index"]
                for r in fc[["failure_case", "index"]].to_dict("records")
            },
        }
    # 3. what a missing key and a repeated key carry
    try:
        pa.DataFrameSchema({"id": pa.Column(str, nullable=False)}, unique=["id"]).validate(
            t, lazy=True
        )
    except pa.errors.SchemaErrors as err:
        out["key_failures"] = [
            {"check": r["check"], "failure_case": str(r["failure_case"])[:160], "index": r["index"]}
            for r in err.failure_cases.to_dict("records")
        ]
        out["key_failures_message"] = str(err)[:1500]

    # 4. the same uniqueness as a custom check returning a table (window count, nulls
    # excluded): pandera joins its output to the table by position
    def repeats(d):  # noqa: ANN001, ANN202
        tb = d.table
        twice = (tb["id"].count().over(group_by=tb["id"]) > 1) & tb["id"].notnull()  # noqa: PD004  (Ibis)
        return tb.mutate(ok=~twice.fill_null(False)).select("ok")

    try:
        pa.DataFrameSchema({}, checks=[pa.Check(repeats, name="repeats")]).validate(t, lazy=True)
    except pa.errors.SchemaErrors as err:
        out["window_check"] = {
            "failing_rows_0based": {"b": [1, 2]},
            "pandera_failure_cases": [
                {
                    "id": r["failure_case"].get("id"),
                    "file_row_number": r["failure_case"].get("file_row_number"),
                }
                for r in err.failure_cases.to_dict("records")
                if isinstance(r["failure_case"], dict)
            ],
        }
    # 5. ibis 12 calls DuckDB connection methods DuckDB 2.0 no longer has
    for name, fn in (
        ("con.sql(raw SQL)", lambda c: c.sql("SELECT 1 AS x").execute()),
        ("con.create_table(pandas frame)", lambda c: c.create_table("tt", df)),
        ("execute an ibis.memtable", lambda c: c.execute(ibis.memtable(df).count())),
        (
            "con.read_parquet(file_row_number=True).execute()",
            lambda c: len(c.read_parquet(str(tmp / "t.parquet"), file_row_number=True).execute()),
        ),
    ):
        c = ibis.duckdb.connect()
        try:
            fn(c)
            out.setdefault("duckdb2_api", {})[name] = "ok"
        except Exception as exc:  # noqa: BLE001
            out.setdefault("duckdb2_api", {})[name] = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:140]}"
            )
    return out


# ------------------------------------------------------------------ children
_BASE = "import duckdb, pandas, pyarrow; t = time.perf_counter()"  # what the kit loads anyway
IMPORTS = {
    "duckdb": "import duckdb",
    "pandas + duckdb + pyarrow": "import duckdb, pandas, pyarrow",
    "salesnb.schema": "import salesnb.schema",
    "pandera.pandas": "import pandera.pandas",
    "ibis + pandera.ibis": "import ibis; import pandera.ibis",
    "ibis + pandera.ibis + ibis.duckdb.connect()": "import ibis, pandera.ibis; ibis.duckdb.connect()",
    "pandera.pandas, after pandas + duckdb + pyarrow": f"{_BASE}; import pandera.pandas",
    "ibis + pandera.ibis + connect, after pandas + duckdb + pyarrow": (
        f"{_BASE}; import ibis, pandera.ibis; ibis.duckdb.connect()"
    ),
}


def child(mode: str, tname: str, scenario: str) -> dict:
    base = rss_mib()
    if mode in ("sql", "sql-onepass", "kit"):
        import duckdb  # noqa: F401

        import salesnb.schema  # noqa: F401

        if mode == "kit":
            import salesnb.dataset.rules  # noqa: F401
    elif mode.startswith("ibis"):
        import ibis
        import pandera.ibis  # noqa: F401

        import salesnb.schema  # noqa: F401

        ibis.duckdb  # noqa: B018  (loads the backend)
    else:
        import pandera.pandas  # noqa: F401

        import salesnb.schema  # noqa: F401
    after_imports = rss_mib()
    t0 = time.perf_counter()
    if mode == "sql":
        out = run_sql(tname, scenario, onepass=False)
    elif mode == "sql-onepass":
        out = run_sql(tname, scenario, onepass=True)
    elif mode == "ibis":
        out = run_ibis(tname, scenario, located=False)
    elif mode == "ibis-located":
        out = run_ibis(tname, scenario, located=True)
    elif mode == "pandas":
        out = run_pandas(tname, scenario)
    elif mode == "kit":
        out = run_kit(tname, scenario)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["seconds"] = time.perf_counter() - t0
    out["rss_start_mib"] = round(base)
    out["rss_after_imports_mib"] = round(after_imports)
    out["peak_mib"] = round(peak_mib())
    out["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    rules = table_setup(tname, scenario)[2]
    out["messages"] = [message(tname, f"{tname}.parquet", f, rules) for f in out["findings"]]
    return out


def spawn(args: list[str], python: str = sys.executable) -> dict:
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
        return {"error": "\n".join(tail)}
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_import(code: str, repeat: int) -> float | None:
    prog = (
        "import time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter(); "
        f"{code}; print(time.perf_counter() - t)"
    )
    best = None
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", prog], capture_output=True, text=True, check=False
        )
        if done.returncode:
            return None
        s = float(done.stdout.strip().splitlines()[-1])
        best = s if best is None else min(best, s)
    return best


# ------------------------------------------------------------------ the dirty copy
def _inject(col: str, *cases: tuple[int, int, str]) -> str:
    """SQL for ``col`` with ``value`` on the rows where file_row_number % m = k."""
    whens = " ".join(f"WHEN file_row_number % {m} = {k} THEN {value}" for m, k, value in cases)
    return f"CASE {whens} ELSE {q(col)} END"


def _prev(col: str) -> str:
    """The value of the row before (a repeated key)."""
    return f"lag({q(col)}) OVER (ORDER BY file_row_number)"


# table -> column -> (modulus, remainder, SQL value): violations of every rule
INJECT: dict[str, dict[str, tuple[tuple[int, int, str], ...]]] = {
    "orders": {
        "order_id": ((100003, 11, "NULL"), (1000, 7, _prev("order_id"))),
        "account_id": ((997, 3, "'AX' || file_row_number"),),
        "order_date": ((50021, 5, "DATE '1850-01-01'"), (400009, 13, "NULL")),
        "amount": ((200003, 9, "NULL"),),
        "product_id": ((333331, 1, "'P999'"),),
    },
    "opportunities": {
        "opportunity_id": ((60000, 23, "NULL"), (5000, 17, _prev("opportunity_id"))),
        "account_id": ((3001, 4, "'AX' || file_row_number"),),
        "outcome": ((4001, 6, "'wonn'"),),
        "source": ((7001, 8, "'webinar'"),),
        "probability": ((3003, 10, "1.5"),),
        "amount": ((9001, 12, "-100"), (2503, 14, "NULL")),
        "close_date": ((6007, 15, "created_date - 10"), (2011, 16, "NULL")),
        "created_date": ((50001, 18, "DATE '2150-01-01'"),),
        "owner": (
            (10007, 19, "'=HYPERLINK(\"http://x\")'"),
            (10009, 20, "'+44 20 7946 0958'"),  # a phone number, not a formula
            (10037, 21, "'-12.5'"),  # a number, not a formula
        ),
        "loss_reason": ((8009, 22, "'price <b>too</b> high'"),),
        "competitor": ((20011, 24, "repeat('x', 1200)"),),
        "stage": ((30011, 25, "NULL"),),
    },
    "accounts": {
        "referred_by": ((5003, 26, "account_id"), (7019, 27, "'AZZZ'")),
        "employees": ((9013, 28, "-5"),),
        "account_name": ((11003, 29, "'@SUM(A1)'"),),
    },
    "buying_centers": {
        "account_id": ((1009, 30, _prev("account_id")),),
        "buying_center": ((1009, 30, _prev("buying_center")),),
    },
    "trials": {
        "usage_score": ((503, 31, "150"),),
        "length_days": ((701, 32, "0"),),
        "end_date": ((401, 33, "start_date - 3"),),
    },
}


def write_dirty() -> None:
    """Copy the demo tables with violations of every rule at fixed row numbers (once)."""
    import shutil

    if (DIRTY / "done").exists():
        return
    DIRTY.mkdir(parents=True, exist_ok=True)
    con = duck()
    for name, spec in INJECT.items():
        file = lit(str(DEMO / f"{name}.parquet"))
        cols = [
            r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({file})").fetchall()
        ]
        select = ", ".join(f"{_inject(c, *spec[c]) if c in spec else q(c)} AS {q(c)}" for c in cols)
        target = lit(str(DIRTY / f"{name}.parquet"))
        con.execute(
            f"COPY (SELECT {select} FROM read_parquet({file}, file_row_number=true) "
            f"ORDER BY file_row_number) TO {target} "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1048576)"
        )
    shutil.copy(DEMO / "products.parquet", DIRTY / "products.parquet")
    (DIRTY / "done").write_text("written by bench_rules.py\n")


# ------------------------------------------------------------------ orchestration
def compare(ref: list[dict], other: list[dict]) -> str:
    """'=' when the counts per (rule, column) agree with the SQL ones, else the differences."""
    a = {(f["rule"], f["column"]): f["count"] for f in ref}
    b = {(f["rule"], f["column"]): f["count"] for f in other}
    diffs = []
    for k in sorted(set(a) | set(b), key=str):
        if a.get(k) != b.get(k):
            diffs.append(f"{k[0]}[{k[1] or ''}]: sql {a.get(k, 0)} vs {b.get(k, 0)}")
    return "=" if not diffs else "; ".join(diffs)


def rows_agree(ref: list[dict], other: list[dict]) -> str:
    a = {(f["rule"], f["column"]): f["rows"] for f in ref}
    bad = [
        f"{f['rule']}[{f['column'] or ''}]"
        for f in other
        if (f["rule"], f["column"]) in a and f["rows"] and f["rows"] != a[(f["rule"], f["column"])]
    ]
    missing = [f"{f['rule']}[{f['column'] or ''}]" for f in other if not f["rows"]]
    text = "same first rows" if not bad else "other rows: " + ", ".join(bad)
    return text + (("; not located: " + ", ".join(missing)) if missing else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tables", default=",".join(TABLE_NAMES))
    parser.add_argument("--scenarios", default="demo,dirty")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--merge",
        action="store_true",
        help="replace these runs in the existing JSON, keep the others (and their SQL findings) "
        "and the import times; --merge --modes '' only refreshes the quirks",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "TABLE", "SCENARIO"), help=argparse.SUPPRESS
    )
    parser.add_argument("--quirks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import warnings

        warnings.simplefilter("ignore")
        print(json.dumps(child(*args.child), default=str))
        return
    if args.quirks:
        import warnings

        warnings.simplefilter("ignore")
        print(json.dumps(run_quirks(), default=str))
        return

    if not (DEMO / "orders.parquet").exists():
        raise SystemExit(
            f"{DEMO} is missing: write it with\n  .venv/bin/python bench/bench_demo_check.py "
            "--format parquet --keep bench/out/demo-10000000-parquet"
        )
    has_ibis = all(importlib.util.find_spec(m) for m in ("ibis", "pandera"))
    if has_ibis:
        try:
            importlib.import_module("pandera.ibis")
        except Exception:  # noqa: BLE001
            has_ibis = False
    modes = [m for m in args.modes.split(",") if m]
    if "kit" in modes and not importlib.util.find_spec("salesnb.dataset.rules"):
        print("salesnb.dataset.rules is not in this checkout: skipping mode kit", flush=True)
        modes.remove("kit")
    if "pandas" in modes and not importlib.util.find_spec("pandera"):
        print(
            "pandera is not installed (the kit no longer depends on it): skipping mode pandas\n"
            "  (pip install pandera into this environment to measure pandera's pandas backend)",
            flush=True,
        )
        modes.remove("pandas")
    if not has_ibis:
        skipped = [m for m in modes if m.startswith("ibis")]
        modes = [m for m in modes if not m.startswith("ibis")]
        print(
            f"ibis / pandera.ibis not importable with {sys.executable}: skipping {', '.join(skipped)}\n"
            "  (make the separate venv: python3 -m venv /work/ibis-venv && /work/ibis-venv/bin/pip "
            "install -e /work/main 'pandera[ibis]' 'ibis-framework[duckdb]')",
            flush=True,
        )
    find_pandera = importlib.util.find_spec("pandera") is not None
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_dirty()
    print(f"dirty copy ready ({time.perf_counter() - t0:.1f} s)", flush=True)

    result: dict = {
        "python": sys.executable,
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "imports_seconds": {},
        "runs": [],
    }
    for label, code in IMPORTS.items() if not args.merge else ():
        if ("ibis" in code and not has_ibis) or ("pandera" in code and not find_pandera):
            continue
        s = time_import(code, max(args.repeat, 5))
        result["imports_seconds"][label] = None if s is None else round(s, 3)
        print(f"import {label:<52} {s if s is None else round(s, 3)} s", flush=True)
    if has_ibis:
        result["quirks"] = spawn(["--quirks"])

    name = "bench_rules.json" if has_ibis else "bench_rules_sql_only.json"
    previous = json.loads((OUT / name).read_text()) if args.merge and (OUT / name).exists() else {}
    stored = {(e["mode"], e["table"], e["scenario"]): e for e in previous.get("runs", [])}
    for scenario in args.scenarios.split(","):
        for tname in args.tables.split(","):
            sql_findings = stored.get(("sql", tname, scenario), {}).get("findings")
            these = [m for m in modes if not (m == "pandas" and tname == "orders")]
            # the modes take turns, so that the other jobs' load falls on each alike
            by_mode: dict[str, list[dict]] = {m: [] for m in these}
            for _ in range(args.repeat):
                for mode in these:
                    by_mode[mode].append(spawn(["--child", mode, tname, scenario]))
            for mode in these:
                runs = by_mode[mode]
                ok = [r for r in runs if "error" not in r]
                if not ok:
                    entry = {
                        "mode": mode,
                        "table": tname,
                        "scenario": scenario,
                        "error": runs[0]["error"],
                    }
                    print(
                        f"{scenario:<6} {tname:<15} {mode:<13} ERROR {runs[0]['error'][-300:]}",
                        flush=True,
                    )
                    result["runs"].append(entry)
                    continue
                best = min(ok, key=lambda r: r["seconds"])
                entry = {
                    "mode": mode,
                    "table": tname,
                    "scenario": scenario,
                    "seconds_best": round(best["seconds"], 3),
                    "seconds_all": [round(r["seconds"], 3) for r in ok],
                    "loadavg_1min_all": [r.get("loadavg_1min_after") for r in ok],
                    "peak_mib_max": max(r["peak_mib"] for r in ok),
                    "rss_after_imports_mib": best["rss_after_imports_mib"],
                    **{k: v for k, v in best.items() if k not in ("seconds", "peak_mib")},
                }
                if mode == "sql":
                    sql_findings = best["findings"]
                if sql_findings is not None and mode != "sql":
                    entry["counts_vs_sql"] = compare(sql_findings, best["findings"])
                    entry["rows_vs_sql"] = rows_agree(sql_findings, best["findings"])
                result["runs"].append(entry)
                print(
                    f"{scenario:<6} {tname:<15} {mode:<13} {entry['seconds_best']:8.2f} s "
                    f"(all {entry['seconds_all']}) peak {entry['peak_mib_max']:>5} MiB "
                    f"findings {len(best['findings']):>2} {entry.get('counts_vs_sql', '')}",
                    flush=True,
                )
    if previous:
        done = {(e["mode"], e["table"], e["scenario"]) for e in result["runs"]}
        order = {
            (m, t, s): i
            for i, (s, t, m) in enumerate(
                (s, t, m) for s in ("demo", "dirty") for t in TABLE_NAMES for m in MODES
            )
        }
        kept = [e for k, e in stored.items() if k not in done]
        result["runs"] = sorted(
            kept + result["runs"],
            key=lambda e: order.get((e["mode"], e["table"], e["scenario"]), 999),
        )
        for k in ("imports_seconds", "quirks"):
            if not result.get(k) and previous.get(k):
                result[k] = previous[k]
    (OUT / name).write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwritten {OUT / name} ({time.perf_counter() - t0:.0f} s)")
    print(
        "\n| scenario | table | mode | best s | runs s | validate s | peak MiB | queries | findings "
        "| counts vs sql | rows vs sql |"
    )
    print("|---|---|---|---:|---|---:|---:|---:|---:|---|---|")
    for e in result["runs"]:
        if "error" in e:
            print(f"| {e['scenario']} | {e['table']} | {e['mode']} | error | | | | | | | |")
            continue
        queries = e.get("queries", e.get("queries_after_validate", ""))
        print(
            f"| {e['scenario']} | {e['table']} | {e['mode']} | {e['seconds_best']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in e['seconds_all'])} | {e.get('validate_seconds', '')} | "
            f"{e['peak_mib_max']} | {queries} | {len(e['findings'])} | {e.get('counts_vs_sql', '')} | "
            f"{e.get('rows_vs_sql', '')} |"
        )


if __name__ == "__main__":
    main()
