"""Benchmark: write the large demo data set, then check it.

Usage:  .venv/bin/python bench/bench_demo_check.py [--order-lines 10000000] [--accounts 100000]
                                                   [--format csv|parquet] [--keep DIR]

Each phase runs in its own process so its peak memory (max RSS) is its own. Prints
rows/second per phase and the seconds spent per table during the check, and writes
the figures to bench/out/demo_check.json. Performance is measured here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASE = r"""
import json, sys, time
from pathlib import Path
phase, folder, accounts, lines, fmt = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
out = {"tables": {}}
t0 = time.perf_counter()
if phase == "demo":
    from salesnb.datasets import DemoSpec, write_demo
    out["rows"] = write_demo(folder, DemoSpec(accounts=accounts, order_lines=lines), fmt=fmt, force=True)
else:
    from salesnb.sources import read_dataset
    marks = []
    ds = read_dataset(folder, progress=lambda name: marks.append((name, time.perf_counter())))
    marks.append(("end", time.perf_counter()))
    out["tables"] = {a[0]: round(b[1] - a[1], 2) for a, b in zip(marks, marks[1:])}
    out["rows"] = ds.rows
    out["errors"] = len(ds.errors)
out["seconds"] = time.perf_counter() - t0
out["max_rss_mib"] = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps(out))
"""


def run_phase(phase: str, folder: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        "-c",
        PHASE,
        phase,
        str(folder),
        str(args.accounts),
        str(args.order_lines),
        args.format,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--keep", type=Path, help="write the data set here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="salesnb-bench-")) / "demo"
    t0 = time.perf_counter()
    demo = run_phase("demo", folder, args)
    check = run_phase("check", folder, args)
    size = sum(p.stat().st_size for p in folder.iterdir())
    total_rows = sum(demo["rows"].values())
    result = {
        "order_lines": args.order_lines,
        "accounts": args.accounts,
        "format": args.format,
        "data_set_mib": round(size / 2**20, 1),
        "demo_seconds": round(demo["seconds"], 2),
        "demo_rows_per_second": round(total_rows / demo["seconds"]),
        "demo_order_lines_per_second": round(args.order_lines / demo["seconds"]),
        "demo_max_rss_mib": round(demo["max_rss_mib"]),
        "check_seconds": round(check["seconds"], 2),
        "check_rows_per_second": round(total_rows / check["seconds"]),
        "check_max_rss_mib": round(check["max_rss_mib"]),
        "check_seconds_per_table": check["tables"],
        "check_errors": check["errors"],
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / f"demo_check_{args.format}.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<32} {value}")
    if not args.keep:
        for p in folder.iterdir():
            p.unlink()


if __name__ == "__main__":
    main()
