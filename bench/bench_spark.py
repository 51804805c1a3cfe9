"""Benchmark: the Pareto aggregate on Spark local[2] against DuckDB, and Spark's fixed cost.

Usage:  .venv/bin/python bench/bench_spark.py [--order-lines 2000000] [--repeat 3]

Uses the Parquet demo of bench/bench_pareto.py (bench/out/pareto-N: 100k accounts, N
order lines; written once), and the kit's one definition of the aggregate
(:func:`salesnb.dataset.aggregates.revenue_by`, then :func:`salesnb.pareto.concentration`)
on both engines of the same data set:

  duckdb          the data set as it is (engine: duckdb)
  spark_startup   SparkSession start (local[2], UI off): the JVM and its context
  spark_first     the first aggregate (reading the Parquet footers, code generation)
  spark           the aggregate once warm, median of --repeat
  transpile       sqlglot turning the DuckDB-dialect query into Spark SQL (first time)

Also times the form on DuckDB: the old hand-written query (``?`` parameters,
``GROUP BY ALL``) against the one-definition form (date literals, ordinals) that both
engines run. Writes bench/out/spark-N.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

HAND = (
    "SELECT account_id, round(sum(amount), 2) AS revenue, count(*) AS lines FROM orders "
    "WHERE order_date BETWEEN ? AND ? GROUP BY ALL"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order-lines", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd
    from bench_pareto import OUT, data_folder

    from salesnb import pareto, periods
    from salesnb.dataset import aggregates, load_dataset
    from salesnb.dataset.engines import spark_sql

    folder = data_folder(args.order_lines)
    spark_folder = OUT / f"pareto-{args.order_lines}-spark"
    spark_folder.mkdir(exist_ok=True)
    shutil.copy(folder / "accounts.parquet", spark_folder / "accounts.parquet")
    (spark_folder / "dataset.yml").write_text(
        (folder / "dataset.yml").read_text()
        + "engine: spark\nspark: {master: 'local[2]'}\n"
        + f"tables:\n  orders: {{path: '{(folder / 'orders.parquet').resolve()}', format: parquet}}\n"
    )
    w = periods.window("2026Q3", "ttm")

    def pareto_table(ds):  # noqa: ANN001, ANN202
        return pareto.concentration(aggregates.revenue_by(ds, w.start, w.end)[0])

    duck = load_dataset(folder)
    duck_s = []
    for _ in range(args.repeat):
        duck.engine.cache.clear()  # time the query, not the engine's kept result
        t = time.perf_counter()
        ref = pareto_table(duck)
        duck_s.append(time.perf_counter() - t)

    # the form on DuckDB: old hand-written query against the one definition
    con = duck.engine.con
    hand, neutral = [], []
    neutral_sql = (
        "SELECT account_id, round(sum(amount), 2) AS revenue, count(*) AS lines FROM orders "
        f"WHERE order_date BETWEEN DATE '{w.start.date()}' AND DATE '{w.end.date()}' GROUP BY 1"
    )
    for _ in range(max(args.repeat, 9)):  # ~0.1 s each: more runs, interleaved
        t = time.perf_counter()
        con.execute(HAND, [w.start.date(), w.end.date()]).df()
        hand.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.execute(neutral_sql).df()
        neutral.append(time.perf_counter() - t)

    import sqlglot  # noqa: F401  (its import is not the transpiling)

    t = time.perf_counter()
    spark_sql(neutral_sql)
    transpile = time.perf_counter() - t

    t = time.perf_counter()
    sds = load_dataset(spark_folder)  # counts the orders: starts the session
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    got = pareto_table(sds)
    first = time.perf_counter() - t
    spark_s = []
    for _ in range(args.repeat):
        sds.engine.cache.clear()
        t = time.perf_counter()
        got = pareto_table(sds)
        spark_s.append(time.perf_counter() - t)
    pd.testing.assert_series_equal(ref["account_id"], got["account_id"], check_names=False)
    assert (ref["revenue"] - got["revenue"]).abs().max() < 0.005

    # Spark's fixed cost alone: a fresh process, session start and a trivial query
    import subprocess

    fixed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t = time.perf_counter(); "
            "from salesnb.dataset.engines import _session; "
            "s = _session({'master': 'local[2]'}); s.sql('SELECT 1').collect(); "
            "print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    startup = float(fixed.stdout.strip().splitlines()[-1])
    result = {
        "order_lines": args.order_lines,
        "window": w.label,
        "accounts_ranked": len(ref),
        "duckdb_pareto_seconds_median": round(statistics.median(duck_s), 3),
        "duckdb_hand_sql_seconds_median": round(statistics.median(hand), 3),
        "duckdb_one_definition_sql_seconds_median": round(statistics.median(neutral), 3),
        "ratio_one_definition_to_hand": round(
            statistics.median(neutral) / statistics.median(hand), 2
        ),
        "sqlglot_transpile_ms_first": round(transpile * 1000, 1),
        "spark_startup_seconds_fresh_process": round(startup, 2),
        "spark_load_with_count_seconds": round(load_s, 2),
        "spark_first_pareto_seconds": round(first, 2),
        "spark_pareto_seconds_median": round(statistics.median(spark_s), 3),
        "ratio_spark_to_duckdb_warm": round(
            statistics.median(spark_s) / statistics.median(duck_s), 1
        ),
    }
    sds.engine.session.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / f"spark-{args.order_lines}.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:<42} {value}")


if __name__ == "__main__":
    main()
