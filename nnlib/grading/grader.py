"""Grade submissions: identify the exercise set, assemble, run, score (one call per notebook).

The reference solution of each exercise set is run once per process (cached by the source's
content hash and the timeout); its record *values* do not depend on the nonce, so every
submission can get its own fresh nonce.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .assemble import assemble, submitted_solutions
from .notebook import Cell, NotebookError, cells_of, read_source, read_submission, validate_source
from .report import Verdict
from .run import run_notebook
from .score import GraderError, TestResult, reference_records, score_tests, solution_notes

DEFAULT_TIMEOUT = 30.0

_reference_cache: dict[tuple[str, float], dict[str, list[dict]]] = {}
_reference_locks: dict[tuple[str, float], threading.Lock] = {}
_cache_lock = threading.Lock()


@dataclass
class ExerciseSet:
    """One trusted source notebook ``solutions/NN_topic.ipynb``."""

    name: str
    path: Path
    notebook: nbformat.NotebookNode | None
    problem: str | None  # why the source is unusable, or None
    digest: str

    @property
    def grade_ids(self) -> set[str]:
        if self.notebook is None:
            return set()
        return {c.grade_id for c in cells_of(self.notebook) if c.grade_id}

    @property
    def tests(self) -> list[Cell]:
        return [c for c in cells_of(self.notebook or {}) if c.role == "test"]


def load_set(path: Path) -> ExerciseSet:
    """Read and validate one source notebook (problems are kept, not raised)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        nb = read_source(path)
    except NotebookError as exc:
        return ExerciseSet(path.name, path, None, str(exc), digest)
    problems = validate_source(nb, path.name)
    return ExerciseSet(path.name, path, nb, "; ".join(problems) or None, digest)


def discover_sets(source_dir: Path) -> dict[str, ExerciseSet]:
    """Every ``*.ipynb`` in the solutions directory, by file name."""
    if not source_dir.is_dir():
        raise GraderError(f"solutions directory {source_dir} does not exist")
    return {p.name: load_set(p) for p in sorted(source_dir.glob("*.ipynb"))}


def reference(exset: ExerciseSet, timeout: float) -> dict[str, list[dict]]:
    """Records of the reference solution (run once per process per source and timeout)."""
    if exset.problem or exset.notebook is None:
        raise GraderError(f"source {exset.path} is not usable: {exset.problem}")
    # Generous per-cell limit: the reference must not fail for being slow.
    ref_timeout = max(timeout, 60.0)
    key = (exset.digest, ref_timeout)
    with _cache_lock:
        lock = _reference_locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _reference_cache:
            asm = assemble(exset.notebook, None, secrets.token_hex(16))
            run = run_notebook(asm.notebook, ref_timeout)
            _reference_cache[key] = reference_records(asm, run, exset.name)
        return _reference_cache[key]


def identify(path: Path, cells: list[Cell], sets: dict[str, ExerciseSet]) -> tuple[str | None, str]:
    """The exercise set of a submission.

    By file name: ``01_units.ipynb``, or a name containing ``01_units`` as a separate token
    (``alice-01_units.ipynb``); failing that, by the grade_ids of its cells.
    """
    if path.name in sets:
        return path.name, ""
    by_name = [
        name
        for name in sets
        if re.search(rf"(^|[^0-9A-Za-z]){re.escape(Path(name).stem)}($|[^0-9A-Za-z])", path.stem)
    ]
    if len(by_name) == 1:
        return by_name[0], ""
    ids = {c.grade_id for c in cells if c.grade_id}
    overlap = sorted(((len(ids & s.grade_ids), name) for name, s in sets.items()), reverse=True)
    if overlap and overlap[0][0] > 0 and (len(overlap) == 1 or overlap[1][0] < overlap[0][0]):
        name = overlap[0][1]
        return name, f"identified as exercise set {name} by its grade_ids (file is {path.name})"
    known = ", ".join(sets) or "none"
    return None, (
        f"cannot identify the exercise set: the file name {path.name!r} matches none of the "
        f"sets ({known}) and its cells' grade_ids do not single one out; submit the notebook "
        "under its original name"
    )


def _ungraded(exset: ExerciseSet | None, why: str) -> list[TestResult]:
    if exset is None:
        return []
    return [
        TestResult(c.grade_id or "", 0.0, float(c.points), "error", f"not graded: {why}")
        for c in exset.tests
    ]


def grade_file(path: Path, sets: dict[str, ExerciseSet], timeout: float) -> Verdict:
    """Grade one submitted notebook. Raises GraderError only for the grader's own failures."""
    start = time.monotonic()
    try:
        cells = read_submission(path)
    except NotebookError as exc:
        name, _ = identify(path, [], sets)
        exset = sets.get(name) if name else None
        return Verdict(
            path.name,
            _ungraded(exset, str(exc)),
            exercise=exset.name if exset else None,
            error=str(exc),
            seconds=time.monotonic() - start,
        )
    name, note = identify(path, cells, sets)
    if name is None:
        return Verdict(path.name, error=note, seconds=time.monotonic() - start)
    exset = sets[name]
    refs = reference(exset, timeout)
    solutions, notes = submitted_solutions(cells)
    asm = assemble(exset.notebook, solutions, secrets.token_hex(16))
    run = run_notebook(asm.notebook, timeout)
    tests = score_tests(asm, run, refs, timeout)
    notes = ([note] if note else []) + notes + asm.notes + solution_notes(asm, run)
    if run.killed:
        notes.append("the notebook exceeded its total time budget and was stopped")
    elif not run.completed:
        notes.append("the grading run ended abnormally (the kernel or pytest was killed)")
    return Verdict(path.name, tests, exercise=name, notes=notes, seconds=time.monotonic() - start)


def submissions_in(path: Path) -> list[Path]:
    """The notebooks to grade: the file itself, or every ``*.ipynb`` directly in a directory."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.ipynb") if p.is_file())
    if not path.exists():
        raise GraderError(f"{path} does not exist")
    return [path]


def grade_many(
    paths: list[Path], sets: dict[str, ExerciseSet], timeout: float, jobs: int = 1
) -> tuple[list[Verdict], list[str]]:
    """Grade several notebooks (``jobs`` at a time); one's failure never loses the others.

    Returns the verdicts (in input order) and the grader's own failures, if any.
    """
    failures: list[str] = []

    def one(p: Path) -> Verdict:
        try:
            return grade_file(p, sets, timeout)
        except GraderError as exc:
            failures.append(f"{p.name}: {exc}")
            return Verdict(p.name, error=f"grader failure: {exc}")
        except Exception:  # noqa: BLE001 - keep grading the other notebooks
            failures.append(f"{p.name}: {traceback.format_exc(limit=5)}")
            return Verdict(p.name, error="internal grader error (see the grader's log)")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        verdicts = list(pool.map(one, paths))
    return verdicts, failures
