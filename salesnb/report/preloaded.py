"""Imported last by the review workers' fork server (``kernels._PRELOAD``): it freezes
what the server imported.

The fork server lives as long as the review. Frozen, its imports are skipped by every
garbage collection: in each worker and kernel forked from it, which inherit the freeze,
and in the server's own exit, which would otherwise walk them all (0.3 s, during which a
caller reading the review's output through a pipe still waits: the server holds it open).
"""

import gc

gc.freeze()
