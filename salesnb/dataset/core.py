"""The data set: its settings, its tables, and the DuckDB connection that queries them.

Small tables are typed DataFrames; raw-line tables (orders, activities) stay on disk
and are views of that connection (:meth:`DataSet.sql`), so only aggregates reach pandas.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import config
from ..files import not_a_file
from ..schema import TABLES, DataError, Problem
from .engines import DuckDBEngine, Engine, SparkEngine

__all__ = [
    "SETTINGS_FILE",
    "DataSet",
    "RawTable",
    "Settings",
    "connect",
    "quote_ident",
    "quote_literal",
    "reference_ids",
]


SETTINGS_FILE = "dataset.yml"


@dataclass(frozen=True)
class Settings:
    """Data-set settings from the optional ``dataset.yml`` beside the tables."""

    name: str
    currency: str = "USD"
    fiscal_year_start_month: int = 1
    encoding: str | None = None  # force a text encoding for every CSV of the set
    engine: str = "duckdb"  # where raw-line aggregates run: duckdb (local files) or spark
    spark: dict[str, Any] = field(default_factory=dict)  # master, conf
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # raw tables in Spark

    @classmethod
    def read(cls, folder: Path) -> Settings:
        path = folder / SETTINGS_FILE
        if not os.path.lexists(path):
            return cls(name=folder.name)
        unusable = not_a_file(path)
        if unusable:
            raise DataError(unusable.describe(), [unusable])
        return cls(**{"name": folder.name, **config.read_dataset_settings(path)})


@dataclass(frozen=True)
class RawTable:
    """A raw-line table left on disk; DuckDB reads it through :meth:`DataSet.sql`."""

    table: str
    path: Path
    rows: int
    select: str  # a DuckDB SELECT producing the typed, canonical columns


@dataclass
class DataSet:
    """A checked canonical data set.

    Attributes
    ----------
    tables
        Small tables as typed DataFrames (RangeIndex), values outside controlled
        vocabularies set to missing.
    raw
        Raw-line tables left on disk, queried with :meth:`sql`.
    problems
        Every problem found, errors and findings.
    """

    path: Path
    settings: Settings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    raw: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def findings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "finding"]

    def has(self, name: str) -> bool:
        """Whether the data set holds table ``name``."""
        return name in self.tables or name in self.raw

    def table(self, name: str) -> pd.DataFrame:
        """A small table as a DataFrame (raw tables: an error pointing to :meth:`sql`)."""
        if name in self.tables:
            return self.tables[name]
        if name in self.raw:
            raise DataError(f"'{name}' is a raw-line table: aggregate it with DataSet.sql(...)")
        raise DataError(
            f"the data set {self.path} has no '{name}' table; add {name}.csv "
            f"(columns: {', '.join(TABLES[name].required)})"
        )

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL (DuckDB's dialect) over the data set on its engine; every table is a view
        of its canonical name. On Spark the query is transpiled (:mod:`.engines`)."""
        return self.engine.sql(query, params)

    def columns(self, name: str) -> tuple[str, ...]:
        """The columns of table ``name`` as the engine sees them."""
        if name in self.tables:
            return tuple(self.tables[name].columns)
        return self.engine.columns(name)

    @property
    def engine(self) -> Engine:
        """The engine the data set's queries run on (``engine:`` in dataset.yml)."""
        if self._engine is None:
            if self.settings.engine == "spark":
                self._engine = SparkEngine(
                    self.settings.spark,
                    self.settings.tables,
                    {n: r.path for n, r in self.raw.items() if n not in self.settings.tables},
                    self.tables,
                )
            else:
                self._engine = DuckDBEngine(self._connection())
        return self._engine

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = connect()
            for name, df in self.tables.items():
                con.register(name, df)
            for name, raw in self.raw.items():
                if not raw.select:  # a table in Spark (engine: spark): DuckDB has no view of it
                    continue
                con.execute(f"CREATE OR REPLACE VIEW {name} AS {raw.select}")
            self._con = con
        return self._con


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that never downloads extensions.

    Memory is capped (``SALESNB_DUCKDB_MEMORY``, default 512MB); larger work spills
    to a temporary folder, so checking a 100-million-line file stays within bounds.
    """
    spill = Path(tempfile.gettempdir()) / "salesnb-duckdb"
    spill.mkdir(exist_ok=True)
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": os.environ.get("SALESNB_DUCKDB_MEMORY", "512MB"),
            "temp_directory": str(spill),
        }
    )
    con.execute("SET enable_progress_bar = false")  # the kit reports its own progress
    return con


def reference_ids(ds: DataSet) -> dict[str, pd.Index]:
    """Ids of the tables others refer to; a table without its key column has none to offer
    (its missing column is already an error), so references to it are not checked."""
    return {
        name: pd.Index(ds.tables[name][TABLES[name].key[0]].dropna().unique())
        for name in ("accounts", "products")
        if name in ds.tables and TABLES[name].key[0] in ds.tables[name].columns
    }


def quote_ident(name: str) -> str:
    """A name quoted for DuckDB SQL (a column or table)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A string literal for DuckDB SQL."""
    return "'" + text.replace("'", "''") + "'"
