"""Figures and widgets for chapter 5, "The feedforward neural language model".

- :class:`NextWordExplorer` (:func:`next_word_explorer`): type a context and see the top-k next
  words of the feedforward LM and of Kneser-Ney side by side, with the context each model uses,
  and both models' probability of a probe word;
- :class:`Generator` (:func:`generator`): temperature and top-k sliders, a prompt and a seed;
  the neural LM's next-word distribution before and after temperature and top-k, and text
  sampled from both models;
- static figures: :func:`lm_diagram` (the model, with its real top predictions),
  :func:`plot_add_k`, :func:`plot_training`, :func:`plot_full_runs`, :func:`plot_pet_experiment`.

Every number comes from :mod:`nnlib.chapters.lm`; the widgets only draw. Each widget keeps what
it shows in ``.result`` so tests can check it without a browser or a kernel.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..chapters import lm
from ..text import Vocab
from .canvas import ACCENT, LINE_COLORS, LiveWidget, figure, float_slider, style_axes, styled

__all__ = [
    "NextWordExplorer",
    "next_word_explorer",
    "Generator",
    "generator",
    "lm_diagram",
    "plot_add_k",
    "plot_training",
    "plot_full_runs",
    "plot_pet_experiment",
]

NEURAL_COLOR = LINE_COLORS[0]  # blue: the feedforward LM everywhere in the chapter
KN_COLOR = LINE_COLORS[1]  # orange: Kneser-Ney
MAX_BARS = 15


class _WordBars:
    """Horizontal bars with word labels, for probabilities in [0, 1]: every part can move.

    Each row's word and probability sit in the axes' left margin (x < 0), the bars start at 0;
    ``set(pairs, highlight)`` updates them all without touching the background.
    """

    LABEL_ROOM = 0.62  # the share of the x range left of 0 that holds "word  probability"

    def __init__(self, ax, color: str, n: int = MAX_BARS, title: str = ""):
        self.ax, self.color, self.n = ax, color, n
        y = np.arange(n)
        self.bars = ax.barh(y, np.zeros(n), height=0.7, color=color, zorder=2)
        # One text per row, word and value together: text is what a redraw spends its time on.
        self.words = [ax.text(-0.02, i, "", ha="right", va="center", fontsize=9) for i in y]
        ax.set_xlim(-self.LABEL_ROOM, 1.0)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_yticks([])
        ax.spines["left"].set_position(("data", 0))
        ax.spines["bottom"].set_bounds(0, 1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_xlabel("probability of the next word")
        ax.set_title(title)
        self.artists = [*self.bars, *self.words]

    def show_rows(self, k: int) -> bool:
        """Fit the y range to ``k`` bars; True if it changed (the background must be redrawn)."""
        lim = (k - 0.5, -0.5)
        if tuple(self.ax.get_ylim()) == lim:
            return False
        self.ax.set_ylim(*lim)
        return True

    def set(self, pairs: Sequence[tuple[str, float]], highlight: str | None = None) -> None:
        for i in range(self.n):
            if i < len(pairs):
                word, p = pairs[i]
                self.bars[i].set_width(p)
                self.bars[i].set_color(ACCENT if word == highlight else self.color)
                self.words[i].set_text(f"{word}  {p:.3f}")
            else:
                self.bars[i].set_width(0)
                self.words[i].set_text("")


def _phrase(tokens: Sequence[str]) -> str:
    return html.escape(" ".join(tokens))


class NextWordExplorer(LiveWidget):
    """Next-word predictions of the neural LM and of Kneser-Ney for a context you type."""

    def __init__(
        self,
        model: lm.FeedforwardLM,
        kn: lm.NGramLM,
        vocab: Vocab,
        text: str = "i have to make sure that the",
        k: int = 10,
        probe: str = "",
    ):
        self.model, self.kn, self.vocab = model, kn, vocab
        self.text = widgets.Text(
            value=text,
            description="context",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        )
        self.k = widgets.IntSlider(
            value=k, min=3, max=MAX_BARS, description="top k", continuous_update=True
        )
        self.probe = widgets.Text(
            value=probe,
            description="probe word",
            continuous_update=True,
            layout=widgets.Layout(width="220px"),
        )
        super().__init__(
            [self.text, self.k, self.probe],
            figsize=(8.0, 4.2),
            alt=(
                "Two bar charts side by side: the most probable next words after the typed "
                "context, with their probabilities, under the feedforward neural LM (left, blue) "
                "and the Kneser-Ney trigram (right, orange)."
            ),
        )

    def build(self, fig: Figure) -> list:
        ax_nn, ax_kn = fig.subplots(1, 2)
        self.nn_bars = _WordBars(ax_nn, NEURAL_COLOR, title="feedforward LM (3 words)")
        self.kn_bars = _WordBars(ax_kn, KN_COLOR, title="Kneser-Ney trigram (2 words)")
        return [*self.nn_bars.artists, *self.kn_bars.artists]

    def compute(self) -> dict:
        return lm.next_word_table(
            self.model, self.kn, self.vocab, self.text.value, self.k.value, self.probe.value
        )

    def draw(self, r: dict) -> None:
        k = len(r["neural"])
        if self.nn_bars.show_rows(k) | self.kn_bars.show_rows(k):
            self.canvas.invalidate()  # a new number of rows: the axes are background
        self.nn_bars.set(r["neural"], r["probe"])
        self.kn_bars.set(r["kn"], r["probe"])
        lines = [
            f"The neural LM sees <b>{_phrase(r['neural_context'])}</b>; "
            f"Kneser-Ney sees <b>{_phrase(r['kn_context'])}</b>."
        ]
        if r["unknown"]:
            words = ", ".join(html.escape(w) for w in r["unknown"])
            lines.append(f"Not in the vocabulary (read as &lt;unk&gt;): {words}.")
        if r["probe"]:
            lines.append(
                f"P(<b>{html.escape(r['probe'])}</b>): neural {r['probe_neural']:.4f} "
                f"(rank {r['probe_rank_neural']:,}), Kneser-Ney {r['probe_kn']:.4f} "
                f"(rank {r['probe_rank_kn']:,})."
            )
        self.readout.value = "<br>".join(lines)

    def describe(self, r: dict) -> str:
        top_nn = ", ".join(f"{w} {p:.2f}" for w, p in r["neural"][:3])
        top_kn = ", ".join(f"{w} {p:.2f}" for w, p in r["kn"][:3])
        return (
            f"After '{' '.join(r['neural_context'])}' the neural LM's top words are {top_nn}; "
            f"Kneser-Ney's are {top_kn}."
        )


def next_word_explorer(model, kn, vocab, text: str = "i have to make sure that the", **kw):
    """The next-word explorer widget (see :class:`NextWordExplorer`)."""
    return NextWordExplorer(model, kn, vocab, text, **kw)


TOP_K_CHOICES = [("all", 0), ("1", 1), ("3", 3), ("5", 5), ("10", 10), ("20", 20), ("50", 50)]


class Generator(LiveWidget):
    """Sample text from the neural LM and from Kneser-Ney with temperature and top-k."""

    SHOWN = 12  # words in the distribution plot

    def __init__(
        self,
        model: lm.FeedforwardLM,
        kn: lm.NGramLM,
        vocab: Vocab,
        prompt: str = "my lord ,",
        temperature: float = 1.0,
        top_k: int = 0,
        seed: int = 0,
        n_tokens: int = 40,
    ):
        self.model, self.kn, self.vocab, self.n_tokens = model, kn, vocab, n_tokens
        self.prompt = widgets.Text(
            value=prompt, description="prompt", layout=widgets.Layout(width="320px")
        )
        self.temperature = float_slider("temperature", temperature, 0.1, 2.0, step=0.05)
        self.top_k = widgets.Dropdown(options=TOP_K_CHOICES, value=top_k, description="top k")
        self.seed = widgets.IntSlider(value=seed, min=0, max=50, description="seed")
        self.samples = widgets.HTML()
        super().__init__(
            [self.prompt, self.temperature, self.top_k, self.seed],
            figsize=(7.0, 3.6),
            alt=(
                "Bars of the neural LM's twelve most likely next words after the prompt: the "
                "outline is the model's probability p, the filled bar the probability q that "
                "sampling uses after temperature and top-k."
            ),
        )
        self.children = [*self.children, self.samples]

    def build(self, fig: Figure) -> list:
        ax = fig.subplots()
        n = self.SHOWN
        x = np.arange(n)
        self.ax = ax
        self.p_bars = ax.bar(
            x,
            np.zeros(n),
            width=0.8,
            fill=False,
            edgecolor="#555555",
            lw=1.2,
            zorder=3,
            label="p: the model (T = 1)",
        )
        self.q_bars = ax.bar(
            x, np.zeros(n), width=0.55, color=NEURAL_COLOR, zorder=2, label="q: sampled from"
        )
        self.labels = [
            ax.text(i, -0.03, "", rotation=40, ha="right", va="top", fontsize=9) for i in x
        ]
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(0, 1.0)
        ax.set_xticks([])
        ax.set_ylabel("probability")
        ax.legend(loc="upper right")
        style_axes(ax)
        fig.get_layout_engine().set(h_pad=0.05)
        self.title = ax.set_title(" ", fontsize=10)
        return [*self.p_bars, *self.q_bars, *self.labels, self.title]

    def compute(self) -> dict:
        T, k = float(self.temperature.value), int(self.top_k.value) or None
        table = lm.temperature_table(self.model, self.vocab, self.prompt.value, T, k, self.SHOWN)
        kw = {"temperature": T, "top_k": k, "seed": int(self.seed.value)}
        neural = lm.sample_text(self.model, self.vocab, self.prompt.value, self.n_tokens, **kw)
        ngram = lm.sample_text(self.kn, self.vocab, self.prompt.value, self.n_tokens, **kw)
        return {**table, "temperature": T, "top_k": k, "neural_text": neural, "kn_text": ngram}

    def draw(self, r: dict) -> None:
        for i in range(self.SHOWN):
            self.p_bars[i].set_height(r["p"][i])
            self.q_bars[i].set_height(r["q"][i])
            self.labels[i].set_text(r["words"][i])
        k = "all words" if r["top_k"] is None else f"top {r['top_k']}"
        self.title.set_text(
            f"T = {r['temperature']:.2f}, {k}: sampling from {r['kept']:,} words, "
            f"entropy {r['entropy_bits']:.2f} bits"
        )
        prompt = html.escape(self.prompt.value)

        def box(title: str, tokens: Sequence[str], color: str) -> str:
            text = html.escape(lm.detokenize(tokens)).replace("\n", " / ")
            return (
                f"<div style='flex:1;min-width:240px;border-left:4px solid {color};"
                f"padding:2px 8px'><b>{title}</b><br><i>{prompt}</i> {text}</div>"
            )

        self.samples.value = (
            "<div style='display:flex;gap:12px;flex-wrap:wrap'>"
            + box("feedforward LM", r["neural_text"], NEURAL_COLOR)
            + box("Kneser-Ney trigram", r["kn_text"], KN_COLOR)
            + "</div><small>/ marks the end of a speech.</small>"
        )
        self.readout.value = ""

    def describe(self, r: dict) -> str:
        return (
            f"At T = {r['temperature']:.2f} the most likely word '{r['words'][0]}' gets "
            f"{r['q'][0]:.2f} of the sampling probability (p = {r['p'][0]:.2f})."
        )


def generator(model, kn, vocab, prompt: str = "my lord ,", **kw) -> Generator:
    """The generator widget (see :class:`Generator`)."""
    return Generator(model, kn, vocab, prompt, **kw)


# ====================================================================== static figures
def _box(ax, x, y, w, h, text, fc, fontsize=9, ec="#33475b"):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            fc=fc,
            ec=ec,
            lw=1.2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, a, b, text=None, side=0.08):
    ax.add_patch(
        FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.2, color="#555555")
    )
    if text:
        ax.text((a[0] + b[0]) / 2 + side, (a[1] + b[1]) / 2, text, fontsize=8.5, va="center")


@styled
def lm_diagram(model: lm.FeedforwardLM, vocab: Vocab, context: str, k: int = 4) -> Figure:
    """The feedforward LM as a diagram, bottom to top, with the model's real prediction.

    Three context words -> rows of E -> e (concatenated) -> h = tanh(W e + b) -> z = U h + c ->
    ŷ = softmax(z), with the ``k`` most probable next words and their probabilities (computed
    by ``model``). The figure's ``alt_text`` describes it.
    """
    ids, tokens = lm.context_ids(vocab, context, model.context)
    probs = lm.next_word_probs(model, ids)
    top = lm.top_k(probs, k, vocab)
    n, d, H, V = model.context, model.d, model.hidden_size, model.V
    fig = figure((7.0, 5.6))
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")
    xs = np.linspace(2.2, 7.8, n)
    for i, (x, tok, idx) in enumerate(zip(xs, tokens, ids)):
        pos = f"t-{n - i}"
        _box(ax, x, 0.7, 2.0, 0.8, f'$w_{{{pos}}}$ = "{tok}"\nid {idx}', "#f3f3f3")
        _box(ax, x, 2.5, 2.0, 0.8, f"$E x_{{{pos}}}$\nrow {idx} of E ({d})", "#eef4fa")
        _arrow(ax, (x, 1.1), (x, 2.1))
    _box(
        ax,
        5.0,
        4.2,
        7.6,
        0.75,
        f"e = [E x_t-3; E x_t-2; E x_t-1]   ({n} × {d} = {n * d})",
        "#eef4fa",
    )
    for x in xs:
        _arrow(ax, (x, 2.9), (x, 3.82))
    _box(ax, 5.0, 5.9, 5.0, 0.75, f"h = tanh(W e + b)   ({H})", "#e8f3ec")
    _arrow(ax, (5.0, 4.58), (5.0, 5.52), f"W: {H} × {n * d}")
    _box(ax, 5.0, 7.5, 5.0, 0.75, f"z = U h + c   ({V:,} logits)", "#fbeee3")
    _arrow(ax, (5.0, 6.28), (5.0, 7.12), f"U: {V:,} × {H}")
    words = "   ".join(f"{w} {p:.2f}" for w, p in top)
    _box(ax, 5.0, 9.2, 9.4, 0.95, f"ŷ = softmax(z): P(next word)\n{words}   …", "#fdf6d8")
    _arrow(ax, (5.0, 7.88), (5.0, 8.72))
    ax.text(0.1, 0.7, "context", fontsize=9, va="center", color="#555555")
    fig.alt_text = (
        f"The feedforward language model drawn bottom to top: the context words "
        f"{', '.join(repr(t) for t in tokens)} each select a row of the embedding matrix E "
        f"(d = {d}); the {n} rows are concatenated into e ({n * d} numbers); a hidden layer "
        f"h = tanh(W e + b) of {H} units; the output layer z = U h + c gives one logit for each "
        f"of the {V:,} words; softmax turns them into the next-word distribution, whose top "
        f"words here are " + ", ".join(f"{w} ({p:.2f})" for w, p in top) + "."
    )
    return fig


@styled
def plot_add_k(scores: Mapping[int, Mapping[float, float]], best: Mapping[int, float]) -> Figure:
    """Validation perplexity of add-k smoothing against k (log-log), one line per order."""
    fig = figure((6.0, 3.2))
    ax = fig.add_subplot()
    for i, (order, sc) in enumerate(sorted(scores.items())):
        ks = np.array(sorted(sc))
        ax.plot(
            ks, [sc[k] for k in ks], marker="o", ms=3, color=LINE_COLORS[i], label=f"{order}-gram"
        )
        ax.plot([best[order]], [sc[best[order]]], "o", ms=9, mfc="none", color=ACCENT)
    ax.set(xlabel="k (added to every count)", ylabel="validation perplexity")
    _log_axis(ax, [p for sc in scores.values() for p in sc.values()])
    _log_axis(ax, [k for sc in scores.values() for k in sc], axis="x")
    ax.legend()
    style_axes(ax)
    return fig


def _log_axis(ax, values: Sequence[float], axis: str = "y") -> None:
    """A log axis spanning ``values`` with plain-number ticks (1, 1.5, 2, 3, 5, 7 x 10^k) inside
    the range only, and no minor tick labels."""
    v = np.asarray([x for x in values if np.isfinite(x) and x > 0], dtype=float)
    lo, hi = v.min() / 1.15, v.max() * 1.15
    candidates = [m * 10.0**e for e in range(-6, 7) for m in (1, 1.5, 2, 3, 5, 7)]
    ticks = [t for t in candidates if lo <= t <= hi]
    while len(ticks) > 7:
        ticks = ticks[::2]
    if axis == "y":
        ax.set_yscale("log")
        ax.set_ylim(lo, hi)
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_yticks([], minor=True)
    else:
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xticks([], minor=True)


def _binned(values: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(values) // width
    means = values[: n * width].reshape(n, width).mean(axis=1)
    return (np.arange(n) + 0.5) * width, means


@styled
def plot_training(run: lm.LMRun, kn_valid: float, width: int = 25) -> Figure:
    """The chapter's training run: the training loss (averaged over ``width`` steps) and the
    validation perplexity, with Kneser-Ney's validation perplexity for reference."""
    fig = figure((7.5, 3.0))
    ax1, ax2 = fig.subplots(1, 2)
    x, y = _binned(run.step_loss, width)
    ax1.plot(x, y, color=NEURAL_COLOR)
    ax1.set(xlabel="step", ylabel="training loss (nats)", title="cross-entropy per minibatch")
    style_axes(ax1)
    ax2.plot(
        run.valid_steps, run.valid_ppl, marker="o", ms=3, color=NEURAL_COLOR, label="feedforward LM"
    )
    ax2.axhline(kn_valid, color=KN_COLOR, ls="--", label="Kneser-Ney trigram")
    ax2.set(xlabel="step", ylabel="perplexity", title="validation perplexity")
    _log_axis(ax2, [*run.valid_ppl, kn_valid])
    for ax in (ax1, ax2):
        ax.set_xlim(0, len(run.step_loss))
    ax2.legend()
    style_axes(ax2)
    return fig


@styled
def plot_full_runs(results: Mapping[str, Any]) -> Figure:
    """The full-size runs of ``scripts/train_lm.py``: validation perplexity while training, for
    nnlib's default settings and the tuned ones, next to Kneser-Ney and the mixture."""
    fig = figure((7.0, 3.4))
    ax = fig.add_subplot()
    labels = {"default": "defaults: E ~ N(0, 1), no dropout", "tuned": "tuned settings"}
    for i, (name, r) in enumerate(results["runs"].items()):
        ax.plot(
            r["valid_steps"],
            r["valid_ppl"],
            color=LINE_COLORS[[0, 2][i % 2]],
            label=labels.get(name, name),
        )
    ax.axhline(results["kn_trigram"]["valid"], color=KN_COLOR, ls="--", label="Kneser-Ney trigram")
    tuned = results["runs"]["tuned"]
    ax.axhline(tuned["mixture"]["valid"], color=ACCENT, ls=":", label="tuned LM + Kneser-Ney mixed")
    ax.set(xlabel="training step (256 windows each)", ylabel="validation perplexity")
    _log_axis(ax, [p for r in results["runs"].values() for p in r["valid_ppl"]])
    ax.legend(fontsize=8)
    style_axes(ax)
    return fig


@styled
def plot_pet_experiment(shared: lm.PetExperiment, control: lm.PetExperiment) -> Figure:
    """P(fed | ... the dog gets) under Kneser-Ney and the neural LM (one dot per seed), on the
    corpus where the dog shares the cat's sentences and on the control corpus."""
    fig = figure((6.5, 3.0))
    ax = fig.add_subplot()
    groups = [("dog shares the cat's sentences", shared), ("control: the dog only barks", control)]
    for g, (label, ex) in enumerate(groups):
        x0 = 3 * g
        ax.bar(
            x0,
            ex.p_kn["the dog gets"],
            color=KN_COLOR,
            width=0.8,
            label="Kneser-Ney trigram" if g == 0 else None,
        )
        p = ex.p_neural["the dog gets"]
        ax.bar(
            x0 + 1,
            p.mean(),
            color=NEURAL_COLOR,
            width=0.8,
            label="feedforward LM (mean of seeds)" if g == 0 else None,
        )
        ax.plot(
            np.full(len(p), x0 + 1),
            p,
            "o",
            color="black",
            ms=4,
            label="one seed" if g == 0 else None,
        )
        ax.text(
            x0 + 0.5,
            -0.13,
            label,
            ha="center",
            va="top",
            fontsize=9,
            transform=ax.get_xaxis_transform(),
        )
    ax.set_xticks([])
    ax.set_xlim(-0.8, 4.8)
    ax.set_ylim(0, 1)
    ax.set_ylabel('P("fed" | "… the dog gets")')
    ax.legend(loc="upper right", fontsize=8)
    style_axes(ax)
    return fig
