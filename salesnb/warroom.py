"""The Sales War Room: choose the deals, schedule the day, run the agenda, print the playbook.

For large, complex deals the best experts of the business unit meet for ONE day: the
rep introduces the case, experts prepare proposals for their area, confer without the
rep, adjust, present a draft, adjust again, and present the common solution. The output
is a one-deal playbook. Dates are proposed from the review's as-of date (never "today"),
so runs are reproducible.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .pipeline import loss_reasons
from .schema import DataError

__all__ = [
    "AGENDA",
    "AREA_RULES",
    "agenda",
    "areas_for",
    "lens_table",
    "schedule_note",
    "brief",
    "candidates",
    "loss_lens",
    "metrics",
    "needed_areas",
    "playbook",
    "product_name",
    "rep_leaves_at",
    "schedule",
    "select",
]

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


def candidates(
    open_deals: pd.DataFrame,
    *,
    tiers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    buying_centers: pd.DataFrame | None = None,
    stages: list[str] | None = None,
) -> pd.DataFrame:
    """Open deals ranked by how much a war room would help, with the reason for each.

    Score (0-1): 40% size (log scale within the pipeline), 20% strategic tier (T1 or
    Global), 20% complexity (buying centers and contacts at the account), 10% a named
    competitor, 10% a mid-funnel stage (the solution is still open to shape).
    """
    d = open_deals.dropna(subset=["amount"]).copy()
    if d.empty:
        return d.assign(score=pd.Series(dtype=float), reason=pd.Series(dtype=str))
    logs = np.log1p(d["amount"].clip(lower=0))
    size = (
        (logs - logs.min()) / (logs.max() - logs.min()) if logs.max() > logs.min() else logs * 0 + 1
    )
    tier = (
        d["account_id"].map(tiers.set_index("account_id")["tier"])
        if tiers is not None
        else pd.Series(pd.NA, index=d.index)
    )
    strategic = tier.isin(["T1", "Global"]).astype(float)
    n_bc = (
        d["account_id"].map(buying_centers.groupby("account_id").size())
        if buying_centers is not None
        else 0
    )
    n_ct = d["account_id"].map(contacts.groupby("account_id").size()) if contacts is not None else 0
    n_bc = pd.Series(n_bc, index=d.index).fillna(0)
    n_ct = pd.Series(n_ct, index=d.index).fillna(0)
    complexity = n_bc.clip(upper=4) / 4 * 0.5 + n_ct.clip(upper=10) / 10 * 0.5
    competitor = d["competitor"].notna().astype(float) if "competitor" in d else 0.0
    order = stages or sorted(d["stage"].dropna().unique())
    position = d["stage"].map({s: i for i, s in enumerate(order)})
    mid = position.between(1, max(len(order) - 2, 1)).astype(float)
    d["score"] = (
        0.4 * size + 0.2 * strategic + 0.2 * complexity + 0.1 * competitor + 0.1 * mid
    ).round(4)
    d["tier"] = tier
    d["buying_centers"] = n_bc.astype(int)
    d["contacts"] = n_ct.astype(int)
    d["reason"] = [
        ", ".join(
            part
            for part in (
                f"{a:,.0f} deal",
                f"{t} account" if t in ("T1", "Global") else "",
                f"{b} buying centers" if b >= 2 else "",
                f"{c} contacts" if c >= 5 else "",
                f"competing with {comp}" if isinstance(comp, str) else "",
                f"in {s}",
            )
            if part
        )
        for a, t, b, c, comp, s in zip(
            d["amount"],
            tier,
            n_bc.astype(int),
            n_ct.astype(int),
            d.get("competitor", pd.Series(None, index=d.index)),
            d["stage"],
            strict=True,
        )
    ]
    return d.sort_values(
        ["score", "amount", "opportunity_id"], ascending=[False, False, True]
    ).reset_index(drop=True)


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


def _busy(experts: pd.DataFrame) -> dict[str, set[pd.Timestamp]]:
    out = {}
    for _, e in experts.iterrows():
        text = e.get("unavailable_dates")
        days = [d for d in str(text).split(";") if d.strip()] if isinstance(text, str) else []
        out[str(e["expert_id"])] = {pd.Timestamp(d.strip()) for d in days}
    return out


def schedule(
    cases: pd.DataFrame,
    experts: pd.DataFrame,
    *,
    areas: dict[str, list[str]],
    as_of: pd.Timestamp,
    lead_days: int = 30,
    window_days: int = 30,
) -> pd.DataFrame:
    """One weekday per case, about ``lead_days`` after ``as_of``, with a free expert for every area.

    Cases are scheduled in rank order; an expert is never booked twice on a day and a
    case never takes more than one day. When no date works, the row says which areas
    could not be staffed and which experts block them.
    """
    busy = _busy(experts)
    by_area = {
        a: sorted(experts.loc[experts["area"] == a, "expert_id"].astype(str))
        for a in experts["area"].unique()
    }
    booked: dict[pd.Timestamp, set[str]] = {}
    days = pd.bdate_range(
        as_of + pd.Timedelta(days=lead_days), as_of + pd.Timedelta(days=lead_days + window_days)
    )
    rows = []
    for _, case in cases.iterrows():
        need = areas[case["opportunity_id"]]
        chosen, when, blockers = None, None, {}
        for day in days:
            if day in booked and booked[day] == {"*"}:
                continue
            team = {}
            for area in need:
                free = [
                    e
                    for e in by_area.get(area, [])
                    if day not in busy.get(e, set()) and e not in booked.get(day, set())
                ]
                if not free:
                    blockers.setdefault(area, set()).update(
                        by_area.get(area, []) or ["nobody has this area"]
                    )
                    break
                team[area] = free[0]
            if len(team) == len(need):
                chosen, when = team, day
                break
        if when is not None:
            booked.setdefault(when, set()).update(chosen.values())
            rows.append(
                {
                    "opportunity_id": case["opportunity_id"],
                    "date": when.date().isoformat(),
                    "experts": "; ".join(f"{a}: {e}" for a, e in chosen.items()),
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
                    "why_no_date": f"no weekday in {days[0].date()} .. {days[-1].date()} has every area free: {why}",
                }
            )
    return pd.DataFrame(rows, columns=["opportunity_id", "date", "experts", "why_no_date"])


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
    t = pd.Timestamp(f"2000-01-01 {start}")
    crew = ", ".join(experts or ["the experts"])
    rows = []
    for i, ((step, _), m) in enumerate(zip(AGENDA, minutes, strict=True), 1):
        end = t + pd.Timedelta(minutes=m)
        who = crew if i == 3 else f"{rep}, {crew}"
        rows.append(
            {
                "step": i,
                "from": t.strftime("%H:%M"),
                "to": end.strftime("%H:%M"),
                "what": step,
                "who": who,
            }
        )
        t = end
    return pd.DataFrame(rows)


def brief(deal: pd.Series, data: dict[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """Everything the room should know about one deal, from the data set's tables."""
    acc_id = deal["account_id"]
    out: dict[str, pd.DataFrame] = {}
    accounts = data.get("accounts")
    facts = {
        "opportunity": deal["opportunity_id"],
        "amount": deal["amount"],
        "stage": deal["stage"],
        "owner": deal.get("owner"),
        "close date": deal.get("close_date"),
        "competitor": deal.get("competitor"),
    }
    if accounts is not None and acc_id in set(accounts["account_id"]):
        a = accounts.set_index("account_id").loc[acc_id]
        for col in ("account_name", "industry", "employees", "region", "prior_spend"):
            if col in a:
                facts[col.replace("_", " ")] = a[col]
    out["facts"] = pd.DataFrame({"fact": list(facts), "value": [str(v) for v in facts.values()]})
    opps = data.get("opportunities")
    if opps is not None and "outcome" in opps:
        here = opps[opps["account_id"] == acc_id]
        out["history"] = (
            here.groupby("outcome")
            .agg(deals=("opportunity_id", "size"), amount=("amount", "sum"))
            .reset_index()
        )
    contacts = data.get("contacts")
    if contacts is not None:
        c = contacts[contacts["account_id"] == acc_id]
        cols = [
            x for x in ("full_name", "title", "department", "role", "linkedin_connected") if x in c
        ]
        out["contacts"] = c[cols].sort_values(cols[:1]).reset_index(drop=True)
        roles = set(c["role"].dropna()) if "role" in c else set()
        gaps = [r for r in ("decision_maker", "influencer", "champion") if r not in roles]
        out["relationship_gaps"] = pd.DataFrame({"missing role": gaps})
    bcs = data.get("buying_centers")
    if bcs is not None:
        out["buying_centers"] = (
            bcs[bcs["account_id"] == acc_id].drop(columns="account_id").reset_index(drop=True)
        )
    return out


def loss_lens(
    deal: pd.Series, closed: pd.DataFrame, accounts: pd.DataFrame | None
) -> dict[str, Any]:
    """Past losses at similar accounts (same industry): the two reasons to guard against, and no-decision risk."""
    similar = closed
    industry = None
    if (
        accounts is not None
        and "industry" in accounts
        and deal["account_id"] in set(accounts["account_id"])
    ):
        industry = accounts.set_index("account_id").loc[deal["account_id"], "industry"]
        same = accounts.loc[accounts["industry"] == industry, "account_id"]
        similar = closed[closed["account_id"].isin(same)]
    reasons = loss_reasons(similar)
    groups = reasons.groupby("group")["deals"].sum() if len(reasons) else pd.Series(dtype=float)
    total = len(similar)
    return {
        "industry": industry,
        "closed_deals": total,
        "won": int((similar["outcome"] == "won").sum()),
        "should_not_have_been_there": int(groups.get("should not have been there", 0)),
        "outsold": int(groups.get("outsold", 0)),
        "no_decision_risk": float((similar["outcome"] == "no_decision").mean())
        if total
        else math.nan,
    }


def playbook(
    deal: pd.Series,
    facts: dict[str, pd.DataFrame],
    lens: dict[str, Any],
    *,
    areas: list[str],
    product: str | None = None,
) -> pd.DataFrame:
    """The one-deal playbook: the sections the room must settle, prefilled where data exists."""
    todo = "[to settle in the room]"
    contacts = facts.get("contacts", pd.DataFrame())
    dm = (
        contacts.loc[
            contacts.get("role", pd.Series(dtype=str)) == "decision_maker", "full_name"
        ].tolist()
        if "full_name" in contacts
        else []
    )
    gaps = (
        facts.get("relationship_gaps", pd.DataFrame())
        .get("missing role", pd.Series(dtype=str))
        .tolist()
    )
    comp = deal.get("competitor")
    rows = [
        (
            "What to sell",
            f"{product or deal.get('product_id') or 'the offer'} (current proposal); areas to shape: "
            f"{', '.join(areas)}. {todo}",
        ),
        (
            "How to sell it",
            f"Stage {deal['stage']}; expected close {_day(deal.get('close_date'))}. {todo}",
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
        (
            "How to beat the competition",
            (
                f"Competing with {comp}; at similar accounts we were outsold {lens['outsold']} times. "
                if isinstance(comp, str)
                else "No named competitor: confirm there is none. "
            )
            + todo,
        ),
        (
            "What to negotiate, and what not",
            f"No-decision risk at similar accounts: {lens['no_decision_risk']:.0%}; protect the business case "
            f"against the status quo. {todo}"
            if not pd.isna(lens["no_decision_risk"])
            else todo,
        ),
    ]
    return pd.DataFrame(rows, columns=["section", "content"])


def metrics(
    selected: pd.DataFrame, plan: pd.DataFrame, areas: dict[str, list[str]]
) -> dict[str, Any]:
    """summary.json metrics: cases selected, scheduled, and expert-days needed."""
    return {
        "cases_selected": len(selected),
        "cases_scheduled": int(plan["date"].notna().sum()),
        "experts_needed": int(
            sum(len(v) for k, v in areas.items() if k in set(selected["opportunity_id"]))
        ),
    }


def areas_for(
    cases: pd.DataFrame, products: pd.DataFrame | None, *, rules: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """:func:`needed_areas` for every case (product family looked up in the products table)."""
    family = (
        products.set_index("product_id")["family"]
        if products is not None and "family" in products
        else None
    )
    return {
        row["opportunity_id"]: needed_areas(
            row,
            family=family.get(row.get("product_id")) if family is not None else None,
            rules=rules,
        )
        for _, row in cases.iterrows()
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


def _day(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat() if pd.notna(value) else "not set"


def product_name(deal: pd.Series, products: pd.DataFrame | None) -> str | None:
    """The deal's product name, if the products table knows it."""
    if products is None or pd.isna(deal.get("product_id")):
        return None
    names = products.set_index("product_id")["product_name"]
    return str(names.get(deal["product_id"], deal["product_id"]))


def rep_leaves_at(table: pd.DataFrame) -> int:
    """The agenda step the rep does not attend (the experts confer alone)."""
    rep_out = table[~table["who"].str.contains(table["who"].iloc[0].split(",")[0], regex=False)]
    return int(rep_out["step"].iloc[0]) if len(rep_out) else 0
