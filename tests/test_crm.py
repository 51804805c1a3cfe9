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
    mapping = crm.load_mapping(Path(crm.__file__).parent / "mappings" / "examples" / f"{name}.yml")
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
