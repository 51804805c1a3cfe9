"""sn.training: answers a person writes pass, wrong ones say what is wrong, progress is recorded.

Every expected verdict below was worked out by hand from the rules in salesnb/training.py's
KINDS docstring (percent to the nearest point, numbers rounded to two significant figures,
counts exact, tolerances absolute in the answer's unit).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesnb import training
from salesnb.training import Answer, Feedback


@pytest.fixture(autouse=True)
def _clean(tmp_path, monkeypatch):
    """Every test starts outside any workspace with no exercises registered."""
    monkeypatch.delenv(training.WORKSPACE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(training._Session, "mode", "learner")
    monkeypatch.setattr(training._Session, "notebook", "")
    monkeypatch.setattr(training._Session, "key", {})
    monkeypatch.setattr(training._Session, "started", False)


def ask(answer: Answer, given, mode: str = "learner") -> Feedback:
    training.start(mode, "00_test", {"1": answer})
    return training.check("1", given)


def passes(answer: Answer, *forms) -> None:
    for form in forms:
        fb = ask(answer, form)
        assert fb.correct, f"{form!r} should pass for {answer}: {fb.message}"


def fails(answer: Answer, *forms) -> None:
    for form in forms:
        fb = ask(answer, form)
        assert not fb.correct, f"{form!r} should fail for {answer}"


# --------------------------------------------------------------------------- percent
def test_percent_every_written_form_passes():
    key = Answer(0.8, kind="percent")
    passes(key, 0.8, 80, 80.0, "80%", "80 %", " 80% ", "80.0%", "0.8", "0.80", "80", "80 percent")
    passes(key, "80 points", "80pts", "80,0 %")


def test_percent_wrong_answers_say_which_way_without_the_answer():
    key = Answer(0.8, kind="percent")
    fails(key, 0.7, "70%", 0.81, "81 %", 8, "8%", "0.08")
    fb = ask(key, "70%")
    assert fb.message.startswith("The data's figure is higher than 70%.")
    assert "80" not in fb.message
    assert "within half a point" in fb.message  # the default tolerance is stated
    assert "lower than 90%" in ask(key, 0.9).message


def test_percent_default_is_half_a_point_either_way():
    key = Answer(0.3333, kind="percent")
    passes(key, "33%", 0.33, 33, "33.3%", 0.3383)  # 0.3383 is exactly half a point away
    fails(key, "34%", 0.3384, 0.32)


def test_percent_above_one_hundred_reads_either_way():
    key = Answer(1.25, kind="percent")  # 125% of quota
    passes(key, 1.25, 125, "125%")
    fails(key, "1.25%", 12.5)


def test_percent_tolerance_boundaries_and_hint():
    key = Answer(0.5, kind="percent", tolerance=0.01, hint="Read the last row.")
    passes(key, 0.51, 0.49, "51%", "49 %", 51, 0.5099)
    fails(key, 0.5101, "51.1%", "48.9%")
    fb = ask(key, 0.6)
    assert fb.message.endswith("Read the last row. Within 1 point.")
    assert "Within 2.5 points." in ask(Answer(0.5, kind="percent", tolerance=0.025), 0.9).message


def test_unreadable_number_says_how_to_write_it():
    fb = ask(Answer(0.8, kind="percent"), "eighty")
    assert not fb.correct
    assert "'eighty' is not a number I can read" in fb.message
    assert '"80%"' in fb.message
    assert not ask(Answer(0.8, kind="percent"), True).correct  # a bool is no number


# --------------------------------------------------------------------------- counts, money, numbers
def test_count_is_exact_in_any_spelling():
    passes(Answer(6, kind="count"), 6, "6", 6.0, " 6 ")
    fails(Answer(6, kind="count"), 5, 7, "6.5", "six")
    assert ask(Answer(6, kind="count"), 6.5).message.startswith("Give the exact count")
    passes(Answer(1234, kind="count"), "1,234", "1 234", "1234", "1.234", "1'234")
    fails(Answer(1234, kind="count"), "1.2k", 1200)


def test_count_with_tolerance():
    key = Answer(100, kind="count", tolerance=2)
    passes(key, 98, 102)
    fails(key, 97, 103)
    assert "Within 2." in ask(key, 50).message


def test_money_rounded_as_written_to_two_significant_figures():
    key = Answer(1_234_567.0, kind="money")
    passes(key, 1_234_567, "1,234,567", "1.234.567", "1 234 567 €", "$1.2m", "1.23m", "EUR 1.2 mn")
    passes(key, "1,235k", 1_200_000, 1.2e6, "1.234.567,00", "1.2 million")
    fails(key, "1m", 1_000_000, "1.3m", 1_300_000, "1.24m", "1.2 bananas")
    assert "two significant figures" in ask(key, "1m").message
    passes(Answer(49_500_000.0, kind="money"), "50m", 50_000_000, "49.5m")  # 50m is 5.0e7


def test_money_with_currency_symbols_codes_and_words():
    key = Answer(1_200_000.0, kind="money")
    passes(key, "USD1.2m", "1.2 million euros", "1.2m$", "EUR 1,200,000", "1.2 M€", "£1,200k")
    fails(key, "1.2 bananas", "1.2m 2")


def test_money_explicit_tolerance_replaces_rounding():
    key = Answer(1_234_567.0, kind="money", tolerance=1000)
    passes(key, 1_235_000, 1_233_600)  # 433 and 967 away
    fails(key, 1_236_000, "1.2m")  # 1,433 away; rounded further than the tolerance
    assert "Within 1,000." in ask(key, 5).message


def test_number_rounding_and_direction():
    key = Answer(12.345, kind="number")
    passes(key, 12.345, 12.3, "12.35", 12, "12,3")
    fails(key, "12.4", 10, 13)  # 12.4 is 0.055 away, more than half of 0.1
    assert ask(key, 13).message.startswith("The data's figure is lower than 13.")


# --------------------------------------------------------------------------- tiers and names
def test_tier_forms():
    passes(Answer("T2", kind="tier"), "Tier 2", "T2", "t2", "tier 2", "TIER II", 2, "2", "tier-2")
    fails(Answer("T2", kind="tier"), "T3", "Tier 1", 3, "Global")
    assert ask(Answer("T2", kind="tier"), "T3").message.startswith("T3 is not the tier")
    passes(Answer("Tier 1", kind="tier"), "T1", 1, "tier I")
    passes(Answer("Global", kind="tier"), "global", " GLOBAL ")


def test_names_ignore_case_spacing_accents_and_punctuation():
    key = Answer("Acme Corp.", kind="name")
    passes(key, "acme corp", "ACME  CORP", "Acme Corp.", "acme-corp", "Acmé Corp", " acme corp. ")
    fails(key, "Acme", "Acme Corporation")
    passes(Answer("Smith & Sons", kind="text"), "smith and sons", "SMITH & SONS")


def test_ties_any_of_the_tied_answers_passes():
    key = Answer("Acme", kind="name", any_of=["Bolt", "Core"])  # three accounts at 6 cases
    passes(key, "Acme", "bolt", "CORE")
    fails(key, "Dent")
    passes(Answer(6, kind="count", any_of=[7]), 6, 7)


# --------------------------------------------------------------------------- sets and picks
def test_set_every_item_in_any_order_and_alternative_sets():
    key = Answer(["Acme", "Bolt", "Core"], kind="set", any_of=[["Acme", "Bolt", "Dent"]])
    passes(key, ["core", "ACME", "Bolt"], ("Acme", "Bolt", "Core"), {"Acme", "Bolt", "Core"})
    passes(key, "acme, bolt, core", "Acme; Bolt; Dent")
    fails(key, ["Acme", "Bolt"], ["Acme", "Bolt", "Core", "Dent"], "Acme")


def test_set_partial_credit_names_right_and_wrong_items():
    key = Answer(["Acme", "Bolt", "Core"], kind="set")
    fb = ask(key, ["Acme", "bolt", "Zed"])
    assert not fb.correct
    assert fb.message.startswith("2 of 3 right (Acme, bolt). Not in the answer: Zed. 1 is missing.")
    assert "Core" not in fb.message  # the missing item is not given away
    assert fb.score == pytest.approx(2 / 4)
    assert ask(key, ["Acme"]).message.startswith("1 of 3 right (Acme). 2 are missing.")


def test_set_names_with_commas_in_a_text_answer():
    key = Answer(["Acme, Inc.", "Bolt"], kind="set")
    passes(key, "Acme, Inc., Bolt", "bolt, acme inc")


def test_set_with_a_date_and_names_as_in_the_war_room_plan():
    import datetime as dt

    import pandas as pd

    key = Answer(
        ["2026-03-04", "Ana Lee", "Bo Chen"], kind="set", any_of=[["2026-03-05", "Cy", "Bo Chen"]]
    )
    passes(
        key,
        [dt.date(2026, 3, 4), "ana lee", "BO CHEN"],
        [pd.Timestamp("2026-03-05"), "cy", "bo chen"],
    )
    passes(key, "2026-03-04, Ana Lee, Bo Chen")
    fb = ask(key, ["2026-03-05", "Ana Lee", "Bo Chen"])  # the best-matching plan is named
    assert fb.message.startswith(
        "2 of 3 right (Ana Lee, Bo Chen). Not in the answer: 2026-03-05. 1 is missing."
    )


def test_set_of_tiers():
    passes(Answer(["T1", "T2"], kind="set", of="tier"), ["Tier 2", 1], "t1, tier 2")


def test_pick_any_k_of_the_acceptable():
    key = Answer(["A", "B", "C", "D"], kind="pick", k=3, any_of=["E"])
    passes(key, ["a", "c", "e"], ["D", "B", "A"], "A, B, C")
    fails(key, ["A", "B"], ["A", "B", "C", "D"], ["A", "B", "Z"])
    fb = ask(key, ["A", "Z"])
    assert fb.message.startswith("Name 3 (you named 2). A is among them. Z is not.")
    assert fb.score == pytest.approx(1 / 3)
    assert ask(key, ["A", "B", "Z"]).score == pytest.approx(2 / 3)
    assert ask(key, ["A", "B", "Z"]).message.startswith("A, B are among them. Z is not.")


def test_pick_default_k_is_the_candidates():
    passes(Answer(["A", "B"], kind="pick"), ["b", "a"])
    fails(Answer(["A", "B"], kind="pick"), ["a"])


# --------------------------------------------------------------------------- parts
def test_dict_answers_are_checked_part_by_part():
    key = Answer(
        {"a": Answer(6, kind="count"), "b": Answer("T1", kind="tier"), "c": 0.25}, kind="percent"
    )
    passes(key, {"a": 6, "b": "Tier 1", "c": "25%"}, {"A": "6", "B": 1, "C": 25})
    fb = ask(key, {"a": 6, "b": "T2", "c": 0.25})
    assert not fb.correct
    assert fb.message.startswith("2 of 3 parts right. Part b is wrong: t2 is not the tier")
    assert fb.score == pytest.approx(2 / 3)
    fb = ask(key, {"a": 5, "c": 0.25, "d": 1})
    assert "Part a is wrong: the data's figure is higher than 5." in fb.message
    assert "Part b is missing." in fb.message
    assert "D is not a part of this exercise (the parts are a, b, c)." in fb.message
    fb = ask(key, 6)
    assert fb.message.startswith(
        'This exercise has 3 parts: answer with a dict, {"a": ..., "b": ..., "c": ...}.'
    )


# --------------------------------------------------------------------------- guesses
def test_guess_any_answer_passes_and_shows_the_gap():
    key = Answer(0.72, kind="guess", of="percent", explain="Few accounts carry most revenue.")
    fb = ask(key, "60%")
    assert fb.correct
    assert fb.message == (
        "You guessed 60%; the data says 72%, 12 points higher. Few accounts carry most revenue."
    )
    assert ask(key, 0.8).message.startswith("You guessed 80%; the data says 72%, 8 points lower.")
    assert ask(key, 72).message.startswith("You guessed 72%: exactly what the data says.")
    fb = ask(key, None)  # an empty guess is not a guess
    assert not fb.correct
    assert (
        fb.message
        == "Write your guess in place of None and run the cell: then the data shows the figure."
    )
    assert ask(Answer(10, kind="guess"), 7).message == "You guessed 7; the data says 10, 3 higher."
    assert (
        ask(Answer("Acme", kind="guess", of="name"), "acme").message
        == "You guessed acme: so does the data."
    )


def test_predict_shorthand_turns_any_exercise_into_a_guess():
    training.start("learner", "00_test", {"p": Answer(0.5, kind="percent")})
    fb = training.predict("p", 40)
    assert fb.correct
    assert fb.message == "You guessed 40%; the data says 50%, 10 points higher."


# --------------------------------------------------------------------------- modes and display
def test_none_asks_for_an_answer_with_the_hint():
    fb = ask(Answer(0.8, kind="percent", hint="Look at the cumulative share."), None)
    assert not fb.correct
    assert fb.message.startswith("Write your answer in place of None and run the cell again.")
    assert "Look at the cumulative share." in fb.message
    assert fb.solution == ""


def test_learner_never_sees_the_solution_trainer_always_does():
    key = Answer(0.8, kind="percent", any_of=[0.75], explain="The top fifth carries it.")
    learner = ask(key, 0.5)
    assert learner.solution == ""
    assert "sn-feedback" in learner._repr_html_()
    assert "sn-solution" not in learner._repr_html_()
    assert "80%" not in learner._repr_html_() and "explain" not in learner.message
    assert "The top fifth" not in learner.message  # explained only after a right answer
    assert "The top fifth carries it." in ask(key, 0.8).message

    for attempt in (None, 0.5, 0.8):
        trainer = ask(key, attempt, mode="trainer")
        assert trainer.solution.startswith("80% (also right: 75%); to the nearest point")
        assert trainer.solution.endswith("The top fifth carries it.")
        html = trainer._repr_html_()
        assert 'class="sn-solution"' in html and "80% (also right: 75%)" in html
        assert "**Solution.** 80%" in trainer._repr_markdown_()


def test_solution_display_object():
    training.start("learner", "00_test", {"1": Answer("T1", kind="tier", explain="All six boxes.")})
    assert training.solution("1") is None
    training.start(
        "Trainer ", "00_test", {"1": Answer("T1", kind="tier", explain="All six boxes.")}
    )
    assert training.mode() == "trainer"
    shown = training.solution("1")
    assert shown is not None
    assert shown.text == "T1. All six boxes."
    assert shown._repr_html_().startswith('<div class="sn-solution"')


def test_solution_texts_for_sets_picks_parts_and_guesses():
    assert (
        training._solution_text(Answer(["A", "B"], kind="set", any_of=[["A", "C"]]))
        == "A, B; or A, C."
    )
    many = Answer(["A"], kind="set", any_of=[[str(i)] for i in range(1500)])
    assert training._solution_text(many) == "A; or 0; or 1; or 2; and 1,497 more."
    assert training._solution_text(Answer(["A", "B", "C"], kind="pick", k=2, any_of=["D"])) == (
        "any 2 of A, B, C, D."
    )
    assert training._solution_text(
        Answer({"a": Answer(3, kind="count"), "b": "x"}, kind="name")
    ) == ("(a) 3. (b) x.")
    assert training._solution_text(Answer(0.5, kind="guess", of="percent")) == (
        "50% (any guess passes; discuss the gap)."
    )


def test_feedback_is_truthy_when_correct_and_escapes_html():
    assert Feedback(True, "ok")
    assert not Feedback(False, "no")
    assert "&lt;b&gt;" in Feedback(False, "<b>")._repr_html_()
    assert str(Feedback(False, "Try again.", "80%.")) == "Not yet. Try again.\nSolution. 80%."


def test_missing_value_says_the_data_cannot_answer():
    for value in (None, math.nan):
        fb = ask(Answer(value, kind="percent"), 0.5)
        assert not fb.correct
        assert fb.message.startswith("This data set cannot answer this exercise")


def test_usage_errors():
    with pytest.raises(ValueError, match='"learner" or "trainer"'):
        training.start("teacher", "00_test", {})
    with pytest.raises(ValueError, match="run the notebook's setup cell first"):
        training.check("1", 3)
    training.start("learner", "00_test", {"1": Answer(1), 2: Answer(2)})
    with pytest.raises(ValueError, match="00_test has no exercise '3': its exercises are 1, 2"):
        training.check("3", 1)
    assert training.check(2, 2).correct  # an int exercise number works too
    with pytest.raises(ValueError, match="needs an sn.training.Answer"):
        training.start("learner", "00_test", {"1": 0.8})
    with pytest.raises(ValueError, match="kind 'percentage' is unknown"):
        Answer(0.8, kind="percentage")
    with pytest.raises(ValueError, match="tolerance must be a number >= 0"):
        Answer(0.8, tolerance=-1)
    with pytest.raises(ValueError, match="needs a list of items"):
        Answer("Acme", kind="set")


# --------------------------------------------------------------------------- progress
def make_workspace(root: Path, marker: str = '{"learner": "Ana"}') -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / training.MARKER).write_text(marker, encoding="utf-8")
    return root


def read_progress(ws: Path) -> list[dict]:
    return [json.loads(line) for line in (ws / training.PROGRESS_FILE).read_text().splitlines()]


def test_check_records_attempts_inside_a_workspace(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "ws")
    (ws / "notebooks").mkdir()
    monkeypatch.chdir(ws / "notebooks")
    training.start("learner", "01_pareto", {"1": Answer(0.8, kind="percent")})
    training.check("1", None)  # not an attempt
    training.check("1", 0.5)
    training.check("1", "80%")
    lines = read_progress(ws)
    assert [(r["notebook"], r["exercise"], r["correct"], r["learner"]) for r in lines] == [
        ("01_pareto", "1", False, "Ana"),
        ("01_pareto", "1", True, "Ana"),
    ]
    assert lines[0]["at"].endswith("+00:00") and lines[0]["at"][:2] == "20"


def test_nothing_is_written_outside_a_workspace(tmp_path):
    training.start("learner", "01_pareto", {"1": Answer(1)})
    assert training.check("1", 1).correct
    assert training.workspace_root() is None
    assert list(tmp_path.rglob("*")) == []


def test_workspace_from_the_environment_and_a_yaml_marker(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "class" / "bo", marker="learner: Bo\n")
    monkeypatch.setenv(training.WORKSPACE_ENV, str(ws))
    assert training.workspace_root() == ws
    training.start("learner", "02_account_tiering", {"2": Answer("T1", kind="tier")})
    training.check("2", "Tier 1")
    assert read_progress(ws)[0]["learner"] == "Bo"


def test_workspace_root_finds_the_nearest_marker(tmp_path):
    outer = make_workspace(tmp_path / "outer")
    inner = make_workspace(outer / "a" / "inner")
    (inner / "b").mkdir()
    (inner / "b" / "x.ipynb").write_text("{}")
    assert training.workspace_root(inner / "b") == inner
    assert training.workspace_root(inner / "b" / "x.ipynb") == inner
    assert training.workspace_root(outer / "a") == outer
    assert training.workspace_root(tmp_path) is None


def test_a_read_only_workspace_never_breaks_the_session(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "ws")
    (ws / ".salesnb").write_text("a file where the folder should be")
    monkeypatch.chdir(ws)
    training.start("learner", "01_pareto", {"1": Answer(1)})
    assert training.check("1", 1).correct  # mkdir fails: no exception

    (ws / ".salesnb").unlink()

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr(Path, "mkdir", refuse)
    assert not training.check("1", 2).correct
    assert not (ws / ".salesnb").exists()


def test_progress_summarises_notebooks_and_attempts(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "Question"},
            {
                "cell_type": "code",
                "metadata": {
                    "salesnb": {"exercise": "1", "kind": "predict", "title": "Guess the share"}
                },
                "source": "",
            },
            {
                "cell_type": "code",
                "metadata": {"salesnb": {"exercise": "10", "kind": "read", "title": "Top account"}},
                "source": "",
            },
            {
                "cell_type": "code",
                "metadata": {
                    "salesnb": {"exercise": "2", "kind": "judgement", "title": "Move to T1"}
                },
                "source": "",
            },
        ]
    }
    (ws / "notebooks").mkdir()
    (ws / "notebooks" / "01_pareto.ipynb").write_text(json.dumps(nb))
    (ws / "notebooks" / ".ipynb_checkpoints").mkdir()
    (ws / "notebooks" / ".ipynb_checkpoints" / "01_pareto-checkpoint.ipynb").write_text(
        json.dumps(nb)
    )
    (ws / "notebooks" / "broken.ipynb").write_text("not json")
    (ws / ".salesnb").mkdir()
    (ws / training.PROGRESS_FILE).write_text(
        "\n".join(
            [
                json.dumps({"notebook": "01_pareto", "exercise": "1", "correct": False}),
                json.dumps({"notebook": "01_pareto", "exercise": "1", "correct": True}),
                json.dumps({"notebook": "01_pareto", "exercise": "1", "correct": False}),
                "{torn line",
                json.dumps({"notebook": "01_pareto", "exercise": "2", "correct": False}),
                json.dumps({"notebook": "03_pipeline_health", "exercise": "4", "correct": True}),
            ]
        )
        + "\n"
    )
    assert training.progress(ws) == {
        "learner": "Ana",
        "workspace": str(ws),
        "notebooks": {
            "01_pareto": {
                "1": {"passed": True, "attempts": 3, "title": "Guess the share", "kind": "predict"},
                "2": {"passed": False, "attempts": 1, "title": "Move to T1", "kind": "judgement"},
                "10": {"passed": False, "attempts": 0, "title": "Top account", "kind": "read"},
            },
            "03_pipeline_health": {"4": {"passed": True, "attempts": 1, "title": "", "kind": ""}},
        },
    }
    assert list(training.progress(ws)["notebooks"]["01_pareto"]) == ["1", "2", "10"]


def test_progress_of_an_empty_or_missing_folder(tmp_path):
    assert training.progress(tmp_path) == {
        "learner": "",
        "workspace": str(tmp_path),
        "notebooks": {},
    }
    assert training.progress(tmp_path / "nope")["notebooks"] == {}


def test_check_then_progress_round_trip(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(ws)
    training.start("learner", "05_war_room", {"1": Answer(["A", "B"], kind="set"), "2": Answer(3)})
    training.check("1", ["A"])
    training.check("1", "a, b")
    training.check("2", 4)
    got = training.progress(ws)["notebooks"]["05_war_room"]
    assert got["1"]["passed"] and got["1"]["attempts"] == 2
    assert not got["2"]["passed"] and got["2"]["attempts"] == 1


# --------------------------------------------------------------------------- properties


@given(st.floats(0, 3, allow_nan=False))
def test_a_share_rounded_to_whole_points_always_passes(v):
    key = Answer(v, kind="percent")
    for form in (f"{v * 100:.0f}%", f"{v * 100:.1f} %", round(v, 3), f"{v * 100:.0f}"):
        assert training._judge(key, form).correct, form


@given(st.integers(0, 10**9))
def test_a_count_passes_with_thousands_separators_and_fails_one_off(n):
    key = Answer(n, kind="count")
    assert training._judge(key, f"{n:,}").correct
    assert training._judge(key, f"{n:_}".replace("_", " ")).correct
    assert not training._judge(key, n + 1).correct


@given(st.floats(10, 1e10, allow_nan=False))
def test_money_with_cents_or_two_significant_figures_passes(v):
    key = Answer(v, kind="money")
    assert training._judge(key, f"{v:,.2f}").correct
    assert training._judge(key, float(f"{v:.2g}")).correct
    assert not training._judge(key, v * 1.2).correct


def test_a_long_tie_in_a_pick_is_counted_not_listed_in_the_solution():
    """65 Tier 2 accounts may meet a judgement's rubric equally: the trainer sees the first
    twelve by name and a count of the rest, and any of them still passes."""
    from salesnb import training

    names = [f"Acct {i:02d}" for i in range(65)]
    training.start(
        "trainer", "t", {"1": training.Answer(names[:3], kind="pick", k=3, any_of=names[3:])}
    )
    fb = training.check("1", ["Acct 60", "Acct 61", "Acct 62"])
    assert fb.correct
    solution = training.solution("1")
    assert solution is not None
    text = solution._repr_html_()
    assert "Acct 11" in text and "Acct 12" not in text and "53 more" in text, text


def test_a_long_list_of_other_right_answers_is_counted_after_twelve():
    names = [f"Customer {i:02d}" for i in range(40)]
    key = Answer(names[0], kind="name", any_of=names[1:])
    solution = ask(key, None, mode="trainer").solution
    assert "Customer 12" in solution and "Customer 13" not in solution
    assert "and 27 more)" in solution
