"""nnlib.geometry: lines of units in the plane and grids of inputs (used by chapters 2 and 3)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.geometry import boundary_segment, grid_points

weights = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200)
@given(w1=weights, w2=weights, b=weights)
def test_boundary_segment_ends_are_on_the_line_and_in_the_box(w1, w2, b):
    lim = (-0.5, 1.5)
    seg = boundary_segment([w1, w2], b, lim, lim)
    if seg is None:
        # Then the line misses the box: every corner is on the same side (or there is no line).
        corners = np.array(list(itertools.product(lim, lim)))
        sides = np.sign(corners @ np.array([w1, w2]) + b)
        assert (sides >= 0).all() or (sides <= 0).all()
        return
    assert seg.shape == (2, 2)
    np.testing.assert_allclose(seg @ np.array([w1, w2]) + b, 0, atol=1e-9)
    assert (seg >= lim[0] - 1e-12).all() and (seg <= lim[1] + 1e-12).all()


def test_boundary_segment_vertical_horizontal_and_none():
    np.testing.assert_allclose(boundary_segment([1, 0], -0.5, (0, 1), (0, 1)), [[0.5, 0], [0.5, 1]])
    np.testing.assert_allclose(boundary_segment([0, 2], -1, (0, 1), (0, 1)), [[0, 0.5], [1, 0.5]])
    assert boundary_segment([0, 0], 1, (0, 1), (0, 1)) is None
    assert boundary_segment([1, 1], 10, (0, 1), (0, 1)) is None


def test_grid_points_are_row_major_from_the_bottom():
    g = grid_points((0, 2), (10, 11), 3)
    assert g.shape == (9, 2)
    np.testing.assert_array_equal(g[:3], [[0, 10], [1, 10], [2, 10]])  # row 0: the bottom edge
    np.testing.assert_array_equal(g[-1], [2, 11])
    with pytest.raises(ValueError, match="n >= 2"):
        grid_points((0, 1), (0, 1), 1)
    with pytest.raises(ValueError, match="low < high"):
        grid_points((1, 0), (0, 1), 5)


def test_boundary_segment_needs_a_2d_weight_vector():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        boundary_segment([1.0, 2.0, 3.0], 0.0, (0, 1), (0, 1))
