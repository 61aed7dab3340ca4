"""Clean notebooks for committing: strip outputs except in nbval-checked cells, reset counts.

Usage (from the repository root, with the project's Python):

    .venv/bin/python scripts/clean_notebooks.py                      # book/, solutions/, exercises/
    .venv/bin/python scripts/clean_notebooks.py book/01_units.ipynb  # just these files/folders
    .venv/bin/python scripts/clean_notebooks.py --check              # report only; exit 1 if dirty

The workflow for a chapter author:
  1. Execute the notebook top to bottom in a fresh kernel (JupyterLab "Restart Kernel and Run All",
     or `jupyter nbconvert --to notebook --execute --inplace book/NN_topic.ipynb`), so the cells
     marked `# NBVAL_CHECK_OUTPUT` (or tagged `nbval-check-output`) hold real outputs.
  2. Run this script. It keeps those cells' outputs (nbval compares them in `make test`), removes
     every other output, sets every execution count to null, drops saved widget state and per-cell
     execution timings (the book build re-executes and re-saves widget state), and adds the
     standard Python 3 kernelspec if the notebook has none.
  3. Commit. `tests/test_notebooks_clean.py` fails on any notebook that skipped step 2.

A checked cell whose stored output is an error cannot be cleaned automatically: the script names
it and exits 1. Standard library + nbformat only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = ("book", "solutions", "exercises")
MAX_BYTES = 1_000_000
CHECK_COMMENT = "NBVAL_CHECK_OUTPUT"
CHECK_TAG = "nbval-check-output"
PYTHON3_KERNELSPEC = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
}


def is_checked(cell) -> bool:
    """True for cells whose outputs nbval compares: a `# NBVAL_CHECK_OUTPUT` comment line (as
    nbval parses it) or the `nbval-check-output` tag."""
    if cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    if isinstance(tags, list) and CHECK_TAG in tags:
        return True
    for line in cell.get("source", "").splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() == CHECK_COMMENT:
            return True
    return False


def find_problems(nb, size_bytes: int | None = None) -> list[str]:
    """Everything that keeps a notebook from being committed clean, as readable messages."""
    problems = []
    if size_bytes is not None and size_bytes >= MAX_BYTES:
        problems.append(f"file is {size_bytes:,} bytes (limit {MAX_BYTES:,})")
    kernelspec = nb.get("metadata", {}).get("kernelspec")
    if not kernelspec or not kernelspec.get("name"):
        problems.append("no kernelspec in the notebook metadata")
    if "widgets" in nb.get("metadata", {}):
        problems.append("saved widget state in the notebook metadata (the build re-creates it)")
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        where = f"cell {index}"
        if cell.get("execution_count") is not None:
            problems.append(f"{where}: execution count {cell['execution_count']} (must be null)")
        outputs = cell.get("outputs", [])
        if outputs and not is_checked(cell):
            problems.append(f"{where}: has outputs but is not marked # {CHECK_COMMENT}")
        for output in outputs:
            if output.get("output_type") == "error":
                problems.append(f"{where}: stored error output ({output.get('ename')})")
            if output.get("execution_count") is not None:
                problems.append(f"{where}: output carries execution count (must be null)")
    return problems


def clean(nb) -> list[str]:
    """Clean `nb` in place; return what could not be fixed (error outputs in checked cells)."""
    unfixable = []
    metadata = nb.setdefault("metadata", {})
    metadata.pop("widgets", None)
    if not metadata.get("kernelspec", {}).get("name"):
        metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
        if not is_checked(cell):
            cell["outputs"] = []
            continue
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = None
            if output.get("output_type") == "error":
                unfixable.append(f"cell {index}: checked cell stored an error; fix the code")
    return unfixable


def notebooks(paths: list[str]) -> list[Path]:
    found = []
    for name in paths:
        path = Path(name)
        if not path.exists():
            sys.exit(f"clean_notebooks: {name}: no such file or folder")
        if path.is_file():
            if path.suffix != ".ipynb":
                sys.exit(f"clean_notebooks: {name}: not a .ipynb notebook")
            found.append(path)
        else:
            found.extend(
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if dirty")
    args = parser.parse_args(argv)
    paths = args.paths or [str(ROOT / d) for d in DEFAULT_DIRS if (ROOT / d).is_dir()]

    status = 0
    for path in notebooks(paths):
        raw = path.read_text(encoding="utf-8")
        nb = nbformat.reads(raw, as_version=4)
        if args.check:
            problems = find_problems(nb, len(raw.encode("utf-8")))
            for problem in problems:
                print(f"{path}: {problem}")
            status |= bool(problems)
            continue
        unfixable = clean(nb)
        cleaned = nbformat.writes(nb) + "\n"
        if cleaned != raw:
            path.write_text(cleaned, encoding="utf-8")
            print(f"cleaned {path}")
        for problem in unfixable:
            print(f"{path}: {problem}")
            status = 1
        size = len(cleaned.encode("utf-8"))
        if size >= MAX_BYTES:
            print(f"{path}: still {size:,} bytes after cleaning (limit {MAX_BYTES:,})")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
