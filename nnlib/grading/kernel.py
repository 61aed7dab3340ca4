"""The grading kernel: runs one assembled notebook, cell by cell, inside the sandbox.

Started by the grader as ``python -m nnlib.grading.kernel`` (inside bubblewrap unless grading
runs with ``--no-sandbox``). It reads its job (JSON) from stdin, applies the resource limits,
drops to an unprivileged user when it starts as root, installs the run-time guards of the
implementation constraints, and executes each cell in one IPython shell (so magics, ``display``
and ``get_ipython()`` behave as in Jupyter). Results go, as JSON lines, to the channel file
descriptor the grader passed in, never to stdout: the student's prints (of any size or shape)
go to stdout, which the grader reads only to show a tail in its log.

A cell that runs past its time limit is interrupted (KeyboardInterrupt, as Jupyter's interrupt
button does) and the next cell runs; a cell that ignores the interrupt is stopped from outside by
the grader, which then ends the whole sandbox.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import threading
import time
import traceback
from typing import Any

LIMITS = {
    "as": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}
if hasattr(resource, "RLIMIT_NPROC"):
    LIMITS["nproc"] = resource.RLIMIT_NPROC


def _limit(limits: dict[str, int]) -> None:
    for key, value in limits.items():
        if key in LIMITS and value is not None:
            resource.setrlimit(LIMITS[key], (int(value), int(value)))


def _drop(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("nnbook grading kernel: could not drop root privileges")


class _Runner:
    def __init__(self, job: dict[str, Any]):
        self.job = job
        self.fd = int(job["channel_fd"])
        self.lock = threading.Lock()
        self.timed_out = False
        self.current = ""
        self.reported: set[tuple[str, str]] = set()

    def send(self, obj: dict) -> None:
        data = (json.dumps(obj) + "\n").encode("utf-8", "backslashreplace")
        with self.lock:
            while data:
                data = data[os.write(self.fd, data) :]

    def violation(self, name: str, filename: str) -> None:
        if (name, filename) not in self.reported:
            self.reported.add((name, filename))
            self.send({"event": "violation", "name": name, "file": filename})

    def _alarm(self, signum: int, frame: Any) -> None:
        self.timed_out = True
        raise KeyboardInterrupt  # as Jupyter's interrupt button: the cell stops, the next runs

    def run(self) -> None:
        from traitlets.config import Config

        from . import checks
        from .constraints import install_guards

        if not self.job.get("practice"):  # practice: the checks compare and raise, as in Jupyter
            checks._configure(checks._channel_writer(self.fd), int(self.job["seed"]))
        cfg = Config()
        cfg.HistoryManager.enabled = False
        cfg.InteractiveShell.colors = "nocolor"
        cfg.InteractiveShell.xmode = "Plain"
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance(config=cfg)
        # exit() as in a Jupyter kernel: it asks the front end to close and the code runs on
        shell.ask_exit = lambda: None
        shell.compile.get_code_name = lambda raw, transformed, number: self.current
        guards = {k: set(v) for k, v in self.job.get("guards", {}).items()}
        if guards:
            install_guards(guards, self.violation)
        timeout = float(self.job["timeout"])
        stdout, stderr = sys.stdout, sys.stderr
        for cell in self.job["cells"]:
            self.current = cell["filename"]
            self.send({"event": "cell_start", "index": cell["index"]})
            # what a front end keeps working between cells, whatever the last cell did
            sys.stdout, sys.stderr = stdout, stderr
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGALRM, self._alarm)
            self.timed_out = False
            start = time.monotonic()
            status, error = "ok", None
            try:
                signal.setitimer(signal.ITIMER_REAL, timeout)  # no thread: works at NPROC's limit
                result = shell.run_cell(cell["source"], store_history=True)
                signal.setitimer(signal.ITIMER_REAL, 0)
                exc = result.error_before_exec or result.error_in_exec
                if exc is not None:
                    status = "error"
                    text = str(exc).strip().splitlines()
                    error = [type(exc).__name__, (text[0] if text else "")[:500]]
            except KeyboardInterrupt:  # the alarm landed outside the cell's own code
                status, error = "error", ["KeyboardInterrupt", ""]
            except Exception as exc:  # noqa: BLE001 - the cell broke the shell itself
                status, error = "error", [type(exc).__name__, str(exc)[:500]]
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if self.timed_out:
                status = "timeout"
            self.send(
                {
                    "event": "cell_end",
                    "index": cell["index"],
                    "status": status,
                    "error": error,
                    "seconds": round(time.monotonic() - start, 3),
                }
            )
        self.send({"event": "end"})


def main() -> None:
    raw = sys.stdin.buffer.read(200_000_000)
    job = json.loads(raw)
    _limit(job.get("limits", {}))
    if job.get("drop") and os.getuid() == 0:
        _drop(int(job["drop"]["uid"]), int(job["drop"]["gid"]))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.chdir(job.get("cwd") or os.getcwd())
    runner = _Runner(job)
    code = 0
    try:
        runner.run()
    except BaseException:  # noqa: BLE001 - report, then exit without waiting for threads
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # do not wait for threads the student started


if __name__ == "__main__":
    main()
