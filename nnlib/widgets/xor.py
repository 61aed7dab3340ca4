"""Widgets for chapter 2, "Perceptrons and the XOR problem".

- :func:`perceptron_explorer`: choose AND, OR or XOR and move w1, w2, b; see the boundary line,
  the two half-planes, the misclassified points and the count of correct points.
- :func:`xor_hidden_space`: the input space and the hidden space of the exact XOR network, and
  of learned networks with a slider over training steps.
- :func:`plot_boundaries`, :func:`plot_hidden_spaces`, :func:`plot_loss_curves`: static figures.

Every number (outputs, counts, regions, boundaries, hidden points) comes from
:mod:`nnlib.chapters.xor`; this module only draws, with the shared toolkit
(:mod:`nnlib.widgets.canvas`). Each widget keeps what it last displayed in ``.result`` (a dict)
so tests can check it without a browser or a kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..chapters import xor as P
from ..data import truth_table
from .canvas import (
    CLASS_COLORS,
    ClassScatter,
    DecisionRegions,
    LiveWidget,
    figure,
    styled,
)

__all__ = [
    "perceptron_explorer",
    "xor_hidden_space",
    "PerceptronExplorer",
    "XorHiddenSpace",
    "plot_boundaries",
    "plot_hidden_spaces",
    "plot_loss_curves",
]

# Class 0 / class 1 colours (the toolkit's colour-blind-safe pair).
C0, C1 = CLASS_COLORS[0], CLASS_COLORS[1]
WRONG = "#cc0000"  # the crosses on misclassified points
LIM = (-0.5, 1.5)


def _cross_out(ax, size: float = 320):
    """An (empty) scatter of red crosses, for the points a model gets wrong."""
    return ax.scatter([], [], s=size, marker="x", c=WRONG, linewidths=2.5, zorder=4, label="wrong")


class PerceptronExplorer(LiveWidget):
    """The perceptron explorer (see :func:`perceptron_explorer`)."""

    def __init__(self, function: str = "XOR", w1: float = 1.0, w2: float = 1.0, b: float = -0.5):
        truth_table(function)  # fails early, naming the choices, for an unknown function
        self.function = widgets.Dropdown(
            options=["AND", "OR", "XOR"], value=function.upper(), description="function"
        )
        slider = dict(min=-2.0, max=2.0, step=0.1, continuous_update=True, readout_format=".1f")
        self.w1 = widgets.FloatSlider(value=w1, description="w1", **slider)
        self.w2 = widgets.FloatSlider(value=w2, description="w2", **slider)
        self.b = widgets.FloatSlider(value=b, description="b", **slider)
        self.readout = widgets.HTML()
        panel = widgets.VBox(
            [
                widgets.HBox([self.function, self.readout]),
                widgets.HBox(
                    [self.w1, self.w2, self.b], layout=widgets.Layout(flex_flow="row wrap")
                ),
            ]
        )
        super().__init__(
            [self.function, self.w1, self.w2, self.b],
            panel=panel,
            readout_in_panel=True,
            figsize=(4.2, 4.0),
            alt="The four inputs of a Boolean function in the (x1, x2) plane, the perceptron's "
            "boundary line, its two half-planes shaded (blue where it outputs 1, orange where it "
            "outputs 0), and the misclassified points crossed out.",
        )

    def build(self, fig: Figure) -> list:
        ax = self.ax = fig.add_subplot()
        self.regions = DecisionRegions(ax, (*LIM, *LIM))
        (self.line,) = ax.plot([], [], color="black", lw=2, zorder=2)
        self.points = ClassScatter(ax, size=110, labels=["target y = 0", "target y = 1"], zorder=3)
        self.wrong = _cross_out(ax)
        ax.set(xlim=LIM, ylim=LIM, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False
        )
        self.title = ax.set_title("", fontsize=10)
        return [*self.regions.artists, self.line, *self.points.artists, self.wrong, self.title]

    def compute(self) -> dict:
        name = self.function.value
        X, y = truth_table(name)
        w = np.array([self.w1.value, self.w2.value])
        b = float(self.b.value)
        outputs = P.perceptron(X, w, b)
        return {
            "function": name,
            "X": X,
            "w": w,
            "b": b,
            "outputs": outputs,
            "targets": y,
            "correct": outputs == y,
            "count": P.count_correct(X, y, w, b),
            "segment": P.boundary_segment(w, b, LIM, LIM),
            "regions": P.perceptron_regions(w, b, LIM, LIM, 121),
        }

    def draw(self, r: dict) -> None:
        X, w, b = r["X"], r["w"], r["b"]
        self.regions.set(r["regions"])
        segment = r["segment"]
        self.line.set_data(*((segment[:, 0], segment[:, 1]) if segment is not None else ([], [])))
        self.points.set(X, r["targets"])
        wrong = ~r["correct"]
        self.wrong.set_offsets(X[wrong] if wrong.any() else np.empty((0, 2)))
        self.title.set_text(
            f"{r['function']}: {r['count']}/4 correct   "
            f"({w[0]:.1f}) x1 + ({w[1]:.1f}) x2 + ({b:.1f}) = 0"
        )
        self.readout.value = (
            f"<b>{r['count']}/4 correct</b> &nbsp; outputs for (0,0), (0,1), (1,0), (1,1): "
            f"{', '.join(str(int(o)) for o in r['outputs'])}"
        )

    def describe(self, r: dict) -> str:
        w, b = r["w"], r["b"]
        wrong = [f"({x[0]:.0f},{x[1]:.0f})" for x in r["X"][~r["correct"]]]
        return (
            f"Now: {r['function']} with w = ({w[0]:.1f}, {w[1]:.1f}), b = {b:.1f}; "
            f"{r['count']} of 4 correct" + (f", wrong: {', '.join(wrong)}." if wrong else ".")
        )


def perceptron_explorer(
    function: str = "XOR", w1: float = 1.0, w2: float = 1.0, b: float = -0.5
) -> PerceptronExplorer:
    """A perceptron y = 1 if w1 x1 + w2 x2 + b > 0 else 0 on the four inputs of AND, OR or XOR.

    Sliders set w1, w2 and b (from -2 to 2 in steps of 0.1). The figure shades the half-plane
    labelled 1 in blue and the other in orange, draws the boundary w1 x1 + w2 x2 + b = 0, crosses
    out misclassified points and reports "k/4 correct". ``.result`` holds the last computation.
    """
    return PerceptronExplorer(function, w1, w2, b)


class XorHiddenSpace(LiveWidget):
    """The x-space / h-space pair (see :func:`xor_hidden_space`)."""

    GRID = 101  # grid points per side for the shaded regions

    def __init__(
        self,
        seeds: Sequence[int] = (0, 3),
        steps: int = 1000,
        lr: float = 0.5,
        record_every: int = 10,
    ):
        X, y = truth_table("XOR")
        self.X, self.y = X, y
        # Training and every snapshot's hidden space happen once, here; the controls only pick.
        self.runs = r = P.train_mlps(
            X, y, seeds, hidden=2, steps=steps, lr=lr, record_every=record_every
        )
        self.exact = P.exact_hidden_space(X, y, LIM, self.GRID)
        self.learned = P.hidden_space(X, y, r.W, r.b, r.U, r.c, r.activation, lim=LIM, n=self.GRID)
        self.losses_all = r.losses[r.recorded]  # (T, S)

        success = r.success()
        options = [("exact network (W, b, U from the text)", "exact")] + [
            (f"learned, seed {s} ({'solves XOR' if ok else 'gets stuck'})", i)
            for i, (s, ok) in enumerate(zip(r.seeds, success))
        ]
        self.network = widgets.Dropdown(
            options=options,
            value="exact",
            description="network",
            layout=widgets.Layout(width="26em"),
        )
        self.step = widgets.SelectionSlider(
            options=[int(t) for t in r.recorded],
            value=int(r.recorded[-1]),
            description="step",
            continuous_update=True,
            disabled=True,
        )
        self._h_lim: tuple[float, float] | None = None
        super().__init__(
            [self.network, self.step],
            figsize=(7.6, 3.7),
            alt="Left: the four XOR inputs in the (x1, x2) plane with the network's decision "
            "regions. Right: the same four points after the hidden layer, in the (h1, h2) plane, "
            "where one straight line separates the two classes.",
        )

    def build(self, fig: Figure) -> list:
        self.ax_x, self.ax_h = fig.subplots(1, 2)
        self.x_regions = DecisionRegions(self.ax_x, (*LIM, *LIM))
        self.x_points = ClassScatter(self.ax_x, self.X, self.y)
        self.ax_x.set(
            xlim=LIM,
            ylim=LIM,
            xlabel="$x_1$",
            ylabel="$x_2$",
            aspect="equal",
            title="input space x",
        )
        self.h_regions = DecisionRegions(self.ax_h, (0, 1, 0, 1))
        (self.h_line,) = self.ax_h.plot([], [], color="black", lw=2, zorder=2)
        self.h_points = ClassScatter(self.ax_h)
        self.h_labels = [
            self.ax_h.annotate(
                "", (0, 0), textcoords="offset points", xytext=(6, 6 - 11 * i), fontsize=7, zorder=4
            )
            for i in range(4)
        ]
        self.ax_h.set(xlabel="$h_1$", ylabel="$h_2$")
        self.h_title = self.ax_h.set_title("", fontsize=9)
        self.ax_x.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8, frameon=False
        )
        return [
            *self.x_regions.artists,
            *self.x_points.artists,
            *self.h_regions.artists,
            self.h_line,
            *self.h_points.artists,
            *self.h_labels,
            self.h_title,
        ]

    def compute(self) -> dict:
        if self.network.value == "exact":
            e = self.exact
            state = {
                "name": "exact",
                "h": e.h,
                "z": e.z,
                "U": e.U,
                "c": float(e.c),
                "threshold": e.threshold,
                "x_regions": e.x_regions,
                "pred": e.pred,
                "correct": int(e.correct),
                "loss": None,
                "step": None,
                "h_lim": (-0.5, 2.5),
            }
        else:
            s = self.network.value
            t = int(np.searchsorted(self.runs.recorded, self.step.value))
            L = self.learned
            h_seed = L.h[:, s]  # every snapshot, so the axes do not jump while learning
            state = {
                "name": f"seed {self.runs.seeds[s]}",
                "h": L.h[t, s],
                "z": L.z[t, s],
                "U": L.U[t, s],
                "c": float(L.c[t, s]),
                "threshold": L.threshold,
                "x_regions": L.x_regions[t, s],
                "pred": L.pred[t, s],
                "correct": int(L.correct[t, s]),
                "loss": float(self.losses_all[t, s]),
                "step": int(self.runs.recorded[t]),
                "h_lim": (-0.3, max(1.0, float(h_seed.max())) * 1.1 + 0.3),
            }
        w, b = P.output_rule(state["U"], state["c"], state["threshold"])
        lim = state["h_lim"]
        state["h_regions"] = P.perceptron_regions(w, b, lim, lim, self.GRID)
        state["segment"] = P.boundary_segment(w, b, lim, lim)
        return state

    def draw(self, r: dict) -> None:
        self.step.disabled = r["name"] == "exact"
        h, lim = r["h"], r["h_lim"]
        self.x_regions.set(r["x_regions"])
        self.h_regions.set(r["h_regions"], extent=(*lim, *lim))
        segment = r["segment"]
        self.h_line.set_data(*((segment[:, 0], segment[:, 1]) if segment is not None else ([], [])))
        self.h_points.set(h, self.y)
        for i, ann in enumerate(self.h_labels):
            ann.xy = tuple(h[i])
            ann.set_text(f"x=({self.X[i, 0]:.0f},{self.X[i, 1]:.0f})")
        if self._h_lim != lim:  # new limits and ticks: the background must be redrawn
            self._h_lim = lim
            self.ax_h.set(xlim=lim, ylim=lim)
            self.canvas.invalidate()
        where = "" if r["step"] is None else f", step {r['step']}, loss {r['loss']:.3f}"
        self.h_title.set_text(f"hidden space h ({r['name']}{where})")
        rows = ", ".join(f"({v[0]:.2f}, {v[1]:.2f})" for v in h)
        self.readout.value = f"<b>{r['correct']}/4 correct</b> &nbsp; h for the four inputs: {rows}"

    def describe(self, r: dict) -> str:
        where = "" if r["step"] is None else f" after {r['step']} training steps"
        points = "; ".join(
            f"({x[0]:.0f},{x[1]:.0f}) -> ({v[0]:.2f}, {v[1]:.2f})" for x, v in zip(self.X, r["h"])
        )
        return (
            f"Now: the {r['name']} network{where}, {r['correct']} of 4 correct. "
            f"Hidden points: {points}."
        )


def xor_hidden_space(
    seeds: Sequence[int] = (0, 3), steps: int = 1000, lr: float = 0.5, record_every: int = 10
) -> XorHiddenSpace:
    """The XOR inputs before and after the hidden layer, for the exact and for learned networks.

    Left: the input space with the network's decision regions; right: the hidden space h with
    the output unit's boundary line. Choose the exact network or a 2-2-1 ReLU network trained
    (once, when the widget is made) from each of ``seeds`` with SGD; the step slider picks one of
    the parameter snapshots saved every ``record_every`` steps. ``.result`` holds what is shown.
    """
    return XorHiddenSpace(seeds, steps, lr, record_every)


# ---------------------------------------------------------------------- static figures
def _panel(ax, X, y, w, b, lim, title, labels=None) -> int:
    """One perceptron panel: regions, boundary line, points, crosses on mistakes; returns count."""
    DecisionRegions(ax, (*lim, *lim), P.perceptron_regions(w, b, lim, lim, 201))
    seg = P.boundary_segment(w, b, lim, lim)
    if seg is not None:
        ax.plot(seg[:, 0], seg[:, 1], color="black", lw=2, zorder=2)
    ClassScatter(ax, X, y)
    wrong = P.perceptron(X, w, b) != y
    if wrong.any():
        _cross_out(ax, size=300).set_offsets(X[wrong])
    if labels is not None:
        for i, text in enumerate(labels):
            ax.annotate(text, X[i], textcoords="offset points", xytext=(7, 5 - 10 * i), fontsize=7)
    count = P.count_correct(X, y, w, b)
    ax.set(xlim=lim, ylim=lim, aspect="equal", title=f"{title}: {count}/{len(y)} correct")
    return count


@styled
def plot_boundaries(panels: Sequence[tuple[str, Sequence[float], float]]) -> Figure:
    """Perceptron decision boundaries, one panel per (function name, w, b).

    Each panel shades the half-plane the perceptron labels 1 (blue) and 0 (orange), draws the
    line w1 x1 + w2 x2 + b = 0 and crosses out the points it gets wrong.
    """
    fig = figure((3.0 * len(panels), 3.2))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, w, b) in zip(axes, panels):
        X, y = truth_table(name)
        _panel(
            ax,
            X,
            y,
            np.asarray(w, dtype=float),
            float(b),
            LIM,
            f"{name.upper()}, w = ({w[0]:g}, {w[1]:g}), b = {b:g}",
        )
        ax.set(xlabel="$x_1$", ylabel="$x_2$", xticks=[0, 1], yticks=[0, 1])
        ax.title.set_fontsize(8)
    axes[0].legend(loc="upper left", fontsize=7, frameon=True)
    return fig


@styled
def plot_hidden_spaces(runs: P.MLPRuns, indices: Sequence[int], t: int = -1) -> Figure:
    """The hidden space of trained 2-2-1 networks: one panel per seed index of ``runs``.

    Each panel shows the training points after the hidden layer, h = act(x W^T + b), with the
    output unit's line U . h + c = 0 and its two sides.
    """
    if runs.W.shape[-2] != 2:
        raise ValueError("plot_hidden_spaces draws 2-d hidden spaces: train with hidden=2")
    fig = figure((3.3 * len(indices), 3.3))
    axes = fig.subplots(1, len(indices), squeeze=False)[0]
    h_all, _ = runs.forward(t=t)
    dead = runs.dead_units(t)
    for ax, s in zip(axes, indices):
        h = h_all[s]
        top = max(1.0, float(h.max())) * 1.15 + 0.3
        lim = (-0.3, top)
        labels = [f"x=({x[0]:.0f},{x[1]:.0f})" for x in runs.X]
        _panel(
            ax,
            h,
            runs.y,
            runs.U[t, s],
            float(runs.c[t, s]),
            lim,
            f"seed {runs.seeds[s]}",
            labels=labels,
        )
        ax.set(xlabel="$h_1$", ylabel="$h_2$")
        if dead[s]:
            ax.text(
                0.97,
                0.97,
                f"{dead[s]} dead unit" + ("s" if dead[s] > 1 else ""),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
                bbox=dict(facecolor="white", edgecolor="0.5"),
            )
    return fig


@styled
def plot_loss_curves(runs: P.MLPRuns, highlight: Sequence[int] = ()) -> Figure:
    """Training loss of every seed (thin grey lines) with some seeds highlighted, log-scaled."""
    fig = figure((6.0, 3.0))
    ax = fig.add_subplot()
    steps = np.arange(runs.losses.shape[0])
    ax.plot(steps, runs.losses, color="0.6", lw=0.6, alpha=0.5)
    for s in highlight:
        ax.plot(steps, runs.losses[:, s], lw=2, label=f"seed {runs.seeds[s]}")
    ax.axhline(np.log(2), color="black", ls="--", lw=1)
    ax.text(steps[-1], np.log(2) * 1.08, "log 2", ha="right", fontsize=8)
    ax.set(yscale="log", xlabel="step", ylabel="training loss (cross-entropy)")
    if highlight:
        ax.legend(fontsize=8)
    return fig
