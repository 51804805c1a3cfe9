"""Live controls for training sessions: move a threshold, see the chart and table redraw.

In JupyterLab a slider or dropdown re-runs the cell's drawing for every setting::

    sn.widgets.live(render, cutoff=sn.widgets.slider(0.8, 0.5, 0.95, 0.05, "Cut-off"))

Executed headless (papermill, nbval, the PDF reports) the same call simply draws once with
the defaults: no widget and no widget state in the output, so a notebook with live
controls renders exactly as one without. Live means a Jupyter server runs the kernel
(``JPY_SESSION_NAME`` is set) or ``SALESNB_LIVE=1``; ``SALESNB_LIVE=0`` forces the static
output everywhere (the report runner sets it for the kernels it starts).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .schema import UsageError

__all__ = ["LIVE_ENV", "Control", "choice", "explore", "is_live", "live", "slider"]

LIVE_ENV = "SALESNB_LIVE"
"""``1``: live controls even without a Jupyter server; ``0``: never live (headless runs)."""


@dataclass(frozen=True)
class Control:
    """One live control: its default value and how to build its widget.

    Made by :func:`slider` or :func:`choice`; a plain value given to :func:`live` instead of
    a Control is passed to ``render`` unchanged and shows no control.
    """

    default: Any
    kind: str  # "slider" | "choice"
    options: tuple[Any, ...] = ()  # slider: (lo, hi, step); choice: (label, value) pairs
    label: str = ""
    readout: str | None = None

    def with_default(self, default: Any) -> Control:
        """This control with another default (``explore`` takes it from the parameters)."""
        return dataclasses.replace(self, default=default)

    def widget(self) -> Any:
        """The ipywidgets control (slider or dropdown), updating when the mouse is released."""
        import ipywidgets as w

        style = {"description_width": "initial"}
        layout = w.Layout(width="28em")
        if self.kind == "slider":
            lo, hi, step = self.options
            ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi, step))
            ints = ints and isinstance(self.default, int)
            cls = w.IntSlider if ints else w.FloatSlider
            extra = {"readout_format": self.readout} if self.readout else {}
            return cls(
                value=self.default,
                min=lo,
                max=hi,
                step=step,
                description=self.label,
                continuous_update=False,
                style=style,
                layout=layout,
                **extra,
            )
        return w.Dropdown(
            options=list(self.options),
            value=self.default,
            description=self.label,
            style=style,
            layout=layout,
        )


def slider(
    default: float | None,
    lo: float,
    hi: float,
    step: float,
    label: str = "",
    *,
    readout: str | None = None,
) -> Control:
    """A slider from ``lo`` to ``hi`` in steps of ``step``, starting at ``default``.

    Whole numbers everywhere make an integer slider. ``readout`` is a format for the shown
    value (``".0%"`` for a share). ``default=None`` only inside :func:`explore`, which takes
    the parameter's value.

    Example
    -------
    >>> slider(0.8, 0.5, 0.95, 0.05, "Pareto cut-off", readout=".0%").default
    0.8
    """
    if not lo < hi or step <= 0:
        raise UsageError(f"slider {label!r}: needs lo < hi and step > 0 (got {lo}, {hi}, {step}).")
    if default is not None and not lo <= default <= hi:
        raise UsageError(f"slider {label!r}: the default {default} is outside {lo}..{hi}.")
    return Control(default, "slider", (lo, hi, step), label, readout)


def choice(
    options: Sequence[Any] | Mapping[str, Any], default: Any = None, label: str = ""
) -> Control:
    """A dropdown of ``options`` (values, or a mapping label -> value); ``default``: the first."""
    pairs = (
        tuple((str(k), v) for k, v in options.items())
        if isinstance(options, Mapping)
        else tuple((str(v), v) for v in options)
    )
    if not pairs:
        raise UsageError(f"choice {label!r}: needs at least one option.")
    values = [v for _, v in pairs]
    if default is None:
        default = values[0]
    elif default not in values:
        raise UsageError(f"choice {label!r}: the default {default!r} is not one of the options.")
    return Control(default, "choice", pairs, label)


def is_live() -> bool:
    """Whether controls are live here: a Jupyter server's kernel or ``SALESNB_LIVE=1``."""
    flag = os.environ.get(LIVE_ENV, "").strip()
    if flag == "0":
        return False
    if flag != "1" and not os.environ.get("JPY_SESSION_NAME"):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def live(render: Callable[..., Any], **controls: Any) -> Any:
    """``render`` with live controls in JupyterLab; headless, ``render`` at the defaults.

    Parameters
    ----------
    render
        Draws the output for one setting: called as ``render(**values)``. It may display
        charts and tables itself or return something to display.
    **controls
        Name -> :func:`slider` / :func:`choice` (a live control), or a plain value (fixed).

    Returns
    -------
    The ipywidgets ``interactive`` box when live; otherwise exactly what
    ``render(**defaults)`` returns, so the headless output is that of a plain call.
    """
    defaults = {name: c.default if isinstance(c, Control) else c for name, c in controls.items()}
    for name, value in defaults.items():
        if value is None and isinstance(controls[name], Control):
            raise UsageError(f"control {name!r} has no default value.")
    if not is_live():
        return render(**defaults)
    import ipywidgets as w

    widgets = {
        name: c.widget() if isinstance(c, Control) else w.fixed(c) for name, c in controls.items()
    }

    def draw(**values: Any) -> Any:
        return _draw(render, **values)

    # interactive() reads the names of the controls from the signature
    draw.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in widgets]
    )
    return w.interactive(draw, **widgets)


def _draw(render: Callable[..., Any], **values: Any) -> Any:
    """One redraw: a returned chart is shown by the inline backend, not as its text."""
    result = render(**values)
    if "matplotlib" in sys.modules:
        from matplotlib.artist import Artist
        from matplotlib.figure import Figure

        if isinstance(result, Artist | Figure):
            return None
    return result


def explore(
    analyze: Callable[..., Any],
    data: Any,
    params: Any,
    *,
    charts: Sequence[str] = (),
    tables: Sequence[str] = (),
    **controls: Any,
) -> Any:
    """Re-run a methodology's ``analyze`` for every setting of ``controls`` and show the results.

    Each control names a field of the ``params`` dataclass; a control whose default is
    ``None`` starts at the parameter's value, so the headless output is the notebook's own.

    Example
    -------
    ``sn.widgets.explore(sn.pareto.analyze, ctx.data, params, charts=["pareto"],
    tables=["top"], cutoff=sn.widgets.slider(None, 0.5, 0.95, 0.05, "Cut-off"))``
    """
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise UsageError("explore needs the notebook's parameters object (a dataclass instance).")
    names = {f.name for f in dataclasses.fields(params)}
    unknown = sorted(set(controls) - names)
    if unknown:
        raise UsageError(
            f"explore: {', '.join(unknown)} {'is not a parameter' if len(unknown) == 1 else 'are not parameters'}"
            f" of {type(params).__name__} (its parameters: {', '.join(sorted(names))})."
        )
    filled = {
        name: c.with_default(getattr(params, name))
        if isinstance(c, Control) and c.default is None
        else c
        for name, c in controls.items()
    }
    render = functools.partial(_explore, analyze, data, params, tuple(charts), tuple(tables))
    return live(render, **filled)


def _explore(
    analyze: Callable[..., Any],
    data: Any,
    params: Any,
    charts: tuple[str, ...],
    tables: tuple[str, ...],
    **values: Any,
) -> None:
    from IPython.display import display

    from . import notebook

    a = analyze(data, dataclasses.replace(params, **values))
    for name in charts:
        shown = notebook.plot(a, name)
        if shown is not None:
            display(shown)
        _flush_figures()  # each chart where it belongs, before the tables
    for name in tables:
        display(notebook.show(a, name))


def _flush_figures() -> None:
    """Show and close the open figures now (what the inline backend does at the cell's end)."""
    if "matplotlib" not in sys.modules:
        return
    import matplotlib.pyplot as plt
    from IPython.display import display

    for num in plt.get_fignums():
        fig = plt.figure(num)
        display(fig)
        plt.close(fig)
