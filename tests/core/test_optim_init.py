"""nnlib.init (variances and bounds against the papers' formulas, fans, seeding) and nnlib.optim
(SGD, momentum and Adam against hand computations; learning-rate schedules)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Tensor, init, nn, optim
from nnlib.nn import Parameter

D_OUT, D_IN = 400, 300  # a weight of shape (d_out, d_in): fan_in 300, fan_out 400
N = D_OUT * D_IN
Z = 5.0  # tolerances are 5 standard errors of the estimate: a false alarm is ~1 in 1.7 million


def fresh(shape=(D_OUT, D_IN), dtype=np.float64):
    return Parameter(np.full(shape, np.nan, dtype=dtype))


# name -> (initialiser, distribution, variance from the formula written out here)
NORMALS = {
    "kaiming_normal_": (init.kaiming_normal_, 2.0 / D_IN),  # He et al. 2015
    "xavier_normal_": (init.xavier_normal_, 2.0 / (D_IN + D_OUT)),  # Glorot & Bengio 2010
    "lecun_normal_": (init.lecun_normal_, 1.0 / D_IN),  # LeCun et al. 1998
}
# name -> (initialiser, bound a of U(-a, a))
UNIFORMS = {
    "kaiming_uniform_": (init.kaiming_uniform_, math.sqrt(6.0 / D_IN)),
    "xavier_uniform_": (init.xavier_uniform_, math.sqrt(6.0 / (D_IN + D_OUT))),
    "pytorch_default_": (init.pytorch_default_, 1.0 / math.sqrt(D_IN)),
}


@pytest.mark.parametrize("name", NORMALS)
def test_normal_initialiser_variance(name):
    fn, var = NORMALS[name]
    W = fn(fresh(), rng=0).data
    assert abs(W.mean()) < Z * math.sqrt(var / N)
    # the sample variance of N normal draws has standard error var * sqrt(2 / (N - 1))
    assert abs(W.var() - var) < Z * var * math.sqrt(2.0 / (N - 1)), (W.var(), var)
    # and it is a normal, not a uniform of the same variance: 68.27 % within one sigma
    inside = np.mean(np.abs(W) < math.sqrt(var))
    assert abs(inside - 0.6827) < Z * math.sqrt(0.6827 * 0.3173 / N)


@pytest.mark.parametrize("name", UNIFORMS)
def test_uniform_initialiser_bound_and_variance(name):
    fn, a = UNIFORMS[name]
    W = fn(fresh(), rng=0).data
    assert np.abs(W).max() <= a
    assert np.abs(W).max() > a * (1 - 1e-3)  # the bound is reached, not just respected
    var = a * a / 3
    # Var of the sample variance of U(-a, a): (mu4 - sigma^4) / N = a^4 (1/5 - 1/9) / N
    assert abs(W.var() - var) < Z * a * a * math.sqrt((1 / 5 - 1 / 9) / N), (W.var(), var)
    assert abs(W.mean()) < Z * math.sqrt(var / N)


def test_kaiming_gain_and_xavier_gain():
    W = init.kaiming_normal_(fresh(), rng=0, gain=1.0).data  # gain 1: LeCun's variance
    assert abs(W.var() - 1.0 / D_IN) < Z * (1.0 / D_IN) * math.sqrt(2.0 / N)
    a = 2.0 * math.sqrt(6.0 / (D_IN + D_OUT))
    assert np.abs(init.xavier_uniform_(fresh(), rng=0, gain=2.0).data).max() <= a


def test_fans():
    assert init.fans((D_OUT, D_IN)) == (D_IN, D_OUT)
    assert init.fans((8, 4, 3)) == (4 * 3, 8 * 3)  # (d_out, d_in, width): receptive field 3
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fans((5,))


@pytest.mark.parametrize("name", [*NORMALS, *UNIFORMS])
def test_initialisers_are_reproducible_and_in_place(name):
    fn = {**NORMALS, **UNIFORMS}[name][0]
    W = fresh((6, 4))
    out = fn(W, rng=123)
    assert out is W and np.all(np.isfinite(W.data))
    np.testing.assert_array_equal(fn(fresh((6, 4)), rng=123).data, W.data)
    np.testing.assert_array_equal(fn(fresh((6, 4)), rng=np.random.default_rng(123)).data, W.data)
    assert not np.array_equal(fn(fresh((6, 4)), rng=124).data, W.data)


@pytest.mark.parametrize("name", [*NORMALS, *UNIFORMS])
def test_initialisers_keep_float32(name):
    fn = {**NORMALS, **UNIFORMS}[name][0]
    assert fn(fresh((6, 4), np.float32), rng=0).dtype == np.float32


def test_zeros_():
    W = fresh((3, 2), np.float32)
    assert init.zeros_(W) is W
    assert W.dtype == np.float32 and np.all(W.data == 0)


def test_linear_and_mlp_default_init_is_seeded_pytorch_uniform():
    layer = nn.Linear(D_IN, D_OUT, rng=0)
    a = 1 / math.sqrt(D_IN)
    assert np.abs(layer.W.data).max() <= a and np.abs(layer.b.data).max() <= a
    assert np.abs(layer.b.data).max() > 0.9 * a  # the bias uses fan_in too, not its own size
    same = nn.Linear(D_IN, D_OUT, rng=0)
    np.testing.assert_array_equal(layer.W.data, same.W.data)
    m1, m2 = nn.MLP([2, 8, 1], rng=5), nn.MLP([2, 8, 1], rng=5)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(
        m1.parameters()[0].data, nn.MLP([2, 8, 1], rng=6).parameters()[0].data
    )


# ---------------------------------------------------------------------- optimisers
def _params_with_grads(grads, values=None):
    ps = [
        Parameter(np.array(v if values is None else values[i], dtype=float))
        for i, v in enumerate(grads)
    ]
    for p, g in zip(ps, grads):
        p.grad = np.array(g, dtype=float)
    return ps


def test_sgd_step_is_w_minus_lr_g():
    w0 = [np.array([1.0, -2.0]), np.array([[0.5]])]
    g = [np.array([0.3, 0.1]), np.array([[-4.0]])]
    ps = _params_with_grads(g, w0)
    frozen = Parameter(np.array([7.0]))  # no grad: must stay put
    optim.SGD([*ps, frozen], lr=0.1).step()
    for p, w, gg in zip(ps, w0, g):
        np.testing.assert_allclose(p.data, w - 0.1 * gg, rtol=1e-15)
    assert frozen.data[0] == 7.0


def test_sgd_momentum_matches_a_hand_computation_over_three_steps():
    lr, mu = 0.1, 0.9
    w = Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([w], lr=lr, momentum=mu)
    grads = [np.array([1.0, -1.0]), np.array([0.5, 0.5]), np.array([-2.0, 0.0])]
    for g in grads:
        w.grad = g.copy()
        opt.step()
    # PyTorch's form: v1 = g1, v2 = mu v1 + g2, v3 = mu v2 + g3; w3 = w0 - lr (v1 + v2 + v3)
    v1 = np.array([1.0, -1.0])
    v2 = 0.9 * v1 + np.array([0.5, 0.5])  # [1.4, -0.4]
    v3 = 0.9 * v2 + np.array([-2.0, 0.0])  # [-0.74, -0.36]
    np.testing.assert_allclose(v2, [1.4, -0.4])
    np.testing.assert_allclose(v3, [-0.74, -0.36])
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) - lr * (v1 + v2 + v3), rtol=1e-14)
    np.testing.assert_allclose(w.data, [1.0 - 0.1 * 1.66, 2.0 - 0.1 * -1.76], rtol=1e-14)


def test_sgd_weight_decay_adds_lambda_w_to_the_gradient():
    w = Parameter(np.array([2.0]))
    w.grad = np.array([0.5])
    optim.SGD([w], lr=0.1, weight_decay=0.01).step()
    assert w.data[0] == pytest.approx(2.0 - 0.1 * (0.5 + 0.01 * 2.0), rel=1e-15)


def _adam_by_hand(theta, grad_fn, steps, alpha, b1, b2, eps):
    """Algorithm 1 of Kingma & Ba (2015), written out independently of nnlib."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - alpha * m_hat / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize("betas,eps", [((0.9, 0.999), 1e-8), ((0.5, 0.9), 0.1)])
def test_adam_matches_kingma_and_ba_over_three_steps(betas, eps):
    c = np.array([3.0, -1.0, 0.2])

    def grad_fn(theta):  # gradient of sum((theta - c)^2 * [1, 10, 100]): changes every step
        return 2 * (theta - c) * np.array([1.0, 10.0, 100.0])

    theta0 = np.array([0.0, 0.0, 0.0])
    w = Parameter(theta0.copy())
    opt = optim.Adam([w], lr=0.05, betas=betas, eps=eps)
    for _ in range(3):
        w.grad = grad_fn(w.data)
        opt.step()
    expected = _adam_by_hand(theta0, grad_fn, 3, 0.05, *betas, eps)
    np.testing.assert_allclose(w.data, expected, rtol=1e-13)


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    """Bias correction makes the first update lr * g / |g| (for eps << |g|)."""
    w = Parameter(np.zeros(3))
    w.grad = np.array([1e-3, -5.0, 1e4])
    optim.Adam([w], lr=0.01).step()
    np.testing.assert_allclose(w.data, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_optimisers_keep_float32():
    for opt_cls, kw in [(optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adam, {"lr": 0.1})]:
        w = Parameter(np.ones(3, dtype=np.float32))
        opt = opt_cls([w], **kw)
        for _ in range(2):
            w.grad = np.full(3, 0.5, dtype=np.float32)
            opt.step()
        assert w.dtype == np.float32 and w.data[0] < 1


def test_optimiser_zero_grad_and_errors():
    w = Parameter(np.ones(2))
    w.grad = np.ones(2)
    opt = optim.SGD([w], lr=0.1)
    opt.zero_grad()
    assert w.grad is None
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="positive"):
        optim.Adam([w], lr=0.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.05),
        lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.05),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_optimiser_minimises_a_quadratic(make):
    # L(w) = (w - c)^T A (w - c) with A positive definite, minimum at c
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([1.0, -2.0])
    w = Parameter(np.array([5.0, 5.0]))
    opt = make([w])
    for _ in range(2000):
        opt.zero_grad()
        d = w - Tensor(c)
        loss = (d @ Tensor(A) @ d).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data, c, atol=1e-3)


# ---------------------------------------------------------------------- schedules
def _opt(lr=0.1):
    return optim.SGD([Parameter(np.zeros(1))], lr=lr)


def test_step_lr():
    opt = _opt()
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    lrs = [sched.step() for _ in range(9)]
    expected = [0.1 * 0.5 ** (e // 3) for e in range(1, 10)]  # 0.1, 0.1, 0.05, 0.05, 0.05, ...
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    assert opt.lr == lrs[-1]


def test_exponential_lr():
    opt = _opt()
    sched = optim.ExponentialLR(opt, gamma=0.9)
    lrs = [sched.step() for _ in range(5)]
    np.testing.assert_allclose(lrs, [0.1 * 0.9**e for e in range(1, 6)], rtol=1e-14)
    assert opt.lr == lrs[-1]


def test_cosine_lr():
    opt = _opt()
    sched = optim.CosineLR(opt, T_max=10, eta_min=0.01)
    lrs = [sched.step() for _ in range(14)]
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * min(e, 10) / 10)) / 2 for e in range(1, 15)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14)
    assert lrs[4] == pytest.approx((0.1 + 0.01) / 2)  # half way: the mean of the two ends
    assert lrs[9] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.01)  # flat after T_max
    assert opt.lr == lrs[-1]


def test_linear_warmup_climbs_to_the_base_rate_and_stays():
    opt = _opt(0.1)
    sched = optim.LinearWarmup(opt, warmup=4)
    assert sched.interval == "step"  # warm-up is counted in optimiser steps by default
    assert opt.lr == pytest.approx(0.025)  # set at once: the very first step uses base / warmup
    lrs = [sched.step() for _ in range(6)]
    np.testing.assert_allclose(lrs, [0.05, 0.075, 0.1, 0.1, 0.1, 0.1], rtol=1e-15)
    assert sched.rates(5) == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1])


def test_warmup_then_cosine_with_sequential_lr():
    opt = _opt(0.1)
    warm = optim.LinearWarmup(opt, warmup=5)
    cos = optim.CosineLR(opt, T_max=10, interval="step")
    assert cos.base_lr == 0.1  # not the warm-up's first rate: both read optimizer.initial_lr
    sched = optim.SequentialLR(opt, [warm, cos], milestones=[5])
    assert sched.interval == "step" and opt.lr == pytest.approx(0.02)
    lrs = [opt.lr] + [sched.step() for _ in range(17)]
    # written out: 5 warm-up steps 0.02, 0.04, ..., 0.1, then the cosine from its own t = 0
    expected = [0.1 * (t + 1) / 5 for t in range(5)] + [
        0.1 * (1 + math.cos(math.pi * min(t, 10) / 10)) / 2 for t in range(13)
    ]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14, atol=1e-17)
    assert max(lrs) == pytest.approx(0.1) and lrs[-1] == 0.0
    assert sched.rates(18) == pytest.approx(expected)  # rates() is the same list without stepping
    assert sched.t == 17


def test_lambda_lr_is_any_function_of_t():
    opt = _opt(0.2)
    sched = optim.LambdaLR(opt, lambda t: 0.5**t)
    np.testing.assert_allclose([sched.step() for _ in range(4)], [0.1, 0.05, 0.025, 0.0125])
    bad = optim.LambdaLR(_opt(), lambda t: 1.0 - t)  # negative from t = 2 on
    bad.step()
    with pytest.raises(ValueError, match="finite and >= 0"):
        bad.step()


def test_schedules_reject_bad_arguments():
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        optim.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive integer"):
        optim.CosineLR(_opt(), T_max=2.5)
    with pytest.raises(ValueError, match="gamma must be positive"):
        optim.ExponentialLR(_opt(), gamma=0.0)
    with pytest.raises(ValueError, match="warmup must be a positive integer"):
        optim.LinearWarmup(_opt(), warmup=0)
    with pytest.raises(ValueError, match="interval must be 'epoch' or 'step'"):
        optim.StepLR(_opt(), step_size=2, interval="batch")
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        optim.LambdaLR(_opt(), 0.5)
    opt = _opt()
    a, b = optim.LinearWarmup(opt, 3), optim.CosineLR(opt, 10, interval="step")
    with pytest.raises(ValueError, match="2 schedules need 1 milestones"):
        optim.SequentialLR(opt, [a, b], milestones=[])
    with pytest.raises(ValueError, match="positive and increasing"):
        optim.SequentialLR(opt, [a, b, b], milestones=[3, 3])
    with pytest.raises(ValueError, match="count different things"):
        optim.SequentialLR(opt, [a, optim.CosineLR(opt, 10)], milestones=[3])
    with pytest.raises(ValueError, match="made for this optimizer"):
        optim.SequentialLR(opt, [a, optim.CosineLR(_opt(), 10, interval="step")], milestones=[3])


@settings(max_examples=50, deadline=None)
@given(
    warmup=st.integers(1, 50),
    T_max=st.integers(1, 200),
    base=st.floats(1e-5, 10.0),
    eta_min_frac=st.floats(0.0, 1.0),
)
def test_schedule_shapes(warmup, T_max, base, eta_min_frac):
    warm = optim.LinearWarmup(_opt(base), warmup).rates(warmup + 5)
    assert all(0 < r <= base * (1 + 1e-12) for r in warm)
    assert all(b >= a for a, b in zip(warm, warm[1:]))  # never decreases
    assert warm[warmup - 1] == pytest.approx(base) and warm[-1] == pytest.approx(base)
    eta_min = eta_min_frac * base
    cos = optim.CosineLR(_opt(base), T_max, eta_min=eta_min).rates(T_max + 3)
    assert cos[0] == pytest.approx(base) and cos[-1] == pytest.approx(eta_min)
    assert all(b <= a * (1 + 1e-12) for a, b in zip(cos, cos[1:]))  # never increases
