"""Sales habits: the practices behind the numbers, checked on the CRM export where it can.

Definitions (also in the README). The review window is the trailing four quarters (TTM)
ending with the review quarter; the cycle trend looks at the last eight quarters; "by the
window's end" means closed on or before the review quarter's last day. A loss is a deal
lost or ended in no decision.

- ``winback_share``: of the accounts with a loss closed by the window's end, the share that
  won a later deal (closed won after their first loss, by the window's end);
  ``median_days_to_comeback``: days from the last loss before that win to the win.
- ``month_end_close_share``: of the deals won in the window, the share whose close date falls
  in the last ``month_end_days`` (3) days of its month; ``month_end_expected_share``: the
  share if close dates were spread evenly over the days of their months (3 / 30 on
  average); ``month_end_planned_share``: the same share for the planned close dates of the
  deals open at the window's end (bunching in the forecast against bunching in reality).
- ``median_days_to_win`` / ``median_days_to_loss``: median of close date - created date of the
  deals won / lost (or no decision) in the window; ``late_failure_share``: the share of those
  losses that took longer than the median winning cycle ("late failures"), also by owner.
- ``median_cycle_days_won_by_quarter``: the median cycle of the deals won in each of the last
  eight quarters; ``cycle_trend_days_per_quarter``: the slope of a straight line through the
  quarters with at least three won deals; split by source, segment (the account's industry)
  and product family, first four quarters against the last four.
- ``win_rate_by_source``: won / closed in the window per opportunity source (with the cycle
  and deal size); ``revenue_share_existing_customers``: won amount in the window from
  accounts with an earlier win; ``expansion_share``: of that amount, the share won in a
  buying center where the account had no earlier win.
- ``referral_revenue``: lifetime won amount (by the window's end) of the accounts another
  customer referred (``accounts.referred_by``); per referrer its network value (the lifetime
  won amount of every account its referrals brought, the chain followed) beside its own
  lifetime value.
- Trials (an optional ``trials`` table): ``trial_conversion`` over the trials started in the
  window and ended by its end, by length, qualification and usage band; ``repeat_signups``:
  e-mail addresses with more than one trial.

Two trainer structures: a dated executive-prospecting plan per target account (a success
story in the prospect's industry, a top executive with phone and e-mail, the e-mail, the
call with its voicemail, the wait), and the "find five faults" cold-call scorecard.

Call reviews (``call_review_file``): a CSV with a header, or a YAML file with a ``calls:``
list, one call per row / item. Columns (keys): ``learner`` (required), ``call`` (a name or
date, optional), ``reviewer`` (optional), and the five practices, each ``yes`` (done) or
``no`` (the fault was made), empty when not scored: ``quiet_room`` (called from a quiet
place), ``used_name`` (used the person's name), ``gave_first`` (gave before asking),
``did_homework`` (did the homework), ``opened_with_pain`` (opened with a pain the prospect
really has). See ``data/examples/call_reviews.csv``.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from . import analysis, config
from .analysis import with_outcomes
from .dataset import deals
from .periods import last_quarters, quarter_of, span
from .schema import DataError, Problem, UsageError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, paired_share_bars, percent_axis

if TYPE_CHECKING:
    from .dataset import DataSet

__all__ = [
    "CORE",
    "EXAMPLE_CALL_REVIEWS",
    "FAULTS",
    "STOPGAPS",
    "SUCCESS_FACTORS",
    "HabitsAnalysis",
    "Params",
    "analyze",
    "by_source",
    "call_scorecard",
    "customer_revenue",
    "cycle_by_quarter",
    "cycle_split",
    "cycle_trend",
    "cycle_days",
    "early_failure",
    "executives",
    "exercises",
    "is_month_end",
    "load_call_reviews",
    "month_end",
    "network_value",
    "plot_cycle_trend",
    "plot_failure_timing",
    "plot_month_end",
    "plot_trial_conversion",
    "plan_start",
    "prospecting_plan",
    "prospects",
    "recent_losses",
    "repeat_signups",
    "trial_checklist",
    "trial_conversion",
    "winbacks",
]

CORE: tuple[str, ...] = ("opportunities",)
LOSSES = deals.LOSSES
CLOSED = ("won", *LOSSES)  # outcomes of a closed deal
TREND_QUARTERS = 8
TREND_MIN_DEALS = 3  # a quarter needs this many won deals to count in the trend
TREND_MIN_QUARTERS = 4  # ... and the trend this many such quarters
SPLIT_MIN_DEALS = 3  # a group's half needs this many won deals for a median
WAIT_DAYS = (14, 21)  # an executive answers in two to three weeks
FOLLOW_UP_ROWS = 15
EXAMPLE_CALL_REVIEWS = "data/examples/call_reviews.csv"

FAULTS: dict[str, str] = {
    "quiet_room": "calls from a quiet place",
    "used_name": "uses the person's name",
    "gave_first": "gives before asking",
    "did_homework": "did the homework",
    "opened_with_pain": "opens with a pain the prospect really has",
}
# each practice missed, as the fault a reviewer writes down
FAULT_NAMES: dict[str, str] = {
    "quiet_room": "noisy room",
    "used_name": "name not used",
    "gave_first": "asked before giving",
    "did_homework": "no homework",
    "opened_with_pain": "no real pain",
}
STOPGAPS: dict[str, str] = {
    "time limits": "a trial ends after 7 or 30 days",
    "qualification": "a person qualifies the sign-up before a valuable trial starts",
    "limits and gates": "premium parts are limited or gated",
    "repeat offenders": "people who sign up again and again are cut off",
    "training and communication": "users are trained and told what the trial includes",
}
SUCCESS_FACTORS: dict[str, str] = {
    "track usage": "usage is tracked and acted on during the trial",
    "train and consult": "a person trains and advises the trial user",
    "easy contact": "the user can reach a person easily",
    "ease of use": "the product is easy to start with",
    "front and centre": "the trial is put front and centre on the website",
}
# top executives: C-level, VP, head of (a lower rank is more senior)
_EXECUTIVE = (
    (0, r"\b(?:chief|ceo|cfo|cto|cio|coo|cmo|cro|president|founder|owner|managing director)\b"),
    (1, r"\b(?:vp|svp|evp|vice president)\b"),
    (2, r"\bhead of\b"),
)
_USAGE_BANDS = ((0, 25, "0-24%"), (25, 50, "25-49%"), (50, 75, "50-74%"), (75, 101, "75-100%"))
_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False}
_YES.update({"0": False})


# --------------------------------------------------------------------------- helpers
def _n(count: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{count:,} {noun if count == 1 else plural}"


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return analysis.finite_or_none(values.median()) if len(values) else None


def _names(accounts: pd.DataFrame | None) -> pd.Series:
    """account_id -> account_name (empty without names)."""
    if accounts is None or "account_name" not in accounts:
        return pd.Series(dtype="object")
    a = accounts.drop_duplicates("account_id")
    return a.set_index("account_id")["account_name"].astype("object")


def _named(table: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """``table`` with account_name after account_id (the id where the name is unknown)."""
    name = table["account_id"].map(names) if len(names) else pd.Series(pd.NA, index=table.index)
    name = name.astype("object").where(name.notna(), table["account_id"].astype("object"))
    out = table.drop(columns=["account_name"], errors="ignore")
    out.insert(out.columns.get_loc("account_id") + 1, "account_name", name)
    return out


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` at ``keys``, aligned with ``keys`` (Series.map fails on empty dates)."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def cycle_days(deals: pd.DataFrame) -> pd.Series:
    """close_date - created_date in days; NaN where a date is missing or close is before created."""
    days = (deals["close_date"] - deals["created_date"]).dt.days.astype("float64")
    return days.where(days >= 0)


# --------------------------------------------------------------------------- losses taken gracefully
def winbacks(opps: pd.DataFrame, *, end: pd.Timestamp) -> pd.DataFrame:
    """One row per account with a loss closed by ``end``: did it come back (win a later deal)?

    Columns: account_id, losses (lost or no decision by ``end``), first_lost, came_back,
    lost_on (the last loss before the comeback win), won_on, won_amount, won_by (the winning
    deal's owner, when known), days_to_comeback (won_on - lost_on). A comeback is the first
    deal won after the account's first loss, closed by ``end``; a win the same day is not later.
    (The aggregate is :func:`salesnb.dataset.deals.winbacks`, here over ``opps``.)
    """
    return deals.winbacks(deals.on_frames(o=opps), "o", end=end, owner="owner" in opps)


def recent_losses(opps: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Accounts whose last loss closed in ``[start, end]`` and who have not won since: worth a
    courteous follow-up. Largest loss first.

    Columns: account_id, owner, lost_on, outcome, amount, loss_reason (when recorded),
    open_deals (the account's deals open at ``end``: a follow-up may be under way).
    """
    d = opps[opps["account_id"].notna()]
    closed = d[d["close_date"].notna() & (d["close_date"] <= end)]
    losses = closed[closed["outcome"].isin(LOSSES)].sort_values(
        ["account_id", "close_date", "opportunity_id"], kind="stable"
    )
    last = losses.drop_duplicates("account_id", keep="last")
    last = last[last["close_date"].between(start, end)]
    wins = closed[closed["outcome"] == "won"].groupby("account_id")["close_date"].max()
    won_after = _lookup(last["account_id"], wins) > last["close_date"]
    last = last[~won_after.fillna(False).astype(bool)]
    is_open = (d["outcome"] == "open") & ~(d["created_date"] > end).fillna(False)
    open_deals = d[is_open].groupby("account_id").size()
    out = pd.DataFrame(
        {
            "account_id": last["account_id"],
            "owner": last.get("owner", pd.NA),
            "lost_on": last["close_date"],
            "outcome": last["outcome"].astype("str").str.replace("_", " "),
            "amount": last["amount"].astype("float64"),
            "loss_reason": last.get("loss_reason", pd.NA),
            "open_deals": last["account_id"].map(open_deals).fillna(0).astype("int64"),
        }
    )
    if "loss_reason" not in last:
        out = out.drop(columns=["loss_reason"])
    if "owner" not in last:
        out = out.drop(columns=["owner"])
    return out.sort_values(
        ["amount", "lost_on", "account_id"], ascending=[False, False, True], na_position="last"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- month end
def is_month_end(dates: pd.Series, *, days: int = 3) -> pd.Series:
    """Whether each date falls in the last ``days`` days of its month (29-31 of a 31-day month)."""
    return (dates.dt.day > dates.dt.days_in_month - days).fillna(False).astype(bool)


def month_end(won: pd.DataFrame, planned: pd.DataFrame, *, days: int = 3) -> pd.DataFrame:
    """Month-end bunching of won deals' close dates and open deals' planned close dates.

    One row each ("won deals", "open deals, planned"): deals with a close date, month_end
    (in the last ``days`` days of their month), share, expected_share (the share if the dates
    were spread evenly over the days of their months: the mean of days / days in the month),
    ratio (share / expected) and amount_share (the share of the amount closing at month end).
    (The aggregate is :func:`salesnb.dataset.deals.month_end`, here over the two frames.)
    """
    return deals.month_end(deals.on_frames(w=won, p=planned), "w", "p", days=days)


# --------------------------------------------------------------------------- early failure
def early_failure(closed: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """Cycle days of wins and losses (lost and no decision), the team first, then each owner.

    A late failure is a loss whose cycle is longer than the team's median winning cycle.
    Columns: owner ("team" first), won, median_days_to_win, losses, median_days_to_loss,
    late_failures, late_failure_share. Deals without a valid cycle are left out. Returns the
    table and the team's median winning cycle (None without a won deal with a cycle).
    (The aggregate is :func:`salesnb.dataset.deals.early_failure`, here over ``closed``.)
    """
    return deals.early_failure(deals.on_frames(c=closed), "c", owner="owner" in closed)


# --------------------------------------------------------------------------- cycle trend
def cycle_by_quarter(
    won: pd.DataFrame, quarters: list[str], *, fiscal_start: int = 1
) -> pd.DataFrame:
    """Won deals and their median cycle days per quarter (every quarter of ``quarters``).
    (The aggregate is :func:`salesnb.dataset.deals.cycle_by_quarter`, here over ``won``.)"""
    return deals.cycle_by_quarter(deals.on_frames(w=won), "w", quarters, fiscal_start=fiscal_start)


def cycle_trend(table: pd.DataFrame, *, min_deals: int = TREND_MIN_DEALS) -> float | None:
    """Days per quarter of a straight line through the quarters' median cycles (least squares).

    Quarters with fewer than ``min_deals`` won deals are left out; None with fewer than
    :data:`TREND_MIN_QUARTERS` quarters left. Negative: winning cycles are getting shorter.
    """
    x = np.arange(len(table), dtype=float)
    keep = (table["won_deals"] >= min_deals).to_numpy() & table[
        "median_cycle_days"
    ].notna().to_numpy()
    if keep.sum() < TREND_MIN_QUARTERS:
        return None
    slope = np.polyfit(x[keep], table["median_cycle_days"].to_numpy(dtype=float)[keep], 1)[0]
    return analysis.finite_or_none(slope)


def cycle_split(
    won: pd.DataFrame, quarters: list[str], dims: Mapping[str, pd.Series], *, fiscal_start: int = 1
) -> pd.DataFrame:
    """Median winning cycle per group, the first half of ``quarters`` against the second.

    ``dims`` maps a dimension name to a Series (aligned with ``won``) of the group of each
    deal. Columns: dimension, group, won_deals, median_before, median_recent, change_days
    (recent - before; NaN when a half has fewer than :data:`SPLIT_MIN_DEALS` deals).
    """
    cols = ["dimension", "group", "won_deals", "median_before", "median_recent", "change_days"]
    days = cycle_days(won)
    q = quarter_of(won["close_date"], fiscal_start=fiscal_start)
    half = len(quarters) // 2
    early = q.isin(quarters[:half])
    late = q.isin(quarters[half:])
    rows = []
    for dim, groups in dims.items():
        valid = days.notna() & groups.notna() & (early | late)
        for name in sorted(groups[valid].astype("str").unique()):
            mine = valid & (groups.astype("str") == name)
            a, b = days[mine & early], days[mine & late]
            before = float(a.median()) if len(a) >= SPLIT_MIN_DEALS else np.nan
            recent = float(b.median()) if len(b) >= SPLIT_MIN_DEALS else np.nan
            rows.append((dim, name, int(mine.sum()), before, recent, recent - before))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(
        ["dimension", "change_days", "group"], na_position="last", kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- the network
def by_source(closed: pd.DataFrame) -> pd.DataFrame:
    """Win rate, median winning cycle and deal size per opportunity source (closed deals).

    Deals without a source count as "not recorded". Columns: source, closed, won, win_rate,
    median_cycle_days_won, avg_deal_size_won, won_amount; highest win rate first.
    (The aggregate is :func:`salesnb.dataset.deals.by_source`, here over ``closed``.)
    """
    return deals.by_source(deals.on_frames(c=closed), "c", source="source" in closed)


def customer_revenue(
    opps: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Won amount in ``[start, end]`` from existing customers (an earlier win) and new ones, and
    the existing customers' wins in a buying center where they had no earlier win.

    Returns (customers, expansion). customers: one row each for "existing customers" and
    "new customers" with won_deals, accounts, won_amount, share. expansion (None without a
    buying_center column): account_id, buying_center, won_on, amount, earlier_centers.
    """
    d = opps[opps["account_id"].notna() & (opps["outcome"] == "won") & opps["close_date"].notna()]
    d = d[d["close_date"] <= end]
    first = d.groupby("account_id")["close_date"].min()
    now = d[d["close_date"].between(start, end)]
    existing = (
        now["close_date"] > _lookup(now["account_id"], first)
        if len(now)
        else pd.Series(False, index=now.index, dtype=bool)
    )
    amount = now["amount"].astype("float64").fillna(0.0)
    total = float(amount.sum())
    rows = []
    for label, mask in (("existing customers", existing), ("new customers", ~existing)):
        rows.append(
            {
                "customers": label,
                "won_deals": int(mask.sum()),
                "accounts": int(now.loc[mask, "account_id"].nunique()),
                "won_amount": float(amount[mask].sum()),
                "share": float(amount[mask].sum()) / total if total > 0 else np.nan,
            }
        )
    customers = pd.DataFrame(rows)
    if "buying_center" not in d:
        return customers, None
    placed = d.dropna(subset=["buying_center"])
    first_bc = placed.groupby(["account_id", "buying_center"])["close_date"].min()
    mine = now[existing & now["buying_center"].notna()]
    keys = pd.MultiIndex.from_arrays([mine["account_id"], mine["buying_center"]])
    new_center = (
        pd.Series(first_bc.reindex(keys).to_numpy(), index=mine.index) >= mine["close_date"]
    )
    grown = mine[new_center.to_numpy(dtype=bool)]
    # each expansion's earlier centers: the account's wins before it, by one join
    rows = pd.DataFrame(
        {"_row": np.arange(len(grown)), "account_id": grown["account_id"].to_numpy()}
    ).assign(won_on=grown["close_date"].to_numpy())
    pairs = rows.merge(placed[["account_id", "close_date", "buying_center"]], on="account_id")
    pairs = pairs[pairs["close_date"] < pairs["won_on"]]
    centers = pairs.groupby("_row")["buying_center"].agg(
        lambda s: _and(sorted(s.astype("str").unique()))
    )
    earlier = [centers.get(i) or "none recorded" for i in range(len(grown))]
    expansion = pd.DataFrame(
        {
            "account_id": grown["account_id"],
            "buying_center": grown["buying_center"].astype("str"),
            "won_on": grown["close_date"],
            "amount": grown["amount"].astype("float64"),
            "earlier_centers": earlier,
        }
    )
    return customers, expansion.sort_values(
        ["amount", "account_id"], ascending=[False, True]
    ).reset_index(drop=True)


def network_value(accounts: pd.DataFrame, won: pd.DataFrame) -> pd.DataFrame:
    """Per customer who referred another (``accounts.referred_by``): lifetime value beside network value.

    lifetime_value: the customer's own won amount (``won``: won deals to count); referred:
    accounts it referred; referred_value: their lifetime value; network_value: the lifetime
    value of every account down its referral chain (a referral of a referral counts; a
    loop is followed once). Largest network value first.
    """
    ref = accounts.dropna(subset=["referred_by"]).drop_duplicates("account_id")
    ref = ref[ref["referred_by"].astype("str") != ref["account_id"].astype("str")]
    ltv = won.dropna(subset=["account_id"]).groupby("account_id")["amount"].sum()
    children: dict[Any, list[Any]] = {}
    for child, parent in zip(ref["account_id"], ref["referred_by"], strict=True):
        children.setdefault(parent, []).append(child)
    rows = []
    for parent in sorted(children, key=str):
        seen: set[Any] = {parent}
        stack = list(children[parent])
        total = 0.0
        while stack:  # every account down the chain once, loops included
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            total += float(ltv.get(node, 0.0))
            stack.extend(children.get(node, []))
        direct = children[parent]
        rows.append(
            {
                "account_id": parent,
                "lifetime_value": float(ltv.get(parent, 0.0)),
                "referred": len(direct),
                "referred_value": float(sum(float(ltv.get(c, 0.0)) for c in direct)),
                "network_value": total,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["account_id", "lifetime_value", "referred", "referred_value", "network_value"],
    )
    return out.sort_values(
        ["network_value", "account_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- free trials
def _length_groups(days: pd.Series) -> pd.Series:
    """Trial length as a group: the length itself when there are at most four, else bands."""
    known = days.dropna()
    if known.nunique() <= 4:  # noqa: PD101 - one pass over a small column
        return days.map(lambda v: f"{v:.0f}-day" if pd.notna(v) else pd.NA)
    bands = pd.cut(
        days,
        [-1, 7, 14, 30, np.inf],
        labels=["up to 7-day", "8- to 14-day", "15- to 30-day", "over 30-day"],
    )
    return bands.astype("object").where(days.notna(), pd.NA)


def trial_conversion(trials: pd.DataFrame) -> pd.DataFrame:
    """Conversion of trials by length, qualification and usage band (the columns it has).

    ``trials`` needs ``converted``; length comes from ``length_days`` (else end - start
    date). Columns: dimension, group, trials, converted, conversion. Rows without the
    dimension's value are left out of that dimension.
    """
    conv = trials["converted"].astype("boolean")
    dims: dict[str, pd.Series] = {}
    length = (
        pd.to_numeric(trials["length_days"], errors="coerce")
        if "length_days" in trials
        else pd.Series(np.nan, index=trials.index)
    )
    if "end_date" in trials and "start_date" in trials:
        length = length.fillna((trials["end_date"] - trials["start_date"]).dt.days)
    if length.notna().any():
        dims["length"] = _length_groups(length)
    if "qualified" in trials and trials["qualified"].notna().any():
        q = trials["qualified"].astype("boolean")
        dims["qualification"] = q.map({True: "qualified", False: "not qualified"}).astype("object")
    if "usage_score" in trials and trials["usage_score"].notna().any():
        score = pd.to_numeric(trials["usage_score"], errors="coerce")
        band = pd.Series(pd.NA, index=trials.index, dtype="object")
        for lo, hi, name in _USAGE_BANDS:
            band = band.mask((score >= lo) & (score < hi), f"usage {name}")
        dims["usage"] = band
    rows = []
    for dim, groups in dims.items():
        order = (
            sorted(groups.dropna().unique(), key=lambda g: (len(str(g)), str(g)))
            if dim != "usage"
            else [f"usage {n}" for *_, n in _USAGE_BANDS]
        )
        for name in order:
            mine = (groups == name).fillna(False).astype(bool) & conv.notna().to_numpy()
            n = int(mine.sum())
            if not n:
                continue
            won = int(conv[mine].sum())
            rows.append((dim, str(name), n, won, won / n))
    return pd.DataFrame(rows, columns=["dimension", "group", "trials", "converted", "conversion"])


def repeat_signups(trials: pd.DataFrame) -> pd.DataFrame:
    """E-mail addresses with more than one trial ("repeat offenders"), most trials first.

    Addresses are compared trimmed and in lower case. Columns: email, trials, first_start,
    last_start, converted (any of its trials converted), account_id (the last one named).
    """
    cols = ["email", "trials", "first_start", "last_start", "converted", "account_id"]
    if "email" not in trials:
        return pd.DataFrame(columns=cols)
    email = trials["email"].astype("str").str.strip().str.casefold()
    d = trials.assign(_email=email.where(trials["email"].notna() & (email != "")))
    d = d.dropna(subset=["_email"])
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby("_email")
    out = pd.DataFrame(
        {
            "trials": g.size(),
            "first_start": g["start_date"].min() if "start_date" in d else pd.NaT,
            "last_start": g["start_date"].max() if "start_date" in d else pd.NaT,
            "converted": g["converted"].apply(lambda s: bool(s.fillna(False).astype(bool).any()))
            if "converted" in d
            else pd.NA,
            "account_id": g["account_id"].last() if "account_id" in d else pd.NA,
        }
    )
    out = out[out["trials"] > 1].rename_axis("email").reset_index()
    return out.sort_values(["trials", "email"], ascending=[False, True]).reset_index(drop=True)[
        cols
    ]


def trial_checklist(conversion: pd.DataFrame | None, repeats: pd.DataFrame | None) -> pd.DataFrame:
    """The five stopgaps and five success factors, each with what the data shows (or "–")."""

    def rates(dim: str) -> str | None:
        if conversion is None:
            return None
        part = conversion[conversion["dimension"] == dim]
        if part.empty:
            return None
        return "; ".join(f"{r.group}: {r.conversion:.0%} convert" for r in part.itertuples())

    shows = {
        "time limits": rates("length"),
        "qualification": rates("qualification"),
        "repeat offenders": None
        if repeats is None
        else f"{_n(len(repeats), 'e-mail address')} signed up more than once",
        "track usage": rates("usage"),
    }
    rows = [("stopgap", k, v, shows.get(k)) for k, v in STOPGAPS.items()]
    rows += [("success factor", k, v, shows.get(k)) for k, v in SUCCESS_FACTORS.items()]
    return pd.DataFrame(rows, columns=["kind", "practice", "what_it_means", "the_data_shows"])


# --------------------------------------------------------------------------- executive prospecting
def executives(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts with a top-executive title (C-level, VP, head of), most senior first per account.

    Adds rank (0 C-level, 1 VP, 2 head of), has_phone and has_email; sorted by account,
    contacts with both phone and e-mail first, then rank and contact id.
    """
    if "title" not in contacts:
        return contacts.iloc[0:0].assign(
            title=pd.Series(dtype="object"),
            rank=pd.Series(dtype="int64"),
            has_phone=pd.Series(dtype="bool"),
            has_email=pd.Series(dtype="bool"),
        )
    title = contacts["title"].astype("str").str.casefold()
    rank = pd.Series(np.nan, index=contacts.index)
    for level, pattern in reversed(_EXECUTIVE):
        rank = rank.mask(title.str.contains(pattern, regex=True).fillna(False), level)
    rank = rank.where(contacts["title"].notna())
    d = contacts.assign(
        rank=rank,
        has_phone=contacts["phone"].notna() if "phone" in contacts else False,
        has_email=contacts["email"].notna() if "email" in contacts else False,
    ).dropna(subset=["rank"])
    d = d.assign(_both=~(d["has_phone"] & d["has_email"]), rank=d["rank"].astype("int64"))
    return (
        d.sort_values(["account_id", "_both", "rank", "contact_id"], kind="stable")
        .drop(columns="_both")
        .reset_index(drop=True)
    )


def prospects(
    accounts: pd.DataFrame,
    won: pd.DataFrame,
    contacts: pd.DataFrame | None,
    *,
    targets: list[str] | None = None,
    n: int = 5,
) -> pd.DataFrame:
    """Target accounts for executive prospecting, with a success story and a top executive each.

    ``targets`` (account ids) are taken as given; otherwise the ``n`` accounts without a won
    deal that are best placed: a success story in their industry first, then a top
    executive with phone and e-mail, then the largest by annual revenue and employees,
    then account id. success_story: the won customer in the same industry with the largest
    won amount (``won``). Columns: account_id, industry, success_story, executive, title,
    has_phone, has_email, ready (a story and an executive with phone and e-mail), to_find.
    """
    acc = accounts.drop_duplicates("account_id").set_index("account_id", drop=False)
    names = _names(accounts)
    industry = acc["industry"] if "industry" in acc else pd.Series(pd.NA, index=acc.index)
    value = won.dropna(subset=["account_id"]).groupby("account_id")["amount"].sum()
    customers = pd.DataFrame({"value": value, "industry": value.index.map(industry)})
    customers = customers.dropna(subset=["industry"]).rename_axis("account_id").reset_index()
    customers = customers.sort_values(
        ["industry", "value", "account_id"], ascending=[True, False, True]
    )
    execs = executives(contacts) if contacts is not None else None
    best = (
        execs.drop_duplicates("account_id").set_index("account_id") if execs is not None else None
    )

    # the two best customers of each industry: an account's story is the first that is not
    # itself (one lookup per account, not a scan of every customer)
    tops = {
        ind: list(ids.iloc[:2])
        for ind, ids in customers.groupby("industry", sort=False)["account_id"]
    }

    def story(account: Any) -> Any:
        ind = industry.get(account)
        if pd.isna(ind):
            return pd.NA
        for cid in tops.get(ind, ()):
            if cid != account:
                return names.get(cid, cid)
        return pd.NA

    if targets:
        chosen = [t for t in dict.fromkeys(targets) if t in acc.index]
    else:
        pool = acc[~acc["account_id"].isin(value.index)]
        has_story = (
            pool["account_id"].map(lambda a: not pd.isna(story(a)))
            if len(pool)
            else pool["account_id"]
        )
        ready_exec = pool["account_id"].isin(
            execs.loc[execs["has_phone"] & execs["has_email"], "account_id"]
            if execs is not None
            else []
        )
        size = [
            pd.to_numeric(pool[c], errors="coerce").fillna(-1)
            if c in pool
            else pd.Series(-1, index=pool.index)
            for c in ("annual_revenue", "employees")
        ]
        order = pd.DataFrame(
            {
                "s": has_story.astype(bool),
                "e": ready_exec,
                "r": size[0],
                "m": size[1],
                "id": pool["account_id"].astype("str"),
            }
        ).sort_values(["s", "e", "r", "m", "id"], ascending=[False, False, False, False, True])
        chosen = pool.loc[order.index, "account_id"].head(max(n, 0)).tolist()
    rows = []
    for account in chosen:
        s = story(account)
        e = best.loc[account] if best is not None and account in best.index else None
        phone = bool(e["has_phone"]) if e is not None else False
        email = bool(e["has_email"]) if e is not None else False
        find = []
        if pd.isna(s):
            find.append(
                "a success story (no won customer in its industry)"
                if not pd.isna(industry.get(account))
                else "its industry, then a success story"
            )
        if e is None:
            find.append("a top executive (C-level, VP or head of)")
        else:
            find += [
                w for w, has in (("the executive's phone", phone), ("e-mail", email)) if not has
            ]
        rows.append(
            {
                "account_id": account,
                "industry": industry.get(account)
                if pd.isna(industry.get(account))
                else str(industry.get(account)).replace("_", " "),
                "success_story": s,
                "executive": e.get("full_name", pd.NA) if e is not None else pd.NA,
                "title": e["title"] if e is not None else pd.NA,
                "has_phone": phone,
                "has_email": email,
                "ready": not find,
                "to_find": _and(find) if find else "nothing",
            }
        )
    cols = [
        "account_id",
        "industry",
        "success_story",
        "executive",
        "title",
        "has_phone",
        "has_email",
        "ready",
        "to_find",
    ]
    return pd.DataFrame(rows, columns=cols)


def plan_start(quarter_end: pd.Timestamp, start_date: str = "") -> pd.Timestamp:
    """The plan's first day: ``start_date`` (ISO) when given, else the first Monday after the quarter."""
    if start_date:
        try:
            return pd.Timestamp(datetime.date.fromisoformat(start_date.strip()))
        except ValueError:
            raise UsageError(
                f"start_date {start_date!r} is not an ISO date: write it as YYYY-MM-DD, "
                "e.g. 2026-10-05"
            ) from None
    day = quarter_end + pd.Timedelta(days=1)
    return day + pd.Timedelta(days=(7 - day.weekday()) % 7)


def prospecting_plan(
    targets: pd.DataFrame, names: pd.Series, *, start: pd.Timestamp
) -> pd.DataFrame:
    """The dated sequence per target: prepare the e-mail, call and leave the voicemail, send the
    e-mail straight after, wait two to three weeks. Target i starts i working days after
    ``start`` (one a day; a start on a weekend moves to the Monday).
    Columns: account_id, step, date, action, contact, detail.
    """
    rows = []
    bday = pd.offsets.BDay()
    first = start if start.weekday() < 5 else start + bday  # a weekend start: the next Monday
    for i, r in enumerate(targets.itertuples()):
        day = first + i * bday
        call = day + bday
        name = names.get(r.account_id, r.account_id)
        story = r.success_story if not pd.isna(r.success_story) else None
        who = (
            f"{r.executive} ({r.title})"
            if not pd.isna(r.executive)
            else "the top executive (find the name)"
        )
        subject = (
            f'Subject: "{story}: an idea for {name}"'
            if story
            else "Subject: a customer like them: find a success story in their industry first"
        )
        steps = [
            (
                day,
                "Prepare the e-mail, written for the business user",
                "the business user",
                subject,
            ),
            (
                call,
                "Call and leave the prepared voicemail",
                who,
                "Announce the e-mail and name "
                + (story if story else "the customer in their industry")
                + "; no pitch, 30 seconds",
            ),
            (
                call,
                "Send the e-mail straight after the call",
                who,
                subject.replace("Subject: ", "Same subject: "),
            ),
            (
                call + pd.Timedelta(days=WAIT_DAYS[0]),
                "Wait two to three weeks for an answer",
                who,
                f"Follow up on {call + pd.Timedelta(days=WAIT_DAYS[1]):%Y-%m-%d} if no answer has come",
            ),
        ]
        for k, (date, action, contact, detail) in enumerate(steps, 1):
            rows.append((r.account_id, k, date, action, contact, detail))
    return pd.DataFrame(rows, columns=["account_id", "step", "date", "action", "contact", "detail"])


# --------------------------------------------------------------------------- find five faults
def _yes_no(value: Any) -> bool | None:
    """yes / no (true / false, 1 / 0, y / n) as a bool; empty as None; ValueError otherwise."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text == "":
        return None
    if text not in _YES:
        raise ValueError(value)
    return _YES[text]


_CALL = config.Record(
    {
        "learner": config.Str(numbers=True),
        "call": config.Str(numbers=True),
        "reviewer": config.Str(numbers=True),
        **dict.fromkeys(FAULTS, config.Custom(_yes_no, what="yes or no")),
    },
    required={"learner": "'learner', the person who made the call"},
    what="'key: value' lines (learner, call, and yes / no for each practice)",
)
_CALLS_FILE = config.Record(
    {"calls": config.List(_CALL, min_len=1, item_label="call", what="a list of calls")},
    required={"calls": "'calls', the list of reviewed calls"},
    what="a 'calls:' list",
)


def load_call_reviews(path: str | Path) -> pd.DataFrame:
    """Cold-call reviews from a CSV or YAML file (format in the module docstring).

    Returns learner, call, reviewer and one nullable boolean column per practice of
    :data:`FAULTS` (True: done; False: the fault was made; NA: not scored). A malformed
    file raises :class:`~salesnb.schema.DataError` naming the file, line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"call review file {path} does not exist: give a CSV or YAML file")
    if path.suffix.lower() in (".yml", ".yaml"):
        calls = config.load(path, _CALLS_FILE, "call review file")["calls"]
        frame = pd.DataFrame(calls)
    else:
        try:
            frame = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(
                f"{path.name}: not a readable CSV ({str(exc).splitlines()[0]}). Fix: save it as "
                "UTF-8 CSV with a header line"
            ) from None
        frame.columns = [str(c).strip().casefold() for c in frame.columns]
        known = {"learner", "call", "reviewer", *FAULTS}
        unknown = [c for c in frame.columns if c not in known]
        if "learner" not in frame or unknown:
            problem = (
                "has no learner column"
                if "learner" not in frame
                else f"has unknown column(s) {', '.join(unknown)}"
            )
            p = Problem("error", path.name, problem, f"use the columns {', '.join(known)}", line=1)
            raise DataError(p.describe(), [p])
        for col in FAULTS:
            if col not in frame:
                continue
            values: list[bool | None] = []
            for i, v in frame[col].items():
                try:
                    values.append(_yes_no(v))
                except ValueError:
                    p = Problem(
                        "error",
                        path.name,
                        f"{v!r} is not yes or no",
                        "write yes (done), no (the fault was made) or leave it empty",
                        column=col,
                        line=int(i) + 2,
                    )
                    raise DataError(p.describe(), [p]) from None
            frame[col] = pd.Series(values, index=frame.index, dtype="object")
        frame["learner"] = frame["learner"].str.strip().replace("", pd.NA)
        if frame["learner"].isna().any():
            line = int(frame.index[frame["learner"].isna()][0]) + 2
            p = Problem(
                "error",
                path.name,
                "a call has no learner",
                "name the learner",
                column="learner",
                line=line,
            )
            raise DataError(p.describe(), [p])
    for col in ("call", "reviewer", *FAULTS):
        if col not in frame:
            frame[col] = pd.NA
    out = frame[["learner", "call", "reviewer", *FAULTS]].copy()
    for col in FAULTS:
        out[col] = pd.array([None if pd.isna(v) else bool(v) for v in out[col]], dtype="boolean")
    return out.reset_index(drop=True)


def call_scorecard(reviews: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reviewed calls summarised by learner and by fault.

    by learner: learner, calls, faults, faults_per_call, most_common (the fault made most
    often, as :data:`FAULT_NAMES` words it; ties named together), most faults first. by
    fault: fault, practice, scored (calls where it was scored), faults, share (of the scored
    calls), highest share first.
    """
    made = reviews[list(FAULTS)].astype("boolean").eq(False).fillna(False).astype(int)
    scored = reviews[list(FAULTS)].notna()
    rows = []
    for learner, idx in reviews.groupby("learner", sort=True).groups.items():
        m = made.loc[idx].sum()
        top = [k for k in FAULTS if m[k] == m.max() and m.max() > 0]
        rows.append(
            {
                "learner": str(learner),
                "calls": len(idx),
                "faults": int(m.sum()),
                "faults_per_call": float(m.sum()) / len(idx),
                "most_common": _and([FAULT_NAMES[k] for k in top]) or "none",
            }
        )
    learners = pd.DataFrame(
        rows, columns=["learner", "calls", "faults", "faults_per_call", "most_common"]
    ).sort_values(["faults_per_call", "learner"], ascending=[False, True], kind="stable")
    faults = pd.DataFrame(
        {
            "fault": [FAULT_NAMES[k] for k in FAULTS],
            "practice": list(FAULTS.values()),
            "scored": [int(scored[k].sum()) for k in FAULTS],
            "faults": [int(made[k].sum()) for k in FAULTS],
        }
    )
    faults["share"] = faults["faults"] / faults["scored"].where(faults["scored"] > 0)
    faults = faults.sort_values(
        ["share", "faults", "fault"],
        ascending=[False, False, True],
        kind="stable",
        na_position="last",
    )
    return learners.reset_index(drop=True), faults.reset_index(drop=True)


# --------------------------------------------------------------------------- plots
def plot_month_end(table: pd.DataFrame, *, days: int = 3, ax: Axes | None = None) -> Axes:
    """Share of close dates in a month's last ``days`` days against an even spread: won deals
    (reality) and open deals' planned dates (the forecast). Expected bars are hatched."""
    t = table[table["count"] > 0].reset_index(drop=True)
    ax = get_ax(ax, figsize=(7, 3.4))
    paired_share_bars(
        ax,
        [str(d) for d in t["deals"]],
        t["share"],
        t["expected_share"],
        solid_style=(HIGHLIGHT, "at month end"),
        hatched_style=(MUTED, "if spread evenly"),
    )
    top = float(np.nanmax(t[["share", "expected_share"]].to_numpy(dtype=float)))
    ax.set_ylim(0, max(top * 1.3, 0.05))
    ax.set_ylabel(f"share in the last {days} days of a month")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    row = t.set_index("deals")
    won = row.loc["won deals"] if "won deals" in row.index else None
    plan = row.loc["open deals, planned"] if "open deals, planned" in row.index else None
    if won is not None and plan is not None and plan["share"] > won["share"] + 0.05:
        title = (
            f"The forecast bunches at month end: {plan['share']:.0%} of planned close dates, "
            f"{won['share']:.0%} of wins"
        )
    elif won is not None:
        title = (
            f"{won['share']:.0%} of won deals closed in a month's last {days} days "
            f"({won['expected_share']:.0%} if spread evenly)"
        )
    else:
        title = f"{plan['share']:.0%} of planned close dates fall in a month's last {days} days"
    ax.set_title(title)
    return ax


def plot_failure_timing(
    table: pd.DataFrame, *, median_win: float | None = None, ax: Axes | None = None
) -> Axes:
    """Cycle days of wins and losses in 30-day bands (losses hatched), the median winning cycle
    dashed: the losses to its right are the late failures."""
    ax = get_ax(ax, figsize=(8, 3.6))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["won_share"], width=0.4, color=PALETTE[0], label="won deals")
    ax.bar(
        x + 0.2,
        table["loss_share"],
        width=0.4,
        color=HIGHLIGHT,
        hatch="xx",
        edgecolor="white",
        label="lost and no decision",
    )
    ax.set_xticks(x, [str(b) for b in table["cycle_days"]], rotation=30, ha="right")
    ax.set_xlabel("days from created to closed")
    percent_axis(ax)
    ax.set_ylabel("share of the outcome's deals")
    if median_win is not None:
        pos = min(median_win / 30.0, len(table)) - 0.5
        ax.axvline(pos, color="#333333", linestyle="--", linewidth=1)
        ax.annotate(
            f"median win: {median_win:.0f} days",
            (pos, ax.get_ylim()[1] * 0.95),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            va="top",
        )
        late = float(table.attrs.get("late_share", np.nan))
        title = (
            f"{late:.0%} of losses came after the median winning cycle of {median_win:.0f} days"
            if np.isfinite(late)
            else f"The median win takes {median_win:.0f} days"
        )
    else:
        title = "No deal won in the window: no winning cycle to compare losses with"
    ax.set_title(title)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    return ax


def plot_cycle_trend(
    table: pd.DataFrame, *, trend: float | None = None, ax: Axes | None = None
) -> Axes:
    """Median winning cycle per quarter (points sized by won deals) and the trend in the title."""
    ax = get_ax(ax, figsize=(8, 3.4))
    t = table.reset_index(drop=True)
    x = np.arange(len(t))
    y = t["median_cycle_days"].astype(float)
    ax.plot(x, y, color=PALETTE[0], marker="o", linewidth=1.5)
    for i, (v, n) in enumerate(zip(y, t["won_deals"], strict=True)):
        if np.isfinite(v):
            ax.annotate(
                f"{v:.0f}",
                (i, v),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        ax.annotate(
            f"{n} won",
            (i, 0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            color="#666666",
        )
    if trend is not None:
        fit_y = np.nanmean(y) + trend * (x - x[np.isfinite(y)].mean())
        ax.plot(x, fit_y, color=HIGHLIGHT, linestyle="--", linewidth=1, label="trend")
        ax.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_xticks(x, [str(q) for q in t["quarter"]], rotation=0)
    ax.set_ylim(0, max(float(np.nanmax(y)) * 1.25 if np.isfinite(y).any() else 1.0, 1.0))
    ax.set_ylabel("median days, created to won")
    if trend is None:
        title = "Too few won deals per quarter to call a trend in the winning cycle"
    elif abs(trend) < 1:
        title = "Winning cycles are steady: less than a day's change a quarter"
    else:
        way = "shorter" if trend < 0 else "longer"
        title = f"Winning cycles are getting {way}: {abs(trend):.0f} days a quarter"
    ax.set_title(title)
    return ax


def plot_trial_conversion(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Trial conversion per group (length, qualification, usage), the best of each highlighted."""
    t = table.reset_index(drop=True)
    ax = get_ax(ax, figsize=(8, 0.38 * len(t) + 1.6))
    best = t.groupby("dimension")["conversion"].transform("max") == t["conversion"]
    labels = [
        f"{d}: {g}" if not str(g).startswith(d) else str(g)
        for d, g in zip(t["dimension"], t["group"], strict=True)
    ]
    bars = ax.barh(
        labels,
        t["conversion"],
        color=[HIGHLIGHT if b else PALETTE[0] for b in best],
        hatch=["" if b else "" for b in best],
    )
    ax.bar_label(
        bars,
        labels=[f"{c:.0%} of {n:,}" for c, n in zip(t["conversion"], t["trials"], strict=True)],
        padding=3,
        fontsize=8,
    )
    ax.invert_yaxis()
    percent_axis(ax, "x")
    ax.set_xlim(0, min(1.0, float(t["conversion"].max()) * 1.35 + 0.02))
    ax.set_xlabel("trials converted to paying customers")
    length = t[t["dimension"] == "length"]
    if len(length) >= 2:
        hi = length.loc[length["conversion"].idxmax()]
        lo = length.loc[length["conversion"].idxmin()]
        title = f"{hi['group']} trials convert {hi['conversion']:.0%}, {lo['group']} {lo['conversion']:.0%}"
    else:
        top = t.loc[t["conversion"].idxmax()]
        title = f"Best conversion: {top['group']} ({top['conversion']:.0%})"
    ax.set_title(title)
    return ax


def failure_timing(closed: pd.DataFrame, *, band: int = 30, last: int = 360) -> pd.DataFrame:
    """Won and lost deals by cycle days in ``band``-day bands (the last open-ended): the chart's table.

    Columns: cycle_days (band label), won, losses, won_share, loss_share.
    """
    d = closed.assign(_days=cycle_days(closed)).dropna(subset=["_days"])
    edges = list(range(0, last + band, band))
    labels = [f"{lo}-{lo + band - 1}" for lo in edges[:-1]] + [f"{last}+"]
    idx = np.minimum((d["_days"] // band).astype(int), len(labels) - 1)
    won = np.bincount(idx[d["outcome"] == "won"], minlength=len(labels))
    lost = np.bincount(idx[d["outcome"].isin(LOSSES)], minlength=len(labels))
    keep = max(int(np.flatnonzero(won + lost).max()) + 1 if (won + lost).any() else 1, 1)
    out = pd.DataFrame(
        {
            "cycle_days": labels[:keep],
            "won": won[:keep],
            "losses": lost[:keep],
        }
    )
    out["won_share"] = out["won"] / max(int(won.sum()), 1)
    out["loss_share"] = out["losses"] / max(int(lost.sum()), 1)
    return out


# --------------------------------------------------------------------------- the analysis
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The sales-habits notebook's parameters (less data_dir, output_dir, redact)."""

    month_end_days: int = 3  # last days of a month that count as month end
    targets: str = ""  # account ids for executive prospecting, comma-separated; "" = from the data
    prospects: int = 5  # target accounts picked from the data when targets is empty
    start_date: str = (
        ""  # ISO date the prospecting plan starts; "" = first Monday after the quarter
    )
    call_review_file: str = ""  # cold-call scorecards (CSV or YAML); "" = none


@dataclass(frozen=True, kw_only=True)
class HabitsAnalysis(analysis.Analysis):
    """The habits behind the numbers over one data set (see :func:`analyze`)."""

    methodology: ClassVar[str] = "sales_habits"


_Section = analysis.Section


@dataclass
class _Inputs:
    """The tables the analysis reads, prepared once."""

    opps: pd.DataFrame  # outcomes on every row
    inferred: int
    accounts: pd.DataFrame | None
    contacts: pd.DataFrame | None
    products: pd.DataFrame | None
    trials: pd.DataFrame | None
    names: pd.Series
    per: analysis.Periods
    currency: str
    sql: Callable[[str], pd.DataFrame]  # the data set's engine (aggregates: dataset.deals)
    deals: str  # the opportunities with outcomes, as a relation on that engine

    @property
    def end(self) -> pd.Timestamp:
        return self.per.window.end

    def name(self, account: Any) -> str:
        return str(self.names.get(account, account))

    def where(self, condition: str) -> str:
        """The deals meeting ``condition``, as a relation on the data set's engine."""
        return deals.where(self.deals, condition)

    def closed(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        o = self.opps
        inside = o["close_date"].between(start, end)
        return o[o["outcome"].isin(("won", *LOSSES)) & inside.fillna(False)]


def _winback_section(inp: _Inputs) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    end, w = inp.end, inp.per.window
    table = deals.winbacks(inp.sql, inp.deals, end=end, owner="owner" in inp.opps)
    figures: dict[str, Any] = {"winback_share": None, "median_days_to_comeback": None}
    if table.empty:
        why = (
            f"No deal was lost or ended in no decision by {end:%Y-%m-%d}, so no lost prospect "
            "can come back: record lost deals (outcome lost or no_decision, or a Closed Lost "
            "stage) with their close dates."
        )
        out.absent = dict.fromkeys(("winback", "comebacks", "recent_losses"), why)
        return out, figures
    came = int(table["came_back"].sum())
    share = came / len(table)
    days = _median(table.loc[table["came_back"], "days_to_comeback"])
    figures = {"winback_share": share, "median_days_to_comeback": days}
    text = (
        f"{came:,} of the {len(table):,} accounts that lost a deal by {end:%Y-%m-%d} won a later "
        f"one ({share:.0%})"
        + (
            f"; the median comeback came {days:,.0f} days after the loss."
            if days is not None
            else "."
        )
    )
    out.findings.append(text)
    out.notes["winback"] = (
        text + " A loss taken gracefully keeps the door open: the prospect remembers how you lost."
    )
    back = table[table["came_back"]].sort_values(["won_on", "account_id"], ascending=[False, True])
    if len(back):
        cols = [
            "account_id",
            "won_by",
            "losses",
            "lost_on",
            "won_on",
            "won_amount",
            "days_to_comeback",
        ]
        out.tables["comebacks"] = _named(back[cols].reset_index(drop=True), inp.names)
    else:
        out.absent["comebacks"] = (
            f"None of the {len(table):,} accounts with a loss has won a later deal by "
            f"{end:%Y-%m-%d}."
        )
    recent = recent_losses(inp.opps, start=w.start, end=end)
    if len(recent):
        out.tables["recent_losses"] = _named(recent, inp.names)
        out.notes["recent_losses"] = (
            f"{_n(len(recent), 'account')} lost a deal in {w.label} and have not won one since."
        )
    else:
        out.absent["recent_losses"] = (
            f"No account lost its last deal in {w.label} without winning one since."
        )
    return out, figures


def _month_end_section(inp: _Inputs, days: int) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    w = inp.per.window
    won = inp.where(deals.closed_between(w.start, w.end, ("won",)))
    table = deals.month_end(inp.sql, won, inp.where(deals.planned_by(w.end)), days=days)
    first, second = table.iloc[0], table.iloc[1]
    figures = {
        "month_end_close_share": analysis.finite_or_none(first["share"]),
        "month_end_expected_share": analysis.finite_or_none(first["expected_share"]),
        "month_end_planned_share": analysis.finite_or_none(second["share"]),
    }
    if not first["count"] and not second["count"]:
        why = (
            f"No deal was won in {w.label} and no open deal has a planned close date, so there is "
            "no close date to look at."
        )
        out.absent["month_end"] = why
        return out, figures
    out.tables["month_end"] = table
    parts = []
    if first["count"]:
        parts.append(
            f"{first['share']:.0%} of the {first['count']:,} deals won in {w.label} closed in the "
            f"last {days} days of their month, against {first['expected_share']:.0%} if close "
            f"dates were spread evenly"
        )
    else:
        parts.append(f"No deal was won in {w.label}")
    if second["count"]:
        parts.append(
            f"{second['share']:.0%} of the {second['count']:,} open deals' planned close dates "
            f"fall there ({second['expected_share']:.0%} if spread evenly)"
        )
    text = "; ".join(parts) + "."
    if first["count"] and second["count"] and second["share"] > first["share"] + 0.05:
        text += (
            " The forecast bunches at month end more than reality does: ask for close dates the "
            "customer's own steps support."
        )
    elif first["count"] and first["share"] < 1.5 * first["expected_share"]:
        text += " Deals do not all close on the last day of the month."
    out.notes["month_end"] = text
    out.findings.append(text.split(" The forecast")[0].split(" Deals do not")[0])
    return out, figures


def _failure_section(inp: _Inputs) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    w = inp.per.window
    closed = inp.closed(w.start, w.end)
    table, median_win = deals.early_failure(
        inp.sql, inp.where(deals.closed_between(w.start, w.end, CLOSED)), owner="owner" in inp.opps
    )
    team = table.iloc[0]
    has_owner = "owner" in inp.opps
    figures: dict[str, Any] = {
        "median_days_to_win": analysis.finite_or_none(team["median_days_to_win"]),
        "median_days_to_loss": analysis.finite_or_none(team["median_days_to_loss"]),
        "late_failure_share": analysis.finite_or_none(team["late_failure_share"]),
        "late_failure_share_by_owner": {
            str(r.owner): analysis.finite_or_none(r.late_failure_share)
            for r in table.iloc[1:].itertuples()
        }
        if has_owner and len(table) > 1 and median_win is not None
        else None,
    }
    if not (team["won"] + team["losses"]):
        why = (
            f"No deal closed in {w.label} with both a created and a close date, so there is no "
            "cycle to time: add created_date to the opportunities."
        )
        out.absent = dict.fromkeys(("early_failure", "failure_timing"), why)
        return out, figures
    timing = failure_timing(closed)
    timing.attrs["late_share"] = figures["late_failure_share"]
    out.tables["early_failure"] = table if has_owner else table.iloc[:1]
    out.tables["failure_timing"] = timing
    out.extras["median_win"] = median_win
    win, loss, late = (
        figures[k] for k in ("median_days_to_win", "median_days_to_loss", "late_failure_share")
    )
    text = (
        f"In {w.label} the median won deal took {win:,.0f} days"
        if win is not None
        else f"No deal was won in {w.label}"
    )
    text += f", the median lost one {loss:,.0f} days" if loss is not None else ", and none was lost"
    if late is not None:
        text += (
            f"; {late:.0%} of the losses came after the median winning cycle (late failures), "
            "weeks of work a clear no would have saved."
        )
    else:
        text += "."
    out.notes["early_failure"] = text + (
        ""
        if has_owner
        else " The opportunities have no owner column, so there is no split by owner."
    )
    out.findings.append(text)
    if median_win is None:
        out.absent["failure_timing"] = (
            f"No deal was won in {w.label} with a cycle time, so losses cannot be compared with a "
            "winning cycle."
        )
    return out, figures


def _cycle_section(inp: _Inputs) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    per = inp.per
    eight = span(per.quarter, TREND_QUARTERS, fiscal_start=per.fiscal_start)
    quarters = [
        q for q, _ in last_quarters(per.quarter, TREND_QUARTERS, fiscal_start=per.fiscal_start)
    ]
    o = inp.opps
    won = o[(o["outcome"] == "won") & o["close_date"].between(eight.start, eight.end).fillna(False)]
    table = deals.cycle_by_quarter(
        inp.sql, inp.where(deals.closed_between(eight.start, eight.end, ("won",))), quarters,
        fiscal_start=per.fiscal_start,
    )  # fmt: skip
    by_q = {
        str(q): analysis.finite_or_none(v)
        for q, v in zip(table["quarter"], table["median_cycle_days"], strict=True)
    }
    trend = cycle_trend(table)
    figures = {
        "median_cycle_days_won_by_quarter": by_q if table["won_deals"].sum() else None,
        "cycle_trend_days_per_quarter": trend,
    }
    if not table["won_deals"].sum():
        why = (
            f"No deal won in {eight.label} has both a created and a close date, so there is no "
            "winning cycle to follow."
        )
        out.absent = dict.fromkeys(("cycle_trend", "cycle_by_quarter", "cycle_split"), why)
        return out, figures
    out.tables["cycle_by_quarter"] = table
    known = table.dropna(subset=["median_cycle_days"])
    text = (
        f"The median winning cycle was {known['median_cycle_days'].iloc[0]:,.0f} days in "
        f"{known['quarter'].iloc[0]} and {known['median_cycle_days'].iloc[-1]:,.0f} days in "
        f"{known['quarter'].iloc[-1]}"
    )
    if trend is None:
        text += f"; too few quarters have {TREND_MIN_DEALS} or more won deals to call a trend."
    else:
        way = "shorter" if trend < 0 else "longer"
        text += (
            f"; no clear trend ({abs(trend):,.1f} days {way} a quarter)."
            if abs(trend) < 1
            else f"; the trend: {abs(trend):,.1f} days {way} each quarter."
        )
    dims: dict[str, pd.Series] = {}
    missing = []
    if "source" in won and won["source"].notna().any():
        dims["source"] = won["source"].astype("object").str.replace("_", " ")
    else:
        missing.append("source to opportunities.csv")
    acc = inp.accounts
    if acc is not None and "industry" in acc and acc["industry"].notna().any():
        ind = acc.drop_duplicates("account_id").set_index("account_id")["industry"]
        dims["segment"] = won["account_id"].map(ind).astype("object").str.replace("_", " ")
    else:
        missing.append("industry to accounts.csv")
    prod = inp.products
    if prod is not None and "family" in prod and "product_id" in won:
        fam = prod.drop_duplicates("product_id").set_index("product_id")["family"]
        dims["product family"] = won["product_id"].map(fam).astype("object").str.replace("_", " ")
    else:
        missing.append("product_id to opportunities.csv and family to products.csv")
    split = cycle_split(won, quarters, dims, fiscal_start=per.fiscal_start) if dims else None
    if split is not None and split["change_days"].notna().any():
        out.tables["cycle_split"] = split
        moved = split.dropna(subset=["change_days"])
        fast = moved.loc[moved["change_days"].idxmin()]
        if fast["change_days"] < 0:
            text += (
                f" Know why: the cycle shortened most in {fast['dimension']} {fast['group']}, "
                f"{fast['median_before']:,.0f} to {fast['median_recent']:,.0f} days "
                f"({quarters[0]} to {quarters[3]} against {quarters[4]} to {quarters[-1]})."
            )
        out.notes["cycle_split"] = (
            f"The median winning cycle by group, {quarters[0]} to {quarters[3]} against "
            f"{quarters[4]} to {quarters[-1]}; a group with fewer than {SPLIT_MIN_DEALS} won "
            "deals in a half has no median there."
            + (f" Add {_and(missing)} to split further." if missing else "")
        )
    else:
        out.absent["cycle_split"] = (
            f"The winning cycle cannot be split to see why it changes: add {_and(missing)}."
            if not dims
            else f"No group has {SPLIT_MIN_DEALS} won deals in both halves of {eight.label}, "
            "so no change can be split out."
        )
    out.notes["cycle_trend"] = text
    out.findings.append(text.split(" Know why")[0])
    if trend is None:
        out.extras["trend_note"] = text
    return out, figures


def _network_section(inp: _Inputs) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    w, end = inp.per.window, inp.end
    o = inp.opps
    closed = inp.closed(w.start, w.end)
    figures: dict[str, Any] = {
        "win_rate_by_source": None,
        "revenue_share_existing_customers": None,
        "expansion_share": None,
        "referral_revenue": None,
        "referral_revenue_share": None,
    }
    if "source" not in o or not o["source"].notna().any():
        out.absent["sources"] = (
            "The opportunities have no source, so win rate, cycle and deal size cannot be "
            "compared by where deals came from: add source (sales, marketing, partner, referral) "
            "to opportunities.csv."
        )
    elif closed.empty:
        out.absent["sources"] = f"No deal closed in {w.label}, so there is no win rate by source."
    else:
        src = deals.by_source(inp.sql, inp.where(deals.closed_between(w.start, w.end, CLOSED)))
        out.tables["sources"] = src
        figures["win_rate_by_source"] = {
            str(r.source): analysis.finite_or_none(r.win_rate) for r in src.itertuples()
        }
        best = src.iloc[0]
        text = (
            f"Deals from {best['source']} were won most often in {w.label}: {best['win_rate']:.0%} "
            f"of {best['closed']:,} closed."
        )
        if "referral" in set(src["source"]):
            ref = src.set_index("source").loc["referral"]
            rest = src[src["source"] != "referral"]
            other = float(rest["won"].sum()) / max(float(rest["closed"].sum()), 1.0)
            text += (
                f" Referred deals: {ref['win_rate']:.0%} won against {other:.0%} for the rest; "
                "people trust someone like them about twice as much as a vendor."
            )
        else:
            text += (
                " No deal is marked as referred: record source referral when a customer's "
                "recommendation brought the deal."
            )
        out.notes["sources"] = text
    customers, expansion = customer_revenue(o, start=w.start, end=end)
    if customers["won_deals"].sum():
        out.tables["customers"] = customers
        share = analysis.finite_or_none(customers["share"].iloc[0])
        figures["revenue_share_existing_customers"] = share
        text = (
            f"{share:.0%} of the amount won in {w.label} came from existing customers (an earlier "
            "win in the data), the rest from new ones."
            if share is not None
            else f"The deals won in {w.label} have no amounts."
        )
        out.notes["customers"] = text
        if share is not None:
            out.findings.append(text)
        if expansion is None:
            out.absent["expansion"] = (
                "The opportunities have no buying_center, so expansion into other buying centers "
                "of existing customers cannot be seen: add buying_center to opportunities.csv."
            )
        else:
            ex_total = float(customers["won_amount"].iloc[0])
            grown = float(expansion["amount"].fillna(0).sum())
            figures["expansion_share"] = grown / ex_total if ex_total > 0 else None
            if len(expansion):
                out.tables["expansion"] = _named(expansion, inp.names)
                out.notes["expansion"] = (
                    f"{_n(len(expansion), 'deal')} won in {w.label} opened a buying center where "
                    "the customer had bought nothing before"
                    + (
                        f": {figures['expansion_share']:.0%} of the existing customers' won amount."
                        if figures["expansion_share"] is not None
                        else "."
                    )
                    + " More business units inside a customer are the first of the two markets a "
                    "customer opens."
                )
            else:
                out.absent["expansion"] = (
                    f"No existing customer won a deal in a new buying center in {w.label}."
                )
    else:
        why = f"No deal was won in {w.label}, so revenue cannot be split into new and existing customers."
        out.absent["customers"] = out.absent["expansion"] = why
    acc = inp.accounts
    if acc is None or "referred_by" not in acc or not acc["referred_by"].notna().any():
        out.absent["network"] = (
            "The accounts do not say who referred them, so network value cannot be measured: add "
            "referred_by (the account_id of the customer whose recommendation brought the account) "
            "to accounts.csv."
        )
    else:
        won = o[(o["outcome"] == "won") & (o["close_date"] <= end).fillna(False)]
        won = won.assign(amount=won["amount"].astype("float64").fillna(0.0))
        net = network_value(acc, won)
        referred = set(acc.loc[acc["referred_by"].notna(), "account_id"])
        mine = float(won.loc[won["account_id"].isin(referred), "amount"].sum())
        total = float(won["amount"].sum())
        figures["referral_revenue"] = mine
        figures["referral_revenue_share"] = mine / total if total > 0 else None
        out.tables["network"] = _named(net, inp.names)
        top = net.iloc[0] if len(net) else None
        money = analysis.format_value(mine, "money", inp.currency)
        text = (
            f"{_n(len(referred), 'account')} came through a customer's referral and have won "
            f"{money} by {end:%Y-%m-%d}"
            + (
                f" ({figures['referral_revenue_share']:.0%} of all won)"
                if figures["referral_revenue_share"] is not None
                else ""
            )
            + "."
        )
        if top is not None and top["network_value"] > 0:
            text += (
                f" {inp.name(top['account_id'])} brought the most through its referrals: "
                f"{analysis.format_value(top['network_value'], 'money', inp.currency)}, beside its "
                f"own lifetime value of {analysis.format_value(top['lifetime_value'], 'money', inp.currency)}."
            )
        out.notes["network"] = text
        out.findings.append(text)
    return out, figures


def _trials_section(inp: _Inputs) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    w = inp.per.window
    figures: dict[str, Any] = {
        "trial_conversion": None,
        "trial_conversion_by_length": None,
        "trial_conversion_by_qualification": None,
        "trial_conversion_by_usage": None,
        "repeat_signups": None,
    }
    t = inp.trials
    conv_table = repeats = None
    if t is None:
        why = (
            "The data set has no trials table, so free trials cannot be measured: add trials.csv "
            "(trial_id, account_id, email, start_date, end_date, length_days, qualified, "
            "usage_score, converted)."
        )
        out.absent = dict.fromkeys(("trials", "trial_conversion", "repeat_signups"), why)
    else:
        started = t["start_date"].between(w.start, w.end).fillna(False)
        ends = (
            t["end_date"]
            if "end_date" in t
            else pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
        )
        if "length_days" in t:
            ends = ends.fillna(
                t["start_date"]
                + pd.to_timedelta(pd.to_numeric(t["length_days"], errors="coerce"), unit="D")
            )
        done = ~(ends > w.end).fillna(False)
        recent = t[started & done]
        if "converted" not in t or not t["converted"].notna().any():
            out.absent["trials"] = out.absent["trial_conversion"] = (
                "The trials do not say which converted, so conversion cannot be measured: add "
                "converted (yes / no) to trials.csv."
            )
        elif recent["converted"].notna().sum() == 0:
            out.absent["trials"] = out.absent["trial_conversion"] = (
                f"No trial started and ended in {w.label}, so there is no conversion to measure."
            )
        else:
            conv = recent["converted"].astype("boolean").dropna()
            rate = float(conv.mean())
            figures["trial_conversion"] = rate
            conv_table = trial_conversion(recent)
            for dim in ("length", "qualification", "usage"):
                part = conv_table[conv_table["dimension"] == dim]
                if len(part):
                    figures[f"trial_conversion_by_{dim}"] = {
                        str(g): float(c)
                        for g, c in zip(part["group"], part["conversion"], strict=True)
                    }
            text = (
                f"{rate:.0%} of the {len(conv):,} trials started and ended in {w.label} converted."
            )
            length = conv_table[conv_table["dimension"] == "length"]
            if len(length) >= 2:
                hi = length.loc[length["conversion"].idxmax()]
                lo = length.loc[length["conversion"].idxmin()]
                text += (
                    f" {str(hi['group']).capitalize()} trials converted {hi['conversion']:.0%}, "
                    f"{lo['group']} trials {lo['conversion']:.0%}."
                )
            q = conv_table[conv_table["dimension"] == "qualification"].set_index("group")
            if {"qualified", "not qualified"} <= set(q.index):
                text += (
                    f" Qualified sign-ups converted {q.loc['qualified', 'conversion']:.0%}, the "
                    f"others {q.loc['not qualified', 'conversion']:.0%}."
                )
            if len(conv_table):
                out.tables["trials"] = conv_table
            out.notes["trials"] = text
            out.findings.append(text)
        upto = t[~(t["start_date"] > w.end).fillna(False)]
        if "email" not in t:
            out.absent["repeat_signups"] = (
                "The trials have no e-mail address, so repeat sign-ups cannot be found: add email "
                "to trials.csv."
            )
        else:
            repeats = repeat_signups(upto)
            figures["repeat_signups"] = len(repeats)
            if len(repeats):
                out.tables["repeat_signups"] = (
                    _named(repeats, inp.names) if len(inp.names) else repeats
                )
                out.notes["repeat_signups"] = (
                    f"{_n(len(repeats), 'e-mail address')} signed up for a trial more than once "
                    f"({int(repeats['trials'].sum()):,} trials by {w.end:%Y-%m-%d}); "
                    f"{int((~repeats['converted'].astype(bool)).sum()):,} of them never converted. "
                    "Cut off the repeat offenders."
                )
            else:
                out.absent["repeat_signups"] = (
                    "No e-mail address signed up for a trial more than once."
                )
    out.tables["trial_checklist"] = trial_checklist(conv_table, repeats)
    return out, figures


def _prospect_section(inp: _Inputs, params: Params) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    figures: dict[str, Any] = {"prospecting_targets": None, "prospecting_ready": None}
    acc = inp.accounts
    if acc is None:
        why = (
            "The data set has no accounts table, so no target account can be named: add "
            "accounts.csv (account_id, account_name, industry)."
        )
        out.absent = dict.fromkeys(("prospects", "prospecting_plan"), why)
        return out, figures
    o = inp.opps
    won = o[(o["outcome"] == "won") & (o["close_date"] <= inp.end).fillna(False)]
    won = won.assign(amount=won["amount"].astype("float64").fillna(0.0))
    given = [t for t in re.split(r"[,\s;]+", params.targets) if t]
    outside = [t for t in given if t not in set(acc["account_id"])]
    table = prospects(acc, won, inp.contacts, targets=given or None, n=params.prospects)
    if table.empty:
        why = (
            f"None of the targets given ({_and(outside)}) is an account of this data set: list "
            "account ids in the targets parameter."
            if given
            else "Every account has won a deal, so there is no prospect to plan for: name targets."
            if params.prospects > 0
            else "The prospects parameter is 0: set it to the number of targets to pick."
        )
        out.absent = dict.fromkeys(("prospects", "prospecting_plan"), why)
        return out, figures
    start = plan_start(inp.per.quarter_window.end, params.start_date)
    plan = prospecting_plan(table, inp.names, start=start)
    ready = int(table["ready"].sum())
    figures = {"prospecting_targets": len(table), "prospecting_ready": ready}
    out.tables["prospects"] = _named(table, inp.names)
    out.tables["prospecting_plan"] = _named(plan, inp.names)
    out.extras["plan_start"] = start
    how = "named in the targets parameter" if given else "picked from the accounts without a win"
    text = (
        f"{_n(len(table), 'target account')} ({how}); {ready} ready: a success story in their "
        "industry and a top executive with phone and e-mail."
    )
    if outside:
        text += f" Not in the data set, left out: {_and(outside)}."
    if inp.contacts is None:
        text += " The data set has no contacts table: add contacts.csv with title, email and phone."
    elif not {"email", "phone"} <= set(inp.contacts.columns):
        text += " Add email and phone to contacts.csv to know who can be reached."
    out.notes["prospects"] = text
    out.notes["prospecting_plan"] = (
        f"One target a working day from {start:%Y-%m-%d}: prepare the e-mail, call and leave the "
        "voicemail, send the e-mail straight after, then wait two to three weeks."
    )
    return out, figures


def _calls_section(params: Params) -> tuple[_Section, dict[str, Any]]:
    out = _Section()
    figures: dict[str, Any] = {"calls_reviewed": None, "faults_per_call": None}
    path = params.path("call_review_file")
    if path is None:
        why = (
            "No call reviews were given, so the five-faults scorecard is empty: score role-play "
            f"calls in a file like {EXAMPLE_CALL_REVIEWS} (learner, call, and yes / no for "
            f"{_and(list(FAULTS))}) and pass it as call_review_file."
        )
        out.absent = dict.fromkeys(("call_learners", "call_faults"), why)
        return out, figures
    reviews = load_call_reviews(path)
    learners, faults = call_scorecard(reviews)
    per_call = float(learners["faults"].sum()) / max(len(reviews), 1)
    figures = {"calls_reviewed": len(reviews), "faults_per_call": per_call}
    out.tables["call_learners"] = learners
    out.tables["call_faults"] = faults
    top = faults.iloc[0]
    out.notes["call_learners"] = (
        f"{_n(len(reviews), 'call')} of {_n(len(learners), 'learner')} reviewed "
        f"({path.name}): {per_call:.1f} faults a call"
        + (
            f"; the most common fault: {top['fault']} ({top['faults']} of {top['scored']} calls "
            "where it was scored)."
            if top["faults"]
            else "; no fault found."
        )
    )
    return out, figures


def _inputs(
    data: DataSet, params: Params
) -> tuple[_Inputs, list[tuple[str, int, int, dict[str, int]]]]:
    per = analysis.periods(data, params, kind="ttm")
    opps, inferred = with_outcomes(data.tables["opportunities"])
    accounts = data.tables.get("accounts")
    contacts = data.tables.get("contacts")
    trials = data.tables.get("trials")
    end = per.window.end
    eight = span(per.quarter, TREND_QUARTERS, fiscal_start=per.fiscal_start)
    after = (opps["created_date"] > end).fillna(False)
    closed = opps["outcome"].isin(("won", *LOSSES))
    placed = closed & opps["close_date"].notna()
    later = placed & (opps["close_date"] > end) & ~after
    older = placed & (opps["close_date"] < eight.start)
    undated = closed & opps["close_date"].isna()
    used = ~(after | later | older | undated)
    rows = [
        (
            "opportunities",
            len(opps),
            int(used.sum()),
            {
                f"created after {end:%Y-%m-%d}": int(after.sum()),
                f"closed after {end:%Y-%m-%d}": int(later.sum()),
                f"closed before {eight.start:%Y-%m-%d} (the eight quarters)": int(older.sum()),
                "closed without a close date": int(undated.sum()),
            },
        )
    ]
    if accounts is not None:
        rows.append(("accounts", len(accounts), len(accounts), {}))
    if contacts is not None:
        rows.append(("contacts", len(contacts), len(contacts), {}))
    if trials is not None:
        late = (trials["start_date"] > end).fillna(False)
        rows.append(
            (
                "trials",
                len(trials),
                int((~late).sum()),
                {f"started after {end:%Y-%m-%d}": int(late.sum())},
            )
        )
    inp = _Inputs(
        opps=opps,
        inferred=inferred,
        accounts=accounts,
        contacts=contacts,
        products=data.tables.get("products"),
        trials=trials,
        names=_names(accounts),
        per=per,
        currency=params.currency or data.settings.currency,
        sql=data.sql,
        deals=deals.deals(data.columns("opportunities")),
    )
    return inp, rows


def _assumptions(
    params: Params, inp: _Inputs, start: pd.Timestamp | None
) -> list[analysis.Assumption]:
    per = inp.per
    eight = span(per.quarter, TREND_QUARTERS, fiscal_start=per.fiscal_start)
    out = [
        analysis.Assumption(
            "window",
            "review window",
            f"{per.window.label} ({per.window.start:%Y-%m-%d} to {per.window.end:%Y-%m-%d})",
            "built in",
            "month end, early failure, sources, customers, trials; the cycle trend uses "
            f"{eight.label}",
        ),
        analysis.assume(
            params,
            "month_end_days",
            "days at a month's end that count as month end",
            note="month_end_close_share; expected share = days ÷ days in the month",
        ),
        analysis.Assumption(
            "late_failure",
            "a late failure is a loss slower than",
            "the team's median winning cycle",
            "built in",
            "late_failure_share",
        ),
        analysis.Assumption(
            "segment",
            "segment for the cycle split",
            "the account's industry",
            "built in",
            "cycle split",
        ),
        analysis.assume(
            params,
            "targets",
            "executive-prospecting targets",
            shown=params.targets or f"{params.prospects} picked from the accounts without a win",
            note="targets (account ids) or prospects (how many to pick)",
        ),
        analysis.Assumption(
            "start_date",
            "prospecting plan starts",
            "–" if start is None else f"{start:%Y-%m-%d}",
            "set for this run" if params.start_date else "default",
            "start_date; default: the first Monday after the review quarter",
        ),
        analysis.Assumption(
            "wait",
            "an executive answers within",
            f"{WAIT_DAYS[0]} to {WAIT_DAYS[1]} days",
            "built in",
            "the last step of the prospecting plan",
        ),
        analysis.assume(
            params,
            "call_review_file",
            "cold-call reviews",
            shown=Path(params.call_review_file).name if params.call_review_file else "none",
            note="the five-faults scorecard",
        ),
    ]
    if inp.inferred:
        out.append(
            analysis.Assumption(
                "outcome",
                "outcome read from the stage name",
                f"{inp.inferred:,} deals",
                "from the data",
                "no outcome value: Closed Won / Closed Lost / No Decision stages, others open",
            )
        )
    return out


@analysis.remembered
def analyze(data: DataSet, params: Params) -> HabitsAnalysis:
    """Winbacks, month-end bunching, early failure, the cycle trend, the network, free trials,
    executive prospecting and the cold-call scorecard for ``params.quarter``.

    Never raises for a data set that passes ``salesnb check``, except :class:`NotAnalysable`
    without an opportunities table (and a malformed call review file or start date).
    """
    analysis.require(data, CORE, "sales habits")
    inp, rows = _inputs(data, params)
    result = _Section()
    metrics: dict[str, Any] = {}
    for part, figures in (
        _winback_section(inp),
        _month_end_section(inp, params.month_end_days),
        _failure_section(inp),
        _cycle_section(inp),
        _network_section(inp),
        _trials_section(inp),
        _prospect_section(inp, params),
        _calls_section(params),
    ):
        result.add(part)
        metrics.update(figures)
    metrics["outcomes_from_stage"] = inp.inferred
    start = result.extras.get("plan_start")
    return HabitsAnalysis(
        params=params,
        periods=inp.per,
        currency=inp.currency,
        tables=result.tables,
        notes=result.notes,
        absent=result.absent,
        metrics=metrics,
        findings=tuple(result.findings[:5]),
        assumptions=tuple(_assumptions(params, inp, start)),
        coverage=analysis.coverage(data, inp.per.window, rows),
        extras=result.extras,
        headline=_headline(metrics, params, inp),
        actions=_actions(result.tables, metrics, inp),
    )


def _headline(metrics: Mapping[str, Any], params: Params, inp: _Inputs) -> tuple[analysis.KPI, ...]:
    """Six headline figures; one the data cannot give is None with the reason."""
    w = inp.per.window
    days = metrics["median_days_to_comeback"]
    expected = metrics["month_end_expected_share"]
    loss = metrics["median_days_to_loss"]
    win = metrics["median_days_to_win"]
    return (
        analysis.KPI(
            "Lost prospects who came back",
            metrics["winback_share"],
            "percent",
            f"median {days:,.0f} days after the loss"
            if days is not None
            else "no loss recorded"
            if metrics["winback_share"] is None
            else "none came back yet",
        ),
        analysis.KPI(
            f"Won in a month's last {params.month_end_days} days",
            metrics["month_end_close_share"],
            "percent",
            f"{expected:.0%} if spread evenly"
            if expected is not None
            else f"no deal won in {w.label}",
        ),
        analysis.KPI(
            "Median days to win",
            win,
            "count",
            f"to lose: {loss:,.0f} days"
            if loss is not None
            else f"no closed deal with a cycle in {w.label}",
        ),
        analysis.KPI(
            "Late failures",
            metrics["late_failure_share"],
            "percent",
            "losses slower than the median win"
            if metrics["late_failure_share"] is not None
            else "needs won and lost deals with cycles",
        ),
        analysis.KPI(
            "Won from existing customers",
            metrics["revenue_share_existing_customers"],
            "percent",
            f"of the amount won in {w.label}"
            if metrics["revenue_share_existing_customers"] is not None
            else f"no deal won in {w.label}",
        ),
        analysis.KPI(
            "Trial conversion",
            metrics["trial_conversion"],
            "percent",
            f"trials ended in {w.label}"
            if metrics["trial_conversion"] is not None
            else "no trials table"
            if inp.trials is None
            else "no trial ended in the window",
        ),
    )


def _actions(
    tables: Mapping[str, pd.DataFrame], metrics: Mapping[str, Any], inp: _Inputs
) -> tuple[str, ...]:
    """The top actions: follow up recent losses, date the forecast honestly, coach early
    failure, cut off repeat trial sign-ups, start the prospecting plan."""
    out: list[str] = []
    money = lambda v: analysis.format_value(v, "money", inp.currency)  # noqa: E731
    recent = tables.get("recent_losses")
    if recent is not None and len(recent):
        top = recent.head(3)
        out.append(
            "Send a courteous follow-up to the largest recent losses: "
            + ", ".join(
                f"{r.account_name} ({money(r.amount)}"
                + (f", {r.owner}" if "owner" in top and isinstance(r.owner, str) else "")
                + ")"
                for r in top.itertuples()
            )
            + f"; {metrics['winback_share'] or 0:.0%} of lost prospects came back."
        )
    plan, exp = metrics["month_end_planned_share"], metrics["month_end_expected_share"]
    if (
        plan is not None
        and exp
        and plan > max(1.5 * exp, (metrics["month_end_close_share"] or 0) + 0.05)
    ):
        out.append(
            f"Ask owners for close dates the customer's steps support: {plan:.0%} of open deals are "
            f"planned for a month's last days, against {metrics['month_end_close_share'] or 0:.0%} "
            "of the deals actually won."
        )
    fail = tables.get("early_failure")
    if fail is not None and len(fail) > 2 and metrics["late_failure_share"] is not None:
        owners = fail.iloc[1:].dropna(subset=["late_failure_share"])
        if len(owners):
            worst = owners.iloc[0]
            if worst["late_failure_share"] > metrics["late_failure_share"] + 0.05:
                out.append(
                    f"Coach {worst['owner']} to qualify out early: {worst['late_failure_share']:.0%} "
                    f"of their losses came after the median winning cycle (team: "
                    f"{metrics['late_failure_share']:.0%})."
                )
    if metrics["repeat_signups"]:
        out.append(
            f"Cut off the {_n(int(metrics['repeat_signups']), 'e-mail address')} that signed up "
            "for free trials more than once."
        )
    pro = tables.get("prospects")
    if pro is not None and len(pro):
        ready = pro[pro["ready"]]
        if len(ready):
            out.append(
                "Start executive prospecting with "
                + _and([str(n) for n in ready["account_name"].head(3)])
                + " (success story and executive ready); the plan is dated."
            )
    return tuple(out[:4])


HabitsAnalysis.charts = {
    "month_end_bunching": analysis.Chart(
        ("month_end",),
        lambda a, ax: plot_month_end(a.tables["month_end"], days=a.params.month_end_days, ax=ax),
    ),
    "failure_timing": analysis.Chart(
        ("failure_timing",),
        lambda a, ax: plot_failure_timing(
            a.tables["failure_timing"], median_win=a.extras.get("median_win"), ax=ax
        ),
    ),
    "cycle_trend": analysis.Chart(
        ("cycle_by_quarter",),
        lambda a, ax: plot_cycle_trend(
            a.tables["cycle_by_quarter"], trend=a.metrics.get("cycle_trend_days_per_quarter"), ax=ax
        ),
    ),
    "trial_conversion": analysis.Chart(
        ("trials",), lambda a, ax: plot_trial_conversion(a.tables["trials"], ax=ax)
    ),
}

_T = analysis.TableSpec
HabitsAnalysis.specs = {
    "comebacks": _T(
        "Lost prospects who came back",
        {
            "account_id": "id",
            "account_name": "text",
            "won_by": "text",
            "losses": "count",
            "lost_on": "date",
            "won_on": "date",
            "won_amount": "money",
            "days_to_comeback": "count",
        },
        labels={
            "account_name": "Account",
            "won_by": "Won by",
            "losses": "Losses before",
            "lost_on": "Last loss",
            "won_on": "Won",
            "won_amount": "Amount won",
            "days_to_comeback": "Days later",
        },
        source="A comeback: the first deal won after the account's first loss; days counted from "
        "the last loss before it.",
    ),
    "recent_losses": _T(
        "Recent losses worth a courteous follow-up",
        {
            "account_id": "id",
            "account_name": "text",
            "owner": "text",
            "lost_on": "date",
            "outcome": "text",
            "amount": "money",
            "loss_reason": "text",
            "open_deals": "count",
        },
        labels={"account_name": "Account", "lost_on": "Lost on", "open_deals": "Open deals now"},
        source="Accounts whose last loss closed in the window and that have not won since.",
    ),
    "month_end": _T(
        "Close dates in the last days of the month",
        {
            "deals": "text",
            "count": "count",
            "month_end": "count",
            "share": "percent",
            "expected_share": "percent",
            "ratio": "number",
            "amount_share": "percent",
        },
        labels={
            "count": "Deals",
            "month_end": "At month end",
            "share": "Share",
            "expected_share": "If spread evenly",
            "ratio": "× even spread",
            "amount_share": "Share of amount",
        },
        source="Won deals closed in the window; open deals at its end with a planned close date.",
    ),
    "early_failure": _T(
        "Days to win and to lose, the team and each owner",
        {
            "owner": "text",
            "won": "count",
            "median_days_to_win": "count",
            "losses": "count",
            "median_days_to_loss": "count",
            "late_failures": "count",
            "late_failure_share": "percent",
        },
        labels={
            "owner": "Team / owner",
            "median_days_to_win": "Median days to win",
            "median_days_to_loss": "Median days to lose",
            "late_failure_share": "Late failure share",
        },
        source="Deals closed in the window; losses include no decision. A late failure: a loss "
        "slower than the team's median winning cycle.",
    ),
    "failure_timing": _T(
        "Won and lost deals by cycle days",
        {
            "cycle_days": "text",
            "won": "count",
            "losses": "count",
            "won_share": "percent",
            "loss_share": "percent",
        },
    ),
    "cycle_by_quarter": _T(
        "Median winning cycle by quarter",
        {"quarter": "text", "won_deals": "count", "median_cycle_days": "count"},
        labels={"median_cycle_days": "Median days to win"},
    ),
    "cycle_split": _T(
        "Winning cycle by source, segment and product family",
        {
            "dimension": "text",
            "group": "text",
            "won_deals": "count",
            "median_before": "count",
            "median_recent": "count",
            "change_days": "count",
        },
        labels={
            "median_before": "Median days, first four quarters",
            "median_recent": "Median days, last four quarters",
            "change_days": "Change (days)",
        },
        source="Segment: the account's industry. '–': fewer than three won deals in that half.",
    ),
    "sources": _T(
        "Win rate, cycle and deal size by source",
        {
            "source": "text",
            "closed": "count",
            "won": "count",
            "win_rate": "percent",
            "median_cycle_days_won": "count",
            "avg_deal_size_won": "money",
            "won_amount": "money",
        },
        labels={
            "closed": "Deals closed",
            "median_cycle_days_won": "Median days to win",
            "avg_deal_size_won": "Average won deal",
        },
        source="Deals closed in the window; win rate = won ÷ closed (lost and no decision included).",
    ),
    "customers": _T(
        "Won amount from existing and new customers",
        {
            "customers": "text",
            "won_deals": "count",
            "accounts": "count",
            "won_amount": "money",
            "share": "percent",
        },
        source="Existing: the account won a deal before this one (in the data).",
    ),
    "expansion": _T(
        "Existing customers won in a new buying center",
        {
            "account_id": "id",
            "account_name": "text",
            "buying_center": "text",
            "won_on": "date",
            "amount": "money",
            "earlier_centers": "text",
        },
        labels={
            "account_name": "Account",
            "buying_center": "New buying center",
            "won_on": "Won on",
            "earlier_centers": "Won before in",
        },
    ),
    "network": _T(
        "Network value beside lifetime value",
        {
            "account_id": "id",
            "account_name": "text",
            "lifetime_value": "money",
            "referred": "count",
            "referred_value": "money",
            "network_value": "money",
        },
        labels={
            "account_name": "Customer",
            "referred": "Accounts referred",
            "referred_value": "Their won amount",
            "network_value": "Network value",
        },
        source="Lifetime value: the customer's own won amount; network value: the won amount of "
        "every account down its referral chain.",
    ),
    "trials": _T(
        "Trial conversion by length, qualification and usage",
        {
            "dimension": "text",
            "group": "text",
            "trials": "count",
            "converted": "count",
            "conversion": "percent",
        },
        source="Trials started and ended in the window. Usage: the share of the trial's key "
        "features used.",
    ),
    "repeat_signups": _T(
        "Repeat sign-ups: the e-mail addresses to cut off",
        {
            "email": "text",
            "account_id": "id",
            "account_name": "text",
            "trials": "count",
            "first_start": "date",
            "last_start": "date",
            "converted": "bool",
        },
        labels={"email": "E-mail", "account_name": "Account", "converted": "Ever converted"},
    ),
    "trial_checklist": _T(
        "Free trials: five stopgaps and five success factors",
        {"kind": "text", "practice": "text", "what_it_means": "text", "the_data_shows": "text"},
        labels={"what_it_means": "What it means", "the_data_shows": "What the data shows"},
    ),
    "prospects": _T(
        "Executive prospecting: the targets",
        {
            "account_id": "id",
            "account_name": "text",
            "industry": "text",
            "success_story": "text",
            "executive": "text",
            "title": "text",
            "has_phone": "bool",
            "has_email": "bool",
            "ready": "bool",
            "to_find": "text",
        },
        labels={
            "account_name": "Target",
            "success_story": "Success story (won, same industry)",
            "has_phone": "Phone",
            "has_email": "E-mail",
            "to_find": "Still to find",
        },
    ),
    "prospecting_plan": _T(
        "Executive prospecting: the dated plan",
        {
            "account_id": "id",
            "account_name": "text",
            "step": "count",
            "date": "date",
            "action": "text",
            "contact": "text",
            "detail": "text",
        },
        labels={"account_name": "Target"},
        wide=True,
    ),
    "call_learners": _T(
        "Find five faults: by learner",
        {
            "learner": "text",
            "calls": "count",
            "faults": "count",
            "faults_per_call": "number",
            "most_common": "text",
        },
        labels={"most_common": "Most common fault"},
    ),
    "call_faults": _T(
        "Find five faults: by fault",
        {
            "fault": "text",
            "practice": "text",
            "scored": "count",
            "faults": "count",
            "share": "percent",
        },
        labels={"practice": "The practice", "scored": "Calls scored", "share": "Share of calls"},
    ),
}


# --------------------------------------------------------------------------- training
EXERCISE_MONTH_END_DAYS = 5  # exercise 2 widens month end to this many days


def scenario(a: HabitsAnalysis) -> str:
    """Exercise 4's brief: the first prospecting target and its industry (a sentence)."""
    t = a.tables.get("prospects")
    if t is None or t.empty or pd.isna(t["industry"].iloc[0]):
        return "No target account with a known industry: the data cannot set this exercise."
    return (
        f"The first target, {t['account_name'].iloc[0]}, is in "
        f"{str(t['industry'].iloc[0]).replace('_', ' ')}: the subject line of its e-mail names a "
        "customer we have won in that industry."
    )


def exercises(data: DataSet, params: Params, a: HabitsAnalysis | None = None) -> dict[str, Any]:
    """The answer key of the habits notebook's exercises, computed from the data.

    1 (predict) the share of won deals closed in a month's last days; 2 (parameter) how many
    won deals close in the last :data:`EXERCISE_MONTH_END_DAYS` days; 3 (judgement) two
    owners to coach on early failure (the highest late-failure share, ties pass); 4
    (scenario) a success story for the first prospecting target (any won customer in its
    industry passes). An exercise the data cannot support keeps its place with no value.
    """
    from . import training

    a = a if a is not None else analyze(data, params)
    key: dict[str, Any] = {}
    share = a.metrics.get("month_end_close_share")
    if share is not None:
        key["1"] = training.Answer(
            share,
            kind="guess",
            of="percent",
            hint="A guess, as a share of the deals won in the window (0.3 or 30%).",
            explain=f"{share:.0%} of the deals won closed in a month's last {params.month_end_days} "
            f"days; spread evenly it would be {a.metrics['month_end_expected_share'] or 0:.0%}.",
        )
        moved = analyze(data, dataclasses.replace(params, month_end_days=EXERCISE_MONTH_END_DAYS))
        table = moved.table("month_end")
        if table is not None and table["count"].iloc[0]:
            n = int(table["month_end"].iloc[0])
            now = int(a.tables["month_end"]["month_end"].iloc[0])
            key["2"] = training.Answer(
                n,
                kind="count",
                hint=f"Set month_end_days to {EXERCISE_MONTH_END_DAYS} and read the won deals' "
                "'At month end' in the month-end table.",
                explain=f"{n:,} won deals close in a month's last {EXERCISE_MONTH_END_DAYS} days "
                f"(in the last {params.month_end_days}: {now:,}); the expected share grows with "
                "the days too, so compare the two shares, not the counts.",
            )
    fail = a.tables.get("early_failure")
    owners = fail.iloc[1:] if fail is not None else None
    if owners is not None and len(owners.dropna(subset=["late_failure_share"])) >= 3:
        worst = training.with_ties(owners, "late_failure_share", 2)
        names = list(worst["owner"].astype(str))
        key["3"] = training.Answer(
            names[:2],
            kind="pick",
            k=2,
            any_of=tuple(names[2:]),
            hint="Rubric: the highest late-failure share (losses slower than the team's median "
            "winning cycle); owners tied with the second pass.",
            explain=" and ".join(
                f"{r.owner} ({r.late_failures:.0f} of {r.losses} losses late)"
                for r in worst.head(2).itertuples()
            )
            + ": coach them to ask the hard questions early and qualify out.",
        )
    pro = a.tables.get("prospects")
    if (
        pro is not None
        and len(pro)
        and not pd.isna(pro["industry"].iloc[0])
        and "accounts" in data.tables
    ):
        acc = data.tables["accounts"].drop_duplicates("account_id")
        o = with_outcomes(data.tables["opportunities"])[0]
        won_ids = set(
            o.loc[
                (o["outcome"] == "won") & (o["close_date"] <= a.window.end).fillna(False),
                "account_id",
            ]
        )
        target = pro["account_id"].iloc[0]
        same = acc[
            (acc["industry"].astype("str").str.replace("_", " ") == pro["industry"].iloc[0])
            & acc["account_id"].isin(won_ids)
            & (acc["account_id"] != target)
        ]
        names = [
            str(x) for x in (same["account_name"] if "account_name" in same else same["account_id"])
        ]
        story = pro["success_story"].iloc[0]
        if names and not pd.isna(story):
            others = [x for x in names if x != str(story)]
            key["4"] = training.Answer(
                str(story),
                kind="name",
                any_of=tuple(others),
                hint="A customer we have won in the prospect's own industry: the prospecting "
                "table names one, the won deals name the others.",
                explain=f"{story} is a won customer in the same industry"
                + (f" ({len(others)} others would do too)" if others else "")
                + ": a competitor's name in the subject line earns the executive's attention.",
            )
    return training.complete(key, {"1": "guess", "2": "count", "3": "pick", "4": "name"})
