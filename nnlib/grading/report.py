"""Verdicts and their formats: a terminal table, JSON, Markdown, a CSV gradebook (nbgrader's export
columns), per-student totals and feedback files, and GitHub Classroom's result object.

JSON for one notebook::

    {"notebook": "01_units.ipynb", "student": "alice", "path": "alice/01_units.ipynb",
     "score": 3, "max_score": 4, "exercise": "01_units.ipynb", "error": null, "notes": [...],
     "seconds": 4.2,
     "tests": [{"grade_id", "points", "max_points", "status", "message",
                "checks": [{"name", "hidden", "weight", "ok", "message"}]}]}

``status`` is one of passed, partial, failed, error, timeout, not run. ``error`` is set (and
``tests`` may be empty) when the submission could not be graded at all (unreadable,
unidentifiable). For several notebooks the JSON is a list of these objects.
All writes are atomic (a temporary file renamed into place).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .notebook import safe_text
from .score import TestResult

GRADEBOOK_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]


@dataclass
class Verdict:
    """The grader's verdict on one submitted notebook."""

    notebook: str
    tests: list[TestResult] = field(default_factory=list)
    exercise: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    student: str = ""
    path: str = ""

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": safe_text(self.notebook, 300),
            "student": self.student,
            "path": safe_text(self.path, 500),
            "score": _num(self.score),
            "max_score": _num(self.max_score),
            "tests": [
                {
                    "grade_id": t.grade_id,
                    "points": _num(t.points),
                    "max_points": _num(t.max_points),
                    "status": t.status,
                    "message": safe_text(t.message, 4000),
                    "checks": [
                        {
                            "name": c.name,
                            "hidden": c.hidden,
                            "weight": _num(c.weight),
                            "ok": c.ok,
                            "message": safe_text(c.message, 1000),
                        }
                        for c in t.checks
                    ],
                }
                for t in self.tests
            ],
            "exercise": self.exercise,
            "error": safe_text(self.error, 1000) if self.error else None,
            "notes": [safe_text(n, 1000) for n in self.notes],
            "seconds": round(self.seconds, 2),
        }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (never half a
    file); a clear OSError if the path is a directory or not writable."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a file")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table(v: Verdict, width: int = 100) -> str:
    """A short plain-text table: one row per test, then the total."""
    who = f" [{v.student}]" if v.student else ""
    lines = [
        f"== {safe_text(v.path or v.notebook, 200)}{who}"
        + (f" (exercise set {v.exercise})" if v.exercise else "")
    ]
    if v.error:
        lines.append(f"   NOT GRADED: {safe_text(v.error, 500)}")
    rows = [
        (t.grade_id, f"{_num(t.points)}/{_num(t.max_points)}", t.status, safe_text(t.message, 2000))
        for t in v.tests
    ]
    if rows:
        w0 = max(8, *(len(r[0]) for r in rows))
        w1 = max(6, *(len(r[1]) for r in rows))
        lines.append(f"   {'grade_id':<{w0}}  {'points':>{w1}}  {'status':<8}  message")
        for gid, pts, status, msg in rows:
            room = max(20, width - w0 - w1 - 18)
            short = msg if len(msg) <= room else msg[: room - 3] + "..."
            lines.append(f"   {gid:<{w0}}  {pts:>{w1}}  {status:<8}  {short}")
    lines += [f"   note: {safe_text(n, 300)}" for n in v.notes]
    lines.append(f"   TOTAL {_num(v.score)}/{_num(v.max_score)}  ({v.seconds:.1f} s)")
    return "\n".join(lines)


def _md(text: str) -> str:
    return safe_text(text, 2000).replace("|", "\\|").replace("<", "&lt;")


def markdown(verdicts: list[Verdict]) -> str:
    """A Markdown summary (for ``$GITHUB_STEP_SUMMARY``)."""
    total = sum(v.score for v in verdicts)
    top = sum(v.max_score for v in verdicts)
    out = [f"## Exercise grading: {_num(total)} / {_num(top)} points", ""]
    for v in verdicts:
        who = f" ({_md(v.student)})" if v.student else ""
        out.append(f"### {_md(v.path or v.notebook)}{who}: {_num(v.score)} / {_num(v.max_score)}")
        if v.error:
            out.append(f"\n**Not graded:** {_md(v.error)}\n")
        if v.tests:
            out += ["", "| test | points | status | message |", "|---|---|---|---|"]
            for t in v.tests:
                pts = f"{_num(t.points)}/{_num(t.max_points)}"
                out.append(f"| `{t.grade_id}` | {pts} | {t.status} | {_md(t.message)} |")
        out += [f"- {_md(n)}" for n in v.notes]
        out.append("")
    return "\n".join(out)


def feedback(student: str, verdicts: list[Verdict]) -> str:
    """One student's feedback (Markdown): every notebook, every test, every failing check."""
    total = sum(v.score for v in verdicts)
    top = sum(v.max_score for v in verdicts)
    out = [f"# Feedback for {_md(student or 'you')}: {_num(total)} / {_num(top)} points", ""]
    for v in verdicts:
        out.append(f"## {_md(v.path or v.notebook)}: {_num(v.score)} / {_num(v.max_score)}")
        if v.error:
            out.append(f"\n**Not graded:** {_md(v.error)}")
        for t in v.tests:
            out.append(
                f"\n### `{t.grade_id}`: {_num(t.points)} / {_num(t.max_points)} ({t.status})"
            )
            if t.status != "passed":
                out.append(f"\n{_md(t.message.split('; ')[0] if t.checks else t.message)}")
            for c in t.checks:
                mark = "ok" if c.ok else "FAILED"
                kind = "hidden check" if c.hidden else "check"
                line = f"- {mark}: {kind} *{_md(c.name)}*"
                out.append(line + ("" if c.ok else f": {_md(c.message)}"))
        if v.notes:
            out.append("")
            out += [f"- note: {_md(n)}" for n in v.notes]
        out.append("")
    return "\n".join(out) + "\n"


def gradebook_csv(verdicts: list[Verdict], timestamp: str = "") -> str:
    """One row per graded notebook, in nbgrader's ``nbgrader export`` CSV columns."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=GRADEBOOK_COLUMNS, lineterminator="\n")
    w.writeheader()
    for v in sorted(verdicts, key=lambda v: (v.student, v.exercise or v.notebook)):
        w.writerow(
            {
                "assignment": Path(v.exercise).stem if v.exercise else safe_text(v.notebook, 100),
                "duedate": "",
                "timestamp": timestamp,
                "student_id": v.student or Path(v.notebook).stem,
                "last_name": "",
                "first_name": "",
                "email": "",
                "raw_score": _num(v.score),
                "late_submission_penalty": 0,
                "score": _num(v.score),
                "max_score": _num(v.max_score),
            }
        )
    return buf.getvalue()


def student_totals(verdicts: list[Verdict]) -> list[tuple[str, float, float, int]]:
    """(student, score, max_score, notebooks) per student, sorted by name."""
    acc: dict[str, list[float]] = {}
    for v in verdicts:
        key = v.student or Path(v.notebook).stem
        a = acc.setdefault(key, [0.0, 0.0, 0])
        a[0] += v.score
        a[1] += v.max_score
        a[2] += 1
    return [(k, a[0], a[1], int(a[2])) for k, a in sorted(acc.items())]


def totals_csv(verdicts: list[Verdict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student_id", "score", "max_score", "notebooks"])
    for student, score, top, n in student_totals(verdicts):
        w.writerow([student, _num(score), _num(top), n])
    return buf.getvalue()


def classroom(verdicts: list[Verdict]) -> dict[str, Any]:
    """The result object read by GitHub Classroom's autograding-grading-reporter (version 3).

    The reporter sums ``tests[].score`` against ``max_score`` and fails the check run when
    ``status`` is ``"fail"`` or ``"error"``.
    """
    tests = []
    for v in verdicts:
        if v.error and not v.tests:
            tests.append(_classroom_test(v.notebook, "error", 0, v.error or "", v.notebook))
        for t in v.tests:
            status = "pass" if t.status == "passed" else "error" if t.status == "error" else "fail"
            name = f"{safe_text(v.notebook, 100)}: {t.grade_id}"
            tests.append(_classroom_test(name, status, _num(t.points), t.message, v.notebook))
    if any(t["status"] == "error" for t in tests):
        status = "error"
    elif all(t["status"] == "pass" for t in tests) and tests:
        status = "pass"
    else:
        status = "fail"
    top = sum(v.max_score for v in verdicts)
    return {"version": 3, "status": status, "max_score": _num(top), "tests": tests}


def _classroom_test(name: str, status: str, score: Any, message: str, filename: str) -> dict:
    return {
        "name": name,
        "status": status,
        "score": score,
        "message": safe_text(message, 1000),
        "test_code": f"nnbook-grade {safe_text(filename, 100)}",
        "filename": safe_text(filename, 200),
        "line_no": 0,
        "duration": 0,
    }


def classroom_base64(verdicts: list[Verdict]) -> str:
    """The reporter's input: base64 of the JSON result."""
    return base64.b64encode(json.dumps(classroom(verdicts)).encode()).decode()
