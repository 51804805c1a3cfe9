"""Data-set shapes for the contract tests: every analysis ends ok or skipped on each of them.

``SHAPES`` maps a shape's name to a :class:`Shape`: how to build its data-set folder, the
review quarter, and the metrics whose value the shape decides (``None`` where the data
cannot say a figure, ``NOT_NONE`` where it can, or an exact value).

Two families:

- **from a small demo** (40 accounts, written once per session by :func:`base_demo`):
  each optional table removed, the snapshot removed, each table cut to its required
  columns, each optional opportunity column removed;
- **hand-made tiny sets**: one account, three deals, a thin export (accounts and
  opportunities with required columns only, outcomes only in stage names), all deals open,
  none won, one stage, no created dates, open deals without amounts, all revenue negative,
  a quarter with no rows, data ending mid-quarter, outcomes without no_decision, deals
  closed before they were created, and names with ``$ % _ < & `` emoji and right-to-left text.

Every shape passes ``salesnb check`` (findings allowed, no errors): the contract is about
data sets the kit accepts.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesnb.schema import TABLES

__all__ = ["NOT_NONE", "SHAPES", "Shape", "base_demo", "build"]

NOT_NONE = object()  # expectation: the metric has a value
QUARTER = "2026Q3"

OPTIONAL_TABLES = [
    "contacts",
    "orders",
    "products",
    "cases",
    "activities",
    "quotas",
    "buying_centers",
    "experts",
    "trials",
    "accounts",
    "opportunities",
]
OPPORTUNITY_OPTIONAL = [
    "owner",
    "outcome",
    "loss_reason",
    "product_id",
    "probability",
    "forecast_category",
    "source",
    "buying_center",
    "competitor",
]


@dataclass(frozen=True)
class Shape:
    """A data-set shape: a builder writing the folder, its review quarter, what it decides."""

    build: Callable[[Path, Path], None]  # (base demo folder, target folder)
    quarter: str = QUARTER
    expect: dict[tuple[str, str], Any] = field(default_factory=dict)  # (module, metric) -> value
    # also run through the command line (a sample of shapes): True = `salesnb review` (every
    # notebook), a notebook name = `salesnb run NAME` (one kernel: what the shape tests is the
    # engine's, not a notebook's)
    review: bool | str = False


# --------------------------------------------------------------------------- writing
def base_demo(folder: Path) -> Path:
    """A small demo data set (40 accounts), the base of the derived shapes."""
    from salesnb.datasets import DemoSpec, write_demo

    if not (folder / "dataset.yml").exists():
        write_demo(folder, DemoSpec(accounts=40, order_lines=1500, activity_lines=600))
    return folder


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})


def _copy(base: Path, target: Path, *, snapshot: bool = True) -> None:
    shutil.copytree(base, target, dirs_exist_ok=True)
    if not snapshot:
        shutil.rmtree(target / "snapshots", ignore_errors=True)


def _drop_table(name: str) -> Callable[[Path, Path], None]:
    def build(base: Path, target: Path) -> None:
        _copy(base, target)
        (target / f"{name}.csv").unlink()
        if name == "opportunities":
            shutil.rmtree(target / "snapshots", ignore_errors=True)

    return build


def _drop_columns(table: str, columns: list[str] | None) -> Callable[[Path, Path], None]:
    """Remove ``columns`` (None: every optional column) from ``table`` (and its snapshot)."""

    def build(base: Path, target: Path) -> None:
        _copy(base, target)
        paths = [target / f"{table}.csv", *target.glob(f"snapshots/*/{table}.csv")]
        for path in paths:
            have, rows = _rows(path)
            keep_required = set(TABLES[table].required) | set(TABLES[table].key)
            drop = set(columns) if columns is not None else set(have) - keep_required
            _write(path, [c for c in have if c not in drop], rows)

    return build


def _thin(base: Path, target: Path) -> None:
    """Every table cut to its required columns."""
    _copy(base, target)
    for path in [*target.glob("*.csv"), *target.glob("snapshots/*/*.csv")]:
        spec = TABLES[path.stem]
        have, rows = _rows(path)
        keep = set(spec.required) | set(spec.key)
        _write(path, [c for c in have if c in keep], rows)


# --------------------------------------------------------------------------- tiny sets
ACC = ["account_id", "account_name"]
OPP = ["opportunity_id", "account_id", "stage", "amount", "created_date", "close_date"]
OPP_OUT = [*OPP, "outcome", "owner"]
ORD = ["order_id", "account_id", "order_date", "amount"]


def _accounts(n: int, names: list[str] | None = None) -> list[dict[str, Any]]:
    names = names or [f"Company {i}" for i in range(1, n + 1)]
    return [{"account_id": f"A{i}", "account_name": names[i - 1]} for i in range(1, n + 1)]


def _deal(
    i: int,
    acc: str,
    stage: str,
    amount: Any,
    created: str,
    close: str,
    outcome: str = "",
    owner: str = "Ann",
) -> dict[str, Any]:  # noqa: E501
    return {
        "opportunity_id": f"OP{i}",
        "account_id": acc,
        "stage": stage,
        "amount": amount,
        "created_date": created,
        "close_date": close,
        "outcome": outcome,
        "owner": owner,
    }


def _mixed_deals() -> list[dict[str, Any]]:
    """Ten deals over two quarters: won, lost, no decision and open."""
    return [
        _deal(1, "A1", "Closed Won", 1000, "2026-03-01", "2026-07-10", "won", "Ann"),
        _deal(2, "A2", "Closed Won", 3000, "2026-04-01", "2026-08-20", "won", "Bob"),
        _deal(3, "A3", "Closed Lost", 2000, "2026-02-01", "2026-09-01", "lost", "Ann"),
        _deal(4, "A1", "No Decision", 500, "2026-01-15", "2026-09-15", "no_decision", "Bob"),
        _deal(5, "A4", "Closed Won", 800, "2025-12-01", "2026-05-05", "won", "Ann"),
        _deal(6, "A2", "Proposal", 4000, "2026-06-01", "2026-11-15", "open", "Bob"),
        _deal(7, "A3", "Qualify", 1500, "2026-08-01", "2026-12-10", "open", "Ann"),
        _deal(8, "A4", "Negotiation", 2500, "2026-05-01", "2026-10-20", "open", "Bob"),
        _deal(9, "A5", "Qualify", 700, "2026-09-01", "2027-01-20", "open", "Ann"),
        _deal(10, "A5", "Closed Lost", 900, "2026-03-01", "2026-06-01", "lost", "Bob"),
    ]


def _orders(lines: list[tuple[str, str, float]]) -> list[dict[str, Any]]:
    return [
        {"order_id": f"L{i}", "account_id": a, "order_date": d, "amount": v}
        for i, (a, d, v) in enumerate(lines, 1)
    ]


def _tiny(
    deals: list[dict[str, Any]] | None,
    *,
    accounts: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
    opp_columns: list[str] = OPP_OUT,
) -> Callable[[Path, Path], None]:
    def build(base: Path, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        if accounts is not None:
            _write(target / "accounts.csv", ACC, accounts)
        if deals is not None:
            _write(target / "opportunities.csv", opp_columns, deals)
        if orders is not None:
            _write(target / "orders.csv", ORD, orders)

    return build


def _odd_names(base: Path, target: Path) -> None:
    names = [
        "Quote $10k-$50k Ltd",
        "100% <Bold> & Co",
        "snake_case_inc",
        "Café 🚀 GmbH",
        "شركة النور",
        'מערכות בע"מ',
    ]
    accounts = _accounts(len(names), names)
    stages = ["Quote $10k-$50k", "50% <sure>", "needs_review", "🚀 launch", "مرحلة", "Closed Won"]
    deals = []
    for i, (acc, stage) in enumerate(zip(accounts, stages, strict=True), 1):
        won = stage == "Closed Won"
        deals.append(
            _deal(
                i,
                acc["account_id"],
                stage,
                1000 * i,
                "2026-05-01",
                "2026-08-01" if won else "2026-11-01",
                "won" if won else "open",
                owner=["Zoë $", "李雷"][i % 2],
            )
        )
    deals.append(_deal(7, "A1", "Closed Lost", 900, "2026-04-01", "2026-07-15", "lost", "李雷"))
    _write(target / "accounts.csv", ACC, accounts)
    _write(target / "opportunities.csv", OPP_OUT, deals)
    _write(
        target / "orders.csv",
        ORD,
        _orders([(a["account_id"], "2026-08-01", 100.0 * k) for k, a in enumerate(accounts, 1)]),
    )


# --------------------------------------------------------------------------- the shapes
def _shapes() -> dict[str, Shape]:
    shapes: dict[str, Shape] = {
        "demo_small": Shape(
            _copy,
            expect={
                ("pipeline", "pvf_by_stage"): NOT_NONE,
                ("pipeline", "no_decision_share"): NOT_NONE,
                ("pipeline", "win_rate"): NOT_NONE,
                ("pareto", "share_top_20pct"): NOT_NONE,
                ("pareto", "complaints_share_top_20pct"): NOT_NONE,
                ("comp", "attainment_source"): "quotas",
                ("tiering", "share_time_on_tier1_actual"): NOT_NONE,
                ("habits", "trial_conversion"): NOT_NONE,
                ("habits", "win_rate_by_source"): NOT_NONE,
            },
        ),
        "no_snapshot": Shape(
            lambda b, t: _copy(b, t, snapshot=False),
            expect={("pipeline", "pvf_by_stage"): None},
        ),
        "thin_columns": Shape(_thin, review=True),
    }
    decides = {
        "cases": {("pareto", "complaints_share_top_20pct"): None},
        "activities": {("tiering", "share_time_on_tier1_actual"): None},
        "quotas": {("comp", "attainment_source"): "simulated"},
        "experts": {("warroom", "cases_scheduled"): None},
        "trials": {("habits", "trial_conversion"): None},
    }
    for name in OPTIONAL_TABLES:
        shapes[f"no_{name}"] = Shape(_drop_table(name), expect=decides.get(name, {}))
    for table in ("accounts", "contacts", "opportunities", "products", "buying_centers", "orders"):
        shapes[f"{table}_required_columns_only"] = Shape(_drop_columns(table, None))
    for col in OPPORTUNITY_OPTIONAL:
        shapes[f"opportunities_without_{col}"] = Shape(_drop_columns("opportunities", [col]))
    shapes["opportunities_without_source"].expect[("habits", "win_rate_by_source")] = None

    deals = _mixed_deals()
    five = _accounts(5)
    shapes.update(
        {
            "thin_export": Shape(  # what a CRM report export gives: no outcome, no owner
                _tiny(
                    [{k: v for k, v in d.items() if k in OPP} for d in deals],
                    accounts=five,
                    opp_columns=OPP,
                ),
                expect={("pipeline", "win_rate"): NOT_NONE},
                review=True,
            ),
            "one_account": Shape(
                _tiny(
                    [
                        _deal(1, "A1", "Closed Won", 1000, "2026-03-01", "2026-07-10", "won"),
                        _deal(2, "A1", "Closed Lost", 500, "2026-03-01", "2026-08-10", "lost"),
                        _deal(3, "A1", "Proposal", 700, "2026-06-01", "2026-11-10", "open"),
                    ],
                    accounts=_accounts(1),
                    orders=_orders([("A1", "2026-07-15", 400.0), ("A1", "2026-08-15", 600.0)]),
                ),
                expect={("pareto", "n_accounts"): 1, ("pipeline", "win_rate"): 0.5},
            ),
            "three_deals_no_accounts": Shape(_tiny(deals[:3])),
            "all_open": Shape(
                _tiny(
                    [{**d, "outcome": "open", "stage": "Proposal"} for d in deals], accounts=five
                ),
                expect={("pipeline", "win_rate"): None, ("pipeline", "velocity_per_day"): None},
            ),
            "none_won": Shape(
                _tiny(
                    [
                        {**d, "outcome": "lost", "stage": "Closed Lost"}
                        if d["outcome"] == "won"
                        else d
                        for d in deals
                    ],
                    accounts=five,
                ),
                expect={
                    ("pipeline", "win_rate"): 0.0,
                    ("pipeline", "avg_deal_size_won"): None,
                    ("pipeline", "avg_cycle_days_won"): None,
                    ("pipeline", "velocity_per_day"): None,
                },
            ),
            "one_stage": Shape(
                _tiny([{**d, "stage": "Open"} for d in deals], accounts=five),
            ),
            "no_created_dates": Shape(
                _tiny([{**d, "created_date": ""} for d in deals], accounts=five),
                expect={
                    ("pipeline", "avg_cycle_days_won"): None,
                    ("habits", "median_days_to_win"): None,
                },
            ),
            "open_without_amounts": Shape(
                _tiny(
                    [{**d, "amount": "" if d["outcome"] == "open" else d["amount"]} for d in deals],
                    accounts=five,
                ),
                expect={
                    ("pipeline", "open_pipeline"): None,
                    ("pipeline", "coverage_next_quarter"): None,
                },
            ),
            "all_revenue_negative": Shape(
                _tiny(
                    deals,
                    accounts=five,
                    orders=_orders([(f"A{i}", "2026-08-01", -100.0 * i) for i in range(1, 6)]),
                ),
                expect={("pareto", "share_top_20pct"): None, ("pareto", "n_accounts"): 0},
            ),
            "quarter_without_rows": Shape(
                _tiny(
                    [
                        {**d, "created_date": "2025-01-10", "close_date": "2025-02-10"}
                        for d in deals
                    ],
                    accounts=five,
                    orders=_orders([("A1", "2025-01-10", 100.0), ("A2", "2025-02-10", 300.0)]),
                ),
                expect={("pareto", "share_top_20pct"): None, ("pipeline", "win_rate"): None},
            ),
            "ends_mid_quarter": Shape(
                _tiny(
                    [d for d in deals if d["close_date"] <= "2026-08-20" or d["outcome"] == "open"],
                    accounts=five,
                    orders=_orders([("A1", "2026-07-10", 100.0), ("A2", "2026-08-15", 300.0)]),
                ),
                review="pipeline",  # the partial-quarter cover is the engine's, not a notebook's
            ),
            "no_no_decision": Shape(
                _tiny([d for d in deals if d["outcome"] != "no_decision"], accounts=five),
                expect={
                    ("pipeline", "no_decision_share"): None,
                    ("pipeline", "win_rate"): NOT_NONE,
                },
            ),
            "closed_before_created": Shape(
                _tiny(
                    [
                        {**d, "created_date": "2026-09-30"} if d["opportunity_id"] == "OP1" else d
                        for d in deals
                    ],
                    accounts=five,
                ),
            ),
            "odd_names": Shape(_odd_names, review=True),
        }
    )
    return shapes


SHAPES: dict[str, Shape] = _shapes()


def build(name: str, base: Path, root: Path) -> Path:
    """The folder of shape ``name`` under ``root`` (built on first use)."""
    target = root / name
    if not target.exists():
        SHAPES[name].build(base, target)
    return target
