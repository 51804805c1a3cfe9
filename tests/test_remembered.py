"""analysis.remembered: a notebook's repeated analyze() calls are computed once."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from salesnb.analysis import remembered


class Data:  # a data set stand-in: compared by identity, weakly referable
    pass


@dataclass(frozen=True)
class P:
    x: int = 1
    extra: object = None


@dataclass(frozen=True)
class WithFrame:
    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"a": [1]}))


def test_same_data_and_equal_parameters_give_the_earlier_result():
    calls = []

    @remembered
    def analyze(data, params):
        calls.append(params)
        return {"x": params.x}

    d = Data()
    first = analyze(d, P(1))
    assert analyze(d, P(1)) is first and len(calls) == 1  # equal, not the same object
    assert analyze(d, P(2)) == {"x": 2} and len(calls) == 2  # other parameters
    assert analyze(Data(), P(1)) is not first and len(calls) == 3  # another data set
    for x in range(3, 9):  # only the last few are kept
        analyze(d, P(x))
    analyze(d, P(1))
    assert len(calls) == 10


def test_parameters_that_cannot_be_compared_are_never_matched():
    calls = []

    @remembered
    def analyze(data, params):
        calls.append(params)
        return object()

    d = Data()
    p = WithFrame()
    analyze(d, p)
    analyze(d, WithFrame())  # a DataFrame field has no single truth value: computed again
    assert len(calls) == 2
    analyze(d, p)  # the very same parameters object: its fields are its own
    assert len(calls) == 2


def test_the_wrapper_keeps_the_function_s_name_and_docs():
    from salesnb import pareto

    assert pareto.analyze.__name__ == "analyze" and "Pareto" in (pareto.analyze.__doc__ or "")
