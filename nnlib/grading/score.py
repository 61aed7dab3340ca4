"""Decide, outside the kernel, which test cells passed.

A test cell earns its points only if nbval ran it to a plain pass (no error, not skipped, not
xfail after a dead kernel or a timeout) AND the records it printed are exactly the records the
reference solution printed: same count, order, names, kinds, a valid MAC under this run's cell
nonce, and values equal (or within the check's tolerance, computed here, not in the kernel).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .assemble import Assembly, GradedCell
from .checks import RECORD_PREFIX, record_mac
from .run import CellRun, RunResult


class GraderError(RuntimeError):
    """The grader itself cannot produce a verdict (e.g. the reference solution fails)."""


@dataclass
class TestResult:
    """The verdict on one graded test cell."""

    __test__ = False  # not a pytest test class, despite its name

    grade_id: str
    points: float
    max_points: float
    status: str  # passed, failed, error, timeout, not run
    message: str


def parse_records(stdout: str) -> list[Any]:
    """Records printed by the checks (lines starting with RECORD_PREFIX); junk becomes None."""
    out: list[Any] = []
    for line in stdout.splitlines():
        if line.startswith(RECORD_PREFIX):
            try:
                rec = json.loads(line[len(RECORD_PREFIX) :])
            except ValueError:
                rec = None
            out.append(rec if isinstance(rec, dict) else None)
    return out


def reference_records(assembly: Assembly, run: RunResult, name: str) -> dict[str, list[dict]]:
    """Records of each test cell in the reference run; GraderError if the reference fails."""
    refs = {}
    for cell in assembly.tests:
        cr = run.cells.get(cell.code_index)
        if cr is None or cr.status != "passed" or cr.errors:
            why = _failure_message(cell, cr, run, timeout=None)
            raise GraderError(
                f"the reference solution of {name} fails test {cell.grade_id!r}: {why}\n"
                f"{run.log_tail[-2000:]}"
            )
        records = parse_records(cr.stdout)
        if not records or any(not _authentic(r, cell, i) for i, r in enumerate(records)):
            raise GraderError(f"reference run of {name}: bad records in {cell.grade_id!r}")
        refs[cell.grade_id or ""] = records
    return refs


def _authentic(rec: Any, cell: GradedCell, index: int) -> bool:
    if not isinstance(rec, dict) or not isinstance(rec.get("mac"), str):
        return False
    payload = {k: v for k, v in rec.items() if k != "mac"}
    good = record_mac(cell.nonce, payload)
    return (
        hmac.compare_digest(good, rec["mac"])
        and rec.get("grade_id") == cell.grade_id
        and rec.get("index") == index
    )


def _numbers(value: Any) -> tuple[list, np.ndarray] | None:
    if not isinstance(value, dict) or not isinstance(value.get("values"), list):
        return None
    try:
        return list(value["shape"]), np.array(value["values"], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None


def values_match(ref: dict, got: dict) -> bool:
    """Compare one student record's value with the reference record's (tolerance from ref)."""
    if ref.get("kind") != "close":
        return got.get("value") == ref.get("value")
    r, g = _numbers(ref.get("value")), _numbers(got.get("value"))
    if r is None or g is None or r[0] != g[0] or r[1].shape != g[1].shape:
        return False
    atol, rtol = float(ref.get("atol", 1e-6)), float(ref.get("rtol", 1e-6))
    return bool(np.all(np.abs(g[1] - r[1]) <= atol + rtol * np.abs(r[1])))


def describe(value: Any) -> str:
    """A short human-readable form of a record's value."""
    nums = _numbers(value)
    if nums is not None:
        shape, flat = nums
        text = np.array2string(flat[:8], precision=6, separator=", ")
        more = " ..." if flat.size > 8 else ""
        return text + more if shape else f"{flat[0]:.6g}" if flat.size else "[]"
    if isinstance(value, dict) and "tuple" in value:
        return "(" + ", ".join(describe(v) for v in value["tuple"]) + ")"
    if isinstance(value, dict) and "unusable" in value:
        return f"an unusable value ({value['unusable']})"
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) < 120 else text[:120] + " ..."


def _mismatch(ref: dict, got: dict) -> str:
    name = ref.get("name", "?")
    if ref.get("hidden"):
        return f"check '{name}' (a hidden test) does not match the reference"
    tol = ""
    if ref.get("kind") == "close":
        tol = f" (atol={ref.get('atol'):g}, rtol={ref.get('rtol'):g})"
    msg = f"check '{name}': expected {describe(ref.get('value'))}{tol}, got "
    msg += describe(got.get("value"))
    if ref.get("hint"):
        msg += f". Hint: {ref['hint']}"
    return msg


def compare_records(cell: GradedCell, refs: list[dict], stdout: str) -> str | None:
    """None if the cell's printed records match the reference, else what is wrong."""
    got = parse_records(stdout)
    for i, ref in enumerate(refs):
        if i >= len(got):
            return (
                f"only {len(got)} of {len(refs)} checks reported a result "
                "(was sys.stdout or print replaced, or output cleared?)"
            )
        rec = got[i]
        if not _authentic(rec, cell, i):
            return f"check #{i + 1} printed a forged or damaged record"
        if rec.get("kind") != ref.get("kind") or rec.get("name") != ref.get("name"):
            return f"check #{i + 1} is not the check the test cell makes"
        if not values_match(ref, rec):
            return _mismatch(ref, rec)
    if len(got) > len(refs):
        return f"{len(got)} check results for {len(refs)} checks: extra output was injected"
    return None


def _failure_message(
    cell: GradedCell, cr: CellRun | None, run: RunResult, timeout: float | None
) -> str:
    if cr is None:
        if run.killed:
            return "not run: the whole notebook exceeded its time budget and was stopped"
        return "not run: the grading run stopped before this cell (kernel or pytest killed?)"
    if cr.status == "xfail":
        return "not run: an earlier cell timed out or the kernel died"
    if cr.status == "skipped":
        return "not run: the cell was skipped"
    if "Timeout" in cr.reason or "timed out" in cr.reason.lower():
        limit = f" of {timeout:g} s" if timeout else ""
        return f"timed out: the cell took longer than the per-cell limit{limit}"
    if cr.errors:
        return _error_text(cr.errors[0])
    if "Kernel dead" in cr.reason or "dead" in cr.reason.lower():
        return "not run: the kernel died before this cell (sys.exit, os._exit or a crash?)"
    return f"the cell did not run cleanly ({cr.reason or cr.status})"[:500]


def _error_text(error: list[str]) -> str:
    ename, evalue = (list(error) + ["", ""])[:2]
    first = evalue.strip().splitlines()[0] if evalue.strip() else ""
    return (f"{ename}: {first}" if first else ename)[:500]


def _status_of(cr: CellRun | None, message: str) -> str:
    if cr is None or cr.status in ("xfail", "skipped", "not run") or message.startswith("not run"):
        return "not run"
    if message.startswith("timed out"):
        return "timeout"
    return "error"


def score_tests(
    assembly: Assembly, run: RunResult, refs: dict[str, list[dict]], timeout: float
) -> list[TestResult]:
    """One TestResult per graded test cell of the assembled notebook."""
    results = []
    for cell in assembly.tests:
        gid = cell.grade_id or ""
        cr = run.cells.get(cell.code_index)
        if cr is None or cr.status != "passed" or cr.errors:
            msg = _failure_message(cell, cr, run, timeout)
            results.append(TestResult(gid, 0.0, cell.points, _status_of(cr, msg), msg))
            continue
        problem = compare_records(cell, refs.get(gid, []), cr.stdout)
        if problem is None:
            n = len(refs.get(gid, []))
            results.append(TestResult(gid, cell.points, cell.points, "passed", f"{n} checks ok"))
        else:
            results.append(TestResult(gid, 0.0, cell.points, "failed", problem))
    return results


def solution_notes(assembly: Assembly, run: RunResult) -> list[str]:
    """Feedback on solution cells that raised or did not finish (their tests fail too)."""
    notes = []
    for cell in assembly.cells:
        cr = run.cells.get(cell.code_index)
        if cell.role != "solution" or cr is None or cr.status != "failed":
            continue
        if "Timeout" in cr.reason or "timed out" in cr.reason.lower():
            why = "did not finish in time (an endless loop, or the kernel died)"
        elif cr.errors:
            why = "raised " + _error_text(cr.errors[0])
        else:
            why = f"failed ({cr.reason})"
        notes.append(f"solution cell {cell.grade_id!r} {why}"[:300])
    return notes
