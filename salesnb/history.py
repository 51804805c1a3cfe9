"""The history store: every review's quarter, headline metrics and snapshot tables in one DuckDB file.

One file (default ``reports/salesnb-history.duckdb``, beside the quarters' report folders)
holds the reviews of any number of data sets. Per review it keeps the quarter, the data
set's name, identity and fingerprint, every metric of summary.json (long form) and the
snapshot tables later quarters compare with (open opportunities, tiers, the revenue
ranking that gives top-group membership).

Identity
    A data set is keyed by :func:`dataset_key`, its name normalised (case, spacing and
    punctuation do not matter). The name is what the user controls and what stays when the
    data grows: the fingerprint changes with every export, the folder with every per-quarter
    export. A name alone could join two different data sets, so the key is checked on every
    write: the currency and fiscal-year start must match the stored reviews, and the
    accounts must overlap (at least half of the smaller set of account ids shared with the
    nearest stored quarter). A data set that fails a check is refused with a message that
    says how to give it its own history; reviews of different data sets never mix.

Safety
    Recording a review is one DuckDB transaction (delete that data set's quarter, insert
    it again): an error or a crash before the commit leaves the previous state. A new file
    is built under a temporary name and linked into place, so a store is never half made.
    A file that is not a DuckDB database, a DuckDB database without this schema, one of a
    newer schema version or a damaged one is refused with a message naming the file and
    the fix, and is never written. A store in use by another process is waited for, then
    named with that process's id.

Layout (schema version 1)
    ``salesnb_history(key, value)`` marks the file (format, schema_version, created);
    ``reviews`` one row per (dataset_key, quarter); ``notebooks`` their statuses;
    ``metrics(dataset_key, quarter, notebook, metric, kind, value, text)``: maps are
    flattened into dotted names (``tier_counts.T1``), kind is int, float, bool, text, json
    (lists) or null; ``snapshots(dataset_key, quarter, name, rows, columns, data)``: each
    table as Parquet bytes, so dtypes (dates, string ids, floats, categories) round-trip.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import numbers
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from .analysis import KINDS
from .periods import quarter_window
from .schema import DataError, UsageError

__all__ = [
    "FILENAME",
    "HEADLINE",
    "OPEN_OPPORTUNITIES",
    "RANKING",
    "SCHEMA_VERSION",
    "TIERS",
    "Headline",
    "check",
    "dataset_key",
    "default_path",
    "delta",
    "headline_table",
    "listing",
    "metric_values",
    "metrics",
    "previous",
    "previous_quarter",
    "quarters",
    "record",
    "record_summary",
    "reviews",
    "snapshot",
    "snapshot_history",
    "trends",
]

FILENAME = "salesnb-history.duckdb"
SCHEMA_VERSION = 1
_FORMAT = "salesnb history store"
_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

# the snapshot tables later comparisons read, and the columns each must have
OPEN_OPPORTUNITIES = "open_opportunities"
TIERS = "tiers"
RANKING = "ranking"
_REQUIRED = {
    OPEN_OPPORTUNITIES: ("opportunity_id", "account_id", "stage", "amount", "close_date"),
    TIERS: ("account_id", "tier"),
    RANKING: ("account_id", "rank"),
}
_SHARED_ACCOUNTS_MIN = 0.5  # share of the smaller account set two reviews of one data set share

_SCHEMA = (
    "CREATE TABLE salesnb_history (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE reviews (
        dataset_key VARCHAR NOT NULL, quarter VARCHAR NOT NULL, dataset_name VARCHAR NOT NULL,
        fingerprint VARCHAR, data_path VARCHAR, data_from DATE, data_through DATE,
        currency VARCHAR, fiscal_year_start_month INTEGER, generated VARCHAR,
        recorded VARCHAR NOT NULL, kit_version VARCHAR, PRIMARY KEY (dataset_key, quarter))""",
    """CREATE TABLE notebooks (
        dataset_key VARCHAR NOT NULL, quarter VARCHAR NOT NULL, notebook VARCHAR NOT NULL,
        status VARCHAR, PRIMARY KEY (dataset_key, quarter, notebook))""",
    """CREATE TABLE metrics (
        dataset_key VARCHAR NOT NULL, quarter VARCHAR NOT NULL, notebook VARCHAR NOT NULL,
        metric VARCHAR NOT NULL, kind VARCHAR NOT NULL, value DOUBLE, text VARCHAR,
        PRIMARY KEY (dataset_key, quarter, notebook, metric))""",
    """CREATE TABLE snapshots (
        dataset_key VARCHAR NOT NULL, quarter VARCHAR NOT NULL, name VARCHAR NOT NULL,
        rows BIGINT NOT NULL, columns VARCHAR NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (dataset_key, quarter, name))""",
)
_TABLES = ("reviews", "notebooks", "metrics", "snapshots")
_NUMERIC = ("int", "float")


@dataclass(frozen=True)
class Headline:
    """A metric `salesnb history` shows and the trend charts draw."""

    notebook: str  # methodology part of the notebook stem (``pareto`` of ``01_pareto``)
    metric: str
    label: str
    kind: str  # how it is shown: one of salesnb.analysis.KINDS (percent, money, count, number)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.metric}: unknown kind {self.kind!r}; use one of {KINDS}")


HEADLINE: tuple[Headline, ...] = (
    Headline("pareto", "revenue_total", "Revenue", "money"),
    Headline("pareto", "share_top_20pct", "Revenue share of the top 20% accounts", "percent"),
    Headline("pareto", "gini", "Gini coefficient", "number"),
    Headline("pipeline_health", "win_rate", "Win rate", "percent"),
    Headline("pipeline_health", "no_decision_share", "No-decision share", "percent"),
    Headline("pipeline_health", "velocity_per_day", "Pipeline velocity per day", "money"),
    Headline("pipeline_health", "open_pipeline", "Open pipeline", "money"),
    Headline("pipeline_health", "coverage_next_quarter", "Coverage of next quarter", "number"),
    Headline("account_tiering", "tier_counts.T1", "Tier 1 accounts", "count"),
    Headline("account_tiering", "tier_counts.T2", "Tier 2 accounts", "count"),
    Headline("account_tiering", "tier_counts.T3", "Tier 3 accounts", "count"),
    Headline("account_tiering", "tier_counts.T4", "Tier 4 accounts", "count"),
)


# --------------------------------------------------------------------------- names
def default_path(out: Path | None = None) -> Path:
    """The store beside the review outputs' parent: ``out.parent / FILENAME``.

    Without ``out``: ``reports/salesnb-history.duckdb`` under the working folder, the
    parent of review's default ``--out`` (``reports/<quarter>/``).
    """
    if out is None:
        return Path(os.getcwd()) / "reports" / FILENAME
    return Path(out).expanduser().absolute().parent / FILENAME


def dataset_key(name: str) -> str:
    """The data set's identity in the store: its name, case-folded, punctuation runs as ``-``.

    Example
    -------
    >>> dataset_key("Demo company (seed 42, 500 accounts)")
    'demo-company-seed-42-500-accounts'
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    key = re.sub(r"[\W_]+", "-", text).strip("-")
    if not key:  # a name of punctuation only: still one stable key per name
        import hashlib

        key = "name-" + hashlib.sha256(str(name).encode()).hexdigest()[:10]
    return key


def _quarter(quarter: str) -> str:
    return quarter_window(quarter).label  # YYYYQn or a UsageError


# --------------------------------------------------------------------------- opening
def _sniff(path: Path) -> None:
    """Refuse, before DuckDB sees it, anything that is not a DuckDB database file."""
    if path.is_dir():
        raise UsageError(
            f"history store {path} is a folder: give --history a file path (e.g. {path / FILENAME})"
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise UsageError(f"cannot read history store {path}: {exc.strerror or exc}") from None
    if head[8:12] != _MAGIC:
        what = "an empty file" if not head else "not a DuckDB database"
        raise UsageError(
            f"{path} is not a salesnb history store ({what}); salesnb leaves it as it is: "
            "choose another --history, or move the file away to start a new store there"
        )


def _lock_holder(message: str) -> str | None:
    if "lock" not in message.lower():
        return None
    m = re.search(r"PID (\d+)", message)
    return m.group(1) if m else "unknown"


@contextlib.contextmanager
def _connect(path: Path, *, write: bool, wait: float) -> Iterator[Any]:
    """A checked connection to an existing store; waits up to ``wait`` s for another process."""
    import duckdb

    _sniff(path)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=not write, config=dict(_CONFIG))
            break
        except duckdb.Error as exc:
            message = str(exc)
            pid = _lock_holder(message)
            if pid is None:
                _opening_failed(path, message)
            if time.monotonic() >= deadline:
                raise UsageError(
                    f"history store {path} is in use by another process (PID {pid}); wait for "
                    "it to finish and try again, or choose another --history"
                ) from None
            time.sleep(0.1)
    try:
        _verify(con, path)
        yield con
    finally:
        con.close()


def _opening_failed(path: Path, message: str) -> NoReturn:
    first = message.splitlines()[0] if message else "unknown error"
    if "permission denied" in message.lower():
        raise UsageError(f"cannot open history store {path}: permission denied") from None
    if "not a valid DuckDB database" in message:
        raise UsageError(
            f"{path} is not a salesnb history store (not a DuckDB database); salesnb leaves "
            "it as it is: choose another --history, or move the file away"
        ) from None
    raise DataError(
        f"history store {path} cannot be read ({first}); salesnb leaves it as it is: "
        "restore it from a backup, or move it away and the next review starts a new store"
    ) from None


def _verify(con: Any, path: Path) -> None:
    """Ours (marker row), of a version this kit reads, and complete; else a clear error."""
    import duckdb

    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        meta = (
            dict(con.execute("SELECT key, value FROM salesnb_history").fetchall())
            if "salesnb_history" in tables
            else {}
        )
    except duckdb.Error as exc:
        _opening_failed(path, str(exc))
    if meta.get("format") != _FORMAT:
        held = ", ".join(sorted(tables)[:5]) or "no tables"
        raise UsageError(
            f"{path} is a DuckDB database but not a salesnb history store (it holds {held}); "
            "salesnb leaves it as it is: choose another --history"
        )
    try:
        version = int(meta.get("schema_version", ""))
    except ValueError:
        version = 0
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"history store {path} was written by a newer salesnb (schema version {version}; "
            f"this one reads up to {SCHEMA_VERSION}): upgrade salesnb, or choose another --history"
        )
    missing = [t for t in _TABLES if t not in tables]
    if version < 1 or missing:
        raise DataError(
            f"history store {path} is damaged (schema version {meta.get('schema_version')!r}"
            + (f", no table {', '.join(missing)}" if missing else "")
            + "); salesnb leaves it as it is: restore it from a backup, or move it away"
        )


def _create(path: Path) -> None:
    """A new, empty store: built under a temporary name, then linked into place."""
    import duckdb

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the folder of history store {path}: {exc.strerror or exc}"
        ) from None
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        con = duckdb.connect(str(tmp), config=dict(_CONFIG))
        try:
            con.begin()
            for statement in _SCHEMA:
                con.execute(statement)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            con.executemany(
                "INSERT INTO salesnb_history VALUES (?, ?)",
                [("format", _FORMAT), ("schema_version", str(SCHEMA_VERSION)), ("created", now)],
            )
            con.commit()
        finally:
            con.close()
        try:
            os.link(tmp, path)  # never replaces a store another process made meanwhile
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(tmp, path)
    except (OSError, duckdb.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        raise UsageError(f"cannot create history store {path}: {reason or exc}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)


def check(path: Path, *, dataset: Mapping[str, Any] | None = None, currency: str = "") -> None:
    """Raise now what :func:`record` would raise for this store and data set, writing nothing.

    For the engine to call before any notebook runs, so a bad ``--history`` costs no
    review. A missing store is fine when its folder can be made. ``dataset`` (name, key,
    fiscal_year_start_month) and ``currency`` add the identity checks that need no tables.
    """
    path = Path(path)
    if not path.exists():
        parent = next((p for p in path.absolute().parents if p.exists()), None)
        if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"cannot create history store {path}: permission denied")
        return
    with _connect(path, write=False, wait=5.0) as con:
        if dataset is not None:
            key = dataset.get("key") or dataset_key(dataset["name"])
            fiscal = int(dataset.get("fiscal_year_start_month") or 1)
            _check_identity(con, path, key, "", dataset["name"], currency, fiscal, None)


# --------------------------------------------------------------------------- writing
def _flatten(prefix: str, value: Any, out: dict[str, tuple[str, float | None, str | None]]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
        return
    if hasattr(value, "item") and not isinstance(value, list | tuple | Mapping):
        value = value.item()  # numpy scalars
    if value is None or value is pd.NA or value is pd.NaT:
        out[prefix] = ("null", None, None)
    elif isinstance(value, bool):
        out[prefix] = ("bool", float(value), None)
    elif isinstance(value, numbers.Integral):
        out[prefix] = ("int", float(value), None)
    elif isinstance(value, numbers.Real):
        f = float(value)
        out[prefix] = ("float", f, None) if math.isfinite(f) else ("null", None, None)
    elif isinstance(value, str):
        out[prefix] = ("text", None, value)
    else:  # lists, empty maps, anything else JSON can say
        out[prefix] = ("json", None, json.dumps(value, default=str, sort_keys=True))


def _metric_rows(
    key: str, quarter: str, metrics: Mapping[str, Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    rows = []
    for notebook, values in metrics.items():
        flat: dict[str, tuple[str, float | None, str | None]] = {}
        for name, value in (values or {}).items():
            _flatten(str(name), value, flat)
        rows += [(key, quarter, str(notebook), m, *v) for m, v in sorted(flat.items())]
    return rows


def _parquet(name: str, table: pd.DataFrame) -> bytes:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"snapshot {name!r} must be a DataFrame, got {type(table).__name__}")
    missing = [c for c in _REQUIRED.get(name, ()) if c not in table.columns]
    if missing:
        raise ValueError(f"snapshot {name!r} lacks column(s) {', '.join(missing)}")
    buf = io.BytesIO()
    try:
        table.to_parquet(buf, index=False)
    except Exception as exc:  # pyarrow: mixed types in a column and the like
        raise ValueError(f"snapshot {name!r} cannot be stored: {str(exc).splitlines()[0]}") from exc
    return buf.getvalue()


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    ts = pd.Timestamp(value)
    return None if pd.isna(ts) else ts.date()


def record(
    path: Path,
    *,
    quarter: str,
    dataset: Mapping[str, Any],
    currency: str,
    metrics: Mapping[str, Mapping[str, Any]],
    snapshots: Mapping[str, pd.DataFrame],
    generated: str = "",
    kit_version: str = "",
    statuses: Mapping[str, str] | None = None,
    wait: float = 30.0,
) -> None:
    """Store one review, replacing the same data set's quarter in one transaction.

    Parameters
    ----------
    path
        The store; created when missing.
    quarter
        The review quarter, ``YYYYQn``.
    dataset
        ``name`` (required), ``key`` (default :func:`dataset_key` of the name),
        ``fingerprint``, ``path``, ``from``, ``through`` (ISO dates or None),
        ``fiscal_year_start_month`` (default 1): summary.json's ``data`` block plus the
        fiscal-year start.
    currency
        The data set's currency code.
    metrics
        ``{notebook: {metric: value}}`` as summary.json holds them (numbers, text, null,
        maps of them, lists).
    snapshots
        ``{name: DataFrame}``; :data:`OPEN_OPPORTUNITIES`, :data:`TIERS` and
        :data:`RANKING` are checked for the columns later comparisons need.
    generated, kit_version
        summary.json's ``generated`` and ``kit_version``.
    statuses
        ``{notebook: status}`` (ok, failed, skipped).
    wait
        Seconds to wait for another process using the store before giving up.

    Raises
    ------
    UsageError
        The file is not a store, is in use, or the data set fails the identity checks.
    DataError
        The store is damaged.
    """
    path = Path(path)
    quarter = _quarter(quarter)
    name = str(dataset["name"])
    key = str(dataset.get("key") or dataset_key(name))
    fiscal = int(dataset.get("fiscal_year_start_month") or 1)
    # everything that can fail on the caller's values fails here, before the store is opened
    metric_rows = _metric_rows(key, quarter, metrics)
    blobs = [(n, _parquet(n, t), t) for n, t in snapshots.items()]
    snap_rows = [
        (key, quarter, n, len(t), json.dumps([str(c) for c in t.columns]), blob)
        for n, blob, t in blobs
    ]
    accounts = _account_ids(t for _, _, t in blobs)
    review_row = (
        key,
        quarter,
        name,
        dataset.get("fingerprint"),
        None if dataset.get("path") is None else str(dataset.get("path")),
        _date(dataset.get("from")),
        _date(dataset.get("through")),
        currency,
        fiscal,
        str(generated or ""),
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        kit_version,
    )
    status_rows = [(key, quarter, str(nb), str(s)) for nb, s in (statuses or {}).items()]
    if not path.exists():
        _create(path)
    import duckdb

    with _connect(path, write=True, wait=wait) as con:
        _check_identity(con, path, key, quarter, name, currency, fiscal, accounts)
        try:
            con.begin()
            _delete(con, key, quarter)
            _insert(con, review_row, status_rows, metric_rows, snap_rows)
            con.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                con.rollback()
            if isinstance(exc, duckdb.Error):
                raise DataError(
                    f"cannot write history store {path}: {str(exc).splitlines()[0]}; "
                    "its previous content is unchanged"
                ) from None
            raise


def _delete(con: Any, key: str, quarter: str) -> None:
    for table in _TABLES:
        con.execute(f"DELETE FROM {table} WHERE dataset_key = ? AND quarter = ?", [key, quarter])


def _insert(
    con: Any,
    review_row: tuple[Any, ...],
    status_rows: list[tuple[Any, ...]],
    metric_rows: list[tuple[Any, ...]],
    snap_rows: list[tuple[Any, ...]],
) -> None:
    con.execute(f"INSERT INTO reviews VALUES ({', '.join('?' * len(review_row))})", review_row)
    if status_rows:
        con.executemany("INSERT INTO notebooks VALUES (?, ?, ?, ?)", status_rows)
    if metric_rows:
        con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)", metric_rows)
    for row in snap_rows:
        con.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", list(row))


def _account_ids(tables: Any) -> set[str]:
    ids: set[str] = set()
    for t in tables:
        if "account_id" in t.columns:
            ids.update(str(a) for a in t["account_id"].dropna().unique())
    return ids


def _stored_accounts(con: Any, key: str, quarter: str) -> set[str]:
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for columns, blob in con.execute(
        "SELECT columns, data FROM snapshots WHERE dataset_key = ? AND quarter = ?", [key, quarter]
    ).fetchall():
        if "account_id" in json.loads(columns):
            col = pq.read_table(io.BytesIO(bytes(blob)), columns=["account_id"]).column(0)
            ids.update(str(a) for a in col.drop_null().unique().to_pylist())
    return ids


def _check_identity(
    con: Any,
    path: Path,
    key: str,
    quarter: str,
    name: str,
    currency: str,
    fiscal: int,
    accounts: set[str] | None,
) -> None:
    """The same data set as the stored reviews under ``key``, or a UsageError saying why not."""
    others = con.execute(
        "SELECT quarter, dataset_name, currency, fiscal_year_start_month FROM reviews "
        "WHERE dataset_key = ? AND quarter <> ? ORDER BY quarter",
        [key, quarter],
    ).fetchall()
    if not others:
        return
    fix = (
        "give this data set its own name (name: in its dataset.yml, or dataset_name in the "
        "review config) to start a new history, or choose another --history"
    )
    latest_q, stored_name, stored_currency, stored_fiscal = others[-1]
    if currency and stored_currency and currency != stored_currency:
        raise UsageError(
            f"history store {path}: the reviews of {stored_name!r} are in {stored_currency} "
            f"(last {latest_q}), this one in {currency}, so their amounts do not compare: {fix}"
        )
    if stored_fiscal and fiscal != stored_fiscal:
        raise UsageError(
            f"history store {path}: the reviews of {stored_name!r} use a fiscal year starting "
            f"in month {stored_fiscal} (last {latest_q}), this one month {fiscal}, so their "
            f"quarters differ: {fix}"
        )
    if not accounts:
        return
    before = [r[0] for r in others if r[0] < quarter]
    nearest = before[-1] if before else others[0][0]
    stored = _stored_accounts(con, key, nearest)
    if not stored:
        return
    shared = len(accounts & stored) / min(len(accounts), len(stored))
    if shared < _SHARED_ACCOUNTS_MIN:
        raise UsageError(
            f"history store {path}: {name!r} shares {shared:.0%} of its account ids with the "
            f"stored review of {stored_name!r} for {nearest}; it looks like another data set "
            f"with the same name: {fix}"
        )


def record_summary(
    path: Path,
    summary: Mapping[str, Any],
    *,
    snapshots: Mapping[str, pd.DataFrame],
    fiscal_year_start_month: int = 1,
    wait: float = 30.0,
) -> None:
    """:func:`record` fed from a review's summary.json content (the engine's one call).

    Every notebook's published metrics are stored with its status. A summary with a
    notebook ``interrupted`` is refused: an interrupted review never enters the store.
    """
    books = summary.get("notebooks") or {}
    cut = sorted(nb for nb, r in books.items() if r.get("status") == "interrupted")
    if cut:
        raise ValueError(f"not recording an interrupted review ({', '.join(cut)} interrupted)")
    record(
        path,
        quarter=summary["quarter"],
        dataset={**summary["data"], "fiscal_year_start_month": fiscal_year_start_month},
        currency=summary.get("currency") or "",
        metrics={nb: r.get("metrics") or {} for nb, r in books.items()},
        snapshots=snapshots,
        generated=summary.get("generated", ""),
        kit_version=summary.get("kit_version", ""),
        statuses={nb: r.get("status", "") for nb, r in books.items()},
        wait=wait,
    )


# --------------------------------------------------------------------------- reading
@contextlib.contextmanager
def _reading(path: Path) -> Iterator[Any]:
    """A read-only connection, or None when there is no store yet (nothing is created)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        yield None
        return
    with _connect(path, write=False, wait=5.0) as con:
        yield con


_REVIEW_COLUMNS = [
    "dataset",
    "dataset_key",
    "quarter",
    "generated",
    "recorded",
    "kit_version",
    "fingerprint",
    "data_path",
    "data_from",
    "data_through",
    "currency",
    "fiscal_year_start_month",
    "notebooks",
    "failed",
    "metrics",
    "snapshots",
]
_METRIC_COLUMNS = ["dataset_key", "quarter", "notebook", "metric", "kind", "value", "text"]
_DELTA_COLUMNS = [
    "notebook",
    "metric",
    "previous_quarter",
    "previous",
    "current",
    "change",
    "direction",
]


def reviews(path: Path, dataset_key: str | None = None) -> pd.DataFrame:
    """One row per stored review (all data sets, or one), by data set and quarter.

    Columns: dataset (its name), dataset_key, quarter, generated, recorded, kit_version,
    fingerprint, data_path, data_from, data_through, currency, fiscal_year_start_month,
    notebooks (how many), failed (how many not ok), metrics (how many), snapshots (names).
    """
    with _reading(path) as con:
        if con is None:
            return pd.DataFrame(columns=_REVIEW_COLUMNS)
        where, args = ("WHERE r.dataset_key = ?", [dataset_key]) if dataset_key else ("", [])
        table = con.execute(
            f"""
            SELECT r.dataset_name AS dataset, r.dataset_key, r.quarter, r.generated, r.recorded,
                   r.kit_version, r.fingerprint, r.data_path, r.data_from, r.data_through,
                   r.currency, r.fiscal_year_start_month,
                   (SELECT count(*) FROM notebooks n WHERE n.dataset_key = r.dataset_key
                      AND n.quarter = r.quarter) AS notebooks,
                   (SELECT count(*) FROM notebooks n WHERE n.dataset_key = r.dataset_key
                      AND n.quarter = r.quarter AND n.status <> 'ok') AS failed,
                   (SELECT count(*) FROM metrics m WHERE m.dataset_key = r.dataset_key
                      AND m.quarter = r.quarter) AS metrics,
                   (SELECT coalesce(string_agg(s.name, ', ' ORDER BY s.name), '')
                      FROM snapshots s WHERE s.dataset_key = r.dataset_key
                      AND s.quarter = r.quarter) AS snapshots
            FROM reviews r {where} ORDER BY r.dataset_key, r.quarter""",
            args,
        ).df()
    return table[_REVIEW_COLUMNS]


def _quarters(con: Any, key: str) -> list[str]:
    if con is None:
        return []
    rows = con.execute(
        "SELECT quarter FROM reviews WHERE dataset_key = ? ORDER BY quarter", [key]
    ).fetchall()
    return [r[0] for r in rows]


def _before(stored: list[str], quarter: str) -> str | None:
    earlier = [q for q in stored if q < quarter]
    return earlier[-1] if earlier else None


def _metric_values(con: Any, key: str | None) -> pd.DataFrame:
    if con is None:
        return pd.DataFrame(columns=_METRIC_COLUMNS)
    where, args = ("WHERE dataset_key = ?", [key]) if key else ("", [])
    return con.execute(
        f"SELECT {', '.join(_METRIC_COLUMNS)} FROM metrics {where} "
        "ORDER BY dataset_key, quarter, notebook, metric",
        args,
    ).df()


def _snapshot(con: Any, key: str, quarter: str | None, table: str) -> pd.DataFrame | None:
    if con is None or quarter is None:
        return None
    row = con.execute(
        "SELECT data FROM snapshots WHERE dataset_key = ? AND quarter = ? AND name = ?",
        [key, quarter, table],
    ).fetchone()
    return None if row is None else pd.read_parquet(io.BytesIO(bytes(row[0])))


def quarters(path: Path, dataset_key: str) -> list[str]:
    """The quarters stored for a data set, oldest first."""
    with _reading(path) as con:
        return _quarters(con, dataset_key)


def previous_quarter(path: Path, dataset_key: str, quarter: str) -> str | None:
    """The most recent stored quarter strictly before ``quarter`` (not necessarily adjacent)."""
    return _before(quarters(path, dataset_key), _quarter(quarter))


def metric_values(path: Path, dataset_key: str | None = None) -> pd.DataFrame:
    """Every stored metric, long form: dataset_key, quarter, notebook, metric, kind, value, text.

    ``value`` holds numbers (and bools as 0/1), ``text`` text and JSON; kind says which.
    """
    with _reading(path) as con:
        return _metric_values(con, dataset_key)


def metrics(path: Path, dataset_key: str) -> pd.DataFrame:
    """The numeric metrics of a data set, one row per stored quarter (oldest first).

    Columns are a MultiIndex (notebook, metric); a metric a quarter lacks or could not
    compute is NaN. Example: ``metrics(p, key)["03_pipeline_health"]["win_rate"]``.
    """
    with _reading(path) as con:
        long, stored = _metric_values(con, dataset_key), _quarters(con, dataset_key)
    index = pd.Index(stored, name="quarter", dtype="str")
    numeric = long[long["kind"].isin(_NUMERIC)][["notebook", "metric"]].drop_duplicates()
    if numeric.empty:
        columns = pd.MultiIndex.from_tuples([], names=["notebook", "metric"])
        return pd.DataFrame(index=index, columns=columns, dtype="float64")
    long = long.merge(numeric, on=["notebook", "metric"])  # with their nulls, as NaN
    wide = long.pivot_table(
        index="quarter",
        columns=["notebook", "metric"],
        values="value",
        aggfunc="first",
        dropna=False,
    )
    wide = wide.reindex(index).astype("float64")
    return wide.sort_index(axis=1)


def delta(path: Path, dataset_key: str, quarter: str) -> pd.DataFrame:
    """Each numeric metric of ``quarter`` against the previous stored quarter.

    Columns: notebook, metric, previous_quarter, previous, current, change (current -
    previous), direction (up, down, same; missing where either side is). Empty (with
    these columns) when ``quarter`` or no earlier quarter is stored.
    """
    quarter = _quarter(quarter)
    with _reading(path) as con:
        stored = _quarters(con, dataset_key)
        before = _before(stored, quarter)
        if before is None or quarter not in stored:
            return pd.DataFrame(columns=_DELTA_COLUMNS)
        long = _metric_values(con, dataset_key)
    numeric = long[long["kind"].isin(_NUMERIC) & long["quarter"].isin([quarter, before])]
    keys = numeric[["notebook", "metric"]].drop_duplicates().sort_values(["notebook", "metric"])
    index = pd.MultiIndex.from_frame(keys)

    def side(q: str) -> pd.Series:
        values = numeric[numeric["quarter"] == q].set_index(["notebook", "metric"])["value"]
        return values.reindex(index).astype("float64")

    prev, cur = side(before), side(quarter)
    change = cur - prev
    direction = [
        None
        if pd.isna(c)
        else "same"
        if math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
        else "up"
        if c > 0
        else "down"
        for a, b, c in zip(cur, prev, change, strict=True)
    ]
    out = keys.reset_index(drop=True).assign(
        previous_quarter=before,
        previous=prev.to_numpy(),
        current=cur.to_numpy(),
        change=change.to_numpy(),
        direction=pd.Series(direction, dtype="str"),
    )
    return out[_DELTA_COLUMNS]


def trends(path: Path, dataset_key: str) -> pd.DataFrame:
    """The trend series of the executive summary, one row per stored quarter (oldest first).

    Columns: concentration (revenue share of the top 20% accounts), win_rate,
    no_decision_share, velocity_per_day, and ``tier_mix.<tier>`` (each tier's share of the
    tiered accounts). NaN where a quarter lacks the metric. Notebooks are matched by their
    methodology name, so a renumbered notebook keeps its series.
    """
    wide = metrics(path, dataset_key)
    out = pd.DataFrame(index=wide.index)

    def series(methodology: str, metric: str) -> pd.Series:
        for notebook, name in wide.columns:
            if _methodology(notebook) == methodology and name == metric:
                return wide[(notebook, name)]
        return pd.Series(float("nan"), index=wide.index)

    out["concentration"] = series("pareto", "share_top_20pct")
    out["win_rate"] = series("pipeline_health", "win_rate")
    out["no_decision_share"] = series("pipeline_health", "no_decision_share")
    out["velocity_per_day"] = series("pipeline_health", "velocity_per_day")
    tiers = {
        name.split(".", 1)[1]: wide[(nb, name)]
        for nb, name in wide.columns
        if _methodology(nb) == "account_tiering"
        and name.startswith("tier_counts.")
        and name != "tier_counts.unscored"
    }
    if tiers:
        counts = pd.DataFrame(tiers)
        total = counts.sum(axis=1, min_count=1)
        for tier in sorted(counts.columns):
            out[f"tier_mix.{tier}"] = counts[tier] / total.where(total > 0)
    return out


def _methodology(notebook: str) -> str:
    """``pareto`` of ``01_pareto``; a name without a number is its own methodology."""
    head, _, rest = notebook.partition("_")
    return rest if head.isdigit() and rest else notebook


def snapshot(path: Path, dataset_key: str, quarter: str, table: str) -> pd.DataFrame | None:
    """A stored snapshot table of one quarter, with its dtypes, or None."""
    quarter = _quarter(quarter)
    with _reading(path) as con:
        return _snapshot(con, dataset_key, quarter, table)


def previous(path: Path, dataset_key: str, quarter: str, table: str) -> pd.DataFrame | None:
    """``table`` of the most recent stored quarter strictly before ``quarter``, or None.

    :func:`previous_quarter` says which quarter that is (it may not be the adjacent one).
    """
    quarter = _quarter(quarter)
    with _reading(path) as con:
        return _snapshot(con, dataset_key, _before(_quarters(con, dataset_key), quarter), table)


def snapshot_history(path: Path, dataset_key: str, table: str) -> pd.DataFrame:
    """``table`` of every stored quarter stacked, with a first column ``quarter`` (oldest first).

    E.g. the tier history :func:`salesnb.tiering.churn` reads (account_id, quarter, tier).
    Empty when no quarter holds it.
    """
    parts = []
    with _reading(path) as con:
        for q in _quarters(con, dataset_key):
            t = _snapshot(con, dataset_key, q, table)
            if t is not None:
                rest = [c for c in t.columns if c != "quarter"]
                parts.append(t.assign(quarter=q)[["quarter", *rest]])
    if not parts:
        return pd.DataFrame(columns=["quarter"])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- listing
def _value(kind: str, value: float | None, text: str | None) -> Any:
    """A stored metric as summary.json had it."""
    if kind == "int":
        return int(value) if value is not None else None
    if kind == "float":
        return value
    if kind == "bool":
        return bool(value)
    if kind == "text":
        return text
    if kind == "json":
        return json.loads(text) if text else None
    return None


def listing(path: Path) -> dict[str, Any]:
    """The store as JSON-ready data: every review with its statuses, snapshots and metrics.

    ``{"history": path, "exists": bool, "reviews": [{dataset, dataset_key, quarter,
    generated, recorded, kit_version, fingerprint, data: {path, from, through}, currency,
    fiscal_year_start_month, notebooks: {name: status}, snapshots: {name: rows},
    metrics: {notebook: {metric: value}}}]}``; maps are flattened into dotted names.
    """
    path = Path(path)
    out: dict[str, Any] = {"history": str(path), "exists": False, "reviews": []}
    with _reading(path) as con:
        if con is None:
            return out
        out["exists"] = True
        heads = con.execute(
            "SELECT dataset_key, quarter, dataset_name, generated, recorded, kit_version, "
            "fingerprint, data_path, CAST(data_from AS VARCHAR), CAST(data_through AS VARCHAR), "
            "currency, fiscal_year_start_month FROM reviews ORDER BY dataset_key, quarter"
        ).fetchall()
        statuses = con.execute(
            "SELECT dataset_key, quarter, notebook, status FROM notebooks ORDER BY notebook"
        ).fetchall()
        snaps = con.execute(
            "SELECT dataset_key, quarter, name, rows FROM snapshots ORDER BY name"
        ).fetchall()
        values = con.execute(
            "SELECT dataset_key, quarter, notebook, metric, kind, value, text FROM metrics "
            "ORDER BY notebook, metric"
        ).fetchall()
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for key, q, name, gen, rec, kit, fp, dpath, dfrom, dthrough, cur, fiscal in heads:
        entries[(key, q)] = {
            "dataset": name,
            "dataset_key": key,
            "quarter": q,
            "generated": gen or None,
            "recorded": rec,
            "kit_version": kit or None,
            "fingerprint": fp,
            "data": {"path": dpath, "from": dfrom, "through": dthrough},
            "currency": cur,
            "fiscal_year_start_month": fiscal,
            "notebooks": {},
            "snapshots": {},
            "metrics": {},
        }
    for key, q, nb, status in statuses:
        if (key, q) in entries:
            entries[(key, q)]["notebooks"][nb] = status
    for key, q, name, rows in snaps:
        if (key, q) in entries:
            entries[(key, q)]["snapshots"][name] = int(rows)
    for key, q, nb, metric, kind, value, text in values:
        if (key, q) in entries:
            entries[(key, q)]["metrics"].setdefault(nb, {})[metric] = _value(kind, value, text)
    out["reviews"] = list(entries.values())
    return out


def headline_table(path: Path, dataset_key: str) -> pd.DataFrame:
    """The :data:`HEADLINE` metrics of a data set: label, kind, then one column per stored quarter.

    Only metrics some quarter holds; NaN where a quarter lacks one.
    """
    wide = metrics(path, dataset_key)
    rows = []
    for h in HEADLINE:
        found = [
            (nb, m) for nb, m in wide.columns if _methodology(nb) == h.notebook and m == h.metric
        ]
        if found:
            rows.append({"metric": h.label, "kind": h.kind, **wide[found[0]].to_dict()})
    return pd.DataFrame(rows, columns=["metric", "kind", *wide.index])
