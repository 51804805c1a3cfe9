"""The canonical data set: tables, columns, types, rules, and the kit's error types.

This is the single place that knows the canonical names. Everything else asks it:
readers parse with :func:`parse_table`, checks run with :func:`check_table`, and
the CLI prints the :class:`Problem` rows they return.

Validation is two-stage:

1. **parse** (strings -> typed columns): a cell that is not a date, a number, a yes/no
   or a quarter is an *error* with its line, column and value;
2. **rules** (on typed data), one catalogue for every table (:mod:`salesnb.dataset.rules`,
   compiled to SQL and run by DuckDB): keys present and unique (errors), values needed
   by the row's meaning, allowed categories, ranges, orphan foreign keys and risky text
   (findings that do not stop the analysis).

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
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal, NamedTuple, get_args

import numpy as np
import pandas as pd

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

    def __post_init__(self) -> None:
        # a Parquet file has rows, not lines: its examples say so, like its location does
        if self.file.lower().endswith(".parquet") and self.examples.startswith("lines "):
            object.__setattr__(self, "examples", "rows " + self.examples[len("lines ") :])

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

    def kind_of(self, name: str) -> str:
        """The kind of a column; a column the table does not know is text."""
        return next((c.kind for c in self.columns if c.name == name), "text")

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
    from .dataset.parse import typed_columns  # DuckDB: every column in one statement
    from .files import as_text

    kinds = {str(col): table.kind_of(str(col)) for col in df.columns}
    by_sql = {col: kind for col, kind in kinds.items() if kind != "dates"}
    typed_sql, bad_sql = typed_columns(df, by_sql)
    out: dict[str, pd.Series] = {}
    unparsed = pd.Series(False, index=df.index)
    for col, kind in kinds.items():
        raw = df[col]
        if kind == "dates":  # lists of dates (the war-room roster): pandas
            missing_cells = missing_mask(raw, kind)
            typed = _parse_series(raw.where(~missing_cells), kind)
            bad = ~missing_cells & typed.isna()
        else:
            typed, bad = typed_sql[col], bad_sql[col]
        if bad.any():
            unparsed |= bad
            problems += _unparsed_problems(
                as_text(raw[bad]), kind, file=file, table=table.name, col=col
            )
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
def check_text(s: pd.Series) -> dict[str, pd.Series]:
    """Masks of risky text cells: formula injection, HTML markup, overlong values.

    The catalogue's text rules (:mod:`salesnb.dataset.rules`), run by DuckDB.
    """
    from .dataset.rules import text_masks

    return text_masks(s)


def check_table(
    df: pd.DataFrame, table: Table, *, file: str, refs: Mapping[str, pd.Index] | None = None
) -> list[Problem]:
    """Run the table's rules on a parsed frame (index = source line numbers).

    The rule catalogue lives in :mod:`salesnb.dataset.rules` and runs in DuckDB, the
    same rules as for raw-line tables; this is its entry point for a pandas frame.

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
    from .dataset.rules import check_frame

    return check_frame(df, table, file=file, refs=refs)


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
