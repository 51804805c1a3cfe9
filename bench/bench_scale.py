"""Benchmark: how check and review time grow with the data set (1k, 10k, 100k accounts).

Usage:  .venv/bin/python bench/bench_scale.py [--accounts 1000 10000 100000] [--jobs 2]
                                              [--format parquet|csv] [--skip-review-above N]

For each size, writes (once, then reuses) a demo data set in bench/out/scale-<n>-<format>
(50 order lines and 20 activity lines per account, as `salesnb demo` does), then times,
each as its own process through the command line:
  check    `salesnb check DIR`
  review   `salesnb review --data DIR --quarter 2026Q3 --jobs N --out ...` (every notebook,
           the executive summary and review.pdf), with the per-notebook phases it prints
Wall seconds and peak memory of the whole process tree (/usr/bin/time's maximum resident
set of the largest process; the kernels are separate processes) go to
bench/out/scale.json and a table on stdout, with the growth factor per 10x of accounts.
Performance is measured here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
SALESNB = str(Path(sys.executable).with_name("salesnb"))


def data_folder(accounts: int, fmt: str) -> Path:
    from salesnb.datasets import DemoSpec, write_demo

    folder = OUT / f"scale-{accounts}-{fmt}"
    if not (folder / "dataset.yml").exists():
        write_demo(folder, DemoSpec(accounts=accounts), fmt=fmt, force=True)
    return folder


def timed(args: list[str]) -> tuple[float, str, int]:
    """Wall seconds, stdout and the peak RSS (MiB) of the command, via /usr/bin/time -v."""
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    t = time.perf_counter()
    done = subprocess.run([*timer, *args], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, done.stdout, round(int(peak.group(1)) / 1024) if peak else -1


def phases(stdout: str) -> dict[str, dict[str, float]]:
    """The per-notebook table `salesnb review` prints (kernel, cells, HTML, PDF)."""
    found: dict[str, dict[str, float]] = {}
    lines = stdout.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if "Where the time went" in line)
    except StopIteration:
        return found
    for line in lines[start + 1 :]:
        parts = line.split()
        if len(parts) != 5 or not re.fullmatch(r"\d\d_\w+", parts[0]):
            break
        found[parts[0]] = dict(
            zip(("kernel", "cells", "html", "pdf"), map(float, parts[1:]), strict=True)
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--skip-review-above", type=int, default=10**9)
    args = parser.parse_args()
    results = []
    for n in args.accounts:
        folder = data_folder(n, args.format)
        row: dict[str, object] = {"accounts": n, "order_lines": 50 * n}
        row["check_seconds"], _, row["check_peak_mib"] = timed([SALESNB, "check", str(folder)])
        if n <= args.skip_review_above:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "review"
                review = [SALESNB, "review", "--data", str(folder), "--quarter", "2026Q3"]
                review += ["--jobs", str(args.jobs), "--out", str(out)]
                review += ["--history", str(Path(tmp) / "h.duckdb")]
                seconds, stdout, peak = timed(review)
                row["review_seconds"], row["review_peak_mib"] = seconds, peak
                row["review_phases"] = phases(stdout)
                shutil.rmtree(out, ignore_errors=True)
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "review_phases"}), flush=True)
    for a, b in zip(results, results[1:], strict=False):
        ratio = b["accounts"] / a["accounts"]  # type: ignore[operator]
        for key in ("check_seconds", "review_seconds"):
            if key in a and key in b:
                growth = b[key] / a[key]  # type: ignore[operator]
                b[f"{key}_growth"] = round(growth, 2)
                b[f"{key}_exponent"] = round(math.log(growth) / math.log(ratio), 2)
    OUT.mkdir(exist_ok=True)
    (OUT / "scale.json").write_text(json.dumps(results, indent=2))
    print(
        f"\n{'accounts':>9} {'check s':>8} {'MiB':>6} {'review s':>9} {'MiB':>6}  growth (exponent)"
    )
    for r in results:
        growth = "  ".join(
            f"{k.split('_')[0]} x{r[k + '_growth']} (n^{r[k + '_exponent']})"
            for k in ("check_seconds", "review_seconds")
            if k + "_growth" in r
        )
        print(
            f"{r['accounts']:>9,} {r['check_seconds']:>8.1f} {r['check_peak_mib']:>6} "
            f"{r.get('review_seconds', float('nan')):>9.1f} {r.get('review_peak_mib', '-'):>6}  {growth}"
        )


if __name__ == "__main__":
    main()
