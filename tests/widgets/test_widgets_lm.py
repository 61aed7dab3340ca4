"""Widgets and figures of chapter 5 (the feedforward neural language model), without a kernel.

ipywidgets observers fire synchronously: setting a control's ``value`` runs the widget's update
at once. Each test compares what a widget shows (``.result``, its readout, its bars) with what
nnlib.chapters.lm computes directly. The models are the chapter's cat-and-dog models (small and
quick to train); the widgets do not depend on the corpus.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from nnlib.chapters import lm
from nnlib.widgets import lm as W
from nnlib.widgets.canvas import ACCENT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def pets():
    return lm.pet_experiment(shared=True, seeds=(0,))


@pytest.fixture
def explorer(pets):
    return W.next_word_explorer(pets.models[0], pets.kn, pets.corpus.vocab, "we love our")


@pytest.fixture
def gen(pets):
    return W.generator(pets.models[0], pets.kn, pets.corpus.vocab, "the cat", n_tokens=15)


# ---------------------------------------------------------------------- next-word explorer
def test_explorer_shows_what_lm_computes(explorer, pets):
    assert bytes(explorer.canvas.image.value).startswith(PNG_MAGIC)
    expected = lm.next_word_table(pets.models[0], pets.kn, pets.corpus.vocab, "we love our", 10)
    assert explorer.result["neural"] == expected["neural"]
    assert explorer.result["kn"] == expected["kn"]
    # the bars are those numbers, in that order
    widths = [b.get_width() for b in explorer.nn_bars.bars[:10]]
    np.testing.assert_allclose(widths, [p for _, p in expected["neural"]])
    labels = [t.get_text() for t in explorer.kn_bars.words[:10]]
    assert labels == [f"{w}  {p:.3f}" for w, p in expected["kn"]]
    assert "we love our" in explorer.canvas.alt or "love our" in explorer.canvas.alt


def test_explorer_follows_the_typed_context(explorer, pets):
    explorer.text.value = "make sure that the dog gets"
    assert explorer.result["neural_context"] == ["the", "dog", "gets"]
    assert explorer.result["kn_context"] == ["dog", "gets"]
    assert explorer.result["neural"][0][0] == "fed"  # the chapter's point, in the widget
    assert "<b>the dog gets</b>" in explorer.readout.value
    explorer.text.value = "the zebra"
    assert explorer.result["unknown"] == ["zebra"]
    assert "zebra" in explorer.readout.value and "&lt;unk&gt;" in explorer.readout.value


def test_explorer_probe_word_is_highlighted(explorer):
    explorer.text.value = "that the dog gets"
    explorer.probe.value = "fed"
    r = explorer.result
    assert r["probe_rank_neural"] == 1
    assert to_hex(explorer.nn_bars.bars[0].get_facecolor()) == ACCENT.lower()
    shown = [w for w, _ in r["kn"]]
    for i, w in enumerate(shown):  # ties share a rank: find the bar by its word
        colour = to_hex(explorer.kn_bars.bars[i].get_facecolor())
        assert (colour == ACCENT.lower()) == (w == "fed")
    assert f"rank {r['probe_rank_kn']:,}" in explorer.readout.value


def test_explorer_bad_probe_is_shown_not_raised(explorer):
    good = explorer.result
    explorer.probe.value = "zebra"
    assert explorer.error and "not in the" in explorer.error
    assert "Cannot show this setting" in explorer.readout.value
    assert explorer.result == good  # the figure keeps the last good state
    explorer.probe.value = ""
    assert explorer.error is None


def test_explorer_top_k_rows(explorer):
    explorer.k.value = 4
    assert len(explorer.result["neural"]) == 4
    assert [b.get_width() for b in explorer.nn_bars.bars[4:]] == [0] * (W.MAX_BARS - 4)
    assert explorer.nn_bars.ax.get_ylim() == (3.5, -0.5)


def test_explorer_typing_blits(explorer, fast_path):
    texts = ["the", "the cat", "the cat gets", "we love", "we love our", "i have to", "the dog"]
    fast_path(explorer, [lambda t=t: setattr(explorer.text, "value", t) for t in texts])


# ---------------------------------------------------------------------- generator
def test_generator_samples_what_lm_samples(gen, pets):
    vocab = pets.corpus.vocab
    kw = {"temperature": 1.0, "top_k": None, "seed": 0}
    assert gen.result["neural_text"] == lm.sample_text(pets.models[0], vocab, "the cat", 15, **kw)
    assert gen.result["kn_text"] == lm.sample_text(pets.kn, vocab, "the cat", 15, **kw)
    shown = lm.detokenize(gen.result["neural_text"]).replace("\n", " / ")
    assert shown.split(" / ")[0] in gen.samples.value


def test_generator_controls(gen):
    first = gen.result["neural_text"]
    gen.seed.value = 1
    assert gen.result["neural_text"] != first
    gen.seed.value = 0
    assert gen.result["neural_text"] == first  # the same seed, the same text
    gen.temperature.value = 0.3
    r = gen.result
    assert r["q"][0] > r["p"][0]  # a low temperature sharpens the distribution
    gen.temperature.value = 2.0
    assert gen.result["q"][0] < gen.result["p"][0]
    gen.top_k.value = 1
    assert gen.result["kept"] == 1 and gen.result["q"][0] == pytest.approx(1.0)
    assert "top 1" in gen.title.get_text()
    heights = [b.get_height() for b in gen.q_bars]
    np.testing.assert_allclose(heights, gen.result["q"])


def test_generator_moves_blit(gen, fast_path):
    moves = [lambda v=v: setattr(gen.temperature, "value", v) for v in (0.5, 0.7, 1.2, 1.6)]
    moves += [lambda s=s: setattr(gen.seed, "value", s) for s in (2, 3, 4)]
    fast_path(gen, moves)


# ---------------------------------------------------------------------- static figures
def test_lm_diagram_shows_the_models_prediction(pets, readable):
    model, vocab = pets.models[0], pets.corpus.vocab
    fig = W.lm_diagram(model, vocab, "make sure that the dog gets")
    top = lm.top_k(lm.next_word_probs(model, vocab.encode(["the", "dog", "gets"])), 4, vocab)
    assert f"{top[0][0]} ({top[0][1]:.2f})" in fig.alt_text
    texts = readable(fig)
    assert any(f"{top[0][0]} {top[0][1]:.2f}" in t for t in texts)
    assert any('"dog"' in t for t in texts)


def test_pet_figure_draws_the_experiment(pets, readable):
    control = lm.pet_experiment(shared=False, seeds=(0,))
    fig = W.plot_pet_experiment(pets, control)
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(
        heights,
        [
            pets.p_kn["the dog gets"],
            pets.p_neural["the dog gets"].mean(),
            control.p_kn["the dog gets"],
            control.p_neural["the dog gets"].mean(),
        ],
    )
    readable(fig)


def test_training_and_add_k_figures(pets, readable):
    corpus = pets.corpus
    run = lm.train_lm(
        corpus,
        lm.LMConfig(**{**lm.PET_CONFIG.__dict__, "steps": 60}),
        valid=corpus.windows("valid", 3),
        valid_every=20,
    )
    fig = W.plot_training(run, kn_valid=5.0, width=10)
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), run.valid_ppl)
    readable(fig)
    best, scores = lm.tune_add_k(corpus, 2, ks=[0.01, 0.1, 1.0])
    fig = W.plot_add_k({2: scores}, {2: best})
    np.testing.assert_allclose(
        fig.axes[0].lines[0].get_ydata(), [scores[k] for k in sorted(scores)]
    )


# ---------------------------------------------------------------------- at the chapter's size
@pytest.fixture(scope="module")
def full_size():
    """Models as large as the chapter's (|V| = 5,000, d 64, 200 hidden units): an untrained
    FF-LM costs what the trained one does, and Kneser-Ney on a Zipf-distributed stream of
    200,000 tokens has realistic count tables. No data download needed."""
    V = 5000
    rng = np.random.default_rng(0)
    stream = np.minimum(rng.zipf(1.2, size=200_000), V) - 1
    vocab = lm.Vocab([f"w{i}" for i in range(2, V)], specials=("<unk>", lm.EOS))
    kn = lm.KneserNey(3).fit(stream, V, pad_id=1)
    return lm.CHAPTER_CONFIG.model(V), kn, vocab


def test_full_size_explorer_is_fast(full_size, fast_path):
    model, kn, vocab = full_size
    ex = W.next_word_explorer(model, kn, vocab, "w2 w3 w4")
    texts = ["w5", "w5 w6", "w5 w6 w7", "w10 w11", "w2 w2 w2", "w100 w3"]
    fast_path(ex, [lambda t=t: setattr(ex.text, "value", t) for t in texts])


def test_full_size_generator_is_fast(full_size, fast_path):
    model, kn, vocab = full_size
    g = W.generator(model, kn, vocab, "w2 w3", n_tokens=40)
    moves = [lambda v=v: setattr(g.temperature, "value", v) for v in (0.5, 0.7, 1.2, 1.6)]
    moves += [lambda s=s: setattr(g.seed, "value", s) for s in (2, 3)]
    fast_path(g, moves)
