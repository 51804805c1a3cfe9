"""One kernel per review worker, made fresh between notebooks instead of started anew.

Starting a kernel and importing pandas, matplotlib and the kit costs 1.5-3 s of CPU per
notebook, a third of a small review. A worker of :func:`salesnb.report.review` therefore
keeps one kernel and, before each notebook after the first, puts it back as it was when it
started: the user namespace and IPython's history dropped (execution counts start at 1),
figures closed, matplotlib's and pandas' settings, the warning filters, the environment and
the working folder restored, and the kit's per-report state (table ids, reasons said)
forgotten. The executed notebook is the one a fresh kernel gives (tests/test_kernels.py).

A worker's first kernel is a fork of the worker as it starts (:func:`_forked_manager`),
which holds IPython, pandas, matplotlib and the kit already: it answers in 0.4 s with
0.1 s of CPU, where a new interpreter takes 1 s and 0.8 s.

A notebook that fails, a kernel that died or did not come back fresh is not trusted: the
kernel is shut down and the next notebook gets a new one (launched, not forked: by then
the worker has threads and sockets). Modules stay imported; a
notebook that changes a module's state in place (not the kit's own) would be seen by the
next, which is why ``salesnb run`` and handouts keep a kernel per notebook.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import multiprocessing.context
import multiprocessing.util
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["ReusedKernel", "current", "prepare_workers", "reused", "start_worker", "workers"]

_EXTRA_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
_TIMEOUT = 60  # seconds a kernel may take to start or to come back fresh

# run once when the kernel starts: what "as it started" means, kept outside the user namespace
_REMEMBER = """
def _salesnb_remember():
    import gc, os, sys, types, warnings
    import matplotlib
    import matplotlib.pyplot  # activates the inline backend, which sets its own rc values
    start = types.ModuleType("_salesnb_kernel_start")
    start.rc = matplotlib.rcParams.copy()
    start.filters = list(warnings.filters)
    start.environ = dict(os.environ)
    start.path = list(sys.path)
    sys.modules[start.__name__] = start
    gc.freeze()  # what is here stays: collections between and in notebooks skip it
_salesnb_remember()
del _salesnb_remember
"""

# sent to every kernel as it starts, not waited for: what every notebook imports first (a
# kernel started ahead of its notebook imports them while this process reads the data)
_WARM = "import pandas, matplotlib.pyplot, salesnb.notebook"

# run first in a kernel started ahead of its first notebook: that notebook's environment
_ADOPT = """
def _salesnb_adopt(changed, removed, cwd):
    import os
    os.environ.update(changed)
    for name in removed:
        os.environ.pop(name, None)
    os.chdir(cwd)
_salesnb_adopt({changed!r}, {removed!r}, {cwd!r})
del _salesnb_adopt
"""

# run before each notebook after the first
_FRESH = """
def _salesnb_fresh(cwd):
    import gc, os, sys, warnings
    import matplotlib
    import matplotlib.pyplot as plt
    start = sys.modules["_salesnb_kernel_start"]
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(  # not the backend's own: the inline backend stays active
            {k: v for k, v in start.rc.items() if not k.startswith(("backend", "interactive"))}
        )
        if "pandas" in sys.modules:  # not "all": that warns of each deprecated option (0.1 s)
            sys.modules["pandas"].reset_option("^(display|styler|plotting|compute)[.]")
    warnings.filters[:] = start.filters
    os.environ.clear()
    os.environ.update(start.environ)
    sys.path[:] = start.path
    os.chdir(cwd)
    if "salesnb.notebook" in sys.modules:
        sys.modules["salesnb.notebook"].fresh_report()
    get_ipython().reset(new_session=True)
    gc.collect()  # the last notebook's garbage (cycles): freed, never frozen
    gc.freeze()
_salesnb_fresh({cwd!r})
"""


def _run(code: str, kc: Any, *, first: bool = False) -> bool:
    """Run ``code`` silently through the client ``kc``: whether it ran without error.

    ``first``: wait for a kernel just started to answer. The client stays open between
    notebooks (connecting one costs 0.2 s); what the notebooks print meanwhile, it skips.
    """
    from jupyter_core.utils import run_sync

    async def go() -> bool:
        if first:
            await kc.wait_for_ready(timeout=_TIMEOUT)
        reply = await kc.execute_interactive(
            code, silent=True, store_history=False, timeout=_TIMEOUT
        )
        return reply.get("content", {}).get("status") == "ok"

    try:
        return bool(run_sync(go)())
    except Exception:  # noqa: BLE001 - a kernel that cannot answer is replaced, whatever the cause
        return False


class ReusedKernel:
    """A kernel that runs one notebook after another, fresh for each (see the module)."""

    def __init__(self) -> None:
        self._km: Any = None
        self._kc: Any = None
        self._early = False  # started by start(), no notebook's environment given yet
        self._environ: dict[str, str] = {}  # this process's environment when it started
        self.started = 0  # kernels started: 1 while none failed

    def manager(self, cwd: Path) -> Any:
        """The kernel manager to run the next notebook with, its kernel fresh in ``cwd``."""
        from jupyter_core.utils import run_sync

        if self._km is not None and self._early:
            # started ahead (:meth:`start`): it takes this process's environment of now
            self._early = False
            before, now = self._environ, dict(os.environ)
            changed = {k: v for k, v in now.items() if before.get(k) != v}
            removed = sorted(set(before) - set(now))
            adopt = _ADOPT.format(changed=changed, removed=removed, cwd=str(cwd))
            if _run(adopt, self._kc, first=True) and _run(_REMEMBER, self._kc):
                return self._km
            self.discard()
        elif self._km is not None:
            alive = run_sync(self._km.is_alive)()
            if alive and _run(_FRESH.replace("{cwd!r}", repr(str(cwd))), self._kc):
                return self._km
            self.discard()
        self.start(cwd)
        self._early = False
        if not _run(_REMEMBER, self._kc, first=True):
            self.discard()
            raise RuntimeError("the kernel did not start: see the kernel's log above")
        return self._km

    def start(self, cwd: Path, *, fork: bool = False) -> None:
        """Start the kernel's process now, in ``cwd``, without waiting for it.

        Called ahead of the first notebook, the kernel boots on the other core while this
        process reads and checks the data; :meth:`manager` then passes on the changes made
        to this process's environment since (the checked copy's folder, static controls).

        ``fork``: the kernel is a fork of this process (:func:`_forked_manager`), which
        must have one thread and no event loop or sockets yet: a review worker as it starts.
        """
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        self.discard()
        km = (_forked_manager() if fork else AsyncKernelManager)(kernel_name="python3")
        run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=_EXTRA_ARGUMENTS)
        # a session of its own: replies go to a client by its session's id, and papermill's
        # clients of the same kernel use the manager's
        own = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
        self._km, self._kc = km, km.client(session=own)
        self._kc.start_channels()
        self._kc.execute(_WARM, silent=True, store_history=False)  # not waited for
        self.started += 1
        self._early = True
        self._environ = dict(os.environ)  # the kernel's, but for what it sets itself

    def discard(self) -> None:
        """Shut the kernel down (after a failure): the next notebook starts a new one."""
        from jupyter_core.utils import run_sync

        km, kc, self._km, self._kc = self._km, self._kc, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is None:
            return
        with contextlib.suppress(Exception):  # shutting down also frees its ports and files
            run_sync(km.shutdown_kernel)(now=True)

    close = discard


_current: ReusedKernel | None = None


def current() -> ReusedKernel | None:
    """The kernel this process reuses for its notebooks, if it reuses one."""
    return _current


@contextlib.contextmanager
def reused() -> Iterator[ReusedKernel]:
    """Notebooks run in this process inside the block share one kernel, shut down after."""
    global _current
    before, _current = _current, ReusedKernel()
    try:
        yield _current
    finally:
        _current.close()
        _current = before


# what a worker runs, and what its kernel (a fork of it) runs: imported once in the fork
# server, so that each worker and each worker's first kernel starts with them
_PRELOAD = [
    "salesnb.lean",
    "salesnb.report.run",
    "papermill",
    "nbconvert",
    "weasyprint",
    "ipykernel.kernelapp",
    *_WARM.removeprefix("import ").split(", "),
    "salesnb.report.preloaded",  # last: freezes the rest
]


def workers() -> multiprocessing.context.BaseContext:
    """How review workers are made: forked from a fork server, never from this process.

    Forking this process would copy it in the middle of whatever its threads do (DuckDB's
    and Arrow's thread pools, pytest's, a caller's) and share its asyncio loop's epoll
    instance with every worker, which can then take each other's kernel messages. The
    fork server is a fresh, single-threaded interpreter that imports what a worker needs
    once (``_PRELOAD``); each worker is forked from it.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def prepare_workers() -> None:
    """Start the fork server now, so that its imports run while this process reads the data."""
    from multiprocessing import forkserver

    workers()
    forkserver.ensure_running()


def start_worker(environ: dict[str, str] | None = None, cwd: str | None = None) -> None:
    """A review worker's initializer: its notebooks share a kernel, shut down when it exits.

    ``environ`` and ``cwd``: the reviewing process's, as they were when the workers were
    asked for (a worker comes from the fork server, which has its own from when it started).
    """
    global _current
    gc.freeze()  # the fork server's imports: never garbage, so collections skip them
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        os.chdir(cwd)
    _current = ReusedKernel()
    # multiprocessing runs its finalizers, not atexit's, when a worker exits
    multiprocessing.util.Finalize(_current, _current.close, exitpriority=10)
    # its first kernel is a fork of this worker as it is now (one thread, no loop, no
    # sockets), which holds what every notebook imports: it answers in a fraction of a second
    try:
        _current.start(Path.cwd(), fork=True)
    except Exception:  # noqa: BLE001 - the first notebook then starts one the usual way
        _current.discard()


# --------------------------------------------------------------------------- forked kernels
_INLINE = "module://matplotlib_inline.backend_inline"


class _Forked:
    """What jupyter_client's local provisioner keeps of a kernel's process (a ``Popen``'s
    poll, wait, signals), for a kernel that is a child forked by this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped already
                self.returncode = 0
            else:
                if done:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@functools.cache
def _forked_manager() -> type:
    """A kernel manager whose kernel is a fork of this process, not a new interpreter.

    A new interpreter imports IPython, pandas, matplotlib and the kit again: 1.5 s of CPU
    per kernel, two of them at once at the start of every review. A review worker, forked
    from the fork server that imported them (``_PRELOAD``), forks its first kernel as it
    starts: the kernel has them already, and its pages are shared with the worker's. Ports,
    connection file, environment and shutdown stay jupyter_client's; only the launch differs.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):  # type: ignore[misc]
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if not _this_interpreters(kernel_cmd):  # a kernel spec of another Python: launch it
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            env = dict(kw.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # the kernel ends if this process dies
            cwd = str(kw.get("cwd") or os.getcwd())
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the kernel; it never comes back here
                _kernel_main(kernel_cmd, env, cwd)
            provisioner = self.provisioner
            provisioner.process = _Forked(pid)
            provisioner.pid = provisioner.pgid = pid  # its own session, as a launched kernel
            provisioner.cwd = cwd
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkedKernelManager


def _this_interpreters(cmd: list[str]) -> bool:
    """Whether ``cmd`` launches ipykernel with this interpreter (what a fork of it can be)."""
    import sys

    return (
        len(cmd) >= 3
        and cmd[1:3] == ["-m", "ipykernel_launcher"]
        and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
    )


def _kernel_main(cmd: list[str], env: dict[str, str], cwd: str) -> None:  # pragma: no cover
    """The forked kernel: what ``python -m ipykernel_launcher ARGS`` does, then exit.

    It leaves its parent's running event loop (its epoll instance is shared with the
    parent; closing or using it would take the parent's messages), exit handlers and
    standard input behind, and sets matplotlib's backend as the launcher's environment
    would have before matplotlib was imported.
    """
    import asyncio
    import atexit
    import sys
    import traceback

    code = 1
    try:
        asyncio._set_running_loop(None)
        asyncio.set_event_loop(asyncio.new_event_loop())
        atexit._clear()  # the worker's (its kernel's shutdown, multiprocessing's): not ours
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        if "matplotlib" in sys.modules:  # it read MPLBACKEND when the fork server imported it
            sys.modules["matplotlib"].rcParams["backend"] = env.get("MPLBACKEND") or _INLINE
        from ipykernel import kernelapp

        # the app read JPY_PARENT_PID when the fork server imported it: say it here
        argv = [*cmd[3:], f"--IPKernelApp.parent_handle={env['JPY_PARENT_PID']}"]
        sys.argv = [cmd[2], *argv]  # "ipykernel_launcher", then its arguments
        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - said on the kernel's stderr, as a launched kernel would
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # IPython's own (its history)
        finally:
            os._exit(code)
