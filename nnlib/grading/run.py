"""Run an assembled notebook in a grading kernel (sandboxed unless told otherwise) and collect
what it reports on its channel.

The grader, not the kernel, keeps time: besides the kernel's own interrupt of a slow cell, a cell
still running ``GRACE`` seconds after its limit, or a run past its whole budget, ends the
sandbox. Whatever happens inside, :func:`run_job` returns a :class:`RunResult` and leaves no
process behind (with the sandbox; without it, a process that left the session may survive).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from ..data.cache import cache_dir as data_cache_dir
from .assemble import Assembly
from .sandbox import Limits, bwrap_command, sandbox_env

GRACE = 10.0  # seconds after a cell's limit before the grader ends the sandbox
STARTUP = 60.0  # seconds for the kernel to start (imports on a busy machine)
MAX_LINE = 64 * 2**20  # one channel line (a large network's weights)
MAX_CHANNEL = 256 * 2**20  # all channel data of one run
MAX_EVENTS = 100_000
LOG_TAIL = 20_000


@dataclass
class RunResult:
    """All that the grader learned from one run."""

    events: list[dict]
    completed: bool  # the kernel reported the end of the notebook
    stopped: str = ""  # why the grader ended the run early, if it did
    elapsed: float = 0.0
    log_tail: str = ""
    dropped: int = 0  # channel lines that were too long or not JSON objects
    returncode: int | None = None

    def cell_events(self) -> tuple[dict[int, dict], dict[int, dict]]:
        """cell_start and cell_end events by cell index (first of each)."""
        starts: dict[int, dict] = {}
        ends: dict[int, dict] = {}
        for ev in self.events:
            idx = ev.get("index")
            if not isinstance(idx, int):
                continue
            if ev.get("event") == "cell_start":
                starts.setdefault(idx, ev)
            elif ev.get("event") == "cell_end":
                ends.setdefault(idx, ev)
        return starts, ends


@dataclass
class _Watch:
    events: list[dict] = field(default_factory=list)
    current: int | None = None
    since: float = 0.0
    dropped: int = 0
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_channel(fd: int, watch: _Watch) -> None:
    buf = b""
    skipping = False
    with os.fdopen(fd, "rb", buffering=0) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            watch.total += len(chunk)
            if watch.total > MAX_CHANNEL:
                watch.dropped += 1
                continue  # keep draining so the kernel never blocks
            buf += chunk
            while True:
                nl = buf.find(b"\n")
                if nl < 0:
                    if len(buf) > MAX_LINE:
                        buf, skipping = b"", True
                        watch.dropped += 1
                    break
                line, buf = buf[:nl], buf[nl + 1 :]
                if skipping:
                    skipping = False
                    continue
                _accept(line, watch)


def _accept(line: bytes, watch: _Watch) -> None:
    try:
        ev = json.loads(line)
    except (ValueError, RecursionError):
        watch.dropped += 1
        return
    if not isinstance(ev, dict) or not isinstance(ev.get("event"), str):
        watch.dropped += 1
        return
    with watch.lock:
        if len(watch.events) >= MAX_EVENTS:
            watch.dropped += 1
            return
        watch.events.append(ev)
        if ev["event"] == "cell_start" and isinstance(ev.get("index"), int):
            watch.current, watch.since = ev["index"], time.monotonic()
        elif ev["event"] == "cell_end":
            watch.current = None


def _drain(stream, tail: list[bytes]) -> None:
    kept = b""
    for chunk in iter(lambda: stream.read(65536), b""):
        kept = (kept + chunk)[-LOG_TAIL:]
    tail[0] = kept


def _read_info(fd: int, info: dict) -> None:
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(65536)
    try:
        info.update(json.loads(data.decode() or "{}"))
    except ValueError:
        pass


def kernel_command() -> list[str]:
    cmd = [sys.executable, "-s", "-B"]
    if sys.version_info >= (3, 11):
        cmd.append("-P")  # the working directory never shadows a module
    return cmd + ["-m", "nnlib.grading.kernel"]


def run_job(
    asm: Assembly,
    seed: int,
    timeout: float,
    *,
    sandbox: bool = True,
    uid: int = 0,
    limits: Limits | None = None,
    practice: bool = False,
) -> RunResult:
    """Execute the assembled cells in a fresh grading kernel; never raises for what they do.

    ``uid`` is the unprivileged user the kernel becomes when the grader runs as root (one per
    concurrent run: processes limits and signals are per user).
    """
    limits = limits or Limits()
    n = len(asm.cells)
    budget = STARTUP + n * (timeout + 2.0) + GRACE
    as_root = sandbox and os.getuid() == 0
    job = {
        "cells": [
            {"index": c.index, "source": c.source, "filename": c.filename} for c in asm.cells
        ],
        "seed": int(seed),
        "practice": practice,
        "timeout": float(timeout),
        "guards": asm.guards(),
        "limits": limits.rlimits(budget, as_root),
        "drop": {"uid": uid, "gid": uid} if as_root and uid > 0 else None,
    }
    chan_r, chan_w = os.pipe()
    info_r, info_w = os.pipe()
    workdir = None
    start = time.monotonic()
    try:
        if sandbox:
            job["cwd"] = "/tmp/work"
            cmd = bwrap_command(kernel_command(), limits, {}, info_w)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
            cwd = "/"
        else:
            workdir = tempfile.mkdtemp(prefix="nnbook-grade-")
            job["cwd"] = workdir
            cmd = kernel_command()
            env = sandbox_env(workdir)
            env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
            env["NNBOOK_DATA_DIR"] = str(data_cache_dir())  # real data, as the chapters load it
            cwd = workdir
        job["channel_fd"] = chan_w
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(chan_w, info_w) if sandbox else (chan_w,),
            start_new_session=True,
        )
    except BaseException:
        for fd in (chan_r, chan_w, info_r, info_w):
            os.close(fd)
        raise
    os.close(chan_w)
    os.close(info_w)
    watch = _Watch()
    tail = [b""]
    info: dict = {}
    threads = [
        threading.Thread(target=_read_channel, args=(chan_r, watch), daemon=True),
        threading.Thread(target=_drain, args=(proc.stdout, tail), daemon=True),
        threading.Thread(target=_read_info, args=(info_r, info), daemon=True),
    ]
    for t in threads:
        t.start()
    try:
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    stopped = ""
    while proc.poll() is None:
        now = time.monotonic()
        with watch.lock:
            current, since = watch.current, watch.since
        if current is not None and now - since > timeout + GRACE:
            stopped = (
                f"a cell ran {timeout + GRACE:g} s, past its limit, and did not stop when "
                "interrupted: the kernel was ended"
            )
        elif now - start > budget:
            stopped = f"the notebook ran past its total budget of {budget:.0f} s"
        if stopped:
            break
        time.sleep(0.05)
    _end(proc, info, sandbox)
    for t in threads:
        t.join(timeout=5.0)
    if workdir:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    with watch.lock:
        events = list(watch.events)
    return RunResult(
        events=events,
        completed=any(e.get("event") == "end" for e in events),
        stopped=stopped,
        elapsed=time.monotonic() - start,
        log_tail=tail[0].decode("utf-8", "replace"),
        dropped=watch.dropped,
        returncode=proc.returncode,
    )


def _end(proc: subprocess.Popen, info: dict, sandbox: bool) -> None:
    """Kill everything the run started: the namespace's pid 1 (sandbox), then the session."""
    pid1 = info.get("child-pid")
    if sandbox and isinstance(pid1, int) and pid1 > 1:
        try:
            os.kill(pid1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
