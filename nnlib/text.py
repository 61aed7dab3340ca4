"""From text to numbers: tokens, a vocabulary, padded batches, n-grams and windows.

Book: Feedforward networks (hand-built sentiment features), Embeddings (token ids, padding and
masks), The neural language model (windows of context words, n-grams).

- :func:`tokenize` splits a text into lowercase word and punctuation tokens;
- :class:`Vocab` maps tokens to integer ids (the row numbers of an embedding matrix E) and back;
- :func:`pad` turns sequences of different lengths into one (N, L) array of ids and a mask;
- :func:`windows` cuts a token stream into (context, next word) pairs for a language model;
- :func:`ngrams` lists a sequence's n-grams;
- :func:`sentiment_features` computes the six hand-designed features of Jurafsky & Martin's
  sentiment example (chapters 3 and 4 both use them).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "tokenize",
    "Vocab",
    "PAD",
    "UNK",
    "pad",
    "windows",
    "ngrams",
    "PRONOUNS",
    "is_pronoun",
    "SENTIMENT_FEATURES",
    "sentiment_features",
]

PAD, UNK = "<pad>", "<unk>"

# A word: letters and digits, with inner apostrophes or hyphens ("don't", "well-made", "9-year");
# anything else that is not a space is a token of its own ("!", ",", "(").
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[^\w\s]|_")


def tokenize(text: str) -> list[str]:
    """Lowercase word and punctuation tokens of ``text``.

    Rules: the text is lowercased; a word is a run of letters and digits (any script), and may
    contain an apostrophe or hyphen between letters ("don't", "well-made" stay one token); every
    other non-space character is a token by itself ("!", "?", ",", "."), so "great!!" gives
    ["great", "!", "!"]. Whitespace only separates. No stemming, no stop-word removal.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a string, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


class Vocab:
    """A vocabulary: token <-> id, with ids 0, 1, ... in a fixed, documented order.

    The special tokens come first (default ``<pad>`` = 0, ``<unk>`` = 1), then the kept tokens by
    decreasing count, ties broken alphabetically, so the same corpus always gives the same ids.
    A token is kept if it occurs at least ``min_count`` times, and at most ``max_size`` tokens are
    kept in all (specials included). Unknown tokens map to ``<unk>``.

    ``vocab["good"]`` is an id, ``vocab.token(7)`` a token, ``vocab.encode(tokens)`` an int array,
    ``vocab.decode(ids)`` a list of tokens; ``len(vocab)`` is |V|, the number of rows of E.
    """

    def __init__(
        self,
        tokens: Iterable[str] = (),
        *,
        specials: Sequence[str] = (PAD, UNK),
        counts: dict[str, int] | None = None,
    ) -> None:
        self.specials = tuple(specials)
        if len(set(self.specials)) != len(self.specials):
            raise ValueError(f"Vocab: specials must be distinct, got {self.specials}")
        self.itos: list[str] = list(self.specials)
        for t in tokens:
            if t not in self.specials:
                self.itos.append(t)
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("Vocab: the token list has duplicates")
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.counts = dict(counts or {})

    @classmethod
    def build(
        cls,
        texts: Iterable[Sequence[str]],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (PAD, UNK),
    ) -> Vocab:
        """The vocabulary of tokenised ``texts`` (an iterable of token lists)."""
        if min_count < 1:
            raise ValueError(f"Vocab.build: min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"Vocab.build: max_size {max_size} leaves no room next to the {len(specials)} "
                f"special tokens"
            )
        counts: Counter[str] = Counter()
        for toks in texts:
            if isinstance(toks, str):
                raise TypeError("Vocab.build takes token lists; call tokenize(text) first")
            counts.update(toks)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_count and t not in specials),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[: max_size - len(specials)]
        return cls(kept, specials=specials, counts=dict(counts))

    # ------------------------------------------------------------------ look-ups
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        i = self.stoi.get(token)
        return self.unk_id if i is None else i  # unk_id only when needed: it may not exist

    @property
    def pad_id(self) -> int:
        return self._special_id(PAD)

    @property
    def unk_id(self) -> int:
        return self._special_id(UNK)

    def _special_id(self, tok: str) -> int:
        if tok not in self.stoi:
            raise KeyError(f"this Vocab has no {tok} token (specials: {self.specials})")
        return self.stoi[tok]

    def token(self, i: int) -> str:
        """The token with id ``i``."""
        if not 0 <= int(i) < len(self.itos):
            raise IndexError(f"Vocab: id {i} is outside 0..{len(self.itos) - 1}")
        return self.itos[int(i)]

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids (int64); tokens not in the vocabulary become ``<unk>``."""
        if isinstance(tokens, str):
            raise TypeError("Vocab.encode takes a token list; call tokenize(text) first")
        if UNK in self.stoi:
            unk = self.stoi[UNK]
            return np.array([self.stoi.get(t, unk) for t in tokens], dtype=np.int64)
        missing = [t for t in tokens if t not in self.stoi]
        if missing:
            raise KeyError(f"Vocab has no <unk> token and does not contain {missing[:5]}")
        return np.array([self.stoi[t] for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ``ids``."""
        return [self.token(i) for i in np.asarray(ids).reshape(-1)]

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> None:
        """Write the vocabulary (tokens in id order, specials, counts) as JSON."""
        data = {"specials": list(self.specials), "itos": self.itos, "counts": self.counts}
        Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocabulary written by :meth:`save`; the ids are exactly the saved ones."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        specials = data["specials"]
        if data["itos"][: len(specials)] != specials:
            raise ValueError(f"{path}: not a saved Vocab (specials must come first)")
        return cls(data["itos"][len(specials) :], specials=specials, counts=data.get("counts"))

    def __repr__(self) -> str:
        head = ", ".join(self.itos[:8])
        return f"Vocab({len(self)} tokens: {head}{', ...' if len(self) > 8 else ''})"


def pad(
    seqs: Sequence[Sequence[int]], *, pad_id: int = 0, max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, mask): sequences of ids padded into one (N, L) int64 array, and a (N, L) mask.

    L is the longest sequence's length, or ``max_len`` (longer sequences are truncated, keeping
    their start). ``mask`` is 1.0 at real tokens and 0.0 at padding, so pooling can skip the pads
    (:func:`nnlib.functional.mean_pool`). An empty sequence gives a row of padding (mask all 0).
    """
    rows = [np.asarray(s, dtype=np.int64).reshape(-1) for s in seqs]
    if not rows:
        raise ValueError("pad: no sequences given")
    if max_len is not None and max_len < 1:
        raise ValueError(f"pad: max_len must be >= 1, got {max_len}")
    L = max(max((len(r) for r in rows), default=0), 1)
    if max_len is not None:
        L = max_len
    ids = np.full((len(rows), L), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), L))
    for i, r in enumerate(rows):
        r = r[:L]
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1.0
    return ids, mask


def windows(
    ids: Sequence[int], n: int, *, pad_id: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(contexts, targets) for a language model with ``n`` words of context.

    Row t of ``contexts`` holds ids[t], ..., ids[t + n - 1] and ``targets[t]`` is ids[t + n]: the
    sliding window P(w_t | w_{t-n}, ..., w_{t-1}) of the book's Markov approximation. A stream of
    T ids gives T - n pairs. With ``pad_id``, n pads are put in front first so that every id in
    the stream (even the first) is a target: T pairs.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"windows: n must be a positive integer, got {n!r}")
    a = np.asarray(ids, dtype=np.int64).reshape(-1)
    if pad_id is not None:
        a = np.concatenate([np.full(n, pad_id, dtype=np.int64), a])
    if len(a) <= n:
        return np.empty((0, n), dtype=np.int64), np.empty(0, dtype=np.int64)
    ctx = np.lib.stride_tricks.sliding_window_view(a[:-1], n)
    return ctx.copy(), a[n:].copy()


def ngrams(tokens: Sequence[Any], n: int) -> list[tuple[Any, ...]]:
    """The n-grams of a sequence in order: ngrams("a b c".split(), 2) = [("a","b"), ("b","c")]."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"ngrams: n must be a positive integer, got {n!r}")
    seq = list(tokens)
    return [tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)]


# ---------------------------------------------------------------------- hand-built features
# First- and second-person pronouns (feature x4).
PRONOUNS = frozenset(
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves".split()
)


def is_pronoun(token: str) -> bool:
    """A 1st/2nd-person pronoun, alone or contracted: "you", and "you're", "i'm", "we've"."""
    return token in PRONOUNS or ("'" in token and token.split("'", 1)[0] in PRONOUNS)


SENTIMENT_FEATURES = (
    "x1: positive-lexicon words",
    "x2: negative-lexicon words",
    'x3: "no" in doc',
    "x4: 1st/2nd-person pronouns",
    'x5: "!" in doc',
    "x6: log(word count)",
)


def sentiment_features(
    tokens: Sequence[str], positive: Iterable[str] | set[str], negative: Iterable[str] | set[str]
) -> np.ndarray:
    """The six hand-designed sentiment features of one document (book: Feedforward networks).

    From Jurafsky & Martin's logistic-regression example, computed on :func:`tokenize` output:

    - x1 = how many tokens are in the positive lexicon (every occurrence counts),
    - x2 = how many tokens are in the negative lexicon,
    - x3 = 1 if the token "no" occurs, else 0,
    - x4 = how many tokens are first- or second-person pronouns (:data:`PRONOUNS`), including
      contractions that start with one ("you're", "i'm", "we've": :func:`tokenize` keeps these
      as one token, and they are 16% of the pronouns in the review sentences),
    - x5 = 1 if "!" occurs, else 0,
    - x6 = ln(number of word tokens), punctuation not counted (0 for a document without words).

    A word can count in x1 or x2 and in x3 at once (VADER's lexicon lists "no" as negative).
    """
    pos = positive if isinstance(positive, (set, frozenset)) else set(positive)
    neg = negative if isinstance(negative, (set, frozenset)) else set(negative)
    words = [t for t in tokens if t[:1].isalnum()]
    return np.array(
        [
            sum(t in pos for t in tokens),
            sum(t in neg for t in tokens),
            float("no" in tokens),
            sum(is_pronoun(t) for t in tokens),
            float("!" in tokens),
            math.log(len(words)) if words else 0.0,
        ],
        dtype=np.float64,
    )
