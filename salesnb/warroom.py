"""The Sales War Room: choose the deals, schedule the day, run the agenda, print the playbook.

For large, complex deals the best experts of the business unit meet for ONE day: the
rep introduces the case, experts prepare proposals for their area, confer without the
rep, adjust, present a draft, adjust again, and present the common solution. The output
is a one-deal playbook.

Cases are the deals open at the review quarter's end. Dates are proposed from the start
date: the later of the quarter's end and the run date (a review run after the quarter
must not propose days that have passed), or the ``start_date`` parameter, which pins it
so that runs are reproducible. :func:`analyze` reads the run date in one place and
records it.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from . import analysis, pipeline, tiering
from .schema import DataError, UsageError
from .theme import PALETTE, get_ax

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .dataset import DataSet

__all__ = [
    "AGENDA",
    "AREA_RULES",
    "CORE",
    "EXPERTS_MISSING",
    "Scenario",
    "WEIGHTS",
    "Params",
    "WarRoomAnalysis",
    "agenda",
    "analyze",
    "area_gaps",
    "areas_for",
    "brief",
    "candidates",
    "deal_status",
    "exercises",
    "lens_table",
    "loss_lens",
    "needed_areas",
    "plot_scores",
    "playbook",
    "playbook_name",
    "product_name",
    "rep_leaves_at",
    "roster",
    "scenario",
    "scenario_view",
    "schedule",
    "schedule_note",
    "search_days",
    "select",
    "shortlist",
    "shortlist_view",
    "start_from",
]

CORE: tuple[str, ...] = ("opportunities",)

# the seven steps of the day, in order, with default minutes
AGENDA: tuple[tuple[str, int], ...] = (
    ("The sales rep briefly introduces the case", 30),
    ("Each expert prepares a preliminary proposal for their area", 90),
    ("Experts meet WITHOUT the rep and build one common solution", 120),
    ("Experts adjust their proposals", 60),
    ("The draft solution is presented to the rep", 45),
    ("Experts make further adjustments", 60),
    ("Final presentation of the common solution and proposal to the rep", 45),
)
_REP_OUT = 3  # the step the experts hold without the rep

# which expert areas a case needs: always, from a deal size, with a competitor, by product family
AREA_RULES: dict[str, Any] = {
    "always": ["product", "pricing"],
    "large_deal": 50_000.0,
    "large_deal_areas": ["legal", "finance"],
    "competitor_areas": ["industry"],
    "family_areas": {
        "services": ["delivery"],
        "platform": ["security"],
        "integration": ["delivery"],
    },
}
# how much each criterion weighs in a candidate's score (sums to 1)
WEIGHTS: dict[str, float] = {
    "size": 0.4,
    "tier": 0.2,
    "complexity": 0.2,
    "competitor": 0.1,
    "stage": 0.1,
}
EXPERTS_MISSING = (
    "No experts table, so the day cannot be scheduled: add experts.csv "
    "(expert_id, area, full_name, unavailable_dates)."
)


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The war-room notebook's parameters (less data_dir, output_dir, redact)."""

    opportunity_id: str = ""  # one deal (single-deal mode); empty: the quarter's cases
    capacity: int = 3  # war rooms this quarter
    lead_days: int = 30  # days between the start date and the earliest war room
    window_days: int = 30  # days after that in which a date may be found
    large_deal: float = 50000.0  # deals at least this large also need legal and finance
    start_time: str = "09:00"  # when the day starts
    start_date: str = ""  # ISO date dates are proposed from; empty: later of quarter end, run date


@dataclass(frozen=True, kw_only=True)
class WarRoomAnalysis(analysis.Analysis):
    """The war room over one data set (see :func:`analyze`)."""

    methodology: ClassVar[str] = "war_room"


# --------------------------------------------------------------------------- dates
def _today() -> datetime.date:
    """The run date: the one place the war room reads the clock."""
    return datetime.date.today()


def start_from(
    quarter_end: pd.Timestamp, start_date: str = "", today: datetime.date | None = None
) -> tuple[pd.Timestamp, str]:
    """The date war-room days are proposed from, and where it came from.

    ``start_date`` (ISO) pins it ("parameter"); otherwise the later of the quarter's end
    ("quarter end") and ``today`` ("run date").

    Example
    -------
    >>> start_from(pd.Timestamp("2026-09-30"), today=datetime.date(2026, 11, 24))
    (Timestamp('2026-11-24 00:00:00'), 'run date')
    """
    if start_date:
        try:
            return pd.Timestamp(datetime.date.fromisoformat(start_date.strip())), "parameter"
        except ValueError:
            raise UsageError(
                f"start_date {start_date!r} is not an ISO date: write it as YYYY-MM-DD, "
                "or leave it empty to start from the run date"
            ) from None
    end = pd.Timestamp(quarter_end).normalize()
    if today is not None and pd.Timestamp(today) > end:
        return pd.Timestamp(today), "run date"
    return end, "quarter end"


def search_days(start: pd.Timestamp, *, lead_days: int, window_days: int) -> pd.DatetimeIndex:
    """The weekdays a war room may take: ``lead_days`` after ``start``, for ``window_days``."""
    first = start + pd.Timedelta(days=lead_days)
    return pd.bdate_range(first, first + pd.Timedelta(days=window_days))


# --------------------------------------------------------------------------- the cases
def deal_status(opps: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per deal: "open" when it is a war-room candidate at ``as_of``, else why it is left out.

    Open means :func:`salesnb.pipeline.open_at` (outcomes missing are read from the stage
    names by :func:`salesnb.pipeline.with_outcomes`); candidates also need an amount and an
    account. Reasons: "no amount", "no account", "created after the quarter's end",
    "closed by the quarter's end", "closed without a close date", "no created date".
    """
    frame = pipeline.with_outcomes(opps)[0]
    is_open = opps.index.isin(pipeline.open_at(frame, as_of).index)
    created, close = frame["created_date"], frame["close_date"]
    closed = frame["outcome"].isin(["won", "lost", "no_decision"])
    labels = np.select(
        [
            is_open & frame["amount"].isna(),
            is_open & frame["account_id"].isna(),
            is_open,
            (created > as_of).fillna(False),
            (closed & (close <= as_of)).fillna(False),
            (closed & close.isna()).fillna(False),
        ],
        [
            "no amount",
            "no account",
            "open",
            "created after the quarter's end",
            "closed by the quarter's end",
            "closed without a close date",
        ],
        default="no created date",
    )
    return pd.Series(labels, index=opps.index, name="status")


def candidates(
    open_deals: pd.DataFrame,
    *,
    tiers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    buying_centers: pd.DataFrame | None = None,
    stages: list[str] | None = None,
) -> pd.DataFrame:
    """Open deals ranked by how much a war room would help, with the reason for each.

    Score (0-1), by :data:`WEIGHTS`: 40% size (log scale within the pipeline), 20% strategic
    tier (T1 or Global), 20% complexity (buying centers and contacts at the account), 10% a
    named competitor, 10% a mid-funnel stage (the solution is still open to shape). A
    criterion the data cannot tell adds nothing, and the reason says it was unknown.
    Columns ``score_<criterion>`` hold each criterion's part of the score.
    """
    d = open_deals.dropna(subset=["amount"]).copy()
    logs = np.log1p(d["amount"].clip(lower=0))
    span = logs.max() - logs.min()
    size = (logs - logs.min()) / span if span > 0 else logs * 0 + 1
    unknown_all: list[str] = []

    if tiers is not None:
        tier = d["account_id"].map(
            tiers.drop_duplicates("account_id").set_index("account_id")["tier"]
        )
    else:
        tier = pd.Series(None, index=d.index, dtype="object")
        unknown_all.append("tier (no accounts table)")
    strategic = tier.isin(["T1", "Global"]).astype(float)

    n_bc = _count_by_account(d, buying_centers)
    n_ct = _count_by_account(d, contacts)
    if buying_centers is None and contacts is None:
        unknown_all.append("complexity (no contacts or buying_centers table)")
    elif buying_centers is None:
        unknown_all.append("buying centers (no buying_centers table)")
    elif contacts is None:
        unknown_all.append("contacts (no contacts table)")
    complexity = n_bc.clip(upper=4) / 4 * 0.5 + n_ct.clip(upper=10) / 10 * 0.5

    if "competitor" in d:
        competitor = d["competitor"]
        named = competitor.notna().astype(float)
    else:
        competitor = pd.Series(None, index=d.index, dtype="object")
        named = pd.Series(0.0, index=d.index)
        unknown_all.append("competitor (no competitor column)")

    since = _closed_since(d)
    order = list(stages) if stages is not None else sorted(d["stage"].dropna().unique())
    position = d["stage"].map({s: i for i, s in enumerate(order)}).where(since == "")
    mid = (position.between(1, len(order) - 2) if len(order) >= 3 else position * 0).fillna(0)

    parts = {
        "size": size,
        "tier": strategic,
        "complexity": complexity,
        "competitor": named,
        "stage": mid.astype(float),
    }
    for name, part in parts.items():
        d[f"score_{name}"] = (WEIGHTS[name] * part).astype(float)
    d["score"] = sum(d[f"score_{name}"] for name in parts).round(4)
    d["tier"] = tier
    d["buying_centers"] = n_bc.astype(int)
    d["contacts"] = n_ct.astype(int)
    d["reason"] = [
        _reason(a, t, b, c, comp, s, later, unknown_all, tiers is not None, len(order))
        for a, t, b, c, comp, s, later in zip(
            d["amount"],
            tier,
            n_bc.astype(int),
            n_ct.astype(int),
            competitor,
            d["stage"],
            since,
            strict=True,
        )
    ]
    return d.sort_values(
        ["score", "amount", "opportunity_id"], ascending=[False, False, True]
    ).reset_index(drop=True)


def _closed_since(deals: pd.DataFrame) -> pd.Series:
    """ "won on 2017-11-10" for a deal open at the quarter's end that has closed since, else ""."""
    if "outcome" not in deals:
        return pd.Series("", index=deals.index, dtype="object")
    closed = deals["outcome"].isin(["won", "lost", "no_decision"])
    text = (
        deals["outcome"].astype("object").str.replace("_", " ")
        + " on "
        + deals["close_date"].dt.strftime("%Y-%m-%d")
    )
    return text.where(closed & deals["close_date"].notna(), "").astype("object")


def _count_by_account(deals: pd.DataFrame, table: pd.DataFrame | None) -> pd.Series:
    if table is None or "account_id" not in table:
        return pd.Series(0, index=deals.index, dtype=int)
    return deals["account_id"].map(table.groupby("account_id").size()).fillna(0).astype(int)


def _reason(
    amount: float,
    tier: Any,
    n_bc: int,
    n_ct: int,
    competitor: Any,
    stage: Any,
    since: str,
    unknown_all: list[str],
    tiered: bool,
    n_stages: int,
) -> str:
    known = [
        f"{amount:,.0f} deal",
        f"{tier} account" if isinstance(tier, str) and tier in ("T1", "Global") else "",
        f"{n_bc} buying centers" if n_bc >= 2 else "",
        f"{n_ct} contacts" if n_ct >= 5 else "",
        f"competing with {competitor}" if isinstance(competitor, str) else "",
        f"in {stage}" if isinstance(stage, str) and not since else "",
        f"{since} (after the quarter)" if since else "",
    ]
    unknown = list(unknown_all)
    if tiered and (not isinstance(tier, str)):
        unknown.insert(0, "tier (account not in the accounts table)")
    elif isinstance(tier, str) and tier == "unscored":
        unknown.insert(0, "tier (account unscored: too few facts)")
    if since:
        unknown.append("stage at the quarter's end (the deal has closed since)")
    elif not isinstance(stage, str):
        unknown.append("stage (not recorded)")
    elif n_stages < 3:
        unknown.append(f"stage position (only {n_stages} open stage{'s' * (n_stages != 1)})")
    text = ", ".join(p for p in known if p)
    return f"{text}; unknown: {', '.join(unknown)}" if unknown else text


def select(ranked: pd.DataFrame, *, capacity: int = 3, opportunity_id: str = "") -> pd.DataFrame:
    """The cases for this quarter's war rooms: the top ``capacity``, or one named deal."""
    if opportunity_id:
        one = ranked[ranked["opportunity_id"] == opportunity_id]
        if one.empty:
            raise DataError(
                f"opportunity {opportunity_id!r} is not an open deal with an amount in this data set"
            )
        return one.reset_index(drop=True)
    return ranked.head(capacity).reset_index(drop=True)


def _not_a_case(
    opportunity_id: str, opps: pd.DataFrame, status: pd.Series, ranked: pd.DataFrame, q: str
) -> DataError:
    """The error for single-deal mode when ``opportunity_id`` is not a candidate."""
    rows = status[opps["opportunity_id"] == opportunity_id]
    why = (
        "is not in the data set"
        if rows.empty
        else f"is not an open deal with an amount and an account at the end of {q} ({rows.iloc[0]})"
    )
    ids = ranked["opportunity_id"].head(5).tolist()
    listing = (
        f"; open deals include {', '.join(ids)} ({len(ranked):,} in all)"
        if ids
        else f"; no deal is open at the end of {q}"
    )
    return DataError(
        f"opportunity {opportunity_id!r} {why}. Leave opportunity_id empty (run without "
        f"-p opportunity_id) to list the open deals, ranked, in section 2{listing}."
    )


# --------------------------------------------------------------------------- expert areas
def needed_areas(
    deal: pd.Series, *, family: str | None = None, rules: dict[str, Any] | None = None
) -> list[str]:
    """The expert areas a case needs, by the rules (deal size, competitor, product family)."""
    r = {**AREA_RULES, **(rules or {})}
    areas = list(r["always"])
    if pd.notna(deal.get("amount")) and deal["amount"] >= r["large_deal"]:
        areas += r["large_deal_areas"]
    if isinstance(deal.get("competitor"), str):
        areas += r["competitor_areas"]
    if family:
        areas += r["family_areas"].get(family, [])
    return list(dict.fromkeys(areas))


def _family(deal: pd.Series, products: pd.DataFrame | None) -> tuple[str | None, str]:
    """The deal's product family, or None and why it is unknown."""
    if "product_id" not in deal.index:
        return None, "no product_id column"
    pid = deal["product_id"]
    if not isinstance(pid, str):
        return None, "the deal names no product"
    if products is None:
        return None, "no products table"
    if "family" not in products:
        return None, "the products have no family column"
    known = products.drop_duplicates("product_id").set_index("product_id")["family"]
    if pid not in known.index:
        return None, f"product {pid} is not in the products table"
    family = known[pid]
    return (family, "") if isinstance(family, str) else (None, f"product {pid} has no family")


def areas_for(
    cases: pd.DataFrame, products: pd.DataFrame | None, *, rules: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """:func:`needed_areas` for every case (product family looked up in the products table)."""
    return {
        row["opportunity_id"]: needed_areas(row, family=_family(row, products)[0], rules=rules)
        for _, row in cases.iterrows()
    }


def area_gaps(
    deal: pd.Series, products: pd.DataFrame | None, *, rules: dict[str, Any] | None = None
) -> str:
    """The area rules that could not be checked for a deal, and why ("" when all could)."""
    r = {**AREA_RULES, **(rules or {})}
    gaps = []
    if "competitor" not in deal.index:
        gaps.append(
            f"{', '.join(r['competitor_areas'])}: competitor unknown (no competitor column)"
        )
    family, why = _family(deal, products)
    if family is None:
        family_areas = sorted({a for v in r["family_areas"].values() for a in v})
        gaps.append(f"{', '.join(family_areas)}: product family unknown ({why})")
    return "; ".join(gaps)


# --------------------------------------------------------------------------- the day
def _busy(experts: pd.DataFrame) -> dict[str, set[pd.Timestamp]]:
    out: dict[str, set[pd.Timestamp]] = {}
    column = (
        experts["unavailable_dates"]
        if "unavailable_dates" in experts
        else pd.Series(None, index=experts.index)
    )
    for eid, text in zip(experts["expert_id"].astype(str), column, strict=True):
        days = [d.strip() for d in text.split(";") if d.strip()] if isinstance(text, str) else []
        parsed = pd.to_datetime(pd.Series(days, dtype="object"), errors="coerce").dropna()
        out[eid] = set(parsed)
    return out


def _labels(experts: pd.DataFrame) -> dict[str, str]:
    """Expert id -> the name shown (full name when known, else the id)."""
    ids = experts["expert_id"].astype(str)
    names = experts["full_name"] if "full_name" in experts else pd.Series(None, index=experts.index)
    return {
        i: (n if isinstance(n, str) and n.strip() else i) for i, n in zip(ids, names, strict=True)
    }


def schedule(
    cases: pd.DataFrame,
    experts: pd.DataFrame,
    *,
    areas: dict[str, list[str]],
    as_of: pd.Timestamp,
    lead_days: int = 30,
    window_days: int = 30,
) -> pd.DataFrame:
    """One weekday per case, ``lead_days`` to ``lead_days + window_days`` after ``as_of``.

    ``as_of`` is the start date (see :func:`start_from`). Every needed area gets a free
    expert; cases are scheduled in rank order; an expert is never booked twice on a day
    and a case never takes more than one day. When no date works, the row says which
    areas could not be staffed and which experts block them. Experts are named by
    ``full_name`` when the roster has it.
    """
    busy = _busy(experts)
    label = _labels(experts)
    by_area = {
        a: sorted(experts.loc[experts["area"] == a, "expert_id"].astype(str))
        for a in experts["area"].dropna().unique()
    }
    booked: dict[pd.Timestamp, set[str]] = {}
    days = search_days(as_of, lead_days=lead_days, window_days=window_days)
    first = as_of + pd.Timedelta(days=lead_days)
    last = first + pd.Timedelta(days=window_days)
    rows = []
    for _, case in cases.iterrows():
        need = areas[case["opportunity_id"]]
        chosen: dict[str, str] = {}
        when = None
        blockers: dict[str, set[str]] = {}
        for day in days:
            team = {}
            for area in need:
                free = [
                    e
                    for e in by_area.get(area, [])
                    if day not in busy.get(e, set()) and e not in booked.get(day, set())
                ]
                if free:
                    team[area] = free[0]
                else:  # every area is checked, so the reason names all the blockers
                    blockers.setdefault(area, set()).update(
                        [label[e] for e in by_area.get(area, [])] or ["nobody has this area"]
                    )
            if len(team) == len(need):
                chosen, when = team, day
                break
        if when is not None:
            booked.setdefault(when, set()).update(chosen.values())
            rows.append(
                {
                    "opportunity_id": case["opportunity_id"],
                    "date": when.date().isoformat(),
                    "experts": "; ".join(f"{a}: {label[e]}" for a, e in chosen.items()),
                    "expert_ids": "; ".join(chosen.values()),
                    "why_no_date": "",
                }
            )
        else:
            why = "; ".join(
                f"{a} (blocked by {', '.join(sorted(b))})" for a, b in sorted(blockers.items())
            )
            rows.append(
                {
                    "opportunity_id": case["opportunity_id"],
                    "date": None,
                    "experts": "",
                    "expert_ids": "",
                    "why_no_date": f"no weekday in {first.date()} .. {last.date()} has every area free"
                    + (f": {why}" if why else ""),
                }
            )
    return pd.DataFrame(
        rows, columns=["opportunity_id", "date", "experts", "expert_ids", "why_no_date"]
    )


def roster(
    experts: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    areas: dict[str, list[str]],
    days: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Each expert's part in the plan: booked, free, away on every proposed date, or not needed.

    The proposed dates are the days of ``plan``; when no case got a day, every day in
    ``days`` (the search window).
    """
    busy = _busy(experts)
    label = _labels(experts)
    proposed = sorted(pd.to_datetime(plan["date"].dropna()).unique()) or list(days)
    needed = {a for v in areas.values() for a in v}
    booked: dict[str, list[str]] = {}
    for day, team in zip(plan["date"], plan["expert_ids"], strict=True):
        if isinstance(day, str):
            for eid in team.split("; "):
                booked.setdefault(eid, []).append(day)
    rows = []
    for eid, area in zip(experts["expert_id"].astype(str), experts["area"], strict=True):
        away = [d for d in proposed if d in busy.get(eid, set())]
        name = label[eid]
        if eid in booked:
            status = "booked"
        elif area not in needed:
            status = "area not needed"
        elif proposed and len(away) == len(proposed):
            status = "away on every proposed date"
        else:
            status = "free on a proposed date"
        rows.append(
            {
                "expert": name,
                "expert_id": eid,
                "area": area,
                "status": status,
                "booked_on": ", ".join(sorted(booked.get(eid, []))),
                "away_on_proposed_dates": ", ".join(f"{d:%Y-%m-%d}" for d in away),
            }
        )
    columns = ["expert", "expert_id", "area", "status", "booked_on", "away_on_proposed_dates"]
    return pd.DataFrame(rows, columns=columns)


def agenda(
    *,
    start: str = "09:00",
    minutes: list[int] | None = None,
    rep: str = "the sales rep",
    experts: list[str] | None = None,
) -> pd.DataFrame:
    """The day's seven steps with times and who attends (the rep is out of step 3)."""
    minutes = minutes or [m for _, m in AGENDA]
    if len(minutes) != len(AGENDA) or any(m <= 0 for m in minutes):
        raise DataError(f"the agenda needs {len(AGENDA)} positive durations in minutes")
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", start.strip()):
        raise UsageError(
            f"start_time {start!r} is not a time of day: write it as HH:MM, e.g. 09:00"
        )
    t = pd.Timestamp(f"2000-01-01 {start.strip()}")
    crew = ", ".join(experts or ["the experts"])
    rows = []
    for i, ((step, _), m) in enumerate(zip(AGENDA, minutes, strict=True), 1):
        end = t + pd.Timedelta(minutes=m)
        rows.append(
            {
                "step": i,
                "from": t.strftime("%H:%M"),
                "to": end.strftime("%H:%M"),
                "what": step,
                "who": crew if i == _REP_OUT else f"{rep}, {crew}",
                "rep_in_room": i != _REP_OUT,
            }
        )
        t = end
    return pd.DataFrame(rows)


def rep_leaves_at(table: pd.DataFrame) -> int:
    """The agenda step the rep does not attend (the experts confer alone); 0 if none."""
    out = table.loc[~table["rep_in_room"].astype(bool), "step"]
    return int(out.iloc[0]) if len(out) else 0


def schedule_note(plan: pd.DataFrame) -> str:
    """How many cases got a day, and why the others did not."""
    ok = plan["date"].notna()
    text = f"{int(ok.sum())} of {len(plan)} war rooms have a day"
    if ok.any():
        text += f" ({', '.join(plan.loc[ok, 'date'])})"
    missing = plan.loc[~ok]
    if len(missing):
        text += ". No date for " + "; ".join(
            f"{r.opportunity_id}: {r.why_no_date}" for r in missing.itertuples()
        )
    return text + "."


# --------------------------------------------------------------------------- the brief
def _shown(value: Any, *, money: str | None = None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "not recorded"
    if value is pd.NaT:
        return "not recorded"
    if isinstance(value, pd.Timestamp | datetime.date):
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    if money is not None and isinstance(value, int | float):
        return f"{value:,.0f} {money}".rstrip()
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def brief(
    deal: pd.Series, data: Mapping[str, pd.DataFrame | None], *, currency: str = ""
) -> dict[str, pd.DataFrame]:
    """Everything the room should know about one deal, from the data set's tables.

    Keys (each present only when the data can say it): ``facts``, ``history`` (the
    account's deals by outcome), ``contacts``, ``relationship_gaps`` (decision maker,
    influencer, champion missing among the contacts' roles), ``buying_centers``.
    """
    acc_id = deal["account_id"]
    out: dict[str, pd.DataFrame] = {}
    outcome = deal.get("outcome")
    facts: dict[str, Any] = {
        "opportunity": deal["opportunity_id"],
        "amount": _shown(deal["amount"], money=currency),
        "stage": deal.get("stage"),
        "owner": deal.get("owner"),
        "close date": deal.get("close_date"),
        "outcome now": outcome.replace("_", " ") if isinstance(outcome, str) else outcome,
        "competitor": deal.get("competitor"),
    }
    accounts = data.get("accounts")
    if accounts is not None and acc_id in set(accounts["account_id"]):
        a = accounts.drop_duplicates("account_id").set_index("account_id").loc[acc_id]
        for col in ("account_name", "industry", "employees", "region"):
            if col in a:
                facts[col.replace("_", " ")] = a[col]
        if "prior_spend" in a:
            facts["prior spend"] = _shown(a["prior_spend"], money=currency)
    else:
        facts["account"] = acc_id
    out["facts"] = pd.DataFrame(
        {
            "fact": [f[:1].upper() + f[1:] for f in facts],
            "value": [_shown(v) for v in facts.values()],
        }
    )
    opps = data.get("opportunities")
    if opps is not None and "outcome" in opps:
        here = opps[opps["account_id"] == acc_id]
        out["history"] = (
            here.groupby("outcome")
            .agg(deals=("opportunity_id", "size"), amount=("amount", "sum"))
            .reset_index()
            .assign(outcome=lambda t: t["outcome"].astype(str).str.replace("_", " "))
        )
    contacts = data.get("contacts")
    if contacts is not None:
        c = contacts[contacts["account_id"] == acc_id]
        cols = [
            x for x in ("full_name", "title", "department", "role", "linkedin_connected") if x in c
        ] or ["contact_id"]
        if len(c):
            out["contacts"] = c[cols].sort_values(cols[:1]).reset_index(drop=True)
        if "role" in c:
            roles = set(c["role"].dropna())
            gaps = [r for r in ("decision_maker", "influencer", "champion") if r not in roles]
            out["relationship_gaps"] = pd.DataFrame({"missing role": gaps}, dtype="object")
    bcs = data.get("buying_centers")
    if bcs is not None:
        here = bcs[bcs["account_id"] == acc_id]
        if len(here):
            out["buying_centers"] = here.drop(columns="account_id").reset_index(drop=True)
    return out


def loss_lens(
    deal: pd.Series, closed: pd.DataFrame, accounts: pd.DataFrame | None
) -> dict[str, Any]:
    """Past losses at similar accounts (same industry): the two reasons to guard against, and no-decision risk.

    Without an industry for the deal's account, every closed deal counts as similar
    (``compared_with`` says which). ``outsold`` and ``should_not_have_been_there`` are
    None when the deals have no loss_reason column; ``no_decision_share`` (no decision /
    similar closed deals) is NaN when no similar deal closed or when no closed deal at all
    is recorded as no decision (the data cannot tell it from a loss).
    """
    similar = closed
    industry = None
    if (
        accounts is not None
        and "industry" in accounts
        and deal["account_id"] in set(accounts["account_id"])
    ):
        found = (
            accounts.drop_duplicates("account_id")
            .set_index("account_id")
            .loc[deal["account_id"], "industry"]
        )
        if isinstance(found, str):
            industry = found
            same = accounts.loc[accounts["industry"] == industry, "account_id"]
            similar = closed[closed["account_id"].isin(same)]
    recorded = bool((closed["outcome"] == "no_decision").any())
    reasons = pipeline.loss_reasons(similar)
    groups = reasons.groupby("group")["deals"].sum() if len(reasons) else pd.Series(dtype=float)
    total = len(similar)
    has_reasons = "loss_reason" in closed
    return {
        "compared_with": f"same industry ({industry})" if industry else "all closed deals",
        "industry": industry,
        "closed_deals": total,
        "won": int((similar["outcome"] == "won").sum()),
        "should_not_have_been_there": int(groups.get("should not have been there", 0))
        if has_reasons
        else None,
        "outsold": int(groups.get("outsold", 0)) if has_reasons else None,
        "no_decision_share": float((similar["outcome"] == "no_decision").mean())
        if total and recorded
        else math.nan,
    }


def lens_table(
    cases: pd.DataFrame, closed: pd.DataFrame, accounts: pd.DataFrame | None
) -> pd.DataFrame:
    """:func:`loss_lens` for every case, one row each."""
    return pd.DataFrame(
        [
            {"opportunity_id": r["opportunity_id"], **loss_lens(r, closed, accounts)}
            for _, r in cases.iterrows()
        ]
    )


# --------------------------------------------------------------------------- the playbook
def playbook(
    deal: pd.Series,
    facts: Mapping[str, pd.DataFrame],
    lens: Mapping[str, Any] | None,
    *,
    areas: list[str],
    product: str | None = None,
) -> pd.DataFrame:
    """The one-deal playbook: the sections the room must settle, prefilled where data exists."""
    todo = "[to settle in the room]"
    contacts = facts.get("contacts", pd.DataFrame())
    dm = (
        contacts.loc[contacts["role"] == "decision_maker", "full_name"]
        .dropna()
        .astype(str)
        .tolist()
        if {"role", "full_name"} <= set(contacts.columns)
        else []
    )
    gaps = (
        facts["relationship_gaps"]["missing role"].tolist() if "relationship_gaps" in facts else []
    )
    lens = lens or {}
    comp = deal.get("competitor")
    offer = product or (deal.get("product_id") if isinstance(deal.get("product_id"), str) else None)
    if isinstance(comp, str):
        outsold = lens.get("outsold")
        beat = f"Competing with {comp}" + (
            f"; at similar accounts we were outsold {outsold} times. "
            if outsold is not None
            else ". "
        )
    elif "competitor" in deal.index:
        beat = "No named competitor: confirm there is none. "
    else:
        beat = "Competitor not recorded: find out who else is bidding. "
    risk = lens.get("no_decision_share")
    negotiate = (
        f"No-decision risk at similar accounts: {risk:.0%}; protect the business case "
        f"against the status quo. {todo}"
        if risk is not None and not pd.isna(risk)
        else todo
    )
    rows = [
        (
            "What to sell",
            f"{offer or 'the offer'} (current proposal); areas to shape: {', '.join(areas)}. {todo}",
        ),
        (
            "How to sell it",
            (
                f"Closed since the quarter's end ({deal['outcome'].replace('_', ' ')} on "
                f"{_day(deal.get('close_date'))}): what would the room have changed? "
                if deal.get("outcome") in ("won", "lost", "no_decision")
                else f"Stage {_shown(deal.get('stage'))}; expected close "
                f"{_day(deal.get('close_date'))}. "
            )
            + todo,
        ),
        (
            "What to communicate to whom",
            (
                f"Decision makers: {', '.join(dm)}. "
                if dm
                else "No decision maker known: find one first. "
            )
            + (f"Missing roles: {', '.join(gaps)}. " if gaps else "")
            + todo,
        ),
        ("How to beat the competition", beat + todo),
        ("What to negotiate, and what not", negotiate),
    ]
    return pd.DataFrame(rows, columns=["section", "content"])


def _day(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat() if pd.notna(value) else "not set"


def product_name(deal: pd.Series, products: pd.DataFrame | None) -> str | None:
    """The deal's product name, if the products table knows it."""
    pid = deal.get("product_id")
    if products is None or not isinstance(pid, str):
        return None
    names = products.drop_duplicates("product_id").set_index("product_id")["product_name"]
    name = names.get(pid)
    return str(name) if isinstance(name, str) else pid


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def playbook_name(opportunity_id: str) -> str:
    """A safe file stem for a deal's playbook export: ``playbook_<id>``.

    Only ASCII letters, digits, ``-`` and ``_`` are kept (runs of anything else, path
    separators and dots included, become one ``_``: the exporter adds the ``.xlsx`` /
    ``.csv`` suffix and would cut at a dot); at most 60 characters of the id; when the
    id had to be changed, a short hash of the original is added so two ids never share
    a file.

    Example
    -------
    >>> playbook_name("OP001862")
    'playbook_OP001862'
    >>> playbook_name("OP/../../../../other/accounts")[:27]
    'playbook_OP_other_accounts_'
    """
    text = str(opportunity_id)
    safe = _UNSAFE.sub("_", text).strip("_-")[:60].strip("_-")
    if safe == text and safe:
        return f"playbook_{safe}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"playbook_{safe}_{digest}" if safe else f"playbook_{digest}"


# --------------------------------------------------------------------------- chart
_HATCHES = ("", "//", "..", "xx", "\\\\")  # criteria told apart in greyscale too


def plot_scores(table: pd.DataFrame, *, top: int = 10, ax: Axes | None = None) -> Axes:
    """Stacked bars of each top candidate's score by criterion (a :func:`candidates` table).

    Labels come from the column ``label`` when present, else ``opportunity_id``.
    """
    ax = get_ax(ax, figsize=(8, 0.45 * min(len(table), top) + 1.6))
    head = table.head(top).iloc[::-1]
    labels = (head["label"] if "label" in head else head["opportunity_id"]).astype(str).tolist()
    left = np.zeros(len(head))
    for color, hatch, name in zip(PALETTE, _HATCHES, WEIGHTS, strict=False):
        values = head[f"score_{name}"].to_numpy(dtype=float)
        ax.barh(
            range(len(head)),
            values,
            left=left,
            color=color,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.5,
            label=f"{name} ({WEIGHTS[name]:.0%})",
        )
        left += values
    ax.set_yticks(range(len(head)), labels=labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0-1)")
    parts = {n: float(head[f"score_{n}"].sum()) for n in WEIGHTS}
    most = max(parts, key=lambda n: parts[n])
    ax.set_title(
        f"The top {len(head)} scores: {most} gives the largest part"
        if len(head) > 1
        else f"The score by criterion: {most} gives the largest part"
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return ax


# --------------------------------------------------------------------------- analyze
@dataclass(frozen=True)
class _Run:
    """What every section of one analysis shares."""

    params: Params
    per: analysis.Periods
    currency: str
    today: datetime.date | None  # the run date, read once (None when start_date pins it)
    start: pd.Timestamp
    source: str  # where start came from: "run date", "quarter end", "parameter"
    days: pd.DatetimeIndex  # the weekdays a war room may take
    tables: Mapping[str, pd.DataFrame]
    opps: pd.DataFrame  # the opportunities, an outcome on every row
    inferred: int  # outcomes read from the stage name

    @property
    def q(self) -> str:
        return self.per.quarter

    @property
    def as_of(self) -> pd.Timestamp:
        return self.per.quarter_window.end


_Part = analysis.Section  # what one section adds to the result


def _check(params: Params) -> None:
    if params.capacity < 1:
        raise UsageError(f"capacity must be at least 1 war room, not {params.capacity}")
    if params.lead_days < 0 or params.window_days < 1:
        raise UsageError(
            "lead_days must be 0 or more and window_days 1 or more "
            f"(got {params.lead_days} and {params.window_days})"
        )
    agenda(start=params.start_time)  # raises on a malformed time of day


def analyze(data: DataSet, params: Params) -> WarRoomAnalysis:
    """The war room over ``data``: cases, the day, the brief, the loss lens, the playbook.

    Deterministic given ``params``, except that an empty ``start_date`` reads the run date
    once (recorded in ``extras["run_date"]``, the assumptions and ``metrics["start_date"]``).
    Raises :class:`~salesnb.analysis.NotAnalysable` without opportunities, and
    :class:`~salesnb.schema.DataError` when ``opportunity_id`` is not an open deal.
    """
    analysis.require(data, CORE, "the war room")
    _check(params)
    per = analysis.periods(data, params, kind="quarter")
    today = _today() if not params.start_date else None
    start, source = start_from(per.quarter_window.end, params.start_date, today)
    opps, inferred = pipeline.with_outcomes(data.tables["opportunities"])
    run = _Run(
        params=params,
        per=per,
        currency=params.currency or data.settings.currency,
        today=today,
        start=start,
        source=source,
        days=search_days(start, lead_days=params.lead_days, window_days=params.window_days),
        tables=data.tables,
        opps=opps,
        inferred=inferred,
    )
    t = data.tables
    status = deal_status(opps, run.as_of)
    considered = run.opps[status == "open"]
    still_open = considered[considered["outcome"] == "open"]
    stage_order = list(pipeline.funnel(still_open, as_of=run.as_of)["stage"])
    ranked = candidates(
        considered,
        tiers=tiering.default_scorecard(
            t.get("accounts"),
            run.opps,
            year=run.as_of.year,
            prior_spend=tiering.spend_before(data, per.quarter_window.start),
        ),
        contacts=t.get("contacts"),
        buying_centers=t.get("buying_centers"),
        stages=stage_order,
    )
    if params.opportunity_id and params.opportunity_id not in set(ranked["opportunity_id"]):
        raise _not_a_case(params.opportunity_id, run.opps, status, ranked, run.q)
    ranked.insert(2, "account_name", _names(ranked, t.get("accounts")))
    ranked["label"] = _deal_labels(ranked)
    cases = select(ranked, capacity=params.capacity, opportunity_id=params.opportunity_id)
    areas = areas_for(cases, t.get("products"), rules={"large_deal": params.large_deal})

    parts = [
        _Part(
            extras={
                "run_date": None if today is None else today.isoformat(),
                "start_date": f"{start:%Y-%m-%d}",
                "start_source": source,
                "top_deal": None,
                "rep_leaves_at": None,
                "playbook_file": "playbook",
            }
        )
    ]
    plan = ros = lens = None
    if cases.empty:
        parts.append(
            _Part(absent=dict.fromkeys(_ABSENT_WITHOUT_CASES, _no_case_reason(status, run)))
        )
    else:
        parts.append(_rank_part(run, ranked, cases, areas))
        day = _day_part(run, cases, areas)
        plan, ros = day.tables.get("schedule"), day.tables.get("roster")
        deal = _deal_part(run, cases, areas)
        lens = deal.tables.get("loss_lens")
        parts += [day, deal]
    merged = _Part()
    for part in parts:
        for name in ("tables", "notes", "absent", "extras"):
            getattr(merged, name).update(getattr(part, name))
    return WarRoomAnalysis(
        params=params,
        periods=per,
        currency=run.currency,
        tables=merged.tables,
        notes=merged.notes,
        absent=merged.absent,
        metrics={
            "cases_selected": len(cases),
            "cases_scheduled": None if plan is None else int(plan["date"].notna().sum()),
            "experts_needed": int(sum(len(v) for v in areas.values())),
            "start_date": f"{start:%Y-%m-%d}",
        },
        findings=_findings(run, ranked, cases, plan, areas, lens, status),
        assumptions=_assumptions(run, considered, stage_order),
        coverage=_coverage(data, run, status, considered, cases, ros),
        extras=merged.extras,
        headline=_headline(run, ranked, cases, plan, areas),
        actions=_actions(run, cases, plan, areas),
    )


def _headline(
    run: _Run,
    ranked: pd.DataFrame,
    cases: pd.DataFrame,
    plan: pd.DataFrame | None,
    areas: dict[str, list[str]],
) -> tuple[analysis.KPI, ...]:
    """Headline figures: the deals considered, the cases, their value, the days, the experts."""
    day = f"{run.as_of:%Y-%m-%d}"
    none = "no open deal with an amount and an account"
    dates = plan["date"].dropna() if plan is not None else pd.Series(dtype="object")
    first = (  # the case of the earliest day
        cases.set_index("opportunity_id")["label"].get(
            plan.loc[dates.sort_values(kind="stable").index[0], "opportunity_id"]
        )
        if len(dates)
        else None
    )
    mode = (
        f"single-deal mode: {run.params.opportunity_id}"
        if run.params.opportunity_id
        else f"capacity {run.params.capacity} war rooms"
    )
    return (
        analysis.KPI(
            "Open deals considered",
            len(ranked),
            "count",
            f"open on {day} with an amount and an account",
        ),
        analysis.KPI("War-room cases", len(cases), "count", mode if len(cases) else none),
        analysis.KPI(
            "Value of the cases",
            float(cases["amount"].sum()) if len(cases) else None,
            "money",
            "the cases' deal amounts" if len(cases) else none,
        ),
        analysis.KPI(
            "Cases with a day",
            None if plan is None else int(plan["date"].notna().sum()),
            "count",
            f"of {len(plan)}: every needed expert free"
            if plan is not None
            else ("no experts table: add experts.csv" if len(cases) else none),
        ),
        analysis.KPI(
            "Expert-days needed",
            int(sum(len(v) for v in areas.values())) if len(cases) else None,
            "count",
            "one expert per area a case needs" if len(cases) else none,
        ),
        analysis.KPI(
            "First war room",
            pd.Timestamp(min(dates)) if len(dates) else None,
            "date",
            str(first)
            if first is not None
            else (
                "no day found: see the schedule" if plan is not None else "no day could be proposed"
            ),
        ),
    )


def _actions(
    run: _Run, cases: pd.DataFrame, plan: pd.DataFrame | None, areas: dict[str, list[str]]
) -> tuple[str, ...]:
    """The candidate deals to take to the war room, by name, with the day and the experts."""
    when = {} if plan is None else dict(zip(plan["opportunity_id"], plan["date"], strict=True))
    blocked = (
        {}
        if plan is None or "why_no_date" not in plan
        else dict(zip(plan["opportunity_id"], plan["why_no_date"], strict=True))
    )
    out = []
    for r in cases.head(5).itertuples():
        oid, name = str(r.opportunity_id), str(r.account_name)
        amount = analysis.format_value(r.amount, "money", run.currency)
        since = _closed_since(cases.loc[[r.Index]]).iloc[0]
        owner = getattr(r, "owner", None)
        who = f", {owner}" if isinstance(owner, str) and owner.strip() else ""
        if since:
            out.append(
                f"Look back at the {amount} deal with {name} ({oid}{who}), {since}: what would "
                "a war room have changed?"
            )
            continue
        day = when.get(oid)
        text = f"Take the {amount} deal with {name} ({oid}{who}) to the war room"
        if isinstance(day, str):
            text += f" on {day}: invite the {_and(areas[oid])} experts."
        elif plan is None:
            text += f": it needs {_and(areas[oid])} experts; add experts.csv to find a day."
        else:
            text += f": no day found ({blocked.get(oid) or 'see the schedule'})."
        out.append(text)
    return tuple(out)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _deal_labels(deals: pd.DataFrame) -> pd.Series:
    """A deal as people name it: its own name (``opportunity_name``) when the export has one,
    else its account's, then the id that tells two deals of one account apart:
    ``Ulwick Software (OP001295)``."""
    name = deals["account_name"].astype("object")
    if "opportunity_name" in deals:
        own = deals["opportunity_name"].astype("object")
        name = own.where(own.notna() & (own.astype(str).str.strip() != ""), name)
    ids = deals["opportunity_id"].astype(str)
    same = name.astype(str) == ids  # no name known: the id alone
    return (name.astype(str) + " (" + ids + ")").where(~same, ids)


def _names(deals: pd.DataFrame, accounts: pd.DataFrame | None) -> pd.Series:
    """Account names for the deals (the id when the name is unknown)."""
    if accounts is None:
        return deals["account_id"].astype("object")
    names = accounts.drop_duplicates("account_id").set_index("account_id")["account_name"]
    return deals["account_id"].map(names).fillna(deals["account_id"]).astype("object")


_ABSENT_WITHOUT_CASES = (
    "candidates",
    "scores",
    "cases",
    "schedule",
    "roster",
    "agenda",
    "brief_facts",
    "brief_history",
    "brief_contacts",
    "brief_gaps",
    "brief_buying_centers",
    "loss_lens",
    "playbook",
)


def _no_case_reason(status: pd.Series, run: _Run) -> str:
    n_open = int(status.isin(["open", "no amount", "no account"]).sum())
    day = f"{run.as_of:%Y-%m-%d}"
    if n_open == 0:
        return (
            f"No deal is open at {day} (the end of {run.q}), so there is no case for a war room: add open "
            f"deals (outcome open, or a close date after {day}) or choose another quarter."
        )
    return (
        f"None of the {n_open:,} deals open at {day} (the end of {run.q}) has both an amount "
        "and an account, so there is no case for a war room: add amount and account_id to the "
        "open deals."
    )


def _common_unknown(ranked: pd.DataFrame) -> str:
    """The unknown criteria most deals share ("" when every criterion was known)."""
    unknown = ranked["reason"].str.partition("; unknown: ")[2]
    return str(unknown.mode().iloc[0]) if (unknown != "").any() else ""


def _rank_part(
    run: _Run, ranked: pd.DataFrame, cases: pd.DataFrame, areas: dict[str, list[str]]
) -> _Part:
    keep = ["opportunity_id", "account_name", "amount", "stage", "owner", "tier", "score", "reason"]
    keep += [f"score_{n}" for n in WEIGHTS] + ["label"]
    rules = {"large_deal": run.params.large_deal}
    products = run.tables.get("products")
    chosen = cases[
        [c for c in ("opportunity_id", "account_name", "amount", "stage", "owner") if c in cases]
    ]
    chosen = chosen.assign(
        areas=[", ".join(areas[i]) for i in cases["opportunity_id"]],
        areas_not_checked=[area_gaps(r, products, rules=rules) for _, r in cases.iterrows()],
        reason=cases["reason"].to_numpy(),
    )
    common = _common_unknown(ranked)
    if common:  # said once in the note, not on every row
        shared = ranked["reason"].str.partition("; unknown: ")[2] == common
        ranked = ranked.assign(
            reason=ranked["reason"].where(~shared, ranked["reason"].str.partition("; unknown: ")[0])
        )
    chosen = _without_empty(chosen, ["areas_not_checked"])
    top = ranked.iloc[0]
    oid = run.params.opportunity_id
    if oid:
        rank = int(ranked.index[ranked["opportunity_id"] == oid][0]) + 1
        mode = f"Single-deal mode: {oid} ranks {rank} of {len(ranked):,}."
    else:
        mode = (
            f"The top {len(cases)} of {len(ranked):,} open deals get a war room "
            f"(capacity {run.params.capacity})."
        )
    gaps = [g for g in chosen.get("areas_not_checked", []) if g]
    return _Part(
        tables={"candidates": ranked[[c for c in keep if c in ranked]], "cases": chosen},
        notes={
            "candidates": (
                f"{len(ranked):,} deals are open at {run.as_of:%Y-%m-%d} (the end of {run.q}) "
                f"with an amount and an account; the best candidate is {top['label']} "
                f"(score {top['score']:.2f} of 1)."
                + (
                    f" The data cannot tell {common}: those criteria add nothing to any score."
                    if common
                    else ""
                )
            ),
            "cases": mode + (f" Area rules not checked: {gaps[0]}." if gaps else ""),
        },
        extras={"top_deal": str(top["opportunity_id"])},
    )


def _day_part(run: _Run, cases: pd.DataFrame, areas: dict[str, list[str]]) -> _Part:
    experts = run.tables.get("experts")
    if experts is None:
        return _Part(absent=dict.fromkeys(("schedule", "roster", "agenda"), EXPERTS_MISSING))
    p = run.params
    plan = schedule(
        cases,
        experts,
        areas=areas,
        as_of=run.start,
        lead_days=p.lead_days,
        window_days=p.window_days,
    )
    plan.insert(1, "account_name", cases["account_name"].to_numpy())
    ros = roster(experts, plan, areas=areas, days=run.days)
    first = plan.iloc[0]
    named = (ros["expert"] != ros["expert_id"]).all()  # every expert has a name: ids add nothing
    shown_plan = _without_empty(plan.drop(columns="expert_ids"), ["why_no_date"])
    shown_roster = _without_empty(
        ros.drop(columns="expert_id") if named else ros, ["away_on_proposed_dates"]
    )
    owner = cases["owner"].iloc[0] if "owner" in cases else None
    rep = owner if isinstance(owner, str) and owner.strip() else "the sales rep"
    crew = first["experts"].split("; ") if first["experts"] else areas[first["opportunity_id"]]
    day = agenda(start=p.start_time, rep=rep, experts=crew)
    leaves = rep_leaves_at(day)
    # who attends, briefly: the experts are named once, in the schedule
    day = day.assign(
        who=np.where(day["rep_in_room"], f"{rep} and the experts", "the experts, without the rep")
    )
    when = f"on {first['date']}" if isinstance(first["date"], str) else "(no date found yet)"
    counts = ros["status"].value_counts()
    return _Part(
        tables={"schedule": shown_plan, "roster": shown_roster, "agenda": day},
        notes={
            "schedule": (
                f"Days are searched {p.lead_days} to {p.lead_days + p.window_days} days after "
                f"{run.start:%Y-%m-%d} (the start date). " + schedule_note(plan)
            ),
            "roster": (
                f"Experts: {int(counts.get('booked', 0))} booked, "
                f"{int(counts.get('free on a proposed date', 0))} free on a proposed date, "
                f"{int(counts.get('away on every proposed date', 0))} away on every proposed "
                f"date, {int(counts.get('area not needed', 0))} in an area no case needs "
                f"({len(ros)} in all)."
            ),
            "agenda": (
                f"The day for {first['opportunity_id']} {when}, with {rep}"
                + ("" if isinstance(owner, str) else " (the deal has no owner recorded)")
                + f"; the rep leaves the room for step {leaves}."
            ),
        },
        extras={"rep_leaves_at": leaves},
    )


def _without_empty(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``table`` without those of ``columns`` that hold nothing on any row (a blank column)."""
    empty = [
        c
        for c in columns
        if c in table and table[c].replace("", pd.NA).isna().all()  # noqa: PD101
    ]
    return table.drop(columns=empty)


def _brief_reasons(t: Mapping[str, pd.DataFrame], name: str) -> dict[str, tuple[str, str]]:
    """Brief table -> (key of :func:`brief`, why it is absent when that key is missing)."""
    no_contacts = "contacts" not in t
    return {
        "brief_contacts": (
            "contacts",
            "No contacts table, so the people at the account are unknown: add contacts.csv "
            "(contact_id, account_id, full_name, role)."
            if no_contacts
            else f"The contacts table has nobody at {name}: add the people you know there "
            "to contacts.csv.",
        ),
        "brief_gaps": (
            "relationship_gaps",
            "No contacts table, so missing decision makers, influencers and champions cannot "
            "be found: add contacts.csv (contact_id, account_id, full_name, role)."
            if no_contacts
            else "The contacts have no role column, so missing decision makers, influencers "
            "and champions cannot be found: add role (decision_maker, influencer, champion).",
        ),
        "brief_buying_centers": (
            "buying_centers",
            "No buying_centers table, so the account's buying centers are unknown: add "
            "buying_centers.csv (account_id, buying_center, ...)."
            if "buying_centers" not in t
            else f"The buying_centers table has none at {name}: add them to buying_centers.csv.",
        ),
    }


def _deal_part(run: _Run, cases: pd.DataFrame, areas: dict[str, list[str]]) -> _Part:
    t, per = run.tables, run.per
    deal = cases.iloc[0]
    oid, name = str(deal["opportunity_id"]), str(deal["account_name"])
    facts = brief(deal, {**t, "opportunities": run.opps}, currency=run.currency)
    tables = {"brief_facts": facts["facts"], "brief_history": facts["history"]}
    part = _Part(
        tables=tables,
        notes={"brief": f"The brief for {oid} ({name}), the first case."},
    )
    for table, (key, why) in _brief_reasons(t, name).items():
        if key in facts:
            part.tables[table] = facts[key]
        else:
            part.absent[table] = why
    lens = None
    closed = pipeline.closed_in(run.opps, *per.ttm.bounds)
    if closed.empty:
        part.absent["loss_lens"] = (
            f"No deal closed in the four quarters to {run.q} ({per.ttm.start:%Y-%m-%d} to "
            f"{per.ttm.end:%Y-%m-%d}), so there are no past losses to learn from: add closed "
            "deals (outcome won, lost or no_decision, with a close date)."
        )
    else:
        lens = lens_table(cases, closed, t.get("accounts"))
        part.tables["loss_lens"] = lens
        part.notes["loss_lens"] = _lens_note(lens.iloc[0], run.q)
    book = playbook(
        deal,
        facts,
        None if lens is None else lens.iloc[0].to_dict(),
        areas=areas[deal["opportunity_id"]],
        product=product_name(deal, t.get("products")),
    )
    part.tables["playbook"] = book
    part.extras["playbook_file"] = playbook_name(oid)
    settle = int(book["content"].str.contains("to settle in the room", regex=False).sum())
    part.notes["playbook"] = (
        f"The playbook for {oid} ({name}): {settle} of {len(book)} sections are left for "
        "the room to settle."
    )
    return part


def _lens_note(row: pd.Series, quarter: str) -> str:
    text = (
        f"For {row['opportunity_id']}, compared with {row['compared_with']}: "
        f"{int(row['closed_deals']):,} deals closed in the four quarters to {quarter}, "
        f"{int(row['won']):,} won"
    )
    if row["outsold"] is None or pd.isna(row["outsold"]):
        text += " (no loss_reason column, so outsold and bad qualification cannot be told apart)"
    else:
        text += (
            f", {int(row['outsold']):,} outsold and {int(row['should_not_have_been_there']):,} "
            "where we should not have been"
        )
    risk = row["no_decision_share"]
    if pd.notna(risk):
        text += f"; {risk:.0%} ended with no decision"
    elif row["closed_deals"]:
        text += "; no deal is recorded as no decision, so that risk is unknown"
    return text + "."


_ORIGIN = {
    "run date": "the run date, later than the end of {q}",
    "quarter end": "the end of {q}",
    "parameter": "set by start_date",
}


def _findings(
    run: _Run,
    ranked: pd.DataFrame,
    cases: pd.DataFrame,
    plan: pd.DataFrame | None,
    areas: dict[str, list[str]],
    lens: pd.DataFrame | None,
    status: pd.Series,
) -> tuple[str, ...]:
    if cases.empty:
        return (_no_case_reason(status, run).split(":")[0] + ".",)
    closed_since = int(cases["outcome"].isin(["won", "lost", "no_decision"]).sum())
    out = [
        f"{len(cases)} of {len(ranked):,} open deals get a war room: "
        + "; ".join(
            f"{r.label}, {r.amount:,.0f} {run.currency}".rstrip() for r in cases.itertuples()
        )
        + "."
        + (
            f" {closed_since} of them closed after the quarter's end: for {run.q} this is a "
            "look back, not a plan."
            if closed_since
            else ""
        )
    ]
    origin = _ORIGIN[run.source].format(q=run.q)
    if plan is None:
        out.append(
            "No experts table, so no day could be proposed; the cases, the brief and the "
            "playbook still stand."
        )
    else:
        out.append(
            f"{int(plan['date'].notna().sum())} of {len(plan)} war rooms have a weekday on which "
            f"every needed expert is free, {run.params.lead_days} to "
            f"{run.params.lead_days + run.params.window_days} days after {run.start:%Y-%m-%d} "
            f"({origin})."
        )
    needs = pd.Series([a for v in areas.values() for a in v]).value_counts()
    out.append(
        f"The cases need {int(needs.sum())} expert-days: "
        + ", ".join(f"{a} {n}" for a, n in needs.items())
        + "."
    )
    if lens is not None:
        out.append("Loss lens: " + _lens_note(lens.iloc[0], run.q))
    if common := _common_unknown(ranked):
        out.append(f"The ranking could not use {common}.")
    return tuple(out[:5])


def _assumptions(
    run: _Run, considered: pd.DataFrame, stage_order: list[str]
) -> tuple[analysis.Assumption, ...]:
    p, end = run.params, f"{run.as_of:%Y-%m-%d}"
    source, note = {
        "run date": (
            "from the run date",
            f"run on {run.today}, after the quarter's end ({end}); set start_date to pin it",
        ),
        "quarter end": (
            "from the quarter end",
            f"the quarter's end ({end}) is after the run date ({run.today}); set start_date "
            "to pin it",
        ),
        "parameter": ("set for this run", "parameter start_date"),
    }[run.source]
    out = [
        analysis.Assumption(
            "start_date", "Dates are proposed from", f"{run.start:%Y-%m-%d}", source, note
        ),
        analysis.assume(
            p,
            "lead_days",
            "Days from the start date to the earliest war room",
            note="parameter lead_days: invite a month ahead",
        ),
        analysis.assume(
            p, "window_days", "Days in which a date may be found", note="parameter window_days"
        ),
        analysis.assume(p, "capacity", "War rooms this quarter", note="parameter capacity"),
        analysis.assume(
            p,
            "large_deal",
            "Deal size that also needs legal and finance",
            shown=f"{p.large_deal:,.0f} {run.currency}".rstrip(),
            note="parameter large_deal",
        ),
        analysis.assume(p, "start_time", "The day starts at", note="parameter start_time"),
        analysis.Assumption(
            "weights",
            "Candidate score",
            ", ".join(f"{k} {v:.0%}" for k, v in WEIGHTS.items()),
            "built in",
            "size on a log scale within the open deals; tier T1 or Global; complexity from "
            "buying centers and contacts; a named competitor; a mid-funnel stage",
        ),
        analysis.Assumption(
            "area_rules",
            "Expert areas a case needs",
            "product and pricing always; legal and finance from large_deal; industry with a "
            "competitor; delivery for services or integration, security for platform",
            "built in",
            "fixed in the kit (salesnb.warroom.AREA_RULES); large_deal sets the deal size",
        ),
        analysis.Assumption(
            "weekdays",
            "War-room days",
            "Monday to Friday",
            "built in",
            "public holidays are not known: add them to each expert's unavailable_dates",
        ),
        analysis.Assumption(
            "agenda",
            "Minutes per step of the day",
            ", ".join(str(m) for _, m in AGENDA),
            "built in",
            "seven steps; the rep is out of step 3",
        ),
        analysis.Assumption(
            "tiers",
            "Tiers",
            "account tiering's default scorecard",
            "built in",
            "salesnb.tiering.default_scorecard (deal size: the median won deal)",
        ),
        analysis.Assumption(
            "stage_order",
            "Stage order (for mid-funnel)",
            " > ".join(map(str, stage_order)) or "no open stage",
            "from the data",
            "by median probability of the open deals"
            if "probability" in considered
            else "by median age of the open deals (no probability column)",
        ),
        analysis.Assumption(
            "similar",
            "Similar deals (loss lens)",
            f"same industry, closed in the four quarters to {run.q}",
            "built in",
            "all closed deals when the account has no industry",
        ),
    ]
    if run.inferred:
        out.append(
            analysis.Assumption(
                "outcome",
                "Outcomes read from stage names",
                f"{run.inferred:,} deals",
                "from the data",
                "no outcome recorded: Closed Won -> won, Closed Lost -> lost, No Decision -> "
                "no_decision, any other stage -> open; add outcome to opportunities.csv",
            )
        )
    return tuple(out)


def _by_account(
    name: str, table: pd.DataFrame | None, ids: set[Any], why: str
) -> list[tuple[str, int, int, dict[str, int]]]:
    if table is None or "account_id" not in table:
        return []
    used = int(table["account_id"].isin(ids).sum())
    return [(name, len(table), used, {why: len(table) - used})]


def _coverage(
    data: DataSet,
    run: _Run,
    status: pd.Series,
    considered: pd.DataFrame,
    cases: pd.DataFrame,
    ros: pd.DataFrame | None,
) -> analysis.Coverage:
    t, opps, per = run.tables, run.opps, run.per
    counts = status.value_counts()
    rows: list[tuple[str, int, int, dict[str, int]]] = [
        (
            "opportunities (open deals)",
            len(opps),
            int(counts.get("open", 0)),
            {str(k): int(v) for k, v in counts.items() if k != "open"},
        )
    ]
    closed = opps["outcome"].isin(["won", "lost", "no_decision"])
    in_ttm = closed & opps["close_date"].between(*per.ttm.bounds)
    rows.append(
        (
            "opportunities (closed, loss lens)",
            int(closed.sum()),
            int(in_ttm.sum()),
            {f"closed outside the four quarters to {run.q}": int((closed & ~in_ttm).sum())},
        )
    )
    ids = set(considered["account_id"])
    rows += _by_account("accounts", t.get("accounts"), ids, "no open deal considered")
    rows += _by_account("contacts", t.get("contacts"), ids, "at accounts without an open deal")
    rows += _by_account(
        "buying_centers", t.get("buying_centers"), ids, "at accounts without an open deal"
    )
    products = t.get("products")
    if products is not None:
        sold = set(cases["product_id"].dropna()) if "product_id" in cases else set()
        used = int(products["product_id"].isin(sold).sum())
        rows.append(("products", len(products), used, {"no case sells it": len(products) - used}))
    experts = t.get("experts")
    if experts is not None and ros is None:
        rows.append(("experts", len(experts), 0, {"no case to staff": len(experts)}))
    elif experts is not None and ros is not None:
        c = ros["status"].value_counts()
        rows.append(
            (
                "experts",
                len(experts),
                int(c.get("booked", 0) + c.get("free on a proposed date", 0)),
                {
                    "away on every proposed date": int(c.get("away on every proposed date", 0)),
                    "area not needed by any case": int(c.get("area not needed", 0)),
                },
            )
        )
    return analysis.coverage(data, per.quarter_window, rows)


WarRoomAnalysis.charts = {
    "scores": analysis.Chart(
        ("candidates",), lambda a, ax: plot_scores(a.tables["candidates"], ax=ax)
    ),
}

_T = analysis.TableSpec
WarRoomAnalysis.specs = {
    "candidates": _T(
        "Open deals ranked for a war room",
        {
            "opportunity_id": "id",
            "account_name": "text",
            "amount": "money",
            "stage": "text",
            "owner": "text",
            "tier": "text",
            "score": "number",
            "reason": "text",
            **{f"score_{n}": "number" for n in WEIGHTS},
            "label": "text",
        },
        labels={
            "opportunity_id": "Deal",
            "account_name": "Account",
            "score": "Score (0-1)",
            "reason": "Why",
            **{f"score_{n}": f"Score: {n}" for n in WEIGHTS},
        },
        source="Score: 40% size (log scale), 20% tier T1 or Global, 20% complexity, "
        "10% a named competitor, 10% a mid-funnel stage.",
    ),
    "cases": _T(
        "This quarter's war-room cases",
        {
            "opportunity_id": "id",
            "account_name": "text",
            "amount": "money",
            "stage": "text",
            "owner": "text",
            "areas": "text",
            "areas_not_checked": "text",
            "reason": "text",
        },
        labels={
            "opportunity_id": "Deal",
            "account_name": "Account",
            "areas": "Expert areas needed",
            "areas_not_checked": "Area rules not checked",
            "reason": "Why",
        },
    ),
    "schedule": _T(
        "The proposed days and the experts booked",
        {
            "opportunity_id": "id",
            "account_name": "text",
            "date": "date",
            "experts": "text",
            "expert_ids": "id",
            "why_no_date": "text",
        },
        labels={
            "opportunity_id": "Deal",
            "account_name": "Account",
            "experts": "Experts (area: name)",
            "why_no_date": "Why no date",
        },
    ),
    "roster": _T(
        "The experts and their part in the plan",
        {
            "expert": "text",
            "expert_id": "id",
            "area": "text",
            "status": "text",
            "booked_on": "text",
            "away_on_proposed_dates": "text",
        },
        labels={"booked_on": "Booked on", "away_on_proposed_dates": "Away on proposed dates"},
    ),
    "agenda": _T(
        "The day, step by step",
        {
            "step": "count",
            "from": "text",
            "to": "text",
            "what": "text",
            "who": "text",
            "rep_in_room": "bool",
        },
        labels={"rep_in_room": "Rep in the room"},
    ),
    "brief_facts": _T("The deal and its account", {"fact": "text", "value": "text"}),
    "brief_history": _T(
        "The account's deals with us, by outcome",
        {"outcome": "text", "deals": "count", "amount": "money"},
    ),
    "brief_contacts": _T(
        "The people we know at the account",
        {
            "full_name": "text",
            "title": "text",
            "department": "text",
            "role": "text",
            "linkedin_connected": "bool",
            "contact_id": "id",
        },
        labels={"full_name": "Name", "linkedin_connected": "LinkedIn connected"},
    ),
    "brief_gaps": _T("Roles nobody holds yet", {"missing role": "text"}),
    "brief_buying_centers": _T(
        "The account's buying centers",
        {
            "buying_center": "text",
            "wallet_size": "money",
            "our_revenue": "money",
            "sales_goal": "money",
            "relationship_status": "text",
            "competitor": "text",
            "key_initiatives": "text",
            "growth_trend": "text",
            "engagement_score": "number",
        },
        labels={"relationship_status": "Relationship"},
    ),
    "loss_lens": _T(
        "Past losses at similar accounts (four quarters)",
        {
            "opportunity_id": "id",
            "compared_with": "text",
            "industry": "text",
            "closed_deals": "count",
            "won": "count",
            "should_not_have_been_there": "count",
            "outsold": "count",
            "no_decision_share": "percent",
        },
        labels={
            "opportunity_id": "Deal",
            "closed_deals": "Closed deals",
            "should_not_have_been_there": "Should not have been there",
            "no_decision_share": "No decision",
        },
    ),
    "playbook": _T("The playbook", {"section": "text", "content": "text"}),
}


# --------------------------------------------------------------------------- training (issue 14)
EXERCISE_MORE_ROOMS = 2  # exercise 3 adds this many war rooms to the capacity


@dataclass(frozen=True)
class Scenario:
    """Exercise 4's brief: the next deal in line, the areas it needs, the days and who is free.

    ``free`` maps each weekday of the search window to, per needed area, the experts (ids)
    who are neither away nor booked for one of the quarter's cases that day; ``plans`` are
    the valid plans (date, expert names), the module's own first.
    """

    deal: pd.Series
    areas: list[str]
    days: pd.DatetimeIndex
    calendar: pd.DataFrame
    plans: list[dict[str, Any]]


def _deal_rows(data: DataSet, ids: list[str]) -> pd.DataFrame:
    opps, _ = pipeline.with_outcomes(data.tables["opportunities"])
    rows = opps.drop_duplicates("opportunity_id").set_index("opportunity_id")
    return rows.loc[[i for i in ids if i in rows.index]].reset_index()


def scenario(data: DataSet, params: Params, a: WarRoomAnalysis) -> Scenario | None:
    """The war-room day to plan in exercise 4 (None when the data cannot support it).

    The deal is the best-ranked candidate after the quarter's cases (the room the team
    would add with one more slot). Its areas follow :func:`needed_areas`; the cases keep
    the experts the schedule booked for them; any weekday of the window on which each
    needed area has an expert who is neither away nor booked that day is a valid date,
    and any such expert per area a valid team.
    """
    experts = data.tables.get("experts")
    ranked = a.tables.get("candidates")
    if experts is None or ranked is None or params.opportunity_id:
        return None
    n = int(a.metrics.get("cases_selected") or 0)
    if len(ranked) <= n or "area" not in experts:
        return None
    rows = _deal_rows(data, [*ranked["opportunity_id"].head(n + 1)])
    if len(rows) != n + 1:
        return None
    cases, deal = rows.head(n), rows.iloc[n]
    products = data.tables.get("products")
    rules = {"large_deal": params.large_deal}
    need = needed_areas(deal, family=_family(deal, products)[0], rules=rules)
    start = pd.Timestamp(a.extras["start_date"])
    days = search_days(start, lead_days=params.lead_days, window_days=params.window_days)
    areas = areas_for(cases, products, rules=rules)
    areas[deal["opportunity_id"]] = need
    both = pd.concat([cases, rows.iloc[[n]]], ignore_index=True)
    plan = schedule(
        both,
        experts,
        areas=areas,
        as_of=start,
        lead_days=params.lead_days,
        window_days=params.window_days,
    )
    booked: dict[pd.Timestamp, set[str]] = {}
    for day, team in zip(plan["date"].head(n), plan["expert_ids"].head(n), strict=True):
        if isinstance(day, str):
            booked.setdefault(pd.Timestamp(day), set()).update(team.split("; "))
    busy, label = _busy(experts), _labels(experts)
    ids = experts["expert_id"].astype(str)
    plans: list[dict[str, Any]] = []
    mine = plan.iloc[n]
    if isinstance(mine["date"], str):
        plans.append(
            {"date": mine["date"], "experts": [label[e] for e in mine["expert_ids"].split("; ")]}
        )
    for day in days:
        free = [
            [
                e
                for e in sorted(ids[experts["area"] == area])
                if day not in busy.get(e, set()) and e not in booked.get(day, set())
            ]
            for area in need
        ]
        if all(free):
            for team in itertools.product(*free):
                item = {"date": day.date().isoformat(), "experts": [label[e] for e in team]}
                if item not in plans:
                    plans.append(item)
    in_window = set(days)
    calendar = pd.DataFrame(
        {
            "expert": [label[e] for e in ids],
            "area": experts["area"].to_numpy(),
            "away": [
                ", ".join(f"{d:%Y-%m-%d}" for d in sorted(busy.get(e, set()) & in_window))
                for e in ids
            ],
            "booked": [
                ", ".join(f"{d:%Y-%m-%d}" for d in sorted(booked) if e in booked[d]) for e in ids
            ],
        }
    )
    calendar = calendar[calendar["area"].isin(need)].sort_values(["area", "expert"])
    return Scenario(deal, need, days, calendar.reset_index(drop=True), plans)


def scenario_view(data: DataSet, params: Params, a: WarRoomAnalysis) -> Any:
    """Exercise 4's brief for people: the deal, the window, the experts' calendar."""
    from IPython.display import HTML

    from .notebook import note, table_html

    s = scenario(data, params, a)
    if s is None:
        return note(
            "This data set cannot support the war-room planning exercise: it needs an experts "
            "table and one more open deal than the quarter's cases."
        )
    d = s.deal
    comp = d.get("competitor")
    family = _family(d, data.tables.get("products"))[0]
    facts = pd.DataFrame(
        [
            ("Deal", f"{d['opportunity_id']}"),
            ("Account", _names(s.deal.to_frame().T, data.tables.get("accounts")).iloc[0]),
            ("Amount", _shown(d.get("amount"), money=a.currency)),
            ("Stage", _shown(d.get("stage"))),
            ("Competitor", comp if isinstance(comp, str) else "none named"),
            ("Product family", family or "unknown"),
            (
                "Weekdays to choose from",
                f"{s.days[0]:%Y-%m-%d} to {s.days[-1]:%Y-%m-%d}" if len(s.days) else "none",
            ),
        ],
        columns=["fact", "value"],
    )
    parts = [
        table_html(facts, title="The deal brief: the next deal in line for a war room"),
        table_html(
            s.calendar,
            title="The experts of the areas this deal needs: away, or booked for another "
            "war room, on these weekdays of the window",
            key="calendar",
        ),
    ]
    return HTML("".join(p.to_html() for p in parts))


def exercises(data: DataSet, params: Params, a: WarRoomAnalysis | None = None) -> dict[str, Any]:
    """The answer key of the war-room notebook's exercises, computed from the data.

    1 (predict) the share of the open deals' value the quarter's cases hold; 2 (judgement)
    the deals of the shortlist to take to the war rooms, checked against the scorecard
    (ties at the cut accepted); 3 (parameter) expert-days needed and cases scheduled with
    two more rooms; 4 (scenario) a date and a team for the next deal in line, any valid plan.
    Exercises the data cannot support are left out.
    """
    from . import training

    a = a if a is not None else analyze(data, params)
    key: dict[str, Any] = {}
    ranked = a.tables.get("candidates")
    cases = a.tables.get("cases")
    if ranked is None or cases is None or ranked.empty:
        return training.complete(key, {"1": "guess", "2": "pick", "3": "count", "4": "set"})
    total = float(ranked["amount"].sum())
    held = float(ranked.loc[ranked["opportunity_id"].isin(cases["opportunity_id"]), "amount"].sum())
    if total > 0 and not params.opportunity_id:
        key["1"] = training.Answer(
            held / total,
            kind="guess",
            of="percent",
            hint="A share of the open deals' value, e.g. 10%.",
            explain=f"The {len(cases)} war-room cases hold {held / total:.0%} of the value of "
            f"{len(ranked):,} open deals: a few rocks carry the quarter.",
        )

    k = min(params.capacity, len(ranked))
    short = shortlist(ranked, params.capacity)
    if k and not params.opportunity_id:
        cut = float(ranked["score"].iloc[k - 1])
        good = short.loc[short["score"] >= cut - 1e-9]
        good = good.sort_values("score", ascending=False, kind="stable")
        key["2"] = training.Answer(
            list(good["opportunity_id"]),
            kind="pick",
            k=k,
            hint=f"Name {k} deals of the shortlist by their id; the rubric: size, a strategic "
            "tier, complexity, a named competitor, a mid-funnel stage.",
            explain=f"The scorecard ranks {_and(list(good['opportunity_id'].head(k)))} highest"
            + (" (deals tied at the cut are accepted too)" if len(good) > k else "")
            + ": size weighs 40%, tier and complexity 20% each, competitor and stage 10%.",
        )

    more = params.capacity + EXERCISE_MORE_ROOMS
    if not params.opportunity_id and len(ranked) > params.capacity:
        moved = analyze(data, replace(params, capacity=more))
        need = moved.metrics.get("experts_needed")
        got = moved.metrics.get("cases_scheduled")
        if need is not None:
            parts: dict[str, Any] = {"expert_days": training.Answer(int(need), kind="count")}
            if got is not None:
                parts["scheduled"] = training.Answer(int(got), kind="count")
            key["3"] = training.Answer(
                parts,
                kind="count",
                hint=f"Set capacity to {more} and read the cases and the schedule: count the "
                "areas of every case, and the cases that got a date.",
                explain=f"{min(more, len(ranked))} cases need {need} expert-days (with "
                f"{params.capacity}: {a.metrics.get('experts_needed')})"
                + (f"; {got} of them get a day" if got is not None else "")
                + ": each room more takes a day from the same few experts.",
            )

    s = scenario(data, params, a)
    if s is not None and s.plans:
        plans = [[p["date"], *p["experts"]] for p in s.plans]
        first = s.plans[0]
        key["4"] = training.Answer(
            plans[0],
            kind="set",
            any_of=tuple(plans[1:]),
            hint=f"A list: a weekday of the window as YYYY-MM-DD, then one expert for each area "
            f"the deal needs ({len(s.areas)} areas), nobody away or booked that day.",
            explain=f"It needs {_and(s.areas)}. The module's plan: {first['date']} with "
            f"{_and(first['experts'])}; {len(s.plans):,} plans are valid in all.",
        )
    return training.complete(key, {"1": "guess", "2": "pick", "3": "count", "4": "set"})


def shortlist(ranked: pd.DataFrame, capacity: int) -> pd.DataFrame:
    """Exercise 2's shortlist: the best ``2 x capacity`` candidates, largest deal first (no score shown)."""
    top = ranked.head(max(2 * capacity, capacity + 1))
    return top.sort_values(["amount", "opportunity_id"], ascending=[False, True], kind="stable")


def shortlist_view(a: WarRoomAnalysis) -> Any:
    """Exercise 2's shortlist for people (the scores left out, largest deal first)."""
    from .notebook import note, table_html

    ranked = a.tables.get("candidates")
    if ranked is None or ranked.empty:
        return note(a.reason("candidates") or "No open deal to choose from.")
    t = shortlist(ranked, a.params.capacity)
    return table_html(
        t[["opportunity_id", "account_name", "amount", "stage", "reason"]],
        spec=a.spec("candidates"),
        title=f"The shortlist: {len(t)} open deals, largest first",
        source="",
        currency=a.currency,
        key="shortlist",
        keep=["opportunity_id"],
    )
