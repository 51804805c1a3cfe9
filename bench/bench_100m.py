"""Benchmark: the kit on 100 million order lines, on one machine.

Usage:  .venv/bin/python bench/bench_100m.py [--lines 100000000] [--accounts 100000]
                                             [--jobs 2] [--skip PHASE ...] [--repeat 3]

Writes once (then reuses) the full Parquet demo in bench/out/full-N-parquet: N order lines,
N/5 activity lines, --accounts accounts with every small table (`salesnb demo`, raw lines
written in chunks), and keeps the generator's figures beside it (full-N-parquet.demo.json).
Then measures, each phase as its own process tree (bench/proctree.py: the notebook kernels
and the review's workers are child processes, so the tree's memory is their sum):

  demo     `salesnb demo ...` (the first time only; later runs report the stored figures)
  check    `salesnb check DIR`
  pareto   the Pareto aggregation in one process, kit against one plain DuckDB query
           (bench_pareto.measure: accounts + orders of the same demo; its peaks per process)
  run      `salesnb run pareto` against a plain DuckDB + matplotlib script computing the same
           table and chart (bench_run_pareto.measure, on the full demo)
  review   `salesnb review --jobs J` (every notebook, summary PDFs, history)

For each: wall seconds; the largest process's peak (VmHWM, what /usr/bin/time reports); the
tree's peak as the largest sum of RSS and of PSS seen at one moment (sampled every 0.2 s);
and the sum of every process's own VmHWM (an upper bound: as if all peaked together).
Targets checked: review under 4 GiB for the whole tree, run pareto at most 2x the plain
script, the aggregation within 1.2x of plain DuckDB. Writes bench/out/100m-N.json and
prints a table. Performance is measured here, never in tests. The machine's other jobs
inflate wall times: run it on a quiet machine, or read the ratios with that in mind.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from bench_pareto import OUT  # noqa: E402
from bench_scale import phases  # noqa: E402
from proctree import Measured, measure  # noqa: E402

SALESNB = str(Path(sys.executable).with_name("salesnb"))
GIB = 1024  # MiB
PHASES = ("check", "pareto", "run", "review")


def data_folder(lines: int, accounts: int = 100_000) -> Path:
    """The full demo with ``lines`` order lines (written once, with its generation figures)."""
    folder = OUT / f"full-{lines}-parquet"
    figures = folder.with_name(folder.name + ".demo.json")
    if not ((folder / "dataset.yml").exists() and figures.exists()):
        OUT.mkdir(exist_ok=True)
        cmd = [SALESNB, "demo", "--out", str(folder), "--accounts", str(accounts)]
        cmd += ["--order-lines", str(lines), "--activity-lines", str(lines // 5)]
        cmd += ["--format", "parquet", "--force"]
        print(f"writing the demo: {' '.join(cmd[1:])}", flush=True)
        m = _ok(measure(cmd))
        figures.write_text(json.dumps({**_row(m), "accounts": accounts}, indent=2))
    return folder


def _ok(m: Measured) -> Measured:
    if m.returncode != 0:
        raise SystemExit(f"{' '.join(m.args)} failed ({m.returncode}):\n{m.stdout}\n{m.stderr}")
    return m


def _row(m: Measured) -> dict:
    return {
        "seconds": m.seconds,
        "largest_process_mib": m.largest_hwm_mib,
        "tree_rss_peak_mib": m.tree_rss_peak_mib,
        "tree_pss_peak_mib": m.tree_pss_peak_mib,
        "tree_hwm_sum_mib": m.tree_hwm_sum_mib,
        "processes": m.processes,
    }


def _sizes(folder: Path) -> dict:
    import pyarrow.parquet as pq

    tables = {}
    for path in sorted(folder.glob("*.parquet")):
        tables[path.stem] = {
            "rows": pq.ParquetFile(path).metadata.num_rows,
            "mib": round(path.stat().st_size / 2**20, 1),
        }
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"tables": tables, "total_mib": round(total / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000_000, help="order lines")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the in-process aggregate")
    parser.add_argument("--skip", nargs="*", default=[], choices=PHASES)
    args = parser.parse_args()
    import bench_pareto
    import bench_run_pareto

    t0 = time.perf_counter()
    folder = data_folder(args.lines, args.accounts)
    demo = json.loads(folder.with_name(folder.name + ".demo.json").read_text())
    result: dict = {"order_lines": args.lines, "data": str(folder), "size": _sizes(folder)}
    result["demo"] = demo
    if "check" not in args.skip:
        print("check ...", flush=True)
        result["check"] = _row(_ok(measure([SALESNB, "check", str(folder)])))
    if "pareto" not in args.skip:
        print("pareto aggregation, kit against plain DuckDB ...", flush=True)
        result["pareto"] = bench_pareto.measure(args.lines, repeat=args.repeat)
    if "run" not in args.skip:
        print("salesnb run pareto against the plain script ...", flush=True)
        result["run"] = bench_run_pareto.measure(folder)
    if "review" not in args.skip:
        print(f"salesnb review --jobs {args.jobs} ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "review"
            cmd = [SALESNB, "review", "--data", str(folder), "--quarter", "2026Q3"]
            cmd += ["--jobs", str(args.jobs), "--out", str(out)]
            cmd += ["--history", str(Path(tmp) / "h.duckdb")]
            m = measure(cmd)
            result["review"] = {**_row(m), "exit": m.returncode, "phases": phases(m.stdout)}
            if m.returncode != 0:
                result["review"]["output"] = (m.stdout + m.stderr)[-4000:]
            shutil.rmtree(out, ignore_errors=True)
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    result["targets"] = _targets(result)
    OUT.mkdir(exist_ok=True)
    (OUT / f"100m-{args.lines}.json").write_text(json.dumps(result, indent=2))
    _print(result)


def _targets(r: dict) -> dict:
    t: dict = {}
    if "review" in r:
        tree = r["review"]["tree_pss_peak_mib"] or r["review"]["tree_rss_peak_mib"]
        t["review_tree_under_4_gib"] = r["review"]["exit"] == 0 and tree < 4 * GIB
        t["review_hwm_sum_under_4_gib"] = r["review"]["tree_hwm_sum_mib"] < 4 * GIB
    if "run" in r:
        t["run_pareto_at_most_2x_plain"] = r["run"]["ratio"] <= 2
    if "pareto" in r:
        t["aggregation_within_1.2x_plain"] = r["pareto"]["ratio_kit_to_plain"] <= 1.2
    return t


def _print(r: dict) -> None:
    size = r["size"]
    print(f"\ndata set {r['data']}: {size['total_mib']:,} MiB on disk")
    for name, t in size["tables"].items():
        print(f"  {name:<15} {t['rows']:>13,} rows {t['mib']:>9,} MiB")
    head = (
        f"{'phase':<24} {'wall s':>8} {'largest':>8} {'tree RSS':>9} {'tree PSS':>9} {'sum HWM':>8}"
    )
    print(f"\n{head}\n{'':<24} {'':>8} {'MiB':>8} {'MiB':>9} {'MiB':>9} {'MiB':>8}")
    for key, label in (("demo", "demo (generate)"), ("check", "check"), ("review", "review")):
        if key in r:
            x = r[key]
            print(
                f"{label:<24} {x['seconds']:>8.1f} {x['largest_process_mib']:>8} "
                f"{x['tree_rss_peak_mib']:>9} {x['tree_pss_peak_mib'] or '-':>9} "
                f"{x['tree_hwm_sum_mib']:>8}"
            )
    if "run" in r:
        x = r["run"]
        print(
            f"{'run pareto':<24} {x['kit_run_seconds']:>8.1f} {x['kit_peak_mib']:>8} "
            f"{x['kit_tree_peak_rss_mib']:>9} {x['kit_tree_peak_pss_mib'] or '-':>9} {'':>8}"
        )
        print(
            f"{'plain DuckDB script':<24} {x['plain_script_seconds']:>8.1f} {x['plain_peak_mib']:>8}"
        )
        print(f"  ratio run / plain: {x['ratio']}")
    if "pareto" in r:
        x = r["pareto"]
        print(
            f"\nPareto aggregation ({x['window']}): kit {x['kit_seconds_median']} s "
            f"(peak {x['peak_rss_mib_kit']} MiB), plain DuckDB {x['plain_duckdb_seconds_median']} s "
            f"(peak {x['peak_rss_mib_plain_duckdb']} MiB): ratio {x['ratio_kit_to_plain']}"
        )
    if "review" in r and r["review"]["exit"] != 0:
        print(f"\nreview FAILED (exit {r['review']['exit']}):\n{r['review'].get('output', '')}")
    print("\ntargets: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in r["targets"].items()))


if __name__ == "__main__":
    main()
