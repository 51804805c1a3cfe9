"""salesnb import: CRM export layouts, mapping-file features, and bad exports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_digest

from salesnb import crm, sources
from salesnb.schema import DataError, UsageError

SF_REPORT = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Probability (%)",'
    '"Close Date","Created Date"\n'
    '"Ann Lee","Acme, Inc.","Acme renewal","Closed Won","USD 12,345.00","100","11/23/2026","9/1/2026"\n'
    '"Bob Ray","Globex","Globex new","Prospecting","$1,200.50","10","1/15/2027","10/2/2026"\n'
    '"Bob Ray","Initech","Initech","Closed Lost","USD 0.00","0","10/30/2026","8/2/2026"\n'
    '""\n"Grand Totals (3 records)","","","","USD 13,545.50","","",""\n""\n'
    '"Confidential Information - Do Not Distribute"\n'
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
)
HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,Associated Company IDs\n"
    "101,Big deal,closedwon,5000,2026-08-01 10:00,2026-06-01 09:30,Ann,Sales Pipeline,9001\n"
    "102,Small deal,appointmentscheduled,700.5,2026-12-01 00:00,2026-09-01 12:00,Bob,Sales Pipeline,9002\n"
    "103,Lost deal,closedlost,900,2026-07-15 00:00,2026-05-01 00:00,Bob,Sales Pipeline,9001\n"
)
PIPEDRIVE = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Status,Deal - Stage,Deal - Organization,"
    "Deal - Deal created,Deal - Won time,Deal - Lost time,Deal - Expected close date,Deal - Owner\n"
    "1,Alpha,1000,EUR,Won,Negotiation,Alpha GmbH,2026-01-05 10:00:00,2026-03-01 11:00:00,,,Eva\n"
    "2,Beta,250.5,EUR,Open,Qualified,Beta SA,2026-02-01 10:00:00,,,2026-12-01,Eva\n"
    "3,Gamma,90,EUR,Lost,Qualified,Gamma AG,2026-02-03 10:00:00,,2026-04-01 09:00:00,,Max\n"
    "4,Delta,10,EUR,Deleted,Qualified,Delta AB,2026-02-03 10:00:00,,,,Max\n"
)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def opportunities(out: Path) -> pd.DataFrame:
    return sources.load_dataset(out).table("opportunities")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_salesforce_report_in_every_encoding(tmp_path, encoding):
    src = write(tmp_path / "in" / "report.csv", SF_REPORT.replace("Acme", "Acmé").encode(encoding))
    before = tree_digest(src.parent)
    report = crm.import_exports([src], tmp_path / "out")  # source detected
    opp = opportunities(tmp_path / "out")
    assert report.tables["opportunities"]["kept"] == 3  # footers are not deals
    assert opp["amount"].tolist() == [12345.0, 1200.5, 0.0]
    assert opp["outcome"].tolist() == ["won", "open", "lost"]
    assert opp["close_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-23",
        "2027-01-15",
        "2026-10-30",
    ]
    assert opp["account_id"].iloc[0] == "Acmé, Inc."
    assert opp["probability"].tolist() == [1.0, 0.1, 0.0]
    assert tree_digest(src.parent) == before


def test_hubspot_deals_csv_and_xlsx(tmp_path):
    src = write(tmp_path / "in" / "deals.csv", HUBSPOT)
    crm.import_exports([src], tmp_path / "a", source="hubspot")
    opp = opportunities(tmp_path / "a")
    assert opp["opportunity_id"].tolist() == ["101", "102", "103"]
    assert opp["outcome"].tolist() == ["won", "open", "lost"]
    assert opp["account_id"].tolist() == ["9001", "9002", "9001"]
    assert opp["amount"].sum() == 6600.5
    pd.read_csv(src, dtype=str).to_excel(tmp_path / "in" / "deals.xlsx", index=False)
    crm.import_exports([tmp_path / "in" / "deals.xlsx"], tmp_path / "b")
    pd.testing.assert_frame_equal(opportunities(tmp_path / "b"), opp)


def test_pipedrive_deals(tmp_path):
    src = write(tmp_path / "in" / "deals.csv", PIPEDRIVE)
    report = crm.import_exports([src], tmp_path / "out")
    opp = opportunities(tmp_path / "out")
    assert report.tables["opportunities"]["rejected"] == {"deleted deal": 1}
    assert opp["outcome"].tolist() == ["won", "open", "lost"]
    # close date: won time, lost time, else the expected close date
    assert opp["close_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-03-01",
        "2026-12-01",
        "2026-04-01",
    ]
    assert sources.load_dataset(tmp_path / "out").settings.currency == "EUR"


def test_mapping_features_one_by_one(tmp_path):
    src = write(
        tmp_path / "in" / "lines.csv",
        "Inv;Code;Qty;Price;Cust;Day\n"
        "100;A;2;1,50;C1;03.02.2026\n100;B;1;10,00;C1;03.02.2026\n"
        "C101;A;-1;1,50;C1;04.02.2026\n102;POST;1;5,00;C2;05.02.2026\n103;A;1;1,50;;05.02.2026\n",
    )
    mapping = write(
        tmp_path / "m.yml",
        """
name: lines
currency: EUR
tables:
  orders:
    file: lines.csv
    reader: {delimiter: ";", decimal: ",", date_format: "%d.%m.%Y"}
    columns: {account_id: Cust, order_date: Day, product_id: Code, quantity: Qty}
    compute: {amount: "Qty * Price"}
    values: {product_id: {A: P-A, B: P-B}}
    drop_if_match: {product_id: {pattern: POST, reason: postage}}
    negate_if_match: {column: Inv, pattern: "^C", reason: cancellation}
    generate_id: {column: order_id, within: Inv}
""",
    )
    report = crm.import_exports([src], tmp_path / "out", mapping=mapping)
    entry = report.tables["orders"]
    assert (entry["read"], entry["kept"], entry["rejected"]) == (5, 4, {"postage": 1})
    assert entry["flagged"]["cancellation"] == 1
    orders = pd.read_csv(tmp_path / "out" / "orders.csv", dtype=str)
    assert orders["order_id"].tolist() == ["100-1", "100-2", "C101-1", "103-1"]
    assert orders["amount"].astype(float).tolist() == [3.0, 10.0, -1.5, 1.5]
    assert orders["order_date"].tolist()[:3] == ["2026-02-03", "2026-02-03", "2026-02-04"]
    assert orders["product_id"].tolist() == ["P-A", "P-B", "P-A", "P-A"]
    ds = sources.read_dataset(tmp_path / "out")
    assert ds.errors == [] and any(p.column == "account_id" for p in ds.findings)  # flagged, kept
    saved = json.loads((tmp_path / "out" / "import_report.json").read_text())
    assert saved["tables"]["orders"]["kept"] == 4


def test_drop_if_missing_rejects_with_reason(tmp_path):
    src = write(tmp_path / "in" / "x.csv", "id,acc,day,amt\n1,A,2026-01-01,5\n2,,2026-01-01,6\n")
    mapping = write(
        tmp_path / "m.yml",
        """
tables:
  orders:
    file: x.csv
    columns: {order_id: id, account_id: acc, order_date: day, amount: amt}
    drop_if_missing: [account_id]
""",
    )
    report = crm.import_exports([src], tmp_path / "out", mapping=mapping)
    assert report.tables["orders"]["rejected"] == {"no account_id": 1}


def test_unparseable_required_value_rejects_the_row(tmp_path):
    src = write(tmp_path / "in" / "report.csv", SF_REPORT.replace("9/1/2026", "someday"))
    report = crm.import_exports([src], tmp_path / "out", source="salesforce")
    rejected = report.tables["opportunities"]["rejected"]
    assert list(rejected.values()) == [1] and "'someday' on line 2" in next(iter(rejected))


def test_mixed_currencies_without_rates_is_an_error(tmp_path):
    src = write(tmp_path / "in" / "r.csv", SF_REPORT.replace("$1,200.50", "EUR 1,200.50"))
    with pytest.raises(DataError, match=r"mix currencies \(EUR, USD\)"):
        crm.import_exports([src], tmp_path / "out", source="salesforce")
    assert not (tmp_path / "out" / "opportunities.csv").exists()


def test_file_that_does_not_match_the_source(tmp_path, run_cli):
    src = write(tmp_path / "in" / "deals.csv", HUBSPOT)
    result = run_cli("import", src, "--out", tmp_path / "out", "--source", "pipedrive")
    assert result.code == 1 and "deals.csv" in result.err and "no such column" in result.err


def test_unknown_layout_asks_for_source_or_mapping(tmp_path, run_cli):
    src = write(tmp_path / "in" / "misc.csv", "a,b\n1,2\n")
    result = run_cli("import", src, "--out", tmp_path / "out")
    assert result.code == 2 and "--mapping" in result.err


def test_unbalanced_quotes(tmp_path, run_cli):
    src = write(tmp_path / "in" / "r.csv", SF_REPORT.replace('"Globex new"', '"Globex new'))
    result = run_cli("import", src, "--out", tmp_path / "out", "--source", "salesforce")
    assert result.code == 1 and "r.csv" in result.err and "Traceback" not in result.err


def test_truncated_xlsx(tmp_path, run_cli):
    pd.read_csv(pd.io.common.StringIO(HUBSPOT), dtype=str).to_excel(
        tmp_path / "d.xlsx", index=False
    )
    src = write(tmp_path / "in" / "deals.xlsx", (tmp_path / "d.xlsx").read_bytes()[:900])
    result = run_cli("import", src, "--out", tmp_path / "out", "--source", "hubspot")
    assert result.code == 1 and "deals.xlsx" in result.err and "damaged" in result.err


def test_bad_mapping_files(tmp_path):
    src = write(tmp_path / "in" / "x.csv", "a\n1\n")
    for text, message in [
        ("tables: {orderz: {file: x.csv}}", "'orderz' is not a canonical table"),
        ("tables: {orders: {file: x.csv, colums: {}}}", "unknown key(s) colums"),
        ("tables: [", "not valid YAML"),
        ("name: x", "needs a 'tables:' section"),
        ("tables: {orders: {file: x.csv, reader: {delim: ';'}}}", "unknown option(s) delim"),
    ]:
        mapping = write(tmp_path / "m.yml", text)
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            crm.import_exports([src], tmp_path / "out", mapping=mapping)


def test_out_folder_rules(tmp_path):
    src = write(tmp_path / "in" / "deals.csv", HUBSPOT)
    with pytest.raises(UsageError, match="not empty"):
        crm.import_exports([src], tmp_path / "in")


def test_parse_money_locales():
    s = pd.Series(["USD 12,345.00", "$1,200", "(300.50)", "1.234,5 EUR", "-7", None, "abc"])
    values, codes = crm.parse_money(s.iloc[:3])
    assert values.tolist() == [12345.0, 1200.0, -300.5] and codes.tolist()[:2] == ["USD", "USD"]
    eu, code = crm.parse_money(s.iloc[3:4], decimal=",")
    assert eu.tolist() == [1234.5] and code.tolist() == ["EUR"]
    rest, _ = crm.parse_money(s.iloc[4:])
    assert rest.iloc[0] == -7 and rest.iloc[1:].isna().all()


@pytest.mark.parametrize("name", ["maven_crm", "online_retail", "superstore_eu"])
def test_example_mappings_are_valid(name):
    mapping = crm.load_mapping(Path(crm.__file__).parent / "mappings" / "examples" / f"{name}.yml")
    assert mapping.tables
