"""Unit tests of nnlib.grading without a kernel: the checks (practice and grading mode), portable
values, the authoring rules, generation, test-cell rewriting, constraints, scoring, reports."""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nnlib import Tensor, nn
from nnlib.grading import checks, portable
from nnlib.grading.assemble import assemble, submitted_solutions
from nnlib.grading.authoring import validate_source
from nnlib.grading.constraints import aliases_of, resolve, static_violations
from nnlib.grading.generate import exercise_notebook
from nnlib.grading.grader import discover_sets, discover_submissions, identify
from nnlib.grading.notebook import NotebookError, cells_of, parse_submission
from nnlib.grading.report import (
    GRADEBOOK_COLUMNS,
    Verdict,
    classroom,
    classroom_base64,
    feedback,
    gradebook_csv,
    markdown,
    table,
    write_atomic,
)
from nnlib.grading.rewrite import kernel_test_source, plan_test_cell, strip_hidden, stub_source
from nnlib.grading.score import CheckResult, TestResult, compare

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- checks (practice mode)
def test_check_close_passes_and_says_so(capsys):
    checks.check_close(np.array([0.5, 0.25]), [0.5, 0.25 + 1e-9], name="v")
    assert capsys.readouterr().out.startswith("ok: v")


def test_check_close_failure_names_expected_got_tolerance_and_hint():
    with pytest.raises(AssertionError) as exc:
        checks.check_close(0.3, 0.7047, name="unit", atol=1e-4, hint="z = 0.87")
    msg = str(exc.value)
    for part in ("check_close failed for unit", "expected 0.7047", "got 0.3", "atol=0.0001"):
        assert part in msg
    assert "Hint: z = 0.87" in msg


@pytest.mark.parametrize(
    ("got", "expected", "needle"),
    [
        (np.zeros(3), np.zeros(2), "expected shape (2,), got shape (3,)"),
        (np.nan, 1.0, "expected 1.0"),
        ("abc", 1.0, "not a number"),
    ],
)
def test_check_close_rejects(got, expected, needle):
    with pytest.raises(AssertionError) as exc:
        checks.check_close(got, expected, name="x")
    assert needle in str(exc.value)


def test_float32_answers_are_accepted_at_float32_precision_unless_float64_is_asked():
    z = np.linspace(-30, 30, 7)
    exact = 1 / (1 + np.exp(-z))
    single = exact.astype(np.float32)
    assert np.abs(single - exact).max() > 1e-9  # float32 really differs from float64 here
    checks.check_close(single, exact, name="s", rtol=1e-9, atol=1e-12)
    with pytest.raises(AssertionError):
        checks.check_close(single, exact, name="s", rtol=1e-9, atol=1e-12, float64=True)
    with pytest.raises(AssertionError):  # float32 precision is not a licence to be wrong
        checks.check_close(single * np.float32(1.001), exact, name="s")


def test_check_equal_and_shape():
    checks.check_equal(np.array([1, 2]), np.array([1, 2]), name="ints")
    checks.check_equal((2, 3), (2, 3), name="tuple")
    checks.check_equal(np.int64(3), 3, name="numpy scalar equals a Python int")
    checks.check_shape(np.zeros((2, 3)), (2, 3), name="z")
    with pytest.raises(AssertionError, match="expected 'b', got 'a'"):
        checks.check_equal("a", "b", name="s")
    with pytest.raises(AssertionError, match=r"expected shape \(3, 2\), got shape \(2, 3\)"):
        checks.check_shape(np.zeros((2, 3)), (3, 2), name="z")
    with pytest.raises(AssertionError):
        checks.check_equal(np.array([1, 2]), np.array([1, 3]), name="ints")
    with pytest.raises(AssertionError):
        checks.check_equal([1, 2], (1, 2), name="a list is not a tuple")
    with pytest.raises(ValueError, match="weight"):
        checks.check_equal(1, 1, name="w", weight=0)


def _is_two(x, rng):
    assert isinstance(rng, np.random.Generator)
    return int(x) == 2


def test_check_object_evaluates_a_rebuilt_copy():
    checks.check_object(2, True, name="two", evaluate=_is_two)
    with pytest.raises(AssertionError, match="expected True, got False"):
        checks.check_object(3, True, name="three", evaluate=_is_two)

    class Custom:
        pass

    with pytest.raises(AssertionError, match="cannot use this object"):
        checks.check_object(Custom(), True, name="custom", evaluate=_is_two)


def test_hidden_seed_is_fixed_in_practice_and_set_by_the_grader():
    a, b = checks.hidden_seed("x"), checks.hidden_seed("y")
    assert a == checks.hidden_seed("x") and a != b and 0 <= a < 2**32
    lines = []
    checks._configure(lines.append, seed=123)
    try:
        graded = checks.hidden_seed("x")
        assert graded != a and graded == checks.hidden_seed("x")
        same = checks.hidden_rng("z").normal(size=3)
    finally:
        checks._grading = None
    checks._configure(lines.append, seed=123)
    try:
        assert np.array_equal(same, checks.hidden_rng("z").normal(size=3))
    finally:
        checks._grading = None


# ---------------------------------------------------------------- checks (grading mode)
def test_grading_mode_reports_values_on_the_channel_never_on_stdout(capsys):
    lines: list[str] = []
    checks._configure(lines.append, seed=1)
    try:
        checks._begin("gid")
        checks._stmt(0, False)
        checks.check_close(np.float32(-0.0), None, name="a")
        checks._stmt(1, True)
        checks.check_equal((1, 2), None, name="b")
        checks.check_equal((1, 2), None, name="b")  # the same call again (a loop)
        checks._stmt_failed(2, ValueError("bad\nsecond line"))
    finally:
        checks._grading = None
    assert capsys.readouterr().out == ""
    recs = [json.loads(x) for x in lines]
    a, b1, b2, err = recs
    assert (a["cell"], a["stmt"], a["kind"], a["hidden"]) == ("gid", 0, "close", False)
    assert portable.decode(a["value"]).dtype == np.float32  # the dtype travels with the value
    assert (b1["stmt"], b1["seq"], b2["seq"], b1["hidden"]) == (1, 0, 1, True)
    assert portable.decode(b1["value"]) == (1, 2)
    assert err == {"event": "stmt_error", "cell": "gid", "stmt": 2, "error": ["ValueError", "bad"]}


# ---------------------------------------------------------------- portable values
def test_portable_round_trip_of_data_and_networks():
    net = nn.MLP([2, 3, 1], "tanh", rng=0)
    value = {"w": [1.0, 2], "t": (np.arange(3, dtype=np.int8), True, None, "s"), "net": net}
    back = portable.decode(json.loads(json.dumps(portable.encode(value))))
    assert back["t"][0].dtype == np.int8 and back["t"][1:] == (True, None, "s")
    x = Tensor(np.array([[0.3, -1.2], [2.0, 0.5]]))
    assert type(back["net"]) is nn.MLP
    assert np.array_equal(back["net"](x).data, net(x).data)
    assert len(back["net"].parameters()) == len(net.parameters())
    layers = nn.Sequential(
        nn.Linear(2, 3, rng=1), nn.Activation("swish"), nn.Dropout(0.3, rng=2), nn.LeakyReLU(0.2)
    )
    layers.eval()
    again = portable.decode(json.loads(json.dumps(portable.encode(layers))))
    assert np.array_equal(again(x).data, layers(x).data) and not again.training


def test_portable_refuses_code_and_unknown_classes():
    class Sneaky(nn.Module):
        def forward(self, x):
            return x

    for bad in (lambda x: x, Sneaky(), object(), np.array(["a"])):
        with pytest.raises(portable.Unportable):
            portable.encode(bad)
    for data in (
        {"$module": "os.system", "state": {}},
        {"$module": "Linear", "state": {"__class__": 1}},
        {"$module": "Activation", "state": {"activation": "os.system"}},
        {"$array": {"dtype": "O8", "shape": [1], "data": ""}},
        {"$array": {"dtype": "f8", "shape": [2], "data": base64.b64encode(b"x" * 8).decode()}},
        {"$pickle": "..."},
    ):
        with pytest.raises(portable.Unportable):
            portable.decode(data)


# ---------------------------------------------------------------- authoring rules
def _meta(kind: str, gid: str, points=None, **nnbook) -> dict:
    m = {
        "grade": kind == "test",
        "solution": kind == "solution",
        "locked": kind != "solution",
        "grade_id": gid,
        "schema_version": 3,
    }
    if points is not None:
        m["points"] = points
    out = {"nbgrader": m}
    if kind == "grader":
        nnbook["grader"] = True
    if nnbook:
        out["nnbook"] = nnbook
    return out


def _nb(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for kind, gid, src, *rest in cells:
        points = rest[0] if rest else None
        extra = rest[1] if len(rest) > 1 else {}
        c = nbformat.v4.new_code_cell(src, metadata=_meta(kind, gid, points, **extra))
        c["id"] = gid
        nb.cells.append(c)
    return nb


SOL = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
TEST = (
    'check_close(f(1.0), 2.0, name="f(1)")\n### BEGIN HIDDEN TESTS\n'
    'x = hidden_rng("x").normal(size=3)\n'
    'check_close(f(x), 2 * x, name="f(x)", weight=2)\n'
    'check_close(f(3.0), 6.0, name="f(3)")\n### END HIDDEN TESTS'
)
GRADER = "def is_two(obj, rng):\n    return obj == 2"
OBJ_TEST = (
    'check_equal(f(1), 2, name="f(1)")\n### BEGIN HIDDEN TESTS\n'
    'check_object(f(1), True, name="f(1) judged by the grader", evaluate=is_two)\n'
    "### END HIDDEN TESTS"
)


def test_a_good_source_validates():
    assert validate_source(_nb(("solution", "f", SOL), ("test", "t", TEST, 1)), "x") == []
    good = _nb(
        ("grader", "g", GRADER),
        ("solution", "f", SOL, None, {"forbid": ["numpy.tanh", "nnlib.functional", "scipy"]}),
        ("test", "t", OBJ_TEST, 2),
    )
    assert validate_source(good, "x") == []


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
            [("solution", "f", SOL), ("test", "t", 'check_close(f(1), 2, name="v")', 1)],
            "no hidden check",
        ),
        (
            [("solution", "f", SOL), ("test", "t", TEST.replace("### END HIDDEN TESTS", ""), 1)],
            "hidden-test markers",
        ),
        (
            [("solution", "f", SOL), ("test", "t", "%time check_close(1, 1, name='x')", 1)],
            "not plain Python",
        ),
        ([("solution", "f", SOL)], "no graded test cell"),
        ([("test", "t", TEST, 1)], "must follow the solution cell"),
        (
            [("solution", "f", SOL, None, {"forbid": ["numpy.tanhh"]}), ("test", "t", TEST, 1)],
            "unknown constraint name",
        ),
        (
            [("solution", "f", SOL, None, {"forbids": ["numpy.tanh"]}), ("test", "t", TEST, 1)],
            "unknown key nnbook.forbids",
        ),
        (
            [("solution", "f", SOL), ("test", "t", TEST.replace(', name="f(3)"', ""), 1)],
            "needs name=",
        ),
        (
            [("solution", "f", SOL), ("test", "t", TEST.replace("weight=2", "weight=-1"), 1)],
            "weight",
        ),
        (
            [("solution", "f", SOL), ("test", "t", OBJ_TEST, 1)],
            "evaluate=is_two is not defined in a grader cell",
        ),
        (
            [
                ("grader", "g", GRADER),
                ("solution", "f", SOL),
                ("test", "t", OBJ_TEST.replace("True, name", "f(2), name"), 1),
            ],
            "must be a literal",
        ),
        (
            [
                ("grader", "g", GRADER),
                ("solution", "f", SOL),
                ("test", "t", "check_object(f(1), True, name='v', evaluate=is_two)\n" + TEST, 1),
            ],
            "must be inside the hidden tests",
        ),
        (
            [("solution", "f", SOL), ("test", "t", "z = hidden_rng().normal()\n" + TEST, 1)],
            "belongs in the hidden tests",
        ),
        (
            [
                ("solution", "f", SOL),
                (
                    "test",
                    "t",
                    TEST.replace("### BEGIN HIDDEN TESTS", "    ### BEGIN HIDDEN TESTS"),
                    1,
                ),
            ],
            "beginning of a line",
        ),
        (
            [("solution", "f", SOL + "\ncheck_close(f(1), 2, name='x')"), ("test", "t", TEST, 1)],
            "belong in graded test cells",
        ),
    ],
)
def test_validation_catches(cells, needle):
    problems = validate_source(_nb(*cells), "x")
    assert any(needle in p for p in problems), problems


def test_generate_refuses_a_set_that_breaks_the_rules(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "solutions"
    src.mkdir()
    nbformat.write(
        _nb(("solution", "f", SOL), ("test", "t", "check_close(1, 1, name='x')", 1)),
        src / "09_bad.ipynb",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nnlib.grading", "generate", "--source", str(src)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "no hidden check" in proc.stderr
    assert not (tmp_path / "exercises" / "09_bad.ipynb").exists()
    empty = subprocess.run(
        [sys.executable, "-m", "nnlib.grading", "generate", "--source", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert empty.returncode == 2 and "no solutions folder" in empty.stderr


def test_generation_stubs_solutions_strips_hidden_tests_grader_cells_and_outputs():
    nb = _nb(("grader", "g", GRADER), ("solution", "f", SOL), ("test", "t", TEST, 1))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nb.cells[1].execution_count = 3
    ex = exercise_notebook(nb)
    assert [c.id for c in ex.cells] == ["f", "t"]  # the grader cell is gone
    assert "return 2 * x" not in ex.cells[0].source
    assert 'raise NotImplementedError("f: not solved yet' in ex.cells[0].source
    assert "f(3)" not in ex.cells[1].source and "f(1)" in ex.cells[1].source
    assert ex.cells[0].outputs == [] and ex.cells[0].execution_count is None
    assert strip_hidden(TEST) == 'check_close(f(1.0), 2.0, name="f(1)")'
    assert stub_source("x = 1", "g") == "x = 1"


# ---------------------------------------------------------------- rewriting and assembly
def test_kernel_source_withholds_expected_values_and_isolates_statements():
    plan = plan_test_cell(TEST)
    assert plan.statements == [False, True, True, True]
    assert [(s.func, s.stmt, s.hidden) for s in plan.sites] == [
        ("check_close", 0, False),
        ("check_close", 2, True),
        ("check_close", 3, True),
    ]
    out = kernel_test_source(TEST, "t")
    tree = ast.parse(out)
    assert all(isinstance(s, ast.Try) for s in tree.body[2:])  # one try per statement
    assert "2 * x" not in out and "6.0" not in out and "2.0" not in out
    assert "_site=2" in out and "_stmt(3, True)" in out
    kept = kernel_test_source(TEST, "t", withhold=False)
    assert "6.0" in kept and "2 * x" in kept


def test_object_checks_never_send_the_evaluator_or_expected_value_to_the_kernel():
    out = kernel_test_source(OBJ_TEST, "t", withhold=False)  # even in the reference run
    assert "is_two" not in out and "True, name" not in out


def test_assembly_takes_only_solution_sources_from_the_submission_the_last_one_wins():
    source = _nb(("grader", "g", GRADER), ("solution", "f", SOL), ("test", "t", TEST, 1))
    submitted = _nb(
        ("test", "t", "print('ok')", 99),
        ("solution", "f", "def f(x):\n    return 0"),
        ("solution", "f", "def f(x):\n    return 2 * x"),
    )
    solutions, notes = submitted_solutions(cells_of(submitted))
    asm = assemble(source, solutions)
    assert [c.role for c in asm.cells] == ["solution", "test"]  # no grader cell
    assert asm.cells[0].source == "def f(x):\n    return 2 * x" and "last cell" in notes[0]
    assert "print('ok')" not in asm.cells[1].source and asm.tests[0].points == 1.0
    missing = assemble(source, {})
    assert "NotImplementedError" in missing.cells[0].source and "missing" in missing.notes[0]


# ---------------------------------------------------------------- constraints
def test_constraint_names_resolve_or_are_refused():
    assert resolve("numpy.tanh").kind == "object"
    assert resolve("nnlib.functional").kind == "module"
    assert resolve("nnlib.tensor.Tensor.backward").kind == "method"
    assert resolve("scipy").kind == "package"
    for bad in ("numpy.tanhh", "nosuchpackage.x", "not a name"):
        with pytest.raises(ValueError):
            resolve(bad)


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ("def t(z):\n    return np.tanh(z)", True),
        ("def t(z):\n    return 2 * sigmoid(2 * z) - 1", False),
        ("from numpy import tanh as th\ndef t(z):\n    return th(z)", True),
        ("def t(z):\n    return my_tanh(z)", True),  # alias made in another cell
        ("def t(z):\n    return np.core.umath.tanh(z)", True),  # the same object, another path
        ("def t(z):\n    return getattr(np, 'ta' + 'nh')(z)", True),
        ("def t(z):\n    return np.__dict__['tanh'](z)", True),
        ("import scipy.special\ndef t(z):\n    return scipy.special.expit(z)", True),
        ("def t(z):\n    return F.relu(z)", False),
    ],
)
def test_static_analysis_of_a_constrained_cell(code, flagged):
    aliases = aliases_of(
        ["import numpy as np\nfrom nnlib import functional as F", "my_tanh = np.tanh"]
    )
    targets = [resolve("numpy.tanh"), resolve("scipy")]
    found = static_violations(code, targets, aliases)
    assert bool(found) == flagged, found


# ---------------------------------------------------------------- reading and identifying
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty file"),
        (b"{not json", "not valid notebook JSON"),
        (b"[1, 2]", "not a notebook"),
        (b'{"nbformat": 3, "worksheets": []}', "nbformat version 3"),
        (b'{"nbformat": "4", "cells": []}', "nbformat version 'str'"),
        (b'{"nbformat": 4}', "no list of cells"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = \\"\\ud800\\""}]}',
            "lone surrogate",
        ),
    ],
)
def test_damaged_submissions_get_clear_errors(content, needle):
    with pytest.raises(NotebookError) as exc:
        parse_submission(content, "01_units.ipynb")
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


def test_recursive_discovery_names_students_after_their_folders(tmp_path):
    (tmp_path / "alice" / "exercises").mkdir(parents=True)
    (tmp_path / "alice" / "exercises" / "01_units.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "01_units.ipynb").write_text("{}")
    (tmp_path / "bob" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "bob" / ".ipynb_checkpoints" / "01_units-checkpoint.ipynb").write_text("{}")
    (tmp_path / "carol").symlink_to(tmp_path / "bob")
    (tmp_path / "dave-01_units.ipynb").symlink_to(tmp_path / "bob" / "01_units.ipynb")
    subs, warnings = discover_submissions(tmp_path)
    assert [(s.student, s.rel) for s in subs] == [
        ("", "dave-01_units.ipynb"),
        ("alice", "alice/exercises/01_units.ipynb"),
        ("bob", "bob/01_units.ipynb"),
    ]
    assert any("carol" in w for w in warnings)


# ---------------------------------------------------------------- scoring
def _rec(value, kind="close", name="v", **extra):
    return {"kind": kind, "name": name, "value": portable.encode(value), **extra}


def test_compare_uses_the_reference_tolerance_and_accepts_float32():
    ref = _rec(np.array([2.0]), atol=0.0, rtol=1e-9)
    assert compare(ref, _rec(np.array([2.0 + 1e-9])))[0]
    assert not compare(ref, _rec(np.array([2.0 + 1e-6])))[0]
    assert compare(ref, _rec(np.array([2.0 + 1e-6], dtype=np.float32)))[0]
    assert not compare(ref, _rec(np.array([2.0, 2.0])))[0]
    assert not compare(ref, _rec("not numeric: function"))[0]
    assert not compare(ref, _rec(np.array([2.0]), name="other"))[0]
    eq = _rec((1, 2), kind="equal")
    assert (
        compare(eq, _rec((1, 2), kind="equal"))[0]
        and not compare(eq, _rec([1, 2], kind="equal"))[0]
    )


# ---------------------------------------------------------------- reports
def _verdict(student="alice") -> Verdict:
    return Verdict(
        "01_units.ipynb",
        [
            TestResult("t1", 1.0, 1.0, "passed", "2 checks ok", [CheckResult("a", True, 1, True)]),
            TestResult(
                "t2",
                0.5,
                2.0,
                "partial",
                "1 of 2 checks ok; x: expected 1, got 2 | oops",
                [
                    CheckResult("x", False, 1, False, "expected 1, got 2"),
                    CheckResult("y", True, 1, True),
                ],
            ),
        ],
        exercise="01_units.ipynb",
        student=student,
        path=f"{student}/01_units.ipynb",
    )


def test_json_table_markdown_feedback():
    v = _verdict()
    j = v.to_json()
    assert (j["notebook"], j["student"], j["score"], j["max_score"]) == (
        "01_units.ipynb",
        "alice",
        1.5,
        3,
    )
    assert j["tests"][1]["checks"][0] == {
        "name": "x",
        "hidden": False,
        "weight": 1,
        "ok": False,
        "message": "expected 1, got 2",
    }
    text = table(v)
    assert "t2" in text and "0.5/2" in text and "TOTAL 1.5/3" in text
    md = markdown([v])
    assert "1.5 / 3 points" in md and "\\|" in md
    fb = feedback("alice", [v])
    assert "Feedback for alice: 1.5 / 3" in fb and "FAILED: check *x*: expected 1, got 2" in fb


def test_gradebook_has_nbgraders_columns():
    rows = list(
        csv.DictReader(io.StringIO(gradebook_csv([_verdict("bob"), _verdict("alice")], "t")))
    )
    assert list(rows[0]) == GRADEBOOK_COLUMNS
    assert [(r["student_id"], r["assignment"], r["score"], r["max_score"]) for r in rows] == [
        ("alice", "01_units", "1.5", "3"),
        ("bob", "01_units", "1.5", "3"),
    ]


def test_atomic_writes_refuse_a_directory(tmp_path):
    write_atomic(tmp_path / "v.json", "{}")
    assert (tmp_path / "v.json").read_text() == "{}"
    (tmp_path / "d.json").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "d.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json", "v.json"]  # no leftovers


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
    assert decoded["status"] == "fail" and sum(t["score"] for t in decoded["tests"]) == 1.5


# ---------------------------------------------------------------- course workflow templates
def _workflow(path: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / "templates" / path).read_text())


def test_the_students_workflow_holds_no_secret_and_runs_only_the_visible_checks():
    text = (ROOT / "templates/student-repo/.github/workflows/check.yml").read_text()
    assert "secrets." not in text and "solutions" not in text.split("# Needs")[1]
    steps = _workflow("student-repo/.github/workflows/check.yml")["jobs"]["check"]["steps"]
    assert steps[-1]["run"].startswith("python -m nnlib.grading check --no-sandbox exercises/")


def test_the_central_grading_workflow_grades_in_the_sandbox_with_valid_arguments():
    import shlex

    from nnlib.grading.cli import _parser

    steps = _workflow("course-grading/.github/workflows/grade.yml")["jobs"]["grade"]["steps"]
    run = next(s["run"] for s in steps if s.get("name") == "Grade in the sandbox")
    argv = shlex.split(run)
    assert argv[:2] == ["sudo", "--preserve-env=PATH"] and "nnbook-grade" in argv[2]
    args = _parser().parse_args(["grade", *argv[3:]])
    assert not args.no_sandbox and args.gradebook and args.feedback and args.jobs == 2
    install = next(s["run"] for s in steps if "Install" in s.get("name", ""))
    assert "bubblewrap" in install
    collect = next(s for s in steps if "Collect" in s.get("name", ""))
    assert "STUDENT_REPOS_TOKEN" in collect["env"]["TOKEN"] and "rm -rf collect" in collect["run"]


# ---------------------------------------------------------------- command line
def test_a_missing_grading_extra_gets_a_friendly_message(monkeypatch):
    import importlib.util

    from nnlib.grading import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "IPython" else real(name, *a)
    )
    msg = cli.missing_extra()
    assert msg and "IPython" in msg and "pip install 'nnbook[grading]'" in msg
    assert cli.main(["generate"]) == 2


def test_the_console_command_is_installed():
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "nnbook-grade"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--gradebook" in proc.stdout and "--no-sandbox" in proc.stdout


def test_runtime_guards_wrap_functions_but_leave_classes_alone():
    """Forbidding a class (nnlib.tensor.Tensor) must not replace it: nnlib's own isinstance()
    checks would break, and the reference solution with them. Functions are wrapped and report
    calls from the constrained cell only."""
    import nnlib.functional as F
    from nnlib.grading.constraints import install_guards
    from nnlib.tensor import Tensor

    original_softmax = F.softmax
    calls = []
    try:
        skipped = install_guards(
            {"nnlib.tensor.Tensor": {"<cell-1>"}, "nnlib.functional.softmax": {"<cell-1>"}},
            lambda name, where: calls.append((name, where)),
        )
        assert "nnlib.tensor.Tensor" in skipped
        assert (
            sys.modules["nnlib.tensor"].Tensor is Tensor
        )  # untouched: the static check covers classes
        assert isinstance(Tensor(np.ones(2)) + 1, Tensor)
        code = compile("F.softmax(np.zeros(3))", "<cell-1>", "eval")
        eval(code, {"F": F, "np": np})
        np.testing.assert_allclose(F.softmax(np.zeros(2)), [0.5, 0.5])  # not from the cell
        assert calls == [("nnlib.functional.softmax", "<cell-1>")]
    finally:
        F.softmax = original_softmax
