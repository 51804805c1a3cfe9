"""Exercises of the compensation, war-room and ABM notebooks (issue 14).

On the demo data and on a thin data set (accounts and opportunities only, a few rows), every
exercise in the key passes with its right answer in every accepted form and fails with wrong
ones; ties and every valid alternative plan pass; an exercise the data cannot support says so.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

import salesnb as sn
from salesnb import training
from salesnb.sources import load_dataset

ROOT = Path(__file__).resolve().parent.parent
MODULES = {
    "04_compensation": sn.comp,
    "05_war_room": sn.warroom,
    "06_abm_readiness": sn.abm,
    "07_sales_habits": sn.habits,
}


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _thin(folder: Path) -> Path:
    """Three accounts, five deals with the required columns only (no outcome, owner, quotas)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder,
        "accounts",
        [
            {"account_id": f"A{i}", "account_name": n}
            for i, n in enumerate(["Alpha", "Beta", "Gamma"], 1)
        ],
    )
    deals = [
        ("O1", "A1", "Closed Won", 500, "2026-04-01", "2026-05-10"),
        ("O2", "A2", "Closed Lost", 900, "2026-04-15", "2026-06-01"),
        ("O3", "A1", "Negotiation", 1200, "2026-07-01", "2026-11-30"),
        ("O4", "A3", "Proposal", 800, "2026-08-01", "2026-12-15"),
        ("O5", "A2", "Discovery", 300, "2026-09-01", "2027-01-20"),
    ]
    cols = ["opportunity_id", "account_id", "stage", "amount", "created_date", "close_date"]
    _write(folder, "opportunities", [dict(zip(cols, d, strict=True)) for d in deals])
    return folder


@pytest.fixture(scope="module")
def demo():
    return load_dataset(ROOT / "data" / "demo")


@pytest.fixture(scope="module")
def thin(tmp_path_factory):
    return load_dataset(_thin(tmp_path_factory.mktemp("thin") / "thin"))


def _key(data, stem, **params):
    module = MODULES[stem]
    p = module.Params(quarter="2026Q3", **params)
    a = module.analyze(data, p)
    key = module.exercises(data, p, a)
    training.start("learner", stem, key)
    return key, a


@pytest.fixture(autouse=True)
def _no_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(training.WORKSPACE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no workspace marker above: nothing recorded


def _ok(n, answer):
    fb = training.check(n, answer)
    assert fb.correct, (n, answer, fb.message)


def _wrong(n, answer):
    fb = training.check(n, answer)
    assert not fb.correct, (n, answer, fb.message)


def _forms_share(value: float) -> list:
    return [value, round(value, 4), f"{value * 100:.1f}%", f"{value * 100:.1f} %", value * 100]


def _check_answer(n: str, ans: training.Answer) -> None:
    """Every accepted form passes, wrong ones fail (per kind)."""
    if ans.missing:
        fb = training.check(n, "anything")
        assert not fb.correct and "cannot answer" in fb.message
        return
    if ans.kind == "guess":
        for g in [*_forms_share(float(ans.value)), 0.0, "99%"]:
            fb = training.predict(n, g)
            assert (
                fb.correct and "the data says" in fb.message.casefold() or "exactly" in fb.message
            )
        assert not training.predict(n, "no idea").correct
    elif ans.kind == "percent":
        for form in _forms_share(float(ans.value)):
            _ok(n, form)
        _wrong(n, float(ans.value) + 0.05)
        _wrong(n, f"{(float(ans.value) + 0.05) * 100:.0f}%")
    elif ans.kind == "count":
        _ok(n, int(ans.value))
        _ok(n, str(int(ans.value)))
        _ok(n, float(ans.value))
        _wrong(n, int(ans.value) + 1)
    elif ans.kind == "pick":
        k = ans.k or len(ans.value)
        items = list(ans.value)
        for combo in itertools.islice(itertools.combinations(items, k), 20):  # ties too
            _ok(n, list(combo))
            _ok(n, [str(c).upper() for c in reversed(combo)])
            _ok(n, ", ".join(combo))
        _wrong(n, [*items[: k - 1], "Nobody At All"])
        if k > 1:
            _wrong(n, items[: k - 1])  # one short
    elif ans.kind == "set":
        options = [ans.value, *ans.any_of]
        for option in [options[0], options[-1], *options[1 :: max(len(options) // 7, 1)]]:
            _ok(n, list(option))
            _ok(n, list(reversed(option)))
        _wrong(n, list(ans.value)[:-1])
        _wrong(n, [*list(ans.value)[:-1], "Nobody At All"])
    elif ans.kind == "name":
        for option in [ans.value, *ans.any_of][:5]:  # any of the valid names passes, in any case
            _ok(n, str(option))
            _ok(n, f"  {str(option).upper()} ")
        _wrong(n, "Nobody At All")
    else:  # pragma: no cover (no other kind in these keys)
        raise AssertionError(ans.kind)


@pytest.mark.parametrize("stem", list(MODULES))
@pytest.mark.parametrize("which", ["demo", "thin"])
def test_every_exercise_passes_its_answers_and_fails_wrong_ones(stem, which, request):
    data = request.getfixturevalue(which)
    key, _ = _key(data, stem)
    assert list(key) == ["1", "2", "3", "4"]
    for n, ans in key.items():
        if ans.parts:  # a dict: all parts right passes, one part wrong fails and is named
            right = {p: a.value for p, a in ans.parts.items()}
            _ok(n, right)
            _ok(n, {p.upper(): str(v) for p, v in right.items()})
            first = next(iter(right))
            fb = training.check(n, {**right, first: right[first] + 1})
            assert not fb.correct and f"part {first} is wrong" in fb.message.casefold()
        else:
            _check_answer(n, ans)
    training.start("learner", stem, key)
    answerable = next(n for n, a in key.items() if not a.missing)
    assert "in place of None" in training.check(answerable, None).message


def test_demo_supports_every_exercise(demo):
    for stem in MODULES:
        key, _ = _key(demo, stem)
        assert not [n for n, a in key.items() if a.missing], stem


def test_thin_data_leaves_out_what_it_cannot_support(thin):
    key, _ = _key(thin, "05_war_room")
    assert key["4"].missing  # no experts table: no day to plan
    fb = training.check("4", ["2026-12-01", "Ana"])
    assert not fb.correct and "cannot answer" in fb.message
    comp, a = _key(thin, "04_compensation")
    assert a.metrics["attainment_source"] == "simulated"
    assert not any(x.missing for x in comp.values())
    for n in ("1", "2", "3", "4"):  # every hint or explanation says the figures are simulated
        assert "simulated" in (comp[n].hint + comp[n].explain)
    assert sn.comp.exercise_note(a).startswith("**The figures in these exercises are simulated.**")


# --------------------------------------------------------------------------- hand checks
def test_comp_answers_follow_the_distribution(demo):
    key, a = _key(demo, "04_compensation")
    att = a.tables["distribution"]["attainment"]
    assert key["3"].value == pytest.approx(float((att <= sn.comp.EXERCISE_FLOOR).mean()))
    assert key["4"].value == int((att > sn.comp.EXERCISE_CAP).sum())
    r = a.tables["plan_comparison"].set_index("plan")
    assert key["1"].value == r.loc["all_or_nothing", "share_zero_payout"]
    assert "Capped at 125%" not in key["2"].value and "All or nothing" not in key["2"].value
    _ok("2", "linear_from_50")  # the plan's id passes as well as its name
    _wrong("2", "All or nothing")


def test_comp_designer_renders_headless(demo):
    import matplotlib.pyplot as plt

    _, a = _key(demo, "04_compensation")
    out = sn.widgets.live(
        sn.comp.designer(a),
        floor=sn.widgets.slider(sn.comp.DESIGN_FLOOR, 0.0, 0.9, 0.05, "Floor"),
        cap=sn.widgets.slider(sn.comp.DESIGN_CAP, 1.0, 1.8, 0.05, "Cap"),
    )
    assert "Your plan" in out._repr_html_()
    plt.close("all")


def test_war_room_any_valid_plan_passes_and_invalid_ones_fail(demo):
    p = sn.warroom.Params(quarter="2026Q3", start_date="2026-10-01")  # a window with absences
    a = sn.warroom.analyze(demo, p)
    key = sn.warroom.exercises(demo, p, a)
    training.start("learner", "05_war_room", key)
    s = sn.warroom.scenario(demo, p, a)
    assert len(s.plans) > 1 and len(key["4"].any_of) == len(s.plans) - 1
    experts = demo.tables["experts"]
    names = dict(zip(experts["expert_id"], experts["full_name"], strict=True))
    area = dict(zip(experts["full_name"], experts["area"], strict=True))
    away = {
        names[e]: set(str(d).split(";"))
        for e, d in zip(experts["expert_id"], experts["unavailable_dates"], strict=True)
    }
    for plan in s.plans:  # every plan: a weekday of the window, one free expert per area
        day, team = plan["date"], plan["experts"]
        assert sorted(area[t] for t in team) == sorted(s.areas)
        assert all(day not in away[t] for t in team)
        assert pd_weekday(day) < 5
    for plan in s.plans[:: max(len(s.plans) // 10, 1)]:
        _ok("4", [plan["date"], *plan["experts"]])
    first = s.plans[0]
    _wrong("4", ["2026-11-01", *first["experts"]])  # a Sunday, before the lead time
    clash = [e for e in experts["full_name"] if area[e] == s.areas[0] and first["date"] in away[e]]
    if clash:  # an expert away that day
        _wrong("4", [first["date"], clash[0], *first["experts"][1:]])
    _wrong("4", [first["date"], *first["experts"][:-1]])  # an area left out


def pd_weekday(day: str) -> int:
    import datetime

    return datetime.date.fromisoformat(day).weekday()


def test_war_room_ties_at_the_cut_pass(demo):
    key, a = _key(demo, "05_war_room")
    ranked = a.tables["candidates"]
    short = sn.warroom.shortlist(ranked, 3)
    tied = short[short["score"] >= ranked["score"].iloc[2]]
    assert set(key["2"].value) == set(tied["opportunity_id"])
    moved = sn.warroom.analyze(demo, sn.warroom.Params(quarter="2026Q3", capacity=5))
    assert key["3"].parts["expert_days"].value == moved.metrics["experts_needed"]


def test_abm_answers(demo):
    key, a = _key(demo, "06_abm_readiness")
    r = a.tables["readiness"]
    assert key["1"].value == pytest.approx(
        a.metrics["accounts_ready"] / r["readiness"].notna().sum()
    )
    moved = sn.abm.analyze(demo, sn.abm.Params(quarter="2026Q3", ready_min=0.8))
    assert key["2"].value == moved.metrics["accounts_ready"]
    assert set(key["3"].value) <= set(sn.abm.FLAGS)
    _ok("4", list(key["4"].any_of[:3]))  # account ids pass as well as names
