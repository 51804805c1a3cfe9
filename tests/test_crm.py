"""salesnb import: CRM export layouts, mapping-file features, and bad exports."""

from __future__ import annotations

import json
import re
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


def sf_report_with(extra: int) -> str:
    """SF_REPORT with ``extra`` more good deals before the footer lines."""
    head, _, footer = SF_REPORT.partition('""\n"Grand Totals')
    rows = "".join(
        f'"Eve Ng","Co {i}","Deal {i}","Prospecting","USD 100.00","10","12/1/2026","11/2/2026"\n'
        for i in range(extra)
    )
    return head + rows + '""\n"Grand Totals' + footer


def test_unparseable_required_value_rejects_the_row(tmp_path):
    # 1 bad row of 3 + 17 = 20 is 5%: still accepted (more would stop the import)
    src = write(tmp_path / "in" / "report.csv", sf_report_with(17).replace("9/1/2026", "someday"))
    report = crm.import_exports([src], tmp_path / "out", source="salesforce")
    rejected = report.tables["opportunities"]["rejected"]
    assert list(rejected.values()) == [1] and "'someday' on line 2" in next(iter(rejected))
    assert report.tables["opportunities"]["kept"] == 19


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
        with pytest.raises(DataError, match=re.escape(message)):
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
    mapping = crm.load_mapping(crm.preset_path(f"examples/{name}"))
    assert mapping.tables


SF_EXPORT = {
    "Account.csv": "Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,OwnerId,CurrencyIsoCode,IsDeleted\n"
    "001A,Société Générale d'Essai,Banking,1200,5000000,France,005X,EUR,false\n"
    "001B,Acme Corp,Manufacturing,80,1000000,United States,005Y,USD,false\n"
    "001C,Gone Ltd,Retail,5,,UK,005Y,USD,true\n",
    "Opportunity.csv": "Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate,OwnerId,IsClosed,IsWon,"
    "Probability,CurrencyIsoCode,IsDeleted\n"
    "006A,001A,Big,Closed Won,1100,2026-03-31,2026-01-10 09:15:00,005X,true,true,100,EUR,false\n"
    "006B,001B,Mid,Closed Lost,500,2026-04-15,2026-02-01 00:00:00,005Y,true,false,0,USD,false\n"
    "006C,001B,Stuck,Closed - No Decision,700,2026-05-01,2026-02-01 00:00:00,005Y,true,false,0,USD,false\n"
    "006D,001A,Open,Negotiation,2200,2026-12-01,2026-06-01 00:00:00,005X,false,false,70,EUR,false\n"
    "006E,001A,Old,Prospecting,1,2026-12-01,2026-06-01 00:00:00,005X,false,false,10,EUR,true\n",
    "User.csv": "Id,Name\n005X,Élise Martin\n005Y,Bob Ray\n",
    "Contact.csv": "Id,AccountId,FirstName,LastName,Title,Department,IsDeleted\n"
    "003A,001A,Élise,Durand,CFO,Finance,false\n003B,001B,,Smith,Buyer,Procurement,false\n",
    "CurrencyType.csv": "Id,IsoCode,ConversionRate,IsCorporate,IsActive\n"
    "01L1,USD,1,true,true\n01L2,EUR,1.1,false,true\n",
    "OpportunityHistory.csv": "Id,OpportunityId,StageName\n008A,006A,Closed Won\n",
}


def write_export(folder: Path, files: dict[str, str], encoding: str = "latin-1") -> Path:
    for name, text in files.items():
        write(folder / name, text.encode(encoding))
    return folder


def test_salesforce_data_export_with_rates_lookups_and_deletions(tmp_path):
    folder = write_export(tmp_path / "export", SF_EXPORT)
    report = crm.import_exports([folder], tmp_path / "out", source="salesforce")
    ds = sources.load_dataset(tmp_path / "out")
    assert ds.settings.currency == "USD"  # the corporate currency
    opp = ds.table("opportunities").set_index("opportunity_id")
    assert list(opp.index) == ["006A", "006B", "006C", "006D"]  # 006E was deleted
    assert opp["outcome"].tolist() == ["won", "lost", "no_decision", "open"]
    # EUR 1,100 at 1.1 EUR per USD is USD 1,000; EUR 2,200 is USD 2,000
    assert opp["amount"].tolist() == pytest.approx([1000.0, 500.0, 700.0, 2000.0])
    assert opp["owner"].tolist() == ["Élise Martin", "Bob Ray", "Bob Ray", "Élise Martin"]
    assert opp["created_date"].iloc[0] == pd.Timestamp("2026-01-10")
    assert opp["probability"].tolist() == [1.0, 0.0, 0.0, 0.7]
    accounts = ds.table("accounts")
    assert accounts["account_name"].tolist() == ["Société Générale d'Essai", "Acme Corp"]
    assert accounts["annual_revenue"].tolist() == [4545454.55, 1_000_000]
    assert ds.table("contacts")["full_name"].tolist() == ["Élise Durand", "Smith"]
    entry = report.tables["opportunities"]
    assert entry["rejected"] == {"deleted record": 1}
    assert entry["flagged"]["amounts converted to USD with the export's rates"] == 2
    saved = json.loads((tmp_path / "out" / "import_report.json").read_text())
    assert saved["ignored"] == ["OpportunityHistory.csv"]
    assert {"CurrencyType.csv", "User.csv"} <= set(saved["exports"])


def test_salesforce_data_export_mixed_currencies_need_the_rate_table(tmp_path):
    files = {k: v for k, v in SF_EXPORT.items() if k != "CurrencyType.csv"}
    folder = write_export(tmp_path / "export", files)
    with pytest.raises(DataError, match="add CurrencyType.csv"):
        crm.import_exports([folder], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_hubspot_files_are_told_apart_by_their_columns(tmp_path):
    companies = write(
        tmp_path / "in" / "export-1.csv",
        "Record ID,Company name,Company Domain Name,Industry,Number of Employees\n"
        "9001,Alpha,alpha.example,COMPUTER_SOFTWARE,120\n9002,Beta,beta.example,RETAIL,15\n",
    )
    contacts = write(
        tmp_path / "in" / "export-2.csv",
        "Record ID,First Name,Last Name,Email,Job Title,Associated Company IDs\n"
        "1,Ann,Lee,ann@alpha.example,CTO,9001;9002\n2,Bo,,bo@beta.example,Buyer,9002\n",
    )
    deals = write(tmp_path / "in" / "export-3.csv", HUBSPOT)
    crm.import_exports([companies, contacts, deals], tmp_path / "out", source="hubspot")
    ds = sources.load_dataset(tmp_path / "out")
    assert ds.table("accounts")["account_name"].tolist() == ["Alpha", "Beta"]
    contacts_t = ds.table("contacts")
    assert contacts_t["account_id"].tolist() == ["9001", "9002"]  # first associated company
    assert contacts_t["full_name"].tolist() == ["Ann Lee", "Bo"]
    assert len(ds.table("opportunities")) == 3
    assert not [p for p in ds.findings if "not in accounts" in p.problem]


def test_cases_lookup_concat_split_one_by_one(tmp_path):
    write(
        tmp_path / "in" / "deals.csv",
        "id,acct,stage,won,closed,amt,created,closed_on,rep,first,last\n"
        "1,A|B,Done,yes,yes,10,2026-01-01,2026-02-01,u1,Ann,Lee\n"
        "2,B,Done,no,yes,20,2026-01-01,2026-02-01,u2,,Ray\n"
        "3,C,Talk,no,no,30,2026-01-01,,u9,Cy,\n",
    )
    write(tmp_path / "in" / "reps.csv", "uid,uname\nu1,Ann Lee\nu2,Bob Ray\n")
    mapping = write(
        tmp_path / "m.yml",
        """
tables:
  opportunities:
    file: deals.csv
    columns: {opportunity_id: id, account_id: acct, stage: stage, amount: amt, created_date: created,
              close_date: closed_on, owner: rep}
    split: {account_id: "|"}
    cases:
      outcome:
        - {when: {won: "yes"}, value: won}
        - {when: {closed: "yes"}, value: lost}
        - {value: open}
    lookup: {owner: {file: reps.csv, key: uid, value: uname}}
    concat: {contact_name: {columns: [first, last], sep: " "}}
""",
    )
    report = crm.import_exports([tmp_path / "in"], tmp_path / "out", mapping=mapping)
    opp = pd.read_csv(tmp_path / "out" / "opportunities.csv", dtype=str)
    assert opp["account_id"].tolist() == ["A", "B", "C"]
    assert opp["outcome"].tolist() == ["won", "lost", "open"]
    assert opp["owner"].tolist() == ["Ann Lee", "Bob Ray", "u9"]  # unknown ids stay
    assert opp["contact_name"].fillna("").tolist() == ["Ann Lee", "Ray", "Cy"]
    assert report.tables["opportunities"]["flagged"]["owner looked up in reps.csv"] == 2


# ---------------------------------------------------------------- dates, shares, tokens, mojibake
ORDERS_MAPPING = """
tables:
  orders:
    file: orders.csv
    columns: {order_id: Order ID, account_id: Customer, order_date: Order Date, amount: Sales}
"""


def import_orders(tmp_path, rows: list[str], mapping: str = ORDERS_MAPPING, head="") -> Path:
    """Import an orders.csv of ``rows`` with ``mapping``; return the output folder."""
    header = head or "Order ID,Customer,Order Date,Sales"
    src = write(tmp_path / "in" / "orders.csv", "\n".join([header, *rows]) + "\n")
    out = tmp_path / "out"
    crm.import_exports([src], out, mapping=write(tmp_path / "m.yml", mapping))
    return out


def dates_of(out: Path, column: str = "order_date", table: str = "orders") -> list[str]:
    return pd.read_csv(out / f"{table}.csv", dtype=str)[column].tolist()


def test_day_first_dates_are_inferred_from_a_day_above_12(tmp_path):
    # without inference 13/01/19 was rejected and 03/01/19 read as 1 March
    out = import_orders(
        tmp_path,
        ["1,C1,03/01/19,10", "2,C1,13/01/19,20", "3,C2,28/02/2019,30", "4,C2,2019-03-05,40"],
    )
    assert dates_of(out) == ["2019-01-03", "2019-01-13", "2019-02-28", "2019-03-05"]
    report = json.loads((out / "import_report.json").read_text())["tables"]["orders"]
    assert report["rejected"] == {}
    assert report["flagged"]["order_date: dates read day first, as '13/01/19' on line 3 shows"] == 4


def test_month_first_dates_are_inferred_from_a_second_number_above_12(tmp_path):
    out = import_orders(tmp_path, ["1,C1,03/01/19,10", "2,C1,1/13/19,20", "3,C1,12.31.2019,5"])
    assert dates_of(out) == ["2019-03-01", "2019-01-13", "2019-12-31"]


def test_ambiguous_dates_stop_the_import_with_both_readings(tmp_path, run_cli):
    rows = ["1,C1,03/01/19,10", "2,C1,04/02/19,20", "3,C1,2019-01-05,5"]
    with pytest.raises(DataError) as info:
        import_orders(tmp_path, rows)
    message = str(info.value)
    assert message.startswith(
        "orders.csv column 'Order Date' is ambiguous: '03/01/19' reads as 2019-01-03 "
        "(day first) or 2019-03-01 (month first); set reader: {dayfirst: true} or "
        "date_format in the mapping"
    )
    assert "tables.orders.reader" in message and "line 2" in message
    assert not (tmp_path / "out").exists()
    result = run_cli(
        "import",
        tmp_path / "in" / "orders.csv",
        "--mapping",
        tmp_path / "m.yml",
        "--out",
        tmp_path / "cli",
    )
    assert result.code == 1 and "is ambiguous" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        ("{dayfirst: true}", ["2019-01-03", "2019-02-04", "2019-01-05"]),
        ("{dayfirst: false}", ["2019-03-01", "2019-04-02", "2019-01-05"]),
        ('{date_format: "%d/%m/%y"}', ["2019-01-03", "2019-02-04", None]),
    ],
)
def test_the_mapping_settles_ambiguous_dates(tmp_path, reader, expected):
    mapping = ORDERS_MAPPING + f"    reader: {reader}\n    max_rejected_share: 0.5\n"
    out = import_orders(
        tmp_path, ["1,C1,03/01/19,10", "2,C1,04/02/19,20", "3,C1,2019-01-05,5"], mapping
    )
    got = pd.read_csv(out / "orders.csv", dtype=str)["order_date"]
    assert got.tolist() == [d for d in expected if d]  # the ISO date does not fit date_format


def test_iso_dates_are_never_ambiguous(tmp_path):
    out = import_orders(tmp_path, ["1,C1,2019-01-03,10", "2,C1,2019-02-04 10:30:00,20"])
    assert dates_of(out) == ["2019-01-03", "2019-02-04"]
    flagged = json.loads((out / "import_report.json").read_text())["tables"]["orders"]["flagged"]
    assert not [k for k in flagged if "dates read" in k]


def test_a_column_that_contradicts_itself_is_an_error(tmp_path):
    with pytest.raises(DataError) as info:
        import_orders(tmp_path, ["1,C1,13/01/19,10", "2,C1,01/13/19,20"])
    assert str(info.value).startswith(
        "orders.csv line 2, column 'Order Date': the dates mix two orders: '13/01/19' (line 2) "
        "can only be day first, '01/13/19' (line 3) only month first. Fix: export the column "
        "in one date format, or set date_format"
    )


def test_an_ambiguous_column_follows_the_other_dates_of_its_file(tmp_path):
    src = write(
        tmp_path / "in" / "deals.csv",
        "id,acct,stage,amt,created,closed\n1,A,Won,10,03/01/19,25/01/19\n2,A,Won,20,04/02/19,05/03/19\n",
    )
    mapping = write(
        tmp_path / "m.yml",
        "tables:\n  opportunities:\n    file: deals.csv\n    columns: {opportunity_id: id, "
        "account_id: acct, stage: stage, amount: amt, created_date: created, close_date: closed}\n",
    )
    report = crm.import_exports([src], tmp_path / "out", mapping=mapping)
    opp = pd.read_csv(tmp_path / "out" / "opportunities.csv", dtype=str)
    assert opp["created_date"].tolist() == ["2019-01-03", "2019-02-04"]
    assert opp["close_date"].tolist() == ["2019-01-25", "2019-03-05"]
    flagged = report.tables["opportunities"]["flagged"]
    assert flagged["created_date: dates read day first, like close_date in the same file"] == 2


BAD_AMOUNTS = [f"{i},C1,2026-01-{i:02d},{'abc' if i in (2, 8) else i}" for i in range(1, 21)]


def test_too_many_unreadable_rows_stop_the_import(tmp_path, run_cli):
    # 2 of 20 rows (10%) have no readable amount: more than the 5% an import accepts
    with pytest.raises(DataError) as info:
        import_orders(tmp_path, BAD_AMOUNTS)
    message = str(info.value)
    assert message.startswith(
        "orders.csv: 2 of 20 rows (10.0%) of the orders table cannot be read, more than the 5%"
    )
    assert "2 row(s): amount: not a number (e.g. 'abc' on line 3) (lines 3, 9)" in message
    assert "max_rejected_share: 0.1 under tables.orders" in message
    assert not (tmp_path / "out").exists()
    result = run_cli(
        "import",
        tmp_path / "in" / "orders.csv",
        "--mapping",
        tmp_path / "m.yml",
        "--out",
        tmp_path / "cli",
    )
    assert result.code == 1 and "cannot be read" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("table_share", "top_share", "ok"),
    [("0.1", None, True), (None, "0.2", True), ("0.05", "0.2", False), (None, None, False)],
)
def test_max_rejected_share_per_table_and_for_the_mapping(tmp_path, table_share, top_share, ok):
    mapping = ORDERS_MAPPING
    if table_share:
        mapping += f"    max_rejected_share: {table_share}\n"
    if top_share:
        mapping = f"max_rejected_share: {top_share}\n" + mapping
    if not ok:
        with pytest.raises(DataError, match="cannot be read"):
            import_orders(tmp_path, BAD_AMOUNTS, mapping)
        return
    out = import_orders(tmp_path, BAD_AMOUNTS, mapping)
    report = json.loads((out / "import_report.json").read_text())["tables"]["orders"]
    assert (report["kept"], sum(report["rejected"].values())) == (18, 2)


def test_rows_the_mapping_drops_on_purpose_do_not_count_as_unreadable(tmp_path):
    rows = [f"{i},{'GONE' if i <= 5 else 'C1'},2026-01-{i:02d},{i}" for i in range(1, 21)]
    mapping = ORDERS_MAPPING + "    drop_if_match: {account_id: {pattern: GONE, reason: closed}}\n"
    out = import_orders(tmp_path, rows, mapping)  # 25% dropped by the mapping's own rule
    report = json.loads((out / "import_report.json").read_text())["tables"]["orders"]
    assert report["rejected"] == {"closed": 5} and report["kept"] == 15


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "max_rejected_share: 1.5\n" + ORDERS_MAPPING,
            "m.yml line 1, max_rejected_share: give a share",
        ),
        (
            "max_rejected_share: true\n" + ORDERS_MAPPING,
            "m.yml line 1, max_rejected_share: give a share",
        ),
        (
            ORDERS_MAPPING + "    max_rejected_share: lots\n",
            "m.yml line 6, tables.orders.max_rejected_share: give a share of rows between 0 and 1",
        ),
        (
            ORDERS_MAPPING + "    reader: {dayfirst: maybe}\n",
            "m.yml line 6, tables.orders.reader.dayfirst: give true (03/01/19 is 3 January)",
        ),
        (
            "max_rejected_shares: 0.1\n" + ORDERS_MAPPING,
            "m.yml line 1: unknown key(s) max_rejected_shares",
        ),
    ],
)
def test_bad_mapping_settings_name_the_key(tmp_path, text, message):
    with pytest.raises(DataError, match=re.escape(message)):
        import_orders(tmp_path, ["1,C1,2026-01-01,1"], text)


def test_mapping_keys_are_defined_once():
    from dataclasses import fields

    assert set(crm.TABLE_KEYS) == {f.name for f in fields(crm.TableMapping)} - {"table"}
    assert set(crm.TOP_KEYS) == {
        "name",
        "currency",
        "detect",
        "rates",
        "tables",
        "max_rejected_share",
    }
    assert "max_rejected_share" in crm.TABLE_KEYS


ACCOUNTS_MAPPING = """
tables:
  accounts:
    file: accounts.csv
    columns: {account_id: Id, account_name: [Name, Legal Name], region: Region, industry: Sector,
              owner: Owner}
    values:
      region: {NA: North America}
      industry: {"-": unknown}
"""


def test_value_maps_run_before_missing_value_tokens(tmp_path):
    src = write(
        tmp_path / "in" / "accounts.csv",
        "Id,Name,Legal Name,Region,Sector,Owner\n"
        "A1,Alpha,,NA,-,N/A\n"  # NA is North America; '-' is mapped before it means missing
        "A2,n/a,Beta AG,na,Retail,none\n"  # 'n/a' gives way to the next candidate column
        "A3,Gamma,,EMEA,n/a,Ann\n",
    )
    crm.import_exports([src], tmp_path / "out", mapping=write(tmp_path / "m.yml", ACCOUNTS_MAPPING))
    acc = pd.read_csv(tmp_path / "out" / "accounts.csv", dtype=str, keep_default_na=False)
    assert acc["region"].tolist() == ["North America", "North America", "EMEA"]
    assert acc["industry"].tolist() == ["unknown", "Retail", ""]
    assert acc["account_name"].tolist() == ["Alpha", "Beta AG", "Gamma"]
    assert acc["owner"].tolist() == ["", "", "Ann"]  # free text: every token is missing


def test_a_category_keeps_none_and_na_without_a_value_map(tmp_path):
    src = write(
        tmp_path / "in" / "bc.csv",
        "acct,center,status,rival\nA1,it,none,None\nA1,hr,NA,Acme\nA1,ops,n/a,NA\n",
    )
    mapping = write(
        tmp_path / "m.yml",
        "tables:\n  buying_centers:\n    file: bc.csv\n    columns: {account_id: acct, "
        "buying_center: center, relationship_status: status, competitor: rival}\n",
    )
    crm.import_exports([src], tmp_path / "out", mapping=mapping)
    bc = sources.load_dataset(tmp_path / "out").table("buying_centers")
    assert bc["relationship_status"].tolist()[:2] == ["none", "na"]
    assert pd.isna(bc["relationship_status"].iloc[2])
    assert bc["competitor"].isna().tolist() == [True, False, True]


def test_importer_repairs_mojibake_in_text_columns(tmp_path):
    src = write(
        tmp_path / "in" / "accounts.csv",
        "Id,Name,Region,Sector,Owner\nMartÃ\u00adn-1,MartÃ\u00adn Sommer,EMEA,Retail,Zoë\n"
        "B-2,Beta,EMEA,Retail,JosÃ© Ruiz\n",
    )
    report = crm.import_exports(
        [src], tmp_path / "out", mapping=write(tmp_path / "m.yml", ACCOUNTS_MAPPING)
    )
    acc = pd.read_csv(tmp_path / "out" / "accounts.csv", dtype=str)
    assert acc["account_name"].tolist() == ["Martín Sommer", "Beta"]
    assert acc["owner"].tolist() == ["Zoë", "José Ruiz"]
    assert acc["account_id"].iloc[0] == "MartÃ\u00adn-1"  # ids are never rewritten
    flagged = report.tables["accounts"]["flagged"]
    assert (
        flagged[
            "account_name: 1 cell(s) repaired from mojibake (UTF-8 text that was read as "
            "Windows-1252 / Latin-1), e.g. 'MartÃ\\xadn Sommer' -> 'Martín Sommer' (line 2)"
        ]
        == 1
    )
    assert sum(v for k, v in flagged.items() if k.startswith("owner: ")) == 1


def test_importer_rejects_infinite_and_absurd_amounts(tmp_path):
    rows = [f"{i},C1,2026-01-01,{i}" for i in range(1, 39)]
    out = import_orders(tmp_path, [*rows, "39,C1,2026-01-01,inf", "40,C1,2026-01-01,1e308"])
    report = json.loads((out / "import_report.json").read_text())["tables"]["orders"]
    assert report["rejected"] == {
        "amount: not a finite number (e.g. 'inf' on line 40)": 1,
        "amount: implausibly large (1e15 or more) (e.g. '1e308' on line 41)": 1,
    }
    assert report["kept"] == 38


def test_dates_whose_day_equals_their_month_read_the_same_either_way(tmp_path):
    out = import_orders(tmp_path, ["1,C1,05/05/19,10", "2,C1,2019-01-07,20"])
    assert dates_of(out) == ["2019-05-05", "2019-01-07"]


def test_wrong_source_names_the_missing_columns_and_the_right_one(tmp_path):
    # issue 12: "none of the exports matches the mapping hubspot.yml (it expects *)" said nothing useful
    src = write(tmp_path / "in" / "report.csv", SF_REPORT)
    with pytest.raises(UsageError) as err:
        crm.import_exports([src], tmp_path / "out", source="hubspot")
    message = str(err.value)
    assert "a hubspot export has columns such as" in message and "report.csv lacks" in message
    assert "Deal Stage" in message  # one of HubSpot's columns the file lacks
    assert "report.csv has the columns" in message and "opportunity owner" in message.lower()
    assert "it looks like a salesforce export" in message and "--source salesforce" in message


def test_a_bare_carriage_return_in_a_value_stays_inside_its_row(tmp_path):
    # Python's csv writer quotes a bare CR only when the line terminator holds one: with
    # "\n" endings 'Acme\rEurope' was written unquoted and readers split the row in two
    out = import_orders(tmp_path, ['1,"Acme\rEurope",2026-01-01,10', "2,C2,2026-01-02,20"])
    raw = (out / "orders.csv").read_bytes()
    assert b'"Acme\rEurope"' in raw
    back = pd.read_csv(out / "orders.csv", dtype=str, keep_default_na=False)
    assert back["account_id"].tolist() == ["Acme\rEurope", "C2"]
    assert back["amount"].tolist() == ["10.0", "20.0"]


def test_import_problems_name_physical_lines_after_a_multiline_value(tmp_path):
    rows = ['1,"Acme\nEurope\nWest",2026-01-01,10', "2,C1,not a date,20"]
    mapping = ORDERS_MAPPING + "    max_rejected_share: 0\n"
    with pytest.raises(DataError, match=re.escape("'not a date' on line 5")):
        import_orders(tmp_path, rows, mapping)
