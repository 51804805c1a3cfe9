"""Running notebooks: find them, plan and type their parameters, execute them with papermill.

For each notebook, ``<out>/<notebook>/`` gets the executed ``.ipynb``, an ``.html``
without code and a ``.pdf`` (:mod:`.render`), plus the exports the notebook wrote.
:func:`review` plans every notebook (usage errors surface before any kernel), checks the
data set and the history store, runs the notebooks in parallel under a lock on ``out``,
writes summary.json (:mod:`.summary`), records the review in the history store
(:mod:`.history`) and writes the executive summary and ``review.pdf`` (:mod:`.executive`).
Every file is written under a temporary name and renamed; a failing notebook keeps its
executed ``.ipynb`` (with the error) and never touches the other notebooks' outputs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .. import __version__, fonts
from .. import history as store_api
from ..analysis import data_span
from ..config import read_review_config
from ..dataset import DataSet, checked, load_dataset
from ..files import atomic_path
from ..notebook import project_root, resolve
from ..periods import quarter_window
from ..schema import SalesnbError, UsageError
from . import executive, kernels
from . import history as wiring
from .render import answer_key_html, handout_html, notebook_html, render_pdf, title_of, warm_up
from .summary import (
    NotebookResult,
    error_line,
    list_outputs,
    read_published,
    save_summary,
    write_failure,
    write_summary,
)

__all__ = [
    "STANDARD",
    "convert_parameters",
    "default_out",
    "find_notebook",
    "handout",
    "latest_quarter",
    "list_notebooks",
    "notebook_parameters",
    "plan",
    "read_config",
    "review",
    "run_notebook",
    "skip_reason",
]

# parameters every methodology notebook declares; the engine fills them
STANDARD = ("data_dir", "quarter", "output_dir", "redact")


# --------------------------------------------------------------------------- notebooks
def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The methodology notebooks (``NN_name.ipynb``), in number order."""
    folder = folder or project_root() / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []


def find_notebook(name: str, folder: Path | None = None) -> Path:
    """A notebook by file stem (``01_pareto``), methodology (``pareto``) or path."""
    as_path = Path(name)
    if as_path.suffix == ".ipynb" and as_path.exists():
        return as_path.resolve()
    books = list_notebooks(folder)
    for nb in books:
        if name in (nb.stem, nb.stem.split("_", 1)[1]):
            return nb
    by_word = [nb for nb in books if name in nb.stem.split("_")[1:]]  # "tiering", "pipeline"
    if len(by_word) == 1:
        return by_word[0]
    known = ", ".join(nb.stem for nb in books) or "none"
    raise UsageError(f"no notebook {name!r}; known notebooks: {known}")


# --------------------------------------------------------------------------- parameters
def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters cell as {name: {type, default, help}} (papermill's inspection)."""
    from papermill.inspection import inspect_notebook

    return {
        name: {
            "type": p.get("inferred_type_name", "None"),
            "default": p.get("default"),
            "help": p.get("help", ""),
        }
        for name, p in inspect_notebook(str(path)).items()
    }


def _convert(value: Any, type_name: str, name: str) -> Any:
    if not isinstance(value, str):
        return value
    kind = type_name.split("[")[0].strip().lower()
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            low = value.strip().lower()
            if low in ("1", "true", "yes", "y", "on"):
                return True
            if low in ("0", "false", "no", "n", "off"):
                return False
            raise ValueError(value)
    except ValueError:
        raise UsageError(f"parameter {name} expects {kind}, got {value!r}") from None
    return value  # str and anything else stay text: '007' stays '007'


def convert_parameters(path: Path, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters typed by the parameters cell's hints; an unknown name is a UsageError."""
    declared = notebook_parameters(path)
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise UsageError(
            f"{path.stem} has no parameter {', '.join(unknown)}; its parameters are {', '.join(declared)}"
        )
    return {k: _convert(v, declared[k]["type"], k) for k, v in raw.items()}


# --------------------------------------------------------------------------- running
def _requirements(path: Path) -> list[list[str]]:
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("salesnb", {})
    return [list(r) if isinstance(r, list) else [r] for r in meta.get("requires", [])]


def skip_reason(path: Path, ds: DataSet) -> str | None:
    """Why a notebook cannot run on this data set (a core table is missing), or None."""
    for options in _requirements(path):
        if not any(ds.has(t) for t in options):
            return f"the data set has no {' or '.join(options)} table"
    return None


@contextlib.contextmanager
def _static_controls() -> Iterator[None]:
    """Kernels started here draw live controls statically (``SALESNB_LIVE=0``): a report or
    handout never holds a widget, even when ``salesnb run`` is called from inside JupyterLab
    (whose ``JPY_SESSION_NAME`` a kernel would inherit)."""
    before = os.environ.get("SALESNB_LIVE")
    os.environ["SALESNB_LIVE"] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SALESNB_LIVE", None)
        else:
            os.environ["SALESNB_LIVE"] = before


def _execute(path: Path, params: Mapping[str, Any], target: Path) -> tuple[str, str | None]:
    """Execute ``path`` with ``params`` into ``target`` (atomically): status and error line."""
    import nbformat
    import papermill

    status, error = "ok", None
    kernel = kernels.current()  # a review worker's kernel, made fresh; else one of its own
    with atomic_path(target) as tmp, _static_controls():
        try:
            own = {} if kernel is None else {"km": kernel.manager(path.parent)}
            papermill.execute_notebook(
                str(path),
                str(tmp),
                parameters=dict(params),
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
                cwd=str(path.parent),
                shutdown_kernel="immediate",
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                **own,
            )
        except papermill.PapermillExecutionError:
            status = "failed"
        except OSError as exc:  # the disk, not the notebook: keep the previous file, say why
            raise SalesnbError(write_failure(target, exc)) from None
        except Exception as exc:  # kernel died, timeout, dead papermill: still isolate it
            status = "failed"
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            if not tmp.exists() or tmp.stat().st_size == 0:
                nbformat.write(nbformat.read(str(path), as_version=4), str(tmp))
        finally:
            if kernel is not None and status != "ok":
                kernel.discard()  # a failed notebook's kernel is not trusted with the next
    return status, error


def cell_seconds(nb: Any) -> float:
    """Seconds the kernel spent running an executed notebook's cells (papermill records each)."""
    total = 0.0
    for cell in nb.cells:
        duration = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
        if isinstance(duration, int | float) and duration > 0:
            total += float(duration)
    return total


def _mode(path: Path, params: Mapping[str, Any]) -> str:
    """The ``mode`` a notebook runs in: the parameter given, else its declared default."""
    if "mode" in params:
        return str(params["mode"]).strip("'\"")
    declared = notebook_parameters(path).get("mode")
    return str((declared or {}).get("default") or "learner").strip("'\"")


_warm: threading.Thread | None = None


def _warming_up() -> threading.Thread:
    """The thread warming up this process's HTML and PDF rendering (:func:`render.warm_up`),
    started by the first notebook this process runs. A failure there is for the real
    rendering to report."""
    global _warm
    if _warm is None:

        def quietly() -> None:
            with contextlib.suppress(Exception):
                warm_up()

        _warm = threading.Thread(target=quietly, name="salesnb-warm-up", daemon=True)
        _warm.start()
    return _warm


def run_notebook(
    path: Path,
    *,
    data: Path,
    quarter: str,
    out: Path,
    parameters: Mapping[str, Any] | None = None,
    dataset_name: str = "",
    redact: bool = False,
    trainer: bool = False,
) -> NotebookResult:
    """Execute one notebook and write its .ipynb, .html and .pdf into ``out/<stem>/``.

    ``trainer`` keeps the cells tagged "trainer" in the report; a notebook run in trainer
    mode (``-p mode trainer``) shows them and its exercises with their solutions. Never
    raises for a notebook's own failure: the result says ``failed`` and why.
    """
    import nbformat

    t0 = time.perf_counter()
    started = time.time() - 1  # file times have coarse resolution on some systems
    folder = out / path.stem
    folder.mkdir(parents=True, exist_ok=True)
    params = {
        "data_dir": str(data),
        "quarter": quarter,
        "output_dir": str(folder),
        "redact": redact,
        **dict(parameters or {}),
    }
    solutions = _mode(path, params) == "trainer"
    result = NotebookResult(path.stem, "ok")
    target = folder / f"{path.stem}.ipynb"
    warming = _warming_up()  # while the kernel works, this process would only wait
    result.status, result.error = _execute(path, params, target)
    warming.join()
    t1 = time.perf_counter()
    nb = nbformat.read(str(target), as_version=4)
    compute = cell_seconds(nb)
    result.timings.update(
        {  # kernel: starting it, injecting parameters, shutting it down (all that is not cells)
            "execute": round(t1 - t0, 2),
            "kernel": round(max(t1 - t0 - compute, 0.0), 2),
            "compute": round(compute, 2),
        }
    )
    result.title = title_of(nb, path.stem)
    # what the notebook published before any failure is kept: metrics come first in every notebook
    read_published(nb, result)
    if result.status == "failed":
        result.error = result.error or error_line(nb)
    else:
        subtitle = [
            f"Quarter {quarter} · data set {dataset_name or data.name}",
            f"Run {dt.date.today().isoformat()} · salesnb {__version__}",
        ]
        if solutions:
            subtitle.insert(0, "Trainer's copy: exercises with their solutions")
        window = result.window or {}
        if window.get("complete") is False:  # said on the first page, not only in the coverage box
            subtitle.append(
                f"Partial figures: the data ends on {result.data_through}, before "
                f"{window.get('label', quarter)} does ({window.get('end')})."
            )
        page = notebook_html(
            nb,
            title=result.title,
            subtitle=subtitle,
            trainer=trainer or solutions,
            exercises="solutions" if solutions else "hide",
        )
        result.missing_glyphs = fonts.missing_glyphs(fonts.html_texts(page))  # as the note lists
        with atomic_path(folder / f"{path.stem}.html") as tmp:
            tmp.write_text(page, encoding="utf-8")
        t2 = time.perf_counter()
        render_pdf(page, folder / f"{path.stem}.pdf", root=folder)
        result.timings.update(
            {"html": round(t2 - t1, 2), "pdf": round(time.perf_counter() - t2, 2)}
        )
    result.outputs, result.stale = list_outputs(folder, out, started)
    result.seconds = round(time.perf_counter() - t0, 2)
    return result


def handout(
    notebook: Path,
    *,
    data: Path,
    quarter: str,
    out: Path,
    answer_key: bool = False,
    parameters: Mapping[str, Any] | None = None,
) -> list[Path]:
    """A learner handout PDF of ``notebook`` (and, with ``answer_key``, the trainer's key).

    The handout comes from a learner-mode run: narrative, tables and charts, the exercise
    questions without answers, ruled space for notes (``<stem>_handout.pdf``). The answer
    key comes from a trainer-mode run, so every solution is computed from ``data``
    (``<stem>_answer_key.pdf``). The executed notebooks and their exports stay in a
    temporary folder; a notebook that fails is an error naming the cell.
    """
    import tempfile

    import nbformat

    data = resolve(data)
    out = _output_folder(out)
    ((path, typed),) = plan(data, quarter, notebooks=[notebook], overrides=parameters)
    ds = load_dataset(data)
    reason = skip_reason(path, ds)
    if reason:
        raise SalesnbError(f"{path.stem} cannot run on {data}: {reason}")
    has_mode = "mode" in notebook_parameters(path)
    written = []
    runs = [("learner", f"{path.stem}_handout.pdf")]
    if answer_key:
        runs.append(("trainer", f"{path.stem}_answer_key.pdf"))
    with tempfile.TemporaryDirectory(prefix="salesnb-handout-") as work:
        for mode, name in runs:
            folder = Path(work) / mode
            folder.mkdir()
            params = {
                "data_dir": str(data),
                "quarter": quarter,
                "output_dir": str(folder),
                **typed,
            }
            if has_mode:
                params["mode"] = mode
            target = folder / f"{path.stem}.ipynb"
            status, error = _execute(path, params, target)
            nb = nbformat.read(str(target), as_version=4)
            if status == "failed":
                raise SalesnbError(f"{path.stem} failed in {mode} mode: {error or error_line(nb)}")
            title = title_of(nb, path.stem)
            facts = f"Quarter {quarter} · data set {ds.settings.name or data.name}"
            made = f"Made {dt.date.today().isoformat()} · salesnb {__version__}"
            if mode == "learner":
                page = handout_html(nb, title=title, subtitle=["Learner handout", facts, made])
            else:
                key = ["Answer key: for the trainer, not for the learners", facts, made]
                page = answer_key_html(nb, title=f"{title}: answer key", subtitle=key)
            render_pdf(page, out / name, root=folder)
            written.append(out / name)
    return written


def read_config(path: Path | None) -> dict[str, Any]:
    """The review config (YAML): currency, fiscal_year_start_month, dataset_name, notebooks: {name: {param: value}}."""
    if path is None:
        return {}
    return read_review_config(path, error=UsageError)


def plan(
    data: Path,
    quarter: str,
    *,
    notebooks: list[Path] | None = None,
    config: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[tuple[Path, dict[str, Any]]]:
    """Each notebook with its typed parameters; every usage error surfaces here, before any kernel."""
    if not data.exists():
        raise UsageError(f"no such data folder: {data}")
    quarter_window(quarter)  # validates the form
    config = config or {}
    books = notebooks if notebooks is not None else list_notebooks()
    if not books:
        raise UsageError("no methodology notebooks found")
    per_book = config.get("notebooks") or {}
    names = {nb.stem for nb in list_notebooks()} | {
        nb.stem.split("_", 1)[1] for nb in list_notebooks()
    }
    unknown = sorted(str(k) for k in per_book if str(k) not in names)
    if unknown:
        known = ", ".join(nb.stem.split("_", 1)[1] for nb in list_notebooks())
        raise UsageError(
            f"the config names no notebook {', '.join(unknown)}; notebooks are {known} "
            "(or their file stems, e.g. 01_pareto)"
        )
    planned = []
    for nb in books:
        raw: dict[str, Any] = {}
        declared = notebook_parameters(nb)
        for key in ("currency", "fiscal_year_start_month"):
            if key in config and key in declared:
                raw[key] = config[key]
        short = nb.stem.split("_", 1)[1]
        raw.update(per_book.get(nb.stem, {}) or per_book.get(short, {}) or {})
        raw.update(overrides or {})
        missing = [p for p in STANDARD if p not in declared]
        if missing:
            raise UsageError(f"{nb.name} lacks the standard parameter(s) {', '.join(missing)}")
        typed = convert_parameters(nb, raw)
        planned.append((nb, {k: _absolute(k, v) for k, v in typed.items()}))
    return planned


def _absolute(name: str, value: Any) -> Any:
    """Path parameters (``*_file``, ``*_dir``) resolved against the caller's working folder.

    Kernels run in the notebooks' folder, so a relative path must be made absolute before
    one starts; a path that does not exist is a usage error here, not a failed notebook.
    """
    if not name.endswith(("_file", "_dir")) or not isinstance(value, str) or not value:
        return value
    path = Path(value).expanduser()
    path = path if path.is_absolute() else (Path.cwd() / path)
    if not path.exists():
        raise UsageError(f"parameter {name}: no such file or folder {value!r}")
    return str(path.resolve())


def _run_one(args: tuple[Any, ...]) -> NotebookResult:
    path, params, data, quarter, out, name, redact, trainer = args
    return run_notebook(
        path,
        data=data,
        quarter=quarter,
        out=out,
        parameters=params,
        dataset_name=name,
        redact=redact,
        trainer=trainer,
    )


def review(
    data: Path,
    quarter: str,
    out: Path,
    *,
    jobs: int = 2,
    config: Mapping[str, Any] | None = None,
    notebooks: list[Path] | None = None,
    redact: bool = False,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[NotebookResult], None] | None = None,
    history: Path | None = None,
    trainer: bool = False,
) -> dict[str, Any]:
    """Run every notebook on ``data`` for ``quarter``; write and return the summary.

    ``out`` is made absolute first (kernels run in the notebooks' folder). One writer at a
    time: a lock file in ``out`` serialises reviews and runs into the same folder. A run of
    some notebooks (``notebooks`` given) merges its entries into the folder's existing
    summary.json. Temporary files left by a killed run are removed. Interrupted (Ctrl-C),
    the summary records what finished and marks the rest ``interrupted`` before the
    interruption goes on.

    A full review (``notebooks`` None) also records itself in the history store
    (``history``, default :func:`salesnb.history.default_path` of ``out``), checked before
    any notebook runs, and writes ``00_summary.pdf`` and ``review.pdf``. The summary's
    ``history`` entry says whether the review was recorded (and why not).
    """
    data = resolve(data)
    out = _output_folder(out)
    if jobs > 1 and len(notebooks if notebooks is not None else list_notebooks()) > 1:
        kernels.prepare_workers()  # the workers' imports run while the data are planned and read
    planned = plan(data, quarter, notebooks=notebooks, config=config, overrides=overrides)
    in_process = jobs <= 1 or len(planned) <= 1
    with contextlib.ExitStack() as stack:
        if in_process and planned:  # this process's one kernel boots while the data are read
            stack.enter_context(kernels.reused()).start(planned[0][0].parent)
        # data errors stop here, before any notebook runs, with every problem listed; the kernels
        # load the checked copy (kept in the output folder while the data's files are unchanged)
        copy: Path | None = out / checked.CACHE_DIR / "checked"
        ds = checked.load_checked(copy, data)
        fresh = ds is None
        if ds is None:
            ds = load_dataset(data)
        given = config or {}
        name = given.get("dataset_name") or ds.settings.name
        fiscal = given.get("fiscal_year_start_month") or ds.settings.fiscal_year_start_month
        currency = given.get("currency") or ds.settings.currency
        store = wiring.store_path(out, history)
        key = store_api.dataset_key(name)
        declared = {nb: notebook_parameters(nb) for nb, _ in planned}
        planned = wiring.inject(planned, declared, store=store, key=key)
        full = notebooks is None
        if full or any(p.get("history_file") == str(store) for _, p in planned):
            wiring.check(store, name=name, fiscal=fiscal, currency=currency)  # before any notebook
        with _lock(out):
            if fresh:
                try:
                    checked.write_checked(ds, copy)
                except OSError:  # no room for the copy: each kernel checks the data itself
                    copy = None
            with checked.for_kernels(copy):
                _remove_leftovers(out)
                return _review_locked(
                    ds,
                    data,
                    quarter,
                    out,
                    planned,
                    name,
                    jobs=jobs,
                    config=config,
                    redact=redact,
                    trainer=trainer,
                    progress=progress,
                    merge=not full,
                    store=store if full else None,
                    fiscal=fiscal,
                )


def _output_folder(out: Path) -> Path:
    """The output folder as an absolute path, created and writable, or a usage error."""
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder: choose a folder for the reports")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write into --out {out}: permission denied; choose another folder")
    return out


_LOCK = ".salesnb.lock"


@contextlib.contextmanager
def _lock(out: Path) -> Any:
    """Hold ``out/.salesnb.lock`` while writing; a lock held by a live process is a usage error."""
    path = out / _LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(path.read_text(encoding="utf-8").split()[0])
            except (OSError, ValueError, IndexError):
                pid = 0
            if pid and _alive(pid):
                raise UsageError(
                    f"another salesnb run (process {pid}) is writing to {out}; wait for it to "
                    f"finish, or choose another --out (if no run is going on, delete {path})"
                ) from None
            path.unlink(missing_ok=True)  # left by a run that was killed: take it over
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(out: Path) -> None:
    """Temporary files of killed runs (``.name.xxxx.tmp...``), anywhere under ``out``."""
    for tmp in out.rglob(".*.tmp*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


def _review_locked(
    ds: DataSet,
    data: Path,
    quarter: str,
    out: Path,
    planned: list[tuple[Path, dict[str, Any]]],
    name: str,
    *,
    jobs: int,
    config: Mapping[str, Any] | None,
    redact: bool,
    trainer: bool,
    progress: Callable[[NotebookResult], None] | None,
    merge: bool,
    store: Path | None,
    fiscal: int,
) -> dict[str, Any]:
    results: dict[str, NotebookResult] = {}
    early: dict[str, Any] | None = None  # the history's snapshots, if computed already
    todo = []
    for nb, params in planned:
        reason = skip_reason(nb, ds)
        if reason:
            results[nb.stem] = NotebookResult(nb.stem, "skipped", reason=reason)
            if progress:
                progress(results[nb.stem])
        else:
            todo.append((nb, params, data, quarter, out, name, redact, trainer))
    extra = {}
    if store is not None:
        extra["history"] = {"path": str(store), "dataset_key": store_api.dataset_key(name)}
    try:
        if jobs <= 1 or len(todo) <= 1:
            # review() may have started this process's kernel already
            with contextlib.nullcontext() if kernels.current() else kernels.reused():
                for item in todo:
                    res = _run_one(item)
                    results[res.notebook] = res
                    if progress:
                        progress(res)
        else:
            with ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=kernels.workers(),
                initializer=kernels.start_worker,
                initargs=(dict(os.environ), os.getcwd()),
            ) as pool:
                # handing the notebooks over waits for the fork server's imports: on a thread,
                # while this process computes the history's snapshots
                futures: list[Any] = []
                failed: list[BaseException] = []
                handing = threading.Thread(target=_hand_over, args=(pool, todo, futures, failed))
                handing.start()
                try:
                    if store is not None:  # the parent has nothing else to do meanwhile
                        early = _snapshots(ds, quarter, planned)
                        import weasyprint  # noqa: F401 - ready for the executive summary
                    handing.join()
                    if failed:
                        raise failed[0]
                    for fut in as_completed(futures):
                        res = fut.result()
                        results[res.notebook] = res
                        if progress:
                            progress(res)
                except KeyboardInterrupt:
                    for f in futures:
                        f.cancel()
                    raise
    except KeyboardInterrupt:
        for nb, *_ in todo:
            results.setdefault(
                nb.stem, NotebookResult(nb.stem, "interrupted", reason="interrupted (Ctrl-C)")
            )
        # neither recorded in the history nor summarised: the previous summary PDFs stay
        write_summary(
            ds, data, quarter, out, name, results, config=config, merge=merge, extra=extra
        )
        raise
    summary = write_summary(
        ds, data, quarter, out, name, results, config=config, merge=merge, extra=extra
    )
    if store is None:
        return summary
    return _finish_review(
        summary,
        ds=ds,
        quarter=quarter,
        out=out,
        planned=planned,
        store=store,
        fiscal=fiscal,
        snapshots=early,
    )


def _hand_over(
    pool: ProcessPoolExecutor,
    todo: list[tuple[Any, ...]],
    futures: list[Any],
    failed: list[BaseException],
) -> None:
    """Submit each notebook to ``pool``, appending its future; an error goes to ``failed``."""
    try:
        for item in todo:
            futures.append(pool.submit(_run_one, item))
    except BaseException as exc:  # noqa: BLE001 - raised again by the reviewing thread
        failed.append(exc)


def _snapshots(
    ds: DataSet, quarter: str, planned: list[tuple[Path, dict[str, Any]]]
) -> dict[str, Any] | None:
    """The history's snapshots, or None when they fail here (recording computes them again
    and says why)."""
    try:
        return wiring.snapshots(ds, quarter, planned)
    except Exception:  # noqa: BLE001 - recording them again reports the error in its place
        return None


def _finish_review(
    summary: dict[str, Any],
    *,
    ds: DataSet,
    quarter: str,
    out: Path,
    planned: list[tuple[Path, dict[str, Any]]],
    store: Path,
    fiscal: int,
    snapshots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record a full review in the history store, then write the executive summary and review.pdf.

    summary.json is written again with the outcome: ``history.recorded`` (and ``error``),
    ``executive`` (status, outputs, seconds). A store that refuses the review (another data
    set under the same name) or an executive summary that fails keeps every report.
    """
    t0 = time.perf_counter()
    info = summary["history"]
    try:
        wiring.record(
            store,
            summary,
            ds=ds,
            quarter=quarter,
            planned=planned,
            fiscal=fiscal,
            computed=snapshots,
        )
        info.update(recorded=True, error=None)
    except SalesnbError as exc:
        info.update(recorded=False, error=str(exc))
    info["seconds"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    try:
        outputs = executive.write(
            out,
            summary,
            store=store,
            key=info["dataset_key"],
            recorded=info["recorded"],
            note=info["error"],
        )
        summary["executive"] = {"status": "ok", "outputs": outputs, "error": None}
    except OSError as exc:
        raise SalesnbError(write_failure(out / executive.REVIEW_PDF, exc)) from None
    except Exception as exc:  # a report bug must not cost the finished reports
        summary["executive"] = {
            "status": "failed",
            "outputs": [],
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
        }
    summary["executive"]["seconds"] = round(time.perf_counter() - t1, 2)
    save_summary(out, summary)
    return summary


def latest_quarter(data: Path) -> str:
    """The quarter of the data set's last event (the default review quarter of ``run``)."""
    from ..periods import quarter_of

    folder = resolve(data)
    if not folder.exists():
        raise UsageError(f"no such data folder: {data}")
    ds = load_dataset(folder)
    _, last = data_span(ds)
    if last is None:
        raise UsageError(f"{data}: the data set holds no dated events; give --quarter")
    import pandas as pd

    return str(
        quarter_of(pd.Series([last]), fiscal_start=ds.settings.fiscal_year_start_month).iloc[0]
    )


def default_out(quarter: str) -> Path:
    """``reports/<quarter>/`` under the working folder."""
    return Path(os.getcwd()) / "reports" / quarter
