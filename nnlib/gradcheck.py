"""Check gradients against centred finite differences (book: Backprop, "checking gradients").

    df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)

The error of this estimate shrinks like h^2, against h for the one-sided difference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .tensor import Tensor

__all__ = ["numerical_grad", "gradcheck"]


def numerical_grad(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` of the array ``x`` (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def gradcheck(
    f: Callable[..., Tensor], inputs: Sequence[np.ndarray], h: float = 1e-6, seed: int = 0
) -> list[float]:
    """Largest relative error between nnlib's gradient and finite differences, one per input.

    ``f`` takes Tensors (one per input) and returns a Tensor. A non-scalar output is reduced to
    the scalar sum(out * R) with a fixed random R, which checks every output's gradient at once.
    The error of input k is max|analytic - numeric| / max(max|analytic|, max|numeric|, 1e-3):
    relative to that input's largest gradient, so entries that are nearly 0 do not blow it up.
    The floor of 1e-3 makes it an absolute error where every gradient is tiny: there the
    finite-difference noise (~1e-10) would otherwise look like a large relative error.
    """
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    out_shape = f(*[Tensor(x) for x in xs]).shape
    R = np.random.default_rng(seed).normal(size=out_shape)

    def scalar(*arrays: np.ndarray) -> Tensor:
        return (f(*arrays) * R).sum()

    tensors = [Tensor(x, requires_grad=True) for x in xs]
    scalar(*tensors).backward()
    errors = []
    for k, t in enumerate(tensors):

        def f_k(x: np.ndarray, k: int = k) -> float:
            args = [Tensor(x if j == k else xs[j]) for j in range(len(xs))]
            return scalar(*args).item()

        numeric = numerical_grad(f_k, xs[k], h)
        analytic = np.zeros_like(xs[k]) if t.grad is None else t.grad
        scale = max(np.abs(analytic).max(initial=0), np.abs(numeric).max(initial=0), 1e-3)
        errors.append(float(np.abs(analytic - numeric).max(initial=0) / scale))
    return errors
