"""Pipeline health: win / loss with no decision, velocity, Pipeline Value Factor, deal-size
balance, data integrity, slip between two snapshots, and a critique of weighted forecasts.

Definitions (also in the README): won, lost and no-decision opportunities *closed inside
the review window* make the win / loss figures; win_rate = won / (won + lost +
no_decision); cycle days = close_date - created_date of won deals; velocity uses the
opportunities open at the window's end. Stage conversion and slips need two snapshots
of the pipeline (the previous quarter's and today's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from . import analysis, history
from .analysis import outcome_from_stage, with_outcomes
from .dataset import DataSet, load_dataset
from .dataset.aggregates import last_activity
from .periods import previous_quarter
from .schema import DataError, UsageError
from .theme import (
    HIGHLIGHT,
    MUTED,
    PALETTE,
    format_money,
    get_ax,
    money_axis,
    paired_share_bars,
)

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
    "CLOSED_LATER",
    "CORE",
    "executive_table",
    "exercises",
    "Params",
    "PipelineAnalysis",
    "analyze",
    "cycle_days",
    "open_at",
    "outcome_from_stage",
    "snapshot_folder",
    "with_outcomes",
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
    """Deals open on ``as_of``: created by then and not closed by then.

    A deal still open today whose created date is missing counts as open (it exists; the
    gap is an integrity flag); a closed deal without a created date cannot be placed.
    """
    _need(opps, ["outcome", "created_date", "close_date"], "open_at")
    is_open = opps["outcome"] == "open"
    created = (opps["created_date"] <= as_of) | (opps["created_date"].isna() & is_open)
    still_open = is_open | (opps["close_date"] > as_of)
    return opps[created.fillna(False) & still_open.fillna(False)]


def cycle_days(deals: pd.DataFrame) -> tuple[pd.Series, int]:
    """close_date - created_date in days where both exist and close is not before created.

    Returns the valid cycles and the number of deals left out because they closed before
    they were created (a data error worth fixing in the CRM).
    """
    days = (deals["close_date"] - deals["created_date"]).dt.days
    negative = days < 0
    return days[days.notna() & ~negative], int(negative.sum())


def win_loss(closed: pd.DataFrame, *, records_no_decision: bool = True) -> dict[str, Any]:
    """Counts and rates of a :func:`closed_in` table; no decision is its own outcome.

    Rates are None when nothing closed; ``no_decision_share`` is None when the data set
    records no no-decision outcome at all (``records_no_decision=False``): zero would be a
    claim the data cannot make. Cycle days leave out deals closed before they were created
    (``cycle_excluded``).
    """
    counts = closed["outcome"].value_counts().reindex(list(_CLOSED), fill_value=0)
    total = int(counts.sum())
    won = closed[closed["outcome"] == "won"]
    cycle, excluded = cycle_days(won)
    amounts = won["amount"].dropna()
    return {
        "won": int(counts["won"]),
        "lost": int(counts["lost"]),
        "no_decision": int(counts["no_decision"]),
        "win_rate": counts["won"] / total if total else None,
        "no_decision_share": (counts["no_decision"] / total)
        if total and records_no_decision
        else None,
        "avg_deal_size_won": float(amounts.mean()) if len(amounts) else None,
        "avg_cycle_days_won": float(cycle.mean()) if len(cycle) else None,
        "won_amount": float(amounts.sum()),
        "cycle_excluded": excluded,
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


def _velocity(n_open: int, s: Mapping[str, Any]) -> float | None:
    rate, size, days = s["win_rate"], s["avg_deal_size_won"], s["avg_cycle_days_won"]
    if rate is None or size is None or not days:
        return None
    return n_open * rate * size / days


def velocity(
    open_now: pd.DataFrame,
    stats: Mapping[str, Any],
    *,
    by: str | None = None,
    closed: pd.DataFrame | None = None,
    records_no_decision: bool = True,
) -> pd.DataFrame:
    """Sales velocity = open opportunities x win rate x average won deal size / average cycle days.

    Whole team from ``stats`` (:func:`win_loss`); per ``by`` (e.g. owner) from that group's
    own closed deals in ``closed``. None (missing) where a factor is unknown. Rows: the team,
    then the groups by velocity, fastest first (unknown last).
    """
    rows = [
        {
            "group": "team",
            "open_deals": len(open_now),
            **{k: stats[k] for k in ("win_rate", "avg_deal_size_won", "avg_cycle_days_won")},
            "velocity_per_day": _velocity(len(open_now), stats),
        }
    ]
    if by and closed is not None and by in open_now and by in closed:
        for key, part in open_now.groupby(by):
            s = win_loss(closed[closed[by] == key], records_no_decision=records_no_decision)
            rows.append(
                {
                    "group": str(key),
                    "open_deals": len(part),
                    "win_rate": s["win_rate"],
                    "avg_deal_size_won": s["avg_deal_size_won"],
                    "avg_cycle_days_won": s["avg_cycle_days_won"],
                    "velocity_per_day": _velocity(len(part), s),
                }
            )
    out = pd.DataFrame(rows).astype(
        {
            c: "float64"
            for c in ("win_rate", "avg_deal_size_won", "avg_cycle_days_won", "velocity_per_day")
        }
    )
    # the team first, then the owners fastest first (unknown velocity last)
    owners = out.iloc[1:].sort_values(
        ["velocity_per_day", "group"], ascending=[False, True], na_position="last", kind="stable"
    )
    return pd.concat([out.iloc[:1], owners], ignore_index=True)


def crm_metrics(
    open_now: pd.DataFrame, stats: Mapping[str, Any], *, as_of: pd.Timestamp
) -> dict[str, Any]:
    """The figures executives ask for: total pipeline, its age, average close time and deal size.

    ``open_pipeline`` sums the open deals that have an amount, and is None when open deals
    exist but none has one (the pipeline's value is then unknown, not zero).
    """
    amounts = open_now["amount"].dropna()
    age = (as_of - open_now["created_date"]).dt.days.dropna()
    return {
        "open_pipeline": float(amounts.sum()) if len(amounts) or open_now.empty else None,
        "open_deals": len(open_now),
        "open_deals_without_amount": int(open_now["amount"].isna().sum()),
        "open_deals_without_close_date": int(open_now["close_date"].isna().sum()),
        "open_deals_without_created_date": int(open_now["created_date"].isna().sum()),
        "pipeline_age_days": float(age.mean()) if len(age) else None,
        "avg_close_days": stats["avg_cycle_days_won"],
        "avg_deal_size_won": stats["avg_deal_size_won"],
    }


def funnel(
    open_now: pd.DataFrame, *, as_of: pd.Timestamp, order: list[str] | None = None
) -> pd.DataFrame:
    """Open deals per stage: count, value, deals without amount, median age.

    Stage order: as given, else by the stage's median probability when the data has
    probabilities, else by median age (younger deals sit in earlier stages).
    """
    cols = ["stage", "deals", "value", "without_amount", "median_age_days"]
    if open_now.empty:
        return pd.DataFrame(columns=cols)
    g = open_now.assign(
        age=(as_of - open_now["created_date"]).dt.days, _na=open_now["amount"].isna()
    ).groupby("stage")
    out = pd.DataFrame(
        {
            "deals": g.size(),
            "value": g["amount"].sum(min_count=1),
            "without_amount": g["_na"].sum().astype(int),
            "median_age_days": g["age"].median(),
        }
    )
    if order is None:
        prob = _probability(open_now)
        key = (
            prob.groupby(open_now["stage"]).median() if prob is not None else out["median_age_days"]
        )
        order = list(key.reindex(out.index).sort_values(kind="stable").index)
    out = out.reindex([s for s in order if s in out.index])
    return out.rename_axis("stage").reset_index()[cols]


def _probability(deals: pd.DataFrame) -> pd.Series | None:
    """The probability column as numbers, or None when the data has no usable probability."""
    if "probability" not in deals:
        return None
    prob = pd.to_numeric(deals["probability"], errors="coerce")
    return prob if prob.notna().any() else None


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
    currency: str = "",
) -> tuple[pd.DataFrame, str]:
    """Rocks, stones and pebbles: count and value shares by deal size, and a concentration warning.

    Only open deals with an amount are banded; the note says how many lack one.
    """
    amounts = open_now["amount"].dropna()
    band = np.select([amounts >= rocks, amounts >= stones], ["rocks", "stones"], default="pebbles")
    t = (
        pd.DataFrame({"band": band, "amount": amounts.to_numpy()})
        .groupby("band")["amount"]
        .agg(["count", "sum"])
    )
    t = t.reindex(["rocks", "stones", "pebbles"], fill_value=0)
    t["count_share"] = t["count"] / max(t["count"].sum(), 1)
    total = float(t["sum"].sum())
    t["value_share"] = t["sum"] / total if total else 0.0
    biggest = float(amounts.max()) if len(amounts) else 0.0
    base = target if target else total
    unknown = int(open_now["amount"].isna().sum())
    tail = f" ({unknown:,} open deals have no amount and are not banded.)" if unknown else ""
    big = f"{biggest:,.0f} {currency}".rstrip()
    if not base or not len(amounts):
        note = "No open deal has an amount, so the balance cannot be judged." if unknown else ""
    elif biggest / base >= decisive_share:
        note = (
            f"Warning: the largest open deal ({big}) is {biggest / base:.0%} of the "
            f"{'target' if target else 'pipeline'}: one deal could decide the quarter."
        )
    else:
        note = (
            f"No single deal decides the quarter (the largest is {biggest / base:.0%} of the "
            f"{'target' if target else 'pipeline'})."
        )
    out = t.reset_index().rename(columns={"sum": "value", "count": "deals"})
    return out.astype({"deals": "int64"}), note + tail


def integrity(
    open_now: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    last_activity: pd.Series | None = None,
    stale_days: int = 60,
    pushes: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Garbage in, garbage out: flags per open deal and an integrity score per owner.

    Flags: past-due close date, missing amount, missing close date, missing created date,
    stale (no activity on the account for ``stale_days``), pushed (close date moved out
    since the last snapshot), probability that does not fit the stage (more than 0.3 from
    the stage's median). Deals without an owner are grouped as "(no owner)".
    """
    d = open_now
    flags = pd.DataFrame(index=d.index)
    flags["past_due"] = d["close_date"] < as_of
    flags["no_amount"] = d["amount"].isna()
    flags["no_close_date"] = d["close_date"].isna()
    flags["no_created_date"] = d["created_date"].isna()
    if last_activity is not None:
        seen = d["account_id"].map(last_activity)
        flags["stale"] = seen.isna() | ((as_of - seen).dt.days > stale_days)
    if pushes is not None:
        flags["pushed"] = d["opportunity_id"].map(pushes).fillna(0) > 0
    prob = _probability(d)
    if prob is not None:
        typical = prob.groupby(d["stage"]).transform("median")
        flags["probability_mismatch"] = (prob - typical).abs() > 0.3
    flags = flags.fillna(False).astype(bool)
    owner = (
        d["owner"].fillna("(no owner)") if "owner" in d else pd.Series("(no owner)", index=d.index)
    )
    deals = d[["opportunity_id", "stage", "amount", "close_date"]].assign(owner=owner).join(flags)
    deals["flags"] = flags.sum(axis=1).astype(int)
    per_owner = deals.groupby("owner").agg(
        open_deals=("opportunity_id", "size"), flagged=("flags", lambda f: int((f > 0).sum()))
    )
    per_owner["integrity_score"] = 1 - per_owner["flagged"] / per_owner["open_deals"]
    return deals, per_owner.sort_values(
        ["integrity_score", "open_deals"], ascending=[True, False]
    ).reset_index()


_SLIP_ORDER = ("won", "lost", "pushed", "pulled in", "amount up", "amount down", "stage moved")


def slip(
    previous: pd.DataFrame, current: pd.DataFrame, *, period_end: pd.Timestamp
) -> pd.DataFrame:
    """What happened to each deal between two snapshots.

    Status: new (open now, or created within the last 92 days, and not open at the
    snapshot), won, lost (incl. no decision, and deals that vanished from the CRM), pushed
    (close date moved later), pulled in, amount up, amount down, stage moved, unchanged. One
    status per deal, in that priority. ``amount_now`` is the amount of deals open today.
    """
    key = "opportunity_id"
    prev = previous[previous["outcome"] == "open"].drop_duplicates(key).set_index(key)
    cur = current.drop_duplicates(key).set_index(key)
    both = cur.index.intersection(prev.index)
    now, then = cur.loc[both], prev.loc[both]
    conditions = [
        now["outcome"] == "won",
        now["outcome"].isin(["lost", "no_decision"]),
        (now["close_date"] > then["close_date"]).fillna(False),
        (now["close_date"] < then["close_date"]).fillna(False),
        (now["amount"] > then["amount"]).fillna(False),
        (now["amount"] < then["amount"]).fillna(False),
        now["stage"] != then["stage"],
    ]
    status = np.select(conditions, list(_SLIP_ORDER), default="unchanged")
    kept = pd.DataFrame(
        {
            key: both,
            "status": status,
            "amount_before": then["amount"].to_numpy(),
            "amount_now": now["amount"].where(now["outcome"] == "open").to_numpy(),
        }
    )
    fresh = cur.loc[cur.index.difference(prev.index)]
    is_new = (fresh["outcome"] == "open") | (
        fresh["created_date"] > period_end - pd.Timedelta(days=92)
    ).fillna(False)
    fresh = fresh[is_new]
    new = pd.DataFrame(
        {
            key: fresh.index,
            "status": "new",
            "amount_before": np.nan,
            "amount_now": fresh["amount"].where(fresh["outcome"] == "open").to_numpy(),
        }
    )
    gone_ids = prev.index.difference(cur.index)
    gone = pd.DataFrame(
        {
            key: gone_ids,
            "status": "lost",
            "amount_before": prev.loc[gone_ids, "amount"].to_numpy(),
            "amount_now": np.nan,
        }
    )
    parts = [p for p in (kept, new, gone) if len(p)]
    if not parts:
        return pd.DataFrame(columns=[key, "status", "amount_before", "amount_now"])
    return pd.concat(parts, ignore_index=True).astype(
        {"amount_before": "float64", "amount_now": "float64"}
    )


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
    """Next period's forecast several ways: all due, probability-weighted, commit, best case, history.

    Each row only where the data has what it needs (probabilities, forecast categories, a
    previous snapshot's conversion).
    """
    due = open_now[open_now["close_date"].between(start, end)]
    rows = [("all open deals due", float(due["amount"].sum()))]
    prob = _probability(due)
    if prob is not None:
        rows.append(("probability-weighted", float((due["amount"] * prob).sum())))
    if "forecast_category" in due and due["forecast_category"].notna().any():
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


# --------------------------------------------------------------------------- plots
def _room_for_labels(ax: Axes, which: str = "x", share: float = 0.18) -> None:
    """Widen the value axis so labels at the bar ends stay inside the drawing."""
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    span = (hi - lo) or 1.0
    if which == "x":
        ax.set_xlim(lo, hi + span * share)
    else:
        ax.set_ylim(lo, hi + span * share)


def _money_ticks(ax: Axes, which: str, currency: str, label: str) -> None:
    """A money axis with at most five ticks (1.5M, 2M ...) and the currency in its label,
    so tick labels never run together."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(MaxNLocator(nbins=5))
    money_axis(ax, which, "")
    text = f"{label} ({currency})" if currency else label
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(text)


def plot_funnel(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Open value per stage, first stage on top; by number of deals when a stage has no amounts.

    Each bar carries its value; the title names the stage that holds the most.
    """
    ax = get_ax(ax)
    by_count = bool(table["value"].isna().any())
    values = (table["deals"] if by_count else table["value"]).astype(float)
    bars = ax.barh(table["stage"].astype("str"), values, color=PALETTE[0])
    ax.invert_yaxis()
    warn = " (more than six stages: simplify)" if len(table) > 6 else ""
    top = table["stage"].iloc[int(np.argmax(values.to_numpy()))] if len(table) else ""
    total = float(values.sum())
    if by_count:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("open deals")
        labels = [f"{int(v):,}" for v in values]
        title = f"Stage {top} holds the most open deals: {int(values.max()):,} of {int(total):,}"
    else:
        _money_ticks(ax, "x", currency, "open value")
        labels = [format_money(v, currency) for v in values]
        title = (
            f"Stage {top} holds the most open value: {format_money(values.max(), currency)} "
            f"of {format_money(total, currency)}"
        )
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    _room_for_labels(ax, "x")
    ax.set_title(title + warn)
    return ax


_STEP_LABELS = {"last snapshot": "last\nsnapshot", "amount changes": "amount\nchanges"}


def plot_waterfall(steps: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Bridge from the last snapshot's open pipeline to today's.

    Totals are solid, additions hatched ``//`` and removals hatched ``xx`` (told apart in
    greyscale too); a legend names them and each bar carries its amount.
    """
    ax = get_ax(ax)
    level = 0.0
    style = {
        "total": {"color": PALETTE[0], "hatch": ""},
        "added": {"color": PALETTE[2], "hatch": "//"},
        "removed": {"color": HIGHLIGHT, "hatch": "xx"},
    }
    used: dict[str, Any] = {}
    for i, (name, amount) in enumerate(zip(steps["step"], steps["amount"], strict=True)):
        if name in ("last snapshot", "today"):
            kind, bottom, height = "total", 0.0, amount
            level = amount
        else:
            kind = "added" if amount >= 0 else "removed"
            bottom, height = level, amount
            level += amount
        bar = ax.bar(i, height, bottom=bottom, edgecolor="white", linewidth=0.5, **style[kind])
        used.setdefault(kind, bar)
        text = (
            format_money(amount, currency)
            if kind == "total"
            else (("+" if amount > 0 else "") + format_money(amount, currency))
        )
        ax.annotate(
            text,
            (i, max(bottom, bottom + height)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(
        range(len(steps)), [_STEP_LABELS.get(str(n), str(n)) for n in steps["step"]], rotation=0
    )
    _money_ticks(ax, "y", currency, "open pipeline")
    _room_for_labels(ax, "y", 0.1)
    names = {"total": "open pipeline", "added": "added", "removed": "removed"}
    ax.legend(
        [used[k] for k in names if k in used],
        [names[k] for k in names if k in used],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    delta = steps["amount"].iloc[-1] - steps["amount"].iloc[0]
    ax.set_title(
        f"Open pipeline {'grew' if delta >= 0 else 'shrank'} by "
        f"{format_money(abs(delta), currency)} since the last snapshot"
    )
    return ax


def plot_balance(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Count share vs value share of rocks, stones and pebbles (value bars hatched).

    The title names the band that holds the most value.
    """
    ax = get_ax(ax)
    paired_share_bars(
        ax,
        list(table["band"]),
        table["count_share"],
        table["value_share"],
        solid_style=(MUTED, "share of deals"),
        hatched_style=(HIGHLIGHT, "share of value"),
    )
    ax.set_ylim(0, max(1.0, float(table[["count_share", "value_share"]].max().max())) * 1.1)
    top = table.set_index("band")["value_share"].astype(float).idxmax()
    row = table.set_index("band").loc[top]
    ax.set_title(
        f"{str(top).capitalize()} are {row['count_share']:.0%} of open deals "
        f"and {row['value_share']:.0%} of their value"
    )
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return ax


def plot_forecasts(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """The forecasts side by side, each bar with its amount; the weighted one hatched."""
    ax = get_ax(ax, figsize=(8, 0.5 * len(table) + 1.6))
    weighted = table["forecast"] == "probability-weighted"
    bars = ax.barh(
        table["forecast"],
        table["amount"],
        color=[HIGHLIGHT if w else PALETTE[0] for w in weighted],
        hatch=["//" if w else "" for w in weighted],
        edgecolor="white",
    )
    ax.bar_label(
        bars, labels=[format_money(v, currency) for v in table["amount"]], padding=3, fontsize=8
    )
    ax.invert_yaxis()
    _money_ticks(ax, "x", currency, "due next quarter")
    _room_for_labels(ax, "x")
    if weighted.any():
        ax.legend(
            [bars[int(np.flatnonzero(weighted.to_numpy())[0])], bars[int(np.argmin(weighted))]],
            ["probability-weighted (no deal closes at its weight)", "named deals or history"],
            loc="lower right",
            frameon=False,
            fontsize=8,
        )
    if len(table) > 1:
        title = (
            f"Same open deals, forecasts from {format_money(table['amount'].min(), currency)} "
            f"to {format_money(table['amount'].max(), currency)}"
        )
    else:
        title = (
            f"{format_money(table['amount'].iloc[0], currency)} due: the data allows no "
            "other forecast"
        )
    ax.set_title(title)
    return ax


def run_rate_target(
    opps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *, quarters: int = 4
) -> float | None:
    """A default new-business target: won amount per quarter over ``[start, end]``.

    ``quarters`` is how many quarters of that span the data covers; None without a won deal.
    """
    won = closed_in(opps, start, end)
    amounts = won.loc[won["outcome"] == "won", "amount"].dropna()
    if not len(amounts) or quarters < 1:
        return None
    return float(amounts.sum()) / quarters


def owner_gaps(
    pvf_table: pd.DataFrame,
    open_now: pd.DataFrame,
    quotas: pd.DataFrame | None,
    *,
    target: float,
    period: str,
) -> pd.DataFrame:
    """PVF gap per owner and stage: the owner's share of the target x PVF, against their pipeline.

    An owner's share is their quota's share of the period's quotas, else an equal share.
    """
    cols = ["owner", "stage", "needed", "in_stage", "gap"]
    if "owner" not in open_now:
        return pd.DataFrame(columns=cols)
    owners = sorted(open_now["owner"].dropna().unique())
    if not owners:
        return pd.DataFrame(columns=cols)
    share = pd.Series(1 / len(owners), index=owners)
    if quotas is not None and {"owner", "period", "quota"} <= set(quotas.columns):
        q = quotas[quotas["period"] == period].set_index("owner")["quota"]
        if q.sum():
            share = (q / q.sum()).reindex(owners).fillna(0.0)
    have = open_now.groupby(["owner", "stage"])["amount"].sum()
    rows = [
        {
            "owner": owner,
            "stage": r["stage"],
            "needed": r["pvf"] * target * share[owner],
            "in_stage": float(have.get((owner, r["stage"]), 0.0)),
        }
        for owner in owners
        for _, r in pvf_table.iterrows()
    ]
    out = pd.DataFrame(rows, columns=cols[:-1])
    return out.assign(gap=out["needed"] - out["in_stage"])


def push_counts(moves: pd.DataFrame | None) -> pd.Series | None:
    """1 per deal pushed since the last snapshot (None without a snapshot)."""
    if moves is None:
        return None
    return moves.set_index("opportunity_id")["status"].eq("pushed").astype(int)


def coverage(
    open_now: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp, target: float | None
) -> float | None:
    """Open amount due in ``[start, end]`` divided by the target.

    None without a target, or when no open deal has both an amount and a close date (the
    figure would be a zero the data does not support).
    """
    if not target:
        return None
    placed = open_now.dropna(subset=["amount", "close_date"])
    if placed.empty:
        return None
    due = placed[placed["close_date"].between(start, end)]
    return float(due["amount"].sum() / target)


def executive_table(
    crm: Mapping[str, Any],
    target: float | None,
    cover: float | None,
    unplaced: int,
    per: analysis.Periods,
    currency: str,
    target_given: bool,
) -> pd.DataFrame:
    """The executive figures as figure / value / note rows, each value formatted in its own unit."""

    def money(v: float | None) -> str:
        return "unknown" if v is None else f"{v:,.0f} {currency}"

    def days(v: float | None) -> str:
        return "unknown" if v is None else f"{v:,.0f} days"

    rows = [
        (
            "Open pipeline",
            money(crm["open_pipeline"]),
            f"{crm['open_deals_without_amount']:,} open deals have no amount",
        ),
        ("Open deals", f"{crm['open_deals']:,}", f"open on {per.window.end:%Y-%m-%d}"),
        (
            "Pipeline age",
            days(crm["pipeline_age_days"]),
            "mean age of the open deals with a created date",
        ),
        ("Average close time", days(crm["avg_close_days"]), "won deals closed in the window"),
        ("Average won deal", money(crm["avg_deal_size_won"]), "won deals closed in the window"),
        (
            f"Target for {per.next.label}",
            money(target),
            "parameter target" if target_given else "won run rate",
        ),
        (
            f"Coverage of {per.next.label}",
            "unknown" if cover is None else f"{cover:.2f} x target",
            f"{unplaced:,} open deals lack an amount or close date",
        ),
    ]
    return pd.DataFrame(rows, columns=["figure", "value", "note"])


# --------------------------------------------------------------------------- notes
def win_loss_note(stats: Mapping[str, Any]) -> str:
    """Win / loss against the no-decision benchmark, in one sentence or two."""
    total = stats["won"] + stats["lost"] + stats["no_decision"]
    if not total:
        return "No deal closed in this window, so there is no win rate to report."
    nd = stats["no_decision_share"]
    head = (
        f"{total:,} deals closed: {stats['won']:,} won, {stats['lost']:,} lost"
        + ("" if nd is None else f", {stats['no_decision']:,} ended in no decision")
        + f". Win rate {stats['win_rate']:.0%}."
    )
    if nd is None:
        return (
            f'{head} The data records no "no decision" outcome at all, so its share cannot be '
            "compared with the ~26% that industry research reports: record it as an outcome "
            "(outcome no_decision, or a stage named No Decision)."
        )
    cmp = (
        "above"
        if nd > NO_DECISION_BENCHMARK + 0.03
        else "below"
        if nd < NO_DECISION_BENCHMARK - 0.03
        else "close to"
    )
    return (
        f"{head} No decision {nd:.0%}, {cmp} the ~26% industry research reports. No decision is "
        "a way of being outsold: the customer stayed with the status quo."
    )


def forecast_note(table: pd.DataFrame, currency: str = "") -> str:
    """Why the probability-weighted number misleads."""
    t = table.set_index("forecast")["amount"]
    if "probability-weighted" not in t.index and len(t) == 1:
        return (
            "The data has no deal probabilities, no forecast categories and no stage history, so "
            "the only forecast is the sum of the open deals due: add probability or "
            "forecast_category to the export, and keep each quarter's snapshot."
        )
    if "probability-weighted" not in t.index:
        return (
            "The data has no deal probabilities, so there is no weighted forecast to critique; "
            "the other forecasts name deals or use history."
        )
    weighted = f"{t['probability-weighted']:,.0f} {currency}".rstrip()
    return (
        f"The weighted forecast says {weighted}, but no single deal will close "
        "at that value: each is won or lost. Ten deals at 10% are not one signed contract. Commit "
        "and best case name the deals; historical conversion says what stages have actually yielded."
    )


def pvf_note(
    table: pd.DataFrame,
    target: float,
    period: str,
    currency: str = "",
    *,
    unstaged_won: int = 0,
) -> str:
    """The PVF finding in one sentence.

    ``unstaged_won``: deals open at the snapshot and won since whose stage then is unknown
    (the snapshot kept only their closing stage): they convert from no known stage.
    """
    known = table.dropna(subset=["pvf"])
    money = f"{target:,.0f} {currency}".rstrip()
    if known.empty and unstaged_won:
        return (
            f"Target for {period}: {money}. {unstaged_won:,} deals open at the last snapshot "
            "have been won since, but the snapshot keeps only their closing stage, so the stage "
            "they were won from is unknown and no stage has a Pipeline Value Factor: keep each "
            f"quarter's opportunities export ({_SNAPSHOTS}/<quarter>/) to measure it."
        )
    if known.empty:
        return (
            f"Target for {period}: {money}. No deal open at the last snapshot was won since, "
            "so no stage has a Pipeline Value Factor yet."
        )
    short = known[known["gap"] > 0]
    gap = f"{short['gap'].sum():,.0f} {currency}".rstrip()
    return (
        f"Target for {period}: {money}. Each stage would need between {known['pvf'].min():.1f} "
        f"and {known['pvf'].max():.1f} times it; {len(short)} of {len(known)} stages hold less than "
        f"their factor asks, short by {gap} in all."
    )


def slip_note(
    moves: pd.DataFrame,
    *,
    closed: pd.DataFrame | None = None,
    quarter: str = "",
    through: pd.Timestamp | None = None,
    unpriced: int = 0,
) -> str:
    """Slip counts in one sentence, and why they differ from the quarter's win / loss counts.

    The slip follows deals (those open at the last snapshot, and those new since) up to the
    data's last day (``through``); the win / loss figures count the deals closed inside the
    review quarter (``closed``, a :func:`closed_in` table), whenever they were created.
    ``unpriced``: deals open now without an amount (the bridge counts them as 0).
    """
    c = moves["status"].value_counts()
    since = "Since the last snapshot" + (f" (to {through:%Y-%m-%d})" if through is not None else "")
    text = (
        f"{since}: {c.get('won', 0):,} won, {c.get('lost', 0):,} lost or ended in no decision, "
        f"{c.get('new', 0):,} new, {c.get('pushed', 0):,} pushed out, "
        f"{c.get('pulled in', 0):,} pulled in, "
        f"{c.get('amount up', 0) + c.get('amount down', 0):,} changed amount."
    )
    if unpriced:
        text += f" {unpriced:,} deals open now have no amount: the bridge counts them as 0."
    if closed is None:
        return text
    won_q = set(closed.loc[closed["outcome"] == "won", "opportunity_id"])
    if not won_q and not len(closed):
        return text
    slip_won = set(moves.loc[moves["status"] == "won", "opportunity_id"])
    both = len(won_q & slip_won)
    where = f"in {quarter}" if quarter else "in the review window"
    return (
        f"{text} These counts follow the deals open at the snapshot (and those created since) "
        f"whenever they closed, so they differ from the win / loss counts, which take every deal "
        f"closed {where} whenever it was created: {both:,} of the {len(won_q):,} deals won "
        f"{where} were open at the snapshot, the other {len(won_q) - both:,} came in after it "
        "(counted as new here). Lost here also counts no decision and deals that left the CRM."
    )


# --------------------------------------------------------------------------- the analysis
CORE: tuple[str, ...] = ("opportunities",)
CLOSED_LATER = "closed since (stage then unknown)"
_SNAPSHOTS = "snapshots"


@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The pipeline-health notebook's parameters (less data_dir, output_dir, redact)."""

    previous_data_dir: str = (
        ""  # last quarter's snapshot; "" = <data>/snapshots/<previous quarter>/
    )
    target: float = 0.0  # next quarter's new-business target; 0 = won run rate of four quarters
    rocks_min: float = 50_000.0
    stones_min: float = 10_000.0
    stale_days: int = 60
    decisive_share: float = 0.25
    history_file: str = ""  # the review's history store (salesnb review fills it); "" = none
    history_key: str = ""  # the data set's key in that store (salesnb review fills it)


@dataclass(frozen=True, kw_only=True)
class PipelineAnalysis(analysis.Analysis):
    """Pipeline health over one review quarter (see :func:`analyze`)."""

    methodology: ClassVar[str] = "pipeline_health"


def snapshot_folder(data: DataSet, params: Params) -> tuple[Path | None, str]:
    """Last quarter's snapshot folder and where that choice came from.

    The ``previous_data_dir`` parameter wins; else the data set's own
    ``snapshots/<previous quarter>/`` when it holds an opportunities table; else none.
    """
    given = params.path("previous_data_dir")
    if given is not None:
        return given, "parameter previous_data_dir"
    own = data.path / _SNAPSHOTS / previous_quarter(params.quarter)
    if own.is_dir() and any(own.glob("opportunities.*")):
        return own, f"the data set's {_SNAPSHOTS}/{own.name}/ folder"
    return None, ""


def stored_snapshot(params: Params) -> tuple[pd.DataFrame | None, str]:
    """Last quarter's open deals from the review's history store, or None and why not.

    Only the quarter right before ``params.quarter`` counts (conversion is per quarter).
    The store keeps the deals open at that quarter's end as the data then had them; a deal
    the data had already seen close is put back as open, its stage then unknown
    (:data:`CLOSED_LATER`).
    """
    path = params.path("history_file")
    if path is None or not params.history_key:
        return None, ""
    before = previous_quarter(params.quarter)
    if not path.is_file():
        return None, ""
    try:
        stored = history.snapshot(path, params.history_key, before, history.OPEN_OPPORTUNITIES)
    except (DataError, UsageError) as exc:
        return None, f"The history store could not be read: {str(exc).splitlines()[0]}"
    if stored is None or stored.empty or "opportunity_id" not in stored:
        return None, f"The history store holds no review of {before} for this data set."
    closed = stored["outcome"].astype("str") != "open" if "outcome" in stored else False
    stage = stored["stage"].astype("object").where(~closed, CLOSED_LATER)
    return stored.assign(stage=stage, outcome="open"), ""


def _quarters_covered(
    win: analysis.Window, first: pd.Timestamp | None, last: pd.Timestamp | None, n: int
) -> int:
    """How many of the ``n`` quarters of ``win`` the data's date range touches."""
    if first is None or last is None:
        return 0
    starts = pd.date_range(win.start, periods=n, freq="QS-" + win.start.strftime("%b").upper())
    return sum(
        1
        for s in starts
        if s <= last and (s + pd.DateOffset(months=3) - pd.Timedelta(days=1)) >= first
    )


@analysis.remembered
def analyze(data: DataSet, params: Params) -> PipelineAnalysis:
    """Pipeline health for ``params.quarter``: every table, note, metric and absent section.

    Reads the data set and, when there is one, last quarter's snapshot (a data-set folder).
    Never raises for a data set that passes ``salesnb check``, except :class:`NotAnalysable`
    without an opportunities table.
    """
    analysis.require(data, CORE, "pipeline health")
    per = analysis.periods(data, params)
    w = per.window
    currency = params.currency or data.settings.currency
    raw = data.tables["opportunities"]
    opps, inferred = with_outcomes(raw)
    records_nd = bool((opps["outcome"] == "no_decision").any())
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    absent: dict[str, str] = {}
    findings: list[str] = []

    closed = closed_in(opps, w.start, w.end)
    stats = win_loss(closed, records_no_decision=records_nd)
    open_now = open_at(opps, w.end)
    notes["win_loss"] = win_loss_note(stats)
    total_closed = stats["won"] + stats["lost"] + stats["no_decision"]
    if total_closed:
        # a data set that never records "no decision" gets no row for it: zero would be a claim
        kinds = ["won", "lost", "no_decision"] if records_nd else ["won", "lost"]
        tables["outcomes"] = pd.DataFrame(
            {
                "outcome": [k.replace("_", " ") for k in kinds],
                "deals": [stats[k] for k in kinds],
                "share": [stats[k] / total_closed for k in kinds],
            }
        )
    else:
        absent["outcomes"] = f"No deal closed in {w.label}, so there is no win / loss to show."
    reasons = loss_reasons(closed) if "loss_reason" in closed else None
    if reasons is not None and len(reasons):
        tables["loss_reasons"] = reasons
    else:
        absent["loss_reasons"] = (
            "The opportunities have no loss_reason column, so losses cannot be grouped: add "
            "loss_reason to the export."
            if "loss_reason" not in opps
            else f"No deal was lost in {w.label}, so there are no loss reasons to group."
        )

    # velocity and the executive figures
    tables["velocity"] = velocity(
        open_now, stats, by="owner", closed=closed, records_no_decision=records_nd
    )
    crm = crm_metrics(open_now, stats, as_of=w.end)
    first, last = analysis.data_span(data)
    n_q = _quarters_covered(per.ttm, first, last, 4)
    target, target_source = (
        (float(params.target), "set for this run")
        if params.target > 0
        else (run_rate_target(opps, per.ttm.start, per.ttm.end, quarters=n_q), "from the data")
    )
    cover = coverage(open_now, start=per.next.start, end=per.next.end, target=target)
    unplaced = int((open_now["amount"].isna() | open_now["close_date"].isna()).sum())
    tables["executive"] = executive_table(
        crm, target, cover, unplaced, per, currency, params.target > 0
    )
    if crm["open_pipeline"] is None:
        notes["open_pipeline"] = (
            f"{crm['open_deals']:,} deals are open, but none has an amount, so the pipeline's value "
            "is unknown: ask the owners to estimate amounts."
        )
    else:
        lacking = crm["open_deals_without_amount"]
        notes["open_pipeline"] = (
            f"Open pipeline {crm['open_pipeline']:,.0f} {currency} in {crm['open_deals']:,} open deals"
            + (
                f"; {lacking:,} of them have no amount and are not in that figure."
                if lacking
                else "."
            )
        )

    # the funnel, PVF and the previous snapshot; a deal closed since the window's end shows
    # its closing stage today, not the stage it sat in then
    later = open_now["outcome"] != "open"
    staged = open_now.assign(stage=open_now["stage"].astype("object").where(~later, CLOSED_LATER))
    tables["funnel"] = funnel(staged, as_of=w.end)
    if later.any():
        notes["funnel"] = (
            f"{int(later.sum()):,} of the deals open at the end of {w.label} have closed since; "
            f"the data keeps only their closing stage, so they show as '{CLOSED_LATER}'."
        )
    if open_now.empty:
        absent["funnel"] = f"No deal was open at the end of {w.label}, so there is no funnel."
        del tables["funnel"]
    snap_dir, snap_source = snapshot_folder(data, params)
    previous = None
    snap_reason = (
        f"No snapshot of last quarter's pipeline was found, so stage conversion and slips cannot "
        f"be measured: save last quarter's opportunities export as "
        f"{_SNAPSHOTS}/{previous_quarter(params.quarter)}/opportunities.csv in the data-set folder "
        "(or set previous_data_dir, or review that quarter with salesnb review so the history "
        "store keeps its open deals)."
    )
    if snap_dir is not None:
        try:
            snap = load_dataset(snap_dir)
            if snap.has("opportunities"):
                previous = with_outcomes(snap.tables["opportunities"])[0]
            else:
                snap_reason = f"The snapshot folder {snap_dir.name} has no opportunities table."
        except DataError as exc:
            snap_reason = (
                f"The snapshot in {snap_dir} could not be read: {str(exc).splitlines()[0]}"
            )
    if previous is None and snap_dir is None:
        previous, stored_reason = stored_snapshot(params)
        if previous is not None:
            snap_source = f"the history store ({previous_quarter(params.quarter)} review)"
        elif stored_reason:
            snap_reason += " " + stored_reason
    conversion = stage_conversion(previous, opps) if previous is not None else None
    pvf_table = None
    if conversion is None:
        absent["pvf"] = snap_reason
    elif not target:
        absent["pvf"] = (
            "No target is known (no deal was won in the last four quarters and no target was "
            "set), so the Pipeline Value Factors cannot be turned into amounts: set target."
        )
    else:
        order = (
            [x for x in tables["funnel"]["stage"] if x != CLOSED_LATER]
            if "funnel" in tables
            else None
        )
        pvf_table = pvf(conversion, open_now, target=target, order=order or None)
        tables["pvf"] = pvf_table
        unstaged = conversion.loc[conversion["stage"] == CLOSED_LATER, "won"]
        notes["pvf"] = pvf_note(
            pvf_table, target, per.next.label, currency, unstaged_won=int(unstaged.sum())
        )
        if pvf_table["pvf"].isna().all():  # a table of dashes says less than its sentence
            del tables["pvf"]
            absent["pvf"] = notes.pop("pvf")
        gaps = owner_gaps(
            pvf_table.dropna(subset=["pvf"]),
            open_now,
            data.tables.get("quotas"),
            target=target,
            period=params.quarter,
        )
        if len(gaps):
            tables["pvf_gaps"] = gaps
            tables["pvf_gaps_by_owner"] = (
                gaps.groupby("owner", as_index=False)["gap"]
                .sum()
                .sort_values("gap", ascending=False)
            )
    for name in ("pvf_gaps", "pvf_gaps_by_owner"):
        if name not in tables:
            absent[name] = absent.get("pvf") or (
                "No stage has a Pipeline Value Factor, so there are no gaps to split by owner."
                if pvf_table is not None and pvf_table["pvf"].isna().all()
                else "The open deals have no owner, so the gaps cannot be split by owner: add owner."
            )

    # balance, integrity, slips, forecasts
    bands, notes["balance"] = balance(
        open_now,
        rocks=params.rocks_min,
        stones=params.stones_min,
        target=target,
        decisive_share=params.decisive_share,
        currency=currency,
    )
    if bands["deals"].sum():
        tables["balance"] = bands
    else:
        absent["balance"] = notes["balance"] or f"No deal was open at the end of {w.label}."
    moves = slip(previous, opps, period_end=w.end) if previous is not None else None
    flags, owners = integrity(
        open_now,
        as_of=w.end,
        last_activity=last_activity(data),
        stale_days=params.stale_days,
        pushes=push_counts(moves),
    )
    if len(owners):
        tables["integrity"] = owners
        tables["integrity_flags"] = flags[flags["flags"] > 0].reset_index(drop=True)
    else:
        absent["integrity"] = absent["integrity_flags"] = (
            f"No deal was open at the end of {w.label}."
        )
    if moves is not None:
        tables["slip"] = moves
        tables["waterfall"] = waterfall(moves)
        notes["slip"] = slip_note(
            moves,
            closed=closed,
            quarter=w.label,
            through=last,
            unpriced=int(((opps["outcome"] == "open") & opps["amount"].isna()).sum()),
        )
    else:
        absent["slip"] = absent["waterfall"] = snap_reason
    # a conversion whose wins all lost their stage (a stored snapshot) forecasts nothing
    staged = conversion if "pvf" in tables or pvf_table is None else None
    tables["forecasts"] = forecasts(open_now, staged, start=per.next.start, end=per.next.end)
    notes["forecasts"] = forecast_note(tables["forecasts"], currency)

    # findings, metrics, assumptions, coverage
    findings.append(notes["win_loss"].split(" No decision is")[0])
    if cover is not None:
        findings.append(
            f"Open pipeline due in {per.next.label} covers {cover:.1f} times the target of {target:,.0f} {currency}"
            + (
                f" ({unplaced:,} open deals without an amount or close date are not counted)."
                if unplaced
                else "."
            )
        )
    elif crm["open_pipeline"] is None and crm["open_deals"]:
        findings.append(notes["open_pipeline"])
    if pvf_table is not None:
        findings.append(notes.get("pvf") or absent["pvf"])
    if len(owners):
        flagged = int(owners["flagged"].sum())
        findings.append(
            f"{flagged:,} of {len(flags):,} open deals carry at least one data-integrity flag "
            "(past due, no amount or close date, stale, pushed)."
        )
    if moves is not None:
        c = moves["status"].value_counts()
        findings.append(
            f"Of the deals open at the last snapshot, {c.get('won', 0):,} have been won, "
            f"{c.get('lost', 0):,} lost or ended in no decision and {c.get('pushed', 0):,} pushed "
            f"out; {c.get('new', 0):,} deals are new since. These follow deals from the snapshot, "
            f"so they differ from the counts of deals closed in {w.label} above."
        )
    metrics = {
        "win_rate": analysis.finite_or_none(stats["win_rate"]),
        "no_decision_share": analysis.finite_or_none(stats["no_decision_share"]),
        "avg_deal_size_won": analysis.finite_or_none(stats["avg_deal_size_won"]),
        "avg_cycle_days_won": analysis.finite_or_none(stats["avg_cycle_days_won"]),
        "velocity_per_day": analysis.finite_or_none(tables["velocity"]["velocity_per_day"].iloc[0]),
        "open_pipeline": crm["open_pipeline"],
        "open_deals": crm["open_deals"],
        "open_deals_without_amount": crm["open_deals_without_amount"],
        "open_deals_without_close_date": crm["open_deals_without_close_date"],
        "open_deals_without_created_date": crm["open_deals_without_created_date"],
        "coverage_next_quarter": cover,
        "target_next_quarter": target,
        "won": stats["won"],
        "lost": stats["lost"],
        "no_decision": stats["no_decision"],
        "cycle_excluded_won": stats["cycle_excluded"],
        "pvf_by_stage": None
        if pvf_table is None
        else {
            str(k): analysis.finite_or_none(v)
            for k, v in zip(pvf_table["stage"], pvf_table["pvf"], strict=True)
        },
        "outcomes_from_stage": inferred,
    }
    assumptions = [
        analysis.Assumption(
            "target",
            f"Target for {per.next.label}",
            "unknown" if target is None else f"{target:,.0f} {currency}",
            target_source,
            "set target; default = won amount per quarter over the "
            f"{n_q} of the last four quarters the data covers",
        ),
        analysis.assume(
            params,
            "rocks_min",
            "Rocks: open deals at least",
            shown=f"{params.rocks_min:,.0f} {currency}",
        ),
        analysis.assume(
            params,
            "stones_min",
            "Stones: open deals at least",
            shown=f"{params.stones_min:,.0f} {currency}",
        ),
        analysis.assume(params, "stale_days", "Stale after days without activity"),
        analysis.assume(
            params,
            "decisive_share",
            "One deal decides the quarter at",
            shown=f"{params.decisive_share:.0%} of the target",
        ),
        analysis.Assumption(
            "NO_DECISION_BENCHMARK",
            "No-decision share in industry research",
            f"{NO_DECISION_BENCHMARK:.0%}",
            "built in",
            "the win / loss comparison",
        ),
        analysis.Assumption(
            "previous_data_dir",
            "Last quarter's snapshot",
            (
                f"open deals at the end of {previous_quarter(params.quarter)}"
                if snap_source
                else "none"
            )
            if snap_dir is None
            else str(snap_dir.relative_to(data.path))
            if snap_dir.is_relative_to(data.path)
            else str(snap_dir),
            snap_source or "none found",
            f"convention: {_SNAPSHOTS}/<previous quarter>/ in the data-set folder",
        ),
    ]
    if inferred:
        assumptions.append(
            analysis.Assumption(
                "outcome",
                "Outcome read from the stage name",
                f"{inferred:,} deals",
                "from the data",
                "no outcome value: Closed Won / Closed Lost / No Decision stages, others open",
            )
        )
    cycle_note = stats["cycle_excluded"]
    used_index = closed.index.union(open_now.index)
    rest = opps.drop(index=used_index)
    after = rest["created_date"] > w.end
    before = ~after & rest["outcome"].isin(_CLOSED) & (rest["close_date"] < w.start)
    cov = analysis.coverage(
        data,
        w,
        [
            (
                "opportunities",
                len(opps),
                len(used_index),
                {
                    "created after the window": int(after.sum()),
                    "closed before the window": int(before.sum()),
                    "dates missing, cannot be placed": int((~after & ~before).sum()),
                },
            )
        ],
    )
    if cycle_note:
        notes["cycle"] = (
            f"{cycle_note:,} won deals closed before they were created; they are left out of the "
            "cycle-time figures (fix the dates in the CRM)."
        )
    velocity_now = metrics["velocity_per_day"]
    headline = _headline(
        stats, crm, cover, target, velocity_now, flags if len(owners) else None, per, currency
    )
    actions = _actions(
        pvf_table,
        tables.get("pvf_gaps_by_owner"),
        flags if len(owners) else None,
        owners,
        cover,
        target,
        snap_dir is None and previous is None,
        per,
        currency,
    )
    return PipelineAnalysis(
        params=params,
        periods=per,
        currency=currency,
        tables=tables,
        notes=notes,
        absent=absent,
        metrics=metrics,
        findings=tuple(findings[:5]),
        assumptions=tuple(assumptions),
        coverage=cov,
        headline=headline,
        actions=actions,
    )


_FLAG_NAMES = {
    "past_due": "close date past",
    "no_amount": "no amount",
    "no_close_date": "no close date",
    "no_created_date": "no created date",
    "stale": "stale",
    "pushed": "pushed out",
    "probability_mismatch": "probability off its stage",
}


def _headline(
    stats: Mapping[str, Any],
    crm: Mapping[str, Any],
    cover: float | None,
    target: float | None,
    velocity_now: float | None,
    flags: pd.DataFrame | None,
    per: analysis.Periods,
    currency: str,
) -> tuple[analysis.KPI, ...]:
    """Six headline figures; a figure the data cannot give is None with the reason."""
    w = per.window
    total = stats["won"] + stats["lost"] + stats["no_decision"]
    none_closed = f"no deal closed in {w.label}"
    nd = analysis.finite_or_none(stats["no_decision_share"])
    lacking = crm["open_deals_without_amount"]
    if cover is not None:
        cover_note = f"open value due in {per.next.label} ÷ its target of " + analysis.format_value(
            target, "money", currency
        )
    elif not target:
        cover_note = "no target: no deal won in the last four quarters and none set"
    else:
        cover_note = "no open deal has both an amount and a close date"
    return (
        analysis.KPI(
            "Win rate",
            analysis.finite_or_none(stats["win_rate"]),
            "percent",
            f"{stats['won']:,} won of {total:,} deals closed in {w.label}"
            if total
            else none_closed,
        ),
        analysis.KPI(
            "No-decision share",
            nd,
            "percent",
            "industry research: about 26%"
            if nd is not None
            else ("the data records no no-decision outcome" if total else none_closed),
        ),
        analysis.KPI(
            "Open pipeline",
            crm["open_pipeline"],
            "money",
            f"{crm['open_deals']:,} open deals on {w.end:%Y-%m-%d}"
            + (f", {lacking:,} without an amount" if lacking else "")
            if crm["open_pipeline"] is not None
            else f"{crm['open_deals']:,} open deals, none with an amount",
        ),
        analysis.KPI(f"Coverage of {per.next.label} (× target)", cover, "number", cover_note),
        analysis.KPI(
            "Sales velocity per day",
            velocity_now,
            "money",
            "open deals × win rate × average won deal ÷ cycle days"
            if velocity_now is not None
            else f"needs deals won in {w.label} with a cycle time, and open deals",
        ),
        analysis.KPI(
            "Open deals with a data flag",
            None if flags is None else int((flags["flags"] > 0).sum()),
            "count",
            f"of {len(flags):,} open deals"
            if flags is not None
            else f"no deal open on {w.end:%Y-%m-%d}",
        ),
    )


def _actions(
    pvf_table: pd.DataFrame | None,
    by_owner: pd.DataFrame | None,
    flags: pd.DataFrame | None,
    owners: pd.DataFrame,
    cover: float | None,
    target: float | None,
    no_snapshot: bool,
    per: analysis.Periods,
    currency: str,
) -> tuple[str, ...]:
    """The top actions, most pressing first: the PVF gaps by stage, the coverage gap, the
    data-integrity fixes, and keeping a snapshot when there is none to measure PVF from."""

    def money(v: float) -> str:
        return analysis.format_value(v, "money", currency)

    out: list[str] = []
    if pvf_table is not None and pvf_table["pvf"].notna().any():
        short = pvf_table[pvf_table["gap"] > 0].sort_values("gap", ascending=False)
        if len(short):
            text = f"Fill the pipeline gaps by stage for {per.next.label}: " + ", ".join(
                f"{r.stage} short by {money(r.gap)} (PVF {r.pvf:.1f})"
                for r in short.head(4).itertuples()
            )
            if by_owner is not None and len(by_owner) and (by_owner["gap"] > 0).any():
                top = by_owner[by_owner["gap"] > 0].head(3)
                text += "; largest owner gaps: " + ", ".join(
                    f"{r.owner} {money(r.gap)}" for r in top.itertuples()
                )
            out.append(text + ".")
    if cover is not None and target and cover < 1:
        out.append(
            f"Coverage of {per.next.label} is {cover:.1f} × target: add "
            f"{money((1 - cover) * target)} of deals due in {per.next.label}, or pull deals in."
        )
    if flags is not None and (flags["flags"] > 0).any():
        counts = {
            name: int(flags[col].sum())
            for col, name in _FLAG_NAMES.items()
            if col in flags and flags[col].any()
        }
        worst = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
        flagged = int((flags["flags"] > 0).sum())
        bad = owners[owners["flagged"] > 0].head(3)
        out.append(
            f"Clean the data of {flagged:,} of {len(flags):,} open deals ("
            + ", ".join(f"{name}: {n:,}" for name, n in worst)
            + ")"
            + (
                "; start with "
                + ", ".join(
                    f"{r.owner} ({r.flagged:,} of {r.open_deals:,} flagged)"
                    for r in bad.itertuples()
                )
                if len(bad)
                else ""
            )
            + "."
        )
    measured = pvf_table is not None and pvf_table["pvf"].notna().any()
    if not measured and (no_snapshot or pvf_table is not None):  # none, or one without stages
        out.append(
            f"Save this quarter's opportunities export as {_SNAPSHOTS}/{per.quarter}/"
            "opportunities.csv in the data-set folder, so next quarter's review can measure stage "
            "conversion, the Pipeline Value Factors and slips."
        )
    return tuple(out)


PipelineAnalysis.charts = {
    "funnel": analysis.Chart(
        ("funnel",), lambda a, ax: plot_funnel(a.tables["funnel"], currency=a.currency, ax=ax)
    ),
    "balance": analysis.Chart(("balance",), lambda a, ax: plot_balance(a.tables["balance"], ax=ax)),
    "waterfall": analysis.Chart(
        ("waterfall",),
        lambda a, ax: plot_waterfall(a.tables["waterfall"], currency=a.currency, ax=ax),
    ),
    "forecasts": analysis.Chart(
        ("forecasts",),
        lambda a, ax: plot_forecasts(a.tables["forecasts"], currency=a.currency, ax=ax),
    ),
}

_T = analysis.TableSpec
PipelineAnalysis.specs = {
    "outcomes": _T(
        "Deals closed in the quarter, by outcome",
        {"outcome": "text", "deals": "count", "share": "percent"},
        source="Deals whose close date falls in the review quarter, whenever they were created.",
    ),
    "loss_reasons": _T(
        "Why deals were lost: the two reasons, and no decision",
        {"group": "text", "reason": "text", "deals": "count"},
        labels={"group": "Reason group", "reason": "Reason recorded"},
        source="Lost and no-decision deals closed in the quarter; a deal may carry several reasons.",
    ),
    "velocity": _T(
        "Sales velocity: the team and each owner",
        {
            "group": "text",
            "open_deals": "count",
            "win_rate": "percent",
            "avg_deal_size_won": "money",
            "avg_cycle_days_won": "count",
            "velocity_per_day": "money",
        },
        labels={
            "group": "Team / owner",
            "avg_deal_size_won": "Average won deal",
            "avg_cycle_days_won": "Average cycle (days)",
            "velocity_per_day": "Velocity per day",
        },
        source="Velocity = open deals × win rate × average won deal ÷ average cycle days; an "
        "owner's rates come from their own deals closed in the quarter ('–': no won deal).",
    ),
    "executive": _T(
        "The figures executives ask for",
        {"figure": "text", "value": "text", "note": "text"},
    ),
    "funnel": _T(
        "Open deals by stage at the quarter's end",
        {
            "stage": "text",
            "deals": "count",
            "value": "money",
            "without_amount": "count",
            "median_age_days": "count",
        },
        labels={
            "value": "Open value",
            "without_amount": "Without amount",
            "median_age_days": "Median age (days)",
        },
    ),
    "pvf": _T(
        "Pipeline Value Factor by stage",
        {
            "stage": "text",
            "won_share": "percent",
            "pvf": "number",
            "needed": "money",
            "in_stage": "money",
            "gap": "money",
        },
        labels={
            "won_share": "Won within a quarter",
            "pvf": "PVF (× target)",
            "needed": "Needed (PVF × target)",
            "in_stage": "Open value in stage",
            "gap": "Gap (positive: short)",
        },
        source="PVF = 1 ÷ the share of the deals in a stage at the last snapshot that were won "
        "since; the target is next quarter's.",
    ),
    "pvf_gaps": _T(
        "Pipeline Value Factor gap by owner and stage",
        {"owner": "text", "stage": "text", "needed": "money", "in_stage": "money", "gap": "money"},
        labels={"in_stage": "Open value in stage", "gap": "Gap (positive: short)"},
        source="An owner's share of the target is their quota's share, else an equal share.",
    ),
    "pvf_gaps_by_owner": _T(
        "Pipeline Value Factor gap by owner, all stages",
        {"owner": "text", "gap": "money"},
        labels={"gap": "Gap (positive: short)"},
        source="An owner's share of the target is their quota's share, else an equal share.",
    ),
    "balance": _T(
        "Rocks, stones and pebbles among the open deals",
        {
            "band": "text",
            "deals": "count",
            "value": "money",
            "count_share": "percent",
            "value_share": "percent",
        },
        labels={
            "band": "Size band",
            "value": "Open value",
            "count_share": "Share of deals",
            "value_share": "Share of value",
        },
    ),
    "integrity": _T(
        "Data integrity by owner, weakest first",
        {"owner": "text", "open_deals": "count", "flagged": "count", "integrity_score": "percent"},
        labels={"flagged": "Flagged deals", "integrity_score": "Integrity score"},
        source="Integrity score: the share of an owner's open deals without any flag.",
    ),
    "integrity_flags": _T(
        "Open deals with a data-integrity flag",
        {
            "opportunity_id": "id",
            "stage": "text",
            "amount": "money",
            "close_date": "date",
            "owner": "text",
            **{c: "bool" for c in _FLAG_NAMES},
            "flags": "count",
        },
        labels={
            "opportunity_id": "Opportunity",
            **{c: n.capitalize() for c, n in _FLAG_NAMES.items()},
        },
        wide=True,
    ),
    "slip": _T(
        "What became of each deal since the last snapshot",
        {
            "opportunity_id": "id",
            "status": "text",
            "amount_before": "money",
            "amount_now": "money",
        },
        labels={
            "opportunity_id": "Opportunity",
            "amount_before": "Amount at the snapshot",
            "amount_now": "Amount now (open deals)",
        },
    ),
    "waterfall": _T(
        "From the last snapshot's open pipeline to today's",
        {"step": "text", "amount": "money"},
    ),
    "forecasts": _T(
        "Next quarter's forecast, several ways",
        {"forecast": "text", "amount": "money"},
        labels={"amount": "Amount due next quarter"},
        source="Deals open at the quarter's end with a close date in the next quarter.",
    ),
}


# --------------------------------------------------------------------------- training (issue 14)
EXERCISE_ROCKS_MIN = 25_000.0  # exercise 2 lowers the rocks threshold here


def exercises(data: DataSet, params: Params, a: PipelineAnalysis) -> dict[str, Any]:
    """The notebook's exercises: exercise number -> ``training.Answer``, computed from the data.

    1. predict: the rocks' share of the open pipeline's value;
    2. parameter: how many open deals are rocks when the threshold is :data:`EXERCISE_ROCKS_MIN`;
    3. judgement: two owners to coach first on data hygiene (rubric: the lowest integrity
       score; owners tied with the second pass);
    4. scenario: the stage to fill first for next quarter (the biggest gap to what its
       Pipeline Value Factor asks; tied stages pass).

    An exercise the data cannot answer keeps its place with no value, and its check says so.
    Pure: re-runs :func:`analyze` with other parameters.
    """
    from dataclasses import replace

    from . import training

    # 1 predict, 2 parameter: rocks, stones and pebbles
    bands = a.table("balance")
    has_value = bands is not None and float(bands["value"].sum()) > 0
    share = float(bands.loc[bands["band"] == "rocks", "value_share"].sum()) if has_value else None
    rocks_now = int(bands.loc[bands["band"] == "rocks", "deals"].sum()) if has_value else 0
    key: dict[str, Any] = {
        "1": training.Answer(
            share,
            kind="guess",
            of="percent",
            hint="A guess, as a share of the open pipeline's value (0.4 or 40%).",
            explain=f"Rocks (open deals of {params.rocks_min:,.0f} or more) hold {share or 0:.0%} "
            "of the open value: the higher this share, the more a few deals decide the quarter.",
        )
    }
    n = None
    if has_value and params.stones_min <= EXERCISE_ROCKS_MIN:
        moved = analyze(data, replace(params, rocks_min=EXERCISE_ROCKS_MIN)).table("balance")
        if moved is not None:
            n = int(moved.loc[moved["band"] == "rocks", "deals"].sum())
    key["2"] = training.Answer(
        n,
        kind="count",
        hint=f"Move the rocks threshold to {EXERCISE_ROCKS_MIN:,.0f} (the slider, or the "
        "rocks_min parameter) and read the balance chart.",
        explain=f"At {EXERCISE_ROCKS_MIN:,.0f}, {n} open deals are rocks (against {rocks_now} "
        f"at {params.rocks_min:,.0f}): the threshold decides how lumpy the pipeline looks, so "
        "set it from the size of the target.",
    )
    # 3 judgement: data hygiene
    owners = a.table("integrity")
    worst = (
        training.with_ties(owners, "integrity_score", 2, largest=False)
        if owners is not None and len(owners) >= 3
        else pd.DataFrame(columns=["owner", "flagged", "open_deals"])
    )
    names = list(worst["owner"].astype(str))
    key["3"] = training.Answer(
        names[:2],
        kind="pick",
        k=2,
        any_of=tuple(names[2:]),
        hint="Rubric: the lowest integrity score (the share of an owner's open deals with no "
        "flag); owners tied on it all count.",
        explain=" and ".join(
            f"{r.owner} ({r.flagged} of {r.open_deals} open deals flagged)"
            for r in worst.head(2).itertuples()
        )
        + ": coach the habit (close dates and amounts updated every week), not the deals.",
    )
    # 4 scenario: the Pipeline Value Factor
    stages = a.table("pvf")
    gaps = stages.dropna(subset=["gap"]) if stages is not None else None
    top = gaps[gaps["gap"] == gaps["gap"].max()] if gaps is not None and len(gaps) else None
    names = [] if top is None else list(top["stage"].astype(str))
    short = 0.0 if top is None else float(top["gap"].iloc[0])
    key["4"] = training.Answer(
        names[0] if names else None,
        kind="text",
        any_of=tuple(names[1:]),
        hint="The Pipeline Value Factor table: each stage's need (its factor x the target) "
        "against what it holds.",
        explain=f"{' or '.join(names)} is short by {short:,.0f} {a.currency}".rstrip()
        + " of what its factor asks: fill it first, with deals the customer's evidence moves.",
    )
    return key
