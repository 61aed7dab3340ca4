"""nnlib.text: tokenisation rules, Vocab ids and round trips, padding masks, LM windows,
n-grams and the six sentiment features (worked by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.text import PAD, UNK, Vocab, ngrams, pad, sentiment_features, tokenize, windows

words = st.lists(st.sampled_from("the cat dog sat on a mat , ! good bad".split()), max_size=30)


def test_tokenize_rules():
    assert tokenize("It's a well-made, GREAT film!!") == [
        "it's",
        "a",
        "well-made",
        ",",
        "great",
        "film",
        "!",
        "!",
    ]
    assert tokenize("  no\n(really)  ") == ["no", "(", "really", ")"]
    assert tokenize("Café déjà-vu 9-year") == ["café", "déjà-vu", "9-year"]
    assert tokenize("end-") == ["end", "-"]  # a hyphen needs letters on both sides
    assert tokenize("") == []
    with pytest.raises(TypeError, match="string"):
        tokenize(["a", "list"])


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=60))
def test_tokens_never_contain_spaces_and_cover_every_non_space_character(text):
    toks = tokenize(text)
    assert all(t and not any(c.isspace() for c in t) for t in toks)
    assert "".join(toks) == "".join(text.lower().split())


def test_vocab_order_specials_and_unknowns():
    texts = [["b", "a", "c", "a"], ["c", "a", "d"]]
    v = Vocab.build(texts)
    # specials first, then by count (a:3, c:2), ties alphabetical (b, d: 1 each)
    assert v.itos == [PAD, UNK, "a", "c", "b", "d"]
    assert (v.pad_id, v.unk_id, v["a"], v["zebra"]) == (0, 1, 2, 1)
    assert list(v.encode(["d", "zebra", "a"])) == [5, 1, 2]
    assert v.decode([2, 3]) == ["a", "c"]
    assert len(v) == 6 and "c" in v and "zebra" not in v
    small = Vocab.build(texts, min_count=2)
    assert small.itos == [PAD, UNK, "a", "c"]
    capped = Vocab.build(texts, max_size=3)
    assert capped.itos == [PAD, UNK, "a"]
    with pytest.raises(TypeError, match="tokenize"):
        Vocab.build(["a string, not tokens"])
    with pytest.raises(IndexError):
        v.token(6)


def test_vocab_without_specials_looks_up_known_words():
    """A vocabulary without <unk> (e.g. GloVe's words) finds its words; only an unknown word is
    an error, and the error says why."""
    v = Vocab(["good", "bad"], specials=())
    assert (v["good"], v["bad"]) == (0, 1)
    with pytest.raises(KeyError, match="no <unk>"):
        v["zebra"]


@settings(max_examples=30, deadline=None)
@given(st.lists(words, min_size=1, max_size=5))
def test_vocab_encode_decode_round_trip(texts):
    v = Vocab.build(texts)
    for toks in texts:
        assert v.decode(v.encode(toks)) == toks
    counts = {}
    for toks in texts:
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
    assert len(v) == 2 + len(counts)
    ids = [v[t] for t in sorted(counts, key=lambda t: (-counts[t], t))]
    assert ids == list(range(2, len(v)))  # most frequent first


def test_vocab_save_and_load(tmp_path):
    v = Vocab.build([["x", "y", "y"]], specials=(PAD, UNK, "<s>"))
    v.save(tmp_path / "v.json")
    w = Vocab.load(tmp_path / "v.json")
    assert w.itos == v.itos and w.specials == v.specials and w.counts == {"x": 1, "y": 2}


def test_pad_and_mask():
    ids, mask = pad([[5, 6, 7], [8], []], pad_id=0)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    ids, mask = pad([[5, 6, 7], [8]], max_len=2)
    np.testing.assert_array_equal(ids, [[5, 6], [8, 0]])  # truncated: the start is kept
    assert ids.dtype == np.int64
    with pytest.raises(ValueError):
        pad([])


def test_windows_are_the_markov_contexts():
    ctx, tgt = windows([10, 11, 12, 13, 14], 3)
    np.testing.assert_array_equal(ctx, [[10, 11, 12], [11, 12, 13]])
    np.testing.assert_array_equal(tgt, [13, 14])
    ctx, tgt = windows([10, 11, 12], 2, pad_id=0)  # every token becomes a target
    np.testing.assert_array_equal(ctx, [[0, 0], [0, 10], [10, 11]])
    np.testing.assert_array_equal(tgt, [10, 11, 12])
    assert windows([1, 2], 2)[0].shape == (0, 2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=20), st.integers(1, 4))
def test_windows_against_a_loop(stream, n):
    ctx, tgt = windows(stream, n)
    pairs = [(stream[t - n : t], stream[t]) for t in range(n, len(stream))]
    assert [list(c) for c in ctx] == [p[0] for p in pairs]
    assert list(tgt) == [p[1] for p in pairs]


def test_ngrams():
    assert ngrams("a b c d".split(), 2) == [("a", "b"), ("b", "c"), ("c", "d")]
    assert ngrams("a b".split(), 3) == []
    with pytest.raises(ValueError):
        ngrams(["a"], 0)


def test_sentiment_features_worked_by_hand():
    pos, neg = {"great", "fun", "love"}, {"no", "boring", "bad"}
    toks = tokenize("No, I love it! Great fun, great cast, you will love it, not boring.")
    x = sentiment_features(toks, pos, neg)
    words_ = "no i love it great fun great cast you will love it not boring".split()
    # x1: love, great, fun, great, love = 5; x2: no, boring = 2; x3: "no" present;
    # x4: i, you = 2; x5: "!" present; x6: ln(14 words), punctuation not counted
    np.testing.assert_allclose(x, [5, 2, 1, 2, 1, math.log(len(words_))])
    empty = sentiment_features([], pos, neg)
    np.testing.assert_array_equal(empty, np.zeros(6))


def test_pronoun_contractions_count_in_x4():
    # tokenize keeps "you're" and "i'm" whole; each still contains a 1st/2nd-person pronoun.
    toks = tokenize("You're going to love it, I'm sure; we've seen worse. Let's go, it's fine.")
    assert "you're" in toks and "i'm" in toks
    x4 = sentiment_features(toks, set(), set())[3]
    assert x4 == 3  # you're, i'm, we've; not let's ("let"), not it's ("it")
    assert sentiment_features(["your", "yours", "y'all", "mine's"], set(), set())[3] == 3
