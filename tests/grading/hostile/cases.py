"""Honest and hostile submissions, each with the verdict it deserves.

Most cases target the fixture set ``00_hostile.ipynb`` (see fixture.py: S, T, U, V, W; 6 points);
the last ones target the book's ``01_units.ipynb`` (22 points) and ``02_xor.ipynb`` (23 points)
with the reference solutions and the short cuts that used to pass: calling the library that
already solves a task, ``tanh_from_sigmoid = np.tanh``, a training function that trains nothing. Each case is one student's folder in a submissions
directory of a throwaway copy of the project, graded in one run of the real command line
(two kernels at a time). Filling in only ``sigmoid`` and ``unit_output`` earns S + T + U = 4.

Attacks that would *gain* from a hole (reading the solutions, forging results) deserve less than
they would get through it; attacks that try to harm others or the grader carry an honest
solution, so they deserve 4 and any damage shows in their own or their classmates' verdicts.
Several cases also sabotage themselves when the sandbox leaks (network, environment, memory
limit), so a leak shows as a wrong score.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .fixture import NAME, S, T, U, V, W

MARKER = "nnbook-hostile-marker"  # in the command line of every process a case leaves behind

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
SIGMOID_F32 = """def sigmoid(z):  # honest, in single precision
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)
"""
UNIT_OK = """def unit_output(w, x, b):
    return sigmoid(np.dot(w, x) + b)
"""
UNIT_STUB = """def unit_output(w, x, b):
    raise NotImplementedError()
"""
TANH_OK = """def tanh_from_sigmoid(z):
    return 2.0 * sigmoid(2.0 * np.asarray(z, dtype=float)) - 1.0
"""
# A forger who writes results for every check straight onto the grader's channel (found through
# /proc/self/fd), claiming the visible expected values for everything.
CHANNEL_FORGER = """
import json as _json, os as _os
from nnlib.grading import portable as _p
def _forge():
    for fd in [int(f) for f in _os.listdir("/proc/self/fd")]:
        for cell, n in (("test_sigmoid_values", 3), ("test_sigmoid_stable", 2), ("test_unit_output", 3)):
            for stmt in range(6):
                for site in range(n):
                    ev = {"event": "check", "cell": cell, "stmt": stmt, "site": site, "seq": 0,
                          "kind": "close", "name": "x", "hidden": True,
                          "value": _p.encode(0.5)}
                    try:
                        _os.write(fd, (_json.dumps(ev) + "\\n").encode())
                    except OSError:
                        pass
_forge()
"""
FIND_SOLUTIONS = """
import os as _os, sys as _sys, subprocess as _sp, json as _json
from pathlib import Path as _P
import nnlib as _nnlib
_found = []
_places = [_P(_nnlib.__file__).resolve().parents[1], _P.cwd(), _P("/"), _P.home()]
_places += [_P(a).parent for a in _sys.argv if a]
for _place in _places:
    for _root, _dirs, _files in _os.walk(_place):
        if _root.startswith(("/proc", "/sys", "/dev", "/usr")):
            _dirs[:] = []
            continue
        for _f in _files:
            if _f.endswith(".ipynb"):
                try:
                    _text = open(_os.path.join(_root, _f)).read()
                except OSError:
                    continue
                if "BEGIN SOLUTION" in _text:
                    _found.append(_text)
    for _git in (_place / ".git", _place.parent / ".git"):
        try:
            _out = _sp.run(["git", "-C", str(_git.parent), "show", "HEAD:solutions/00_hostile.ipynb"],
                           capture_output=True, text=True, timeout=10).stdout
        except (OSError, _sp.SubprocessError):
            _out = ""
        if "BEGIN SOLUTION" in _out:
            _found.append(_out)
for _pid in _os.listdir("/proc"):
    if _pid.isdigit() and int(_pid) != _os.getpid():
        try:
            with open(f"/proc/{_pid}/mem", "rb") as _m:
                _found.append("mem")
        except OSError:
            pass
if _found:  # the reference solutions would do: run their code
    for _text in _found:
        if _text == "mem":
            continue
        for _c in _json.loads(_text)["cells"]:
            _src = "".join(_c["source"])
            if "BEGIN SOLUTION" in _src:
                exec(_src, globals())
"""
HARM_OTHERS = """
import os as _os, signal as _signal, glob as _glob
for _pid in _os.listdir("/proc"):
    if _pid.isdigit() and int(_pid) != _os.getpid():
        for _sig in (_signal.SIGSTOP, _signal.SIGKILL):
            try:
                _os.kill(int(_pid), _sig)
            except OSError:
                pass
try:
    _os.kill(-1, _signal.SIGKILL)
except OSError:
    pass
_paths = []
for _top in ("/tmp", "/work", "/home", "/srv", "/var"):
    _paths += _glob.glob(f"{_top}/**/*.ipynb", recursive=True)
    _paths += _glob.glob(f"{_top}/**/*.json", recursive=True)
for _path in _paths:
    try:
        with open(_path, "w") as _fh:
            _fh.write("{}")
    except OSError:
        pass
"""
PLANT_CODE = """
import os as _os, site as _site, sys as _sys
from pathlib import Path as _P
import nnlib.grading.checks as _checks
_targets = [
    _P(_checks.__file__),
    _P(_checks.__file__).parent / "__pycache__" / f"checks.{_sys.implementation.cache_tag}.pyc",
    _P(_checks.__file__).resolve().parents[2] / "solutions" / "00_hostile.ipynb",
    _P.home() / ".ipython" / "profile_default" / "startup" / "00-evil.py",
]
_targets += [_P(p) / "zz_evil.pth" for p in _site.getsitepackages()]
for _t in _targets:
    try:
        _t.parent.mkdir(parents=True, exist_ok=True)
        _t.write_text("import os; os.environ['NNBOOK_PLANTED'] = '1'\\n")
    except OSError:
        pass
"""
DAEMONS = f"""
import os as _os, subprocess as _sp, sys as _sys
_code = "import time, glob\\nwhile True:\\n    time.sleep(0.2)\\n    for p in glob.glob('/tmp/**/*.json', recursive=True) + glob.glob('/work/**/*.json', recursive=True):\\n        open(p, 'w').write('{{}}')"
_sp.Popen([_sys.executable, "-c", _code, "{MARKER}"], start_new_session=True,
          stdin=_sp.DEVNULL, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"])
    _os._exit(0)
"""
SELF_SABOTAGE = """
import os as _os, socket as _socket
import numpy as _np
_leaks = []
if any(k.startswith(("GITHUB_", "NNBOOK_SECRET")) for k in _os.environ):
    _leaks.append("environment")
try:
    _socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    _leaks.append("network")
except OSError:
    pass
try:
    _big = _np.empty(2**34, dtype=_np.uint8)  # 16 GB of address space: over the memory limit
    _leaks.append("memory")
    del _big
except MemoryError:
    pass
if any(_os.path.exists(p) for p in ("/root/.bashrc", "/root/.ssh", "/root/.gitconfig", "/home")):
    _leaks.append("home")
if _leaks:
    raise SystemExit("the sandbox leaks: " + ", ".join(_leaks))
"""
FORK_BOMB = """
import os as _os, time as _time
_kids = 0
try:
    while _kids < 1000:
        if _os.fork() == 0:
            _time.sleep(120)
            _os._exit(0)
        _kids += 1
except OSError:
    pass
assert _kids < 1000, "no process limit"
"""
FLOOD_300K = """
_orig_sigmoid = sigmoid
def sigmoid(z):
    print("x" * 300_000)
    print("progress 50%", end="\\r")
    return _orig_sigmoid(z)
"""
# ---- The book's sets: submissions that dodge the work (issue #16). Each must earn nothing on
# the tasks it dodges and keep what its honest cells earn.
# 01_units (22 points): every task done by calling nnlib where nnlib can do it.
UNITS_LIBRARY = {
    "sigmoid": "def sigmoid(z):\n    return F.sigmoid(z)\n",
    "unit_output": "def unit_output(w, x, b):\n    return F.sigmoid(np.dot(w, x) + b)\n",
    "activations": "relu = F.relu\nleaky_relu = F.leaky_relu\nhardtanh = F.hardtanh\n",
    "derivatives": "sigmoid_prime = F.sigmoid_prime\ntanh_prime = F.tanh_prime\n"
    "relu_prime = F.relu_prime\nhardtanh_prime = F.hardtanh_prime\n",
    "derivation": "def sigmoid_slope_from_output(s):\n"
    "    return F.sigmoid_prime(np.log(s / (1 - s)))\n\n\n"
    "def tanh_slope_from_output(t):\n    return F.tanh_prime(np.arctanh(t))\n",
    "tanh_from_sigmoid": "def tanh_from_sigmoid(z):\n    return F.tanh(z)\n",
    "gradient": """def unit_gradient(w, x, b, activation):
    w_t = Tensor(np.asarray(w, dtype=float), requires_grad=True)
    b_t = Tensor(float(b), requires_grad=True)
    F.get_activation(activation).fn(w_t @ Tensor(np.asarray(x, dtype=float)) + b_t).backward()
    return w_t.grad, b_t.grad
""",
}
# ... and tanh_from_sigmoid as numpy's tanh itself, or as another formula for tanh
TANH_IS_NP = "tanh_from_sigmoid = np.tanh\n"
TANH_OTHER_FORMULA = """def tanh_from_sigmoid(z):  # right values, but not built on sigmoid
    e = np.exp(-2.0 * np.abs(np.asarray(z, dtype=float)))
    return np.sign(z) * (1.0 - e) / (1.0 + e)
"""
# 02_xor (23 points): the chapter's module and nnlib.train.fit where they do the task.
XOR_LIBRARY = {
    "perceptron": "from nnlib.chapters.xor import perceptron\n",
    "rule": """from nnlib.chapters import xor as P


def perceptron_rule(X, y, epochs, lr=1.0):
    run = P.train_perceptron(X, y, epochs=epochs, lr=lr)
    return run.w[-1], run.b[-1], run.mistakes.tolist()
""",
    "gates": """def two_layer_perceptron(X, hidden, out):
    H = np.column_stack([P.perceptron(X, w, b) for w, b in hidden])
    return P.perceptron(H, *out)


XOR_GATES = ([OR_WEIGHTS, NAND_WEIGHTS], AND_WEIGHTS)
""",
    "search": "def best_count(X, y, values):\n    return P.grid_search(X, y, values).best\n",
    "forward": """def xor_forward(X):
    return P.hidden_and_output(P.xor_net_exact(), X)
""",
    "dead": """def dead_units(W, b, X):
    return int((P.mlp_forward(X, W, b, np.zeros(len(b)), 0.0)[0].max(axis=0) <= 0).sum())


def doomed_seeds(seeds):
    runs = P.train_mlps(X, truth_table("XOR")[1], list(seeds), steps=0)
    return [int(s) for s in runs.seeds[runs.dead_units(0) > 0]]


WHY_DOOMED = "b"
""",
    "plateau": "plateau_loss = P.plateau_loss\n",
    "train": """def train(net, X, y, steps, lr):
    return P.fit_mlp(net, X, y, steps=steps, lr=lr).tolist()
""",
}
# train without training: the exact network of the chapter in place of the given one
XOR_EXACT_NETWORK = """def train(net, X, y, steps, lr):
    hidden, out = nn.Linear(2, 2), nn.Linear(2, 1)
    hidden.W.data[:] = [[1.0, 1.0], [1.0, 1.0]]
    hidden.b.data[:] = [0.0, -1.0]
    out.W.data[:] = [[1.0, -2.0]]
    out.b.data[:] = [-0.5]
    net.layers = [hidden, nn.ReLU(), out]
    return [0.0] * steps
"""
# ... a network set by hand that classifies XOR firmly (large weights), with made-up losses
XOR_HAND_SET = """def train(net, X, y, steps, lr):
    for p in net.parameters():
        p.data[...] = 0.0
    net[0].W.data[0] = [6.0, 6.0]
    net[0].b.data[0] = -3.0
    net[0].W.data[1] = [6.0, 6.0]
    net[0].b.data[1] = -9.0
    net[2].W.data[0, :2] = [8.0, -8.0]
    net[2].b.data[0] = -8.0
    return list(np.linspace(0.7, 0.001, steps))
"""
# ... and the library's training loop
XOR_FIT = """from nnlib.train import fit


def train(net, X, y, steps, lr):
    loss_fn = lambda z, t: F.binary_cross_entropy_with_logits(z[:, 0], t)
    history = fit(net, loss_fn, optim.SGD(net.parameters(), lr=lr), (X, y),
                  epochs=steps, batch_size=len(X), shuffle=False)
    return history.step_loss
"""


@dataclass
class Env:
    """What builders need: the exercise notebooks and reference sources of the copy."""

    root: Path

    def exercise(self, name: str = NAME) -> dict:
        return json.loads((self.root / "exercises" / name).read_text(encoding="utf-8"))

    def reference(self, name: str) -> dict[str, str]:
        nb = json.loads((self.root / "solutions" / name).read_text(encoding="utf-8"))
        return {
            c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")
        }


@dataclass
class Symlink:
    """A submission that is a symbolic link to ``target`` (relative to the copy's root)."""

    target: str


@dataclass
class Case:
    """One student's submission and the verdict it deserves."""

    name: str
    build: Callable[[Env], dict | bytes | Symlink]
    score: float
    statuses: dict[str, str] = field(default_factory=dict)  # grade_id -> status (subset)
    note: str = ""  # a substring expected in the notes, the error or a test's message
    filename: str = NAME
    what: str = ""  # one line for the case table

    def rel(self) -> str:
        return f"{self.name}/{self.filename}"


def fill(nb: dict, sources: dict[str, str], prefix: str = "") -> dict:
    """The notebook with these solution sources (prefix goes before the first one filled)."""
    nb = copy.deepcopy(nb)
    first = True
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in sources:
            cell["source"] = (prefix + "\n" if first and prefix else "") + sources[gid]
            first = False
    return nb


def solved(sigmoid=SIGMOID_OK, unit=UNIT_OK, prefix="", **more) -> Callable[[Env], dict]:
    def build(env: Env) -> dict:
        return fill(env.exercise(), {"sigmoid": sigmoid, "unit_output": unit, **more}, prefix)

    return build


def _full(env: Env) -> dict:
    return fill(env.exercise(), env.reference(NAME))


def _tests_tampered(env: Env) -> dict:
    nb = solved(SIGMOID_WRONG, UNIT_STUB)(env)
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    for c in tests:
        c["source"] = 'print("ok: all checks passed")'
        c["metadata"]["nbgrader"]["points"] = 100
    others = [c for c in nb["cells"] if c not in tests]
    nb["cells"] = [tests[2], tests[0], copy.deepcopy(tests[0])] + others
    return nb


def _strip_metadata(env: Env) -> dict:
    nb = solved()(env)
    for c in nb["cells"]:
        c["metadata"] = {}
    return nb


def _with_extra_unit_cell(env: Env, wrong_first: bool) -> dict:
    nb = solved()(env)
    i = next(
        k
        for k, c in enumerate(nb["cells"])
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "unit_output"
    )
    wrong = copy.deepcopy(nb["cells"][i])
    wrong["source"] = "def unit_output(w, x, b):\n    return 0.5\n"
    nb["cells"].insert(i if wrong_first else i + 1, wrong)
    return nb


def book_set(name: str, **overrides: str) -> Callable[[Env], dict]:
    """A submission for one of the book's sets: the reference solutions, some cells replaced."""

    def build(env: Env) -> dict:
        return fill(env.exercise(name), {**env.reference(name), **overrides})

    return build


def _deep(env: Env) -> bytes:
    return b'{"nbformat": 4, "cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _surrogate(env: Env) -> bytes:
    nb = solved(unit='def unit_output(w, x, b):\n    label = "\\ud800"\n' + "    return 0.5\n")(env)
    return json.dumps(nb).replace("\\\\ud800", "\\ud800").encode()


def _huge(env: Env) -> bytes:
    nb = solved()(env)
    nb["metadata"]["padding"] = "x" * 21_000_000
    return json.dumps(nb).encode()


CASES = [
    # ---------------------------------------------------------------- honest work
    Case("reference", _full, 6, {S: "passed", U: "passed", V: "passed", W: "passed"}),
    Case("blank", lambda env: env.exercise(), 0, {S: "error", U: "error"}, "NotImplementedError"),
    Case("tanh_form", solved(SIGMOID_TANH_FORM), 4, {S: "passed", T: "passed"}),
    Case(
        "naive_sigmoid", solved(SIGMOID_NAIVE), 3, {S: "passed", T: "error"}, "FloatingPointError"
    ),
    Case("sigmoid_only", solved(unit=UNIT_STUB), 2, {S: "passed", U: "error"}),
    Case("wrong_sigmoid", solved(SIGMOID_WRONG), 0, {S: "failed", U: "failed"}),
    Case("float32", solved(SIGMOID_F32), 4, {S: "passed", T: "passed", U: "passed"}),
    Case("huge_prints_and_cr", solved(prefix=SIGMOID_OK + FLOOD_300K), 4, {S: "passed"}),
    Case(
        "flood_50mb",
        solved(prefix="import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)"),
        4,
        {S: "passed", U: "passed"},
    ),
    Case(
        "earlier_attempt_above",
        lambda env: _with_extra_unit_cell(env, wrong_first=True),
        4,
        {U: "passed"},
        "the last cell was graded",
    ),
    Case(
        "wrong_attempt_last",
        lambda env: _with_extra_unit_cell(env, wrong_first=False),
        2,
        {U: "failed"},
        "the last cell was graded",
    ),
    Case("renamed", solved(), 4, {}, "by its grade_ids", filename="my homework.ipynb"),
    Case("ipython_exit", solved(unit="exit()\n" + UNIT_OK), 4, {U: "passed"}),
    # ---------------------------------------------------------------- constraints
    # np.tanh in the (unconstrained) sigmoid cell, reached through sigmoid: allowed
    Case("tanh_allowed", solved(SIGMOID_TANH_FORM, tanh_from_sigmoid=TANH_OK), 5, {V: "passed"}),
    Case(
        "tanh_forbidden",
        solved(tanh_from_sigmoid="def tanh_from_sigmoid(z):\n    return np.tanh(z)\n"),
        4,
        {V: "failed"},
        "line 2: uses np.tanh",
    ),
    Case(
        "tanh_alias_elsewhere",
        solved(
            SIGMOID_OK + "_t = np.tanh\n",
            tanh_from_sigmoid="def tanh_from_sigmoid(z):\n    return _t(z)\n",
        ),
        4,
        {V: "failed"},
        "uses _t",
    ),
    Case(
        "tanh_getattr",
        solved(
            tanh_from_sigmoid="def tanh_from_sigmoid(z):\n    return getattr(np, 'ta' + 'nh')(z)\n"
        ),
        4,
        {V: "failed"},
        "getattr",
    ),
    Case(
        "tanh_hidden_in_a_dict",
        solved(
            SIGMOID_OK + "_fns = {'t': np.tanh}\n",
            tanh_from_sigmoid="def tanh_from_sigmoid(z):\n    return _fns['t'](z)\n",
        ),
        4,
        {V: "failed"},
        "checked at run time",
    ),
    Case(
        "weights_custom_object",
        solved(
            weights="class _Yes:\n    def __eq__(self, other):\n        return True\n"
            "AND_WEIGHTS = _Yes()\n"
        ),
        4,
        {W: "error"},
    ),
    Case("weights_wrong", solved(weights="AND_WEIGHTS = ([1.0, 1.0], 0.0)\n"), 4, {W: "failed"}),
    # ---------------------------------------------------------------- damaged files
    Case("invalid_json", lambda env: b'{"cells": [', 0, {}, "not valid notebook JSON"),
    Case("empty_file", lambda env: b"", 0, {}, "empty file"),
    Case(
        "nbformat_v3",
        lambda env: json.dumps({"nbformat": 3, "worksheets": []}).encode(),
        0,
        {},
        "nbformat version 3",
    ),
    Case("deep_json", _deep, 0, {}, "nested too deeply"),
    Case("lone_surrogate", _surrogate, 0, {}, "lone surrogate"),
    Case("huge_file", _huge, 0, {}, "notebooks over 20 MB are refused"),
    Case(
        "no_cells",
        lambda env: {**env.exercise(), "cells": []},
        0,
        {S: "error"},
        "missing from the submission",
    ),
    Case("stripped_metadata", _strip_metadata, 0, {S: "error"}, "missing from the submission"),
    Case("symlink_to_solutions", lambda env: Symlink("solutions/" + NAME), 0, {}, "symbolic link"),
    # ---------------------------------------------------------------- reaching the solutions
    Case("find_solutions", solved(SIGMOID_WRONG, UNIT_STUB, FIND_SOLUTIONS), 0, {S: "failed"}),
    # ---------------------------------------------------------------- forging results
    Case("tests_edited", _tests_tampered, 0),
    Case(
        "checks_patched",
        solved(
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
        solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "import nnlib.grading.checks as C\n_orig = C.check_close\n"
            "def _fake(got, expected, **k):\n    return _orig(expected, expected, **k)\n"
            "C.check_close = _fake\ncheck_close = _fake",
        ),
        0,
    ),
    Case(
        "numpy_patched",
        solved(
            SIGMOID_WRONG,
            UNIT_OK,
            "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
            "np.abs = lambda x: np.zeros_like(x)",
        ),
        0,
    ),
    Case(
        "showtraceback",
        solved(SIGMOID_WRONG, UNIT_STUB, "get_ipython().showtraceback = lambda *a, **k: None"),
        0,
    ),
    Case(
        "input_transformer",
        solved(
            SIGMOID_WRONG,
            UNIT_STUB,
            "get_ipython().input_transformers_post.append(lambda lines: ['print(\"ok\")\\n'])",
        ),
        0,
    ),
    Case("channel_forger", solved(SIGMOID_WRONG, UNIT_STUB, CHANNEL_FORGER), 0),
    Case(
        "print_replaced",
        solved(
            SIGMOID_OK,
            UNIT_OK,
            "import builtins, sys\nbuiltins.print = lambda *a, **k: None\nsys.stdout = None",
        ),
        4,
    ),
    # ---------------------------------------------------------------- harming others, the grader
    Case("harm_others", solved(prefix=HARM_OTHERS), 4, {S: "passed", U: "passed"}),
    Case("plant_code", solved(prefix=PLANT_CODE), 4, {S: "passed", U: "passed"}),
    Case("daemons", solved(prefix=DAEMONS), 4, {S: "passed", U: "passed"}),
    Case("fork_bomb", solved(prefix=FORK_BOMB), 4, {S: "passed", U: "passed"}),
    Case("sandbox_leaks", solved(prefix=SELF_SABOTAGE), 4, {S: "passed", U: "passed"}),
    Case(
        "kill_parent",
        solved(unit="import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + UNIT_OK),
        2,
        {S: "passed", U: "error"},
        "PermissionError",
    ),
    # ---------------------------------------------------------------- crashes, exits, time
    Case("os_exit", solved(prefix="import os\nos._exit(0)\n"), 0, {S: "not run", U: "not run"}),
    Case(
        "sys_exit", solved(unit="import sys\nsys.exit(1)\n" + UNIT_OK), 2, {S: "passed", U: "error"}
    ),
    Case(
        "early_exception",
        solved(prefix="raise RuntimeError('oops')"),
        0,
        {S: "error"},
        "raised RuntimeError: oops",
    ),
    Case("infinite_loop", solved(unit="while True:\n    pass\n"), 2, {S: "passed", U: "error"}),
    Case(
        "ignores_interrupt",
        solved(
            unit="import signal\nfor s in (signal.SIGINT, signal.SIGALRM):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n"
        ),
        2,
        {S: "passed", U: "not run"},
        "did not stop when interrupted",
    ),
    Case(
        "slow_call",
        solved(unit="import time\ndef unit_output(w, x, b):\n    time.sleep(600)\n"),
        2,
        {S: "passed", U: "timeout"},
    ),
    # ---------------------------------------------------------------- the book's sets
    Case(
        "units_reference",
        book_set("01_units.ipynb"),
        22,
        {"test_tanh_from_sigmoid": "passed", "test_gradient": "passed"},
        filename="01_units.ipynb",
    ),
    Case(
        "units_library_calls",
        book_set("01_units.ipynb", **UNITS_LIBRARY),
        5,  # only the honest bias (2), combine_linear (2) and fold_bias (1)
        {
            "test_sigmoid_values": "failed",
            "test_sigmoid_stable": "failed",
            "test_unit_output": "failed",
            "test_activations": "failed",
            "test_derivatives_smooth": "failed",
            "test_derivatives_piecewise": "failed",
            "test_derivation": "failed",
            "test_tanh_from_sigmoid": "failed",
            "test_gradient": "failed",
            "test_bias": "passed",
        },
        "uses F.sigmoid",
        filename="01_units.ipynb",
    ),
    Case(
        "units_tanh_is_np_tanh",
        book_set("01_units.ipynb", tanh_from_sigmoid=TANH_IS_NP),
        20,
        {"test_tanh_from_sigmoid": "failed"},
        "uses np.tanh",
        filename="01_units.ipynb",
    ),
    Case(
        "units_tanh_other_formula",
        book_set("01_units.ipynb", tanh_from_sigmoid=TANH_OTHER_FORMULA),
        21,  # right tanh values (1 of 2 points), but not built on sigmoid
        {"test_tanh_from_sigmoid": "partial"},
        "tanh_from_sigmoid built on another sigmoid",
        filename="01_units.ipynb",
    ),
    Case(
        "xor_reference",
        book_set("02_xor.ipynb"),
        23,
        {"test_train": "passed", "test_gates": "passed"},
        filename="02_xor.ipynb",
    ),
    Case(
        "xor_library_calls",
        book_set("02_xor.ipynb", **XOR_LIBRARY),
        2,  # only the AND/OR/NAND weights, written by hand
        {
            "test_perceptron": "failed",
            "test_rule": "failed",
            "test_weights": "passed",
            "test_gates": "failed",
            "test_search": "failed",
            "test_forward": "failed",
            "test_dead": "failed",
            "test_plateau": "failed",
            "test_train": "failed",
        },
        "nnlib.chapters",
        filename="02_xor.ipynb",
    ),
    Case(
        "xor_exact_network",
        book_set("02_xor.ipynb", train=XOR_EXACT_NETWORK),
        19,
        {"test_train": "failed"},
        filename="02_xor.ipynb",
    ),
    Case(
        "xor_hand_set_network",
        book_set("02_xor.ipynb", train=XOR_HAND_SET),
        19,
        {"test_train": "failed"},
        filename="02_xor.ipynb",
    ),
    Case(
        "xor_library_fit",
        book_set("02_xor.ipynb", train=XOR_FIT),
        19,
        {"test_train": "failed"},
        "nnlib.train",
        filename="02_xor.ipynb",
    ),
]


def write_case(case: Case, env: Env, directory: Path) -> Path:
    """Write one case's submission into ``directory/<case>/``; return its path."""
    data = case.build(env)
    path = directory / case.rel()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, Symlink):
        path.symlink_to(env.root / data.target)
    elif isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
