"""salesnb: a notebook kit for B2B sales methodology.

Notebooks do ``import salesnb as sn`` and call ``sn.<methodology>.<function>``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salesnb")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

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


def __getattr__(name: str) -> object:
    """Import a submodule on first use (``sn.pareto``): a notebook loads only what it calls."""
    if name in __all__ and name != "__version__":
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
