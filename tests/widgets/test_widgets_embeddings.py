"""Widgets and figures of chapter 4 (embeddings), tested without a kernel.

Text boxes update on change (observers fire synchronously); every number a widget shows is
compared with what nnlib.chapters.embeddings computes directly, and each widget must stay on
its blitting fast path (CPU time; see tests/widgets/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import functional as F
from nnlib.chapters import embeddings as P
from nnlib.text import Vocab
from nnlib.widgets import embeddings as W

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SENTENCES = [
    "A dull, tedious mess.",
    "One of the best films of the year!",
    "The qwxzv was fine",
    "not bad at all",
    "I really love spinach",
    "a b c d e f g h i j k l m n o p q r s t",  # longer than the rows drawn
]


@pytest.fixture(scope="module")
def data():
    return P.load_review_data()


@pytest.fixture(scope="module")
def dan(data):
    return P.DAN(len(data.vocab), 50, (50,), rng=0)


@pytest.fixture(scope="module")
def cnn(data):
    return P.CNN(len(data.vocab), 50, 3, 100, rng=0)


# ---------------------------------------------------------------------- sentence explorer
def test_sentence_explorer_shows_the_models_numbers(dan, data):
    w = W.sentence_explorer(dan, data.vocab, "The qwxzv film was great")
    view = P.explain_sentence(dan, data.vocab, "The qwxzv film was great")
    r = w.result
    np.testing.assert_array_equal(r["rows"][:5], view.rows)
    assert np.isnan(r["rows"][5:]).all()
    np.testing.assert_array_equal(r["pooled"], np.stack([view.mean, view.max]))
    np.testing.assert_allclose(r["view"].probs, view.probs)
    labels = [t.get_text() for t in w.labels]
    assert labels[1].startswith("qwxzv→<unk>") and labels[1].endswith(" 1")
    assert labels[3].split()[0] == "was" and labels[3].split()[1] == str(data.vocab["was"])
    assert "&lt;unk&gt;" in w.readout.value and "1 unknown" in w.readout.value
    assert bytes(w.canvas.image.value).startswith(PNG_MAGIC)
    assert "P(positive)" in w.canvas.alt


def test_sentence_explorer_cuts_long_sentences_and_reports_empty_input(dan, data):
    w = W.sentence_explorer(dan, data.vocab)
    w.text.value = SENTENCES[-1]
    assert w.result["shown"] == w.max_tokens
    assert "first 14 of 20 rows" in w.readout.value
    w.text.value = "   "
    assert w.error is not None and "no tokens" in w.error
    assert w.result["shown"] == w.max_tokens  # the last good state is kept


def test_sentence_explorer_fast_path(dan, data, fast_path):
    w = W.sentence_explorer(dan, data.vocab)
    moves = [lambda s=s: setattr(w.text, "value", s) for s in SENTENCES]
    fast_path(w, moves)


# ---------------------------------------------------------------------- neighbours
@pytest.fixture(scope="module")
def tables(data, dan):
    rng = np.random.default_rng(0)
    glove_words = ["good", "bad", "great", "boring", "dull", "film", "movie", "fun"]
    return {
        "trained": (dan.embedding.E.data, data.vocab),
        "toy": (rng.normal(size=(len(glove_words), 5)), Vocab(glove_words, specials=())),
    }


def test_neighbour_explorer_lists_the_nearest_words(tables, data):
    w = W.neighbour_explorer(tables, "boring", k=5)
    got = w.result["neighbours"]
    assert got["trained"] == P.nearest_neighbours(*tables["trained"], "boring", 5)
    assert got["toy"] == P.nearest_neighbours(*tables["toy"], "boring", 5)
    sims = [s for _, s in got["trained"]]
    assert sims == sorted(sims, reverse=True)
    texts = [t.get_text() for t in w.words[0]]
    assert texts[0].startswith(got["trained"][0][0])
    w.word.value = "spinach"  # in neither table
    assert w.result["neighbours"] == {"trained": None, "toy": None}
    assert "not" in w.notes[0].get_text()
    w.word.value = "fun"
    assert w.result["neighbours"]["toy"] is not None


def test_neighbour_explorer_fast_path_and_errors(tables, fast_path):
    w = W.neighbour_explorer(tables)
    words = ["good", "bad", "dull", "movie", "zzz", "great"]
    fast_path(w, [lambda x=x: setattr(w.word, "value", x) for x in words])
    w.word.value = ""
    assert w.error is not None and "type a word" in w.error
    with pytest.raises(ValueError, match="at least one"):
        W.neighbour_explorer({})


# ---------------------------------------------------------------------- CNN filters
def test_filter_explorer_shows_the_decisive_filters(cnn, data):
    w = W.filter_explorer(cnn, data.vocab, "I really love spinach")
    view = P.filter_responses(cnn, data.vocab, "I really love spinach")
    r = w.result
    order = np.argsort(-np.abs(view.contribution), kind="stable")[:8]
    np.testing.assert_array_equal(r["filters"], order)
    n = len(view.windows)
    np.testing.assert_array_equal(r["heat"][:n], view.activations[:, order])
    # the outlined cell of each column is that filter's largest activation (max pooling)
    for k, box in enumerate(w.max_boxes):
        j = int(round(box.get_xy()[1] + 0.5))
        assert view.activations[j, order[k]] == pytest.approx(view.pooled[order[k]])
    assert [t.get_text() for t in w.window_labels[:n]] == [" ".join(x) for x in view.windows]
    np.testing.assert_allclose(r["votes"], view.contribution[order])
    assert "P(positive)" in w.readout.value


def test_filter_explorer_fast_path(cnn, data, fast_path):
    w = W.filter_explorer(cnn, data.vocab)
    fast_path(w, [lambda s=s: setattr(w.text, "value", s) for s in SENTENCES])


# ---------------------------------------------------------------------- static figures
def test_static_figures(dan, data, readable):
    fig = W.plot_dan(dan, data.vocab, "The dessert was great")
    assert isinstance(fig, Figure)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [f"{t} ({data.vocab[t]})" for t in ["the", "<unk>", "was", "great"]]
    rows = [{"name": "NB", "acc": [0.78]}, {"name": "DAN", "acc": [0.76, 0.78], "group": 1}]
    fig = W.plot_accuracies(rows, baseline=0.578)
    readable(fig)
    assert isinstance(W.plot_curves({"DAN": [0.7, 0.75]}, reference={"NB": 0.77}), Figure)
    a = np.abs(np.random.default_rng(0).normal(size=20))
    assert isinstance(W.plot_window_responses(a, a * 0.9, ("x y z", "x w z")), Figure)


def test_transfer_figure_marks_the_taught_and_highlighted_sentences(cnn, data):
    exp = P.transfer_experiment(cnn, data.vocab, candidates=100, steps=2)
    fig = W.plot_transfer(exp, highlight=["the"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "'i really like spinach'" in texts and "'i really the spinach'" in texts
    dots = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    xy = sorted((float(d.get_xdata()[0]), float(d.get_ydata()[0])) for d in dots)
    assert xy == sorted([exp.row("like"), exp.row("the")])


def test_sentence_probabilities_match_softmax_of_the_logits(dan, data):
    w = W.sentence_explorer(dan, data.vocab, "good")
    ids = data.vocab.encode(["good"])[None, :]
    logits = dan(ids, np.ones(ids.shape)).data[0]
    np.testing.assert_allclose(w.result["view"].probs, F.softmax(logits))
