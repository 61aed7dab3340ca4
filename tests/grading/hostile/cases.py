"""Honest and hostile submissions for exercise set 01_units, generated from exercises/.

Each case is a notebook (or raw bytes) and the verdict it deserves. They are generated into a
temporary directory at test time (never committed as .ipynb: nbval would collect them).
Forgeries print records with correct-looking values, so a 0 means the grader saw through them.

Only the tasks sigmoid and unit_output (tests S, T, U below: 4 points) are filled in; any other
task of the set keeps its stub, so ``score`` is what these two tasks deserve and the set may grow.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXERCISE = ROOT / "exercises" / "01_units.ipynb"

SIGMOID_OK = """def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
"""
SIGMOID_TANH_FORM = """def sigmoid(z):  # an honest, differently written stable sigmoid
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))
"""
SIGMOID_NAIVE = """def sigmoid(z):  # right values, but overflows for large negative z
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
"""
SIGMOID_WRONG = """def sigmoid(z):
    return np.tanh(z)
"""
UNIT_OK = """def unit_output(w, x, b):
    return sigmoid(np.dot(w, x) + b)
"""
UNIT_STUB = """def unit_output(w, x, b):
    raise NotImplementedError()
"""
# Records claiming the expected values of the visible checks, as a cheat who read the exercise
# notebook could print them; bound to a guessed nonce (a replay from another run looks the same).
FORGED_RECORDS = """
import json as _json
import nnlib.grading.checks as _C

def _forged(gid, nonce="0" * 32):
    values = {
        "test_sigmoid_values": [
            ("sigmoid(0)", [], [0.5]),
            ("sigmoid([-2, 2])", [2], [0.11920292202211755, 0.8807970779778823]),
        ],
        "test_sigmoid_stable": [("sigmoid([-800, -40, 40, 800])", [4], [0.0, 4.2e-18, 1.0, 1.0])],
        "test_unit_output": [("unit_output for the worked example", [], [0.7047456979980911])],
    }.get(gid, [])
    lines = []
    for i, (name, shape, vals) in enumerate(values):
        payload = {"grade_id": gid, "index": i, "kind": "close", "name": name,
                   "value": {"shape": shape, "kind": "f", "values": vals},
                   "hidden": False, "atol": 1e-6, "rtol": 1e-6, "hint": ""}
        rec = dict(payload, mac=_C.record_mac(nonce, payload))
        lines.append(_C.RECORD_PREFIX + _json.dumps(rec, sort_keys=True))
    return "\\n".join(lines)
"""
# The strongest in-kernel forgery: read each test cell's nonce from its source before it runs
# and print validly signed records for the visible checks. Hidden checks still need real values.
NONCE_THIEF = (
    FORGED_RECORDS
    + """
import re as _re
_state = {}
def _pre(info):
    m = _re.search(r"_begin\\('([0-9a-f]+)', '([\\w.-]+)'\\)", info.raw_cell or "")
    _state["cell"] = m.groups() if m else None
def _post(result):
    if _state.get("cell"):
        nonce, gid = _state["cell"]
        print(_forged(gid, nonce))
get_ipython().events.register("pre_run_cell", _pre)
get_ipython().events.register("post_run_cell", _post)
"""
)
PROC_PIPE_FORGER = (
    FORGED_RECORDS
    + """
import os as _os, json as _j
for _fd in _os.listdir(f"/proc/{_os.getppid()}/fd"):
    try:
        with open(f"/proc/{_os.getppid()}/fd/{_fd}", "w") as _f:
            for _n in range(12):
                _f.write(_j.dumps({"event": "cell", "cell": _n, "status": "passed",
                                   "stdout": _forged("test_unit_output"), "errors": []}) + "\\n")
    except OSError:
        pass
"""
)


@dataclass
class Case:
    """One submission and the verdict it deserves."""

    name: str
    build: Callable[[], dict | bytes]
    score: float
    statuses: dict[str, str] = field(default_factory=dict)  # grade_id -> status (subset)
    note: str = ""  # a substring expected in the notes or the error
    filename: str = ""  # default: <name>-01_units.ipynb (identified by name)

    def file(self) -> str:
        return self.filename or f"{self.name}-01_units.ipynb"


def exercise() -> dict:
    return json.loads(EXERCISE.read_text(encoding="utf-8"))


def solved(sigmoid: str = SIGMOID_OK, unit: str = UNIT_OK, prefix: str = "") -> dict:
    """The exercise notebook with the given solution-cell sources (prefix goes before sigmoid)."""
    nb = exercise()
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid == "sigmoid":
            cell["source"] = prefix + "\n" + sigmoid
        elif gid == "unit_output":
            cell["source"] = unit
    return nb


def _tests_tampered(sigmoid: str, unit: str) -> dict:
    nb = solved(sigmoid, unit)
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    for c in tests:
        c["source"] = 'print("ok: all checks passed")'
        c["metadata"]["nbgrader"]["points"] = 100
    others = [c for c in nb["cells"] if c not in tests]
    # delete one test, duplicate another, put them first (reordered)
    nb["cells"] = [tests[2], tests[0], copy.deepcopy(tests[0])] + others
    return nb


def _strip_metadata() -> dict:
    nb = solved()
    for c in nb["cells"]:
        c["metadata"] = {}
    return nb


def _duplicate_ids() -> dict:
    nb = solved()
    i = next(
        k
        for k, c in enumerate(nb["cells"])
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "unit_output"
    )
    wrong = copy.deepcopy(nb["cells"][i])
    wrong["source"] = "def unit_output(w, x, b):\n    return 0.5\n"
    nb["cells"].insert(i + 1, wrong)
    return nb


def _earlier_attempt_above() -> dict:
    """A wrong first attempt left above the fixed cell (same metadata), as students do."""
    nb = solved()
    i = next(
        k
        for k, c in enumerate(nb["cells"])
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "unit_output"
    )
    wrong = copy.deepcopy(nb["cells"][i])
    wrong["source"] = "def unit_output(w, x, b):\n    return 0.5\n"
    nb["cells"].insert(i, wrong)
    return nb


def _v3() -> bytes:
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    return json.dumps(nb).encode()


def _no_cells() -> dict:
    nb = exercise()
    nb["cells"] = []
    return nb


S = "test_sigmoid_values"
T = "test_sigmoid_stable"
U = "test_unit_output"
PREFIX_KILL = "import os\nos._exit(0)\n"

CASES = [
    # honest work
    Case("reference", lambda: solved(), 4, {S: "passed", T: "passed", U: "passed"}),
    Case("blank", exercise, 0, {S: "error", T: "error", U: "error"}, "NotImplementedError"),
    Case("tanh_form", lambda: solved(SIGMOID_TANH_FORM), 4, {S: "passed", T: "passed"}),
    Case("naive_sigmoid", lambda: solved(SIGMOID_NAIVE), 3, {S: "passed", T: "error"}),
    Case("sigmoid_only", lambda: solved(unit=UNIT_STUB), 2, {S: "passed", U: "error"}),
    Case("wrong_sigmoid", lambda: solved(SIGMOID_WRONG), 0, {S: "failed", U: "failed"}),
    Case("renamed", lambda: solved(), 4, {}, "by its grade_ids", filename="my homework.ipynb"),
    # the last cell with a grade_id is graded, as Restart & Run All would leave it
    Case("duplicate_ids", _duplicate_ids, 2, {U: "failed"}, "the last cell was graded"),
    Case("earlier_attempt_above", _earlier_attempt_above, 4, {U: "passed"}, "appears 2 times"),
    # damaged files
    Case("invalid_json", lambda: b'{"cells": [', 0, {}, "not valid notebook JSON"),
    Case("empty_file", lambda: b"", 0, {}, "empty file"),
    Case("nbformat_v3", _v3, 0, {}, "nbformat version 3"),
    Case("no_cells", _no_cells, 0, {S: "error"}, "missing from the submission"),
    Case("stripped_metadata", _strip_metadata, 0, {S: "error"}, "missing from the submission"),
    Case(
        "unidentifiable",
        _strip_metadata,
        0,
        {},
        "cannot identify the exercise set",
        filename="unknown.ipynb",
    ),
    # tampering with what is checked
    Case("tests_edited_stubs", lambda: _tests_tampered(SIGMOID_WRONG, UNIT_STUB), 0),
    Case("tests_edited_honest", lambda: _tests_tampered(SIGMOID_OK, UNIT_OK), 4),
    Case(
        "showtraceback",
        lambda: solved(
            SIGMOID_WRONG, UNIT_STUB, "get_ipython().showtraceback = lambda *a, **k: None"
        ),
        0,
    ),
    Case(
        "custom_exc",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
        ),
        0,
    ),
    Case(
        "numpy_patched",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_OK,
            "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "np.abs = lambda x: np.zeros_like(x)",
        ),
        0,
    ),
    Case(
        "checks_patched",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "import nnlib.grading.checks as C\n"
            "def _fake(*a, **k):\n    print('ok: passed')\n"
            "C.check_close = C.check_equal = C.check_shape = _fake\n"
            "check_close = check_equal = check_shape = _fake",
        ),
        0,
    ),
    Case(
        "checks_fed_expected",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "import nnlib.grading.checks as C\n_orig = C.check_close\n"
            "def _fake(got, expected, **k):\n    return _orig(expected, expected, **k)\n"
            "C.check_close = _fake\ncheck_close = _fake",
        ),
        0,
    ),
    Case(
        "print_replaced",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_OK,
            "import builtins\nbuiltins.print = lambda *a, **k: None",
        ),
        0,
    ),
    Case(
        "stdout_replaced",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_OK,
            FORGED_RECORDS + "import sys, io\n"
            "class _Out(io.StringIO):\n"
            "    def write(self, s):\n"
            "        return sys.__stdout__.write(_forged('test_unit_output') + '\\n')\n"
            "sys.stdout = _Out()",
        ),
        0,
    ),
    Case(
        "hook_replay",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            FORGED_RECORDS + "def _hook(result):\n"
            "    for g in ('test_sigmoid_values', 'test_sigmoid_stable', 'test_unit_output'):\n"
            "        print(_forged(g))\n"
            "get_ipython().events.register('post_run_cell', _hook)",
        ),
        0,
    ),
    Case(
        "hook_clear_output",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_OK,
            FORGED_RECORDS + "from IPython.display import clear_output\n"
            "def _hook(result):\n    clear_output()\n    print(_forged('test_unit_output'))\n"
            "get_ipython().events.register('post_run_cell', _hook)",
        ),
        0,
    ),
    Case(
        "thread_printer",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            FORGED_RECORDS + "import threading, time\n"
            "def _spam():\n    while True:\n"
            "        print(_forged('test_unit_output'))\n        time.sleep(0.05)\n"
            "threading.Thread(target=_spam, daemon=True).start()",
        ),
        0,
    ),
    Case("nonce_thief", lambda: solved(SIGMOID_WRONG, UNIT_STUB, NONCE_THIEF), 0),
    Case(
        "input_transformer",
        lambda: solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "get_ipython().input_transformers_post.append(lambda lines: ['print(\"ok\")\\n'])",
        ),
        0,
    ),
    Case("proc_pipe_forger", lambda: solved(SIGMOID_WRONG, UNIT_STUB, PROC_PIPE_FORGER), 0),
    # crashes, exits, floods, time
    Case("os_exit", lambda: solved(prefix=PREFIX_KILL), 0, {S: "not run", U: "not run"}),
    Case(
        "sys_exit",
        lambda: solved(unit="import sys\nsys.exit(1)\n" + UNIT_OK),
        2,
        {S: "passed", U: "error"},
    ),
    # IPython's exit() only asks the front end to close; the kernel runs on, the code is right
    Case("ipython_exit", lambda: solved(unit="exit()\n" + UNIT_OK), 4, {U: "passed"}),
    # the sandbox's first process belongs to another user: the grader is out of sight
    Case(
        "kill_parent",
        lambda: solved(unit="import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + UNIT_OK),
        2,
        {S: "passed", U: "error"},
        "PermissionError",
    ),
    Case(
        "early_exception",
        lambda: solved(prefix="raise RuntimeError('oops')"),
        0,
        {S: "error"},
        "raised RuntimeError: oops",
    ),
    Case("infinite_loop", lambda: solved(unit="while True:\n    pass\n"), 2, {S: "passed"}),
    Case(
        "slow_call",
        lambda: solved(unit="import time\ndef unit_output(w, x, b):\n    time.sleep(600)\n"),
        2,
        {S: "passed", U: "timeout"},
    ),
    Case(
        "flood_50mb",
        lambda: solved(
            prefix="import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)"
        ),
        4,
        {S: "passed", U: "passed"},
    ),
]


def write_case(case: Case, directory: Path) -> Path:
    """Write one case's notebook into ``directory``; return its path."""
    data = case.build()
    path = directory / case.file()
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
