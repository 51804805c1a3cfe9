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

import hashlib
import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ._files import atomic_path
from .analysis import Analysis, Params
from .periods import Window, previous_quarter, window
from .sources import DataSet, load_dataset

__all__ = [
    "METRICS_MIME",
    "RESULT_MIME",
    "Context",
    "export_table",
    "note",
    "overview",
    "params",
    "plot",
    "project_root",
    "pseudonym",
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
def pseudonym(value: Any, kind: str = "Account") -> Any:
    """A stable stand-in for a name: the same input always gives the same pseudonym."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return value
    return f"{kind} {hashlib.sha256(str(value).encode()).hexdigest()[:6].upper()}"


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
        """Write ``table`` as ``name.xlsx`` and ``name.csv`` into the output folder (None: nothing)."""
        if table is None:
            return []
        paths = export_table(table, self.output_dir / name)
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
        for table, columns in _REDACT.items():
            if table in ds.tables:
                df = ds.tables[table].copy()
                for col, kind in columns.items():
                    if col in df:
                        df[col] = df[col].map(lambda v, k=kind: pseudonym(v, k))
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
def note(text: str | None) -> Any:
    """Show a sentence computed from the data as a paragraph (markup in it is escaped)."""
    from IPython.display import Markdown

    return Markdown(html.escape(text or ""))


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


def export_table(table: pd.DataFrame, stem: Path) -> list[Path]:
    """Excel (formatted, frozen header, text never run as a formula) and CSV, written atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    # names may hold dots (an id like "A.1"): add the suffix, never replace part of the name
    xlsx, csv = stem.parent / f"{stem.name}.xlsx", stem.parent / f"{stem.name}.csv"
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
    with atomic_path(csv) as tmp:
        safe.to_csv(tmp, index=False, lineterminator="\n")
    return [xlsx, csv]
