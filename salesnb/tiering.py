"""Account tiering: a transparent scorecard, tiers T1-T4 and Global, time allocation,
name development and sales-marketing alignment.

Each factor is a "box", checked (True), failed (False) or unknown (NA) when the data
is missing: unknown is never silently a pass or a fail. Tiers follow the share of
*known* boxes checked; Fortune-500-class accounts (``is_global``) are Global whatever
their boxes (they hit every attribute but are the hardest to crack). Thresholds live in
:class:`Rules`, which a YAML rules file can override (:func:`load_rules`).

:func:`analyze` wires the methodology over one data set and returns a
:class:`TieringAnalysis`: tables per section, a sentence per section, the sections the
data cannot support with the reason, metrics, findings, assumptions and coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from . import analysis, config
from .dataset.aggregates import (
    activity_by_account,
    activity_coverage,
    prior_spend_coverage,
    spend_to_date,
)
from .files import read_cells
from .periods import Window, last_quarters, quarter_window
from .schema import DataError, UsageError, missing_mask
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, integer_axis, percent_axis

if TYPE_CHECKING:
    from .dataset import DataSet

__all__ = [
    "ALIGNMENT_ITEMS",
    "BOXES",
    "BOX_COLUMNS",
    "CORE",
    "TIERS",
    "TIME_SHARES",
    "Params",
    "Rules",
    "TieringAnalysis",
    "alignment",
    "allocation",
    "analyze",
    "box_data",
    "churn",
    "coverage_matrix",
    "default_scorecard",
    "disqualification_list",
    "exercises",
    "load_checklist",
    "load_history",
    "load_rules",
    "make_rules",
    "name_development",
    "plot_coverage",
    "plot_sensitivity",
    "plot_tier_mix",
    "plot_time",
    "priority_list",
    "rules_table",
    "scorecard",
    "sensitivity",
    "spend_before",
    "tier_history",
    "time_by_tier",
    "tier_moves",
    "time_plan",
    "weights_view",
    "with_prior_spend",
]

CORE: tuple[str, ...] = ("accounts",)
BOXES: tuple[str, ...] = ("website", "size", "tenure", "pricing_fit", "prior_spend", "priorities")
TIERS: tuple[str, ...] = ("T1", "T2", "T3", "T4", "Global", "unscored")
# The source's ranges of the share of activity each tier deserves. The defaults of the
# notebook's time_share_* parameters are their midpoints; T4 gets none (marketing nurtures it).
TIME_SHARES: dict[str, tuple[float, float]] = {
    "T1": (0.60, 0.70),
    "T2": (0.10, 0.20),
    "T3": (0.05, 0.10),
    "T4": (0.0, 0.0),
    "Global": (0.20, 0.25),
}
# the accounts column each box is read from
BOX_COLUMNS: dict[str, str] = {
    "website": "website_score",
    "size": "employees",
    "tenure": "year_founded",
    "pricing_fit": "avg_customer_price",
    "prior_spend": "prior_spend",
    "priorities": "priorities_fit",
}
_COLUMN_HINT = {
    "website_score": "website_score (0-100)",
    "employees": "employees",
    "year_founded": "year_founded",
    "avg_customer_price": "avg_customer_price (their average sale)",
    "prior_spend": "prior_spend",
    "priorities_fit": "priorities_fit (yes/no)",
}
_BOX_TEXT = {
    "website": "website clean and modern",
    "size": "mid-size",
    "tenure": "established",
    "pricing_fit": "their prices fit our deal size",
    "prior_spend": "has bought from us",
    "priorities": "stated priorities fit",
}
_TIER_ORDER = ("T1", "Global", "T2", "T3", "T4", "unscored")  # priority order
_NO_DURATION_MINUTES = (
    30  # what salesnb.sources.activity_by_account counts for an activity without duration
)
_MIN_CONTACTS, _TARGET_CONTACTS = 5, 10  # named contacts per account (the source: 5 to 10)
_KEY_TARGETS_SHOWN = 25  # key targets in the department heat map


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rules:
    """Scorecard thresholds and tier cut-offs (defaults documented in the README)."""

    website_min: float = 60.0  # website_score (0-100) at least this: clean and modern
    employees_min: int = 20  # the sweet spot: not a one- or two-person shop ...
    employees_max: int = 5000  # ... and not a slow giant
    min_age_years: int = 5  # founded at least this long ago: firmer budgets, buys again
    price_ratio_min: float = 0.01  # their average sale >= 1% of our deal size
    deal_size: float = 0.0  # our typical deal; 0 = median won opportunity amount
    prior_spend_min: float = 0.01  # any spend with us before
    t1: float = 1.0  # share of known boxes checked for Tier 1 (all)
    t2: float = 0.66  # ... for Tier 2: two thirds (4-5 of 6)
    t3: float = 0.5  # ... for Tier 3 (3 of 6); below is Tier 4
    min_known: int = 4  # fewer known boxes: "unscored"
    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(BOXES, 1.0))

    def with_deal_size(self, opportunities: pd.DataFrame | None) -> Rules:
        """These rules with ``deal_size`` taken from the median won deal when it is 0."""
        if self.deal_size > 0 or opportunities is None or "outcome" not in opportunities:
            return self
        won = opportunities.loc[opportunities["outcome"] == "won", "amount"].dropna()
        return replace(self, deal_size=float(won.median())) if len(won) else self


def _check_rules(rules: Rules, where: str) -> Rules:
    if not rules.t1 >= rules.t2 >= rules.t3 >= 0 or rules.employees_min > rules.employees_max:
        raise DataError(f"{where}: need t1 >= t2 >= t3 >= 0 and employees_min <= employees_max")
    return rules


def _rules_spec() -> config.Record:
    """The rules file: one ``name: value`` line per :class:`Rules` field, typed and in range."""
    ranges: dict[str, tuple[float | None, float | None]] = {
        "website_min": (0, 100),
        "t1": (0, 1),
        "t2": (0, 1),
        "t3": (0, 1),
    }
    specs: dict[str, config.Spec] = {}
    for f in fields(Rules):
        if f.name == "weights":
            specs[f.name] = config.Record(
                dict.fromkeys(BOXES, config.Float(lo=0)),
                what=f"a mapping of boxes ({', '.join(BOXES)}) to numbers",
                noun=("box(es)", "boxes"),
            )
            continue
        lo, hi = ranges.get(f.name, (0, None))
        specs[f.name] = (
            config.Float(lo, hi) if isinstance(f.default, float) else config.Int(lo, hi)  # type: ignore[arg-type]
        )
    return config.Record(specs, what="'name: value' lines", noun=("rule(s)", "rules"))


_RULES_FILE = _rules_spec()


def _rules_file_values(path: str | Path) -> dict[str, Any]:
    """The rules a YAML file sets, typed; unknown names and bad values name the key and line."""
    values = config.load(path, _RULES_FILE, "rules file")
    if "weights" in values:
        values["weights"] = {**dict.fromkeys(BOXES, 1.0), **values["weights"]}
    return values


def load_rules(path: str | Path) -> Rules:
    """Rules from a YAML file of ``name: value`` lines; unknown names and bad values name the key."""
    return _check_rules(Rules(**_rules_file_values(path)), Path(path).name)


def make_rules(
    rules_file: str | Path | None = "",
    *,
    opportunities: pd.DataFrame | None = None,
    **values: Any,
) -> Rules:
    """Rules from notebook parameters, overridden by a rules file when one is given; deal size from data.

    ``rules_file`` is a path as given (resolve it first: a methodology takes resolved paths).
    """
    rules = Rules(**values)
    if rules_file:
        rules = replace(rules, **_rules_file_values(rules_file))
        _check_rules(rules, Path(rules_file).name)
    return rules.with_deal_size(opportunities)


def rules_table(rules: Rules) -> pd.DataFrame:
    """The rules as a two-column table for the report."""
    return pd.DataFrame(
        [{"rule": k, "value": v} for k, v in asdict(rules).items() if k != "weights"]
    )


def default_scorecard(
    accounts: pd.DataFrame | None,
    opportunities: pd.DataFrame | None,
    *,
    year: int,
    prior_spend: pd.Series | None = None,
) -> pd.DataFrame | None:
    """Tiers by the default rules (deal size from the won deals), for methodologies that rank by tier.

    The war room and ABM use this one definition; None without an accounts table.
    ``prior_spend`` (per account_id, e.g. :func:`spend_before`) fills the prior-spend box
    when the accounts table does not record it, as :func:`analyze` does.
    """
    if accounts is None:
        return None
    recorded = "prior_spend" in accounts and bool(accounts["prior_spend"].notna().any())
    scored = accounts if recorded else with_prior_spend(accounts, prior_spend)
    return scorecard(scored, Rules().with_deal_size(opportunities), as_of_year=year)


def spend_before(data: DataSet, start: pd.Timestamp) -> pd.Series | None:
    """Revenue per account before ``start`` (orders, else won deals); None when none is recorded.

    What :func:`analyze` uses for the prior-spend box when accounts do not record prior_spend.
    """
    _, table = _prior_spend_source(data, pd.DataFrame())  # from revenue, whatever accounts record
    if table is None:
        return None
    return _spend_before(data, {"start": start})["start"]


# --------------------------------------------------------------------------- scorecard
def _box(mask: pd.Series, known: pd.Series) -> pd.Series:
    return pd.Series(pd.array(mask.where(known), dtype="boolean"), index=mask.index)


def _boxes(accounts: pd.DataFrame, rules: Rules, as_of_year: int) -> pd.DataFrame:
    def col(name: str) -> pd.Series:
        return (
            accounts[name]
            if name in accounts
            else pd.Series(pd.NA, index=accounts.index, dtype="Float64")
        )

    num = {
        c: pd.to_numeric(col(c), errors="coerce").astype("Float64")
        for c in ("website_score", "employees", "year_founded", "avg_customer_price", "prior_spend")
    }
    prio = col("priorities_fit").astype("boolean")
    out = pd.DataFrame(index=accounts.index)
    out["website"] = _box(num["website_score"] >= rules.website_min, num["website_score"].notna())
    out["size"] = _box(
        num["employees"].between(rules.employees_min, rules.employees_max), num["employees"].notna()
    )
    out["tenure"] = _box(
        as_of_year - num["year_founded"] >= rules.min_age_years, num["year_founded"].notna()
    )
    price_known = num["avg_customer_price"].notna() & (rules.deal_size > 0)
    out["pricing_fit"] = _box(
        num["avg_customer_price"] >= rules.price_ratio_min * rules.deal_size, price_known
    )
    out["prior_spend"] = _box(
        num["prior_spend"] >= rules.prior_spend_min, num["prior_spend"].notna()
    )
    out["priorities"] = _box(prio.fillna(False).astype(bool), prio.notna())
    return out


def scorecard(
    accounts: pd.DataFrame, rules: Rules | None = None, *, as_of_year: int
) -> pd.DataFrame:
    """One row per account: each box, boxes known / checked, weighted score, tier and the reason.

    Parameters
    ----------
    accounts
        The accounts table (account_id required; factor columns optional).
    rules
        Thresholds; ``deal_size`` must be set (see :meth:`Rules.with_deal_size`) for
        the pricing box to be known.
    as_of_year
        The year tenure is measured at.

    Returns
    -------
    DataFrame
        account_id, account_name, box_<box> (True / False / NA), boxes_known,
        boxes_checked, share_checked, score (weighted share of known boxes), tier, reason.
    """
    rules = rules or Rules()
    if "account_id" not in accounts:
        raise DataError("scorecard needs an account_id column")
    boxes = _boxes(accounts, rules, as_of_year)
    known = boxes.notna().sum(axis=1)
    checked = boxes.fillna(False).astype(int).sum(axis=1)
    share = (checked / known.where(known > 0)).fillna(0.0)
    w = pd.Series(rules.weights).reindex(list(BOXES)).fillna(1.0)
    weighted = boxes.astype("Float64").fillna(0).mul(w, axis=1).sum(axis=1)
    known_weight = boxes.notna().astype(float).mul(w, axis=1).sum(axis=1)
    is_global = (
        accounts["is_global"].astype("boolean").fillna(False).astype(bool)
        if "is_global" in accounts
        else pd.Series(False, index=accounts.index)
    )
    tier = _tiers(is_global, known, share, rules)
    out = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy(),
            "account_name": accounts["account_name"].to_numpy()
            if "account_name" in accounts
            else pd.NA,
        },
        index=accounts.index,
    )
    for b in BOXES:
        out[f"box_{b}"] = boxes[b]
    out["boxes_known"] = known.astype(int)
    out["boxes_checked"] = checked.astype(int)
    out["share_checked"] = share.astype(float).round(4)
    out["score"] = (
        (weighted / known_weight.where(known_weight > 0)).astype(float).fillna(0.0).round(4)
    )
    out["tier"] = pd.Series(tier, index=accounts.index, dtype="str")
    states = (
        boxes.astype("Float64").fillna(-1).to_numpy(dtype=int)
    )  # 1 checked, 0 failed, -1 unknown
    out["reason"] = pd.Series(
        [
            _reason(str(t), tuple(s), rules.min_known)
            for t, s in zip(tier, states.tolist(), strict=True)
        ],
        index=accounts.index,
        dtype="str",
    )
    return out.reset_index(drop=True)


def _tiers(is_global: pd.Series, known: pd.Series, share: pd.Series, rules: Rules) -> np.ndarray:
    """Each account's tier from its global flag, boxes known and share of known boxes checked."""
    return np.select(
        [
            is_global.to_numpy(dtype=bool),
            (known < rules.min_known).to_numpy(dtype=bool),
            (share >= rules.t1 - 1e-9).to_numpy(dtype=bool),
            (share >= rules.t2 - 1e-9).to_numpy(dtype=bool),
            (share >= rules.t3 - 1e-9).to_numpy(dtype=bool),
        ],
        ["Global", "unscored", "T1", "T2", "T3"],
        default="T4",
    ).astype(object)


@lru_cache(maxsize=4096)
def _reason(tier: str, states: tuple[int, ...], min_known: int) -> str:
    """Why an account has its tier; ``states`` per box: 1 checked, 0 failed, -1 unknown."""
    failed = [_BOX_TEXT[b] for b, s in zip(BOXES, states, strict=True) if s == 0]
    unknown = [b for b, s in zip(BOXES, states, strict=True) if s == -1]
    known = len(BOXES) - len(unknown)
    base = f"{sum(s == 1 for s in states)} of {known} known boxes checked"
    if tier == "Global":
        return f"Global: Fortune-500 class, worked steadily whatever the boxes ({base})"
    if tier == "unscored":
        return (
            f"unscored: only {known} of {len(BOXES)} boxes known, {min_known} needed "
            f"(unknown: {', '.join(unknown)})"
        )
    text = f"{tier}: {base}"
    if failed:
        text += "; fails: " + ", ".join(failed)
    if unknown:
        text += "; unknown: " + ", ".join(unknown)
    return text


def with_prior_spend(accounts: pd.DataFrame, spend: pd.Series | None) -> pd.DataFrame:
    """The accounts with ``prior_spend`` set from ``spend`` (per account_id; absent = 0).

    ``spend`` None leaves the accounts as they are (prior spend as recorded, or unknown).
    """
    if spend is None:
        return accounts
    mapped = accounts["account_id"].map(spend).astype("Float64").fillna(0.0)
    return accounts.assign(prior_spend=mapped)


def box_data(cards: pd.DataFrame, sources: Mapping[str, str]) -> pd.DataFrame:
    """Per box: where its data comes from, accounts known and checked.

    ``sources`` maps each box to the text naming its data ("accounts.website_score", ...).
    """
    n = len(cards)
    rows = []
    for b in BOXES:
        col = cards[f"box_{b}"]
        known = int(col.notna().sum())
        checked = int(col.fillna(False).astype(bool).sum())
        rows.append(
            {
                "box": b,
                "checked_when": _BOX_TEXT[b],
                "data_from": sources.get(b, ""),
                "accounts_known": known,
                "known_share": known / n if n else np.nan,
                "accounts_checked": checked,
                "checked_share": checked / known if known else np.nan,
            }
        )
    return pd.DataFrame(rows)


_THRESHOLD_WORDS: dict[str, tuple[str, str]] = {  # rule -> (words, unit)
    "website_min": ("Website score at least", ""),
    "employees_min": ("Mid-size from", " employees"),
    "employees_max": ("Mid-size up to", " employees"),
    "min_age_years": ("Established after", " years"),
    "price_ratio_min": ("Their average sale at least", " of our deal"),
    "t2": ("Tier 2 from", " of known boxes"),
    "t3": ("Tier 3 from", " of known boxes"),
}


def _threshold_text(name: str, value: float, new: float) -> str:
    """A threshold move for people: "Tier 2 from 66% → 73% of known boxes"."""
    words, unit = _THRESHOLD_WORDS.get(name, (name, ""))

    def shown(v: float) -> str:
        if name in ("t2", "t3", "price_ratio_min"):
            return f"{v:.1%}".replace(".0%", "%")
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"

    return f"{words} {shown(value)} → {shown(new)}{unit}"


def sensitivity(
    accounts: pd.DataFrame, rules: Rules, *, as_of_year: int, step: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which accounts change tier when each threshold moves by ``step`` (10%) up or down.

    Returns (summary per change: ``change`` as a rule, ``threshold`` in words, the
    accounts that change tier and their moves; detail per account that moves).
    """
    base = scorecard(accounts, rules, as_of_year=as_of_year).set_index("account_id")["tier"]
    numeric = [
        "website_min",
        "employees_min",
        "employees_max",
        "min_age_years",
        "price_ratio_min",
        "t2",
        "t3",
    ]
    rows, detail = [], []
    for name in numeric:
        value = getattr(rules, name)
        for sign in (-1, 1):
            new = value * (1 + sign * step)
            new = round(new) if isinstance(value, int) else new
            if new == value:
                new = value + sign
            try:
                changed_rules = _check_rules(replace(rules, **{name: new}), "sensitivity")
            except DataError:
                continue  # a move that breaks t1 >= t2 >= t3 or min <= max is not a rule set
            changed = scorecard(accounts, changed_rules, as_of_year=as_of_year)
            tiers = changed.set_index("account_id")["tier"]
            moved = tiers[tiers != base]
            moves = (base[moved.index] + "→" + moved).value_counts()
            label = f"{name} {value:g} → {new:g}"
            rows.append(
                {
                    "change": label,
                    "threshold": _threshold_text(name, value, new),
                    "parameter": name,
                    "accounts_changed": len(moved),
                    "moves": ", ".join(f"{k}: {v}" for k, v in moves.items()),
                }
            )
            detail += [
                {"change": label, "account_id": a, "from": base[a], "to": moved[a]}
                for a in moved.index
            ]
    summary = pd.DataFrame(
        rows, columns=["change", "threshold", "parameter", "accounts_changed", "moves"]
    )
    return summary, pd.DataFrame(detail, columns=["change", "account_id", "from", "to"])


# --------------------------------------------------------------------------- time
def _point_shares(shares: Mapping[str, Any] | None) -> dict[str, float]:
    """Planned shares per tier: given points, or the midpoints of (low, high) ranges."""
    given = TIME_SHARES if shares is None else shares
    out = {}
    for tier, value in given.items():
        out[tier] = (
            (float(value[0]) + float(value[1])) / 2
            if isinstance(value, tuple | list)
            else float(value)
        )
    return out


def allocation(
    cards: pd.DataFrame,
    *,
    hours_per_week: float,
    shares: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Planned selling hours per week per account from the tier shares, summing to ``hours_per_week``.

    ``shares`` maps tiers to planned shares (numbers, or (low, high) ranges whose
    midpoint is used; default: the midpoints of :data:`TIME_SHARES`). They are
    rescaled to 100% over the tiers that have accounts and split evenly inside each
    tier; T4 gets 0 (nurtured by marketing), unscored accounts get none until their
    data is known.
    """
    mid = _point_shares(shares)
    present = cards["tier"].value_counts()
    weights = {t: mid.get(t, 0.0) for t in present.index if mid.get(t, 0.0) > 0}
    total = sum(weights.values())
    out = cards[["account_id", "tier"]].copy()
    per_tier = {t: (hours_per_week * w / total if total else 0.0) for t, w in weights.items()}
    out["planned_share"] = (
        out["tier"].map(lambda t: (weights.get(t, 0.0) / total) if total else 0.0).astype(float)
    )
    out["hours_per_week"] = (
        out["tier"].map(lambda t: per_tier.get(t, 0.0) / present[t]).astype(float)
    )
    return out


def time_plan(
    cards: pd.DataFrame, *, hours_per_week: float, shares: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The time plan per tier: accounts, the share set, the share after rescaling, hours.

    Returns tier, accounts, share_set (as given), planned_share (rescaled over the tiers
    that have accounts), hours_per_week (the tier's total) and hours_per_account.
    """
    plan = allocation(cards, hours_per_week=hours_per_week, shares=shares)
    mid = _point_shares(shares)
    g = plan.groupby("tier").agg(
        accounts=("account_id", "size"),
        planned_share=("planned_share", "first"),
        hours_per_week=("hours_per_week", "sum"),
        hours_per_account=("hours_per_week", "first"),
    )
    g.insert(1, "share_set", [mid.get(t, 0.0) if t != "unscored" else np.nan for t in g.index])
    order = [t for t in TIERS if t in g.index]
    return g.reindex(order).reset_index()


def time_by_tier(
    plan: pd.DataFrame, activity: pd.DataFrame, *, weeks: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planned vs logged time, per tier and per account (over- and under-served).

    ``plan`` is :func:`allocation`'s table; ``activity`` has account_id and minutes for
    the window (accounts not in ``plan`` are left out); ``weeks`` is its length.
    Shares of logged time are over all logged time on the plan's accounts (NaN when none).
    Returns (per tier, per account with ``served``: over / under / as planned / unplanned).
    """
    acts = (
        activity.groupby("account_id")["minutes"].sum() if len(activity) else pd.Series(dtype=float)
    )
    per = plan.copy()
    per["actual_hours_per_week"] = (
        per["account_id"].map(acts).astype(float).fillna(0.0) / 60 / weeks
    )
    ratio = per["actual_hours_per_week"] / per["hours_per_week"].where(per["hours_per_week"] > 0)
    per["served"] = np.select(
        [
            (per["hours_per_week"].eq(0) & per["actual_hours_per_week"].gt(0)).to_numpy(),
            (ratio > 1.5).to_numpy(),
            (ratio < 0.5).to_numpy(),
        ],
        ["unplanned time", "over-served", "under-served"],
        default="as planned",
    )
    per.loc[per["hours_per_week"].eq(0) & per["actual_hours_per_week"].eq(0), "served"] = (
        "no time planned or logged"
    )
    tiers = per.groupby("tier").agg(
        accounts=("account_id", "size"),
        planned_hours=("hours_per_week", "sum"),
        actual_hours=("actual_hours_per_week", "sum"),
    )
    planned_total = tiers["planned_hours"].sum()
    tiers["planned_share"] = tiers["planned_hours"] / planned_total if planned_total else np.nan
    total_actual = tiers["actual_hours"].sum()
    tiers["actual_share"] = tiers["actual_hours"] / total_actual if total_actual else np.nan
    order = [t for t in TIERS if t in tiers.index]
    return tiers.reindex(order).reset_index(), per


# --------------------------------------------------------------------------- churn
def tier_history(
    accounts: pd.DataFrame,
    rules: Rules,
    snapshots: Sequence[tuple[str, int, pd.Series | None]],
) -> pd.DataFrame:
    """Tiers per quarter as the scorecard would have set them: account_id, tier, quarter.

    ``snapshots`` lists (quarter label, year tenure is measured at, prior spend per
    account before that quarter or None to keep the accounts' own prior_spend). The other
    boxes are today's values: an accounts table is a snapshot, so only tenure and spend
    move in a recomputed history.
    """
    rows = [
        scorecard(with_prior_spend(accounts, spend), rules, as_of_year=year)[
            ["account_id", "tier"]
        ].assign(quarter=label)
        for label, year, spend in snapshots
    ]
    if not rows:
        return pd.DataFrame(columns=["account_id", "tier", "quarter"])
    return pd.concat(rows, ignore_index=True)


def churn(
    history: pd.DataFrame, *, t3_turnover_max: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tier churn over quarters: T1/T2 accounts that changed tier; T3 turnover per quarter.

    ``history`` has account_id, quarter (sortable labels) and tier. "unscored" (or no
    row) in a quarter is no tier, not a change: an account whose data became known did
    not move. Returns (flagged accounts that were T1 or T2 in some quarter and hold more
    than one tier over the quarters, one column per quarter; T3 turnover per quarter:
    of the previous quarter's Tier 3 with a tier in this one, the share that left Tier 3,
    ``too_high`` above ``t3_turnover_max``, ``turnover_share`` NaN without such accounts).
    """
    cols = ["quarter", "t3_before", "left_t3", "turnover_share", "too_high"]
    if history.empty:
        return pd.DataFrame(columns=["account_id"]), pd.DataFrame(columns=cols)
    wide = history.pivot_table(
        index="account_id", columns="quarter", values="tier", aggfunc="first"
    ).sort_index(axis=1)
    wide.columns = [str(c) for c in wide.columns]
    quarters = list(wide.columns)
    tiered = wide.where(wide.isin(["T1", "T2", "T3", "T4", "Global"]))
    was_top = tiered.isin(["T1", "T2"]).any(axis=1)
    first = tiered.bfill(axis=1).iloc[:, 0]  # each account's first known tier
    changed = (tiered.notna() & tiered.ne(first, axis=0)).any(axis=1)
    flagged = wide[was_top & changed].reset_index()
    turnover = []
    for prev, cur in zip(quarters, quarters[1:], strict=False):
        before = tiered[prev].eq("T3") & tiered[cur].notna()
        left = before & tiered[cur].ne("T3")
        n_before, n_left = int(before.sum()), int(left.sum())
        share = n_left / n_before if n_before else np.nan
        turnover.append(
            {
                "quarter": cur,
                "t3_before": n_before,
                "left_t3": n_left,
                "turnover_share": share,
                "too_high": bool(share > t3_turnover_max) if n_before else False,
            }
        )
    return flagged, pd.DataFrame(turnover, columns=cols)


def load_history(path: str | Path) -> pd.DataFrame:
    """Tier history from a file (CSV / Excel: account_id, quarter, tier), e.g. last year's tier lists."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"no such tier history file: {file}")
    cells, _ = read_cells(file)
    cells.columns = [str(c).strip().lower() for c in cells.columns]
    missing = [c for c in ("account_id", "quarter", "tier") if c not in cells]
    if missing:
        raise DataError(f"{file.name}: the tier history needs column(s) {', '.join(missing)}")
    out = cells[["account_id", "quarter", "tier"]].apply(lambda s: s.astype("str").str.strip())
    bad_tier = ~out["tier"].isin(TIERS)
    if bad_tier.any():
        line = bad_tier.idxmax()
        raise DataError(
            f"{file.name} line {line}, column 'tier': {out['tier'][line]!r} is not one of {', '.join(TIERS)}"
        )
    for line, q in out["quarter"].items():
        try:
            quarter_window(q)
        except Exception:
            raise DataError(
                f"{file.name} line {line}, column 'quarter': {q!r} is not a quarter like 2026Q3"
            ) from None
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- disqualify, names
def disqualification_list(cards: pd.DataFrame) -> pd.DataFrame:
    """Tier 4 accounts (outside the sweet spot) with the boxes they fail: say no early."""
    t4 = cards[cards["tier"] == "T4"].reset_index(drop=True)
    fails = [
        ", ".join(
            _BOX_TEXT[b] for b in BOXES if pd.notna(row[f"box_{b}"]) and not bool(row[f"box_{b}"])
        )
        for _, row in t4.iterrows()
    ]
    return t4[["account_id", "account_name", "boxes_known", "boxes_checked"]].assign(
        fails=pd.Series(fails, index=t4.index, dtype="str")
    )


def name_development(
    accounts: pd.DataFrame,
    contacts: pd.DataFrame | None,
    *,
    minimum: int = _MIN_CONTACTS,
    target: int = _TARGET_CONTACTS,
) -> pd.DataFrame:
    """Contacts per account against the 5-10 target: departments, single threads, decision makers, social.

    Without a department, role or linkedin_connected column those figures are unknown
    (NA), not zero. ``contacts`` None counts no contacts anywhere.
    """
    base = accounts[["account_id"]].copy()
    c = (
        contacts.dropna(subset=["account_id"])
        if contacts is not None
        else pd.DataFrame({"account_id": pd.Series(dtype="str")})
    )
    flags = pd.DataFrame({"account_id": c["account_id"]})
    if "role" in c:
        flags["dm"] = c["role"].eq("decision_maker").fillna(False).astype(bool)
    if "linkedin_connected" in c:
        flags["li"] = c["linkedin_connected"].astype("boolean").astype("Float64")
    g = flags.groupby("account_id")
    per = pd.DataFrame({"contacts": g.size()})
    if "department" in c:
        per["departments"] = c.groupby("account_id")["department"].nunique()
    if "role" in c:
        per["has_decision_maker"] = g["dm"].any()
    if "linkedin_connected" in c:
        per["linkedin_share"] = g["li"].mean()
    out = base.merge(per, left_on="account_id", right_index=True, how="left")
    out["contacts"] = out["contacts"].fillna(0).astype(int)
    out["departments"] = (
        out["departments"].fillna(0).astype(int)
        if "department" in c
        else pd.array([pd.NA] * len(out), dtype="Int64")
    )
    out["single_threaded"] = out["contacts"] == 1
    out["has_decision_maker"] = (
        out["has_decision_maker"].astype("boolean").fillna(False)
        if "role" in c
        else pd.array([pd.NA] * len(out), dtype="boolean")
    )
    out["linkedin_share"] = (
        out["linkedin_share"].astype(float) if "linkedin_connected" in c else np.nan
    )
    out["below_minimum"] = out["contacts"] < minimum
    out["gap_to_target"] = (target - out["contacts"]).clip(lower=0)
    return out


def coverage_matrix(contacts: pd.DataFrame | None, account_ids: list[str]) -> pd.DataFrame:
    """Contacts per account (rows) and department (columns) for the given accounts."""
    if contacts is None or "department" not in contacts:
        return pd.DataFrame(index=pd.Index(account_ids, name="account_id"))
    c = contacts[analysis.isin(contacts["account_id"], account_ids)]
    m = pd.crosstab(c["account_id"], c["department"].astype("object").fillna("unknown"))
    return m.reindex(account_ids, fill_value=0)


# --------------------------------------------------------------------------- alignment
ALIGNMENT_ITEMS: dict[str, str] = {
    "social_connected": "social: followed / connected on LinkedIn",
    "email_newsletter": "email: on the newsletter",
    "email_engaged_90d": "email / other: engaged in the last 90 days",
    "content_mentions": "content: content mentioning them or for them",
    "website_visits": "other: visited our website",
    "exec_outreach": "other: an executive reached out personally",
}
# the contacts column each alignment item can be read from
_ALIGNMENT_COLUMNS = {
    "social_connected": "linkedin_connected",
    "email_newsletter": "newsletter",
    "email_engaged_90d": "last_engaged",
}


def alignment(
    targets: pd.DataFrame,
    contacts: pd.DataFrame | None,
    *,
    as_of: pd.Timestamp,
    checklist: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The weekly sales-marketing checklist per key target: from data where columns exist, else the checklist file.

    Items are True / False / unknown; ``readiness`` is the share of known items that hold.
    """
    out = targets[["account_id"]].copy()
    for item in ALIGNMENT_ITEMS:
        out[item] = pd.array([pd.NA] * len(out), dtype="boolean")
    if contacts is not None and len(contacts):
        c = contacts[analysis.isin(contacts["account_id"], out["account_id"])]
        g = c.groupby("account_id")
        rules = {
            "social_connected": lambda s: bool(s.astype("boolean").fillna(False).any()),
            "email_newsletter": lambda s: bool(s.astype("boolean").fillna(False).any()),
            "email_engaged_90d": lambda s: bool((s >= as_of - pd.Timedelta(days=90)).any()),
        }
        for item, fn in rules.items():
            col = _ALIGNMENT_COLUMNS[item]
            if col in c:
                values = g[col].apply(fn) if len(c) else pd.Series(dtype=bool)
                out[item] = out["account_id"].map(values).astype("boolean").fillna(False)
    if checklist is not None:
        bad = sorted(set(checklist.columns) - {"account_id", *ALIGNMENT_ITEMS})
        if bad:
            raise DataError(
                f"checklist: unknown column(s) {', '.join(bad)}; items are {', '.join(ALIGNMENT_ITEMS)}"
            )
        filled = checklist.drop_duplicates("account_id", keep="last").set_index("account_id")
        for item in filled.columns:
            answers = out["account_id"].map(filled[item].astype("boolean")).astype("boolean")
            out[item] = out[item].fillna(answers)
    items = out[list(ALIGNMENT_ITEMS)]
    out["items_known"] = items.notna().sum(axis=1).astype(int)
    held = items.fillna(False).astype(int).sum(axis=1)
    out["readiness"] = (held / out["items_known"].where(out["items_known"] > 0)).astype(float)
    return out


def _yes_no(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin({"true", "yes", "y", "1", "t", "x", "1.0"})] = True
    out[text.isin({"false", "no", "n", "0", "f", "0.0"})] = False
    return out


_CHECKLIST_EXTRAS = ("account_name", "items_known", "readiness")


def load_checklist(path: str | Path) -> pd.DataFrame:
    """The team's weekly checklist file (CSV / Excel): account_id and yes/no items (see ALIGNMENT_ITEMS).

    The alignment table the notebook exports can be filled in and read back: its
    account_name, items_known and readiness columns are ignored.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"no such checklist file: {file}")
    cells, _ = read_cells(file)
    cells.columns = [str(c).strip().lower().replace(" ", "_") for c in cells.columns]
    if "account_id" not in cells:
        raise DataError(f"{file.name}: the checklist needs an account_id column")
    # the notebook's exported checklist carries these beside the items: read it back as is
    cells = cells.drop(columns=[c for c in _CHECKLIST_EXTRAS if c in cells])
    unknown = sorted(set(cells.columns) - {"account_id", *ALIGNMENT_ITEMS})
    if unknown:
        raise DataError(
            f"{file.name}: unknown column(s) {', '.join(unknown)}; items are {', '.join(ALIGNMENT_ITEMS)}"
        )
    out = pd.DataFrame({"account_id": cells["account_id"].astype("str").str.strip()})
    for item in [c for c in cells.columns if c != "account_id"]:
        given = cells[item].where(~missing_mask(cells[item]))
        parsed = _yes_no(given)
        bad = given.notna() & parsed.isna()
        if bad.any():
            line = bad.idxmax()
            raise DataError(
                f"{file.name} line {line}, column '{item}': {cells[item][line]!r} is not yes/no"
            )
        out[item] = parsed.to_numpy()
    return out


def priority_list(cards: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The prioritised account list for export: tier order, then score."""
    order = {t: i for i, t in enumerate(_TIER_ORDER)}
    out = cards.merge(plan[["account_id", "hours_per_week"]], on="account_id", how="left")
    out = out.assign(_o=out["tier"].map(order)).sort_values(
        ["_o", "score", "account_id"], ascending=[True, False, True]
    )
    return (
        out[
            [
                "account_id",
                "account_name",
                "tier",
                "boxes_checked",
                "boxes_known",
                "score",
                "reason",
                "hours_per_week",
            ]
        ]
        .rename(columns={"hours_per_week": "recommended_hours_per_week"})
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- the analysis
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The notebook's parameters (less data_dir, output_dir, redact)."""

    rules_file: str = ""  # YAML rules file; its values override the thresholds below
    website_min: float = 60.0
    employees_min: int = 20
    employees_max: int = 5000
    min_age_years: int = 5
    price_ratio_min: float = 0.01
    t2: float = 0.66
    t3: float = 0.5
    team_selling_hours_per_week: float = 300.0
    time_share_t1: float = 0.65  # midpoints of the source's ranges (see TIME_SHARES)
    time_share_t2: float = 0.15
    time_share_t3: float = 0.075
    time_share_global: float = 0.225
    t3_turnover_max: float = 0.25
    checklist_file: str = ""
    history_file: str = ""
    history_key: str = ""  # with it, history_file is the review's history store (DuckDB)

    def time_shares(self) -> dict[str, float]:
        """Planned share of selling time per tier, as set (T4 none: marketing nurtures it)."""
        shares = {
            "T1": self.time_share_t1,
            "T2": self.time_share_t2,
            "T3": self.time_share_t3,
            "T4": 0.0,
            "Global": self.time_share_global,
        }
        bad = [f"time_share_{t.lower()}" for t, v in shares.items() if not 0 <= v <= 1]
        if self.team_selling_hours_per_week < 0:
            raise UsageError("team_selling_hours_per_week cannot be negative")
        if bad:
            raise UsageError(f"{', '.join(bad)}: a share of time must be between 0 and 1")
        return shares


@dataclass(frozen=True, kw_only=True)
class TieringAnalysis(analysis.Analysis):
    """Account tiering over one data set (tables, notes, absent sections, metrics ...)."""

    methodology: ClassVar[str] = "account_tiering"


_RULE_PARAMS = {
    "website_min": "Website score that counts as clean and modern (0-100)",
    "employees_min": "Smallest company size in the sweet spot (employees)",
    "employees_max": "Largest company size in the sweet spot (employees)",
    "min_age_years": "Years since founding that count as established",
    "price_ratio_min": "Their average sale as a share of our typical deal, at least",
    "t2": "Share of known boxes checked for Tier 2",
    "t3": "Share of known boxes checked for Tier 3 (below: Tier 4)",
}
_RULE_BUILT_IN = {
    "t1": "Share of known boxes checked for Tier 1",
    "min_known": "Known boxes an account needs to be scored",
    "prior_spend_min": "Spend with us that counts as having bought",
}
_NO_CONTACTS = (
    "No contacts table, so named contacts per account cannot be counted: add contacts.csv "
    "(contact_id, account_id, full_name, department)."
)
_EMPTY_ACCOUNTS = (
    "The accounts table has no rows, so there is nothing to tier: add one row per customer "
    "or prospect to accounts.csv."
)
_NO_ACTIVITIES = (
    "No activities table, so the time reps logged cannot be set against the plan: add "
    "activities.csv (activity_id, account_id, activity_date, duration_minutes)."
)


@dataclass
class _Parts:
    """What the section builders of :func:`analyze` add up."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[tuple[int, str]] = field(default_factory=list)  # (rank, sentence)
    assumptions: list[analysis.Assumption] = field(default_factory=list)
    coverage: list[tuple[str, int, int, dict[str, int]]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _rules(params: Params, opportunities: pd.DataFrame | None) -> tuple[Rules, dict[str, Any]]:
    """The rules from the parameters and the rules file (read from ``params.path``)."""
    values = {k: getattr(params, k) for k in _RULE_PARAMS}
    path = params.path("rules_file")
    from_file = _rules_file_values(path) if path else {}
    rules = _check_rules(replace(Rules(**values), **from_file), path.name if path else "parameters")
    return rules.with_deal_size(opportunities), from_file


def _prior_spend_source(data: DataSet, accounts: pd.DataFrame) -> tuple[str, str | None]:
    """Where prior spend comes from: (what, table to derive it from; None = recorded or no data).

    Recorded when the accounts table has a prior_spend column with values; else derived
    from the data set's own revenue before each quarter (orders, else won deals).
    """
    if "prior_spend" in accounts and accounts["prior_spend"].notna().any():
        return "recorded", None
    opps = data.tables.get("opportunities")
    if data.has("orders"):
        return "order lines", "orders"
    if opps is not None and "outcome" in opps:
        return "won deals", "opportunities"
    return "none", None


def _spend_before(data: DataSet, starts: Mapping[str, pd.Timestamp]) -> dict[str, pd.Series | None]:
    """Revenue per account before each start (None where the data has none before it)."""
    days = {q: s - pd.Timedelta(days=1) for q, s in starts.items()}
    table = spend_to_date(data, list(days.values()))
    out: dict[str, pd.Series | None] = {}
    for q, day in days.items():
        rows = table[table["as_of"] == day]
        out[q] = rows.set_index("account_id")["spend"].astype(float) if len(rows) else None
    return out


def _box_sources(
    accounts: pd.DataFrame,
    rules: Rules,
    *,
    prior_what: str,
    prior_table: str | None,
    prior_known: bool,
    start: pd.Timestamp,
) -> dict[str, str]:
    """Per box, the plain words saying where its data comes from."""

    def has(col: str) -> bool:
        return col in accounts and bool(accounts[col].notna().any())

    out = {
        b: f"accounts.{col}" if has(col) else f"no data: add {_COLUMN_HINT[col]}"
        for b, col in BOX_COLUMNS.items()
    }
    if has("avg_customer_price"):
        out["pricing_fit"] = (
            f"accounts.avg_customer_price against {rules.price_ratio_min:g} x our deal size "
            f"({rules.deal_size:,.0f})"
            if rules.deal_size > 0
            else "accounts.avg_customer_price, but our deal size is unknown (no won deal): "
            "set deal_size in a rules file"
        )
    if has("prior_spend"):
        out["prior_spend"] = "accounts.prior_spend, as recorded"
    elif prior_known:
        out["prior_spend"] = f"derived: the data set's {prior_what} before {start:%Y-%m-%d}"
    elif prior_table:
        out["prior_spend"] = f"no data: no {prior_what} before {start:%Y-%m-%d}; add prior_spend"
    else:
        out["prior_spend"] = "no data: add prior_spend (no orders or won deals to derive it from)"
    return out


def _what_to_add(boxes: pd.DataFrame, rules: Rules, accounts: pd.DataFrame) -> str:
    """The plain instruction that would make more boxes known."""
    unknown = boxes[boxes["accounts_known"] == 0]["box"].tolist()
    cols = [
        _COLUMN_HINT[BOX_COLUMNS[b]]
        for b in unknown
        if not (b == "pricing_fit" and "avg_customer_price" in accounts and rules.deal_size == 0)
    ]
    parts = []
    if cols:
        parts.append(f"add {_join(cols)} to accounts.csv")
    if "pricing_fit" in unknown and "avg_customer_price" in accounts and rules.deal_size == 0:
        parts.append("record won deals (outcome, amount) or set deal_size in a rules file")
    if not parts:
        partly = boxes[boxes["known_share"] < 1]["box"].tolist()
        parts.append(
            f"fill in the missing values of {_join([BOX_COLUMNS[b] for b in partly])} in accounts.csv"
        )
    return "; ".join(parts)


def _scorecard_section(
    parts: _Parts,
    data: DataSet,
    params: Params,
    per: analysis.Periods,
    rules: Rules,
    from_file: Mapping[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.Series | None], str]:
    """Rules, box data and the scorecard; returns (cards, accounts as scored, spend by quarter, add-phrase)."""
    accounts = data.tables["accounts"]
    year = per.window.end.year
    quarters = last_quarters(params.quarter, 4, fiscal_start=per.fiscal_start)
    starts = {q: quarter_window(q, fiscal_start=per.fiscal_start).start for q, _ in quarters}
    prior_what, prior_table = _prior_spend_source(data, accounts)
    spend = _spend_before(data, starts) if prior_table else dict.fromkeys(starts)
    now = spend.get(params.quarter)
    scored_accounts = with_prior_spend(accounts, now)
    cards = scorecard(scored_accounts, rules, as_of_year=year)
    # an unscored account's score rests on too few boxes to mean anything: shown as missing
    cards["score"] = cards["score"].where(cards["tier"] != "unscored")
    order = {t: i for i, t in enumerate(_TIER_ORDER)}
    cards = (
        cards.assign(_o=cards["tier"].map(order))
        .sort_values(
            ["_o", "score", "boxes_checked", "account_id"],
            ascending=[True, False, False, True],
            kind="stable",
        )
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    sources = _box_sources(
        accounts,
        rules,
        prior_what=prior_what,
        prior_table=prior_table,
        prior_known=now is not None,
        start=per.window.start,
    )
    boxes = box_data(cards, sources)
    add = _what_to_add(boxes, rules, accounts)
    n = len(cards)
    counts = {t: int((cards["tier"] == t).sum()) for t in TIERS}
    known_cells = int(boxes["accounts_known"].sum())
    known_share = known_cells / (n * len(BOXES)) if n else None

    if n:
        parts.tables["box_data"] = boxes
        parts.tables["scorecard"] = cards
        parts.notes["box_data"] = (
            f"{known_share:.0%} of the scorecard's boxes are known ({known_cells:,} of "
            f"{n * len(BOXES):,}: {n:,} accounts x {len(BOXES)} boxes)."
            + ("" if known_share == 1 else f" To know more of them: {add}.")
        )
        parts.notes["scorecard"] = _tier_sentence(counts, n, rules, boxes, add)
    else:
        for name in ("box_data", "scorecard", "priorities"):
            parts.absent[name] = _EMPTY_ACCOUNTS
    parts.metrics.update(
        {
            **counts,
            "tier_counts": counts,
            "accounts": n,
            "accounts_scored": n - counts["unscored"],
            "boxes_known_share": known_share,
            "deal_size": rules.deal_size if rules.deal_size > 0 else None,
            "prior_spend_source": "recorded"
            if prior_what == "recorded"
            else (prior_table if now is not None else None),
            "key_targets": counts["T1"] + counts["Global"],
            "nurture_accounts": counts["T4"],
        }
    )
    parts.findings.append((2, parts.notes.get("scorecard", _EMPTY_ACCOUNTS)))
    if n and known_share is not None and known_share < 1 and counts["unscored"] < n:
        parts.findings.append(
            (4, f"Only {known_share:.0%} of the scorecard's boxes are known: to know more, {add}.")
        )
    if n and counts["unscored"] == n and boxes["accounts_known"].any():
        parts.findings.append((3, _partial_sentence(boxes, rules, per.window.start)))
    parts.assumptions.append(
        analysis.Assumption(
            "deal_size",
            "Our typical deal (for the pricing box)",
            analysis.format_value(
                rules.deal_size, "money", params.currency or data.settings.currency
            )
            if rules.deal_size > 0
            else "unknown",
            "rules file"
            if "deal_size" in from_file
            else "from the data"
            if rules.deal_size > 0
            else "built in",
            "the median won deal; set deal_size in a rules file"
            if "deal_size" not in from_file and rules.deal_size > 0
            else "no won deal: the pricing box stays unknown until deal_size is set"
            if rules.deal_size <= 0
            else "",
        )
    )
    parts.coverage.append(
        (
            "accounts",
            n,
            n - counts["unscored"],
            {f"unscored: fewer than {rules.min_known} known boxes": counts["unscored"]},
        )
    )
    # where each box is read from is in the box table (box_data), not repeated as assumptions
    if prior_table:
        parts.coverage.append(_revenue_coverage(data, prior_table, per.window.start))
    return cards, scored_accounts, spend, add


def _partial_sentence(boxes: pd.DataFrame, rules: Rules, start: pd.Timestamp) -> str:
    """What the boxes the data can tell say, when no account can be scored."""
    phrase = {
        "website": "have a clean, modern website",
        "size": f"are mid-size ({rules.employees_min:,} to {rules.employees_max:,} employees)",
        "tenure": f"are established ({rules.min_age_years}+ years)",
        "pricing_fit": "have prices that fit our deal size",
        "prior_spend": f"bought from us before {start:%Y-%m-%d}",
        "priorities": "have stated priorities that fit",
    }
    told = [
        f"{int(r.accounts_checked):,} of {int(r.accounts_known):,} accounts {phrase[r.box]}"
        for r in boxes.itertuples()
        if r.accounts_known > 0
    ]
    return f"What the data can tell: {_join(told)}."


def _tier_sentence(
    counts: Mapping[str, int], n: int, rules: Rules, boxes: pd.DataFrame, add: str
) -> str:
    if n == 0:
        return "The accounts table has no rows, so there is nothing to tier."
    if counts["unscored"] == n:
        known = [b.replace("_", " ") for b in boxes[boxes["accounts_known"] > 0]["box"]]
        have = f"only {len(known)} ({_join(known)})" if known else "none"
        return (
            f"None of the {n:,} accounts can be scored: a tier needs at least {rules.min_known} "
            f"of the {len(BOXES)} boxes known, and this data set has data for {have}. "
            f"To score them, {add} (or lower min_known in a rules file, and the tiers "
            "rest on fewer facts)."
        )
    text = (
        f"Of {n:,} accounts, {counts['T1']:,} are Tier 1 ({counts['T1'] / n:.0%}), "
        f"{counts['T2']:,} Tier 2, {counts['T3']:,} Tier 3 and {counts['T4']:,} Tier 4 "
        f"(handed to marketing for nurture)"
    )
    if counts["Global"]:
        text += (
            f"; {counts['Global']:,} are Global: they hit every attribute but are the hardest "
            "to crack, so they are worked steadily, not first"
        )
    if counts["unscored"]:
        text += (
            f"; {counts['unscored']:,} cannot be scored yet (fewer than {rules.min_known} "
            "known boxes)"
        )
    return text + "."


def _revenue_coverage(
    data: DataSet, table: str, start: pd.Timestamp
) -> tuple[str, int, int, dict[str, int]]:
    """Rows of the revenue table used for prior spend (before the window, with an account)."""
    got = prior_spend_coverage(data, table, start)
    left = {
        "not won": int(got["not_won"]) if table == "opportunities" else 0,
        "in or after the review window (prior spend counts earlier revenue)": int(got["later"]),
        "no account": int(got["no_account"]),
    }
    return table, int(got["total"]), int(got["used"]), left


def _cannot(what: str, add: str, tiers: pd.Series) -> str:
    """The reason a section that needs accounts tiered by their boxes is absent (``what``: the
    section's loss, said when some accounts are Global or the table is empty)."""
    if len(tiers) == 0:
        return f"The accounts table has no rows, so {what}: add accounts to accounts.csv."
    g = int((tiers == "Global").sum())
    if g:
        u = len(tiers) - g
        return (
            f"No account is tiered by its boxes ({g:,} Global by their flag"
            + (f", {u:,} cannot be scored" if u else "")
            + f"), so {what}"
            + (f": to score them, {add}." if u else ".")
        )
    # one sentence for every section it empties: the report says it once, and the overview
    # lists those sections under it together
    return (
        "No account can be scored yet, so nothing can be tiered, planned or compared by tier: "
        f"to score them, {add}."
    )


def _sensitivity_section(
    parts: _Parts, accounts: pd.DataFrame, cards: pd.DataFrame, rules: Rules, year: int, add: str
) -> None:
    if not cards["tier"].isin(["T1", "T2", "T3", "T4"]).any():
        parts.absent["sensitivity"] = _cannot("no threshold can move a tier", add, cards["tier"])
        parts.metrics["sensitivity_most_moved"] = None
        return
    summary, moved = sensitivity(accounts, rules, as_of_year=year)
    parts.tables["sensitivity"] = summary
    parts.tables["sensitivity_moves"] = moved.merge(
        cards[["account_id", "account_name"]], on="account_id", how="left"
    )[["change", "account_id", "account_name", "from", "to"]]
    top = summary.loc[summary["accounts_changed"].idxmax()] if len(summary) else None
    parts.metrics["sensitivity_most_moved"] = (
        int(top["accounts_changed"]) if top is not None else None
    )
    parts.notes["sensitivity"] = (
        f"Moving one threshold by 10% moves at most {int(top['accounts_changed']):,} of "
        f"{len(cards):,} accounts ({top['threshold']})."
        if top is not None and top["accounts_changed"] > 0
        else "No 10% move of a threshold changes any account's tier."
    )


def _activity_stats(data: DataSet, window: Window) -> dict[str, int]:
    return activity_coverage(data, window.start, window.end)


def _time_section(
    parts: _Parts,
    data: DataSet,
    params: Params,
    cards: pd.DataFrame,
    window: Window,
    add: str,
) -> pd.DataFrame:
    """The plan per tier, and logged time against it; returns the plan per account."""
    shares = params.time_shares()
    plan = allocation(cards, hours_per_week=params.team_selling_hours_per_week, shares=shares)
    by_tier = time_plan(cards, hours_per_week=params.team_selling_hours_per_week, shares=shares)
    planned = plan["hours_per_week"].sum() > 0
    t1_plan = by_tier.set_index("tier")["planned_share"].get("T1", 0.0) if planned else None
    parts.metrics["share_time_on_tier1_planned"] = analysis.finite_or_none(t1_plan)
    parts.metrics["planned_share_by_tier"] = (
        {r.tier: float(r.planned_share) for r in by_tier.itertuples() if r.tier != "unscored"}
        if planned
        else None
    )
    for key in (
        "share_time_on_tier1_actual",
        "actual_share_by_tier",
        "tier_with_most_logged_time",
        "accounts_under_served",
    ):
        parts.metrics[key] = None
    if not planned:
        if not cards["tier"].isin(["T1", "T2", "T3", "T4", "Global"]).any():
            why = _cannot("there is no time plan", add, cards["tier"])
        elif params.team_selling_hours_per_week <= 0:
            why = (
                "The team has no selling hours a week, so no time is planned: set "
                "team_selling_hours_per_week."
            )
        else:
            why = (
                "Only Tier 4 accounts (or tiers with a planned share of 0) remain, so no "
                "selling time is planned: set the time_share_* parameters above 0."
            )
        parts.absent["time_plan"] = why
        parts.absent["time_by_tier"] = why
        parts.absent["served"] = why
        return plan
    parts.tables["time_plan"] = by_tier
    hours = params.team_selling_hours_per_week
    parts.notes["time_plan"] = (
        f"Of the team's {hours:,.0f} selling hours a week, the plan gives "
        + ", ".join(
            f"{r.tier} {r.planned_share:.0%}"
            for r in by_tier.itertuples()
            if r.tier != "unscored" and r.planned_share > 0
        )
        + " (the shares set, rescaled over the tiers that have accounts); Tier 4 gets none."
    )
    if not data.has("activities"):
        parts.absent["time_by_tier"] = _NO_ACTIVITIES
        parts.absent["served"] = _NO_ACTIVITIES
        return plan
    stats = _activity_stats(data, window)
    used = stats["in_window"] - stats["no_account"] - stats["unknown"]
    parts.coverage.append(
        (
            "activities",
            stats["total"],
            used,
            {
                "outside the window": stats["total"] - stats["in_window"],
                "no account": stats["no_account"],
                "account not in the accounts table": stats["unknown"],
            },
        )
    )
    parts.assumptions.append(
        analysis.Assumption(
            "activity_minutes",
            "Minutes an activity without a duration counts",
            f"{_NO_DURATION_MINUTES}",
            "built in",
            f"{stats['no_minutes']:,} of the {used:,} activities used have no duration_minutes",
        )
    )
    activity = activity_by_account(data, window.start, window.end)
    tiers, per = time_by_tier(plan, activity, weeks=window.weeks)
    if not tiers["actual_hours"].sum() > 0:
        why = (
            f"No activity was logged in {window.label} on the accounts of the accounts table, "
            "so logged time cannot be set against the plan: check the activities' dates and "
            "account ids."
        )
        parts.absent["time_by_tier"] = why
        parts.absent["served"] = why
        return plan
    parts.tables["time_by_tier"] = tiers
    names = cards.set_index("account_id")["account_name"]
    served = per.assign(account_name=per["account_id"].map(names))[
        [
            "account_id",
            "account_name",
            "tier",
            "hours_per_week",
            "actual_hours_per_week",
            "served",
        ]
    ]
    order = {t: i for i, t in enumerate(_TIER_ORDER)}
    parts.tables["served"] = (
        served.assign(_o=served["tier"].map(order))
        .sort_values(["_o", "actual_hours_per_week", "account_id"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    t = tiers.set_index("tier")
    actual = t["actual_share"]
    counts = per["served"].value_counts()
    t1_actual = float(actual.get("T1", 0.0))
    parts.metrics.update(
        {
            "share_time_on_tier1_actual": t1_actual,
            "actual_share_by_tier": {k: float(v) for k, v in actual.items()},
            "tier_with_most_logged_time": str(actual.idxmax()),
            "accounts_under_served": int(counts.get("under-served", 0)),
        }
    )
    t4 = float(actual.get("T4", 0.0))
    parts.notes["time_by_tier"] = (
        f"Tier 1 should get {t1_plan:.0%} of selling time and got {t1_actual:.0%} of the time "
        f"logged in {window.label}; Tier 4, planned at 0%, took {t4:.0%}"
        + (
            f" and unscored accounts {float(actual['unscored']):.0%}"
            if "unscored" in actual.index
            else ""
        )
        + f". {int(counts.get('under-served', 0)):,} "
        f"accounts are under-served (under half their planned hours), "
        f"{int(counts.get('over-served', 0)):,} over-served (over 1.5 times)."
    )
    if "T1" in t.index:
        parts.findings.append(
            (
                1,
                f"Tier 1 got {t1_actual:.0%} of the time logged in {window.label} against a plan "
                f"of {t1_plan:.0%}; Tier 4, planned at 0%, took {t4:.0%}.",
            )
        )
    return plan


def _churn_section(
    parts: _Parts,
    params: Params,
    per: analysis.Periods,
    accounts: pd.DataFrame,
    rules: Rules,
    spend: Mapping[str, pd.Series | None],
    add: str,
) -> None:
    path = params.path("history_file")
    parts.metrics["tier12_changed"] = None
    parts.metrics["t3_turnover_latest"] = None
    parts.metrics["tier_moves_up"] = None
    parts.metrics["tier_moves_down"] = None
    if path and not params.history_key:
        history = load_history(path)
        source = f"read from {path.name}"
    else:
        quarters = last_quarters(params.quarter, 4, fiscal_start=per.fiscal_start)
        history = tier_history(
            accounts, rules, [(q, end.year, spend.get(q)) for q, end in quarters]
        )
        recomputed = (
            "recomputed as the scorecard would have set them at each quarter (tenure and "
            "prior spend as of then; the other boxes are today's values)"
        )
        stored = _stored_tiers(path, params, [q for q, _ in quarters]) if path else None
        source = recomputed
        if stored is not None:  # the tiers a review recorded win over recomputed ones
            history = pd.concat(
                [history[~history["quarter"].isin(set(stored["quarter"]))], stored],
                ignore_index=True,
            )
            told = _join(sorted(stored["quarter"].unique()))
            source = f"{told} as recorded in the history store, the other quarters {recomputed}"
        if not history["tier"].isin(["T1", "T2", "T3", "T4"]).any():
            tiers = history.loc[history["quarter"] == params.quarter, "tier"]
            parts.absent["tier_churn"] = _cannot("there is no tier history to compare", add, tiers)
            parts.absent["churn_flagged"] = parts.absent["tier_churn"]
            parts.absent["tier_moves"] = parts.absent["tier_churn"]
            return
    flagged, turnover = churn(history, t3_turnover_max=params.t3_turnover_max)
    parts.tables["tier_churn"] = turnover
    names = accounts.set_index("account_id")["account_name"]
    flagged.insert(1, "account_name", flagged["account_id"].map(names))
    parts.tables["churn_flagged"] = flagged
    quarters = sorted(history["quarter"].unique())
    latest = turnover["turnover_share"].iloc[-1] if len(turnover) else None
    parts.metrics["tier12_changed"] = len(flagged)
    parts.metrics["t3_turnover_latest"] = analysis.finite_or_none(latest)
    text = (
        f"Tiers of {len(quarters)} quarter{'s' * (len(quarters) != 1)} ({quarters[0]} to "
        f"{quarters[-1]}), {source}: {len(flagged):,} Tier 1 or 2 "
        f"account{'s' * (len(flagged) != 1)} changed tier within the period"
    )
    if len(turnover) and analysis.finite_or_none(latest) is not None:
        text += (
            f"; {latest:.0%} of the Tier 3 accounts of the quarter before left Tier 3 in "
            f"{turnover['quarter'].iloc[-1]}"
            + (" (above the limit)" if bool(turnover["too_high"].iloc[-1]) else "")
        )
    parts.notes["tier_churn"] = text + "."
    names_now = accounts.drop_duplicates("account_id").set_index("account_id")["account_name"]
    _moves_part(parts, history, params.quarter, names_now)


def _stored_tiers(store: Path, params: Params, quarters: Sequence[str]) -> pd.DataFrame | None:
    """The tiers stored reviews recorded for ``quarters`` before the review quarter (account_id,
    quarter, tier), or None when the store holds none of them for this data set.

    The store's own errors (a foreign or damaged file) are raised as they are.
    """
    from . import history as store_module

    if not params.history_key or not store.exists():
        return None
    stored = store_module.snapshot_history(store, params.history_key, store_module.TIERS)
    if stored.empty or "tier" not in stored:
        return None
    stored = stored.astype({"quarter": "str"})
    earlier = stored[stored["quarter"].isin(set(quarters)) & (stored["quarter"] < params.quarter)]
    if earlier.empty:
        return None
    return earlier[["account_id", "quarter", "tier"]].astype("str").reset_index(drop=True)


_RANK = {"T1": 1, "T2": 2, "T3": 3, "T4": 4}


def tier_moves(history: pd.DataFrame, quarter: str) -> tuple[str | None, pd.DataFrame]:
    """Accounts whose tier (T1-T4) moved between the quarter before ``quarter`` and ``quarter``.

    ``history`` has account_id, quarter, tier. Returns (the quarter before, or None when the
    history has none; a table of account_id, tier_before, tier_now, move "up" / "down",
    ups first, by the new tier). Moves into or out of Global or unscored are not tier moves:
    Global is a flag, unscored is missing data.
    """
    cols = ["account_id", "tier_before", "tier_now", "move"]
    quarters = sorted(str(q) for q in history["quarter"].unique())
    if quarter not in quarters or quarters.index(quarter) == 0:
        return None, pd.DataFrame(columns=cols)
    before = quarters[quarters.index(quarter) - 1]
    wide = history.pivot_table(
        index="account_id", columns="quarter", values="tier", aggfunc="first"
    )
    wide.columns = [str(c) for c in wide.columns]
    pair = wide[[before, quarter]].dropna()
    a, b = pair[before].map(_RANK), pair[quarter].map(_RANK)
    moved = pair[a.notna() & b.notna() & a.ne(b)]
    out = pd.DataFrame(
        {
            "account_id": moved.index.astype("str"),
            "tier_before": moved[before].astype("str").to_numpy(),
            "tier_now": moved[quarter].astype("str").to_numpy(),
        }
    )
    out["move"] = np.where(out["tier_now"].map(_RANK) < out["tier_before"].map(_RANK), "up", "down")
    out = out.assign(_o=out["move"].eq("down"), _t=out["tier_now"].map(_RANK))
    out = out.sort_values(["_o", "_t", "account_id"], kind="stable").drop(columns=["_o", "_t"])
    return before, out.reset_index(drop=True)[cols]


def _moves_part(parts: _Parts, history: pd.DataFrame, quarter: str, names: pd.Series) -> None:
    """The tier moves since the quarter before: which accounts go up or down a list."""
    before, moves = tier_moves(history, quarter)
    if before is None:
        parts.absent["tier_moves"] = (
            f"The tier history has no quarter before {quarter}, so there are no tier moves to "
            "show: give a history_file with last quarter's tiers."
        )
        return
    moves.insert(1, "account_name", moves["account_id"].map(names).astype("str"))
    up, down = int((moves["move"] == "up").sum()), int((moves["move"] == "down").sum())
    parts.metrics.update(tier_moves_up=up, tier_moves_down=down)
    if not (up or down):  # nothing to list: the sentence says so, no empty table
        parts.absent["tier_moves"] = (
            f"No account moved between Tier 1 and Tier 4 since {before}: the account lists "
            "stay as they are."
        )
        return
    parts.tables["tier_moves"] = moves
    parts.notes["tier_moves"] = (
        f"Since {before}: {up:,} account{'s' * (up != 1)} moved up a tier and {down:,} moved "
        "down (Tier 1 to 4; Global and unscored are not moves)."
    )
    parts.extras["tier_moves_before"] = before


def _nurture_section(parts: _Parts, cards: pd.DataFrame, add: str) -> None:
    if not cards["tier"].isin(["T1", "T2", "T3", "T4"]).any():
        parts.absent["nurture_list"] = _cannot(
            "no account can be told to be outside the sweet spot", add, cards["tier"]
        )
        return
    nurture = disqualification_list(cards)
    parts.tables["nurture_list"] = nurture
    parts.notes["nurture_list"] = (
        f"{len(nurture):,} Tier 4 account{'s' * (len(nurture) != 1)} "
        f"{'go' if len(nurture) != 1 else 'goes'} to marketing's nurture campaign instead of "
        "sales time."
        if len(nurture)
        else "No account is Tier 4: nobody needs to be handed to marketing's nurture campaign."
    )
    if len(nurture):
        parts.findings.append(
            (
                5,
                f"{len(nurture):,} Tier 4 account{'s fail' if len(nurture) != 1 else ' fails'} "
                "most boxes: hand them to marketing's "
                "nurture campaign and say no early.",
            )
        )


def _names_section(
    parts: _Parts, data: DataSet, cards: pd.DataFrame, add: str
) -> pd.DataFrame | None:
    contacts = data.tables.get("contacts")
    for key in (
        "accounts_below_5_contacts",
        "accounts_single_threaded",
        "key_accounts_below_5_contacts",
        "accounts_without_decision_maker",
    ):
        parts.metrics[key] = None
    if contacts is None:
        parts.absent["names"] = _NO_CONTACTS
        parts.absent["coverage_matrix"] = _NO_CONTACTS
        return None
    ids = set(cards["account_id"])
    no_account = int(contacts["account_id"].isna().sum())
    unknown = int(
        (contacts["account_id"].notna() & ~analysis.isin(contacts["account_id"], ids)).sum()
    )
    parts.coverage.append(
        (
            "contacts",
            len(contacts),
            len(contacts) - no_account - unknown,
            {"no account": no_account, "account not in the accounts table": unknown},
        )
    )
    names = name_development(cards[["account_id"]], contacts)
    names = cards[["account_id", "account_name", "tier"]].merge(names, on="account_id")
    order = {t: i for i, t in enumerate(_TIER_ORDER)}
    names = (
        names.assign(_o=names["tier"].map(order))
        .sort_values(["_o", "contacts", "account_id"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    parts.tables["names"] = names
    n = len(names)
    key = names["tier"].isin(["T1", "Global"])
    below = int(names["below_minimum"].sum())
    parts.metrics.update(
        {
            "accounts_below_5_contacts": below,
            "accounts_single_threaded": int(names["single_threaded"].sum()),
            "key_accounts_below_5_contacts": int(names.loc[key, "below_minimum"].sum()),
            "accounts_without_decision_maker": int((~names["has_decision_maker"]).sum())
            if "role" in contacts
            else None,
        }
    )
    text = (
        f"{below:,} of {n:,} accounts have fewer than {_MIN_CONTACTS} named contacts and "
        f"{int(names['single_threaded'].sum()):,} hang on a single contact"
    )
    if "role" in contacts:
        text += f"; {int((~names['has_decision_maker']).sum()):,} have no known decision maker"
    parts.notes["names"] = text + "."
    if n:
        parts.findings.append((3, parts.notes["names"]))
    return contacts


def _coverage_section(
    parts: _Parts, contacts: pd.DataFrame | None, cards: pd.DataFrame, add: str
) -> None:
    if contacts is None:
        return  # absent with the names section's reason
    key = cards[cards["tier"].isin(["T1", "Global"])].head(_KEY_TARGETS_SHOWN)
    if key.empty:
        parts.absent["coverage_matrix"] = (
            _cannot("there are no key targets to map contacts for", add, cards["tier"])
            if not cards["tier"].isin(["T1", "T2", "T3", "T4"]).any()
            and not (cards["tier"] == "Global").any()
            else "No account is Tier 1 or Global, so there are no key targets whose contacts "
            "to map across departments."
        )
        return
    if "department" not in contacts:
        parts.absent["coverage_matrix"] = (
            "Contacts have no department column, so coverage across departments cannot be "
            "drawn: add department to contacts.csv."
        )
        return
    matrix = coverage_matrix(contacts, key["account_id"].tolist())
    if matrix.shape[1] == 0:
        parts.absent["coverage_matrix"] = (
            "None of the Tier 1 and Global accounts has a named contact, so there is no "
            "department coverage to draw: start naming contacts there."
        )
        return
    labels = key.set_index("account_id")["account_name"].astype("object")
    shown = matrix.index.map(lambda a: labels.get(a) if pd.notna(labels.get(a)) else a)
    if shown.is_unique:
        matrix.index = pd.Index([str(s) for s in shown], name="account")
    parts.tables["coverage_matrix"] = matrix
    empty = int((matrix == 0).sum().sum())
    parts.notes["coverage_matrix"] = (
        f"Named contacts of the key targets (Tier 1 and Global) department by department: "
        f"{empty:,} of {matrix.size:,} cells have none, a department nobody there knows yet"
        + (
            f"; the first {_KEY_TARGETS_SHOWN} key targets are shown."
            if (cards["tier"].isin(["T1", "Global"])).sum() > _KEY_TARGETS_SHOWN
            else "."
        )
    )


def _alignment_section(
    parts: _Parts,
    params: Params,
    contacts: pd.DataFrame | None,
    cards: pd.DataFrame,
    as_of: pd.Timestamp,
    add: str,
) -> None:
    parts.metrics["alignment_readiness_mean"] = None
    targets = cards[cards["tier"].isin(["T1", "Global"])]
    path = params.path("checklist_file")
    checklist = load_checklist(path) if path else None
    if targets.empty:
        parts.absent["alignment"] = (
            _cannot("there are no key targets to review weekly", add, cards["tier"])
            if (cards["tier"] == "unscored").all()
            else "No account is Tier 1 or Global, so there are no key targets to review weekly."
        )
        return
    table = alignment(targets, contacts, as_of=as_of, checklist=checklist)
    if not table["items_known"].any():
        parts.absent["alignment"] = (
            "Nothing is known about the weekly sales-marketing checklist of the key targets: "
            "add linkedin_connected, newsletter and last_engaged to contacts.csv, or give a "
            "checklist_file (account_id and yes/no columns "
            f"{_join(list(ALIGNMENT_ITEMS))})."
        )
        return
    names = cards.set_index("account_id")["account_name"]
    table.insert(1, "account_name", table["account_id"].map(names))
    table = table.sort_values(["readiness", "account_id"], na_position="first", kind="stable")
    parts.tables["alignment"] = table.reset_index(drop=True)
    mean = analysis.finite_or_none(table["readiness"].mean())
    parts.metrics["alignment_readiness_mean"] = mean
    sources = []
    if contacts is not None:
        sources.append("contacts")
    if checklist is not None:
        sources.append(f"the checklist file {path.name if path else ''}".strip())
    parts.notes["alignment"] = (
        f"{len(table):,} key targets (Tier 1 and Global); on average "
        + (f"{mean:.0%}" if mean is not None else "none")
        + f" of the known checklist items hold (items read from {_join(sources)}; the rest "
        "stay unknown)."
    )


def _rule_text(name: str, value: float) -> str:
    """A threshold as people read it: shares as percentages, counts with separators."""
    if name in ("t1", "t2", "t3", "price_ratio_min"):
        return f"{value:.1%}".replace(".0%", "%")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _param_assumptions(
    params: Params, rules: Rules, from_file: Mapping[str, Any], currency: str = ""
) -> list[analysis.Assumption]:
    out = []
    for name, label in _RULE_PARAMS.items():
        shown = _rule_text(name, getattr(rules, name))
        if name in from_file:
            out.append(analysis.Assumption(name, label, shown, "rules file"))
        else:
            out.append(
                analysis.assume(params, name, label, shown=shown, note="scorecard threshold")
            )
    for name, label in _RULE_BUILT_IN.items():
        out.append(
            analysis.Assumption(
                name,
                label,
                _rule_text(name, getattr(rules, name))
                if name != "prior_spend_min"
                else analysis.format_value(rules.prior_spend_min, "money", currency),
                "rules file" if name in from_file else "built in",
                "set it in a rules file",
            )
        )
    if rules.weights != Rules().weights:
        out.append(
            analysis.Assumption(
                "weights",
                "Weights of the boxes in the score",
                ", ".join(f"{k} {v:g}" for k, v in rules.weights.items()),
                "rules file",
            )
        )
    out.append(
        analysis.assume(
            params,
            "team_selling_hours_per_week",
            "Selling hours of the whole team per week",
            shown=f"{params.team_selling_hours_per_week:,.0f}",
            note="split over the tiers by the time shares",
        )
    )
    for tier in ("T1", "T2", "T3", "Global"):
        name = f"time_share_{tier.lower()}"
        lo, hi = TIME_SHARES[tier]
        out.append(
            analysis.assume(
                params,
                name,
                f"Share of selling time for {'Tier ' + tier[1] if tier != 'Global' else 'Global'}",
                shown=f"{getattr(params, name):.1%}",
                note=f"the source's range is {lo:.0%}-{hi:.0%}; shares are rescaled to 100% "
                "over the tiers that have accounts",
            )
        )
    out.append(
        analysis.Assumption(
            "time_share_t4",
            "Share of selling time for Tier 4",
            "0%",
            "built in",
            "the source: hand Tier 4 to marketing automation (nurture)",
        )
    )
    out.append(
        analysis.Assumption(
            "served_band",
            "Under- / over-served",
            "below 0.5x / above 1.5x the planned hours",
            "built in",
            "per account, logged hours per week against the plan",
        )
    )
    out.append(
        analysis.assume(
            params,
            "t3_turnover_max",
            "Most of Tier 3 that may turn over in a quarter",
            shown=f"{params.t3_turnover_max:.0%}",
            note="common account-based practice, not the source material's teaching",
        )
    )
    out.append(
        analysis.Assumption(
            "tier12_stable",
            "Tier 1 and 2 accounts stay in place for",
            "a year (four quarters)",
            "built in",
            "common account-based practice, not the source material's teaching",
        )
    )
    out.append(
        analysis.Assumption(
            "contacts_target",
            "Named contacts per account",
            f"at least {_MIN_CONTACTS}, aim for {_TARGET_CONTACTS}",
            "built in",
            "the source's 5 to 10, across several departments",
        )
    )
    out.append(
        analysis.Assumption(
            "engaged_days",
            "A contact engaged recently",
            "in the last 90 days",
            "built in",
            "alignment item email_engaged_90d",
        )
    )
    out.append(
        analysis.Assumption(
            "sensitivity_step", "Threshold move in the sensitivity table", "10%", "built in"
        )
    )
    return out


def _names_list(names: Sequence[str], *, most: int = 5) -> str:
    """``A, B and C``; over ``most + 1`` names: the first ``most`` "and 3 more"."""
    names = [str(n) for n in names]
    if len(names) > most + 1:
        return ", ".join(names[:most]) + f" and {len(names) - most:,} more"
    return _join(names)


def _headline(parts: _Parts, window: Window) -> tuple[analysis.KPI, ...]:
    """Five or six headline figures; a figure the data cannot give is None with the reason."""
    m, absent = parts.metrics, parts.absent
    n = m.get("accounts") or 0
    scored = (m.get("accounts_scored") or 0) - (m.get("Global") or 0)
    no_tiers = (
        "No account can be tiered by its boxes yet: see what to add under Not shown."
        if n
        else "The accounts table has no rows."
    )
    short = {
        _NO_ACTIVITIES: "No activities table: add activities.csv.",
        _NO_CONTACTS: "No contacts table: add contacts.csv.",
    }

    def why(name: str) -> str:
        text = absent.get(name, "")
        return short.get(text, no_tiers if scored <= 0 else text)

    actual, plan = m.get("share_time_on_tier1_actual"), m.get("share_time_on_tier1_planned")
    shares = m.get("actual_share_by_tier") or {}
    out = [
        analysis.KPI(
            "Tier 1 share of logged time",
            actual,
            "percent",
            f"plan {plan:.0%}; time logged in {window.label}"
            if actual is not None and plan is not None
            else why("time_by_tier"),
        ),
        analysis.KPI(
            "Tier 1 accounts",
            m.get("T1") if scored > 0 else None,
            "count",
            (
                f"of {n:,} accounts"
                + (f"; {m['Global']:,} more are Global" if m.get("Global") else "")
            )
            if scored > 0
            else no_tiers,
        ),
        analysis.KPI(
            "Tier 4, for marketing to nurture",
            m.get("T4") if scored > 0 else None,
            "count",
            (
                f"they took {shares['T4']:.0%} of logged time, planned 0%"
                if "T4" in shares
                else "accounts that fail most boxes"
            )
            if scored > 0
            else no_tiers,
        ),
        analysis.KPI(
            "Accounts under-served",
            m.get("accounts_under_served"),
            "count",
            "logged under half their planned hours"
            if m.get("accounts_under_served") is not None
            else why("served"),
        ),
        analysis.KPI(
            "Key targets with under 5 contacts",
            m.get("key_accounts_below_5_contacts") if m.get("key_targets") else None,
            "count",
            f"of {m.get('key_targets'):,} Tier 1 and Global accounts"
            if m.get("key_targets") and m.get("key_accounts_below_5_contacts") is not None
            else (short.get(absent.get("names", "")) or absent.get("names"))
            or "No account is Tier 1 or Global, so there are no key targets.",
        ),
        analysis.KPI(
            "Scorecard boxes known",
            m.get("boxes_known_share"),
            "percent",
            "of 6 boxes x every account; unknown boxes count neither way"
            if m.get("boxes_known_share") is not None
            else absent.get("box_data", ""),
        ),
    ]
    return tuple(out)


def _actions(parts: _Parts, window: Window, add: str) -> tuple[str, ...]:
    """The top actions: time to Tier 1, tier moves, the nurture hand-off (or how to score)."""
    m, tables = parts.metrics, parts.tables
    out = []
    if m.get("accounts") and m.get("accounts_scored") == 0:
        out.append(f"Score the accounts before planning time by tier: {add}.")
    actual, plan = m.get("share_time_on_tier1_actual"), m.get("share_time_on_tier1_planned")
    served = tables.get("served")
    if actual is not None and plan and actual < 0.75 * plan and served is not None:
        t1 = served[(served["tier"] == "T1") & (served["served"] == "under-served")]
        text = (
            f"Shift selling time to Tier 1: it got {actual:.0%} of the time logged in "
            f"{window.label} against a plan of {plan:.0%}"
        )
        if len(t1):
            text += (
                f"; start with the {len(t1):,} under-served Tier 1 account"
                f"{'s' * (len(t1) != 1)}, least time first: "
                + _names_list(t1["account_name"].fillna(t1["account_id"]).tolist())
            )
        out.append(text + ".")
    moves = tables.get("tier_moves")
    if moves is not None and len(moves):
        before = parts.extras.get("tier_moves_before", "the quarter before")
        said = []
        for way in ("up", "down"):
            part = moves[moves["move"] == way]
            if len(part):
                named = [
                    f"{r.account_name} {r.tier_before} → {r.tier_now}" for r in part.itertuples()
                ]
                said.append(f"{len(part):,} {way} ({_names_list(named, most=3)})")
        out.append(
            f"Move accounts to their new tier since {before}: {' and '.join(said)}; update the "
            "account lists and the time plan."
        )
    nurture = tables.get("nurture_list")
    if nurture is not None and len(nurture):
        shares = m.get("actual_share_by_tier") or {}
        took = f" (they took {shares['T4']:.0%} of logged time)" if shares.get("T4") else ""
        out.append(
            f"Hand the {len(nurture):,} Tier 4 account{'s' * (len(nurture) != 1)} to "
            f"marketing's nurture campaign{took}: "
            + _names_list(nurture["account_name"].fillna(nurture["account_id"]).tolist())
            + "."
        )
    return tuple(out[:4])


@analysis.remembered
def analyze(data: DataSet, params: Params) -> TieringAnalysis:
    """Account tiering over one data set: scorecard, tiers, time plan, churn, names, alignment.

    Needs an accounts table (else :class:`salesnb.analysis.NotAnalysable`); everything
    else is optional and a section the data cannot support is listed in ``absent`` with
    the reason. Reads the rules, checklist and history files the parameters name.
    """
    analysis.require(data, CORE, "account tiering")
    per = analysis.periods(data, params)
    window = per.window
    opps = data.tables.get("opportunities")
    rules, from_file = _rules(params, opps)
    parts = _Parts()
    cards, scored_accounts, spend, add = _scorecard_section(
        parts, data, params, per, rules, from_file
    )
    _sensitivity_section(parts, scored_accounts, cards, rules, window.end.year, add)
    plan = _time_section(parts, data, params, cards, window, add)
    _churn_section(parts, params, per, data.tables["accounts"], rules, spend, add)
    _nurture_section(parts, cards, add)
    contacts = _names_section(parts, data, cards, add)
    _coverage_section(parts, contacts, cards, add)
    _alignment_section(parts, params, contacts, cards, window.end, add)
    if len(cards):
        parts.tables["priorities"] = priority_list(cards, plan)
    if (
        opps is not None
        and "deal_size" not in from_file
        and not any(row[0] == "opportunities" for row in parts.coverage)
    ):
        won = (
            opps["outcome"].eq("won").fillna(False).astype(bool)
            if "outcome" in opps
            else pd.Series(False, index=opps.index)
        )
        parts.coverage.append(
            (
                "opportunities",
                len(opps),
                int((won & opps["amount"].notna()).sum()),
                {
                    "not won (our deal size is the median won deal)": int((~won).sum()),
                    "won without amount": int((won & opps["amount"].isna()).sum()),
                },
            )
        )
    missing = [t for t in ("contacts", "activities") if not data.has(t)]
    if missing and len(parts.findings) < 3:
        parts.findings.append(
            (
                6,
                f"Without {_join([t + '.csv' for t in missing])}, "
                + _join(
                    (["named contacts per account"] if "contacts" in missing else [])
                    + (["the time reps log against the plan"] if "activities" in missing else [])
                )
                + " cannot be checked: add "
                + ("them" if len(missing) > 1 else "it")
                + " to the data set.",
            )
        )
    findings = [s for _, s in sorted(parts.findings, key=lambda f: f[0])][:5]
    return TieringAnalysis(
        params=params,
        periods=per,
        currency=params.currency or data.settings.currency,
        tables=parts.tables,
        notes=parts.notes,
        absent=parts.absent,
        metrics=parts.metrics,
        findings=tuple(findings),
        assumptions=tuple(
            _param_assumptions(params, rules, from_file, params.currency or data.settings.currency)
            + parts.assumptions
        ),
        coverage=analysis.coverage(data, window, parts.coverage),
        extras={"rules": rules, **parts.extras},
        headline=_headline(parts, window),
        actions=_actions(parts, window, add),
    )


# --------------------------------------------------------------------------- plots
def plot_tier_mix(cards: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Accounts per tier."""
    ax = get_ax(ax)
    counts = cards["tier"].value_counts().reindex(list(TIERS), fill_value=0)
    colors = [
        HIGHLIGHT if t == "T1" else PALETTE[0] if t == "Global" else MUTED for t in counts.index
    ]
    ax.bar(counts.index, counts.to_numpy(), color=colors)
    for x, v in enumerate(counts.to_numpy()):
        ax.annotate(str(v), (x, v), ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("accounts")
    integer_axis(ax, "y")
    n = len(cards)
    if n and counts["unscored"] == n:
        ax.set_title(f"None of {n} accounts can be scored yet")
    else:
        ax.set_title(f"{counts['T1']} Tier 1 and {counts['Global']} Global accounts of {n}")
    return ax


def plot_time(tiers_time: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Planned vs logged share of selling time per tier."""
    ax = get_ax(ax)
    x = np.arange(len(tiers_time))
    planned = tiers_time["planned_share"].fillna(0).to_numpy(dtype=float)
    logged = tiers_time["actual_share"].fillna(0).to_numpy(dtype=float)
    ax.bar(x - 0.2, planned, width=0.4, color=MUTED, label="planned")
    ax.bar(
        x + 0.2, logged, width=0.4, color=HIGHLIGHT, label="logged", hatch="//", edgecolor="white"
    )
    for xi, p, v in zip(x, planned, logged, strict=True):
        ax.annotate(f"{p:.0%}", (xi - 0.2, p), ha="center", va="bottom", fontsize=8)
        ax.annotate(f"{v:.0%}", (xi + 0.2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [str(t) for t in tiers_time["tier"]])
    ax.set_ylim(0, max(planned.max(initial=0), logged.max(initial=0)) * 1.15 or 1)
    percent_axis(ax)
    t = tiers_time.set_index("tier")
    if "T1" in t.index:
        ax.set_title(
            f"Tier 1 gets {t.loc['T1', 'actual_share']:.0%} of logged time, "
            f"plan {t.loc['T1', 'planned_share']:.0%}"
        )
    else:
        ax.set_title("Planned and logged share of selling time per tier")
    ax.legend()
    return ax


def plot_coverage(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Heat map of contacts per account and department."""
    import seaborn as sns

    if matrix.empty or matrix.shape[1] == 0:
        raise DataError("the coverage matrix is empty: there is no account or department to draw")
    ax = get_ax(ax, figsize=(8, max(3.0, 0.22 * len(matrix) + 1)))
    sns.heatmap(
        matrix.astype(int),
        ax=ax,
        cmap="Blues",
        cbar=True,
        cbar_kws={"label": "named contacts", "shrink": 0.6, "pad": 0.02},
        annot=True,
        fmt="d",
        linewidths=0.5,
        xticklabels=[str(c) for c in matrix.columns],
        yticklabels=[str(i) for i in matrix.index],
    )
    empty = int((matrix == 0).sum().sum())
    ax.set_title(f"{empty} account-department cells have no contact")
    ax.set_xlabel("department")
    ax.set_ylabel("")
    return ax


def plot_sensitivity(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Accounts that change tier per threshold change."""
    ax = get_ax(ax, figsize=(8, 0.3 * len(summary) + 1.2))
    names = summary["threshold"] if "threshold" in summary else summary["change"]
    ax.barh([str(c) for c in names], summary["accounts_changed"], color=PALETTE[0])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("accounts that change tier")
    top = summary.loc[summary["accounts_changed"].idxmax()] if len(summary) else None
    if top is not None:
        moved = int(top["accounts_changed"])
        ax.set_title(f"{names[top.name]}: {moved} account{'s' * (moved != 1)} change tier")
    return ax


TieringAnalysis.charts = {
    "tier_mix": analysis.Chart(
        ("scorecard",), lambda a, ax: plot_tier_mix(a.tables["scorecard"], ax=ax)
    ),
    "sensitivity": analysis.Chart(
        ("sensitivity",), lambda a, ax: plot_sensitivity(a.tables["sensitivity"], ax=ax)
    ),
    "time": analysis.Chart(
        ("time_by_tier",), lambda a, ax: plot_time(a.tables["time_by_tier"], ax=ax)
    ),
    "coverage": analysis.Chart(
        ("coverage_matrix",), lambda a, ax: plot_coverage(a.tables["coverage_matrix"], ax=ax)
    ),
}

_ACCOUNT = {"account_id": "id", "account_name": "text", "tier": "text"}
_ACCOUNT_LABELS = {"account_name": "Account", "tier": "Tier"}
TieringAnalysis.specs = {
    "box_data": analysis.TableSpec(
        "What the scorecard can know: each box and its data",
        columns={
            "box": "text",
            "checked_when": "text",
            "data_from": "text",
            "accounts_known": "count",
            "known_share": "percent",
            "accounts_checked": "count",
            "checked_share": "percent",
        },
        labels={
            "checked_when": "Checked when",
            "data_from": "Read from",
            "known_share": "Accounts known",
            "checked_share": "Checked, of known",
        },
    ),
    "scorecard": analysis.TableSpec(
        "The scorecard, Tier 1 first",
        columns={
            **_ACCOUNT,
            **{f"box_{b}": "bool" for b in BOXES},
            "boxes_known": "count",
            "boxes_checked": "count",
            "share_checked": "percent",
            "score": "percent",
            "reason": "text",
        },
        labels={
            **_ACCOUNT_LABELS,
            **{f"box_{b}": _BOX_TEXT[b].capitalize() for b in BOXES},
            "share_checked": "Checked, of known",
            "score": "Weighted score",
            "reason": "Why this tier",
        },
        source="Every account in the export account_priorities.",
    ),
    "sensitivity": analysis.TableSpec(
        "Accounts that change tier when one threshold moves by 10%",
        columns={
            "change": "text",
            "threshold": "text",
            "parameter": "text",
            "accounts_changed": "count",
            "moves": "text",
        },
        labels={"threshold": "Threshold move", "accounts_changed": "Accounts that change tier"},
    ),
    "sensitivity_moves": analysis.TableSpec(
        "The accounts each threshold move changes",
        columns={**_ACCOUNT, "change": "text", "from": "text", "to": "text"},
        labels={**_ACCOUNT_LABELS, "from": "From tier", "to": "To tier"},
    ),
    "time_plan": analysis.TableSpec(
        "The time plan per tier",
        columns={
            "tier": "text",
            "accounts": "count",
            "share_set": "percent",
            "planned_share": "percent",
            "hours_per_week": "number",
            "hours_per_account": "number",
        },
        labels={
            "tier": "Tier",
            "share_set": "Share set",
            "planned_share": "Share planned",
            "hours_per_week": "Hours a week",
            "hours_per_account": "Hours a week per account",
        },
        source="Share planned: the shares set, rescaled to 100% over the tiers that have accounts.",
    ),
    "time_by_tier": analysis.TableSpec(
        "Planned and logged selling time per tier",
        columns={
            "tier": "text",
            "accounts": "count",
            "planned_hours": "number",
            "actual_hours": "number",
            "planned_share": "percent",
            "actual_share": "percent",
        },
        labels={
            "tier": "Tier",
            "planned_hours": "Planned hours a week",
            "actual_hours": "Logged hours a week",
            "planned_share": "Share planned",
            "actual_share": "Share logged",
        },
    ),
    "served": analysis.TableSpec(
        "Accounts with the least logged time against their plan, Tier 1 first",
        columns={
            **_ACCOUNT,
            "hours_per_week": "number",
            "actual_hours_per_week": "number",
            "served": "text",
        },
        labels={
            **_ACCOUNT_LABELS,
            "hours_per_week": "Planned hours a week",
            "actual_hours_per_week": "Logged hours a week",
            "served": "Served",
        },
        source="Under-served: under half the planned hours; over-served: over 1.5 times.",
    ),
    "tier_churn": analysis.TableSpec(
        "Tier 3 turnover per quarter",
        columns={
            "quarter": "text",
            "t3_before": "count",
            "left_t3": "count",
            "turnover_share": "percent",
            "too_high": "bool",
        },
        labels={
            "t3_before": "Tier 3 the quarter before",
            "left_t3": "Left Tier 3",
            "turnover_share": "Turnover",
            "too_high": "Above the limit",
        },
    ),
    "churn_flagged": analysis.TableSpec(
        "Tier 1 and 2 accounts that changed tier within the year",
        columns={"account_id": "id", "account_name": "text"},
        labels={"account_name": "Account"},
    ),
    "tier_moves": analysis.TableSpec(
        "Accounts that move up or down a tier",
        columns={
            **_ACCOUNT,
            "tier_before": "text",
            "tier_now": "text",
            "move": "text",
        },
        labels={
            **_ACCOUNT_LABELS,
            "tier_before": "Tier last quarter",
            "tier_now": "Tier now",
            "move": "Move",
        },
    ),
    "nurture_list": analysis.TableSpec(
        "Tier 4: hand to marketing's nurture campaign",
        columns={
            "account_id": "id",
            "account_name": "text",
            "boxes_known": "count",
            "boxes_checked": "count",
            "fails": "text",
        },
        labels={"account_name": "Account", "fails": "Boxes it fails"},
        source="Full list in the export nurture_list.",
    ),
    "names": analysis.TableSpec(
        "Named contacts per account, key targets first",
        columns={
            **_ACCOUNT,
            "contacts": "count",
            "departments": "count",
            "single_threaded": "bool",
            "has_decision_maker": "bool",
            "linkedin_share": "percent",
            "below_minimum": "bool",
            "gap_to_target": "count",
        },
        labels={
            **_ACCOUNT_LABELS,
            "contacts": "Named contacts",
            "single_threaded": "One contact only",
            "has_decision_maker": "Decision maker known",
            "linkedin_share": "Connected on LinkedIn",
            "below_minimum": "Under 5 contacts",
            "gap_to_target": "Contacts to add (to 10)",
        },
    ),
    "coverage_matrix": analysis.TableSpec(
        "Named contacts per key target and department",
    ),
    "alignment": analysis.TableSpec(
        "The weekly sales and marketing checklist, least ready first",
        columns={
            "account_id": "id",
            "account_name": "text",
            **dict.fromkeys(ALIGNMENT_ITEMS, "bool"),
            "items_known": "count",
            "readiness": "percent",
        },
        labels={
            "account_name": "Account",
            "social_connected": "Connected on social",
            "email_newsletter": "On the newsletter",
            "email_engaged_90d": "Engaged in 90 days",
            "content_mentions": "Content about them",
            "website_visits": "Visited our website",
            "exec_outreach": "Executive outreach",
            "items_known": "Items known",
            "readiness": "Readiness",
        },
        source="Readiness: the share of known items that hold. Full checklist in the export "
        "alignment_checklist.",
    ),
    "priorities": analysis.TableSpec(
        "The prioritised account list, with the hours a week each account should get",
        columns={
            **_ACCOUNT,
            "boxes_checked": "count",
            "boxes_known": "count",
            "score": "percent",
            "reason": "text",
            "recommended_hours_per_week": "number",
        },
        labels={
            **_ACCOUNT_LABELS,
            "score": "Weighted score",
            "reason": "Why this tier",
            "recommended_hours_per_week": "Hours a week",
        },
        source="Every account in the export account_priorities.",
    ),
}


# --------------------------------------------------------------------------- training (issue 14)
EXERCISE_T2 = 0.8  # exercise 2 raises the Tier 2 threshold here
EXERCISE_EXTRA_HOURS = 60.0  # exercise 4: two more reps at 30 selling hours a week
_PRIORITY_COLUMNS = [
    "account_name",
    "tier",
    "boxes_checked",
    "boxes_known",
    "score",
    "recommended_hours_per_week",
]


def _promotion_candidates(cards: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Tier 2 accounts closest to Tier 1 by the exercise's rubric, with every tie of the k-th:
    the highest share of known boxes checked, then bought from us, then the most boxes known."""
    t2 = cards[cards["tier"] == "T2"].assign(
        _spend=cards["box_prior_spend"].astype("boolean").fillna(False).astype(int)
    )
    if len(t2) < k:
        return t2.iloc[0:0]
    keys = ["share_checked", "_spend", "boxes_known"]
    t2 = t2.sort_values([*keys, "account_id"], ascending=[False, False, False, True])
    edge = tuple(t2[keys].iloc[k - 1])
    return t2[[tuple(row) >= edge for row in t2[keys].itertuples(index=False)]]


def exercises(data: DataSet, params: Params, a: TieringAnalysis) -> dict[str, Any]:
    """The notebook's exercises: exercise number -> ``training.Answer``, computed from the data.

    1. parameter: how many accounts are Tier 2 when its threshold is :data:`EXERCISE_T2`;
    2. predict: how many Tier 1 accounts got no logged time in the quarter (needs activities);
    3. judgement: three Tier 2 accounts to move to Tier 1 (rubric: the highest share of known
       boxes checked, then bought from us, then the most boxes known; ties pass);
    4. scenario: Tier 1 hours a week per account when the team gains
       :data:`EXERCISE_EXTRA_HOURS` selling hours.

    An exercise the data cannot answer keeps its place with no value, and its check says so.
    Pure: exercises 1 and 4 redo, on ``a``'s scorecard, the steps of :func:`analyze` that the
    changed parameter reaches (the tiers; the time plan), not the whole analysis.
    """
    from . import training

    # 2 predict
    served = a.table("served")
    t1 = served[served["tier"] == "T1"] if served is not None else served
    idle = int(t1["actual_hours_per_week"].fillna(0).eq(0).sum()) if t1 is not None else None
    key: dict[str, Any] = {
        "2": training.Answer(
            idle if t1 is not None and len(t1) else None,
            kind="guess",
            of="count",
            hint="A guess: a number of Tier 1 accounts.",
            explain=f"{idle} of {0 if t1 is None else len(t1)} Tier 1 accounts got no logged "
            f"time in {a.window.label}: time drifts to the accounts reps find comfortable.",
        )
    }
    # 1 parameter
    cards = a.table("scorecard")
    scored = cards is not None and bool(cards["tier"].isin(["T1", "T2", "T3", "T4"]).any())
    n = None
    if scored and params.t3 <= EXERCISE_T2:
        try:  # the rules analyze would use (a rules file still wins over the parameter)
            rules, _ = _rules(replace(params, t2=EXERCISE_T2), data.tables.get("opportunities"))
        except DataError:  # a rules file whose thresholds do not fit
            n = None
        else:  # thresholds move tiers, never boxes: re-tier the scorecard as it stands
            known = cards["boxes_known"]
            share = (cards["boxes_checked"] / known.where(known > 0)).fillna(0.0)
            n = int((_tiers(cards["tier"].eq("Global"), known, share, rules) == "T2").sum())
    key["1"] = training.Answer(
        None if n is None else int(n),
        kind="count",
        hint=f"Move the Tier 2 threshold to {EXERCISE_T2:.0%} (the slider, or the t2 parameter) "
        "and read the tier chart.",
        explain=f"With Tier 2 at {EXERCISE_T2:.0%} of the known boxes, {n} accounts stay in "
        f"Tier 2 (against {a.metrics.get('T2')}): with six boxes known, four checked is no "
        "longer enough, and those accounts drop to Tier 3.",
    )
    key = dict(sorted(key.items()))
    # 3 judgement
    ok = list(_promotion_candidates(cards)["account_name"].astype(str)) if scored else []
    key["3"] = training.Answer(
        ok[:3],
        kind="pick",
        k=3,
        any_of=tuple(ok[3:]),
        hint="Rubric: Tier 2 accounts closest to Tier 1 (the highest share of known boxes "
        "checked), that have bought from us, with the most boxes known. The priority list "
        "(export account_priorities) ranks Tier 2 by score; its reason names the box missing.",
        explain=f"{len(ok)} Tier 2 accounts fit the rubric equally well, {_join(ok[:3])} among "
        "them: argue from the box each one misses whether the threshold or the data is wrong.",
    )
    # 4 scenario
    plan = a.table("time_plan")
    each = None
    hours = params.team_selling_hours_per_week + EXERCISE_EXTRA_HOURS
    if plan is not None and int(plan.loc[plan["tier"] == "T1", "accounts"].sum()):
        more = time_plan(cards, hours_per_week=hours, shares=params.time_shares())
        each = float(more.loc[more["tier"] == "T1", "hours_per_account"].iloc[0])
    key["4"] = training.Answer(
        each,
        kind="number",
        tolerance=0.05,
        hint=f"The time plan splits the team's hours by the tiers' shares, then evenly inside "
        f"each tier: redo it for {hours:g} hours a week (within 0.05 hours).",
        explain=f"With {hours:g} team hours a week each Tier 1 account gets {each or 0:.2f} hours; "
        "the Global accounts get their share too, worked steadily, not first.",
    )
    return key


def _rescored(cards: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """The scorecard with ``score`` recomputed from its box columns under ``weights``
    (as :func:`scorecard` computes it; tiers do not depend on weights)."""
    boxes = cards[[f"box_{b}" for b in BOXES]].set_axis(list(BOXES), axis=1)
    w = pd.Series(weights).reindex(list(BOXES)).fillna(1.0)
    weighted = boxes.astype("Float64").fillna(0).mul(w, axis=1).sum(axis=1)
    known_weight = boxes.notna().astype(float).mul(w, axis=1).sum(axis=1)
    score = (weighted / known_weight.where(known_weight > 0)).astype(float).fillna(0.0).round(4)
    return cards.assign(score=score)


def weights_view(a: TieringAnalysis, *, rows: int = 15) -> Callable[..., Any]:
    """The render function of the notebook's live box weights: ``render(website=1.0, ...)``
    shows the priority list with each account's score recomputed under those weights (a box
    weighted 2 counts twice; tiers use the unweighted share and do not move). At the weights
    the analysis used it shows the analysis's own list."""
    rules: Rules = a.extras.get("rules", Rules())

    def render(**weights: float) -> Any:
        from . import notebook

        cards = a.table("scorecard")
        current = {b: float(rules.weights.get(b, 1.0)) for b in BOXES}
        given = {b: float(weights.get(b, current[b])) for b in BOXES}
        if cards is None or "priorities" not in a.tables or given == current:
            return notebook.show(a, "priorities", rows=rows, columns=_PRIORITY_COLUMNS)
        plan = a.tables["priorities"].rename(
            columns={"recommended_hours_per_week": "hours_per_week"}
        )
        table = priority_list(_rescored(cards, given), plan)
        b = replace(a, tables={**a.tables, "priorities": table})
        return notebook.show(b, "priorities", rows=rows, columns=_PRIORITY_COLUMNS)

    return render
