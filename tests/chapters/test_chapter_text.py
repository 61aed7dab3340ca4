"""The text of chapters 1 and 2 (issue #16): terms are defined before they are used, the
history is accurate, and every note on the sources names a source a student can find."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("Houjun Liu", "Jurafsky & Martin", "Changyu Lee")


def prose(name: str) -> str:
    """The chapter's markdown after its opening cell (which lists what the reader will learn)."""
    nb = nbformat.read(ROOT / "book" / name, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"]
    return "\n\n".join(cells[1:])


# (chapter, term as used, how the definition marks it)
DEFINED = [
    ("01_units.ipynb", "loss", "**loss**"),
    ("01_units.ipynb", "gradient descent", "**Gradient descent**"),
    ("01_units.ipynb", "learning rate", "**learning rate**"),
    ("01_units.ipynb", "cross-entropy", "**cross-entropy loss**"),
    ("02_xor.ipynb", "epoch", "*epoch*"),
    ("02_xor.ipynb", "convex", "**convex**"),
    ("02_xor.ipynb", "MLP", "**multi-layer perceptron** (MLP)"),
    ("02_xor.ipynb", "logit", "**logit**"),
    ("02_xor.ipynb", "cross-entropy", "**cross-entropy**"),
]


@pytest.mark.parametrize("name, term, marker", DEFINED, ids=lambda v: str(v))
def test_terms_are_defined_before_they_are_used(name, term, marker):
    text = prose(name)
    defined = text.find(marker)
    assert defined >= 0, f"{name}: no definition {marker!r}"
    first = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, flags=re.IGNORECASE)
    assert first is not None
    used = first.start()
    assert used >= defined - 2, (
        f"{name}: {term!r} is used before its definition: {text[used - 80 : used + 40]!r}"
    )


def test_history_is_accurate():
    both = prose("01_units.ipynb") + prose("02_xor.ipynb")
    for fact in ["McCulloch", "Pitts", "1943", "Rosenblatt", "1958", "Minsky", "Papert", "1969"]:
        assert fact in both, f"{fact} is missing"
    for sentence in re.split(r"(?<=[.!?])\s", both):
        if re.search(r"\boldest\b", sentence):
            assert "McCulloch" in sentence, (
                f"the oldest unit is McCulloch and Pitts's: {sentence!r}"
            )


def test_notes_on_the_sources_name_the_source():
    text = prose("01_units.ipynb") + prose("02_xor.ipynb")
    notes = re.findall(r"Note on the sources[^\n]*\n(.*?)```", text, flags=re.DOTALL)
    assert len(notes) >= 3  # "twice as steep", hard tanh's middle piece, leaky ReLU at 0
    for note in notes:
        assert any(s in note for s in SOURCES), f"a note does not say which source: {note[:120]!r}"
