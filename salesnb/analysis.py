"""What every methodology's ``analyze`` returns, and the pieces the analyses share.

Each methodology module has one entry point, ``analyze(data, params) -> <Name>Analysis``:

- ``params`` is a frozen dataclass (a subclass of :class:`Params`) whose fields are the
  notebook's parameters, less the ones the engine owns (``data_dir``, ``output_dir``,
  ``redact``); a test keeps the parameters cell and the dataclass in step;
- the result (a subclass of :class:`Analysis`) holds the tables each section shows, a
  sentence per section (``notes``), ``absent`` (section -> the plain reason it cannot be
  shown and what to add), ``metrics`` (what summary.json gets; null where the data cannot
  say), ``findings`` (key-finding sentences), ``assumptions`` (each default a figure rests
  on) and ``coverage`` (rows used, left out and why, the dates the data covers).

Metrics come from the result, so a chart that fails can never lose them, and tests can
run every analysis over many data-set shapes without a kernel.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .dataset.aggregates import event_span
from .dataset.deals import STAGE_OUTCOMES
from .periods import Window, next_quarter, previous_quarter, quarter_window, window
from .schema import DataError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .dataset import DataSet

__all__ = [
    "remembered",
    "KINDS",
    "KPI",
    "MISSING_MARK",
    "Analysis",
    "Assumption",
    "Chart",
    "Coverage",
    "NotAnalysable",
    "Params",
    "Periods",
    "Section",
    "TableSpec",
    "assume",
    "coverage",
    "data_span",
    "finite_or_none",
    "format_value",
    "is_missing",
    "label",
    "outcome_from_stage",
    "with_outcomes",
    "periods",
    "require",
    "share_or_none",
]


class NotAnalysable(DataError):
    """The data set lacks the methodology's core table: the notebook is skipped, not failed."""


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True, kw_only=True)
class Params:
    """Parameters every analysis takes; methodology modules subclass it with their own.

    ``fiscal_year_start_month`` 0 and ``currency`` "" mean "as in the data set's dataset.yml".
    Fields whose name ends in ``_file`` or ``_dir`` are paths (empty = none).
    """

    quarter: str
    fiscal_year_start_month: int = 0
    currency: str = ""

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any]) -> Self:
        """The parameters found in ``namespace`` (a notebook's globals), defaults for the rest."""
        return cls(**{f.name: namespace[f.name] for f in fields(cls) if f.name in namespace})

    @classmethod
    def names(cls) -> list[str]:
        """Field names, in declaration order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def default(cls, name: str) -> Any:
        """The declared default of field ``name`` (``MISSING`` when it has none)."""
        f = next(f for f in fields(cls) if f.name == name)
        if f.default is not MISSING:
            return f.default
        if f.default_factory is not MISSING:
            return f.default_factory()
        return MISSING

    def is_default(self, name: str) -> bool:
        """Whether field ``name`` still has its declared default."""
        return getattr(self, name) == self.default(name)

    def path(self, name: str) -> Path | None:
        """A path parameter as a Path, or None when empty."""
        value = getattr(self, name)
        return Path(value).expanduser() if value else None


# --------------------------------------------------------------------------- periods
@dataclass(frozen=True)
class Periods:
    """The windows an analysis uses, all derived from the review quarter."""

    quarter: str
    fiscal_start: int
    window: Window  # the review window: the quarter, or the TTM ending with it
    quarter_window: Window  # the review quarter alone
    previous: Window  # the review window one quarter earlier (same kind)
    ttm: Window  # the four quarters ending with the review quarter
    next: Window  # the quarter after the review quarter

    @property
    def kind(self) -> str:
        return "ttm" if self.window != self.quarter_window else "quarter"


def periods(data: DataSet, params: Params, *, kind: str = "quarter") -> Periods:
    """The review windows for ``params.quarter`` (fiscal quarters as the data set says)."""
    fiscal = params.fiscal_year_start_month or data.settings.fiscal_year_start_month
    q = params.quarter
    return Periods(
        quarter=q,
        fiscal_start=fiscal,
        window=window(q, kind, fiscal_start=fiscal),
        quarter_window=quarter_window(q, fiscal_start=fiscal),
        previous=window(previous_quarter(q), kind, fiscal_start=fiscal),
        ttm=window(q, "ttm", fiscal_start=fiscal),
        next=quarter_window(next_quarter(q), fiscal_start=fiscal),
    )


# --------------------------------------------------------------------------- assumptions
@dataclass(frozen=True)
class Assumption:
    """A value a figure rests on that the data did not give."""

    name: str  # the parameter (or built-in) it comes from
    label: str  # what it is, for people
    value: str  # as shown
    source: str  # "default", "set for this run", "from the data", "built in"
    note: str = ""  # what it drives / how to change it


def assume(
    params: Params, name: str, label: str, *, shown: str | None = None, note: str = ""
) -> Assumption:
    """An :class:`Assumption` for parameter ``name``: default or set for this run."""
    value = getattr(params, name)
    text = (
        shown
        if shown is not None
        else (f"{value:,}" if isinstance(value, int | float) else str(value))
    )
    source = "default" if params.is_default(name) else "set for this run"
    return Assumption(name, label, text, source, note or f"parameter {name}")


# --------------------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """Which rows an analysis used, which it left out and why, and the dates the data covers."""

    window: Window
    data_from: pd.Timestamp | None
    data_through: pd.Timestamp | None
    rows: pd.DataFrame  # table, rows, used, left_out, why

    @property
    def complete(self) -> bool | None:
        """Whether the data reaches the window's last day (None: the data has no dates)."""
        if self.data_through is None:
            return None
        return bool(self.data_through >= self.window.end)

    def note(self) -> str:
        """The date range the data covers, and whether it covers the whole window."""
        w = self.window
        if self.data_through is None or self.data_from is None:
            return f"The data set holds no dated events, so nothing can be said for {w.label}."
        span = f"The data covers {self.data_from:%Y-%m-%d} to {self.data_through:%Y-%m-%d}."
        if self.data_through < w.start:
            return (
                f"{span} It ends before {w.label} starts ({w.start:%Y-%m-%d}): "
                "this window has no data, so its figures are empty."
            )
        if self.data_through < w.end:
            days = (w.end - self.data_through).days
            return (
                f"{span} It ends {days} days before {w.label} does ({w.end:%Y-%m-%d}): "
                "figures for this window are partial."
            )
        if self.data_from > w.start:
            return (
                f"{span} It starts after {w.label} does ({w.start:%Y-%m-%d}): "
                "figures for this window are partial."
            )
        return f"{span} {w.label} ({w.start:%Y-%m-%d} to {w.end:%Y-%m-%d}) is fully covered."


def coverage(
    data: DataSet,
    window: Window,
    rows: Iterable[tuple[str, int, int, Mapping[str, int]]],
) -> Coverage:
    """A :class:`Coverage` from ``(table, rows in data, rows used, {reason: rows left out})``."""
    first, last = data_span(data)
    records = []
    for table, total, used, left in rows:
        reasons = {k: int(v) for k, v in left.items() if v}
        records.append(
            {
                "table": table,
                "rows": int(total),
                "used": int(used),
                "left_out": int(sum(reasons.values())),
                "why": "; ".join(f"{k}: {v:,}" for k, v in reasons.items()),
            }
        )
    frame = pd.DataFrame(records, columns=["table", "rows", "used", "left_out", "why"])
    return Coverage(window, first, last, frame)


def outcome_from_stage(stage: pd.Series) -> pd.Series:
    """The outcome a stage name tells (``closed_won`` -> won, ``no_decision`` ...), else open."""
    text = stage.astype("str").fillna("")
    out = pd.Series("open", index=stage.index, dtype="str")
    for pattern, outcome in reversed(STAGE_OUTCOMES):
        out = out.mask(text.str.contains(pattern, regex=True).fillna(False), outcome)
    return out.where(stage.notna(), "open")


def with_outcomes(opps: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Opportunities with an outcome on every row, and how many were read from the stage name.

    The ``outcome`` column wins where it has a value; a row without one (or a table without
    the column, as in most report exports) takes the outcome its stage name tells:
    ``Closed Won`` -> won, ``Closed Lost`` -> lost, ``No Decision`` -> no_decision, any other
    stage -> open.
    """
    if "stage" not in opps:
        raise DataError("outcomes need the opportunities' stage column")
    given = opps["outcome"] if "outcome" in opps else pd.Series(pd.NA, index=opps.index)
    inferred = given.isna()
    if not inferred.any():
        return opps, 0
    filled = given.astype("object").where(~inferred, outcome_from_stage(opps["stage"]))
    return opps.assign(outcome=filled.astype("str")), int(inferred.sum())


# event dates: when something happened (an open deal's planned close date is not one)
_EVENT_DATES: dict[str, tuple[str, ...]] = {
    "orders": ("order_date",),
    "activities": ("activity_date",),
    "cases": ("opened_date",),
    "opportunities": ("created_date", "close_date"),
}


def data_span(data: DataSet) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last event date in the data set.

    Events: order lines, activities, cases opened, deals created, and deals closed (won,
    lost, no decision). The planned close date of an open deal is not an event.
    """
    lows: list[pd.Timestamp] = []
    highs: list[pd.Timestamp] = []
    for name, cols in _EVENT_DATES.items():
        if name in data.raw:
            col = cols[0]
            lo, hi = event_span(data, name, col)
            if pd.notna(lo):
                lows.append(pd.Timestamp(lo))
                highs.append(pd.Timestamp(hi))
            continue
        df = data.tables.get(name)
        if df is None or df.empty:
            continue
        for col in cols:
            if col not in df:
                continue
            s = df[col]
            if name == "opportunities" and col == "close_date":
                outcome = with_outcomes(df)[0]["outcome"] if "stage" in df else df.get("outcome")
                if outcome is not None:
                    s = s[outcome.isin(["won", "lost", "no_decision"])]
            s = s.dropna()
            if len(s):
                lows.append(pd.Timestamp(s.min()))
                highs.append(pd.Timestamp(s.max()))
    if not lows:
        return None, None
    return min(lows), max(highs)


# --------------------------------------------------------------------------- display contract
KINDS = ("money", "percent", "count", "number", "precise", "date", "text", "id", "bool")
"""What a column or a figure holds, which decides how it is shown and exported.

money: "1,234,567 USD" (no decimals from 1,000 up, 2 below); percent: a share, 0.123 ->
"12.3%"; count: a whole number, "1,234"; number: up to 2 decimals; precise: up to 4
decimals (a declared precise column may show more than 2); date: "2026-09-30"; text and
id: as given; bool: "yes" / "no". Missing values (None, NaN, NaT, NA) show as "–".
"""

MISSING_MARK = "–"

# words a label writes in capitals (or their own way) rather than in sentence case
_WORDS = {
    "id": "ID",
    "ids": "IDs",
    "pvf": "PVF",
    "abm": "ABM",
    "crm": "CRM",
    "kpi": "KPI",
    "ttm": "TTM",
    "roi": "ROI",
    "acv": "ACV",
    "arr": "ARR",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "qoq": "QoQ",
    "yoy": "YoY",
    "pct": "%",
    "vs": "vs",
}


def label(column: str) -> str:
    """A column name for people: ``days_in_stage`` -> "Days in stage", ``account_id`` -> "Account ID".

    Known abbreviations keep their own spelling (ID, PVF, ABM, CRM, TTM ...); a name that is
    not snake_case (already a label) is returned as it is.
    """
    text = str(column)
    if not re.fullmatch(r"[a-z0-9_]+", text):
        return text
    words = [w for w in text.split("_") if w]
    if not words:
        return text
    out = [_WORDS.get(w, w) for w in words]
    if words[0] not in _WORDS:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class TableSpec:
    """How one table of an analysis is shown: title, column kinds and labels, a source note.

    ``columns`` maps a column to its kind (one of :data:`KINDS`); columns left out are
    formatted by their name and type. ``labels`` maps a column to its heading (default:
    :func:`label`). ``wide`` asks for the wrapped / landscape layout even for few columns.
    """

    title: str
    columns: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    wide: bool = False

    def __post_init__(self) -> None:
        for kind in self.columns.values():
            _check_kind(kind)

    def kind(self, column: str) -> str | None:
        """The declared kind of ``column`` (None: not declared)."""
        return self.columns.get(column)

    def label(self, column: str) -> str:
        """The heading of ``column``: the declared label, else the column name in sentence case."""
        return self.labels.get(column) or label(column)


@dataclass(frozen=True)
class KPI:
    """A headline figure: a label, its value and kind, and a short note (why it is missing, too).

    ``value`` None shows "–"; the ``note`` then says why.
    """

    label: str
    value: Any
    kind: str = "number"
    note: str = ""

    def __post_init__(self) -> None:
        _check_kind(self.kind)

    def text(self, currency: str = "") -> str:
        """The value as shown (see :func:`format_value`)."""
        return format_value(self.value, self.kind, currency)


def is_missing(value: Any) -> bool:
    """Whether ``value`` is None, NaN, NaT or NA (a scalar; containers are never missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value)) if pd.api.types.is_scalar(value) else False
    except (TypeError, ValueError):
        return False


def _plain_number(text: str) -> str:
    """``1,234.50`` -> ``1,234.5``; ``3.00`` -> ``3`` (trailing zeros after the point dropped)."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: Any, kind: str, currency: str = "", *, decimals: int | None = None) -> str:
    """``value`` as a report shows it, by ``kind`` (one of :data:`KINDS`).

    ``decimals`` fixes the decimals of a money, number or precise value (a table column
    shows all its values with the same decimals); by default trailing zeros are dropped
    and money has cents only under 1,000.

    Examples
    --------
    >>> format_value(1234567.891, "money", "USD")
    '1,234,568 USD'
    >>> format_value(999.5, "money", "USD")
    '999.50 USD'
    >>> format_value(0.1787508, "percent")
    '17.9%'
    >>> format_value(float("nan"), "count")
    '–'
    """
    _check_kind(kind)
    if is_missing(value):
        return MISSING_MARK
    if kind == "bool":
        if isinstance(value, str):
            return value
        return "yes" if bool(value) else "no"
    if kind == "date":
        if isinstance(value, str):
            try:
                value = pd.Timestamp(value)
            except (ValueError, TypeError):
                return value
        if not isinstance(value, dt.date):
            try:
                value = pd.Timestamp(value)  # numpy datetime64, epoch numbers are not dates here
            except (ValueError, TypeError):
                return str(value)
        return f"{value:%Y-%m-%d}"
    if kind in ("text", "id"):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
    else:
        number = float(value)
    if not math.isfinite(number):
        return MISSING_MARK
    if kind == "money":
        cents = round(number, 2)
        places = decimals if decimals in (0, 2) else 0 if abs(cents) >= 1000 else 2
        text = f"{cents:,.{places}f}"
        text = text[1:] if text.startswith("-") and not text.strip("-0.,") else text
        return f"{text} {currency}" if currency else text
    if kind == "percent":
        text = f"{number:.1%}"
        return "0.0%" if text == "-0.0%" else text
    if kind == "count":
        return _plain_number(f"{round(number):,}")
    if kind in ("number", "precise"):
        most = 2 if kind == "number" else 4
        if decimals is not None:
            text = f"{number:,.{min(max(decimals, 0), most)}f}"
            return text[1:] if text.startswith("-") and not text.strip("-0.,") else text
        return _plain_number(f"{number:,.{most}f}")
    raise AssertionError(kind)  # every kind is handled above


# --------------------------------------------------------------------------- results
@dataclass
class Section:
    """What one section of an analysis adds to the result, while ``analyze`` builds it."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Section) -> None:
        """Take in what another section adds."""
        self.tables.update(other.tables)
        self.notes.update(other.notes)
        self.absent.update(other.absent)
        self.metrics.update(other.metrics)
        self.findings += other.findings
        self.extras.update(other.extras)


@dataclass(frozen=True)
class Chart:
    """A chart of an analysis: the tables it draws and the function that draws them."""

    needs: tuple[str, ...]
    draw: Callable[[Any, Axes | None], Axes]


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """One methodology's result over one data set: tables, notes, metrics, and what is absent.

    Subclasses set ``methodology`` and ``charts`` (chart name -> :class:`Chart`).
    """

    methodology: ClassVar[str] = ""
    charts: ClassVar[Mapping[str, Chart]] = {}
    specs: ClassVar[Mapping[str, TableSpec]] = {}  # table name -> how it is shown

    params: Params
    periods: Periods
    currency: str
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    absent: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[str, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    coverage: Coverage
    extras: Mapping[str, Any] = field(default_factory=dict)
    headline: tuple[KPI, ...] = ()  # 3-6 headline figures (KPI cards), computed in analyze
    actions: tuple[str, ...] = ()  # the top actions for the executive summary, computed sentences

    @property
    def window(self) -> Window:
        return self.periods.window

    def table(self, name: str) -> pd.DataFrame | None:
        """Table ``name``, or None when its section is absent."""
        return self.tables.get(name)

    def reason(self, name: str) -> str | None:
        """Why table or chart ``name`` cannot be shown (None when it can)."""
        if name in self.absent:
            return self.absent[name]
        chart = self.charts.get(name)
        if chart is not None:
            for need in chart.needs:
                if need in self.absent:
                    return self.absent[need]
                if need not in self.tables:
                    return f"There is nothing to draw for {name.replace('_', ' ')}."
            return None
        if name not in self.tables:
            return f"There is no {name.replace('_', ' ')} table for this data set."
        return None

    def first(self, name: str, column: str) -> Any:
        """The first row's ``column`` of table ``name`` (None when absent or empty): exercise answers."""
        table = self.tables.get(name)
        if table is None or table.empty or column not in table:
            return None
        value = table[column].iloc[0]
        return None if pd.isna(value) else value

    def note(self, name: str) -> str | None:
        """The computed sentence for section ``name``, if any."""
        return self.notes.get(name)

    def chart(self, name: str, *, ax: Axes | None = None) -> Axes | None:
        """Draw chart ``name`` (None, nothing drawn, when its data is absent)."""
        if name not in self.charts:
            known = ", ".join(self.charts) or "none"
            raise KeyError(f"{self.methodology} has no chart {name!r}; its charts: {known}")
        if self.reason(name) is not None:
            return None
        return self.charts[name].draw(self, ax)

    def assumptions_table(self) -> pd.DataFrame:
        """The assumptions as a table (assumption, value, source, note), labels capitalised."""
        return pd.DataFrame(
            [
                (a.label[:1].upper() + a.label[1:], a.value, a.source, a.note)
                for a in self.assumptions
            ],
            columns=["assumption", "value", "source", "note"],
        )

    def spec(self, name: str) -> TableSpec | None:
        """How table ``name`` is shown (None: not declared; the display layer guesses)."""
        return self.specs.get(name)

    def summary(self) -> dict[str, Any]:
        """What the report engine stores beside the metrics: findings, headline figures, actions,
        absent sections, coverage."""
        c = self.coverage
        return {
            "findings": list(self.findings),
            "headline": [
                {
                    "label": k.label,
                    "value": _json_value(k.value, k.kind),
                    "kind": k.kind,
                    "note": k.note,
                }
                for k in self.headline
            ],
            "actions": list(self.actions),
            "absent": dict(self.absent),
            "data_from": None if c.data_from is None else f"{c.data_from:%Y-%m-%d}",
            "data_through": None if c.data_through is None else f"{c.data_through:%Y-%m-%d}",
            "window": {
                "label": c.window.label,
                "start": f"{c.window.start:%Y-%m-%d}",
                "end": f"{c.window.end:%Y-%m-%d}",
                "complete": c.complete,
            },
            "assumptions": [
                {"name": a.name, "label": a.label, "value": a.value, "source": a.source}
                for a in self.assumptions
            ],
        }


# --------------------------------------------------------------------------- small helpers
def _json_value(value: Any, kind: str = "number") -> Any:
    """A headline value for summary.json: a number (a count as a whole number), a date as
    text, text, or None."""
    if is_missing(value):
        return None
    if isinstance(value, bool) or hasattr(value, "item") and isinstance(value.item(), bool):
        return bool(value)
    if isinstance(value, numbers.Real):
        number = finite_or_none(value)
        return int(round(number)) if kind == "count" and number is not None else number
    if isinstance(value, dt.date | pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def require(data: DataSet, options: Sequence[str], methodology: str) -> None:
    """Raise :class:`NotAnalysable` unless the data set has one of the ``options`` tables."""
    if not any(data.has(t) for t in options):
        article = "an" if options[0][0] in "aeiou" else "a"
        raise NotAnalysable(
            f"{methodology} needs {article} {' or '.join(options)} table; the data set has none "
            f"(add {options[0]}.csv to the data-set folder)"
        )


def isin(series: pd.Series, values: Any) -> pd.Series:
    """``series.isin(values)``, fast for text: pandas 3 stores text in Arrow, and its isin
    turns each of ``values`` into a Python object first (0.3-0.5 s for 700,000 account ids
    against 50,000; Arrow's own ``is_in``: 0.04 s). Same answer: a missing value matches
    where ``values`` holds a missing one; a value that is not text never matches text."""
    arr = getattr(series.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return series.isin(values)
    given = getattr(getattr(values, "array", values), "_pa_array", None)
    if given is not None and given.type == arr.type:
        value_set = pc.unique(
            given.combine_chunks() if isinstance(given, pa.ChunkedArray) else given
        )
    else:
        items = list(values)
        texts = [v for v in items if isinstance(v, str)]
        if any(is_missing(v) for v in items):
            texts.append(None)
        value_set = pa.array(texts, type=arr.type)
    found = pc.is_in(arr, value_set=value_set, skip_nulls=False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=series.index, name=series.name)


def finite_or_none(value: Any) -> float | None:
    """A float, or None for missing, NaN and infinite values (JSON null)."""
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def share_or_none(part: float, whole: float) -> float | None:
    """``part / whole``, or None when ``whole`` is zero or missing."""
    if whole is None or pd.isna(whole) or whole == 0:
        return None
    return float(part) / float(whole)


_REMEMBERED = 4  # results kept per analysis: the notebook's own and a few exercise variants


def remembered(analyze: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """An ``analyze(data, params)`` that returns its earlier result for the same call.

    A notebook asks for the same analysis more than once (its first cell, the headless
    explorer at the notebook's values, an exercise's key): analyses are pure, so the same
    data set object and equal parameters give the same result, computed once. The data
    set is held weakly; parameters that cannot be compared are never matched. Results
    are shared: treat them as read-only, as every caller does. An analysis that reads the
    clock (the war room's run date) is not remembered.
    """
    kept: list[tuple[weakref.ref[Any], Any, Any]] = []

    @functools.wraps(analyze)
    def wrapper(data: Any, params: Any) -> Any:
        for ref, earlier, result in kept:
            if ref() is data and type(earlier) is type(params) and _equal(earlier, params):
                return result
        result = analyze(data, params)
        try:
            kept.insert(0, (weakref.ref(data), params, result))
        except TypeError:  # not weakly referable: not remembered
            return result
        del kept[_REMEMBERED:]
        return result

    return wrapper


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # a field such as a DataFrame has no single truth value
        return False
