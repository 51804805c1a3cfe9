"""Compensation-plan simulation: what a plan design costs and what it makes reps do.

A plan is data: a payout curve over attainment (1.0 = 100% of quota), given as
breakpoints ``[(attainment, payout), ...]`` (payout as a multiple of the target
incentive, 1.0 at quota), optionally a *step* (all-or-nothing at a threshold) and a
*cap* (no more payout above an attainment). Between breakpoints the curve is linear;
beyond the last one it continues with the last slope unless capped.

Simulations run each plan over an attainment distribution: the data set's actual
attainment per rep and quarter (revenue / quota), or a seeded parametric one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._files import read_yaml
from .schema import DataError
from .theme import HIGHLIGHT, MUTED, PALETTE, get_ax, percent_axis

__all__ = [
    "DEFAULT_PLANS",
    "Plan",
    "attainment",
    "cap_table",
    "lookup",
    "marginal_table",
    "plan_table",
    "choose_attainment",
    "cap_effect",
    "load_plans",
    "marginal",
    "metrics",
    "parametric_attainment",
    "payout",
    "plot_attainment",
    "plot_costs",
    "plot_marginal",
    "plot_payout_curves",
    "results_note",
    "simulate",
]

NEAR_MISS = 0.10  # within 10 points below a threshold


@dataclass(frozen=True)
class Plan:
    """A payout curve: breakpoints, an optional all-or-nothing step, an optional cap."""

    name: str
    points: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0))
    step: float | None = None  # all or nothing: payout jumps from 0 at this attainment
    cap: float | None = None  # no extra payout above this attainment
    note: str = ""

    def __post_init__(self) -> None:
        xs = [p[0] for p in self.points]
        if len(xs) < 2 or xs != sorted(xs) or len(set(xs)) != len(xs):
            raise DataError(
                f"plan {self.name}: give at least two breakpoints with increasing attainment"
            )

    @property
    def thresholds(self) -> list[float]:
        """Attainments where payout starts or jumps (the lines reps try not to miss)."""
        out = []
        if self.step is not None:
            out.append(self.step)
        xs, ys = zip(*self.points, strict=True)
        for i in range(1, len(xs)):
            if ys[i - 1] == 0 and ys[i] > 0:
                out.append(xs[i - 1])  # the floor: payout starts here
        return sorted(set(out))


DEFAULT_PLANS: tuple[Plan, ...] = (
    Plan(
        "all_or_nothing",
        ((0.0, 1.0), (1.0, 1.0)),
        step=1.0,
        note="100% of the bonus at quota, nothing below",
    ),
    Plan("proportional", ((0.0, 0.0), (1.0, 1.0)), note="paid in proportion to attainment"),
    Plan(
        "linear_from_50",
        ((0.5, 0.0), (1.0, 1.0), (2.0, 2.0)),
        note="nothing below 50%, linear to 100% at quota, then 1:1",
    ),
    Plan("capped_125", ((0.0, 0.0), (1.0, 1.0)), cap=1.25, note="proportional, capped at 125%"),
    Plan(
        "accelerator",
        ((0.5, 0.0), (1.0, 1.0), (1.5, 2.0)),
        note="from 50%; double rate above quota",
    ),
    Plan(
        "decelerator",
        ((0.0, 0.0), (1.0, 1.0), (1.5, 1.25)),
        note="proportional; half rate above quota",
    ),
)


def load_plans(path: str | Path) -> tuple[Plan, ...]:
    """Plans from YAML: ``plans: [{name, points: [[a, p], ...], step, cap, note}]``; errors name the plan."""
    path = Path(path)
    raw = read_yaml(path, "plans file") or {}
    items = raw.get("plans") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise DataError(f"{path.name}: expected 'plans:' with a list of plan designs")
    plans = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or "name" not in item:
            raise DataError(f"{path.name}: plan {i} needs a name")
        unknown = set(item) - {"name", "points", "step", "cap", "note"}
        if unknown:
            raise DataError(
                f"{path.name}: plan {item['name']}: unknown key(s) {', '.join(sorted(unknown))}"
            )
        try:
            points = tuple((float(a), float(p)) for a, p in item.get("points", [[0, 0], [1, 1]]))
            step = float(item["step"]) if item.get("step") is not None else None
            cap = float(item["cap"]) if item.get("cap") is not None else None
        except (TypeError, ValueError):
            raise DataError(
                f"{path.name}: plan {item['name']}: points are [attainment, payout] number pairs"
            ) from None
        try:
            plans.append(Plan(str(item["name"]), points, step, cap, str(item.get("note", ""))))
        except DataError as exc:
            raise DataError(f"{path.name}: {exc}") from None
    return tuple(plans)


def payout(plan: Plan, attainment: np.ndarray | pd.Series | float) -> np.ndarray:
    """Payout (multiple of the target incentive) at each attainment."""
    a = np.asarray(attainment, dtype=float)
    xs = np.array([p[0] for p in plan.points])
    ys = np.array([p[1] for p in plan.points])
    x = np.minimum(a, plan.cap) if plan.cap is not None else a
    out = np.interp(x, xs, ys)
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    out = np.where(x > xs[-1], ys[-1] + slope * (x - xs[-1]), out)
    out = np.where(x < xs[0], ys[0], out)
    if plan.step is not None:
        out = np.where(a >= plan.step, out, 0.0)
    return np.maximum(out, 0.0)


def marginal(plan: Plan, grid: np.ndarray | None = None, *, delta: float = 0.01) -> pd.DataFrame:
    """Extra payout for one more point (1%) of attainment, at each attainment of the grid."""
    grid = (
        np.round(np.arange(0.0, 1.81, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    )
    gain = payout(plan, grid + delta) - payout(plan, grid)
    return pd.DataFrame({"plan": plan.name, "attainment": grid, "marginal_payout": gain})


def parametric_attainment(
    n: int = 200, *, mean: float = 0.95, sd: float = 0.25, seed: int = 7
) -> pd.DataFrame:
    """A seeded normal distribution of attainment (clipped at 0), one row per simulated rep-quarter."""
    rng = np.random.default_rng(seed)
    values = np.clip(rng.normal(mean, sd, n), 0.0, None)
    return pd.DataFrame(
        {"owner": [f"rep {i + 1}" for i in range(n)], "period": "simulated", "attainment": values}
    )


def attainment(revenue: pd.DataFrame, accounts: pd.DataFrame, quotas: pd.DataFrame) -> pd.DataFrame:
    """Attainment per rep and quarter: revenue of the rep's accounts / quota.

    ``revenue`` has account_id, quarter, revenue; ``accounts`` account_id, owner;
    ``quotas`` owner, period, quota. Quarters without a quota are left out.
    """
    for df, cols, what in (
        (revenue, ["account_id", "quarter", "revenue"], "revenue"),
        (accounts, ["account_id", "owner"], "accounts"),
        (quotas, ["owner", "period", "quota"], "quotas"),
    ):
        missing = [c for c in cols if c not in df]
        if missing:
            raise DataError(f"attainment needs {what} column(s) {', '.join(missing)}")
    owned = revenue.merge(accounts[["account_id", "owner"]], on="account_id", how="left")
    per = (
        owned.dropna(subset=["owner"])
        .groupby(["owner", "quarter"], as_index=False)["revenue"]
        .sum()
    )
    out = quotas.rename(columns={"period": "quarter"}).merge(
        per, on=["owner", "quarter"], how="left"
    )
    out["revenue"] = out["revenue"].fillna(0.0)
    out = out[out["quota"] > 0].copy()
    out["attainment"] = out["revenue"] / out["quota"]
    return out.rename(columns={"quarter": "period"})[
        ["owner", "period", "revenue", "quota", "attainment"]
    ]


def simulate(
    plans: tuple[Plan, ...] | list[Plan], att: pd.DataFrame, *, target_incentive: float
) -> pd.DataFrame:
    """Each plan over the attainment distribution: cost, zero payouts, near misses, cap effects.

    Returns one row per plan: cost (total payout in money), cost_per_point (per point
    of attainment delivered), share_zero_payout, share_near_miss (within 10 points
    below one of the plan's thresholds), reps_above_cap.
    """
    a = att["attainment"].to_numpy(dtype=float)
    rows = []
    for plan in plans:
        pay = payout(plan, a) * target_incentive
        near = np.zeros(len(a), dtype=bool)
        for t in plan.thresholds:
            near |= (a >= t - NEAR_MISS) & (a < t)
        rows.append(
            {
                "plan": plan.name,
                "cost": float(pay.sum()),
                "cost_per_point": float(pay.sum() / (a.sum() * 100)) if a.sum() else float("nan"),
                "mean_payout": float(pay.mean()) if len(a) else float("nan"),
                "share_zero_payout": float((pay <= 0).mean()) if len(a) else float("nan"),
                "share_near_miss": float(near.mean()) if len(a) else float("nan"),
                "reps_above_cap": int((a > plan.cap).sum()) if plan.cap is not None else 0,
            }
        )
    return pd.DataFrame(rows)


def cap_effect(plan: Plan, att: pd.DataFrame) -> dict[str, float]:
    """What a cap costs in selling: reps past it, and the attainment they would stop short of."""
    if plan.cap is None:
        return {"reps_above_cap": 0, "attainment_points_lost": 0.0, "share_of_delivery_lost": 0.0}
    a = att["attainment"].to_numpy(dtype=float)
    beyond = np.clip(a - plan.cap, 0.0, None)
    return {
        "reps_above_cap": int((a > plan.cap).sum()),
        "attainment_points_lost": float(beyond.sum() * 100),
        "share_of_delivery_lost": float(beyond.sum() / a.sum()) if a.sum() else 0.0,
    }


def metrics(results: pd.DataFrame) -> dict[str, Any]:
    """summary.json metrics: per plan cost, share_zero_payout, share_near_miss (maps by plan name)."""
    r = results.set_index("plan")
    return {
        "cost": r["cost"].to_dict(),
        "share_zero_payout": r["share_zero_payout"].to_dict(),
        "share_near_miss": r["share_near_miss"].to_dict(),
        "cheapest_plan": str(r["cost"].idxmin()) if len(r) else None,
    }


def plot_payout_curves(plans: tuple[Plan, ...] | list[Plan], *, ax: Axes | None = None) -> Axes:
    """Payout (multiple of the target incentive) against attainment, one line per plan."""
    ax = get_ax(ax)
    grid = np.round(np.arange(0.0, 1.81, 0.005), 3)
    for i, plan in enumerate(plans):
        ax.plot(
            grid, payout(plan, grid), label=plan.name, color=PALETTE[i % len(PALETTE)], linewidth=2
        )
    ax.axvline(1.0, color=MUTED, linestyle="--", linewidth=1)
    percent_axis(ax, "x")
    ax.set_xlabel("attainment (share of quota)")
    ax.set_ylabel("payout (x target incentive)")
    ax.set_title("Where each plan pays, and where it stops paying")
    ax.legend(fontsize=8)
    return ax


def plot_marginal(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Extra payout for the next point of attainment, per plan (zero = no reason to sell more)."""
    ax = get_ax(ax)
    for i, (name, part) in enumerate(table.groupby("plan", sort=False)):
        ax.plot(
            part["attainment"],
            part["marginal_payout"],
            label=str(name),
            color=PALETTE[i % len(PALETTE)],
        )
    percent_axis(ax, "x")
    typical = float(table["marginal_payout"].quantile(0.95))
    top = float(table["marginal_payout"].max())
    if top > 3 * typical > 0:  # an all-or-nothing step would flatten every other line
        ax.set_ylim(0, typical * 2)
        ax.annotate(
            f"step: +{top:g}x target at one point (off the chart)",
            (0.02, 0.92),
            xycoords="axes fraction",
            fontsize=8,
            color=HIGHLIGHT,
        )
    ax.set_xlabel("attainment")
    ax.set_ylabel("extra payout per +1 point (x target)")
    ax.set_title("The incentive to sell one more point, by plan")
    ax.legend(fontsize=8)
    return ax


def plot_attainment(att: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The attainment distribution the plans are tested on, with the quota line."""
    ax = get_ax(ax)
    ax.hist(att["attainment"], bins=30, color=MUTED, edgecolor="white")
    ax.axvline(1.0, color=HIGHLIGHT, linestyle="--", linewidth=1.5)
    percent_axis(ax, "x")
    ax.set_xlabel("attainment")
    ax.set_ylabel("rep-quarters")
    below = float((att["attainment"] < 1.0).mean())
    ax.set_title(
        f"{below:.0%} of rep-quarters fall short of quota: all-or-nothing pays them nothing"
    )
    return ax


def plot_costs(results: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Total cost per plan, labelled with the share of rep-quarters earning nothing."""
    from .theme import money_axis

    ax = get_ax(ax)
    order = results.sort_values("cost")
    colors = [HIGHLIGHT if z > 0.25 else PALETTE[0] for z in order["share_zero_payout"]]
    ax.barh(order["plan"], order["cost"], color=colors)
    for y, (cost, zero) in enumerate(zip(order["cost"], order["share_zero_payout"], strict=True)):
        ax.annotate(f" {zero:.0%} earn nothing", (cost, y), va="center", fontsize=8)
    money_axis(ax, "x", currency)
    ax.set_title(f"Cheapest is {order['plan'].iloc[0]}, because of who it does not pay")
    return ax


def choose_attainment(
    revenue: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    quotas: pd.DataFrame | None,
    *,
    source: str = "data",
    n: int = 200,
    mean: float = 0.95,
    sd: float = 0.25,
    seed: int = 7,
) -> tuple[pd.DataFrame, str]:
    """The attainment distribution to simulate over, and a sentence saying where it came from.

    ``source="data"`` uses actual attainment when the data set has quotas, owners and
    revenue, else falls back to the parametric distribution (and says why).
    """
    if source not in ("data", "normal"):
        raise DataError(f"attainment source must be 'data' or 'normal', got {source!r}")
    if source == "data":
        missing = [
            name
            for name, df in (("quotas", quotas), ("accounts with owner", accounts))
            if df is None
        ]
        if accounts is not None and "owner" not in accounts:
            missing.append("accounts with owner")
        if not missing and revenue is not None and len(revenue):
            att = attainment(revenue, accounts, quotas)
            if len(att):
                return att, (
                    f"Actual attainment of {att['owner'].nunique()} reps over {att['period'].nunique()} "
                    f"quarters ({len(att)} rep-quarters), mean {att['attainment'].mean():.0%}."
                )
            missing.append("quarters with both quota and revenue")
        reason = ", ".join(missing) or "revenue in the window"
        att = parametric_attainment(n, mean=mean, sd=sd, seed=seed)
        return (
            att,
            f"The data set has no {reason}: simulating {n} rep-quarters, normal(mean {mean:.0%}, sd {sd:.0%}).",
        )
    att = parametric_attainment(n, mean=mean, sd=sd, seed=seed)
    return att, f"Simulating {n} rep-quarters, normal(mean {mean:.0%}, sd {sd:.0%}), seed {seed}."


def results_note(results: pd.DataFrame, att: pd.DataFrame) -> str:
    """The comparison in two sentences: the cheapest plan, and what all-or-nothing does."""
    r = results.set_index("plan")
    text = f"Cheapest: {r['cost'].idxmin()}; most expensive: {r['cost'].idxmax()}."
    if "all_or_nothing" in r.index:
        a = r.loc["all_or_nothing"]
        text += (
            f" All-or-nothing pays nothing to {a['share_zero_payout']:.0%} of rep-quarters, and "
            f"{a['share_near_miss']:.0%} miss by less than 10 points: the near misses who feel cheated."
        )
    return text


def plan_table(plans: tuple[Plan, ...] | list[Plan]) -> pd.DataFrame:
    """The plan designs as a readable table."""
    return pd.DataFrame(
        [
            {
                "plan": p.name,
                "breakpoints": ", ".join(f"{a:.0%}→{y:g}x" for a, y in p.points),
                "step": p.step,
                "cap": p.cap,
                "note": p.note,
            }
            for p in plans
        ]
    )


def marginal_table(plans: tuple[Plan, ...] | list[Plan]) -> pd.DataFrame:
    """:func:`marginal` for every plan, stacked."""
    return pd.concat([marginal(p) for p in plans], ignore_index=True)


def cap_table(plans: tuple[Plan, ...] | list[Plan], att: pd.DataFrame) -> pd.DataFrame:
    """:func:`cap_effect` for every capped plan (empty when no plan has a cap)."""
    rows = [
        {"plan": p.name, "cap": p.cap, **cap_effect(p, att)} for p in plans if p.cap is not None
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "plan",
            "cap",
            "reps_above_cap",
            "attainment_points_lost",
            "share_of_delivery_lost",
        ],
    )


def lookup(results: pd.DataFrame, plan: str, column: str) -> float:
    """One figure of :func:`simulate`'s table (NaN when the plan is not in it)."""
    row = results.loc[results["plan"] == plan, column]
    return float(row.iloc[0]) if len(row) else float("nan")
