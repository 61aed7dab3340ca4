"""Verdicts and their formats: a terminal table, JSON, Markdown, GitHub Classroom (version 3).

JSON for one notebook::

    {"notebook": "01_units.ipynb", "score": 3, "max_score": 4,
     "tests": [{"grade_id": ..., "points": ..., "max_points": ..., "status": ..., "message": ...}],
     "exercise": "01_units.ipynb", "error": null, "notes": [...], "seconds": 4.2}

``status`` is one of passed, failed, error, timeout, not run. ``error`` is set (and ``tests``
may be empty) when the submission could not be graded at all (unreadable, unidentifiable).
For a directory the JSON is a list of these objects, one per notebook, sorted by file name.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from .score import TestResult


@dataclass
class Verdict:
    """The grader's verdict on one submitted notebook."""

    notebook: str
    tests: list[TestResult] = field(default_factory=list)
    exercise: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "score": _num(self.score),
            "max_score": _num(self.max_score),
            "tests": [
                {
                    "grade_id": t.grade_id,
                    "points": _num(t.points),
                    "max_points": _num(t.max_points),
                    "status": t.status,
                    "message": t.message,
                }
                for t in self.tests
            ],
            "exercise": self.exercise,
            "error": self.error,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


def table(v: Verdict, width: int = 100) -> str:
    """A short plain-text table: one row per test, then the total."""
    lines = [f"== {v.notebook}" + (f" (exercise set {v.exercise})" if v.exercise else "")]
    if v.error:
        lines.append(f"   NOT GRADED: {v.error}")
    rows = [
        (t.grade_id, f"{_num(t.points)}/{_num(t.max_points)}", t.status, t.message) for t in v.tests
    ]
    if rows:
        w0 = max(8, *(len(r[0]) for r in rows))
        w1 = max(6, *(len(r[1]) for r in rows))
        lines.append(f"   {'grade_id':<{w0}}  {'points':>{w1}}  {'status':<8}  message")
        for gid, pts, status, msg in rows:
            room = max(20, width - w0 - w1 - 18)
            short = msg if len(msg) <= room else msg[: room - 3] + "..."
            lines.append(f"   {gid:<{w0}}  {pts:>{w1}}  {status:<8}  {short}")
    lines += [f"   note: {n}" for n in v.notes]
    lines.append(f"   TOTAL {_num(v.score)}/{_num(v.max_score)}  ({v.seconds:.1f} s)")
    return "\n".join(lines)


def markdown(verdicts: list[Verdict]) -> str:
    """A Markdown summary (for ``$GITHUB_STEP_SUMMARY``)."""
    total = sum(v.score for v in verdicts)
    top = sum(v.max_score for v in verdicts)
    out = [f"## Exercise grading: {_num(total)} / {_num(top)} points", ""]
    for v in verdicts:
        out.append(f"### {v.notebook}: {_num(v.score)} / {_num(v.max_score)}")
        if v.error:
            out.append(f"\n**Not graded:** {v.error}\n")
        if v.tests:
            out += ["", "| test | points | status | message |", "|---|---|---|---|"]
            for t in v.tests:
                msg = t.message.replace("|", "\\|").replace("\n", " ")
                pts = f"{_num(t.points)}/{_num(t.max_points)}"
                out.append(f"| `{t.grade_id}` | {pts} | {t.status} | {msg} |")
        out += [f"- {n}" for n in v.notes]
        out.append("")
    return "\n".join(out)


def classroom(verdicts: list[Verdict]) -> dict[str, Any]:
    """The result object read by GitHub Classroom's autograding-grading-reporter (version 3).

    The reporter sums ``tests[].score`` against ``max_score`` and fails the check run when
    ``status`` is ``"fail"`` or ``"error"``.
    """
    tests = []
    for v in verdicts:
        if v.error and not v.tests:
            tests.append(_classroom_test(v.notebook, "error", 0, v.error, v.notebook))
        for t in v.tests:
            status = "pass" if t.status == "passed" else "error" if t.status == "error" else "fail"
            name = f"{v.notebook}: {t.grade_id}"
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
        "message": message,
        "test_code": f"python -m nnlib.grading grade {filename}",
        "filename": filename,
        "line_no": 0,
        "duration": 0,
    }


def classroom_base64(verdicts: list[Verdict]) -> str:
    """The reporter's input: base64 of the JSON result (set as the runner's ``result`` output)."""
    return base64.b64encode(json.dumps(classroom(verdicts)).encode()).decode()
