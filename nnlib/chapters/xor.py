"""Perceptrons, the XOR problem, and the small network that solves it.

Book: chapter 2, "Perceptrons and the XOR problem". The chapter's equations, in the names used here:

- perceptron (2.1):          y = 1 if w . x + b > 0 else 0
- perceptron rule (2.1):     w <- w + eta (y - y_hat) x,  b <- b + eta (y - y_hat)
- decision boundary (2.2):   w1 x1 + w2 x2 + b = 0, i.e. x2 = (-w1 / w2) x1 - b / w2
- two-layer network (2.4):   h = ReLU(x W^T + b),  y_hat = h . U  (+ c when the output has a bias)
- plateaus (2.5):            points that share a hidden point share an output; the best mean
                             cross-entropy is then sum over groups of n_g H(p_g) / N
- one hidden layer (2.6):    a staircase of steep sigmoids approximates any continuous f

Everything here is numpy or nnlib; the chapter's widgets (``nnlib.widgets.xor``) only call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..geometry import boundary_segment, grid_points
from ..tensor import Tensor
from ..train import accuracy, evaluate, fit

__all__ = [
    "perceptron",
    "PerceptronRun",
    "train_perceptron",
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
    "fit_mlp",
    "MLPRuns",
    "train_mlps",
    "mlp_forward",
    "ACTIVATIONS",
    "hidden_groups",
    "plateau_loss",
    "Plateaus",
    "explain_plateaus",
    "firing_patterns",
    "staircase_mlp",
    "Approximation",
    "approximate",
    # for the figures and widgets (the section at the end)
    "EXACT_THRESHOLD",
    "grid_points",
    "grid_lines",
    "perceptron_regions",
    "mlp_decisions",
    "n_correct",
    "HiddenSpace",
    "hidden_space",
    "exact_hidden_space",
    "output_rule",
    "weight_arrow",
    "HiddenPlane",
    "hidden_plane",
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


@dataclass
class PerceptronRun:
    """The perceptron learning rule's history: weights and mistakes after every epoch."""

    w: np.ndarray  # (epochs + 1, d): the weights before the first epoch and after each
    b: np.ndarray  # (epochs + 1,)
    mistakes: np.ndarray  # (epochs,): how many updates (wrong outputs) each epoch made

    @property
    def converged(self) -> bool:
        """True if some epoch made no mistake (from then on nothing changes)."""
        return bool((self.mistakes == 0).any())


def train_perceptron(X: Any, y: Any, epochs: int = 10, lr: float = 1.0) -> PerceptronRun:
    """Rosenblatt's perceptron learning rule (book: 2.1), from w = 0, b = 0.

    The points are visited in order, epoch after epoch; after each one the perceptron's output
    y_hat is compared with the target y and the weights move by w <- w + lr (y - y_hat) x,
    b <- b + lr (y - y_hat): nothing happens when the output is right. On linearly separable
    data the rule stops making mistakes after finitely many updates (the perceptron convergence
    theorem); on XOR it never does.
    """
    X = _points(X)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold one 0/1 label per point ({X.shape[0]}), got {y!r}")
    _check_steps(epochs, lr)
    w, b = np.zeros(X.shape[1]), 0.0
    ws, bs, mistakes = [w.copy()], [b], []
    for _ in range(epochs):
        wrong = 0
        for x, target in zip(X, y):
            error = int(target) - int(perceptron(x[None, :], w, b)[0])  # -1, 0 or +1
            if error:
                w = w + lr * error * x
                b = b + lr * error
                wrong += 1
        ws.append(w.copy())
        bs.append(b)
        mistakes.append(wrong)
    return PerceptronRun(np.array(ws), np.array(bs), np.array(mistakes))


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
    ``nnlib.train.fit`` with the batch size set to the number of points; see :func:`fit_mlp`).
    ``losses`` has the loss before each of the ``steps`` updates.
    """
    X = _points(X)
    net = nn.MLP([X.shape[1], hidden, 1], activation, rng=seed)
    return net, fit_mlp(net, X, y, steps=steps, lr=lr)


def fit_mlp(net: nn.Module, X: Any, y: Any, steps: int = 1000, lr: float = 0.5) -> np.ndarray:
    """Full-batch gradient descent on the mean binary cross-entropy of ``net``'s logits.

    ``net`` maps (N, d) inputs to (N, 1) logits z (ŷ = σ(z)); it is trained in place, ``steps``
    updates of plain SGD with learning rate ``lr``, each on all the points. Returns the loss
    before each update. Use it to train a network from a start you built yourself (the
    chapter's symmetric and all-zero starts).
    """
    X = _points(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    _check_steps(steps, lr)
    history = fit(
        net,
        _bce_on_logits,
        optim.SGD(net.parameters(), lr=lr),
        (X, y),
        epochs=steps,
        batch_size=len(X),
        shuffle=False,
    )
    return np.array(history.step_loss)


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

    def snapshot(self, step: int) -> int:
        """The snapshot index ``t`` at which training step ``step`` was recorded."""
        hits = np.flatnonzero(self.recorded == step)
        if hits.size == 0:
            shown = ", ".join(str(int(t)) for t in self.recorded[:4])
            raise ValueError(
                f"step {step} was not recorded; the recorded steps are {shown}, ..., "
                f"{int(self.recorded[-1])}"
            )
        return int(hits[0])

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


# ---------------------------------------------------------------------- why runs get stuck
def hidden_groups(h: Any, decimals: int = 2) -> np.ndarray:
    """Group the points whose hidden vectors agree to ``decimals`` decimals (book: 2.5).

    ``h`` is (..., N, H); returns integer group ids (..., N), numbered by first appearance.
    Points in one group look the same to the output unit, so they get the same output.
    """
    h = np.round(np.asarray(h, dtype=np.float64), decimals) + 0.0  # + 0.0: no -0.0
    flat = h.reshape(-1, h.shape[-2], h.shape[-1])
    ids = np.empty(flat.shape[:2], dtype=np.int64)
    for k, rows in enumerate(flat):
        seen: dict[bytes, int] = {}
        for i, row in enumerate(rows):
            ids[k, i] = seen.setdefault(row.tobytes(), len(seen))
    return ids.reshape(h.shape[:-1])


def plateau_loss(y: Any, groups: Any) -> float:
    """The smallest mean binary cross-entropy when all points of a group share one output.

    A group of n points with m ones is best served by the output p = m / n, and then costs
    n H(m / n) with H(p) = -p log p - (1 - p) log(1 - p) (0 for p = 0 or 1); the mean over all
    N points is sum_g n_g H(p_g) / N (book: 2.5). For XOR: all four points in one group give
    log 2 = 0.693; two points of different classes together, the others alone, give
    (2 log 2) / 4 = 0.347; three together (two ones, one zero), one alone, give
    (2 log 1.5 + log 3) / 4 = 0.477.
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    groups = np.asarray(groups).reshape(-1)
    if groups.shape != y.shape:
        raise ValueError(f"need one group id per label: {groups.shape} vs {y.shape}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    total = 0.0
    for g in np.unique(groups):
        members = y[groups == g]
        p = members.mean()
        if 0 < p < 1:
            total -= members.size * (p * np.log(p) + (1 - p) * np.log(1 - p))
    return float(total / y.size)


@dataclass
class Plateaus:
    """Why each trained network's loss is what it is (book: 2.5).

    ``kind[s]`` is "linear" when the hidden layer of seed s is linear on the data (every ReLU unit
    active on all points or on none: the network is then a linear model of x, stuck at logistic
    regression's best, log 2 on XOR), else "lumped" (the loss is bounded by :func:`plateau_loss`
    of the groups of points sharing a hidden point; 0 when every point has its own).
    ``predicted[s]`` is that loss; ``groups[s]`` the group ids.
    """

    kind: np.ndarray
    predicted: np.ndarray
    groups: np.ndarray


def explain_plateaus(runs: MLPRuns, t: int = -1, decimals: int = 2) -> Plateaus:
    """The loss each network of ``runs`` can at best reach from where it is at snapshot t.

    Compare ``predicted`` with ``runs.losses[-1]``: a network stuck on a plateau sits there.
    """
    h, _ = runs.forward(t=t)
    groups = hidden_groups(h, decimals)
    lumped = np.array([plateau_loss(runs.y, g) for g in groups])
    if runs.activation == "relu":
        active = h > 0  # (S, N, H)
        linear = (active.all(axis=1) | ~active.any(axis=1)).all(axis=-1)
    else:  # smooth units are never exactly linear on the data
        linear = np.zeros(len(groups), dtype=bool)
    best_linear = float(np.log(2)) if np.mean(runs.y) == 0.5 else None
    if best_linear is None and linear.any():
        best_linear = plateau_loss(runs.y, np.zeros(len(runs.y), dtype=int))
    predicted = np.where(linear, best_linear if linear.any() else 0.0, lumped)
    kind = np.where(linear, "linear", "lumped")
    return Plateaus(kind, predicted, groups)


def firing_patterns(h: Any, threshold: float = 0.01) -> np.ndarray:
    """(H, N) booleans: which hidden units are active (h > threshold) on which of N points.

    A trained ReLU unit can sit just above its kink (h of order 1e-4) on some inputs; the
    threshold (0.01 by default) counts such barely-on values as off (book: 2.7).
    """
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"h must be (N, H), one row of hidden values per point; got {h.shape}")
    return (h > threshold).T


# ---------------------------------------------------------------------- one hidden layer goes far
def staircase_mlp(f: Any, lo: float, hi: float, n: int, sharpness: float = 50.0) -> nn.MLP:
    """A 1-n-1 sigmoid MLP that approximates f on [lo, hi] by a staircase (book: 2.6).

    The knots t_0 < ... < t_n split [lo, hi] into n equal pieces; hidden unit i is a steep
    sigmoid σ(s (x - m_i)) that switches on at the midpoint m_i between t_{i-1} and t_i, and its
    outgoing weight is the rise f(t_i) - f(t_{i-1}); the output bias is f(t_0). So the output is
    f(t_0) + sum_i (f(t_i) - f(t_{i-1})) σ(s (x - m_i)): a staircase through the knots that tends
    to a step function as s grows, and to f as n grows (f continuous). ``sharpness`` s is given
    per unit of x relative to the step width: the slope is s n / (hi - lo).
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got [{lo}, {hi}]")
    if not sharpness > 0:
        raise ValueError(f"sharpness must be positive, got {sharpness}")
    knots = np.linspace(lo, hi, n + 1)
    values = np.asarray(f(knots), dtype=np.float64)
    if values.shape != knots.shape or not np.all(np.isfinite(values)):
        raise ValueError("f must map an array of x values to finite values of the same shape")
    slope = sharpness * n / (hi - lo)
    mids = (knots[:-1] + knots[1:]) / 2
    net = nn.MLP([1, n, 1], "sigmoid", rng=0)
    net[0].W.data[:, 0] = slope
    net[0].b.data[:] = -slope * mids
    net[2].W.data[0] = np.diff(values)
    net[2].b.data[:] = values[0]
    return net


@dataclass
class Approximation:
    """Staircase networks of several sizes against a target function (book: 2.6)."""

    x: np.ndarray  # (P,) the points where everything is evaluated
    target: np.ndarray  # (P,) f(x)
    sizes: np.ndarray  # (K,) hidden units of each network
    outputs: np.ndarray  # (K, P) each network's output
    errors: np.ndarray  # (K,) each network's largest |output - f(x)| over the points


def approximate(
    f: Any,
    lo: float,
    hi: float,
    sizes: Sequence[int],
    sharpness: float = 50.0,
    n_points: int = 801,
) -> Approximation:
    """Build :func:`staircase_mlp` with each number of hidden units in ``sizes`` and run it (its
    nnlib forward) on ``n_points`` points of [lo, hi]."""
    x = np.linspace(lo, hi, n_points)
    target = np.asarray(f(x), dtype=np.float64)
    outputs = np.stack(
        [staircase_mlp(f, lo, hi, int(n), sharpness)(Tensor(x[:, None])).data[:, 0] for n in sizes]
    )
    errors = np.abs(outputs - target).max(axis=1)
    return Approximation(x, target, np.asarray(sizes), outputs, errors)


# ======================================================================================
# Decision rules on grids of inputs, for the chapter's figures and widgets.
# nnlib.widgets.xor draws exactly what these return; nothing here draws.
# ======================================================================================
EXACT_THRESHOLD = 0.5  # the exact network outputs y = h . U, exactly 0 or 1: class 1 where y > 0.5


def grid_lines(lim: Sequence[float] = (-0.5, 1.5), n_lines: int = 11, n_points: int = 41):
    """The lines of a square grid over lim x lim, as points: (2 n_lines, n_points, 2).

    The first n_lines are horizontal (x2 fixed), the rest vertical (x1 fixed). Mapped through a
    hidden layer, they show how the layer bends and folds the input plane.
    """
    if n_lines < 2 or n_points < 2:
        raise ValueError(f"need at least 2 lines of 2 points, got {n_lines} and {n_points}")
    lo, hi = (float(v) for v in lim)
    if not lo < hi:
        raise ValueError(f"grid limits must be (low, high) with low < high: {lim}")
    fixed = np.linspace(lo, hi, n_lines)
    along = np.linspace(lo, hi, n_points)
    horizontal = np.stack(
        [np.broadcast_to(along, (n_lines, n_points)), fixed[:, None] + 0 * along], -1
    )
    vertical = horizontal[..., ::-1]
    return np.concatenate([horizontal, vertical])


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


def weight_arrow(
    w: Any, b: float, center: Sequence[float] = (0.5, 0.5), length: float = 0.45
) -> np.ndarray | None:
    """Where to draw the weight vector w: from the point of the boundary w . x + b = 0 nearest
    ``center`` along w / |w| for ``length`` (so it points into the half-plane labelled 1).

    Returns [[x1_start, x2_start], [x1_end, x2_end]], or None when w = 0 (no boundary). The
    weight vector is perpendicular to the boundary: moving along it raises z fastest.
    """
    w = _weights(w, 2)
    norm = float(np.linalg.norm(w))
    if norm == 0:
        return None
    p0 = np.asarray(center, dtype=np.float64)
    foot = p0 - (w @ p0 + float(b)) / norm**2 * w
    return np.array([foot, foot + length * w / norm])


@dataclass
class HiddenPlane:
    """A 2-d picture of a hidden space and the output unit's line in it.

    ``coords(h)`` maps hidden vectors (..., H) to the plane; ``w``, ``b``: the output rule in
    plane coordinates (class 1 where w . p + b > 0); ``axes``: the axis labels.
    """

    basis: np.ndarray  # (2, H): the plane's two directions (rows), orthonormal
    w: np.ndarray
    b: float
    axes: tuple[str, str]

    def coords(self, h: Any) -> np.ndarray:
        return np.asarray(h, dtype=np.float64) @ self.basis.T


def hidden_plane(U: Any, c: float, threshold: float = 0.0, h_ref: Any = None) -> HiddenPlane:
    """The plane in which to draw a hidden space (book: 2.4 and the hidden-space widget).

    With 2 hidden units, the hidden space itself (h1, h2). With H > 2 units, the plane spanned by
    the output unit's direction u = U / |U| and, orthogonal to it, the direction along which the
    reference points ``h_ref`` (..., H) vary most (their first principal direction once the u
    component is removed). The output z = U . h + c depends on h only through u . h, so in this
    plane its boundary is the vertical line |U| p1 + c = threshold, exactly; points that differ
    only off the plane coincide in the picture.
    """
    U = np.asarray(U, dtype=np.float64).reshape(-1)
    H = U.size
    if H == 2:
        rule_w, rule_b = output_rule(U, c, threshold)
        return HiddenPlane(np.eye(2), rule_w, rule_b, ("$h_1$", "$h_2$"))
    norm = float(np.linalg.norm(U))
    if norm == 0:
        u = np.eye(H)[0]
    else:
        u = U / norm
    v = None
    if h_ref is not None:
        R = np.asarray(h_ref, dtype=np.float64).reshape(-1, H)
        R = R - R.mean(axis=0)
        R = R - np.outer(R @ u, u)
        if np.linalg.norm(R) > 1e-12:
            v = np.linalg.svd(R, full_matrices=False)[2][0]
            v = v * (1.0 if v[np.argmax(np.abs(v))] > 0 else -1.0)  # a fixed sign
    if v is None:  # no spread off u: any unit direction orthogonal to u
        e = np.eye(H)[np.argmin(np.abs(u))]
        v = e - (e @ u) * u
        v /= np.linalg.norm(v)
    return HiddenPlane(
        np.vstack([u, v]),
        np.array([norm, 0.0]),
        float(c) - float(threshold),
        ("output direction U·h / |U|", "main other direction"),
    )
