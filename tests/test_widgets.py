"""sn.widgets: live controls in JupyterLab, the plain static output everywhere else.

No kernel is started: "live" is what ``live`` returns when the environment says a Jupyter
server runs the kernel, checked through IPython's display formatter.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets
import matplotlib.pyplot as plt
import pytest
from IPython.core.formatters import DisplayFormatter

from salesnb import notebook, widgets
from salesnb.schema import UsageError

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def mimebundle(obj) -> dict:
    data, _ = DisplayFormatter().format(obj)
    return data


@pytest.fixture
def headless(monkeypatch):
    """A papermill / nbval / PDF run: no Jupyter server, no override."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv(widgets.LIVE_ENV, raising=False)


@pytest.fixture
def jupyter(monkeypatch):
    """A kernel started by a Jupyter server (JupyterLab)."""
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ana/salesnb-workspace/01_pareto.ipynb")
    monkeypatch.delenv(widgets.LIVE_ENV, raising=False)


class Shown:
    """What a render function returns: a display object like the kit's tables."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return f"<p>{self.text}</p>"


def recorder():
    calls: list[dict] = []

    def render(**values):
        calls.append(values)
        return Shown(f"cutoff={values['cutoff']} window={values['window']}")

    return render, calls


def controls():
    return {
        "cutoff": widgets.slider(0.8, 0.5, 0.95, 0.05, "Cut-off", readout=".0%"),
        "window": widgets.choice(["quarter", "year"], "year", "Window"),
        "top": 10,
    }


def test_headless_is_one_plain_render_at_the_defaults(headless):
    render, calls = recorder()
    out = widgets.live(render, **controls())
    assert calls == [{"cutoff": 0.8, "window": "year", "top": 10}]
    assert not widgets.is_live()
    assert not isinstance(out, ipywidgets.Widget)
    bundle = mimebundle(out)
    assert WIDGET_MIME not in bundle
    # identical to the same cell without widgets
    assert bundle["text/html"] == mimebundle(render(cutoff=0.8, window="year", top=10))["text/html"]
    assert bundle["text/html"] == "<p>cutoff=0.8 window=year</p>"


def test_live_under_a_jupyter_server(jupyter):
    render, calls = recorder()
    out = widgets.live(render, **controls())
    assert widgets.is_live()
    assert isinstance(out, ipywidgets.interactive)
    assert WIDGET_MIME in mimebundle(out)
    assert calls == [{"cutoff": 0.8, "window": "year", "top": 10}]  # drawn once at the defaults
    slider, dropdown = out.children[0], out.children[1]
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert (slider.min, slider.max, slider.step, slider.description) == (0.5, 0.95, 0.05, "Cut-off")
    assert slider.readout_format == ".0%" and slider.continuous_update is False
    assert isinstance(dropdown, ipywidgets.Dropdown) and dropdown.value == "year"
    slider.value = 0.7
    assert calls[-1] == {"cutoff": 0.7, "window": "year", "top": 10}
    dropdown.value = "quarter"
    assert calls[-1] == {"cutoff": 0.7, "window": "quarter", "top": 10}


def test_salesnb_live_forces_either_way(monkeypatch):
    render, _ = recorder()
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv(widgets.LIVE_ENV, "1")
    assert isinstance(widgets.live(render, **controls()), ipywidgets.interactive)
    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")
    monkeypatch.setenv(widgets.LIVE_ENV, "0")  # the report runner's kernels
    out = widgets.live(render, **controls())
    assert WIDGET_MIME not in mimebundle(out)


def test_integer_slider_and_choice_mapping(jupyter):
    out = widgets.live(
        lambda n, how: n,
        n=widgets.slider(3, 1, 6, 1, "Boxes"),
        how=widgets.choice({"Share of revenue": "share", "Count": "count"}, label="By"),
    )
    assert isinstance(out.children[0], ipywidgets.IntSlider)
    assert out.children[1].value == "share"
    assert out.children[1].label == "Share of revenue"


def test_a_returned_chart_is_not_shown_as_text_when_live(jupyter):
    def render(cutoff):
        _, ax = plt.subplots()
        ax.axvline(cutoff)
        return ax

    out = widgets.live(render, cutoff=widgets.slider(0.8, 0.5, 0.95, 0.05))
    assert out.result is None  # the figure goes out through the inline backend
    plt.close("all")


def test_headless_returns_what_render_returns(headless):
    def render(cutoff):
        _, ax = plt.subplots()
        return ax

    ax = widgets.live(render, cutoff=widgets.slider(0.8, 0.5, 0.95, 0.05))
    assert isinstance(ax, plt.Axes)
    plt.close("all")


def test_control_errors():
    with pytest.raises(UsageError, match="needs lo < hi"):
        widgets.slider(0.8, 0.9, 0.5, 0.05, "Cut-off")
    with pytest.raises(UsageError, match="outside 0.5..0.95"):
        widgets.slider(0.99, 0.5, 0.95, 0.05, "Cut-off")
    with pytest.raises(UsageError, match="not one of the options"):
        widgets.choice(["a", "b"], "c")
    with pytest.raises(UsageError, match="at least one option"):
        widgets.choice([])
    assert widgets.choice(["a", "b"]).default == "a"
    with pytest.raises(UsageError, match="no default value"):
        widgets.live(lambda cutoff: cutoff, cutoff=widgets.slider(None, 0.5, 0.95, 0.05))


@dataclass(frozen=True)
class FakeParams:
    cutoff: float = 0.8
    window: str = "year"


def test_explore_reruns_analyze_with_the_parameter_as_default(headless, monkeypatch):
    shown: list[tuple] = []
    monkeypatch.setattr(notebook, "plot", lambda a, name: shown.append(("plot", a, name)))
    monkeypatch.setattr(notebook, "show", lambda a, name: shown.append(("show", a, name)))
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: None)

    def analyze(data, params):
        return (data, params.cutoff, params.window)

    out = widgets.explore(
        analyze,
        "DATA",
        FakeParams(cutoff=0.7),
        charts=["pareto"],
        tables=["top"],
        cutoff=widgets.slider(None, 0.5, 0.95, 0.05, "Cut-off"),
    )
    assert out is None
    assert shown == [
        ("plot", ("DATA", 0.7, "year"), "pareto"),
        ("show", ("DATA", 0.7, "year"), "top"),
    ]


def test_explore_live_and_its_errors(jupyter, monkeypatch):
    seen: list[float] = []
    monkeypatch.setattr(notebook, "plot", lambda a, name: seen.append(a))
    out = widgets.explore(
        lambda data, p: p.cutoff,
        None,
        FakeParams(),
        charts=["pareto"],
        cutoff=widgets.slider(None, 0.5, 0.95, 0.05),
    )
    assert isinstance(out, ipywidgets.interactive)
    out.children[0].value = 0.6
    assert seen == [0.8, 0.6]
    with pytest.raises(UsageError, match="weights is not a parameter of FakeParams"):
        widgets.explore(lambda d, p: p, None, FakeParams(), weights=widgets.slider(1, 0, 2, 1))
    with pytest.raises(UsageError, match="parameters object"):
        widgets.explore(lambda d, p: p, None, {"cutoff": 0.8})
