"""``salesnb import``: find the mapping, read the exports, build and write the data set.

Inputs are only read. Every output file is written under a temporary name and renamed;
an import report (rows read, kept, rejected and why, flagged) goes with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..files import atomic_path, fail
from ..schema import DataError, UsageError
from .engine import ImportReport, _build_table, _Context, _format_for_csv, _source_column
from .exports import peek_headers, read_export
from .mapping import PRESET_DIR, PRESETS, Mapping, load_mapping, preset_path
from .values import parse_money

__all__ = ["detect_source", "import_exports"]


def _score(wanted: list[str], headers: set[str]) -> float:
    return sum(h.lower() in headers for h in wanted) / max(len(wanted), 1)


def detect_source(paths: list[Path], among: str = "auto") -> str:
    """The preset mapping (file stem) that fits these exports, by column names.

    ``among`` restricts the choice to one CRM's presets (``--source salesforce``);
    with ``auto``, an unclear match is a UsageError that asks for --source or --mapping.
    """
    headers = set().union(*(peek_headers(p) for p in paths))
    names = PRESETS[among] if among != "auto" else tuple(n for v in PRESETS.values() for n in v)
    scores = {n: _score(load_mapping(preset_path(n)).detect, headers) for n in names}
    ranked = sorted(scores, key=lambda n: -scores[n])
    best = ranked[0]
    if among != "auto":
        return best
    second = scores[ranked[1]] if len(ranked) > 1 else 0.0
    if scores[best] < 0.5 or scores[best] - second < 0.2:
        shown = ", ".join(f"{k} {v:.0%}" for k, v in scores.items())
        raise UsageError(
            f"cannot tell which CRM made {', '.join(p.name for p in paths)} (column matches: {shown}); "
            "pass --source salesforce|hubspot|pipedrive, or --mapping FILE for any other CSV / Excel"
        )
    return best


def _no_match(spec: Mapping, files: list[Path]) -> str:
    """Why no export fits ``spec``: the columns it looks for that the files lack, what they have."""
    name = spec.source.stem
    expected = sorted({c for t in spec.tables for c in t.detect}, key=str.lower)
    parts = [f"none of the exports matches the mapping {spec.source.name}"]
    for f in files[:3]:
        have = peek_headers(f)
        lacking = [c for c in expected if c.lower() not in set(have)]
        if expected and lacking:
            parts.append(
                f"a {name} export has columns such as {', '.join(expected[:6])}; {f.name} lacks "
                f"{', '.join(lacking[:6])}{' ...' if len(lacking) > 6 else ''}"
            )
        shown = ", ".join(have[:8]) + (" ..." if len(have) > 8 else "")
        parts.append(f"{f.name} has the columns {shown or 'none'}")
    if not expected:
        wanted = ", ".join(sorted({t.file for t in spec.tables}))
        parts.append(f"the mapping expects files named {wanted}")
    try:
        guess = detect_source(files)
    except UsageError:
        guess = None
    if guess and guess != name:
        crm = next(k for k, v in PRESETS.items() if guess in v)
        parts.append(f"it looks like a {crm} export ({guess}): try --source {crm}")
    else:
        parts.append("pass --mapping FILE for another layout")
    return "; ".join(parts)


# --------------------------------------------------------------------------- import
def _collect(exports: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for e in map(Path, exports):
        if not e.exists():
            raise UsageError(f"no such file or folder: {e}")
        files += sorted(p for p in e.iterdir() if p.is_file()) if e.is_dir() else [e]
    return files


def _load_rates(spec: Mapping, ctx: _Context) -> None:
    """Conversion rates from the export's rate table (Salesforce CurrencyType.csv)."""
    if not spec.rates:
        return
    found = ctx.find(spec.rates["file"])
    if not found:
        return
    df, _ = read_export(found[0], {})
    codes, rates = (
        _source_column(df, [spec.rates["code"]]),
        _source_column(df, [spec.rates["rate"]]),
    )
    if codes is None or rates is None:
        fail(
            found[0].name,
            f"a rate table needs columns '{spec.rates['code']}' and '{spec.rates['rate']}'",
            "export the currency table with its code and rate columns",
        )
    values, _ = parse_money(rates)
    ctx.rates = dict(zip(codes.str.upper(), values, strict=True))
    corporate = _source_column(df, [spec.rates.get("corporate", "IsCorporate")])
    if corporate is not None and corporate.str.casefold().isin(["true", "1"]).any():
        ctx.corporate = str(codes[corporate.str.casefold().isin(["true", "1"])].iloc[0]).upper()
    else:
        ctx.corporate = next((c for c, r in ctx.rates.items() if r == 1.0), None)
    ctx.used.add(found[0])


def import_exports(
    exports: list[str | Path],
    out: str | Path,
    *,
    source: str = "auto",
    mapping: str | Path | None = None,
    force: bool = False,
) -> ImportReport:
    """Convert CRM exports into a canonical data set folder ``out``.

    Parameters
    ----------
    exports
        Export files (or folders, whose files are all used).
    out
        New or empty folder for the data set (``force`` to overwrite its tables).
    source
        ``auto`` (detect from column names), ``salesforce``, ``hubspot`` or ``pipedrive``;
        ignored when ``mapping`` is given.
    mapping
        A mapping file for any other CSV / Excel layout.
    """
    files = _collect(exports)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"{out} is not empty; choose a new folder or add --force")
    if any(out.resolve() == f.parent.resolve() for f in files):
        raise UsageError(
            "--out must not be the folder of the exports: inputs are never overwritten"
        )
    if mapping is None:
        if source != "auto" and source not in PRESETS:
            raise UsageError(f"unknown --source {source!r}: use auto, {', '.join(PRESETS)}")
        spec = load_mapping(preset_path(detect_source(files, source)))
    else:
        spec = load_mapping(mapping)
    report = ImportReport(mapping=spec.source.name)
    preset = spec.source.stem if spec.source.parent == PRESET_DIR else None
    ctx = _Context(files=files, preset=preset, max_rejected_share=spec.max_rejected_share)
    _load_rates(spec, ctx)
    frames: dict[str, pd.DataFrame] = {}
    for tm in spec.tables:
        matches = [
            f
            for f in ctx.find(tm.file)
            if not tm.detect or _score(tm.detect, set(peek_headers(f, tm.reader))) >= 0.5
        ]
        if not matches:
            continue
        if len(matches) > 1:
            raise UsageError(
                f"several exports match '{tm.file}' for {tm.table}: "
                f"{', '.join(m.name for m in matches)}; give one"
            )
        df, notes = read_export(matches[0], tm.reader)
        ctx.used.add(matches[0])
        frames[tm.table] = _build_table(tm, df, matches[0].name, report, ctx)
        report.tables[tm.table]["notes"] = notes
    if not frames:
        raise UsageError(_no_match(spec, files))
    currencies = sorted({c for e in report.tables.values() for c in e.pop("_currencies", [])})
    if len(currencies) > 1:
        hint = (
            f"add {spec.rates['file']} from the same export so amounts can be converted"
            if spec.rates
            else "export in one currency, or convert before importing"
        )
        raise DataError(
            f"the exports mix currencies ({', '.join(currencies)}) and no conversion rates "
            f"were given: {hint}"
        )
    currency = ctx.corporate or spec.currency or (currencies[0] if currencies else "USD")
    out.mkdir(parents=True, exist_ok=True)
    for table, df in frames.items():
        with atomic_path(out / f"{table}.csv") as tmp:
            # CRLF (RFC 4180): the csv module quotes a value holding a bare CR only when
            # the line terminator has one, and a reader would split that row
            _format_for_csv(df, table).to_csv(tmp, index=False, lineterminator="\r\n")
    with atomic_path(out / "dataset.yml") as tmp:
        tmp.write_text(
            yaml.safe_dump({"name": spec.name, "currency": currency}, sort_keys=False),
            encoding="utf-8",
        )
    payload = {
        "mapping": spec.source.name,
        "exports": [f.name for f in files if f in ctx.used],
        "ignored": [f.name for f in files if f not in ctx.used],
        "currency": currency,
        "tables": report.tables,
    }
    with atomic_path(out / "import_report.json") as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=_jsonable), encoding="utf-8")
    return report


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    raise TypeError(type(v))
