"""Reports as a manager reads them: an executed notebook as HTML without code, HTML as PDF, PDFs bound into one.

HTML goes through nbconvert (no code, tagged cells removed), PDF through WeasyPrint in
process with the kit's print stylesheet: A4, a cover block, page numbers, the report's
running title on one line, the sections the PDF shows numbered by CSS counters (so a
hidden exercise section never leaves a gap), headings kept with their content. Only
``data:`` URLs and files under the report's folder load: rendering never goes online.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .. import fonts
from ..files import atomic_path

__all__ = [
    "EXERCISE_TAG",
    "HIDDEN_TAGS",
    "TRAINER_TAG",
    "answer_key_html",
    "bind_pdfs",
    "handout_html",
    "notebook_html",
    "page_html",
    "render_pdf",
    "running_title",
    "shared_styles",
    "solution_html",
    "title_of",
    "warm_up",
]

# cells a report never shows; "trainer" cells show only in trainer mode
HIDDEN_TAGS = frozenset({"exercise", "remove-cell", "parameters", "injected-parameters"})
TRAINER_TAG = "trainer"
_RUNNING_MAX = 60  # characters of the running title that fit beside "page n of m" in 8 pt

_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: string(reporttitle); font-size: 8pt; color: #666;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 70%; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt;
    color: #666; white-space: nowrap; width: 30%; } }
body { font-size: 9.5pt; line-height: 1.4; color: #222; counter-reset: section; }
.cover { border-bottom: 2px solid #1f4e79; margin-bottom: 8mm; padding-bottom: 4mm; }
.cover h1 { string-set: reporttitle attr(data-running); font-size: 20pt; color: #1f4e79;
  margin: 0 0 2mm 0; }
.cover p { margin: 0.5mm 0; color: #444; }
.missing-glyphs { color: #8a1c1c; } .missing-glyphs ul { margin: 0.5mm 0; }
h1 { font-size: 15pt; color: #1f4e79; } h2 { font-size: 12.5pt; color: #1f4e79; margin-top: 7mm; }
h3 { font-size: 11pt; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
.text_cell h2, h2.numbered { counter-increment: section;
  bookmark-label: counter(section) ". " content(text); }
.text_cell h2::before, h2.numbered::before { content: counter(section) ". "; }
img { max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
.jp-RenderedImage, .output_png { break-inside: avoid; }  /* charts stay whole; text and tables may break */
table { border-collapse: collapse; font-size: 8pt; margin: 2mm 0; break-inside: auto; }
th, td { border-bottom: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
table.dataframe td { text-align: right; }
th { background: #eef2f7; } tr { break-inside: avoid; }
p { orphans: 3; widows: 3; } li { break-inside: avoid; }
.text_cell ul, .text_cell ol { break-inside: avoid; }  /* a short list (the takeaways) stays whole */
pre { white-space: pre-wrap; font-size: 8.5pt; background: #f7f7f7; padding: 2mm; }
.jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .prompt, a.anchor-link { display: none; }
"""

# "## 2. Why ..." -> "## Why ...": the stylesheet numbers the sections the report shows
_NUMBERED_H2 = re.compile(r"^(##\s+)\d+(?:\.\d+)*\.?\s+(?=\S)", re.M)


def running_title(title: str, limit: int = _RUNNING_MAX) -> str:
    """The footer's title: the part before a colon, cut at a word with "…" past ``limit``.

    Example
    -------
    >>> running_title("Pipeline health: what it will really yield, and how much is missing")
    'Pipeline health'
    """
    short = title.split(":", 1)[0].strip() or title.strip()
    if len(short) <= limit:
        return short
    cut = short[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;.-–")
    return (cut or short[: limit - 1]) + "…"


# a great_tables table: its container (id given by the kit) and the style block scoped to it
_GT_TABLE = re.compile(r'<div id="(sn-[\w-]+)"([^>]*)>(\s*)<style>(.*?)</style>', re.S)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def shared_styles(body: str) -> str:
    """``body`` with each distinct style block once, at its end.

    Every table carries great_tables' stylesheet scoped to its own id (a notebook output
    stands alone), so a report with 30 tables held 30 copies of ~100 rules, which WeasyPrint
    matched against every element: half of a PDF's time. Here the tables with the same style
    share one class (``sn-gt-1``, ``sn-gt-2`` ...) in place of their ids, and identical
    blocks (the kit's table and box rules) appear once, after the content, so they still
    come last in the cascade as each came after what it styles.
    """
    classes: dict[str, str] = {}

    def table(m: re.Match[str]) -> str:
        key, attrs, space, css = m.group(1), m.group(2), m.group(3), m.group(4)
        generic = css.replace(f"#{key}", "#ID")
        name = classes.setdefault(generic, f"sn-gt-{len(classes) + 1}")
        return f'<div id="{key}" class="{name}"{attrs}>{space}'

    body = _GT_TABLE.sub(table, body)
    blocks: dict[str, None] = {}
    body = _STYLE.sub(lambda m: blocks.setdefault(m.group(1).strip(), None) or "", body)
    shared = [css.replace("#ID", f".{name}") for css, name in classes.items()]
    styles = "".join(f"<style>{css}</style>" for css in [*blocks, *shared])
    return body + styles


def page_html(title: str, subtitle: Sequence[str], body: str, *, css: str = "") -> str:
    """A standalone report page: the kit's stylesheet (and ``css``), the cover block, ``body``.

    ``title`` and ``subtitle`` are text (escaped here); ``body`` is HTML. Names no font can
    draw are listed on the cover. Style blocks in ``body`` are shared (:func:`shared_styles`).
    """
    body = shared_styles(body)
    cover = "".join(f"<p>{html.escape(line)}</p>" for line in subtitle)
    texts = [title, *subtitle, *fonts.html_texts(body)]
    cover += fonts.missing_note(fonts.missing_glyphs(texts))  # names that would draw as boxes
    running = html.escape(running_title(title), quote=True)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{fonts.css(texts)}{_CSS}{css}</style></head>"
        f"<body><section class='cover'><h1 data-running=\"{running}\">{html.escape(title)}</h1>"
        f"{cover}</section>{body}</body></html>"
    )


EXERCISE_TAG = "exercise"
_EXERCISES = ("hide", "questions", "solutions")
_RULED_LINES = 5  # lines under each exercise question in a handout
_NOTES_LINES = 24  # lines of the handout's closing notes page

_TRAINING_CSS = """
.sn-ruled { margin: 2mm 0 5mm 0; break-inside: avoid; break-before: avoid; }
.sn-ruled div { height: 8mm; border-bottom: 0.5pt solid #9aa7b8; }
.sn-notes { break-before: page; }
.sn-notes h2::before { content: none; }
.sn-solution { border-left: 3px solid #2e7d32; background: #f3f8f3; padding: 1.5mm 3mm;
  margin: 1mm 0 4mm 0; break-inside: avoid; }
"""


def _ruled(lines: int) -> str:
    return f'<div class="sn-ruled">{"<div></div>" * lines}</div>'


class _SolutionFinder(HTMLParser):
    """Finds the first element whose class names ``sn-solution`` and where it ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.start: tuple[int, int] | None = None
        self.end: tuple[int, int] | None = None
        self._tag = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.end is not None:
            return
        if self.start is None:
            classes = (dict(attrs).get("class") or "").split()
            if "sn-solution" in classes:
                self.start, self._tag, self._depth = self.getpos(), tag, 1
        elif tag == self._tag:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.start is None or self.end is not None or tag != self._tag:
            return
        self._depth -= 1
        if self._depth == 0:
            line, col = self.getpos()
            self.end = (line, col + len(f"</{tag}>"))


def solution_html(feedback: str) -> str | None:
    """The solution block (class ``sn-solution``) of a check's HTML output, or None."""
    finder = _SolutionFinder()
    finder.feed(feedback)
    if finder.start is None or finder.end is None:
        return None
    starts = [0]
    for line in feedback.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    return feedback[offset(finder.start) : offset(finder.end)]


def _exercise_cells(nb: Any, exercises: str) -> None:
    """Exercise code cells as the report shows them (in place): the ruled space a learner
    writes in (``questions``) or the solution a trainer-mode check printed (``solutions``)."""
    from nbformat.v4 import new_markdown_cell

    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or EXERCISE_TAG not in cell.metadata.get("tags", []):
            continue
        if exercises == "questions":
            before = nb.cells[i - 1] if i else None
            if before is not None and before.cell_type == "markdown":
                # under its question, in the same cell: the page does not break between them
                before.source = before.source.rstrip() + "\n\n" + _ruled(_RULED_LINES)
                nb.cells[i] = new_markdown_cell("")
            else:
                nb.cells[i] = new_markdown_cell(_ruled(_RULED_LINES))
            continue
        for out in cell.get("outputs", []):
            shown = (out.get("data") or {}).get("text/html")
            if isinstance(shown, list):
                shown = "".join(shown)
            block = solution_html(shown) if isinstance(shown, str) else None
            if block is not None:  # the answer itself, not the "write your answer" prompt
                out["data"] = {"text/html": block, "text/plain": "solution"}


def _body(nb: Any, *, trainer: bool, exercises: str) -> str:
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if exercises not in _EXERCISES:
        raise ValueError(f"exercises is one of {', '.join(_EXERCISES)}, not {exercises!r}")
    hidden = set(HIDDEN_TAGS) | (set() if trainer else {TRAINER_TAG})
    if exercises != "hide":
        hidden.discard(EXERCISE_TAG)
    remover = TagRemovePreprocessor(
        remove_cell_tags=hidden,
        remove_all_outputs_tags={"remove-output"},
        remove_input_tags={"hide-input"},
        enabled=True,
    )
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(remover, enabled=True)
    nb = copy.deepcopy(nb)
    # cells whose printed values nbval compares are for the tests, not the reader
    nb.cells = [c for c in nb.cells if not c.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    for cell in nb.cells:  # the cover shows the title: drop the notebook's own H1 once
        if cell.cell_type == "markdown" and re.search(r"^#\s+", cell.source, re.M):
            cell.source = re.sub(r"^#\s+.+\n?", "", cell.source, count=1, flags=re.M)
            break
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _NUMBERED_H2.sub(r"\1", cell.source)
    if exercises != "hide":
        _exercise_cells(nb, exercises)
    body, _ = exporter.from_notebook_node(nb)
    return body


def notebook_html(
    nb: Any,
    *,
    title: str,
    subtitle: list[str],
    trainer: bool = False,
    exercises: str = "hide",
) -> str:
    """A standalone HTML page of an executed notebook: cover block, no code, hidden tags removed.

    Cells tagged ``trainer`` (session length, timings, discussion prompts) show only with
    ``trainer=True``; parameter and ``remove-cell`` cells never show. Exercises (cells
    tagged ``exercise``) are hidden by default (reports, reviews); ``"solutions"`` shows
    each question with the solution its trainer-mode check printed, ``"questions"`` each
    question with ruled space for the answer (a learner handout).
    """
    body = _body(nb, trainer=trainer, exercises=exercises)
    return page_html(title, subtitle, body, css=_TRAINING_CSS if exercises != "hide" else "")


def handout_html(nb: Any, *, title: str, subtitle: list[str]) -> str:
    """A learner handout of a (learner-mode) executed notebook: narrative, tables and charts,
    exercise questions with ruled space instead of answers, a page of ruled lines for notes."""
    paper = copy.deepcopy(nb)
    for cell in paper.cells:  # the notebook's instruction is for JupyterLab; on paper: below
        if cell.cell_type == "markdown" and EXERCISE_TAG in cell.metadata.get("tags", []):
            cell.source = _IN_PLACE_OF_NONE.sub(_ON_PAPER, cell.source)
    body = _body(paper, trainer=False, exercises="questions")
    notes = f'<section class="sn-notes"><h2>Notes</h2>{_ruled(_NOTES_LINES)}</section>'
    return page_html(title, subtitle, body + notes, css=_TRAINING_CSS)


# "Write your answer in place of `None` and run the cell: the check ..." in an exercise intro
_IN_PLACE_OF_NONE = re.compile(
    r"Write your (answer|guess) in place of `?None`? and run the cell[^:.]*[:.]"
)
_ON_PAPER = (
    r"Write your \1 in the ruled space below each question (in JupyterLab: in place of None, "
    r"then run the cell):"
)


def answer_key_html(nb: Any, *, title: str, subtitle: list[str]) -> str:
    """The trainer's answer key of a trainer-mode executed notebook: the trainer cells, then
    every exercise question with the solution computed from the data."""
    keep = copy.deepcopy(nb)
    tags = {EXERCISE_TAG, TRAINER_TAG}
    keep.cells = [c for c in nb.cells if tags & set(c.metadata.get("tags", []))]
    if not any(EXERCISE_TAG in c.metadata.get("tags", []) for c in keep.cells):
        note = "<p>This notebook has no exercises yet.</p>"
        return page_html(title, subtitle, note, css=_TRAINING_CSS)
    body = _body(keep, trainer=True, exercises="solutions")
    return page_html(title, subtitle, body, css=_TRAINING_CSS)


def warm_up() -> None:
    """Render a one-cell notebook to HTML and PDF in memory, and forget the result.

    The first report a process renders also pays for compiling nbconvert's templates and for
    WeasyPrint's first layout (its fonts found and loaded): about 1 s of CPU. ``run_notebook``
    calls this on a thread while the kernel runs the notebook's cells, time this process
    otherwise spends waiting. Nothing is written anywhere.
    """
    import nbformat
    import weasyprint

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Warm-up\n\nA **short** text, *kept* nowhere."),
            nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")]),
        ]
    )
    page = notebook_html(nb, title="Warm-up", subtitle=["a page no one reads"])
    fonts.missing_glyphs(fonts.html_texts(page))
    weasyprint.HTML(string=page, url_fetcher=_local_only(Path.cwd())).write_pdf()


def _local_only(root: Path) -> Any:
    """WeasyPrint's URL fetcher for a report: data: URLs and files under ``root``, nothing else."""
    from weasyprint.urls import URLFetcher

    allowed = root.resolve()

    class _LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:  # noqa: ANN401 - WeasyPrint's type
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if path.is_relative_to(allowed):
                    return super().fetch(url, headers)
            raise ValueError(f"salesnb renders offline: not fetching {url[:80]}")

    return _LocalOnly()


def render_pdf(page: str, target: Path, *, root: Path) -> None:
    """HTML -> PDF with WeasyPrint, in process; only data: URLs and files under ``root`` load."""
    import weasyprint

    base = str(root.resolve())
    with atomic_path(target) as tmp:
        weasyprint.HTML(string=page, base_url=base, url_fetcher=_local_only(root)).write_pdf(tmp)


def title_of(nb: Any, fallback: str) -> str:
    """A notebook's title: its first markdown H1, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def bind_pdfs(parts: Sequence[tuple[str, Path]], target: Path) -> None:
    """Bind PDFs into one (``review.pdf``): a bookmark per part, each part's own bookmarks below it.

    ``parts`` are (bookmark title, PDF path) in reading order; written atomically.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for label, path in parts:
        start = len(writer.pages)
        reader = PdfReader(str(path))
        writer.append(reader, import_outline=False)
        parent = writer.add_outline_item(title=label, page_number=start)
        _copy_outline(writer, reader, reader.outline, parent, start)
    writer.page_mode = "/UseOutlines"  # a reader opens with the bookmarks shown
    with atomic_path(target) as tmp, tmp.open("wb") as fh:
        writer.write(fh)


def _copy_outline(writer: Any, reader: Any, items: list[Any], parent: Any, offset: int) -> None:
    """A part's bookmarks under ``parent``, without the cover title's (the part's bookmark says it).

    WeasyPrint's outline of a report is the cover's H1 with every section below it.
    """
    if len(items) == 2 and not isinstance(items[0], list) and isinstance(items[1], list):
        items = items[1]
    elif len(items) == 1 and not isinstance(items[0], list):
        items = []
    _copy_outline_items(writer, reader, items, parent, offset)


def _copy_outline_items(
    writer: Any, reader: Any, items: list[Any], parent: Any, offset: int
) -> None:
    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                _copy_outline_items(writer, reader, item, last, offset)
            continue
        last = _add_item(writer, reader, item, parent, offset)


def _add_item(writer: Any, reader: Any, item: Any, parent: Any, offset: int) -> Any:
    page = reader.get_destination_page_number(item)
    return writer.add_outline_item(
        title=item.title, page_number=offset + (page or 0), parent=parent
    )
