"""Fallback fonts, so that names in any script draw as letters, not boxes, in PDFs and charts.

DejaVu Sans stays the kit's face. Behind it come the Noto fonts of two packages the kit
depends on (both SIL Open Font License 1.1): ``manimgx-fonts`` (Noto Sans for Arabic, Hebrew,
Thai, Devanagari and fifteen more scripts, Noto Emoji, Noto Sans Symbols, Noto Sans) and
``noto-cjk-sans-otc`` (Noto Sans CJK: Chinese, Japanese, Korean). Both pip and conda install
them (environment.yml lists them under ``pip:``).

- :func:`css` gives a report page the fonts it needs, cut down to the characters it uses and
  embedded as ``data:`` URLs: the PDF stays small, WeasyPrint never has to subset a 20 MB font,
  and the ``.html`` keeps its letters on another machine.
- :func:`register_matplotlib` adds the fonts to matplotlib and puts them behind its family,
  so a chart label falls back glyph by glyph.
- :func:`missing_glyphs` names the texts that still hold a character none of these fonts
  has, for the report to list instead of printing boxes unannounced.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

__all__ = ["css", "html_texts", "missing_glyphs", "missing_note", "register_matplotlib"]

# the packages that carry the fallback fonts (pyproject.toml and environment.yml name them)
_PACKAGES = ("manimgx_fonts", "noto_cjk_sans_otc")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# fallback order behind DejaVu Sans; a script face not named here goes first, by name
_LATE = ("Noto Sans CJK JP", "Noto Sans", "Noto Emoji", "Noto Sans Symbols")
_PREFIX = "salesnb "  # the page's @font-face names: never confused with a system font's
_NOTE_NAMES = 12  # names the report's note shows; summary.json lists them all


@dataclasses.dataclass(frozen=True)
class _Face:
    family: str  # as the font names itself (what matplotlib's rcParams take)
    path: Path
    index: int = 0  # the face within a collection (.ttc); 0 is Noto Sans CJK JP


def _dejavu() -> Path:
    """matplotlib's copy of DejaVu Sans: the same face WeasyPrint uses, on every machine."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _open(face: _Face) -> TTFont:
    from fontTools.ttLib import TTFont

    return TTFont(face.path, fontNumber=face.index, lazy=True)


@functools.cache
def _faces() -> tuple[_Face, ...]:
    """The installed fallback faces, in fallback order (upright only: italics are slanted)."""
    faces = []
    for package in _PACKAGES:
        try:
            folder = resources.files(package)
        except ModuleNotFoundError:  # installed without its dependencies: boxes are listed
            continue
        for entry in folder.iterdir():
            if not entry.name.endswith(_FONT_SUFFIXES) or "Italic" in entry.name:
                continue
            path = Path(str(entry))
            family = _open(_Face("", path))["name"].getBestFamilyName()
            faces.append(_Face(family, path))
    late = {name: i for i, name in enumerate(_LATE)}
    return tuple(sorted(faces, key=lambda f: (late.get(f.family, -1), f.family)))


@functools.cache
def _cmap(face: _Face) -> frozenset[int]:
    return frozenset(_open(face).getBestCmap())


@functools.cache
def _primary() -> frozenset[int]:
    return _cmap(_Face("DejaVu Sans", _dejavu()))


@functools.cache
def _covered() -> frozenset[int]:
    """Every code point DejaVu Sans or a fallback face draws."""
    return _primary().union(*(_cmap(face) for face in _faces()))


def _drawn(char: str) -> bool:
    """Whether a character is drawn at all: spaces, controls and joiners leave no glyph."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


def missing_glyphs(texts: Iterable[str]) -> list[str]:
    """The texts holding a character that no font of the kit can draw (once each, in order).

    The fonts are DejaVu Sans and the fallback faces; spaces, control characters, joiners
    and variation selectors are not drawn and never count.

    Example
    -------
    >>> missing_glyphs(["Acme", "東京商事", "Acme \\ue000", "Acme"])
    ['Acme \\ue000']
    """
    found: dict[str, None] = {}
    for text in texts:
        if text in found:
            continue
        beyond = [c for c in text if ord(c) not in _primary()]  # rare: fallbacks load lazily
        if any(ord(c) not in _covered() and _drawn(c) for c in beyond):
            found[text] = None
    return list(found)


_UNSEEN = ("style", "script")  # elements whose text a reader never sees


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _UNSEEN:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _UNSEEN and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def html_texts(page: str) -> list[str]:
    """The text of an HTML page or fragment, one string per text node, without styles or scripts."""
    parser = _Texts()
    parser.feed(page)
    parser.close()
    return parser.texts


# Characters a shaper may draw that the text does not hold: spaces and hyphens (line breaks),
# the dotted circle (a mark without a base), joiners; and, below, each character's parts.
_SHAPING = frozenset((0x20, 0xA0, 0x2D, 0x2010, 0x25CC, 0x200C, 0x200D))
# Khmer vowels HarfBuzz splits though Unicode gives them no decomposition
_KHMER_SPLIT = {0x17BE: 0x17C1, 0x17BF: 0x17C1, 0x17C0: 0x17C1, 0x17C4: 0x17C1, 0x17C5: 0x17C1}


def _with_parts(codes: Iterable[int]) -> frozenset[int]:
    """``codes``, the shaping characters, and every part they decompose into.

    HarfBuzz draws Thai SARA AM as NIKHAHIT + SARA AA, a split Indic vowel as its two halves,
    a precomposed letter the font lacks as letter + mark: a font cut down to the text alone
    would draw those as blanks.
    """
    todo = [*codes, *_SHAPING]
    seen: set[int] = set()
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        parts = unicodedata.decomposition(chr(code)).split()
        todo += [int(p, 16) for p in parts if not p.startswith("<")]
        if code in _KHMER_SPLIT:
            todo.append(_KHMER_SPLIT[code])
    return frozenset(seen)


def _subset(face: _Face, codes: frozenset[int]) -> bytes:
    """The face cut down to ``codes``, with its layout rules (Thai, Arabic and Indic shaping)."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = _open(face)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _needed(codes: set[int]) -> list[_Face]:
    """The fallback faces a page needs: each the first to draw some character the others lack."""
    left = {c for c in codes if c not in _primary() and _drawn(chr(c))}
    needed = []
    for face in _faces():
        if not left:
            break
        if left & _cmap(face):
            needed.append(face)
            left -= _cmap(face)
    return needed


def css(texts: Iterable[str]) -> str:
    """Style rules giving a page the fallback fonts its ``texts`` need, after DejaVu.

    One ``@font-face`` per needed face, cut down to the page's characters (and the parts
    shaping draws them with) and embedded as a ``data:`` URL, so no file is fetched; then the
    font-family lists of the page (its root, so that the page footer has them too) and of
    preformatted text. A page in plain Latin gets the lists alone.
    """
    codes = {ord(c) for text in texts for c in text}
    faces = _needed(codes)
    keep = _with_parts(codes)
    rules = []
    for face in faces:
        data = base64.b64encode(_subset(face, keep)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{_PREFIX}{face.family}"; '
            f'src: url("data:font/sfnt;base64,{data}"); }}'
        )
    fallback = "".join(f', "{_PREFIX}{face.family}"' for face in faces)
    rules.append(f'html {{ font-family: "DejaVu Sans", "Liberation Sans"{fallback}, sans-serif; }}')
    rules.append(
        f'pre, code, kbd, samp {{ font-family: "DejaVu Sans Mono", "DejaVu Sans"{fallback}, '
        "monospace; }"
    )
    return "\n".join(rules) + "\n"


def missing_note(names: list[str]) -> str:
    """An HTML note listing the texts no font can draw (at most 12; the rest are counted).

    Each name is a list item of its own, so :func:`html_texts` of a page holding the note
    finds the same names as it finds without it.
    """
    if not names:
        return ""
    items = "".join(f"<li>{html.escape(name)}</li>" for name in names[:_NOTE_NAMES])
    more = len(names) - _NOTE_NAMES
    tail = f"<p>and {more} more (summary.json lists them all)</p>" if more > 0 else ""
    return (
        "<div class='missing-glyphs'><p>Some names use characters no installed font can "
        f"draw; they show as boxes:</p><ul>{items}</ul>{tail}</div>"
    )


def register_matplotlib() -> list[str]:
    """Add the fallback fonts to matplotlib and append their families to ``font.family``.

    matplotlib draws each character with the first family in ``font.family`` that has it,
    so the kit's own family keeps drawing what it can. Safe to call again. Returns the
    fallback families.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {entry.fname for entry in manager.ttflist}
    added = [p for p in dict.fromkeys(str(face.path) for face in _faces()) if p not in known]
    for path in added:
        manager.addfont(path)
    families = [face.family for face in _faces()]
    # The faces are regular only. For a bold title matplotlib would draw them regular anyway,
    # and log a warning into the report: let each stand in for its bold. (addfont emptied
    # matplotlib's lookup cache and nothing has looked a font up since.)
    manager.ttflist += [
        dataclasses.replace(entry, weight=700)
        for entry in manager.ttflist
        if entry.fname in added and entry.name in families and entry.weight == 400
    ]
    for key in ("font.family", "font.sans-serif"):
        current = list(mpl.rcParams[key])
        mpl.rcParams[key] = current + [f for f in families if f not in current]
    _remember_lookups(manager)
    return families


_GENERIC = ("font.serif", "font.sans-serif", "font.monospace", "font.cursive", "font.fantasy")


def _remember_lookups(manager: Any) -> None:
    """Remember which font files a text's properties resolve to, instead of asking again.

    Every text matplotlib measures or draws asks ``_find_fonts_by_props`` for its fonts,
    which looks each family of ``font.family`` up one by one: with the fallback faces
    behind DejaVu that is 24 lookups per label, 40% of a chart's drawing time. The answer
    depends only on the properties, the generic families' lists and the fonts known, so it
    is kept under exactly those (tests/test_speedups.py: the same pixels). A matplotlib
    without the method is left as it is.
    """
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    find = getattr(manager, "_find_fonts_by_props", None)
    if find is None or getattr(find, "_salesnb", False):
        return
    known: dict[tuple[Any, ...], list[Any]] = {}

    @functools.wraps(find)
    def remembered(prop: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(prop, FontProperties):
            return find(prop, *args, **kwargs)
        key = (
            tuple(prop.get_family()),
            prop.get_style(),
            prop.get_variant(),
            prop.get_weight(),
            prop.get_stretch(),
            prop.get_size_in_points(),
            prop.get_file(),
            args,
            tuple(sorted(kwargs.items())),
            tuple(tuple(mpl.rcParams[k]) for k in _GENERIC),
            len(manager.ttflist),
        )
        if key not in known:
            known[key] = find(prop, *args, **kwargs)
        return list(known[key])

    remembered._salesnb = True  # type: ignore[attr-defined]
    manager._find_fonts_by_props = remembered
