"""Trainer exercises: the learner writes an answer, ``check`` says correct or try again.

The expected value is always computed from the data in the notebook, never typed in,
so the exercise stays right on any data set.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Feedback", "check"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; shows itself as a short message in a notebook."""

    correct: bool
    message: str

    def _repr_markdown_(self) -> str:
        return ("**Correct.** " if self.correct else "**Not yet, try again.** ") + self.message

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.correct else "#b71c1c"
        head = "Correct." if self.correct else "Not yet, try again."
        return f'<p style="color:{color}"><b>{head}</b> {html.escape(self.message)}</p>'

    def __bool__(self) -> bool:
        return self.correct


def _same(answer: Any, expected: Any, tolerance: float) -> bool:
    if answer is None:
        return False
    if isinstance(expected, float | int) and not isinstance(expected, bool):
        try:
            return math.isclose(float(answer), float(expected), rel_tol=0, abs_tol=tolerance)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, set) or (
        isinstance(expected, Iterable) and not isinstance(expected, str)
    ):
        try:
            return {str(a) for a in answer} == {str(e) for e in expected}
        except TypeError:
            return False
    return str(answer).strip().casefold() == str(expected).strip().casefold()


def check(answer: Any, expected: Any, *, tolerance: float = 0.0, hint: str = "") -> Feedback:
    """Compare a learner's answer with the value computed from the data.

    Parameters
    ----------
    answer
        What the learner wrote (``None`` = not answered yet).
    expected
        The right answer: a number (compared within ``tolerance``), a collection
        (compared as a set, order ignored) or a text (case-insensitive).
    hint
        Shown when the answer is wrong: where to look, not the answer.
    """
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return Feedback(
            False,
            "This data set cannot answer this exercise: the section it is about says what is missing.",
        )
    if answer is None:
        return Feedback(False, "Write your answer in the cell above and run it again. " + hint)
    if _same(answer, expected, tolerance):
        return Feedback(True, "That is what the data says.")
    return Feedback(False, hint or "Look again at the table above.")
