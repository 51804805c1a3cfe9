"""Training exercises: the learner writes an answer, ``check`` says right, or which part is not.

A notebook's hidden setup cell registers the answer key, computed from the data (never
typed in, so every exercise stays right on any data set)::

    key = sn.pareto.exercises(ctx.data, params, a)      # {"1": Answer(...), ...}
    sn.training.start(mode, "01_pareto", key)

and each exercise cell holds only the learner's answer and the check::

    answer_1 = None
    sn.training.check("1", answer_1)

``check`` accepts the forms a person writes: ``0.8``, ``80``, ``"80%"`` and ``"80 %"`` for a
share; ``"1,234"``, ``"1.2k"`` and ``"€1.2m"`` for money; ``"Tier 2"``, ``"T2"`` and ``2`` for a
tier; names whatever their case, spacing and punctuation. Ties are accepted (``any_of``), numbers
within a tolerance the hint states, and a wrong answer is told which part or item is wrong.

Learner mode checks with hints and never shows the solution; trainer mode shows it under every
check. Inside a learner workspace (a folder holding ``.salesnb-workspace``, made by
``salesnb lab``) every check appends one line to ``.salesnb/progress.jsonl``, which
:func:`progress` summarises.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import numbers
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from .analysis import format_value
from .schema import UsageError

__all__ = [
    "KINDS",
    "MARKER",
    "MODES",
    "PROGRESS_FILE",
    "WORKSPACE_ENV",
    "Answer",
    "Feedback",
    "Solution",
    "TrainingError",
    "check",
    "complete",
    "mode",
    "predict",
    "with_ties",
    "progress",
    "solution",
    "start",
    "workspace_root",
]

KINDS: tuple[str, ...] = (
    "number",
    "percent",
    "count",
    "money",
    "text",
    "name",
    "tier",
    "set",
    "pick",
    "guess",
)
"""What an :class:`Answer` holds, which decides the forms ``check`` accepts.

number, money: rounded as the learner likes to at least two significant figures (or within
``tolerance``); percent: a share (0.8), read from 0.8, 80, "80%" or "80 %", to the nearest
point by default; count: exact; text, name: case-, accent-, spacing- and punctuation-blind;
tier: "Tier 2" == "T2" == "tier II" == 2; set: every item named, order free; pick: any ``k``
of the acceptable items; guess: predict-then-reveal, any answer passes and the feedback shows
the gap.
"""

MODES: tuple[str, ...] = ("learner", "trainer")
MARKER = ".salesnb-workspace"
"""The file ``salesnb lab`` writes at the top of a workspace (YAML or JSON, ``learner: name``)."""
PROGRESS_FILE = Path(".salesnb") / "progress.jsonl"
"""Where, inside a workspace, every check appends one JSON line."""
WORKSPACE_ENV = "SALESNB_WORKSPACE"

_ITEM_KINDS = ("number", "percent", "count", "money", "text", "name", "tier")


class TrainingError(UsageError, ValueError):
    """A training call was wrong: unknown mode, unknown exercise, no key registered."""


# --------------------------------------------------------------------------- the key
@dataclass(frozen=True)
class Answer:
    """The right answer to one exercise, computed from the data, and how to judge attempts.

    Parameters
    ----------
    value
        The right answer. For ``kind="set"`` an iterable (every item must be named); for
        ``"pick"`` the ranked candidates; a mapping makes a multi-part answer whose parts
        (an :class:`Answer` each, or a plain value judged by this answer's kind and
        tolerance) are checked one by one.
    kind
        One of :data:`KINDS`.
    tolerance
        Absolute, in the answer's unit (0.01 = one point for a percent, 500 = 500 of the
        currency for money). ``None``: the kind's default (see :data:`KINDS`). ``check``
        states it in the hint.
    any_of
        Further answers that are also right: tied accounts for a scalar, whole alternative
        sets for a set, further acceptable items for a pick.
    hint
        Where to look, never the answer; shown after a wrong answer.
    explain
        One sentence on why: the trainer always sees it, the learner after a right answer.
    k
        For a pick: how many items to name (default: as many as ``value`` holds).
    of
        What the items of a set or pick are (default ``"name"``), or what a guess guesses
        (default ``"number"``); one of number, percent, count, money, text, name, tier.

    Examples
    --------
    >>> Answer(0.8, kind="percent", tolerance=0.01, hint="Read the cumulative share.").tolerance
    0.01
    >>> Answer(["Acme", "Bolt"], kind="pick", k=1, any_of=["Core"]).any_of  # ties at 6 cases
    ('Core',)
    """

    value: Any
    _: KW_ONLY
    kind: str = "number"
    tolerance: float | None = None
    any_of: tuple[Any, ...] = ()
    hint: str = ""
    explain: str = ""
    k: int | None = None
    of: str | None = None
    parts: dict[str, Answer] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TrainingError(
                f"Answer kind {self.kind!r} is unknown: use one of {', '.join(KINDS)}."
            )
        if self.of is not None and self.of not in _ITEM_KINDS:
            raise TrainingError(
                f"Answer of={self.of!r} is unknown: use one of {', '.join(_ITEM_KINDS)}."
            )
        if self.tolerance is not None and not (
            isinstance(self.tolerance, numbers.Real) and self.tolerance >= 0
        ):
            raise TrainingError(f"Answer tolerance must be a number >= 0, not {self.tolerance!r}.")
        any_of = self.any_of
        if isinstance(any_of, str | bytes) or not isinstance(any_of, Iterable):
            any_of = (any_of,)
        object.__setattr__(self, "any_of", tuple(any_of))
        if isinstance(self.value, Mapping):
            parts = {}
            for name, part in self.value.items():
                if not isinstance(part, Answer):
                    part = Answer(part, kind=self.kind, tolerance=self.tolerance, of=self.of)
                parts[_part_name(name)] = part
            object.__setattr__(self, "parts", parts)
        elif self.kind in ("set", "pick"):
            if isinstance(self.value, str) or not isinstance(self.value, Iterable):
                raise TrainingError(
                    f"A {self.kind} answer needs a list of items, not {self.value!r}."
                )
            object.__setattr__(self, "value", tuple(self.value))
            if self.kind == "set":
                alts = tuple(
                    tuple(a) if isinstance(a, Iterable) and not isinstance(a, str) else (a,)
                    for a in self.any_of
                )
                object.__setattr__(self, "any_of", alts)
        if self.k is not None and (self.kind != "pick" or self.k < 1):
            raise TrainingError("Answer k is for a pick and must be at least 1.")

    @property
    def item_kind(self) -> str:
        """How one item (of a set or pick) or a guess is read and shown."""
        if self.of is not None:
            return self.of
        if self.kind in ("set", "pick"):
            return "name"
        if self.kind == "guess":
            return "number"
        return self.kind

    @property
    def missing(self) -> bool:
        """True when the data cannot answer the exercise (no value)."""
        if self.parts:
            return all(p.missing for p in self.parts.values())
        return _is_missing(self.value) or (self.kind in ("set", "pick") and not self.value)


def _part_name(name: Any) -> str:
    return str(name).strip().casefold()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float | numbers.Real) and math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- feedback
@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; shows itself as a short message (and, for a trainer, the solution).

    ``score`` is the share of the answer that is right (1.0 right, 0.0 nothing right or not
    answered; between for a set, pick or multi-part answer that is partly right).
    """

    correct: bool
    message: str
    solution: str = ""
    score: float | None = None

    def __bool__(self) -> bool:
        return self.correct

    @property
    def _head(self) -> str:
        return "Correct." if self.correct else "Not yet."

    def _repr_markdown_(self) -> str:
        text = f"**{self._head}** {self.message}".rstrip()
        if self.solution:
            text += f"\n\n> **Solution.** {self.solution}"
        return text

    def _repr_html_(self) -> str:
        state = "sn-correct" if self.correct else "sn-wrong"
        color = "#2e7d32" if self.correct else "#b71c1c"
        out = (
            f'<div class="sn-feedback {state}" style="color:{color}">'
            f"<b>{self._head}</b> {html.escape(self.message)}</div>"
        )
        if self.solution:
            out += Solution(self.solution)._repr_html_()
        return out

    def __str__(self) -> str:
        text = f"{self._head} {self.message}".rstrip()
        return text + (f"\nSolution. {self.solution}" if self.solution else "")


@dataclass(frozen=True)
class Solution:
    """The solution to one exercise as a trainer sees it (``sn.training.solution``)."""

    text: str

    def _repr_markdown_(self) -> str:
        return f"> **Solution.** {self.text}"

    def _repr_html_(self) -> str:
        return (
            '<div class="sn-solution" style="border-left:3px solid #1565c0;padding-left:8px;'
            f'color:#0d47a1"><b>Solution.</b> {html.escape(self.text)}</div>'
        )

    def __str__(self) -> str:
        return f"Solution. {self.text}"


# --------------------------------------------------------------------------- session state
class _Session:
    mode: str = "learner"
    notebook: str = ""
    key: dict[str, Answer] = {}  # one session per kernel
    started: bool = False


def start(mode: str, notebook: str, key: Mapping[Any, Answer]) -> None:
    """Register the mode and the answer key of a notebook's exercises (its setup cell calls this).

    Parameters
    ----------
    mode
        ``"learner"`` (checks with hints, solutions hidden) or ``"trainer"`` (solutions shown).
    notebook
        The notebook's name as progress records it, e.g. ``"01_pareto"``.
    key
        Exercise number -> :class:`Answer`, computed from the data.

    Raises
    ------
    TrainingError
        (a ``ValueError``) for a mode other than the two, or a key entry that is not an Answer.
    """
    m = str(mode).strip().casefold()
    if m not in MODES:
        raise TrainingError(f'mode must be "learner" or "trainer", not {mode!r}.')
    answers: dict[str, Answer] = {}
    for name, answer in dict(key).items():
        if not isinstance(answer, Answer):
            raise TrainingError(
                f"Exercise {name!r} of {notebook}: the key needs an sn.training.Answer, "
                f"not {type(answer).__name__}."
            )
        answers[str(name)] = answer
    _Session.mode = m
    _Session.notebook = str(notebook)
    _Session.key = answers
    _Session.started = True


def mode() -> str:
    """The session's mode: ``"learner"`` (the default before :func:`start`) or ``"trainer"``."""
    return _Session.mode


def _answer(exercise: Any) -> tuple[str, Answer]:
    name = str(exercise).strip()
    if not _Session.started:
        raise TrainingError(
            "No exercises are registered: run the notebook's setup cell first "
            "(it calls sn.training.start(mode, notebook, key))."
        )
    if name not in _Session.key:
        known = ", ".join(_Session.key) or "none"
        raise TrainingError(
            f"{_Session.notebook} has no exercise {name!r}: its exercises are {known}."
        )
    return name, _Session.key[name]


def check(exercise: Any, answer: Any) -> Feedback:
    """Judge the learner's ``answer`` to ``exercise`` against the registered key.

    Parameters
    ----------
    exercise
        The exercise's number as the key names it (``"1"``; ``1`` works too).
    answer
        What the learner wrote; ``None`` means not answered yet. A multi-part exercise takes a
        dict (``{"a": ..., "b": ...}``); a set or pick a list (or a comma-separated text).

    Returns
    -------
    Feedback
        Right or not, which part or item is wrong, the hint (with the tolerance) when wrong;
        in trainer mode the solution too. The attempt is recorded inside a workspace.
    """
    name, key = _answer(exercise)
    fb = _judge(key, answer)
    if _Session.mode == "trainer":
        fb = Feedback(fb.correct, fb.message, _solution_text(key), fb.score)
    if answer is not None and not key.missing:
        _record(_Session.notebook, name, fb.correct, fb.score)
    return fb


def predict(exercise: Any, guess: Any) -> Feedback:
    """Judge a predict-then-reveal exercise: any guess passes; the feedback shows the gap."""
    name, key = _answer(exercise)
    if key.kind != "guess":
        key = Answer(
            key.value,
            kind="guess",
            of=key.item_kind,
            explain=key.explain,
            hint=key.hint,
            tolerance=key.tolerance,
        )
    fb = _judge(key, guess)
    if _Session.mode == "trainer":
        fb = Feedback(fb.correct, fb.message, _solution_text(key), fb.score)
    if guess is not None and not key.missing:
        _record(_Session.notebook, name, fb.correct, fb.score)
    return fb


def solution(exercise: Any) -> Solution | None:
    """The solution to ``exercise`` in trainer mode; ``None`` (no output at all) for a learner."""
    _, key = _answer(exercise)
    if _Session.mode != "trainer":
        return None
    return Solution(_solution_text(key))


# --------------------------------------------------------------------------- judging
_NO_DATA = (
    "This data set cannot answer this exercise: the section it is about says what is missing."
)
_NONE = "Write your answer in place of None and run the cell again."
_NONE_GUESS = "Write your guess in place of None and run the cell: then the data shows the figure."
_SHOWN_ALTERNATIVES = 3  # a trainer's solution lists a few alternative sets, then counts the rest


def _judge(key: Answer, answer: Any) -> Feedback:
    if key.missing:
        return Feedback(False, _NO_DATA, score=0.0)
    if answer is None:
        ask = _NONE_GUESS if key.kind == "guess" else _NONE
        return Feedback(False, _join(ask, _hint(key)), score=0.0)
    if key.parts:
        return _judge_parts(key, answer)
    if key.kind == "guess":
        return _judge_guess(key, answer)
    if key.kind == "set":
        return _judge_set(key, answer)
    if key.kind == "pick":
        return _judge_pick(key, answer)
    ok, why = _match_scalar(key, answer)
    if ok:
        return Feedback(True, _right(key), score=1.0)
    return Feedback(False, _join(why, _hint(key)), score=0.0)


def _right(key: Answer) -> str:
    return _join("That is what the data says.", key.explain)


def _join(*texts: str) -> str:
    return " ".join(t.strip() for t in texts if t and t.strip())


def _hint(key: Answer) -> str:
    tol = _tolerance_text(key)
    if tol and "within" not in key.hint.casefold():
        return _join(key.hint, _sentence(tol))
    return key.hint


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _judge_parts(key: Answer, answer: Any) -> Feedback:
    names = list(key.parts)
    if not isinstance(answer, Mapping):
        return Feedback(
            False,
            _join(
                f"This exercise has {len(names)} parts: answer with a dict, "
                "{" + ", ".join(f'"{n}": ...' for n in names) + "}.",
                key.hint,
            ),
            score=0.0,
        )
    given = {_part_name(k): v for k, v in answer.items()}
    wrong: list[str] = []
    right = 0
    for name, part in key.parts.items():
        if name not in given or given[name] is None:
            wrong.append(f"Part {name} is missing.")
            continue
        fb = _judge(part, given[name])
        if fb.correct:
            right += 1
        else:
            wrong.append(f"Part {name} is wrong: {fb.message[:1].lower()}{fb.message[1:]}")
    extra = [k for k in given if k not in key.parts]
    if extra:
        wrong.append(
            f"{', '.join(extra).capitalize()} {'is not a part' if len(extra) == 1 else 'are not parts'} of this "
            f"exercise (the parts are {', '.join(names)})."
        )
    score = right / len(names)
    if not wrong:
        return Feedback(True, _right(key), score=1.0)
    head = f"{right} of {len(names)} parts right." if right else ""
    return Feedback(False, _join(head, *wrong), score=score)


def _judge_guess(key: Answer, guess: Any) -> Feedback:
    kind = key.item_kind
    shown = _show(key.value, kind)
    if kind in ("number", "percent", "count", "money"):
        g = _parse_number(guess)
        if g is None:
            return Feedback(False, _unreadable(guess, kind), score=0.0)
        candidates = _percent_readings(g) if kind == "percent" else [g.value]
        value = float(key.value)
        gv = min(candidates, key=lambda c: abs(c - value))
        gap = value - gv
        if math.isclose(gap, 0.0, abs_tol=1e-9 * max(1.0, abs(value))):
            msg = f"You guessed {_show(gv, kind)}: exactly what the data says."
        else:
            size = (
                f"{abs(gap) * 100:.1f}".rstrip("0").rstrip(".") + " points"
                if kind == "percent"
                else _show(abs(gap), kind)
            )
            way = "higher" if gap > 0 else "lower"
            msg = f"You guessed {_show(gv, kind)}; the data says {shown}, {size} {way}."
    else:
        same = _norm(guess, kind) in {_norm(v, kind) for v in (key.value, *key.any_of)}
        msg = (
            f"You guessed {guess}: so does the data."
            if same
            else f"You guessed {guess}; the data says {shown}."
        )
    return Feedback(True, _join(msg, key.explain), score=1.0)


def _judge_set(key: Answer, answer: Any) -> Feedback:
    kind = key.item_kind
    options = [key.value, *key.any_of]
    known = {_norm(i, kind) for o in options for i in o}
    items = _items(answer, known, kind)
    given = {_norm(i, kind): i for i in items}
    targets = [{_norm(i, kind) for i in o} for o in options]
    if set(given) in targets:
        return Feedback(True, _right(key), score=1.0)
    best = max(targets, key=lambda t: (len(t & set(given)), -len(t)))
    right = [given[n] for n in given if n in best]
    wrong = [given[n] for n in given if n not in best]
    missing = len(best - set(given))
    parts = [f"{len(right)} of {len(best)} right" + (f" ({_list(right)})" if right else "") + "."]
    if wrong:
        parts.append(f"Not in the answer: {_list(wrong)}.")
    if missing:
        parts.append(f"{missing} {'is' if missing == 1 else 'are'} missing.")
    return Feedback(
        False, _join(*parts, _hint(key)), score=len(right) / max(len(best | set(given)), 1)
    )


def _judge_pick(key: Answer, answer: Any) -> Feedback:
    kind = key.item_kind
    k = key.k or len(key.value)
    acceptable = {_norm(i, kind) for i in (*key.value, *key.any_of)}
    items = _items(answer, acceptable, kind)
    given = {_norm(i, kind): i for i in items}
    right = [given[n] for n in given if n in acceptable]
    wrong = [given[n] for n in given if n not in acceptable]
    score = min(len(right), k) / k
    if not wrong and len(given) == k:
        return Feedback(True, _right(key), score=1.0)
    parts = []
    if len(given) != k:
        parts.append(f"Name {k} (you named {len(given)}).")
    if right:
        parts.append(f"{_list(right)} {'is' if len(right) == 1 else 'are'} among them.")
    if wrong:
        parts.append(f"{_list(wrong)} {'is' if len(wrong) == 1 else 'are'} not.")
    return Feedback(False, _join(*parts, _hint(key)), score=score)


def _list(items: Iterable[Any]) -> str:
    return ", ".join(str(i) for i in items)


def _items(answer: Any, known: set[Any], kind: str) -> list[Any]:
    """The learner's items: a list as given, or a text split at commas (names with a comma kept)."""
    if isinstance(answer, Mapping):
        return list(answer)
    if not isinstance(answer, str):
        if isinstance(answer, Iterable):
            return [a for a in answer if a is not None]
        return [answer]
    if _norm(answer, kind) in known:
        return [answer.strip()]
    sep = ";" if ";" in answer else "\n" if "\n" in answer else ","
    pieces = [p.strip() for p in answer.split(sep)]
    pieces = [p for p in pieces if p]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i + 1, -1):  # longest run of pieces that names a known item
            joined = ", ".join(pieces[i:j])
            if _norm(joined, kind) in known:
                out.append(joined)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return out


# --------------------------------------------------------------------------- scalars
class _Number(NamedTuple):
    value: float  # a "%" or "points" answer is already divided by 100
    half: float  # half a unit of the last significant digit written
    percent: bool  # written with % or points


_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mio": 1e6, "mln": 1e6, "million": 1e6}
_SCALES |= {"bn": 1e9, "billion": 1e9}
_CURRENCY = re.compile(
    r"[$€£¥₹]|euros?\b|dollars?\b|pounds?\b"
    r"|usd|eur|gbp|chf|jpy|cad|aud|nzd|sek|nok|dkk|pln|czk|inr|cny|brl|mxn|zar"
)
_PERCENT = re.compile(r"(?:%|percent|pct|points?|pts|pp)$")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d.,]*|[.,]\d+)$")


def _parse_number(x: Any, *, whole: bool = False) -> _Number | None:
    """A learner's number in any common written form, or None when it is not one.

    ``whole``: the answer is a count, so "1.234" can only mean 1,234 (dots as thousands).
    """
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, numbers.Integral):
        return _from_decimal(Decimal(int(x)), integer=True)
    if isinstance(x, numbers.Real):
        f = float(x)
        if not math.isfinite(f):
            return None
        return _from_decimal(Decimal(repr(f)), integer=f.is_integer())
    if not isinstance(x, str):
        return None
    s = unicodedata.normalize("NFKC", x).strip().casefold()
    s = s.replace("\u2212", "-").replace("\u2009", "").replace("\u202f", "").replace("'", "")
    s = s.replace("_", "")
    s = _CURRENCY.sub(" ", s).strip()
    percent = False
    m = _PERCENT.search(s)
    if m:
        percent = True
        s = s[: m.start()].strip()
    scale = 1.0
    m = re.search(r"([a-z]+)$", s)
    if m:
        if m.group(1) not in _SCALES:
            return None
        scale = _SCALES[m.group(1)]
        s = s[: m.start()].strip()
    s = re.sub(r"(?<=\d)\s+(?=\d{3}\b)", "", s)  # "1 234 567"
    s = s.replace(" ", "")
    if not _NUMBER.match(s):
        return None
    digits = _decimal_text(s, whole=whole)
    if digits is None:
        return None
    try:
        d = Decimal(digits)
    except InvalidOperation:
        return None
    n = _from_decimal(d, integer="." not in digits)
    value, half = n.value * scale, n.half * scale
    if percent:
        value, half = value / 100, half / 100
    return _Number(value, half, percent)


def _decimal_text(s: str, *, whole: bool = False) -> str | None:
    """``s`` with thousands separators dropped and ``.`` as the decimal point."""
    sign = ""
    if s[0] in "+-":
        sign, s = s[0], s[1:]
    if "," in s and "." in s:  # the last one is the decimal point: 1,234.5 / 1.234,5
        dec, thou = (".", ",") if s.rfind(".") > s.rfind(",") else (",", ".")
        if s.count(dec) > 1:
            return None
        s = s.replace(thou, "").replace(dec, ".")
    elif "," in s:
        if re.fullmatch(r"\d{1,3}(,\d{3})+", s):
            s = s.replace(",", "")
        elif s.count(",") == 1:
            s = s.replace(",", ".")  # 1,5 as a European writes 1.5
        else:
            return None
    elif s.count(".") > 1 or (whole and re.fullmatch(r"\d{1,3}\.\d{3}", s)):
        if not re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            return None
        s = s.replace(".", "")
    return sign + s


def _from_decimal(d: Decimal, *, integer: bool) -> _Number:
    """``d`` and half a unit of its last significant digit.

    A whole number's trailing zeros may be rounding ("1,200,000") or exact; they are read as
    rounding, but never to fewer than two significant figures ("50,000,000" is 5.0e7).
    """
    exp = d.as_tuple().exponent
    assert isinstance(exp, int)
    if integer and d != 0:
        digits = len(str(abs(int(d))))
        trailing = d.normalize().as_tuple().exponent
        assert isinstance(trailing, int)
        exp = min(max(trailing, 0), max(digits - 2, 0))
    return _Number(float(d), 0.5 * 10.0**exp, False)


def _percent_readings(n: _Number) -> list[float]:
    """A share written as a fraction (0.8) or as points (80): both readings, unless a % says."""
    return [n.value] if n.percent else [n.value, n.value / 100]


def _tolerance_text(key: Answer) -> str:
    kind = key.kind
    tol = key.tolerance
    if kind == "percent":
        if tol is None:
            return "to the nearest point (within half a point counts)"
        pts = f"{tol * 100:.2f}".rstrip("0").rstrip(".")
        return f"within {pts} point{'' if pts == '1' else 's'}"
    if kind in ("number", "money"):
        if tol is None:
            return "round as you like, to at least two significant figures"
        return f"within {_show(tol, kind)}"
    if kind == "count" and tol:
        return f"within {_show(tol, kind)}"
    return ""


def _match_scalar(key: Answer, answer: Any) -> tuple[bool, str]:
    """Whether ``answer`` matches the value or one of ``any_of``; else why not (no spoiler)."""
    kind = key.kind
    candidates = [key.value, *key.any_of]
    if kind in ("number", "percent", "count", "money"):
        n = _parse_number(answer, whole=kind == "count")
        if n is None:
            return False, _unreadable(answer, kind)
        readings = _percent_readings(n) if kind == "percent" else [n.value]
        for c in candidates:
            if _is_missing(c):
                continue
            v = float(c)
            if any(_close(r, n, v, key) for r in readings):
                return True, ""
        return False, _direction(readings, candidates, kind)
    norm = _norm(answer, kind)
    if norm in {_norm(c, kind) for c in candidates}:
        return True, ""
    if kind == "tier":
        return False, f"{answer} is not the tier the data gives."
    return False, f"{answer} is not what the data says."


def _close(reading: float, n: _Number, value: float, key: Answer) -> bool:
    eps = 1e-12 * max(1.0, abs(value))  # float noise, far below a unit of a billion
    gap = abs(reading - value)
    if key.tolerance is not None:
        return gap <= key.tolerance + eps
    if key.kind == "percent":
        return gap <= 0.005 + eps
    if key.kind == "count":
        return gap <= eps
    if gap <= eps:
        return True
    # rounded as written, to at least two significant figures
    return gap <= n.half + eps and n.half <= 0.05 * abs(reading) + eps


def _direction(readings: list[float], candidates: list[Any], kind: str) -> str:
    values = [float(c) for c in candidates if not _is_missing(c)]
    if len(values) != 1:
        return "That is not what the data says."
    v = values[0]
    r = min(readings, key=lambda x: abs(x - v))
    if kind == "count" and abs(r - v) < 1 and r != v:
        return "Give the exact count, a whole number."
    way = "higher" if v > r else "lower"
    return f"The data's figure is {way} than {_show(r, kind)}."


def _unreadable(answer: Any, kind: str) -> str:
    forms = {
        "percent": '0.8, 80 or "80%"',
        "money": '1234567, "1,234,567" or "1.2m"',
        "count": '1234 or "1,234"',
        "number": '12.5 or "1,234"',
    }[kind]
    return f"{answer!r} is not a number I can read: write it as {forms}."


def _norm(x: Any, kind: str) -> Any:
    """The comparable form of one answer or item of ``kind``."""
    if kind == "tier":
        return _norm_tier(x)
    if kind in ("number", "percent", "count", "money"):
        n = _parse_number(x)
        return round(n.value, 9) if n is not None else _norm_text(x)
    return _norm_text(x)


def _norm_text(x: Any) -> str:
    if isinstance(x, dt.datetime) and x.time() == dt.time(0):
        x = x.date()  # a midnight timestamp is a day: "2026-03-04"
    if isinstance(x, dt.date):
        x = x.isoformat()
    s = unicodedata.normalize("NFKD", str(x))
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("&", " and ")
    return " ".join(re.sub(r"[\W_]+", " ", s).split())


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def _norm_tier(x: Any) -> str:
    if isinstance(x, numbers.Real) and not isinstance(x, bool) and float(x).is_integer():
        return f"t{int(x)}"
    s = _norm_text(x)
    m = re.fullmatch(r"(?:tier|t)?\s*(\d+|i{1,3}|iv|v)", s)
    if m:
        g = m.group(1)
        return f"t{int(g) if g.isdigit() else _ROMAN[g]}"
    return s


def _show(value: Any, kind: str) -> str:
    if kind in ("percent", "count", "money", "number"):
        try:
            text = format_value(float(value), kind)
            return text.replace(".0%", "%") if kind == "percent" else text
        except (TypeError, ValueError):
            return str(value)
    return str(value)


_SHOWN_PICKS = 12  # acceptable picks a trainer's solution lists by name


def _solution_text(key: Answer) -> str:
    if key.missing:
        return "This data set cannot answer it."
    if key.parts:
        text = " ".join(f"({n}) {_solution_text(p)}" for n, p in key.parts.items())
        return _join(text, key.explain)
    kind = key.kind
    item = key.item_kind
    if kind == "set":
        text = _list(_show(i, item) for i in key.value)
        for alt in key.any_of[:_SHOWN_ALTERNATIVES]:
            text += f"; or {_list(_show(i, item) for i in alt)}"
        more = len(key.any_of) - _SHOWN_ALTERNATIVES
        if more > 0:
            text += f"; and {more:,} more"
    elif kind == "pick":
        k = key.k or len(key.value)
        names = [_show(i, item) for i in dict.fromkeys((*key.value, *key.any_of))]
        shown = names[:_SHOWN_PICKS]  # the ranked best first; a long tie is counted, not listed
        text = f"any {k} of {_list(shown)}"
        if len(names) > len(shown):
            text += f" and {len(names) - len(shown):,} more that meet the rubric equally"
    elif kind == "guess":
        text = f"{_show(key.value, item)} (any guess passes; discuss the gap)"
    else:
        text = _show(key.value, kind)
        if key.any_of:
            others = [_show(a, kind) for a in key.any_of]
            more = len(others) - _SHOWN_PICKS
            listed = _list(others[:_SHOWN_PICKS]) + (f" and {more:,} more" if more > 0 else "")
            text += f" (also right: {listed})"
        tol = _tolerance_text(key)
        if tol:
            text += f"; {tol}"
    return _join(text + ".", key.explain)


def complete(key: Mapping[str, Answer], kinds: Mapping[str, str]) -> dict[str, Answer]:
    """Every exercise of a notebook in the key, in order: one the data cannot support gets
    an empty answer of its kind, so its check says the data set cannot answer it (instead
    of an unknown-exercise error). ``kinds`` maps each exercise to its kind."""
    return {
        n: key[n]
        if n in key
        else Answer((), kind=k)
        if k in ("set", "pick")
        else Answer(None, kind=k)
        for n, k in kinds.items()
    }


def with_ties(table: Any, column: str, k: int, *, largest: bool = True) -> Any:
    """The rows of DataFrame ``table`` ranked k or better by ``column`` (largest first, or
    smallest with ``largest=False``), with every row that ties the k-th: the answers a
    "name the top k" exercise accepts. Rows without a value in ``column`` are left out."""
    ranked = table.dropna(subset=[column]).sort_values(column, ascending=not largest, kind="stable")
    if ranked.empty:
        return ranked
    edge = ranked[column].iloc[min(k, len(ranked)) - 1]
    return ranked[ranked[column] >= edge] if largest else ranked[ranked[column] <= edge]


# --------------------------------------------------------------------------- progress
def workspace_root(start: Path | str | None = None) -> Path | None:
    """The learner workspace ``start`` (default: the working folder) is in, or None.

    A workspace is the nearest folder, ``start`` or above, holding :data:`MARKER`; failing
    that, ``$SALESNB_WORKSPACE`` when it names a folder.
    """
    try:
        base = Path(start) if start is not None else Path.cwd()
        base = base.absolute()
        if base.is_file():
            base = base.parent
        for folder in (base, *base.parents):
            if (folder / MARKER).is_file():
                return folder
    except OSError:
        pass
    env = os.environ.get(WORKSPACE_ENV, "").strip()
    if env:
        try:
            if Path(env).is_dir():
                return Path(env).absolute()
        except OSError:
            return None
    return None


def _marker(workspace: Path) -> dict[str, Any]:
    """The workspace marker's content (JSON or YAML); {} when absent or unreadable."""
    try:
        text = (workspace / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml

            data = yaml.safe_load(text)
        except Exception:  # a broken marker must not break a session
            return {}
    return data if isinstance(data, dict) else {}


def _record(notebook: str, exercise: str, correct: bool, score: float | None) -> None:
    """Append one attempt to the workspace's progress file; never raises."""
    try:
        ws = workspace_root()
        if ws is None:
            return
        line = {
            "notebook": notebook,
            "exercise": exercise,
            "correct": bool(correct),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "learner": str(_marker(ws).get("learner") or ""),
        }
        if score is not None:
            line["score"] = round(float(score), 3)
        path = ws / PROGRESS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    except Exception:  # a read-only or full folder must not break a session
        return


def _exercise_sort(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def progress(workspace: Path | str) -> dict[str, Any]:
    """What a learner has done in ``workspace``: every exercise of its notebooks, passed or not.

    Returns
    -------
    dict
        ``{"learner": name or "", "workspace": str, "notebooks": {"01_pareto": {"1":
        {"passed": bool, "attempts": int, "title": str, "kind": str}, ...}, ...}}``. Exercises
        come from the notebooks' exercise cells (metadata ``{"salesnb": {"exercise": "1", ...}}``)
        and from ``.salesnb/progress.jsonl`` (an exercise recorded but no longer in a notebook
        stays listed). Unreadable files and lines are skipped.
    """
    ws = Path(workspace)
    books: dict[str, dict[str, dict[str, Any]]] = {}

    def entry(nb: str, ex: str) -> dict[str, Any]:
        return books.setdefault(nb, {}).setdefault(
            ex, {"passed": False, "attempts": 0, "title": "", "kind": ""}
        )

    try:
        paths = sorted(ws.rglob("*.ipynb"))
    except OSError:
        paths = []
    for path in paths:
        rel = path.relative_to(ws)
        if any(p.startswith(".") for p in rel.parts):  # .ipynb_checkpoints, .salesnb
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, ValueError):
            continue
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            meta = cell.get("metadata", {}).get("salesnb") if isinstance(cell, dict) else None
            if isinstance(meta, dict) and meta.get("exercise") is not None:
                e = entry(path.stem, str(meta["exercise"]))
                e["title"] = str(meta.get("title", ""))
                e["kind"] = str(meta.get("kind", ""))
    try:
        lines = (ws / PROGRESS_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeError):
        lines = []
    for raw in lines:
        try:
            rec = json.loads(raw)
            nb, ex = str(rec["notebook"]), str(rec["exercise"])
        except (ValueError, KeyError, TypeError):
            continue
        e = entry(nb, ex)
        e["attempts"] += 1
        e["passed"] = e["passed"] or rec.get("correct") is True
    return {
        "learner": str(_marker(ws).get("learner") or ""),
        "workspace": str(ws),
        "notebooks": {
            nb: {ex: books[nb][ex] for ex in sorted(books[nb], key=_exercise_sort)}
            for nb in sorted(books)
        },
    }
