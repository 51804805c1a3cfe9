"""Benchmark: the quarterly review on the bundled demo, split into kernel start, compute and PDF.

Usage:  .venv/bin/python bench/bench_review.py [--repeat 3]

Runs `salesnb review` on data/demo (one notebook at a time, --jobs 1) and reads the
per-notebook timings from summary.json (execute = kernel start + compute; html; pdf).
Kernel start alone is measured by executing an empty notebook the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from salesnb import report

ROOT = Path(__file__).resolve().parent.parent


def kernel_start_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, str(empty))
        t = time.perf_counter()
        papermill.execute_notebook(
            str(empty),
            str(Path(tmp) / "out.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            shutdown_kernel="immediate",
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    walls, starts, timings = [], [], []
    for _ in range(args.repeat):
        starts.append(kernel_start_seconds())
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            summary = report.review(ROOT / "data" / "demo", "2026Q3", Path(tmp) / "out", jobs=1)
            walls.append(time.perf_counter() - t)
            timings.append({k: v["timings"] for k, v in summary["notebooks"].items()})
    start = statistics.median(starts)
    result = {
        "wall_seconds_median": round(statistics.median(walls), 2),
        "kernel_start_seconds": round(start, 2),
    }
    for name in timings[0]:
        execute = statistics.median(t[name]["execute"] for t in timings)
        result[name] = {
            "kernel_start": round(start, 2),
            "compute": round(execute - start, 2),
            "html": round(statistics.median(t[name]["html"] for t in timings), 2),
            "pdf": round(statistics.median(t[name]["pdf"] for t in timings), 2),
        }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "review.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
