"""Widgets of chapter 7 (Optimisation), tested without a kernel.

ipywidgets observers fire synchronously: setting a control's ``value`` (or calling a button's
handler) runs the widget's update at once, so each test moves controls and compares what the
widget displays (``.result``, the artists, the readout) with what nnlib.chapters.optimization
computes directly. Speed: every control change must blit, never redraw the whole figure, within
the budget of CPU time (``fast_path`` in tests/widgets/conftest.py).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

from nnlib.chapters import optimization as O
from nnlib.widgets import optimization as W

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def nearest(options, value):
    return min(options, key=lambda o: abs(o - value))


# ---------------------------------------------------------------------- trajectory explorer
@pytest.fixture
def explorer():
    return W.trajectory_explorer()


def test_explorer_shows_nnlibs_path(explorer):
    ex = explorer
    assert isinstance(ex, widgets.Widget)
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)
    assert ex.canvas.image.alt and "ravine" in ex.canvas.image.alt
    direct = O.descend("ravine", "sgd", lr=0.9, steps=200, start=O.SURFACES["ravine"].start)
    np.testing.assert_array_equal(ex.result["path"], direct.path[:, 0])
    xs, ys = ex.path_line.get_data()
    np.testing.assert_array_equal(np.column_stack([xs, ys]), direct.path[:, 0])
    # the loss panel shows L - (lowest L), and the ravine's lowest L is 0
    np.testing.assert_allclose(ex.loss_line.get_data()[1], np.maximum(direct.loss[:, 0], 1e-12))


def test_explorer_reports_divergence_above_two_over_lambda_max(explorer):
    ex = explorer
    ex.lr.value = nearest(ex.lr.options, 1.5)  # above 2 / lambda_max = 1 on the ravine
    assert ex.result["diverged_at"] is not None
    assert "diverged" in ex.readout.value and ex.error is None  # a result, not an error
    ex.lr.value = nearest(ex.lr.options, 0.5)
    assert ex.result["diverged_at"] is None


def test_explorer_surface_change_moves_the_sliders_and_redraws(explorer):
    ex = explorer
    ex.surface_menu.value = "saddle"
    s = O.SURFACES["saddle"]
    assert (ex.start_x.value, ex.start_y.value) == pytest.approx(s.start)
    assert (ex.start_x.min, ex.start_x.max) == s.xlim and ex.lr.value == s.lr
    assert ex.result["surface"] == "saddle"
    np.testing.assert_allclose(ex.result["path"][0], s.start)
    assert ex.canvas.full_draws == 2  # new contours: one full redraw, once
    ex.optimizer_menu.value = "adam"
    assert ex.canvas.full_draws == 2
    direct = O.descend("saddle", "adam", lr=s.lr, steps=200)
    np.testing.assert_allclose(ex.result["path"], direct.path[:, 0])
    assert "ends at the minimum" in ex.readout.value


def test_explorer_momentum_slider_only_for_momentum(explorer):
    ex = explorer
    assert ex.momentum.disabled
    ex.optimizer_menu.value = "momentum"
    assert not ex.momentum.disabled
    ex.momentum.value = 0.5
    direct = O.descend("ravine", "momentum", lr=0.9, momentum=0.5, steps=200)
    np.testing.assert_allclose(ex.result["path"], direct.path[:, 0])


def test_explorer_noise_is_reproducible(explorer):
    ex = explorer
    ex.noise.value = 0.5
    first = ex.result["path"].copy()
    ex.noise.value = 0.0
    ex.noise.value = 0.5
    np.testing.assert_array_equal(ex.result["path"], first)


def test_explorer_updates_use_the_fast_path(explorer, fast_path):
    ex = explorer
    moves = [
        lambda: setattr(ex.lr, "value", nearest(ex.lr.options, 0.3)),
        lambda: setattr(ex.optimizer_menu, "value", "momentum"),
        lambda: setattr(ex.momentum, "value", 0.8),
        lambda: setattr(ex.optimizer_menu, "value", "adam"),
        lambda: setattr(ex.start_x, "value", -2.0),
        lambda: setattr(ex.start_y, "value", 1.0),
        lambda: setattr(ex.noise, "value", 0.3),
    ]
    fast_path(ex, moves)


# ---------------------------------------------------------------------- training playground
@pytest.fixture
def playground():
    return W.training_playground("circle", pretrain=100, hidden=(8,))


def test_playground_starts_trained_and_draws_the_engine_state(playground):
    pg = playground
    assert pg.result["step"] == 100  # pretrained, so the static page shows a learned network
    np.testing.assert_allclose(pg.result["probabilities"], pg.pg.probabilities())
    np.testing.assert_allclose(pg.regions.image.get_array(), pg.pg.probabilities())
    xs, ys = pg.curves.lines["train"].get_data()
    np.testing.assert_array_equal(xs, pg.pg.history["step"])
    np.testing.assert_array_equal(ys, pg.pg.history["train_loss"])
    assert "step 100" in pg.readout.value and "test" in pg.readout.value
    assert "step 100" in pg.canvas.image.alt


def test_playground_step_and_train_buttons(playground):
    pg = playground
    pg.step_button.click()
    assert pg.result["step"] == 110
    n = len(pg.redraw_cpu_ms)
    pg.train_button.click()  # 200 steps, one redraw after every 10
    assert pg.result["step"] == 310 and len(pg.redraw_cpu_ms) == n + 20
    pg.reset_button.click()
    assert pg.result["step"] == 0
    for _ in range(12):
        pg.step_button.click()
    # the same run as the engine alone: the widget adds nothing to the arithmetic (after a
    # reset the widget's run starts from the same seed, without the 100 pretraining steps)
    alone = O.Playground("circle", hidden=(8,))
    for _ in range(12):
        alone.train(10)
    assert pg.result["step"] == 120
    assert pg.result["history"]["train_loss"][-1] == pytest.approx(alone.history["train_loss"][-1])


def test_playground_setting_change_restarts_and_reset_button(playground):
    pg = playground
    pg.dataset.value = "xor"
    assert pg.result["step"] == 0 and pg.pg.dataset == "xor"
    pg.width.value = 4
    pg.layers.value = 3
    assert pg.pg.hidden == (4, 4, 4) and "2-4-4-4-1" in pg.title.get_text()
    pg.step_button.click()
    assert pg.result["step"] == 10
    pg.reset_button.click()
    assert pg.result["step"] == 0


def test_playground_divergence_is_a_clear_message():
    pg = W.training_playground("spiral", pretrain=0, optimizer="sgd", lr=1e200)
    pg.step_button.click()
    assert pg.error is not None
    assert "diverged at step" in pg.error and "Lower the learning rate" in pg.error
    assert "Cannot show this setting" in pg.readout.value
    pg.lr.value = 0.03  # a new setting starts again, and the error goes away
    assert pg.error is None and pg.result["step"] == 0


def test_playground_warns_when_the_loss_climbs():
    pg = W.training_playground("spiral", pretrain=0, optimizer="sgd", lr=10.0, scheme="normal")
    for _ in range(10):
        pg.step_button.click()
    if pg.pg.unstable:  # the engine's own verdict decides what the readout must say
        assert "learning rate is probably too high" in pg.readout.value
    else:
        assert "too high" not in pg.readout.value
    # with a sensible rate the loss falls and there is no warning
    pg.lr.value = 0.03
    pg.optimizer.value = "adam"
    pg.scheme.value = "he"
    for _ in range(5):
        pg.step_button.click()
    assert not pg.pg.unstable and "too high" not in pg.readout.value


def test_playground_training_ticks_use_the_fast_path(playground, fast_path):
    pg = playground
    moves = [pg.step_button.click for _ in range(8)]
    fast_path(pg, moves)  # a chunk of 10 steps plus a blit: well under 100 ms of CPU


def test_playground_settings_use_the_fast_path(playground, fast_path):
    pg = playground
    moves = [
        lambda: setattr(pg.lr, "value", 0.01),
        lambda: setattr(pg.optimizer, "value", "momentum"),
        lambda: setattr(pg.activation, "value", "tanh"),
        lambda: setattr(pg.scheme, "value", "xavier"),
        lambda: setattr(pg.batch, "value", 50),
        lambda: setattr(pg.schedule, "value", "cosine"),
    ]
    fast_path(pg, moves)


# ---------------------------------------------------------------------- layer explorer
def test_layer_explorer_matches_layer_statistics_and_theory():
    le = W.layer_explorer("he", "relu", depth=12, width=64)
    direct = O.layer_statistics("he", "relu", depth=12, width=64, n=64, rng=0)
    np.testing.assert_allclose(le.result["stats"].grad_rms, direct.grad_rms)
    np.testing.assert_allclose(le.g_line.get_data()[1], direct.grad_rms)
    assert le.result["predicted"] == 1.0
    le.scheme.value = "pytorch"
    assert le.result["factor"] == pytest.approx(1 / 6, rel=0.15)
    assert "theory for ReLU: 0.167" in le.readout.value
    le.activation.value = "tanh"
    assert le.result["predicted"] is None and "theory" not in le.readout.value


def test_layer_explorer_uses_the_fast_path(fast_path):
    le = W.layer_explorer(depth=10, width=64)
    moves = [
        lambda: setattr(le.scheme, "value", "he"),
        lambda: setattr(le.scheme, "value", "lecun"),
        lambda: setattr(le.activation, "value", "tanh"),
        lambda: setattr(le.depth, "value", 20),
        lambda: setattr(le.weights, "value", "uniform"),
    ]
    fast_path(le, moves)


# ---------------------------------------------------------------------- static figures
def test_static_figures_draw(readable):
    X, y = O.Playground("moons", n=40).X, O.Playground("moons", n=40).y
    run = O.train_planar(X, y, [2, 4, 1], steps=5)
    opt = O.optim.SGD([O.Parameter(np.zeros(1))], lr=0.1)
    figs = [
        W.plot_paths([("ravine", {"SGD": O.descend("ravine", steps=10)})]),
        W.plot_basins([("GD", O.basins("wells", n=5, steps=20))]),
        W.plot_planar_runs([run], X, y, ["a run"]),
        W.plot_architectures([("wide", [2, 128, 1]), ("deep", [2, 8, 8, 8, 1])]),
        W.plot_schedules(
            {"constant": [0.1] * 400, "cosine": O.optim.CosineLR(opt, 400).rates(400)}
        ),
    ]
    for fig in figs:
        readable(fig)
