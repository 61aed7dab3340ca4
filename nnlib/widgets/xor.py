"""Widgets for chapter 2, "Perceptrons and the XOR problem".

- :func:`perceptron_explorer`: choose AND, OR or XOR and move w1, w2, b; see the boundary line,
  the two half-planes, the misclassified points and the count of correct points.
- :func:`xor_hidden_space`: the input space and the hidden space of the exact XOR network, and
  of learned networks with a slider over training steps.

Every number comes from :mod:`nnlib.chapters.xor`; the widgets only draw. Each widget keeps what it
last displayed in ``.result`` (a dict) so tests can check it without a browser or a kernel.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from ..chapters import xor as P
from ..data import truth_table
from .canvas import FigureImage

__all__ = [
    "perceptron_explorer",
    "xor_hidden_space",
    "PerceptronExplorer",
    "XorHiddenSpace",
    "plot_boundaries",
    "plot_hidden_spaces",
    "plot_loss_curves",
]

# Class 0 / class 1 colours (colour-blind safe pair) and their light versions for regions.
C0, C1 = "#d55e00", "#0072b2"
REGION_CMAP = ListedColormap(["#f6d7c3", "#cfe3f1"])
LIM = (-0.5, 1.5)


def _show_regions(ax, classes: np.ndarray, extent: tuple) -> AxesImage:
    """Shade a grid of predicted classes (0 or 1) behind the points of a plot."""
    return ax.imshow(
        classes,
        origin="lower",
        extent=extent,
        cmap=REGION_CMAP,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        zorder=0,
    )


class _Blit:
    """Fast redraws of a FigureImage: draw the unchanging parts once, then only the moving artists.

    The first render solves the figure's layout and then freezes it; the picture without the
    ``moving`` artists (axes, ticks, labels, legend) is kept as a background. Each later render
    restores the background, draws the moving artists on it and encodes the PNG. Call
    ``invalidate()`` after changing something in the background (axis limits).
    """

    def __init__(self, canvas: FigureImage, moving: Sequence):
        self.canvas = canvas
        self.moving = sorted(moving, key=lambda a: a.get_zorder())
        self.background = None

    def invalidate(self) -> None:
        self.background = None

    def render(self) -> bytes:
        fig = self.canvas.fig
        agg = fig.canvas
        if self.background is None:
            if fig.get_layout_engine() is not None:
                agg.draw()  # lay out with every artist in place, then keep that layout
                fig.set_layout_engine("none")
            for artist in self.moving:
                artist.set_animated(True)
            agg.draw()  # animated artists are skipped: this is the background
            self.background = agg.copy_from_bbox(fig.bbox)
        else:
            agg.restore_region(self.background)
        for artist in self.moving:
            fig.draw_artist(artist)
        rgba = np.asarray(agg.buffer_rgba())
        buf = io.BytesIO()
        PIL.Image.fromarray(rgba).save(buf, format="png", compress_level=3)
        self.canvas.image.value = buf.getvalue()
        return self.canvas.image.value


def _draw_points(ax, X, y, size=90):
    """Class-0 points as orange squares, class-1 points as blue circles; returns the two artists."""
    artists = []
    for label, colour, marker in ((0, C0, "s"), (1, C1, "o")):
        m = y == label
        artists.append(
            ax.scatter(
                X[m, 0],
                X[m, 1],
                s=size,
                c=colour,
                marker=marker,
                zorder=3,
                edgecolors="black",
                linewidths=0.8,
                label=f"y = {label}",
            )
        )
    return artists


class PerceptronExplorer(widgets.VBox):
    """The perceptron explorer (see :func:`perceptron_explorer`)."""

    def __init__(self, function: str = "XOR", w1: float = 1.0, w2: float = 1.0, b: float = -0.5):
        super().__init__()
        truth_table(function)  # fails early, naming the choices, for an unknown function
        self.function = widgets.Dropdown(
            options=["AND", "OR", "XOR"], value=function.upper(), description="function"
        )
        slider = dict(min=-2.0, max=2.0, step=0.1, continuous_update=True, readout_format=".1f")
        self.w1 = widgets.FloatSlider(value=w1, description="w1", **slider)
        self.w2 = widgets.FloatSlider(value=w2, description="w2", **slider)
        self.b = widgets.FloatSlider(value=b, description="b", **slider)
        self.status = widgets.HTML()
        self.canvas = FigureImage(
            figsize=(4.2, 4.0),
            alt="The four inputs of a Boolean function in the (x1, x2) plane, the perceptron's "
            "boundary line, its two half-planes shaded, and the misclassified points crossed out",
        )
        self._build_figure()
        self.result: dict = {}
        self.redraw_ms: list[float] = []  # wall-clock time of each update
        self.redraw_cpu_ms: list[float] = []  # CPU time: what a busy machine does not inflate
        for control in (self.function, self.w1, self.w2, self.b):
            control.observe(self._update, names="value")
        self.children = [
            widgets.HBox([self.function, self.status]),
            widgets.HBox([self.w1, self.w2, self.b], layout=widgets.Layout(flex_flow="row wrap")),
            self.canvas.image,
        ]
        self._update()

    def _build_figure(self) -> None:
        ax = self.ax = self.canvas.fig.add_subplot()
        g = np.linspace(*LIM, 121)
        self._g1, self._g2 = np.meshgrid(g, g)
        self._grid = np.column_stack([self._g1.ravel(), self._g2.ravel()])
        self.regions = _show_regions(ax, np.zeros_like(self._g1), (*LIM, *LIM))
        (self.line,) = ax.plot([], [], color="black", lw=2, zorder=2)
        X, _ = truth_table("AND")
        self.points = {}
        for label, colour, marker in ((0, C0, "s"), (1, C1, "o")):
            self.points[label] = ax.scatter(
                X[:, 0],
                X[:, 1],
                s=110,
                c=colour,
                marker=marker,
                zorder=3,
                edgecolors="black",
                linewidths=0.8,
                label=f"target y = {label}",
            )
        self.wrong = ax.scatter(
            [], [], s=320, marker="x", c="#cc0000", linewidths=2.5, zorder=4, label="wrong"
        )
        ax.set(xlim=LIM, ylim=LIM, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False
        )
        self.title = ax.set_title("")
        self.blit = _Blit(
            self.canvas, [self.regions, self.line, *self.points.values(), self.wrong, self.title]
        )

    def _update(self, change=None) -> None:
        start, cpu_start = time.perf_counter(), time.process_time()
        name = self.function.value
        X, y = truth_table(name)
        w = np.array([self.w1.value, self.w2.value])
        b = float(self.b.value)
        outputs = P.perceptron(X, w, b)
        correct = outputs == y
        count = P.count_correct(X, y, w, b)
        segment = P.boundary_segment(w, b, LIM, LIM)
        regions = P.perceptron(self._grid, w, b).reshape(self._g1.shape)

        self.regions.set_data(regions)
        if segment is None:
            self.line.set_data([], [])
        else:
            self.line.set_data(segment[:, 0], segment[:, 1])
        for label, artist in self.points.items():
            artist.set_offsets(X[y == label])
        self.wrong.set_offsets(X[~correct] if (~correct).any() else np.empty((0, 2)))
        self.title.set_text(
            f"{name}: {count}/4 correct   ({w[0]:.1f}) x1 + ({w[1]:.1f}) x2 + ({b:.1f}) = 0"
        )
        self.status.value = (
            f"<b>{count}/4 correct</b> &nbsp; outputs for (0,0), (0,1), (1,0), (1,1): "
            f"{', '.join(str(int(o)) for o in outputs)}"
        )
        self.blit.render()
        self.result = {
            "function": name,
            "w": w,
            "b": b,
            "outputs": outputs,
            "targets": y,
            "correct": correct,
            "count": count,
            "segment": segment,
            "regions": regions,
        }
        self.redraw_ms.append(1000 * (time.perf_counter() - start))
        self.redraw_cpu_ms.append(1000 * (time.process_time() - cpu_start))


def perceptron_explorer(
    function: str = "XOR", w1: float = 1.0, w2: float = 1.0, b: float = -0.5
) -> PerceptronExplorer:
    """A perceptron y = 1 if w1 x1 + w2 x2 + b > 0 else 0 on the four inputs of AND, OR or XOR.

    Sliders set w1, w2 and b (from -2 to 2 in steps of 0.1). The figure shades the half-plane
    labelled 1 in blue and the other in orange, draws the boundary w1 x1 + w2 x2 + b = 0, crosses
    out misclassified points and reports "k/4 correct". ``.result`` holds the last computation.
    """
    return PerceptronExplorer(function, w1, w2, b)


class XorHiddenSpace(widgets.VBox):
    """The x-space / h-space pair (see :func:`xor_hidden_space`)."""

    def __init__(
        self,
        seeds: Sequence[int] = (0, 3),
        steps: int = 1000,
        lr: float = 0.5,
        record_every: int = 10,
    ):
        super().__init__()
        X, y = truth_table("XOR")
        self.X, self.y = X, y
        # Training happens once, here; the slider only picks one of the saved snapshots.
        self.runs = P.train_mlps(
            X, y, seeds, hidden=2, steps=steps, lr=lr, record_every=record_every
        )
        self._precompute()

        success = self.runs.success()
        options = [("exact network (W, b, U from the text)", "exact")] + [
            (f"learned, seed {s} ({'solves XOR' if ok else 'gets stuck'})", i)
            for i, (s, ok) in enumerate(zip(self.runs.seeds, success))
        ]
        self.network = widgets.Dropdown(
            options=options,
            value="exact",
            description="network",
            layout=widgets.Layout(width="26em"),
        )
        self.step = widgets.SelectionSlider(
            options=[int(t) for t in self.runs.recorded],
            value=int(self.runs.recorded[-1]),
            description="step",
            continuous_update=True,
            disabled=True,
        )
        self.status = widgets.HTML()
        self.canvas = FigureImage(
            figsize=(7.6, 3.7),
            alt="Left: the four XOR inputs in the (x1, x2) plane with the network's decision "
            "regions. Right: the same four points after the hidden layer, in the (h1, h2) plane, "
            "where one straight line separates the two classes",
        )
        self._build_figure()
        self.result: dict = {}
        self.redraw_ms: list[float] = []  # wall-clock time of each update
        self.redraw_cpu_ms: list[float] = []  # CPU time: what a busy machine does not inflate
        self.network.observe(self._update, names="value")
        self.step.observe(self._update, names="value")
        self.children = [widgets.HBox([self.network, self.step]), self.status, self.canvas.image]
        self._update()

    def _precompute(self) -> None:
        """Everything the figure shows, for the exact net and every (seed, snapshot)."""
        g = np.linspace(*LIM, 101)
        g1, g2 = np.meshgrid(g, g)
        self._xgrid_shape = g1.shape
        xgrid = np.column_stack([g1.ravel(), g2.ravel()])
        # The exact net: outputs are exactly 0 or 1, so we label 1 where y - 0.5 > 0.
        W, b, U = P.XOR_W, P.XOR_B, P.XOR_U[0]
        h, _ = P.mlp_forward(self.X, W, b, U, 0.0)
        _, zgrid = P.mlp_forward(xgrid, W, b, U, -0.5)
        self.exact = {
            "h": h,
            "z": P.mlp_forward(self.X, W, b, U, 0.0)[1],
            "x_regions": (zgrid > 0).reshape(g1.shape).astype(float),
            "U": U,
            "c": -0.5,
        }
        r = self.runs
        # Hidden points and x-space regions for every snapshot and seed at once: (T, S, ...).
        self.h_all, self.z_all = P.mlp_forward(self.X, r.W, r.b, r.U, r.c, r.activation)
        _, zg = P.mlp_forward(xgrid, r.W, r.b, r.U, r.c, r.activation)
        self.x_regions_all = (zg > 0).reshape(*zg.shape[:2], *g1.shape).astype(float)
        self.losses_all = r.losses[r.recorded]  # (T, S)

    def _build_figure(self) -> None:
        fig = self.canvas.fig
        self.ax_x, self.ax_h = fig.subplots(1, 2)
        self.x_regions = _show_regions(self.ax_x, np.zeros(self._xgrid_shape), (*LIM, *LIM))
        self.x_points = _draw_points(self.ax_x, self.X, self.y)
        self.ax_x.set(
            xlim=LIM,
            ylim=LIM,
            xlabel="$x_1$",
            ylabel="$x_2$",
            aspect="equal",
            title="input space x",
        )
        self.h_regions = _show_regions(self.ax_h, np.zeros((2, 2)), (0, 1, 0, 1))
        (self.h_line,) = self.ax_h.plot([], [], color="black", lw=2, zorder=2)
        self.h_points = {
            label: self.ax_h.scatter(
                [], [], s=90, c=colour, marker=marker, zorder=3, edgecolors="black", linewidths=0.8
            )
            for label, colour, marker in ((0, C0, "s"), (1, C1, "o"))
        }
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
        self.blit = _Blit(
            self.canvas,
            [
                self.x_regions,
                *self.x_points,
                self.h_regions,
                self.h_line,
                *self.h_points.values(),
                *self.h_labels,
                self.h_title,
            ],
        )

    def _current(self) -> dict:
        if self.network.value == "exact":
            e = self.exact
            return {
                "name": "exact",
                "h": e["h"],
                "z": e["z"],
                "U": e["U"],
                "c": e["c"],
                "x_regions": e["x_regions"],
                "pred": (e["z"] > 0.5).astype(int),
                "loss": None,
                "step": None,
                "h_lim": (-0.5, 2.5),
            }
        s = self.network.value
        t = int(np.searchsorted(self.runs.recorded, self.step.value))
        h_seed = self.h_all[:, s]  # every snapshot, so the axes do not jump while learning
        top = max(1.0, float(h_seed.max())) * 1.1 + 0.3
        return {
            "name": f"seed {self.runs.seeds[s]}",
            "h": self.h_all[t, s],
            "z": self.z_all[t, s],
            "U": self.runs.U[t, s],
            "c": float(self.runs.c[t, s]),
            "x_regions": self.x_regions_all[t, s],
            "pred": (self.z_all[t, s] > 0).astype(int),
            "loss": float(self.losses_all[t, s]),
            "step": int(self.runs.recorded[t]),
            "h_lim": (-0.3, top),
        }

    def _update(self, change=None) -> None:
        start, cpu_start = time.perf_counter(), time.process_time()
        self.step.disabled = self.network.value == "exact"
        cur = self._current()
        h, U, c, lim = cur["h"], cur["U"], cur["c"], cur["h_lim"]
        gh = np.linspace(*lim, 101)
        hgrid = np.column_stack([a.ravel() for a in np.meshgrid(gh, gh)])
        h_regions = P.perceptron(hgrid, U, c).reshape(101, 101)
        segment = P.boundary_segment(U, c, lim, lim)

        self.x_regions.set_data(cur["x_regions"])
        self.h_regions.set_data(h_regions)
        self.h_regions.set_extent((*lim, *lim))
        if segment is None:
            self.h_line.set_data([], [])
        else:
            self.h_line.set_data(segment[:, 0], segment[:, 1])
        for label, artist in self.h_points.items():
            artist.set_offsets(h[self.y == label])
        for i, ann in enumerate(self.h_labels):
            x = self.X[i]
            ann.xy = tuple(h[i])
            ann.set_text(f"x=({x[0]:.0f},{x[1]:.0f})")
        if getattr(self, "_h_lim", None) != lim:  # new ticks: the background must be redrawn
            self._h_lim = lim
            self.ax_h.set(xlim=lim, ylim=lim)
            self.blit.invalidate()
        n_correct = int((cur["pred"] == self.y).sum())
        where = "" if cur["step"] is None else f", step {cur['step']}, loss {cur['loss']:.3f}"
        self.h_title.set_text(f"hidden space h ({cur['name']}{where})")
        rows = ", ".join(f"({v[0]:.2f}, {v[1]:.2f})" for v in h)
        self.status.value = f"<b>{n_correct}/4 correct</b> &nbsp; h for the four inputs: {rows}"
        self.blit.render()
        self.result = {**cur, "h_regions": h_regions, "segment": segment, "correct": n_correct}
        self.redraw_ms.append(1000 * (time.perf_counter() - start))
        self.redraw_cpu_ms.append(1000 * (time.process_time() - cpu_start))


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
def _new_figure(figsize: tuple[float, float]) -> Figure:
    # A Figure on its own Agg canvas (not pyplot): shown when it is a cell's last expression.
    fig = Figure(figsize=figsize, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _panel(ax, X, y, w, b, lim, title, labels=None) -> int:
    """One perceptron panel: regions, boundary line, points, crosses on mistakes; returns count."""
    g = np.linspace(*lim, 201)
    g1, g2 = np.meshgrid(g, g)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    _show_regions(ax, P.perceptron(grid, w, b).reshape(g1.shape), (*lim, *lim))
    seg = P.boundary_segment(w, b, lim, lim)
    if seg is not None:
        ax.plot(seg[:, 0], seg[:, 1], color="black", lw=2, zorder=2)
    _draw_points(ax, X, y)
    wrong = P.perceptron(X, w, b) != y
    if wrong.any():
        ax.scatter(
            X[wrong, 0], X[wrong, 1], s=300, marker="x", c="#cc0000", linewidths=2.5, zorder=4
        )
    if labels is not None:
        for i, text in enumerate(labels):
            ax.annotate(text, X[i], textcoords="offset points", xytext=(7, 5 - 10 * i), fontsize=7)
    count = int((~wrong).sum())
    ax.set(xlim=lim, ylim=lim, aspect="equal", title=f"{title}: {count}/{len(y)} correct")
    return count


def plot_boundaries(panels: Sequence[tuple[str, Sequence[float], float]]) -> Figure:
    """Perceptron decision boundaries, one panel per (function name, w, b).

    Each panel shades the half-plane the perceptron labels 1 (blue) and 0 (orange), draws the
    line w1 x1 + w2 x2 + b = 0 and crosses out the points it gets wrong.
    """
    fig = _new_figure((3.0 * len(panels), 3.2))
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
    axes[0].legend(loc="upper left", fontsize=7)
    return fig


def plot_hidden_spaces(runs: P.MLPRuns, indices: Sequence[int], t: int = -1) -> Figure:
    """The hidden space of trained 2-2-1 networks: one panel per seed index of ``runs``.

    Each panel shows the training points after the hidden layer, h = act(x W^T + b), with the
    output unit's line U . h + c = 0 and its two sides.
    """
    if runs.W.shape[-2] != 2:
        raise ValueError("plot_hidden_spaces draws 2-d hidden spaces: train with hidden=2")
    fig = _new_figure((3.3 * len(indices), 3.3))
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


def plot_loss_curves(runs: P.MLPRuns, highlight: Sequence[int] = ()) -> Figure:
    """Training loss of every seed (thin grey lines) with some seeds highlighted, log-scaled."""
    fig = _new_figure((6.0, 3.0))
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
