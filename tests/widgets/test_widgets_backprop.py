"""Widgets and figures of the chapter *Training and backpropagation*, tested without a kernel.

ipywidgets observers fire synchronously, so clicking a button or setting a slider runs the
widget's update at once. Every number shown is compared with what nnlib computes directly
(a fresh graph and ``backward()``, ``nnlib.chapters.backprop.error_curve``).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib.chapters import backprop as B
from nnlib.widgets import backprop as W
from nnlib.widgets.diagrams import format_number

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BUDGET_MS = 100  # median CPU time per control change (CHAPTERS.md), as in conftest.py


def shown_labels(stepper) -> dict[str, list[str]]:
    """What each node's box says right now: label -> its text lines."""
    return {
        label: [t.get_text() for t in lines]
        for label, lines in zip(stepper.graph.labels, stepper._lines)
    }


def highlighted(stepper) -> list[str]:
    return [
        label for label, box in zip(stepper.graph.labels, stepper._boxes) if box.get_linewidth() > 2
    ]


# ---------------------------------------------------------------------- the graph stepper
def test_stepper_starts_before_the_forward_pass():
    st = W.graph_stepper()
    assert isinstance(st, widgets.VBox) and st.canvas.image in st.children
    assert st.expression.value == "L = c(a + 2b)"
    assert st.step.value == 0 and st.step.max == 2 * len(st.graph.nodes) == 14
    labels = shown_labels(st)
    assert labels["L"][0] == "L" and labels["e"][0] == "e"  # no value yet
    assert all(lines[1:] in ([], [""]) for lines in labels.values())  # no gradient yet
    assert highlighted(st) == []
    assert "Nothing computed yet" in st.readout.value
    assert bytes(st.canvas.image.value).startswith(PNG_MAGIC)


def test_stepper_forward_then_backward_shows_what_nnlib_computes():
    st = W.graph_stepper()
    ref = B.example_graph(3.0, 1.0, -2.0)  # an independent graph, differentiated directly
    ref.output.backward()
    order = ref.labels  # the topological order the forward pass follows
    n = len(order)
    for k in range(1, n + 1):
        st.next.click()
        r = st.result
        assert r["phase"] == "forward" and r["node"] == order[k - 1]
        labels = shown_labels(st)
        for j, label in enumerate(order):
            node = ref.node(label)
            if node.name is None:  # constants show their value throughout
                continue
            expected = f"{label} = {format_number(node.data)}" if j < k else label
            assert labels[label][0] == expected
        assert highlighted(st) == [order[k - 1]]
    # the forward pass ends with the slides' numbers on the graph
    assert shown_labels(st)["L"][0] == "L = −10" and shown_labels(st)["e"][0] == "e = 5"
    for _ in range(n):
        st.next.click()
    assert st.result["phase"] == "backward" and st.step.value == 2 * n
    labels = shown_labels(st)
    for label, grad in ref.grads().items():
        if grad is not None:
            assert labels[label][1] == f"∂L/∂{label} = {format_number(grad)}"
    assert labels["a"][1] == "∂L/∂a = −2" and labels["b"][1] == "∂L/∂b = −4"
    assert labels["c"][1] == "∂L/∂c = 5"
    st.next.click()  # at the end: nothing more happens
    assert st.step.value == 2 * n


def test_stepper_backward_reveals_gradients_in_reverse_topological_order():
    st = W.graph_stepper()
    n = len(st.graph.nodes)
    st.step.value = n  # the forward pass is done
    seen = []
    for _ in range(n):
        st.next.click()
        have = [lab for lab, lines in shown_labels(st).items() if len(lines) > 1 and lines[1]]
        seen.append(set(have))
    assert all(a <= b for a, b in zip(seen, seen[1:])), "a gradient disappeared"
    assert st.result["node"] == st.graph.labels[0]  # the last step is the first node


def test_stepper_can_start_after_the_forward_pass():
    st = W.graph_stepper(step="forward done")
    assert st.step.value == 7 and st.result["phase"] == "forward" and st.result["node"] == "L"
    assert shown_labels(st)["L"] == ["L = −10", ""]
    assert W.graph_stepper(step="end").step.value == 14
    with pytest.raises(ValueError, match="step must be"):
        W.graph_stepper(step=15)


def test_stepper_back_and_restart():
    st = W.graph_stepper()
    for _ in range(5):
        st.next.click()
    st.back.click()
    assert st.step.value == 4
    st.restart.click()
    assert st.step.value == 0 and "Nothing computed yet" in st.readout.value
    st.back.click()
    assert st.step.value == 0


def test_stepper_inputs_rebuild_the_graph_with_nnlib():
    st = W.graph_stepper()
    st.step.value = st.step.max
    st.inputs["L = c(a + 2b)"]["a"].value = 2.0
    ref = B.example_graph(2.0, 1.0, -2.0)
    ref.output.backward()
    assert st.result["step"] == st.step.max  # the step is kept
    labels = shown_labels(st)
    assert labels["L"][0] == f"L = {format_number(ref.output.data)}"  # -8
    assert labels["c"][1] == f"∂L/∂c = {format_number(ref.node('c').grad)}"  # e = 4


@pytest.mark.parametrize("name", list(B.GRAPHS))
def test_stepper_every_expression_ends_with_backwards_gradients(name):
    st = W.graph_stepper(name)
    assert st.input_boxes[name].layout.display == ""
    assert all(box.layout.display == "none" for k, box in st.input_boxes.items() if k != name)
    st.step.value = st.step.max
    ref = B.GRAPHS[name]()
    ref.output.backward()
    labels = shown_labels(st)
    root = ref.output.name
    for label, grad in ref.grads().items():
        if grad is not None:
            assert labels[label][1] == f"∂{root}/∂{label} = {format_number(grad)}"


def test_stepper_switching_expression_resizes_the_step_range():
    st = W.graph_stepper()
    st.step.value = 14
    st.expression.value = "a two-layer network"
    n = len(B.two_layer_graph().nodes)
    assert st.step.max == 2 * n and st.step.value == 14
    assert st.input_boxes["a two-layer network"].layout.display == ""
    assert st.input_boxes["L = c(a + 2b)"].layout.display == "none"
    st.expression.value = "L = c(a + 2b)"
    assert st.step.max == 14 and st.step.value == 14


def test_stepper_unit_shows_a_minus_y_at_the_sigmoid_input():
    st = W.graph_stepper("a sigmoid unit")
    y_dropdown = st.inputs["a sigmoid unit"]["y"]
    for y in (1.0, 0.0):
        y_dropdown.value = y
        st.step.value = st.step.max
        y_hat = float(st.graph.node("y_hat").data)
        assert shown_labels(st)["z"][1] == f"∂L/∂z = {format_number(y_hat - y)}"


def test_stepper_steps_are_blits_and_fast(fast_path):
    st = W.graph_stepper("a two-layer network")
    fast_path(st, [st.next.click for _ in range(12)])


def test_stepper_new_inputs_that_fit_the_boxes_keep_the_layout():
    """Dragging an input rebuilds the graph with nnlib but, while the numbers fit the boxes,
    keeps the layout: a blit, clearly cheaper than laying the graph out again (timed here, side
    by side, in CPU time) and within the budget."""
    st = W.graph_stepper("a two-layer network")
    st.step.value = st.step.max  # every value and gradient shown
    slider = st.inputs["a two-layer network"]["x1"]
    layouts, blits, n0 = st.layouts, st.canvas.blits, len(st.redraw_cpu_ms)
    values = np.round(np.linspace(0.5, 1.5, 11), 1)  # numbers of about the same width
    for v in values:
        slider.value = float(v)
    assert st.layouts == layouts and st.canvas.blits == blits + len(values)
    assert len(st.redraw_cpu_ms) == n0 + len(values)
    kept = float(np.median(list(st.redraw_cpu_ms)[-len(values) :]))
    relayout = []
    for _ in range(3):
        st._drawn_key = None  # forget the drawn graph: the next update lays it out afresh
        st.update()
        relayout.append(st.redraw_cpu_ms[-1])
    assert st.layouts == layouts + 3
    assert kept < 0.8 * float(np.median(relayout)), (kept, relayout)
    assert kept < BUDGET_MS, f"median {kept:.0f} ms CPU per input change"
    ref = B.two_layer_graph(1.5, 0.5, 1.0)
    ref.output.backward()
    labels = shown_labels(st)
    assert labels["a2"][0] == f"a2 = {format_number(ref.node('a2').data)}"
    assert labels["b1"][1] == f"∂L/∂b1 = {format_number(ref.node('b1').grad)}"


def test_stepper_labels_always_fit_their_boxes():
    """New inputs reuse the drawn boxes when the new numbers fit, else lay the graph out again:
    whichever happens, no label is wider than its box (and both paths are taken here)."""
    st = W.graph_stepper()
    st.step.value = st.step.max
    layouts = st.layouts
    st.inputs["L = c(a + 2b)"]["a"].value = 2.0  # L = -8: no wider than -10, a blit
    assert st.layouts == layouts
    rng = np.random.default_rng(0)
    for _ in range(12):
        name = str(rng.choice(["a", "b", "c"]))
        st.inputs["L = c(a + 2b)"][name].value = float(np.round(rng.uniform(-3, 3), 1))
        renderer = st.fig.canvas.get_renderer()
        for box, lines in zip(st._boxes, st._lines):
            for t in lines:
                assert t.get_window_extent(renderer).width < box.get_window_extent(renderer).width
    assert st.layouts > layouts, "no input change needed a new layout"
    assert st.layouts < layouts + 12, "every input change needed a new layout"


def test_stepper_alt_text_follows_the_step():
    st = W.graph_stepper()
    st.next.click()
    assert "Step 1 of 14" in st.canvas.alt and "c = -2" in st.canvas.alt


def test_stepper_figure_is_the_diagrams_natural_size():
    """The diagram is laid out in inches; the figure must match it so nothing is squeezed."""
    st = W.graph_stepper("a two-layer network")
    (x0, x1), (y0, y1) = st.ax.get_xlim(), st.ax.get_ylim()
    w, h = st.fig.get_size_inches()
    assert (w, h) == pytest.approx((x1 - x0, y1 - y0))


def test_stepper_estimates_label_widths_like_the_renderer():
    """The fit check adds up cached character widths; they must match the drawn text (at
    whatever resolution the stepper draws: font hinting changes widths a little)."""
    st = W.graph_stepper("a two-layer network", step="end")
    renderer = st.fig.canvas.get_renderer()
    for lines in st._lines:
        for t in lines:
            drawn = t.get_window_extent(renderer).width / st.fig.dpi
            estimate = W.text_width(t.get_text(), t.get_fontproperties())
            # within a few per cent, and never narrower by more than the fit check's margin of
            # 0.1 inch (that could let a label overflow its box)
            assert estimate == pytest.approx(drawn, rel=0.05), t.get_text()
            assert estimate > drawn - 0.05, t.get_text()


def test_stepper_picture_is_no_wider_than_the_page():
    st = W.graph_stepper("a two-layer network")
    width_px = st.fig.get_size_inches()[0] * st.fig.dpi
    assert width_px <= W.GraphStepper.MAX_WIDTH_PX + 1
    assert st.canvas.image.layout.width == f"{round(width_px)}px"
    small = W.graph_stepper()  # narrow enough for the full resolution
    assert small.fig.dpi == W.GraphStepper.DPI


def test_stepper_rejects_unknown_expressions():
    with pytest.raises(ValueError, match="unknown expression"):
        W.graph_stepper("L = a b c")


# ---------------------------------------------------------------------- gradient-check explorer
def test_explorer_shows_nnlibs_error_curves():
    ex = W.gradcheck_explorer()
    assert ex.function.value == "sin" and ex.x.value == 1.0
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        ref = B.error_curve("sin", 1.0, dtype)
        measured, trunc, roundoff, best = ex.lines[name]
        np.testing.assert_array_equal(measured.get_xdata(), ref.hs)
        np.testing.assert_array_equal(
            measured.get_ydata(), np.where(ref.errors > 0, ref.errors, np.nan)
        )
        np.testing.assert_allclose(trunc.get_ydata(), ref.truncation)
        assert best.get_xdata()[0] == ref.h_best_measured
        assert f"{ref.h_best_measured:.0e}" in ex.readout.value
    assert bytes(ex.canvas.image.value).startswith(PNG_MAGIC)


@pytest.mark.parametrize("name", list(B.FD_FUNCTIONS))
def test_explorer_function_menu(name):
    ex = W.gradcheck_explorer()
    ex.function.value = name
    ex.x.value = 0.5
    ref = B.error_curve(name, 0.5, np.float32)
    np.testing.assert_array_equal(ex.result["curves"]["float32"].errors, ref.errors)
    assert B.FD_FUNCTIONS[name].label in ex.canvas.alt


def test_explorer_float32_needs_the_larger_step():
    ex = W.gradcheck_explorer()
    c = ex.result["curves"]
    assert c["float32"].h_best_measured > 100 * c["float64"].h_best_measured


def test_explorer_moves_are_blits_and_fast(fast_path):
    ex = W.gradcheck_explorer()
    xs = np.round(np.linspace(-1.5, 1.5, 10), 2)
    fast_path(ex, [lambda v=v: setattr(ex.x, "value", float(v)) for v in xs])


def test_explorer_rejects_unknown_functions():
    with pytest.raises(ValueError, match="unknown function"):
        W.gradcheck_explorer("cosh")


# ---------------------------------------------------------------------- static figures
def test_graph_figure_draws_the_recorded_graph():
    g = B.example_graph()
    fig = W.graph_figure(g)
    assert isinstance(fig, Figure)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"L = −10", "e = 5", "d = 2", "a = 3"} <= texts
    with pytest.raises(ValueError, match="backward"):
        W.graph_figure(g, grads=True)
    g.output.backward()
    texts = {t.get_text() for t in W.graph_figure(g, grads=True).axes[0].texts}
    assert {"∂L/∂a = −2", "∂L/∂b = −4", "∂L/∂c = 5"} <= texts


def test_plot_training_draws_the_run():
    run = B.train_two_layer(B.XOR_X, B.XOR_Y, d_h=3, seed=1, lr=0.5, epochs=20)
    fig = W.plot_training(run)
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), run.losses)
    assert fig.axes[0].get_yscale() == "log"


def test_plot_cross_entropy_draws_nnlibs_loss(readable):
    fig = W.plot_cross_entropy()
    for ax, y in zip(fig.axes, (1, 0)):
        lines = {line.get_label(): line for line in ax.get_lines()}
        ce, neg = lines["−log p  (cross-entropy)"], lines["−p  (negative probability)"]
        y_hat = ce.get_xdata()
        np.testing.assert_allclose(ce.get_ydata(), B.bce_loss(y_hat, y))
        np.testing.assert_allclose(neg.get_ydata(), -(y_hat if y == 1 else 1 - y_hat))
    readable(fig)


def test_plot_error_curves(readable):
    curves = [B.error_curve("cube", 1.0, d) for d in (np.float64, np.float32)]
    fig = W.plot_error_curves(curves)
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(
        lines[0].get_ydata(), np.where(curves[0].errors > 0, curves[0].errors, np.nan)
    )
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    readable(fig)


def test_widgets_module_does_no_math_of_its_own():
    """The module draws what nnlib.chapters.backprop computes: it calls no function of the math
    (exp, log, sin, tanh, sigmoid, a backward pass) and multiplies no matrices itself."""
    import ast
    import inspect

    math = {"exp", "log", "log10", "sin", "cos", "tanh", "sigmoid", "backward", "backward_steps"}
    for node in ast.walk(ast.parse(inspect.getsource(W))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            assert name not in math, f"widgets/backprop.py calls {name}() at line {node.lineno}"
        if isinstance(node, ast.BinOp):
            assert not isinstance(node.op, ast.MatMult), f"a matrix product at line {node.lineno}"
