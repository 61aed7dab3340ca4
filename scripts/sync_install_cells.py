"""Keep the install cell (the first code cell of every notebook) identical everywhere.

Usage:

    python scripts/sync_install_cells.py            # rewrite every notebook whose cell differs
    python scripts/sync_install_cells.py --check    # list notebooks out of step; exit 1 if any

The cell's text lives in one place, `scripts/install_cell.ipy`, with two placeholders filled in
here: `{{version}}` (nnlib's `__version__`, so Colab installs the matching release tag) and
`{{repo}}` (`repository.url` in `_config.yml`, the one place the repository URL lives).

Every notebook under book/, solutions/ and exercises/ gets it as its first code cell, tagged
`remove-cell` so the published page does not show it (it still runs when the book is built).
In solutions/ and exercises/ the cell also carries locked nbgrader metadata (grade_id `install`),
so the grader treats it as a read-only set-up cell. A first code cell that installs something
(`%pip install`, `piplite`) is taken to be an older install cell and replaced; otherwise the
install cell is inserted before it. Cell ids are kept, so diffs stay small.

Standard library only, so it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "scripts" / "install_cell.ipy"
FOLDERS = ("book", "solutions", "exercises")
GRADED_FOLDERS = ("solutions", "exercises")
TAG = "remove-cell"
GRADE_ID = "install"
NBGRADER = {
    "grade": False,
    "grade_id": GRADE_ID,
    "locked": True,
    "schema_version": 3,
    "solution": False,
}
# What marks a first code cell as an (older) install cell to be replaced, not kept.
INSTALL_HINTS = ("%pip install", "!pip install", "piplite", "sync_install_cells")


def project_version() -> str:
    text = (ROOT / "nnlib" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        sys.exit('sync_install_cells: no __version__ = "..." line in nnlib/__init__.py')
    return match.group(1)


def repository_url() -> str:
    """`repository.url` from _config.yml (read without a YAML library: one indented key)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, re.MULTILINE)
    if match is None:
        sys.exit("sync_install_cells: no `repository: url:` in _config.yml")
    return match.group(1).strip("\"'").rstrip("/")


def cell_source() -> str:
    """The install cell's text, placeholders filled in."""
    text = TEMPLATE.read_text(encoding="utf-8").rstrip("\n")
    text = text.replace("{{version}}", project_version()).replace("{{repo}}", repository_url())
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        sys.exit(f"sync_install_cells: unknown placeholders in {TEMPLATE.name}: {left}")
    return text


def notebooks() -> list[Path]:
    return sorted(
        p
        for folder in FOLDERS
        for p in (ROOT / folder).glob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def expected_metadata(path: Path, old: dict | None = None) -> dict:
    meta = {k: v for k, v in (old or {}).items() if k not in ("tags", "nbgrader")}
    tags = [t for t in (old or {}).get("tags", []) if t != TAG]
    meta["tags"] = [*tags, TAG]
    if path.parent.name in GRADED_FOLDERS:
        meta["nbgrader"] = dict(NBGRADER)
    return meta


def synced(nb: dict, path: Path, source: str) -> dict:
    """The notebook with its install cell in step (a new dict; `nb` is not changed)."""
    nb = json.loads(json.dumps(nb))
    cells = nb.setdefault("cells", [])
    first = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), None)
    replace = first is not None and any(h in _text(cells[first]["source"]) for h in INSTALL_HINTS)
    if replace:
        cell = cells[first]
    else:
        cell = {"cell_type": "code", "id": GRADE_ID, "metadata": {}, "source": ""}
        used = {c.get("id") for c in cells}
        if cell["id"] in used:
            cell["id"] = next(
                f"{GRADE_ID}-{n}" for n in range(1, 10_000) if f"{GRADE_ID}-{n}" not in used
            )
        cells.insert(len(cells) if first is None else first, cell)
    cell["metadata"] = expected_metadata(path, cell.get("metadata"))
    cell["source"] = source.splitlines(keepends=True)  # nbformat stores source as lines
    cell["execution_count"] = None
    cell["outputs"] = []
    return nb


def problems(nb: dict, path: Path, source: str) -> list[str]:
    """Why this notebook's install cell is not the template's (empty: in step)."""
    cells = nb.get("cells", [])
    first = next((c for c in cells if c.get("cell_type") == "code"), None)
    if first is None:
        return ["no code cell at all"]
    out = []
    if _text(first.get("source", "")) != source:
        out.append("its first code cell is not the install cell of scripts/install_cell.ipy")
    meta = first.get("metadata", {})
    if TAG not in meta.get("tags", []):
        out.append(f"the install cell lacks the tag {TAG!r} (it would show on the site)")
    if path.parent.name in GRADED_FOLDERS and meta.get("nbgrader") != NBGRADER:
        out.append(f"the install cell lacks the locked nbgrader metadata {NBGRADER}")
    if first.get("outputs") or first.get("execution_count") is not None:
        out.append("the install cell has outputs or an execution count")
    return out


def _write(path: Path, nb: dict) -> None:
    # nbformat's own layout (indent 1, keys sorted, final newline), so diffs stay small.
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, do not write")
    args = parser.parse_args(argv)
    source = cell_source()
    bad = 0
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        found = problems(nb, path, source)
        if not found:
            continue
        bad += 1
        rel = path.relative_to(ROOT)
        if args.check:
            print(f"{rel}: " + "; ".join(found))
        else:
            _write(path, synced(nb, path, source))
            print(f"sync_install_cells: rewrote the install cell of {rel}")
    if args.check and bad:
        print("Fix with: python scripts/sync_install_cells.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
