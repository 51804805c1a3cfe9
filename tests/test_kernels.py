"""A review worker's kernel, reused: each notebook sees what a fresh kernel would show it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest

from salesnb.report import kernels
from salesnb.report.run import _execute


def _notebook(folder: Path, name: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


_MESS = """
import os, sys, warnings
import matplotlib, matplotlib.pyplot as plt
import pandas as pd
import salesnb.notebook as snb
leak = 1
os.environ["SALESNB_TEST_LEAK"] = "1"
os.chdir("/")
warnings.simplefilter("error")
matplotlib.rcParams["lines.linewidth"] = 9
pd.set_option("display.max_rows", 3)
sys.path.append("/nowhere")
snb.table_html(pd.DataFrame({"a": [1]}))
plt.plot([1, 2])
import types, weakref
class Cycle:
    pass
garbage = Cycle()
garbage.me = garbage  # freed only by the garbage collector, once the names are dropped
sys.modules["_salesnb_test_cycle"] = types.SimpleNamespace(ref=weakref.ref(garbage))
"""

_CLEAN = """
import os, sys, warnings
import matplotlib
import pandas as pd
import salesnb.notebook as snb
assert "leak" not in globals()
assert "SALESNB_TEST_LEAK" not in os.environ
assert os.getcwd() == {folder!r}, os.getcwd()
assert not any(f[0] == "error" and f[2] is Warning for f in warnings.filters)
assert matplotlib.rcParams["lines.linewidth"] == 1.5
assert pd.get_option("display.max_rows") == 60
assert "/nowhere" not in sys.path
assert 'id="sn-table-1"' in snb.table_html(pd.DataFrame({{"a": [1]}}), key="table").html
import gc
assert gc.get_freeze_count() > 0  # the start state is frozen out of the collector's passes
assert sys.modules["_salesnb_test_cycle"].ref() is None  # but not the last notebook's garbage
"""


def _outputs(path: Path) -> list[dict]:
    return [o for c in nbformat.read(str(path), as_version=4).cells for o in c.get("outputs", [])]


def test_the_next_notebook_sees_a_fresh_kernel(tmp_path, monkeypatch):
    monkeypatch.delenv(
        "MPLBACKEND", raising=False
    )  # the kernels' own inline backend, as in a review
    first = _notebook(tmp_path, "first", _MESS)
    plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2])"
    second = _notebook(tmp_path, "second", _CLEAN.format(folder=str(tmp_path)), plot)
    with kernels.reused() as kernel:
        assert _execute(first, {}, tmp_path / "out1.ipynb") == ("ok", None)
        status, error = _execute(second, {}, tmp_path / "out2.ipynb")
        assert kernel.started == 1  # the same kernel ran both
    assert (status, error) == ("ok", None), _outputs(tmp_path / "out2.ipynb")
    done = nbformat.read(str(tmp_path / "out2.ipynb"), as_version=4)
    assert [c.execution_count for c in done.cells] == [1, 2]  # counted as in a fresh kernel
    # the chart still shows: the inline backend survived the reset
    assert any("image/png" in o.get("data", {}) for o in _outputs(tmp_path / "out2.ipynb"))


def test_a_kernel_started_ahead_runs_its_notebook_as_a_fresh_one(tmp_path, monkeypatch):
    """review() starts its one kernel before reading the data; the notebook still sees the
    environment and folder of the moment it runs (the checked copy's folder is set later)."""
    monkeypatch.delenv("SALESNB_TEST_MARK", raising=False)
    monkeypatch.setenv("SALESNB_TEST_GONE", "unset after the start")
    books = tmp_path / "books"
    books.mkdir()
    seen = _notebook(
        books,
        "seen",
        "import os\n"
        "assert os.environ.get('SALESNB_TEST_MARK') == 'set after the start', os.environ\n"
        "assert 'SALESNB_TEST_GONE' not in os.environ\n"
        f"assert os.getcwd() == {str(books)!r}, os.getcwd()",
        "x = 1",
    )
    with kernels.reused() as kernel:
        kernel.start(tmp_path)  # another folder, another environment
        monkeypatch.setenv("SALESNB_TEST_MARK", "set after the start")
        monkeypatch.delenv("SALESNB_TEST_GONE")
        assert _execute(seen, {}, tmp_path / "out.ipynb") == ("ok", None), _outputs(
            tmp_path / "out.ipynb"
        )
        assert kernel.started == 1  # the kernel started ahead ran it
    done = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert [c.execution_count for c in done.cells] == [1, 2]  # counted as in a fresh kernel


def test_a_failed_notebook_leaves_its_kernel_behind(tmp_path):
    failing = _notebook(tmp_path, "failing", "leak = 1", "raise ValueError('broken')")
    after = _notebook(tmp_path, "after", "assert 'leak' not in globals()")
    with kernels.reused() as kernel:
        assert _execute(failing, {}, tmp_path / "out1.ipynb")[0] == "failed"
        assert _execute(after, {}, tmp_path / "out2.ipynb") == ("ok", None)
        assert kernel.started == 2  # a new kernel after the failure


def test_a_dead_kernel_is_replaced(tmp_path):
    dies = _notebook(tmp_path, "dies", "import os\nos._exit(1)")
    after = _notebook(tmp_path, "after", "x = 1")
    with kernels.reused() as kernel:
        assert _execute(dies, {}, tmp_path / "out1.ipynb")[0] == "failed"
        assert _execute(after, {}, tmp_path / "out2.ipynb") == ("ok", None)
        assert kernel.started == 2


def test_outside_a_review_each_notebook_has_its_own_kernel(tmp_path):
    assert kernels.current() is None
    path = _notebook(tmp_path, "one", "x = 1")
    assert _execute(path, {}, tmp_path / "out.ipynb") == ("ok", None)
    with kernels.reused():
        assert kernels.current() is not None
    assert kernels.current() is None


@pytest.fixture(autouse=True)
def _no_stale_kernel():
    yield
    assert kernels.current() is None


_COUNT_DRAWS = """
from matplotlib.figure import Figure
drawn = []
_draw = Figure.draw
def _counted(self, renderer):
    drawn.append(self)
    return _draw(self, renderer)
Figure.draw = _counted
import matplotlib.pyplot as plt
import salesnb.notebook as snb
"""


def test_a_finished_chart_is_drawn_only_to_be_shown(tmp_path, monkeypatch):
    """Under the inline backend, a chart the kit has drawn skips pyplot's after-cell drawing
    (for interactive windows): it is drawn once fewer, and still shown."""
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernels' own inline backend
    chart = "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nax.set_title('t')"
    path = _notebook(
        tmp_path,
        "draws",
        _COUNT_DRAWS,
        chart,
        "plain = len(drawn)\ndrawn.clear()",
        chart + "\nsnb._drawn_when_shown()",
        "assert len(drawn) == plain - 1, (len(drawn), plain)",
    )
    assert _execute(path, {}, tmp_path / "out.ipynb") == ("ok", None), _outputs(
        tmp_path / "out.ipynb"
    )
    cells = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells
    for shown in (cells[1], cells[3]):  # both charts are shown
        assert any("image/png" in o.get("data", {}) for o in shown.outputs), shown.outputs


def test_another_backend_keeps_its_drawing():
    """Outside the inline backend (Agg here, an ipympl widget in JupyterLab) a changed figure
    stays marked changed, so its canvas redraws."""
    import matplotlib.pyplot as plt

    from salesnb.notebook import _drawn_when_shown

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    assert fig.stale
    _drawn_when_shown()
    assert fig.stale
    plt.close(fig)


_FORKED = """
import os, sys
import matplotlib
from ipykernel.kernelapp import IPKernelApp
print(os.getppid())
assert IPKernelApp.instance().parent_handle == os.getppid()  # it ends if its worker dies
assert "pandas" in sys.modules and "salesnb.notebook" in sys.modules  # the worker's imports
assert os.getcwd() == {folder!r}, os.getcwd()
assert os.environ.get("SALESNB_TEST_MARK") == "the review's", os.environ
assert "inline" in matplotlib.get_backend(), matplotlib.get_backend()
"""


def _in_a_worker(path: Path, target: Path) -> tuple[tuple[str, str | None], int, int, str]:
    """Run one notebook as a review worker does: its status, its kernel's and its own pid."""
    status = _execute(path, {}, target)
    km = kernels.current()._km
    return status, km.provisioner.pid, os.getpid(), type(km).__name__


def test_a_workers_first_kernel_is_a_fork_of_it(tmp_path, monkeypatch):
    """The worker forks its first kernel as it starts: the kernel has the fork server's
    imports, the review's environment and the notebook's folder, shows charts inline, knows
    its parent (to end with it) and is gone when the worker ends."""
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.delenv("MPLBACKEND", raising=False)  # a review's kernels choose their own
    monkeypatch.setenv("SALESNB_TEST_MARK", "the review's")
    path = _notebook(
        tmp_path,
        "forked",
        _FORKED.format(folder=str(tmp_path)),
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])",
    )
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=kernels.workers(),
        initializer=kernels.start_worker,
        initargs=(dict(os.environ), os.getcwd()),
    ) as pool:
        status, kernel, worker, manager = pool.submit(
            _in_a_worker, path, tmp_path / "out.ipynb"
        ).result(timeout=120)
    assert status == ("ok", None), _outputs(tmp_path / "out.ipynb")
    assert manager == "ForkedKernelManager"
    printed = "".join(o.get("text", "") for o in _outputs(tmp_path / "out.ipynb"))
    assert printed.split() == [str(worker)]  # the kernel's parent is the worker
    assert any("image/png" in o.get("data", {}) for o in _outputs(tmp_path / "out.ipynb"))
    for _ in range(50):  # the worker shut its kernel down as it ended
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the kernel {kernel} outlived its worker")


def _frozen() -> int:
    import gc

    return gc.get_freeze_count()


def test_the_fork_servers_imports_are_frozen():
    """What the fork server imported is frozen before any worker is forked (no initializer
    here): collections in the workers and kernels, and the server's exit, skip it."""
    from concurrent.futures import ProcessPoolExecutor

    assert kernels._PRELOAD[-1] == "salesnb.report.preloaded"
    with ProcessPoolExecutor(max_workers=1, mp_context=kernels.workers()) as pool:
        assert pool.submit(_frozen).result(timeout=120) > 100_000
