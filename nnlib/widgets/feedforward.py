"""Widgets and figures for chapter 3, "Feedforward networks".

Live widgets (each after the idea it illustrates in the chapter):

- :func:`softmax_explorer`: logit sliders and a temperature; probability bars, and one class's
  probability as a function of its own logit (a shifted sigmoid); a two-class mode [z, 0]
  where that curve *is* the sigmoid;
- :func:`feedforward_explorer`: a d-H-3 network on 2-D spiral data: every hidden unit's line (each
  unit a logistic-regression-like classifier), the hidden space, the output regions; controls
  for the width, the activation, the training step and the unit to look at;
- :func:`sentiment_explorer`: type or pick a sentence; its six features, the hidden activations
  of the two-layer network and both models' P(positive).

Static figures: :func:`plot_softmax_example`, :func:`plot_temperature`,
:func:`plot_sentiment_accuracies`, :func:`plot_hidden_weights`, :func:`plot_deep_vs_wide`.

Every number comes from :mod:`nnlib.chapters.feedforward` (trained once, then looked up); this
module only draws, with the shared toolkit (:mod:`nnlib.widgets.canvas`). Each widget keeps what
it last displayed in ``.result`` so tests can check it without a browser or a kernel.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import functional as F
from ..chapters import feedforward as FF
from .canvas import (
    ACCENT,
    CLASS_COLORS,
    LINE_COLORS,
    ClassScatter,
    DecisionRegions,
    LiveWidget,
    ProbabilityBars,
    figure,
    float_slider,
    style_axes,
    styled,
)

__all__ = [
    "softmax_explorer",
    "SoftmaxExplorer",
    "feedforward_explorer",
    "FeedforwardExplorer",
    "sentiment_explorer",
    "SentimentExplorer",
    "plot_softmax_example",
    "plot_temperature",
    "plot_sentiment_accuracies",
    "plot_hidden_weights",
    "plot_deep_vs_wide",
]

Z_RANGE = (-6.0, 6.0)  # the logit axis of the softmax explorer's curve
LABEL = {"description_width": "initial"}  # show a control's whole description, never "hidden un..."


def _auto() -> widgets.Layout:
    """A layout as wide as the control's contents (one per control: layouts are widgets too)."""
    return widgets.Layout(width="auto")


# ====================================================================== softmax
class SoftmaxExplorer(LiveWidget):
    """The softmax explorer (see :func:`softmax_explorer`)."""

    K = 6
    MODES = {"six logits (the slides' example)": 6, "two logits [z, 0]: the sigmoid": 2}

    def __init__(self, logits: Sequence[float] = FF.SLIDE_LOGITS, T: float = 1.0, watch: int = 4):
        logits = [float(v) for v in logits]
        if len(logits) != self.K:
            raise ValueError(f"the explorer has {self.K} logit sliders, got {len(logits)} logits")
        self.sliders = [
            float_slider(f"z{i + 1}", v, -5.0, 5.0, step=0.1, readout_format=".1f", width="250px")
            for i, v in enumerate(logits)
        ]
        self.T = float_slider("T", T, 0.1, 5.0, step=0.05, width="250px")
        self.mode = widgets.Dropdown(
            options=list(self.MODES), description="classes", style=LABEL, layout=_auto()
        )
        self.watch = widgets.Dropdown(
            options=[(f"class {i + 1}", i) for i in range(self.K)],
            value=watch,
            description="curve of",
            style=LABEL,
        )
        self.grid = np.linspace(*Z_RANGE, 241)
        super().__init__(
            [*self.sliders, self.T, self.mode, self.watch],
            figsize=(7.6, 3.0),
            alt="Left: a bar chart of the softmax probabilities of the logits set by the sliders, "
            "the largest bar (the arg max) in red. Right: the probability of one class as its own "
            "logit moves from -6 to 6 with the others fixed, an S-shaped curve: the sigmoid "
            "(dashed) shifted sideways; a dot marks the current logit.",
        )

    def build(self, fig: Figure) -> list:
        self.ax_bars, self.ax_curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.bars = ProbabilityBars(self.ax_bars, [str(i + 1) for i in range(self.K)])
        self.ax_bars.set_xlabel("class i")
        self.bars_title = self.ax_bars.set_title("", fontsize=9)
        ax = self.ax_curve
        style_axes(ax)
        ax.plot(self.grid, F.sigmoid(self.grid), color="0.55", ls="--", lw=1.2, label="σ(z)")
        (self.curve,) = ax.plot([], [], color=LINE_COLORS[0], lw=2, label="softmax(z/T)$_i$")
        (self.shift,) = ax.plot([], [], color="0.3", lw=1, ls=":")
        (self.dot,) = ax.plot([], [], "o", color=ACCENT, ms=8, zorder=5)
        ax.set(xlim=Z_RANGE, ylim=(-0.03, 1.03), xlabel="the class's own logit $z_i$")
        ax.legend(loc="upper left", fontsize=8)
        self.curve_title = ax.set_title("", fontsize=9)
        return [*self.bars.artists, self.bars_title, self.curve, self.shift, self.dot,
                self.curve_title]  # fmt: skip

    def compute(self) -> dict:
        k = self.MODES[self.mode.value]
        z = np.array([s.value for s in self.sliders[:k]]) if k == self.K else None
        if z is None:
            z = np.array([self.sliders[0].value, 0.0])
        T = float(self.T.value)
        i = self.watch.value if k == self.K else 0  # two logits [z, 0]: class 1 is σ(z / T)
        p = FF.softmax_temperature(z, T)
        return {
            "k": k,
            "z": z,
            "T": T,
            "p": p,
            "argmax": int(np.argmax(p)),
            "i": i,
            "curve": FF.softmax_logit_curve(z, i, self.grid, T),
            "shift": FF.softmax_shift(z, i, T),
            "sigmoid": float(F.sigmoid(z[0] / T)) if k == 2 else None,
        }

    def draw(self, r: dict) -> None:
        k, z, p, i = r["k"], r["z"], r["p"], r["i"]
        two = k == 2
        for s in self.sliders[1:]:
            s.disabled = two
        self.watch.disabled = two
        if self.ax_bars.get_xlim()[1] != k - 0.4:  # the number of classes changed: new limits
            self.ax_bars.set_xlim(-0.6, k - 0.4)
            self.canvas.invalidate()
        self.bars.set(np.pad(p, (0, self.K - k)), highlight=r["argmax"])
        for text in self.bars.texts[k:]:
            text.set_text("")
        self.bars_title.set_text(f"softmax(z / T), T = {r['T']:.2f}: sum = {p.sum():.3f}")
        self.curve.set_data(self.grid, r["curve"])
        m = r["shift"]
        self.shift.set_data([m, m], [0, 0.5])
        self.dot.set_data([z[i]], [p[i]])
        self.curve_title.set_text(
            f"class {i + 1}: σ((z$_{{{i + 1}}}$ − {m:.2f}) / T)" if not two else "class 1: σ(z / T)"
        )
        logits = ", ".join(f"{v:.1f}" for v in z)
        probs = ", ".join(f"{v:.4f}" for v in p)
        extra = (
            f" &nbsp; σ(z/T) = {r['sigmoid']:.4f} = p<sub>1</sub>"
            if two
            else f" &nbsp; p<sub>{i + 1}</sub> = σ((z<sub>{i + 1}</sub> − {m:.2f}) / T)"
        )
        self.readout.value = (
            f"z = [{logits}] &nbsp;→&nbsp; p = [{probs}] &nbsp; arg max = class "
            f"{r['argmax'] + 1}{extra}"
        )

    def describe(self, r: dict) -> str:
        probs = ", ".join(f"{v:.2f}" for v in r["p"])
        return (
            f"Now: logits {', '.join(f'{v:.1f}' for v in r['z'])} at temperature {r['T']:.2f} "
            f"give probabilities {probs}; class {r['argmax'] + 1} is the arg max."
        )


def softmax_explorer(
    logits: Sequence[float] = FF.SLIDE_LOGITS, T: float = 1.0, watch: int = 4
) -> SoftmaxExplorer:
    """Six logit sliders and a temperature T: softmax(z / T) as bars (arg max in red), and class
    ``watch``'s probability as its own logit moves, a sigmoid shifted by the other logits. The
    "two logits" mode uses z = [z1, 0], where that curve is σ(z1 / T) exactly. Starts at the
    slides' example z = [0.6, 1.1, -1.5, 1.2, 3.2, -1.1], watching class 5."""
    return SoftmaxExplorer(logits, T, watch)


# ====================================================================== feedforward explorer
LIM = (-1.2, 1.2)
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(n: int) -> str:
    """``n`` in subscript digits (h₁₂): plain text, so titles need no mathtext."""
    return str(n).translate(_SUBSCRIPTS)


def _signed(v: float) -> str:
    """'+ 0.25' or '− 0.25': a term of a sum, with a true minus sign."""
    return f"{'−' if v < 0 else '+'} {abs(v):.2f}"


class FeedforwardExplorer(LiveWidget):
    """The feedforward explorer (see :func:`feedforward_explorer`)."""

    GRID = 61

    def __init__(self, width: int = 8, activation: str = "tanh", unit: int = 0):
        # Training happens once (cached in nnlib.chapters.feedforward); controls only look up.
        self.runs = FF.explorer_runs()
        widths = sorted({w for w, _ in self.runs})
        acts = [a for a in FF.EXPLORER_ACTIVATIONS if (widths[0], a) in self.runs]
        if (width, activation) not in self.runs:
            raise ValueError(f"no trained network of width {width} with {activation!r}")
        self.width = widgets.Dropdown(
            options=widths, value=width, description="hidden units", style=LABEL, layout=_auto()
        )
        self.activation = widgets.Dropdown(
            options=acts, value=activation, description="activation g", style=LABEL, layout=_auto()
        )
        steps = [int(s) for s in self.runs[(width, activation)].steps]
        self.step = widgets.SelectionSlider(
            options=steps,
            value=steps[-1],
            description="step",
            continuous_update=True,
            layout=widgets.Layout(width="330px"),
        )
        self.unit = widgets.Dropdown(
            options=self._unit_options(width),
            value=unit,
            description="unit j",
            style=LABEL,
            layout=_auto(),
        )
        any_run = next(iter(self.runs.values()))
        self.X, self.y = any_run.X, any_run.y
        self.k = int(self.y.max()) + 1
        super().__init__(
            [self.width, self.activation, self.step, self.unit],
            figsize=(10.2, 3.6),
            alt="Three panels of a network with one hidden layer trained on a 2-D spiral with "
            "three classes. Left: the input plane with one straight line per hidden unit (where "
            "its weighted sum is zero) and the selected unit's activation shaded. Middle: the "
            "training points in the hidden space, plotted by two hidden units' activations. "
            "Right: the input plane shaded by the class the network predicts.",
        )

    @staticmethod
    def _unit_options(width: int) -> list[tuple[str, int]]:
        return [(f"h{j + 1}", j) for j in range(width)]

    def build(self, fig: Figure) -> list:
        self.ax_in, self.ax_h, self.ax_out = fig.subplots(1, 3)
        ext = (*LIM, *LIM)
        self.unit_image = self.ax_in.imshow(
            np.zeros((2, 2)), origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1,
            alpha=0.55, interpolation="bilinear", aspect="auto", zorder=0,
        )  # fmt: skip
        self.in_points = ClassScatter(self.ax_in, self.X, self.y, n_classes=self.k, size=9,
                                      linewidths=0.2)  # fmt: skip
        max_w = max(w for w, _ in self.runs)
        self.lines = [
            self.ax_in.plot([], [], color="0.25", lw=0.9, zorder=4)[0] for _ in range(max_w)
        ]
        (self.selected_line,) = self.ax_in.plot([], [], color=ACCENT, lw=2.4, zorder=5)
        self.ax_in.set(xlim=LIM, ylim=LIM, aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
        self.in_title = self.ax_in.set_title("", fontsize=9)

        self.h_regions = DecisionRegions(self.ax_h, (0, 1, 0, 1), n_classes=self.k)
        self.h_points = ClassScatter(self.ax_h, n_classes=self.k, size=9, linewidths=0.2)
        self.h_title = self.ax_h.set_title("", fontsize=9)

        self.out_regions = DecisionRegions(self.ax_out, ext, n_classes=self.k)
        arms = [f"arm {c + 1}" for c in range(self.k)]
        self.out_points = ClassScatter(self.ax_out, self.X, self.y, n_classes=self.k, size=9,
                                       linewidths=0.2, labels=arms)  # fmt: skip
        self.ax_out.set(xlim=LIM, ylim=LIM, aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
        self.out_title = self.ax_out.set_title("", fontsize=9)
        self.ax_out.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=8)
        self._h_axes = None
        # The points move with nothing, but they must stay above the shading that does: moving
        # artists are drawn over the background, so they move too.
        return [
            self.unit_image,
            *self.in_points.artists,
            *self.lines,
            self.selected_line,
            self.in_title,
            *self.h_regions.artists,
            *self.h_points.artists,
            self.h_title,
            *self.out_regions.artists,
            *self.out_points.artists,
            self.out_title,
        ]

    def _sync_controls(self) -> None:
        """Keep the step and unit controls valid for the chosen network."""
        run = self.runs[(self.width.value, self.activation.value)]
        steps = [int(s) for s in run.steps]
        if list(self.step.options) != steps:
            self.step.options = steps
        options = self._unit_options(run.width)
        if [v for _, v in self.unit.options] != [v for _, v in options]:
            keep = min(self.unit.value or 0, run.width - 1)
            self.unit.options = options
            self.unit.value = keep

    def _on_change(self, change=None) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self._sync_controls()
        finally:
            self._syncing = False
        self.update()

    _syncing = False

    def compute(self) -> dict:
        run = self.runs[(self.width.value, self.activation.value)]
        t = int(np.searchsorted(run.steps, self.step.value))
        if t >= len(run.steps) or run.steps[t] != self.step.value:
            raise ValueError(f"step {self.step.value} was not saved for this network")
        j = min(int(self.unit.value or 0), run.width - 1)
        frame = FF.explorer_frame(run, t, LIM, self.GRID)
        W, b = run.unit_lines(t)
        pair = (j, (j + 1) % run.width)
        return {
            "width": run.width,
            "activation": run.activation,
            "step": int(run.steps[t]),
            "t": t,
            "unit": j,
            "w": W[j],
            "b": float(b[j]),
            "pair": pair,
            "frame": frame,
        }

    def draw(self, r: dict) -> None:
        fr: FF.ExplorerFrame = r["frame"]
        j, act = r["unit"], r["activation"]
        lo, hi = fr.h_lim
        span = (0.0, 1.0) if act == "sigmoid" else (-1.0, 1.0) if act == "tanh" else (0.0, hi)
        shade = (fr.unit_grid[:, :, j] - span[0]) / max(span[1] - span[0], 1e-12)
        self.unit_image.set_data(np.clip(shade, 0, 1))
        for k, line in enumerate(self.lines):
            seg = fr.segments[k] if k < r["width"] else None
            line.set_data(*((seg[:, 0], seg[:, 1]) if seg is not None else ([], [])))
        seg = fr.segments[j]
        self.selected_line.set_data(*((seg[:, 0], seg[:, 1]) if seg is not None else ([], [])))
        w, b = r["w"], r["b"]
        self.in_title.set_text(  # plain text: mathtext would be parsed again on every change
            f"h{_sub(j + 1)} = {act}({w[0]:.2f} x₁ {_signed(w[1])} x₂ {_signed(b)})"
        )
        a, c = r["pair"]
        axes = (fr.h_lim, a, c)
        if self._h_axes != axes:
            self._h_axes = axes
            self.ax_h.set(xlim=fr.h_lim, ylim=fr.h_lim, xlabel=f"$h_{{{a + 1}}}$",
                          ylabel=f"$h_{{{c + 1}}}$")  # fmt: skip
            self.canvas.invalidate()
        if fr.h_regions is not None:
            self.h_regions.set(fr.h_regions, extent=(lo, hi, lo, hi))
            self.h_regions.image.set_visible(True)
        else:
            self.h_regions.image.set_visible(False)
        self.h_points.set(fr.H[:, [a, c]], self.y)
        where = "the output layer's regions" if fr.h_regions is not None else "2 of the units"
        self.h_title.set_text(f"hidden space ({where})")
        self.out_regions.set(fr.regions)
        self.out_title.set_text(f"output: step {r['step']}, accuracy {fr.acc:.0%}")
        self.readout.value = (
            f"<b>{r['width']} hidden units, g = {act}, step {r['step']}:</b> training loss "
            f"{fr.loss:.3f}, accuracy {fr.acc:.1%}. &nbsp; Unit h<sub>{j + 1}</sub> switches on "
            f"the red line {w[0]:.2f} x<sub>1</sub> {_signed(w[1])} x<sub>2</sub> {_signed(b)} = 0."
        )

    def describe(self, r: dict) -> str:
        fr = r["frame"]
        return (
            f"Now: {r['width']} hidden units with {r['activation']} after {r['step']} training "
            f"steps, accuracy {fr.acc:.0%}; unit {r['unit'] + 1} is highlighted."
        )


def feedforward_explorer(
    width: int = 8, activation: str = "tanh", unit: int = 0
) -> FeedforwardExplorer:
    """A 2-H-3 network on the three-arm spiral: pick the width H, the activation g, a training
    step (snapshots saved every 20 of 1,000 Adam steps) and a hidden unit j.

    Left: every hidden unit's line w_j . x + b_j = 0 (unit j in red, its activation shaded);
    middle: the points in the hidden space (units j and j + 1; with two hidden units, the output
    layer's straight class boundaries too); right: the class the network predicts everywhere.
    All networks are trained once, when the first explorer is made (about 3 s of CPU).
    """
    return FeedforwardExplorer(width, activation, unit)


# ====================================================================== sentiment explorer
EXAMPLE_SENTENCES = (
    "A gorgeous, witty, seductive movie.",
    "The plot is nothing but boilerplate clichés from start to finish.",
    "No one will be bored, and you will love the ending!",
    "It's not bad, but it's not good either.",
    "I didn't laugh once.",
    "Funny, touching and smart: you're in for a treat.",
)


class SentimentExplorer(LiveWidget):
    """The sentiment-feature explorer (see :func:`sentiment_explorer`)."""

    def __init__(self, text: str = EXAMPLE_SENTENCES[0]):
        self.models = FF.chapter_models()
        self.pick = widgets.Dropdown(
            options=[("type your own below", "")] + [(s, s) for s in EXAMPLE_SENTENCES],
            value=text if text in EXAMPLE_SENTENCES else "",
            description="example",
            layout=widgets.Layout(width="36em"),
        )
        self.text = widgets.Text(
            value=text,
            description="sentence",
            continuous_update=True,
            layout=widgets.Layout(width="36em"),
        )
        self.tokens = widgets.HTML()
        self.pick.observe(self._picked, names="value")
        self.readout = widgets.HTML()
        panel = widgets.VBox([self.pick, self.text, self.tokens, self.readout])
        H = self.models.mlp.hidden_size
        super().__init__(
            [self.text],
            panel=panel,
            readout_in_panel=True,
            figsize=(9.6, 2.9),
            alt=f"Three bar charts for the sentence typed above. Left: its six features x1 to x6. "
            f"Middle: the activations of the {H} sigmoid hidden units of the two-layer network, "
            f"each between 0 and 1. Right: P(positive) according to logistic regression and to "
            f"the two-layer network, with a dashed line at 0.5.",
        )

    def _picked(self, change) -> None:
        if change["new"]:
            self.text.value = change["new"]  # fires the update

    def build(self, fig: Figure) -> list:
        self.ax_x, self.ax_h, self.ax_p = fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.1, 1.7, 0.8]}
        )
        names = [f"x{i + 1}" for i in range(6)]
        self.x_bars = self.ax_x.bar(np.arange(6), np.zeros(6), color=LINE_COLORS[0], zorder=2)
        self.x_texts = [
            self.ax_x.text(i, 0, "", ha="center", va="bottom", fontsize=8, zorder=3)
            for i in range(6)
        ]
        self.ax_x.set_xticks(np.arange(6), names)
        self.ax_x.set(ylim=(0, 10), title="features x")
        style_axes(self.ax_x)
        H = self.models.mlp.hidden_size
        self.h_bars = self.ax_h.bar(np.arange(H), np.zeros(H), color=LINE_COLORS[2], zorder=2)
        self.ax_h.set_xticks(np.arange(H), [str(j + 1) for j in range(H)], fontsize=7)
        self.ax_h.set(ylim=(0, 1.02), title=f"hidden layer h = σ(W x + b), {H} units")
        self.ax_h.set_xlabel("hidden unit j")
        style_axes(self.ax_h)
        self.p_bars = ProbabilityBars(self.ax_p, ["logistic\nregression", "two-layer\nnetwork"],
                                      ylabel="P(positive)")  # fmt: skip
        self.ax_p.axhline(0.5, color="0.4", ls="--", lw=1, zorder=1)
        self.ax_p.tick_params(axis="x", labelsize=8, rotation=0)
        self.ax_p.set_title("prediction")
        return [*self.x_bars.patches, *self.x_texts, *self.h_bars.patches, *self.p_bars.artists]

    def compute(self) -> dict:
        r = FF.read_sentence(self.models, self.text.value)
        return {"readout": r}

    def draw(self, result: dict) -> None:
        r: FF.SentenceReadout = result["readout"]
        top = self.ax_x.get_ylim()[1]
        for bar, text, v in zip(self.x_bars.patches, self.x_texts, r.x):
            bar.set_height(min(v, top))
            text.set_position((text.get_position()[0], min(v, top) + 0.15))
            text.set_text(f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.0f}")
        for bar, v in zip(self.h_bars.patches, r.h):
            bar.set_height(v)
        self.p_bars.set([r.p_logreg, r.p_mlp])
        colour = {"+": "#0072b2", "-": "#d55e00", "p": "#009e73"}
        words = " ".join(
            f"<span style='color:{colour[m]};font-weight:bold'>{html.escape(t)}</span>"
            if m
            else html.escape(t)
            for t, m in zip(r.tokens, r.marks)
        )
        self.tokens.value = (
            f"<small>tokens: {words or '<i>(none)</i>'} &nbsp; (<span style='color:#0072b2'>"
            f"positive</span>, <span style='color:#d55e00'>negative</span>, "
            f"<span style='color:#009e73'>1st/2nd-person pronoun</span>)</small>"
        )
        x = r.x
        verdict = lambda p: "positive" if p > 0.5 else "negative"  # noqa: E731
        self.readout.value = (
            f"x = [{x[0]:.0f}, {x[1]:.0f}, {x[2]:.0f}, {x[3]:.0f}, {x[4]:.0f}, {x[5]:.2f}] "
            f"&nbsp; logistic regression: P(positive) = {r.p_logreg:.3f} ({verdict(r.p_logreg)})"
            f" &nbsp; two-layer network: {r.p_mlp:.3f} ({verdict(r.p_mlp)})"
        )

    def describe(self, result: dict) -> str:
        r = result["readout"]
        return (
            f'Now: "{r.text}" has features {", ".join(f"{v:.2f}" for v in r.x)}; P(positive) '
            f"is {r.p_logreg:.2f} (logistic regression) and {r.p_mlp:.2f} (two-layer network)."
        )


def sentiment_explorer(text: str = EXAMPLE_SENTENCES[0]) -> SentimentExplorer:
    """Type (or pick) a sentence: its tokens with the lexicon words and pronouns marked, its six
    features, the 16 hidden activations of the chapter's two-layer network and P(positive)
    from logistic regression and from that network. The models are trained once (cached)."""
    return SentimentExplorer(text)


# ====================================================================== static figures
@styled
def plot_softmax_example(z: Sequence[float] = FF.SLIDE_LOGITS) -> Figure:
    """The logits of the slides' example next to their softmax probabilities."""
    z = np.asarray(z, dtype=float)
    p = F.softmax(z)
    fig = figure((7.2, 2.7))
    ax_z, ax_p = fig.subplots(1, 2)
    idx = np.arange(z.size)
    ax_z.bar(idx, z, color=LINE_COLORS[1], zorder=2)
    ax_z.axhline(0, color="0.4", lw=0.8)
    for i, v in enumerate(z):
        ax_z.text(i, v + (0.1 if v >= 0 else -0.1), f"{v:g}", ha="center",
                  va="bottom" if v >= 0 else "top", fontsize=8)  # fmt: skip
    ax_z.set(title="logits z", xticks=idx, xticklabels=[str(i + 1) for i in idx],
             ylim=(min(z.min(), 0) - 0.6, z.max() + 0.6), xlabel="class i")  # fmt: skip
    style_axes(ax_z)
    bars = ProbabilityBars(ax_p, [str(i + 1) for i in idx])
    bars.set(p, highlight=int(np.argmax(p)))
    for text, v in zip(bars.texts, p):
        text.set_text(f"{v:.4f}")
    ax_p.set(title="softmax(z): all positive, sum 1", xlabel="class i")
    return fig


@styled
def plot_temperature(
    z: Sequence[float] = FF.SLIDE_LOGITS, temperatures: Sequence[float] = (0.5, 1, 2, 5)
) -> Figure:
    """softmax(z / T) of the same logits at several temperatures, one panel each."""
    z = np.asarray(z, dtype=float)
    fig = figure((2.1 * len(temperatures), 2.5))
    axes = fig.subplots(1, len(temperatures), sharey=True)
    for k, (ax, T) in enumerate(zip(np.atleast_1d(axes), temperatures)):
        p = FF.softmax_temperature(z, T)
        bars = ProbabilityBars(ax, [str(i + 1) for i in range(z.size)], show_values=False)
        bars.set(p, highlight=int(np.argmax(p)))
        ax.set_title(f"T = {T:g}: max {p.max():.2f}", fontsize=9)
        ax.set_xlabel("class i")
        if k:
            ax.set_ylabel("")  # the panels share the first one's axis
    return fig


@styled
def plot_sentiment_accuracies(rows: Sequence[tuple[str, np.ndarray]], split: str) -> Figure:
    """Accuracy of each model (one row of seeds each: a dot per seed, a bar at the mean)."""
    fig = figure((6.4, 2.2 + 0.1 * len(rows)))
    ax = fig.add_subplot()
    for k, (_, accs) in enumerate(rows):
        accs = np.atleast_1d(np.asarray(accs, dtype=float))
        ax.barh(k, accs.mean(), color=LINE_COLORS[k % len(LINE_COLORS)], alpha=0.35, zorder=1)
        ax.scatter(accs, np.full(accs.size, k), color="black", s=14, zorder=3)
        ax.text(max(accs.max(), accs.mean()) + 0.004, k, f"{accs.mean():.1%}", va="center",
                fontsize=8)  # fmt: skip
    ax.set_yticks(np.arange(len(rows)), [name for name, _ in rows])
    ax.invert_yaxis()
    lo = min(float(np.min(a)) for _, a in rows)
    ax.set(xlim=(max(0.0, lo - 0.05), 0.70), xlabel=f"accuracy on the {split} sentences")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    style_axes(ax)
    return fig


@styled
def plot_hidden_weights(model: FF.SentimentClassifier) -> Figure:
    """The hidden layer of a sentiment network as a heat map: row j holds unit j's weights on
    the six (standardised) features, and the right column its weight in the output."""
    layers = model.layers()
    W, U = layers[0].W, layers[1].W
    H = W.shape[0]
    fig = figure((6.6, 0.9 + 0.22 * H))
    ax, ax_u = fig.subplots(1, 2, gridspec_kw={"width_ratios": [6, 1.3]})
    u = U[0] if U.shape[0] == 1 else U[1] - U[0]  # two softmax outputs: what counts is U1 - U0
    lim = float(max(np.abs(W).max(), np.abs(u).max()))  # one colour scale for both panels
    im = ax.imshow(W, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(np.arange(6), [f"x{i + 1}" for i in range(6)])
    ax.set_yticks(np.arange(H), [f"h{j + 1}" for j in range(H)], fontsize=7)
    ax.set_title(
        "W: each row is one hidden unit's\nlogistic regression on the features", fontsize=9
    )
    ax_u.imshow(u[:, None], cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax_u.set_xticks([0], ["U"])
    ax_u.set_yticks([])
    ax_u.set_title("output\nweight", fontsize=9)
    fig.colorbar(im, ax=ax_u, fraction=0.6, pad=0.15, label="weight (blue +, red −)")
    return fig


@styled
def plot_deep_vs_wide(result: FF.DeepWideResult, seed_index: int = 0, n: int = 121) -> Figure:
    """Top: the class regions each architecture learned (one seed) on the rings task.
    Bottom: every seed's test accuracy, per architecture."""
    names = list(result.architectures)
    fig = figure((2.35 * len(names), 4.9))
    gs = fig.add_gridspec(2, len(names), height_ratios=[1.25, 1])
    lim = (-1.0, 1.0)
    from ..geometry import grid_points

    grid = grid_points(lim, lim, n)
    for k, name in enumerate(names):
        ax = fig.add_subplot(gs[0, k])
        runs = result.runs[name]
        regions = runs.logits(grid)[seed_index].argmax(axis=1).reshape(n, n)
        DecisionRegions(ax, (*lim, *lim), regions, lightness=0.6)
        for r in np.arange(1, 4) / 4:  # the true ring boundaries
            t = np.linspace(0, 2 * np.pi, 200)
            ax.plot(r * np.cos(t), r * np.sin(t), color="black", lw=0.6, ls=":")
        ax.set(xlim=lim, ylim=lim, aspect="equal", xticks=[], yticks=[])
        ax.set_title(f"{name}\n{FF.n_params(result.architectures[name])} parameters", fontsize=8)
    ax = fig.add_subplot(gs[1, :])
    for k, name in enumerate(names):
        acc = result.acc[name]
        ax.scatter(np.full(acc.size, k), acc, color=CLASS_COLORS[1], s=18, zorder=3)
        ax.plot([k - 0.25, k + 0.25], [acc.mean()] * 2, color="black", lw=2, zorder=4)
        ax.text(k + 0.3, acc.mean(), f"{acc.mean():.1%}", va="center", fontsize=8)
    ax.set_xticks(np.arange(len(names)), names, fontsize=8)
    ax.set(ylabel="test accuracy", xlim=(-0.5, len(names) - 0.2))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    style_axes(ax)
    return fig
