"""Lean start-up for the kit's own processes: the ``salesnb`` command and review's workers.

Importing this module (the command imports it first; review's fork server preloads it first)
makes jsonschema leave out one optional format checker. jsonschema, which nbformat and so
papermill import, loads ``rfc3987_syntax`` when it is installed (jupyterlab's jupyter-events
pulls it in). That package builds ~35 Earley parsers as it is imported: 0.9 s of CPU, more
than the rest of nbformat, in every process that reads a notebook, for the "iri" formats that
no notebook schema uses (python-jsonschema/jsonschema#1428). Marking it absent makes
jsonschema skip those two formats, as it does when the package is not installed. Kernels and
the user's own Python are not touched.
"""

from __future__ import annotations

import sys

__all__ = []  # type: ignore[var-annotated]  # imported for its effect only

if "jsonschema" not in sys.modules:  # once jsonschema has looked, the mark changes nothing
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
