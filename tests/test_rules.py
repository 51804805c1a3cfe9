"""The rule catalogue (salesnb.dataset.rules): one set of rules, run by DuckDB, on every table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salesnb.dataset import read_dataset
from salesnb.dataset.rules import RULES, compile_checks, text_masks
from salesnb.schema import TABLES

ACCOUNTS = "account_id,account_name\nA1,Alpha\nA2,Beta\nA3,Gamma\n"


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _found(ds, file: str) -> dict[tuple[str, str | None], object]:
    return {(p.problem, p.column): p for p in ds.problems if p.file == file}


def test_a_repeated_id_reads_the_same_in_a_small_table_and_in_raw_lines(tmp_path):
    ds = read_dataset(
        _write(
            tmp_path / "d",
            {
                "accounts.csv": ACCOUNTS + "A1,Alpha again\nA1,Alpha thrice\n",
                "orders.csv": "order_id,account_id,order_date,amount\n"
                "O1,A1,2026-01-05,10\nO2,A2,2026-01-06,20\nO1,A3,2026-01-07,30\n"
                "O1,A1,2026-01-08,40\nO3,A2,2026-01-09,50\n",
            },
        )
    )
    small = _found(ds, "accounts.csv")[("the id appears more than once", "account_id")]
    raw = _found(ds, "orders.csv")[("the id appears more than once", "order_id")]
    # every row of a repeated id counts (three A1 rows; three O1 lines), both errors
    assert (small.severity, small.count, small.line) == ("error", 3, 2)
    assert small.examples == "lines 5, 6; values 'A1', 'A1'"
    assert (raw.severity, raw.count, raw.line) == ("error", 3, None)
    assert raw.examples.startswith("order_id O1, O1, O1")
    assert "salesnb import can generate line ids" in raw.fix
    assert "salesnb import" not in small.fix


def test_raw_lines_get_the_value_rules_small_tables_get(tmp_path):
    ds = read_dataset(
        _write(
            tmp_path / "d",
            {
                "accounts.csv": ACCOUNTS,
                "activities.csv": "activity_id,account_id,activity_date,owner\n"
                "X1,A1,2026-01-01,Ann\n"
                "X2,A2,1850-03-01,Bob\n"  # a date outside 1900-2100
                'X3,A9,2026-01-03,=HYPERLINK("http://x")\n'  # orphan and formula
                "X4,A3,soon,<b>Cy</b>\n",  # not a date: an error, and left out of the rules
            },
        )
    )
    got = _found(ds, "activities.csv")
    date = got[("date outside 1900-2100", "activity_date")]
    assert (date.severity, date.count, date.examples) == (
        "finding",
        1,
        "activity_id X2; values '1850-03-01'",
    )
    assert got[("refers to an id not in accounts", "account_id")].examples == (
        "activity_id X3; values 'A9'"
    )
    formula = RULES["formula"].message
    assert got[(formula, "owner")].count == 1
    assert got[("'soon' is not a date", "activity_date")].severity == "error"
    # the unreadable date has its error and is not also "no value"; the line's other
    # cells are still checked (its markup is reported)
    assert (RULES["needed"].message, "activity_date") not in got
    assert got[(RULES["markup"].message, "owner")].examples == "activity_id X4; values '<b>Cy</b>'"


def test_raw_examples_are_the_first_ids_in_order(tmp_path):
    lines = "".join(f"O{i:03d},,2026-01-01,1\n" for i in range(40, 0, -1))
    ds = read_dataset(
        _write(
            tmp_path / "d",
            {
                "accounts.csv": ACCOUNTS,
                "orders.csv": "order_id,account_id,order_date,amount\n" + lines,
            },
        )
    )
    needed = _found(ds, "orders.csv")[(RULES["needed"].message, "account_id")]
    assert needed.count == 40
    assert needed.examples == "order_id O001, O002, O003, O004, O005"


def test_a_repeated_composite_key_counts_missing_parts_as_equal():
    frame = pd.DataFrame(
        {
            "owner": ["ann", "ann", "bob", None, None],
            "period": ["2026Q1", "2026Q1", "2026Q1", "2026Q2", "2026Q2"],
            "quota": [1.0, 2.0, 3.0, 4.0, 5.0],
        },
        index=[2, 3, 4, 5, 6],
    )
    from salesnb.schema import check_table

    got = {p.problem: p for p in check_table(frame, TABLES["quotas"], file="quotas.csv")}
    repeat = got["the key columns repeat an earlier row"]
    assert (repeat.column, repeat.count, repeat.line) == ("owner+period", 4, 2)
    assert got[RULES["needed"].message].count == 2  # the two rows without an owner


def test_compile_checks_lists_the_rules_a_table_needs():
    checks, refs = compile_checks(
        TABLES["opportunities"],
        ["opportunity_id", "account_id", "outcome", "amount", "close_date", "created_date"],
        refs={"accounts"},
    )
    names = [(c.rule, c.column) for c in checks]
    assert ("allowed", "outcome") in names
    assert ("reference", "account_id") in names and [r.target for r in refs] == ["accounts"]
    assert ("not_negative", "amount") in names
    assert ("won_needs_amount", None) in names and ("close_before_created", None) in names
    # no reference check without the target's ids; no product rules without the column
    assert (
        compile_checks(TABLES["opportunities"], ["opportunity_id", "account_id"], refs=())[1] == []
    )
    # raw order lines may be negative (credits)
    raw = [c.rule for c in compile_checks(TABLES["orders"], ["order_id", "amount"], refs=())[0]]
    assert "not_negative" not in raw


def test_text_masks_by_hand():
    s = pd.Series(
        ["=SUM(A1)", "-5", "+44 20 7946 0958", "@home", "<b>x</b>", "a < b > c", "x" * 1001, None],
        index=range(10, 18),
    )
    got = text_masks(s)
    assert got["formula"].tolist() == [True, False, False, True, False, False, False, False]
    assert got["markup"].tolist() == [False, False, False, False, True, False, False, False]
    assert got["long_text"].tolist() == [False] * 6 + [True, False]
    assert list(got["formula"].index) == list(range(10, 18))
    # the cheap first tests (a formula's first character, a '<') select what the regexes see
    more = text_masks(pd.Series(["\t=1", "- 5", "-x", "x=1", "<br/>", "a<b", "<", ""]))
    assert more["formula"].tolist() == [True, False, True, False, False, False, False, False]
    assert more["markup"].tolist() == [False, False, False, False, True, False, False, False]


def test_parsing_strips_what_python_strips():
    import sys

    from salesnb.dataset.parse import _SPACE

    assert set(_SPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_parsing_keeps_every_row_in_place_on_a_large_table():
    from salesnb.dataset.parse import typed_columns

    n = 300_000  # several DuckDB row groups, scanned by parallel threads
    lines = pd.RangeIndex(2, n + 2)
    cells = pd.DataFrame(
        {"n": pd.Series(lines.astype(str), index=lines, dtype="str"), "t": "x"}, index=lines
    )
    typed, bad = typed_columns(cells, {"n": "int", "t": "text"})
    assert typed["n"].tolist() == list(lines) and not bad["n"].any()
