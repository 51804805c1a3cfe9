"""salesnb: a notebook kit for B2B sales methodology.

Notebooks do ``import salesnb as sn`` and call ``sn.<methodology>.<function>``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salesnb")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

from . import (
    abm,
    analysis,
    comp,
    crm,
    dataset,
    datasets,
    files,
    habits,
    history,
    notebook,
    pareto,
    periods,
    pipeline,
    report,
    schema,
    sources,
    theme,
    tiering,
    training,
    warroom,
    widgets,
)  # noqa: E402

__all__ = [
    "__version__",
    "abm",
    "analysis",
    "comp",
    "crm",
    "dataset",
    "datasets",
    "files",
    "habits",
    "history",
    "notebook",
    "pareto",
    "periods",
    "pipeline",
    "report",
    "schema",
    "sources",
    "theme",
    "tiering",
    "training",
    "warroom",
    "widgets",
]
