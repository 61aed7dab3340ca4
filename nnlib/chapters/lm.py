"""Language models: n-gram baselines, perplexity, and the feedforward neural language model.

Book: chapter 5, "The feedforward neural language model". The chapter's equations, in the names
used here (ids are rows of the vocabulary; a context is the n - 1 or N ids before the target):

- the Markov approximation (5.1):  P(w_t | w_1..w_{t-1}) ~ P(w_t | w_{t-N+1}..w_{t-1})
- maximum likelihood (5.2):        P(w | h) = c(h w) / c(h)
- add-k smoothing (5.2):           P(w | h) = (c(h w) + k) / (c(h) + k |V|)
- interpolated Kneser-Ney (5.2):   P(w | h) = max(c(h w) - D, 0) / c(h) + gamma(h) P(w | h'),
                                   lower orders on continuation counts N1+(. h' w)
- perplexity (5.3):                PP = exp(-(1/T) sum_t log P(w_t | h_t)) = exp(cross-entropy)
- the feedforward LM (5.4):        e = [E x_{t-3}; E x_{t-2}; E x_{t-1}],  h = tanh(W e + b),
                                   z = U h + c,  y_hat = softmax(z)
- generation (5.7):                p_i proportional to exp(z_i / T), optionally only the top k

Everything here is numpy or nnlib; the chapter's widgets (``nnlib.widgets.lm``) only call it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..init import as_rng
from ..tensor import Tensor, no_grad
from ..text import UNK, Vocab, tokenize, windows
from ..train import History, fit

__all__ = [
    "EOS",
    "LMCorpus",
    "speech_stream",
    "shakespeare_corpus",
    "NGramLM",
    "MLE",
    "AddK",
    "KneserNey",
    "perplexity",
    "continuation_counts",
    "tune_add_k",
    "FeedforwardLM",
    "LMConfig",
    "CHAPTER_CONFIG",
    "FULL_CONFIG",
    "full_run_results",
    "RESULTS_FILE",
    "TRAINING_CODE_VERSION",
    "config_hash",
    "LMRun",
    "training_order",
    "train_lm",
    "evaluating",
    "target_probs",
    "next_word_probs",
    "lm_perplexity",
    "tune_mixture",
    "parameter_counts",
    "multiply_adds",
    "nearest_neighbours",
    "context_ids",
    "next_word_table",
    "adjust",
    "top_k",
    "sample_next",
    "generate",
    "detokenize",
    "next_logits_fn",
    "sample_text",
    "temperature_table",
    "pet_sentences",
    "pet_corpus",
    "PetExperiment",
    "PET_CONFIG",
    "PET_CONTEXTS",
    "pet_experiment",
]

EOS = "</s>"  # the end of a speech; also the context before the first word of a text


# ====================================================================== the corpus
@dataclass
class LMCorpus:
    """A vocabulary and three id streams (train, valid, test) for language modelling.

    Each stream is the texts' tokens with ``</s>`` after every speech (or sentence). Words not in
    the vocabulary are ``<unk>``, which the models predict like any other word, so perplexities
    are comparable only between models with the same vocabulary.
    """

    vocab: Vocab
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    @property
    def V(self) -> int:
        return len(self.vocab)

    @property
    def eos_id(self) -> int:
        return self.vocab[EOS]

    def split(self, name: str) -> np.ndarray:
        """The id stream of ``name`` ("train", "valid" or "test")."""
        if name not in ("train", "valid", "test"):
            raise ValueError(f"unknown split {name!r}; choose 'train', 'valid' or 'test'")
        return getattr(self, name)

    def windows(self, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(contexts (T, n), targets (T,)): every token of the split with the n ids before it.

        The first tokens' missing history is ``</s>`` (the text starts after an end of speech),
        so every token is a target exactly once, for every n: all models are scored on the
        same T predictions.
        """
        return windows(self.split(name), n, pad_id=self.eos_id)

    def oov_rate(self, name: str) -> float:
        """The fraction of the split's tokens that are ``<unk>``."""
        return float(np.mean(self.split(name) == self.vocab.unk_id))

    def encode(self, text: str) -> np.ndarray:
        """The ids of a text's tokens (unknown words become ``<unk>``)."""
        return self.vocab.encode(tokenize(text))


def speech_stream(texts: Iterable[str], vocab: Vocab) -> np.ndarray:
    """One id stream: each text split into speeches (paragraphs), tokenised, ``</s>`` after each."""
    eos = vocab[EOS]
    parts: list[np.ndarray] = []
    for text in texts:
        for speech in text.split("\n\n"):
            tokens = tokenize(speech)
            if tokens:
                parts.append(vocab.encode(tokens))
                parts.append(np.array([eos], dtype=np.int64))
    if not parts:
        raise ValueError("speech_stream: the texts hold no tokens")
    return np.concatenate(parts)


def shakespeare_corpus(vocab_size: int = 5000) -> LMCorpus:
    """Shakespeare's plays split by play (``nnlib.data.load_shakespeare``) as id streams.

    The vocabulary is the ``vocab_size`` - 2 most frequent tokens of the training plays plus
    ``<unk>`` and ``</s>`` (ids 0 and 1); it is built from the training plays only.
    """
    from ..data import load_shakespeare

    plays = load_shakespeare()
    train_speeches = [tokenize(s) for t in plays.train.texts for s in t.split("\n\n")]
    vocab = Vocab.build(train_speeches, max_size=vocab_size, specials=(UNK, EOS))
    return LMCorpus(
        vocab=vocab,
        train=speech_stream(plays.train.texts, vocab),
        valid=speech_stream(plays.valid.texts, vocab),
        test=speech_stream(plays.test.texts, vocab),
    )


# ====================================================================== n-gram models
def _keys(grams: np.ndarray, V: int) -> np.ndarray:
    """One int64 per row of ids: the row read as a number in base V (w1 V^(k-1) + ... + wk)."""
    key = np.zeros(len(grams), dtype=np.int64)
    for j in range(grams.shape[1]):
        key = key * V + grams[:, j]
    return key


def _find(sorted_keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, found): where each query is in a sorted key array, and whether it is there."""
    idx = np.searchsorted(sorted_keys, query)
    safe = np.minimum(idx, max(len(sorted_keys) - 1, 0))
    found = (idx < len(sorted_keys)) & (sorted_keys[safe] == query) if len(sorted_keys) else idx < 0
    return safe, found


@dataclass
class _Counts:
    """The k-grams of one order: sorted keys with a count each, grouped by their context.

    For the group of k-grams that share the context h (their first k - 1 words): ``ctx`` holds
    h's key, ``start`` where its run of keys begins, ``total`` the sum of its counts, and
    ``n1``, ``n2``, ``n3`` how many of its words have count 1, 2 and 3 or more.
    """

    k: int
    V: int
    keys: np.ndarray
    counts: np.ndarray
    ctx: np.ndarray = field(init=False)
    start: np.ndarray = field(init=False)
    stop: np.ndarray = field(init=False)
    total: np.ndarray = field(init=False)
    n1: np.ndarray = field(init=False)
    n2: np.ndarray = field(init=False)
    n3: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ctx_of_key = self.keys // self.V
        self.ctx, self.start = np.unique(ctx_of_key, return_index=True)
        self.stop = np.append(self.start[1:], len(self.keys))
        c = self.counts
        self.total = np.add.reduceat(c, self.start) if len(c) else c.copy()
        self.n1 = np.add.reduceat((c == 1).astype(np.int64), self.start) if len(c) else c.copy()
        self.n2 = np.add.reduceat((c == 2).astype(np.int64), self.start) if len(c) else c.copy()
        self.n3 = np.add.reduceat((c >= 3).astype(np.int64), self.start) if len(c) else c.copy()

    @classmethod
    def from_keys(cls, keys: np.ndarray, k: int, V: int) -> _Counts:
        """Count each distinct key."""
        u, c = np.unique(keys, return_counts=True)
        return cls(k, V, u, c.astype(np.float64))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The count of each key (0 for keys never seen)."""
        idx, found = _find(self.keys, keys)
        return np.where(found, self.counts[idx] if len(self.counts) else 0.0, 0.0)

    def context(self, ctx_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into the context arrays, found) for each context key."""
        return _find(self.ctx, ctx_keys)

    def count_of_counts(self, up_to: int = 4) -> np.ndarray:
        """n_j = the number of k-grams with count exactly j, for j = 1..up_to (Good-Turing)."""
        return np.array([np.sum(self.counts == j) for j in range(1, up_to + 1)], dtype=np.float64)


class NGramLM:
    """An n-gram language model over the ids 0..V-1: the shared machinery (book: 5.2).

    ``fit(ids, V)`` counts the n-grams of an id stream; the first words' missing history is
    ``pad_id`` (the corpus' ``</s>``). ``prob(contexts, targets)`` gives P(w | h) for many
    (context, word) pairs at once, ``distribution(context)`` the whole distribution over the
    vocabulary after one context; only the last ``order - 1`` ids of a context are used.
    """

    name = "n-gram"

    def __init__(self, order: int):
        if not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(
                f"{type(self).__name__}: order must be a positive integer, got {order!r}"
            )
        self.order = int(order)
        self.V = 0

    # ------------------------------------------------------------------ counting
    def fit(self, ids: Sequence[int], V: int, *, pad_id: int = 1) -> NGramLM:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) == 0:
            raise ValueError(f"{type(self).__name__}.fit: no training ids")
        if V < 1 or ids.min() < 0 or ids.max() >= V:
            raise ValueError(
                f"{type(self).__name__}.fit: ids must lie in [0, V - 1] = [0, {V - 1}], got "
                f"{ids.min()}..{ids.max()}"
            )
        if not 0 <= pad_id < V:
            raise ValueError(f"{type(self).__name__}.fit: pad_id {pad_id} is not in [0, {V - 1}]")
        self.V, self.pad_id = int(V), int(pad_id)
        if self.V**self.order >= 2**62:
            raise ValueError(f"order {self.order} with V = {V}: n-gram keys overflow int64")
        ctx, tgt = windows(ids, self.order - 1, pad_id=pad_id) if self.order > 1 else (None, ids)
        grams = tgt[:, None] if ctx is None else np.column_stack([ctx, tgt])
        self.top = _Counts.from_keys(_keys(grams, self.V), self.order, self.V)
        self._fit_levels()
        return self

    def _fit_levels(self) -> None:
        """Subclasses prepare what their probabilities need (default: nothing)."""

    def _check_fitted(self) -> None:
        if not self.V:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(ids, V) first")

    def _contexts(self, contexts: Any, n_rows: int | None = None) -> np.ndarray:
        """Contexts as an (N, order - 1) int array (the last order - 1 ids of each row)."""
        c = np.asarray(contexts, dtype=np.int64)
        if c.ndim == 1:
            c = c[None, :] if n_rows is None else np.broadcast_to(c, (n_rows, c.shape[0]))
        need = self.order - 1
        if c.shape[1] < need:
            raise ValueError(
                f"{type(self).__name__}(order={self.order}) needs contexts of at least {need} "
                f"ids, got {c.shape[1]}"
            )
        c = c[:, c.shape[1] - need :]
        if c.size and (c.min() < 0 or c.max() >= self.V):
            raise ValueError(f"context ids must lie in [0, {self.V - 1}]")
        return c

    # ------------------------------------------------------------------ probabilities
    def prob(self, contexts: Any, targets: Any) -> np.ndarray:
        """P(w | h) for each row: ``contexts`` (N, >= order - 1) ids, ``targets`` (N,) ids."""
        self._check_fitted()
        t = np.asarray(targets, dtype=np.int64).reshape(-1)
        if t.size and (t.min() < 0 or t.max() >= self.V):
            raise ValueError(f"target ids must lie in [0, {self.V - 1}], got {t.min()}..{t.max()}")
        c = self._contexts(contexts, len(t))
        if len(c) != len(t):
            raise ValueError(f"{len(c)} contexts but {len(t)} targets")
        return self._prob(c, t)

    def distribution(self, context: Any) -> np.ndarray:
        """P(w | context) for every word w of the vocabulary: a (V,) array."""
        self._check_fitted()
        c = self._contexts(np.asarray(context, dtype=np.int64).reshape(1, -1))[0]
        return self._distribution(c)

    def _prob(self, c: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _distribution(self, c: np.ndarray) -> np.ndarray:
        words = np.arange(self.V)
        return self._prob(np.broadcast_to(c, (self.V, len(c))), words)

    def perplexity(self, ids: Sequence[int]) -> float:
        """Perplexity on an id stream (every token a target; history padded as in ``fit``)."""
        ctx, tgt = windows(
            np.asarray(ids, dtype=np.int64), max(self.order - 1, 1), pad_id=self.pad_id
        )
        return perplexity(self.prob(ctx, tgt))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(order={self.order})"


class MLE(NGramLM):
    """Maximum-likelihood estimates: P(w | h) = c(h w) / c(h) (book: 5.2).

    A word never seen after h gets probability 0, and a context never seen has no estimate at
    all (0 / 0): ``prob`` returns NaN there. Both make the perplexity of new text infinite.
    """

    name = "MLE"

    def _context_totals(self, c: np.ndarray) -> np.ndarray:
        if self.order == 1:
            return np.full(len(c), self.top.counts.sum())
        idx, found = self.top.context(_keys(c, self.V))
        return np.where(found, self.top.total[idx] if len(self.top.total) else 0.0, 0.0)

    def _prob(self, c: np.ndarray, t: np.ndarray) -> np.ndarray:
        keys = _keys(np.column_stack([c, t]), self.V)
        total = self._context_totals(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.top.lookup(keys) / total  # 0 / 0 = NaN for unseen contexts


class AddK(NGramLM):
    """Add-k smoothing: P(w | h) = (c(h w) + k) / (c(h) + k |V|) (book: 5.2; k = 1 is Laplace).

    Every word gets at least k "imaginary" counts, so nothing has probability 0; an unseen
    context gives the uniform distribution 1 / |V|.
    """

    name = "add-k"

    def __init__(self, order: int, k: float = 1.0):
        super().__init__(order)
        if not k > 0:
            raise ValueError(f"AddK: k must be positive, got {k}")
        self.k = float(k)

    def _prob(self, c: np.ndarray, t: np.ndarray) -> np.ndarray:
        keys = _keys(np.column_stack([c, t]), self.V)
        if self.order == 1:
            total = np.full(len(t), self.top.counts.sum())
        else:
            idx, found = self.top.context(_keys(c, self.V))
            total = np.where(found, self.top.total[idx], 0.0)
        return (self.top.lookup(keys) + self.k) / (total + self.k * self.V)

    def __repr__(self) -> str:
        return f"AddK(order={self.order}, k={self.k:g})"


class KneserNey(NGramLM):
    """Interpolated Kneser-Ney smoothing (Kneser & Ney 1995; Chen & Goodman 1998) (book: 5.2).

    For the highest order, with raw counts c:

        P(w | h) = max(c(h w) - D(c(h w)), 0) / c(h)  +  gamma(h) P(w | h'),
        gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3 N3+(h .)) / c(h),

    where h' is h without its first word and N_j(h .) is the number of words seen exactly j
    times after h (3+: at least 3 times); gamma(h) is exactly the mass the discounts took away,
    so the distribution sums to 1. A context never seen gives P(w | h) = P(w | h').
    Lower orders use the same formula on **continuation counts** N1+(. h' w), the number of
    different words seen before h' w, in place of c: "how many contexts does w complete",
    not "how often". The unigram level interpolates with the uniform distribution 1 / |V|.

    ``discount``: ``"modified"`` (default: three discounts D1, D2, D3+ per order estimated from
    the counts of counts n_j, Chen & Goodman's modified KN), ``"single"`` (one discount per
    order, D = n1 / (n1 + 2 n2)), or a number used for every order and count. Small or
    artificial data may lack the counts of counts (e.g. no word completes only one context);
    then ``fit`` raises, unless ``fallback`` gives (D1, D2, D3+) to use for such orders
    (KenLM's ``--discount_fallback`` uses 0.5, 1, 1.5); ``fallback_orders`` lists them.
    """

    name = "Kneser-Ney"

    def __init__(
        self,
        order: int,
        discount: str | float = "modified",
        *,
        fallback: tuple[float, float, float] | None = None,
    ):
        super().__init__(order)
        if fallback is not None and not (
            len(fallback) == 3 and all(0 < d <= j for j, d in enumerate(fallback, start=1))
        ):
            raise ValueError(
                f"KneserNey: fallback must be (D1, D2, D3+) with 0 < Dj <= j, got {fallback}"
            )
        self.fallback = None if fallback is None else tuple(float(d) for d in fallback)
        if isinstance(discount, str):
            if discount not in ("modified", "single"):
                raise ValueError(
                    f"KneserNey: discount must be 'modified', 'single' or a number, got "
                    f"{discount!r}"
                )
        elif not 0 < float(discount) <= 1:
            # D > 1 would take more from a word seen once than it has: the sum would exceed 1.
            raise ValueError(f"KneserNey: a fixed discount must lie in (0, 1], got {discount}")
        self.discount = discount

    def _fit_levels(self) -> None:
        levels = {self.order: self.top}
        for k in range(self.order - 1, 0, -1):
            # continuation counts: each distinct (k+1)-gram contributes 1 to the k-gram it ends in
            suffix = levels[k + 1].keys % (self.V**k)
            levels[k] = _Counts.from_keys(suffix, k, self.V)
        self.levels = levels
        self.fallback_orders: list[int] = []
        self.discounts = {k: self._estimate_discounts(levels[k]) for k in levels}
        self.gamma_num = {k: self._gamma_sum(levels[k], k) for k in levels}
        # The unigram level once for all: max(a - D, 0) / A + gamma / V.
        lev = levels[1]
        p = np.zeros(self.V)
        a = lev.counts
        words = lev.keys  # k = 1: the key is the word
        A = lev.total[0]
        p[words] = np.maximum(a - self._d(a, 1), 0) / A
        p += self._gamma_sum(lev, 1)[0] / A / self.V
        self.unigram = p

    def _estimate_discounts(self, lev: _Counts) -> tuple[float, float, float]:
        if not isinstance(self.discount, str):
            d = float(self.discount)
            return d, d, d
        n1, n2, n3, n4 = lev.count_of_counts(4)
        if n1 == 0 or n2 == 0 or (self.discount == "modified" and (n3 == 0 or n4 == 0)):
            if self.fallback is not None:
                self.fallback_orders.append(lev.k)
                return self.fallback
            raise ValueError(
                f"KneserNey: too little data to estimate the order-{lev.k} discounts from "
                f"counts of counts n1..n4 = {int(n1)}, {int(n2)}, {int(n3)}, {int(n4)}; pass a "
                f"fixed discount, e.g. KneserNey({self.order}, discount=0.75), or "
                f"fallback=(0.5, 1.0, 1.5)"
            )
        Y = n1 / (n1 + 2 * n2)
        if self.discount == "single":
            return Y, Y, Y
        d = (1 - 2 * Y * n2 / n1, 2 - 3 * Y * n3 / n2, 3 - 4 * Y * n4 / n3)
        if not all(0 < dj <= j for j, dj in enumerate(d, start=1)):
            if self.fallback is not None:
                self.fallback_orders.append(lev.k)
                return self.fallback
            raise ValueError(
                f"KneserNey: the order-{lev.k} discounts estimated from the counts of counts "
                f"are out of range: {d}; pass discount='single' or a fixed number"
            )
        return d

    def _d(self, a: np.ndarray, k: int) -> np.ndarray:
        """D(a) at order k: D1 for a = 1, D2 for a = 2, D3+ for a >= 3, 0 for a = 0."""
        d1, d2, d3 = self.discounts[k]
        return np.select([a == 1, a == 2, a >= 3], [d1, d2, d3], 0.0)

    def _gamma_sum(self, lev: _Counts, k: int) -> np.ndarray:
        """D1 N1(h .) + D2 N2(h .) + D3 N3+(h .) for every context h of the level."""
        d1, d2, d3 = self.discounts[k]
        return d1 * lev.n1 + d2 * lev.n2 + d3 * lev.n3

    def _prob(self, c: np.ndarray, t: np.ndarray) -> np.ndarray:
        p = self.unigram[t]
        for k in range(2, self.order + 1):
            lev = self.levels[k]
            h = _keys(c[:, c.shape[1] - (k - 1) :], self.V)
            ci, found = lev.context(h)
            a = lev.lookup(h * self.V + t)
            A = np.where(found, lev.total[ci], 1.0)
            gamma = self.gamma_num[k][ci] / A
            p = np.where(found, np.maximum(a - self._d(a, k), 0) / A + gamma * p, p)
        return p

    def _distribution(self, c: np.ndarray) -> np.ndarray:
        p = self.unigram.copy()
        for k in range(2, self.order + 1):
            lev = self.levels[k]
            h = _keys(c[None, len(c) - (k - 1) :], self.V)
            ci, found = lev.context(h)
            if not found[0]:
                continue  # an unseen context: P(w | h) = P(w | h')
            i = ci[0]
            sl = slice(lev.start[i], lev.stop[i])
            A = lev.total[i]
            a = lev.counts[sl]
            p *= self.gamma_num[k][i] / A
            p[lev.keys[sl] % self.V] += np.maximum(a - self._d(a, k), 0) / A
        return p

    def __repr__(self) -> str:
        return f"KneserNey(order={self.order}, discount={self.discount!r})"


def continuation_counts(ids: Sequence[int], V: int) -> tuple[np.ndarray, np.ndarray]:
    """(c(w), N1+(. w)) for every word id: how often w occurs in the stream, and after how many
    different words it occurs (book: 5.2, the intuition behind Kneser-Ney)."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    counts = np.bincount(ids, minlength=V).astype(np.int64)
    pairs = np.unique(ids[:-1] * V + ids[1:])
    return counts, np.bincount(pairs % V, minlength=V).astype(np.int64)


def perplexity(probs: Any) -> float:
    """PP = exp(-(1/T) sum_t log P(w_t | h_t)) from the T probabilities the model gave (5.3).

    The exponent is the cross-entropy in nats (the mean negative log-likelihood, the training
    loss of the neural LM); in bits, PP = 2^H with H = -(1/T) sum_t log2 P. Any probability of
    0 (or NaN: no estimate) makes the perplexity infinite.
    """
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.size == 0:
        raise ValueError("perplexity: no probabilities given")
    if np.any(p < 0) or np.any(p > 1 + 1e-9):
        raise ValueError("perplexity: probabilities must lie in [0, 1]")
    if np.any(~(p > 0)):  # 0 or NaN
        return math.inf
    return float(np.exp(-np.mean(np.log(p))))


def tune_add_k(
    corpus: LMCorpus, order: int, ks: Sequence[float] | None = None, split: str = "valid"
) -> tuple[float, dict[float, float]]:
    """(best k, {k: perplexity on ``split``}) for add-k smoothing over a grid of k (book: 5.2)."""
    ks = list(np.logspace(-4, 0, 17)) if ks is None else list(ks)
    model = AddK(order).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    ctx, tgt = corpus.windows(split, max(order - 1, 1))
    scores = {}
    for k in ks:
        model.k = float(k)
        scores[float(k)] = perplexity(model.prob(ctx, tgt))
    best = min(scores, key=scores.get)
    model.k = best
    return best, scores


# ====================================================================== the neural LM
class FeedforwardLM(nn.Module):
    """The feedforward neural language model (Bengio et al. 2003, in the slides' form; book 5.4).

    For a batch of contexts, ``ids`` of shape (N, n) (n = ``context`` words, oldest first):

        e = [E x_{t-n}; ...; E x_{t-1}]    the n embeddings, concatenated: (N, n d)
        h = tanh(W e + b)                 the hidden layer: (N, hidden)
        z = U h + c                       one logit per word of the vocabulary: (N, V)

    and ŷ = softmax(z) is the distribution of the next word, computed by the loss
    (``F.cross_entropy``) or by :func:`next_word_probs`. ``E`` is the embedding matrix (|V|, d),
    one row per word, so "E x" with a one-hot x is the row of E of x's word (E^T x in matrix
    terms). The output bias c is not in the slides (Bengio et al. have one): it lets the model
    learn word frequencies directly. ``dropout`` is applied to h while training; ``emb_std`` is
    the standard deviation of E's initial N(0, emb_std^2) entries (nnlib's and PyTorch's
    default is 1).
    """

    def __init__(
        self,
        V: int,
        context: int = 3,
        d: int = 64,
        hidden: int = 200,
        *,
        activation: str = "tanh",
        dropout: float = 0.0,
        emb_std: float = 1.0,
        output_bias: bool = True,
        rng: Any = None,
        dtype: Any = np.float32,
    ) -> None:
        for name, value in (("V", V), ("context", context), ("d", d), ("hidden", hidden)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"FeedforwardLM: {name} must be a positive integer, got {value!r}")
        rng = as_rng(rng)
        self.V, self.context, self.d, self.hidden_size = int(V), int(context), int(d), int(hidden)
        self.act = F.get_activation(activation)
        self.embedding = nn.Embedding(V, d, std=emb_std, rng=rng, dtype=dtype)
        self.hidden = nn.Linear(context * d, hidden, rng=rng, dtype=dtype)
        self.output = nn.Linear(hidden, V, bias=output_bias, rng=rng, dtype=dtype)
        self.dropout = nn.Dropout(dropout, rng=rng)

    # The book's names for the weights.
    @property
    def E(self) -> nn.Parameter:
        return self.embedding.E

    @property
    def W(self) -> nn.Parameter:
        return self.hidden.W

    @property
    def U(self) -> nn.Parameter:
        return self.output.W

    def forward(self, ids: Any) -> Tensor:
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.shape[1] != self.context:
            raise ValueError(
                f"FeedforwardLM: expected ids of shape (N, {self.context}) (one row of "
                f"{self.context} context words per example), got shape {ids.shape}"
            )
        e = self.embedding(ids).reshape(len(ids), self.context * self.d)  # [E x1; E x2; E x3]
        h = self.act.fn(self.hidden(e))  # h = tanh(W e + b)
        h = self.dropout(h)
        return self.output(h)  # z = U h + c: the logits

    def logits_for(self, context: Any) -> np.ndarray:
        """z for one context (the last ``context`` ids), as in evaluation mode, as float64.

        The same equations as :meth:`forward` without a graph, for generating text word by word.
        It uses numpy's einsum instead of a matrix product: for a single row, starting a
        multi-threaded BLAS call costs more than the arithmetic, and on a busy machine up to
        ten times more.
        """
        ids = np.asarray(context, dtype=np.int64).reshape(-1)[-self.context :]
        if len(ids) != self.context:
            raise ValueError(f"FeedforwardLM: need {self.context} context ids, got {len(ids)}")
        e = self.E.data[ids].reshape(-1)
        h = self.act.fn(np.einsum("ij,j->i", self.W.data, e) + self.hidden.b.data)
        z = np.einsum("ij,j->i", self.U.data, h)
        if self.output.b is not None:
            z = z + self.output.b.data
        return z.astype(np.float64)

    def __repr__(self) -> str:
        return (
            f"FeedforwardLM(V={self.V}, context={self.context}, d={self.d}, "
            f"hidden={self.hidden_size}, activation={self.act.name!r}, p_drop={self.dropout.p})"
        )


@dataclass(frozen=True)
class LMConfig:
    """Everything that defines a training run of :class:`FeedforwardLM` (book: 5.5).

    ``steps`` minibatches of ``batch_size`` windows drawn without replacement from shuffled
    passes over the training windows; Adam with rate ``lr``, divided by ``lr_drop`` once
    ``lr_drop_at`` of the steps are done (1.0: never).
    """

    context: int = 3
    d: int = 64
    hidden: int = 200
    activation: str = "tanh"
    dropout: float = 0.3
    emb_std: float = 0.1
    lr: float = 2e-3
    batch_size: int = 256
    steps: int = 1000
    lr_drop_at: float = 0.6
    lr_drop: float = 3.0
    seed: int = 0

    def model(self, V: int) -> FeedforwardLM:
        """A fresh model with this configuration's sizes and initial weights (seeded)."""
        return FeedforwardLM(
            V,
            self.context,
            self.d,
            self.hidden,
            activation=self.activation,
            dropout=self.dropout,
            emb_std=self.emb_std,
            rng=self.seed,
        )


# The chapter's own run: the full-size settings, trained for 1,000 steps instead of 12,000
# (scripts/train_lm.py), so that the chapter stays within its time budget.
CHAPTER_CONFIG = LMConfig(steps=1000)
FULL_CONFIG = LMConfig(steps=12_000)
RESULTS_FILE = Path(__file__).with_name("lm_results.json")


def full_run_results() -> dict[str, Any]:
    """What ``scripts/train_lm.py`` measured at full size (the file it wrote, shipped with nnlib).

    Checked by the tests against the current configurations and training code version.
    """
    return json.loads(RESULTS_FILE.read_text(encoding="utf-8"))


# Bump when train_lm or FeedforwardLM change what a configuration produces: saved results
# (scripts/train_lm.py) record it next to the configuration and are checked against it.
TRAINING_CODE_VERSION = 2


def config_hash(config: LMConfig, **extra: Any) -> str:
    """A short hash of a configuration, the training code version and ``extra`` settings."""
    blob = repr(sorted({**asdict(config), **extra, "code": TRAINING_CODE_VERSION}.items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class LMRun:
    """A trained model and what its training measured."""

    model: FeedforwardLM
    config: LMConfig
    history: History
    valid_steps: list[int] = field(default_factory=list)  # when the validation check ran
    valid_ppl: list[float] = field(default_factory=list)  # its perplexity then
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def step_loss(self) -> np.ndarray:
        """The training loss (mean cross-entropy of the minibatch) at every step."""
        return np.asarray(self.history.step_loss)


class _StepControl:
    """fit() callback: drop the learning rate once, score the validation data now and then."""

    def __init__(self, run: LMRun, drop_step: int, valid: tuple | None, every: int) -> None:
        self.run, self.drop_step, self.valid, self.every = run, drop_step, valid, every

    def on_step_end(self, state: Any) -> None:
        if state.step == self.drop_step:
            state.optimizer.lr /= self.run.config.lr_drop
        if self.valid is not None and (
            state.step % self.every == 0 or state.step == self.run.config.steps
        ):
            self.run.valid_steps.append(state.step)
            self.run.valid_ppl.append(lm_perplexity(state.model, *self.valid))


def training_order(n: int, count: int, seed: int) -> np.ndarray:
    """``count`` indices into ``n`` training windows: shuffled passes over all of them (a new
    random order for each pass, an *epoch*), cut after ``count``."""
    if n < 1 or count < 1:
        raise ValueError(f"training_order: need n >= 1 windows and count >= 1, got {n}, {count}")
    rng = as_rng(seed)
    passes = [rng.permutation(n) for _ in range(math.ceil(count / n))]
    return np.concatenate(passes)[:count]


def train_lm(
    corpus: LMCorpus,
    config: LMConfig,
    *,
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    valid_every: int = 200,
    callbacks: Sequence[Any] = (),
) -> LMRun:
    """Train a :class:`FeedforwardLM` on the corpus' training windows (book: 5.5).

    Minibatch training with ``nnlib.train.fit``: cross-entropy loss (the negative log
    probability of each true next word, averaged over the batch) and Adam. ``valid``
    (contexts, targets) is scored every ``valid_every`` steps, for the learning curve;
    ``callbacks`` go to ``fit`` (e.g. the book's progress display).
    """
    model = config.model(corpus.V)
    opt = optim.Adam(model.parameters(), lr=config.lr)
    contexts, targets = corpus.windows("train", config.context)
    order = training_order(len(targets), config.steps * config.batch_size, config.seed)
    run = LMRun(model, config, History())
    drop_step = round(config.lr_drop_at * config.steps) if config.lr_drop_at < 1 else -1
    control = _StepControl(run, drop_step, valid, valid_every)
    cpu, wall = time.process_time(), time.perf_counter()
    # One "epoch" of fit() is the whole run: exactly config.steps minibatches, in the order
    # drawn above, so progress displays count the steps of this run.
    run.history = fit(
        model,
        F.cross_entropy,
        opt,
        (contexts[order], targets[order]),
        epochs=1,
        batch_size=config.batch_size,
        shuffle=False,
        callbacks=[control, *callbacks],
    )
    run.cpu_seconds = time.process_time() - cpu
    run.wall_seconds = time.perf_counter() - wall
    return run


@contextlib.contextmanager
def evaluating(model: Any) -> Iterator[Any]:
    """Evaluation mode (no dropout) inside the block, the previous mode restored after it; does
    nothing for models without modes (n-gram models) or already in evaluation mode."""
    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train(True)


def _log_probs_of_targets(model: Any, contexts: np.ndarray, targets: np.ndarray, batch_size: int):
    out = np.empty(len(targets))
    with evaluating(model), no_grad():
        for i in range(0, len(targets), batch_size):
            z = model(contexts[i : i + batch_size]).data
            t = targets[i : i + batch_size]
            out[i : i + batch_size] = z[np.arange(len(t)), t] - F.logsumexp(z, axis=1)
    return out


def target_probs(model: Any, contexts: Any, targets: Any, *, batch_size: int = 2048) -> np.ndarray:
    """ŷ_{w_t}: the probability the model gives each true next word (float64, (T,))."""
    contexts, targets = np.asarray(contexts), np.asarray(targets).reshape(-1)
    return np.exp(_log_probs_of_targets(model, contexts, targets, batch_size))


def lm_perplexity(model: Any, contexts: Any, targets: Any, *, batch_size: int = 2048) -> float:
    """Perplexity of a neural LM: exp(mean cross-entropy) over the (context, target) pairs."""
    contexts, targets = np.asarray(contexts), np.asarray(targets).reshape(-1)
    return float(np.exp(-_log_probs_of_targets(model, contexts, targets, batch_size).mean()))


def next_word_probs(model: Any, context: Any) -> np.ndarray:
    """ŷ = softmax(z) after one context (the last ``model.context`` ids; ``</s>``-padded if shorter
    is the caller's job): a (V,) float64 array."""
    return F.softmax(model.logits_for(context))


def tune_mixture(p_a: Any, p_b: Any, grid: int = 101) -> tuple[float, float]:
    """(lambda, perplexity): the best mixture lambda p_a + (1 - lambda) p_b on given target probs.

    Linear interpolation of two models is itself a language model (for each context it mixes
    two distributions that sum to 1); lambda is chosen on validation data, then fixed.
    """
    p_a, p_b = np.asarray(p_a, dtype=np.float64), np.asarray(p_b, dtype=np.float64)
    if p_a.shape != p_b.shape:
        raise ValueError(f"tune_mixture: {p_a.shape} and {p_b.shape} probabilities")
    lambdas = np.linspace(0, 1, grid)
    scores = [perplexity(lam * p_a + (1 - lam) * p_b) for lam in lambdas]
    i = int(np.argmin(scores))
    return float(lambdas[i]), float(scores[i])


def parameter_counts(V: int, context: int, d: int, hidden: int) -> dict[str, int]:
    """The number of weights in each part of the feedforward LM (book: 5.4).

    E: |V| d;  W: hidden x (context d);  b: hidden;  U: |V| x hidden;  c: |V|.
    """
    return {
        "E": V * d,
        "W": hidden * context * d,
        "b": hidden,
        "U": V * hidden,
        "c": V,
    }


def multiply_adds(V: int, context: int, d: int, hidden: int) -> dict[str, int]:
    """Multiply-adds of one forward pass per example: the hidden layer W e, and the output U h.

    The embedding look-up costs no arithmetic; softmax costs ~|V| exponentials. The backward
    pass roughly doubles each matrix product (two products per weight matrix).
    """
    return {"W e": hidden * context * d, "U h": V * hidden}


def nearest_neighbours(E: Any, vocab: Vocab, word: str, k: int = 5) -> list[tuple[str, float]]:
    """The k words whose rows of E have the largest cosine similarity to ``word``'s row."""
    E = np.asarray(E.data if isinstance(E, Tensor) else E, dtype=np.float64)
    if word not in vocab:
        raise KeyError(f"nearest_neighbours: {word!r} is not in the vocabulary")
    unit = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    i = vocab[word]
    sims = unit @ unit[i]
    sims[i] = -np.inf
    skip = {vocab.stoi[s] for s in vocab.specials if s in vocab.stoi}
    order = [j for j in np.argsort(-sims, kind="stable") if j not in skip][:k]
    return [(vocab.token(j), float(sims[j])) for j in order]


# ====================================================================== looking inside
def context_ids(vocab: Vocab, text: str, n: int) -> tuple[np.ndarray, list[str]]:
    """The last ``n`` token ids of ``text`` (``</s>`` in front when it is shorter), and the tokens
    as the model sees them (unknown words shown as ``<unk>``)."""
    ids = vocab.encode(tokenize(text))[-n:] if n else np.empty(0, dtype=np.int64)
    pad = np.full(n - len(ids), vocab[EOS], dtype=np.int64)
    ids = np.concatenate([pad, ids]).astype(np.int64)
    return ids, vocab.decode(ids)


def next_word_table(
    model: FeedforwardLM, kn: NGramLM, vocab: Vocab, text: str, k: int = 10, probe: str = ""
) -> dict[str, Any]:
    """What the neural LM and an n-gram model predict after ``text``: each one's top ``k``
    words with probabilities, the context each one actually uses, and (optionally) both
    models' probability and rank for one ``probe`` word (book: 5.6, the next-word explorer)."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    words = tokenize(text)
    unknown = [w for w in words if w not in vocab]
    nn_ids, nn_ctx = context_ids(vocab, text, model.context)
    kn_ids, kn_ctx = context_ids(vocab, text, kn.order - 1)
    p_nn = next_word_probs(model, nn_ids)
    p_kn = kn.distribution(kn_ids)
    out: dict[str, Any] = {
        "text": text,
        "neural_context": nn_ctx,
        "kn_context": kn_ctx,
        "unknown": unknown,
        "neural": top_k(p_nn, k, vocab),
        "kn": top_k(p_kn, k, vocab),
        "probe": None,
    }
    probe = probe.strip().lower()
    if probe:
        if probe not in vocab:
            raise ValueError(f"{probe!r} is not in the {len(vocab):,}-word vocabulary")
        i = vocab[probe]
        out.update(
            probe=probe,
            probe_neural=float(p_nn[i]),
            probe_kn=float(p_kn[i]),
            probe_rank_neural=int(np.sum(p_nn > p_nn[i])) + 1,
            probe_rank_kn=int(np.sum(p_kn > p_kn[i])) + 1,
        )
    return out


# ====================================================================== generation
def adjust(logits: Any, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Sampling probabilities from logits: p_i proportional to exp(z_i / T), only the top k kept.

    ``logits`` may be log-probabilities (of an n-gram model: log 0 = -inf is fine). T < 1
    sharpens the distribution towards the most likely word (T -> 0: always the argmax), T > 1
    flattens it towards uniform; ``top_k`` sets every word outside the k most likely to 0
    (ties at the k-th value are all kept).
    """
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if top_k is not None:
        if not isinstance(top_k, (int, np.integer)) or top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        if top_k < len(z):
            kth = np.partition(z, len(z) - top_k)[len(z) - top_k]
            z = np.where(z >= kth, z, -np.inf)
    return F.softmax(z / temperature)


def top_k(probs: Any, k: int, vocab: Vocab | None = None) -> list[tuple[Any, float]]:
    """The k most probable entries as (word or id, probability), most probable first."""
    p = np.asarray(probs).reshape(-1)
    idx = np.argsort(-p, kind="stable")[:k]
    return [(vocab.token(i) if vocab else int(i), float(p[i])) for i in idx]


def sample_next(probs: Any, rng: Any) -> int:
    """One id drawn from a distribution: the inverse-CDF method with one uniform number."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    cdf = np.cumsum(p)
    u = as_rng(rng).random() * cdf[-1]
    return int(min(np.searchsorted(cdf, u, side="right"), len(p) - 1))


def generate(
    next_logits: Callable[[np.ndarray], np.ndarray],
    context: Sequence[int],
    n_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng: Any = None,
    stop: int | None = None,
) -> list[int]:
    """Sample ``n_tokens`` ids one at a time (book: 5.7).

    ``next_logits(history)`` returns logits or log-probabilities over the vocabulary for the
    next word given the ids so far; each sampled word is appended to the history and the next
    one is drawn from it. Stops early after the id ``stop`` (e.g. ``</s>``) if given.
    """
    rng = as_rng(rng)
    history = [int(i) for i in context]
    out: list[int] = []
    for _ in range(n_tokens):
        p = adjust(next_logits(np.asarray(history)), temperature, top_k)
        w = sample_next(p, rng)
        history.append(w)
        out.append(w)
        if stop is not None and w == stop:
            break
    return out


def next_logits_fn(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A function history -> log-probabilities (or logits) of the next word, for either kind of
    model: an :class:`NGramLM` (the last order - 1 ids) or a :class:`FeedforwardLM`."""
    if isinstance(model, NGramLM):
        n = model.order - 1

        def ngram_logits(history: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore"):  # log 0 = -inf: never sampled
                return np.log(model.distribution(history[len(history) - n :] if n else []))

        return ngram_logits

    def neural_logits(history: np.ndarray) -> np.ndarray:
        return model.logits_for(history)

    return neural_logits


def sample_text(
    model: Any,
    vocab: Vocab,
    prompt: str,
    n_tokens: int = 30,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
) -> list[str]:
    """``n_tokens`` tokens sampled after ``prompt`` from either kind of model (book: 5.7).

    The prompt is tokenised (unknown words become ``<unk>``) after a ``</s>``, as if it began a
    speech; the same ``seed`` gives the same text.
    """
    history = np.concatenate([np.full(3, vocab[EOS]), vocab.encode(tokenize(prompt))])
    ids = generate(
        next_logits_fn(model), history, n_tokens, temperature=temperature, top_k=top_k, rng=seed
    )
    return vocab.decode(ids)


def temperature_table(
    model: Any, vocab: Vocab, prompt: str, temperature: float, top_k: int | None, k: int = 12
) -> dict[str, Any]:
    """The next-word distribution after ``prompt`` before and after temperature and top-k: the
    ``k`` most likely words, their probabilities p (T = 1, all words) and the sampling
    probabilities q (book: 5.7, the generator)."""
    history = np.concatenate([np.full(3, vocab[EOS]), vocab.encode(tokenize(prompt))])
    z = next_logits_fn(model)(history)
    p = adjust(z)
    q = adjust(z, temperature, top_k)
    idx = np.argsort(-p, kind="stable")[:k]
    return {
        "words": vocab.decode(idx),
        "p": p[idx],
        "q": q[idx],
        "kept": int(np.sum(q > 0)),
        "entropy_bits": float(-np.sum(q[q > 0] * np.log2(q[q > 0]))),
    }


_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?)\]])")


def detokenize(tokens: Iterable[str]) -> str:
    """Join tokens into readable text: no space before punctuation, ``</s>`` as a line break."""
    lines, line = [], []
    for t in tokens:
        if t == EOS:
            lines.append(" ".join(line))
            line = []
        else:
            line.append(t)
    lines.append(" ".join(line))
    text = "\n".join(lines)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    text = re.sub(r"(^|\n)i\b", r"\1I", text)
    return re.sub(r" i\b", " I", text)


# ====================================================================== cat gets fed, dog gets ___
# A small artificial corpus for the slides' example (book: 5.6). Animals share the same
# sentences; "gets ___" sentences name a different past participle for each thing, and only
# the cat ever "gets fed". The dog never "gets" anything.
_ANIMAL_SENTENCES = (
    "the {a} sleeps on the mat .",
    "the {a} sleeps on the sofa .",
    "the {a} eats its food .",
    "the {a} is hungry .",
    "the {a} runs in the garden .",
    "my {a} likes to play .",
    "we love our {a} .",
    "the {a} chases the ball .",
)
_THING_SENTENCES = (
    "the {t} is outside .",
    "we look at the {t} .",
    "the {t} is new .",
)
_GETS = {  # thing -> what it gets
    "cat": "fed",
    "car": "washed",
    "bike": "fixed",
    "house": "painted",
    "letter": "sent",
    "bill": "paid",
    "floor": "cleaned",
}
_GETS_SENTENCES = (
    "i have to make sure that the {t} gets {p} .",
    "the {t} gets {p} every week .",
)
_DOG_ONLY = ("the dog barks at night .", "a dog barks .", "the dog digs a hole .")


def pet_sentences(n: int, *, shared: bool, seed: int = 0) -> list[str]:
    """``n`` sentences of the cat-and-dog corpus, drawn with ``seed`` (book: 5.6).

    With ``shared`` the dog appears in all the cat's everyday sentences ("the dog is hungry",
    "we love our dog"); without it (the control), the dog only barks and digs, sentences no other
    word shares. Either way "the cat gets fed" is there and "the dog gets" never is.
    """
    rng = as_rng(seed)
    animals = ("cat", "dog") if shared else ("cat",)
    things = [t for t in _GETS if t != "cat"]
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.45:
            s = _ANIMAL_SENTENCES[rng.integers(len(_ANIMAL_SENTENCES))]
            s = s.format(a=animals[rng.integers(len(animals))])
        elif kind < 0.6:
            s = _THING_SENTENCES[rng.integers(len(_THING_SENTENCES))]
            s = s.format(t=things[rng.integers(len(things))])
        elif kind < 0.9:
            t = list(_GETS)[rng.integers(len(_GETS))]
            s = _GETS_SENTENCES[rng.integers(len(_GETS_SENTENCES))].format(t=t, p=_GETS[t])
        else:
            s = _DOG_ONLY[rng.integers(len(_DOG_ONLY))]
        out.append(s)
    return out


def pet_corpus(n: int = 3000, *, shared: bool = True, seed: int = 0) -> LMCorpus:
    """The cat-and-dog corpus as an :class:`LMCorpus` (one sentence per "speech").

    Train, valid and test are drawn with different seeds from the same sentence generator.
    """
    train = pet_sentences(n, shared=shared, seed=seed)
    vocab = Vocab.build([tokenize(s) for s in train], specials=(UNK, EOS))
    streams = [
        speech_stream(["\n\n".join(pet_sentences(m, shared=shared, seed=seed + i))], vocab)
        for i, m in ((0, n), (1, n // 10), (2, n // 10))
    ]
    return LMCorpus(vocab, *streams)


@dataclass
class PetExperiment:
    """P(fed | ... the dog gets) under Kneser-Ney and under neural LMs trained from several seeds.

    ``p_kn[name]`` and ``p_neural[name]`` (one value per seed) for the test contexts ``CONTEXTS``
    ("the cat gets", "the dog gets", "the car gets"); ``neighbours`` holds each seed's nearest
    words to "dog" in the learned E.
    """

    shared: bool
    corpus: LMCorpus
    kn: KneserNey
    models: list[FeedforwardLM]
    p_kn: dict[str, float]
    p_neural: dict[str, np.ndarray]
    neighbours: list[list[tuple[str, float]]]


PET_CONTEXTS = {
    "the cat gets": "that the cat gets",
    "the dog gets": "that the dog gets",
    "the car gets": "that the car gets",
}
PET_CONFIG = LMConfig(
    context=3,
    d=16,
    hidden=64,
    dropout=0.0,
    emb_std=0.1,
    lr=1e-2,
    batch_size=64,
    steps=800,
    lr_drop_at=1.0,
)


def pet_experiment(
    *, shared: bool, seeds: Sequence[int] = (0, 1, 2), config: LMConfig = PET_CONFIG
) -> PetExperiment:
    """Train KN (trigram) and the feedforward LM on the cat-and-dog corpus; ask both for "fed".

    The neural LM is trained once per seed (the corpus is the same; only the initial weights and
    the order of the minibatches change), so the result is not one lucky run.
    """
    corpus = pet_corpus(shared=shared)
    kn = KneserNey(3, discount=0.75).fit(corpus.train, corpus.V, pad_id=corpus.eos_id)
    fed = corpus.vocab["fed"]
    models, neighbours = [], []
    p_neural: dict[str, list[float]] = {k: [] for k in PET_CONTEXTS}
    for seed in seeds:
        run = train_lm(corpus, LMConfig(**{**asdict(config), "seed": int(seed)}))
        models.append(run.model)
        neighbours.append(nearest_neighbours(run.model.E, corpus.vocab, "dog", 3))
        for name, text in PET_CONTEXTS.items():
            p_neural[name].append(next_word_probs(run.model, corpus.encode(text))[fed])
    p_kn = {
        name: float(kn.distribution(corpus.encode(text))[fed])
        for name, text in PET_CONTEXTS.items()
    }
    return PetExperiment(
        shared,
        corpus,
        kn,
        models,
        p_kn,
        {k: np.array(v) for k, v in p_neural.items()},
        neighbours,
    )
