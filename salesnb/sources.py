"""The old home of the readers, kept so that ``salesnb.sources.<name>`` still works.

Its four jobs now live apart:

- reading any file (encodings, CSV, records and their lines, runaway quotes, Excel,
  Parquet, mojibake, paths that are no file): :mod:`salesnb.files`;
- the data set (:class:`DataSet`, :class:`Settings`, :class:`RawTable`, :func:`connect`):
  :mod:`salesnb.dataset.core`; reading and checking it (:func:`read_dataset`,
  :func:`load_dataset`): :mod:`salesnb.dataset.load`;
- checking raw-line tables with DuckDB: :mod:`salesnb.dataset.raw` (the rules
  themselves are :mod:`salesnb.schema`);
- aggregates over raw lines (:func:`revenue_by`, :func:`activity_by_account`,
  :func:`spend_to_date`, :func:`last_activity`): :mod:`salesnb.dataset.aggregates`.

New code imports from those modules.
"""

from .dataset.aggregates import activity_by_account, last_activity, revenue_by, spend_to_date
from .dataset.core import DataSet, RawTable, Settings, connect
from .dataset.load import load_dataset, read_dataset
from .files import (
    SUFFIXES,
    Repair,
    check_runaway_quote,
    read_cells,
    repair_mojibake,
    row_lines,
)

# the former private names of the helpers the CRM importer shares (now public in salesnb.files)
from .files import excel_cell as _excel_cell  # noqa: F401
from .files import fail as _fail  # noqa: F401
from .files import sniff_bytes as _sniff_bytes  # noqa: F401
from .files import sniff_delimiter as _delimiter  # noqa: F401

__all__ = [
    "DataSet",
    "RawTable",
    "Repair",
    "Settings",
    "SUFFIXES",
    "check_runaway_quote",
    "connect",
    "load_dataset",
    "read_dataset",
    "read_cells",
    "repair_mojibake",
    "revenue_by",
    "row_lines",
    "activity_by_account",
    "last_activity",
    "spend_to_date",
]
