"""summary.json: what each notebook published, its status and outputs, and the data set's identity.

A notebook publishes its metrics and its result (findings, headline figures, actions,
absent sections, coverage) as display outputs with the kit's MIME types; they are read
back from the executed notebook, so what was published before a failure is kept. Files a
notebook's folder holds from an earlier run, not rewritten by this one, are listed apart
(``stale``). Written atomically; a run of some notebooks merges its entries into the
folder's summary.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis import data_span
from ..dataset import DataSet
from ..files import atomic_path
from ..notebook import METRICS_MIME, RESULT_MIME, _jsonable
from ..periods import quarter_window
from ..schema import SalesnbError

__all__ = [
    "NotebookResult",
    "error_line",
    "fingerprint",
    "list_outputs",
    "published",
    "read_published",
    "save_summary",
    "write_failure",
    "write_summary",
]


@dataclass
class NotebookResult:
    """One notebook's outcome, as summary.json records it."""

    notebook: str
    status: str  # ok, failed, skipped, interrupted
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    reason: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    title: str | None = None  # the report's title (its notebook's H1)
    findings: list[str] = field(default_factory=list)
    headline: list[dict[str, Any]] = field(default_factory=list)  # {label, value, kind, note}
    actions: list[str] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)
    data_through: str | None = None
    window: dict[str, Any] | None = None
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # files of an earlier run, not rewritten now
    missing_glyphs: list[str] = field(default_factory=list)  # texts no font can draw (see fonts)


def published(nb: Any, mime: str) -> dict[str, Any]:
    """Everything an executed notebook displayed with ``mime``, merged in cell order."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.update(data[mime])
    return found


def read_published(nb: Any, result: NotebookResult) -> None:
    """Fill ``result`` with the metrics and result an executed notebook published."""
    result.metrics = published(nb, METRICS_MIME)
    res = published(nb, RESULT_MIME)
    result.findings = [str(f) for f in res.get("findings", []) or []]
    result.headline = [dict(h) for h in res.get("headline", []) or [] if isinstance(h, Mapping)]
    result.actions = [str(a) for a in res.get("actions", []) or []]
    result.absent = dict(res.get("absent", {}) or {})
    result.data_through = res.get("data_through")
    result.window = res.get("window")
    result.assumptions = list(res.get("assumptions", []) or [])


def error_line(nb: Any) -> str:
    """The first error an executed notebook shows, as ``Name: message``."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return "the notebook failed"


def list_outputs(folder: Path, out: Path, started: float) -> tuple[list[str], list[str]]:
    """(files written since ``started``, files of an earlier run) in ``folder``, relative to ``out``."""
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    fresh = [p for p in files if p.stat().st_mtime >= started]
    return (
        sorted(str(p.relative_to(out)) for p in fresh),
        sorted(str(p.relative_to(out)) for p in files if p not in fresh),
    )


def write_failure(target: Path, exc: OSError) -> str:
    """One line for a write the system refused: which file, and the system's reason."""
    reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return (
        f"cannot write {target}: {reason}; the previous file is unchanged. "
        "Free some space (or choose another --out) and run again"
    )


def fingerprint(folder: Path) -> str:
    """sha256 over the data set's file names and bytes."""
    h = hashlib.sha256()
    files = sorted(p for p in (folder.iterdir() if folder.is_dir() else [folder]) if p.is_file())
    for p in files:
        h.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda f=fh: f.read(1 << 20), b""):
                h.update(block)
    return "sha256:" + h.hexdigest()


def write_summary(
    ds: DataSet,
    data: Path,
    quarter: str,
    out: Path,
    name: str,
    results: Mapping[str, NotebookResult],
    *,
    config: Mapping[str, Any] | None,
    merge: bool,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write summary.json atomically; with ``merge``, keep the other notebooks' entries of the folder.

    ``extra`` adds top-level entries (the history store the review records into). A merge
    keeps the folder's ``history`` entry and marks its executive summary ``stale``.
    """
    entries = {k: asdict(v) for k, v in results.items()}
    extra = dict(extra or {})
    previous = out / "summary.json"
    if merge and previous.is_file():
        try:
            old = json.loads(previous.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("quarter") == quarter and isinstance(old.get("notebooks"), dict):
            entries = {**old["notebooks"], **entries}
            if isinstance(old.get("history"), dict):  # what the review recorded stays said
                extra.setdefault("history", old["history"])
            if isinstance(old.get("executive"), dict):  # made before this run: out of date now
                extra.setdefault(
                    "executive",
                    {
                        **old["executive"],
                        "status": "stale",
                        "error": f"{', '.join(sorted(results))} ran again after the review: "
                        "review again to bring 00_summary.pdf and review.pdf up to date",
                    },
                )
    first, last = data_span(ds)
    fiscal = (config or {}).get("fiscal_year_start_month") or ds.settings.fiscal_year_start_month
    window_end = quarter_window(quarter, fiscal_start=fiscal).end
    summary = {
        "kit_version": __version__,
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quarter": quarter,
        "data_through": None if last is None else f"{last:%Y-%m-%d}",
        "quarter_complete": None if last is None else bool(last >= window_end),
        "data": {
            "path": str(data),
            "name": name,
            "fingerprint": fingerprint(data),
            "from": None if first is None else f"{first:%Y-%m-%d}",
            "through": None if last is None else f"{last:%Y-%m-%d}",
        },
        "currency": (config or {}).get("currency") or ds.settings.currency,
        **extra,
        "notebooks": {k: entries[k] for k in sorted(entries)},
    }
    save_summary(out, summary)
    return summary


def save_summary(out: Path, summary: Mapping[str, Any]) -> None:
    """Write ``summary`` as ``out/summary.json``, atomically; a refused write keeps the previous file."""
    try:
        with atomic_path(out / "summary.json") as tmp:
            tmp.write_text(json.dumps(_jsonable(summary), indent=2), encoding="utf-8")
    except OSError as exc:
        raise SalesnbError(write_failure(out / "summary.json", exc)) from None
