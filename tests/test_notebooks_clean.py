"""Every notebook under book/, solutions/ and exercises/ is committed clean: no execution counts,
outputs only in cells nbval checks (`# NBVAL_CHECK_OUTPUT` or tag `nbval-check-output`), no error
outputs, no saved widget state, under 1 MB, with a kernelspec. Fix with
`.venv/bin/python scripts/clean_notebooks.py` (see its docstring)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = ROOT / "scripts" / "clean_notebooks.py"
_spec = importlib.util.spec_from_file_location("clean_notebooks", _SCRIPT)
clean_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean_notebooks)

NOTEBOOKS = sorted(
    p
    for folder in clean_notebooks.DEFAULT_DIRS
    for p in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def test_the_book_has_notebooks():
    assert any(p.is_relative_to(ROOT / "book") for p in NOTEBOOKS), "no notebook under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_is_clean(path: Path):
    raw = path.read_bytes()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    problems = clean_notebooks.find_problems(nb, len(raw))
    assert not problems, (
        f"{path.relative_to(ROOT)} is not clean (run: .venv/bin/python scripts/clean_notebooks.py "
        f"{path.relative_to(ROOT)}):\n  " + "\n  ".join(problems)
    )


def _dirty_notebook():
    nb = nbformat.v4.new_notebook()
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2 + 2)", execution_count=3)
    checked.outputs = [nbformat.v4.new_output("stream", name="stdout", text="4\n")]
    tagged = nbformat.v4.new_code_cell("1 + 1", execution_count=7)
    tagged.metadata["tags"] = ["nbval-check-output"]
    tagged.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=7)
    ]
    plain = nbformat.v4.new_code_cell("x = 1\nx", execution_count=5)
    plain.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=5)
    ]
    failing = nbformat.v4.new_code_cell("1 / 0", execution_count=6)
    failing.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="")]
    # A marker inside a string is not a comment line: nbval ignores it, and so must we.
    fake = nbformat.v4.new_code_cell('s = "# NBVAL_CHECK_OUTPUT"\nprint(s)')
    fake.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), checked, tagged, plain, failing, fake]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_find_problems_reports_every_kind_of_dirt():
    problems = "\n".join(clean_notebooks.find_problems(_dirty_notebook(), 2_000_000))
    for expected in [
        "2,000,000 bytes",
        "no kernelspec",
        "widget state",
        "cell 3: execution count 5",
        "cell 3: has outputs but is not marked",
        "cell 4: stored error output (ZeroDivisionError)",
        "cell 5: has outputs but is not marked",
    ]:
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"
    # Checked cells keep their outputs and (nbval needs it) an execution count.
    assert "cell 1:" not in problems and "cell 2:" not in problems, problems


def test_clean_keeps_checked_outputs_and_strips_the_rest():
    nb = _dirty_notebook()
    original = copy.deepcopy(nb)
    assert clean_notebooks.clean(nb) == []
    assert clean_notebooks.find_problems(nb, 1000) == []
    checked, tagged, plain, failing, fake = nb.cells[1:]
    assert checked.outputs == original.cells[1].outputs
    assert tagged.outputs[0]["data"] == {"text/plain": "2"}
    # Checked cells renumbered 1, 2, ... so diffs stay stable; all others null.
    assert [checked.execution_count, tagged.execution_count] == [1, 2]
    assert tagged.outputs[0]["execution_count"] == 2
    assert plain.outputs == [] and failing.outputs == [] and fake.outputs == []
    assert [plain.execution_count, failing.execution_count, fake.execution_count] == [None] * 3
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize(
    ("source", "count", "output", "message"),
    [
        ("# NBVAL_CHECK_OUTPUT\n1 / 0", 1, {"output_type": "error", "ename": "E"}, "an error"),
        ("# NBVAL_CHECK_OUTPUT\nprint(1)", None, None, "never run"),
        ("# NBVAL_CHECK_OUTPUT\nobject()", 1, "<object object at 0x7f3a2b1c0d90>", "memory"),
    ],
)
def test_clean_refuses_what_nbval_cannot_compare(source, count, output, message):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    if isinstance(output, dict):
        cell.outputs = [nbformat.v4.new_output(evalue="", **output)]
    elif isinstance(output, str):
        cell.outputs = [
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": output}, execution_count=count
            )
        ]
    nb.cells = [cell]
    unfixable = clean_notebooks.clean(nb)
    assert len(unfixable) == 1 and message in unfixable[0], unfixable
    assert clean_notebooks.find_problems(nb) == unfixable
