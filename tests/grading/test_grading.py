"""Unit tests of nnlib.grading without a kernel: checks, validation, generation, assembly,
identification, scoring of records, report formats."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nnlib.grading import checks
from nnlib.grading.assemble import assemble, cell_nonce, grading_test_source, submitted_solutions
from nnlib.grading.generate import exercise_notebook, strip_hidden, stub_source
from nnlib.grading.grader import discover_sets, identify
from nnlib.grading.notebook import NotebookError, cells_of, read_submission, validate_source
from nnlib.grading.report import Verdict, classroom, classroom_base64, markdown, table
from nnlib.grading.score import TestResult, compare_records, parse_records, values_match

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- checks (practice mode)
def test_check_close_passes_and_says_so(capsys):
    checks.check_close(np.array([0.5, 0.25]), [0.5, 0.25 + 1e-9], name="v")
    assert capsys.readouterr().out.startswith("ok: v")


def test_check_close_failure_names_expected_got_tolerance_and_hint():
    with pytest.raises(AssertionError) as exc:
        checks.check_close(0.3, 0.7047, name="unit", atol=1e-4, hint="z = 0.87")
    msg = str(exc.value)
    for part in (
        "check_close failed for unit",
        "expected 0.7047",
        "got 0.3",
        "atol=0.0001",
        "z = 0.87",
    ):
        assert part in msg


@pytest.mark.parametrize(
    ("got", "expected", "needle"),
    [
        (np.zeros(3), np.zeros(2), "expected shape (2,), got shape (3,)"),
        (np.nan, 1.0, "expected 1.0"),
        ("abc", 1.0, "not a number"),
    ],
)
def test_check_close_rejects(got, expected, needle):
    with pytest.raises(AssertionError, match=None) as exc:
        checks.check_close(got, expected, name="x")
    assert needle in str(exc.value)


def test_check_equal_and_shape():
    checks.check_equal(np.array([1, 2]), np.array([1, 2]), name="ints")
    checks.check_equal((2, 3), (2, 3), name="tuple")
    checks.check_shape(np.zeros((2, 3)), (2, 3), name="z")
    with pytest.raises(AssertionError, match="expected 'b', got 'a'"):
        checks.check_equal("a", "b", name="s")
    with pytest.raises(AssertionError, match=r"expected shape \(3, 2\), got shape \(2, 3\)"):
        checks.check_shape(np.zeros((2, 3)), (3, 2), name="z")
    with pytest.raises(AssertionError):
        checks.check_equal(np.array([1, 2]), np.array([1, 3]), name="ints")


# ---------------------------------------------------------------- checks (grading mode)
@pytest.fixture
def grading_mode():
    checks._begin("n" * 32, "gid")
    yield
    checks._grading = None


def test_grading_mode_prints_records_bound_to_the_nonce(grading_mode, capsys):
    checks.check_close(-0.0, None, name="a")
    checks.check_equal((1, 2), None, name="b")
    recs = parse_records(capsys.readouterr().out)
    assert [r["name"] for r in recs] == ["a", "b"]
    assert recs[0]["value"] == {"shape": [], "kind": "f", "values": [0.0]}
    assert recs[1]["value"] == {"tuple": [1, 2]}
    payload = {k: v for k, v in recs[0].items() if k != "mac"}
    assert recs[0]["mac"] == checks.record_mac("n" * 32, payload)
    assert recs[0]["mac"] != checks.record_mac("m" * 32, payload)


def test_records_compare_with_the_reference_outside_the_kernel(capsys):
    from nnlib.grading.assemble import GradedCell

    cell = GradedCell(0, "test", "gid", 1.0, "k" * 32)

    def run(value):
        checks._begin("k" * 32, "gid")
        try:
            checks.check_close(value, None, name="s", rtol=1e-6, atol=1e-12)
        finally:
            checks._grading = None
        return capsys.readouterr().out

    z = np.array([-30.0, -2.0, 0.0, 3.0])
    stable = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(z) / (1 + np.exp(z)))
    refs = parse_records(run(stable))
    assert compare_records(cell, refs, run(0.5 * (1 + np.tanh(z / 2)))) is None  # honest variant
    wrong = compare_records(cell, refs, run(np.tanh(z)))
    assert wrong is not None and "expected" in wrong and "got" in wrong
    assert "2 check results for 1 checks" in compare_records(cell, refs, run(stable) * 2)
    forged = run(stable).replace(refs[0]["mac"], "0" * 64)
    assert "forged" in compare_records(cell, refs, forged)
    assert "only 0 of 1" in compare_records(cell, refs, "ok: s\n")


def test_values_match_uses_the_reference_tolerance():
    ref = {"kind": "close", "atol": 0.0, "rtol": 1e-6, "value": {"shape": [], "values": [2.0]}}
    assert values_match(ref, {"value": {"shape": [], "values": [2.000001]}})
    assert not values_match(ref, {"value": {"shape": [], "values": [2.00001]}})
    assert not values_match(ref, {"value": {"shape": [1], "values": [2.0]}})
    assert not values_match(ref, {"value": "not numeric: function"})


# ---------------------------------------------------------------- validation and generation
def _meta(kind: str, gid: str, points=None) -> dict:
    m = {
        "grade": kind == "test",
        "solution": kind == "solution",
        "locked": kind != "solution",
        "grade_id": gid,
        "schema_version": 3,
    }
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def _nb(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for kind, gid, src, *pts in cells:
        c = nbformat.v4.new_code_cell(src, metadata=_meta(kind, gid, *pts))
        c["id"] = gid
        nb.cells.append(c)
    return nb


SOL = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
TEST = (
    'check_close(f(1.0), 2.0, name="f(1)")\n### BEGIN HIDDEN TESTS\n'
    'check_close(f(3.0), 6.0, name="f(3)")\n### END HIDDEN TESTS'
)


def test_a_good_source_validates():
    assert validate_source(_nb(("solution", "f", SOL), ("test", "t", TEST, 1)), "x") == []


@pytest.mark.parametrize(
    ("cells", "needle"),
    [
        (
            [("solution", "f", SOL.replace("    ### END SOLUTION", "")), ("test", "t", TEST, 1)],
            "unbalanced solution",
        ),
        ([("solution", "f", SOL), ("test", "f", TEST, 1)], "repeats"),
        ([("solution", "f", SOL), ("test", "t", TEST)], "needs positive 'points'"),
        ([("solution", "f", SOL), ("test", "t", TEST, 0)], "needs positive 'points'"),
        ([("solution", "f", SOL), ("test", "t", "assert f(1) == 2", 1)], "calls no check_"),
        (
            [("solution", "f", SOL), ("test", "t", TEST.replace("### END HIDDEN TESTS", ""), 1)],
            "hidden-test markers",
        ),
        (
            [("solution", "f", SOL), ("test", "t", "%time check_close(1, 1, name='x')", 1)],
            "not plain Python",
        ),
        ([("solution", "f", SOL)], "no graded test cell"),
    ],
)
def test_validation_catches(cells, needle):
    problems = validate_source(_nb(*cells), "x")
    assert any(needle in p for p in problems), problems


def test_generation_stubs_solutions_strips_hidden_tests_and_outputs():
    nb = _nb(("solution", "f", SOL), ("test", "t", TEST, 1))
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nb.cells[0].execution_count = 3
    ex = exercise_notebook(nb)
    assert "return 2 * x" not in ex.cells[0].source
    assert 'raise NotImplementedError("f: not solved yet' in ex.cells[0].source
    assert ex.cells[0].source.startswith("def f(x):\n    # YOUR CODE HERE")
    assert "f(3)" not in ex.cells[1].source and "f(1)" in ex.cells[1].source
    assert ex.cells[0].outputs == [] and ex.cells[0].execution_count is None
    assert ex.cells[1].metadata == nb.cells[1].metadata  # metadata kept for the grader
    assert strip_hidden(TEST) == 'check_close(f(1.0), 2.0, name="f(1)")'
    assert stub_source("x = 1", "g") == "x = 1"


# ---------------------------------------------------------------- assembly
def test_assembly_takes_only_solution_sources_from_the_submission():
    source = _nb(("solution", "f", SOL), ("test", "t", TEST, 1))
    submitted = _nb(("test", "t", "print('ok')", 99), ("solution", "f", "def f(x):\n    return 0"))
    solutions, notes = submitted_solutions(cells_of(submitted))
    asm = assemble(source, solutions, "r" * 32)
    srcs = [c.source for c in asm.notebook.cells]
    assert srcs[0] == "def f(x):\n    return 0"
    assert "print('ok')" not in srcs[1]
    assert "f(1.0), None" in srcs[1] and "2.0" not in srcs[1]  # expected value withheld
    assert "f(3.0), None" in srcs[1] and "_hidden(True)" in srcs[1]
    assert f"_begin('{cell_nonce('r' * 32, 't')}', 't')" in srcs[1]
    assert [c.role for c in asm.cells] == ["solution", "test"] and asm.tests[0].points == 1.0


def test_missing_and_duplicated_solution_cells_are_reported():
    source = _nb(("solution", "f", SOL), ("test", "t", TEST, 1))
    asm = assemble(source, {}, "r" * 32)
    assert "NotImplementedError" in asm.notebook.cells[0].source
    assert any("missing" in n for n in asm.notes)
    dup = _nb(("solution", "f", "A = 1"), ("solution", "f", "A = 2"))
    solutions, notes = submitted_solutions(cells_of(dup))
    assert solutions == {"f": "A = 1"} and "more than once" in notes[0]


def test_withholding_covers_keyword_and_attribute_calls():
    src = (
        "import nnlib.grading.checks as C\n"
        "C.check_equal(g(), expected=(1, 2), name='a')\ncheck_shape(h(), (2, 3), name='b')"
    )
    out = grading_test_source(src, "t", "n" * 32)
    assert "(1, 2)" not in out and "(2, 3)" not in out and out.count("None") == 2


# ---------------------------------------------------------------- reading and identifying
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty file"),
        (b"{not json", "not valid notebook JSON"),
        (b"[1, 2]", "not a notebook"),
        (b'{"nbformat": 3, "worksheets": []}', "nbformat version 3"),
        (b'{"nbformat": 4}', "no list of cells"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_damaged_submissions_get_clear_errors(tmp_path, content, needle):
    p = tmp_path / "01_units.ipynb"
    p.write_bytes(content)
    with pytest.raises(NotebookError, match=None) as exc:
        read_submission(p)
    assert needle in str(exc.value)


def test_identification_by_name_token_and_grade_ids():
    sets = discover_sets(ROOT / "solutions")
    assert "01_units.ipynb" in sets
    cells = cells_of(json.loads((ROOT / "exercises" / "01_units.ipynb").read_text()))
    assert identify(Path("01_units.ipynb"), [], sets)[0] == "01_units.ipynb"
    assert identify(Path("alice-01_units.ipynb"), [], sets)[0] == "01_units.ipynb"
    name, note = identify(Path("homework.ipynb"), cells, sets)
    assert name == "01_units.ipynb" and "grade_ids" in note
    name, note = identify(Path("homework.ipynb"), [], sets)
    assert name is None and "cannot identify the exercise set" in note
    assert identify(Path("101_units_x.ipynb"), [], sets)[0] is None


# ---------------------------------------------------------------- reports
def _verdict() -> Verdict:
    return Verdict(
        "01_units.ipynb",
        [
            TestResult("t1", 1.0, 1.0, "passed", "2 checks ok"),
            TestResult("t2", 0.0, 2.0, "failed", "check 'x': expected 1, got 2 | oops"),
        ],
        exercise="01_units.ipynb",
    )


def test_json_table_markdown():
    v = _verdict()
    j = v.to_json()
    assert (j["notebook"], j["score"], j["max_score"]) == ("01_units.ipynb", 1, 3)
    assert set(j["tests"][0]) == {"grade_id", "points", "max_points", "status", "message"}
    text = table(v)
    assert "t2" in text and "0/2" in text and "TOTAL 1/3" in text
    md = markdown([v])
    assert "1 / 3 points" in md and "\\|" in md


def test_classroom_result_version_3():
    result = classroom([_verdict(), Verdict("broken.ipynb", error="empty file")])
    assert result["version"] == 3 and result["max_score"] == 3
    assert result["status"] == "error"  # the broken notebook
    names = [t["name"] for t in result["tests"]]
    assert names == ["01_units.ipynb: t1", "01_units.ipynb: t2", "broken.ipynb"]
    first = result["tests"][0]
    assert first["status"] == "pass" and first["score"] == 1
    for key in ("message", "test_code", "filename", "line_no", "duration"):
        assert key in first
    decoded = json.loads(base64.b64decode(classroom_base64([_verdict()])))
    assert decoded["status"] == "fail" and sum(t["score"] for t in decoded["tests"]) == 1


# ---------------------------------------------------------------- course workflow template
def test_course_workflow_template_runs_a_valid_grade_command():
    import shlex

    import yaml

    from nnlib.grading.cli import _parser

    wf = yaml.safe_load((ROOT / "templates" / "github-classroom" / "classroom.yml").read_text())
    assert wf["name"] == "Autograding Tests"  # required by the Classroom reporter
    steps = wf["jobs"]["run-autograding-tests"]["steps"]
    grade = next(s for s in steps if s.get("id") == "grade")
    argv = shlex.split(grade["run"])
    assert argv[:4] == ["python", "-m", "nnlib.grading", "grade"]
    args = _parser().parse_args(argv[3:])
    assert args.classroom and args.forget_source and str(args.markdown) == "$GITHUB_STEP_SUMMARY"
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"] == "grade" and "GRADE_RESULTS" in reporter["env"]
