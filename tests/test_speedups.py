"""Speed-ups that must not change a byte of what the reports show."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb.dataset.parse import parsed_as_is, typed_columns, unchanged_by_parsing

ROOT = Path(__file__).resolve().parent.parent

_RENDER = textwrap.dedent(
    """
    import re, sys
    import pandas as pd
    import salesnb.notebook as nb

    if sys.argv[1] == "plain":  # great_tables as shipped: .iloc into Arrow-backed strings
        from great_tables import GT

        nb._great_tables = lambda: GT
    table = pd.DataFrame(
        {
            "account": ["Alpha <b>", None, "Gamma", "Delta"] * 5,
            "revenue": [1234.5, None, 0.0, -20.0] * 5,
            "share": [0.5, 0.25, None, 1.0] * 5,
            "won": pd.array([3, None, 1, 0] * 5, dtype="Int64"),
            "first_order": pd.to_datetime(["2026-01-02", None, "2025-12-31", "2026-03-31"] * 5),
        }
    )
    shown = nb.table_html(table, title="Accounts", source="test")
    html = getattr(shown, "data", None) or shown._repr_html_()
    print(re.sub(r"sn-[\\w-]*?-\\d+", "ID", str(html)))
    """
)


def _render(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _RENDER, mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    return done.stdout


def test_great_tables_cells_through_iat_render_the_same_html():
    fast, plain = _render("fast"), _render("plain")
    assert "Alpha &lt;b&gt;" in fast and "1,234" in fast  # escaped text, formatted money
    assert fast == plain


# --------------------------------------------------- parsing: columns already as parsed
# pieces that make cells the parser changes (spaces, tokens in any case, separators,
# capitals, non-ASCII look-alikes) beside cells it leaves alone
_PIECES = [
    "a",
    "b_c",
    "x1",
    " ",
    "\u00a0",
    "\t",
    "N/A",
    "null",
    "None",
    "na",
    "-",
    "NaN",
    "Closed Won",
    "closed-won",
    "É",
    "ı",
    "K",
    "\u212a",
    "ß",
    "",
]


def _shortcut_agrees_with_parser(values: list, kind: str) -> None:
    """The column typed with the shortcut equals the column typed by the SQL parser alone."""
    cells = pd.DataFrame({"c": pd.Series(values, dtype="str")}, index=range(2, len(values) + 2))
    fast_typed, fast_bad = typed_columns(cells, {"c": kind})
    slow_typed, slow_bad = typed_columns(cells, {"c": kind}, shortcut=False)
    pd.testing.assert_frame_equal(fast_typed, slow_typed)
    pd.testing.assert_frame_equal(fast_bad, slow_bad)


@settings(deadline=None, max_examples=100)
@given(
    st.lists(
        st.one_of(st.none(), st.lists(st.sampled_from(_PIECES), max_size=3).map("".join)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["id", "text", "category"]),
)
def test_a_column_skipped_by_the_shortcut_parses_to_itself(values, kind):
    _shortcut_agrees_with_parser(values, kind)


# pieces of cells for the typed kinds: canonical ones (ISO dates, plain decimals, true /
# false) and near misses the parser reads otherwise or refuses
_TYPED_PIECES = [
    "2026-03-31",
    "2026-02-30",
    "0999-01-01",
    "12",
    "-0",
    "007",
    "12.50",
    "1e3",
    "1,200",
    " 5",
    "9999999999999999",
    "123456789012345",
    "true",
    "false",
    "TRUE",
    "yes",
    "2026-03-31T10:00",
    "",
    "n/a",
    ".5",
    "1.",
]


@settings(deadline=None, max_examples=120)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(_TYPED_PIECES)), min_size=1, max_size=8),
    st.sampled_from(["date", "int", "money", "number", "fraction", "bool"]),
)
def test_a_typed_column_converted_by_arrow_equals_the_parsers_values(values, kind):
    _shortcut_agrees_with_parser(values, kind)


# Typed Parquet columns (dates, timestamps with and without a zone, whole and decimal
# numbers, booleans) against the kinds that may take them: kept typed, they must give what
# their text gives (the values, the bad cells, the messages)
_ARROW_COLUMNS = st.one_of(
    st.tuples(
        st.sampled_from([pa.float64(), pa.float32()]),
        st.lists(
            st.one_of(
                st.none(),
                st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e15, -1e16, 0.5]),
                st.integers(-1000, 1000).map(float),
            ),
            min_size=1,
            max_size=6,
        ),
    ),
    st.tuples(
        st.sampled_from([pa.int64(), pa.int8(), pa.uint32()]),
        st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=1, max_size=6),
    ),
    st.tuples(
        st.just(pa.int64()),
        st.lists(st.one_of(st.none(), st.sampled_from([0, 1, 10**15, -(10**16)])), min_size=1),
    ),
    st.tuples(
        st.sampled_from([pa.date32(), pa.timestamp("us"), pa.timestamp("s", tz="Asia/Tokyo")]),
        st.lists(
            st.one_of(
                st.none(),
                st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
            ),
            min_size=1,
            max_size=6,
        ),
    ),
    st.tuples(st.just(pa.bool_()), st.lists(st.one_of(st.none(), st.booleans()), min_size=1)),
)


@settings(deadline=None, max_examples=150)
@given(_ARROW_COLUMNS, st.sampled_from(["date", "int", "money", "number", "fraction", "bool"]))
def test_a_typed_parquet_column_parses_as_its_text_does(tmp_path_factory, column, kind):
    import pyarrow.parquet as pq

    from salesnb.files import read_cells
    from salesnb.schema import Column, Table, parse_table

    arrow_type, values = column
    if pa.types.is_date(arrow_type):
        values = [v.date() if v is not None else None for v in values]
    path = tmp_path_factory.mktemp("typed") / "t.parquet"
    pq.write_table(pa.table({"v": pa.array(values, arrow_type)}), path)
    table = Table("t", ("v",), (Column("v", kind),))
    as_text, _ = read_cells(path, table=table)
    typed, _ = read_cells(path, table=table, typed=True)
    assert all(isinstance(c, str) or pd.isna(c) for c in as_text["v"])
    # kept typed, but a float32 (its text is not its value as a double)
    assert isinstance(typed["v"].dtype, pd.ArrowDtype) is (arrow_type != pa.float32())
    from_text, from_typed = (
        parse_table(cells, table, file="t.parquet") for cells in (as_text, typed)
    )
    pd.testing.assert_frame_equal(from_typed.frame, from_text.frame)
    assert [p.describe() for p in from_typed.problems] == [p.describe() for p in from_text.problems]
    assert list(from_typed.unparsed) == list(from_text.unparsed)


@pytest.mark.parametrize(
    ("values", "kind", "converted"),
    [
        (["2026-03-31", None], "date", True),
        (["2026-02-30"], "date", False),  # not a day: the parser reports it
        (["2026-03-31 10:00"], "date", False),  # a time: the parser's UTC rule
        (["12", "-3", None], "int", True),
        (["12.0"], "int", False),
        (["1234.5", "-0.25"], "money", True),
        (["1,234.5"], "money", False),
        (["1e3"], "number", False),
        (["1234567890123456"], "money", False),  # 16 digits: the magnitude rule
        (["true", "false", None], "bool", True),
        (["yes"], "bool", False),
        ([None, None], "date", False),
    ],
)
def test_which_typed_columns_arrow_converts(values, kind, converted):
    assert (parsed_as_is(pa.array(values, pa.large_string()), kind) is not None) is converted


@pytest.mark.parametrize(
    ("values", "kind", "skipped"),
    [
        (["OP1", "OP2", None], "id", True),
        (["closed_won", "open", None], "category", True),
        (["Closed Won", "open"], "category", False),  # lower case and _ to come
        (["open", "nan"], "category", False),  # canonical, but a missing-value token
        (["open", None, "null"], "category", False),
        (["Acme ", "Beta"], "text", False),  # a trailing space to trim
        (["Acme", "N/A"], "text", False),  # a missing-value token
        (["Acme", "\u212a"], "text", False),  # short non-ASCII: left to the parser
        (["2026-03-31"], "date", False),  # only id, text and category columns
    ],
)
def test_which_columns_the_shortcut_skips(values, kind, skipped):
    assert unchanged_by_parsing(pa.array(values, pa.large_string()), kind) is skipped


# --------------------------------------------------------------------------- isin on Arrow text
TEXT = st.one_of(
    st.none(), st.sampled_from(["A1", "A2", "a1", " A1", "Ä", ""]), st.text(max_size=3)
)


@settings(max_examples=150, deadline=None)
@given(
    column=st.lists(TEXT, max_size=12),
    values=st.lists(st.one_of(TEXT, st.integers(0, 2), st.just(float("nan"))), max_size=6),
    shape=st.sampled_from(["list", "set", "str", "object", "category"]),
)
def test_isin_answers_as_pandas_does(column, values, shape):
    """The Arrow is_in path equals Series.isin, missing values and non-text values included."""
    from salesnb.analysis import isin

    series = pd.Series(column, dtype="str", index=range(10, 10 + len(column)))
    if shape == "set":
        given_values = set(values) if all(v == v for v in values) else values  # NaN != NaN
    elif shape in ("str", "category"):
        texts = [v for v in values if v is None or isinstance(v, str)]
        given_values = pd.Series(texts, dtype=shape)
    elif shape == "object":
        given_values = pd.Series(values, dtype=object)
    else:
        given_values = values
    expected = series.isin(given_values)
    got = isin(series, given_values)
    pd.testing.assert_series_equal(got, expected)


def test_isin_by_hand():
    from salesnb.analysis import isin

    s = pd.Series(["A1", None, "A2", "a1"], dtype="str")
    assert isin(s, ["A1", None]).tolist() == [True, True, False, False]
    assert isin(s, {"a1", 1}).tolist() == [False, False, False, True]
    assert isin(s, pd.Series(["A2"], dtype="str")).tolist() == [False, False, True, False]
    assert isin(s, []).tolist() == [False] * 4
    numbers = pd.Series([1, 2, 3])
    assert isin(numbers, [2]).tolist() == [False, True, False]  # not text: pandas' own isin


_CHART = textwrap.dedent(
    """
    import hashlib, io, sys
    import matplotlib
    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    import salesnb as sn

    sn.theme.apply()
    remembered = getattr(font_manager.fontManager._find_fonts_by_props, "_salesnb", False)
    if sys.argv[1] == "plain":  # matplotlib's own lookup, every time
        del font_manager.fontManager._find_fonts_by_props
    fig, ax = plt.subplots(figsize=(5, 3))
    names = ["Müller GmbH", "東京商事", "شركة النور", "בית תוכנה", "Ελληνική", "บริษัท"]
    ax.barh(names, range(1, 7))
    ax.set_title("Revenue by account", fontweight="bold")
    ax.set_xlabel("€ thousands", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    print(remembered, hashlib.sha256(buf.getvalue()).hexdigest())
    """
)


def test_remembered_font_lookups_draw_the_same_pixels():
    """The font-lookup memo (fonts._remember_lookups) changes no pixel of a mixed-script chart."""
    runs = {}
    for mode in ("plain", "remembered"):
        out = subprocess.run(
            [sys.executable, "-c", _CHART, mode], capture_output=True, text=True, check=True
        )
        runs[mode] = out.stdout.split()
    assert runs["remembered"][0] == "True"  # the theme installed it
    assert runs["plain"][1] == runs["remembered"][1]


_LEAN = textwrap.dedent(
    """
    import sys
    import salesnb.cli  # the command's first import marks rfc3987_syntax absent
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.validate(nb)  # notebooks are still validated against their schema
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    bad.cells[0]["cell_type"] = "kode"
    try:
        nbformat.validate(bad)
    except nbformat.ValidationError:
        invalid = "caught"
    else:
        invalid = "missed"
    print(sys.modules["rfc3987_syntax"], invalid)
    """
)


def test_the_command_reads_notebooks_without_the_iri_grammar_and_still_validates_them():
    """salesnb.lean: jsonschema skips rfc3987_syntax (0.9 s of Lark grammar per process), and
    nbformat's validation still catches a broken notebook."""
    out = subprocess.run(
        [sys.executable, "-c", _LEAN], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert out == ["None", "caught"]


def test_review_workers_come_without_the_iri_grammar():
    """A worker forked from review's fork server (which imports nbformat through papermill)
    has rfc3987_syntax marked absent, not built."""
    from concurrent.futures import ProcessPoolExecutor

    from salesnb.report import kernels

    probe = "repr(__import__('sys').modules.get('rfc3987_syntax', 'absent'))"
    with ProcessPoolExecutor(max_workers=1, mp_context=kernels.workers()) as pool:
        assert pool.submit(eval, probe).result(timeout=120) == "None"


def test_the_warm_up_renders_in_memory_and_writes_nothing(tmp_path, monkeypatch):
    """run_notebook warms the HTML and PDF rendering up on a thread while the kernel works;
    nothing it renders lands in the working folder or the temporary folder."""
    import tempfile

    from salesnb.report import render, run

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    render.warm_up()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(scratch.iterdir()) == []
    first = run._warming_up()
    assert run._warming_up() is first  # once per process
    first.join(timeout=60)
    assert not first.is_alive()
