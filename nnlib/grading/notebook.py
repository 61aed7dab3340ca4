"""Reading notebooks and the nbgrader (schema 3) cell roles they carry.

Trusted sources (``solutions/*.ipynb``) are validated strictly (:func:`validate_source`);
submissions are only read leniently (:func:`read_submission`): a student's notebook may be
damaged in any way, and each way gets a clear :class:`NotebookError`.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CHECK_NAMES = ("check_close", "check_equal", "check_shape")
MAX_SUBMISSION_BYTES = 20_000_000


class NotebookError(ValueError):
    """A notebook that cannot be used, with a message saying what is wrong with it."""


@dataclass(frozen=True)
class Cell:
    """One cell of a notebook as the grader sees it."""

    index: int
    cell_type: str
    source: str
    metadata: dict[str, Any]

    @property
    def nbgrader(self) -> dict[str, Any]:
        meta = self.metadata.get("nbgrader")
        return meta if isinstance(meta, dict) else {}

    @property
    def grade_id(self) -> str | None:
        gid = self.nbgrader.get("grade_id")
        return gid if isinstance(gid, str) and gid else None

    @property
    def role(self) -> str:
        """``"solution"``, ``"test"`` or ``"other"``."""
        meta = self.nbgrader
        if meta.get("solution") is True and meta.get("grade") is not True:
            return "solution"
        if meta.get("grade") is True and meta.get("solution") is not True:
            return "test"
        return "other"

    @property
    def points(self) -> Any:
        return self.nbgrader.get("points")


def source_text(source: Any) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def cells_of(nb: dict[str, Any]) -> list[Cell]:
    """The cells of a notebook dict (malformed cells become empty 'raw' cells)."""
    out = []
    for i, c in enumerate(nb.get("cells", [])):
        if not isinstance(c, dict):
            out.append(Cell(i, "raw", "", {}))
            continue
        meta = c.get("metadata")
        out.append(
            Cell(
                i,
                str(c.get("cell_type", "raw")),
                source_text(c.get("source", "")),
                meta if isinstance(meta, dict) else {},
            )
        )
    return out


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read a trusted source notebook (nbformat 4), raising NotebookError on any problem."""
    try:
        nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types; all mean "unusable source"
        raise NotebookError(f"{path}: not a valid notebook ({exc})") from exc
    if nb.get("nbformat") != 4:
        raise NotebookError(f"{path}: nbformat {nb.get('nbformat')}, expected 4")
    return nb


def read_submission(path: Path) -> list[Cell]:
    """Read a submitted notebook leniently; return its cells or raise NotebookError."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"cannot read {path.name}: {exc.strerror}") from exc
    if size == 0:
        raise NotebookError(f"{path.name} is an empty file, not a notebook")
    if size > MAX_SUBMISSION_BYTES:
        raise NotebookError(f"{path.name} is {size / 1e6:.0f} MB; notebooks over 20 MB are refused")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path.name} is not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not valid notebook JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    if not isinstance(nb, dict):
        raise NotebookError(f"{path.name} is JSON but not a notebook (top level is not an object)")
    version = nb.get("nbformat")
    if version != 4:
        raise NotebookError(
            f"{path.name} has nbformat version {version!r}; the grader needs version 4 "
            "(open and save it with a current Jupyter)"
        )
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path.name} has no list of cells")
    return cells_of(nb)


def _balanced(source: str, begin: str, end: str) -> str | None:
    """None if begin/end markers alternate properly, else what is wrong."""
    depth = 0
    for line in source.splitlines():
        s = line.strip()
        if s == begin:
            if depth:
                return f"nested '{begin}'"
            depth = 1
        elif s == end:
            if not depth:
                return f"'{end}' without '{begin}'"
            depth = 0
    return f"'{begin}' without '{end}'" if depth else None


def _check_calls(source: str) -> int:
    tree = ast.parse(source)
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) in CHECK_NAMES
    )


def validate_source(nb: dict[str, Any], name: str) -> list[str]:
    """Problems that make a solutions notebook unusable as a grading source (empty = fine)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    n_tests = 0
    for cell in cells_of(nb):
        where = f"{name} cell {cell.index}"
        meta = cell.nbgrader
        if not meta:
            if BEGIN_SOLUTION in cell.source or BEGIN_HIDDEN in cell.source:
                problems.append(f"{where}: has markers but no nbgrader metadata")
            continue
        if meta.get("schema_version") != 3:
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
        if meta.get("grade") is True and meta.get("solution") is True:
            problems.append(f"{where}: manually graded answer cells are not supported")
        if cell.role == "solution":
            problems += _validate_solution(cell, where)
        elif cell.role == "test":
            n_tests += 1
            problems += _validate_test(cell, where)
        elif BEGIN_SOLUTION in cell.source or BEGIN_HIDDEN in cell.source:
            problems.append(f"{where}: markers in a cell that is neither solution nor test")
    if n_tests == 0:
        problems.append(f"{name}: no graded test cell")
    return problems


def _validate_solution(cell: Cell, where: str) -> list[str]:
    if cell.cell_type != "code":
        return [f"{where}: solution cells must be code cells"]
    if BEGIN_SOLUTION not in cell.source:
        return [f"{where}: solution cell without '{BEGIN_SOLUTION}'"]
    bad = _balanced(cell.source, BEGIN_SOLUTION, END_SOLUTION)
    return [f"{where}: unbalanced solution markers: {bad}"] if bad else []


def _validate_test(cell: Cell, where: str) -> list[str]:
    problems = []
    if cell.cell_type != "code":
        return [f"{where}: test cells must be code cells"]
    points = cell.points
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        problems.append(f"{where}: graded test cell needs positive 'points' (got {points!r})")
    bad = _balanced(cell.source, BEGIN_HIDDEN, END_HIDDEN)
    if bad:
        problems.append(f"{where}: unbalanced hidden-test markers: {bad}")
    if BEGIN_SOLUTION in cell.source:
        problems.append(f"{where}: solution markers inside a test cell")
    if "NBVAL_" in cell.source or cell.metadata.get("tags"):
        problems.append(f"{where}: test cells may not carry nbval markers or tags")
    try:
        if _check_calls(cell.source) == 0:
            problems.append(f"{where}: test cell calls no check_close/check_equal/check_shape")
        from .assemble import grading_test_source  # late import: assemble imports this module

        grading_test_source(cell.source, cell.grade_id or "", "0" * 32)
    except SyntaxError as exc:
        problems.append(f"{where}: test cell is not plain Python ({exc.msg}, line {exc.lineno})")
    return problems
