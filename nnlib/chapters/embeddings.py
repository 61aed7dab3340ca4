"""Embeddings as input: the embedding matrix, pooling, a Deep Averaging Network and a CNN.

Book: chapter 4, "Embeddings as input". The chapter's equations, in the names used here:

- an embedding is a row of E, shape (|V|, d): e(w) = E[id(w)] = onehot(w) E          (4.1)
- mean pooling:  x = (1/N) Σ_i e(w_i);  max pooling: x_k = max_i e(w_i)_k            (4.2)
- the DAN (Iyyer et al. 2015):  h = ReLU(x W^T + b),  z = h U^T + c,  ŷ = softmax(z)   (4.3)
- a window of k words: u_j = [e(w_j); ...; e(w_{j+k-1})], shape (1, k d)
- a CNN filter bank: a_j = ReLU(u_j W^T + b), pooled over j (max or mean)              (4.4)
- multinomial Naive Bayes with add-α smoothing, in log space:
  log P(c) + Σ_i log P(w_i | c),  P(w | c) = (count(w, c) + α) / (Σ_w' count(w', c) + α |V|)

Row vectors throughout, as in nnlib: a batch of sentences is (N, L) ids, its embeddings
(N, L, d), and a Linear layer computes x W^T + b with W of shape (d_out, d_in).

Everything the chapter prints, and every number its widgets show, comes from here; the widgets
(``nnlib.widgets.embeddings``) only draw.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..data import load_reviews, load_sentiment_lexicon
from ..init import as_rng
from ..tensor import Tensor, no_grad
from ..text import Vocab, ngrams, pad, sentiment_features, tokenize
from ..train import History, accuracy, evaluate, fit, predict

__all__ = [
    "EncodedSplit",
    "ReviewData",
    "load_review_data",
    "encode",
    "one_hot",
    "trim",
    "word_dropout",
    "DAN",
    "CNN",
    "glove_table",
    "block_parameters",
    "Config",
    "CONFIGS",
    "Run",
    "run_config",
    "Summary",
    "TrainResult",
    "train_classifier",
    "NaiveBayes",
    "naive_bayes_parameters",
    "hand_features",
    "HandFeatureRun",
    "train_hand_feature_model",
    "cosine_similarity",
    "nearest_neighbours",
    "SentenceView",
    "explain_sentence",
    "FilterView",
    "filter_responses",
    "window_activations",
    "TransferExperiment",
    "transfer_experiment",
    "ngram_count",
    "word_label_rate",
]

CLASSES = ("negative", "positive")  # label 0 = rotten, 1 = fresh (nnlib.data.load_reviews)


# ---------------------------------------------------------------------- data
@dataclass(eq=False)  # compared (and hashed) by identity: a split is one object, not a value
class EncodedSplit:
    """One split as arrays: ``ids`` (N, L) int64 padded with 0 (<pad>), ``mask`` (N, L) floats
    (1 at real tokens), labels ``y`` (N,), and the ``texts`` and ``tokens`` they came from."""

    texts: list[str]
    tokens: list[list[str]]
    ids: np.ndarray
    mask: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, mask, y): the data tuple that :func:`nnlib.train.fit` takes."""
        return self.ids, self.mask, self.y


@dataclass
class ReviewData:
    """The review sentences tokenised and encoded with one vocabulary built on ``train``."""

    vocab: Vocab
    train: EncodedSplit
    valid: EncodedSplit
    test: EncodedSplit
    min_count: int

    def __repr__(self) -> str:
        return (
            f"ReviewData(|V| = {len(self.vocab)}, train {len(self.train)}, "
            f"valid {len(self.valid)}, test {len(self.test)})"
        )


def encode(vocab: Vocab, texts: Sequence[str], *, max_len: int | None = None):
    """(tokens, ids, mask) for raw texts: :func:`tokenize`, ids from ``vocab`` (unknown words
    become <unk>), padded on the right with <pad> = 0 into one (N, L) array."""
    if isinstance(texts, str):
        raise TypeError("encode takes a list of texts; wrap a single sentence in a list")
    tokens = [tokenize(t) for t in texts]
    ids, mask = pad([vocab.encode(t) for t in tokens], pad_id=vocab.pad_id, max_len=max_len)
    return tokens, ids, mask


@lru_cache(maxsize=4)
def load_review_data(min_count: int = 2) -> ReviewData:
    """The review sentences (:func:`nnlib.data.load_reviews`) ready for an embedding model.

    The vocabulary is built on the training split only (ids by decreasing count), keeping words
    seen at least ``min_count`` times; others, and every word first seen in valid or test, map to
    <unk>. Cached per process (the arrays are shared: do not modify them).
    """
    reviews = load_reviews()
    train_tokens = [tokenize(t) for t in reviews.train.texts]
    vocab = Vocab.build(train_tokens, min_count=min_count)
    splits = {}
    for name in ("train", "valid", "test"):
        split = getattr(reviews, name)
        tokens, ids, mask = encode(vocab, split.texts)
        splits[name] = EncodedSplit(list(split.texts), tokens, ids, mask, split.labels.copy())
    return ReviewData(vocab, splits["train"], splits["valid"], splits["test"], min_count)


def one_hot(ids: Any, V: int, dtype=np.float64) -> np.ndarray:
    """One-hot rows: ids of shape S give an array of shape S + (V,) with a single 1 per row."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"one_hot: ids must be integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise IndexError(f"one_hot: ids must lie in [0, {V - 1}], got {ids.min()}..{ids.max()}")
    out = np.zeros((*ids.shape, V), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def trim(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the trailing columns that are padding in every row of a right-padded batch.

    A batch of 64 sentences padded to the longest of all 12,752 (60 tokens) is mostly padding;
    its own longest sentence is shorter. The result is the same for the models (padding is
    masked), only cheaper.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2 or np.shape(ids) != mask.shape:
        raise ValueError(f"trim: ids and mask must be (N, L), got {np.shape(ids)}, {mask.shape}")
    used = np.flatnonzero(mask.any(axis=0))
    L = int(used[-1]) + 1 if used.size else 1
    return ids[:, :L], mask[:, :L]


def word_dropout(mask: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Drop each real token from a sentence with probability ``p`` (Iyyer et al. 2015).

    Returns a new mask; pooling then averages the remaining words. Unlike dropout on a vector,
    nothing is rescaled: the mean of fewer words is still a mean. A sentence that loses every
    word keeps its first one, so the mean is never over nothing.
    """
    if not 0 <= p < 1:
        raise ValueError(f"word_dropout: p must be in [0, 1), got {p}")
    keep = (rng.random(mask.shape) >= p).astype(mask.dtype)
    out = mask * keep
    lost = (out.sum(axis=1) == 0) & (mask.sum(axis=1) > 0)
    out[lost, np.argmax(mask[lost] > 0, axis=1)] = 1
    return out


# ---------------------------------------------------------------------- models
def _pool(name: str) -> Callable[..., Tensor]:
    pools = {"mean": F.mean_pool, "max": F.max_pool}
    if name not in pools:
        raise ValueError(f"pool must be 'mean' or 'max', got {name!r}")
    return pools[name]


class DAN(nn.Module):
    """A Deep Averaging Network (Iyyer et al. 2015) (book: 4.4, eq. 4.3).

    ids (N, L) -> embeddings (N, L, d) -> pooled sentence vector x (N, d) -> an MLP
    ``[d, *hidden, n_classes]`` -> logits (N, n_classes); softmax is left to the loss. Padding
    (id 0) is a zero row of E that never learns, and the mask keeps it out of the pooling.

    ``pool``: "mean" (the DAN) or "max" (element-wise). ``word_dropout``: the probability of
    dropping each word from the average while training. ``emb_std``: E starts N(0, emb_std^2);
    ``E_init`` (|V|, d) replaces it (pretrained vectors), and ``freeze`` keeps E fixed.
    """

    def __init__(
        self,
        V: int,
        d: int = 50,
        hidden: Sequence[int] = (50,),
        n_classes: int = 2,
        *,
        activation: str = "relu",
        pool: str = "mean",
        word_dropout: float = 0.0,
        emb_std: float = 0.3,
        E_init: np.ndarray | None = None,
        freeze: bool = False,
        rng=None,
        dtype=np.float64,
    ) -> None:
        rng = as_rng(rng)
        self.pool_name = pool
        self.pool = _pool(pool)
        if not 0 <= word_dropout < 1:
            raise ValueError(f"DAN: word_dropout must be in [0, 1), got {word_dropout}")
        self.p_word = word_dropout
        self.embedding = nn.Embedding(V, d, std=emb_std, padding_idx=0, rng=rng, dtype=dtype)
        if E_init is not None:
            _load_table(self.embedding, E_init)
        self.embedding.E.requires_grad = not freeze  # frozen: no gradient, no update
        self.mlp = nn.MLP([d, *hidden, n_classes], activation, rng=rng, dtype=dtype)
        self.rng = rng  # for word dropout

    def sentence_embedding(self, ids: Any, mask: Any) -> Tensor:
        """x: the pooled embeddings of each sentence, (N, d)."""
        ids, mask = trim(np.asarray(ids), np.asarray(mask, dtype=self.embedding.E.dtype))
        if self.training and self.p_word:
            mask = word_dropout(mask, self.p_word, self.rng)
        return self.pool(self.embedding(ids), mask)

    def forward(self, ids: Any, mask: Any) -> Tensor:
        return self.mlp(self.sentence_embedding(ids, mask))

    def __repr__(self) -> str:
        return (
            f"DAN(V={self.embedding.V}, d={self.embedding.d}, sizes={self.mlp.sizes}, "
            f"pool={self.pool_name!r}, word_dropout={self.p_word})"
        )


class CNN(nn.Module):
    """A convolutional sentence classifier (book: 4.6, eq. 4.4; Kim 2014 with one width).

    ids (N, L) -> embeddings (N, L, d) -> ``filters`` detectors on every window of ``width``
    words, a_j = ReLU(u_j W^T + b) (N, n, filters) -> pooled over the windows (max or mean) ->
    Linear -> logits. Every sentence is padded with width - 1 zero vectors at both ends (as in
    Kim's code), so every word is in ``width`` windows, and windows made only of padding are
    masked out of the pooling. ``dropout`` applies to the pooled features while training.
    """

    def __init__(
        self,
        V: int,
        d: int = 50,
        width: int = 3,
        filters: int = 100,
        n_classes: int = 2,
        *,
        pool: str = "max",
        dropout: float = 0.0,
        emb_std: float = 0.3,
        E_init: np.ndarray | None = None,
        freeze: bool = False,
        rng=None,
        dtype=np.float64,
    ) -> None:
        rng = as_rng(rng)
        self.pool_name = pool
        self.pool = _pool(pool)
        self.width = width
        self.embedding = nn.Embedding(V, d, std=emb_std, padding_idx=0, rng=rng, dtype=dtype)
        if E_init is not None:
            _load_table(self.embedding, E_init)
        self.embedding.E.requires_grad = not freeze  # frozen: no gradient, no update
        self.conv = nn.Conv1d(d, filters, width, padding=width - 1, rng=rng, dtype=dtype)
        self.drop = nn.Dropout(dropout, rng=rng)
        self.out = nn.Linear(filters, n_classes, rng=rng, dtype=dtype)

    def window_activations(self, ids: Any, mask: Any) -> tuple[Tensor, np.ndarray]:
        """(a, window_mask): every window's filter activations (N, n, filters), and which of the
        n windows hold at least one real word (N, n)."""
        ids, mask = trim(np.asarray(ids), np.asarray(mask))
        a = F.relu(self.conv(self.embedding(ids)))
        return a, F.window_mask(mask, self.width, padding=self.width - 1)

    def features(self, ids: Any, mask: Any) -> Tensor:
        """The pooled filter activations of each sentence, (N, filters)."""
        a, wmask = self.window_activations(ids, mask)
        return self.pool(a, wmask)

    def forward(self, ids: Any, mask: Any) -> Tensor:
        return self.out(self.drop(self.features(ids, mask)))

    def __repr__(self) -> str:
        return (
            f"CNN(V={self.embedding.V}, d={self.embedding.d}, width={self.width}, "
            f"filters={self.conv.d_out}, pool={self.pool_name!r})"
        )


def _load_table(emb: nn.Embedding, E_init: np.ndarray) -> None:
    E_init = np.asarray(E_init)
    if E_init.shape != emb.E.shape:
        raise ValueError(f"E_init has shape {E_init.shape}, the embedding is {emb.E.shape}")
    emb.E.data[...] = E_init
    emb.E.data[0] = 0  # the padding row stays zero


def glove_table(vocab: Vocab, *, std: float | None = None, rng=None) -> tuple[np.ndarray, float]:
    """(E_init, coverage): a (|V|, 50) table with GloVe 6B vectors (:func:`nnlib.data.load_glove`)
    for the vocabulary's words that GloVe has, and N(0, std^2) rows for the others (``std``
    defaults to the GloVe rows' own standard deviation); row 0 (<pad>) is zero. ``coverage`` is
    the fraction of the vocabulary found in GloVe."""
    from ..data import load_glove

    words, vectors = load_glove(vocab=vocab.itos)
    vectors = vectors.astype(np.float64)
    if std is None:
        std = float(vectors.std())
    E = as_rng(rng).normal(0.0, std, (len(vocab), vectors.shape[1]))
    E[[vocab[w] for w in words]] = vectors
    E[vocab.pad_id] = 0.0
    return E, len(words) / len(vocab)


def block_parameters(model: nn.Module) -> dict[str, int]:
    """Parameters per building block, in order: the word vectors E, then each linear block (a
    weight matrix W and its bias b) named by its sizes, e.g. "linear 50 -> 2 (W 2 x 50, b 2)"."""
    groups: dict[str, list[nn.Parameter]] = {}
    for name, p in model.named_parameters():
        groups.setdefault(name.rsplit(".", 1)[0], []).append(p)
    out: dict[str, int] = {}
    for prefix, params in groups.items():
        shapes = [p.shape for p in params]
        if len(params) == 1 and len(shapes[0]) == 2 and prefix.endswith("embedding"):
            key = f"word vectors E ({shapes[0][0]} x {shapes[0][1]})"
        elif len(shapes[0]) == 2:
            d_out, d_in = shapes[0]
            bias = f", b {shapes[1][0]}" if len(params) > 1 else ""
            key = f"linear {d_in} -> {d_out} (W {d_out} x {d_in}{bias})"
        else:
            key = prefix
        out[key] = sum(p.size for p in params)
    return out


# ---------------------------------------------------------------------- training
@dataclass
class TrainResult:
    """A model trained by :func:`train_classifier`, restored to its best epoch on ``valid``."""

    model: nn.Module
    history: History
    best_epoch: int  # 1-based
    valid_acc: float
    seconds: float  # CPU time of the whole run (process time)
    epoch_seconds: list[float] = field(default_factory=list)  # CPU time of each epoch


class _KeepBest:
    """A fit callback: remember the parameters after the epoch with the best validation accuracy."""

    def __init__(self) -> None:
        self.best = -math.inf
        self.epoch = 0
        self.state: dict[str, np.ndarray] | None = None
        self.cpu: list[float] = []
        self._t = 0.0

    def on_fit_begin(self, state) -> None:
        self._t = time.process_time()

    def on_epoch_end(self, state) -> None:
        now = time.process_time()
        self.cpu.append(now - self._t)
        self._t = now
        acc = state.history.metrics["valid_acc"][-1]
        if acc > self.best:
            self.best, self.epoch = acc, state.epoch + 1
            self.state = state.model.state_dict()


def train_classifier(
    model: nn.Module,
    data: ReviewData,
    *,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    lazy: bool = True,
    callbacks: Sequence[Any] = (),
) -> TrainResult:
    """Train a DAN or CNN on ``data.train`` with Adam and cross-entropy; keep the best epoch.

    Model selection uses the validation split only: after every epoch the validation accuracy is
    measured, and the parameters of the best epoch are restored at the end (early stopping). The
    test split is not touched. ``lazy``: the embedding table gets Adam's lazy row updates
    (:class:`nnlib.optim.Adam` ``lazy_rows``), the other parameters plain Adam.
    """
    params = [p for p in model.parameters() if p.requires_grad]  # a frozen E is left out
    E = model.embedding.E
    lazy_rows = [E] if lazy and E.requires_grad else []
    opt = optim.Adam(params, lr, lazy_rows=lazy_rows)
    keep = _KeepBest()
    start = time.process_time()
    history = fit(
        model,
        F.cross_entropy,
        opt,
        data.train.arrays(),
        data.valid.arrays(),
        epochs=epochs,
        batch_size=batch_size,
        rng=seed,
        metrics={"acc": accuracy},
        callbacks=[keep, *callbacks],
    )
    seconds = time.process_time() - start
    if keep.state is not None:
        model.load_state_dict(keep.state)
    model.eval()
    return TrainResult(model, history, keep.epoch, keep.best, seconds, keep.cpu)


def accuracy_on(model: nn.Module, split: EncodedSplit) -> float:
    """The model's accuracy on one split (evaluation mode, no graph)."""
    return evaluate(model, None, split.arrays(), metrics={"acc": accuracy})["acc"]


# ---------------------------------------------------------------------- Naive Bayes
def naive_bayes_parameters(
    counts: Any, class_docs: Any, alpha: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(log_prior (C,), log_likelihood (C, V)) of multinomial Naive Bayes with add-α smoothing.

    ``counts[c, w]`` is how often feature w occurs in the training documents of class c;
    ``class_docs[c]`` how many training documents have class c. In log space:

        log P(c) = log(N_c / N)
        log P(w | c) = log(count(w, c) + α) - log(Σ_w' count(w', c) + α |V|)

    α = 1 is Laplace (add-one) smoothing: a word never seen with a class gets a small probability
    instead of 0 (which would make log P = -inf and veto the class).
    """
    counts = np.asarray(counts, dtype=np.float64)
    class_docs = np.asarray(class_docs, dtype=np.float64)
    if counts.ndim != 2 or class_docs.shape != (counts.shape[0],):
        raise ValueError(
            f"naive_bayes_parameters: counts must be (C, V) and class_docs (C,), got "
            f"{counts.shape} and {class_docs.shape}"
        )
    if alpha <= 0:
        raise ValueError(f"naive_bayes_parameters: alpha must be > 0, got {alpha}")
    log_prior = np.log(class_docs) - np.log(class_docs.sum())
    V = counts.shape[1]
    log_lik = np.log(counts + alpha) - np.log(counts.sum(axis=1, keepdims=True) + alpha * V)
    return log_prior, log_lik


class NaiveBayes:
    """Multinomial Naive Bayes on word (and optionally bigram) counts, in log space.

    ``NaiveBayes(ngram=1)`` uses unigrams; ``ngram=2`` unigrams and bigrams as features. The
    features are those seen in training; at prediction time unseen ones are skipped (they carry
    no information about the class). ``binary=True`` counts each feature once per document
    (Jurafsky & Martin's binary NB, often better for sentiment).
    """

    def __init__(self, *, ngram: int = 1, alpha: float = 1.0, binary: bool = False) -> None:
        if ngram not in (1, 2):
            raise ValueError(f"NaiveBayes: ngram must be 1 or 2, got {ngram}")
        self.ngram, self.alpha, self.binary = ngram, alpha, binary
        self.features: dict[str, int] = {}
        self.log_prior: np.ndarray | None = None
        self.log_likelihood: np.ndarray | None = None

    def _features(self, tokens: Sequence[str]) -> list[str]:
        feats = list(tokens)
        if self.ngram == 2:
            feats += [" ".join(g) for g in ngrams(tokens, 2)]
        return sorted(set(feats)) if self.binary else feats

    def fit(self, docs: Sequence[Sequence[str]], y: Any) -> NaiveBayes:
        """Count features per class in the token lists ``docs`` with labels ``y`` (0..C-1)."""
        y = np.asarray(y)
        if len(docs) != len(y):
            raise ValueError(f"NaiveBayes.fit: {len(docs)} documents but {len(y)} labels")
        C = int(y.max()) + 1
        per_class: list[Counter[str]] = [Counter() for _ in range(C)]
        for doc, c in zip(docs, y):
            per_class[c].update(self._features(doc))
        vocab = sorted(set().union(*per_class))
        self.features = {f: i for i, f in enumerate(vocab)}
        counts = np.zeros((C, len(vocab)))
        for c, counter in enumerate(per_class):
            idx = [self.features[f] for f in counter]
            counts[c, idx] = list(counter.values())
        self.counts = counts
        self.log_prior, self.log_likelihood = naive_bayes_parameters(
            counts, np.bincount(y, minlength=C), self.alpha
        )
        return self

    def scores(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """log P(c) + Σ log P(f | c) over each document's known features: (N, C)."""
        if self.log_likelihood is None:
            raise RuntimeError("NaiveBayes: call fit() first")
        out = np.empty((len(docs), len(self.log_prior)))
        for n, doc in enumerate(docs):
            idx = [self.features[f] for f in self._features(doc) if f in self.features]
            out[n] = self.log_prior + self.log_likelihood[:, idx].sum(axis=1)
        return out

    def predict(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        return self.scores(docs).argmax(axis=1)

    def accuracy(self, docs: Sequence[Sequence[str]], y: Any) -> float:
        return float((self.predict(docs) == np.asarray(y)).mean())


# ---------------------------------------------------------------------- hand-built features
def hand_features(tokens: Sequence[Sequence[str]]) -> np.ndarray:
    """The six J&M sentiment features (:func:`nnlib.text.sentiment_features`) of each document,
    with the VADER lexicon for x1 and x2: (N, 6)."""
    lex = load_sentiment_lexicon()
    return np.stack([sentiment_features(t, lex.positive, lex.negative) for t in tokens])


@dataclass
class HandFeatureRun:
    """Logistic regression or an MLP trained on the six hand-built features (chapter 3)."""

    model: nn.Module
    mean: np.ndarray  # the training split's feature means and standard deviations,
    std: np.ndarray  # used to standardise every split
    valid_acc: float
    seconds: float  # CPU time

    def accuracy(self, split: EncodedSplit) -> float:
        X = (_hand_features_of(split) - self.mean) / self.std
        return evaluate(self.model, None, (X, split.y), metrics={"acc": accuracy})["acc"]


@lru_cache(maxsize=8)
def _hand_features_of(split: EncodedSplit) -> np.ndarray:
    return hand_features(split.tokens)


def train_hand_feature_model(
    data: ReviewData, *, hidden: int | None = None, epochs: int = 20, seed: int = 0
) -> HandFeatureRun:
    """Logistic regression (``hidden=None``) or a one-hidden-layer ReLU MLP on the six features,
    trained with Adam (lr 0.01, batch 64) and cross-entropy, best epoch on valid kept.

    The features are standardised with the training split's mean and standard deviation.
    """
    X_train = _hand_features_of(data.train)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-12
    X_valid = (_hand_features_of(data.valid) - mean) / std
    sizes = [6, 2] if hidden is None else [6, hidden, 2]
    model = nn.MLP(sizes, "relu", rng=seed)
    keep = _KeepBest()
    start = time.process_time()
    fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), 1e-2),
        ((X_train - mean) / std, data.train.y),
        (X_valid, data.valid.y),
        epochs=epochs,
        batch_size=64,
        rng=seed,
        metrics={"acc": accuracy},
        callbacks=[keep],
    )
    seconds = time.process_time() - start
    model.load_state_dict(keep.state)
    model.eval()
    return HandFeatureRun(model, mean, std, keep.best, seconds)


# ---------------------------------------------------------------------- experiments
@dataclass(frozen=True)
class Config:
    """One embedding model and how it is trained: the rows of the chapter's comparison table."""

    name: str
    model: str = "dan"  # "dan" or "cnn"
    pool: str = "mean"
    d: int = 50
    hidden: tuple[int, ...] = (50,)  # DAN: sizes of the hidden layers
    width: int = 3  # CNN: window width
    filters: int = 100  # CNN: number of filters
    emb_std: float = 0.1  # E ~ N(0, emb_std^2) for words without a pretrained vector
    init: str = "random"  # "random", "glove" (fine-tuned) or "glove-frozen"
    word_dropout: float = 0.0  # DAN
    dropout: float = 0.0  # CNN: on the pooled features
    epochs: int = 20  # at most: the best epoch on valid is kept
    lr: float = 1e-3
    batch_size: int = 64

    def build(self, data: ReviewData, seed: int) -> nn.Module:
        """A fresh model for this configuration, its random numbers drawn from ``seed``."""
        rng = np.random.default_rng(seed)
        E_init = None
        if self.init in ("glove", "glove-frozen"):
            E_init, _ = glove_table(data.vocab, rng=rng)  # words GloVe lacks: GloVe's scale
        elif self.init != "random":
            raise ValueError(f"Config.init: random, glove or glove-frozen, not {self.init!r}")
        common = dict(
            emb_std=self.emb_std, E_init=E_init, freeze=self.init == "glove-frozen", rng=rng
        )
        if self.model == "dan":
            return DAN(
                len(data.vocab),
                self.d,
                self.hidden,
                pool=self.pool,
                word_dropout=self.word_dropout,
                **common,
            )
        if self.model == "cnn":
            return CNN(
                len(data.vocab),
                self.d,
                self.width,
                self.filters,
                pool=self.pool,
                dropout=self.dropout,
                **common,
            )
        raise ValueError(f"Config.model must be 'dan' or 'cnn', got {self.model!r}")


@dataclass
class Run:
    """One training run of a :class:`Config` with one seed."""

    config: Config
    seed: int
    result: TrainResult

    @property
    def valid_acc(self) -> float:
        return self.result.valid_acc

    def test_acc(self, data: ReviewData) -> float:
        """Accuracy on the test split: call once per run, for the configuration chosen on valid."""
        return accuracy_on(self.result.model, data.test)


def run_config(
    config: Config,
    data: ReviewData,
    seed: int,
    *,
    epochs: int | None = None,
    callbacks: Sequence[Any] = (),
) -> Run:
    """Build and train ``config`` with ``seed`` (``epochs`` overrides the config's)."""
    model = config.build(data, seed)
    result = train_classifier(
        model,
        data,
        epochs=config.epochs if epochs is None else epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        seed=seed,
        callbacks=callbacks,
    )
    return Run(config, seed, result)


# The chapter's comparison (book: 4.5, 4.7). The full table (scripts/embeddings_table.py) trains
# each with 5 seeds for up to `epochs` epochs; the chapter itself runs a reduced version.
CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config("DAN, E ~ N(0, 1)", emb_std=1.0),
        Config("DAN, E ~ N(0, 0.1^2)", emb_std=0.1),
        Config("DAN, word dropout 0.3", emb_std=0.1, word_dropout=0.3),
        Config("DAN, max pooling", emb_std=0.1, pool="max"),
        Config("DAN, GloVe, frozen", init="glove-frozen"),
        Config("DAN, GloVe, fine-tuned", init="glove"),
        Config("CNN, mean pooling", model="cnn", pool="mean", epochs=10),
        Config("CNN, max pooling", model="cnn", pool="max", epochs=10),
        Config("CNN, max pooling, GloVe", model="cnn", pool="max", init="glove", epochs=10),
    )
}


@dataclass
class Summary:
    """Mean and standard deviation over seeds of one configuration's accuracies."""

    name: str
    valid: np.ndarray  # one accuracy per seed
    test: np.ndarray | None  # None unless the configuration was evaluated on test
    cpu_per_epoch: float  # mean CPU seconds per training epoch

    def describe(self, split: str = "valid") -> str:
        a = self.valid if split == "valid" else self.test
        return f"{100 * a.mean():.1f} ± {100 * a.std():.1f}"


# ---------------------------------------------------------------------- similarity
def cosine_similarity(E: Any, i: int) -> np.ndarray:
    """cos(e_i, e_j) = e_i . e_j / (|e_i| |e_j|) for every row j of E (0 for a zero row)."""
    E = np.asarray(E, dtype=np.float64)
    norms = np.linalg.norm(E, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    sims = (E @ E[i]) / (safe * (norms[i] if norms[i] > 0 else 1.0))
    return np.where(norms > 0, sims, 0.0)


def nearest_neighbours(
    E: Any, vocab: Vocab, word: str, k: int = 8, *, skip: Iterable[str] = ("<pad>", "<unk>")
) -> list[tuple[str, float]]:
    """The ``k`` words whose rows of E have the largest cosine similarity to ``word``'s row."""
    if word not in vocab:
        raise KeyError(f"{word!r} is not in the vocabulary (|V| = {len(vocab)})")
    i = vocab[word]
    sims = cosine_similarity(E, i)
    banned = {i} | {vocab[s] for s in skip if s in vocab}
    order = [j for j in np.argsort(-sims, kind="stable") if j not in banned][:k]
    return [(vocab.token(j), float(sims[j])) for j in order]


# ---------------------------------------------------------------------- counting
def ngram_count(docs: Iterable[Sequence[str]], gram: Sequence[str]) -> int:
    """How often the n-gram ``gram`` (a tuple of tokens) occurs in the token lists ``docs``."""
    gram = tuple(gram)
    return sum(g == gram for doc in docs for g in ngrams(doc, len(gram)))


def word_label_rate(split: EncodedSplit, word: str) -> tuple[int, float]:
    """(n, p): how many sentences of ``split`` contain ``word``, and the fraction of them labelled
    positive (NaN when none does)."""
    has = np.array([word in toks for toks in split.tokens])
    n = int(has.sum())
    return n, float(split.y[has].mean()) if n else float("nan")


# ---------------------------------------------------------------------- looking inside
@dataclass
class SentenceView:
    """What the sentence explorer shows: tokens as the model sees them, their ids and rows of E,
    the two pooled vectors, the DAN's last hidden layer and its class probabilities."""

    tokens: list[str]  # after the vocabulary: unknown words shown as <unk>
    words: list[str]  # the tokens as typed
    ids: np.ndarray
    rows: np.ndarray  # (n, d): E[ids]
    mean: np.ndarray  # (d,)
    max: np.ndarray  # (d,)
    hidden: np.ndarray  # the last hidden layer h of the DAN's MLP
    probs: np.ndarray  # (n_classes,)


def explain_sentence(model: DAN, vocab: Vocab, text: str) -> SentenceView:
    """Tokenise ``text``, look its words up in the model's E, pool, and classify."""
    words = tokenize(text)
    if not words:
        raise ValueError("explain_sentence: the text has no tokens; type a sentence")
    ids = vocab.encode(words)
    mask = np.ones((1, len(ids)), dtype=model.embedding.E.dtype)
    rows = model.embedding.E.data[ids]
    was = model.training
    model.eval()
    try:
        with no_grad():
            h = model.sentence_embedding(ids[None, :], mask)
            for layer in model.mlp.layers[:-1]:  # every layer but the output layer
                h = layer(h)
            logits = model.mlp.layers[-1](h).data[0]
    finally:
        model.train(was)
    return SentenceView(
        tokens=vocab.decode(ids),
        words=words,
        ids=ids,
        rows=rows,
        mean=rows.mean(axis=0),
        max=rows.max(axis=0),
        hidden=h.data[0],
        probs=F.softmax(logits.astype(np.float64)),
    )


@dataclass
class FilterView:
    """A CNN's view of one sentence: each window's words and filter activations, the pooled
    features and the prediction."""

    tokens: list[str]
    windows: list[tuple[str, ...]]  # the words of each window (<pad> at the ends)
    activations: np.ndarray  # (n_windows, filters)
    pooled: np.ndarray  # (filters,)
    probs: np.ndarray  # (n_classes,)
    contribution: np.ndarray  # (filters,): pooled_k * (U[1, k] - U[0, k]), its vote for positive


def window_activations(
    model: CNN, vocab: Vocab, words: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(u, a) for one window of ``model.width`` words: u = [e(w_1); ...; e(w_k)], the rows of E
    concatenated (k d,), and every filter's activation a = ReLU(u W^T + b) (filters,)."""
    if len(words) != model.width:
        raise ValueError(f"window_activations: need {model.width} words, got {len(words)}")
    ids = vocab.encode(list(words))
    u = model.embedding.E.data[ids].reshape(-1)
    W, b = model.conv.linear.W.data, model.conv.linear.b.data
    return u, np.maximum(u @ W.T + b, 0.0)


@dataclass
class TransferExperiment:
    """What one lesson about one n-gram teaches a CNN about others (book: 4.7, unseen n-grams).

    The model was fine-tuned on the single sentence ``taught`` with label ``label``, its
    embeddings frozen. ``words[i]`` is the word put in the template's slot, ``similarity[i]`` the
    cosine of its embedding with the taught word's, and ``before[i]``, ``after[i]`` the model's
    margin z_positive - z_negative for the resulting sentence before and after the lesson.
    """

    template: tuple[str, ...]
    taught: str
    label: int
    words: list[str]
    similarity: np.ndarray
    before: np.ndarray
    after: np.ndarray

    @property
    def change(self) -> np.ndarray:
        """How much each sentence's margin moved."""
        return self.after - self.before

    def sentence(self, word: str) -> str:
        return " ".join(word if t == "{}" else t for t in self.template)

    def row(self, word: str) -> tuple[float, float]:
        """(similarity to the taught word, change of margin) for one candidate word."""
        i = self.words.index(word)
        return float(self.similarity[i]), float(self.change[i])


def transfer_experiment(
    model: CNN,
    vocab: Vocab,
    *,
    template: Sequence[str] = ("i", "really", "{}", "spinach"),
    taught: str = "like",
    label: int = 0,
    candidates: int = 3000,
    steps: int = 30,
    lr: float = 0.05,
) -> TransferExperiment:
    """Teach a copy of ``model`` one sentence and see which unseen sentences the lesson reaches.

    The template's slot ``{}`` is filled with ``taught`` for the lesson (``steps`` of SGD with
    learning rate ``lr`` on that one sentence and ``label``, E frozen so that only the filters and
    the output layer learn), and with each of the ``candidates`` most frequent words for the
    test. An n-gram-indicator model would change only its prediction for the taught sentence; a
    CNN changes every sentence whose windows look similar, through similar embeddings.
    """
    import copy

    slot = list(template).index("{}")
    words = [w for w in vocab.itos[2 : 2 + candidates] if w != taught] + [taught]
    ids = np.array([vocab.encode([w if t == "{}" else t for t in template]) for w in words])
    mask = np.ones(ids.shape)
    student = copy.deepcopy(model)
    student.embedding.E.requires_grad = False
    before = np.diff(predict(student, ids, mask), axis=1)[:, 0]
    lesson = ids[-1:]
    opt = optim.SGD([p for p in student.parameters() if p.requires_grad], lr)
    student.train()
    for _ in range(steps):
        loss = F.cross_entropy(student(lesson, mask[-1:]), np.array([label]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = np.diff(predict(student, ids, mask), axis=1)[:, 0]
    E = model.embedding.E.data
    similarity = cosine_similarity(E[ids[:, slot]], len(words) - 1)
    return TransferExperiment(tuple(template), taught, label, words, similarity, before, after)


def filter_responses(model: CNN, vocab: Vocab, text: str) -> FilterView:
    """Run the CNN on one sentence and keep every window's filter activations."""
    words = tokenize(text)
    if not words:
        raise ValueError("filter_responses: the text has no tokens; type a sentence")
    ids = vocab.encode(words)[None, :]
    mask = np.ones(ids.shape)
    was = model.training
    model.eval()
    try:
        with no_grad():
            a, wmask = model.window_activations(ids, mask)
            pooled = model.pool(a, wmask).data[0]
            logits = model.out(Tensor(pooled[None, :])).data[0]
    finally:
        model.train(was)
    k = model.width
    padded = ["<pad>"] * (k - 1) + vocab.decode(ids[0]) + ["<pad>"] * (k - 1)
    wins = [tuple(padded[j : j + k]) for j in range(len(padded) - k + 1)]
    U = model.out.W.data
    return FilterView(
        tokens=vocab.decode(ids[0]),
        windows=wins,
        activations=a.data[0],
        pooled=pooled,
        probs=F.softmax(logits.astype(np.float64)),
        contribution=pooled * (U[1] - U[0]),
    )
