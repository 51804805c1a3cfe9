"""Write the bad-input corpus: one folder per case, each with ``expect.yml``.

Run from the project root to (re)create it: ``python tests/corpus/make_corpus.py``.
The files are committed; this script documents how each byte pattern was made.
Every case is a data set a user could plausibly hand to ``salesnb check``.
"""

from __future__ import annotations

import io
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).parent
ACCOUNTS = (
    "account_id,account_name,industry,employees\n"
    "A1,Alpha Ltd,software,120\nA2,Beta GmbH,retail,40\nA3,Gamma SA,energy,900\n"
)
OPP_HEAD = "opportunity_id,account_id,stage,amount,created_date,close_date,outcome"
ORD_HEAD = "order_id,account_id,order_date,amount"


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (git keeps links as links)."""

    target: str


def case(
    name: str,
    files: dict[str, bytes | str | Link],
    exit: int,
    contains: list[str],
    args: list[str] | None = None,
    why: str = "",
) -> None:
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for fname, data in files.items():
        if isinstance(data, Link):
            (folder / fname).symlink_to(data.target)
            continue
        raw = data.encode("utf-8") if isinstance(data, str) else data
        (folder / fname).parent.mkdir(parents=True, exist_ok=True)
        (folder / fname).write_bytes(raw)
    spec = {"why": why, "exit": exit, "contains": contains}
    if args:
        spec["args"] = args
    (folder / "expect.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def xlsx_bytes() -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"account_id": ["A1", "A2"], "account_name": ["Alpha", "Beta"]}).to_excel(
        buf, index=False
    )
    return buf.getvalue()


def workbook(sheets: dict[str, dict[str, list]]) -> bytes:
    """An .xlsx with one sheet per entry: {sheet: {column: values}}."""
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as book:
        for name, cols in sheets.items():
            pd.DataFrame(cols).to_excel(book, sheet_name=name, index=False)
    return buf.getvalue()


README_SHEET = {"About": ["Accounts for the Q3 review", "Exported by sales ops"]}


def main() -> None:
    opp = lambda *rows: "\n".join([OPP_HEAD, *rows]) + "\n"  # noqa: E731
    ords = lambda *rows: "\n".join([ORD_HEAD, *rows]) + "\n"  # noqa: E731
    won = "O1,A1,Closed Won,1000,2025-01-10,2025-03-01,won"
    case(
        "01_utf16_without_bom",
        {"accounts.csv": ACCOUNTS.encode("utf-16-le")},
        1,
        ["accounts.csv", "UTF-16"],
        why="wrong encoding: UTF-16 saved without a byte-order mark",
    )
    case(
        "02_latin1_text",
        {"accounts.csv": "account_id,account_name\nA1,Café Müller\n".encode("cp1252")},
        0,
        ["accounts.csv", "not UTF-8"],
        why="Windows-1252 text is read, with a finding",
    )
    case(
        "03_latin1_text_strict",
        {"accounts.csv": "account_id,account_name\nA1,Café Müller\n".encode("cp1252")},
        1,
        ["accounts.csv", "cp1252"],
        args=["--strict"],
        why="--strict turns findings into exit 1",
    )
    case(
        "04_missing_required_column",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": "opportunity_id,account_id,stage,amount,created_date\nO1,A1,Won,10,2025-01-01\n",
        },
        1,
        ["opportunities.csv", "required column 'close_date' is missing"],
    )
    case(
        "05_duplicated_ids",
        {"accounts.csv": ACCOUNTS + "A2,Beta Again,retail,41\n"},
        1,
        ["accounts.csv line 3", "account_id", "more than once"],
    )
    case(
        "06_unparseable_date",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp("O1,A1,Closed Won,1000,2025-31-12,2026-01-05,won"),
        },
        1,
        ["opportunities.csv line 2", "created_date", "'2025-31-12' is not a date"],
    )
    case(
        "07_us_date_format",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp(won, "O2,A2,Closed Won,500,11/23/2025,12/01/2025,won"),
        },
        1,
        ["opportunities.csv line 3", "'11/23/2025' is not a date", "date_format"],
    )
    case(
        "08_decimal_comma_amount",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp(won, 'O2,A2,Closed Won,"1250,50",2025-01-10,2025-03-01,won'),
        },
        1,
        ["opportunities.csv line 3", "amount", "'1250,50' is not an amount"],
    )
    case(
        "09_currency_sign_amount",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp('O1,A1,Closed Won,"$1,200.00",2025-01-10,2025-03-01,won'),
        },
        1,
        ["opportunities.csv line 2", "'$1,200.00' is not an amount"],
    )
    case("10_empty_file", {"accounts.csv": b""}, 1, ["accounts.csv", "empty (0 bytes)"])
    case(
        "11_header_only",
        {"accounts.csv": "account_id,account_name\n"},
        1,
        ["accounts.csv", "header", "no rows"],
    )
    case(
        "12_mixed_currencies",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": OPP_HEAD
            + ",currency\n"
            + won
            + ",USD\nO2,A2,Closed Won,900,2025-01-10,2025-03-01,won,EUR\n",
        },
        1,
        ["opportunities.csv", "several currencies", "EUR", "USD"],
    )
    case(
        "13_negative_amounts",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp(won, "O2,A2,Closed Won,-500,2025-01-10,2025-03-01,won"),
        },
        0,
        ["opportunities.csv line 3", "amount", "negative value"],
    )
    case(
        "14_orphan_foreign_key",
        {
            "accounts.csv": ACCOUNTS,
            "contacts.csv": "contact_id,account_id,full_name\nC1,A1,Ann\nC2,A9,Bob\n",
        },
        0,
        ["contacts.csv line 3", "account_id", "not in accounts", "A9"],
    )
    case(
        "15_formula_injection",
        {
            "accounts.csv": 'account_id,account_name\nA1,"=HYPERLINK(""http://evil.example"",""x"")"\n'
        },
        0,
        ["accounts.csv line 2", "account_name", "formula"],
    )
    case(
        "16_html_in_names",
        {
            "accounts.csv": 'account_id,account_name\nA1,"<img src=http://tracker.example/p.png>Acme"\n'
        },
        0,
        ["accounts.csv line 2", "HTML markup"],
    )
    case(
        "17_huge_field",
        {"accounts.csv": "account_id,account_name\nA1," + "x" * 200_000 + "\nA2,Beta\n"},
        0,
        ["accounts.csv line 2", "longer than 1,000"],
    )
    case(
        "18_binary_file",
        {"accounts.csv": bytes(range(256)) * 8},
        1,
        ["accounts.csv", "binary file"],
    )
    case(
        "19_excel_named_csv", {"accounts.csv": xlsx_bytes()}, 1, ["accounts.csv", "Excel workbook"]
    )
    case(
        "20_ragged_row",
        {
            "accounts.csv": "account_id,account_name,industry\nA1,Alpha,software\nA2,Beta, Inc,retail\n"
        },
        1,
        ["accounts.csv line 3", "4 fields where the header has 3"],
    )
    case(
        "21_unbalanced_quote",
        {"accounts.csv": 'account_id,account_name\nA1,Alpha\nA2,"Beta\nA3,Gamma\n'},
        1,
        ["accounts.csv line 3", "quote"],
    )
    case("22_no_tables", {"notes.txt": "meeting notes\n"}, 1, ["no canonical table files"])
    case(
        "23_two_files_one_table",
        {"accounts.csv": ACCOUNTS, "accounts.xlsx": xlsx_bytes()},
        1,
        ["two files hold the 'accounts' table"],
    )
    case(
        "24_bad_dataset_yml",
        {"accounts.csv": ACCOUNTS, "dataset.yml": "currency: dollars\n"},
        1,
        [
            "dataset.yml",
            "dataset.yml line 1: setting 'currency' must be a 3-letter ISO currency code",
        ],
    )
    case(
        "25_orders_bad_date",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords(
                "L1,A1,2025-01-02,10.5", "L2,A2,2025-02-30,20", "L3,A3,2025-03-01,30"
            ),
        },
        1,
        ["orders.csv line 3", "order_date", "not a date"],
    )
    case(
        "26_orders_bad_amount",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords("L1,A1,2025-01-02,10.5", "L2,A2,2025-01-03,12 EUR"),
        },
        1,
        ["orders.csv line 3", "amount", "'12 EUR' is not an amount"],
    )
    case(
        "27_orders_duplicate_ids",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords(
                "L1,A1,2025-01-02,10.5", "L1,A2,2025-01-03,12", "L2,A2,2025-01-03,12"
            ),
        },
        1,
        ["orders.csv", "order_id", "more than once", "L1"],
    )
    case(
        "28_orders_missing_column",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": "order_id,account_id,order_date\nL1,A1,2025-01-02\n",
        },
        1,
        ["orders.csv", "required column 'amount' is missing"],
    )
    case(
        "29_orders_mixed_currency",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ORD_HEAD
            + ",currency\nL1,A1,2025-01-02,10,USD\nL2,A2,2025-01-02,10,GBP\n",
        },
        1,
        ["orders.csv", "GBP", "USD"],
    )
    case(
        "30_orders_orphans_and_gaps",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords("L1,A1,2025-01-02,10.5", "L2,A7,2025-01-03,12", "L3,,2025-01-03,-4"),
        },
        0,
        ["orders.csv", "not in accounts", "A7", "no value"],
    )
    case(
        "31_missing_key_value",
        {"accounts.csv": "account_id,account_name\nA1,Alpha\n,Nameless\n"},
        1,
        ["accounts.csv line 3", "account_id", "the key has no value"],
    )
    case(
        "32_outcome_typo",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp(won, "O2,A2,Closed Won,700,2025-01-10,2025-03-01,wonn"),
        },
        0,
        ["opportunities.csv line 3", "outcome", "outside the allowed list", "wonn"],
    )
    case(
        "33_probability_as_percent",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": OPP_HEAD + ",probability\n" + won + ",100\n",
        },
        0,
        ["opportunities.csv line 2", "probability", "between 0 and 1"],
    )
    case(
        "34_truncated_xlsx",
        {"accounts.xlsx": xlsx_bytes()[:700]},
        1,
        ["accounts.xlsx", "truncated or damaged"],
    )
    case(
        "35_bad_quota_period",
        {"quotas.csv": "owner,period,quota\nAnn,2026Q3,1000\nBob,Q3-2026,900\n"},
        1,
        ["quotas.csv line 3", "period", "'Q3-2026' is not a quarter", "YYYYQn"],
    )
    case(
        "36_duplicate_column_names",
        {"accounts.csv": "account_id,account_name,Account_Name\nA1,a,b\n"},
        1,
        ["accounts.csv", "'account_name' appears more than once"],
    )
    case(
        "37_orders_unbalanced_quote",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords(
                "L1,A1,2025-01-02,10.5", 'L2,"A2,2025-01-03,12', "L3,A3,2025-01-03,12"
            ),
        },
        1,
        ["orders.csv"],
    )
    case(
        "38_orders_utf16_nobom",
        {"accounts.csv": ACCOUNTS, "orders.csv": ords("L1,A1,2025-01-02,10.5").encode("utf-16-le")},
        1,
        ["orders.csv", "UTF-16"],
    )
    case(
        "39_orders_header_only",
        {"accounts.csv": ACCOUNTS, "orders.csv": ORD_HEAD + "\n"},
        1,
        ["orders.csv", "no rows"],
    )
    case(
        "40_bad_bool",
        {"accounts.csv": "account_id,account_name,is_global\nA1,Alpha,yes\nA2,Beta,maybe\n"},
        1,
        ["accounts.csv line 3", "is_global", "'maybe' is not yes/no"],
    )
    case(
        "55_orders_infinite_amounts",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords(
                "L1,A1,2025-01-02,10.5", "L2,A2,2025-01-03,inf", "L3,A3,2025-01-04,1e308"
            ),
        },
        1,
        [
            "orders.csv line 3, column 'amount': 'inf' is not a finite number",
            "orders.csv line 4, column 'amount': '1e308' is implausibly large",
            "below 1e15",
        ],
        why="one infinite or overflowing amount makes every sum and Pareto share meaningless",
    )
    case(
        "56_opportunity_amount_not_finite",
        {
            "accounts.csv": ACCOUNTS,
            "opportunities.csv": opp(won, "O2,A2,Closed Won,-Infinity,2025-01-10,2025-03-01,won"),
        },
        1,
        ["opportunities.csv line 3, column 'amount': '-Infinity' is not a finite number", "Fix:"],
    )

    imports()
    issue_12()


SF = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Created Date"\n'
    '"Ann Lee","Acme","Renewal","Closed Won","USD 12,345.00","11/23/2026","9/1/2026"\n'
    '"Bob Ray","Globex","New","Prospecting","USD 1,200.50","1/15/2027","10/2/2026"\n'
    '""\n"Grand Totals (2 records)"\n"Confidential Information - Do Not Distribute"\n'
)
HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline\n"
    "101,Big deal,closedwon,5000,2026-08-01 10:00,2026-06-01 09:30,Ann,Sales Pipeline\n"
)


def sf_with(extra: int) -> str:
    """The SF report with ``extra`` more good deals before its footer lines."""
    head, _, footer = SF.partition('""\n"Grand Totals')
    rows = "".join(
        f'"Eve Ng","Co {i}","Deal {i}","Prospecting","USD 100.00","12/1/2026","11/2/2026"\n'
        for i in range(extra)
    )
    return head + rows + '""\n"Grand Totals' + footer


def imports() -> None:
    """Bad exports for 'salesnb import' ({out} is replaced by a fresh folder in the test)."""
    imp = lambda *a: ["import", *a, "--out", "{out}"]  # noqa: E731
    case(
        "41_import_unbalanced_quote",
        {"report.csv": SF.replace('"Renewal"', '"Renewal')},
        1,
        ["report.csv line 2", "quote"],
        args=imp("report.csv", "--source", "salesforce"),
    )
    case(
        "42_import_truncated_xlsx",
        {"deals.xlsx": xlsx_bytes()[:900]},
        1,
        ["deals.xlsx", "damaged"],
        args=imp("deals.xlsx", "--source", "hubspot"),
    )
    case(
        "43_import_mixed_currencies",
        {"report.csv": SF.replace("USD 1,200.50", "EUR 1,200.50")},
        1,
        ["mix currencies (EUR, USD)"],
        args=imp("report.csv"),
    )
    case(
        "44_import_wrong_source",
        {"deals.csv": HUBSPOT},
        1,
        ["deals.csv", "no such column"],
        args=imp("deals.csv", "--source", "pipedrive"),
    )
    case(
        "45_import_unknown_layout",
        {"misc.csv": "a,b\n1,2\n"},
        2,
        ["cannot tell which CRM", "--mapping"],
        args=imp("misc.csv"),
    )
    case(
        "46_import_sf_export_without_rates",
        {
            "Opportunity.csv": "Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon,"
            "CurrencyIsoCode\n"
            "006A,001A,Big,Closed Won,1100,2026-03-31,2026-01-10 09:15:00,true,true,EUR\n"
            "006B,001B,Mid,Closed Lost,500,2026-04-15,2026-02-01 00:00:00,true,false,USD\n"
        },
        1,
        ["add CurrencyType.csv"],
        args=imp("Opportunity.csv", "--source", "salesforce"),
    )
    case(
        "47_import_bad_mapping",
        {"x.csv": "a\n1\n", "map.yml": "tables: {orders: {file: x.csv, colums: {}}}\n"},
        1,
        ["map.yml", "unknown key(s) colums"],
        args=imp("x.csv", "--mapping", "map.yml"),
    )
    case(
        "48_import_empty_export",
        {"report.csv": b""},
        1,
        ["report.csv", "empty"],
        args=imp("report.csv", "--source", "salesforce"),
    )
    case(
        "49_import_utf16_without_bom",
        {"report.csv": SF.encode("utf-16-le")},
        1,
        ["report.csv", "UTF-16"],
        args=imp("report.csv", "--source", "salesforce"),
    )
    case(
        "50_import_bad_date_rejected",
        {"report.csv": sf_with(18).replace("9/1/2026", "someday")},
        0,
        ["rejected 1", "created_date: not a date", "'someday' on line 2"],
        args=imp("report.csv", "--source", "salesforce"),
        why="one unreadable row in 20 (5%) is rejected with its reason; more would stop the import",
    )
    orders_map = (
        "tables:\n  orders:\n    file: orders.csv\n    columns: {order_id: Order ID, "
        "account_id: Customer, order_date: Order Date, amount: Sales}\n"
    )
    case(
        "51_import_ambiguous_dates",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n"
            "1,C1,03/01/19,10\n2,C1,04/02/19,20\n3,C2,11/12/19,30\n",
            "map.yml": orders_map,
        },
        1,
        [
            "orders.csv column 'Order Date' is ambiguous: '03/01/19' reads as 2019-01-03 "
            "(day first) or 2019-03-01 (month first); set reader: {dayfirst: true} or "
            "date_format in the mapping",
        ],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="no value decides between day/month/year and month/day/year: the import refuses to guess",
    )
    case(
        "52_import_mixed_date_orders",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n"
            "1,C1,13/01/19,10\n2,C1,01/13/19,20\n",
            "map.yml": orders_map,
        },
        1,
        ["orders.csv line 2, column 'Order Date'", "mix two orders", "'01/13/19' (line 3)"],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="one column holds dates that only day first and dates that only month first can read",
    )
    case(
        "53_import_too_many_rejected",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n"
            + "".join(
                f"{i},C1,2026-01-{i:02d},{'n.a.' if i % 4 == 0 else i}\n" for i in range(1, 21)
            ),
            "map.yml": orders_map,
        },
        1,
        [
            "5 of 20 rows (25.0%) of the orders table cannot be read, more than the 5%",
            "5 row(s): amount: not a number (e.g. 'n.a.' on line 5) (lines 5, 9, 13, 17, 21)",
            "max_rejected_share: 0.25 under tables.orders",
        ],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="a quarter of the amounts cannot be read: the import stops instead of dropping them",
    )
    case(
        "54_import_bad_max_rejected_share",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-01,10\n",
            "map.yml": orders_map + "    max_rejected_share: 25%\n",
        },
        1,
        ["map.yml line 5, tables.orders.max_rejected_share: give a share of rows between 0 and 1"],
        args=imp("orders.csv", "--mapping", "map.yml"),
    )


def issue_12() -> None:
    """Files that are not what their name says, and line numbers after multi-line values.

    FIFOs (named pipes) cannot be committed: tests/test_sources.py makes them at run time.
    """
    case(
        "57_accounts_without_key_column",
        {
            "accounts.csv": "id,account_name\nA1,Alpha\n",
            "contacts.csv": "contact_id,account_id,full_name\nC1,A1,Ann\n",
        },
        1,
        ["accounts.csv line 1, column 'account_id': required column 'account_id' is missing"],
        why="the foreign-key check of contacts must not look up a key column that is not there",
    )
    case(
        "58_orders_refer_to_accounts_without_key",
        {
            "accounts.csv": "id,account_name\nA1,Alpha\n",
            "orders.csv": ords_text("L1,A1,2025-01-02,10"),
        },
        1,
        ["accounts.csv line 1, column 'account_id': required column 'account_id' is missing"],
        why="the raw-line reader joins orders to the accounts' ids: there are none",
    )
    case(
        "59_products_without_key_column",
        {
            "products.csv": "sku,product_name\nP1,Widget\n",
            "orders.csv": ORD_HEAD + ",product_id\nL1,A1,2025-01-02,10,P1\n",
        },
        1,
        ["products.csv line 1, column 'product_id': required column 'product_id' is missing"],
    )
    case(
        "60_xlsx_readme_first_sheet",
        {
            "accounts.xlsx": workbook(
                {
                    "README": README_SHEET,
                    "Data": {"Account ID": ["A1", "A2"], "Account Name": ["Alpha", "Beta"]},
                }
            )
        },
        0,
        ["accounts", "0 error(s)"],
        why="workbooks often open on a README sheet: the table is found by its header",
    )
    case(
        "61_xlsx_no_sheet_with_the_table",
        {"accounts.xlsx": workbook({"README": README_SHEET, "Notes": {"id": ["A1"]}})},
        1,
        [
            "accounts.xlsx: no sheet holds the accounts table (sheets: 'README', 'Notes'); "
            "expected a first row with the columns account_id, account_name",
            "put the table on a sheet named 'accounts'",
        ],
    )
    case(
        "62_xlsx_sheet_named_like_the_table",
        {
            "accounts.xlsx": workbook(
                {"README": README_SHEET, "Accounts": {"id": ["A1"], "account_name": ["Alpha"]}}
            )
        },
        1,
        ["accounts.xlsx line 1, column 'account_id'", "columns found: id, account_name"],
        why="the sheet named like the table is the table's: its missing key column is the error",
    )
    case(
        "63_symlink_loop",
        {"accounts.csv": ACCOUNTS, "orders.csv": Link("orders.csv")},
        1,
        ["orders.csv: a symbolic link that loops", "replace the link with the file"],
    )
    case(
        "64_dangling_symlink",
        {"accounts.csv": Link("../exports/accounts_2025.csv")},
        1,
        ["accounts.csv: a symbolic link to ../exports/accounts_2025.csv, which does not exist"],
    )
    case(
        "65_folder_named_like_a_table",
        {
            "accounts.csv/README.txt": "the export went into a folder\n",
            "orders.csv": ords_text("L1,A1,2025-01-02,10"),
        },
        1,
        ["accounts.csv: a folder, not a file. Fix: put the file itself here, or rename the folder"],
        why="a folder named accounts.csv was silently skipped: the accounts table seemed absent",
    )
    case(
        "66_unknown_encoding_setting",
        {"accounts.csv": ACCOUNTS, "dataset.yml": "encoding: klingon\n"},
        1,
        [
            "dataset.yml line 1: setting 'encoding' must be a text encoding, got the text 'klingon'",
            "utf-8, cp1252 (Windows), latin-1 or utf-16",
        ],
    )
    case(
        "67_unknown_encoding_setting_raw_table",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords_text("L1,A1,2025-01-02,10"),
            "dataset.yml": "name: Acme\nencoding: utf-9\n",
        },
        1,
        ["dataset.yml line 2: setting 'encoding' must be a text encoding, got the text 'utf-9'"],
        why="the DuckDB reader decoded the first MiB with it and crashed",
    )
    spanning = 'A2,"Beta\nsecond line\nthird line"'
    case(
        "68_multiline_value_then_bad_cell",
        {
            "accounts.csv": "account_id,account_name,employees\nA1,Alpha,1\n"
            + spanning
            + ",2\nA3,Gamma,3\nA4,Delta,many\n"
        },
        1,
        ["accounts.csv line 7, column 'employees': 'many' is not a whole number"],
        why="the 2nd record spans lines 3-5: the 4th starts on line 7, not 5 (an editor's count)",
    )
    case(
        "69_orders_multiline_value_then_bad_cell",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords_text(
                "L1,A1,2025-01-02,10",
                'L2,"A2\nsecond line\nthird line",2025-01-03,20',
                "L3,A3,2025-01-04,30",
                "L4,A1,2025-01-05,12 EUR",
            ),
        },
        1,
        ["orders.csv line 7, column 'amount': '12 EUR' is not an amount"],
        why="DuckDB numbers records; the message names the physical line",
    )
    case(
        "70_orders_multiline_value_then_ragged_line",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": ords_text(
                "L1,A1,2025-01-02,10",
                'L2,"A2\nsecond line\nthird line",2025-01-03,20',
                "L3,A3,2025-01-04,30",
                "L4,A1,2025-01-05,12,50",
            ),
        },
        1,
        ["orders.csv line 7: the line does not split into the header's columns"],
    )
    case(
        "71_activities_blank_lines_then_bad_date",
        {
            "accounts.csv": ACCOUNTS,
            "activities.csv": "activity_id,account_id,activity_date,owner\r\nX1,A1,2025-01-02,Ann\r\n"
            '\r\nX2,A2,2025-01-03,"Bob\r\nand Cy"\r\nX3,A3,2025-02-30,Ann\r\n',
        },
        1,
        ["activities.csv line 6, column 'activity_date': '2025-02-30' is not a date"],
        why="a blank line, CRLF line ends and a two-line value before the bad date",
    )
    case(
        "72_ragged_line_after_multiline_value",
        {
            "accounts.csv": "account_id,account_name\nA1,Alpha\n"
            + spanning
            + "\nA3,Gamma\nA4,Delta, Inc\n"
        },
        1,
        ["accounts.csv line 7: 3 fields where the header has 2"],
    )
    case(
        "73_dataset_yml_is_a_folder",
        {"accounts.csv": ACCOUNTS, "dataset.yml/settings.yml": "currency: EUR\n"},
        1,
        ["dataset.yml: a folder, not a file"],
    )
    case(
        "74_dataset_yml_month_as_yes",
        {"accounts.csv": ACCOUNTS, "dataset.yml": "fiscal_year_start_month: yes\n"},
        1,
        [
            "dataset.yml line 1: setting 'fiscal_year_start_month' must be a month number 1-12, got yes/no (true)"
        ],
        why="YAML reads 'yes' as true, which Python counts as the number 1",
    )


def issue_12_more() -> None:
    """Mapping and settings files as an attacker writes them, workbooks that open on the
    wrong sheet, mixed line endings, and import line numbers after multi-line values."""
    imp = lambda *a: ["import", *a, "--out", "{out}"]  # noqa: E731
    orders_map = (
        "tables:\n  orders:\n    file: orders.*\n    columns: {order_id: Order ID, "
        "account_id: Customer, order_date: Order Date, amount: Sales}\n"
    )
    head = "order_id,account_id,order_date,amount"
    mixed = [head, "L1,A1,2025-01-02,10", "L2,A2,2025-01-03,20", "L3,A3,2025-01-04,30"]
    case(
        "75_orders_mixed_line_endings",
        {
            "accounts.csv": ACCOUNTS,
            "orders.csv": "\r\n".join(mixed[:2]) + "\r\n" + "\n".join(mixed[2:]) + "\n",
        },
        1,
        [
            "orders.csv line 3: mixes Windows (CRLF) and Unix (LF) line endings "
            "(line 1 ends with CRLF, line 3 with LF)",
            "save the file again with one kind of line ending",
        ],
        why="DuckDB's reader stops with 'state machine reached an invalid state'",
    )
    case(
        "76_import_multiline_value_then_bad_date",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n"
            '1,"Acme\nEurope\nWest",2026-01-01,10\n2,C1,2026-01-02,20\n'
            + "".join(f"{i},C1,2026-01-{i:02d},{i}\n" for i in range(3, 20))
            + "20,C2,2026-13-45,5\n",
            "map.yml": orders_map + "    max_rejected_share: 0\n",
        },
        1,
        ["order_date: not a date (e.g. '2026-13-45' on line 23)"],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="a quoted value over three lines: records and lines differ by two",
    )
    case(
        "77_import_xlsx_readme_first_sheet",
        {
            "orders.xlsx": workbook(
                {
                    "README": README_SHEET,
                    "Orders": {
                        "Order ID": ["1"],
                        "Customer": ["C1"],
                        "Order Date": ["2026-01-01"],
                        "Sales": [10],
                    },
                }
            ),
            "map.yml": orders_map,
        },
        1,
        [
            "orders.xlsx: the mapping takes 'order_id' from 'Order ID', but the sheet 'README' "
            "has no such column",
            "if the table is on another sheet ('Orders'), set reader: {sheet: NAME}",
        ],
        args=imp("orders.xlsx", "--mapping", "map.yml"),
    )
    case(
        "78_import_xlsx_no_such_sheet",
        {
            "orders.xlsx": workbook({"Sheet1": {"Order ID": ["1"]}}),
            "map.yml": orders_map + "    reader: {sheet: Orders}\n",
        },
        1,
        ["orders.xlsx: the workbook has no sheet 'Orders' (sheets: 'Sheet1')"],
        args=imp("orders.xlsx", "--mapping", "map.yml"),
    )
    case(
        "79_import_mapping_alias_bomb",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-01,10\n",
            "map.yml": "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + orders_map,
        },
        1,
        ["map.yml line 1: YAML anchors and aliases (&name, *name) are not accepted"],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="the billion-laughs alias bomb: refused at the first anchor, in milliseconds",
    )
    case(
        "80_import_mapping_python_tag",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-01,10\n",
            "map.yml": "name: !!python/object/apply:os.system [touch pwned]\n" + orders_map,
        },
        1,
        ["map.yml line 1: the YAML tag !!python/object/apply:os.system is not accepted"],
        args=imp("orders.csv", "--mapping", "map.yml"),
    )
    case(
        "81_import_mapping_unknown_key_located",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-01,10\n",
            "map.yml": orders_map + "    dayfirst: true\n",
        },
        1,
        [
            "map.yml line 5, tables.orders: unknown key(s) dayfirst",
            "known keys are cases, columns",
        ],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="dayfirst belongs under reader:",
    )
    case(
        "82_dataset_yml_alias",
        {"accounts.csv": ACCOUNTS, "dataset.yml": "name: &n Acme\ncurrency: *n\n"},
        1,
        ["dataset.yml line 1: YAML anchors and aliases (&name, *name) are not accepted"],
    )
    case(
        "83_import_mapping_key_given_twice",
        {
            "orders.csv": "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-01,10\n",
            "map.yml": orders_map + "  orders:\n    file: other.csv\n",
        },
        1,
        ["map.yml line 5: tables.orders is given twice (lines 2 and 5)"],
        args=imp("orders.csv", "--mapping", "map.yml"),
        why="a second 'orders:' entry silently replaced the first",
    )


def ords_text(*rows: str) -> str:
    return "\n".join([ORD_HEAD, *rows]) + "\n"


if __name__ == "__main__":
    # no argument: every case; else only the named groups (e.g. issue_12), so the committed
    # bytes of the other cases (workbooks carry a creation time) stay as they are
    groups = {
        "main": main,
        "imports": imports,
        "issue_12": issue_12,
        "issue_12_more": issue_12_more,
    }
    for group in sys.argv[1:] or ["main"]:
        groups[group]()
