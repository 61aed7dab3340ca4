"""Diagrams (nnlib.widgets.diagrams): the numbers they show come from their sources (chapter 1's
worked example, the exact XOR network, the computation graph of L = c(a + 2b)), every label is
readable (inside the figure, no overlaps), and bad input fails clearly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from nnlib import Tensor
from nnlib.widgets.canvas import ACCENT, figure
from nnlib.widgets.diagrams import (
    format_number,
    graph_diagram,
    graph_layout,
    network_diagram,
    unit_diagram,
)


def texts_of(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_text().strip()]


# ---------------------------------------------------------------------- numbers
def test_format_number():
    assert format_number(0.87) == "0.87"
    assert format_number(-2.0) == "−2"  # a true minus sign
    assert format_number(-0.0) == "0" and format_number(-1e-9, decimals=2) == "0.00"
    assert format_number(1 / (1 + math.exp(-0.87)), decimals=2) == "0.70"
    assert format_number(np.array([1.0, -2.0])) == "[1, −2]"
    assert format_number(np.zeros((3, 4))) == "shape 3×4"


# ---------------------------------------------------------------------- a unit
def test_unit_diagram_shows_the_worked_example(readable):
    # Chapter 1 (after the Jurafsky & Martin slides): w = [0.2, 0.3, 0.9], b = 0.5,
    # x = [0.5, 0.6, 0.1]; by hand z = 0.10 + 0.18 + 0.09 + 0.5 = 0.87, y = σ(0.87) = 0.70.
    z = 0.5 * 0.2 + 0.6 * 0.3 + 0.1 * 0.9 + 0.5
    y = 1 / (1 + math.exp(-z))
    assert round(z, 2) == 0.87 and round(y, 2) == 0.70
    fig = unit_diagram(w=[0.2, 0.3, 0.9], b=0.5, x=[0.5, 0.6, 0.1])
    assert isinstance(fig, Figure)
    labels = readable(fig)
    for expected in ["$w_{1}$ = 0.2", "$w_{2}$ = 0.3", "$w_{3}$ = 0.9", "$b$ = 0.5"]:
        assert expected in labels
    for value in ["0.5", "0.6", "0.1", "+1", "Σ", "σ"]:
        assert value in labels
    assert "$z$ = 0.87" in labels and "$y$ = 0.70" in labels
    equation = next(t for t in labels if "0.2·0.5 + 0.3·0.6 + 0.9·0.1 + 0.5" in t)
    assert "= 0.87" in equation and "σ(0.87) = 0.70" in equation
    assert "z = 0.87" in fig.alt_text and "y = σ(z) = 0.70" in fig.alt_text
    assert "x2 = 0.6 with weight 0.3" in fig.alt_text


def test_unit_diagram_with_symbols_and_other_activations(readable):
    fig = unit_diagram(n_inputs=5, activation="relu")
    labels = readable(fig)
    assert [f"$x_{{{i}}}$" for i in range(1, 6)] == [t for t in labels if t.startswith("$x_")]
    assert [f"$w_{{{i}}}$" for i in range(1, 6)] == [t for t in labels if t.startswith("$w_")]
    assert "ReLU" in labels and "$b$" in labels
    fig = unit_diagram(w=[1.0, -1.0], b=-0.5, x=[0.25, 1.0], activation="relu")
    assert "$z$ = −1.25" in texts_of(fig) and "$y$ = 0.00" in texts_of(fig)  # ReLU(-1.25) = 0


def test_unit_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match="give all of w, b and x"):
        unit_diagram(w=[1.0], b=0.0)
    with pytest.raises(ValueError, match="same, non-zero length"):
        unit_diagram(w=[1.0, 2.0], b=0.0, x=[1.0])
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        unit_diagram(activation="softsign")
    with pytest.raises(ValueError, match="up to 8 inputs"):
        unit_diagram(n_inputs=9)


# ---------------------------------------------------------------------- a layered network
def node_centres(fig) -> dict[str, np.ndarray]:
    """Node label -> centre, from the circles and the labels drawn inside them."""
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    out = {}
    for t in ax.texts:
        xy = np.array(t.get_position())
        for c in circles:
            if np.allclose(c.center, xy):
                out[t.get_text()] = xy
    return out


def label_on_segment(fig, a, b, exclude=()) -> str:
    """The one label whose anchor lies on the open segment a-b (a weight on that edge)."""
    found = []
    for t in fig.axes[0].texts:
        p = np.array(t.get_position())
        d, e = b - a, p - a
        s = e @ d / (d @ d)
        if 0.05 < s < 0.95 and np.linalg.norm(e - s * d) < 1e-9 and t.get_text() not in exclude:
            found.append(t.get_text())
    assert len(found) == 1, f"expected one label on the edge, found {found}"
    return found[0]


def test_network_diagram_of_the_exact_xor_network(readable):
    # Chapter 2's exact network (eq. 2.3): W = [[1, 1], [1, 1]], b = [0, -1], U = [1, -2].
    W, b, U = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([[1.0, -2.0]])
    fig = network_diagram(
        [2, 2, 1],
        weights=[W, U],
        biases=[b, None],
        labels=("x", "h", "y"),
        activations=["ReLU", None],
        layer_names=["input x", "hidden h", "output y"],
    )
    labels = readable(fig)
    nodes = node_centres(fig)
    assert set(nodes) == {"$x_{1}$", "$x_{2}$", "$h_{1}$", "$h_{2}$", "$y$"}
    # every weight sits on its own edge: W[j, i] on x_i -> h_j, U[0, j] on h_j -> y
    for i in range(2):
        for j in range(2):
            a, e = nodes[f"$x_{{{i + 1}}}$"], nodes[f"$h_{{{j + 1}}}$"]
            assert label_on_segment(fig, a, e) == format_number(W[j, i])
    for j in range(2):
        a, e = nodes[f"$h_{{{j + 1}}}$"], nodes["$y$"]
        assert label_on_segment(fig, a, e) == format_number(U[0, j])
    # the biases beside the hidden units, none on the output (it has no bias)
    assert "$b_{1}$ = 0" in labels and "$b_{2}$ = −1" in labels
    assert sum("$b" in t for t in labels) == 2
    assert "ReLU" in labels and "hidden h" in labels
    assert "[1, 1; 1, 1]" in fig.alt_text and "[1, −2]" in fig.alt_text
    assert "layer 2: 0, −1" in fig.alt_text


def test_network_diagram_with_the_dummy_bias_unit_and_values(readable):
    W = np.arange(6.0).reshape(2, 3) / 10
    fig = network_diagram(
        [3, 2],
        weights=[W],
        biases=[[0.5, -0.5]],
        bias_nodes=True,
        values=[[1.0, 2.0, 3.0], [0.7, 1.2]],
    )
    labels = readable(fig)
    nodes = node_centres(fig)
    bias = nodes["+1"]
    for j, b in enumerate([0.5, -0.5]):
        assert label_on_segment(fig, bias, nodes[f"$\\hat{{y}}_{{{j + 1}}}$"]) == format_number(b)
    assert "$x_0$ = 1" in labels
    for v in ["1", "2", "3", "0.7", "1.2"]:
        assert v in labels


def test_wide_layers_get_an_ellipsis(readable):
    fig = network_diagram([784, 100, 10], layer_names=["input", "hidden", "output"])
    labels = readable(fig)
    assert labels.count("⋮") == 3
    assert "$x_{784}$" in labels and "$h_{100}$" in labels and "$\\hat{y}_{10}$" in labels
    assert "$x_{5}$" not in labels
    assert len(node_centres(fig)) == 3 * 5


def test_network_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match=r"shape \(n_out, n_in\) = \(2, 3\)"):
        network_diagram([3, 2], weights=[np.ones((3, 2))])
    with pytest.raises(ValueError, match="need 2 matrices"):
        network_diagram([3, 2, 1], weights=[np.ones((2, 3))])
    with pytest.raises(ValueError, match="biases\\[0\\] must have 2 values"):
        network_diagram([3, 2], biases=[[1.0]])
    with pytest.raises(ValueError, match="at least two layers"):
        network_diagram([3])


def test_network_diagram_draws_into_a_given_axes():
    fig = figure((4, 3))
    ax = fig.subplots()
    out = network_diagram([2, 3, 1], ax=ax)
    assert out is fig and len(node_centres(fig)) == 6
    assert not ax.axison


# ---------------------------------------------------------------------- computation graphs
def canonical():
    """L = c * (a + 2b) at a = 3, b = 1, c = -2, named as in the Jurafsky & Martin slides."""
    a = Tensor(3.0, requires_grad=True, name="a")
    b = Tensor(1.0, requires_grad=True, name="b")
    c = Tensor(-2.0, requires_grad=True, name="c")
    d = 2 * b
    d.name = "d"
    e = a + d
    e.name = "e"
    L = c * e
    L.name = "L"
    return a, b, c, d, e, L


def test_graph_layout_of_the_canonical_example():
    a, b, c, d, e, L = canonical()
    lay = graph_layout(L)
    col = {t.name or "2": lay.column[lay.index(t)] for t in lay.values}
    op = {t.name: lay.op_column[lay.index(t)] for t in (d, e, L)}
    assert op["d"] < op["e"] < op["L"]  # left to right by depth
    for t in (d, e, L):
        assert col[t.name] == op[t.name] + 1  # each result just right of its op
    # leaves sit just left of the op that uses them
    assert col["b"] == col["2"] == op["d"] - 1
    assert col["a"] == op["e"] - 1 and col["c"] == op["L"] - 1
    # each op is centred on its inputs' rows
    for t in (d, e, L):
        i = lay.index(t)
        assert lay.op_row[i] == pytest.approx(np.mean([lay.row[lay.index(p)] for p in t._prev]))


def test_graph_diagram_shows_values_and_gradients(readable):
    a, b, c, d, e, L = canonical()
    labels = readable(graph_diagram(L))
    # forward values by hand: d = 2b = 2, e = a + d = 5, L = c e = -10
    for text in ["a = 3", "b = 1", "c = −2", "d = 2", "e = 5", "L = −10", "2"]:
        assert text in labels
    assert labels.count("×") == 2 and labels.count("+") == 1
    assert not any("∂" in t for t in labels)  # no backward yet
    L.backward()
    # the chain rule by hand: dL/dc = e = 5, dL/de = c = -2, dL/da = dL/de = -2,
    # dL/dd = dL/de = -2, dL/db = dL/dd * 2 = -4
    expected = {"a": -2, "b": -4, "c": 5, "d": -2, "e": -2, "L": 1}
    fig = graph_diagram(L, grads=True)
    labels = readable(fig)
    for name, g in expected.items():
        assert f"∂L/∂{name} = {format_number(g)}" in labels
    assert "∂L/∂a = −2" in fig.alt_text and "∂L/∂b = −4" in fig.alt_text


def test_graph_diagram_steps_through_backward_with_highlights():
    a, b, c, d, e, L = canonical()
    seen = []
    for node in L.backward_steps():
        fig = graph_diagram(L, grads=True, highlight=[node])
        seen.append(sum("∂" in t for t in texts_of(fig)))
        boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
        hot = [p for p in boxes if p.get_edgecolor() == to_rgba(ACCENT)]
        assert len(hot) == 1  # exactly the node of this step
    assert seen == sorted(seen) and seen[-1] == 6  # gradients appear, never vanish


def test_graph_diagram_hands_back_what_it_drew_for_each_tensor():
    """graph_artists: per tensor (topo order) its box, its label lines, its op and edges, so a
    widget can change the labels and colours of a drawn graph without drawing it again."""
    a, b, c, d, e, L = canonical()
    L.backward()
    fig = graph_diagram(L, grads=True)
    drawn = fig.graph_artists
    assert [id(t) for t in drawn.values] == [id(t) for t in L.topo_order()]
    ax = fig.axes[0]
    for t, box, lines, op, edges in zip(
        drawn.values, drawn.boxes, drawn.labels, drawn.ops, drawn.edges
    ):
        assert isinstance(box, FancyBboxPatch) and box in ax.patches
        assert all(line in ax.texts for line in lines)
        if t.name:
            assert lines[0].get_text() == f"{t.name} = {format_number(t.data)}"
        if t.grad is not None and t.requires_grad:
            assert lines[1].get_text() == f"∂L/∂{t.name} = {format_number(t.grad)}"
        if t._prev:
            circle, symbol = op
            assert isinstance(circle, Circle) and symbol.get_text() in ("×", "+")
            assert len(edges) == 1 + len(t._prev)  # out of the op, and one per input
        else:
            assert op is None and edges == []
    # the graph drawn last is the one recorded, also when drawing into a given Axes
    ax2 = figure((6, 3)).subplots()
    graph_diagram(d, ax=ax2)
    assert [id(t) for t in ax2.figure.graph_artists.values] == [id(t) for t in d.topo_order()]


def test_graph_diagram_rejects_bad_input():
    a, b, c, d, e, L = canonical()
    with pytest.raises(KeyError, match="not in this graph"):
        graph_diagram(L, highlight=[Tensor(1.0)])
    with pytest.raises(TypeError, match="nnlib Tensor"):
        graph_layout(np.ones(3))
    x = Tensor(1.0, requires_grad=True)
    big = x
    for _ in range(30):
        big = big * 1.0 + 0.0
    with pytest.raises(ValueError, match="readable up to 40"):
        graph_diagram(big)


def test_the_readability_check_catches_overlaps_and_clipping(readable):
    fig = figure((3, 2))
    ax = fig.subplots()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    with pytest.raises(AssertionError, match="overlap"):
        readable(fig)
    fig = figure((3, 2))
    fig.set_layout_engine("none")  # constrained layout would make room for the label
    fig.subplots().text(0.9, 0.5, "a label that runs off the edge")
    with pytest.raises(AssertionError, match="sticks out"):
        readable(fig)
