"""The display contract (salesnb.analysis: kinds, table specs, KPI, format_value) and the
display layer (salesnb.notebook: show, kpis, overview, export_table), on hand-made frames."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from salesnb import abm, analysis, comp, pareto, pipeline, tiering, warroom
from salesnb.analysis import KINDS, KPI, Analysis, TableSpec, format_value, label
from salesnb.notebook import _jsonable

ANALYSES = [
    pareto.ParetoAnalysis,
    tiering.TieringAnalysis,
    pipeline.PipelineAnalysis,
    warroom.WarRoomAnalysis,
    abm.AbmAnalysis,
    comp.CompensationAnalysis,
]


# --------------------------------------------------------------------------- format_value
@pytest.mark.parametrize(
    ("value", "kind", "currency", "shown"),
    [
        (1234567.891, "money", "USD", "1,234,568 USD"),  # from 1,000 up: no decimals
        (999.5, "money", "USD", "999.50 USD"),  # below 1,000: two decimals
        (999.999, "money", "USD", "1,000 USD"),  # rounds to cents first: 1,000.00 -> no decimals
        (20593289.05, "money", "", "20,593,289"),  # no currency: the figure alone
        (-1500.4, "money", "EUR", "-1,500 EUR"),
        (-0.001, "money", "USD", "0.00 USD"),  # no "-0.00"
        (0.1787508, "percent", "", "17.9%"),
        (1.37, "percent", "", "137.0%"),
        (-0.0001, "percent", "", "0.0%"),
        (1234, "count", "", "1,234"),
        (199.99999999999997, "count", "", "200"),
        (np.int64(7), "count", "", "7"),
        (5430930.556, "number", "", "5,430,930.56"),
        (2.5, "number", "", "2.5"),  # two decimals at most, no trailing zeros
        (3.0, "number", "", "3"),
        (0.123456789, "precise", "", "0.1235"),
        (0.5, "precise", "", "0.5"),
        (pd.Timestamp("2027-01-16 00:00:00"), "date", "", "2027-01-16"),
        (dt.date(2026, 9, 30), "date", "", "2026-09-30"),
        (np.datetime64("2026-09-30T00:00:00"), "date", "", "2026-09-30"),
        ("2026-09-30 00:00:00", "date", "", "2026-09-30"),
        (True, "bool", "", "yes"),
        (np.bool_(False), "bool", "", "no"),
        ("A00042", "id", "", "A00042"),
        ("<b>Co</b>", "text", "", "<b>Co</b>"),  # escaping is the renderer's job, not this one's
        ("n/a", "money", "USD", "n/a"),  # text in a money column stays text
    ],
)
def test_format_value_hand_worked(value, kind, currency, shown):
    assert format_value(value, kind, currency) == shown


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
@pytest.mark.parametrize("kind", KINDS)
def test_missing_shows_as_a_dash(missing, kind):
    assert format_value(missing, kind, "USD") == "–"


@pytest.mark.parametrize("kind", ["money", "percent", "count", "number", "precise"])
def test_an_infinite_figure_shows_as_a_dash(kind):
    assert format_value(float("inf"), kind, "USD") == "–"


@pytest.mark.parametrize(
    ("value", "kind", "decimals", "shown"),
    [
        (2.5, "number", 2, "2.50"),  # a column's values share its decimals
        (3, "number", 0, "3"),
        (1234.5, "number", 1, "1,234.5"),
        (-0.001, "number", 2, "0.00"),
        (0.12345, "precise", 3, "0.123"),
        (0.123456, "precise", 9, "0.1235"),  # never more than the kind allows
        (1234567.891, "money", 0, "1,234,568"),  # other kinds ignore it
    ],
)
def test_format_value_with_fixed_decimals(value, kind, decimals, shown):
    assert format_value(value, kind, decimals=decimals) == shown


def test_format_value_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind 'currency'"):
        format_value(1, "currency")


# --------------------------------------------------------------------------- labels and specs
@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("days_in_stage", "Days in stage"),
        ("account_id", "Account ID"),
        ("pvf_score", "PVF score"),
        ("abm_readiness", "ABM readiness"),
        ("id", "ID"),
        ("win_rate_pct", "Win rate %"),
        ("Tier", "Tier"),  # already a label
        ("Share of revenue", "Share of revenue"),
    ],
)
def test_label_hand_worked(column, shown):
    assert label(column) == shown


def test_table_spec_kinds_labels_and_checks():
    spec = TableSpec(
        "Top accounts", columns={"revenue": "money"}, labels={"revenue": "Revenue (TTM)"}
    )
    assert spec.kind("revenue") == "money" and spec.kind("name") is None
    assert spec.label("revenue") == "Revenue (TTM)"
    assert spec.label("account_name") == "Account name"
    assert TableSpec("t").columns == {} and TableSpec("t").source == ""
    with pytest.raises(ValueError, match="unknown kind 'dollars'"):
        TableSpec("t", columns={"revenue": "dollars"})


def test_kpi_text_and_checks():
    assert KPI("Revenue", 1234567.891, "money").text("USD") == "1,234,568 USD"
    assert KPI("Win rate", None, "percent", note="no closed deals").text() == "–"
    with pytest.raises(ValueError, match="unknown kind"):
        KPI("x", 1, "ratio")


# --------------------------------------------------------------------------- Analysis fields
@pytest.mark.parametrize("cls", ANALYSES)
def test_every_analysis_has_headline_and_actions_defaulting_to_empty(cls):
    found = {f.name: f for f in dataclasses.fields(cls)}
    assert found["headline"].default == () and found["actions"].default == ()
    assert found["headline"].kw_only and found["actions"].kw_only
    assert isinstance(cls.specs, dict | type(analysis.Analysis.specs))


def test_a_subclass_may_add_required_fields_after_the_defaults():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sub(Analysis):
        methodology = "sub"
        specs = {"t": TableSpec("T")}
        extra: pd.DataFrame  # required, after fields with defaults: fine when kw_only

    a = _analysis(Sub, extra=pd.DataFrame())
    assert a.headline == () and a.actions == () and a.spec("t").title == "T"
    assert a.spec("other") is None


def _analysis(cls=Analysis, **kw):
    from salesnb.analysis import Coverage, Params, Periods
    from salesnb.periods import quarter_window

    w = quarter_window("2026Q3", fiscal_start=1)
    periods = Periods("2026Q3", 1, w, w, w, w, w)
    cov = Coverage(
        w,
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-09-30"),
        pd.DataFrame(columns=["table", "rows", "used", "left_out", "why"]),
    )
    return cls(params=Params(quarter="2026Q3"), periods=periods, currency="USD", coverage=cov, **kw)


def test_summary_carries_headline_and_actions_as_json():
    a = _analysis(
        headline=(
            KPI("Revenue", np.float64(1234.5), "money", "TTM"),
            KPI("Accounts", np.int64(347), "count"),
            KPI("Win rate", float("nan"), "percent", "no closed deals"),
            KPI("Latest order", pd.Timestamp("2026-09-30"), "date"),
        ),
        actions=("Protect the 14 vital-few accounts: Acme, Globex",),
    )
    s = a.summary()
    assert s["headline"] == [
        {"label": "Revenue", "value": 1234.5, "kind": "money", "note": "TTM"},
        {"label": "Accounts", "value": 347, "kind": "count", "note": ""},
        {"label": "Win rate", "value": None, "kind": "percent", "note": "no closed deals"},
        {"label": "Latest order", "value": "2026-09-30", "kind": "date", "note": ""},
    ]
    assert s["actions"] == ["Protect the 14 vital-few accounts: Acme, Globex"]
    json.dumps(_jsonable(s), allow_nan=False)
    assert _analysis().summary()["headline"] == [] and _analysis().summary()["actions"] == []


# --------------------------------------------------------------------------- show
ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["A1", "A2", "A3"],
        "account_name": ["<b>Co</b>", "Globex **Corp** [x](http://e)", None],
        "revenue": [20593289.05, 999.5, np.nan],
        "share": [0.1787508, 0.5, None],
        "deals": [2.0, np.nan, 199.99999999999997],
        "close_date": pd.to_datetime(["2027-01-16", None, "2026-09-30"]),
        "won": [True, False, None],
        "tier": pd.array(["Tier 1", pd.NA, "Tier 2"], dtype="string"),
    }
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Shown(Analysis):
    methodology = "shown"
    specs = {
        "accounts": TableSpec(
            "Top accounts by revenue",
            columns={"deals": "count", "share": "percent"},
            labels={"share": "Share of revenue"},
            source="Orders of the last four quarters.",
        )
    }


def _shown(**tables) -> Analysis:
    return _analysis(_Shown, tables=tables)


def _cells(html_text: str) -> list[str]:
    import re

    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html_text, re.S)
    ]


def test_show_formats_by_the_spec_and_by_name_and_type():
    from salesnb.notebook import Table, show

    shown = show(_shown(accounts=ACCOUNTS), "accounts")
    assert isinstance(shown, Table) and shown.layout == "normal"
    cells = _cells(shown.to_html())
    assert cells[0] == "Top accounts by revenue"  # the title above
    assert cells[1:8] == [
        "Account name",
        "Revenue",
        "Share of revenue",
        "Deals",
        "Close date",
        "Won",
        "Tier",
    ]  # human labels, account_id left out beside the name, no index
    assert cells[8:15] == [
        "&lt;b&gt;Co&lt;/b&gt;",  # escaped: shows as typed
        "20,593,289 USD",
        "17.9%",
        "2",
        "2027-01-16",
        "yes",
        "Tier 1",
    ]
    assert cells[15:22] == [
        "Globex **Corp** [x](http://e)",
        "1,000 USD",  # the column reaches millions: every amount in whole units, no cents
        "50.0%",
        "–",
        "–",
        "no",
        "–",
    ]
    assert cells[22:29] == ["–", "–", "–", "200", "2026-09-30", "–", "Tier 2"]
    assert cells[29] == "Orders of the last four quarters."  # the source note below
    text = " ".join(cells)
    for bad in ("NaN", "<NA>", "None", "True", "00:00:00", "A1"):
        assert bad not in text


def test_show_without_a_spec_titles_the_table_and_keeps_chosen_columns():
    from salesnb.notebook import show

    shown = show(
        _shown(top_accounts=ACCOUNTS),
        "top_accounts",
        rows=1,
        columns=["account_id", "account_name", "revenue", "nope"],
        source="Demo <i>data</i>",
    )
    cells = _cells(shown.to_html())
    assert cells == [
        "Top accounts",
        "Account ID",  # asked for by name: kept
        "Account name",
        "Revenue",
        "A1",
        "&lt;b&gt;Co&lt;/b&gt;",
        "20,593,289 USD",
        # a table cut by rows= says so (escaped like the rest of the note)
        f"Demo &lt;i&gt;data&lt;/i&gt; Only the first of {len(ACCOUNTS)} rows is shown.",
    ]


def test_a_number_column_shows_its_values_with_the_same_decimals():
    from salesnb.notebook import table_html

    table = pd.DataFrame({"score": [2.5, 3.0, 1.25, np.nan], "ratio": [1.0, 2.0, 3.0, 4.0]})
    cells = _cells(table_html(table, title="t").html)
    assert cells[3:] == ["2.50", "1", "3.00", "2", "1.25", "3", "–", "4"]


def test_columns_named_like_great_tables_arguments_are_shown():
    from salesnb.notebook import table_html

    table = pd.DataFrame({"cases": [3], "kwargs": [1.5], "self": ["x"], "columns": [True]})
    assert _cells(table_html(table, title="t").html)[1:] == [
        "Cases",
        "Kwargs",
        "Self",
        "Columns",
        "3",
        "1.5",
        "x",
        "yes",
    ]


def test_odd_columns_show_plainly():
    from salesnb.notebook import table_html

    table = pd.DataFrame(
        {
            "days_open": [pd.Timedelta(days=3), pd.Timedelta(hours=36), pd.NaT],
            "tier": pd.Categorical(["T1", None, "T2"]),
            "opened": pd.to_datetime(["2026-01-01", None, "2026-02-01"]).tz_localize("UTC"),
        }
    ).set_index(pd.Index(["a", "b", "c"], name="account"))
    assert _cells(table_html(table, title="t").html)[1:] == [
        "Account",  # a named index is a column
        "Days open",
        "Tier",
        "Opened",
        "a",
        "3.0",  # durations in days, a column's values with the same decimals
        "T1",
        "2026-01-01",
        "b",
        "1.5",
        "–",
        "–",
        "c",
        "–",
        "T2",
        "2026-02-01",
    ]


def test_show_says_why_a_table_is_absent():
    from salesnb.notebook import show

    a = _analysis(_Shown, absent={"accounts": "The data set has no orders table: add orders.csv."})
    assert "no orders table" in show(a, "accounts").data


def test_great_tables_css_is_scoped_to_its_table():
    import re

    from salesnb.notebook import table_html

    page = table_html(ACCOUNTS, title="t", key="x").html
    gt_id = re.search(r'<div id="([^"]+)"', page).group(1)
    css = re.findall(r"<style>(.*?)</style>", page, re.S)[-1]
    selectors = [
        s.strip()
        for block in re.findall(r"(?m)^\s*([^@{}][^{}]*?)\s*\{", css)
        for s in block.split(",")
    ]
    assert selectors and all(s.startswith(f"#{gt_id}") for s in selectors), selectors
    assert "overflow-x:auto" not in page.replace(" ", "")  # would clip in a PDF


# --------------------------------------------------------------------------- the PDF layout
# the report's page: A4, 16 mm side margins (salesnb.report's print stylesheet)
PAGE_CSS = (
    "@page { size: A4; margin: 18mm 16mm 20mm 16mm; }"
    "body { font-family: 'DejaVu Sans', sans-serif; font-size: 9.5pt; }"
    "table { border-collapse: collapse; font-size: 8pt; }"
    "th, td { border-bottom: 1px solid #ccc; padding: 1mm 2mm; }"
)
RNG = np.random.default_rng(13)
TWELVE = pd.DataFrame(
    RNG.random((8, 12)) * 1e6,
    columns=[f"average_{c}_amount_per_opportunity_in_the_quarter" for c in "abcdefghijkl"],
)
TWENTY = pd.DataFrame(RNG.random((8, 20)) * 1e5, columns=[f"reps_above_cap_{i}" for i in range(20)])
TWENTY.insert(0, "account_name", [f"Account with a long name number {i}" for i in range(8)])
WORDY = pd.DataFrame(
    {
        "opportunity_id": [f"OP-{i:05d}" for i in range(6)],
        "account_name": ["Internationale Versicherungsgesellschaft Nord AG"] * 6,
        "amount": [1234567.0, 2500.5, 999.5, np.nan, 45000.0, 7.25],
        "stage": ["negotiation_and_review"] * 6,
        "owner": ["Maximiliane Oberhauser-Lindqvist"] * 6,
        "areas": ["pricing, legal terms, technical fit, implementation plan"] * 6,
        "areas_not_checked": ["security questionnaire, references, procurement rules"] * 6,
        "close_date": pd.to_datetime(["2026-09-30"] * 6),
        "reason": ["Largest open deal of a Tier 1 account, stalled for 64 days in stage"] * 6,
    }
)
ELEVEN = pd.DataFrame({f"deals_lost_in_stage_{i}": [1234, 5, 67] for i in range(11)})
FORTY = pd.DataFrame(RNG.random((5, 40)) * 1e6, columns=[f"column_{i}" for i in range(40)])
SHAPES = {
    "narrow": ACCOUNTS,
    "eleven": ELEVEN,
    "wordy_less": WORDY.drop(columns=["account_name"]),
    "wordy": WORDY,
    "twelve": TWELVE,
    "twenty": TWENTY,
    "forty": FORTY,  # more than a landscape page holds even in 5.5 pt: words and figures break
}


def _render(body: str):
    weasyprint = pytest.importorskip("weasyprint")
    page = f"<html><head><style>{PAGE_CSS}</style></head><body>{body}</body></html>"
    return weasyprint.HTML(string=page).render()


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def _overflows(doc) -> list[tuple[int, str, float, float]]:
    """(page, box, right edge, page content right edge) of every table or text past the page."""
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(doc.pages, 1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in _boxes(page_box):
            if isinstance(box, boxes.MarginBox):
                continue  # the page's own header and footer
            if isinstance(box, boxes.TableBox):
                edge = box.border_box_x() + box.border_width()
            elif isinstance(box, boxes.TextBox):
                edge = box.position_x + box.margin_width()
            else:
                continue
            if edge > right + 0.5:
                found.append((number, type(box).__name__, edge, right))
    return found


@pytest.mark.parametrize("shape", list(SHAPES))
def test_tables_fit_their_page(shape):
    from salesnb.notebook import table_html

    shown = table_html(SHAPES[shape], title=shape, currency="USD")
    doc = _render(f"<p>Before</p>{shown.html}<p>After</p>")
    assert _overflows(doc) == []
    tables = sum(
        1
        for page in doc.pages
        for box in _boxes(page._page_box)
        if type(box).__name__ == "TableBox"
    )
    assert tables >= 1
    if shape == "twenty":  # on a landscape page of its own, and the page after is portrait
        sizes = [(round(p.width), round(p.height)) for p in doc.pages]
        assert sizes == [(794, 1123), (1123, 794), (794, 1123)]


def test_the_layout_check_sees_a_cut_table():
    """The check above can fail: a plain pandas table of twenty columns runs off the page."""
    assert _overflows(_render(TWENTY.to_html()))


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ("narrow", "normal"),
        ("eleven", "wrapped"),  # more than ten columns: smaller type
        ("wordy_less", "normal"),
        ("wordy", "landscape"),  # its longest words do not fit a portrait page even in 6.5 pt
        ("twelve", "landscape"),
        ("twenty", "landscape"),
        ("forty", "landscape"),
    ],
)
def test_wide_tables_are_laid_out_wide(shape, layout):
    from salesnb.notebook import table_html

    shown = table_html(SHAPES[shape])
    assert shown.layout == layout
    assert ("overflow-wrap: anywhere" in shown.html) == (shape == "forty")  # words break last
    assert table_html(ACCOUNTS, spec=TableSpec("t", wide=True)).layout == "landscape"


# --------------------------------------------------------------------------- exports
EXPORTED = pd.DataFrame(
    {
        "account_name": ["=cmd", "Globex"],
        "revenue": [1234567.891, 2.5],
        "small_amount": [999.5, 1.234],
        "share": [0.1787508321506389, 0.5],
        "deals": [199.99999999999997, np.nan],
        "score": [0.1 + 0.2, 3.0],
        "close_date": pd.to_datetime(["2027-01-16", None]),
        "won": [True, False],
    }
)


def test_export_formats_excel_columns_by_kind(tmp_path):
    import openpyxl

    from salesnb.notebook import export_table

    spec = TableSpec("Top accounts", columns={"deals": "count"})
    xlsx, _ = export_table(EXPORTED, tmp_path / "top", spec=spec, currency="USD", sheet="top")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["top"]
    sheet = book["top"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "account_name"
    assert sheet["A1"].font.bold
    row = {sheet.cell(1, i).value: sheet.cell(2, i) for i in range(1, sheet.max_column + 1)}
    formats = {name: cell.number_format for name, cell in row.items()}
    assert formats == {
        "account_name": "General",
        "revenue": '#,##0 "USD"',
        "small_amount": '#,##0.00 "USD"',  # every amount below 1,000: cents shown
        "share": "0.0%",
        "deals": "#,##0",
        "score": "#,##0.00",
        "close_date": "yyyy-mm-dd",
        "won": "General",
    }
    assert row["account_name"].data_type == "s" and row["account_name"].value == "=cmd"
    assert row["revenue"].value == 1234567.89  # in cents, as shown
    assert row["deals"].value == 200 and row["score"].value == 0.3
    assert row["close_date"].is_date and row["close_date"].value == dt.datetime(2027, 1, 16)
    assert row["won"].value is True
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["B"] >= len("1,234,568 USD") and widths["D"] >= 8


def test_export_writes_each_kind_of_cell_as_excel_holds_it(tmp_path):
    import decimal

    import openpyxl

    from salesnb.notebook import export_table

    table = pd.DataFrame(
        {
            "deals": pd.array([3, None], dtype="Int64"),
            "won": pd.array([True, None], dtype="boolean"),
            "ratio": [np.inf, -np.inf],
            "mixed": [np.int64(7), decimal.Decimal("1.5")],
            "listed": [[1, 2], None],
            "tier": pd.Categorical(["A", None]),
            "closed": pd.to_datetime(["2026-09-30", None]),
            "note": pd.Series(["=SUM(A1)", None], dtype="str"),
            "kept_date": pd.Series([None, dt.date(2026, 7, 1)], dtype=object),
        }
    )
    # a date in a column declared text still shows as a date, as pandas wrote it
    xlsx, _ = export_table(
        table, tmp_path / "kinds", spec=TableSpec("t", columns={"kept_date": "text"})
    )
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(min_row=2, values_only=True))
    assert rows == [
        (3, True, "inf", 7, "[1, 2]", "A", dt.datetime(2026, 9, 30), "=SUM(A1)", None),
        (
            None,
            None,
            "-inf",
            1.5,
            None,
            None,
            None,
            None,
            dt.datetime(2026, 7, 1),
        ),  # missing: empty
    ]
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet["D2"].data_type == "n" and sheet["H2"].data_type == "s"  # text, no formula
    assert sheet["I3"].is_date  # a date after a missing one still shows as a date


def test_export_writes_csv_as_displayed(tmp_path):
    from salesnb.notebook import export_table

    _, csv_path = export_table(
        EXPORTED, tmp_path / "top", spec=TableSpec("t", columns={"deals": "count"})
    )
    assert csv_path.read_text().splitlines() == [
        "account_name,revenue,small_amount,share,deals,score,close_date,won",
        "'=cmd,1234567.89,999.5,0.178750832151,200,0.3,2027-01-16,True",
        "Globex,2.5,1.23,0.5,,3.0,,False",
    ]


def test_a_long_table_is_shortened_in_the_workbook_not_in_the_csv(tmp_path):
    import openpyxl

    from salesnb.notebook import export_table

    table = pd.DataFrame({"account_id": [f"A{i:03d}" for i in range(7)], "revenue": range(7)})
    xlsx, csv_path = export_table(table, tmp_path / "work list", max_excel_rows=5)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["work list", "About"]
    rows = list(book["work list"].iter_rows(values_only=True))
    assert rows[0] == ("account_id", "revenue") and len(rows) == 1 + 5
    assert [r[0] for r in rows[1:]] == ["A000", "A001", "A002", "A003", "A004"]  # its order
    about = book["About"]["A1"].value + " " + book["About"]["A2"].value
    assert "first 5 of the table's 7 rows" in about and "work list.csv" in about
    assert len(csv_path.read_text().splitlines()) == 1 + 7  # the CSV keeps every row
    # at the limit: one sheet, every row
    xlsx, _ = export_table(table, tmp_path / "short", max_excel_rows=7)
    assert openpyxl.load_workbook(xlsx).sheetnames == ["short"]


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("vital_few", "vital_few"),
        ("a" * 40, "a" * 31),
        ("plan [Q3]: a/b?*", "plan Q3 a b"),
        ("'quoted'", "quoted"),
        ("History", "History table"),  # a name Excel keeps for itself
        ("", "data"),
        ("///", "data"),
    ],
)
def test_sheet_names_are_ones_excel_accepts(name, sheet):
    from salesnb.notebook import sheet_name

    assert sheet_name(name) == sheet


def test_context_export_passes_spec_currency_and_sheet(tmp_path):
    import openpyxl

    from salesnb.notebook import Context

    ctx = Context(
        data=None,
        quarter="2026Q3",
        window=None,
        previous=None,
        fiscal_start=1,
        currency="EUR",
        output_dir=tmp_path,
    )
    paths = ctx.export(EXPORTED, "top accounts", spec=TableSpec("t", columns={"score": "percent"}))
    assert [p.suffix for p in paths] == [".xlsx", ".csv"] and paths[0].stem.startswith(
        "top_accounts"
    )
    sheet = openpyxl.load_workbook(paths[0])["top accounts"]
    assert sheet["B2"].number_format == '#,##0 "EUR"' and sheet["F2"].number_format == "0.0%"
    assert ctx.exports == [p.name for p in paths]


# --------------------------------------------------------------------------- KPI cards and overview
HEADLINE = (
    KPI("Revenue (TTM)", 20593289.05, "money", "orders of four quarters"),
    KPI("Accounts", np.int64(347), "count"),
    KPI("Win rate", None, "percent", "no deal closed in 2026Q3"),
    KPI("<b>Top</b> 20% share", 0.7123, "percent", "of revenue"),
    KPI("Latest order", pd.Timestamp("2026-09-30"), "date"),
)


def test_kpi_cards_show_label_figure_and_note():
    import re

    from salesnb.notebook import kpi_html, kpis

    block = kpi_html(HEADLINE, currency="USD")
    cards = re.findall(
        r'<div class="sn-kpi-label">(.*?)</div><div class="sn-kpi-value">(.*?)</div>'
        r'(?:<div class="sn-kpi-note">(.*?)</div>)?',
        block,
    )
    assert cards == [
        ("Revenue (TTM)", "20,593,289 USD", "orders of four quarters"),
        ("Accounts", "347", ""),
        ("Win rate", "–", "no deal closed in 2026Q3"),
        ("&lt;b&gt;Top&lt;/b&gt; 20% share", "71.2%", "of revenue"),
        ("Latest order", "2026-09-30", ""),
    ]
    assert kpis(_analysis(headline=HEADLINE)).data == block
    assert kpis(_analysis()) is None  # no headline figures: nothing shown


def test_kpi_cards_wrap_into_rows_within_the_page():
    from weasyprint.formatting_structure import boxes

    from salesnb.notebook import kpi_html

    doc = _render(kpi_html(HEADLINE, currency="USD"))
    assert _overflows(doc) == [] and len(doc.pages) == 1
    cards = [
        b
        for b in _boxes(doc.pages[0]._page_box)
        if isinstance(b, boxes.InlineBlockBox) and "sn-kpi" in (b.element.get("class") or "")
    ]
    rows = sorted({round(b.position_y) for b in cards})
    assert len(cards) == 5 and len(rows) == 2  # three cards, then two


def test_overview_puts_findings_first_then_the_box_then_what_is_absent():
    from salesnb.analysis import Assumption
    from salesnb.notebook import overview

    a = _analysis(
        findings=("Tier 1 gets 11% of logged time against a plan of 59%.", "<i>x</i> **y**"),
        assumptions=(Assumption("hours", "Hours per week", "40", "default", "parameter hours"),),
        absent={
            "churn": "No earlier snapshot: add snapshots/.",
            "moves": "No earlier snapshot: add snapshots/.",
        },
    )
    page = overview(a).data
    order = [
        page.index(s)
        for s in (
            "Key findings",
            "Tier 1 gets 11% of logged time",
            'class="sn-box"',
            "Data coverage and assumptions",
            "2026Q3",
            "What the figures assume",
            "Hours per week",
            "Not shown for this data set",
            "churn, moves",
        )
    ]
    assert order == sorted(order)
    assert "&lt;i&gt;x&lt;/i&gt; **y**" in page and "<i>x</i>" not in page
    assert _overflows(_render(page)) == []


def test_a_money_column_has_cents_only_when_every_amount_is_under_a_thousand():
    """Hand-worked: 963.99 beside 15,361 reads 964 USD (one precision per column, as in the
    Excel export); a column of small amounts keeps its cents."""
    from salesnb.notebook import table_html

    mixed = pd.DataFrame({"revenue": [15361.2, 963.99]})
    small = pd.DataFrame({"amount": [48.9, 178.49]})
    assert _cells(table_html(mixed, currency="USD").html)[-2:] == ["15,361 USD", "964 USD"]
    assert _cells(table_html(small, currency="USD").html)[-2:] == ["48.90 USD", "178.49 USD"]


def test_an_absent_reason_is_said_in_full_once_then_briefly_in_each_later_section(monkeypatch):
    """Sections 3 to 6 of a thin tiering report share one reason: each still says why, once."""
    from salesnb import notebook

    # (code cell, section sentence?): section 3 at 16-18, section 4 at 20-25 (two section
    # sentences, 20 and 22), section 5 at 27-28
    calls = [(16, True), (17, False), (18, False), (20, True), (21, False), (22, True)]
    calls += [(23, False), (27, True), (28, False)]
    cells = iter(c for c, _ in calls)
    monkeypatch.setattr(notebook, "_cell", lambda: next(cells))
    notebook._told.clear()
    notebook._said.clear()
    why = "No account can be scored yet, so nothing can be tiered: add website_score."
    said = [notebook._because(why, section=s) for _, s in calls]
    texts = [None if s is None else s.data.replace("\\", "") for s in said]  # Markdown escapes
    brief = "No account can be scored yet, so nothing can be tiered (as said above)."
    assert "add website_score" in texts[0]
    assert [t is not None for t in texts] == [
        True,
        False,
        False,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert texts[3] == texts[7] and brief in texts[3]
