"""The seeded demo company: a realistic canonical data set for training and benchmarks.

``make_demo`` builds the small tables in memory; ``write_demo`` writes a whole data
set, streaming the raw-line tables (orders, activities) in fixed-size chunks so a
10-million-line demo never sits in memory. Same seed and options, same bytes.

What a trainer can find in it (by construction, not by hand-typed numbers):

- heavy-tailed revenue (log-normal account values: Pareto-like, not exactly 80/20);
- firmographics from one-person shops to Fortune-500-class (``is_global``) accounts;
- accounts with too few contacts and departments without any;
- opportunities in six stages with won / lost / no-decision outcomes (no decision is
  about a quarter of closed deals), open deals without amount or close date, prospects
  without an account, past-due close dates;
- complaints concentrated on a few accounts, only loosely tied to revenue;
- products with different commission rates; reps whose logged activity follows habit
  more than account value; quotas per rep and quarter; buying centers; an expert roster;
- the sales habits of issue 15 (:func:`_habits`, its own random stream, so no value the
  other tables had before changes except which deals carry ``source`` "referral"):
  accounts referred by an earlier customer (``referred_by``) whose deals win more often
  and close faster, e-mail and phone of contacts (some executives with both), and a
  free-trial table where 7-day trials, qualified sign-ups and high usage convert better
  and repeat sign-ups by the same e-mail rarely do.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .files import atomic_path
from .schema import TABLES, UsageError

__all__ = ["DemoSpec", "demo_path", "load_demo", "make_demo", "previous_snapshot", "write_demo"]

CHUNK_LINES = 1_000_000  # fixed: the bytes must not depend on memory settings
_INDUSTRIES = [
    "software",
    "manufacturing",
    "healthcare",
    "financial_services",
    "retail",
    "logistics",
    "energy",
    "education",
    "professional_services",
    "telecom",
]
_INDUSTRY_P = [0.16, 0.14, 0.11, 0.11, 0.10, 0.09, 0.07, 0.06, 0.10, 0.06]
_REGIONS = ["north_america", "emea", "apac", "latam"]
_SIZE = ["micro", "small", "mid", "large", "global"]
_SIZE_P = [0.10, 0.28, 0.37, 0.22, 0.03]
_SIZE_EMP = {
    "micro": (1, 5),
    "small": (6, 50),
    "mid": (50, 1000),
    "large": (1000, 20000),
    "global": (20000, 300000),
}
_SIZE_VALUE = {"micro": 0.25, "small": 0.6, "mid": 1.0, "large": 1.5, "global": 2.5}
_SIZE_CONTACTS = {"micro": 1.5, "small": 3.0, "mid": 5.5, "large": 8.0, "global": 11.0}
_NAME_A = [
    "Nor",
    "Kes",
    "Alb",
    "Vant",
    "Cor",
    "Bel",
    "Dra",
    "Ever",
    "Fal",
    "Gran",
    "Hal",
    "Ior",
    "Jun",
    "Kal",
    "Lum",
    "Mar",
    "Nex",
    "Orb",
    "Pax",
    "Quin",
    "Ros",
    "Sol",
    "Tor",
    "Ul",
    "Ver",
    "Wil",
    "Xan",
    "Yar",
    "Zen",
    "Ast",
]
_NAME_B = [
    "via",
    "trel",
    "ion",
    "ara",
    "ex",
    "wick",
    "ford",
    "mont",
    "stone",
    "ridge",
    "haven",
    "dale",
    "field",
    "gate",
    "point",
    "line",
    "wave",
    "crest",
    "port",
    "vale",
    "tek",
    "ora",
    "nix",
    "bury",
    "ton",
    "well",
    "more",
    "side",
    "land",
    "cast",
]
_NAME_C = [
    "Systems",
    "Logistics",
    "Health",
    "Capital",
    "Industries",
    "Labs",
    "Group",
    "Partners",
    "Energy",
    "Retail",
    "Software",
    "Foods",
    "Motors",
    "Analytics",
    "Holdings",
    "Works",
]
_FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Nils",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Adams",
    "Berg",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haas",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Young",
    "Zimmer",
]
_REPS = [
    "Alex Moreau",
    "Bianca Holt",
    "Chris Nakamura",
    "Dana Okoro",
    "Eli Sandberg",
    "Fatima Aziz",
    "George Lind",
    "Hana Kim",
    "Ivan Petrov",
    "Julia Costa",
]
_DEPARTMENTS = [
    "executive",
    "it",
    "finance",
    "operations",
    "marketing",
    "sales",
    "procurement",
    "legal",
    "hr",
]
_ROLES = ["decision_maker", "influencer", "champion", "user", "blocker", "unknown"]
_ROLE_P = [0.15, 0.28, 0.10, 0.37, 0.04, 0.06]
_STAGES = ["Qualify", "Discover", "Propose", "Negotiate"]
_STAGE_PROB = [0.10, 0.25, 0.45, 0.70]
_LOSS = ["price", "competitor", "no budget", "bad fit", "timing", "product gap"]
_LOSS_P = [0.22, 0.30, 0.14, 0.14, 0.12, 0.08]
_COMPETITORS = ["Acmetrix", "Brightpath", "Corvex", "Datalune"]
_FAMILIES = ["platform", "analytics", "integration", "services", "support"]
_EXPERT_AREAS = ["product", "pricing", "legal", "finance", "delivery", "security", "industry"]
_BC = ["it", "finance", "operations", "marketing", "hr", "sales"]


@dataclass(frozen=True)
class DemoSpec:
    """Size and period of a demo data set.

    ``order_lines`` and ``activity_lines`` default to 50 and 20 per account.
    """

    seed: int = 42
    accounts: int = 500
    order_lines: int | None = None
    activity_lines: int | None = None
    start: str = "2024-10-01"  # eight calendar quarters: 2024Q4 .. 2026Q3
    end: str = "2026-09-30"
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.accounts < 10:
            raise UsageError("the demo needs at least 10 accounts")
        if (self.order_lines or 0) < 0 or (self.activity_lines or 0) < 0:
            raise UsageError("line counts cannot be negative")

    @property
    def n_orders(self) -> int:
        return self.order_lines if self.order_lines is not None else 50 * self.accounts

    @property
    def n_activities(self) -> int:
        return self.activity_lines if self.activity_lines is not None else 20 * self.accounts


def _ids(prefix: str, n: int, width: int | None = None) -> np.ndarray:
    width = width or max(5, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def _sometimes_na(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    return values.mask(rng.random(len(values)) < share)


def _days(spec: DemoSpec) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    start, end = pd.Timestamp(spec.start), pd.Timestamp(spec.end)
    return start, end, int((end - start).days) + 1


def _accounts(spec: DemoSpec, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    n = spec.accounts
    size = rng.choice(_SIZE, n, p=_SIZE_P)
    lo = np.array([_SIZE_EMP[s][0] for s in size])
    hi = np.array([_SIZE_EMP[s][1] for s in size])
    employees = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(int)
    young = np.isin(size, ["micro", "small"]) & (rng.random(n) < 0.45)
    founded = np.where(young, rng.integers(2018, 2026, n), rng.integers(1950, 2016, n))
    revenue = np.round(employees * _log_uniform(rng, 60_000, 400_000, n), -3)
    website = np.clip(rng.beta(4, 2.5, n) * 100 - young * 5 + rng.normal(0, 8, n), 0, 100).round()
    price = np.round(_log_uniform(rng, 8, 400_000, n), 2)
    fit = rng.choice([True, False], n, p=[0.6, 0.4]).astype(object)
    fit[rng.random(n) < 0.2] = None
    owner_p = np.array([14, 13, 12, 11, 10, 10, 9, 8, 7, 6], float)
    owner = rng.choice(_REPS, n, p=owner_p / owner_p.sum())
    combos = len(_NAME_A) * len(_NAME_B) * len(_NAME_C)
    picks = rng.choice(combos, n, replace=n > combos)
    names = [f"{_NAME_A[p % 30]}{_NAME_B[(p // 30) % 30]} {_NAME_C[p // 900]}" for p in picks]
    if n > combos:  # very large demos: keep names unique
        names = [f"{nm} {i}" for i, nm in enumerate(names, 1)]
    # latent yearly value with us: heavy-tailed, higher for fitting, mid-size, established firms
    boxes = (website >= 60).astype(int) + (~young).astype(int) + np.isin(size, ["mid", "large"])
    value = rng.lognormal(0.0, 1.25, n) * np.array([_SIZE_VALUE[s] for s in size])
    value *= np.exp(0.25 * (boxes - boxes.mean()))
    customer = rng.random(n) < np.clip(0.55 + 0.1 * boxes, 0, 0.92)
    value = np.where(customer, value, 0.0)
    prior = np.where(
        customer & (rng.random(n) < 0.7), np.round(value * _log_uniform(rng, 2e3, 6e4, n), 2), 0.0
    )
    df = pd.DataFrame(
        {
            "account_id": _ids("A", n),
            "account_name": names,
            "industry": rng.choice(_INDUSTRIES, n, p=_INDUSTRY_P),
            "employees": employees,
            "year_founded": founded,
            "annual_revenue": revenue,
            "website_score": _sometimes_na(rng, pd.Series(website), 0.08),
            "avg_customer_price": _sometimes_na(rng, pd.Series(price), 0.10),
            "prior_spend": prior,
            "priorities_fit": pd.array(fit, dtype="boolean"),
            "is_global": size == "global",
            "region": rng.choice(_REGIONS, n, p=[0.45, 0.35, 0.15, 0.05]),
            "owner": owner,
        }
    )
    df["employees"] = df["employees"].astype("Int64")
    df["year_founded"] = df["year_founded"].astype("Int64")
    return df, value


def _products(rng: np.random.Generator) -> pd.DataFrame:
    n = 24
    family = np.repeat(_FAMILIES, [6, 5, 5, 4, 4])
    base = {
        "platform": 12_000,
        "analytics": 6_000,
        "integration": 3_000,
        "services": 1_500,
        "support": 800,
    }
    price = np.round([base[f] * rng.lognormal(0, 0.5) for f in family], -1)
    rate = {
        "platform": [0.03, 0.05],
        "analytics": [0.06, 0.09],
        "integration": [0.05, 0.08],
        "services": [0.10, 0.15],
        "support": [0.02, 0.04],
    }
    commission = np.round([rng.uniform(*rate[f]) for f in family], 3)
    names = [
        f"{f.title()} {s}"
        for f, s in zip(family, ["Core", "Plus", "Pro", "Edge", "Max", "Lite"] * 4, strict=False)
    ]
    return pd.DataFrame(
        {
            "product_id": _ids("P", n, 3),
            "product_name": names,
            "family": family,
            "list_price": price,
            "commission_rate": commission,
        }
    )


def _product_weights(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** 0.9
    return w / w.sum()


def _strings(values: pd.Series) -> pa.Array:
    """A column of ids or names as an Arrow string array (missing values null)."""
    return pa.array(values.astype(object).where(values.notna(), None).tolist(), type=pa.string())


def _numbered(prefix: str, first: int, n: int, width: int) -> pa.Array:
    """``prefix`` + the numbers first .. first + n - 1, zero-padded to ``width`` (OL0000001)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(first, first + n)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(start: pd.Timestamp, day: np.ndarray) -> pa.Array:
    """``start`` + ``day`` days as Arrow dates."""
    epoch = (start.normalize() - pd.Timestamp("1970-01-01")).days
    return pa.array((epoch + day).astype(np.int32), type=pa.int32()).cast(pa.date32())


def _orders_chunks(
    spec: DemoSpec, accounts: pd.DataFrame, value: np.ndarray, products: pd.DataFrame
) -> Iterator[pa.Table]:
    """The order lines, CHUNK_LINES at a time, each chunk sorted by date.

    Built as Arrow columns straight from the random draws (no DataFrame of a million
    Python strings per chunk): the same values as before, in half the time and memory.
    """
    start, _, ndays = _days(spec)
    total = spec.n_orders
    p_acc = value**0.85
    if total == 0 or p_acc.sum() == 0:
        return
    p_acc = p_acc / p_acc.sum()
    p_prod = _product_weights(len(products))
    price = products["list_price"].to_numpy()
    scale = np.exp(0.3 * np.log(value + 1e-9))  # big accounts buy bigger lines too
    width = max(7, len(str(total)))
    account_ids, product_ids = _strings(accounts["account_id"]), _strings(products["product_id"])
    for k, lo in enumerate(range(0, total, CHUNK_LINES)):
        m = min(CHUNK_LINES, total - lo)
        rng = np.random.default_rng([spec.seed, 101, k])
        acc = rng.choice(len(accounts), m, p=p_acc)
        prod = rng.choice(len(products), m, p=p_prod)
        # more business in later quarters and in each quarter's last month
        day = np.floor(ndays * rng.beta(1.15, 1.0, m)).astype(int)  # see _beta_cdf
        qty = rng.geometric(0.45, m).astype(float)
        amount = qty * price[prod] * (1 - rng.uniform(0, 0.3, m)) * np.clip(scale[acc], 0.2, 5)
        credit = rng.random(m) < 0.03
        amount = np.where(credit, -amount * rng.uniform(0.2, 1.0, m), amount)
        qty = np.where(credit, -qty, qty)
        # a few lines reach the books without a customer (manual postings, cash sales)
        no_account = rng.random(m) < 0.004
        order = np.argsort(day, kind="stable")  # by date, ties in drawing order
        yield pa.table(
            {
                "order_id": _numbered("OL", lo + 1, m, width),
                "account_id": account_ids.take(pa.array(acc[order], mask=no_account[order])),
                "order_date": _dates(start, day[order]),
                "amount": pa.array(np.round(amount, 2)[order], type=pa.float64()),
                "product_id": product_ids.take(pa.array(prod[order])),
                "quantity": pa.array(qty[order], type=pa.float64()),
            }
        )


def _activity_chunks(
    spec: DemoSpec, accounts: pd.DataFrame, value: np.ndarray
) -> Iterator[pa.Table]:
    """The activity lines, CHUNK_LINES at a time, each chunk sorted by date (Arrow columns)."""
    start, _, ndays = _days(spec)
    total = spec.n_activities
    if total == 0:
        return
    # reps spend time by habit: weakly tied to value, with each rep's own favourites
    habit = np.random.default_rng([spec.seed, 202]).lognormal(0, 1.0, len(accounts))
    p = (value + 0.3) ** 0.3 * habit
    p = p / p.sum()
    types = ["call", "email", "meeting", "demo"]
    minutes = {"call": (10, 45), "email": (5, 15), "meeting": (30, 90), "demo": (45, 120)}
    lo_of = np.array([minutes[t][0] for t in types])
    hi_of = np.array([minutes[t][1] for t in types])
    width = max(7, len(str(total)))
    account_ids = _strings(accounts["account_id"])
    # each account's owner, then the reps: an activity logged by another rep indexes past the owners
    owner_ids = _strings(pd.concat([accounts["owner"], pd.Series(_REPS)], ignore_index=True))
    kinds = pa.array(types, type=pa.string())
    for k, lo in enumerate(range(0, total, CHUNK_LINES)):
        m = min(CHUNK_LINES, total - lo)
        rng = np.random.default_rng([spec.seed, 202, k])
        acc = rng.choice(len(accounts), m, p=p)
        kind = rng.choice(len(types), m, p=[0.35, 0.35, 0.2, 0.1])
        owner = np.where(
            rng.random(m) < 0.9, acc, len(accounts) + rng.choice(len(_REPS), m)
        )  # mostly the account's owner
        day = rng.integers(0, ndays, m)
        duration = rng.integers(lo_of[kind], hi_of[kind] + 1).astype(float)
        order = np.argsort(day, kind="stable")
        yield pa.table(
            {
                "activity_id": _numbered("AC", lo + 1, m, width),
                "account_id": account_ids.take(pa.array(acc[order])),
                "activity_date": _dates(start, day[order]),
                "owner": owner_ids.take(pa.array(owner[order])),
                "activity_type": kinds.take(pa.array(kind[order])),
                "duration_minutes": pa.array(duration[order], type=pa.float64()),
            }
        )


def _opportunities(
    spec: DemoSpec,
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    value: np.ndarray,
    products: pd.DataFrame,
) -> pd.DataFrame:
    start, end, ndays = _days(spec)
    lam = np.clip(1.0 + 3.0 * np.sqrt(value), 0.3, 25)
    counts = rng.poisson(lam)
    acc = np.repeat(np.arange(len(accounts)), counts)
    m = len(acc)
    created = (
        start - pd.Timedelta(days=120) + pd.to_timedelta(rng.integers(0, ndays + 120, m), unit="D")
    )
    size = np.array(accounts["employees"].to_numpy(dtype=float))[acc]
    amount = np.round(
        rng.lognormal(np.log(8_000), 0.9, m)
        * np.clip(np.sqrt(value[acc] + 0.2), 0.4, 4)
        * np.clip((size / 200) ** 0.15, 0.5, 2.5),
        -2,
    )
    cycle = np.round(rng.lognormal(np.log(70), 0.55, m) * (1 + amount / 100_000)).astype(int)
    close = created + pd.to_timedelta(cycle, unit="D")
    closed = close <= end
    outcome = np.where(
        closed, rng.choice(["won", "lost", "no_decision"], m, p=[0.36, 0.39, 0.25]), "open"
    )
    stage_i = rng.choice(4, m, p=[0.35, 0.28, 0.22, 0.15])
    stage = np.where(
        outcome == "won", "Closed Won", np.where(closed, "Closed Lost", np.array(_STAGES)[stage_i])
    )
    prob = np.where(outcome == "won", 1.0, np.where(closed, 0.0, np.array(_STAGE_PROB)[stage_i]))
    mismatch = (outcome == "open") & (rng.random(m) < 0.05)
    prob = np.where(mismatch, rng.choice([0.9, 0.05], m), prob)
    # open deals: expected close date ahead, some past due, some unknown; some amounts unknown
    open_close = np.maximum(
        end + pd.to_timedelta(rng.integers(-60, 180, m), unit="D"), created + pd.Timedelta(days=30)
    )
    close = pd.DatetimeIndex(np.where(outcome == "open", open_close, close))
    close_s = pd.Series(close).mask((outcome == "open") & (rng.random(m) < 0.06))
    amount_s = pd.Series(amount).mask((outcome == "open") & (rng.random(m) < 0.08))
    loss = np.where(
        outcome == "lost",
        rng.choice(_LOSS, m, p=_LOSS_P),
        np.where(outcome == "no_decision", "no decision", None),
    )
    forecast = np.where(
        outcome != "open",
        "closed",
        np.array(["pipeline", "pipeline", "best_case", "commit"])[stage_i],
    )
    account_ids = pd.Series(accounts["account_id"].to_numpy()[acc]).mask(rng.random(m) < 0.02)
    owners = np.where(rng.random(m) < 0.92, accounts["owner"].to_numpy()[acc], rng.choice(_REPS, m))
    comp = pd.Series(rng.choice(_COMPETITORS, m)).mask(rng.random(m) < 0.45)
    df = pd.DataFrame(
        {
            "account_id": account_ids,
            "stage": stage,
            "amount": amount_s,
            "created_date": pd.DatetimeIndex(created).normalize(),
            "close_date": close_s,
            "owner": owners,
            "outcome": outcome,
            "loss_reason": loss,
            "product_id": products["product_id"].to_numpy()[
                rng.choice(len(products), m, p=_product_weights(len(products)))
            ],
            "probability": prob,
            "forecast_category": forecast,
            "source": rng.choice(["sales", "marketing", "partner"], m, p=[0.6, 0.3, 0.1]),
            "buying_center": rng.choice(_BC, m),
            "competitor": comp,
        }
    )
    df = df.sort_values("created_date", kind="stable").reset_index(drop=True)
    df.insert(0, "opportunity_id", _ids("OP", m, 6))
    return df


def _contacts(rng: np.random.Generator, accounts: pd.DataFrame, spec: DemoSpec) -> pd.DataFrame:
    start, _, ndays = _days(spec)
    size = np.where(
        accounts["is_global"],
        "global",
        pd.cut(
            accounts["employees"].astype(float),
            [0, 5, 50, 1000, np.inf],
            labels=["micro", "small", "mid", "large"],
        ).astype(str),
    )
    counts = rng.poisson([_SIZE_CONTACTS[s] for s in size])
    acc = np.repeat(np.arange(len(accounts)), counts)
    m = len(acc)
    # each account reaches only some departments
    dept_w = np.array([0.12, 0.22, 0.14, 0.16, 0.1, 0.08, 0.08, 0.04, 0.06])
    dept = rng.choice(_DEPARTMENTS, m, p=dept_w)
    levels = np.array(["Head of", "Director,", "Manager,", "Analyst,", "VP"])
    lvl = rng.choice(levels, m, p=[0.15, 0.2, 0.35, 0.2, 0.1])
    title = [
        f"{lv} {d.upper() if d in ('it', 'hr') else d.title()}"
        for lv, d in zip(lvl, dept, strict=True)
    ]
    engaged = pd.Series(start + pd.to_timedelta(rng.integers(0, ndays, m), unit="D")).mask(
        rng.random(m) < 0.3
    )
    return pd.DataFrame(
        {
            "contact_id": _ids("C", m, 6),
            "account_id": accounts["account_id"].to_numpy()[acc],
            "full_name": [
                f"{_FIRST[i]} {_LAST[j]}"
                for i, j in zip(
                    rng.integers(0, len(_FIRST), m), rng.integers(0, len(_LAST), m), strict=True
                )
            ],
            "title": title,
            "department": dept,
            "buying_center": np.where(np.isin(dept, _BC), dept, "operations"),
            "role": rng.choice(_ROLES, m, p=_ROLE_P),
            "linkedin_connected": rng.random(m) < 0.4,
            "newsletter": rng.random(m) < 0.3,
            "last_engaged": engaged.dt.normalize(),
        }
    )


def _cases(
    rng: np.random.Generator, accounts: pd.DataFrame, value: np.ndarray, spec: DemoSpec
) -> pd.DataFrame:
    start, end, ndays = _days(spec)
    # a few accounts complain a lot; demanding and valuable only partly overlap
    rate = (
        rng.lognormal(-0.6, 1.6, len(accounts))
        * (0.4 + 0.6 * (value > 0))
        * (1 + 0.3 * np.sqrt(value))
    )
    counts = rng.poisson(np.clip(rate, 0, 60))
    acc = np.repeat(np.arange(len(accounts)), counts)
    m = len(acc)
    opened = start + pd.to_timedelta(rng.integers(0, ndays, m), unit="D")
    closed = pd.Series(
        opened + pd.to_timedelta(np.ceil(rng.exponential(9, m)).astype(int), unit="D")
    )
    closed = closed.mask(closed > end)
    df = pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[acc],
            "opened_date": pd.DatetimeIndex(opened).normalize(),
            "category": rng.choice(
                ["billing", "delivery", "quality", "support", "contract"],
                m,
                p=[0.25, 0.2, 0.2, 0.28, 0.07],
            ),
            "severity": rng.choice(
                ["low", "medium", "high", "critical"], m, p=[0.4, 0.35, 0.2, 0.05]
            ),
            "closed_date": closed,
        }
    )
    df = df.sort_values("opened_date", kind="stable").reset_index(drop=True)
    df.insert(0, "case_id", _ids("CS", m, 6))
    return df


def _expected_line_revenue(spec: DemoSpec, value: np.ndarray, products: pd.DataFrame) -> np.ndarray:
    """Expected order revenue per account over the whole period (same model as the lines)."""
    p_acc = value**0.85
    if p_acc.sum() == 0:
        return np.zeros_like(value)
    p_acc = p_acc / p_acc.sum()
    mean_price = float((_product_weights(len(products)) * products["list_price"].to_numpy()).sum())
    per_line = (1 / 0.45) * mean_price * 0.85 * (0.97 - 0.03 * 0.6)
    scale = np.clip(np.exp(0.3 * np.log(value + 1e-9)), 0.2, 5)
    return spec.n_orders * p_acc * per_line * scale


def _quotas(
    rng: np.random.Generator, accounts: pd.DataFrame, expected: np.ndarray, spec: DemoSpec
) -> pd.DataFrame:
    """Quota per rep and quarter: the rep's expected revenue with some stretch and noise."""
    start, end, ndays = _days(spec)
    periods = pd.period_range(spec.start, spec.end, freq="Q")
    book = pd.Series(expected, index=accounts["owner"]).groupby(level=0).sum()
    rows = []
    for per in periods:
        lo = (per.start_time - start).days / ndays
        hi = ((min(per.end_time, end) - start).days + 1) / ndays
        share = float(np.diff(_beta_cdf(np.array([lo, hi])))[0])
        for rep in _REPS:
            q = book.get(rep, 0.0) * share * rng.uniform(0.95, 1.25)
            rows.append((rep, f"{per.year}Q{per.quarter}", round(q, -3)))
    return (
        pd.DataFrame(rows, columns=["owner", "period", "quota"])
        .sort_values(["owner", "period"], kind="stable")
        .reset_index(drop=True)
    )


def _beta_cdf(x: np.ndarray, a: float = 1.15) -> np.ndarray:
    """CDF of Beta(a, 1), the day-of-period law of order lines."""
    return np.clip(x, 0, 1) ** a


def _buying_centers(
    rng: np.random.Generator, accounts: pd.DataFrame, value: np.ndarray
) -> pd.DataFrame:
    k = np.clip(rng.poisson(1.8, len(accounts)) + 1, 1, len(_BC))
    rows = []
    for i, n in enumerate(k):
        for bc in rng.choice(_BC, n, replace=False):
            rows.append((i, bc))
    acc = np.array([r[0] for r in rows])
    m = len(rows)
    wallet = np.round(accounts["annual_revenue"].to_numpy()[acc] * rng.uniform(0.001, 0.01, m), -2)
    ours = np.round(np.minimum(wallet * rng.uniform(0, 0.8, m), value[acc] * 30_000 / k[acc]), -2)
    goal = pd.Series(np.round(wallet * rng.uniform(0.1, 0.5, m), -2)).mask(rng.random(m) < 0.35)
    inits = [
        "cloud migration",
        "cost reduction",
        "new market entry",
        "compliance programme",
        "customer experience",
        "automation",
    ]
    return pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy()[acc],
            "buying_center": [r[1] for r in rows],
            "wallet_size": wallet,
            "our_revenue": ours,
            "sales_goal": goal,
            "relationship_status": pd.Series(
                rng.choice(["strong", "neutral", "weak", "none"], m, p=[0.2, 0.35, 0.25, 0.2])
            ).mask(rng.random(m) < 0.15),
            "key_initiatives": pd.Series(rng.choice(inits, m)).mask(rng.random(m) < 0.45),
            "competitor": pd.Series(rng.choice(_COMPETITORS, m)).mask(rng.random(m) < 0.5),
            "growth_trend": pd.Series(
                rng.choice(["growing", "flat", "declining"], m, p=[0.4, 0.4, 0.2])
            ).mask(rng.random(m) < 0.3),
            "engagement_score": pd.Series(rng.integers(0, 101, m).astype(float)).mask(
                rng.random(m) < 0.3
            ),
        }
    )


def _experts(rng: np.random.Generator, spec: DemoSpec) -> pd.DataFrame:
    end = pd.Timestamp(spec.end)
    window = pd.bdate_range(end + pd.Timedelta(days=14), end + pd.Timedelta(days=75))
    rows = []
    for i in range(14):
        area = _EXPERT_AREAS[i % len(_EXPERT_AREAS)]
        busy = sorted(rng.choice(window, rng.integers(3, 15), replace=False))
        rows.append(
            (
                f"E{i + 1:02d}",
                area,
                f"{_FIRST[(i * 7) % 26]} {_LAST[(i * 5 + 3) % 25]}",
                ";".join(pd.Timestamp(d).strftime("%Y-%m-%d") for d in busy),
            )
        )
    return pd.DataFrame(rows, columns=["expert_id", "area", "full_name", "unavailable_dates"])


_EXEC_TITLE = r"^(?:VP|Head of|Chief|C[EFIOT]O)\b"  # executive titles (C-level, VP, Head of)


def _slug(names: pd.Series) -> pd.Series:
    """``Norvia Systems`` -> ``norvia-systems`` (a fictitious domain is ``<slug>.example``)."""
    return names.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")


def _referrals(
    rng: np.random.Generator, accounts: pd.DataFrame, opp: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """``referred_by`` per account and the deals labelled ``source`` "referral".

    An account is referred by a customer whose won deal closed before the account's first
    deal was created. Referred accounts are drawn among those whose deals went well, and
    their won, quick deals are the likeliest to carry the label: the label is chosen, no
    outcome or date changes.
    """
    known = opp.dropna(subset=["account_id"])
    first = known.groupby("account_id")["created_date"].min()
    won = known[known["outcome"] == "won"]
    first_win = won.groupby("account_id")["close_date"].min().sort_values()
    closed = known[known["outcome"] != "open"]
    won_share = closed["outcome"].eq("won").groupby(closed["account_id"]).mean()
    cycle = (closed["close_date"] - closed["created_date"]).dt.days
    quick = cycle.groupby(closed["account_id"]).median()
    cand = first.index[first.index.isin(won_share.index)]
    # how many customers had won by each candidate's first deal
    n_ref = np.searchsorted(first_win.to_numpy(), first[cand].to_numpy(), side="left")
    cand = cand[n_ref >= 3]
    n_ref = n_ref[n_ref >= 3]
    fast = (quick[cand] < quick.median()).to_numpy()
    weight = np.exp(1.2 * won_share[cand].to_numpy() + 0.8 * fast)
    k = min(len(cand), round(0.12 * len(accounts)))
    picked = rng.choice(len(cand), k, replace=False, p=weight / weight.sum()) if k else []
    referrer = pd.Series(pd.NA, index=accounts["account_id"], dtype="str")
    for i in picked:
        referrer[cand[i]] = first_win.index[rng.integers(0, n_ref[i])]
    # which of the referred accounts' deals came through the recommendation
    of_referred = opp["account_id"].isin(referrer.dropna().index)
    days = (opp["close_date"] - opp["created_date"]).dt.days
    p = np.select(
        [
            opp["outcome"].eq("won") & (days < 60),
            opp["outcome"].eq("won"),
            opp["outcome"].eq("open"),
        ],
        [0.85, 0.35, 0.5],
        0.4,
    )
    label = of_referred & (rng.random(len(opp)) < p)
    return referrer.reset_index(drop=True), label


def _contact_details(
    rng: np.random.Generator, accounts: pd.DataFrame, contacts: pd.DataFrame
) -> pd.DataFrame:
    """E-mail (``first.last@<account-slug>.example``) and phone of some contacts."""
    m = len(contacts)
    slug = contacts["account_id"].map(
        pd.Series(_slug(accounts["account_name"]).to_numpy(), index=accounts["account_id"])
    )
    local = _slug(contacts["full_name"]).str.replace("-", ".", regex=False)
    email = local + "@" + slug + ".example"
    phone = pd.Series(
        [
            f"+1 555 01{a:02d} {b:04d}"
            for a, b in zip(rng.integers(0, 100, m), rng.integers(0, 10_000, m), strict=True)
        ],
        index=contacts.index,
    )
    execs = contacts["title"].str.contains(_EXEC_TITLE, regex=True).to_numpy()
    has_email = rng.random(m) < np.where(execs, 0.75, 0.65)
    has_phone = rng.random(m) < np.where(execs, 0.7, 0.35)
    return pd.DataFrame(
        {"email": email.where(has_email), "phone": phone.where(has_phone)}, index=contacts.index
    )


def _trials(
    rng: np.random.Generator, spec: DemoSpec, accounts: pd.DataFrame, n: int
) -> pd.DataFrame:
    """Free-trial sign-ups: 7 or 30 days; conversion rises with usage, qualification and
    the shorter trial; repeat sign-ups by an earlier trial's e-mail rarely convert."""
    start, end, ndays = _days(spec)
    length = rng.choice([7, 30], n, p=[0.45, 0.55])
    begin = start + pd.to_timedelta(np.floor(rng.random(n) * (ndays - 31)).astype(int), unit="D")
    # a quarter of the sign-ups come from accounts we know, the rest from new companies
    known = rng.random(n) < 0.25
    acc = rng.integers(0, len(accounts), n)
    account_slug = _slug(accounts["account_name"]).to_numpy()[acc]
    new_slug = [
        f"{_NAME_A[a].lower()}{_NAME_B[b]}-{c}"
        for a, b, c in zip(
            rng.integers(0, 30, n), rng.integers(0, 30, n), rng.integers(1, 99, n), strict=True
        )
    ]
    person = [
        f"{_FIRST[i].lower()}.{_LAST[j].lower()}"
        for i, j in zip(
            rng.integers(0, len(_FIRST), n), rng.integers(0, len(_LAST), n), strict=True
        )
    ]
    domain = np.where(known, account_slug, np.array(new_slug, dtype=object))
    email = np.array(
        [f"{p}@{d}.example" for p, d in zip(person, domain, strict=True)], dtype=object
    )
    df = pd.DataFrame(
        {
            "account_id": pd.Series(accounts["account_id"].to_numpy()[acc]).where(known),
            "email": email,
            "start_date": pd.DatetimeIndex(begin).normalize(),
            "length_days": length,
        }
    ).sort_values("start_date", kind="stable", ignore_index=True)
    # repeat offenders: some e-mails sign up again after their trial ran out
    # (on plain arrays: a cell set in an Arrow-backed column copies the column, and 50,000
    # trials made that the demo's slowest step; the rows are positions, the index 0..n-1)
    repeat = np.zeros(n, dtype=bool)
    starts = df["start_date"].to_numpy()
    ends = starts + df["length_days"].to_numpy().astype("timedelta64[D]")
    email, account = df["email"].to_numpy(dtype=object), df["account_id"].to_numpy(dtype=object)
    rows = np.arange(n)
    takers = rng.choice(n // 2, max(1, n // 25), replace=False)
    for i in takers:
        times = rng.integers(1, 4)
        later = rows[(starts > ends[i]) & ~repeat & (rows != i)]
        for j in rng.choice(later, min(times, len(later)), replace=False) if len(later) else []:
            email[j], account[j] = email[i], account[i]
            repeat[j] = True
    df = df.assign(
        email=pd.Series(email, dtype=df["email"].dtype),
        account_id=pd.Series(account, dtype=df["account_id"].dtype),
    )
    qualified = rng.random(n) < 0.4
    usage = np.clip(np.round(rng.beta(1.6, 2.4, n) * 100 + 8 * qualified - 10 * repeat), 0, 100)
    logit = (
        -4.6
        + 0.055 * usage
        + 0.9 * (df["length_days"].to_numpy() == 7)
        + 0.8 * qualified
        - 2.5 * repeat
    )
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    df = df.assign(
        end_date=df["start_date"] + pd.to_timedelta(df["length_days"], unit="D"),
        qualified=qualified,
        usage_score=usage,
        converted=converted,
    )
    df.insert(0, "trial_id", _ids("TR", n, 5))
    return df[TABLES["trials"].names]


def _habits(spec: DemoSpec, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The habit columns and the trials table, from their own random stream.

    Adds ``accounts.referred_by``, ``contacts.email`` / ``phone`` and the ``trials``
    table, and relabels some deals' ``source`` as "referral"; every other value stays
    what the other streams made it (the six earlier notebooks' figures do not move).
    """
    rng = np.random.default_rng([spec.seed, 15])
    accounts, opp, contacts = tables["accounts"], tables["opportunities"], tables["contacts"]
    referrer, label = _referrals(rng, accounts, opp)
    details = _contact_details(rng, accounts, contacts)
    n_trials = int(np.clip(round(3 * spec.accounts), 200, 50_000))
    return {
        **tables,
        "accounts": accounts.assign(referred_by=referrer.to_numpy()),
        "opportunities": opp.assign(source=opp["source"].where(~label, "referral")),
        "contacts": pd.concat([contacts, details], axis=1),
        "trials": _trials(rng, spec, accounts, n_trials),
    }


def make_demo(spec: DemoSpec | None = None) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """The small tables of the demo company and each account's latent value.

    Returns
    -------
    (tables, value)
        ``tables`` holds accounts, products, opportunities, contacts, cases, quotas,
        buying_centers, experts and trials; ``value`` drives the raw-line tables.
    """
    spec = spec or DemoSpec()
    rng = np.random.default_rng([spec.seed, 1])
    accounts, value = _accounts(spec, rng)
    products = _products(np.random.default_rng([spec.seed, 2]))
    tables = {
        "accounts": accounts,
        "products": products,
        "opportunities": _opportunities(
            spec, np.random.default_rng([spec.seed, 3]), accounts, value, products
        ),
        "contacts": _contacts(np.random.default_rng([spec.seed, 4]), accounts, spec),
        "cases": _cases(np.random.default_rng([spec.seed, 5]), accounts, value, spec),
        "quotas": _quotas(
            np.random.default_rng([spec.seed, 6]),
            accounts,
            _expected_line_revenue(spec, value, products),
            spec,
        ),
        "buying_centers": _buying_centers(np.random.default_rng([spec.seed, 7]), accounts, value),
        "experts": _experts(np.random.default_rng([spec.seed, 8]), spec),
    }
    return _habits(spec, tables), value


def _arrow(df: pd.DataFrame) -> pa.Table:
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = pa.array(s.dt.date, type=pa.date32(), from_pandas=True)
        elif pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            out[col] = pa.array(s.astype("boolean"), type=pa.bool_(), from_pandas=True)
        elif pd.api.types.is_integer_dtype(s):
            out[col] = pa.array(s, type=pa.int64(), from_pandas=True)
        elif pd.api.types.is_float_dtype(s):
            out[col] = pa.array(s, type=pa.float64(), from_pandas=True)
        else:
            out[col] = pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.string())
    return pa.table(out)


def _write(
    chunks: Iterator[pd.DataFrame | pa.Table] | list[pd.DataFrame], path: Path, fmt: str
) -> int:
    """Write chunks to ``path`` atomically; no chunks at all means no file (a 0-line table is left out)."""
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        path.unlink(missing_ok=True)
        return 0
    chunks = itertools.chain([first], chunks)
    rows = 0
    with atomic_path(path) as tmp:
        writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        try:
            for df in chunks:
                table = df if isinstance(df, pa.Table) else _arrow(df)
                if writer is None:
                    if fmt == "csv":
                        writer = pacsv.CSVWriter(
                            str(tmp),
                            table.schema,
                            write_options=pacsv.WriteOptions(quoting_style="needed"),
                        )
                    else:
                        writer = pq.ParquetWriter(str(tmp), table.schema, compression="zstd")
                writer.write_table(table)
                rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


def write_demo(
    out: str | Path,
    spec: DemoSpec | None = None,
    *,
    fmt: str = "csv",
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write the demo data set to folder ``out``; returns rows written per table.

    Raw-line tables are generated and written chunk by chunk, so memory stays flat
    whatever ``spec.order_lines``. Each file is written under a temporary name and
    renamed. ``out`` must be empty or new unless ``force``.
    """
    spec = spec or DemoSpec()
    if fmt not in ("csv", "parquet"):
        raise UsageError(f"unknown format {fmt!r}: use csv or parquet")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; give a folder for the demo data set")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(
            f"{out} is not empty; choose a new folder or add --force to overwrite the demo files"
        )
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():  # a format switch must not leave a second copy of a table
        if old.suffix in (".csv", ".parquet") and old.stem in TABLES and old.suffix != f".{fmt}":
            old.unlink() if old.is_file() else shutil.rmtree(old)
    tables, value = make_demo(spec)
    rows: dict[str, int] = {}
    for name, df in tables.items():
        rows[name] = _write([df], out / f"{name}.{fmt}", fmt)
        if progress:
            progress(name, rows[name])
    accounts, products = tables["accounts"], tables["products"]
    rows["orders"] = _write(
        _orders_chunks(spec, accounts, value, products), out / f"orders.{fmt}", fmt
    )
    if progress:
        progress("orders", rows["orders"])
    rows["activities"] = _write(
        _activity_chunks(spec, accounts, value), out / f"activities.{fmt}", fmt
    )
    if progress:
        progress("activities", rows["activities"])
    # last quarter's snapshot of the pipeline, for slip analysis and stage conversion
    prev_end = pd.Timestamp(spec.end) - pd.offsets.QuarterEnd(1)
    label = f"{prev_end.year}Q{prev_end.quarter}"
    snap_dir = out / "snapshots" / label
    snap_dir.mkdir(parents=True, exist_ok=True)
    snapshot = previous_snapshot(tables["opportunities"], prev_end, seed=spec.seed)
    rows[f"snapshots/{label}/opportunities"] = _write(
        [snapshot], snap_dir / f"opportunities.{fmt}", fmt
    )
    with atomic_path(snap_dir / "dataset.yml") as tmp:
        tmp.write_text(
            f"# The demo pipeline as it stood on {prev_end.date()} (seed {spec.seed}).\n"
            f"name: Demo company pipeline snapshot {label}\ncurrency: {spec.currency}\nfiscal_year_start_month: 1\n",
            encoding="utf-8",
        )
    with atomic_path(out / "dataset.yml") as tmp:
        tmp.write_text(
            f"# Seeded demo company written by 'salesnb demo' (seed {spec.seed}).\n"
            f"name: Demo company (seed {spec.seed}, {spec.accounts} accounts)\n"
            f"currency: {spec.currency}\nfiscal_year_start_month: 1\n",
            encoding="utf-8",
        )
    return rows


def previous_snapshot(
    opportunities: pd.DataFrame, as_of: pd.Timestamp, *, seed: int = 42
) -> pd.DataFrame:
    """The opportunities as they stood on ``as_of``: what a CRM export made that day would hold.

    Deals created later are absent; deals closed by then are as now; deals still open then
    sit in an earlier (or the same) stage, with amounts that later moved and close dates
    that later slipped (or were pulled in).
    """
    rng = np.random.default_rng([seed, 9])
    opp = opportunities[opportunities["created_date"] <= as_of].copy().reset_index(drop=True)
    closed_then = (opp["outcome"] != "open") & (opp["close_date"] <= as_of)
    open_then = ~closed_then
    n = int(open_then.sum())
    now_index = (
        opp["stage"].map({s: i for i, s in enumerate(_STAGES)}).fillna(3).astype(int).to_numpy()
    )
    earlier = np.minimum(now_index, rng.integers(0, 4, len(opp)))
    opp.loc[open_then, "stage"] = np.array(_STAGES)[earlier[open_then.to_numpy()]]
    opp.loc[open_then, "outcome"] = "open"
    opp.loc[open_then, "probability"] = np.array(_STAGE_PROB)[earlier[open_then.to_numpy()]]
    opp.loc[open_then, "forecast_category"] = np.array(
        ["pipeline", "pipeline", "best_case", "commit"]
    )[earlier[open_then.to_numpy()]]
    opp.loc[open_then, "loss_reason"] = None
    change = rng.choice([1.0, 0.8, 1.25], n, p=[0.7, 0.15, 0.15])
    opp.loc[open_then, "amount"] = (opp.loc[open_then, "amount"] / change).round(-2)
    # most slipped deals were promised earlier than they closed (or are now expected)
    shift = rng.choice([0, 30, 60, -30], n, p=[0.55, 0.25, 0.12, 0.08])
    promised = opp.loc[open_then, "close_date"] - pd.to_timedelta(shift, unit="D")
    opp.loc[open_then, "close_date"] = promised.where(
        promised > as_of, as_of + pd.Timedelta(days=20)
    )
    return opp


def demo_path() -> Path:
    """The bundled demo data set (``data/demo`` of the project)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo"


def load_demo(path: str | Path | None = None):  # noqa: ANN201 - returns sources.DataSet
    """The bundled demo data set, read and checked (see :func:`salesnb.sources.load_dataset`).

    When the project's ``data/demo`` folder is not there (an installed wheel), the
    demo is written once into a temporary folder first.
    """
    from .dataset import load_dataset

    folder = Path(path) if path else demo_path()
    if not folder.exists():
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="salesnb-demo-"))
        write_demo(folder)
    return load_dataset(folder)
