"""Benchmark: the kit's Pareto computation against a plain DuckDB query on the same Parquet file.

Usage:  .venv/bin/python bench/bench_pareto.py [--order-lines 10000000] [--repeat 3]

Writes (once, then reuses) a Parquet demo with 100k accounts and N order lines in
bench/out/ (or takes the orders of bench_100m.py's full demo, bench/out/full-N-parquet,
when it is there), keeps only accounts + orders for the run, and times in ONE process:
  kit    salesnb.sources.revenue_by (DuckDB group-by straight from the file) + pareto.concentration
  plain  one DuckDB SQL query: group-by, sort, cumulative share
Peak memory is measured in separate processes for: the kit path, the plain query, and
loading the orders table into pandas (what the kit avoids; only up to --pandas-up-to
lines, 20M by default: 100M lines would need some 10 GB). Median of --repeat runs; the
engine's kept results are dropped before each kit run, so the query itself is timed.
Figures go to bench/out/pareto.json (and pareto-N.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"

PLAIN = """
WITH r AS (
  SELECT account_id, round(sum(amount), 2) AS revenue FROM read_parquet('{path}')
  WHERE order_date BETWEEN DATE '{start}' AND DATE '{end}' AND account_id IS NOT NULL
  GROUP BY 1 HAVING sum(amount) > 0)
SELECT account_id, revenue, revenue / sum(revenue) OVER () AS share,
       sum(revenue) OVER (ORDER BY revenue DESC, account_id ROWS UNBOUNDED PRECEDING)
         / sum(revenue) OVER () AS cum_share
FROM r ORDER BY revenue DESC, account_id
"""

PEAK = r"""
import sys, pandas as pd
mode, folder, start, end = sys.argv[1:5]
def hwm():  # VmHWM: this address space's peak (ru_maxrss would carry the parent's across exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
if mode == "kit":
    from salesnb import pareto, sources
    ds = sources.load_dataset(folder)
    print("load", hwm())
    with open("/proc/self/clear_refs", "w") as f:  # the peak from here on: the aggregate's own
        f.write("5")
    rev, _ = sources.revenue_by(ds, pd.Timestamp(start), pd.Timestamp(end))
    pareto.concentration(rev)
elif mode == "plain":
    from salesnb.sources import connect
    connect().execute(sys.argv[5]).df()
else:
    pd.read_parquet(folder + "/orders.parquet")
print(hwm())
"""


def data_folder(lines: int) -> Path:
    from salesnb.datasets import DemoSpec, write_demo

    full = OUT / f"full-{lines}-parquet"  # bench_100m.py's demo: the same accounts and orders
    if not (full / "orders.parquet").exists():
        full = OUT / f"demo-{lines}-parquet"
    if not (full / "orders.parquet").exists():
        write_demo(
            full,
            DemoSpec(accounts=100_000, order_lines=lines, activity_lines=0),
            fmt="parquet",
            force=True,
        )
    slim = OUT / f"pareto-{lines}"
    slim.mkdir(parents=True, exist_ok=True)
    for name in ("accounts.parquet", "orders.parquet", "dataset.yml"):
        if not (slim / name).exists():
            try:  # a second name for the same bytes: a 100M-line file is not copied
                os.link(full / name, slim / name)
            except OSError:
                shutil.copy(full / name, slim / name)
    return slim


def measure(lines: int, *, repeat: int = 3, pandas_up_to: int = 20_000_000) -> dict:
    """Time the kit's Pareto table against the plain query on N order lines; peaks per process."""
    import pandas as pd

    from salesnb import pareto, periods, sources

    folder = data_folder(lines)
    w = periods.window("2026Q3", "ttm")
    t0 = time.perf_counter()
    ds = sources.load_dataset(folder)
    load_s = time.perf_counter() - t0
    query = PLAIN.format(path=folder / "orders.parquet", start=w.start.date(), end=w.end.date())
    con = sources.connect()
    kit, plain = [], []
    for _ in range(repeat):
        ds.engine.cache.clear()  # time the query, not the engine's kept result
        t = time.perf_counter()
        rev, _ = sources.revenue_by(ds, w.start, w.end)
        table = pareto.concentration(rev)
        kit.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = con.execute(query).df()
        plain.append(time.perf_counter() - t)
    assert (
        len(ref) == len(table)
        and abs(ref["cum_share"].iloc[-1] - table["cum_share"].iloc[-1]) < 1e-9
    )
    pd.testing.assert_series_equal(ref["account_id"], table["account_id"], check_names=False)
    peaks: dict[str, int | None] = {}
    for mode in ("kit", "plain", "pandas"):
        if mode == "pandas" and lines > pandas_up_to:
            peaks[mode] = None
            continue
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                PEAK,
                mode,
                str(folder),
                str(w.start.date()),
                str(w.end.date()),
                query,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        lines_out = done.stdout.strip().splitlines()
        peaks[mode] = round(float(lines_out[-1]))
        if mode == "kit":
            peaks["load"] = round(float(lines_out[0].split()[1]))
    return {
        "order_lines": lines,
        "window": w.label,
        "accounts_ranked": len(table),
        "load_and_check_seconds": round(load_s, 2),
        "kit_seconds_median": round(statistics.median(kit), 3),
        "plain_duckdb_seconds_median": round(statistics.median(plain), 3),
        "ratio_kit_to_plain": round(statistics.median(kit) / statistics.median(plain), 2),
        "peak_rss_mib_kit": peaks["kit"],  # the aggregate, from a process holding the data set
        "peak_rss_mib_kit_load_and_check": peaks["load"],
        "peak_rss_mib_plain_duckdb": peaks["plain"],
        "peak_rss_mib_pandas_read_orders": peaks["pandas"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandas-up-to", type=int, default=20_000_000)
    args = parser.parse_args()
    result = measure(args.order_lines, repeat=args.repeat, pandas_up_to=args.pandas_up_to)
    OUT.mkdir(exist_ok=True)
    (OUT / "pareto.json").write_text(json.dumps(result, indent=2))
    (OUT / f"pareto-{args.order_lines}.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<34} {value}")


if __name__ == "__main__":
    main()
