"""Account-based marketing readiness: is the data there, will the programme fail, which accounts suit it.

The audit follows a research firm's list of what an ABM plan needs per account and per
buying center, at three levels (required, recommended, best practice). Each item is
*present*, *missing*, or *unknown* when the data set lacks the table or column that
would tell. Readiness is measured on the known items only, so it always comes with its
coverage: how much of the list the data set could measure at all.

A programme plan file (YAML) and a success-factors questionnaire (YAML) add what data
cannot show; the failure-risk flags each say which evidence raised, cleared or left
them unknown. :func:`analyze` wires it all for the notebook ``06_abm_readiness``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from . import analysis, config
from .schema import TABLES
from .theme import HIGHLIGHT, MUTED, PALETTE, format_money, get_ax
from .tiering import default_scorecard, spend_before

if TYPE_CHECKING:
    from .dataset import DataSet

__all__ = [
    "CORE",
    "FLAGS",
    "ITEMS",
    "LEVEL_WEIGHTS",
    "PLAN_KEYS",
    "QUESTIONS",
    "AbmAnalysis",
    "Params",
    "Plan",
    "analyze",
    "audit",
    "by_account",
    "candidates",
    "draft_plan",
    "exercises",
    "gap_list",
    "load_plan",
    "load_questionnaire",
    "plan_view",
    "plot_readiness",
    "plot_risks",
    "plot_white_space",
    "readiness",
    "risk_flags",
    "score_questionnaire",
    "shortlist",
    "shortlist_view",
    "to_measure",
    "white_space",
]

CORE: tuple[str, ...] = ("accounts",)

# item -> (level, what it is)
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
# item -> the (table, column) sources any one of which makes it known; None: the table itself
_SOURCES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "industry": (("accounts", "industry"),),
    "buying_centers": (("buying_centers", None),),
    "wallet_share": (("buying_centers", "wallet_size"), ("buying_centers", "our_revenue")),
    "sales_goals": (("buying_centers", "sales_goal"),),
    "opportunity_status": (("opportunities", None),),
    "contacts": (("contacts", "buying_center"),),
    "key_initiatives": (("buying_centers", "key_initiatives"),),
    "relationship_status": (("buying_centers", "relationship_status"),),
    "relationship_map": (("contacts", "role"),),
    "growth_trend": (("buying_centers", "growth_trend"),),
    "competitive_environment": (("buying_centers", "competitor"), ("opportunities", "competitor")),
    "engagement_history": (("buying_centers", "engagement_score"), ("contacts", "last_engaged")),
}
_KEYS = {  # the required columns of each table, as salesnb.schema declares them
    name: tuple(TABLES[name].required)
    for name in ("accounts", "buying_centers", "contacts", "opportunities")
}
QUESTIONS: dict[str, str] = {
    "sales_focused_on_defined_accounts": "Sales is focused on a defined set of accounts",
    "account_plans_exist": "Account plans are in place",
    "joint_objectives": "Sales and marketing set objectives and strategies together",
    "not_only_demand_generation": "Everyone agrees ABM is not only demand generation",
    "sales_open_to_new_help": "Is sales open to new kinds of help?",
    "marketing_invited_into_planning": "Is marketing invited into planning and execution?",
    "marketing_aligned_to_growth": "Is marketing aligned to the best sources of growth?",
}
FLAGS: tuple[str, ...] = (
    "lack of insight",
    "no alignment to sales goals",
    "overly broad deployment",
    "unreasonable expectations",
    "lack of resources",
    "undifferentiated tactics",
)
PLAN_KEYS: tuple[str, ...] = (
    "targets",
    "capacity",
    "marketing_sourced_share",
    "large_account_employees",
    "accounts",
)
EXAMPLE_PLAN = "data/examples/abm_plan.yml"
EXAMPLE_QUESTIONNAIRE = "data/examples/abm_questionnaire.yml"
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
INSIGHT_MIN = 0.5  # a target below this readiness lacks insight
LARGE_SHARE_MAX = 0.10  # realistic marketing-sourced pipeline share for large accounts
GENERAL_SHARE_MAX = 0.30  # ... and for general marketing
MAP_MIN_CONTACTS = 3  # contacts with known roles that make a relationship map
STRATEGIC_TIERS = ("T1", "Global")
GOOD_RELATIONSHIPS = ("strong", "neutral")
SCORE_WEIGHTS = {"tier": 0.3, "readiness": 0.3, "room": 0.2, "relationship": 0.2}


# --------------------------------------------------------------------------- audit
def _flag(values: pd.Series, known: pd.Series | bool) -> pd.Series:
    """True / False where ``known``, NA (unknown) elsewhere, as a nullable boolean."""
    known = pd.Series(known, index=values.index) if isinstance(known, bool) else known
    out = values.fillna(False).astype(bool).where(known.astype(bool))
    return pd.Series(pd.array(out, dtype="boolean"), index=values.index)


def _ids(df: pd.DataFrame | None) -> np.ndarray:
    """The distinct account ids of ``df`` (none for None), for a fast ``isin``."""
    return np.array([], dtype=object) if df is None else df["account_id"].dropna().unique()


def _pair(df: pd.DataFrame) -> pd.Series:
    """account_id and buying_center as one text key."""
    return df["account_id"].astype(str) + "\x1f" + df["buying_center"].astype(str)


def _notna(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column].notna() if column in rows else pd.Series(False, index=rows.index)


def audit(
    accounts: pd.DataFrame,
    buying_centers: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    opportunities: pd.DataFrame | None,
) -> pd.DataFrame:
    """One row per account and buying center (one per account without any); each item True / False / NA.

    NA (unknown) means the data set lacks the table or column that would tell; False
    (missing) means it has them but not for this account or buying center. Buying
    centers, contacts and deals of accounts not in ``accounts`` are left out.

    - industry: ``accounts.industry`` filled in;
    - buying_centers, wallet_share (``wallet_size`` and ``our_revenue``), sales_goals,
      key_initiatives, relationship_status, growth_trend: a row of ``buying_centers``
      with the column filled in;
    - opportunity_status: the account has a deal in ``opportunities``;
    - contacts: a contact in the row's buying center (``contacts.buying_center``), or at
      the account for a row without a buying center;
    - relationship_map: 3+ contacts at the account whose role is known;
    - competitive_environment: the buying center's ``competitor``, or a deal of the
      account naming one;
    - engagement_history: the buying center's ``engagement_score``, or a contact of the
      account with ``last_engaged``.
    """
    keep = [c for c in ("account_id", "account_name", "owner") if c in accounts]
    acc = accounts[keep].drop_duplicates("account_id")
    if buying_centers is not None:
        bc = buying_centers[analysis.isin(buying_centers["account_id"], acc["account_id"])]
        bc = bc.drop(columns=[c for c in ("account_name", "owner") if c in bc])
        rows = acc.merge(bc, on="account_id", how="left").reset_index(drop=True)
    else:
        rows = acc.assign(buying_center=pd.NA).reset_index(drop=True)
    has_bc = rows["buying_center"].notna()
    bc_cols = set(buying_centers.columns) if buying_centers is not None else set()
    out = rows[keep + ["buying_center"]].copy()

    def bc_item(*cols: str) -> pd.Series:
        present = has_bc.copy()
        for c in cols:
            present &= _notna(rows, c)
        return _flag(present, buying_centers is not None and set(cols) <= bc_cols)

    out["industry"] = (
        _flag(
            rows["account_id"]
            .map(accounts.set_index("account_id")["industry"].dropna().to_dict())
            .notna(),
            True,
        )
        if "industry" in accounts
        else _flag(pd.Series(False, index=rows.index), False)
    )
    out["buying_centers"] = _flag(has_bc, buying_centers is not None)
    out["wallet_share"] = bc_item("wallet_size", "our_revenue")
    out["sales_goals"] = bc_item("sales_goal")
    with_opps = _ids(opportunities)
    out["opportunity_status"] = _flag(
        analysis.isin(rows["account_id"], with_opps), opportunities is not None
    )

    people = contacts.dropna(subset=["account_id"]) if contacts is not None else None
    at_account = analysis.isin(rows["account_id"], _ids(people))
    if people is not None and "buying_center" in people:
        placed = people.dropna(subset=["buying_center"])
        in_bc = analysis.isin(_pair(rows), _pair(placed).unique()) & has_bc
        out["contacts"] = _flag(in_bc.where(has_bc, at_account), True)
    else:  # a row with a buying center needs contacts.buying_center to tell
        out["contacts"] = _flag(at_account, (~has_bc) & (people is not None))
    if people is not None and "role" in people:
        roles = people["role"].fillna("unknown")
        mapped = people.loc[roles != "unknown"].groupby("account_id").size()
        out["relationship_map"] = _flag(
            rows["account_id"].map(mapped).fillna(0) >= MAP_MIN_CONTACTS, True
        )
    else:
        out["relationship_map"] = _flag(pd.Series(False, index=rows.index), False)
    out["key_initiatives"] = bc_item("key_initiatives")
    out["relationship_status"] = bc_item("relationship_status")
    out["growth_trend"] = bc_item("growth_trend")

    opp_comp = opportunities is not None and "competitor" in opportunities
    named = _ids(opportunities[opportunities["competitor"].notna()] if opp_comp else None)
    out["competitive_environment"] = _flag(
        (has_bc & _notna(rows, "competitor")) | analysis.isin(rows["account_id"], named),
        "competitor" in bc_cols or opp_comp,
    )
    engaged_known = people is not None and "last_engaged" in people
    engaged = _ids(people[people["last_engaged"].notna()] if engaged_known else None)
    out["engagement_history"] = _flag(
        (has_bc & _notna(rows, "engagement_score")) | analysis.isin(rows["account_id"], engaged),
        "engagement_score" in bc_cols or engaged_known,
    )
    return out[keep + ["buying_center", *ITEMS]]


def _weights(weights: dict[str, float] | None = None) -> pd.Series:
    w = {**LEVEL_WEIGHTS, **(weights or {})}
    return pd.Series({item: w[level] for item, (level, _) in ITEMS.items()})


def readiness(table: pd.DataFrame, *, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Readiness and its coverage per row of an :func:`audit`.

    With weights w (3 required, 2 recommended, 1 best practice; 27 in all):
    ``readiness`` = sum of w over present items / sum of w over known items (NaN when no
    item is known); ``readiness_coverage`` = sum of w over known items / sum of all w;
    ``items_known`` = how many of the 12 items are known.
    """
    weight = _weights(weights)
    items = table[list(ITEMS)]
    known = items.notna().astype(float).mul(weight, axis=1).sum(axis=1)
    present = items.fillna(False).astype(float).mul(weight, axis=1).sum(axis=1)
    return table.assign(
        readiness=present / known.where(known > 0),
        readiness_coverage=known / weight.sum(),
        items_known=items.notna().sum(axis=1),
    )


def by_account(table: pd.DataFrame) -> pd.DataFrame:
    """Per account: readiness and coverage (means over its buying centers), each item's share.

    An item's column is the share of the account's buying centers where it is present,
    NaN when unknown for all of them; ``items_known`` counts items known for any of them.
    """
    cols = list(ITEMS)
    g = table.groupby("account_id", sort=False)
    first = [c for c in ("account_name", "owner") if c in table]
    out = g[first].first() if first else pd.DataFrame(index=g.size().index)
    out["buying_center_count"] = g["buying_center"].count()
    out["readiness"] = g["readiness"].mean()
    out["readiness_coverage"] = g["readiness_coverage"].mean()
    items = table[cols].astype("Float64").astype(float)  # unknown -> NaN, skipped by mean
    by = table["account_id"]
    out["items_known"] = items.notna().groupby(by, sort=False).any().sum(axis=1)
    shares = items.groupby(by, sort=False).mean()
    return pd.concat([out, shares], axis=1).reset_index()


def gap_list(table: pd.DataFrame) -> pd.DataFrame:
    """Who must find what: one row per missing (known, not present) item, required first."""
    ids = [c for c in ("account_id", "account_name", "buying_center") if c in table]
    keep = ids + (["owner"] if "owner" in table else [])
    missing = table[list(ITEMS)].astype("Float64").eq(0).fillna(False)  # unknown is no gap
    rows, cols = np.nonzero(missing.to_numpy(dtype=bool))
    order = {"required": 0, "recommended": 1, "best practice": 2}
    item = np.array(list(ITEMS), dtype=object)[cols]
    out = table[keep].iloc[rows].reset_index(drop=True)
    out = out.assign(
        item=item,
        level=[ITEMS[i][0] for i in item],
        find=[ITEMS[i][1] for i in item],
        who=out["owner"].fillna("account team") if "owner" in out else "account team",
        _o=[order[ITEMS[i][0]] for i in item],
        _i=cols,
    )
    out = out.sort_values(["_o", "account_id", "_i"], kind="stable")
    return out[ids + ["item", "level", "find", "who"]].reset_index(drop=True)


def to_measure(unknown: Iterable[str], tables: dict[str, set[str] | None]) -> str:
    """What to add so the ``unknown`` items can be measured, as a phrase.

    ``tables`` maps a table name to its columns (None when the data set lacks the table).
    Each item's first source is named, unless only a later one's table exists (a column
    is easier to add than a file) and the first one's file is not to be added anyway.
    """
    unknown = list(unknown)
    files: dict[str, list[str]] = {}
    columns: dict[str, list[str]] = {}
    new_files = {  # files to add anyway: an item with no source table at all
        _SOURCES[i][0][0] for i in unknown if all(tables.get(t) is None for t, _ in _SOURCES[i])
    }
    for item in unknown:
        sources = _SOURCES[item]
        table = next(
            (t for t, _ in sources if tables.get(t) is not None or t in new_files), sources[0][0]
        )
        wanted = [c for t, c in sources if t == table and c]
        target = files if tables.get(table) is None else columns
        have = tables.get(table) or set()
        target.setdefault(table, [])
        target[table] += [c for c in wanted if c not in have and c not in target[table]]
    parts = [
        f"{table}.csv ({', '.join([k for k in _KEYS.get(table, ()) if k not in cols] + cols)})"
        for table, cols in files.items()
    ]
    parts += [f"{_and(cols)} to {table}.csv" for table, cols in columns.items() if cols]
    return _and(parts)


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# --------------------------------------------------------------------------- plan and questionnaire
@dataclass(frozen=True)
class Plan:
    """An ABM programme plan (from a YAML plan file)."""

    targets: list[str]
    capacity: int
    marketing_sourced_share: float | None = None
    large_account_employees: int = 5000
    owners: dict[str, str] = field(default_factory=dict)  # account -> account marketing manager
    campaigns: dict[str, str] = field(default_factory=dict)  # account -> campaign


_ID = config.Str(numbers=True, what="an account id")
_PLAN_FILE = config.Record(
    {
        "targets": config.List(_ID, min_len=1, what="a list of the target account ids"),
        "capacity": config.Int(lo=0),
        "marketing_sourced_share": config.Float(
            0, 1, what="a fraction between 0 and 1 (0.1 = 10%)"
        ),
        "large_account_employees": config.Int(lo=1),
        "accounts": config.Map(
            _ID,
            config.Record(
                {
                    "marketing_owner": config.Str(numbers=True),
                    "campaign": config.Str(numbers=True),
                },
                what="{marketing_owner, campaign}",
            ),
            what="a mapping of account ids to {marketing_owner, campaign}",
        ),
    },
    required={"targets": "'targets', the list of target account ids"},
    what="'key: value' lines (targets, capacity, ...)",
)


def load_plan(path: str | Path) -> Plan:
    """A plan file: targets, capacity, marketing_sourced_share, large_account_employees, accounts.

    ``accounts`` maps account ids to ``{marketing_owner, campaign}``.
    """
    raw = config.load(path, _PLAN_FILE, "ABM plan file")
    targets = raw["targets"]
    accounts = raw.get("accounts", {})
    return Plan(
        targets,
        raw.get("capacity", len(targets)),
        raw.get("marketing_sourced_share"),
        raw.get("large_account_employees", 5000),
        {a: s["marketing_owner"] for a, s in accounts.items() if s.get("marketing_owner")},
        {a: s["campaign"] for a, s in accounts.items() if s.get("campaign")},
    )


def _answer(value: Any) -> float:
    """A questionnaire answer's score; ValueError for an answer that is not yes / partly / no."""
    if isinstance(value, bool):  # YAML reads a bare yes / no as true / false
        return 1.0 if value else 0.0
    if not isinstance(value, str):
        raise ValueError(value)
    return _ANSWERS[value.strip().lower()]  # KeyError (a LookupError): not an answer


_QUESTIONNAIRE = config.Record(
    dict.fromkeys(QUESTIONS, config.Custom(_answer, what="yes, partly or no")),
    what="'question: yes / partly / no' lines",
    noun=("question(s)", "questions"),
)


def load_questionnaire(path: str | Path) -> dict[str, float]:
    """The success-factors questionnaire: question: yes / partly / no (scored 1 / 0.5 / 0).

    A question left empty is not answered.
    """
    return config.load(path, _QUESTIONNAIRE, "questionnaire")


def score_questionnaire(answers: dict[str, float] | None) -> pd.DataFrame:
    """The questionnaire as a table (unanswered questions are unknown: NaN)."""
    answers = answers or {}
    return pd.DataFrame(
        [
            {
                "question": text,
                "answer": _answer_text(answers.get(q)),
                "score": answers.get(q, np.nan),
            }
            for q, text in QUESTIONS.items()
        ]
    )


def _answer_text(score: float | None) -> str:
    return (
        {1.0: "yes", 0.5: "partly", 0.0: "no"}.get(score, "not answered")
        if score is not None
        else "not answered"
    )


# --------------------------------------------------------------------------- risk flags
def _names(ids: list[str], names: dict[str, str], limit: int = 5) -> str:
    shown = [names.get(i, i) for i in ids[:limit]]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def risk_flags(
    plan: Plan | None,
    account_readiness: pd.DataFrame,
    audit_table: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    insight_min: float = INSIGHT_MIN,
    large_share_max: float = LARGE_SHARE_MAX,
    general_share_max: float = GENERAL_SHARE_MAX,
) -> pd.DataFrame:
    """The six ways ABM fails: each raised, clear or unknown, with the evidence.

    Targets not in ``accounts`` are left out (and named). A flag is unknown when the plan
    or the data set lacks what would tell (no plan at all: every flag).
    Returns columns flag, status ("raised" / "clear" / "unknown"), raised (nullable
    boolean) and evidence.
    """
    rows: list[tuple[str, bool | None, str]] = []
    names = (
        accounts.set_index("account_id")["account_name"].astype(str).to_dict()
        if "account_name" in accounts
        else {}
    )
    in_data = set(accounts["account_id"])
    targets = [t for t in dict.fromkeys(plan.targets) if t in in_data] if plan else []
    if plan is None or not targets:
        why = (
            "needs a programme plan (plan_file)"
            if plan is None
            else f"none of the plan's {_n(len(set(plan.targets)), 'target')} is in the data set"
        )
        rows = [(name, None, why) for name in FLAGS]
        return _flags_frame(rows)

    n = len(targets)
    t = account_readiness[analysis.isin(account_readiness["account_id"], targets)]
    measured = t[t["readiness"].notna()]
    if measured.empty:
        rows.append((FLAGS[0], None, "no item of the ABM list is known for any target"))
    else:
        low = measured[measured["readiness"] < insight_min]
        cover = t["readiness_coverage"].mean() if "readiness_coverage" in t else 1.0
        rows.append(
            (
                FLAGS[0],
                len(low) > len(measured) / 2,
                f"{len(low)} of {len(measured)} targets have readiness below {insight_min:.0%} "
                f"(mean {measured['readiness'].mean():.0%}, measured on {cover:.0%} of the list)",
            )
        )

    goals = audit_table[analysis.isin(audit_table["account_id"], targets)]
    known = goals[goals["sales_goals"].notna()]
    if known.empty:
        rows.append(
            (FLAGS[1], None, "the data set has no sales goals (sales_goal in buying_centers.csv)")
        )
    else:
        with_goal = set(known.loc[known["sales_goals"].astype(bool), "account_id"])
        without = [a for a in targets if a in set(known["account_id"]) and a not in with_goal]
        rows.append(
            (
                FLAGS[1],
                bool(without),
                f"{len(without)} of {n} targets have no sales goal for any buying center"
                + (f": {_names(without, names)}" if without else ""),
            )
        )

    rows.append(
        (FLAGS[2], n > plan.capacity, f"{n} target accounts for a capacity of {plan.capacity}")
    )

    share = plan.marketing_sourced_share
    if share is None:
        rows.append((FLAGS[3], None, "the plan states no marketing_sourced_share"))
    else:
        emp = pd.to_numeric(
            accounts.drop_duplicates("account_id")
            .set_index("account_id")
            .get("employees", pd.Series(dtype=float)),
            errors="coerce",
        ).reindex(targets)
        sized = emp.dropna()
        large = int((sized >= plan.large_account_employees).sum())
        said = f"marketing is expected to source {share:.0%} of pipeline"
        if sized.empty:
            verdict = (
                True if share > general_share_max else False if share <= large_share_max else None
            )
            rows.append(
                (
                    FLAGS[3],
                    verdict,
                    f"{said}; no target's size is known, and about {large_share_max:.0%} is "
                    f"realistic for large accounts, {general_share_max:.0%} for general marketing",
                )
            )
        else:
            limit = large_share_max if large > len(sized) / 2 else general_share_max
            kind = "large accounts" if limit == large_share_max else "general marketing"
            rows.append(
                (
                    FLAGS[3],
                    share > limit,
                    f"{said}; about {limit:.0%} is realistic for {kind} "
                    f"({large} of {len(sized)} targets of known size are large)",
                )
            )

    no_owner = [a for a in targets if a not in plan.owners]
    rows.append(
        (
            FLAGS[4],
            bool(no_owner),
            f"{len(no_owner)} of {n} targets have no account marketing owner"
            + (f": {_names(no_owner, names)}" if no_owner else ""),
        )
    )
    campaigns = [plan.campaigns.get(a) for a in targets]
    distinct = {c for c in campaigns if c}
    rows.append(
        (
            FLAGS[5],
            n > 1 and len(distinct) <= 1,
            f"{len(distinct)} distinct campaign(s) for {n} targets"
            + (f"; {campaigns.count(None)} without a campaign" if None in campaigns else ""),
        )
    )
    return _flags_frame(rows)


def _flags_frame(rows: list[tuple[str, bool | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flag": [r[0] for r in rows],
            "status": ["unknown" if r[1] is None else "raised" if r[1] else "clear" for r in rows],
            "raised": pd.array([r[1] for r in rows], dtype="boolean"),
            "evidence": [r[2] for r in rows],
        }
    )


# --------------------------------------------------------------------------- candidates and white space
def candidates(
    account_readiness: pd.DataFrame,
    buying_centers: pd.DataFrame | None,
    tiers: pd.DataFrame | None,
    *,
    capacity: int = 10,
) -> pd.DataFrame:
    """Accounts ranked for ABM; the top ``capacity`` are selected.

    score = 0.3 x strategic tier (T1 or Global) + 0.3 x readiness + 0.2 x (1 - wallet
    share) + 0.2 x relationship share (of the account's buying centers with a known
    relationship_status, the share that is strong or neutral); an unknown criterion adds 0.
    Ties are ranked by wallet to win (wallet size minus our revenue), then by account id.
    """
    keep = [
        c
        for c in ("account_id", "account_name", "readiness", "readiness_coverage")
        if c in account_readiness
    ]
    r = account_readiness[keep].copy()
    wallet = buying_centers is not None and {"wallet_size", "our_revenue"} <= set(
        buying_centers.columns
    )
    if wallet:
        w = buying_centers.groupby("account_id")[["wallet_size", "our_revenue"]].sum(min_count=1)
        share = (w["our_revenue"] / w["wallet_size"].where(w["wallet_size"] > 0)).clip(0, 1)
        r["wallet_share"] = r["account_id"].map(share).astype(float)
        r["wallet_to_win"] = (
            r["account_id"].map(w["wallet_size"] - w["our_revenue"]).clip(lower=0).astype(float)
        )
    else:
        r["wallet_share"], r["wallet_to_win"] = np.nan, np.nan
    if buying_centers is not None and "relationship_status" in buying_centers:
        rated = buying_centers.dropna(subset=["relationship_status"])
        good = (
            rated["relationship_status"]
            .isin(GOOD_RELATIONSHIPS)
            .groupby(rated["account_id"])
            .mean()
        )
        r["relationship_share"] = r["account_id"].map(good).astype(float)
    else:
        r["relationship_share"] = np.nan
    tier = (
        tiers.drop_duplicates("account_id").set_index("account_id")["tier"]
        if tiers is not None
        else None
    )
    r["tier"] = r["account_id"].map(tier) if tier is not None else pd.NA
    strategic = r["tier"].isin(STRATEGIC_TIERS).astype(float)
    room = 1 - r["wallet_share"]
    s = SCORE_WEIGHTS
    r["score"] = (
        s["tier"] * strategic
        + s["readiness"] * r["readiness"].fillna(0.0)
        + s["room"] * room.fillna(0.0)
        + s["relationship"] * r["relationship_share"].fillna(0.0)
    ).round(4)
    r["reason"] = [
        f"{t if isinstance(t, str) else 'untiered'}, "
        + (f"readiness {rd:.0%}" if pd.notna(rd) else "readiness unknown")
        + (f", wallet share {ws:.0%}" if pd.notna(ws) else ", wallet share unknown")
        + (
            f", good relationships in {rel:.0%} of buying centers"
            if pd.notna(rel)
            else ", relationships unknown"
        )
        for t, rd, ws, rel in zip(
            r["tier"], r["readiness"], r["wallet_share"], r["relationship_share"], strict=True
        )
    ]
    ranked = r.sort_values(
        ["score", "wallet_to_win", "account_id"], ascending=[False, False, True], na_position="last"
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

    Deals without a product family count under "all products", deals without a buying
    center under "unknown". The ``wallet_to_win`` column (when the buying centers have
    ``wallet_size`` and ``our_revenue``) is the buying centers' wallet minus our revenue.
    """
    won = opportunities["outcome"] == "won" if "outcome" in opportunities else False
    opps = opportunities[analysis.isin(opportunities["account_id"], accounts) & won]
    family = (
        products.dropna(subset=["family"])
        .drop_duplicates("product_id")
        .set_index("product_id")["family"]
        if products is not None and "family" in products
        else None
    )
    fam = (
        opps["product_id"].map(family).astype(object)
        if family is not None and "product_id" in opps
        else pd.Series(pd.NA, index=opps.index, dtype=object)
    )
    centre = (
        opps["buying_center"].astype(object)
        if "buying_center" in opps
        else pd.Series(pd.NA, index=opps.index, dtype=object)
    )
    opps = opps.assign(
        family=fam.where(fam.notna(), "all products").astype(str),
        buying_center=centre.where(centre.notna(), "unknown").astype(str),
        amount=opps["amount"].astype(float),
    )
    grid = opps.pivot_table(
        index="buying_center", columns="family", values="amount", aggfunc="sum", fill_value=0.0
    )
    grid.columns.name = None
    if buying_centers is not None and {"wallet_size", "our_revenue"} <= set(buying_centers.columns):
        b = buying_centers[analysis.isin(buying_centers["account_id"], accounts)]
        stake = (
            (b["wallet_size"] - b["our_revenue"])
            .clip(lower=0)
            .groupby(b["buying_center"].astype(str))
            .sum()
        )
        grid = grid.reindex(grid.index.union(stake.index), fill_value=0.0)
        grid["wallet_to_win"] = stake.reindex(grid.index).fillna(0.0).astype(float)
    return grid


# --------------------------------------------------------------------------- plots
def plot_readiness(account_table: pd.DataFrame, *, top: int = 25, ax: Axes | None = None) -> Axes:
    """Heat map of item completeness (share of buying centers) for the first ``top`` accounts.

    A colour bar reads the shares (viridis: light to dark stays in order in greyscale);
    hatched cells are unknown; items unknown for every account are left out (the title
    says how many).
    """
    import seaborn as sns
    from matplotlib.ticker import PercentFormatter

    head = account_table.head(top)
    labels = (
        head["account_name"].astype(str)
        if "account_name" in head
        else head["account_id"].astype(str)
    )
    every = account_table[list(ITEMS)].astype(float)
    known = [i for i in ITEMS if every[i].notna().any()] or list(ITEMS)
    dropped = len(ITEMS) - len(known)
    shown = head[known].astype(float).set_axis(labels.tolist())
    ax = get_ax(ax, figsize=(9, max(3.0, 0.25 * len(shown) + 1.8)))
    ax.patch.set_facecolor("white")
    ax.patch.set_hatch("////")
    ax.patch.set_edgecolor("#c8c8c8")
    sns.heatmap(
        shown,
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=1,
        cbar=True,
        cbar_kws={
            "label": "share of the account's buying centers with the item",
            "format": PercentFormatter(1.0, decimals=0),
            "shrink": 0.8,
        },
        linewidths=0.4,
    )
    ax.set_xticks(
        np.arange(len(known)) + 0.5, [i.replace("_", " ") for i in known], rotation=40, ha="right"
    )
    ax.set_yticks(np.arange(len(shown)) + 0.5, shown.index.tolist(), rotation=0)
    means = shown.mean()
    if means.notna().any() and means.min() < 1:
        title = f"The weakest item: {ITEMS[means.idxmin()][1]}"
    elif means.notna().any():
        title = "Every item the data set can measure is present"
    else:
        title = "No item is known for these accounts"
    ax.set_title(title + (" (hatched: unknown)" if shown.isna().any().any() else ""))
    if dropped:
        ax.set_xlabel(f"{dropped} of {len(ITEMS)} items are unknown for every account: not drawn")
    ax.set_ylabel("")
    return ax


def plot_white_space(grid: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Won amount per buying center and product family: empty cells are the white space.

    Cells where we sell are dark with their won amount; the white space is light and
    hatched; a legend says which is which.
    """
    import seaborn as sns
    from matplotlib.patches import Patch

    data = grid.drop(columns=["wallet_to_win"], errors="ignore").astype(float).fillna(0.0)
    ax = get_ax(ax, figsize=(8, max(3.0, 0.4 * len(data) + 1.8)))
    sns.heatmap(
        data > 0,
        ax=ax,
        cmap=[MUTED, PALETTE[0]],
        vmin=0,
        vmax=1,
        cbar=False,
        linewidths=0.5,
        annot=data.map(lambda v: format_money(v) if v > 0 else "–"),
        fmt="",
    )
    empty = data.to_numpy() == 0
    for (row, col), blank in np.ndenumerate(empty):
        if blank:
            ax.add_patch(
                Rectangle((col, row), 1, 1, fill=False, hatch="//", edgecolor="white", lw=0)
            )
    ax.set_xticks(
        np.arange(data.shape[1]) + 0.5, [str(c) for c in data.columns], rotation=30, ha="right"
    )
    ax.set_yticks(np.arange(data.shape[0]) + 0.5, [str(i) for i in data.index], rotation=0)
    n_empty = int(empty.sum())
    ax.set_title(f"{n_empty} buying-center x product cells where we do not sell yet")
    ax.set_ylabel("buying center")
    ax.legend(
        handles=[
            Patch(facecolor=PALETTE[0], label="we sell here (won amount)"),
            Patch(facecolor=MUTED, hatch="//", edgecolor="white", label="white space: no won deal"),
        ],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        fontsize=8,
    )
    return ax


_RISK_STYLE = {  # colour and hatch: told apart in greyscale too
    "raised": (HIGHLIGHT, "xx"),
    "clear": (PALETTE[2], ""),
    "unknown": (MUTED, ".."),
}


def plot_risks(flags: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Which of the six failure risks are raised, clear or unknown (a legend says which)."""
    from matplotlib.patches import Patch

    ax = get_ax(ax, figsize=(7, 3))
    ax.barh(
        flags["flag"],
        [1] * len(flags),
        color=[_RISK_STYLE[s][0] for s in flags["status"]],
        hatch=[_RISK_STYLE[s][1] for s in flags["status"]],
        edgecolor="white",
    )
    ax.set_xticks([])
    ax.invert_yaxis()
    raised = int((flags["status"] == "raised").sum())
    unknown = int((flags["status"] == "unknown").sum())
    ax.set_title(
        f"{raised} of {len(flags)} failure risks raised"
        + (f", {unknown} unknown" if unknown else "")
    )
    ax.legend(
        handles=[
            Patch(facecolor=c, hatch=h, edgecolor="white", label=k)
            for k, (c, h) in _RISK_STYLE.items()
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    return ax


# --------------------------------------------------------------------------- the analysis
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The notebook's parameters (less data_dir, output_dir, redact)."""

    plan_file: str = ""
    questionnaire_file: str = ""
    ready_min: float = 0.7
    capacity: int = 10


@dataclass(frozen=True, kw_only=True)
class AbmAnalysis(analysis.Analysis):
    """ABM readiness over one data set (see :func:`analyze`)."""

    methodology: ClassVar[str] = "abm_readiness"

    def spec(self, name: str) -> analysis.TableSpec | None:
        """The declared spec; the white space's product-family columns (from the data) are money."""
        spec = self.specs.get(name)
        table = self.tables.get(name)
        if name != "white_space" or spec is None or table is None:
            return spec
        families = dict.fromkeys((c for c in table.columns if c not in spec.columns), "money")
        return dataclasses.replace(spec, columns={**spec.columns, **families})


# --------------------------------------------------------------------------- wiring
_Section = analysis.Section  # what one section adds to the result


@dataclass
class _Inputs:
    """The tables the analysis reads, rows of unknown accounts left out, and their coverage."""

    accounts: pd.DataFrame
    buying_centers: pd.DataFrame | None
    contacts: pd.DataFrame | None
    opportunities: pd.DataFrame | None  # known account, created by the end of the quarter
    has_outcome: bool
    products: pd.DataFrame | None
    columns: dict[str, set[str] | None]  # table -> its columns, None when absent
    rows: list[tuple[str, int, int, dict[str, int]]]  # coverage

    @property
    def names(self) -> dict[str, str]:
        a = self.accounts
        if "account_name" not in a:
            return {}
        return (
            a.drop_duplicates("account_id")
            .set_index("account_id")["account_name"]
            .astype(str)
            .to_dict()
        )


def _inputs(data: DataSet, end: pd.Timestamp) -> _Inputs:
    accounts = data.tables["accounts"]
    ids = set(accounts["account_id"])
    rows: list[tuple[str, int, int, dict[str, int]]] = [
        ("accounts", len(accounts), len(accounts), {})
    ]
    used: dict[str, pd.DataFrame | None] = {}
    for name in ("buying_centers", "contacts"):
        df = data.tables.get(name)
        used[name] = None if df is None else df[analysis.isin(df["account_id"], ids)]
        if df is not None:
            rows.append(
                (name, len(df), len(used[name]), {"no known account": len(df) - len(used[name])})
            )
    opps = data.tables.get("opportunities")
    if opps is not None:
        known = analysis.isin(opps["account_id"], ids)
        # a deal without a created date is placed by its close date; one with neither counts
        later = known & (opps["created_date"] > end)
        closed_later = known & opps["created_date"].isna() & (opps["close_date"] > end)
        used["opportunities"] = opps[known & ~later & ~closed_later]
        rows.append(
            (
                "opportunities",
                len(opps),
                len(used["opportunities"]),
                {
                    "no known account": int((~known).sum()),
                    f"created after {end:%Y-%m-%d}": int(later.sum()),
                    f"no created date, closed after {end:%Y-%m-%d}": int(closed_later.sum()),
                },
            )
        )
    names = ("accounts", "buying_centers", "contacts", "opportunities")
    return _Inputs(
        accounts=accounts,
        buying_centers=used["buying_centers"],
        contacts=used["contacts"],
        opportunities=used.get("opportunities"),
        has_outcome=opps is not None and "outcome" in opps,
        products=data.tables.get("products"),
        columns={
            n: None if data.tables.get(n) is None else set(data.tables[n].columns) for n in names
        },
        rows=rows,
    )


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _readiness_section(
    table: pd.DataFrame, acc: pd.DataFrame, inputs: _Inputs, ready_min: float
) -> tuple[_Section, dict[str, float | int | None]]:
    out = _Section()
    items = table[list(ITEMS)]
    k = int(items.notna().any().sum())  # items measured for at least one account
    add = to_measure([i for i in ITEMS if not items[i].notna().all()], inputs.columns)
    measured = acc["readiness"].dropna()
    mean = analysis.finite_or_none(measured.mean()) if len(measured) else None
    cover = analysis.finite_or_none(acc["readiness_coverage"].mean()) if len(acc) else None
    # "ready" needs every required item known: readiness over two known items is no verdict
    required = [i for i, (level, _) in ITEMS.items() if level == "required"]
    known_required = acc[required].notna().all(axis=1) if len(acc) else pd.Series(dtype=bool)
    ready = (
        int(((acc["readiness"] >= ready_min) & known_required).sum())
        if mean is not None and known_required.any()
        else None
    )
    figures = {
        "readiness_mean": mean,
        "readiness_coverage": cover,
        "accounts_ready": ready,
        "items": k,
    }
    if mean is None:
        why = (
            f"No item of the ABM list can be measured for any account, so there is no readiness: add {add}."
            if add and len(acc)
            else "The accounts table has no rows, so there is nothing to audit: add accounts to accounts.csv."
        )
        out.absent = {"readiness": why, "audit": why, "gaps": why}
        out.findings.append(why)
        return out, figures
    gaps = gap_list(table)
    out.tables = {"readiness": acc, "audit": table, "gaps": gaps}
    if not len(gaps):  # every known cell is present: a map of one colour says nothing
        out.absent["readiness_map"] = (
            "Every item the data set can measure is present for every account, so there is no "
            "gap to map."
        )
    stated = (
        f"{ready} of {len(acc):,} accounts are ready for ABM (readiness {ready_min:.0%} or more, "
        "every required item known)"
        if ready is not None
        else f"no account can be called ready, because the required items "
        f"{', '.join(i.replace('_', ' ') for i in required if acc[i].isna().all())} are unknown"
    )
    if cover is not None and cover >= 1:
        headline = f"{stated}; mean readiness {mean:.0%}, measured on all {len(ITEMS)} items."
    else:
        on = (
            f"{k} of {len(ITEMS)} items"
            if k < len(ITEMS)
            else f"all {len(ITEMS)} items, some not for every account,"
        )
        headline = (
            f"Readiness is measured on {on} ({cover:.0%} of the weighted list): on those, {stated} "
            f"and mean readiness is {mean:.0%}; add {add} to measure the rest."
        )
    out.findings.append(headline)
    out.notes["readiness"] = (
        headline
        + " Readiness is the weighted share of the known items that are present (weights 3 required, "
        "2 recommended, 1 best practice); coverage is the weighted share of the items that are known."
    )
    shares = acc[list(ITEMS)].mean()
    if shares.notna().any() and shares.min() < 1:
        worst = shares.idxmin()
        level, text = ITEMS[worst]
        where = (
            f"{shares[worst]:.0%} of accounts (averaged over their buying centers)"
            if inputs.buying_centers is not None
            else f"{shares[worst]:.0%} of accounts"
        )
        sentence = f"The item most often missing is {text} ({level}): present for {where}."
        out.notes["readiness"] += " " + sentence
        out.findings.append(sentence)
    if len(gaps):
        out.notes["gaps"] = (
            f"{_n(len(gaps), 'item')} to find across {_n(gaps['account_id'].nunique(), 'account')}, "
            f"{int((gaps['level'] == 'required').sum()):,} of them required; unknown items are not listed."
        )
    else:
        del out.tables["gaps"]
        out.absent["gaps"] = (
            "Nothing to find: every item the data set can measure is present for every account."
        )
    return out, figures


def _risk_section(plan: Plan | None, flags: pd.DataFrame, outside: list[str]) -> _Section:
    out = _Section(tables={"risks": flags})
    if plan is None:
        why = (
            "No programme plan was given, so none of the six failure risks can be raised or cleared: "
            f"write a YAML file like {EXAMPLE_PLAN} (keys: targets, capacity, marketing_sourced_share, "
            "large_account_employees, and accounts with a marketing_owner and campaign per target) "
            "and pass it as plan_file."
        )
        out.absent["risk_flags"] = why  # said where the chart would be; the table shows 6 unknowns
        out.findings.append(
            "No programme plan was given, so the six ABM failure risks are unknown "
            "(the risk section says what the plan needs)."
        )
        return out
    n = len(dict.fromkeys(plan.targets))
    if len(outside) == n:
        text = (
            f"None of the plan's {_n(n, 'target')} is in the data set ({_names(outside, {})}), so no "
            "failure risk can be judged: list account ids of this data set under targets."
        )
        return _Section(tables=out.tables, notes={"risks": text}, findings=[text])
    raised = flags.loc[flags["status"] == "raised", "flag"].tolist()
    unknown = int((flags["status"] == "unknown").sum())
    text = (
        f"The programme plan raises {len(raised)} of {len(FLAGS)} failure risks"
        + (f": {_and(raised)}" if raised else "")
        + (f"; {unknown} cannot be judged from the plan and the data" if unknown else "")
        + "."
    )
    if outside:
        text += (
            f" {len(outside)} of the plan's {n} targets are not in the data set and are left out: "
            f"{_names(outside, {})}."
        )
    out.notes["risks"] = text
    out.findings.append(text)
    return out


def _success_section(answers: dict[str, float] | None) -> _Section:
    if answers is None:
        return _Section(
            absent={
                "success_factors": (
                    "No success-factors questionnaire was given, so the success factors are not scored: "
                    f"write a YAML file like {EXAMPLE_QUESTIONNAIRE} answering yes, partly or no to "
                    f"{_and(list(QUESTIONS))}, and pass it as questionnaire_file."
                )
            }
        )
    sf = score_questionnaire(answers)
    no = [q.replace("_", " ") for q, s in answers.items() if s == 0]
    text = (
        f"The leads' answers score {float(sf['score'].sum()):g} of {len(QUESTIONS)} "
        f"({len(answers)} of {len(QUESTIONS)} questions answered)"
        + (f"; answered no: {_and(no)}" if no else "")
        + "."
    )
    return _Section(
        tables={"success_factors": sf}, notes={"success_factors": text}, findings=[text]
    )


def _candidate_section(
    picks: pd.DataFrame, tiers: pd.DataFrame | None, capacity: int, names: dict[str, str]
) -> _Section:
    unknown = []
    if tiers is None or not picks["tier"].isin(["T1", "T2", "T3", "T4", "Global"]).any():
        unknown.append("tier (no account could be tiered by the default scorecard)")
    if picks["readiness"].isna().all():
        unknown.append("readiness")
    if picks["wallet_share"].isna().all():
        unknown.append("wallet share (no wallet_size and our_revenue in buying_centers.csv)")
    if picks["relationship_share"].isna().all():
        unknown.append("relationships (no relationship_status in buying_centers.csv)")
    n_sel = int(picks["selected"].sum())
    alike = picks["score"].nunique() <= 1  # noqa: PD101 - one pass over a small column
    if len(unknown) == len(SCORE_WEIGHTS) or (alike and len(picks) > capacity):
        why = (
            "Every account scores the same on what the data shows, so none stands out as an ABM "
            f"candidate: unknown are {_and(unknown) or 'none of the criteria'}."
        )
        return _Section(absent={"candidates": why}, findings=[why])
    if n_sel == 0:
        why = (
            "No account is selected because the capacity parameter is 0: set capacity to the "
            "accounts the ABM team can serve."
        )
        return _Section(absent={"candidates": why})
    cut = picks.loc[picks["selected"], "score"].min()
    tied = int((picks["score"] == cut).sum())
    taken = int(((picks["score"] == cut) & picks["selected"]).sum())
    note = (
        f"The top {n_sel} of {len(picks):,} accounts by score (30% strategic tier, 30% readiness, "
        "20% wallet share still to win, 20% good relationships)"
        + (f"; unknown, so adding nothing: {_and(unknown)}" if unknown else "")
        + "."
    )
    if tied > taken:
        note += (
            f" {tied} accounts tie at the cut-off score {cut:.2f} and {taken} of them are taken, "
            "in order of wallet to win and then account id."
        )
    first = picks.loc[picks["selected"], "account_id"].head(3).tolist()
    finding = f"The first ABM candidates: {_names(first, names, 3)} ({n_sel} selected for a capacity of {capacity})."
    return _Section(tables={"candidates": picks}, notes={"candidates": note}, findings=[finding])


def _white_space_section(
    inputs: _Inputs, chosen: list[str], end: pd.Timestamp, currency: str
) -> _Section:
    opps = inputs.opportunities
    if opps is None:
        why = (
            "No opportunities table, so there is no map of where we sell: add opportunities.csv "
            "(opportunity_id, account_id, stage, amount, created_date, close_date, outcome)."
        )
    elif not inputs.has_outcome:
        why = (
            "The opportunities have no outcome column, so won deals cannot be told apart: add "
            "outcome (open, won, lost, no_decision) to opportunities.csv."
        )
    elif not chosen:
        why = (
            "No account was selected as an ABM candidate (the candidates section says why), "
            "so there is no white space to map."
        )
    else:
        won = opps[(opps["outcome"] == "won") & (opps["close_date"] <= end)]
        grid = white_space(won, inputs.products, inputs.buying_centers, chosen)
        sold = grid.drop(columns=["wallet_to_win"], errors="ignore")
        if sold.shape[1] and (sold > 0).any().any():
            table = grid.rename_axis("buying_center").reset_index()
            won_cols = list(sold.columns)
            # whole units: a map; no won deal (the white space) is missing, shown as a dash
            table[won_cols] = table[won_cols].round(0).astype("Int64").replace(0, pd.NA)
            return _Section(
                tables={"white_space": table},
                notes={
                    "white_space": _white_space_note(grid, sold, inputs, len(chosen), end, currency)
                },
            )
        why = (
            f"None of the {len(chosen)} selected candidates has a won deal closed by {end:%Y-%m-%d}, "
            "so there is no map yet of where we sell to them."
        )
    return _Section(absent={"white_space": why})


def _white_space_note(
    grid: pd.DataFrame,
    sold: pd.DataFrame,
    inputs: _Inputs,
    n: int,
    end: pd.Timestamp,
    currency: str,
) -> str:
    opp_cols = inputs.columns["opportunities"] or set()
    coarse = []
    if "buying_center" not in opp_cols:
        coarse.append("the deals name no buying center (add buying_center to opportunities.csv)")
    if "product_id" not in opp_cols or inputs.products is None or "family" not in inputs.products:
        coarse.append(
            "no product family is known (add product_id to opportunities.csv and family to products.csv)"
        )
    stake = (
        f"; wallet still to win in their buying centers: {grid['wallet_to_win'].sum():,.0f} {currency}".rstrip()
        if "wallet_to_win" in grid
        else ""
    )
    return (
        f"Won deals of the {n} candidates closed by {end:%Y-%m-%d}, by buying center and product "
        f"family: {int((sold == 0).sum().sum())} of {sold.size} cells have no won deal yet{stake}."
        + (f" A coarse map: {'; '.join(coarse)}." if coarse else "")
    )


def _assumptions(
    params: Params, plan: Plan | None, end: pd.Timestamp, has_opps: bool
) -> list[analysis.Assumption]:
    def file(name: str) -> str:
        value = getattr(params, name)
        return Path(value).name if value else "none"

    out = [
        analysis.assume(
            params,
            "ready_min",
            "readiness that counts as ready",
            shown=f"{params.ready_min:.0%}",
            note="accounts_ready",
        ),
        analysis.assume(
            params,
            "capacity",
            "accounts the ABM team can serve",
            note="how many candidates are selected",
        ),
        analysis.assume(
            params,
            "plan_file",
            "programme plan",
            shown=file("plan_file"),
            note="the failure-risk flags",
        ),
        analysis.assume(
            params,
            "questionnaire_file",
            "success-factors questionnaire",
            shown=file("questionnaire_file"),
            note="the success factors",
        ),
        analysis.Assumption(
            "level_weights",
            "item weights by level",
            "required 3, recommended 2, best practice 1",
            "built in",
            "readiness and its coverage",
        ),
        analysis.Assumption(
            "score_weights",
            "candidate score",
            "30% tier T1 or Global, 30% readiness, 20% wallet share to win, 20% strong or neutral relationships",
            "built in",
            "candidate ranking",
        ),
        analysis.Assumption(
            "tiers",
            "tiers",
            "default scorecard of 02_account_tiering",
            "built in",
            "the tier part of the candidate score",
        ),
    ]
    if has_opps:
        out.append(
            analysis.Assumption(
                "deals_counted",
                "deals counted",
                f"created by {end:%Y-%m-%d}",
                "from the data",
                "current opportunity status; the white space uses won deals closed by then",
            )
        )
    if plan is not None:
        out += [
            analysis.Assumption(
                "insight_min",
                "a target lacks insight below readiness",
                f"{INSIGHT_MIN:.0%}",
                "built in",
                "lack of insight: raised when most targets are below",
            ),
            analysis.Assumption(
                "share_max",
                "realistic marketing-sourced share of pipeline",
                f"{LARGE_SHARE_MAX:.0%} for large accounts, {GENERAL_SHARE_MAX:.0%} otherwise",
                "built in",
                "unreasonable expectations",
            ),
            analysis.Assumption(
                "large_account_employees",
                "large account: employees at least",
                f"{plan.large_account_employees:,}",
                "plan file",
                "unreasonable expectations",
            ),
        ]
    return out


@analysis.remembered
def analyze(data: DataSet, params: Params) -> AbmAnalysis:
    """Audit, readiness and its coverage, risk flags, success factors, candidates and white space.

    Reads the accounts (the core table) and, when present, buying_centers, contacts,
    opportunities (created by the end of the review quarter) and products, plus the plan
    and questionnaire files the parameters name (none by default).
    """
    analysis.require(data, CORE, "ABM readiness")
    per = analysis.periods(data, params, kind="quarter")
    end = per.window.end
    inputs = _inputs(data, end)
    plan = load_plan(params.path("plan_file")) if params.plan_file else None
    answers = (
        load_questionnaire(params.path("questionnaire_file")) if params.questionnaire_file else None
    )
    ids = set(inputs.accounts["account_id"])
    outside = [t for t in dict.fromkeys(plan.targets) if t not in ids] if plan else []
    if plan is not None:
        n = len(dict.fromkeys(plan.targets))
        inputs.rows.append(
            ("plan targets", n, n - len(outside), {"not in the data set": len(outside)})
        )

    table = readiness(
        audit(inputs.accounts, inputs.buying_centers, inputs.contacts, inputs.opportunities)
    )
    acc = by_account(table).sort_values(
        ["readiness", "account_id"], na_position="last", kind="stable"
    )
    acc = acc.reset_index(drop=True)
    ready_part, figures = _readiness_section(table, acc, inputs, params.ready_min)
    flags = risk_flags(plan, acc, table, inputs.accounts)
    tiers = default_scorecard(
        inputs.accounts,
        inputs.opportunities,
        year=end.year,
        prior_spend=spend_before(data, per.window.start),
    )
    picks = candidates(acc, inputs.buying_centers, tiers, capacity=params.capacity)
    pick_part = _candidate_section(picks, tiers, params.capacity, inputs.names)
    chosen = (
        picks.loc[picks["selected"], "account_id"].tolist()
        if "candidates" in pick_part.tables
        else []
    )
    currency = params.currency or data.settings.currency
    parts = [
        ready_part,
        _risk_section(plan, flags, outside),
        _success_section(answers),
        pick_part,
        _white_space_section(inputs, chosen, end, currency),
    ]
    metrics = {
        "readiness_mean": figures["readiness_mean"],
        "readiness_coverage": figures["readiness_coverage"],
        "accounts_ready": figures["accounts_ready"],
        "risk_flags": (
            flags.loc[flags["status"] == "raised", "flag"].tolist()
            if plan is not None and (flags["status"] != "unknown").any()
            else None
        ),
        "candidates": len(chosen) if chosen else (0 if params.capacity <= 0 else None),
    }
    tables = {
        "figures": _figures(metrics, len(acc), int(figures["items"] or 0), flags, plan is not None)
    }
    notes: dict[str, str] = {}
    absent: dict[str, str] = {}
    findings: list[str] = []
    for part in parts:
        tables.update(part.tables)
        notes.update(part.notes)
        absent.update(part.absent)
        findings += part.findings
    return AbmAnalysis(
        params=params,
        periods=per,
        currency=currency,
        tables=tables,
        notes=notes,
        absent=absent,
        metrics=metrics,
        findings=tuple(findings[:5]),
        assumptions=tuple(_assumptions(params, plan, end, inputs.opportunities is not None)),
        coverage=analysis.coverage(data, per.window, inputs.rows),
        headline=_headline(metrics, figures, len(acc), flags, plan, params, absent),
        actions=_actions(tables, flags, plan, picks, chosen, inputs, metrics),
    )


def _headline(
    metrics: dict[str, Any],
    figures: dict[str, Any],
    n_accounts: int,
    flags: pd.DataFrame,
    plan: Plan | None,
    params: Params,
    absent: dict[str, str],
) -> tuple[analysis.KPI, ...]:
    """Six headline figures; one the data cannot give is None with the reason."""
    items = int(figures["items"] or 0)
    unmeasured = "no item of the ABM list can be measured"
    raised = int((flags["status"] == "raised").sum())
    unknown = int((flags["status"] == "unknown").sum())
    judged = plan is not None and unknown < len(flags)
    return (
        analysis.KPI(
            "Accounts audited", n_accounts, "count", f"{items} of {len(ITEMS)} items measurable"
        ),
        analysis.KPI(
            "Readiness coverage",
            metrics["readiness_coverage"],
            "percent",
            "weighted share of the ABM list the data can measure",
        ),
        analysis.KPI(
            "Mean readiness",
            metrics["readiness_mean"],
            "percent",
            "weighted share of the known items present"
            if metrics["readiness_mean"] is not None
            else unmeasured,
        ),
        analysis.KPI(
            "Accounts ready",
            metrics["accounts_ready"],
            "count",
            f"readiness {params.ready_min:.0%} or more, every required item known"
            if metrics["accounts_ready"] is not None
            else (
                "required items are unknown"
                if metrics["readiness_mean"] is not None
                else unmeasured
            ),
        ),
        analysis.KPI(
            "Failure risks raised",
            raised if judged else None,
            "count",
            f"of {len(flags)}" + (f"; {unknown} unknown" if unknown else "")
            if judged
            else "no programme plan: pass plan_file"
            if plan is None
            else "no plan target is in the data set",
        ),
        analysis.KPI(
            "ABM candidates",
            metrics["candidates"],
            "count",
            f"for a capacity of {params.capacity}"
            if metrics["candidates"] is not None
            else "no account stands out on what the data shows"
            if "candidates" in absent
            else "",
        ),
    )


def _actions(
    tables: dict[str, pd.DataFrame],
    flags: pd.DataFrame,
    plan: Plan | None,
    picks: pd.DataFrame,
    chosen: list[str],
    inputs: _Inputs,
    metrics: dict[str, Any],
) -> tuple[str, ...]:
    """The readiness risks to act on: raised failure risks, the plan, the items to find or add."""
    out: list[str] = []
    names = inputs.names
    if plan is None:
        out.append(
            "Agree an ABM programme plan (targets, capacity, marketing-sourced share, a "
            "marketing owner and campaign per target) and add it to the next review (plan_file), "
            "so the six ABM failure risks can be judged."
        )
    else:
        raised = flags[flags["status"] == "raised"]
        if len(raised):
            out.append(
                "Fix the raised ABM failure risks: "
                + "; ".join(f"{r.flag} ({r.evidence})" for r in raised.itertuples())
                + "."
            )
    gaps = tables.get("gaps")
    if gaps is not None and len(gaps):
        required = gaps[gaps["level"] == "required"]
        pool = required if len(required) else gaps
        per_item = (  # ties go to the item listed first in ITEMS
            pool.groupby("item")["account_id"]
            .nunique()
            .reindex([i for i in ITEMS if i in set(pool["item"])])
            .sort_values(ascending=False, kind="stable")
        )
        item = str(per_item.index[0])
        level, text = ITEMS[item]
        worst = tables["readiness"]
        worst = worst[
            analysis.isin(worst["account_id"], set(pool.loc[pool["item"] == item, "account_id"]))
        ]
        first = _names(worst["account_id"].head(3).tolist(), names, 3)
        out.append(
            f"Find the {text} at {_n(int(per_item.iloc[0]), 'account')}: a {level} item, the one "
            f"most often missing; start with the least ready: {first}."
        )
    cover = metrics["readiness_coverage"]
    audit_table = tables.get("audit")
    if cover is not None and cover < 1 and audit_table is not None:
        unknown = [i for i in ITEMS if not audit_table[i].notna().all()]
        add = to_measure(unknown, inputs.columns)
        if add:
            out.append(
                f"Add {add} to measure the whole ABM list (the data covers {cover:.0%} of it)."
            )
    if chosen:
        lead = ", ".join(names.get(a, a) for a in chosen[:3])
        out.append(
            f"Start ABM with {_and([names.get(a, a) for a in chosen])}."
            if len(chosen) <= 3
            else f"Start ABM with the {len(chosen)} selected accounts, led by {lead}."
        )
    return tuple(out[:4])


def _figures(
    metrics: dict[str, Any], n_accounts: int, items: int, flags: pd.DataFrame, has_plan: bool
) -> pd.DataFrame:
    """The headline figures as text, for the notebook (no statistics of the readiness column)."""

    def pct(v: float | None) -> str:
        return "unknown" if v is None else f"{v:.1%}"

    raised = int((flags["status"] == "raised").sum())
    unknown = int((flags["status"] == "unknown").sum())
    risks = (
        f"{raised} of {len(flags)}" + (f" ({unknown} unknown)" if unknown else "")
        if has_plan
        else "unknown (no plan)"
    )
    rows = [
        ("accounts audited", f"{n_accounts:,}"),
        ("items measured", f"{items} of {len(ITEMS)}"),
        ("readiness coverage", pct(metrics["readiness_coverage"])),
        ("mean readiness (known items)", pct(metrics["readiness_mean"])),
        (
            "accounts ready",
            "unknown" if metrics["accounts_ready"] is None else f"{metrics['accounts_ready']:,}",
        ),
        ("failure risks raised", risks),
        (
            "ABM candidates selected",
            "none" if metrics["candidates"] is None else f"{metrics['candidates']:,}",
        ),
    ]
    return pd.DataFrame(rows, columns=["figure", "value"])


AbmAnalysis.charts = {
    "readiness_map": analysis.Chart(
        ("readiness",), lambda a, ax: plot_readiness(a.tables["readiness"], ax=ax)
    ),
    "risk_flags": analysis.Chart(("risks",), lambda a, ax: plot_risks(a.tables["risks"], ax=ax)),
    "white_space": analysis.Chart(
        ("white_space",),
        lambda a, ax: plot_white_space(a.tables["white_space"].set_index("buying_center"), ax=ax),
    ),
}


_T = analysis.TableSpec
_ITEM_LABELS = {i: i.replace("_", " ").capitalize() for i in ITEMS}
AbmAnalysis.specs = {
    "figures": _T("The headline figures", {"figure": "text", "value": "text"}),
    "readiness": _T(
        "Readiness by account, weakest first",
        {
            "account_id": "id",
            "account_name": "text",
            "owner": "text",
            "buying_center_count": "count",
            "readiness": "percent",
            "readiness_coverage": "percent",
            "items_known": "count",
            **dict.fromkeys(ITEMS, "percent"),
        },
        labels={
            "account_name": "Account",
            "buying_center_count": "Buying centers",
            "readiness_coverage": "Coverage",
            "items_known": f"Items known (of {len(ITEMS)})",
            **_ITEM_LABELS,
        },
        source="Readiness: the weighted share of the known items present (required 3, "
        "recommended 2, best practice 1); coverage: the weighted share of the items known.",
    ),
    "audit": _T(
        "The ABM list by account and buying center",
        {
            "account_id": "id",
            "account_name": "text",
            "buying_center": "text",
            "owner": "text",
            **dict.fromkeys(ITEMS, "bool"),
            "readiness": "percent",
            "readiness_coverage": "percent",
            "items_known": "count",
        },
        labels={"account_name": "Account", "readiness_coverage": "Coverage", **_ITEM_LABELS},
        wide=True,
    ),
    "gaps": _T(
        "The gap work-list: who must find what",
        {
            "account_id": "id",
            "account_name": "text",
            "buying_center": "text",
            "item": "text",
            "level": "text",
            "find": "text",
            "who": "text",
        },
        labels={"account_name": "Account", "find": "What to find"},
        source="Required items first; unknown items (no table or column) are not listed.",
    ),
    "risks": _T(
        "The six ways ABM fails",
        {"flag": "text", "status": "text", "raised": "bool", "evidence": "text"},
        labels={"flag": "Failure risk"},
    ),
    "success_factors": _T(
        "Success factors: the leads' answers",
        {"question": "text", "answer": "text", "score": "number"},
    ),
    "candidates": _T(
        "Accounts ranked for ABM",
        {
            "account_id": "id",
            "account_name": "text",
            "tier": "text",
            "readiness": "percent",
            "readiness_coverage": "percent",
            "wallet_share": "percent",
            "wallet_to_win": "money",
            "relationship_share": "percent",
            "score": "number",
            "reason": "text",
            "selected": "bool",
        },
        labels={
            "account_name": "Account",
            "readiness_coverage": "Coverage",
            "wallet_share": "Our wallet share",
            "relationship_share": "Good relationships",
            "score": "Score (0-1)",
        },
        source="Score: 30% tier T1 or Global, 30% readiness, 20% wallet share still to win, "
        "20% buying centers with a strong or neutral relationship.",
    ),
    "white_space": _T(
        "Won amount by buying center and product family",
        {"buying_center": "text", "wallet_to_win": "money"},
        labels={"wallet_to_win": "Wallet still to win"},
        source="Won deals of the selected candidates; –: no won deal yet (the white space).",
    ),
}


# --------------------------------------------------------------------------- training (issue 14)
EXERCISE_READY_MIN = 0.8  # exercise 2 raises the readiness that counts as ready to this
PICK = 3  # exercise 4: accounts to pick from the shortlist
SHORTLIST = 8  # ... of this many


DRAFT_CAMPAIGN = "the quarterly newsletter"


def draft_plan(a: AbmAnalysis, params: Params) -> Plan | None:
    """Exercise 3's programme plan when no plan_file is given: a first draft built from this
    data set's own candidates, with the faults first drafts have. It targets twice the
    accounts the team can serve (the best-ranked first), expects marketing to source 30% of
    their pipeline, names an account marketing owner for half of them and sends every
    target the same campaign. None when no account can be ranked.
    """
    ranked = a.tables.get("candidates")
    if ranked is None or ranked.empty:
        return None
    ids = (
        ranked.dropna(subset=["score"])["account_id"].astype(str).head(2 * max(params.capacity, 1))
    )
    targets = list(dict.fromkeys(ids))
    if not targets:
        return None
    return Plan(
        targets=targets,
        capacity=params.capacity,
        marketing_sourced_share=GENERAL_SHARE_MAX,
        owners={t: "account marketing manager" for t in targets[: len(targets) // 2]},
        campaigns=dict.fromkeys(targets, DRAFT_CAMPAIGN),
    )


def _exercise_plan(a: AbmAnalysis, params: Params) -> tuple[Plan | None, str]:
    """The plan exercise 3 judges and where it comes from: plan_file, else the draft."""
    path = params.path("plan_file")
    if path is not None:
        return load_plan(path), path.name
    return draft_plan(a, params), "a first draft built from this data set"


def shortlist(a: AbmAnalysis) -> pd.DataFrame:
    """Exercise 3's shortlist: the best-scored candidates, by name (no score shown)."""
    ranked = a.tables.get("candidates")
    if ranked is None or ranked.empty:
        return pd.DataFrame(columns=["account_id", "account_name", "score"])
    top = ranked.dropna(subset=["score"]).head(SHORTLIST)
    return top.sort_values(["account_name", "account_id"], kind="stable").reset_index(drop=True)


def shortlist_view(a: AbmAnalysis) -> Any:
    """Exercise 3's shortlist for people: tier, readiness, wallet share, relationships; no score."""
    from .notebook import note, table_html

    t = shortlist(a)
    if t.empty:
        return note(a.reason("candidates") or "No account to choose from.")
    cols = ["account_name", "tier", "readiness", "wallet_share", "relationship_share"]
    return table_html(
        t[[c for c in cols if c in t]],
        spec=a.spec("candidates"),
        title=f"The shortlist: {len(t)} accounts, by name",
        source="",
        currency=a.currency,
        key="shortlist",
    )


def plan_view(params: Params, a: AbmAnalysis) -> Any:
    """Exercise 3's programme plan for people: targets, capacity, expectations, owners, campaigns."""
    from .notebook import note, table_html

    plan, source = _exercise_plan(a, params)
    if plan is None:
        return note("No programme plan to judge: no account can be ranked for ABM here.")
    names = (
        a.tables["readiness"].drop_duplicates("account_id").set_index("account_id")["account_name"]
        if "readiness" in a.tables and "account_name" in a.tables["readiness"]
        else pd.Series(dtype="object")
    )
    shown = [str(names.get(t, t)) for t in plan.targets]
    campaigns = sorted(set(plan.campaigns.values()))
    rows = [
        ("Target accounts", f"{len(shown)}: {', '.join(shown)}"),
        ("Accounts the team can serve", f"{plan.capacity}"),
        (
            "Pipeline marketing is expected to source",
            "not stated"
            if plan.marketing_sourced_share is None
            else f"{plan.marketing_sourced_share:.0%}",
        ),
        ("Large accounts", f"{plan.large_account_employees:,} employees or more"),
        (
            "Account marketing owner",
            f"{len(plan.owners)} of {len(plan.targets)} targets have one",
        ),
        (
            "Campaigns",
            f"{len(campaigns)} for {len(plan.targets)} targets: {'; '.join(campaigns)}"
            if campaigns
            else "none",
        ),
    ]
    return table_html(
        pd.DataFrame(rows, columns=["item", "plan"]),
        title=f"The programme plan to judge ({source})",
        key="plan",
    )


def exercises(data: DataSet, params: Params, a: AbmAnalysis | None = None) -> dict[str, Any]:
    """The answer key of the ABM notebook's exercises, computed from the data.

    1 (predict) the share of measured accounts that count as ready; 2 (parameter) the
    accounts ready with ``ready_min`` at 80%; 3 (scenario) the failure modes a programme
    plan raises (the plan_file, else :func:`draft_plan` from this data set); 4 (judgement) three accounts of
    the shortlist for the ABM list, checked against the candidate score (ties at the cut
    accepted). An exercise the data cannot support is left out of the key.
    """
    from . import training

    a = a if a is not None else analyze(data, params)
    key: dict[str, Any] = {}
    ready = a.metrics.get("accounts_ready")
    acc = a.tables.get("readiness")
    measured = 0 if acc is None else int(acc["readiness"].notna().sum())
    if ready is not None and measured:
        key["1"] = training.Answer(
            ready / measured,
            kind="guess",
            of="percent",
            hint="A share of the accounts whose readiness can be measured, e.g. 30%.",
            explain=f"{ready:,} of {measured:,} accounts count as ready (readiness at least "
            f"{params.ready_min:.0%} with every required item known), measured on "
            f"{a.metrics.get('readiness_coverage') or 0:.0%} of the ABM list.",
        )
        moved = analyze(data, dataclasses.replace(params, ready_min=EXERCISE_READY_MIN))
        now = moved.metrics.get("accounts_ready")
        if now is not None:
            key["2"] = training.Answer(
                int(now),
                kind="count",
                hint=f"Set ready_min to {EXERCISE_READY_MIN:.0%} and read Accounts ready in the "
                "headline figures.",
                explain=f"{now:,} accounts are ready at {EXERCISE_READY_MIN:.0%} (at "
                f"{params.ready_min:.0%}: {ready:,}): the bar decides how long the gap "
                "work-list is, not how well the accounts are known.",
            )

    short = shortlist(a)
    if len(short) >= PICK:
        ranked = a.tables["candidates"].dropna(subset=["score"])
        cut = float(ranked["score"].iloc[PICK - 1])
        good = short[short["score"] >= cut - 1e-9].sort_values("score", ascending=False)
        names = list(good["account_name"].astype(str))
        key["4"] = training.Answer(
            names,
            kind="pick",
            k=PICK,
            any_of=tuple(good["account_id"].astype(str)),
            hint=f"Name {PICK} accounts of the shortlist; the rubric: a strategic tier (T1 or "
            "Global), readiness, room to grow (a low wallet share), good relationships.",
            explain=f"The candidate score ranks {', '.join(names[:PICK])} highest"
            + (" (accounts tied at the cut are accepted too)" if len(names) > PICK else "")
            + ": tier and readiness weigh 30% each, room to grow and relationships 20%.",
        )

    plan, _ = _exercise_plan(a, params)
    if plan is not None and "readiness" in a.tables and "audit" in a.tables:
        risks = risk_flags(plan, a.tables["readiness"], a.tables["audit"], data.tables["accounts"])
        if (risks["status"] == "raised").any():
            raised = list(risks.loc[risks["status"] == "raised", "flag"])
            unknown = list(risks.loc[risks["status"] == "unknown", "flag"])
            key["3"] = training.Answer(
                raised,
                kind="set",
                hint="Name the failure modes the plan raises, from the six in the section on why "
                "ABM programmes fail.",
                explain=f"The plan raises {', '.join(raised)}"
                + (f"; the data cannot tell {', '.join(unknown)}" if unknown else "")
                + ".",
            )
    return training.complete(key, {"1": "guess", "2": "count", "3": "set", "4": "pick"})
