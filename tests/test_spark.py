"""The Spark engine: every raw-line aggregate equals DuckDB's; dataset.yml's engine keys.

The Spark tests run Spark in local mode (Java 17) on a 60-account Parquet demo, with
one session for the module. pyspark is in the ``test`` extra; without it they skip.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from salesnb import comp, config, habits, pareto, tiering
from salesnb.dataset import aggregates as agg
from salesnb.dataset import deals, load_dataset, read_dataset
from salesnb.dataset.engines import spark_sql
from salesnb.datasets import DemoSpec, write_demo
from salesnb.schema import DataError

HAS_PYSPARK = importlib.util.find_spec("pyspark") is not None
needs_spark = pytest.mark.skipif(
    not HAS_PYSPARK, reason="pyspark is not installed: pip install 'salesnb[spark]' (needs Java 17)"
)

START, END = pd.Timestamp("2025-10-01"), pd.Timestamp("2026-09-30")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "parquet"
    write_demo(folder, DemoSpec(accounts=60), fmt="parquet", force=True)
    return folder


@pytest.fixture(scope="module")
def both(demo: Path, tmp_path_factory: pytest.TempPathFactory):
    """The demo on DuckDB (files in the folder) and on Spark (raw lines in ``tables:``)."""
    if not HAS_PYSPARK:
        pytest.skip("pyspark is not installed: pip install 'salesnb[spark]' (needs Java 17)")
    spark_folder = tmp_path_factory.mktemp("spark") / "data"
    lake = spark_folder.parent / "lake"
    lake.mkdir()
    shutil.copytree(demo, spark_folder)
    for raw in ("orders", "activities"):  # raw lines live elsewhere: a folder of Parquet
        (lake / raw).mkdir()
        (spark_folder / f"{raw}.parquet").rename(lake / raw / "part-0.parquet")
    settings = (demo / "dataset.yml").read_text() if (demo / "dataset.yml").exists() else ""
    (spark_folder / "dataset.yml").write_text(
        settings
        + "engine: spark\n"
        + "spark:\n  master: 'local[2]'\n  conf:\n"  # small data: few partitions, a JVM quick to warm
        + "    spark.sql.shuffle.partitions: 2\n"
        + "    spark.sql.codegen.wholeStage: false\n"
        + "    spark.driver.extraJavaOptions: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'\n"
        + "tables:\n"
        + f"  orders: {{path: '{lake / 'orders'}', format: parquet}}\n"
        + f"  activities: {{path: '{lake / 'activities'}/*.parquet', format: parquet}}\n"
    )
    duck, spark = load_dataset(demo), load_dataset(spark_folder)
    yield duck, spark
    spark.engine.session.stop()


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Same rows (in key order), numbers to the cent."""
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    for col in a.columns:
        if pd.api.types.is_numeric_dtype(a[col]):
            assert (a[col].astype(float) - b[col].astype(float)).abs().max() < 0.005, col
        elif pd.api.types.is_datetime64_any_dtype(a[col]):
            assert (pd.to_datetime(a[col]) == pd.to_datetime(b[col])).all(), col
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col


@needs_spark
def test_spark_data_set_runs_on_spark(both) -> None:
    duck, spark = both
    assert duck.engine.name == "duckdb" and spark.engine.name == "spark"
    assert spark.rows["orders"] == duck.rows["orders"] > 0
    assert spark.rows["activities"] == duck.rows["activities"] > 0
    assert spark.engine.session.sparkContext.appName == "salesnb"
    assert spark.engine.session.conf.get("spark.ui.enabled") == "false"


@needs_spark
@pytest.mark.parametrize(
    "by",
    [
        ("account_id",),
        ("product_id",),
        ("quarter",),
        ("account_id", "quarter"),
        ("account_id", "product_id"),
    ],
)
def test_revenue_by_equals_duckdb(both, by) -> None:
    duck, spark = both
    d, di = agg.revenue_by(duck, START, END, by=by, fiscal_start=4)
    s, si = agg.revenue_by(spark, START, END, by=by, fiscal_start=4)
    _same(d, s, list(by))
    assert di["lines"] == si["lines"] and di["unassigned_lines"] == si["unassigned_lines"]
    assert abs(di["unassigned_revenue"] - si["unassigned_revenue"]) < 0.005


@needs_spark
def test_commission_by_product_equals_duckdb(both) -> None:
    duck, spark = both
    products = duck.table("products")
    lines = {
        ds.engine.name: agg.revenue_by(ds, START, END, by=("account_id", "product_id"))[0]
        for ds in both
    }
    _same(
        pareto.commission_table(lines["duckdb"], products),
        pareto.commission_table(lines["spark"], products),
        ["product_id"],
    )


@needs_spark
def test_activity_aggregates_equal_duckdb(both) -> None:
    duck, spark = both
    _same(
        agg.activity_by_account(duck, START, END),
        agg.activity_by_account(spark, START, END),
        ["account_id"],
    )
    assert agg.activity_coverage(duck, START, END) == agg.activity_coverage(spark, START, END)
    d, s = agg.last_activity(duck), agg.last_activity(spark)
    assert d is not None and s is not None
    pd.testing.assert_series_equal(d.sort_index(), s.sort_index(), check_dtype=False)


@needs_spark
def test_order_aggregates_equal_duckdb(both) -> None:
    duck, spark = both
    dates = [pd.Timestamp("2025-06-30"), END]
    _same(agg.spend_to_date(duck, dates), agg.spend_to_date(spark, dates), ["as_of", "account_id"])
    _same(
        agg.lines_by_account(duck, START, END),
        agg.lines_by_account(spark, START, END),
        ["account_id"],
    )
    assert [pd.Timestamp(v) for v in agg.event_span(duck, "orders", "order_date")] == [
        pd.Timestamp(v) for v in agg.event_span(spark, "orders", "order_date")
    ]
    for table in ("orders", "opportunities"):
        assert agg.prior_spend_coverage(duck, table, START) == agg.prior_spend_coverage(
            spark, table, START
        )
    counts = {
        ds.engine.name: agg.revenue_line_counts(
            ds.sql,
            table="orders",
            date="order_date",
            columns=ds.columns("orders"),
            won_only=False,
            start=START,
            end=END,
        )
        for ds in both
    }
    assert counts["duckdb"].keys() == counts["spark"].keys()
    for key, value in counts["duckdb"].items():
        assert abs(value - counts["spark"][key]) < 0.005, key


@needs_spark
def test_deal_aggregates_equal_duckdb(both) -> None:
    """The habits' aggregates over opportunities (outcomes read from stages in SQL too)."""
    got = {}
    for ds in both:
        rel = deals.deals(ds.columns("opportunities"))
        closed = deals.where(rel, deals.closed_between(START, END, ("won", *deals.LOSSES)))
        won = deals.where(rel, deals.closed_between(START, END, ("won",)))
        got[ds.engine.name] = {
            "winbacks": deals.winbacks(ds.sql, rel, end=END, owner=True),
            "month_end": deals.month_end(ds.sql, won, deals.where(rel, deals.planned_by(END))),
            "early_failure": deals.early_failure(ds.sql, closed, owner=True)[0],
            "cycle_by_quarter": deals.cycle_by_quarter(
                ds.sql, won, ["2025Q4", "2026Q1", "2026Q2", "2026Q3"], fiscal_start=1
            ),
            "by_source": deals.by_source(ds.sql, closed),
        }
    for name, table in got["duckdb"].items():
        assert len(table) > 0, name
        pd.testing.assert_frame_equal(
            table, got["spark"][name], check_dtype=False, atol=1e-9, obj=name
        )
    assert got["duckdb"]["winbacks"]["came_back"].any()


@needs_spark
def test_cases_by_account_equals_duckdb(both) -> None:
    got = [agg.cases_by_account(ds.sql, agg.cases_opened(START, END)) for ds in both]
    assert got[0]["cases"].sum() > 0
    _same(got[0], got[1], ["account_id"])


@needs_spark
def test_outcomes_from_stages_on_spark(both) -> None:
    """Spark reads outcomes from stage names as DuckDB does (its RLIKE is Java's regex)."""
    from salesnb.analysis import with_outcomes
    from salesnb.dataset.engines import SparkEngine

    _, spark = both
    opps = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
            "stage": ["closed_won", "closed_lost", "no_decision", "negotiation", None, "lost"],
            "outcome": [None, None, None, None, None, "won"],
        }
    )
    engine = SparkEngine(spark.engine.settings, {}, {}, {"opportunities": opps})
    engine._spark = spark.engine.session.newSession()  # its own temporary views
    got = engine.sql(f"SELECT * FROM {deals.deals(list(opps.columns))} AS d ORDER BY 1")
    assert got["outcome"].tolist() == with_outcomes(opps)[0]["outcome"].tolist()
    assert got["outcome"].tolist() == ["won", "lost", "no_decision", "open", "open", "won"]


@needs_spark
def test_methodologies_agree_on_spark(both) -> None:
    """Pareto, tiering, comp and habits over Spark: the same tables as over DuckDB."""
    duck, spark = both
    for module in (pareto, tiering, comp, habits):
        d = module.analyze(duck, module.Params(quarter="2026Q3"))
        s = module.analyze(spark, module.Params(quarter="2026Q3"))
        assert d.tables.keys() == s.tables.keys(), module.__name__
        for name, table in d.tables.items():
            if isinstance(table, pd.DataFrame):
                pd.testing.assert_frame_equal(
                    table.reset_index(drop=True),
                    s.tables[name].reset_index(drop=True),
                    check_dtype=False,
                    atol=0.005,
                    obj=f"{module.__name__} {name}",
                )


@needs_spark
def test_wrong_spark_path_is_a_located_problem(demo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(demo, folder)
    (folder / "orders.parquet").unlink()
    (folder / "dataset.yml").write_text(
        f"engine: spark\ntables:\n  orders: {{path: '{tmp_path / 'nowhere'}', format: parquet}}\n"
    )
    ds = read_dataset(folder)
    problems = [p for p in ds.errors if "tables.orders" in p.problem]
    assert problems and "Spark cannot read" in problems[0].problem


@needs_spark
def test_local_csv_raw_lines_are_not_guessed_by_spark(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write_demo(folder, DemoSpec(accounts=10), force=True)  # CSV
    (folder / "dataset.yml").write_text("engine: spark\n")
    ds = load_dataset(folder)
    with pytest.raises(DataError, match="convert it to orders.parquet"):
        agg.revenue_by(ds, START, END)


def test_queries_transpile_to_spark_sql() -> None:
    q = "SELECT count(*) FILTER (WHERE d BETWEEN DATE '2025-01-01' AND DATE '2025-03-31') AS n FROM orders"
    assert spark_sql(q) == (
        "SELECT COUNT(*) FILTER(WHERE d BETWEEN CAST('2025-01-01' AS DATE) AND "
        "CAST('2025-03-31' AS DATE)) AS n FROM orders"
    )


def test_engine_spark_without_pyspark_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # find_spec: not installed
    path = tmp_path / "dataset.yml"
    path.write_text("currency: EUR\nengine: spark\n")
    with pytest.raises(DataError) as err:
        config.read_dataset_settings(path)
    assert str(err.value) == (
        "dataset.yml line 2: engine: spark needs pyspark, which is not installed. "
        "Fix: pip install 'salesnb[spark]' (or conda install pyspark), or write engine: duckdb"
    )


def test_cli_engine_spark_without_pyspark_exits_cleanly(tmp_path: Path) -> None:
    """The command line: a one-line error naming the extra, exit code non-zero, no traceback."""
    import os
    import subprocess

    folder = tmp_path / "data"
    write_demo(folder, DemoSpec(accounts=10), force=True)
    (folder / "dataset.yml").write_text("engine: spark\n")
    blocker = tmp_path / "block"  # a Python without pyspark: sys.modules says it is absent
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['pyspark'] = None\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    done = subprocess.run(
        [sys.executable, "-c", "from salesnb.cli import main; main()", "check", str(folder)],
        capture_output=True,
        text=True,
        env=env,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "pip install 'salesnb[spark]'" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "engine: flink\n",
            "line 1: setting 'engine' must be one of duckdb, spark, got the text 'flink'",
        ),
        (
            "spark: {master: 'local[2]'}\n",
            "line 1: setting 'spark' is read by the Spark engine only",
        ),
        (
            "engine: spark\nspark: {master: 'moon://x'}\n",
            "line 2: spark.master must be a Spark master (local[2], spark://host:7077, yarn or "
            "k8s://https://host:443), got the text 'moon://x'",
        ),
        (
            "engine: spark\nspark:\n  conf: {spark.jars.packages: 'io.delta:delta-spark_2.13:4.0.0'}\n",
            "line 3: spark.conf.spark.jars.packages: the kit never downloads packages",
        ),
        (
            "engine: spark\nspark: {conf: {executor.memory: 4g}}\n",
            "line 2: spark.conf.executor.memory must be a Spark setting name (spark....)",
        ),
        (
            "engine: spark\ntables:\n  accounts: {path: /x, format: parquet}\n",
            "line 3: tables.accounts must be a raw-line table (orders or activities)",
        ),
        (
            "engine: spark\ntables:\n  orders: {path: /x}\n",
            "line 3: tables.orders needs the format of its files. Fix: add 'format: parquet'",
        ),
        (
            "engine: spark\ntables:\n  orders: {path: /x, format: avro}\n",
            "line 3: tables.orders.format must be one of parquet, csv, delta, orc, json",
        ),
        (
            "engine: spark\ntables:\n  orders: {path: /x, table: db.orders, format: csv}\n",
            "line 3: tables.orders needs either path (with format) or table, not both",
        ),
        (
            "engine: spark\ntables:\n  orders: {format: csv}\n",
            "line 3: tables.orders needs either path (with format) or table, not neither",
        ),
        (
            "engine: spark\ntables:\n  activities: {table: db.acts, format: delta}\n",
            "line 3: tables.activities: format and options describe files, not a catalog table",
        ),
        (
            "engine: spark\ntables:\n  orders: {table: 'drop table x'}\n",
            "line 3: tables.orders.table must be a catalog table name (db.name)",
        ),
        (
            "engine: spark\ntables:\n  orders: {path: /x, format: parquet, colour: red}\n",
            "line 3: tables.orders: unknown table setting(s) colour; known table settings: path, "
            "format, table, options",
        ),
        (
            "tables: {orders: {table: db.o}}\n",
            "line 1: setting 'tables' is read by the Spark engine only",
        ),
    ],
)
def test_dataset_yml_engine_keys_named(
    tmp_path: Path, monkeypatch, text: str, message: str
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(  # the messages do not depend on pyspark being installed
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "pyspark" else real(name, *a),
    )
    path = tmp_path / "dataset.yml"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        config.read_dataset_settings(path)
    assert message in str(err.value)


def test_dataset_yml_engine_keys_typed(tmp_path: Path, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "pyspark" else real(name, *a),
    )
    path = tmp_path / "dataset.yml"
    path.write_text(
        "engine: Spark\n"
        "spark:\n  master: yarn\n  conf: {spark.executor.memory: 4g, spark.sql.adaptive.enabled: yes}\n"
        "tables:\n"
        "  orders: {path: 's3a://bucket/orders/', format: Delta}\n"
        "  activities: {table: crm.activities}\n"
    )
    assert config.read_dataset_settings(path) == {
        "engine": "spark",
        "spark": {
            "master": "yarn",
            "conf": {"spark.executor.memory": "4g", "spark.sql.adaptive.enabled": True},
        },
        "tables": {
            "orders": {"path": "s3a://bucket/orders/", "format": "delta"},
            "activities": {"table": "crm.activities"},
        },
    }
