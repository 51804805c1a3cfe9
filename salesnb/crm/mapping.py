"""The mapping format: what a mapping file may say, parsed and checked once.

A *mapping* (YAML) says, per canonical table, which export file feeds it, how to read
that file, which source column becomes which canonical column, value maps, computed
columns, row rules and generated ids. Each key is a field of :class:`TableMapping` or
:class:`Mapping` whose metadata holds its parser, so validation, the known keys named
in messages and :func:`load_mapping` all read one definition: a new key is one edit
here (plus its use in the engine and a line in the README). The file itself is read
by :func:`salesnb.config.read` (aliases, tags and oversized files refused).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .. import config
from ..schema import TABLES, DataError, UsageError

__all__ = [
    "DEFAULT_MAX_REJECTED_SHARE",
    "Mapping",
    "PRESETS",
    "READER_OPTIONS",
    "TABLE_KEYS",
    "TOP_KEYS",
    "TableMapping",
    "load_mapping",
    "preset_path",
]

# --source name -> the preset mapping files it may mean (the best header match wins)
PRESETS: dict[str, tuple[str, ...]] = {
    "salesforce": ("salesforce_report", "salesforce_export"),
    "hubspot": ("hubspot",),
    "pipedrive": ("pipedrive",),
}
PRESET_DIR = Path(__file__).resolve().parent.parent / "mappings"
DEFAULT_MAX_REJECTED_SHARE = 0.05  # more unreadable rows than this stop an import


# --------------------------------------------------------------------------- mapping format
# The mapping format is defined once, here: each key of a ``tables.<name>`` entry is a
# field of TableMapping whose metadata holds its parser (value, where) -> typed value;
# the reader options and the top-level keys are defined the same way. Validation,
# the list of known keys in messages and load_mapping all read these definitions, so a
# new key is one edit (plus its use, and a line in the README).
def _where_error(where: str, text: str) -> DataError:
    return DataError(f"{where}: {text}")


def _as_list(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def _dict(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _where_error(where, f"expected 'key: value' entries, got {v!r}.")
    return {str(k): x for k, x in v.items()}


def _share(v: Any, where: str) -> float:
    """A share of rows between 0 and 1 (booleans are not numbers here)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
        raise _where_error(where, f"give a share of rows between 0 and 1 (0.05 = 5%), got {v!r}.")
    return float(v)


def _drop_if_match(v: Any, where: str) -> dict[str, dict[str, Any]]:
    rules = _dict(v, where)
    for col, rule in rules.items():
        if not isinstance(rule, dict) or "pattern" not in rule:
            raise _where_error(
                f"{where}.{col}", "give 'pattern:' (a regular expression) and 'reason:'."
            )
    return rules


def _cases_key(v: Any, where: str) -> dict[str, list[dict[str, Any]]]:
    rules = _dict(v, where)
    for col, items in rules.items():
        if not isinstance(items, list) or not all(
            isinstance(r, dict) and "value" in r for r in items
        ):
            raise _where_error(
                f"{where}.{col}", "give a list of {when: {column: value}, value: result}."
            )
    return {k: list(x) for k, x in rules.items()}


def _lookup(v: Any, where: str) -> dict[str, dict[str, str]]:
    rules = _dict(v, where)
    for col, rule in rules.items():
        if not isinstance(rule, dict) or not {"file", "key", "value"} <= set(rule):
            raise _where_error(f"{where}.{col}", "give file, key and value.")
    return {k: dict(x) for k, x in rules.items()}


def _concat(v: Any, where: str) -> dict[str, dict[str, Any]]:
    out = {}
    for col, rule in _dict(v, where).items():
        if isinstance(rule, list):
            out[col] = {"columns": _as_list(rule), "sep": " "}
        elif isinstance(rule, dict) and "columns" in rule:
            out[col] = {"columns": _as_list(rule["columns"]), "sep": str(rule.get("sep", " "))}
        else:
            raise _where_error(f"{where}.{col}", "give a list of source columns.")
    return out


# reader option -> (accepted Python types, what to write)
READER_OPTIONS: dict[str, tuple[tuple[type, ...], str]] = {
    "delimiter": ((str,), "a delimiter such as ';'"),
    "decimal": ((str,), "the decimal separator, '.' or ','"),
    "thousands": ((str,), "the thousands separator"),
    "encoding": ((str,), "an encoding such as cp1252"),
    "date_format": ((str,), "a strftime format such as '%d.%m.%Y'"),
    "dayfirst": ((bool,), "true (03/01/19 is 3 January) or false (1 March)"),
    "footer": ((str,), "a regular expression for trailing lines"),
    "skip_rows": ((int,), "a number of lines"),
    "sheet": ((str, int), "a sheet name or number"),
}


def _reader(v: Any, where: str) -> dict[str, Any]:
    opts = _dict(v, where)
    bad = set(opts) - set(READER_OPTIONS)
    if bad:
        raise _where_error(
            where,
            f"unknown option(s) {', '.join(sorted(bad))}; "
            f"known options are {', '.join(sorted(READER_OPTIONS))}.",
        )
    for key, value in opts.items():
        types, wanted = READER_OPTIONS[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise _where_error(f"{where}.{key}", f"give {wanted}, got {value!r}.")
    return opts


def _key(parse: Any, default: Any = None, *, factory: Any = None) -> Any:
    """A mapping-file key: its parser (value, where) -> typed value, and its default."""
    meta = {"parse": parse}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is made from one export file (``tables.<name>`` in a mapping)."""

    table: str
    file: str = _key(lambda v, w: str(v), "")  # glob matched against export file names
    reader: dict[str, Any] = _key(_reader, factory=dict)
    columns: dict[str, list[str]] = _key(
        lambda v, w: {k: _as_list(x) for k, x in _dict(v, w).items()}, factory=dict
    )  # target <- candidate sources
    values: dict[str, dict[str, Any]] = _key(
        lambda v, w: {k: _dict(x, f"{w}.{k}") for k, x in _dict(v, w).items()}, factory=dict
    )
    compute: dict[str, str] = _key(_dict, factory=dict)
    constants: dict[str, Any] = _key(_dict, factory=dict)
    scale: dict[str, float] = _key(
        lambda v, w: {k: float(x) for k, x in _dict(v, w).items()}, factory=dict
    )
    drop_if_missing: list[str] = _key(lambda v, w: _as_list(v), factory=list)
    drop_if_match: dict[str, dict[str, str]] = _key(_drop_if_match, factory=dict)
    negate_if_match: dict[str, Any] = _key(_dict, factory=dict)
    generate_id: dict[str, Any] = _key(_dict, factory=dict)
    unique_by: str | None = _key(lambda v, w: str(v))
    detect: list[str] = _key(lambda v, w: _as_list(v), factory=list)  # headers it must mostly have
    cases: dict[str, list[dict[str, Any]]] = _key(_cases_key, factory=dict)
    lookup: dict[str, dict[str, str]] = _key(_lookup, factory=dict)
    concat: dict[str, dict[str, Any]] = _key(_concat, factory=dict)
    split: dict[str, str] = _key(
        lambda v, w: {k: str(x) for k, x in _dict(v, w).items()}, factory=dict
    )  # column -> separator: keep the first part
    max_rejected_share: float | None = _key(_share)  # None: the mapping's, else 5%


def _rates(v: Any, where: str) -> dict[str, str]:
    if not isinstance(v, dict) or not {"file", "code", "rate"} <= set(v):
        raise _where_error(where, "give file, code and rate (and corporate) column names.")
    return {k: str(x) for k, x in v.items()}


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file: data-set settings and one entry per canonical table."""

    name: str = _key(lambda v, w: str(v), "")
    source: Path = Path()
    tables: list[TableMapping] = field(default_factory=list)
    currency: str | None = _key(lambda v, w: str(v).upper() if v else None)
    detect: list[str] = _key(lambda v, w: _as_list(v), factory=list)  # headers of the source
    rates: dict[str, str] = _key(_rates, factory=dict)  # file, code, rate, corporate
    max_rejected_share: float | None = _key(_share)  # for every table without its own


def _parsed_keys(cls: type) -> dict[str, Any]:
    return {f.name: f.metadata["parse"] for f in fields(cls) if "parse" in f.metadata}


TABLE_KEYS: dict[str, Any] = _parsed_keys(TableMapping)
TOP_KEYS: dict[str, Any] = {**_parsed_keys(Mapping), "tables": None}


def _parse_keys(
    spec: dict[str, Any],
    known: dict[str, Any],
    where: Callable[..., str],
    section: tuple[Any, ...] = (),
) -> dict[str, Any]:
    """Every key of ``spec`` parsed by its definition; unknown keys are an error.

    Messages name the file, the line and the key's path, e.g.
    ``m.yml line 7, tables.orders.reader``.
    """
    unknown = set(spec) - set(known)
    if unknown:
        raise _where_error(
            where(section, (*section, sorted(map(str, unknown))[0])),
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"known keys are {', '.join(sorted(known))}.",
        )
    return {
        key: parse(spec[key], where((*section, key)))
        for key, parse in known.items()
        if parse is not None and not _unset(spec.get(key))
    }


def _unset(value: Any) -> bool:
    """A key left empty (``values:`` or ``values: {}``) takes its default."""
    return value is None or (isinstance(value, dict | list) and not value)


# --------------------------------------------------------------------------- mapping files
def preset_path(name: str) -> Path:
    """The shipped preset mapping file ``name`` (see PRESETS)."""
    return PRESET_DIR / f"{name}.yml"


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; errors name the file, the line and the offending key.

    The YAML is parsed by :func:`salesnb.config.read` (aliases, tags, merge keys,
    duplicate keys and oversized files refused), then every key by its definition here.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such mapping file: {path}")
    doc = config.read(path, "mapping file")
    raw = doc.data
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        doc.fail(
            "a mapping file needs a 'tables:' section with one entry per canonical table",
            "see README, 'Mapping files'",
            at=("tables",),
        )
    where = _locator(doc)
    top = _parse_keys(raw, TOP_KEYS, where)
    tables = []
    for name, spec in raw["tables"].items():
        at = ("tables", name)
        if name not in TABLES:
            doc.fail(f"'{name}' is not a canonical table", f"use one of {', '.join(TABLES)}", at=at)
        if not isinstance(spec, dict) or "file" not in spec:
            doc.fail(
                f"tables.{name} needs at least 'file:'",
                "give the export file name or pattern",
                at=at,
            )
        parsed = _parse_keys(spec, TABLE_KEYS, where, ("tables", name))
        tables.append(TableMapping(table=name, **parsed))
    top.setdefault("name", path.stem)
    return Mapping(source=path, tables=tables, **top)


def _locator(doc: config.Doc) -> Callable[..., str]:
    """Key path -> "file line N, a.b.c" for messages (the line of the key, or its parent's)."""

    def where(at: tuple[Any, ...], line_of: tuple[Any, ...] | None = None) -> str:
        line = doc.line(at if line_of is None else line_of)
        place = f"{doc.file} line {line}" if line else doc.file
        return f"{place}, {'.'.join(map(str, at))}" if at else place

    return where
