"""The data set: read a canonical folder, check it once, query it with DuckDB.

- :mod:`~salesnb.dataset.core`: :class:`Settings`, :class:`RawTable`, :class:`DataSet`
  and its DuckDB connection (:func:`connect`).
- :mod:`~salesnb.dataset.load`: :func:`read_dataset` / :func:`load_dataset`, finding the
  table files and reading the small tables.
- :mod:`~salesnb.dataset.raw`: raw-line tables checked and typed by DuckDB.
- :mod:`~salesnb.dataset.aggregates`: every aggregate over raw lines, one definition each.
- :mod:`~salesnb.dataset.deals`: the aggregates over deals (the habits notebook's), one SQL
  definition each, run on the engine or over DataFrames.
- :mod:`~salesnb.dataset.engines`: where they run: DuckDB (local files) or Spark
  (``engine: spark`` in dataset.yml; the ``spark`` extra).

Reading files (encodings, CSV, Excel, Parquet) is :mod:`salesnb.files`.
"""

from .core import DataSet, RawTable, Settings, connect
from .load import load_dataset, read_dataset

__all__ = ["DataSet", "RawTable", "Settings", "connect", "load_dataset", "read_dataset"]
