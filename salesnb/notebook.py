"""What a notebook calls: setup, parameters, showing an analysis, publishing its metrics, exports.

A methodology notebook is a story over one analysis result::

    ctx = sn.notebook.setup(data_dir, quarter=quarter, output_dir=output_dir, redact=redact)
    params = sn.notebook.params(sn.pipeline.Params, globals())
    a = sn.pipeline.analyze(ctx.data, params)
    sn.notebook.publish(a)            # metrics first: a chart that fails cannot lose them
    sn.notebook.overview(a)           # key findings, data coverage, assumptions
    sn.notebook.show(a, "funnel")     # a table, or the plain reason it is absent
    sn.notebook.plot(a, "funnel")     # a chart, or the plain reason it is absent
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import html
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ._files import atomic_path
from .analysis import Analysis, Params
from .periods import Window, previous_quarter, window
from .schema import UsageError
from .sources import DataSet, load_dataset

__all__ = [
    "METRICS_MIME",
    "RESULT_MIME",
    "Context",
    "KEY_ENV",
    "escape_markdown",
    "export_table",
    "note",
    "overview",
    "params",
    "plot",
    "project_root",
    "pseudonym",
    "pseudonymise",
    "redaction_key",
    "safe_name",
    "publish",
    "reason",
    "resolve",
    "rounded",
    "say",
    "setup",
    "show",
]

METRICS_MIME = "application/vnd.salesnb.metrics+json"
RESULT_MIME = "application/vnd.salesnb.result+json"


# --------------------------------------------------------------------------- paths
def project_root() -> Path:
    """The project folder (the one holding ``notebooks/`` and ``data/``)."""
    return Path(__file__).resolve().parent.parent


def resolve(path: str | Path) -> Path:
    """An absolute path; a relative one is taken from the working folder, else the project."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    here = Path.cwd() / p
    return here.resolve() if here.exists() else (project_root() / p).resolve()


def params(cls: type[Params], namespace: Mapping[str, Any]) -> Params:
    """The analysis parameters from a notebook's globals, path parameters resolved."""
    found = cls.from_namespace(namespace)
    paths = {
        f.name: str(resolve(getattr(found, f.name)))
        for f in fields(cls)
        if f.name.endswith(("_file", "_dir")) and getattr(found, f.name)
    }
    return type(found)(**{**{f.name: getattr(found, f.name) for f in fields(cls)}, **paths})


# --------------------------------------------------------------------------- setup
KEY_ENV = "SALESNB_REDACT_KEY_FILE"  # --redact-key FILE reaches the kernels through this variable
_KEY_BYTES = 32


def _key_file() -> Path:
    """The per-user redaction key: ``$XDG_CONFIG_HOME/salesnb/redact.key`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "salesnb" / "redact.key"


def redaction_key() -> bytes:
    """The secret that keys pseudonyms: the file named by ``--redact-key``, else the user's own.

    The user's key is created once (32 random bytes, readable by the user only) and never
    written into any output, so a pseudonym cannot be recomputed from a list of candidate
    names without it. The same key gives the same pseudonyms in every run.
    """
    given = os.environ.get(KEY_ENV)
    path = Path(given) if given else _key_file()
    if not given and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_KEY_BYTES))
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the redaction key {path}: {exc.strerror or exc}") from None
    if len(key) < 16:
        raise UsageError(
            f"the redaction key {path} is too short: give a file of at least 16 random bytes"
        )
    return key


def pseudonym(
    value: Any, kind: str = "Account", *, key: bytes | None = None, length: int = 10
) -> Any:
    """A stable stand-in for a name: keyed hash (HMAC-SHA256) of kind and name, ``length`` hex digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return value
    digest = hmac.new(key or redaction_key(), f"{kind}\0{value}".encode(), hashlib.sha256)
    return f"{kind} {digest.hexdigest()[:length].upper()}"


def pseudonymise(values: pd.Series, kind: str, *, key: bytes) -> pd.Series:
    """Pseudonyms for a column; two names that would share one get longer codes until they differ."""
    names = pd.Series(values.dropna().unique())
    codes = {v: pseudonym(v, kind, key=key) for v in names}
    for length in (16, 64):
        taken = pd.Series(codes).duplicated(keep=False)
        if not taken.any():
            break
        for v in taken[taken].index:
            codes[v] = pseudonym(v, kind, key=key, length=length)
    return values.map(codes).where(values.notna())


_REDACT = {
    "accounts": {"account_name": "Account", "owner": "Rep"},
    "contacts": {"full_name": "Person"},
    "opportunities": {"owner": "Rep"},
    "quotas": {"owner": "Rep"},
    "experts": {"full_name": "Person"},
}


@dataclass
class Context:
    """What a notebook's setup cell resolves: data, windows, currency, output folder."""

    data: DataSet
    quarter: str
    window: Window
    previous: Window
    fiscal_start: int
    currency: str
    output_dir: Path
    redact: bool = False
    exports: list[str] = field(default_factory=list)

    def export(self, table: pd.DataFrame | None, name: str) -> list[Path]:
        """Write ``table`` as ``name.xlsx`` and ``name.csv`` into the output folder (None: nothing).

        ``name`` is made a safe file name, so nothing is ever written outside the folder.
        """
        if table is None:
            return []
        stem = self.output_dir / safe_name(name)
        if not stem.resolve().is_relative_to(self.output_dir.resolve()):
            raise UsageError(f"export name {name!r} leaves the output folder")
        paths = export_table(table, stem)
        self.exports += [p.name for p in paths]
        return paths


def setup(
    data_dir: str,
    *,
    quarter: str,
    output_dir: str = "",
    window_kind: str = "quarter",
    redact: bool = False,
    fiscal_year_start_month: int = 0,
    currency: str = "",
) -> Context:
    """Load and check the data set, resolve windows and the output folder (a notebook's setup cell).

    ``fiscal_year_start_month`` and ``currency`` default (0, "") to the data set's settings.
    """
    ds = load_dataset(resolve(data_dir))
    if redact:
        key = redaction_key()
        for table, columns in _REDACT.items():
            if table in ds.tables:
                df = ds.tables[table].copy()
                for col, kind in columns.items():
                    if col in df:
                        df[col] = pseudonymise(df[col], kind, key=key)
                ds.tables[table] = df
    fiscal = fiscal_year_start_month or ds.settings.fiscal_year_start_month
    out = resolve(output_dir) if output_dir else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    return Context(
        data=ds,
        quarter=quarter,
        window=window(quarter, window_kind, fiscal_start=fiscal),
        previous=window(previous_quarter(quarter), window_kind, fiscal_start=fiscal),
        fiscal_start=fiscal,
        currency=currency or ds.settings.currency,
        output_dir=out,
        redact=redact,
    )


# --------------------------------------------------------------------------- publishing
def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return value


def publish(result: Analysis | Mapping[str, Any]) -> None:
    """Record the headline metrics (and an analysis' findings and coverage) for summary.json."""
    from IPython.display import display

    metrics = result.metrics if isinstance(result, Analysis) else result
    display({METRICS_MIME: _jsonable(metrics), "text/plain": "salesnb metrics recorded"}, raw=True)
    if isinstance(result, Analysis):
        display(
            {RESULT_MIME: _jsonable(result.summary()), "text/plain": "salesnb result recorded"},
            raw=True,
        )


# --------------------------------------------------------------------------- showing
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>])")


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as typed: HTML escaped, and every character that could start
    Markdown (links, images, emphasis, code, lists, headings, tables) backslash-escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    out = out.replace("://", ":&#47;&#47;")  # no autolink: a URL in the data stays text
    out = re.sub(r"^(\s*)([-=])", r"\1\\\2", out, flags=re.M)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", out, flags=re.M)


def note(text: str | None) -> Any:
    """Show a sentence computed from the data as a paragraph (Markdown and HTML in it are escaped).

    Only a bold lead the kit writes itself (``**Simulated attainment ...**``) stays bold, with
    its own text escaped too.
    """
    from IPython.display import Markdown

    text = text or ""
    lead = re.match(r"^\*\*(.+?)\*\*", text)  # the kit's own bold lead ("**Simulated ...**")
    if lead:
        return Markdown(
            f"**{escape_markdown(lead.group(1))}**{escape_markdown(text[lead.end() :])}"
        )
    return Markdown(escape_markdown(text))


def rounded(value: Any, digits: int = 3) -> Any:
    """A metric rounded for printing (None stays None): stable output for nbval."""
    return None if value is None else round(float(value), digits)


_said: list[str] = []  # the last reason shown: the same reason twice in a row is said once


def _because(why: str) -> Any:
    if _said and _said[-1] == why:
        return None
    _said[:] = [why]
    return note(why)


def say(a: Analysis, name: str) -> Any:
    """Section ``name``'s computed sentence, or the plain reason the section is absent."""
    if a.note(name):
        _said.clear()
        return note(a.note(name))
    why = a.absent.get(name)
    return _because(why) if why else None


def reason(a: Analysis, name: str) -> Any:
    """The plain reason table or chart ``name`` is absent (nothing when it is present)."""
    why = a.reason(name)
    return _because(why) if why else None


_PERCENT = re.compile(r"(share|rate|readiness|pct|percent|coverage|conversion|attainment)", re.I)
_ALWAYS_PERCENT = re.compile(r"attainment", re.I)  # 137% of quota is still a percentage
_MONEY = re.compile(
    r"(amount|revenue|value|cost|gap|needed|in_stage|pipeline|payout|spend|quota|wallet|price|"
    r"commission|goal|incentive|bonus)",
    re.I,
)


def _styled(table: pd.DataFrame) -> Any:
    """A table for people: no index, percentages, money with separators, missing as a dash."""
    formats: dict[str, str] = {}
    for col in table.columns:
        s = table[col]
        if pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_float_dtype(s):
            name = str(col)
            if _ALWAYS_PERCENT.search(name) or (
                _PERCENT.search(name) and s.dropna().between(-1.5, 1.5).all()
            ):
                formats[col] = "{:.1%}"
            elif _MONEY.search(name):
                formats[col] = "{:,.0f}"
            else:
                formats[col] = "{:,.2f}"
        elif pd.api.types.is_integer_dtype(s):
            formats[col] = "{:,}"
        elif pd.api.types.is_datetime64_any_dtype(s):
            formats[col] = "{:%Y-%m-%d}"
    # text from the data is escaped: a name like "<b>Co</b>" shows as typed, never as markup
    return (
        table.style.hide(axis="index")
        .format(formats, na_rep="–", escape="html")
        .format_index(escape="html", axis=1)
    )


def show(
    a: Analysis, name: str, *, rows: int | None = None, columns: list[str] | None = None
) -> Any:
    """Table ``name`` of analysis ``a`` (first ``rows``, chosen ``columns``), or why it is absent."""
    why = a.reason(name)
    if why is not None:
        return _because(why)
    _said.clear()
    table = a.tables[name]
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    if rows is not None:
        table = table.head(rows)
    return _styled(table)


def plot(a: Analysis, name: str) -> Any:
    """Draw chart ``name`` of analysis ``a``, or show why it cannot be drawn."""
    why = a.reason(name)
    if why is not None:
        return _because(why)
    _said.clear()
    a.chart(name)
    return None


def overview(a: Analysis) -> Any:
    """Key findings, then what the data covers, then what the figures assume."""
    from IPython.display import HTML

    parts = ["<h3>Key findings</h3>", "<ul>"]
    parts += [f"<li>{html.escape(f)}</li>" for f in a.findings] or ["<li>No finding.</li>"]
    parts += ["</ul>", "<h3>Data coverage</h3>", f"<p>{html.escape(a.coverage.note())}</p>"]
    if len(a.coverage.rows):
        parts.append(_styled(a.coverage.rows).to_html())
    if a.assumptions:
        parts.append("<h3>What the figures assume</h3>")
        parts.append(_styled(a.assumptions_table()).to_html())
    if a.absent:
        grouped: dict[str, list[str]] = {}
        for k, v in a.absent.items():
            grouped.setdefault(v, []).append(k.replace("_", " "))
        parts.append("<h3>Not shown for this data set</h3><ul>")
        parts += [
            f"<li><b>{html.escape(', '.join(names))}</b>: {html.escape(why)}</li>"
            for why, names in grouped.items()
        ]
        parts.append("</ul>")
    return HTML("\n".join(parts))


# --------------------------------------------------------------------------- exports
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(name: str, *, limit: int = 80) -> str:
    """A file name made of ASCII letters, digits, ``-`` and ``_`` (a short hash when it changed).

    Names built from data (ids, account names) never leave the output folder, never clash
    after cleaning, and never start with a dot.
    """
    cleaned = _UNSAFE.sub("_", name).strip("_")[:limit] or "export"
    if cleaned != name:
        cleaned += "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return cleaned


def export_table(table: pd.DataFrame, stem: Path) -> list[Path]:
    """Excel (formatted, frozen header, text never run as a formula) and CSV, written atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    # names may hold dots (an id like "A.1"): add the suffix, never replace part of the name
    xlsx, csv_path = stem.parent / f"{stem.name}.xlsx", stem.parent / f"{stem.name}.csv"
    with (
        atomic_path(xlsx) as tmp,
        pd.ExcelWriter(
            tmp,
            engine="xlsxwriter",
            engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
        ) as writer,
    ):
        table.to_excel(writer, index=False, sheet_name="data")
        sheet = writer.sheets["data"]
        bold = writer.book.add_format({"bold": True, "bg_color": "#dde4ee", "border": 1})
        for i, col in enumerate(table.columns):
            sheet.write(0, i, str(col), bold)
            width = (
                max(len(str(col)), *(len(str(v)) for v in table[col].head(200)))
                if len(table)
                else len(str(col))
            )
            sheet.set_column(i, i, min(max(width + 2, 8), 50))
        sheet.freeze_panes(1, 0)
        if len(table.columns):
            sheet.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
    safe = table.copy()
    for col in safe.columns:
        if safe[col].dtype == object or str(safe[col].dtype) == "str":
            text = safe[col].astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False) & safe[col].notna()
            safe[col] = text.where(~risky, "'" + text).where(safe[col].notna())
    with atomic_path(csv_path) as tmp:
        # CRLF line ends (RFC 4180): a bare carriage return inside a name is quoted, not a row break
        safe.to_csv(tmp, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return [xlsx, csv_path]
