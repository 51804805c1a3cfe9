"""Pareto (80/20), fractal and chained: how concentrated a book of business really is.

Compute functions take tables and return new tables (no I/O, no printing); ``plot_*``
functions draw a table a compute function made and return the Axes. Revenue per
account comes from :func:`salesnb.sources.revenue_by`.

Conventions: the top ``p`` of ``n`` entities is ``k = ceil(p * n)`` over the entities
with a positive value; shares are fractions in [0, 1]; ties are broken by id so that
results are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .schema import DataError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, money_axis, percent_axis

__all__ = [
    "THEORY",
    "chained",
    "commission_table",
    "complaints_table",
    "concentration",
    "fractal_levels",
    "headline",
    "measures",
    "metrics",
    "verdict",
    "vital_list",
    "complaints_for",
    "complaints_summary",
    "complaints_view",
    "chain_note",
    "coverage_note",
    "gini",
    "herfindahl",
    "movement",
    "plot_complaints",
    "plot_fractal",
    "plot_lorenz",
    "plot_pareto",
    "share_for",
    "time_plan",
    "top_k",
]

THEORY = 0.8  # the rule's share at each level: 80%, 64%, 51.2% ...


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
    """One row per ``by`` with a positive summed ``value``, ranked, with shares and ABC class.

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
        ``entity_share`` (rank / n) and ``abc``.

    Example
    -------
    >>> concentration(pd.DataFrame({"account_id": ["a", "b"], "revenue": [3.0, 1.0]}))["cum_share"].tolist()
    [0.75, 1.0]
    """
    _require(df, [by, value], "concentration")
    # an aggregate (one row per entity) needs no second grouping
    unique = df[by].is_unique
    totals = df[[by, value]] if unique else df.groupby(by, sort=False)[value].sum().reset_index()
    totals = totals[totals[value] > 0]
    order = totals.sort_values([value, by], ascending=[False, True], kind="stable")
    total = order[value].sum()
    n = len(order)
    out = order.assign(
        rank=np.arange(1, n + 1), share=(order[value] / total) if n else pd.Series(dtype=float)
    )
    out["cum_share"] = out["share"].cumsum().round(12)  # 0.5 + 0.2 + 0.1 must reach 0.8
    out["entity_share"] = out["rank"] / max(n, 1)
    previous = _before(out)  # an entity is A if the A limit was not yet reached
    out["abc"] = np.select([previous < abc[0], previous < abc[1]], ["A", "B"], default="C")
    return out.reset_index(drop=True)


def fractal_levels(table: pd.DataFrame, *, levels: int = 3, base: float = 0.2) -> pd.DataFrame:
    """Actual share of value held by the top 20%, 4%, 0.8% ... beside the theoretical 80 / 64 / 51%.

    ``table`` is a :func:`concentration` result.
    """
    _require(table, ["share"], "fractal_levels")
    n = len(table)
    rows = []
    for i in range(1, levels + 1):
        p = base**i
        k = top_k(n, p)
        rows.append(
            {
                "level": i,
                "entity_share": p,
                "k": k,
                "n": n,
                "actual_share": float(table["share"].iloc[:k].sum()) if n else float("nan"),
                "theoretical_share": THEORY**i,
            }
        )
    out = pd.DataFrame(rows)
    out["gap"] = out["actual_share"] - out["theoretical_share"]
    return out


def share_for(table: pd.DataFrame, target: float = 0.8) -> float:
    """Smallest k / n whose top-k entities hold at least ``target`` of the value."""
    _require(table, ["cum_share"], "share_for")
    if table.empty:
        return float("nan")
    k = int(np.searchsorted(table["cum_share"].to_numpy(), target - 1e-12) + 1)
    return min(k, len(table)) / len(table)


def gini(values: Sequence[float] | pd.Series) -> float:
    """Gini coefficient of the positive values (0 = all equal, towards 1 = one holds all)."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[x > 0]
    n = len(x)
    if n == 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return max(
        0.0, float(2 * (ranks * x).sum() / (n * x.sum()) - (n + 1) / n)
    )  # no -2e-16 for equal values


def herfindahl(values: Sequence[float] | pd.Series) -> float:
    """Herfindahl-Hirschman index of the positive values: sum of squared shares (1/n to 1)."""
    x = np.asarray(values, dtype=float)
    x = x[x > 0]
    return float(((x / x.sum()) ** 2).sum()) if len(x) else float("nan")


def movement(
    current: pd.DataFrame, previous: pd.DataFrame, *, by: str = "account_id", share: float = 0.2
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

    ``lines`` has product_id and revenue (any grain); products without a rate earn 0.
    """
    _require(lines, ["product_id", "revenue"], "commission_table")
    _require(products, ["product_id"], "commission_table")
    rates = products.set_index("product_id").get("commission_rate", pd.Series(dtype=float))
    per = lines.groupby("product_id", sort=True)["revenue"].sum().reset_index()
    per["commission_rate"] = per["product_id"].map(rates).fillna(0.0).astype(float)
    per["commission"] = per["revenue"] * per["commission_rate"]
    names = products.set_index("product_id").get("product_name")
    ranked = concentration(per, by="product_id", value="commission")
    ranked = ranked.merge(
        per[["product_id", "revenue", "commission_rate"]], on="product_id", how="left"
    )
    if names is not None:
        ranked.insert(1, "product_name", ranked["product_id"].map(names))
    return ranked


def chained(
    lines: pd.DataFrame, products: pd.DataFrame, *, cutoff: float = 0.8
) -> dict[str, pd.DataFrame]:
    """The salesperson's chain: top products by commission -> customers who buy them.

    Parameters
    ----------
    lines
        Revenue per account_id and product_id.
    products
        Products with commission_rate.
    cutoff
        Cumulative share that makes the vital few (0.8).

    Returns
    -------
    dict
        ``products`` (commission ranking, with ``vital``), ``customers`` (revenue of
        the vital products per account, ranked, with ``vital``), ``basis``
        ("commission", or "revenue" when no product has a commission rate).
    """
    _require(lines, ["account_id", "product_id", "revenue"], "chained")
    prod = commission_table(lines, products)
    basis = "commission"
    if prod.empty:  # no commission rates in the data: rank products by revenue instead
        basis = "revenue"
        prod = commission_table(lines, products.assign(commission_rate=1.0)).assign(
            commission_rate=np.nan
        )
    prod["vital"] = _before(prod) < cutoff
    vital_ids = set(prod.loc[prod["vital"], "product_id"])
    on_vital = lines[lines["product_id"].isin(vital_ids)]
    cust = concentration(on_vital, by="account_id", value="revenue")
    cust["vital"] = _before(cust) < cutoff
    return {"products": prod, "customers": cust, "basis": basis}


def time_plan(
    customers: pd.DataFrame, *, weekly_hours: float = 40.0, focus_share: float = 0.8
) -> pd.DataFrame:
    """Selling hours per week per account: ``focus_share`` of the week on the vital few.

    Hours inside each group follow the accounts' value shares; the plan sums to
    ``weekly_hours``. ``customers`` is a :func:`chained` customers table (with ``vital``).
    """
    _require(customers, ["account_id", "share", "vital"], "time_plan")
    if weekly_hours <= 0 or not 0 < focus_share <= 1:
        raise ValueError("weekly_hours must be positive and focus_share in (0, 1]")
    out = customers[["account_id", "share", "vital"]].copy()
    vital = out["vital"].astype(bool)
    focus = focus_share if (~vital).any() else 1.0
    for mask, hours in ((vital, weekly_hours * focus), (~vital, weekly_hours * (1 - focus))):
        weight = out.loc[mask, "share"]
        out.loc[mask, "hours_per_week"] = hours * weight / weight.sum() if weight.sum() else 0.0
    out["group"] = np.where(vital, "vital few", "others")
    return out[["account_id", "group", "share", "hours_per_week"]].reset_index(drop=True)


def complaints_table(
    cases: pd.DataFrame, revenue: pd.DataFrame, *, top: float = 0.2
) -> pd.DataFrame:
    """Cases per account beside revenue, with the value-vs-effort quadrant.

    ``demanding`` = among the top ``top`` of accounts by cases; ``valuable`` = among the
    top ``top`` by revenue. Quadrants: valuable & demanding, valuable & easy,
    demanding only, neither.
    """
    _require(cases, ["account_id"], "complaints_table")
    _require(revenue, ["account_id", "revenue"], "complaints_table")
    per = (
        cases.dropna(subset=["account_id"])
        .groupby("account_id")
        .size()
        .rename("cases")
        .reset_index()
    )
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
    out["revenue"] = out["revenue"].fillna(0.0)
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
    max_bars: int = 60,
    ax: Axes | None = None,
) -> Axes:
    """Bars of each entity's value (largest first) with the cumulative share and the cut-off."""
    ax = get_ax(ax)
    shown = table.iloc[:max_bars]
    x = np.arange(1, len(shown) + 1)
    colors = [HIGHLIGHT if c < cutoff else MUTED for c in _before(shown)]
    ax.bar(x, shown[value], color=colors, width=0.85)
    money_axis(ax, "y", currency)
    ax.set_xlabel(f"accounts ranked by {value} (top {len(shown)} of {len(table)})")
    ax.set_ylabel(value)
    twin = ax.twinx()
    twin.plot(x, shown["cum_share"], color=PALETTE[0], marker="", linewidth=2)
    twin.axhline(cutoff, color=PALETTE[0], linestyle="--", linewidth=1)
    twin.set_ylim(0, 1.02)
    percent_axis(twin)
    twin.grid(False)
    k = int((_before(table) < cutoff).sum())
    ax.set_title(
        f"{k} of {len(table)} accounts ({k / len(table):.0%}) make {cutoff:.0%} of {value}"
        if len(table)
        else "no positive values"
    )
    return ax


def plot_lorenz(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lorenz curve: cumulative share of value against cumulative share of entities (smallest first)."""
    ax = get_ax(ax, figsize=(5, 5))
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
    ax.set_title(f"Lorenz curve, Gini {gini(table['share']):.2f}")
    ax.legend(loc="upper left")
    return ax


def plot_fractal(levels: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Actual vs theoretical share held at each fractal level (20%, 4%, 0.8% ...)."""
    ax = get_ax(ax)
    labels = [f"top {p:.1%}".replace(".0%", "%") for p in levels["entity_share"]]
    x = np.arange(len(levels))
    ax.bar(x - 0.2, levels["theoretical_share"], width=0.4, color=MUTED, label="80/20 theory")
    ax.bar(x + 0.2, levels["actual_share"], width=0.4, color=HIGHLIGHT, label="this data")
    for xi, v in zip(x, levels["actual_share"], strict=True):
        ax.annotate(f"{v:.0%}", (xi + 0.2, v), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    first = levels.iloc[0]
    ax.set_title(
        f"The top {first['entity_share']:.0%} hold {first['actual_share']:.0%} "
        f"(theory {first['theoretical_share']:.0%})"
    )
    ax.legend()
    return ax


def plot_complaints(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Cases against revenue per account, coloured by quadrant."""
    ax = get_ax(ax)
    colors = {
        "valuable & demanding": HIGHLIGHT,
        "valuable & easy": PALETTE[2],
        "demanding only": PALETTE[3],
        "neither": MUTED,
    }
    for quadrant, part in table.groupby("quadrant", sort=False):
        ax.scatter(
            part["revenue"],
            part["cases"],
            s=22,
            alpha=0.8,
            color=colors.get(str(quadrant), MUTED),
            label=f"{quadrant} ({len(part)})",
        )
    money_axis(ax, "x", currency)
    ax.set_xlabel("revenue in the window")
    ax.set_ylabel("cases")
    both = int((table["quadrant"] == "valuable & demanding").sum())
    ax.set_title(f"{both} accounts are both top revenue and top complainers")
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- reading the result
def measures(table: pd.DataFrame, *, cutoff: float = 0.8) -> dict[str, float]:
    """Concentration measures of a :func:`concentration` table."""
    return {
        "n": len(table),
        "total": float(table.iloc[:, 1].sum()) if len(table) else 0.0,
        "gini": gini(table["share"]) if len(table) else float("nan"),
        "herfindahl": herfindahl(table["share"]) if len(table) else float("nan"),
        "share_for_cutoff": share_for(table, cutoff),
    }


def verdict(levels: pd.DataFrame) -> str:
    """One sentence on how "Pareto" the book is, from the first fractal level."""
    if levels.empty or pd.isna(levels["actual_share"].iloc[0]):
        return "There is no revenue in this window, so there is nothing to rank."
    first = levels.iloc[0]
    actual, theory, p = first["actual_share"], first["theoretical_share"], first["entity_share"]
    head = f"The top {p:.0%} of accounts ({int(first['k'])} of {int(first['n'])}) bring {actual:.0%} of revenue"
    if actual >= theory + 0.05:
        return (
            head
            + ": more concentrated than 80/20. A handful of accounts carries the quarter; losing one hurts."
        )
    if actual >= theory - 0.05:
        return head + ": close to the 80/20 rule. Focus pays off here."
    return head + (
        f": far flatter than 80/20 (theory {theory:.0%}). Revenue is spread over many accounts, so "
        "picking the vital few by revenue alone saves little time; look at commission and effort too."
    )


def headline(levels: pd.DataFrame, m: dict[str, float]) -> str:
    """The rounded figures a trainer quotes (stable text for notebook checks)."""
    lines = [f"accounts with revenue: {m['n']}"]
    for _, row in levels.iterrows():
        lines.append(
            f"top {row['entity_share']:.1%} ({int(row['k'])} accounts): {row['actual_share']:.1%} "
            f"of revenue (theory {row['theoretical_share']:.1%})"
        )
    lines.append(f"smallest share of accounts holding 80%: {m['share_for_cutoff']:.1%}")
    lines.append(f"Gini {m['gini']:.3f}, Herfindahl {m['herfindahl']:.4f}")
    return "\n".join(lines)


def metrics(
    table: pd.DataFrame, levels: pd.DataFrame, complaints: pd.DataFrame | None, *, source: str
) -> dict[str, float | int | str | None]:
    """The headline metrics summary.json records for the Pareto notebook (full precision)."""
    m = measures(table)
    by_level = dict(zip(levels["entity_share"].round(6), levels["actual_share"], strict=True))
    top20 = None
    if complaints is not None and len(complaints):
        top20 = float(complaints["case_share"].iloc[: top_k(len(complaints), 0.2)].sum())
    return {
        "n_accounts": int(m["n"]),
        "revenue_total": m["total"],
        "share_top_20pct": by_level.get(0.2),
        "share_top_4pct": by_level.get(0.04),
        "share_top_0_8pct": by_level.get(0.008),
        "accounts_share_for_80pct": m["share_for_cutoff"],
        "gini": m["gini"],
        "herfindahl": m["herfindahl"],
        "complaints_share_top_20pct": top20,
        "revenue_source": source,
    }


def vital_list(customers: pd.DataFrame, accounts: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The vital-few customers with names and planned hours (the list a salesperson works from)."""
    _require(customers, ["account_id", "revenue", "share", "cum_share", "vital"], "vital_list")
    names = accounts.set_index("account_id")["account_name"] if "account_name" in accounts else None
    out = customers.loc[
        customers["vital"], ["account_id", "rank", "revenue", "share", "cum_share"]
    ].copy()
    out.insert(1, "account_name", out["account_id"].map(names) if names is not None else pd.NA)
    hours = plan.set_index("account_id")["hours_per_week"]
    out["hours_per_week"] = out["account_id"].map(hours)
    return out.rename(columns={"revenue": "revenue_on_vital_products"}).reset_index(drop=True)


def complaints_for(
    cases: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp, revenue: pd.DataFrame
) -> pd.DataFrame | None:
    """:func:`complaints_table` for the cases opened in ``[start, end]``; None without a cases table."""
    if cases is None:
        return None
    _require(cases, ["account_id", "opened_date"], "complaints_for")
    inside = cases[(cases["opened_date"] >= start) & (cases["opened_date"] <= end)]
    return complaints_table(inside, revenue)


def complaints_summary(complaints: pd.DataFrame | None) -> str:
    """What the complaints ranking says, in one paragraph (or why it is missing)."""
    if complaints is None:
        return (
            "This data set has no cases table, so complaints cannot be ranked "
            "(add cases.csv with account_id and opened_date)."
        )
    if complaints.empty:
        return "No cases were opened in this window."
    n = len(complaints)
    k4, k20 = top_k(n, 0.04), top_k(n, 0.2)
    s4 = complaints["case_share"].iloc[:k4].sum()
    s20 = complaints["case_share"].iloc[:k20].sum()
    both = int((complaints["quadrant"] == "valuable & demanding").sum())
    return (
        f"{n} accounts opened {int(complaints['cases'].sum())} cases. The worst 4% ({k4} accounts) caused "
        f"{s4:.0%} of them (theory 64%), the worst 20% ({k20}) caused {s20:.0%} (theory 80%). "
        f"{both} of the most demanding accounts are also among the top 20% by revenue."
    )


def complaints_view(complaints: pd.DataFrame | None) -> pd.DataFrame:
    """The complaints ranking trimmed for reading: id, cases, share, revenue, quadrant."""
    cols = ["account_id", "cases", "case_share", "case_cum_share", "revenue", "quadrant"]
    if complaints is None:
        return pd.DataFrame(columns=cols)
    return complaints[cols].round({"case_share": 3, "case_cum_share": 3, "revenue": 0})


def chain_note(chain: dict[str, Any], cutoff: float = 0.8) -> str:
    """What the chained analysis found, in two sentences."""
    prod, cust = chain["products"], chain["customers"]
    if prod.empty:
        return "No product revenue in this window, so there is no chain to follow."
    basis = chain["basis"]
    first = (
        f"{int(prod['vital'].sum())} of {len(prod)} products earn {cutoff:.0%} of the {basis}"
        if basis == "commission"
        else f"No product carries a commission rate, so products are ranked by revenue: "
        f"{int(prod['vital'].sum())} of {len(prod)} make {cutoff:.0%} of it"
    )
    return (
        f"{first}; {int(cust['vital'].sum())} of the {len(cust)} customers who buy them account for "
        f"{cutoff:.0%} of those products' revenue. They get the time plan's focus hours."
    )


def coverage_note(info: dict[str, Any], currency: str = "") -> str:
    """Which records the revenue came from, and what was left out for lack of an account."""
    from .theme import format_money

    what = "order lines" if info["source"] == "orders" else "won opportunities"
    return (
        f"Revenue from {info['lines']:,} {what} in the window; without an account (left out): "
        f"{info['unassigned_lines']:,} worth {format_money(info['unassigned_revenue'], currency)}."
    )
