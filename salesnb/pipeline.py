"""Pipeline health: win / loss with no decision, velocity, Pipeline Value Factor, deal-size
balance, data integrity, slip between two snapshots, and a critique of weighted forecasts.

Definitions (also in the README): won, lost and no-decision opportunities *closed inside
the review window* make the win / loss figures; win_rate = won / (won + lost +
no_decision); cycle days = close_date - created_date of won deals; velocity uses the
opportunities open at the window's end. Stage conversion and slips need two snapshots
of the pipeline (the previous quarter's and today's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .schema import DataError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, money_axis, percent_axis

__all__ = [
    "LOSS_REASONS",
    "NO_DECISION_BENCHMARK",
    "balance",
    "closed_in",
    "crm_metrics",
    "forecasts",
    "funnel",
    "integrity",
    "loss_reasons",
    "metrics",
    "open_at",
    "coverage",
    "push_counts",
    "pvf_note",
    "slip_note",
    "owner_gaps",
    "run_rate_target",
    "win_loss_note",
    "forecast_note",
    "plot_balance",
    "plot_forecasts",
    "plot_funnel",
    "plot_waterfall",
    "pvf",
    "slip",
    "stage_conversion",
    "velocity",
    "waterfall",
    "win_loss",
]

NO_DECISION_BENCHMARK = 0.26  # industry research: about a quarter of outcomes are "no decision"
# the two reasons a sale is lost: you should not have been there, or you were outsold
LOSS_REASONS: dict[str, str] = {
    "bad fit": "should not have been there",
    "no budget": "should not have been there",
    "not qualified": "should not have been there",
    "timing": "should not have been there",
    "price": "outsold",
    "competitor": "outsold",
    "product gap": "outsold",
    "features": "outsold",
    "relationship": "outsold",
    "no decision": "no decision",
}
_CLOSED = ("won", "lost", "no_decision")


def _need(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df]
    if missing:
        raise DataError(f"{what} needs opportunity column(s) {', '.join(missing)}")


def closed_in(opps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Won, lost and no-decision deals whose close date falls in ``[start, end]``."""
    _need(opps, ["outcome", "close_date"], "closed_in")
    inside = opps["close_date"].between(start, end)
    return opps[opps["outcome"].isin(_CLOSED) & inside]


def open_at(opps: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deals open on ``as_of``: created by then and not closed by then."""
    _need(opps, ["outcome", "created_date", "close_date"], "open_at")
    created = opps["created_date"] <= as_of
    still_open = (opps["outcome"] == "open") | (opps["close_date"] > as_of)
    return opps[created & still_open]


def win_loss(closed: pd.DataFrame) -> dict[str, Any]:
    """Counts and rates of a :func:`closed_in` table; no decision is its own outcome."""
    counts = closed["outcome"].value_counts().reindex(list(_CLOSED), fill_value=0)
    total = int(counts.sum())
    won = closed[closed["outcome"] == "won"]
    cycle = (won["close_date"] - won["created_date"]).dt.days
    return {
        "won": int(counts["won"]),
        "lost": int(counts["lost"]),
        "no_decision": int(counts["no_decision"]),
        "win_rate": counts["won"] / total if total else float("nan"),
        "no_decision_share": counts["no_decision"] / total if total else float("nan"),
        "avg_deal_size_won": float(won["amount"].mean()) if len(won) else float("nan"),
        "avg_cycle_days_won": float(cycle.mean()) if len(cycle) else float("nan"),
        "won_amount": float(won["amount"].sum()),
    }


def loss_reasons(closed: pd.DataFrame, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Loss reasons (several per deal, separated by ';') grouped into the two reasons a sale is lost."""
    mapping = {k.casefold(): v for k, v in (mapping or LOSS_REASONS).items()}
    lost = closed[closed["outcome"].isin(["lost", "no_decision"])]
    if "loss_reason" not in lost:
        return pd.DataFrame(columns=["reason", "group", "deals"])
    reasons = lost.assign(
        reason=lost["loss_reason"].fillna("not recorded").astype("str").str.split(";")
    )
    reasons = reasons.explode("reason")
    reasons["reason"] = reasons["reason"].str.strip().str.casefold()
    nd = reasons["outcome"] == "no_decision"
    reasons["group"] = np.where(
        nd, "no decision", reasons["reason"].map(mapping).fillna("unmapped")
    )
    out = reasons.groupby(["group", "reason"]).size().rename("deals").reset_index()
    return out.sort_values(["group", "deals"], ascending=[True, False]).reset_index(drop=True)


def velocity(
    open_now: pd.DataFrame,
    stats: dict[str, Any],
    *,
    by: str | None = None,
    closed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sales velocity = open opportunities x win rate x average won deal size / average cycle days.

    Whole team from ``stats`` (:func:`win_loss`); per ``by`` (e.g. owner) from that group's
    own closed deals in ``closed``.
    """

    def one(n_open: int, s: dict[str, Any]) -> float:
        days = s["avg_cycle_days_won"]
        if not days or pd.isna(days) or pd.isna(s["win_rate"]) or pd.isna(s["avg_deal_size_won"]):
            return float("nan")
        return n_open * s["win_rate"] * s["avg_deal_size_won"] / days

    rows = [
        {
            "group": "team",
            "open_deals": len(open_now),
            **{k: stats[k] for k in ("win_rate", "avg_deal_size_won", "avg_cycle_days_won")},
            "velocity_per_day": one(len(open_now), stats),
        }
    ]
    if by and closed is not None:
        for key, part in open_now.groupby(by):
            s = win_loss(closed[closed[by] == key])
            rows.append(
                {
                    "group": str(key),
                    "open_deals": len(part),
                    "win_rate": s["win_rate"],
                    "avg_deal_size_won": s["avg_deal_size_won"],
                    "avg_cycle_days_won": s["avg_cycle_days_won"],
                    "velocity_per_day": one(len(part), s),
                }
            )
    return pd.DataFrame(rows)


def crm_metrics(
    open_now: pd.DataFrame, stats: dict[str, Any], *, as_of: pd.Timestamp
) -> dict[str, float]:
    """The figures executives ask for: total pipeline, its age, average close time and deal size."""
    age = (as_of - open_now["created_date"]).dt.days
    return {
        "open_pipeline": float(open_now["amount"].sum()),
        "open_deals": len(open_now),
        "pipeline_age_days": float(age.mean()) if len(age) else float("nan"),
        "avg_close_days": stats["avg_cycle_days_won"],
        "avg_deal_size_won": stats["avg_deal_size_won"],
    }


def funnel(
    open_now: pd.DataFrame, *, as_of: pd.Timestamp, order: list[str] | None = None
) -> pd.DataFrame:
    """Open deals per stage: count, value, median age; stage order by typical probability unless given."""
    if open_now.empty:
        return pd.DataFrame(columns=["stage", "deals", "value", "median_age_days"])
    g = open_now.assign(age=(as_of - open_now["created_date"]).dt.days).groupby("stage")
    out = pd.DataFrame(
        {"deals": g.size(), "value": g["amount"].sum(), "median_age_days": g["age"].median()}
    )
    if order is None:
        key = g["probability"].median() if "probability" in open_now else out["median_age_days"]
        order = list(key.sort_values(kind="stable").index)
    out = (
        out.reindex([s for s in order if s in out.index])
        .reset_index()
        .rename(columns={"index": "stage"})
    )
    return out


def stage_conversion(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """What became of the deals open in each stage at the previous snapshot, by today.

    Returns per stage: deals then, won, lost (incl. no decision), still open, moved on
    (open now in another stage), and ``won_share`` = won / deals then (the one-period
    conversion to won).
    """
    _need(previous, ["opportunity_id", "stage", "outcome"], "stage_conversion")
    before = previous[previous["outcome"] == "open"][["opportunity_id", "stage"]]
    now = current.set_index("opportunity_id")
    status = before["opportunity_id"].map(now["outcome"]).fillna("missing")
    stage_now = before["opportunity_id"].map(now["stage"])
    t = before.assign(status=status, moved=(status == "open") & (stage_now != before["stage"]))
    g = t.groupby("stage", sort=False)
    out = pd.DataFrame(
        {
            "deals_then": g.size(),
            "won": g["status"].apply(lambda s: int((s == "won").sum())),
            "lost": g["status"].apply(lambda s: int(s.isin(["lost", "no_decision"]).sum())),
            "still_open": g["status"].apply(lambda s: int((s == "open").sum())),
            "moved_on": g["moved"].sum().astype(int),
        }
    )
    out["won_share"] = out["won"] / out["deals_then"]
    return out.reset_index()


def pvf(
    conversion: pd.DataFrame,
    open_now: pd.DataFrame,
    *,
    target: float,
    order: list[str] | None = None,
) -> pd.DataFrame:
    """Pipeline Value Factor per stage: the multiple of a period's target each stage must hold.

    From history: if a share w of the deals sitting in a stage at a period's start were
    won within the period, the stage must hold 1 / w times the target to close it.
    Compared with today's open value per stage: the gap in money (positive = short).
    """
    t = conversion.set_index("stage")
    value = open_now.groupby("stage")["amount"].sum()
    stages = order or list(t.index)
    rows = []
    for s in stages:
        w = t["won_share"].get(s, float("nan"))
        factor = 1 / w if w and not pd.isna(w) and w > 0 else float("nan")
        have = float(value.get(s, 0.0))
        need = factor * target if not pd.isna(factor) else float("nan")
        rows.append(
            {
                "stage": s,
                "won_share": w,
                "pvf": factor,
                "needed": need,
                "in_stage": have,
                "gap": need - have if not pd.isna(need) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def balance(
    open_now: pd.DataFrame,
    *,
    rocks: float = 50_000,
    stones: float = 10_000,
    target: float | None = None,
    decisive_share: float = 0.25,
) -> tuple[pd.DataFrame, str]:
    """Rocks, stones and pebbles: count and value shares by deal size, and a concentration warning."""
    amounts = open_now["amount"].dropna()
    band = np.select([amounts >= rocks, amounts >= stones], ["rocks", "stones"], default="pebbles")
    t = (
        pd.DataFrame({"band": band, "amount": amounts.to_numpy()})
        .groupby("band")["amount"]
        .agg(["count", "sum"])
    )
    t = t.reindex(["rocks", "stones", "pebbles"], fill_value=0)
    t["count_share"] = t["count"] / max(t["count"].sum(), 1)
    t["value_share"] = t["sum"] / t["sum"].sum() if t["sum"].sum() else 0.0
    biggest = float(amounts.max()) if len(amounts) else 0.0
    base = target if target else float(amounts.sum())
    if base and biggest / base >= decisive_share:
        note = (
            f"Warning: the largest open deal ({biggest:,.0f}) is {biggest / base:.0%} of the "
            f"{'target' if target else 'pipeline'}: one deal could decide the quarter."
        )
    else:
        note = (
            f"No single deal decides the quarter (the largest is {biggest / base:.0%} of it)."
            if base
            else ""
        )
    return t.reset_index().rename(columns={"sum": "value"}), note


def integrity(
    open_now: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    last_activity: pd.Series | None = None,
    stale_days: int = 60,
    pushes: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Garbage in, garbage out: flags per open deal and an integrity score per owner.

    Flags: past-due close date, missing amount, missing close date, stale (no activity on
    the account for ``stale_days``), pushed (close date moved out since the last
    snapshot), probability that does not fit the stage (more than 0.3 from the stage's median).
    """
    d = open_now.copy()
    flags = pd.DataFrame(index=d.index)
    flags["past_due"] = d["close_date"] < as_of
    flags["no_amount"] = d["amount"].isna()
    flags["no_close_date"] = d["close_date"].isna()
    if last_activity is not None:
        seen = d["account_id"].map(last_activity)
        flags["stale"] = seen.isna() | ((as_of - seen).dt.days > stale_days)
    if pushes is not None:
        flags["pushed"] = d["opportunity_id"].map(pushes).fillna(0) > 0
    if "probability" in d:
        typical = d.groupby("stage")["probability"].transform("median")
        flags["probability_mismatch"] = (d["probability"] - typical).abs() > 0.3
    flags = flags.fillna(False).astype(bool)
    deals = d[["opportunity_id", "owner", "stage", "amount", "close_date"]].join(flags)
    deals["flags"] = flags.sum(axis=1)
    per_owner = deals.groupby("owner").agg(
        open_deals=("opportunity_id", "size"), flagged=("flags", lambda f: int((f > 0).sum()))
    )
    per_owner["integrity_score"] = 1 - per_owner["flagged"] / per_owner["open_deals"]
    return deals, per_owner.sort_values("integrity_score").reset_index()


def slip(
    previous: pd.DataFrame, current: pd.DataFrame, *, period_end: pd.Timestamp
) -> pd.DataFrame:
    """What happened to each deal between two snapshots.

    Status: new, won, lost (incl. no decision), pushed (close date moved later), pulled in,
    amount up, amount down, stage moved, unchanged. One status per deal, in that priority.
    """
    key = "opportunity_id"
    prev = previous[previous["outcome"] == "open"].set_index(key)
    cur = current.set_index(key)
    rows = []
    for oid, now in cur.iterrows():
        if oid not in prev.index:
            if now["outcome"] == "open" or now["created_date"] > period_end - pd.Timedelta(days=92):
                rows.append(
                    (oid, "new", np.nan, now["amount"] if now["outcome"] == "open" else np.nan)
                )
            continue
        then = prev.loc[oid]
        before, after = then["amount"], now["amount"]
        if now["outcome"] == "won":
            status = "won"
        elif now["outcome"] in ("lost", "no_decision"):
            status = "lost"
        elif (
            pd.notna(now["close_date"])
            and pd.notna(then["close_date"])
            and now["close_date"] > then["close_date"]
        ):
            status = "pushed"
        elif (
            pd.notna(now["close_date"])
            and pd.notna(then["close_date"])
            and now["close_date"] < then["close_date"]
        ):
            status = "pulled in"
        elif pd.notna(after) and pd.notna(before) and after > before:
            status = "amount up"
        elif pd.notna(after) and pd.notna(before) and after < before:
            status = "amount down"
        elif now["stage"] != then["stage"]:
            status = "stage moved"
        else:
            status = "unchanged"
        rows.append((oid, status, before, after if now["outcome"] == "open" else np.nan))
    for oid in prev.index.difference(cur.index):
        rows.append((oid, "lost", prev.loc[oid, "amount"], np.nan))  # vanished from the CRM
    return pd.DataFrame(rows, columns=[key, "status", "amount_before", "amount_now"])


def waterfall(moves: pd.DataFrame) -> pd.DataFrame:
    """From last snapshot's open pipeline to today's: start, won, lost, new, changes, end."""
    before = moves["amount_before"].fillna(0)
    now = moves["amount_now"].fillna(0)
    start = float(before.sum())
    won = -float(before[moves["status"] == "won"].sum())
    lost = -float(before[moves["status"] == "lost"].sum())
    new = float(now[moves["status"] == "new"].sum())
    kept = ~moves["status"].isin(["won", "lost", "new"])
    change = float((now[kept] - before[kept]).sum())
    end = start + won + lost + new + change
    return pd.DataFrame(
        {
            "step": ["last snapshot", "won", "lost", "new", "amount changes", "today"],
            "amount": [start, won, lost, new, change, end],
        }
    )


def forecasts(
    open_now: pd.DataFrame,
    conversion: pd.DataFrame | None,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Next period's forecast four ways: probability-weighted, commit, best case, historical conversion."""
    due = open_now[open_now["close_date"].between(start, end)]
    rows = [("all open deals due", float(due["amount"].sum()))]
    if "probability" in due:
        rows.append(("probability-weighted", float((due["amount"] * due["probability"]).sum())))
    if "forecast_category" in due:
        commit = due["forecast_category"] == "commit"
        best = due["forecast_category"].isin(["commit", "best_case"])
        rows += [
            ("commit", float(due.loc[commit, "amount"].sum())),
            ("best case", float(due.loc[best, "amount"].sum())),
        ]
    if conversion is not None and len(conversion):
        w = conversion.set_index("stage")["won_share"]
        rows.append(
            ("historical conversion", float((due["amount"] * due["stage"].map(w).fillna(0)).sum()))
        )
    return pd.DataFrame(rows, columns=["forecast", "amount"])


def metrics(
    stats: dict[str, Any],
    team_velocity: float,
    crm: dict[str, float],
    coverage: float | None,
    pvf_table: pd.DataFrame | None,
) -> dict[str, Any]:
    """summary.json metrics (full precision; null where the data cannot support one)."""
    return {
        "win_rate": stats["win_rate"],
        "no_decision_share": stats["no_decision_share"],
        "avg_deal_size_won": stats["avg_deal_size_won"],
        "avg_cycle_days_won": stats["avg_cycle_days_won"],
        "velocity_per_day": team_velocity,
        "open_pipeline": crm["open_pipeline"],
        "coverage_next_quarter": coverage,
        "pvf_by_stage": None
        if pvf_table is None
        else dict(zip(pvf_table["stage"], pvf_table["pvf"], strict=True)),
    }


# --------------------------------------------------------------------------- plots
def plot_funnel(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Open value per stage, first stage on top."""
    ax = get_ax(ax)
    ax.barh(table["stage"], table["value"], color=PALETTE[0])
    ax.invert_yaxis()
    money_axis(ax, "x", currency)
    warn = " (more than six stages: simplify)" if len(table) > 6 else ""
    ax.set_title(f"{int(table['deals'].sum())} open deals in {len(table)} stages{warn}")
    return ax


def plot_waterfall(steps: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Bridge from the last snapshot's open pipeline to today's."""
    ax = get_ax(ax)
    level = 0.0
    for i, (name, amount) in enumerate(zip(steps["step"], steps["amount"], strict=True)):
        if name in ("last snapshot", "today"):
            ax.bar(i, amount, color=PALETTE[0])
            level = amount
        else:
            ax.bar(i, amount, bottom=level, color=PALETTE[2] if amount >= 0 else HIGHLIGHT)
            level += amount
    ax.set_xticks(range(len(steps)), steps["step"], rotation=15)
    money_axis(ax, "y", currency)
    delta = steps["amount"].iloc[-1] - steps["amount"].iloc[0]
    ax.set_title(
        f"Open pipeline {'grew' if delta >= 0 else 'shrank'} by {abs(delta):,.0f} since the last snapshot"
    )
    return ax


def plot_balance(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Count share vs value share of rocks, stones and pebbles."""
    ax = get_ax(ax)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["count_share"], width=0.4, color=MUTED, label="share of deals")
    ax.bar(x + 0.2, table["value_share"], width=0.4, color=HIGHLIGHT, label="share of value")
    ax.set_xticks(x, table["band"])
    percent_axis(ax)
    rocks = table.set_index("band").loc["rocks"]
    ax.set_title(
        f"Rocks are {rocks['count_share']:.0%} of deals and {rocks['value_share']:.0%} of value"
    )
    ax.legend()
    return ax


def plot_forecasts(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """The forecasts side by side."""
    ax = get_ax(ax)
    ax.barh(
        table["forecast"],
        table["amount"],
        color=[HIGHLIGHT if f == "probability-weighted" else PALETTE[0] for f in table["forecast"]],
    )
    ax.invert_yaxis()
    money_axis(ax, "x", currency)
    ax.set_title("Same pipeline, different forecasts")
    return ax


def run_rate_target(
    opps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *, quarters: int = 4
) -> float:
    """A default new-business target: won amount per quarter over ``[start, end]`` (``quarters`` long)."""
    won = closed_in(opps, start, end)
    return float(won.loc[won["outcome"] == "won", "amount"].sum()) / quarters


def owner_gaps(
    pvf_table: pd.DataFrame,
    open_now: pd.DataFrame,
    quotas: pd.DataFrame | None,
    *,
    target: float,
    period: str,
) -> pd.DataFrame:
    """PVF gap per owner: each owner's share of the target (by quota) x PVF, against their pipeline by stage."""
    owners = sorted(open_now["owner"].dropna().unique())
    if quotas is not None and {"owner", "period", "quota"} <= set(quotas.columns):
        q = quotas[quotas["period"] == period].set_index("owner")["quota"]
        share = (
            (q / q.sum()).reindex(owners).fillna(0.0)
            if q.sum()
            else pd.Series(1 / len(owners), index=owners)
        )
    else:
        share = pd.Series(1 / max(len(owners), 1), index=owners)
    have = open_now.groupby(["owner", "stage"])["amount"].sum()
    rows = []
    for owner in owners:
        for _, r in pvf_table.iterrows():
            need = r["pvf"] * target * share[owner]
            in_stage = float(have.get((owner, r["stage"]), 0.0))
            rows.append(
                {
                    "owner": owner,
                    "stage": r["stage"],
                    "needed": need,
                    "in_stage": in_stage,
                    "gap": need - in_stage,
                }
            )
    return pd.DataFrame(rows)


def win_loss_note(stats: dict[str, Any]) -> str:
    """Win / loss against the no-decision benchmark, in one sentence."""
    total = stats["won"] + stats["lost"] + stats["no_decision"]
    if not total:
        return "No deal closed in this window."
    nd = stats["no_decision_share"]
    cmp = (
        "above"
        if nd > NO_DECISION_BENCHMARK + 0.03
        else "below"
        if nd < NO_DECISION_BENCHMARK - 0.03
        else "close to"
    )
    return (
        f"{total} deals closed: {stats['won']} won, {stats['lost']} lost, {stats['no_decision']} ended in no "
        f"decision. Win rate {stats['win_rate']:.0%}; no decision {nd:.0%}, {cmp} the ~26% industry research "
        "reports. No decision is a loss too: the customer stayed with the status quo."
    )


def forecast_note(table: pd.DataFrame) -> str:
    """Why the probability-weighted number misleads."""
    t = table.set_index("forecast")["amount"]
    if "probability-weighted" not in t.index:
        return "The data has no probabilities, so there is no weighted forecast to critique."
    return (
        f"The weighted forecast says {t['probability-weighted']:,.0f}, but no single deal will close at that "
        "value: each is won or lost. Ten deals at 10% are not one signed contract. Commit and best case "
        "name the deals; historical conversion says what stages have actually yielded."
    )


def push_counts(moves: pd.DataFrame | None) -> pd.Series | None:
    """1 per deal pushed since the last snapshot (None without a snapshot)."""
    if moves is None:
        return None
    return moves.set_index("opportunity_id")["status"].eq("pushed").astype(int)


def coverage(
    open_now: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp, target: float
) -> float | None:
    """Open pipeline due in ``[start, end]`` divided by the target (None without a target)."""
    if not target:
        return None
    due = open_now[open_now["close_date"].between(start, end)]
    return float(due["amount"].sum() / target)


def pvf_note(table: pd.DataFrame | None, target: float, period: str) -> str:
    """The PVF finding in one sentence, or why it cannot be computed."""
    if table is None:
        return (
            "No previous snapshot was given, so stage conversion cannot be measured: pass "
            "previous_data_dir (last quarter's export of the opportunities) to get the Pipeline Value Factors."
        )
    short = table[table["gap"] > 0]
    return (
        f"Target for {period}: {target:,.0f}. Each stage would need between {table['pvf'].min():.1f} and "
        f"{table['pvf'].max():.1f} times it; {len(short)} of {len(table)} stages hold less than their factor asks, "
        f"short by {short['gap'].sum():,.0f} in all."
    )


def slip_note(moves: pd.DataFrame | None) -> str:
    """Slip counts in one sentence."""
    if moves is None:
        return (
            "No previous snapshot was given, so slips cannot be measured (set previous_data_dir)."
        )
    c = moves["status"].value_counts()
    return (
        f"Since the last snapshot: {c.get('won', 0)} won, {c.get('lost', 0)} lost, {c.get('new', 0)} new, "
        f"{c.get('pushed', 0)} pushed out, {c.get('pulled in', 0)} pulled in, "
        f"{c.get('amount up', 0) + c.get('amount down', 0)} changed amount."
    )
