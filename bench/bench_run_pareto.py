"""Benchmark: `salesnb run pareto` as a whole process against a plain DuckDB script.

Usage:  .venv/bin/python bench/bench_run_pareto.py [--order-lines 10000000] [--repeat 1] [--full]

Uses the Parquet demo of bench_pareto.py (100k accounts, N order lines; accounts and
orders only, written once into bench/out/), or with --full the whole demo of
bench_100m.py (bench/out/full-N-parquet: every table, N/5 activity lines). Times, each as
its own process:
  kit    `salesnb run pareto --data DIR --quarter 2026Q3 --out TMP` (check, kernel, every
         section of the notebook, HTML and PDF), with the phases it prints
  plain  a Python script with DuckDB and matplotlib computing the same Pareto table (revenue
         per account over the TTM window, cumulative share) and drawing its chart to PNG
Reports wall seconds, the ratio, and peak memory: the largest process's (VmHWM, what
/usr/bin/time reports) and the whole process tree's (the kernel is a child process;
bench/proctree.py). Figures go to bench/out/run_pareto.json (run_pareto-N[-full].json).
Performance is measured here, never in tests.
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
from bench_scale import phases  # noqa: E402
from proctree import measure as measure_tree  # noqa: E402

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


def measure(folder: Path, *, repeat: int = 1) -> dict:
    """`salesnb run pareto` on ``folder`` against the plain script, each as its own process."""
    from salesnb import periods

    w = periods.window("2026Q3", "ttm")
    query = PLAIN.format(path=folder / "orders.parquet", start=w.start.date(), end=w.end.date())
    kit, plain, kit_phases = [], [], {}
    peaks = dict.fromkeys(("kit", "kit_tree_rss", "kit_tree_pss", "plain"), 0)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            run = [SALESNB, "run", "pareto", "--data", str(folder), "--quarter", "2026Q3"]
            m = _ok(measure_tree([*run, "--out", str(Path(tmp) / "out")]))
            kit.append(m.seconds)
            peaks["kit"] = max(peaks["kit"], m.largest_hwm_mib)
            peaks["kit_tree_rss"] = max(peaks["kit_tree_rss"], m.tree_rss_peak_mib)
            peaks["kit_tree_pss"] = max(peaks["kit_tree_pss"], m.tree_pss_peak_mib or 0)
            kit_phases = phases(m.stdout)
            script = [sys.executable, "-c", SCRIPT, query, f"{tmp}/p.png", f"{tmp}/p.csv"]
            m = _ok(measure_tree(script))
            plain.append(m.seconds)
            peaks["plain"] = max(peaks["plain"], m.largest_hwm_mib)
    return {
        "order_lines": _lines(folder),
        "data": str(folder),
        "kit_run_seconds": round(statistics.median(kit), 2),
        "plain_script_seconds": round(statistics.median(plain), 2),
        "ratio": round(statistics.median(kit) / statistics.median(plain), 1),
        "kit_peak_mib": peaks["kit"],
        "kit_tree_peak_rss_mib": peaks["kit_tree_rss"],
        "kit_tree_peak_pss_mib": peaks["kit_tree_pss"] or None,
        "plain_peak_mib": peaks["plain"],
        "kit_phases": kit_phases,
    }


def _ok(m):  # noqa: ANN001, ANN202 - a proctree.Measured
    if m.returncode != 0:
        raise SystemExit(f"{' '.join(m.args)} failed:\n{m.stdout}\n{m.stderr}")
    return m


def _lines(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "orders.parquet").metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="the whole demo of bench_100m.py")
    args = parser.parse_args()
    if args.full:
        from bench_100m import data_folder as full_folder

        folder = full_folder(args.order_lines)
    else:
        folder = data_folder(args.order_lines)
    result = measure(folder, repeat=args.repeat)
    OUT.mkdir(exist_ok=True)
    (OUT / "run_pareto.json").write_text(json.dumps(result, indent=2))
    name = f"run_pareto-{args.order_lines}{'-full' if args.full else ''}.json"
    (OUT / name).write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<24} {value}")


if __name__ == "__main__":
    main()
