"""Assemble the notebook that is actually run for grading.

Everything comes from the trusted source (``solutions/NN_topic.ipynb``) except the bodies of the
solution cells, which come from the submission, matched by grade_id. Test cells are rewritten:

* hidden-test markers become calls marking the checks between them as hidden (they run, but
  the grader never shows their expected values),
* in student runs, the expected value of every ``check_*`` call is replaced by ``None`` (withheld
  from the kernel; the reference run keeps them, so the reference is checked too),
* a first line puts ``nnlib.grading.checks`` in grading mode with this cell's nonce.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from dataclasses import dataclass, field

import nbformat

from .generate import stub_source
from .notebook import BEGIN_HIDDEN, CHECK_NAMES, END_HIDDEN, Cell, cells_of


@dataclass(frozen=True)
class GradedCell:
    """What the grader needs to know about one code cell of the assembled notebook."""

    code_index: int  # nbval's "Cell N" numbering: position among code cells
    role: str
    grade_id: str | None
    points: float = 0.0
    nonce: str = ""


@dataclass
class Assembly:
    """The assembled notebook, its code cells' plan, and notes about the submission."""

    notebook: nbformat.NotebookNode
    cells: list[GradedCell]
    notes: list[str] = field(default_factory=list)

    @property
    def tests(self) -> list[GradedCell]:
        return [c for c in self.cells if c.role == "test"]


def cell_nonce(run_nonce: str, grade_id: str) -> str:
    """The nonce a test cell's records are bound to (derived, so the run nonce never leaves)."""
    return hashlib.sha256(f"{run_nonce}:{grade_id}".encode()).hexdigest()[:32]


class _WithholdExpected(ast.NodeTransformer):
    """Replace the expected/shape argument of check_* calls with None."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name in CHECK_NAMES:
            if len(node.args) >= 2:
                node.args[1] = ast.Constant(None)
            for kw in node.keywords:
                if kw.arg in ("expected", "shape"):
                    kw.value = ast.Constant(None)
        return node


def grading_test_source(source: str, grade_id: str, nonce: str, withhold: bool = True) -> str:
    """A trusted test cell rewritten for grading (see module docstring).

    ``withhold=False`` (the reference run) keeps the expected values, so the checks also test
    the reference solution against them.
    """
    lines = []
    for line in source.splitlines():
        if line.strip() in (BEGIN_HIDDEN, END_HIDDEN):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}_nnbook_checks._hidden({line.strip() == BEGIN_HIDDEN})"
        lines.append(line)
    tree = ast.parse("\n".join(lines))
    if withhold:
        tree = _WithholdExpected().visit(tree)
    begin = (
        "import nnlib.grading.checks as _nnbook_checks; "
        f"_nnbook_checks._begin({nonce!r}, {grade_id!r})"
    )
    return begin + "\n" + ast.unparse(ast.fix_missing_locations(tree))


def submitted_solutions(cells: list[Cell]) -> tuple[dict[str, str], list[str]]:
    """Solution sources of a submission by grade_id (first wins) and notes on duplicates."""
    found: dict[str, str] = {}
    notes = []
    for cell in cells:
        gid = cell.grade_id
        if gid is None or cell.cell_type != "code":
            continue
        if gid in found:
            notes.append(f"grade_id {gid!r} appears more than once; the first cell was used")
            continue
        found[gid] = cell.source
    return found, notes


def assemble(
    source_nb: nbformat.NotebookNode, solutions: dict[str, str] | None, run_nonce: str
) -> Assembly:
    """Build the graded notebook.

    ``solutions`` maps grade_id -> submitted source; ``None`` means "use the reference
    solutions" (the reference run). A solution cell missing from ``solutions`` gets the stub.
    """
    nb = copy.deepcopy(source_nb)
    plan: list[GradedCell] = []
    notes: list[str] = []
    code_index = 0
    for cell, info in zip(nb.cells, cells_of(nb)):
        cell.metadata.pop("tags", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        gid = info.grade_id
        if info.role == "solution":
            if solutions is not None:
                if gid in solutions:
                    cell.source = solutions[gid]
                else:
                    cell.source = stub_source(info.source, gid or "")
                    notes.append(f"solution cell {gid!r} is missing from the submission")
            plan.append(GradedCell(code_index, "solution", gid))
        elif info.role == "test":
            nonce = cell_nonce(run_nonce, gid or "")
            cell.source = grading_test_source(info.source, gid or "", nonce, solutions is not None)
            plan.append(
                GradedCell(
                    code_index,
                    "test",
                    gid,
                    float(info.points),
                    nonce,
                )
            )
        else:
            plan.append(GradedCell(code_index, "other", gid))
        code_index += 1
    return Assembly(nb, plan, notes)
