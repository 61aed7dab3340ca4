"""Clean notebooks for committing: strip outputs except in nbval-checked cells, reset counts.

Usage (from the repository root, with the project's Python):

    .venv/bin/python scripts/clean_notebooks.py                      # book/, solutions/, exercises/
    .venv/bin/python scripts/clean_notebooks.py book/01_units.ipynb  # just these files/folders
    .venv/bin/python scripts/clean_notebooks.py --check              # report only; exit 1 if dirty
    .venv/bin/python scripts/clean_notebooks.py --execute book/01_units.ipynb   # run, then clean

The workflow for a chapter author:
  1. Execute the notebook top to bottom in a fresh kernel, so the cells marked
     `# NBVAL_CHECK_OUTPUT` (or tagged `nbval-check-output`) hold real outputs: `--execute` does
     this with nbclient (kernel in this environment, working directory = the notebook's folder);
     JupyterLab's "Restart Kernel and Run All Cells" followed by a save works too.
  2. Run this script (done for you after `--execute`). It keeps those cells' outputs (nbval
     compares them in `make test`), removes every other output, sets every other execution
     count to null, drops saved widget state and per-cell execution timings (the book build
     re-executes and re-saves widget state), and adds the standard Python 3 kernelspec if the
     notebook has none.
  3. Commit. `tests/test_notebooks_clean.py` fails on any notebook that skipped step 2.

Why checked cells keep an execution count: nbval treats a cell whose execution_count is null as
never run, and then either fails it ("Unrun reference cell has outputs") or, if it has no
outputs, compares nothing. So checked cells are renumbered 1, 2, 3, ... (stable diffs) and every
other cell gets null.

Not fixable here (the script names the cell and exits 1): a checked cell that was never run, a
checked cell whose stored output is an error, a checked output showing a memory address (it
changes every run, so nbval's comparison would fail: print values, not object reprs).
Needs nbformat (and nbclient for --execute), both installed with the book's dependencies.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = ("book", "solutions", "exercises")
MAX_BYTES = 1_000_000
CHECK_COMMENT = "NBVAL_CHECK_OUTPUT"
CHECK_TAG = "nbval-check-output"
MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")
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


def _checked_cell_problems(index: int, cell) -> list[str]:
    """What nbval cannot compare reliably in a checked cell (not fixable by cleaning)."""
    problems = []
    if cell.get("execution_count") is None:
        problems.append(
            f"cell {index}: marked # {CHECK_COMMENT} but never run (no execution count), so "
            "nbval compares nothing: execute the notebook, then clean it"
        )
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            problems.append(f"cell {index}: checked cell stored an error output; fix the code")
        elif MEMORY_ADDRESS.search(json.dumps(output.get("data", output.get("text", "")))):
            problems.append(
                f"cell {index}: checked output shows a memory address (changes every run); "
                "print values instead of object reprs"
            )
    return problems


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
        outputs = cell.get("outputs", [])
        if is_checked(cell):
            problems.extend(_checked_cell_problems(index, cell))
            continue
        if cell.get("execution_count") is not None:
            problems.append(
                f"cell {index}: execution count {cell['execution_count']} (must be null)"
            )
        if outputs:
            problems.append(f"cell {index}: has outputs but is not marked # {CHECK_COMMENT}")
        for output in outputs:
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: stored error output ({output.get('ename')})")
    return problems


def clean(nb) -> list[str]:
    """Clean `nb` in place; return what could not be fixed (see the module docstring)."""
    unfixable = []
    metadata = nb.setdefault("metadata", {})
    metadata.pop("widgets", None)
    if not metadata.get("kernelspec", {}).get("name"):
        metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    count = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        cell.get("metadata", {}).pop("execution", None)
        if not is_checked(cell):
            cell["execution_count"] = None
            cell["outputs"] = []
            continue
        if cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
        unfixable.extend(_checked_cell_problems(index, cell))
    return unfixable


def execute(nb, path: Path, timeout: int = 600) -> None:
    """Run `nb` top to bottom in a fresh python3 kernel (cwd: the notebook's folder), in place."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    print(f"executing {path} ...", flush=True)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        sys.exit(f"clean_notebooks: {path}: a cell raised while executing:\n{exc}")


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
    parser.add_argument(
        "--execute", action="store_true", help="run each notebook in a fresh kernel first"
    )
    args = parser.parse_args(argv)
    if args.check and args.execute:
        parser.error("--check and --execute exclude each other")
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
        if args.execute:
            execute(nb, path)
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
