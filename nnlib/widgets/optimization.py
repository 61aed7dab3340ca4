"""Figures and widgets for chapter 7, "Optimisation" (book/07_optimization.ipynb).

Live widgets:

- :func:`trajectory_explorer`: an optimiser (SGD, momentum, Adam) on a 2-D loss surface (ravine,
  tilted ravine, saddle, three wells): choose the learning rate, momentum, start and gradient
  noise; see the path on the contour plot and the loss against the step;
- :func:`training_playground`: a small network learning a planar data set, in the spirit of
  TensorFlow Playground but on nnlib: data set, depth and width, activation, initialisation,
  optimiser, learning rate, schedule and batch size; train, step and reset; the decision
  regions and the loss curves update as it learns, and divergence is reported in the readout;
- :func:`layer_explorer`: activations and gradients layer by layer through a deep network at
  initialisation, for each scheme and activation.

Static figures: :func:`plot_paths`, :func:`plot_basins`, :func:`plot_planar_runs`,
:func:`plot_gradient_noise`, :func:`plot_race`, :func:`plot_convex`, :func:`plot_layer_stats`,
:func:`plot_sweeps`, :func:`plot_schedules`, :func:`plot_review_runs`.

Every number comes from :mod:`nnlib.chapters.optimization` (which trains with nnlib's own
optimisers); this module only draws, with the shared toolkit (:mod:`nnlib.widgets.canvas`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..chapters import optimization as O
from ..data import PLANAR
from ..functional import ACTIVATIONS
from ..tensor import NonFiniteError
from .canvas import (
    ACCENT,
    CLASS_COLORS,
    LINE_COLORS,
    ClassScatter,
    DecisionRegions,
    LiveWidget,
    LossCurves,
    figure,
    lighten,
    style_axes,
    styled,
)

__all__ = [
    "trajectory_explorer",
    "TrajectoryExplorer",
    "training_playground",
    "TrainingPlayground",
    "layer_explorer",
    "LayerExplorer",
    "plot_paths",
    "plot_basins",
    "plot_planar_runs",
    "plot_gradient_noise",
    "plot_race",
    "plot_convex",
    "plot_layer_stats",
    "plot_sweeps",
    "plot_schedules",
    "plot_review_runs",
    "plot_architectures",
]

# One colour per optimiser, the same in every figure of the chapter.
OPTIMIZER_COLORS = {"sgd": LINE_COLORS[0], "momentum": LINE_COLORS[1], "adam": LINE_COLORS[2]}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
SCHEME_COLORS = {
    "pytorch": LINE_COLORS[0],
    "lecun": LINE_COLORS[1],
    "xavier": LINE_COLORS[5],
    "he": LINE_COLORS[2],
    "normal": LINE_COLORS[3],
}
SCHEME_LABELS = {
    "pytorch": "PyTorch default",
    "lecun": "LeCun",
    "xavier": "Xavier/Glorot",
    "he": "He",
    "normal": "N(0, 1)",
}


def _contours(ax, surface: O.Surface, n: int = 161, levels: int = 24) -> None:
    """Filled contours of a surface (the loss, in a sequential grey-blue map) and its minima."""
    g1, g2, L = surface.grid(n)
    lv = np.quantile(L, np.linspace(0, 1, levels))  # equal areas: detail where the loss is low
    ax.contourf(g1, g2, L, levels=np.unique(lv), cmap="Blues_r", alpha=0.55, zorder=0)
    ax.contour(g1, g2, L, levels=np.unique(lv), colors="0.45", linewidths=0.5, zorder=1)
    m = np.asarray(surface.minima)
    ax.plot(m[:, 0], m[:, 1], "*", color="black", ms=11, zorder=4, label="minimum")
    if surface.saddles:
        s = np.asarray(surface.saddles)
        ax.plot(s[:, 0], s[:, 1], "X", color="black", ms=8, zorder=4, label="saddle")
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="$w_1$", ylabel="$w_2$")
    ax.set_aspect("equal")


# ---------------------------------------------------------------------- static figures
@styled
def plot_paths(
    panels: Sequence[tuple[str, Mapping[str, O.Descent]]], *, ncols: int = 2, size: float = 3.6
) -> Figure:
    """One panel per (title, {label: Descent}): the surface's contours and every path on it."""
    nrows = math.ceil(len(panels) / ncols)
    fig = figure((size * ncols + 0.4, size * nrows * 0.8 + 0.6))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (title, paths) in zip(axes, panels):
        surface = next(iter(paths.values())).surface
        _contours(ax, surface)
        for i, (label, d) in enumerate(paths.items()):
            color = OPTIMIZER_COLORS.get(label.split()[0].lower(), LINE_COLORS[i % 7])
            for k in range(d.path.shape[1]):
                ax.plot(
                    d.path[:, k, 0],
                    d.path[:, k, 1],
                    "-o",
                    color=color,
                    ms=2.2,
                    lw=1.2,
                    label=label if k == 0 else None,
                    zorder=3,
                )
            ax.plot(*d.path[0, :, :].T, "o", color="white", mec="black", ms=6, zorder=5)
        ax.set_title(title)
        ax.legend(loc="lower left", fontsize=7, framealpha=0.8, frameon=True)
    for ax in axes[len(panels) :]:
        ax.remove()
    return fig


@styled
def plot_basins(panels: Sequence[tuple[str, O.Basins]]) -> Figure:
    """Basins of attraction: each start on the grid coloured by the minimum its path reaches."""
    fig = figure((3.3 * len(panels) + 0.3, 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    colors = [lighten(c, 0.35) for c in (CLASS_COLORS[2], CLASS_COLORS[1], CLASS_COLORS[4])]
    cmap = ListedColormap(["#bbbbbb", *colors])  # grey: did not settle
    for ax, (title, b) in zip(axes, panels):
        s = b.surface
        dx, dy = b.w1[1] - b.w1[0], b.w2[1] - b.w2[0]
        extent = (b.w1[0] - dx / 2, b.w1[-1] + dx / 2, b.w2[0] - dy / 2, b.w2[-1] + dy / 2)
        ax.imshow(b.reached + 1, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=3, zorder=0)
        g1, g2, L = s.grid(121)
        ax.contour(g1, g2, L, levels=14, colors="0.25", linewidths=0.5, zorder=1)
        for k, m in enumerate(s.minima):
            ax.plot(*m, "*", color="black", ms=12, zorder=3)
            ax.annotate(
                f"{100 * b.fractions[k]:.0f}%",
                m,
                textcoords="offset points",
                xytext=(6, 6),
                fontsize=9,
                fontweight="bold",
                zorder=4,
            )
        ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="$w_1$", title=title)
        ax.set_aspect("equal")
    axes[0].set_ylabel("$w_2$")
    return fig


@styled
def plot_planar_runs(
    runs: Sequence[O.PlanarRun], X: np.ndarray, y: np.ndarray, titles: Sequence[str]
) -> Figure:
    """Decision regions (P(class 1) shaded) of trained planar networks, with the data."""
    fig = figure((2.9 * len(runs) + 0.3, 3.2))
    axes = np.atleast_1d(fig.subplots(1, len(runs)))
    box = O.Playground.BOX
    for ax, run, title in zip(axes, runs, titles):
        DecisionRegions(ax, (*box, *box), O.probability_grid(run.model, box), kind="proba")
        ClassScatter(ax, X, y, size=14, linewidths=0.4)
        ax.set(xlim=box, ylim=box, title=title, xticks=[-1, 0, 1], yticks=[-1, 0, 1])
        ax.set_aspect("equal")
    return fig


@styled
def plot_gradient_noise(gn: O.GradientNoise) -> Figure:
    """Measured E|g_B - g|^2 against the batch size, with the sampling formula."""
    fig = figure((6.4, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    B = gn.batch_sizes
    fine = np.unique(np.round(np.geomspace(B.min(), B.max(), 200))).astype(int)
    formula = gn.trace / fine * (gn.N - fine) / (gn.N - 1)
    ax1.loglog(fine, formula, color=LINE_COLORS[0], label="formula tr(Σ)/B · (N−B)/(N−1)")
    ax1.loglog(B, gn.measured, "o", color=ACCENT, label="measured (mean of draws)")
    ax1.set(xlabel="batch size B", ylabel="$E\\,|g_B - g|^2$", title="gradient noise")
    ax1.legend(fontsize=7)
    ax2.semilogx(B, gn.relative_error, "o-", color=ACCENT)
    ax2.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax2.set(xlabel="batch size B", ylabel="$|g_B - g|\\,/\\,|g|$", title="error relative to |g|")
    for ax in (ax1, ax2):
        style_axes(ax)
    return fig


@styled
def plot_race(races: Sequence[O.Race], target: float) -> Figure:
    """Probe loss against epochs and against training time, one line per batch size."""
    fig = figure((7.2, 3.2))
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    for i, r in enumerate(races):
        c = LINE_COLORS[i % 7]
        ax1.plot(r.curve[:, 1], r.curve[:, 3], color=c, lw=1.6, label=f"B = {r.batch_size}")
        ax2.plot(r.curve[:, 2], r.curve[:, 3], color=c, lw=1.6)
    for ax in (ax1, ax2):
        ax.axhline(target, color="0.3", ls="--", lw=0.8)
        style_axes(ax)
    ax1.set(xlabel="epochs", ylabel="training loss (probe)", title="per epoch")
    ax2.set(xlabel="CPU time of the training steps (s, this machine)", title="per second")
    ax1.legend(fontsize=8)
    return fig


@styled
def plot_convex(runs: Sequence[O.ConvexRun]) -> Figure:
    """Relative distance to the exact optimum against epochs, one line per run."""
    fig = figure((4.6, 3.2))
    ax = fig.subplots()
    sizes = sorted({r.batch_size for r in runs})
    for r in runs:
        c = LINE_COLORS[sizes.index(r.batch_size) % 7]
        ls = "-" if r.seed == runs[0].seed else "--"
        ax.semilogy(r.distance, ls, color=c, label=f"B = {r.batch_size}, seed {r.seed}")
    ax.set(xlabel="epoch", ylabel="$|\\theta - \\theta^*| / |\\theta^*|$")
    ax.set_title("logistic regression: distance to the one minimum")
    ax.legend(fontsize=8)
    style_axes(ax)
    return fig


@styled
def plot_layer_stats(stats: Sequence[O.LayerStats]) -> Figure:
    """RMS of activations and gradients per layer: a row per activation, a line per scheme."""
    acts = list(dict.fromkeys(s.activation for s in stats))
    fig = figure((7.2, 2.9 * len(acts) + 0.3))
    axes = np.atleast_2d(fig.subplots(len(acts), 2))
    for row, act in zip(axes, acts):
        for s in (s for s in stats if s.activation == act):
            layers = np.arange(1, len(s.a_rms) + 1)
            kw = {"color": SCHEME_COLORS[s.scheme], "label": SCHEME_LABELS[s.scheme], "lw": 1.6}
            if s.scheme == "xavier":  # equal to LeCun's for square layers: dashed, on top
                kw.update(ls="--", lw=2.2)
            row[0].semilogy(layers, s.a_rms, marker="o", ms=2.5, **kw)
            row[1].semilogy(layers, s.grad_rms, marker="o", ms=2.5, **kw)
        row[0].set(ylabel=f"{act}: RMS of $a_l$", title="activations, input → output")
        row[1].set(
            ylabel=f"{act}: RMS of $\\partial L/\\partial a_l$", title="gradients, output → input"
        )
        for ax in row:
            ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
            style_axes(ax)
    for ax in axes[-1]:
        ax.set_xlabel("layer l")
    axes[0, 0].legend(fontsize=7, ncol=2)
    return fig


@styled
def plot_sweeps(sweeps: Sequence[O.Sweep], start_loss: float) -> Figure:
    """Training loss after a fixed budget against the learning rate, one line per optimiser."""
    fig = figure((5.2, 3.4))
    ax = fig.subplots()
    top = 1.5 * start_loss  # losses above this are drawn as arrows at the top edge
    for sw in sweeps:
        c = OPTIMIZER_COLORS[sw.optimizer]
        ok = np.isfinite(sw.loss)
        shown = np.minimum(sw.loss, top)
        ax.semilogx(sw.lrs[ok], shown[ok], "-o", color=c, label=OPTIMIZER_LABELS[sw.optimizer])
        off = ~ok | (sw.loss > top)
        ax.plot(sw.lrs[off], np.full(off.sum(), top), "^", color=c, ms=10, mec="black")
        ax.plot(sw.best_lr, sw.loss.min(), "*", color=c, ms=14, mec="black")
    ax.set_ylim(0.5 * min(sw.loss.min() for sw in sweeps), top * 1.04)
    ax.axhline(start_loss, color="0.4", ls="--", lw=0.8)
    ax.annotate(
        "loss at the start (▲: off the scale)",
        (ax.get_xlim()[0], start_loss),
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=8,
        color="0.3",
    )
    ax.set(xlabel="learning rate η", ylabel="training loss after 2 epochs")
    ax.legend(fontsize=8)
    style_axes(ax)
    return fig


@styled
def plot_schedules(rates: Mapping[str, Sequence[float]], *, xlabel: str = "step") -> Figure:
    """Learning rate against the step (or epoch) for each named schedule."""
    fig = figure((5.2, 2.9))
    ax = fig.subplots()
    for i, (name, r) in enumerate(rates.items()):
        ax.plot(np.arange(len(r)), r, color=LINE_COLORS[i % 7], label=name)
    ax.set(xlabel=xlabel, ylabel="learning rate")
    ax.legend(fontsize=8)
    style_axes(ax)
    return fig


@styled
def plot_review_runs(runs: Mapping[str, O.ReviewRun], *, title: str = "") -> Figure:
    """Training (probe) loss and validation accuracy per epoch for several runs."""
    fig = figure((7.2, 3.1))
    ax1, ax2 = fig.subplots(1, 2)
    for i, (name, r) in enumerate(runs.items()):
        c = OPTIMIZER_COLORS.get(name.split()[0].lower(), LINE_COLORS[i % 7])
        ax1.plot(r.train_loss, "-o", ms=3, color=c, label=name)
        ax2.plot(r.valid_acc, "-o", ms=3, color=c, label=name)
    ax1.set(xlabel="epoch", ylabel="training loss (probe)", title=title or "training loss")
    ax2.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    ax1.legend(fontsize=8)
    for ax in (ax1, ax2):
        style_axes(ax)
    return fig


# ---------------------------------------------------------------------- trajectory explorer
def _set_range(slider: widgets.FloatSlider, lo: float, hi: float, value: float) -> None:
    """Move a slider to a new range and value without the value being clamped on the way."""
    slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
    slider.value = value
    slider.min, slider.max = lo, hi


LR_CHOICES = tuple(float(f"{v:.3g}") for v in np.geomspace(1e-3, 3.0, 29))


class TrajectoryExplorer(LiveWidget):
    """An optimiser's path on a 2-D loss surface (see :func:`trajectory_explorer`)."""

    STEPS = 200

    def __init__(
        self,
        surface: str = "ravine",
        optimizer: str = "sgd",
        lr: float | None = None,
        momentum: float = 0.9,
        noise: float = 0.0,
    ):
        s = O.get_surface(surface)
        self.surface_menu = widgets.Dropdown(
            options=[(O.SURFACES[k].title, k) for k in O.SURFACES],
            value=s.name,
            description="surface",
            layout=widgets.Layout(width="24em"),
        )
        self.optimizer_menu = widgets.ToggleButtons(
            options=[(OPTIMIZER_LABELS[k], k) for k in O.OPTIMIZERS],
            value=optimizer,
            description="optimiser",
            style={"button_width": "6em"},
        )
        lr = s.lr if lr is None else lr
        self.lr = widgets.SelectionSlider(
            options=sorted({*LR_CHOICES, float(lr)}),
            value=float(lr),
            description="η",
            continuous_update=True,
            layout=widgets.Layout(width="320px"),
        )
        self.momentum = widgets.FloatSlider(
            value=momentum,
            min=0.0,
            max=0.99,
            step=0.01,
            description="momentum μ",
            continuous_update=True,
            layout=widgets.Layout(width="320px"),
        )
        self.start_x = widgets.FloatSlider(
            value=s.start[0],
            min=s.xlim[0],
            max=s.xlim[1],
            step=0.05,
            description="start w1",
            readout_format=".2f",
            layout=widgets.Layout(width="320px"),
        )
        self.start_y = widgets.FloatSlider(
            value=s.start[1],
            min=s.ylim[0],
            max=s.ylim[1],
            step=0.05,
            description="start w2",
            readout_format=".2f",
            layout=widgets.Layout(width="320px"),
        )
        self.noise = widgets.FloatSlider(
            value=noise,
            min=0.0,
            max=2.0,
            step=0.05,
            description="noise σ",
            layout=widgets.Layout(width="320px"),
        )
        self._surface_drawn: str | None = None
        self._syncing = False
        super().__init__(
            [
                self.surface_menu,
                self.optimizer_menu,
                self.lr,
                self.momentum,
                self.start_x,
                self.start_y,
                self.noise,
            ],
            figsize=(8.0, 3.6),
            alt="Left: contour lines of a loss surface over two weights w1 and w2, with the path "
            "an optimiser takes from its start (white dot) to where it ends after 200 steps. "
            "Right: the loss minus its lowest value against the step, on a log scale.",
        )

    def build(self, fig: Figure) -> list:
        self.ax_s, self.ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        (self.path_line,) = self.ax_s.plot([], [], "-o", ms=2, lw=1.2, color=ACCENT, zorder=6)
        (self.start_dot,) = self.ax_s.plot([], [], "o", color="white", mec="black", ms=7, zorder=7)
        (self.loss_line,) = self.ax_l.semilogy([], [], color=ACCENT, lw=1.6)
        self.ax_l.set(
            xlabel="step",
            ylabel="L(w) − lowest L",
            xlim=(0, self.STEPS),
            ylim=(1e-8, 1e2),
            title="loss above the minimum",
        )
        style_axes(self.ax_l)
        self._draw_surface(O.get_surface(self.surface_menu.value))
        return [self.path_line, self.start_dot, self.loss_line]

    def _draw_surface(self, s: O.Surface) -> None:
        ax = self.ax_s
        for artist in [*ax.collections, *ax.lines]:
            if artist not in (getattr(self, "path_line", None), getattr(self, "start_dot", None)):
                artist.remove()
        _contours(ax, s)
        ax.set_title(s.title, fontsize=9)
        self._surface_drawn = s.name

    def _on_change(self, change=None) -> None:
        if self._syncing:
            return
        if change is not None and change.owner is self.surface_menu:
            self._sync_to_surface(O.get_surface(change.new))
        self.update()

    def _sync_to_surface(self, s: O.Surface) -> None:
        """A new surface: its own box, start and a learning rate that shows its character."""
        self._syncing = True
        try:
            _set_range(self.start_x, *s.xlim, s.start[0])
            _set_range(self.start_y, *s.ylim, s.start[1])
            if s.lr not in self.lr.options:
                self.lr.options = sorted({*self.lr.options, s.lr})
            self.lr.value = s.lr
        finally:
            self._syncing = False

    def compute(self) -> dict:
        s = O.get_surface(self.surface_menu.value)
        opt = self.optimizer_menu.value
        d = O.descend(
            s,
            opt,
            lr=self.lr.value,
            steps=self.STEPS,
            start=[self.start_x.value, self.start_y.value],
            momentum=self.momentum.value,
            noise=self.noise.value,
            rng=0,
        )
        lowest = min(float(s(np.asarray(m)[None])[0]) for m in s.minima)
        end = d.final[0]
        k = int(s.nearest_minimum(end)[0])
        near = float(np.linalg.norm(end - np.asarray(s.minima[k])))
        return {
            "surface": s.name,
            "optimizer": opt,
            "lr": self.lr.value,
            "momentum": self.momentum.value if opt == "momentum" else None,
            "path": d.path[:, 0],
            "gap": d.loss[:, 0] - lowest,
            "diverged_at": d.diverged_at,
            "end": end,
            "minimum": k if near < 0.05 else None,
            "final_loss": float(d.loss[-1, 0]),
        }

    def draw(self, r: dict) -> None:
        s = O.get_surface(r["surface"])
        if self._surface_drawn != s.name:
            self._draw_surface(s)
            self.canvas.invalidate()
        self.momentum.disabled = r["optimizer"] != "momentum"
        p = r["path"]
        self.path_line.set_data(p[:, 0], p[:, 1])
        self.start_dot.set_data([p[0, 0]], [p[0, 1]])
        gap = np.maximum(r["gap"], 1e-12)
        self.loss_line.set_data(np.arange(len(gap)), gap)
        name = OPTIMIZER_LABELS[r["optimizer"]]
        if r["momentum"] is not None:
            name += f" (μ = {r['momentum']:.2f})"
        if r["diverged_at"] is not None:
            status = (
                f"<b style='color:#b00020'>diverged</b> at step {r['diverged_at']}: the "
                "steps grew without bound. Lower η."
            )
        elif r["minimum"] is not None:
            end = r["end"]
            status = f"ends at the minimum ({end[0]:.2f}, {end[1]:.2f}), L = {r['final_loss']:.4g}"
            if len(s.minima) > 2:
                status += " (the deepest)" if r["minimum"] == 0 else " (not the deepest)"
        else:
            status = (
                f"after {self.STEPS} steps: w = ({r['end'][0]:.3g}, {r['end'][1]:.3g}), "
                f"L = {r['final_loss']:.4g}"
            )
        self.readout.value = f"{name}, η = {r['lr']:g}: {status}"

    def describe(self, r: dict) -> str:
        end = r["end"]
        where = (
            "diverged" if r["diverged_at"] is not None else f"ends at ({end[0]:.2f}, {end[1]:.2f})"
        )
        return (
            f"Now: {OPTIMIZER_LABELS[r['optimizer']]} with learning rate {r['lr']:g} on the "
            f"{r['surface']} surface {where}."
        )


def trajectory_explorer(
    surface: str = "ravine",
    optimizer: str = "sgd",
    lr: float | None = None,
    momentum: float = 0.9,
    noise: float = 0.0,
) -> TrajectoryExplorer:
    """SGD, momentum or Adam (nnlib.optim) for 200 steps on a 2-D surface of
    :data:`nnlib.chapters.optimization.SURFACES`; ``.result`` holds the path and losses shown."""
    return TrajectoryExplorer(surface, optimizer, lr, momentum, noise)


# ---------------------------------------------------------------------- training playground
PLAYGROUND_LRS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100, 200)


class TrainingPlayground(LiveWidget):
    """A network learning a planar data set, 10 steps per redraw (:func:`training_playground`)."""

    CHUNK = 10  # training steps between redraws ("+10 steps" takes one chunk)
    TRAIN_STEPS = 200  # what "train" takes, in chunks
    YLIM = (1e-3, 3.0)

    def __init__(self, dataset: str = "spiral", *, pretrain: int = 300, **settings):
        self.pg = O.Playground(dataset, **settings)
        pg = self.pg
        layout = widgets.Layout(width="15em")
        self.dataset = widgets.Dropdown(
            options=list(PLANAR), value=pg.dataset, description="data", layout=layout
        )
        self.noise = widgets.FloatSlider(
            value=pg.noise,
            min=0.0,
            max=0.3,
            step=0.01,
            description="noise",
            layout=widgets.Layout(width="17em"),
        )
        self.layers = widgets.IntSlider(
            value=len(pg.hidden),
            min=1,
            max=6,
            description="layers",
            layout=widgets.Layout(width="17em"),
        )
        self.width = widgets.IntSlider(
            value=pg.hidden[0],
            min=1,
            max=32,
            description="width",
            layout=widgets.Layout(width="17em"),
        )
        self.activation = widgets.Dropdown(
            options=list(ACTIVATIONS), value=pg.activation, description="activation", layout=layout
        )
        self.scheme = widgets.Dropdown(
            options=[(SCHEME_LABELS.get(k, "zeros"), k) for k in O.INITS],
            value=pg.scheme,
            description="init",
            layout=layout,
        )
        self.optimizer = widgets.Dropdown(
            options=[(OPTIMIZER_LABELS[k], k) for k in O.OPTIMIZERS],
            value=pg.optimizer_name,
            description="optimiser",
            layout=layout,
        )
        self.lr = widgets.SelectionSlider(
            options=sorted({*PLAYGROUND_LRS, pg.base_lr}),
            value=pg.base_lr,
            description="η",
            layout=widgets.Layout(width="17em"),
        )
        self.schedule = widgets.Dropdown(
            options=list(O.SCHEDULES), value=pg.schedule_name, description="schedule", layout=layout
        )
        self.batch = widgets.SelectionSlider(
            options=sorted({*BATCH_SIZES, pg.batch_size}),
            value=pg.batch_size,
            description="batch",
            layout=widgets.Layout(width="17em"),
        )
        self.seed = widgets.BoundedIntText(
            value=pg.seed, min=0, max=999, description="seed", layout=widgets.Layout(width="10em")
        )
        # Buttons, not a Play widget: Play's icons need a web font that the static site does not
        # serve, and a button that trains in chunks animates just as well in a kernel (each
        # chunk's redraw reaches the page while the loop runs).
        self.train_button = widgets.Button(
            description=f"train {self.TRAIN_STEPS} steps", layout=widgets.Layout(width="11em")
        )
        self.step_button = widgets.Button(
            description=f"+{self.CHUNK} steps", layout=widgets.Layout(width="8em")
        )
        self.reset_button = widgets.Button(description="reset", layout=widgets.Layout(width="6em"))
        self.step_button.on_click(lambda _: self.advance())
        self.train_button.on_click(lambda _: self.train(self.TRAIN_STEPS))
        self.reset_button.on_click(lambda _: self.restart())
        self.settings = [
            self.dataset,
            self.noise,
            self.layers,
            self.width,
            self.activation,
            self.scheme,
            self.optimizer,
            self.lr,
            self.schedule,
            self.batch,
            self.seed,
        ]
        self._xmax = 500
        for _ in range(max(0, pretrain) // self.CHUNK):
            pg.train(self.CHUNK)
        box = widgets.Layout(flex_flow="row wrap")
        panel = widgets.VBox(
            [
                widgets.HBox(
                    [self.train_button, self.step_button, self.reset_button, self.seed],
                    layout=box,
                ),
                widgets.HBox(self.settings[:-1], layout=box),
            ]
        )
        super().__init__(
            self.settings,
            figsize=(8.0, 3.6),
            panel=panel,
            alt="Left: the data set's two classes as orange squares and blue circles on a square "
            "from -1.6 to 1.6, shaded by the network's probability of class 1 (blue) or class 0 "
            "(orange). Right: the training and test loss against the training step, log scale.",
        )

    # -- the engine's life cycle ------------------------------------------------------------
    def _hidden(self) -> tuple[int, ...]:
        return (int(self.width.value),) * int(self.layers.value)

    def restart(self) -> None:
        """A fresh Playground with the current settings (step 0); redraw."""
        self.pg = O.Playground(
            self.dataset.value,
            noise=self.noise.value,
            hidden=self._hidden(),
            activation=self.activation.value,
            scheme=self.scheme.value,
            optimizer=self.optimizer.value,
            lr=self.lr.value,
            schedule=self.schedule.value,
            batch_size=int(self.batch.value),
            seed=int(self.seed.value),
        )
        self.update()

    def advance(self, steps: int | None = None) -> None:
        """Train ``steps`` (default CHUNK) more steps and redraw."""
        self.pg.train(self.CHUNK if steps is None else steps)
        self.update()

    def train(self, steps: int) -> None:
        """Train ``steps`` more steps, CHUNK at a time, redrawing after every chunk; stops early
        if training diverges."""
        for _ in range(max(1, steps // self.CHUNK)):
            self.advance()
            if self.pg.diverged:
                break

    def _on_change(self, change=None) -> None:
        if change is not None:  # any setting: a new run from step 0
            self.restart()
        else:
            self.update()

    # -- drawing ----------------------------------------------------------------------------
    def build(self, fig: Figure) -> list:
        self.ax_d, self.ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        box = O.Playground.BOX
        self.regions = DecisionRegions(self.ax_d, (*box, *box), kind="proba")
        self.points = ClassScatter(self.ax_d, size=16, linewidths=0.4)
        self.ax_d.set(xlim=box, ylim=box, xticks=[-1, 0, 1], yticks=[-1, 0, 1])
        self.ax_d.set_aspect("equal")
        self.title = self.ax_d.set_title("", fontsize=9)
        self.curves = LossCurves(
            self.ax_l,
            names=("train", "test"),
            log=True,
            xlabel="step",
            ylabel="loss (binary cross-entropy)",
            styles={"test": {"marker": "", "lw": 1.6}},  # a point every 10 steps: a plain line
        )
        self.ax_l.set(xlim=(0, self._xmax), ylim=self.YLIM)
        return [*self.regions.artists, *self.points.artists, self.title, *self.curves.artists]

    def compute(self) -> dict:
        pg = self.pg
        if pg.diverged:
            raise NonFiniteError(pg.diverged)
        h = pg.history
        return {
            "step": pg.step,
            "epoch": pg.epoch,
            "lr": pg.lr,
            "probabilities": pg.probabilities(),
            "X": pg.X,
            "y": pg.y,
            "history": {k: list(v) for k, v in h.items()},
            "train_loss": h["train_loss"][-1],
            "test_loss": h["test_loss"][-1],
            "train_acc": pg.accuracy(),
            "test_acc": pg.accuracy(test=True),
            "unstable": pg.unstable,
            "hidden": pg.hidden,
        }

    def draw(self, r: dict) -> None:
        self.regions.set(r["probabilities"])
        self.points.set(r["X"], r["y"])
        h = r["history"]
        self.curves.set("train", h["step"], h["train_loss"])
        self.curves.set("test", h["step"], h["test_loss"])
        xmax = 500 * 2 ** max(0, math.ceil(math.log2(max(r["step"], 1) / 500)))
        if xmax != self._xmax:  # the step axis doubles when the run outgrows it
            self._xmax = xmax
            self.ax_l.set_xlim(0, xmax)
            self.canvas.invalidate()
        net = "-".join(str(v) for v in (2, *r["hidden"], 1))
        self.title.set_text(f"{net} network, step {r['step']}")
        warn = ""
        if r["unstable"]:
            warn = (
                "<br><b style='color:#b00020'>The loss has climbed above twice its starting "
                "value: the learning rate is probably too high.</b>"
            )
        self.readout.value = (
            f"step {r['step']} (epoch {r['epoch']:.1f}) &nbsp; η now {r['lr']:.3g} &nbsp; "
            f"loss: train {r['train_loss']:.3f}, test {r['test_loss']:.3f} &nbsp; "
            f"accuracy: train {100 * r['train_acc']:.0f}%, test {100 * r['test_acc']:.0f}%{warn}"
        )

    def describe(self, r: dict) -> str:
        return (
            f"Now: step {r['step']}, training loss {r['train_loss']:.3f}, test loss "
            f"{r['test_loss']:.3f}, {100 * r['train_acc']:.0f}% of the training points and "
            f"{100 * r['test_acc']:.0f}% of the test points classified correctly."
        )


def training_playground(
    dataset: str = "spiral", *, pretrain: int = 300, **settings
) -> TrainingPlayground:
    """The training playground: :class:`nnlib.chapters.optimization.Playground` with controls.

    ``settings`` are the Playground's (``hidden``, ``activation``, ``scheme``, ``optimizer``,
    ``lr``, ``schedule``, ``batch_size``, ``noise``, ``seed``). The network is trained for
    ``pretrain`` steps before the first picture, so a page without a kernel shows a network that
    has learned something; changing a setting starts again from step 0.
    """
    return TrainingPlayground(dataset, pretrain=pretrain, **settings)


# ---------------------------------------------------------------------- layer statistics
class LayerExplorer(LiveWidget):
    """Activations and gradients through a deep network at initialisation (see
    :func:`layer_explorer`)."""

    def __init__(
        self, scheme: str = "pytorch", activation: str = "relu", depth: int = 20, width: int = 128
    ):
        self.width_ = width
        self.scheme = widgets.ToggleButtons(
            options=[(SCHEME_LABELS[k], k) for k in SCHEME_LABELS],
            value=scheme,
            description="init",
            style={"button_width": "7.5em"},
        )
        self.activation = widgets.ToggleButtons(
            options=["relu", "tanh"], value=activation, description="activation"
        )
        self.depth = widgets.IntSlider(
            value=depth, min=2, max=30, description="layers", continuous_update=False
        )
        self.weights = widgets.ToggleButtons(
            options=["normal", "uniform"], value="normal", description="weights"
        )
        super().__init__(
            [self.scheme, self.activation, self.depth, self.weights],
            figsize=(7.6, 3.2),
            alt="The root mean square of the activations (left) and of the gradients (right) at "
            "each layer of a deep network at initialisation, on a log scale from 1e-12 to 1e12; "
            "a dashed line marks 1.",
        )

    def build(self, fig: Figure) -> list:
        self.ax_a, self.ax_g = fig.subplots(1, 2, sharex=True)
        (self.a_line,) = self.ax_a.semilogy([], [], "-o", ms=3, color=ACCENT)
        (self.g_line,) = self.ax_g.semilogy([], [], "-o", ms=3, color=ACCENT)
        self.ax_a.set(
            title="activations: RMS of $a_l$", xlabel="layer l", ylim=(1e-12, 1e12), xlim=(0, 31)
        )
        self.ax_g.set(
            title="gradients: RMS of $\\partial L / \\partial a_l$",
            xlabel="layer l",
            ylim=(1e-12, 1e12),
        )
        for ax in (self.ax_a, self.ax_g):
            ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
            style_axes(ax)
        return [self.a_line, self.g_line]

    def compute(self) -> dict:
        s = O.layer_statistics(
            self.scheme.value,
            self.activation.value,
            depth=self.depth.value,
            width=self.width_,
            n=64,
            weights=self.weights.value,
            rng=0,
        )
        factor = O.measured_factor(s)
        predicted = (
            O.predicted_relu_factor(s.scheme, self.width_) if s.activation == "relu" else None
        )
        return {"stats": s, "factor": factor, "predicted": predicted}

    def draw(self, r: dict) -> None:
        s = r["stats"]
        layers = np.arange(1, len(s.a_rms) + 1)
        self.a_line.set_data(layers, np.clip(s.a_rms, 1e-300, None))
        self.g_line.set_data(layers, np.clip(s.grad_rms, 1e-300, None))
        pred = "" if r["predicted"] is None else f" (theory for ReLU: {r['predicted']:.3g})"
        self.readout.value = (
            f"{SCHEME_LABELS[s.scheme]}, {s.activation}, width {self.width_}: the gradient's mean "
            f"square changes by a factor {r['factor']:.3g} per layer{pred}; last layer RMS "
            f"{s.a_rms[-1]:.3g}, first-layer gradient RMS {s.grad_rms[0]:.3g}"
        )

    def describe(self, r: dict) -> str:
        s = r["stats"]
        return (
            f"Now: {SCHEME_LABELS[s.scheme]} start, {s.activation}, {len(s.a_rms)} layers; "
            f"gradient factor per layer {r['factor']:.3g}."
        )


def layer_explorer(
    scheme: str = "pytorch", activation: str = "relu", depth: int = 20, width: int = 128
) -> LayerExplorer:
    """Send random inputs through ``depth`` layers of ``width`` units at initialisation and show
    the size of the activations and of the backpropagated gradients at every layer."""
    return LayerExplorer(scheme, activation, depth, width)


@styled
def plot_architectures(nets: Sequence[tuple[str, Sequence[int]]], *, max_nodes: int = 5) -> Figure:
    """Layered diagrams of networks side by side (nnlib.widgets.diagrams), titled, e.g. a wide
    and a deep network with the same number of parameters."""
    from .diagrams import network_diagram

    widths = [len(sizes) for _, sizes in nets]
    fig = figure((0.78 * sum(widths) + 0.6, 3.0))
    axes = np.atleast_1d(fig.subplots(1, len(nets), gridspec_kw={"width_ratios": widths}))
    # The diagrams keep an equal aspect inside axes of another shape; matplotlib logs that it
    # widens their limits to do so, which is what we want.
    log = logging.getLogger("matplotlib.axes._base")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        for ax, (title, sizes) in zip(axes, nets):
            network_diagram(
                sizes,
                labels=("x", "h", "z"),
                activations=["ReLU"] * (len(sizes) - 2) + [None],
                max_nodes=max_nodes,
                ax=ax,
            )
            ax.set_title(title)
        fig.canvas.draw()  # lay out now, while the log is quiet
    finally:
        log.setLevel(level)
    return fig
