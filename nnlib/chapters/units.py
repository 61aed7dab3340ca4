"""One unit: its output, its gradients, and one step of learning.

Book: chapter 1, "Neural units". The chapter's equations, in the names used here:

- the unit (1.1):             z = w . x + b,  y = f(z)
- the gradient (1.4, 1.7):    dy/dw_i = f'(z) x_i,  dy/db = f'(z)
- learning (the box before 1.4): the loss L(y_hat, y), its gradient dL/dw, and the update
  w <- w - eta dL/dw with learning rate eta; for a sigmoid unit with the cross-entropy loss
  L = -[y log y_hat + (1 - y) log(1 - y_hat)], dL/dw = (y_hat - y) x.

Every number comes from nnlib: the forward pass from ``nnlib.functional``, the gradients from
``Tensor.backward()`` (automatic differentiation), never from the formulas above, so the chapter
can check the formulas against them. The chapter's widgets (``nnlib.widgets.units``) only call
this module and ``nnlib.functional``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor

__all__ = ["UnitState", "unit_state", "GradientStep", "gradient_step", "sharpened"]


def _vectors(w: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if w.ndim != 1 or w.shape != x.shape or w.size == 0:
        raise ValueError(
            f"w and x must be 1-d with the same, non-zero length; got shapes {w.shape} and "
            f"{x.shape}"
        )
    return w, x


@dataclass
class UnitState:
    """A unit's forward values and gradients at one setting of w, b and x.

    ``z`` = w . x + b, ``y`` = f(z), ``slope`` = f'(z) (from the activation's ``prime``),
    ``dy_dw`` and ``dy_db`` from automatic differentiation (``y.backward()``).
    """

    activation: str
    w: np.ndarray
    b: float
    x: np.ndarray
    z: float
    y: float
    slope: float
    dy_dw: np.ndarray
    dy_db: float


def unit_state(w: Any, b: float, x: Any, activation: str | F.Activation = "sigmoid") -> UnitState:
    """z, y = f(z), f'(z) and the gradients dy/dw, dy/db of one unit (book: Units, 1.1 and 1.7).

    The gradients come from nnlib's autodiff: w and b are Tensors with ``requires_grad=True``,
    y is computed from them with ``nnlib.functional`` and ``y.backward()`` fills their ``.grad``.
    The book checks them against dy/dw_i = f'(z) x_i. ``activation`` is a name in nnlib's
    registry (``F.ACTIVATIONS``) or an :class:`nnlib.functional.Activation` (e.g. leaky ReLU
    with another slope).
    """
    act = activation if isinstance(activation, F.Activation) else F.get_activation(activation)
    w, x = _vectors(w, x)
    w_t = Tensor(w, requires_grad=True)
    b_t = Tensor(float(b), requires_grad=True)
    z = w_t @ Tensor(x) + b_t
    y = act.fn(z)
    y.backward()
    return UnitState(
        activation=act.name,
        w=w,
        b=float(b),
        x=x,
        z=float(z.item()),
        y=float(y.item()),
        slope=float(act.prime(z.item())),
        dy_dw=np.array(w_t.grad, dtype=np.float64),
        dy_db=float(b_t.grad),
    )


@dataclass
class GradientStep:
    """One step of gradient descent on one example (book: Units, "How a unit learns").

    ``y_hat`` and ``loss`` before the step, the gradients ``dL_dw`` and ``dL_db`` (autodiff), the
    new parameters ``w_new`` = w - lr dL/dw and ``b_new`` = b - lr dL/db, and ``y_hat_new``,
    ``loss_new`` after it.
    """

    lr: float
    y: float
    y_hat: float
    loss: float
    dL_dw: np.ndarray
    dL_db: float
    w_new: np.ndarray
    b_new: float
    y_hat_new: float
    loss_new: float


def _cross_entropy(w: Tensor, b: Tensor, x: np.ndarray, y: float) -> tuple[Tensor, Tensor]:
    """(y_hat, L): a sigmoid unit's output and its binary cross-entropy loss for target y."""
    y_hat = F.sigmoid((w @ Tensor(x) + b).reshape(1))
    return y_hat, F.binary_cross_entropy(y_hat, np.array([y]))


def gradient_step(w: Any, b: float, x: Any, y: float, lr: float) -> GradientStep:
    """One gradient-descent step for a sigmoid unit with the cross-entropy loss on (x, y).

    L(y_hat, y) = -[y log y_hat + (1 - y) log(1 - y_hat)] with y_hat = sigma(w . x + b); the
    gradient comes from ``L.backward()``; the update is w <- w - lr dL/dw, b <- b - lr dL/db.
    """
    w, x = _vectors(w, x)
    if y not in (0, 1, 0.0, 1.0):
        raise ValueError(f"the target y must be 0 or 1, got {y!r}")
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr!r}")
    w_t = Tensor(w, requires_grad=True)
    b_t = Tensor(float(b), requires_grad=True)
    y_hat, loss = _cross_entropy(w_t, b_t, x, float(y))
    loss.backward()
    w_new = w - lr * w_t.grad
    b_new = float(b) - lr * float(b_t.grad)
    y_hat_new, loss_new = _cross_entropy(Tensor(w_new), Tensor(b_new), x, float(y))
    return GradientStep(
        lr=float(lr),
        y=float(y),
        y_hat=float(y_hat.item()),
        loss=float(loss.item()),
        dL_dw=np.array(w_t.grad, dtype=np.float64),
        dL_db=float(b_t.grad),
        w_new=w_new,
        b_new=b_new,
        y_hat_new=float(y_hat_new.item()),
        loss_new=float(loss_new.item()),
    )


def sharpened(z: Any, c: Any) -> np.ndarray:
    """sigma(c z) for every sharpness c (rows) and every z (columns) (book: XOR, 2.1).

    As c grows, sigma(c z) tends to the perceptron's step: 1 for z > 0, 0 for z < 0 (and 1/2 at
    z = 0 for every c). ``c`` must be positive.
    """
    c = np.atleast_1d(np.asarray(c, dtype=np.float64))
    if c.ndim != 1 or np.any(~(c > 0)):
        raise ValueError(f"sharpness c must be positive numbers, got {c}")
    z = np.asarray(z, dtype=np.float64)
    return np.asarray(F.sigmoid(c.reshape((-1,) + (1,) * z.ndim) * z))
