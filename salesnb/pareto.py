"""Pareto (80/20), fractal and chained: how concentrated a book of business really is.

One entry point, :func:`analyze` (data set + :class:`Params` -> :class:`ParetoAnalysis`);
compute functions take tables and return new tables (no I/O, no printing); ``plot_*``
functions draw a table a compute function made and return the Axes. Revenue per account
comes from :func:`salesnb.sources.revenue_by`: net order lines (credits count negative),
else won opportunities at their close date.

Conventions: the top ``p`` of ``n`` entities is ``k = ceil(p * n)`` over the entities
with a positive value; shares are fractions in [0, 1]; ties are broken by id so that
results are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import analysis
from .dataset import DataSet, connect
from .dataset.aggregates import cases_by_account, cases_opened, revenue_by, revenue_line_counts
from .dataset.deals import on_frames
from .periods import Window
from .pipeline import with_outcomes
from .schema import DataError, UsageError
from .theme import (
    HIGHLIGHT,
    MUTED,
    PALETTE,
    fit_ticks,
    format_money,
    get_ax,
    integer_axis,
    money_axis,
    percent_axis,
)

__all__ = [
    "CORE",
    "LEVELS",
    "THEORY",
    "TOP_GROUP",
    "VERDICT_BANDS",
    "Params",
    "ParetoAnalysis",
    "analyze",
    "band",
    "chained",
    "commission_table",
    "complaints_ranking",
    "complaints_table",
    "concentration",
    "exercises",
    "fractal_levels",
    "gini",
    "headline",
    "herfindahl",
    "measures",
    "movement",
    "plot_complaints",
    "plot_fractal",
    "plot_lorenz",
    "plot_pareto",
    "share_for",
    "time_plan",
    "top_k",
    "verdict",
    "vital_list",
]

CORE: tuple[str, ...] = ("orders", "opportunities")  # revenue: order lines, else won deals
THEORY = 0.8  # the rule's share at each level: 80%, 64%, 51.2% ...
LEVELS = 3  # fractal levels shown: top 20%, 4%, 0.8%
TOP_GROUP = 0.2  # the "top group" of the movement and complaints sections

# How "Pareto" a book is, read from the share of revenue the top 20% of accounts hold:
# (lowest share of the band, band key, words). The first band whose edge the share reaches.
VERDICT_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.80, "steeper", "as steep as the 80/20 rule or steeper"),
    (0.70, "close", "close to 80/20"),
    (0.50, "flatter", "flatter than 80/20"),
    (0.00, "far_flatter", "far flatter than 80/20: revenue is spread fairly evenly"),
)
_FEW_ACCOUNTS = 10  # below this many accounts the top 20% is one or two accounts: say so


# --------------------------------------------------------------------------- parameters and result
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The Pareto notebook's parameters (less data_dir, output_dir, redact)."""

    window_kind: str = "quarter"  # "quarter" or "ttm"
    cutoff: float = 0.8  # cumulative share of revenue that makes the vital few
    weekly_selling_hours: float = 30.0  # selling hours per week for the time plan
    focus_share: float = 0.8  # share of selling time planned for the vital few
    history_file: str = ""  # the review's history store (DuckDB); set by salesnb review
    history_key: str = ""  # the data set's key in the history store


@dataclass(frozen=True, kw_only=True)
class ParetoAnalysis(analysis.Analysis):
    """Concentration, fractal levels, movement, the commission chain and complaints.

    Tables: ``ranking``, ``fractal``, ``movement``, ``chain_products``, ``vital_few``,
    ``time_plan``, ``complaints`` (each absent with a reason when the data cannot give it).
    Notes (one sentence per section, keyed like the section): ``ranking`` (the verdict),
    ``revenue`` (which lines were used), ``fractal``, ``lorenz`` (the measures),
    ``movement``, ``chain_products``, ``complaints``. Charts: ``pareto``, ``lorenz``,
    ``fractal``, ``complaints``.
    """

    methodology: ClassVar[str] = "pareto"

    def spec(self, name: str) -> analysis.TableSpec | None:
        """How table ``name`` is shown; the product ranking says when it is by revenue."""
        found = super().spec(name)
        if found and name == "chain_products" and self.metrics.get("commission_basis") == "revenue":
            return replace(
                found,
                title="Products ranked by revenue (no product has a commission rate)",
                source="Full list in the export products_ranked.",
            )
        return found


# --------------------------------------------------------------------------- compute
def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{what} needs column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}"
        )


def _before(table: pd.DataFrame) -> pd.Series:
    """Cumulative share held by the entities ranked above each one."""
    return (table["cum_share"] - table["share"]).round(12)


def top_k(n: int, share: float) -> int:
    """How many of ``n`` entities make the top ``share``: ceil(share * n), at least 1 when n > 0."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    return min(n, max(1, math.ceil(round(share * n, 9)))) if n else 0


def concentration(
    df: pd.DataFrame,
    *,
    by: str = "account_id",
    value: str = "revenue",
    abc: tuple[float, float] = (0.8, 0.95),
) -> pd.DataFrame:
    """One row per ``by`` with a positive, finite summed ``value``, ranked, with shares and ABC class.

    Parameters
    ----------
    df
        Rows to sum (one or more per entity).
    by, value
        Entity column and value column.
    abc
        Cumulative-share limits of classes A and B (C is the rest).

    Returns
    -------
    DataFrame
        ``by``, ``value``, ``rank`` (1 = largest), ``share``, ``cum_share``,
        ``entity_share`` (rank / n) and ``abc``. Entities whose sum is zero, negative or
        not finite are left out.

    Example
    -------
    >>> concentration(pd.DataFrame({"account_id": ["a", "b"], "revenue": [3.0, 1.0]}))["cum_share"].tolist()
    [0.75, 1.0]
    """
    _require(df, [by, value], "concentration")
    # an aggregate (one row per entity) needs no second grouping
    unique = df[by].is_unique
    totals = df[[by, value]] if unique else df.groupby(by, sort=False)[value].sum().reset_index()
    amounts = pd.to_numeric(totals[value], errors="coerce").astype(float)
    totals = totals[np.isfinite(amounts) & (amounts > 0)]
    order = totals.sort_values([value, by], ascending=[False, True], kind="stable")
    total = order[value].sum()
    n = len(order)
    out = order.assign(
        rank=np.arange(1, n + 1),
        share=(order[value] / total) if n else pd.Series(dtype=float),
    )
    out["cum_share"] = out["share"].cumsum().round(12)  # 0.5 + 0.2 + 0.1 must reach 0.8
    out["entity_share"] = out["rank"] / max(n, 1)
    previous = _before(out)  # an entity is A if the A limit was not yet reached
    out["abc"] = np.select([previous < abc[0], previous < abc[1]], ["A", "B"], default="C")
    return out.reset_index(drop=True)


def fractal_levels(table: pd.DataFrame, *, levels: int = LEVELS, base: float = 0.2) -> pd.DataFrame:
    """Actual share held by the top 20%, 4%, 0.8% ... beside the theoretical 80 / 64 / 51.2%.

    ``table`` is a :func:`concentration` result.

    Returns
    -------
    DataFrame
        ``level``, ``entity_share`` (0.2, 0.04 ...), ``accounts`` (k = ceil(share x n)),
        ``n``, ``actual_share``, ``theoretical_share``, ``share_gap`` (actual - theory) and
        ``note``: "single account" when k is 1, "same accounts as the level above" when k
        equals the level above's k (so the level adds nothing).
    """
    _require(table, ["share"], "fractal_levels")
    n = len(table)
    rows = []
    above = None
    for i in range(1, levels + 1):
        p = base**i
        k = top_k(n, p)
        flags = []
        if k == 1:
            flags.append("single account")
        if above is not None and k == above:
            flags.append("same accounts as the level above")
        rows.append(
            {
                "level": i,
                "entity_share": p,
                "accounts": k,
                "n": n,
                "actual_share": float(table["share"].iloc[:k].sum()) if n else float("nan"),
                "theoretical_share": THEORY**i,
                "note": "; ".join(flags),
            }
        )
        above = k
    out = pd.DataFrame(rows)
    out.insert(6, "share_gap", out["actual_share"] - out["theoretical_share"])
    return out


def share_for(table: pd.DataFrame, target: float = 0.8) -> float:
    """Smallest k / n whose top-k entities hold at least ``target`` of the value (NaN when empty)."""
    _require(table, ["cum_share"], "share_for")
    if table.empty:
        return float("nan")
    return _k_for(table, target) / len(table)


def _level_shares(levels: pd.DataFrame) -> dict[float, float]:
    """Fractal levels as {entity share (0.2, 0.04, 0.008): share of value they hold}."""
    return dict(zip(levels["entity_share"].round(6), levels["actual_share"], strict=True))


def _k_for(table: pd.DataFrame, target: float) -> int:
    """Smallest k whose top-k entities hold at least ``target`` of the value."""
    if table.empty:
        return 0
    k = int(np.searchsorted(table["cum_share"].to_numpy(), target - 1e-12) + 1)
    return min(k, len(table))


def _positive(values: Sequence[float] | pd.Series) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x) & (x > 0)]


def gini(values: Sequence[float] | pd.Series) -> float:
    """Gini coefficient of the positive values (0 = all equal, towards 1 = one holds all)."""
    x = np.sort(_positive(values))
    n = len(x)
    if n == 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    # max(0, ...): no -2e-16 for equal values
    return max(0.0, float(2 * (ranks * x).sum() / (n * x.sum()) - (n + 1) / n))


def herfindahl(values: Sequence[float] | pd.Series) -> float:
    """Herfindahl-Hirschman index of the positive values: sum of squared shares (1/n to 1)."""
    x = _positive(values)
    return float(((x / x.sum()) ** 2).sum()) if len(x) else float("nan")


def measures(table: pd.DataFrame, *, cutoff: float = 0.8) -> dict[str, Any]:
    """Concentration measures of a :func:`concentration` table (None where undefined)."""
    n = len(table)
    return {
        "n": n,
        "total": float(table.iloc[:, 1].sum()) if n else 0.0,
        "gini": analysis.finite_or_none(gini(table["share"])) if n else None,
        "herfindahl": analysis.finite_or_none(herfindahl(table["share"])) if n else None,
        "share_for_cutoff": analysis.finite_or_none(share_for(table, cutoff)) if n else None,
    }


def band(share: float | None) -> tuple[str, str] | None:
    """The :data:`VERDICT_BANDS` band (key, words) of a top-20% share; None when unknown."""
    if share is None or not math.isfinite(share):
        return None
    for edge, key, words in VERDICT_BANDS:
        if share >= edge - 1e-12:
            return key, words
    return VERDICT_BANDS[-1][1], VERDICT_BANDS[-1][2]


_ADVICE = {
    "steeper": "Revenue rests on few accounts: focusing on them pays off, and losing one hurts.",
    "close": "Focusing the week on the vital few pays off here.",
    "flatter": (
        "The vital few matter, but the rest of the book carries a real share: check "
        "commission and effort before moving time away from it."
    ),
    "far_flatter": (
        "Picking the vital few by revenue alone saves little time; look at commission and effort too."
    ),
}


def verdict(levels: pd.DataFrame) -> str:
    """One sentence on how "Pareto" the book is, from the first fractal level (see VERDICT_BANDS)."""
    if levels.empty or pd.isna(levels["actual_share"].iloc[0]):
        return "There is no positive revenue in this window, so there is nothing to rank."
    first = levels.iloc[0]
    actual, theory, p = first["actual_share"], first["theoretical_share"], first["entity_share"]
    k, n = int(first["accounts"]), int(first["n"])
    if n == 1:
        return (
            "Only one account has positive revenue in this window: it holds all of it, "
            "so there is no spread to measure."
        )
    key, words = band(float(actual))  # type: ignore[misc]
    head = f"The top {p:.0%} of accounts ({k:,} of {n:,}) bring {actual:.0%} of revenue: {words}"
    if key != "steeper":
        head += f" (theory {theory:.0%})"
    text = f"{head}. {_ADVICE[key]}"
    if n < _FEW_ACCOUNTS:
        text += (
            f" With only {n} accounts the top {p:.0%} is {k} account{'s' * (k != 1)} "
            f"({k / n:.0%} of them), so the comparison with 80/20 is rough."
        )
    return text


def movement(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    by: str = "account_id",
    share: float = TOP_GROUP,
) -> pd.DataFrame:
    """Who entered, left or stayed in the top ``share`` between two :func:`concentration` tables."""
    now = set(current[by].iloc[: top_k(len(current), share)])
    before = set(previous[by].iloc[: top_k(len(previous), share)])
    ids = sorted(now | before)
    rank_now = current.set_index(by)["rank"].reindex(ids)
    rank_before = previous.set_index(by)["rank"].reindex(ids)
    status = [
        "stayed" if i in now and i in before else "entered" if i in now else "left" for i in ids
    ]
    out = pd.DataFrame(
        {
            by: ids,
            "status": status,
            "rank_now": rank_now.to_numpy(),
            "rank_before": rank_before.to_numpy(),
        }
    )
    out["rank_now"] = out["rank_now"].astype("Int64")
    out["rank_before"] = out["rank_before"].astype("Int64")
    order = pd.Categorical(out["status"], ["entered", "left", "stayed"], ordered=True)
    return (
        out.assign(_o=order)
        .sort_values(["_o", "rank_now", by], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def commission_table(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Commission per product: revenue x the product's commission rate, ranked with shares.

    ``lines`` has product_id and revenue (any grain; lines without a product are left
    out); products without a rate earn 0 and are not ranked.
    """
    _require(lines, ["product_id", "revenue"], "commission_table")
    _require(products, ["product_id"], "commission_table")
    rates = products.set_index("product_id").get("commission_rate", pd.Series(dtype=float))
    per = lines.groupby("product_id", sort=True)["revenue"].sum().reset_index()
    per["commission_rate"] = per["product_id"].map(rates).astype(float).fillna(0.0)
    per["commission"] = per["revenue"] * per["commission_rate"]
    names = products.set_index("product_id").get("product_name")
    ranked = concentration(per, by="product_id", value="commission")
    ranked = ranked.merge(
        per[["product_id", "revenue", "commission_rate"]], on="product_id", how="left"
    )
    if names is not None:
        ranked.insert(1, "product_name", ranked["product_id"].map(names))
    return ranked


def chained(lines: pd.DataFrame, products: pd.DataFrame, *, cutoff: float = 0.8) -> dict[str, Any]:
    """The salesperson's chain: top products by commission -> customers who buy them.

    Parameters
    ----------
    lines
        Revenue per account_id and product_id.
    products
        Products, with commission_rate when the data has it.
    cutoff
        Cumulative share that makes the vital few (0.8).

    Returns
    -------
    dict
        ``products`` (commission ranking, with ``vital``), ``customers`` (revenue of
        the vital products per account, ranked, with ``vital``), ``basis``
        ("commission", or "revenue" when no product earns a positive commission).
    """
    _require(lines, ["account_id", "product_id", "revenue"], "chained")
    prod, basis = _rank_products(lines, products, cutoff=cutoff)
    vital_ids = set(prod.loc[prod["vital"], "product_id"])
    cust = _rank_customers(lines[lines["product_id"].isin(vital_ids)], cutoff=cutoff)
    return {"products": prod, "customers": cust, "basis": basis}


def _rank_products(
    lines: pd.DataFrame, products: pd.DataFrame, *, cutoff: float
) -> tuple[pd.DataFrame, str]:
    """The chain's first link: products ranked by commission (by revenue when no product
    earns one), with ``vital``; and the basis. ``lines``: revenue per product, any grain."""
    prod = commission_table(lines, products)
    basis = "commission"
    if prod.empty:  # no commission rates in the data: rank products by revenue instead
        basis = "revenue"
        prod = commission_table(lines, products.assign(commission_rate=1.0)).assign(
            commission_rate=np.nan
        )
    prod["vital"] = _before(prod) < cutoff
    return prod, basis


def _rank_customers(on_vital: pd.DataFrame, *, cutoff: float) -> pd.DataFrame:
    """The chain's second link: accounts ranked by their revenue on the vital products."""
    cust = concentration(on_vital, by="account_id", value="revenue")
    cust["vital"] = _before(cust) < cutoff
    return cust


def time_plan(
    customers: pd.DataFrame, *, weekly_hours: float = 40.0, focus_share: float = 0.8
) -> pd.DataFrame:
    """Selling hours per week per account: ``focus_share`` of the week on the vital few.

    Hours inside each group follow the accounts' value shares; the plan sums to
    ``weekly_hours`` (all of it on the vital few when there are no others).
    ``customers`` is a :func:`chained` customers table (with ``vital``).
    """
    _require(customers, ["account_id", "share", "vital"], "time_plan")
    if weekly_hours <= 0 or not 0 < focus_share <= 1:
        raise ValueError("weekly_hours must be positive and focus_share in (0, 1]")
    out = customers[["account_id", "share", "vital"]].copy()
    vital = out["vital"].astype(bool)
    focus = focus_share if (~vital).any() else 1.0
    out["hours_per_week"] = 0.0
    for mask, hours in ((vital, weekly_hours * focus), (~vital, weekly_hours * (1 - focus))):
        weight = out.loc[mask, "share"]
        if weight.sum():
            out.loc[mask, "hours_per_week"] = hours * weight / weight.sum()
    out["group"] = np.where(vital, "vital few", "others")
    return out[["account_id", "group", "share", "hours_per_week"]].reset_index(drop=True)


def vital_list(
    customers: pd.DataFrame, names: pd.Series | None, plan: pd.DataFrame
) -> pd.DataFrame:
    """The vital-few customers with names and planned hours (the list a salesperson works from).

    ``names`` maps account_id to account_name (None: the ids stand in for names).
    """
    _require(customers, ["account_id", "revenue", "share", "cum_share", "vital"], "vital_list")
    out = customers.loc[
        customers["vital"], ["account_id", "rank", "revenue", "share", "cum_share"]
    ].copy()
    out.insert(1, "account_name", _names_of(out["account_id"], names))
    hours = plan.set_index("account_id")["hours_per_week"]
    out["hours_per_week"] = out["account_id"].map(hours)
    return out.rename(columns={"revenue": "revenue_on_vital_products"}).reset_index(drop=True)


def complaints_table(
    cases: pd.DataFrame, revenue: pd.DataFrame, *, top: float = TOP_GROUP
) -> pd.DataFrame:
    """Cases per account beside revenue, with the value-vs-effort quadrant.

    ``demanding`` = among the top ``top`` of accounts by cases; ``valuable`` = among the
    top ``top`` by revenue. Quadrants: valuable & demanding, valuable & easy,
    demanding only, neither. Cases without an account are left out.
    """
    _require(cases, ["account_id"], "complaints_table")
    return complaints_ranking(
        cases_by_account(on_frames(c=cases[["account_id"]]), "c"), revenue, top=top
    )


def complaints_ranking(
    per: pd.DataFrame, revenue: pd.DataFrame, *, top: float = TOP_GROUP
) -> pd.DataFrame:
    """:func:`complaints_table` from cases per account (``per``: account_id, cases; the
    aggregate :func:`salesnb.dataset.aggregates.cases_by_account`)."""
    _require(per, ["account_id", "cases"], "complaints_table")
    _require(revenue, ["account_id", "revenue"], "complaints_table")
    by_cases = concentration(per, by="account_id", value="cases")
    by_rev = concentration(revenue, by="account_id", value="revenue")
    demanding = set(by_cases["account_id"].iloc[: top_k(len(by_cases), top)])
    valuable = set(by_rev["account_id"].iloc[: top_k(len(by_rev), top)])
    out = by_cases[["account_id", "cases", "rank", "share", "cum_share"]].rename(
        columns={"rank": "cases_rank", "share": "case_share", "cum_share": "case_cum_share"}
    )
    out = out.merge(
        by_rev[["account_id", "revenue", "rank"]].rename(columns={"rank": "revenue_rank"}),
        on="account_id",
        how="left",
    )
    out["revenue"] = out["revenue"].astype(float).fillna(0.0)
    out["revenue_rank"] = out["revenue_rank"].astype("Int64")  # no revenue: no rank, not NaN
    out["demanding"] = out["account_id"].isin(demanding)
    out["valuable"] = out["account_id"].isin(valuable)
    out["quadrant"] = np.select(
        [out["valuable"] & out["demanding"], out["valuable"], out["demanding"]],
        ["valuable & demanding", "valuable & easy", "demanding only"],
        default="neither",
    )
    return out


# --------------------------------------------------------------------------- plots
def plot_pareto(
    table: pd.DataFrame,
    *,
    value: str = "revenue",
    cutoff: float = 0.8,
    currency: str = "",
    max_bars: int = 100,
    ax: Axes | None = None,
) -> Axes:
    """Each entity's value (largest first) with the cumulative share and the cut-off.

    Every entity is drawn: as bars when there are at most ``max_bars``, otherwise as a
    filled profile (one step per entity), so the title's count, the red part and the
    cumulative line crossing the cut-off all describe the same accounts. When the largest
    account dwarfs the rest (over 3 times the second), the value axis stops above the
    second and the largest is labelled with its name and value, so the others stay visible.
    """
    ax = get_ax(ax)
    n = len(table)
    if not n:
        ax.set_title("no positive values")
        return ax
    k = _k_for(table, cutoff)
    x = np.arange(1, n + 1)
    vital = (_before(table) < cutoff).to_numpy()
    values = table[value].to_numpy(dtype=float)
    if n <= max_bars:
        ax.bar(x, values, color=np.where(vital, HIGHLIGHT, MUTED), width=0.85)
    else:
        for mask, color in ((vital, HIGHLIGHT), (~vital, MUTED)):
            ax.fill_between(x, values, where=mask, step="mid", color=color, linewidth=0)
    ax.set_xlim(0.3, n + 0.7)
    if n >= 3 and values[1] > 0 and values[0] > 3 * values[1]:
        top = values[1] * 1.35
        ax.set_ylim(0, top)
        who = str(table["account_name"].iloc[0]) if "account_name" in table else ""
        ax.annotate(
            f"{who}: {format_money(values[0], currency)} (off the scale)".lstrip(": "),
            (1, top),
            xytext=(6, -4),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color=HIGHLIGHT,
        )
    money_axis(ax, "y", currency)
    ax.set_xlabel(f"accounts ranked by {value} (all {n})")
    ax.set_ylabel(value)
    twin = ax.twinx()
    cum = table["cum_share"].to_numpy(dtype=float)
    twin.plot(x, cum, color=PALETTE[0], marker="", linewidth=2)
    twin.axhline(cutoff, color=PALETTE[0], linestyle="--", linewidth=1)
    twin.plot([k], [cum[k - 1]], color=PALETTE[0], marker="o")
    twin.annotate(f"{k}", (k, cum[k - 1]), textcoords="offset points", xytext=(5, -13))
    twin.set_ylim(0, 1.02)
    percent_axis(twin)
    twin.grid(False)
    twin.set_ylabel("cumulative share")
    twin.legend(
        handles=[
            Patch(color=HIGHLIGHT, label=f"vital few ({k:,} accounts)"),
            Patch(color=MUTED, label="the others"),
            Line2D([], [], color=PALETTE[0], linewidth=2, label="cumulative share"),
            Line2D(
                [], [], color=PALETTE[0], linestyle="--", linewidth=1, label=f"{cutoff:.0%} mark"
            ),
        ],
        loc="center right",
        fontsize=8,
    )
    ax.set_title(f"{k:,} of {n:,} accounts ({k / n:.0%}) make {cutoff:.0%} of {value}")
    return ax


def plot_lorenz(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lorenz curve: cumulative share of value against cumulative share of entities (smallest first)."""
    ax = get_ax(ax, figsize=(4.6, 4.2))
    asc = table["share"].to_numpy()[::-1]
    x = np.concatenate([[0], np.arange(1, len(asc) + 1) / max(len(asc), 1)])
    y = np.concatenate([[0], np.cumsum(asc)])
    ax.plot(x, y, color=HIGHLIGHT, linewidth=2, label="actual")
    ax.plot([0, 1], [0, 1], color=MUTED, linestyle="--", label="perfect equality")
    ax.fill_between(x, y, x, color=HIGHLIGHT, alpha=0.12)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.set_xlabel("share of accounts (smallest first)")
    ax.set_ylabel("share of value")
    g = gini(table["share"]) if len(table) else float("nan")
    ax.set_title(f"Lorenz curve, Gini {g:.2f}" if math.isfinite(g) else "Lorenz curve")
    ax.legend(loc="upper left")
    return ax


def plot_fractal(levels: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Actual vs theoretical share held at each fractal level (20%, 4%, 0.8% ...)."""
    ax = get_ax(ax)
    labels = [
        f"top {_pct(p)}\n{_n(k, 'account')}"
        for p, k in zip(levels["entity_share"], levels["accounts"], strict=True)
    ]
    x = np.arange(len(levels))
    ax.bar(x - 0.2, levels["theoretical_share"], width=0.4, color=MUTED, label="80/20 theory")
    ax.bar(x + 0.2, levels["actual_share"], width=0.4, color=HIGHLIGHT, label="this data")
    for xi, v in zip(x, levels["actual_share"], strict=True):
        ax.annotate(f"{v:.0%}", (xi + 0.2, v), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.08)
    percent_axis(ax)
    first = levels.iloc[0]
    ax.set_title(
        f"The top {first['entity_share']:.0%} hold {first['actual_share']:.0%} "
        f"(theory {first['theoretical_share']:.0%})"
    )
    ax.legend()
    return ax


def plot_complaints(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Cases against revenue per account, one colour and marker per quadrant."""
    ax = get_ax(ax)
    looks = {
        "valuable & demanding": (HIGHLIGHT, "D"),
        "valuable & easy": (PALETTE[2], "o"),
        "demanding only": (PALETTE[3], "^"),
        "neither": (MUTED, "."),
    }
    for quadrant in looks:
        part = table[table["quadrant"] == quadrant]
        if part.empty:
            continue
        color, marker = looks[quadrant]
        ax.scatter(
            part["revenue"],
            part["cases"],
            s=30,
            alpha=0.85,
            color=color,
            marker=marker,
            label=f"{quadrant} ({len(part)})",
        )
    money_axis(ax, "x", currency)
    integer_axis(ax, "y")
    fit_ticks(ax, "x")
    ax.set_xlabel("net revenue in the window")
    ax.set_ylabel("cases")
    both = int((table["quadrant"] == "valuable & demanding").sum())
    ax.set_title(
        f"{both} account{'s' * (both != 1)} {'are' if both != 1 else 'is'} both top revenue "
        "and top complainer"
    )
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- reading the result
def headline(a: ParetoAnalysis) -> str:
    """The rounded figures a trainer quotes (stable text for notebook checks)."""
    m, w = a.metrics, a.window
    lines = [
        f"Window: {w.label} ({w.start:%Y-%m-%d} to {w.end:%Y-%m-%d}), revenue from "
        f"{m.get('revenue_source') or 'nowhere'}",
        f"accounts with positive revenue: {m.get('n_accounts')}",
    ]
    levels = a.table("fractal")
    if levels is None:
        lines.append(f"no concentration figures: {a.reason('ranking')}")
        return "\n".join(lines)
    for _, row in levels.iterrows():
        lines.append(
            f"top {row['entity_share']:.1%} ({int(row['accounts'])} accounts): "
            f"{row['actual_share']:.1%} of revenue (theory {row['theoretical_share']:.1%})"
        )
    lines.append(f"smallest share of accounts holding 80%: {m['accounts_share_for_80pct']:.1%}")
    lines.append(f"Gini {m['gini']:.3f}, Herfindahl {m['herfindahl']:.4f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- analyze: pieces
_Part = analysis.Section  # what one section adds to the result


@dataclass(frozen=True)
class _Source:
    """Where revenue comes from: order lines, else won opportunities (SQL over either)."""

    table: str  # "orders" or "opportunities"
    date: str  # order_date or close_date
    columns: tuple[str, ...]
    run: Callable[[str, list[Any]], pd.DataFrame]  # SQL over the table, by its name
    inferred: int = 0  # opportunities whose outcome was read from the stage name

    @property
    def won_only(self) -> bool:
        return self.table == "opportunities"

    @property
    def what(self) -> str:
        return "order lines" if self.table == "orders" else "won opportunities"

    @property
    def line(self) -> str:
        return "order line" if self.table == "orders" else "won opportunity"

    @property
    def file(self) -> str:
        return f"{self.table}.csv"


def _source(data: DataSet) -> _Source:
    """Order lines (raw, aggregated where they live), else opportunities with outcomes.

    Opportunities without an outcome value take the one their stage name tells
    (:func:`salesnb.pipeline.with_outcomes`: Closed Won -> won), as the pipeline analysis does.
    """
    if data.has("orders"):
        columns = data.columns("orders")
        return _Source("orders", "order_date", columns, data.sql)
    opps, inferred = with_outcomes(data.table("opportunities"))
    con = connect()
    con.register("opportunities", opps)
    return _Source(
        "opportunities",
        "close_date",
        tuple(opps.columns),
        lambda query, params: con.execute(query, params).df(),
        inferred,
    )


def _revenue(
    data: DataSet,
    src: _Source,
    w: Window,
    fiscal: int,
    by: tuple[str, ...] = ("account_id",),
    *,
    products: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Net revenue per ``by`` in window ``w`` (groups with a non-zero sum, lines with an account;
    only the lines of ``products`` when given).

    Order lines: :func:`salesnb.sources.revenue_by`. Won opportunities: the same sum
    (rounded to the cent) over the deals whose outcome is won, read from the stage name
    where the outcome is missing.
    """
    if src.table == "orders":
        return revenue_by(
            data, w.start, w.end, by=by, fiscal_start=fiscal, products=products, with_account=True
        )[0]
    cols = ", ".join(by)
    of_products = ""
    params: list[Any] = [w.start.date(), w.end.date()]
    if products is not None:
        of_products = (
            f"AND product_id IN ({', '.join('?' * len(products))}) " if products else "AND FALSE "
        )
        params += [str(p) for p in products]
    table = src.run(
        f"SELECT {cols}, round(sum(amount), 2) AS revenue FROM opportunities "
        "WHERE outcome = 'won' AND close_date BETWEEN ? AND ? AND account_id IS NOT NULL "
        f"{of_products}GROUP BY ALL",
        params,
    )
    table = table[table["revenue"].fillna(0) != 0]
    return table.sort_values(list(by), kind="stable").reset_index(drop=True)


def _line_counts(src: _Source, w: Window) -> dict[str, float]:
    """One pass over the revenue lines: what is used, what is left out and why."""
    return revenue_line_counts(
        lambda query: src.run(query, []),
        table=src.table,
        date=src.date,
        columns=src.columns,
        won_only=src.won_only,
        start=w.start,
        end=w.end,
    )


def _account_names(data: DataSet) -> pd.Series | None:
    accounts = data.tables.get("accounts")
    if accounts is None or "account_name" not in accounts or "account_id" not in accounts:
        return None
    return accounts.drop_duplicates("account_id").set_index("account_id")["account_name"]


def _names_of(ids: pd.Series, names: pd.Series | None) -> pd.Series:
    """Account names for ``ids``; the id where the name is unknown (or there is no accounts table)."""
    if names is None:
        return ids.astype("str")
    return ids.map(names).astype("str").where(ids.map(names).notna(), ids.astype("str"))


def _named(table: pd.DataFrame, names: pd.Series | None) -> pd.DataFrame:
    out = table.copy()
    out.insert(1, "account_name", _names_of(out["account_id"], names))
    return out


def _n(count: float, thing: str) -> str:
    """``1 account``, ``3 accounts``, ``2 won opportunities``."""
    c = int(count)
    if c == 1:
        return f"{c:,} {thing}"
    plural = (
        thing[:-1] + "ies" if thing.endswith("y") and thing[-2:-1] not in "aeiou" else thing + "s"
    )
    return f"{c:,} {plural}"


# --------------------------------------------------------------------------- analyze: sections
def _ranking_part(
    revenue: pd.DataFrame,
    names: pd.Series | None,
    counts: dict[str, float],
    src: _Source,
    label: str,
    params: Params,
    currency: str,
) -> tuple[_Part, pd.DataFrame]:
    """The ranking, the fractal levels, the measures and the coverage sentence."""
    part = _Part()
    ranking = concentration(revenue)
    net = analysis.finite_or_none(revenue["revenue"].sum()) if len(revenue) else 0.0
    part.notes["revenue"] = _revenue_note(counts, src, label, currency)
    m = measures(ranking, cutoff=0.8)
    if ranking.empty:
        reason = _no_revenue_reason(counts, src, label, net or 0.0, currency)
        for name in ("ranking", "fractal"):
            part.absent[name] = reason
        part.metrics.update(n_accounts=0, revenue_total=net, revenue_net=net, revenue_ranked=0.0)
        part.metrics.update(dict.fromkeys(_CONCENTRATION_METRICS))
        part.findings.append(reason)
        return part, ranking
    levels = fractal_levels(ranking)
    shares = _level_shares(levels)
    top20 = shares.get(0.2)
    k_cut = _k_for(ranking, params.cutoff)
    part.tables["ranking"] = _named(ranking, names)
    part.tables["fractal"] = levels
    part.notes["ranking"] = verdict(levels)
    part.notes["fractal"] = _fractal_note(levels)
    part.notes["lorenz"] = _measures_note(m, ranking)
    b = band(top20)
    part.metrics.update(
        n_accounts=len(ranking),
        revenue_total=analysis.finite_or_none(m["total"]),
        revenue_net=net,
        revenue_ranked=analysis.finite_or_none(m["total"]),
        share_top_20pct=analysis.finite_or_none(top20),
        share_top_4pct=analysis.finite_or_none(shares.get(0.04)),
        share_top_0_8pct=analysis.finite_or_none(shares.get(0.008)),
        accounts_share_for_80pct=m["share_for_cutoff"],
        vital_few_accounts=k_cut,
        gini=m["gini"],
        herfindahl=m["herfindahl"],
        pareto_band=b[0] if b else None,
    )
    part.findings.append(part.notes["ranking"])
    if len(ranking) > 1:  # one account: the verdict says all there is
        named = part.tables["ranking"]
        top_k = levels["accounts"].iloc[0] if len(levels) else None
        vital = (  # the verdict already counted them when the top 20% are the vital few
            f"Those {k_cut:,} accounts are the vital few"
            if top_k == k_cut and levels["entity_share"].iloc[0] == 0.2
            else f"{k_cut:,} of {len(ranking):,} accounts ({k_cut / len(ranking):.0%}) make "
            f"{params.cutoff:.0%} of the window's revenue (the vital few)"
        )
        part.findings.append(
            f"{vital}; the largest, {named['account_name'].iloc[0]}, alone brings "
            f"{named['share'].iloc[0]:.0%}. Gini {m['gini']:.2f}, where 0 means every account "
            "buys the same."
        )
        part.findings.append(part.notes["fractal"])
    return part, ranking


_CONCENTRATION_METRICS = (
    "share_top_20pct",
    "share_top_4pct",
    "share_top_0_8pct",
    "accounts_share_for_80pct",
    "vital_few_accounts",
    "gini",
    "herfindahl",
    "pareto_band",
)


def _revenue_note(counts: dict[str, float], src: _Source, label: str, currency: str) -> str:
    """Which lines the revenue came from, how credits count, and what was left out."""
    used = counts["used"] + counts["nonpositive_lines"]
    text = [f"Revenue from {_n(used, src.line)} in {label} that name an account"]
    if counts["credits"]:
        one = counts["credits"] == 1
        whose = (
            "is netted into its account's revenue, not ranked on its own"
            if one
            else "are netted into their accounts' revenue, not ranked on their own"
        )
        text.append(
            f"; {_n(counts['credits'], 'credit line')} (negative, "
            f"{_money(counts['credit_value'], currency)}) {whose}"
        )
    text.append(".")
    left = []
    if counts["no_account"]:
        left.append(
            f"{_n(counts['no_account'], src.line)} without an account "
            f"({_money(counts['no_account_value'], currency)})"
        )
    if counts["nonpositive"]:
        left.append(
            f"{_n(counts['nonpositive'], 'account')} whose net revenue is zero or negative "
            f"({_money(counts['nonpositive_value'], currency)})"
        )
    if left:
        text.append(" Left out of the ranking: " + " and ".join(left) + ".")
    return "".join(text)


def _no_revenue_reason(
    counts: dict[str, float], src: _Source, label: str, net: float, currency: str
) -> str:
    if not counts["accounts"]:
        fix = (
            "choose a quarter the data covers (see the data coverage)"
            if src.table == "orders"
            else "choose a quarter the data covers, or record won deals (outcome won, or a "
            "Closed Won stage) in opportunities.csv"
        )
        return f"No {src.line} with an account falls in {label}, so there is no revenue to rank: {fix}."
    return (
        f"No account has positive net revenue in {label} (net {_money(net, currency)} over "
        f"{_n(counts['accounts'], 'account')}: credits outweigh sales), so there is nothing to "
        "rank: choose another quarter or check the credits."
    )


def _money(value: float, currency: str) -> str:
    """Money for sentences: exact below 10,000, compact above (1.2M USD)."""
    if abs(value) >= 10_000:
        return format_money(value, currency)
    return f"{value:,.0f}" + (f" {currency}" if currency else "")


def _pct(share: float) -> str:
    """20%, 4%, 0.8%, 51.2%: one decimal only where it says something."""
    return f"{share:.1%}".replace(".0%", "%")


def _fractal_note(levels: pd.DataFrame) -> str:
    """Actual vs theory per level, flagging levels of one account and levels that repeat."""
    parts = [
        f"the top {_pct(r.entity_share)} ({_n(r.accounts, 'account')}) "
        f"hold{'s' * (r.accounts == 1)} {r.actual_share:.0%} (theory {_pct(r.theoretical_share)})"
        for r in levels.itertuples()
    ]
    text = "At each level " + "; ".join(parts) + "."
    single = levels[levels["accounts"] == 1]
    same = levels[levels["note"].str.contains("same accounts")]
    if len(single):
        tops = " and ".join(_pct(p) for p in single["entity_share"])
        text += (
            f" With {_n(levels['n'].iloc[0], 'account')} the top {tops} "
            f"{'is' if len(single) == 1 else 'are each'} a single account: its share is "
            "one customer's, not a group's."
        )
    if len(same):
        tops = " and ".join(_pct(p) for p in same["entity_share"])
        text += (
            f" The top {tops} hold{'s' * (len(same) == 1)} the same accounts as the level "
            "above, so that level adds nothing new."
        )
    return text


def _measures_note(m: dict[str, Any], ranking: pd.DataFrame) -> str:
    return (
        f"Over {_n(len(ranking), 'account')}: Gini {m['gini']:.2f}, Herfindahl-Hirschman "
        f"index {m['herfindahl'] * 10_000:,.0f} of 10,000 ({10_000 / len(ranking):,.0f} if all "
        "were equal); "
        f"{m['share_for_cutoff']:.0%} of the accounts hold 80% of revenue."
    )


def _stored_ranking(params: Params, per: analysis.Periods) -> pd.DataFrame | None:
    """Last quarter's revenue ranking from the history store, when the review gave one.

    Only for quarter windows (the store holds each review's quarter); None when the store
    has no review of that quarter for this data set.
    """
    path = params.path("history_file")
    if path is None or not params.history_key or per.kind != "quarter" or not path.exists():
        return None
    from . import history

    table = history.snapshot(path, params.history_key, per.previous.label, history.RANKING)
    if table is None or not {"account_id", "rank", "revenue"} <= set(table.columns):
        return None
    table = table.astype({"account_id": "str"})
    return table.sort_values("rank", kind="stable").reset_index(drop=True)


def _movement_part(
    ranking: pd.DataFrame,
    data: DataSet,
    src: _Source,
    per: analysis.Periods,
    names: pd.Series | None,
    current_reason: str | None,
    params: Params,
) -> _Part:
    """Who entered, left or stayed in the top group since the previous window."""
    part = _Part()
    none = {"top_group_entered": None, "top_group_left": None}
    if current_reason:
        part.absent["movement"] = current_reason
        part.metrics.update(none)
        return part
    prev_revenue = _revenue(data, src, per.previous, per.fiscal_start)
    previous = concentration(prev_revenue)
    from_store = False
    if previous.empty:
        stored = _stored_ranking(params, per)
        if stored is not None:
            previous, from_store = stored, True
    if previous.empty:
        part.absent["movement"] = (
            f"No account has positive revenue in {per.previous.label} (the window before), so "
            "there is no earlier top group to compare with: the data must reach back one more quarter."
        )
        part.metrics.update(none)
        return part
    moves = movement(ranking, previous, share=TOP_GROUP)
    now_rev = ranking.set_index("account_id")["revenue"]
    before_rev = previous.set_index("account_id")["revenue"]
    moves["revenue_now"] = moves["account_id"].map(now_rev).astype(float).fillna(0.0)
    moves["revenue_before"] = moves["account_id"].map(before_rev).astype(float).fillna(0.0)
    moves = _named(moves, names)
    order = moves["status"].map({"left": 0, "entered": 1, "stayed": 2})
    drop = (moves["revenue_before"] - moves["revenue_now"]).where(moves["status"] == "left", 0.0)
    moves = (
        moves.assign(_o=order, _d=-drop)
        .sort_values(["_o", "_d", "rank_now", "account_id"], kind="stable")
        .drop(columns=["_o", "_d"])
        .reset_index(drop=True)
    )
    counts = moves["status"].value_counts()
    entered, left, stayed = (int(counts.get(s, 0)) for s in ("entered", "left", "stayed"))
    part.tables["movement"] = moves
    part.notes["movement"] = (
        f"Top {TOP_GROUP:.0%} of accounts by revenue, {per.window.label} against "
        f"{per.previous.label}: {entered:,} entered, {left:,} left, {stayed:,} stayed."
        + (
            f" {per.previous.label}'s ranking comes from the history store (the data set no "
            "longer reaches back to it)."
            if from_store
            else ""
        )
    )
    part.metrics.update(top_group_entered=entered, top_group_left=left)
    return part


def _chain_part(
    data: DataSet,
    src: _Source,
    per: analysis.Periods,
    counts: dict[str, float],
    names: pd.Series | None,
    params: Params,
    current_reason: str | None,
) -> tuple[_Part, tuple[int, int, str] | None]:
    """Products by commission -> customers who buy them -> the week's time plan."""
    part = _Part()
    names_chain = ("chain_products", "vital_few", "time_plan")
    part.metrics.update(commission_basis=None, vital_products=None, vital_customers=None)
    products = data.tables.get("products")
    where = "won opportunities" if src.won_only else "order lines"
    reason = None
    if products is None:
        reason = (
            "No products table, so commission cannot be ranked: add products.csv "
            "(product_id, product_name, commission_rate)."
        )
    elif "product_id" not in src.columns:
        reason = (
            f"The {where} carry no product_id, so commission cannot be ranked by product: "
            f"add product_id to {src.file}."
        )
    elif current_reason:
        reason = current_reason
    per_product = None
    if reason is None:
        # two small aggregates rather than revenue per account and product (as chained()
        # takes it): at 100M order lines that table has millions of rows, and grouping by
        # both ids cost three times as long as either sum (bench/bench_100m.py)
        per_product = _revenue(data, src, per.window, per.fiscal_start, by=("product_id",))
        if per_product["product_id"].notna().sum() == 0:
            reason = (
                f"None of the {where} in {per.window.label} names a product, so commission "
                f"cannot be ranked by product: fill in product_id in {src.file}."
            )
    if reason is None:
        assert per_product is not None and products is not None
        prod, basis = _rank_products(
            per_product.dropna(subset=["product_id"]), products, cutoff=params.cutoff
        )
        vital_ids = sorted(prod.loc[prod["vital"], "product_id"].astype(str))
        on_vital = _revenue(data, src, per.window, per.fiscal_start, products=vital_ids)
        chain = {
            "products": prod,
            "customers": _rank_customers(on_vital, cutoff=params.cutoff),
            "basis": basis,
        }
        if chain["products"].empty or chain["customers"].empty:
            reason = (
                f"No product has positive revenue in {per.window.label}, so there is no "
                "chain to follow."
            )
    if reason is not None:
        for name in names_chain:
            part.absent[name] = reason
        return part, None
    assert products is not None
    prod, cust, basis = chain["products"], chain["customers"], chain["basis"]
    plan = time_plan(cust, weekly_hours=params.weekly_selling_hours, focus_share=params.focus_share)
    vital = vital_list(cust, names, plan)
    plan = _named(plan, names)
    n_prod, n_vital = len(prod), int(prod["vital"].sum())
    n_cust, n_vcust = len(cust), int(cust["vital"].sum())
    focus_hours = float(plan.loc[plan["group"] == "vital few", "hours_per_week"].sum())
    part.tables["chain_products"] = _products_view(prod, basis)
    part.tables["vital_few"] = vital
    part.tables["time_plan"] = plan
    cut = f"{params.cutoff:.0%}"
    if basis == "commission":
        rates = products.get("commission_rate")
        no_rate = int((rates.isna() | (rates <= 0)).sum()) if rates is not None else 0
        first = f"{n_vital:,} of {n_prod:,} products earn {cut} of the commission"
        if no_rate:
            first += f" ({_n(no_rate, 'product')} without a commission rate earn none and are not ranked)"
    else:
        first = (
            "No product carries a commission rate, so products are ranked by revenue instead: "
            f"{n_vital:,} of {n_prod:,} make {cut} of it"
        )
    text = (
        f"{first}. {n_vcust:,} of the {n_cust:,} customers who buy them account for {cut} of those "
        f"products' revenue; the time plan gives them {focus_hours:.0f} of "
        f"{params.weekly_selling_hours:g} weekly selling hours (an assumed "
        f"{params.focus_share:.0%} focus)."
    )
    if counts["no_product"]:
        text += (
            f" {_n(counts['no_product'], src.line)} in {per.window.label} "
            f"name{'s' * (counts['no_product'] == 1)} no product "
            "and are left out of the chain."
        )
    part.notes["chain_products"] = text
    part.findings.append(text)
    part.metrics.update(commission_basis=basis, vital_products=n_vital, vital_customers=n_vcust)
    return part, (len(products), n_prod, basis)


def _products_view(prod: pd.DataFrame, basis: str) -> pd.DataFrame:
    """The product ranking for reading: names (the id where unknown), no commission columns
    when products are ranked by revenue."""
    cols = ["product_id", "product_name", "revenue", "commission_rate", "commission"]
    if basis == "revenue":
        cols = cols[:3]
    out = prod.reindex(columns=[*cols, "rank", "share", "cum_share", "vital"])
    out["product_name"] = (
        out["product_name"]
        .astype("str")
        .where(out["product_name"].notna(), out["product_id"].astype("str"))
    )
    return out.reset_index(drop=True)


def _complaints_part(
    data: DataSet, revenue: pd.DataFrame, w: Any, names: pd.Series | None
) -> tuple[_Part, tuple[str, int, int, dict[str, int]] | None]:
    """Cases opened in the window per account, beside revenue."""
    part = _Part()
    part.metrics.update(
        cases_in_window=None,
        complaints_share_top_20pct=None,
        complaints_share_top_4pct=None,
        top_complaint_account=None,
    )
    cases = data.tables.get("cases")
    if cases is None or "account_id" not in cases or "opened_date" not in cases:
        part.absent["complaints"] = (
            "No cases table, so complaints cannot be ranked: add cases.csv "
            "(case_id, account_id, opened_date)."
        )
        return part, None
    opened = pd.to_datetime(cases["opened_date"], errors="coerce")
    inside = opened.between(w.start, w.end)
    with_account = inside & cases["account_id"].notna()
    row = (
        "cases",
        len(cases),
        int(with_account.sum()),
        {
            "opened outside the window": int((opened.notna() & ~inside).sum()),
            "no opened date": int(opened.isna().sum()),
            "no account": int((inside & cases["account_id"].isna()).sum()),
        },
    )
    part.metrics["cases_in_window"] = int(inside.sum())
    if not inside.any():
        part.absent["complaints"] = (
            f"No case was opened in {w.label}, so there are no complaints to rank."
        )
        return part, row
    if not with_account.any():
        part.absent["complaints"] = (
            f"None of the {_n(inside.sum(), 'case')} opened in {w.label} names an account, so "
            "complaints cannot be ranked by account: fill in account_id in cases.csv."
        )
        return part, row
    per = cases_by_account(data.sql, cases_opened(w.start, w.end))
    table = complaints_ranking(per, revenue, top=TOP_GROUP)
    n = len(table)
    k4, k20 = top_k(n, 0.04), top_k(n, TOP_GROUP)
    s4 = float(table["case_share"].iloc[:k4].sum())
    s20 = float(table["case_share"].iloc[:k20].sum())
    both = int((table["quadrant"] == "valuable & demanding").sum())
    part.tables["complaints"] = _named(table, names)
    text = (
        f"{_n(n, 'account')} opened {_n(table['cases'].sum(), 'case')} in {w.label}. The worst "
        f"4% ({k4:,}) caused {s4:.0%} of them (theory 64%), the worst 20% ({k20:,}) caused "
        f"{s20:.0%} (theory 80%). {both} of the most demanding accounts "
        f"{'is' if both == 1 else 'are'} also among the top 20% by revenue."
    )
    if n < _FEW_ACCOUNTS:
        text += f" With only {n} accounts these shares are rough."
    part.notes["complaints"] = text
    part.findings.append(text)
    part.metrics.update(
        complaints_share_top_20pct=s20,
        complaints_share_top_4pct=s4,
        top_complaint_account=str(table["account_id"].iloc[0]),
    )
    return part, row


def _coverage_rows(
    src: _Source,
    counts: dict[str, float],
    chain: tuple[int, int, str] | None,
    cases_row: tuple[str, int, int, dict[str, int]] | None,
) -> list[tuple[str, int, int, dict[str, float]]]:
    """Rows used and left out (and why): revenue lines, credits, accounts, products, cases."""
    lines_left = {
        "not won (open, lost or no decision)": counts["not_won"],
        "outside the window": counts["outside"],
        "no date": counts["no_date"],
        "no amount": counts["no_amount"],
        f"{src.line} without an account": counts["no_account"],
        "in accounts with zero or negative net revenue": counts["nonpositive_lines"],
    }
    rows: list[tuple[str, int, int, dict[str, float]]] = [
        (src.table, int(counts["total"]), int(counts["used"]), lines_left)
    ]
    if counts["credits"]:
        rows.append(
            (
                "credit lines (netted into their account's revenue)",
                int(counts["credits"]),
                int(counts["credits_netted"]),
                {
                    "in accounts with zero or negative net revenue": counts["credits"]
                    - counts["credits_netted"]
                },
            )
        )
    rows.append(
        (
            "accounts with revenue lines in the window",
            int(counts["accounts"]),
            int(counts["ranked"]),
            {"net revenue zero or negative (not ranked)": counts["nonpositive"]},
        )
    )
    if chain is not None:
        total, ranked, basis = chain
        why = "no commission rate or no revenue" if basis == "commission" else "no revenue"
        rows.append(("products", total, ranked, {f"{why} in the window": max(total - ranked, 0)}))
    if cases_row is not None:
        rows.append((cases_row[0], cases_row[1], cases_row[2], dict(cases_row[3])))
    return rows


def _assumptions(
    params: Params,
    per: analysis.Periods,
    data: DataSet,
    src: _Source,
    chain: tuple[int, int, str] | None,
) -> tuple[analysis.Assumption, ...]:
    out = [
        analysis.assume(
            params,
            "window_kind",
            "Review window",
            shown=f"{params.window_kind} ({per.window.label})",
            note="the dates revenue and cases are counted over (parameter window_kind)",
        ),
        analysis.assume(
            params,
            "cutoff",
            "Cumulative share that makes the vital few",
            shown=f"{params.cutoff:.0%}",
            note="red bars, vital products and vital customers (parameter cutoff)",
        ),
        analysis.assume(
            params,
            "weekly_selling_hours",
            "Selling hours per week",
            shown=f"{params.weekly_selling_hours:g}",
            note="the time plan's total (parameter weekly_selling_hours)",
        ),
        analysis.assume(
            params,
            "focus_share",
            "Share of selling time on the vital few",
            shown=f"{params.focus_share:.0%}",
            note="the time plan's split (parameter focus_share)",
        ),
        analysis.Assumption(
            "theory",
            "80/20 theory at each level",
            " / ".join(f"{THEORY**i:.1%}".replace(".0%", "%") for i in range(1, LEVELS + 1)),
            "built in",
            "the rule applied again inside the top: top 20%, 4%, 0.8% hold 80%, 64%, 51.2%",
        ),
        analysis.Assumption(
            "verdict_bands",
            "Verdict bands (top 20%'s share)",
            " / ".join(f"{edge:.0%}" for edge, _, _ in VERDICT_BANDS[:-1]),
            "built in",
            "at or above 80%: as steep as the rule; 70-80%: close; 50-70%: flatter; "
            "below 50%: far flatter",
        ),
        analysis.Assumption(
            "top_group",
            "Top group for movement and complaints",
            f"{TOP_GROUP:.0%}",
            "built in",
            "who entered or left the top group; the most demanding and most valuable accounts",
        ),
    ]
    if src.inferred:
        out.append(
            analysis.Assumption(
                "outcome",
                "Outcome read from the stage name",
                f"{src.inferred:,} opportunities",
                "from the data",
                "no outcome value: Closed Won stages count as won, others do not; "
                "add outcome (won, lost, open) to opportunities.csv",
            )
        )
    products = data.tables.get("products")
    if chain is not None and products is not None:
        rates = products.get("commission_rate")
        known = int(rates.notna().sum()) if rates is not None else 0
        out.append(
            analysis.Assumption(
                "commission_rate",
                "Commission rates",
                f"from products.csv ({known:,} of {len(products):,} products)"
                if chain[2] == "commission"
                else "none in the data: products ranked by revenue",
                "from the data",
                "commission = revenue x the product's rate; add commission_rate to products.csv",
            )
        )
    return tuple(out)


def _validate(params: Params) -> None:
    if not 0 < params.cutoff <= 1:
        raise UsageError(f"cutoff must be a share in (0, 1], got {params.cutoff}")
    if not params.weekly_selling_hours > 0:
        raise UsageError(
            f"weekly_selling_hours must be positive, got {params.weekly_selling_hours}"
        )
    if not 0 < params.focus_share <= 1:
        raise UsageError(f"focus_share must be a share in (0, 1], got {params.focus_share}")


# --------------------------------------------------------------------------- headline and actions
def _list_names(names: Sequence[str], *, most: int = 5) -> str:
    """``A``, ``A and B``, ``A, B and C``; over ``most + 1`` names: the first ``most`` "and 3 more"."""
    shown = [str(n) for n in names[: most if len(names) > most + 1 else most + 1]]
    if len(names) > most + 1:
        return ", ".join(shown) + f" and {len(names) - most:,} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _headline(
    tables: Mapping[str, pd.DataFrame],
    m: Mapping[str, Any],
    absent: Mapping[str, str],
    per: analysis.Periods,
    params: Params,
) -> tuple[analysis.KPI, ...]:
    """Four to six headline figures; a figure the data cannot give is None with the reason."""
    label = per.window.label
    n = m.get("n_accounts") or 0
    no_rank = absent.get("ranking", "")
    share20 = m.get("share_top_20pct")
    vital = m.get("vital_few_accounts")
    out = [
        analysis.KPI(
            "Revenue ranked",
            m.get("revenue_ranked") if n else None,
            "money",
            f"{label}, {n:,} accounts with positive revenue" if n else no_rank,
        ),
        analysis.KPI(
            "Top 20% of accounts bring",
            share20,
            "percent",
            f"of revenue ({top_k(n, TOP_GROUP):,} of {n:,} accounts); the rule says 80%"
            if share20 is not None
            else no_rank,
        ),
        analysis.KPI(
            f"Vital few ({params.cutoff:.0%} of revenue)",
            vital,
            "count",
            f"accounts of {n:,} ({vital / n:.0%})" if vital and n else no_rank,
        ),
    ]
    moves = tables.get("movement")
    out.append(
        analysis.KPI(
            "Entered the top 20%",
            m.get("top_group_entered"),
            "count",
            f"since {per.previous.label}; {m.get('top_group_left'):,} left"
            if moves is not None
            else absent.get("movement", ""),
        )
    )
    s4 = m.get("complaints_share_top_4pct")
    out.append(
        analysis.KPI(
            "Cases from the worst 4%",
            s4,
            "percent",
            f"of {m.get('cases_in_window'):,} cases in {label}; theory 64%"
            if s4 is not None
            else absent.get("complaints", ""),
        )
    )
    return tuple(out)


def _actions(
    tables: Mapping[str, pd.DataFrame], m: Mapping[str, Any], per: analysis.Periods, currency: str
) -> tuple[str, ...]:
    """The top actions for the executive summary: the vital few by name, who left, who complains."""
    out = []
    ranking = tables.get("ranking")
    vital = m.get("vital_few_accounts")
    label = per.window.label
    if ranking is not None and len(ranking) > 1 and vital:
        named = [f"{r.account_name} ({r.share:.0%})" for r in ranking.head(int(vital)).itertuples()]
        if vital == 1:
            out.append(
                f"Protect {ranking['account_name'].iloc[0]}: one account brings "
                f"{ranking['share'].iloc[0]:.0%} of {label} revenue on its own; give it an "
                "account plan and more than one contact."
            )
        else:
            out.append(
                f"Protect the {int(vital):,} vital-few accounts that bring 80% of {label} revenue, "
                f"largest first: {_list_names(named, most=5)}."
            )
    moves = tables.get("movement")
    if moves is not None:
        left = moves[moves["status"] == "left"].assign(
            drop=lambda t: t["revenue_before"] - t["revenue_now"]
        )
        if len(left):
            left = left.sort_values(["drop", "account_id"], ascending=[False, True], kind="stable")
            named = [
                f"{r.account_name} ({_money(r.revenue_before, '')} to {_money(r.revenue_now, currency)})"
                for r in left.itertuples()
            ]
            out.append(
                f"Call {named[0]}: it left the top 20% since {per.previous.label}."
                if len(left) == 1
                else f"Call the {len(left):,} accounts that left the top 20% since "
                f"{per.previous.label}, biggest drop first: {_list_names(named, most=3)}."
            )
    complaints = tables.get("complaints")
    if complaints is not None:
        both = complaints[complaints["quadrant"] == "valuable & demanding"]
        if len(both):
            out.append(
                f"Agree a service plan with {both['account_name'].iloc[0]}: it is both a top "
                f"account by revenue and by cases in {label}."
                if len(both) == 1
                else f"Agree a service plan with the {len(both):,} accounts that are both top "
                f"revenue and top complainer in {label}: "
                f"{_list_names(both['account_name'].tolist(), most=5)}."
            )
    return tuple(out)


# --------------------------------------------------------------------------- analyze
@analysis.remembered
def analyze(data: DataSet, params: Params) -> ParetoAnalysis:
    """How concentrated revenue is in the review window, level by level, and where the week goes.

    Sections: the ranking and Pareto chart, the fractal levels (20%, 4%, 0.8%), the
    concentration measures and Lorenz curve, movement in the top group since the
    previous window, the chain (products by commission -> customers -> time plan) and
    complaints beside revenue. Each is present or listed in ``absent`` with its reason.

    Raises
    ------
    NotAnalysable
        The data set has neither an orders nor an opportunities table.
    UsageError
        A parameter is out of range.
    """
    analysis.require(data, CORE, "Pareto")
    _validate(params)
    per = analysis.periods(data, params, kind=params.window_kind)
    w = per.window
    currency = params.currency or data.settings.currency
    names = _account_names(data)
    src = _source(data)
    revenue = _revenue(data, src, w, per.fiscal_start)
    counts = _line_counts(src, w)

    result = _Part()
    ranked, ranking = _ranking_part(revenue, names, counts, src, w.label, params, currency)
    result.add(ranked)
    no_ranking = ranked.absent.get("ranking")
    chain_part, chain_info = _chain_part(data, src, per, counts, names, params, no_ranking)
    complaints_part, cases_row = _complaints_part(data, revenue, w, names)
    movement_part = _movement_part(ranking, data, src, per, names, no_ranking, params)
    for p in (chain_part, complaints_part, movement_part):
        result.add(p)
    result.metrics["revenue_source"] = src.table
    if "movement" in result.notes:
        result.findings.append(result.notes["movement"])
    return ParetoAnalysis(
        params=params,
        periods=per,
        currency=currency,
        tables=result.tables,
        notes=result.notes,
        absent=result.absent,
        metrics=result.metrics,
        findings=tuple(result.findings[:5]),
        assumptions=_assumptions(params, per, data, src, chain_info),
        coverage=analysis.coverage(data, w, _coverage_rows(src, counts, chain_info, cases_row)),
        headline=_headline(result.tables, result.metrics, result.absent, per, params),
        actions=_actions(result.tables, result.metrics, per, currency),
    )


ParetoAnalysis.charts = {
    "pareto": analysis.Chart(
        ("ranking",),
        lambda a, ax: plot_pareto(
            a.tables["ranking"], cutoff=a.params.cutoff, currency=a.currency, ax=ax
        ),
    ),
    "lorenz": analysis.Chart(("ranking",), lambda a, ax: plot_lorenz(a.tables["ranking"], ax=ax)),
    "fractal": analysis.Chart(("fractal",), lambda a, ax: plot_fractal(a.tables["fractal"], ax=ax)),
    "complaints": analysis.Chart(
        ("complaints",),
        lambda a, ax: plot_complaints(a.tables["complaints"], currency=a.currency, ax=ax),
    ),
}

ParetoAnalysis.specs = {
    "ranking": analysis.TableSpec(
        "Accounts ranked by net revenue",
        columns={
            "account_id": "id",
            "account_name": "text",
            "revenue": "money",
            "rank": "count",
            "share": "percent",
            "cum_share": "percent",
            "entity_share": "percent",
            "abc": "text",
        },
        labels={
            "account_name": "Account",
            "revenue": "Net revenue",
            "share": "Share of revenue",
            "cum_share": "Cumulative share",
            "entity_share": "Share of accounts",
            "abc": "ABC class",
        },
        source="ABC classes: A up to 80% of revenue, B to 95%, C the rest.",
    ),
    "fractal": analysis.TableSpec(
        "The 80/20 rule level by level: actual against theory",
        columns={
            "level": "count",
            "entity_share": "percent",
            "accounts": "count",
            "n": "count",
            "actual_share": "percent",
            "theoretical_share": "percent",
            "share_gap": "percent",
            "note": "text",
        },
        labels={
            "entity_share": "Top share of accounts",
            "n": "Accounts ranked",
            "actual_share": "Share of revenue",
            "theoretical_share": "80/20 theory",
            "share_gap": "Gap to theory",
        },
    ),
    "movement": analysis.TableSpec(
        "Who entered and who left the top 20% of accounts",
        columns={
            "account_id": "id",
            "account_name": "text",
            "status": "text",
            "rank_now": "count",
            "rank_before": "count",
            "revenue_now": "money",
            "revenue_before": "money",
        },
        labels={
            "account_name": "Account",
            "rank_now": "Rank this window",
            "rank_before": "Rank the window before",
            "revenue_now": "Revenue this window",
            "revenue_before": "Revenue the window before",
        },
        source="Full list in the export top_group_movement.",
    ),
    "chain_products": analysis.TableSpec(
        "Products ranked by the commission they earn",
        columns={
            "product_id": "id",
            "product_name": "text",
            "revenue": "money",
            "commission_rate": "percent",
            "commission": "money",
            "rank": "count",
            "share": "percent",
            "cum_share": "percent",
            "vital": "bool",
        },
        labels={
            "product_name": "Product",
            "share": "Share",
            "cum_share": "Cumulative share",
            "vital": "Vital few",
        },
        source="Commission = revenue x the product's commission rate. Full list in the export "
        "products_ranked.",
    ),
    "vital_few": analysis.TableSpec(
        "The vital few: customers of the vital products, with their weekly hours",
        columns={
            "account_id": "id",
            "account_name": "text",
            "rank": "count",
            "revenue_on_vital_products": "money",
            "share": "percent",
            "cum_share": "percent",
            "hours_per_week": "number",
        },
        labels={
            "account_name": "Account",
            "revenue_on_vital_products": "Revenue on vital products",
            "share": "Share",
            "cum_share": "Cumulative share",
            "hours_per_week": "Selling hours a week",
        },
        source="Full list in the export vital_few; every customer's hours in the export time_plan.",
    ),
    "time_plan": analysis.TableSpec(
        "The week's time plan per customer",
        columns={
            "account_id": "id",
            "account_name": "text",
            "group": "text",
            "share": "percent",
            "hours_per_week": "number",
        },
        labels={
            "account_name": "Account",
            "share": "Share of vital-product revenue",
            "hours_per_week": "Selling hours a week",
        },
    ),
    "complaints": analysis.TableSpec(
        "The accounts that open the most cases, beside their revenue",
        columns={
            "account_id": "id",
            "account_name": "text",
            "cases": "count",
            "cases_rank": "count",
            "case_share": "percent",
            "case_cum_share": "percent",
            "revenue": "money",
            "revenue_rank": "count",
            "demanding": "bool",
            "valuable": "bool",
            "quadrant": "text",
        },
        labels={
            "account_name": "Account",
            "case_share": "Share of cases",
            "case_cum_share": "Cumulative share of cases",
            "revenue": "Net revenue",
            "demanding": "Top 20% by cases",
            "valuable": "Top 20% by revenue",
        },
        source="Valuable: top 20% of accounts by revenue; demanding: top 20% by cases.",
    ),
}


# --------------------------------------------------------------------------- training (issue 14)
EXERCISE_CUTOFF = 0.7  # exercise 2 moves the cut-off here from the parameter's value


def _share_top_20pct(data: DataSet, params: Params) -> float | None:
    """The ``share_top_20pct`` metric :func:`analyze` gives for ``params``, without the
    sections that do not lead to it (chain, complaints, movement)."""
    analysis.require(data, CORE, "Pareto")
    _validate(params)
    per = analysis.periods(data, params, kind=params.window_kind)
    ranking = concentration(_revenue(data, _source(data), per.window, per.fiscal_start))
    if ranking.empty:
        return None
    return analysis.finite_or_none(_level_shares(fractal_levels(ranking)).get(0.2))


def exercises(data: DataSet, params: Params, a: ParetoAnalysis) -> dict[str, Any]:
    """The notebook's exercises: exercise number -> ``training.Answer``, computed from the data.

    1. predict: the top 20%'s share of revenue in the other window (the last four quarters
       when the review window is a quarter, else the quarter alone);
    2. parameter: how many accounts are the vital few at a cut-off of :data:`EXERCISE_CUTOFF`;
    3. judgement: three accounts for a service plan (rubric: valuable and demanding, the most
       cases first; every account tied on cases with the third passes);
    4. scenario: the account that opened the most cases (every account tied at the top passes).

    An exercise the data cannot answer keeps its place with no value, and its check says so.
    Pure: computes exercise 1's share as :func:`analyze` would in the other window (the
    revenue query and the ranking only) and exercise 2's count from ``a``'s ranking;
    reads no file of its own.
    """
    from . import training

    # 1 predict
    other = "ttm" if params.window_kind == "quarter" else "quarter"
    try:
        share = _share_top_20pct(data, replace(params, window_kind=other))
    except DataError:
        share = None
    now = a.metrics.get("share_top_20pct")
    key: dict[str, Any] = {
        "1": training.Answer(
            share,
            kind="guess",
            of="percent",
            hint="A guess, as a share of revenue (0.75 or 75%).",
            explain=f"Over {'the last four quarters' if other == 'ttm' else 'the quarter alone'} "
            f"the top 20% of accounts hold {share or 0:.1%}"
            + (f", against {now:.1%} in the review window" if now is not None else "")
            + ": one window's one-off projects move the share.",
        )
    }
    # 2 parameter
    # the vital few at another cut-off: analyze's count, read off the same ranking
    n = _k_for(a.tables["ranking"], EXERCISE_CUTOFF) if "ranking" in a.tables else None
    key["2"] = training.Answer(
        None if n is None else int(n),
        kind="count",
        hint=f"Move the cut-off to {EXERCISE_CUTOFF:.0%} (the slider, or the cutoff parameter) "
        "and read the Pareto chart's title.",
        explain=f"At {EXERCISE_CUTOFF:.0%} the vital few are {n} accounts, against "
        f"{a.metrics.get('vital_few_accounts')} at {params.cutoff:.0%}: the last points of "
        "revenue cost the most accounts.",
    )
    # 3 judgement, 4 scenario: complaints
    complaints = a.table("complaints")
    if complaints is None:
        complaints = pd.DataFrame(columns=["account_name", "cases", "valuable", "demanding"])
    both = complaints[complaints["valuable"].astype(bool) & complaints["demanding"].astype(bool)]
    ok = (
        list(training.with_ties(both, "cases", 3)["account_name"].astype(str))
        if len(both) >= 3
        else []
    )
    key["3"] = training.Answer(
        ok[:3],
        kind="pick",
        k=3,
        any_of=tuple(ok[3:]),
        hint="Rubric: valuable and demanding (top 20% by revenue and by cases), the most cases "
        "first; accounts tied on cases all count. The complaints table's quadrant column says "
        "which accounts are both.",
        explain=f"{_list_names(ok)} open the most cases of the accounts that are both valuable "
        "and demanding: they pay for a service plan, and fixing their cases frees the most time.",
    )
    top = training.with_ties(complaints, "cases", 1)
    names = list(top["account_name"].astype(str))
    cases = int(top["cases"].iloc[0]) if len(top) else 0
    key["4"] = training.Answer(
        names[0] if names else None,
        kind="name",
        any_of=tuple(names[1:]),
        hint="The complaints table is sorted by cases, most first; any account tied at the top "
        "counts.",
        explain=f"{_list_names(names)} opened {cases} cases"
        + (" each" if len(names) > 1 else "")
        + f" in {a.window.label}: find out whether the cause is theirs or ours before the visit.",
    )
    return key
