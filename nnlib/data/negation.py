"""A tiny sentiment data set where negation flips the meaning of "good" (book: chapter 2, XOR).

Two binary features per review: x1 = 1 if it contains a positive word ("good", "great",
"fine", "nice"), x2 = 1 if it contains a negation ("not", "never", "no", or a word ending in
"n't"). The label is 1 (positive) for "good" without a negation and for a negated negative
("not bad"), 0 otherwise: y = x1 XOR x2. No line in the (x1, x2) plane separates the classes,
so logistic regression on these two features cannot fit the data; a small MLP can.

The reviews were written for nnbook (public domain, CC0).
"""

from __future__ import annotations

import numpy as np

POSITIVE_WORDS = ("good", "great", "fine", "nice")
NEGATIONS = ("not", "never", "no")
FEATURE_NAMES = ("has a positive word", "has a negation")

# (review, label): 1 = positive sentiment, 0 = negative.
REVIEWS: tuple[tuple[str, int], ...] = (
    # a positive word, no negation -> positive
    ("a good film", 1),
    ("great acting and a great score", 1),
    ("the ending was fine", 1),
    ("good fun for the whole family", 1),
    ("a nice surprise", 1),
    # a positive word and a negation -> negative
    ("not good at all", 0),
    ("the plot was never great", 0),
    ("it isn't a nice film", 0),
    ("no good reason to watch it", 0),
    # a negation, no positive word -> positive ("not bad")
    ("not bad", 1),
    ("never boring", 1),
    ("i didn't hate it", 1),
    # neither -> negative
    ("a bad film", 0),
    ("boring and far too long", 0),
    ("i hated it", 0),
    ("a dull script", 0),
)


def _tokens(text: str) -> list[str]:
    return text.lower().replace(",", " ").replace(".", " ").split()


def features(text: str) -> np.ndarray:
    """[has a positive word, has a negation] of one review, as floats 0/1."""
    if not isinstance(text, str):
        raise TypeError(f"features: expected a review as a string, got {type(text).__name__}")
    toks = _tokens(text)
    pos = any(t in POSITIVE_WORDS for t in toks)
    neg = any(t in NEGATIONS or t.endswith("n't") for t in toks)
    return np.array([float(pos), float(neg)])


def load_negation() -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, X, y): the 16 reviews, their features X (16, 2) and labels y (16,) ints."""
    texts = [t for t, _ in REVIEWS]
    X = np.stack([features(t) for t in texts])
    y = np.array([label for _, label in REVIEWS], dtype=np.int64)
    return texts, X, y
