"""salesnb.datasets: determinism, scale in chunks, and the realism trainers rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, tree_digest

from salesnb import datasets
from salesnb.datasets import DemoSpec, make_demo, write_demo
from salesnb.schema import UsageError


def test_same_seed_same_bytes(tmp_path, demo_dir):
    write_demo(tmp_path / "again")
    assert tree_digest(tmp_path / "again") == tree_digest(demo_dir)


def test_other_seed_other_data():
    a, _ = make_demo(DemoSpec(seed=1, accounts=50))
    b, _ = make_demo(DemoSpec(seed=2, accounts=50))
    assert not a["accounts"].equals(b["accounts"])


def test_bundled_demo_matches_the_generator(demo_dir):
    bundled = ROOT / "data" / "demo"
    assert tree_digest(bundled) == tree_digest(demo_dir), (
        "run 'make demo-data' and commit data/demo"
    )


def test_parquet_format(tmp_path):
    rows = write_demo(tmp_path / "p", DemoSpec(accounts=20, order_lines=300), fmt="parquet")
    assert rows["orders"] == 300
    assert pd.read_parquet(tmp_path / "p" / "orders.parquet").shape[0] == 300


def test_chunked_raw_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "CHUNK_LINES", 1_000)
    rows = write_demo(
        tmp_path / "c", DemoSpec(accounts=30, order_lines=3_500, activity_lines=2_100)
    )
    assert rows["orders"] == 3_500 and rows["activities"] == 2_100
    orders = pd.read_csv(tmp_path / "c" / "orders.csv", dtype={"order_id": str})
    assert orders["order_id"].is_unique and len(orders) == 3_500
    assert orders["order_id"].iloc[0] == "OL0000001" and orders["order_id"].iloc[-1] == "OL0003500"


def test_refuses_to_overwrite_a_non_empty_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not empty"):
        write_demo(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_too_few_accounts_is_a_usage_error():
    with pytest.raises(UsageError):
        DemoSpec(accounts=3)


@pytest.fixture(scope="module")
def demo_tables(demo_dir):
    return {p.stem: pd.read_csv(p) for p in demo_dir.glob("*.csv")}


def _top_share(values: pd.Series, p: float) -> float:
    v = values[values > 0].sort_values(ascending=False)
    return v.iloc[: int(np.ceil(p * len(v)))].sum() / v.sum()


def test_revenue_is_heavy_tailed_but_not_exactly_80_20(demo_tables):
    orders = demo_tables["orders"]
    ttm = orders[orders["order_date"] >= "2025-10-01"].groupby("account_id")["amount"].sum()
    top20 = _top_share(ttm, 0.2)
    assert 0.65 < top20 < 0.9 and abs(top20 - 0.8) > 0.002
    assert _top_share(ttm, 0.04) < 0.64  # the fractal level falls short of theory
    assert (orders["amount"] < 0).any()  # credit lines exist


def test_firmographics_span_micro_to_global(demo_tables):
    acc = demo_tables["accounts"]
    assert acc["employees"].min() <= 2 and acc["employees"].max() >= 20_000
    assert 0 < acc["is_global"].sum() < len(acc) * 0.1
    assert acc["website_score"].isna().any()  # unknown boxes exist


def test_deals_cover_outcomes_with_realistic_no_decision(demo_tables):
    opp = demo_tables["opportunities"]
    closed = opp[opp["outcome"] != "open"]
    share = (closed["outcome"] == "no_decision").mean()
    assert 0.18 < share < 0.32
    open_ = opp[opp["outcome"] == "open"]
    assert open_["amount"].isna().any() and open_["close_date"].isna().any()
    assert opp["account_id"].isna().any()  # prospects without an account
    assert set(opp["stage"]) >= {
        "Qualify",
        "Discover",
        "Propose",
        "Negotiate",
        "Closed Won",
        "Closed Lost",
    }


def test_contacts_are_thin_at_many_accounts(demo_tables):
    per = (
        demo_tables["contacts"]
        .groupby("account_id")
        .size()
        .reindex(demo_tables["accounts"]["account_id"], fill_value=0)
    )
    assert 0.2 < (per < 5).mean() < 0.8 and (per >= 10).any()


def test_complaints_are_concentrated(demo_tables):
    per = demo_tables["cases"].groupby("account_id").size()
    assert _top_share(per, 0.2) > 0.5


def test_commission_rates_differ_and_quotas_cover_every_rep_quarter(demo_tables):
    assert demo_tables["products"]["commission_rate"].nunique() > 5
    quotas = demo_tables["quotas"]
    assert len(quotas) == quotas["owner"].nunique() * 8 and (quotas["quota"] > 0).all()
    assert demo_tables["experts"]["unavailable_dates"].str.contains(";").all()


def test_load_demo_reads_the_bundled_data_set():
    ds = datasets.load_demo()
    assert ds.path == datasets.demo_path() and ds.errors == []
    assert len(ds.table("accounts")) == 500 and ds.raw["orders"].rows == 25_000
