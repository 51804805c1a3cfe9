"""Every PDF a manager gets, read as a manager reads it: clean text, consecutive sections, nothing cut.

For a demo review (2026Q3, with 2026Q2 stored before it, so the summary shows the change
and the trends) and a real-data review (Maven CRM, 2017Q3; skipped when ../shared/real is
not there): each PDF's text holds no raw Python or pandas output and no number with more
than two decimals (except in a column a methodology declares ``precise``); its numbered
sections run 1, 2, 3 ... with no gap (a lead block such as "Key findings" may come before
section 1, unnumbered); and no table is wider than its page, checked on the
layout WeasyPrint computes for the report's HTML (each table's and each of its cells'
boxes against the page's content edge). ``review.pdf`` binds the summary and every report
with a bookmark each.
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from pypdf import PdfReader

from salesnb import report

REAL = ROOT.parent / "shared" / "real"
MAVEN = ["maven-crm/accounts.csv", "maven-crm/products.csv", "maven-crm/sales_pipeline.csv"]
SALESNB = str(Path(sys.executable).with_name("salesnb"))

# raw Python / pandas output a report must never show
FORBIDDEN = {
    "NaN": re.compile(r"\bNaN\b"),
    "<NA>": re.compile(r"<NA>"),
    "None": re.compile(r"\bNone\b(?! of\b)"),  # Python's None; "None of the accounts" is English
    "{'": re.compile(r"\{'"),
    "dtype": re.compile(r"\bdtype\b"),
    "00:00:00": re.compile(r"00:00:00"),
}
LONG_DECIMAL = re.compile(r"(?<![\d.])\d[\d,]*\.\d{3,}(?![\d.])")
NUMBERED = re.compile(r"^(\d+)\.\s+\S")


@pytest.fixture(scope="module", params=["demo", "maven"])
def reviewed(request, review_dir) -> Path:
    """The review folder: the demo's 2026Q3 (conftest) or Maven's 2017Q3."""
    return review_dir if request.param == "demo" else request.getfixturevalue("maven_review")


def reports(folder: Path) -> list[Path]:
    """The PDFs a reader gets one by one: the executive summary and every report."""
    return [folder / "00_summary.pdf", *sorted(folder.glob("[0-9][0-9]_*/*.pdf"))]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


# --------------------------------------------------------------------------- text
def _precise_labels() -> set[str]:
    """Column labels of every table a methodology declares with a ``precise`` column."""

    from salesnb.analysis import Analysis

    labels = set()
    for cls in Analysis.__subclasses__():
        for spec in cls.specs.values():
            labels |= {spec.label(c) for c, kind in spec.columns.items() if kind == "precise"}
    return labels


class _Tables(HTMLParser):
    """Cell texts of an HTML page's tables, with each cell's column header."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []  # (header, text)
        self._stack: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append({"header": [], "row": [], "in_head": False})
        elif self._stack and tag == "tr":
            self._stack[-1]["row"] = []
        elif self._stack and tag in ("td", "th"):
            self._cell = []
            self._stack[-1]["kind"] = tag

    def handle_endtag(self, tag):
        if not self._stack:
            return
        t = self._stack[-1]
        if tag in ("td", "th") and self._cell is not None:
            t["row"].append((t["kind"], " ".join("".join(self._cell).split())))
            self._cell = None
        elif tag == "tr":
            if t["row"] and all(k == "th" for k, _ in t["row"]):
                t["header"] = [text for _, text in t["row"]]
            else:
                for i, (_, text) in enumerate(t["row"]):
                    head = t["header"][i] if i < len(t["header"]) else ""
                    self.cells.append((head, text))
        elif tag == "table":
            self._stack.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _allowed_decimals(html_page: str, precise: set[str]) -> set[str]:
    parser = _Tables()
    parser.feed(html_page)
    return {m for head, text in parser.cells if head in precise for m in LONG_DECIMAL.findall(text)}


def test_pdf_text_has_no_raw_output(reviewed):
    problems = []
    precise = _precise_labels()
    for pdf in reports(reviewed):
        text = pdf_text(pdf)
        for token, pattern in FORBIDDEN.items():
            for m in pattern.finditer(text):
                context = " ".join(text[max(0, m.start() - 50) : m.end() + 30].split())
                problems.append(f"{pdf.name}: {token!r} in ...{context}...")
        page = pdf.with_suffix(".html")
        allowed = _allowed_decimals(page.read_text(encoding="utf-8"), precise)
        for m in LONG_DECIMAL.finditer(text):
            if m.group() not in allowed:
                context = " ".join(text[max(0, m.start() - 50) : m.end() + 20].split())
                problems.append(
                    f"{pdf.name}: {m.group()} (more than 2 decimals) in ...{context}..."
                )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- sections
def _outline(reader: PdfReader, items=None, depth: int = 1) -> list[tuple[int, str, int]]:
    """(depth, title, page) of every bookmark, in order."""
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += _outline(reader, item, depth + 1)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item)))
    return out


def test_section_numbers_are_consecutive(reviewed):
    problems = []
    for pdf in reports(reviewed):
        reader = PdfReader(str(pdf))
        sections = [title for depth, title, _ in _outline(reader) if depth == 2]
        numbered = [i for i, t in enumerate(sections) if NUMBERED.match(t)]
        numbers = [int(NUMBERED.match(sections[i]).group(1)) for i in numbered]
        lead = sections[: numbered[0]] if numbered else sections
        if not numbered:
            problems.append(f"{pdf.name}: no numbered section: {sections}")
        elif numbered != list(range(len(lead), len(sections))):  # only a lead block before 1.
            problems.append(f"{pdf.name}: unnumbered sections among the numbered: {sections}")
        elif numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"{pdf.name}: section numbers {numbers}")
        text = " ".join(pdf_text(pdf).split())
        for title in sections:  # the number the bookmark says is the one printed
            if " ".join(title.split()) not in text:
                problems.append(f"{pdf.name}: heading {title!r} not printed as such")
    assert not problems, "\n".join(problems)


def test_headings_carry_no_typed_numbers():
    """Notebook headings are numbered by the report, never by hand (so hidden sections leave no gap)."""
    import nbformat

    typed = []
    for path in report.list_notebooks():
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type == "markdown":
                typed += [
                    f"{path.stem}: {h}" for h in re.findall(r"^##\s+\d+\..*$", cell.source, re.M)
                ]
    assert not typed, "\n".join(typed)


# --------------------------------------------------------------------------- layout
def _page_overflows(page_box, slack: float = 0.5) -> list[str]:
    """Tables (or anything in one) reaching past the page's content edge, in CSS px."""
    from weasyprint.formatting_structure import boxes

    right = page_box.content_box_x() + page_box.width
    found = []

    def walk(box, table=None):
        if isinstance(box, boxes.TableBox) or getattr(box, "is_table_wrapper", False):
            table = box
        if table is not None and hasattr(box, "position_x") and hasattr(box, "margin_width"):
            edge = box.position_x + box.margin_width()
            if edge > right + slack and box.margin_width() > 0:
                text = getattr(box, "text", "") or box.element_tag
                found.append(f"{text[:40]!r} ends at {edge:.0f}px, page content at {right:.0f}px")
        for child in getattr(box, "children", []):
            walk(child, table)

    walk(page_box)
    return found


@pytest.fixture(scope="module")
def layouts(reviewed) -> dict[str, list]:
    """Each report's HTML laid out again by WeasyPrint (once per review): its page boxes."""
    import weasyprint

    out = {}
    for pdf in reports(reviewed):
        page = pdf.with_suffix(".html").read_text(encoding="utf-8")
        doc = weasyprint.HTML(string=page, base_url=str(pdf.parent)).render()
        out[pdf.name] = [p._page_box for p in doc.pages]
    return out


def test_no_table_is_wider_than_its_page(layouts):
    problems = []
    for name, pages in layouts.items():
        for number, box in enumerate(pages, 1):
            problems += [f"{name} p{number}: {o}" for o in _page_overflows(box)[:3]]
    assert not problems, "\n".join(problems)


def test_footers_fit_on_one_line(layouts):
    problems = []
    for name, pages in layouts.items():
        for number, box in enumerate(pages, 1):
            for margin in box.children[1:]:  # the margin boxes (the first child is the body)
                if getattr(margin, "at_keyword", "").startswith("@bottom"):
                    lines = [c for c in margin.descendants() if type(c).__name__ == "LineBox"]
                    if len(lines) > 1:
                        problems.append(
                            f"{name} p{number}: {margin.at_keyword} on {len(lines)} lines"
                        )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- summary and review.pdf
def test_summary_is_one_or_two_pages_with_every_methodology(reviewed):
    summary = json.loads((reviewed / "summary.json").read_text())
    reader = PdfReader(str(reviewed / "00_summary.pdf"))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(pdf_text(reviewed / "00_summary.pdf").split())
    for stem, entry in summary["notebooks"].items():
        name = report.executive.report_name(stem, entry)
        assert name in text, name
        for line in (entry.get("findings") or [])[:1]:  # the lead finding, word for word
            assert " ".join(line.split())[:60] in text, line
    assert "Change since the last review" in text and "Top actions" in text


def test_review_pdf_binds_the_summary_and_every_report_with_bookmarks(reviewed):
    summary = json.loads((reviewed / "summary.json").read_text())
    ok = [e for e in summary["notebooks"].values() if e["status"] == "ok"]
    parts = [reviewed / "00_summary.pdf"] + [
        reviewed / e["notebook"] / f"{e['notebook']}.pdf" for e in ok
    ]
    reader = PdfReader(str(reviewed / "review.pdf"))
    assert len(reader.pages) == sum(len(PdfReader(str(p)).pages) for p in parts)
    top = [(t, page) for depth, t, page in _outline(reader) if depth == 1]
    assert [t for t, _ in top] == ["Executive summary"] + [e["title"] for e in ok]
    starts = [0]
    for p in parts[:-1]:
        starts.append(starts[-1] + len(PdfReader(str(p)).pages))
    assert [page for _, page in top] == starts  # each bookmark opens its report's first page
    sections = [t for depth, t, _ in _outline(reader) if depth == 2]
    assert "1. Change since the last review" in sections  # each report's sections below it
    assert summary["executive"]["status"] == "ok"
    assert set(summary["executive"]["outputs"]) == {
        "00_summary.html",
        "00_summary.pdf",
        "review.pdf",
    }


def test_the_layout_check_finds_a_table_wider_than_its_page():
    import weasyprint

    cells = "".join(f"<td>column_number_{i}_unbreakable</td>" for i in range(14))
    wide = report.page_html("Wide", ["q"], f"<table><tr>{cells}</tr></table>")
    narrow = report.page_html("Narrow", ["q"], "<table><tr><td>a</td><td>b</td></tr></table>")
    assert _page_overflows(weasyprint.HTML(string=wide).render().pages[0]._page_box)
    assert not _page_overflows(weasyprint.HTML(string=narrow).render().pages[0]._page_box)


def test_tables_of_one_style_share_one_style_block():
    """Two tables styled alike share a class and one stylesheet; one in smaller type its own."""
    import pandas as pd

    from salesnb import notebook
    from salesnb.report.render import shared_styles

    small = pd.DataFrame({"account": ["A", "B"], "revenue": [1.0, 2.0]})
    wide = pd.DataFrame({f"column {i}": ["a long text cell here"] * 2 for i in range(12)})
    tables = [notebook.table_html(t, title="T") for t in (small, small, wide)]
    assert [t.layout for t in tables] == ["normal", "normal", "wrapped"]  # smaller type
    body = "".join(t.to_html() for t in tables)
    assert body.count("<style>") == 6  # each table: the kit's rules and great_tables' own
    shared = shared_styles(body)
    ids = re.findall(r'<div id="(sn-[\w-]+)" class="(sn-gt-\d)"', shared)
    assert [c for _, c in ids] == ["sn-gt-1", "sn-gt-1", "sn-gt-2"]
    assert shared.count("<style>") == 3  # the kit's table rules once, two great_tables sheets
    assert shared.rindex("</table>") < shared.index("<style>")  # after what they style
    assert not any(f"#{key}" in shared for key, _ in ids)  # no rule left on a table's id
    assert ".sn-gt-1 .gt_table" in shared and ".sn-gt-2 .gt_table" in shared


# --------------------------------------------------------------------------- live controls (issue 14)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_reports_hold_no_widget_even_where_notebooks_have_live_controls(reviewed):
    """The notebooks' live controls (sn.widgets.live / explore) run headless in a review:
    each draws its static default output, so no executed notebook holds a widget view or
    widget state and no PDF shows a widget's text form."""
    import nbformat

    books = sorted(reviewed.glob("*/*.ipynb"))
    from salesnb import report

    assert len(books) == len(report.list_notebooks())
    live = [b for b in books if "sn.widgets." in b.read_text(encoding="utf-8")]
    assert len(live) >= 4, [b.name for b in live]  # Pareto, tiering, pipeline, compensation
    for book in books:
        nb = nbformat.read(str(book), as_version=4)
        assert "widgets" not in nb.metadata, book.name
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert WIDGET_MIME not in out.get("data", {}), (book.name, cell.source[:80])
    for pdf in reports(reviewed):
        text = pdf_text(pdf)
        assert "interactive(" not in text and "IntSlider" not in text and "VBox(" not in text
