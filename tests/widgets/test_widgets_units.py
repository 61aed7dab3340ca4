"""Widgets and figures of the chapter *Neural units*, tested without a kernel.

ipywidgets observers fire synchronously, so setting ``slider.value`` runs the widget's update
at once; every displayed value is compared with what nnlib.functional computes directly.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import functional as F
from nnlib.widgets import units
from nnlib.widgets.units import (
    ACTIVATIONS,
    LEAKY_SLOPE,
    activation_gallery,
    format_slope,
    format_sum,
    neuron_explorer,
    plot_activation,
    plot_derivatives,
    plot_step_and_sigmoid,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# The reference functions, straight from nnlib (leaky ReLU with the figures' slope).
REFERENCE = {
    "sigmoid": (F.sigmoid, F.sigmoid_prime),
    "tanh": (F.tanh, F.tanh_prime),
    "relu": (F.relu, F.relu_prime),
    "leaky_relu": (
        lambda z: F.leaky_relu(z, slope=LEAKY_SLOPE),
        lambda z: F.leaky_relu_prime(z, slope=LEAKY_SLOPE),
    ),
    "hardtanh": (F.hardtanh, F.hardtanh_prime),
    "swish": (F.swish, F.swish_prime),
    "gelu": (F.gelu, F.gelu_prime),
}


def unit_z(w, x, b) -> float:
    return float(np.dot(w, x) + b)


def shown(v: float) -> str:
    """A value as the readout prints it: 4 decimals, a true minus sign."""
    text = f"{v:.4f}"
    return "−" + text[1:] if text.startswith("-") else text


def marker_xy(line) -> tuple[float, float]:
    xs, ys = line.get_data()
    assert len(xs) == len(ys) == 1, "a marker is a single point"
    return float(xs[0]), float(ys[0])


# ---------------------------------------------------------------------- neuron explorer
def test_explorer_defaults_reproduce_the_worked_example():
    ex = neuron_explorer()
    assert isinstance(ex, widgets.VBox)
    assert [s.value for s in ex.w_sliders] == [0.2, 0.3, 0.9]
    assert [s.value for s in ex.x_sliders] == [0.5, 0.6, 0.1]
    assert ex.b_slider.value == 0.5
    assert ex.activation.value == "sigmoid"
    assert ex.z == pytest.approx(0.87, abs=1e-12)
    assert ex.y == pytest.approx(float(F.sigmoid(0.87)), abs=1e-12)
    assert round(ex.y, 4) == 0.7047
    assert "0.8700" in ex.readout.value and "0.7047" in ex.readout.value
    # the term-by-term sum of the chapter is spelled out
    assert "0.20·0.50 + 0.30·0.60 + 0.90·0.10 + 0.50" in ex.readout.value
    assert marker_xy(ex.marker) == pytest.approx((0.87, ex.y))
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)
    assert ex.canvas.image in ex.children


@pytest.mark.parametrize(
    "which, index, value",
    [("b", None, -0.37), ("b", None, 4.0), ("w", 0, -2.5), ("w", 2, 1.75), ("x", 1, -3.0)],
)
def test_explorer_slider_changes_z_y_readout_and_marker(which, index, value):
    ex = neuron_explorer()
    before_png = bytes(ex.canvas.image.value)
    before_marker = marker_xy(ex.marker)
    slider = {"b": ex.b_slider, "w": ex.w_sliders[index or 0], "x": ex.x_sliders[index or 0]}[which]
    slider.value = value
    w = [s.value for s in ex.w_sliders]
    x = [s.value for s in ex.x_sliders]
    z = unit_z(w, x, ex.b_slider.value)
    assert ex.z == pytest.approx(z, abs=1e-12)
    assert ex.y == pytest.approx(float(F.sigmoid(z)), abs=1e-12)
    assert shown(z) in ex.readout.value
    assert shown(float(F.sigmoid(z))) in ex.readout.value
    assert "+ -" not in ex.readout.value and "+ −" not in ex.readout.value
    assert marker_xy(ex.marker) == pytest.approx((z, float(F.sigmoid(z))))
    assert marker_xy(ex.marker) != pytest.approx(before_marker)
    assert bytes(ex.canvas.image.value) != before_png, "the picture must change with the point"
    # the guide lines follow the point
    assert ex.vguide.get_xdata()[0] == pytest.approx(z)
    assert ex.hguide.get_ydata()[0] == pytest.approx(ex.y)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_explorer_shows_the_slope_and_the_gradient(name):
    """dy/dw_i = f'(z) x_i and dy/db = f'(z) (the chapter's formula), with f' from nnlib."""
    ex = neuron_explorer(w=(0.5, -1.2, 2.0), b=-0.75, x=(1.5, 0.4, -0.3), activation=name)
    _, fp = REFERENCE[name]
    z = unit_z([0.5, -1.2, 2.0], [1.5, 0.4, -0.3], -0.75)
    slope = float(fp(z))
    assert ex.slope == pytest.approx(slope, abs=1e-12)
    np.testing.assert_allclose(ex.dy_dw, slope * np.array([1.5, 0.4, -0.3]), atol=1e-12)
    assert ex.dy_db == pytest.approx(slope, abs=1e-12)
    assert format_slope(slope) in ex.readout.value
    for g in slope * np.array([1.5, 0.4, -0.3]):
        assert format_slope(g) in ex.readout.value
    assert marker_xy(ex.slope_marker) == pytest.approx((z, slope))
    zs, ps = ex.slope_curve.get_data()
    np.testing.assert_allclose(ps, fp(np.asarray(zs)), atol=1e-12)


def test_explorer_writes_negative_terms_with_proper_signs():
    ex = neuron_explorer(w=(0.2, -1.0, 0.9), b=-2.0, x=(0.5, 0.6, -0.1))
    assert "0.20·0.50 + (−1.00)·0.60 + 0.90·(−0.10) − 2.00" in ex.readout.value
    assert "+ -" not in ex.readout.value and "+ −" not in ex.readout.value
    assert format_sum([1.0], [2.0], 0.0) == "1.00·2.00 + 0.00"


def test_explorer_b_of_minus_037_puts_the_sigmoid_at_one_half():
    ex = neuron_explorer()
    ex.b_slider.value = -0.37  # w·x = 0.37 for the worked example
    assert ex.z == pytest.approx(0.0, abs=1e-12)
    assert ex.y == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_explorer_activation_dropdown_uses_nnlib(name):
    ex = neuron_explorer()
    ex.b_slider.value = -2.0  # z = -1.63: negative, where the activations differ most
    ex.activation.value = name
    f, _ = REFERENCE[name]
    z = unit_z([0.2, 0.3, 0.9], [0.5, 0.6, 0.1], -2.0)
    assert ex.z == pytest.approx(z)
    assert ex.y == pytest.approx(float(f(z)), abs=1e-12)
    # the curve drawn is the chosen activation
    zs, ys = ex.curve.get_data()
    np.testing.assert_allclose(ys, f(np.asarray(zs)), atol=1e-12)
    assert marker_xy(ex.marker) == pytest.approx((z, float(f(z))))
    assert ACTIVATIONS[name].label in ex.ax.get_title()


def test_explorer_view_widens_when_z_leaves_it():
    ex = neuron_explorer()
    assert ex.ax.get_xlim() == pytest.approx((-6, 6))
    for s in [*ex.w_sliders, *ex.x_sliders]:
        s.value = 3.0
    ex.b_slider.value = 5.0  # z = 3 * 9 + 5 = 32
    assert ex.z == pytest.approx(32.0)
    lo, hi = ex.ax.get_xlim()
    assert lo < -32 and hi > 32
    zs, _ = ex.curve.get_data()
    assert zs.min() <= -32 <= 32 <= zs.max()


def test_explorer_rejects_bad_input():
    with pytest.raises(ValueError, match="3 values"):
        neuron_explorer(w=[1.0, 2.0])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        neuron_explorer(activation="softplus")


def test_explorer_redraw_uses_the_fast_path(fast_path):
    ex = neuron_explorer()
    moves = [
        lambda v=v: setattr(ex.b_slider, "value", v) for v in np.round(np.linspace(-1, 1, 10), 2)
    ]
    fast_path(ex, moves)  # z stays inside the view: every update is a blit


def test_explorer_redraws_the_background_when_the_view_changes():
    ex = neuron_explorer()
    full = ex.canvas.full_draws
    ex.activation.value = "relu"  # a new curve: the background must be redrawn, once
    assert ex.canvas.full_draws == full + 1
    ex.b_slider.value = 4.0  # z = 4.37: still inside [-6, 6]
    assert ex.canvas.full_draws == full + 1
    for s in ex.w_sliders:
        s.value = 3.0
    assert ex.z > 5.5 and ex.ax.get_xlim()[1] == 12  # the view widened: a second full draw
    assert ex.canvas.full_draws == full + 2


# ---------------------------------------------------------------------- activation gallery
def test_gallery_shows_every_activation_at_the_default_z():
    g = activation_gallery()
    assert isinstance(g, widgets.VBox)
    assert g.z == 2.0
    assert set(g.values) == set(REFERENCE)
    for name, (f, fp) in REFERENCE.items():
        fz, dz = g.values[name]
        assert fz == pytest.approx(float(f(2.0)), abs=1e-12)
        assert dz == pytest.approx(float(fp(2.0)), abs=1e-12)
        assert marker_xy(g.markers[name]) == pytest.approx((2.0, fz))
        assert marker_xy(g.prime_markers[name]) == pytest.approx((2.0, dz))
        assert format_slope(dz) in g.readout.value
    assert bytes(g.canvas.image.value).startswith(PNG_MAGIC)


@pytest.mark.parametrize("z", [-5.0, -1.5, -0.5, 0.0, 0.75, 4.0, 6.0])
def test_gallery_slider_moves_every_marker(z):
    g = activation_gallery()
    before = bytes(g.canvas.image.value)
    g.z_slider.value = z
    assert g.z == z
    for name, (f, fp) in REFERENCE.items():
        assert g.values[name] == pytest.approx((float(f(z)), float(fp(z))), abs=1e-12)
        assert marker_xy(g.markers[name]) == pytest.approx((z, float(f(z))))
        assert marker_xy(g.prime_markers[name]) == pytest.approx((z, float(fp(z))))
    for line in g.zlines:
        assert line.get_xdata()[0] == pytest.approx(z)
    assert bytes(g.canvas.image.value) != before
    assert f"at z = {z:.2f}" in g.readout.value
    for _, fp in REFERENCE.values():
        assert format_slope(float(fp(z))) in g.readout.value


def test_gallery_flags_saturation_and_dead_units():
    g = activation_gallery()
    g.z_slider.value = 5.0  # sigmoid' = 0.0066, tanh' = 0.00018: saturated; hard tanh flat
    rows = {r.split("</td>")[0].split(">")[-1]: r for r in g.readout.value.split("<tr>")[2:]}
    assert "nearly flat" in rows["sigmoid"] and "nearly flat" in rows["tanh"]
    assert "saturated (flat): no gradient" in rows["hard tanh"]
    assert "flat" not in rows["ReLU"]
    g.z_slider.value = -3.0
    rows = {r.split("</td>")[0].split(">")[-1]: r for r in g.readout.value.split("<tr>")[2:]}
    assert "off: no gradient" in rows["ReLU"]  # ReLU is off (dead if off for every input)
    assert "saturated (flat): no gradient" in rows["hard tanh"]  # flat at -1, not "off"
    assert "flat" not in rows[ACTIVATIONS["leaky_relu"].label]
    # swish'(-3) = s + z s (1 - s) with s = 1 / (1 + e^3): negative, -0.088
    s3 = 1 / (1 + np.exp(3.0))
    assert s3 - 3 * s3 * (1 - s3) == pytest.approx(-0.0881, abs=5e-5)
    assert "negative slope" in rows["swish"] and "−0.0881" in rows["swish"]


def test_gallery_rejects_z_outside_its_range():
    with pytest.raises(ValueError, match="outside z_range"):
        activation_gallery(z=9.0)
    with pytest.raises(ValueError, match="low < high"):
        activation_gallery(z=0.0, z_range=(3, -3))


def test_gallery_redraw_uses_the_fast_path(fast_path):
    g = activation_gallery()
    moves = [
        lambda v=v: setattr(g.z_slider, "value", v) for v in np.round(np.linspace(-3, 3, 10), 2)
    ]
    fast_path(g, moves)


# ---------------------------------------------------------------------- static figures
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_plot_activation_draws_nnlib_values(name):
    fig = plot_activation(name, z_range=(-4, 4), mark=[0.0, 2.0])
    assert isinstance(fig, Figure)
    ax_f, ax_d = fig.axes
    f, fp = REFERENCE[name]
    curve_f, marks_f = ax_f.get_lines()[-2:]
    curve_d, marks_d = ax_d.get_lines()[-2:]
    z = curve_f.get_xdata()
    assert z.min() == -4 and z.max() == 4
    np.testing.assert_allclose(curve_f.get_ydata(), f(z), atol=1e-12)
    np.testing.assert_allclose(curve_d.get_ydata(), fp(z), atol=1e-12)
    np.testing.assert_allclose(marks_f.get_ydata(), f(np.array([0.0, 2.0])), atol=1e-12)
    np.testing.assert_allclose(marks_d.get_ydata(), fp(np.array([0.0, 2.0])), atol=1e-12)


def test_plot_derivatives_and_step():
    fig = plot_derivatives(["sigmoid", "tanh"], mark=[0, 2, 5, 10])
    lines = fig.axes[0].get_lines()[2:]  # after the two zero lines
    sig_curve, sig_marks, tanh_curve, tanh_marks = lines
    np.testing.assert_allclose(sig_marks.get_ydata(), F.sigmoid_prime(np.array([0, 2, 5, 10.0])))
    np.testing.assert_allclose(tanh_marks.get_ydata(), F.tanh_prime(np.array([0, 2, 5, 10.0])))
    fig = plot_step_and_sigmoid(sharpness=(1, 10))
    step_line, s1, s10 = fig.axes[0].get_lines()[2:]
    z = step_line.get_xdata()
    np.testing.assert_array_equal(step_line.get_ydata(), F.step(z))
    np.testing.assert_allclose(s1.get_ydata(), 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(s10.get_ydata(), 1 / (1 + np.exp(-10 * z)), rtol=1e-12)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "step(z)",
        "σ(z)",
        "σ(10z)",
    ]


def test_format_slope():
    assert format_slope(0.0) == "0.0000"
    assert format_slope(1.0) == "1.0000"
    assert format_slope(0.10499358540350652) == "0.1050"
    assert format_slope(4.5395807735951673e-05) == "4.54e-05"
    assert format_slope(-0.0881) == "−0.0881" and format_slope(-2e-5) == "−2.00e-05"


def test_plot_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        plot_activation("softsign")
    with pytest.raises(ValueError, match="low < high"):
        plot_derivatives(["tanh"], z_range=(1, 1))


def test_widgets_module_does_no_math_of_its_own():
    """The widget module wires controls to nnlib: no exp/tanh/maximum/where of its own."""
    import inspect

    source = inspect.getsource(units)
    for forbidden in ["np.exp", "np.tanh", "np.maximum", "np.where", "np.clip", "np.dot", "@ "]:
        assert forbidden not in source, f"widgets/units.py computes with {forbidden}"


@pytest.mark.parametrize("make", [neuron_explorer, activation_gallery])
def test_widget_figures_have_a_caption_and_no_tooltip(make):
    """A tooltip on an Image breaks its view in ipywidgets 8.1's JavaScript (the view reads
    ``description.length`` and Image has no description), so the figure's description is a
    visible caption instead."""
    w = make()
    # (ipywidgets 7, which Colab ships, has no tooltip trait at all.)
    assert getattr(w.canvas.image, "tooltip", None) is None
    assert w.canvas.image.alt == w.canvas.alt and "red dot" in w.canvas.image.alt
    assert w.caption in w.children
    assert "red dot" in w.caption.value
