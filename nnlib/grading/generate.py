"""Generate the student notebook ``exercises/NN_topic.ipynb`` from ``solutions/NN_topic.ipynb``.

Solution bodies become a stub raising ``NotImplementedError``; hidden tests and grader cells are
removed; all outputs and execution counts are dropped. The result is deterministic, so a test can
tell when ``exercises/`` is out of date. A source that breaks the authoring rules
(:mod:`nnlib.grading.authoring`) is refused with every problem listed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .authoring import validate_source
from .notebook import NotebookError, cells_of, read_source
from .rewrite import strip_hidden, stub_source


def exercise_notebook(source_nb: Any) -> Any:
    """The student version of a (validated) solutions notebook."""
    nb = copy.deepcopy(source_nb)
    kept = []
    for i, (cell, info) in enumerate(zip(nb.cells, cells_of(nb))):
        if info.role == "grader":
            continue  # runs only in the grader's process
        cell.setdefault("id", f"cell-{i}")
        if info.role == "solution":
            cell.source = stub_source(info.source, info.grade_id or f"cell {i}")
        elif info.role == "test":
            cell.source = strip_hidden(info.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        kept.append(cell)
    nb.cells = kept
    return nb


def render_exercise(source_path: Path) -> str:
    """The exact text ``exercises/<name>`` must contain; raises NotebookError if invalid."""
    import nbformat

    nb = read_source(source_path)
    problems = validate_source(nb, source_path.name)
    if problems:
        raise NotebookError(
            f"{source_path.name} breaks {len(problems)} authoring rule(s):\n  "
            + "\n  ".join(problems)
        )
    return nbformat.writes(exercise_notebook(nb)) + "\n"


def generate(source_path: Path, exercises_dir: Path) -> Path:
    """Write the exercise notebook for one solutions notebook; return its path."""
    text = render_exercise(source_path)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    out = exercises_dir / source_path.name
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
