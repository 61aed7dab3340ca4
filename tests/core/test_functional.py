"""nnlib.functional: gradients against centred differences, the numpy ``*_prime`` derivatives,
the identities the book states, behaviour at extreme inputs, dtypes and error messages."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    array_and_axis,
    arrays,
    assert_gradcheck,
    away_from,
    distinct_arrays,
    push_away,
    shapes,
)

import nnlib.functional as F
from nnlib import ShapeError, Tensor
from nnlib.gradcheck import numerical_grad

FAST = settings(max_examples=30, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


# name -> (function, derivative, kinks to stay away from, reference written from the formula)
ACTIVATIONS = {
    "sigmoid": (F.sigmoid, F.sigmoid_prime, (), _sig),
    "tanh": (
        F.tanh,
        F.tanh_prime,
        (),
        lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    ),
    "relu": (F.relu, F.relu_prime, (0.0,), lambda z: np.where(z > 0, z, 0.0)),
    "leaky_relu": (
        F.leaky_relu,
        F.leaky_relu_prime,
        (0.0,),
        lambda z: np.where(z > 0, z, 0.01 * z),
    ),
    "leaky_relu(0.2)": (
        lambda z: F.leaky_relu(z, 0.2),
        lambda z: F.leaky_relu_prime(z, 0.2),
        (0.0,),
        lambda z: np.where(z > 0, z, 0.2 * z),
    ),
    "hardtanh": (
        F.hardtanh,
        F.hardtanh_prime,
        (-1.0, 1.0),
        lambda z: np.minimum(np.maximum(z, -1), 1),
    ),
    "swish": (F.swish, F.swish_prime, (), lambda z: z * _sig(z)),
    # z times the normal CDF, written with math.erf one element at a time
    "gelu": (
        F.gelu,
        F.gelu_prime,
        (),
        lambda z: np.vectorize(lambda v: v * 0.5 * (1 + math.erf(v / math.sqrt(2))))(z),
    ),
}


def _activation_inputs(name):
    return away_from(arrays(shapes()), ACTIVATIONS[name][2], 1e-3)


# ---------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ACTIVATIONS)
@FAST
@given(data=st.data())
def test_activation_forward_matches_formula_and_numpy_path(name, data):
    f, _, _, ref = ACTIVATIONS[name]
    z = data.draw(arrays(shapes()), label="z")
    out = f(Tensor(z))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, ref(z), rtol=1e-12, atol=1e-15)
    on_numpy = f(z)
    assert not isinstance(on_numpy, Tensor)
    np.testing.assert_array_equal(on_numpy, out.data)


@pytest.mark.parametrize("name", ACTIVATIONS)
@FAST
@given(data=st.data())
def test_activation_gradient(name, data):
    f = ACTIVATIONS[name][0]
    z = data.draw(_activation_inputs(name), label="z")
    assert_gradcheck(f, [z])


@pytest.mark.parametrize("name", ACTIVATIONS)
@FAST
@given(data=st.data())
def test_prime_matches_finite_differences(name, data):
    f, f_prime, _, _ = ACTIVATIONS[name]
    z = data.draw(_activation_inputs(name), label="z")
    # f is elementwise, so d(sum f(z))/dz_i = f'(z_i).
    numeric = numerical_grad(lambda x: float(np.sum(f(x))), z)
    np.testing.assert_allclose(f_prime(z), numeric, rtol=1e-6, atol=1e-8)
    # ... and the Tensor backward uses the same derivative.
    t = Tensor(z, requires_grad=True)
    f(t).sum().backward()
    np.testing.assert_allclose(t.grad, f_prime(z), rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_of_a_python_number_is_a_number(name):
    f, f_prime, _, ref = ACTIVATIONS[name]
    out = f(0.3)
    assert np.ndim(out) == 0 and not isinstance(out, Tensor)
    assert float(out) == pytest.approx(float(ref(np.float64(0.3))), rel=1e-12)
    assert np.ndim(f_prime(0.3)) == 0
    assert f(2) == pytest.approx(float(ref(np.float64(2.0))))  # ints are promoted to float


def test_step_is_the_perceptron_threshold():
    np.testing.assert_array_equal(F.step(np.array([-1.0, 0.0, 0.5])), [0, 0, 1])


# ---------------------------------------------------------------------- identities from the book
@FAST
@given(z=arrays(shapes(), -10, 10))
def test_tanh_is_a_rescaled_sigmoid(z):
    np.testing.assert_allclose(F.tanh(z), 2 * F.sigmoid(2 * z) - 1, atol=1e-14)


@FAST
@given(z=arrays(shapes(), -30, 30))
def test_sigmoid_is_symmetric(z):
    np.testing.assert_allclose(F.sigmoid(-z), 1 - F.sigmoid(z), atol=1e-15)


@FAST
@given(z=arrays(shapes(), -30, 30))
def test_relu_of_z_minus_relu_of_minus_z_is_z(z):
    np.testing.assert_array_equal(F.relu(z) - F.relu(-z), z)


def test_hardtanh_middle_piece_is_the_identity():
    """Seed 002 writes the middle piece as 0; it is z."""
    z = np.array([-3.0, -1.0, -0.5, 0.0, 0.25, 0.9, 1.0, 4.0])
    np.testing.assert_array_equal(F.hardtanh(z), [-1.0, -1.0, -0.5, 0.0, 0.25, 0.9, 1.0, 1.0])
    np.testing.assert_array_equal(F.hardtanh_prime(z), [0, 0, 1, 1, 1, 1, 0, 0])


@FAST
@given(z=arrays(shapes(min_dims=1), -20, 20))
def test_softmax_is_a_distribution_invariant_to_shifts(z):
    s = F.softmax(z)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(z + 7.5), s, atol=1e-14)
    # a different constant for every row still changes nothing
    shift = np.arange(np.prod(z.shape[:-1])).reshape(z.shape[:-1] + (1,)) * 3.0
    np.testing.assert_allclose(F.softmax(z - shift), s, atol=1e-14)


def test_softmax_along_another_axis():
    z = rng(1).normal(size=(3, 4))
    np.testing.assert_allclose(F.softmax(z, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(F.softmax(z, axis=0), F.softmax(z.T).T)


@FAST
@given(z=arrays(shapes(min_dims=1), -20, 20))
def test_log_softmax_is_the_log_of_softmax(z):
    np.testing.assert_allclose(F.log_softmax(z), np.log(F.softmax(z)), atol=1e-12)
    np.testing.assert_allclose(F.log_softmax(Tensor(z)).data, F.log_softmax(z), atol=0)


@FAST
@given(z=arrays(shapes(min_dims=1), -20, 20))
def test_logsumexp(z):
    np.testing.assert_allclose(
        F.logsumexp(z), np.log(np.exp(z).sum(axis=-1)), rtol=1e-12, atol=1e-14
    )


@FAST
@given(data=st.data())
def test_cross_entropy_is_mean_negative_log_softmax_of_the_target(data):
    N = data.draw(st.integers(1, 5), label="N")
    C = data.draw(st.integers(2, 5), label="C")
    z = data.draw(arrays((N, C), -10, 10), label="logits")
    y = np.array(data.draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N), label="y"))
    expected = -np.mean(F.log_softmax(z)[np.arange(N), y])
    assert F.cross_entropy(Tensor(z), y).item() == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_cross_entropy_of_one_example():
    z = np.array([0.5, 2.0, -1.0])
    assert F.cross_entropy(Tensor(z), 1).item() == pytest.approx(-F.log_softmax(z)[1])


@FAST
@given(data=st.data())
def test_bce_with_logits_equals_bce_of_sigmoid(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    z = data.draw(arrays(shape, -15, 15), label="z")
    y = data.draw(arrays(shape, 0, 1), label="y")  # soft labels too
    a = F.binary_cross_entropy(Tensor(F.sigmoid(z)), y).item()
    b = F.binary_cross_entropy_with_logits(Tensor(z), y).item()
    assert b == pytest.approx(a, rel=1e-9, abs=1e-12)


def test_mse_loss_value():
    y_hat = Tensor([1.0, 2.0, 4.0])
    assert F.mse_loss(y_hat, [1.0, 0.0, 1.0]).item() == pytest.approx((0 + 4 + 9) / 3)


# ---------------------------------------------------------------------- gradients of the rest
@pytest.mark.parametrize("axis", [-1, 0])
@FAST
@given(z=arrays(shapes(min_dims=1)))
def test_softmax_gradients(z, axis):
    assert_gradcheck(lambda t: F.softmax(t, axis=axis), [z])
    assert_gradcheck(lambda t: F.log_softmax(t, axis=axis), [z])


@FAST
@given(data=st.data())
def test_linear_gradient(data):
    lead = data.draw(shapes(min_dims=0, max_dims=2), label="batch axes")  # (), (N,), (N, L)
    d_in, d_out = data.draw(st.integers(1, 4), label="d_in"), data.draw(st.integers(1, 4))
    # entries of size >= 0.25, so no gradient vanishes (gradcheck's error is relative)
    x = data.draw(away_from(arrays(lead + (d_in,)), (0.0,), 0.125), label="x")
    W = data.draw(away_from(arrays((d_out, d_in)), (0.0,), 0.125), label="W")
    b = data.draw(arrays((d_out,)), label="b")
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(W), Tensor(b)).data, x @ W.T + b)
    assert_gradcheck(F.linear, [x, W, b])
    assert_gradcheck(lambda x, W: F.linear(x, W), [x, W])


@FAST
@given(data=st.data())
def test_cross_entropy_gradient(data):
    N = data.draw(st.integers(1, 5), label="N")
    C = data.draw(st.integers(2, 5), label="C")
    z = data.draw(arrays((N, C)), label="logits")
    y = np.array(data.draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N), label="y"))
    assert_gradcheck(lambda t: F.cross_entropy(t, y), [z])
    # the fused gradient is (softmax - onehot) / N
    t = Tensor(z, requires_grad=True)
    F.cross_entropy(t, y).backward()
    np.testing.assert_allclose(t.grad, (F.softmax(z) - np.eye(C)[y]) / N, atol=1e-15)


@FAST
@given(data=st.data())
def test_binary_losses_gradients(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    p = data.draw(arrays(shape, 0.05, 0.95), label="p")
    # hard labels: with soft ones, p = y would make every gradient 0 (gradcheck is relative)
    y = data.draw(arrays(shape, 0, 1), label="y").round()
    z = data.draw(arrays(shape, -5, 5), label="z")
    assert_gradcheck(lambda t: F.binary_cross_entropy(t, y), [p])
    assert_gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y), [z])
    assert_gradcheck(lambda t: F.mse_loss(t, y), [p])
    assert_gradcheck(F.mse_loss, [p, y])  # y as a Tensor: gradient flows to both


@FAST
@given(data=st.data())
def test_pooling_gradients(data):
    N, L, d = (data.draw(st.integers(1, 3), label=s) for s in "NLd")
    x = data.draw(arrays((N, L, d)), label="x")
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=N * L, max_size=N * L))).reshape(
        N, L
    )
    assert_gradcheck(F.mean_pool, [x])
    assert_gradcheck(lambda t: F.mean_pool(t, mask), [x])
    xd = data.draw(distinct_arrays((N, L, d)), label="x distinct")
    assert_gradcheck(F.max_pool, [xd])


def test_mean_pool_with_a_mask_ignores_padding():
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [0.0, 0.0], [9.0, 9.0]]])
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    out = F.mean_pool(Tensor(x), mask)
    np.testing.assert_allclose(out.data, [[2.0, 3.0], [5.0, 6.0]])
    np.testing.assert_allclose(F.mean_pool(Tensor(x)).data, x.mean(axis=1))
    np.testing.assert_allclose(F.max_pool(Tensor(x)).data, x.max(axis=1))


# ---------------------------------------------------------------------- extreme inputs
@pytest.fixture
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # numpy's defaults, stated: overflow, 0-division and NaN warn; underflow to 0 is benign.
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            yield


def test_sigmoid_saturates_without_warnings(warnings_are_errors):
    assert F.sigmoid(-1000.0) == 0.0
    assert F.sigmoid(1000.0) == 1.0
    out = F.sigmoid(Tensor([-1000.0, 1000.0], requires_grad=True))
    np.testing.assert_array_equal(out.data, [0.0, 1.0])
    np.testing.assert_array_equal(F.sigmoid_prime(np.array([-1000.0, 1000.0])), [0.0, 0.0])
    np.testing.assert_array_equal(F.tanh(np.array([-1000.0, 1000.0])), [-1.0, 1.0])
    np.testing.assert_array_equal(F.swish(np.array([-1000.0, 1000.0])), [-0.0, 1000.0])
    assert np.all(np.isfinite(F.swish_prime(np.array([-1000.0, 1000.0]))))


def test_softmax_of_large_logits_is_finite(warnings_are_errors):
    np.testing.assert_allclose(F.softmax(np.array([1000.0, 0.0])), [1.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(F.log_softmax(np.array([1000.0, 0.0])), [0.0, -1000.0])
    t = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    (F.softmax(t) * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.all(np.isfinite(t.grad))


@pytest.mark.parametrize(
    "big,expected",
    [
        # row 0: target logit -big against +big costs 2 big; row 1: target is the top logit
        (1e4, (2e4 + 0.0) / 2),
        # row 0: target is the top logit; row 1: target logit -1e4 against 0 and 1
        (-1e4, (0.0 + 1e4 + np.log(1 + np.e)) / 2),
        (1e300, 2e300 / 2),
    ],
)
def test_cross_entropy_of_huge_logits_is_finite(big, expected, warnings_are_errors):
    z = Tensor([[big, 0.0, -big], [0.0, big, 1.0]], requires_grad=True)
    loss = F.cross_entropy(z, [2, 1])
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert np.all(np.isfinite(z.grad))


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_bce_with_logits_of_huge_logits_is_finite(big, warnings_are_errors):
    z = Tensor([big, -big, big], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, [0.0, 1.0, 1.0])  # two of three badly wrong
    assert loss.item() == pytest.approx(2 * abs(big) / 3 if big > 0 else abs(big) / 3, rel=1e-12)
    loss.backward()
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(np.abs(z.grad), [1 / 3, 1 / 3, 0.0] if big > 0 else [0, 0, 1 / 3])


def test_bce_of_certain_probabilities_is_finite(warnings_are_errors):
    p = Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    right = F.binary_cross_entropy(Tensor([0.0, 1.0]), [0.0, 1.0])
    assert right.item() == 0.0
    wrong = F.binary_cross_entropy(p, [0.0, 1.0, 1.0, 0.0])  # two certain and wrong: log clamped
    assert wrong.item() == pytest.approx(100 * 2 / 4)
    wrong.backward()
    assert np.all(np.isfinite(p.grad))


# ---------------------------------------------------------------------- dtype
FUNCTIONS = {
    **{name: (lambda t, f=spec[0]: f(t)) for name, spec in ACTIVATIONS.items()},
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "linear": lambda t: F.linear(
        t, Tensor(np.ones((2, 4), dtype=t.dtype)), Tensor(np.ones(2, dtype=t.dtype))
    ),
    "cross_entropy": lambda t: F.cross_entropy(t, [0, 3, 1]),
    "binary_cross_entropy": lambda t: F.binary_cross_entropy(F.sigmoid(t), np.ones((3, 4))),
    "bce_with_logits": lambda t: F.binary_cross_entropy_with_logits(t, np.ones((3, 4))),
    "mse_loss": lambda t: F.mse_loss(t, np.zeros((3, 4))),
    "mean_pool": lambda t: F.mean_pool(t.reshape(1, 3, 4)),
    "mean_pool(mask)": lambda t: F.mean_pool(t.reshape(1, 3, 4), np.array([[1, 1, 0]])),
    "max_pool": lambda t: F.max_pool(t.reshape(1, 3, 4)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_keeps_dtype(name, dtype):
    t = Tensor(rng(3).normal(size=(3, 4)).astype(dtype), requires_grad=True)
    out = FUNCTIONS[name](t)
    assert out.dtype == dtype, f"{name}: {np.dtype(dtype).name} in, {out.dtype} out"
    out.sum().backward()
    assert t.grad.dtype == dtype, f"{name}: grad dtype {t.grad.dtype}"


@pytest.mark.parametrize("name", list(ACTIVATIONS) + ["softmax", "log_softmax"])
def test_numpy_path_keeps_float32(name):
    f = ACTIVATIONS[name][0] if name in ACTIVATIONS else getattr(F, name)
    z = rng(4).normal(size=(2, 3)).astype(np.float32)
    assert f(z).dtype == np.float32
    if name in ACTIVATIONS:
        assert ACTIVATIONS[name][1](z).dtype == np.float32


# ---------------------------------------------------------------------- errors
def test_cross_entropy_rejects_float_targets():
    with pytest.raises(TypeError, match="integer"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))


@pytest.mark.parametrize("y", [[0, 3], [-1, 0]])
def test_cross_entropy_rejects_out_of_range_targets(y):
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), y)


def test_cross_entropy_shape_error_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        F.cross_entropy(Tensor(np.zeros((3, 4))), [0, 1])
    msg = str(info.value)
    assert "cross_entropy" in msg and "(3, 4)" in msg and "(2,)" in msg, msg


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        F.linear(Tensor(np.zeros((5, 3))), Tensor(np.zeros((2, 4))))
    msg = str(info.value)
    assert "linear" in msg and "(5, 3)" in msg and "(2, 4)" in msg, msg


@pytest.mark.parametrize(
    "call,name",
    [
        (
            lambda: F.binary_cross_entropy(Tensor(np.full(3, 0.5)), np.ones(4)),
            "binary_cross_entropy",
        ),
        (lambda: F.binary_cross_entropy_with_logits(Tensor(np.zeros(3)), np.ones(4)), "logits"),
        (lambda: F.mse_loss(Tensor(np.zeros(3)), np.ones(4)), "mse_loss"),
        (lambda: F.mean_pool(Tensor(np.zeros((2, 3, 4))), np.ones((2, 4))), "mean_pool"),
    ],
)
def test_loss_shape_errors(call, name):
    with pytest.raises(ShapeError, match=name):
        call()


def test_push_away_helper_really_moves_points_off_kinks():
    """The test inputs above rely on this helper; check it does what it says."""
    x = push_away(np.array([0.0, 5e-4, -5e-4, 1.0, 0.9995, 0.3]), (0.0, 1.0), 1e-3)
    assert np.all(np.abs(x) >= 1e-3) and np.all(np.abs(x - 1) >= 1e-3)
    assert x[-1] == 0.3


# ---------------------------------------------------------------------- reductions, padding
def _ce_rows(z, y):
    """-log softmax(z)_y per row, straight from the definition (numpy, float64)."""
    z = np.asarray(z, dtype=np.float64)
    return np.log(np.exp(z).sum(axis=-1)) - np.take_along_axis(z, y[..., None], -1)[..., 0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_reductions_follow_the_definition(reduction):
    z = rng(1).normal(size=(5, 4))
    y = np.array([0, 3, 1, 1, 2])
    rows = _ce_rows(z, y)
    expected = {"mean": rows.mean(), "sum": rows.sum(), "none": rows}[reduction]
    got = F.cross_entropy(Tensor(z), y, reduction=reduction).data
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert_gradcheck(lambda t: F.cross_entropy(t, y, reduction=reduction), [z])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_backward_twice_accumulates(reduction):
    # The first backward turns the forward pass's exponentials into the gradient in place; a
    # second backward through the same graph must still see the right values.
    z = rng(7).normal(size=(4, 6))
    y = np.array([5, 0, 2, 2])
    t = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(t, y, reduction=reduction)
    weights = rng(8).normal(size=4) if reduction == "none" else None
    total = loss if weights is None else (loss * Tensor(weights)).sum()
    total.backward()
    once = t.grad.copy()
    total.backward()
    np.testing.assert_allclose(t.grad, 2 * once, rtol=1e-12)
    probs = F.softmax(z) - np.eye(6)[y]
    scale = {"mean": np.full(4, 0.25), "sum": np.ones(4), "none": weights}[reduction]
    np.testing.assert_allclose(once, probs * scale[:, None], atol=1e-15)


def test_cross_entropy_keeps_float32_over_a_large_vocabulary():
    z = rng(9).normal(size=(8, 5000)).astype(np.float32)
    y = rng(10).integers(0, 5000, 8)
    t = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(t, y)
    loss.backward()
    assert loss.dtype == np.float32 and t.grad.dtype == np.float32
    expected = _ce_rows(z.astype(np.float64), y).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    ref = (F.softmax(z.astype(np.float64)) - np.eye(5000)[y]) / 8
    np.testing.assert_allclose(t.grad, ref, atol=1e-8)


def test_cross_entropy_ignore_index_averages_over_real_targets_only():
    z = rng(2).normal(size=(6, 3))
    y = np.array([0, -100, 2, 1, -100, 0])
    real = y != -100
    loss = F.cross_entropy(Tensor(z), y, ignore_index=-100)
    assert loss.item() == pytest.approx(_ce_rows(z[real], y[real]).mean(), rel=1e-12)
    t = Tensor(z, requires_grad=True)
    F.cross_entropy(t, y, ignore_index=-100).backward()
    assert np.all(t.grad[~real] == 0)  # padding gets no gradient
    assert_gradcheck(lambda t: F.cross_entropy(t, y, ignore_index=-100), [z])
    per = F.cross_entropy(Tensor(z), y, ignore_index=-100, reduction="none").data
    assert np.all(per[~real] == 0)


def test_cross_entropy_over_sequences_equals_the_flattened_batch():
    z = rng(3).normal(size=(2, 5, 4))  # (N, L, C): a prediction per position
    y = rng(4).integers(0, 4, (2, 5))
    y[1, 3:] = 0  # padding id 0 at the end of the second sequence
    seq = F.cross_entropy(Tensor(z), y, ignore_index=0).item()
    flat_y = y.reshape(-1)
    keep = flat_y != 0
    assert seq == pytest.approx(_ce_rows(z.reshape(-1, 4)[keep], flat_y[keep]).mean(), rel=1e-12)
    assert F.cross_entropy(Tensor(z), y, reduction="none").shape == (2, 5)
    assert_gradcheck(lambda t: F.cross_entropy(t, y, ignore_index=0), [z])


def test_cross_entropy_all_ignored_is_a_clear_error():
    with pytest.raises(ValueError, match="ignore_index"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [5, 5], ignore_index=5)
    assert (
        F.cross_entropy(Tensor(np.zeros((2, 3))), [5, 5], ignore_index=5, reduction="sum").item()
        == 0
    )


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_binary_losses_reductions(reduction):
    z = rng(5).normal(size=(3, 4))
    y = (rng(6).random((3, 4)) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    expected = per.sum() if reduction == "sum" else per
    for loss, x in ((F.binary_cross_entropy_with_logits, z), (F.binary_cross_entropy, p)):
        np.testing.assert_allclose(
            loss(Tensor(x), y, reduction=reduction).data, expected, rtol=1e-10
        )
        assert_gradcheck(lambda t, loss=loss: loss(t, y, reduction=reduction), [x])
    np.testing.assert_allclose(
        F.mse_loss(Tensor(z), y, reduction=reduction).data,
        ((z - y) ** 2).sum() if reduction == "sum" else (z - y) ** 2,
    )


def test_unknown_reduction_is_refused():
    for call in (
        lambda: F.cross_entropy(Tensor(np.zeros((1, 2))), [0], reduction="avg"),
        lambda: F.binary_cross_entropy_with_logits(Tensor(np.zeros(2)), [0, 1], reduction="avg"),
        lambda: F.mse_loss(Tensor(np.zeros(2)), [0, 1], reduction="avg"),
    ):
        with pytest.raises(ValueError, match="reduction"):
            call()


@FAST
@given(array_and_axis(min_dims=1))
def test_logsumexp_on_tensors_and_its_gradient_is_softmax(case):
    x, axis, keepdims = case
    if not isinstance(axis, int):
        axis = -1
    got = F.logsumexp(Tensor(x), axis=axis, keepdims=keepdims).data
    expected = np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert_gradcheck(lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims), [x])


def test_logsumexp_of_minus_infinity_rows():
    z = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(F.logsumexp(z), [-np.inf, 0.0])


# ---------------------------------------------------------------------- embedding, dropout
def test_embedding_gradient_adds_up_repeated_ids():
    E = rng(7).normal(size=(6, 3))
    ids = np.array([[1, 4, 1], [0, 1, 5]])  # word 1 three times
    G = rng(8).normal(size=(2, 3, 3))
    t = Tensor(E, requires_grad=True)
    F.embedding(ids, t).backward(G)
    onehot = np.eye(6)[ids.reshape(-1)]  # (6 positions, V): out = onehot @ E
    np.testing.assert_allclose(t.grad, onehot.T @ G.reshape(-1, 3), rtol=1e-12)
    assert_gradcheck(lambda e: F.embedding(ids, e), [E])


def test_dropout_statistics_gradient_and_eval():
    x = np.ones((200, 100))
    t = Tensor(x, requires_grad=True)
    out = F.dropout(t, 0.3, rng=0)
    kept = out.data != 0
    assert abs(kept.mean() - 0.7) < 0.01  # 20,000 draws: sd of the mean ~0.003
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)  # survivors scaled: E[out] = x
    out.sum().backward()
    np.testing.assert_allclose(t.grad, out.data)  # d(out)/dx = mask / (1 - p)
    assert F.dropout(t, 0.3, training=False) is t
    with pytest.raises(ValueError, match="p must be"):
        F.dropout(t, 1.0)


# ---------------------------------------------------------------------- the registry
def test_the_activation_registry_is_the_functions():
    assert set(F.ACTIVATIONS) == {
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "hardtanh",
        "swish",
        "gelu",
    }
    z = np.linspace(-3, 3, 13)
    for name, (fn, prime, _, ref) in ACTIVATIONS.items():
        if name in F.ACTIVATIONS:
            a = F.get_activation(name)
            np.testing.assert_allclose(a.fn(z), ref(z), rtol=1e-12)
            assert a.prime is prime and a.fn is fn
    with pytest.raises(ValueError, match="choose one of"):
        F.get_activation("gelu_typo")


def test_gelu_against_the_normal_table_and_the_tanh_approximation():
    # GELU(z) = z Phi(z): Phi(1) = 0.8413447460685429, Phi(-1) = 0.15865525393145707 (tables)
    assert F.gelu(1.0) == pytest.approx(0.8413447460685429, rel=1e-15)
    assert F.gelu(-1.0) == pytest.approx(-0.15865525393145707, rel=1e-14)
    assert F.gelu(0.0) == 0.0 and F.gelu_prime(0.0) == 0.5
    z = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(F.gelu(z) - F.gelu(-z), z, atol=1e-14)  # Phi(z) + Phi(-z) = 1
    approx = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    assert np.max(np.abs(F.gelu(z) - approx)) < 1e-3
    # like swish, it dips below 0: its minimum is about -0.17 near z = -0.75
    fine = np.linspace(-3, 0, 30001)
    i = np.argmin(F.gelu(fine))
    assert fine[i] == pytest.approx(-0.7518, abs=1e-3) and F.gelu(fine[i]) < -0.169
    assert np.all(np.isfinite(F.gelu_prime(np.array([-1e300, 1e300]))))
