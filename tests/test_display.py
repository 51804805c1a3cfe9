"""The display contract (salesnb.analysis: kinds, table specs, KPI, format_value) and the
display layer (salesnb.notebook: show, kpis, overview, export_table), on hand-made frames."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from salesnb import abm, analysis, comp, pareto, pipeline, tiering, warroom
from salesnb.analysis import KINDS, KPI, Analysis, TableSpec, format_value, label
from salesnb.notebook import _jsonable

ANALYSES = [
    pareto.ParetoAnalysis,
    tiering.TieringAnalysis,
    pipeline.PipelineAnalysis,
    warroom.WarRoomAnalysis,
    abm.AbmAnalysis,
    comp.CompensationAnalysis,
]


# --------------------------------------------------------------------------- format_value
@pytest.mark.parametrize(
    ("value", "kind", "currency", "shown"),
    [
        (1234567.891, "money", "USD", "1,234,568 USD"),  # from 1,000 up: no decimals
        (999.5, "money", "USD", "999.50 USD"),  # below 1,000: two decimals
        (999.999, "money", "USD", "1,000 USD"),  # rounds to cents first: 1,000.00 -> no decimals
        (20593289.05, "money", "", "20,593,289"),  # no currency: the figure alone
        (-1500.4, "money", "EUR", "-1,500 EUR"),
        (-0.001, "money", "USD", "0.00 USD"),  # no "-0.00"
        (0.1787508, "percent", "", "17.9%"),
        (1.37, "percent", "", "137.0%"),
        (-0.0001, "percent", "", "0.0%"),
        (1234, "count", "", "1,234"),
        (199.99999999999997, "count", "", "200"),
        (np.int64(7), "count", "", "7"),
        (5430930.556, "number", "", "5,430,930.56"),
        (2.5, "number", "", "2.5"),  # two decimals at most, no trailing zeros
        (3.0, "number", "", "3"),
        (0.123456789, "precise", "", "0.1235"),
        (0.5, "precise", "", "0.5"),
        (pd.Timestamp("2027-01-16 00:00:00"), "date", "", "2027-01-16"),
        (dt.date(2026, 9, 30), "date", "", "2026-09-30"),
        (np.datetime64("2026-09-30T00:00:00"), "date", "", "2026-09-30"),
        ("2026-09-30 00:00:00", "date", "", "2026-09-30"),
        (True, "bool", "", "yes"),
        (np.bool_(False), "bool", "", "no"),
        ("A00042", "id", "", "A00042"),
        ("<b>Co</b>", "text", "", "<b>Co</b>"),  # escaping is the renderer's job, not this one's
        ("n/a", "money", "USD", "n/a"),  # text in a money column stays text
    ],
)
def test_format_value_hand_worked(value, kind, currency, shown):
    assert format_value(value, kind, currency) == shown


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
@pytest.mark.parametrize("kind", KINDS)
def test_missing_shows_as_a_dash(missing, kind):
    assert format_value(missing, kind, "USD") == "–"


@pytest.mark.parametrize("kind", ["money", "percent", "count", "number", "precise"])
def test_an_infinite_figure_shows_as_a_dash(kind):
    assert format_value(float("inf"), kind, "USD") == "–"


def test_format_value_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind 'currency'"):
        format_value(1, "currency")


# --------------------------------------------------------------------------- labels and specs
@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("days_in_stage", "Days in stage"),
        ("account_id", "Account ID"),
        ("pvf_score", "PVF score"),
        ("abm_readiness", "ABM readiness"),
        ("id", "ID"),
        ("win_rate_pct", "Win rate %"),
        ("Tier", "Tier"),  # already a label
        ("Share of revenue", "Share of revenue"),
    ],
)
def test_label_hand_worked(column, shown):
    assert label(column) == shown


def test_table_spec_kinds_labels_and_checks():
    spec = TableSpec(
        "Top accounts", columns={"revenue": "money"}, labels={"revenue": "Revenue (TTM)"}
    )
    assert spec.kind("revenue") == "money" and spec.kind("name") is None
    assert spec.label("revenue") == "Revenue (TTM)"
    assert spec.label("account_name") == "Account name"
    assert TableSpec("t").columns == {} and TableSpec("t").source == ""
    with pytest.raises(ValueError, match="unknown kind 'dollars'"):
        TableSpec("t", columns={"revenue": "dollars"})


def test_kpi_text_and_checks():
    assert KPI("Revenue", 1234567.891, "money").text("USD") == "1,234,568 USD"
    assert KPI("Win rate", None, "percent", note="no closed deals").text() == "–"
    with pytest.raises(ValueError, match="unknown kind"):
        KPI("x", 1, "ratio")


# --------------------------------------------------------------------------- Analysis fields
@pytest.mark.parametrize("cls", ANALYSES)
def test_every_analysis_has_headline_and_actions_defaulting_to_empty(cls):
    found = {f.name: f for f in dataclasses.fields(cls)}
    assert found["headline"].default == () and found["actions"].default == ()
    assert found["headline"].kw_only and found["actions"].kw_only
    assert isinstance(cls.specs, dict | type(analysis.Analysis.specs))


def test_a_subclass_may_add_required_fields_after_the_defaults():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sub(Analysis):
        methodology = "sub"
        specs = {"t": TableSpec("T")}
        extra: pd.DataFrame  # required, after fields with defaults: fine when kw_only

    a = _analysis(Sub, extra=pd.DataFrame())
    assert a.headline == () and a.actions == () and a.spec("t").title == "T"
    assert a.spec("other") is None


def _analysis(cls=Analysis, **kw):
    from salesnb.analysis import Coverage, Params, Periods
    from salesnb.periods import quarter_window

    w = quarter_window("2026Q3", fiscal_start=1)
    periods = Periods("2026Q3", 1, w, w, w, w, w)
    cov = Coverage(
        w,
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-09-30"),
        pd.DataFrame(columns=["table", "rows", "used", "left_out", "why"]),
    )
    return cls(params=Params(quarter="2026Q3"), periods=periods, currency="USD", coverage=cov, **kw)


def test_summary_carries_headline_and_actions_as_json():
    a = _analysis(
        headline=(
            KPI("Revenue", np.float64(1234.5), "money", "TTM"),
            KPI("Accounts", np.int64(347), "count"),
            KPI("Win rate", float("nan"), "percent", "no closed deals"),
            KPI("Latest order", pd.Timestamp("2026-09-30"), "date"),
        ),
        actions=("Protect the 14 vital-few accounts: Acme, Globex",),
    )
    s = a.summary()
    assert s["headline"] == [
        {"label": "Revenue", "value": 1234.5, "kind": "money", "note": "TTM"},
        {"label": "Accounts", "value": 347, "kind": "count", "note": ""},
        {"label": "Win rate", "value": None, "kind": "percent", "note": "no closed deals"},
        {"label": "Latest order", "value": "2026-09-30", "kind": "date", "note": ""},
    ]
    assert s["actions"] == ["Protect the 14 vital-few accounts: Acme, Globex"]
    json.dumps(_jsonable(s), allow_nan=False)
    assert _analysis().summary()["headline"] == [] and _analysis().summary()["actions"] == []
