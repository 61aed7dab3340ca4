"""Figures and widgets for the chapter *Training and backpropagation* (book/06_backprop.ipynb).

Drawing only: every number comes from :mod:`nnlib.chapters.backprop` (graphs, traces, error
curves) or from nnlib's core; this module wires controls to those calls and draws the results.

- :func:`graph_stepper`: pick an expression (the slides' c(a + 2b), a sigmoid unit, a two-layer
  network on one input) and its inputs, then step through the forward pass node by node and
  the backward pass (``Tensor.backward_steps``) node by node, values and gradients on the graph;
- :func:`gradcheck_explorer`: the error of a centred difference against the step h (log-log),
  float64 and float32, for a chosen function and point, with the truncation and round-off model;
- static figures: :func:`graph_figure` (a recorded graph, from :mod:`nnlib.widgets.diagrams`),
  :func:`plot_training`, :func:`plot_cross_entropy`, :func:`plot_error_curves`.

Each widget is a :class:`~nnlib.widgets.canvas.LiveWidget`: tests move its controls without a
kernel and read ``result``, the blitter's counters and the CPU time of each update.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from ..chapters import backprop as B
from .canvas import ACCENT, LINE_COLORS, LiveWidget, figure, float_slider, style_axes, styled
from .diagrams import NODE_EC, format_number, graph_diagram

__all__ = [
    "graph_figure",
    "plot_training",
    "plot_cross_entropy",
    "plot_error_curves",
    "graph_stepper",
    "GraphStepper",
    "gradcheck_explorer",
    "GradCheckExplorer",
]


# ====================================================================== static figures
def graph_figure(
    graph: B.Graph, *, values: bool = True, grads: bool = False, highlight: Iterable[str] = ()
) -> Figure:
    """The computation graph nnlib recorded for ``graph`` (a chapter ``Graph``), as a Figure.

    With ``grads`` the gradients are those the tensors hold (call ``graph.output.backward()``
    first); ``highlight`` names nodes to mark.
    """
    if grads and all(n.grad is None for n in graph.nodes):
        raise ValueError("grads=True but no node has a gradient: call graph.output.backward()")
    marked = [graph.node(label) for label in highlight]
    return graph_diagram(graph.output, values=values, grads=grads, highlight=marked)


@styled
def plot_training(run: B.TrainingRun, figsize: tuple[float, float] = (5.5, 3.0)) -> Figure:
    """The mean training loss after each epoch of ``train_two_layer`` (book: 6.1)."""
    fig = figure(figsize)
    ax = fig.subplots()
    style_axes(ax)
    epochs = np.arange(len(run.losses))
    ax.semilogy(epochs, run.losses, color=LINE_COLORS[0])
    ax.set_xlabel("epoch (4 updates each, one per example)")
    ax.set_ylabel("mean cross-entropy loss")
    ax.set_title("Training a 2-4-1 network on XOR, one example at a time")
    return fig


@styled
def plot_cross_entropy(figsize: tuple[float, float] = (8.0, 3.0)) -> Figure:
    """L_CE(ŷ, y) = -log p(correct label) next to the "negative probability" -p, for y = 1 and 0."""
    fig = figure(figsize)
    axes = fig.subplots(1, 2, sharey=True)
    y_hat = np.linspace(0.005, 0.995, 400)
    for ax, y in zip(axes, (1, 0)):
        style_axes(ax, zero_lines=True)
        p_correct = y_hat if y == 1 else 1 - y_hat
        ax.plot(y_hat, B.bce_loss(y_hat, y), color=LINE_COLORS[0], label="−log p  (cross-entropy)")
        ax.plot(
            y_hat, -p_correct, color=LINE_COLORS[1], ls="--", label="−p  (negative probability)"
        )
        ax.set_xlabel("ŷ = σ(z), the model's probability of y = 1")
        ax.set_title(f"label y = {y}")
        ax.set_xlim(0, 1)
        ax.set_xticks(np.linspace(0, 1, 6))  # fixed ticks: none outside the view
        ax.set_ylim(-1.3, 5.5)
    axes[0].set_ylabel("loss")
    axes[0].legend(loc="upper right")
    return fig


@styled
def plot_error_curves(
    curves: Sequence[B.ErrorCurve], figsize: tuple[float, float] = (7.0, 3.8)
) -> Figure:
    """Error of the centred difference against h (log-log), with the model's two terms dashed."""
    fig = figure(figsize)
    ax = fig.subplots()
    _error_axes(ax)
    for i, c in enumerate(curves):  # the axes are log-log already (_error_axes)
        color = LINE_COLORS[i % len(LINE_COLORS)]
        ax.plot(c.hs, _positive(c.errors), color=color, label=f"{c.dtype}: measured")
        ax.plot(c.hs, c.truncation, color=color, ls="--", lw=1)
        ax.plot(c.hs, c.roundoff, color=color, ls=":", lw=1.2)
        ax.axvline(c.h_best_fit, color=color, lw=0.8, alpha=0.6)
    ax.plot([], [], color="0.3", ls="--", lw=1, label="truncation |f‴| h² / 6")
    ax.plot([], [], color="0.3", ls=":", lw=1.2, label="round-off ε |f| / h")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    name = curves[0].name if curves else ""
    ax.set_title(f"Centred difference of {B.FD_FUNCTIONS[name].label if name else 'f'}")
    return fig


def _error_axes(ax) -> None:
    style_axes(ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1e-13, 1.0)
    ax.set_ylim(1e-17, 1e3)
    ax.set_xticks(10.0 ** np.arange(-12, 1, 2))  # fixed ticks: none outside the view
    ax.set_yticks(10.0 ** np.arange(-15, 1, 3))
    ax.minorticks_off()
    ax.set_xlabel("step h")
    ax.set_ylabel("|centred difference − f′(x)|")


def _positive(errors: np.ndarray) -> np.ndarray:
    """Exact zeros (a lucky rounding) cannot be drawn on a log scale: show them as gaps."""
    return np.where(errors > 0, errors, np.nan)


# ====================================================================== the graph stepper
class GraphStepper(LiveWidget):
    """Step through the forward and backward pass of a small computation graph.

    Controls: ``expression`` (a Dropdown over :data:`~nnlib.chapters.backprop.GRAPHS`), the
    inputs of the chosen expression (``inputs[expression][name]``, sliders and a label menu),
    and ``step`` (an IntSlider: 0 = nothing computed, then one forward step per node, then one
    backward step per node), moved by the ``back``/``next``/``restart`` buttons too.

    A new expression rebuilds the graph with nnlib and lays it out afresh (``layouts`` counts
    these); new inputs rebuild the graph too but keep the layout when the new numbers fit the
    boxes; moving through the steps only changes the labels and the highlighted box (a blit).
    ``result`` holds the step shown: its phase, node, text, and the values and gradients known.
    """

    DPI = 90
    MAX_WIDTH_PX = 960  # about the width of the book's text column

    def __init__(self, expression: str = "L = c(a + 2b)", step: int | str = 0):
        if expression not in B.GRAPHS:
            raise ValueError(f"unknown expression {expression!r}; choose one of {list(B.GRAPHS)}")
        self.expression = widgets.Dropdown(
            options=list(B.GRAPHS),
            value=expression,
            description="expression",
            layout=widgets.Layout(width="330px"),
        )
        self.inputs: dict[str, dict[str, widgets.ValueWidget]] = {}
        self.input_boxes: dict[str, widgets.Box] = {}
        for name, build in B.GRAPHS.items():
            controls = {}
            for key, value in build().inputs.items():
                if key == "y":
                    controls[key] = widgets.Dropdown(
                        options=[("1", 1.0), ("0", 0.0)],
                        value=float(value),
                        description="label y",
                        layout=widgets.Layout(width="160px"),
                    )
                else:
                    controls[key] = float_slider(key, float(value), -3, 3, step=0.1, width="230px")
            self.inputs[name] = controls
            self.input_boxes[name] = widgets.HBox(
                list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")
            )
        self.step = widgets.IntSlider(
            value=0, min=0, max=1, description="step", layout=widgets.Layout(width="420px")
        )
        self.back = widgets.Button(description="◀ back", layout=widgets.Layout(width="90px"))
        self.next = widgets.Button(description="next ▶", layout=widgets.Layout(width="90px"))
        self.restart = widgets.Button(description="restart", layout=widgets.Layout(width="90px"))
        self.back.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.restart.on_click(lambda _: self._move(None))
        self.layouts = 0  # how many times the graph was laid out and drawn afresh (tests)
        self._key: tuple | None = None  # (expression, inputs) of the graph built
        self._drawn_key: tuple | None = None  # ... and of the graph drawn
        self._syncing = False
        panel = widgets.VBox(
            [
                self.expression,
                *self.input_boxes.values(),
                widgets.HBox([self.back, self.next, self.restart, self.step]),
            ]
        )
        controls = [self.expression, self.step]
        controls += [c for group in self.inputs.values() for c in group.values()]
        alt = (
            "The computation graph of the chosen expression, inputs on the left and the loss on "
            "the right: value boxes and operation circles. Values appear as the forward pass "
            "reaches each node, then gradients as the backward pass does; the current node is "
            "outlined in red."
        )
        super().__init__(controls, panel=panel, figsize=(8.0, 3.5), alt=alt)
        if step != 0:
            n = len(self.graph.nodes)
            start = {"forward done": n, "end": 2 * n}.get(step, step)
            if not isinstance(start, int) or not 0 <= start <= 2 * n:
                raise ValueError(
                    f"step must be an int in [0, {2 * n}], 'forward done' or 'end', got {step!r}"
                )
            self.step.value = start

    # -- controls -----------------------------------------------------------------------------
    def _move(self, delta: int | None) -> None:
        if delta is None:
            self.step.value = 0
        else:
            self.step.value = int(np.clip(self.step.value + delta, 0, self.step.max))

    def _on_change(self, change=None) -> None:
        if not self._syncing:  # our own changes to the step slider's range must not recurse
            self.update()

    # -- LiveWidget hooks ---------------------------------------------------------------------
    def build(self, fig: Figure) -> list:
        fig.set_layout_engine("none")
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        return []

    def compute(self) -> dict:
        """Build the graph with nnlib (only when the expression or its inputs change), trace it."""
        name = self.expression.value
        inputs = {k: float(c.value) for k, c in self.inputs[name].items()}
        key = (name, tuple(sorted(inputs.items())))
        if key != self._key:
            self.graph = B.GRAPHS[name](**inputs)
            self.steps = B.trace(self.graph)
            self._key = key
        for box_name, box in self.input_boxes.items():
            box.layout.display = "" if box_name == name else "none"
        n = len(self.steps)
        self._syncing = True
        try:
            self.step.max = n
            k = min(self.step.value, n)
            self.step.value = k
        finally:
            self._syncing = False
        r: dict[str, Any] = {
            "expression": name,
            "inputs": inputs,
            "key": key,
            "step": k,
            "n_steps": n,
            "labels": self.graph.labels,
        }
        if k == 0:
            r.update(phase="start", node=None, values={}, grads={})
            r["text"] = "Nothing computed yet: press next ▶ to run the forward pass."
        else:
            s = self.steps[k - 1]
            r.update(phase=s.phase, node=s.node, values=s.values, grads=s.grads, text=s.text)
        return r

    def draw(self, r: dict) -> None:
        if r["key"] != self._drawn_key:
            same_graph = self._drawn_key is not None and self._drawn_key[0] == r["key"][0]
            if not (same_graph and self._labels_fit()):
                self._draw_graph()
            self._drawn_key = r["key"]
        root = self.graph.output.name or "out"
        for node, label, box, lines in zip(self.graph.nodes, r["labels"], self._boxes, self._lines):
            value = r["values"].get(label)
            if node.name is None:  # an unnamed constant is labelled by its value, always shown
                lines[0].set_text(format_number(node.data))
            else:
                lines[0].set_text(label if value is None else f"{label} = {format_number(value)}")
            if len(lines) > 1:
                grad = r["grads"].get(label)
                lines[1].set_text(
                    "" if grad is None else f"∂{root}/∂{label} = {format_number(grad)}"
                )
            hot = label == r["node"]
            box.set_edgecolor(ACCENT if hot else NODE_EC)
            box.set_linewidth(2.6 if hot else 1.3)
        where = "" if r["phase"] == "start" else f"{r['phase']} step, "
        self.readout.value = (
            f"<b>step {r['step']} of {r['n_steps']}</b> ({where}{len(r['labels'])} nodes): "
            f"<code>{_escape(r['text'])}</code>"
        )

    def _draw_graph(self) -> None:
        """A full draw of the current graph in its final state (every value and gradient), so
        each box is as large as its largest label; steps then change the labels only."""
        self.layouts += 1
        self.fig.set_dpi(self.DPI)
        self.ax.clear()
        fig = graph_diagram(self.graph.output, values=True, grads=True, ax=self.ax)
        drawn = fig.graph_artists
        if [id(t) for t in drawn.values] != [id(t) for t in self.graph.nodes]:
            raise RuntimeError("the diagram's node order differs from the graph's topo_order")
        self._boxes = drawn.boxes
        self._lines = drawn.labels
        # The diagram is laid out in inches: give the figure exactly its size, so 1 unit = 1 in,
        # at a resolution no finer than the page shows it (a wider picture would only be scaled
        # down by the browser, after costing more to draw and encode).
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        self.fig.set_size_inches(x1 - x0, y1 - y0)
        self.fig.set_dpi(min(self.DPI, self.MAX_WIDTH_PX / (x1 - x0)))
        self.canvas.image.layout.width = f"{round((x1 - x0) * self.fig.dpi)}px"
        self.canvas.animate([*self._boxes, *(t for lines in self._lines for t in lines)])

    def _final_texts(self) -> list[list[str]]:
        """Each box's lines once every value and gradient is known (what the boxes must hold)."""
        root = self.graph.output.name or "out"
        out = []
        for node, label in zip(self.graph.nodes, self.graph.labels):
            first = format_number(node.data) if node.name is None else label
            if node.name is not None:
                first = f"{label} = {format_number(node.data)}"
            lines = [first]
            if node.grad is not None and (node.requires_grad or node._prev):
                lines.append(f"∂{root}/∂{label} = {format_number(node.grad)}")
            out.append(lines)
        return out

    def _labels_fit(self) -> bool:
        """New inputs, same expression: do the new numbers fit the boxes already drawn? Then
        only the labels change (a blit); otherwise the graph is laid out again (a full draw)."""
        renderer = self.fig.canvas.get_renderer()
        for texts, box, lines in zip(self._final_texts(), self._boxes, self._lines):
            if len(texts) != len(lines):
                return False
            width = box.get_window_extent(renderer).width / self.fig.dpi  # inches
            for text, artist in zip(texts, lines):
                # 0.1 in: the estimate's error (font hinting at this resolution) and some air
                if text_width(text, artist.get_fontproperties()) + 0.1 > width:
                    return False
        return True

    def describe(self, r: dict) -> str:
        return f"Step {r['step']} of {r['n_steps']}: {r['text']}"


def text_width(text: str, prop: FontProperties) -> float:
    """Width in inches of one line of plain text: the sum of its characters' advances, each
    measured once (a label's numbers change on every slider move; its characters do not)."""
    return sum(_advance(c, prop) for c in text)


@functools.lru_cache(maxsize=2048)
def _advance(char: str, prop: FontProperties) -> float:
    # What the character adds between two others (its advance, side bearings included), in
    # inches; the layout's kerning is a fraction of a point and covered by the caller's margin.
    def width(s: str) -> float:
        return _TEXT_PATH.get_text_width_height_descent(s, prop, ismath=False)[0] / 72

    return width("x" + char + "x") - width("xx")


_TEXT_PATH = TextToPath()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def graph_stepper(expression: str = "L = c(a + 2b)", step: int | str = 0) -> GraphStepper:
    """The graph stepper of section 6.3 (see :class:`GraphStepper`).

    ``step`` is where it starts: 0 (nothing computed), "forward done" (every value on the
    graph, the backward pass next), "end", or a step number.
    """
    return GraphStepper(expression, step)


# ====================================================================== the gradient-check explorer
class GradCheckExplorer(LiveWidget):
    """The error of the centred difference against h, float64 and float32 (book: 6.8).

    Controls: ``function`` (a Dropdown over :data:`~nnlib.chapters.backprop.FD_FUNCTIONS`) and
    ``x`` (the point). Every update recomputes both error curves with
    :func:`~nnlib.chapters.backprop.error_curve` and blits the moving lines; ``result`` holds
    the two :class:`~nnlib.chapters.backprop.ErrorCurve` objects.
    """

    DTYPES = (np.float64, np.float32)

    def __init__(self, function: str = "sin", x: float = 1.0):
        if function not in B.FD_FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; choose one of {list(B.FD_FUNCTIONS)}")
        self.function = widgets.Dropdown(
            options=[(f.label, k) for k, f in B.FD_FUNCTIONS.items()],
            value=function,
            description="f(x) =",
            layout=widgets.Layout(width="220px"),
        )
        self.x = float_slider("x", x, -2.0, 2.0, step=0.05)
        alt = (
            "Log-log plot of the error of the centred difference (f(x+h) - f(x-h)) / 2h against "
            "the step h, in float64 (blue) and float32 (orange), each V-shaped: truncation error "
            "falling as h² on the right, round-off error rising as 1/h on the left; dashed and "
            "dotted lines show the two terms of the model, vertical lines the best h."
        )
        super().__init__([self.function, self.x], figsize=(7.0, 3.6), alt=alt)

    def build(self, fig: Figure) -> list:
        ax = self.ax = fig.subplots()
        _error_axes(ax)
        self.lines = {}
        moving = []
        for i, dtype in enumerate(self.DTYPES):
            color = LINE_COLORS[i]
            name = np.dtype(dtype).name
            (measured,) = ax.plot([], [], color=color, label=name)
            (trunc,) = ax.plot([], [], color=color, ls="--", lw=1)
            (roundoff,) = ax.plot([], [], color=color, ls=":", lw=1.2)
            best = ax.axvline(1e-6, color=color, lw=0.8, alpha=0.7)
            self.lines[name] = (measured, trunc, roundoff, best)
            moving += [measured, trunc, roundoff, best]
        ax.plot([], [], color="0.3", ls="--", lw=1, label="|f‴| h² / 6")
        ax.plot([], [], color="0.3", ls=":", lw=1.2, label="ε |f| / h")
        ax.legend(loc="upper center", ncol=4, fontsize=8)
        return moving

    def compute(self) -> dict:
        name, x = self.function.value, float(self.x.value)
        curves = {np.dtype(d).name: B.error_curve(name, x, d) for d in self.DTYPES}
        return {"function": name, "x": x, "curves": curves}

    def draw(self, r: dict) -> None:
        parts = []
        for name, c in r["curves"].items():
            measured, trunc, roundoff, best = self.lines[name]
            measured.set_data(c.hs, _positive(c.errors))
            trunc.set_data(c.hs, np.where(c.truncation > 0, c.truncation, np.nan))
            roundoff.set_data(c.hs, np.where(c.roundoff > 0, c.roundoff, np.nan))
            best.set_xdata([c.h_best_measured, c.h_best_measured])
            parts.append(
                f"{name}: smallest error {c.errors.min():.1e} at h = {c.h_best_measured:.0e} "
                f"(model: {c.h_best_model:.0e}; ε^(1/3) = {c.eps ** (1 / 3):.0e})"
            )
        self.readout.value = "<br>".join(parts)

    def describe(self, r: dict) -> str:
        c64, c32 = r["curves"]["float64"], r["curves"]["float32"]
        return (
            f"For {B.FD_FUNCTIONS[r['function']].label} at x = {r['x']:.2f}, the best h is about "
            f"{c64.h_best_measured:.0e} in float64 and {c32.h_best_measured:.0e} in float32."
        )


def gradcheck_explorer(function: str = "sin", x: float = 1.0) -> GradCheckExplorer:
    """The gradient-check explorer of section 6.8 (see :class:`GradCheckExplorer`)."""
    return GradCheckExplorer(function, x)
