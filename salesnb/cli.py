"""The ``salesnb`` command (Typer on Click: --help everywhere, usage errors exit 2).

Exit codes: 0 success; 1 the data (or a notebook) failed, the message says which;
2 usage error. Mistakes a user can make print one clear message and no traceback;
``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import __version__, lean  # noqa: F401 - lean: nbformat imported faster
from .dataset import read_dataset
from .datasets import DemoSpec, write_demo
from .schema import TABLES, SalesnbError, UsageError, problems_frame

__all__ = ["app", "main"]

app = typer.Typer(
    name="salesnb",
    help="B2B sales methodology kit: demo data, data checks, notebooks and PDF reports.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_err = Console(stderr=True, highlight=False)
_state = {"debug": False}


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


# options shared by run and review
_Out = Annotated[
    Path | None, typer.Option("--out", help="Output folder (default reports/<quarter>/).")
]
_Redact = Annotated[bool, typer.Option(help="Replace account and person names with pseudonyms.")]
_History = Annotated[
    Path | None,
    typer.Option(
        "--history",
        help="History store (DuckDB file) the review is recorded in and notebooks read last "
        "quarter from (default: salesnb-history.duckdb beside the --out folder).",
    ),
]
_RedactKey = Annotated[
    Path | None,
    typer.Option(
        "--redact-key",
        help="Key file for pseudonyms (implies --redact); default: your own key, "
        "created once in ~/.config/salesnb/redact.key. Never written into outputs.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"salesnb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the data set to.")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 42,
    accounts: Annotated[int, typer.Option(min=10, help="Number of accounts.")] = 500,
    order_lines: Annotated[
        int | None, typer.Option(min=0, help="Invoice lines (default 50 per account).")
    ] = None,
    activity_lines: Annotated[
        int | None, typer.Option(min=0, help="Activity lines (default 20 per account).")
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="File format of every table.")
    ] = Format.csv,
    force: Annotated[
        bool, typer.Option(help="Overwrite the demo files in a non-empty folder.")
    ] = False,
) -> None:
    """Write the seeded demo company as a canonical data set."""
    spec = DemoSpec(
        seed=seed, accounts=accounts, order_lines=order_lines, activity_lines=activity_lines
    )
    t0 = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("writing demo tables", total=len(TABLES))

        def step(name: str, rows: int) -> None:
            bar.update(task, advance=1, description=f"wrote {name} ({rows:,} rows)")

        rows = write_demo(out, spec, fmt=fmt.value, force=force, progress=step)
    total = sum(rows.values())
    typer.echo(
        f"Wrote the demo data set to {out} ({total:,} rows in {len(rows)} tables, "
        f"{time.perf_counter() - t0:.1f} s):"
    )
    for name, n in rows.items():
        typer.echo(f"  {name:<15} {n:>12,}")


@app.command()
def check(
    data: Annotated[Path, typer.Argument(help="Data-set folder, or one table file.")],
    strict: Annotated[
        bool, typer.Option(help="Exit 1 on findings too, not only on errors.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
) -> None:
    """Validate a data set and list every problem (errors stop the analysis, findings do not)."""
    if not data.exists() and not data.is_symlink():  # a looping link is read and named
        raise UsageError(f"no such file or folder: {data}")
    with _progress() as bar:
        n_files = len([p for p in data.iterdir() if p.is_file()]) if data.is_dir() else 1
        task = bar.add_task("checking", total=n_files)
        ds = read_dataset(
            data, progress=lambda name: bar.update(task, advance=1, description=f"checking {name}")
        )
    errors, findings = ds.errors, ds.findings
    if as_json:
        frame = problems_frame(ds.problems)
        payload = {
            "data": str(data),
            "rows": ds.rows,
            "errors": len(errors),
            "findings": len(findings),
            "problems": json.loads(frame.to_json(orient="records")),
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(f"Data set {ds.settings.name} ({data}), currency {ds.settings.currency}")
        for name, n in ds.rows.items():
            typer.echo(f"  {name:<15} {n:>12,} rows")
        for label, items in (("ERROR", errors), ("FINDING", findings)):
            for p in items:
                typer.echo(f"{label:<8} {p.describe()}")
        verdict = (
            "cannot be analysed: fix the errors above"
            if errors
            else "can be analysed" + (" (findings listed above)" if findings else "")
        )
        typer.echo(f"{len(errors)} error(s), {len(findings)} finding(s): the data {verdict}.")
    if errors or (strict and findings):
        raise typer.Exit(1)


@app.command("import")
def import_(
    exports: Annotated[list[Path], typer.Argument(help="CRM export files (or folders of them).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the canonical data set.")],
    source: Annotated[
        str, typer.Option(help="auto, salesforce, hubspot or pipedrive (ignored with --mapping).")
    ] = "auto",
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping file for any other CSV / Excel layout.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Overwrite the tables in a non-empty --out folder.")
    ] = False,
) -> None:
    """Convert CRM exports (Salesforce, HubSpot, Pipedrive, or any file with a mapping) to a data set."""
    from .crm import import_exports

    report = import_exports(exports, out, source=source, mapping=mapping, force=force)
    typer.echo(f"Imported into {out} (details in {out / 'import_report.json'}):")
    for line in report.lines():
        typer.echo(line)
    ds = read_dataset(out)
    for label, items in (("ERROR", ds.errors), ("FINDING", ds.findings)):
        for p in items:
            typer.echo(f"{label:<8} {p.describe()}")
    typer.echo(
        f"Check of the imported data set: {len(ds.errors)} error(s), {len(ds.findings)} finding(s)."
    )
    if ds.errors:
        raise typer.Exit(1)


def _print_results(summary: dict, out: Path) -> int:
    failed = 0
    through = summary.get("data_through")
    if through is None:
        typer.echo("Note: the data set holds no dated events.")
    elif summary.get("quarter_complete") is False:
        typer.echo(
            f"Note: the data ends on {through}, before {summary['quarter']} does: "
            "its figures are partial (every report says so on its first page)."
        )
    for name, r in summary["notebooks"].items():
        line = f"  {r['status']:<8} {name}"
        if r["status"] == "ok":
            pdf = next((o for o in r["outputs"] if o.endswith(".pdf")), None)
            line += f"  {r['seconds']:.1f} s  {out / pdf if pdf else ''}"
        elif r["status"] == "failed":
            failed += 1
            line += f"  {r['error']}  (executed notebook: {out / name / (name + '.ipynb')})"
        else:
            line += f"  {r['reason']}"
        typer.echo(line)
    _print_timings(summary)
    typer.echo(f"Summary: {out / 'summary.json'}")
    return failed


_PHASES = (("kernel", "kernel"), ("compute", "cells"), ("html", "HTML"), ("pdf", "PDF"))


def _print_timings(summary: dict) -> None:
    """Where each notebook's time went: kernel start and stop, its cells, the HTML, the PDF."""
    rows = [(n, r.get("timings") or {}) for n, r in summary["notebooks"].items()]
    rows = [(n, t) for n, t in rows if "compute" in t]
    if not rows:
        return
    title = "Where the time went (s)"
    width = max(max(len(n) for n, _ in rows) + 2, len(title))
    head = "".join(f"{label:>8}" for _, label in _PHASES)
    typer.echo(f"  {title:<{width}}{head}")
    for name, t in rows:
        cells = "".join(f"{t[k]:>8.1f}" if k in t else f"{'-':>8}" for k, _ in _PHASES)
        typer.echo(f"    {name:<{width - 2}}{cells}")


def _print_review_files(summary: dict, out: Path) -> int:
    """The executive summary, review.pdf and the history store: what was written, what failed."""
    problems = 0
    execu = summary.get("executive") or {}
    if execu.get("status") == "ok":
        for name in execu.get("outputs", []):
            if name.endswith(".pdf"):
                typer.echo(f"  {'ok':<8} {name}  {out / name}")
    elif execu:
        problems += 1
        typer.echo(f"  {'failed':<8} executive summary  {execu.get('error')}")
    info = summary.get("history") or {}
    if info.get("recorded"):
        typer.echo(f"History: {summary['quarter']} recorded in {info['path']}")
    elif info:
        problems += 1
        typer.echo(f"History: NOT recorded: {info.get('error')}")
    return problems


def _review_progress(
    bar: Progress, task: object, done: list[str] | None = None
) -> Callable[[object], None]:
    def step(res: object) -> None:
        bar.update(task, advance=1, description=f"{res.notebook}: {res.status}")  # type: ignore[attr-defined]
        if done is not None:
            done.append(f"{res.notebook} ({res.status})")  # type: ignore[attr-defined]

    return step


def _interrupted(done: list[str], planned: list[str], out: Path) -> NoReturn:
    """Ctrl-C: say what finished and what did not, then exit 130."""
    finished = {d.split(" ")[0] for d in done}
    rest = [p for p in planned if p not in finished]
    _err.print(
        f"salesnb: interrupted. Finished: {', '.join(done) or 'none'}. "
        f"Not finished: {', '.join(rest) or 'none'}. "
        f"{out / 'summary.json'} records both.",
        markup=False,
        soft_wrap=True,
    )
    sys.exit(130)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    notebook: Annotated[
        str, typer.Argument(help="Notebook stem (01_pareto) or methodology (pareto).")
    ],
    data: Annotated[Path, typer.Option("--data", help="Data-set folder.")],
    quarter: Annotated[
        str,
        typer.Option(help="Review quarter, YYYYQn (default: the last quarter the data reaches)."),
    ] = "",
    out: _Out = None,
    redact: _Redact = False,
    redact_key: _RedactKey = None,
    history: _History = None,
) -> None:
    """Run one notebook: executed .ipynb, .html and .pdf (and its exports) in OUT/<notebook>/.

    Parameters: -p NAME VALUE (repeatable), typed by the notebook's parameters cell;
    `salesnb notebooks` lists them.
    """
    from . import report

    redact = _use_key(redact_key) or redact
    path = report.find_notebook(notebook)
    overrides = _params(ctx.args)
    quarter = (
        quarter or str(overrides.pop("quarter", "")).strip("'\"") or report.latest_quarter(data)
    )
    target = (out or report.default_out(quarter)).expanduser().absolute()
    done: list[str] = []
    try:
        with _progress() as bar:
            task = bar.add_task(f"running {path.stem}", total=1)
            summary = report.review(
                data,
                quarter,
                target,
                jobs=1,
                notebooks=[path],
                redact=redact,
                overrides=overrides,
                progress=_review_progress(bar, task, done),
                history=history,
            )
    except KeyboardInterrupt:
        _interrupted(done, [path.stem], target)
    if _print_results(summary, target):
        raise typer.Exit(1)


@app.command()
def review(
    data: Annotated[Path, typer.Option("--data", help="Data-set folder.")],
    quarter: Annotated[str, typer.Option(help="Review quarter, YYYYQn.")],
    out: _Out = None,
    jobs: Annotated[int, typer.Option(min=1, help="Notebooks run in parallel.")] = 2,
    config: Annotated[
        Path | None, typer.Option(help="YAML: currency, fiscal year, per-notebook parameters.")
    ] = None,
    redact: _Redact = False,
    redact_key: _RedactKey = None,
    history: _History = None,
) -> None:
    """Run every methodology notebook: a PDF per notebook, summary.json, 00_summary.pdf and
    review.pdf; the review is recorded in the history store."""
    from . import report

    redact = _use_key(redact_key) or redact
    settings = report.read_config(config)
    target = (out or report.default_out(quarter)).expanduser().absolute()
    books = report.list_notebooks()
    done: list[str] = []
    try:
        with _progress() as bar:
            task = bar.add_task("running notebooks", total=len(books))
            summary = report.review(
                data,
                quarter,
                target,
                jobs=jobs,
                config=settings,
                redact=redact,
                progress=_review_progress(bar, task, done),
                history=history,
            )
    except KeyboardInterrupt:
        _interrupted(done, [b.stem for b in books], target)
    failed = _print_results(summary, target)
    if _print_review_files(summary, target) or failed:
        raise typer.Exit(1)


def _use_key(path: Path | None) -> bool:
    """--redact-key: check the file and hand its path (never its bytes) to the kernels."""
    if path is None:
        return False
    from .notebook import KEY_ENV, redaction_key

    path = path.expanduser().absolute()
    if not path.is_file():
        raise UsageError(f"--redact-key {path}: no such file")
    os.environ[KEY_ENV] = str(path)
    redaction_key()  # readable and long enough, or a usage error now
    return True


def _params(args: list[str]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs (Typer has no repeatable two-value option)."""
    out: dict[str, str] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--param") or len(rest) < 2 or rest[0].startswith("-"):
            shown = " ".join([flag, *rest[:2]])
            raise UsageError(f"unexpected {shown!r}: parameters are given as -p NAME VALUE")
        name = rest.pop(0)
        out[name] = rest.pop(0)
    return out


@app.command()
def notebooks(
    folder: Annotated[
        Path | None, typer.Option(help="Notebook folder (default: the project's notebooks/).")
    ] = None,
) -> None:
    """List the methodology notebooks and their parameters."""
    from papermill.inspection import inspect_notebook

    folder = folder or Path(__file__).resolve().parent.parent / "notebooks"
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []
    if not paths:
        typer.echo(f"No methodology notebooks in {folder} yet.")
        return
    for path in paths:
        typer.echo(path.stem)
        for name, p in inspect_notebook(str(path)).items():
            hint = p.get("inferred_type_name", "")
            typer.echo(
                f"  -p {name} ({hint}) default {p.get('default')}  {p.get('help', '')}".rstrip()
            )


@app.command("history")
def history_(
    store: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="History store (default reports/salesnb-history.duckdb, beside review's "
            "default --out reports/<quarter>/).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every review and all its metrics as JSON.")
    ] = False,
) -> None:
    """List the stored reviews and their headline metrics, quarter by quarter."""
    from rich.table import Table

    from . import history
    from .analysis import format_value

    path = (store or history.default_path()).expanduser().absolute()
    if store is not None and not path.exists() and not path.is_symlink():
        raise UsageError(f"no history store at {path}: give the --history that review wrote")
    listing = history.listing(path)
    if as_json:
        typer.echo(json.dumps(listing, indent=2))
        return
    if not listing["reviews"]:
        where = "No history store at" if not listing["exists"] else "No reviews stored in"
        typer.echo(f"{where} {path} yet: `salesnb review` records each quarter there.")
        return
    out = Console(highlight=False)
    keys = list(dict.fromkeys(r["dataset_key"] for r in listing["reviews"]))
    out.print(
        f"History store {path}: {len(listing['reviews'])} review(s) of {len(keys)} data set(s)"
    )
    table = Table("Data set", "Quarter", "Generated", "Notebooks", "Metrics", "Snapshots")
    for r in listing["reviews"]:
        failed = sum(s != "ok" for s in r["notebooks"].values())
        books = f"{len(r['notebooks'])}" + (f" ({failed} not ok)" if failed else "")
        n_metrics = sum(len(m) for m in r["metrics"].values())
        snaps = ", ".join(f"{k} ({v:,})" for k, v in r["snapshots"].items())
        table.add_row(
            r["dataset"], r["quarter"], r["generated"] or "", books, str(n_metrics), snaps
        )
    out.print(table)
    currency = {r["dataset_key"]: r["currency"] or "" for r in listing["reviews"]}  # the latest
    for key in keys:
        head = history.headline_table(path, key)
        if head.empty:
            continue
        name = next(r["dataset"] for r in listing["reviews"] if r["dataset_key"] == key)
        quarters = list(head.columns[2:])[-6:]  # the last six; --json has them all
        grid = Table("Metric", *quarters, title=f"{name}: headline metrics", title_justify="left")
        for row in head.itertuples(index=False):
            cells = [
                format_value(v, row.kind, currency.get(key, "")) for v in row[2:][-len(quarters) :]
            ]
            grid.add_row(row.metric, *cells)
        out.print(grid)


def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


@app.command()
def lab(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            help="Workspace folder (default ~/salesnb-workspace); with --progress also a "
            "class folder whose subfolders are workspaces.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Data set to copy in (default: the demo data)."),
    ] = None,
    trainer: Annotated[
        bool, typer.Option("--trainer", help="A trainer's workspace: notebooks in trainer mode.")
    ] = False,
    learner: Annotated[
        str | None,
        typer.Option("--learner", help="The learner's name, recorded with each checked answer."),
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="Start over: delete the workspace's notebooks, data, exports, progress."
        ),
    ] = False,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="With --data: copy it with account, rep, contact and expert names replaced "
            "by keyed pseudonyms (the key of salesnb run --redact).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --reset.")] = False,
    no_start: Annotated[
        bool,
        typer.Option("--no-start", help="Prepare the workspace only; do not start JupyterLab."),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="JupyterLab's port (default: a free one)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser (print the URL only).")
    ] = False,
    progress: Annotated[
        bool,
        typer.Option("--progress", help="Print which exercises each learner passed, then exit."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --progress: print JSON.")] = False,
) -> None:
    """A learner workspace: copies of the notebooks and the demo data, opened in JupyterLab.

    The kit's own notebooks and data are never changed. Running it again keeps the
    learner's work (notebooks they changed stay as they are) unless --reset.
    """
    from . import workspace as ws

    root = (workspace or Path(ws.DEFAULT)).expanduser().absolute()
    if progress:
        extra = [
            flag
            for flag, given in (
                ("--data", data is not None),
                ("--trainer", trainer),
                ("--redact", redact),
                ("--learner", learner is not None),
                ("--reset", reset),
                ("--yes", yes),
                ("--no-start", no_start),
                ("--port", port is not None),
                ("--no-browser", no_browser),
            )
            if given
        ]
        if extra:
            raise UsageError(
                f"--progress only reads: it takes --workspace and --json, not {', '.join(extra)}"
            )
        report = ws.class_progress(root)
        if as_json:
            typer.echo(json.dumps(report, indent=2))
        else:
            for line in ws.progress_lines(report):
                typer.echo(line)
        return
    if as_json:
        raise UsageError("--json goes with --progress")
    if yes and not reset:
        raise UsageError("--yes confirms --reset; without --reset there is nothing to confirm")
    if redact and data is None:
        raise UsageError("--redact goes with --data DIR: the demo data holds no real names")
    if reset and (root / ws.MARKER).is_file():
        changed = ws.changed_notebooks(root)
        if not yes:
            if not _interactive():
                raise UsageError(
                    f"--reset deletes the notebooks, data, exports and progress in {root}: "
                    "add --yes to confirm (there is no terminal to ask)"
                )
            work = f" ({len(changed)} notebook(s) changed: {', '.join(changed)})" if changed else ""
            if not typer.confirm(
                f"Reset {root}? This deletes its notebooks, data, exports and progress{work}.",
                default=False,
            ):
                typer.echo("Nothing reset.")
                raise typer.Exit(1)
        removed = ws.reset(root)
        typer.echo(f"Reset {root}: removed {', '.join(removed)}")
    done = ws.prepare(root, data=data, trainer=trainer, learner=learner, redact=redact)
    for line in done.lines():
        typer.echo(line)
    if no_start:
        typer.echo(f"Start it later with: salesnb lab --workspace {root}")
        return
    typer.echo("Starting JupyterLab (Ctrl-C twice stops it; the work stays in the workspace).")
    raise typer.Exit(ws.start(root, port=port, browser=not no_browser))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def handout(
    ctx: typer.Context,
    notebook: Annotated[
        str, typer.Argument(help="Notebook stem (01_pareto) or methodology (pareto).")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="Data-set folder (default: the demo data).")
    ] = None,
    quarter: Annotated[
        str,
        typer.Option(help="Quarter, YYYYQn (default: the last quarter the data reaches)."),
    ] = "",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/handouts/).")
    ] = None,
    answer_key: Annotated[
        bool,
        typer.Option(
            "--answer-key", help="Also the trainer's answer key (solutions computed from the data)."
        ),
    ] = False,
) -> None:
    """A learner handout PDF: narrative, charts, exercise questions without answers, space
    for notes; with --answer-key also the trainer's answer key. -p NAME VALUE as for run."""
    from . import report
    from .report.run import handout as make_handout

    path = report.find_notebook(notebook)
    overrides = _params(ctx.args)
    if "mode" in overrides:
        raise UsageError("handout sets the mode itself (learner; trainer for --answer-key)")
    folder = data if data is not None else Path(__file__).resolve().parent.parent / "data" / "demo"
    quarter = (
        quarter or str(overrides.pop("quarter", "")).strip("'\"") or report.latest_quarter(folder)
    )
    target = (out or Path.cwd() / "reports" / "handouts").expanduser().absolute()
    with _progress() as bar:
        bar.add_task(
            f"{path.stem}: handout" + (" and answer key" if answer_key else ""), total=None
        )
        written = make_handout(
            path,
            data=folder,
            quarter=quarter,
            out=target,
            answer_key=answer_key,
            parameters=overrides,
        )
    for pdf in written:
        typer.echo(f"Wrote {pdf}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: kit errors become one message and an exit code."""
    try:
        app(args=argv, prog_name="salesnb")
    except SalesnbError as exc:
        if _state["debug"]:
            raise
        _err.print(f"salesnb: error: {exc}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err.print("salesnb: interrupted", markup=False)
        sys.exit(130)
    finally:
        if argv is None:  # the command's own process, which ends now (not a caller's)
            _leave_to_exit()


def _leave_to_exit() -> None:
    """Let the process end without a last walk over its objects.

    Python's exit runs a full garbage collection over every object the command made: after
    a review (pandas, WeasyPrint, fontTools) that is 0.3-0.5 s of a user waiting for the
    prompt. Frozen objects are skipped. Everything the command writes is closed and renamed
    before this point, so no file waits on that collection.
    """
    gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
