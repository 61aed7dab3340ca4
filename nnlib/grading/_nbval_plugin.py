"""pytest plugin loaded (``-p``) into the grading subprocess next to nbval.

For every notebook cell it writes one JSON line to the file descriptor named by
``NNBOOK_GRADING_RESULT_FD``: the cell's final status and its (capped) stdout and errors. The
descriptor is a pipe the grader passed to pytest only; the kernel (a grandchild started with
``close_fds``) never holds it, so student code cannot write results there.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

RESULT_FD_ENV = "NNBOOK_GRADING_RESULT_FD"
MAX_STDOUT_CHARS = 1_000_000  # per cell: records are small; a flood is cut, never stored whole
MAX_TEXT_CHARS = 2_000

_outputs: dict[str, dict[str, Any]] = {}
_status: dict[str, dict[str, Any]] = {}
# Read once and removed from the environment, so the kernel (started later) does not learn it.
_fd: int | None = int(os.environ.pop(RESULT_FD_ENV)) if RESULT_FD_ENV in os.environ else None


def _send(obj: dict[str, Any]) -> None:
    if _fd is None:
        return
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(_fd, data) :]


def _summarise(outputs: list | None) -> dict[str, Any]:
    stdout, errors, n = [], [], 0
    for out in outputs or []:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout" and n < MAX_STDOUT_CHARS:
            text = str(out.get("text", ""))[: MAX_STDOUT_CHARS - n]
            stdout.append(text)
            n += len(text)
        elif kind == "error":
            errors.append(
                [str(out.get("ename", ""))[:200], str(out.get("evalue", ""))[:MAX_TEXT_CHARS]]
            )
    return {"stdout": "".join(stdout), "errors": errors[:20]}


def pytest_sessionstart(session: pytest.Session) -> None:
    _send({"event": "start"})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    yield
    if call.when == "call" or call.excinfo is not None:
        summary = _summarise(getattr(item, "test_outputs", None))
        if call.excinfo is not None:
            text = str(call.excinfo.value).strip()
            summary["reason"] = (text.splitlines()[0] if text else call.excinfo.typename)[
                :MAX_TEXT_CHARS
            ]
        _outputs.setdefault(item.nodeid, {}).update(summary)
        _outputs[item.nodeid]["cell"] = getattr(item, "cell_num", None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    st = _status.setdefault(report.nodeid, {"failed": False, "xfail": False, "skipped": False})
    st["failed"] |= report.failed
    st["xfail"] |= hasattr(report, "wasxfail")
    st["skipped"] |= report.skipped
    st["duration"] = st.get("duration", 0.0) + report.duration
    if report.when == "call":
        st["called"] = report.passed
    if report.when != "teardown":
        return
    if st["failed"]:
        status = "failed"
    elif st["xfail"]:
        status = "xfail"
    elif st["skipped"]:
        status = "skipped"
    elif st.get("called"):
        status = "passed"
    else:
        status = "not run"
    info = _outputs.pop(report.nodeid, {})
    _send(
        {
            "event": "cell",
            "cell": info.get("cell"),
            "nodeid": report.nodeid[-200:],
            "status": status,
            "duration": round(st["duration"], 3),
            "stdout": info.get("stdout", ""),
            "errors": info.get("errors", []),
            "reason": info.get("reason", ""),
        }
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _send({"event": "end", "exitstatus": int(exitstatus)})
