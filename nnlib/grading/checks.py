"""The checks that exercise test cells call (the exercise-authoring API; see the book's page
*Writing exercises*, ``book/authoring_exercises.md``).

Two modes:

* **Practice** (a student runs the notebook in Jupyter, or nbval runs ``solutions/``): each check
  compares the value the student's code produced with the expected value and prints ``ok: ...``,
  or raises ``AssertionError`` naming the check, expected vs got, the tolerance and a hint.
* **Grading** (``python -m nnlib.grading grade``): the grader rewrites every test cell so that no
  expected value reaches the student's kernel, and each check only *reports* the value the
  student's code produced, on the grader's own channel (not stdout). The grader compares these
  values, outside the kernel, with those of the reference solution run on the same inputs, and
  evaluates the objects of :func:`check_object` in its own process. Nothing the student's code
  does inside the kernel can turn a wrong value into points without computing the right one.

Points come only from hidden checks (between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``): a test cell's points are shared among its hidden checks by
``weight``. Visible checks give feedback, in practice and in the grader's report.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .portable import Unportable, decode, describe, encode

__all__ = [
    "check_close",
    "check_equal",
    "check_shape",
    "check_object",
    "hidden_rng",
    "hidden_seed",
    "effective_tolerance",
    "same_value",
    "close_enough",
]

PRACTICE_SEED = 20240601  # hidden_rng()/hidden_seed() outside grading: fixed, so nbval is stable
# A float32 (or float16) result is compared with at least this tolerance: an honest answer
# computed in single precision differs from the float64 reference by a few units in the last
# place (float32 epsilon is 1.2e-7). Tasks that need float64 say so and pass float64=True.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-6

# Grading state (None in practice mode). Set by the grader's runner, never by test cells.
_grading: dict[str, Any] | None = None
_lock = threading.Lock()


# ------------------------------------------------------------------ grading-mode plumbing
def _configure(write: Callable[[str], None], seed: int) -> None:
    """Enter grading mode: records go to ``write`` (the grader's channel); hidden seed."""
    global _grading
    _grading = {
        "write": write,
        "seed": int(seed),
        "cell": None,
        "stmt": -1,
        "hidden": False,
        "seq": {},
    }


def _begin(grade_id: str) -> None:
    """Start of a (rewritten) test cell."""
    if _grading is not None:
        _grading.update(cell=grade_id, stmt=-1, hidden=False, seq={})


def _stmt(index: int, hidden: bool) -> None:
    """Start of top-level statement ``index`` of the current test cell."""
    if _grading is not None:
        _grading.update(stmt=int(index), hidden=bool(hidden))


def _stmt_failed(index: int, exc: BaseException) -> None:
    """A top-level statement of the test cell raised: report it, let the next one run."""
    if _grading is None:
        raise exc
    text = str(exc).strip().splitlines()
    _send(
        {
            "event": "stmt_error",
            "cell": _grading["cell"],
            "stmt": int(index),
            "error": [type(exc).__name__, (text[0] if text else "")[:500]],
        }
    )


def _send(obj: dict) -> None:
    assert _grading is not None
    line = json.dumps(obj, allow_nan=False) + "\n"
    with _lock:
        _grading["write"](line)


def _report(kind: str, site: int, name: Any, value: Any, **extra: Any) -> None:
    """Grading mode: report the value one check saw (encoded, never the expected value)."""
    assert _grading is not None
    try:
        encoded = encode(value)
    except Unportable as exc:
        encoded = {"$unusable": str(exc)}
    key = (_grading["stmt"], site)
    seq = _grading["seq"].get(key, 0)  # the same call in a loop reports several times
    _grading["seq"][key] = seq + 1
    _send(
        {
            "event": "check",
            "cell": _grading["cell"],
            "stmt": _grading["stmt"],
            "site": int(site),
            "seq": seq,
            "kind": kind,
            "name": str(name)[:300],
            "hidden": _grading["hidden"],
            "value": encoded,
            **extra,
        }
    )


# ------------------------------------------------------------------ hidden inputs
def _derive(seed: int, key: str) -> int:
    digest = hashlib.sha256(f"{seed}|{key}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def hidden_seed(key: str = "") -> int:
    """A seed (0 <= seed < 2**32) decided when grading starts, the same for the reference
    solution and every submission of that grading run; a fixed number in practice.

    Use it in hidden tests for inputs the student cannot know in advance:
    ``net = train_xor(hidden_seed("net"))``. Different ``key``s give independent seeds.
    """
    return _derive(_grading["seed"] if _grading is not None else PRACTICE_SEED, str(key))


def hidden_rng(key: str = "") -> np.random.Generator:
    """A numpy Generator seeded with :func:`hidden_seed` (``hidden_rng("z").normal(size=5)``)."""
    return np.random.default_rng(hidden_seed(key))


# ------------------------------------------------------------------ comparing values
def effective_tolerance(got: Any, atol: float, rtol: float, float64: bool = False) -> tuple:
    """(atol, rtol) used for ``got``: at least float32 precision when ``got`` is single precision
    (unless the task demands float64)."""
    dtype = getattr(got, "dtype", None)
    if not float64 and dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        return max(atol, FLOAT32_ATOL), max(rtol, FLOAT32_RTOL)
    return atol, rtol


def _numeric(x: Any) -> np.ndarray | None:
    if isinstance(x, (str, bytes, dict)) or x is None:
        return None
    try:
        a = np.asarray(x)
    except Exception:  # noqa: BLE001 - any failure means "not numeric"
        return None
    if a.dtype.kind not in "biuf":
        try:
            a = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            return None
    return a


def close_enough(got: Any, expected: Any, atol: float, rtol: float, float64: bool = False):
    """(ok, detail) for ``|got - expected| <= atol + rtol * |expected|`` elementwise.

    Shapes must match exactly (a number and a 0-d array count as the same shape); NaN never
    matches. ``detail`` explains a failure without repeating the values.
    """
    g, e = _numeric(got), _numeric(expected)
    if g is None:
        return False, f"got {describe(got, 60)}, which is not a number or numeric array"
    if e is None:
        return False, "the expected value is not numeric"
    if g.shape != e.shape:
        return False, f"expected shape {e.shape}, got shape {g.shape}"
    atol, rtol = effective_tolerance(g, atol, rtol, float64)
    with np.errstate(all="ignore"):
        e64, g64 = e.astype(np.float64), g.astype(np.float64)
        err = np.abs(g64 - e64)
        bad = ~(err <= atol + rtol * np.abs(e64))
    if bad.any():
        where = "" if g.ndim == 0 else f" ({int(bad.sum())} of {g.size} entries differ)"
        worst = float(np.nanmax(err)) if not np.isnan(err).all() else math.nan
        return False, (
            f"largest difference {worst:.3g} > atol={atol:g} + rtol={rtol:g}*|expected|{where}"
        )
    return True, f"atol={atol:g}, rtol={rtol:g}"


def same_value(a: Any, b: Any) -> bool:
    """Exact equality for check_equal: numbers, strings, tuples, lists, dicts, arrays (shape and
    values; a numpy scalar equals the same Python number; a tuple never equals a list)."""
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(b, np.generic):
        b = b.item()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (
            type(a) is type(b) and len(a) == len(b) and all(map(same_value, a, b))  # type: ignore
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same_value(a[k], b[k]) for k in a)
        )
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _portable(value: Any) -> Any:
    """The value as the grader would see it (round trip through the channel's encoding)."""
    try:
        return decode(encode(value))
    except Unportable:
        return value


# ------------------------------------------------------------------ practice-mode failures
def _fail(check: str, name: str, detail: str, hint: str) -> None:
    __tracebackhide__ = True  # IPython and pytest show the test cell's line, not this frame
    msg = f"{check} failed for {name}: {detail}"
    if hint:
        msg += f"\nHint: {hint}"
    raise AssertionError(msg)


def _validate_weight(weight: Any) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
        raise ValueError(f"weight must be a positive number, got {weight!r}")
    return float(weight)


# ------------------------------------------------------------------ the checks
def check_close(
    got: Any,
    expected: Any,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    float64: bool = False,
    weight: float = 1,
    hint: str = "",
    _site: int = 0,
) -> None:
    """Check that ``got`` equals ``expected`` elementwise within ``atol + rtol * |expected|``.

    Shapes must match exactly (a number and a 0-d array count as the same shape). A float32
    ``got`` is compared with at least float32 precision (rtol 1e-5, atol 1e-6) unless
    ``float64=True``. ``weight`` is this check's share of the test cell's points (hidden checks).
    """
    __tracebackhide__ = True
    _validate_weight(weight)
    if _grading is not None:
        value = _numeric(got)
        _report(
            "close",
            _site,
            name,
            value if value is not None else f"not numeric: {type(got).__name__}",
            atol=float(atol),
            rtol=float(rtol),
            float64=bool(float64),
            hint=str(hint)[:500],
        )
        if expected is None:  # withheld: the grader compares, outside the kernel
            return
    ok, detail = close_enough(got, expected, atol, rtol, float64)
    if not ok:
        _fail(
            "check_close",
            name,
            f"expected {describe(_portable(expected))}, got {describe(_portable(got))}; {detail}",
            hint,
        )
    print(f"ok: {name} is close to {describe(_portable(expected), 60)} ({detail})")


def check_equal(
    got: Any, expected: Any, *, name: str, weight: float = 1, hint: str = "", _site: int = 0
) -> None:
    """Check exact equality: ints, strings, tuples, lists, integer/bool arrays (shape and values).

    A float result is compared exactly too: use :func:`check_close` for computed floats.
    """
    __tracebackhide__ = True
    _validate_weight(weight)
    if _grading is not None:
        _report("equal", _site, name, got, hint=str(hint)[:500])
        if expected is None:
            return
    g, e = _portable(got), _portable(expected)
    if not same_value(g, e):
        _fail("check_equal", name, f"expected {describe(e)}, got {describe(g)}", hint)
    print(f"ok: {name} == {describe(e, 60)}")


def check_shape(
    got: Any, shape: Any, *, name: str, weight: float = 1, hint: str = "", _site: int = 0
) -> None:
    """Check that ``np.shape(got) == shape``."""
    __tracebackhide__ = True
    _validate_weight(weight)
    try:
        got_shape: tuple | None = tuple(int(n) for n in np.shape(got))
        reason = ""
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects without a shape
        got_shape, reason = None, str(exc)[:200]
    if _grading is not None:
        _report(
            "shape",
            _site,
            name,
            got_shape if got_shape is not None else f"no shape: {reason}",
            hint=str(hint)[:500],
        )
        if shape is None:
            return
    if got_shape is None:
        _fail("check_shape", name, f"got {describe(got)} has no shape ({reason})", hint)
    if got_shape != tuple(shape):
        _fail("check_shape", name, f"expected shape {tuple(shape)}, got shape {got_shape}", hint)
    print(f"ok: {name} has shape {tuple(shape)}")


def check_object(
    obj: Any,
    expected: Any,
    *,
    name: str,
    evaluate: Callable[[Any, np.random.Generator], Any],
    atol: float | None = None,
    rtol: float | None = None,
    weight: float = 1,
    hint: str = "",
    _site: int = 0,
) -> None:
    """Check a returned object (a trained network, weights, arrays) by evaluating it.

    ``evaluate(obj, rng)`` is a function defined in a *grader cell*; when grading, it runs in the
    grader's own process on a copy of ``obj`` rebuilt from plain data (a network made of
    ``nnlib.nn`` layers runs nnlib's own forward), with ``rng`` seeded at grading time, so the
    inputs it draws never reach the student's kernel. Its result must equal ``expected`` (a
    literal), or be within ``atol``/``rtol`` of it when either is given. Hidden tests only.
    """
    __tracebackhide__ = True
    _validate_weight(weight)
    if _grading is not None:
        _report("object", _site, name, obj, hint=str(hint)[:500])
        return
    try:
        rebuilt = decode(encode(obj))
    except Unportable as exc:
        _fail("check_object", name, f"the grader cannot use this object: {exc}", hint)
    result = evaluate(rebuilt, hidden_rng("evaluate:" + str(name)))
    ok, detail = object_matches(result, expected, atol, rtol)
    if not ok:
        _fail("check_object", name, detail, hint)
    print(f"ok: {name}")


def object_matches(result: Any, expected: Any, atol: float | None, rtol: float | None) -> tuple:
    """(ok, detail): an evaluator's result against check_object's expected value."""
    if atol is None and rtol is None:
        ok = same_value(_portable(result), _portable(expected))
        return ok, "" if ok else f"expected {describe(expected)}, got {describe(result)}"
    ok, detail = close_enough(result, expected, atol or 0.0, rtol or 0.0)
    return ok, "" if ok else f"expected {describe(expected)}, got {describe(result)}; {detail}"


def _channel_writer(fd: int) -> Callable[[str], None]:
    """A writer for the grader's channel (a pipe inherited as ``fd``)."""

    def write(line: str) -> None:
        data = line.encode("utf-8", "backslashreplace")
        while data:
            data = data[os.write(fd, data) :]

    return write
