"""The executive summary (``00_summary.pdf``) and the bound review (``review.pdf``).

The summary reads what the notebooks published (summary.json: findings, headline figures,
actions, statuses) and what the history store holds for the data set (the change since
the previous stored quarter, and the trends once two or more quarters are stored). It
computes nothing of its own about the business: every figure on it comes from a
notebook's result or from the store. ``review.pdf`` is the summary, then every report
that finished, with a bookmark per report and its sections below it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, history
from ..analysis import format_value, is_missing
from .render import bind_pdfs, page_html, render_pdf, running_title

__all__ = [
    "FINDINGS_PER_REPORT",
    "SUMMARY_STEM",
    "REVIEW_PDF",
    "change_table",
    "report_name",
    "summary_html",
    "trend_figure",
    "write",
]

SUMMARY_STEM = "00_summary"
REVIEW_PDF = "review.pdf"
FINDINGS_PER_REPORT = 2  # key findings per methodology on the summary (the report has them all)
ACTIONS_PER_REPORT = 1  # top actions per methodology (each report lists all of its own)
KPIS_PER_REPORT = 6

# which way is good news (1), bad news (-1) or neither (0); arrows show the direction anyway
_POLARITY = {
    "revenue_total": 1,
    "win_rate": 1,
    "no_decision_share": -1,
    "velocity_per_day": 1,
    "open_pipeline": 1,
    "coverage_next_quarter": 1,
}
_ARROW = {"up": "▲", "down": "▼", "same": "="}

_CSS = """
.sn-summary { font-size: 8pt; line-height: 1.25; }
.sn-summary h2 { margin-top: 3mm; }
.sn-summary h3 { font-size: 10pt; margin: 2.5mm 0 0.8mm 0; color: #1f4e79; break-after: avoid; }
.sn-summary table.kpis { break-inside: avoid; }
.sn-summary ul.findings { margin: 0.5mm 0 1mm 0; padding-left: 5mm; }
.sn-summary ul.findings li { margin: 0.2mm 0; }
.sn-summary table.kpis { width: 100%; table-layout: fixed; border-collapse: separate;
  border-spacing: 1.5mm 0; margin: 1mm -1.5mm; }
.sn-summary table.kpis td { border: 1px solid #d5dde6; border-radius: 1.5mm; padding: 0.6mm 1.5mm;
  vertical-align: top; background: #f7f9fb; text-align: left; }
.sn-summary .kpi-value { font-size: 10pt; font-weight: bold; color: #1f4e79; display: block;
  overflow-wrap: anywhere; }
.sn-summary .kpi-label { font-size: 7pt; line-height: 1.2; color: #444; display: block; }
.sn-summary .kpi-note { font-size: 6.5pt; color: #777; display: block; }
.sn-summary .status { color: #8a1c1c; margin: 0.5mm 0; }
.sn-summary .status.skipped { color: #666; }
.sn-summary table.change { width: 100%; margin: 1mm 0; }
.sn-summary table.change td, .sn-summary table.change th { padding: 0.5mm 2mm; }
.sn-summary table.change td.num, .sn-summary table.change th.num { text-align: right;
  white-space: nowrap; }
.sn-summary .good { color: #2e7d32; } .sn-summary .bad { color: #c62828; }
.sn-summary .neutral { color: #555; }
.sn-summary ol.actions li { margin: 0.5mm 0; }
.sn-summary .note { color: #555; font-size: 8pt; }
.sn-summary .note.unmeasured { font-size: 7.5pt; margin: 0.5mm 0; }
.sn-summary img.trends { width: 100%; }
"""


# --------------------------------------------------------------------------- pieces
def _methodology(stem: str) -> str:
    head, _, rest = stem.partition("_")
    return rest if head.isdigit() and rest else stem


def report_name(stem: str, entry: Mapping[str, Any]) -> str:
    """A report's short name: its title before the colon ("Pipeline health")."""
    title = entry.get("title") or _methodology(stem).replace("_", " ").capitalize()
    return running_title(str(title))


def _card_value(value: Any, kind: str, currency: str) -> str:
    """A headline figure on a summary card: money from 100,000 up compact (``115.5M USD``) so
    six cards fit a row; the report's own card has the exact amount."""
    if kind == "money" and not is_missing(value) and abs(float(value)) >= 100_000:
        from ..theme import format_money

        return format_money(float(value), currency)
    return format_value(value, kind, currency)


def _kpi_cells(headline: Sequence[Mapping[str, Any]], currency: str) -> str:
    """The measured headline figures as cards; the unmeasured ones named on one line below.

    Why a figure is missing is said in the report (its card's note); the summary names it
    so a reader knows it was looked for.
    """
    cells, missing = [], []
    for k in list(headline)[:KPIS_PER_REPORT]:
        label = str(k.get("label", ""))
        if is_missing(k.get("value")):
            missing.append(label)
            continue
        kind = k.get("kind") or "number"
        try:
            value = _card_value(k.get("value"), kind, currency)
        except ValueError:  # a kind this kit does not know: show the value as text
            value = format_value(k.get("value"), "text")
        cells.append(
            f"<td><span class='kpi-value'>{html.escape(value)}</span>"
            f"<span class='kpi-label'>{html.escape(label)}</span></td>"
        )
    out = ""
    if cells:
        cells += ["<td style='border:none;background:none'></td>"] * (
            min(4, KPIS_PER_REPORT) - len(cells)
        )  # a few cards keep a card's width
        out = f"<table class='kpis'><tr>{''.join(cells)}</tr></table>"
    if missing:
        out += (
            "<p class='note unmeasured'>Not measured on this data set (the report says why): "
            f"{html.escape('; '.join(missing))}.</p>"
        )
    return out


def _status_line(stem: str, entry: Mapping[str, Any]) -> str:
    status = entry.get("status")
    if status == "failed":
        return (
            "<p class='status'>This report failed: "
            f"{html.escape(str(entry.get('error') or 'the notebook failed'))}. Its executed "
            f"notebook ({html.escape(stem)}/{html.escape(stem)}.ipynb) shows where; the figures "
            "below are what it published before it failed.</p>"
        )
    if status == "skipped":
        return (
            "<p class='status skipped'>Not run on this data set: "
            f"{html.escape(str(entry.get('reason') or ''))}.</p>"
        )
    if status not in ("ok", None):
        return f"<p class='status'>{html.escape(str(entry.get('reason') or status))}.</p>"
    return ""


def _findings_section(summary: Mapping[str, Any], currency: str) -> str:
    blocks = []
    for stem, entry in summary.get("notebooks", {}).items():
        findings = [str(f) for f in entry.get("findings") or []][:FINDINGS_PER_REPORT]
        items = "".join(f"<li>{html.escape(f)}</li>" for f in findings)
        blocks.append(
            "<div class='block'>"
            f"<h3>{html.escape(report_name(stem, entry))}</h3>"
            + _status_line(stem, entry)
            + _kpi_cells(entry.get("headline") or [], currency)
            + (f"<ul class='findings'>{items}</ul>" if items else "")
            + "</div>"
        )
    return "<h2 class='numbered'>Key findings and headline figures</h2>" + "".join(blocks)


def _change_text(change: float, kind: str, currency: str) -> str:
    if kind == "percent":
        return f"{change * 100:+.1f} pts"
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    magnitude = format_value(abs(change), kind, currency)
    return f"{sign}{magnitude}"


def change_table(store: Path, key: str, quarter: str) -> pd.DataFrame:
    """The headline metrics of ``quarter`` against the previous stored quarter, as shown.

    Columns: name, metric (label), kind, previous_quarter, previous, current, change,
    direction, polarity (1 up is good news, -1 bad news, 0 neither); one row
    per :data:`salesnb.history.HEADLINE` metric either quarter holds. Empty when the store
    holds no earlier quarter of the data set (or not this one).
    """
    delta = history.delta(store, key, quarter)
    rows = []
    for h in history.HEADLINE:
        found = delta[
            (delta["notebook"].map(_methodology) == h.notebook) & (delta["metric"] == h.metric)
        ]
        if found.empty:
            continue
        r = found.iloc[0]
        if is_missing(r["previous"]) and is_missing(r["current"]):
            continue
        rows.append(
            {
                "name": h.metric,
                "metric": h.label,
                "kind": h.kind,
                "previous_quarter": r["previous_quarter"],
                "previous": r["previous"],
                "current": r["current"],
                "change": r["change"],
                "direction": r["direction"],
                "polarity": _POLARITY.get(h.metric, 0),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "metric",
            "kind",
            "previous_quarter",
            "previous",
            "current",
            "change",
            "direction",
            "polarity",
        ],
    )


def _change_section(
    summary: Mapping[str, Any], store: Path, key: str, recorded: bool, note: str | None
) -> str:
    quarter = summary["quarter"]
    currency = summary.get("currency") or ""
    head = "<h2 class='numbered'>Change since the last review</h2>"
    if not recorded:
        why = f" ({html.escape(note)})" if note else ""
        return head + (
            f"<p class='note'>This review was not recorded in the history store{why}, so it "
            "cannot be compared with earlier quarters here.</p>"
        )
    table = change_table(store, key, quarter)
    parts = [head]
    if table.empty:
        parts.append(
            "<p class='note'>No earlier review of this data set is stored in the history yet: "
            f"{html.escape(quarter)} is the first. The next quarter's summary shows the change "
            "against it.</p>"
        )
    else:
        before = str(table["previous_quarter"].iloc[0])
        gap = _gap(before, quarter)
        parts.append(
            f"<p>{html.escape(quarter)} against {html.escape(before)}, the last review of this "
            f"data set in the history store{gap}: green is good news, red bad news, grey "
            "neither.</p>"
        )
        rows = []
        tiers = table[table["name"].str.startswith("tier_counts.")]
        if not (tiers[["previous", "current"]].fillna(0) != 0).any().any():
            table = table[~table["name"].isin(tiers["name"])]  # no account tiered either time
        for r in table.itertuples(index=False):
            if r.name.startswith("tier_counts."):
                if r.name == tiers["name"].iloc[0]:
                    rows.append(_tier_row(tiers, currency))
                continue
            prev, cur, change = _change_cells(r, currency)
            rows.append(
                f"<tr><td>{html.escape(r.metric)}</td><td class='num'>{prev}</td>"
                f"<td class='num'>{cur}</td><td class='num'>{change}</td></tr>"
            )
        parts.append(
            "<table class='change'><thead><tr><th>Metric</th>"
            f"<th class='num'>{html.escape(before)}</th><th class='num'>{html.escape(quarter)}</th>"
            f"<th class='num'>Change</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    stored = [q for q in history.quarters(store, key) if q <= quarter]  # none from its future
    if len(stored) >= 2:
        trends = history.trends(store, key)
        png = trend_figure(trends[trends.index.isin(stored)], currency=currency)
        parts.append(
            f"<h3>Trends over the {len(stored)} stored quarters up to {html.escape(quarter)}</h3>"
            f"<img class='trends' alt='trends' src='data:image/png;base64,{png}'>"
        )
    return "".join(parts)


def _change_cells(r: Any, currency: str) -> tuple[str, str, str]:
    """(previous, current, change) of a change_table row as HTML: the change with its arrow."""
    kind = r.kind
    change = "–"
    if isinstance(r.direction, str) and r.direction in _ARROW:
        sign = {"up": 1, "down": -1}.get(r.direction, 0) * r.polarity
        cls = "good" if sign > 0 else "bad" if sign < 0 else "neutral"
        text = "±0" if r.direction == "same" else _change_text(float(r.change), r.kind, currency)
        change = f"<span class='{cls}'>{_ARROW[r.direction]} {html.escape(text)}</span>"
    return (
        html.escape(format_value(r.previous, kind, currency)),
        html.escape(format_value(r.current, kind, currency)),
        change,
    )


def _tier_row(tiers: pd.DataFrame, currency: str) -> str:
    """The tier counts as one row: "Accounts in Tier 1 / 2 / 3 / 4", the values side by side."""
    names = [n.split(".", 1)[1].removeprefix("T") for n in tiers["name"]]
    cells = [_change_cells(r, currency) for r in tiers.itertuples(index=False)]
    joined = [" / ".join(c[i] for c in cells) for i in range(3)]
    if (tiers["direction"] == "same").all():
        joined[2] = "<span class='neutral'>= unchanged</span>"
    return (
        f"<tr><td>Accounts in Tier {html.escape(' / '.join(names))}</td>"
        f"<td class='num'>{joined[0]}</td><td class='num'>{joined[1]}</td>"
        f"<td class='num'>{joined[2]}</td></tr>"
    )


def _gap(before: str, quarter: str) -> str:
    from ..periods import previous_quarter

    expected = previous_quarter(quarter)
    if before == expected:
        return ""
    return f" ({html.escape(expected)} was not reviewed)"


def _actions_section(summary: Mapping[str, Any]) -> str:
    items = []
    for stem, entry in summary.get("notebooks", {}).items():
        for action in [str(a) for a in entry.get("actions") or []][:ACTIONS_PER_REPORT]:
            items.append(
                f"<li><strong>{html.escape(report_name(stem, entry))}</strong>: "
                f"{html.escape(action)}</li>"
            )
    head = (
        "<h2 class='numbered'>Top actions</h2><p class='note'>The first action each report "
        "proposes; every report lists all of its own.</p>"
    )
    if not items:
        return head + "<p class='note'>No report of this review proposed an action.</p>"
    return head + f"<ol class='actions'>{''.join(items)}</ol>"


# --------------------------------------------------------------------------- trends
def trend_figure(trends: pd.DataFrame, *, currency: str = "") -> str:
    """The trend charts (concentration, win rate, no-decision share, velocity, tier mix) as base64 PNG.

    ``trends`` is :func:`salesnb.history.trends`: one row per stored quarter. One row of
    four panels; win rate and no-decision share share a panel (both are shares of the
    deals closed in the quarter), told apart by line style and marker as well as colour.
    """
    from matplotlib.figure import Figure

    quarters = [str(q) for q in trends.index]
    x = list(range(len(quarters)))
    fig = Figure(figsize=(7.0, 1.75), dpi=150)  # no pyplot: the engine's process keeps its state
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.25], "wspace": 0.55})
    _line_panel(
        axes[0], x, quarters, [("Top 20% share", _column(trends, "concentration"))], "percent", ""
    )
    _line_panel(
        axes[1],
        x,
        quarters,
        [
            ("Win rate", _column(trends, "win_rate")),
            ("No decision", _column(trends, "no_decision_share")),
        ],
        "percent",
        "",
    )
    _line_panel(
        axes[2],
        x,
        quarters,
        [("Velocity/day", _column(trends, "velocity_per_day"))],
        "money",
        currency,
    )
    _tier_panel(axes[3], x, quarters, trends)
    fig.subplots_adjust(left=0.06, right=0.9, top=0.78, bottom=0.13)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _column(trends: pd.DataFrame, name: str) -> list[float]:
    if name not in trends:
        return [float("nan")] * len(trends)
    return [float(v) for v in pd.to_numeric(trends[name], errors="coerce").to_numpy()]


def _ticks(ax: Any, x: list[int], quarters: list[str], most: int = 3) -> None:
    step = max(1, -(-len(x) // most))
    shown = sorted({*x[::-1][::step]})  # always the latest quarter
    ax.set_xticks(shown)
    ax.set_xticklabels([_short(quarters[i]) for i in shown], fontsize=6.5)
    ax.set_xlim(-0.5, len(x) - 0.5)


def _short(quarter: str) -> str:
    """``2025Q1`` -> ``25Q1``: three labels fit under a narrow panel."""
    return quarter[2:] if len(quarter) == 6 and quarter[:4].isdigit() else quarter


def _shown(value: float, kind: str, currency: str) -> str:
    if kind == "percent":
        return format_value(value, "percent")
    from ..theme import format_money

    return format_money(value, currency)


# greyscale-safe: line style and marker as well as colour; the key drawn in the title's text
_STYLES = [("-", "o", "#1f4e79", "—●"), ("--", "s", "#c0504d", "--■")]


def _line_panel(
    ax: Any,
    x: list[int],
    quarters: list[str],
    series: list[tuple[str, list[float]]],
    kind: str,
    currency: str,
) -> None:
    """Lines over the quarters; the title states each series' latest value and its direction."""
    import math

    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    from ..theme import format_money

    ax.tick_params(labelsize=6.5)
    _ticks(ax, x, quarters)
    lines, known_all = [], []
    for (label, ys), (dash, marker, colour, key) in zip(series, _STYLES, strict=False):
        known = [i for i, v in enumerate(ys) if not math.isnan(v)]
        if not known:
            lines.append((f"{label}: not measured", "#666"))
            continue
        ax.plot(x, ys, linestyle=dash, marker=marker, color=colour, linewidth=1.4, markersize=3.5)
        known_all += [ys[i] for i in known]
        last = known[-1]
        text = f"{label} {_shown(ys[last], kind, '')}"
        earlier = [i for i in known if i < last]
        if earlier:
            before = ys[earlier[-1]]
            text += " ▲" if ys[last] > before else " ▼" if ys[last] < before else " ="
        lines.append((f"{key} {text}" if len(series) > 1 else text, colour))
    for row, (text, colour) in enumerate(reversed(lines)):  # the title, one line per series
        ax.text(0, 1.04 + 0.14 * row, text, color=colour, fontsize=7.5, transform=ax.transAxes)
    if not known_all:
        ax.set_yticks([])
        return
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    lo, hi = min(known_all), max(known_all)
    if kind == "percent":  # whole percentages unless the series moves by less than 5 points
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1 if hi - lo < 0.05 else 0))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v)))
    pad = (hi - lo) * 0.15 or abs(hi) * 0.1 or 0.05
    ax.set_ylim(lo - pad, hi + pad)


_TIER_HATCH = ["", "//", "..", "xx", "\\\\", "oo"]


def _tier_panel(ax: Any, x: list[int], quarters: list[str], trends: pd.DataFrame) -> None:
    from matplotlib.ticker import PercentFormatter

    from ..theme import PALETTE

    order = {"T1": 0, "T2": 1, "T3": 2, "T4": 3, "Global": 4}
    tiers = sorted(
        (c for c in trends.columns if c.startswith("tier_mix.")),
        key=lambda c: (order.get(c.split(".", 1)[1], 9), c),
    )
    ax.tick_params(labelsize=6.5)
    _ticks(ax, x, quarters, most=4)
    if not tiers or trends[tiers].isna().all().all():
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            "no account tiered",
            ha="center",
            va="center",
            fontsize=7.5,
            color="#666",
            transform=ax.transAxes,
        )
        ax.set_title("Tier mix", fontsize=7.5, loc="left")
        return
    bottom = [0.0] * len(x)
    for i, column in enumerate(tiers):
        share = trends[column].fillna(0.0).to_numpy(dtype="float64")
        ax.bar(
            x,
            share,
            bottom=bottom,
            width=0.7,
            color=PALETTE[i % len(PALETTE)],
            hatch=_TIER_HATCH[i % len(_TIER_HATCH)],
            edgecolor="white",
            linewidth=0.4,
            label=column.split(".", 1)[1],
        )
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # the top tier on top, as stacked
        handles[::-1],
        labels[::-1],
        fontsize=6,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        handlelength=1.2,
    )
    first = tiers[0]
    now = format_value(trends[first].iloc[-1], "percent")
    ax.set_title(
        f"Tier mix\n{first.split('.', 1)[1]}: {now} of tiered accounts", fontsize=7.5, loc="left"
    )


# --------------------------------------------------------------------------- page and files
def summary_html(
    summary: Mapping[str, Any],
    *,
    store: Path,
    key: str,
    recorded: bool = True,
    note: str | None = None,
) -> str:
    """The executive summary page of a review (HTML, for :func:`.render.render_pdf`)."""
    quarter = summary["quarter"]
    currency = summary.get("currency") or ""
    name = (summary.get("data") or {}).get("name") or ""
    subtitle = [
        f"Quarter {quarter} · data set {name}",
        f"Run {dt.date.today().isoformat()} · salesnb {__version__}",
    ]
    if summary.get("quarter_complete") is False:
        subtitle.append(
            f"Partial figures: the data ends on {summary.get('data_through')}, before "
            f"{quarter} does."
        )
    books = summary.get("notebooks", {})
    done = sum(e.get("status") == "ok" for e in books.values())
    line = f"{done} of {len(books)} reports finished"
    others = [
        f"{report_name(k, e)} {e.get('status')}"
        for k, e in books.items()
        if e.get("status") != "ok"
    ]
    subtitle.append(
        line + (f" ({', '.join(others)})" if others else "") + "; all follow in review.pdf"
    )
    body = (
        "<div class='sn-summary'>"
        + _change_section(summary, store, key, recorded, note)
        + _findings_section(summary, currency)
        + _actions_section(summary)
        + "</div>"
    )
    return page_html(f"Executive summary: review of {quarter}", subtitle, body, css=_CSS)


def write(
    out: Path,
    summary: Mapping[str, Any],
    *,
    store: Path,
    key: str,
    recorded: bool = True,
    note: str | None = None,
) -> list[str]:
    """Write ``00_summary.html``, ``00_summary.pdf`` and ``review.pdf`` into ``out``; their names.

    ``review.pdf`` binds the summary and the PDF of every report that finished in this
    review (a failed report's PDF of an earlier run is never bound in).
    """
    page = summary_html(summary, store=store, key=key, recorded=recorded, note=note)
    html_path = out / f"{SUMMARY_STEM}.html"
    from ..files import atomic_path

    with atomic_path(html_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    pdf = out / f"{SUMMARY_STEM}.pdf"
    render_pdf(page, pdf, root=out)
    parts: list[tuple[str, Path]] = [("Executive summary", pdf)]
    for stem, entry in summary.get("notebooks", {}).items():
        own = f"{stem}/{stem}.pdf"
        if entry.get("status") == "ok" and own in (entry.get("outputs") or []):
            parts.append((str(entry.get("title") or stem), out / own))
    bind_pdfs(parts, out / REVIEW_PDF)
    return [html_path.name, pdf.name, REVIEW_PDF]
