"""What a notebook calls: setup, parameters, showing an analysis, publishing its metrics, exports.

A methodology notebook is a story over one analysis result::

    ctx = sn.notebook.setup(data_dir, quarter=quarter, output_dir=output_dir, redact=redact)
    params = sn.notebook.params(sn.pipeline.Params, globals())
    a = sn.pipeline.analyze(ctx.data, params)
    sn.notebook.publish(a)            # metrics first: a chart that fails cannot lose them
    sn.notebook.overview(a)           # key findings, then data coverage and assumptions
    sn.notebook.kpis(a)               # the headline figures as cards
    sn.notebook.show(a, "funnel")     # a table, or the plain reason it is absent
    sn.notebook.plot(a, "funnel")     # a chart, or the plain reason it is absent

Tables go through great_tables, formatted by the analysis' ``specs`` (see
:class:`salesnb.analysis.TableSpec`); exports (``ctx.export(table, name, spec=...)``) get
Excel number formats from the same kinds.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import html
import itertools
import math
import numbers
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import KPI, MISSING_MARK, Analysis, Params, TableSpec, format_value, label
from .dataset import DataSet, checked, load_dataset
from .files import atomic_path
from .periods import Window, previous_quarter, window
from .schema import UsageError

__all__ = [
    "METRICS_MIME",
    "RESULT_MIME",
    "Context",
    "KEY_ENV",
    "REDACTED_COLUMNS",
    "Table",
    "column_kind",
    "escape_markdown",
    "EXCEL_MAX_ROWS",
    "export_table",
    "fresh_report",
    "kpi_html",
    "kpis",
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
    "sheet_name",
    "show",
    "show_kpis",
    "table_html",
]

METRICS_MIME = "application/vnd.salesnb.metrics+json"
RESULT_MIME = "application/vnd.salesnb.result+json"


# --------------------------------------------------------------------------- paths
def project_root() -> Path:
    """The folder holding ``notebooks/`` and ``data/``: the learner workspace the working
    folder is in (made by ``salesnb lab``), else the kit's project folder."""
    from .workspace import find_root

    return find_root() or Path(__file__).resolve().parent.parent


def resolve(path: str | Path) -> Path:
    """An absolute path; a relative one is taken from the working folder, else the project.

    Inside a learner workspace "the project" is the workspace (:func:`project_root`), so a
    notebook opened there reads its data and writes its exports inside the workspace.
    """
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


# What --redact (and 'salesnb lab --redact', through salesnb.workspace) replaces by keyed
# pseudonyms: table -> {column: the pseudonym's kind}. Names, reps and personal contact
# details; job titles and ids stay. Raw-line tables (activities) never reach a notebook
# through DataSet.tables, so only the workspace's redacted copy rewrites their owners.
REDACTED_COLUMNS: dict[str, dict[str, str]] = {
    "accounts": {"account_name": "Account", "owner": "Rep"},
    "contacts": {"full_name": "Person", "email": "Email", "phone": "Phone"},
    "opportunities": {"owner": "Rep"},
    "activities": {"owner": "Rep"},
    "quotas": {"owner": "Rep"},
    "experts": {"full_name": "Person"},
    "trials": {"email": "Email"},
}
_REDACT = REDACTED_COLUMNS


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

    def export(
        self, table: pd.DataFrame | None, name: str, spec: TableSpec | None = None
    ) -> list[Path]:
        """Write ``table`` as ``name.xlsx`` and ``name.csv`` into the output folder (None: nothing).

        ``name`` is made a safe file name, so nothing is ever written outside the folder;
        the Excel sheet is named after it. ``spec`` (``a.spec("table")``) gives the column
        kinds, hence the number formats; without it they are read from names and types.
        """
        if table is None:
            return []
        stem = self.output_dir / safe_name(name)
        if not stem.resolve().is_relative_to(self.output_dir.resolve()):
            raise UsageError(f"export name {name!r} leaves the output folder")
        paths = export_table(table, stem, spec=spec, currency=self.currency, sheet=name)
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
    folder = resolve(data_dir)
    # run by salesnb review / run: the data set the engine checked; opened by hand: check it here
    ds = checked.from_environment(folder) or load_dataset(folder)
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
_told: dict[
    str, int | None
] = {}  # reasons said in this report: the cell of the last section sentence
_SECTION_CELLS = 3  # a reason said this many code cells ago belongs to an earlier section


def _cell() -> int | None:
    """The running notebook cell's execution count (None outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook extra
        return None
    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


def _because(why: str, *, section: bool = False) -> Any:
    """The reason a part is absent: in full the first time. Later, a section's opening
    sentence (``section``, from :func:`say`) gives its first clause when the last section
    sentence with this reason was a few cells back, so an empty section still says why;
    tables and charts of a section add nothing. Outside a notebook: said again after
    another reason."""
    cell = _cell()
    if why not in _told:
        _told[why], _said[:] = cell, [why]
        return note(why)
    if cell is None:
        if _said and _said[-1] == why:
            return None
        _said[:] = [why]
        return note(why)
    if not section:
        return None
    last, _told[why] = _told[why], cell
    if last is not None and cell - last < _SECTION_CELLS:
        return None  # the same section
    _said[:] = [why]
    return note(why.split(":")[0].rstrip(".") + " (as said above).")


def say(a: Analysis, name: str) -> Any:
    """Section ``name``'s computed sentence, or the plain reason the section is absent."""
    if a.note(name):
        _said.clear()
        return note(a.note(name))
    why = a.absent.get(name)
    return _because(why, section=True) if why else None


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


def _is_bools(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype != object:
        return False
    seen = s.dropna()
    return bool(len(seen)) and all(isinstance(v, bool | np.bool_) for v in seen)


def _is_dates(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if s.dtype != object:
        return False
    seen = s.dropna()
    return bool(len(seen)) and all(isinstance(v, dt.date) for v in seen)


def column_kind(table: pd.DataFrame, column: str, spec: TableSpec | None = None) -> str:
    """How ``column`` is shown: the kind ``spec`` declares, else one read from its name and type.

    Read from the data: yes/no columns are bool, dates are date, integer columns are
    count; a float column is a percentage when its name says
    share / rate / readiness ... and its values lie within -150% .. 150% (attainment always),
    money when the name says amount / revenue / value ..., else a number.
    """
    declared = spec.kind(column) if spec is not None else None
    if declared:
        return declared
    s = table[column]
    name = str(column)
    if _is_bools(s):
        return "bool"
    if _is_dates(s):
        return "date"
    if pd.api.types.is_integer_dtype(s):
        return "count"  # money is a float in the kit; whole numbers are counts
    if pd.api.types.is_float_dtype(s):
        if _ALWAYS_PERCENT.search(name) or (
            _PERCENT.search(name) and s.dropna().between(-1.5, 1.5).all()
        ):
            return "percent"
        return "money" if _MONEY.search(name) else "number"
    return "text"


_NUMERIC_KINDS = frozenset({"money", "percent", "count", "number", "precise"})
_RIGHT_KINDS = _NUMERIC_KINDS | {"date"}  # right-aligned, never wrapped


def _decimals(s: pd.Series, kind: str) -> int | None:
    """The decimals a number / precise / money column needs (its values then align); None
    otherwise. Money: cents only when every amount is under 1,000 (as in the Excel export)."""
    if kind not in ("number", "precise", "money") or not pd.api.types.is_numeric_dtype(s):
        return None
    if pd.api.types.is_bool_dtype(s):
        return None
    if kind == "money":
        amounts = pd.to_numeric(s, errors="coerce").astype("float64").abs()
        amounts = amounts[np.isfinite(amounts)]
        return 2 if len(amounts) and bool((amounts.round(2) < 1000).all()) else 0
    most = 2 if kind == "number" else 4
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    values = values[np.isfinite(values)]
    for places in range(most + 1):
        if bool(((values.round(places) - values.round(most)).abs() < 10 ** -(most + 1)).all()):
            return places
    return most


def _shown_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index as columns, column names as unique text, durations
    in days."""
    if any(n is not None for n in table.index.names):
        table = table.reset_index()
    names: list[str] = []
    for col in table.columns:
        name = " / ".join(map(str, col)) if isinstance(col, tuple) else str(col)
        while name in names:
            name += " "
        names.append(name)
    if names != list(table.columns):
        table = table.set_axis(names, axis=1)
    spans = [c for c in table.columns if pd.api.types.is_timedelta64_dtype(table[c])]
    if spans:  # a duration shows as days ("3"), never as "3 days 00:00:00"
        table = table.assign(**{c: table[c] / pd.Timedelta(days=1) for c in spans})
    return table


def _ids_with_names(columns: list[str]) -> list[str]:
    """Id columns a table also names (``account_id`` beside ``account_name``): shown by name."""
    have = set(columns)
    return [
        c
        for c in columns
        if c.endswith("_id")
        and ({f"{c[:-3]}_name", *(("full_name",) if c in ("expert_id", "contact_id") else ())})
        & have
    ]


# page geometry the layout is planned for: the report's A4 page less its margins (16 mm each side)
_PORTRAIT_PT = (210 - 32) / 25.4 * 72
_LANDSCAPE_PT = (297 - 32) / 25.4 * 72
_CELL_PAD_PT = 6.0  # left + right padding of a cell


def _em(text: str, *, bold: bool = False) -> float:
    """The width of ``text`` in em, by DejaVu Sans' character classes (a close estimate)."""
    width = 0.0
    for ch in text:
        if ch in " .,:;'|!ilj()[]":
            width += 0.32
        elif ch.isupper() or ch.isdigit() or ch in "mw%@#&":
            width += 0.70 if ch in "MW%@#&m" else 0.66
        else:
            width += 0.58
    return width * (1.08 if bold else 1.0)


_BREAKS = re.compile(r"[\s/]+|(?<=-)")  # where a line may break: spaces, slashes, after a hyphen


@dataclass(frozen=True)
class _Layout:
    kind: str  # "normal", "wrapped" or "landscape"
    font_pt: float
    squeeze: bool = False  # words may break anywhere (nothing else fits)

    @property
    def room_pt(self) -> float:
        return _LANDSCAPE_PT if self.kind == "landscape" else _PORTRAIT_PT


_LAYOUTS = (
    _Layout("normal", 8),
    _Layout("wrapped", 7),
    *(_Layout("landscape", f) for f in (7.5, 7, 6.5, 6, 5.5)),
)
_SQUEEZED = _Layout("landscape", 5.5, squeeze=True)


def _narrowest_em(
    texts: Mapping[str, list[str]], labels: Mapping[str, str], kinds: Mapping[str, str]
) -> float:
    """The narrowest the table can be, in em: each column's longest word (figures never wrap)."""
    total = 0.0
    for col, cells in texts.items():
        head = max((_em(w, bold=True) for w in _BREAKS.split(labels[col])), default=0.0)
        if kinds[col] in _RIGHT_KINDS:
            body = max((_em(t) for t in set(cells)), default=0.0)
        else:
            body = max((_em(w) for t in set(cells) for w in _BREAKS.split(t)), default=0.0)
        total += max(head, body)
    return total


def _fits_rendered(block: str) -> bool:
    """Whether WeasyPrint lays ``block`` (a table's HTML) out within the report's page width.

    Remembered per block, less its element ids (a counter makes each one unique): the same
    table is often laid out again (a re-run cell, the trainer's copy, the shape tests), and
    a layout costs a quarter to half a second.
    """
    return _fits_page(_COUNTED_ID.sub(r"\1probe", block))


_COUNTED_ID = re.compile(r"\b(sn-[\w-]*?-)\d+\b")  # a table id's counter (see _gt_html)


@functools.lru_cache(maxsize=512)
def _fits_page(block: str) -> bool:
    import weasyprint
    from weasyprint.formatting_structure import boxes

    page = (
        "<html><head><style>@page { size: A4; margin: 18mm 16mm 20mm 16mm; } "
        "html { font-family: 'DejaVu Sans', sans-serif; font-size: 9.5pt; }</style></head>"
        f"<body>{block}</body></html>"
    )
    for p in weasyprint.HTML(string=page).render().pages:
        right = p._page_box.content_box_x() + p._page_box.width
        stack = [p._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.MarginBox):
                continue
            if isinstance(box, boxes.TableBox) and box.border_box_x() + box.border_width() > right:
                return False
            stack.extend(getattr(box, "children", None) or [])
    return True


def _sample(table: pd.DataFrame, texts: Mapping[str, list[str]], rows: int = 12) -> pd.DataFrame:
    """A few rows that hold each column's longest text: as wide as the whole table."""
    picked = set(range(min(rows, len(table))))
    for cells in texts.values():
        if cells:
            picked.add(max(range(len(cells)), key=lambda i: len(cells[i])))
    return table.iloc[sorted(picked)]


def _layout(
    texts: Mapping[str, list[str]],
    labels: Mapping[str, str],
    kinds: Mapping[str, str],
    *,
    wide: bool,
    build: Callable[[_Layout], str] | None = None,
) -> _Layout:
    """How a table fits an A4 page: as it is, in smaller type, or on a landscape page.

    Portrait first, then landscape, each in the largest type in which the table is no
    wider than the page; when nothing fits, words may break anywhere. The narrowest the
    table can be is estimated from its longest words (figures and dates never wrap; the
    estimate errs wide by a few per cent): clear cases are decided on it, and a table
    near the page width is laid out by WeasyPrint (``build`` makes its HTML) to see.
    """
    narrowest = _narrowest_em(texts, labels, kinds)
    n = len(texts)
    for layout in _LAYOUTS:
        if layout.kind == "normal" and (wide or n > 10):
            continue
        if layout.kind == "wrapped" and (wide or n > 12):
            continue
        need = narrowest * layout.font_pt + _CELL_PAD_PT * n
        if need <= 0.9 * layout.room_pt:
            return layout
        if need <= 1.2 * layout.room_pt and build is not None and _fits_rendered(build(layout)):
            return layout
    return _SQUEEZED


_TABLE_CSS = """
.sn-table { margin: 2mm 0 4mm 0; }
.sn-table table { break-inside: auto; }
.sn-table tr { break-inside: avoid; }
.sn-table.sn-keep, .sn-table.sn-keep table { break-inside: avoid; }
.sn-box .sn-table.sn-keep, .sn-box .sn-table.sn-keep table { break-inside: auto; }
"""
_KEEP_ROWS = 16  # a table this short moves whole to the next page rather than split
# a landscape table goes on a page of its own; naming the other pages "main" makes the page
# after it portrait again (WeasyPrint keeps the landscape page for what follows otherwise)
_LANDSCAPE_CSS = """
@page wide { size: A4 landscape; }
html { page: main; }
.sn-landscape { page: wide; }
"""
# the kit's rules over great_tables' own (#ID is the table's id); _SQUEEZE_CSS when nothing fits
_SQUEEZE_CSS = """
#ID .gt_row, #ID .gt_col_heading { overflow-wrap: anywhere; }
#ID td.gt_right { white-space: normal; }
"""
_GT_EXTRA_CSS = """
#ID .gt_heading.gt_title { font-weight: bold; color: #1f4e79; padding-left: 0; }
#ID .gt_row, #ID .gt_col_heading { overflow-x: visible; overflow-wrap: break-word; }
#ID td.gt_right { white-space: nowrap; }
#ID .gt_sourcenote { color: #555; padding-left: 0; }
"""
_ids = itertools.count(1)


def fresh_report() -> None:
    """Forget what an earlier notebook in this kernel left: table ids count from 1 again, no
    reason has been said. The review engine calls it before a kernel runs its next notebook,
    so that notebook's outputs are the ones a fresh kernel would give."""
    global _ids
    _ids = itertools.count(1)
    _said.clear()
    _told.clear()


def _scope_css(css: str, scope: str) -> str:
    """Every selector of ``css`` limited to the element ``scope`` (great_tables scopes only some)."""

    def one(m: re.Match[str]) -> str:
        selectors = [x.strip() for x in m.group(1).split(",")]
        scoped = [x if x.startswith(scope) else f"{scope} {x}" for x in selectors if x]
        return ", ".join(scoped) + " {"

    return re.sub(r"(?m)^\s*([^@{}][^{}]*?)\s*\{", one, css)


@functools.cache
def _great_tables() -> Any:
    """great_tables' ``GT``, its rendered cells held in Python strings.

    great_tables reads and writes every cell one at a time, through ``.iloc``, into an
    empty frame of pandas' ``string`` dtype, which pandas 3 backs with Arrow: each write
    copies the column (a 1,000-cell table took a second). Here the empty frame holds
    Python strings and cells go through ``.iat``, pandas' scalar accessor: the same
    values, the same HTML (tests/test_speedups.py), ten times faster.
    """
    from great_tables import GT

    try:
        from great_tables._tbl_data import _get_cell, _set_cell, create_empty_frame
    except ImportError:  # pragma: no cover - another great_tables layout: its own, slower
        return GT

    @create_empty_frame.register(pd.DataFrame)
    def _(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(pd.NA, index=df.index, columns=df.columns, dtype="string[python]")

    @_get_cell.register(pd.DataFrame)
    def _(data: pd.DataFrame, row: int, column: str) -> Any:
        where = data.columns.get_loc(column)
        if not isinstance(where, int):  # pragma: no cover - names are unique in the kit's tables
            raise ValueError(f"column {column!r} is not unique")
        return data.iat[row, where]  # noqa: PD009 - the scalar accessor is the point

    @_set_cell.register(pd.DataFrame)
    def _(data: pd.DataFrame, row: int, column: str, value: Any) -> None:
        data.iat[row, data.columns.get_loc(column)] = value  # noqa: PD009

    return GT


def _gt_html(
    table: pd.DataFrame,
    *,
    title: str,
    source: str,
    kinds: Mapping[str, str],
    places: Mapping[str, int | None],
    labels: Mapping[str, str],
    currency: str,
    layout: _Layout,
    key: str,
) -> str:
    """The table through great_tables: formats per kind, labels, title, source note, dashes."""
    GT = _great_tables()
    gt_id = f"sn-{safe_name(key, limit=40).lower()}-{next(_ids)}"
    gt = GT(table, id=gt_id)
    for col, kind in kinds.items():
        if kind == "text" and not _is_dates(table[col]):
            continue  # great_tables shows text escaped
        gt = gt.fmt(
            lambda v, kind=kind, d=places[col]: html.escape(
                format_value(v, kind, currency, decimals=d)
            ),
            columns=[col],
        )
    right = [c for c, k in kinds.items() if k in _RIGHT_KINDS]
    left = [c for c in table.columns if c not in right]
    if right:
        gt = gt.cols_align("right", columns=right)
    if left:
        gt = gt.cols_align("left", columns=left)
    if len(table.columns):  # a mapping, not keywords: a column may be called "cases"
        gt = gt.cols_label({c: labels[c] for c in table.columns})
    if title:
        gt = gt.tab_header(title=title)
    if source:
        gt = gt.tab_source_note(source)
    gt = gt.sub_missing(missing_text=MISSING_MARK).tab_options(
        container_overflow_x="visible",
        container_overflow_y="visible",
        container_padding_y="0px",
        table_width="100%" if layout.kind != "normal" else "auto",
        table_layout="auto",
        table_margin_left="0px",
        table_font_names="inherit",
        table_font_size=f"{layout.font_pt}pt",
        heading_align="left",
        heading_title_font_size="115%",
        heading_title_font_weight="bold",
        heading_padding="1px",
        column_labels_font_weight="bold",
        column_labels_background_color="#eef2f7",
        column_labels_padding="2px",
        column_labels_padding_horizontal="3px",
        data_row_padding="1.5px",
        data_row_padding_horizontal="3px",
        source_notes_font_size="90%",
        source_notes_padding="2px",
        table_border_top_color="#1f4e79",
        row_striping_background_color="#f6f8fb",
    )
    gt = gt.opt_row_striping()
    raw = gt.as_raw_html()
    extra = _GT_EXTRA_CSS + (_SQUEEZE_CSS if layout.squeeze else "")
    # great_tables leaves some selectors (tbody, tr, td ...) unscoped: they would restyle every
    # other table of the page. Scope them to this table, then add the kit's own rules.
    return re.sub(
        r"<style>(.*?)</style>",
        lambda m: (
            f"<style>{_scope_css(m.group(1), f'#{gt_id}')}"
            f"{extra.replace('#ID', f'#{gt_id}')}</style>"
        ),
        raw,
        count=1,
        flags=re.S,
    )


@dataclass(frozen=True)
class Table:
    """A table ready to show: HTML for notebooks and reports (what :func:`show` returns)."""

    html: str
    title: str = ""
    layout: str = "normal"

    def _repr_html_(self) -> str:
        return self.html

    def to_html(self) -> str:
        """The table's HTML (with the style block it needs)."""
        return self.html

    def __repr__(self) -> str:
        return f"<table {self.title!r}>"


def table_html(
    table: pd.DataFrame,
    *,
    spec: TableSpec | None = None,
    title: str | None = None,
    source: str | None = None,
    currency: str = "",
    key: str = "table",
    keep: list[str] | None = None,
) -> Table:
    """A DataFrame as a formatted table (see :func:`show`); for tables that belong to no analysis."""
    shown = _shown_frame(table)
    hide = set(_ids_with_names([str(c) for c in shown.columns])) - set(keep or ())
    shown = shown[[c for c in shown.columns if c not in hide]]
    kinds = {c: column_kind(shown, c, spec) for c in shown.columns}
    labels = {c: spec.label(c) if spec is not None else label(c) for c in shown.columns}
    places = {c: _decimals(shown[c], kinds[c]) for c in shown.columns}
    texts = {
        c: [format_value(v, kinds[c], currency, decimals=places[c]) for v in shown[c].head(5000)]
        for c in shown.columns
    }
    heading = title if title is not None else (spec.title if spec is not None else "")
    note_text = source if source is not None else (spec.source if spec is not None else "")

    def build(layout: _Layout, frame: pd.DataFrame) -> str:
        body = _gt_html(
            frame,
            title=heading,
            source=note_text,
            kinds=kinds,
            places=places,
            labels=labels,
            currency=currency,
            layout=layout,
            key=key,
        )
        css = _TABLE_CSS + (_LANDSCAPE_CSS if layout.kind == "landscape" else "")
        keep_whole = " sn-keep" if len(frame) <= _KEEP_ROWS else ""
        return (
            f'<div class="sn-table sn-{layout.kind}{keep_whole}"><style>{css}</style>{body}</div>'
        )

    sample = _sample(shown, texts)
    layout = _layout(
        texts,
        labels,
        kinds,
        wide=bool(spec and spec.wide),
        build=lambda layout: build(layout, sample),
    )
    return Table(build(layout, shown), heading, layout.kind)


def show(
    a: Analysis,
    name: str,
    *,
    rows: int | None = None,
    columns: list[str] | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Any:
    """Table ``name`` of analysis ``a`` formatted for people, or the plain reason it is absent.

    Formats come from the analysis' :class:`~salesnb.analysis.TableSpec` for ``name`` (else from
    each column's name and type): money with thousands separators and the currency,
    shares as percentages, counts as whole numbers, dates as dates, yes / no, missing as
    "–". Human column labels, no index, a title above (``title``, else the spec's, else
    the table's name) and a source note below. An id column is left out where the table
    also has the name (``account_id`` beside ``account_name``). Wide tables wrap in
    smaller type or go on a landscape page, so nothing is cut at the page edge.

    Parameters
    ----------
    a, name
        The analysis and the name of one of its tables.
    rows
        Show the first ``rows`` rows only; the source note then says how many there are.
    columns
        Show these columns, in this order (names the table lacks are skipped).
    title, source
        Override the spec's title and source note.
    """
    why = a.reason(name)
    if why is not None:
        return _because(why)
    _said.clear()
    table = a.tables[name]
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    spec = a.spec(name)
    if rows is not None and len(table) > rows:  # a reader must know the table goes on
        note = source if source is not None else (spec.source if spec is not None else "")
        cut = (
            f"The first {rows:,} of {len(table):,} rows are shown."
            if rows > 1
            else f"Only the first of {len(table):,} rows is shown."
        )
        source = f"{note} {cut}".strip()
        table = table.head(rows)
    if title is None and spec is None:
        title = label(name)
    return table_html(
        table, spec=spec, title=title, source=source, currency=a.currency, key=name, keep=columns
    )


def plot(a: Analysis, name: str) -> Any:
    """Draw chart ``name`` of analysis ``a``, or show why it cannot be drawn."""
    why = a.reason(name)
    if why is not None:
        return _because(why)
    _said.clear()
    a.chart(name)
    _drawn_when_shown()
    return None


def _drawn_when_shown() -> None:
    """Let the open figures be drawn once, when the inline backend shows them.

    After every cell IPython has pyplot draw each changed figure, then the inline backend
    draws it again into the PNG it shows. The first drawing is for interactive windows; in
    a notebook nobody sees it, and it is a third of a chart's cost. A finished chart marked
    unchanged skips it; under any other backend (an ipympl widget) nothing changes.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    if "inline" not in matplotlib.get_backend():
        return
    for num in plt.get_fignums():  # in order: plt.figure(num) makes each the current in turn
        plt.figure(num).stale = False


_KPI_CSS = """
.sn-kpis { margin: 2mm 0 5mm 0; break-inside: avoid; }
.sn-kpi { display: inline-block; vertical-align: top; box-sizing: border-box;
  margin: 0 1.5% 2mm 0; padding: 2mm 3mm; border: 1px solid #c9d3e0;
  border-left: 3px solid #1f4e79; border-radius: 1.5mm; background: #f7f9fc; }
.sn-kpi-label { font-size: 8pt; color: #4a4a4a; line-height: 1.25; }
.sn-kpi-value { font-size: 14pt; font-weight: bold; color: #1f4e79; line-height: 1.3;
  overflow-wrap: anywhere; }
.sn-kpi-note { font-size: 7.5pt; color: #666; line-height: 1.25; }
"""


def kpi_html(figures: tuple[KPI, ...] | list[KPI], *, currency: str = "") -> str:
    """Headline figures as a row of cards (label small, figure large, note under) that wraps."""
    figures = list(figures)
    if not figures:
        return ""
    texts = [k.text(currency) for k in figures]
    per_row = len(figures) if len(figures) <= 3 else 3
    if len(figures) == 4 and max(len(t) for t in texts) <= 10:
        per_row = 4
    width = (100 - 1.5 * per_row) / per_row
    cards = []
    for k, text in zip(figures, texts, strict=True):
        note_html = f'<div class="sn-kpi-note">{html.escape(k.note)}</div>' if k.note else ""
        cards.append(
            f'<div class="sn-kpi" style="width: {width:.1f}%">'
            f'<div class="sn-kpi-label">{html.escape(k.label)}</div>'
            f'<div class="sn-kpi-value">{html.escape(text)}</div>{note_html}</div>'
        )
    return f'<div class="sn-kpis"><style>{_KPI_CSS}</style>{"".join(cards)}</div>'


def kpis(a: Analysis) -> Any:
    """The analysis' headline figures (``a.headline``) as labelled cards; nothing when it has none."""
    from IPython.display import HTML

    block = kpi_html(a.headline, currency=a.currency)
    return HTML(block) if block else None


show_kpis = kpis

_OVERVIEW_CSS = """
.sn-overview h3 { margin: 2mm 0 1.5mm 0; }
.sn-overview ul.sn-findings li { margin-bottom: 1mm; }
.sn-box { border: 1px solid #b8c4d6; border-radius: 1.5mm; padding: 2mm 4mm; margin: 3mm 0;
  background: #fbfcfe; }
.sn-box h4 { break-after: avoid; }
.sn-box h4 { margin: 1mm 0 1.5mm 0; font-size: 10pt; color: #1f4e79; }
.sn-box p { margin: 0 0 1.5mm 0; }
"""
_COVERAGE_SPEC = TableSpec(
    "Rows used",
    columns={"table": "text", "rows": "count", "used": "count", "left_out": "count", "why": "text"},
    labels={"why": "Why left out"},
)
_ASSUMPTIONS_SPEC = TableSpec(
    "What the figures assume",
    columns={"assumption": "text", "value": "text", "source": "text", "note": "text"},
    labels={"note": "Drives / how to change it"},
)


def overview(a: Analysis) -> Any:
    """Key findings, then a box with the data coverage and assumptions, then what is not shown.

    Notebooks call it first (right after the hidden setup cells), before section 1; the
    sections' reasons for an absent part are then said in full once more.
    """
    from IPython.display import HTML

    _told.clear()
    _said.clear()
    parts = [f'<div class="sn-overview"><style>{_OVERVIEW_CSS}</style>', "<h3>Key findings</h3>"]
    findings = [f"<li>{html.escape(f)}</li>" for f in a.findings]
    parts += ['<ul class="sn-findings">', *(findings or ["<li>No finding for this data.</li>"])]
    parts += ["</ul>", '<div class="sn-box">', "<h4>Data coverage and assumptions</h4>"]
    parts.append(f"<p>{html.escape(a.coverage.note())}</p>")
    if len(a.coverage.rows):
        parts.append(table_html(a.coverage.rows, spec=_COVERAGE_SPEC, key="coverage").html)
    if a.assumptions:
        parts.append(
            table_html(a.assumptions_table(), spec=_ASSUMPTIONS_SPEC, key="assumptions").html
        )
    parts.append("</div>")
    if a.absent:
        grouped: dict[str, list[str]] = {}
        for k, v in a.absent.items():
            grouped.setdefault(v, []).append(k.replace("_", " "))
        parts.append("<h4>Not shown for this data set</h4><ul>")
        parts += [
            f"<li><b>{html.escape(', '.join(names))}</b>: {html.escape(why)}</li>"
            for why, names in grouped.items()
        ]
        parts.append("</ul>")
    parts.append("</div>")
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


_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")


def sheet_name(name: str) -> str:
    """An Excel sheet name for table ``name``: at most 31 characters, none Excel refuses."""
    cleaned = re.sub(r"\s+", " ", _SHEET_UNSAFE.sub(" ", str(name))).strip(" '")[:31].strip()
    if not cleaned or cleaned.lower() == "history":  # "History" is reserved by Excel
        cleaned = (cleaned + " table").strip()[:31] if cleaned else "data"
    return cleaned


def _excel_format(kind: str, values: pd.Series, currency: str) -> str | None:
    """The Excel number format of a column of ``kind`` (None: Excel's own)."""
    unit = f' "{currency}"' if currency and re.fullmatch(r"[A-Za-z]{1,6}", currency) else ""
    if kind == "money":
        numbers = pd.to_numeric(values, errors="coerce").abs()
        small = bool(numbers.notna().any()) and bool((numbers.dropna().round(2) < 1000).all())
        return ("#,##0.00" if small else "#,##0") + unit
    return {
        "percent": "0.0%",
        "count": "#,##0",
        "number": "#,##0.00",
        "precise": "#,##0.0###",
        "date": "yyyy-mm-dd",
    }.get(kind)


def _denoised(s: pd.Series) -> pd.Series:
    """Floats without binary noise: 199.99999999999997 -> 200.0 (12 significant digits)."""
    return s.map(lambda v: float(f"{v:.12g}") if pd.notna(v) else v)


def _for_export(table: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The values exported: money in cents, counts whole, dates as dates, floats without noise."""
    out = table.copy()
    for col, kind in kinds.items():
        s = out[col]
        if kind == "date":
            if not pd.api.types.is_datetime64_any_dtype(s):
                s = pd.to_datetime(s, errors="coerce")
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_localize(None)
            out[col] = s.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        elif kind == "money":
            out[col] = _denoised(s.astype("float64").round(2))
        elif kind == "count":
            whole = s.astype("float64").round()
            close = ((s.astype("float64") - whole).abs() < 1e-6) | s.isna()
            out[col] = whole.astype("Int64") if bool(close.all()) else _denoised(s)
        elif pd.api.types.is_float_dtype(s):
            out[col] = _denoised(s)
    return out


# A workbook holds at most this many rows of a table (the CSV beside it holds them all).
# Excel opens up to 1,048,576 rows, but XlsxWriter writes about a million cells in 10 s: at
# 100,000 accounts ABM's work lists (700,000 rows by 19 columns) took two minutes, and its
# candidates (100,000 rows) 20 s. A sheet is for people, who read the top of a ranked table
# and filter it; a tool or a pivot over every row reads the CSV (Excel opens it too).
EXCEL_MAX_ROWS = 25_000


def export_table(
    table: pd.DataFrame,
    stem: Path,
    *,
    spec: TableSpec | None = None,
    currency: str = "",
    sheet: str | None = None,
    max_excel_rows: int | None = None,
) -> list[Path]:
    """Write ``table`` as ``stem.xlsx`` and ``stem.csv``, formatted by column kind, atomically.

    Excel: a number format per column (money ``#,##0 "USD"``, two decimals where every
    amount is below 1,000; percent ``0.0%``; count ``#,##0``; dates ``yyyy-mm-dd`` as real
    dates), the sheet named after the table (``sheet``, else the file name), column widths
    that fit, the header frozen and filtered, text never run as a formula. CSV: money
    rounded to cents (as displayed), counts as whole numbers, dates as ``2026-09-30``, no
    float noise, text that Excel would run as a formula prefixed with ``'``.

    Kinds come from ``spec`` (see :class:`~salesnb.analysis.TableSpec`), else from each
    column's name and type, as in :func:`show`. Column names stay as they are (they are
    the names other tools read).

    The workbook holds at most ``max_excel_rows`` rows (default :data:`EXCEL_MAX_ROWS`),
    the table's first in its own order; the CSV always holds every row. A shortened
    workbook says so on a second sheet, "About", naming the CSV.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    # names may hold dots (an id like "A.1"): add the suffix, never replace part of the name
    xlsx, csv_path = stem.parent / f"{stem.name}.xlsx", stem.parent / f"{stem.name}.csv"
    frame = _shown_frame(table)
    kinds = {c: column_kind(frame, c, spec) for c in frame.columns}
    values = _for_export(frame, kinds)
    tab = sheet_name(sheet if sheet is not None else stem.name)
    limit = EXCEL_MAX_ROWS if max_excel_rows is None else max(int(max_excel_rows), 1)
    with atomic_path(xlsx) as tmp:
        _write_workbook(tmp, values, limit, kinds, tab, currency, csv_path.name)
    safe = values.copy()
    for col in safe.columns:
        if kinds[col] == "date":
            safe[col] = safe[col].dt.strftime("%Y-%m-%d")
        elif safe[col].dtype == object or str(safe[col].dtype) == "str":
            text = safe[col].astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False) & safe[col].notna()
            safe[col] = text.where(~risky, "'" + text).where(safe[col].notna())
    with atomic_path(csv_path) as tmp:
        # CRLF line ends (RFC 4180): a bare carriage return inside a name is quoted, not a row break
        safe.to_csv(tmp, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return [xlsx, csv_path]


def _write_workbook(
    target: Path,
    values: pd.DataFrame,
    limit: int,
    kinds: Mapping[str, str],
    tab: str,
    currency: str,
    csv_name: str,
) -> None:
    """The workbook of :func:`export_table`: the first ``limit`` rows of ``values``.

    Written cell by cell with XlsxWriter, not with pandas' ``to_excel``, which keys a style
    for every cell (a ``json.dumps`` each: 2 s for a table of 117,000 cells). A missing
    value is an empty cell, a date a real date, text always text (never a formula or link).
    """
    import xlsxwriter

    in_book = values.iloc[:limit]
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(str(target), options) as book:
        ws = book.add_worksheet(tab)
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        bold = book.add_format({"bold": True, "bg_color": "#dde4ee", "border": 1})
        for i, col in enumerate(values.columns):
            ws.write(0, i, str(col), bold)
            cells = _excel_cells(in_book[col])
            first = next((v for v in cells if v is not None), None)
            dated = kinds[col] == "date" or isinstance(first, dt.date)
            ws.write_column(1, i, cells, dates if dated else None)
            shown = [format_value(v, kinds[col], currency) for v in values[col].head(200)]
            width = max([len(str(col)), *(len(t) for t in shown)])
            number_format = _excel_format(kinds[col], values[col], currency)
            cell = book.add_format({"num_format": number_format}) if number_format else None
            ws.set_column(i, i, min(max(width + 2, 8), 50), cell)
        ws.freeze_panes(1, 0)
        if len(values.columns):
            ws.autofilter(0, 0, max(len(in_book), 1), len(values.columns) - 1)
        if len(in_book) < len(values):
            about = book.add_worksheet("About" if tab != "About" else "About this file")
            about.write(0, 0, f"The sheet '{tab}' holds the first {len(in_book):,} of the "
                        f"table's {len(values):,} rows, in the table's order.")  # fmt: skip
            about.write(1, 0, f"{csv_name} beside this file holds every row.")
            about.set_column(0, 0, 90)


# what XlsxWriter writes as it is (dt.date: datetime and Timestamp too; Number: Decimal)
_EXCEL_TYPES = (str, bool, numbers.Number, dt.date)


def _excel_cells(column: pd.Series) -> list[Any]:
    """A column's cells as XlsxWriter writes them, as pandas' ``to_excel`` would.

    Missing (NaN, NA, NaT) is None, an empty cell; infinity the text "inf" / "-inf" (Excel
    has no such number); a NumPy scalar its Python value; any other value of no Excel type
    (a list, a time of day kept as object) its text.
    """
    cells = column.astype(object).where(column.notna(), None).tolist()
    for i, v in enumerate(cells):
        if v is None:
            continue
        if isinstance(v, np.generic):
            cells[i] = v = v.item()
        if v.__class__ is float:
            if math.isinf(v):
                cells[i] = "inf" if v > 0 else "-inf"
        elif not isinstance(v, _EXCEL_TYPES):
            cells[i] = str(v)
    return cells
