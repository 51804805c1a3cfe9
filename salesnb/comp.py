"""Compensation-plan simulation: what a plan design costs and what it makes reps do.

A plan is data: a payout curve over attainment (1.0 = 100% of quota), given as
breakpoints ``[(attainment, payout), ...]`` (payout as a multiple of the target
incentive, 1.0 at quota), optionally a *step* (all-or-nothing at a threshold) and a
*cap* (no more payout above an attainment). Between breakpoints the curve is linear;
beyond the last one it continues with the last slope unless capped.

Each plan runs over an attainment distribution: the reps' measured attainment (revenue
credited to the rep / quota, per rep and quarter, over the ``quarters_back`` quarters
ending with the review quarter), or, when the data cannot give enough of it or the
parameter asks, a seeded normal distribution, which every figure then calls simulated.

:func:`analyze` wires it: ``a = sn.comp.analyze(ctx.data, sn.notebook.params(sn.comp.Params, globals()))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from . import analysis, config
from .dataset import DataSet
from .dataset.aggregates import event_span, lines_by_account, revenue_by
from .periods import last_quarters, quarter_window, span
from .schema import DataError, UsageError
from .theme import (
    HIGHLIGHT,
    MUTED,
    PALETTE,
    fit_ticks,
    format_money,
    get_ax,
    integer_axis,
    money_axis,
    percent_axis,
    series_styles,
)

__all__ = [
    "CORE",
    "DEFAULT_PLANS",
    "MIN_REPS",
    "MIN_REP_QUARTERS",
    "CompensationAnalysis",
    "Params",
    "Plan",
    "analyze",
    "attainment",
    "cap_effect",
    "cap_table",
    "credit",
    "design",
    "designer",
    "exercise_note",
    "exercises",
    "load_plans",
    "marginal",
    "marginal_table",
    "parametric_attainment",
    "payout",
    "plan_table",
    "plot_attainment",
    "plot_costs",
    "plot_marginal",
    "plot_payout_curves",
    "quota_status",
    "rep_table",
    "simulate",
]

CORE: tuple[str, ...] = ("orders", "opportunities")
NEAR_MISS = 0.10  # within 10 points below a threshold
MIN_REP_QUARTERS = 10  # fewer: shares move in steps of 10 points or more
MIN_REPS = 2  # one rep's history is not a team's distribution
EDGE_DAYS = 7  # a quarter is covered when the data reaches into its first and last week
USED = "used"


@dataclass(frozen=True)
class Plan:
    """A payout curve: breakpoints, an optional all-or-nothing step, an optional cap."""

    name: str
    points: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0))
    step: float | None = None  # all or nothing: payout jumps from 0 at this attainment
    cap: float | None = None  # no extra payout above this attainment
    note: str = ""
    title: str = ""  # the name people read ("All or nothing"); default: the name in words

    @property
    def label(self) -> str:
        """The plan's name for people: its title, else its name with spaces for underscores."""
        return self.title or self.name.replace("_", " ")

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
        title="All or nothing",
    ),
    Plan(
        "proportional",
        ((0.0, 0.0), (1.0, 1.0)),
        note="paid in proportion to attainment",
        title="Proportional",
    ),
    Plan(
        "linear_from_50",
        ((0.5, 0.0), (1.0, 1.0), (2.0, 2.0)),
        note="nothing below 50%, linear to 100% at quota, then 1:1",
        title="Linear from 50%",
    ),
    Plan(
        "capped_125",
        ((0.0, 0.0), (1.0, 1.0)),
        cap=1.25,
        note="proportional, capped at 125%",
        title="Capped at 125%",
    ),
    Plan(
        "accelerator",
        ((0.5, 0.0), (1.0, 1.0), (1.5, 2.0)),
        note="from 50%; double rate above quota",
        title="Accelerator",
    ),
    Plan(
        "decelerator",
        ((0.0, 0.0), (1.0, 1.0), (1.5, 1.25)),
        note="proportional; half rate above quota",
        title="Decelerator",
    ),
)


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True, kw_only=True)
class Params(analysis.Params):
    """The notebook's parameters (less data_dir, output_dir, redact)."""

    quarters_back: int = 8
    attainment_source: str = "data"
    mean_attainment: float = 0.95
    sd_attainment: float = 0.25
    simulated_reps: int = 200
    seed: int = 7
    target_incentive: float = 20000.0
    plans_file: str = ""


def _check_params(p: Params) -> None:
    if p.attainment_source not in ("data", "normal"):
        raise UsageError(
            f"attainment_source must be 'data' or 'normal', got {p.attainment_source!r}"
        )
    for name, ok in (
        ("quarters_back", p.quarters_back >= 1),
        ("simulated_reps", p.simulated_reps >= 1),
        ("sd_attainment", p.sd_attainment >= 0),
        ("target_incentive", p.target_incentive >= 0),
    ):
        if not ok:
            raise UsageError(f"{name} must be positive, got {getattr(p, name)!r}")


# --------------------------------------------------------------------------- plans
_PLANS_FILE = config.Record(
    {
        "plans": config.List(
            config.Record(
                {
                    "name": config.Str(numbers=True),
                    "points": config.List(
                        config.Tuple(
                            (config.Float(), config.Float()),
                            what="an [attainment, payout] number pair",
                            fix="write points as [[0.5, 0], [1, 1], ...]",
                        ),
                        min_len=2,
                        what="a list of [attainment, payout] number pairs",
                    ),
                    "step": config.Float(lo=0),
                    "cap": config.Float(lo=0),
                    "note": config.Str(numbers=True),
                    "title": config.Str(numbers=True),
                },
                required={"name": "a name"},
                what="a plan design {name, points, step, cap, note, title}",
            ),
            min_len=1,
            item_label="plan",
            what="a list of plan designs",
            fix="write 'plans:' then one '- {name: ..., points: [[0, 0], [1, 1]]}' line per plan",
        )
    },
    required={"plans": "'plans:' with a list of plan designs"},
    what="'plans:' with a list of plan designs",
)


def load_plans(path: str | Path) -> tuple[Plan, ...]:
    """Plans from YAML: ``plans: [{name, points: [[a, p], ...], step, cap, note, title}]``; errors name the plan."""
    doc = config.read(path, "plans file")
    items = doc.check(_PLANS_FILE)["plans"]
    plans: list[Plan] = []
    for i, item in enumerate(items):
        name = item["name"]
        if name in {p.name for p in plans}:
            doc.fail(f"two plans are named {name}", "give each its own", at=("plans", i, "name"))
        try:
            plans.append(
                Plan(
                    name,
                    tuple(item.get("points", ((0.0, 0.0), (1.0, 1.0)))),
                    item.get("step"),
                    item.get("cap"),
                    item.get("note", ""),
                    item.get("title", ""),
                )
            )
        except DataError as exc:
            doc.fail(
                str(exc), "list the points in increasing attainment", at=("plans", i, "points")
            )
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


def plan_table(plans: Sequence[Plan]) -> pd.DataFrame:
    """The plan designs as a readable table."""
    return pd.DataFrame(
        [
            {
                "plan": p.name,
                "design": p.label,
                "breakpoints": ", ".join(f"{a:.0%}→{y:g}x" for a, y in p.points),
                "step": None if p.step is None else f"{p.step:.0%}",
                "cap": None if p.cap is None else f"{p.cap:.0%}",
                "note": p.note,
            }
            for p in plans
        ],
        columns=["plan", "design", "breakpoints", "step", "cap", "note"],
    )


def marginal_table(plans: Sequence[Plan]) -> pd.DataFrame:
    """:func:`marginal` for every plan, stacked."""
    return pd.concat([marginal(p) for p in plans], ignore_index=True)


# --------------------------------------------------------------------------- attainment
def parametric_attainment(
    n: int = 200, *, mean: float = 0.95, sd: float = 0.25, seed: int = 7
) -> pd.DataFrame:
    """A seeded normal distribution of attainment (clipped at 0), one row per simulated rep-quarter."""
    rng = np.random.default_rng(seed)
    values = np.clip(rng.normal(mean, sd, n), 0.0, None)
    return pd.DataFrame(
        {
            "owner": [f"simulated rep-quarter {i + 1}" for i in range(n)],
            "period": "simulated",
            "attainment": values,
        }
    )


def credit(revenue: pd.DataFrame, owners: pd.DataFrame, *, key: str = "account_id") -> pd.DataFrame:
    """Revenue with the rep it is credited to: ``owners`` (``key``, owner) joined on ``key``.

    ``revenue`` has ``key``, quarter, revenue (as :func:`salesnb.sources.revenue_by` gives);
    rows whose ``key`` has no owner get a missing owner (they are credited to nobody).
    """
    for df, cols, what in (
        (revenue, [key, "quarter", "revenue"], "revenue"),
        (owners, [key, "owner"], "owners"),
    ):
        missing = [c for c in cols if c not in df]
        if missing:
            raise DataError(f"credit needs {what} column(s) {', '.join(missing)}")
    who = owners[[key, "owner"]].dropna(subset=[key]).drop_duplicates(subset=[key])
    return revenue.merge(who, on=key, how="left")


def quota_status(
    quotas: pd.DataFrame,
    *,
    quarters: Sequence[str],
    data_from: pd.Timestamp | None,
    data_through: pd.Timestamp | None,
    fiscal_start: int = 1,
) -> pd.Series:
    """For each quota row, ``"used"`` or the plain reason it is left out.

    A row counts when its period is one of ``quarters`` (the review window), its quota is
    above zero and the revenue data covers its quarter: it starts no later than the
    quarter's first week and ends no earlier than its last week (``EDGE_DAYS``).
    """
    label = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else str(quarters[0])
    grace = pd.Timedelta(days=EDGE_DAYS - 1)

    def why(period: str, quota: float) -> str:
        if period not in quarters:
            return f"quarter outside the window ({label})"
        if data_from is None or data_through is None:
            return "no revenue data to measure it against"
        w = quarter_window(period, fiscal_start=fiscal_start)
        if data_through < w.start:
            return f"quarter the data does not reach (data ends {data_through:%Y-%m-%d})"
        if data_from > w.end:
            return f"quarter before the data starts ({data_from:%Y-%m-%d})"
        if data_through < w.end - grace:
            return f"quarter the data covers only in part (data ends {data_through:%Y-%m-%d})"
        if data_from > w.start + grace:
            return f"quarter the data covers only in part (data starts {data_from:%Y-%m-%d})"
        if pd.isna(quota) or quota <= 0:
            return "no quota (zero, negative or missing)"
        return USED

    return pd.Series(
        [why(str(p), q) for p, q in zip(quotas["period"], quotas["quota"], strict=True)],
        index=quotas.index,
        dtype="object",
    )


def attainment(
    revenue: pd.DataFrame, quotas: pd.DataFrame, *, quarters: Sequence[str]
) -> pd.DataFrame:
    """Attainment per rep and quarter of ``quarters``: revenue credited to the rep / quota.

    ``revenue`` has owner, quarter, revenue (rows without an owner are credited to
    nobody); ``quotas`` owner, period, quota. Only quotas of ``quarters`` (the review
    window) with a quota above zero count; a rep with a quota and no revenue attains 0.
    """
    for df, cols, what in (
        (revenue, ["owner", "quarter", "revenue"], "revenue"),
        (quotas, ["owner", "period", "quota"], "quotas"),
    ):
        missing = [c for c in cols if c not in df]
        if missing:
            raise DataError(f"attainment needs {what} column(s) {', '.join(missing)}")
    per = (
        revenue.dropna(subset=["owner"])
        .groupby(["owner", "quarter"], as_index=False)["revenue"]
        .sum()
        .rename(columns={"quarter": "period"})
    )
    q = quotas.loc[quotas["period"].isin(list(quarters)) & (quotas["quota"] > 0)]
    out = q[["owner", "period", "quota"]].merge(per, on=["owner", "period"], how="left")
    out["revenue"] = out["revenue"].fillna(0.0).astype(float)
    out["attainment"] = out["revenue"] / out["quota"]
    return (
        out[["owner", "period", "revenue", "quota", "attainment"]]
        .sort_values(["period", "owner"], kind="stable")
        .reset_index(drop=True)
    )


def rep_table(att: pd.DataFrame) -> pd.DataFrame:
    """One row per rep: quarters with a quota, quota, revenue, attainment over them, quarters below quota."""
    out = (
        att.assign(below=att["attainment"] < 1.0)
        .groupby("owner", as_index=False)
        .agg(
            quarters=("period", "nunique"),
            quota=("quota", "sum"),
            revenue=("revenue", "sum"),
            quarters_below_quota=("below", "sum"),
        )
    )
    out["attainment"] = out["revenue"] / out["quota"]
    out["quarters_below_quota"] = out["quarters_below_quota"].astype("int64")
    return (
        out[["owner", "quarters", "quota", "revenue", "attainment", "quarters_below_quota"]]
        .sort_values(["attainment", "owner"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- simulation
def simulate(plans: Sequence[Plan], att: pd.DataFrame, *, target_incentive: float) -> pd.DataFrame:
    """Each plan over the attainment distribution: cost, zero payouts, near misses, cap effects.

    Returns one row per plan: cost (total payout in money), cost_per_point (per point
    of attainment delivered; missing when no attainment was delivered), mean_payout,
    share_zero_payout, share_near_miss (within 10 points below one of the plan's
    thresholds), reps_above_cap (rep-quarters past the cap).
    """
    a = att["attainment"].to_numpy(dtype=float)
    n = len(a)
    rows = []
    for plan in plans:
        pay = payout(plan, a) * target_incentive
        near = np.zeros(n, dtype=bool)
        for t in plan.thresholds:
            near |= (a >= t - NEAR_MISS) & (a < t)
        rows.append(
            {
                "plan": plan.name,
                "cost": float(pay.sum()),
                "cost_per_point": float(pay.sum() / (a.sum() * 100)) if a.sum() > 0 else np.nan,
                "mean_payout": float(pay.mean()) if n else np.nan,
                "share_zero_payout": float((pay <= 0).mean()) if n else np.nan,
                "share_near_miss": float(near.mean()) if n else np.nan,
                "reps_above_cap": int((a > plan.cap).sum()) if plan.cap is not None else 0,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "plan",
            "cost",
            "cost_per_point",
            "mean_payout",
            "share_zero_payout",
            "share_near_miss",
            "reps_above_cap",
        ],
    )


def cap_effect(plan: Plan, att: pd.DataFrame) -> dict[str, float]:
    """What a cap costs in selling: rep-quarters past it, and the attainment above it that earns nothing."""
    if plan.cap is None:
        return {"reps_above_cap": 0, "attainment_points_lost": 0.0, "share_of_delivery_lost": 0.0}
    a = att["attainment"].to_numpy(dtype=float)
    beyond = np.clip(a - plan.cap, 0.0, None)
    delivered = np.clip(a, 0.0, None).sum()
    return {
        "reps_above_cap": int((a > plan.cap).sum()),
        "attainment_points_lost": float(beyond.sum() * 100),
        "share_of_delivery_lost": float(beyond.sum() / delivered) if delivered else 0.0,
    }


def cap_table(plans: Sequence[Plan], att: pd.DataFrame) -> pd.DataFrame:
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


def _flat_ranges(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per plan, the attainment ranges where one more point earns nothing ("0% to 98%", "125% and up")."""
    out: dict[str, list[str]] = {}
    for name, part in table.groupby("plan", sort=False):
        grid = part["attainment"].to_numpy()
        flat = part["marginal_payout"].to_numpy() <= 1e-12
        ranges, start = [], None
        for i, f in enumerate(flat):
            if f and start is None:
                start = i
            if start is not None and (not f or i == len(flat) - 1):
                end = i if f else i - 1
                ranges.append(
                    f"{grid[start]:.0%} and up"
                    if f and i == len(flat) - 1
                    else f"{grid[start]:.0%} to {grid[end]:.0%}"
                )
                start = None
        if ranges:
            out[str(name)] = ranges
    return out


# --------------------------------------------------------------------------- plots
def plot_payout_curves(plans: Sequence[Plan], *, ax: Axes | None = None) -> Axes:
    """Payout (multiple of the target incentive) against attainment, one line per plan.

    Each plan has its own colour, line style and marker (greyscale-safe); where curves
    coincide (most plans pay alike below quota) the markers of each still show, staggered.
    """
    ax = get_ax(ax)
    grid = np.round(np.arange(0.0, 1.81, 0.005), 3)
    styles = series_styles(len(plans))
    for i, (plan, style) in enumerate(zip(plans, styles, strict=True)):
        ax.plot(
            grid,
            payout(plan, grid),
            label=plan.label,
            linewidth=2.6 - 1.6 * i / max(len(plans) - 1, 1),  # wide under narrow: overlaps show
            markevery=(4 + 5 * i, 36),
            markersize=5,
            **style,
        )
    ax.axvline(1.0, color=MUTED, linestyle="--", linewidth=1)
    percent_axis(ax, "x")
    ax.set_xlabel("attainment (share of quota)")
    ax.set_ylabel("payout (x target incentive)")
    ax.set_title("Where each plan pays, and where it stops paying")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def _runs(part: pd.DataFrame) -> list[tuple[float, float, float]]:
    """(start, end, extra payout per point) of each stretch of one plan's marginal table."""
    grid = part["attainment"].to_numpy(dtype=float)
    gain = part["marginal_payout"].to_numpy(dtype=float).round(9)
    step = float(np.median(np.diff(grid))) if len(grid) > 1 else 0.01
    runs, start = [], 0
    for i in range(1, len(grid) + 1):
        if i == len(grid) or gain[i] != gain[start]:
            runs.append((grid[start], grid[i - 1] + step, float(gain[start])))
            start = i
    return runs


def plot_marginal(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Where one more point of attainment earns nothing, plan by plan.

    One row per plan over attainment: hatched red where the next point earns nothing,
    blue where it pays (darker = more per point; the label is the rate against a
    proportional plan, x1 = 1% of the target incentive per point); a triangle marks an
    all-or-nothing step, where one point pays a whole bonus.
    """
    plans = list(dict.fromkeys(table["plan"]))
    names = (
        table.drop_duplicates("plan").set_index("plan")["design"]
        if "design" in table
        else pd.Series(plans, index=plans)
    )
    ax = get_ax(ax, figsize=(8, 0.45 * len(plans) + 1.6))
    unit = 0.01  # a proportional plan's extra payout per point
    flat_plans = 0
    for row, plan in enumerate(plans):
        part = table[table["plan"] == plan]
        runs = _runs(part)
        step = runs[0][1] - runs[0][0] if runs else 0.01
        flat = False
        for lo, hi, gain in runs:
            if gain <= 1e-12:
                flat = True
                ax.broken_barh(
                    [(lo, hi - lo)], (row - 0.35, 0.7), facecolor="#f3d3d2",
                    edgecolor=HIGHLIGHT, hatch="///", linewidth=0.5,
                )  # fmt: skip
                continue
            if hi - lo <= step * 1.5 and gain > 5 * unit:  # one point pays a step
                ax.plot([lo], [row], marker="^", color=HIGHLIGHT, markersize=9)
                ax.annotate(
                    f"+{gain:g}x at {lo + step:.0%}", (lo, row), xytext=(6, 4),
                    textcoords="offset points", fontsize=7, color=HIGHLIGHT,
                )  # fmt: skip
                continue
            rate = gain / unit
            shade = PALETTE[0] if rate > 1.01 else ("#6f95bd" if rate > 0.99 else "#a9c1da")
            ax.broken_barh([(lo, hi - lo)], (row - 0.35, 0.7), facecolor=shade, linewidth=0)
            if hi - lo >= 0.12:
                ax.annotate(
                    f"x{rate:.2g}", ((lo + hi) / 2, row), ha="center", va="center",
                    fontsize=7, color="white" if rate > 0.99 else "#1f1f1f",
                )  # fmt: skip
        flat_plans += flat
    ax.set_yticks(range(len(plans)), [str(names.get(p, p)) for p in plans])
    ax.invert_yaxis()
    ax.set_xlim(0, float(table["attainment"].max()) + 0.01)
    percent_axis(ax, "x")
    ax.axvline(1.0, color="#555555", linestyle="--", linewidth=1)
    ax.grid(False, axis="y")
    ax.set_xlabel("attainment (share of quota)")
    ax.legend(
        handles=[
            Patch(
                facecolor="#f3d3d2",
                edgecolor=HIGHLIGHT,
                hatch="///",
                label="next point earns nothing",
            ),
            Patch(facecolor="#6f95bd", label="pays per point (x1 = proportional)"),
            Line2D(
                [], [], marker="^", color=HIGHLIGHT, linestyle="", label="one point pays a step"
            ),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    ax.set_title(
        f"{flat_plans} of {len(plans)} plans stop paying for the next point somewhere"
        if flat_plans
        else "Every plan pays for each further point"
    )
    return ax


def plot_attainment(att: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None) -> Axes:
    """The attainment distribution the plans are tested on, with the quota line.

    ``title`` states the finding (the analysis words it, saying "simulated" when it is);
    the count axis shows whole rep-quarters only.
    """
    ax = get_ax(ax)
    ax.hist(att["attainment"], bins=30, color=MUTED, edgecolor="white")
    ax.axvline(1.0, color=HIGHLIGHT, linestyle="--", linewidth=1.5)
    percent_axis(ax, "x")
    integer_axis(ax, "y")
    ax.set_xlabel("attainment")
    ax.set_ylabel("rep-quarters")
    ax.set_title(title or "The attainment the plans are tested on")
    return ax


def plot_costs(
    results: pd.DataFrame,
    *,
    currency: str = "",
    title: str | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Total cost per plan, labelled with the share of rep-quarters paid nothing."""
    ax = get_ax(ax)
    order = results.sort_values("cost", kind="stable")
    colors = [HIGHLIGHT if z > 0.25 else PALETTE[0] for z in order["share_zero_payout"]]
    names = order["design"] if "design" in order else order["plan"]
    ax.barh(names.astype(str), order["cost"], color=colors)
    for y, (cost, zero) in enumerate(zip(order["cost"], order["share_zero_payout"], strict=True)):
        ax.annotate(f" {zero:.0%} paid nothing", (cost, y), va="center", fontsize=8)
    top = float(order["cost"].max()) if len(order) else 0.0
    if top > 0:
        ax.set_xlim(0, top * 1.25)  # room for the labels
    money_axis(ax, "x")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    fit_ticks(ax, "x")
    ax.set_xlabel(xlabel or ("total payout" + (f" ({currency})" if currency else "")))
    ax.set_title(title or "Total cost per plan")
    return ax


# --------------------------------------------------------------------------- analysis
@dataclass(frozen=True, kw_only=True)
class CompensationAnalysis(analysis.Analysis):
    """The compensation-plan simulation over one data set (see :func:`analyze`)."""

    methodology: ClassVar[str] = "compensation"


CompensationAnalysis.charts = {
    "payout_curves": analysis.Chart(
        ("plans",), lambda a, ax: plot_payout_curves(a.extras["plans"], ax=ax)
    ),
    "attainment_distribution": analysis.Chart(
        ("distribution",),
        lambda a, ax: plot_attainment(
            a.tables["distribution"], title=a.extras["titles"]["distribution"], ax=ax
        ),
    ),
    "costs": analysis.Chart(
        ("plan_comparison",),
        lambda a, ax: plot_costs(
            a.tables["plan_comparison"],
            currency=a.currency,
            title=a.extras["titles"]["costs"],
            xlabel=a.extras["titles"]["costs_axis"],
            ax=ax,
        ),
    ),
    "marginal_incentive": analysis.Chart(
        ("marginal",), lambda a, ax: plot_marginal(a.tables["marginal"], ax=ax)
    ),
}


@dataclass(frozen=True)
class _Revenue:
    """Revenue of the review window credited to reps, and what could not be credited."""

    source: str  # orders / opportunities
    attribution: str | None  # how revenue reaches a rep (None: it cannot)
    credited: pd.DataFrame  # owner, quarter, revenue (owner missing: credited to nobody)
    uncredited: float  # revenue of the window credited to nobody
    data_from: pd.Timestamp | None
    data_through: pd.Timestamp | None
    coverage: tuple[str, int, int, dict[str, int]]
    reason: str | None = None  # why attainment cannot be measured from it
    extra: dict[str, Any] = field(default_factory=dict)


def _source_span(data: DataSet, source: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last date of the revenue source: order lines, or deals closed (any outcome)."""
    if source == "orders":
        lo, hi = event_span(data, "orders", "order_date")
    else:
        opps = data.tables["opportunities"]
        if "outcome" not in opps:
            return None, None
        dates = opps.loc[opps["outcome"].isin(["won", "lost", "no_decision"]), "close_date"]
        lo, hi = dates.min(), dates.max()
    if pd.isna(lo) or pd.isna(hi):
        return None, None
    return pd.Timestamp(lo), pd.Timestamp(hi)


def _owners(data: DataSet, source: str) -> tuple[str, pd.DataFrame, str] | None:
    """(key, key -> owner table, how revenue is attributed), or None when nobody owns revenue."""
    opps, accounts = data.tables.get("opportunities"), data.tables.get("accounts")
    if source == "opportunities" and "owner" in opps and opps["owner"].notna().any():
        return (
            "opportunity_id",
            opps[["opportunity_id", "owner"]],
            "deal owner (opportunities.owner)",
        )
    if accounts is not None and "owner" in accounts and accounts["owner"].notna().any():
        return "account_id", accounts[["account_id", "owner"]], "account owner (accounts.owner)"
    return None


def _revenue(data: DataSet, history: Any, fiscal: int) -> _Revenue:
    """Revenue of the window credited to reps (orders to the account owner; deals to the deal owner)."""
    source = "orders" if data.has("orders") else "opportunities"
    total = int(data.rows.get(source, len(data.tables.get(source, []))))
    first, last = _source_span(data, source)
    empty = pd.DataFrame({"owner": [], "quarter": [], "revenue": []})
    opps = data.tables.get("opportunities")
    if source == "opportunities" and "outcome" not in opps:
        return _Revenue(
            source, None, empty, 0.0, first, last,
            (source, total, 0, {"no outcome: won deals cannot be told": total}),
            "The opportunities have no outcome column, so won revenue cannot be told and "
            "attainment cannot be measured: add outcome (won, lost, open) to opportunities.csv, "
            "or add orders.csv.",
        )  # fmt: skip
    owned = _owners(data, source)
    if owned is None:
        if source == "orders":
            where = "Revenue comes from order lines, credited to the account's owner, and " + (
                "the data set has no accounts table"
                if data.tables.get("accounts") is None
                else "no account has an owner"
            )
            fix = "add an owner column to accounts.csv (the rep who owns each account)"
        else:
            where = "Neither the opportunities nor the accounts name an owner"
            fix = "add owner to opportunities.csv (the deal owner) or to accounts.csv"
        return _Revenue(
            source, None, empty, 0.0, first, last,
            (source, total, 0, {"no owner to credit it to": total}),
            f"{where}, so revenue cannot be credited to reps and attainment cannot be "
            f"measured: {fix}.",
        )  # fmt: skip
    key, owners, attribution = owned
    rev, info = revenue_by(
        data, history.start, history.end, by=(key, "quarter"), fiscal_start=fiscal
    )
    credited = credit(rev, owners, key=key)
    uncredited = float(info["unassigned_revenue"]) + float(
        credited.loc[credited["owner"].isna(), "revenue"].sum()
    )
    label = history.label
    if source == "opportunities":
        won = opps["outcome"].eq("won")
        inside = opps["close_date"].between(history.start, history.end)
        owner_of = owners.dropna(subset=[key]).drop_duplicates(subset=[key]).set_index(key)
        no_owner = won & inside & opps[key].map(owner_of["owner"]).isna()
        left = {
            "not won": int((~won).sum()),
            f"closed outside {label} (or no close date)": int((won & ~inside).sum()),
            "deal has no owner" if key == "opportunity_id" else "account has no owner": int(
                no_owner.sum()
            ),
        }
    else:
        lines = lines_by_account(data, history.start, history.end)
        lines = lines.merge(
            owners.drop_duplicates(subset=["account_id"]), on="account_id", how="left"
        )
        left = {
            f"outside {label}": total - int(info["lines"]),
            "no account": int(info["unassigned_lines"]),
            "account has no owner": int(lines.loc[lines["owner"].isna(), "lines"].sum()),
        }
    used = total - sum(left.values())
    return _Revenue(
        source,
        attribution,
        credited[["owner", "quarter", "revenue"]],
        uncredited,
        first,
        last,
        (source, total, used, left),
    )


@dataclass(frozen=True)
class _Measured:
    """What the data says about attainment: the table, or why it cannot say it."""

    table: pd.DataFrame | None
    reason: str | None  # the absent sentence (None when measured)
    short: str | None  # why the plans cannot run on it, in a few words
    revenue: _Revenue | None
    status: pd.Series | None  # per quota row: "used" or why not
    coverage: list[tuple[str, int, int, dict[str, int]]]


def _total_rows(data: DataSet, table: str) -> int:
    if table in data.rows:
        return int(data.rows[table])
    df = data.tables.get(table)
    return 0 if df is None else len(df)


def _no_quota_reason(status: pd.Series, window: str, params: Params) -> str:
    """The absent sentence when no quota row of the window can be used."""
    inside = status[~status.str.startswith("quarter outside")]
    if inside.empty:
        return (
            f"No quota falls in {window} (the {params.quarters_back} quarters ending with "
            f"{params.quarter}), so attainment cannot be measured: add quotas for those quarters, "
            "or set quarter and quarters_back to the quarters your quotas cover."
        )
    if inside.str.startswith("no quota").all():
        return (
            f"Every quota of {window} is zero or missing, so attainment cannot be measured: "
            "give each rep and quarter a quota above zero in quotas.csv."
        )
    return (
        f"The revenue data does not cover the quarters of {window} that have quotas "
        f"({inside.iloc[0]}), so attainment cannot be measured: review a quarter the data "
        "covers, or add the missing revenue."
    )


def _measure(
    data: DataSet, params: Params, history: Any, quarters: list[str], fiscal: int
) -> _Measured:
    """Measured attainment over the window's quarters, or the reason it cannot be measured."""
    quotas = data.tables.get("quotas")
    if quotas is None:
        source = "orders" if data.has("orders") else "opportunities"
        total = _total_rows(data, source)
        return _Measured(
            None,
            "No quotas table, so attainment cannot be measured: add quotas.csv (owner, period, quota).",
            "no quotas table",
            None,
            None,
            [(source, total, 0, {"not used: no quotas to measure it against": total})],
        )
    rev = _revenue(data, history, fiscal)
    status = quota_status(
        quotas,
        quarters=quarters,
        data_from=rev.data_from,
        data_through=rev.data_through,
        fiscal_start=fiscal,
    )
    counts = {str(k): int(v) for k, v in status.value_counts(sort=False).items()}
    used = counts.pop(USED, 0)
    if rev.reason is not None:
        if used:
            counts["revenue cannot be credited to reps"] = used
        short = (
            "no owner on revenue"
            if rev.attribution is None and "owner" in rev.reason
            else ("no won revenue to measure")
        )
        return _Measured(
            None, rev.reason, short, rev, status, [rev.coverage, ("quotas", len(quotas), 0, counts)]
        )
    cover = [rev.coverage, ("quotas", len(quotas), used, counts)]
    if not used:
        reason = _no_quota_reason(status, history.label, params)
        return _Measured(None, reason, "no quota the data covers in the window", rev, status, cover)
    table = attainment(rev.credited, quotas.loc[status == USED], quarters=quarters)
    return _Measured(table, None, None, rev, status, cover)


def _revenue_without_quota(credited: pd.DataFrame, att: pd.DataFrame) -> float:
    """Revenue credited to a rep in a quarter of ``att`` for which that rep has no quota."""
    owned = credited.dropna(subset=["owner"])
    owned = owned[owned["quarter"].isin(set(att["period"]))]
    keys = set(zip(att["owner"], att["period"], strict=True))
    mask = [(o, q) not in keys for o, q in zip(owned["owner"], owned["quarter"], strict=True)]
    return float(owned.loc[mask, "revenue"].sum())


def _distribution(m: _Measured, params: Params) -> tuple[pd.DataFrame, str | None]:
    """The attainment the plans run on, and why it is simulated (None: measured)."""
    why = m.short
    if why is None and params.attainment_source == "normal":
        why = 'parameter attainment_source "normal"'
    if why is None and m.table is not None:
        reps, n = m.table["owner"].nunique(), len(m.table)
        if n < MIN_REP_QUARTERS or reps < MIN_REPS:
            why = (
                f"too few rep-quarters: {n} of {reps} rep{'' if reps == 1 else 's'}, "
                f"fewer than {MIN_REP_QUARTERS} of at least {MIN_REPS} reps"
            )
    if why is None and m.table is not None:
        return m.table[["owner", "period", "attainment"]].reset_index(drop=True), None
    dist = parametric_attainment(
        params.simulated_reps,
        mean=params.mean_attainment,
        sd=params.sd_attainment,
        seed=params.seed,
    )
    return dist, why or 'parameter attainment_source "normal"'


@dataclass(frozen=True)
class _Words:
    """What the notes, titles and findings share: currency, the distribution's name."""

    currency: str
    simulated: bool
    n: int
    incentive: str
    titles: Mapping[str, str] = field(default_factory=dict)  # plan name -> its label

    def plan(self, name: str) -> str:
        """A plan's name for people ("All or nothing")."""
        return self.titles.get(name, name)

    @property
    def rq(self) -> str:
        return "simulated rep-quarters" if self.simulated else "rep-quarters"

    def money(self, value: float) -> str:
        return format_money(value, self.currency)


def _notes(
    a_tables: dict[str, pd.DataFrame],
    m: _Measured,
    why: str | None,
    params: Params,
    w: _Words,
    history: Any,
) -> tuple[dict[str, str], dict[str, str]]:
    """The sentence per section and the chart titles."""
    dist, r = a_tables["distribution"], a_tables["plan_comparison"].set_index("plan")
    below = float((dist["attainment"] < 1.0).mean())
    notes: dict[str, str] = {}
    drawn = (
        f"{w.n} rep-quarters drawn from a normal distribution (mean {params.mean_attainment:.0%}, "
        f"sd {params.sd_attainment:.0%}, seed {params.seed}, clipped at 0)"
    )
    if w.simulated:
        notes["banner"] = (
            f"**Simulated attainment, not measured ({why}).** The plans in this report are "
            f"compared on {drawn}, not on your reps' results. Every share of rep-quarters in "
            f"this report is simulated, and every cost assumes a target incentive of {w.incentive} "
            "per rep-quarter (parameter target_incentive)."
            + (
                " To measure attainment, add quotas.csv (owner, period, quota)."
                if why == "no quotas table"
                else ""
            )
        )
        notes["distribution"] = (
            f"Simulated, not measured ({why}): {drawn}; {below:.0%} of the simulated "
            "rep-quarters fall short of quota."
        )
    else:
        t = m.table
        notes["distribution"] = (
            f"Actual attainment of {t['owner'].nunique()} reps over {t['period'].nunique()} "
            f"quarters ({w.n} rep-quarters), mean {t['attainment'].mean():.0%}: {below:.0%} of "
            "rep-quarters fell short of quota."
        )
    if m.table is not None and m.revenue is not None:
        rev = m.revenue
        what = "net order lines" if rev.source == "orders" else "won deals at their close date"
        parts = [f"Revenue ({what}) is credited to the {rev.attribution}."]
        if rev.uncredited:
            parts.append(
                f"{w.money(rev.uncredited)} of revenue in {history.label} has no account or no "
                "owner and counts for nobody."
            )
        without = _revenue_without_quota(rev.credited, m.table)
        if without:
            parts.append(
                f"{w.money(without)} credited to reps without a quota that quarter is not part "
                "of any attainment."
            )
        left = int((m.status != USED).sum())
        if left:
            parts.append(f"{left} of {len(m.status)} quota rows are left out (see data coverage).")
        if w.simulated:
            parts.append(f"The plans below run on simulated attainment instead ({why}).")
        notes["attainment"] = " ".join(parts)
    cheapest, dearest = str(r["cost"].idxmin()), str(r["cost"].idxmax())
    harsh = _harshest(r)
    notes["plan_comparison"] = (
        f"Cheapest: {w.plan(cheapest)} ({w.money(r.loc[cheapest, 'cost'])}); most expensive: "
        f"{w.plan(dearest)} ({w.money(r.loc[dearest, 'cost'])}), over {w.n} {w.rq} at a target "
        f"incentive of {w.incentive} per rep-quarter. {w.plan(harsh)} pays nothing to "
        f"{r.loc[harsh, 'share_zero_payout']:.0%} of the {w.rq}, and "
        f"{r.loc[harsh, 'share_near_miss']:.0%} of them miss one of its thresholds by less "
        "than 10 points: the near misses who feel cheated."
    )
    flat = _flat_ranges(a_tables["marginal"])
    notes["marginal"] = (
        "The next point of attainment earns nothing under "
        + "; ".join(f"{w.plan(k)} ({', '.join(v)})" for k, v in flat.items())
        + "; every other plan pays for each point from 0% to 180%."
        if flat
        else "Every plan pays something for each further point of attainment from 0% to 180%."
    )
    if "caps" in a_tables:
        notes["caps"] = " ".join(
            f"{w.plan(c.plan)}: {c.reps_above_cap} of {w.n} {w.rq} ({c.reps_above_cap / w.n:.0%}) "
            f"pass the {c.cap:.0%} cap; the {c.attainment_points_lost:,.1f} points of attainment "
            f"above it ({_pct(c.share_of_delivery_lost)} of all delivered) earn nothing."
            for c in a_tables["caps"].itertuples()
        )
    titles = {
        "distribution": (
            f"Simulated: {below:.0%} of {w.n} simulated rep-quarters fall short of quota"
            if w.simulated
            else f"{below:.0%} of {w.n} rep-quarters fell short of quota"
        ),
        "costs": (
            ("Simulated: " if w.simulated else "")
            + f"{w.plan(cheapest)} is cheapest"
            + (
                f": it pays nothing to {float(r.loc[cheapest, 'share_zero_payout']):.0%}"
                if float(r.loc[cheapest, "share_zero_payout"]) > 0
                else ""
            )
        ),
        "costs_axis": (
            "total payout"
            + (f" ({w.currency})" if w.currency else "")
            + f" over {w.n} {w.rq}, target incentive {w.incentive}"
        ),
    }
    return notes, titles


def _pct(share: float) -> str:
    """A share for a sentence: whole percent, one decimal below 1% (0.4%, not 0%), 0% for none."""
    if share == 0 or share >= 0.01:
        return f"{share:.0%}"
    return f"{share:.1%}"


def _harshest(r: pd.DataFrame) -> str:
    """all_or_nothing when it is one of the plans, else the plan paying nothing most often."""
    return "all_or_nothing" if "all_or_nothing" in r.index else str(r["share_zero_payout"].idxmax())


def _findings(
    tables: dict[str, pd.DataFrame],
    m: _Measured,
    why: str | None,
    params: Params,
    w: _Words,
    notes: dict[str, str],
    history: Any,
) -> tuple[str, ...]:
    """Three to five sentences, the most important first; simulated shares say so."""
    r = tables["plan_comparison"].set_index("plan")
    out = []
    if w.simulated:
        out.append(
            f"Attainment is simulated, not measured ({why}): the plans are compared on {w.n} "
            f"simulated rep-quarters drawn from a normal distribution (mean {params.mean_attainment:.0%}, "
            f"sd {params.sd_attainment:.0%}, seed {params.seed}), so every share below is simulated."
        )
    else:
        out.append(notes["distribution"])
    harsh = _harshest(r)
    zero, near = float(r.loc[harsh, "share_zero_payout"]), float(r.loc[harsh, "share_near_miss"])
    if zero > 0:
        out.append(
            f"{w.plan(harsh)} pays nothing to {zero:.0%} of the {w.rq}; {near:.0%} of them miss one of "
            "its thresholds by less than 10 points."
        )
    cheapest, dearest = str(r["cost"].idxmin()), str(r["cost"].idxmax())
    out.append(
        f"Cheapest plan: {w.plan(cheapest)} ({w.money(r.loc[cheapest, 'cost'])}); most expensive: "
        f"{w.plan(dearest)} ({w.money(r.loc[dearest, 'cost'])}), over {w.n} {w.rq} at a target "
        f"incentive of {w.incentive} per rep-quarter (parameter target_incentive)."
    )
    caps = tables.get("caps")
    if caps is not None and caps["reps_above_cap"].max() > 0:
        c = caps.sort_values("reps_above_cap", ascending=False, kind="stable").iloc[0]
        out.append(
            f"{w.plan(c['plan'])}: {_pct(c['reps_above_cap'] / w.n)} of the {w.rq} pass its "
            f"{c['cap']:.0%} cap, and what they sell above it earns nothing."
        )
    if m.status is not None and m.table is not None:
        outside = int(m.status.str.startswith("quarter outside").sum())
        uncovered = int((m.status.str.contains("data")).sum())
        if outside or uncovered:
            parts = [f"{outside} fall outside {history.label}"] if outside else []
            if uncovered:
                parts.append(f"{uncovered} are for quarters the revenue data does not cover")
            out.append(
                f"Of {len(m.status)} quota rows, {' and '.join(parts)}: they are left out of "
                "the attainment."
            )
    return tuple(out[:5])


def _assumptions(
    params: Params,
    m: _Measured,
    w: _Words,
    data: DataSet,
    plans_shown: str,
    history: Any,
) -> tuple[analysis.Assumption, ...]:
    """Every value a figure rests on that the data did not give."""
    out = [
        analysis.assume(
            params,
            "target_incentive",
            "Target incentive (bonus at 100% of quota, per rep-quarter)",
            shown=w.incentive,
            note="scales every cost; parameter target_incentive",
        ),
        analysis.assume(
            params,
            "quarters_back",
            "Quarters of attainment history",
            shown=f"{params.quarters_back} ({history.label})",
            note="only quotas and revenue of these quarters count; parameter quarters_back",
        ),
        analysis.assume(
            params,
            "plans_file",
            "Plan designs",
            shown=plans_shown,
            note="parameter plans_file (YAML) replaces the built-in plans",
        ),
        analysis.assume(
            params,
            "attainment_source",
            "Attainment source asked for",
            note='"data": measured when the data allows; "normal": always simulated',
        ),
    ]
    if w.simulated:
        out += [
            analysis.assume(
                params,
                "mean_attainment",
                "Simulated attainment: mean",
                shown=f"{params.mean_attainment:.0%}",
                note="normal distribution the plans run on; parameter mean_attainment",
            ),
            analysis.assume(
                params,
                "sd_attainment",
                "Simulated attainment: standard deviation",
                shown=f"{params.sd_attainment:.0%}",
                note="parameter sd_attainment",
            ),
            analysis.assume(
                params,
                "simulated_reps",
                "Simulated rep-quarters",
                note="draws from the distribution; parameter simulated_reps",
            ),
            analysis.assume(params, "seed", "Simulation seed", note="same seed, same draws"),
        ]
    source = "orders" if data.has("orders") else "opportunities"
    if m.revenue is not None and m.revenue.attribution is not None:
        credited = m.revenue.attribution
    else:
        found = (
            _owners(data, source)
            if source != "opportunities" or "outcome" in data.tables["opportunities"]
            else None
        )
        credited = found[2] if found is not None else "nobody: no owner column in the data"
    out += [
        analysis.Assumption(
            "revenue_attribution",
            "Revenue credited to",
            credited,
            "from the data",
            "order lines go to the account's owner; won deals (no orders) to the deal owner, "
            "else the account's owner; revenue without an owner counts for nobody",
        ),
        analysis.Assumption(
            "revenue_source",
            "Revenue",
            "net order lines" if source == "orders" else "won deals at their close date",
            "from the data",
            "order lines when the data set has them, else won opportunities",
        ),
        analysis.Assumption(
            "near_miss",
            "Near miss",
            f"within {NEAR_MISS * 100:.0f} points below a threshold",
            "built in",
            "the step of an all-or-nothing plan, or the floor where payout starts",
        ),
        analysis.Assumption(
            "min_rep_quarters",
            "Measured attainment used when it has",
            f"at least {MIN_REP_QUARTERS} rep-quarters of at least {MIN_REPS} reps",
            "built in",
            "fewer: the plans run on the simulated distribution",
        ),
        analysis.Assumption(
            "quarter_covered",
            "A quarter's quota counts when",
            f"the revenue data reaches into its first and last {EDGE_DAYS} days",
            "built in",
            "quarters the data does not reach, or covers only in part, are left out",
        ),
    ]
    return tuple(out)


def _metrics(
    tables: dict[str, pd.DataFrame], m: _Measured, why: str | None, params: Params
) -> dict[str, Any]:
    """summary.json metrics (None where the data cannot say them)."""
    dist, r = tables["distribution"], tables["plan_comparison"].set_index("plan")
    t, status, rev = m.table, m.status, m.revenue
    caps = tables.get("caps")

    def per_plan(col: str) -> dict[str, float | None]:
        return {str(k): analysis.finite_or_none(v) for k, v in r[col].items()}

    return {
        "attainment_source": "simulated" if why else "quotas",
        "attainment_source_reason": why,
        "revenue_attribution": rev.attribution if rev is not None else None,
        "rep_quarters": len(dist),
        "mean_attainment": analysis.finite_or_none(dist["attainment"].mean()),
        "share_below_quota": float((dist["attainment"] < 1.0).mean()),
        "measured_rep_quarters": None if t is None else len(t),
        "measured_reps": None if t is None else int(t["owner"].nunique()),
        "measured_quarters": None if t is None else int(t["period"].nunique()),
        "measured_mean_attainment": None
        if t is None
        else analysis.finite_or_none(t["attainment"].mean()),
        "measured_share_below_quota": None if t is None else float((t["attainment"] < 1.0).mean()),
        "quota_rows_used": None if status is None else (0 if t is None else len(t)),
        "quota_rows_outside_window": None
        if status is None
        else int(status.str.startswith("quarter outside").sum()),
        "quota_rows_not_covered": None
        if status is None
        else int(status.str.contains("data").sum()),
        "revenue_without_owner": None
        if rev is None or rev.attribution is None
        else float(rev.uncredited),
        "target_incentive": float(params.target_incentive),
        "cost": per_plan("cost"),
        "mean_payout": per_plan("mean_payout"),
        "share_zero_payout": per_plan("share_zero_payout"),
        "share_near_miss": per_plan("share_near_miss"),
        "rep_quarters_above_cap": {}
        if caps is None
        else {str(p): int(v) for p, v in zip(caps["plan"], caps["reps_above_cap"], strict=True)},
        "cheapest_plan": str(r["cost"].idxmin()),
    }


def _headline(
    tables: Mapping[str, pd.DataFrame],
    metrics: Mapping[str, Any],
    m: _Measured,
    w: _Words,
    history: Any,
) -> tuple[analysis.KPI, ...]:
    """Five headline figures; measured figures are None (with the reason) when simulated."""
    r = tables["plan_comparison"].set_index("plan")
    t = m.table
    not_measured = (
        f"Not measured ({metrics['attainment_source_reason']}): the plans run on simulated "
        "attainment."
    )
    harsh = _harshest(r)
    cheapest, dearest = str(r["cost"].idxmin()), str(r["cost"].idxmax())
    sim = " (simulated)" if w.simulated else ""  # the label travels alone to the summary's card
    out = [
        analysis.KPI(
            "Rep-quarters below quota",
            metrics["measured_share_below_quota"] if w.simulated is False else None,
            "percent",
            f"{len(t):,} rep-quarters of {t['owner'].nunique():,} reps, {history.label}"
            if t is not None and not w.simulated
            else not_measured,
        ),
        analysis.KPI(
            "Mean attainment",
            metrics["measured_mean_attainment"] if not w.simulated else None,
            "percent",
            "revenue credited / quota, per rep-quarter" if not w.simulated else not_measured,
        ),
        analysis.KPI(
            f"{w.plan(harsh)} pays nothing to{sim}",
            float(r.loc[harsh, "share_zero_payout"]),
            "percent",
            f"of the {w.rq}; {float(r.loc[harsh, 'share_near_miss']):.0%} miss by under 10 points",
        ),
        analysis.KPI(
            f"Cheapest plan{sim}",
            w.plan(cheapest),
            "text",
            f"{w.money(r.loc[cheapest, 'cost'])}; dearest: {w.plan(dearest)} "
            f"{w.money(r.loc[dearest, 'cost'])}",
        ),
    ]
    caps = tables.get("caps")
    if caps is not None and len(caps):
        c = caps.sort_values("reps_above_cap", ascending=False, kind="stable").iloc[0]
        out.append(
            analysis.KPI(
                f"Rep-quarters past a cap{sim}",
                int(c["reps_above_cap"]),
                "count",
                f"{w.plan(c['plan'])}: selling above the cap earns nothing",
            )
        )
    return tuple(out)


def _actions(
    tables: Mapping[str, pd.DataFrame], metrics: Mapping[str, Any], m: _Measured, w: _Words
) -> tuple[str, ...]:
    """The plan risks: attainment not measured, the harshest plan, caps, quotas most miss."""
    r = tables["plan_comparison"].set_index("plan")
    out = []
    if w.simulated and m.reason:
        fix = m.reason.rsplit(": ", 1)[-1] if ": " in m.reason else m.reason
        out.append(
            f"Measure attainment before choosing a plan: every share in this report is simulated "
            f"({metrics['attainment_source_reason']}); {fix}"
        )
    harsh = _harshest(r)
    zero, near = float(r.loc[harsh, "share_zero_payout"]), float(r.loc[harsh, "share_near_miss"])
    if zero >= 0.25:
        text = f"Avoid {w.plan(harsh)}: it pays nothing to {zero:.0%} of the {w.rq}" + (
            f", and {near:.0%} miss by under 10 points, the near misses who feel cheated"
            if near > 0
            else ""
        )
        fair = r[(r["share_zero_payout"] <= 0.1) & (r.index != harsh)]
        if len(fair):
            best = str(fair["cost"].idxmin())
            text += (
                f"; {w.plan(best)} pays {1 - float(fair.loc[best, 'share_zero_payout']):.0%} of "
                f"them for {w.money(fair.loc[best, 'cost'])}"
            )
        out.append(text + ".")
    caps = tables.get("caps")
    if caps is not None and len(caps) and caps["reps_above_cap"].max() > 0:
        c = caps.sort_values("reps_above_cap", ascending=False, kind="stable").iloc[0]
        n = int(c["reps_above_cap"])
        out.append(
            f"Do not cap payouts: under {w.plan(c['plan'])}, {n:,} of {w.n:,} {w.rq} sold past "
            f"{c['cap']:.0%} of quota and earned nothing for it; slow the rate above quota "
            "instead."
        )
    below = metrics.get("measured_share_below_quota")
    if not w.simulated and below is not None and below >= 0.6:
        out.append(
            f"Check the quotas: {below:.0%} of rep-quarters fell short of quota (mean attainment "
            f"{metrics['measured_mean_attainment']:.0%}); a plan cannot motivate reps who "
            "expect to miss."
        )
    return tuple(out[:3])


@analysis.remembered
def analyze(data: DataSet, params: Params) -> CompensationAnalysis:
    """Every plan over the reps' attainment: measured when the data can say it, else simulated.

    Attainment per rep and quarter is revenue credited to the rep / quota, over the
    ``quarters_back`` quarters ending with the review quarter: order lines are credited to
    the account's owner (accounts.owner); won deals (no orders table) to the deal owner
    (opportunities.owner), or the account's owner when deals name none. Only quotas of the
    window's quarters that the revenue data covers count. With no quotas table, no owner,
    fewer than ``MIN_REP_QUARTERS`` rep-quarters or ``MIN_REPS`` reps, or
    ``attainment_source="normal"``, the plans run on a seeded normal distribution and
    every share says it is simulated.
    """
    analysis.require(data, CORE, "compensation")
    _check_params(params)
    per = analysis.periods(data, params)
    fiscal = per.fiscal_start
    currency = params.currency or data.settings.currency
    history = span(params.quarter, params.quarters_back, fiscal_start=fiscal)
    quarters = [
        q for q, _ in last_quarters(params.quarter, params.quarters_back, fiscal_start=fiscal)
    ]
    path = params.path("plans_file")
    plans = DEFAULT_PLANS if path is None else load_plans(path)
    plans_shown = (
        ("built in" if path is None else f"from {path.name}")
        + ": "
        + ", ".join(p.label for p in plans)
    )

    m = _measure(data, params, history, quarters, fiscal)
    dist, why = _distribution(m, params)
    tables: dict[str, pd.DataFrame] = {"plans": plan_table(plans)}
    absent: dict[str, str] = {}
    if m.table is not None:
        tables["attainment"] = m.table
        tables["reps"] = rep_table(m.table)
    else:
        absent["attainment"] = absent["reps"] = str(m.reason)
    tables["distribution"] = dist
    titles = {p.name: p.label for p in plans}
    costs = simulate(plans, dist, target_incentive=params.target_incentive)
    costs.insert(1, "design", costs["plan"].map(titles))
    tables["plan_comparison"] = costs.sort_values("cost", kind="stable").reset_index(drop=True)
    steps = marginal_table(plans)
    steps.insert(1, "design", steps["plan"].map(titles))
    tables["marginal"] = steps
    caps = cap_table(plans, dist)
    caps.insert(1, "design", caps["plan"].map(titles))
    if len(caps):
        tables["caps"] = caps
    else:
        absent["caps"] = (
            "No plan caps its payout, so there is no cap effect to show: give a plan a cap "
            "(e.g. cap: 1.25) in plans_file."
        )
    w = _Words(
        currency,
        why is not None,
        len(dist),
        f"{params.target_incentive:,.0f}" + (f" {currency}" if currency else ""),
        titles,
    )
    notes, titles = _notes(tables, m, why, params, w, history)
    notes["plans"] = f"{len(plans)} plan designs, {plans_shown}."
    return CompensationAnalysis(
        params=params,
        periods=per,
        currency=currency,
        tables=tables,
        notes=notes,
        absent=absent,
        metrics=(metrics := _metrics(tables, m, why, params)),
        findings=_findings(tables, m, why, params, w, notes, history),
        headline=_headline(tables, metrics, m, w, history),
        actions=_actions(tables, metrics, m, w),
        assumptions=_assumptions(params, m, w, data, plans_shown, history),
        coverage=analysis.coverage(data, history, m.coverage),
        extras={"plans": plans, "titles": titles},
    )


_PLAN = {"plan": "id", "design": "text"}
CompensationAnalysis.specs = {
    "plans": analysis.TableSpec(
        "The plan designs",
        columns={**_PLAN, "breakpoints": "text", "step": "text", "cap": "text", "note": "text"},
        labels={
            "design": "Plan",
            "breakpoints": "Payout at attainment (x target incentive)",
            "step": "All or nothing at",
            "cap": "Cap",
            "note": "How it pays",
        },
    ),
    "attainment": analysis.TableSpec(
        "Attainment per rep and quarter",
        columns={
            "owner": "text",
            "period": "text",
            "revenue": "money",
            "quota": "money",
            "attainment": "percent",
        },
        labels={"owner": "Rep", "period": "Quarter", "revenue": "Revenue credited"},
        source="Full table in the export attainment.",
    ),
    "reps": analysis.TableSpec(
        "Attainment per rep over the window, and the quarters each ended below quota",
        columns={
            "owner": "text",
            "quarters": "count",
            "quota": "money",
            "revenue": "money",
            "attainment": "percent",
            "quarters_below_quota": "count",
        },
        labels={
            "owner": "Rep",
            "quarters": "Quarters with a quota",
            "revenue": "Revenue credited",
            "quarters_below_quota": "Quarters below quota",
        },
        source="Attainment: total revenue credited over total quota.",
    ),
    "distribution": analysis.TableSpec(
        "The attainment the plans run on",
        columns={"owner": "text", "period": "text", "attainment": "percent"},
        labels={"owner": "Rep", "period": "Quarter"},
    ),
    "plan_comparison": analysis.TableSpec(
        "What each plan costs and whom it leaves out, cheapest first",
        columns={
            **_PLAN,
            "cost": "money",
            "cost_per_point": "money",
            "mean_payout": "money",
            "share_zero_payout": "percent",
            "share_near_miss": "percent",
            "reps_above_cap": "count",
        },
        labels={
            "design": "Plan",
            "cost": "Total cost",
            "cost_per_point": "Cost per point of attainment",
            "mean_payout": "Mean payout per rep-quarter",
            "share_zero_payout": "Paid nothing",
            "share_near_miss": "Near misses",
            "reps_above_cap": "Rep-quarters past the cap",
        },
        source="Near misses: rep-quarters within 10 points below a threshold of the plan. "
        "Full table in the export plan_comparison.",
    ),
    "marginal": analysis.TableSpec(
        "Extra payout for one more point of attainment",
        columns={
            **_PLAN,
            "attainment": "percent",
            "marginal_payout": "precise",
        },
        labels={"marginal_payout": "Extra payout (x target incentive)"},
    ),
    "caps": analysis.TableSpec(
        "What a cap costs in selling: the attainment above the cap earns nothing",
        columns={
            **_PLAN,
            "cap": "percent",
            "reps_above_cap": "count",
            "attainment_points_lost": "number",
            "share_of_delivery_lost": "percent",
        },
        labels={
            "design": "Plan",
            "reps_above_cap": "Rep-quarters past the cap",
            "attainment_points_lost": "Points of attainment above the cap",
            "share_of_delivery_lost": "Share of all attainment",
        },
    ),
}


# --------------------------------------------------------------------------- training (issue 14)
DESIGN_FLOOR = 0.5  # the plan designer's defaults: pay from 50% of quota ...
DESIGN_CAP = 1.25  # ... capped at 125% ...
DESIGN_RATE = 1.0  # ... at the same rate above quota as below
NO_CAP = 1.8  # a cap at or above the top of the grid is no cap
EXERCISE_FLOOR = 0.8  # exercise 3 moves the floor here
EXERCISE_CAP = 1.1  # exercise 4 moves the cap here
FAIR_ZERO_MAX = 0.10  # exercise 2's rubric: a fair plan pays something to nine in ten


def design(
    floor: float = DESIGN_FLOOR, cap: float = DESIGN_CAP, rate_above: float = DESIGN_RATE
) -> Plan:
    """A plan built from three dials: nothing up to ``floor``, linear to 1x at quota, then
    ``rate_above`` x per point above quota, no payout growth above ``cap`` (none from 180%)."""
    floor = min(max(float(floor), 0.0), 0.95)
    cap_at = None if cap is None or cap >= NO_CAP else float(cap)
    return Plan(
        "your_plan",
        ((floor, 0.0), (1.0, 1.0), (2.0, 1.0 + float(rate_above))),
        cap=cap_at,
        note=f"from {floor:.0%}, {rate_above:g}x above quota"
        + (f", capped at {cap_at:.0%}" if cap_at else ", no cap"),
        title="Your plan",
    )


def _design_row(plan: Plan, dist: pd.DataFrame, target_incentive: float) -> dict[str, Any]:
    row = simulate([plan], dist, target_incentive=target_incentive).iloc[0].to_dict()
    return {**row, **cap_effect(plan, dist)}


def designer(a: CompensationAnalysis) -> Any:
    """The render function of the plan designer's live controls (floor, cap, rate above quota).

    ``sn.widgets.live(sn.comp.designer(a), floor=..., cap=..., rate_above=...)`` redraws the
    payout curve over the attainment the plans run on and the designed plan's costs;
    headless it draws them once at the defaults.
    """
    dist = a.tables["distribution"]
    simulated = a.metrics.get("attainment_source") == "simulated"
    incentive = float(a.params.target_incentive)

    def render(
        floor: float = DESIGN_FLOOR, cap: float = DESIGN_CAP, rate_above: float = DESIGN_RATE
    ) -> Any:
        import matplotlib.pyplot as plt
        from IPython.display import display

        from .notebook import table_html

        plan = design(floor, cap, rate_above)
        row = _design_row(plan, dist, incentive)
        rq = "simulated rep-quarters" if simulated else "rep-quarters"
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax2 = ax.twinx()
        ax2.hist(dist["attainment"].clip(upper=NO_CAP), bins=30, color=MUTED, alpha=0.35)
        ax2.set_ylabel(rq)
        integer_axis(ax2, "y")
        grid = np.round(np.arange(0.0, NO_CAP + 0.001, 0.005), 3)
        ax.plot(grid, payout(plan, grid), color=PALETTE[0], linewidth=2.4, zorder=3)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.axvline(1.0, color=MUTED, linestyle="--", linewidth=1)
        percent_axis(ax, "x")
        ax.set_xlabel("attainment (share of quota)")
        ax.set_ylabel("payout (x target incentive)")
        ax.set_title(
            f"Your plan pays nothing to {_pct(row['share_zero_payout'])} of the {rq}; "
            f"{row['reps_above_cap']:,} sell past the cap"
        )
        display(fig)
        plt.close(fig)
        table = pd.DataFrame(
            [
                {
                    "design": plan.note,
                    "cost": row["cost"],
                    "share_zero_payout": row["share_zero_payout"],
                    "share_near_miss": row["share_near_miss"],
                    "reps_above_cap": row["reps_above_cap"],
                    "share_of_delivery_lost": row["share_of_delivery_lost"],
                }
            ]
        )
        spec = analysis.TableSpec(
            "Your plan over the "
            + ("simulated attainment" if simulated else "reps' measured attainment"),
            columns={
                "design": "text",
                "cost": "money",
                "share_zero_payout": "percent",
                "share_near_miss": "percent",
                "reps_above_cap": "count",
                "share_of_delivery_lost": "percent",
            },
            labels={
                "design": "Plan",
                "cost": "Total cost",
                "share_zero_payout": "Paid nothing",
                "share_near_miss": "Near misses",
                "reps_above_cap": "Rep-quarters past the cap",
                "share_of_delivery_lost": "Attainment above the cap",
            },
        )
        return table_html(table, spec=spec, currency=a.currency, key="your_plan")

    return render


def exercise_note(a: CompensationAnalysis) -> str:
    """The sentence above the exercises: whether the figures they ask for are simulated."""
    n = len(a.tables["distribution"])
    if a.metrics.get("attainment_source") == "simulated":
        return (
            f"**The figures in these exercises are simulated.** Attainment could not be measured "
            f"({a.metrics.get('attainment_source_reason')}), so every share below is read from "
            f"{n:,} simulated rep-quarters: an illustration of how the plans behave, not a fact "
            "about your team."
        )
    return f"The exercises use the reps' measured attainment: {n:,} rep-quarters."


def _keeps_paying(marginal_rows: pd.DataFrame) -> bool:
    """True when one more point pays something at every attainment from quota up."""
    above = marginal_rows[marginal_rows["attainment"] >= 1.0]
    return bool(len(above)) and bool((above["marginal_payout"] > 1e-12).all())


def exercises(
    data: DataSet, params: Params, a: CompensationAnalysis | None = None
) -> dict[str, Any]:
    """The answer key of the compensation notebook's exercises, computed from the data.

    1 (predict) the share the harshest plan pays nothing; 2 (judgement) a plan that pays
    nine in ten and keeps paying above quota; 3 (parameter) the share paid nothing when the
    designer's floor moves to 80%; 4 (parameter) the rep-quarters past a cap moved to 110%.
    Every figure is read from the attainment the plans run on, simulated when the data
    cannot measure it (the hints and explanations say so).
    """
    from . import training

    a = a if a is not None else analyze(data, params)
    dist = a.tables["distribution"]
    simulated = a.metrics.get("attainment_source") == "simulated"
    of = " of the simulated rep-quarters" if simulated else " of the rep-quarters"
    sim = " (simulated attainment)" if simulated else ""
    r = a.tables["plan_comparison"].set_index("plan")
    titles = {p.name: p.label for p in a.extras["plans"]}
    key: dict[str, Any] = {}
    if dist.empty:
        return training.complete(key, {"1": "guess", "2": "pick", "3": "percent", "4": "count"})

    harsh = _harshest(r)
    zero = float(r.loc[harsh, "share_zero_payout"])
    key["1"] = training.Answer(
        zero,
        kind="guess",
        of="percent",
        hint=f"A share{of}, e.g. 40%.",
        explain=f"{titles.get(harsh, harsh)} pays nothing to {_pct(zero)}{of}; "
        f"{_pct(float(r.loc[harsh, 'share_near_miss']))} miss by under 10 points.",
    )

    moved = _design_row(design(floor=EXERCISE_FLOOR), dist, params.target_incentive)
    base = _design_row(design(), dist, params.target_incentive)
    key["3"] = training.Answer(
        float(moved["share_zero_payout"]),
        kind="percent",
        tolerance=0.01,
        hint=f"Set the floor to {EXERCISE_FLOOR:.0%} in the plan designer and read Paid nothing "
        f"(within 1 point){sim}.",
        explain=f"With the floor at {EXERCISE_FLOOR:.0%} the plan pays nothing to "
        f"{_pct(moved['share_zero_payout'])}{of} (at {DESIGN_FLOOR:.0%}: "
        f"{_pct(base['share_zero_payout'])}): everyone below the floor stops selling for the bonus.",
    )

    capped = _design_row(design(cap=EXERCISE_CAP), dist, params.target_incentive)
    key["4"] = training.Answer(
        int(capped["reps_above_cap"]),
        kind="count",
        hint=f"Set the cap to {EXERCISE_CAP:.0%} in the plan designer and read the rep-quarters "
        f"past the cap{sim}.",
        explain=f"At a {EXERCISE_CAP:.0%} cap, {int(capped['reps_above_cap']):,}{of} sell past it "
        f"(at {DESIGN_CAP:.0%}: {int(base['reps_above_cap']):,}); their extra selling earns "
        f"nothing, {_pct(capped['share_of_delivery_lost'])} of all attainment.",
    )

    m = a.tables["marginal"]
    fair = [
        name
        for name in r.index  # cheapest first
        if float(r.loc[name, "share_zero_payout"]) <= FAIR_ZERO_MAX
        and _keeps_paying(m[m["plan"] == name])
    ]
    if fair:
        labels = [titles.get(p, p) for p in fair]
        key["2"] = training.Answer(
            labels,
            kind="pick",
            k=1,
            any_of=tuple(p for p in fair if titles.get(p, p) != p),
            of="name",
            hint="A plan from the costs table that pays something to at least nine in ten "
            "and pays for every point above quota (no cap, no flat stretch)" + sim + ".",
            explain=f"{_and_list(labels)} meet the rubric; {labels[0]} is the cheapest of them "
            f"({format_money(float(r.loc[fair[0], 'cost']), a.currency)}{sim}).",
        )
    return training.complete(key, {"1": "guess", "2": "pick", "3": "percent", "4": "count"})


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
