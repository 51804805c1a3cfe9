"""The report engine: run notebooks with papermill, turn them into HTML and PDF, collect metrics.

For each notebook, ``<out>/<notebook>/`` gets the executed ``.ipynb``, an ``.html``
without code and a ``.pdf`` (WeasyPrint, A4, print stylesheet, cover block), plus the
exports the notebook wrote. ``review`` runs every methodology notebook in parallel and
writes ``<out>/summary.json``. Every file is written under a temporary name and
renamed; a failing notebook keeps its executed ``.ipynb`` (with the error) and never
touches the other notebooks' outputs.

What a notebook itself calls (setup, publish, show) lives in :mod:`salesnb.notebook`; this
module collects what notebooks publish: metrics, findings, absent sections and coverage.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import errno
import hashlib
import html
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, fonts
from ._files import atomic_path
from .analysis import data_span
from .config import read_review_config
from .notebook import METRICS_MIME, RESULT_MIME, _jsonable, project_root, resolve
from .periods import quarter_window
from .schema import SalesnbError, UsageError
from .sources import DataSet, load_dataset

__all__ = [
    "NotebookResult",
    "convert_parameters",
    "default_out",
    "fingerprint",
    "plan",
    "read_config",
    "skip_reason",
    "find_notebook",
    "latest_quarter",
    "list_notebooks",
    "notebook_html",
    "notebook_parameters",
    "render_pdf",
    "review",
    "run_notebook",
]

# parameters every methodology notebook declares; the engine fills them
STANDARD = ("data_dir", "quarter", "output_dir", "redact")
_HIDDEN_TAGS = {"exercise", "remove-cell", "parameters", "injected-parameters"}


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


# --------------------------------------------------------------------------- HTML and PDF
_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-center { content: "page " counter(page) " of " counter(pages); font-size: 8pt; color: #666; }
  @bottom-left { content: string(reporttitle); font-size: 8pt; color: #666; } }
body { font-size: 9.5pt; line-height: 1.4; color: #222; }  /* font families: fonts.css() */
.cover { border-bottom: 2px solid #1f4e79; margin-bottom: 8mm; padding-bottom: 4mm; }
.cover h1 { string-set: reporttitle content(); font-size: 20pt; color: #1f4e79; margin: 0 0 2mm 0; }
.cover p { margin: 0.5mm 0; color: #444; }
.missing-glyphs { color: #8a1c1c; } .missing-glyphs ul { margin: 0.5mm 0; }
h1 { font-size: 15pt; color: #1f4e79; } h2 { font-size: 12.5pt; color: #1f4e79; margin-top: 7mm; }
h3 { font-size: 11pt; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
img { max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
.jp-OutputArea-output, .output_area { break-inside: avoid; }
table { border-collapse: collapse; font-size: 8pt; margin: 2mm 0; break-inside: auto; }
th, td { border-bottom: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
table.dataframe td { text-align: right; }
th { background: #eef2f7; } tr { break-inside: avoid; }
pre { white-space: pre-wrap; font-size: 8.5pt; background: #f7f7f7; padding: 2mm; }
.jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .prompt, a.anchor-link { display: none; }
"""


def notebook_html(nb: Any, *, title: str, subtitle: list[str]) -> str:
    """A standalone HTML page of an executed notebook: cover block, no code, hidden tags removed."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    remover = TagRemovePreprocessor(
        remove_cell_tags=_HIDDEN_TAGS,
        remove_all_outputs_tags={"remove-output"},
        remove_input_tags={"hide-input"},
        enabled=True,
    )
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(remover, enabled=True)
    nb = copy.deepcopy(nb)
    # cells whose printed values nbval compares are for the tests, not the reader
    nb.cells = [c for c in nb.cells if not c.source.lstrip().startswith("# NBVAL_CHECK_OUTPUT")]
    for cell in nb.cells:  # the cover shows the title: drop the notebook's own H1 once
        if cell.cell_type == "markdown" and re.search(r"^#\s+", cell.source, re.M):
            cell.source = re.sub(r"^#\s+.+\n?", "", cell.source, count=1, flags=re.M)
            break
    body, _ = exporter.from_notebook_node(nb)
    cover = "".join(f"<p>{html.escape(line)}</p>" for line in subtitle)
    texts = [title, *subtitle, *fonts.html_texts(body)]
    cover += fonts.missing_note(fonts.missing_glyphs(texts))  # names that would draw as boxes
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{fonts.css(texts)}{_CSS}</style></head><body>"
        f"<section class='cover'><h1>{html.escape(title)}</h1>{cover}</section>{body}</body></html>"
    )


def render_pdf(page: str, target: Path, *, root: Path) -> None:
    """HTML -> PDF with WeasyPrint, in process; only data: URLs and files under ``root`` load."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    allowed = root.resolve()

    class _LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:  # noqa: ANN401 - WeasyPrint's type
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if path.is_relative_to(allowed):
                    return super().fetch(url, headers)
            raise ValueError(f"salesnb renders offline: not fetching {url[:80]}")

    with atomic_path(target) as tmp:
        weasyprint.HTML(string=page, base_url=str(allowed), url_fetcher=_LocalOnly()).write_pdf(tmp)


def _title(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def _published(nb: Any, mime: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.update(data[mime])
    return found


def _error_line(nb: Any) -> str:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return "the notebook failed"


# --------------------------------------------------------------------------- running
@dataclass
class NotebookResult:
    """One notebook's outcome, as summary.json records it."""

    notebook: str
    status: str  # ok, failed, skipped
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    reason: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)
    data_through: str | None = None
    window: dict[str, Any] | None = None
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # files of an earlier run, not rewritten now
    missing_glyphs: list[str] = field(default_factory=list)  # texts no font can draw (see fonts)


def _requirements(path: Path) -> list[list[str]]:
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("salesnb", {})
    return [list(r) if isinstance(r, list) else [r] for r in meta.get("requires", [])]


def skip_reason(path: Path, ds: DataSet) -> str | None:
    """Why a notebook cannot run on this data set (a core table is missing), or None."""
    for options in _requirements(path):
        if not any(ds.has(t) for t in options):
            return f"the data set has no {' or '.join(options)} table"
    return None


def run_notebook(
    path: Path,
    *,
    data: Path,
    quarter: str,
    out: Path,
    parameters: Mapping[str, Any] | None = None,
    dataset_name: str = "",
    redact: bool = False,
) -> NotebookResult:
    """Execute one notebook and write its .ipynb, .html and .pdf into ``out/<stem>/``.

    Never raises for a notebook's own failure: the result says ``failed`` and why.
    """
    import nbformat
    import papermill

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
    result = NotebookResult(path.stem, "ok")
    target = folder / f"{path.stem}.ipynb"
    with atomic_path(target) as tmp:
        try:
            papermill.execute_notebook(
                str(path),
                str(tmp),
                parameters=params,
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
                cwd=str(path.parent),
                shutdown_kernel="immediate",
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except papermill.PapermillExecutionError:
            result.status = "failed"
        except OSError as exc:  # the disk, not the notebook: keep the previous file, say why
            raise SalesnbError(_write_failure(target, exc)) from None
        except Exception as exc:  # kernel died, timeout, dead papermill: still isolate it
            result.status = "failed"
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            if not tmp.exists() or tmp.stat().st_size == 0:
                nbformat.write(nbformat.read(str(path), as_version=4), str(tmp))
    t1 = time.perf_counter()
    nb = nbformat.read(str(target), as_version=4)
    result.timings["execute"] = round(t1 - t0, 2)
    # what the notebook published before any failure is kept: metrics come first in every notebook
    result.metrics = _published(nb, METRICS_MIME)
    published = _published(nb, RESULT_MIME)
    result.findings = list(published.get("findings", []))
    result.absent = dict(published.get("absent", {}))
    result.data_through = published.get("data_through")
    result.window = published.get("window")
    result.assumptions = list(published.get("assumptions", []))
    if result.status == "failed":
        result.error = result.error or _error_line(nb)
    else:
        title = _title(nb, path.stem)
        subtitle = [
            f"Quarter {quarter} · data set {dataset_name or data.name}",
            f"Run {dt.date.today().isoformat()} · salesnb {__version__}",
        ]
        window = result.window or {}
        if window.get("complete") is False:  # said on the first page, not only in the coverage box
            subtitle.append(
                f"Partial figures: the data ends on {result.data_through}, before "
                f"{window.get('label', quarter)} does ({window.get('end')})."
            )
        page = notebook_html(nb, title=title, subtitle=subtitle)
        result.missing_glyphs = fonts.missing_glyphs(fonts.html_texts(page))  # as the note lists
        with atomic_path(folder / f"{path.stem}.html") as tmp:
            tmp.write_text(page, encoding="utf-8")
        t2 = time.perf_counter()
        render_pdf(page, folder / f"{path.stem}.pdf", root=folder)
        result.timings.update(
            {"html": round(t2 - t1, 2), "pdf": round(time.perf_counter() - t2, 2)}
        )
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    fresh = [p for p in files if p.stat().st_mtime >= started]
    result.outputs = sorted(str(p.relative_to(out)) for p in fresh)
    result.stale = sorted(str(p.relative_to(out)) for p in files if p not in fresh)
    result.seconds = round(time.perf_counter() - t0, 2)
    return result


def _write_failure(target: Path, exc: OSError) -> str:
    """One line for a write the system refused: which file, and the system's reason."""
    reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return (
        f"cannot write {target}: {reason}; the previous file is unchanged. "
        "Free some space (or choose another --out) and run again"
    )


def fingerprint(folder: Path) -> str:
    """sha256 over the data set's file names and bytes."""
    h = hashlib.sha256()
    files = sorted(p for p in (folder.iterdir() if folder.is_dir() else [folder]) if p.is_file())
    for p in files:
        h.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda f=fh: f.read(1 << 20), b""):
                h.update(block)
    return "sha256:" + h.hexdigest()


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
    path, params, data, quarter, out, name, redact = args
    return run_notebook(
        path,
        data=data,
        quarter=quarter,
        out=out,
        parameters=params,
        dataset_name=name,
        redact=redact,
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
) -> dict[str, Any]:
    """Run every notebook on ``data`` for ``quarter``; write and return the summary.

    ``out`` is made absolute first (kernels run in the notebooks' folder). One writer at a
    time: a lock file in ``out`` serialises reviews and runs into the same folder. A run of
    some notebooks merges its entries into the folder's existing summary.json. Temporary
    files left by a killed run are removed. Interrupted (Ctrl-C), the summary records what
    finished and marks the rest ``interrupted`` before the interruption goes on.
    """
    data = resolve(data)
    out = _output_folder(out)
    planned = plan(data, quarter, notebooks=notebooks, config=config, overrides=overrides)
    ds = load_dataset(data)  # data errors stop here, before any kernel, with every problem listed
    name = (config or {}).get("dataset_name") or ds.settings.name
    with _lock(out):
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
            progress=progress,
            merge=notebooks is not None,
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
    progress: Callable[[NotebookResult], None] | None,
    merge: bool,
) -> dict[str, Any]:
    results: dict[str, NotebookResult] = {}
    todo = []
    for nb, params in planned:
        reason = skip_reason(nb, ds)
        if reason:
            results[nb.stem] = NotebookResult(nb.stem, "skipped", reason=reason)
            if progress:
                progress(results[nb.stem])
        else:
            todo.append((nb, params, data, quarter, out, name, redact))
    try:
        if jobs <= 1 or len(todo) <= 1:
            for item in todo:
                res = _run_one(item)
                results[res.notebook] = res
                if progress:
                    progress(res)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_run_one, item) for item in todo]
                try:
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
        _write_summary(ds, data, quarter, out, name, results, config=config, merge=merge)
        raise
    return _write_summary(ds, data, quarter, out, name, results, config=config, merge=merge)


def _write_summary(
    ds: DataSet,
    data: Path,
    quarter: str,
    out: Path,
    name: str,
    results: Mapping[str, NotebookResult],
    *,
    config: Mapping[str, Any] | None,
    merge: bool,
) -> dict[str, Any]:
    """Write summary.json atomically; with ``merge``, keep the other notebooks' entries of the folder."""
    entries = {k: asdict(v) for k, v in results.items()}
    previous = out / "summary.json"
    if merge and previous.is_file():
        try:
            old = json.loads(previous.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("quarter") == quarter and isinstance(old.get("notebooks"), dict):
            entries = {**old["notebooks"], **entries}
    first, last = data_span(ds)
    fiscal = (config or {}).get("fiscal_year_start_month") or ds.settings.fiscal_year_start_month
    window_end = quarter_window(quarter, fiscal_start=fiscal).end
    summary = {
        "kit_version": __version__,
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quarter": quarter,
        "data_through": None if last is None else f"{last:%Y-%m-%d}",
        "quarter_complete": None if last is None else bool(last >= window_end),
        "data": {
            "path": str(data),
            "name": name,
            "fingerprint": fingerprint(data),
            "from": None if first is None else f"{first:%Y-%m-%d}",
            "through": None if last is None else f"{last:%Y-%m-%d}",
        },
        "currency": (config or {}).get("currency") or ds.settings.currency,
        "notebooks": {k: entries[k] for k in sorted(entries)},
    }
    try:
        with atomic_path(out / "summary.json") as tmp:
            tmp.write_text(json.dumps(_jsonable(summary), indent=2), encoding="utf-8")
    except OSError as exc:
        raise SalesnbError(_write_failure(out / "summary.json", exc)) from None
    return summary


def latest_quarter(data: Path) -> str:
    """The quarter of the data set's last event (the default review quarter of ``run``)."""
    from .periods import quarter_of

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
