"""The report engine: run notebooks, render reports, collect what they publish, keep the history.

``salesnb.report.<name>`` is the engine's public surface (the command line, tests and
notebooks use it); the work is split by job:

- :mod:`.run`: find notebooks, plan and type their parameters, execute them with
  papermill (in parallel, one writer per output folder), the ``review`` itself;
- :mod:`.kernels`: one kernel per review worker, made fresh between its notebooks;
- :mod:`.render`: an executed notebook as HTML without code, HTML as PDF (WeasyPrint,
  print stylesheet, numbered sections, one-line footers), PDFs bound with bookmarks;
- :mod:`.summary`: summary.json (what each notebook published, its status, outputs and
  stale files of earlier runs), the data set's fingerprint;
- :mod:`.history`: the review's side of the history store (:mod:`salesnb.history`):
  checked before any kernel, snapshots, recorded after a full review, notebook parameters;
- :mod:`.executive`: ``00_summary.pdf`` (findings, headline figures, change since the
  last review, trends, top actions) and ``review.pdf``.
"""

from __future__ import annotations

from . import executive, history, render, run, summary
from .executive import REVIEW_PDF, SUMMARY_STEM
from .render import TRAINER_TAG, bind_pdfs, notebook_html, page_html, render_pdf, running_title
from .run import (
    STANDARD,
    convert_parameters,
    default_out,
    find_notebook,
    latest_quarter,
    list_notebooks,
    notebook_parameters,
    plan,
    read_config,
    review,
    run_notebook,
    skip_reason,
)
from .summary import NotebookResult, fingerprint

__all__ = [
    "REVIEW_PDF",
    "STANDARD",
    "SUMMARY_STEM",
    "TRAINER_TAG",
    "NotebookResult",
    "bind_pdfs",
    "convert_parameters",
    "default_out",
    "executive",
    "find_notebook",
    "fingerprint",
    "history",
    "latest_quarter",
    "list_notebooks",
    "notebook_html",
    "notebook_parameters",
    "page_html",
    "plan",
    "read_config",
    "render",
    "render_pdf",
    "review",
    "run",
    "run_notebook",
    "running_title",
    "skip_reason",
    "summary",
]
