"""The widget toolkit (nnlib.widgets.canvas): figure factory, blitting, the live-widget base and
the shared plots, tested without a kernel (ipywidgets observers fire synchronously)."""

from __future__ import annotations

import io
import re

import ipywidgets as widgets
import numpy as np
import PIL.Image
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb, to_rgba

from nnlib import functional as F
from nnlib.tensor import NonFiniteError
from nnlib.widgets import canvas
from nnlib.widgets.canvas import (
    ACCENT,
    CLASS_COLORS,
    CLASS_MARKERS,
    Blitter,
    ClassScatter,
    DecisionRegions,
    FigureImage,
    LiveWidget,
    LossCurves,
    ProbabilityBars,
    figure,
    float_slider,
    lighten,
    png_bytes,
    style,
)


def pixels(fig) -> np.ndarray:
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def decode(png: bytes) -> PIL.Image.Image:
    return PIL.Image.open(io.BytesIO(png))


# ---------------------------------------------------------------------- figure and style
def test_figure_is_agg_constrained_styled_and_not_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = figure((5.0, 2.0), dpi=80)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    assert tuple(fig.get_size_inches()) == (5.0, 2.0) and fig.dpi == 80
    assert fig.patch.get_facecolor() == to_rgba("white")  # opaque: readable in dark mode too
    assert plt.get_fignums() == before


def test_house_palette_is_distinct_and_class_pair_matches_chapter_2():
    assert len(set(CLASS_COLORS)) == len(CLASS_COLORS) == len(CLASS_MARKERS)
    assert len(set(CLASS_MARKERS)) == len(CLASS_MARKERS)
    assert CLASS_COLORS[:2] == ("#d55e00", "#0072b2")  # class 0 orange, class 1 blue
    with style():
        fig = figure()
        (line,) = fig.subplots().plot([0, 1])  # the automatic colour is the house's first
    assert to_rgb(line.get_color()) == to_rgb(canvas.LINE_COLORS[0])


def test_lighten_mixes_with_white():
    assert lighten("#000000", 0.5) == pytest.approx((0.5, 0.5, 0.5))
    assert lighten("#0072b2", 0.0) == pytest.approx(to_rgb("#0072b2"))
    assert lighten("#0072b2", 1.0) == pytest.approx((1, 1, 1))
    with pytest.raises(ValueError, match="amount"):
        lighten("red", 1.5)


def test_png_bytes_encodes_the_drawn_buffer():
    fig = figure((2.0, 1.0), dpi=50)
    fig.canvas.draw()
    image = decode(png_bytes(fig))
    assert image.size == (100, 50) and image.mode == "RGB"  # opaque: no alpha channel
    np.testing.assert_array_equal(np.asarray(image), pixels(fig)[..., :3])
    fig.patch.set_alpha(0.0)
    fig.canvas.draw()
    assert decode(png_bytes(fig)).mode == "RGBA"  # transparency kept when there is some


# ---------------------------------------------------------------------- blitting
def _moving_figure():
    fig = figure((3.0, 2.0), dpi=60)
    ax = fig.subplots()
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    (dot,) = ax.plot([0.2], [0.5], "o", color=ACCENT, ms=10)
    title = ax.set_title("t = 0")
    return fig, ax, dot, title


def test_blit_gives_the_same_picture_as_a_full_draw():
    fig, ax, dot, title = _moving_figure()
    blitter = Blitter(fig, [dot, title])
    blitter.draw()
    assert (blitter.full_draws, blitter.blits) == (1, 0)
    for x in (0.3, 0.7, 0.9):
        dot.set_data([x], [x**2])
        title.set_text(f"x = {x}")
        blitter.draw()
        blitted = pixels(fig)
        blitter.invalidate()
        blitter.draw()  # the same state, drawn from scratch
        np.testing.assert_array_equal(blitted, pixels(fig))
    assert blitter.full_draws == 4 and blitter.blits == 3


def test_blit_moves_the_artist_and_nothing_else():
    fig, ax, dot, title = _moving_figure()
    blitter = Blitter(fig, [dot])
    blitter.draw()
    first = pixels(fig)
    dot.set_data([0.8], [0.8])
    blitter.draw()
    second = pixels(fig)
    changed = np.argwhere((first != second).any(axis=-1))
    assert changed.size, "the dot moved, so some pixels must change"
    # every changed pixel lies near the old or the new position of the dot
    near = []
    for x, y in [(0.2, 0.5), (0.8, 0.8)]:
        px, py = ax.transData.transform((x, y))
        row, col = fig.bbox.height - py, px
        near.append(np.hypot(changed[:, 0] - row, changed[:, 1] - col) < 12)
    assert np.all(near[0] | near[1])


def test_layout_is_frozen_after_the_first_draw_and_relayout_restores_it():
    fig, ax, dot, title = _moving_figure()
    blitter = Blitter(fig, [dot, title])
    blitter.draw()
    position = ax.get_position().bounds
    assert fig.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"
    title.set_text("a much longer title\nover two lines")
    blitter.draw()
    assert ax.get_position().bounds == position  # no jump while the title changes
    blitter.invalidate(relayout=True)
    blitter.draw()
    assert ax.get_position().bounds[3] < position[3]  # room made for the two-line title


def test_blitter_rejects_artists_of_another_figure():
    fig, *_ = _moving_figure()
    other, _, dot, _ = _moving_figure()
    with pytest.raises(ValueError, match="does not belong"):
        Blitter(fig, [dot])


def test_blitter_without_moving_artists_always_draws_in_full():
    fig, ax, dot, title = _moving_figure()
    blitter = Blitter(fig)
    blitter.draw()
    blitter.draw()
    assert (blitter.full_draws, blitter.blits) == (2, 0)


def test_figure_image_renders_into_an_alt_image():
    fi = FigureImage(figsize=(3.0, 2.0), dpi=60, alt="a test picture")
    # (No tooltip: it breaks Image views in ipywidgets 8.1; ipywidgets 7 has no such trait.)
    assert fi.image.alt == "a test picture" and getattr(fi.image, "tooltip", None) is None
    assert fi.image.layout.width == "180px" and fi.image.layout.max_width == "100%"
    png = fi.render()
    assert bytes(fi.image.value) == png and decode(png).size == (180, 120)
    fi.alt = "changed"
    assert fi.image.alt == "changed"


# ---------------------------------------------------------------------- the live-widget base
def _docstring_example():
    """The usage example of the module docstring, executed as written."""
    code = re.search(r"A live widget in full.*?::\n\n(.*?)\n\S", canvas.__doc__, re.S).group(1)
    namespace: dict = {}
    exec(compile(re.sub(r"(?m)^    ", "", code), "canvas-docstring", "exec"), namespace)
    return namespace["SigmoidPoint"]


def test_docstring_example_works_and_blits():
    SigmoidPoint = _docstring_example()
    w = SigmoidPoint(z=0.5)
    assert isinstance(w, widgets.VBox)
    assert w.result == {"z": 0.5, "y": pytest.approx(float(F.sigmoid(0.5)))}
    assert w.canvas.full_draws == 1 and w.canvas.blits == 0
    for z in (1.0, -2.0, 3.5):
        w.z_slider.value = z
        assert w.result["y"] == pytest.approx(float(F.sigmoid(z)))
        assert f"{F.sigmoid(z):.4f}" in w.readout.value
        assert w.dot.get_data()[0][0] == z
    assert w.canvas.full_draws == 1 and w.canvas.blits == 3
    assert len(w.redraw_cpu_ms) == 4 and w.last_redraw_cpu_s >= 0
    assert w.timings()["updates"] == 4
    assert w.children == (w.controls_panel, w.readout, w.canvas.image)


class Divergent(LiveWidget):
    """A widget whose model diverges when the learning rate is too large."""

    def __init__(self):
        self.lr = float_slider("lr", 0.1, 0.0, 5.0)
        super().__init__(
            [self.lr], figsize=(3, 2), alt="A loss curve.", caption="The loss over 10 steps."
        )

    def build(self, fig):
        ax = fig.subplots()
        ax.set(xlim=(0, 10), ylim=(0, 2))
        (self.line,) = ax.plot([], [])
        return [self.line]

    def compute(self):
        lr = self.lr.value
        if lr > 2:
            raise NonFiniteError(f"the loss became infinite at step 3 (lr = {lr})")
        if lr == 0:
            raise TypeError("a bug, not a model failure")
        return {"lr": lr, "loss": np.exp(-lr * np.arange(10))}

    def draw(self, r):
        self.line.set_data(np.arange(10), r["loss"])
        self.readout.value = f"final loss {r['loss'][-1]:.3f}"

    def describe(self, r):
        return f"lr = {r['lr']:.2f}."


def test_alt_text_follows_the_state():
    w = Divergent()
    assert w.canvas.image.alt == "A loss curve. lr = 0.10."
    w.lr.value = 0.5
    assert w.canvas.image.alt == "A loss curve. lr = 0.50."
    assert w.caption in w.children and "The loss over 10 steps." in w.caption.value


def test_model_errors_show_in_the_readout_and_the_widget_recovers():
    w = Divergent()
    w.lr.value = 1.0
    good_png, good_result = bytes(w.canvas.image.value), w.result
    w.lr.value = 3.0
    assert w.error.startswith("NonFiniteError: the loss became infinite")
    assert "Cannot show this setting" in w.readout.value and "lr = 3.0" in w.readout.value
    assert "failed" in w.canvas.image.alt and "last setting that worked" in w.canvas.image.alt
    assert bytes(w.canvas.image.value) == good_png and w.result is good_result
    w.lr.value = 0.2
    assert w.error is None and "final loss" in w.readout.value
    assert w.result["lr"] == 0.2


def test_a_widget_that_fails_from_the_start_still_shows_its_axes():
    class Broken(Divergent):
        def compute(self):
            raise ValueError("no data yet")

    w = Broken()
    assert w.error == "ValueError: no data yet" and w.result == {}
    assert bytes(w.canvas.image.value).startswith(b"\x89PNG")


def test_bugs_are_not_swallowed():
    w = Divergent()
    with pytest.raises(TypeError, match="a bug"):
        w.lr.value = 0.0


def test_live_widget_needs_alt_text_and_hooks():
    class NoAlt(LiveWidget):
        def __init__(self):
            super().__init__([], figsize=(2, 2), alt="  ")

    with pytest.raises(ValueError, match="alt text"):
        NoAlt()

    class NoHooks(LiveWidget):
        def __init__(self):
            super().__init__([], figsize=(2, 2), alt="x")

    with pytest.raises(NotImplementedError, match="build"):
        NoHooks()


def test_float_slider_checks_its_value():
    s = float_slider("w", 0.5, -1, 1)
    assert (s.min, s.max, s.value, s.continuous_update) == (-1, 1, 0.5, True)
    with pytest.raises(ValueError, match="outside"):
        float_slider("w", 2.0, -1, 1)


# ---------------------------------------------------------------------- shared plots
def test_class_scatter_any_number_of_classes():
    fig = figure()
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = rng.integers(0, 5, size=40)
    sc = ClassScatter(ax, X, y, n_classes=5, labels=list("abcde"))
    assert len(sc.artists) == 5
    for k, artist in enumerate(sc.artists):
        np.testing.assert_array_equal(artist.get_offsets(), X[y == k])
        assert to_rgb(artist.get_facecolor()[0]) == to_rgb(CLASS_COLORS[k])
        assert artist.get_label() == "abcde"[k]
    assert len({id(a.get_paths()[0]) for a in sc.artists}) == 5  # five different markers
    sc.set(X[:3], [4, 4, 4])
    assert [len(a.get_offsets()) for a in sc.artists] == [0, 0, 0, 0, 3]
    with pytest.raises(ValueError, match="labels must be integers in 0..4"):
        sc.set(X[:2], [0, 5])
    with pytest.raises(ValueError, match="2 points but 3 labels"):
        sc.set(X[:2], [0, 1, 2])
    with pytest.raises(ValueError, match="n_classes"):
        ClassScatter(ax, n_classes=9)


def test_decision_regions_colour_each_class_with_its_shade():
    fig = figure()
    ax = fig.subplots()
    ids = np.array([[0, 1, 2], [2, 1, 0]])
    reg = DecisionRegions(ax, (0, 3, 0, 2), ids, n_classes=3)
    rgba = reg.image.to_rgba(reg.image.get_array())
    for k in range(3):
        for r, c in zip(*np.nonzero(ids == k)):
            assert rgba[r, c, :3] == pytest.approx(lighten(CLASS_COLORS[k]), abs=1e-6)
    assert reg.image.origin == "lower" and reg.image.get_extent() == [0, 3, 0, 2]
    reg.set(np.zeros((4, 4)), extent=(-1, 1, -1, 1))
    assert reg.image.get_extent() == [-1, 1, -1, 1]
    with pytest.raises(ValueError, match="class ids must lie in 0..2"):
        reg.set(np.full((2, 2), 3))


def test_decision_regions_from_probabilities():
    fig = figure()
    ax = fig.subplots()
    binary = DecisionRegions(ax, (0, 1, 0, 1), np.array([[0.0, 0.5, 1.0]]), kind="proba")
    rgba = binary.image.to_rgba(binary.image.get_array())[0, :, :3]
    assert rgba[0] == pytest.approx(lighten(CLASS_COLORS[0]), abs=0.01)
    assert rgba[1] == pytest.approx((1, 1, 1), abs=0.01)  # undecided: white
    assert rgba[2] == pytest.approx(lighten(CLASS_COLORS[1]), abs=0.01)
    probs = np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]])
    multi = DecisionRegions(ax, (0, 1, 0, 1), probs, kind="proba", n_classes=3)
    shown = multi.image.get_array()
    shades = [np.array(lighten(c)) for c in CLASS_COLORS[:3]]
    np.testing.assert_allclose(shown[0, 0], shades[0])
    np.testing.assert_allclose(shown[0, 1], shades[2])
    np.testing.assert_allclose(shown[0, 2], (shades[0] + shades[1]) / 2)
    with pytest.raises(ValueError, match="C = n_classes = 3"):
        multi.set(np.ones((2, 2, 2)) / 2)
    with pytest.raises(ValueError, match="kind must be"):
        DecisionRegions(ax, (0, 1, 0, 1), kind="probability")


def test_loss_curves_gaps_rescaling_and_log_scale():
    fig = figure()
    ax = fig.subplots()
    curves = LossCurves(ax, log=False, xlim=(0, 10))  # e.g. the planned number of epochs
    curves.set("train", [1, 2, 3], [0.9, 0.5, 0.3])
    curves.set("valid", [1, 2, 3], [1.0, None, 0.4])
    assert np.isnan(curves.lines["valid"].get_ydata()[1])
    assert curves.rescale() is True
    lo, hi = ax.get_ylim()
    assert lo == 0 and 1.0 <= hi <= 1.5 and ax.get_xlim() == (0, 10)
    assert curves.rescale() is False  # same data: limits kept, no background redraw
    curves.set("train", [1, 2, 3, 4], [0.9, 0.5, 0.3, 0.25])
    assert curves.rescale() is False  # still fits comfortably
    curves.set("train", [1, 2, 3, 4, 5], [0.9, 0.5, 0.3, 0.25, 3.0])
    assert curves.rescale() is True and ax.get_ylim()[1] >= 3.0
    free = LossCurves(figure().subplots(), names=("train",))
    free.set("train", [0, 1, 2, 3], [1, 1, 1, 1])
    free.rescale()
    assert free.ax.get_xlim() == (0, 3)  # a static figure: no empty space on the right
    free.set("train", [0, 1, 2, 3, 4], [1, 1, 1, 1, 1])
    assert free.rescale() is True and free.ax.get_xlim()[1] >= 4
    with pytest.raises(KeyError, match="no line 'test'"):
        curves.set("test", [1], [1])
    log = LossCurves(figure().subplots(), names=("train",), log=True)
    log.set("train", [1, 2, 3], [2.0, 0.05, 0.003])
    log.rescale()
    assert log.ax.get_yscale() == "log"
    lo, hi = log.ax.get_ylim()
    assert lo == pytest.approx(1e-3) and hi == pytest.approx(10)


def test_probability_bars_show_heights_values_and_highlight():
    fig = figure()
    ax = fig.subplots()
    bars = ProbabilityBars(ax, ["cat", "dog", "fish"])
    p = F.softmax(np.array([1.0, 2.0, 0.5]))
    bars.set(p, highlight=1)
    np.testing.assert_allclose([b.get_height() for b in bars.bars.patches], p)
    assert [t.get_text() for t in bars.texts] == [f"{v:.2f}" for v in p]
    colours = [to_rgb(b.get_facecolor()) for b in bars.bars.patches]
    assert colours[1] != colours[0] == colours[2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "fish"]
    with pytest.raises(ValueError, match="3 bars but 2"):
        bars.set([0.5, 0.5])
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        bars.set([1.5, -0.5, 0.0])
