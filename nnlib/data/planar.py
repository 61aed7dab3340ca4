"""Two-class data sets in the plane, for pictures of decision boundaries (book: chapter 7).

The shapes of TensorFlow Playground (Smilkov & Carter, 2016), generated, not downloaded:

=========  ==========================================================================
name       what (class 1 / class 0)
=========  ==========================================================================
circle     a disc of radius 0.5 / a ring between radii 0.7 and 1.0 around it
xor        uniform points in [-1, 1]^2: class 1 where the coordinates' signs differ
gauss      two round Gaussian blobs, centred (0.5, 0.5) / (-0.5, -0.5), std 0.3
spiral     two interleaved spirals, 1.75 turns each, radius growing from 0 to 1
moons      two interleaved half circles of radius 0.75 (scikit-learn's "moons")
=========  ==========================================================================

``planar(name, n, noise=..., rng=...)`` returns ``(X, y)``: X of shape (n, 2), float64, every
coordinate roughly in [-1, 1] (inputs on that scale train well, no standardising needed), and
y of shape (n,), int64 labels 0/1, half of each (class 0 gets the extra point when n is odd), in
a random order. ``noise`` is the standard deviation of Gaussian jitter added to each coordinate
(for ``xor`` the points are also kept 0.05 away from the axes before the jitter, as in the
Playground, so that without noise the classes do not touch).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..init import as_rng

__all__ = ["PLANAR", "planar"]


def _circle(n: int, label: int, rng: np.random.Generator) -> np.ndarray:
    r = rng.uniform(0.0, 0.5, n) if label == 1 else rng.uniform(0.7, 1.0, n)
    t = rng.uniform(0.0, 2 * np.pi, n)
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def _xor(n: int, label: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.uniform(0.05, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 1))
    if label == 1:  # signs differ: flip the second coordinate
        a[:, 1] *= -1
    return a


def _gauss(n: int, label: int, rng: np.random.Generator) -> np.ndarray:
    centre = 0.5 if label == 1 else -0.5
    return rng.normal(centre, 0.3, (n, 2))


def _spiral(n: int, label: int, rng: np.random.Generator) -> np.ndarray:
    s = np.arange(n) / max(n, 1)  # 0 <= s < 1 along the arm
    t = 1.75 * 2 * np.pi * s + (0.0 if label == 1 else np.pi)
    return np.column_stack([s * np.sin(t), s * np.cos(t)])


def _moons(n: int, label: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0.0, np.pi, n)
    if label == 1:
        xy = np.column_stack([np.cos(t), np.sin(t)])
    else:
        xy = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    return 0.75 * (xy - [0.5, 0.25])


PLANAR: dict[str, Callable[[int, int, np.random.Generator], np.ndarray]] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
}


def planar(
    name: str, n: int = 200, *, noise: float = 0.0, rng: np.random.Generator | int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: ``n`` points of the two-class shape ``name`` (see the module docstring)."""
    if name not in PLANAR:
        raise ValueError(f"unknown planar data set {name!r}; choose one of {', '.join(PLANAR)}")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ValueError(f"planar: n must be an integer >= 2 (one point per class), got {n!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"planar: noise must be a standard deviation >= 0, got {noise!r}")
    rng = as_rng(rng)
    n1 = int(n) // 2
    X = np.concatenate([PLANAR[name](n - n1, 0, rng), PLANAR[name](n1, 1, rng)])
    y = np.concatenate([np.zeros(n - n1, np.int64), np.ones(n1, np.int64)])
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    order = rng.permutation(n)
    return X[order], y[order]
