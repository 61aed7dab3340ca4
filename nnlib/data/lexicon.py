"""The VADER sentiment lexicon as positive and negative word sets (book: chapter 3).

Data card
---------
Source
    ``vaderSentiment/vader_lexicon.txt`` inside the wheel ``vaderSentiment==3.3.2`` (PyPI; fetched
    and sha256-checked by :mod:`nnlib.data.cache`, never installed). Hutto & Gilbert, "VADER: A
    Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM 2014.
Licence
    MIT (the package and its lexicon).
Format
    UTF-8, CRLF line endings, one entry per line, four tab-separated fields: the token, its mean
    valence (-4 extremely negative ... +4 extremely positive), the standard deviation, and the ten
    raters' integer ratings. 7,520 lines.
What the loader does
    Reads every entry as VADER itself does: the token and its mean valence; when a token occurs
    twice (14 tokens do, e.g. ``lol`` 2.9 and 1.8, ``sob`` -2.8 and -1.0) the later line wins.
    That leaves **7,506 distinct tokens**. Positive = mean valence > 0: **3,337 tokens**;
    negative = mean < 0: **4,169 tokens**; no entry has a mean of exactly 0. Tokens are kept
    exactly as written (no lowercasing: emoticons such as ``:D`` and ``O.o`` are case-sensitive).
Quirks worth knowing
    * Not just words: 180 entries contain no letter at all (emoticons such as ``:-)``, ``</3``),
      others are slang or texting abbreviations (``gr8``, ``2qt``, ``lol``), and four contain a
      space (``can't stand``, ``fed up``, ``screwed up`` and the emoticon ``( '}{' )``), so a
      single-word tokeniser never matches those four. 7,209 tokens are plain lowercase words
      (``str.isalpha``), which is what a word-level feature will actually meet.
    * ``no`` is in the lexicon as **negative** (mean -1.2). Chapter 3's logistic-regression
      features count negative-lexicon words (x2) *and* flag whether "no" occurs (x3), so a "no" in
      a review is counted twice: once in x2, once in x3. ``not`` and ``never`` are not entries
      (VADER handles negation by rule, not by lexicon).
    * Words are scored out of context: ``like`` is positive (+1.5) even in "looks like rain".
    * Four lines' stored mean or standard deviation disagrees with their own ten ratings
      (``lmfao``, ``badass``, ``flawed``, ``repetitive``: e.g. 0.06325 stored where the ratings
      give 0.632); the loader uses the stored mean, as VADER does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cache import WHEELS, read_member

SPEC = WHEELS["lexicon"]
MEMBER = "vaderSentiment/vader_lexicon.txt"


@dataclass
class SentimentLexicon:
    """``positive`` and ``negative`` token sets and every token's mean valence in ``scores``
    (-4 ... +4; positive means > 0)."""

    positive: frozenset[str]
    negative: frozenset[str]
    scores: dict[str, float]

    def __len__(self) -> int:
        return len(self.scores)

    def __repr__(self) -> str:
        return (
            f"SentimentLexicon({len(self.scores)} tokens: {len(self.positive)} positive, "
            f"{len(self.negative)} negative)"
        )


def parse_lexicon(text: str) -> dict[str, float]:
    """token -> mean valence from the text of ``vader_lexicon.txt`` (later duplicates win)."""
    scores: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise ValueError(f"{MEMBER}, line {number}: expected 4 tab-separated fields: {line!r}")
        scores[fields[0]] = float(fields[1])
    return scores


def load_sentiment_lexicon() -> SentimentLexicon:
    """The VADER lexicon: positive tokens (mean valence > 0), negative tokens (< 0) and the scores.

    The first call fetches ``vaderSentiment==3.3.2`` (126 kB) into the data cache; see the module
    docstring for the data card (emoticons, multi-word entries, "no" is negative).
    """
    scores = parse_lexicon(read_member(SPEC, MEMBER).decode("utf-8"))
    return SentimentLexicon(
        positive=frozenset(t for t, s in scores.items() if s > 0),
        negative=frozenset(t for t, s in scores.items() if s < 0),
        scores=scores,
    )
