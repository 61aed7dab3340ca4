"""Perceptrons, the XOR problem, and the small network that solves it.

Book: chapter 2, "Perceptrons and the XOR problem". The chapter's equations, in the names used here:

- perceptron (2.1):          y = 1 if w . x + b > 0 else 0
- decision boundary (2.2):   w1 x1 + w2 x2 + b = 0, i.e. x2 = (-w1 / w2) x1 - b / w2
- two-layer network (2.3):   h = ReLU(x W^T + b),  y = h . U  (+ c when the output has a bias)

Everything here is numpy or nnlib; the chapter's widgets (``nnlib.widgets.xor``) only call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..tensor import Tensor
from ..train import accuracy, evaluate, fit

__all__ = [
    "perceptron",
    "count_correct",
    "boundary_x2",
    "boundary_segment",
    "GridSearch",
    "grid_search",
    "xor_net_exact",
    "hidden_and_output",
    "LogisticRun",
    "train_logistic_regression",
    "train_mlp",
    "MLPRuns",
    "train_mlps",
    "mlp_forward",
    "ACTIVATIONS",
    # for the figures and widgets (the section at the end)
    "EXACT_THRESHOLD",
    "grid_points",
    "perceptron_regions",
    "mlp_decisions",
    "n_correct",
    "HiddenSpace",
    "hidden_space",
    "exact_hidden_space",
    "output_rule",
]

# The hidden-layer activations the chapter compares (looked up in nnlib.functional.ACTIVATIONS).
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _points(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d array of points (N, d), got shape {X.shape}")
    return X


def _weights(w: Any, d: int) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(
            f"w must have shape ({d},) to match points with {d} features, got {w.shape}"
        )
    return w


# ---------------------------------------------------------------------- the perceptron
def perceptron(X: Any, w: Any, b: float) -> np.ndarray:
    """Perceptron outputs for the rows of X: y = 1 if w . x + b > 0 else 0 (book: eq. 2.1).

    ``X`` is (N, d), ``w`` is (d,), ``b`` a number; returns N integers 0/1. A point exactly on
    the boundary (w . x + b = 0) gets 0, as in the book's definition.
    """
    X = _points(X)
    w = _weights(w, X.shape[1])
    return F.step(X @ w + float(b)).astype(np.int64).reshape(X.shape[0])


def count_correct(X: Any, y: Any, w: Any, b: float) -> int:
    """How many of the points X the perceptron (w, b) labels as y says (0..N)."""
    y = np.asarray(y)
    out = perceptron(X, w, b)
    if y.shape != out.shape:
        raise ValueError(f"y must have one label per point: shape {out.shape}, got {y.shape}")
    return int((out == y).sum())


def boundary_x2(x1: Any, w: Any, b: float) -> np.ndarray:
    """The decision boundary as a function: x2 = (-w1 / w2) x1 - b / w2 (book: eq. 2.2).

    Only defined when w2 != 0; for w2 = 0 the boundary is the vertical line x1 = -b / w1 (use
    :func:`boundary_segment`, which handles every case).
    """
    w1, w2 = _weights(w, 2)
    if w2 == 0:
        raise ValueError(
            "boundary_x2: w2 = 0, so the boundary w1 x1 + b = 0 is vertical and x2 is not a "
            "function of x1; use boundary_segment instead"
        )
    return (-w1 / w2) * np.asarray(x1, dtype=np.float64) - b / w2


def boundary_segment(
    w: Any, b: float, xlim: tuple[float, float], ylim: tuple[float, float]
) -> np.ndarray | None:
    """The part of the line w1 x1 + w2 x2 + b = 0 inside the box xlim x ylim.

    Returns a (2, 2) array [[x1_a, x2_a], [x1_b, x2_b]] (the two ends), or None when the
    line misses the box or there is no line at all (w = 0: every point is on one side).
    Works for vertical (w2 = 0) and horizontal (w1 = 0) lines.
    """
    w1, w2 = _weights(w, 2)
    (x0, x1), (y0, y1) = xlim, ylim
    ends = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # tiny w: far-off line
        if w2 != 0:  # crossings with the left and right edges
            for x in (x0, x1):
                yy = -(w1 * x + b) / w2
                if y0 <= yy <= y1:
                    ends.append((x, yy))
        if w1 != 0:  # crossings with the bottom and top edges
            for yy in (y0, y1):
                x = -(w2 * yy + b) / w1
                if x0 <= x <= x1:
                    ends.append((x, yy))
    unique: list[tuple[float, float]] = []
    for p in ends:  # a line through a corner crosses two edges at the same point
        if not any(np.allclose(p, q) for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return None
    return np.array(unique[:2], dtype=np.float64)


@dataclass
class GridSearch:
    """Every perceptron (w1, w2, b) on a grid, and how many points each labels correctly."""

    values: np.ndarray  # the grid of each coordinate, shape (n,)
    counts: (
        np.ndarray
    )  # counts[i, j, k] = correct points for w = (values[i], values[j]), b = values[k]

    @property
    def best(self) -> int:
        """The most points any grid perceptron gets right."""
        return int(self.counts.max())

    @property
    def n_best(self) -> int:
        """How many grid settings reach ``best``."""
        return int((self.counts == self.best).sum())

    def settings_with(self, count: int) -> np.ndarray:
        """The (w1, w2, b) rows of the grid settings that get exactly ``count`` points right."""
        idx = np.argwhere(self.counts == count)
        return self.values[idx]


def grid_search(X: Any, y: Any, values: Any) -> GridSearch:
    """Try every perceptron with w1, w2, b each taken from ``values`` on the points (X, y).

    Vectorised: all len(values)^3 perceptrons are evaluated at once (book: "no line separates
    XOR"). For XOR no setting gets all four points; the best is 3.
    """
    X = _points(X)
    if X.shape[1] != 2:
        raise ValueError(f"grid_search is for two inputs (X of shape (N, 2)), got {X.shape}")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"values must be a non-empty 1-d array, got shape {v.shape}")
    w1, w2, b = np.meshgrid(v, v, v, indexing="ij")
    z = w1[..., None] * X[:, 0] + w2[..., None] * X[:, 1] + b[..., None]  # (n, n, n, N)
    counts = (F.step(z) == y).sum(axis=-1)
    return GridSearch(values=v, counts=counts)


# ---------------------------------------------------------------------- the exact XOR network
XOR_W = np.array([[1.0, 1.0], [1.0, 1.0]])
XOR_B = np.array([0.0, -1.0])
XOR_U = np.array([[1.0, -2.0]])


def xor_net_exact() -> nn.Sequential:
    """The two-layer ReLU network that computes XOR exactly (book: eq. 2.3).

    h = ReLU(x W^T + b) with W = [[1, 1], [1, 1]], b = [0, -1]; y = h . U with U = [1, -2] and
    no output bias. Built from nnlib layers: Linear(2, 2), ReLU, Linear(2, 1, bias=False).
    """
    hidden = nn.Linear(2, 2, rng=0)
    hidden.W.data[...] = XOR_W
    hidden.b.data[...] = XOR_B
    out = nn.Linear(2, 1, bias=False, rng=0)
    out.W.data[...] = XOR_U
    return nn.Sequential(hidden, nn.ReLU(), out)


def hidden_and_output(net: nn.Sequential, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """(h, y): the hidden layer (after its activation) and the output of a Linear-act-Linear net.

    ``h`` is (N, d_hidden) and ``y`` is (N,), both numpy; computed without building a graph.
    """
    if len(net) != 3:
        raise ValueError(f"expected a 3-layer Sequential (Linear, activation, Linear), got {net}")
    x = Tensor(_points(X))
    h = net[1](net[0](x))
    y = net[2](h)
    return h.data, y.data[:, 0]


# ---------------------------------------------------------------------- logistic regression
@dataclass
class LogisticRun:
    """The history of a logistic-regression fit: loss and accuracy after every step."""

    losses: np.ndarray  # (steps + 1,), the loss before each update and after the last
    accuracies: np.ndarray  # (steps + 1,), fraction of points with (z > 0) == y
    w: np.ndarray  # final weights (d,)
    b: float  # final bias

    def predict_proba(self, X: Any) -> np.ndarray:
        """ŷ = σ(w · x + b) for each row of X, with the final weights."""
        return F.sigmoid(_points(X) @ self.w + self.b)


def train_logistic_regression(
    X: Any, y: Any, steps: int = 1000, lr: float = 0.5, seed: int = 0
) -> LogisticRun:
    """Fit y ~ σ(w . x + b) by gradient descent on binary cross-entropy (book: section 2.3).

    One nnlib Linear(d, 1) layer, loss ``binary_cross_entropy_with_logits``, plain SGD on the
    whole data set each step (``nnlib.train.fit`` with one full batch per "epoch"). On XOR the
    loss cannot fall below log 2 (its minimum, at w = 0, b = 0, where every output is 0.5).
    """
    X = _points(X)
    y = np.asarray(y, dtype=np.float64)
    _check_steps(steps, lr)
    model = nn.Linear(X.shape[1], 1, rng=seed)
    history = fit(
        model,
        _bce_on_logits,
        optim.SGD(model.parameters(), lr=lr),
        (X, y),
        epochs=steps,
        batch_size=len(X),  # full batch: every step sees all the points
        shuffle=False,
        metrics={"accuracy": accuracy},
    )
    final = evaluate(model, _bce_on_logits, (X, y), metrics={"accuracy": accuracy})
    return LogisticRun(
        np.array(history.train_loss + [final["loss"]]),
        np.array(history.metrics.get("train_accuracy", []) + [final["accuracy"]]),
        model.W.data[0].copy(),
        float(model.b.data[0]),
    )


def _bce_on_logits(z: Tensor, y: np.ndarray) -> Tensor:
    """Binary cross-entropy of a d-...-1 network's logits z (N, 1) against 0/1 targets y (N,)."""
    return F.binary_cross_entropy_with_logits(z[:, 0], y)


def _check_steps(steps: int, lr: float) -> None:
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"learning rate must be positive, got {lr}")


# ---------------------------------------------------------------------- training 2-H-1 nets
def train_mlp(
    X: Any,
    y: Any,
    hidden: int = 2,
    activation: str = "relu",
    seed: int = 0,
    steps: int = 1000,
    lr: float = 0.5,
) -> tuple[nn.MLP, np.ndarray]:
    """Train a d-hidden-1 MLP on (X, y) with binary cross-entropy and SGD; return (net, losses).

    The network is ``nn.MLP([d, hidden, 1], activation, rng=seed)``: h = act(x W^T + b),
    z = h U^T + c, ŷ = σ(z). Every step uses all the points (full-batch gradient descent, run by
    ``nnlib.train.fit`` with the batch size set to the number of points).
    ``losses`` has the loss before each of the ``steps`` updates.
    """
    X = _points(X)
    y = np.asarray(y, dtype=np.float64)
    _check_steps(steps, lr)
    net = nn.MLP([X.shape[1], hidden, 1], activation, rng=seed)
    history = fit(
        net,
        _bce_on_logits,
        optim.SGD(net.parameters(), lr=lr),
        (X, y),
        epochs=steps,
        batch_size=len(X),
        shuffle=False,
    )
    return net, np.array(history.step_loss)


def mlp_forward(
    X: Any, W: Any, b: Any, U: Any, c: Any, activation: str = "relu"
) -> tuple[np.ndarray, np.ndarray]:
    """(h, z) of d-H-1 networks, any number of them at once (numpy, no graph).

    h = act(x W^T + b) and z = h . U + c for each row x of X (N, d). The parameters may carry
    leading batch axes (...): W (..., H, d), b (..., H), U (..., H), c (...); the results are
    h (..., N, H) and z (..., N).
    """
    X = _points(X)
    act = _activation(activation)
    W, b, U, c = (np.asarray(a, dtype=np.float64) for a in (W, b, U, c))
    z1 = X @ np.swapaxes(W, -1, -2) + b[..., None, :]
    h = act(z1)
    z = (h * U[..., None, :]).sum(axis=-1) + c[..., None]
    return h, z


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {sorted(ACTIVATIONS)}")
    return F.get_activation(name).fn


@dataclass
class MLPRuns:
    """Many d-H-1 networks trained side by side, one per seed, with parameter snapshots.

    Snapshot arrays have a leading axis over ``recorded`` steps (T) and then one over seeds (S):
    W (T, S, H, d), b (T, S, H), U (T, S, H), c (T, S). ``losses`` is (steps + 1, S).
    """

    X: np.ndarray
    y: np.ndarray
    seeds: np.ndarray
    activation: str
    recorded: np.ndarray  # (T,) the step numbers at which parameters were saved
    W: np.ndarray
    b: np.ndarray
    U: np.ndarray
    c: np.ndarray
    losses: np.ndarray

    def forward(self, X: Any = None, t: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """(h, z) of every seed's network at snapshot ``t`` (default: the end) on X."""
        X = self.X if X is None else X
        return mlp_forward(X, self.W[t], self.b[t], self.U[t], self.c[t], self.activation)

    def predictions(self, t: int = -1) -> np.ndarray:
        """(S, N) 0/1 labels, 1 where z > 0 (ŷ > 0.5)."""
        return (self.forward(t=t)[1] > 0).astype(np.int64)

    def success(self, t: int = -1) -> np.ndarray:
        """(S,) True for each seed whose network labels every training point correctly."""
        return (self.predictions(t) == self.y).all(axis=1)

    def success_rate(self, t: int = -1) -> float:
        """Fraction of seeds that succeed."""
        return float(self.success(t).mean())

    def dead_units(self, t: int = -1) -> np.ndarray:
        """(S,) number of hidden units that output 0 on every training point (dead ReLUs).

        A dead unit gets no gradient (ReLU'(z) = 0 for z <= 0) on these points, so gradient
        descent can never revive it.
        """
        h, _ = self.forward(t=t)
        return (h.max(axis=-2) <= 0).sum(axis=-1)


def train_mlps(
    X: Any,
    y: Any,
    seeds: Sequence[int],
    hidden: int = 2,
    activation: str = "relu",
    steps: int = 1000,
    lr: float = 0.5,
    record_every: int = 10,
) -> MLPRuns:
    """Train one d-hidden-1 network per seed, all at once, exactly as :func:`train_mlp` would.

    Each seed's network starts from ``nn.MLP([d, hidden, 1], activation, rng=seed)``; the
    parameters of all seeds are stacked along a leading axis and trained together with batched
    matrix products. The loss is the sum over seeds of each seed's mean binary cross-entropy,
    so each seed gets exactly its own gradient. Parameters are saved every ``record_every``
    steps (and at the last step).
    """
    X = _points(X)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    _check_steps(steps, lr)
    if record_every < 1:
        raise ValueError(f"record_every must be at least 1, got {record_every}")
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if seeds.size == 0:
        raise ValueError("train_mlps needs at least one seed")
    act = _activation(activation)
    S = seeds.size
    nets = [nn.MLP([X.shape[1], hidden, 1], activation, rng=int(s)) for s in seeds]
    W = nn.Parameter(np.stack([n[0].W.data for n in nets]))  # (S, H, d)
    b = nn.Parameter(np.stack([n[0].b.data for n in nets])[:, None, :])  # (S, 1, H)
    U = nn.Parameter(np.stack([n[2].W.data for n in nets]))  # (S, 1, H)
    c = nn.Parameter(np.stack([n[2].b.data for n in nets]))  # (S, 1)
    opt = optim.SGD([W, b, U, c], lr=lr)
    Y = np.broadcast_to(y.astype(np.float64), (S, y.size))
    x = Tensor(X)
    recorded, snaps, losses = [], [], np.empty((steps + 1, S))
    for t in range(steps + 1):
        h = act(x @ W.transpose(0, 2, 1) + b)  # (S, N, H)
        z = (h * U).sum(axis=-1) + c  # (S, N)
        per_seed = F.binary_cross_entropy_with_logits(z, Y, reduction="none").mean(axis=1)
        losses[t] = per_seed.data
        if t % record_every == 0 or t == steps:
            recorded.append(t)
            snaps.append(
                [W.data[:].copy(), b.data[:, 0].copy(), U.data[:, 0].copy(), c.data[:, 0].copy()]
            )
        if t == steps:
            break
        loss = per_seed.sum()  # each seed's parameters get exactly their own seed's gradient
        opt.zero_grad()
        loss.backward()
        opt.step()
    Ws, bs, Us, cs = (np.stack(a) for a in zip(*snaps))
    return MLPRuns(X, y, seeds, activation, np.array(recorded), Ws, bs, Us, cs, losses)


# ======================================================================================
# Decision rules on grids of inputs, for the chapter's figures and widgets.
# nnlib.widgets.xor draws exactly what these return; nothing here draws.
# ======================================================================================
EXACT_THRESHOLD = 0.5  # the exact network outputs y = h . U, exactly 0 or 1: class 1 where y > 0.5


def grid_points(xlim: Sequence[float], ylim: Sequence[float], n: int) -> np.ndarray:
    """The (n * n, 2) points of an n x n grid over xlim x ylim, row by row from the bottom.

    Row r of the grid (points r*n ... r*n + n - 1) has x2 = the r-th of n values from ylim[0]
    to ylim[1]: reshaped to (n, n) it is an image whose row 0 is the bottom edge.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"a grid needs n >= 2 points per side, got {n!r}")
    (x0, x1), (y0, y1) = (tuple(map(float, lim)) for lim in (xlim, ylim))
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"grid limits must be (low, high) with low < high: {xlim}, {ylim}")
    g1, g2 = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.column_stack([g1.ravel(), g2.ravel()])


def perceptron_regions(
    w: Any, b: float, xlim: Sequence[float], ylim: Sequence[float], n: int = 121
) -> np.ndarray:
    """The perceptron's output (eq. 2.1) at every point of an n x n grid: (n, n) integers 0/1."""
    return perceptron(grid_points(xlim, ylim, n), w, b).reshape(n, n)


def mlp_decisions(z: Any, threshold: float = 0.0) -> np.ndarray:
    """Class labels from a network's output z: 1 where z > threshold, else 0 (any shape).

    A trained network's output is a logit z with ŷ = σ(z), so ŷ > 0.5 exactly when z > 0 (the
    default). The exact network of eq. 2.3 has no sigmoid and outputs 0 or 1 itself: use
    ``threshold=EXACT_THRESHOLD`` (0.5).
    """
    return (np.asarray(z) > threshold).astype(np.int64)


def n_correct(pred: Any, y: Any) -> np.ndarray | int:
    """How many predictions equal the targets, counted along the last axis (over the points)."""
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.shape[-1:] != y.shape[-1:]:
        raise ValueError(f"predictions {pred.shape} and targets {y.shape} differ in length")
    count = (pred == y).sum(axis=-1)
    return int(count) if np.ndim(count) == 0 else count


@dataclass
class HiddenSpace:
    """What the hidden-space figure shows of 2-H-1 networks, computed once for every state.

    Arrays may carry leading axes over snapshots and seeds (T, S) or none (one network):
    ``h`` (..., N, H) hidden points, ``z`` (..., N) outputs, ``pred`` (..., N) labels,
    ``correct`` (...) counts, ``x_regions`` (..., n, n) the predicted class over the input grid,
    ``U`` (..., H) and ``c`` (...) the output unit, ``threshold`` its decision threshold.
    """

    h: np.ndarray
    z: np.ndarray
    pred: np.ndarray
    correct: np.ndarray
    x_regions: np.ndarray
    U: np.ndarray
    c: np.ndarray
    threshold: float


def hidden_space(
    X: Any,
    y: Any,
    W: Any,
    b: Any,
    U: Any,
    c: Any,
    activation: str = "relu",
    threshold: float = 0.0,
    lim: Sequence[float] = (-0.5, 1.5),
    n: int = 101,
) -> HiddenSpace:
    """Hidden points, outputs, labels, counts and input-space regions of d-H-1 networks.

    Parameters as in :func:`mlp_forward` (leading batch axes allowed, all evaluated at once);
    the regions are labels over an n x n grid of lim x lim.
    """
    h, z = mlp_forward(X, W, b, U, c, activation)
    _, zgrid = mlp_forward(grid_points(lim, lim, n), W, b, U, c, activation)
    pred = mlp_decisions(z, threshold)
    return HiddenSpace(
        h=h,
        z=z,
        pred=pred,
        correct=n_correct(pred, np.asarray(y)),
        x_regions=mlp_decisions(zgrid, threshold).reshape(*zgrid.shape[:-1], n, n),
        U=np.asarray(U, dtype=np.float64),
        c=np.asarray(c, dtype=np.float64),
        threshold=float(threshold),
    )


def exact_hidden_space(
    X: Any, y: Any, lim: Sequence[float] = (-0.5, 1.5), n: int = 101
) -> HiddenSpace:
    """:func:`hidden_space` of the exact XOR network (XOR_W, XOR_B, XOR_U, no output bias)."""
    return hidden_space(
        X, y, XOR_W, XOR_B, XOR_U[0], 0.0, "relu", threshold=EXACT_THRESHOLD, lim=lim, n=n
    )


def output_rule(U: Any, c: float, threshold: float = 0.0) -> tuple[np.ndarray, float]:
    """The output unit as a perceptron on h: (w, b) with w . h + b > 0 exactly when U . h + c >
    threshold, i.e. w = U, b = c - threshold. Its boundary is the line in the hidden space."""
    return np.asarray(U, dtype=np.float64), float(c) - float(threshold)
