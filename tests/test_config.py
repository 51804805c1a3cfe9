"""salesnb.config: the safe YAML reader, the typed specs and the ready-made readers."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import yaml

from salesnb import abm, comp, config, tiering
from salesnb.schema import DataError, UsageError

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = sorted((ROOT / "salesnb" / "mappings").rglob("*.yml"))

# The classic "billion laughs": nine levels of nine aliases, 9**9 strings once expanded.
BILLION_LAUGHS = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)

# Every reader of a YAML file the kit accepts (the mapping's reader is config.read itself).
READERS = {
    "rules": tiering.load_rules,
    "plans": comp.load_plans,
    "abm plan": abm.load_plan,
    "questionnaire": abm.load_questionnaire,
    "review config": config.read_review_config,
    "dataset.yml": config.read_dataset_settings,
    "mapping": lambda p: config.read(p, "mapping file").data,
}


def _write(tmp_path: Path, text: str, name: str = "f.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- safety
@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_billion_laughs_refused_fast_by_every_reader(tmp_path, reader):
    path = _write(tmp_path, BILLION_LAUGHS, "bomb.yml")
    start = time.perf_counter()
    with pytest.raises(DataError, match=re.escape("bomb.yml line 1: YAML anchors and aliases")):
        reader(path)
    assert time.perf_counter() - start < 0.5


def test_an_alias_alone_is_refused_where_it_is(tmp_path):
    path = _write(tmp_path, "currency: EUR\nnotebooks:\n  pareto: *x\n")
    with pytest.raises(DataError, match=r"f.yml line 3: YAML anchors and aliases .*write the"):
        config.read(path)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_python_tags_refused_by_every_reader(tmp_path, reader):
    path = _write(tmp_path, "currency: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(
        DataError, match=re.escape("line 1: the YAML tag !!python/object/apply:os.system")
    ):
        reader(path)


def test_plain_core_tags_are_accepted(tmp_path):
    assert config.read(_write(tmp_path, "a: !!str 0012\nb: !!int '3'\n")).data == {
        "a": "0012",
        "b": 3,
    }


def test_oversized_deep_and_merged_files_refused(tmp_path):
    big = _write(tmp_path, "a: " + "x" * config.MAX_BYTES + "\n", "big.yml")
    with pytest.raises(DataError, match="larger than 1,000,000 bytes"):
        config.read(big, "mapping file")
    deep = _write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(DataError, match="nested more than 50 levels"):
        config.read(deep)
    merged = _write(tmp_path, "<<: {a: 1}\nb: 2\n")
    with pytest.raises(DataError, match="merge keys"):
        config.read(merged)


def test_parser_nesting_limit_reads_as_the_kits_message(tmp_path, monkeypatch):
    """libyaml >= 0.2.5 stops a deep flow collection itself, before the kit counts levels."""
    mark = yaml.Mark("f.yml", 0, 0, 3, "", 0)

    def too_deep(self):
        raise yaml.MarkedYAMLError(
            "while increasing flow level", mark, "exceeded maximum nesting depth", mark
        )

    monkeypatch.setattr(config._Loader, "get_single_node", too_deep)
    path = _write(tmp_path, "a: [[1]]\n")
    with pytest.raises(DataError, match=r"line 1: nested more than 50 levels deep"):
        config.read(path)


def test_duplicate_keys_named_with_both_lines(tmp_path):
    path = _write(tmp_path, "currency: EUR\nname: x\ncurrency: USD\n")
    with pytest.raises(
        DataError, match=re.escape("line 3: currency is given twice (lines 1 and 3)")
    ):
        config.read(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_folder_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "dataset.yml")  # opening it would wait for a writer forever
    with pytest.raises(DataError, match="dataset.yml: the settings file is not a regular file"):
        config.read_dataset_settings(tmp_path / "dataset.yml")
    with pytest.raises(DataError, match="is not a regular file"):
        config.read(tmp_path)


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match=r"nope.yml: cannot read the rules file .*check the path"):
        config.read(tmp_path / "nope.yml", "rules file")
    latin = tmp_path / "latin.yml"
    latin.write_bytes(b"name: x\ncity: M\xfcnchen\n")
    with pytest.raises(
        DataError, match=r"latin.yml line 2: the file is not UTF-8.*save it as UTF-8"
    ):
        config.read(latin)
    broken = _write(tmp_path, "a: 1\nb: [1,\n", "broken.yml")
    with pytest.raises(DataError, match=r"broken.yml line 3: cannot read the x: not valid YAML"):
        config.read(broken, "x")


def test_error_class_and_problem(tmp_path):
    path = _write(tmp_path, "colour: blue\n")
    with pytest.raises(UsageError, match="unknown key"):
        config.read_review_config(path, error=UsageError)
    with pytest.raises(DataError) as info:
        config.read_review_config(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.severity) == ("f.yml", 1, "error")


def test_bom_and_empty_files(tmp_path):
    (tmp_path / "bom.yml").write_bytes(b"\xef\xbb\xbfcurrency: eur\n")
    assert config.read_review_config(tmp_path / "bom.yml") == {"currency": "EUR"}
    assert config.read_review_config(_write(tmp_path, "")) == {}
    assert config.read(_write(tmp_path, "# only a comment\n")).data is None


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.name)
def test_shipped_mappings_read_as_safe_load_reads_them(path):
    assert config.read(path, "mapping file").data == yaml.safe_load(path.read_text("utf-8"))


# --------------------------------------------------------------------------- specs
def test_unknown_keys_named_with_the_known_ones_and_a_guess(tmp_path):
    path = _write(tmp_path, "currency: EUR\nfiscal_year_start: 4\n")
    with pytest.raises(DataError) as info:
        config.read_review_config(path)
    assert str(info.value) == (
        "f.yml line 2: unknown key(s) fiscal_year_start; known keys: currency, "
        "fiscal_year_start_month, dataset_name, notebooks. Fix: remove or correct the "
        "unknown key(s) (did you mean 'fiscal_year_start_month' for 'fiscal_year_start'?)"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "notebooks:\n  - pareto\n",
            "line 1: notebooks must be a mapping of notebook -> parameters, got a list of 1",
        ),
        (
            "notebooks:\n  pareto: {cutoff: [0.7]}\n",
            "line 2: notebooks.pareto.cutoff must be a single value (text, number or yes/no)",
        ),
        ("notebooks:\n  pareto: 3\n", "notebooks.pareto must be 'parameter: value' lines"),
        ("notebooks: {pareto: {2x: 1}}\n", "must be a parameter name, got the text '2x'"),
        ("fiscal_year_start_month: 13\n", "must be a month number 1-12, got the number 13"),
        ("fiscal_year_start_month: '4'\n", "must be a month number 1-12, got the text '4'"),
        ("fiscal_year_start_month: yes\n", "must be a month number 1-12, got yes/no (true)"),
        ("currency: EURO\n", "currency must be a 3-letter ISO currency code, got the text"),
        ("dataset_name: [a]\n", "dataset_name must be a text, got a list of 1"),
        ("- currency\n", "expected 'key: value' lines (currency, fiscal_year_start_month"),
    ],
)
def test_review_config_wrong_types_named(tmp_path, text, message):
    with pytest.raises(DataError, match=re.escape(message)):
        config.read_review_config(_write(tmp_path, text, "review.yml"))


def test_review_config_happy_path(tmp_path):
    path = _write(
        tmp_path,
        "currency: eur\nfiscal_year_start_month: 4\ndataset_name: 2026\n"
        "notebooks:\n  pareto: {cutoff: 0.7, window_kind: ttm, redact: yes}\n  03_pipeline:\n",
    )
    assert config.read_review_config(path) == {
        "currency": "EUR",
        "fiscal_year_start_month": 4,
        "dataset_name": "2026",
        "notebooks": {
            "pareto": {"cutoff": 0.7, "window_kind": "ttm", "redact": True},
            "03_pipeline": {},
        },
    }


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "encoding: klingon\n",
            "dataset.yml line 1: setting 'encoding' must be a text encoding, got the text "
            "'klingon'. "
            "Fix: write an encoding such as utf-8, cp1252 (Windows), latin-1 or utf-16, "
            "or delete the line to let the kit detect it",
        ),
        ("encoding: rot13\n", "setting 'encoding' must be a text encoding, got the text 'rot13'"),
        ("encoding: ''\n", "setting 'encoding' must be a text encoding, got the text ''"),
        ("encoding: [utf-8]\n", "setting 'encoding' must be a text encoding, got a list of 1"),
        ("encoding: 1252\n", "setting 'encoding' must be a text encoding, got the number"),
        ("1: a\nb: 2\n", "unknown setting(s) 1, b; known settings: name, currency"),
        ("currency: 12\n", "setting 'currency' must be a 3-letter ISO currency code"),
        ("fiscal_year_start_month: 0\n", "must be a month number 1-12"),
        (
            "colour: red\n",
            "line 1: unknown setting(s) colour; known settings: name, currency, "
            "fiscal_year_start_month, encoding, engine, spark, tables. Fix: remove or correct "
            "the unknown setting(s)",
        ),
        ("[1, 2]\n", "expected 'key: value' lines (name, currency"),
    ],
)
def test_dataset_settings_wrong_values_named(tmp_path, text, message):
    with pytest.raises(DataError, match=re.escape(message)):
        config.read_dataset_settings(_write(tmp_path, text, "dataset.yml"))


def test_dataset_settings_happy_path(tmp_path):
    path = _write(
        tmp_path, "name: 2024\ncurrency: gbp\nfiscal_year_start_month: 4\nencoding: cp1252\n"
    )
    assert config.read_dataset_settings(path) == {
        "name": "2024",
        "currency": "GBP",
        "fiscal_year_start_month": 4,
        "encoding": "cp1252",
    }
    assert config.read_dataset_settings(_write(tmp_path, "currency:\n")) == {}  # empty: default


def test_spec_building_blocks(tmp_path):
    spec = config.Record(
        {
            "n": config.Int(0, 5),
            "x": config.Float(lo=0),
            "ids": config.List(config.Str(numbers=True), min_len=1, item_label="id"),
            "pair": config.Tuple((config.Float(), config.Str())),
            "flag": config.Bool(),
            "kind": config.Str(choices=("a", "b"), case="lower"),
        },
        required={"ids": "the ids"},
    )
    doc = config.read(
        _write(tmp_path, "n: 2.0\nx: 1\nids: [7, b]\npair: [1, z]\nflag: no\nkind: A\n")
    )
    assert doc.check(spec) == {
        "n": 2,
        "x": 1.0,
        "ids": ["7", "b"],
        "pair": (1.0, "z"),
        "flag": False,
        "kind": "a",
    }
    for text, message in [
        ("ids: [a, [b]]\n", "line 1: id 2 must be a text, got a list of 1"),
        ("ids: [a]\nx: .nan\n", "line 2: x must be a number of at least 0, got the number nan"),
        ("ids: [a]\nn: 6\n", "n must be a whole number from 0 to 5, got the number 6"),
        ("ids: [a]\npair: [1]\n", "pair must be a list of 2 values, got a list of 1"),
        ("ids: [a]\nflag: 1\n", "flag must be yes or no, got the number 1"),
        ("ids: [a]\nkind: c\n", "kind must be one of a, b, got the text 'c'"),
        ("n: 1\n", "needs the ids. Fix: add 'ids:'"),
        ("ids: []\n", "ids must be a list of text, got an empty list"),
    ]:
        with pytest.raises(DataError, match=re.escape(message)):
            config.read(_write(tmp_path, text)).check(spec)


def test_doc_fail_locates_a_callers_own_check(tmp_path):
    doc = config.read(_write(tmp_path, "plans:\n  - {name: a}\n  - {name: a}\n"))
    assert doc.line(("plans", 1, "name")) == 3 and doc.line(("plans", 9)) == 1
    with pytest.raises(DataError, match=re.escape("f.yml line 3: twice. Fix: rename")):
        doc.fail("twice", "rename", at=("plans", 1, "name"))


# --------------------------------------------------------------------------- the kit's files
def test_happy_paths_of_the_kits_files(tmp_path):
    rules = tiering.load_rules(_write(tmp_path, "website_min: 70\nt2: 0.7\nweights: {size: 2}\n"))
    assert (rules.website_min, rules.t2, rules.weights["size"], rules.weights["website"]) == (
        70.0,
        0.7,
        2.0,
        1.0,
    )
    plans = comp.load_plans(_write(tmp_path, "plans:\n  - {name: p, points: [[0, 0], [1, 2]]}\n"))
    assert plans == (comp.Plan("p", ((0.0, 0.0), (1.0, 2.0))),)
    plan = abm.load_plan(_write(tmp_path, "targets: [1001, A]\naccounts: {1001: {campaign: c}}\n"))
    assert (plan.targets, plan.capacity, plan.campaigns) == (["1001", "A"], 2, {"1001": "c"})
    answers = abm.load_questionnaire(
        _write(tmp_path, "joint_objectives: Partly\naccount_plans_exist:\n")
    )
    assert answers == {"joint_objectives": 0.5}


def test_abm_plan_keys_are_the_spec_keys():
    assert tuple(abm._PLAN_FILE.fields) == abm.PLAN_KEYS
