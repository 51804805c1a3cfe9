"""Run a command and measure its wall time and the memory of its whole process tree.

Usage (as a tool):  .venv/bin/python bench/proctree.py [--json FILE] -- COMMAND ARGS...
Usage (from a bench):  ``from proctree import measure; m = measure([...])``

/usr/bin/time -v reports the largest single process of a tree; a review's notebook
kernels are child processes that run beside their parent, so the tree's memory is their
sum. This helper polls /proc every ``interval`` seconds (0.2 by default) and reports:

  tree_rss_peak_mib   the largest sum of resident set sizes seen at one moment (shared
                      pages, e.g. libraries, count once per process: a slight overstatement)
  tree_pss_peak_mib   the same for the proportional set size (shared pages split between
                      the processes sharing them: what the tree really occupies), when
                      /proc/<pid>/smaps_rollup is readable
  tree_hwm_sum_mib    the sum of every process's own peak (VmHWM, last seen before it
                      ended): an upper bound, as if every process peaked at the same time
  largest_hwm_mib     the largest single process's peak (what /usr/bin/time reports)
  processes           each process's command (shortened), VmHWM and lifetime

Linux only (it reads /proc). A process that lives less than one interval can be missed;
a peak reached and left between two samples is seen only through VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Measured", "measure"]

_PROC = Path("/proc")


@dataclass
class Measured:
    """What :func:`measure` found: wall seconds, output, exit code and the tree's memory."""

    args: list[str]
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    tree_rss_peak_mib: float
    tree_pss_peak_mib: float | None
    tree_hwm_sum_mib: float
    largest_hwm_mib: float
    samples: int
    processes: list[dict] = field(default_factory=list)

    def figures(self) -> dict:
        """The figures without the command's output (for JSON)."""
        out = asdict(self)
        for key in ("stdout", "stderr", "args"):
            out.pop(key)
        return out


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields start after the last ')'
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, []))
    return found


def _status_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in KiB, or None when the process is gone (or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    got = {}
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            got[line[:5]] = int(line.split()[1])
    if "VmRSS" not in got:
        return None
    return got["VmRSS"], got.get("VmHWM", got["VmRSS"])


def _pss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _label(pid: int) -> str:
    try:
        parts = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [p.decode(errors="replace") for p in parts if p]
    short = [Path(w).name if w.startswith("/") else w for w in words[:4]]
    return " ".join(short)[:80]


def measure(
    args: list[str],
    *,
    interval: float = 0.2,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    pss: bool = True,
) -> Measured:
    """Run ``args`` to the end, sampling its process tree every ``interval`` seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    out: dict[str, str] = {}

    def drain(name: str, stream) -> None:  # noqa: ANN001 - a text pipe
        out[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(n, s), daemon=True)
        for n, s in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    for r in readers:
        r.start()
    seen: dict[int, dict] = {}
    rss_peak = pss_peak = 0
    pss_ok = pss
    samples = 0
    while True:
        done = proc.poll() is not None
        if done:
            break
        now = time.perf_counter() - t0
        rss_sum = pss_sum = 0
        for pid in _tree(proc.pid):
            st = _status_kib(pid)
            if st is None:
                continue
            rss, hwm = st
            info = seen.get(pid)
            if info is None:
                info = seen[pid] = {"pid": pid, "command": _label(pid), "start": now}
            info["hwm_kib"] = max(info.get("hwm_kib", 0), hwm)
            info["end"] = now
            rss_sum += rss
            if pss_ok:
                p = _pss_kib(pid)
                if p is not None:
                    pss_sum += p
                elif pid == proc.pid and proc.poll() is None:
                    pss_ok = False  # smaps_rollup unreadable here: PSS is not reported
        rss_peak = max(rss_peak, rss_sum)
        pss_peak = max(pss_peak, pss_sum)
        samples += 1
        time.sleep(interval)
    seconds = time.perf_counter() - t0
    for r in readers:
        r.join()
    procs = sorted(seen.values(), key=lambda p: p["start"])
    mib = 1024
    return Measured(
        args=list(args),
        seconds=round(seconds, 2),
        returncode=proc.returncode,
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
        tree_rss_peak_mib=round(rss_peak / mib),
        tree_pss_peak_mib=round(pss_peak / mib) if pss_ok and pss_peak else None,
        tree_hwm_sum_mib=round(sum(p["hwm_kib"] for p in procs) / mib),
        largest_hwm_mib=round(max((p["hwm_kib"] for p in procs), default=0) / mib),
        samples=samples,
        processes=[
            {
                "command": p["command"],
                "hwm_mib": round(p["hwm_kib"] / mib),
                "from_s": round(p["start"], 1),
                "to_s": round(p["end"], 1),
            }
            for p in procs
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        parser.error("give the command to run after --")
    m = measure(cmd, interval=args.interval)
    sys.stdout.write(m.stdout)
    sys.stderr.write(m.stderr)
    figures = m.figures()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(
        f"\nwall {m.seconds:.1f} s, exit {m.returncode}; tree peak RSS {m.tree_rss_peak_mib} MiB, "
        f"PSS {m.tree_pss_peak_mib} MiB, sum of VmHWM {m.tree_hwm_sum_mib} MiB, "
        f"largest process {m.largest_hwm_mib} MiB",
        file=sys.stderr,
    )
    for p in m.processes:
        print(
            f"  {p['hwm_mib']:>6} MiB  {p['from_s']:>7}-{p['to_s']:<7} {p['command']}",
            file=sys.stderr,
        )
    raise SystemExit(m.returncode)


if __name__ == "__main__":
    main()
