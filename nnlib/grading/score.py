"""Decide, outside the kernel, what each check and each test cell earned.

The reference run (the instructor's solutions, run before any submission) says which checks a
test cell makes (statement, call site, repetition), their kinds, names and tolerances, and the
value each must produce. A submission's check reports are matched to these by position, never
by anything the kernel claims about pass or fail. Points come only from hidden checks: a test
cell's points are shared among its hidden checks by weight. Object checks are evaluated here,
in the grader's process, by the set's grader cells. A task whose solution uses something its
constraints forbid earns nothing for its test cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .assemble import Assembly, JobCell
from .checks import _derive, close_enough, object_matches, same_value
from .notebook import safe_text
from .portable import Unportable, decode, describe
from .run import RunResult


class GraderError(RuntimeError):
    """The grader itself cannot produce a verdict (e.g. the reference solution fails)."""


@dataclass
class CheckResult:
    """The verdict on one check."""

    name: str
    hidden: bool
    weight: float
    ok: bool
    message: str = ""


@dataclass
class TestResult:
    """The verdict on one graded test cell."""

    __test__ = False  # not a pytest test class, despite its name

    grade_id: str
    points: float
    max_points: float
    status: str  # passed, partial, failed, error, timeout, not run
    message: str
    checks: list[CheckResult] = field(default_factory=list)


Key = tuple[int, int, int]  # (statement, call site, repetition)


@dataclass
class Reference:
    """What the reference run of one exercise set produced."""

    records: dict[str, list[dict]]  # test grade_id -> check reports in order


def _key(rec: dict) -> Key | None:
    try:
        return (int(rec["stmt"]), int(rec["site"]), int(rec["seq"]))
    except (KeyError, TypeError, ValueError):
        return None


def _check_reports(run: RunResult) -> dict[str, dict[Key, dict]]:
    out: dict[str, dict[Key, dict]] = {}
    for ev in run.events:
        if ev.get("event") != "check" or not isinstance(ev.get("cell"), str):
            continue
        key = _key(ev)
        if key is not None:
            out.setdefault(ev["cell"], {}).setdefault(key, ev)
    return out


def _stmt_errors(run: RunResult) -> dict[str, dict[int, list]]:
    out: dict[str, dict[int, list]] = {}
    for ev in run.events:
        if ev.get("event") == "stmt_error" and isinstance(ev.get("cell"), str):
            err = ev.get("error")
            if isinstance(ev.get("stmt"), int) and isinstance(err, list):
                out.setdefault(ev["cell"], {}).setdefault(ev["stmt"], err)
    return out


def error_text(error: Any) -> str:
    """'Name: first line of the message' of a reported error."""
    if not isinstance(error, list) or not error:
        return "an error"
    ename = safe_text(error[0], 80)
    first = safe_text(error[1], 300) if len(error) > 1 else ""
    return f"{ename}: {first}" if first else ename


def reference_from_run(
    asm: Assembly, run: RunResult, name: str, evaluate: Callable[..., Any]
) -> Reference:
    """The reference of one set; GraderError if the reference solution fails anything."""
    reports = _check_reports(run)
    errors = _stmt_errors(run)
    _, ends = run.cell_events()
    tail = run.log_tail[-3000:]
    records: dict[str, list[dict]] = {}
    for cell in asm.cells:
        end = ends.get(cell.index)
        if end is None:
            why = run.stopped or "the reference run stopped before it"
            raise GraderError(
                f"reference run of {name}: cell {cell.index} did not run ({why})\n{tail}"
            )
        if end.get("status") != "ok":
            raise GraderError(
                f"the reference solution of {name} fails in cell {cell.index} "
                f"({cell.role} {cell.grade_id!r}): {error_text(end.get('error'))}\n{tail}"
            )
        if cell.role != "test":
            continue
        gid = cell.grade_id or ""
        if errors.get(gid):
            stmt, err = next(iter(errors[gid].items()))
            raise GraderError(
                f"the reference solution of {name} fails test {gid!r} "
                f"(statement {stmt + 1}): {error_text(err)}"
            )
        recs = [reports[gid][k] for k in sorted(reports.get(gid, {}))]
        plan = asm.plans[gid]
        if not any(r.get("hidden") for r in recs):
            raise GraderError(f"reference run of {name}: test {gid!r} made no hidden check")
        for rec in recs:
            site = plan.sites[rec["site"]] if 0 <= rec["site"] < len(plan.sites) else None
            if site is None or site.func.replace("check_", "") != rec.get("kind"):
                raise GraderError(f"reference run of {name}: test {gid!r} reported a bad check")
            rec["weight"] = float(site.literal("weight", 1))
            if rec["kind"] == "object":
                ok, detail = _object_result(rec, rec, site, cell, evaluate)
                if not ok:
                    raise GraderError(
                        f"the reference solution of {name} fails check {rec.get('name')!r} "
                        f"of {gid!r}: {detail}"
                    )
        records[gid] = recs
    return Reference(records)


def _object_result(ref: dict, got: dict, site: Any, cell: JobCell, evaluate: Callable) -> tuple:
    try:
        obj = decode(got.get("value"))
    except Unportable as exc:
        return False, f"the grader cannot use the returned object: {exc}"
    except Exception:  # noqa: BLE001 - malformed data from the kernel
        return False, "the returned object arrived damaged"
    try:
        result = evaluate(site.evaluate, ref, cell, obj)
    except Exception as exc:  # noqa: BLE001 - the student's object made the evaluator fail
        return False, f"evaluating the returned object raised {type(exc).__name__}: " + safe_text(
            str(exc).splitlines()[0] if str(exc) else "", 200
        )
    expected = ast_literal(site.expected_node)
    return object_matches(result, expected, site.literal("atol"), site.literal("rtol"))


def ast_literal(node: Any) -> Any:
    import ast

    return ast.literal_eval(node) if node is not None else None


def compare(ref: dict, got: dict) -> tuple[bool, str]:
    """(ok, detail) of one reported value against the reference's."""
    if got.get("kind") != ref.get("kind") or got.get("name") != ref.get("name"):
        return False, "a different check reported here (was the test cell's code changed?)"
    try:
        r, g = decode(ref.get("value")), decode(got.get("value"))
    except Unportable as exc:
        return False, f"the value cannot be checked: {exc}"
    except Exception:  # noqa: BLE001
        return False, "the value arrived damaged"
    if ref.get("kind") == "close":
        ok, detail = close_enough(
            g,
            r,
            float(ref.get("atol", 1e-6)),
            float(ref.get("rtol", 1e-6)),
            bool(ref.get("float64", False)),
        )
        if ok:
            return True, ""
        return False, f"expected {describe(r)}, got {describe(g)}; {detail}"
    if same_value(g, r):
        return True, ""
    if ref.get("kind") == "shape":
        return False, f"expected shape {describe(r)}, got {describe(g)}"
    return False, f"expected {describe(r)}, got {describe(g)}"


def score_tests(
    asm: Assembly,
    run: RunResult,
    ref: Reference,
    timeout: float,
    violations: dict[str, list[str]],
    evaluate: Callable[[str, dict, JobCell, Any], Any],
) -> list[TestResult]:
    """One TestResult per graded test cell."""
    reports = _check_reports(run)
    errors = _stmt_errors(run)
    starts, ends = run.cell_events()
    results = []
    for cell in asm.tests:
        gid = cell.grade_id or ""
        plan = asm.plans[gid]
        end = ends.get(cell.index)
        cell_state = _cell_state(cell, starts, ends, run, timeout)
        mine = reports.get(gid, {})
        errs = errors.get(gid, {})
        checks: list[CheckResult] = []
        for rec in ref.records.get(gid, []):
            key = _key(rec)
            name = safe_text(rec.get("name", "?"), 120)
            hidden = bool(rec.get("hidden"))
            weight = float(rec.get("weight", 1.0))
            got = mine.get(key) if key else None
            if got is None:
                msg = _missing(key, errs, cell_state, end)
                checks.append(CheckResult(name, hidden, weight, False, msg))
                continue
            if rec.get("kind") == "object":
                site = plan.sites[rec["site"]]
                if got.get("kind") != "object" or got.get("name") != rec.get("name"):
                    ok, detail = False, "a different check reported here"
                else:
                    ok, detail = _object_result(rec, got, site, cell, evaluate)
            else:
                ok, detail = compare(rec, got)
            if not ok and hidden:
                detail = "does not match the reference solution" + (
                    f" ({detail})" if detail.startswith(("the ", "a ", "evaluating")) else ""
                )
            if not ok and rec.get("hint"):
                detail += f". Hint: {safe_text(rec['hint'], 300)}"
            checks.append(CheckResult(name, hidden, weight, ok, "" if ok else detail))
        results.append(_cell_result(cell, checks, cell_state, violations.get(cell.task or "")))
    return results


def _cell_state(cell: JobCell, starts: dict, ends: dict, run: RunResult, timeout: float) -> str:
    end = ends.get(cell.index)
    if end is not None:
        status = end.get("status")
        if status == "timeout":
            return f"timed out: the cell took longer than the limit of {timeout:g} s"
        return "ok" if status == "ok" else f"error: {error_text(end.get('error'))}"
    if cell.index in starts:
        if run.stopped:
            return f"not finished: {run.stopped}"
        return "not finished: the kernel died while this cell ran (os._exit, a crash or a limit)"
    if run.stopped:
        return f"not run: {run.stopped}"
    return "not run: the kernel stopped before this cell (sys.exit, os._exit, a crash or a limit?)"


def _missing(key: Key | None, errs: dict[int, list], state: str, end: Any) -> str:
    if key is not None and key[0] in errs:
        err = errs[key[0]]
        if err and err[0] == "NameError" and any(k < key[0] for k in errs):
            first = errs[min(errs)]
            return f"not checked: an earlier line of the test raised {error_text(first)}"
        return f"raised {error_text(err)}"
    if state != "ok":
        return state if state.startswith(("timed", "not")) else f"not checked: {state}"
    return "no result was reported (was the check skipped, or the result channel closed?)"


def _cell_result(
    cell: JobCell, checks: list[CheckResult], state: str, violation: list[str] | None
) -> TestResult:
    hidden = [c for c in checks if c.hidden]
    total = sum(c.weight for c in hidden) or 1.0
    earned = sum(c.weight for c in hidden if c.ok)
    points = cell.points * earned / total
    bad = [c for c in checks if not c.ok]
    n_ok = len(checks) - len(bad)
    if violation:
        msg = "not accepted: " + "; ".join(violation[:3])
        return TestResult(cell.grade_id or "", 0.0, cell.points, "failed", msg, checks)
    if not bad:
        return TestResult(
            cell.grade_id or "", points, cell.points, "passed", f"{n_ok} checks ok", checks
        )
    if state.startswith("timed out"):
        status = "timeout"
    elif state.startswith("not run") or (
        not checks or all(c.message.startswith("not run") for c in bad) and n_ok == 0
    ):
        status = "not run"
    elif any(c.message.startswith(("raised", "not checked", "not finished")) for c in bad):
        status = "error"
    else:
        status = "failed"
    if 0 < points < cell.points:
        status = "partial" if status == "failed" else status
    parts = [f"{c.name}{' (hidden)' if c.hidden else ''}: {c.message}" for c in bad]
    msg = f"{n_ok} of {len(checks)} checks ok; " + "; ".join(parts)
    return TestResult(cell.grade_id or "", points, cell.points, status, msg[:4000], checks)


def solution_notes(asm: Assembly, run: RunResult) -> list[str]:
    """Feedback on solution cells that raised or did not finish (their tests fail too)."""
    _, ends = run.cell_events()
    notes = []
    for cell in asm.cells:
        end = ends.get(cell.index)
        if cell.role != "solution" or end is None or end.get("status") == "ok":
            continue
        if end.get("status") == "timeout":
            why = "did not finish in time and was interrupted (an endless loop?)"
        else:
            why = "raised " + error_text(end.get("error"))
        notes.append(f"solution cell {cell.grade_id!r} {why}"[:300])
    return notes


def rng_for(seed: int, name: str) -> np.random.Generator:
    """The generator an evaluator gets: the same as hidden_rng('evaluate:' + name) would give."""
    return np.random.default_rng(_derive(seed, "evaluate:" + name))
