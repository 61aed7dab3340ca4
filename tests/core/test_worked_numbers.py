"""The worked numbers of the lecture material, reproduced with nnlib exactly as the book quotes
them: the logistic unit, a softmax, the computation graph L = c(a + 2b), the hand-built XOR
network, and dL/dz = a - y for sigmoid with binary cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib.functional as F
from nnlib import Tensor, nn
from nnlib.data import truth_table

# ---------------------------------------------------------------------- one unit
w = np.array([0.2, 0.3, 0.9])
b = 0.5
x = np.array([0.5, 0.6, 0.1])


def test_unit_z_and_sigmoid():
    z = Tensor(w) @ Tensor(x) + b  # 0.5*0.2 + 0.6*0.3 + 0.1*0.9 + 0.5
    assert z.item() == pytest.approx(0.87, abs=1e-12)
    y = F.sigmoid(z).item()
    assert round(y, 2) == 0.70  # the slide's ".70"
    assert round(y, 4) == 0.7047
    # the same number through a Linear layer holding w as its one row
    unit = nn.Linear(3, 1, rng=0)
    unit.W.data[...] = w
    unit.b.data[...] = b
    assert F.sigmoid(unit(x)).item() == pytest.approx(y, rel=1e-15)


# ---------------------------------------------------------------------- softmax
LOGITS = [0.6, 1.1, -1.5, 1.2, 3.2, -1.1]
SLIDE = [0.055, 0.090, 0.006, 0.099, 0.74, 0.010]  # as printed: truncated, not rounded
ROUNDED = [0.055, 0.090, 0.007, 0.100, 0.738, 0.010]


def test_softmax_against_the_slide():
    s = F.softmax(Tensor(LOGITS)).data
    assert s.sum() == pytest.approx(1.0, rel=1e-15)
    for ours, printed in zip(s, SLIDE):
        decimals = len(repr(printed).split(".")[1])  # 0.74 -> 2, 0.055 -> 3
        unit = 10.0**-decimals
        assert abs(ours - printed) < unit, f"{ours} vs the slide's {printed}"
    # the slide truncates: 0.0067 appears as 0.006 and 0.0999 as 0.099
    np.testing.assert_array_equal(np.round(s, 3), ROUNDED)
    assert s[2] == pytest.approx(0.0067, abs=5e-5) and s[3] == pytest.approx(0.0999, abs=5e-5)


# ---------------------------------------------------------------------- L = c (a + 2b)
def test_computation_graph_forward_and_backward():
    a = Tensor(3.0, requires_grad=True)
    b_ = Tensor(1.0, requires_grad=True)
    c = Tensor(-2.0, requires_grad=True)
    d = 2 * b_
    e = a + d
    L = c * e
    assert (d.item(), e.item(), L.item()) == (2.0, 5.0, -10.0)
    assert L._prev == (c, e) and e._prev == (a, d)
    L.backward()
    assert a.grad == -2.0  # dL/da = dL/de * de/da = c
    assert b_.grad == -4.0  # dL/db = c * 2
    assert c.grad == 5.0  # dL/dc = e
    assert e.grad == -2.0 and d.grad == -2.0  # intermediate gradients, as in the figure


# ---------------------------------------------------------------------- XOR by hand
W_XOR = np.array([[1.0, 1.0], [1.0, 1.0]])
B_XOR = np.array([0.0, -1.0])
U_XOR = np.array([1.0, -2.0])


def test_hand_built_xor_network():
    X, y = truth_table("XOR")
    h = F.relu(F.linear(Tensor(X), Tensor(W_XOR), Tensor(B_XOR)))
    np.testing.assert_array_equal(h.data, [[0, 0], [1, 0], [1, 0], [2, 1]])
    out = h @ Tensor(U_XOR)
    np.testing.assert_array_equal(out.data, [0, 1, 1, 0])
    np.testing.assert_array_equal(out.data, y)

    # the same network as modules
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1, bias=False))
    net[0].W.data[...] = W_XOR
    net[0].b.data[...] = B_XOR
    net[2].W.data[...] = U_XOR
    np.testing.assert_array_equal(net(X).data[:, 0], y)


# ---------------------------------------------------------------------- dL/dz = a - y
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_sigmoid_with_binary_cross_entropy_gives_a_minus_y(y):
    z = Tensor([0.87], requires_grad=True)
    a = F.sigmoid(z)
    L = F.binary_cross_entropy(a, [y])  # through the graph: bce node, then sigmoid node
    L.backward()
    assert z.grad[0] == pytest.approx(a.item() - y, rel=1e-12)
    assert a.item() - 1.0 == pytest.approx(-0.2953, abs=1e-4)  # for y = 1

    z2 = Tensor([0.87], requires_grad=True)
    F.binary_cross_entropy_with_logits(z2, [y]).backward()
    assert z2.grad[0] == pytest.approx(a.item() - y, rel=1e-12)


def test_unit_weight_gradient_is_a_minus_y_times_x():
    wt = Tensor(w, requires_grad=True)
    bt = Tensor(b, requires_grad=True)
    a = F.sigmoid((wt @ Tensor(x) + bt).reshape(1))
    F.binary_cross_entropy(a, [1.0]).backward()
    np.testing.assert_allclose(wt.grad, (a.item() - 1.0) * x, rtol=1e-12)
    assert bt.grad == pytest.approx(a.item() - 1.0, rel=1e-12)
