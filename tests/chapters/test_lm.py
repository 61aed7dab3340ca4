"""nnlib.chapters.lm (book: chapter 5, the feedforward neural language model).

The n-gram probabilities are checked three ways: numbers worked out by hand from the formulas on
tiny corpora (the counts in the comments were counted by hand from the corpus, not by the code),
a plain dictionary-based Kneser-Ney written straight from the formulas, and properties (every
distribution sums to 1; ``prob`` agrees with ``distribution``).
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import functional as F
from nnlib.chapters import lm
from nnlib.gradcheck import numerical_grad
from nnlib.text import Vocab

# A five-word vocabulary for the hand computations: <unk>=0, </s>=1, a=2, b=3, c=4.
UNK_, EOS_, A, B, C = range(5)
V5 = 5
# "a b a b a c </s>"
TINY = [A, B, A, B, A, C, EOS_]


def q(x) -> Fraction:
    return Fraction(x).limit_denominator(10**6)


# ====================================================================== MLE and add-k
def test_mle_bigram_by_hand():
    # Bigrams with one </s> in front: (</s> a) (a b) (b a) (a b) (b a) (a c) (c </s>).
    # c(a b) = 2, c(a c) = 1, c(a) = 3;  c(b a) = 2, c(b) = 2.
    m = lm.MLE(2).fit(TINY, V5, pad_id=EOS_)
    p = m.prob([[A], [A], [A], [B], [B]], [B, C, A, A, C])
    np.testing.assert_allclose(p, [2 / 3, 1 / 3, 0.0, 1.0, 0.0])
    # <unk> never occurs as a context: no estimate (0 / 0).
    assert np.isnan(m.prob([[UNK_]], [A])[0])
    # an unseen word gives perplexity infinity
    assert m.perplexity([A, A]) == math.inf


def test_mle_unigram_and_trigram_by_hand():
    uni = lm.MLE(1).fit(TINY, V5, pad_id=EOS_)
    # 7 tokens: a 3 times, b 2, c 1, </s> 1.
    np.testing.assert_allclose(uni.distribution([]), [0, 1 / 7, 3 / 7, 2 / 7, 1 / 7])
    tri = lm.MLE(3).fit(TINY, V5, pad_id=EOS_)
    # Trigrams: (</s></s>a) (</s>a b) (a b a) (b a b) (a b a) (b a c) (a c </s>):
    # after "a b": a twice -> 1;  after "b a": b once, c once -> 1/2 each.
    np.testing.assert_allclose(tri.prob([[A, B], [B, A], [B, A]], [A, B, C]), [1, 0.5, 0.5])


def test_add_k_by_hand():
    # (c(h w) + k) / (c(h) + k |V|) with |V| = 5.
    m = lm.AddK(2, k=1).fit(TINY, V5, pad_id=EOS_)
    np.testing.assert_allclose(
        m.prob([[A], [A], [B], [UNK_]], [B, A, A, C]),
        [(2 + 1) / (3 + 5), (0 + 1) / (3 + 5), (2 + 1) / (2 + 5), 1 / 5],
    )
    half = lm.AddK(2, k=0.5).fit(TINY, V5, pad_id=EOS_)
    assert half.prob([[A]], [C])[0] == pytest.approx((1 + 0.5) / (3 + 2.5))


def test_tune_add_k_picks_the_best_k_on_the_grid():
    corpus = _tiny_corpus()
    best, scores = lm.tune_add_k(corpus, 2, ks=[0.01, 0.1, 1.0])
    assert set(scores) == {0.01, 0.1, 1.0}
    assert scores[best] == min(scores.values())
    # the reported perplexity is that of AddK with that k on the validation stream
    check = lm.AddK(2, best).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    assert check.perplexity(corpus.valid) == pytest.approx(scores[best])


# ====================================================================== Kneser-Ney by hand
# Counts from TINY, by hand:
#   trigram types (2 </s> in front): (</s></s>a) (</s>a b) (a b a)x2 (b a b) (b a c) (a c </s>)
#   bigram continuation counts N1+(. v w) (distinct words before v w among trigram types):
#       (</s> a) 1, (a b) 2 [</s>, b], (b a) 1 [a], (a c) 1 [b], (c </s>) 1 [a]
#   unigram continuation counts N1+(. w) from those 5 bigram types:
#       a 2 [</s>, b], b 1 [a], c 1 [a], </s> 1 [c], <unk> 0;  total 5
D = Fraction(1, 2)


def kn_unigram() -> dict[int, Fraction]:
    cont = {A: 2, B: 1, C: 1, EOS_: 1, UNK_: 0}
    total = 5
    gamma = D * 4 / total  # four words with a continuation count > 0
    return {w: max(cont[w] - D, Fraction(0)) / total + gamma / V5 for w in cont}


def test_kneser_ney_unigram_level_by_hand():
    p1 = kn_unigram()
    assert p1[A] == Fraction(38, 100) and p1[B] == Fraction(18, 100)
    assert p1[UNK_] == Fraction(8, 100)
    assert sum(p1.values()) == 1
    m = lm.KneserNey(2, discount=0.5).fit(TINY, V5, pad_id=EOS_)
    np.testing.assert_allclose(m.unigram, [float(p1[w]) for w in range(V5)])
    # an unseen context falls back to the unigram level entirely
    np.testing.assert_allclose(m.distribution([UNK_]), [float(p1[w]) for w in range(V5)])


def test_kneser_ney_bigram_model_by_hand():
    p1 = kn_unigram()
    m = lm.KneserNey(2, discount=0.5).fit(TINY, V5, pad_id=EOS_)
    # Highest order uses raw counts: after a: b 2, c 1 (c(a) = 3); after b: a 2 (c(b) = 2).
    gamma_a = D * 2 / 3  # two word types seen after a
    gamma_b = D * 1 / 2
    expected = {
        (A, B): (2 - D) / 3 + gamma_a * p1[B],
        (A, C): (1 - D) / 3 + gamma_a * p1[C],
        (A, A): gamma_a * p1[A],
        (B, A): (2 - D) / 2 + gamma_b * p1[A],
        (B, C): gamma_b * p1[C],
    }
    assert expected[(A, B)] == q(0.56) and expected[(B, A)] == q(0.845)
    ctx, tgt = zip(*expected)
    np.testing.assert_allclose(
        m.prob(np.array(ctx)[:, None], tgt), [float(v) for v in expected.values()]
    )


def test_kneser_ney_trigram_model_by_hand():
    p1 = kn_unigram()
    m = lm.KneserNey(3, discount=0.5).fit(TINY, V5, pad_id=EOS_)
    # Middle order after a, on continuation counts: (a b) 2, (a c) 1, total 3, two types.
    gamma2_a = D * 2 / 3
    p2_a = {w: gamma2_a * p1[w] for w in range(V5)}
    p2_a[B] += (2 - D) / 3
    p2_a[C] += (1 - D) / 3
    assert p2_a[B] == q(0.56)
    # Highest order after "b a", raw counts: (b a b) 1, (b a c) 1; c(b a) = 2.
    gamma3_ba = D * 2 / 2
    p3 = {w: gamma3_ba * p2_a[w] for w in range(V5)}
    p3[B] += (1 - D) / 2
    p3[C] += (1 - D) / 2
    assert p3[B] == q(0.53)
    np.testing.assert_allclose(m.distribution([B, A]), [float(p3[w]) for w in range(V5)])
    # "c a" never occurred: the trigram level passes P(w | a) through unchanged.
    np.testing.assert_allclose(m.distribution([C, A]), [float(p2_a[w]) for w in range(V5)])
    # Raw and continuation counts differ for (b a): raw 2, continuation 1 -> the bigram model
    # (raw) and the trigram model's middle level (continuation) disagree about P(a | b).
    bigram = lm.KneserNey(2, discount=0.5).fit(TINY, V5, pad_id=EOS_)
    p2_b_cont = (1 - D) / 1 + D * 1 / 1 * p1[A]
    assert m.distribution([UNK_, B])[A] == pytest.approx(float(p2_b_cont))
    assert bigram.distribution([B])[A] == pytest.approx(float((2 - D) / 2 + D / 2 * p1[A]))


# ====================================================================== Kneser-Ney vs a reference
def reference_kn(stream, V, order, pad, discount):
    """Interpolated Kneser-Ney straight from the formulas, with dictionaries (slow, clear).

    ``discount(k, count)`` gives the discount at order k for an n-gram seen ``count`` times.
    """
    padded = [pad] * (order - 1) + list(stream)
    counts = {order: Counter(tuple(padded[i : i + order]) for i in range(len(stream)))}
    for k in range(order - 1, 0, -1):
        counts[k] = Counter(g[1:] for g in counts[k + 1])  # one per distinct left extension

    groups = {k: {} for k in counts}  # k -> context -> counts of the words seen after it
    for k, kcounts in counts.items():
        for g, c in kcounts.items():
            groups[k].setdefault(g[:-1], []).append(c)

    def p(k, h, w):
        if k == 0:
            return 1.0 / V
        group = groups[k].get(h, [])
        total = sum(group)
        if total == 0:
            return p(k - 1, h[1:], w)
        a = counts[k].get(h + (w,), 0)
        gamma = sum(discount(k, c) for c in group) / total
        return max(a - discount(k, a), 0) / total + gamma * p(k - 1, h[1:], w)

    return p, counts


def modified_discounts(counts, k):
    """Chen & Goodman's D1, D2, D3+ from the counts of counts of order k."""
    n = Counter(counts[k].values())
    Y = n[1] / (n[1] + 2 * n[2])
    return 1 - 2 * Y * n[2] / n[1], 2 - 3 * Y * n[3] / n[2], 3 - 4 * Y * n[4] / n[3]


streams = st.lists(st.integers(0, 5), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(stream=streams, order=st.integers(1, 3), d=st.sampled_from([0.3, 0.75, 1.0]))
def test_kneser_ney_matches_the_reference(stream, order, d):
    V = 6
    m = lm.KneserNey(order, discount=d).fit(stream, V, pad_id=1)
    p, _ = reference_kn(stream, V, order, 1, lambda k, c: d if c else 0)
    for h in [(0, 1), (stream[0], stream[-1]), (2, 3)]:
        h = h[len(h) - (order - 1) :] if order > 1 else ()
        expected = [p(order, tuple(h), w) for w in range(V)]
        np.testing.assert_allclose(m.distribution(list(h)), expected, rtol=1e-12, atol=1e-15)


def test_modified_kneser_ney_matches_the_reference():
    rng = np.random.default_rng(5)
    # a skewed stream (Zipf-like) so every order has words seen 1, 2, 3 and 4 times
    stream = list(np.minimum(rng.zipf(1.3, size=5000), 300) - 1)
    V = 300
    m = lm.KneserNey(3).fit(stream, V, pad_id=0)
    _, counts = reference_kn(stream, V, 3, 0, lambda k, c: 0)
    ds = {k: modified_discounts(counts, k) for k in (1, 2, 3)}
    for k in (1, 2, 3):
        np.testing.assert_allclose(m.discounts[k], ds[k], rtol=1e-12)

    def discount(k, c):
        return 0 if c == 0 else ds[k][min(c, 3) - 1]

    p, _ = reference_kn(stream, V, 3, 0, discount)
    for h in [(0, 0), (0, 1), (2, 5), (299, 299)]:
        expected = [p(3, h, w) for w in range(V)]
        np.testing.assert_allclose(m.distribution(list(h)), expected, rtol=1e-10)


def test_fallback_discounts_for_small_data():
    m = lm.KneserNey(2, fallback=(0.5, 1.0, 1.5)).fit(TINY, V5, pad_id=EOS_)
    assert m.fallback_orders == [2, 1]
    assert m.discounts[2] == (0.5, 1.0, 1.5)
    # Unigram level: continuation counts a 2 (D2 = 1), b, c, </s> 1 (D1 = 0.5); total 5;
    # gamma = (1 + 3 * 0.5) / 5 = 0.5, so P1(b) = (1 - 0.5) / 5 + 0.5 / 5 = 0.2.
    # After a: (a b) seen twice (D2 = 1), (a c) once (D1 = 0.5); c(a) = 3;
    # gamma(a) = (1 + 0.5) / 3 = 0.5, so P(b | a) = (2 - 1) / 3 + 0.5 * 0.2.
    assert m.prob([[A]], [B])[0] == pytest.approx(1 / 3 + 0.1)
    assert m.distribution([B]).sum() == pytest.approx(1.0)


def test_single_discount_is_ney_estimate():
    rng = np.random.default_rng(1)
    stream = list(np.minimum(rng.zipf(1.5, size=2000), 200) - 1)
    m = lm.KneserNey(2, discount="single").fit(stream, 200, pad_id=0)
    pairs = Counter(zip([0] + stream[:-1], stream))
    n = Counter(pairs.values())
    assert m.discounts[2][0] == pytest.approx(n[1] / (n[1] + 2 * n[2]))


# ====================================================================== properties
@settings(max_examples=40, deadline=None)
@given(
    stream=streams,
    order=st.integers(1, 4),
    kind=st.sampled_from(["kn", "addk"]),
    context=st.lists(st.integers(0, 5), min_size=3, max_size=3),
)
def test_every_distribution_sums_to_one(stream, order, kind, context):
    V = 6
    m = (lm.KneserNey(order, discount=0.75) if kind == "kn" else lm.AddK(order, k=0.1)).fit(
        stream, V, pad_id=1
    )
    dist = m.distribution(context)
    assert dist.shape == (V,)
    assert np.all(dist > 0)
    assert dist.sum() == pytest.approx(1.0, abs=1e-12)
    # prob() of each word agrees with the distribution
    np.testing.assert_allclose(m.prob(np.tile(context, (V, 1)), np.arange(V)), dist, rtol=1e-12)


def test_mle_distribution_sums_to_one_after_seen_contexts():
    m = lm.MLE(2).fit(TINY, V5, pad_id=EOS_)
    for h in (A, B, C, EOS_):
        assert m.distribution([h]).sum() == pytest.approx(1.0)


def test_shakespeare_sized_kneser_ney_sums_to_one():
    # A larger, realistic stream (modified discounts estimated from the counts).
    rng = np.random.default_rng(0)
    stream = np.minimum(rng.zipf(1.2, size=200_000), 2000) - 1
    m = lm.KneserNey(3).fit(stream, 2000, pad_id=0)
    for h in ([0, 0], [0, 1], [5, 7], [1999, 3]):
        assert m.distribution(h).sum() == pytest.approx(1.0, abs=1e-10)


# ====================================================================== perplexity
def test_perplexity_definitions():
    # A uniform model over |V| words has perplexity |V| on any text.
    assert lm.perplexity(np.full(10, 1 / 7)) == pytest.approx(7.0)
    # The geometric mean of 1/p: p = (1/2, 1/8) -> sqrt(2 * 8) = 4.
    assert lm.perplexity([0.5, 0.125]) == pytest.approx(4.0)
    # = 2 ** (cross-entropy in bits)
    p = np.array([0.3, 0.1, 0.6, 0.05])
    assert lm.perplexity(p) == pytest.approx(2 ** (-np.mean(np.log2(p))))
    assert lm.perplexity([0.5, 0.0]) == math.inf
    assert lm.perplexity([0.5, np.nan]) == math.inf
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        lm.perplexity([1.5])


# ====================================================================== errors
def test_ngram_errors_are_clear():
    with pytest.raises(ValueError, match="order must be a positive integer"):
        lm.KneserNey(0)
    with pytest.raises(ValueError, match="discount must be"):
        lm.KneserNey(2, discount="absolute")
    with pytest.raises(ValueError, match="fixed discount must lie in"):
        lm.KneserNey(2, discount=1.5)
    with pytest.raises(ValueError, match="k must be positive"):
        lm.AddK(2, k=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        lm.KneserNey(2).prob([[1]], [2])
    with pytest.raises(ValueError, match="ids must lie in"):
        lm.KneserNey(2, 0.5).fit([0, 7], 5)
    with pytest.raises(ValueError, match="too little data"):
        lm.KneserNey(2).fit(TINY, V5, pad_id=EOS_)
    with pytest.raises(ValueError, match="fallback must be"):
        lm.KneserNey(2, fallback=(0.5, 1.0))
    m = lm.KneserNey(3, 0.5).fit(TINY, V5, pad_id=EOS_)
    with pytest.raises(ValueError, match="needs contexts of at least 2"):
        m.distribution([A])
    with pytest.raises(ValueError, match="target ids must lie in"):
        m.prob([[A, B]], [9])


# ====================================================================== helpers
def _tiny_corpus() -> lm.LMCorpus:
    texts = ["the cat sat on the mat\n\nthe dog sat on the log", "the cat ran\n\nthe dog sat"]
    vocab = Vocab.build(
        [t.split() for t in " ".join(texts).split("\n\n")], specials=("<unk>", lm.EOS)
    )
    return lm.LMCorpus(
        vocab,
        lm.speech_stream(texts[:1], vocab),
        lm.speech_stream(texts[1:], vocab),
        lm.speech_stream(texts[1:], vocab),
    )


def test_continuation_counts_by_hand():
    # "a b a b a c </s>": a occurs 3 times, after b twice -> 1 distinct predecessor (b);
    # b after a (1), c after a (1), </s> after c (1).
    counts, cont = lm.continuation_counts(TINY, V5)
    assert counts.tolist() == [0, 1, 3, 2, 1]
    assert cont.tolist() == [0, 1, 1, 1, 1]


# ====================================================================== the corpus
def test_speech_stream_ends_every_speech_with_eos():
    vocab = Vocab(["a", "b"], specials=("<unk>", lm.EOS))
    ids = lm.speech_stream(["a b\n\nb zzz", "a"], vocab)
    assert vocab.decode(ids) == ["a", "b", lm.EOS, "b", "<unk>", lm.EOS, "a", lm.EOS]
    with pytest.raises(ValueError, match="no tokens"):
        lm.speech_stream(["", "\n\n"], vocab)


def test_corpus_windows_score_every_token_once():
    corpus = _tiny_corpus()
    for n in (1, 2, 3):
        ctx, tgt = corpus.windows("train", n)
        assert ctx.shape == (len(corpus.train), n)
        np.testing.assert_array_equal(tgt, corpus.train)
        # the first target's history is </s> padding; later rows slide by one token
        assert np.all(ctx[0] == corpus.eos_id)
        np.testing.assert_array_equal(ctx[n:, -1], corpus.train[n - 1 : -1])
    with pytest.raises(ValueError, match="unknown split"):
        corpus.split("dev")


@pytest.mark.slow
def test_shakespeare_corpus_matches_the_data_card():
    corpus = lm.shakespeare_corpus(5000)
    assert corpus.V == 5000
    assert corpus.vocab.token(0) == "<unk>" and corpus.vocab.token(1) == lm.EOS
    # one </s> per speech: the data card's speech counts
    speeches = {"train": 26_758, "valid": 2_324, "test": 2_319}
    for split, n in speeches.items():
        assert np.sum(corpus.split(split) == corpus.eos_id) == pytest.approx(n, rel=0.005)
    assert 0 < corpus.oov_rate("test") < 0.1


# ====================================================================== the neural LM
def _small_model(V=11, dtype=np.float64, **kw):
    return lm.FeedforwardLM(V, context=3, d=4, hidden=5, rng=0, dtype=dtype, **kw)


def test_forward_is_the_slides_equations():
    m = _small_model(emb_std=0.5)
    ids = np.array([[1, 2, 3], [10, 10, 0]])
    E, W, b, U, c = m.E.data, m.W.data, m.hidden.b.data, m.U.data, m.output.b.data
    for row, z in zip(ids, m(ids).data):
        e = np.concatenate([E[row[0]], E[row[1]], E[row[2]]])  # [E x_t-3; E x_t-2; E x_t-1]
        h = np.tanh(W @ e + b)
        np.testing.assert_allclose(z, U @ h + c, rtol=1e-12)
    # one-hot x times E picks the row: E^T x (the slides' "E x" needs the transpose)
    x = np.eye(11)[3]
    np.testing.assert_allclose(E.T @ x, E[3])


def test_logits_for_one_context_is_the_forward_pass():
    m = lm.FeedforwardLM(40, context=3, d=8, hidden=12, dropout=0.5, rng=1)  # float32
    ctx = np.array([3, 0, 39])
    m.eval()
    np.testing.assert_allclose(m.logits_for(ctx), m(ctx[None, :]).data[0], rtol=1e-5, atol=1e-6)
    m.train()  # dropout never applies: logits_for is the evaluation-mode forward pass
    np.testing.assert_allclose(m.logits_for([7, 3, 0, 39]), m.logits_for(ctx))
    with pytest.raises(ValueError, match="need 3 context ids"):
        m.logits_for([1, 2])


def test_parameter_counts():
    counts = lm.parameter_counts(5000, 3, 64, 200)
    # by hand: E 5000*64, W 200*192, b 200, U 5000*200, c 5000
    assert counts == {"E": 320_000, "W": 38_400, "b": 200, "U": 1_000_000, "c": 5_000}
    m = lm.FeedforwardLM(50, context=2, d=3, hidden=7, rng=0)
    assert sum(lm.parameter_counts(50, 2, 3, 7).values()) == m.num_parameters()
    assert lm.multiply_adds(5000, 3, 64, 200) == {"W e": 38_400, "U h": 1_000_000}


def test_gradients_match_finite_differences():
    m = _small_model(emb_std=0.5)
    ids = np.array([[1, 2, 3], [3, 3, 1], [0, 5, 9]])
    y = np.array([4, 0, 10])
    loss = F.cross_entropy(m(ids), y)
    m.zero_grad()
    loss.backward()
    for name, p in m.named_parameters():

        def f(x, p=p):
            old = p.data.copy()
            p.data[...] = x
            try:
                return F.cross_entropy(m(ids), y).item()
            finally:
                p.data[...] = old

        numeric = numerical_grad(f, p.data.copy())
        np.testing.assert_allclose(p.grad, numeric, atol=1e-7, err_msg=name)


def test_next_word_probs_and_perplexity_agree():
    m = _small_model()
    ctx = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    tgt = np.array([0, 1, 2])
    probs = np.array([lm.next_word_probs(m, c) for c in ctx])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    p = lm.target_probs(m, ctx, tgt, batch_size=2)
    np.testing.assert_allclose(p, probs[np.arange(3), tgt])
    loss = F.cross_entropy(m(ctx), tgt).item()  # perplexity = exp(cross-entropy)
    assert lm.lm_perplexity(m, ctx, tgt) == pytest.approx(np.exp(loss))
    assert lm.lm_perplexity(m, ctx, tgt) == pytest.approx(lm.perplexity(p))


def test_dropout_only_while_training():
    m = _small_model(dropout=0.5)
    ids = np.array([[1, 2, 3]] * 4)
    m.eval()
    a, b = m(ids).data, m(ids).data
    np.testing.assert_array_equal(a, b)
    m.train()
    assert not np.allclose(m(ids).data, a)
    # evaluation helpers switch dropout off and restore the mode
    lm.next_word_probs(m, [1, 2, 3])
    assert m.training


def test_model_errors_are_clear():
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        lm.FeedforwardLM(10, hidden=0)
    with pytest.raises(ValueError, match=r"expected ids of shape \(N, 3\)"):
        _small_model()(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="unknown activation"):
        lm.FeedforwardLM(10, activation="cubic")


def test_train_lm_is_deterministic_and_follows_its_schedule():
    corpus = _tiny_corpus()
    config = lm.LMConfig(d=4, hidden=8, steps=12, batch_size=4, lr_drop_at=0.5, lr=0.01)
    valid = corpus.windows("valid", 3)
    a = lm.train_lm(corpus, config, valid=valid, valid_every=5)
    b = lm.train_lm(corpus, config)
    assert len(a.step_loss) == 12
    np.testing.assert_array_equal(a.step_loss, b.step_loss)
    for (_, p), (_, q) in zip(a.model.named_parameters(), b.model.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert a.valid_steps == [5, 10, 12]
    assert a.valid_ppl[-1] == pytest.approx(lm.lm_perplexity(a.model, *valid))
    assert not a.model.training  # fit leaves the model in evaluation mode
    other = lm.train_lm(corpus, lm.LMConfig(**{**config.__dict__, "seed": 1}))
    assert not np.array_equal(other.step_loss, a.step_loss)


def test_learning_rate_drops_once(monkeypatch):
    corpus = _tiny_corpus()
    seen = []

    class Spy:
        def on_step_end(self, state):
            seen.append(state.optimizer.lr)

    config = lm.LMConfig(d=4, hidden=8, steps=10, batch_size=4, lr=0.01, lr_drop_at=0.6)
    lm.train_lm(corpus, config, callbacks=[Spy()])
    # the drop happens at the end of step 6 (60% of 10): steps 7-10 use lr / 3
    assert seen[:5] == [0.01] * 5 and seen[5:] == pytest.approx([0.01 / 3] * 5)


def test_training_lowers_the_loss():
    corpus = lm.pet_corpus(600)
    run = lm.train_lm(corpus, lm.PET_CONFIG)
    first, last = run.step_loss[:20].mean(), run.step_loss[-50:].mean()
    assert last < 0.5 * first
    ctx, tgt = corpus.windows("valid", 3)
    uniform = corpus.V  # a uniform guess has perplexity |V|
    assert lm.lm_perplexity(run.model, ctx, tgt) < uniform / 5


def test_config_hash_tracks_settings_and_code_version(monkeypatch):
    a = lm.config_hash(lm.LMConfig())
    assert a == lm.config_hash(lm.LMConfig())
    assert a != lm.config_hash(lm.LMConfig(dropout=0.2))
    monkeypatch.setattr(lm, "TRAINING_CODE_VERSION", lm.TRAINING_CODE_VERSION + 1)
    assert a != lm.config_hash(lm.LMConfig())


# ====================================================================== mixtures
@given(
    p=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=20),
    q=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=20),
)
def test_tuned_mixture_is_at_least_as_good_as_either_model(p, q):
    n = min(len(p), len(q))
    p, q = np.array(p[:n]), np.array(q[:n])
    lam, ppl = lm.tune_mixture(p, q)
    assert 0 <= lam <= 1
    assert ppl <= min(lm.perplexity(p), lm.perplexity(q)) + 1e-9
    assert ppl == pytest.approx(lm.perplexity(lam * p + (1 - lam) * q))


# ====================================================================== generation
def test_adjust_temperature_and_top_k():
    z = np.array([2.0, 1.0, 0.0, -1.0])
    np.testing.assert_allclose(lm.adjust(z), np.exp(z) / np.exp(z).sum())
    # T = 0.5 is softmax(2 z)
    np.testing.assert_allclose(lm.adjust(z, 0.5), np.exp(2 * z) / np.exp(2 * z).sum())
    cold = lm.adjust(z, 0.01)
    assert cold[0] == pytest.approx(1.0)
    hot = lm.adjust(z, 100.0)
    np.testing.assert_allclose(hot, 0.25, atol=0.01)
    top2 = lm.adjust(z, 1.0, top_k=2)
    np.testing.assert_allclose(top2, [np.e / (np.e + 1), 1 / (np.e + 1), 0, 0])
    # log-probabilities with -inf (an n-gram's zeros) are fine
    logp = np.array([np.log(0.5), np.log(0.5), -np.inf])
    np.testing.assert_allclose(lm.adjust(logp, 2.0), [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="temperature must be positive"):
        lm.adjust(z, 0.0)
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        lm.adjust(z, 1.0, top_k=0)


def test_sampling_follows_the_distribution():
    p = np.array([0.5, 0.2, 0.2, 0.1, 0.0])
    rng = np.random.default_rng(123)
    draws = np.array([lm.sample_next(p, rng) for _ in range(20_000)])
    freq = np.bincount(draws, minlength=5) / len(draws)
    # 20,000 draws: each frequency within 5 standard errors of its probability
    se = np.sqrt(p * (1 - p) / len(draws))
    assert np.all(np.abs(freq - p) <= 5 * se + 1e-12)
    assert freq[4] == 0


def test_generate_is_seeded_and_stops():
    def logits(history):  # a "model" that always prefers the id after the last one
        z = np.full(5, -5.0)
        z[(history[-1] + 1) % 5] = 5.0
        return z

    a = lm.generate(logits, [0], 8, temperature=0.5, rng=3)
    assert a == lm.generate(logits, [0], 8, temperature=0.5, rng=3)
    assert a[:4] == [1, 2, 3, 4]
    assert lm.generate(logits, [0], 8, temperature=0.1, stop=3, rng=0) == [1, 2, 3]


def test_detokenize():
    assert lm.detokenize(["i", "love", "thee", ",", "my", "lord", "!", lm.EOS, "ay", "."]) == (
        "I love thee, my lord!\nay."
    )


def test_sample_text_from_both_kinds_of_model():
    corpus = lm.pet_corpus(400)
    kn = lm.KneserNey(3, 0.75).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    model = lm.train_lm(corpus, lm.LMConfig(**{**lm.PET_CONFIG.__dict__, "steps": 50})).model
    for m in (kn, model):
        a = lm.sample_text(m, corpus.vocab, "the cat", 12, temperature=0.7, seed=1)
        assert a == lm.sample_text(m, corpus.vocab, "the cat", 12, temperature=0.7, seed=1)
        assert len(a) == 12 and all(w in corpus.vocab for w in a)
    # top_k = 1 is greedy: always the most probable next word
    greedy = lm.sample_text(kn, corpus.vocab, "the cat gets", 1, top_k=1, seed=5)
    p = kn.distribution(corpus.encode("cat gets"))
    assert greedy == [corpus.vocab.token(int(np.argmax(p)))]
    t = lm.temperature_table(model, corpus.vocab, "the cat", 0.5, 3, k=5)
    # the three kept words are the three most probable ones: all of q is on them
    assert t["kept"] == 3 and t["q"].sum() == pytest.approx(1.0) and np.all(t["q"][3:] == 0)
    p = lm.next_word_probs(model, corpus.vocab.encode([lm.EOS, "the", "cat"]))
    np.testing.assert_allclose(t["p"], np.sort(p)[::-1][:5])


# ====================================================================== cat gets fed
@pytest.fixture(scope="module")
def pets():
    seeds = (0, 1, 2)
    return lm.pet_experiment(shared=True, seeds=seeds), lm.pet_experiment(shared=False, seeds=seeds)


def test_pet_corpus_never_says_dog_gets():
    for shared in (True, False):
        text = " ".join(lm.pet_sentences(3000, shared=shared, seed=0))
        assert "cat gets fed" in text and "dog gets" not in text
        assert ("the dog is hungry" in text) == shared


def test_neural_lm_predicts_fed_for_the_dog_only_when_it_shares_the_cats_company(pets):
    shared, control = pets
    # Kneser-Ney has never seen "dog gets": it backs off to "gets ___", the same in both corpora
    assert shared.p_kn["the dog gets"] < 0.1 and control.p_kn["the dog gets"] < 0.1
    assert shared.p_kn["the cat gets"] > 0.9
    # the neural LM transfers "fed" from the cat to the dog, for every seed...
    assert np.all(shared.p_neural["the dog gets"] > 0.5)
    assert np.all(shared.p_neural["the dog gets"] > 10 * shared.p_kn["the dog gets"])
    # ... but not to the car, and not when the dog never shares the cat's sentences
    assert np.all(shared.p_neural["the car gets"] < 0.05)
    assert np.all(control.p_neural["the dog gets"] < 0.2)


def test_cat_and_dog_embeddings_are_closer_when_they_share_contexts(pets):
    shared, control = pets

    def cos(model, vocab):
        a, b = model.E.data[vocab["cat"]], model.E.data[vocab["dog"]]
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    s = [cos(m, shared.corpus.vocab) for m in shared.models]
    c = [cos(m, control.corpus.vocab) for m in control.models]
    assert min(s) > max(c)


def test_nearest_neighbours():
    vocab = Vocab(["a", "b", "c", "d"], specials=("<unk>",))
    E = np.array([[9.0, 9.0], [1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    got = lm.nearest_neighbours(E, vocab, "a", 3)
    assert [w for w, _ in got] == ["b", "c", "d"]  # <unk> is skipped though it is closest
    assert got[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    with pytest.raises(KeyError, match="not in the vocabulary"):
        lm.nearest_neighbours(E, vocab, "zebra")


def test_next_word_table(pets):
    shared, _ = pets
    model, kn, vocab = shared.models[0], shared.kn, shared.corpus.vocab
    t = lm.next_word_table(model, kn, vocab, "zebra dog gets", k=4, probe="fed")
    assert t["neural_context"] == ["<unk>", "dog", "gets"] and t["kn_context"] == ["dog", "gets"]
    assert t["unknown"] == ["zebra"]
    assert len(t["neural"]) == 4 and t["neural"][0][0] == "fed"
    assert t["probe_neural"] == pytest.approx(t["neural"][0][1]) and t["probe_rank_neural"] == 1
    p = kn.distribution(vocab.encode(["dog", "gets"]))
    assert t["probe_kn"] == pytest.approx(p[vocab["fed"]])
    short = lm.next_word_table(model, kn, vocab, "", k=3)
    assert short["neural_context"] == [lm.EOS] * 3
    with pytest.raises(ValueError, match="not in the"):
        lm.next_word_table(model, kn, vocab, "the", probe="zebra")


def test_training_order_is_shuffled_passes():
    order = lm.training_order(10, 25, seed=3)
    assert len(order) == 25
    for start in (0, 10):  # every full pass visits each window exactly once
        assert sorted(order[start : start + 10]) == list(range(10))
    assert len(set(order[20:])) == 5
    np.testing.assert_array_equal(order, lm.training_order(10, 25, seed=3))
    assert not np.array_equal(order[:10], order[10:20])  # a new order for each pass
    with pytest.raises(ValueError, match="count >= 1"):
        lm.training_order(10, 0, seed=0)


# ====================================================================== the full-size results
def _script():
    """scripts/train_lm.py as a module (it is a script, not part of the package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_lm.py"
    spec = importlib.util.spec_from_file_location("train_lm_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_saved_results_match_the_script_and_the_training_code():
    # The chapter quotes nnlib/chapters/lm_results.json. If the configurations in the script or
    # the training code (TRAINING_CODE_VERSION) change, the file is stale: rerun the script.
    results = lm.full_run_results()
    script = _script()
    assert results["training_code_version"] == lm.TRAINING_CODE_VERSION
    assert set(results["runs"]) == set(script.CONFIGS)
    for name, config in script.CONFIGS.items():
        saved = results["runs"][name]
        assert saved["config"] == dict(config.__dict__), name
        assert saved["config_hash"] == lm.config_hash(config), (
            f"{name}: the results were made with other settings or training code; "
            "rerun python scripts/train_lm.py"
        )
    assert script.TUNED == lm.FULL_CONFIG


def test_saved_results_are_consistent():
    results = lm.full_run_results()
    kn = results["kn_trigram"]
    for r in results["runs"].values():
        assert r["valid_steps"][-1] == r["config"]["steps"]
        # the last check during training is the final model on the same validation windows
        assert r["valid"] == pytest.approx(r["valid_ppl"][-1], rel=1e-9)
        assert r["best_valid"]["ppl"] == min(r["valid_ppl"])
        mix = r["mixture"]
        assert 0 <= mix["lambda"] <= 1
        # a mixture tuned on validation data is at least as good there as either model
        assert mix["valid"] <= min(r["valid"], kn["valid"]) + 1e-9
        assert len(r["neighbours"]["king"]) == 5
    # what the chapter says about the two settings
    tuned, default = results["runs"]["tuned"], results["runs"]["default"]
    assert tuned["test"] < kn["test"] < default["test"]
    assert default["valid"] > default["best_valid"]["ppl"] + 3  # it overfits: the curve rises
    assert tuned["mixture"]["test"] < 0.9 * kn["test"]


@pytest.mark.slow
def test_saved_kneser_ney_numbers_are_reproduced():
    # The n-gram part of the saved file is cheap to recompute: same data, same code, same numbers.
    corpus = lm.shakespeare_corpus(5000)
    kn = lm.KneserNey(3).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    saved = lm.full_run_results()["kn_trigram"]
    assert kn.perplexity(corpus.valid) == pytest.approx(saved["valid"], rel=1e-9)
    assert kn.perplexity(corpus.test) == pytest.approx(saved["test"], rel=1e-9)
