"""Widgets of chapter 2 (Perceptrons and the XOR problem), tested without a kernel.

ipywidgets observers fire synchronously: setting a control's ``value`` runs the widget's update
at once, so each test moves controls and compares what the widget displays (``.result``, its
status text, its PNG) with what nnlib.chapters.xor computes directly.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

from nnlib.chapters import xor as P
from nnlib.data import truth_table
from nnlib.widgets.xor import perceptron_explorer, xor_hidden_space

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def hidden_space():
    return xor_hidden_space(seeds=(0, 3), steps=300, record_every=10)


# ---------------------------------------------------------------------- perceptron explorer
def test_explorer_is_a_widget_with_an_image():
    ex = perceptron_explorer()
    assert isinstance(ex, widgets.Widget)
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)
    assert ex.canvas.image.alt  # the figure's description for screen readers
    assert ex.canvas.image.tooltip is None  # a tooltip breaks Image views in ipywidgets 8.1


def test_explorer_initial_view_is_xor_three_of_four():
    ex = perceptron_explorer()  # XOR with w = (1, 1), b = -0.5: outputs 0, 1, 1, 1
    assert ex.result["function"] == "XOR"
    np.testing.assert_array_equal(ex.result["outputs"], [0, 1, 1, 1])
    assert ex.result["count"] == 3
    assert "3/4 correct" in ex.readout.value
    np.testing.assert_array_equal(ex.result["correct"], [True, True, True, False])


def test_explorer_and_or_reach_four_with_the_book_weights():
    ex = perceptron_explorer("AND", 1.0, 1.0, -1.0)
    assert ex.result["count"] == 4 and "4/4 correct" in ex.readout.value
    ex.function.value = "OR"
    assert ex.result["count"] == 2  # b = -1 is AND's bias: OR's (0,1), (1,0) come out 0
    ex.b.value = 0.0
    assert ex.result["count"] == 4
    np.testing.assert_array_equal(ex.result["outputs"], truth_table("OR")[1])


def test_explorer_controls_change_what_is_displayed():
    ex = perceptron_explorer("AND", 1.0, 1.0, -1.0)
    png_before = ex.canvas.image.value
    ex.b.value = 0.5  # every point now has w . x + b > 0: outputs all 1, only (1, 1) right
    assert ex.result["count"] == 1
    np.testing.assert_array_equal(ex.result["outputs"], [1, 1, 1, 1])
    assert "1/4 correct" in ex.readout.value
    assert ex.canvas.image.value != png_before
    # The drawn artists follow: three crosses on the wrong points, the line on the boundary.
    np.testing.assert_array_equal(ex.wrong.get_offsets(), truth_table("AND")[0][:3])
    xs, ys = ex.line.get_data()
    np.testing.assert_allclose(np.asarray(xs) + np.asarray(ys) + 0.5, 0, atol=1e-12)
    # The shaded regions are the perceptron's outputs on the grid.
    np.testing.assert_array_equal(ex.regions.image.get_array(), ex.result["regions"])


def test_explorer_vertical_boundary_and_no_boundary():
    ex = perceptron_explorer("OR", 1.0, 0.0, -0.5)  # x1 > 0.5: a vertical line
    xs, _ = ex.line.get_data()
    np.testing.assert_allclose(xs, [0.5, 0.5])
    ex.w1.value = 0.0  # w = 0: no line, the whole plane is one side
    assert ex.result["segment"] is None
    assert len(ex.line.get_data()[0]) == 0
    assert ex.result["regions"].min() == ex.result["regions"].max() == 0


@pytest.mark.slow
def test_explorer_xor_never_reaches_four_over_the_slider_grid():
    ex = perceptron_explorer("XOR")
    seen = set()
    values = np.arange(-2.0, 2.01, 1.0)  # w = (1, 1), b = 0 (OR) gets 3 of the XOR points
    for w1 in values:
        ex.w1.value = float(w1)
        for w2 in values:
            ex.w2.value = float(w2)
            for b in values:
                ex.b.value = float(b)
                seen.add(ex.result["count"])
                assert ex.result["count"] == P.count_correct(*truth_table("XOR"), [w1, w2], b)
    assert max(seen) == 3  # 3/4 is reached, 4/4 never
    assert "4/4" not in ex.readout.value


def test_explorer_redraw_uses_the_fast_path(fast_path):
    ex = perceptron_explorer()
    moves = [lambda b=b: setattr(ex.b, "value", b) for b in np.round(np.linspace(-1.5, 1.5, 12), 1)]
    moves += [lambda f=f: setattr(ex.function, "value", f) for f in ("AND", "OR", "XOR")]
    fast_path(ex, moves)


def test_explorer_rejects_unknown_function():
    with pytest.raises(KeyError, match="unknown truth table"):
        perceptron_explorer("XNOR")


# ---------------------------------------------------------------------- hidden space
def test_hidden_space_exact_network(hidden_space):
    hs = hidden_space
    hs.network.value = "exact"
    np.testing.assert_array_equal(hs.result["h"], [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(hs.result["z"], [0, 1, 1, 0])
    assert hs.result["correct"] == 4 and "4/4 correct" in hs.readout.value
    assert hs.step.disabled
    # In h space the output line h1 - 2 h2 = 0.5 separates the classes.
    seg = hs.result["segment"]
    np.testing.assert_allclose(seg @ P.XOR_U[0] - 0.5, 0, atol=1e-12)


def test_hidden_space_slider_moves_the_learned_points(hidden_space):
    hs = hidden_space
    hs.network.value = 0
    assert not hs.step.disabled
    runs = hs.runs
    shown = {}
    for step in (0, 100, 300):
        hs.step.value = step
        t = list(runs.recorded).index(step)
        h, z = runs.forward(t=t)
        np.testing.assert_allclose(hs.result["h"], h[0])
        np.testing.assert_allclose(hs.result["z"], z[0])
        assert hs.result["step"] == step
        assert f"step {step}" in hs.h_title.get_text()
        np.testing.assert_allclose(
            np.vstack([a.get_offsets() for a in hs.h_points.artists]),
            np.vstack([h[0][runs.y == 0], h[0][runs.y == 1]]),
        )
        shown[step] = hs.result["h"].copy()
    assert not np.allclose(shown[0], shown[300])  # the hidden points moved while learning


def test_hidden_space_success_and_stuck_seeds(hidden_space):
    hs = hidden_space
    labels = [label for label, _ in hs.network.options]
    hs.network.value = 0
    hs.step.value = int(hs.runs.recorded[-1])
    assert hs.result["correct"] == 4 and "solves XOR" in labels[1]
    hs.network.value = 1  # seed 3: one hidden unit is dead from the start
    assert hs.result["correct"] < 4 and "gets stuck" in labels[2]
    assert hs.runs.dead_units()[1] == 1


def test_hidden_space_redraw_uses_the_fast_path(hidden_space, fast_path):
    hs = hidden_space
    hs.network.value = 0
    hs.step.value = 0
    moves = [lambda t=t: setattr(hs.step, "value", int(t)) for t in hs.runs.recorded[1::3]]
    fast_path(hs, moves)  # one seed's snapshots share the axes: blits only


def test_hidden_space_redraws_the_background_for_new_axes(hidden_space):
    hs = hidden_space
    hs.network.value = "exact"
    full = hs.canvas.full_draws
    hs.network.value = 1  # another network: other h-space limits, new ticks
    assert hs.canvas.full_draws == full + 1
    assert hs.ax_h.get_xlim() == pytest.approx(hs.result["h_lim"])


# ---------------------------------------------------------------------- static figures
def test_plot_boundaries_titles_report_counts():
    from nnlib.widgets.xor import plot_boundaries

    fig = plot_boundaries([("AND", (1, 1), -1), ("OR", (1, 1), 0), ("XOR", (1, 1), -0.5)])
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 3
    assert "4/4 correct" in titles[0] and "4/4 correct" in titles[1]
    assert "3/4 correct" in titles[2]


def test_plot_hidden_spaces_marks_dead_units_and_counts():
    from nnlib.widgets.xor import plot_hidden_spaces

    runs = P.train_mlps(*truth_table("XOR"), [0, 3], hidden=2, steps=300)
    fig = plot_hidden_spaces(runs, [0, 1])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "seed 0: 4/4 correct"
    assert titles[1].startswith("seed 3: ") and "4/4" not in titles[1]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert "1 dead unit" in texts
    assert "1 dead unit" not in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="hidden=2"):
        plot_hidden_spaces(P.train_mlps(*truth_table("XOR"), [0], hidden=3, steps=1), [0])


def test_plot_loss_curves_draws_every_seed():
    from nnlib.widgets.xor import plot_loss_curves

    runs = P.train_mlps(*truth_table("XOR"), range(5), hidden=2, steps=50)
    fig = plot_loss_curves(runs, highlight=[1])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 5 + 1 + 1  # every seed, the highlighted one again, the log 2 line
    np.testing.assert_allclose(lines[5].get_ydata(), runs.losses[:, 1])
