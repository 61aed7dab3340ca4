"""The widget toolkit: figures, fast redraws, a base class for live widgets, shared plots.

Every chapter's figures and widgets are built from these parts, so they look alike and stay
fast. Drawing only: the numbers come from nnlib (the core or ``nnlib.chapters``); a widget's
``compute()`` calls nnlib, its ``draw()`` hands the results to artists.

The parts:

- house style: :data:`STYLE` (rcParams), :data:`CLASS_COLORS` and :data:`CLASS_MARKERS` (one
  colour-blind-safe colour and marker per class), :func:`style` / :func:`styled` (apply the
  style while artists are made), :func:`figure` (the one figure factory: a ``Figure`` on its own
  Agg canvas, no pyplot, constrained layout), :func:`style_axes` (grid, zero lines);
- :class:`Blitter`: draw the static background once, then only the moving artists
  (``invalidate()`` after limits or background change); counts full draws and blits;
- :class:`FigureImage`: a figure shown in an :class:`AltImage` (an ``ipywidgets.Image`` with
  alt text), re-encoded as PNG by ``render()``;
- :class:`LiveWidget`: the base of every live widget (an ``ipywidgets.VBox``): controls, a
  readout, the figure, an optional caption; ``update()`` runs ``compute()`` then ``draw()``,
  records ``.result`` and the CPU/wall time of each update, keeps the alt text in step with what
  is shown, and shows a clear message in the readout when the model raises (e.g. divergence);
- shared plots, each an object with ``.set(...)`` for live updates and ``.artists`` to blit:
  :class:`ClassScatter`, :class:`DecisionRegions`, :class:`LossCurves`,
  :class:`ProbabilityBars`; plus :func:`float_slider`.

A live widget in full (the pattern every chapter follows)::

    import numpy as np
    from nnlib import functional as F
    from nnlib.widgets.canvas import ACCENT, LiveWidget, float_slider, style_axes

    class SigmoidPoint(LiveWidget):
        # drag z and see sigma(z) on the curve

        def __init__(self, z=0.0):
            self.z_slider = float_slider("z", z, -6, 6)
            super().__init__(
                [self.z_slider], figsize=(5, 3),
                alt="The sigmoid curve with a dot at the current z.",
            )

        def build(self, fig):                 # once: axes, static artists; return moving ones
            ax = fig.subplots()
            style_axes(ax)
            grid = np.linspace(-6, 6, 301)
            ax.plot(grid, F.sigmoid(grid))
            (self.dot,) = ax.plot([], [], "o", color=ACCENT)
            return [self.dot]

        def compute(self):                    # the numbers, from nnlib; may raise
            z = self.z_slider.value
            return {"z": z, "y": float(F.sigmoid(z))}

        def draw(self, r):                    # artists and readout from the numbers
            self.dot.set_data([r["z"]], [r["y"]])
            self.readout.value = f"σ({r['z']:.2f}) = {r['y']:.4f}"

        def describe(self, r):                # the state, for the image's alt text
            return f"The dot is at z = {r['z']:.2f}, y = {r['y']:.2f}."

Moving a slider calls ``update()``: a blit (restore the background, draw the dot, encode the
PNG), typically 5-30 ms. Tests need no kernel (ipywidgets observers fire synchronously): set
``w.z_slider.value = 2.0``, read ``w.result``; ``fast_path(w, moves)`` (a fixture in
tests/widgets/conftest.py) checks that control changes blit instead of redrawing everything.

A static figure (a cell's last expression shows it; give the cell alt text metadata)::

    @styled
    def plot_classes(X, y, regions, extent):
        fig = figure((4, 4))
        ax = fig.add_subplot()
        DecisionRegions(ax, extent, regions, n_classes=3)  # class ids from nnlib, on a grid
        ClassScatter(ax, X, y, n_classes=3)
        return fig

Rules of thumb for chapter authors:

- name colours from :data:`LINE_COLORS`, :data:`CLASS_COLORS`, :data:`ACCENT`: matplotlib
  resolves ``"C0"`` strings at draw time, outside the house style;
- moving artists are drawn on top of the background, in z-order among themselves: keep what
  moves above what does not;
- anything that changes other than the moving artists (limits, ticks, a title that is not
  moving, a curve) needs ``self.canvas.invalidate()`` (``relayout=True`` if labels grow);
- expensive work (training, grids over every snapshot) goes in ``__init__``, before
  ``super().__init__``; ``compute()`` then only looks things up.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import PIL.Image
import traitlets
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

__all__ = [
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "LINE_COLORS",
    "ACCENT",
    "STYLE",
    "style",
    "styled",
    "figure",
    "style_axes",
    "lighten",
    "png_bytes",
    "AltImage",
    "Blitter",
    "FigureImage",
    "LiveWidget",
    "float_slider",
    "ClassScatter",
    "DecisionRegions",
    "LossCurves",
    "ProbabilityBars",
]

# ---------------------------------------------------------------------- house style
# Okabe & Ito's colour-blind-safe palette. Classes: class 0 vermillion, class 1 blue (chapter 2's
# text says "the blue side" for class 1), then green, purple, orange, sky blue, black, yellow.
CLASS_COLORS = (
    "#d55e00",
    "#0072b2",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#000000",
    "#f0e442",
)
# A marker per class as well, so classes differ in shape, not only in colour.
CLASS_MARKERS = ("s", "o", "^", "D", "v", "P", "X", "*")
# Lines (C0, C1, ...): the same palette, blue first; C3 is the vermillion "red" of markers.
# Matplotlib resolves "C0".."C9" when drawing, with whatever style is active then: name colours
# from here instead (LINE_COLORS[0], ACCENT) so they stay the house's.
LINE_COLORS = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000")
ACCENT = "#c62828"  # a strong red, apart from the orange and blue curves: the current point

STYLE: dict[str, Any] = {
    # an opaque white card: readable on the site's light and dark themes alike
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "text.color": "#222222",
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#444444",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    # sizes readable at the site's width (figures are 6-8 in wide at 90-100 dpi)
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": cycler(color=LINE_COLORS),
    "image.interpolation": "nearest",
}


def style() -> contextlib.AbstractContextManager:
    """A context in which matplotlib uses the house :data:`STYLE` (rcParams are read when an
    artist is made, so make the figure *and* its artists inside it)."""
    return mpl.rc_context(STYLE)


def styled(fn: Callable) -> Callable:
    """Decorator: run a plotting function inside :func:`style`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with style():
            return fn(*args, **kwargs)

    return wrapper


def figure(figsize: tuple[float, float] = (7.0, 3.0), dpi: int = 100) -> Figure:
    """A new Figure in the house style, on its own Agg canvas, with constrained layout.

    Not pyplot: the figure never lingers in pyplot's list of open figures, shows exactly once when
    it is a cell's last expression (IPython's inline backend renders any Figure), and works
    without a kernel or a display.
    """
    with style():
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax, grid: bool = True, zero_lines: bool = False) -> None:
    """The house look for plots of functions: a light grid; optional grey lines at x = 0, y = 0."""
    if grid:
        ax.grid(True, alpha=STYLE["grid.alpha"])
    if zero_lines:
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.axvline(0, color="0.6", lw=0.8, zorder=0)


def lighten(color: Any, amount: float = 0.78) -> tuple[float, float, float]:
    """``color`` mixed with white (``amount`` = share of white): region shades of class colours."""
    if not 0 <= amount <= 1:
        raise ValueError(f"amount must lie in [0, 1], got {amount}")
    return tuple((1 - amount) * c + amount for c in to_rgb(color))


def png_bytes(fig: Figure, compress_level: int = 3) -> bytes:
    """The figure's Agg buffer (as last drawn) encoded as PNG: no re-draw, unlike ``savefig``.

    An opaque figure drops its alpha channel (a quarter fewer bytes to compress).
    """
    image = PIL.Image.fromarray(np.asarray(fig.canvas.buffer_rgba()))
    if fig.patch.get_facecolor()[3] == 1 and fig.patch.get_visible():
        image = image.convert("RGB")  # PIL's conversion is faster than a strided numpy copy
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=compress_level)
    return buf.getvalue()


# ---------------------------------------------------------------------- images and blitting
class AltImage(widgets.Image):
    """An Image widget with a synced ``alt`` text describing the picture.

    ipywidgets' Image has no alt attribute, and its ``tooltip`` breaks the view in ipywidgets
    8.1 (the view reads a ``description`` that Image lacks). The book's widget glue script
    copies ``alt`` into the <img> element; elsewhere the extra trait is simply ignored.
    """

    alt = traitlets.Unicode("").tag(sync=True)


class Blitter:
    """Fast redraws: the figure without its moving artists is drawn once and kept.

    ``draw()`` brings the figure's Agg buffer up to date. The first time (and after
    :meth:`invalidate`) it is a *full draw*: the layout is solved with every artist in place and
    then frozen (so the picture does not shift when a moving title changes length), the figure is
    drawn without the moving ("animated") artists, and that picture is kept as the background.
    Every later call is a *blit*: paste the background back, draw only the moving artists, in
    z-order, on top of everything else (keep what moves above what does not). A full draw of a
    12-panel figure costs a few hundred ms; a blit a few ms.

    ``full_draws`` and ``blits`` count both kinds, so a test can check the fast path is used.
    A blitter without moving artists does a full draw every time.
    """

    def __init__(self, fig: Figure, moving: Sequence = ()):
        self.fig = fig
        self.moving: list = []
        self.background = None
        self.full_draws = 0
        self.blits = 0
        self._layout_engine = None  # the engine frozen after the first layout, for relayout
        self.set_moving(moving)

    def set_moving(self, moving: Sequence) -> None:
        """Declare which artists change between redraws (the rest is background)."""
        for artist in self.moving:
            artist.set_animated(False)
        self.moving = sorted(moving, key=lambda a: a.get_zorder())
        for artist in self.moving:
            if artist.figure is not self.fig:
                raise ValueError(f"moving artist {artist!r} does not belong to this figure")
            artist.set_animated(True)  # skipped by canvas.draw(): drawn by hand on the background
        self.invalidate()

    def invalidate(self, relayout: bool = False) -> None:
        """Forget the background: the next draw is a full one. Call after changing axis limits,
        ticks or any artist that is not moving. ``relayout=True`` also solves the layout again
        (tick labels that got wider, a new legend)."""
        self.background = None
        if relayout and self._layout_engine is not None:
            self.fig.set_layout_engine(self._layout_engine)
            self._layout_engine = None

    def draw(self) -> None:
        """Bring the Agg buffer up to date: a blit if the background is valid, else a full draw."""
        agg = self.fig.canvas
        if self.background is None or not self.moving:
            engine = self.fig.get_layout_engine()
            agg.draw()  # with a layout engine, this first solves the layout (moving artists too)
            if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
                self._layout_engine = engine
                self.fig.set_layout_engine("none")  # freeze it: later draws keep these positions
            self.background = agg.copy_from_bbox(self.fig.bbox) if self.moving else None
            self.full_draws += 1
        else:
            agg.restore_region(self.background)
            self.blits += 1
        for artist in self.moving:
            if artist.get_visible():
                self.fig.draw_artist(artist)


class FigureImage:
    """A figure shown in an :class:`AltImage`; ``render()`` redraws (blitting) and re-encodes.

    ``fig``: the Figure (house style, Agg); ``image``: the widget; ``blitter``: its
    :class:`Blitter`. Declare the moving artists with :meth:`animate`, call :meth:`invalidate`
    after changing anything else, then :meth:`render`.
    """

    def __init__(self, figsize: tuple[float, float] = (7.0, 3.5), dpi: int = 90, alt: str = ""):
        self.fig = figure(figsize=figsize, dpi=dpi)
        # Shown at the figure's own size (pages would otherwise stretch it to the full width),
        # shrinking on narrow screens.
        width = f"{round(figsize[0] * dpi)}px"
        self.image = AltImage(
            format="png", layout=widgets.Layout(width=width, max_width="100%"), alt=alt
        )
        self.blitter = Blitter(self.fig)

    @property
    def alt(self) -> str:
        """The picture's alt text (synced to the browser)."""
        return self.image.alt

    @alt.setter
    def alt(self, text: str) -> None:
        self.image.alt = text

    @property
    def full_draws(self) -> int:
        return self.blitter.full_draws

    @property
    def blits(self) -> int:
        return self.blitter.blits

    def animate(self, moving: Sequence) -> None:
        """Declare the artists that change between renders; everything else is background."""
        self.blitter.set_moving(moving)

    def invalidate(self, relayout: bool = False) -> None:
        """The background changed: the next render is a full draw (see Blitter.invalidate)."""
        self.blitter.invalidate(relayout)

    def render(self) -> bytes:
        """Draw (blit when possible), encode as PNG and show it in the image; returns the PNG."""
        self.blitter.draw()
        self.image.value = png_bytes(self.fig)
        return self.image.value


# ---------------------------------------------------------------------- live widgets
def float_slider(
    description: str,
    value: float,
    lo: float,
    hi: float,
    step: float = 0.01,
    readout_format: str = ".2f",
    width: str = "320px",
) -> widgets.FloatSlider:
    """A FloatSlider in the house layout that updates while dragging."""
    if not lo <= value <= hi:
        raise ValueError(f"slider {description!r}: value {value} lies outside [{lo}, {hi}]")
    return widgets.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        readout_format=readout_format,
        continuous_update=True,
        layout=widgets.Layout(width=width),
    )


class LiveWidget(widgets.VBox):
    """Base class of the book's live widgets: controls, readout, figure, caption.

    A subclass creates its controls, then calls ``super().__init__(controls, ...)``, and
    implements:

    - ``build(fig) -> list of artists``: make axes and artists once; return the moving ones;
    - ``compute() -> dict``: read the controls, compute everything shown *with nnlib*; may raise;
    - ``draw(result)``: put the numbers into the artists and ``self.readout``; call
      ``self.canvas.invalidate()`` if the background (limits, ticks...) changed;
    - optionally ``describe(result) -> str``: one or two sentences on the current state, appended
      to the figure's alt text.

    ``update()`` (called on every change of a control, and once at the end of ``__init__``)
    runs them, blits the figure and records:

    - ``result``: the dict last shown (what tests check);
    - ``error``: None, or the message shown when ``compute()`` raised one of
      ``shown_errors`` (``ValueError``, ``ArithmeticError``: bad settings, overflow, nnlib's
      ``NonFiniteError`` on divergence). The readout then shows the message in a red box, the
      figure keeps the last good state, and the alt text says so. Other exceptions are bugs and
      propagate;
    - ``last_redraw_s``, ``last_redraw_cpu_s`` (seconds, wall and CPU, of the last update);
      ``redraw_ms``, ``redraw_cpu_ms``: the recent updates' times in ms (CPU time is what a busy
      machine does not inflate; test speed with it).

    ``panel`` is what is shown above the figure (default: the controls in a wrapping row);
    ``readout_in_panel=True`` leaves the readout out so ``panel`` can place it itself.
    """

    shown_errors: tuple[type[BaseException], ...] = (ValueError, ArithmeticError)
    TIMES_KEPT = 500

    def __init__(
        self,
        controls: Sequence[widgets.Widget],
        *,
        figsize: tuple[float, float],
        alt: str,
        dpi: int = 90,
        caption: str | None = None,
        panel: widgets.Widget | None = None,
        readout_in_panel: bool = False,
    ):
        if not alt.strip():
            raise ValueError("a live widget needs alt text describing its figure")
        self.controls = list(controls)
        if not hasattr(self, "readout"):  # a subclass may have made it to place it in its panel
            self.readout = widgets.HTML()
        self.canvas = FigureImage(figsize=figsize, dpi=dpi, alt=alt)
        self.fig = self.canvas.fig
        self.alt_base = alt
        self.result: dict = {}
        self.error: str | None = None
        self.last_redraw_s = self.last_redraw_cpu_s = float("nan")
        self.redraw_ms: deque[float] = deque(maxlen=self.TIMES_KEPT)
        self.redraw_cpu_ms: deque[float] = deque(maxlen=self.TIMES_KEPT)
        with style():
            moving = self.build(self.fig)
        self.canvas.animate(moving or [])
        if panel is None:
            panel = widgets.HBox(self.controls, layout=widgets.Layout(flex_flow="row wrap"))
        self.controls_panel = panel
        children = [panel] if readout_in_panel else [panel, self.readout]
        children.append(self.canvas.image)
        self.caption = None
        if caption:
            self.caption = widgets.HTML(f"<small>{html.escape(caption)}</small>")
            children.append(self.caption)
        super().__init__(children)
        for control in self.controls:
            control.observe(self._on_change, names="value")
        self.update()

    # -- the three hooks (build, compute, draw) and describe ----------------------------------
    def build(self, fig: Figure) -> list:
        raise NotImplementedError(f"{type(self).__name__} must implement build(fig)")

    def compute(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement compute()")

    def draw(self, result: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement draw(result)")

    def describe(self, result: dict) -> str:
        return ""

    # -- the update cycle ---------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        self.update()

    def update(self) -> None:
        """Recompute (nnlib), redraw (blit) and record the time it took."""
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            result = self.compute()
        except self.shown_errors as exc:
            self._show_error(exc)
        else:
            self.error = None
            self.draw(result)
            self.result = result
            state = self.describe(result)
            self.canvas.alt = f"{self.alt_base} {state}".strip()
            self.canvas.render()
        self.last_redraw_s = time.perf_counter() - start
        self.last_redraw_cpu_s = time.process_time() - start_cpu
        self.redraw_ms.append(1000 * self.last_redraw_s)
        self.redraw_cpu_ms.append(1000 * self.last_redraw_cpu_s)

    def _show_error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.error = f"{name}: {exc}"
        self.readout.value = (
            "<div style='color:#b00020;border:1px solid #b00020;padding:2px 6px'>"
            f"<b>Cannot show this setting.</b> {html.escape(self.error)}<br>"
            "<small>The figure still shows the last setting that worked.</small></div>"
        )
        self.canvas.alt = (
            f"{self.alt_base} The current setting failed ({self.error}); the figure still "
            "shows the last setting that worked."
        )
        if self.canvas.full_draws == 0:  # failed from the start: show the empty axes at least
            self.canvas.render()

    def timings(self) -> dict[str, float]:
        """Median wall and CPU time (ms) of the recorded updates, and how many there were."""
        return {
            "updates": len(self.redraw_cpu_ms),
            "median_ms": float(np.median(self.redraw_ms)) if self.redraw_ms else float("nan"),
            "median_cpu_ms": float(np.median(self.redraw_cpu_ms))
            if self.redraw_cpu_ms
            else float("nan"),
        }


# ---------------------------------------------------------------------- shared plots
def _check_n_classes(n_classes: int) -> int:
    if not 1 <= n_classes <= len(CLASS_COLORS):
        raise ValueError(
            f"n_classes must be between 1 and {len(CLASS_COLORS)} (one colour each), got "
            f"{n_classes}"
        )
    return int(n_classes)


class ClassScatter:
    """Points coloured and shaped by class: one scatter artist per class (any number of classes).

    ``ClassScatter(ax, X, y, n_classes=3)`` draws rows of ``X`` (N, 2) with labels ``y`` (N,)
    in {0..n_classes-1}; ``.set(X, y)`` moves them (for live widgets); ``.artists`` are the
    per-class collections (blit them); ``labels`` name the classes in the legend.
    """

    def __init__(
        self,
        ax,
        X: Any = None,
        y: Any = None,
        *,
        n_classes: int = 2,
        labels: Sequence[str] | None = None,
        size: float = 90,
        zorder: float = 3,
        **scatter_kw,
    ):
        self.n_classes = _check_n_classes(n_classes)
        if labels is None:
            labels = [f"y = {k}" for k in range(self.n_classes)]
        if len(labels) != self.n_classes:
            raise ValueError(f"labels: need {self.n_classes} names, got {len(labels)}")
        self.ax = ax
        kw = {"edgecolors": "black", "linewidths": 0.8, **scatter_kw}
        self.artists = [
            ax.scatter(
                [],
                [],
                s=size,
                c=CLASS_COLORS[k],
                marker=CLASS_MARKERS[k],
                zorder=zorder,
                label=labels[k],
                **kw,
            )
            for k in range(self.n_classes)
        ]
        if X is not None:
            self.set(X, y)

    def set(self, X: Any, y: Any) -> None:
        """Show points ``X`` (N, 2) with class labels ``y`` (N,)."""
        X = np.asarray(X, dtype=float).reshape(-1, 2) if np.size(X) else np.empty((0, 2))
        y = np.asarray(y).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"ClassScatter: {X.shape[0]} points but {y.shape[0]} labels")
        if y.size and (y.min() < 0 or y.max() >= self.n_classes or np.any(y != np.round(y))):
            raise ValueError(
                f"ClassScatter: labels must be integers in 0..{self.n_classes - 1}, got "
                f"{np.unique(y).tolist()}"
            )
        for k, artist in enumerate(self.artists):
            artist.set_offsets(X[y == k])


class DecisionRegions:
    """The classes a model predicts over a grid of inputs, shaded behind the data.

    ``values`` is computed by the caller (nnlib): a grid (H, W) whose row 0 is the bottom edge
    of ``extent`` = (x_lo, x_hi, y_lo, y_hi), holding

    - ``kind="class"``: class ids 0..n_classes-1, each shaded in its class colour, lightened;
    - ``kind="proba"`` with (H, W) values: P(class 1) for two classes, shaded from class 0's
      colour through white (0.5, undecided) to class 1's;
    - ``kind="proba"`` with (H, W, C) values: class probabilities, shaded by the mix of class
      colours they weigh (confident regions take their class's colour).

    ``.set(values, extent=None)`` updates it; ``.image`` (``.artists``) is the AxesImage to blit.
    """

    def __init__(
        self,
        ax,
        extent: Sequence[float],
        values: Any = None,
        *,
        kind: str = "class",
        n_classes: int = 2,
        lightness: float = 0.78,
        zorder: float = 0,
    ):
        if kind not in ("class", "proba"):
            raise ValueError(f"kind must be 'class' or 'proba', got {kind!r}")
        self.kind = kind
        self.n_classes = _check_n_classes(n_classes)
        self.shades = np.array([lighten(c, lightness) for c in CLASS_COLORS[: self.n_classes]])
        if kind == "class":
            cmap = ListedColormap(self.shades)
            norm = {"vmin": -0.5, "vmax": self.n_classes - 0.5}  # id k -> k-th colour exactly
        else:
            cmap = LinearSegmentedColormap.from_list(
                "nnbook_proba", [self.shades[0], (1, 1, 1), self.shades[-1]]
            )
            norm = {"vmin": 0.0, "vmax": 1.0}
        self.image = ax.imshow(
            np.zeros((2, 2)),
            origin="lower",
            extent=tuple(extent),
            cmap=cmap,
            interpolation="nearest",
            aspect="auto",
            zorder=zorder,
            **norm,
        )
        self.artists = [self.image]
        if values is not None:
            self.set(values)

    def set(self, values: Any, extent: Sequence[float] | None = None) -> None:
        """Show a new grid (see the class docstring); optionally move it to a new ``extent``."""
        v = np.asarray(values, dtype=float)
        if v.ndim == 3:
            if self.kind != "proba" or v.shape[-1] != self.n_classes:
                raise ValueError(
                    f"a (H, W, C) grid needs kind='proba' and C = n_classes = {self.n_classes}, "
                    f"got shape {v.shape} with kind={self.kind!r}"
                )
            v = np.clip(v @ self.shades, 0.0, 1.0)  # RGB: the probability-weighted class shades
        elif v.ndim != 2:
            raise ValueError(f"decision regions need an (H, W) or (H, W, C) grid, got {v.shape}")
        elif self.kind == "class" and v.size and (v.min() < 0 or v.max() > self.n_classes - 1):
            raise ValueError(
                f"class ids must lie in 0..{self.n_classes - 1}, got {v.min():g}..{v.max():g}"
            )
        self.image.set_data(v)
        if extent is not None:
            self.image.set_extent(tuple(extent))


class LossCurves:
    """Training and validation curves (loss, or any metric) against steps or epochs.

    ``LossCurves(ax, names=("train", "valid"), log=False)`` makes one line per name;
    ``.set(name, x, y)`` replaces a line's data (None values are gaps); ``.rescale()`` fits the
    axes around every line and returns True when the limits changed (then invalidate a blitted
    figure: the ticks are background). Limits grow with headroom so a growing curve triggers few
    full redraws; ``xlim`` fixes the x range (e.g. to the planned number of epochs).
    """

    def __init__(
        self,
        ax,
        names: Sequence[str] = ("train", "valid"),
        *,
        log: bool = False,
        xlabel: str = "epoch",
        ylabel: str = "loss",
        xlim: tuple[float, float] | None = None,
        styles: dict[str, dict] | None = None,
    ):
        self.ax = ax
        self.log = log
        self.xlim = xlim
        defaults = [
            {"color": LINE_COLORS[0], "lw": 2},
            {"color": LINE_COLORS[1], "lw": 2, "marker": "o", "ms": 4},
        ]
        self.lines = {}
        for i, name in enumerate(names):
            kw = dict(defaults[i] if i < len(defaults) else {"color": LINE_COLORS[i % 7]})
            kw.update((styles or {}).get(name, {}))
            (self.lines[name],) = ax.plot([], [], label=name, **kw)
        if log:
            ax.set_yscale("log")
        ax.set(xlabel=xlabel, ylabel=ylabel)
        style_axes(ax)
        if len(names) > 1:
            ax.legend(loc="best")
        self.artists = list(self.lines.values())
        self._limits: tuple | None = None

    def set(self, name: str, x: Any, y: Any) -> None:
        """Replace the data of line ``name``; None or NaN values leave gaps."""
        if name not in self.lines:
            raise KeyError(f"no line {name!r}; lines: {', '.join(self.lines)}")
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.asarray([np.nan if v is None else v for v in np.asarray(y, dtype=object).ravel()])
        y = y.astype(float)
        if x.shape != y.shape:
            raise ValueError(f"line {name!r}: {x.size} x values but {y.size} y values")
        self.lines[name].set_data(x, y)

    def rescale(self) -> bool:
        """Fit the limits around the data (with headroom); True if they changed."""
        xs, ys = [], []
        for line in self.lines.values():
            x, y = (np.asarray(a, dtype=float) for a in line.get_data())
            ok = np.isfinite(x) & np.isfinite(y) & ((y > 0) if self.log else True)
            xs.append(x[ok])
            ys.append(y[ok])
        x, y = np.concatenate(xs), np.concatenate(ys)
        if y.size == 0:
            return False
        if self.xlim is not None:
            xlim = tuple(self.xlim)
        else:
            hi = float(x.max()) if x.size else 1.0
            xlim = (float(x.min()) if x.size else 0.0, _round_up(max(hi, 1e-12)))
        lo, hi = float(y.min()), float(y.max())
        if self.log:
            lo, hi = 10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi))
            ylim = (lo, hi if hi > lo else lo * 10)
        else:
            bottom = 0.0 if lo >= 0 else lo - 0.05 * (hi - lo)
            ylim = (bottom, _round_up(hi) if hi > 0 else hi + 0.05 * (hi - bottom + 1e-12))
        old = self._limits
        if old is not None:  # keep the old limits while the data fit comfortably inside them
            (ox0, ox1), (oy0, oy1) = old
            fits_x = xlim[0] >= ox0 and xlim[1] <= ox1 and (xlim[1] - xlim[0]) > 0.4 * (ox1 - ox0)
            if self.log:
                fits_y = ylim[0] >= oy0 and ylim[1] <= oy1
            else:
                fits_y = (
                    ylim[0] >= oy0 and ylim[1] <= oy1 and (ylim[1] - ylim[0]) > 0.3 * (oy1 - oy0)
                )
            if fits_x and fits_y:
                return False
        if xlim[1] <= xlim[0]:
            xlim = (xlim[0] - 0.5, xlim[0] + 0.5)
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        self._limits = (xlim, ylim)
        return True


def _round_up(v: float) -> float:
    """The next 'nice' number >= v (1, 1.5, 2, 3, 5, 7.5 times a power of 10)."""
    if v <= 0:
        return v
    p = 10 ** np.floor(np.log10(v))
    for m in (1, 1.5, 2, 3, 5, 7.5, 10):
        if m * p >= v * (1 - 1e-12):
            return float(m * p)
    return float(10 * p)


class ProbabilityBars:
    """A bar chart of class probabilities (softmax outputs), one bar per label, on [0, 1].

    ``.set(probs, highlight=None)`` updates the heights and value labels; ``highlight`` (an
    index, e.g. the target or the arg max) is drawn in the accent colour. ``.artists`` (bars
    and labels) are what a live widget blits.
    """

    def __init__(
        self,
        ax,
        labels: Sequence[str],
        *,
        color: str = LINE_COLORS[0],
        highlight_color: str = LINE_COLORS[3],
        show_values: bool = True,
        ylabel: str = "probability",
    ):
        if len(labels) == 0:
            raise ValueError("ProbabilityBars needs at least one label")
        self.ax = ax
        self.labels = list(labels)
        self.color, self.highlight_color = color, highlight_color
        n = len(self.labels)
        self.bars = ax.bar(np.arange(n), np.zeros(n), color=color, width=0.7, zorder=2)
        self.texts = (
            [ax.text(i, 0, "", ha="center", va="bottom", fontsize=8, zorder=3) for i in range(n)]
            if show_values
            else []
        )
        long = max(len(s) for s in self.labels) > 6 or n > 12
        ax.set_xticks(
            np.arange(n), self.labels, rotation=45 if long else 0, ha="right" if long else "center"
        )
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(0, 1.1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel(ylabel)
        ax.grid(True, axis="y", alpha=STYLE["grid.alpha"])
        self.artists = [*self.bars.patches, *self.texts]

    def set(self, probs: Any, highlight: int | None = None) -> None:
        p = np.asarray(probs, dtype=float).reshape(-1)
        if p.size != len(self.labels):
            raise ValueError(f"{len(self.labels)} bars but {p.size} probabilities")
        if np.any(p < -1e-9) or np.any(p > 1 + 1e-9) or not np.all(np.isfinite(p)):
            raise ValueError(f"probabilities must lie in [0, 1], got {p}")
        for i, (bar, v) in enumerate(zip(self.bars.patches, p)):
            bar.set_height(v)
            bar.set_color(self.highlight_color if i == highlight else self.color)
        for text, v in zip(self.texts, p):
            text.set_position((text.get_position()[0], v + 0.01))
            text.set_text(f"{v:.2f}")
