"""The import engine: one canonical table from one export frame, as a mapping says.

Columns are picked from their candidates, values mapped, money and dates parsed, row
rules applied, currencies converted and ids generated; every row left out has a reason
(index = the file's physical line), and more unreadable rows than the allowed share stop
the import with the lines to look at.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..files import fail, repair_mojibake
from ..schema import (
    MAX_MAGNITUDE,
    NUMERIC_KINDS,
    TABLES,
    DataError,
    Problem,
    missing_mask,
    number_trouble,
)
from .exports import read_export
from .mapping import DEFAULT_MAX_REJECTED_SHARE, TableMapping, _as_list
from .values import _two_readings, date_order, parse_dates, parse_money

__all__ = ["ImportReport"]

_MONEY_KINDS = NUMERIC_KINDS


@dataclass
class ImportReport:
    """What an import read, kept, rejected and flagged, per table."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    mapping: str = ""

    def add(self, table: str, file: str, read: int) -> dict[str, Any]:
        entry = {"file": file, "read": read, "kept": 0, "rejected": {}, "flagged": {}}
        self.tables[table] = entry
        return entry

    def lines(self) -> list[str]:
        out = []
        for name, e in self.tables.items():
            rejected = sum(e["rejected"].values())
            out.append(
                f"  {name:<15} from {e['file']}: read {e['read']:,}, kept {e['kept']:,}, "
                f"rejected {rejected:,}"
            )
            out += [f"      rejected {n:,}: {why}" for why, n in e["rejected"].items()]
            out += [f"      flagged  {n:,}: {why}" for why, n in e["flagged"].items()]
        return out


def _date_orders(
    tm: TableMapping, out: pd.DataFrame, file: str, sources: dict[str, str], preset: str | None
) -> dict[str, tuple[bool, str]]:
    """Day-first or month-first per date column, from its values; never a silent guess.

    A column decides by its own values; one whose values all read both ways takes the
    order the file's other date columns prove (one export, one locale); otherwise, and
    when a column contradicts itself, the import stops with a DataError that shows
    the value and tells what to set. Returns column -> (dayfirst, how it was decided).
    """
    dates = [c for c in out.columns if _kind(tm.table, c) == "date"]
    orders = {c: date_order(out[c]) for c in dates}
    where = f"tables.{tm.table}.reader"
    hint = (
        f" (this is the shipped {preset} mapping: copy salesnb/mappings/{preset}.yml, "
        "add the setting and pass it with --mapping)"
        if preset
        else ""
    )
    for col, order in orders.items():
        if order.day_first and order.month_first:
            (d, dl), (m, ml) = order.day_first, order.month_first
            p = Problem(
                "error",
                file,
                f"the dates mix two orders: {d!r} (line {dl}) can only be day first, "
                f"{m!r} (line {ml}) only month first",
                f"export the column in one date format, or set date_format in the mapping "
                f"({where}) to keep the rows that match it{hint}",
                tm.table,
                sources.get(col, col),
                dl,
            )
            raise DataError(p.describe(), [p])
    proven = {c: o.dayfirst for c, o in orders.items() if o.dayfirst is not None}
    decided: dict[str, tuple[bool, str]] = {}
    for col, order in orders.items():
        if order.dayfirst is not None:
            value, line = order.day_first or order.month_first  # type: ignore[misc]
            how = "day" if order.dayfirst else "month"
            decided[col] = (order.dayfirst, f"{how} first, as {value!r} on line {line} shows")
        elif order.both:
            siblings = set(proven.values())
            if len(siblings) == 1:
                first = next(iter(siblings))
                by = ", ".join(c for c, v in proven.items() if v == first)
                how = "day" if first else "month"
                decided[col] = (first, f"{how} first, like {by} in the same file")
                continue
            value, line = order.both
            day, month = _two_readings(value)
            p = Problem(
                "error",
                file,
                f"column {sources.get(col, col)!r} is ambiguous: {value!r} reads as {day} "
                f"(day first) or {month} (month first), and no value in the file decides "
                f"(first such value on line {line})",
                f"set reader: {{dayfirst: true}} or date_format in the mapping ({where}; "
                f"dayfirst: false when months come first){hint}",
                tm.table,
                sources.get(col, col),
                line,
            )
            message = (
                f"{file} column {sources.get(col, col)!r} is ambiguous: {value!r} reads as "
                f"{day} (day first) or {month} (month first); set reader: {{dayfirst: true}} "
                f"or date_format in the mapping ({where}; dayfirst: false when months come "
                f"first; line {line} is the first such value){hint}"
            )
            raise DataError(message, [p])
    return decided


# --------------------------------------------------------------------------- the engine
def _source_column(df: pd.DataFrame, candidates: list[str], kind: str = "text") -> pd.Series | None:
    """Row-wise first value among the candidate columns present (case-insensitive).

    A cell that means "no value" for a ``kind`` column (``n/a``, ``-`` ...) gives way to
    the next candidate; when no candidate has a value, the first cell stays as it is
    (a value map may still turn it into a value).
    """
    lower = {c.lower(): c for c in df.columns}
    present = [lower[c.lower()] for c in candidates if c.lower() in lower]
    if not present:
        return None
    out = df[present[0]]
    for col in present[1:]:
        take = missing_mask(out, kind) & ~missing_mask(df[col], kind)
        out = out.mask(take, df[col])
    return out


def _kind(table: str, column: str) -> str:
    """The kind of a canonical column; columns the schema does not know are text."""
    spec = TABLES[table]
    return spec.column(column).kind if column in spec.names else "text"


def _apply_values(s: pd.Series, vmap: MappingABC[str, Any]) -> pd.Series:
    """Map values exactly, then case-insensitively; others get ``_default`` or stay."""
    default = vmap.get("_default", None)
    exact = {str(k): v for k, v in vmap.items() if k != "_default"}
    folded = {k.casefold(): v for k, v in exact.items()}

    def one(v: Any) -> Any:
        key = str(v).strip()
        if key in exact:
            return exact[key]
        if key.casefold() in folded:
            return folded[key.casefold()]
        return default if default is not None else key

    uniques = s.dropna().unique()
    mapped = s.map({u: one(u) for u in uniques})
    return mapped.astype("str").where(mapped.notna())


@dataclass
class _Context:
    """What one import shares across its tables: the export files, rates, lookups."""

    files: list[Path]
    preset: str | None = None  # the shipped mapping in use, if any (for messages)
    max_rejected_share: float | None = None  # the mapping's top-level setting
    rates: dict[str, float] = field(default_factory=dict)  # currency -> units per corporate unit
    corporate: str | None = None
    used: set[Path] = field(default_factory=set)
    _lookups: dict[tuple[str, str, str], dict[str, str] | None] = field(default_factory=dict)

    def find(self, pattern: str) -> list[Path]:
        return [f for f in self.files if fnmatch.fnmatch(f.name.lower(), pattern.lower())]

    def lookup(self, pattern: str, key: str, value: str) -> dict[str, str] | None:
        """key -> value from another export (e.g. User.csv Id -> Name), or None if absent."""
        ident = (pattern, key, value)
        if ident not in self._lookups:
            found = self.find(pattern)
            table = None
            if found:
                df, _ = read_export(found[0], {})
                keys, values = _source_column(df, [key]), _source_column(df, [value])
                if keys is None or values is None:
                    fail(
                        found[0].name,
                        f"a lookup needs columns '{key}' and '{value}'",
                        "fix the mapping",
                    )
                self.used.add(found[0])
                table = dict(zip(keys.astype("str"), values, strict=True))
            self._lookups[ident] = table
        return self._lookups[ident]


def _build_table(
    tm: TableMapping, df: pd.DataFrame, file: str, report: ImportReport, ctx: _Context
) -> pd.DataFrame:
    """One canonical table from one export: columns, values, parsing, row rules, ids.

    Raises DataError when more rows than the allowed share cannot be read.
    """
    entry = report.add(tm.table, file, len(df))
    out = _map_columns(tm, df, file)
    _repair_text(tm.table, out, entry)
    _apply_lookups(tm, out, entry, ctx)
    sources = _source_names(tm, df)
    out, rejected, codes = _parse_columns(tm, out, entry, file, sources, ctx.preset)
    unreadable = rejected != ""
    _row_rules(tm, out, df, rejected, entry, file)
    planned = (rejected != "") & ~unreadable  # dropped by the mapping's own rules
    _convert_currency(tm.table, out, rejected, codes, entry, ctx)
    limit = next(
        x
        for x in (tm.max_rejected_share, ctx.max_rejected_share, DEFAULT_MAX_REJECTED_SHARE)
        if x is not None
    )
    _check_rejected_share(
        tm.table, file, rejected[(rejected != "") & ~planned], len(df), limit, ctx
    )
    for reason, n in rejected[rejected != ""].value_counts().items():
        entry["rejected"][str(reason)] = int(n)
    out = out[rejected == ""]
    out = _ids_and_uniques(tm, out, df, entry, file)
    entry["kept"] = len(out)
    entry["_currencies"] = sorted(set(codes.loc[out.index].dropna().astype(str)))
    return out


def _source_names(tm: TableMapping, df: pd.DataFrame) -> dict[str, str]:
    """Canonical column -> the export column it comes from (the first candidate present)."""
    lower = {c.lower(): c for c in df.columns}
    names = {}
    for target, candidates in tm.columns.items():
        found = next((lower[c.lower()] for c in candidates if c.lower() in lower), None)
        if found:
            names[target] = found
    return names


def _repair_text(table: str, out: pd.DataFrame, entry: dict[str, Any]) -> None:
    """Mojibake repaired in the free-text columns (in place), flagged per column."""
    for col in out.columns:
        if _kind(table, col) != "text" or pd.api.types.is_numeric_dtype(out[col]):
            continue
        fixed, repair = repair_mojibake(out[col])
        if repair.cells:
            out[col] = fixed
            at = f" (line {repair.line})" if repair.line is not None else ""
            entry["flagged"][f"{col}: {repair.describe()}{at}"] = repair.cells


def _check_rejected_share(
    table: str, file: str, rejected: pd.Series, total: int, limit: float, ctx: _Context
) -> None:
    """Stop the import when more than ``limit`` of the rows could not be read.

    ``rejected`` holds the reason of each unreadable row (index = file lines); rows the
    mapping drops on purpose (drop_if_match, drop_if_missing) are not among them.
    """
    if not total or len(rejected) <= limit * total:
        return
    share = len(rejected) / total
    lines = []
    for reason, n in rejected.value_counts().head(5).items():
        at = ", ".join(str(i) for i in rejected.index[rejected == reason][:5])
        lines.append(f"  {n:,} row(s): {reason} (lines {at}{' ...' if n > 5 else ''})")
    suggest = math.ceil(share * 100) / 100
    hint = (
        f" (this is the shipped {ctx.preset} mapping: copy salesnb/mappings/{ctx.preset}.yml "
        "and pass it with --mapping)"
        if ctx.preset
        else ""
    )
    fix = (
        "fix the export or the mapping (date_format, decimal, the column names); if "
        f"dropping these rows is right, set max_rejected_share: {suggest:g} under "
        f"tables.{table} in the mapping{hint}"
    )
    allowed = f"{limit:.1%}".replace(".0%", "%")
    problem = (
        f"{len(rejected):,} of {total:,} rows ({share:.1%}) of the {table} table cannot be "
        f"read, more than the {allowed} an import accepts"
    )
    p = Problem("error", file, problem, fix, table, None, int(rejected.index[0]), len(rejected))
    raise DataError(f"{file}: {problem}:\n" + "\n".join(lines) + f"\nFix: {fix}.", [p])


def _map_columns(tm: TableMapping, df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Source -> canonical columns: candidates, constants, concatenations, computations, cases, values."""
    spec = TABLES[tm.table]
    out = pd.DataFrame(index=df.index)
    gen = tm.generate_id
    for target, candidates in tm.columns.items():
        col = _source_column(df, candidates, _kind(tm.table, target))
        if col is None and (
            target not in spec.required or (gen.get("column") == target and gen.get("if_missing"))
        ):
            continue  # optional columns may be absent from an export
        if col is None:
            fail(file, *_no_column(target, candidates, df))
        out[target] = col
    for target, sep in tm.split.items():
        if target in out:
            first = out[target].astype("str").str.split(sep, regex=False).str[0].str.strip()
            out[target] = first.where(out[target].notna() & (first != ""))
    for target, value in tm.constants.items():
        out[target] = str(value)
    for target, parts in tm.concat.items():
        cols = [c for c in (_source_column(df, [p]) for p in parts["columns"]) if c is not None]
        if cols:
            out[target] = _join_columns(cols, parts["sep"])
    if tm.compute:
        reader = tm.reader
        source = _numeric_view(
            df, decimal=str(reader.get("decimal", ".")), thousands=reader.get("thousands")
        )
        for target, expr in tm.compute.items():
            try:
                out[target] = source.eval(
                    re.sub(r"`([^`]+)`", lambda m: re.sub(r"\W", "_", m.group(1)), expr)
                )
            except Exception as exc:  # pandas.eval raises several types
                fail(
                    file,
                    f"cannot compute '{target}' = {expr} ({exc})",
                    "fix the expression in the mapping file",
                )
    for target, rules in tm.cases.items():
        out[target] = _cases(rules, out, df, file, target)
    for target, vmap in tm.values.items():
        if target not in out and target in tm.columns:
            continue  # an optional column this export does not have
        if target not in out:
            fail(
                file,
                f"the mapping has values for '{target}' but no column or computation makes it",
                "add it under 'columns:' or 'compute:'",
            )
        out[target] = _apply_values(out[target], vmap)
    # after the value maps ({region: {NA: North America}}), the missing-value tokens of
    # each column's kind (salesnb.schema.missing_tokens: a category keeps "none" and "NA")
    for target in out.columns:
        out[target] = out[target].mask(missing_mask(out[target], _kind(tm.table, target)))
    return out


def _no_column(target: str, candidates: list[str], df: pd.DataFrame) -> tuple[str, str]:
    """Problem and fix when no candidate column for ``target`` is in the export (or its sheet)."""
    shown = ", ".join(map(str, df.columns[:15])) + (" ..." if len(df.columns) > 15 else "")
    sheet, sheets = df.attrs.get("sheet"), df.attrs.get("sheets") or []
    where = f"the sheet {sheet!r}" if sheet is not None else "the file"
    problem = (
        f"the mapping takes '{target}' from {' / '.join(repr(c) for c in candidates)}, "
        f"but {where} has no such column (columns: {shown})"
    )
    others = [s for s in sheets if s != sheet]
    if others:
        fix = (
            f"if the table is on another sheet ({', '.join(map(repr, others))}), set "
            "reader: {sheet: NAME} for this table in the mapping; else correct the column name"
        )
    else:
        fix = "correct the column name in the mapping file, or pick another --source"
    return problem, fix


def _join_columns(cols: list[pd.Series], sep: str) -> pd.Series:
    """Row-wise join of text columns, skipping missing parts (First + Last name)."""
    joined = cols[0].astype("str").where(cols[0].notna())
    for col in cols[1:]:
        part = col.astype("str").where(col.notna())
        both = joined.notna() & part.notna()
        joined = joined.fillna(part).mask(both, joined + sep + part)
    return joined


def _cases(
    rules: list[dict[str, Any]], out: pd.DataFrame, df: pd.DataFrame, file: str, target: str
) -> pd.Series:
    """First matching rule wins: ``{when: {Column: value or [values]}, value: X}``; no ``when`` = default."""
    result = pd.Series(pd.NA, index=out.index, dtype="object")
    for rule in rules:
        match = pd.Series(True, index=out.index)
        for col, wanted in (rule.get("when") or {}).items():
            src = out[col] if col in out else _source_column(df, [col])
            if src is None:
                match &= False  # a condition on a column this export lacks never holds
                continue
            allowed = {
                str(w).strip().casefold()
                for w in (wanted if isinstance(wanted, list) else [wanted])
            }
            match &= (
                src.astype("str")
                .str.strip()
                .str.casefold()
                .isin(allowed)
                .fillna(False)
                .astype(bool)
            )
        result = result.mask(result.isna() & match, rule["value"])
    return result.astype("str").where(result.notna())


def _apply_lookups(
    tm: TableMapping, out: pd.DataFrame, entry: dict[str, Any], ctx: _Context
) -> None:
    for target, spec in tm.lookup.items():
        if target not in out:
            continue
        table = ctx.lookup(spec["file"], spec["key"], spec["value"])
        if table is None:
            entry["flagged"][f"{target} kept as ids: no {spec['file']} among the exports"] = int(
                out[target].notna().sum()
            )
            continue
        found = out[target].map(table)
        entry["flagged"][f"{target} looked up in {spec['file']}"] = int(found.notna().sum())
        out[target] = found.fillna(out[target])


def _parse_columns(
    tm: TableMapping,
    out: pd.DataFrame,
    entry: dict[str, Any],
    file: str,
    sources: dict[str, str],
    preset: str | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Money, numbers and dates parsed; a bad required value rejects the row, a bad optional one is flagged.

    Numbers must be finite and below MAX_MAGNITUDE. Dates follow the mapping's
    date_format or dayfirst, else the day / month order their values prove
    (:func:`_date_orders`). Returns (frame, rejection reasons per row ("" = kept),
    currency codes seen in amounts).
    """
    spec = TABLES[tm.table]
    kinds = {c.name: c.kind for c in spec.columns}
    reader = tm.reader
    decimal, thousands = str(reader.get("decimal", ".")), reader.get("thousands")
    rejected = pd.Series("", index=out.index)
    codes = pd.Series(pd.NA, index=out.index, dtype="object")
    explicit = "date_format" in reader or "dayfirst" in reader
    orders = {} if explicit else _date_orders(tm, out, file, sources, preset)
    for col, (_, how) in orders.items():
        entry["flagged"][f"{col}: dates read {how}"] = int(out[col].notna().sum())
    for target in list(out.columns):
        kind = kinds.get(target)
        raw = out[target]
        if kind in _MONEY_KINDS and not pd.api.types.is_numeric_dtype(raw):
            values, code = parse_money(raw, decimal=decimal, thousands=thousands)
            values = (
                (values * tm.scale[target]).round(10) if target in tm.scale else values
            )  # 70 * 0.01 = 0.7
            values = values.where(np.isfinite(values) & (values.abs() < MAX_MAGNITUDE))
            bad = raw.notna() & values.isna()
            out[target] = values.round() if kind == "int" else values
            if kind == "money":
                codes = codes.fillna(code)
        elif kind == "date":
            dayfirst = orders[target][0] if target in orders else bool(reader.get("dayfirst"))
            values = parse_dates(raw, date_format=reader.get("date_format"), dayfirst=dayfirst)
            bad = raw.notna() & values.isna()
            out[target] = values
        else:
            if target in tm.scale and pd.api.types.is_numeric_dtype(raw):
                out[target] = raw * tm.scale[target]
            continue
        for reason, lines in _bad_values(target, kind, raw[bad]):
            if spec.column(target).needed or target in spec.key:
                rejected[rejected.index.isin(lines) & (rejected == "")] = reason
            else:
                entry["flagged"][reason + "; left empty"] = len(lines)
    if "currency" in out:
        codes = (
            out["currency"]
            .astype("str")
            .str.strip()
            .str.upper()
            .where(out["currency"].notna())
            .fillna(codes)
        )
    return out, rejected, codes


def _bad_values(target: str, kind: str, bad: pd.Series) -> list[tuple[str, pd.Index]]:
    """One reason per kind of trouble (not a number / not finite / too large), with its rows."""
    if bad.empty:
        return []
    numeric = kind != "date"
    trouble = bad.astype("str").map(number_trouble) if numeric else bad.map(lambda _: "date")
    words = {
        "date": "not a date",
        "not_a_number": "not a number",
        "not_finite": "not a finite number",
        "too_large": f"implausibly large ({_MAX_TEXT} or more)",
    }
    out = []
    for what, cells in bad.groupby(trouble, sort=False):
        out.append(
            (
                f"{target}: {words[what]} (e.g. {cells.iloc[0]!r} on line {cells.index[0]})",
                cells.index,
            )
        )
    return out


_MAX_TEXT = f"1e{round(math.log10(MAX_MAGNITUDE))}"


def _convert_currency(
    table: str,
    out: pd.DataFrame,
    rejected: pd.Series,
    codes: pd.Series,
    entry: dict[str, Any],
    ctx: _Context,
) -> None:
    """With the export's rates, every money column into the corporate currency (in place)."""
    if not ctx.rates or codes.dropna().empty:
        return
    rate = codes.map(ctx.rates)
    unknown = codes.notna() & rate.isna() & (rejected == "")
    for code in codes[unknown].unique():
        rejected[unknown & (codes == code)] = f"no conversion rate for {code}"
    money = [c.name for c in TABLES[table].columns if c.kind == "money" and c.name in out]
    for col in money:
        out[col] = (out[col] / rate.fillna(1.0)).round(
            2
        )  # to the cent, as the CRM reports converted amounts
    converted = codes.notna() & (codes != ctx.corporate) & rate.notna() & (rejected == "")
    if converted.any():
        entry["flagged"][f"amounts converted to {ctx.corporate} with the export's rates"] = int(
            converted.sum()
        )
    codes[codes.notna() & rate.notna()] = ctx.corporate
    if "currency" in out:
        out["currency"] = codes


def _row_rules(
    tm: TableMapping,
    out: pd.DataFrame,
    df: pd.DataFrame,
    rejected: pd.Series,
    entry: dict[str, Any],
    file: str,
) -> None:
    """drop_if_missing, drop_if_match (rejections with reasons), negate_if_match (flagged)."""
    for col in tm.drop_if_missing:
        if col not in out:
            fail(
                file,
                f"drop_if_missing names '{col}', which the mapping does not produce",
                "name a canonical column listed under 'columns:' or 'compute:'",
            )
        rejected[out[col].isna() & (rejected == "")] = f"no {col}"
    for col, rule in tm.drop_if_match.items():
        if rule.get("if_present") and col not in out and _source_column(df, [col]) is None:
            continue
        src = _rule_column(out, df, col, "drop_if_match", file)
        hit = src.astype("str").str.fullmatch(rule["pattern"]).fillna(False).astype(bool) & (
            rejected == ""
        )
        rejected[hit] = str(rule.get("reason", f"{col} matches {rule['pattern']}"))
    if tm.negate_if_match:
        col, pattern = tm.negate_if_match["column"], tm.negate_if_match["pattern"]
        src = _rule_column(out, df, col, "negate_if_match", file)
        hit = src.astype("str").str.match(pattern).fillna(False).astype(bool)
        for target in _as_list(tm.negate_if_match.get("negate", ["amount", "quantity"])):
            if target in out:
                out.loc[hit, target] = -out.loc[hit, target].abs()
        if hit.any():
            label = tm.negate_if_match.get(
                "reason", f"{col} matches {pattern}: amounts made negative"
            )
            entry["flagged"][label] = int(hit.sum())


def _ids_and_uniques(
    tm: TableMapping, out: pd.DataFrame, df: pd.DataFrame, entry: dict[str, Any], file: str
) -> pd.DataFrame:
    gen = tm.generate_id
    if gen and not (gen.get("if_missing") and gen["column"] in out):
        target, group = gen["column"], gen.get("within")
        if group:
            src = _source_column(df.loc[out.index], [group])
            if src is None:
                fail(
                    file,
                    f"generate_id.within names '{group}', which is not in the file",
                    "fix the mapping",
                )
            seq = src.groupby(src, sort=False).cumcount() + 1
            ids = src.astype("str") + "-" + seq.astype("str")
        else:
            ids = pd.Series([f"{gen.get('prefix', 'L')}{i}" for i in out.index], index=out.index)
        out = out.drop(columns=[target], errors="ignore")
        out.insert(0, target, ids)
        how = f"the {group} and line order" if group else "line numbers"
        entry["flagged"][f"{target} generated from {how}"] = len(out)
    if tm.unique_by:
        before = len(out)
        out = out[out[tm.unique_by].notna()].drop_duplicates(subset=[tm.unique_by], keep="first")
        entry["flagged"][f"one row kept per {tm.unique_by} (from {before:,} lines)"] = len(out)
    return out


def _numeric_view(df: pd.DataFrame, *, decimal: str, thousands: str | None) -> pd.DataFrame:
    """The source with mostly-numeric columns parsed and names made eval-safe, for ``compute``."""
    source = df.copy()
    for c in source.columns:
        values, _ = parse_money(source[c], decimal=decimal, thousands=thousands)
        if values.notna().sum() >= max(1, source[c].notna().sum() * 0.5):
            source[c] = values
    source.columns = [re.sub(r"\W", "_", c) for c in source.columns]
    return source


def _rule_column(out: pd.DataFrame, df: pd.DataFrame, col: str, rule: str, file: str) -> pd.Series:
    """The column a row rule tests: a produced canonical column, else a source column."""
    src = out[col] if col in out else _source_column(df, [col])
    if src is None:
        fail(
            file,
            f"{rule} names '{col}', which is neither produced nor in the file",
            "fix the mapping",
        )
    return src


def _format_for_csv(df: pd.DataFrame, table: str) -> pd.DataFrame:
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    out = df.copy()
    for col in out.columns:
        if kinds.get(col) == "date" or pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
        elif kinds.get(col) == "int":
            out[col] = pd.to_numeric(out[col]).round().astype("Int64")
    return out
