"""One safe, typed reader for every YAML file the kit accepts.

Two layers:

1. :func:`read` parses a YAML file *safely* and keeps the line of every key and item.
   It refuses what a configuration file never needs and an attacker would use:
   anchors and aliases (``&name`` / ``*name``: the "billion laughs" alias bomb
   expands a 1 KB file into gigabytes), tags (``!!python/object/apply:os.system``),
   merge keys (``<<``), nesting deeper than :data:`MAX_DEPTH`, files above
   :data:`MAX_BYTES`, bytes that are not UTF-8, and keys given twice. Each refusal is
   a :class:`~salesnb.schema.DataError` naming the file, the line and the fix, raised
   as soon as the parser reaches it (an alias bomb fails in milliseconds).
2. A small schema layer checks types and ranges *before* a loader uses a value:
   :class:`Record` (known keys, required keys; unknown keys are named together with
   the known ones, with a "did you mean"), :class:`Map`, :class:`List`,
   :class:`Tuple`, :class:`Str`, :class:`Int`, :class:`Float`, :class:`Bool`,
   :class:`Scalar`, :class:`Anything` and :class:`Custom` (a function). Messages read
   ``review.yml line 3: notebooks must be a mapping of notebook -> parameters, got a
   list. Fix: ...``.

Why not pydantic? Its errors know a value's path but not its line in the file, its
messages are its own rather than the kit's "what, where, how to fix", and a direct
dependency would be added for what is a few small classes here. YAML-level safety
(aliases, tags, size) is needed either way.

Usage
-----
A loader with its own checks after the typed ones::

    doc = config.read(path, "plans file")   # safe parse; a Doc with .data and lines
    raw = doc.check(PLANS_FILE)             # typed dict, or a located DataError
    doc.fail("two plans are named a", "give each its own", at=("plans", 1, "name"))

A file checked by a spec only: ``raw = config.load(path, SPEC, "rules file")``.

Ready-made readers for the files other modules own (two-line switches)::

    # report.read_config, after its is_file check (keeps UsageError, exit code 2);
    # import the function: report.plan has a parameter named config
    from .config import read_review_config
    return read_review_config(path, error=UsageError)

    # sources.Settings.read (replaces the yaml.safe_load ... currency checks)
    return cls(**{"name": folder.name, **config.read_dataset_settings(path)})

    # crm.load_mapping: the format stays defined in crm; only the parse changes
    raw = config.read(path, "mapping file").data    # instead of yaml.safe_load(...)

``read``, ``load`` and the ready-made readers take ``error=`` (default
:class:`~salesnb.schema.DataError`, which carries one located
:class:`~salesnb.schema.Problem`); any other :class:`~salesnb.schema.SalesnbError`
subclass gets the same one-line message.
"""

from __future__ import annotations

import codecs
import difflib
import importlib.util
import math
import re
import stat
from collections.abc import Callable, Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .schema import DataError, Problem, SalesnbError

__all__ = [
    "DATASET_SETTINGS",
    "RAW_LINE_TABLES",
    "SPARK_SETTINGS",
    "TABLE_LOCATION",
    "MAX_BYTES",
    "MAX_DEPTH",
    "REVIEW_CONFIG",
    "Anything",
    "Bool",
    "Custom",
    "Doc",
    "Float",
    "Int",
    "List",
    "Map",
    "Record",
    "Scalar",
    "Spec",
    "Str",
    "Tuple",
    "load",
    "read",
    "read_dataset_settings",
    "read_review_config",
]

MAX_BYTES = 1_000_000  # the kit's YAML files are a few kilobytes; a megabyte is not a config
MAX_DEPTH = 50  # nesting levels; deeper is a crafted file, not a config

Path_ = tuple[Any, ...]  # a value's place: keys and (0-based) list indices

# the only explicit tags accepted (``!!str 01``): everything else is refused
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")
)

try:  # the C parser makes events 10x faster; composition stays in Python (it is checked)
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Refused(Exception):
    def __init__(self, line: int | None, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.line, self.problem, self.fix = line, problem, fix


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


class _Loader(_Parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
    """Events from the (C) parser, composed by PyYAML's Python composer with the checks."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    # the C parser has its own composer; use the Python one, which calls compose_node below
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = _line(event.start_mark)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                line,
                "YAML anchors and aliases (&name, *name) are not accepted",
                "write the values out in full",
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _PLAIN_TAGS:
            raise _Refused(
                line,
                f"the YAML tag {tag.replace('tag:yaml.org,2002:', '!!')} is not accepted",
                "remove the tag: the file takes plain values only",
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                line, f"nested more than {MAX_DEPTH} levels deep", "flatten the structure"
            )
        try:
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1


def _walk(loader: _Loader, node: Any, path: Path_, lines: dict[Path_, int]) -> None:
    """Record each key's and item's line; refuse duplicate, merge and non-scalar keys."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = _line(key_node.start_mark) or 0
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(line, "YAML merge keys (<<) are not accepted", "write keys out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(line, "a key must be a plain name", "write 'name: value'")
            key = loader.construct_object(key_node)
            if key in seen:
                where = ".".join(map(str, (*path, key)))
                raise _Refused(
                    line,
                    f"{where} is given twice (lines {seen[key]} and {line})",
                    "keep one of them",
                )
            seen[key] = line
            lines[(*path, key)] = line
            _walk(loader, value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = _line(item.start_mark) or 0
            _walk(loader, item, (*path, i), lines)


def _raise(
    error: type[SalesnbError], file: str, problem: str, fix: str, line: int | None
) -> NoReturn:
    p = Problem("error", file, problem, fix, line=line)
    if issubclass(error, DataError):
        raise error(p.describe(), [p])
    raise error(p.describe())


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class Doc:
    """A parsed YAML file: its data, its name, and the line of every key and list item."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)
    error: type[SalesnbError] = DataError

    def line(self, at: Iterable[Any] = ()) -> int | None:
        """The line of the value at ``at`` (keys and 0-based indices), or of its nearest parent."""
        at = tuple(at)
        while at not in self.lines:
            if not at:
                return None
            at = at[:-1]
        return self.lines[at]

    def fail(self, problem: str, fix: str = "", *, at: Iterable[Any] = ()) -> NoReturn:
        """Raise the document's error for ``problem`` located at the value ``at``."""
        _raise(self.error, self.file, problem, fix, self.line(at))

    def check(self, spec: Spec) -> Any:
        """The data checked (and typed) by ``spec``; the first mismatch raises, located."""
        return spec.check(self.data, _At(self, ()))


def read(
    path: str | Path,
    what: str = "file",
    *,
    max_bytes: int = MAX_BYTES,
    error: type[SalesnbError] = DataError,
) -> Doc:
    """Parse a YAML file safely (see the module docstring); ``what`` names it in messages.

    Parameters
    ----------
    path : the file.
    what : what the file is, e.g. ``"rules file"``.
    max_bytes : larger files are refused unread.
    error : the exception class to raise (a :class:`~salesnb.schema.SalesnbError`).

    Returns
    -------
    Doc
        ``data`` is None for an empty file.
    """
    path = Path(path).expanduser()
    name = path.name
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, a device never end
            _raise(
                error,
                name,
                f"the {what} is not a regular file",
                f"give the path of the {what} itself",
                None,
            )
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        _raise(
            error,
            name,
            f"cannot read the {what} ({exc.strerror or exc})",
            "check the path and that the file can be read",
            None,
        )
    if len(raw) > max_bytes:
        _raise(
            error,
            name,
            f"the {what} is larger than {max_bytes:,} bytes",
            f"give the {what} itself (a few kilobytes of 'key: value' lines)",
            None,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        _raise(error, name, f"the {what} is not UTF-8 text", "save it as UTF-8", line)
    loader = _Loader(text)
    lines: dict[Path_, int] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return Doc(None, name, lines, error)
        lines[()] = _line(node.start_mark) or 1
        _walk(loader, node, (), lines)
        data = loader.construct_document(node)
    except _Refused as exc:
        _raise(error, name, exc.problem, exc.fix, exc.line)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        text = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if "nesting depth" in text:  # libyaml >= 0.2.5 stops deep flow collections itself
            _raise(
                error,
                name,
                f"nested more than {MAX_DEPTH} levels deep",
                "flatten the structure",
                _line(mark),
            )
        _raise(
            error,
            name,
            f"cannot read the {what}: not valid YAML ({text})",
            "correct the YAML at that line",
            _line(mark),
        )
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        _raise(
            error,
            name,
            f"cannot read the {what}: not valid YAML ({str(exc).splitlines()[0]})",
            "correct the YAML",
            None,
        )
    finally:
        loader.dispose()
    return Doc(data, name, lines, error)


def load(
    path: str | Path,
    spec: Spec,
    what: str = "file",
    *,
    error: type[SalesnbError] = DataError,
) -> Any:
    """:func:`read` then :meth:`Doc.check`: the file's data typed by ``spec``."""
    return read(path, what, error=error).check(spec)


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class _At:
    doc: Doc
    path: Path_
    label: str = ""  # how this place is named in messages; "" -> from the path

    def child(self, key: Any, label: str = "") -> _At:
        if not label:
            base = self.name
            if isinstance(key, int):
                label = f"{base} item {key + 1}" if base else f"item {key + 1}"
            else:
                label = f"{base}.{key}" if base else str(key)
        return _At(self.doc, (*self.path, key), label)

    @property
    def name(self) -> str:
        return self.label

    def fail(self, problem: str, fix: str = "") -> NoReturn:
        self.doc.fail(problem, fix, at=self.path)

    def wrong(self, spec: Spec, value: Any) -> NoReturn:
        got = _describe(value)
        if self.name:
            self.fail(f"{self.name} must be {spec.what}, got {got}", spec.fix)
        self.fail(f"expected {spec.what}, got {got}", spec.fix)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"yes/no ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 40 else f"the text {value[:37]!r}..."
    if isinstance(value, dict):
        return "an empty mapping" if not value else "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)}"
    return f"{type(value).__name__} {value!r}"  # e.g. a date


class Spec:
    """What a value must be; :meth:`check` returns it typed or raises a located error."""

    what: str = "a value"
    fix: str = ""

    def check(self, value: Any, at: _At) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Anything(Spec):
    """Any value (a section another function checks)."""

    what: str = "a value"
    fix: str = ""

    def check(self, value: Any, at: _At) -> Any:
        return value


@dataclass(frozen=True)
class Scalar(Spec):
    """A single text, number, yes/no or empty value (no list, no mapping)."""

    what: str = "a single value (text, number or yes/no)"
    fix: str = "write one value, not a list or a mapping"

    def check(self, value: Any, at: _At) -> Any:
        if value is not None and not isinstance(value, str | int | float | bool):
            at.wrong(self, value)
        return value


@dataclass(frozen=True)
class Bool(Spec):
    """yes / no (true / false)."""

    what: str = "yes or no"
    fix: str = "write yes or no"

    def check(self, value: Any, at: _At) -> bool:
        if not isinstance(value, bool):
            at.wrong(self, value)
        return value


@dataclass(frozen=True)
class Int(Spec):
    """A whole number, optionally within ``lo``-``hi`` (yes/no is not a number)."""

    lo: int | None = None
    hi: int | None = None
    what: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            object.__setattr__(self, "what", "a whole number" + _range(self.lo, self.hi))
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            at.wrong(self, value)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            at.wrong(self, value)
        return value


@dataclass(frozen=True)
class Float(Spec):
    """A finite number, optionally within ``lo``-``hi``; returned as float."""

    lo: float | None = None
    hi: float | None = None
    what: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            object.__setattr__(self, "what", "a number" + _range(self.lo, self.hi))
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            at.wrong(self, value)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            at.wrong(self, value)
        return float(value)


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" of at least {lo}"
    if hi is not None:
        return f" of at most {hi}"
    return ""


@dataclass(frozen=True)
class Str(Spec):
    """Text; ``numbers=True`` also takes a number as its text (ids like 1001).

    ``case`` ("upper" / "lower") normalises before ``pattern`` (a full match) and
    ``choices`` are checked.
    """

    pattern: str | None = None
    choices: tuple[str, ...] = ()
    case: str | None = None
    numbers: bool = False
    what: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            what = f"one of {', '.join(self.choices)}" if self.choices else "a text"
            object.__setattr__(self, "what", what)
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> str:
        if self.numbers and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            at.wrong(self, value)
        text = value.strip()
        if self.case == "upper":
            text = text.upper()
        elif self.case == "lower":
            text = text.lower()
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            at.wrong(self, value)
        if self.choices and text not in self.choices:
            at.wrong(self, value)
        return text


@dataclass(frozen=True)
class Custom(Spec):
    """A value checked and converted by ``func`` (ValueError / TypeError / LookupError: wrong)."""

    func: Callable[[Any], Any] = lambda v: v
    what: str = "a value"
    fix: str = ""

    def check(self, value: Any, at: _At) -> Any:
        try:
            return self.func(value)
        except (ValueError, TypeError, LookupError):
            at.wrong(self, value)


@dataclass(frozen=True)
class List(Spec):
    """A list of ``item``s (at least ``min_len``); ``item_label`` names items ("plan" -> "plan 2")."""

    item: Spec = Anything()
    min_len: int = 0
    item_label: str = ""
    what: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            object.__setattr__(self, "what", f"a list of {_plural(self.item.what)}")
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}, e.g. [a, b] or '- ' lines")

    def check(self, value: Any, at: _At) -> list[Any]:
        value = [] if value is None else value
        if not isinstance(value, list) or len(value) < self.min_len:
            at.wrong(self, value)
        return [
            self.item.check(v, at.child(i, f"{self.item_label} {i + 1}" if self.item_label else ""))
            for i, v in enumerate(value)
        ]


def _plural(what: str) -> str:
    return re.sub(r"^an? ", "", what)


@dataclass(frozen=True)
class Tuple(Spec):
    """A list of exactly ``len(items)`` values, each checked by its spec; returns a tuple."""

    items: tuple[Spec, ...] = ()
    what: str = ""
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            object.__setattr__(self, "what", f"a list of {len(self.items)} values")
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) != len(self.items):
            at.wrong(self, value)
        try:
            return tuple(
                s.check(v, at.child(i))
                for i, (s, v) in enumerate(zip(self.items, value, strict=True))
            )
        except SalesnbError:
            at.wrong(self, value)  # a pair is wrong as a whole: say what a pair is


@dataclass(frozen=True)
class Map(Spec):
    """A mapping with keys checked by ``key`` and values by ``value`` (empty -> {})."""

    key: Spec = Str(numbers=True)
    value: Spec = Anything()
    what: str = "'key: value' lines"
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> dict[Any, Any]:
        value = {} if value is None else value
        if not isinstance(value, dict):
            at.wrong(self, value)
        out = {}
        for k, v in value.items():
            where = at.child(k)
            out[self.key.check(k, where)] = self.value.check(v, where)
        return out


@dataclass(frozen=True)
class Record(Spec):
    """A mapping with known keys, each with its spec; an empty value counts as not given.

    Returns the given keys only, typed (defaults stay with the caller). Unknown keys are
    named with the known ones (``noun`` says what keys are: ``("rule(s)", "rules")``);
    ``required`` maps a key to how it is asked for ("a name"), or lists the keys.
    """

    fields: MappingABC[str, Spec] = field(default_factory=dict)
    required: MappingABC[str, str] | tuple[str, ...] = ()
    what: str = "'key: value' lines"
    fix: str = ""
    noun: tuple[str, str] = ("key(s)", "keys")  # "unknown key(s) x; known keys: ..."
    key_label: str = ""  # how a key is named, e.g. "setting '{}'" (default, and sections: its path)

    def __post_init__(self) -> None:
        if not self.fix:
            object.__setattr__(self, "fix", f"write {self.what}")

    def check(self, value: Any, at: _At) -> dict[str, Any]:
        value = {} if value is None else value
        if not isinstance(value, dict):
            at.wrong(self, value)
        known = list(self.fields)
        unknown = [k for k in value if k not in self.fields]
        if unknown:
            hints = [
                f"'{m[0]}' for '{k}'"
                for k in unknown
                if (m := difflib.get_close_matches(str(k), known, n=1, cutoff=0.75))
            ]
            fix = f"remove or correct the unknown {self.noun[0]}"
            if hints:
                fix += f" (did you mean {', '.join(hints)}?)"
            first = at.child(unknown[0])
            prefix = f"{at.name}: " if at.name else ""
            first.fail(
                f"{prefix}unknown {self.noun[0]} {', '.join(map(str, unknown))}; "
                f"known {self.noun[1]}: {', '.join(known)}",
                fix,
            )
        required = (
            self.required
            if isinstance(self.required, MappingABC)
            else {k: f"'{k}'" for k in self.required}
        )
        for key, asked in required.items():
            if value.get(key) is None:
                prefix = f"{at.name} needs" if at.name else "needs"
                at.fail(f"{prefix} {asked}", f"add '{key}:'")
        return {
            k: self.fields[k].check(v, at.child(k, self._label(k)))
            for k, v in value.items()
            if v is not None
        }

    def _label(self, key: str) -> str:
        """How ``key`` is named: by ``key_label``, but a section by its path (spark.master)."""
        if not self.key_label or isinstance(self.fields[key], Record | Map):
            return ""
        return self.key_label.format(key)


# --------------------------------------------------------------------------- ready-made
def _encoding(value: Any) -> str:
    """A text encoding Python knows, as written (rot13, hex, base64 are codecs, not encodings)."""
    if not isinstance(value, str):
        raise TypeError(value)
    info = codecs.lookup(value.strip())  # LookupError for an unknown encoding
    if not getattr(info, "_is_text_encoding", True):
        raise LookupError(value)
    return value.strip()


CURRENCY = Str(
    pattern=r"[A-Z]{3}",
    case="upper",
    what="a 3-letter ISO currency code",
    fix="write a code such as USD, EUR or GBP",
)
MONTH = Int(
    1,
    12,
    what="a month number 1-12",
    fix="write a number such as 1 (January) or 4 (April)",
)

REVIEW_CONFIG = Record(
    {
        "currency": CURRENCY,
        "fiscal_year_start_month": MONTH,
        "dataset_name": Str(numbers=True),
        "notebooks": Map(
            Str(),
            Map(
                Str(pattern=r"[A-Za-z_]\w*", what="a parameter name"),
                Scalar(),
                what="'parameter: value' lines",
            ),
            what="a mapping of notebook -> parameters",
            fix="write 'notebooks:' then, indented, '01_pareto: {cutoff: 0.7}' lines",
        ),
    },
    what="'key: value' lines (currency, fiscal_year_start_month, dataset_name, notebooks)",
)
"""The review config (``salesnb review --config``): values given, typed."""

RAW_LINE_TABLES = ("orders", "activities")
"""Tables that may live in a Spark cluster (``tables:`` in ``dataset.yml``)."""

SPARK_SETTINGS = Record(
    {
        "master": Str(
            pattern=r"local(\[(\d+|\*)\])?|(spark|k8s|mesos)://\S+|yarn",
            what="a Spark master (local[2], spark://host:7077, yarn or k8s://https://host:443)",
            fix="write local[2] to run on this machine, or the cluster's master URL",
        ),
        "conf": Map(
            Str(pattern=r"spark\.[\w.\-]+", what="a Spark setting name (spark....)"),
            Scalar(),
            what="'spark.setting: value' lines",
            fix="write lines such as 'spark.executor.memory: 4g' under conf:",
        ),
    },
    what="'key: value' lines (master, conf)",
    noun=("spark setting(s)", "spark settings"),
)

TABLE_LOCATION = Record(
    {
        "path": Str(
            what="a file, glob, folder or object-store URI",
            fix="write a path such as /data/orders/*.parquet or s3a://bucket/orders/",
        ),
        "format": Str(
            choices=("parquet", "csv", "delta", "orc", "json"),
            case="lower",
            fix="write parquet, csv, delta, orc or json",
        ),
        "table": Str(
            pattern=r"[A-Za-z_]\w*(\.[A-Za-z_]\w*){0,2}",
            what="a catalog table name (db.name)",
            fix="write the table as db.name, e.g. sales.order_lines",
        ),
        "options": Map(
            Str(), Scalar(), what="'option: value' lines", fix="write lines such as 'header: true'"
        ),
    },
    what="'key: value' lines (path and format, or table)",
    noun=("table setting(s)", "table settings"),
)

DATASET_SETTINGS = Record(
    {
        "name": Str(numbers=True),
        "currency": CURRENCY,
        "fiscal_year_start_month": MONTH,
        "encoding": Custom(
            _encoding,
            what="a text encoding",
            fix="write an encoding such as utf-8, cp1252 (Windows), latin-1 or utf-16, "
            "or delete the line to let the kit detect it",
        ),
        "engine": Str(choices=("duckdb", "spark"), case="lower", fix="write duckdb or spark"),
        "spark": SPARK_SETTINGS,
        "tables": Map(
            Str(
                choices=RAW_LINE_TABLES,
                what="a raw-line table (orders or activities)",
                fix="list orders or activities; the small tables (accounts, opportunities, "
                "...) stay files in the data set folder",
            ),
            TABLE_LOCATION,
            what="a mapping of table -> location",
            fix="write 'tables:' then, indented, 'orders: {path: ..., format: parquet}'",
        ),
    },
    what="'key: value' lines (name, currency, fiscal_year_start_month, encoding, engine, "
    "spark, tables)",
    noun=("setting(s)", "settings"),
    key_label="setting '{}'",
)
"""``dataset.yml`` beside a data set's tables: values given, typed (currency upper case).

``engine: spark`` runs the raw-line aggregates on Spark (``spark: {master, conf}``);
``tables:`` says where the raw-line tables live in the cluster (``path`` + ``format``,
or a catalog ``table``)."""


def read_review_config(
    path: str | Path, *, error: type[SalesnbError] = DataError
) -> dict[str, Any]:
    """The review config's keys as given, typed by :data:`REVIEW_CONFIG` (empty file: {})."""
    return load(path, REVIEW_CONFIG, "review config", error=error)


def read_dataset_settings(
    path: str | Path, *, error: type[SalesnbError] = DataError
) -> dict[str, Any]:
    """``dataset.yml``'s settings as given, typed by :data:`DATASET_SETTINGS` (empty file: {}).

    Beyond the types: ``spark:`` and ``tables:`` need ``engine: spark``; a table is a
    ``path`` (with its ``format``) or a catalog ``table``, not both; Spark may not
    download packages (``spark.jars.packages``); and ``engine: spark`` needs pyspark.
    """
    doc = read(path, "settings file", error=error)
    got = doc.check(DATASET_SETTINGS)
    spark = got.get("engine") == "spark"
    for key in ("spark", "tables"):
        if key in got and not spark:
            doc.fail(
                f"setting '{key}' is read by the Spark engine only",
                "add 'engine: spark', or delete the '" + key + ":' lines",
                at=(key,),
            )
    for name, where in got.get("tables", {}).items():
        at = ("tables", name)
        if ("path" in where) == ("table" in where):
            doc.fail(
                f"tables.{name} needs either path (with format) or table, not "
                + ("both" if "path" in where else "neither"),
                "write 'path: ...' and 'format: parquet' for files, or 'table: db.name' for a "
                "catalog table",
                at=at,
            )
        if "table" in where and ("format" in where or "options" in where):
            doc.fail(
                f"tables.{name}: format and options describe files, not a catalog table",
                "delete format/options, or give path instead of table",
                at=at,
            )
        if "path" in where and "format" not in where:
            doc.fail(
                f"tables.{name} needs the format of its files",
                "add 'format: parquet' (or csv, delta, orc, json)",
                at=at,
            )
    for key in got.get("spark", {}).get("conf", {}):
        if key in ("spark.jars.packages", "spark.jars.repositories"):
            doc.fail(
                f"spark.conf.{key}: the kit never downloads packages",
                "install the jars on the cluster (spark.jars with local paths) and delete "
                "this line",
                at=("spark", "conf", key),
            )
    if spark and importlib.util.find_spec("pyspark") is None:
        doc.fail(
            "engine: spark needs pyspark, which is not installed",
            "pip install 'salesnb[spark]' (or conda install pyspark), or write engine: duckdb",
            at=("engine",),
        )
    return got
