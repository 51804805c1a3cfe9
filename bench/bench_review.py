"""Benchmark: the quarterly review on the bundled demo, split into kernel start, compute and PDF.

Usage:  .venv/bin/python bench/bench_review.py [--repeat 3] [--jobs 2]

Runs the `salesnb review` command on data/demo (a new process each time, as a user runs it,
with --jobs) and reads the per-notebook timings from summary.json: kernel (starting one, or
making a worker's kernel fresh), cells, html, pdf. A fresh kernel's start alone is measured
by executing an empty notebook with papermill. CPU seconds are those of the whole process
tree: the benchmark is made the subreaper of the review's orphans (its fork server), so
that their CPU is counted when they end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

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


def become_subreaper() -> None:
    """Orphaned descendants become this process's children (Linux prctl), so that their CPU
    counts: review's workers are forked from a fork server, which review does not wait for."""
    import ctypes

    pr_set_child_subreaper = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def reap_orphans(timeout: float = 30.0) -> None:
    """Wait for the review's orphaned processes (the fork server) to end, adding their CPU
    (and that of the workers they waited for) to this process's children's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)
    raise TimeoutError("the review left processes running")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    cli = Path(sys.executable).parent / "salesnb"
    walls, starts, timings, cpus = [], [], [], []
    become_subreaper()
    for _ in range(args.repeat):
        starts.append(kernel_start_seconds())
        with tempfile.TemporaryDirectory() as tmp:
            command = [str(cli), "review", "--data", str(ROOT / "data" / "demo")]
            command += ["--quarter", "2026Q3", "--out", f"{tmp}/out", "--jobs", str(args.jobs)]
            command += ["--history", f"{tmp}/history.duckdb"]
            before = os.times()
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - t)
            reap_orphans()
            after = os.times()
            cpus.append(
                after.children_user
                - before.children_user
                + after.children_system
                - before.children_system
            )
            summary = json.loads((Path(tmp) / "out" / "summary.json").read_text())
            timings.append({k: v["timings"] for k, v in summary["notebooks"].items()})
            timings[-1]["executive"] = {"seconds": summary["executive"]["seconds"]}
    result = {
        "jobs": args.jobs,
        "wall_seconds_median": round(statistics.median(walls), 2),
        "walls": [round(w, 2) for w in walls],
        "cpu_seconds_median": round(statistics.median(cpus), 2),
        "fresh_kernel_start_seconds": round(statistics.median(starts), 2),
    }
    for name in timings[0]:
        if name == "executive":
            continue
        result[name] = {
            part: round(statistics.median(t[name][part] for t in timings), 2)
            for part in ("kernel", "compute", "html", "pdf")
        }
    result["executive_seconds"] = round(
        statistics.median(t["executive"]["seconds"] for t in timings), 2
    )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "review.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
