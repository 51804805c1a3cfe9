"""salesnb.sources: reading canonical folders in every format, raw tables via DuckDB."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_digest

from salesnb import sources
from salesnb.schema import TABLES, DataError, UsageError

ACCOUNTS = "account_id,account_name,employees\nA1,Alpha,10\nA2,Beta,20\nA3,Gamma,30\n"
ORDERS = (
    "order_id,account_id,order_date,amount\n"
    "L1,A1,2026-07-01,100.50\nL2,A1,2026-08-15,-20.50\nL3,A2,2026-09-30,50\n"
    "L4,,2026-09-01,7\nL5,A3,2026-06-30,1000\n"
)


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def test_revenue_by_account_from_raw_orders(tmp_path):
    ds = sources.load_dataset(
        write(tmp_path / "d", {"accounts.csv": ACCOUNTS, "orders.csv": ORDERS})
    )
    assert ds.rows == {"accounts": 3, "orders": 5}
    assert "orders" in ds.raw and "orders" not in ds.tables
    q3 = ds.sql(
        "SELECT account_id, sum(amount) AS revenue FROM orders "
        "WHERE order_date BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' AND account_id IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
    )
    # hand-worked: A1 = 100.50 - 20.50 = 80; A2 = 50; A3's line is in Q2; the line without account is left out
    assert q3["account_id"].tolist() == ["A1", "A2"]
    assert q3["revenue"].tolist() == [80.0, 50.0]
    gap = [p for p in ds.findings if p.file == "orders.csv"]
    assert (
        len(gap) == 1
        and gap[0].column == "account_id"
        and gap[0].count == 1
        and "L4" in gap[0].examples
    )


def test_raw_table_view_has_canonical_types(tmp_path):
    ds = sources.load_dataset(
        write(tmp_path / "d", {"accounts.csv": ACCOUNTS, "orders.csv": ORDERS})
    )
    types = ds.sql("SELECT typeof(order_date) AS d, typeof(amount) AS a FROM orders LIMIT 1")
    assert types.iloc[0].tolist() == ["DATE", "DOUBLE"]


def test_parquet_and_excel_tables(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    acc = pd.DataFrame(
        {
            "account_id": ["007", "A2"],
            "account_name": ["Alpha", "Beta"],
            "year_founded": [1999, 2020],
        }
    )
    acc.to_excel(folder / "accounts.xlsx", index=False)
    orders = pd.DataFrame(
        {
            "order_id": ["L1", "L2"],
            "account_id": ["007", "A2"],
            "order_date": pd.to_datetime(["2026-01-02", "2026-02-03"]),
            "amount": [10.0, 5.5],
        }
    )
    orders.to_parquet(folder / "orders.parquet")
    ds = sources.load_dataset(folder)
    accounts = ds.table("accounts")
    assert accounts["account_id"].tolist() == [
        "007",
        "A2",
    ]  # Excel numbers do not eat leading zeros
    assert accounts["year_founded"].tolist() == [1999, 2020]
    assert ds.sql("SELECT sum(amount) AS s FROM orders")["s"].iloc[0] == 15.5


def test_parquet_bad_values_are_located_by_row(tmp_path):
    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS})
    pd.DataFrame(
        {
            "order_id": ["L1", "L2", "L3"],
            "account_id": ["A1", "A1", "A2"],
            "order_date": ["2026-01-01", "soon", "2026-01-03"],
            "amount": ["1", "2", "x"],
        }
    ).to_parquet(folder / "orders.parquet")
    ds = sources.read_dataset(folder)
    described = sorted(p.describe() for p in ds.errors)
    assert described[0].startswith(
        "orders.parquet row 2, column 'order_date': 'soon' is not a date"
    )
    assert described[1].startswith("orders.parquet row 3, column 'amount': 'x' is not an amount")


def test_latin1_raw_table_is_read_with_a_finding(tmp_path):
    folder = write(
        tmp_path / "d",
        {
            "accounts.csv": ACCOUNTS,
            "activities.csv": "activity_id,account_id,activity_date,owner\nX1,A1,2026-01-01,Jos\xe9\n".encode(
                "latin-1"
            ),
        },
    )
    ds = sources.load_dataset(folder)
    assert ds.sql("SELECT owner FROM activities")["owner"].tolist() == ["José"]
    assert any("latin-1" in p.problem for p in ds.findings)


def test_semicolon_delimited_small_table(tmp_path):
    ds = sources.load_dataset(
        write(tmp_path / "d", {"accounts.csv": "account_id;account_name\nA1;Alpha\n"})
    )
    assert ds.table("accounts")["account_name"].tolist() == ["Alpha"]


def test_categories_outside_the_list_become_missing(tmp_path):
    ds = sources.load_dataset(
        write(
            tmp_path / "d",
            {
                "accounts.csv": ACCOUNTS,
                "opportunities.csv": "opportunity_id,account_id,stage,amount,created_date,close_date,outcome\n"
                "O1,A1,Won,5,2026-01-01,2026-02-01,Won\nO2,A1,Won,5,2026-01-01,2026-02-01,maybe\n",
            },
        )
    )
    assert ds.table("opportunities")["outcome"].tolist()[0] == "won"
    assert pd.isna(ds.table("opportunities")["outcome"].iloc[1])


def test_load_dataset_raises_with_every_error(tmp_path):
    folder = write(
        tmp_path / "d", {"accounts.csv": "account_id,account_name\nA1,x\nA1,y\n", "cases.csv": b""}
    )
    with pytest.raises(DataError) as info:
        sources.load_dataset(folder)
    assert len(info.value.problems) == 2
    assert "accounts.csv line 2" in str(info.value) and "cases.csv" in str(info.value)


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        sources.read_dataset(tmp_path / "nope")


def test_single_table_file(tmp_path):
    write(tmp_path, {"accounts.csv": ACCOUNTS})
    ds = sources.load_dataset(tmp_path / "accounts.csv")
    assert ds.rows == {"accounts": 3}


def test_missing_table_message(tmp_path):
    ds = sources.load_dataset(write(tmp_path / "d", {"accounts.csv": ACCOUNTS}))
    with pytest.raises(DataError, match="no 'orders' table"):
        ds.table("orders")


def test_reading_never_modifies_inputs(tmp_path, demo_dir):
    before = tree_digest(demo_dir)
    sources.read_dataset(demo_dir)
    assert tree_digest(demo_dir) == before


def test_demo_reads_clean(demo_dir):
    ds = sources.load_dataset(demo_dir)
    assert ds.errors == []
    assert ds.settings.currency == "USD"
    opps = ds.table("opportunities")
    assert str(opps["amount"].dtype) == "float64"
    assert pd.api.types.is_datetime64_any_dtype(opps["close_date"])
    assert ds.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0] == 25_000


def test_parquet_data_set_reads_like_csv(tmp_path):
    from salesnb.datasets import DemoSpec, write_demo

    spec = DemoSpec(accounts=30, order_lines=200, activity_lines=50)
    write_demo(tmp_path / "csv", spec)
    write_demo(tmp_path / "pq", spec, fmt="parquet")
    a, b = sources.load_dataset(tmp_path / "csv"), sources.load_dataset(tmp_path / "pq")
    assert a.rows == b.rows
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_dtype=False, obj=name)
    total = "SELECT round(sum(amount), 2) AS s FROM orders"
    assert a.sql(total)["s"].iloc[0] == b.sql(total)["s"].iloc[0]


def test_inch_marks_and_commas_in_quoted_values_are_not_stray_quotes(tmp_path):
    text = (
        'product_id,product_name,family\nP1,"Frame, 3.5"" x 5""",office\nP2,"Cart 8.5""",office\n'
    )
    ds = sources.load_dataset(write(tmp_path / "d", {"products.csv": text}))
    assert ds.table("products")["product_name"].tolist() == ['Frame, 3.5" x 5"', 'Cart 8.5"']


def by_text(problems, text):
    found = [p for p in problems if text in p.problem]
    assert len(found) == 1, [p.describe() for p in problems]
    return found[0]


def test_raw_orders_with_infinite_and_huge_amounts_are_errors(tmp_path):
    orders = (
        "order_id,account_id,order_date,amount\n"
        "L1,A1,2026-07-01,100.5\n"  # line 2
        "L2,A1,2026-07-02,inf\n"  # line 3: infinite
        "L3,A2,2026-07-03,1e308\n"  # line 4: overflows any sum
        "L4,A2,2026-07-04,-nan\n"  # line 5: not-a-number written as a number
        "L5,A3,2026-07-05,nan\n"  # line 6: the missing-value token
        "L6,A3,2026-07-06,NA\n"  # line 7: missing
        "L7,A3,2026-07-07,-Infinity\n"  # line 8: infinite
        "L8,A3,2026-07-08,999999999999999\n"  # line 9: large, but below 1e15
    )
    ds = sources.read_dataset(
        write(tmp_path / "d", {"accounts.csv": ACCOUNTS, "orders.csv": orders})
    )
    infinite = by_text(ds.errors, "not a finite number")
    assert (infinite.file, infinite.line, infinite.column, infinite.count) == (
        "orders.csv",
        3,
        "amount",
        3,
    )
    assert infinite.problem.startswith("'inf' is not a finite number")
    assert "lines 5, 8" in infinite.examples and "'-Infinity'" in infinite.examples
    assert "division by zero" in infinite.fix
    huge = by_text(ds.errors, "implausibly large")
    assert (
        (huge.line, huge.count) == (4, 1) and "'1e308'" in huge.problem and "1e15" in huge.problem
    )
    assert len(ds.errors) == 2
    gap = by_text(ds.findings, "no value")
    assert (
        (gap.column, gap.count) == ("amount", 2) and "L5" in gap.examples and "L6" in gap.examples
    )
    # the analysis view never sums a non-finite or absurd value: 100.5 + 999,999,999,999,999
    total = ds.sql("SELECT sum(amount) AS s, count(amount) AS n FROM orders").iloc[0]
    assert (total["s"], total["n"]) == (999999999999999.0 + 100.5, 2)


def test_raw_parquet_infinite_amount_is_an_error_and_nan_is_missing(tmp_path):
    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS})
    pd.DataFrame(
        {
            "order_id": ["L1", "L2", "L3", "L4"],
            "account_id": ["A1", "A1", "A2", "A2"],
            "order_date": pd.to_datetime(["2026-01-01"] * 4),
            "amount": [10.0, float("inf"), float("nan"), 2e300],
        }
    ).to_parquet(folder / "orders.parquet")
    ds = sources.read_dataset(folder)
    described = sorted(p.describe() for p in ds.errors)
    assert len(described) == 2
    assert described[0].startswith("orders.parquet row 2, column 'amount': 'inf' is not a finite")
    assert described[1].startswith("orders.parquet row 4, column 'amount': '2e+300' is implausibly")
    gap = by_text(ds.findings, "no value")  # a NaN float is Parquet's "no value"
    assert (gap.column, gap.count) == ("amount", 1)
    assert ds.sql("SELECT sum(amount) AS s FROM orders")["s"].iloc[0] == 10.0


def test_raw_tables_apply_missing_tokens_by_column_kind(tmp_path):
    activities = (
        "activity_id,account_id,activity_date,activity_type,owner\n"
        "X1,A1,2026-01-01,none,NA\n"
        "X2,A2,2026-01-02,NA,Bob\n"
        "X3,NULL,N/A,n/a,none\n"
        "X4,A3,2026-01-04,call,-\n"
    )
    ds = sources.read_dataset(
        write(tmp_path / "d", {"accounts.csv": ACCOUNTS, "activities.csv": activities})
    )
    got = ds.sql("SELECT * FROM activities ORDER BY activity_id")
    # category: 'none' and 'NA' are values (normalised to lower case, as in small tables),
    # 'n/a' is missing; id, text, date: every token is missing
    assert got["activity_type"].tolist()[:2] == ["none", "na"]
    assert pd.isna(got["activity_type"].iloc[2]) and got["activity_type"].iloc[3] == "call"
    assert got["owner"].isna().tolist() == [True, False, True, True]
    assert got["account_id"].isna().tolist() == [False, False, True, False]
    assert pd.isna(got["activity_date"].iloc[2])
    assert ds.errors == []
    assert {p.column for p in ds.findings} == {"account_id", "activity_date"}


def test_check_repairs_mojibake_in_memory_with_a_finding(tmp_path):
    text = (
        "account_id,account_name,owner\n"
        "A1,MartÃ\u00adn Sommer,JosÃ© Ruiz\n"  # UTF-8 bytes once read as Windows-1252
        "A2,Müller GmbH,Zoë\n"  # correct accents stay as they are
        "A3,MartÃ\u00adn Sommer,Ann\n"
    )
    folder = write(tmp_path / "d", {"accounts.csv": text})
    before = tree_digest(folder)
    ds = sources.load_dataset(folder)
    accounts = ds.table("accounts")
    assert accounts["account_name"].tolist() == ["Martín Sommer", "Müller GmbH", "Martín Sommer"]
    assert accounts["owner"].tolist() == ["José Ruiz", "Zoë", "Ann"]
    name, owner = sorted(ds.findings, key=lambda p: p.column)
    assert (name.file, name.column, name.line) == ("accounts.csv", "account_name", 2)
    assert (owner.column, owner.line) == ("owner", 2) and owner.problem.startswith("1 cell(s)")
    assert name.problem.startswith("2 cell(s) repaired from mojibake")
    assert "'MartÃ\\xadn Sommer' -> 'Martín Sommer'" in name.problem
    assert "unchanged" in name.fix
    assert tree_digest(folder) == before  # repaired in memory only


def test_repair_mojibake_leaves_correct_text_alone():
    s = pd.Series(["SÃO PAULO", "Ärzte", "Ça va", "naïve", None, "â€œQuoteâ€\x9d", "Â£100"])
    fixed, repair = sources.repair_mojibake(s)
    assert fixed.tolist()[:4] == ["SÃO PAULO", "Ärzte", "Ça va", "naïve"]
    assert pd.isna(fixed.iloc[4]) and fixed.tolist()[5:] == ["\u201cQuote\u201d", "£100"]
    assert repair.cells == 2 and s.iloc[5] == "â€œQuoteâ€\x9d"  # input not changed


# --------------------------------------------------------------------------- issue 12
def only_error(ds) -> str:
    """The one error of a data set, as the CLI prints it."""
    assert len(ds.errors) == 1, [p.describe() for p in ds.errors]
    return ds.errors[0].describe()


@pytest.mark.parametrize(
    "files",
    [
        {
            "accounts.csv": "name,account_name\nx,Alpha\n",
            "contacts.csv": "contact_id,account_id\nC1,A1\n",
        },
        {"accounts.csv": "name,account_name\nx,Alpha\n", "orders.csv": ORDERS},
        {
            "products.csv": "product_name\nWidget\n",
            "orders.csv": "order_id,account_id,order_date,amount,product_id\nL1,A1,2026-07-01,5,P1\n",
        },
    ],
    ids=[
        "small_table_refers_to_keyless_accounts",
        "raw_orders_refer_to_keyless_accounts",
        "raw_orders_refer_to_keyless_products",
    ],
)
def test_a_table_without_its_key_column_is_a_located_error(tmp_path, files):
    ds = sources.read_dataset(write(tmp_path / "d", files))
    table = "products" if "products.csv" in files else "accounts"
    key = f"{table[:-1]}_id"
    assert only_error(ds).startswith(
        f"{table}.csv line 1, column '{key}': required column '{key}' is missing"
    )
    assert not any("not in" in p.problem for p in ds.problems)  # no orphan check against nothing


def test_unknown_encoding_setting_names_the_setting_and_examples(tmp_path):
    folder = write(
        tmp_path / "d",
        {"accounts.csv": ACCOUNTS, "orders.csv": ORDERS, "dataset.yml": "encoding: klingon\n"},
    )
    assert only_error(sources.read_dataset(folder)) == (
        "dataset.yml line 1: setting 'encoding' must be a text encoding, got the text 'klingon'. "
        "Fix: write "
        "an encoding such as utf-8, cp1252 (Windows), latin-1 or utf-16, or delete the line to "
        "let the kit detect it"
    )


@pytest.mark.parametrize("value", ["rot13", "42", "''", "[utf-8]"])
def test_encoding_setting_must_be_a_text_encoding(tmp_path, value):
    folder = write(
        tmp_path / "d", {"accounts.csv": ACCOUNTS, "dataset.yml": f"encoding: {value}\n"}
    )
    assert "setting 'encoding'" in only_error(sources.read_dataset(folder))


def test_known_encoding_setting_is_used(tmp_path):
    folder = write(
        tmp_path / "d",
        {
            "accounts.csv": "account_id,account_name\nA1,Café\n".encode("cp1252"),
            "dataset.yml": "encoding: cp1252\n",
        },
    )
    ds = sources.load_dataset(folder)
    assert ds.settings.encoding == "cp1252" and ds.table("accounts")["account_name"][0] == "Café"


@pytest.mark.parametrize("text", ["1: a\nb: 2\n", "fiscal_year_start_month: true\n"])
def test_odd_dataset_yml_keys_and_values_are_errors(tmp_path, text):
    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS, "dataset.yml": text})
    assert only_error(sources.read_dataset(folder)).startswith("dataset.yml line 1: ")


def test_symlink_loop_is_an_error_not_a_hang(tmp_path):
    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS})
    (folder / "orders.csv").symlink_to("orders.csv")
    ds = sources.read_dataset(folder)
    assert only_error(ds) == (
        "orders.csv: a symbolic link that loops (it points, directly or not, at itself). "
        "Fix: replace the link with the file it should point at"
    )
    assert ds.rows == {"accounts": 3}  # the other tables are still checked


def test_dangling_symlink_is_an_error(tmp_path):
    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS})
    (folder / "orders.csv").symlink_to("gone.csv")
    assert "a symbolic link to gone.csv, which does not exist" in only_error(
        sources.read_dataset(folder)
    )


@pytest.mark.parametrize("name", ["accounts.csv", "orders.csv", "dataset.yml"])
def test_fifo_named_like_a_table_is_refused_at_once(tmp_path, name):
    folder = write(tmp_path / "d", {"contacts.csv": "contact_id,account_id\nC1,A1\n"})
    os.mkfifo(folder / name)  # opening it for reading would block forever
    assert only_error(sources.read_dataset(folder)) == (
        f"{name}: a named pipe (FIFO), not a regular file; it is not read. "
        "Fix: replace it with the exported file"
    )


def test_fifo_given_as_the_single_table_file(tmp_path):
    os.mkfifo(tmp_path / "orders.csv")
    assert "a named pipe (FIFO)" in only_error(sources.read_dataset(tmp_path / "orders.csv"))


def test_folder_named_like_a_table_is_reported(tmp_path):
    folder = write(tmp_path / "d", {"orders.csv": ORDERS})
    (folder / "accounts.csv").mkdir()
    ds = sources.read_dataset(folder)
    assert only_error(ds) == (
        "accounts.csv: a folder, not a file. Fix: put the file itself here, or rename the folder"
    )
    assert ds.rows == {"orders": 5}


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path) as book:
        for name, df in sheets.items():
            df.to_excel(book, sheet_name=name, index=False)
    return path


README = pd.DataFrame({"About": ["Accounts exported for the Q3 review", "Owner: sales ops"]})


def test_workbook_table_is_found_behind_a_readme_sheet(tmp_path):
    data = pd.DataFrame({"Account ID": ["A1", "A2"], "Account Name": ["Alpha", "Beta"]})
    path = write_workbook(tmp_path / "d" / "accounts.xlsx", {"README": README, "Data": data})
    ds = sources.load_dataset(path.parent)
    assert ds.table("accounts")["account_id"].tolist() == ["A1", "A2"]


def test_workbook_sheet_named_like_the_table_is_read(tmp_path):
    data = pd.DataFrame({"id": ["A1"], "account_name": ["Alpha"]})
    path = write_workbook(tmp_path / "d" / "accounts.xlsx", {"README": README, "Accounts": data})
    # the sheet is the table's, so its missing key column is the error (not the README's columns)
    assert "columns found: id, account_name" in only_error(sources.read_dataset(path.parent))


def test_workbook_without_the_table_names_its_sheets(tmp_path):
    notes = pd.DataFrame({"id": ["A1"]})
    path = write_workbook(tmp_path / "d" / "accounts.xlsx", {"README": README, "Notes": notes})
    assert only_error(sources.read_dataset(path.parent)) == (
        "accounts.xlsx: no sheet holds the accounts table (sheets: 'README', 'Notes'); expected "
        "a first row with the columns account_id, account_name. Fix: put the table on a sheet "
        "named 'accounts', or give its first row those column names"
    )


def test_raw_table_workbook_behind_a_readme_sheet(tmp_path):
    orders = pd.read_csv(io.StringIO(ORDERS), dtype=str)
    path = write_workbook(tmp_path / "d" / "orders.xlsx", {"README": README, "lines": orders})
    assert sources.read_dataset(path.parent).rows == {"orders": 5}


# the 2nd record spans physical lines 3-5, so the 4th record starts on line 7 (not 5)
SPANNING = 'A2,"Beta\nsecond line\nthird line"'


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        (
            "accounts.csv",
            f"account_id,account_name,employees\nA1,Alpha,1\n{SPANNING},2\nA3,Gamma,3\n"
            "A4,Delta,many\n\nA5,Eps,few\n",
            "accounts.csv line 7, column 'employees': 'many' is not a whole number (2 rows; "
            "e.g. lines 9",
        ),
        (
            "orders.csv",
            f"order_id,account_id,order_date,amount\nL1,A1,2026-01-01,1\nL2,{SPANNING[3:]},"
            "2026-01-02,2\nL3,A3,2026-01-03,3\nL4,A1,2026-01-04,12 EUR\n\nL5,A1,2026-01-05,x\n",
            "orders.csv line 7, column 'amount': '12 EUR' is not an amount (2 rows; e.g. lines 9",
        ),
        (
            "activities.csv",
            f"activity_id,account_id,owner,activity_date\nX1,A1,Ann,2026-01-01\nX2,A2,{SPANNING[3:]},"
            "2026-01-02\nX3,A3,Bob,2026-01-03\nX4,A1,Cy,2026-02-30\n",
            "activities.csv line 7, column 'activity_date': '2026-02-30' is not a date",
        ),
        (
            "accounts.csv",
            f"account_id,account_name\nA1,Alpha\n{SPANNING}\nA3,Gamma\nA4,Delta,x\n",
            "accounts.csv line 7: 3 fields where the header has 2",
        ),
        (
            "orders.csv",
            f"order_id,account_id,order_date,amount\nL1,A1,2026-01-01,1\nL2,{SPANNING[3:]},"
            "2026-01-02,2\nL3,A3,2026-01-03,3\nL4,A1,2026-01-04,4,5\n",
            "orders.csv line 7: the line does not split into the header's columns",
        ),
        (
            "accounts.csv",
            f'account_id,account_name\nA1,Alpha\n{SPANNING}\nA3,Gamma\nA4,"Delta\nA5,Eps\n',
            "accounts.csv line 7: a quote opened here is never closed",
        ),
        (
            "accounts.csv",
            f"account_id,account_name\r\nA1,Alpha\r\n{SPANNING.replace(chr(10), chr(13) + chr(10))}"
            "\r\nA3,Gamma\r\nA4,=cmd\r\n",
            "accounts.csv line 7, column 'account_name': text starts with = + - or @",
        ),
    ],
    ids=[
        "small_table_bad_cell",
        "raw_orders_bad_cell",
        "raw_activities_bad_date",
        "small_table_ragged",
        "raw_orders_ragged",
        "small_table_unclosed_quote",
        "crlf_finding",
    ],
)
def test_lines_are_physical_lines_after_a_value_spanning_lines(tmp_path, name, text, expect):
    ds = sources.read_dataset(write(tmp_path / "d", {name: text}))
    described = [p.describe() for p in ds.problems]
    assert any(d.startswith(expect) for d in described), described


def test_latin1_raw_table_lines_are_physical_lines(tmp_path):
    text = (
        "order_id,account_id,order_date,amount\r\nL1,A1,2026-01-01,1\r\n"
        'L2,"Café\r\nMüller",2026-01-02,2\r\nL3,A1,2026-13-01,3\r\n'
    )
    ds = sources.read_dataset(write(tmp_path / "d", {"orders.csv": text.encode("latin-1")}))
    assert [p.describe()[:52] for p in ds.errors] == [
        "orders.csv line 5, column 'order_date': '2026-13-01'"
    ]


@pytest.fixture
def within_seconds():
    """Fail (instead of hanging the run) when the test body takes longer than 20 s."""
    import signal

    def expired(*_):
        raise TimeoutError("the check blocked: a FIFO was opened")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("name", ["accounts.csv", "orders.csv"])
def test_check_command_refuses_a_fifo_at_once(tmp_path, run_cli, within_seconds, name):
    folder = write(tmp_path / "d", {"contacts.csv": "contact_id,account_id\nC1,A1\n"})
    os.mkfifo(folder / name)
    result = run_cli("check", folder)
    text = result.out + result.err
    assert result.code == 1 and "Traceback" not in text
    assert f"ERROR    {name}: a named pipe (FIFO), not a regular file" in text


def test_damaged_parquet_raw_table_is_an_error_never_a_crash(tmp_path):
    orders = pd.read_csv(io.StringIO(ORDERS), dtype=str).assign(
        amount=lambda d: pd.to_numeric(d["amount"])
    )
    buf = io.BytesIO()
    orders.to_parquet(buf, index=False)
    good = buf.getvalue()
    folder = tmp_path / "d"
    folder.mkdir()
    unreadable = 0
    for at in range(4, 120):  # flip one byte of the header, pages and column chunks
        damaged = bytearray(good)
        damaged[at] ^= 0xFF
        (folder / "orders.parquet").write_bytes(bytes(damaged))
        ds = sources.read_dataset(folder)  # DuckDB's Thrift errors used to escape here
        broken = [p for p in ds.errors if p.problem.startswith("cannot be read as a table")]
        unreadable += bool(broken)
        assert all(p.file == "orders.parquet" for p in broken)
    assert unreadable > 10


@pytest.mark.parametrize("start", ["\r", "\n", "\r\n", " \n"])
def test_raw_table_starting_with_a_blank_line_is_located(tmp_path, start):
    ds = sources.read_dataset(write(tmp_path / "d", {"orders.csv": start + ORDERS}))
    assert only_error(ds) == (
        "orders.csv line 1: the first line is blank, but it must hold the column names. "
        "Fix: remove the blank lines before the header"
    )


def test_row_lines_counts_lines_as_an_editor_does():
    text = 'id,name\n\nA1,"two\r\nlines"\nA2,x\n   \nA3,"a ""quoted"" word"\nA4,y\n'
    # lines: 1 header, 2 blank, 3-4 A1, 5 A2, 6 spaces only (pandas skips it), 7 A3, 8 A4
    rows = len(pd.read_csv(io.StringIO(text), dtype=str))
    assert sources.row_lines(text, ",", rows).tolist() == [3, 5, 7, 8]
    assert sources.row_lines("id,name\nA1,x\nA2,y\n", ",", 2).tolist() == [2, 3]


@pytest.mark.parametrize(("setting", "used"), [("UTF8", "utf-8"), ("latin1", "latin-1")])
def test_encoding_setting_aliases_reach_the_raw_reader(tmp_path, setting, used):
    data = ORDERS.replace("L1,", "L1é,") if used == "latin-1" else ORDERS
    folder = write(
        tmp_path / "d",
        {"orders.csv": data.encode(used), "dataset.yml": f"encoding: {setting}\n"},
    )
    ds = sources.load_dataset(folder)
    assert ds.rows == {"orders": 5}
    assert ds.sql("SELECT min(order_id) AS o FROM orders")["o"][0] == (
        "L1é" if used == "latin-1" else "L1"
    )


def test_encoding_setting_the_raw_reader_cannot_use(tmp_path):
    folder = write(tmp_path / "d", {"orders.csv": ORDERS, "dataset.yml": "encoding: cp1252\n"})
    assert only_error(sources.read_dataset(folder)) == (
        "orders.csv: large tables are read as utf-8, utf-16 or latin-1 only, but dataset.yml "
        "sets encoding: cp1252. Fix: save orders.csv as 'CSV UTF-8' (and delete the encoding "
        "line), or set encoding: latin-1 if that reads it right"
    )


@pytest.mark.parametrize(
    ("ids", "increasing", "repeated"),
    [
        (["L1", None, "L2", "L3", "L4"], True, None),  # sorted: proved unique in one pass
        (["L1", "L2", "L2", "L3", "L4"], False, "L2"),  # sorted, a repeat side by side
        (["L3", "L1", "L2", "L4", "L1"], False, "L1"),  # unsorted: counted by hash
        (["L1", "L2", "NULL", "null", "L4"], False, None),  # tokens repeat, keys do not
    ],
)
def test_raw_parquet_keys_repeated_or_not_whatever_their_order(tmp_path, ids, increasing, repeated):
    from salesnb.dataset.raw import sorted_key

    folder = write(tmp_path / "d", {"accounts.csv": ACCOUNTS})
    pd.DataFrame(
        {
            "order_id": ids,
            "account_id": ["A1"] * 5,
            "order_date": pd.to_datetime(["2026-01-01"] * 5),
            "amount": [1.0] * 5,
        }
    ).to_parquet(folder / "orders.parquet", row_group_size=2)  # the pass crosses row groups
    path = folder / "orders.parquet"
    assert sorted_key(path, TABLES["orders"]) is increasing
    ds = sources.read_dataset(folder)
    repeats = [p for p in ds.errors if p.column == "order_id" and "more than once" in p.problem]
    if repeated:
        assert len(repeats) == 1 and repeats[0].examples == f"order_id {repeated}, {repeated}"
    else:
        assert repeats == [] and ds.rows["orders"] == 5
