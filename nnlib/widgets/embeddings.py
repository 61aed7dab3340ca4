"""Figures and widgets for chapter 4, "Embeddings as input" (book/04_embeddings.ipynb).

Drawing only: every number comes from :mod:`nnlib.chapters.embeddings` (look-ups, pooling,
predictions, similarities, filter activations); this module puts them into artists.

Widgets (each a :class:`~nnlib.widgets.canvas.LiveWidget`; type a sentence or a word and press
Enter):

- :func:`sentence_explorer`: a sentence's tokens and ids (unknown words shown as <unk>), their
  rows of E as a heat map, the mean- and max-pooled vectors, and the DAN's prediction;
- :func:`neighbour_explorer`: a word's nearest words by cosine similarity, in several
  embedding tables side by side (before training, after training, GloVe);
- :func:`filter_explorer`: a sentence's windows and the activations of the CNN filters that
  matter most for its prediction, the pooled values, and the prediction.

Static figures: :func:`plot_dan`, the DAN drawn on a real sentence with its real numbers;
:func:`plot_accuracies`, the comparison table as bars with error bars;
:func:`plot_curves`, validation accuracy per epoch; :func:`plot_window_responses`, two windows'
filter activations against each other.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch, Rectangle

from ..chapters import embeddings as P
from ..text import Vocab
from .canvas import (
    ACCENT,
    CLASS_COLORS,
    LINE_COLORS,
    LiveWidget,
    ProbabilityBars,
    figure,
    style_axes,
    styled,
)

__all__ = [
    "CMAP",
    "SentenceExplorer",
    "sentence_explorer",
    "NeighbourExplorer",
    "neighbour_explorer",
    "FilterExplorer",
    "filter_explorer",
    "plot_dan",
    "plot_accuracies",
    "plot_curves",
    "plot_window_responses",
    "plot_transfer",
]

CMAP = "PuOr_r"  # diverging, colour-blind safe: negative entries purple, positive orange
CLASS_LABELS = ("negative", "positive")


def _text_box(placeholder: str, value: str, width: str = "420px") -> widgets.Text:
    return widgets.Text(
        value=value,
        placeholder=placeholder,
        continuous_update=False,  # recompute on Enter (or leaving the box), not on every key
        layout=widgets.Layout(width=width),
    )


def _limit(values: np.ndarray) -> float:
    """A symmetric colour limit for a heat map: the 99th percentile of |values|."""
    v = np.abs(np.asarray(values, dtype=float))
    return float(np.percentile(v, 99)) if v.size else 1.0


def _shorten(word: str, n: int = 14) -> str:
    return word if len(word) <= n else word[: n - 1] + "…"


# ---------------------------------------------------------------------- sentence explorer
class SentenceExplorer(LiveWidget):
    """Type a sentence: its tokens and ids, their rows of E, the pooled vectors, the prediction.

    ``model`` is a trained :class:`~nnlib.chapters.embeddings.DAN`, ``vocab`` its vocabulary.
    At most ``max_tokens`` rows are drawn (the model always reads the whole sentence; the readout
    says when rows are cut). ``result`` holds the :class:`~nnlib.chapters.embeddings.SentenceView`
    and the numbers drawn.
    """

    def __init__(
        self,
        model: P.DAN,
        vocab: Vocab,
        text: str = "The dessert was great, but the film was dull.",
        max_tokens: int = 14,
    ):
        self.model, self.vocab, self.max_tokens = model, vocab, max_tokens
        self.d = model.embedding.d
        self.vmax = _limit(model.embedding.E.data[1:])
        self.text = _text_box("type a sentence and press Enter", text)
        alt = (
            "Left: one row of the embedding matrix E per token of the sentence, as a heat map "
            "(purple negative, orange positive), each labelled with its token and id; below it "
            "the mean-pooled and the max-pooled vector. Right: the DAN's probabilities of "
            "negative and positive."
        )
        super().__init__([self.text], figsize=(8.0, 4.2), alt=alt)

    def build(self, fig: Figure) -> list:
        grid = fig.add_gridspec(2, 2, width_ratios=[4.2, 1], height_ratios=[self.max_tokens, 2.6])
        self.ax_rows = fig.add_subplot(grid[0, 0])
        self.ax_pool = fig.add_subplot(grid[1, 0])
        self.ax_prob = fig.add_subplot(grid[:, 1])
        blank = np.full((self.max_tokens, self.d), np.nan)
        kw = dict(cmap=CMAP, vmin=-self.vmax, vmax=self.vmax, aspect="auto")
        self.rows_img = self.ax_rows.imshow(blank, **kw)
        self.pool_img = self.ax_pool.imshow(np.full((2, self.d), np.nan), **kw)
        self.ax_rows.set_yticks([])
        self.ax_rows.set_xticks([])
        self.ax_rows.set_title(f"rows of E, one per token (d = {self.d} columns)", fontsize=10)
        self.ax_pool.set_yticks([0, 1], ["mean", "max"])
        self.ax_pool.set_xlabel("embedding dimension")
        self.labels = [
            self.ax_rows.text(
                -1.0, i, "", ha="right", va="center", fontsize=8, family="monospace", clip_on=False
            )
            for i in range(self.max_tokens)
        ]
        self.bars = ProbabilityBars(
            self.ax_prob, CLASS_LABELS, color=CLASS_COLORS[0], highlight_color=CLASS_COLORS[1]
        )
        self.ax_prob.set_title("DAN", fontsize=10)
        fig.colorbar(self.pool_img, ax=[self.ax_rows, self.ax_pool], location="right", shrink=0.8)
        return [self.rows_img, self.pool_img, *self.labels, *self.bars.artists]

    def compute(self) -> dict:
        view = P.explain_sentence(self.model, self.vocab, self.text.value)
        n = min(len(view.ids), self.max_tokens)
        rows = np.full((self.max_tokens, self.d), np.nan)
        rows[:n] = view.rows[:n]
        return {
            "view": view,
            "rows": rows,
            "pooled": np.stack([view.mean, view.max]),
            "shown": n,
            "label": int(np.argmax(view.probs)),
        }

    def draw(self, r: dict) -> None:
        view = r["view"]
        self.rows_img.set_data(r["rows"])
        self.pool_img.set_data(r["pooled"])
        for i, label in enumerate(self.labels):
            if i < r["shown"]:
                tok, word = view.tokens[i], view.words[i]
                shown = tok if tok == word else f"{_shorten(word, 9)}→{tok}"
                label.set_text(f"{_shorten(shown)} {view.ids[i]:>5d}")
                label.set_color(ACCENT if tok == "<unk>" else "#222222")
            else:
                label.set_text("")
        self.bars.set(view.probs, highlight=1)
        cells = "".join(
            f"<td style='padding:0 6px;text-align:center'>"
            f"<span style='color:{'#c62828' if t == '<unk>' else '#222'}'>{html.escape(t)}</span>"
            f"<br><code>{i}</code></td>"
            for t, i in zip(view.tokens, view.ids)
        )
        unk = sum(t == "<unk>" for t in view.tokens)
        cut = (
            f" Showing the first {r['shown']} of {len(view.ids)} rows; the model reads them all."
            if len(view.ids) > r["shown"]
            else ""
        )
        self.readout.value = (
            f"<table><tr>{cells}</tr></table>"
            f"{len(view.ids)} tokens, {unk} unknown (&lt;unk&gt;). Prediction: "
            f"<b>{CLASS_LABELS[r['label']]}</b> (P(positive) = {view.probs[1]:.2f}).{cut}"
        )

    def describe(self, r: dict) -> str:
        view = r["view"]
        return (
            f"Now: {len(view.ids)} tokens ({' '.join(view.tokens[: self.max_tokens])}); "
            f"P(positive) = {view.probs[1]:.2f}."
        )


def sentence_explorer(model: P.DAN, vocab: Vocab, text: str | None = None) -> SentenceExplorer:
    """The sentence explorer for a trained DAN (see :class:`SentenceExplorer`)."""
    return SentenceExplorer(model, vocab) if text is None else SentenceExplorer(model, vocab, text)


# ---------------------------------------------------------------------- nearest neighbours
class NeighbourExplorer(LiveWidget):
    """Type a word: its ``k`` nearest words by cosine similarity in each embedding table.

    ``tables`` maps a panel title to ``(E, vocab)``: e.g. the DAN's E before and after training,
    and GloVe with its own vocabulary. A word missing from a table's vocabulary leaves that panel
    empty with a note. ``result["neighbours"][title]`` is the list of (word, similarity).
    """

    def __init__(
        self,
        tables: Mapping[str, tuple[np.ndarray, Vocab]],
        word: str = "boring",
        k: int = 8,
    ):
        if not tables:
            raise ValueError("neighbour_explorer needs at least one embedding table")
        self.tables = dict(tables)
        self.k = k
        self.word = _text_box("a word", word, width="220px")
        alt = (
            "One panel per embedding table; in each, horizontal bars give the cosine similarity "
            "of the chosen word to its nearest words in that table, nearest at the top."
        )
        width = 2.9 * len(self.tables) + 0.4
        super().__init__([self.word], figsize=(width, 3.4), alt=alt)

    def build(self, fig: Figure) -> list:
        axes = fig.subplots(1, len(self.tables), sharex=True)
        self.axes = list(np.atleast_1d(axes))
        self.bars, self.words, self.notes = [], [], []
        y = np.arange(self.k)[::-1]
        for ax, title in zip(self.axes, self.tables):
            bars = ax.barh(y, np.zeros(self.k), color=LINE_COLORS[0], height=0.7)
            self.bars.append(bars)
            self.words.append(
                [
                    ax.text(0.02, yi, "", va="center", ha="left", fontsize=9, color="white")
                    for yi in y
                ]
            )
            self.notes.append(ax.text(0.5, self.k / 2, "", ha="center", va="center", fontsize=9))
            ax.set_xlim(0, 1)
            ax.set_ylim(-0.6, self.k - 0.4)
            ax.set_yticks([])
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("cosine similarity")
            ax.grid(True, axis="x", alpha=0.3)
        moving = [p for b in self.bars for p in b.patches]
        return moving + [t for ws in self.words for t in ws] + self.notes

    def compute(self) -> dict:
        word = self.word.value.strip().lower()
        if not word:
            raise ValueError("type a word")
        out = {}
        for title, (E, vocab) in self.tables.items():
            out[title] = P.nearest_neighbours(E, vocab, word, self.k) if word in vocab else None
        return {"word": word, "neighbours": out}

    def draw(self, r: dict) -> None:
        for title, bars, words, note in zip(self.tables, self.bars, self.words, self.notes):
            found = r["neighbours"][title]
            note.set_text("" if found is not None else f"'{r['word']}' is not\nin this vocabulary")
            for i, (bar, text) in enumerate(zip(bars.patches, words)):
                if found is None or i >= len(found):
                    bar.set_width(0)
                    text.set_text("")
                    continue
                w, s = found[i]
                bar.set_width(max(s, 0.0))
                text.set_text(f"{_shorten(w)}  {s:.2f}")
                # the label sits inside a long bar (white), after a short one (dark)
                inside = s > 0.45
                text.set(
                    x=0.02 if inside else max(s, 0) + 0.02, color="white" if inside else "#222"
                )
        rows = []
        for title, found in r["neighbours"].items():
            text = (
                ", ".join(f"{html.escape(w)} ({s:.2f})" for w, s in found)
                if found is not None
                else "<i>not in this vocabulary</i>"
            )
            rows.append(f"<b>{html.escape(title)}</b>: {text}")
        self.readout.value = f"Nearest to <b>{html.escape(r['word'])}</b><br>" + "<br>".join(rows)

    def describe(self, r: dict) -> str:
        parts = []
        for title, found in r["neighbours"].items():
            near = ", ".join(w for w, _ in found[:3]) if found else "not in the vocabulary"
            parts.append(f"{title}: {near}")
        return f"Now: nearest to '{r['word']}' ({'; '.join(parts)})."


def neighbour_explorer(
    tables: Mapping[str, tuple[np.ndarray, Vocab]], word: str = "boring", k: int = 8
) -> NeighbourExplorer:
    """The nearest-neighbour explorer over the given tables (see :class:`NeighbourExplorer`)."""
    return NeighbourExplorer(tables, word, k)


# ---------------------------------------------------------------------- CNN filters
class FilterExplorer(LiveWidget):
    """Type a sentence: the CNN's windows, the activations of its most decisive filters, the
    pooled values and the prediction.

    The ``n_filters`` filters shown are those whose pooled value times their weight in the
    output layer moves this sentence's decision the most (positive votes orange, negative purple
    in the bar panel). Rows are the windows of ``width`` words (<pad> at the ends), at most
    ``max_windows`` of them.
    """

    def __init__(
        self,
        model: P.CNN,
        vocab: Vocab,
        text: str = "I really love spinach, but the plot is a mess.",
        n_filters: int = 8,
        max_windows: int = 16,
    ):
        self.model, self.vocab = model, vocab
        self.n_filters, self.max_windows = n_filters, max_windows
        self.text = _text_box("type a sentence and press Enter", text)
        alt = (
            "Left: a heat map with one row per window of the sentence and one column per filter "
            "(the filters that move this prediction most), darker orange for stronger "
            "activation, the largest value of each column outlined (max pooling). Middle: each "
            "filter's pooled value times its weight for 'positive' minus its weight for "
            "'negative'. Right: the CNN's probabilities."
        )
        super().__init__([self.text], figsize=(8.4, 4.4), alt=alt)

    def build(self, fig: Figure) -> list:
        grid = fig.add_gridspec(1, 3, width_ratios=[3.0, 1.5, 1.0])
        self.ax_heat = fig.add_subplot(grid[0])
        self.ax_vote = fig.add_subplot(grid[1])
        self.ax_prob = fig.add_subplot(grid[2])
        K, Wn = self.n_filters, self.max_windows
        self.heat = self.ax_heat.imshow(
            np.full((Wn, K), np.nan), cmap="Oranges", vmin=0, vmax=1, aspect="auto"
        )
        self.ax_heat.set_xticks([])
        self.ax_heat.set_yticks([])
        self.ax_heat.set_title("filter activations a_j per window", fontsize=10)
        self.window_labels = [
            self.ax_heat.text(
                -0.7, j, "", ha="right", va="center", fontsize=8, family="monospace", clip_on=False
            )
            for j in range(Wn)
        ]
        self.filter_labels = [
            self.ax_heat.text(k, Wn - 0.3, "", ha="center", va="top", fontsize=8, clip_on=False)
            for k in range(K)
        ]
        self.max_boxes = [
            Rectangle((k - 0.5, -0.5), 1, 1, fill=False, ec=ACCENT, lw=1.5) for k in range(K)
        ]
        for box in self.max_boxes:
            self.ax_heat.add_patch(box)
        y = np.arange(K)
        self.votes = self.ax_vote.barh(y, np.zeros(K), color=CLASS_COLORS[1], height=0.7)
        self.ax_vote.set_ylim(K - 0.5, -0.5)
        self.ax_vote.set_yticks(y, [f"f{k + 1}" for k in range(K)])
        self.ax_vote.axvline(0, color="0.5", lw=0.8)
        self.ax_vote.set_title("vote for positive", fontsize=10)
        self.ax_vote.set_xlabel("pooled × (U₊ − U₋)")
        self.vote_lim = 1.0
        self.bars = ProbabilityBars(
            self.ax_prob, CLASS_LABELS, color=CLASS_COLORS[0], highlight_color=CLASS_COLORS[1]
        )
        self.ax_prob.set_title("CNN", fontsize=10)
        return [
            self.heat,
            *self.window_labels,
            *self.filter_labels,
            *self.max_boxes,
            *self.votes.patches,
            *self.bars.artists,
        ]

    def compute(self) -> dict:
        view = P.filter_responses(self.model, self.vocab, self.text.value)
        order = np.argsort(-np.abs(view.contribution), kind="stable")[: self.n_filters]
        acts = view.activations[:, order]
        n = min(len(view.windows), self.max_windows)
        heat = np.full((self.max_windows, len(order)), np.nan)
        heat[:n] = acts[:n]
        return {
            "view": view,
            "filters": order,
            "heat": heat,
            "shown": n,
            "argmax": acts.argmax(axis=0),
            "votes": view.contribution[order],
            "scale": float(np.nanmax(acts)) if acts.size and np.nanmax(acts) > 0 else 1.0,
        }

    def draw(self, r: dict) -> None:
        view = r["view"]
        self.heat.set_data(r["heat"])
        self.heat.set_clim(0, r["scale"])
        for j, label in enumerate(self.window_labels):
            label.set_text(
                " ".join(_shorten(w, 8) for w in view.windows[j]) if j < r["shown"] else ""
            )
        for k, (label, box) in enumerate(zip(self.filter_labels, self.max_boxes)):
            label.set_text(f"f{k + 1}")
            j = int(r["argmax"][k])
            box.set_visible(j < r["shown"])
            box.set_xy((k - 0.5, j - 0.5))
        lim = max(float(np.abs(r["votes"]).max()), 1e-6) * 1.1
        for bar, v in zip(self.votes.patches, r["votes"]):
            bar.set_width(v / lim)  # scaled to the panel: the readout has the values
            bar.set_color(CLASS_COLORS[1] if v > 0 else "#5e3c99")
        self.ax_vote.set_xlim(-1, 1)
        self.bars.set(view.probs, highlight=1)
        top = r["filters"][0]
        j = int(np.argmax(view.activations[:, top]))
        self.readout.value = (
            f"{len(view.windows)} windows of {self.model.width} words. The most decisive filter "
            f"(f1, #{top}) fires most on <b>{html.escape(' '.join(view.windows[j]))}</b> "
            f"(a = {view.activations[j, top]:.2f}); its vote: {r['votes'][0]:+.2f}. "
            f"P(positive) = {view.probs[1]:.2f}."
        )

    def describe(self, r: dict) -> str:
        view = r["view"]
        top = r["filters"][0]
        j = int(np.argmax(view.activations[:, top]))
        return (
            f"Now: {len(view.windows)} windows; the most decisive filter fires most on "
            f"'{' '.join(view.windows[j])}'; P(positive) = {view.probs[1]:.2f}."
        )


def filter_explorer(model: P.CNN, vocab: Vocab, text: str | None = None) -> FilterExplorer:
    """The CNN filter explorer (see :class:`FilterExplorer`)."""
    return FilterExplorer(model, vocab) if text is None else FilterExplorer(model, vocab, text)


# ---------------------------------------------------------------------- static figures
def _arrow(fig, a, b, ax_from, ax_to) -> None:
    """An arrow from point a (axes fraction of ax_from) to b (axes fraction of ax_to)."""
    fig.add_artist(
        ConnectionPatch(
            xyA=a,
            coordsA=ax_from.transAxes,
            xyB=b,
            coordsB=ax_to.transAxes,
            arrowstyle="-|>",
            mutation_scale=12,
            color="0.35",
            lw=1.2,
        )
    )


@styled
def plot_dan(model: P.DAN, vocab: Vocab, text: str) -> Figure:
    """The DAN on one sentence, left to right: tokens and ids, their rows of E, the mean x, the
    hidden layer h = ReLU(x W^T + b), and the output probabilities. Real numbers throughout."""
    view = P.explain_sentence(model, vocab, text)
    h = view.hidden
    vmax = _limit(model.embedding.E.data[1:])
    fig = figure((8.4, 3.5))
    grid = fig.add_gridspec(1, 4, width_ratios=[3.0, 0.7, 0.7, 1.3], wspace=0.25)
    ax_e = fig.add_subplot(grid[0])
    ax_x = fig.add_subplot(grid[1])
    ax_h = fig.add_subplot(grid[2])
    ax_p = fig.add_subplot(grid[3])
    ax_e.imshow(view.rows, cmap=CMAP, vmin=-vmax, vmax=vmax, aspect="auto")
    labels = [f"{t} ({i})" for t, i in zip(view.tokens, view.ids)]
    ax_e.set_yticks(np.arange(len(labels)), labels, fontsize=8)
    ax_e.set_xticks([])
    ax_e.set_xlabel(f"e(wᵢ) = row id(wᵢ) of E, {view.rows.shape[1]} numbers")
    ax_e.set_title("1. look up", fontsize=10)
    ax_x.imshow(view.mean[:, None], cmap=CMAP, vmin=-vmax, vmax=vmax, aspect="auto")
    ax_x.set_title("2. pool", fontsize=10)
    ax_x.set_xlabel(f"x: mean\n{len(view.mean)} numbers", fontsize=8)
    hmax = max(float(np.abs(h).max()), 1e-6)
    ax_h.imshow(h[:, None], cmap="Oranges", vmin=0, vmax=hmax, aspect="auto")
    ax_h.set_title("3. hidden", fontsize=10)
    ax_h.set_xlabel(f"h = ReLU(xWᵀ+b)\n{len(h)} numbers", fontsize=8)
    for ax in (ax_x, ax_h):
        ax.set_xticks([])
        ax.set_yticks([])
    bars = ProbabilityBars(
        ax_p, CLASS_LABELS, color=CLASS_COLORS[0], highlight_color=CLASS_COLORS[1], ylabel=""
    )
    bars.set(view.probs, highlight=1)
    ax_p.set_title("4. ŷ = softmax(hUᵀ+c)", fontsize=9, loc="right")
    _arrow(fig, (1.01, 0.5), (-0.06, 0.5), ax_e, ax_x)
    _arrow(fig, (1.06, 0.5), (-0.06, 0.5), ax_x, ax_h)
    _arrow(fig, (1.06, 0.5), (-0.04, 0.5), ax_h, ax_p)
    return fig


@styled
def plot_accuracies(rows: Sequence[Mapping], *, baseline: float | None = None) -> Figure:
    """Horizontal bars of accuracy (%), mean ± std over seeds, one per row of the comparison.

    ``rows``: dicts with ``name`` and ``acc`` (a list of accuracies, one per seed); ``baseline``
    (e.g. the majority class) is drawn as a dashed line.
    """
    fig = figure((7.2, 0.38 * len(rows) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    means = [100 * np.mean(r["acc"]) for r in rows]
    stds = [100 * np.std(r["acc"]) for r in rows]
    colors = [LINE_COLORS[r.get("group", 0) % len(LINE_COLORS)] for r in rows]
    ax.barh(y, means, xerr=stds, color=colors, height=0.65, capsize=3)
    for yi, m, s in zip(y, means, stds):
        ax.text(m + s + 0.4, yi, f"{m:.1f}" + (f" ± {s:.1f}" if s else ""), va="center", fontsize=8)
    ax.set_yticks(y, [r["name"] for r in rows], fontsize=9)
    left = max(5 * np.floor((min(means) - 8) / 5), 0)
    right = max(m + s for m, s in zip(means, stds)) + 6
    ax.set_xlim(left, right)
    ax.set_xticks(np.arange(left + 5, right, 5))  # no tick at the axes' edges
    if baseline is not None:
        ax.axvline(100 * baseline, color="0.4", ls="--", lw=1)
    ax.set_xlabel("accuracy (%)")
    style_axes(ax)
    return fig


@styled
def plot_curves(
    curves: Mapping[str, Sequence[float]], *, reference: Mapping[str, float] = ()
) -> Figure:
    """Validation accuracy (%) after each epoch, one line per run; ``reference`` adds horizontal
    dashed lines (e.g. Naive Bayes)."""
    fig = figure((6.4, 3.0))
    ax = fig.add_subplot()
    for i, (name, acc) in enumerate(curves.items()):
        ax.plot(
            np.arange(1, len(acc) + 1),
            100 * np.asarray(acc),
            "o-",
            ms=3,
            label=name,
            color=LINE_COLORS[i % len(LINE_COLORS)],
        )
    for j, (name, value) in enumerate(dict(reference).items()):
        ax.axhline(
            100 * value,
            ls="--",
            lw=1.2,
            color=LINE_COLORS[(len(curves) + j) % len(LINE_COLORS)],
            label=name,
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.legend(loc="lower right")
    style_axes(ax)
    return fig


@styled
def plot_window_responses(a: np.ndarray, b: np.ndarray, labels: tuple[str, str]) -> Figure:
    """Each filter's activation on window ``a`` (x) against window ``b`` (y): points on the
    diagonal are filters that respond alike to both."""
    fig = figure((3.8, 3.6))
    ax = fig.add_subplot()
    hi = max(float(np.max(a)), float(np.max(b)), 1e-6) * 1.08
    ax.plot([0, hi], [0, hi], color="0.6", lw=1, ls="--")
    ax.scatter(a, b, s=14, color=LINE_COLORS[0], alpha=0.8)
    ax.set_xlim(-0.02 * hi, hi)
    ax.set_ylim(-0.02 * hi, hi)
    ax.set_xlabel(f"activation on '{labels[0]}'")
    ax.set_ylabel(f"activation on '{labels[1]}'")
    ax.set_aspect("equal")
    style_axes(ax)
    return fig


@styled
def plot_transfer(exp: P.TransferExperiment, highlight: Sequence[str] = ()) -> Figure:
    """One dot per candidate word: how similar its embedding is to the taught word's (x) and
    how much the lesson moved the model's margin for its sentence (y); ``highlight`` labels some."""
    fig = figure((6.4, 3.6))
    ax = fig.add_subplot()
    ax.scatter(exp.similarity[:-1], exp.change[:-1], s=6, color=LINE_COLORS[0], alpha=0.35, lw=0)
    median = float(np.median(exp.change[:-1]))
    ax.axhline(median, color="0.5", ls="--", lw=1)
    ax.text(
        ax.get_xlim()[0], median, " median change", va="bottom", ha="left", fontsize=8, color="0.4"
    )
    for i, word in enumerate([exp.taught, *highlight]):
        x, y = exp.row(word)
        ax.plot([x], [y], "o", color=ACCENT if i == 0 else CLASS_COLORS[2], ms=6, zorder=3)
        dy = 0 if i == 0 else (14 if i % 2 else -14)  # alternate above and below the dots
        ax.annotate(
            f"'{exp.sentence(word)}'",
            (x, y),
            xytext=(-8, dy),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8,
            arrowprops=None if i == 0 else {"arrowstyle": "-", "color": "0.4", "lw": 0.8},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    ax.set_xlabel(f"cosine similarity of the word's embedding to '{exp.taught}'")
    ax.set_ylabel("change of z₊ − z₋")
    style_axes(ax)
    return fig
