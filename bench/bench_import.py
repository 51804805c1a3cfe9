"""Benchmark: import a Salesforce-style opportunity report export of N rows.

Usage:  .venv/bin/python bench/bench_import.py [--rows 1000000]

Writes a report CSV in Salesforce's export layout (quoted cells, "USD 12,345.00"
amounts, US dates, trailing Grand Totals and legal lines), imports it with the
salesforce preset, and prints rows/second and peak memory of the import process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PHASE = r"""
import json, sys, time
from salesnb.crm import import_exports
t0 = time.perf_counter()
report = import_exports([sys.argv[1]], sys.argv[2], source="salesforce", force=True)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": time.perf_counter() - t0, "kept": report.tables["opportunities"]["kept"],
                  "max_rss_mib": peak}))
"""


def write_report(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    stage = rng.choice(["Prospecting", "Proposal/Price Quote", "Closed Won", "Closed Lost"], rows)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, rows), unit="D")
    close = created + pd.to_timedelta(rng.integers(10, 200, rows), unit="D")
    df = pd.DataFrame(
        {
            "Opportunity Owner": rng.choice(["Ann Lee", "Bob Ray", "Chen Wu", "Dana Ito"], rows),
            "Account Name": [f"Account {i % 50_000}, Inc." for i in range(rows)],
            "Opportunity Name": [f"Deal {i}" for i in range(rows)],
            "Opportunity ID": [f"006{i:012d}" for i in range(rows)],
            "Stage": stage,
            "Amount": [f"USD {v:,.2f}" for v in rng.lognormal(9, 1, rows)],
            "Probability (%)": rng.integers(0, 101, rows).astype(str),
            "Close Date": [f"{d.month}/{d.day}/{d.year}" for d in close],
            "Created Date": [f"{d.month}/{d.day}/{d.year}" for d in created],
        }
    )
    df.to_csv(path, index=False, quoting=1)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(
            f'""\n"Grand Totals ({rows} records)"\n""\n"Confidential Information - Do Not Distribute"\n'
            '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="salesnb-bench-import-"))
    src = tmp / "in" / "report.csv"
    src.parent.mkdir()
    write_report(src, args.rows)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PHASE, str(src), str(tmp / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    figures = {
        "rows": args.rows,
        "file_mib": round(src.stat().st_size / 2**20, 1),
        "import_seconds": round(result["seconds"], 2),
        "rows_per_second": round(args.rows / result["seconds"]),
        "kept": result["kept"],
        "max_rss_mib": round(result["max_rss_mib"]),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "import.json").write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:<16} {value}")


if __name__ == "__main__":
    main()
