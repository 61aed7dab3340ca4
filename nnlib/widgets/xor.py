"""Widgets for chapter 2, "Perceptrons and the XOR problem".

- :func:`perceptron_explorer`: choose AND, OR or XOR and move w1, w2, b; see the boundary line,
  the weight vector (perpendicular to it, pointing to the side labelled 1), the two half-planes,
  the misclassified points and the count of correct points.
- :func:`xor_hidden_space`: the input space and the hidden space of the exact XOR network, or of
  a trained 2-H-1 network (any of 100 seeds, ReLU, tanh or sigmoid units, 2 to 8 of them) with a
  slider over training steps; a grid over the input plane is drawn folded into the hidden space.
- :func:`plot_boundaries`, :func:`plot_hidden_spaces`, :func:`plot_loss_curves`,
  :func:`plot_staircase`: static figures.

Every number (outputs, counts, regions, boundaries, hidden points) comes from
:mod:`nnlib.chapters.xor`; this module only draws, with the shared toolkit
(:mod:`nnlib.widgets.canvas`). Each widget keeps what it last displayed in ``.result`` (a dict)
so tests can check it without a browser or a kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..chapters import xor as P
from ..data import truth_table
from .canvas import (
    ACCENT,
    CLASS_COLORS,
    LINE_COLORS,
    ClassScatter,
    DecisionRegions,
    LiveWidget,
    figure,
    style_axes,
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
    "plot_staircase",
    "format_line",
]

# Class 0 / class 1 colours (the toolkit's colour-blind-safe pair).
C0, C1 = CLASS_COLORS[0], CLASS_COLORS[1]
WRONG = "#cc0000"  # the crosses on misclassified points
LIM = (-0.5, 1.5)


def _number(v: float) -> str:
    """|v| with at most 2 decimals and no trailing zeros: 0.5, 1, 1.25."""
    return f"{abs(v):.2f}".rstrip("0").rstrip(".")


def format_line(w: Sequence[float], b: float, names: Sequence[str] = ("x₁", "x₂")) -> str:
    """w1 x1 + w2 x2 + b = 0 as a reader would write it: 'x₁ + x₂ − 0.5 = 0', '−2x₂ = 0'."""
    terms = [("" if abs(wi) == 1 else _number(wi)) + name for wi, name in zip(w, names) if wi]
    signs = [wi < 0 for wi in w if wi]
    if b or not terms:
        terms.append(_number(b))
        signs.append(b < 0)
    text = ("−" if signs[0] else "") + terms[0]
    for term, negative in zip(terms[1:], signs[1:]):
        text += (" − " if negative else " + ") + term
    return text + " = 0"


def _cross_out(ax, size: float = 320):
    """An (empty) scatter of red crosses, for the points a model gets wrong."""
    return ax.scatter([], [], s=size, marker="x", c=WRONG, linewidths=2.5, zorder=4, label="wrong")


class PerceptronExplorer(LiveWidget):
    """The perceptron explorer (see :func:`perceptron_explorer`)."""

    def __init__(self, function: str = "XOR", w1: float = 1.0, w2: float = 1.0, b: float = -0.5):
        truth_table(function)  # fails early, naming the choices, for an unknown function
        self.function = widgets.Dropdown(
            options=["AND", "OR", "NAND", "XOR"], value=function.upper(), description="function"
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
            figsize=(4.4, 4.3),
            alt="The four inputs of a Boolean function in the (x1, x2) plane, the perceptron's "
            "boundary line, its weight vector w drawn as an arrow perpendicular to the line and "
            "pointing into the half-plane labelled 1, the two half-planes shaded (blue where it "
            "outputs 1, orange where it outputs 0), and the misclassified points crossed out.",
        )

    def build(self, fig: Figure) -> list:
        ax = self.ax = fig.add_subplot()
        self.regions = DecisionRegions(ax, (*LIM, *LIM))
        (self.line,) = ax.plot([], [], color="black", lw=2, zorder=2)
        self.arrow = FancyArrowPatch(
            (0, 0), (0, 0), arrowstyle="-|>", mutation_scale=16, color=ACCENT, lw=2.2, zorder=5
        )
        ax.add_patch(self.arrow)
        self.arrow_label = ax.text(0, 0, "w", color=ACCENT, fontsize=11, zorder=5)
        self.points = ClassScatter(ax, size=110, labels=["target y = 0", "target y = 1"], zorder=3)
        self.wrong = _cross_out(ax)
        ax.set(xlim=LIM, ylim=LIM, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False
        )
        self.title = ax.set_title("", fontsize=10)
        return [
            *self.regions.artists,
            self.line,
            *self.points.artists,
            self.wrong,
            self.arrow,
            self.arrow_label,
            self.title,
        ]

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
            "arrow": P.weight_arrow(w, b, center=(0.5, 0.5), length=0.45),
        }

    def draw(self, r: dict) -> None:
        X, w, b = r["X"], r["w"], r["b"]
        self.regions.set(r["regions"])
        segment = r["segment"]
        self.line.set_data(*((segment[:, 0], segment[:, 1]) if segment is not None else ([], [])))
        self.points.set(X, r["targets"])
        wrong = ~r["correct"]
        self.wrong.set_offsets(X[wrong] if wrong.any() else np.empty((0, 2)))
        arrow = r["arrow"]
        visible = arrow is not None and segment is not None
        self.arrow.set_visible(visible)
        self.arrow_label.set_visible(visible)
        if visible:
            self.arrow.set_positions(tuple(arrow[0]), tuple(arrow[1]))
            self.arrow_label.set_position(tuple(arrow[1] + 0.06 * (arrow[1] - arrow[0]) / 0.45))
        self.title.set_text(f"{r['function']}: {r['count']}/4 correct   {format_line(w, b)}")
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
    """A perceptron y = 1 if w1 x1 + w2 x2 + b > 0 else 0 on the four inputs of AND, OR, NAND
    or XOR.

    Sliders set w1, w2 and b (from -2 to 2 in steps of 0.1). The figure shades the half-plane
    labelled 1 in blue and the other in orange, draws the boundary w1 x1 + w2 x2 + b = 0 and the
    weight vector w (an arrow from the boundary, perpendicular to it, into the blue side), crosses
    out misclassified points and reports "k/4 correct". ``.result`` holds the last computation.
    """
    return PerceptronExplorer(function, w1, w2, b)


class XorHiddenSpace(LiveWidget):
    """The x-space / h-space pair (see :func:`xor_hidden_space`)."""

    GRID = 101  # grid points per side for the shaded regions
    LINES, LINE_POINTS = 11, 41  # the input grid drawn folded into the hidden space
    ACTIVATIONS = ("relu", "tanh", "sigmoid")
    WIDTHS = (2, 3, 4, 8)

    def __init__(
        self,
        runs: P.MLPRuns | None = None,
        seeds: Sequence[int] = range(100),
        steps: int = 1000,
        lr: float = 0.5,
        record_every: int = 10,
    ):
        X, y = truth_table("XOR")
        self.X, self.y = X, y
        self.settings = {"steps": int(steps), "lr": float(lr), "record_every": int(record_every)}
        self.seeds = np.asarray(list(seeds), dtype=np.int64)
        if self.seeds.size == 0:
            raise ValueError("xor_hidden_space needs at least one seed")
        self._runs: dict[tuple[str, int], P.MLPRuns] = {}
        self._views: dict[tuple[str, int, int], dict] = {}
        if runs is not None:  # reuse a run the chapter has already made
            if not (np.array_equal(runs.X, X) and np.array_equal(runs.y, y)):
                raise ValueError("runs must be trained on the four XOR points")
            if runs.losses.shape[0] - 1 != steps or runs.activation not in self.ACTIVATIONS:
                raise ValueError(
                    f"runs must have {steps} steps and one of the activations {self.ACTIVATIONS}"
                )
            self.seeds = runs.seeds
            self._runs[(runs.activation, runs.W.shape[-2])] = runs
        self.lines_x = P.grid_lines(LIM, self.LINES, self.LINE_POINTS)
        first = self._get(self.ACTIVATIONS[0], 2) if runs is None else runs
        self.network = widgets.Dropdown(
            options=[("exact network (W, b, U from the text)", "exact"), ("trained", "trained")],
            value="exact",
            description="network",
            layout=widgets.Layout(width="24em"),
        )
        self.activation = widgets.Dropdown(
            options=[(P.F.get_activation(a).label, a) for a in self.ACTIVATIONS],
            value=first.activation,
            description="units",
            layout=widgets.Layout(width="13em"),
        )
        self.width = widgets.Dropdown(
            options=list(self.WIDTHS),
            value=int(first.W.shape[-2]),
            description="hidden",
            layout=widgets.Layout(width="11em"),
        )
        self.seed = widgets.Dropdown(
            options=[int(s) for s in self.seeds],
            value=int(self.seeds[0]),
            description="seed",
            layout=widgets.Layout(width="11em"),
        )
        self.step = widgets.SelectionSlider(
            options=[int(t) for t in first.recorded],
            value=int(first.recorded[-1]),
            description="step",
            continuous_update=True,
        )
        controls = [self.network, self.activation, self.width, self.seed, self.step]
        super().__init__(
            controls,
            figsize=(7.8, 3.9),
            alt="Left: the four XOR inputs in the (x1, x2) plane with a grid of lines and the "
            "network's decision regions. Right: the same points and grid after the hidden layer, "
            "in the hidden space, where the grid is bent and folded and one straight line (the "
            "output unit) separates the classes when the network solves XOR.",
        )

    # -- training, once per setting ----------------------------------------------------------
    def _get(self, activation: str, width: int) -> P.MLPRuns:
        """Every seed's network for this setting, trained together once, then kept."""
        key = (activation, int(width))
        if key not in self._runs:
            self._runs[key] = P.train_mlps(
                self.X,
                self.y,
                self.seeds,
                hidden=int(width),
                activation=activation,
                **self.settings,
            )
        return self._runs[key]

    @property
    def runs(self) -> P.MLPRuns:
        """The trained networks of the current setting (units and width)."""
        return self._get(self.activation.value, self.width.value)

    def _network(self, t: int | None) -> dict:
        """Parameters, activation and threshold of the network shown (snapshot t if trained)."""
        if self.network.value == "exact":
            return {
                "W": P.XOR_W,
                "b": P.XOR_B,
                "U": P.XOR_U[0],
                "c": 0.0,
                "activation": "relu",
                "threshold": P.EXACT_THRESHOLD,
            }
        runs, s = self.runs, self._seed_index()
        return {
            "W": runs.W[t, s],
            "b": runs.b[t, s],
            "U": runs.U[t, s],
            "c": float(runs.c[t, s]),
            "activation": runs.activation,
            "threshold": 0.0,
        }

    def _seed_index(self) -> int:
        return int(np.flatnonzero(self.runs.seeds == self.seed.value)[0])

    def _plane(self, net: dict) -> tuple[P.HiddenPlane, np.ndarray]:
        """The plane to draw the hidden space in, and the input grid's lines mapped into h."""
        h_lines, _ = P.mlp_forward(
            self.lines_x.reshape(-1, 2), net["W"], net["b"], net["U"], net["c"], net["activation"]
        )
        return P.hidden_plane(net["U"], net["c"], net["threshold"], h_ref=h_lines), h_lines

    def _view(self) -> dict:
        """Axis limits for the hidden space, fixed over a trained network's whole training (so
        the step slider only blits); computed once per network."""
        if self.network.value == "exact":
            return {"lim": (-0.5, 2.5)}
        key = (self.activation.value, self.width.value, self.seed.value)
        if key not in self._views:
            lo, hi = 0.0, 1.0
            for t in range(len(self.runs.recorded)):
                net = self._network(t)
                plane, h_lines = self._plane(net)
                pts = plane.coords(
                    np.concatenate([h_lines, P.mlp_forward(self.X, **_args(net))[0]])
                )
                lo, hi = min(lo, float(pts.min())), max(hi, float(pts.max()))
            pad = 0.16 * (hi - lo)  # room for points drawn side by side (_spread)
            self._views[key] = {"lim": (lo - pad, hi + pad)}
        return self._views[key]

    def compute(self) -> dict:
        exact = self.network.value == "exact"
        runs = None if exact else self.runs
        t = None if exact else int(np.searchsorted(runs.recorded, self.step.value))
        if not exact and (t >= len(runs.recorded) or runs.recorded[t] != self.step.value):
            raise ValueError(f"step {self.step.value} was not recorded")
        net = self._network(t)
        plane, h_lines = self._plane(net)
        lim = self._view()["lim"]
        h, z = P.mlp_forward(self.X, **_args(net))
        pred = P.mlp_decisions(z, net["threshold"])
        _, zgrid = P.mlp_forward(P.grid_points(LIM, LIM, self.GRID), **_args(net))
        state = {
            "name": "exact" if exact else f"seed {self.seed.value}",
            "activation": net["activation"],
            "width": int(np.shape(net["U"])[0]),
            "h": h,
            "p": plane.coords(h),
            "lines": plane.coords(h_lines).reshape(self.lines_x.shape),
            "z": z,
            "pred": pred,
            "correct": P.n_correct(pred, self.y),
            "x_regions": P.mlp_decisions(zgrid, net["threshold"]).reshape(self.GRID, self.GRID),
            "h_regions": P.perceptron_regions(plane.w, plane.b, lim, lim, self.GRID),
            "segment": P.boundary_segment(plane.w, plane.b, lim, lim),
            "axes": plane.axes,
            "h_lim": lim,
            "loss": None if exact else float(runs.losses[runs.recorded[t], self._seed_index()]),
            "step": None if exact else int(runs.recorded[t]),
            "dead": None,
        }
        if net["activation"] == "relu":
            state["dead"] = int((h.max(axis=0) <= 0).sum())
        return state

    def draw(self, r: dict) -> None:
        trained = r["name"] != "exact"
        for control in (self.activation, self.width, self.seed, self.step):
            control.disabled = not trained
        if trained:
            recorded = [int(t) for t in self.runs.recorded]
            if list(self.step.options) != recorded:
                self.step.options = recorded
        lim = r["h_lim"]
        self.x_regions.set(r["x_regions"])
        self.h_regions.set(r["h_regions"], extent=(*lim, *lim))
        segment = r["segment"]
        self.h_line.set_data(*((segment[:, 0], segment[:, 1]) if segment is not None else ([], [])))
        self.h_mesh.set_segments(list(r["lines"]))
        drawn, groups = _spread(r["p"], lim)  # coinciding points side by side, one label
        self.h_points.set(drawn, self.y)
        names = [f"({x[0]:.0f},{x[1]:.0f})" for x in self.X]
        for i, ann in enumerate(self.h_labels):
            members = np.flatnonzero(groups == groups[i])
            first = members[0] == i
            ann.xy = tuple(drawn[members].max(axis=0)) if first else tuple(drawn[i])
            ann.set_text(", ".join(names[k] for k in members) if first else "")
        view = (lim, r["axes"])
        if self._shown_view != view:  # new limits or axes: the background must be redrawn
            new_labels = self._shown_view is None or self._shown_view[1] != r["axes"]
            self._shown_view = view
            self.ax_h.set(xlim=lim, ylim=lim, xlabel=r["axes"][0], ylabel=r["axes"][1])
            self.canvas.invalidate(relayout=new_labels)  # solving the layout costs half a redraw
        where = "" if r["step"] is None else f", step {r['step']}"
        self.h_title.set_text(f"hidden space ({r['name']}{where})")
        rows = ", ".join(f"({v[0]:.2f}, {v[1]:.2f})" for v in r["p"]).replace("-", "−")
        loss = "" if r["loss"] is None else f" &nbsp; loss {r['loss']:.3f}"
        dead = "" if not r["dead"] else f" &nbsp; {r['dead']} dead unit" + ("s" * (r["dead"] > 1))
        self.readout.value = (
            f"<b>{r['correct']}/4 correct</b>{loss}{dead} &nbsp; "
            f"the four inputs in the picture of the hidden space: {rows}"
        )

    def describe(self, r: dict) -> str:
        where = "" if r["step"] is None else f" after {r['step']} training steps"
        units = f"{r['width']} {P.F.get_activation(r['activation']).label} hidden units"
        points = "; ".join(
            f"({x[0]:.0f},{x[1]:.0f}) -> ({v[0]:.2f}, {v[1]:.2f})" for x, v in zip(self.X, r["p"])
        )
        return (
            f"Now: the {r['name']} network ({units}){where}, {r['correct']} of 4 correct. "
            f"Points in the hidden-space picture: {points}."
        )

    def build(self, fig: Figure) -> list:
        self._shown_view = None
        self.ax_x, self.ax_h = fig.subplots(1, 2)
        self.x_regions = DecisionRegions(self.ax_x, (*LIM, *LIM))
        self.ax_x.add_collection(
            LineCollection(list(self.lines_x), colors="0.45", linewidths=0.6, zorder=1)
        )
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
        self.h_mesh = LineCollection([], colors="0.45", linewidths=0.6, zorder=1)
        self.ax_h.add_collection(self.h_mesh)
        (self.h_line,) = self.ax_h.plot([], [], color="black", lw=2, zorder=2)
        self.h_points = ClassScatter(self.ax_h)
        self.h_labels = [
            self.ax_h.annotate(
                "",
                (0, 0),
                textcoords="offset points",
                xytext=(7, 5 - 4 * i),
                fontsize=7,
                zorder=4,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.75),
            )
            for i in range(4)
        ]
        self.h_title = self.ax_h.set_title("", fontsize=9)
        self.ax_h.set_aspect("equal", adjustable="box")
        self.ax_x.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8, frameon=False
        )
        return [
            *self.x_regions.artists,
            *self.h_regions.artists,
            self.h_mesh,
            self.h_line,
            *self.h_points.artists,
            *self.h_labels,
            self.h_title,
        ]


def _args(net: dict) -> dict:
    return {k: net[k] for k in ("W", "b", "U", "c", "activation")}


def xor_hidden_space(
    runs: P.MLPRuns | None = None,
    seeds: Sequence[int] = range(100),
    steps: int = 1000,
    lr: float = 0.5,
    record_every: int = 10,
) -> XorHiddenSpace:
    """The XOR inputs before and after the hidden layer, for the exact and for trained networks.

    Left: the input space with a grid of lines and the network's decision regions; right: the
    hidden space with the output unit's boundary line and the same grid, bent and folded by the
    hidden layer (with more than 2 hidden units, the plane of the output direction U and the main
    other direction: see :func:`nnlib.chapters.xor.hidden_plane`). Choose the exact network, or
    trained 2-H-1 networks: the units (ReLU, tanh, sigmoid), H and the seed; every seed's network
    of a setting is trained together (``train_mlps``, ``steps`` steps of SGD at ``lr``) the first
    time the setting is chosen; the step slider picks one of the snapshots saved every
    ``record_every`` steps. ``runs`` (e.g. the chapter's 100 ReLU runs) is reused if given.
    ``.result`` holds what is shown.
    """
    return XorHiddenSpace(runs, seeds, steps, lr, record_every)


# ---------------------------------------------------------------------- static figures
def _spread(points: np.ndarray, lim: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Where to draw points that coincide: side by side around their common place.

    Returns (drawn positions, group id of each point). Points that agree to 2 decimals form a
    group; a group of k is spread horizontally over k marker widths, so no marker hides another.
    """
    groups = P.hidden_groups(points, decimals=2)
    drawn = np.array(points, dtype=float)
    step = 0.075 * (lim[1] - lim[0])
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        offsets = (np.arange(members.size) - (members.size - 1) / 2) * step
        drawn[members, 0] += offsets
    return drawn, groups


def _panel(ax, X, y, w, b, lim, title, labels=None) -> int:
    """One perceptron panel: regions, boundary line, points, crosses on mistakes; returns count.

    Points at the same place are drawn side by side, with one label naming them all.
    """
    DecisionRegions(ax, (*lim, *lim), P.perceptron_regions(w, b, lim, lim, 201))
    seg = P.boundary_segment(w, b, lim, lim)
    if seg is not None:
        ax.plot(seg[:, 0], seg[:, 1], color="black", lw=2, zorder=2)
    drawn, groups = _spread(X, lim)
    ClassScatter(ax, drawn, y)
    wrong = P.perceptron(X, w, b) != y
    if wrong.any():
        _cross_out(ax, size=260).set_offsets(drawn[wrong])
    if labels is not None:
        mid = (lim[0] + lim[1]) / 2
        for g in np.unique(groups):
            members = np.flatnonzero(groups == g)
            x, yy = X[members[0]]
            right = x > mid
            top = yy > lim[0] + 0.8 * (lim[1] - lim[0])
            ax.annotate(
                ", ".join(labels[i] for i in members),
                (drawn[members].min(axis=0)[0] if right else drawn[members].max(axis=0)[0], yy),
                textcoords="offset points",
                xytext=(-9 if right else 9, -9 if top else 7),
                ha="right" if right else "left",
                va="top" if top else "bottom",
                fontsize=7,
                zorder=6,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8),
            )
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
        labels = [f"({x[0]:.0f},{x[1]:.0f})" for x in runs.X]
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


@styled
def plot_staircase(approx: P.Approximation) -> Figure:
    """Staircase networks (:func:`nnlib.chapters.xor.approximate`) against their target, one
    panel per number of hidden units, each titled with its largest error."""
    k = len(approx.sizes)
    fig = figure((3.0 * k, 2.7))
    axes = fig.subplots(1, k, sharey=True, squeeze=False)[0]
    for ax, n, out, err in zip(axes, approx.sizes, approx.outputs, approx.errors):
        style_axes(ax)
        ax.plot(approx.x, approx.target, color="black", lw=1.5, ls="--", label="f(x)")
        ax.plot(approx.x, out, color=LINE_COLORS[0], lw=1.8, label="network")
        ax.set_title(f"{n} hidden units: max error {err:.2f}", fontsize=9)
        ax.set_xlabel("x")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
    return fig
