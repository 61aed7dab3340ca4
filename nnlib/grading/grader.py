"""Grade submissions: find them, identify their exercise set, run, score (one call per notebook).

A :class:`Session` holds the trusted exercise sets (read into memory once), the hidden seed of
this grading run, and the reference of each set, computed before any submission runs. Each
submission runs in its own sandboxed kernel; one submission's failure never costs another its
verdict.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assemble import Assembly, JobCell, assemble, submitted_solutions
from .authoring import validate_source
from .constraints import aliases_of, resolve, static_violations
from .notebook import (
    Cell,
    NotebookError,
    cells_of,
    parse_submission,
    read_source,
    read_submission_bytes,
    safe_text,
)
from .report import Verdict
from .run import run_job
from .sandbox import Limits, uid_block
from .score import (
    GraderError,
    Reference,
    TestResult,
    reference_from_run,
    rng_for,
    score_tests,
    solution_notes,
)

DEFAULT_TIMEOUT = 30.0
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", "node_modules"}


@dataclass
class ExerciseSet:
    """One trusted source notebook ``solutions/NN_topic.ipynb``, held in memory."""

    name: str
    path: Path
    notebook: Any
    problem: str | None  # why the source is unusable, or None
    digest: str
    _namespace: dict | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def cells(self) -> list[Cell]:
        return cells_of(self.notebook or {})

    @property
    def grade_ids(self) -> set[str]:
        return {c.grade_id for c in self.cells if c.grade_id}

    @property
    def tests(self) -> list[Cell]:
        return [c for c in self.cells if c.role == "test"]

    def evaluator(self, name: str) -> Callable:
        """A function of the set's grader cells (executed once, in this process)."""
        with self._lock:
            if self._namespace is None:
                ns: dict[str, Any] = {"__name__": f"nnbook_grader_{Path(self.name).stem}"}
                for cell in self.cells:
                    if cell.role == "grader":
                        code = compile(
                            cell.source, f"<grader cell {cell.index} of {self.name}>", "exec"
                        )
                        exec(code, ns)  # noqa: S102 - trusted instructor code
                self._namespace = ns
        fn = self._namespace.get(name)
        if not callable(fn):
            raise GraderError(f"{self.name}: grader cells define no function {name!r}")
        return fn


def load_set(path: Path) -> ExerciseSet:
    """Read and validate one source notebook (problems are kept, not raised)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
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
    sets = {p.name: load_set(p) for p in sorted(source_dir.glob("*.ipynb")) if p.is_file()}
    if not sets:
        raise GraderError(f"no exercise sets (*.ipynb) in {source_dir}")
    return sets


@dataclass(frozen=True)
class Submission:
    """One notebook to grade and whose it is."""

    path: Path
    student: str
    rel: str  # path relative to the submissions root, for reports


def discover_submissions(root: Path) -> tuple[list[Submission], list[str]]:
    """Notebooks under ``root`` (recursive; symbolic links are listed, to be refused) and
    warnings about what was skipped. A student is named after the first folder below ``root``;
    a notebook directly in ``root`` after its file name."""
    warnings: list[str] = []
    if root.is_symlink():
        return [Submission(root, root.stem, root.name)], warnings
    if not root.exists():
        raise GraderError(f"{root} does not exist")
    if not root.is_dir():
        return [
            Submission(root, root.parent.name if root.parent.name else root.stem, root.name)
        ], warnings
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            p = here / d
            if d.startswith(".") or d in SKIP_DIRS:
                continue
            if p.is_symlink():
                warnings.append(f"skipped {p.relative_to(root)}: a symbolic link to a folder")
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if not f.endswith(".ipynb") or f.startswith("."):
                continue
            p = here / f
            rel = p.relative_to(root)
            student = rel.parts[0] if len(rel.parts) > 1 else ""
            found.append(Submission(p, safe_text(student, 100), str(rel)))
    return found, warnings


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
        return (
            name,
            f"identified as exercise set {name} by its grade_ids "
            f"(file is {safe_text(path.name, 80)})",
        )
    known = ", ".join(sets) or "none"
    return None, (
        f"cannot identify the exercise set: the file name {safe_text(path.name, 80)!r} matches "
        f"none of the sets ({known}) and its cells' grade_ids do not single one out; submit the "
        "notebook under its original name"
    )


def _ungraded(exset: ExerciseSet | None, why: str) -> list[TestResult]:
    if exset is None:
        return []
    return [
        TestResult(c.grade_id or "", 0.0, float(c.points), "error", f"not graded: {why}")
        for c in exset.tests
    ]


class Session:
    """One grading run: trusted sets, hidden seed, references, sandbox settings."""

    def __init__(
        self,
        sets: dict[str, ExerciseSet],
        timeout: float = DEFAULT_TIMEOUT,
        *,
        seed: int | None = None,
        sandbox: bool = True,
        jobs: int = 1,
        limits: Limits | None = None,
    ):
        self.sets = sets
        self.timeout = float(timeout)
        self.seed = secrets.randbelow(2**31) if seed is None else int(seed)
        self.sandbox = sandbox
        self.jobs = min(64, max(1, int(jobs)))
        self.limits = limits or Limits()
        self._refs: dict[str, Reference] = {}
        self._ref_locks: dict[str, threading.Lock] = {n: threading.Lock() for n in sets}
        self._slots: queue.Queue[int] = queue.Queue()  # one uid per concurrent kernel
        first = uid_block()
        for i in range(self.jobs):
            self._slots.put(first + i)

    # ---------------------------------------------------------------- references
    def evaluate_fn(self, exset: ExerciseSet) -> Callable:
        seed = self.seed

        def evaluate(name: str, rec: dict, cell: JobCell, obj: Any) -> Any:
            import numpy as np

            fn = exset.evaluator(name)
            with np.errstate(all="ignore"):
                return fn(obj, rng_for(seed, str(rec.get("name", ""))))

        return evaluate

    def reference(self, exset: ExerciseSet) -> Reference:
        """The reference of a set (run once per session, before any submission of it)."""
        if exset.problem or exset.notebook is None:
            raise GraderError(f"source {exset.path} is not usable: {exset.problem}")
        with self._ref_locks.setdefault(exset.name, threading.Lock()):
            if exset.name not in self._refs:
                asm = assemble(exset.notebook, None)
                slot = self._slots.get()
                try:
                    run = run_job(
                        asm,
                        self.seed,
                        max(self.timeout, 60.0),  # the reference must not fail for being slow
                        sandbox=self.sandbox,
                        uid=slot,
                        limits=self.limits,
                    )
                finally:
                    self._slots.put(slot)
                self._refs[exset.name] = reference_from_run(
                    asm, run, exset.name, self.evaluate_fn(exset)
                )
            return self._refs[exset.name]

    def prepare(self, names: set[str]) -> None:
        """Compute the references of these sets (before any student code runs)."""
        for name in sorted(names):
            if name in self.sets and self.sets[name].problem is None:
                self.reference(self.sets[name])

    # ---------------------------------------------------------------- grading
    def read(self, sub: Submission) -> tuple[list[Cell] | None, str | None, str, str | None]:
        """(cells, set name, note, error) of a submission, without running anything."""
        try:
            cells = parse_submission(read_submission_bytes(sub.path), sub.path.name)
        except NotebookError as exc:
            name, _ = identify(sub.path, [], self.sets)
            return None, name, "", str(exc)
        name, note = identify(sub.path, cells, self.sets)
        return cells, name, note, None

    def grade(self, sub: Submission) -> Verdict:
        """Grade one submitted notebook. Raises GraderError only for the grader's own failures."""
        start = time.monotonic()
        cells, name, note, error = self.read(sub)
        base = {"student": sub.student, "path": sub.rel}
        if error is not None or cells is None:
            exset = self.sets.get(name) if name else None
            return Verdict(
                sub.path.name,
                _ungraded(exset, error or "unreadable"),
                exercise=exset.name if exset else None,
                error=error,
                seconds=time.monotonic() - start,
                **base,
            )
        if name is None:
            return Verdict(sub.path.name, error=note, seconds=time.monotonic() - start, **base)
        exset = self.sets[name]
        ref = self.reference(exset)
        solutions, notes = submitted_solutions(cells)
        asm = assemble(exset.notebook, solutions)
        violations = self.static_violations(asm)
        slot = self._slots.get()
        try:
            run = run_job(
                asm, self.seed, self.timeout, sandbox=self.sandbox, uid=slot, limits=self.limits
            )
        finally:
            self._slots.put(slot)
        for gid, found in runtime_violations(asm, run).items():
            violations.setdefault(gid, []).extend(f for f in found if f not in violations[gid])
        tests = score_tests(asm, run, ref, self.timeout, violations, self.evaluate_fn(exset))
        notes = ([note] if note else []) + notes + asm.notes + solution_notes(asm, run)
        for gid, found in violations.items():
            notes.append(f"task {gid!r} uses what it may not: " + "; ".join(found[:5]))
        if run.stopped:
            notes.append(f"the grader ended the run: {run.stopped}")
        elif not run.completed:
            notes.append(
                "the kernel ended before the last cell (sys.exit, os._exit, a crash, or a limit)"
            )
        if run.dropped:
            notes.append(f"{run.dropped} malformed or oversized result lines were ignored")
        return Verdict(
            sub.path.name,
            tests,
            exercise=name,
            notes=notes,
            seconds=time.monotonic() - start,
            **base,
        )

    def static_violations(self, asm: Assembly) -> dict[str, list[str]]:
        """Forbidden names the submitted solution cells use (by static analysis, here)."""
        out: dict[str, list[str]] = {}
        if not asm.forbid:
            return out
        sources = [c.source for c in asm.cells if c.role != "test"]
        aliases = aliases_of(sources)
        for gid, names in asm.forbid.items():
            targets = []
            for n in names:
                try:
                    targets.append(resolve(n))
                except ValueError:
                    continue
            found = static_violations(asm.solutions.get(gid, ""), targets, aliases)
            if found:
                out[gid] = found
        return out

    def grade_many(
        self, subs: list[Submission], progress: Callable[[int, int, Verdict], None] | None = None
    ) -> tuple[list[Verdict], list[str]]:
        """Grade several notebooks (``jobs`` at a time); one's failure never loses the others.

        References of all sets in use run first. Returns the verdicts (in input order) and the
        grader's own failures, if any.
        """
        failures: list[str] = []
        wanted = set()
        for sub in subs:
            _, name, _, _ = self.read(sub)
            if name:
                wanted.add(name)
        try:
            self.prepare(wanted)
        except GraderError as exc:
            failures.append(str(exc))
        done = [0]
        lock = threading.Lock()

        def one(sub: Submission) -> Verdict:
            try:
                v = self.grade(sub)
            except GraderError as exc:
                failures.append(f"{sub.rel}: {exc}")
                v = Verdict(
                    sub.path.name,
                    error=f"grader failure: {str(exc).splitlines()[0]}",
                    student=sub.student,
                    path=sub.rel,
                )
            except Exception:  # noqa: BLE001 - keep grading the other notebooks
                failures.append(f"{sub.rel}: {traceback.format_exc(limit=8)}")
                v = Verdict(
                    sub.path.name,
                    error="internal grader error (see the grader's log)",
                    student=sub.student,
                    path=sub.rel,
                )
            with lock:
                done[0] += 1
                if progress:
                    progress(done[0], len(subs), v)
            return v

        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            verdicts = list(pool.map(one, subs))
        return verdicts, failures


def runtime_violations(asm: Assembly, run: Any) -> dict[str, list[str]]:
    """Forbidden calls the run-time guards saw, by the solution cell that made them."""
    files = {c.filename: c.grade_id or "" for c in asm.cells if c.role == "solution"}
    out: dict[str, list[str]] = {}
    for ev in run.events:
        if ev.get("event") != "violation":
            continue
        gid = files.get(ev.get("file"))
        name = ev.get("name")
        if gid is None or not isinstance(name, str) or gid not in asm.forbid:
            continue
        msg = f"called {safe_text(name, 80)} while running (checked at run time)"
        if msg not in out.setdefault(gid, []):
            out[gid].append(msg)
    return out


def warn(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def practice_run(path: Path, timeout: float, sandbox: bool = True) -> tuple[list[tuple], str]:
    """Run a student's notebook as it is (no solutions needed), in the sandbox, with the checks
    in practice mode: the visible checks' verdicts, as the student would see them in Jupyter.

    Returns ``(rows, error)``: one ``(grade_id, status, message)`` per test cell, or an error.
    """
    from .score import error_text

    try:
        cells = parse_submission(read_submission_bytes(path), path.name)
    except NotebookError as exc:
        return [], str(exc)
    code = [c for c in cells if c.cell_type == "code"]
    jobs = [
        JobCell(i, c.role if c.role in ("solution", "test") else "other", c.grade_id, c.source)
        for i, c in enumerate(code)
    ]
    run = run_job(
        Assembly(jobs, {}, {}, {}), 0, timeout, sandbox=sandbox, uid=uid_block(), practice=True
    )
    _, ends = run.cell_events()
    rows = []
    for job in jobs:
        if job.role != "test":
            continue
        name = job.grade_id or f"cell {job.index}"
        end = ends.get(job.index)
        if end is None:
            rows.append((name, "not run", run.stopped or "the kernel stopped before this cell"))
        elif end.get("status") == "ok":
            rows.append((name, "ok", "the visible checks pass"))
        else:
            status = "timeout" if end.get("status") == "timeout" else "failed"
            rows.append((name, status, error_text(end.get("error"))))
    return rows, ""
