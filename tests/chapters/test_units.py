"""nnlib.chapters.units (book: chapter 1, Neural units): a unit's values and gradients, one step
of gradient descent, and the sharpened sigmoid. Expected values come from the formulas of the
lecture material (J&M: dL/dw = (y_hat - y) x for a sigmoid unit with cross-entropy) and from
centred finite differences, never from the module's own output."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import functional as F
from nnlib.chapters import units as U

W = np.array([0.2, 0.3, 0.9])
B = 0.5
X = np.array([0.5, 0.6, 0.1])
finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def test_worked_example():
    s = U.unit_state(W, B, X)
    assert s.z == pytest.approx(0.87, abs=1e-12)
    assert round(s.y, 4) == 0.7047
    assert s.slope == pytest.approx(s.y * (1 - s.y), rel=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "swish", "gelu", "relu", "hardtanh"])
@settings(max_examples=25, deadline=None)
@given(w=st.lists(finite, min_size=3, max_size=3), b=finite)
def test_gradient_is_slope_times_input_and_matches_finite_differences(name, w, b):
    w = np.array(w)
    s = U.unit_state(w, b, X, name)
    if name in ("relu", "hardtanh") and min(abs(s.z), abs(abs(s.z) - 1)) < 1e-4:
        return  # too near a corner for a finite difference
    act = F.get_activation(name)
    np.testing.assert_allclose(s.dy_dw, act.prime(s.z) * X, atol=1e-12)
    assert s.dy_db == pytest.approx(float(act.prime(s.z)), abs=1e-12)
    h = 1e-6
    for i in range(3):
        e = np.eye(3)[i] * h
        numeric = (act.fn((w + e) @ X + b) - act.fn((w - e) @ X + b)) / (2 * h)
        assert s.dy_dw[i] == pytest.approx(float(numeric), abs=1e-7)


def test_unit_state_accepts_an_activation_object():
    leaky = F.Activation(
        "leaky_relu",
        lambda z: F.leaky_relu(z, slope=0.1),
        lambda z: F.leaky_relu_prime(z, slope=0.1),
        "leaky",
        "L(z)",
    )
    s = U.unit_state(W, -2.0, X, leaky)  # z = -1.63
    assert s.y == pytest.approx(-0.163) and s.slope == 0.1
    np.testing.assert_allclose(s.dy_dw, 0.1 * X)


@pytest.mark.parametrize("y", [0, 1])
def test_gradient_step_follows_the_cross_entropy_formula(y):
    g = U.gradient_step(W, B, X, y, lr=1.0)
    y_hat = 1 / (1 + np.exp(-0.87))
    assert g.y_hat == pytest.approx(y_hat, rel=1e-12)
    expected_loss = -np.log(y_hat) if y == 1 else -np.log(1 - y_hat)
    assert g.loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(g.dL_dw, (y_hat - y) * X, rtol=1e-12)  # J&M: (sigma - y) x_j
    assert g.dL_db == pytest.approx(y_hat - y, rel=1e-12)
    np.testing.assert_allclose(g.w_new, W - (y_hat - y) * X, rtol=1e-12)
    assert g.loss_new < g.loss  # a small enough step downhill lowers the loss
    assert (g.y_hat_new > g.y_hat) == (y == 1)


def test_gradient_step_rejects_bad_input():
    with pytest.raises(ValueError, match="0 or 1"):
        U.gradient_step(W, B, X, 0.5, lr=1.0)
    with pytest.raises(ValueError, match="learning rate"):
        U.gradient_step(W, B, X, 1, lr=0.0)
    with pytest.raises(ValueError, match="same, non-zero length"):
        U.unit_state(W, B, X[:2])


def test_sharpened_sigmoid_tends_to_the_step():
    z = np.array([-1.0, -0.1, 0.0, 0.1, 1.0])
    curves = U.sharpened(z, [1, 10, 100, 1000])
    assert curves.shape == (4, 5)
    np.testing.assert_allclose(curves[:, 2], 0.5)  # sigma(c * 0) = 1/2 for every c
    far = np.abs(z) >= 0.1
    gaps = np.abs(curves[:, far] - F.step(z[far])).max(axis=1)
    assert np.all(np.diff(gaps) < 0)  # every sharper sigmoid is closer to the step
    assert gaps[0] == pytest.approx(1 / (1 + np.exp(0.1)), rel=1e-12)  # 1 - sigma(0.1)
    assert gaps[-1] < 1e-40
    with pytest.raises(ValueError, match="positive"):
        U.sharpened(z, [0.0])
