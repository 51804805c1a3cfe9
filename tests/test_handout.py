"""Trainer mode, learner handouts and answer keys: what each shows and hides."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from salesnb import report
from salesnb.report.render import answer_key_html, handout_html, solution_html
from salesnb.report.run import run_notebook
from salesnb.training import Feedback

QUESTION = "How many accounts does the book hold?"
TRAINER = "Allow ten minutes; ask who counted the inactive accounts."
SOLUTION = "the-answer-is-500"
PROMPT = "Write your answer in place of None"


def _cell(kind: str, source: str, tags: tuple[str, ...] = (), **meta: object):
    cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    cell.metadata.update(meta)
    return cell


def _executed(*, trainer: bool) -> nbformat.NotebookNode:
    """An executed-looking notebook: narrative, a chart, a trainer cell, one exercise."""
    check = _cell(
        "code",
        'answer_1 = None\nsn.training.check("1", answer_1)',
        ("exercise",),
        salesnb={"exercise": "1", "kind": "read", "title": "Accounts"},
    )
    fb = Feedback(False, PROMPT + ".", SOLUTION if trainer else "")
    check.outputs = [
        new_output(
            "execute_result",
            {"text/html": fb._repr_html_(), "text/plain": str(fb)},
            execution_count=1,
        )
    ]
    chart = _cell("code", "plot()")
    chart.outputs = [new_output("display_data", {"image/png": "iVBORw0KGgo=", "text/plain": "x"})]
    return new_notebook(
        cells=[
            _cell("md", "# Practice: counting accounts\n\nWhy counting matters."),
            _cell("md", TRAINER, ("trainer",)),
            _cell("md", "## 1. The book\n\nThe narrative a learner reads."),
            chart,
            _cell("md", f"## Exercises\n\n**Exercise 1.** {QUESTION}", ("exercise",)),
            check,
            _cell("md", "## Takeaways\n\nCount first."),
        ]
    )


def test_reports_hide_exercises_and_trainer_cells_unless_trainer_mode():
    learner = report.notebook_html(_executed(trainer=False), title="T", subtitle=["q"])
    assert QUESTION not in learner and TRAINER not in learner and PROMPT not in learner
    assert "The narrative a learner reads." in learner and "<img" in learner
    trainer = report.notebook_html(
        _executed(trainer=True), title="T", subtitle=["q"], trainer=True, exercises="solutions"
    )
    assert QUESTION in trainer and TRAINER in trainer and SOLUTION in trainer
    assert 'class="sn-solution"' in trainer
    assert PROMPT not in trainer  # the key shows the answer, not the learner's prompt
    with pytest.raises(ValueError, match="questions, solutions"):
        report.notebook_html(_executed(trainer=False), title="T", subtitle=[], exercises="all")


def test_handout_has_questions_and_space_but_no_answers():
    page = handout_html(_executed(trainer=True), title="T", subtitle=["Learner handout"])
    assert QUESTION in page and "The narrative a learner reads." in page and "<img" in page
    assert SOLUTION not in page and 'class="sn-solution' not in page and PROMPT not in page
    assert TRAINER not in page
    assert page.count('class="sn-ruled"') == 2  # under the question, and the notes page
    assert "<h2>Notes</h2>" in page


def test_a_handout_tells_learners_on_paper_where_to_write():
    nb = _executed(trainer=False)
    intro = "## Exercises\n\nWrite your answer in place of `None` and run the cell: the check says."
    nb.cells[4].source = intro + f"\n\n**Exercise 1.** {QUESTION}"
    page = handout_html(nb, title="T", subtitle=["Learner handout"])
    assert "in the ruled space below each question (in JupyterLab: in place of None" in page
    assert "the check says." in page and "in place of <code>None</code>" not in page


def test_answer_key_has_questions_solutions_and_trainer_notes_only():
    page = answer_key_html(_executed(trainer=True), title="T: answer key", subtitle=["k"])
    assert QUESTION in page and SOLUTION in page and TRAINER in page
    assert "The narrative a learner reads." not in page and "<img" not in page
    empty = answer_key_html(new_notebook(cells=[_cell("md", "# X")]), title="X", subtitle=[])
    assert "no exercises yet" in empty


def test_solution_html_finds_the_nested_block():
    block = '<div class="sn-solution x"><div>in</div> tail</div>'
    text = f'<div class="a"><div class="sn-feedback"><b>x</b></div>\n{block}</div>'
    assert solution_html(text) == block
    assert solution_html("<p>none</p>") is None


# --------------------------------------------------------------------------- with a kernel
_SETUP = """import salesnb as sn
ctx = sn.notebook.setup(data_dir, quarter=quarter, output_dir=output_dir)
n = len(ctx.data.tables["accounts"])
sn.training.start(mode, "99_practice", {"1": sn.training.Answer(n, kind="count", hint="Count them.")})"""


def _practice(folder: Path) -> Path:
    params = _cell(
        "code",
        'data_dir: str = "data/demo"  # data\nquarter: str = "2026Q3"  # quarter\n'
        'output_dir: str = ""  # out\nredact: bool = False  # redact\n'
        'mode: str = "learner"  # "learner" or "trainer"',
        ("parameters",),
    )
    nb = new_notebook(
        cells=[
            _cell("md", "# Practice: counting accounts\n\nWhy counting matters."),
            params,
            _cell("code", _SETUP, ("hide-input",)),
            _cell("md", TRAINER, ("trainer",)),
            _cell("md", "## The book\n\nThe narrative a learner reads."),
            _cell("md", f"## Exercises\n\n**Exercise 1.** {QUESTION}", ("exercise",)),
            _cell(
                "code",
                'answer_1 = None\nsn.training.check("1", answer_1)',
                ("exercise",),
                salesnb={"exercise": "1", "kind": "read", "title": "Accounts"},
            ),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "99_practice.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


@pytest.mark.slow
def test_trainer_run_handout_and_answer_key_from_the_data(tmp_path, run_cli):
    book = _practice(tmp_path / "nbs")
    accounts = len(__import__("pandas").read_csv(ROOT / "data" / "demo" / "accounts.csv"))
    demo = ROOT / "data" / "demo"

    res = run_cli(
        "handout",
        book,
        "--data",
        demo,
        "--quarter",
        "2026Q3",
        "--out",
        tmp_path / "h",
        "--answer-key",
    )
    assert res.code == 0, res.err
    handout = _pdf_text(tmp_path / "h" / "99_practice_handout.pdf")
    key = _pdf_text(tmp_path / "h" / "99_practice_answer_key.pdf")
    assert QUESTION in handout and "Notes" in handout and "Learner handout" in handout
    assert "Solution" not in handout and TRAINER not in handout
    assert QUESTION in key and "Solution" in key and re.search(rf"\b{accounts}\b", key)
    assert TRAINER in key and "answer key" in key
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == [
        "99_practice_answer_key.pdf",
        "99_practice_handout.pdf",
    ]  # executed notebooks and exports stay out of the handout folder

    trained = run_notebook(
        book, data=demo, quarter="2026Q3", out=tmp_path / "t", parameters={"mode": "trainer"}
    )
    assert trained.status == "ok", trained.error
    page = (tmp_path / "t" / "99_practice" / "99_practice.html").read_text()
    assert QUESTION in page and TRAINER in page and "sn-solution" in page
    assert "Trainer's copy" in html.unescape(page)

    bad = run_cli("handout", book, "--data", demo, "-p", "mode", "trainer")
    assert bad.code == 2 and "sets the mode itself" in bad.err


def test_kernels_started_by_the_engine_draw_controls_statically(monkeypatch):
    """A kernel inherits JPY_SESSION_NAME when `salesnb run` is called inside JupyterLab:
    the engine turns live controls off for its kernels and restores the caller's setting."""
    import os

    from salesnb import widgets
    from salesnb.report import run

    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")
    monkeypatch.delenv("SALESNB_LIVE", raising=False)
    assert widgets.is_live()
    with run._static_controls():
        assert os.environ["SALESNB_LIVE"] == "0" and not widgets.is_live()
    assert "SALESNB_LIVE" not in os.environ and widgets.is_live()
