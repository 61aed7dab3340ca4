"""Figures and widgets for the chapter *Neural units* (book/01_units.ipynb).

Two widgets and a few plain plotting functions. None of them does any math of its own: every
value (z, y, f(z), f'(z)) comes from :mod:`nnlib.functional`; this module only wires controls to
those calls and draws the results.

- :func:`neuron_explorer`: sliders for w, b, x and a choice of activation; shows z, y, the
  slope f'(z) and the gradient dy/dw = f'(z) x, dy/db = f'(z), with the point (z, y) on the
  activation's curve and (z, f'(z)) on its derivative's. Its defaults are the chapter's worked
  example.
- :func:`activation_gallery`: the activations of nnlib's registry and their derivatives side by
  side, with a slider for z that marks the point on every curve and reports every derivative.
- :func:`plot_activation`, :func:`plot_derivatives`, :func:`plot_step_and_sigmoid`: static
  figures (matplotlib ``Figure`` objects) for the chapter's text.

Each widget is an ``ipywidgets.VBox`` subclass that keeps what it last computed (``z``, ``y``,
``values``...) and its controls as attributes, so tests can move a slider and read the result
without a kernel (ipywidgets observers fire synchronously). Every number comes from
:mod:`nnlib.functional` and :mod:`nnlib.chapters.units` (z, y and the gradients by autodiff).
"""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import functional as F
from ..chapters import units as chapter
from .canvas import ACCENT, LINE_COLORS, LiveWidget, figure, float_slider, style_axes, styled

__all__ = [
    "ACTIVATIONS",
    "LEAKY_SLOPE",
    "WORKED_EXAMPLE",
    "format_slope",
    "format_sum",
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


def _as_drawn(act: F.Activation) -> F.Activation:
    """An activation of nnlib's registry as these figures show it: the registry's own entry,
    except leaky ReLU, drawn with slope LEAKY_SLOPE."""
    if act.name != "leaky_relu":
        return act
    return dataclasses.replace(
        act,
        fn=functools.partial(F.leaky_relu, slope=LEAKY_SLOPE),
        prime=functools.partial(F.leaky_relu_prime, slope=LEAKY_SLOPE),
        label=f"{act.label} (α = {LEAKY_SLOPE})",
    )


# nnlib's one activation registry (F.ACTIVATIONS), in its order, as the figures draw it.
ACTIVATIONS: dict[str, F.Activation] = {name: _as_drawn(act) for name, act in F.ACTIVATIONS.items()}


def get_activation(name: str) -> F.Activation:
    """``F.get_activation(name)`` as the figures draw it (same error for unknown names)."""
    return _as_drawn(F.get_activation(name))


def _check_range(z_range: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (low, high) with low < high, got {tuple(z_range)}")
    return lo, hi


def format_slope(value: float) -> str:
    """A derivative as the gallery shows it: 4 decimals, or 3 significant digits if tiny."""
    if value == 0:
        return "0.0000"  # also for -0.0
    text = f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.2e}"
    return "−" + text[1:] if text.startswith("-") else text


def _factor(v: float) -> str:
    """A factor of a product: 0.50, or (−2.00) in brackets when negative."""
    return f"{v:.2f}" if v >= 0 else f"(−{abs(v):.2f})"


def format_sum(w: Sequence[float], x: Sequence[float], b: float) -> str:
    """w·x + b written out term by term, signs done properly: '0.20·0.50 + (−1.00)·0.60 − 2.00'."""
    terms = " + ".join(f"{_factor(wi)}·{_factor(xi)}" for wi, xi in zip(w, x))
    sign = "+" if b >= 0 else "−"
    return f"{terms} {sign} {abs(b):.2f}"


# ---------------------------------------------------------------------- static figures
@styled
def plot_activation(
    name: str, z_range: Sequence[float] = (-6, 6), mark: Sequence[float] = ()
) -> Figure:
    """Two panels: the activation f(z) and its derivative f'(z), both from nnlib.functional.

    ``mark`` lists z values whose points are marked on both curves.
    """
    act = get_activation(name)
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 601)
    fig = figure((7.0, 2.6))
    ax_f, ax_d = fig.subplots(1, 2)
    for ax, values, title in [
        (ax_f, act.fn(z), f"{act.label}: f(z)"),
        (ax_d, act.prime(z), "its derivative f′(z)"),
    ]:
        style_axes(ax, zero_lines=True)
        ax.plot(z, values, color=LINE_COLORS[0] if ax is ax_f else LINE_COLORS[1], lw=2)
        ax.set_title(title)
        ax.set_xlabel("z")
    if len(mark):
        m = np.asarray(mark, dtype=float)
        ax_f.plot(m, act.fn(m), "o", color="k", ms=5)
        ax_d.plot(m, act.prime(m), "o", color="k", ms=5)
    return fig


@styled
def plot_derivatives(
    names: Sequence[str], z_range: Sequence[float] = (-10, 10), mark: Sequence[float] = ()
) -> Figure:
    """The derivatives of several activations on one axes, with points marked at ``mark``."""
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 801)
    fig = figure((7.0, 2.8))
    ax = fig.subplots()
    style_axes(ax, zero_lines=True)
    m = np.asarray(mark, dtype=float)
    for i, name in enumerate(names):
        act = get_activation(name)
        ax.plot(z, act.prime(z), color=LINE_COLORS[i], lw=2, label=f"{act.label}′(z)")
        if m.size:
            ax.plot(m, act.prime(m), "o", color=LINE_COLORS[i], ms=5)
    ax.set_xlabel("z")
    ax.set_ylabel("f′(z)")
    ax.legend(loc="upper left", frameon=False)
    return fig


@styled
def plot_step_and_sigmoid(
    z_range: Sequence[float] = (-6, 6), sharpness: Sequence[float] = (1.0,)
) -> Figure:
    """The perceptron's step (threshold) function next to the sigmoid σ(c z) for each
    sharpness c: as c grows the sigmoid tends to the step (values from nnlib)."""
    lo, hi = _check_range(z_range)
    z = np.linspace(lo, hi, 1201)
    fig = figure((7.0, 2.6))
    ax = fig.subplots()
    style_axes(ax, zero_lines=True)
    # drawstyle="steps-post" draws the jump as a vertical edge instead of a sloped segment
    ax.plot(z, F.step(z), color=ACCENT, lw=2.5, drawstyle="steps-post", label="step(z)")
    curves = chapter.sharpened(z, sharpness)
    for i, (c, values) in enumerate(zip(sharpness, curves)):
        label = "σ(z)" if c == 1 else f"σ({c:g}z)"
        ax.plot(z, values, color=LINE_COLORS[i % len(LINE_COLORS)], lw=1.8, label=label)
    ax.set_xlabel("z")
    ax.legend(loc="upper left", frameon=False)
    return fig


# ---------------------------------------------------------------------- neuron explorer
class NeuronExplorer(LiveWidget):
    """One unit, live: z = w·x + b, y = f(z), the slope f'(z) and the gradient dy/dw = f'(z) x.

    Left panel: the curve of f with the point (z, y); right panel: the curve of f' with the
    point (z, f'(z)). All numbers come from :func:`nnlib.chapters.units.unit_state` (the
    gradients by nnlib's autodiff).

    Attributes for tests and curious readers: ``w_sliders``, ``x_sliders``, ``b_slider``,
    ``activation`` (Dropdown), ``readout`` (HTML), ``canvas`` (FigureImage), ``marker`` and
    ``slope_marker`` (the Line2D of each point), ``z``, ``y``, ``slope``, ``dy_dw``, ``dy_db``
    (the last computed values), ``result`` (everything last shown), ``last_redraw_s`` and
    ``last_redraw_cpu_s`` (wall and CPU seconds of the last update).
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
        self.w_sliders = [float_slider(f"w{s}", v, -3, 3) for s, v in zip("₁₂₃", w)]
        self.x_sliders = [float_slider(f"x{s}", v, -3, 3) for s, v in zip("₁₂₃", x)]
        self.b_slider = float_slider("b", b, -5, 5)
        self.activation = widgets.Dropdown(
            options=[(a.label, a.name) for a in ACTIVATIONS.values()],
            value=activation,
            description="f",
            layout=widgets.Layout(width="320px"),
        )
        self._view: tuple[str, float] | None = None  # (activation, half width) last drawn
        left = widgets.VBox(
            [widgets.HTML("<b>weights and bias</b>"), *self.w_sliders, self.b_slider]
        )
        right = widgets.VBox(
            [widgets.HTML("<b>inputs and activation</b>"), *self.x_sliders, self.activation]
        )
        alt = (
            "Left: the curve of the chosen activation y = f(z); the red dot and dashed lines "
            "mark the unit's current point (z, y). Right: the derivative f′(z), with the red "
            "dot at the current z: the factor by which the unit passes on a gradient."
        )
        super().__init__(
            [*self.w_sliders, *self.x_sliders, self.b_slider, self.activation],
            panel=widgets.HBox([left, right], layout=widgets.Layout(flex_flow="row wrap")),
            figsize=(7.6, 3.0),
            alt=alt,
            caption=alt,
        )

    @property
    def z(self) -> float:
        return self.result["z"]

    @property
    def y(self) -> float:
        return self.result["y"]

    @property
    def slope(self) -> float:
        return self.result["slope"]

    @property
    def dy_dw(self) -> np.ndarray:
        return self.result["dy_dw"]

    @property
    def dy_db(self) -> float:
        return self.result["dy_db"]

    def build(self, fig: Figure) -> list:
        ax, ax_d = self.ax, self.ax_slope = fig.subplots(1, 2)
        style_axes(ax, zero_lines=True)
        style_axes(ax_d, zero_lines=True)
        ax.set_xlabel("z = w·x + b")
        ax.set_ylabel("y = f(z)")
        ax_d.set_xlabel("z")
        ax_d.set_ylabel("f′(z)")
        ax_d.set_title("its slope f′(z)")
        (self.curve,) = ax.plot([], [], color=LINE_COLORS[0], lw=2)
        (self.slope_curve,) = ax_d.plot([], [], color=LINE_COLORS[1], lw=2)
        self.vguide = ax.axvline(0, color=ACCENT, ls="--", lw=1)
        self.hguide = ax.axhline(0, color=ACCENT, ls="--", lw=1)
        self.slope_guide = ax_d.axvline(0, color=ACCENT, ls="--", lw=1)
        (self.marker,) = ax.plot([], [], "o", color=ACCENT, ms=9, zorder=5)
        (self.slope_marker,) = ax_d.plot([], [], "o", color=ACCENT, ms=8, zorder=5)
        self.label = ax.text(0, 0, "", color=ACCENT, fontsize=10, ha="left", va="top")
        return [
            self.vguide,
            self.hguide,
            self.slope_guide,
            self.marker,
            self.slope_marker,
            self.label,
        ]

    def compute(self) -> dict:
        """z, y, f'(z), dy/dw and dy/db (autodiff) from nnlib; the curves when the view changes."""
        act = get_activation(self.activation.value)
        w = np.array([s.value for s in self.w_sliders])
        x = np.array([s.value for s in self.x_sliders])
        b = float(self.b_slider.value)
        state = chapter.unit_state(w, b, x, act)  # the activation as drawn (leaky: slope 0.1)
        z = state.z
        # The view: [-6, 6] unless z is near its edge, then the next multiple of 6.
        half = self.Z_VIEW
        while abs(z) > half - 0.5:
            half += self.Z_VIEW
        r = {
            "activation": act.name,
            "w": w,
            "x": x,
            "b": b,
            "z": z,
            "y": state.y,
            "slope": state.slope,
            "dy_dw": state.dy_dw,
            "dy_db": state.dy_db,
            "half": half,
        }
        if self._view != (act.name, half):
            grid = np.linspace(-half, half, 401)
            r["curve"] = (grid, act.fn(grid), act.prime(grid))
        return r

    def draw(self, r: dict) -> None:
        act = get_activation(r["activation"])
        z, y, slope, half = r["z"], r["y"], r["slope"], r["half"]
        grad = ", ".join(format_slope(v) for v in r["dy_dw"])
        self.readout.value = (
            "<div style='font-family: monospace; font-size: 110%'>"
            f"z = w·x + b = {format_sum(r['w'], r['x'], r['b'])} = <b>{_signed(z)}</b><br>"
            f"y = {html.escape(act.symbol)} = <b>{_signed(y)}</b><br>"
            f"slope f′(z) = <b>{format_slope(slope)}</b>; "
            f"∂y/∂w = f′(z)·x = [{grad}], ∂y/∂b = f′(z) = {format_slope(r['dy_db'])}</div>"
        )
        self.marker.set_data([z], [y])
        self.slope_marker.set_data([z], [slope])
        self.vguide.set_xdata([z, z])
        self.hguide.set_ydata([y, y])
        self.slope_guide.set_xdata([z, z])
        self.label.set_position((z, y))
        text = f"({z:.2f}, {y:.2f})".replace("-", "−")
        # the label sits right of the point, or left of it near the right edge
        if z > 0.3 * half:
            self.label.set(text=text + "  ", ha="right")
        else:
            self.label.set(text="  " + text, ha="left")
        if "curve" in r:  # a new activation or a wider view: redraw the background
            grid, values, primes = r["curve"]
            self.curve.set_data(grid, values)
            self.slope_curve.set_data(grid, primes)
            for ax, v in ((self.ax, values), (self.ax_slope, primes)):
                lo, hi = float(min(v.min(), 0.0)), float(max(v.max(), 0.0))
                pad = 0.08 * (hi - lo) or 0.1
                ax.set_xlim(-half, half)
                ax.set_ylim(lo - pad, hi + pad)
            self.ax.set_title(act.label)
            self._view = (act.name, half)
            self.canvas.invalidate(relayout=True)  # tick labels may have grown

    def describe(self, r: dict) -> str:
        act = get_activation(r["activation"])
        return (
            f"Now: {act.label}, z = {r['z']:.2f}, y = {r['y']:.2f}, slope f′(z) = "
            f"{format_slope(r['slope'])}."
        )


def _signed(v: float) -> str:
    """A value with 4 decimals and a true minus sign."""
    text = f"{v:.4f}"
    return "−" + text[1:] if text.startswith("-") else text


def neuron_explorer(
    w: Sequence[float] = WORKED_EXAMPLE["w"],
    b: float = WORKED_EXAMPLE["b"],
    x: Sequence[float] = WORKED_EXAMPLE["x"],
    activation: str = "sigmoid",
) -> NeuronExplorer:
    """A unit with 3 inputs to play with; defaults are the chapter's worked example."""
    return NeuronExplorer(w=w, b=b, x=x, activation=activation)


# ---------------------------------------------------------------------- activation gallery
class ActivationGallery(LiveWidget):
    """Every activation of the registry (top row) and its derivative (bottom row), a z slider.

    Attributes: ``z_slider``, ``readout`` (HTML table), ``canvas`` (FigureImage), ``markers``
    and ``prime_markers`` (name -> Line2D on the f and f' panels), ``values`` (name ->
    (f(z), f'(z)) as last computed), ``z``, ``result``, ``last_redraw_s``, ``last_redraw_cpu_s``.
    """

    FLAT = 0.05  # below this |f'(z)| a curve counts as "nearly flat" in the readout

    def __init__(self, z: float = 2.0, z_range: Sequence[float] = (-6, 6)):
        lo, hi = _check_range(z_range)
        if not lo <= z <= hi:
            raise ValueError(f"z = {z} lies outside z_range {(lo, hi)}")
        self.z_range = (lo, hi)
        self.z_slider = float_slider("z", z, lo, hi, step=0.05, width="520px")
        alt = (
            f"Top row: the {len(ACTIVATIONS)} activations f(z); bottom row: their derivatives "
            "f′(z), all on one scale. The red dots and dashed lines mark the current z."
        )
        super().__init__(
            [self.z_slider],
            panel=self.z_slider,
            figsize=(12.6, 4.2),
            dpi=80,
            alt=alt,
            caption=alt,
        )

    @property
    def z(self) -> float:
        return self.result["z"]

    @property
    def values(self) -> dict[str, tuple[float, float]]:
        return self.result["values"]

    def build(self, fig: Figure) -> list:
        axes = fig.subplots(2, len(ACTIVATIONS), sharex=True)
        grid = np.linspace(*self.z_range, 401)
        z0 = self.z_slider.value
        self.markers: dict[str, object] = {}
        self.prime_markers: dict[str, object] = {}
        self.zlines = []
        for col, act in enumerate(ACTIVATIONS.values()):
            ax_f, ax_d = axes[0, col], axes[1, col]
            for ax, values, color in [
                (ax_f, act.fn(grid), LINE_COLORS[0]),
                (ax_d, act.prime(grid), LINE_COLORS[1]),
            ]:
                style_axes(ax, zero_lines=True)
                ax.plot(grid, values, color=color, lw=1.8)
                self.zlines.append(ax.axvline(z0, color=ACCENT, ls="--", lw=1))
            if col:  # one scale for all derivatives, so their sizes can be compared
                ax_d.sharey(axes[1, 0])
            ax_f.set_title(act.label, fontsize=10)
            ax_d.set_xlabel("z")
            (self.markers[act.name],) = ax_f.plot([], [], "o", color=ACCENT, ms=7, zorder=5)
            (self.prime_markers[act.name],) = ax_d.plot([], [], "o", color=ACCENT, ms=7, zorder=5)
        axes[0, 0].set_ylabel("f(z)")
        axes[1, 0].set_ylabel("f′(z)")
        self.axes = axes
        return [*self.zlines, *self.markers.values(), *self.prime_markers.values()]

    def compute(self) -> dict:
        """Every activation and derivative at z, from nnlib."""
        z = float(self.z_slider.value)
        values = {act.name: (float(act.fn(z)), float(act.prime(z))) for act in ACTIVATIONS.values()}
        return {"z": z, "values": values}

    def draw(self, r: dict) -> None:
        z = r["z"]
        rows = []
        for act in ACTIVATIONS.values():
            fz, dz = r["values"][act.name]
            self.markers[act.name].set_data([z], [fz])
            self.prime_markers[act.name].set_data([z], [dz])
            note, color = self.note(fz, dz)
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

    @classmethod
    def note(cls, fz: float, dz: float) -> tuple[str, str]:
        """What the readout says about a slope (and the colour it says it in)."""
        if dz == 0 and fz == 0:
            return "off: no gradient (dead if off for every input)", "#c0392b"
        if dz == 0:
            return "saturated (flat): no gradient", "#c0392b"
        if abs(dz) < cls.FLAT:
            return "nearly flat: saturating" + (", negative slope" if dz < 0 else ""), "#d35400"
        if dz < 0:
            return "negative slope: output falls as z grows", "#6a3d9a"
        return "", "inherit"

    def describe(self, r: dict) -> str:
        slopes = ", ".join(
            f"{ACTIVATIONS[name].label} {format_slope(d)}" for name, (_, d) in r["values"].items()
        )
        return f"Now z = {r['z']:.2f}; the slopes f′(z) there: {slopes}."


def activation_gallery(z: float = 2.0, z_range: Sequence[float] = (-6, 6)) -> ActivationGallery:
    """The registry's activations and their derivatives; a slider for z marks the point on each."""
    return ActivationGallery(z=z, z_range=z_range)
