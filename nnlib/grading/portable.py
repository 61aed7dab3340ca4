"""Values that cross from a student's kernel to the grader: plain data only, never code.

A check in the kernel *encodes* the value the student's code produced (numbers, strings, numpy
arrays, nnlib tensors, tuples, lists, dicts with string keys, and networks made of ``nnlib.nn``
layers); the grader *decodes* it in its own process. Decoding never imports, calls or unpickles
anything the student chose: arrays are rebuilt from raw bytes of an allowed dtype, and a network
is rebuilt as an instance of one of the allowed ``nnlib.nn`` classes whose attributes are set
from the data (so its ``forward`` is nnlib's own, not the student's). Everything else is
"unusable", with a reason the student can read.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

# Layers a returned network may be made of: rebuilt from data, run with nnlib's own forward().
MODULE_NAMES = (
    "Linear",
    "Embedding",
    "Sequential",
    "MLP",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "HardTanh",
    "Swish",
    "LeakyReLU",
    "Activation",
    "Dropout",
    "MeanPool",
    "MaxPool",
    "Conv1d",
)
DTYPES = ("b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")
MAX_DEPTH = 32
MAX_ELEMENTS = 20_000_000  # all arrays of one value together
MAX_STRING = 100_000


class Unportable(TypeError):
    """A value that cannot be sent to the grader, with the reason."""


def encode(value: Any) -> Any:
    """A JSON-able form of ``value``; raises :class:`Unportable` with a reason."""
    return _Encoder().encode(value, 0)


class _Encoder:
    def __init__(self) -> None:
        self.elements = 0
        self.seen: set[int] = set()

    def encode(self, v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Unportable(f"the value is nested more than {MAX_DEPTH} levels deep")
        if v is None or isinstance(v, (bool, str)):
            if isinstance(v, str) and len(v) > MAX_STRING:
                raise Unportable(f"a string of {len(v)} characters is too long")
            return v
        if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            return {"$int": str(int(v))} if abs(int(v)) >= 2**53 else int(v)
        if isinstance(v, (float, np.generic, np.ndarray)):
            return {"$array": self.array(np.asarray(v))}
        if isinstance(v, tuple):
            return {"$tuple": [self.encode(x, depth + 1) for x in v]}
        if isinstance(v, list):
            return [self.encode(x, depth + 1) for x in v]
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise Unportable("a dict whose keys are not all strings")
            return {"$dict": [[k, self.encode(x, depth + 1)] for k, x in v.items()]}
        from ..nn import Module
        from ..tensor import Tensor

        if isinstance(v, Tensor):
            return {"$tensor": self.array(np.asarray(v.data))}
        if isinstance(v, Module):
            return self.module(v, depth)
        raise Unportable(f"a value of type {type(v).__name__} cannot be checked")

    def array(self, a: np.ndarray) -> dict:
        code = f"{a.dtype.kind}{a.dtype.itemsize}"
        if code not in DTYPES:
            raise Unportable(f"an array of dtype {a.dtype} cannot be checked")
        self.elements += a.size
        if self.elements > MAX_ELEMENTS:
            raise Unportable(f"more than {MAX_ELEMENTS} numbers in one value")
        data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        return {
            "dtype": code,
            "shape": [int(n) for n in a.shape],
            "data": base64.b64encode(data.tobytes()).decode(),
        }

    def module(self, m: Any, depth: int) -> dict:
        from .. import nn

        name = type(m).__name__
        if name not in MODULE_NAMES or type(m) is not getattr(nn, name):
            raise Unportable(
                f"a network of type {type(m).__name__} cannot be rebuilt by the grader; build it "
                f"from nnlib.nn layers ({', '.join(MODULE_NAMES[:4])}, ...)"
            )
        if id(m) in self.seen:
            raise Unportable("a network that contains itself")
        self.seen.add(id(m))
        state = {}
        for key, val in vars(m).items():
            if not key.isidentifier() or key.startswith("_"):
                raise Unportable(f"{name} has an unexpected attribute {key!r}")
            if isinstance(m, nn.Dropout) and key == "rng":
                continue  # a generator is not data; the rebuilt layer gets a seeded one
            state[key] = self.encode(val, depth + 1)
        self.seen.discard(id(m))
        return {"$module": name, "state": state}


def decode(data: Any) -> Any:
    """Rebuild a value made by :func:`encode` (from untrusted data); raises Unportable."""
    return _Decoder().decode(data, 0)


class _Decoder:
    def __init__(self) -> None:
        self.elements = 0

    def decode(self, d: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Unportable("the value is nested too deeply")
        if d is None or isinstance(d, (bool, int, str)):
            return d
        if isinstance(d, float):  # not produced by encode, but harmless
            return d
        if isinstance(d, list):
            return [self.decode(x, depth + 1) for x in d]
        if not isinstance(d, dict) or len(d) not in (1, 2):
            raise Unportable("malformed value")
        if "$int" in d:
            return int(str(d["$int"])[:400])
        if "$array" in d:
            a = self.array(d["$array"])
            return a[()] if a.ndim == 0 else a
        if "$tuple" in d:
            return tuple(self.decode(x, depth + 1) for x in self.seq(d["$tuple"]))
        if "$dict" in d:
            out = {}
            for item in self.seq(d["$dict"]):
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise Unportable("malformed dict")
                out[item[0]] = self.decode(item[1], depth + 1)
            return out
        if "$tensor" in d:
            from ..tensor import Tensor

            return Tensor(self.array(d["$tensor"]))
        if "$module" in d:
            return self.module(d, depth)
        if "$unusable" in d:
            raise Unportable(str(d["$unusable"])[:300])
        raise Unportable("malformed value")

    @staticmethod
    def seq(x: Any) -> list:
        if not isinstance(x, list):
            raise Unportable("malformed value")
        return x

    def array(self, d: Any) -> np.ndarray:
        if not isinstance(d, dict):
            raise Unportable("malformed array")
        code, shape, data = d.get("dtype"), d.get("shape"), d.get("data")
        if code not in DTYPES or not isinstance(shape, list) or not isinstance(data, str):
            raise Unportable("malformed array")
        if len(shape) > 32 or not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape):
            raise Unportable("malformed array shape")
        size = int(np.prod(shape, dtype=np.int64)) if shape else 1
        self.elements += size
        if self.elements > MAX_ELEMENTS:
            raise Unportable("too many numbers")
        dtype = np.dtype("?" if code == "b1" else f"<{code}")
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError as exc:
            raise Unportable("malformed array data") from exc
        if len(raw) != size * dtype.itemsize:
            raise Unportable("array data does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))

    def module(self, d: dict, depth: int) -> Any:
        from .. import functional as F
        from .. import nn
        from ..tensor import Tensor

        name, state = d.get("$module"), d.get("state")
        if name not in MODULE_NAMES or not isinstance(state, dict):
            raise Unportable(f"unknown network type {str(name)[:50]!r}")
        cls = getattr(nn, name)
        obj = cls.__new__(cls)
        if issubclass(cls, nn.Activation):
            try:  # a name nnlib's own registry knows (anything else is refused)
                F.get_activation(state.get("activation"))
            except ValueError as exc:
                raise Unportable(str(exc)[:200]) from exc
        if issubclass(cls, nn.Dropout):
            obj.rng = np.random.default_rng(0)
        for key, val in state.items():
            if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
                raise Unportable("malformed network attribute")
            value = self.decode(val, depth + 1)
            if isinstance(value, Tensor):  # parameters come back as Parameters
                value = nn.Parameter(value.data)
            elif isinstance(value, list):
                value = [nn.Parameter(v.data) if isinstance(v, Tensor) else v for v in value]
            setattr(obj, key, value)
        return obj


def describe(value: Any, limit: int = 120) -> str:
    """A short readable form of a decoded value (for feedback)."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value.ravel()[:8], precision=6, separator=", ")
        if value.size > 8:
            text = text[:-1] + ", ...]"
        if value.ndim != 1:
            text = f"{text} (shape {value.shape})"
        if value.dtype != np.float64 and value.dtype.kind == "f":
            text += f" ({value.dtype})"
    elif isinstance(value, np.generic):
        text = repr(value.item())
    elif isinstance(value, tuple):
        text = "(" + ", ".join(describe(v, 40) for v in value) + ")"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + " ..."
