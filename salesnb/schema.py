"""The canonical data set: tables, columns, types, rules, and the kit's error types.

This is the single place that knows the canonical names. Everything else asks it:
readers parse with :func:`parse_table`, checks run with :func:`check_table`, and
the CLI prints the :class:`Problem` rows they return.

Validation is two-stage:

1. **parse** (strings -> typed columns): a cell that is not a date, a number, a yes/no
   or a quarter is an *error* with its line, column and value;
2. **rules** (on typed data), declared as a pandera schema per table: keys present and
   unique (errors), values needed by the row's meaning, allowed categories, ranges,
   orphan foreign keys and risky text (findings that do not stop the analysis).

Line numbers: the frames handed to the rules carry the source line as their index
(header = line 1), so every problem names the line a user sees in an editor.

Missing values depend on what a column means (:func:`missing_tokens`, the one rule
every reader uses: pandas parsing here, the DuckDB raw-line reader in
:mod:`salesnb.sources`, and the importer in :mod:`salesnb.crm`). Cells are compared
after trimming spaces, ignoring case:

- *structural* tokens mean "no value" in every column: an empty cell, ``n/a``,
  ``#n/a``, ``null``, ``nan``, ``nat``, ``-`` and ``--``;
- the *words* ``none`` and ``na`` are values in a ``category`` column (a
  relationship status of "none" is no relationship; region "NA" is North America),
  and mean "no value" in every other kind of column;
- ``text`` columns (names, titles, reasons) treat every token as missing: free text
  has no vocabulary in which "None" or "NA" is a defined value, and exports write
  those words into empty name and reason fields (a competitor "None" is no
  competitor). Ids, numbers, dates, yes/no and quarters also treat every token as
  missing.

Numbers (money, number, fraction and whole-number columns) must be finite and below
:data:`MAX_MAGNITUDE` (10^15) in absolute value: ``inf``, ``-inf``, ``Infinity``,
``-nan`` or ``1e308`` are errors, because one such cell turns every sum (and each
share of it) into nonsense. The text ``nan`` alone is the structural missing token.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal, NamedTuple, get_args

import numpy as np
import pandas as pd

# pandera imports pyspark.pandas when pyspark is installed (the spark extra), at import
# and at its first validation, and pyspark warns there about pandas 3 into every report:
# the kit never uses pandas-on-Spark (its Spark engine returns aggregates through Arrow)
warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)

import pandera.pandas as pa  # noqa: E402

__all__ = [
    "COLUMN_KINDS",
    "CATEGORIES",
    "MAX_MAGNITUDE",
    "MISSING_TOKENS",
    "MISSING_WORDS",
    "NUMERIC_KINDS",
    "STRUCTURAL_MISSING",
    "Parsed",
    "RAW_TABLES",
    "TABLES",
    "Column",
    "DataError",
    "Problem",
    "SalesnbError",
    "Table",
    "UsageError",
    "check_currency",
    "check_table",
    "currency_problem",
    "check_text",
    "missing_mask",
    "missing_tokens",
    "number_trouble",
    "cell_problem",
    "problems_frame",
    "parse_table",
    "table_for_file",
]

Severity = Literal["error", "finding"]
ColumnKind = Literal[
    "id",
    "text",
    "category",
    "date",
    "dates",
    "money",
    "number",
    "fraction",
    "int",
    "bool",
    "period",
]
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)

# Cell values that mean "no value" in exports from spreadsheets and CRMs (compared
# trimmed and in lower case). Structural tokens are missing in every column; the words
# are values in a category column ("none": no relationship, "NA": North America).
STRUCTURAL_MISSING: frozenset[str] = frozenset({"", "n/a", "#n/a", "null", "nan", "nat", "-", "--"})
MISSING_WORDS: frozenset[str] = frozenset({"none", "na"})
MISSING_TOKENS: frozenset[str] = STRUCTURAL_MISSING | MISSING_WORDS

# Numbers at or above this absolute value are errors: no amount, count or score in a
# sales data set is a quadrillion, and sums of such values lose every cent.
MAX_MAGNITUDE: float = 1e15
_MAX_TEXT = f"1e{round(math.log10(MAX_MAGNITUDE))}"  # as messages write it

# Controlled vocabularies (stored in snake_case lower case after normalisation).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "outcome": ("open", "won", "lost", "no_decision"),
    "role": ("decision_maker", "influencer", "champion", "user", "blocker", "unknown"),
    "source": ("sales", "marketing", "partner", "referral"),
}


# --------------------------------------------------------------------------- errors
class SalesnbError(Exception):
    """Base class of the errors a user can cause; the CLI prints them without traceback."""

    exit_code = 1


class DataError(SalesnbError):
    """The data cannot be analysed: unreadable file, missing column, broken keys ...

    ``problems`` holds every :class:`Problem` found, not just the first.
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class UsageError(SalesnbError):
    """The command was called wrongly (bad path, unknown option value)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located as precisely as the data allows."""

    severity: Severity
    file: str
    problem: str
    fix: str = ""
    table: str = ""
    column: str | None = None
    line: int | None = None  # first line concerned (header is line 1)
    count: int = 1
    examples: str = ""  # more lines / values, human readable

    def describe(self) -> str:
        """One line for people: where, what, how many, how to fix."""
        where = self.file
        if self.line is not None:
            unit = "row" if self.file.lower().endswith(".parquet") else "line"
            where += f" {unit} {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.problem}"
        if self.count > 1:
            text += f" ({self.count:,} rows"
            text += f"; e.g. {self.examples})" if self.examples else ")"
        elif self.examples:
            text += f" ({self.examples})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a DataFrame, errors first, in file / line order."""
    cols = list(Problem.__dataclass_fields__)
    df = pd.DataFrame([asdict(p) for p in problems], columns=cols)
    if df.empty:
        return df
    order = df["severity"].map({"error": 0, "finding": 1})
    return (
        df.assign(_o=order, _l=df["line"].fillna(0))
        .sort_values(["_o", "file", "_l"], kind="stable")
        .drop(columns=["_o", "_l"])
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    """A canonical column: its kind decides how cells are parsed and checked."""

    name: str
    kind: ColumnKind
    required: bool = False  # the column must exist
    needed: bool = False  # a value should be present on every row (finding if not)
    doc: str = ""
    bounds: tuple[float, float | None] | None = None  # (low, high or None): a number's range


@dataclass(frozen=True)
class Table:
    """A canonical table: key, columns, foreign keys and row rules."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    raw: bool = False  # raw-line table: checked and aggregated by DuckDB
    references: Mapping[str, str] = field(default_factory=dict)  # column -> table
    # (earlier, later, rule): a row whose later date falls before the earlier one breaks `rule`
    date_order: tuple[tuple[str, str, str], ...] = ()
    doc: str = ""

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(
    name: str,
    kind: ColumnKind,
    req: bool = False,
    needed: bool = False,
    doc: str = "",
    bounds: tuple[float, float | None] | None = None,
):
    return Column(name, kind, required=req, needed=needed or req, doc=doc, bounds=bounds)


def _key(name: str) -> Column:
    return Column(name, "id", required=True, needed=True, doc="unique key")


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            ("account_id",),
            (
                _key("account_id"),
                _c("account_name", "text", req=True),
                _c("industry", "category"),
                _c("employees", "int"),
                _c("year_founded", "int"),
                _c("annual_revenue", "money"),
                _c("website_score", "number", doc="0-100, how clean and modern the site is"),
                _c("avg_customer_price", "money", doc="what the account charges its customers"),
                _c("prior_spend", "money", doc="spend with us before the analysed period"),
                _c("priorities_fit", "bool", doc="stated priorities fit our offer"),
                _c("is_global", "bool", doc="Fortune-500 class account"),
                _c("region", "category"),
                _c("owner", "text"),
                _c(
                    "referred_by",
                    "id",
                    doc="the customer (an account_id) whose recommendation brought this account",
                ),
            ),
            references={"referred_by": "accounts"},
            doc="one row per customer or prospect company",
        ),
        Table(
            "contacts",
            ("contact_id",),
            (
                _key("contact_id"),
                _c("account_id", "id", req=True),
                _c("full_name", "text"),
                _c("title", "text"),
                _c("department", "category"),
                _c("buying_center", "category"),
                _c("role", "category"),
                _c("linkedin_connected", "bool"),
                _c("newsletter", "bool"),
                _c("last_engaged", "date"),
                _c("email", "text", doc="e-mail address (a pseudonym under --redact)"),
                _c("phone", "text", doc="phone number (a pseudonym under --redact)"),
            ),
            references={"account_id": "accounts"},
            doc="named people at accounts",
        ),
        Table(
            "opportunities",
            ("opportunity_id",),
            (
                _key("opportunity_id"),
                _c("account_id", "id", req=True),  # prospects may lack one: a finding
                _c("stage", "category", req=True),
                Column("amount", "money", required=True),  # needed when won
                _c("created_date", "date", req=True),
                Column("close_date", "date", required=True),  # needed when closed
                _c("owner", "text"),
                _c("outcome", "category"),
                _c("loss_reason", "text"),
                _c("product_id", "id"),
                _c("probability", "fraction"),
                _c("forecast_category", "category"),
                _c("source", "category"),
                _c("buying_center", "category"),
                _c("competitor", "text"),
                _c("currency", "category"),
            ),
            references={"account_id": "accounts", "product_id": "products"},
            date_order=(("created_date", "close_date", "close_before_created"),),
            doc="deals, open and closed",
        ),
        Table(
            "orders",
            ("order_id",),
            (
                _key("order_id"),
                _c("account_id", "id", req=True),
                _c("order_date", "date", req=True),
                _c("amount", "money", req=True),
                _c("product_id", "id"),
                _c("quantity", "number"),
                _c("currency", "category"),
            ),
            raw=True,
            references={"account_id": "accounts", "product_id": "products"},
            doc="invoice lines; credits and cancellations are negative",
        ),
        Table(
            "products",
            ("product_id",),
            (
                _key("product_id"),
                _c("product_name", "text", req=True),
                _c("family", "category"),
                _c("list_price", "money"),
                _c("commission_rate", "fraction"),
            ),
            doc="what we sell",
        ),
        Table(
            "cases",
            ("case_id",),
            (
                _key("case_id"),
                _c("account_id", "id", req=True),
                _c("opened_date", "date", req=True),
                _c("category", "category"),
                _c("severity", "category"),
                _c("closed_date", "date"),
            ),
            references={"account_id": "accounts"},
            doc="complaints and support cases",
        ),
        Table(
            "activities",
            ("activity_id",),
            (
                _key("activity_id"),
                _c("account_id", "id", req=True),
                _c("activity_date", "date", req=True),
                _c("owner", "text"),
                _c("activity_type", "category"),
                _c("duration_minutes", "number"),
            ),
            raw=True,
            references={"account_id": "accounts"},
            doc="logged sales activity (calls, meetings, emails)",
        ),
        Table(
            "quotas",
            ("owner", "period"),
            (
                Column("owner", "text", required=True, needed=True),
                Column("period", "period", required=True, needed=True),
                _c("quota", "money", req=True),
            ),
            doc="sales target per rep and quarter (period like 2026Q3)",
        ),
        Table(
            "buying_centers",
            ("account_id", "buying_center"),
            (
                Column("account_id", "id", required=True, needed=True),
                Column("buying_center", "category", required=True, needed=True),
                _c("wallet_size", "money"),
                _c("our_revenue", "money"),
                _c("sales_goal", "money"),
                _c("relationship_status", "category"),
                _c("key_initiatives", "text"),
                _c("competitor", "text"),
                _c("growth_trend", "category"),
                _c("engagement_score", "number"),
            ),
            references={"account_id": "accounts"},
            doc="departments / business units of an account that buy",
        ),
        Table(
            "experts",
            ("expert_id",),
            (
                _key("expert_id"),
                _c("area", "category", req=True),
                _c("full_name", "text"),
                _c("unavailable_dates", "dates", doc="ISO dates separated by ';'"),
            ),
            doc="the war-room roster",
        ),
        Table(
            "trials",
            ("trial_id",),
            (
                _key("trial_id"),
                _c("account_id", "id", doc="the account, when the sign-up is one already"),
                _c("email", "text", doc="who signed up (a pseudonym under --redact)"),
                _c("start_date", "date", req=True),
                _c("end_date", "date"),
                _c("length_days", "int", doc="the trial's length in whole days", bounds=(1, None)),
                _c("qualified", "bool", doc="a person qualified the sign-up before the trial"),
                _c(
                    "usage_score",
                    "number",
                    doc="0-100: share of the trial's key features used",
                    bounds=(0, 100),
                ),
                _c("converted", "bool", doc="the trial became a paying customer"),
            ),
            references={"account_id": "accounts"},
            date_order=(("start_date", "end_date", "end_before_start"),),
            doc="free trials (sign-ups), one row per trial",
        ),
    ]
}

RAW_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.raw)


def table_for_file(stem: str) -> Table | None:
    """The canonical table a file stem names (``Orders`` -> orders), or None."""
    return TABLES.get(stem.strip().lower().replace(" ", "_").replace("-", "_"))


# --------------------------------------------------------------------------- parsing
_FIX = {
    "date": "write dates as YYYY-MM-DD (ISO 8601); for other formats import the file "
    "with a mapping file that sets date_format",
    "dates": "list ISO dates (YYYY-MM-DD) separated by ';'",
    "number": "write plain numbers with a dot as decimal separator and no currency "
    "sign or thousands separator (or import with a mapping file that sets decimal: ',')",
    "int": "write whole numbers without separators",
    "bool": "write yes/no, true/false or 1/0",
    "period": "write quarters as YYYYQn, e.g. 2026Q3",
}
_KIND_WORD = {
    "date": "a date",
    "dates": "a list of dates",
    "money": "an amount",
    "number": "a number",
    "fraction": "a number",
    "int": "a whole number",
    "bool": "yes/no",
    "period": "a quarter",
}
_TRUE = {"true", "yes", "y", "1", "t", "x", "1.0"}
_FALSE = {"false", "no", "n", "0", "f", "0.0"}
_PERIOD = re.compile(r"^\d{4}Q[1-4]$")


def missing_tokens(kind: str) -> frozenset[str]:
    """The cell values (trimmed, lower case) that mean "no value" in a column of ``kind``.

    Parameters
    ----------
    kind
        A column kind (:data:`COLUMN_KINDS`); columns the schema does not know are "text".

    Returns
    -------
    frozenset of str
        :data:`STRUCTURAL_MISSING` for ``category`` columns, where "none" and "na"
        are values; :data:`MISSING_TOKENS` (structural tokens and those words) for
        every other kind.

    Examples
    --------
    >>> "none" in missing_tokens("category"), "none" in missing_tokens("money")
    (False, True)
    """
    return STRUCTURAL_MISSING if kind == "category" else MISSING_TOKENS


def missing_mask(s: pd.Series, kind: str = "text") -> pd.Series:
    """True where a cell of a ``kind`` column means "no value" (see :func:`missing_tokens`)."""
    return s.isna() | s.astype("str").str.strip().str.lower().isin(missing_tokens(kind))


_missing_mask = missing_mask  # the name tiering.py imports

NUMERIC_KINDS: tuple[str, ...] = ("money", "number", "fraction", "int")
NumberTrouble = Literal["not_a_number", "not_finite", "too_large"]


def number_trouble(text: str) -> NumberTrouble:
    """Why a cell of a numeric column was not accepted: no number, not finite, or too large."""
    try:
        x = float(str(text).strip())
    except ValueError:
        return "not_a_number"
    if not math.isfinite(x):
        return "not_finite"
    return "too_large" if abs(x) >= MAX_MAGNITUDE else "not_a_number"


def cell_problem(text: str, kind: str) -> tuple[str, str]:
    """The problem and fix for a cell that is not a value of its ``kind`` column.

    One wording for every reader (pandas parsing here, the DuckDB raw-line check in
    :mod:`salesnb.sources`). Numbers distinguish text that is no number, infinite or
    not-a-number values, and magnitudes of :data:`MAX_MAGNITUDE` or more.

    Parameters
    ----------
    text
        The cell as written in the file.
    kind
        The column kind (``money``, ``date`` ...).

    Returns
    -------
    (problem, fix)

    Examples
    --------
    >>> cell_problem("inf", "money")[0]
    "'inf' is not a finite number (infinite or not-a-number)"
    >>> cell_problem("soon", "date")[0]
    "'soon' is not a date"
    """
    trouble = number_trouble(text) if kind in NUMERIC_KINDS else "not_a_number"
    if trouble == "not_finite":
        return (
            f"{text!r} is not a finite number (infinite or not-a-number)",
            "write the real value or leave the cell empty; infinity and not-a-number "
            "usually come from a division by zero in the system that wrote the file",
        )
    if trouble == "too_large":
        return (
            f"{text!r} is implausibly large (numbers must be below {_MAX_TEXT} in absolute value)",
            "correct the value in the source: it may be in the wrong unit, have digits "
            "run together, or be a placeholder such as 1e308",
        )
    return f"{text!r} is not {_KIND_WORD.get(kind, 'a number')}", _FIX.get(kind, _FIX["number"])


def _usable(values: pd.Series) -> pd.Series:
    """Numbers that are finite and below MAX_MAGNITUDE; others become NA."""
    ok = np.isfinite(values) & (values.abs() < MAX_MAGNITUDE)
    return values.where(ok.fillna(False).astype(bool))


def _parse_series(s: pd.Series, kind: str) -> pd.Series:
    """Typed values; unparseable cells become NA (the caller compares masks)."""
    if kind in ("id", "text"):
        return s.astype("str").str.strip().astype("str")
    if kind == "category":
        out = s.astype("str").str.strip().str.lower()
        return out.str.replace(r"[\s\-/]+", "_", regex=True).astype("str")
    if kind in ("money", "number", "fraction"):
        num = pd.to_numeric(s.astype("str").str.strip(), errors="coerce").astype("float64")
        return _usable(num)
    if kind == "int":
        num = _usable(pd.to_numeric(s.astype("str").str.strip(), errors="coerce").astype("float64"))
        whole = num.where(np.isclose(num, np.round(num)))
        return whole.round().astype("Int64")
    if kind == "date":
        txt = s.astype("str").str.strip()
        iso = txt.str.match(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
        parsed = pd.to_datetime(txt.where(iso), format="ISO8601", errors="coerce", utc=True)
        return parsed.dt.tz_localize(None).dt.normalize().astype("datetime64[us]")
    if kind == "bool":
        low = s.astype("str").str.strip().str.lower()
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[low.isin(_TRUE)] = True
        out[low.isin(_FALSE)] = False
        return out
    if kind == "period":
        txt = s.astype("str").str.strip().str.upper()
        return txt.where(txt.str.match(_PERIOD)).astype("str")
    if kind == "dates":
        txt = s.astype("str").str.strip()
        ok = txt.str.fullmatch(r"\d{4}-\d{2}-\d{2}(\s*;\s*\d{4}-\d{2}-\d{2})*;?")

        def _valid(v: str) -> bool:
            parts = [p.strip() for p in v.split(";") if p.strip()]
            return (
                pd.to_datetime(pd.Series(parts), format="%Y-%m-%d", errors="coerce").notna().all()
            )

        good = txt[ok.fillna(False)].map(_valid)
        keep = pd.Series(False, index=s.index)
        keep[good.index] = good.astype(bool)
        return txt.where(keep).str.replace(r"\s+", "", regex=True).astype("str")
    raise ValueError(f"unknown column kind {kind!r}")


def _examples(index: pd.Index, values: pd.Series | None = None, n: int = 5) -> str:
    lines = [str(i) for i in index[:n]]
    text = "lines " + ", ".join(lines) + (" ..." if len(index) > n else "")
    if values is not None:
        shown = ", ".join(repr(str(v))[:40] for v in values.iloc[:3])
        text += f"; values {shown}"
    return text


class Parsed(NamedTuple):
    """What :func:`parse_table` returns."""

    frame: pd.DataFrame  # typed, index = source lines
    problems: list[Problem]  # missing columns, unparseable cells (errors)
    unparsed: pd.Index  # lines with at least one unparseable cell


def parse_table(df: pd.DataFrame, table: Table, *, file: str) -> Parsed:
    """Turn a frame of strings into canonical types.

    Parameters
    ----------
    df
        Cells as read from the file (strings or NA), index = source line numbers.
    table
        The canonical table it holds.
    file
        File name used in problem messages.

    Returns
    -------
    Parsed
        Canonical columns typed by their kind, unknown columns kept as text; missing
        *optional* columns are absent. Problems are errors for missing required
        columns and unparseable cells (which become missing values).
    """
    problems: list[Problem] = []
    cols = {str(c): str(c).strip().lower().replace(" ", "_") for c in df.columns}
    df = df.rename(columns=cols)
    dupes = df.columns[df.columns.duplicated()].unique().tolist()
    for name in dupes:
        problems.append(
            Problem(
                "error",
                file,
                f"the column '{name}' appears more than once",
                "keep one column of that name",
                table.name,
                name,
                1,
            )
        )
    if dupes:
        df = df.loc[:, ~df.columns.duplicated()]
    missing = [c for c in table.required if c not in df.columns]
    for name in missing:
        have = ", ".join(list(df.columns)[:12]) or "none"
        problems.append(
            Problem(
                "error",
                file,
                f"required column '{name}' is missing (columns found: {have})",
                f"add a '{name}' column, or rename the column that holds it; a CRM export "
                "can be converted with 'salesnb import' and a mapping file",
                table.name,
                name,
                1,
            )
        )
    out: dict[str, pd.Series] = {}
    unparsed = pd.Series(False, index=df.index)
    for col in df.columns:
        spec = next((c for c in table.columns if c.name == col), None)
        raw = df[col]
        kind = spec.kind if spec else "text"
        missing_cells = missing_mask(raw, kind)
        typed = _parse_series(raw.where(~missing_cells), kind)
        if kind in ("id", "text", "category"):
            typed = typed.where(~missing_cells)
        else:
            bad = ~missing_cells & typed.isna()
            unparsed |= bad
            problems += _unparsed_problems(raw[bad], kind, file=file, table=table.name, col=col)
        out[col] = typed
    typed_df = pd.DataFrame(out, index=df.index)
    return Parsed(typed_df, problems, df.index[unparsed])


def _unparsed_problems(
    bad: pd.Series, kind: str, *, file: str, table: str, col: str
) -> list[Problem]:
    """One error per reason (not a value / not finite / too large) for a column's bad cells."""
    if bad.empty:
        return []
    if kind in NUMERIC_KINDS:
        reason = bad.astype("str").map(number_trouble)
    else:
        reason = pd.Series("not_a_number", index=bad.index)
    problems = []
    for _, cells in bad.groupby(reason, sort=False):
        text, fix = cell_problem(str(cells.iloc[0]), kind)
        problems.append(
            Problem(
                "error",
                file,
                text,
                fix,
                table,
                col,
                int(cells.index[0]),
                len(cells),
                _examples(cells.index[1:], cells.iloc[1:]) if len(cells) > 1 else "",
            )
        )
    return problems


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class _Rule:
    severity: Severity
    message: str
    fix: str


_RULES: dict[str, _Rule] = {
    "not_nullable": _Rule("error", "the key has no value", "give every row its id"),
    "field_uniqueness": _Rule(
        "error", "the id appears more than once", "keep one row per id, or give each row its own id"
    ),
    "multiple_fields_uniqueness": _Rule(
        "error", "the key columns repeat an earlier row", "keep one row per key"
    ),
    "needed": _Rule(
        "finding",
        "no value; the row is left out where this column is needed",
        "fill it in the CRM and export again",
    ),
    "open_needs_amount": _Rule(
        "finding",
        "open deal without an amount; left out of pipeline value",
        "ask the owner to estimate the amount",
    ),
    "open_needs_close_date": _Rule(
        "finding",
        "open deal without an expected close date",
        "ask the owner for an expected close date",
    ),
    "allowed": _Rule(
        "finding",
        "value outside the allowed list {allowed}; treated as unknown",
        "use one of the allowed values, or map it with an import mapping file",
    ),
    "fraction": _Rule(
        "finding",
        "not between 0 and 1",
        "write fractions (0.25, not 25%); percentages can be divided by 100",
    ),
    "not_negative": _Rule(
        "finding", "negative value", "check the sign; only order lines may be negative"
    ),
    "reference": _Rule(
        "finding",
        "refers to an id not in {target}",
        "add the missing rows to {target}, or correct the id",
    ),
    "date_range": _Rule("finding", "date outside 1900-2100", "check the year"),
    "won_needs_amount": _Rule(
        "finding", "won deal without an amount", "enter the deal's amount in the CRM"
    ),
    "closed_needs_close_date": _Rule(
        "finding", "closed deal without a close date", "enter the date the deal was closed"
    ),
    "close_before_created": _Rule(
        "finding", "close date before the created date", "correct one of the two dates"
    ),
    "end_before_start": _Rule(
        "error",
        "end date before the start date",
        "correct one of the two dates (a trial ends on or after the day it starts)",
    ),
    "self_reference": _Rule(
        "error",
        "the row refers to itself (its own {key})",
        "leave the cell empty, or write the {key} of the other row it means "
        "(for referred_by: the customer whose recommendation brought this account)",
    ),
    "range": _Rule(
        "finding",
        "value {range}",
        "correct the value: it must be {ok} (check the unit: a share of 35% is 35 on a 0-100 scale)",
    ),
    "formula": _Rule(
        "finding",
        "text starts with = + - or @ (spreadsheet formula injection)",
        "harmless here: the kit writes it as text in Excel exports; clean it in the CRM",
    ),
    "markup": _Rule(
        "finding",
        "text contains HTML markup; it is shown as plain text",
        "remove the markup in the CRM",
    ),
    "long_text": _Rule(
        "finding",
        "text longer than 1,000 characters",
        "check the export: a quote may be missing so columns ran together",
    ),
}

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def check_text(s: pd.Series) -> dict[str, pd.Series]:
    """Masks of risky text cells: formula injection, HTML markup, overlong values."""
    txt = s.astype("str").where(s.notna())
    starts = txt.str.match(_FORMULA).fillna(False)
    # a leading minus before a digit is a number, not a formula
    starts &= ~txt.str.match(r"^-\s*[\d.]").fillna(False)
    # nor is a phone number: digits, spaces and ( ) . - / after an optional + ("+44 20 7946 0958")
    starts &= ~txt.str.fullmatch(r"\+?[\d\s().\-/]+").fillna(False)
    return {
        "formula": starts.astype(bool),
        "markup": txt.str.contains(_MARKUP).fillna(False).astype(bool),
        "long_text": (txt.str.len() > 1000).fillna(False).astype(bool),
    }


def _ok(mask_fn: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """A pandera element check that passes missing values."""
    return lambda s: s.isna() | mask_fn(s).fillna(True).astype(bool)


def _schema(table: Table, present: list[str], refs: Mapping[str, pd.Index]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    single_key = table.key[0] if len(table.key) == 1 else None
    for col in table.columns:
        if col.name not in present:
            continue
        checks: list[pa.Check] = []
        if col.needed and col.name not in table.key:
            checks.append(pa.Check(lambda s: s.notna(), name="needed", ignore_na=False))
        if col.kind == "category" and col.name in CATEGORIES:
            allowed = set(CATEGORIES[col.name])
            checks.append(
                pa.Check(_ok(lambda s, a=allowed: s.isin(a)), name="allowed", ignore_na=False)
            )
        if col.kind == "fraction":
            checks.append(
                pa.Check(_ok(lambda s: s.between(0, 1)), name="fraction", ignore_na=False)
            )
        if (col.kind == "money" and not table.raw) or col.name == "employees":
            checks.append(pa.Check(_ok(lambda s: s >= 0), name="not_negative", ignore_na=False))
        if col.bounds is not None and col.kind in NUMERIC_KINDS:
            lo, hi = col.bounds
            checks.append(
                pa.Check(
                    _ok(lambda s, lo=lo, hi=hi: (s >= lo) & (s <= hi if hi is not None else True)),
                    name=f"range:{lo:g}:{'' if hi is None else f'{hi:g}'}",
                    ignore_na=False,
                )
            )
        if col.kind == "date":
            checks.append(
                pa.Check(
                    _ok(lambda s: s.dt.year.between(1900, 2100)), name="date_range", ignore_na=False
                )
            )
        if col.kind == "text":
            for rule in ("formula", "markup", "long_text"):
                checks.append(
                    pa.Check(lambda s, r=rule: ~check_text(s)[r], name=rule, ignore_na=False)
                )
        target = table.references.get(col.name)
        if target and target in refs:
            ids = refs[target]
            checks.append(
                pa.Check(
                    _ok(lambda s, i=ids: s.isin(i)), name=f"reference:{target}", ignore_na=False
                )
            )
        is_key = col.name == single_key
        columns[col.name] = pa.Column(
            None, checks=checks, nullable=not is_key, unique=is_key, required=False
        )
    row_checks: list[pa.Check] = []
    if table.name == "opportunities" and "outcome" in present:
        closed = ["won", "lost", "no_decision"]
        for name, col, outcomes in (
            ("won_needs_amount", "amount", ["won"]),
            ("open_needs_amount", "amount", ["open"]),
            ("closed_needs_close_date", "close_date", closed),
            ("open_needs_close_date", "close_date", ["open"]),
        ):
            if col in present:
                row_checks.append(
                    pa.Check(
                        lambda d, c=col, o=outcomes: (
                            ~(d["outcome"].isin(o) & d[c].isna()).fillna(False)
                        ),
                        name=name,
                    )
                )
    for earlier, later, rule in table.date_order:
        if {earlier, later} <= set(present):
            # close_before_created names no column (it may be either date), as it always has
            name = rule if rule == "close_before_created" else f"{rule}:{later}"
            row_checks.append(
                pa.Check(
                    lambda d, a=earlier, b=later: ~(d[b] < d[a]).fillna(False),
                    name=name,
                )
            )
    for col, target in table.references.items():
        if target == table.name and col in present and single_key in present:
            row_checks.append(
                pa.Check(
                    lambda d, c=col, k=single_key: ~(d[c] == d[k]).fillna(False).astype(bool),
                    name=f"self_reference:{col}",
                )
            )
    composite = list(table.key) if len(table.key) > 1 and set(table.key) <= set(present) else None
    return pa.DataFrameSchema(columns, checks=row_checks, unique=composite, strict=False)


def check_table(
    df: pd.DataFrame, table: Table, *, file: str, refs: Mapping[str, pd.Index] | None = None
) -> list[Problem]:
    """Run the table's rules on a parsed frame (index = source line numbers).

    Parameters
    ----------
    df
        Output of :func:`parse_table`.
    table
        The canonical table.
    file
        File name for messages.
    refs
        Ids of other tables (``{"accounts": Index([...])}``) for foreign-key checks.

    Returns
    -------
    list of Problem
        Grouped per rule and column, with a count and example lines.
    """
    present = [c for c in df.columns if c in table.names]
    refs = dict(refs or {})
    key = table.key[0]
    if table.name in table.references.values() and key in df.columns:
        # a reference into the table itself (accounts.referred_by) checks against its own ids
        refs[table.name] = pd.Index(df[key].dropna().unique())
    schema = _schema(table, present, refs)
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _to_problems(exc.failure_cases, df, table, file)
    return []


def _to_problems(cases: pd.DataFrame, df: pd.DataFrame, table: Table, file: str) -> list[Problem]:
    cases = cases.dropna(subset=["index"]).copy()
    if cases.empty:
        return []
    cases["rule"] = cases["check"].astype("str")
    row_rule = cases["schema_context"].eq("DataFrameSchema") & ~cases["rule"].str.contains("unique")
    cases.loc[row_rule, "column"] = None
    if len(table.key) > 1:
        composite = cases["rule"].eq("multiple_fields_uniqueness")
        cases.loc[composite, "column"] = "+".join(table.key)
    cases = cases.drop_duplicates(subset=["rule", "column", "index"])
    problems: list[Problem] = []
    for (rule_id, column), grp in cases.groupby(["rule", "column"], dropna=False, sort=False):
        name, _, target = str(rule_id).partition(":")
        rule = _RULES.get(name)
        if rule is None:  # a pandera-internal check we did not declare: report as is
            rule = _Rule("error", str(rule_id), "")
        col = None if pd.isna(column) else str(column)
        if name in ("self_reference", "end_before_start"):  # row rules that name their column
            col, target = target, ""
        allowed = CATEGORIES.get(col or "", ())
        lines = pd.Index(sorted(int(i) for i in grp["index"].unique()))
        values = grp.drop_duplicates("index")["failure_case"]
        show_values = name in (
            "allowed",
            "fraction",
            "reference",
            "not_negative",
            "date_range",
            "range",
            "self_reference",
            "field_uniqueness",
            "formula",
            "markup",
        )
        lo, _, hi = (target or "").partition(":")
        fmt = {
            "allowed": ", ".join(allowed),
            "target": target or "",
            "table": table.name,
            "key": table.key[0],
            "range": f"outside {lo} to {hi}" if hi else f"below {lo}",
            "ok": f"from {lo} to {hi}" if hi else f"at least {lo}",
        }
        problems.append(
            Problem(
                rule.severity,
                file,
                rule.message.format(**fmt),
                rule.fix.format(**fmt),
                table.name,
                col,
                int(lines[0]),
                len(lines),
                _examples(lines[1:], values.iloc[1:] if show_values else None)
                if len(lines) > 1
                else (f"value {str(values.iloc[0])[:60]!r}" if show_values else ""),
            )
        )
    return problems


def currency_problem(
    counts: Mapping[str, int],
    *,
    currency: str | None,
    file: str,
    table: str,
    line: int | None = None,
) -> Problem | None:
    """The error for amounts in several currencies, or in another than the data set's.

    ``counts`` maps currency codes (upper case) to their number of rows.
    """
    if len(counts) > 1:
        text = ", ".join(
            f"{k} ({v:,} rows)" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        return Problem(
            "error",
            file,
            f"amounts are in several currencies: {text}",
            "convert every amount to one currency before analysis (salesnb import "
            "converts Salesforce exports with the export's CurrencyType rates)",
            table,
            "currency",
            line,
        )
    if counts and currency and next(iter(counts)) != currency.upper():
        return Problem(
            "error",
            file,
            f"amounts are in {next(iter(counts))} but the data set's currency is {currency}",
            "set 'currency' in dataset.yml to match, or convert the amounts",
            table,
            "currency",
            line,
        )
    return None


def check_currency(
    df: pd.DataFrame, table: Table, *, file: str, currency: str | None
) -> list[Problem]:
    """Errors for a table whose ``currency`` column mixes currencies or differs from the data set's."""
    if "currency" not in df.columns:
        return []
    codes = df["currency"].dropna().str.upper()
    counts = codes.value_counts()
    line = None
    if len(counts) > 1:
        line = int(codes[codes != counts.index[0]].index[0])
    elif len(counts):
        line = int(codes.index[0])
    found = currency_problem(
        {str(k): int(v) for k, v in counts.items()},
        currency=currency,
        file=file,
        table=table.name,
        line=line,
    )
    return [found] if found else []
