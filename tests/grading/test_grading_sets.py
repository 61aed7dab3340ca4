"""Every exercise set in solutions/: valid source, exercises/ up to date, the reference solution
assembled into the exercise notebook scores full marks, the blank exercise scores 0, both graded
in the sandbox with a random hidden seed (a reference that fails for some seed fails here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nnlib.grading.generate import render_exercise
from nnlib.grading.grader import Session, Submission, discover_sets
from nnlib.grading.notebook import cells_of
from nnlib.grading.sandbox import probe

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted((ROOT / "solutions").glob("*.ipynb"))
TIMEOUT = 60.0  # per cell; generous: this checks scores, not speed, and the suite runs in parallel


def test_there_is_at_least_one_exercise_set():
    assert SETS, "no solutions/*.ipynb"


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_source_is_valid_and_exercise_is_up_to_date(path):
    exercise = ROOT / "exercises" / path.name
    assert exercise.exists(), f"missing {exercise}: run python -m nnlib.grading generate"
    assert exercise.read_text(encoding="utf-8") == render_exercise(path), (
        f"{exercise} is out of date: run python -m nnlib.grading generate"
    )


def _with_reference_solutions(path: Path) -> dict:
    exercise = json.loads((ROOT / "exercises" / path.name).read_text(encoding="utf-8"))
    source = {
        c.grade_id: c.source
        for c in cells_of(json.loads(path.read_text(encoding="utf-8")))
        if c.role == "solution"
    }
    for cell in exercise["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in source:
            cell["source"] = source[gid]
    return exercise


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    why = probe()
    if why is not None and os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"the sandbox must work on CI: {why}")
    # without bubblewrap (a laptop), these trusted notebooks are graded unsandboxed
    session = Session(discover_sets(ROOT / "solutions"), TIMEOUT, jobs=2, sandbox=why is None)
    subs = []
    for path in SETS:
        solved = tmp_path_factory.mktemp("solved") / path.name
        solved.write_text(json.dumps(_with_reference_solutions(path)), encoding="utf-8")
        subs += [
            Submission(solved, "reference", path.name),
            Submission(ROOT / "exercises" / path.name, "blank", path.name),
        ]
    found, failures = session.grade_many(subs)
    assert not failures, failures
    return {(s.student, s.rel): v for s, v in zip(subs, found)}


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_reference_solutions_score_full_marks(verdicts, path):
    v = verdicts[("reference", path.name)]
    assert v.max_score > 0 and v.score == v.max_score, v.to_json()
    assert all(t.status == "passed" for t in v.tests), v.to_json()


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_blank_exercise_scores_zero(verdicts, path):
    v = verdicts[("blank", path.name)]
    assert v.error is None and v.tests, v.to_json()
    assert v.score == 0 and v.max_score > 0, v.to_json()
    assert all(t.status in ("error", "failed") for t in v.tests), v.to_json()


BOOK_SETS = [p for p in SETS if p.name[:2].isdigit() and p.name[:2] != "00"]


@pytest.mark.parametrize("path", BOOK_SETS, ids=lambda p: p.stem)
def test_book_sets_follow_the_chapters_checklist(path):
    """CHAPTERS.md: 6-10 tasks; every graded test cell has a hidden check (points come only from
    hidden checks) and a visible one (feedback the student can run)."""
    from nnlib.grading.rewrite import plan_test_cell

    cells = cells_of(json.loads(path.read_text(encoding="utf-8")))
    solutions = [c for c in cells if c.role == "solution"]
    assert 6 <= len(solutions) <= 10, f"{path.name}: {len(solutions)} tasks"
    for cell in (c for c in cells if c.role == "test"):
        sites = plan_test_cell(cell.source).sites
        assert any(s.hidden for s in sites), f"{cell.grade_id} has no hidden check"
        assert any(not s.hidden for s in sites), f"{cell.grade_id} gives the student no feedback"


@pytest.mark.parametrize("name", ["01_units.ipynb", "02_xor.ipynb"])
def test_chapters_1_2_tasks_cannot_be_passed_by_the_library(name):
    """Issue #16: every task of chapters 1-2 is something nnlib (or the chapter's module) already
    does, so every solution cell says what it may not use; tests/grading/hostile/cases.py shows
    that calling it anyway earns nothing."""
    cells = cells_of(json.loads((ROOT / "solutions" / name).read_text(encoding="utf-8")))
    for cell in (c for c in cells if c.role == "solution"):
        assert cell.forbid, f"solution cell {cell.grade_id} forbids nothing"
        assert any(f.startswith("nnlib") for f in cell.forbid), cell.forbid
