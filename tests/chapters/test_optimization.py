"""nnlib.chapters.optimization (chapter 7): every experiment checked against a formula, a second
method, or an exact property, never against numbers copied from its own output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Tensor, nn, optim
from nnlib import functional as F
from nnlib.chapters import optimization as O
from nnlib.data import planar


def numeric_gradient(f, w, h=1e-6):
    """Centred differences of a scalar function of a 2-vector."""
    g = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        g[i] = (f(w + e) - f(w - e)) / (2 * h)
    return g


def numeric_hessian(surface, w, h=1e-5):
    H = np.zeros((2, 2))
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        H[i] = (surface.gradient(w + e)[0] - surface.gradient(w - e)[0]) / (2 * h)
    return (H + H.T) / 2


def loss_at(surface, w):
    return float(surface(np.asarray(w, dtype=float)[None])[0])


# ---------------------------------------------------------------------- surfaces
@pytest.mark.parametrize("name", sorted(O.SURFACES))
def test_surface_gradients_match_finite_differences(name):
    s = O.SURFACES[name]
    rng = np.random.default_rng(0)
    for _ in range(5):
        w = rng.uniform([s.xlim[0], s.ylim[0]], [s.xlim[1], s.ylim[1]])
        np.testing.assert_allclose(
            s.gradient(w)[0], numeric_gradient(lambda v: loss_at(s, v), w), rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize("name", ["ravine", "tilted"])
def test_quadratics_are_w_H_w_over_2(name):
    s = O.SURFACES[name]
    W = np.random.default_rng(1).normal(size=(20, 2))
    expected = 0.5 * np.einsum("ki,ij,kj->k", W, s.hessian, W)
    np.testing.assert_allclose(s(W), expected, rtol=1e-12)
    # both have curvatures 0.02 and 2: condition number 100
    np.testing.assert_allclose(np.linalg.eigvalsh(s.hessian), [0.02, 2.0], rtol=1e-12)
    np.testing.assert_allclose(numeric_hessian(s, np.array([0.3, -0.2])), s.hessian, atol=1e-6)


def test_tilted_ravine_floor_points_30_degrees_up():
    vals, vecs = np.linalg.eigh(O.SURFACES["tilted"].hessian)
    floor = vecs[:, 0] * np.sign(vecs[0, 0])  # the shallow direction
    np.testing.assert_allclose(math.degrees(math.atan2(floor[1], floor[0])), 30.0, atol=1e-9)


def test_saddle_points_and_minima():
    s = O.SURFACES["saddle"]
    np.testing.assert_allclose(s.gradient(np.array(s.saddles + s.minima)), 0.0, atol=1e-12)
    # at the origin one curvature is negative (down along w1) and one positive: a saddle
    np.testing.assert_allclose(
        np.linalg.eigvalsh(numeric_hessian(s, np.zeros(2))), [-1, 1], atol=1e-6
    )
    for m in s.minima:  # L'' = 3 w1^2 - 1 = 2 along w1, 1 along w2; L = 1/4 - 1/2 = -1/4
        np.testing.assert_allclose(
            np.linalg.eigvalsh(numeric_hessian(s, np.array(m))), [1, 2], atol=1e-6
        )
        assert loss_at(s, m) == pytest.approx(-0.25)


def test_wells_listed_minima_are_the_local_minima_deepest_first():
    s = O.SURFACES["wells"]
    for m in s.minima:
        assert np.abs(s.gradient(np.array(m))).max() < 1e-4  # minima given to 5 decimals
        assert np.linalg.eigvalsh(numeric_hessian(s, np.array(m))).min() > 0
    depths = [loss_at(s, m) for m in s.minima]
    assert depths == sorted(depths)
    # a dense grid finds nothing lower than the first minimum, and no other local minimum:
    g1, g2, L = s.grid(301)
    assert L.min() >= depths[0] - 1e-6
    inner = L[1:-1, 1:-1]
    is_min = np.ones_like(inner, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= inner < L[1 + di : L.shape[0] - 1 + di, 1 + dj : L.shape[1] - 1 + dj]
    found = np.column_stack([g1[1:-1, 1:-1][is_min], g2[1:-1, 1:-1][is_min]])
    assert len(found) == 3
    for p in found:
        assert np.linalg.norm(np.asarray(s.minima) - p, axis=1).min() < 0.03


def test_get_surface_names_the_choices():
    with pytest.raises(ValueError, match="unknown surface 'bowl'; choose one of ravine"):
        O.get_surface("bowl")


# ---------------------------------------------------------------------- descending
def test_gradient_descent_on_a_quadratic_is_powers_of_I_minus_lr_H():
    s, lr, T = O.SURFACES["tilted"], 0.7, 30
    d = O.descend(s, "sgd", lr=lr, steps=T)
    M = np.eye(2) - lr * s.hessian
    w = np.array(s.start)
    for t in range(T + 1):
        np.testing.assert_allclose(d.path[t, 0], w, atol=1e-12)
        w = M @ w


def test_momentum_on_a_quadratic_is_the_heavy_ball_recursion():
    """w_(t+1) = w_t - lr g_t + mu (w_t - w_(t-1)) (Polyak 1964): nnlib's velocity form."""
    s, lr, mu = O.SURFACES["ravine"], 0.5, 0.8
    d = O.descend(s, "momentum", lr=lr, momentum=mu, steps=25)
    prev = w = np.array(s.start)
    for t in range(1, 26):
        w, prev = w - lr * s.hessian @ w + mu * (w - prev), w
        np.testing.assert_allclose(d.path[t, 0], w, atol=1e-10)


def test_adam_first_step_moves_each_coordinate_by_lr():
    """At t = 1, m_hat = g and s_hat = g^2, so the step is lr * g / (|g| + eps)."""
    d = O.descend("wells", "adam", lr=0.05, steps=1, start=[0.4, 2.6])
    g = O.SURFACES["wells"].gradient(np.array([0.4, 2.6]))[0]
    np.testing.assert_allclose(
        d.path[1, 0] - d.path[0, 0], -0.05 * g / (np.abs(g) + 1e-8), rtol=1e-12
    )


def test_heavy_ball_beats_gradient_descent_as_theory_says():
    """On the ravine (condition number 100), each at its best setting: gradient descent contracts
    by (k - 1)/(k + 1) per step, heavy-ball momentum by (sqrt k - 1)/(sqrt k + 1)."""
    s = O.SURFACES["ravine"]
    lo, hi = np.linalg.eigvalsh(s.hessian)
    k = hi / lo
    gd = O.descend(s, "sgd", lr=2 / (lo + hi), steps=400)
    mu = ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2
    lr = 4 / (math.sqrt(hi) + math.sqrt(lo)) ** 2
    hb = O.descend(s, "momentum", lr=lr, momentum=mu, steps=400)
    for d, rate in ((gd, (k - 1) / (k + 1)), (hb, math.sqrt(mu))):
        r = np.linalg.norm(d.path[:, 0], axis=1)
        measured = (r[300] / r[100]) ** (1 / 200)
        # the heavy ball's iteration matrix has a double eigenvalue at the optimum, which adds a
        # factor growing like t; over 200 steps that moves the per-step rate by < 1%
        assert measured == pytest.approx(rate, rel=0.01)


@settings(max_examples=20, deadline=None)
@given(
    optimizer=st.sampled_from(O.OPTIMIZERS),
    starts=st.lists(st.tuples(st.floats(-2.5, 2.5), st.floats(-2.5, 2.5)), min_size=2, max_size=4),
)
def test_many_starts_at_once_equal_separate_runs(optimizer, starts):
    lr = {"sgd": 0.2, "momentum": 0.05, "adam": 0.05}[optimizer]
    together = O.descend("wells", optimizer, lr=lr, steps=15, start=np.array(starts))
    for k, w0 in enumerate(starts):
        alone = O.descend("wells", optimizer, lr=lr, steps=15, start=w0)
        np.testing.assert_allclose(together.path[:, k], alone.path[:, 0], rtol=1e-9, atol=1e-12)


def test_a_start_on_the_ridge_of_the_saddle_never_leaves_it_without_noise():
    for optimizer in O.OPTIMIZERS:
        d = O.descend("saddle", optimizer, lr=0.05, steps=300, start=[0.0, 1.5])
        assert np.all(d.path[:, 0, 0] == 0.0)  # w1 stays exactly 0: its gradient is exactly 0
        assert abs(d.path[-1, 0, 1]) < 1e-2  # and w2 slides down into the saddle point
    noisy = O.descend("saddle", "sgd", lr=0.1, steps=300, start=[0.0, 1.5], noise=0.1, rng=0)
    assert abs(noisy.final[0, 0]) == pytest.approx(1.0, abs=0.1)  # noise tips it into a minimum


def test_escape_from_near_the_saddle_takes_log_steps():
    """Near the saddle w1 grows like (1 + lr)^t: from 1e-3 to 0.5 takes about
    ln(500) / ln(1 + lr) steps (the quartic term only slows the last bit)."""
    d = O.descend("saddle", "sgd", lr=0.1, steps=200, start=[1e-3, 1.5])
    escape = int(np.argmax(np.abs(d.path[:, 0, 0]) > 0.5))
    assert escape == pytest.approx(math.log(500) / math.log(1.1), abs=2)


def test_divergence_above_two_over_the_largest_curvature():
    # lr = 3 on curvature 2: w2 is multiplied by |1 - 6| = 5 per step; starting at 1.5 it passes
    # 1e6 (where descend gives up) at the first t with 1.5 * 5^t > 1e6
    d = O.descend("ravine", "sgd", lr=3.0, steps=50)
    expected = next(t for t in range(50) if 1.5 * 5**t > 1e6)
    assert d.diverged_at == expected and len(d.path) == expected + 1
    assert O.descend("ravine", "sgd", lr=0.99, steps=50).diverged_at is None


def test_steps_to_counts_the_step_of_settling_not_of_passing():
    d = O.Descent(
        O.SURFACES["ravine"],
        np.array([[[1.0, 0]], [[0.01, 0]], [[0.5, 0]], [[0.01, 0]], [[0.0, 0]]]),
        np.zeros((5, 1)),
    )
    assert d.steps_to(0.1)[0] == 3  # it passes through at step 1, leaves, and settles at 3
    assert d.steps_to(1e-9)[0] == 4
    assert d.steps_to(1e-12, target=[5.0, 5.0])[0] == -1


def test_basins_account_for_every_start():
    b = O.basins("wells", "sgd", lr=0.3, n=9, steps=300)
    assert b.reached.shape == (9, 9)
    assert b.fractions.sum() + b.unsettled == pytest.approx(1.0)
    assert b.unsettled == 0.0  # every path settles into one of the three wells
    # a start right next to a minimum ends in it
    near = O.basins("ravine", "sgd", lr=0.9, n=5, steps=2000)
    assert near.fractions[0] == 1.0


def test_descend_rejects_bad_input():
    with pytest.raises(ValueError, match="start must be a point"):
        O.descend("ravine", start=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        O.descend("ravine", "rmsprop")
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        O.descend("ravine", steps=-1)


# ---------------------------------------------------------------------- initialisation
@pytest.mark.parametrize("scheme", ["pytorch", "lecun", "xavier", "he", "normal"])
def test_relu_gradient_factor_matches_width_var_over_two(scheme):
    stats = O.layer_statistics(scheme, "relu", depth=12, width=128, n=128)
    predicted = O.predicted_relu_factor(scheme, 128)
    assert O.measured_factor(stats) == pytest.approx(predicted, rel=0.1)


def test_weight_variances_are_the_papers():
    assert O.weight_variance("he", 300, 100) == pytest.approx(2 / 300)  # He et al. 2015
    assert O.weight_variance("xavier", 300, 100) == pytest.approx(2 / 400)  # Glorot & Bengio
    assert O.weight_variance("lecun", 300, 100) == pytest.approx(1 / 300)  # LeCun et al. 1998
    a = 1 / math.sqrt(300)
    assert O.weight_variance("pytorch", 300, 100) == pytest.approx(a * a / 3)  # U(-a, a)


@pytest.mark.parametrize("scheme", ["lecun", "xavier", "he", "normal", "zeros", "pytorch"])
def test_initialise_draws_each_layer_with_its_variance(scheme):
    model = O.initialise(nn.MLP([400, 300, 200], "relu", rng=0), scheme, rng=1)
    for layer in (model[0], model[2]):
        var = O.weight_variance(scheme, layer.d_in, layer.d_out)
        W = layer.W.data
        if var == 0:
            assert np.all(W == 0)
        else:  # 5 standard errors of a sample variance (normal: var sqrt(2/N); uniform less)
            assert abs(W.var() - var) < 5 * var * math.sqrt(2 / W.size)
        if scheme == "pytorch":
            assert np.abs(layer.b.data).max() <= 1 / math.sqrt(layer.d_in)
        else:
            assert np.all(layer.b.data == 0)
    with pytest.raises(ValueError, match="unknown initialisation 'glorot'"):
        O.initialise(model, "glorot")


def test_uniform_and_normal_starts_of_equal_variance_behave_alike():
    normal = O.layer_statistics("he", "relu", depth=10, width=128, n=128, rng=0)
    uniform = O.layer_statistics("he", "relu", depth=10, width=128, n=128, weights="uniform", rng=0)
    assert O.measured_factor(uniform) == pytest.approx(O.measured_factor(normal), rel=0.1)


def test_symmetric_starts():
    X, y = planar("circle", 100, noise=0.05, rng=0)
    zero = O.symmetric_start(X, y, "relu", "zeros", steps=50)
    # ReLU'(0) = 0 and h = 0: no gradient reaches any weight; with balanced classes the output
    # bias's gradient mean(softmax - onehot) is 0 too, up to rounding (softmax(0, 0) is 0.5 to
    # the last bit or so). Nothing moves: the loss stays log 2.
    grads = zero.first_grads
    assert grads["layers.0.W"] == grads["layers.0.b"] == grads["layers.2.W"] == 0.0
    assert grads["layers.2.b"] < 1e-15
    assert zero.losses == (pytest.approx(math.log(2)), pytest.approx(math.log(2)))
    const = O.symmetric_start(X, y, "relu", "constant", steps=50)
    assert const.distinct_units == 1  # 16 identical units stay identical
    rand = O.symmetric_start(X, y, "relu", "random", steps=50)
    assert rand.distinct_units == 16


def test_distinct_rows():
    W = np.array([[1.0, 2.0], [1.0, 2.0 + 1e-9], [1.0, 2.5]])
    assert O.distinct_rows(W) == 2
    assert O.distinct_rows(W, rtol=1e-12) == 3


# ---------------------------------------------------------------------- the same place
def test_logistic_optimum_has_zero_gradient_and_matches_a_long_gd_run():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X @ [1.0, -2.0, 0.5, 0.0, 1.0] + rng.normal(size=200) > 0).astype(float)
    lam = 0.01
    w, b = O.logistic_optimum(X, y, lam)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(X.T @ (p - y) / 200 + lam * w, 0, atol=1e-12)
    assert np.mean(p - y) + lam * b == pytest.approx(0, abs=1e-12)
    # a second method: plain full-batch gradient descent, run long, lands on the same point
    theta = np.zeros(6)
    Xb = np.column_stack([X, np.ones(200)])
    for _ in range(20000):
        q = 1 / (1 + np.exp(-(Xb @ theta)))
        theta -= 1.0 * (Xb.T @ (q - y) / 200 + lam * theta)
    np.testing.assert_allclose(np.append(w, b), theta, atol=1e-8)


def test_sgd_runs_converge_towards_the_one_minimum():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X @ [1.0, -1.0, 0.5, 2.0] + rng.normal(size=400) > 0).astype(float)
    runs, star = O.convex_runs(X, y, [8, 64], [0, 1], lam=0.01, lr=0.5, epochs=30)
    for r in runs:
        assert r.distance[0] > 0.5
        assert r.distance[-1] < 0.05
    # two different starts end next to each other: the same place
    assert np.linalg.norm(runs[0].theta - runs[1].theta) < 0.05 * np.linalg.norm(star)


def test_agreement_is_a_symmetric_fraction():
    X = np.random.default_rng(0).normal(size=(50, 3))
    models = [nn.MLP([3, 4, 2], rng=s) for s in range(3)]
    A = O.agreement(models, X)
    np.testing.assert_array_equal(np.diag(A), 1.0)
    np.testing.assert_array_equal(A, A.T)
    with_no_grad = [m(X).data.argmax(1) for m in models]
    assert A[0, 1] == np.mean(with_no_grad[0] == with_no_grad[1])


# ---------------------------------------------------------------------- learning rates
def test_largest_curvature_matches_eigvalsh():
    X = np.random.default_rng(0).random((300, 20)).astype(np.float32)
    Xb = np.column_stack([X, np.ones(300)]).astype(np.float64)
    exact = np.linalg.eigvalsh(2 / 300 * Xb.T @ Xb)[-1]
    assert O.largest_curvature(X) == pytest.approx(exact, rel=1e-5)


def test_least_squares_diverges_just_above_two_over_lambda_max():
    rng = np.random.default_rng(0)
    X = rng.random((200, 10)).astype(np.float32)
    y = rng.integers(0, 2, 200)
    lr_max = 2 / O.largest_curvature(X)
    below = O.train_least_squares(X, y, 0.9 * lr_max, steps=200)
    above = O.train_least_squares(X, y, 1.1 * lr_max, steps=200)
    assert below.diverged is None and below.step_loss[-1] < below.step_loss[0]
    assert above.step_loss[60] > 100 * above.step_loss[0]  # grows geometrically
    far = O.train_least_squares(X, y, 3 * lr_max, steps=200)
    assert far.diverged is not None and "diverged" in far.diverged and "inf" in far.diverged


def test_schedules_by_name():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    assert O.make_schedule("constant", opt) is None
    warm = O.make_schedule("warmup+cosine", opt, horizon=100, warmup=10)
    rates = warm.rates(101)
    assert rates[0] == pytest.approx(0.01) and rates[9] == pytest.approx(0.1)
    assert rates[100] == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        O.make_schedule("linear", opt)


# ---------------------------------------------------------------------- the real task
@pytest.fixture(scope="module")
def task():
    return O.review_task()


def test_review_task_features(task):
    assert task.X_train.shape == (10202, 1000) and task.X_valid.shape == (1275, 1000)
    assert set(np.unique(task.X_train)) == {0.0, 1.0}
    assert task.words[:3] == (".", "the", ",") or len(set(task.words)) == 1000
    # a second route to the same features: tokenise and look words up one by one
    from nnlib.data import load_reviews
    from nnlib.text import tokenize

    text = load_reviews("train").texts[7]
    present = {w for w in tokenize(text) if w in set(task.words)}
    assert {task.words[j] for j in np.flatnonzero(task.X_train[7])} == present
    assert len(task.probe) == 2041


def test_the_probe_loss_stands_in_for_the_full_training_loss(task):
    for epochs in (0, 1, 3):
        model = O.train_reviews(task, "adam", 0.01, epochs=epochs).model
        full = O.mean_loss(model, task.X_train, task.y_train)
        probe = O.mean_loss(model, task.X_train[task.probe], task.y_train[task.probe])
        assert abs(probe - full) < 0.01, (epochs, probe, full)


def test_gradient_noise_follows_the_sampling_formula(task):
    model = nn.MLP([task.d, 8, 2], "relu", rng=0)
    idx = task.probe[:200]
    X, y = task.X_train[idx].astype(np.float64), task.y_train[idx]
    gn = O.gradient_noise(model, X, y, [1, 10, 100, 200], draws=200, rng=0)
    # per-example gradients by nnlib agree with a one-by-one sum of the same gradients
    g_full = gn.g_norm2
    loss = F.cross_entropy(model(X), y)
    model.zero_grad()
    loss.backward()
    g = np.concatenate([p.grad.ravel() for p in model.parameters()])
    assert g @ g == pytest.approx(g_full, rel=1e-10)
    ratio = gn.measured[:3] / gn.predicted[:3]
    np.testing.assert_allclose(ratio, 1.0, atol=0.25)
    assert gn.measured[3] == pytest.approx(0.0, abs=1e-20)  # B = N: the batch is everything
    assert gn.predicted[3] == 0.0


def test_race_reaches_target_and_counts_epochs(task):
    r = O.race_to_target(task, 256, target=0.6, max_epochs=3)
    assert r.reached and r.curve[-1, 3] <= 0.6 and np.all(r.curve[:-1, 3] > 0.6)
    assert r.epochs == pytest.approx(r.steps * 256 / 10202)
    assert r.cpu > 0 and r.wall > 0


def test_train_reviews_records_per_epoch_and_sweep_flags_divergence(task):
    run = O.train_reviews(task, "adam", 3e-3, epochs=1, batch_size=256)
    assert len(run.train_loss) == 2 and run.train_loss[1] < run.train_loss[0]
    assert len(run.step_loss) == math.ceil(10202 / 256) == len(run.step_lr)
    sweep = O.Sweep("x", np.array([0.1, 1.0]), np.array([0.5, np.inf]), np.array([0.7, np.nan]), [])
    assert sweep.best_lr == 0.1


# ---------------------------------------------------------------------- the playground
def test_playground_trains_in_chunks_and_learns_the_circle():
    pg = O.Playground("circle", hidden=(8,), batch_size=20)
    start = pg.history["train_loss"][0]
    for _ in range(30):
        pg.train(20)
    assert pg.step == 600 and pg.epoch == pytest.approx(600 * 20 / 200)
    assert len(pg.history["step"]) == 31
    assert pg.history["train_loss"][-1] < 0.2 * start
    assert pg.accuracy() > 0.95 and pg.accuracy(test=True) > 0.9
    P = pg.probabilities()
    assert P.shape == pg.grid_shape and np.all((P >= 0) & (P <= 1))
    # the probabilities come from the same network: the centre of the circle is class 1
    centre = np.argmin(np.linalg.norm(pg.grid_points, axis=1))
    assert P.ravel()[centre] > 0.9


def test_playground_reset_is_reproducible():
    a = O.Playground("xor", seed=3).train(25)
    b = O.Playground("xor", seed=3).train(25)
    assert a.history == b.history
    a.reset()
    assert a.step == 0 and a.history["train_loss"] == [b.history["train_loss"][0]]


def test_playground_reports_divergence_and_stops():
    pg = O.Playground("spiral", optimizer="sgd", lr=1e200, activation="relu", scheme="he")
    pg.train(10)
    assert pg.diverged is not None
    assert "diverged at step" in pg.diverged and "Lower the learning rate" in pg.diverged
    steps = pg.step
    pg.train(10)
    assert pg.step == steps  # no more steps until reset
    pg.reset()
    assert pg.diverged is None


def test_playground_schedule_counts_steps():
    pg = O.Playground("gauss", schedule="warmup", lr=0.05)
    assert pg.lr == pytest.approx(0.05 / 100)
    pg.train(9)
    assert pg.lr == pytest.approx(0.05 * 10 / 100)


def test_playground_rejects_bad_settings():
    with pytest.raises(ValueError, match="unknown data set 'ring'"):
        O.Playground("ring")
    with pytest.raises(ValueError, match="unknown activation"):
        O.Playground("xor", activation="gelu")
    with pytest.raises(ValueError, match="batch_size must be an integer in"):
        O.Playground("xor", batch_size=0)
    with pytest.raises(ValueError, match="unknown schedule"):
        O.Playground("xor", schedule="cyclic")


def test_train_planar_full_batch_equals_hand_loop():
    X, y = planar("moons", 40, rng=0)
    run = O.train_planar(X, y, [2, 4, 1], optimizer="sgd", lr=0.3, steps=5, seed=2)
    net = nn.MLP([2, 4, 1], "relu", rng=2)
    opt = optim.SGD(net.parameters(), lr=0.3)
    losses = []
    for _ in range(5):
        loss = F.binary_cross_entropy_with_logits(net(Tensor(X))[:, 0], y.astype(float))
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(run.losses[:5], losses, rtol=1e-12)
    assert run.n_parameters == 2 * 4 + 4 + 4 + 1
