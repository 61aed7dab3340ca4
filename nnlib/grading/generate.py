"""Generate the student notebook ``exercises/NN_topic.ipynb`` from ``solutions/NN_topic.ipynb``.

Solution bodies become a stub raising ``NotImplementedError``; hidden tests are removed; all
outputs and execution counts are dropped. The result is deterministic, so a test can tell when
``exercises/`` is out of date.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from .notebook import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    NotebookError,
    cells_of,
    read_source,
    validate_source,
)


def stub_lines(indent: str, grade_id: str) -> list[str]:
    """The lines that replace a solution body in the student version."""
    return [
        f"{indent}# YOUR CODE HERE",
        f'{indent}raise NotImplementedError("{grade_id}: not solved yet - replace this line '
        'with your code, then run the test cell below")',
    ]


def stub_source(source: str, grade_id: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by a stub."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            inside = True
            out += stub_lines(line[: len(line) - len(line.lstrip())], grade_id)
        elif stripped == END_SOLUTION:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def strip_hidden(source: str) -> str:
    """Remove hidden-test blocks (markers included) from a test cell."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_HIDDEN:
            inside = True
        elif stripped == END_HIDDEN:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out).rstrip("\n")


def exercise_notebook(source_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a (validated) solutions notebook."""
    nb = copy.deepcopy(source_nb)
    roles = cells_of(nb)
    for i, (cell, info) in enumerate(zip(nb.cells, roles)):
        cell.setdefault("id", f"cell-{i}")
        if info.role == "solution":
            cell.source = stub_source(info.source, info.grade_id or f"cell {i}")
        elif info.role == "test":
            cell.source = strip_hidden(info.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def render_exercise(source_path: Path) -> str:
    """The exact text ``exercises/<name>`` must contain; raises NotebookError if invalid."""
    nb = read_source(source_path)
    problems = validate_source(nb, source_path.name)
    if problems:
        raise NotebookError("\n".join(problems))
    return nbformat.writes(exercise_notebook(nb)) + "\n"


def generate(source_path: Path, exercises_dir: Path) -> Path:
    """Write the exercise notebook for one solutions notebook; return its path."""
    text = render_exercise(source_path)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    out = exercises_dir / source_path.name
    out.write_text(text, encoding="utf-8")
    return out
