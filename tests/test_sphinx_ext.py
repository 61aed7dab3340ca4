"""The book's Sphinx extension (scripts/nnbook_sphinx.py): docstrings written in the book's
notation parse as intended, and the API reference's module list is the package's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import docutils.core
import docutils.utils
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("nnbook_sphinx", ROOT / "scripts/nnbook_sphinx.py")
ext = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ext)


def render(lines: list[str]) -> tuple[str, list[str]]:
    """Plain docutils: the text of the parsed document and any problems reported."""
    problems: list[str] = []

    class Stream:
        def write(self, text):
            problems.append(text)

    doc = docutils.core.publish_doctree(
        "\n".join(lines), settings_overrides={"warning_stream": Stream(), "report_level": 2}
    )
    return doc.astext(), problems


@pytest.mark.parametrize(
    ("line", "shown", "needed"),
    [
        ("no overflow for |z| up to the limits", "no overflow for |z| up to the limits", True),
        ("len(vocab) is |V|, the rows of E", "len(vocab) is |V|, the rows of E", True),
        ("max|a - b| / max|a|", "max|a - b| / max|a|", False),
        ("Different ``key``s give seeds", "Different keys give seeds", True),
        ("a literal ``x | y`` stays", "a literal x | y stays", False),
        ("``f(1)``. Different ``key``s, one ``x``", "f(1). Different keys, one x", True),
    ],
)
def test_docstring_notation_parses_as_written(line, shown, needed):
    text, problems = render(ext.escape_bars([line]))
    assert not problems, problems
    assert text == shown
    raw_text, raw_problems = render([line])
    # Where the escape is needed, plain RST reports an error or renders something else.
    assert bool(raw_problems or raw_text != shown) == needed, (raw_text, raw_problems)


def test_literal_blocks_and_doctests_are_left_alone():
    lines = ["Example::", "", "    a | b", "", ">>> x | y", "after |z|"]
    assert ext.escape_bars(lines)[:5] == lines[:5]
    assert ext.escape_bars(lines)[5] == "after \\|z\\|"


def test_public_modules_are_every_module_on_disk():
    on_disk = set()
    for path in (ROOT / "nnlib").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if "__pycache__" not in path.parts and not any(p.startswith("_") for p in parts):
            on_disk.add(".".join(parts))
    found = ext.public_modules()
    assert found[0] == "nnlib" and set(found) == on_disk


def test_api_pages_partition_the_modules():
    """The groups book/api/*.md ask for cover every public module exactly once."""
    import re

    chosen: list[str] = []
    for page in sorted((ROOT / "book" / "api").glob("*.md")):
        text = page.read_text()
        match = re.search(r"```\{nnlib-api\}(.*)\n(?::exclude:(.*)\n)?```", text)
        assert match, f"{page.name} has no nnlib-api directive"
        include = match.group(1).split() or ["nnlib"]
        exclude = (match.group(2) or "").split()
        chosen += ext.select_modules(include, exclude)
    assert sorted(chosen) == sorted(ext.public_modules()), "a module is missing or on two pages"
