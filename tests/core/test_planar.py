"""nnlib.data.planar: the five two-class shapes, each checked against its geometric definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.data import PLANAR, planar


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(PLANAR)), n=st.integers(2, 301), seed=st.integers(0, 10**6))
def test_shapes_balance_and_seeding(name, n, seed):
    X, y = planar(name, n, noise=0.1, rng=seed)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert y.sum() == n // 2  # half of each class; class 0 gets the odd one
    X2, y2 = planar(name, n, noise=0.1, rng=seed)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_circle_radii():
    X, y = planar("circle", 1000, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() <= 0.5
    assert r[y == 0].min() >= 0.7 and r[y == 0].max() <= 1.0


def test_xor_signs_and_margin():
    X, y = planar("xor", 1000, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).min() >= 0.05 and np.abs(X).max() <= 1.0


def test_gauss_centres_and_spread():
    X, y = planar("gauss", 20000, rng=0)
    se = 0.3 / np.sqrt(10000)  # standard error of each mean
    np.testing.assert_allclose(X[y == 1].mean(0), [0.5, 0.5], atol=5 * se)
    np.testing.assert_allclose(X[y == 0].mean(0), [-0.5, -0.5], atol=5 * se)
    np.testing.assert_allclose(X[y == 1].std(0), [0.3, 0.3], rtol=0.03)


def test_spiral_arms_are_point_reflections_and_wind_outwards():
    X, y = planar("spiral", 400, rng=0)
    arm1, arm0 = X[y == 1], X[y == 0]
    # the class-0 arm is the class-1 arm turned by half a turn: (x, y) -> (-x, -y)
    key = lambda a: a[np.lexsort(np.round(a, 9).T)]  # noqa: E731
    np.testing.assert_allclose(key(-arm0), key(arm1), atol=1e-12)
    r = np.sort(np.hypot(*arm1.T))
    np.testing.assert_allclose(r, np.arange(200) / 200, atol=1e-12)  # radius s = 0, 1/200, ...


def test_moons_lie_on_their_half_circles():
    X, y = planar("moons", 300, rng=0)
    top = X[y == 1] / 0.75 + [0.5, 0.25]
    bottom = X[y == 0] / 0.75 + [0.5, 0.25] - [1.0, 0.5]
    np.testing.assert_allclose(np.hypot(*top.T), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(*bottom.T), 1.0, atol=1e-12)
    assert top[:, 1].min() >= -1e-12 and bottom[:, 1].max() <= 1e-12


def test_noise_is_the_jitter_standard_deviation():
    # independent Gaussian jitter adds its variance: std = sqrt(0.3^2 + 0.4^2) = 0.5
    X, y = planar("gauss", 40000, noise=0.4, rng=3)
    np.testing.assert_allclose(X[y == 1].std(0), [0.5, 0.5], rtol=0.02)
    assert np.abs(planar("spiral", 400)[0]).max() <= 1.0
    assert np.abs(planar("spiral", 400, noise=0.2)[0]).max() > 1.2


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown planar data set 'spirals'; choose one of"):
        planar("spirals")
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        planar("circle", 1)
    with pytest.raises(ValueError, match="noise must be a standard deviation >= 0"):
        planar("circle", 10, noise=-0.1)
