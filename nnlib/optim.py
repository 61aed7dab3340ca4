"""Optimisers and learning-rate schedules (book: chapter 7, Optimisation).

The update rules, for a parameter w with gradient g = dL/dw and learning rate lr:

- SGD:                 w <- w - lr * g
- SGD with momentum:   v <- mu * v + g;  w <- w - lr * v          (PyTorch's form)
- Adam (Kingma & Ba):  m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2
                       w <- w - lr * m_hat / (sqrt(s_hat) + eps),
                       m_hat = m / (1 - b1^t),  s_hat = s / (1 - b2^t)

Updates change ``p.data`` in place, outside the graph.

Schedules set ``optimizer.lr`` from a count t of their ``step()`` calls (lr_at(t), a pure
function, so a schedule can be plotted before it is used):

- StepLR:        base_lr * gamma^floor(t / step_size)
- ExponentialLR: base_lr * gamma^t
- CosineLR:      eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2, flat after T_max
- LinearWarmup:  base_lr * min(1, (t + 1) / warmup)
- LambdaLR:      base_lr * lr_lambda(t)
- SequentialLR:  one schedule after another (e.g. warm-up, then cosine)

Whether t counts epochs or optimiser steps is the schedule's ``interval`` ("epoch" by default,
"step" for :class:`LinearWarmup`); :func:`nnlib.train.fit` steps each schedule accordingly.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .functional import used_rows
from .tensor import Tensor

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "StepLR",
    "ExponentialLR",
    "CosineLR",
    "LambdaLR",
    "LinearWarmup",
    "SequentialLR",
]


class Optimizer:
    """Holds the parameters and the learning rate; ``zero_grad()`` and ``step()``."""

    def __init__(self, params: Iterable[Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    Arguments after ``lr`` are keyword-only, so ``SGD(params, 0.1, 0.9)`` cannot silently mean
    something else than in PyTorch (whose third and fourth positions are momentum and dampening).
    ``weight_decay`` adds ``weight_decay * w`` to each gradient (L2 regularisation).
    """

    def __init__(
        self, params, lr: float, *, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay}")
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(g, dtype=p.data.dtype)
                else:
                    v *= self.momentum
                    v += g
                g = v
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): per-parameter step sizes from running averages of g and g^2.

    Arguments after ``lr`` are keyword-only. ``weight_decay`` adds ``weight_decay * w`` to the
    gradient, as PyTorch's Adam does (not AdamW's decoupled decay). The update is done in place
    with one scratch array per parameter: the same arithmetic as the formulas above, without
    allocating five temporaries per step for large matrices such as an embedding table.

    ``lazy_rows``: parameters (usually embedding tables E) updated *lazily*, row by row, as
    PyTorch's ``SparseAdam`` and TensorFlow's ``LazyAdam`` do. A minibatch uses a few hundred of
    the |V| rows of E; the others have a zero gradient. Plain Adam still moves those rows (their
    running average m decays but is not zero) and pays for all |V| rows every step. A lazy
    parameter updates m, s and w only in the rows the step's gradient touched
    (:func:`nnlib.functional.used_rows`: the words of the minibatch, for an embedding's gradient;
    otherwise the rows that are not all zero); the other rows stay exactly as they are. The bias
    corrections use the global step count t, as in PyTorch. Differs from PyTorch's SparseAdam in
    one detail: eps is added to sqrt(s_hat), as in dense Adam, where SparseAdam adds it to
    sqrt(s) before the bias correction.

    This is a different optimiser, not an approximation: the two agree on the first step, and on
    every step where every row has a non-zero gradient, but not in general (an unused row keeps
    moving under plain Adam). ``weight_decay`` cannot be combined with lazy rows (decaying only
    the rows in use is not L2 regularisation), as with PyTorch's SparseAdam.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        lazy_rows: Iterable[Tensor] = (),
    ) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        self.b1, self.b2 = b1, b2
        self.eps, self.weight_decay = eps, weight_decay
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]
        self._scratch = [np.empty_like(p.data) for p in self.params]
        lazy_ids = {id(p) for p in lazy_rows}
        known = {id(p) for p in self.params}
        if lazy_ids - known:
            raise ValueError("Adam: every tensor in lazy_rows must also be in params")
        if lazy_ids and weight_decay:
            raise ValueError("Adam: weight_decay cannot be combined with lazy_rows")
        self.lazy = [id(p) in lazy_ids for p in self.params]
        for p, lazy in zip(self.params, self.lazy):
            if lazy and p.ndim < 2:
                raise ValueError(f"Adam: lazy_rows needs tables with rows (2+ dims), got {p.shape}")

    def step(self) -> None:
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for p, m, s, tmp, lazy in zip(self.params, self.m, self.s, self._scratch, self.lazy):
            if p.grad is None:
                continue
            if lazy:
                self._lazy_step(p, m, s, c1, c2)
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m *= self.b1  # m <- b1 m + (1 - b1) g
            np.multiply(g, 1 - self.b1, out=tmp)
            m += tmp
            s *= self.b2  # s <- b2 s + (1 - b2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - self.b2
            s += tmp
            np.divide(s, c2, out=tmp)  # w <- w - lr m_hat / (sqrt(s_hat) + eps)
            np.sqrt(tmp, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= self.lr / c1
            p.data -= tmp

    def _lazy_step(self, p: Tensor, m: np.ndarray, s: np.ndarray, c1: float, c2: float) -> None:
        """Adam's update on the rows of p that this step's gradient touched (see the class)."""
        rows = used_rows(p.grad)  # the rows this minibatch used (known without a scan of E)
        # take() is numpy's fast row gather (several times faster than p.grad[rows]); each
        # gathered block is a copy that the arithmetic below works in, in place.
        g = p.grad.take(rows, axis=0)
        m_r = m.take(rows, axis=0)
        m_r *= self.b1  # m <- b1 m + (1 - b1) g, on these rows only
        m_r += (1 - self.b1) * g
        s_r = s.take(rows, axis=0)
        s_r *= self.b2  # s <- b2 s + (1 - b2) g^2
        g *= g
        g *= 1 - self.b2
        s_r += g
        m[rows] = m_r
        s[rows] = s_r
        np.divide(s_r, c2, out=g)  # w <- w - lr m_hat / (sqrt(s_hat) + eps)
        np.sqrt(g, out=g)
        g += self.eps
        np.divide(m_r, g, out=g)
        g *= self.lr / c1
        w_r = p.data.take(rows, axis=0)
        w_r -= g
        p.data[rows] = w_r


class _Schedule:
    """A learning-rate schedule: sets ``optimizer.lr = lr_at(t)``, t = the calls to ``step()``.

    **When to step.** t counts whatever you call ``step()`` after: an epoch or a training step.
    ``interval`` says which one is meant, and :func:`nnlib.train.fit` follows it: with
    ``interval="epoch"`` (the default, as in PyTorch's examples) ``fit`` calls ``step()`` after
    every epoch; with ``interval="step"`` after every optimiser step (warm-up is usually counted
    in steps). In a loop of your own, call ``scheduler.step()`` right after ``optimizer.step()``
    or at the end of each epoch, to match.

    **Where the rates come from.** ``base_lr`` is the optimiser's rate when its first schedule was
    made (kept as ``optimizer.initial_lr``, as PyTorch keeps ``initial_lr``), so several
    schedules for one optimiser, chained with :class:`SequentialLR`, share the same base. A new
    schedule sets ``optimizer.lr = lr_at(0)`` at once, so the first step already uses it (this
    matters for warm-up, whose rate starts small).
    """

    def __init__(self, optimizer: Optimizer, *, interval: str = "epoch"):
        if interval not in ("epoch", "step"):
            raise ValueError(
                f"{type(self).__name__}: interval must be 'epoch' or 'step', got {interval!r}"
            )
        self.optimizer = optimizer
        if getattr(optimizer, "initial_lr", None) is None:
            optimizer.initial_lr = optimizer.lr
        self.base_lr = optimizer.initial_lr
        self.interval = interval
        self.t = 0

    def _start(self) -> None:
        """Called at the end of each subclass's __init__: the first step uses lr_at(0)."""
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        """The learning rate after ``t`` calls to ``step()``."""
        raise NotImplementedError

    def step(self) -> float:
        """Advance t by one and set the optimiser's rate to ``lr_at(t)``; returns the new rate."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)
        return self.optimizer.lr

    @property
    def epoch(self) -> int:
        """The count t (named for the usual case, one ``step()`` per epoch)."""
        return self.t

    def rates(self, n: int) -> list[float]:
        """The first ``n`` rates this schedule gives, ``lr_at(0) .. lr_at(n - 1)``, without
        stepping it (for plots and tests)."""
        return [self.lr_at(t) for t in range(n)]


def _positive_int(value: int, what: str, owner: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {what} must be a positive integer, got {value!r}")
    return int(value)


class StepLR(_Schedule):
    """lr = base_lr * gamma^floor(t / step_size): divide by 1/gamma every ``step_size`` steps."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, *, interval: str = "epoch"
    ):
        super().__init__(optimizer, interval=interval)
        self.step_size = _positive_int(step_size, "step_size", "StepLR")
        if not gamma > 0:
            raise ValueError(f"StepLR: gamma must be positive, got {gamma}")
        self.gamma = gamma
        self._start()

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(_Schedule):
    """lr = base_lr * gamma^t."""

    def __init__(self, optimizer: Optimizer, gamma: float, *, interval: str = "epoch"):
        super().__init__(optimizer, interval=interval)
        if not gamma > 0:
            raise ValueError(f"ExponentialLR: gamma must be positive, got {gamma}")
        self.gamma = gamma
        self._start()

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t


class CosineLR(_Schedule):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi * t / T_max)) / 2, flat after T_max.

    Loshchilov & Hutter's cosine annealing (SGDR, 2017) without restarts; PyTorch's
    ``CosineAnnealingLR`` (which, unlike this one, rises again after T_max).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, *, interval: str = "epoch"
    ):
        super().__init__(optimizer, interval=interval)
        self.T_max = _positive_int(T_max, "T_max", "CosineLR")
        if eta_min < 0:
            raise ValueError(f"CosineLR: eta_min must be >= 0, got {eta_min}")
        self.eta_min = eta_min
        self._start()

    def lr_at(self, t: int) -> float:
        t = min(t, self.T_max)
        return (
            self.eta_min
            + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
        )


class LambdaLR(_Schedule):
    """lr = base_lr * lr_lambda(t), for any schedule you can write as a function (PyTorch's
    ``LambdaLR``). ``lr_lambda`` must return a finite number >= 0."""

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float], *, interval: str = "epoch"
    ):
        super().__init__(optimizer, interval=interval)
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of t, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        self._start()

    def lr_at(self, t: int) -> float:
        factor = float(self.lr_lambda(t))
        if not (math.isfinite(factor) and factor >= 0):
            raise ValueError(f"LambdaLR: lr_lambda({t}) = {factor}; it must be finite and >= 0")
        return self.base_lr * factor


class LinearWarmup(_Schedule):
    """Warm-up: lr = base_lr * min(1, (t + 1) / warmup), then constant at base_lr.

    The first step uses base_lr / warmup, the rate grows by the same amount each step and reaches
    base_lr at step ``warmup`` (t = warmup - 1); no step is wasted at rate 0. Usually counted in
    optimiser steps (``interval="step"``, the default here) and followed by a decay with
    :class:`SequentialLR`. (Goyal et al. 2017 used a linear warm-up over the first 5 epochs to
    train with large batches; for Adam, see Liu et al. 2020, "On the variance of the adaptive
    learning rate and beyond".) PyTorch: ``LinearLR(start_factor=1/warmup, total_iters=warmup-1)``.
    """

    def __init__(self, optimizer: Optimizer, warmup: int, *, interval: str = "step"):
        super().__init__(optimizer, interval=interval)
        self.warmup = _positive_int(warmup, "warmup", "LinearWarmup")
        self._start()

    def lr_at(self, t: int) -> float:
        return self.base_lr * min(1.0, (t + 1) / self.warmup)


class SequentialLR(_Schedule):
    """One schedule after another: ``schedules[i]`` runs from ``milestones[i - 1]`` on, with its own
    count starting again at 0 (PyTorch's ``SequentialLR``).

    Warm-up for 100 steps, then cosine decay over the next 900::

        SequentialLR(opt, [LinearWarmup(opt, 100), CosineLR(opt, 900, interval="step")], [100])

    All schedules must belong to the same optimiser and count the same thing (``interval``).
    """

    def __init__(
        self, optimizer: Optimizer, schedules: Sequence[_Schedule], milestones: Sequence[int]
    ):
        schedules, milestones = list(schedules), [int(m) for m in milestones]
        if not schedules:
            raise ValueError("SequentialLR: needs at least one schedule")
        if len(milestones) != len(schedules) - 1:
            raise ValueError(
                f"SequentialLR: {len(schedules)} schedules need {len(schedules) - 1} milestones "
                f"(the steps where the next one takes over), got {len(milestones)}"
            )
        if any(b <= a for a, b in zip([0, *milestones], milestones)):
            raise ValueError(
                f"SequentialLR: milestones must be positive and increasing, got {milestones}"
            )
        for s in schedules:
            if not isinstance(s, _Schedule) or s.optimizer is not optimizer:
                raise ValueError("SequentialLR: every schedule must be made for this optimizer")
        intervals = {s.interval for s in schedules}
        if len(intervals) != 1:
            raise ValueError(
                "SequentialLR: the schedules count different things (interval "
                f"{sorted(intervals)}); give them all interval='step' or all 'epoch'"
            )
        super().__init__(optimizer, interval=intervals.pop())
        self.schedules, self.milestones = schedules, milestones
        self._start()

    def lr_at(self, t: int) -> float:
        i = bisect.bisect_right(self.milestones, t)
        begin = self.milestones[i - 1] if i else 0
        return self.schedules[i].lr_at(t - begin)
