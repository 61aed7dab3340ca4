"""Diagrams of units, layered networks and computation graphs, drawn with matplotlib only.

- :func:`unit_diagram`: one unit: inputs x_i, weights on the edges, the bias, the sum node
  z = w·x + b, the activation and the output; optionally with the numbers of an example
  (chapter 1's worked example gives z = 0.87 and y = σ(0.87) = 0.70);
- :func:`network_diagram`: a layered network (sizes like [3, 4, 2]) with optional weights on
  the edges, values on the nodes, biases (as labels or as the dummy unit a_0 = 1), and an
  ellipsis for wide layers; e.g. the 2-2-1 XOR network of chapter 2 with its weights;
- :func:`graph_diagram`: the computation graph recorded by an nnlib :class:`~nnlib.Tensor`
  (``topo_order()``, ``_prev``, ``_op``): value nodes and op nodes, layered left to right,
  optionally with forward values and, after ``backward()``, gradients; ``highlight`` marks nodes
  (a step-by-step widget walks ``Tensor.backward_steps()``). :func:`graph_layout` gives the
  positions alone.

Drawing only: the numbers shown are nnlib's (z and y of a unit come from
``nnlib.functional``; a graph shows what its tensors hold). Each function returns a Figure (a
cell's last expression shows it) whose ``alt_text`` attribute suggests the figure's alt text;
pass ``ax=`` to draw into an existing Axes instead (the diagram is scaled to fit it). Diagrams
are laid out in inches, with every label measured, so labels do not overlap and the figure is
sized to hold them all. Example (chapter 1)::

    from nnlib.widgets.diagrams import unit_diagram
    fig = unit_diagram(w=[0.2, 0.3, 0.9], b=0.5, x=[0.5, 0.6, 0.1])
    fig.alt_text   # 'A unit with 3 inputs ...: z = 0.87, y = σ(z) = 0.70.'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .. import functional as F
from ..tensor import Tensor
from .canvas import ACCENT, LINE_COLORS, figure, styled

__all__ = [
    "unit_diagram",
    "network_diagram",
    "graph_diagram",
    "graph_layout",
    "GraphLayout",
    "GraphArtists",
    "format_number",
]

NODE_FC = "#eef4fa"  # node fill: a pale blue, dark text stays readable
NODE_EC = "#33475b"
BIAS_FC = "#f3f3f3"
EDGE = "#555555"
GRAD = LINE_COLORS[3]  # gradients in vermillion, values in black
R = 0.24  # node radius, inches

# Besides nnlib's activation registry (F.ACTIVATIONS), a unit diagram can show the perceptron's
# step and no activation at all.
_EXTRA_UNIT_ACTIVATIONS = {"step": (F.step, "step"), "identity": (lambda z: z, "id")}


def _unit_activation(name: str):
    """(function, symbol) of an activation: the registry's (σ for sigmoid...), step or identity."""
    if name in _EXTRA_UNIT_ACTIVATIONS:
        return _EXTRA_UNIT_ACTIVATIONS[name]
    try:
        act = F.get_activation(name)
    except ValueError:
        known = [*F.ACTIVATIONS, *_EXTRA_UNIT_ACTIVATIONS]
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(known)}") from None
    return act.fn, act.symbol.removesuffix("(z)")


# How op nodes of a computation graph are labelled (nnlib's op names -> symbols).
OP_SYMBOLS = {
    "+": "+",
    "-": "−",
    "*": "×",
    "/": "÷",
    "**": "^",
    "@": "@",
    "neg": "−",
    "sum": "Σ",
    "mean": "mean",
    "max": "max",
    "exp": "exp",
    "log": "log",
    "sigmoid": "σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "softmax": "softmax",
    "log_softmax": "log softmax",
    "linear": "linear",
    "cross_entropy": "CE",
    "bce_with_logits": "BCE",
    "binary_cross_entropy": "BCE",
    "mse": "MSE",
    "index": "[ ]",
    "reshape": "reshape",
    "transpose": "ᵀ",
}


def format_number(v: Any, digits: int = 4, decimals: int | None = None) -> str:
    """A number as diagrams print it: up to ``digits`` significant digits (or exactly
    ``decimals`` decimals), a true minus sign, no "-0"; small arrays as [a, b, c], bigger ones
    by their shape."""
    a = np.asarray(v)
    if a.size == 1:
        x = float(a.reshape(()))
        text = f"{x:.{decimals}f}" if decimals is not None else f"{x:.{digits}g}"
        if float(text) == 0:
            text = text.lstrip("-")  # no "-0"
        return text.replace("-", "−")
    if a.size <= 4 and a.ndim == 1:
        return "[" + ", ".join(format_number(x, digits, decimals) for x in a) + "]"
    return "shape " + "×".join(str(n) for n in a.shape)


# ---------------------------------------------------------------------- the drawing surface
class _Sheet:
    """An Axes in inch units: place nodes, edges and labels, measure text, then fit the figure.

    Own figure: one data unit is one inch, and :meth:`finish` sizes the figure around
    everything drawn. Given an Axes: the same drawing, scaled to fit it (aspect kept).
    """

    def __init__(self, ax=None, dpi: int = 100):
        if ax is None:
            self.fig = figure((4.0, 3.0), dpi=dpi)
            self.fig.set_layout_engine("none")
            self.ax = self.fig.add_axes((0, 0, 1, 1))
            self.own = True
        else:
            self.ax, self.fig, self.own = ax, ax.figure, False
        self.ax.set_axis_off()
        self.renderer = self.fig.canvas.get_renderer()
        self.placed: list[tuple[float, float, float, float]] = []  # boxes of labels and nodes
        self.texts: list = []

    def size(self, text: str, fontsize: float) -> tuple[float, float]:
        """Width and height (inches) that ``text`` takes at ``fontsize``."""
        t = self.ax.text(0, 0, text, fontsize=fontsize)
        bb = t.get_window_extent(self.renderer)
        t.remove()
        return bb.width / self.fig.dpi, bb.height / self.fig.dpi

    def text(self, xy, s: str, fontsize: float = 10, box: bool = False, **kw):
        """A label centred at ``xy`` (inches); ``box`` gives it a white background."""
        kw.setdefault("ha", "center")
        kw.setdefault("va", "center")
        if box:
            kw["bbox"] = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9)
        t = self.ax.text(*xy, s, fontsize=fontsize, zorder=kw.pop("zorder", 5), **kw)
        self.texts.append(t)
        w, h = self.size(s, fontsize)
        pad = 0.03 if not box else 0.05
        x, y = xy
        x0 = {"center": x - w / 2, "left": x, "right": x - w}[kw["ha"]]
        y0 = {"center": y - h / 2, "bottom": y, "baseline": y - 0.2 * h, "top": y - h}[kw["va"]]
        self.placed.append((x0 - pad, y0 - pad, x0 + w + pad, y0 + h + pad))
        return t

    def circle(self, xy, label: str, fc=NODE_FC, ec=NODE_EC, lw=1.3, r=R, fontsize=11, ls="-"):
        patch = self.ax.add_patch(Circle(xy, r, fc=fc, ec=ec, lw=lw, ls=ls, zorder=3))
        x, y = xy
        self.placed.append((x - r, y - r, x + r, y + r))
        t = None
        if label:
            t = self.ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=4)
            self.texts.append(t)
        return patch, t

    def box(self, xy, w: float, h: float, fc=NODE_FC, ec=NODE_EC, lw=1.3):
        x, y = xy
        patch = self.ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                fc=fc,
                ec=ec,
                lw=lw,
                zorder=3,
            )
        )
        self.placed.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        return patch

    def arrow(self, a, b, color=EDGE, lw=1.2, head=True, ls="-"):
        """A straight edge from point ``a`` to point ``b`` (already on the node borders)."""
        return self.ax.add_patch(
            FancyArrowPatch(
                a,
                b,
                arrowstyle="-|>" if head else "-",
                mutation_scale=10,
                color=color,
                lw=lw,
                ls=ls,
                shrinkA=0,
                shrinkB=0,
                zorder=2,
            )
        )

    def free(self, box: tuple[float, float, float, float]) -> bool:
        """True if ``box`` overlaps no label or node placed so far."""
        x0, y0, x1, y1 = box
        return all(x1 <= a0 or x0 >= a1 or y1 <= b0 or y0 >= b1 for a0, b0, a1, b1 in self.placed)

    def edge_label(self, a, b, s: str, fontsize: float = 9, ts=(0.35, 0.5, 0.25, 0.65, 0.2)):
        """A label on the segment a -> b at the first fraction ``t`` where it overlaps nothing
        drawn so far (else at the first one)."""
        w, h = self.size(s, fontsize)
        a, b = np.asarray(a, float), np.asarray(b, float)
        for t in ts:
            x, y = a + t * (b - a)
            if self.free((x - w / 2 - 0.05, y - h / 2 - 0.05, x + w / 2 + 0.05, y + h / 2 + 0.05)):
                break
        else:
            x, y = a + ts[0] * (b - a)
        return self.text((x, y), s, fontsize=fontsize, box=True)

    def finish(self, margin: float = 0.12) -> Figure:
        """Fit the view (and, for an own figure, its size) around everything drawn."""
        boxes = np.array(self.placed)  # every node and label, measured when placed
        lo = boxes[:, :2].min(axis=0) - margin
        hi = boxes[:, 2:].max(axis=0) + margin
        self.ax.set_xlim(lo[0], hi[0])
        self.ax.set_ylim(lo[1], hi[1])
        if self.own:
            self.fig.set_size_inches(*(hi - lo))
        else:
            self.ax.set_aspect("equal", adjustable="datalim")
        return self.fig


def _border(c, other, r: float = R) -> np.ndarray:
    """The point on the circle of radius r around c in the direction of ``other``."""
    c, other = np.asarray(c, float), np.asarray(other, float)
    d = other - c
    return c + r * d / np.linalg.norm(d)


def _box_border(c, other, w: float, h: float) -> np.ndarray:
    """Where the segment from the centre of a w x h box at c towards ``other`` leaves the box."""
    c, other = np.asarray(c, float), np.asarray(other, float)
    d = other - c
    sx = (w / 2) / abs(d[0]) if d[0] else np.inf
    sy = (h / 2) / abs(d[1]) if d[1] else np.inf
    return c + min(sx, sy) * d


def _alt(fig: Figure, text: str) -> Figure:
    prev = getattr(fig, "alt_text", "")
    fig.alt_text = f"{prev} {text}".strip()
    return fig


# ---------------------------------------------------------------------- a unit
@styled
def unit_diagram(
    w: Sequence[float] | None = None,
    b: float | None = None,
    x: Sequence[float] | None = None,
    *,
    n_inputs: int | None = None,
    activation: str = "sigmoid",
    equation: bool = True,
    ax=None,
) -> Figure:
    """One unit: inputs x_i and a +1 for the bias on the left, weights on the edges, the sum
    node Σ (z = w·x + b), the activation, the output y (book: Units, 1.1).

    With ``w``, ``b`` and ``x`` the diagram shows the example's numbers, z and y computed by
    nnlib (``F.linear`` and the activation); without them, the symbols (``n_inputs`` inputs,
    3 by default). ``activation``: a name in nnlib's registry (``F.ACTIVATIONS``), or "step"
    (the perceptron's) or "identity" (none).
    """
    fn, symbol = _unit_activation(activation)
    numbers = w is not None or b is not None or x is not None
    if numbers:
        if w is None or b is None or x is None:
            raise ValueError("give all of w, b and x to show numbers (or none for symbols)")
        w_arr = np.asarray(w, dtype=float).reshape(-1)
        x_arr = np.asarray(x, dtype=float).reshape(-1)
        if w_arr.shape != x_arr.shape or w_arr.size == 0:
            raise ValueError(
                f"w and x need the same, non-zero length: {w_arr.size} and {x_arr.size}"
            )
        if n_inputs is not None and n_inputs != w_arr.size:
            raise ValueError(f"n_inputs = {n_inputs} but w has {w_arr.size} values")
        n = w_arr.size
        # z = x W^T + b with W the 1 x n matrix [w]: nnlib's linear layer with one unit
        z = float(F.linear(Tensor(x_arr), Tensor(w_arr[None, :]), Tensor(np.array([b]))).data[0])
        y = float(fn(z))
    else:
        n = 3 if n_inputs is None else int(n_inputs)
        if n < 1:
            raise ValueError(f"n_inputs must be at least 1, got {n_inputs}")
    if n > 8:
        raise ValueError(f"a unit diagram shows up to 8 inputs, got {n}")

    s = _Sheet(ax)
    gap = 0.72
    rows = [(n - 1 - i) * gap for i in range(n)] + [-gap]  # inputs top-down, then the +1
    mid = (rows[0] + rows[-1]) / 2
    x_in, x_sum, x_act, x_out = 0.0, 2.7, 4.4, 5.7
    sum_c, act_c = (x_sum, mid), (x_act, mid)
    for i in range(n):
        c = (x_in, rows[i])
        s.circle(c, f"$x_{{{i + 1}}}$")
        if numbers:
            s.text((x_in - R - 0.08, rows[i]), format_number(x_arr[i]), fontsize=10, ha="right")
    bias_c = (x_in, rows[-1])
    s.circle(bias_c, "+1", fc=BIAS_FC, fontsize=10)
    s.circle(sum_c, "Σ", r=R * 1.25, fontsize=14)
    s.box(act_c, 0.85 if len(symbol) > 1 else 0.55, 0.5)
    s.text(act_c, symbol, fontsize=12 if len(symbol) <= 4 else 10)
    for i in range(n):  # edges and weights, nearest the inputs so they stay apart
        a, e = _border((x_in, rows[i]), sum_c), _border(sum_c, (x_in, rows[i]), R * 1.25)
        s.arrow(a, e)
        label = f"$w_{{{i + 1}}}$" + (f" = {format_number(w_arr[i])}" if numbers else "")
        s.edge_label(a, e, label, ts=(0.42, 0.3, 0.55, 0.2))
    a, e = _border(bias_c, sum_c), _border(sum_c, bias_c, R * 1.25)
    s.arrow(a, e)
    s.edge_label(a, e, "$b$" + (f" = {format_number(b)}" if numbers else ""), ts=(0.42, 0.3, 0.55))
    act_w = 0.85 if len(symbol) > 1 else 0.55
    zs = f" = {format_number(z, decimals=2)}" if numbers else ""
    ys = f" = {format_number(y, decimals=2)}" if numbers else ""
    a, e = np.array([x_sum + R * 1.25, mid]), np.array([x_act - act_w / 2, mid])
    s.arrow(a, e)
    s.text(((a[0] + e[0]) / 2, mid + 0.08), "$z$" + zs, fontsize=10, va="bottom")
    a, e = np.array([x_act + act_w / 2, mid]), np.array([x_out, mid])
    s.arrow(a, e)
    s.text((x_out + 0.08, mid), "$y$" + ys, fontsize=11, ha="left")
    if equation:
        eq = r"$z = \mathbf{w}\cdot\mathbf{x} + b$" + f",   $y = ${symbol}$(z)$"
        if numbers:
            terms = " + ".join(
                f"{format_number(wi)}·{format_number(xi)}" for wi, xi in zip(w_arr, x_arr)
            )
            z2, y2 = format_number(z, decimals=2), format_number(y, decimals=2)
            eq += f"\n$z$ = {terms} + {format_number(b)} = {z2},   $y$ = {symbol}({z2}) = {y2}"
        s.text(((x_in + x_out) / 2, rows[-1] - R - 0.3), eq, fontsize=10, va="top")
    fig = s.finish()
    act_name = {"identity": "no activation (identity)"}.get(
        activation, f"the {activation} activation"
    )
    if numbers:
        inputs = ", ".join(
            f"x{i + 1} = {format_number(x_arr[i])} with weight {format_number(w_arr[i])}"
            for i in range(n)
        )
        return _alt(
            fig,
            f"A unit with {n} inputs ({inputs}) and a bias b = {format_number(b)} on an input "
            f"fixed at +1, all feeding a sum node, then {act_name}: "
            f"z = {format_number(z, decimals=2)}, "
            f"y = {symbol}(z) = {format_number(y, decimals=2)}.",
        )
    return _alt(
        fig,
        f"A unit with {n} inputs x1 to x{n}, each edge weighted by w1 to w{n}, and a bias b on an "
        f"input fixed at +1, all feeding a sum node z = w·x + b, then {act_name} "
        f"giving the output y = {symbol}(z).",
    )


# ---------------------------------------------------------------------- a layered network
def _node_label(symbol: str, i: int, size: int) -> str:
    if size == 1:
        return f"${symbol}$"
    return f"${symbol}_{{{i + 1}}}$"


def _shown_nodes(size: int, max_nodes: int) -> list[int | None]:
    """Which node indices a layer shows: all, or the first few, None (the ellipsis), the last."""
    if size <= max_nodes:
        return list(range(size))
    return [*range(max_nodes - 2), None, size - 1]


@styled
def network_diagram(
    sizes: Sequence[int],
    *,
    weights: Sequence[Any] | None = None,
    biases: Sequence[Any] | None = None,
    values: Sequence[Any] | None = None,
    labels: Sequence[str] = ("x", "h", r"\hat{y}"),
    layer_names: Sequence[str] | None = None,
    activations: Sequence[str | None] | None = None,
    bias_nodes: bool = False,
    max_nodes: int = 6,
    ax=None,
) -> Figure:
    """A layered network: one column of nodes per layer, every node joined to the next layer.

    - ``sizes``: nodes per layer, input first (e.g. ``[2, 2, 1]``);
    - ``weights``: one matrix per pair of layers, shaped like nnlib's ``Linear.W``
      (n_out, n_in): ``weights[l][j, i]`` is written on the edge from node i of layer l to node j
      of layer l + 1;
    - ``biases``: one vector per pair of layers (n_out,): written beside each node, or, with
      ``bias_nodes=True``, on edges from a dummy unit a_0 = +1 drawn atop each layer;
    - ``values``: one vector per layer, written under the nodes (e.g. a forward pass);
    - ``labels``: node symbols for the input, the hidden layers and the output (a single node
      drops the subscript); ``layer_names``: captions under each column; ``activations``: the
      activation of each non-input layer, written above its column (None for none);
    - layers wider than ``max_nodes`` show their first nodes, an ellipsis and the last node
      (their weights are not written).
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes needs at least two layers of at least one node, got {sizes}")
    if max_nodes < 3:
        raise ValueError(f"max_nodes must be at least 3, got {max_nodes}")
    L = len(sizes)
    if weights is not None:
        if len(weights) != L - 1:
            raise ValueError(f"weights: need {L - 1} matrices for {L} layers, got {len(weights)}")
        weights = [np.asarray(W, dtype=float) for W in weights]
        for l, W in enumerate(weights):
            if W.shape != (sizes[l + 1], sizes[l]):
                raise ValueError(
                    f"weights[{l}] must have shape (n_out, n_in) = {(sizes[l + 1], sizes[l])} "
                    f"(like nnlib's Linear.W), got {W.shape}"
                )
    if biases is not None:
        if len(biases) != L - 1:
            raise ValueError(f"biases: need {L - 1} vectors for {L} layers, got {len(biases)}")
        biases = [None if b is None else np.asarray(b, dtype=float).reshape(-1) for b in biases]
        for l, b in enumerate(biases):
            if b is not None and b.size != sizes[l + 1]:
                raise ValueError(f"biases[{l}] must have {sizes[l + 1]} values, got {b.size}")
    if values is not None:
        if len(values) != L:
            raise ValueError(f"values: need one vector per layer ({L}), got {len(values)}")
        values = [np.asarray(v, dtype=float).reshape(-1) for v in values]
        for l, v in enumerate(values):
            if v.size != sizes[l]:
                raise ValueError(f"values[{l}] must have {sizes[l]} values, got {v.size}")
    if len(labels) < 2:
        raise ValueError("labels needs at least an input and an output symbol")
    if activations is not None and len(activations) != L - 1:
        raise ValueError(f"activations: need one per non-input layer ({L - 1})")
    if layer_names is not None and len(layer_names) != L:
        raise ValueError(f"layer_names: need one per layer ({L})")

    def symbol(l: int) -> str:
        if l == 0:
            return labels[0]
        if l == L - 1:
            return labels[-1]
        hidden = labels[1:-1] or ("h",)
        return hidden[min(l - 1, len(hidden) - 1)] if len(labels) > 2 else "h"

    s = _Sheet(ax)
    shown = [_shown_nodes(n, max_nodes) for n in sizes]
    write_weights = weights is not None and all(None not in sh for sh in shown)
    gap_y = 0.8
    gap_x = 2.6 if write_weights or bias_nodes else 1.9
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    for l, sh in enumerate(shown):
        top = (len(sh) - 1) * gap_y / 2  # every column centred on y = 0
        for k, i in enumerate(sh):
            xy = (l * gap_x, top - k * gap_y)
            if i is None:
                s.text(xy, "⋮", fontsize=16)
            else:
                pos[(l, i)] = xy
                s.circle(
                    xy, _node_label(symbol(l), i, sizes[l]), fontsize=10 if sizes[l] < 10 else 9
                )
    top_y = max(y for _, y in pos.values())
    bottom_y = min(y for _, y in pos.values())
    bias_pos: dict[int, tuple[float, float]] = {}
    if bias_nodes:
        for l in range(L - 1):
            bias_pos[l] = (l * gap_x, top_y + gap_y * 1.1)
            s.circle(bias_pos[l], "+1", fc=BIAS_FC, fontsize=9, ls="--")
            x, y = bias_pos[l]
            s.text((x, y + R + 0.04), "$a_0$ = 1" if l else "$x_0$ = 1", fontsize=8, va="bottom")
    for l in range(L - 1):  # edges, weights nearest their source so the labels stay apart
        for i in [i for i in shown[l] if i is not None]:
            for j in [j for j in shown[l + 1] if j is not None]:
                a = _border(pos[(l, i)], pos[(l + 1, j)])
                e = _border(pos[(l + 1, j)], pos[(l, i)])
                s.arrow(a, e, lw=1.0)
        if bias_nodes and biases is None:
            for j in [j for j in shown[l + 1] if j is not None]:
                a = _border(bias_pos[l], pos[(l + 1, j)])
                e = _border(pos[(l + 1, j)], bias_pos[l])
                s.arrow(a, e, lw=0.9, ls="--")
    if write_weights:  # labels after all edges, so each is placed where no other label is
        for l in range(L - 1):
            for i in range(sizes[l]):
                for j in range(sizes[l + 1]):
                    a = _border(pos[(l, i)], pos[(l + 1, j)])
                    e = _border(pos[(l + 1, j)], pos[(l, i)])
                    s.edge_label(
                        a, e, format_number(weights[l][j, i]), ts=(0.25, 0.38, 0.72, 0.55, 0.15)
                    )
    if biases is not None:
        for l in range(L - 1):
            if biases[l] is None:  # a layer without bias
                continue
            for j in [j for j in shown[l + 1] if j is not None]:
                b = format_number(biases[l][j])
                if bias_nodes:
                    a = _border(bias_pos[l], pos[(l + 1, j)])
                    e = _border(pos[(l + 1, j)], bias_pos[l])
                    s.arrow(a, e, lw=0.9, ls="--")
                    s.edge_label(a, e, b, ts=(0.3, 0.45, 0.6, 0.2))
                else:
                    x, y = pos[(l + 1, j)]
                    sub = f"_{{{j + 1}}}" if sizes[l + 1] > 1 else ""
                    s.text((x, y + R + 0.06), f"$b{sub}$ = {b}", fontsize=8.5, va="bottom")
    if values is not None:
        for (l, i), (x, y) in pos.items():
            s.text(
                (x, y - R - 0.06), format_number(values[l][i], 3), fontsize=9, va="top", box=True
            )
    if activations is not None:
        for l, act in enumerate(activations, start=1):
            if act:
                y = (
                    (bias_pos[0][1] if bias_nodes else top_y)
                    + R
                    + (0.42 if biases is not None and not bias_nodes else 0.2)
                )
                s.text(
                    (l * gap_x, y), act, fontsize=9, va="bottom", color="#444444", style="italic"
                )
    if layer_names is not None:
        drop = 0.55 if values is not None else 0.3
        for l, name in enumerate(layer_names):
            s.text((l * gap_x, bottom_y - R - drop), name, fontsize=10, va="top")
    fig = s.finish()
    desc = f"A network with layers of {', '.join(map(str, sizes))} units"
    if layer_names is not None:
        desc += " (" + ", ".join(layer_names) + ")"
    desc += "; every unit feeds every unit of the next layer."
    if write_weights:
        parts = []
        for l, W in enumerate(weights):
            rows = "; ".join(", ".join(format_number(v) for v in row) for row in W)
            parts.append(f"weights into layer {l + 2}: [{rows}]")
        desc += " Edge labels give the " + ", ".join(parts) + "."
    if biases is not None:
        desc += " Biases: " + "; ".join(
            f"layer {l + 2}: " + ", ".join(format_number(v) for v in b)
            for l, b in enumerate(biases)
            if b is not None
        )
        desc += " (on edges from a +1 unit)." if bias_nodes else "."
    return _alt(fig, desc)


# ---------------------------------------------------------------------- computation graphs
@dataclass
class GraphLayout:
    """Where :func:`graph_diagram` puts each node of a Tensor's graph.

    ``values``: the tensors, inputs first (``topo_order()``); ``column[i]``, ``row[i]``: the
    grid position of tensor i; ``op_column[i]``, ``op_row[i]``: those of the op node that made it
    (None for a leaf). Columns go left to right (inputs to the result); rows top to bottom.
    """

    values: list[Tensor]
    column: list[int]
    row: list[float]
    op_column: list[int | None]
    op_row: list[float | None]

    def index(self, t: Tensor) -> int:
        for i, v in enumerate(self.values):
            if v is t:
                return i
        raise KeyError(f"{t!r} is not in this graph")


def graph_layout(root: Tensor, max_nodes: int = 40) -> GraphLayout:
    """Lay out the graph that produced ``root``: value and op nodes, layered by depth.

    An op node sits one column right of its deepest input and its result one column further;
    a leaf sits just left of the first op that uses it (so ``c`` in ``c * (a + 2b)`` is drawn
    next to the multiplication, not far left). Rows follow the inputs' order from the result
    back, each node centred on its inputs, so a tree-shaped expression draws without crossings.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"graph_layout needs an nnlib Tensor, got {type(root).__name__}")
    values = root.topo_order()
    if len(values) > max_nodes:
        raise ValueError(
            f"the graph has {len(values)} tensors; a diagram stays readable up to {max_nodes}: "
            "draw a smaller expression (or raise max_nodes)"
        )
    idx = {id(t): i for i, t in enumerate(values)}
    n = len(values)
    column = [0] * n
    op_column: list[int | None] = [None] * n
    for i, t in enumerate(values):  # inputs come first in topo order
        if t._prev:
            op_column[i] = 1 + max(column[idx[id(p)]] for p in t._prev)
            column[i] = op_column[i] + 1
    for i, t in enumerate(values):  # leaves move next to their first consumer
        if not t._prev:
            users = [op_column[j] for j, u in enumerate(values) if any(p is t for p in u._prev)]
            if users:
                column[i] = min(users) - 1
    row: list[float | None] = [None] * n
    op_row: list[float | None] = [None] * n
    next_slot = [0.0]

    def place(i: int) -> float:
        if row[i] is not None:
            return row[i]
        t = values[i]
        if not t._prev:
            row[i] = next_slot[0]
            next_slot[0] += 1
        else:
            ys = [place(idx[id(p)]) for p in t._prev]
            op_row[i] = row[i] = float(np.mean(ys))
        return row[i]

    place(idx[id(root)])
    for i in range(n):  # tensors not reachable by the walk (cannot happen, but stay total)
        if row[i] is None:
            place(i)
    return GraphLayout(values, column, [float(r) for r in row], op_column, op_row)


@dataclass
class GraphArtists:
    """What :func:`graph_diagram` drew for each tensor, in the layout's order (``values``).

    For widgets that change a drawn graph without redrawing it (e.g. stepping through a forward
    or backward pass: set a label's text, a box's edge colour, then blit): ``boxes[i]`` is the
    box of tensor i, ``labels[i]`` its text lines (the name/value line, then the gradient line
    if one was drawn), ``ops[i]`` the circle and symbol of the op that made it (None for a
    leaf), ``edges[i]`` the arrows into that op and out of it.
    """

    values: list[Tensor]
    boxes: list
    labels: list[list]
    ops: list
    edges: list[list]


def _value_label(t: Tensor) -> str:
    """A tensor's name; unnamed tensors (constants such as the 2 in 2 * b) show their value."""
    return t.name or ""


@styled
def graph_diagram(
    root: Tensor,
    *,
    values: bool = True,
    grads: bool = False,
    highlight: Iterable[Tensor] = (),
    max_nodes: int = 40,
    digits: int = 4,
    ax=None,
) -> Figure:
    """The computation graph behind ``root`` (an nnlib Tensor): value boxes and op circles.

    Each tensor is a box labelled with its ``name`` (unnamed constants show their value) and,
    with ``values``, its forward value; a tensor made by an operation is fed by a circle with the
    op's symbol (+, ×, σ, ...), whose inputs are the op's operands (``_prev``). With ``grads``,
    every tensor whose ``.grad`` is set shows it as ∂root/∂tensor (call ``root.backward()``
    first; during ``root.backward_steps()`` the gradients appear one node at a time).
    ``highlight`` (tensors) draws those boxes and their op circles in the accent colour.
    The returned figure's ``graph_artists`` (a :class:`GraphArtists`) holds what was drawn for
    each tensor, so a widget can change labels and colours and blit instead of redrawing.
    """
    lay = graph_layout(root, max_nodes=max_nodes)
    marked = {id(t) for t in highlight}
    for t in highlight:
        lay.index(t)  # a clear error for a tensor that is not in the graph
    s = _Sheet(ax)
    root_name = root.name or "out"
    texts = []
    for t in lay.values:
        lines = []
        name = _value_label(t)
        v = format_number(t.data, digits)
        if name and values:
            lines.append(f"{name} = {v}")
        elif name:
            lines.append(name)
        else:
            lines.append(v)
        if grads and t.grad is not None and (t.requires_grad or t._prev):
            who = name or "·"
            lines.append(f"∂{root_name}/∂{who} = {format_number(t.grad, digits)}")
        texts.append(lines)
    sizes = [[s.size(line, 10) for line in lines] for lines in texts]
    box_w = [max(w for w, _ in sz) + 0.22 for sz in sizes]
    box_h = [sum(h for _, h in sz) + 0.1 * (len(sz) - 1) + 0.18 for sz in sizes]
    ncol = max(lay.column) + 1  # an op always sits left of its result
    col_w = [0.5] * ncol  # width of each column: its widest box, or an op circle
    for i, c in enumerate(lay.column):
        col_w[c] = max(col_w[c], box_w[i])
    xs = np.cumsum([0.0] + [col_w[c] / 2 + 0.45 + col_w[c + 1] / 2 for c in range(ncol - 1)])
    row_h = max(max(box_h) + 0.35, 0.85)

    def at(c: int, r: float) -> np.ndarray:
        return np.array([xs[c], -r * row_h])

    centre = [at(c, r) for c, r in zip(lay.column, lay.row)]
    drawn = GraphArtists(lay.values, [], [], [], [])
    for i, t in enumerate(lay.values):
        hot = id(t) in marked
        ec, lw = (ACCENT, 2.6) if hot else (NODE_EC, 1.3)
        fc = BIAS_FC if (not t._prev and not t.requires_grad) else NODE_FC
        drawn.boxes.append(s.box(centre[i], box_w[i], box_h[i], fc=fc, ec=ec, lw=lw))
        lines = texts[i]
        if len(lines) == 1:
            drawn.labels.append([s.text(centre[i], lines[0], fontsize=10)])
        else:
            top = centre[i][1] + box_h[i] / 2 - 0.09
            first = s.text((centre[i][0], top), lines[0], fontsize=10, va="top")
            second = s.text(
                (centre[i][0], top - sizes[i][0][1] - 0.1),
                lines[1],
                fontsize=10,
                va="top",
                color=GRAD,
            )
            drawn.labels.append([first, second])
        drawn.ops.append(None)
        drawn.edges.append([])
        if t._prev:
            o = at(lay.op_column[i], lay.op_row[i])
            r_op = 0.22
            drawn.ops[i] = s.circle(
                o,
                OP_SYMBOLS.get(t._op, t._op),
                r=r_op,
                fc="white",
                ec=ec,
                lw=lw,
                fontsize=11 if len(OP_SYMBOLS.get(t._op, t._op)) <= 2 else 8,
            )
            out_edge = s.arrow(
                _border(o, centre[i], r_op),
                _box_border(centre[i], o, box_w[i] + 0.04, box_h[i] + 0.04),
                color=ACCENT if hot else EDGE,
                lw=1.6 if hot else 1.2,
            )
            drawn.edges[i].append(out_edge)
            for p in t._prev:
                k = lay.index(p)
                drawn.edges[i].append(
                    s.arrow(
                        _box_border(centre[k], o, box_w[k] + 0.04, box_h[k] + 0.04),
                        _border(o, centre[k], r_op),
                        color=ACCENT if hot else EDGE,
                        lw=1.6 if hot else 1.2,
                    )
                )
    fig = s.finish()
    fig.graph_artists = drawn  # the last graph drawn on this figure
    names = [t.name for t in lay.values if t.name]
    desc = (
        f"The computation graph of {root_name}: {len(lay.values)} values"
        + (f" ({', '.join(names)})" if names else "")
        + f" joined by {sum(1 for t in lay.values if t._prev)} operations, inputs on the left, "
        f"{root_name} on the right."
    )
    if values:
        desc += (
            " Values: "
            + ", ".join(f"{t.name} = {format_number(t.data, digits)}" for t in lay.values if t.name)
            + "."
        )
    if grads:
        shown = [t for t in lay.values if t.name and t.grad is not None]
        if shown:
            desc += (
                " Gradients: "
                + ", ".join(
                    f"∂{root_name}/∂{t.name} = {format_number(t.grad, digits)}" for t in shown
                )
                + "."
            )
    return _alt(fig, desc)
