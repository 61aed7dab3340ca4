"""Run an assembled notebook under nbval (pytest) in a subprocess and a fresh kernel.

The project's pytest configuration must not leak in: pytest gets an empty ini file (``-c``),
``-o addopts=``, no cache provider and no auto-loaded plugins (only nbval and the grader's own
plugin, which reports each cell's status and capped stdout through a private pipe).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ._nbval_plugin import RESULT_FD_ENV

LOG_TAIL_CHARS = 20_000
KERNEL_STARTUP_TIMEOUT = 60.0


@dataclass
class CellRun:
    """Outcome of one code cell: ``status`` is passed/failed/skipped/xfail/not run."""

    cell: int
    status: str
    stdout: str = ""
    errors: list[list[str]] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0


@dataclass
class RunResult:
    """All that the grader learned from one nbval run."""

    cells: dict[int, CellRun]
    completed: bool  # pytest reached the end of its session
    returncode: int | None
    elapsed: float
    killed: bool = False  # the whole run exceeded its time budget
    log_tail: str = ""


def _drain_lines(stream, sink: list[dict]) -> None:
    for raw in stream:
        try:
            sink.append(json.loads(raw))
        except ValueError:
            continue


def _drain_tail(stream, tail: list[bytes]) -> None:
    kept = b""
    for chunk in iter(lambda: stream.read(65536), b""):
        kept = (kept + chunk)[-LOG_TAIL_CHARS:]
        tail[:] = [kept]


def pytest_command(notebook: Path, ini: Path, cell_timeout: float) -> list[str]:
    """The pytest command line that runs ``notebook`` under nbval, isolated from the project."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(notebook),
        "-c",
        str(ini),
        "--rootdir",
        str(notebook.parent),
        "-o",
        "addopts=",
        "-p",
        "no:cacheprovider",
        "-p",
        "nbval.plugin",
        "-p",
        "nnlib.grading._nbval_plugin",
        "--nbval-lax",
        "--nbval-current-env",
        f"--nbval-cell-timeout={cell_timeout:g}",
        f"--nbval-kernel-startup-timeout={KERNEL_STARTUP_TIMEOUT:g}",
        "-q",
        "--tb=no",
        "-W",
        "ignore",
    ]


def run_notebook(nb: nbformat.NotebookNode, cell_timeout: float) -> RunResult:
    """Execute ``nb`` cell by cell in a fresh kernel; never raises for anything the cells do."""
    n_code = sum(1 for c in nb.cells if c.cell_type == "code")
    budget = KERNEL_STARTUP_TIMEOUT + 30.0 + n_code * (cell_timeout + 12.0)
    workdir = Path(tempfile.mkdtemp(prefix="nnbook-grade-"))
    start = time.monotonic()
    try:
        path = workdir / "graded.ipynb"
        nbformat.write(nb, str(path))
        ini = workdir / "pytest.ini"
        ini.write_text("[pytest]\n")
        read_fd, write_fd = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(
            {RESULT_FD_ENV: str(write_fd), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "NO_COLOR": "1"}
        )
        try:
            proc = subprocess.Popen(
                pytest_command(path, ini, cell_timeout),
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        events: list[dict] = []
        tail: list[bytes] = [b""]
        with os.fdopen(read_fd, "rb") as results:
            readers = [
                threading.Thread(target=_drain_lines, args=(results, events), daemon=True),
                threading.Thread(target=_drain_tail, args=(proc.stdout, tail), daemon=True),
            ]
            for t in readers:
                t.start()
            killed = False
            try:
                proc.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                killed = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for t in readers:
                t.join(timeout=5.0)  # a kernel's stray child may hold stdout open: don't hang
        cells = {}
        for ev in events:
            if ev.get("event") == "cell" and isinstance(ev.get("cell"), int):
                cells[ev["cell"]] = CellRun(
                    ev["cell"],
                    str(ev.get("status", "not run")),
                    str(ev.get("stdout", "")),
                    list(ev.get("errors", [])),
                    str(ev.get("reason", "")),
                    float(ev.get("duration", 0.0)),
                )
        return RunResult(
            cells=cells,
            completed=any(ev.get("event") == "end" for ev in events),
            returncode=proc.returncode,
            elapsed=time.monotonic() - start,
            killed=killed,
            log_tail=tail[0].decode("utf-8", "replace"),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
