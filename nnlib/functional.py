"""Activations, softmax and losses (book: Units; Feedforward networks; Backprop).

Every activation ``f`` comes with its derivative ``f_prime``. Both accept a numpy array or a
number and return numpy values, so chapters can plot them directly. Given a :class:`Tensor`,
an activation returns a Tensor whose backward multiplies the upstream gradient by ``f_prime``
(the chain rule: dL/dz = dL/da * f'(z)).

All functions are numerically stable: no overflow for |z| up to the float limits.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .init import as_rng
from .tensor import ShapeError, Tensor

__all__ = [
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "relu",
    "relu_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "hardtanh",
    "hardtanh_prime",
    "swish",
    "swish_prime",
    "gelu",
    "gelu_prime",
    "step",
    "Activation",
    "ACTIVATIONS",
    "get_activation",
    "softmax",
    "log_softmax",
    "logsumexp",
    "linear",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "mse_loss",
    "embedding",
    "segment_sums",
    "used_rows",
    "mean_pool",
    "max_pool",
    "windows",
    "window_mask",
    "conv1d",
    "dropout",
    "REDUCTIONS",
]

Array = np.ndarray


def _elementwise(z: Any, f: Callable[[Array], Array], f_prime: Callable[[Array], Array], op: str):
    """Apply ``f`` to numbers/arrays, or to a Tensor with backward ``g * f_prime(z)``."""
    if isinstance(z, Tensor):
        return Tensor._make(f(z.data), (z,), op, lambda g: z._accum(g * f_prime(z.data)))
    return f(_as_float(z))[()]  # [()] turns a 0-d array into a numpy scalar


def _as_float(z: Any) -> Array:
    """A numpy array of ``z``; integers and booleans become float64, floats keep their dtype."""
    z = np.asarray(z)
    return z.astype(np.float64) if z.dtype.kind in "biu" else z


# ---------------------------------------------------------------------- sigmoid
def _sigmoid(z: Array) -> Array:
    # exp(-|z|) never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z: Any) -> Array:
    """σ'(z) = σ(z) (1 - σ(z)) (book: Units, activations)."""
    s = _sigmoid(_as_float(z))
    return (s * (1 - s))[()]


def sigmoid(z: Any) -> Any:
    """σ(z) = 1 / (1 + exp(-z)) (book: Units, eq. for the logistic unit)."""
    return _elementwise(z, _sigmoid, sigmoid_prime, "sigmoid")


# ---------------------------------------------------------------------- tanh
def tanh_prime(z: Any) -> Array:
    """tanh'(z) = 1 - tanh(z)^2 (book: Units, activations)."""
    t = np.tanh(_as_float(z))
    return (1 - t * t)[()]


def tanh(z: Any) -> Any:
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = 2σ(2z) - 1 (book: Units, activations)."""
    return _elementwise(z, np.tanh, tanh_prime, "tanh")


# ---------------------------------------------------------------------- ReLU family
def relu_prime(z: Any) -> Array:
    """ReLU'(z) = 1 for z > 0, else 0 (at z = 0 we take 0, as PyTorch does)."""
    z = _as_float(z)
    return (z > 0).astype(z.dtype)[()]


def relu(z: Any) -> Any:
    """ReLU(z) = max(z, 0) (book: Units, activations)."""
    if isinstance(z, Tensor):  # the most used activation gets a direct backward: g * [z > 0]
        return Tensor._make(
            np.maximum(z.data, 0), (z,), "relu", lambda g: z._accum(g * (z.data > 0))
        )
    return np.maximum(_as_float(z), 0)[()]


def leaky_relu_prime(z: Any, slope: float = 0.01) -> Array:
    """LeakyReLU'(z) = 1 for z > 0, ``slope`` otherwise."""
    z = _as_float(z)
    return np.where(z > 0, 1.0, slope).astype(z.dtype)[()]


def leaky_relu(z: Any, slope: float = 0.01) -> Any:
    """LeakyReLU(z) = z for z > 0, ``slope`` * z otherwise (book: Units, activations)."""
    return _elementwise(
        z,
        lambda x: np.where(x > 0, x, slope * x).astype(x.dtype),
        lambda x: leaky_relu_prime(x, slope),
        "leaky_relu",
    )


def hardtanh_prime(z: Any) -> Array:
    """HardTanh'(z) = 1 for -1 < z < 1, else 0."""
    z = _as_float(z)
    return ((z > -1) & (z < 1)).astype(z.dtype)[()]


def hardtanh(z: Any) -> Any:
    """HardTanh(z) = -1 for z < -1, z for -1 <= z <= 1, 1 for z > 1 (book: Units).

    Seed note: one source writes the middle piece as 0; it is z (the identity), which is
    what makes hard tanh a cheap, piecewise-linear stand-in for tanh.
    """
    return _elementwise(z, lambda x: np.clip(x, -1, 1), hardtanh_prime, "hardtanh")


def swish_prime(z: Any) -> Array:
    """swish'(z) = σ(z) + z σ(z) (1 - σ(z))."""
    z = _as_float(z)
    s = _sigmoid(z)
    return (s + z * s * (1 - s))[()]


def swish(z: Any) -> Any:
    """swish(z) = z σ(z) (book: Units, activations)."""
    return _elementwise(z, lambda x: x * _sigmoid(x), swish_prime, "swish")


# math.erf elementwise: exact to double precision (numpy has no erf; scipy is not a dependency).
# About 0.15 µs per element: fine for the book's figures and small networks.
_erf = np.frompyfunc(math.erf, 1, 1)


def _phi_cdf(z: Array) -> Array:
    """Φ(z), the standard normal CDF: (1 + erf(z / √2)) / 2, in z's float dtype."""
    erf = np.asarray(_erf(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)), dtype=np.float64)
    return (0.5 * (1.0 + erf)).astype(z.dtype)


def gelu_prime(z: Any) -> Array:
    """GELU'(z) = Φ(z) + z φ(z), with φ(z) = exp(-z²/2) / √(2π) the normal density."""
    z = _as_float(z)
    r = np.minimum(np.abs(z), 40.0)  # beyond |z| = 40 the density is 0 anyway: no overflow
    density = np.exp(-0.5 * r * r) / math.sqrt(2.0 * math.pi)
    return (_phi_cdf(z) + z * density).astype(z.dtype)[()]


def gelu(z: Any) -> Any:
    """GELU(z) = z Φ(z), Φ the standard normal CDF (Hendrycks & Gimpel, 2016; book: Units).

    The exact form (with erf), as PyTorch's default; the tanh approximation
    0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³))) differs from it by less than 1e-3.
    """
    return _elementwise(z, lambda x: x * _phi_cdf(x), gelu_prime, "gelu")


def step(z: Any) -> Array:
    """The perceptron's threshold: 1 if z > 0 else 0 (book: XOR). No useful gradient."""
    return (np.asarray(z) > 0).astype(np.int64)[()]


# ---------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Activation:
    """An activation by name: the function, its derivative, and how the book writes it.

    ``fn`` takes numbers, arrays or Tensors (a Tensor gets a backward); ``prime`` takes numbers or
    arrays. The one registry, :data:`ACTIVATIONS`, is what ``nn``, the widgets and the tests use.
    """

    name: str  # the key, e.g. "leaky_relu"
    fn: Callable[..., Any]
    prime: Callable[..., Any]
    label: str  # for titles and legends, e.g. "leaky ReLU"
    symbol: str  # how its output is written, e.g. "LeakyReLU(z)"


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, sigmoid_prime, "sigmoid", "σ(z)"),
        Activation("tanh", tanh, tanh_prime, "tanh", "tanh(z)"),
        Activation("relu", relu, relu_prime, "ReLU", "ReLU(z)"),
        Activation("leaky_relu", leaky_relu, leaky_relu_prime, "leaky ReLU", "LeakyReLU(z)"),
        Activation("hardtanh", hardtanh, hardtanh_prime, "hard tanh", "HardTanh(z)"),
        Activation("swish", swish, swish_prime, "swish", "swish(z)"),
        Activation("gelu", gelu, gelu_prime, "GELU", "GELU(z)"),
    )
}


def get_activation(name: str) -> Activation:
    """The :class:`Activation` called ``name``, with a clear error listing the known names."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


# ---------------------------------------------------------------------- softmax
def _logsumexp(z: Array, axis: int, keepdims: bool) -> Array:
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or an inf) must not give inf - inf = nan
    with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf row: the right answer
        out = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """log Σ_j exp(z_j), computed as m + log Σ_j exp(z_j - m) with m = max_j z_j (no overflow).

    Works on arrays and on Tensors; its derivative is softmax: d logsumexp(z) / dz_i = softmax(z)_i.
    """
    if not isinstance(z, Tensor):
        return _logsumexp(_as_float(z), axis, keepdims)
    out = _logsumexp(z.data, axis, keepdims)

    def backward(g: Array) -> None:
        lse = out if keepdims else np.expand_dims(out, axis)
        gk = g if keepdims else np.expand_dims(g, axis)
        z._accum(gk * np.exp(z.data - lse))

    return Tensor._make(out, (z,), "logsumexp", backward)


def _softmax(z: Array, axis: int) -> Array:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax(z: Any, axis: int = -1) -> Any:
    """softmax(z)_i = exp(z_i) / Σ_j exp(z_j) (book: Feedforward networks, softmax).

    Backward: dL/dz = s * (g - Σ_j g_j s_j), the Jacobian diag(s) - s s^T applied to g.
    """
    if not isinstance(z, Tensor):
        return _softmax(_as_float(z), axis)
    s = _softmax(z.data, axis)

    def backward(g: Array) -> None:
        z._accum(s * (g - (g * s).sum(axis=axis, keepdims=True)))

    return Tensor._make(s, (z,), "softmax", backward)


def log_softmax(z: Any, axis: int = -1) -> Any:
    """log softmax(z)_i = z_i - logsumexp(z) (stable; book: Feedforward networks)."""
    if not isinstance(z, Tensor):
        z = _as_float(z)
        return z - _logsumexp(z, axis, keepdims=True)
    out = z.data - _logsumexp(z.data, axis, keepdims=True)

    def backward(g: Array) -> None:
        z._accum(g - np.exp(out) * g.sum(axis=axis, keepdims=True))

    return Tensor._make(out, (z,), "log_softmax", backward)


# ---------------------------------------------------------------------- layers as functions
def linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """z = x W^T + b for a batch of row vectors x (book: Feedforward networks, H = σ(XW^T + b)).

    One node in the graph, with the three gradients of the backprop chapter side by side:
    dL/dx = G W,  dL/dW = G^T x,  dL/db = Σ_rows G.
    """
    if x.shape[-1] != W.shape[-1]:
        raise ShapeError(
            f"linear: input has {x.shape[-1]} features but W expects {W.shape[-1]}: "
            f"x {x.shape}, W {W.shape}"
        )
    # Leading axes (a batch of sentences, of windows...) are flattened into rows first: one large
    # matrix product is much faster than numpy's loop of small ones over a 3-d array.
    x2 = x.data if x.ndim == 2 else x.data.reshape(-1, x.shape[-1])
    z = x2 @ W.data.T
    if b is not None:
        z += b.data  # in place: z is a fresh array
    z = z.reshape(*x.shape[:-1], W.shape[0])
    prev = (x, W) if b is None else (x, W, b)

    def backward(g: Array) -> None:
        # Rows of a batch (and of any leading axes) each add their share to dW and db.
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        if x.requires_grad:
            x._accum((g2 @ W.data).reshape(x.shape))
        if W.requires_grad:
            W._accum(g2.T @ x2)
        if b is not None and b.requires_grad:
            b._accum(g2.sum(axis=0))

    return Tensor._make(z, prev, "linear", backward)


# ---------------------------------------------------------------------- embeddings
def embedding(ids: Any, E: Tensor, *, padding_idx: int | None = None) -> Tensor:
    """The rows of E picked by integer ``ids``: E[ids], shape ids.shape + (d,) (book: Embeddings).

    The same as one-hot vectors times E, without building them. Backward: each row of E gets the
    sum of the gradients of every position that picked it (a word used twice gets both); see
    :func:`segment_sums` for how (faster than ``np.add.at``).

    ``padding_idx`` (as in PyTorch): the row of that id gets no gradient, so a padding row that
    starts at zero stays zero and padded positions contribute a zero vector.
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers, got dtype {ids.dtype}")
    out = E.data.take(ids, axis=0)  # E[ids]; take() is numpy's fastest way to gather rows

    def backward(g: Array) -> None:
        flat = ids.reshape(-1)
        g2 = g.reshape(-1, E.shape[-1])
        if padding_idx is None:
            rows, sums = segment_sums(flat, g2)
        else:  # padded positions send nothing back: skip them (without copying g2 first)
            real = np.flatnonzero(flat != padding_idx)
            rows, sums = segment_sums(flat[real], g2, at=real)
        full = np.zeros(E.shape, dtype=E.dtype)  # not zeros_like: calloc leaves unused rows free
        full[rows] = sums
        _remember_rows(full, rows)
        E._accum(full)

    return Tensor._make(out, (E,), "embedding", backward)


def segment_sums(ids: Array, values: Array, *, at: Array | None = None) -> tuple[Array, Array]:
    """(rows, sums): the distinct ``ids`` in increasing order, and for each the sum of the rows of
    ``values`` (n, d) that have that id. ``np.add.at(out, ids, values)`` computes the same.
    With ``at``, ``ids[i]`` belongs to row ``at[i]`` of ``values`` (the other rows are ignored):
    the same as ``segment_sums(ids, values[at])`` without copying those rows first.

    How: sort the ids once, so equal ids form runs; a run of length 1 (most words in a minibatch)
    is a copy, and longer runs are summed with ``np.add.reduceat``. Summing each run in order
    makes the result independent of the batch's order of rows with different ids.
    """
    ids = np.asarray(ids).reshape(-1)
    values = np.asarray(values)
    n = len(ids)
    if n == 0:
        return ids.astype(np.intp), np.zeros((0, *values.shape[1:]), dtype=values.dtype)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    new_run = np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1]))
    starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(starts, n))
    ordered = values.take(order if at is None else np.asarray(at)[order], axis=0)
    sums = np.empty((len(starts), *values.shape[1:]), dtype=values.dtype)
    single = lengths == 1
    sums[single] = ordered.take(starts[single], axis=0)
    if not single.all():
        many = ~single
        in_long_run = np.repeat(many, lengths)
        long_lengths = lengths[many]
        long_starts = np.concatenate(([0], np.cumsum(long_lengths)[:-1]))
        sums[many] = np.add.reduceat(ordered[in_long_run], long_starts, axis=0)
    return sorted_ids[starts], sums


# Which rows an embedding gradient wrote, for the few most recent gradients (weak references:
# nothing is kept alive). Read by used_rows() below, e.g. by Adam's lazy row updates.
_ROW_RECORDS: dict[int, tuple[Any, Array]] = {}


def _remember_rows(grad: Array, rows: Array) -> None:
    if len(_ROW_RECORDS) >= 16:
        _ROW_RECORDS.pop(next(iter(_ROW_RECORDS)))
    _ROW_RECORDS[id(grad)] = (weakref.ref(grad), rows)


def used_rows(grad: Array) -> Array:
    """The indices of the rows (along axis 0) that a gradient of a table touches, in order.

    For a gradient made by :func:`embedding`'s backward these are the rows its minibatch looked
    up (padding excluded), as in PyTorch's sparse embedding gradients: a few hundred of |V|. They
    are recorded when the gradient is made, because finding them by scanning all |V| rows would
    cost as much as a dense update. For any other array (or one whose record was dropped) they are
    the rows that are not all zero. The two agree unless a looked-up row's gradient is exactly
    zero, and as long as the array is not changed in place (scaling it is fine).
    """
    grad = np.asarray(grad)
    record = _ROW_RECORDS.get(id(grad))
    if record is not None and record[0]() is grad:
        return record[1]
    return np.flatnonzero((grad.reshape(len(grad), -1) != 0).any(axis=1))


# ---------------------------------------------------------------------- losses
REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_item: Array, reduction: str, loss: str, count: int | None = None):
    """(value, scale): the reduced loss and the factor its backward multiplies g by.

    ``count`` is how many items a mean divides by (default: all of them).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return per_item, 1.0
    total = per_item.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=per_item.dtype), 1.0
    n = per_item.size if count is None else count
    return np.asarray(total / n, dtype=per_item.dtype), 1.0 / n


def _expand_g(g: Array, reduction: str) -> Array:
    """The upstream gradient as one value per item (a scalar for mean/sum, an array for none)."""
    return g if reduction == "none" else g[()]


def _check_targets(logits: Tensor, y: Any, ignore_index: int | None) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: targets must be integer class indices, got dtype {y.dtype}"
        )
    if logits.ndim not in (2, 3) or y.shape != logits.shape[:-1]:
        raise ShapeError(
            f"cross_entropy: logits must be (N, C) with targets (N,), or (N, L, C) with targets "
            f"(N, L); got logits {logits.shape} and targets {y.shape}"
        )
    C = logits.shape[-1]
    real = y if ignore_index is None else y[y != ignore_index]
    if real.size and (real.min() < 0 or real.max() >= C):
        raise ValueError(
            f"cross_entropy: targets must lie in [0, {C - 1}]"
            + ("" if ignore_index is None else f" (or equal ignore_index={ignore_index})")
            + f", got {real.min()}..{real.max()}"
        )
    return y


def cross_entropy(
    logits: Tensor, y: Any, *, reduction: str = "mean", ignore_index: int | None = None
) -> Tensor:
    """-log softmax(z)_y for each example, averaged (book: Backprop, cross-entropy loss).

    ``logits`` is (N, C) with ``y`` (N,) integer classes, or (N, L, C) with ``y`` (N, L) for a
    sequence of predictions per example (nnlib keeps classes last; PyTorch wants (N, C, L)), or
    (C,) with one class. Targets equal to ``ignore_index`` (padding) contribute nothing, and the
    mean is over the others, as in PyTorch. ``reduction`` is "mean" (default), "sum" or "none"
    (one loss per target, 0 where ignored).

    Fused and stable: L_i = logsumexp(z_i) - z_{i,y_i};  dL_i/dz_i = softmax(z_i) - onehot(y_i).
    Over a large vocabulary (a language model's |V| logits per row) the cost is in passes over
    the (N, C) array, so there are as few as possible: forward max, subtract, exp and sum (the
    exponentials computed in place); the backward pass turns them into the gradient in place.
    """
    if not isinstance(logits, Tensor):
        logits = Tensor(logits)
    if logits.ndim == 1:
        out = cross_entropy(
            logits.reshape(1, -1),
            np.reshape(y, (1,)),
            reduction=reduction,
            ignore_index=ignore_index,
        )
        return out.reshape(()) if reduction == "none" else out
    y = _check_targets(logits, y, ignore_index)
    C = logits.shape[-1]
    z = logits.data.reshape(-1, C)  # every prediction is one row
    t = y.reshape(-1)
    keep = None if ignore_index is None else t != ignore_index
    if keep is not None:
        t = np.where(keep, t, 0)  # any valid class; the row is masked out below
    m = z.max(axis=1, keepdims=True)
    e = np.subtract(z, m)  # shifted by the row max: no overflow
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    per_row = np.log(s[:, 0]) + m[:, 0] - z[rows, t]
    count = None
    if keep is not None:
        per_row = np.where(keep, per_row, 0.0).astype(z.dtype)
        count = int(keep.sum())
        if count == 0 and reduction == "mean":
            raise ValueError(
                f"cross_entropy: every target equals ignore_index={ignore_index}, so the mean "
                f"is over nothing; use reduction='sum' or drop the all-padding batch"
            )
    value, scale = _reduce(per_row.reshape(y.shape), reduction, "cross_entropy", count)
    spent = [False]  # the first backward reuses e's memory; a second one recomputes e

    def backward(g: Array) -> None:
        gi = _expand_g(g, reduction)
        # w_i = the weight of row i's loss in the total: g * scale (a scalar), or g_i for "none"
        w = gi.reshape(-1, 1) * scale if reduction == "none" else np.asarray(gi * scale)
        d = e if not spent[0] else np.exp(z - m)
        spent[0] = True
        np.multiply(d, (w / s).astype(d.dtype, copy=False), out=d)  # w_i softmax(z_i)
        d[rows, t] -= np.broadcast_to(w, (len(rows), 1))[:, 0]  # - w_i onehot(y_i)
        if keep is not None:
            d[~keep] = 0
        logits._accum(d.reshape(logits.shape))

    return Tensor._make(value, (logits,), "cross_entropy", backward)


def binary_cross_entropy(p: Tensor, y: Any, *, reduction: str = "mean") -> Tensor:
    """-[y log p + (1 - y) log(1 - p)] for probabilities p, averaged (book: Backprop).

    As in PyTorch, each log is clamped at -100 so p = 0 or 1 gives a finite loss.
    """
    if not isinstance(p, Tensor):
        p = Tensor(p)
    y = np.asarray(y, dtype=p.dtype)
    if y.shape != p.shape:
        raise ShapeError(f"binary_cross_entropy: p has shape {p.shape} but y has shape {y.shape}")
    q = p.data
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(q), -100)
        log_1mp = np.maximum(np.log1p(-q), -100)
    value, scale = _reduce(-(y * log_p + (1 - y) * log_1mp), reduction, "binary_cross_entropy")

    def backward(g: Array) -> None:
        # dL/dp = (p - y) / (p (1 - p)), with the denominator kept away from 0.
        denom = np.maximum(q * (1 - q), 1e-12)
        p._accum(_expand_g(g, reduction) * scale * (q - y) / denom)

    return Tensor._make(value, (p,), "binary_cross_entropy", backward)


def binary_cross_entropy_with_logits(z: Tensor, y: Any, *, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(σ(z), y) computed from logits without overflow.

    L = max(z, 0) - z y + log(1 + exp(-|z|));  dL/dz = σ(z) - y, the book's "dL/dz = a - y".
    """
    if not isinstance(z, Tensor):
        z = Tensor(z)
    y = np.asarray(y, dtype=z.dtype)
    if y.shape != z.shape:
        raise ShapeError(
            f"binary_cross_entropy_with_logits: z has shape {z.shape} but y has shape {y.shape}"
        )
    x = z.data
    per_item = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    value, scale = _reduce(per_item, reduction, "binary_cross_entropy_with_logits")

    def backward(g: Array) -> None:
        z._accum(_expand_g(g, reduction) * scale * (_sigmoid(x) - y))

    return Tensor._make(value, (z,), "bce_with_logits", backward)


def mse_loss(y_hat: Tensor, y: Any, *, reduction: str = "mean") -> Tensor:
    """Squared error (ŷ - y)^2, averaged (or summed, or per item)."""
    if not isinstance(y_hat, Tensor):
        y_hat = Tensor(y_hat)
    y = y if isinstance(y, Tensor) else Tensor(np.asarray(y, dtype=y_hat.dtype))
    if y.shape != y_hat.shape:
        raise ShapeError(f"mse_loss: y_hat has shape {y_hat.shape} but y has shape {y.shape}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    d = y_hat - y
    sq = d * d
    return sq if reduction == "none" else sq.sum() if reduction == "sum" else sq.mean()


# ---------------------------------------------------------------------- pooling and windows
def _pool_mask(x: Tensor, mask: Any, op: str) -> Array:
    """The mask as a float array of shape x.shape[:-1] (1 = real token, 0 = padding), checked."""
    if x.ndim < 2:
        raise ShapeError(f"{op}: expected x of shape (..., L, d), got {x.shape}")
    m = np.asarray(mask)
    if m.shape != x.shape[:-1]:
        raise ShapeError(f"{op}: mask has shape {m.shape}, expected {x.shape[:-1]} for x {x.shape}")
    if m.dtype == x.dtype:  # already 0.0 / 1.0 in the right type (as nnlib.text.pad makes it)
        return m
    return (m != 0).astype(x.dtype)


def mean_pool(x: Tensor, mask: Any = None, axis: int = -2) -> Tensor:
    """Average the vectors of a sequence: x_mean = (1/N) Σ_i e(w_i) (book: Embeddings, pooling).

    ``x`` is (..., L, d); ``mask`` (..., L) marks real tokens with 1 and padding with 0, so
    padded positions do not dilute the mean: each row is divided by its own number of real
    tokens N, not by L. A row with no real token gives the zero vector. With a mask the sequence
    axis is the second to last (``axis`` is for unmasked input only).

    One fused node: backward sends dL/dx_i = m_i / N * g to every position i.
    """
    if mask is None:
        return x.mean(axis=axis)
    if axis not in (-2, x.ndim - 2):
        raise ValueError(f"mean_pool: with a mask the sequence axis must be -2, got axis={axis}")
    m = _pool_mask(x, mask, "mean_pool")
    w = m / np.maximum(m.sum(axis=-1, keepdims=True), 1)  # m_i / N for every position
    out = np.einsum("...l,...ld->...d", w, x.data)

    def backward(g: Array) -> None:
        x._accum(w[..., None] * g[..., None, :])

    return Tensor._make(out, (x,), "mean_pool", backward)


def max_pool(x: Tensor, mask: Any = None, axis: int = -2) -> Tensor:
    """Element-wise max over the sequence: x_max[k] = max_i x_i[k] (book: Embeddings, pooling).

    ``x`` is (..., L, d); with ``mask`` (..., L) padded positions are never chosen, and a row with
    no real token gives the zero vector. The gradient of each output goes to the one position that
    was chosen (the first maximum if several are equal), as in PyTorch's max pooling; the other
    positions get 0. With a mask the sequence axis is the second to last.
    """
    if mask is None:
        if x.ndim < 2:
            raise ShapeError(f"max_pool: expected x of shape (..., L, d), got {x.shape}")
        xs = x.data if axis in (-2, x.ndim - 2) else np.moveaxis(x.data, axis, -2)
        m = None
    else:
        if axis not in (-2, x.ndim - 2):
            raise ValueError(f"max_pool: with a mask the sequence axis must be -2, got axis={axis}")
        m = _pool_mask(x, mask, "max_pool")
        xs = np.where(m[..., None] > 0, x.data, -np.inf)
    idx = np.expand_dims(xs.argmax(axis=-2), -2)  # (..., 1, d): which position won each feature
    out = np.take_along_axis(xs, idx, axis=-2)[..., 0, :]
    empty = None
    if m is not None:
        empty = m.sum(axis=-1) == 0  # rows without a real token: output 0, no gradient
        out = np.where(empty[..., None], 0, out).astype(x.dtype)

    def backward(g: Array) -> None:
        if empty is not None:
            g = np.where(empty[..., None], 0, g)
        full = np.zeros(xs.shape, dtype=x.dtype)
        np.put_along_axis(full, idx, g[..., None, :], axis=-2)
        if mask is None and axis not in (-2, x.ndim - 2):
            full = np.moveaxis(full, -2, axis)
        x._accum(full)

    return Tensor._make(out, (x,), "max_pool", backward)


def windows(x: Tensor, width: int, *, padding: int = 0) -> Tensor:
    """Every window of ``width`` consecutive vectors, concatenated (book: Embeddings, CNNs).

    ``x`` is (N, L, d); the result is (N, n, width * d) with n = L + 2 * padding - width + 1:
    row j is [x_j; x_{j+1}; ...; x_{j+width-1}], the input that a convolution filter of this width
    sees at position j. ``padding`` zero vectors are added at both ends first (PyTorch's Conv1d
    ``padding``), so with ``padding = width - 1`` every token is in ``width`` windows, even in a
    sentence shorter than the window.

    One fused node. Backward adds each window's gradient back onto the positions it covers:
    ``width`` slice additions (each position is in up to ``width`` windows).
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim != 3:
        raise ShapeError(f"windows: expected x of shape (N, L, d), got {x.shape}")
    if not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"windows: width must be a positive integer, got {width!r}")
    if not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"windows: padding must be a non-negative integer, got {padding!r}")
    N, L, d = x.shape
    Lp = L + 2 * padding
    n = Lp - width + 1
    if n < 1:
        raise ShapeError(
            f"windows: a sequence of length {L} (padding {padding}) is shorter than the window "
            f"width {width}"
        )
    if padding:
        xp = np.zeros((N, Lp, d), dtype=x.dtype)
        xp[:, padding : padding + L] = x.data
    else:
        xp = x.data
    out = np.empty((N, n, width, d), dtype=x.dtype)
    for i in range(width):  # window j, slot i holds position j + i
        out[:, :, i] = xp[:, i : i + n]

    def backward(g: Array) -> None:
        gw = g.reshape(N, n, width, d)
        full = np.zeros((N, Lp, d), dtype=x.dtype)
        for i in range(width):
            full[:, i : i + n] += gw[:, :, i]  # basic slices: no np.add.at needed
        x._accum(full[:, padding : padding + L] if padding else full)

    return Tensor._make(out.reshape(N, n, width * d), (x,), "windows", backward)


def window_mask(mask: Any, width: int, *, padding: int = 0) -> Array:
    """Which windows of :func:`windows` contain at least one real token: (N, L) -> (N, n).

    ``mask`` marks real tokens with 1 and padding with 0; the padding added by :func:`windows`
    counts as padding. Use it to pool the outputs of a convolution over real windows only.
    """
    m = (np.asarray(mask) != 0).astype(np.float64)
    if m.ndim != 2:
        raise ShapeError(f"window_mask: expected a mask of shape (N, L), got {m.shape}")
    if padding:
        m = np.pad(m, ((0, 0), (padding, padding)))
    if m.shape[1] < width:
        raise ShapeError(
            f"window_mask: length {m.shape[1]} (with padding) is shorter than the width {width}"
        )
    return np.lib.stride_tricks.sliding_window_view(m, width, axis=1).max(axis=-1)


def conv1d(x: Tensor, W: Tensor, b: Tensor | None = None, *, padding: int = 0) -> Tensor:
    """A 1-d convolution over a sequence of vectors: z_j = W [x_j; ...; x_{j+k-1}] + b.

    ``x`` (N, L, d), ``W`` (d_out, k * d) with k the window width, ``b`` (d_out,): the same linear
    map applied to every window of :func:`windows` (book: Embeddings, CNNs). Returns
    (N, n, d_out). Differs from ``torch.nn.functional.conv1d``, which wants (N, d, L) and a weight
    of shape (d_out, d, k): here a window's vectors are concatenated in order, as in the book.
    """
    d = x.shape[-1]
    if W.ndim != 2 or W.shape[1] % d:
        raise ShapeError(
            f"conv1d: W must be (d_out, width * d) with d = {d} features per position, "
            f"got W {W.shape}"
        )
    return linear(windows(x, W.shape[1] // d, padding=padding), W, b)


# ---------------------------------------------------------------------- regularisation
def dropout(x: Tensor, p: float, *, training: bool = True, rng: Any = None) -> Tensor:
    """Inverted dropout: zero each entry with probability p, scale the rest by 1 / (1 - p).

    The scaling keeps the expected value of every entry unchanged, so nothing changes at test
    time (``training=False`` returns ``x`` itself), as in PyTorch's ``F.dropout``. ``rng`` is a
    numpy Generator or a seed (nnlib has no global random state).
    """
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    if not isinstance(x, Tensor):
        x = Tensor(x)
    keep = (as_rng(rng).random(x.shape) >= p).astype(x.dtype) / (1 - p)
    return Tensor._make(x.data * keep, (x,), "dropout", lambda g: x._accum(g * keep))
