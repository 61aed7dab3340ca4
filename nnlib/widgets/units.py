"""Figures and widgets for the chapter *Neural units* (book/01_units.ipynb).

Two widgets and a few plain plotting functions. None of them does any math of its own: every
value (z, y, f(z), f'(z)) comes from :mod:`nnlib.functional`; this module only wires controls to
those calls and draws the results.

- :func:`neuron_explorer`: sliders for w, b, x and a choice of activation; shows z, y and the
  point (z, y) on the activation curve. Its defaults are the chapter's worked example.
- :func:`activation_gallery`: the six activations and their derivatives side by side, with a
  slider for z that marks the point on every curve and reports every derivative.
- :func:`plot_activation`, :func:`plot_derivatives`, :func:`plot_step_and_sigmoid`: static
  figures (matplotlib ``Figure`` objects) for the chapter's text.

Each widget is an ``ipywidgets.VBox`` subclass that keeps what it last computed (``z``, ``y``,
``values``...) and its controls as attributes, so tests can move a slider and read the result
without a kernel (ipywidgets observers fire synchronously).
"""

from __future__ import annotations

import functools
import html
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import functional as F
from ..tensor import Tensor
from .canvas import FigureImage

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "LEAKY_SLOPE",
    "WORKED_EXAMPLE",
    "format_slope",
    "get_activation",
    "plot_activation",
    "plot_derivatives",
    "plot_step_and_sigmoid",
    "neuron_explorer",
    "activation_gallery",
    "NeuronExplorer",
    "ActivationGallery",
]

# Leaky ReLU's slope for z < 0 in the figures. nnlib's (and PyTorch's) default is 0.01, which
# is invisible at the scale of a plot; 0.1 makes the "leak" visible. The chapter says so.
LEAKY_SLOPE = 0.1

# The chapter's worked example: w = [0.2, 0.3, 0.9], b = 0.5, x = [0.5, 0.6, 0.1].
WORKED_EXAMPLE = {"w": (0.2, 0.3, 0.9), "b": 0.5, "x": (0.5, 0.6, 0.1)}


@dataclass(frozen=True)
class Activation:
    """An activation as the figures need it: nnlib's function, its derivative, and labels."""

    name: str  # key, e.g. "leaky_relu"
    label: str  # for titles and legends, e.g. "leaky ReLU (α = 0.1)"
    symbol: str  # how the output is written in the readouts, e.g. "σ(z)"
    f: Callable
    f_prime: Callable


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("sigmoid", "sigmoid", "σ(z)", F.sigmoid, F.sigmoid_prime),
        Activation("tanh", "tanh", "tanh(z)", F.tanh, F.tanh_prime),
        Activation("relu", "ReLU", "ReLU(z)", F.relu, F.relu_prime),
        Activation(
            "leaky_relu",
            f"leaky ReLU (α = {LEAKY_SLOPE})",
            "LeakyReLU(z)",
            functools.partial(F.leaky_relu, slope=LEAKY_SLOPE),
            functools.partial(F.leaky_relu_prime, slope=LEAKY_SLOPE),
        ),
        Activation("hardtanh", "hard tanh", "HardTanh(z)", F.hardtanh, F.hardtanh_prime),
        Activation("swish", "swish", "swish(z)", F.swish, F.swish_prime),
    ]
}


def get_activation(name: str) -> Activation:
    """The :class:`Activation` called ``name``; a clear error for unknown names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None


def _check_range(z_range: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (low, high) with low < high, got {tuple(z_range)}")
    return lo, hi


def _new_figure(figsize: tuple[float, float], dpi: int = 100) -> Figure:
    # A Figure with its own Agg canvas (not pyplot): IPython's inline backend displays it when it
    # is a cell's last expression, and it never lingers in pyplot's list of open figures.
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style(ax) -> None:
    ax.grid(True, alpha=0.3)
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)


def format_slope(value: float) -> str:
    """A derivative as the gallery shows it: 4 decimals, or 3 significant digits if tiny."""
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.2e}"


def _figure_image(figsize: tuple[float, float], dpi: int, caption: str) -> FigureImage:
    """A FigureImage whose description is the image's alt text and a visible caption below it."""
    return FigureImage(figsize=figsize, dpi=dpi, alt=caption)


class _Blitter:
    """Fast redraws for a :class:`FigureImage` whose only moving parts are a few artists.

    ``full()`` draws everything except the moving artists, keeps that picture as the
    background, then adds the moving artists; ``moved()`` pastes the background back and draws
    only the moving artists (matplotlib's blitting, done on the Agg canvas). Either way the
    picture is encoded as PNG into the Image widget. A full ``savefig`` of a 12-panel figure
    takes a few hundred ms; a blit takes a few tens.
    """

    def __init__(self, canvas: FigureImage, moving: Sequence):
        self.canvas = canvas
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)  # excluded from canvas.draw(): drawn by hand below
        self.background = None

    def full(self) -> bytes:
        agg = self.canvas.fig.canvas
        agg.draw()
        self.background = agg.copy_from_bbox(self.canvas.fig.bbox)
        return self._draw_moving()

    def moved(self) -> bytes:
        if self.background is None:
            return self.full()
        self.canvas.fig.canvas.restore_region(self.background)
        return self._draw_moving()

    def _draw_moving(self) -> bytes:
        for artist in self.moving:
            artist.axes.draw_artist(artist)
        rgba = np.asarray(self.canvas.fig.canvas.buffer_rgba())
        buf = io.BytesIO()
        PIL.Image.fromarray(rgba).save(buf, format="png", compress_level=1)
        self.canvas.image.value = buf.getvalue()
        return self.canvas.image.value


# ---------------------------------------------------------------------- static figures
def plot_activation(
    name: str, z_range: Sequence[float] = (-6, 6), mark: Sequence[float] = ()
) -> Figure:
    """Two panels: the activation f(z) and its derivative f'(z), both from nnlib.functional.

    ``mark`` lists z values whose points are marked on both curves.
    """
    act = get_activation(name)
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 601)
    fig = _new_figure((7.0, 2.6))
    ax_f, ax_d = fig.subplots(1, 2)
    for ax, values, title in [
        (ax_f, act.f(z), f"{act.label}: f(z)"),
        (ax_d, act.f_prime(z), "its derivative f′(z)"),
    ]:
        _style(ax)
        ax.plot(z, values, color="C0" if ax is ax_f else "C1", lw=2)
        ax.set_title(title)
        ax.set_xlabel("z")
    if len(mark):
        m = np.asarray(mark, dtype=float)
        ax_f.plot(m, act.f(m), "o", color="k", ms=5)
        ax_d.plot(m, act.f_prime(m), "o", color="k", ms=5)
    return fig


def plot_derivatives(
    names: Sequence[str], z_range: Sequence[float] = (-10, 10), mark: Sequence[float] = ()
) -> Figure:
    """The derivatives of several activations on one axes, with points marked at ``mark``."""
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 801)
    fig = _new_figure((7.0, 2.8))
    ax = fig.subplots()
    _style(ax)
    m = np.asarray(mark, dtype=float)
    for i, name in enumerate(names):
        act = get_activation(name)
        ax.plot(z, act.f_prime(z), color=f"C{i}", lw=2, label=f"{act.label}′(z)")
        if m.size:
            ax.plot(m, act.f_prime(m), "o", color=f"C{i}", ms=5)
    ax.set_xlabel("z")
    ax.set_ylabel("f′(z)")
    ax.legend(loc="upper left", frameon=False)
    return fig


def plot_step_and_sigmoid(z_range: Sequence[float] = (-6, 6)) -> Figure:
    """The perceptron's step (threshold) function next to the sigmoid, both from nnlib."""
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 601)
    fig = _new_figure((7.0, 2.6))
    ax = fig.subplots()
    _style(ax)
    # drawstyle="steps-post" draws the jump as a vertical edge instead of a sloped segment
    ax.plot(z, F.step(z), color="C3", lw=2, drawstyle="steps-post", label="step(z)")
    ax.plot(z, F.sigmoid(z), color="C0", lw=2, label="σ(z)")
    ax.set_xlabel("z")
    ax.legend(loc="upper left", frameon=False)
    return fig


# ---------------------------------------------------------------------- neuron explorer
def _slider(description: str, value: float, lo: float, hi: float) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=0.01,
        description=description,
        readout_format=".2f",
        continuous_update=True,
        layout=widgets.Layout(width="320px"),
    )


class NeuronExplorer(widgets.VBox):
    """One unit, live: z = w·x + b and y = f(z), with (z, y) marked on the curve of f.

    Attributes for tests and curious readers: ``w_sliders``, ``x_sliders``, ``b_slider``,
    ``activation`` (Dropdown), ``readout`` (HTML), ``canvas`` (FigureImage), ``marker`` (the
    Line2D of the point), ``z`` and ``y`` (the last computed values), ``last_redraw_s`` and
    ``last_redraw_cpu_s`` (wall-clock and CPU seconds of the last update).
    """

    Z_VIEW = 6.0  # the curve spans [-6, 6], widened in steps of 6 when z leaves it

    def __init__(
        self,
        w: Sequence[float] = WORKED_EXAMPLE["w"],
        b: float = WORKED_EXAMPLE["b"],
        x: Sequence[float] = WORKED_EXAMPLE["x"],
        activation: str = "sigmoid",
    ):
        if len(w) != 3 or len(x) != 3:
            raise ValueError(
                f"neuron_explorer has 3 inputs: w and x need 3 values each, got {len(w)} and "
                f"{len(x)}"
            )
        get_activation(activation)
        self.w_sliders = [_slider(f"w{s}", v, -3, 3) for s, v in zip("₁₂₃", w)]
        self.x_sliders = [_slider(f"x{s}", v, -3, 3) for s, v in zip("₁₂₃", x)]
        self.b_slider = _slider("b", b, -5, 5)
        self.activation = widgets.Dropdown(
            options=[(a.label, a.name) for a in ACTIVATIONS.values()],
            value=activation,
            description="f",
            layout=widgets.Layout(width="320px"),
        )
        self.readout = widgets.HTML()
        self.canvas = _figure_image(
            figsize=(6.0, 3.0),
            dpi=90,
            caption="The curve of the chosen activation y = f(z); the red dot and dashed lines "
            "mark the unit's current point (z, y).",
        )
        ax = self.canvas.fig.subplots()
        _style(ax)
        ax.set_xlabel("z = w·x + b")
        ax.set_ylabel("y = f(z)")
        (self.curve,) = ax.plot([], [], color="C0", lw=2)
        self.vguide = ax.axvline(0, color="C3", ls="--", lw=1)
        self.hguide = ax.axhline(0, color="C3", ls="--", lw=1)
        (self.marker,) = ax.plot([], [], "o", color="C3", ms=9, zorder=5)
        self.label = ax.text(0, 0, "", color="C3", fontsize=10, ha="left", va="top")
        self.ax = ax
        self._blit = _Blitter(self.canvas, [self.vguide, self.hguide, self.marker, self.label])
        self._view: tuple[str, float] | None = None  # (activation, half width) last drawn in full
        self.z = float("nan")
        self.y = float("nan")
        self.last_redraw_s = self.last_redraw_cpu_s = float("nan")

        left = widgets.VBox(
            [widgets.HTML("<b>weights and bias</b>"), *self.w_sliders, self.b_slider]
        )
        right = widgets.VBox(
            [widgets.HTML("<b>inputs and activation</b>"), *self.x_sliders, self.activation]
        )
        self.caption = widgets.HTML(f"<small>{html.escape(self.canvas.alt)}</small>")
        children = [widgets.HBox([left, right]), self.readout, self.canvas.image, self.caption]
        super().__init__(children)
        for control in [*self.w_sliders, *self.x_sliders, self.b_slider, self.activation]:
            control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Recompute z and y with nnlib from the controls, then redraw readout and figure."""
        start, start_cpu = time.perf_counter(), time.process_time()
        act = get_activation(self.activation.value)
        w = np.array([s.value for s in self.w_sliders])
        x = np.array([s.value for s in self.x_sliders])
        b = self.b_slider.value
        # z = x W^T + b with W the 1 x 3 matrix [w]: nnlib's linear layer with a single unit.
        z = F.linear(Tensor(x), Tensor(w[None, :]), Tensor(np.array([b]))).data[0]
        y = act.f(z)
        self.z, self.y = float(z), float(y)

        terms = " + ".join(f"{wi:.2f}·{xi:.2f}" for wi, xi in zip(w, x))
        self.readout.value = (
            "<div style='font-family: monospace; font-size: 110%'>"
            f"z = w·x + b = {terms} + {b:.2f} = <b>{self.z:.4f}</b><br>"
            f"y = {html.escape(act.symbol)} = <b>{self.y:.4f}</b></div>"
        )

        # The view: [-6, 6] unless z is near its edge, then the next multiple of 6.
        half = self.Z_VIEW
        while abs(self.z) > half - 0.5:
            half += self.Z_VIEW
        self.marker.set_data([self.z], [self.y])
        self.vguide.set_xdata([self.z, self.z])
        self.hguide.set_ydata([self.y, self.y])
        self.label.set_position((self.z, self.y))
        text = f"({self.z:.2f}, {self.y:.2f})"
        # the label sits right of the point, or left of it near the right edge
        if self.z > 0.6 * half:
            self.label.set(text=text + "  ", ha="right")
        else:
            self.label.set(text="  " + text, ha="left")
        if self._view != (act.name, half):
            grid = np.linspace(-half, half, 401)
            values = act.f(grid)
            self.curve.set_data(grid, values)
            lo, hi = float(values.min()), float(values.max())
            pad = 0.08 * (hi - lo)
            self.ax.set_xlim(-half, half)
            self.ax.set_ylim(lo - pad, hi + pad)
            self.ax.set_title(act.label)
            self._view = (act.name, half)
            self._blit.full()
        else:
            self._blit.moved()
        self.last_redraw_s = time.perf_counter() - start
        self.last_redraw_cpu_s = time.process_time() - start_cpu


def neuron_explorer(
    w: Sequence[float] = WORKED_EXAMPLE["w"],
    b: float = WORKED_EXAMPLE["b"],
    x: Sequence[float] = WORKED_EXAMPLE["x"],
    activation: str = "sigmoid",
) -> NeuronExplorer:
    """A unit with 3 inputs to play with; defaults are the chapter's worked example."""
    return NeuronExplorer(w=w, b=b, x=x, activation=activation)


# ---------------------------------------------------------------------- activation gallery
class ActivationGallery(widgets.VBox):
    """All six activations (top row) and their derivatives (bottom row) with a z slider.

    Attributes: ``z_slider``, ``readout`` (HTML table), ``canvas`` (FigureImage), ``markers``
    and ``prime_markers`` (name -> Line2D on the f and f' panels), ``values`` (name ->
    (f(z), f'(z)) as last computed), ``z``, ``last_redraw_s``, ``last_redraw_cpu_s``.
    """

    FLAT = 0.05  # below this |f'(z)| a curve counts as "nearly flat" in the readout

    def __init__(self, z: float = 2.0, z_range: Sequence[float] = (-6, 6)):
        lo, hi = _check_range(z_range)
        if not lo <= z <= hi:
            raise ValueError(f"z = {z} lies outside z_range {(lo, hi)}")
        self.z_slider = widgets.FloatSlider(
            value=z,
            min=lo,
            max=hi,
            step=0.05,
            description="z",
            readout_format=".2f",
            continuous_update=True,
            layout=widgets.Layout(width="520px"),
        )
        self.readout = widgets.HTML()
        self.canvas = _figure_image(
            figsize=(12.0, 4.2),
            dpi=80,
            caption="Top row: the six activations f(z); bottom row: their derivatives f′(z), "
            "all on one scale. The red dots and dashed lines mark the current z.",
        )
        axes = self.canvas.fig.subplots(2, len(ACTIVATIONS), sharex=True)
        grid = np.linspace(lo, hi, 401)
        self.markers: dict[str, object] = {}
        self.prime_markers: dict[str, object] = {}
        self.zlines = []
        for col, act in enumerate(ACTIVATIONS.values()):
            ax_f, ax_d = axes[0, col], axes[1, col]
            for ax, values, color in [(ax_f, act.f(grid), "C0"), (ax_d, act.f_prime(grid), "C1")]:
                _style(ax)
                ax.plot(grid, values, color=color, lw=1.8)
                self.zlines.append(ax.axvline(z, color="C3", ls="--", lw=1))
            if col:  # one scale for all derivatives, so their sizes can be compared
                ax_d.sharey(axes[1, 0])
            ax_f.set_title(act.label, fontsize=10)
            ax_d.set_xlabel("z")
            (self.markers[act.name],) = ax_f.plot([], [], "o", color="C3", ms=7, zorder=5)
            (self.prime_markers[act.name],) = ax_d.plot([], [], "o", color="C3", ms=7, zorder=5)
        axes[0, 0].set_ylabel("f(z)")
        axes[1, 0].set_ylabel("f′(z)")
        self.axes = axes
        moving = [*self.zlines, *self.markers.values(), *self.prime_markers.values()]
        self._blit = _Blitter(self.canvas, moving)
        self.values: dict[str, tuple[float, float]] = {}
        self.z = float("nan")
        self.last_redraw_s = self.last_redraw_cpu_s = float("nan")
        self.caption = widgets.HTML(f"<small>{html.escape(self.canvas.alt)}</small>")
        super().__init__([self.z_slider, self.readout, self.canvas.image, self.caption])
        self.z_slider.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Evaluate every activation and derivative at z with nnlib; redraw markers and table."""
        start, start_cpu = time.perf_counter(), time.process_time()
        z = float(self.z_slider.value)
        self.z = z
        rows = []
        for act in ACTIVATIONS.values():
            fz, dz = float(act.f(z)), float(act.f_prime(z))
            self.values[act.name] = (fz, dz)
            self.markers[act.name].set_data([z], [fz])
            self.prime_markers[act.name].set_data([z], [dz])
            if dz == 0:
                note, color = "flat: no gradient", "#c0392b"
            elif abs(dz) < self.FLAT:
                note, color = "nearly flat: saturating", "#d35400"
            else:
                note, color = "", "inherit"
            rows.append(
                f"<tr><td style='padding:0 1em 0 0'>{html.escape(act.label)}</td>"
                f"<td style='text-align:right;padding:0 1em'>{fz:.4f}</td>"
                f"<td style='text-align:right;padding:0 1em'>{format_slope(dz)}</td>"
                f"<td style='color:{color}'>{note}</td></tr>"
            )
        for line in self.zlines:
            line.set_xdata([z, z])
        self.readout.value = (
            "<table style='font-family: monospace'>"
            f"<tr><th style='text-align:left'>at z = {z:.2f}</th><th>f(z)</th><th>f′(z)</th>"
            "<th></th></tr>" + "".join(rows) + "</table>"
        )
        self._blit.moved()
        self.last_redraw_s = time.perf_counter() - start
        self.last_redraw_cpu_s = time.process_time() - start_cpu


def activation_gallery(z: float = 2.0, z_range: Sequence[float] = (-6, 6)) -> ActivationGallery:
    """The six activations and their derivatives; a slider for z marks the point on each."""
    return ActivationGallery(z=z, z_range=z_range)
