"""Chapter 4 (nnlib.chapters.embeddings): data encoding, the DAN and the CNN against hand-written
numpy, Naive Bayes against Jurafsky & Martin's worked example, similarity, and the views the
widgets draw. Expected values are computed here from the formulas, not copied from the code."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Tensor, nn
from nnlib import functional as F
from nnlib.chapters import embeddings as P
from nnlib.text import Vocab, tokenize

FAST = settings(max_examples=25, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def data():
    return P.load_review_data()


@pytest.fixture(scope="module")
def small(data):
    """The same vocabulary, 4000 training sentences, all of valid, 300 of test: quick to train."""

    def cut(split, n):
        return P.EncodedSplit(
            split.texts[:n], split.tokens[:n], split.ids[:n], split.mask[:n], split.y[:n]
        )

    return dataclasses.replace(
        data, train=cut(data.train, 4000), valid=data.valid, test=cut(data.test, 300)
    )


def padded(seqs):
    ids = np.zeros((len(seqs), max(map(len, seqs))), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    return ids, (ids != 0).astype(np.float64)


# ---------------------------------------------------------------------- data
def test_vocabulary_is_built_on_train_only(data):
    counts = {}
    for toks in data.train.tokens:
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
    kept = {t for t, c in counts.items() if c >= 2}
    assert set(data.vocab.itos[2:]) == kept
    assert data.vocab.itos[:2] == ["<pad>", "<unk>"]
    for split in (data.train, data.valid, data.test):
        assert split.ids.shape == split.mask.shape
        np.testing.assert_array_equal(split.mask, split.ids != 0)
        lengths = split.mask.sum(axis=1).astype(int)
        assert [len(t) for t in split.tokens] == lengths.tolist()
    # a word seen once in train is unknown everywhere
    once = next(t for t, c in counts.items() if c == 1)
    _, ids, _ = P.encode(data.vocab, [f"the {once} film"])
    assert ids[0, 1] == data.vocab.unk_id


def test_encode_pads_on_the_right_and_marks_unknown_words():
    vocab = Vocab(["good", "film"])
    tokens, ids, mask = P.encode(vocab, ["A good film!", "good"])
    assert tokens[0] == ["a", "good", "film", "!"]
    np.testing.assert_array_equal(ids, [[1, 2, 3, 1], [2, 0, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1, 1], [1, 0, 0, 0]])
    with pytest.raises(TypeError, match="list of texts"):
        P.encode(vocab, "one sentence")


@FAST
@given(ids=st.lists(st.integers(0, 6), min_size=1, max_size=8), seed=st.integers(0, 999))
def test_one_hot_times_E_is_indexing(ids, seed):
    E = rng(seed).normal(size=(7, 3))
    H = P.one_hot(np.array(ids), 7)
    assert H.shape == (len(ids), 7)
    np.testing.assert_array_equal(H.sum(axis=1), 1.0)
    np.testing.assert_allclose(H @ E, E[ids], rtol=0, atol=1e-15)


def test_one_hot_errors():
    with pytest.raises(IndexError, match=r"\[0, 4\]"):
        P.one_hot([5], 5)
    with pytest.raises(TypeError, match="integers"):
        P.one_hot([1.0], 5)


def test_trim_drops_only_all_padding_columns():
    ids, mask = padded([[3, 4], [5]])
    ids = np.pad(ids, ((0, 0), (0, 3)))
    mask = np.pad(mask, ((0, 0), (0, 3)))
    t_ids, t_mask = P.trim(ids, mask)
    np.testing.assert_array_equal(t_ids, [[3, 4], [5, 0]])
    np.testing.assert_array_equal(t_mask, [[1, 1], [1, 0]])


def test_word_dropout_keeps_a_subset_and_never_empties_a_sentence():
    mask = np.zeros((2000, 12))
    lengths = rng(1).integers(0, 13, size=2000)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    out = P.word_dropout(mask, 0.3, rng(2))
    assert np.all(out <= mask)  # only real tokens, never new ones
    assert np.all(out.sum(axis=1)[lengths > 0] >= 1)
    assert np.all(out.sum(axis=1)[lengths == 0] == 0)
    kept = out.sum() / mask.sum()
    n = mask.sum()  # binomial: standard error sqrt(p (1 - p) / n); allow 5 of them (plus rescues)
    assert abs(kept - 0.7) < 5 * math.sqrt(0.21 / n) + (lengths > 0).mean() * 0.3**1 / 12
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        P.word_dropout(mask, 1.0, rng(0))


# ---------------------------------------------------------------------- the DAN
def dan_by_hand(model, ids_list):
    """Mean of the rows of E, then ReLU(x W1^T + b1) W2^T + b2: one sentence at a time."""
    E = model.embedding.E.data
    W1, b1 = model.mlp[0].W.data, model.mlp[0].b.data
    W2, b2 = model.mlp[2].W.data, model.mlp[2].b.data
    out = []
    for ids in ids_list:
        x = np.mean([E[i] for i in ids], axis=0)
        out.append(np.maximum(x @ W1.T + b1, 0) @ W2.T + b2)
    return np.array(out)


def test_dan_is_mean_pooling_then_an_mlp():
    model = P.DAN(20, 4, (5,), rng=0)
    sents = [[3, 7, 7, 2], [5], [19, 1, 4]]
    ids, mask = padded(sents)
    np.testing.assert_allclose(model(ids, mask).data, dan_by_hand(model, sents), atol=1e-12)


def test_dan_outputs_do_not_depend_on_padding_or_word_order():
    model = P.DAN(30, 6, (8,), pool="mean", rng=1)
    ids, mask = padded([[3, 9, 4, 22]])
    ref = model(ids, mask).data
    wide = np.pad(ids, ((0, 1), (0, 5)))
    wide[1, :3] = [5, 6, 7]
    np.testing.assert_allclose(model(wide, wide != 0).data[0], ref[0], atol=1e-12)
    np.testing.assert_allclose(model(ids[:, ::-1].copy(), mask).data, ref, atol=1e-12)
    maxpool = P.DAN(30, 6, (8,), pool="max", rng=1)
    np.testing.assert_allclose(
        maxpool(ids[:, [2, 0, 3, 1]], mask).data, maxpool(ids, mask).data, atol=1e-12
    )


def test_dan_gradient_through_the_whole_model():
    model = P.DAN(8, 3, (4,), rng=2)
    ids, mask = padded([[1, 2, 2], [5, 3]])
    y = np.array([0, 1])
    E0 = model.embedding.E.data.copy()

    def loss_of(E):
        model.embedding.E.data[...] = E.data if isinstance(E, Tensor) else E
        return F.cross_entropy(model(ids, mask), y)

    loss_of(E0).backward()
    analytic = model.embedding.E.grad.copy()

    def numeric(E):
        return loss_of(E).item()

    from nnlib.gradcheck import numerical_grad

    num = numerical_grad(numeric, E0)
    np.testing.assert_allclose(analytic, num, atol=1e-8)
    assert np.all(analytic[[0, 4, 6, 7]] == 0)  # padding and unused words get no gradient


def test_frozen_and_pretrained_tables():
    E_init = rng(3).normal(size=(10, 4))
    model = P.DAN(10, 4, (3,), E_init=E_init, freeze=True, rng=0)
    np.testing.assert_array_equal(model.embedding.E.data[1:], E_init[1:])
    np.testing.assert_array_equal(model.embedding.E.data[0], 0.0)
    assert not model.embedding.E.requires_grad
    with pytest.raises(ValueError, match="E_init has shape"):
        P.DAN(10, 4, E_init=np.zeros((9, 4)))
    with pytest.raises(ValueError, match="pool"):
        P.DAN(10, 4, pool="sum")


def test_block_parameters_add_up():
    model = P.DAN(1000, 50, (50,), rng=0)
    blocks = P.block_parameters(model)
    assert list(blocks.items()) == [
        ("word vectors E (1000 x 50)", 1000 * 50),
        ("linear 50 -> 50 (W 50 x 50, b 50)", 50 * 50 + 50),
        ("linear 50 -> 2 (W 2 x 50, b 2)", 50 * 2 + 2),
    ]
    assert sum(blocks.values()) == model.num_parameters()
    cnn = P.CNN(1000, 50, 3, 100, rng=0)
    assert P.block_parameters(cnn)["linear 150 -> 100 (W 100 x 150, b 100)"] == 15_100


# ---------------------------------------------------------------------- the CNN
def cnn_by_hand(model, ids, pool):
    """Zero-pad k-1 on both sides, every window's ReLU(u W^T + b), pooled over the windows."""
    E = model.embedding.E.data
    W, b = model.conv.linear.W.data, model.conv.linear.b.data
    U, c = model.out.W.data, model.out.b.data
    k, d = model.width, E.shape[1]
    x = np.concatenate([np.zeros((k - 1, d)), E[ids], np.zeros((k - 1, d))])
    acts = np.array(
        [np.maximum(np.concatenate(x[j : j + k]) @ W.T + b, 0) for j in range(len(x) - k + 1)]
    )
    pooled = acts.max(axis=0) if pool == "max" else acts.mean(axis=0)
    return acts, pooled @ U.T + c


@pytest.mark.parametrize("pool", ["max", "mean"])
def test_cnn_equals_a_loop_over_windows(pool):
    model = P.CNN(25, 4, 3, 6, pool=pool, rng=0)
    sents = [[4, 9, 2, 2, 11], [7], [3, 5]]
    ids, mask = padded(sents)
    out = model(ids, mask).data
    for i, s in enumerate(sents):
        np.testing.assert_allclose(out[i], cnn_by_hand(model, s, pool)[1], atol=1e-12)


@pytest.mark.parametrize("pool", ["mean", "max"])
def test_cnn_gradient_of_every_parameter(pool):
    """Backprop through the whole CNN against centred differences, one parameter at a time."""
    from nnlib.gradcheck import numerical_grad

    model = P.CNN(9, 3, 2, 4, pool=pool, rng=1)
    ids, mask = padded([[1, 2, 3], [4]])
    y = np.array([1, 0])

    def loss() -> Tensor:
        return F.cross_entropy(model(ids, mask), y)

    model.zero_grad()
    loss().backward()
    for name, p in model.named_parameters():

        def f(values, p=p):
            saved = p.data.copy()
            p.data[...] = values
            out = loss().item()
            p.data[...] = saved
            return out

        num = numerical_grad(f, p.data.copy())
        if name == "embedding.E":
            # Row 0 is padding: it is kept at zero and gets no gradient by design (padding_idx),
            # although a window that overlaps the end of the shorter sentence does read it.
            np.testing.assert_array_equal(p.grad[0], 0.0)
            p_grad, num = p.grad[1:], num[1:]
        else:
            p_grad = p.grad
        np.testing.assert_allclose(p_grad, num, atol=1e-8, err_msg=name)


def test_filter_responses_view(data):
    model = P.CNN(len(data.vocab), 6, 3, 5, rng=0)
    view = P.filter_responses(model, data.vocab, "A really good film")
    assert view.tokens == ["a", "really", "good", "film"]
    assert len(view.windows) == 4 + 3 - 1
    assert view.windows[0] == ("<pad>", "<pad>", "a")
    ids = data.vocab.encode(view.tokens)
    acts, logits = cnn_by_hand(model, ids, "max")
    np.testing.assert_allclose(view.activations, acts, atol=1e-12)
    np.testing.assert_allclose(view.pooled, acts.max(axis=0), atol=1e-12)
    np.testing.assert_allclose(view.probs, F.softmax(logits), atol=1e-12)
    # the contributions add up to the difference of the two logits, minus the bias difference
    c = model.out.b.data
    np.testing.assert_allclose(view.contribution.sum(), logits[1] - logits[0] - (c[1] - c[0]))
    with pytest.raises(ValueError, match="no tokens"):
        P.filter_responses(model, data.vocab, "   ")


# ---------------------------------------------------------------------- training
def test_training_keeps_the_best_epoch_on_valid(small):
    model = P.DAN(len(small.vocab), 8, (8,), rng=0)
    result = P.train_classifier(model, small, epochs=4, lr=3e-3, seed=0)
    curve = result.history.metrics["valid_acc"]
    assert result.best_epoch == int(np.argmax(curve)) + 1
    assert result.valid_acc == max(curve)
    assert P.accuracy_on(model, small.valid) == pytest.approx(result.valid_acc)
    assert len(result.epoch_seconds) == 4 and result.seconds > 0
    assert not model.training


def test_lazy_and_dense_adam_train_differently_but_both_learn(small):
    runs = {}
    for lazy in (True, False):
        model = P.DAN(len(small.vocab), 16, (16,), rng=0)
        runs[lazy] = P.train_classifier(model, small, epochs=4, lr=5e-3, seed=0, lazy=lazy)
    majority = small.valid.y.mean()  # always answering "positive"
    se = math.sqrt(majority * (1 - majority) / len(small.valid))
    for r in runs.values():  # better than the majority class by 5 standard errors
        assert r.valid_acc > majority + 5 * se, (r.valid_acc, majority)
    # the first step is the same, later ones differ (dense Adam keeps moving unused rows)
    lazy_loss, dense_loss = runs[True].history.step_loss, runs[False].history.step_loss
    assert lazy_loss[:2] == pytest.approx(dense_loss[:2], rel=1e-12)
    assert lazy_loss[-1] != pytest.approx(dense_loss[-1], rel=1e-6)


def test_frozen_embeddings_do_not_change_in_training(small):
    E_init = rng(0).normal(size=(len(small.vocab), 8))
    model = P.DAN(len(small.vocab), 8, (8,), E_init=E_init, freeze=True, rng=0)
    W0 = model.mlp[0].W.data.copy()
    P.train_classifier(model, small, epochs=1, seed=0)
    np.testing.assert_array_equal(model.embedding.E.data[1:], E_init[1:])
    assert not np.allclose(model.mlp[0].W.data, W0)


def test_every_config_builds(data):
    for config in P.CONFIGS.values():
        if config.init != "random":
            continue  # GloVe tables are tested below
        model = config.build(data, 0)
        assert model.embedding.E.shape == (len(data.vocab), config.d)
    with pytest.raises(ValueError, match="init"):
        P.Config("x", init="word2vec").build(data, 0)


def test_glove_table_rows_are_the_glove_vectors(data):
    from nnlib.data import load_glove

    E, coverage = P.glove_table(data.vocab, rng=0)
    words, vectors = load_glove(vocab=data.vocab.itos)
    assert coverage == pytest.approx(len(words) / len(data.vocab))
    assert 0.9 < coverage < 1.0
    for w in ("good", "film", "boring"):
        np.testing.assert_array_equal(E[data.vocab[w]], vectors[words.index(w)])
    np.testing.assert_array_equal(E[0], 0.0)


# ---------------------------------------------------------------------- Naive Bayes
# Jurafsky & Martin, Speech and Language Processing (3rd ed.), chapter 4, the worked example of
# Naive Bayes with add-one smoothing: three negative and two positive training documents.
JM_TRAIN = [
    ("just plain boring", 0),
    ("entirely predictable and lacks energy", 0),
    ("no surprises and very few laughs", 0),
    ("very powerful", 1),
    ("the most fun film of the summer", 1),
]


def test_naive_bayes_reproduces_the_jurafsky_martin_example():
    docs = [d.split() for d, _ in JM_TRAIN]
    y = np.array([c for _, c in JM_TRAIN])
    nb = P.NaiveBayes().fit(docs, y)
    assert len(nb.features) == 20  # |V| = 20
    np.testing.assert_allclose(np.exp(nb.log_prior), [3 / 5, 2 / 5])
    # "predictable with no fun": "with" is not in the training vocabulary and is dropped.
    scores = np.exp(nb.scores([["predictable", "with", "no", "fun"]])[0])
    neg = 3 / 5 * (1 + 1) * (1 + 1) * (0 + 1) / 34**3  # 14 negative tokens, + |V| = 34
    pos = 2 / 5 * (0 + 1) * (0 + 1) * (1 + 1) / 29**3  # 9 positive tokens, + |V| = 29
    np.testing.assert_allclose(scores, [neg, pos], rtol=1e-12)
    # the book prints 6.1e-5 and 3.2e-5 (the second truncated: 0.4 * 2 / 29^3 = 3.28e-5)
    assert f"{neg:.1e}" == "6.1e-05" and f"{pos:.2e}" == "3.28e-05"
    assert nb.predict([["predictable", "with", "no", "fun"]])[0] == 0


def test_naive_bayes_parameters_formula():
    counts = np.array([[3, 0, 1], [0, 2, 2]])
    log_prior, log_lik = P.naive_bayes_parameters(counts, [4, 6], alpha=0.5)
    np.testing.assert_allclose(np.exp(log_prior), [0.4, 0.6])
    np.testing.assert_allclose(
        np.exp(log_lik), [[3.5 / 5.5, 0.5 / 5.5, 1.5 / 5.5], [0.5 / 5.5, 2.5 / 5.5, 2.5 / 5.5]]
    )
    np.testing.assert_allclose(np.exp(log_lik).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="alpha"):
        P.naive_bayes_parameters(counts, [4, 6], alpha=0)
    with pytest.raises(ValueError, match=r"\(C, V\)"):
        P.naive_bayes_parameters(counts, [4, 6, 1])


def test_naive_bayes_bigrams_and_binary_counts():
    docs = [["not", "good", "not", "good"], ["good", "fun"]]
    nb2 = P.NaiveBayes(ngram=2).fit(docs, np.array([0, 1]))
    assert set(nb2.features) == {"not", "good", "fun", "not good", "good not", "good fun"}
    assert nb2.counts[0, nb2.features["not good"]] == 2
    nbb = P.NaiveBayes(ngram=2, binary=True).fit(docs, np.array([0, 1]))
    assert nbb.counts[0, nbb.features["not good"]] == 1


def test_naive_bayes_on_reviews_beats_the_majority_class(data):
    nb = P.NaiveBayes().fit(data.train.tokens, data.train.y)
    assert nb.accuracy(data.valid.tokens, data.valid.y) > 0.7


# ---------------------------------------------------------------------- similarity and views
def test_cosine_similarity_and_neighbours():
    E = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.1], [0.0, 3.0], [-1.0, 0.0]])
    sims = P.cosine_similarity(E, 1)
    expected = [0.0, 1.0, 2 / math.hypot(2, 0.1), 0.0, -1.0]
    np.testing.assert_allclose(sims, expected, atol=1e-15)
    vocab = Vocab(["a", "b", "c"], specials=("<pad>", "<unk>"))
    # ids: <pad> 0, <unk> 1, a 2, b 3, c 4; neighbours of "a" (row 2) skip <pad>, <unk>, itself
    assert [w for w, _ in P.nearest_neighbours(E, vocab, "a", k=2)] == ["b", "c"]
    with pytest.raises(KeyError, match="not in the vocabulary"):
        P.nearest_neighbours(E, vocab, "zzz")


def test_explain_sentence_shows_what_the_model_sees(data):
    model = P.DAN(len(data.vocab), 5, (4,), rng=0)
    view = P.explain_sentence(model, data.vocab, "The qwxzv film was great")
    assert view.words == ["the", "qwxzv", "film", "was", "great"]
    assert view.tokens == ["the", "<unk>", "film", "was", "great"]
    E = model.embedding.E.data
    np.testing.assert_array_equal(view.rows, E[view.ids])
    np.testing.assert_allclose(view.mean, E[view.ids].mean(axis=0))
    np.testing.assert_allclose(view.max, E[view.ids].max(axis=0))
    np.testing.assert_allclose(view.probs.sum(), 1.0)
    np.testing.assert_allclose(view.probs, F.softmax(dan_by_hand(model, [view.ids])[0]))


def test_embedding_module_matches_chapter_lookup():
    emb = nn.Embedding(6, 2, padding_idx=0, rng=0)
    ids = np.array([[1, 5, 0]])
    np.testing.assert_array_equal(emb(ids).data[0], P.one_hot(ids[0], 6) @ emb.E.data)
    assert tokenize("dessert was great") == ["dessert", "was", "great"]


# ---------------------------------------------------------------------- counting and n-grams
def test_ngram_count_and_word_label_rate():
    docs = [["a", "b", "a", "b"], ["b", "a"], ["a"]]
    assert P.ngram_count(docs, ("a", "b")) == 2
    assert P.ngram_count(docs, ("b", "a")) == 2
    assert P.ngram_count(docs, ("a",)) == 4
    assert P.ngram_count(docs, ("a", "b", "a")) == 1
    split = P.EncodedSplit(
        ["", "", ""], docs, np.zeros((3, 1)), np.zeros((3, 1)), np.array([1, 0, 1])
    )
    assert P.word_label_rate(split, "b") == (2, 0.5)
    n, rate = P.word_label_rate(split, "zzz")
    assert n == 0 and math.isnan(rate)


def test_window_activations_are_the_cnns_own(data):
    model = P.CNN(len(data.vocab), 6, 3, 5, rng=3)
    words = ("really", "good", "film")
    u, a = P.window_activations(model, data.vocab, words)
    E = model.embedding.E.data
    np.testing.assert_array_equal(u, np.concatenate([E[data.vocab[w]] for w in words]))
    view = P.filter_responses(model, data.vocab, " ".join(words))
    # windows with padding 2: (pad, pad, really), (pad, really, good), (really, good, film), ...
    assert view.windows[2] == words
    np.testing.assert_allclose(a, view.activations[2], atol=1e-12)
    with pytest.raises(ValueError, match="need 3 words"):
        P.window_activations(model, data.vocab, ("too", "short"))


def test_transfer_experiment_teaches_a_copy_and_measures_every_sentence(data):
    model = P.CNN(len(data.vocab), 8, 3, 6, rng=4)
    state = model.state_dict()
    exp = P.transfer_experiment(model, data.vocab, candidates=200, steps=10, lr=0.1, label=0)
    for name, value in model.state_dict().items():  # the model itself is untouched
        np.testing.assert_array_equal(value, state[name])
    assert (
        exp.words[-1] == "like" and len(exp.words) == 200
    )  # "like" is among the 200 most frequent
    # "before" is the untouched model's margin z_pos - z_neg for each filled-in sentence
    for word in ("the", "film", "like"):
        view = P.filter_responses(model, data.vocab, exp.sentence(word))
        i = exp.words.index(word)
        z = np.log(view.probs)
        assert exp.before[i] == pytest.approx(z[1] - z[0], abs=1e-9)
    assert exp.row("like")[1] < 0  # taught "negative": the taught sentence's margin went down
    assert exp.row("like")[0] == pytest.approx(1.0)
    sims = exp.similarity
    E = model.embedding.E.data
    i = exp.words.index("the")
    e_the, e_like = E[data.vocab["the"]], E[data.vocab["like"]]
    expected = e_the @ e_like / (np.linalg.norm(e_the) * np.linalg.norm(e_like))
    assert sims[i] == pytest.approx(expected)
