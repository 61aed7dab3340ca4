"""nnlib.chapters.feedforward (book: chapter 3, Feedforward networks).

Expected values come from the source material (the slides' softmax example), from formulas
written out here independently (sigmoid, column-vector forward passes, parameter counts, ring
labels), or from a second implementation (nnlib's modules and ``fit``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import Tensor, nn, optim
from nnlib import functional as F
from nnlib.chapters import feedforward as FF
from nnlib.text import sentiment_features, tokenize
from nnlib.train import fit

finite = st.floats(-20, 20, allow_nan=False, allow_infinity=False)
logits = hnp.arrays(np.float64, st.integers(2, 7), elements=finite)
temperatures = st.floats(0.05, 20, allow_nan=False)


def sigma(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


# ====================================================================== 3.2 softmax
def test_the_slides_worked_example_to_four_decimals():
    # The values the issue (and the book) give for softmax([0.6, 1.1, -1.5, 1.2, 3.2, -1.1]).
    expected = [0.0548, 0.0904, 0.0067, 0.0999, 0.7382, 0.0100]
    np.testing.assert_array_equal(F.softmax(np.array(FF.SLIDE_LOGITS)).round(4), expected)
    by_hand = [math.exp(v) for v in FF.SLIDE_LOGITS]
    np.testing.assert_allclose(
        F.softmax(np.array(FF.SLIDE_LOGITS)), [v / sum(by_hand) for v in by_hand], rtol=1e-14
    )


def test_the_slide_mixes_rounding_and_truncation():
    report = FF.rounding_report(F.softmax(np.array(FF.SLIDE_LOGITS)), FF.SLIDE_SOFTMAX)
    # From the 4-decimal values: 0.0548 rounds to 0.055 (truncates to 0.054); 0.0904 is 0.090
    # both ways; 0.0067 rounds to 0.007 but the slide shows 0.006; 0.0999 rounds to 0.100 but
    # the slide shows 0.099; 0.7382 to two decimals rounds to 0.74 (truncates to 0.73).
    assert [r.verdict for r in report] == [
        "rounded",
        "both",
        "truncated",
        "truncated",
        "rounded",
        "both",
    ]
    assert report[2].rounded == "0.007" and report[3].rounded == "0.100"
    assert report[4].truncated == "0.73"


def test_rounding_report_handles_decimals_and_bad_input():
    (r,) = FF.rounding_report([0.125], ["0.13"])  # half-up, on the decimal value
    assert (r.rounded, r.truncated, r.verdict) == ("0.13", "0.12", "rounded")
    assert FF.rounding_report([2.0], ["2"])[0].verdict == "both"
    assert FF.rounding_report([0.5], ["0.7"])[0].verdict == "neither"
    with pytest.raises(ValueError, match="2 exact values but 1"):
        FF.rounding_report([0.1, 0.2], ["0.1"])
    with pytest.raises(TypeError, match="strings"):
        FF.rounding_report([0.1], [0.1])


@given(logits)
def test_naive_softmax_agrees_where_it_does_not_overflow(z):
    np.testing.assert_allclose(FF.softmax_naive(z), F.softmax(z), rtol=1e-10, atol=1e-300)


def test_naive_softmax_overflows_and_the_stable_one_does_not():
    big = np.array([1000.0, 1001.0, 1002.0])
    assert np.isnan(FF.softmax_naive(big)).all()
    e = [math.exp(0), math.exp(1), math.exp(2)]
    np.testing.assert_allclose(F.softmax(big), [v / sum(e) for v in e], rtol=1e-12)


@given(finite)
def test_sigmoid_is_a_two_class_softmax(z):
    assert FF.sigmoid_via_softmax(z) == pytest.approx(sigma(z), rel=1e-12, abs=1e-300)


@given(logits, temperatures)
def test_temperature_keeps_the_order_and_sums_to_one(z, T):
    p = FF.softmax_temperature(z, T)
    assert p.sum() == pytest.approx(1.0)
    big = np.argsort(z)[-1]
    assert p[big] == pytest.approx(p.max())
    np.testing.assert_allclose(p, F.softmax(z / T), rtol=1e-12)


def test_temperature_limits():
    z = np.array(FF.SLIDE_LOGITS)
    np.testing.assert_allclose(FF.softmax_temperature(z, 1.0), F.softmax(z))
    np.testing.assert_allclose(FF.softmax_temperature(z, 1e-3), np.eye(6)[4], atol=1e-12)
    np.testing.assert_allclose(FF.softmax_temperature(z, 1e6), np.full(6, 1 / 6), atol=1e-5)
    for bad in (0, -1.0, float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError, match="temperature"):
            FF.softmax_temperature(z, bad)


@given(logits, st.data(), temperatures)
def test_each_softmax_output_is_a_shifted_sigmoid_of_its_own_logit(z, data, T):
    i = data.draw(st.integers(0, z.size - 1))
    m = FF.softmax_shift(z, i, T)
    p = FF.softmax_temperature(z, T)[i]
    assert p == pytest.approx(sigma((z[i] - m) / T), rel=1e-9, abs=1e-12)
    grid = np.array([z[i], m])
    curve = FF.softmax_logit_curve(z, i, grid, T)
    assert curve[0] == pytest.approx(p, rel=1e-12, abs=1e-300)
    assert curve[1] == pytest.approx(0.5)  # the curve crosses 1/2 at the shift


def test_two_logit_shift_is_zero_and_curve_is_the_sigmoid():
    grid = np.linspace(-6, 6, 13)
    assert FF.softmax_shift([1.3, 0.0], 0) == 0.0
    np.testing.assert_allclose(
        FF.softmax_logit_curve([1.3, 0.0], 0, grid), [sigma(v) for v in grid], rtol=1e-12
    )
    with pytest.raises(ValueError, match="class index"):
        FF.softmax_shift([1.0, 2.0], 2)


# ====================================================================== 3.3-3.4 layers
def _column_forward(x, layers):
    """The book's loop with column vectors and explicit sums: z_j = sum_i W_ji a_i + b_j."""
    a = list(x)
    for layer in layers:
        z = [sum(layer.W[j, i] * a[i] for i in range(len(a))) + layer.b[j]
             for j in range(layer.W.shape[0])]  # fmt: skip
        if layer.g == "softmax":
            e = [math.exp(v - max(z)) for v in z]
            a = [v / sum(e) for v in e]
        elif layer.g == "identity":
            a = z
        else:
            a = [float(F.get_activation(layer.g).fn(v)) for v in z]
    return np.array(a)


mlp_sizes = st.lists(st.integers(1, 5), min_size=2, max_size=5)
activation_names = st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "swish"])


@settings(max_examples=40, deadline=None)
@given(mlp_sizes, activation_names, st.integers(0, 2**16))
def test_the_loop_is_what_nn_mlp_computes(sizes, act, seed):
    mlp = nn.MLP(sizes, act, rng=seed)
    X = np.random.default_rng(seed).normal(size=(3, sizes[0]))
    y_hat, trace = FF.forward(X, FF.layers_of(mlp))
    np.testing.assert_allclose(y_hat, mlp(Tensor(X)).data, rtol=1e-12, atol=1e-12)
    assert len(trace) == len(sizes) - 1
    assert [z.shape[1] for z, _ in trace] == sizes[1:]
    # one example as a vector, with the column-vector sums of the slides
    layers = FF.layers_of(mlp, output="softmax")
    np.testing.assert_allclose(FF.forward(X[0], layers)[0], _column_forward(X[0], layers))


@settings(max_examples=30, deadline=None)
@given(mlp_sizes, activation_names, st.integers(0, 2**16))
def test_dummy_units_change_nothing(sizes, act, seed):
    layers = FF.layers_of(nn.MLP(sizes, act, rng=seed), output="sigmoid")
    X = np.random.default_rng(seed + 1).normal(size=(4, sizes[0]))
    np.testing.assert_allclose(
        FF.forward_with_dummy_units(X, layers), FF.forward(X, layers)[0], rtol=1e-12, atol=1e-15
    )
    W, b = layers[0].W, layers[0].b
    Wt = FF.fold_bias(W, b)
    assert Wt.shape == (W.shape[0], W.shape[1] + 1)
    np.testing.assert_array_equal(Wt[:, 0], b)
    np.testing.assert_array_equal(FF.add_dummy_unit(X)[:, 0], 1.0)
    np.testing.assert_allclose(FF.add_dummy_unit(X) @ Wt.T, X @ W.T + b, rtol=1e-12, atol=1e-15)


def test_layer_errors_are_named():
    with pytest.raises(ValueError, match="b has 2 entries but W has 3 rows"):
        FF.Layer(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="unknown activation 'cube'"):
        FF.Layer(np.zeros((1, 2)), np.zeros(1), "cube")
    with pytest.raises(ValueError, match="layer 2: its W expects 3 inputs, got 2"):
        FF.forward([1.0, 2.0], [FF.Layer(np.ones((2, 2)), np.zeros(2)),
                                FF.Layer(np.ones((1, 3)), np.zeros(1))])  # fmt: skip
    with pytest.raises(TypeError, match="cannot read"):
        FF.layers_of(nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5)))
    with pytest.raises(ValueError, match="b has 3 entries but W has 2 rows"):
        FF.fold_bias(np.zeros((2, 2)), np.zeros(3))


@given(st.lists(st.integers(1, 30), min_size=2, max_size=6))
def test_parameter_count_matches_the_modules(sizes):
    assert FF.n_params(sizes) == nn.MLP(sizes, rng=0).num_parameters()


def test_parameter_count_by_hand():
    assert FF.n_params([6, 16, 1]) == 6 * 16 + 16 + 16 * 1 + 1 == 129
    assert FF.n_params([6, 8, 8, 2]) == 7 * 8 + 9 * 8 + 9 * 2 == 146
    with pytest.raises(ValueError):
        FF.n_params([3])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 2**16), st.booleans())  # fmt: skip
def test_batched_two_layer_network_equals_the_loop_and_nnlib(m, d, d_h, k, seed, bias):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    net = nn.MLP([d, d_h, k], "sigmoid", rng=seed)
    W, b, U = net[0].W.data, net[0].b.data, net[2].W.data
    c = net[2].b.data if bias else None
    H, Z, Y = FF.two_layer(X, W, b, U, c)
    Hl, Zl, Yl = FF.two_layer_loop(X, W, b, U, c)
    np.testing.assert_allclose(H, Hl, rtol=1e-12)
    np.testing.assert_allclose(Y, Yl, rtol=1e-12)
    z_ref = net(Tensor(X)).data - (0 if bias else net[2].b.data)
    np.testing.assert_allclose(Z, z_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0)
    assert H.shape == (m, d_h) and Z.shape == (m, k)


def test_two_layer_shape_errors_are_named():
    with pytest.raises(ValueError, match="shapes do not chain"):
        FF.two_layer(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(4), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"c must have shape \(1,\)"):
        FF.two_layer(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4), np.zeros((1, 4)), [0, 0])
    with pytest.raises(ValueError, match="no rows"):
        FF.two_layer_loop(np.zeros((0, 3)), np.zeros((4, 3)), np.zeros(4), np.zeros((1, 4)))


def test_timing_reports_agreement_and_positive_times():
    rng = np.random.default_rng(0)
    X, W, b, U = (
        rng.normal(size=(50, 6)),
        rng.normal(size=(8, 6)),
        rng.normal(size=8),
        rng.normal(size=(2, 8)),
    )
    r = FF.time_loop_vs_batch(X, W, b, U, repeats=2)
    assert r["same"] is True
    assert r["loop_s"] > 0 and r["batch_s"] > 0
    assert r["ratio"] == pytest.approx(r["loop_s"] / r["batch_s"])
    with pytest.raises(ValueError, match="repeats"):
        FF.time_loop_vs_batch(X, W, b, U, repeats=0)


# ====================================================================== 3.3 the explorer
def test_spiral_arms():
    X, y = FF.make_spiral(50, classes=3, seed=1)
    assert X.shape == (150, 2) and np.bincount(y).tolist() == [50, 50, 50]
    r = np.hypot(X[:, 0], X[:, 1])  # the noise is on the angle only
    np.testing.assert_allclose(np.sort(r[y == 0]), np.linspace(0.15, 1, 50))
    with pytest.raises(ValueError):
        FF.make_spiral(10, classes=1)


def test_snapshots_start_at_the_initial_network_and_end_where_fit_ends():
    X, y = FF.make_spiral(20, seed=0)
    run = FF.train_snapshots(X, y, 4, "tanh", seed=3, steps=30, lr=0.03, record_every=10)
    assert run.steps.tolist() == [0, 10, 20, 30]
    start = nn.MLP([2, 4, 3], "tanh", rng=3)
    np.testing.assert_array_equal(run.W[0], start[0].W.data)
    np.testing.assert_array_equal(run.U[0], start[2].W.data)
    net = nn.MLP([2, 4, 3], "tanh", rng=3)
    fit(net, lambda z, t: F.cross_entropy(z, t), optim.Adam(net.parameters(), lr=0.03), (X, y),
        epochs=30, batch_size=len(X), shuffle=False)  # fmt: skip
    np.testing.assert_allclose(run.W[-1], net[0].W.data, rtol=1e-12)
    np.testing.assert_allclose(run.c[-1], net[2].b.data, rtol=1e-12)
    loss = F.cross_entropy(net(Tensor(X)), y).item()
    assert run.loss[-1] == pytest.approx(loss, rel=1e-10)
    assert run.loss[-1] < run.loss[0]
    assert run.acc[-1] == np.mean(net(Tensor(X)).data.argmax(axis=1) == y)


def test_explorer_frame_draws_what_the_network_computes():
    X, y = FF.make_spiral(20, seed=0)
    run = FF.train_snapshots(X, y, 2, "sigmoid", steps=20, record_every=10)
    fr = FF.explorer_frame(run, -1, lim=(-1, 1), n=11)
    grid = np.array([[gx, gy] for gy in np.linspace(-1, 1, 11) for gx in np.linspace(-1, 1, 11)])
    W, b = run.W[-1], run.b[-1]
    h = 1 / (1 + np.exp(-(grid @ W.T + b)))
    np.testing.assert_allclose(fr.unit_grid.reshape(-1, 2), h, rtol=1e-12)
    z = h @ run.U[-1].T + run.c[-1]
    np.testing.assert_array_equal(fr.regions.reshape(-1), z.argmax(axis=1))
    for j, seg in enumerate(fr.segments):
        if seg is not None:
            np.testing.assert_allclose(seg @ W[j] + b[j], 0, atol=1e-9)
    assert fr.h_regions is not None and fr.h_regions.shape == (11, 11)
    assert fr.h_lim == (-0.05, 1.05)
    wide = FF.train_snapshots(X, y, 3, "relu", steps=10, record_every=10)
    assert FF.explorer_frame(wide, 0, n=5).h_regions is None
    with pytest.raises(ValueError, match="out of range"):
        FF.explorer_frame(run, 7)


# ====================================================================== 3.5 sentiment
def test_featurize_is_sentiment_features_row_by_row():
    pos, neg = {"good", "love"}, {"bad", "no"}
    texts = ["No, I love it!", "a bad, bad film", "", "You're good."]
    X = FF.featurize(texts, pos, neg)
    for row, t in zip(X, texts):
        np.testing.assert_array_equal(row, sentiment_features(tokenize(t), pos, neg))
    np.testing.assert_allclose(X[0], [1, 1, 1, 1, 1, math.log(4)])
    assert FF.featurize([], pos, neg).shape == (0, 6)
    with pytest.raises(TypeError, match="list of texts"):
        FF.featurize("one text", pos, neg)


def test_baselines_by_hand():
    assert FF.majority_class([1, 0, 1, 1]) == 1
    assert FF.majority_class([0, 1]) == 0  # ties: the smaller label
    X = np.array([[2, 1, 0, 0, 0, 1.0], [0, 3, 0, 0, 0, 1.0], [1, 1, 0, 0, 0, 1.0]])
    np.testing.assert_array_equal(FF.lexicon_rule(X), [1, 0, 1])
    np.testing.assert_array_equal(FF.lexicon_rule(X, tie=0), [1, 0, 0])
    with pytest.raises(ValueError, match="tie"):
        FF.lexicon_rule(X, tie=2)
    with pytest.raises(ValueError, match="non-empty"):
        FF.majority_class([])


def test_standardizer():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    s = FF.Standardizer.fit(X)
    np.testing.assert_array_equal(s(X), [[-1.0, 0.0], [1.0, 0.0]])  # a constant column stays 0
    with pytest.raises(ValueError, match="expected 2 features"):
        s(np.zeros((1, 3)))


def _toy(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) * [1, 1, 0.2, 1, 0.2, 0.5] + [1, 1, 0, 0, 0, 3]
    y = (X[:, 0] > X[:, 1]).astype(np.int64)  # separable by a line: both models can learn it
    return X, y


def test_classifiers_learn_a_separable_toy_problem_and_are_deterministic():
    X, y = _toy()
    lr = FF.train_sentiment_classifier(X, y, None, seed=0, epochs=60, lr=0.03)
    mlp = FF.train_sentiment_classifier(X, y, 8, "sigmoid", seed=0, epochs=60, lr=0.03)
    assert lr.hidden_size is None and mlp.hidden_size == 8
    assert lr.accuracy(X, y) > 0.95 and mlp.accuracy(X, y) > 0.95
    again = FF.train_sentiment_classifier(X, y, 8, "sigmoid", seed=0, epochs=60, lr=0.03)
    np.testing.assert_array_equal(again.proba(X), mlp.proba(X))
    assert mlp.hidden(X[:3]).shape == (3, 8)
    with pytest.raises(ValueError, match="no hidden layer"):
        lr.hidden(X[:1])


def test_two_softmax_outputs_are_one_sigmoid_of_the_difference():
    X, y = _toy()
    two = FF.train_sentiment_classifier(X, y, 4, "tanh", outputs=2, seed=1, epochs=3)
    z = two.logits(X)
    np.testing.assert_allclose(two.proba(X), [sigma(v) for v in z[:, 1] - z[:, 0]], rtol=1e-10)
    layers = two.layers()
    one = [layers[0], FF.Layer(layers[1].W[1:] - layers[1].W[:1], layers[1].b[1:] -
                               layers[1].b[:1], "sigmoid")]  # fmt: skip
    np.testing.assert_allclose(FF.forward(two.scaler(X), one)[0][:, 0], two.proba(X), rtol=1e-10)


def test_training_input_errors_are_named():
    X, y = _toy(20)
    with pytest.raises(ValueError, match="labels 0/1"):
        FF.train_sentiment_classifier(X, y + 1)
    with pytest.raises(ValueError, match="outputs must be 1"):
        FF.train_sentiment_classifier(X, y, outputs=3)
    with pytest.raises(ValueError, match="hidden must be None"):
        FF.train_sentiment_classifier(X, y, hidden=0)


def test_lookup_table_ceiling_and_conflicting_groups_by_hand():
    X = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [2.0]])
    y = np.array([1, 1, 0, 0, 0, 1])
    # table: 0 -> 1 (2 of 3), 1 -> 0, 2 -> 1: five of six right on the training data
    assert FF.feature_lookup_accuracy(X, y) == pytest.approx(5 / 6)
    # an unseen vector gets the overall majority (3 vs 3: label 0)
    assert FF.feature_lookup_accuracy(X, y, [[5.0], [0.0]], [0, 1]) == 1.0
    groups = FF.conflicting_groups(X, y, min_size=2)
    assert [(g["x"].tolist(), g["count"], g["positive"]) for g in groups] == [
        ([0.0], 3, 2),
        ([1.0], 2, 0),
    ]
    np.testing.assert_array_equal(groups[0]["members"], [0, 1, 2])


def test_logistic_regression_on_the_reviews_reaches_the_convex_optimum():
    """Logistic regression's loss is convex: minibatch Adam must end near the unique minimum,
    found here independently by Newton's method on the same standardised features."""
    data = FF.load_sentiment_data()
    X, y = data.X["train"], data.y["train"]
    model = FF.train_sentiment_classifier(X, y, None, seed=0)
    A = np.column_stack([np.ones(len(X)), model.scaler(X)])
    w = np.zeros(A.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-A @ w))
        w -= np.linalg.solve((A * (p * (1 - p))[:, None]).T @ A, A.T @ (p - y))
    p_newton = 1 / (1 + np.exp(-A @ w))
    loss = lambda p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  # noqa: E731
    gap = loss(model.proba(X)) - loss(p_newton)
    assert 0 <= gap < 2e-4  # Newton's point is the minimum; Adam ends within 0.03% of it
    np.testing.assert_allclose(model.net[0].b.data, w[:1], atol=0.05)
    np.testing.assert_allclose(model.net[0].W.data[0], w[1:], atol=0.05)
    assert np.mean((model.proba(X) > 0.5) == (p_newton > 0.5)) > 0.98


def test_the_data_and_the_chapter_models():
    data = FF.load_sentiment_data()
    assert {k: len(v) for k, v in data.y.items()} == {"train": 10202, "valid": 1275, "test": 1275}
    assert data.X["train"].shape == (10202, 6)
    m = FF.chapter_models()
    assert m.mlp.hidden_size == FF.SENTIMENT_HIDDEN and m.logreg.hidden_size is None
    r = FF.read_sentence(m, "No one will be bored, and you will love the ending!")
    np.testing.assert_array_equal(r.x, data.featurize([r.text])[0])
    assert r.marks[r.tokens.index("love")] == "+" and r.marks[r.tokens.index("bored")] == "-"
    assert r.marks[r.tokens.index("you")] == "p" and r.marks[r.tokens.index("the")] == ""
    assert r.p_mlp == pytest.approx(m.mlp.proba(r.x)[0])
    assert r.h.shape == (FF.SENTIMENT_HIDDEN,) and ((0 < r.h) & (r.h < 1)).all()
    with pytest.raises(TypeError, match="expected a sentence"):
        FF.read_sentence(m, 3)


# ====================================================================== 3.7 deeper or wider
def test_ring_labels():
    X, y = FF.make_rings(500, rings=4, seed=2)
    assert X.shape == (500, 2) and (np.abs(X) <= 1).all()
    for x, label in zip(X, y):
        assert label == int(math.floor(4 * math.hypot(*x))) % 2


@given(st.integers(20, 3000), st.integers(1, 5))
def test_width_for_budget_is_the_closest(budget, depth):
    w = FF.width_for_budget(budget, depth)
    gap = abs(FF.n_params([2, *[w] * depth, 2]) - budget)
    for v in range(1, 200):
        assert gap <= abs(FF.n_params([2, *[v] * depth, 2]) - budget)


@pytest.mark.parametrize("sizes", [[2, 5, 3], [2, 4, 4, 2]])
def test_stacked_training_gives_each_seed_what_fit_gives_it(sizes):
    X, y = FF.make_rings(70, seed=0)  # 70 = 2 batches of 32 + a last batch of 6
    y = y + (X[:, 0] > 0.5) * (sizes[-1] > 2)  # three classes when the output has three units
    seeds = [4, 0, 9]
    steps = 3 * 3  # three epochs of three steps
    runs = FF.train_stacked(sizes, X, y, seeds, steps=steps, lr=0.02, batch_size=32)
    for k, s in enumerate(seeds):
        net = nn.MLP(sizes, "relu", rng=s)
        fit(net, lambda z, t: F.cross_entropy(z, t), optim.Adam(net.parameters(), lr=0.02),
            (X, y), epochs=3, batch_size=32, rng=s)  # fmt: skip
        linears = [m for m in net.layers if isinstance(m, nn.Linear)]
        for layer, W, b in zip(linears, runs.W, runs.b):
            np.testing.assert_allclose(W[k], layer.W.data, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b[k], layer.b.data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(runs.logits(X)[k], net(Tensor(X)).data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(runs.network(k)(Tensor(X)).data, net(Tensor(X)).data)
    assert runs.accuracy(X, y).shape == (3,)


def test_stacked_training_reports_progress_like_fit():
    X, y = FF.make_rings(70, seed=0)
    calls = []

    class Recorder:
        def on_fit_begin(self, state):
            calls.append(("begin", state.epochs, state.steps_per_epoch))

        def on_step_end(self, state):
            calls.append(("step", state.step))

        def on_epoch_end(self, state):
            calls.append(("epoch", state.epoch, len(state.history.epoch)))

        def on_fit_end(self, state):
            calls.append(("end", state.step))
            self.history = state.history

    rec = Recorder()
    FF.train_stacked([2, 4, 2], X, y, [0, 1], steps=7, batch_size=32, callbacks=[rec])
    assert calls[0] == ("begin", 3, 3) and calls[-1] == ("end", 7)
    assert [c for c in calls if c[0] == "epoch"] == [("epoch", 0, 1), ("epoch", 1, 2),
                                                      ("epoch", 2, 3)]  # fmt: skip
    assert len(rec.history.step_loss) == 7
    # the loss shown is the mean over seeds of what fit reports for each seed
    first = []
    for s in (0, 1):
        net = nn.MLP([2, 4, 2], "relu", rng=s)
        h = fit(net, lambda z, t: F.cross_entropy(z, t), optim.Adam(net.parameters(), lr=0.01),
                (X, y), epochs=1, batch_size=32, rng=s)  # fmt: skip
        first.append(h.step_loss[0])
    assert rec.history.step_loss[0] == pytest.approx(np.mean(first), rel=1e-12)


def test_deep_vs_wide_reports_every_architecture_and_seed():
    archs = {"wide": [2, 6, 2], "deep": [2, 3, 3, 2]}
    res = FF.deep_vs_wide(archs, [0, 1], n_train=64, n_valid=32, n_test=48, steps=5)
    rows = res.table()
    assert [r[0] for r in rows] == ["wide", "deep"]
    assert [r[2] for r in rows] == [FF.n_params([2, 6, 2]), FF.n_params([2, 3, 3, 2])]
    for name in archs:
        assert res.acc[name].shape == res.valid_acc[name].shape == (2,)
        assert ((0 <= res.acc[name]) & (res.acc[name] <= 1)).all()
        Xte, yte = FF.make_rings(48, seed=1)
        np.testing.assert_array_equal(res.acc[name], res.runs[name].accuracy(Xte, yte))
