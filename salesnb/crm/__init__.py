"""CRM exports and mapping files -> canonical data sets (``salesnb import``).

One engine serves every source: a *mapping* (YAML) says, per canonical table, which
export file feeds it, how to read that file (delimiter, decimal comma, encoding, date
format, footer lines), which source column becomes which canonical column, value
maps, computed columns, row rules and generated ids. The Salesforce, HubSpot and
Pipedrive presets are mapping files shipped in ``salesnb/mappings/``; a user's own
mapping file uses the same format (documented in the README).

Inputs are only read. Every output file is written under a temporary name and
renamed; an import report (rows read, kept, rejected and why, flagged) goes with it.

An import never guesses silently:

- dates that are not ISO are read day first or month first as their values prove
  (a first number above 12 is a day; a second above 12 makes months first); a column
  whose values read both ways follows the other date columns of its file, else the
  import stops and shows both readings (set ``reader: {dayfirst: ...}`` or
  ``date_format``);
- more than 5% of a table's rows that cannot be read (a needed date or number, a
  currency without a rate) stop the import, unless ``max_rejected_share`` allows more;
  rows the mapping drops on purpose (``drop_if_match``, ``drop_if_missing``) do not count;
- value maps see a cell first; then the missing-value tokens of the target column's
  kind apply (:func:`salesnb.schema.missing_tokens`);
- mojibake in free-text columns is repaired (:func:`salesnb.sources.repair_mojibake`)
  and flagged.

The package, one job per module:

- :mod:`~salesnb.crm.mapping`: the mapping format (one definition per key) and presets;
- :mod:`~salesnb.crm.exports`: reading export files as text, physical line numbers;
- :mod:`~salesnb.crm.values`: parsing money and dates;
- :mod:`~salesnb.crm.engine`: one canonical table from one export;
- :mod:`~salesnb.crm.importer`: ``salesnb import`` (detection, conversion, writing).
"""

from __future__ import annotations

from .engine import ImportReport
from .exports import peek_headers, read_export
from .importer import detect_source, import_exports
from .mapping import (
    DEFAULT_MAX_REJECTED_SHARE,
    PRESETS,
    READER_OPTIONS,
    TABLE_KEYS,
    TOP_KEYS,
    Mapping,
    TableMapping,
    load_mapping,
    preset_path,
)
from .values import DateOrder, date_order, parse_dates, parse_money

__all__ = [
    "DEFAULT_MAX_REJECTED_SHARE",
    "DateOrder",
    "ImportReport",
    "Mapping",
    "PRESETS",
    "READER_OPTIONS",
    "TABLE_KEYS",
    "TOP_KEYS",
    "TableMapping",
    "date_order",
    "detect_source",
    "import_exports",
    "load_mapping",
    "parse_dates",
    "parse_money",
    "peek_headers",
    "preset_path",
    "read_export",
]
