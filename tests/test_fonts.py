"""Fallback fonts: names in CJK, Thai and emoji draw as letters in PDFs and charts; the rest are listed."""

from __future__ import annotations

import base64
import io
import json
import re
import warnings
from dataclasses import asdict
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import make_notebook
from fontTools.ttLib import TTFont
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from salesnb import fonts, report, theme

NAMES = ["株式会社テスト", "北京科技有限公司", "삼성전자", "บริษัท ไทยเบฟ จำกัด", "Rocket 🚀"]
ADLAM = "𞤀𞤁 Holdings"  # Adlam: no font of the kit has it
PRIVATE = "Acme \ue000"  # a private-use character: no font has it


def _page(names: list[str]) -> str:
    table = "".join(f"<tr><td>{n}</td><td>{i}</td></tr>" for i, n in enumerate(names))
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Accounts\n\nTop accounts this quarter."),
            new_code_cell(
                "show(table)",
                outputs=[new_output("display_data", data={"text/html": f"<table>{table}</table>"})],
            ),
        ]
    )
    return report.notebook_html(nb, title="Accounts", subtitle=["Quarter 2026Q3"])


def _pdf_fonts(path: Path) -> set[str]:
    names = set()
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_the_pdf_draws_cjk_thai_and_emoji_names_with_the_fallback_fonts(tmp_path):
    page = _page(NAMES)
    report.render_pdf(page, tmp_path / "x.pdf", root=tmp_path)
    embedded = " ".join(_pdf_fonts(tmp_path / "x.pdf"))
    for family in ("Noto-Sans-CJK-JP", "Noto-Sans-Thai", "Noto-Emoji"):
        assert family in embedded, embedded  # without fallbacks: DejaVu alone, drawing boxes
    text = " ".join(p.extract_text() for p in PdfReader(str(tmp_path / "x.pdf")).pages)
    assert "株式会社テスト" in text and "삼성전자" in text
    assert "class='missing-glyphs'" not in page  # every name drawn: no note
    assert (tmp_path / "x.pdf").stat().st_size < 80_000  # fonts cut down to the page's letters


def test_names_no_font_can_draw_are_listed_on_the_first_page(tmp_path):
    page = _page(["Acme Corp", ADLAM, PRIVATE, ADLAM])
    assert fonts.missing_glyphs(fonts.html_texts(page)) == [ADLAM, PRIVATE]
    report.render_pdf(page, tmp_path / "x.pdf", root=tmp_path)
    # pypdf reads the text around WeasyPrint's .notdef boxes as UTF-16: drop the NULs
    first = PdfReader(str(tmp_path / "x.pdf")).pages[0].extract_text().replace("\x00", "")
    assert "Some names use characters no installed font can draw" in first
    assert "Holdings" in first.split("Top accounts")[0]  # in the cover note, before the body


def test_missing_glyphs_flags_only_characters_no_font_has():
    texts = ["Acme", "東京商事", "ไทย", "🚀 👍🏽", "a\u200db\ufe0f", ADLAM, PRIVATE, ADLAM, "Ωμέγα"]
    assert fonts.missing_glyphs(texts) == [ADLAM, PRIVATE]
    assert fonts.missing_glyphs([]) == []


def test_html_texts_are_the_text_nodes_without_styles_or_scripts():
    page = (
        "<style>p { color: red }</style><p>A &amp; B</p><script>x()</script><td> 東京\n 商事 </td>"
    )
    assert fonts.html_texts(page) == ["A & B", "東京 商事"]


def _embedded(css: str) -> dict[str, TTFont]:
    found = re.findall(r'font-family: "([^"]+)"; src: url\("data:font/sfnt;base64,([^"]+)"\)', css)
    return {name: TTFont(io.BytesIO(base64.b64decode(data))) for name, data in found}


def test_css_embeds_only_the_faces_a_page_needs_cut_down_to_its_characters():
    assert "@font-face" not in fonts.css(["Acme Corp", "Zürich Straße", "Ωμέγα"])
    faces = _embedded(fonts.css(["東京 Acme"]))
    assert list(faces) == ["salesnb Noto Sans CJK JP"]
    assert len(faces["salesnb Noto Sans CJK JP"].getGlyphOrder()) < 100  # of 65,535


def test_a_cut_down_thai_font_keeps_the_parts_sara_am_is_drawn_with():
    thai = _embedded(fonts.css(["จำกัด"]))["salesnb Noto Sans Thai"]
    # HarfBuzz draws SARA AM (U+0E33) as NIKHAHIT + SARA AA: without them, a blank
    assert {0x0E33, 0x0E4D, 0x0E32} <= set(thai.getBestCmap())


def test_chart_labels_in_cjk_thai_and_emoji_find_a_font_with_their_glyphs(caplog):
    colwidth = pd.get_option("display.max_colwidth")
    with (
        mpl.rc_context(),
        warnings.catch_warnings(),
        pd.option_context("display.max_colwidth", colwidth),
    ):
        theme.apply()  # the theme registers the fallbacks; the context puts everything back
        assert "Noto Sans CJK JP" in mpl.rcParams["font.family"]
        fig, ax = plt.subplots()
        ax.set_title("日本語 中文 한국어 ไทย 🚀")  # bold: the fallbacks stand in for their bold
        ax.set_yticks([0, 1], NAMES[:2])
        ax.set_xlabel(ADLAM)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
    missing = {chr(int(n)) for w in caught for n in re.findall(r"Glyph (\d+)", str(w.message))}
    assert missing == set("𞤀𞤁")  # only Adlam, which no font has, draws as boxes
    assert "findfont" not in caplog.text  # a log line would print into the report


def test_a_run_records_the_names_no_font_can_draw_in_summary_json(tmp_path):
    nb = make_notebook(
        tmp_path / "nb" / "01_x.ipynb",
        f"from IPython.display import HTML\nHTML('<table><tr><td>{ADLAM}</td></tr></table>')",
    )
    result = report.run_notebook(nb, data=tmp_path, quarter="2026Q3", out=tmp_path / "out")
    assert result.status == "ok", result.error
    assert result.missing_glyphs == [ADLAM]
    html = (tmp_path / "out" / "01_x" / "01_x.html").read_text(encoding="utf-8")
    assert "class='missing-glyphs'" in html
    assert json.loads(json.dumps(asdict(result)))["missing_glyphs"] == [ADLAM]


@pytest.mark.parametrize("package", ["manimgx_fonts", "noto_cjk_sans_otc"])
def test_each_font_package_is_installed_and_found(package):
    assert any(package in face.path.parts for face in fonts._faces())
