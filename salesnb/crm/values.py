"""Value parsing: money and dates as exports write them (locale text, symbols, two orders)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["DateOrder", "date_order", "parse_dates", "parse_money"]


# --------------------------------------------------------------------------- values
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}


def _per_unique(s: pd.Series, fn: Any) -> pd.Series:
    """Apply a Series -> Series parser to the distinct values only, then map back.

    Export columns repeat values heavily (dates, stages, currency codes), so this turns
    a million-row parse into one over a few thousand values.
    """
    uniques = pd.Series(s.dropna().unique())
    if not len(uniques) or len(uniques) > len(s) * 0.5:  # an empty column parses as itself
        return fn(s)
    parsed = fn(uniques)
    return s.map(pd.Series(parsed.to_numpy(), index=uniques.to_numpy()))


_CODE = re.compile(r"^([A-Z]{3}|[$€£¥])|([A-Z]{3}|[$€£¥])$")
_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ$€£¥ \u00a0"


def _currency_code(text: str) -> str | None:
    m = _CODE.search(text)
    if not m:
        return None
    code = m.group(1) or m.group(2)
    return _SYMBOLS.get(code, code)


def parse_money(
    s: pd.Series, *, decimal: str = ".", thousands: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Numbers from locale text: ``USD 12,345.00``, ``$1,200``, ``1.234,5``, ``(300)``.

    Returns (values, currency codes found in the text, or NA). Vectorised string
    operations only (no per-cell Python), so a million amounts parse in about a second.
    """
    txt = s.astype("str").where(s.notna()).str.strip()
    ends = txt.str.slice(0, 4).fillna("") + "|" + txt.str.slice(-4).fillna("")
    code = _per_unique(
        ends,
        lambda u: u.map(
            lambda e: (
                _currency_code(e.split("|")[0].strip()) or _currency_code(e.split("|")[1].strip())
            )
        ),
    )
    num = txt.str.lstrip(_CODE_CHARS).str.rstrip(_CODE_CHARS)  # ISO codes and symbols, both ends
    negative = (num.str.startswith("(") & num.str.endswith(")")) | num.str.startswith("-")
    num = num.str.replace(r"[()\s'-]", "", regex=True)
    if thousands is None:
        thousands = "," if decimal == "." else "."
    num = num.str.replace(thousands, "", regex=False)
    if decimal != ".":
        num = num.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(num.where(num != ""), errors="coerce").astype("float64")
    values = values.where(~negative.fillna(False).astype(bool), -values)
    return values, code.where(code.notna())


def parse_dates(
    s: pd.Series, *, date_format: str | None = None, dayfirst: bool = False
) -> pd.Series:
    """Dates from export text: an explicit format, else ISO, else day/month/year or
    month/day/year (``dayfirst``) with a two- or four-digit year (``03/01/19``,
    ``3.1.2019``, ``03-01-2019``; a time after the date is ignored)."""
    txt = s.astype("str").where(s.notna()).str.strip()
    parsed = _per_unique(txt, lambda u: _parse_date_values(u, date_format, dayfirst))
    return pd.to_datetime(parsed).astype("datetime64[us]").dt.normalize()


# a local date: two numbers up to 12 or 31, then the year (two or four digits)
_LOCAL_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)"


def _parse_date_values(txt: pd.Series, date_format: str | None, dayfirst: bool) -> pd.Series:
    if date_format:
        return pd.to_datetime(txt, format=date_format, errors="coerce")
    iso = txt.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
    if iso.any():
        out[iso] = pd.to_datetime(txt[iso].str.slice(0, 19), format="ISO8601", errors="coerce")
    rest = ~iso & txt.notna()
    if rest.any():
        parts = txt[rest].str.extract(_LOCAL_DATE)
        head = parts[0] + "/" + parts[1] + "/" + parts[2]
        order = "%d/%m/" if dayfirst else "%m/%d/"
        long_year = parts[2].str.len() == 4
        parsed = pd.Series(pd.NaT, index=head.index, dtype="datetime64[us]")
        for mask, year in ((long_year, "%Y"), (~long_year & head.notna(), "%y")):
            if mask.any():
                parsed[mask] = pd.to_datetime(head[mask], format=order + year, errors="coerce")
        out[rest] = parsed
    return out


@dataclass(frozen=True)
class DateOrder:
    """What the values of one date column say about day / month order.

    Each example is (value, line). A first number above 12 can only be a day, a
    second number above 12 only a day in month-first order; values whose numbers are
    both 12 or less read two ways (unless they are equal: 05/05/19). ISO dates
    (2019-01-03) say nothing and need nothing.
    """

    day_first: tuple[str, int] | None = None  # e.g. ('13/01/19', 5): only day first reads it
    month_first: tuple[str, int] | None = None  # e.g. ('01/13/19', 9)
    both: tuple[str, int] | None = None  # e.g. ('03/01/19', 2): reads either way

    @property
    def dayfirst(self) -> bool | None:
        """True / False when the values decide (and agree), else None."""
        if bool(self.day_first) == bool(self.month_first):
            return None
        return bool(self.day_first)


def date_order(s: pd.Series) -> DateOrder:
    """The evidence on day / month order in a column of date text (index = file lines).

    Examples
    --------
    >>> date_order(pd.Series(["03/01/19", "13/01/19"], index=[2, 3])).dayfirst
    True
    """
    txt = s.dropna().astype("str").str.strip()
    uniques = pd.Series(txt.unique(), dtype="str")
    parts = uniques.str.extract(_LOCAL_DATE)
    first, second = (pd.to_numeric(parts[i], errors="coerce") for i in (0, 1))

    def example(mask: pd.Series) -> tuple[str, int] | None:
        if not mask.any():
            return None
        value = str(uniques[mask].iloc[0])
        return value, int(txt.index[(txt == value).to_numpy()][0])

    return DateOrder(
        day_first=example((first > 12) & (second <= 12)),
        month_first=example((second > 12) & (first <= 12)),
        both=example((first <= 12) & (second <= 12) & (first != second)),
    )


def _two_readings(value: str) -> tuple[str, str]:
    """A local date read day first and month first, as ISO dates."""
    one = pd.Series([value])
    day = _parse_date_values(one, None, dayfirst=True).iloc[0]
    month = _parse_date_values(one, None, dayfirst=False).iloc[0]
    return day.strftime("%Y-%m-%d"), month.strftime("%Y-%m-%d")
