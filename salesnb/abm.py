"""Account-based marketing readiness: is the data there, will the programme fail, which accounts suit it.

The audit follows a research firm's list of what an ABM plan needs per account and per
buying center, at three levels (required, recommended, best practice), measured from the
data set where it can be and *unknown* where the data set has no column for it. A
programme plan file (YAML) and a success-factors questionnaire (YAML) add what data
cannot show; the failure-risk flags each say which evidence raised them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._files import read_yaml
from .schema import DataError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax

__all__ = [
    "ITEMS",
    "LEVEL_WEIGHTS",
    "QUESTIONS",
    "Plan",
    "audit",
    "by_account",
    "candidates",
    "gap_list",
    "load_plan",
    "load_questionnaire",
    "metrics",
    "plot_readiness",
    "plot_risks",
    "plot_white_space",
    "readiness",
    "readiness_note",
    "risk_flags",
    "score_questionnaire",
    "white_space",
]

# item -> (level, what it is, where it comes from)
ITEMS: dict[str, tuple[str, str]] = {
    "industry": ("required", "account industry"),
    "buying_centers": ("required", "buying centers known"),
    "wallet_share": ("required", "wallet share by buying center (wallet size and our revenue)"),
    "sales_goals": ("required", "sales goal by buying center"),
    "opportunity_status": ("required", "current opportunity status"),
    "contacts": ("required", "contacts in the buying center"),
    "key_initiatives": ("recommended", "key initiatives by buying center"),
    "relationship_status": ("recommended", "relationship status by buying center"),
    "relationship_map": ("recommended", "relationship map (3+ contacts with known roles)"),
    "growth_trend": ("best practice", "growth trend"),
    "competitive_environment": ("best practice", "competitive environment"),
    "engagement_history": ("best practice", "engagement history"),
}
LEVEL_WEIGHTS: dict[str, float] = {"required": 3.0, "recommended": 2.0, "best practice": 1.0}
QUESTIONS: dict[str, str] = {
    "sales_focused_on_defined_accounts": "Sales is focused on a defined set of accounts",
    "account_plans_exist": "Account plans are in place",
    "joint_objectives": "Sales and marketing set objectives and strategies together",
    "not_only_demand_generation": "Everyone agrees ABM is not only demand generation",
    "sales_open_to_new_help": "Is sales open to new kinds of help?",
    "marketing_invited_into_planning": "Is marketing invited into planning and execution?",
    "marketing_aligned_to_growth": "Is marketing aligned to the best sources of growth?",
}
_ANSWERS = {
    "yes": 1.0,
    "y": 1.0,
    "true": 1.0,
    "partly": 0.5,
    "partially": 0.5,
    "no": 0.0,
    "n": 0.0,
    "false": 0.0,
}


def _col(df: pd.DataFrame | None, name: str) -> bool:
    return df is not None and name in df.columns


def audit(
    accounts: pd.DataFrame,
    buying_centers: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    opportunities: pd.DataFrame | None,
) -> pd.DataFrame:
    """One row per account and buying center (or per account without any), each item True / False / NA.

    NA means the data set has no column to tell; False means the column is there but the
    value is missing for this account or buying center.
    """
    acc = accounts[["account_id"] + (["owner"] if "owner" in accounts else [])].copy()
    if buying_centers is not None and len(buying_centers):
        bc = buying_centers.merge(acc, on="account_id", how="right")
    else:
        bc = acc.assign(buying_center=pd.NA)
    out = bc[["account_id", "buying_center"] + (["owner"] if "owner" in bc else [])].copy()
    has_bc = bc["buying_center"].notna()

    def item(values: pd.Series | bool, known: bool) -> pd.Series:
        """True / False per row when the data can tell (``known``), else NA throughout."""
        if not known:
            return pd.Series(pd.NA, index=bc.index, dtype="boolean")
        s = values if isinstance(values, pd.Series) else pd.Series(values, index=bc.index)
        return pd.Series(pd.array(s.fillna(False).astype(bool), dtype="boolean"), index=bc.index)

    industry = (
        bc["account_id"].map(accounts.set_index("account_id")["industry"])
        if "industry" in accounts
        else None
    )
    out["industry"] = item(
        industry.notna() if industry is not None else False, industry is not None
    )
    out["buying_centers"] = item(has_bc, True)
    bc_known = buying_centers is not None
    out["wallet_share"] = item(
        has_bc
        & bc.get("wallet_size", pd.Series(index=bc.index)).notna()
        & bc.get("our_revenue", pd.Series(index=bc.index)).notna(),
        bc_known and _col(buying_centers, "wallet_size") and _col(buying_centers, "our_revenue"),
    )
    out["sales_goals"] = item(
        has_bc & bc.get("sales_goal", pd.Series(index=bc.index)).notna(),
        bc_known and _col(buying_centers, "sales_goal"),
    )
    with_opps = set(opportunities["account_id"].dropna()) if opportunities is not None else set()
    out["opportunity_status"] = item(bc["account_id"].isin(with_opps), opportunities is not None)
    if contacts is not None and len(contacts):
        in_bc = (
            contacts.dropna(subset=["account_id"]).groupby(["account_id", "buying_center"]).size()
            if "buying_center" in contacts
            else None
        )
        keys = list(zip(bc["account_id"], bc["buying_center"], strict=True))
        n_in_bc = pd.Series(
            [in_bc.get(k, 0) if in_bc is not None else 0 for k in keys], index=bc.index
        )
        out["contacts"] = item(n_in_bc > 0, in_bc is not None)
        roles = (
            contacts[contacts.get("role", pd.Series(dtype=str)).fillna("unknown") != "unknown"]
            if "role" in contacts
            else contacts.iloc[:0]
        )
        mapped = roles.groupby("account_id").size()
        out["relationship_map"] = item(
            bc["account_id"].map(mapped).fillna(0) >= 3, "role" in contacts
        )
        engaged = (
            contacts.dropna(subset=["last_engaged"])["account_id"]
            if "last_engaged" in contacts
            else pd.Series(dtype=str)
        )
    else:
        out["contacts"] = item(False, contacts is not None)
        out["relationship_map"] = item(False, contacts is not None)
        engaged = pd.Series(dtype=str)
    out["key_initiatives"] = item(
        has_bc & bc.get("key_initiatives", pd.Series(index=bc.index)).notna(),
        bc_known and _col(buying_centers, "key_initiatives"),
    )
    out["relationship_status"] = item(
        has_bc & bc.get("relationship_status", pd.Series(index=bc.index)).notna(),
        bc_known and _col(buying_centers, "relationship_status"),
    )
    out["growth_trend"] = item(
        has_bc & bc.get("growth_trend", pd.Series(index=bc.index)).notna(),
        bc_known and _col(buying_centers, "growth_trend"),
    )
    opp_comp = (
        set(opportunities.loc[opportunities["competitor"].notna(), "account_id"])
        if _col(opportunities, "competitor")
        else set()
    )
    comp_known = _col(buying_centers, "competitor") or _col(opportunities, "competitor")
    bc_comp = bc.get("competitor", pd.Series(index=bc.index)).notna()
    out["competitive_environment"] = item(bc_comp | bc["account_id"].isin(opp_comp), comp_known)
    eng_known = _col(buying_centers, "engagement_score") or _col(contacts, "last_engaged")
    eng = bc.get("engagement_score", pd.Series(index=bc.index)).notna() | bc["account_id"].isin(
        set(engaged)
    )
    out["engagement_history"] = item(eng, eng_known)
    return out.reset_index(drop=True)


def readiness(table: pd.DataFrame, *, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Readiness per row of an :func:`audit`: weighted share of known items that are there (0-1)."""
    w = {**LEVEL_WEIGHTS, **(weights or {})}
    cols = list(ITEMS)
    items = table[cols]
    weight = pd.Series({c: w[ITEMS[c][0]] for c in cols})
    known = items.notna().astype(float).mul(weight, axis=1)
    have = items.fillna(False).astype(float).mul(weight, axis=1)
    out = table.copy()
    out["readiness"] = (have.sum(axis=1) / known.sum(axis=1).where(known.sum(axis=1) > 0)).fillna(
        0.0
    )
    out["items_known"] = items.notna().sum(axis=1)
    return out


def by_account(table: pd.DataFrame) -> pd.DataFrame:
    """Readiness per account: the mean over its buying centers, and each item's share."""
    cols = list(ITEMS)
    g = table.groupby("account_id")
    out = g[cols].agg(lambda s: s.astype("Float64").mean())
    out["readiness"] = g["readiness"].mean()
    out["buying_center_count"] = g["buying_center"].count()
    return out.reset_index()


def gap_list(table: pd.DataFrame) -> pd.DataFrame:
    """Who must find what: one row per missing item, per account and buying center."""
    rows = []
    owner = table["owner"] if "owner" in table else pd.Series(pd.NA, index=table.index)
    for i, row in table.iterrows():
        for item, (level, text) in ITEMS.items():
            value = row[item]
            if pd.notna(value) and not bool(value):
                rows.append(
                    {
                        "account_id": row["account_id"],
                        "buying_center": row["buying_center"],
                        "item": item,
                        "level": level,
                        "find": text,
                        "who": owner[i] if pd.notna(owner[i]) else "account team",
                    }
                )
    order = {"required": 0, "recommended": 1, "best practice": 2}
    out = pd.DataFrame(
        rows, columns=["account_id", "buying_center", "item", "level", "find", "who"]
    )
    return (
        out.assign(_o=out["level"].map(order))
        .sort_values(["_o", "account_id"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


@dataclass(frozen=True)
class Plan:
    """An ABM programme plan (from a YAML plan file)."""

    targets: list[str]
    capacity: int
    marketing_sourced_share: float | None = None
    large_account_employees: int = 5000
    owners: dict[str, str] = field(default_factory=dict)  # account -> account marketing manager
    campaigns: dict[str, str] = field(default_factory=dict)  # account -> campaign


def load_plan(path: str | Path) -> Plan:
    """A plan file: targets, capacity, marketing_sourced_share, large_account_employees, accounts.

    ``accounts`` maps account ids to ``{marketing_owner, campaign}``.
    """
    path = Path(path)
    raw = read_yaml(path, "ABM plan file") or {}
    if not isinstance(raw, dict):
        raise DataError(f"{path.name}: expected 'key: value' lines (targets, capacity, ...)")
    known = {
        "targets",
        "capacity",
        "marketing_sourced_share",
        "large_account_employees",
        "accounts",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DataError(
            f"{path.name}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}"
        )
    targets = raw.get("targets") or []
    if not isinstance(targets, list) or not targets:
        raise DataError(f"{path.name}: 'targets' must list the target account ids")
    try:
        capacity = int(raw.get("capacity", len(targets)))
        share = raw.get("marketing_sourced_share")
        share = float(share) if share is not None else None
        large = int(raw.get("large_account_employees", 5000))
    except (TypeError, ValueError):
        raise DataError(
            f"{path.name}: capacity and large_account_employees are whole numbers, "
            "marketing_sourced_share a fraction like 0.1"
        ) from None
    if share is not None and not 0 <= share <= 1:
        raise DataError(
            f"{path.name}: marketing_sourced_share must be a fraction between 0 and 1, got {share}"
        )
    accounts = raw.get("accounts") or {}
    if not isinstance(accounts, dict):
        raise DataError(
            f"{path.name}: 'accounts' maps account ids to {{marketing_owner, campaign}}"
        )
    owners, campaigns = {}, {}
    for acc, spec in accounts.items():
        if not isinstance(spec, dict) or set(spec) - {"marketing_owner", "campaign"}:
            raise DataError(f"{path.name}: accounts.{acc} takes marketing_owner and campaign")
        if spec.get("marketing_owner"):
            owners[str(acc)] = str(spec["marketing_owner"])
        if spec.get("campaign"):
            campaigns[str(acc)] = str(spec["campaign"])
    return Plan([str(t) for t in targets], capacity, share, large, owners, campaigns)


def load_questionnaire(path: str | Path) -> dict[str, float]:
    """The success-factors questionnaire: question: yes / partly / no (scored 1 / 0.5 / 0)."""
    path = Path(path)
    raw = read_yaml(path, "questionnaire") or {}
    if not isinstance(raw, dict):
        raise DataError(f"{path.name}: expected 'question: yes / partly / no' lines")
    unknown = sorted(set(raw) - set(QUESTIONS))
    if unknown:
        raise DataError(
            f"{path.name}: unknown question(s) {', '.join(unknown)}; questions are {', '.join(QUESTIONS)}"
        )
    out = {}
    for q, answer in raw.items():
        key = (
            {True: "yes", False: "no"}.get(answer, str(answer).strip().lower())
            if isinstance(answer, bool)
            else str(answer).strip().lower()
        )
        if key not in _ANSWERS:
            raise DataError(f"{path.name}: {q}: answer yes, partly or no (got {answer!r})")
        out[q] = _ANSWERS[key]
    return out


def score_questionnaire(answers: dict[str, float] | None) -> pd.DataFrame:
    """The questionnaire as a table (unanswered questions are unknown)."""
    answers = answers or {}
    return pd.DataFrame(
        [{"question": text, "score": answers.get(q, np.nan)} for q, text in QUESTIONS.items()]
    )


def risk_flags(
    plan: Plan | None,
    account_readiness: pd.DataFrame,
    audit_table: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    insight_min: float = 0.5,
    large_share_max: float = 0.10,
    general_share_max: float = 0.30,
) -> pd.DataFrame:
    """The six ways ABM fails, each raised or not, with the evidence."""
    rows = []

    def flag(name: str, raised: bool | None, evidence: str) -> None:
        rows.append({"flag": name, "raised": raised, "evidence": evidence})

    if plan is None:
        for name in (
            "lack of insight",
            "no alignment to sales goals",
            "overly broad deployment",
            "unreasonable expectations",
            "lack of resources",
            "undifferentiated tactics",
        ):
            flag(name, None, "no programme plan file: give plan_file to check this flag")
        return pd.DataFrame(rows)
    t = account_readiness[account_readiness["account_id"].isin(plan.targets)]
    low = t[t["readiness"] < insight_min]
    flag(
        "lack of insight",
        len(low) > len(t) / 2 if len(t) else True,
        f"{len(low)} of {len(plan.targets)} targets have readiness below {insight_min:.0%} "
        f"(mean {t['readiness'].mean():.0%})"
        if len(t)
        else "no target is in the data set",
    )
    goals = (
        audit_table[audit_table["account_id"].isin(plan.targets)]
        .groupby("account_id")["sales_goals"]
        .agg(lambda s: bool(s.fillna(False).any()))
    )
    without = sorted(set(plan.targets) - set(goals[goals].index))
    flag(
        "no alignment to sales goals",
        bool(without),
        f"{len(without)} targets have no sales goal for any buying center"
        + (f": {', '.join(without[:5])}" if without else ""),
    )
    flag(
        "overly broad deployment",
        len(plan.targets) > plan.capacity,
        f"{len(plan.targets)} target accounts for a capacity of {plan.capacity}",
    )
    if plan.marketing_sourced_share is None:
        flag("unreasonable expectations", None, "the plan states no marketing_sourced_share")
    else:
        emp = (
            accounts.set_index("account_id")
            .get("employees", pd.Series(dtype=float))
            .reindex(plan.targets)
        )
        large = int((emp >= plan.large_account_employees).sum())
        limit = large_share_max if large > len(plan.targets) / 2 else general_share_max
        kind = "large accounts" if limit == large_share_max else "general marketing"
        flag(
            "unreasonable expectations",
            plan.marketing_sourced_share > limit,
            f"marketing is expected to source {plan.marketing_sourced_share:.0%} of pipeline; about "
            f"{limit:.0%} is realistic for {kind} ({large} of {len(plan.targets)} targets are large)",
        )
    no_owner = [a for a in plan.targets if a not in plan.owners]
    flag(
        "lack of resources",
        bool(no_owner),
        f"{len(no_owner)} of {len(plan.targets)} targets have no account marketing owner",
    )
    campaigns = [plan.campaigns.get(a) for a in plan.targets]
    distinct = {c for c in campaigns if c}
    same = len(plan.targets) > 1 and (len(distinct) <= 1)
    flag(
        "undifferentiated tactics",
        same,
        f"{len(distinct)} distinct campaign(s) for {len(plan.targets)} targets"
        + (
            f"; {sum(c is None for c in campaigns)} without a campaign" if None in campaigns else ""
        ),
    )
    return pd.DataFrame(rows)


def candidates(
    account_readiness: pd.DataFrame,
    buying_centers: pd.DataFrame | None,
    tiers: pd.DataFrame | None,
    *,
    capacity: int = 10,
) -> pd.DataFrame:
    """Accounts that suit ABM: tier, wallet-share headroom, readiness and relationship; the top ``capacity``."""
    r = account_readiness[["account_id", "readiness"]].copy()
    if buying_centers is not None and {"wallet_size", "our_revenue"} <= set(buying_centers.columns):
        w = buying_centers.groupby("account_id")[["wallet_size", "our_revenue"]].sum()
        share = (w["our_revenue"] / w["wallet_size"].where(w["wallet_size"] > 0)).clip(0, 1)
        r["wallet_share"] = r["account_id"].map(share)
        r["headroom"] = r["account_id"].map(w["wallet_size"] - w["our_revenue"]).clip(lower=0)
    else:
        r["wallet_share"], r["headroom"] = np.nan, np.nan
    if buying_centers is not None and "relationship_status" in buying_centers:
        good = (
            buying_centers["relationship_status"]
            .isin(["strong", "neutral"])
            .groupby(buying_centers["account_id"])
            .mean()
        )
        r["relationship"] = r["account_id"].map(good).fillna(0.0)
    else:
        r["relationship"] = 0.0
    r["tier"] = (
        r["account_id"].map(tiers.set_index("account_id")["tier"]) if tiers is not None else pd.NA
    )
    strategic = r["tier"].isin(["T1", "Global"]).astype(float)
    room = 1 - r["wallet_share"].fillna(1.0)
    r["score"] = (
        0.3 * strategic + 0.3 * r["readiness"] + 0.2 * room + 0.2 * r["relationship"]
    ).round(4)
    r["reason"] = [
        f"{t if isinstance(t, str) else 'untiered'}, readiness {rd:.0%}, "
        + (f"wallet share {ws:.0%}" if pd.notna(ws) else "wallet share unknown")
        + f", good relationships in {rel:.0%} of buying centers"
        for t, rd, ws, rel in zip(
            r["tier"], r["readiness"], r["wallet_share"], r["relationship"], strict=True
        )
    ]
    ranked = r.sort_values(
        ["score", "headroom", "account_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    ranked["selected"] = ranked.index < capacity
    return ranked


def white_space(
    opportunities: pd.DataFrame,
    products: pd.DataFrame | None,
    buying_centers: pd.DataFrame | None,
    accounts: list[str],
) -> pd.DataFrame:
    """Buying centers x product families for the given accounts: won amount (where we sell), 0 where we could.

    The ``money_at_stake`` column is the buying centers' wallet minus our revenue.
    """
    opps = opportunities[
        opportunities["account_id"].isin(accounts) & (opportunities.get("outcome") == "won")
    ]
    family = (
        products.set_index("product_id")["family"]
        if products is not None and "family" in products
        else None
    )
    opps = opps.assign(
        family=opps["product_id"].map(family) if family is not None else "all products",
        buying_center=opps.get("buying_center", pd.Series("unknown", index=opps.index)).fillna(
            "unknown"
        ),
    )
    grid = opps.pivot_table(
        index="buying_center", columns="family", values="amount", aggfunc="sum", fill_value=0.0
    )
    if buying_centers is not None and {"wallet_size", "our_revenue"} <= set(buying_centers.columns):
        b = buying_centers[buying_centers["account_id"].isin(accounts)]
        stake = (
            (b["wallet_size"] - b["our_revenue"]).clip(lower=0).groupby(b["buying_center"]).sum()
        )
        grid = grid.reindex(grid.index.union(stake.index), fill_value=0.0)
        grid["money_at_stake"] = stake.reindex(grid.index).fillna(0.0)
    return grid


def metrics(
    account_readiness: pd.DataFrame,
    flags: pd.DataFrame,
    cands: pd.DataFrame,
    *,
    ready_min: float = 0.7,
) -> dict[str, Any]:
    """summary.json metrics: readiness_mean, accounts_ready, risk_flags (raised names), candidates."""
    return {
        "readiness_mean": float(account_readiness["readiness"].mean())
        if len(account_readiness)
        else None,
        "accounts_ready": int((account_readiness["readiness"] >= ready_min).sum()),
        "risk_flags": flags.loc[flags["raised"] == True, "flag"].tolist(),  # noqa: E712 - None means unknown
        "candidates": int(cands["selected"].sum()),
    }


# --------------------------------------------------------------------------- plots
def plot_readiness(account_table: pd.DataFrame, *, top: int = 25, ax: Axes | None = None) -> Axes:
    """Heat map of item completeness (share of buying centers) for the accounts shown."""
    import seaborn as sns

    shown = account_table.head(top).set_index("account_id")[list(ITEMS)].astype(float)
    ax = get_ax(ax, figsize=(9, max(3.0, 0.25 * len(shown) + 1.5)))
    sns.heatmap(shown, ax=ax, cmap="RdYlGn", vmin=0, vmax=1, cbar=False, linewidths=0.4)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=40, ha="right")
    weakest = shown.mean().idxmin() if len(shown) else ""
    ax.set_title(f"The weakest item: {ITEMS[weakest][1]}" if weakest else "no accounts")
    ax.set_ylabel("")
    return ax


def plot_white_space(grid: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Won amount per buying center and product family: empty cells are the white space."""
    import seaborn as sns

    data = grid.drop(columns=["money_at_stake"], errors="ignore")
    ax = get_ax(ax, figsize=(8, max(3.0, 0.4 * len(data) + 1.5)))
    sns.heatmap(
        data > 0,
        ax=ax,
        cmap=[MUTED, PALETTE[0]],
        cbar=False,
        linewidths=0.5,
        annot=data.round(-3),
        fmt=",.0f",
    )
    empty = int((data == 0).sum().sum())
    ax.set_title(f"{empty} buying-center x product cells where we do not sell yet")
    ax.set_ylabel("buying center")
    return ax


def plot_risks(flags: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Which of the six failure risks are raised."""
    ax = get_ax(ax, figsize=(7, 3))
    colors = [
        HIGHLIGHT if r is True else MUTED if r is None else PALETTE[2] for r in flags["raised"]
    ]
    ax.barh(flags["flag"], [1] * len(flags), color=colors)
    ax.set_xticks([])
    ax.invert_yaxis()
    raised = int((flags["raised"] == True).sum())  # noqa: E712
    ax.set_title(f"{raised} of {len(flags)} failure risks raised (red = raised, grey = unknown)")
    return ax


def readiness_note(account_table: pd.DataFrame, *, ready_min: float = 0.7) -> str:
    """Readiness in one sentence."""
    n = len(account_table)
    ready = int((account_table["readiness"] >= ready_min).sum())
    cols = list(ITEMS)
    worst = account_table[cols].astype(float).mean().idxmin() if n else None
    return (
        f"{ready} of {n} accounts are ready (readiness {ready_min:.0%} or more); mean readiness "
        f"{account_table['readiness'].mean():.0%}. The item most often missing: {ITEMS[worst][1]}."
        if n
        else "No accounts to audit."
    )
