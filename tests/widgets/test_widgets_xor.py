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
from nnlib.widgets.xor import format_line, perceptron_explorer, xor_hidden_space

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def hidden_space():
    return xor_hidden_space(seeds=(0, 3), steps=300, record_every=10)


def network_of(hs):
    """The shown network's parameters, looked up independently of the widget's compute()."""
    runs = P.train_mlps(
        hs.X,
        hs.y,
        [hs.seed.value],
        hidden=hs.width.value,
        activation=hs.activation.value,
        steps=300,
        record_every=10,
    )
    t = list(runs.recorded).index(hs.step.value)
    return runs, t


# ---------------------------------------------------------------------- perceptron explorer
def test_explorer_is_a_widget_with_an_image():
    ex = perceptron_explorer()
    assert isinstance(ex, widgets.Widget)
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)
    assert ex.canvas.image.alt  # the figure's description for screen readers
    # A tooltip breaks Image views in ipywidgets 8.1 (ipywidgets 7 has no tooltip trait).
    assert getattr(ex.canvas.image, "tooltip", None) is None


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


@pytest.mark.parametrize("w1, w2, b", [(1.0, 1.0, -0.5), (-2.0, 0.5, 0.3), (0.0, 1.0, -1.5)])
def test_explorer_draws_the_weight_vector_into_the_ones(w1, w2, b):
    ex = perceptron_explorer("OR", w1, w2, b)
    (x0, y0), (x1, y1) = ex.result["arrow"]
    start, end = np.array([x0, y0]), np.array([x1, y1])
    w = np.array([w1, w2])
    assert start @ w + b == pytest.approx(0, abs=1e-9)  # it starts on the boundary
    d = end - start
    assert d[0] * w[1] - d[1] * w[0] == pytest.approx(0, abs=1e-9)  # along w, perpendicular
    assert P.perceptron(end[None, :], w, b)[0] == 1  # and ends on the side labelled 1
    assert ex.arrow.get_visible()
    np.testing.assert_allclose(ex.arrow._posA_posB, [tuple(start), tuple(end)])
    assert ex.arrow in ex.canvas.blitter.moving  # redrawn by blitting, like the line
    ex.w1.value, ex.w2.value = 0.0, 0.0
    assert ex.result["arrow"] is None and not ex.arrow.get_visible()


def test_format_line_reads_like_algebra():
    assert format_line([1, 1], -0.5) == "x₁ + x₂ − 0.5 = 0"
    assert format_line([-2, 0.5], 0.3) == "−2x₁ + 0.5x₂ + 0.3 = 0"
    assert format_line([0, 1], 0) == "x₂ = 0"
    assert format_line([0, 0], 1) == "1 = 0"
    assert format_line([1, -1], 0) == "x₁ − x₂ = 0"


def test_explorer_rejects_unknown_function():
    with pytest.raises(KeyError, match="unknown truth table"):
        perceptron_explorer("XNOR")


# ---------------------------------------------------------------------- hidden space
def test_hidden_space_exact_network(hidden_space):
    hs = hidden_space
    hs.network.value = "exact"
    np.testing.assert_array_equal(hs.result["h"], [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(hs.result["p"], hs.result["h"])  # 2 units: the plane is h
    np.testing.assert_array_equal(hs.result["z"], [0, 1, 1, 0])
    assert hs.result["correct"] == 4 and "4/4 correct" in hs.readout.value
    assert hs.step.disabled and hs.seed.disabled
    # In h space the output line h1 - 2 h2 = 0.5 separates the classes.
    seg = hs.result["segment"]
    np.testing.assert_allclose(seg @ P.XOR_U[0] - 0.5, 0, atol=1e-12)
    # The folded grid: every input point x goes to h = ReLU(x W^T + b); both units see x1 + x2,
    # so the whole plane lands on the bent line h = (ReLU(s), ReLU(s - 1)), s = x1 + x2.
    lines = hs.result["lines"]
    s_ = P.grid_lines().sum(axis=-1)
    np.testing.assert_allclose(lines[..., 0], np.maximum(s_, 0))
    np.testing.assert_allclose(lines[..., 1], np.maximum(s_ - 1, 0))
    drawn = np.array(hs.h_mesh.get_segments())
    np.testing.assert_allclose(drawn, lines)


def test_hidden_space_slider_moves_the_learned_points(hidden_space):
    hs = hidden_space
    hs.network.value = "trained"
    hs.activation.value, hs.width.value, hs.seed.value = "relu", 2, 0
    assert not hs.step.disabled
    shown = {}
    for step in (0, 100, 300):
        hs.step.value = step
        runs, t = network_of(hs)
        h, z = runs.forward(t=t)
        np.testing.assert_allclose(hs.result["h"], h[0])
        np.testing.assert_allclose(hs.result["z"], z[0])
        assert hs.result["step"] == step
        assert f"step {step}" in hs.h_title.get_text()
        assert hs.result["loss"] == pytest.approx(runs.losses[step, 0])
        shown[step] = hs.result["h"].copy()
    assert not np.allclose(shown[0], shown[300])  # the hidden points moved while learning


@pytest.mark.parametrize("activation, width", [("tanh", 3), ("sigmoid", 8), ("relu", 4)])
def test_hidden_space_any_units_and_width(hidden_space, activation, width):
    hs = hidden_space
    hs.network.value = "trained"
    hs.activation.value, hs.width.value, hs.seed.value = activation, width, 3
    hs.step.value = 200
    runs, t = network_of(hs)
    h, z = runs.forward(t=t)
    np.testing.assert_allclose(hs.result["h"], h[0], atol=1e-12)
    assert hs.result["h"].shape == (4, width)
    # the picture keeps the output rule exactly: the line's side is the network's decision
    plane = P.hidden_plane(runs.U[t, 0], runs.c[t, 0], 0.0, h_ref=None)
    side = hs.result["p"] @ plane.w + plane.b
    np.testing.assert_allclose(side, z[0], atol=1e-9)
    np.testing.assert_array_equal(hs.result["pred"], (z[0] > 0).astype(int))
    # the input-space regions are the network's decisions on the grid
    grid = P.grid_points((-0.5, 1.5), (-0.5, 1.5), hs.GRID)
    _, zg = P.mlp_forward(grid, runs.W[t, 0], runs.b[t, 0], runs.U[t, 0], runs.c[t, 0], activation)
    np.testing.assert_array_equal(hs.result["x_regions"].ravel(), (zg > 0).astype(int))
    assert hs.runs.activation == activation and hs.runs.W.shape[-2] == width
    if width > 2:
        assert "U·h" in hs.ax_h.get_xlabel()


def test_hidden_space_trains_each_setting_once(hidden_space):
    hs = hidden_space
    hs.network.value = "trained"
    hs.activation.value, hs.width.value = "tanh", 2
    first = hs.runs
    hs.activation.value = "relu"
    hs.activation.value = "tanh"
    assert hs.runs is first


def test_hidden_space_reuses_given_runs_and_reports_dead_units():
    X, y = truth_table("XOR")
    runs = P.train_mlps(X, y, [0, 3], hidden=2, steps=300, record_every=10)
    hs = xor_hidden_space(runs=runs, steps=300)
    assert hs.runs is runs
    hs.network.value = "trained"
    hs.seed.value = 3  # one hidden unit is dead from the start
    assert hs.result["correct"] < 4 and hs.result["dead"] == 1
    assert "1 dead unit" in hs.readout.value
    hs.seed.value = 0
    assert hs.result["correct"] == 4 and "dead" not in hs.readout.value
    with pytest.raises(ValueError, match="steps"):
        xor_hidden_space(runs=runs, steps=1000)


def test_hidden_space_redraw_uses_the_fast_path(hidden_space, fast_path):
    hs = hidden_space
    hs.network.value = "trained"
    hs.activation.value, hs.width.value, hs.seed.value = "relu", 2, 0
    hs.step.value = 0
    moves = [lambda t=t: setattr(hs.step, "value", int(t)) for t in hs.runs.recorded[1::3]]
    fast_path(hs, moves)  # one seed's snapshots share the axes: blits only


def test_hidden_space_redraws_the_background_for_new_axes(hidden_space):
    hs = hidden_space
    hs.network.value = "exact"
    full = hs.canvas.full_draws
    hs.network.value = "trained"  # another network: other h-space limits, new ticks
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


def test_plot_hidden_spaces_marks_dead_units_and_counts(readable):
    from nnlib.widgets.xor import plot_hidden_spaces

    runs = P.train_mlps(*truth_table("XOR"), [0, 3], hidden=2, steps=300)
    fig = plot_hidden_spaces(runs, [0, 1])
    labels = readable(fig)  # every label inside the figure, none overlapping another
    assert "(0,0), (0,1), (1,0)" in labels  # seed 3: three inputs share one hidden point
    assert "(0,1), (1,0)" in labels  # seed 0: the two class-1 inputs share one
    for ax in fig.axes:  # no marker hides another: every drawn point has its own place
        drawn = np.vstack([c.get_offsets() for c in ax.collections[:2]])
        assert len(drawn) == 4
        assert len({tuple(np.round(p, 6)) for p in drawn}) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "seed 0: 4/4 correct"
    assert titles[1].startswith("seed 3: ") and "4/4" not in titles[1]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert "1 dead unit" in texts
    assert "1 dead unit" not in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="hidden=2"):
        plot_hidden_spaces(P.train_mlps(*truth_table("XOR"), [0], hidden=3, steps=1), [0])


def test_plot_staircase_titles_report_errors():
    from nnlib.widgets.xor import plot_staircase

    a = P.approximate(np.sin, 0.0, np.pi, [4, 16])
    fig = plot_staircase(a)
    assert [ax.get_title() for ax in fig.axes] == [
        f"4 hidden units: max error {a.errors[0]:.2f}",
        f"16 hidden units: max error {a.errors[1]:.2f}",
    ]
    np.testing.assert_allclose(fig.axes[1].get_lines()[-1].get_ydata(), a.outputs[1])


def test_plot_loss_curves_draws_every_seed():
    from nnlib.widgets.xor import plot_loss_curves

    runs = P.train_mlps(*truth_table("XOR"), range(5), hidden=2, steps=50)
    fig = plot_loss_curves(runs, highlight=[1])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 5 + 1 + 1  # every seed, the highlighted one again, the log 2 line
    np.testing.assert_allclose(lines[5].get_ydata(), runs.losses[:, 1])
