"""Widgets and figures of chapter 3 (Feedforward networks), tested without a kernel.

ipywidgets observers fire synchronously: setting a control's ``value`` runs the widget's update at
once, so each test moves controls and compares what the widget shows (``.result``, its readout,
its artists) with what nnlib computes directly. Speed: the shared ``fast_path`` check (every
control change a blit, not a full redraw, median CPU time under 100 ms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import functional as F
from nnlib.chapters import feedforward as FF
from nnlib.widgets import feedforward as W

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def explorer():
    return W.feedforward_explorer()


@pytest.fixture(scope="module")
def sentiment():
    return W.sentiment_explorer()


# ---------------------------------------------------------------------- softmax explorer
def test_softmax_explorer_starts_at_the_slides_example():
    ex = W.softmax_explorer()
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)
    p = ex.result["p"]
    np.testing.assert_array_equal(p.round(4), [0.0548, 0.0904, 0.0067, 0.0999, 0.7382, 0.0100])
    assert ex.result["argmax"] == 4 and "0.7382" in ex.readout.value
    bars = [b.get_height() for b in ex.bars.bars.patches]
    np.testing.assert_allclose(bars, p)
    assert "class 5 is the arg max" in ex.canvas.alt


def test_softmax_explorer_follows_the_sliders_and_the_temperature():
    ex = W.softmax_explorer()
    ex.sliders[2].value = 3.2  # z3 level with z5: equal probabilities
    p = ex.result["p"]
    assert p[2] == pytest.approx(p[4])
    ex.T.value = 2.0
    z = np.array([0.6, 1.1, 3.2, 1.2, 3.2, -1.1])
    e = np.exp(z / 2.0)
    np.testing.assert_allclose(ex.result["p"], e / e.sum(), rtol=1e-12)
    # the curve of the watched class (5) is a sigmoid shifted by T log sum_{j != 5} e^{z_j / T}
    m = 2.0 * math.log(sum(math.exp(v / 2.0) for i, v in enumerate(z) if i != 4))
    assert ex.result["shift"] == pytest.approx(m)
    xs, ys = ex.curve.get_data()
    np.testing.assert_allclose(ys, 1 / (1 + np.exp(-(np.asarray(xs) - m) / 2.0)), rtol=1e-9)
    assert ex.dot.get_data()[1][0] == pytest.approx(ex.result["p"][4])


def test_two_logit_mode_is_the_sigmoid():
    ex = W.softmax_explorer()
    ex.mode.value = list(ex.MODES)[1]
    ex.sliders[0].value = 1.5
    assert ex.result["k"] == 2
    np.testing.assert_allclose(ex.result["z"], [1.5, 0.0])
    assert ex.result["p"][0] == pytest.approx(1 / (1 + math.exp(-1.5)))
    assert ex.result["sigmoid"] == pytest.approx(ex.result["p"][0])
    assert all(s.disabled for s in ex.sliders[1:])
    xs, ys = ex.curve.get_data()
    np.testing.assert_allclose(ys, F.sigmoid(np.asarray(xs)), rtol=1e-12)
    ex.mode.value = list(ex.MODES)[0]
    assert ex.result["k"] == 6 and not ex.sliders[1].disabled


def test_softmax_explorer_fast_path(fast_path):
    ex = W.softmax_explorer()
    values = [-2.0, -1.0, 0.0, 1.0, 2.5, 4.0]
    moves = [lambda v=v: setattr(ex.sliders[1], "value", v) for v in values]
    moves += [lambda: setattr(ex.T, "value", 0.5), lambda: setattr(ex.T, "value", 3.0)]
    fast_path(ex, moves)


# ---------------------------------------------------------------------- feedforward explorer
def test_feedforward_explorer_shows_the_trained_snapshot(explorer):
    ex = explorer
    ex.width.value, ex.activation.value = 8, "tanh"
    ex.step.value = ex.step.options[-1]
    run = FF.explorer_runs()[(8, "tanh")]
    r = ex.result
    assert r["width"] == 8 and r["step"] == 1000
    fr = FF.explorer_frame(run, -1, W.LIM, ex.GRID)
    np.testing.assert_array_equal(r["frame"].regions, fr.regions)
    np.testing.assert_array_equal(ex.out_regions.image.get_array(), fr.regions)
    j = r["unit"]
    seg = fr.segments[j]
    xs, ys = ex.selected_line.get_data()
    np.testing.assert_allclose(np.column_stack([xs, ys]), seg)
    np.testing.assert_allclose(np.column_stack([xs, ys]) @ run.W[-1, j] + run.b[-1, j], 0,
                               atol=1e-9)  # fmt: skip
    assert f"accuracy {run.acc[-1]:.1%}" in ex.readout.value
    drawn = sum(len(line.get_data()[0]) > 0 for line in ex.lines)
    assert drawn == sum(s is not None for s in fr.segments)


def test_width_and_unit_controls(explorer):
    ex = explorer
    ex.width.value = 2
    assert [v for _, v in ex.unit.options] == [0, 1]
    assert ex.result["frame"].h_regions is not None  # two units: the output's regions in h
    assert ex.h_regions.image.get_visible()
    ex.unit.value = 1
    run = FF.explorer_runs()[(2, "tanh")]
    np.testing.assert_allclose(ex.result["w"], run.W[-1, 1])
    ex.width.value = 16
    assert len(ex.unit.options) == 16 and ex.unit.value == 1
    assert not ex.h_regions.image.get_visible()
    offsets = np.concatenate([a.get_offsets() for a in ex.h_points.artists])
    H = ex.result["frame"].H[:, list(ex.result["pair"])]
    np.testing.assert_allclose(np.sort(offsets, axis=0), np.sort(H, axis=0))


def test_early_steps_are_worse_than_the_end(explorer):
    ex = explorer
    ex.width.value, ex.activation.value = 8, "sigmoid"
    ex.step.value = 0
    early = ex.result["frame"].acc
    ex.step.value = 1000
    assert ex.result["frame"].acc == 1.0 > early


def test_feedforward_explorer_fast_path(explorer, fast_path):
    ex = explorer
    ex.width.value, ex.activation.value = 8, "tanh"
    steps = list(ex.step.options)[::5]
    fast_path(ex, [lambda s=s: setattr(ex.step, "value", s) for s in steps])


# ---------------------------------------------------------------------- sentiment explorer
def test_sentiment_explorer_shows_features_hidden_units_and_both_models(sentiment):
    ex = sentiment
    models = FF.chapter_models()
    ex.text.value = "No one will be bored, and you will love the ending!"
    r = ex.result["readout"]
    np.testing.assert_array_equal(r.x, models.data.featurize([ex.text.value])[0])
    np.testing.assert_allclose([b.get_height() for b in ex.h_bars.patches], r.h)
    np.testing.assert_allclose(r.h, models.mlp.hidden(r.x)[0])
    p = [b.get_height() for b in ex.p_bars.bars.patches]
    np.testing.assert_allclose(p, [models.logreg.proba(r.x)[0], models.mlp.proba(r.x)[0]])
    assert f"{r.p_mlp:.3f}" in ex.readout.value
    assert "love</span>" in ex.tokens.value and "#0072b2" in ex.tokens.value


def test_picking_an_example_sets_the_text(sentiment):
    ex = sentiment
    example = W.EXAMPLE_SENTENCES[3]
    ex.pick.value = example
    assert ex.text.value == example and ex.result["readout"].text == example
    ex.text.value = ""  # no words at all: every feature is 0, nothing breaks
    np.testing.assert_array_equal(ex.result["readout"].x, np.zeros(6))
    assert ex.error is None


def test_sentiment_explorer_fast_path(sentiment, fast_path):
    ex = sentiment
    texts = ["bad", "bad film", "a good film", "a very good film!", "you will love it",
             "no, I did not love it"]  # fmt: skip
    fast_path(ex, [lambda t=t: setattr(ex.text, "value", t) for t in texts])


# ---------------------------------------------------------------------- static figures
def test_static_figures_draw_nnlibs_numbers():
    fig = W.plot_softmax_example()
    assert isinstance(fig, Figure)
    heights = [p.get_height() for p in fig.axes[1].patches]
    np.testing.assert_allclose(heights, F.softmax(np.array(FF.SLIDE_LOGITS)))
    fig = W.plot_temperature(temperatures=(0.5, 2))
    assert [ax.get_title() for ax in fig.axes] == ["T = 0.5: max 0.96", "T = 2: max 0.45"]
    fig = W.plot_sentiment_accuracies([("a", 0.5), ("b", np.array([0.6, 0.62]))], "validation")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    fig = W.plot_hidden_weights(FF.chapter_models().mlp)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(),
                               FF.chapter_models().mlp.layers()[0].W)  # fmt: skip


def test_deep_vs_wide_figure():
    res = FF.deep_vs_wide({"a": [2, 4, 2], "b": [2, 3, 3, 2]}, [0, 1], n_train=40, n_valid=20,
                          n_test=30, steps=3)  # fmt: skip
    fig = W.plot_deep_vs_wide(res, n=21)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_title() == f"a\n{FF.n_params([2, 4, 2])} parameters"
