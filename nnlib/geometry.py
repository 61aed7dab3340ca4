"""Lines and grids in the plane: the geometry behind the book's 2-D pictures of units.

A unit with two inputs, z = w1 x1 + w2 x2 + b, switches where z = 0: a straight line. Chapter 2
draws a perceptron's line; chapter 3 draws one line per hidden unit of a network (each hidden
unit is a logistic-regression-like classifier with its own line). Both shade the classes a
model predicts over a grid of inputs.

- :func:`boundary_segment`: the piece of the line w . x + b = 0 inside a box (any direction);
- :func:`grid_points`: the points of an n x n grid, in the row order an image wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["boundary_segment", "grid_points"]


def boundary_segment(
    w: Any, b: float, xlim: Sequence[float], ylim: Sequence[float]
) -> np.ndarray | None:
    """The part of the line w1 x1 + w2 x2 + b = 0 inside the box xlim x ylim.

    Returns a (2, 2) array [[x1_a, x2_a], [x1_b, x2_b]] (the two ends), or None when the
    line misses the box or there is no line at all (w = 0: every point is on one side).
    Works for vertical (w2 = 0) and horizontal (w1 = 0) lines.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (2,):
        raise ValueError(f"w must have shape (2,) for a line in the plane, got {w.shape}")
    w1, w2 = w
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
