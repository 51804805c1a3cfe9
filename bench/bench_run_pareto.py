"""Benchmark: `salesnb run pareto` as a whole process against a plain DuckDB script.

Usage:  .venv/bin/python bench/bench_run_pareto.py [--order-lines 10000000] [--repeat 1]

Uses the Parquet demo of bench_pareto.py (100k accounts, N order lines; accounts and
orders only, written once into bench/out/). Times, each as its own process:
  kit    `salesnb run pareto --data DIR --quarter 2026Q3 --out TMP` (check, kernel, every
         section of the notebook, HTML and PDF), with the phases it prints
  plain  a Python script with DuckDB and matplotlib computing the same Pareto table (revenue
         per account over the TTM window, cumulative share) and drawing its chart to PNG
Reports wall seconds, the ratio, and peak memory (/usr/bin/time's maximum resident set).
Figures go to bench/out/run_pareto.json. Performance is measured here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_pareto import OUT, PLAIN, data_folder  # noqa: E402
from bench_scale import phases, timed  # noqa: E402

SALESNB = str(Path(sys.executable).with_name("salesnb"))

SCRIPT = r"""
import sys, duckdb, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
query, png, csv = sys.argv[1:4]
table = duckdb.connect().execute(query).df()
table.to_csv(csv, index=False)
# the kit's Pareto chart: the top accounts as bars, the cumulative share as a line, the cut-off
fig, ax = plt.subplots(figsize=(7, 3.5))
top = table.head(20)
ax.bar(range(len(top)), top["revenue"])
ax2 = ax.twinx()
ax2.plot([i / len(table) * len(top) for i in range(len(table))], table["cum_share"], color="black")
ax2.axhline(0.8, linestyle="--")
fig.savefig(png, dpi=120)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from salesnb import periods

    folder = data_folder(args.order_lines)
    w = periods.window("2026Q3", "ttm")
    query = PLAIN.format(path=folder / "orders.parquet", start=w.start.date(), end=w.end.date())
    kit, plain, kit_peak, plain_peak, kit_phases = [], [], 0, 0, {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            run = [SALESNB, "run", "pareto", "--data", str(folder), "--quarter", "2026Q3"]
            seconds, stdout, peak = timed([*run, "--out", str(Path(tmp) / "out")])
            kit.append(seconds)
            kit_peak = max(kit_peak, peak)
            kit_phases = phases(stdout)
            script = [sys.executable, "-c", SCRIPT, query, f"{tmp}/p.png", f"{tmp}/p.csv"]
            seconds, _, peak = timed(script)
            plain.append(seconds)
            plain_peak = max(plain_peak, peak)
    result = {
        "order_lines": args.order_lines,
        "kit_run_seconds": round(statistics.median(kit), 2),
        "plain_script_seconds": round(statistics.median(plain), 2),
        "ratio": round(statistics.median(kit) / statistics.median(plain), 1),
        "kit_peak_mib": kit_peak,
        "plain_peak_mib": plain_peak,
        "kit_phases": kit_phases,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "run_pareto.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<22} {value}")


if __name__ == "__main__":
    main()
