"""A small exercise set written for the grader's own tests (``00_hostile.ipynb``), frozen here so
the hostile suite does not change when the book's exercise sets do. It is written into a
throwaway copy of the project at test time, never committed as a notebook (nbval would run it).

Tasks and points: sigmoid (S 1, T 1), unit_output (U 2), tanh_from_sigmoid, which may not use
numpy.tanh (V 1), AND weights judged by a grader cell (W 1): 6 points.
"""

from __future__ import annotations

import nbformat

NAME = "00_hostile.ipynb"
S, T, U, V, W = (
    "test_sigmoid_values",
    "test_sigmoid_stable",
    "test_unit_output",
    "test_tanh_from_sigmoid",
    "test_weights",
)

SETUP = """import numpy as np

from nnlib import functional as F
from nnlib.grading.checks import check_close, check_equal, check_object, check_shape, hidden_rng
"""
GRADER = """import numpy as np

from nnlib.chapters.xor import perceptron


def and_outputs(weights, rng):
    w, b = weights
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return tuple(int(v) for v in perceptron(X, np.asarray(w, dtype=float), float(b)))
"""
SIGMOID = """def sigmoid(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION
"""
TEST_S = """check_close(sigmoid(0.0), 0.5, name="sigmoid(0)", hint="sigma(0) = 1 / (1 + e^0)")
### BEGIN HIDDEN TESTS
z = hidden_rng("z").uniform(-30.0, 30.0, size=7)
check_close(sigmoid(z), 1.0 / (1.0 + np.exp(-z)), name="sigmoid on hidden z", rtol=1e-9, atol=1e-12)
check_close(sigmoid(3.0) + sigmoid(-3.0), 1.0, name="sigmoid(3) + sigmoid(-3)")
### END HIDDEN TESTS"""
TEST_T = """with np.errstate(over="raise", invalid="raise"):
    big = sigmoid(np.array([-800.0, -40.0, 40.0, 800.0]))
check_close(big, np.array([0.0, 4.248354255291589e-18, 1.0, 1.0]), name="sigmoid(+-800)", atol=1e-15)
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise"):
    edge = sigmoid(np.array([-710.0, 710.0, 0.5]))
check_close(edge, np.array([0.0, 1.0, 0.6224593312018546]), name="sigmoid near overflow", atol=1e-15)
### END HIDDEN TESTS"""
UNIT = """def unit_output(w, x, b):
    ### BEGIN SOLUTION
    return sigmoid(np.dot(np.asarray(w, dtype=float), np.asarray(x, dtype=float)) + b)
    ### END SOLUTION
"""
TEST_U = """w = np.array([0.2, 0.3, 0.9])
x = np.array([0.5, 0.6, 0.1])
y = unit_output(w, x, 0.5)
check_shape(y, (), name="unit_output(w, x, b)", hint="use np.dot(w, x)")
check_close(y, 0.7047456979980911, name="unit_output for the worked example", hint="z = 0.87")
### BEGIN HIDDEN TESTS
rng = hidden_rng("unit")
w2, x2 = rng.normal(size=5), rng.normal(size=5)
check_close(unit_output(w2, x2, 0.3), 1.0 / (1.0 + np.exp(-(w2 @ x2 + 0.3))), name="random unit")
### END HIDDEN TESTS"""
TANH = """def tanh_from_sigmoid(z):
    ### BEGIN SOLUTION
    return 2.0 * sigmoid(2.0 * np.asarray(z, dtype=float)) - 1.0
    ### END SOLUTION
"""
TEST_V = """check_close(tanh_from_sigmoid(0.5), 0.46211715726000974, name="tanh_from_sigmoid(0.5)")
### BEGIN HIDDEN TESTS
zz = hidden_rng("t").normal(scale=3.0, size=9)
check_close(tanh_from_sigmoid(zz), np.tanh(zz), name="tanh_from_sigmoid on hidden z")
### END HIDDEN TESTS"""
WEIGHTS = """### BEGIN SOLUTION
AND_WEIGHTS = ([1.0, 1.0], -1.0)
### END SOLUTION
"""
TEST_W = """check_equal(len(AND_WEIGHTS), 2, name="AND_WEIGHTS is a pair (w, b)")
### BEGIN HIDDEN TESTS
check_object(AND_WEIGHTS, (0, 0, 0, 1), name="AND weights", evaluate=and_outputs)
### END HIDDEN TESTS"""


def _cell(kind: str, gid: str, source: str, points: int | None = None, **nnbook):
    meta = {
        "grade": kind == "test",
        "solution": kind == "solution",
        "locked": kind != "solution",
        "grade_id": gid,
        "schema_version": 3,
    }
    if points is not None:
        meta["points"] = points
    metadata = {"nbgrader": meta}
    if nnbook:
        metadata["nnbook"] = nnbook
    if kind == "markdown":
        cell = nbformat.v4.new_markdown_cell(source, metadata=metadata)
    else:
        cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    cell["id"] = gid.replace("_", "-")
    return cell


def fixture_notebook() -> nbformat.NotebookNode:
    """The solutions notebook of the fixture set."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        _cell("markdown", "intro", "# The grader's own test set"),
        _cell("other", "setup", SETUP),
        _cell("other", "grader_fns", GRADER, grader=True),
        _cell("solution", "sigmoid", SIGMOID),
        _cell("test", S, TEST_S, 1),
        _cell("test", T, TEST_T, 1),
        _cell("solution", "unit_output", UNIT),
        _cell("test", U, TEST_U, 2),
        _cell(
            "solution", "tanh_from_sigmoid", TANH, forbid=["numpy.tanh", "nnlib.functional.tanh"]
        ),
        _cell("test", V, TEST_V, 1),
        _cell("solution", "weights", WEIGHTS),
        _cell("test", W, TEST_W, 1),
    ]
    return nb
