"""nnlib.chapters.xor and nnlib.data.negation (book: chapter 2, Perceptrons and the XOR problem)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.chapters import xor as P
from nnlib.data import truth_table
from nnlib.data.negation import REVIEWS, features, load_negation

X4 = truth_table("XOR")[0]
weights = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------- perceptron
def test_and_or_truth_tables():
    np.testing.assert_array_equal(P.perceptron(X4, [1, 1], -1), truth_table("AND")[1])
    np.testing.assert_array_equal(P.perceptron(X4, [1, 1], 0), truth_table("OR")[1])


def test_point_on_the_boundary_gets_zero():
    # w . x + b = 0 exactly for x = (1, 0): the book's definition says 0 (strict > 0 for a 1).
    assert P.perceptron([[1.0, 0.0]], [1, 1], -1)[0] == 0


@given(w1=weights, w2=weights, b=weights)
def test_perceptron_matches_the_definition(w1, w2, b):
    out = P.perceptron(X4, [w1, w2], b)
    for x, o in zip(X4, out):
        assert o == (1 if w1 * x[0] + w2 * x[1] + b > 0 else 0)


@given(w1=weights, w2=weights, b=weights)
def test_no_perceptron_computes_xor(w1, w2, b):
    _, y = truth_table("XOR")
    assert P.count_correct(X4, y, [w1, w2], b) <= 3


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="w must have shape"):
        P.perceptron(X4, [1, 1, 1], 0)
    with pytest.raises(ValueError, match="2-d array"):
        P.perceptron([0, 1], [1, 1], 0)
    with pytest.raises(ValueError, match="one label per point"):
        P.count_correct(X4, [0, 1], [1, 1], 0)


# ---------------------------------------------------------------------- decision boundary
@given(w1=weights, w2=weights.filter(lambda v: abs(v) > 1e-3), b=weights)
def test_boundary_x2_lies_on_the_line(w1, w2, b):
    x1 = np.linspace(-2, 2, 5)
    x2 = P.boundary_x2(x1, [w1, w2], b)
    np.testing.assert_allclose(w1 * x1 + w2 * x2 + b, 0, atol=1e-9 * (1 + abs(b) / abs(w2)))


def test_boundary_x2_refuses_vertical_lines():
    with pytest.raises(ValueError, match="vertical"):
        P.boundary_x2(0.0, [1, 0], -0.5)


# ---------------------------------------------------------------------- grid search
def test_grid_search_xor_best_is_three_and_and_or_reach_four():
    values = np.linspace(-2, 2, 21)
    g = P.grid_search(*truth_table("XOR"), values)
    assert g.counts.shape == (21, 21, 21)
    assert g.best == 3
    assert 0 < g.n_best < g.counts.size
    for name in ("AND", "OR", "NAND"):
        assert P.grid_search(*truth_table(name), values).best == 4


def test_grid_search_counts_agree_with_count_correct():
    X, y = truth_table("XOR")
    values = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    g = P.grid_search(X, y, values)
    for (i, j, k), count in np.ndenumerate(g.counts):
        assert count == P.count_correct(X, y, [values[i], values[j]], values[k])
    rows = g.settings_with(3)
    assert len(rows) == g.n_best
    for w1, w2, b in rows:
        assert P.count_correct(X, y, [w1, w2], b) == 3


def test_grid_search_rejects_bad_input():
    X, y = truth_table("XOR")
    with pytest.raises(ValueError, match="values"):
        P.grid_search(X, y, [])
    with pytest.raises(ValueError, match="y must have shape"):
        P.grid_search(X, y[:3], [0.0, 1.0])


# ---------------------------------------------------------------------- the exact network
def test_exact_xor_network_hidden_and_outputs():
    net = P.xor_net_exact()
    h, y = P.hidden_and_output(net, X4)
    np.testing.assert_array_equal(h, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(y, truth_table("XOR")[1])
    assert net[2].b is None
    # mlp_forward (numpy, batched) computes the same thing.
    h2, z2 = P.mlp_forward(X4, P.XOR_W, P.XOR_B, P.XOR_U[0], 0.0)
    np.testing.assert_array_equal(h2, h)
    np.testing.assert_array_equal(z2, y)


# ---------------------------------------------------------------------- logistic regression
def test_logistic_regression_cannot_fit_xor():
    run = P.train_logistic_regression(*truth_table("XOR"), steps=500, lr=0.5, seed=0)
    assert run.losses.shape == run.accuracies.shape == (501,)
    assert run.accuracies.max() <= 0.75
    assert abs(run.losses[-1] - np.log(2)) < 1e-3
    assert run.losses[-1] >= np.log(2) - 1e-12  # log 2 is the minimum: it is never beaten
    assert np.all(np.abs(run.w) < 1e-2)


def test_logistic_regression_fits_and():
    run = P.train_logistic_regression(*truth_table("AND"), steps=500, lr=1.0, seed=0)
    assert run.accuracies[-1] == 1.0
    assert run.losses[-1] < run.losses[0]


# ---------------------------------------------------------------------- training MLPs
def test_batched_training_equals_one_seed_at_a_time():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, [0, 3, 7], hidden=2, steps=200, lr=0.5, record_every=50)
    np.testing.assert_array_equal(runs.recorded, [0, 50, 100, 150, 200])
    assert runs.W.shape == (5, 3, 2, 2) and runs.U.shape == (5, 3, 2) and runs.c.shape == (5, 3)
    for i, seed in enumerate([0, 3, 7]):
        net, losses = P.train_mlp(X, y, hidden=2, seed=seed, steps=200, lr=0.5)
        np.testing.assert_allclose(runs.W[-1, i], net[0].W.data, atol=1e-10)
        np.testing.assert_allclose(runs.b[-1, i], net[0].b.data, atol=1e-10)
        np.testing.assert_allclose(runs.U[-1, i], net[2].W.data[0], atol=1e-10)
        np.testing.assert_allclose(runs.c[-1, i], net[2].b.data[0], atol=1e-10)
        np.testing.assert_allclose(runs.losses[:-1, i], losses, atol=1e-10)


def test_snapshots_start_at_the_initial_network():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, [5], hidden=3, steps=20, record_every=7)
    np.testing.assert_array_equal(runs.recorded, [0, 7, 14, 20])
    from nnlib import nn

    net0 = nn.MLP([2, 3, 1], "relu", rng=5)
    np.testing.assert_array_equal(runs.W[0, 0], net0[0].W.data)
    np.testing.assert_array_equal(runs.U[0, 0], net0[2].W.data[0])


def test_success_and_dead_units_on_xor():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, range(20), hidden=2, steps=1000, lr=0.5)
    ok = runs.success()
    assert ok.dtype == bool and ok.shape == (20,)
    assert 0 < ok.sum() < 20  # some seeds solve XOR, some get stuck
    # A unit dead from the start never gets a gradient, so it is still dead at the end and the
    # network (one working unit) cannot solve XOR.
    dead0 = runs.dead_units(0) > 0
    assert dead0.any()
    assert not (dead0 & ok).any()
    for s in np.flatnonzero(dead0):
        unit = np.flatnonzero(runs.forward(t=0)[0][s].max(axis=0) <= 0)[0]
        np.testing.assert_array_equal(runs.W[-1, s, unit], runs.W[0, s, unit])
    # Successful seeds: the loss fell and every label is right.
    assert (runs.losses[-1, ok] < 0.1).all()
    np.testing.assert_array_equal(runs.predictions()[ok], np.tile(y, (ok.sum(), 1)))


def test_wider_hidden_layers_succeed_more_often():
    X, y = truth_table("XOR")
    rates = [
        P.train_mlps(X, y, range(40), hidden=h, steps=500, lr=0.5).success_rate() for h in (2, 8)
    ]
    assert rates[0] < rates[1]


def test_training_rejects_bad_arguments():
    X, y = truth_table("XOR")
    with pytest.raises(ValueError, match="activation"):
        P.train_mlps(X, y, [0], activation="cosh")
    with pytest.raises(ValueError, match="at least one seed"):
        P.train_mlps(X, y, [])
    with pytest.raises(ValueError, match="learning rate"):
        P.train_mlp(X, y, lr=0.0)
    with pytest.raises(ValueError, match="steps"):
        P.train_mlps(X, y, [0], steps=-1)


# ---------------------------------------------------------------------- negation data
def test_negation_features_and_labels():
    texts, X, y = load_negation()
    assert len(texts) == len(REVIEWS) == X.shape[0] == y.shape[0]
    np.testing.assert_array_equal(features("not good at all"), [1, 1])
    np.testing.assert_array_equal(features("i didn't hate it"), [0, 1])
    np.testing.assert_array_equal(features("a dull script"), [0, 0])
    # The label is the XOR of the two features, and every combination occurs.
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))
    assert len({tuple(r) for r in X}) == 4
    with pytest.raises(TypeError, match="string"):
        features(3)


def test_negation_is_not_linearly_separable_but_an_mlp_fits_it():
    _, X, y = load_negation()
    best_linear = P.grid_search(X, y, np.linspace(-2, 2, 21)).best
    assert best_linear < len(y)
    runs = P.train_mlps(X, y, range(5), hidden=8, steps=1000, lr=0.5)
    assert runs.success().any()


def test_logistic_run_predict_proba_is_sigmoid_of_its_linear_score():
    X, y = truth_table("XOR")
    run = P.train_logistic_regression(X, y, steps=20, lr=0.5, seed=1)
    z = X @ run.w + run.b
    np.testing.assert_allclose(run.predict_proba(X), 1 / (1 + np.exp(-z)), rtol=1e-12)


# ---------------------------------------------------------------------- decision rules on grids
@given(w1=st.floats(-2, 2), w2=st.floats(-2, 2), b=st.floats(-2, 2))
@settings(max_examples=40, deadline=None)
def test_perceptron_regions_follow_the_sign_of_the_score(w1, w2, b):
    lim = (-0.5, 1.5)
    regions = P.perceptron_regions([w1, w2], b, lim, lim, 21)
    ticks = np.linspace(*lim, 21)
    for r in (0, 7, 20):  # rows are x2 values, columns x1 values
        for c in (0, 13, 20):
            score = w1 * ticks[c] + w2 * ticks[r] + b
            assert regions[r, c] == int(score > 0)


def test_mlp_decisions_and_counts():
    np.testing.assert_array_equal(P.mlp_decisions([-1.0, 0.0, 0.3]), [0, 0, 1])  # z > 0
    np.testing.assert_array_equal(
        P.mlp_decisions([0.0, 1.0, 0.5], threshold=P.EXACT_THRESHOLD), [0, 1, 0]
    )
    assert P.n_correct([0, 1, 1, 0], [0, 1, 1, 1]) == 3
    np.testing.assert_array_equal(P.n_correct([[0, 1], [1, 1]], [0, 1]), [2, 1])
    with pytest.raises(ValueError, match="differ in length"):
        P.n_correct([0, 1, 1], [0, 1])


def test_exact_hidden_space_matches_the_hand_computation():
    # h = ReLU(x W^T + b) with W = [[1, 1], [1, 1]], b = [0, -1]: [0,0], [1,0], [1,0], [2,1];
    # y = h1 - 2 h2 = 0, 1, 1, 0; class 1 where y > 0.5.
    X, y = truth_table("XOR")
    e = P.exact_hidden_space(X, y, lim=(-0.5, 1.5), n=5)
    np.testing.assert_array_equal(e.h, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(e.z, [0, 1, 1, 0])
    np.testing.assert_array_equal(e.pred, [0, 1, 1, 0])
    assert e.correct == 4
    # the regions: x1 + x2 between 0.5 and 1.5 is class 1 (y = x1 + x2 there, 2 - (x1 + x2)
    # above 1); on the 5 x 5 grid with ticks -0.5, 0, 0.5, 1, 1.5:
    ticks = np.linspace(-0.5, 1.5, 5)
    s = ticks[None, :] + ticks[:, None]
    expected = (np.maximum(s, 0) - 2 * np.maximum(s - 1, 0) > 0.5).astype(int)
    np.testing.assert_array_equal(e.x_regions, expected)
    w, b = P.output_rule(e.U, e.c, e.threshold)
    np.testing.assert_array_equal(P.perceptron(e.h, w, b), e.pred)  # the line in h space


def test_hidden_space_of_many_runs_matches_each_run():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, [0, 3], hidden=2, steps=50, record_every=25)
    hs = P.hidden_space(X, y, runs.W, runs.b, runs.U, runs.c, runs.activation, n=11)
    assert hs.h.shape == (3, 2, 4, 2) and hs.x_regions.shape == (3, 2, 11, 11)
    for t in range(3):
        h, z = runs.forward(t=t)
        np.testing.assert_allclose(hs.h[t], h)
        np.testing.assert_array_equal(hs.pred[t], runs.predictions(t))
        np.testing.assert_array_equal(hs.correct[t], (runs.predictions(t) == y).sum(axis=1))
        for s in range(2):  # a region cell is the network's label at that grid point
            grid = P.grid_points((-0.5, 1.5), (-0.5, 1.5), 11)
            _, zg = P.mlp_forward(
                grid, runs.W[t, s], runs.b[t, s], runs.U[t, s], runs.c[t, s], runs.activation
            )
            np.testing.assert_array_equal(hs.x_regions[t, s].ravel(), (zg > 0).astype(int))


# ---------------------------------------------------------------------- the perceptron rule
def test_perceptron_rule_by_hand_on_and():
    # From w = 0, b = 0, visiting (0,0), (0,1), (1,0), (1,1) in order (targets 0, 0, 0, 1):
    # epoch 1: only (1,1) is wrong (z = 0 gives 0): w = (1, 1), b = 1.
    # epoch 2: (0,0): z = 1 -> 1, wrong: b = 0. (0,1): z = 1, wrong: w = (1, 0), b = -1.
    #          (1,0): z = 0 -> 0, right. (1,1): z = 0 -> 0, wrong: w = (2, 1), b = 0.
    run = P.train_perceptron(*truth_table("AND"), epochs=2)
    np.testing.assert_array_equal(run.mistakes, [1, 3])
    np.testing.assert_array_equal(run.w, [[0, 0], [1, 1], [2, 1]])
    np.testing.assert_array_equal(run.b, [0, 1, 0])


@pytest.mark.parametrize("name", ["AND", "OR", "NAND"])
def test_perceptron_rule_learns_separable_functions(name):
    X, y = truth_table(name)
    run = P.train_perceptron(X, y, epochs=20)
    assert run.converged
    first = int(np.flatnonzero(run.mistakes == 0)[0])
    assert (run.mistakes[first:] == 0).all()  # once right, nothing changes
    np.testing.assert_array_equal(P.perceptron(X, run.w[-1], run.b[-1]), y)


@settings(max_examples=20, deadline=None)
@given(epochs=st.integers(1, 60), lr=st.floats(0.1, 3))
def test_perceptron_rule_never_settles_on_xor(epochs, lr):
    run = P.train_perceptron(*truth_table("XOR"), epochs=epochs, lr=lr)
    assert (run.mistakes >= 1).all()  # no perceptron is right on all four points


# ---------------------------------------------------------------------- plateaus
def test_plateau_losses_against_their_formulas():
    y = truth_table("XOR")[1]  # 0, 1, 1, 0
    assert P.plateau_loss(y, [0, 0, 0, 0]) == pytest.approx(math.log(2), rel=1e-14)
    assert P.plateau_loss(y, [0, 1, 2, 3]) == 0.0
    # (0,0) and (0,1) together (labels 0 and 1): 2 log 2 over 4 points
    assert P.plateau_loss(y, [0, 0, 1, 2]) == pytest.approx(math.log(2) / 2, rel=1e-14)
    # (0,0), (0,1), (1,0) together (one 0, two 1s: p = 2/3): 3 H(2/3) / 4
    expected = (2 * math.log(1.5) + math.log(3)) / 4
    assert P.plateau_loss(y, [0, 0, 0, 1]) == pytest.approx(expected, rel=1e-14)
    assert round(expected, 4) == 0.4774
    with pytest.raises(ValueError, match="one group id per label"):
        P.plateau_loss(y, [0, 1])


def test_hidden_groups():
    h = np.array([[[0.0, 0.0], [1.0, 0.0], [1.001, 0.0], [0.0, -0.0]]])
    np.testing.assert_array_equal(P.hidden_groups(h), [[0, 1, 1, 0]])
    np.testing.assert_array_equal(P.hidden_groups(h, decimals=3), [[0, 1, 2, 0]])


def test_stuck_relu_networks_sit_on_the_predicted_plateaus():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, range(40), hidden=2, steps=1000, lr=0.5)
    e = P.explain_plateaus(runs)
    stuck = ~runs.success()
    assert stuck.any()
    # each stuck network is within a hair of the best loss it can reach from where it is
    np.testing.assert_allclose(runs.losses[-1, stuck], e.predicted[stuck], atol=2e-3)
    assert (runs.losses[-1, stuck] >= e.predicted[stuck] - 1e-9).all()  # a bound, from above
    plateaus = {round(v, 3) for v in e.predicted[stuck]}
    assert plateaus <= {0.347, 0.477, 0.693}
    # the "linear" ones: every unit on for all four points or for none
    h, _ = runs.forward()
    for s in np.flatnonzero(e.kind == "linear"):
        on = h[s] > 0
        assert all(col.all() or not col.any() for col in on.T)


def test_firing_patterns():
    h = np.array([[0.0, 2.0], [1.0, 0.0], [0.5, 2e-4]])
    np.testing.assert_array_equal(P.firing_patterns(h), [[False, True, True], [True, False, False]])
    assert P.firing_patterns(h, threshold=0)[1, 2]


# ---------------------------------------------------------------------- custom starts
def _symmetric(activation, outgoing_equal):
    from nnlib import nn

    net = nn.MLP([2, 2, 1], activation, rng=0)
    net[0].W.data[1] = net[0].W.data[0]
    net[0].b.data[1] = net[0].b.data[0]
    if outgoing_equal:
        net[2].W.data[0, 1] = net[2].W.data[0, 0]
    return net


def test_a_symmetric_start_stays_symmetric_only_with_equal_outgoing_weights():
    X, y = truth_table("XOR")
    net = _symmetric("tanh", outgoing_equal=True)
    P.fit_mlp(net, X, y, steps=300, lr=0.5)
    np.testing.assert_array_equal(net[0].W.data[0], net[0].W.data[1])  # identical gradients
    np.testing.assert_array_equal(net[2].W.data[0, 0], net[2].W.data[0, 1])
    net = _symmetric("tanh", outgoing_equal=False)
    P.fit_mlp(net, X, y, steps=300, lr=0.5)
    assert not np.allclose(net[0].W.data[0], net[0].W.data[1])


def test_an_all_zero_start_gets_no_gradient():
    from nnlib import nn

    X, y = truth_table("XOR")
    for activation in ("relu", "tanh"):
        net = nn.MLP([2, 2, 1], activation, rng=0)
        for p in net.parameters():
            p.data[...] = 0.0
        losses = P.fit_mlp(net, X, y, steps=50, lr=0.5)
        assert all((p.data == 0).all() for p in net.parameters())
        np.testing.assert_allclose(losses, math.log(2), rtol=1e-15)


# ---------------------------------------------------------------------- staircases
def test_staircase_network_hits_the_knots_and_improves_with_width():
    from nnlib import Tensor

    def f(x):
        return np.sin(3 * x) + 0.5 * x

    net = P.staircase_mlp(f, 0.0, np.pi, 12, sharpness=50)
    knots = np.linspace(0, np.pi, 13)
    out = net(Tensor(knots[:, None])).data[:, 0]
    np.testing.assert_allclose(out, f(knots), atol=1e-8)  # each knot is mid-step: tails e^-25
    a = P.approximate(f, 0.0, np.pi, [5, 20, 80])
    assert np.all(np.diff(a.errors) < 0)
    # between knots the staircase is off by at most the rise over one step (|f'| <= 3.5 here)
    for n, err in zip(a.sizes, a.errors):
        assert err <= 3.5 * np.pi / n + 1e-6
    with pytest.raises(ValueError, match="positive integer"):
        P.staircase_mlp(f, 0, 1, 0)


# ---------------------------------------------------------------------- drawing helpers
@settings(max_examples=50, deadline=None)
@given(w1=st.floats(-2, 2), w2=st.floats(-2, 2), b=st.floats(-2, 2))
def test_weight_arrow_starts_on_the_line_and_points_to_the_ones(w1, w2, b):
    w = np.array([w1, w2])
    arrow = P.weight_arrow(w, b, length=0.45)
    if np.linalg.norm(w) == 0:
        assert arrow is None
        return
    if np.linalg.norm(w) < 1e-3:  # the line is far away; rounding dominates there
        return
    start, end = arrow
    assert abs(start @ w + b) <= 1e-9 * (1 + abs(b) + np.abs(w).sum())
    d = end - start
    assert np.linalg.norm(d) == pytest.approx(0.45)
    assert abs(d[0] * w[1] - d[1] * w[0]) < 1e-9  # parallel to w: perpendicular to the line
    assert end @ w + b > 0  # into the half-plane the perceptron labels 1


@settings(max_examples=30, deadline=None)
@given(H=st.integers(2, 8), seed=st.integers(0, 10_000))
def test_hidden_plane_keeps_the_output_rule_exactly(H, seed):
    rng = np.random.default_rng(seed)
    U, c = rng.normal(size=H), float(rng.normal())
    ref = rng.normal(size=(30, H))
    plane = P.hidden_plane(U, c, threshold=0.25, h_ref=ref)
    np.testing.assert_allclose(plane.basis @ plane.basis.T, np.eye(2), atol=1e-12)
    h = rng.normal(size=(50, H))
    np.testing.assert_allclose(plane.coords(h) @ plane.w + plane.b, h @ U + c - 0.25, atol=1e-10)
    if H == 2:
        np.testing.assert_array_equal(plane.coords(h), h)


def test_grid_lines_cover_the_square():
    g = P.grid_lines((0, 1), n_lines=3, n_points=5)
    assert g.shape == (6, 5, 2)
    np.testing.assert_allclose(g[1, :, 1], 0.5)  # second horizontal line: x2 = 0.5
    np.testing.assert_allclose(g[4, :, 0], 0.5)  # second vertical line: x1 = 0.5
    np.testing.assert_allclose(g[0, :, 0], np.linspace(0, 1, 5))


def test_the_full_size_script_reports_what_the_trainer_finds(capsys):
    """scripts/xor_experiments.py (quoted in the chapter), run small: its counts are the
    trainer's own, at each checkpoint."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "xor_experiments.py"
    spec = importlib.util.spec_from_file_location("xor_experiments", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["--steps", "1200", "--seeds", "12", "--widths", "2"])
    rows = {line.split("|")[0].strip(): line for line in capsys.readouterr().out.splitlines()}
    X, y = truth_table("XOR")
    for act in ("relu", "tanh", "sigmoid"):
        runs = P.train_mlps(X, y, range(12), hidden=2, activation=act, steps=1200, record_every=200)
        cells = [int(c) for c in rows[f"2-2-1 {act}"].split("|")[1:3]]
        assert cells == [runs.success(runs.snapshot(1000)).sum(), runs.success().sum()]
