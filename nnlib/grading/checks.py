"""Checking helpers that exercise test cells call.

Two modes:

* **Practice** (a student runs the notebook in Jupyter): each check compares the value the
  student's code produced with the expected value, prints a short success line, or raises
  ``AssertionError`` saying which check failed, expected vs got (with the tolerance) and a hint.
* **Grading** (``python -m nnlib.grading grade``): the grader rewrites each test cell so that the
  expected values never reach the student's kernel, and starts it with :func:`_begin`. Each check
  then only *prints a record* of the value the student's code produced, bound to a per-run nonce.
  The grader, outside the kernel, compares these records with the ones the reference solution
  produced. Nothing the kernel does (patching numpy, these helpers, ``print``...) can turn a
  wrong value into a pass without knowing the right value.

Test cells must check values the student's code produced, never a boolean computed in the
kernel (not ``check_equal(np.allclose(a, b), True)``), and should write the expected value
inside the check call (so the grader can withhold it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any

import numpy as np

__all__ = ["check_close", "check_equal", "check_shape", "RECORD_PREFIX"]

RECORD_PREFIX = "NNBOOK-RECORD "

# Grading state: set by _begin() at the top of each (rewritten) test cell; None in practice mode.
_grading: dict[str, Any] | None = None


def _begin(nonce: str, grade_id: str) -> None:
    """Enter grading mode for test cell ``grade_id`` (the grader inserts this call)."""
    global _grading
    _grading = {"nonce": nonce, "grade_id": grade_id, "index": 0, "hidden": False}


def _hidden(flag: bool) -> None:
    """Mark the following checks as hidden tests (their expected values are never shown)."""
    if _grading is not None:
        _grading["hidden"] = bool(flag)


def canonical(value: Any) -> Any:
    """A JSON-able canonical form of a checked value (arrays -> nested lists, -0.0 -> 0.0).

    Raises ``TypeError`` for values that cannot be checked (functions, arbitrary objects).
    """
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return 0.0 if x == 0.0 else x
    if isinstance(value, tuple):
        return {"tuple": [canonical(v) for v in value]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot check an array of dtype {value.dtype}")
        return {"shape": list(value.shape), "kind": value.dtype.kind, "values": _flat(value)}
    raise TypeError(f"cannot check a value of type {type(value).__name__}")


def _flat(a: np.ndarray) -> list:
    out = a.ravel().tolist()
    if a.dtype.kind == "f":
        out = [0.0 if x == 0.0 else x for x in out]
    return out


def record_mac(nonce: str, payload: dict) -> str:
    """HMAC-SHA256 of a record's payload under the test cell's nonce (the grader recomputes it)."""
    body = json.dumps(payload, sort_keys=True, allow_nan=True)
    return hmac.new(nonce.encode(), body.encode(), hashlib.sha256).hexdigest()


def _emit(kind: str, name: str, value: Any, **extra: Any) -> None:
    """Grading mode: print one record of the value the student's code produced."""
    assert _grading is not None
    try:
        value = canonical(value)
    except (TypeError, ValueError) as exc:
        value = {"unusable": str(exc)}
    payload = {
        "grade_id": _grading["grade_id"],
        "index": _grading["index"],
        "kind": kind,
        "name": str(name),
        "value": value,
        "hidden": _grading["hidden"],
        **extra,
    }
    _grading["index"] += 1
    record = {**payload, "mac": record_mac(_grading["nonce"], payload)}
    print(RECORD_PREFIX + json.dumps(record, sort_keys=True, allow_nan=True), flush=True)


def _fmt(x: Any, limit: int = 200) -> str:
    if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
        x = x.item()  # 0.5, not np.float64(0.5)
    text = np.array2string(x, precision=6) if isinstance(x, np.ndarray) else repr(x)
    return text if len(text) <= limit else text[:limit] + " ..."


def _fail(check: str, name: str, detail: str, hint: str) -> None:
    __tracebackhide__ = True  # IPython and pytest show the test cell's line, not this frame
    msg = f"{check} failed for {name}: {detail}"
    if hint:
        msg += f"\nHint: {hint}"
    raise AssertionError(msg)


def _as_float_array(x: Any, what: str, name: str, hint: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        _fail("check_close", name, f"{what} {_fmt(x)} is not a number or numeric array", hint)
        raise  # unreachable: _fail raises


def check_close(
    got: Any,
    expected: Any,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    hint: str = "",
) -> None:
    """Check that ``got`` equals ``expected`` elementwise within ``atol + rtol * |expected|``.

    Shapes must match exactly (a float and a 0-d array count as the same shape).
    """
    __tracebackhide__ = True
    if _grading is not None:
        try:
            value = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            value = f"not numeric: {type(got).__name__}"
        _emit("close", name, value, atol=float(atol), rtol=float(rtol), hint=str(hint))
        if expected is None:  # withheld: the grader compares, outside the kernel
            return
    g = _as_float_array(got, "got", name, hint)
    e = _as_float_array(expected, "expected", name, hint)
    if g.shape != e.shape:
        _fail("check_close", name, f"expected shape {e.shape}, got shape {g.shape}", hint)
    err = np.abs(g - e)
    bad = ~(err <= atol + rtol * np.abs(e))  # NaN counts as bad
    if bad.any():
        where = "" if g.ndim == 0 else f" ({int(bad.sum())} of {g.size} entries differ)"
        worst = float(np.nanmax(err)) if not np.isnan(err).all() else math.nan
        _fail(
            "check_close",
            name,
            f"expected {_fmt(expected)}, got {_fmt(got)}{where}; "
            f"largest difference {worst:.3g} > atol={atol:g} + rtol={rtol:g}*|expected|",
            hint,
        )
    print(f"ok: {name} is close to {_fmt(expected, 60)} (atol={atol:g}, rtol={rtol:g})")


def check_equal(got: Any, expected: Any, *, name: str, hint: str = "") -> None:
    """Check exact equality: ints, strings, tuples, integer/bool arrays (shape and values)."""
    __tracebackhide__ = True
    if _grading is not None:
        _emit("equal", name, got, hint=str(hint))
        if expected is None:
            return
    try:
        same = canonical(got) == canonical(expected)
    except TypeError as exc:
        _fail("check_equal", name, str(exc), hint)
    if not same:
        _fail("check_equal", name, f"expected {_fmt(expected)}, got {_fmt(got)}", hint)
    print(f"ok: {name} == {_fmt(expected, 60)}")


def check_shape(got: Any, shape: tuple[int, ...], *, name: str, hint: str = "") -> None:
    """Check that ``np.shape(got) == shape``."""
    __tracebackhide__ = True
    try:
        got_shape = tuple(int(n) for n in np.shape(got))
    except (TypeError, ValueError) as exc:
        got_shape = None
        reason = str(exc)
    if _grading is not None:
        _emit("shape", name, got_shape if got_shape is not None else f"no shape: {reason}")
        if shape is None:
            return
    if got_shape is None:
        _fail("check_shape", name, f"got {_fmt(got)} has no shape ({reason})", hint)
    if got_shape != tuple(shape):
        _fail("check_shape", name, f"expected shape {tuple(shape)}, got shape {got_shape}", hint)
    print(f"ok: {name} has shape {tuple(shape)}")
