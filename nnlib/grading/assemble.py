"""Assemble what is actually run for grading.

Everything comes from the trusted source (``solutions/NN_topic.ipynb``) except the bodies of the
solution cells, which come from the submission, matched by grade_id (the *last* cell with a
given id, as Restart & Run All would leave it). Grader cells are left out (they run in the
grader's process). Test cells are rewritten by :func:`nnlib.grading.rewrite.kernel_test_source`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .notebook import Cell, cells_of, safe_text
from .rewrite import TestPlan, kernel_test_source, plan_test_cell, stub_source


@dataclass(frozen=True)
class JobCell:
    """One code cell the runner executes, in order."""

    index: int  # position among the executed cells
    role: str  # solution, test or other
    grade_id: str | None
    source: str
    points: float = 0.0
    task: str | None = None  # test cells: the solution cell they follow

    @property
    def filename(self) -> str:
        """The code file name the runner compiles this cell under (used by run-time guards)."""
        return f"<nnbook-cell-{self.index}-{self.role}-{self.grade_id or ''}>"


@dataclass
class Assembly:
    """The cells to run, the plan of each test cell, and notes about the submission."""

    cells: list[JobCell]
    plans: dict[str, TestPlan]
    forbid: dict[str, list[str]]  # solution grade_id -> forbidden names
    solutions: dict[str, str]  # solution grade_id -> the source that is run
    notes: list[str] = field(default_factory=list)

    @property
    def tests(self) -> list[JobCell]:
        return [c for c in self.cells if c.role == "test"]

    def guards(self) -> dict[str, list[str]]:
        """Forbidden name -> code file names of the cells that may not call it."""
        out: dict[str, list[str]] = {}
        for cell in self.cells:
            if cell.role == "solution" and cell.grade_id in self.forbid:
                for name in self.forbid[cell.grade_id]:
                    out.setdefault(name, []).append(cell.filename)
        return out


def submitted_solutions(cells: list[Cell]) -> tuple[dict[str, str], list[str]]:
    """Solution sources of a submission by grade_id (the last cell wins) and notes."""
    found: dict[str, str] = {}
    counts: dict[str, int] = {}
    for cell in cells:
        gid = cell.grade_id
        if gid is None or cell.cell_type != "code":
            continue
        found[gid] = cell.source
        counts[gid] = counts.get(gid, 0) + 1
    notes = [
        f"grade_id {safe_text(gid, 60)!r} appears {n} times; the last cell was graded "
        "(the one Restart & Run All leaves in effect)"
        for gid, n in counts.items()
        if n > 1
    ]
    return found, notes[:20]


def assemble(source_nb: Any, solutions: dict[str, str] | None) -> Assembly:
    """Build the graded run.

    ``solutions`` maps grade_id -> submitted source; ``None`` means "use the reference
    solutions" (the reference run, whose test cells keep their expected values).
    """
    jobs: list[JobCell] = []
    plans: dict[str, TestPlan] = {}
    forbid: dict[str, list[str]] = {}
    used: dict[str, str] = {}
    notes: list[str] = []
    task = None
    for info in cells_of(source_nb):
        if info.cell_type != "code" or info.role == "grader":
            continue
        gid = info.grade_id
        if info.role == "solution":
            task = gid
            if info.forbid:
                forbid[gid or ""] = info.forbid
            if solutions is None:
                src = info.source
            elif gid in solutions:
                src = solutions[gid]
            else:
                src = stub_source(info.source, gid or "")
                notes.append(f"solution cell {gid!r} is missing from the submission")
            used[gid or ""] = src
            jobs.append(JobCell(len(jobs), "solution", gid, src))
        elif info.role == "test":
            plans[gid or ""] = plan_test_cell(info.source)
            src = kernel_test_source(info.source, gid or "", withhold=solutions is not None)
            jobs.append(JobCell(len(jobs), "test", gid, src, float(info.points), task))
        else:
            jobs.append(JobCell(len(jobs), "other", gid, info.source))
    return Assembly(jobs, plans, forbid, used, notes)
