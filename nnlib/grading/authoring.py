"""The rules an exercise set (``solutions/NN_topic.ipynb``) must follow to be generated and graded.

:func:`validate_source` returns every problem, each naming the cell and what to change;
``python -m nnlib.grading generate`` refuses a set with any. The rules, explained with a worked
example, are in the book's page *Writing exercises* (``book/authoring_exercises.md``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from . import safe_ast
from .constraints import resolve
from .notebook import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    Cell,
    cells_of,
)
from .rewrite import balanced, check_name, plan_test_cell

NNBOOK_KEYS = {"grader", "forbid"}
HIDDEN_ONLY_CALLS = ("hidden_rng", "hidden_seed")


def validate_source(nb: dict[str, Any], name: str) -> list[str]:
    """Problems that make a solutions notebook unusable as a grading source (empty = fine)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    cells = cells_of(nb)
    evaluators = _evaluators(cells)
    n_tests = 0
    task_open = False
    for cell in cells:
        where = f"{name} cell {cell.index}"
        problems += _validate_nnbook_meta(cell, where)
        meta = cell.nbgrader
        if not meta and cell.role != "grader":
            if any(m in cell.source for m in (BEGIN_SOLUTION, BEGIN_HIDDEN)):
                problems.append(f"{where}: has markers but no nbgrader metadata")
            if cell.cell_type == "code":
                problems += _no_checks_here(cell, where)
            continue
        if meta:
            problems += _validate_ids(cell, where, seen)
        if meta.get("grade") is True and meta.get("solution") is True:
            problems.append(f"{where}: manually graded answer cells are not supported")
        if cell.role == "solution":
            task_open = True
            problems += _validate_solution(cell, where)
        elif cell.role == "test":
            n_tests += 1
            if not task_open:
                problems.append(
                    f"{where}: a test cell must follow the solution cell it tests (a task is a "
                    "solution cell and the test cells after it)"
                )
            problems += _validate_test(cell, where, evaluators)
        elif cell.role == "grader":
            problems += _validate_grader(cell, where)
        else:
            if any(m in cell.source for m in (BEGIN_SOLUTION, BEGIN_HIDDEN)):
                problems.append(f"{where}: markers in a cell that is neither solution nor test")
            if cell.cell_type == "code":
                problems += _no_checks_here(cell, where)
    if n_tests == 0:
        problems.append(f"{name}: no graded test cell")
    return problems


def _validate_nnbook_meta(cell: Cell, where: str) -> list[str]:
    raw = cell.metadata.get("nnbook")
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [f"{where}: metadata 'nnbook' must be an object"]
    problems = [
        f"{where}: unknown key nnbook.{k!s} (known: {', '.join(sorted(NNBOOK_KEYS))})"
        for k in raw
        if k not in NNBOOK_KEYS
    ]
    if "grader" in raw and raw["grader"] is not True:
        problems.append(f"{where}: nnbook.grader must be true (or absent)")
    if "forbid" in raw:
        names = raw["forbid"]
        if cell.role != "solution":
            problems.append(f"{where}: nnbook.forbid belongs on a solution cell")
        if not isinstance(names, list) or not names:
            problems.append(f"{where}: nnbook.forbid must be a non-empty list of names")
        else:
            for n in names:
                try:
                    resolve(n)
                except ValueError as exc:
                    problems.append(f"{where}: unknown constraint name in nnbook.forbid: {exc}")
    return problems


def _validate_ids(cell: Cell, where: str, seen: dict[str, int]) -> list[str]:
    problems = []
    if cell.nbgrader.get("schema_version") != 3:
        problems.append(f"{where}: nbgrader schema_version must be 3")
    gid = cell.grade_id
    if gid is None:
        problems.append(f"{where}: nbgrader metadata without a grade_id")
    elif not re.fullmatch(r"[A-Za-z0-9_.-]+", gid):
        problems.append(f"{where}: grade_id {gid!r} may only use letters, digits, _ . -")
    elif gid in seen:
        problems.append(f"{where}: grade_id {gid!r} repeats (first in cell {seen[gid]})")
    else:
        seen[gid] = cell.index
    return problems


def _parse(cell: Cell, where: str) -> tuple[ast.Module | None, list[str]]:
    try:
        return safe_ast.parse(cell.source), []
    except SyntaxError as exc:
        return None, [f"{where}: not plain Python ({exc.msg}, line {exc.lineno}); no %magics"]


def _no_checks_here(cell: Cell, where: str) -> list[str]:
    try:
        tree = safe_ast.parse(cell.source)
    except SyntaxError:
        return []
    if any(isinstance(n, ast.Call) and check_name(n) for n in ast.walk(tree)):
        return [f"{where}: check_* calls belong in graded test cells only"]
    return []


def _validate_solution(cell: Cell, where: str) -> list[str]:
    if cell.cell_type != "code":
        return [f"{where}: solution cells must be code cells"]
    if BEGIN_SOLUTION not in cell.source:
        return [f"{where}: solution cell without '{BEGIN_SOLUTION}'"]
    bad = balanced(cell.source, BEGIN_SOLUTION, END_SOLUTION)
    problems = [f"{where}: unbalanced solution markers: {bad}"] if bad else []
    if BEGIN_HIDDEN in cell.source:
        problems.append(f"{where}: hidden-test markers in a solution cell")
    return problems + _no_checks_here(cell, where)


def _evaluators(cells: list[Cell]) -> dict[str, int]:
    """Functions defined at the top level of grader cells, with their number of parameters."""
    found: dict[str, int] = {}
    for cell in cells:
        if cell.role != "grader":
            continue
        try:
            tree = safe_ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = len(node.args.args)
    return found


def _validate_grader(cell: Cell, where: str) -> list[str]:
    problems = []
    if cell.cell_type != "code":
        return [f"{where}: grader cells must be code cells"]
    if cell.nbgrader.get("grade") is True or cell.nbgrader.get("solution") is True:
        problems.append(f"{where}: a grader cell cannot also be a solution or graded cell")
    if any(m in cell.source for m in (BEGIN_SOLUTION, BEGIN_HIDDEN)):
        problems.append(f"{where}: markers in a grader cell")
    tree, bad = _parse(cell, where)
    problems += bad
    if tree is not None and not any(isinstance(n, ast.FunctionDef) for n in tree.body):
        problems.append(f"{where}: a grader cell should define the evaluate functions it holds")
    return problems


def _literal(node: ast.expr | None) -> tuple[bool, Any]:
    if node is None:
        return True, None
    try:
        return True, ast.literal_eval(node)
    except ValueError:
        return False, None


def _validate_test(cell: Cell, where: str, evaluators: dict[str, int]) -> list[str]:
    problems = []
    if cell.cell_type != "code":
        return [f"{where}: test cells must be code cells"]
    points = cell.points
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
        problems.append(f"{where}: graded test cell needs positive 'points' (got {points!r})")
    bad = balanced(cell.source, BEGIN_HIDDEN, END_HIDDEN)
    if bad:
        return problems + [f"{where}: unbalanced hidden-test markers: {bad}"]
    for line in cell.source.splitlines():
        if line.strip() in (BEGIN_HIDDEN, END_HIDDEN) and line != line.lstrip():
            problems.append(f"{where}: hidden-test markers must start at the beginning of a line")
    if BEGIN_SOLUTION in cell.source:
        problems.append(f"{where}: solution markers inside a test cell")
    if "NBVAL_" in cell.source or cell.metadata.get("tags"):
        problems.append(f"{where}: test cells may not carry nbval markers or tags")
    try:
        plan = plan_test_cell(cell.source)
    except SyntaxError as exc:
        return problems + [
            f"{where}: test cell is not plain Python ({exc.msg}, line {exc.lineno}); no %magics"
        ]
    except ValueError as exc:
        return problems + [f"{where}: {exc}"]
    if not plan.sites:
        problems.append(f"{where}: test cell calls no check_close/check_equal/check_shape")
    elif not any(s.hidden for s in plan.sites):
        problems.append(
            f"{where}: no hidden check: put at least one check between '{BEGIN_HIDDEN}' and "
            f"'{END_HIDDEN}' (points come only from hidden checks)"
        )
    for site in plan.sites:
        at = f"{where} line {site.lineno}: {site.func}"
        problems += _validate_site(site, at, evaluators)
    problems += _hidden_only_calls(cell, plan, where)
    return problems


def _validate_site(site: Any, at: str, evaluators: dict[str, int]) -> list[str]:
    problems = []
    if "name" not in site.keywords:
        problems.append(f"{at} needs name=... (it names the check in the feedback)")
    if "weight" in site.keywords:
        ok, w = _literal(site.keywords["weight"])
        if not ok or isinstance(w, bool) or not isinstance(w, (int, float)) or not w > 0:
            problems.append(f"{at}: weight= must be a positive number literal")
        elif not site.hidden:
            problems.append(f"{at}: weight= on a visible check has no effect (no points)")
    if site.func == "check_object":
        if not site.hidden:
            problems.append(f"{at} must be inside the hidden tests")
        ev = site.evaluate
        if ev is None:
            problems.append(f"{at} needs evaluate=NAME, a function defined in a grader cell")
        elif ev not in evaluators:
            problems.append(f"{at}: evaluate={ev} is not defined in a grader cell")
        elif evaluators[ev] != 2:
            problems.append(f"{at}: {ev} must take two arguments (obj, rng)")
        ok, _ = _literal(site.expected_node)
        if site.expected_node is None or not ok:
            problems.append(f"{at}: the expected value must be a literal (True, 1.0, (1, 2), ...)")
        for key in ("atol", "rtol"):
            if key in site.keywords and not _literal(site.keywords[key])[0]:
                problems.append(f"{at}: {key}= must be a number literal")
    elif site.expected_node is None:
        problems.append(f"{at} needs the expected value as its second argument")
    return problems


def _hidden_only_calls(cell: Cell, plan: Any, where: str) -> list[str]:
    tree = safe_ast.parse(
        "\n".join(
            "" if ln.strip() in (BEGIN_HIDDEN, END_HIDDEN) else ln
            for ln in cell.source.splitlines()
        )
    )
    problems = []
    for k, stmt in enumerate(tree.body):
        if plan.statements[k]:
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                fname = getattr(node.func, "id", getattr(node.func, "attr", None))
                if fname in HIDDEN_ONLY_CALLS:
                    problems.append(
                        f"{where} line {node.lineno}: {fname}() belongs in the hidden tests "
                        "(its value changes at grading time)"
                    )
    return problems
