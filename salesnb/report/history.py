"""The review's side of the history store (:mod:`salesnb.history`): check, snapshots, record, notebook parameters.

A review checks its store before any kernel starts (a foreign, damaged or locked file,
or a data set whose currency or fiscal year differ from its stored reviews, costs no
review), records the finished review after summary.json is written (a full review only,
never an interrupted one), and hands notebooks that declare them the store's path and
the data set's key (``history_file``, ``history_key``) so they can read last quarter.

Snapshots hold ids and figures, never names: the open opportunities at the quarter's end
without their owner, the tiers and the revenue ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import history
from ..analysis import NotAnalysable, periods, with_outcomes
from ..dataset import DataSet
from ..schema import DataError

__all__ = [
    "HISTORY_PARAMETERS",
    "check",
    "inject",
    "record",
    "snapshots",
    "store_path",
]

# the notebook parameters a review fills with the store's path and the data set's key
HISTORY_PARAMETERS = ("history_file", "history_key")
_NAMELESS_DROP = ("owner",)  # names stay out of the store (the lead's decision)


def store_path(out: Path, given: Path | None = None) -> Path:
    """``given`` made absolute, or the default beside the review's folder (``out.parent``)."""
    if given is None:
        return history.default_path(out)
    return Path(given).expanduser().absolute()


def check(store: Path, *, name: str, fiscal: int, currency: str) -> None:
    """Raise now (before any kernel) what recording into ``store`` would raise, writing nothing."""
    history.check(
        store, dataset={"name": name, "fiscal_year_start_month": fiscal}, currency=currency
    )


def inject(
    planned: list[tuple[Path, dict[str, Any]]],
    declared: Mapping[Path, Mapping[str, Any]],
    *,
    store: Path,
    key: str,
) -> list[tuple[Path, dict[str, Any]]]:
    """Each notebook's parameters plus the store's path and key, where the notebook declares both.

    A notebook whose parameters cell lacks ``history_file`` or ``history_key`` gets neither
    (an older notebook, or one whose ``history_file`` means something else); a value the
    user gave (config or ``-p``) is kept.
    """
    out = []
    for nb, params in planned:
        names = declared.get(nb, {})
        if all(p in names for p in HISTORY_PARAMETERS):
            params = {"history_file": str(store), "history_key": key, **params}
        out.append((nb, params))
    return out


def _params_by_methodology(planned: list[tuple[Path, dict[str, Any]]]) -> dict[str, dict]:
    return {nb.stem.split("_", 1)[1]: dict(p) for nb, p in planned}


def snapshots(
    ds: DataSet, quarter: str, planned: list[tuple[Path, dict[str, Any]]]
) -> dict[str, pd.DataFrame]:
    """The snapshot tables later quarters compare with, computed from the loaded data set.

    Each with the parameters the review gave its notebook. A snapshot the data set cannot
    give (no opportunities, no accounts, no revenue) is left out, not an error.
    """
    from .. import pareto, pipeline, tiering

    by = _params_by_methodology(planned)

    def params(cls: type, methodology: str) -> Any:
        given = {k: v for k, v in by.get(methodology, {}).items() if k != "quarter"}
        return cls.from_namespace({**given, "quarter": quarter})

    out: dict[str, pd.DataFrame] = {}
    if ds.has("opportunities"):
        p = params(pipeline.Params, "pipeline_health")
        try:
            opps, _ = with_outcomes(ds.table("opportunities"))
            end = periods(ds, p).window.end
            open_now = pipeline.open_at(opps, end)
        except (DataError, KeyError):
            open_now = None
        if open_now is not None:
            drop = [c for c in _NAMELESS_DROP if c in open_now.columns]
            out[history.OPEN_OPPORTUNITIES] = open_now.drop(columns=drop).reset_index(drop=True)
    if ds.has("accounts"):
        try:
            cards = tiering.analyze(ds, params(tiering.Params, "account_tiering")).table(
                "scorecard"
            )
        except (NotAnalysable, DataError):
            cards = None
        if cards is not None and {"account_id", "tier"} <= set(cards.columns):
            keep = [c for c in ("account_id", "tier", "score") if c in cards.columns]
            out[history.TIERS] = cards[keep].reset_index(drop=True)
    if ds.has("orders") or ds.has("opportunities"):
        try:
            ranking = pareto.analyze(ds, params(pareto.Params, "pareto")).table("ranking")
        except (NotAnalysable, DataError):
            ranking = None
        if ranking is not None and {"account_id", "rank"} <= set(ranking.columns):
            keep = [
                c
                for c in ("account_id", "revenue", "rank", "share", "cum_share")
                if c in ranking.columns
            ]
            out[history.RANKING] = ranking[keep].reset_index(drop=True)
    return out


def record(
    store: Path,
    summary: Mapping[str, Any],
    *,
    ds: DataSet,
    quarter: str,
    planned: list[tuple[Path, dict[str, Any]]],
    fiscal: int,
    computed: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Store the finished review (metrics, statuses, snapshots) as its data set's ``quarter``.

    ``computed``: the snapshots, if computed already (while the notebooks ran).
    """
    history.record_summary(
        store,
        summary,
        snapshots=computed if computed is not None else snapshots(ds, quarter, planned),
        fiscal_year_start_month=fiscal,
    )
