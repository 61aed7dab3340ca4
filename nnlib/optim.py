"""Optimisers and learning-rate schedules (book: Backprop, "Training and optimization").

The update rules, for a parameter w with gradient g = dL/dw:

- SGD:                 w <- w - lr * g
- SGD with momentum:   v <- mu * v + g;  w <- w - lr * v          (PyTorch's form)
- Adam (Kingma & Ba):  m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2
                       w <- w - lr * m_hat / (sqrt(s_hat) + eps),
                       m_hat = m / (1 - b1^t),  s_hat = s / (1 - b2^t)

Updates change ``p.data`` in place, outside the graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .functional import used_rows
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "StepLR", "ExponentialLR", "CosineLR"]


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
    """Sets ``optimizer.lr`` from the epoch count: call ``step()`` once per epoch."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(_Schedule):
    """lr = base_lr * gamma^floor(epoch / step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(_Schedule):
    """lr = base_lr * gamma^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineLR(_Schedule):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi * epoch / T_max)) / 2, flat after T_max."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        t = min(epoch, self.T_max)
        return (
            self.eta_min
            + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
        )
