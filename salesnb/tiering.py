"""Account tiering: a transparent scorecard, tiers T1-T4 and Global, time allocation,
name development and sales-marketing alignment.

Each factor is a "box", checked (True), failed (False) or unknown (NA) when the data
is missing: unknown is never silently a pass or a fail. Tiers follow the share of
*known* boxes checked; Fortune-500-class accounts (``is_global``) are Global whatever
their boxes (the size box fails them by design). Thresholds live in :class:`Rules`,
which a YAML rules file can override (:func:`load_rules`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.axes import Axes

from ._files import read_yaml
from .schema import DataError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, percent_axis

__all__ = [
    "default_scorecard",
    "ALIGNMENT_ITEMS",
    "BOXES",
    "TIERS",
    "TIME_SHARES",
    "Rules",
    "alignment",
    "allocation",
    "churn",
    "coverage_matrix",
    "disqualification_list",
    "load_checklist",
    "load_history",
    "load_rules",
    "make_rules",
    "names_note",
    "tier_note",
    "time_note",
    "metrics",
    "name_development",
    "plot_coverage",
    "plot_sensitivity",
    "plot_tier_mix",
    "plot_time",
    "priority_list",
    "rules_table",
    "tier_history",
    "scorecard",
    "sensitivity",
    "time_by_tier",
]

BOXES: tuple[str, ...] = ("website", "size", "tenure", "pricing_fit", "prior_spend", "priorities")
TIERS: tuple[str, ...] = ("T1", "T2", "T3", "T4", "Global", "unscored")
# share of activity each tier deserves (ranges from the method; midpoints are rescaled to 100%)
TIME_SHARES: dict[str, tuple[float, float]] = {
    "T1": (0.60, 0.70),
    "T2": (0.10, 0.20),
    "T3": (0.05, 0.10),
    "T4": (0.0, 0.0),
    "Global": (0.20, 0.25),
}
_BOX_TEXT = {
    "website": "website clean and modern",
    "size": "mid-size",
    "tenure": "established",
    "pricing_fit": "their prices fit our deal size",
    "prior_spend": "has bought from us",
    "priorities": "stated priorities fit",
}


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


def load_rules(path: str | Path) -> Rules:
    """Rules from a YAML file of ``name: value`` lines; unknown names and bad values name the key."""
    path = Path(path)
    raw = read_yaml(path, "rules file") or {}
    if not isinstance(raw, dict):
        raise DataError(f"{path.name}: expected 'name: value' lines")
    known = {f.name: f for f in fields(Rules)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise DataError(
            f"{path.name}: unknown rule(s) {', '.join(unknown)}; known rules: {', '.join(known)}"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "weights":
            if not isinstance(value, dict) or set(value) - set(BOXES):
                raise DataError(
                    f"{path.name}: weights must map boxes ({', '.join(BOXES)}) to numbers"
                )
            try:
                values[key] = {
                    **dict.fromkeys(BOXES, 1.0),
                    **{k: float(v) for k, v in value.items()},
                }
            except (TypeError, ValueError):
                raise DataError(f"{path.name}: weights must be numbers") from None
            continue
        try:
            values[key] = (
                float(value)
                if isinstance(Rules.__dataclass_fields__[key].default, float)
                else int(value)
            )
        except (TypeError, ValueError):
            raise DataError(f"{path.name}: rule {key} must be a number, got {value!r}") from None
    rules = Rules(**values)
    if not rules.t1 >= rules.t2 >= rules.t3 >= 0 or rules.employees_min > rules.employees_max:
        raise DataError(f"{path.name}: need t1 >= t2 >= t3 >= 0 and employees_min <= employees_max")
    return rules


def default_scorecard(
    accounts: pd.DataFrame | None, opportunities: pd.DataFrame | None, *, year: int
) -> pd.DataFrame | None:
    """Tiers by the default rules (deal size from the won deals), for methodologies that rank by tier.

    The war room and ABM use this one definition; None without an accounts table.
    """
    if accounts is None:
        return None
    return scorecard(accounts, Rules().with_deal_size(opportunities), as_of_year=year)


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
        c: pd.to_numeric(col(c), errors="coerce")
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
    tier = np.select(
        [
            is_global,
            known < rules.min_known,
            share >= rules.t1 - 1e-9,
            share >= rules.t2 - 1e-9,
            share >= rules.t3 - 1e-9,
        ],
        ["Global", "unscored", "T1", "T2", "T3"],
        default="T4",
    )
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
    out["share_checked"] = share.round(4)
    out["score"] = (weighted / known_weight.where(known_weight > 0)).fillna(0.0).round(4)
    out["tier"] = tier
    out["reason"] = [
        _reason(t, boxes.loc[i], int(known[i]), int(checked[i]))
        for i, t in zip(out.index, tier, strict=True)
    ]
    return out.reset_index(drop=True)


def _reason(tier: str, row: pd.Series, known: int, checked: int) -> str:
    failed = [_BOX_TEXT[b] for b in BOXES if row[b] is False or (pd.notna(row[b]) and not row[b])]
    unknown = [b for b in BOXES if pd.isna(row[b])]
    base = f"{checked} of {known} known boxes checked"
    if tier == "Global":
        return f"Global: Fortune-500 class, worked steadily whatever the boxes ({base})"
    if tier == "unscored":
        return f"unscored: only {known} of {len(BOXES)} boxes known (unknown: {', '.join(unknown)})"
    text = f"{tier}: {base}"
    if failed:
        text += "; fails: " + ", ".join(failed)
    if unknown:
        text += "; unknown: " + ", ".join(unknown)
    return text


def sensitivity(
    accounts: pd.DataFrame, rules: Rules, *, as_of_year: int, step: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which accounts change tier when each threshold moves by ``step`` (10%) up or down.

    Returns (summary per change, detail per account that moves).
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
            changed = scorecard(accounts, replace(rules, **{name: new}), as_of_year=as_of_year)
            tiers = changed.set_index("account_id")["tier"]
            moved = tiers[tiers != base]
            moves = (base[moved.index] + "→" + moved).value_counts()
            label = f"{name} {value:g} → {new:g}"
            rows.append(
                {
                    "change": label,
                    "parameter": name,
                    "accounts_changed": len(moved),
                    "moves": ", ".join(f"{k}: {v}" for k, v in moves.items()),
                }
            )
            detail += [
                {"change": label, "account_id": a, "from": base[a], "to": moved[a]}
                for a in moved.index
            ]
    return pd.DataFrame(rows), pd.DataFrame(detail, columns=["change", "account_id", "from", "to"])


def allocation(
    cards: pd.DataFrame,
    *,
    hours_per_week: float,
    shares: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Planned selling hours per week per account from the tier shares, summing to ``hours_per_week``.

    Range midpoints are rescaled to 100% over the tiers that have accounts; T4 gets
    0 (nurture by marketing), unscored accounts get none until their data is known.
    """
    shares = shares or TIME_SHARES
    mid = {t: (lo + hi) / 2 for t, (lo, hi) in shares.items()}
    present = cards["tier"].value_counts()
    weights = {t: mid.get(t, 0.0) for t in present.index if mid.get(t, 0.0) > 0}
    total = sum(weights.values())
    out = cards[["account_id", "tier"]].copy()
    per_tier = {t: (hours_per_week * w / total if total else 0.0) for t, w in weights.items()}
    out["planned_share"] = out["tier"].map(
        lambda t: (weights.get(t, 0.0) / total) if total else 0.0
    )
    out["hours_per_week"] = out["tier"].map(lambda t: per_tier.get(t, 0.0) / present[t])
    return out


def time_by_tier(
    plan: pd.DataFrame, activity: pd.DataFrame, *, weeks: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planned vs logged time, per tier and per account (over- and under-served).

    ``activity`` has account_id and minutes for the window; ``weeks`` is its length.
    Returns (per tier, per account with ``served``: over / under / as planned / unplanned).
    """
    acts = activity.set_index("account_id")["minutes"] if len(activity) else pd.Series(dtype=float)
    per = plan.copy()
    per["actual_hours_per_week"] = per["account_id"].map(acts).fillna(0.0) / 60 / weeks
    ratio = per["actual_hours_per_week"] / per["hours_per_week"].where(per["hours_per_week"] > 0)
    per["served"] = np.select(
        [
            per["hours_per_week"].eq(0) & per["actual_hours_per_week"].gt(0),
            ratio > 1.5,
            ratio < 0.5,
        ],
        ["unplanned time", "over-served", "under-served"],
        default="as planned",
    )
    tiers = per.groupby("tier").agg(
        accounts=("account_id", "size"),
        planned_hours=("hours_per_week", "sum"),
        actual_hours=("actual_hours_per_week", "sum"),
    )
    tiers["planned_share"] = tiers["planned_hours"] / tiers["planned_hours"].sum()
    total_actual = tiers["actual_hours"].sum()
    tiers["actual_share"] = tiers["actual_hours"] / total_actual if total_actual else 0.0
    order = [t for t in TIERS if t in tiers.index]
    return tiers.reindex(order).reset_index(), per


def tier_history(
    accounts: pd.DataFrame, rules: Rules, ends: list[tuple[str, pd.Timestamp]], spend: pd.DataFrame
) -> pd.DataFrame:
    """Tiers as of each quarter end: tenure at that date, prior spend = recorded prior spend + spend to date.

    ``ends`` is [(quarter label, end date)]; ``spend`` has as_of, account_id, spend
    (see :func:`salesnb.sources.spend_to_date`).
    """
    rows = []
    base = pd.to_numeric(
        accounts.get("prior_spend", pd.Series(0.0, index=accounts.index)), errors="coerce"
    )
    for label, end in ends:
        to_date = (
            spend[spend["as_of"] == end].set_index("account_id")["spend"]
            if len(spend)
            else pd.Series(dtype=float)
        )
        snap = accounts.assign(
            prior_spend=base.fillna(0) + accounts["account_id"].map(to_date).fillna(0.0)
        )
        cards = scorecard(snap, rules, as_of_year=end.year)
        rows.append(cards[["account_id", "tier"]].assign(quarter=label))
    return pd.concat(rows, ignore_index=True)


def churn(
    history: pd.DataFrame, *, t3_turnover_max: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tier churn over quarter ends: T1/T2 accounts that changed within the year; T3 turnover per quarter.

    ``history`` has account_id, quarter (sorted labels) and tier. Returns
    (flagged T1/T2 accounts, T3 turnover per quarter with ``too_high``).
    """
    wide = history.pivot_table(
        index="account_id", columns="quarter", values="tier", aggfunc="first"
    ).sort_index(axis=1)
    quarters = list(wide.columns)
    was_top = wide.isin(["T1", "T2"]).any(axis=1)
    changed = wide.ne(wide.iloc[:, 0], axis=0).any(
        axis=1
    )  # differs from the first quarter somewhere
    flagged = wide[was_top & changed].reset_index()
    turnover = []
    for prev, cur in zip(quarters, quarters[1:], strict=False):
        before = set(wide.index[wide[prev] == "T3"])
        after = set(wide.index[wide[cur] == "T3"])
        share = len(before - after) / len(before) if before else 0.0
        turnover.append(
            {
                "quarter": cur,
                "t3_before": len(before),
                "left_t3": len(before - after),
                "turnover": share,
                "too_high": share > t3_turnover_max,
            }
        )
    return flagged, pd.DataFrame(turnover)


def disqualification_list(cards: pd.DataFrame) -> pd.DataFrame:
    """Tier 4 accounts (outside the sweet spot) with the boxes they fail: say no early."""
    t4 = cards[cards["tier"] == "T4"].reset_index(drop=True)
    fails = [
        ", ".join(
            _BOX_TEXT[b] for b in BOXES if pd.notna(row[f"box_{b}"]) and not bool(row[f"box_{b}"])
        )
        for _, row in t4.iterrows()
    ]
    return t4[["account_id", "account_name", "boxes_known", "boxes_checked"]].assign(fails=fails)


def name_development(
    accounts: pd.DataFrame, contacts: pd.DataFrame | None, *, minimum: int = 5, target: int = 10
) -> pd.DataFrame:
    """Contacts per account against the 5-10 target: departments, single threads, decision makers, social."""
    base = accounts[["account_id"]].copy()
    if contacts is None or contacts.empty:
        return base.assign(
            contacts=0,
            departments=0,
            single_threaded=False,
            has_decision_maker=False,
            linkedin_share=np.nan,
            below_minimum=True,
            gap_to_target=target,
        )
    c = contacts.dropna(subset=["account_id"])
    g = c.groupby("account_id")
    per = pd.DataFrame({"contacts": g.size()})
    per["departments"] = g["department"].nunique() if "department" in c else 0
    per["has_decision_maker"] = (
        g["role"].apply(lambda r: (r == "decision_maker").any()) if "role" in c else False
    )
    per["linkedin_share"] = g["linkedin_connected"].mean() if "linkedin_connected" in c else np.nan
    out = base.merge(per, left_on="account_id", right_index=True, how="left")
    out["contacts"] = out["contacts"].fillna(0).astype(int)
    out["departments"] = out["departments"].fillna(0).astype(int)
    out["has_decision_maker"] = (
        out["has_decision_maker"].astype("boolean").fillna(False).astype(bool)
    )
    out["single_threaded"] = out["contacts"] == 1
    out["below_minimum"] = out["contacts"] < minimum
    out["gap_to_target"] = (target - out["contacts"]).clip(lower=0)
    return out


def coverage_matrix(contacts: pd.DataFrame | None, account_ids: list[str]) -> pd.DataFrame:
    """Contacts per account (rows) and department (columns) for the given accounts."""
    if contacts is None or "department" not in contacts:
        return pd.DataFrame(index=pd.Index(account_ids, name="account_id"))
    c = contacts[contacts["account_id"].isin(account_ids)]
    m = pd.crosstab(c["account_id"], c["department"].fillna("unknown"))
    return m.reindex(account_ids, fill_value=0)


ALIGNMENT_ITEMS: dict[str, str] = {
    "social_connected": "social: followed / connected on LinkedIn",
    "email_newsletter": "email: on the newsletter",
    "email_engaged_90d": "email / other: engaged in the last 90 days",
    "content_mentions": "content: content mentioning them or for them",
    "website_visits": "other: visited our website",
    "exec_outreach": "other: an executive reached out personally",
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
        c = contacts[contacts["account_id"].isin(out["account_id"])]
        g = c.groupby("account_id")
        sources = {
            "social_connected": (
                "linkedin_connected",
                lambda s: s.astype("boolean").fillna(False).any(),
            ),
            "email_newsletter": ("newsletter", lambda s: s.astype("boolean").fillna(False).any()),
            "email_engaged_90d": (
                "last_engaged",
                lambda s: (s >= as_of - pd.Timedelta(days=90)).any(),
            ),
        }
        for item, (col, fn) in sources.items():
            if col in c:
                values = g[col].apply(fn)
                out[item] = out["account_id"].map(values).astype("boolean").fillna(False)
    if checklist is not None:
        bad = sorted(set(checklist.columns) - {"account_id", *ALIGNMENT_ITEMS})
        if bad:
            raise DataError(
                f"checklist: unknown column(s) {', '.join(bad)}; items are {', '.join(ALIGNMENT_ITEMS)}"
            )
        filled = checklist.set_index("account_id")
        for item in filled.columns:
            answers = out["account_id"].map(filled[item].astype("boolean"))
            out[item] = out[item].fillna(answers) if item in out else answers
    items = out[list(ALIGNMENT_ITEMS)]
    out["items_known"] = items.notna().sum(axis=1)
    out["readiness"] = items.fillna(False).astype(int).sum(axis=1) / out["items_known"].where(
        out["items_known"] > 0
    )
    return out


def priority_list(cards: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The prioritised account list for export: tier order, then score."""
    order = {t: i for i, t in enumerate(["T1", "Global", "T2", "T3", "T4", "unscored"])}
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


def metrics(cards: pd.DataFrame, tiers_time: pd.DataFrame, names: pd.DataFrame) -> dict[str, Any]:
    """Headline metrics for summary.json (full precision)."""
    counts = {t: int((cards["tier"] == t).sum()) for t in TIERS}
    t1 = tiers_time.set_index("tier")["actual_share"].get("T1") if len(tiers_time) else None
    return {
        **counts,
        "tier_counts": counts,
        "share_time_on_tier1_actual": None if t1 is None or pd.isna(t1) else float(t1),
        "accounts_below_5_contacts": int(names["below_minimum"].sum()),
        "nurture_accounts": counts["T4"],
    }


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
    ax.set_title(f"{counts['T1']} Tier 1 and {counts['Global']} Global accounts of {len(cards)}")
    return ax


def plot_time(tiers_time: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Planned vs logged share of selling time per tier."""
    ax = get_ax(ax)
    x = np.arange(len(tiers_time))
    ax.bar(x - 0.2, tiers_time["planned_share"], width=0.4, color=MUTED, label="planned")
    ax.bar(x + 0.2, tiers_time["actual_share"], width=0.4, color=HIGHLIGHT, label="logged")
    ax.set_xticks(x, tiers_time["tier"])
    percent_axis(ax)
    t1 = tiers_time.set_index("tier")
    if "T1" in t1.index:
        ax.set_title(
            f"Tier 1 gets {t1.loc['T1', 'actual_share']:.0%} of logged time, plan {t1.loc['T1', 'planned_share']:.0%}"
        )
    ax.legend()
    return ax


def plot_coverage(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Heat map of contacts per account and department."""
    import seaborn as sns

    ax = get_ax(ax, figsize=(8, max(3.0, 0.22 * len(matrix) + 1)))
    sns.heatmap(matrix, ax=ax, cmap="Blues", cbar=False, annot=True, fmt="d", linewidths=0.5)
    empty = int((matrix == 0).sum().sum())
    ax.set_title(f"{empty} account-department cells have no contact")
    ax.set_xlabel("department")
    ax.set_ylabel("")
    return ax


def plot_sensitivity(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Accounts that change tier per threshold change."""
    ax = get_ax(ax, figsize=(8, 0.3 * len(summary) + 1.2))
    ax.barh(summary["change"], summary["accounts_changed"], color=PALETTE[0])
    ax.invert_yaxis()
    ax.set_xlabel("accounts that change tier")
    top = summary.loc[summary["accounts_changed"].idxmax()] if len(summary) else None
    if top is not None:
        ax.set_title(
            f"Most sensitive: {top['change']} moves {int(top['accounts_changed'])} accounts"
        )
    return ax


def rules_table(rules: Rules) -> pd.DataFrame:
    """The rules as a two-column table for the report."""
    return pd.DataFrame(
        [{"rule": k, "value": v} for k, v in asdict(rules).items() if k != "weights"]
    )


def make_rules(
    rules_file: str = "", *, opportunities: pd.DataFrame | None = None, **values: Any
) -> Rules:
    """Rules from notebook parameters, overridden by a rules file when one is given; deal size from data."""
    from .report import resolve

    rules = Rules(**values)
    if rules_file:
        from_file = load_rules(resolve(rules_file))
        given = yaml.safe_load(resolve(rules_file).read_text(encoding="utf-8")) or {}
        rules = replace(rules, **{k: getattr(from_file, k) for k in given})
    return rules.with_deal_size(opportunities)


def tier_note(cards: pd.DataFrame) -> str:
    """The tier mix in one sentence."""
    c = cards["tier"].value_counts()
    n = len(cards)
    return (
        f"Of {n} accounts, {c.get('T1', 0)} are Tier 1 ({c.get('T1', 0) / n:.0%}), {c.get('T2', 0)} Tier 2, "
        f"{c.get('T3', 0)} Tier 3 and {c.get('T4', 0)} Tier 4 (handed to marketing for nurture); "
        f"{c.get('Global', 0)} are Global and {c.get('unscored', 0)} cannot be scored yet."
    )


def time_note(tiers_time: pd.DataFrame, per_account: pd.DataFrame) -> str:
    """Where logged time goes against the plan."""
    t = tiers_time.set_index("tier")
    if "T1" not in t.index or not t["actual_hours"].sum():
        return "No logged activity in this window, so planned time cannot be compared with actual time."
    served = per_account["served"].value_counts()
    t4 = t["actual_share"].get("T4", 0.0)
    return (
        f"Tier 1 should get {t.loc['T1', 'planned_share']:.0%} of selling time and gets "
        f"{t.loc['T1', 'actual_share']:.0%}; Tier 4, planned at 0%, takes {t4:.0%}. "
        f"{served.get('under-served', 0)} accounts are under-served, {served.get('over-served', 0)} over-served."
    )


def names_note(names: pd.DataFrame, *, minimum: int = 5) -> str:
    """Name development in one sentence."""
    n = len(names)
    return (
        f"{int(names['below_minimum'].sum())} of {n} accounts have fewer than {minimum} named contacts, "
        f"{int(names['single_threaded'].sum())} hang on a single contact and "
        f"{int((~names['has_decision_maker']).sum())} have no known decision maker."
    )


def load_checklist(path: str | Path) -> pd.DataFrame:
    """The team's weekly checklist file (CSV / Excel): account_id and yes/no items (see ALIGNMENT_ITEMS)."""
    from .report import resolve
    from .schema import _missing_mask, _parse_series
    from .sources import read_cells

    file = resolve(path)
    if not file.is_file():
        raise DataError(f"no such checklist file: {file}")
    cells, _ = read_cells(file)
    cells.columns = [str(c).strip().lower().replace(" ", "_") for c in cells.columns]
    if "account_id" not in cells:
        raise DataError(f"{file.name}: the checklist needs an account_id column")
    unknown = sorted(set(cells.columns) - {"account_id", *ALIGNMENT_ITEMS})
    if unknown:
        raise DataError(
            f"{file.name}: unknown column(s) {', '.join(unknown)}; items are {', '.join(ALIGNMENT_ITEMS)}"
        )
    out = pd.DataFrame({"account_id": cells["account_id"].astype("str").str.strip()})
    for item in [c for c in cells.columns if c != "account_id"]:
        given = cells[item].where(~_missing_mask(cells[item]))
        parsed = _parse_series(given, "bool")
        bad = given.notna() & parsed.isna()
        if bad.any():
            line = int(bad.idxmax())
            raise DataError(
                f"{file.name} line {line}, column '{item}': {cells[item][line]!r} is not yes/no"
            )
        out[item] = parsed.to_numpy()
    return out


def load_history(path: str | Path) -> pd.DataFrame:
    """Tier history from a file (CSV / Excel: account_id, quarter, tier), e.g. last year's tier lists."""
    from .periods import quarter_window
    from .report import resolve
    from .sources import read_cells

    file = resolve(path)
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
        line = int(bad_tier.idxmax())
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
