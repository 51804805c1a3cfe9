"""salesnb.schema: parsing and rules on small hand-made frames with known answers."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb import schema
from salesnb.schema import TABLES, Problem, check_table, check_text, parse_table, problems_frame


def frame(rows: dict[str, list], start: int = 2) -> pd.DataFrame:
    df = pd.DataFrame(rows, dtype="str")
    df.index = pd.RangeIndex(start, start + len(df))
    return df


def by_rule(problems: list[Problem], text: str) -> Problem:
    found = [p for p in problems if text in p.problem]
    assert len(found) == 1, [p.describe() for p in problems]
    return found[0]


def test_every_table_has_its_key_among_required_columns():
    for table in TABLES.values():
        assert set(table.key) <= set(table.required), table.name
        assert len(set(table.names)) == len(table.names)


def test_parse_types_and_missing_tokens():
    df = frame(
        {
            "account_id": ["007", " A2 ", "A3"],
            "account_name": ["Alpha", "NA", "Gamma"],
            "employees": ["120", "", "1e3"],
            "is_global": ["yes", "FALSE", "n/a"],
            "industry": ["Financial Services", "retail", "-"],
        }
    )
    typed, problems, unparsed = parse_table(df, TABLES["accounts"], file="accounts.csv")
    assert problems == [] and unparsed.empty
    assert typed["account_id"].tolist() == ["007", "A2", "A3"]  # ids stay strings
    assert typed["account_name"].isna().tolist() == [False, True, False]
    assert typed["employees"].tolist()[0] == 120 and typed["employees"].tolist()[2] == 1000
    assert pd.isna(typed["employees"].iloc[1])
    assert typed["is_global"].tolist()[:2] == [True, False] and pd.isna(typed["is_global"].iloc[2])
    assert typed["industry"].tolist()[:2] == ["financial_services", "retail"]
    assert list(typed.index) == [2, 3, 4]


def test_parse_dates_strict_iso_and_timestamps():
    df = frame(
        {
            "case_id": ["1", "2", "3", "4"],
            "account_id": ["A", "A", "A", "A"],
            "opened_date": ["2026-03-31", "2026-03-31 17:45:00", "31/03/2026", "2026-02-30"],
        }
    )
    typed, problems, unparsed = parse_table(df, TABLES["cases"], file="cases.csv")
    assert typed["opened_date"].iloc[0] == pd.Timestamp("2026-03-31")
    assert typed["opened_date"].iloc[1] == pd.Timestamp("2026-03-31")  # time of day dropped
    p = by_rule(problems, "is not a date")
    assert (p.line, p.column, p.count, p.severity) == (4, "opened_date", 2, "error")
    assert p.problem == "'31/03/2026' is not a date"
    assert "lines 5" in p.examples
    assert list(unparsed) == [4, 5]


def test_missing_required_column_names_the_columns_found():
    df = frame({"opportunity_id": ["1"], "account_id": ["A"], "stage": ["x"]})
    _, problems, _ = parse_table(df, TABLES["opportunities"], file="o.csv")
    missing = sorted(p.column for p in problems)
    assert missing == ["amount", "close_date", "created_date"]
    assert all(
        p.severity == "error" and "opportunity_id, account_id, stage" in p.problem for p in problems
    )


def test_header_names_are_normalised():
    df = frame({"Account ID": ["A1"], "Account Name": ["Alpha"]})
    typed, problems, _ = parse_table(df, TABLES["accounts"], file="a.csv")
    assert problems == [] and list(typed.columns) == ["account_id", "account_name"]


def test_opportunity_rules_hand_worked():
    df = frame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O5"],
            "account_id": ["A1", "A1", "ZZ", None, "A1", "A1"],
            "stage": ["Won", "Won", "Lost", "Propose", "Propose", "Propose"],
            "amount": ["100", None, "50", None, "-3", "7"],
            "created_date": [
                "2026-01-01",
                "2026-01-01",
                "2026-02-01",
                "2026-01-01",
                "2026-01-01",
                "2026-01-01",
            ],
            "close_date": [
                "2026-02-01",
                "2026-02-01",
                "2026-01-15",
                "2026-05-01",
                None,
                "2026-05-01",
            ],
            "outcome": ["won", "won", "lost", "open", "open", "maybe"],
        }
    )
    typed, problems, _ = parse_table(df, TABLES["opportunities"], file="o.csv")
    assert problems == []
    problems = check_table(
        typed, TABLES["opportunities"], file="o.csv", refs={"accounts": pd.Index(["A1"])}
    )
    assert by_rule(problems, "won deal without an amount").line == 3
    assert by_rule(problems, "close date before the created date").line == 4
    orphan = by_rule(problems, "not in accounts")
    assert (orphan.line, orphan.column, orphan.count) == (4, "account_id", 1)
    assert by_rule(problems, "open deal without an amount").line == 5
    assert by_rule(problems, "open deal without an expected close date").line == 6
    assert by_rule(problems, "negative value").line == 6
    assert by_rule(problems, "allowed list").line == 7
    dup = by_rule(problems, "appears more than once")
    assert (dup.severity, dup.line, dup.count) == ("error", 6, 2)
    prospect = by_rule(problems, "no value")
    assert (prospect.severity, prospect.column, prospect.line) == ("finding", "account_id", 5)


def test_composite_key_duplicates():
    df = frame(
        {
            "owner": ["Ann", "Ann", "Bob"],
            "period": ["2026Q1", "2026q1", "2026Q1"],
            "quota": ["1", "2", "3"],
        }
    )
    typed, problems, _ = parse_table(df, TABLES["quotas"], file="q.csv")
    assert problems == []
    found = check_table(typed, TABLES["quotas"], file="q.csv")
    dup = by_rule(found, "repeat an earlier row")
    assert (dup.severity, dup.column, dup.line, dup.count) == ("error", "owner+period", 2, 2)


def test_currency_rules():
    df = pd.DataFrame({"currency": ["usd", "USD", "EUR"]}, index=[2, 3, 4])
    mixed = schema.check_currency(df, TABLES["orders"], file="o.csv", currency="USD")
    assert len(mixed) == 1 and "USD (2 rows), EUR (1 rows)" in mixed[0].problem
    assert mixed[0].line == 4
    other = schema.check_currency(df.iloc[2:], TABLES["orders"], file="o.csv", currency="USD")
    assert "in EUR but the data set's currency is USD" in other[0].problem
    assert schema.check_currency(df.iloc[:2], TABLES["orders"], file="o.csv", currency="usd") == []


def test_text_checks():
    s = pd.Series(["=SUM(A1)", "-12.5", "@cmd", "<b>x</b>", "a < b > c", "x" * 1001, None])
    masks = check_text(s)
    assert masks["formula"].tolist() == [True, False, True, False, False, False, False]
    assert masks["markup"].tolist() == [False, False, False, True, False, False, False]
    assert masks["long_text"].tolist() == [False] * 5 + [True, False]


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_negative_numbers_are_never_formulas(x):
    assert not check_text(pd.Series([repr(x)]))["formula"].iloc[0]


@settings(deadline=None)  # each example opens a DuckDB connection: slow on a busy machine
@given(
    st.dates(
        min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()
    )
)
def test_iso_dates_round_trip(d):
    df = frame({"case_id": ["1"], "account_id": ["A"], "opened_date": [d.isoformat()]})
    typed, problems, _ = parse_table(df, TABLES["cases"], file="c.csv")
    assert problems == [] and typed["opened_date"].iloc[0] == pd.Timestamp(d)


def test_problem_describe_and_frame_order():
    a = Problem("finding", "b.csv", "x", "do y", "t", "col", 7, 3, "lines 8, 9")
    b = Problem("error", "a.csv", "broken", "", "t", None, None)
    assert a.describe() == "b.csv line 7, column 'col': x (3 rows; e.g. lines 8, 9). Fix: do y"
    # a Parquet file has rows: its location and its examples say so
    pq = Problem("finding", "b.parquet", "x", "do y", "t", "col", 7, 3, "lines 8, 9")
    assert pq.describe() == "b.parquet row 7, column 'col': x (3 rows; e.g. rows 8, 9). Fix: do y"
    assert pq.examples == "rows 8, 9"
    assert Problem("error", "o.parquet", "bad", line=4).describe() == "o.parquet row 4: bad"
    df = problems_frame([a, b])
    assert df["severity"].tolist() == ["error", "finding"]


@pytest.mark.parametrize("value", ["2026Q3", "2026q3"])
def test_period_accepts_quarters(value):
    df = frame({"owner": ["Ann"], "period": [value], "quota": ["10"]})
    typed, problems, _ = parse_table(df, TABLES["quotas"], file="q.csv")
    assert problems == [] and typed["period"].iloc[0] == "2026Q3"


def test_missing_tokens_depend_on_the_column_kind():
    assert schema.missing_tokens("category") == schema.STRUCTURAL_MISSING
    assert {"none", "na"} & schema.missing_tokens("category") == set()
    for kind in set(schema.COLUMN_KINDS) - {"category"}:
        assert schema.missing_tokens(kind) == schema.MISSING_TOKENS, kind
    df = frame(
        {
            "account_id": ["A1", "A1", "A1", "A1", "A1"],
            "buying_center": ["it", "sales", "hr", "ops", "legal"],
            "relationship_status": ["none", " None ", "n/a", "NA", "strong"],
            "competitor": ["None", "NA", "-", "Acme", "null"],
            "wallet_size": ["none", "NA", "1", "nan", ""],
        }
    )
    typed, problems, unparsed = parse_table(df, TABLES["buying_centers"], file="bc.csv")
    assert problems == [] and unparsed.empty
    # category: "none" is a relationship status (no relationship); only n/a is missing
    assert typed["relationship_status"].tolist()[:2] == ["none", "none"]
    assert pd.isna(typed["relationship_status"].iloc[2])
    assert typed["relationship_status"].tolist()[3:] == ["na", "strong"]
    # free text: every token is missing (a competitor "None" is no competitor)
    assert typed["competitor"].isna().tolist() == [True, True, True, False, True]
    assert typed["wallet_size"].isna().tolist() == [True, True, False, True, True]


def test_region_na_is_north_america_not_missing():
    df = frame(
        {"account_id": ["A1", "A2"], "account_name": ["Alpha", "Beta"], "region": ["NA", "-"]}
    )
    typed, _, _ = parse_table(df, TABLES["accounts"], file="a.csv")
    assert typed["region"].iloc[0] == "na" and pd.isna(typed["region"].iloc[1])


def test_non_finite_and_huge_numbers_are_errors():
    amounts = ["inf", "-inf", "Infinity", "-nan", "1e308", "999999999999999", "1e15", "nan", "12.5"]
    n = len(amounts)
    df = frame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "account_id": ["A1"] * n,
            "stage": ["won"] * n,
            "amount": amounts,
            "created_date": ["2026-01-01"] * n,
            "close_date": ["2026-02-01"] * n,
        }
    )
    typed, problems, unparsed = parse_table(df, TABLES["opportunities"], file="o.csv")
    infinite = by_rule(problems, "not a finite number")
    assert (infinite.line, infinite.column, infinite.count) == (2, "amount", 4)
    assert infinite.problem.startswith("'inf' is not a finite number")
    assert "lines 3, 4, 5" in infinite.examples and "'-nan'" in infinite.examples
    assert "division by zero" in infinite.fix
    huge = by_rule(problems, "implausibly large")
    assert (huge.line, huge.count, huge.severity) == (6, 2, "error")
    assert "'1e308'" in huge.problem and "1e15" in huge.problem
    assert list(unparsed) == [2, 3, 4, 5, 6, 8]
    # 999,999,999,999,999 is below the bound; "nan" alone is the missing-value token
    assert typed["amount"].iloc[5] == 999999999999999.0 and typed["amount"].iloc[8] == 12.5
    assert pd.isna(typed["amount"].iloc[7])
    assert typed["amount"].drop(index=unparsed).sum() == 999999999999999.0 + 12.5


def test_infinite_whole_number_is_an_error_not_a_crash():
    df = frame(
        {"account_id": ["A1", "A2"], "account_name": ["a", "b"], "employees": ["inf", "1e20"]}
    )
    typed, problems, _ = parse_table(df, TABLES["accounts"], file="a.csv")
    assert [p.line for p in problems] == [2, 3] and typed["employees"].isna().all()
    assert "not a finite number" in problems[0].describe()


def test_cell_problem_wording():
    assert schema.cell_problem("abc", "money")[0] == "'abc' is not an amount"
    assert schema.cell_problem("-Infinity", "number")[0].startswith("'-Infinity' is not a finite")
    assert schema.cell_problem("-1e15", "fraction")[0].startswith("'-1e15' is implausibly large")
    assert schema.cell_problem("soon", "date")[0] == "'soon' is not a date"
