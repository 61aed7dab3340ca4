"""Feedforward networks: softmax, layers, sentiment from hand-built features, vectorised
inference, deeper versus wider.

Book: chapter 3, "Feedforward networks". The chapter's equations, in the names used here. A single
example is a vector ``x``; a batch is a matrix ``X`` with one example per **row**, as in nnlib's
``Linear`` (which stores W with shape (d_out, d_in) and computes ``x W^T + b``):

- softmax (3.2):            softmax(z)_i = exp(z_i) / sum_j exp(z_j),  1 <= i <= k
- two-layer network (3.3):  h = g(W x + b),  z = U h + c,  y_hat = sigma(z) or softmax(z)
- n layers (3.4):           z[i] = W[i] a[i-1] + b[i],  a[i] = g[i](z[i]),  y_hat = a[n]
- a batch (3.6):            H = g(X W^T + b),  Z = H U^T + c,  Y_hat = softmax(Z)

Everything here is numpy or nnlib; the chapter's widgets (``nnlib.widgets.feedforward``) only
call it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..geometry import boundary_segment, grid_points
from ..init import as_rng
from ..tensor import Tensor, no_grad
from ..text import SENTIMENT_FEATURES, is_pronoun, sentiment_features, tokenize
from ..train import FitState, History, accuracy, fit, predict

__all__ = [
    # 3.2 softmax
    "SLIDE_LOGITS",
    "SLIDE_SOFTMAX",
    "softmax_naive",
    "softmax_temperature",
    "sigmoid_via_softmax",
    "softmax_shift",
    "softmax_logit_curve",
    "RoundingCheck",
    "rounding_report",
    # 3.3-3.4 layers
    "Layer",
    "layers_of",
    "forward",
    "fold_bias",
    "add_dummy_unit",
    "forward_with_dummy_units",
    "two_layer",
    "two_layer_loop",
    "time_loop_vs_batch",
    "n_params",
    # 3.3 the explorer's 2-D data
    "make_spiral",
    "SnapshotRun",
    "train_snapshots",
    "explorer_runs",
    "ExplorerFrame",
    "explorer_frame",
    "EXPLORER_WIDTHS",
    "EXPLORER_ACTIVATIONS",
    # 3.5 sentiment
    "FEATURE_NAMES",
    "featurize",
    "SentimentData",
    "load_sentiment_data",
    "majority_class",
    "lexicon_rule",
    "Standardizer",
    "SentimentClassifier",
    "train_sentiment_classifier",
    "train_seeds",
    "accuracies",
    "feature_lookup_accuracy",
    "conflicting_groups",
    "chapter_models",
    "ChapterModels",
    "SentenceReadout",
    "read_sentence",
    # 3.7 deeper versus wider
    "make_rings",
    "width_for_budget",
    "StackedRuns",
    "train_stacked",
    "DeepWideResult",
    "deep_vs_wide",
]

Array = np.ndarray


def _floats(x: Any, what: str, ndim: tuple[int, ...] | None = None) -> Array:
    a = np.asarray(x, dtype=np.float64)
    if ndim is not None and a.ndim not in ndim:
        dims = " or ".join(f"{d}-d" for d in ndim)
        raise ValueError(f"{what} must be a {dims} array, got shape {a.shape}")
    return a


# ====================================================================== 3.2 softmax
# The worked example of the Jurafsky & Martin slides, and the probabilities as the slide prints
# them (strings: how many decimals the slide shows matters for the rounding check).
SLIDE_LOGITS = (0.6, 1.1, -1.5, 1.2, 3.2, -1.1)
SLIDE_SOFTMAX = ("0.055", "0.090", "0.006", "0.099", "0.74", "0.010")


def softmax_naive(z: Any, axis: int = -1) -> Array:
    """exp(z_i) / sum_j exp(z_j) exactly as written, with no protection against overflow.

    For the book's overflow example only: exp(1000) is inf in float64, and inf / inf is NaN. Use
    :func:`nnlib.functional.softmax`, which subtracts max(z) first (book: 3.2, "a stable
    softmax"). numpy's overflow warnings are silenced here because the NaN is the point.
    """
    z = _floats(z, "z")
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)


def softmax_temperature(z: Any, T: float, axis: int = -1) -> Array:
    """softmax(z / T): T > 1 flattens the distribution, T < 1 sharpens it (book: 3.2).

    T = 1 is the plain softmax; as T -> 0 it tends to a one-hot vector on argmax(z) and as
    T -> infinity to the uniform distribution. The argmax never changes with T.
    """
    if not (isinstance(T, (int, float, np.number)) and np.isfinite(T) and T > 0):
        raise ValueError(f"temperature T must be a positive finite number, got {T!r}")
    return F.softmax(_floats(z, "z") / float(T), axis=axis)


def sigmoid_via_softmax(z: Any) -> Array:
    """softmax([z, 0])_1 for each z: the sigmoid, computed as a two-class softmax (book: 3.2).

    exp(z) / (exp(z) + exp(0)) = 1 / (1 + exp(-z)) = sigma(z).
    """
    z = _floats(z, "z")
    pairs = np.stack([z, np.zeros_like(z)], axis=-1)
    return F.softmax(pairs, axis=-1)[..., 0]


def softmax_shift(z: Any, i: int, T: float = 1.0) -> float:
    """m_i with softmax(z / T)_i = sigma((z_i - m_i) / T): each softmax output is a sigmoid of its
    own logit, shifted by m_i = T log sum_{j != i} exp(z_j / T) (book: 3.2).

    For two classes z = [z_1, 0], m_1 = 0: the sigmoid itself.
    """
    z = _floats(z, "z", (1,))
    if not 0 <= i < z.size:
        raise ValueError(f"class index i must be in 0..{z.size - 1}, got {i}")
    if z.size < 2:
        raise ValueError("softmax_shift needs at least two logits")
    softmax_temperature(z, T)  # validates T
    return float(T * F.logsumexp(np.delete(z, i) / T))


def softmax_logit_curve(z: Any, i: int, grid: Any, T: float = 1.0) -> Array:
    """softmax(z' / T)_i where z' is z with z_i replaced by each value of ``grid`` (book: 3.2).

    How one class's probability moves when only its own logit moves: an S-curve, the sigmoid
    shifted to m_i (:func:`softmax_shift`).
    """
    z = _floats(z, "z", (1,))
    if not 0 <= i < z.size:
        raise ValueError(f"class index i must be in 0..{z.size - 1}, got {i}")
    g = _floats(grid, "grid", (1,))
    Z = np.repeat(z[None, :], g.size, axis=0)
    Z[:, i] = g
    return softmax_temperature(Z, T)[:, i]


@dataclass(frozen=True)
class RoundingCheck:
    """How one printed probability relates to the exact value: rounded, truncated, or neither."""

    shown: str  # as printed, e.g. "0.006"
    exact: float
    rounded: str  # the exact value rounded half-up to as many decimals as ``shown`` has
    truncated: str  # the exact value cut off after that many decimals

    @property
    def verdict(self) -> str:
        r, t = self.shown == self.rounded, self.shown == self.truncated
        return "both" if r and t else "rounded" if r else "truncated" if t else "neither"


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def rounding_report(exact: Sequence[float], shown: Sequence[str]) -> list[RoundingCheck]:
    """For each printed number, is it the exact value rounded or truncated (book: 3.2 note)?

    ``shown`` are strings, so "0.74" (2 decimals) and "0.740" (3) are told apart. Decimal
    arithmetic on the shortest repr of each float, so 0.0999... is not misjudged by binary noise.
    """
    if len(exact) != len(shown):
        raise ValueError(f"{len(exact)} exact values but {len(shown)} shown values")
    out = []
    for value, text in zip(exact, shown):
        if not isinstance(text, str):
            raise TypeError(f"shown values must be strings as printed, got {text!r}")
        q = Decimal(1).scaleb(-_decimals(text))  # 0.001 for 3 decimals
        d = Decimal(repr(float(value)))
        out.append(
            RoundingCheck(
                shown=text,
                exact=float(value),
                rounded=str(d.quantize(q, rounding=ROUND_HALF_UP)),
                truncated=str(d.quantize(q, rounding=ROUND_DOWN)),
            )
        )
    return out


# ====================================================================== 3.3-3.4 layers
@dataclass
class Layer:
    """One fully connected layer: z = W a + b, then a' = g(z) (book: 3.4).

    ``W`` has shape (d_out, d_in) (one row per unit, as nnlib and PyTorch store it), ``b`` (d_out,)
    and ``g`` is an activation name from ``F.ACTIVATIONS``, "softmax", or "identity" (logits).
    """

    W: Array
    b: Array
    g: str = "identity"

    def __post_init__(self) -> None:
        self.W = _floats(self.W, "W", (2,))
        self.b = _floats(self.b, "b", (1,))
        if self.b.shape[0] != self.W.shape[0]:
            raise ValueError(
                f"b has {self.b.shape[0]} entries but W has {self.W.shape[0]} rows (units)"
            )
        _output_fn(self.g)  # a clear error now for an unknown activation


def _output_fn(name: str) -> Callable[[Array], Array]:
    if name == "identity":
        return lambda z: z
    if name == "softmax":
        return lambda z: F.softmax(z, axis=-1)
    if name not in F.ACTIVATIONS:
        known = ", ".join([*F.ACTIVATIONS, "softmax", "identity"])
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return F.get_activation(name).fn


def layers_of(model: nn.Sequential, output: str = "identity") -> list[Layer]:
    """The (W, b, g) layers of an nnlib ``MLP`` or ``Sequential`` of Linear and activation layers.

    Each Linear layer becomes a :class:`Layer` whose ``g`` is the activation layer that follows
    it; the last Linear gets ``output`` ("identity" for logits, "sigmoid" or "softmax").
    """
    layers: list[Layer] = []
    for module in model.layers:
        if isinstance(module, nn.Linear):
            b = np.zeros(module.d_out) if module.b is None else module.b.data
            layers.append(Layer(module.W.data.copy(), np.array(b, dtype=np.float64).copy()))
        elif isinstance(module, nn.Activation) and layers:
            layers[-1].g = module.activation  # the activation's name
        elif isinstance(module, nn.LeakyReLU) and module.slope == 0.01 and layers:
            layers[-1].g = "leaky_relu"  # F.leaky_relu's default slope
        else:
            raise TypeError(f"layers_of: cannot read {module!r} as a layer of a feedforward net")
    if not layers:
        raise ValueError("layers_of: the model has no Linear layer")
    _output_fn(output)
    layers[-1].g = output
    return layers


def forward(x: Any, layers: Sequence[Layer]) -> tuple[Array, list[tuple[Array, Array]]]:
    """The forward pass of an n-layer network, the book's loop line by line (book: 3.4).

    a[0] = x;  for i in 1..n:  z[i] = W[i] a[i-1] + b[i],  a[i] = g[i](z[i]);  y_hat = a[n].

    ``x`` is one example (a vector) or a batch with one example per row; for a row, W a is
    computed as ``a @ W.T``, which for a single vector is the same number. Returns y_hat and the
    list of (z[i], a[i]) for i = 1..n.
    """
    a = _floats(x, "x", (1, 2))
    trace = []
    for i, layer in enumerate(layers, start=1):
        if a.shape[-1] != layer.W.shape[1]:
            raise ValueError(
                f"layer {i}: its W expects {layer.W.shape[1]} inputs, got {a.shape[-1]}"
            )
        z = a @ layer.W.T + layer.b
        a = _output_fn(layer.g)(z)
        trace.append((z, a))
    return a, trace


def fold_bias(W: Any, b: Any) -> Array:
    """W~ = [b | W]: the bias as the weight of a dummy unit a_0 = 1 (book: 3.4, bias unit).

    With a~ = [1, a_1, ..., a_n], W~ a~ = b + W a: the same layer, one matrix instead of two.
    """
    W = _floats(W, "W", (2,))
    b = _floats(b, "b", (1,))
    if b.shape[0] != W.shape[0]:
        raise ValueError(f"b has {b.shape[0]} entries but W has {W.shape[0]} rows")
    return np.concatenate([b[:, None], W], axis=1)


def add_dummy_unit(a: Any) -> Array:
    """[1, a_1, ..., a_n]: prepend the constant unit a_0 = 1 (to every row of a batch)."""
    a = _floats(a, "a", (1, 2))
    ones = np.ones(a.shape[:-1] + (1,))
    return np.concatenate([ones, a], axis=-1)


def forward_with_dummy_units(x: Any, layers: Sequence[Layer]) -> Array:
    """The same forward pass with no biases: a dummy unit a_0 = 1 in every layer (book: 3.4).

    z[i] = W~[i] a~[i-1] with W~ = [b | W] and a~ = [1, a]; returns y_hat.
    """
    a = _floats(x, "x", (1, 2))
    for layer in layers:
        z = add_dummy_unit(a) @ fold_bias(layer.W, layer.b).T
        a = _output_fn(layer.g)(z)
    return a


def n_params(sizes: Sequence[int]) -> int:
    """Weights and biases of a fully connected network with these layer sizes (book: 3.7).

    Each layer from d_in to d_out has d_out x d_in weights and d_out biases:
    sum over layers of (d_in + 1) d_out. ``n_params([6, 16, 1]) = 7*16 + 17*1 = 129``.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two positive layer sizes, got {sizes}")
    return sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))


# ---------------------------------------------------------------------- two layers, batched
def two_layer(
    X: Any,
    W: Any,
    b: Any,
    U: Any,
    c: Any = None,
    hidden: str = "sigmoid",
    output: str = "softmax",
) -> tuple[Array, Array, Array]:
    """(H, Z, Y_hat) of a two-layer network for a whole batch at once (book: 3.6).

    H = g(X W^T + b),  Z = H U^T + c,  Y_hat = softmax(Z) (or sigmoid(Z)).

    ``X`` is [m x d] (one example per row), ``W`` [d_h x d], ``b`` (d_h,), ``U`` [k x d_h], ``c``
    (k,) or None (the slides' z = U h, no output bias). ``b`` is *broadcast*: numpy adds the same
    row b to each of the m rows of X W^T, as if b were repeated into an [m x d_h] matrix, without
    building that matrix. A single example (a vector x) works too.
    """
    X = _floats(X, "X", (1, 2))
    W = _floats(W, "W", (2,))
    U = _floats(U, "U", (2,))
    b = _floats(b, "b", (1,))
    if X.shape[-1] != W.shape[1] or b.shape != (W.shape[0],) or U.shape[1] != W.shape[0]:
        raise ValueError(
            f"shapes do not chain: X {X.shape}, W {W.shape}, b {b.shape}, U {U.shape}; "
            "need X [m x d], W [d_h x d], b (d_h,), U [k x d_h]"
        )
    c = np.zeros(U.shape[0]) if c is None else _floats(c, "c", (1,))
    if c.shape != (U.shape[0],):
        raise ValueError(f"c must have shape ({U.shape[0]},), got {c.shape}")
    H = _output_fn(hidden)(X @ W.T + b)
    Z = H @ U.T + c
    return H, Z, _output_fn(output)(Z)


def two_layer_loop(
    X: Any,
    W: Any,
    b: Any,
    U: Any,
    c: Any = None,
    hidden: str = "sigmoid",
    output: str = "softmax",
) -> tuple[Array, Array, Array]:
    """The same as :func:`two_layer`, one example at a time: h = g(W x + b), z = U h + c.

    A Python loop over the m rows of X, each a matrix-vector product; the book times it
    against the batched version (3.6). The inputs are checked once, before the loop, so the
    loop itself does only the arithmetic of one example at a time.
    """
    X = _floats(X, "X", (2,))
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    two_layer(X[:1], W, b, U, c, hidden, output)  # checks every shape once
    W, b, U = (np.asarray(a, dtype=np.float64) for a in (W, b, U))
    c = np.zeros(U.shape[0]) if c is None else np.asarray(c, dtype=np.float64)
    g, out = _output_fn(hidden), _output_fn(output)
    H, Z, Y = [], [], []
    for x in X:
        h = g(W @ x + b)
        z = U @ h + c
        H.append(h)
        Z.append(z)
        Y.append(out(z))
    return np.stack(H), np.stack(Z), np.stack(Y)


def time_loop_vs_batch(
    X: Any, W: Any, b: Any, U: Any, c: Any = None, *, repeats: int = 5, **kwargs: Any
) -> dict[str, Any]:
    """Time :func:`two_layer_loop` against :func:`two_layer` on the same inputs, side by side.

    Returns {"loop_s", "batch_s", "ratio", "same"}: the best of ``repeats`` wall-clock times of
    each (the minimum is the least disturbed by other programs), loop / batch, and whether the
    two gave the same outputs (to 1e-12).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    best = {"loop": math.inf, "batch": math.inf}
    outs = {}
    for _ in range(repeats):
        for name, fn in (("loop", two_layer_loop), ("batch", two_layer)):
            start = time.perf_counter()
            outs[name] = fn(X, W, b, U, c, **kwargs)
            best[name] = min(best[name], time.perf_counter() - start)
    same = all(np.allclose(p, q, rtol=0, atol=1e-12) for p, q in zip(outs["loop"], outs["batch"]))
    return {
        "loop_s": best["loop"],
        "batch_s": best["batch"],
        "ratio": best["loop"] / best["batch"],
        "same": bool(same),
    }


# ====================================================================== 3.3 the explorer's data
def make_spiral(
    n_per_class: int = 100,
    classes: int = 3,
    turns: float = 0.75,
    noise: float = 0.15,
    seed: int = 0,
) -> tuple[Array, Array]:
    """A 2-D spiral with ``classes`` interleaved arms (book: 3.3, the feedforward explorer).

    Arm c has points at radius r from 0.15 to 1 and angle 2 pi (turns * r + c / classes), plus
    Gaussian noise of std ``noise`` on the angle. No straight line separates one arm from the
    others, and two hidden units are not enough; eight are.
    """
    if n_per_class < 1 or classes < 2:
        raise ValueError(f"need n_per_class >= 1 and classes >= 2, got {n_per_class}, {classes}")
    rng = as_rng(seed)
    r = np.linspace(0.15, 1.0, n_per_class)
    X, y = [], []
    for c in range(classes):
        angle = 2 * np.pi * (turns * r + c / classes) + rng.normal(0.0, noise, n_per_class)
        X.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
        y.append(np.full(n_per_class, c, dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)


@dataclass
class SnapshotRun:
    """A d-H-k network trained on (X, y), with its parameters saved along the way.

    Snapshot arrays have a leading axis over the saved ``steps`` (T): W (T, H, d), b (T, H),
    U (T, k, H), c (T, k). ``loss`` and ``acc`` are the training loss and accuracy at each
    saved step.
    """

    X: Array
    y: Array
    activation: str
    steps: Array
    W: Array
    b: Array
    U: Array
    c: Array
    loss: Array
    acc: Array

    @property
    def width(self) -> int:
        return int(self.W.shape[1])

    def layers(self, t: int = -1) -> list[Layer]:
        """The network at snapshot ``t`` as :class:`Layer` s (softmax output)."""
        return [
            Layer(self.W[t], self.b[t], self.activation),
            Layer(self.U[t], self.c[t], "softmax"),
        ]

    def forward(self, X: Any = None, t: int = -1) -> tuple[Array, Array, Array]:
        """(H, Z, P) at snapshot ``t``: hidden activations, logits and class probabilities."""
        X = self.X if X is None else X
        return two_layer(X, self.W[t], self.b[t], self.U[t], self.c[t], self.activation)

    def unit_lines(self, t: int = -1) -> tuple[Array, Array]:
        """(w, b) of every hidden unit: unit j is the logistic-regression-like classifier
        g(w_j . x + b_j), and its line w_j . x + b_j = 0 is where it switches (book: 3.3)."""
        return self.W[t], self.b[t]


def train_snapshots(
    X: Any,
    y: Any,
    width: int,
    activation: str = "tanh",
    *,
    seed: int = 0,
    steps: int = 1000,
    lr: float = 0.03,
    record_every: int = 20,
) -> SnapshotRun:
    """Train ``nn.MLP([d, width, k], activation, rng=seed)`` with cross-entropy and Adam on all
    the points at once (one full batch per step, run by ``nnlib.train.fit``), saving the
    parameters every ``record_every`` steps and at the end (book: 3.3)."""
    X = _floats(X, "X", (2,))
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(f"y must be {X.shape[0]} integer class labels, got {y.dtype} {y.shape}")
    if steps < 0 or record_every < 1:
        raise ValueError(f"need steps >= 0 and record_every >= 1, got {steps}, {record_every}")
    k = int(y.max()) + 1
    net = nn.MLP([X.shape[1], width, k], activation, rng=seed)
    saved: list[list[Array]] = []

    def save(step: int) -> None:
        saved.append(
            [
                step,
                net[0].W.data.copy(),
                net[0].b.data.copy(),
                net[2].W.data.copy(),
                net[2].b.data.copy(),
            ]  # fmt: skip
        )

    class Recorder:  # a fit callback: save every record_every steps
        def on_step_end(self, state):
            if state.step % record_every == 0 or state.step == steps:
                save(state.step)

    save(0)
    fit(
        net,
        lambda z, t: F.cross_entropy(z, t),
        optim.Adam(net.parameters(), lr=lr),
        (X, y),
        epochs=steps,
        batch_size=len(X),
        shuffle=False,
        callbacks=[Recorder()],
    )
    step_ids, W, b, U, c = (np.array(a) for a in zip(*saved))
    loss, acc = [], []
    for t in range(len(step_ids)):
        _, Z, _ = two_layer(X, W[t], b[t], U[t], c[t], activation)
        loss.append(F.cross_entropy(Tensor(Z), y).item())
        acc.append(accuracy(Z, y))
    return SnapshotRun(X, y, activation, step_ids, W, b, U, c, np.array(loss), np.array(acc))


@dataclass
class ExplorerFrame:
    """What the feedforward explorer shows of one snapshot, on an n x n grid of the box ``lim``:

    ``unit_grid`` (n, n, H) every hidden unit's activation g(w_j . x + b_j) over the grid;
    ``regions`` (n, n) the predicted class (argmax of the softmax); ``segments`` the line
    w_j . x + b_j = 0 of each hidden unit inside the box (None where it misses); ``H`` (N, H)
    the data's hidden points; ``pred`` (N,) their predicted classes; ``acc`` and ``loss`` on
    the data; ``h_regions`` (n, n) the output layer's classes over the hidden space (only for
    two hidden units, over ``h_lim``), else None.
    """

    unit_grid: Array
    regions: Array
    segments: list
    H: Array
    pred: Array
    acc: float
    loss: float
    h_lim: tuple[float, float]
    h_regions: Array | None


def explorer_frame(
    run: SnapshotRun, t: int, lim: tuple[float, float] = (-1.2, 1.2), n: int = 61
) -> ExplorerFrame:
    """Everything the explorer draws for snapshot ``t`` of ``run`` (book: 3.3)."""
    if not -len(run.steps) <= t < len(run.steps):
        raise ValueError(f"snapshot {t} out of range: the run has {len(run.steps)} snapshots")
    grid = grid_points(lim, lim, n)
    Hg, _, Pg = run.forward(grid, t)
    H, Z, _ = run.forward(run.X, t)
    W, b = run.unit_lines(t)
    lo, hi = _activation_range(run.activation, H)
    h_regions = None
    if run.width == 2:
        hgrid = grid_points((lo, hi), (lo, hi), n)
        h_regions = (hgrid @ run.U[t].T + run.c[t]).argmax(axis=1).reshape(n, n)
    return ExplorerFrame(
        unit_grid=Hg.reshape(n, n, -1),
        regions=Pg.argmax(axis=1).reshape(n, n),
        segments=[boundary_segment(W[j], b[j], lim, lim) for j in range(run.width)],
        H=H,
        pred=Z.argmax(axis=1),
        acc=float(run.acc[t]),
        loss=float(run.loss[t]),
        h_lim=(lo, hi),
        h_regions=h_regions,
    )


def _activation_range(name: str, H: Array) -> tuple[float, float]:
    """Axis limits for a hidden space: the activation's range, or the data's for ReLU."""
    if name == "sigmoid":
        return (-0.05, 1.05)
    if name in ("tanh", "hardtanh"):
        return (-1.05, 1.05)
    top = max(1.0, float(H.max()) if H.size else 1.0)
    return (-0.05 * top, 1.05 * top)


EXPLORER_WIDTHS = (2, 3, 4, 8, 16)
EXPLORER_ACTIVATIONS = ("tanh", "relu", "sigmoid")


@functools.lru_cache(maxsize=4)
def explorer_runs(
    widths: tuple[int, ...] = EXPLORER_WIDTHS,
    activations: tuple[str, ...] = EXPLORER_ACTIVATIONS,
    steps: int = 1000,
    record_every: int = 20,
    seed: int = 0,
) -> dict[tuple[int, str], SnapshotRun]:
    """Every (width, activation) network of the feedforward explorer, trained once on the spiral
    (:func:`make_spiral`) and kept in memory: the widget only draws these snapshots."""
    X, y = make_spiral()
    return {
        (w, a): train_snapshots(X, y, w, a, seed=seed, steps=steps, record_every=record_every)
        for w in widths
        for a in activations
    }


# ====================================================================== 3.5 sentiment
FEATURE_NAMES = SENTIMENT_FEATURES


def featurize(texts: Sequence[str], positive: Any, negative: Any) -> Array:
    """The six hand-built features of each text, one row per text (book: 3.5).

    ``nnlib.text.sentiment_features`` of ``nnlib.text.tokenize(text)``: x1 positive-lexicon
    words, x2 negative-lexicon words, x3 "no" present, x4 1st/2nd-person pronouns, x5 "!"
    present, x6 ln(word count).
    """
    if isinstance(texts, str):
        raise TypeError("featurize takes a list of texts; wrap a single text in a list")
    pos = frozenset(positive)
    neg = frozenset(negative)
    rows = [sentiment_features(tokenize(t), pos, neg) for t in texts]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(SENTIMENT_FEATURES))


@dataclass
class SentimentData:
    """The review sentences of ``nnlib.data.load_reviews`` with their six features.

    ``X[split]`` is (N, 6), ``y[split]`` (N,) with 1 = positive, ``texts[split]`` the sentences,
    for split in "train", "valid", "test".
    """

    texts: dict[str, list[str]]
    X: dict[str, Array]
    y: dict[str, Array]
    positive: frozenset[str]
    negative: frozenset[str]

    def featurize(self, texts: Sequence[str]) -> Array:
        """The six features of new texts, with the same lexicon."""
        return featurize(texts, self.positive, self.negative)


@functools.lru_cache(maxsize=1)
def load_sentiment_data() -> SentimentData:
    """Load the reviews and the VADER lexicon and compute every sentence's features (cached)."""
    from ..data import load_reviews, load_sentiment_lexicon

    reviews = load_reviews()
    lexicon = load_sentiment_lexicon()
    splits = {"train": reviews.train, "valid": reviews.valid, "test": reviews.test}
    return SentimentData(
        texts={k: list(s.texts) for k, s in splits.items()},
        X={k: featurize(s.texts, lexicon.positive, lexicon.negative) for k, s in splits.items()},
        y={k: np.asarray(s.labels, dtype=np.int64) for k, s in splits.items()},
        positive=lexicon.positive,
        negative=lexicon.negative,
    )


def majority_class(y_train: Any) -> int:
    """The most frequent label in the training labels (ties: the smaller label)."""
    y = np.asarray(y_train)
    if y.size == 0 or y.dtype.kind not in "iub":
        raise ValueError(f"need a non-empty array of integer labels, got {y.dtype} {y.shape}")
    return int(np.bincount(y.astype(np.int64)).argmax())


def lexicon_rule(X: Any, tie: int = 1) -> Array:
    """The plain lexicon rule: positive (1) if a sentence has more positive than negative
    lexicon words (x1 > x2), negative (0) if fewer, ``tie`` when equal (book: 3.5)."""
    X = _floats(X, "X", (2,))
    if X.shape[1] < 2:
        raise ValueError(f"X needs the features x1, x2 in its first two columns, got {X.shape}")
    if tie not in (0, 1):
        raise ValueError(f"tie must be 0 or 1, got {tie!r}")
    x1, x2 = X[:, 0], X[:, 1]
    return np.where(x1 > x2, 1, np.where(x1 < x2, 0, tie)).astype(np.int64)


@dataclass
class Standardizer:
    """x -> (x - mean) / std per feature, with mean and std measured on the training set.

    Standardising changes nothing a linear layer can express (it can undo any shift and scale)
    but puts every feature on the same scale, so one learning rate suits all weights.
    """

    mean: Array
    std: Array

    @classmethod
    def fit(cls, X: Any) -> Standardizer:
        X = _floats(X, "X", (2,))
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    def __call__(self, X: Any) -> Array:
        X = _floats(X, "X", (1, 2))
        if X.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} features, got shape {X.shape}")
        return (X - self.mean) / self.std


@dataclass
class SentimentClassifier:
    """A trained network on the six standardised features: logistic regression
    (``hidden=None``) or a two-layer network; one sigmoid output, or two softmax outputs.

    ``proba(X)`` is P(positive) for each row of raw features, ``predict(X)`` the label (1 where
    P(positive) > 0.5), ``hidden(X)`` the hidden activations h (two-layer networks only).
    """

    net: nn.MLP
    scaler: Standardizer
    history: History
    outputs: int = 1

    @property
    def hidden_size(self) -> int | None:
        return self.net.sizes[1] if len(self.net.sizes) > 2 else None

    def logits(self, X: Any) -> Array:
        return predict(self.net, self.scaler(np.atleast_2d(_floats(X, "X", (1, 2)))))

    def proba(self, X: Any) -> Array:
        z = self.logits(X)
        if self.outputs == 1:
            return F.sigmoid(z[:, 0])
        return F.softmax(z, axis=-1)[:, 1]

    def predict(self, X: Any) -> Array:
        return (self.proba(X) > 0.5).astype(np.int64)

    def accuracy(self, X: Any, y: Any) -> float:
        return float((self.predict(X) == np.asarray(y)).mean())

    def hidden(self, X: Any) -> Array:
        if self.hidden_size is None:
            raise ValueError("logistic regression has no hidden layer")
        x = Tensor(self.scaler(np.atleast_2d(_floats(X, "X", (1, 2)))))
        with no_grad():
            return self.net[1](self.net[0](x)).data

    def layers(self) -> list[Layer]:
        return layers_of(self.net, "sigmoid" if self.outputs == 1 else "softmax")


def _bce_logit(z: Tensor, y: Array) -> Tensor:
    return F.binary_cross_entropy_with_logits(z[:, 0], y.astype(z.dtype))


def _ce(z: Tensor, y: Array) -> Tensor:
    return F.cross_entropy(z, y)


def train_sentiment_classifier(
    X: Any,
    y: Any,
    hidden: int | None = None,
    activation: str = "sigmoid",
    *,
    outputs: int = 1,
    seed: int = 0,
    epochs: int = 10,
    batch_size: int = 100,
    lr: float = 0.01,
    valid: tuple[Any, Any] | None = None,
) -> SentimentClassifier:
    """Train logistic regression (``hidden=None``) or a 6-hidden-outputs network (book: 3.5).

    The features are standardised with the training set's mean and std. The network is
    ``nn.MLP`` with weights drawn from ``seed``; training is ``nnlib.train.fit`` with Adam
    (learning rate ``lr``, decayed to 0 over the epochs by a cosine schedule, so the final
    weights do not jitter), minibatches of ``batch_size`` in an order drawn from ``seed``, and
    binary cross-entropy (one sigmoid output) or cross-entropy (two softmax outputs).
    """
    X = _floats(X, "X", (2,))
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold {X.shape[0]} labels 0/1, got shape {y.shape}")
    if outputs not in (1, 2):
        raise ValueError(f"outputs must be 1 (sigmoid) or 2 (softmax), got {outputs!r}")
    if hidden is not None and hidden < 1:
        raise ValueError(f"hidden must be None (logistic regression) or >= 1, got {hidden}")
    scaler = Standardizer.fit(X)
    sizes = [X.shape[1], outputs] if hidden is None else [X.shape[1], hidden, outputs]
    net = nn.MLP(sizes, activation, rng=seed)
    opt = optim.Adam(net.parameters(), lr=lr)
    v = None if valid is None else (scaler(valid[0]), np.asarray(valid[1]))
    history = fit(
        net,
        _bce_logit if outputs == 1 else _ce,
        opt,
        (scaler(X), y.astype(np.int64)),
        v,
        epochs=epochs,
        batch_size=batch_size,
        rng=seed,
        metrics={"acc": accuracy},
        scheduler=optim.CosineLR(opt, T_max=epochs),
    )
    return SentimentClassifier(net, scaler, history, outputs)


def train_seeds(
    data: SentimentData, hidden: int | None, seeds: Sequence[int], **kwargs: Any
) -> list[SentimentClassifier]:
    """One classifier per seed, each trained on the training split (book: 3.5)."""
    return [
        train_sentiment_classifier(data.X["train"], data.y["train"], hidden, seed=int(s), **kwargs)
        for s in seeds
    ]


def accuracies(models: Sequence[SentimentClassifier], X: Any, y: Any) -> Array:
    """Each model's accuracy on (X, y), as an array (one entry per model)."""
    return np.array([m.accuracy(X, y) for m in models])


def feature_lookup_accuracy(X_train: Any, y_train: Any, X: Any = None, y: Any = None) -> float:
    """Accuracy of the best lookup table from feature vectors to labels (book: 3.5).

    The table maps each distinct feature vector seen in training to its majority label
    (unseen vectors get the overall majority label). On the training set itself (``X`` None)
    no function of these features can do better: two sentences with the same six numbers
    must get the same answer, whatever the network. That is the ceiling that information
    missing from the features puts on any model.
    """
    Xt = _floats(X_train, "X_train", (2,))
    yt = np.asarray(y_train, dtype=np.int64)
    X = Xt if X is None else _floats(X, "X", (2,))
    y = yt if y is None else np.asarray(y, dtype=np.int64)
    keys, inv = np.unique(Xt, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    pos = np.bincount(inv, weights=yt, minlength=len(keys))
    count = np.bincount(inv, minlength=len(keys))
    label = (pos * 2 > count).astype(np.int64)  # ties: 0, as majority_class does
    table = {tuple(k): int(v) for k, v in zip(keys, label)}
    default = majority_class(yt)
    pred = np.array([table.get(tuple(row), default) for row in X], dtype=np.int64)
    return float((pred == y).mean())


def conflicting_groups(X: Any, y: Any, min_size: int = 20) -> list[dict[str, Any]]:
    """Groups of sentences with identical feature vectors, largest first, with how many of
    each label they hold (book: 3.5, "what no hidden layer can add")."""
    X = _floats(X, "X", (2,))
    y = np.asarray(y, dtype=np.int64)
    keys, inv, count = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    pos = np.bincount(inv, weights=y, minlength=len(keys)).astype(np.int64)
    groups = [
        {"x": keys[i], "count": int(count[i]), "positive": int(pos[i]), "index": i}
        for i in np.argsort(-count, kind="stable")
        if count[i] >= min_size
    ]
    for g in groups:
        g["members"] = np.flatnonzero(inv == g.pop("index"))
    return groups


@dataclass
class ChapterModels:
    """The chapter's trained sentiment models (book: 3.5), shared by the text and the widget."""

    data: SentimentData
    logreg: SentimentClassifier
    mlp: SentimentClassifier


@dataclass
class SentenceReadout:
    """One sentence through the chapter's models (book: 3.5, the sentiment explorer)."""

    text: str
    tokens: list[str]
    marks: list[str]  # per token: "+" positive, "-" negative, "p" pronoun, "" otherwise
    x: Array  # the six features
    x_std: Array  # standardised, as the networks see them
    h: Array  # the two-layer network's hidden activations
    p_logreg: float  # P(positive) of logistic regression
    p_mlp: float  # P(positive) of the two-layer network


def read_sentence(models: ChapterModels, text: str) -> SentenceReadout:
    """Features, hidden activations and both models' P(positive) for one sentence."""
    if not isinstance(text, str):
        raise TypeError(f"expected a sentence (str), got {type(text).__name__}")
    tokens = tokenize(text)
    pos, neg = models.data.positive, models.data.negative
    x = models.data.featurize([text])[0]
    marks = ["+" if t in pos else "-" if t in neg else "p" if is_pronoun(t) else "" for t in tokens]
    return SentenceReadout(
        text=text,
        tokens=tokens,
        marks=marks,
        x=x,
        x_std=models.mlp.scaler(x),
        h=models.mlp.hidden(x)[0],
        p_logreg=float(models.logreg.proba(x)[0]),
        p_mlp=float(models.mlp.proba(x)[0]),
    )


# The settings the chapter uses; its text says how they were chosen (on the validation set).
SENTIMENT_HIDDEN = 16
SENTIMENT_ACTIVATION = "sigmoid"


@functools.lru_cache(maxsize=1)
def chapter_models(seed: int = 0) -> ChapterModels:
    """Logistic regression and the 6-16-1 sigmoid network of the chapter, trained once."""
    data = load_sentiment_data()
    Xt, yt = data.X["train"], data.y["train"]
    return ChapterModels(
        data,
        train_sentiment_classifier(Xt, yt, None, seed=seed),
        train_sentiment_classifier(Xt, yt, SENTIMENT_HIDDEN, SENTIMENT_ACTIVATION, seed=seed),
    )


# ====================================================================== 3.7 deeper or wider
def make_rings(n: int, rings: int = 4, seed: int = 0) -> tuple[Array, Array]:
    """Points uniform in the square [-1, 1]^2, labelled by which ring around the origin they fall
    in: class floor(rings * r) mod 2, r = |x| (book: 3.7).

    The label depends on x only through the radius r, a composition (x -> r -> folded r) that a
    deep network can build step by step and a single hidden layer must approximate with many
    straight lines (Eldan & Shamir, 2016, prove the gap for such radial functions in high
    dimension).
    """
    if n < 1 or rings < 1:
        raise ValueError(f"need n >= 1 and rings >= 1, got {n}, {rings}")
    X = as_rng(seed).uniform(-1.0, 1.0, size=(n, 2))
    r = np.sqrt((X**2).sum(axis=1))
    return X, (np.floor(rings * r).astype(np.int64) % 2)


def width_for_budget(budget: int, depth: int, d_in: int = 2, d_out: int = 2) -> int:
    """The hidden width whose network of ``depth`` equal hidden layers has the parameter count
    closest to ``budget`` (:func:`n_params`; ties go to the smaller width)."""
    if depth < 1 or budget < 1:
        raise ValueError(f"need depth >= 1 and budget >= 1, got {depth}, {budget}")
    best, best_gap = 1, math.inf
    for w in range(1, budget + 1):
        gap = abs(n_params([d_in, *[w] * depth, d_out]) - budget)
        if gap < best_gap:
            best, best_gap = w, gap
        if n_params([d_in, *[w] * depth, d_out]) > budget:
            break
    return best


@dataclass
class StackedRuns:
    """Networks of one architecture trained side by side, one per seed (book: 3.7).

    ``W[i]`` has shape (S, d_i, d_{i-1}) and ``b[i]`` (S, d_i): layer i of every seed's network.
    """

    sizes: list[int]
    activation: str
    seeds: Array
    W: list[Array]
    b: list[Array]

    def logits(self, X: Any) -> Array:
        """(S, N, k): every seed's logits for the rows of X."""
        a = _floats(X, "X", (2,))[None]
        g = F.get_activation(self.activation).fn
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ np.swapaxes(W, 1, 2) + b[:, None, :]
            a = g(z) if i < len(self.W) - 1 else z
        return a

    def accuracy(self, X: Any, y: Any) -> Array:
        """(S,): each seed's accuracy on (X, y)."""
        return (self.logits(X).argmax(axis=-1) == np.asarray(y)).mean(axis=1)

    def network(self, s: int) -> nn.MLP:
        """Seed number ``s`` (an index into ``seeds``) as an ordinary ``nn.MLP``."""
        net = nn.MLP(self.sizes, self.activation, rng=0)
        for layer, W, b in zip([m for m in net.layers if isinstance(m, nn.Linear)], self.W, self.b):
            layer.W.data[...] = W[s]
            layer.b.data[...] = b[s]
        return net


def _callback(callbacks: Sequence[Any], hook: str, state: FitState) -> None:
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(state)


def train_stacked(
    sizes: Sequence[int],
    X: Any,
    y: Any,
    seeds: Sequence[int],
    *,
    activation: str = "relu",
    steps: int = 4000,
    lr: float = 0.01,
    batch_size: int = 128,
    callbacks: Sequence[Any] = (),
) -> StackedRuns:
    """Train one ``nn.MLP(sizes, activation, rng=seed)`` per seed, all at once (book: 3.7).

    Each network gets exactly what ``nnlib.train.fit(net, cross_entropy, Adam(lr), (X, y),
    batch_size=batch_size, rng=seed)`` would give it for ``steps`` minibatch steps (a test
    checks this): the weights of all seeds are stacked along a leading axis and trained with
    batched matrix products, each seed drawing its own minibatch order from its seed. The loss
    is the sum over seeds of each seed's mean cross-entropy, so each seed's parameters get
    exactly their own gradient, and Adam's update is element by element. Many small networks
    then cost little more than one.

    ``callbacks`` follow ``fit``'s protocol (e.g. ``nnlib.widgets.progress.TrainingProgress``):
    the loss they see is the mean over seeds, an epoch is one pass over the data.
    """
    sizes = [int(s) for s in sizes]
    X = _floats(X, "X", (2,))
    y = np.asarray(y, dtype=np.int64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if sizes[0] != X.shape[1]:
        raise ValueError(f"sizes[0] = {sizes[0]} but X has {X.shape[1]} features")
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if seeds.size == 0 or steps < 0 or batch_size < 1:
        raise ValueError("need at least one seed, steps >= 0 and batch_size >= 1")
    nets = [nn.MLP(sizes, activation, rng=int(s)) for s in seeds]
    linear = [i for i, m in enumerate(nets[0].layers) if isinstance(m, nn.Linear)]
    Ws = [nn.Parameter(np.stack([net[i].W.data for net in nets])) for i in linear]
    bs = [nn.Parameter(np.stack([net[i].b.data for net in nets])[:, None, :]) for i in linear]
    opt = optim.Adam(Ws + bs, lr=lr)
    g = F.get_activation(activation).fn
    gens = [as_rng(int(s)) for s in seeds]  # the order of minibatches, as fit(rng=seed) draws it
    n = X.shape[0]
    per_epoch = math.ceil(n / batch_size)
    state = FitState(None, opt, math.ceil(steps / per_epoch), per_epoch, History())
    _callback(callbacks, "on_fit_begin", state)
    order, pos, epoch_losses = None, n, []
    for _ in range(steps):
        if pos >= n:  # a new epoch: every seed draws its own permutation
            order = np.stack([gen.permutation(n) for gen in gens])
            pos = 0
        idx = order[:, pos : pos + batch_size]
        pos += batch_size
        a = Tensor(X[idx])  # (S, B, d)
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = a @ W.transpose(0, 2, 1) + b
            a = g(z) if i < len(Ws) - 1 else z
        loss = F.cross_entropy(a, y[idx], reduction="none").mean(axis=1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        state.step += 1
        state.loss = loss.item() / len(seeds)
        state.history.step_loss.append(state.loss)
        epoch_losses.append(state.loss)
        _callback(callbacks, "on_step_end", state)
        if pos >= n or state.step == steps:  # the end of an epoch (or of training)
            h = state.history
            h.epoch.append(state.epoch + 1)
            h.train_loss.append(float(np.mean(epoch_losses)))
            h.valid_loss.append(math.nan)
            h.lr.append(lr)
            h.time.append(0.0)
            epoch_losses = []
            _callback(callbacks, "on_epoch_end", state)
            state.epoch += 1
        if state.stop:
            break
    _callback(callbacks, "on_fit_end", state)
    return StackedRuns(
        sizes, activation, seeds, [W.data.copy() for W in Ws], [b.data[:, 0].copy() for b in bs]
    )


@dataclass
class DeepWideResult:
    """Test accuracy of each architecture for each seed (book: 3.7)."""

    architectures: dict[str, list[int]]
    seeds: Array
    acc: dict[str, Array] = field(default_factory=dict)  # name -> (S,) test accuracies
    valid_acc: dict[str, Array] = field(default_factory=dict)
    train_acc: dict[str, Array] = field(default_factory=dict)
    runs: dict[str, StackedRuns] = field(default_factory=dict)

    def table(self) -> list[tuple[str, str, int, float, float]]:
        """(name, sizes, parameters, mean accuracy, std over seeds) per architecture."""
        return [
            (
                name,
                "-".join(map(str, s)),
                n_params(s),
                float(self.acc[name].mean()),
                float(self.acc[name].std()),
            )
            for name, s in self.architectures.items()
        ]


def deep_vs_wide(
    architectures: dict[str, Sequence[int]],
    seeds: Sequence[int],
    *,
    n_train: int = 8000,
    n_valid: int = 2000,
    n_test: int = 4000,
    rings: int = 4,
    steps: int = 4000,
    lr: float = 0.01,
    batch_size: int = 128,
    activation: str = "relu",
    data_seed: int = 0,
    callbacks: Sequence[Any] = (),
) -> DeepWideResult:
    """Train every architecture on the rings task (:func:`make_rings`) once per seed and measure
    its accuracy on fresh points (book: 3.7). Training, test and validation points are drawn
    with the seeds ``data_seed``, ``data_seed + 1`` and ``data_seed + 2``. ``callbacks`` see
    each architecture's training in turn (see :func:`train_stacked`)."""
    Xtr, ytr = make_rings(n_train, rings, seed=data_seed)
    Xte, yte = make_rings(n_test, rings, seed=data_seed + 1)
    Xva, yva = make_rings(n_valid, rings, seed=data_seed + 2)
    result = DeepWideResult({k: list(v) for k, v in architectures.items()}, np.asarray(seeds))
    for name, sizes in result.architectures.items():
        runs = train_stacked(
            sizes, Xtr, ytr, seeds, activation=activation, steps=steps, lr=lr,
            batch_size=batch_size, callbacks=callbacks,
        )  # fmt: skip
        result.runs[name] = runs
        result.acc[name] = runs.accuracy(Xte, yte)
        result.valid_acc[name] = runs.accuracy(Xva, yva)
        result.train_acc[name] = runs.accuracy(Xtr, ytr)
    return result
