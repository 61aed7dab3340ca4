"""Optimisation: the experiments of chapter 7.

Book: chapter 7, "Optimisation". What is here, in the chapter's order:

- loss surfaces in two dimensions (a ravine, a tilted ravine, a saddle, several minima) and the
  paths that nnlib's own optimisers take on them (:func:`descend`);
- the real task, sentiment of review sentences from bag-of-words features (:func:`review_task`),
  and the batch-size experiments on it: gradient noise against the formula
  Var = tr(Σ) / B · (N - B) / (N - 1), and the steps, epochs and time to reach a target loss;
- "do we end up in the same place?": a convex model (logistic regression) against networks;
- initialisation: the zero start, symmetric starts, and the statistics of activations and
  gradients through a deep network under each scheme of :mod:`nnlib.init`;
- learning rates: divergence, a sweep, and the schedules of :mod:`nnlib.optim`;
- momentum and Adam against plain SGD on the surfaces and on the real task;
- deep against wide networks with the same number of parameters;
- :class:`Playground`, the training engine behind the chapter's TensorFlow-Playground-like widget.

Every number the chapter prints comes from here or from the core; the widgets
(``nnlib.widgets.optimization``) only draw.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import functional as F
from .. import init, nn, optim
from ..data import load_reviews
from ..nn import Parameter
from ..tensor import Tensor, no_grad
from ..text import Vocab, tokenize
from ..train import FitState, TrainingDiverged, fit

__all__ = [
    "Surface",
    "SURFACES",
    "get_surface",
    "OPTIMIZERS",
    "make_optimizer",
    "Descent",
    "descend",
]


# ---------------------------------------------------------------------- optimisers by name
OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(
    name: str,
    params: Sequence[Tensor],
    lr: float,
    *,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
) -> optim.Optimizer:
    """An nnlib optimiser by name: "sgd" (plain), "momentum" (SGD with ``momentum``) or "adam".

    ``momentum`` is only used by "momentum", ``betas`` only by "adam".
    """
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=betas)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


# ---------------------------------------------------------------------- 2-D loss surfaces
def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


@dataclass(frozen=True)
class Surface:
    """A loss L(w1, w2) of two parameters, to draw and to descend.

    ``loss(W)`` takes W of shape (K, 2), a numpy array or a Tensor, and returns the K losses (so a
    whole grid, or many starting points, are evaluated at once; on a Tensor the result has a
    gradient). ``minima`` lists the local minima (and ``saddles`` the saddle points), found
    analytically or, for the wells, numerically and checked by the tests; ``lr`` is a learning
    rate for plain gradient descent that shows the surface's character.
    """

    name: str
    title: str
    loss: Callable[[Any], Any]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    saddles: tuple[tuple[float, float], ...] = ()
    lr: float = 0.1
    hessian: np.ndarray | None = None  # for the quadratics: L = w^T H w / 2

    def __call__(self, W: Any) -> Any:
        return self.loss(W)

    def grid(self, n: int = 121) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(w1, w2, L): an n x n grid over the surface's box and the loss at every point."""
        g1, g2 = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        L = self.loss(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
        return g1, g2, L

    def gradient(self, W: Any) -> np.ndarray:
        """dL/dw at each row of W (K, 2), by nnlib's autodiff."""
        w = Tensor(np.array(W, dtype=np.float64).reshape(-1, 2), requires_grad=True)
        self.loss(w).sum().backward()
        return w.grad

    def nearest_minimum(self, W: Any) -> np.ndarray:
        """For each row of W, the index of the closest entry of ``minima``."""
        W = np.asarray(W, dtype=np.float64).reshape(-1, 2)
        d = np.linalg.norm(W[:, None, :] - np.asarray(self.minima)[None], axis=-1)
        return d.argmin(axis=1)


def _quadratic(H: np.ndarray) -> Callable[[Any], Any]:
    """L(w) = (h11 w1^2 + 2 h12 w1 w2 + h22 w2^2) / 2 = w^T H w / 2."""
    (a, b), (_, c) = H

    def loss(W: Any) -> Any:
        x, y = W[:, 0], W[:, 1]
        return 0.5 * (a * x * x + c * y * y) + b * x * y

    return loss


RAVINE_H = np.diag([0.02, 2.0])  # curvatures 0.02 along w1 and 2 across: condition number 100
_TILT = np.pi / 6  # the tilted ravine: the same ravine turned by 30 degrees
_R = np.array([[np.cos(_TILT), -np.sin(_TILT)], [np.sin(_TILT), np.cos(_TILT)]])
TILTED_H = _R @ RAVINE_H @ _R.T


def _saddle(W: Any) -> Any:
    """L = w2^2 / 2 - w1^2 / 2 + w1^4 / 4: a saddle at 0, minima at (+-1, 0) with L = -1/4."""
    x, y = W[:, 0], W[:, 1]
    x2 = x * x
    return 0.5 * y * y - 0.5 * x2 + 0.25 * x2 * x2


# The wells: (centre w1, centre w2, depth, width). A shallow bowl 0.05 |w|^2 holds them together.
WELLS = ((-1.5, -1.0, 2.0, 0.8), (1.6, 1.2, 1.2, 0.6), (1.2, -1.8, 0.8, 0.5))


def _wells(W: Any) -> Any:
    """L = 0.05 |w|^2 - sum_k depth_k exp(-|w - centre_k|^2 / (2 width_k^2)): three minima."""
    x, y = W[:, 0], W[:, 1]
    out = 0.05 * (x * x + y * y)
    for cx, cy, depth, width in WELLS:
        dx, dy = x - cx, y - cy
        out = out - depth * _exp(-(dx * dx + dy * dy) / (2 * width**2))
    return out


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "ravine",
            "ravine: L = (0.02 w1² + 2 w2²) / 2",
            _quadratic(RAVINE_H),
            (-4.0, 4.0),
            (-2.0, 2.0),
            (-3.5, 1.5),
            ((0.0, 0.0),),
            lr=0.9,
            hessian=RAVINE_H,
        ),
        Surface(
            "tilted",
            "tilted ravine (the ravine turned 30°)",
            _quadratic(TILTED_H),
            (-4.0, 4.0),
            (-2.5, 2.5),
            (-3.0, 0.5),
            ((0.0, 0.0),),
            lr=0.9,
            hessian=TILTED_H,
        ),
        Surface(
            "saddle",
            "saddle: L = w2²/2 − w1²/2 + w1⁴/4",
            _saddle,
            (-1.6, 1.6),
            (-1.6, 1.6),
            (0.001, 1.5),
            ((-1.0, 0.0), (1.0, 0.0)),
            saddles=((0.0, 0.0),),
            lr=0.1,
        ),
        Surface(
            "wells",
            "three wells of different depths",
            _wells,
            (-3.0, 3.0),
            (-3.0, 3.0),
            (0.4, 2.6),
            # found by gradient descent from a grid of starts and refined by Newton's method
            # (tests/chapters/test_optimization.py checks that the gradient vanishes here and
            # the Hessian is positive definite)
            ((-1.45338, -0.96892), (1.55313, 1.16485), (1.15662, -1.74304)),
            lr=0.3,
        ),
    )
}


def get_surface(name: str | Surface) -> Surface:
    """A :class:`Surface` by name ("ravine", "tilted", "saddle", "wells"), with a clear error."""
    if isinstance(name, Surface):
        return name
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(SURFACES)}")
    return SURFACES[name]


@dataclass
class Descent:
    """The paths of an optimiser from K starting points on a :class:`Surface`.

    ``path`` is (T + 1, K, 2): the start and the position after each of T steps; ``loss`` is
    (T + 1, K). If the loss overflowed, ``diverged_at`` is the step at which it first did (the
    path stops there) and is None otherwise.
    """

    surface: Surface
    path: np.ndarray
    loss: np.ndarray
    diverged_at: int | None = None

    @property
    def final(self) -> np.ndarray:
        """(K, 2): where each path ended."""
        return self.path[-1]

    def steps_to(self, tol: float, target: Sequence[float] | None = None) -> np.ndarray:
        """For each path, the first step at which it is within ``tol`` of ``target`` (default: the
        surface's first minimum) and stays within it to the end; -1 if it never settles."""
        target = np.asarray(self.surface.minima[0] if target is None else target, dtype=float)
        inside = np.linalg.norm(self.path - target, axis=-1) < tol  # (T + 1, K)
        # the last step at which each path was outside, plus one
        outside_rev = ~inside[::-1]
        last_out = np.where(outside_rev.any(0), len(inside) - 1 - outside_rev.argmax(0), -1)
        settled = last_out + 1
        return np.where(inside[-1], settled, -1)


def descend(
    surface: str | Surface,
    optimizer: str = "sgd",
    *,
    lr: float | None = None,
    steps: int = 100,
    start: Sequence[float] | np.ndarray | None = None,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    noise: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> Descent:
    """Run one of nnlib's optimisers on a 2-D surface from one start (2,) or many (K, 2).

    The parameters are one nnlib ``Parameter`` of shape (K, 2); each step computes the summed
    loss, backpropagates and calls ``optimizer.step()``, exactly as a training loop does (the K
    paths do not interact: row k's gradient depends on row k only, and every optimiser here acts
    element by element). ``noise`` adds N(0, noise^2) to every gradient component, a stand-in for
    the noise of minibatch gradients; ``lr`` defaults to the surface's own ``lr``.
    """
    surface = get_surface(surface)
    lr = surface.lr if lr is None else lr
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    W0 = np.array(surface.start if start is None else start, dtype=np.float64)
    if W0.ndim == 1:
        W0 = W0[None]
    if W0.ndim != 2 or W0.shape[1] != 2:
        raise ValueError(f"start must be a point (2,) or points (K, 2), got shape {W0.shape}")
    W = Parameter(W0.copy())
    opt = make_optimizer(optimizer, [W], lr, momentum=momentum, betas=betas)
    rng = init.as_rng(rng)
    path = np.empty((steps + 1, *W0.shape))
    loss = np.empty((steps + 1, W0.shape[0]))
    path[0] = W0
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            L = surface.loss(W)
            loss[t] = L.data
            if not np.all(np.isfinite(L.data)) or np.abs(W.data).max() > 1e6:
                diverged_at = t
                path, loss = path[: t + 1], loss[: t + 1]
                break
            if t == steps:
                break
            opt.zero_grad()
            L.sum().backward()
            if noise:
                W.grad = W.grad + rng.normal(0.0, noise, W.shape)
            opt.step()
            path[t + 1] = W.data
    return Descent(surface, path, loss, diverged_at)


# ---------------------------------------------------------------------- the real task
@dataclass(frozen=True)
class ReviewTask:
    """Review sentences as bag-of-words vectors: x_j = 1 if word j of the vocabulary occurs.

    ``X_*`` are float64 arrays (N, d) of 0/1 features, ``y_*`` int64 labels (1 = positive);
    ``words`` are the d words of the vocabulary, most frequent first. ``probe`` indexes the
    training rows the chapter measures the training loss on (every 5th: 2,041 sentences), which
    is much cheaper than all 10,202 and, for networks trained at a sensible rate, within 0.01 of
    the loss on all of them (the tests check it).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    words: tuple[str, ...]

    @property
    def probe(self) -> np.ndarray:
        return np.arange(0, len(self.y_train), 5)

    @property
    def d(self) -> int:
        return len(self.words)


def bag_of_words(texts: Sequence[str], words: Sequence[str]) -> np.ndarray:
    """(N, d) float64: x[i, j] = 1 if ``words[j]`` occurs in text i (tokenised as in chapter 3).

    Double precision, like the rest of nnlib: training in float32 would be faster, but its
    rounding differs between BLAS builds, and over thousands of steps such differences grow into
    different printed numbers (measured: 0.388 vs 0.390 after two epochs of Adam).
    """
    index = {w: j for j, w in enumerate(words)}
    X = np.zeros((len(texts), len(words)), dtype=np.float64)
    for i, text in enumerate(texts):
        cols = [index[t] for t in tokenize(text) if t in index]
        X[i, cols] = 1.0
    return X


@functools.lru_cache(maxsize=4)
def review_task(d: int = 1000) -> ReviewTask:
    """The chapter's real task: Rotten Tomatoes sentences (``nnlib.data.load_reviews``, the
    fixed train/valid split) as presence features of the ``d`` most frequent training words.

    Cached in memory: the first call reads and vectorises the data (under a second), later
    calls are free.
    """
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"review_task: d must be a positive integer, got {d!r}")
    data = load_reviews()
    vocab = Vocab.build(
        (tokenize(t) for t in data.train.texts), max_size=d + 1, specials=("<unk>",)
    )
    words = tuple(vocab.itos[1:])
    return ReviewTask(
        bag_of_words(data.train.texts, words),
        np.asarray(data.train.labels, dtype=np.int64),
        bag_of_words(data.valid.texts, words),
        np.asarray(data.valid.labels, dtype=np.int64),
        words,
    )


INITS = ("pytorch", "lecun", "xavier", "he", "normal", "zeros")


def initialise(model: nn.Module, scheme: str, *, rng: Any = None) -> nn.Module:
    """Re-initialise every Linear layer of ``model`` in place; returns the model.

    Schemes (book: 7.3, with :mod:`nnlib.init`): "pytorch" W, b ~ U(-1/sqrt(d_in), 1/sqrt(d_in));
    "lecun" W ~ N(0, 1/d_in); "xavier" W ~ N(0, 2/(d_in + d_out)); "he" W ~ N(0, 2/d_in);
    "normal" W ~ N(0, 1) whatever the size (the naive start); and "zeros" W = 0. Biases start at
    0 except under "pytorch", which draws them like W.
    """
    if scheme not in INITS:
        raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(INITS)}")
    rng = init.as_rng(rng)
    for layer in model.modules():
        if not isinstance(layer, nn.Linear):
            continue
        if scheme == "pytorch":
            init.pytorch_default_(layer.W, rng=rng)
        elif scheme == "lecun":
            init.lecun_normal_(layer.W, rng=rng)
        elif scheme == "xavier":
            init.xavier_normal_(layer.W, rng=rng)
        elif scheme == "he":
            init.kaiming_normal_(layer.W, rng=rng)
        elif scheme == "normal":
            init.normal_(layer.W, std=1.0, rng=rng)
        else:
            init.zeros_(layer.W)
        if layer.b is not None:
            if scheme == "pytorch":
                init.pytorch_default_(layer.b, rng=rng, fan_in=layer.d_in)
            else:
                init.zeros_(layer.b)
    return model


def review_model(
    task: ReviewTask, hidden: int = 32, *, scheme: str = "pytorch", rng: Any = 0
) -> nn.MLP:
    """The chapter's network for the reviews: d -> ``hidden`` ReLU units -> 2 logits."""
    model = nn.MLP([task.d, hidden, 2], "relu", rng=rng)
    if scheme != "pytorch":
        initialise(model, scheme, rng=rng)
    return model


def mean_loss(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The mean cross-entropy of ``model`` on (X, y), without building a graph."""
    with no_grad():
        return F.cross_entropy(model(X), y).item()


# ---------------------------------------------------------------------- batch size
def per_example_gradients(model: nn.Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, P): row i is the gradient of example i's loss with respect to all P parameters,
    flattened in ``model.parameters()`` order (one backward pass per example)."""
    params = model.parameters()
    rows = []
    for i in range(len(y)):
        loss = F.cross_entropy(model(X[i : i + 1]), y[i : i + 1])
        for p in params:
            p.grad = None
        loss.backward()
        rows.append(np.concatenate([p.grad.ravel() for p in params]))
    return np.stack(rows)


@dataclass
class GradientNoise:
    """Minibatch gradients against the full gradient g of a data set of N examples.

    ``measured[k]`` is the mean over ``draws`` random batches of size ``batch_sizes[k]`` (drawn
    without replacement) of |g_B - g|^2; ``predicted[k]`` is tr(Σ) / B * (N - B) / (N - 1),
    the formula for sampling without replacement, with tr(Σ) = mean_i |g_i - g|^2 computed from
    the per-example gradients g_i. ``g_norm2`` is |g|^2.
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    trace: float
    g_norm2: float
    N: int

    @property
    def relative_error(self) -> np.ndarray:
        """sqrt(measured) / |g|: the typical error of a minibatch gradient relative to g."""
        return np.sqrt(self.measured / self.g_norm2)


def gradient_noise(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    batch_sizes: Sequence[int],
    *,
    draws: int = 50,
    rng: Any = 0,
) -> GradientNoise:
    """Measure how far minibatch gradients fall from the full gradient (book: 7.2).

    The data (X, y) play the part of the whole training set (N examples). Every gradient is
    nnlib's own: per-example gradients for tr(Σ), and one backward pass per random batch.
    """
    N = len(y)
    sizes = np.asarray(batch_sizes, dtype=int)
    if sizes.min() < 1 or sizes.max() > N:
        raise ValueError(f"batch sizes must lie in [1, {N}], got {list(sizes)}")
    G = per_example_gradients(model, X, y)
    g = G.mean(axis=0)
    trace = float(((G - g) ** 2).sum(axis=1).mean())
    params = model.parameters()
    rng = init.as_rng(rng)
    measured = []
    for B in sizes:
        errs = []
        for _ in range(draws):
            idx = rng.choice(N, size=B, replace=False)
            loss = F.cross_entropy(model(X[idx]), y[idx])
            for p in params:
                p.grad = None
            loss.backward()
            gB = np.concatenate([p.grad.ravel() for p in params])
            errs.append(float(((gB - g) ** 2).sum()))
        measured.append(np.mean(errs))
    predicted = trace / sizes * (N - sizes) / (N - 1)
    return GradientNoise(sizes, np.array(measured), predicted, trace, float(g @ g), N)


@dataclass
class Race:
    """One training run stopped when the probe loss first reaches ``target``.

    ``curve`` rows are (step, epochs, training seconds, probe loss) at each evaluation;
    ``cpu`` and ``wall`` are the CPU and wall-clock seconds spent in training steps only (the
    evaluations are not counted). ``steps`` and ``epochs`` are where the target was reached
    (or the last evaluation, with ``reached`` False).
    """

    batch_size: int
    curve: np.ndarray
    steps: int
    epochs: float
    cpu: float
    wall: float
    reached: bool


class _ProbeStop:
    """A fit() callback: every ``every`` steps, measure the probe loss; stop at the target."""

    def __init__(self, task: ReviewTask, target: float, every: int):
        self.X, self.y = task.X_train[task.probe], task.y_train[task.probe]
        self.n, self.target, self.every = len(task.y_train), target, every
        self.rows: list[tuple[float, float, float, float]] = []
        self.cpu = self.wall = 0.0
        self.reached = False

    def on_fit_begin(self, state: FitState) -> None:
        self._tick()

    def _tick(self) -> None:
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def on_step_end(self, state: FitState) -> None:
        self.cpu += time.process_time() - self._cpu0
        self.wall += time.perf_counter() - self._wall0
        if state.step % self.every == 0:
            loss = mean_loss(state.model, self.X, self.y)
            epochs = state.step * self.batch_size / self.n
            self.rows.append((state.step, epochs, self.cpu, loss))
            if loss <= self.target:
                self.reached = state.stop = True
        self._tick()


def race_to_target(
    task: ReviewTask,
    batch_size: int,
    *,
    target: float = 0.45,
    optimizer: str = "adam",
    lr: float = 2e-3,
    max_epochs: int = 10,
    evals_per_epoch: int = 8,
    seed: int = 0,
) -> Race:
    """Train :func:`review_model` with ``batch_size`` until the probe loss reaches ``target``.

    The same initial weights (``seed``) and learning rate for every batch size; the probe loss
    is measured ``evals_per_epoch`` times per epoch (at least every step for huge batches).
    """
    model = review_model(task, rng=seed)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    steps_per_epoch = math.ceil(len(task.y_train) / batch_size)
    stop = _ProbeStop(task, target, max(1, steps_per_epoch // evals_per_epoch))
    stop.batch_size = batch_size
    fit(
        model,
        F.cross_entropy,
        opt,
        (task.X_train, task.y_train),
        epochs=max_epochs,
        batch_size=batch_size,
        rng=seed,
        callbacks=[stop],
    )
    curve = np.array(stop.rows)
    step, epochs = int(curve[-1, 0]), float(curve[-1, 1])
    return Race(batch_size, curve, step, epochs, stop.cpu, stop.wall, stop.reached)


# ---------------------------------------------------------------------- training on the reviews
@dataclass
class ReviewRun:
    """One training run of :func:`review_model`.

    ``train_loss[e]`` is the probe loss (the training loss on the probe sentences) after ``e``
    epochs, from e = 0 (the start); ``valid_loss`` and ``valid_acc`` likewise on the validation
    sentences. ``step_loss`` and ``step_lr`` are every step's minibatch loss and learning rate.
    If training diverged, ``diverged`` holds fit's message and the lists stop there.
    """

    train_loss: list[float]
    valid_loss: list[float]
    valid_acc: list[float]
    step_loss: list[float]
    step_lr: list[float]
    diverged: str | None = None
    model: nn.Module | None = None


class _EpochProbe:
    """A fit() callback: the probe loss and the validation scores after every epoch."""

    def __init__(self, task: ReviewTask, run: ReviewRun):
        self.task, self.run = task, run

    def on_fit_begin(self, state: FitState) -> None:
        self._record(state.model)

    def on_epoch_end(self, state: FitState) -> None:
        self._record(state.model)

    def _record(self, model: nn.Module) -> None:
        t = self.task
        self.run.train_loss.append(mean_loss(model, t.X_train[t.probe], t.y_train[t.probe]))
        with no_grad():
            z = model(t.X_valid)
            self.run.valid_loss.append(F.cross_entropy(z, t.y_valid).item())
        self.run.valid_acc.append(float((z.data.argmax(axis=1) == t.y_valid).mean()))


def train_reviews(
    task: ReviewTask,
    optimizer: str = "adam",
    lr: float = 2e-3,
    *,
    epochs: int = 3,
    batch_size: int = 64,
    hidden: int = 32,
    scheme: str = "pytorch",
    momentum: float = 0.9,
    schedule: Callable[[optim.Optimizer, int], Any] | None = None,
    seed: int = 0,
) -> ReviewRun:
    """Train the review network with ``nnlib.train.fit`` and record what the chapter plots.

    ``schedule(optimizer, steps_per_epoch)`` may return a learning-rate schedule from
    :mod:`nnlib.optim`. The initial weights and the batch order come from ``seed``. A diverging
    run is not an error here: its ``diverged`` field says what happened.
    """
    model = review_model(task, hidden, scheme=scheme, rng=seed)
    opt = make_optimizer(optimizer, model.parameters(), lr, momentum=momentum)
    steps_per_epoch = math.ceil(len(task.y_train) / batch_size)
    scheduler = schedule(opt, steps_per_epoch) if schedule is not None else None
    run = ReviewRun([], [], [], [], [], model=model)
    try:
        h = fit(
            model,
            F.cross_entropy,
            opt,
            (task.X_train, task.y_train),
            epochs=epochs,
            batch_size=batch_size,
            rng=seed,
            scheduler=scheduler,
            callbacks=[_EpochProbe(task, run)],
        )
    except TrainingDiverged as exc:
        run.diverged = str(exc)
        h = exc.history
    run.step_loss, run.step_lr = list(h.step_loss), list(h.step_lr)
    return run


# ---------------------------------------------------------------------- initialisation
def weight_variance(scheme: str, d_in: int, d_out: int) -> float:
    """Var(W) of each scheme for a layer d_in -> d_out (book: 7.3, the table of schemes)."""
    table = {
        "pytorch": 1.0 / (3 * d_in),  # U(-a, a) has variance a^2 / 3, a = 1 / sqrt(d_in)
        "lecun": 1.0 / d_in,
        "xavier": 2.0 / (d_in + d_out),
        "he": 2.0 / d_in,
        "normal": 1.0,
        "zeros": 0.0,
    }
    if scheme not in table:
        raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(INITS)}")
    return table[scheme]


def predicted_relu_factor(scheme: str, width: int) -> float:
    """How much the mean square of the activations changes per layer of a ReLU network whose
    layers are all width -> width: E[a_l^2] / E[a_(l-1)^2] = width * Var(W) / 2.

    (z = sum_j W_ij a_j has Var(z) = d_in Var(W) E[a^2], and ReLU keeps half of a symmetric z's
    mean square: E[ReLU(z)^2] = Var(z) / 2. He et al. 2015 chose Var(W) = 2 / d_in to make this 1.)
    The same factor applies to the gradients flowing back (fan_out = fan_in here).
    """
    return width * weight_variance(scheme, width, width) / 2


@dataclass
class LayerStats:
    """Activations and gradients, layer by layer, of one deep network at initialisation.

    ``a_rms[l]`` is the root mean square of the activations after layer l + 1 (``a_rms`` of the
    input is ``input_rms``); ``grad_rms[l]`` that of dL/da at the same place, for an upstream
    gradient of N(0, 1) entries arriving at the top; ``saturated[l]`` the fraction of units
    with |a| > 0.99 (tanh) and ``dead[l]`` the fraction with a = 0 (ReLU).
    """

    scheme: str
    activation: str
    a_rms: np.ndarray
    grad_rms: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    input_rms: float


def layer_statistics(
    scheme: str,
    activation: str = "relu",
    *,
    depth: int = 20,
    width: int = 256,
    n: int = 256,
    weights: str = "normal",
    rng: Any = 0,
) -> LayerStats:
    """Send n random inputs (N(0, 1) entries) through ``depth`` layers Linear(width, width) +
    activation, initialised by ``scheme``, and backpropagate random N(0, 1) gradients.

    ``weights="uniform"`` draws each W from the uniform distribution with the scheme's variance
    instead of the normal one (to test the claim that uniform starts are better because they
    have no outliers). Every number is computed by nnlib's layers and autodiff.
    """
    if scheme == "zeros":
        raise ValueError("layer_statistics: a zero start has no signal to measure (all zero)")
    if weights not in ("normal", "uniform"):
        raise ValueError(f"weights must be 'normal' or 'uniform', got {weights!r}")
    rng = init.as_rng(rng)
    act = F.get_activation(activation).fn
    layers = []
    for _ in range(depth):
        layer = nn.Linear(width, width, rng=rng)
        var = weight_variance(scheme, width, width)
        if scheme == "pytorch" and weights == "uniform":
            pass  # already PyTorch's own uniform start (its bias too)
        elif weights == "uniform":
            init.uniform_(layer.W, a=math.sqrt(3 * var), rng=rng)
            init.zeros_(layer.b)
        else:
            init.normal_(layer.W, std=math.sqrt(var), rng=rng)
            if scheme != "pytorch":
                init.zeros_(layer.b)
        layers.append(layer)
    x = Tensor(rng.normal(size=(n, width)))
    outs = []
    h = x
    for layer in layers:
        h = act(layer(h))
        outs.append(h)
    h.backward(rng.normal(size=h.shape))
    a = np.array([np.sqrt(np.mean(o.data**2)) for o in outs])
    g = np.array([np.sqrt(np.mean(o.grad**2)) for o in outs])
    sat = np.array([np.mean(np.abs(o.data) > 0.99) for o in outs])
    dead = np.array([np.mean(o.data == 0) for o in outs])
    return LayerStats(scheme, activation, a, g, sat, dead, float(np.sqrt(np.mean(x.data**2))))


def measured_factor(stats: LayerStats) -> float:
    """How much the mean square of the gradient shrinks (< 1) or grows per layer on its way
    back: the geometric mean of E[g_(l-1)^2] / E[g_l^2] over all layers.

    (Measured on the gradients because the activations of PyTorch's start soon reflect its
    random biases more than the input; the gradients carry no bias term.)
    """
    ms = stats.grad_rms[::-1] ** 2
    return float(np.exp(np.mean(np.diff(np.log(ms)))))


@dataclass
class SymmetryRun:
    """A small network trained from a symmetric start (book: 7.3, "the zero start").

    ``first_grads`` maps each parameter's name to the norm of its gradient at the first step;
    ``distinct_units`` counts the hidden units that differ after training (rows of the hidden
    layer's [W | b] more than 1e-6 apart, relative to the largest entry); ``losses`` and
    ``accuracy`` are measured on the training data before and after training.
    """

    activation: str
    start: str
    first_grads: dict[str, float]
    distinct_units: int
    losses: tuple[float, float]
    accuracy: float


def distinct_rows(W: np.ndarray, rtol: float = 1e-6) -> int:
    """How many different rows W has, counting rows closer than rtol * max |row| as one."""
    scale = max(float(np.abs(W).max()), 1e-300)
    reps: list[np.ndarray] = []
    for row in W:
        if not any(np.abs(row - r).max() <= rtol * scale for r in reps):
            reps.append(row)
    return len(reps)


def symmetric_start(
    X: np.ndarray,
    y: np.ndarray,
    activation: str = "relu",
    start: str = "zeros",
    *,
    hidden: int = 16,
    steps: int = 500,
    lr: float = 1.0,
    seed: int = 0,
) -> SymmetryRun:
    """Train d -> ``hidden`` -> 2 from ``start``: "zeros" (every weight and bias 0), "constant"
    (every weight 0.5, biases 0) or "random" (PyTorch's default, from ``seed``).

    Full-batch gradient descent (plain SGD on all the points) at ``lr`` for ``steps`` steps,
    through ``nnlib.train.fit``. (Not Adam: Adam divides by the gradient's own size, so it turns
    the 1e-17 rounding residue of a gradient that "should" be 0 into full-size steps.)
    """
    if start not in ("zeros", "constant", "random"):
        raise ValueError(f"start must be 'zeros', 'constant' or 'random', got {start!r}")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    model = nn.MLP([X.shape[1], hidden, 2], activation, rng=seed)
    if start != "random":
        for layer in (model[0], model[2]):
            layer.W.data[...] = 0.0 if start == "zeros" else 0.5
            layer.b.data[...] = 0.0
    before = mean_loss(model, X, y)
    F.cross_entropy(model(X), y).backward()
    first = {name: float(np.linalg.norm(p.grad)) for name, p in model.named_parameters()}
    model.zero_grad()
    fit(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=lr),
        (X, y),
        epochs=steps,
        batch_size=len(y),
        shuffle=False,
    )
    with no_grad():
        acc = float((model(X).data.argmax(axis=1) == y).mean())
    hidden_layer = np.column_stack([model[0].W.data, model[0].b.data])
    return SymmetryRun(
        activation,
        start,
        first,
        distinct_rows(hidden_layer),
        (before, mean_loss(model, X, y)),
        acc,
    )


# ---------------------------------------------------------------------- the same place?
def logistic_optimum(
    X: np.ndarray, y: np.ndarray, lam: float, *, iterations: int = 8
) -> tuple[np.ndarray, float]:
    """The unique minimiser (w, b) of L2-regularised logistic regression, by Newton's method.

    Minimises mean_i BCE(sigmoid(w . x_i + b), y_i) + lam / 2 (|w|^2 + b^2), the loss that
    ``SGD(..., weight_decay=lam)`` descends (its decay also acts on the bias). Plain numpy, not
    nnlib: an independent answer to compare the trained weights with. The loss is strictly convex
    for lam > 0, so Newton's method converges to the one minimum (quadratically, in a few steps).
    """
    if not lam > 0:
        raise ValueError(f"lam must be positive (it makes the minimum unique), got {lam}")
    Xb = np.column_stack([np.asarray(X, dtype=np.float64), np.ones(len(y))])
    y = np.asarray(y, dtype=np.float64)
    theta = np.zeros(Xb.shape[1])
    for _ in range(iterations):
        p = F.sigmoid(Xb @ theta)
        grad = Xb.T @ (p - y) / len(y) + lam * theta
        H = (Xb.T * (p * (1 - p))) @ Xb / len(y) + lam * np.eye(Xb.shape[1])
        theta -= np.linalg.solve(H, grad)
    return theta[:-1], float(theta[-1])


@dataclass
class ConvexRun:
    """Logistic regression trained by minibatch SGD; ``distance[e]`` is the relative distance
    |theta_e - theta*| / |theta*| to the exact minimiser after e epochs (e = 0 is the start)."""

    batch_size: int
    seed: int
    distance: np.ndarray
    theta: np.ndarray


def convex_runs(
    X: np.ndarray,
    y: np.ndarray,
    batch_sizes: Sequence[int],
    seeds: Sequence[int],
    *,
    lam: float = 1e-3,
    lr: float = 1.0,
    epochs: int = 8,
) -> tuple[list[ConvexRun], np.ndarray]:
    """Train L2-regularised logistic regression, Linear(d, 1) with binary cross-entropy, by SGD
    with weight decay ``lam`` and a cosine schedule over all steps, once per batch size and seed
    (the seed sets the initial weights and the batch order). Returns the runs and the exact
    minimiser theta* = (w, b) from :func:`logistic_optimum`.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w, b = logistic_optimum(X, y, lam)
    star = np.append(w, b)
    runs = []
    for B in batch_sizes:
        for seed in seeds:
            model = nn.Linear(X.shape[1], 1, rng=seed)
            opt = optim.SGD(model.parameters(), lr=lr, weight_decay=lam)
            steps = math.ceil(len(y) / B)
            sched = optim.CosineLR(opt, T_max=epochs * steps, interval="step")
            track = _TrackDistance(model, star)
            fit(
                model,
                _bce_logit,
                opt,
                (X, y),
                epochs=epochs,
                batch_size=B,
                rng=seed,
                scheduler=sched,
                callbacks=[track],
            )
            theta = np.append(model.W.data[0], model.b.data)
            runs.append(ConvexRun(int(B), int(seed), np.array(track.distance), theta))
    return runs, star


class _TrackDistance:
    """A fit() callback: the relative distance of a Linear(d, 1) model's (w, b) to ``star``."""

    def __init__(self, model: nn.Linear, star: np.ndarray):
        self.model, self.star, self.distance = model, star, []

    def on_fit_begin(self, state: FitState) -> None:
        self.on_epoch_end(state)

    def on_epoch_end(self, state: FitState) -> None:
        theta = np.append(self.model.W.data[0], self.model.b.data)
        self.distance.append(float(np.linalg.norm(theta - self.star) / np.linalg.norm(self.star)))


def _bce_logit(z: Tensor, y: np.ndarray) -> Tensor:
    return F.binary_cross_entropy_with_logits(z[:, 0], y)


def agreement(models: Sequence[nn.Module], X: np.ndarray) -> np.ndarray:
    """(M, M): the fraction of rows of X on which models i and j predict the same class."""
    with no_grad():
        preds = [m(X).data.argmax(axis=1) for m in models]
    return np.array([[float(np.mean(p == q)) for q in preds] for p in preds])


# ---------------------------------------------------------------------- networks in the plane
@dataclass
class PlanarRun:
    """A network trained on a planar data set: the loss before each step and after the last."""

    sizes: tuple[int, ...]
    activation: str
    scheme: str
    optimizer: str
    lr: float
    seed: int
    losses: np.ndarray
    accuracy: float
    model: nn.MLP

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def n_parameters(self) -> int:
        return self.model.num_parameters()


def train_planar(
    X: np.ndarray,
    y: np.ndarray,
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    scheme: str = "pytorch",
    optimizer: str = "adam",
    lr: float = 0.01,
    steps: int = 1000,
    seed: int = 0,
) -> PlanarRun:
    """Train ``nn.MLP(sizes, activation)`` (one output logit) on all the points at every step,
    with binary cross-entropy, initialised by ``scheme`` and trained by ``optimizer`` at ``lr``
    (through ``nnlib.train.fit``, full batch)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if sizes[0] != X.shape[1] or sizes[-1] != 1:
        raise ValueError(f"sizes must start with {X.shape[1]} inputs and end with 1, got {sizes}")
    model = nn.MLP(list(sizes), activation, rng=seed)
    if scheme != "pytorch":
        initialise(model, scheme, rng=seed)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    h = fit(
        model,
        _bce_logit,
        opt,
        (X, y.astype(np.float64)),
        epochs=steps,
        batch_size=len(y),
        shuffle=False,
    )
    with no_grad():
        z = model(X).data[:, 0]
        final = F.binary_cross_entropy_with_logits(Tensor(z), y.astype(np.float64)).item()
    acc = float(((z > 0) == y).mean())
    return PlanarRun(
        tuple(sizes),
        activation,
        scheme,
        optimizer,
        lr,
        seed,
        np.array([*h.step_loss, final]),
        acc,
        model,
    )


# ---------------------------------------------------------------------- learning rates
def largest_curvature(X: np.ndarray, *, iterations: int = 50, rng: Any = 0) -> float:
    """The largest eigenvalue of the Hessian H = (2 / N) [X 1]^T [X 1] of the mean squared error
    of a linear model on X (with a bias), by power iteration (matrix-vector products only, in
    X's own precision)."""
    X = np.asarray(X)
    N = len(X)
    v = init.as_rng(rng).normal(size=X.shape[1] + 1).astype(X.dtype)
    lam = 0.0
    for _ in range(iterations):
        v /= np.linalg.norm(v)
        Xv = X @ v[:-1] + v[-1]
        Hv = 2.0 / N * np.append(X.T @ Xv, Xv.sum())
        lam = float(v.astype(np.float64) @ Hv)
        v = Hv
    return lam


def train_least_squares(
    X: np.ndarray, y: np.ndarray, lr: float, *, steps: int = 50, seed: int = 0
) -> ReviewRun:
    """Full-batch gradient descent on the mean squared error of a linear model in single
    precision (float32, as on a GPU: an overflow comes within tens of steps, not hundreds),
    through ``fit``: the loss is quadratic, so rates above 2 / (largest curvature) diverge."""
    model = nn.Linear(X.shape[1], 1, rng=seed, dtype=np.float32)
    run = ReviewRun([], [], [], [], [], model=model)
    try:
        h = fit(
            model,
            lambda z, t: F.mse_loss(z[:, 0], t),
            optim.SGD(model.parameters(), lr=lr),
            (np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32)),
            epochs=steps,
            batch_size=len(y),
            shuffle=False,
        )
    except TrainingDiverged as exc:
        run.diverged = str(exc)
        h = exc.history
    run.step_loss, run.step_lr = list(h.step_loss), list(h.step_lr)
    return run


@dataclass
class Sweep:
    """A learning-rate sweep on the reviews: ``loss[k]`` is the probe loss after training at
    ``lrs[k]`` (inf if training diverged), ``valid_acc[k]`` the validation accuracy."""

    optimizer: str
    lrs: np.ndarray
    loss: np.ndarray
    valid_acc: np.ndarray
    runs: list[ReviewRun]

    @property
    def best_lr(self) -> float:
        return float(self.lrs[int(np.argmin(self.loss))])

    @property
    def best_run(self) -> ReviewRun:
        return self.runs[int(np.argmin(self.loss))]


def lr_sweep(
    task: ReviewTask,
    optimizer: str,
    lrs: Sequence[float],
    *,
    epochs: int = 2,
    batch_size: int = 64,
    seed: int = 0,
) -> Sweep:
    """Train the review network once per learning rate (same start, same batches)."""
    runs = [
        train_reviews(task, optimizer, lr, epochs=epochs, batch_size=batch_size, seed=seed)
        for lr in lrs
    ]
    loss = np.array([np.inf if r.diverged else r.train_loss[-1] for r in runs])
    acc = np.array([np.nan if r.diverged else r.valid_acc[-1] for r in runs])
    return Sweep(optimizer, np.asarray(lrs, dtype=float), loss, acc, runs)


# ---------------------------------------------------------------------- basins of attraction
@dataclass
class Basins:
    """Where an optimiser ends from every start on a grid over a surface.

    ``reached[i, j]`` is the index of the minimum (in ``surface.minima``) that the path from
    (w1[j], w2[i]) ends within ``tol`` of, or -1 if it ends elsewhere (still moving, or thrown
    out); ``fractions[k]`` is the share of starts that end at minimum k.
    """

    surface: Surface
    w1: np.ndarray
    w2: np.ndarray
    reached: np.ndarray

    @property
    def fractions(self) -> np.ndarray:
        counts = np.bincount(
            self.reached[self.reached >= 0].ravel(), minlength=len(self.surface.minima)
        )
        return counts / self.reached.size

    @property
    def unsettled(self) -> float:
        return float(np.mean(self.reached < 0))


def basins(
    surface: str | Surface,
    optimizer: str = "sgd",
    *,
    lr: float | None = None,
    n: int = 25,
    steps: int = 400,
    tol: float = 0.3,
    **kwargs: Any,
) -> Basins:
    """Descend from an n x n grid of starts (inside the surface's box, 3% from its edges) and
    record which minimum each path reaches (``kwargs`` go to :func:`descend`)."""
    surface = get_surface(surface)
    pad = lambda lo, hi: (lo + 0.03 * (hi - lo), hi - 0.03 * (hi - lo))  # noqa: E731
    w1 = np.linspace(*pad(*surface.xlim), n)
    w2 = np.linspace(*pad(*surface.ylim), n)
    g1, g2 = np.meshgrid(w1, w2)
    starts = np.column_stack([g1.ravel(), g2.ravel()])
    d = descend(surface, optimizer, lr=lr, steps=steps, start=starts, **kwargs)
    idx = surface.nearest_minimum(d.final)
    dist = np.linalg.norm(d.final - np.asarray(surface.minima)[idx], axis=1)
    reached = np.where(dist < tol, idx, -1)
    if d.diverged_at is not None:
        reached[:] = -1
    return Basins(surface, w1, w2, reached.reshape(n, n))


# ---------------------------------------------------------------------- the training playground
SCHEDULES = ("constant", "step", "cosine", "warmup", "warmup+cosine")


def make_schedule(
    name: str, optimizer: optim.Optimizer, *, horizon: int = 2000, warmup: int = 100
) -> optim._Schedule | None:
    """A per-step learning-rate schedule by name (None for "constant").

    "step" halves the rate every horizon / 4 steps; "cosine" decays it to 0 over ``horizon``
    steps; "warmup" climbs linearly over ``warmup`` steps, then stays; "warmup+cosine" warms up
    and then decays over the rest of the horizon.
    """
    if name == "constant":
        return None
    if name == "step":
        return optim.StepLR(optimizer, step_size=max(1, horizon // 4), gamma=0.5, interval="step")
    if name == "cosine":
        return optim.CosineLR(optimizer, T_max=horizon, interval="step")
    if name == "warmup":
        return optim.LinearWarmup(optimizer, warmup)
    if name == "warmup+cosine":
        return optim.SequentialLR(
            optimizer,
            [
                optim.LinearWarmup(optimizer, warmup),
                optim.CosineLR(optimizer, T_max=max(1, horizon - warmup), interval="step"),
            ],
            milestones=[warmup],
        )
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")


class Playground:
    """The engine of the training playground (book: 7.7): a small network learning a planar data
    set in minibatches, trained a few steps at a time so that a widget can redraw in between.

    Everything is nnlib: ``nnlib.data.planar`` for the data (a training and a test set from the
    same distribution), ``nn.MLP`` for the network (2 inputs, the ``hidden`` sizes, 1 logit),
    :func:`initialise` for the start, :func:`make_optimizer` and :func:`make_schedule` for the
    training, binary cross-entropy for the loss. :meth:`train` takes minibatch steps in the
    order of ``nnlib.train.batches`` (a new random order every epoch); ``history`` records the
    training and test loss after every call. If the loss becomes NaN or infinite, training stops
    and ``diverged`` says when and why; :meth:`reset` starts again.
    """

    BOX = (-1.6, 1.6)  # the square drawn by the widget

    def __init__(
        self,
        dataset: str = "spiral",
        *,
        n: int = 200,
        noise: float = 0.05,
        hidden: Sequence[int] = (16, 16),
        activation: str = "relu",
        scheme: str = "he",
        optimizer: str = "adam",
        lr: float = 0.03,
        momentum: float = 0.9,
        schedule: str = "constant",
        horizon: int = 2000,
        batch_size: int = 20,
        seed: int = 0,
        grid: int = 64,
    ) -> None:
        from ..data import PLANAR

        if dataset not in PLANAR:
            raise ValueError(f"unknown data set {dataset!r}; choose one of {', '.join(PLANAR)}")
        if activation not in F.ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {', '.join(F.ACTIVATIONS)}"
            )
        if scheme not in INITS:
            raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(INITS)}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
        hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden layer sizes must be positive, got {hidden}")
        if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= n):
            raise ValueError(f"batch_size must be an integer in [1, {n}], got {batch_size!r}")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.dataset, self.n, self.noise = dataset, int(n), float(noise)
        self.hidden, self.activation, self.scheme = hidden, activation, scheme
        self.optimizer_name, self.base_lr, self.momentum = optimizer, float(lr), float(momentum)
        self.schedule_name, self.horizon = schedule, int(horizon)
        self.batch_size, self.seed = int(batch_size), int(seed)
        from ..data import planar

        self.X, self.y = planar(dataset, n, noise=noise, rng=seed)
        self.X_test, self.y_test = planar(dataset, n, noise=noise, rng=seed + 10_000)
        g = np.linspace(*self.BOX, grid)
        g1, g2 = np.meshgrid(g, g)
        self.grid_points = np.column_stack([g1.ravel(), g2.ravel()])
        self.grid_shape = g1.shape
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> Playground:
        """A fresh network and optimiser (the same start for the same seed); history cleared."""
        self.model = nn.MLP([2, *self.hidden, 1], self.activation, rng=self.seed)
        initialise(self.model, self.scheme, rng=self.seed)
        self.optimizer = make_optimizer(
            self.optimizer_name, self.model.parameters(), self.base_lr, momentum=self.momentum
        )
        self.scheduler = make_schedule(self.schedule_name, self.optimizer, horizon=self.horizon)
        self._rng = np.random.default_rng(self.seed)
        self._batches: Any = iter(())
        self.step = 0
        self.diverged: str | None = None
        self.history: dict[str, list[float]] = {"step": [], "train_loss": [], "test_loss": []}
        self._record()
        return self

    @property
    def epoch(self) -> float:
        """Epochs so far (steps * batch size / number of training points)."""
        return self.step * self.batch_size / self.n

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return float(self.optimizer.lr)

    @property
    def unstable(self) -> bool:
        """True when the training loss has climbed to more than twice where it started: not a
        NaN yet (cross-entropy on logits stays finite), but the rate is almost surely too high."""
        losses = self.history["train_loss"]
        return len(losses) > 1 and losses[-1] > 2 * losses[0]

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            z = self.model(X)
            return F.binary_cross_entropy_with_logits(z[:, 0], y.astype(np.float64)).item()

    def _record(self) -> None:
        self.history["step"].append(self.step)
        self.history["train_loss"].append(self._loss(self.X, self.y))
        self.history["test_loss"].append(self._loss(self.X_test, self.y_test))

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        from ..train import batches

        try:
            return next(self._batches)
        except StopIteration:
            self._batches = batches(self.X, self.y, batch_size=self.batch_size, rng=self._rng)
            return next(self._batches)

    # ------------------------------------------------------------------ training
    def train(self, steps: int = 10) -> Playground:
        """Take ``steps`` minibatch steps (fewer if training diverges), then record the losses."""
        from ..tensor import NonFiniteError

        if self.diverged:
            return self
        for _ in range(int(steps)):
            Xb, yb = self._next_batch()
            with np.errstate(over="ignore", invalid="ignore"):
                loss = F.binary_cross_entropy_with_logits(
                    self.model(Xb)[:, 0], yb.astype(np.float64)
                )
                self.optimizer.zero_grad()
                try:
                    loss.backward()
                except NonFiniteError:
                    self.diverged = (
                        f"Training diverged at step {self.step + 1}: the loss became "
                        f"{loss.item()} (learning rate {self.lr:g}). Lower the learning rate, "
                        f"then press reset."
                    )
                    break
                self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.step += 1
            if not all(np.all(np.isfinite(p.data)) for p in self.model.parameters()):
                self.diverged = (
                    f"Training diverged at step {self.step}: the weights overflowed to inf or "
                    f"NaN (learning rate {self.lr:g}). Lower the learning rate, then press reset."
                )
                break
        self._record()
        return self

    # ------------------------------------------------------------------ what the widget draws
    def probabilities(self) -> np.ndarray:
        """ŷ = σ(z) of the network over the drawing grid (grid_shape), without a graph."""
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            z = self.model(self.grid_points).data[:, 0]
        return F.sigmoid(z).reshape(self.grid_shape)

    def accuracy(self, test: bool = False) -> float:
        """The fraction of training (or test) points classified correctly."""
        X, y = (self.X_test, self.y_test) if test else (self.X, self.y)
        with no_grad():
            z = self.model(X).data[:, 0]
        return float(((z > 0) == y).mean())


def probability_grid(
    model: nn.Module, box: tuple[float, float] = Playground.BOX, n: int = 100
) -> np.ndarray:
    """ŷ = σ(z) of a one-logit planar network over an n x n grid covering box x box (row 0 at the
    bottom, as the figures draw it), without building a graph."""
    g = np.linspace(*box, n)
    g1, g2 = np.meshgrid(g, g)
    with no_grad():
        z = model(np.column_stack([g1.ravel(), g2.ravel()])).data[:, 0]
    return F.sigmoid(z).reshape(n, n)


def dead_units(model: nn.Sequential, X: np.ndarray) -> int:
    """How many units of the first hidden layer output 0 for every row of X (dead ReLUs)."""
    with no_grad():
        h = model[1](model[0](X)).data
    return int((h.max(axis=0) <= 0).sum())
