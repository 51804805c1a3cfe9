"""Where a data set's queries run: DuckDB (local files, the default) or Spark (a cluster).

Every query the kit runs over a data set is written once, in DuckDB's SQL dialect
(:mod:`~salesnb.dataset.aggregates`). :class:`DuckDBEngine` runs it as written;
:class:`SparkEngine` transpiles it to Spark SQL with sqlglot (once per query text) and
runs it on a Spark session, where the raw-line tables are the files or catalog tables of
``dataset.yml``'s ``tables:`` (or the data set's own raw files), and the small tables
it refers to are sent from pandas. Either way only the (small) result reaches pandas.

``pyspark`` is an optional extra (``pip install 'salesnb[spark]'``); this module imports
it only when a Spark data set runs its first query.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ..schema import DataError, Problem

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "CACHE_BYTES",
    "SPARK_EXTRA",
    "DuckDBEngine",
    "Engine",
    "ResultCache",
    "SparkEngine",
    "add_spark_tables",
    "spark_sql",
]

SPARK_EXTRA = "pip install 'salesnb[spark]'"
CACHE_BYTES = 192 * 2**20  # results an engine keeps for queries asked again (per data set)


class Engine(Protocol):
    """What runs a data set's queries (DuckDB-dialect SQL in, a small DataFrame out)."""

    name: str

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame: ...

    def columns(self, table: str) -> tuple[str, ...]: ...


class ResultCache:
    """The results of read-only queries, so a query asked again is not run again.

    A notebook asks the same aggregate several times: its exercises and its live controls
    re-run ``analyze`` with one parameter changed, and each run sums the same hundred
    million order lines. A data set does not change while it is open (its tables are read
    once, its raw-line files checked), so the answer to the same query text with the same
    parameters is the same. Results are kept up to ``max_bytes`` in all (least recently
    used first out); a larger one is not kept. Each caller gets its own frame, a copy that
    shares the data until either side writes (pandas' copy-on-write), so a caller that
    changes its frame never changes what the next caller gets.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._kept: OrderedDict[tuple[str, tuple[Any, ...]], tuple[pd.DataFrame, int]] = (
            OrderedDict()
        )

    def get(
        self,
        query: str,
        params: list[Any] | None,
        run: Callable[[str, list[Any] | None], pd.DataFrame],
    ) -> pd.DataFrame:
        """The result of ``query``: kept from before, or ``run(query, params)`` (then kept)."""
        key = _cache_key(query, params)
        if key is None:
            return run(query, params)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept[0].copy(deep=False)
        got = run(query, params)
        size = int(got.memory_usage(index=True, deep=True).sum())
        if size <= self.max_bytes:
            self._kept[key] = (got.copy(deep=False), size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, gone) = self._kept.popitem(last=False)
                self.bytes -= gone
        return got

    def clear(self) -> None:
        self._kept.clear()
        self.bytes = 0


def _cache_key(query: str, params: list[Any] | None) -> tuple[str, tuple[Any, ...]] | None:
    """The key of a read-only query (SELECT or WITH), None for anything else or unhashable
    parameters (such queries always run)."""
    if not query.lstrip().lower().startswith(("select", "with", "(")):
        return None
    frozen = tuple(params or ())
    try:
        hash(frozen)
    except TypeError:
        return None
    return query, frozen


class DuckDBEngine:
    """DuckDB over the local files: raw-line tables are views, small tables registered frames.

    Results of read-only queries are kept (:class:`ResultCache`): asked again, a query over
    a hundred million lines costs a copy of its (small) result.
    """

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, *, cache_bytes: int = CACHE_BYTES) -> None:
        self.con = con
        self.cache = ResultCache(cache_bytes)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.cache.get(query, params, self._run)

    def _run(self, query: str, params: list[Any] | None) -> pd.DataFrame:
        return self.con.execute(query, params or []).df()

    def columns(self, table: str) -> tuple[str, ...]:
        return tuple(c[0] for c in self.con.execute(f'SELECT * FROM "{table}" LIMIT 0').description)


@functools.lru_cache(maxsize=256)
def spark_sql(query: str) -> str:
    """``query`` (DuckDB dialect) as Spark SQL, transpiled by sqlglot."""
    import sqlglot

    return sqlglot.transpile(query, read="duckdb", write="spark")[0]


@functools.lru_cache(maxsize=256)
def _tables_in(query: str) -> frozenset[str]:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(query, read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name not in ctes)


def _session(settings: Mapping[str, Any]) -> Any:
    """The process's Spark session for ``settings`` (``spark:`` of dataset.yml): app salesnb,
    UI off, log level WARN, never downloading packages."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DataError(
            f"engine: spark needs pyspark, which is not installed: {SPARK_EXTRA}"
        ) from exc
    builder = (
        SparkSession.builder.appName("salesnb")
        .master(str(settings.get("master", "local[2]")))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
    )
    for key, value in settings.get("conf", {}).items():
        builder = builder.config(key, str(value).lower() if isinstance(value, bool) else value)
    with _quiet(), _jvm_output(_driver_log()):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _driver_log() -> Path:
    """Where the driver JVM writes: its start-up lines and WARN logs, not into a report."""
    folder = Path(tempfile.gettempdir()) / "salesnb-spark"
    folder.mkdir(exist_ok=True)
    return folder / f"driver-{os.getpid()}.log"


@contextlib.contextmanager
def _jvm_output(log: Path) -> Iterator[None]:
    """Standard output and error go to ``log`` while the JVM starts, so it inherits the file
    (a notebook kernel captures its process's output into the report)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "ab") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


class SparkEngine:
    """Spark over the cluster's raw-line tables; the session starts at the first query.

    Results of read-only queries are kept, as on DuckDB (:class:`ResultCache`).

    Parameters
    ----------
    spark
        ``dataset.yml``'s ``spark:`` settings (master, conf).
    tables
        ``dataset.yml``'s ``tables:``: raw-line table -> ``{path, format, options}`` or
        ``{table}``.
    local_raw
        Raw-line tables that are files in the data set folder: Spark reads them there when
        they are Parquet (a CSV is DuckDB's to read: its dialect and header spelling).
    small
        The small tables (DataFrames), sent to Spark when a query names them.
    """

    name = "spark"

    def __init__(
        self,
        spark: Mapping[str, Any],
        tables: Mapping[str, Mapping[str, Any]],
        local_raw: Mapping[str, Path],
        small: Mapping[str, pd.DataFrame],
    ) -> None:
        self.settings = dict(spark)
        self.tables = {n: dict(t) for n, t in tables.items()}
        self.unreadable: dict[str, str] = {}
        for name, path in local_raw.items():
            if name in self.tables:
                continue
            if Path(path).suffix.lower() == ".parquet":
                self.tables[name] = {"path": str(path), "format": "parquet"}
            else:  # DuckDB reads its dialect, encoding and header spelling; Spark would guess
                self.unreadable[name] = Path(path).name
        self.small = small
        self._spark: Any = None
        self._views: set[str] = set()
        self.cache = ResultCache()

    @property
    def session(self) -> Any:
        if self._spark is None:
            self._spark = _session(self.settings)
        return self._spark

    def _view(self, name: str) -> None:
        """Make ``name`` a temporary view of the session (once)."""
        if name in self._views:
            return
        where = self.tables.get(name)
        if name in self.unreadable:
            raise DataError(
                f"engine: spark reads raw-line files of the data set folder as Parquet only, "
                f"and {self.unreadable[name]} is not: convert it to {name}.parquet, or list it "
                f"under tables: in dataset.yml (path and format: csv, canonical column names)"
            )
        spark = self.session
        if where is not None:
            if "table" in where:
                df = spark.table(where["table"])
            else:
                reader = spark.read.format(where["format"])
                options = (
                    {"header": "true", "inferSchema": "true"} if where["format"] == "csv" else {}
                )
                options.update({k: str(v) for k, v in where.get("options", {}).items()})
                df = reader.options(**options).load(where["path"])
        elif name in self.small:
            with _quiet():
                df = spark.createDataFrame(_for_spark(self.small[name]))
        else:
            return  # a CTE, or a name Spark reports as unknown
        df.createOrReplaceTempView(name)
        self._views.add(name)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.cache.get(query, params, self._run)

    def _run(self, query: str, params: list[Any] | None) -> pd.DataFrame:
        for name in _tables_in(query):
            self._view(name)
        got = self.session.sql(spark_sql(query), args=list(params) if params else None)
        with _quiet():
            return _from_spark(got.toPandas())

    def columns(self, table: str) -> tuple[str, ...]:
        self._view(table)
        return tuple(self.session.table(table).columns)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Without pyspark's warnings about pandas 3 (its Arrow conversion of small frames works)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        warnings.filterwarnings("ignore", "The copy keyword is deprecated")
        yield


def _for_spark(df: pd.DataFrame) -> pd.DataFrame:
    """A small table Spark's Arrow conversion takes: text as object, missing as None."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s):
            out[col] = s.astype("object").where(s.notna(), None)
    return out


def _from_spark(df: pd.DataFrame) -> pd.DataFrame:
    """Spark's result typed as DuckDB returns it: dates as datetime64, text as str."""
    for col in df.columns:
        s = df[col]
        if (
            s.dtype == object
            and len(s)
            and s.dropna().map(type).eq(type(pd.Timestamp(0).date())).all()
        ):
            df[col] = pd.to_datetime(s)
    return df


def add_spark_tables(ds: Any) -> None:
    """Add the raw-line tables ``dataset.yml`` places in Spark (``tables:``) to ``ds.raw``,
    counting their lines (which starts the session, and finds a wrong path or table now)."""
    from .core import RawTable

    for name, where in ds.settings.tables.items():
        place = where.get("path") or where["table"]
        if name in ds.raw or name in ds.tables:
            ds.problems.append(
                Problem(
                    "error",
                    "dataset.yml",
                    f"the '{name}' table is both a file in the data set folder and "
                    f"tables.{name} ({place})",
                    f"delete tables.{name} from dataset.yml, or move the file out of the folder",
                    table=name,
                )
            )
            continue
        ds.raw[name] = RawTable(name, Path(place), 0, "")
        try:
            n = int(ds.sql(f"SELECT count(*) AS n FROM {name}")["n"].iloc[0])
        except DataError:
            raise
        except Exception as exc:  # Spark's AnalysisException: no such path or table
            del ds.raw[name]
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            ds.problems.append(
                Problem(
                    "error",
                    "dataset.yml",
                    f"Spark cannot read tables.{name} ({place}): {first[:300]}",
                    "correct the path, format or table name in dataset.yml",
                    table=name,
                )
            )
            continue
        ds.raw[name] = RawTable(name, Path(place), n, "")
        ds.rows[name] = n
